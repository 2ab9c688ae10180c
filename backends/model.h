/*
 * One modelled hypervisor: its physical memory, page tables, page
 * allocator, xmalloc pool and vmap area, built once per heap.
 *
 * Where an allocation landed is read off the model after the call, by
 * the policy that made it (xen_model_place): the path from the block's
 * address, the vmap pages from the vmap area, and the frames it took from
 * the page allocator (net, so a pool block that made the pool grow counts
 * 1 and a whole-pages block counts its pages after trimming) from the
 * allocator's count of frames held for callers, before and after.
 */
#ifndef XHEAP_MODEL_H
#define XHEAP_MODEL_H

#include "backends/frames.h"
#include "backends/heap_internal.h"
#include "backends/mapping.h"
#include "backends/page_alloc.h"
#include "backends/vmap.h"

struct tlsf_layout;

struct xen_model {
    struct heap_config cfg;
    struct frames      frames;
    struct mapper      mapper;
    struct page_alloc  pa;
    void              *xenpool;   /* the global xmalloc pool: a struct
                                     xmem_pool of tlsf's layout */
    const struct tlsf_layout *tlsf; /* LP64's or arm32's (tlsf.h) */
    struct vmap        vmap;      /* VMAP_DEFAULT */
};

struct xen_model *xen_model_create(const struct heap_config *cfg,
                                   char *why, size_t why_len);
void xen_model_destroy(struct xen_model *m);
void xen_model_stats(struct xen_model *m, struct heap_stats *out);

/* The region an address belongs to, and its offset there (placements). */
enum alloc_path xen_model_region(struct xen_model *m, const void *p,
                                 uint64_t *offset);

/* Frames the page allocator holds for callers now: its frames in use less
 * the model's own. A policy reads it before a call it wants placed. */
uint64_t xen_model_caller_frames(const struct xen_model *m);

/* Fills *where for the block p a call returned (NULL: the call failed);
 * frames_before is xen_model_caller_frames before the call; pages says the
 * block came from alloc_xenheap_pages itself rather than from xmalloc. */
void xen_model_place(struct xen_model *m, const void *p, bool pages,
                     uint64_t frames_before, struct placement *where);

/* Invariants of every layer; 0, or -1 with the first fault in why. */
int xen_model_check(struct xen_model *m, char *why, size_t why_len);

#endif
