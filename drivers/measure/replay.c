/*
 * The replay engine (see replay.h): setting up, the passes over the decoded
 * trace, the placements CSV and the report. replay_decode.c decodes the
 * trace, replay_threads.c runs the replay threads.
 */
#include "drivers/measure/replay.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "backends/names.h"
#include "drivers/measure/host.h"
#include "drivers/measure/alternate.h"
#include "drivers/measure/replay_internal.h"
#include "drivers/measure/stats.h"

/* Traces up to this many events are short: AUTO gives them SHORT_WARMUP
 * warm-up passes and SHORT_REPS repetitions, longer ones LONG_*. Five
 * repetitions give a median and a spread; a 10^8-event trace replayed five
 * times over would take minutes for little more certainty. */
#define SHORT_TRACE_EVENTS 10000000ull
#define SHORT_WARMUP       1u
#define SHORT_REPS         5u
#define LONG_WARMUP        0u
#define LONG_REPS          1u

/* Below this share of CPU time over wall time the result says that other
 * work competed for the CPUs (the thread CPU clock ticks coarsely, so a
 * clean run reads a little under 1). */
#define CPU_SHARE_WARN 0.9

#define PLACEMENTS_HEADER "id,size,align,path,offset,frames,va_pages\n"

static const char *const call_names[CALL_KINDS] = { "alloc", "free", "realloc" };
static const char *const timing_names[] = {
    [TIMING_BOTH] = "both", [TIMING_BATCH] = "batch", [TIMING_OP] = "op",
};

const char *replay_call_name(enum replay_call c)
{
    return names_of(call_names, NAMES_COUNT(call_names), c);
}

const char *replay_timing_name(enum replay_timing t)
{
    return names_of(timing_names, NAMES_COUNT(timing_names), t);
}

int replay_timing_parse(const char *s, enum replay_timing *out)
{
    return NAMES_PARSE(timing_names, s, out);
}

void replay_options_defaults(struct replay_options *o)
{
    memset(o, 0, sizeof(*o));
    o->threads = 1;
    o->pin = PIN_NONE;
    o->warmup = REPLAY_AUTO;
    o->repetitions = REPLAY_AUTO;
    o->timing = TIMING_BOTH;
    o->timer = TIMER_AUTO;
    o->chunk_events = REPLAY_CHUNK_EVENTS;
    o->seed = 1;
}

static void note(struct replay_report *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void note(struct replay_report *r, const char *fmt, ...)
{
    va_list ap;

    if (r->n_notes == REPLAY_NOTES)
        return;
    va_start(ap, fmt);
    vsnprintf(r->notes[r->n_notes++], REPLAY_NOTE_LEN, fmt, ap);
    va_end(ap);
}

/* ---- chunks and passes ---------------------------------------------- */

static void write_rows(struct engine *e, FILE *f);

/* What one pass leaves for the report. */
struct pass_out {
    uint64_t time_ns;
    uint64_t busy_ns, cpu_ns;      /* threads' wall and CPU time, summed */
    struct clean_delta clean;      /* the threads' summed (clean.h) */
    uint64_t counters[COUNTERS_MAX];
    struct heap_stats stats;
    uint64_t calls[CALL_KINDS], writes, skipped, leaked, waits;
    char map_limit[512];
};

static void add_counters(const struct counter_set *cs, uint64_t *sum)
{
    for (size_t i = 0; i < cs->n; i++)
        if (cs->ev[i].supported)
            sum[i] += cs->ev[i].value;
}

static int run_one_chunk(struct engine *e, size_t chunk, struct counter_set *cs,
                         FILE *rows_to, struct pass_out *po,
                         struct replay_report *r)
{
    uint64_t first = UINT64_MAX, last = 0;
    int st = ctrace_load(e->ct, chunk, r);

    if (st != REPLAY_OK)
        return st;
    if (replay_split_chunk(e) != 0)
        return fail(r, REPLAY_FAILED, "out of memory splitting a chunk");
    if (e->n > 1)
        spin_barrier_rouse(&e->start);
    if (cs)
        counters_start(cs);
    if (e->n > 1)
        spin_barrier_wait(&e->start);
    replay_run_chunk(&e->w[0]);
    if (e->n > 1)
        spin_barrier_wait(&e->done);
    if (cs) {
        counters_stop(cs);
        add_counters(cs, po->counters);
    }
    for (unsigned t = 0; t < e->n; t++) {
        if (e->w[t].t0 < first)
            first = e->w[t].t0;
        if (e->w[t].t1 > last)
            last = e->w[t].t1;
        po->busy_ns += e->w[t].t1 - e->w[t].t0;
        po->cpu_ns += e->w[t].cpu_ns;
        po->clean.nvcsw += e->w[t].clean.nvcsw;
        po->clean.nivcsw += e->w[t].clean.nivcsw;
        po->clean.wait_ns += e->w[t].clean.wait_ns;
        po->clean.window_ns += e->w[t].clean.window_ns;
        po->clean.wait_known = e->w[t].clean.wait_known;
    }
    po->time_ns += last - first;
    if (rows_to)
        write_rows(e, rows_to);
    return REPLAY_OK;
}

/* After the measured part: what the trace left live is freed, untimed. */
static uint64_t free_leaked(struct engine *e)
{
    uint64_t leaked = 0;

    for (uint32_t i = 0; i < e->n_slots; i++) {
        struct slot *s = &e->slots[i];

        if (s->state == SLOT_FREE)
            continue;
        leaked++;
        if (s->state == SLOT_LIVE)
            heap_free(e->h, s->p, s->size);
        s->state = SLOT_FREE;
    }
    return leaked;
}

static void gather(struct engine *e, struct pass_out *po)
{
    for (unsigned t = 0; t < e->n; t++) {
        struct worker *w = &e->w[t];

        for (int c = 0; c < CALL_KINDS; c++) {
            po->calls[c] += w->calls[c];
            w->calls[c] = 0;
        }
        po->writes += w->writes;
        po->skipped += w->skipped;
        po->waits += w->waits;
        w->writes = w->skipped = w->waits = 0;
    }
}

/* One replay of the whole trace on a fresh heap. CS: counters to run
 * around each chunk (measured passes); ROWS_TO: the placements CSV. */
static int run_pass(struct engine *e, enum pass_kind kind,
                    struct counter_set *cs, FILE *rows_to,
                    struct pass_out *po, struct replay_report *r)
{
    const char *limit;
    char why[512];
    int st = REPLAY_OK;

    struct heap_host_time h0, h1;

    memset(po, 0, sizeof(*po));
    heap_host_time(&h0);
    e->h = heap_create(e->backend, e->cfg, why, sizeof(why));
    if (kind == PASS_TIMED) {
        heap_host_time(&h1);
        replay_host_add(&e->setup_host, &h0, &h1);
        e->parts_passes++;
    }
    if (!e->h)
        return fail(r, REPLAY_FAILED, "cannot create the heap: %s", why);
    if (e->n > 1)
        heap_set_shared(e->h, true);
    e->kind = kind;
    for (unsigned t = 0; t < e->n; t++)
        e->w[t].since_idle = 0;    /* idle scrubbing restarts with the heap */
    memset(e->slots, 0, (size_t)e->n_slots * sizeof(*e->slots));
    if (rows_to)
        fputs(PLACEMENTS_HEADER, rows_to);
    for (size_t c = 0; c < e->ct->n_chunks && st == REPLAY_OK; c++)
        st = run_one_chunk(e, c, cs, rows_to, po, r);
    heap_stats(e->h, &po->stats);
    if ((limit = heap_map_limit_message(e->h)))
        snprintf(po->map_limit, sizeof(po->map_limit), "%s", limit);
    /* A host limit Xen does not have: no result, not a failure count. */
    if (heap_host_limit_short(e->h) && st == REPLAY_OK)
        st = fail(r, REPLAY_FAILED, "%s", limit);
    po->leaked = free_leaked(e);
    gather(e, po);
    heap_destroy(e->h);
    e->h = NULL;
    return st;
}

/* ---- the placements CSV -------------------------------------------- */

/* Decimal digits without printf: a million rows must not take seconds. */
static char *put_u64(char *b, uint64_t v)
{
    char tmp[20];
    int n = 0;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *b++ = tmp[--n];
    return b;
}

static char *put_i64(char *b, int64_t v)
{
    if (v < 0) {
        *b++ = '-';
        return put_u64(b, -(uint64_t)v);
    }
    return put_u64(b, (uint64_t)v);
}

static char *put_str(char *b, const char *s)
{
    size_t n = strlen(s);

    memcpy(b, s, n);
    return b + n;
}

static const char *path_name(enum alloc_path path)
{
    const char *name = alloc_path_name(path);

    return name ? name : "none";
}

/* The chunk's rows in trace order, whichever thread made them. */
static void write_rows(struct engine *e, FILE *f)
{
    char line[256];   /* 6 numbers of at most 20 digits, a path name */

    for (size_t i = 0; i < e->ct->n; i++) {
        struct row *p = &e->rows[i];
        char *b = line;

        if (!p->valid)
            continue;
        p->valid = false;
        b = put_u64(b, e->ct->ids[i]);
        *b++ = ',';
        b = put_u64(b, p->size);
        *b++ = ',';
        b = put_u64(b, p->align);
        *b++ = ',';
        b = put_str(b, path_name(p->where.path));
        *b++ = ',';
        b = put_u64(b, p->where.offset);
        *b++ = ',';
        b = put_i64(b, p->where.frames);
        *b++ = ',';
        b = put_u64(b, p->where.va_pages);
        *b++ = '\n';
        fwrite(line, 1, (size_t)(b - line), f);
    }
}

/* ---- summaries ------------------------------------------------------ */

static void spread_of(const double *x, unsigned n, struct spread *s)
{
    struct stats_summary sum;

    memset(s, 0, sizeof(*s));
    if (n == 0 || stats_summarize(x, n, &sum) != 0)
        return;
    *s = (struct spread){ .median = sum.median, .mean = sum.mean,
                          .min = sum.min, .max = sum.max, .mad = sum.mad,
                          .stddev = sum.sd };
}

static void summarize(const struct histogram *h, double ns_per_tick,
                      struct latency_summary *out)
{
    memset(out, 0, sizeof(*out));
    out->count = h->count;
    if (h->count == 0)
        return;
    out->mean = hist_mean(h) * ns_per_tick;
    out->p50 = hist_percentile(h, 50) * ns_per_tick;
    out->p99 = hist_percentile(h, 99) * ns_per_tick;
    out->p999 = hist_percentile(h, 99.9) * ns_per_tick;
    out->max = (double)h->max * ns_per_tick;
}

/* Every thread's histograms into the report's, then the summaries. */
static void summarize_latencies(struct engine *e, struct replay_report *r)
{
    double tick = r->timer.ns_per_tick;

    for (unsigned t = 0; t < e->n; t++)
        for (unsigned i = 0; i < CALL_KINDS * REPLAY_SIZE_CLASSES; i++)
            hist_merge(&r->hist[i], &e->w[t].hist[i]);
    for (int c = 0; c < CALL_KINDS; c++) {
        struct histogram *all = calloc(1, sizeof(*all));

        for (int k = 0; k < REPLAY_SIZE_CLASSES; k++) {
            const struct histogram *h = &r->hist[c * REPLAY_SIZE_CLASSES + k];

            summarize(h, tick, &r->by_size[c][k]);
            if (all)
                hist_merge(all, h);
        }
        if (all)
            summarize(all, tick, &r->latency[c]);
        free(all);
    }
}

/* The host's share of the timed calls (heap.h maps CALL_* to HEAP_OP_*
 * one to one: a call kind is the heap call made). */
static void part_of(struct replay_time_parts *p, const struct heap_host_work *w)
{
    p->host_ticks += w->ticks;
    for (int c = 0; c < HOST_CALL_KINDS; c++)
        p->host_calls[c] += w->calls[c];
}

static void time_parts(const struct engine *e, struct replay_report *r)
{
    static const enum heap_op op_of[CALL_KINDS] = {
        [CALL_ALLOC] = HEAP_OP_ALLOC, [CALL_FREE] = HEAP_OP_FREE,
        [CALL_REALLOC] = HEAP_OP_REALLOC,
    };

    r->parts_passes = e->parts_passes;
    for (int c = 0; c < CALL_KINDS; c++) {
        struct replay_time_parts *p = &r->time_parts[c];

        for (int k = 0; k < REPLAY_SIZE_CLASSES; k++) {
            p->calls += r->hist[c * REPLAY_SIZE_CLASSES + k].count;
            p->total_ticks += r->hist[c * REPLAY_SIZE_CLASSES + k].sum;
        }
        for (unsigned t = 0; t < e->n; t++)
            part_of(p, &e->w[t].host.op[op_of[c]]);
    }
    part_of(&r->setup_parts, &e->setup_host.op[HEAP_OP_SETUP]);
}

/* Per-event medians over the repetitions into the counter set, which
 * counters_report and counters_print then show. */
static void counter_medians(struct replay_report *r)
{
    struct counter_set *cs = &r->counters;
    double v[r->n_reps ? r->n_reps : 1];

    for (size_t i = 0; i < cs->n && r->n_reps; i++) {
        for (unsigned k = 0; k < r->n_reps; k++)
            v[k] = (double)r->reps[k].counters[i];
        cs->ev[i].value = (uint64_t)llround(stats_median(v, r->n_reps));
    }
}

/* ---- setting up ----------------------------------------------------- */

static int check_options(const struct replay_options *o, const char *backend,
                         struct replay_report *r)
{
    char why[256];

    if (!backend_find(backend))
        return fail(r, REPLAY_BAD_INPUT, "unknown backend '%s'", backend);
    if (o->threads < 1 || o->threads > REPLAY_MAX_THREADS)
        return fail(r, REPLAY_BAD_INPUT, "--threads %u: want 1 .. %u",
                    o->threads, REPLAY_MAX_THREADS);
    if (o->flush_peers > REPLAY_MAX_PEERS)
        return fail(r, REPLAY_BAD_INPUT, "--flush-peers %u: want 0 .. %u",
                    o->flush_peers, REPLAY_MAX_PEERS);
    if (o->chunk_events < 1 || o->chunk_events > UINT32_MAX)
        return fail(r, REPLAY_BAD_INPUT, "--chunk-events %zu: want 1 .. %u",
                    o->chunk_events, UINT32_MAX);
    if (o->repetitions == 0)
        return fail(r, REPLAY_BAD_INPUT, "--repetitions 0: want at least 1");
    if (strcmp(r->counters_list, "none") != 0 &&
        counters_parse(r->counters_list, &r->counters, why, sizeof(why)))
        return fail(r, REPLAY_BAD_INPUT, "--counters: %s", why);
    return REPLAY_OK;
}

static int copy_setup(const struct replay_options *o,
                      const struct heap_config *cfg, const char *backend,
                      const char *trace_path, struct replay_report *r)
{
    r->backend = strdup(backend);
    r->cfg = *cfg;
    r->opt = *o;
    r->opt.placements = NULL;
    r->opt.counters = NULL;
    r->counters_list = strdup(o->counters ? o->counters : COUNTERS_DEFAULT);
    r->trace.path = strdup(trace_path);
    if (!r->backend || !r->counters_list || !r->trace.path)
        return fail(r, REPLAY_FAILED, "out of memory");
    return check_options(o, backend, r);
}

static void resolve_auto(const struct replay_options *o, struct replay_report *r)
{
    bool is_short = r->trace.events <= SHORT_TRACE_EVENTS;

    r->warmup = o->warmup != REPLAY_AUTO ? o->warmup
                : is_short ? SHORT_WARMUP : LONG_WARMUP;
    r->repetitions = o->repetitions != REPLAY_AUTO ? o->repetitions
                     : is_short ? SHORT_REPS : LONG_REPS;
}

/* The plan, and the topology to bind by; without hwloc, nothing is bound. */
static struct topology *make_plan(const struct replay_options *o,
                                  struct replay_report *r)
{
    char why[256];
    struct topology *t = topology_load(why, sizeof(why));
    static const struct cpu_place unbound = { -1, -1, -1 };

    if (t && thread_plan_make(t, o->pin, o->threads, o->flush_peers,
                              &r->plan) == 0)
        return t;
    if (t)
        snprintf(why, sizeof(why), "out of memory");
    topology_free(t);
    memset(&r->plan, 0, sizeof(r->plan));
    r->plan.pin = PIN_NONE;
    r->plan.n_replay = o->threads;
    r->plan.replay = calloc(o->threads, sizeof(*r->plan.replay));
    for (unsigned i = 0; r->plan.replay && i < o->threads; i++)
        r->plan.replay[i] = unbound;
    note(r, "no topology (%s): threads and flush peers are not bound, "
         "and no flush peer runs", why);
    return NULL;
}

static int engine_init(struct engine *e, struct ctrace *ct,
                       const struct replay_options *o, struct replay_report *r)
{
    bool timed = o->timing != TIMING_BATCH;

    e->n_slots = r->trace.slots;
    e->slots = aligned_alloc(64, ((size_t)e->n_slots + 2) * sizeof(*e->slots));
    e->w = aligned_alloc(64, o->threads * sizeof(*e->w));
    if (e->w) {
        memset(e->w, 0, o->threads * sizeof(*e->w));
        e->n = o->threads;
    }
    r->reps = calloc(r->repetitions, sizeof(*r->reps));
    if (o->placements)
        e->rows = calloc(ct->room, sizeof(*e->rows));
    if (timed)
        r->hist = calloc(CALL_KINDS * REPLAY_SIZE_CLASSES, sizeof(*r->hist));
    if (!e->slots || !e->w || !r->reps || (o->placements && !e->rows) ||
        (timed && !r->hist))
        return -1;
    for (unsigned t = 0; t < o->threads; t++) {
        e->w[t].e = e;
        e->w[t].id = t;
        if (timed && !(e->w[t].hist = calloc(CALL_KINDS * REPLAY_SIZE_CLASSES,
                                             sizeof(struct histogram))))
            return -1;
    }
    spin_barrier_init(&e->start, o->threads);
    spin_barrier_init(&e->done, o->threads);
    return 0;
}

/* What the engine holds for itself: what "bounded memory" bounds. */
static uint64_t harness_bytes(const struct engine *e, const struct ctrace *ct)
{
    uint64_t b = ct->room * (sizeof(struct cev) + (ct->ids ? 8 : 0)) +
                 (uint64_t)e->n_slots * sizeof(struct slot);

    if (e->rows)
        b += ct->room * sizeof(struct row);
    for (unsigned t = 0; t < e->n; t++)
        b += e->w[t].own_cap * (sizeof(struct cev) + sizeof(uint32_t)) +
             (e->w[t].hist ? CALL_KINDS * REPLAY_SIZE_CLASSES *
                             sizeof(struct histogram) : 0);
    return b;
}

static void engine_fini(struct engine *e)
{
    for (unsigned t = 0; e->w && t < e->n; t++) {
        free(e->w[t].own);
        free(e->w[t].own_pos);
        free(e->w[t].hist);
    }
    free(e->w);
    free(e->slots);
    free(e->rows);
}

/* ---- the passes ----------------------------------------------------- */

static void keep_first(struct replay_report *r, const struct pass_out *po)
{
    memcpy(r->calls, po->calls, sizeof(r->calls));
    r->writes = po->writes;
    r->skipped = po->skipped;
    r->leaked = po->leaked;
    r->stats = po->stats;
    if (po->map_limit[0])
        r->map_limit = strdup(po->map_limit);
}

static void keep_rep(struct replay_report *r, unsigned k, bool batch,
                     const struct pass_out *po)
{
    struct replay_rep *rep = &r->reps[k];

    if (k == 0 && (batch || r->opt.timing == TIMING_OP))
        keep_first(r, po);
    if (batch || r->opt.timing == TIMING_OP) {
        rep->time_ns = po->time_ns;
        rep->ns_per_op = r->trace.events ? (double)po->time_ns /
                                           (double)r->trace.events : 0;
        rep->failed = po->stats.failed;
        rep->flushes = po->stats.flushes;
        rep->waits = po->waits;
        rep->cpu_share = po->busy_ns ? (double)po->cpu_ns /
                                       (double)po->busy_ns : 0;
        memcpy(rep->counters, po->counters, sizeof(rep->counters));
    }
    if (!batch)
        rep->timed_ns = po->time_ns;
}

/* For alternate.c: one measured batch pass of E's current backend. */
int replay_batch_pass(struct engine *e, bool delay, bool first,
                      struct replay_rep *rep, struct replay_report *r)
{
    struct counter_set *cs = r->counters.n ? &r->counters : NULL;
    struct pass_out po;
    int st;

    st = run_pass(e, delay ? PASS_DELAY : PASS_BATCH, cs, NULL, &po, r);
    if (st != REPLAY_OK)
        return st;
    if (first)
        keep_first(r, &po);
    *rep = (struct replay_rep){
        .time_ns = po.time_ns, .failed = po.stats.failed,
        .flushes = po.stats.flushes, .waits = po.waits,
        .ns_per_op = r->trace.events ? (double)po.time_ns /
                                       (double)r->trace.events : 0,
        .cpu_share = po.busy_ns ? (double)po.cpu_ns / (double)po.busy_ns : 0,
    };
    memcpy(rep->counters, po.counters, sizeof(rep->counters));
    rep->nvcsw = po.clean.nvcsw;
    rep->nivcsw = po.clean.nivcsw;
    rep->wait_share = clean_wait_share(&po.clean);
    rep->contaminated = clean_contaminated(&po.clean, rep->cpu_share);
    return REPLAY_OK;
}

/* A measured batch pass that lost the CPU (clean.h) is rerun, at most
 * CLEAN_RERUNS times; if every try lost it, the last is kept, flagged. */
static int clean_batch_pass(struct engine *e, struct counter_set *cs,
                            struct pass_out *po, struct replay_rep *rep,
                            struct replay_report *r)
{
    int st = REPLAY_OK;

    for (unsigned t = 0; t <= CLEAN_RERUNS && st == REPLAY_OK; t++) {
        st = run_pass(e, PASS_BATCH, cs, NULL, po, r);
        rep->nvcsw = po->clean.nvcsw;
        rep->nivcsw = po->clean.nivcsw;
        rep->wait_share = clean_wait_share(&po->clean);
        rep->contaminated = po->busy_ns &&
            clean_contaminated(&po->clean,
                               (double)po->cpu_ns / (double)po->busy_ns);
        if (!rep->contaminated)
            break;
        r->excluded++;
    }
    return st;
}

/* Warm-up, then the repetitions; placements come from the first warm-up
 * pass, or from one extra unmeasured pass when there is none. */
static int run_passes(struct engine *e, const struct replay_options *o,
                      struct replay_report *r)
{
    struct counter_set *cs = r->counters.n ? &r->counters : NULL;
    struct pass_out po;
    unsigned warm = r->warmup;
    uint64_t tlb[HTR_N] = { 0 };
    int st = REPLAY_OK;

    if (o->alternate)
        return alternate_passes(e, o->alternate, r);
    if (o->placements && warm == 0) {
        warm = 1;
        r->placements_pass = true;
    }
    for (unsigned i = 0; i < warm && st == REPLAY_OK; i++)
        st = run_pass(e, i == 0 && o->placements ? PASS_RECORD : PASS_BATCH,
                      NULL, i == 0 ? o->placements : NULL, &po, r);
    for (unsigned k = 0; k < r->repetitions && st == REPLAY_OK; k++) {
        host_tlb_start(&r->host_tlb);
        if (o->timing != TIMING_OP &&
            (st = clean_batch_pass(e, cs, &po, &r->reps[k], r)) == REPLAY_OK)
            keep_rep(r, k, true, &po);
        if (st == REPLAY_OK && o->timing != TIMING_BATCH &&
            (st = run_pass(e, PASS_TIMED, o->timing == TIMING_OP ? cs : NULL,
                           NULL, &po, r)) == REPLAY_OK)
            keep_rep(r, k, false, &po);
        host_tlb_stop(&r->host_tlb);
        for (int i = 0; i < HTR_N; i++)
            tlb[i] += r->host_tlb.count[i];
    }
    memcpy(r->host_tlb.count, tlb, sizeof(tlb));
    r->n_reps = st == REPLAY_OK ? r->repetitions : 0;
    return st;
}

static void thread_notes(const struct engine *e, struct replay_report *r)
{
    unsigned unbound = 0;

    for (unsigned i = 0; i < r->plan.n_notes; i++)
        note(r, "%s", r->plan.note[i]);
    for (unsigned t = 0; t < e->n; t++)
        unbound += e->w[t].unbound;
    if (unbound)
        note(r, "%u replay threads could not be bound as planned", unbound);
    if (r->trace.threads > e->n)
        note(r, "the trace has threads t=0 .. %u; trace thread t ran on "
             "replay thread t %% %u", r->trace.threads - 1, e->n);
    else if (r->trace.threads < e->n)
        note(r, "the trace has %u thread%s: replay threads %u .. %u had "
             "nothing to do", r->trace.threads, r->trace.threads == 1 ? "" : "s",
             r->trace.threads, e->n - 1);
    if (r->placements_pass)
        note(r, "placements were recorded in one extra unmeasured pass");
    if (r->cpu_share.median > 0 && r->cpu_share.median < CPU_SHARE_WARN)
        note(r, "replay threads had the CPU %.0f %% of the measured time: "
             "other work competed for it, so times are inflated",
             100 * r->cpu_share.median);
    if (r->excluded)
        note(r, "%u measured passes lost the CPU (clean.h) and were rerun "
             "and left out", r->excluded);
    if (r->opt.timing == TIMING_OP)
        note(r, "--timing op: ns/op includes a timer read around every call");
}

/* Peers before the counters open (their spinning is not counted), the
 * replay threads after (theirs is). */
static int measure(struct engine *e, const struct replay_options *o,
                   struct replay_report *r)
{
    char why[256] = "";
    struct flush_peers *peers = NULL;
    struct saved_binding *saved;
    unsigned created, unbound_peers;
    int st;

    /* Before the peers and the replay threads: they inherit it, and a
     * remote shootdown is counted in the thread that receives it. */
    host_tlb_open(&r->host_tlb, NULL);
    if (e->topo && o->flush_peers &&
        !(peers = flush_peers_start(e->topo, &r->plan, why, sizeof(why))))
        return fail(r, REPLAY_FAILED, "%s", why);
    if (r->counters.n)
        counters_open(&r->counters);
    saved = e->topo ? binding_save(e->topo) : NULL;
    st = replay_start_workers(e, r);
    created = e->n;
    /* x86's shootdown IPIs; Arm broadcasts its TLBIs and has no line */
    r->tlb_shootdowns = host_interrupts("TLB");
    if (st == REPLAY_OK)
        st = run_passes(e, o, r);
    if (r->tlb_shootdowns >= 0)
        r->tlb_shootdowns = host_interrupts("TLB") - r->tlb_shootdowns;
    replay_stop_workers(e, created);
    r->locks.yields = spin_yields();
    r->peer_rounds = flush_peers_stop(peers, &unbound_peers);
    host_tlb_close(&r->host_tlb);
    if (unbound_peers)
        note(r, "%u flush peers could not be bound as planned", unbound_peers);
    if (e->topo)
        binding_restore(e->topo, saved);
    return st;
}

/* The host calls are timed with the replay's clock (heap_host_clock). */
static uint64_t host_tick(void)
{
    return timer_start();
}

int replay_measure(const struct replay_options *o,
                   const struct heap_config *cfg, const char *backend,
                   const char *trace_path, struct replay_report *r)
{
    struct ctrace ct;
    struct engine e;
    int st;

    memset(r, 0, sizeof(*r));
    memset(&e, 0, sizeof(e));
    memset(&ct, 0, sizeof(ct));
    ct.fd = -1;
    st = copy_setup(o, cfg, backend, trace_path, r);
    if (st != REPLAY_OK)
        return st;
    if (ctrace_init(&ct, o->chunk_events, o->placements != NULL) != 0) {
        ctrace_fini(&ct);
        return fail(r, REPLAY_FAILED, "out of memory for %zu-event chunks",
                    o->chunk_events);
    }
    st = replay_decode(&ct, trace_path, o->threads, r);
    if (st == REPLAY_OK) {
        resolve_auto(o, r);
        timer_init(o->timer, &r->timer);
        heap_host_clock(host_tick);
        e.backend = backend;
        e.cfg = cfg;
        e.page = cfg->page_size;
        e.ct = &ct;
        e.overhead = r->timer.overhead_ticks;
        e.topo = make_plan(o, r);
        e.plan = &r->plan;
        if (!r->plan.replay || engine_init(&e, &ct, o, r) != 0)
            st = fail(r, REPLAY_FAILED, "out of memory for the replayer");
    }
    if (st == REPLAY_OK)
        st = measure(&e, o, r);
    if (st == REPLAY_OK) {
        double v[r->n_reps ? r->n_reps : 1];
        unsigned n = 0;

        for (unsigned k = 0; k < r->n_reps; k++)   /* clean.h: only these */
            if (!r->reps[k].contaminated)
                v[n++] = r->reps[k].ns_per_op;
        if (n == 0 && r->n_reps) {   /* none clean: all, and a note says */
            for (unsigned k = 0; k < r->n_reps; k++)
                v[k] = r->reps[k].ns_per_op;
            n = r->n_reps;
            note(r, "no repetition had the CPU to itself: ns/op is the "
                 "median of inflated times");
        }
        spread_of(v, n, &r->ns_per_op);
        for (unsigned k = 0; k < r->n_reps; k++)
            v[k] = r->reps[k].cpu_share;
        spread_of(v, r->n_reps, &r->cpu_share);
        if (r->hist) {
            r->latencies = true;
            summarize_latencies(&e, r);
            time_parts(&e, r);
        }
        counter_medians(r);
        thread_notes(&e, r);
        r->harness_bytes = harness_bytes(&e, &ct);
        r->vm_hwm_bytes = host_status_bytes("VmHWM");
        r->vm_rss_bytes = host_status_bytes("VmRSS");
    }
    topology_free(e.topo);
    engine_fini(&e);
    ctrace_fini(&ct);
    return st;
}

void replay_report_free(struct replay_report *r)
{
    free(r->backend);
    free(r->counters_list);
    free(r->trace.path);
    free(r->map_limit);
    free(r->reps);
    free(r->hist);
    thread_plan_free(&r->plan);
    counters_free(&r->counters);
    memset(r, 0, sizeof(*r));
}
