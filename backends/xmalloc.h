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
 */
#ifndef XHEAP_XMALLOC_H
#define XHEAP_XMALLOC_H

#include "backends/model.h"

#define ZERO_BLOCK_PTR ((void *)-1L)

int   xmalloc_init(struct xen_model *m, char *why, size_t why_len);

void *_xmalloc(struct xen_model *m, unsigned long size, unsigned long align);
void *_xzalloc(struct xen_model *m, unsigned long size, unsigned long align);
void *_xrealloc(struct xen_model *m, void *ptr, unsigned long size,
                unsigned long align);
void  xfree(struct xen_model *m, void *p);

/* Bytes the pool holds for callers, and its regions. */
unsigned long xmalloc_pool_used(struct xen_model *m);
unsigned long xmalloc_pool_regions(struct xen_model *m);

#endif
