/*
 * Heaps: the registry of backends, the knobs' defaults, and the accounting
 * every backend shares (operations, failures, live bytes and their peak,
 * and where each allocation landed).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backends/heap.h"
#include "backends/lock.h"
#include "backends/model.h"

/* x86_64 Xen, on a modest machine: the defaults every run starts from. */
#define DEFAULT_PAGE_SIZE   4096u
#define DEFAULT_MEMORY      (1ull << 30)
#define DEFAULT_MAX_ORDER   18u           /* x86 and Arm */
#define DEFAULT_VMAP        (64ull << 30) /* VMAP_DEFAULT on x86_64 */

extern const struct backend_ops backend_pages, backend_xmalloc,
    backend_vmalloc, backend_xvmalloc, backend_xvmalloc_fallback,
    backend_kvmalloc, backend_glibc, backend_null, backend_jemalloc,
    backend_mimalloc, backend_tcmalloc;

static const struct backend_ops *const backends[] = {
    &backend_pages, &backend_xmalloc, &backend_vmalloc, &backend_xvmalloc,
    &backend_xvmalloc_fallback, &backend_kvmalloc, &backend_glibc,
    &backend_jemalloc, &backend_mimalloc, &backend_tcmalloc, &backend_null,
};

#define NR_BACKENDS (sizeof backends / sizeof backends[0])

const struct backend_ops *const *backend_list(size_t *count)
{
    *count = NR_BACKENDS;
    return backends;
}

const struct backend_ops *backend_find(const char *name)
{
    for (size_t i = 0; i < NR_BACKENDS; i++)
        if (strcmp(backends[i]->name, name) == 0)
            return backends[i];
    return NULL;
}

void heap_config_defaults(struct heap_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->page_size = DEFAULT_PAGE_SIZE;
    cfg->memory_bytes = DEFAULT_MEMORY;
    cfg->max_order = DEFAULT_MAX_ORDER;
    cfg->vmap_bytes = DEFAULT_VMAP;
    cfg->directmap = true;
    cfg->scrub = true;
    cfg->flush = FLUSH_PER_PAGE;
}

static const char *const flush_names[] = {
    [FLUSH_PER_PAGE] = "page", [FLUSH_PER_RANGE] = "range",
    [FLUSH_LAZY] = "lazy",
};

const char *flush_policy_name(enum flush_policy f)
{
    return flush_names[f];
}

int flush_policy_parse(const char *s, enum flush_policy *out)
{
    for (unsigned i = 0; i < sizeof flush_names / sizeof flush_names[0]; i++)
        if (strcmp(s, flush_names[i]) == 0) {
            *out = (enum flush_policy)i;
            return 0;
        }
    return -1;
}

const char *alloc_path_name(enum alloc_path p)
{
    static const char *const names[] = {
        [PATH_NONE] = "none", [PATH_POOL] = "pool",
        [PATH_WHOLE_PAGES] = "whole-pages", [PATH_PAGES] = "pages",
        [PATH_VMAP] = "vmap", [PATH_SYSTEM] = "system",
    };
    return names[p];
}

int parse_size(const char *s, uint64_t *out)
{
    static const char units[] = "KMGT";
    uint64_t v = 0;
    const char *p = s;

    if (!isdigit((unsigned char)*p))
        return -1;
    for (; isdigit((unsigned char)*p); p++) {
        if (v > (UINT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (*p) {
        const char *u = strchr(units, toupper((unsigned char)*p));
        unsigned shift;

        if (!u)
            return -1;
        shift = 10 * (unsigned)(u - units + 1);
        p++;
        if (*p == 'i' && p[1] == 'B')
            p += 2;
        else if (*p == 'B')
            p++;
        if (*p || v > (UINT64_MAX >> shift))
            return -1;
        v <<= shift;
    }
    *out = v;
    return 0;
}

static int check_config(const struct heap_config *cfg, char *why, size_t len)
{
    long host = sysconf(_SC_PAGESIZE);

    if (cfg->page_size != 4096 && cfg->page_size != 16384 &&
        cfg->page_size != 65536) {
        snprintf(why, len, "page size %zu: it must be 4K, 16K or 64K",
                 cfg->page_size);
        return -1;
    }
    if (host > 0 && cfg->page_size % (size_t)host) {
        snprintf(why, len, "page size %zu is smaller than the host's %ld",
                 cfg->page_size, host);
        return -1;
    }
    return 0;
}

struct heap *heap_create(const char *backend, const struct heap_config *cfg,
                         char *why, size_t why_len)
{
    const struct backend_ops *ops = backend_find(backend);
    struct heap *h;

    if (!ops) {
        snprintf(why, why_len, "unknown backend '%s'", backend);
        return NULL;
    }
    if (check_config(cfg, why, why_len))
        return NULL;
    h = calloc(1, sizeof *h);
    if (!h) {
        snprintf(why, why_len, "out of memory");
        return NULL;
    }
    h->ops = ops;
    h->cfg = *cfg;
    if (ops->init(h, cfg) != 0) {
        snprintf(why, why_len, "%s: %s", backend,
                 h->error[0] ? h->error : "cannot start");
        free(h);
        return NULL;
    }
    return h;
}

void heap_destroy(struct heap *h)
{
    if (!h)
        return;
    h->ops->fini(h);
    free(h);
}

/* Fills where from what the current thread's model call recorded. */
static void describe(struct heap *h, const void *p, struct placement *where)
{
    uint64_t offset = 0;

    if (!h->xen) {
        *where = (struct placement){ .path = PATH_SYSTEM };
        return;
    }
    if (op_rec.path != PATH_NONE)
        xen_model_region(h->xen, p, &offset);
    *where = (struct placement){
        .path = op_rec.path,
        .offset = offset,
        .frames = op_rec.frames,
        .va_pages = op_rec.va_pages,
    };
}

/* Counting costs a locked instruction per update when threads share the
 * heap; alone, plain stores keep the harness out of the measurement. */
static inline void count(struct heap *h, uint64_t *c)
{
    if (h->shared)
        stat_add(c, 1);
    else
        (*c)++;
}

static void add_live(struct heap *h, int64_t delta)
{
    uint64_t now;

    if (!h->shared) {
        now = h->live_bytes += (uint64_t)delta;
        if (now > h->peak_live_bytes)
            h->peak_live_bytes = now;
        return;
    }
    now = __atomic_add_fetch(&h->live_bytes, (uint64_t)delta, __ATOMIC_RELAXED);
    if (delta > 0)
        stat_peak(&h->peak_live_bytes, now);
}

void *heap_alloc(struct heap *h, size_t size, size_t align, unsigned flags,
                 struct placement *where)
{
    void *p;

    op_rec = (struct op_record){ PATH_NONE, 0, 0 };
    p = h->ops->alloc(h, size, align, flags);
    count(h, &h->allocs);
    if (!p) {
        count(h, &h->failed);
        return NULL;
    }
    add_live(h, (int64_t)size);
    if (where)
        describe(h, p, where);
    return p;
}

void heap_free(struct heap *h, void *p, size_t size)
{
    op_rec = (struct op_record){ PATH_NONE, 0, 0 };
    h->ops->free(h, p, size);
    count(h, &h->frees);
    add_live(h, -(int64_t)size);
}

void *heap_realloc(struct heap *h, void *p, size_t old_size, size_t size,
                   unsigned flags, struct placement *where)
{
    void *q;

    op_rec = (struct op_record){ PATH_NONE, 0, 0 };
    q = h->ops->realloc(h, p, old_size, size, flags);
    count(h, &h->reallocs);
    if (!q) {
        count(h, &h->failed);
        return NULL;
    }
    add_live(h, (int64_t)size - (int64_t)old_size);
    if (where)
        describe(h, q, where);
    return q;
}

void heap_stats(struct heap *h, struct heap_stats *out)
{
    memset(out, 0, sizeof *out);
    out->largest_free_order = UINT64_MAX;
    h->ops->stats(h, out);
    out->allocs = stat_get(&h->allocs);
    out->frees = stat_get(&h->frees);
    out->reallocs = stat_get(&h->reallocs);
    out->failed = stat_get(&h->failed);
    out->live_bytes = stat_get(&h->live_bytes);
    out->peak_live_bytes = stat_get(&h->peak_live_bytes);
}

void heap_set_shared(struct heap *h, bool shared)
{
    h->shared = shared;
}

const char *heap_map_limit_message(struct heap *h)
{
    if (!h->xen || !__atomic_load_n(&h->xen->mapper.limit_hit, __ATOMIC_RELAXED))
        return NULL;
    return h->xen->mapper.limit_msg;
}
