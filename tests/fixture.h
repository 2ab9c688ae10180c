/* Heaps for unit tests: small, fresh, and checked when they go away. */
#ifndef XHEAP_TESTS_FIXTURE_H
#define XHEAP_TESTS_FIXTURE_H

#include <stdio.h>
#include <string.h>

#include "backends/heap.h"
#include "backends/model.h"
#include "backends/xmalloc.h"

#define TEST_MEMORY (64ull << 20)

static inline struct heap_config test_config(size_t page_size)
{
    struct heap_config cfg;

    heap_config_defaults(&cfg);
    cfg.page_size = page_size;
    cfg.memory_bytes = TEST_MEMORY;
    return cfg;
}

static inline struct heap *open_heap(const char *backend,
                                     const struct heap_config *cfg)
{
    char why[512];
    struct heap *h = heap_create(backend, cfg, why, sizeof why);

    if (!h)
        fail_msg("heap_create(%s): %s", backend, why);
    return h;
}

/* Checks every invariant of the model, then destroys the heap. */
static inline void close_heap(struct heap *h)
{
    char why[512];

    if (h->xen && xen_model_check(h->xen, why, sizeof why))
        fail_msg("model check: %s", why);
    heap_destroy(h);
}

static inline uint64_t frames_in_use(struct heap *h)
{
    return h->xen->pa.frames_in_use;
}

/* The frame number behind a directmap address. */
static inline uint32_t frame_of(struct heap *h, const void *p)
{
    return virt_to_frame(&h->xen->frames, p);
}

static inline uint32_t top_frame(struct heap *h)
{
    return h->xen->frames.nr_frames - 1;
}

#endif
