/*
 * A randomized model checker for the model backends.
 *
 * Each test drives one backend at one page size (and a few extra knob
 * settings) through a long seeded run of mixed allocations, frees and
 * reallocs, and checks after every step what a caller may rely on:
 *
 * - a block lies inside the directmap or the vmap area (or is the zero
 *   block, for size 0), is aligned as asked, and went where the policy says
 *   (a contiguous request never to vmalloc);
 * - no two live blocks share a byte of physical memory, a vmap block's
 *   pages being followed through Xen's page tables (the model's own, in
 *   frames: backends/pagetable.h) to their frames, and no two vmap blocks
 *   share virtual pages, guard pages included;
 * - Xen's page tables, after every step: they map in the vmap area as
 *   many pages as live blocks and the bitmap hold, no more; each page of
 *   the block the step made, moved or checked maps the frame it mapped
 *   when made, its guard page maps nothing, every page of a block just
 *   freed or moved away maps nothing, and the page-table frames in the
 *   tree are those of boot plus those allocated less those freed (and
 *   pagetable.c keeps its count of mapped pages at every entry it
 *   writes, which the full walk checks); every FULL_CHECK_EVERY steps the
 *   whole tree is walked (vmap_check: every page of every live area maps
 *   a frame in use that the host maps there too, every other entry is
 *   clear, every table frame is in use and counted once);
 * - what a block holds survives until it is freed: every block is filled
 *   with a pattern of its own (a word per 8 bytes, from its serial number
 *   and the word's offset), checked in full at free and realloc, through
 *   the frames' second view too; zeroed memory is zero when asked, and
 *   vmalloc never shows a previous owner's data when scrubbing is on;
 * - a request no memory can satisfy fails with NULL, and so may, where
 *   memory is ample, only alignment above PAGE_SIZE on the vmap paths;
 * - every FULL_CHECK_EVERY steps, the model's own invariants hold and every
 *   live block still holds its pattern;
 * - whenever the heap is empty, and at the end, every frame is back and the
 *   buddy free lists hold the same blocks as right after heap_create.
 *
 * XHEAP_CHECK_OPS sets the steps per test, XHEAP_CHECK_SEED the seed
 * (printed with every failure), XHEAP_CHECK_ONLY a cmocka filter such as
 * "xmalloc/4K*" to replay one test.
 */
#include "tests/check.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backends/heap.h"
#include "backends/model.h"
#include "backends/page_alloc.h"
#include "backends/tlsf.h"
#include "backends/vmap.h"
#include "backends/xmalloc.h"

/* ---- the knobs of the run ---- */

#define DEFAULT_OPS      1000000u
#define SANITIZER_OPS    100000u    /* the ASan and UBSan build: shorter */
#define DEFAULT_SEED     0x78686561702d6d63ull   /* "xheap-mc" */
#define MEMORY_BYTES     (256ull << 20)
#define MAX_LIVE         2000u      /* live blocks at most */
#define LIVE_BYTES_SHIFT 3          /* live bytes stay under memory / 8 */
/* Every vmap page is a host mapping of its own: stay far below
 * vm.max_map_count (65530 by default). */
#define MAX_VMAP_PAGES   16384u
#define FULL_CHECK_EVERY 10000u
/* Now and then an idle CPU runs Xen's scrubber between two steps. */
#define IDLE_SCRUB_EVERY 4999u

/* Sizes: per mille of requests in each class; the rest are small, 1 B to
 * SMALL_MAX, log-uniform. Multi-page blocks cost a mapping per page on the
 * vmap paths and a fill per byte everywhere, so they are rarer the larger
 * the page: MULTI_PM_4K at 4K, a quarter of it at 16K. */
#define SIZE_ZERO_PM     3
#define SIZE_NEAR_PM     120        /* PAGE_SIZE +- NEAR_PAGE */
#define MULTI_PM_4K      40         /* 2 .. MAX_MULTI_PAGES pages */
#define SMALL_MAX        2048u
#define NEAR_PAGE        256u
#define MAX_MULTI_PAGES  64u
#define HUGE_ONE_IN      20000u     /* a request no memory can satisfy */

/* Phases: the live count drifts towards a target, now and then zero,
 * now and then a handful, mostly a good part of MAX_LIVE. */
#define PHASE_MIN        1000u
#define PHASE_SPAN       40000u
#define DRAIN_ONE_IN     6u
#define FEW_ONE_IN       5u

/* The extra configurations. */
#define SMALL_XENHEAP    (4ull << 20)
/* 512 pages at 4K, unmapped lazily: vmalloc purges, retries and fails. */
#define SMALL_VMAP       (2ull << 20)
#define TIGHT_MEMORY     (8ull << 20)   /* and live bytes up to 3/4 of it */
#define LAZY_MAX_PAGES   64u
#define ARM32_XENHEAP    (64ull << 20)

#define OWNER_MODEL      UINT32_MAX /* an interval of the model's own */
#define NO_NODE          (-1)

/* ---- a seeded generator (splitmix64): failures replay ---- */

struct rng {
    uint64_t s;
};

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t rng_next(struct rng *r)
{
    r->s += 0x9e3779b97f4a7c15ull;
    return mix64(r->s);
}

static uint64_t rng_below(struct rng *r, uint64_t n)
{
    return n ? rng_next(r) % n : 0;
}

static bool rng_one_in(struct rng *r, uint64_t n)
{
    return rng_below(r, n) == 0;
}

/* Log-uniform in [lo, hi]: a power of two first, then a value inside it. */
static uint64_t rng_log(struct rng *r, uint64_t lo, uint64_t hi)
{
    unsigned lo_bit = 63 - (unsigned)__builtin_clzll(lo);
    unsigned hi_bit = 63 - (unsigned)__builtin_clzll(hi);
    unsigned bit = lo_bit + (unsigned)rng_below(r, hi_bit - lo_bit + 1);
    uint64_t v = (1ull << bit) + rng_below(r, 1ull << bit);

    return v < lo ? lo : v > hi ? hi : v;
}

/* ---- fill patterns: word k of a block is base + k * PATTERN_STEP ---- */

#define PATTERN_STEP 0x9e3779b97f4a7c15ull

static uint64_t pattern_base(uint64_t serial)
{
    return mix64(serial ^ 0x5851f42d4c957f2dull);
}

/* The byte at block offset off. */
static uint8_t pattern_byte(uint64_t base, size_t off)
{
    uint64_t w = base + (off / 8) * PATTERN_STEP;

    return (uint8_t)(w >> (off % 8 * 8));
}

/* Fills len bytes at at, which hold block offsets [off, off + len). */
static void pattern_fill(char *at, size_t off, size_t len, uint64_t base)
{
    size_t i = 0;

    for (; i < len && (off + i) % 8; i++)
        at[i] = (char)pattern_byte(base, off + i);
    for (; i + 8 <= len; i += 8) {
        uint64_t w = base + (off + i) / 8 * PATTERN_STEP;

        memcpy(at + i, &w, 8);
    }
    for (; i < len; i++)
        at[i] = (char)pattern_byte(base, off + i);
}

/* The first of len bytes at at that does not hold the pattern, or len. */
static size_t pattern_find_bad(const char *at, size_t off, size_t len,
                               uint64_t base)
{
    size_t i = 0;

    for (; i < len && (off + i) % 8; i++)
        if ((uint8_t)at[i] != pattern_byte(base, off + i))
            return i;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;

        memcpy(&w, at + i, 8);
        if (w != base + (off + i) / 8 * PATTERN_STEP)
            break;
    }
    for (; i < len; i++)
        if ((uint8_t)at[i] != pattern_byte(base, off + i))
            return i;
    return len;
}

static size_t find_nonzero(const char *at, size_t len)
{
    size_t i = 0;

    for (; i + 8 <= len; i += 8) {
        uint64_t w;

        memcpy(&w, at + i, 8);
        if (w)
            break;
    }
    for (; i < len; i++)
        if (at[i])
            return i;
    return len;
}

/* ---- interval sets: a treap of disjoint [start, end), by start ---- */

struct ival {
    uint64_t start, end;
    uint32_t owner;      /* a block slot, or OWNER_MODEL */
    uint32_t prio;
    int32_t  left, right;
};

struct ivset {
    struct ival *n;
    int32_t  root, free;  /* free nodes are chained through left */
    uint32_t cap;
    uint64_t prio_state;
};

static void iv_init(struct ivset *s)
{
    memset(s, 0, sizeof *s);
    s->root = s->free = NO_NODE;
    s->prio_state = 1;
}

static void iv_fini(struct ivset *s)
{
    free(s->n);
    memset(s, 0, sizeof *s);
}

/* Splits t into the nodes whose start is below key and the rest. */
static void iv_split(struct ivset *s, int32_t t, uint64_t key, int32_t *lo,
                     int32_t *hi)
{
    if (t == NO_NODE) {
        *lo = *hi = NO_NODE;
    } else if (s->n[t].start < key) {
        iv_split(s, s->n[t].right, key, &s->n[t].right, hi);
        *lo = t;
    } else {
        iv_split(s, s->n[t].left, key, lo, &s->n[t].left);
        *hi = t;
    }
}

/* Joins two treaps whose keys are ordered: all of a below all of b. */
static int32_t iv_join(struct ivset *s, int32_t a, int32_t b)
{
    if (a == NO_NODE)
        return b;
    if (b == NO_NODE)
        return a;
    if (s->n[a].prio > s->n[b].prio) {
        s->n[a].right = iv_join(s, s->n[a].right, b);
        return a;
    }
    s->n[b].left = iv_join(s, a, s->n[b].left);
    return b;
}

/* The interval that overlaps [start, end), or NULL. The set is disjoint,
 * so only the last interval starting below end can. */
static const struct ival *iv_overlap(const struct ivset *s, uint64_t start,
                                     uint64_t end)
{
    int32_t t = s->root, last = NO_NODE;

    while (t != NO_NODE) {
        if (s->n[t].start < end) {
            last = t;
            t = s->n[t].right;
        } else {
            t = s->n[t].left;
        }
    }
    return last != NO_NODE && s->n[last].end > start ? &s->n[last] : NULL;
}

static void iv_insert(struct ivset *s, uint64_t start, uint64_t end,
                      uint32_t owner)
{
    int32_t node, lo, hi;

    if (s->free == NO_NODE) {
        uint32_t cap = s->cap ? s->cap * 2 : 1024;

        s->n = realloc(s->n, cap * sizeof *s->n);
        assert_non_null(s->n);
        for (uint32_t i = cap; i-- > s->cap;) {
            s->n[i].left = s->free;
            s->free = (int32_t)i;
        }
        s->cap = cap;
    }
    node = s->free;
    s->free = s->n[node].left;
    s->prio_state ^= s->prio_state << 13;
    s->prio_state ^= s->prio_state >> 7;
    s->prio_state ^= s->prio_state << 17;
    s->n[node] = (struct ival){ start, end, owner, (uint32_t)s->prio_state,
                                NO_NODE, NO_NODE };
    iv_split(s, s->root, start, &lo, &hi);
    s->root = iv_join(s, iv_join(s, lo, node), hi);
}

/* Removes the interval starting at start; its owner, or OWNER_MODEL when
 * there was none (a checker bug, reported by the caller). */
static uint32_t iv_remove(struct ivset *s, uint64_t start)
{
    int32_t lo, mid, hi;
    uint32_t owner = OWNER_MODEL;

    iv_split(s, s->root, start, &lo, &hi);
    iv_split(s, hi, start + 1, &mid, &hi);
    if (mid != NO_NODE) {
        owner = s->n[mid].owner;
        s->n[mid].left = s->free;
        s->free = mid;
    }
    s->root = iv_join(s, lo, hi);
    return owner;
}

/* ---- the configurations under test ---- */

enum tweak {
    TWEAK_NONE,
    TWEAK_NO_DIRECTMAP,
    TWEAK_SMALL_XENHEAP,
    TWEAK_NO_SCRUB,
    TWEAK_FLUSH_RANGE,
    TWEAK_FLUSH_LAZY,
    TWEAK_SMALL_VMAP,
    TWEAK_TIGHT,
    TWEAK_ARM32,
    TWEAK_ARM64_FRAMES,
};

static const char *const tweak_names[] = {
    [TWEAK_NONE] = "", [TWEAK_NO_DIRECTMAP] = "-no-directmap",
    [TWEAK_SMALL_XENHEAP] = "-xenheap-4M", [TWEAK_NO_SCRUB] = "-no-scrub",
    [TWEAK_FLUSH_RANGE] = "-flush-range", [TWEAK_FLUSH_LAZY] = "-flush-lazy",
    [TWEAK_SMALL_VMAP] = "-vmap-2M-lazy", [TWEAK_TIGHT] = "-tight",
    [TWEAK_ARM32] = "-arm32",
    [TWEAK_ARM64_FRAMES] = "-arm64-frames",
};

struct variant {
    const char *backend;
    size_t page;
    enum tweak tweak;
    char name[64];
};

static const char *const backend_names[] = {
    "pages", "xmalloc", "vmalloc", "xvmalloc", "xvmalloc-fallback",
    "kvmalloc",
};
static const size_t page_sizes[] = { 4096, 16384, 65536 };

/* The extra configurations, on the backends where they matter most. */
static const struct {
    const char *backend;
    enum tweak tweak;
} extras[] = {
    { "xvmalloc-fallback", TWEAK_NO_DIRECTMAP },
    { "xvmalloc-fallback", TWEAK_SMALL_XENHEAP },
    { "xvmalloc-fallback", TWEAK_NO_SCRUB },
    { "xvmalloc-fallback", TWEAK_FLUSH_RANGE },
    { "xvmalloc-fallback", TWEAK_FLUSH_LAZY },
    { "xvmalloc-fallback", TWEAK_SMALL_VMAP },
    { "xvmalloc-fallback", TWEAK_TIGHT },
    { "xvmalloc-fallback", TWEAK_ARM64_FRAMES },  /* 56-byte page_info */
    { "xmalloc", TWEAK_NO_DIRECTMAP },
    { "xmalloc", TWEAK_SMALL_XENHEAP },
    { "kvmalloc", TWEAK_SMALL_XENHEAP },   /* else it never needs vmalloc */
    { "kvmalloc", TWEAK_TIGHT },
    { "xmalloc", TWEAK_ARM32 },            /* arm32's pool layout */
    { "xvmalloc-fallback", TWEAK_ARM32 },
};

#define NR_BACKENDS (sizeof backend_names / sizeof backend_names[0])
#define NR_PAGES    (sizeof page_sizes / sizeof page_sizes[0])
#define NR_EXTRAS   (sizeof extras / sizeof extras[0])
#define NR_VARIANTS (NR_BACKENDS * NR_PAGES + NR_EXTRAS)

static void variant_config(const struct variant *v, struct heap_config *cfg)
{
    heap_config_defaults(cfg);
    cfg->page_size = v->page;
    cfg->memory_bytes = MEMORY_BYTES;
    switch (v->tweak) {
    case TWEAK_NONE:
        break;
    case TWEAK_NO_DIRECTMAP:
        cfg->directmap = false;
        break;
    case TWEAK_SMALL_XENHEAP:
        cfg->xenheap_bytes = SMALL_XENHEAP;
        break;
    case TWEAK_NO_SCRUB:
        cfg->scrub = false;
        break;
    case TWEAK_FLUSH_RANGE:
        cfg->flush = FLUSH_PER_RANGE;
        break;
    case TWEAK_FLUSH_LAZY:
        cfg->flush = FLUSH_LAZY;
        cfg->lazy_max_pages = LAZY_MAX_PAGES;
        break;
    case TWEAK_SMALL_VMAP:
        cfg->vmap_bytes = SMALL_VMAP;
        cfg->flush = FLUSH_LAZY;
        break;
    case TWEAK_TIGHT:
        cfg->memory_bytes = TIGHT_MEMORY;
        break;
    case TWEAK_ARM32:
        /* --arch arm32, with a xenheap that holds the live bytes */
        heap_config_arch(cfg, ARCH_ARM32);
        cfg->xenheap_bytes = ARM32_XENHEAP;
        cfg->knobs_set |= CFG_SET_XENHEAP;
        break;
    case TWEAK_ARM64_FRAMES:    /* x86's rules, Arm64's frame table */
        cfg->arch = ARCH_ARM64;
        break;
    }
}

/* ---- one run ---- */

enum region { IN_ZERO, IN_DIRECTMAP, IN_VMAP };

struct block {
    char    *p;
    size_t   size, align;   /* align: what the block must keep */
    unsigned flags;
    uint64_t serial;        /* names the fill pattern */
    enum region where;
    uint32_t pages;         /* vmap blocks: their pages, frame[] behind */
    uint32_t *frame;
    uint32_t pos;           /* index in live[] */
};

struct counts {
    uint64_t allocs, frees, reallocs, zero_blocks, vmap_blocks, empties;
    uint64_t huge_refused, align_refused, other_failures, full_checks;
};

struct run {
    const struct variant *v;
    struct heap *h;
    struct xen_model *m;
    size_t page;
    uint64_t seed, step, ops;
    const char *op;              /* what the step is doing, for messages */
    char op_text[320];
    struct rng rng;
    struct block *block;         /* [MAX_LIVE] slots */
    uint32_t *live, nlive;       /* slots in use, in any order */
    uint32_t *spare, nspare;     /* slots free */
    uint64_t live_bytes, live_vmap_pages, next_serial;
    uint64_t live_cap;           /* live bytes at most */
    struct ivset phys, virt;     /* physical bytes; vmap pages with guards */
    uint32_t *census0;
    size_t ncensus;
    uint64_t overhead0;
    uint32_t target;
    uint64_t phase_end;
    struct counts n;
};

static uint64_t global_seed;
static uint64_t global_ops;

static __attribute__((noreturn, format(printf, 2, 3)))
void die(const struct run *r, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    print_error("model check %s: step %" PRIu64 " (%s): %s\n"
                "  replay: XHEAP_CHECK_SEED=%#" PRIx64
                " XHEAP_CHECK_ONLY='%s' (run seed %#" PRIx64 ")\n",
                r->v->name, r->step, r->op ? r->op : "-", msg, global_seed,
                r->v->name, r->seed);
    fail();
    abort();
}

#define CHECK(r, cond, ...) \
    do { if (!(cond)) die(r, __VA_ARGS__); } while (0)

static const char *region_name(enum region w)
{
    return w == IN_ZERO ? "zero block" : w == IN_DIRECTMAP ? "directmap"
                                                           : "vmap";
}

/* One line naming a block, for messages. */
static const char *describe(const struct run *r, const struct block *b,
                            char *buf, size_t len)
{
    uint64_t off = 0;

    if (b->where == IN_DIRECTMAP)
        off = (uint64_t)(b->p - r->m->frames.directmap);
    else if (b->where == IN_VMAP)
        off = (uint64_t)(b->p - r->m->vmap.base);
    snprintf(buf, len, "block #%" PRIu64 " %p (%s +%#" PRIx64 ") size %zu "
             "align %zu flags%s%s", b->serial, (void *)b->p,
             region_name(b->where), off, b->size, b->align,
             b->flags & HEAP_NEEDS_CONTIG ? " contig" : "",
             b->flags & HEAP_ZERO ? " zero" : "");
    return buf;
}

static uint64_t pages_of(const struct run *r, size_t size)
{
    return (size + r->page - 1) / r->page;
}

/* ---- intervals of a block ---- */

static uint64_t phys_of_directmap(const struct run *r, const char *p)
{
    return (uint64_t)(p - r->m->frames.directmap);
}

/* The guard page before a vmap block belongs to it too. */
static void virt_range(const struct run *r, const struct block *b,
                       uint64_t *start, uint64_t *end)
{
    *start = (uint64_t)(b->p - r->m->vmap.base) - r->page;
    *end = *start + (b->pages + 1) * r->page;
}

/* Bytes of page k of a vmap block that the block uses. */
static size_t vmap_page_bytes(const struct run *r, const struct block *b,
                              uint32_t k)
{
    size_t rest = b->size - (size_t)k * r->page;

    return rest < r->page ? rest : r->page;
}

static void claim(struct run *r, struct ivset *s, const char *space,
                  const struct block *b, uint64_t start, uint64_t end)
{
    const struct ival *o = iv_overlap(s, start, end);
    char mine[256], theirs[256];

    if (o && o->owner == OWNER_MODEL)
        die(r, "%s: %s [%#" PRIx64 ", %#" PRIx64 ") overlaps the model's own "
            "[%#" PRIx64 ", %#" PRIx64 ")", describe(r, b, mine, sizeof mine),
            space, start, end, o->start, o->end);
    if (o)
        die(r, "%s: %s [%#" PRIx64 ", %#" PRIx64 ") overlaps [%#" PRIx64
            ", %#" PRIx64 ") of live %s", describe(r, b, mine, sizeof mine),
            space, start, end, o->start, o->end,
            describe(r, &r->block[o->owner], theirs, sizeof theirs));
    iv_insert(s, start, end, (uint32_t)(b - r->block));
}

static void unclaim(struct run *r, struct ivset *s, const struct block *b,
                    uint64_t start)
{
    uint32_t owner = iv_remove(s, start);

    CHECK(r, owner == (uint32_t)(b - r->block),
          "checker: block #%" PRIu64 " had no interval at %#" PRIx64,
          b->serial, start);
}

static void claim_block(struct run *r, const struct block *b)
{
    uint64_t start, end;

    if (b->where == IN_DIRECTMAP && b->size) {
        start = phys_of_directmap(r, b->p);
        claim(r, &r->phys, "physical", b, start, start + b->size);
    } else if (b->where == IN_VMAP) {
        virt_range(r, b, &start, &end);
        claim(r, &r->virt, "vmap pages (guard included)", b, start, end);
        for (uint32_t k = 0; k < b->pages; k++) {
            start = (uint64_t)b->frame[k] * r->page;
            claim(r, &r->phys, "physical", b, start,
                  start + vmap_page_bytes(r, b, k));
        }
    }
}

static void unclaim_block(struct run *r, const struct block *b)
{
    uint64_t start, end;

    if (b->where == IN_DIRECTMAP && b->size) {
        unclaim(r, &r->phys, b, phys_of_directmap(r, b->p));
    } else if (b->where == IN_VMAP) {
        virt_range(r, b, &start, &end);
        unclaim(r, &r->virt, b, start);
        for (uint32_t k = 0; k < b->pages; k++)
            unclaim(r, &r->phys, b, (uint64_t)b->frame[k] * r->page);
    }
}

/* ---- what a block holds ---- */

/* Checks the first word of each page of b through the frames' second
 * view: the page tables must map what the model says they map. */
static void verify_views(const struct run *r, const struct block *b,
                         size_t len, const char *when)
{
    uint64_t base = pattern_base(b->serial);
    char buf[256];

    for (size_t off = 0; off < len; off += r->page) {
        const struct frames *f = &r->m->frames;
        size_t n = len - off < 8 ? len - off : 8;
        const char *view;

        if (b->where == IN_VMAP)
            view = frame_to_view(f, b->frame[off / r->page]);
        else
            view = f->view + (b->p + off - f->directmap);
        CHECK(r, pattern_find_bad(view, off, n, base) == n,
              "%s: page at offset %zu holds other bytes in the frame the "
              "model says is behind it (%s)", describe(r, b, buf, sizeof buf),
              off, when);
    }
}

/* Checks that bytes [0, len) of b hold its pattern. */
static void verify_block(const struct run *r, const struct block *b,
                         size_t len, const char *when)
{
    uint64_t base = pattern_base(b->serial);
    size_t bad = pattern_find_bad(b->p, 0, len, base);
    char buf[256];

    CHECK(r, bad == len, "%s: byte %zu of %zu is %#x, not %#x (%s)",
          describe(r, b, buf, sizeof buf), bad, len, (uint8_t)b->p[bad],
          pattern_byte(base, bad), when);
    verify_views(r, b, len, when);
}

/* The frame Xen's page tables map at page k of a vmap block. */
static uint32_t vmap_frame(const struct run *r, const char *p, long k)
{
    return lookup_frame(&r->m->mapper, p + k * (long)r->page);
}

/* A vmap block's area and page table entries stay as they were. */
static void verify_vmap(const struct run *r, const struct block *b)
{
    uint32_t idx = (uint32_t)((size_t)(b->p - r->m->vmap.base) / r->page);
    unsigned pages = vm_size(r->m, b->p);
    char buf[256];

    CHECK(r, pages == b->pages, "%s: vm_size says %u pages, it had %u",
          describe(r, b, buf, sizeof buf), pages, b->pages);
    for (uint32_t k = 0; k < b->pages; k++) {
        uint32_t f = vmap_frame(r, b->p, k);

        CHECK(r, f == b->frame[k], "%s: page %u now maps frame %u, it "
              "mapped %u", describe(r, b, buf, sizeof buf), k, f,
              b->frame[k]);
    }
    /* Its guard page, before it, maps nothing (idx - 1 is past vm_low's
     * bitmap pages, which are mapped). */
    CHECK(r, vmap_frame(r, b->p, -1) == NO_FRAME,
          "%s: the guard page before page %u is mapped",
          describe(r, b, buf, sizeof buf), idx);
}

static void verify_whole(const struct run *r, const struct block *b,
                         const char *when)
{
    verify_block(r, b, b->size, when);
    if (b->where == IN_VMAP)
        verify_vmap(r, b);
}

/* ---- where a new block may be ---- */

/* Sets where b is: it must lie wholly in the directmap (past frame 0,
 * which the heap never has) or the vmap area, or be the zero block. */
static void place(const struct run *r, struct block *b)
{
    const struct frames *f = &r->m->frames;
    char *dm_end = f->directmap + ((size_t)f->nr_frames << f->page_shift);
    char *vm_end = r->m->vmap.base + (size_t)r->m->vmap.end * r->page;
    char buf[256];

    if (b->p == ZERO_BLOCK_PTR) {
        b->where = IN_ZERO;
        CHECK(r, b->size == 0, "the zero block returned for size %zu",
              b->size);
    } else if (in_directmap(f, b->p)) {
        b->where = IN_DIRECTMAP;
        CHECK(r, b->p >= f->directmap + r->page &&
              (size_t)(dm_end - b->p) >= b->size,
              "%s: not wholly inside frames 1.. of the directmap",
              describe(r, b, buf, sizeof buf));
    } else {
        CHECK(r, in_vmap(r->m, b->p),
              "%p (size %zu) is neither in the directmap nor in the vmap "
              "area", (void *)b->p, b->size);
        b->where = IN_VMAP;
        CHECK(r, (size_t)(vm_end - b->p) >= b->size,
              "%s: runs past the end of the vmap area",
              describe(r, b, buf, sizeof buf));
    }
}

/* The path each backend's policy prescribes, where it is certain. */
static void check_policy(const struct run *r, const struct block *b,
                         bool realloc)
{
    const char *be = r->v->backend;
    bool vmap = b->where == IN_VMAP, big = b->size > r->page;
    char buf[256];

    if (b->flags & HEAP_NEEDS_CONTIG)
        CHECK(r, !vmap, "%s: a contiguous request went to vmalloc",
              describe(r, b, buf, sizeof buf));
    else if (!strcmp(be, "vmalloc") && b->size)
        CHECK(r, vmap, "%s: vmalloc gave a directmap block",
              describe(r, b, buf, sizeof buf));
    else if (!strcmp(be, "xvmalloc") && b->size)
        CHECK(r, vmap == big, "%s: xvmalloc must use %s for this size",
              describe(r, b, buf, sizeof buf), big ? "vmalloc" : "xmalloc");
    else if (!strcmp(be, "kvmalloc") && !realloc && !big)
        CHECK(r, !vmap, "%s: kvmalloc must use kmalloc for this size",
              describe(r, b, buf, sizeof buf));
    if (!strcmp(be, "pages") || !strcmp(be, "xmalloc"))
        CHECK(r, !vmap, "%s: %s gave a vmap block",
              describe(r, b, buf, sizeof buf), be);
}

static void check_alignment(const struct run *r, const struct block *b)
{
    size_t min = r->m->tlsf->mem_align;
    size_t align = b->align > min ? b->align : min;
    char buf[256];

    if (b->where == IN_ZERO)
        return;
    if (b->where == IN_VMAP || !strcmp(r->v->backend, "pages")) {
        size_t want = b->size > align ? b->size : align;
        /* Buddy blocks are as aligned as they are large. */
        unsigned order = b->where == IN_VMAP ? 0 : get_order_from_bytes(
                                                       &r->m->pa, want);

        align = r->page << order;
    }
    CHECK(r, ((uintptr_t)b->p & (align - 1)) == 0,
          "%s: not aligned to %zu", describe(r, b, buf, sizeof buf), align);
}

/* heap.c's placement record must say what happened. */
static void check_placement(const struct run *r, const struct block *b,
                            const struct placement *pl)
{
    uint64_t off;
    char buf[256];

    if (b->where == IN_ZERO)
        return;
    off = b->where == IN_VMAP ? (uint64_t)(b->p - r->m->vmap.base)
                              : phys_of_directmap(r, b->p);
    CHECK(r, (pl->path == PATH_VMAP) == (b->where == IN_VMAP) &&
          pl->path != PATH_NONE && pl->offset == off,
          "%s: placement says path %s offset %#" PRIx64,
          describe(r, b, buf, sizeof buf), alloc_path_name(pl->path),
          pl->offset);
    CHECK(r, b->where != IN_VMAP || pl->va_pages == b->pages + 1ull,
          "%s: placement says %" PRIu64 " vmap pages, the area has %u + guard",
          describe(r, b, buf, sizeof buf), pl->va_pages, b->pages);
}

/* Records the frames behind a new vmap block. */
static void take_frames(struct run *r, struct block *b)
{
    char buf[256];

    CHECK(r, ((uintptr_t)b->p & (r->page - 1)) == 0,
          "%s: a vmap block that is not page aligned",
          describe(r, b, buf, sizeof buf));
    b->pages = (uint32_t)pages_of(r, b->size);
    CHECK(r, b->pages && vm_size(r->m, b->p) == b->pages,
          "%s: vm_size says %u pages for %u", describe(r, b, buf, sizeof buf),
          vm_size(r->m, b->p), b->pages);
    b->frame = malloc(b->pages * sizeof *b->frame);
    assert_non_null(b->frame);
    for (uint32_t k = 0; k < b->pages; k++)
        b->frame[k] = vmap_frame(r, b->p, k);
    for (uint32_t k = 0; k < b->pages; k++)
        CHECK(r, b->frame[k] != 0 && b->frame[k] < r->m->frames.nr_frames,
              "%s: page %u maps frame %u of %u", describe(r, b, buf,
              sizeof buf), k, b->frame[k], r->m->frames.nr_frames);
}

/* Checks a block just returned, fills it past its first keep bytes (which
 * must hold its pattern already) and claims its memory. */
static void admit(struct run *r, struct block *b, const struct placement *pl,
                  size_t keep, bool realloc)
{
    char buf[256];

    b->pages = 0;
    b->frame = NULL;
    place(r, b);
    if (b->where == IN_VMAP)
        take_frames(r, b);
    check_alignment(r, b);
    check_policy(r, b, realloc);
    check_placement(r, b, pl);
    /* Domheap pages are scrubbed before they are handed out again: with
     * scrub on, vmalloc never shows a previous owner's data. */
    if (!realloc && ((b->flags & HEAP_ZERO) ||
                     (b->where == IN_VMAP && r->m->cfg.scrub))) {
        size_t bad = find_nonzero(b->p, b->size);

        CHECK(r, bad == b->size, "%s: byte %zu of a %s block is %#x",
              describe(r, b, buf, sizeof buf), bad,
              b->flags & HEAP_ZERO ? "zeroed" : "freshly scrubbed",
              (uint8_t)b->p[bad]);
    }
    if (keep)
        verify_block(r, b, keep, "the bytes a realloc must keep");
    pattern_fill(b->p + keep, keep, b->size - keep, pattern_base(b->serial));
    verify_views(r, b, b->size, "just filled");
    claim_block(r, b);
    r->live_bytes += b->size;
    r->live_vmap_pages += b->pages;
    r->n.zero_blocks += b->where == IN_ZERO;
    r->n.vmap_blocks += b->where == IN_VMAP;
}

/* After a vmap block went (every rule clears its entries at vfree), no
 * page of it maps anything; and every page-table frame is accounted for:
 * those of boot and those allocated since, less those freed. */
static void check_gone(const struct run *r, const struct block *b)
{
    const struct pagetable *pt = &r->m->mapper.pt;
    char buf[256];

    for (uint32_t k = 0; b->where == IN_VMAP && k < b->pages; k++)
        CHECK(r, vmap_frame(r, b->p, k) == NO_FRAME,
              "%s: page %u still maps a frame after the free",
              describe(r, b, buf, sizeof buf), k);
    CHECK(r, pt->live_tables == pt->boot_tables + pt->n.tables_allocated -
             pt->n.tables_freed, "%" PRIu64 " page-table frames live, but "
          "%" PRIu64 " from boot + %" PRIu64 " allocated - %" PRIu64 " freed",
          pt->live_tables, pt->boot_tables, pt->n.tables_allocated,
          pt->n.tables_freed);
}

/* Forgets b's memory: it is being freed, or moved by a realloc. */
static void release(struct run *r, struct block *b)
{
    unclaim_block(r, b);
    r->live_bytes -= b->size;
    r->live_vmap_pages -= b->pages;
    free(b->frame);
    b->frame = NULL;
}

/* ---- the requests ---- */

struct request {
    size_t size, align;
    unsigned flags;
    bool huge;     /* no memory can satisfy it: it must fail */
};

static size_t pick_size(struct run *r)
{
    uint64_t u = rng_below(&r->rng, 1000);
    uint64_t multi_pm = MULTI_PM_4K * 4096 / r->page;
    size_t pages;

    if (u < SIZE_ZERO_PM)
        return 0;
    if (u < SIZE_ZERO_PM + SIZE_NEAR_PM)
        return r->page - NEAR_PAGE + (size_t)rng_below(&r->rng,
                                                       2 * NEAR_PAGE + 1);
    if (u < SIZE_ZERO_PM + SIZE_NEAR_PM + multi_pm) {
        pages = (size_t)rng_log(&r->rng, 2, MAX_MULTI_PAGES);
        return pages * r->page - (size_t)rng_below(&r->rng, r->page);
    }
    return (size_t)rng_log(&r->rng, 1, SMALL_MAX);
}

/* Sizes past all memory, past memory and the vmap area together, and near
 * SIZE_MAX, where page rounding overflows. */
static size_t pick_huge(struct run *r)
{
    switch (rng_below(&r->rng, 5)) {
    case 0:
        return (size_t)r->m->cfg.memory_bytes * 2;
    case 1:
        return (size_t)(r->m->cfg.vmap_bytes + r->m->cfg.memory_bytes);
    case 2:
        return SIZE_MAX / 2 + 1;
    case 3:
        return SIZE_MAX - (size_t)rng_below(&r->rng, r->page);
    default:
        return SIZE_MAX - r->page - (size_t)rng_below(&r->rng, r->page);
    }
}

static size_t pick_align(struct run *r)
{
    static const size_t small[] = { 0, 16, 32, 64, 256, 4096 };
    uint64_t u = rng_below(&r->rng, 100);

    if (u < 70)
        return 0;
    if (u < 97)
        return small[rng_below(&r->rng, sizeof small / sizeof small[0])];
    if (u < 99)
        return r->page;
    return r->page << (1 + rng_below(&r->rng, 3));
}

static struct request pick_request(struct run *r)
{
    struct request q = { 0, 0, 0, false };

    if (rng_one_in(&r->rng, HUGE_ONE_IN)) {
        q.size = pick_huge(r);
        q.huge = true;
    } else {
        q.size = pick_size(r);
    }
    q.align = pick_align(r);
    if (rng_one_in(&r->rng, 10))
        q.flags |= HEAP_NEEDS_CONTIG;
    if (rng_one_in(&r->rng, 10))
        q.flags |= HEAP_ZERO;
    return q;
}

/* A refused request: huge ones must be, vmap paths may refuse alignment
 * above PAGE_SIZE; the rest is counted and judged at the end. */
static void refused(struct run *r, const struct request *q)
{
    if (q->huge)
        r->n.huge_refused++;
    else if (q->align > r->page)
        r->n.align_refused++;
    else
        r->n.other_failures++;
}

/* Whether a block of this much more memory keeps the run in bounds. */
static bool room_for(const struct run *r, size_t more)
{
    return r->live_bytes + more <= r->live_cap &&
           r->live_vmap_pages + pages_of(r, more) <= MAX_VMAP_PAGES;
}

/* ---- the operations ---- */

static struct block *slot_take(struct run *r)
{
    uint32_t slot = r->spare[--r->nspare];
    struct block *b = &r->block[slot];

    memset(b, 0, sizeof *b);
    b->pos = r->nlive;
    r->live[r->nlive++] = slot;
    return b;
}

static void slot_give(struct run *r, struct block *b)
{
    uint32_t slot = (uint32_t)(b - r->block);
    uint32_t last = r->live[--r->nlive];

    r->live[b->pos] = last;
    r->block[last].pos = b->pos;
    r->spare[r->nspare++] = slot;
}

static struct block *pick_live(struct run *r)
{
    return &r->block[r->live[rng_below(&r->rng, r->nlive)]];
}

/* False when the request would take the run out of bounds. */
static bool op_alloc(struct run *r)
{
    struct request q = pick_request(r);
    struct placement pl;
    struct block *b;
    char *p;

    r->op = "alloc";
    if (!q.huge && !room_for(r, q.size))
        return false;
    p = heap_alloc(r->h, q.size, q.align, q.flags, &pl);
    r->n.allocs++;
    if (!p) {
        refused(r, &q);
        return true;
    }
    CHECK(r, !q.huge, "a request of %zu bytes (align %zu) succeeded: %p",
          q.size, q.align, (void *)p);
    b = slot_take(r);
    *b = (struct block){ .p = p, .size = q.size, .align = q.align,
                         .flags = q.flags, .serial = r->next_serial++,
                         .pos = b->pos };
    admit(r, b, &pl, 0, false);
    return true;
}

static void op_free(struct run *r)
{
    struct block *b = pick_live(r);

    r->op = "free";
    verify_whole(r, b, "before free");
    release(r, b);
    heap_free(r->h, b->p, b->size);
    check_gone(r, b);
    slot_give(r, b);
    r->n.frees++;
}

/* A new size near the old one (in place, mostly) or anywhere. */
static size_t pick_resize(struct run *r, const struct block *b)
{
    if (rng_one_in(&r->rng, 4)) {
        size_t delta = (size_t)rng_below(&r->rng, 64);

        return rng_one_in(&r->rng, 2) || b->size < delta ? b->size + delta
                                                        : b->size - delta;
    }
    return pick_size(r);
}

static void op_realloc(struct run *r)
{
    struct block *b = pick_live(r);
    size_t old_size = b->size;
    bool huge = rng_one_in(&r->rng, HUGE_ONE_IN);
    size_t size = huge ? pick_huge(r) : pick_resize(r, b);
    struct placement pl;
    char *p, buf[256];

    if (!huge && size > b->size && !room_for(r, size - b->size))
        return;
    snprintf(r->op_text, sizeof r->op_text, "realloc to %zu of %s", size,
             describe(r, b, buf, sizeof buf));
    r->op = r->op_text;
    verify_whole(r, b, "before realloc");
    p = heap_realloc(r->h, b->p, b->size, size, b->flags, &pl);
    r->n.reallocs++;
    if (!p) {
        struct request q = { size, 0, b->flags, huge };

        refused(r, &q);
        verify_whole(r, b, "after a failed realloc");
        return;
    }
    CHECK(r, !huge, "%s: realloc to %zu bytes succeeded: %p",
          describe(r, b, buf, sizeof buf), size, (void *)p);
    release(r, b);
    if (p != b->p)
        check_gone(r, b);
    b->p = p;
    b->size = size;
    b->align = 0;     /* realloc promises the natural alignment only */
    admit(r, b, &pl, old_size < size ? old_size : size, true);
}

/* ---- whole-heap checks ---- */

static void check_model(const struct run *r)
{
    char why[512] = "";

    CHECK(r, xen_model_check(r->m, why, sizeof why) == 0,
          "xen_model_check: %s", why);
}

static void check_stats(const struct run *r)
{
    struct heap_stats st;
    uint64_t va = 0;

    heap_stats(r->h, &st);
    for (uint32_t i = 0; i < r->nlive; i++) {
        const struct block *b = &r->block[r->live[i]];

        va += b->pages ? b->pages + 1 : 0;
    }
    CHECK(r, st.live_bytes == r->live_bytes,
          "stats say %" PRIu64 " live bytes, the blocks hold %" PRIu64,
          st.live_bytes, r->live_bytes);
    /* Lazily freed areas keep their pages until the next purge. */
    CHECK(r, r->m->cfg.flush == FLUSH_LAZY ? st.va_pages_in_use >= va
                                           : st.va_pages_in_use == va,
          "stats say %" PRIu64 " vmap pages in use, the blocks hold %" PRIu64,
          st.va_pages_in_use, va);
}

/* Xen's idle scrubber (heap_idle): it must leave no dirty free page and
 * touch no live block (the next full check verifies their patterns). */
static void idle_scrub(struct run *r)
{
    r->op = "idle scrub";
    heap_idle(r->h);
    CHECK(r, r->m->pa.node_need_scrub == 0,
          "the idle scrubber left %lu dirty free pages",
          r->m->pa.node_need_scrub);
}

static void full_check(struct run *r)
{
    r->op = "full check";
    check_model(r);
    check_stats(r);
    for (uint32_t i = 0; i < r->nlive; i++)
        verify_whole(r, &r->block[r->live[i]], "full check");
    r->n.full_checks++;
}

static uint32_t *take_census(struct run *r, size_t *n)
{
    size_t count = free_block_census(&r->m->pa, NULL, 0);
    uint32_t *c = calloc(count ? count : 1, sizeof *c);

    assert_non_null(c);
    free_block_census(&r->m->pa, c, count);
    *n = count;
    return c;
}

/* With no block live, every frame is back and has merged back. Cheap: an
 * empty heap has few free blocks. */
static void empty_check(struct run *r)
{
    struct page_alloc *pa = &r->m->pa;
    uint64_t tables = r->m->mapper.pt.live_tables;
    size_t n;
    uint32_t *now;

    r->op = "empty heap";
    check_stats(r);
    /* Page tables stay as Xen leaves them (x86 frees an L1 only when its
     * whole run is cleared at once; Arm never frees one). */
    CHECK(r, pa->frames_in_use == pa->overhead_frames + tables,
          "no block is live, yet %" PRIu64 " frames are in use beside %" PRIu64
          " of the model's own and %" PRIu64 " page tables",
          pa->frames_in_use - pa->overhead_frames - tables,
          pa->overhead_frames, tables);
    /* The vmap bitmap may have grown, page tables may stay: their frames
     * then stay taken. */
    if (pa->overhead_frames != r->overhead0 || tables)
        return;
    now = take_census(r, &n);
    for (size_t i = 0; i < n && i < r->ncensus; i++)
        if (now[i] != r->census0[i]) {
            unsigned orders = pa->max_order + 1;
            uint32_t blocks = now[i];

            free(now);
            die(r, "free lists differ from a fresh heap's at zone %zu order "
                "%zu: %u blocks, %u at the start", i / orders, i % orders,
                blocks, r->census0[i]);
        }
    free(now);
    r->n.empties++;
}

/* ---- the steps ---- */

static void next_phase(struct run *r)
{
    r->phase_end = r->step + PHASE_MIN + rng_below(&r->rng, PHASE_SPAN);
    if (rng_one_in(&r->rng, DRAIN_ONE_IN))
        r->target = 0;
    else if (rng_one_in(&r->rng, FEW_ONE_IN))
        r->target = (uint32_t)rng_log(&r->rng, 1, MAX_LIVE / 16);
    else
        r->target = MAX_LIVE / 4 + (uint32_t)rng_below(&r->rng, MAX_LIVE);
}

/* After every step: Xen's page tables map in the vmap area exactly the
 * pages of live blocks and the bitmap's own, no other entry is present. */
static void check_mapped(const struct run *r)
{
    const struct vmap *v = &r->m->vmap;
    uint64_t bits = (uint64_t)r->page * 8;
    uint64_t want = r->live_vmap_pages + (v->top + bits - 1) / bits;
    uint64_t have = pt_mapped_vmap(&r->m->mapper.pt);

    CHECK(r, have == want, "Xen's page tables map %" PRIu64 " vmap pages: "
          "%" PRIu64 " of live blocks and the bitmap's should be all", have,
          want);
}

/* Allocation is favoured below the target and freeing above it: the live
 * set grows, shrinks and now and then empties. */
static void one_step(struct run *r)
{
    unsigned alloc_pm = r->target == 0 ? 150 : r->nlive < r->target ? 600 : 400;
    uint64_t u = rng_below(&r->rng, 1000);

    if (r->step >= r->phase_end)
        next_phase(r);
    if (r->nlive == 0 || u < alloc_pm) {
        if ((r->nlive < MAX_LIVE && op_alloc(r)) || r->nlive == 0)
            goto done;
    } else if (u < alloc_pm + 100) {
        op_realloc(r);
        goto done;
    }
    op_free(r);
    if (r->nlive == 0) {
        empty_check(r);
        if (r->target == 0)      /* drained: on to the next phase */
            next_phase(r);
    }
done:
    check_mapped(r);
    if ((r->step + 1) % IDLE_SCRUB_EVERY == 0)
        idle_scrub(r);
    if ((r->step + 1) % FULL_CHECK_EVERY == 0)
        full_check(r);
}

/* FNV-1a: each test's seed follows from its name and the global seed. */
static uint64_t name_hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;

    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
    return h;
}

static void start(struct run *r, const struct variant *v)
{
    struct heap_config cfg;
    char why[512] = "";

    memset(r, 0, sizeof *r);
    r->v = v;
    r->page = v->page;
    r->ops = global_ops;
    r->seed = mix64(global_seed ^ name_hash(v->name));
    variant_config(v, &cfg);
    r->h = heap_create(v->backend, &cfg, why, sizeof why);
    if (!r->h)
        die(r, "heap_create: %s", why);
    CHECK(r, r->h->backend->model && r->h->xen, "%s is not a model backend",
          v->backend);
    r->m = r->h->xen;
    /* Tight memory runs near its end: failures on every path. */
    r->live_cap = v->tweak == TWEAK_TIGHT ? cfg.memory_bytes / 4 * 3
                                          : cfg.memory_bytes >> LIVE_BYTES_SHIFT;
    r->block = calloc(MAX_LIVE, sizeof *r->block);
    r->live = calloc(MAX_LIVE, sizeof *r->live);
    r->spare = calloc(MAX_LIVE, sizeof *r->spare);
    assert_true(r->block && r->live && r->spare);
    for (uint32_t i = 0; i < MAX_LIVE; i++)
        r->spare[r->nspare++] = MAX_LIVE - 1 - i;
    iv_init(&r->phys);
    iv_init(&r->virt);
    /* The pool's descriptor is the model's: no block may touch it. */
    iv_insert(&r->phys, phys_of_directmap(r, (char *)r->m->xenpool),
              phys_of_directmap(r, (char *)r->m->xenpool) +
              r->m->tlsf->pool_bytes, OWNER_MODEL);
    r->census0 = take_census(r, &r->ncensus);
    r->overhead0 = r->m->pa.overhead_frames;
    r->rng.s = r->seed;
    r->next_serial = 1;
    check_model(r);
}

static void finish(struct run *r)
{
    struct heap_stats st;

    r->op = "final free";
    while (r->nlive)
        op_free(r);
    if (r->m->cfg.flush == FLUSH_LAZY)
        vm_purge_lazy(r->m);
    check_model(r);
    empty_check(r);
    heap_stats(r->h, &st);
    CHECK(r, st.live_bytes == 0 && st.va_pages_in_use == 0,
          "at the end %" PRIu64 " live bytes, %" PRIu64 " vmap pages in use",
          st.live_bytes, st.va_pages_in_use);
    if (r->m->pa.overhead_frames != r->overhead0)
        print_message("%s: the vmap bitmap grew, so the free lists were not "
                      "compared with a fresh heap's\n", r->v->name);
}

static void stop(struct run *r)
{
    if (!r)
        return;
    for (uint32_t i = 0; r->block && i < r->nlive; i++)
        free(r->block[r->live[i]].frame);
    heap_destroy(r->h);
    iv_fini(&r->phys);
    iv_fini(&r->virt);
    free(r->census0);
    free(r->block);
    free(r->live);
    free(r->spare);
    free(r);
}

static void report(const struct run *r, double secs)
{
    print_message("%-32s %" PRIu64 " steps in %.2fs: %" PRIu64 " allocs "
                  "%" PRIu64 " frees %" PRIu64 " reallocs, %" PRIu64
                  " vmap %" PRIu64 " zero blocks, %" PRIu64 " empties, "
                  "refused: %" PRIu64 " huge %" PRIu64 " align %" PRIu64
                  " other\n", r->v->name, r->step, secs, r->n.allocs,
                  r->n.frees, r->n.reallocs, r->n.vmap_blocks,
                  r->n.zero_blocks, r->n.empties, r->n.huge_refused,
                  r->n.align_refused, r->n.other_failures);
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_model(void **state)
{
    const struct variant *v = *state;
    struct run *r = calloc(1, sizeof *r);
    double t0 = now_s();

    assert_non_null(r);
    *state = r;     /* the teardown frees it, even after a failure */
    start(r, v);
    for (r->step = 0; r->step < r->ops; r->step++)
        one_step(r);
    full_check(r);
    finish(r);
    /* Memory is ample but where the configuration makes it short. */
    CHECK(r, v->tweak == TWEAK_SMALL_XENHEAP || v->tweak == TWEAK_SMALL_VMAP ||
          v->tweak == TWEAK_TIGHT || r->n.other_failures == 0,
          "%" PRIu64 " ordinary requests failed with memory to spare",
          r->n.other_failures);
    report(r, now_s() - t0);
}

static int teardown(void **state)
{
    stop(*state);
    return 0;
}

/* ---- main ---- */

static uint64_t env_u64(const char *name, uint64_t dflt)
{
    const char *s = getenv(name);
    char *end;
    uint64_t v;

    if (!s || !*s)
        return dflt;
    v = strtoull(s, &end, 0);
    if (*end) {
        fprintf(stderr, "%s=%s: not a number\n", name, s);
        exit(2);
    }
    return v;
}

static bool sanitized(void)
{
#if defined(__SANITIZE_ADDRESS__)
    return true;
#else
    return false;
#endif
}

int main(void)
{
    static struct variant variants[NR_VARIANTS];
    static struct CMUnitTest tests[NR_VARIANTS];
    const char *only = getenv("XHEAP_CHECK_ONLY");
    size_t n = 0;

    global_ops = env_u64("XHEAP_CHECK_OPS",
                         sanitized() ? SANITIZER_OPS : DEFAULT_OPS);
    global_seed = env_u64("XHEAP_CHECK_SEED", DEFAULT_SEED);
    for (size_t b = 0; b < NR_BACKENDS; b++)
        for (size_t p = 0; p < NR_PAGES; p++)
            variants[n++] = (struct variant){ backend_names[b], page_sizes[p],
                                              TWEAK_NONE, "" };
    for (size_t e = 0; e < NR_EXTRAS; e++)
        variants[n++] = (struct variant){ extras[e].backend, 4096,
                                          extras[e].tweak, "" };
    for (size_t i = 0; i < n; i++) {
        struct variant *v = &variants[i];

        snprintf(v->name, sizeof v->name, "%s/%zuK%s", v->backend,
                 v->page >> 10, tweak_names[v->tweak]);
        tests[i] = (struct CMUnitTest){ v->name, test_model, NULL, teardown,
                                        v };
    }
    print_message("model check: %" PRIu64 " steps per test, seed %#" PRIx64
                  "\n", global_ops, global_seed);
    if (only && *only)
        cmocka_set_test_filter(only);
    return _cmocka_run_group_tests("model_check", tests, n, NULL, NULL);
}
