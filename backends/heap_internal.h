/*
 * Inside a heap: what every backend implements and the state heap.c keeps
 * for it. Only backends/ (and tests of the model itself) include this;
 * drivers/ and workloads/ see a heap through backends/heap.h alone
 * (tests/check_layers.sh checks).
 */
#ifndef XHEAP_HEAP_INTERNAL_H
#define XHEAP_HEAP_INTERNAL_H

#include "backends/heap.h"

/* A backend's operations. alloc and realloc fill *where when it is not
 * NULL, as heap_alloc's contract says; heap.c does the accounting common
 * to all backends around them. */
struct heap_ops {
    int   (*init)(struct heap *h, const struct heap_config *cfg);
    void *(*alloc)(struct heap *h, size_t size, size_t align, unsigned flags,
                   struct placement *where);
    /* size is the one the block was allocated with, as Xen callers of
     * free_xenheap_pages know their order. */
    void  (*free)(struct heap *h, void *p, size_t size);
    /* flags are those the block was allocated with: a block that needed
     * contiguous memory keeps needing it. */
    void *(*realloc)(struct heap *h, void *p, size_t old_size, size_t size,
                     unsigned flags, struct placement *where);
    void  (*stats)(struct heap *h, struct heap_stats *out);
    void  (*fini)(struct heap *h);
};

/* A system baseline's placement: the block is malloc's, wherever that is. */
static inline void *placed_in_system(void *p, struct placement *where)
{
    if (where)
        *where = (struct placement){ .path = p ? PATH_SYSTEM : PATH_NONE };
    return p;
}

struct xen_model;

/* Threads with counters of their own; later ones share the last slot. */
#define HEAP_SLOTS 64

/* One thread's share of the common accounting, on a cache line of its own
 * so that threads never contend for it. */
struct heap_slot {
    uint64_t allocs, frees, reallocs, failed;
    int64_t  live_bytes;     /* may go negative: frees by another thread */
    uint32_t since_peak;     /* operations since the peak was last raised */
} __attribute__((aligned(64)));

struct heap {
    const struct backend *backend;
    struct heap_config cfg;
    struct xen_model *xen;   /* NULL for system baselines */
    void *priv;
    bool shared;             /* several threads use it (heap_set_shared) */
    unsigned next_slot;      /* the next thread's slot, once shared */
    uint64_t peak_live_bytes;
    struct heap_slot slot[HEAP_SLOTS];
    char error[512];         /* why heap_create failed */
};

#endif
