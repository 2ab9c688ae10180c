/*
 * The null backend: a bump pointer whose free does nothing. Replaying a
 * trace against it measures the harness itself (decoding, dispatch, timing
 * and touching): the floor under every other backend's figures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "backends/heap_internal.h"

/* Address space only; pages appear when a trace touches them. Running past
 * the end wraps to the start, so the null backend never fails. Where that
 * much cannot be reserved (valgrind refuses 64 GiB) it halves, down to
 * NULL_ARENA_MIN. */
#define NULL_ARENA     (64ull << 30)
#define NULL_ARENA_MIN (256ull << 20)
#define NULL_ALIGN     16u

struct bump {
    char  *base;
    size_t size;
    size_t next;
};

static int null_init(struct heap *h, const struct heap_config *cfg)
{
    struct bump *b = calloc(1, sizeof *b);

    if (!b)
        return -1;
    for (b->size = NULL_ARENA; b->size >= NULL_ARENA_MIN; b->size /= 2) {
        b->base = mmap(NULL, b->size, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (b->base != MAP_FAILED)
            break;
    }
    if (b->base == MAP_FAILED) {
        snprintf(h->error, sizeof h->error, "cannot reserve the bump arena");
        free(b);
        return -1;
    }
    h->priv = b;
    return 0;
}

static void *bump(struct heap *h, size_t size, size_t align)
{
    struct bump *b = h->priv;
    size_t a = align > NULL_ALIGN ? align : NULL_ALIGN;
    size_t need = ((size + NULL_ALIGN - 1) & ~(size_t)(NULL_ALIGN - 1)) +
                  a - NULL_ALIGN;
    size_t at;

    if (size > b->size / 4 || a > b->size / 4)
        return NULL;
    if (h->shared) {
        at = __atomic_fetch_add(&b->next, need, __ATOMIC_RELAXED);
    } else {
        at = b->next;
        b->next += need;
    }
    /* Wrapping keeps every block inside the arena: at < size / 2, and
     * padding plus size add at most size / 2. */
    at %= b->size / 2;
    at = (at + a - 1) & ~(a - 1);
    return b->base + at;
}

static void *null_alloc(struct heap *h, size_t size, size_t align,
                        unsigned flags, struct placement *where)
{
    return placed_in_system(bump(h, size, align), where);
}

static void null_free(struct heap *h, void *p, size_t size)
{
}

static void *null_realloc(struct heap *h, void *p, size_t old, size_t size,
                          unsigned flags, struct placement *where)
{
    void *q = bump(h, size, 0);

    if (q)
        memmove(q, p, old < size ? old : size);
    return placed_in_system(q, where);
}

static void null_stats(struct heap *h, struct heap_stats *out)
{
}

static void null_fini(struct heap *h)
{
    struct bump *b = h->priv;

    munmap(b->base, b->size);
    free(b);
}

static const struct heap_ops null_ops = {
    .init = null_init,
    .alloc = null_alloc,
    .free = null_free,
    .realloc = null_realloc,
    .stats = null_stats,
    .fini = null_fini,
};

const struct backend backend_null = {
    .name = "null",
    .summary = "bump pointer, free does nothing: the harness's own cost",
    .model = false,
    .ops = &null_ops,
};
