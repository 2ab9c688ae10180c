/*
 * The TLSF pool behind xmalloc: Xen's xmem_pool (xen/common/xmalloc_tlsf.c),
 * with its LP64 parameters, class mapping, split and coalesce rules.
 *
 * The pool knows nothing of pages: it asks get_mem for a region of
 * grow_size bytes when no free block fits, and hands a region back through
 * put_mem as soon as it is wholly free.
 */
#ifndef XHEAP_TLSF_H
#define XHEAP_TLSF_H

#include <stdint.h>

#include "backends/lock.h"

/* Xen's parameters on LP64, each as xmalloc_tlsf.c defines it. */
#define MEM_ALIGN       16u   /* 2 * sizeof(void *): every block is aligned so */
#define MAX_FLI         30    /* first-level lists cover sizes below 2^30 */
#define MAX_LOG2_SLI    5
#define MAX_SLI         (1 << MAX_LOG2_SLI)  /* 32 second-level lists each */
#define FLI_OFFSET      6     /* sizes below 2^(6+1) share first level 0 */
#define SMALL_BLOCK     128u  /* below it, second level is size / 4 */
#define REAL_FLI        (MAX_FLI - FLI_OFFSET)
#define MIN_BLOCK_SIZE  16u   /* room for the free-list links */
#define BHDR_OVERHEAD   16u   /* prev_hdr + size (+ padding) before the data */

/* Bits 0 and 1 of a block's size word. */
#define FREE_BLOCK      0x1u  /* this block is free */
#define PREV_FREE       0x2u  /* the block before it is free */
#define BLOCK_SIZE_MASK (0xFFFFFFFFu - 7u)

struct bhdr;

typedef void *(*xmem_get_memory)(void *ctx, unsigned long bytes);
typedef void  (*xmem_put_memory)(void *ctx, void *region);

struct xmem_pool {
    uint32_t fl_bitmap;                      /* REAL_FLI bits */
    uint32_t sl_bitmap[REAL_FLI];
    struct bhdr *matrix[REAL_FLI][MAX_SLI];  /* free lists, LIFO */
    spinlock_t lock;
    unsigned long max_size;                  /* 0: no limit */
    unsigned long grow_size;
    unsigned long used_size;
    unsigned long num_regions;
    xmem_get_memory get_mem;
    xmem_put_memory put_mem;
    void *ctx;
};

/* Sets up a pool in memory the caller provides (Xen takes it from the
 * xenheap); sizes are rounded up to page_size. */
void xmem_pool_init(struct xmem_pool *pool, xmem_get_memory get,
                    xmem_put_memory put, void *ctx, unsigned long max_size,
                    unsigned long grow_size, unsigned long page_size);

void *xmem_pool_alloc(unsigned long size, struct xmem_pool *pool);
void  xmem_pool_free(void *ptr, struct xmem_pool *pool);

/* Largest block a region can hold: grow_size less the two headers. */
unsigned long xmem_pool_maxalloc(const struct xmem_pool *pool);

/* The class a request of *size bytes is served from: rounds *size up to
 * the class and gives its (fl, sl). Exposed for tests. */
void tlsf_mapping_search(unsigned long *size, int *fl, int *sl);
/* The list a free block of size bytes is filed under. */
void tlsf_mapping_insert(unsigned long size, int *fl, int *sl);

/* Alignment padding inside a block: a fake free header before the
 * pointer returned to the caller, as xmalloc does. */
void *tlsf_add_padding(void *p, unsigned long align);
void *tlsf_strip_padding(void *p);
/* The usable size of the block whose (unpadded) data starts at p. */
unsigned long tlsf_block_size(const void *p);

/* Checks bitmaps against lists and every listed block; 0 or -1. */
int xmem_pool_check(struct xmem_pool *pool, char *why, unsigned long why_len);

#endif
