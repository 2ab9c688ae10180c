/*
 * Synthetic workloads (see gen.h). Randomness comes from splitmix64 and
 * integer arithmetic only, so a trace is a pure function of its parameters.
 */
#include "workloads/gen.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/trace.h"

#define GEN_DEFAULT_EVENTS   100000
#define GEN_DEFAULT_SEED     1
#define GEN_DEFAULT_PAGE     4096
#define GEN_DEFAULT_SIZE     64      /* pairs */
#define GEN_DEFAULT_LIVE     1000    /* churn */
#define GEN_DEFAULT_MIN      16      /* churn */
#define GEN_DEFAULT_MAX_PAGES 4      /* churn: --max defaults to 4 pages */
#define GEN_MAX_LIVE         (1u << 24)  /* churn keeps an id array this long */

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

/* ---- random numbers ------------------------------------------------ */

static uint64_t rng_next(struct gen_rng *r)
{
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, n), n >= 1; the multiply-shift bias is far below noise. */
static uint64_t rng_below(struct gen_rng *r, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)rng_next(r) * n) >> 64);
}

static bool rng_chance(struct gen_rng *r, unsigned rate)
{
    return rng_below(r, RATE_SCALE) < rate;
}

static unsigned ilog2(uint64_t x)
{
    return 63 - (unsigned)__builtin_clzll(x);
}

/* log2(x) in fixed point, linear between powers of two (x >= 1). */
static uint64_t log2_fixed(uint64_t x)
{
    unsigned ip = ilog2(x);
    uint64_t frac = ((x - (1ULL << ip)) << LOG2_FRAC_BITS) >> ip;

    return ((uint64_t)ip << LOG2_FRAC_BITS) | frac;
}

/* The inverse of log2_fixed. */
static uint64_t exp2_fixed(uint64_t l)
{
    unsigned ip = (unsigned)(l >> LOG2_FRAC_BITS);
    uint64_t frac = l & ((1ULL << LOG2_FRAC_BITS) - 1);

    return (1ULL << ip) + (((1ULL << ip) * frac) >> LOG2_FRAC_BITS);
}

/* Log-uniform in [lo, hi]: as many sizes in 16..32 as in 1024..2048. */
static uint64_t rng_log_uniform(struct gen_rng *r, uint64_t lo, uint64_t hi)
{
    uint64_t llo = log2_fixed(lo), lhi = log2_fixed(hi);
    uint64_t s = exp2_fixed(llo + rng_below(r, lhi - llo + 1));

    return s < lo ? lo : s > hi ? hi : s;
}

/* ---- events -------------------------------------------------------- */

static uint64_t emit_alloc(struct gen_out *o, uint64_t size, unsigned flags,
                           unsigned align_log2)
{
    struct trace_event ev = {
        .op = TRACE_ALLOC, .id = o->next_id++, .size = size,
        .flags = (uint8_t)flags, .align_log2 = (uint8_t)align_log2,
    };

    trace_write_event(o->f, &ev);
    o->events++;
    return ev.id;
}

static void emit_op(struct gen_out *o, enum trace_op op, uint64_t id,
                    uint64_t size)
{
    struct trace_event ev = { .op = (uint8_t)op, .id = id, .size = size };

    trace_write_event(o->f, &ev);
    o->events++;
}

/* ---- workloads ----------------------------------------------------- */

static unsigned request_flags(const struct gen_params *p)
{
    return (p->contig ? TRACE_CONTIG : 0) | (p->zero ? TRACE_ZERO : 0);
}

/* pairs: allocate one size and free it at once; the fast path, nothing else. */
static int emit_pairs(struct gen_out *o, const struct gen_params *p)
{
    while (o->events + 2 <= p->events)
        emit_op(o, TRACE_FREE, emit_alloc(o, p->size, request_flags(p), 0), 0);
    return 0;
}

/* pages: alloc_xenheap_pages(order) and free_xenheap_pages, contiguous. */
static int emit_pages(struct gen_out *o, const struct gen_params *p)
{
    uint64_t size = p->page_size << p->order;

    while (o->events + 2 <= p->events)
        emit_op(o, TRACE_FREE, emit_alloc(o, size, TRACE_CONTIG, 0), 0);
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
            emit_op(o, TRACE_FREE, ids[pick], 0);
            ids[pick] = ids[--live];
        }
    }
    free(ids);
    return 0;
}

/* ---- the table ----------------------------------------------------- */

static const struct gen_workload workloads[] = {
    { "pairs", "alloc + free pairs of one size (--size, --contig, --zero)",
      GEN_OPT_SIZE | GEN_OPT_CONTIG | GEN_OPT_ZERO, emit_pairs },
    { "pages", "alloc + free pairs of 2^order contiguous pages (--order)",
      GEN_OPT_ORDER, emit_pages },
    { "churn", "random mix of all ops, up to --live blocks, "
               "log-uniform sizes in [--min, --max]",
      GEN_OPT_LIVE | GEN_OPT_MIN | GEN_OPT_MAX, emit_churn },
};

#define N_WORKLOADS (sizeof(workloads) / sizeof(workloads[0]))

static const struct {
    unsigned bit;
    const char *name;
} option_names[] = {
    { GEN_OPT_SIZE, "--size" }, { GEN_OPT_CONTIG, "--contig" },
    { GEN_OPT_ZERO, "--zero" }, { GEN_OPT_ORDER, "--order" },
    { GEN_OPT_LIVE, "--live" }, { GEN_OPT_MIN, "--min" },
    { GEN_OPT_MAX, "--max" },
};

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

void gen_params_defaults(struct gen_params *p)
{
    memset(p, 0, sizeof(*p));
    p->events = GEN_DEFAULT_EVENTS;
    p->seed = GEN_DEFAULT_SEED;
    p->page_size = GEN_DEFAULT_PAGE;
    p->size = GEN_DEFAULT_SIZE;
    p->live = GEN_DEFAULT_LIVE;
    p->min_size = GEN_DEFAULT_MIN;
}

static int fail(char *why, size_t len, const char *msg)
{
    snprintf(why, len, "%s", msg);
    return -1;
}

int gen_check(const struct gen_workload *w, struct gen_params *p,
              char *why, size_t len)
{
    unsigned extra = p->given & ~w->options;

    for (size_t i = 0; i < sizeof(option_names) / sizeof(option_names[0]); i++)
        if (extra & option_names[i].bit) {
            snprintf(why, len, "%s does not apply to workload '%s'",
                     option_names[i].name, w->name);
            return -1;
        }
    if (!(p->given & GEN_OPT_MAX))
        p->max_size = GEN_DEFAULT_MAX_PAGES * p->page_size;
    if (p->size > TRACE_MAX_SIZE)
        return fail(why, len, "--size is larger than the trace format's 2^40");
    if ((w->options & GEN_OPT_ORDER) &&
        p->order + ilog2(p->page_size) > ilog2(TRACE_MAX_SIZE))
        return fail(why, len, "--order makes requests larger than 2^40 bytes");
    if (p->live < 1 || p->live > GEN_MAX_LIVE)
        return fail(why, len, "--live must be 1 .. 16777216");
    if ((w->options & GEN_OPT_MIN) &&
        (p->min_size < 1 || p->min_size > p->max_size ||
         p->max_size > TRACE_MAX_SIZE))
        return fail(why, len, "need 1 <= --min <= --max <= 2^40");
    return 0;
}

int gen_write(const struct gen_workload *w, const struct gen_params *p, FILE *f)
{
    struct gen_out o = { .f = f, .next_id = 1, .rng = { p->seed } };

    trace_write_header(f);
    if (w->emit(&o, p) != 0)
        return -1;
    if (ferror(f)) {
        errno = errno ? errno : EIO;
        return -1;
    }
    return 0;
}
