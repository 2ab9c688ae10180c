/*
 * Heaps: the registry of backends, the knobs' defaults, and the accounting
 * every backend shares (operations, failures, live bytes and their peak).
 * Where each allocation landed is the backend's to say (struct heap_ops).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backends/heap_internal.h"
#include "backends/lock.h"
#include "backends/model.h"
#include "backends/names.h"

/* x86_64 Xen, on a modest machine: the defaults every run starts from. */
#define DEFAULT_PAGE_SIZE   4096u
#define DEFAULT_MEMORY      (1ull << 30)
#define DEFAULT_MAX_ORDER   18u           /* x86 and Arm */
#define DEFAULT_VMAP        (64ull << 30) /* VMAP_DEFAULT on x86_64 */
#define ARM64_VMAP          (1ull << 30)  /* arch/arm: VMAP_VIRT_SIZE */
#define ARM32_VMAP          (768ull << 20)
/* Arm32's separate xenheap: setup_mm's default, 1/32 of RAM rounded up
 * to 32 MiB, from 32 MiB to 1 GiB (arch/arm/arm32/mmu/mm.c). */
#define ARM32_XENHEAP_SHARE 32
#define ARM32_XENHEAP_MIN   (32ull << 20)
#define ARM32_XENHEAP_MAX   (1ull << 30)
#define MFN_BYTES_64        8u            /* sizeof(mfn_t) */
#define MFN_BYTES_32        4u
#define PTR_BYTES_64        8u            /* sizeof(void *): TLSF's layout */
#define PTR_BYTES_32        4u

extern const struct backend backend_pages, backend_xmalloc,
    backend_vmalloc, backend_xvmalloc, backend_xvmalloc_fallback,
    backend_kvmalloc, backend_glibc, backend_null, backend_jemalloc,
    backend_mimalloc, backend_tcmalloc;

static const struct backend *const backends[] = {
    &backend_pages, &backend_xmalloc, &backend_vmalloc, &backend_xvmalloc,
    &backend_xvmalloc_fallback, &backend_kvmalloc, &backend_glibc,
    &backend_jemalloc, &backend_mimalloc, &backend_tcmalloc, &backend_null,
};

#define NR_BACKENDS (sizeof backends / sizeof backends[0])

const struct backend *const *backend_list(size_t *count)
{
    *count = NR_BACKENDS;
    return backends;
}

const struct backend *backend_find(const char *name)
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
    cfg->arch = ARCH_X86;
    cfg->cpus = (unsigned)(sysconf(_SC_NPROCESSORS_ONLN) > 0
                           ? sysconf(_SC_NPROCESSORS_ONLN) : 1);
    cfg->mfn_bytes = MFN_BYTES_64;
    cfg->ptr_bytes = PTR_BYTES_64;
    cfg->bootscrub = BOOTSCRUB_IDLE;
    cfg->max_map_count = 0;          /* no faults: see docs/faults.md */
    cfg->fail_map_at = cfg->fail_map_every = 0;
    cfg->fail_unmap_at = cfg->fail_unmap_every = 0;
}

static const char *const arch_names[] = {
    [ARCH_X86] = "x86", [ARCH_ARM64] = "arm64", [ARCH_ARM32] = "arm32",
};

const char *xen_arch_name(enum xen_arch a)
{
    return names_of(arch_names, NAMES_COUNT(arch_names), a);
}

int xen_arch_parse(const char *s, enum xen_arch *out)
{
    return NAMES_PARSE(arch_names, s, out);
}

/* What differs between the architectures Xen runs on: the vmap area, the
 * separate xenheap (Arm32 only), the flush rules, sizeof(mfn_t) and
 * sizeof(void *), which lays out the xmalloc pool (backends/tlsf.h: 8-byte
 * headers and alignment on arm32, 16 on LP64). Those two have no knob of
 * their own: they follow the architecture. Page size (4K) and MAX_ORDER
 * (18) are the same on all three. */
void heap_config_arch(struct heap_config *cfg, enum xen_arch arch)
{
    unsigned keep = cfg->knobs_set;

    cfg->arch = arch;
    cfg->mfn_bytes = arch == ARCH_ARM32 ? MFN_BYTES_32 : MFN_BYTES_64;
    cfg->ptr_bytes = arch == ARCH_ARM32 ? PTR_BYTES_32 : PTR_BYTES_64;
    if (!(keep & CFG_SET_PAGE_SIZE))
        cfg->page_size = DEFAULT_PAGE_SIZE;
    if (!(keep & CFG_SET_MAX_ORDER))
        cfg->max_order = DEFAULT_MAX_ORDER;
    if (!(keep & CFG_SET_VMAP))
        cfg->vmap_bytes = arch == ARCH_X86 ? DEFAULT_VMAP
                          : arch == ARCH_ARM64 ? ARM64_VMAP : ARM32_VMAP;
    if (!(keep & CFG_SET_FLUSH))
        cfg->flush = arch == ARCH_X86 ? FLUSH_PER_PAGE : FLUSH_PER_RANGE;
    if (!(keep & CFG_SET_XENHEAP))
        cfg->xenheap_bytes = 0;
    heap_config_resolve(cfg);
}

void heap_config_resolve(struct heap_config *cfg)
{
    uint64_t share = cfg->memory_bytes / ARM32_XENHEAP_SHARE;

    if (cfg->arch != ARCH_ARM32 || (cfg->knobs_set & CFG_SET_XENHEAP))
        return;
    share = (share + ARM32_XENHEAP_MIN - 1) & ~(ARM32_XENHEAP_MIN - 1);
    cfg->xenheap_bytes = share < ARM32_XENHEAP_MIN ? ARM32_XENHEAP_MIN
                         : share > ARM32_XENHEAP_MAX ? ARM32_XENHEAP_MAX
                         : share;
}

static const char *const flush_names[] = {
    [FLUSH_PER_PAGE] = "page", [FLUSH_PER_RANGE] = "range",
    [FLUSH_LAZY] = "lazy",
};

const char *flush_policy_name(enum flush_policy f)
{
    return names_of(flush_names, NAMES_COUNT(flush_names), f);
}

int flush_policy_parse(const char *s, enum flush_policy *out)
{
    return NAMES_PARSE(flush_names, s, out);
}

static const char *const bootscrub_names[] = {
    [BOOTSCRUB_OFF] = "off", [BOOTSCRUB_ON] = "on", [BOOTSCRUB_IDLE] = "idle",
};

const char *bootscrub_name(enum bootscrub_mode b)
{
    return names_of(bootscrub_names, NAMES_COUNT(bootscrub_names), b);
}

int bootscrub_parse(const char *s, enum bootscrub_mode *out)
{
    return NAMES_PARSE(bootscrub_names, s, out);
}

const char *alloc_path_name(enum alloc_path p)
{
    static const char *const names[] = {
        [PATH_NONE] = "none", [PATH_POOL] = "pool",
        [PATH_WHOLE_PAGES] = "whole-pages", [PATH_PAGES] = "pages",
        [PATH_VMAP] = "vmap", [PATH_SYSTEM] = "system",
    };
    return names_of(names, NAMES_COUNT(names), p);
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

struct heap *heap_create(const char *backend, const struct heap_config *asked,
                         char *why, size_t why_len)
{
    const struct backend *b = backend_find(backend);
    struct heap_config resolved = *asked, *cfg = &resolved;
    struct heap *h;

    host_op_now = HEAP_OP_SETUP;
    if (!b) {
        snprintf(why, why_len, "unknown backend '%s'", backend);
        return NULL;
    }
    heap_config_resolve(cfg);
    if (check_config(cfg, why, why_len))
        return NULL;
    h = calloc(1, sizeof *h);
    if (!h) {
        snprintf(why, why_len, "out of memory");
        return NULL;
    }
    h->backend = b;
    h->cfg = *cfg;
    if (b->ops->init(h, cfg) != 0) {
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
    h->backend->ops->fini(h);
    free(h);
}

/* Each thread counts in a slot of its own (plain stores, no locked
 * instructions, no shared cache line); the slots are summed when asked. */
static __thread struct {
    const struct heap *heap;
    unsigned slot;
} mine;

static struct heap_slot *slot_of(struct heap *h)
{
    if (!h->shared)
        return &h->slot[0];
    if (mine.heap != h) {
        unsigned n = __atomic_fetch_add(&h->next_slot, 1, __ATOMIC_RELAXED);

        mine.heap = h;
        mine.slot = n < HEAP_SLOTS - 1 ? n : HEAP_SLOTS - 1;
    }
    return &h->slot[mine.slot];
}

/* The last slot is shared by every thread past HEAP_SLOTS - 1. */
static bool slot_is_shared(const struct heap *h, const struct heap_slot *s)
{
    return h->shared && s == &h->slot[HEAP_SLOTS - 1];
}

static inline void count(struct heap *h, struct heap_slot *s, uint64_t *c)
{
    if (slot_is_shared(h, s))
        stat_add(c, 1);
    else
        (*c)++;
}

static int64_t live_sum(const struct heap *h)
{
    int64_t sum = 0;

    for (unsigned i = 0; i < HEAP_SLOTS; i++)
        sum += __atomic_load_n(&h->slot[i].live_bytes, __ATOMIC_RELAXED);
    return sum;
}

static void add_live(struct heap *h, struct heap_slot *s, int64_t delta)
{
    if (!h->shared) {
        s->live_bytes += delta;
        if (s->live_bytes > (int64_t)h->peak_live_bytes)
            h->peak_live_bytes = (uint64_t)s->live_bytes;
        return;
    }
    if (slot_is_shared(h, s))
        __atomic_fetch_add(&s->live_bytes, delta, __ATOMIC_RELAXED);
    else
        __atomic_store_n(&s->live_bytes, s->live_bytes + delta,
                         __ATOMIC_RELAXED);
    if (delta > 0 && ++s->since_peak >= HEAP_PEAK_EVERY) {
        int64_t now = live_sum(h);

        s->since_peak = 0;
        if (now > 0)
            stat_peak(&h->peak_live_bytes, (uint64_t)now);
    }
}

void *heap_alloc(struct heap *h, size_t size, size_t align, unsigned flags,
                 struct placement *where)
{
    void *p;

    struct heap_slot *s = slot_of(h);

    host_op_now = HEAP_OP_ALLOC;
    p = h->backend->ops->alloc(h, size, align, flags, where);
    count(h, s, &s->allocs);
    if (!p) {
        count(h, s, &s->failed);
        return NULL;
    }
    add_live(h, s, (int64_t)size);
    return p;
}

void heap_free(struct heap *h, void *p, size_t size)
{
    struct heap_slot *s = slot_of(h);

    host_op_now = HEAP_OP_FREE;
    h->backend->ops->free(h, p, size);
    count(h, s, &s->frees);
    add_live(h, s, -(int64_t)size);
}

void *heap_realloc(struct heap *h, void *p, size_t old_size, size_t size,
                   unsigned flags, struct placement *where)
{
    struct heap_slot *s = slot_of(h);
    void *q;

    host_op_now = HEAP_OP_REALLOC;
    q = h->backend->ops->realloc(h, p, old_size, size, flags, where);
    count(h, s, &s->reallocs);
    if (!q) {
        count(h, s, &s->failed);
        return NULL;
    }
    add_live(h, s, (int64_t)size - (int64_t)old_size);
    return q;
}

void heap_idle(struct heap *h)
{
    if (h->xen)
        page_alloc_idle_scrub(&h->xen->pa);
}

void heap_stats(struct heap *h, struct heap_stats *out)
{
    int64_t live = live_sum(h);

    memset(out, 0, sizeof *out);
    out->largest_free_order = UINT64_MAX;
    h->backend->ops->stats(h, out);
    for (unsigned i = 0; i < HEAP_SLOTS; i++) {
        const struct heap_slot *s = &h->slot[i];

        out->allocs += stat_get(&s->allocs);
        out->frees += stat_get(&s->frees);
        out->reallocs += stat_get(&s->reallocs);
        out->failed += stat_get(&s->failed);
    }
    out->live_bytes = live > 0 ? (uint64_t)live : 0;
    out->peak_live_bytes = stat_get(&h->peak_live_bytes);
    if (out->live_bytes > out->peak_live_bytes)
        out->peak_live_bytes = out->live_bytes;
}

void heap_set_shared(struct heap *h, bool shared)
{
    /* Until now everything was counted in slot 0: new threads start at 1. */
    h->shared = shared;
    h->next_slot = 1;
}

const char *heap_map_limit_message(struct heap *h)
{
    if (!h->xen ||
        (!__atomic_load_n(&h->xen->mapper.limit_hit, __ATOMIC_RELAXED) &&
         !__atomic_load_n(&h->xen->mapper.model_limit_hit, __ATOMIC_RELAXED)))
        return NULL;
    return h->xen->mapper.limit_msg;
}

bool heap_is_model(const struct heap *h)
{
    return h->backend->model;
}

const char *heap_directmap_huge(const struct heap *h)
{
    return h->xen ? h->xen->frames.huge : NULL;
}

bool heap_host_limit_short(struct heap *h)
{
    return h->xen && __atomic_load_n(&h->xen->mapper.limit_hit,
                                     __ATOMIC_RELAXED);
}
