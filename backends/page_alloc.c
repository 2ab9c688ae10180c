/*
 * The buddy allocator, placement for placement as Xen's page_alloc.c:
 *
 * - Allocation walks zones from high to low and, within a zone, orders from
 *   the requested one up, taking the head of the first non-empty list. A
 *   dirty head is skipped (and moved to the tail) unless the caller accepts
 *   unscrubbed pages or wants a single page; then a second pass takes dirty
 *   heads too (get_free_buddy).
 * - The found block is halved until it has the requested order: each lower
 *   half goes back on a free list and the request is served from the top.
 *   A fresh heap therefore hands out its highest frames first.
 * - Free merges with the buddy while it is a free block of the same order
 *   in the same zone, up to max_order.
 * - Clean blocks go to the head of a list, dirty ones to the tail
 *   (page_list_add_scrub). Dirty pages handed to a caller that did not ask
 *   for MEMF_no_scrub are scrubbed then, after the lock is dropped, and
 *   heap_lock is taken once more to count them off node_need_scrub.
 *
 * The time it takes is Xen's too: the same work on the same data. Every
 * page of a block is visited where Xen visits it (count_info checks and
 * updates, mark_page_free with its M2P writes, the PGC_xen_heap loops, the
 * locked test-and-clear of PGC_need_scrub), in Xen's 32-byte x86_64
 * struct page_info (Arm64's 56 bytes under --arch arm64); avail[],
 * total_avail_pages, node_avail_pages and node_need_scrub are kept as
 * Xen keeps them; mfn_valid and set_gpfn_from_mfn are out of line,
 * mfn_valid with its speculation barrier, as on x86. The model's own statistics (charge) are a few adds
 * under the lock Xen already holds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/model.h"
#include "backends/page_alloc.h"

/*
 * Compiled twice: here for the 32-byte entry of x86 (and Arm32), and by
 * page_alloc_arm64.c, with PAGE_ALLOC_ARM64, for Arm64's 56-byte one, so
 * that each walks its frame table with the stride a constant, as Xen's
 * code compiled for that arch does. The paths that touch entries (the
 * core, up to the set-up) exist once per layout, named by LAYOUT(); the
 * rest (set-up, boot, observations, and the entry points, which pick the
 * layout with one branch per call) is compiled here only.
 */
#ifdef PAGE_ALLOC_ARM64
typedef struct page_info_arm64 frame_entry;
#define LAYOUT(name)  name##_arm64
#define CORE_API
#else
typedef struct page_info frame_entry;
#define LAYOUT(name)  name##_x86
#define CORE_API      static
#endif

/* Frame f's entry, and the entry i after pg's: an entry begins with its
 * struct page_info. */
#define PG(pa, f) \
    ((struct page_info *)((frame_entry *)(pa)->frame_table + (f)))
#define PG_AT(pg, i) ((struct page_info *)((frame_entry *)(pg) + (i)))

/* The Arm64 core, for the entry points here. */
uint32_t alloc_domheap_pages_arm64(struct page_alloc *pa, unsigned order,
                                   unsigned memflags);
void     free_domheap_pages_arm64(struct page_alloc *pa, uint32_t frame,
                                  unsigned order);
void     free_overhead_pages_arm64(struct page_alloc *pa, uint32_t frame,
                                   unsigned order);
void    *alloc_xenheap_pages_arm64(struct page_alloc *pa, unsigned order,
                                   unsigned memflags);
void     free_xenheap_pages_arm64(struct page_alloc *pa, void *v,
                                  unsigned order);
void     scrub_free_pages_arm64(struct page_alloc *pa, bool known_zero);
void     init_heap_pages_arm64(struct page_alloc *pa, uint32_t s, uint32_t e);
size_t   free_block_census_arm64(struct page_alloc *pa, uint32_t *out,
                                 size_t n);
int      page_alloc_check_arm64(struct page_alloc *pa, char *why,
                                size_t why_len);

#define LIST(pa, zone, order) (&(pa)->lists[(zone) * ((pa)->max_order + 1) + (order)])

#define BITS_PER_LONG      64
/* x86's PDX_GROUP_COUNT: mfn_valid looks frames up in groups of one L2
 * entry's worth, 2 MiB of 4K frames. */
#define PDX_GROUP_SHIFT    9
#define INVALID_M2P_ENTRY  (~0ul)
/* The 32-bit PV M2P covers 1 GiB of 4-byte entries
 * (RDWR_COMPAT_MPT_VIRT_END - RDWR_COMPAT_MPT_VIRT_START) / 4. */
#define COMPAT_M2P_FRAMES  (1u << 28)
/* setup_low_mem_virq's default threshold: 64 MiB, halved when that is all
 * there is. */
#define DEFAULT_LOW_MEM_VIRQ (64ull << 20)

/* PADDR_BITS (x86's page-bits.h; Arm's CONFIG_PADDR_BITS defaults). Xen
 * has NR_ZONES = PADDR_BITS - PAGE_SHIFT + 1 zones whatever its memory,
 * and get_free_buddy looks at each from zone_hi down, empty or not: 41 on
 * x86 with 4K pages, 22 of them empty at 1 GiB. */
#define PADDR_BITS_X86     52
#define PADDR_BITS_ARM64   48
#define PADDR_BITS_ARM32   40

static unsigned fls32(uint32_t x)
{
    return x ? 32 - (unsigned)__builtin_clz(x) : 0;
}

/* Xen's page_to_zone: the xenheap's own zone (a separate xenheap only:
 * one-heap Xen clears PGC_xen_heap before the page reaches the heap), else
 * the frame number's highest bit. */
static unsigned zone_of(const struct page_alloc *pa, uint32_t frame)
{
    if (frame < pa->xenheap_end)
        return MEMZONE_XEN;
    return fls32(frame);
}

/* Xen's page_to_nid: memnodemap[pdx >> memnode_shift]; the model's
 * machine has one node, so the map has one entry. */
static const uint8_t memnodemap[1];
#define MEMNODE_SHIFT 32

static unsigned page_to_nid(uint32_t frame)
{
    return memnodemap[(uint64_t)frame >> MEMNODE_SHIFT];
}

/* ---- what x86 Xen does per page, out of line where Xen's is ---- */

/* evaluate_nospec with CONFIG_SPECULATIVE_HARDEN_BRANCH (the default): an
 * lfence on either side of the branch. */
static inline bool evaluate_nospec(bool cond)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_lfence();
#endif
    return cond;
}

/* x86's __mfn_valid (common/pdx.c). */
static __attribute__((noinline)) bool mfn_valid(const struct page_alloc *pa,
                                                uint32_t mfn)
{
    uint32_t group = mfn >> PDX_GROUP_SHIFT;

    if (evaluate_nospec(mfn >= pa->frames->nr_frames))
        return false;
    return (pa->pdx_group_valid[group / BITS_PER_LONG] >>
            (group % BITS_PER_LONG)) & 1;
}

/* x86_64's set_gpfn_from_mfn (x86_64/mm.c): the M2P entry, and the 32-bit
 * PV one (opt_pv32 is on by default). */
static __attribute__((noinline)) void set_gpfn_from_mfn(struct page_alloc *pa,
                                                        uint32_t mfn,
                                                        unsigned long pfn)
{
    if (mfn < COMPAT_M2P_FRAMES)
        pa->compat_m2p[mfn] = (uint32_t)pfn;
    pa->m2p[mfn] = pfn;
}

/*
 * count_info outside heap_lock: only a page's owner writes it there (the
 * PGC_xen_heap loops; the scrub loop's test-and-clear is atomic anyway),
 * while free_heap_pages may read it under the lock to see whether a buddy
 * is free, as Xen's does. Relaxed atomics on both sides: plain loads and
 * stores on x86, the same accesses as Xen's |= and &=.
 */
static inline unsigned long count_info_of(const struct page_info *pg)
{
    return __atomic_load_n(&pg->count_info, __ATOMIC_RELAXED);
}

static inline void set_count_info(struct page_info *pg, unsigned long v)
{
    __atomic_store_n(&pg->count_info, v, __ATOMIC_RELAXED);
}

/* ---- free lists: doubly linked through the frame table ---- */

static void list_add_head(struct page_alloc *pa, struct free_list *l,
                          uint32_t f)
{
    PG(pa, f)->list.prev = NO_FRAME;
    PG(pa, f)->list.next = l->head;
    if (l->head != NO_FRAME)
        PG(pa, l->head)->list.prev = f;
    else
        l->tail = f;
    l->head = f;
}

static void list_add_tail(struct page_alloc *pa, struct free_list *l,
                          uint32_t f)
{
    PG(pa, f)->list.next = NO_FRAME;
    PG(pa, f)->list.prev = l->tail;
    if (l->tail != NO_FRAME)
        PG(pa, l->tail)->list.next = f;
    else
        l->head = f;
    l->tail = f;
}

static void list_del(struct page_alloc *pa, struct free_list *l, uint32_t f)
{
    struct page_info *p = PG(pa, f);

    if (p->list.prev != NO_FRAME)
        PG(pa, p->list.prev)->list.next = p->list.next;
    else
        l->head = p->list.next;
    if (p->list.next != NO_FRAME)
        PG(pa, p->list.next)->list.prev = p->list.prev;
    else
        l->tail = p->list.prev;
}

static uint32_t list_remove_head(struct page_alloc *pa, struct free_list *l)
{
    uint32_t f = l->head;

    if (f != NO_FRAME)
        list_del(pa, l, f);
    return f;
}

/* Xen's page_list_add_scrub: clean blocks first, dirty ones last. */
static void page_list_add_scrub(struct page_alloc *pa, uint32_t head,
                                unsigned zone, unsigned order,
                                uint32_t first_dirty)
{
    struct free_list *l = LIST(pa, zone, order);
    struct page_info *pg = PG(pa, head);

    PFN_ORDER(pg) = order;
    pg->u.free.first_dirty = first_dirty;
    pg->u.free.scrub_state = BUDDY_NOT_SCRUBBING;
    if (first_dirty != INVALID_DIRTY_IDX)
        list_add_tail(pa, l, head);
    else
        list_add_head(pa, l, head);
}

/* Xen's check_and_stop_scrub. The model's idle scrubber holds heap_lock
 * throughout (see page_alloc_idle_scrub), so under the lock no block is
 * ever being scrubbed; the test stays, as Xen makes it. */
static inline void check_and_stop_scrub(struct page_info *head)
{
    if (__atomic_load_n(&head->u.free.scrub_state, __ATOMIC_RELAXED) ==
        BUDDY_SCRUBBING)
        abort();
}

/* ---- allocation ---- */

/* Xen's get_free_buddy, on the one node. */
static uint32_t get_free_buddy(struct page_alloc *pa, unsigned zone_lo,
                               unsigned zone_hi, unsigned order,
                               unsigned memflags)
{
    bool use_unscrubbed = memflags & MEMF_no_scrub;
    unsigned zone = zone_hi;

    do {
        if (pa->avail[zone] < (1UL << order))
            continue;
        for (unsigned j = order; j <= pa->max_order; j++) {
            struct free_list *l = LIST(pa, zone, j);
            uint32_t head = list_remove_head(pa, l);

            if (head == NO_FRAME)
                continue;
            if (PG(pa, head)->u.free.first_dirty == INVALID_DIRTY_IDX)
                return head;
            /* Xen grabs single pages even when dirty: scrubbing one page
             * is cheaper than breaking a larger block. */
            if (order == 0 || use_unscrubbed) {
                check_and_stop_scrub(PG(pa, head));
                return head;
            }
            list_add_tail(pa, l, head);
        }
    } while (zone-- > zone_lo);
    return NO_FRAME;
}

static void scrub_one_page(struct page_alloc *pa, uint32_t frame)
{
    memset(frame_to_view(pa->frames, frame), 0, pa->frames->page_size);
}

/* The peak counts frames held for callers: the model's own (the pool's
 * descriptor, the vmap bitmap) are no allocation's waste. */
static void charge(struct page_alloc *pa, int64_t n, unsigned memflags)
{
    pa->frames_in_use += (uint64_t)n;
    if (memflags & MEMF_overhead)
        pa->overhead_frames += (uint64_t)n;
    else    /* a store of its own: read without the lock (placements) */
        __atomic_store_n(&pa->caller_frames, pa->caller_frames + (uint64_t)n,
                         __ATOMIC_RELAXED);
    if (pa->frames_in_use - pa->overhead_frames > pa->peak_frames)
        pa->peak_frames = pa->frames_in_use - pa->overhead_frames;
}

/* Xen's check_low_mem_virq: the hysteresis of the low-memory warning
 * (VIRQ_ENOMEM to dom0, counted here). */
static void check_low_mem_virq(struct page_alloc *pa)
{
    unsigned long avail_pages = pa->total_avail_pages - pa->outstanding_claims;

    if (__builtin_expect(avail_pages <= pa->low_mem_virq_th, 0)) {
        pa->low_mem_virqs++;
        pa->low_mem_virq_high = 1UL << (pa->low_mem_virq_th_order + 1);
        if (pa->low_mem_virq_th_order > 0)
            pa->low_mem_virq_th_order--;
        pa->low_mem_virq_th = 1UL << pa->low_mem_virq_th_order;
        return;
    }
    if (__builtin_expect(avail_pages >= pa->low_mem_virq_high, 0)) {
        pa->low_mem_virq_th_order++;
        pa->low_mem_virq_th = 1UL << pa->low_mem_virq_th_order;
        if (pa->low_mem_virq_th_order == pa->low_mem_virq_orig_order)
            pa->low_mem_virq_high = -1UL;
        else
            pa->low_mem_virq_high = 1UL << (pa->low_mem_virq_th_order + 2);
    }
}

/* Xen's accumulate_tlbflush: pages that had an owner may need a flush
 * before reuse. Heap pages here never have one, as xenheap and anonymous
 * domheap pages do not. */
static inline void accumulate_tlbflush(bool *need, const struct page_info *pg,
                                       uint32_t *stamp)
{
    if (pg->u.free.need_tlbflush && pg->tlbflush_timestamp <= 0 &&
        (!*need || pg->tlbflush_timestamp > *stamp)) {
        *need = true;
        *stamp = pg->tlbflush_timestamp;
    }
}

/* After the lock is dropped: the dirty test-and-clear loop, scrubbing
 * unless the caller takes pages as they are, then heap_lock once more for
 * node_need_scrub (the second half of Xen's alloc_heap_pages). */
static void scrub_allocated(struct page_alloc *pa, uint32_t head,
                            unsigned order, unsigned memflags)
{
    struct page_info *pg = PG(pa, head);
    unsigned dirty_cnt = 0;

    if (!(memflags & MEMF_no_scrub)) {
        for (uint32_t i = 0; i < (1u << order); i++)
            if (test_and_clear_bit64(_PGC_need_scrub,
                                     &PG_AT(pg, i)->count_info)) {
                scrub_one_page(pa, head + i);
                dirty_cnt++;
            }
    } else {
        for (uint32_t i = 0; i < (1u << order); i++)
            if (test_and_clear_bit64(_PGC_need_scrub,
                                     &PG_AT(pg, i)->count_info))
                dirty_cnt++;
    }
    if (dirty_cnt) {
        spin_lock(&pa->heap_lock);
        pa->node_need_scrub -= dirty_cnt;
        if (!(memflags & MEMF_no_scrub))
            pa->scrubbed_pages += dirty_cnt;
        spin_unlock(&pa->heap_lock);
    }
}

/* Xen's alloc_heap_pages, for no domain. */
static uint32_t alloc_heap_pages(struct page_alloc *pa, unsigned zone_lo,
                                 unsigned zone_hi, unsigned order,
                                 unsigned memflags)
{
    unsigned long request = 1UL << order;
    unsigned buddy_order, zone;
    uint32_t head, first_dirty, stamp = 0;
    struct page_info *pg;
    bool need_tlbflush = false;

    if (order > pa->max_order)
        return NO_FRAME;

    spin_lock(&pa->heap_lock);
    /* Claimed memory is unavailable to allocations for no domain. */
    if (pa->outstanding_claims + request > pa->total_avail_pages) {
        spin_unlock(&pa->heap_lock);
        return NO_FRAME;
    }
    head = get_free_buddy(pa, zone_lo, zone_hi, order, memflags);
    if (head == NO_FRAME && !(memflags & MEMF_no_scrub))
        head = get_free_buddy(pa, zone_lo, zone_hi, order,
                              memflags | MEMF_no_scrub);
    if (head == NO_FRAME) {
        spin_unlock(&pa->heap_lock);
        return NO_FRAME;
    }

    zone = zone_of(pa, head);
    buddy_order = PFN_ORDER(PG(pa, head));
    first_dirty = PG(pa, head)->u.free.first_dirty;
    /* Halve the block, serving the request from its top. */
    while (buddy_order != order) {
        buddy_order--;
        page_list_add_scrub(pa, head, zone, buddy_order,
                            (1u << buddy_order) > first_dirty ?
                            first_dirty : INVALID_DIRTY_IDX);
        head += 1u << buddy_order;
        if (first_dirty != INVALID_DIRTY_IDX)
            first_dirty = first_dirty >= (1u << buddy_order) ?
                          first_dirty - (1u << buddy_order) : 0;
    }

    pa->avail[zone] -= request;
    pa->total_avail_pages -= request;
    pa->node_avail_pages -= request;
    check_low_mem_virq(pa);

    pg = PG(pa, head);
    for (uint32_t i = 0; i < request; i++) {
        /* The reference count stays zero while a page is free. */
        if ((PG_AT(pg, i)->count_info & ~PGC_need_scrub) != PGC_state_free)
            abort();
        /* PGC_need_scrub stays, to be tested once the lock is dropped. */
        PG_AT(pg, i)->count_info = PGC_state_inuse |
                           (PG_AT(pg, i)->count_info & PGC_need_scrub);
        accumulate_tlbflush(&need_tlbflush, PG_AT(pg, i), &stamp);
        /* init_free_page_fields */
        PG_AT(pg, i)->u.inuse.type_info = 0;
        PG_AT(pg, i)->v.inuse._domain = 0;
    }
    charge(pa, (int64_t)request, memflags);
    if (pa->flush_to_ram)        /* Arm: clean and invalidate each page */
        stat_add_locked(&pa->flushed_to_ram, request);
    spin_unlock(&pa->heap_lock);

    if (first_dirty != INVALID_DIRTY_IDX)
        scrub_allocated(pa, head, order, memflags);
    /* flush_page_to_ram is empty on x86; need_tlbflush never holds here. */
    return head;
}

/* ---- free ---- */

/* Xen's mark_page_free: in use becomes free, owner and M2P entry go. */
static void mark_page_free(struct page_alloc *pa, struct page_info *pg,
                           uint32_t mfn)
{
    if ((pg->count_info & PGC_state) != PGC_state_inuse ||
        (pg->count_info & PGC_broken))
        abort();   /* BUG(): a double free */
    pg->count_info = PGC_state_free;
    pg->u.free.need_tlbflush = pg->v.inuse._domain != 0;
    if (pg->u.free.need_tlbflush)
        pg->tlbflush_timestamp = 0;
    pg->v.inuse._domain = 0;
    set_gpfn_from_mfn(pa, mfn, INVALID_M2P_ENTRY);
}

/* Whether the block at buddy can merge with one of order on node: Xen's
 * test in free_heap_pages. It does not look at zones: the buffer page of
 * init_xenheap_pages keeps a separate xenheap's blocks apart. */
static bool can_merge(struct page_alloc *pa, uint32_t buddy, unsigned order,
                      unsigned node)
{
    const struct page_info *pg = PG(pa, buddy);

    return mfn_valid(pa, buddy) &&
           (count_info_of(pg) & PGC_state) == PGC_state_free &&
           PFN_ORDER(pg) == order && page_to_nid(buddy) == node;
}

/* The body of Xen's free_heap_pages, heap_lock held: every page marked
 * free, the counts raised, the block merged with its buddies and listed. */
static void free_block(struct page_alloc *pa, uint32_t head, unsigned order,
                       bool need_scrub)
{
    unsigned node = page_to_nid(head), zone = zone_of(pa, head);
    struct page_info *pg = PG(pa, head);
    unsigned long n = 1UL << order;

    for (uint32_t i = 0; i < n; i++) {
        mark_page_free(pa, PG_AT(pg, i), head + i);
        if (need_scrub)
            PG_AT(pg, i)->count_info |= PGC_need_scrub;
    }
    pa->avail[zone] += n;
    pa->total_avail_pages += n;
    pa->node_avail_pages += n;
    if (need_scrub) {
        pa->node_need_scrub += n;
        pg->u.free.first_dirty = 0;
    } else {
        pg->u.free.first_dirty = INVALID_DIRTY_IDX;
    }

    while (order < pa->max_order) {
        uint32_t mask = 1u << order;

        if (head & mask) {
            struct page_info *pred = PG_AT(pg, -(ptrdiff_t)mask);

            if (!can_merge(pa, head - mask, order, node))
                break;
            check_and_stop_scrub(pred);
            list_del(pa, LIST(pa, zone, order), head - mask);
            /* The merged block is dirty from the first dirty page of
             * either half. */
            if (pred->u.free.first_dirty == INVALID_DIRTY_IDX &&
                pg->u.free.first_dirty != INVALID_DIRTY_IDX)
                pred->u.free.first_dirty = mask + pg->u.free.first_dirty;
            pg = pred;
            head -= mask;
        } else {
            struct page_info *succ = PG_AT(pg, mask);

            if (!can_merge(pa, head + mask, order, node))
                break;
            check_and_stop_scrub(succ);
            if (pg->u.free.first_dirty == INVALID_DIRTY_IDX &&
                succ->u.free.first_dirty != INVALID_DIRTY_IDX)
                pg->u.free.first_dirty = mask + succ->u.free.first_dirty;
            list_del(pa, LIST(pa, zone, order), head + mask);
        }
        order++;
    }
    page_list_add_scrub(pa, head, zone, order, pg->u.free.first_dirty);
}

static void free_heap_pages(struct page_alloc *pa, uint32_t head,
                            unsigned order, bool need_scrub, unsigned memflags)
{
    spin_lock(&pa->heap_lock);
    free_block(pa, head, order, need_scrub);
    charge(pa, -((int64_t)1 << order), memflags);
    spin_unlock(&pa->heap_lock);
}

/* ---- Xen's entry points ---- */

/* Xen's bits_to_zone: the highest zone below an address width. */
static unsigned bits_to_zone(const struct page_alloc *pa, unsigned bits)
{
    unsigned shift = pa->frames->page_shift;

    return bits < shift + 1 ? 1 : bits - shift;
}

/* Xen's alloc_domheap_pages for no domain: MEMF_bits caps the zone. */
CORE_API uint32_t LAYOUT(alloc_domheap_pages)(struct page_alloc *pa,
                                              unsigned order,
                                              unsigned memflags)
{
    unsigned bits = memflags >> _MEMF_bits, zone_hi = pa->nr_zones - 1;

    if (!bits)
        bits = BITS_PER_LONG + pa->frames->page_shift;
    if (bits_to_zone(pa, bits) < zone_hi)
        zone_hi = bits_to_zone(pa, bits);
    return alloc_heap_pages(pa, MEMZONE_XEN + 1, zone_hi, order,
                            memflags & ~MEMF_bits(~0u));
}

/* Xen's free_domheap_pages for a page of no domain: scrubbed before
 * reuse (the scrub knob off models scrub-domheap's absence). */
CORE_API void LAYOUT(free_domheap_pages)(struct page_alloc *pa,
                                         uint32_t frame, unsigned order)
{
    free_heap_pages(pa, frame, order, pa->scrub, 0);
}

CORE_API void LAYOUT(free_overhead_pages)(struct page_alloc *pa,
                                          uint32_t frame, unsigned order)
{
    free_heap_pages(pa, frame, order, false, MEMF_overhead);
}

/* Without a directmap the pages must be mapped before use
 * (CONFIG_ONDEMAND_DIRECTMAP); 0, or -1 with the pages freed again. */
static int map_xenheap(struct page_alloc *pa, uint32_t frame, unsigned order,
                       unsigned memflags)
{
    if (pa->frames->directmap_on ||
        map_frames(pa->mapper, frame_to_virt(pa->frames, frame), frame,
                   1u << order) == 0)
        return 0;
    /* Handed out unscrubbed, they go back as a free would leave them. */
    free_heap_pages(pa, frame, order, pa->scrub && !is_separate_xenheap(pa),
                    memflags);
    return -1;
}

/* Xen's alloc_xenheap_pages: the separate xenheap's zone (Arm32), or a
 * domheap allocation below xenheap_bits whose pages are flagged
 * PGC_xen_heap one by one (x86, Arm64). */
CORE_API void *LAYOUT(alloc_xenheap_pages)(struct page_alloc *pa,
                                           unsigned order,
                                           unsigned memflags)
{
    struct page_info *pg;
    uint32_t frame;

    if (is_separate_xenheap(pa)) {
        frame = alloc_heap_pages(pa, MEMZONE_XEN, MEMZONE_XEN, order,
                                 memflags | MEMF_no_scrub);
        if (frame == NO_FRAME || map_xenheap(pa, frame, order, memflags))
            return NULL;
        return frame_to_virt(pa->frames, frame);
    }
    if (pa->xenheap_bits && (memflags >> _MEMF_bits) > pa->xenheap_bits)
        memflags &= ~MEMF_bits(~0u);
    if (!(memflags >> _MEMF_bits))
        memflags |= MEMF_bits(pa->xenheap_bits);
    frame = LAYOUT(alloc_domheap_pages)(pa, order, memflags | MEMF_no_scrub);
    if (frame == NO_FRAME || map_xenheap(pa, frame, order, memflags))
        return NULL;
    pg = PG(pa, frame);
    for (uint32_t i = 0; i < (1u << order); i++)
        set_count_info(PG_AT(pg, i),
                       count_info_of(PG_AT(pg, i)) | PGC_xen_heap);
    return frame_to_virt(pa->frames, frame);
}

/* Xen's free_xenheap_pages: one heap clears PGC_xen_heap page by page and
 * frees with scrub; Arm32's separate xenheap frees without. */
CORE_API void LAYOUT(free_xenheap_pages)(struct page_alloc *pa, void *v,
                                         unsigned order)
{
    uint32_t frame;
    struct page_info *pg;

    if (!v)
        return;
    if (!pa->frames->directmap_on)
        unmap_pages(pa->mapper, v, 1u << order);
    frame = virt_to_frame(pa->frames, v);
    if (is_separate_xenheap(pa)) {
        free_heap_pages(pa, frame, order, false, 0);
        return;
    }
    pg = PG(pa, frame);
    for (uint32_t i = 0; i < (1u << order); i++)
        set_count_info(PG_AT(pg, i),
                       count_info_of(PG_AT(pg, i)) & ~PGC_xen_heap);
    free_heap_pages(pa, frame, order, pa->scrub, 0);
}

/* ---- idle scrubbing ---- */

/*
 * Xen's scrub_free_pages, run until no dirty page is left: zone by zone
 * from the lowest, order by order from the highest, it takes dirty blocks
 * from the tail of each list, scrubs their pages and puts them back at the
 * head, so that reuse becomes LIFO. Xen drops heap_lock while it scrubs a
 * block and lets an allocation that wants the block abort it; the model
 * runs it between trace events and keeps the lock, which places every
 * block as an uninterrupted Xen scrubber does. At boot the pages are
 * known to be zero (heap_init_late) and only the flags are cleared.
 */
static unsigned scrub_block(struct page_alloc *pa, uint32_t head,
                            unsigned order, bool known_zero)
{
    struct page_info *pg = PG(pa, head);
    unsigned dirty = 0;

    for (uint32_t i = pg->u.free.first_dirty; i < (1u << order); i++)
        if (PG_AT(pg, i)->count_info & PGC_need_scrub) {
            if (!known_zero)
                scrub_one_page(pa, head + i);
            PG_AT(pg, i)->count_info &= ~PGC_need_scrub;
            dirty++;
        }
    return dirty;
}

CORE_API void LAYOUT(scrub_free_pages)(struct page_alloc *pa, bool known_zero)
{
    spin_lock(&pa->heap_lock);
    for (unsigned zone = 0; zone < pa->nr_zones && pa->node_need_scrub;
         zone++) {
        unsigned order = pa->max_order;

        do {
            struct free_list *l = LIST(pa, zone, order);
            uint32_t head;

            /* Dirty blocks are always at the end of a list. */
            while ((head = l->tail) != NO_FRAME &&
                   PG(pa, head)->u.free.first_dirty != INVALID_DIRTY_IDX) {
                unsigned dirty = scrub_block(pa, head, order, known_zero);

                pa->node_need_scrub -= dirty;
                if (!known_zero)
                    pa->scrubbed_pages += dirty;
                list_del(pa, l, head);
                page_list_add_scrub(pa, head, zone, order, INVALID_DIRTY_IDX);
            }
        } while (order-- != 0 && pa->node_need_scrub);
    }
    spin_unlock(&pa->heap_lock);
}

/* ---- set-up: the part that touches entries ---- */

/* Hands [s, e) to the heap in the largest aligned chunks that fit, as Xen's
 * _init_heap_pages does through free_heap_pages; each chunk then merges
 * with its buddies. Xen's init_heap_pages adds boot memory dirty under
 * bootscrub=idle: to the lists' tails, each chunk after the last. */
CORE_API void LAYOUT(init_heap_pages)(struct page_alloc *pa, uint32_t s,
                                       uint32_t e)
{
    bool need_scrub = pa->booting && pa->bootscrub == BOOTSCRUB_IDLE;

    spin_lock(&pa->heap_lock);
    while (s < e) {
        unsigned order = fls32(e - s) - 1;
        unsigned low = (unsigned)__builtin_ctz(s);

        if (order > pa->max_order)
            order = pa->max_order;
        if (order > low)
            order = low;
        free_block(pa, s, order, need_scrub);
        s += 1u << order;
    }
    spin_unlock(&pa->heap_lock);
}

/* ---- observations: the part that touches entries ---- */

/* A free block of this order at f, as free_heap_pages would merge it:
 * whatever its zone. */
static bool is_free_buddy(const struct page_alloc *pa, uint32_t f,
                          unsigned order)
{
    return f < pa->frames->nr_frames && page_state(PG(pa, f)) == PGS_FREE &&
           PFN_ORDER(PG(pa, f)) == order;
}

CORE_API size_t LAYOUT(free_block_census)(struct page_alloc *pa, uint32_t *out,
                                         size_t n)
{
    size_t nlists = (size_t)pa->nr_zones * (pa->max_order + 1);

    spin_lock(&pa->heap_lock);
    for (size_t i = 0; i < nlists && i < n; i++) {
        uint32_t count = 0;

        for (uint32_t f = pa->lists[i].head; f != NO_FRAME;
             f = PG(pa, f)->list.next)
            count++;
        out[i] = count;
    }
    spin_unlock(&pa->heap_lock);
    return nlists;
}

/* Walks one list, checking links, heads and that every page of every block
 * is free. Returns the frames the list holds, or -1. */
static int64_t check_list(struct page_alloc *pa, unsigned zone, unsigned order,
                          uint64_t *dirty, char *why, size_t why_len)
{
    struct free_list *l = LIST(pa, zone, order);
    uint32_t prev = NO_FRAME;
    int64_t frames = 0;

    for (uint32_t f = l->head; f != NO_FRAME;
         prev = f, f = PG(pa, f)->list.next) {
        struct page_info *p = PG(pa, f);

        if (p->list.prev != prev || PFN_ORDER(p) != order ||
            zone_of(pa, f) != zone ||
            (f & ((1u << order) - 1)) || f + (1u << order) > pa->frames->nr_frames) {
            snprintf(why, why_len, "free list [zone %u][order %u]: bad block "
                     "at frame %u", zone, order, f);
            return -1;
        }
        for (uint32_t i = 0; i < (1u << order); i++) {
            if (page_state(PG(pa, f + i)) != PGS_FREE ||
                zone_of(pa, f + i) != zone) {
                snprintf(why, why_len, "frame %u inside free block %u/%u is "
                         "not free", f + i, f, order);
                return -1;
            }
            /* No dirty page before the block's first_dirty. */
            if (page_needs_scrub(PG(pa, f + i)) &&
                (p->u.free.first_dirty == INVALID_DIRTY_IDX ||
                 i < p->u.free.first_dirty)) {
                snprintf(why, why_len, "frame %u of free block %u/%u is "
                         "dirty before first_dirty %u", f + i, f, order,
                         p->u.free.first_dirty);
                return -1;
            }
            *dirty += page_needs_scrub(PG(pa, f + i));
        }
        if (order < pa->max_order &&
            is_free_buddy(pa, f ^ (1u << order), order)) {
            snprintf(why, why_len, "free block %u/%u and its buddy were not "
                     "merged", f, order);
            return -1;
        }
        frames += 1u << order;
    }
    if (l->tail != prev) {
        snprintf(why, why_len, "free list [zone %u][order %u]: bad tail",
                 zone, order);
        return -1;
    }
    return frames;
}

CORE_API int LAYOUT(page_alloc_check)(struct page_alloc *pa, char *why,
                                      size_t why_len)
{
    int rc = 0;
    uint64_t free_total = 0, dirty = 0;

    spin_lock(&pa->heap_lock);
    for (unsigned z = 0; z < pa->nr_zones && !rc; z++) {
        int64_t zone_frames = 0;

        for (unsigned o = 0; o <= pa->max_order && !rc; o++) {
            int64_t n = check_list(pa, z, o, &dirty, why, why_len);

            if (n < 0)
                rc = -1;
            else
                zone_frames += n;
        }
        if (!rc && (uint64_t)zone_frames != pa->avail[z]) {
            snprintf(why, why_len, "zone %u: lists hold %lld frames, avail "
                     "says %llu", z, (long long)zone_frames,
                     (unsigned long long)pa->avail[z]);
            rc = -1;
        }
        free_total += (uint64_t)zone_frames;
    }
    if (!rc && free_total + pa->frames_in_use + pa->reserved_frames +
               (pa->boot_end - pa->boot_start) != pa->frames->nr_frames) {
        snprintf(why, why_len, "%llu free + %llu in use + %u reserved + %u "
                 "in the boot allocator != %u frames",
                 (unsigned long long)free_total,
                 (unsigned long long)pa->frames_in_use, pa->reserved_frames,
                 pa->boot_end - pa->boot_start, pa->frames->nr_frames);
        rc = -1;
    }
    if (!rc && (free_total != pa->total_avail_pages ||
                pa->node_avail_pages != pa->total_avail_pages ||
                dirty != pa->node_need_scrub)) {
        snprintf(why, why_len, "lists hold %llu free frames, %llu dirty; "
                 "total_avail_pages %lu, node_avail_pages %lu, "
                 "node_need_scrub %lu", (unsigned long long)free_total,
                 (unsigned long long)dirty, pa->total_avail_pages,
                 pa->node_avail_pages, pa->node_need_scrub);
        rc = -1;
    }
    spin_unlock(&pa->heap_lock);
    return rc;
}

#ifndef PAGE_ALLOC_ARM64

bool is_separate_xenheap(const struct page_alloc *pa)
{
    return pa->xenheap_end != 0;
}

unsigned get_order_from_pages(uint64_t pages)
{
    unsigned order = 0;

    while ((1ULL << order) < pages)
        order++;
    return order;
}

/* As Xen's: from (bytes - 1) so that no size near 2^64 wraps to order 0. */
unsigned get_order_from_bytes(const struct page_alloc *pa, uint64_t bytes)
{
    uint64_t rest = bytes ? (bytes - 1) >> pa->frames->page_shift : 0;
    unsigned order = 0;

    for (; rest; rest >>= 1)
        order++;
    return order;
}

/* ---- Xen's entry points, for the frame table's layout ---- */

#define ARM64_FRAMES(pa) \
    __builtin_expect((pa)->frame_stride != sizeof(struct page_info), 0)

size_t page_info_size(const struct page_alloc *pa)
{
    return pa->frame_stride;
}

uint32_t alloc_domheap_pages(struct page_alloc *pa, unsigned order,
                             unsigned memflags)
{
    if (ARM64_FRAMES(pa))
        return alloc_domheap_pages_arm64(pa, order, memflags);
    return alloc_domheap_pages_x86(pa, order, memflags);
}

void free_domheap_pages(struct page_alloc *pa, uint32_t frame, unsigned order)
{
    if (ARM64_FRAMES(pa))
        free_domheap_pages_arm64(pa, frame, order);
    else
        free_domheap_pages_x86(pa, frame, order);
}

void free_overhead_pages(struct page_alloc *pa, uint32_t frame,
                         unsigned order)
{
    if (ARM64_FRAMES(pa))
        free_overhead_pages_arm64(pa, frame, order);
    else
        free_overhead_pages_x86(pa, frame, order);
}

void *alloc_xenheap_pages(struct page_alloc *pa, unsigned order,
                          unsigned memflags)
{
    if (ARM64_FRAMES(pa))
        return alloc_xenheap_pages_arm64(pa, order, memflags);
    return alloc_xenheap_pages_x86(pa, order, memflags);
}

void free_xenheap_pages(struct page_alloc *pa, void *v, unsigned order)
{
    if (ARM64_FRAMES(pa))
        free_xenheap_pages_arm64(pa, v, order);
    else
        free_xenheap_pages_x86(pa, v, order);
}

static void scrub_free_pages(struct page_alloc *pa, bool known_zero)
{
    if (ARM64_FRAMES(pa))
        scrub_free_pages_arm64(pa, known_zero);
    else
        scrub_free_pages_x86(pa, known_zero);
}

void page_alloc_idle_scrub(struct page_alloc *pa)
{
    scrub_free_pages(pa, false);
}

static void init_heap_pages(struct page_alloc *pa, uint32_t s, uint32_t e)
{
    if (ARM64_FRAMES(pa))
        init_heap_pages_arm64(pa, s, e);
    else
        init_heap_pages_x86(pa, s, e);
}

size_t free_block_census(struct page_alloc *pa, uint32_t *out, size_t n)
{
    if (ARM64_FRAMES(pa))
        return free_block_census_arm64(pa, out, n);
    return free_block_census_x86(pa, out, n);
}

int page_alloc_check(struct page_alloc *pa, char *why, size_t why_len)
{
    if (ARM64_FRAMES(pa))
        return page_alloc_check_arm64(pa, why, why_len);
    return page_alloc_check_x86(pa, why, why_len);
}

/* ---- set-up ---- */

/*
 * Xen's init_xenheap_pages with CONFIG_SEPARATE_XENHEAP: "Yuk! Ensure there
 * is a one-page buffer between Xen and Dom zones": merging does not look
 * at zones, so the last xenheap frame before a domheap frame (and the first
 * after one) never enters the heap. The model's xenheap starts at frame 0,
 * so only its last frame is the buffer.
 */
static void init_xenheap_pages(struct page_alloc *pa, uint32_t ps, uint32_t pe)
{
    if (ps && zone_of(pa, ps - 1) != MEMZONE_XEN) {
        ps++;
        pa->reserved_frames++;
    }
    if (pe < pa->frames->nr_frames && zone_of(pa, pe) != MEMZONE_XEN) {
        pe--;
        pa->reserved_frames++;
    }
    init_heap_pages(pa, ps ? ps : 1, pe);
}

/* Xen's setup_low_mem_virq with no low_mem_virq_limit given. */
static void setup_low_mem_virq(struct page_alloc *pa)
{
    uint64_t avail = (uint64_t)pa->total_avail_pages << pa->frames->page_shift;
    uint64_t threshold = DEFAULT_LOW_MEM_VIRQ < avail ? DEFAULT_LOW_MEM_VIRQ
                                                      : avail;
    unsigned order;

    if (threshold == avail)
        threshold >>= 1;
    if (threshold < pa->frames->page_size)
        threshold = pa->frames->page_size;
    pa->low_mem_virq_th = threshold >> pa->frames->page_shift;
    order = get_order_from_pages(pa->low_mem_virq_th);
    if ((1UL << order) > pa->low_mem_virq_th)
        order--;
    pa->low_mem_virq_th = 1UL << order;
    pa->low_mem_virq_th_order = pa->low_mem_virq_orig_order = order;
    pa->low_mem_virq_high = -1UL;
}

static int check_config(const struct page_alloc *pa,
                        const struct heap_config *cfg, uint64_t xen_frames,
                        char *why, size_t why_len)
{
    if (cfg->max_order < 1 || cfg->max_order > 30) {
        snprintf(why, why_len, "max order %u is outside 1..30", cfg->max_order);
        return -1;
    }
    if (xen_frames && (xen_frames < 2 || xen_frames >= pa->frames->nr_frames / 2)) {
        snprintf(why, why_len, "a separate xenheap of %llu bytes does not fit:"
                 " it must hold 2 frames and at most half of memory",
                 (unsigned long long)cfg->xenheap_bytes);
        return -1;
    }
    if (cfg->xenheap_bits && (xen_frames || cfg->xenheap_bits <=
                              (unsigned)__builtin_ctzl(cfg->page_size))) {
        snprintf(why, why_len, "xenheap bits %u: only for one heap, and "
                 "above the page shift", cfg->xenheap_bits);
        return -1;
    }
    return 0;
}

static int alloc_tables(struct page_alloc *pa, uint32_t nr_frames)
{
    size_t nlists = (size_t)pa->nr_zones * (pa->max_order + 1);
    size_t groups = ((size_t)(nr_frames >> PDX_GROUP_SHIFT) + BITS_PER_LONG) /
                    BITS_PER_LONG;

    pa->frame_table = calloc(nr_frames, pa->frame_stride);
    pa->m2p = malloc((size_t)nr_frames * sizeof *pa->m2p);
    pa->compat_m2p = malloc((size_t)nr_frames * sizeof *pa->compat_m2p);
    pa->pdx_group_valid = calloc(groups, sizeof *pa->pdx_group_valid);
    pa->lists = malloc(nlists * sizeof *pa->lists);
    pa->avail = calloc(pa->nr_zones, sizeof *pa->avail);
    if (!pa->frame_table || !pa->m2p || !pa->compat_m2p || !pa->pdx_group_valid ||
        !pa->lists || !pa->avail)
        return -1;
    for (size_t i = 0; i < nlists; i++)
        pa->lists[i] = (struct free_list){ NO_FRAME, NO_FRAME };
    for (uint32_t g = 0; g <= (nr_frames - 1) >> PDX_GROUP_SHIFT; g++)
        pa->pdx_group_valid[g / BITS_PER_LONG] |= 1UL << (g % BITS_PER_LONG);
    return 0;
}

int page_alloc_init(struct page_alloc *pa, struct frames *f, struct mapper *m,
                    const struct heap_config *cfg, char *why, size_t why_len)
{
    uint64_t xen_frames = cfg->xenheap_bytes / cfg->page_size;

    memset(pa, 0, sizeof *pa);
    pa->frames = f;
    pa->mapper = m;
    pa->max_order = cfg->max_order;
    pa->scrub = cfg->scrub;
    pa->bootscrub = cfg->bootscrub;
    pa->booting = true;
    pa->flush_to_ram = cfg->flush == FLUSH_PER_RANGE;
    pa->xenheap_bits = cfg->xenheap_bits;
    /* Arm64's struct page_info is 56 bytes; x86's and Arm32's 32. */
    pa->frame_stride = cfg->arch == ARCH_ARM64 ? sizeof(struct page_info_arm64)
                                               : sizeof(struct page_info);
    if (check_config(pa, cfg, xen_frames, why, why_len))
        return -1;
    /* A separate xenheap takes frames [0, end): frame 0 never reaches the
     * heap and the last is the buffer, so it holds xen_frames - 1. */
    pa->xenheap_end = xen_frames ? (uint32_t)xen_frames + 1 : 0;
    pa->nr_zones = (cfg->arch == ARCH_X86 ? PADDR_BITS_X86
                    : cfg->arch == ARCH_ARM64 ? PADDR_BITS_ARM64
                    : PADDR_BITS_ARM32) - f->page_shift + 1;   /* NR_ZONES */
    if (alloc_tables(pa, f->nr_frames)) {
        snprintf(why, why_len, "out of memory for the frame table");
        page_alloc_fini(pa);
        return -1;
    }
    /* Frame 0 is never handed out (init_heap_pages keeps MFN 0 away). */
    pa->reserved_frames = 1;
    if (pa->xenheap_end)
        init_xenheap_pages(pa, 0, pa->xenheap_end);
    /* The rest is the boot allocator's until end_boot_allocator. */
    pa->boot_start = pa->xenheap_end ? pa->xenheap_end : 1;
    pa->boot_end = f->nr_frames;
    return 0;
}

/* Xen's alloc_boot_pages(nr, 1): from the top of the (one) boot region.
 * These frames never reach the heap. */
uint32_t alloc_boot_pages(struct page_alloc *pa, uint32_t nr)
{
    if (pa->boot_end - pa->boot_start < nr)
        return NO_FRAME;
    pa->boot_end -= nr;
    pa->reserved_frames += nr;
    return pa->boot_end;
}

/* Xen's end_boot_allocator: what the boot allocator did not hand out goes
 * to the heap. */
void end_boot_allocator(struct page_alloc *pa)
{
    init_heap_pages(pa, pa->boot_start, pa->boot_end);
    pa->boot_start = pa->boot_end;
    setup_low_mem_virq(pa);
}

/* Xen's heap_init_late, then (idle) the idle CPUs' first pass; see
 * page_alloc.h. scrub_heap_pages (on) writes zeros over pages that are
 * zero: nothing of the model changes. */
void heap_init_late(struct page_alloc *pa)
{
    pa->booting = false;
    if (pa->bootscrub == BOOTSCRUB_IDLE)
        scrub_free_pages(pa, true);
}

void page_alloc_fini(struct page_alloc *pa)
{
    free(pa->frame_table);
    free(pa->m2p);
    free(pa->compat_m2p);
    free(pa->pdx_group_valid);
    free(pa->lists);
    free(pa->avail);
    pa->frame_table = NULL;
    pa->m2p = NULL;
    pa->compat_m2p = NULL;
    pa->pdx_group_valid = NULL;
    pa->lists = NULL;
    pa->avail = NULL;
}

/* ---- observations ---- */

static void zone_range(const struct page_alloc *pa, bool xenheap,
                       unsigned *lo, unsigned *hi)
{
    *lo = (xenheap && is_separate_xenheap(pa)) ? MEMZONE_XEN : MEMZONE_XEN + 1;
    *hi = (xenheap && is_separate_xenheap(pa)) ? MEMZONE_XEN : pa->nr_zones - 1;
}

int largest_free_order(struct page_alloc *pa, bool xenheap)
{
    unsigned lo, hi;
    int best = -1;

    zone_range(pa, xenheap, &lo, &hi);
    spin_lock(&pa->heap_lock);
    for (unsigned z = lo; z <= hi; z++)
        for (int o = (int)pa->max_order; o > best; o--)
            if (LIST(pa, z, o)->head != NO_FRAME)
                best = o;
    spin_unlock(&pa->heap_lock);
    return best;
}

uint64_t free_frames(struct page_alloc *pa, bool xenheap)
{
    unsigned lo, hi;
    uint64_t sum = 0;

    zone_range(pa, xenheap, &lo, &hi);
    spin_lock(&pa->heap_lock);
    for (unsigned z = lo; z <= hi; z++)
        sum += pa->avail[z];
    spin_unlock(&pa->heap_lock);
    return sum;
}

#endif /* !PAGE_ALLOC_ARM64 */
