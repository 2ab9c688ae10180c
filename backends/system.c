/*
 * Malloc-family baselines: the C library's allocator as the process has it.
 * They run through the same replay driver; their blocks' placement path is
 * "system" and the model's frame and mapping counters stay at zero.
 */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "backends/heap.h"

/* malloc's natural alignment on LP64 glibc. */
#define SYSTEM_ALIGN 16u

static int system_init(struct heap *h, const struct heap_config *cfg)
{
    return 0;
}

static void *system_alloc(struct heap *h, size_t size, size_t align,
                          unsigned flags)
{
    void *p;

    if (align <= SYSTEM_ALIGN)
        return flags & HEAP_ZERO ? calloc(1, size) : malloc(size);
    if (posix_memalign(&p, align, size) != 0)
        return NULL;
    if (flags & HEAP_ZERO)
        memset(p, 0, size);
    return p;
}

static void system_free(struct heap *h, void *p, size_t size)
{
    free(p);
}

static void *system_realloc(struct heap *h, void *p, size_t old, size_t size,
                            unsigned flags)
{
    /* realloc(p, 0) may free p and return NULL: keep a live block. */
    return realloc(p, size ? size : 1);
}

static void system_stats(struct heap *h, struct heap_stats *out)
{
}

static void system_fini(struct heap *h)
{
}

const struct backend_ops backend_glibc = {
    .name = "glibc",
    .summary = "glibc malloc, the C library's allocator (baseline)",
    .model = false,
    .init = system_init,
    .alloc = system_alloc,
    .free = system_free,
    .realloc = system_realloc,
    .stats = system_stats,
    .fini = system_fini,
};
