/*
 * The TLSF pool behind xmalloc and xmalloc itself: Xen's
 * xen/common/xmalloc_tlsf.c, its class mapping, split and coalesce rules,
 * alignment padding and whole-pages path.
 *
 * Xen's pool lays its headers out with the machine's pointers: MEM_ALIGN
 * is 2 * sizeof(void *) and a block header holds two pointers and a 32-bit
 * size. So on LP64 (x86_64, arm64) headers are 16 bytes before the data
 * and blocks 16-aligned, on arm32 8 and 8, and every placement differs.
 * backends/tlsf.c is written once and compiled twice, once per layout
 * (backends/tlsf_arm32.c is the second); a model picks its layout when it
 * is made (xmalloc_init), so the calls themselves never ask which.
 *
 * The pool knows nothing of pages: it asks get_mem for a region of
 * grow_size bytes when no free block fits, and hands a region back through
 * put_mem as soon as it is wholly free.
 */
#ifndef XHEAP_TLSF_H
#define XHEAP_TLSF_H

#include <stddef.h>

struct xen_model;

/* Xen's parameters that no layout changes, each as xmalloc_tlsf.c has it. */
#define MAX_FLI         30    /* first-level lists cover sizes below 2^30 */
#define MAX_LOG2_SLI    5
#define MAX_SLI         (1 << MAX_LOG2_SLI)  /* 32 second-level lists each */
#define FLI_OFFSET      6     /* sizes below 2^(6+1) share first level 0 */
#define SMALL_BLOCK     128u  /* below it, second level is size / 4 */
#define REAL_FLI        (MAX_FLI - FLI_OFFSET)

/* Bits 0 and 1 of a block's size word. */
#define FREE_BLOCK      0x1u  /* this block is free */
#define PREV_FREE       0x2u  /* the block before it is free */

static inline int flsl_(unsigned long x)
{
    return x ? 64 - __builtin_clzl(x) : 0;
}

/* Xen's MAPPING_SEARCH: the class a request of *r bytes is served from;
 * rounds *r up to the class so that any block listed there is large
 * enough (good fit, not best fit). Sizes below 2^32, the only ones a pool
 * sees, map alike with 32- and 64-bit unsigned long. */
static inline void tlsf_mapping_search(unsigned long *r, int *fl, int *sl)
{
    unsigned long t;

    if (*r < SMALL_BLOCK) {
        *fl = 0;
        *sl = (int)(*r / (SMALL_BLOCK / MAX_SLI));
        return;
    }
    t = (1UL << (flsl_(*r) - 1 - MAX_LOG2_SLI)) - 1;
    *r += t;
    *fl = flsl_(*r) - 1;
    *sl = (int)((*r >> (*fl - MAX_LOG2_SLI)) - MAX_SLI);
    *fl -= FLI_OFFSET;
    *r &= ~t;
}

/* Xen's MAPPING_INSERT: the list a free block of r bytes is filed under. */
static inline void tlsf_mapping_insert(unsigned long r, int *fl, int *sl)
{
    if (r < SMALL_BLOCK) {
        *fl = 0;
        *sl = (int)(r / (SMALL_BLOCK / MAX_SLI));
        return;
    }
    *fl = flsl_(r) - 1;
    *sl = (int)((r >> (*fl - MAX_LOG2_SLI)) - MAX_SLI);
    *fl -= FLI_OFFSET;
}

/* One layout of xmalloc_tlsf.c: its sizes, and its entry points on a model
 * (m->xenpool is that layout's struct xmem_pool). */
/* Where the pool gets a region (xmem_pool_create's get_mem): called with
 * the pool lock dropped. */
typedef void *(*xmem_get_memory)(void *ctx, unsigned long bytes);

struct tlsf_layout {
    const char *name;              /* "lp64" or "arm32" */
    unsigned ptr_bytes;            /* sizeof(void *) of that Xen */
    unsigned mem_align;            /* MEM_ALIGN: alignment of every block */
    unsigned bhdr_overhead;        /* BHDR_OVERHEAD: header before the data */
    unsigned min_block_size;       /* MIN_BLOCK_SIZE: the free-list links */
    unsigned bhdr_size;            /* sizeof(struct bhdr): the least rest a
                                      split leaves */
    size_t   pool_bytes;           /* the pool descriptor, as the model lays
                                      it out (tlsf_init's pages hold it) */

    int   (*init)(struct xen_model *m, char *why, size_t why_len);
    void *(*xmalloc)(struct xen_model *m, unsigned long size,
                     unsigned long align);
    void *(*xzalloc)(struct xen_model *m, unsigned long size,
                     unsigned long align);
    void *(*xrealloc)(struct xen_model *m, void *ptr, unsigned long size,
                      unsigned long align);
    void  (*xfree)(struct xen_model *m, void *p);

    /* The pool's sizes: grow_size, xmem_pool_maxalloc, used_size (bytes
     * held for callers, headers and sentinels included), num_regions. */
    unsigned long (*grow_size)(const struct xen_model *m);
    unsigned long (*maxalloc)(const struct xen_model *m);
    unsigned long (*used)(const struct xen_model *m);
    unsigned long (*regions)(const struct xen_model *m);
    /* Where the block of a (padded) pointer starts, and its usable size. */
    void *(*strip_padding)(void *p);
    unsigned long (*block_size)(const void *block);
    /* Bitmaps against lists and every listed block; 0 or -1. */
    int   (*check)(struct xen_model *m, char *why, size_t why_len);
    /* Tests only (tests/soak.c's hostile rounds): puts FN in the pool's
     * get_mem, returns what was there. */
    xmem_get_memory (*swap_get_mem)(struct xen_model *m, xmem_get_memory fn);
};

extern const struct tlsf_layout tlsf_lp64, tlsf_arm32;

#endif
