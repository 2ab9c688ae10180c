/*
 * The soak: many threads share ONE heap of a model backend for a long
 * time, allocating, freeing and reallocating at random, and handing blocks
 * to each other so that a good share of frees and reallocs happen on
 * another thread than the allocation did. It checks that nothing is lost:
 *
 * - every block holds a pattern of its own (a word per 8 bytes, from its
 *   serial number), checked in full when it is freed, reallocated, handed
 *   over or received, and at every stop of the world;
 * - a block is aligned as asked, zeroed when asked, lies in the directmap
 *   or the vmap area, never in the vmap when it needed contiguous memory;
 *   a request twice the size of memory fails;
 * - every CHECK_EVERY_MS the threads stop at a barrier: the model's own
 *   invariants hold (xen_model_check), no two live blocks overlap, and the
 *   heap's counters (operations, failures, live bytes, vmap pages) agree
 *   with what the threads did and hold;
 * - at the end of each round everything is freed: every region the
 *   xmalloc pool still holds is wholly free and is handed back
 *   (reclaim_idle_regions), every frame is back (frames in use == the
 *   model's own overhead and page tables), no vmap page is in use, and
 *   the buddy free lists hold the blocks of a fresh heap.
 *
 * Rounds rotate over the model backends and page sizes (and flush policy
 * and scrubbing, at random); a run lasts --seconds (SOAK_SECONDS, default
 * 600). It prints progress once a minute and a last line with the
 * operations done and "nothing lost", or names the first fault and exits 1.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backends/heap.h"
#include "backends/model.h"
#include "backends/page_alloc.h"
#include "backends/vmap.h"
#include "backends/tlsf.h"
#include "backends/xmalloc.h"

/* ---- the knobs ---- */

#define DEFAULT_SECONDS   600u
#define PROGRESS_EVERY_S  60u
#define DEFAULT_MEMORY    (256ull << 20)
#define MAX_THREADS       (HEAP_SLOTS - 2)  /* each with a counter slot */
/* Rounds: every backend at every page size once in ROTATION rounds, each
 * ROUND_MIN_S .. ROUND_MAX_S long, so a short run still sees most. */
#define ROUND_MIN_S       1u
#define ROUND_MAX_S       20u
#define CHECK_EVERY_MS    200u
/* No thread (or the whole run) may make no progress this long. */
#define WATCHDOG_S        120u

#define MAX_LIVE          1024u   /* blocks one thread holds at most */
#define INBOX_CAP         64u     /* blocks waiting for one thread */
#define DRAIN_EVERY       8u      /* steps between looks at the inbox */
/* Every live vmap page is a host mapping: stay far below
 * vm.max_map_count (65530 by default), for all threads together. */
#define VMAP_BUDGET       16384u
#define LIVE_BYTES_SHIFT  3       /* live bytes stay under memory / 8 */

/* Sizes, per mille of requests; the rest are small, 1 B .. SMALL_MAX. */
#define SIZE_ZERO_PM      3
#define SIZE_NEAR_PM      120     /* PAGE_SIZE +- NEAR_PAGE */
#define MULTI_PM_4K       40      /* 2 .. MAX_MULTI_PAGES pages, less at
                                     larger pages (their fill costs) */
#define SMALL_MAX         2048u
#define NEAR_PAGE         256u
#define MAX_MULTI_PAGES   64u
#define CONTIG_PM         50
#define ZERO_PM           50
#define ALIGN_PM          30
#define HUGE_ONE_IN       20000u  /* a request no memory can satisfy */

/* What a thread does with a block it is handed. */
#define RECV_FREE_PM      500
#define RECV_REALLOC_PM   200

#define PHASE_MIN         1000u
#define PHASE_SPAN        20000u

static const char *const model_backends[] = {
    "pages", "xmalloc", "vmalloc", "xvmalloc", "xvmalloc-fallback", "kvmalloc",
};
#define NR_BACKENDS (sizeof model_backends / sizeof model_backends[0])
static const size_t page_sizes[] = { 4096, 16384, 65536 };
#define NR_PAGES    (sizeof page_sizes / sizeof page_sizes[0])
#define ROTATION    (NR_BACKENDS * NR_PAGES)

/* ---- a seeded generator (splitmix64) ---- */

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t rng_next(uint64_t *s)
{
    *s += 0x9e3779b97f4a7c15ull;
    return mix64(*s);
}

static uint64_t rng_below(uint64_t *s, uint64_t n)
{
    return n ? rng_next(s) % n : 0;
}

/* Log-uniform in [lo, hi]. */
static uint64_t rng_log(uint64_t *s, uint64_t lo, uint64_t hi)
{
    unsigned lo_bit = 63 - (unsigned)__builtin_clzll(lo);
    unsigned hi_bit = 63 - (unsigned)__builtin_clzll(hi);
    unsigned bit = lo_bit + (unsigned)rng_below(s, hi_bit - lo_bit + 1);
    uint64_t v = (1ull << bit) + rng_below(s, 1ull << bit);

    return v < lo ? lo : v > hi ? hi : v;
}

/* ---- the state ---- */

struct block {
    char *p;
    size_t size;
    uint64_t serial;
    unsigned flags;        /* HEAP_NEEDS_CONTIG, HEAP_ZERO */
    uint32_t va_pages;     /* vmap pages with guard, from its placement */
};

struct inbox {
    pthread_mutex_t lock;
    unsigned n;            /* written under the lock, peeked without */
    struct block b[INBOX_CAP];
};

/* Operations as the heap counts them (heap_alloc, heap_free, ...). */
struct tally {
    uint64_t allocs, frees, reallocs, failed;
};

struct worker {
    struct soak *s;
    unsigned id;
    pthread_t tid;
    uint64_t rng;
    uint64_t next_serial;
    struct block live[MAX_LIVE];
    unsigned nlive, target;
    uint64_t phase_end, step;
    uint64_t live_bytes;       /* of live[] */
    struct tally t;            /* this round */
    uint64_t ops;              /* whole run; read by the watchdog */
    uint64_t handed, foreign_frees, foreign_reallocs;
    struct inbox in;
    /* Filled at a stop: what this thread and its inbox hold. */
    uint64_t held_bytes, held_va, held_blocks;
} __attribute__((aligned(64)));

enum request { REQ_NONE, REQ_CHECK, REQ_END };

struct soak {
    unsigned n;
    struct worker *w;
    pthread_barrier_t bar;
    uint64_t seed;
    uint64_t memory;
    int hostile;               /* SOAK_HOSTILE: 0, 1, or -1: drawn */
    unsigned seconds;
    int request;               /* enum request, set by thread 0 */
    bool quit;
    uint64_t va_live;          /* vmap pages held by live blocks */

    /* The round, set up by thread 0 while the others wait. */
    struct heap *h;
    struct xen_model *m;
    size_t page;
    uint64_t live_cap;         /* per thread */
    unsigned round;
    char what[160];            /* "round 3: xvmalloc, 16K pages, ..." */
    uint32_t *census0;
    size_t ncensus;
    uint64_t overhead0;

    /* Totals, thread 0's. */
    uint64_t checks, rounds_done, failed_total;
    uint64_t idle_regions;     /* idle pool regions reclaimed at ends */
    uint64_t started_ns;
};

static struct soak *the_soak;   /* for fault() and the signal handler */

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Names the fault and the round, and ends the run at once. */
static void fault(const char *fmt, ...) __attribute__((format(printf, 1, 2),
                                                       noreturn));
static void fault(const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fflush(stdout);
    fprintf(stderr, "soak: FAULT: %s [%s; seed %" PRIu64 "]\n", msg,
            the_soak ? the_soak->what : "starting", the_soak ? the_soak->seed : 0);
    _exit(1);
}

static void on_signal(int sig)
{
    static const char head[] = "soak: FAULT: fatal signal in ";
    const char *what = the_soak ? the_soak->what : "starting";

    if (write(2, head, sizeof head - 1) < 0 ||
        write(2, what, strlen(what)) < 0 || write(2, "\n", 1) < 0)
        _exit(1);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void wait_all(struct soak *s)
{
    pthread_barrier_wait(&s->bar);
}

/* ---- patterns: word k of a block is base + k * PATTERN_STEP ---- */

#define PATTERN_STEP 0x9e3779b97f4a7c15ull

static uint64_t pattern_base(uint64_t serial)
{
    return mix64(serial ^ 0x736f616b2d736f61ull);
}

/* Fills block offsets [from, to) of p. */
static void fill(char *p, size_t from, size_t to, uint64_t base)
{
    for (size_t off = from; off < to;) {
        uint64_t w = base + off / 8 * PATTERN_STEP;
        size_t in = off % 8, n = 8 - in < to - off ? 8 - in : to - off;

        if (n == 8)
            memcpy(p + off, &w, 8);
        else
            memcpy(p + off, (char *)&w + in, n);
        off += n;
    }
}

/* The first offset in [0, len) that does not hold the pattern, or len. */
static size_t find_bad(const char *p, size_t len, uint64_t base)
{
    size_t off = 0;

    for (; off + 8 <= len; off += 8) {
        uint64_t w;

        memcpy(&w, p + off, 8);
        if (w != base + off / 8 * PATTERN_STEP)
            break;
    }
    for (; off < len; off++) {
        uint64_t w = base + off / 8 * PATTERN_STEP;

        if ((uint8_t)p[off] != (uint8_t)(w >> (off % 8 * 8)))
            return off;
    }
    return len;
}

static void verify(const struct block *b, size_t len, const char *when)
{
    size_t bad;

    if (!b->size)
        return;
    bad = find_bad(b->p, len, pattern_base(b->serial));
    if (bad < len)
        fault("%s: block %" PRIu64 " at %p (%zu bytes) lost its contents "
              "at offset %zu", when, b->serial, (void *)b->p, b->size, bad);
}

/* ---- one thread's operations ---- */

static size_t pick_size(struct worker *w)
{
    size_t page = w->s->page;
    unsigned multi_pm = (unsigned)(MULTI_PM_4K * 4096 / page);
    uint64_t u = rng_below(&w->rng, 1000);

    if (u < SIZE_ZERO_PM)
        return 0;
    u -= SIZE_ZERO_PM;
    if (u < SIZE_NEAR_PM)
        return page - NEAR_PAGE + rng_below(&w->rng, 2 * NEAR_PAGE + 1);
    u -= SIZE_NEAR_PM;
    if (u < multi_pm)
        return page * rng_log(&w->rng, 2, MAX_MULTI_PAGES) -
               rng_below(&w->rng, page);
    return rng_log(&w->rng, 1, SMALL_MAX);
}

static void check_placement(struct worker *w, const struct block *b,
                            size_t align, const struct placement *where)
{
    uint64_t offset;

    if (!b->size)
        return;
    if (align && ((uintptr_t)b->p & (align - 1)))
        fault("thread %u: %zu bytes aligned to %zu came at %p", w->id,
              b->size, align, (void *)b->p);
    if (xen_model_region(w->s->m, b->p, &offset) == PATH_NONE)
        fault("thread %u: %zu bytes came at %p, outside the directmap and "
              "the vmap area", w->id, b->size, (void *)b->p);
    if ((b->flags & HEAP_NEEDS_CONTIG) && where->path == PATH_VMAP)
        fault("thread %u: %zu contiguous bytes came from vmalloc", w->id,
              b->size);
}

static void va_add(struct soak *s, int64_t pages)
{
    __atomic_fetch_add(&s->va_live, (uint64_t)pages, __ATOMIC_RELAXED);
}

static void count_op(struct worker *w)
{
    __atomic_store_n(&w->ops, w->ops + 1, __ATOMIC_RELAXED);
}

static void take(struct worker *w, const struct block *b)
{
    w->live[w->nlive++] = *b;
    w->live_bytes += b->size;
}

/* Removes live[i] (the last one takes its place) and returns it. */
static struct block drop(struct worker *w, unsigned i)
{
    struct block b = w->live[i];

    w->live[i] = w->live[--w->nlive];
    w->live_bytes -= b.size;
    return b;
}

static void huge_request(struct worker *w)
{
    size_t size = (size_t)w->s->memory * 2;
    void *p = heap_alloc(w->s->h, size, 0, 0, NULL);

    w->t.allocs++;
    count_op(w);
    if (p)
        fault("thread %u: a request of %zu bytes, twice the memory, "
              "succeeded", w->id, size);
    w->t.failed++;
}

static void op_alloc(struct worker *w)
{
    struct soak *s = w->s;
    struct placement where;
    struct block b = { 0 };
    size_t align = 0;

    if (rng_below(&w->rng, HUGE_ONE_IN) == 0) {
        huge_request(w);
        return;
    }
    b.size = pick_size(w);
    if (rng_below(&w->rng, 1000) < CONTIG_PM)
        b.flags |= HEAP_NEEDS_CONTIG;
    if (rng_below(&w->rng, 1000) < ZERO_PM)
        b.flags |= HEAP_ZERO;
    if (rng_below(&w->rng, 1000) < ALIGN_PM)
        align = (size_t)1 << (4 + rng_below(&w->rng, __builtin_ctzl(s->page) - 3));
    b.p = heap_alloc(s->h, b.size, align, b.flags, &where);
    w->t.allocs++;
    count_op(w);
    if (!b.p) {
        w->t.failed++;
        return;
    }
    b.serial = w->next_serial++ * s->n + w->id;
    b.va_pages = (uint32_t)where.va_pages;
    va_add(s, b.va_pages);
    check_placement(w, &b, align, &where);
    if ((b.flags & HEAP_ZERO) && b.size)
        for (size_t i = 0; i < b.size; i++)
            if (b.p[i])
                fault("thread %u: %zu bytes asked zeroed hold %#x at offset "
                      "%zu", w->id, b.size, (unsigned)(uint8_t)b.p[i], i);
    fill(b.p, 0, b.size, pattern_base(b.serial));
    take(w, &b);
}

static void free_block(struct worker *w, const struct block *b)
{
    verify(b, b->size, "free");
    heap_free(w->s->h, b->p, b->size);
    va_add(w->s, -(int64_t)b->va_pages);
    w->t.frees++;
    count_op(w);
}

/* Reallocates b in place of the caller's copy; a failure leaves it. */
static void realloc_block(struct worker *w, struct block *b)
{
    struct soak *s = w->s;
    size_t size = pick_size(w), keep = size < b->size ? size : b->size;
    struct placement where;
    char *q;

    verify(b, b->size, "realloc");
    q = heap_realloc(s->h, b->p, b->size, size, b->flags, &where);
    w->t.reallocs++;
    count_op(w);
    if (!q) {
        w->t.failed++;
        verify(b, b->size, "failed realloc");
        return;
    }
    va_add(s, (int64_t)where.va_pages - b->va_pages);
    b->p = q;
    b->va_pages = (uint32_t)where.va_pages;
    b->size = size;
    check_placement(w, b, 0, &where);
    verify(b, keep, "after realloc");
    fill(b->p, keep, size, pattern_base(b->serial));
}

/* Puts a block in another thread's inbox; false when it is full. */
static bool hand_to(struct worker *w, unsigned to, const struct block *b)
{
    struct inbox *in = &w->s->w[to].in;
    bool ok;

    verify(b, b->size, "hand-over");
    pthread_mutex_lock(&in->lock);
    ok = in->n < INBOX_CAP;
    if (ok) {
        in->b[in->n] = *b;
        __atomic_store_n(&in->n, in->n + 1, __ATOMIC_RELAXED);
    }
    pthread_mutex_unlock(&in->lock);
    return ok;
}

static void op_hand_over(struct worker *w)
{
    unsigned i = (unsigned)rng_below(&w->rng, w->nlive);
    unsigned to = (w->id + 1 + (unsigned)rng_below(&w->rng, w->s->n - 1)) %
                  w->s->n;

    if (hand_to(w, to, &w->live[i])) {
        drop(w, i);
        w->handed++;
    }
}

/* Blocks from other threads: freed, reallocated or kept here. */
static void drain_inbox(struct worker *w)
{
    struct block got[INBOX_CAP];
    unsigned n;

    if (!__atomic_load_n(&w->in.n, __ATOMIC_RELAXED))
        return;
    pthread_mutex_lock(&w->in.lock);
    n = w->in.n;
    memcpy(got, w->in.b, n * sizeof *got);
    __atomic_store_n(&w->in.n, 0, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&w->in.lock);
    for (unsigned i = 0; i < n; i++) {
        uint64_t u = rng_below(&w->rng, 1000);

        verify(&got[i], got[i].size, "receipt");
        if (u < RECV_FREE_PM || w->nlive == MAX_LIVE) {
            free_block(w, &got[i]);
            w->foreign_frees++;
            continue;
        }
        if (u < RECV_FREE_PM + RECV_REALLOC_PM) {
            realloc_block(w, &got[i]);
            w->foreign_reallocs++;
        }
        take(w, &got[i]);
    }
}

/* The live count drifts towards a target: now and then none, now and
 * then a handful, mostly a good part of MAX_LIVE. */
static void next_phase(struct worker *w)
{
    uint64_t u = rng_below(&w->rng, 6);

    w->phase_end = w->step + PHASE_MIN + rng_below(&w->rng, PHASE_SPAN);
    w->target = u == 0 ? 0 : u == 1 ? (unsigned)rng_log(&w->rng, 1, 64)
                       : MAX_LIVE / 4 + (unsigned)rng_below(&w->rng, MAX_LIVE * 3 / 4);
}

static void one_step(struct worker *w)
{
    struct soak *s = w->s;
    unsigned alloc_pm = w->target == 0 ? 100 : w->nlive < w->target ? 550 : 350;
    uint64_t u = rng_below(&w->rng, 1000);
    bool room;

    if (++w->step >= w->phase_end)
        next_phase(w);
    if (w->step % DRAIN_EVERY == 0)
        drain_inbox(w);
    room = w->nlive < MAX_LIVE && w->live_bytes < s->live_cap &&
           __atomic_load_n(&s->va_live, __ATOMIC_RELAXED) < VMAP_BUDGET;
    if (w->nlive == 0 || (u < alloc_pm && room)) {
        if (room)
            op_alloc(w);
        return;
    }
    u = rng_below(&w->rng, 1000);
    if (u < 150) {
        struct block *b = &w->live[rng_below(&w->rng, w->nlive)];

        w->live_bytes -= b->size;
        realloc_block(w, b);
        w->live_bytes += b->size;
    } else if (u < 400 && s->n > 1) {
        op_hand_over(w);
    } else {
        struct block b = drop(w, (unsigned)rng_below(&w->rng, w->nlive));

        free_block(w, &b);
    }
}

/* ---- stopping the world ---- */

/* Every block this thread and its inbox hold still holds its pattern. */
static void hold_census(struct worker *w)
{
    w->held_bytes = w->held_va = w->held_blocks = 0;
    for (unsigned i = 0; i < w->nlive; i++) {
        verify(&w->live[i], w->live[i].size, "stop");
        w->held_bytes += w->live[i].size;
        w->held_va += w->live[i].va_pages;
    }
    for (unsigned i = 0; i < w->in.n; i++) {
        verify(&w->in.b[i], w->in.b[i].size, "stop, in an inbox");
        w->held_bytes += w->in.b[i].size;
        w->held_va += w->in.b[i].va_pages;
    }
    w->held_blocks = w->nlive + w->in.n;
}

struct span {
    uintptr_t start, end;
    uint64_t serial;
};

static int span_cmp(const void *a, const void *b)
{
    const struct span *x = a, *y = b;

    return (x->start > y->start) - (x->start < y->start);
}

static void add_span(struct span *v, size_t *n, const struct block *b)
{
    if (b->size)
        v[(*n)++] = (struct span){ (uintptr_t)b->p,
                                   (uintptr_t)b->p + b->size, b->serial };
}

/* No two live blocks share an address. */
static void check_overlap(struct soak *s, uint64_t blocks)
{
    struct span *v = malloc((blocks ? blocks : 1) * sizeof *v);
    size_t n = 0;

    if (!v)
        fault("out of memory for the overlap check");
    for (unsigned t = 0; t < s->n; t++) {
        const struct worker *w = &s->w[t];

        for (unsigned i = 0; i < w->nlive; i++)
            add_span(v, &n, &w->live[i]);
        for (unsigned i = 0; i < w->in.n; i++)
            add_span(v, &n, &w->in.b[i]);
    }
    qsort(v, n, sizeof *v, span_cmp);
    for (size_t i = 1; i < n; i++)
        if (v[i].start < v[i - 1].end)
            fault("blocks %" PRIu64 " and %" PRIu64 " overlap at %#" PRIxPTR,
                  v[i - 1].serial, v[i].serial, v[i].start);
    free(v);
}

static void check_model(struct soak *s, const char *when)
{
    char why[512] = "";

    if (xen_model_check(s->m, why, sizeof why))
        fault("%s: the model's invariants: %s", when, why);
}

/* The heap's counters against what the threads did and hold. */
static void check_stats(struct soak *s, const char *when)
{
    struct heap_stats st;
    struct tally t = { 0 };
    uint64_t bytes = 0, va = 0;
    bool lazy = s->h->cfg.flush == FLUSH_LAZY;

    for (unsigned i = 0; i < s->n; i++) {
        t.allocs += s->w[i].t.allocs;
        t.frees += s->w[i].t.frees;
        t.reallocs += s->w[i].t.reallocs;
        t.failed += s->w[i].t.failed;
        bytes += s->w[i].held_bytes;
        va += s->w[i].held_va;
    }
    heap_stats(s->h, &st);
    if (st.allocs != t.allocs || st.frees != t.frees ||
        st.reallocs != t.reallocs || st.failed != t.failed)
        fault("%s: the heap counted %" PRIu64 " allocs, %" PRIu64 " frees, %"
              PRIu64 " reallocs, %" PRIu64 " failed; the threads made %" PRIu64
              ", %" PRIu64 ", %" PRIu64 ", %" PRIu64, when, st.allocs, st.frees,
              st.reallocs, st.failed, t.allocs, t.frees, t.reallocs, t.failed);
    if (st.live_bytes != bytes)
        fault("%s: the heap says %" PRIu64 " live bytes, the blocks hold %"
              PRIu64, when, st.live_bytes, bytes);
    /* Lazily freed areas keep their pages until the next purge. */
    if (lazy ? st.va_pages_in_use < va : st.va_pages_in_use != va)
        fault("%s: the heap says %" PRIu64 " vmap pages in use, the blocks "
              "hold %" PRIu64, when, st.va_pages_in_use, va);
    if (st.frames_in_use < st.overhead_frames)
        fault("%s: %" PRIu64 " frames in use, fewer than the model's own %"
              PRIu64, when, st.frames_in_use, st.overhead_frames);
}

/* Thread 0, the others waiting: everything the world holds is sound. */
static void world_check(struct soak *s)
{
    uint64_t blocks = 0;

    for (unsigned i = 0; i < s->n; i++)
        blocks += s->w[i].held_blocks;
    check_model(s, "stop");
    check_stats(s, "stop");
    check_overlap(s, blocks);
    s->checks++;
}

static uint32_t *take_census(struct soak *s, size_t *n)
{
    size_t count = free_block_census(&s->m->pa, NULL, 0);
    uint32_t *c = calloc(count ? count : 1, sizeof *c);

    if (!c)
        fault("out of memory for a census");
    free_block_census(&s->m->pa, c, count);
    *n = count;
    return c;
}

/*
 * Everything was freed, so every region the xmalloc pool still holds must
 * be wholly free: its one free block and its sentinel, whose header is all
 * the pool counts as used. Such a region is Xen's, not a leak: two threads
 * that find the pool full both drop its lock to fetch a region (as
 * xmem_pool_alloc does), and the second, retrying, may carve its block
 * from the first one's region; no block is ever carved from its own, so no
 * free hands it back. One small block carved from it and freed does: the
 * pool then has its frame back to give, and every frame can be counted.
 */
static void reclaim_idle_regions(struct soak *s)
{
    unsigned long regions = xmalloc_pool_regions(s->m);
    unsigned long used = xmalloc_pool_used(s->m);

    if (used != regions * s->m->tlsf->bhdr_overhead)
        fault("end of round: all freed, yet the xmalloc pool counts %lu "
              "bytes used in %lu regions", used, regions);
    for (unsigned long i = 0; i < regions; i++) {
        void *p = _xmalloc(s->m, 1, 0);   /* 0: the layout's MEM_ALIGN */

        if (!p)
            fault("end of round: no block from an idle pool region");
        xfree(s->m, p);
    }
    if (xmalloc_pool_regions(s->m))
        fault("end of round: the xmalloc pool kept %lu of its %lu idle "
              "regions", xmalloc_pool_regions(s->m), regions);
    s->idle_regions += regions;
}

/* Everything was freed: every frame is back and has merged back. */
static void empty_check(struct soak *s)
{
    struct page_alloc *pa = &s->m->pa;
    struct heap_stats st;
    uint32_t *now;
    size_t n;

    if (s->h->cfg.flush == FLUSH_LAZY)
        vm_purge_lazy(s->m);
    check_model(s, "end of round");
    check_stats(s, "end of round");
    heap_stats(s->h, &st);
    if (st.live_bytes || st.va_pages_in_use)
        fault("end of round: all freed, yet %" PRIu64 " live bytes and %"
              PRIu64 " vmap pages in use", st.live_bytes, st.va_pages_in_use);
    reclaim_idle_regions(s);
    /* Xen's page tables stay (backends/pagetable.h). */
    if (pa->frames_in_use != pa->overhead_frames + s->m->mapper.pt.live_tables)
        fault("end of round: all freed, yet %" PRIu64 " frames are in use "
              "beside %" PRIu64 " of the model's own and %" PRIu64 " page "
              "tables: frames were lost", pa->frames_in_use -
              pa->overhead_frames - s->m->mapper.pt.live_tables,
              pa->overhead_frames, s->m->mapper.pt.live_tables);
    if (__atomic_load_n(&s->va_live, __ATOMIC_RELAXED))
        fault("end of round: the threads' vmap page count is %" PRIu64,
              s->va_live);
    /* The vmap bitmap may have grown, page tables stay: their frames
     * then stay taken. */
    if (pa->overhead_frames != s->overhead0 || s->m->mapper.pt.live_tables)
        return;
    now = take_census(s, &n);
    for (size_t i = 0; i < n && i < s->ncensus; i++)
        if (now[i] != s->census0[i])
            fault("end of round: free lists differ from a fresh heap's at "
                  "zone %zu order %zu: %u blocks, %u at the start",
                  i / (pa->max_order + 1), i % (pa->max_order + 1), now[i],
                  s->census0[i]);
    free(now);
}

static void free_everything(struct worker *w)
{
    while (w->nlive) {
        struct block b = drop(w, w->nlive - 1);

        free_block(w, &b);
    }
    for (unsigned i = 0; i < w->in.n; i++)
        free_block(w, &w->in.b[i]);
    w->in.n = 0;
    w->held_bytes = w->held_va = w->held_blocks = 0;
}

/* ---- rounds ---- */

static unsigned round_seconds(const struct soak *s)
{
    unsigned r = s->seconds / (unsigned)ROTATION;

    return r < ROUND_MIN_S ? ROUND_MIN_S : r > ROUND_MAX_S ? ROUND_MAX_S : r;
}

/*
 * A hostile round: a thread that grows the xmalloc pool yields its CPU in
 * the window where xmem_pool_alloc has dropped the pool lock to fetch a
 * region, so that other threads run inside it, as they do when one is
 * descheduled there (more threads than CPUs). The model's own pool_get
 * still does the fetching. Half the rounds are hostile; SOAK_HOSTILE=1
 * makes every round so, SOAK_HOSTILE=0 none.
 */
static xmem_get_memory model_pool_get;

static void *hostile_pool_get(void *ctx, unsigned long bytes)
{
    sched_yield();
    return model_pool_get(ctx, bytes);
}

static void make_hostile(struct soak *s)
{
    model_pool_get = s->m->tlsf->swap_get_mem(s->m, hostile_pool_get);
}

/* Thread 0, the others waiting: a fresh shared heap for this round. Each
 * backend meets each page size once in ROTATION rounds. */
static void start_round(struct soak *s)
{
    static const enum flush_policy flushes[] = {
        FLUSH_PER_PAGE, FLUSH_PER_RANGE, FLUSH_LAZY,
    };
    unsigned r = s->round;
    const char *backend = model_backends[r % NR_BACKENDS];
    uint64_t knobs = mix64(s->seed ^ r);
    struct heap_config cfg;
    bool hostile = s->hostile < 0 ? (knobs >> 16) & 1 : s->hostile == 1;
    char why[512];

    heap_config_defaults(&cfg);
    cfg.page_size = page_sizes[(r + r / NR_BACKENDS) % NR_PAGES];
    cfg.memory_bytes = s->memory;
    cfg.flush = flushes[knobs % 3];
    cfg.scrub = (knobs >> 8) % 4 != 0;
    snprintf(s->what, sizeof s->what, "round %u: %s, %zuK pages, flush %s, "
             "scrub %s, %u threads%s", r, backend, cfg.page_size >> 10,
             flush_policy_name(cfg.flush), cfg.scrub ? "on" : "off", s->n,
             hostile ? ", hostile" : "");
    s->h = heap_create(backend, &cfg, why, sizeof why);
    if (!s->h)
        fault("heap_create: %s", why);
    heap_set_shared(s->h, true);
    s->m = s->h->xen;
    if (hostile)
        make_hostile(s);
    s->page = cfg.page_size;
    s->live_cap = (s->memory >> LIVE_BYTES_SHIFT) / s->n;
    s->census0 = take_census(s, &s->ncensus);
    s->overhead0 = s->m->pa.overhead_frames;
    for (unsigned i = 0; i < s->n; i++) {
        struct worker *w = &s->w[i];

        memset(&w->t, 0, sizeof w->t);
        w->rng = mix64(s->seed ^ ((uint64_t)r << 32) ^ i);
        w->step = w->phase_end = 0;
    }
}

static void end_round(struct soak *s)
{
    uint64_t failed = 0;

    empty_check(s);
    for (unsigned i = 0; i < s->n; i++)
        failed += s->w[i].t.failed;
    s->failed_total += failed;
    heap_destroy(s->h);
    s->h = NULL;
    s->m = NULL;
    free(s->census0);
    s->census0 = NULL;
    s->rounds_done++;
    s->round++;
}

static uint64_t total_ops(const struct soak *s)
{
    uint64_t ops = 0;

    for (unsigned i = 0; i < s->n; i++)
        ops += __atomic_load_n(&s->w[i].ops, __ATOMIC_RELAXED);
    return ops;
}

static void progress(struct soak *s, uint64_t now)
{
    double secs = (double)(now - s->started_ns) / 1e9;
    uint64_t ops = total_ops(s);

    printf("soak: %4.0f s, %s: %" PRIu64 " ops (%.0f k/s), %" PRIu64
           " checks, %" PRIu64 " rounds clean\n", secs, s->what, ops,
           ops / secs / 1e3, s->checks, s->rounds_done);
    fflush(stdout);
}

/* Thread 0, between steps: time for a check, the round's end, progress? */
struct clock_state {
    uint64_t next_check, round_end, run_end, next_progress;
};

static enum request due(struct soak *s, struct clock_state *c)
{
    uint64_t now = now_ns();

    if (now >= c->next_progress) {
        progress(s, now);
        c->next_progress += PROGRESS_EVERY_S * 1000000000ull;
    }
    if (now >= c->round_end || now >= c->run_end)
        return REQ_END;
    if (now >= c->next_check) {
        c->next_check = now + CHECK_EVERY_MS * 1000000ull;
        return REQ_CHECK;
    }
    return REQ_NONE;
}

/*
 * One round, on every thread. Thread 0 raises a request between steps;
 * every thread sees it before its next step and meets the others at the
 * barrier, so nobody touches the heap or an inbox while the world is
 * checked. The request goes back to none between the last two barriers.
 */
static void run_round(struct worker *w, struct clock_state *c)
{
    struct soak *s = w->s;

    for (;;) {
        enum request req = (enum request)__atomic_load_n(&s->request,
                                                         __ATOMIC_ACQUIRE);

        if (req == REQ_NONE) {
            one_step(w);
            if (w->id == 0 && w->step % 64 == 0 &&
                (req = due(s, c)) != REQ_NONE)
                __atomic_store_n(&s->request, req, __ATOMIC_RELEASE);
            continue;
        }
        wait_all(s);
        if (req == REQ_CHECK)
            hold_census(w);
        else
            free_everything(w);
        wait_all(s);
        if (w->id == 0) {
            if (req == REQ_CHECK)
                world_check(s);
            else
                end_round(s);
            __atomic_store_n(&s->request, REQ_NONE, __ATOMIC_RELAXED);
        }
        if (req == REQ_END)
            return;
        wait_all(s);
    }
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct soak *s = w->s;

    for (;;) {
        wait_all(s);          /* thread 0 made the round's heap, or quits */
        if (s->quit)
            return NULL;
        run_round(w, NULL);
    }
}

/* Ends the run when the threads stop making progress (a lock never
 * released, a loop that never ends), naming the round. */
static void *watchdog_main(void *arg)
{
    struct soak *s = arg;
    uint64_t last = total_ops(s), still = 0;

    for (;;) {
        sleep(1);
        if (__atomic_load_n(&s->quit, __ATOMIC_RELAXED))
            return NULL;
        uint64_t ops = total_ops(s);

        still = ops == last ? still + 1 : 0;
        last = ops;
        if (still >= WATCHDOG_S)
            fault("no operation for %u s: a thread is stuck", WATCHDOG_S);
    }
}

/* Thread 0's part: rounds until the time is up. */
static void run(struct soak *s)
{
    struct clock_state c;
    uint64_t round_ns = round_seconds(s) * 1000000000ull;

    s->started_ns = now_ns();
    c.run_end = s->started_ns + s->seconds * 1000000000ull;
    c.next_progress = s->started_ns + PROGRESS_EVERY_S * 1000000000ull;
    do {
        start_round(s);
        c.round_end = now_ns() + round_ns;
        c.next_check = now_ns() + CHECK_EVERY_MS * 1000000ull;
        wait_all(s);
        run_round(&s->w[0], &c);
    } while (now_ns() < c.run_end);
    __atomic_store_n(&s->quit, true, __ATOMIC_RELAXED);
    wait_all(s);
}

/* ---- the command line ---- */

static void usage(FILE *f)
{
    fprintf(f,
"usage: soak [--seconds N] [--threads N] [--seed S] [--memory SZ]\n"
"\n"
"Many threads share one heap of a model backend, allocate, free and\n"
"realloc at random and free each other's blocks; the world stops every\n"
"%u ms for the model's checks and every block's pattern, and each round\n"
"ends with everything freed and every frame back. Rounds rotate over the\n"
"model backends and page sizes. Prints progress once a minute and one\n"
"last line; exits 1 naming the first fault.\n"
"\n"
"  --seconds N   how long (default: SOAK_SECONDS, else %u)\n"
"  --threads N   threads (default: the online CPUs, at least 2)\n"
"  --seed S      random seed (default: from the clock, printed)\n"
"  --memory SZ   modelled memory per heap (default 256M)\n"
"\n"
"SOAK_HOSTILE=1 makes every round hostile (a thread growing the xmalloc\n"
"pool yields the CPU while the pool lock is dropped), 0 none; by default\n"
"half the rounds are.\n",
            CHECK_EVERY_MS, DEFAULT_SECONDS);
}

static int bad_value(const char *opt, const char *val)
{
    fprintf(stderr, "soak: %s: bad value '%s'\n", opt, val);
    return 2;
}

static bool parse_u64(const char *v, uint64_t *out)
{
    char *end;

    errno = 0;
    *out = strtoull(v, &end, 0);
    return v[0] >= '0' && v[0] <= '9' && !*end && !errno;
}

static int parse_args(int argc, char **argv, struct soak *s)
{
    const char *env = getenv("SOAK_SECONDS");
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    uint64_t v;

    s->seconds = DEFAULT_SECONDS;
    if (env && (!parse_u64(env, &v) || v == 0 || v > UINT32_MAX))
        return bad_value("SOAK_SECONDS", env);
    if (env)
        s->seconds = (unsigned)v;
    env = getenv("SOAK_HOSTILE");
    if (env && strcmp(env, "0") && strcmp(env, "1"))
        return bad_value("SOAK_HOSTILE", env);
    s->hostile = env ? *env == '1' : -1;
    s->n = cpus > 2 ? (unsigned)cpus : 2;
    s->seed = now_ns() ^ (uint64_t)getpid() << 32;
    s->memory = DEFAULT_MEMORY;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

        if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
            usage(stdout);
            exit(0);
        }
        if (strcmp(o, "--seconds") && strcmp(o, "--threads") &&
            strcmp(o, "--seed") && strcmp(o, "--memory")) {
            fprintf(stderr, "soak: unknown option '%s' (see --help)\n", o);
            return 2;
        }
        if (!val) {
            fprintf(stderr, "soak: %s needs a value\n", o);
            return 2;
        }
        i++;
        if (!strcmp(o, "--memory")) {
            if (parse_size(val, &v) || v < (16u << 20) || v > (64ull << 30))
                return bad_value(o, val);
            s->memory = v;
        } else if (!parse_u64(val, &v)) {
            return bad_value(o, val);
        } else if (!strcmp(o, "--seed")) {
            s->seed = v;
        } else if (!strcmp(o, "--seconds")) {
            if (v == 0 || v > UINT32_MAX)
                return bad_value(o, val);
            s->seconds = (unsigned)v;
        } else {
            if (v < 1 || v > MAX_THREADS)
                return bad_value(o, val);
            s->n = (unsigned)v;
        }
    }
    return 0;
}

static void start_threads(struct soak *s)
{
    pthread_t dog;

    for (unsigned i = 0; i < s->n; i++) {
        s->w[i].s = s;
        s->w[i].id = i;
        pthread_mutex_init(&s->w[i].in.lock, NULL);
    }
    pthread_barrier_init(&s->bar, NULL, s->n);
    for (unsigned i = 1; i < s->n; i++)
        if (pthread_create(&s->w[i].tid, NULL, worker_main, &s->w[i]))
            fault("cannot create thread %u", i);
    if (pthread_create(&dog, NULL, watchdog_main, s) || pthread_detach(dog))
        fault("cannot create the watchdog");
}

static void summary(const struct soak *s)
{
    double secs = (double)(now_ns() - s->started_ns) / 1e9;
    uint64_t ops = total_ops(s), handed = 0, ffree = 0, freall = 0;

    for (unsigned i = 0; i < s->n; i++) {
        handed += s->w[i].handed;
        ffree += s->w[i].foreign_frees;
        freall += s->w[i].foreign_reallocs;
    }
    printf("soak: %.0f s, %u threads, %" PRIu64 " rounds over %zu backends x "
           "%zu page sizes: %" PRIu64 " ops (%.0f k/s), %" PRIu64 " blocks "
           "handed over (%" PRIu64 " freed, %" PRIu64 " reallocated by "
           "another thread), %" PRIu64 " failed, %" PRIu64 " world checks, "
           "%" PRIu64 " idle pool regions: nothing lost (seed %" PRIu64
           ")\n", secs, s->n, s->rounds_done, NR_BACKENDS, NR_PAGES, ops,
           ops / secs / 1e3, handed, ffree, freall, s->failed_total,
           s->checks, s->idle_regions, s->seed);
}

int main(int argc, char **argv)
{
    static struct soak s;
    int rc = parse_args(argc, argv, &s);

    if (rc)
        return rc;
    s.w = aligned_alloc(64, s.n * sizeof *s.w);
    if (!s.w) {
        fprintf(stderr, "soak: out of memory\n");
        return 1;
    }
    memset(s.w, 0, s.n * sizeof *s.w);
    the_soak = &s;
    snprintf(s.what, sizeof s.what, "starting");
    signal(SIGSEGV, on_signal);
    signal(SIGBUS, on_signal);
    signal(SIGABRT, on_signal);
    signal(SIGFPE, on_signal);
    start_threads(&s);
    run(&s);
    for (unsigned i = 1; i < s.n; i++)
        pthread_join(s.w[i].tid, NULL);
    summary(&s);
    free(s.w);
    return 0;
}
