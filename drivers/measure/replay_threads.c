/*
 * The replay threads: the loop each runs over its events of a chunk (the
 * fast path, replay_stream), the chunk split between them, and their start
 * and stop. Thread 0 is the caller of replay_measure.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "drivers/measure/replay_internal.h"

/* Written by touch= and w: not zero, so the write really dirties the page. */
#define TOUCH_BYTE 0x5a

#define HOT static inline __attribute__((always_inline))

static inline unsigned size_class(uint64_t size)
{
    return size < 2 ? 0 : 63 - (unsigned)__builtin_clzll(size);
}

static inline unsigned heap_flags(unsigned trace_flags)
{
    return (trace_flags & TRACE_CONTIG ? HEAP_NEEDS_CONTIG : 0) |
           (trace_flags & TRACE_ZERO ? HEAP_ZERO : 0);
}

/* touch=: one byte per model page, or every byte. 0-byte blocks may be a
 * special non-NULL pointer that must never be written. */
static void touch(void *p, uint64_t size, unsigned flags, size_t page)
{
    volatile unsigned char *b = p;

    if (size == 0)
        return;
    if (flags & TRACE_TOUCH_ALL)
        memset(p, TOUCH_BYTE, size);
    else
        for (uint64_t off = 0; off < size; off += page)
            b[off] = TOUCH_BYTE;
}

/* The end of a timed call: its ticks, less the timer's own, recorded. */
HOT void took(struct worker *w, enum replay_call c, uint64_t size,
              uint64_t t0, const bool timed)
{
    uint64_t d, over = w->e->overhead;

    if (!timed)
        return;
    d = timer_stop() - t0;
    d = d > over ? d - over : 0;
    hist_record(&w->hist[c * REPLAY_SIZE_CLASSES + size_class(size)], d);
}

static void put_row(struct engine *e, size_t pos, uint64_t size,
                    uint64_t align, const struct placement *where)
{
    e->rows[pos] = (struct row){ size, align, *where, true };
}

HOT void ev_alloc(struct worker *w, struct slot *s, uint64_t size,
                  unsigned flags, unsigned align_log2, size_t pos,
                  const bool timed, const bool rec)
{
    struct engine *e = w->e;
    size_t align = align_log2 ? (size_t)1 << align_log2 : 0;
    struct placement where;
    uint64_t t0 = timed ? timer_start() : 0;
    void *p = heap_alloc(e->h, size, align, heap_flags(flags),
                         rec ? &where : NULL);

    took(w, CALL_ALLOC, size, t0, timed);
    w->calls[CALL_ALLOC]++;
    s->p = p;
    s->size = size;
    s->state = p ? SLOT_LIVE : SLOT_FAILED;
    s->flags = (uint8_t)flags;
    s->align_log2 = (uint8_t)align_log2;
    if (!p)
        return;
    if (flags & (TRACE_TOUCH_FIRST | TRACE_TOUCH_ALL))
        touch(p, size, flags, e->page);
    if (rec)
        put_row(e, pos, size, align, &where);
}

HOT void ev_free(struct worker *w, struct slot *s, const bool timed)
{
    uint64_t t0;

    if (s->state == SLOT_FAILED) {
        w->skipped++;
    } else {
        t0 = timed ? timer_start() : 0;
        heap_free(w->e->h, s->p, s->size);
        took(w, CALL_FREE, s->size, t0, timed);
        w->calls[CALL_FREE]++;
    }
    s->state = SLOT_FREE;
}

/*
 * An r on an id whose allocation failed allocates afresh, with the a's
 * alignment and contig/zero flags (not its touch=, which never happened).
 * Otherwise the a's contig/zero flags go with the realloc: the block keeps
 * needing what it needed. A failed realloc leaves the old block live, as
 * C's realloc does.
 */
HOT void ev_realloc(struct worker *w, struct slot *s, uint64_t size,
                    size_t pos, const bool timed, const bool rec)
{
    struct placement where;
    uint64_t t0;
    void *p;

    if (s->state == SLOT_FAILED) {
        ev_alloc(w, s, size, s->flags & (TRACE_CONTIG | TRACE_ZERO),
                 s->align_log2, pos, timed, rec);
        return;
    }
    t0 = timed ? timer_start() : 0;
    p = heap_realloc(w->e->h, s->p, s->size, size, heap_flags(s->flags),
                     rec ? &where : NULL);
    took(w, CALL_REALLOC, size, t0, timed);
    w->calls[CALL_REALLOC]++;
    if (!p)
        return;
    s->p = p;
    s->size = size;
    if (rec)
        put_row(w->e, pos, size, 0, &where);
}

static void ev_write(struct worker *w, struct slot *s)
{
    if (s->state == SLOT_FAILED) {
        w->skipped++;
        return;
    }
    if (s->size)
        memset(s->p, TOUCH_BYTE, s->size);
    w->writes++;
}

/* Another thread may owe this slot an earlier event: wait for it. */
static inline void wait_turn(struct worker *w, const struct slot *s,
                             uint32_t seq)
{
    unsigned spins = 0;

    if (__atomic_load_n(&s->seq, __ATOMIC_ACQUIRE) == seq)
        return;
    w->waits++;
    while (__atomic_load_n(&s->seq, __ATOMIC_ACQUIRE) != seq)
        spin_wait_step(&spins);
}

/* A loop of ITERS empty iterations the compiler cannot remove: the known
 * delay of PASS_DELAY (alternate.c measures its ns per iteration). */
HOT void spin_iters(unsigned iters)
{
    for (unsigned i = 0; i < iters; i++)
        __asm__ volatile("" ::: "memory");
}

void replay_spin(unsigned iters)
{
    spin_iters(iters);
}

/* --idle-scrub-every: what an idle CPU would do, between events and out
 * of every measured time (replay_run_chunk takes it off the chunk's). */
static __attribute__((noinline)) void run_idle(struct worker *w)
{
    uint64_t t0 = clock_ns();

    w->since_idle = 0;
    heap_idle(w->e->h);
    w->idle_ns += clock_ns() - t0;
}

/* The loop every measurement runs; the flags are constants in each copy
 * below, so a batch pass on one thread carries nothing it does not need. */
HOT void replay_stream(struct worker *w, const bool timed, const bool rec,
                       const bool multi, const bool delay)
{
    struct slot *slots = w->e->slots;
    const struct cev *ev = w->ev;
    size_t n = w->n;
    const unsigned idle = w->e->cfg->idle_scrub_every;

    for (size_t i = 0; i < n; i++, ev++) {
        struct slot *s = &slots[ev->slot];
        size_t pos = rec ? (multi ? w->pos[i] : i) : 0;

        if (multi)
            wait_turn(w, s, ev->seq);
        switch (ev->op) {
        case COP_ALLOC:
            ev_alloc(w, s, ev->size, ev->flags, ev->align_log2, pos, timed,
                     rec);
            break;
        case COP_FREE:
            ev_free(w, s, timed);
            break;
        case COP_REALLOC:
            ev_realloc(w, s, ev->size, pos, timed, rec);
            break;
        case COP_WRITE:
            ev_write(w, s);
            break;
        }
        if (multi)
            __atomic_store_n(&s->seq, ev->seq + 1, __ATOMIC_RELEASE);
        if (delay)
            spin_iters(w->e->delay_iters);
        if (idle && ++w->since_idle == idle)
            run_idle(w);
    }
}

static void batch_one(struct worker *w)  { replay_stream(w, false, false, false, false); }
static void batch_many(struct worker *w) { replay_stream(w, false, false, true, false); }
static void record_one(struct worker *w) { replay_stream(w, false, true, false, false); }
static void record_many(struct worker *w) { replay_stream(w, false, true, true, false); }
static void timed_one(struct worker *w)  { replay_stream(w, true, false, false, false); }
static void timed_many(struct worker *w) { replay_stream(w, true, false, true, false); }
static void delay_one(struct worker *w)  { replay_stream(w, false, false, false, true); }
static void delay_many(struct worker *w) { replay_stream(w, false, false, true, true); }

/* The wall clock inside, the thread's CPU clock (a system call) outside:
 * their ratio tells whether something else had the CPU meanwhile. */
void replay_run_chunk(struct worker *w)
{
    static void (*const run[][2])(struct worker *) = {
        [PASS_BATCH] = { batch_one, batch_many },
        [PASS_RECORD] = { record_one, record_many },
        [PASS_TIMED] = { timed_one, timed_many },
        [PASS_DELAY] = { delay_one, delay_many },
    };
    bool parts = w->e->kind == PASS_TIMED;
    struct heap_host_time h0, h1;
    struct clean_mark mark;
    uint64_t cpu;

    clean_start(&mark);   /* clean.h: did it lose the CPU meanwhile? */
    /* The host's share, per chunk, not per call: off the loop. */
    if (parts)
        heap_host_time(&h0);
    cpu = clock_thread_ns();
    w->idle_ns = 0;
    w->t0 = clock_ns();
    run[w->e->kind][w->e->n > 1](w);
    w->t1 = clock_ns() - w->idle_ns;
    w->cpu_ns = clock_thread_ns() - cpu - w->idle_ns;
    if (parts) {
        heap_host_time(&h1);
        replay_host_add(&w->host, &h0, &h1);
    }
    w->clean = (struct clean_delta){ 0 };
    clean_stop(&mark, &w->clean);
}

void replay_host_add(struct heap_host_time *sum, const struct heap_host_time *a,
                     const struct heap_host_time *b)
{
    for (int o = 0; o < HEAP_OPS; o++) {
        sum->op[o].ticks += b->op[o].ticks - a->op[o].ticks;
        for (int c = 0; c < HOST_CALL_KINDS; c++)
            sum->op[o].calls[c] += b->op[o].calls[c] - a->op[o].calls[c];
    }
}

/* Replay threads 1 .. N-1; the caller of replay_measure is thread 0. */
static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct engine *e = w->e;

    w->unbound = topology_bind_self(e->topo, &e->plan->replay[w->id]) != 0;
    for (;;) {
        spin_barrier_wait(&e->start);
        if (e->kind == PASS_QUIT)
            return NULL;
        replay_run_chunk(w);
        spin_barrier_wait(&e->done);
    }
}

/* Hands each replay thread its events of the loaded chunk, in order. */
int replay_split_chunk(struct engine *e)
{
    const struct ctrace *c = e->ct;
    size_t count[REPLAY_MAX_THREADS] = { 0 };

    if (e->n == 1) {
        e->w[0].ev = c->ev;
        e->w[0].n = c->n;
        return 0;
    }
    for (size_t i = 0; i < c->n; i++)
        count[c->ev[i].thread % e->n]++;
    for (unsigned t = 0; t < e->n; t++) {
        struct worker *w = &e->w[t];

        if (count[t] > w->own_cap) {
            free(w->own);
            free(w->own_pos);
            w->own = malloc(count[t] * sizeof(*w->own));
            w->own_pos = malloc(count[t] * sizeof(*w->own_pos));
            w->own_cap = count[t];
            if (!w->own || !w->own_pos) {
                w->own_cap = 0;
                return -1;
            }
        }
        w->ev = w->own;
        w->pos = w->own_pos;
        w->n = 0;
    }
    for (size_t i = 0; i < c->n; i++) {
        struct worker *w = &e->w[c->ev[i].thread % e->n];

        w->own[w->n] = c->ev[i];
        w->own_pos[w->n++] = (uint32_t)i;
    }
    return 0;
}

/* Threads 1 .. N-1 start (after the counters are open, so that they
 * inherit them); thread 0 is the caller, bound for the measurement. The
 * model's locks learn first, while thread 0 may still run on every CPU it
 * was given, whether the threads outnumber those CPUs (lock.h): only then
 * may their waiters yield, and the yields are counted from here. */
int replay_start_workers(struct engine *e, struct replay_report *r)
{
    r->locks.oversubscribed = e->n > affinity_cpus();
    spin_set_oversubscribed(r->locks.oversubscribed);
    spin_reset_yields();
    e->w[0].unbound = topology_bind_self(e->topo, &e->plan->replay[0]) != 0;
    for (unsigned t = 1; t < e->n; t++)
        if (pthread_create(&e->w[t].tid, NULL, worker_main, &e->w[t]) != 0) {
            e->n = t;   /* only these to stop */
            return fail(r, REPLAY_FAILED, "cannot create replay thread %u: %s",
                        t, strerror(errno));
        }
    return REPLAY_OK;
}

void replay_stop_workers(struct engine *e, unsigned created)
{
    if (created <= 1)
        return;
    e->kind = PASS_QUIT;
    __atomic_store_n(&e->start.n, created, __ATOMIC_RELAXED);
    spin_barrier_wait(&e->start);
    for (unsigned t = 1; t < created; t++)
        pthread_join(e->w[t].tid, NULL);
}
