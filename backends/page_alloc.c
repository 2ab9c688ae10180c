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
 *   for MEMF_no_scrub are scrubbed then, after the lock is dropped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/model.h"
#include "backends/page_alloc.h"

#define LIST(pa, zone, order) (&(pa)->lists[(zone) * ((pa)->max_order + 1) + (order)])

static unsigned fls32(uint32_t x)
{
    return x ? 32 - (unsigned)__builtin_clz(x) : 0;
}

static unsigned zone_of(const struct page_alloc *pa, uint32_t frame)
{
    if (frame < pa->xenheap_end)
        return MEMZONE_XEN;
    return fls32(frame);
}

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

/* ---- free lists: doubly linked through the frame table ---- */

static void list_add_head(struct page_alloc *pa, struct free_list *l,
                          uint32_t f)
{
    pa->pg[f].prev = NO_FRAME;
    pa->pg[f].next = l->head;
    if (l->head != NO_FRAME)
        pa->pg[l->head].prev = f;
    else
        l->tail = f;
    l->head = f;
}

static void list_add_tail(struct page_alloc *pa, struct free_list *l,
                          uint32_t f)
{
    pa->pg[f].next = NO_FRAME;
    pa->pg[f].prev = l->tail;
    if (l->tail != NO_FRAME)
        pa->pg[l->tail].next = f;
    else
        l->head = f;
    l->tail = f;
}

static void list_del(struct page_alloc *pa, struct free_list *l, uint32_t f)
{
    struct page_info *p = &pa->pg[f];

    if (p->prev != NO_FRAME)
        pa->pg[p->prev].next = p->next;
    else
        l->head = p->next;
    if (p->next != NO_FRAME)
        pa->pg[p->next].prev = p->prev;
    else
        l->tail = p->prev;
}

static uint32_t list_remove_head(struct page_alloc *pa, struct free_list *l)
{
    uint32_t f = l->head;

    if (f != NO_FRAME)
        list_del(pa, l, f);
    return f;
}

/* Xen's page_list_add_scrub: clean blocks first, dirty ones last. */
static void add_block(struct page_alloc *pa, uint32_t head, unsigned zone,
                      unsigned order, uint32_t first_dirty)
{
    struct free_list *l = LIST(pa, zone, order);

    pa->pg[head].order = (uint8_t)order;
    pa->pg[head].first_dirty = first_dirty;
    if (first_dirty != INVALID_DIRTY_IDX)
        list_add_tail(pa, l, head);
    else
        list_add_head(pa, l, head);
}

/* ---- allocation ---- */

static uint32_t get_free_buddy(struct page_alloc *pa, unsigned zone_lo,
                               unsigned zone_hi, unsigned order,
                               unsigned memflags)
{
    bool use_unscrubbed = memflags & MEMF_no_scrub;
    unsigned zone = zone_hi;

    do {
        if (pa->avail[zone] < (1ULL << order))
            continue;
        for (unsigned j = order; j <= pa->max_order; j++) {
            struct free_list *l = LIST(pa, zone, j);
            uint32_t head = list_remove_head(pa, l);

            if (head == NO_FRAME)
                continue;
            if (pa->pg[head].first_dirty == INVALID_DIRTY_IDX)
                return head;
            /* Xen grabs single pages even when dirty: scrubbing one page
             * is cheaper than breaking a larger block. */
            if (order == 0 || use_unscrubbed)
                return head;
            list_add_tail(pa, l, head);
        }
    } while (zone-- > zone_lo);
    return NO_FRAME;
}

/* Halves the block at head down to order; returns the frame served. */
static uint32_t split_block(struct page_alloc *pa, uint32_t head,
                            unsigned order)
{
    unsigned zone = pa->pg[head].zone;
    unsigned buddy_order = pa->pg[head].order;
    uint32_t first_dirty = pa->pg[head].first_dirty;

    while (buddy_order != order) {
        uint32_t half;

        buddy_order--;
        half = 1u << buddy_order;
        add_block(pa, head, zone, buddy_order,
                  half > first_dirty ? first_dirty : INVALID_DIRTY_IDX);
        head += half;
        if (first_dirty != INVALID_DIRTY_IDX)
            first_dirty = first_dirty >= half ? first_dirty - half : 0;
    }
    return head;
}

static void scrub_one_page(struct page_alloc *pa, uint32_t frame)
{
    memset(frame_to_view(pa->frames, frame), 0, pa->frames->page_size);
    stat_add(&pa->scrubbed_pages, 1);
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

static uint32_t alloc_heap_pages(struct page_alloc *pa, unsigned zone_lo,
                                 unsigned zone_hi, unsigned order,
                                 unsigned memflags)
{
    uint32_t head, n;
    bool dirty = false;

    if (order > pa->max_order)
        return NO_FRAME;
    n = 1u << order;

    spin_lock(&pa->heap_lock);
    head = get_free_buddy(pa, zone_lo, zone_hi, order, memflags);
    if (head == NO_FRAME && !(memflags & MEMF_no_scrub))
        head = get_free_buddy(pa, zone_lo, zone_hi, order,
                              memflags | MEMF_no_scrub);
    if (head == NO_FRAME) {
        spin_unlock(&pa->heap_lock);
        return NO_FRAME;
    }
    dirty = pa->pg[head].first_dirty != INVALID_DIRTY_IDX;
    pa->avail[pa->pg[head].zone] -= n;
    head = split_block(pa, head, order);
    for (uint32_t i = 0; i < n; i++)
        pa->pg[head + i].state = PGS_INUSE;
    pa->pg[head].count = 0;
    charge(pa, n, memflags);
    if (pa->flush_to_ram)        /* Arm: clean and invalidate each page */
        stat_add(&pa->flushed_to_ram, n);
    spin_unlock(&pa->heap_lock);

    /* As in Xen, scrubbing happens outside the lock. */
    if (dirty) {
        for (uint32_t i = 0; i < n; i++) {
            struct page_info *p = &pa->pg[head + i];

            if (!p->need_scrub)
                continue;
            p->need_scrub = 0;
            if (!(memflags & MEMF_no_scrub))
                scrub_one_page(pa, head + i);
        }
    }
    return head;
}

/* ---- free ---- */

static bool is_free_buddy(const struct page_alloc *pa, uint32_t f,
                          unsigned order, unsigned zone)
{
    return f < pa->frames->nr_frames && pa->pg[f].state == PGS_FREE &&
           pa->pg[f].order == order && pa->pg[f].zone == zone;
}

/* Merges the free block at head with its buddies and lists it. Caller holds
 * the lock and has marked the pages free. */
static void merge_and_add(struct page_alloc *pa, uint32_t head,
                          unsigned order)
{
    unsigned zone = pa->pg[head].zone;

    while (order < pa->max_order) {
        uint32_t mask = 1u << order;
        uint32_t buddy = (head & mask) ? head - mask : head + mask;
        uint32_t lo, hi;

        if (!is_free_buddy(pa, buddy, order, zone))
            break;
        list_del(pa, LIST(pa, zone, order), buddy);
        lo = head < buddy ? head : buddy;
        hi = head < buddy ? buddy : head;
        /* The merged block is dirty from the first dirty page of either. */
        if (pa->pg[lo].first_dirty == INVALID_DIRTY_IDX &&
            pa->pg[hi].first_dirty != INVALID_DIRTY_IDX)
            pa->pg[lo].first_dirty = mask + pa->pg[hi].first_dirty;
        head = lo;
        order++;
    }
    add_block(pa, head, zone, order, pa->pg[head].first_dirty);
}

static void free_heap_pages(struct page_alloc *pa, uint32_t head,
                            unsigned order, bool need_scrub, unsigned memflags)
{
    uint32_t n = 1u << order;

    spin_lock(&pa->heap_lock);
    for (uint32_t i = 0; i < n; i++) {
        pa->pg[head + i].state = PGS_FREE;
        if (need_scrub)
            pa->pg[head + i].need_scrub = 1;
    }
    pa->pg[head].first_dirty = need_scrub ? 0 : INVALID_DIRTY_IDX;
    pa->avail[pa->pg[head].zone] += n;
    charge(pa, -(int64_t)n, memflags);
    merge_and_add(pa, head, order);
    spin_unlock(&pa->heap_lock);
}

/* ---- Xen's entry points ---- */

uint32_t alloc_domheap_pages(struct page_alloc *pa, unsigned order,
                             unsigned memflags)
{
    return alloc_heap_pages(pa, MEMZONE_XEN + 1, pa->nr_zones - 1, order,
                            memflags);
}

void free_domheap_pages(struct page_alloc *pa, uint32_t frame,
                        unsigned order)
{
    /* Anonymous domheap pages are scrubbed before reuse. */
    free_heap_pages(pa, frame, order, pa->scrub, 0);
}

void free_overhead_pages(struct page_alloc *pa, uint32_t frame,
                         unsigned order)
{
    free_heap_pages(pa, frame, order, false, MEMF_overhead);
}

void *alloc_xenheap_pages(struct page_alloc *pa, unsigned order,
                          unsigned memflags)
{
    unsigned lo = is_separate_xenheap(pa) ? MEMZONE_XEN : MEMZONE_XEN + 1;
    unsigned hi = is_separate_xenheap(pa) ? MEMZONE_XEN : pa->nr_zones - 1;
    uint32_t frame = alloc_heap_pages(pa, lo, hi, order,
                                      memflags | MEMF_no_scrub);
    void *va;

    if (frame == NO_FRAME)
        return NULL;
    va = frame_to_virt(pa->frames, frame);
    /* Without a directmap the pages must be mapped before use
     * (CONFIG_ONDEMAND_DIRECTMAP). */
    if (!pa->frames->directmap_on &&
        map_frames(pa->mapper, va, frame, 1u << order) != 0) {
        /* Handed out unscrubbed, they go back as a free would leave them. */
        free_heap_pages(pa, frame, order, pa->scrub && !is_separate_xenheap(pa),
                        memflags);
        return NULL;
    }
    return va;
}

void free_xenheap_pages(struct page_alloc *pa, void *v, unsigned order)
{
    if (!v)
        return;
    if (!pa->frames->directmap_on)
        unmap_pages(pa->mapper, v, 1u << order);
    /* The one-heap layout scrubs freed xenheap pages; Arm32's separate
     * xenheap does not. */
    free_heap_pages(pa, virt_to_frame(pa->frames, v), order,
                    pa->scrub && !is_separate_xenheap(pa), 0);
}

/* ---- set-up ---- */

/* Hands [s, e) to the heap in the largest aligned chunks that fit, as Xen's
 * init_heap_pages does; each chunk then merges with its buddies. */
static void init_heap_pages(struct page_alloc *pa, uint32_t s, uint32_t e)
{
    while (s < e) {
        unsigned order = fls32(e - s) - 1;
        unsigned low = (unsigned)__builtin_ctz(s);

        if (order > pa->max_order)
            order = pa->max_order;
        if (order > low)
            order = low;
        for (uint32_t i = 0; i < (1u << order); i++)
            pa->pg[s + i].state = PGS_FREE;
        pa->pg[s].first_dirty = INVALID_DIRTY_IDX;
        pa->avail[pa->pg[s].zone] += 1u << order;
        merge_and_add(pa, s, order);
        s += 1u << order;
    }
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
    return 0;
}

int page_alloc_init(struct page_alloc *pa, struct frames *f, struct mapper *m,
                    const struct heap_config *cfg, char *why, size_t why_len)
{
    uint64_t xen_frames = cfg->xenheap_bytes / cfg->page_size;
    size_t nlists;

    memset(pa, 0, sizeof *pa);
    pa->frames = f;
    pa->mapper = m;
    pa->max_order = cfg->max_order;
    pa->scrub = cfg->scrub;
    pa->flush_to_ram = cfg->flush == FLUSH_PER_RANGE;
    if (check_config(pa, cfg, xen_frames, why, why_len))
        return -1;
    /* Frame 0 stays out of the heap; the xenheap starts right after it. */
    pa->xenheap_end = xen_frames ? (uint32_t)xen_frames + 1 : 0;
    pa->nr_zones = fls32(f->nr_frames - 1) + 1;
    nlists = (size_t)pa->nr_zones * (pa->max_order + 1);
    pa->pg = calloc(f->nr_frames, sizeof *pa->pg);
    pa->lists = malloc(nlists * sizeof *pa->lists);
    pa->avail = calloc(pa->nr_zones, sizeof *pa->avail);
    if (!pa->pg || !pa->lists || !pa->avail) {
        snprintf(why, why_len, "out of memory for the frame table");
        page_alloc_fini(pa);
        return -1;
    }
    for (size_t i = 0; i < nlists; i++)
        pa->lists[i] = (struct free_list){ NO_FRAME, NO_FRAME };
    for (uint32_t i = 0; i < f->nr_frames; i++)
        pa->pg[i].zone = (uint8_t)zone_of(pa, i);
    if (pa->xenheap_end) {
        init_heap_pages(pa, 1, pa->xenheap_end);
        init_heap_pages(pa, pa->xenheap_end, f->nr_frames);
    } else {
        init_heap_pages(pa, 1, f->nr_frames);
    }
    return 0;
}

void page_alloc_fini(struct page_alloc *pa)
{
    free(pa->pg);
    free(pa->lists);
    free(pa->avail);
    pa->pg = NULL;
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

size_t free_block_census(struct page_alloc *pa, uint32_t *out, size_t n)
{
    size_t nlists = (size_t)pa->nr_zones * (pa->max_order + 1);

    spin_lock(&pa->heap_lock);
    for (size_t i = 0; i < nlists && i < n; i++) {
        uint32_t count = 0;

        for (uint32_t f = pa->lists[i].head; f != NO_FRAME; f = pa->pg[f].next)
            count++;
        out[i] = count;
    }
    spin_unlock(&pa->heap_lock);
    return nlists;
}

/* Walks one list, checking links, heads and that every page of every block
 * is free. Returns the frames the list holds, or -1. */
static int64_t check_list(struct page_alloc *pa, unsigned zone, unsigned order,
                          char *why, size_t why_len)
{
    struct free_list *l = LIST(pa, zone, order);
    uint32_t prev = NO_FRAME;
    int64_t frames = 0;

    for (uint32_t f = l->head; f != NO_FRAME; prev = f, f = pa->pg[f].next) {
        struct page_info *p = &pa->pg[f];

        if (p->prev != prev || p->order != order || p->zone != zone ||
            (f & ((1u << order) - 1)) || f + (1u << order) > pa->frames->nr_frames) {
            snprintf(why, why_len, "free list [zone %u][order %u]: bad block "
                     "at frame %u", zone, order, f);
            return -1;
        }
        for (uint32_t i = 0; i < (1u << order); i++)
            if (pa->pg[f + i].state != PGS_FREE || pa->pg[f + i].zone != zone) {
                snprintf(why, why_len, "frame %u inside free block %u/%u is "
                         "not free", f + i, f, order);
                return -1;
            }
        if (order < pa->max_order &&
            is_free_buddy(pa, f ^ (1u << order), order, zone)) {
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

int page_alloc_check(struct page_alloc *pa, char *why, size_t why_len)
{
    int rc = 0;
    uint64_t free_total = 0;

    spin_lock(&pa->heap_lock);
    for (unsigned z = 0; z < pa->nr_zones && !rc; z++) {
        int64_t zone_frames = 0;

        for (unsigned o = 0; o <= pa->max_order && !rc; o++) {
            int64_t n = check_list(pa, z, o, why, why_len);

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
    if (!rc && free_total + pa->frames_in_use + 1 != pa->frames->nr_frames) {
        snprintf(why, why_len, "%llu free + %llu in use + frame 0 != %u frames",
                 (unsigned long long)free_total,
                 (unsigned long long)pa->frames_in_use, pa->frames->nr_frames);
        rc = -1;
    }
    spin_unlock(&pa->heap_lock);
    return rc;
}
