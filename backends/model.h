/*
 * One modelled hypervisor: its physical memory, page tables, page
 * allocator, xmalloc pool and vmap area, built once per heap.
 *
 * Each allocation made through the model is observed by the thread that
 * makes it: the path it took, the frames it took from the page allocator
 * (net, so a pool block that made the pool grow counts 1 and a whole-pages
 * block counts its pages after trimming) and the vmap pages it occupies.
 * heap.c turns that into the placements CSV.
 */
#ifndef XHEAP_MODEL_H
#define XHEAP_MODEL_H

#include "backends/frames.h"
#include "backends/heap.h"
#include "backends/mapping.h"
#include "backends/page_alloc.h"
#include "backends/vmap.h"

struct xmem_pool;

struct xen_model {
    struct heap_config cfg;
    struct frames      frames;
    struct mapper      mapper;
    struct page_alloc  pa;
    struct xmem_pool  *xenpool;   /* the global xmalloc pool */
    struct vmap        vmap;      /* VMAP_DEFAULT */
};

struct op_record {
    enum alloc_path path;
    int64_t  frames;
    uint64_t va_pages;
};

/* What the current thread's model call did; reset by heap.c per call. */
extern __thread struct op_record op_rec;

struct xen_model *xen_model_create(const struct heap_config *cfg,
                                   char *why, size_t why_len);
void xen_model_destroy(struct xen_model *m);
void xen_model_stats(struct xen_model *m, struct heap_stats *out);

/* The region an address belongs to, and its offset there (placements). */
enum alloc_path xen_model_region(struct xen_model *m, const void *p,
                                 uint64_t *offset);

/* Invariants of every layer; 0, or -1 with the first fault in why. */
int xen_model_check(struct xen_model *m, char *why, size_t why_len);

#endif
