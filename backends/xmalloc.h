/*
 * xmalloc, xzalloc, xrealloc and xfree, as xen/common/xmalloc_tlsf.c glues
 * them onto the TLSF pool and the page allocator:
 *
 * - Size 0 returns ZERO_BLOCK_PTR, a non-NULL pointer to nothing.
 * - The size grows by (align - MEM_ALIGN) for worst-case padding; if that
 *   is below PAGE_SIZE the pool is tried, and when the pool fails the
 *   request falls through to whole pages.
 * - Whole pages: 2^order pages from alloc_xenheap_pages, the tail past the
 *   requested pages freed again in ascending power-of-two pieces, the page
 *   count kept in the first page's frame-table entry.
 * - xfree tells the two apart by page alignment: pool blocks never are.
 *
 * The code is backends/tlsf.c, in the layout the model was made with
 * (m->tlsf: LP64's or arm32's); these calls go straight to it. align 0
 * means the layout's MEM_ALIGN.
 */
#ifndef XHEAP_XMALLOC_H
#define XHEAP_XMALLOC_H

#include "backends/model.h"
#include "backends/tlsf.h"

#define ZERO_BLOCK_PTR ((void *)-1L)

/* Picks the layout (cfg.ptr_bytes 4: arm32's) and makes the pool. */
int xmalloc_init(struct xen_model *m, char *why, size_t why_len);

static inline void *_xmalloc(struct xen_model *m, unsigned long size,
                             unsigned long align)
{
    return m->tlsf->xmalloc(m, size, align);
}

static inline void *_xzalloc(struct xen_model *m, unsigned long size,
                             unsigned long align)
{
    return m->tlsf->xzalloc(m, size, align);
}

static inline void *_xrealloc(struct xen_model *m, void *ptr,
                              unsigned long size, unsigned long align)
{
    return m->tlsf->xrealloc(m, ptr, size, align);
}

static inline void xfree(struct xen_model *m, void *p)
{
    m->tlsf->xfree(m, p);
}

/* Bytes the pool holds for callers, and its regions. */
static inline unsigned long xmalloc_pool_used(struct xen_model *m)
{
    return m->tlsf->used(m);
}

static inline unsigned long xmalloc_pool_regions(struct xen_model *m)
{
    return m->tlsf->regions(m);
}

/* The pool's invariants: 0, or -1 with the first fault in why. */
static inline int xmalloc_check(struct xen_model *m, char *why, size_t len)
{
    return m->tlsf->check(m, why, len);
}

#endif
