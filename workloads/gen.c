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
#include "workloads/gen_internal.h"

#include <errno.h>
#include <string.h>

/* Fixed-point log2 with this many fraction bits, for log-uniform sizes. */
#define LOG2_FRAC_BITS       16

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
uint64_t rng_below(struct gen_rng *r, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)rng_next(r) * n) >> 64);
}

/* Uniform in [lo, hi]. */
uint64_t rng_range(struct gen_rng *r, uint64_t lo, uint64_t hi)
{
    return lo + rng_below(r, hi - lo + 1);
}

bool rng_chance(struct gen_rng *r, unsigned rate)
{
    return rng_below(r, RATE_SCALE) < rate;
}

bool rng_percent(struct gen_rng *r, uint64_t pct)
{
    return pct && rng_below(r, 100) < pct;
}

unsigned ilog2(uint64_t x)
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
uint64_t rng_log_uniform(struct gen_rng *r, uint64_t lo, uint64_t hi)
{
    uint64_t llo = log2_fixed(lo), lhi = log2_fixed(hi);
    uint64_t s = exp2_fixed(llo + rng_below(r, lhi - llo + 1));

    return s < lo ? lo : s > hi ? hi : s;
}

uint64_t div_round_up(uint64_t a, uint64_t b)
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

/* Once asked to stop, nothing more is written, and budget() says none is
 * left, so every workload's loops wind down at once. */
static void put(struct gen_out *o, const struct trace_event *ev)
{
    if (o->stop && *o->stop)
        o->stopped = true;
    if (o->stopped)
        return;
    trace_write_event(o->f, ev);
    o->events++;
}

uint64_t emit_alloc_id(struct gen_out *o, uint64_t id, uint64_t size,
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

uint64_t emit_alloc(struct gen_out *o, uint64_t size, unsigned flags,
                    unsigned align_log2)
{
    return emit_alloc_id(o, o->next_id++, size, flags, align_log2);
}

void emit_op(struct gen_out *o, enum trace_op op, uint64_t id,
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

void emit_free(struct gen_out *o, uint64_t id)
{
    emit_op(o, TRACE_FREE, id, 0);
}

/* Events still allowed. */
uint64_t budget(const struct gen_out *o, const struct gen_params *p)
{
    if (o->stopped)
        return 0;
    return o->events < p->events ? p->events - o->events : 0;
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
const struct gen_knob small_knobs[] = {
    { GEN_MIN, "16", "smallest size (log-uniform)" },
    { GEN_MAX, "2K", "largest size" },
    LIFETIME_KNOBS("16", "10", "10000"), KNOB_END,
};
const struct gen_knob odd_contig_knobs[] = {
    { GEN_MIN, "1.1p", "smallest size (uniform, contiguous)" },
    { GEN_MAX, "7.9p", "largest size" },
    LIFETIME_KNOBS("16", "10", "10000"), KNOB_END,
};
const struct gen_knob large_knobs[] = {
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
      emit_pairs, NULL },
    { "pages", "alloc + free pairs of 2^order contiguous pages",
      "the page allocator's fast path", pages_knobs, NULL, emit_pages, NULL },
    { "churn", "random mix of all ops around --live blocks",
      "every op and flag of the trace format, for checking backends",
      churn_knobs, NULL, emit_churn, NULL },
    { "small", "xmalloc-like: 16 B .. 2 KiB, short and long lifetimes",
      Q_SMALL, small_knobs, NULL, emit_small, NULL },
    { "odd-contig", "contiguous requests of 1.1 .. 7.9 pages",
      Q_WASTE " and " Q_FRAG, odd_contig_knobs, NULL, emit_odd_contig, NULL },
    { "large", "vmalloc-like: 2 .. 1024 pages, log-uniform",
      Q_MAP, large_knobs, NULL, emit_large, NULL },
    { "mixed", "small, odd-contig and large together, by --mix weights",
      "the rubric as a whole: which backend wins on a realistic blend",
      mixed_knobs, NULL, emit_mixed, NULL },
    { "threshold", "sizes sweeping PAGE_SIZE - 256 .. PAGE_SIZE + 256",
      Q_WASTE " at the pool / whole-pages / vmalloc switch; question 6",
      threshold_knobs, check_threshold, emit_threshold, NULL },
    { "aging", "fill memory, free part, probe rising orders, repeat",
      Q_FRAG, aging_knobs, check_aging, emit_aging, fit_aging },
    { "short-lived", "small sizes, each freed within a few allocations",
      Q_LIFE, short_lived_knobs, NULL, emit_short_lived, NULL },
    { "long-lived", "small sizes, kept for most of the trace",
      Q_LIFE, long_lived_knobs, NULL, emit_long_lived, NULL },
    { "fix_size", "test_vmalloc: vmalloc(3 pages) + vfree",
      Q_MAP, fix_size_knobs, NULL, emit_fix_size, NULL },
    { "full_fit", "test_vmalloc: fill, free every other page, reuse holes",
      Q_MAP " with a fragmented vmap area", full_fit_knobs, check_full_fit,
      emit_full_fit, fit_full_fit },
    { "long_busy_list", "test_vmalloc: 15000 live pages while others churn",
      Q_MAP " with a long busy list", long_busy_list_knobs,
      check_long_busy_list, emit_long_busy_list, fit_long_busy_list },
    { "random_size", "test_vmalloc: vmalloc(1 .. 100 pages) + vfree",
      Q_MAP, random_size_knobs, NULL, emit_random_size, NULL },
    { "fix_align", "test_vmalloc: 5 pages aligned to 8 pages, zeroed",
      Q_MAP " for aligned requests", fix_align_knobs, check_fix_align,
      emit_fix_align, NULL },
    { "random_size_align", "test_vmalloc: 1 .. 10 pages, align up to 1024 "
      "pages", Q_MAP " for aligned requests", random_size_align_knobs,
      check_random_size_align, emit_random_size_align, NULL },
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

int gen_write(const struct gen_workload *w, const struct gen_params *p, FILE *f)
{
    struct gen_out o = {
        .f = f, .next_id = 1, .rng = { p->seed },
        .xrng = { p->seed ^ CROSS_FREE_SALT },
        .threads = p->threads ? p->threads : 1,
        .cross_free = p->cross_free,
        .thread_key = mix64(p->seed ^ THREAD_KEY_SALT),
        .stop = p->stop,
    };

    trace_write_header(f);
    if (p->note[0])
        fprintf(f, "# %s\n", p->note);
    if (w->emit(&o, p) != 0)
        return -1;
    if (o.stopped) {
        errno = EINTR;
        return -1;
    }
    if (ferror(f)) {
        errno = errno ? errno : EIO;
        return -1;
    }
    return 0;
}

/* A default as the user typed it, and in bytes when it counts pages. */
