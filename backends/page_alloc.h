/*
 * The page allocator: Xen's binary buddy allocator over frames
 * (xen/common/page_alloc.c), with its entry points alloc_xenheap_pages,
 * alloc_domheap_pages and their frees.
 *
 * Free lists are per [zone][order]; zone k holds frames [2^(k-1), 2^k), and
 * frame 0 is kept out so that buddies never merge across a zone boundary.
 * With a separate xenheap (Arm32) its frames form zone 0, MEMZONE_XEN.
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

#define MEMZONE_XEN        0
#define INVALID_DIRTY_IDX  UINT32_MAX

enum page_state { PGS_RESERVED, PGS_FREE, PGS_INUSE };

/* One per frame: Xen's frame table, kept apart from the frames themselves. */
struct page_info {
    uint32_t next, prev;    /* free list links; NO_FRAME ends a list */
    uint32_t first_dirty;   /* free block head: first page that needs scrub */
    uint32_t count;         /* in use: PFN_ORDER, free for the user's use */
    uint8_t  order;         /* free block head: the block's order */
    uint8_t  state;         /* enum page_state */
    uint8_t  need_scrub;    /* the frame holds a previous owner's data */
    uint8_t  zone;
};

struct free_list {
    uint32_t head, tail;
};

struct page_alloc {
    struct frames    *frames;
    struct mapper    *mapper;
    struct page_info *pg;        /* [nr_frames] */
    struct free_list *lists;     /* [nr_zones][max_order + 1] */
    uint64_t         *avail;     /* free frames per zone */
    unsigned          nr_zones, max_order;
    uint32_t          xenheap_end;  /* separate xenheap: frames [1, end) */
    bool              scrub;
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

static inline struct page_info *virt_to_page(struct page_alloc *pa,
                                             const void *v)
{
    return &pa->pg[virt_to_frame(pa->frames, v)];
}

/* Observations for figures and checks, each taken under the lock. */
int      largest_free_order(struct page_alloc *pa, bool xenheap);
uint64_t free_frames(struct page_alloc *pa, bool xenheap);
bool     is_separate_xenheap(const struct page_alloc *pa);

/* Counts of free blocks per [zone][order], for comparing two moments. */
size_t   free_block_census(struct page_alloc *pa, uint32_t *out, size_t n);

/* Checks every invariant of the lists; 0, or -1 with the first fault. */
int      page_alloc_check(struct page_alloc *pa, char *why, size_t why_len);

#endif
