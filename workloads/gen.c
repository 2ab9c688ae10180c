/*
 * Synthetic workloads (see gen.h and docs/workloads.md). Randomness comes
 * from splitmix64 and integer arithmetic only, so a trace is a pure function
 * of its parameters.
 *
 * Threads: with --threads N every block belongs to one thread, a hash of its
 * id and the seed, and its a, r, w and f carry that t=. --cross-free PCT
 * moves that share of the frees to another thread. A free always comes after
 * its allocation in trace order, so every thread's events stay valid.
 */
#include "workloads/gen.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/trace.h"

#define GEN_DEFAULT_EVENTS   100000
#define GEN_DEFAULT_SEED     1
#define GEN_DEFAULT_PAGE     4096
#define GEN_MAX_LIVE         (1u << 24)  /* churn keeps an id array this long */
#define GEN_MAX_FRACTION_DIGITS 6        /* "1.1p": digits after the point */

/* churn's mix, in events per 1024 and allocations per 1024. */
#define CHURN_REALLOC_RATE   100     /* r events */
#define CHURN_WRITE_RATE     30      /* w events */
#define CHURN_CONTIG_RATE    128     /* a ... contig */
#define CHURN_ZERO_RATE      128     /* a ... zero */
#define CHURN_ALIGN_RATE     64      /* a ... align=2^k, 16 <= 2^k <= page */
#define CHURN_TOUCH_FIRST_RATE 64    /* a ... touch=first */
#define CHURN_TOUCH_ALL_RATE 32      /* a ... touch=all */
#define CHURN_MIN_ALIGN_LOG2 4
#define RATE_SCALE           1024

/* Fixed-point log2 with this many fraction bits, for log-uniform sizes. */
#define LOG2_FRAC_BITS       16

/* Linux's random_size_align draws one byte and derives both from it. */
#define VMALLOC_TEST_RANDOM_BITS 8

/* Keeps the thread hash apart from the workload's own random stream. */
#define THREAD_KEY_SALT      0x7468726561647321ULL
#define CROSS_FREE_SALT      0x63726f7373667265ULL

/* ---- random numbers ------------------------------------------------ */

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rng_next(struct gen_rng *r)
{
    return mix64(r->state += 0x9e3779b97f4a7c15ULL);
}

/* Uniform in [0, n), n >= 1; the multiply-shift bias is far below noise. */
static uint64_t rng_below(struct gen_rng *r, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)rng_next(r) * n) >> 64);
}

/* Uniform in [lo, hi]. */
static uint64_t rng_range(struct gen_rng *r, uint64_t lo, uint64_t hi)
{
    return lo + rng_below(r, hi - lo + 1);
}

static bool rng_chance(struct gen_rng *r, unsigned rate)
{
    return rng_below(r, RATE_SCALE) < rate;
}

static bool rng_percent(struct gen_rng *r, uint64_t pct)
{
    return pct && rng_below(r, 100) < pct;
}

static unsigned ilog2(uint64_t x)
{
    return 63 - (unsigned)__builtin_clzll(x);
}

/* log2(x) in fixed point, linear between powers of two (x >= 1). */
static uint64_t log2_fixed(uint64_t x)
{
    unsigned ip = ilog2(x);
    uint64_t frac = (uint64_t)(((unsigned __int128)(x - (1ULL << ip))
                                << LOG2_FRAC_BITS) >> ip);

    return ((uint64_t)ip << LOG2_FRAC_BITS) | frac;
}

/* The inverse of log2_fixed. */
static uint64_t exp2_fixed(uint64_t l)
{
    unsigned ip = (unsigned)(l >> LOG2_FRAC_BITS);
    uint64_t frac = l & ((1ULL << LOG2_FRAC_BITS) - 1);

    return (1ULL << ip) + (uint64_t)(((unsigned __int128)(1ULL << ip) * frac)
                                     >> LOG2_FRAC_BITS);
}

/* Log-uniform in [lo, hi]: as many sizes in 16..32 as in 1024..2048. */
static uint64_t rng_log_uniform(struct gen_rng *r, uint64_t lo, uint64_t hi)
{
    uint64_t llo = log2_fixed(lo), lhi = log2_fixed(hi);
    uint64_t s = exp2_fixed(llo + rng_below(r, lhi - llo + 1));

    return s < lo ? lo : s > hi ? hi : s;
}

static uint64_t div_round_up(uint64_t a, uint64_t b)
{
    return a / b + (a % b != 0);
}

/* ---- events -------------------------------------------------------- */

/* The thread a block belongs to: a hash, so no table is needed. */
static unsigned thread_of(const struct gen_out *o, uint64_t id)
{
    if (o->threads <= 1)
        return 0;
    return (unsigned)(((unsigned __int128)mix64(id ^ o->thread_key) *
                       o->threads) >> 64);
}

static void put(struct gen_out *o, const struct trace_event *ev)
{
    trace_write_event(o->f, ev);
    o->events++;
}

static uint64_t emit_alloc_id(struct gen_out *o, uint64_t id, uint64_t size,
                              unsigned flags, unsigned align_log2)
{
    struct trace_event ev = {
        .op = TRACE_ALLOC, .id = id, .size = size,
        .flags = (uint8_t)flags, .align_log2 = (uint8_t)align_log2,
        .thread = (uint16_t)thread_of(o, id),
    };

    put(o, &ev);
    return id;
}

static uint64_t emit_alloc(struct gen_out *o, uint64_t size, unsigned flags,
                           unsigned align_log2)
{
    return emit_alloc_id(o, o->next_id++, size, flags, align_log2);
}

static void emit_op(struct gen_out *o, enum trace_op op, uint64_t id,
                    uint64_t size)
{
    struct trace_event ev = {
        .op = (uint8_t)op, .id = id, .size = size,
        .thread = (uint16_t)thread_of(o, id),
    };

    if (op == TRACE_FREE && o->threads > 1 &&
        rng_percent(&o->xrng, o->cross_free))
        ev.thread = (uint16_t)((ev.thread + 1 +
                                rng_below(&o->xrng, o->threads - 1)) %
                               o->threads);
    put(o, &ev);
}

static void emit_free(struct gen_out *o, uint64_t id)
{
    emit_op(o, TRACE_FREE, id, 0);
}

/* Events still allowed. */
static uint64_t budget(const struct gen_out *o, const struct gen_params *p)
{
    return o->events < p->events ? p->events - o->events : 0;
}

/* ---- lifetimes ----------------------------------------------------- */

/*
 * Most workloads are a size distribution plus a lifetime distribution. A
 * block's lifetime is counted in allocations: lifetime 1 frees it before the
 * next allocation. Short lifetimes are uniform in [1, --life]; --long PCT of
 * the blocks instead live uniform in [L/2, L] with L = --long-life, or the
 * whole trace when that is 0. A min-heap on the time of death says what to
 * free next.
 */
struct request {
    uint64_t size;
    unsigned flags, align_log2;
};

typedef void (*request_fn)(struct gen_out *o, const struct gen_params *p,
                           void *state, struct request *rq);

struct death {
    uint64_t when, id;
};

struct deaths {
    struct death *v;
    size_t n, cap;
};

static bool death_before(const struct death *a, const struct death *b)
{
    return a->when < b->when || (a->when == b->when && a->id < b->id);
}

static int deaths_push(struct deaths *h, struct death d)
{
    size_t i;

    if (h->n == h->cap) {
        size_t cap = h->cap ? 2 * h->cap : 1024;
        struct death *v = realloc(h->v, cap * sizeof(*v));

        if (!v)
            return -1;
        h->v = v;
        h->cap = cap;
    }
    for (i = h->n++; i > 0 && death_before(&d, &h->v[(i - 1) / 2]);
         i = (i - 1) / 2)
        h->v[i] = h->v[(i - 1) / 2];
    h->v[i] = d;
    return 0;
}

static struct death deaths_pop(struct deaths *h)
{
    struct death top = h->v[0], last = h->v[--h->n];
    size_t i = 0;

    for (;;) {
        size_t c = 2 * i + 1;

        if (c >= h->n)
            break;
        if (c + 1 < h->n && death_before(&h->v[c + 1], &h->v[c]))
            c++;
        if (!death_before(&h->v[c], &last))
            break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (h->n)
        h->v[i] = last;
    return top;
}

static uint64_t lifetime(struct gen_rng *r, const struct gen_params *p,
                         uint64_t whole)
{
    uint64_t t;

    if (rng_percent(r, p->long_pct)) {
        uint64_t l = p->long_life ? p->long_life : whole;

        t = rng_range(r, l / 2, l);
    } else {
        t = rng_range(r, 1, p->life);
    }
    return t ? t : 1;
}

static int emit_lifetimes(struct gen_out *o, const struct gen_params *p,
                          request_fn next, void *state)
{
    struct deaths h = { 0 };
    uint64_t clock = 0, whole = p->events / 2;

    for (;;) {
        struct request rq = { 0 };
        uint64_t id;

        if (h.n && h.v[0].when <= clock) {
            emit_free(o, deaths_pop(&h).id);
            continue;
        }
        if (budget(o, p) < h.n + 2)
            break;   /* each live block still needs its free */
        next(o, p, state, &rq);
        id = emit_alloc(o, rq.size, rq.flags, rq.align_log2);
        if (deaths_push(&h, (struct death){
                clock + lifetime(&o->rng, p, whole), id }) != 0) {
            free(h.v);
            errno = ENOMEM;
            return -1;
        }
        clock++;
    }
    while (h.n)
        emit_free(o, deaths_pop(&h).id);
    free(h.v);
    return 0;
}

/* Sizes log-uniform in [--min, --max], no flags: xmalloc-like or large. */
static void log_uniform_request(struct gen_out *o, const struct gen_params *p,
                                void *state, struct request *rq)
{
    rq->size = rng_log_uniform(&o->rng, p->min_size, p->max_size);
}

/* Sizes uniform in [--min, --max], contiguous: odd page counts. */
static void odd_contig_request(struct gen_out *o, const struct gen_params *p,
                               void *state, struct request *rq)
{
    rq->size = rng_range(&o->rng, p->min_size, p->max_size);
    rq->flags = TRACE_CONTIG;
}

static int emit_small(struct gen_out *o, const struct gen_params *p)
{
    return emit_lifetimes(o, p, log_uniform_request, NULL);
}

static int emit_odd_contig(struct gen_out *o, const struct gen_params *p)
{
    return emit_lifetimes(o, p, odd_contig_request, NULL);
}

static int emit_large(struct gen_out *o, const struct gen_params *p)
{
    return emit_lifetimes(o, p, log_uniform_request, NULL);
}

static int emit_short_lived(struct gen_out *o, const struct gen_params *p)
{
    struct gen_params q = *p;

    q.long_pct = 0;
    return emit_lifetimes(o, &q, log_uniform_request, NULL);
}

static int emit_long_lived(struct gen_out *o, const struct gen_params *p)
{
    struct gen_params q = *p;

    q.long_pct = 100;
    return emit_lifetimes(o, &q, log_uniform_request, NULL);
}

/* threshold: the i-th request is PAGE_SIZE - range + (i * step mod span). */
static void threshold_request(struct gen_out *o, const struct gen_params *p,
                              void *state, struct request *rq)
{
    uint64_t *i = state, span = 2 * p->range + 1;

    rq->size = p->page_size - p->range + (*i * p->step) % span;
    (*i)++;
}

static int emit_threshold(struct gen_out *o, const struct gen_params *p)
{
    uint64_t i = 0;

    return emit_lifetimes(o, p, threshold_request, &i);
}

/* ---- mixed --------------------------------------------------------- */

struct mix_state {
    uint64_t min[GEN_CLASSES], max[GEN_CLASSES];
    unsigned total;
};

static void mixed_request(struct gen_out *o, const struct gen_params *p,
                          void *state, struct request *rq)
{
    const struct mix_state *m = state;
    uint64_t pick = rng_below(&o->rng, m->total);
    unsigned c = 0;

    while (pick >= p->mix[c])
        pick -= p->mix[c++];
    if (c == GEN_CLASS_ODD) {
        rq->size = rng_range(&o->rng, m->min[c], m->max[c]);
        rq->flags = TRACE_CONTIG;
    } else {
        rq->size = rng_log_uniform(&o->rng, m->min[c], m->max[c]);
    }
}

static int mix_ranges(const struct gen_params *p, struct mix_state *m,
                      char *why, size_t len);

static int emit_mixed(struct gen_out *o, const struct gen_params *p)
{
    struct mix_state m;
    char why[128];

    if (mix_ranges(p, &m, why, sizeof(why)) != 0) {
        errno = EINVAL;
        return -1;
    }
    return emit_lifetimes(o, p, mixed_request, &m);
}

/* ---- pairs, pages, churn ------------------------------------------- */

static unsigned request_flags(const struct gen_params *p)
{
    return (p->contig ? TRACE_CONTIG : 0) | (p->zero ? TRACE_ZERO : 0);
}

/* pairs: allocate one size and free it at once; the fast path, nothing
 * else. With --live K, K blocks are allocated before they are freed in the
 * same order, so that a path's waste shows with many blocks live. */
static int emit_pairs(struct gen_out *o, const struct gen_params *p)
{
    uint64_t *ids = malloc(p->live * sizeof *ids);

    if (!ids)
        return -1;
    while (budget(o, p) >= 2 * p->live) {
        for (uint64_t n = 0; n < p->live; n++)
            ids[n] = emit_alloc(o, p->size, request_flags(p), 0);
        for (uint64_t n = 0; n < p->live; n++)
            emit_free(o, ids[n]);
    }
    free(ids);
    return 0;
}

/* pages: alloc_xenheap_pages(order) and free_xenheap_pages, contiguous. */
static int emit_pages(struct gen_out *o, const struct gen_params *p)
{
    uint64_t size = p->page_size << p->order;

    while (budget(o, p) >= 2)
        emit_free(o, emit_alloc(o, size, TRACE_CONTIG, 0));
    return 0;
}

static unsigned churn_alloc_flags(struct gen_rng *r)
{
    unsigned flags = 0;

    if (rng_chance(r, CHURN_CONTIG_RATE))
        flags |= TRACE_CONTIG;
    if (rng_chance(r, CHURN_ZERO_RATE))
        flags |= TRACE_ZERO;
    if (rng_chance(r, CHURN_TOUCH_FIRST_RATE))
        flags |= TRACE_TOUCH_FIRST;
    else if (rng_chance(r, CHURN_TOUCH_ALL_RATE))
        flags |= TRACE_TOUCH_ALL;
    return flags;
}

static unsigned churn_align_log2(struct gen_rng *r, uint64_t page_size)
{
    unsigned top = ilog2(page_size);

    if (!rng_chance(r, CHURN_ALIGN_RATE))
        return 0;
    return CHURN_MIN_ALIGN_LOG2 +
           (unsigned)rng_below(r, top - CHURN_MIN_ALIGN_LOG2 + 1);
}

/*
 * churn: a random mix of every op around a steady state of about --live
 * blocks. An allocation is chosen with probability 1 - live / (2 * limit),
 * which settles near the limit without sitting on it. The last events free
 * what is left, so the trace ends with nothing live.
 */
static int emit_churn(struct gen_out *o, const struct gen_params *p)
{
    struct gen_rng *r = &o->rng;
    uint64_t *ids = malloc(p->live * sizeof(*ids));
    uint64_t live = 0;

    if (!ids)
        return -1;
    while (o->events < p->events) {
        uint64_t left = p->events - o->events;
        uint64_t pick = live ? rng_below(r, live) : 0;

        if (live == 0 && left < 2)
            break;   /* an allocation here could not be freed */
        if (live == 0 || (left > live + 1 && live < p->live &&
                          rng_below(r, 2 * p->live) >= live)) {
            uint64_t size = rng_log_uniform(r, p->min_size, p->max_size);
            unsigned flags = churn_alloc_flags(r);

            ids[live++] = emit_alloc(o, size, flags,
                                     churn_align_log2(r, p->page_size));
        } else if (left > live && rng_chance(r, CHURN_REALLOC_RATE)) {
            emit_op(o, TRACE_REALLOC, ids[pick],
                    rng_log_uniform(r, p->min_size, p->max_size));
        } else if (left > live && rng_chance(r, CHURN_WRITE_RATE)) {
            emit_op(o, TRACE_WRITE, ids[pick], 0);
        } else {
            emit_free(o, ids[pick]);
            ids[pick] = ids[--live];
        }
    }
    free(ids);
    return 0;
}

/* ---- aging --------------------------------------------------------- */

/*
 * aging: fill memory to --fill percent of --memory (counting whole pages),
 * then repeat rounds while events last: free --free percent of the live
 * blocks at random, probe, refill. A probe asks for one contiguous block of
 * each order 0 .. K (K = --max-order, or less when memory is smaller) and
 * frees it at once. A trace cannot know which probe failed, so probe ids are
 * GEN_PROBE_ID(round, order): the placements CSV shows which succeeded, and
 * on a buddy allocator the failures of one round are its top orders, so
 * K - (failures in the round) is the largest free order (docs/workloads.md).
 */
struct aging {
    uint64_t *ids, *pages;
    size_t n;
    uint64_t live_pages, target_pages;
    unsigned probe_orders;
};

static uint64_t aging_target_pages(const struct gen_params *p)
{
    return (uint64_t)((unsigned __int128)(p->memory / p->page_size) *
                      p->fill_pct / 100);
}

static unsigned aging_probe_orders(const struct gen_params *p)
{
    unsigned top = ilog2(p->memory / p->page_size);

    return (unsigned)(p->max_order < top ? p->max_order : top) + 1;
}

/* Allocations the first fill takes, counted by drawing the same sizes; stops
 * counting past LIMIT. */
#define AGING_MAX_COUNTED (1ULL << 26)
static uint64_t aging_fill_count(const struct gen_params *p, uint64_t limit)
{
    struct gen_rng r = { p->seed };
    uint64_t pages = 0, n = 0, target = aging_target_pages(p);

    while (pages < target && n <= limit) {
        pages += div_round_up(rng_log_uniform(&r, p->min_size, p->max_size),
                              p->page_size);
        n++;
    }
    return n;
}

static int aging_fill(struct gen_out *o, const struct gen_params *p,
                      struct aging *a)
{
    unsigned flags = p->contig ? TRACE_CONTIG : 0;

    while (a->live_pages < a->target_pages && budget(o, p) >= a->n + 2) {
        uint64_t size = rng_log_uniform(&o->rng, p->min_size, p->max_size);
        uint64_t pages = div_round_up(size, p->page_size);
        uint64_t *ids = realloc(a->ids, (a->n + 1) * sizeof(*ids));
        uint64_t *pg;

        if (!ids)
            return -1;
        a->ids = ids;
        pg = realloc(a->pages, (a->n + 1) * sizeof(*pg));
        if (!pg)
            return -1;
        a->pages = pg;
        a->ids[a->n] = emit_alloc(o, size, flags, 0);
        a->pages[a->n++] = pages;
        a->live_pages += pages;
    }
    return 0;
}

static void aging_free_at(struct gen_out *o, struct aging *a, size_t i)
{
    emit_free(o, a->ids[i]);
    a->live_pages -= a->pages[i];
    a->n--;
    a->ids[i] = a->ids[a->n];
    a->pages[i] = a->pages[a->n];
}

static void aging_probe(struct gen_out *o, const struct gen_params *p,
                        uint64_t round, unsigned orders)
{
    for (unsigned k = 0; k < orders; k++)
        emit_free(o, emit_alloc_id(o, GEN_PROBE_ID(round, k),
                                   p->page_size << k, TRACE_CONTIG, 0));
}

static int emit_aging(struct gen_out *o, const struct gen_params *p)
{
    struct aging a = { .target_pages = aging_target_pages(p),
                       .probe_orders = aging_probe_orders(p) };
    int rc = -1;

    if (aging_fill(o, p, &a) != 0)
        goto out;
    for (uint64_t round = 0;
         budget(o, p) >= a.n + 2ULL * a.probe_orders; round++) {
        uint64_t k = (uint64_t)a.n * p->free_pct / 100;

        for (uint64_t j = 0; j < k; j++)
            aging_free_at(o, &a, (size_t)rng_below(&o->rng, a.n));
        aging_probe(o, p, round, a.probe_orders);
        if (aging_fill(o, p, &a) != 0)
            goto out;
    }
    while (a.n)
        aging_free_at(o, &a, a.n - 1);
    rc = 0;
out:
    if (rc)
        errno = ENOMEM;
    free(a.ids);
    free(a.pages);
    return rc;
}

static int check_aging(const struct gen_params *p, char *why, size_t len)
{
    uint64_t fills, need;

    if (p->memory < p->page_size || p->memory > TRACE_MAX_SIZE) {
        snprintf(why, len, "--memory must be 1 page .. 2^40 bytes");
        return -1;
    }
    if (p->fill_pct < 1) {
        snprintf(why, len, "--fill must be 1 .. 100");
        return -1;
    }
    if (p->max_size > p->memory) {
        snprintf(why, len, "--max is larger than --memory");
        return -1;
    }
    fills = aging_fill_count(p, AGING_MAX_COUNTED);
    need = 2 * fills + 2ULL * aging_probe_orders(p);
    if (need > p->events) {
        snprintf(why, len, "aging needs %s%" PRIu64 " events to fill "
                 "--memory to --fill and probe once; raise --events or "
                 "lower --memory", fills > AGING_MAX_COUNTED ?
                 "more than " : "", need);
        return -1;
    }
    return 0;
}

/* ---- Linux's lib/test_vmalloc.c ------------------------------------ */

/* fix_size: vmalloc(3 pages), vfree, over and over. */
static int emit_fix_size(struct gen_out *o, const struct gen_params *p)
{
    while (budget(o, p) >= 2)
        emit_free(o, emit_alloc(o, p->pages * p->page_size, 0, 0));
    return 0;
}

/*
 * full_fit: n = --junk / PAGE_SIZE pairs of one-page areas, allocated
 * interleaved (ids 1, 3, 5... are kept, 2, 4, 6... are junk); the junk is
 * freed, leaving n one-page holes, then one-page areas come and go in them.
 */
static int emit_full_fit(struct gen_out *o, const struct gen_params *p)
{
    uint64_t n = p->junk / p->page_size;

    for (uint64_t i = 0; i < 2 * n; i++)
        emit_alloc(o, p->page_size, 0, 0);
    for (uint64_t i = 0; i < n; i++)
        emit_free(o, 2 + 2 * i);
    while (budget(o, p) >= n + 2)
        emit_free(o, emit_alloc(o, p->page_size, 0, 0));
    for (uint64_t i = 0; i < n; i++)
        emit_free(o, 1 + 2 * i);
    return 0;
}

static int check_full_fit(const struct gen_params *p, char *why, size_t len)
{
    uint64_t n = p->junk / p->page_size;

    if (n == 0 || 4 * n + 2 > p->events) {
        snprintf(why, len, "full_fit needs 1 <= --junk / PAGE_SIZE and "
                 "--events >= 4 * that + 2 (%" PRIu64 ")", 4 * n + 2);
        return -1;
    }
    return 0;
}

/*
 * long_busy_list: --live one-page areas (ids 1 .. live) stay allocated
 * while a --pages area and a one-page area come and go.
 */
static int emit_long_busy_list(struct gen_out *o, const struct gen_params *p)
{
    for (uint64_t i = 0; i < p->live; i++)
        emit_alloc(o, p->page_size, 0, 0);
    while (budget(o, p) >= p->live + 4) {
        uint64_t big = emit_alloc(o, p->pages * p->page_size, 0, 0);
        uint64_t one = emit_alloc(o, p->page_size, 0, 0);

        emit_free(o, big);
        emit_free(o, one);
    }
    for (uint64_t i = 1; i <= p->live; i++)
        emit_free(o, i);
    return 0;
}

static int check_long_busy_list(const struct gen_params *p, char *why,
                                size_t len)
{
    if (p->live < 1 || p->live > GEN_MAX_LIVE ||
        2 * p->live + 4 > p->events) {
        snprintf(why, len, "long_busy_list needs 1 <= --live <= 16777216 "
                 "and --events >= 2 * --live + 4 (%" PRIu64 ")",
                 2 * p->live + 4);
        return -1;
    }
    return 0;
}

/* random_size: vmalloc(n pages), n uniform in 1 .. --pages, vfree. */
static int emit_random_size(struct gen_out *o, const struct gen_params *p)
{
    while (budget(o, p) >= 2) {
        uint64_t n = rng_range(&o->rng, 1, p->pages);

        emit_free(o, emit_alloc(o, n * p->page_size, 0, 0));
    }
    return 0;
}

/* fix_align: __vmalloc_node(5 pages, THREAD_ALIGN << 1, __GFP_ZERO). */
static int emit_fix_align(struct gen_out *o, const struct gen_params *p)
{
    unsigned al = ilog2(p->align);

    while (budget(o, p) >= 2)
        emit_free(o, emit_alloc(o, p->pages * p->page_size, TRACE_ZERO, al));
    return 0;
}

/*
 * random_size_align: one random byte r gives align = 2^(r mod (log2(max
 * align) + 1)) and size = (r mod --pages) + 1 pages, zeroed, as Linux's
 * test derives both from one get_random_u8().
 */
static int emit_random_size_align(struct gen_out *o,
                                  const struct gen_params *p)
{
    unsigned span = ilog2(p->max_align) + 1;

    while (budget(o, p) >= 2) {
        uint64_t r = rng_below(&o->rng, 1u << VMALLOC_TEST_RANDOM_BITS);
        uint64_t size = (r % p->pages + 1) * p->page_size;

        emit_free(o, emit_alloc(o, size, TRACE_ZERO, (unsigned)(r % span)));
    }
    return 0;
}

static int check_pow2(const char *opt, uint64_t v, char *why, size_t len)
{
    if (v == 0 || (v & (v - 1)) || v > TRACE_MAX_SIZE) {
        snprintf(why, len, "%s must be a power of two up to 2^40", opt);
        return -1;
    }
    return 0;
}

static int check_fix_align(const struct gen_params *p, char *why, size_t len)
{
    return check_pow2("--align", p->align, why, len);
}

static int check_random_size_align(const struct gen_params *p, char *why,
                                   size_t len)
{
    return check_pow2("--max-align", p->max_align, why, len);
}

static int check_threshold(const struct gen_params *p, char *why, size_t len)
{
    if (p->range >= p->page_size || p->step < 1) {
        snprintf(why, len, "threshold needs --range < PAGE_SIZE and --step >= 1");
        return -1;
    }
    return 0;
}

/* ---- options ------------------------------------------------------- */

enum gen_kind { KIND_SIZE, KIND_COUNT, KIND_PCT, KIND_ORDER, KIND_FLAG,
                KIND_MIX };

struct opt_def {
    struct gen_option pub;
    enum gen_kind kind;
    size_t offset;       /* of its field in struct gen_params */
};

#define FIELD(f) offsetof(struct gen_params, f)

static const struct opt_def opt_defs[GEN_N_OPTS] = {
    [GEN_SIZE]  = { { "size", "SZ", "request size" }, KIND_SIZE, FIELD(size) },
    [GEN_CONTIG] = { { "contig", NULL, "requests need contiguous memory" },
                     KIND_FLAG, FIELD(contig) },
    [GEN_ZERO]  = { { "zero", NULL, "requests need zeroed memory" },
                    KIND_FLAG, FIELD(zero) },
    [GEN_ORDER] = { { "order", "K", "2^K pages per request" },
                    KIND_ORDER, FIELD(order) },
    [GEN_LIVE]  = { { "live", "N", "blocks live at once" },
                    KIND_COUNT, FIELD(live) },
    [GEN_MIN]   = { { "min", "SZ", "smallest request" }, KIND_SIZE,
                    FIELD(min_size) },
    [GEN_MAX]   = { { "max", "SZ", "largest request" }, KIND_SIZE,
                    FIELD(max_size) },
    [GEN_LIFE]  = { { "life", "N", "short lifetime: freed within N "
                      "allocations" }, KIND_COUNT, FIELD(life) },
    [GEN_LONG]  = { { "long", "PCT", "share of long-lived blocks" },
                    KIND_PCT, FIELD(long_pct) },
    [GEN_LONG_LIFE] = { { "long-life", "N", "long lifetime: N/2 .. N "
                          "allocations (0: the whole trace)" },
                        KIND_COUNT, FIELD(long_life) },
    [GEN_MIX]   = { { "mix", "LIST", "class weights, e.g. "
                      "small=70,odd-contig=10,large=20" }, KIND_MIX,
                    FIELD(mix) },
    [GEN_RANGE] = { { "range", "SZ", "sizes PAGE_SIZE - SZ .. PAGE_SIZE + SZ" },
                    KIND_SIZE, FIELD(range) },
    [GEN_STEP]  = { { "step", "SZ", "sweep step" }, KIND_SIZE, FIELD(step) },
    [GEN_MEMORY] = { { "memory", "SZ", "the memory to fill (as replay "
                       "--memory)" }, KIND_SIZE, FIELD(memory) },
    [GEN_FILL]  = { { "fill", "PCT", "fill memory to this level" },
                    KIND_PCT, FIELD(fill_pct) },
    [GEN_FREE]  = { { "free", "PCT", "share of live blocks freed per round" },
                    KIND_PCT, FIELD(free_pct) },
    [GEN_MAX_ORDER] = { { "max-order", "K", "largest probe order" },
                        KIND_ORDER, FIELD(max_order) },
    [GEN_JUNK]  = { { "junk", "SZ", "bytes of one-page holes made" },
                    KIND_SIZE, FIELD(junk) },
    [GEN_PAGES] = { { "pages", "N", "pages per request" }, KIND_COUNT,
                    FIELD(pages) },
    [GEN_ALIGN] = { { "align", "SZ", "alignment" }, KIND_SIZE, FIELD(align) },
    [GEN_MAX_ALIGN] = { { "max-align", "SZ", "largest alignment" },
                        KIND_SIZE, FIELD(max_align) },
};

static const char *const class_names[GEN_CLASSES] = {
    [GEN_CLASS_SMALL] = "small", [GEN_CLASS_ODD] = "odd-contig",
    [GEN_CLASS_LARGE] = "large",
};

/*
 * A size: digits, an optional fraction, and a unit: K, M, G, T (powers of
 * 1024, optionally followed by B or iB) or p, pages of PAGE. Rounds down.
 */
static int parse_amount(const char *s, uint64_t page, uint64_t *out)
{
    uint64_t whole = 0, frac = 0, scale = 1, unit = 1, v;
    const char *q = s;

    if (!isdigit((unsigned char)*q))
        return -1;
    for (; isdigit((unsigned char)*q); q++)
        if (__builtin_mul_overflow(whole, 10, &whole) ||
            __builtin_add_overflow(whole, (uint64_t)(*q - '0'), &whole))
            return -1;
    if (*q == '.') {
        for (q++; isdigit((unsigned char)*q); q++) {
            if (scale >= 1000000)
                return -1;
            frac = frac * 10 + (uint64_t)(*q - '0');
            scale *= 10;
        }
        if (scale == 1)
            return -1;
    }
    if (*q == 'p' || *q == 'P') {
        unit = page;
        q++;
    } else if (*q) {
        const char *u = strchr("KMGT", toupper((unsigned char)*q));

        if (!u)
            return -1;
        unit = 1ULL << (10 * (u - "KMGT" + 1));
        q++;
        if (q[0] == 'i' && q[1] == 'B')
            q += 2;
        else if (*q == 'B')
            q++;
    }
    if (*q || __builtin_mul_overflow(whole, unit, &v) ||
        __builtin_add_overflow(v, (uint64_t)((unsigned __int128)frac * unit /
                                             scale), &v))
        return -1;
    *out = v;
    return 0;
}

static int parse_count(const char *s, uint64_t *out)
{
    char *end;

    if (!isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    *out = strtoull(s, &end, 10);
    return errno || *end ? -1 : 0;
}

static int parse_mix(const char *s, unsigned mix[GEN_CLASSES])
{
    char buf[256], *save = NULL, *tok;
    unsigned total = 0;

    if (strlen(s) >= sizeof(buf))
        return -1;
    strcpy(buf, s);
    memset(mix, 0, GEN_CLASSES * sizeof(mix[0]));
    for (tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        uint64_t w;
        int c;

        if (!eq)
            return -1;
        *eq = 0;
        for (c = 0; c < GEN_CLASSES && strcmp(class_names[c], tok); c++)
            ;
        if (c == GEN_CLASSES || parse_count(eq + 1, &w) || w > 1000000)
            return -1;
        mix[c] = (unsigned)w;
        total += (unsigned)w;
    }
    return total ? 0 : -1;
}

static const char *const kind_want[] = {
    [KIND_SIZE] = "a size such as 64, 4K, 1M or 2.5p (pages)",
    [KIND_COUNT] = "a count", [KIND_PCT] = "a percentage 0 .. 100",
    [KIND_ORDER] = "an order 0 .. 63", [KIND_FLAG] = "no value",
    [KIND_MIX] = "class=weight,... over small, odd-contig, large",
};

/* Parses TEXT as option O into P. */
static int parse_opt(enum gen_opt o, const char *text, struct gen_params *p,
                     char *why, size_t len)
{
    const struct opt_def *d = &opt_defs[o];
    void *field = (char *)p + d->offset;
    uint64_t v = 0;
    int bad = 0;

    switch (d->kind) {
    case KIND_SIZE:
        bad = parse_amount(text, p->page_size, &v);
        break;
    case KIND_COUNT:
        bad = parse_count(text, &v);
        break;
    case KIND_PCT:
        bad = parse_count(text, &v) || v > 100;
        break;
    case KIND_ORDER:
        bad = parse_count(text, &v) || v > 63;
        break;
    case KIND_FLAG:
        *(bool *)field = text && strcmp(text, "off") != 0;
        return 0;
    case KIND_MIX:
        bad = parse_mix(text, field);
        break;
    }
    if (bad) {
        snprintf(why, len, "bad value '%s' for --%s: want %s", text,
                 d->pub.name, kind_want[d->kind]);
        return -1;
    }
    if (d->kind != KIND_MIX)
        *(uint64_t *)field = v;
    return 0;
}

/* ---- the table ----------------------------------------------------- */

#define KNOB_END { GEN_SIZE, NULL, NULL }
#define LIFETIME_KNOBS(life, lng, long_life) \
    { GEN_LIFE, life, "short lifetime: freed within N allocations" }, \
    { GEN_LONG, lng, "percent of blocks that are long-lived" }, \
    { GEN_LONG_LIFE, long_life, "long lifetime: N/2 .. N allocations " \
                                "(0: the whole trace)" }

static const struct gen_knob pairs_knobs[] = {
    { GEN_SIZE, "64", "request size" },
    { GEN_LIVE, "1", "blocks allocated before they are freed" },
    { GEN_CONTIG, "off", "requests need contiguous memory" },
    { GEN_ZERO, "off", "requests need zeroed memory" },
    KNOB_END,
};
static const struct gen_knob pages_knobs[] = {
    { GEN_ORDER, "0", "2^K contiguous pages per request" }, KNOB_END,
};
static const struct gen_knob churn_knobs[] = {
    { GEN_LIVE, "1000", "most blocks live at once" },
    { GEN_MIN, "16", "smallest size (log-uniform)" },
    { GEN_MAX, "4p", "largest size" }, KNOB_END,
};
static const struct gen_knob small_knobs[] = {
    { GEN_MIN, "16", "smallest size (log-uniform)" },
    { GEN_MAX, "2K", "largest size" },
    LIFETIME_KNOBS("16", "10", "10000"), KNOB_END,
};
static const struct gen_knob odd_contig_knobs[] = {
    { GEN_MIN, "1.1p", "smallest size (uniform, contiguous)" },
    { GEN_MAX, "7.9p", "largest size" },
    LIFETIME_KNOBS("16", "10", "10000"), KNOB_END,
};
static const struct gen_knob large_knobs[] = {
    { GEN_MIN, "2p", "smallest size (log-uniform)" },
    { GEN_MAX, "1024p", "largest size" },
    LIFETIME_KNOBS("8", "5", "2000"), KNOB_END,
};
static const struct gen_knob mixed_knobs[] = {
    { GEN_MIX, "small=70,odd-contig=10,large=20",
      "weights of the classes; each takes its workload's default sizes" },
    LIFETIME_KNOBS("16", "10", "10000"), KNOB_END,
};
static const struct gen_knob threshold_knobs[] = {
    { GEN_RANGE, "256", "sizes sweep PAGE_SIZE - SZ .. PAGE_SIZE + SZ" },
    { GEN_STEP, "1", "the sweep's step; it wraps around" },
    LIFETIME_KNOBS("16", "10", "10000"), KNOB_END,
};
static const struct gen_knob aging_knobs[] = {
    { GEN_MEMORY, "1G", "memory to fill: use replay's --memory" },
    { GEN_FILL, "90", "fill to this percent of --memory (whole pages)" },
    { GEN_FREE, "50", "percent of the live blocks freed each round" },
    { GEN_MIN, "1p", "smallest fill block (log-uniform)" },
    { GEN_MAX, "64p", "largest fill block" },
    { GEN_CONTIG, "off", "fill blocks need contiguous memory" },
    { GEN_MAX_ORDER, "18", "largest probe order (buddy MAX_ORDER)" },
    KNOB_END,
};
static const struct gen_knob short_lived_knobs[] = {
    { GEN_MIN, "16", "smallest size (log-uniform)" },
    { GEN_MAX, "2K", "largest size" },
    { GEN_LIFE, "4", "each block is freed within N allocations" }, KNOB_END,
};
static const struct gen_knob long_lived_knobs[] = {
    { GEN_MIN, "16", "smallest size (log-uniform)" },
    { GEN_MAX, "2K", "largest size" },
    { GEN_LONG_LIFE, "0", "each block lives N/2 .. N allocations "
                          "(0: the whole trace)" }, KNOB_END,
};
static const struct gen_knob fix_size_knobs[] = {
    { GEN_PAGES, "3", "pages per request" }, KNOB_END,
};
static const struct gen_knob full_fit_knobs[] = {
    { GEN_JUNK, "32M", "one-page holes made: SZ / PAGE_SIZE of them" },
    KNOB_END,
};
static const struct gen_knob long_busy_list_knobs[] = {
    { GEN_LIVE, "15000", "one-page areas kept live" },
    { GEN_PAGES, "100", "pages of the large area in the loop" }, KNOB_END,
};
static const struct gen_knob random_size_knobs[] = {
    { GEN_PAGES, "100", "most pages per request (uniform from 1)" },
    KNOB_END,
};
static const struct gen_knob fix_align_knobs[] = {
    { GEN_PAGES, "5", "pages per request" },
    { GEN_ALIGN, "8p", "alignment (THREAD_ALIGN << 1 on x86_64)" }, KNOB_END,
};
static const struct gen_knob random_size_align_knobs[] = {
    { GEN_PAGES, "10", "most pages per request" },
    { GEN_MAX_ALIGN, "1024p", "largest alignment" }, KNOB_END,
};


#define Q_SMALL  "question 1 (xvmalloc vs xmalloc for small sizes)"
#define Q_WASTE  "question 3 (waste of odd sizes)"
#define Q_MAP    "question 2 (vmalloc's map and unmap cost per page)"
#define Q_FRAG   "question 4 (contiguous requests as memory fragments)"
#define Q_LIFE   "question 8 (is xmalloc better for short-lived blocks?)"

static const struct gen_workload workloads[] = {
    { "pairs", "alloc + free pairs of one size",
      Q_SMALL ": the fast path and nothing else", pairs_knobs, NULL,
      emit_pairs },
    { "pages", "alloc + free pairs of 2^order contiguous pages",
      "the page allocator's fast path", pages_knobs, NULL, emit_pages },
    { "churn", "random mix of all ops around --live blocks",
      "every op and flag of the trace format, for checking backends",
      churn_knobs, NULL, emit_churn },
    { "small", "xmalloc-like: 16 B .. 2 KiB, short and long lifetimes",
      Q_SMALL, small_knobs, NULL, emit_small },
    { "odd-contig", "contiguous requests of 1.1 .. 7.9 pages",
      Q_WASTE " and " Q_FRAG, odd_contig_knobs, NULL, emit_odd_contig },
    { "large", "vmalloc-like: 2 .. 1024 pages, log-uniform",
      Q_MAP, large_knobs, NULL, emit_large },
    { "mixed", "small, odd-contig and large together, by --mix weights",
      "the rubric as a whole: which backend wins on a realistic blend",
      mixed_knobs, NULL, emit_mixed },
    { "threshold", "sizes sweeping PAGE_SIZE - 256 .. PAGE_SIZE + 256",
      Q_WASTE " at the pool / whole-pages / vmalloc switch; question 6",
      threshold_knobs, check_threshold, emit_threshold },
    { "aging", "fill memory, free part, probe rising orders, repeat",
      Q_FRAG, aging_knobs, check_aging, emit_aging },
    { "short-lived", "small sizes, each freed within a few allocations",
      Q_LIFE, short_lived_knobs, NULL, emit_short_lived },
    { "long-lived", "small sizes, kept for most of the trace",
      Q_LIFE, long_lived_knobs, NULL, emit_long_lived },
    { "fix_size", "test_vmalloc: vmalloc(3 pages) + vfree",
      Q_MAP, fix_size_knobs, NULL, emit_fix_size },
    { "full_fit", "test_vmalloc: fill, free every other page, reuse holes",
      Q_MAP " with a fragmented vmap area", full_fit_knobs, check_full_fit,
      emit_full_fit },
    { "long_busy_list", "test_vmalloc: 15000 live pages while others churn",
      Q_MAP " with a long busy list", long_busy_list_knobs,
      check_long_busy_list, emit_long_busy_list },
    { "random_size", "test_vmalloc: vmalloc(1 .. 100 pages) + vfree",
      Q_MAP, random_size_knobs, NULL, emit_random_size },
    { "fix_align", "test_vmalloc: 5 pages aligned to 8 pages, zeroed",
      Q_MAP " for aligned requests", fix_align_knobs, check_fix_align,
      emit_fix_align },
    { "random_size_align", "test_vmalloc: 1 .. 10 pages, align up to 1024 "
      "pages", Q_MAP " for aligned requests", random_size_align_knobs,
      check_random_size_align, emit_random_size_align },
};

#define N_WORKLOADS (sizeof(workloads) / sizeof(workloads[0]))

const struct gen_workload *gen_list(size_t *count)
{
    *count = N_WORKLOADS;
    return workloads;
}

const struct gen_workload *gen_find(const char *name)
{
    for (size_t i = 0; i < N_WORKLOADS; i++)
        if (strcmp(workloads[i].name, name) == 0)
            return &workloads[i];
    return NULL;
}

const struct gen_option *gen_options(size_t *count)
{
    static struct gen_option list[GEN_N_OPTS];

    for (size_t i = 0; i < GEN_N_OPTS; i++)
        list[i] = opt_defs[i].pub;
    *count = GEN_N_OPTS;
    return list;
}

int gen_option_find(const char *name)
{
    for (int i = 0; i < GEN_N_OPTS; i++)
        if (strcmp(opt_defs[i].pub.name, name) == 0)
            return i;
    return -1;
}

int gen_set(struct gen_params *p, const char *name, const char *value,
            char *why, size_t len)
{
    int o = gen_option_find(name);

    if (o < 0) {
        snprintf(why, len, "unknown workload option '--%s'", name);
        return -1;
    }
    if (opt_defs[o].kind == KIND_FLAG && !value)
        value = "on";
    if (!value) {
        snprintf(why, len, "option '--%s' needs a value", name);
        return -1;
    }
    p->given |= GEN_OPT(o);
    p->text[o] = value;
    return 0;
}

void gen_params_defaults(struct gen_params *p)
{
    memset(p, 0, sizeof(*p));
    p->events = GEN_DEFAULT_EVENTS;
    p->seed = GEN_DEFAULT_SEED;
    p->page_size = GEN_DEFAULT_PAGE;
    p->threads = 1;
}

static const struct gen_knob *knob_of(const struct gen_knob *k,
                                      enum gen_opt o)
{
    for (; k->def; k++)
        if (k->opt == o)
            return k;
    return NULL;
}

static int fail(char *why, size_t len, const char *msg)
{
    snprintf(why, len, "%s", msg);
    return -1;
}

/* mixed: each class takes the default range of the workload it names. */
static int mix_ranges(const struct gen_params *p, struct mix_state *m,
                      char *why, size_t len)
{
    static const struct gen_knob *const knobs[GEN_CLASSES] = {
        small_knobs, odd_contig_knobs, large_knobs,
    };
    struct gen_params q = *p;

    m->total = 0;
    for (int c = 0; c < GEN_CLASSES; c++) {
        if (parse_opt(GEN_MIN, knob_of(knobs[c], GEN_MIN)->def, &q, why,
                      len) ||
            parse_opt(GEN_MAX, knob_of(knobs[c], GEN_MAX)->def, &q, why, len))
            return -1;
        m->min[c] = q.min_size;
        m->max[c] = q.max_size;
        m->total += p->mix[c];
    }
    return 0;
}

/* Parses the given options, then the defaults of the rest of W's knobs. */
static int resolve(const struct gen_workload *w, struct gen_params *p,
                   char *why, size_t len)
{
    for (int o = 0; o < GEN_N_OPTS; o++)
        if ((p->given & GEN_OPT(o)) && !knob_of(w->knobs, (enum gen_opt)o)) {
            snprintf(why, len, "--%s does not apply to workload '%s' "
                     "(see 'xheap gen %s --help')", opt_defs[o].pub.name,
                     w->name, w->name);
            return -1;
        }
    for (const struct gen_knob *k = w->knobs; k->def; k++) {
        bool given = p->given & GEN_OPT(k->opt);
        const char *text = given ? p->text[k->opt] : k->def;

        if (given && !text)
            continue;   /* the caller set the field itself */
        if (parse_opt(k->opt, text, p, why, len) != 0)
            return -1;
    }
    return 0;
}

/* The checks that several workloads share, by the knobs they have. */
static int check_common(const struct gen_workload *w,
                        const struct gen_params *p, char *why, size_t len)
{
    const struct gen_knob *k = w->knobs;

    if (p->threads < 1 || p->threads > GEN_MAX_THREADS)
        return fail(why, len, "--threads must be 1 .. 1024");
    if (p->cross_free > 100)
        return fail(why, len, "--cross-free must be 0 .. 100");
    if (p->cross_free && p->threads < 2)
        return fail(why, len, "--cross-free needs --threads 2 or more");
    if (knob_of(k, GEN_SIZE) && p->size > TRACE_MAX_SIZE)
        return fail(why, len, "--size is larger than the trace format's 2^40");
    if (knob_of(k, GEN_ORDER) &&
        p->order + ilog2(p->page_size) > ilog2(TRACE_MAX_SIZE))
        return fail(why, len, "--order makes requests larger than 2^40 bytes");
    if (knob_of(k, GEN_LIVE) && (p->live < 1 || p->live > GEN_MAX_LIVE))
        return fail(why, len, "--live must be 1 .. 16777216");
    if (knob_of(k, GEN_MIN) &&
        (p->min_size < 1 || p->min_size > p->max_size ||
         p->max_size > TRACE_MAX_SIZE))
        return fail(why, len, "need 1 <= --min <= --max <= 2^40");
    if (knob_of(k, GEN_LIFE) && p->life < 1)
        return fail(why, len, "--life must be at least 1");
    if (knob_of(k, GEN_PAGES) &&
        (p->pages < 1 || p->pages > TRACE_MAX_SIZE / p->page_size))
        return fail(why, len, "--pages must be 1 .. 2^40 / PAGE_SIZE");
    return 0;
}

int gen_check(const struct gen_workload *w, struct gen_params *p,
              char *why, size_t len)
{
    if (resolve(w, p, why, len) != 0 || check_common(w, p, why, len) != 0)
        return -1;
    if (knob_of(w->knobs, GEN_MIX)) {
        struct mix_state m;

        if (mix_ranges(p, &m, why, len) != 0)
            return -1;
    }
    return w->check ? w->check(p, why, len) : 0;
}

int gen_write(const struct gen_workload *w, const struct gen_params *p, FILE *f)
{
    struct gen_out o = {
        .f = f, .next_id = 1, .rng = { p->seed },
        .xrng = { p->seed ^ CROSS_FREE_SALT },
        .threads = p->threads ? p->threads : 1,
        .cross_free = p->cross_free,
        .thread_key = mix64(p->seed ^ THREAD_KEY_SALT),
    };

    trace_write_header(f);
    if (w->emit(&o, p) != 0)
        return -1;
    if (ferror(f)) {
        errno = errno ? errno : EIO;
        return -1;
    }
    return 0;
}

/* A default as the user typed it, and in bytes when it counts pages. */
static void print_default(const struct gen_knob *k, uint64_t page_size,
                          FILE *f)
{
    struct gen_params q;
    char why[128];
    uint64_t v;

    fprintf(f, "%s", k->def);
    if (!strpbrk(k->def, "pP"))
        return;
    gen_params_defaults(&q);
    q.page_size = page_size;
    if (parse_opt(k->opt, k->def, &q, why, sizeof(why)) != 0)
        return;
    memcpy(&v, (char *)&q + opt_defs[k->opt].offset, sizeof(v));
    fprintf(f, " = %" PRIu64 " bytes with %" PRIu64 "K pages", v,
            page_size >> 10);
}

void gen_workload_help(const struct gen_workload *w, uint64_t page_size,
                       FILE *f)
{
    fprintf(f, "usage: xheap gen %s [common options] [options below]\n\n"
            "%s: %s.\nServes %s.\n\nOptions:\n",
            w->name, w->name, w->summary, w->question);
    for (const struct gen_knob *k = w->knobs; k->def; k++) {
        const struct opt_def *d = &opt_defs[k->opt];
        char left[32];

        snprintf(left, sizeof(left), "--%s%s%s", d->pub.name,
                 d->pub.arg ? " " : "", d->pub.arg ? d->pub.arg : "");
        fprintf(f, "  %-15s %s\n  %-15s default ", left, k->what, "");
        print_default(k, page_size, f);
        fputc('\n', f);
    }
    fputs("\nSizes take K, M, G or p (pages of --page-size): 1.1p, 64K.\n"
          "Common options: --events N, --seed S, --page-size SZ, --threads N,\n"
          "--cross-free PCT, -o FILE (see 'xheap gen --help').\n", f);
}
