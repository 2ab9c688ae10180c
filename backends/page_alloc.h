/*
 * The page allocator: Xen's binary buddy allocator over frames
 * (xen/common/page_alloc.c), with its entry points alloc_xenheap_pages,
 * alloc_domheap_pages and their frees.
 *
 * Free lists are per [zone][order]; zone k holds frames [2^(k-1), 2^k), and
 * frame 0 is kept out so that buddies never merge across a zone boundary.
 * With a separate xenheap (Arm32) its frames form zone 0, MEMZONE_XEN,
 * ending in a buffer frame that never enters the heap.
 * One lock guards everything, as heap_lock does in Xen; there are no
 * per-CPU caches.
 */
#ifndef XHEAP_PAGE_ALLOC_H
#define XHEAP_PAGE_ALLOC_H

#include <stdbool.h>
#include <stdint.h>

#include "backends/frames.h"
#include "backends/lock.h"
#include "backends/mapping.h"

#define MEMF_no_scrub   (1u << 0)  /* hand dirty pages out unscrubbed */
#define MEMF_overhead   (1u << 1)  /* model only: charged to no allocation */
/* Xen's MEMF_bits(n): only frames below an address width of n bits. */
#define _MEMF_bits      24
#define MEMF_bits(n)    ((unsigned)(n) << _MEMF_bits)

#define MEMZONE_XEN        0
#define INVALID_DIRTY_IDX  UINT32_MAX

/*
 * count_info bits of x86_64 Xen (asm/mm.h, PG_mask/PG_shift): flags at the
 * top of the word, the reference count below them.
 */
#define PG_SHIFT(idx)        (64 - (idx))
#define PG_MASK(x, idx)      ((unsigned long)(x) << PG_SHIFT(idx))
#define _PGC_xen_heap        PG_SHIFT(2)
#define PGC_xen_heap         PG_MASK(1, 2)
#define PGC_broken           PG_MASK(1, 4)
#define PGC_state            PG_MASK(3, 6)
#define PGC_state_inuse      PG_MASK(0, 6)
#define PGC_state_free       PG_MASK(3, 6)
#define _PGC_need_scrub      PG_SHIFT(7)
#define PGC_need_scrub       PG_MASK(1, 7)

/* v.free.scrub_state of a free block's head (page_alloc.c). */
#define BUDDY_NOT_SCRUBBING  0
#define BUDDY_SCRUBBING      1

/* A frame's state as the model's checks ask it, read from count_info as
 * Xen's page_state_is() does. Frames outside the heap (frame 0) read as
 * in use: Xen's count_info cannot tell them apart either. */
enum page_state { PGS_FREE, PGS_INUSE };

/*
 * One per frame, in Xen's x86_64 layout and size (struct page_info in
 * xen/arch/x86/include/asm/mm.h, 32 bytes without CONFIG_BIGMEM): the
 * frame table the hot paths walk page by page. x86 links free lists by
 * pdx, in 32-bit fields (page_list_entry in asm/mm.h).
 */
struct page_list_entry {
    uint32_t next, prev;    /* frame numbers (pdx); NO_FRAME ends a list */
};

struct page_info {
    struct page_list_entry list;
    unsigned long count_info;           /* PGC_* flags and reference count */
    union {
        struct {
            unsigned long type_info;    /* PGT_*: 0 for the heap's pages */
        } inuse;
        union {
            struct {
                uint32_t first_dirty;   /* first page that may need scrub */
                bool     need_tlbflush;
                uint8_t  scrub_state;   /* BUDDY_* */
            };
            unsigned long val;
        } free;
    } u;
    union {
        struct {
            uint32_t _domain;           /* owner: 0, the heap has none */
        } inuse;
        struct {
            uint32_t order;             /* free block head: its order */
        } free;
    } v;
    uint32_t tlbflush_timestamp;
};

_Static_assert(sizeof(struct page_info) == 32, "x86_64 struct page_info");

/*
 * Arm's struct page_info (xen/arch/arm/include/asm/mm.h, PAGE_INFO_SIZE)
 * links free lists with a list_head of two pointers (xen/mm.h defines
 * page_list_entry as list_head where the arch does not): 16 bytes on
 * Arm64, then count_info 8, u 8, v 8 (a struct domain pointer or the
 * order), tlbflush_timestamp 4 and a hole of 4, and a u64 pad: 56 bytes.
 * On Arm32 the same fields are 8 + 4 + 4 + 4 + 4, and the u64 pad,
 * 8-aligned, ends it at 32: x86's size, so --arch arm32 keeps x86's
 * entry. What the per-page loops cost is the stride they walk: Arm64's
 * entry is modelled as x86's fields padded to 56 bytes, so that the same
 * code reads the same fields (at offsets 8 bytes apart from Arm's, which
 * changes nothing the loops touch per page). Arm's PGC_* bits sit
 * elsewhere in count_info (need_scrub bit 59, broken 57, state 55-56,
 * where x86 has 57, 60 and 58-59; xen_heap 62 on both): other constants
 * in the same word, the same instructions, so the model keeps x86's.
 * The entry does not change placement.
 */
#define PAGE_INFO_SIZE_ARM64 56

struct page_info_arm64 {
    struct page_info x;     /* first: a pointer to the entry is one to x */
    uint8_t arm_pad[PAGE_INFO_SIZE_ARM64 - sizeof(struct page_info)];
};

_Static_assert(sizeof(struct page_info_arm64) == PAGE_INFO_SIZE_ARM64,
               "Arm64 struct page_info");

/* Xen's PFN_ORDER: a free block's order; xmalloc keeps a whole-pages
 * block's page count there too. */
#define PFN_ORDER(pg) ((pg)->v.free.order)

static inline enum page_state page_state(const struct page_info *pg)
{
    return (pg->count_info & PGC_state) == PGC_state_free ? PGS_FREE
                                                         : PGS_INUSE;
}

static inline bool page_needs_scrub(const struct page_info *pg)
{
    return pg->count_info & PGC_need_scrub;
}

struct free_list {
    uint32_t head, tail;
};

struct page_alloc {
    struct frames    *frames;
    struct mapper    *mapper;
    void             *frame_table; /* [nr_frames] entries of frame_stride
                                      bytes: frame_page() */
    size_t            frame_stride; /* sizeof the arch's struct page_info */
    uint64_t         *m2p;       /* [nr_frames]: machine_to_phys_mapping */
    uint32_t         *compat_m2p;/* [nr_frames]: its 32-bit PV twin */
    unsigned long    *pdx_group_valid;  /* one bit per 512 frames */
    struct free_list *lists;     /* [nr_zones][max_order + 1] */
    unsigned long    *avail;     /* free frames per zone (one node) */
    unsigned long     total_avail_pages, node_avail_pages;
    unsigned long     node_need_scrub;    /* dirty free frames */
    unsigned long     outstanding_claims; /* none: no domain claims */
    unsigned long     low_mem_virq_th, low_mem_virq_high, low_mem_virqs;
    unsigned          low_mem_virq_th_order, low_mem_virq_orig_order;
    unsigned          nr_zones, max_order;
    uint32_t          xenheap_end;  /* separate xenheap: frames [0, end) */
    uint32_t          boot_start, boot_end;  /* the boot allocator's frames */
    uint32_t          reserved_frames;  /* never in the heap: frame 0, boot
                                           pages, the xenheap's buffer */
    unsigned          xenheap_bits; /* one heap: 0, or xenheap frames lie
                                       below this address width */
    bool              scrub;
    enum bootscrub_mode bootscrub;
    bool              booting;      /* Xen's system_state < SYS_STATE_active */
    spinlock_t        heap_lock;
    uint64_t          frames_in_use, peak_frames, overhead_frames;
    uint64_t          caller_frames;  /* frames_in_use less overhead_frames */
    uint64_t          scrubbed_pages;
    bool              flush_to_ram;    /* Arm rules: flush_page_to_ram */
    uint64_t          flushed_to_ram;  /* pages it was called for */
};

int  page_alloc_init(struct page_alloc *pa, struct frames *f,
                     struct mapper *m, const struct heap_config *cfg,
                     char *why, size_t why_len);
void page_alloc_fini(struct page_alloc *pa);

/* Boot: page_alloc_init leaves all domheap frames to the boot allocator
 * (a separate xenheap goes to the heap at once, init_xenheap_pages);
 * end_boot_allocator hands what is left to the heap, as Xen's setup does
 * after vm_init. */
uint32_t alloc_boot_pages(struct page_alloc *pa, uint32_t nr);
void     end_boot_allocator(struct page_alloc *pa);

/*
 * The end of boot: Xen's heap_init_late and the first pass of its idle
 * scrubber, which is the model's start state. Until then memory reaches
 * the heap as bootscrub says (init_heap_pages): with idle, dirty, at the
 * tails of the free lists; with on or off, clean, at their heads. Then,
 * after every boot allocation (the pool descriptor among them):
 * - on: scrub_heap_pages zeroes every free page in place; the lists stay
 *   as they are;
 * - idle: the idle CPUs' scrub_free_pages runs until no dirty page is
 *   left, moving each block from a tail to a head: every list ends in
 *   ascending address order, the reverse of on and off. Xen's idle CPUs do
 *   that right after boot, before any workload could run.
 * The model's frames are zero until a caller writes them (frames_init), so
 * both boot scrubs leave page contents as they are, without touching (and
 * so committing) every host page: what they change is the flags and the
 * lists. Neither counts in scrubbed_pages, which counts the run's.
 */
void     heap_init_late(struct page_alloc *pa);

/* Xen's entry points. Frames are returned by number, or NO_FRAME. */
uint32_t alloc_domheap_pages(struct page_alloc *pa, unsigned order,
                             unsigned memflags);
void     free_domheap_pages(struct page_alloc *pa, uint32_t frame,
                            unsigned order);
void    *alloc_xenheap_pages(struct page_alloc *pa, unsigned order,
                             unsigned memflags);
void     free_xenheap_pages(struct page_alloc *pa, void *v, unsigned order);

/* Model only: gives back frames taken with MEMF_overhead. */
void     free_overhead_pages(struct page_alloc *pa, uint32_t frame,
                             unsigned order);

/* Xen's get_order_from_bytes / get_order_from_pages. */
unsigned get_order_from_bytes(const struct page_alloc *pa, uint64_t bytes);
unsigned get_order_from_pages(uint64_t pages);

/* Frame f's entry. page_alloc.c's own paths are compiled once for each
 * entry size (page_alloc_arm64.c), with the stride a constant; this is
 * for everyone else, who touches an entry or two per call. */
static inline struct page_info *frame_page(const struct page_alloc *pa,
                                           uint32_t f)
{
    if (__builtin_expect(pa->frame_stride == sizeof(struct page_info), 1))
        return (struct page_info *)pa->frame_table + f;
    return &((struct page_info_arm64 *)pa->frame_table)[f].x;
}

static inline struct page_info *virt_to_page(struct page_alloc *pa,
                                             const void *v)
{
    return frame_page(pa, virt_to_frame(pa->frames, v));
}

/* The frame table's stride: 32 (x86, Arm32) or 56 (Arm64). */
size_t   page_info_size(const struct page_alloc *pa);

/* Observations for figures and checks, each taken under the lock. */
int      largest_free_order(struct page_alloc *pa, bool xenheap);
uint64_t free_frames(struct page_alloc *pa, bool xenheap);
bool     is_separate_xenheap(const struct page_alloc *pa);

/* Xen's scrub_free_pages, until no dirty free page is left. */
void     page_alloc_idle_scrub(struct page_alloc *pa);

/* Counts of free blocks per [zone][order], for comparing two moments. */
size_t   free_block_census(struct page_alloc *pa, uint32_t *out, size_t n);

/* Checks every invariant of the lists; 0, or -1 with the first fault. */
int      page_alloc_check(struct page_alloc *pa, char *why, size_t why_len);

#endif
