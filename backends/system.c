/*
 * Malloc-family baselines: the process's malloc, whichever library provides
 * it. glibc is the C library's; jemalloc, mimalloc and tcmalloc are the
 * same calls with the library preloaded (drivers/measure/baseline.c re-executes
 * xheap with LD_PRELOAD for them). They run through the same replay
 * driver; their blocks' placement path is "system" and the model's frame
 * and mapping counters stay at zero.
 *
 * Each backend checks at creation that malloc really is its library's: a
 * measurement labelled jemalloc that timed glibc would be worse than none.
 */
#include <dlfcn.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/heap_internal.h"

/* malloc's natural alignment on LP64 glibc, jemalloc, mimalloc, tcmalloc. */
#define SYSTEM_ALIGN 16u

/* A symbol only each library exports: its presence says it is loaded, and
 * sharing a file with malloc says it is the one that serves malloc. */
struct preloaded {
    const char *backend, *marker, *soname;
};

static const struct preloaded preloaded[] = {
    { "jemalloc", "mallctl",    "libjemalloc.so.2" },
    { "mimalloc", "mi_version", "libmimalloc.so.2" },
    { "tcmalloc", "tc_version", "libtcmalloc_minimal.so.4" },
};

#define N_PRELOADED (sizeof preloaded / sizeof preloaded[0])

static const struct preloaded *find_preloaded(const char *backend)
{
    for (size_t i = 0; i < N_PRELOADED; i++)
        if (strcmp(preloaded[i].backend, backend) == 0)
            return &preloaded[i];
    return NULL;
}

/* The file that provides SYM in the global scope, or NULL. */
static const char *provider(const char *sym)
{
    void *p = dlsym(RTLD_DEFAULT, sym);
    Dl_info info;

    if (!p || !dladdr(p, &info) || !info.dli_fname)
        return NULL;
    return info.dli_fname;
}

/* True when malloc in this process is served by L's library. */
static bool serves_malloc(const struct preloaded *l)
{
    const char *lib = provider(l->marker), *m = provider("malloc");

    return lib && m && strcmp(lib, m) == 0;
}

static int glibc_init(struct heap *h, const struct heap_config *cfg)
{
    for (size_t i = 0; i < N_PRELOADED; i++)
        if (serves_malloc(&preloaded[i])) {
            snprintf(h->error, sizeof h->error, "malloc in this process is "
                     "%s's (%s, preloaded?), not glibc's",
                     preloaded[i].backend, provider("malloc"));
            return -1;
        }
    return 0;
}

static int preloaded_init(struct heap *h, const struct heap_config *cfg)
{
    const struct preloaded *l = find_preloaded(h->backend->name);
    const char *m;

    if (serves_malloc(l))
        return 0;
    m = provider("malloc");
    if (!provider(l->marker))
        snprintf(h->error, sizeof h->error, "%s is not loaded in this "
                 "process: xheap replay and xheap access preload %s "
                 "themselves; elsewhere run with LD_PRELOAD=%s",
                 l->soname, l->soname, l->soname);
    else
        snprintf(h->error, sizeof h->error, "%s is loaded but malloc is "
                 "served by %s", l->soname, m ? m : "an unknown library");
    return -1;
}

static void *system_malloc(size_t size, size_t align, unsigned flags)
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

static void *system_alloc(struct heap *h, size_t size, size_t align,
                          unsigned flags, struct placement *where)
{
    return placed_in_system(system_malloc(size, align, flags), where);
}

static void system_free(struct heap *h, void *p, size_t size)
{
    free(p);
}

static void *system_realloc(struct heap *h, void *p, size_t old, size_t size,
                            unsigned flags, struct placement *where)
{
    /* realloc(p, 0) may free p and return NULL: keep a live block. */
    return placed_in_system(realloc(p, size ? size : 1), where);
}

static void system_stats(struct heap *h, struct heap_stats *out)
{
}

static void system_fini(struct heap *h)
{
}

static const struct heap_ops glibc_ops = {
    .init = glibc_init, .alloc = system_alloc, .free = system_free,
    .realloc = system_realloc, .stats = system_stats, .fini = system_fini,
};

static const struct heap_ops preloaded_ops = {
    .init = preloaded_init, .alloc = system_alloc, .free = system_free,
    .realloc = system_realloc, .stats = system_stats, .fini = system_fini,
};

#define SYSTEM_BACKEND(id, ops_of, text)    \
    const struct backend backend_##id = {   \
        .name = #id,                        \
        .summary = text,                    \
        .model = false,                     \
        .ops = &ops_of,                     \
    }

SYSTEM_BACKEND(glibc, glibc_ops,
               "glibc malloc, the C library's allocator (baseline)");
SYSTEM_BACKEND(jemalloc, preloaded_ops,
               "jemalloc, preloaded in a process of its own (baseline)");
SYSTEM_BACKEND(mimalloc, preloaded_ops,
               "mimalloc, preloaded in a process of its own (baseline)");
SYSTEM_BACKEND(tcmalloc, preloaded_ops,
               "tcmalloc (minimal), preloaded in a process of its own "
               "(baseline)");
