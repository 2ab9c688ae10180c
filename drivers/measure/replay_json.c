/* The result of one replay: the --json object (CONTRACT keys, then the
 * rest) and the short human summary. */
#include "drivers/measure/replay.h"
#include "drivers/measure/alternate.h"

#include <inttypes.h>
#include <math.h>

#include "drivers/measure/knobs.h"
#include "drivers/measure/machine.h"

#define RULE "-----------------------------------------------------------" \
             "-------------------\n"

/* JSON integers are signed 64-bit; no counter gets near the limit. */
static json_t *jint(uint64_t v)
{
    return json_integer((json_int_t)v);
}

/* Nanoseconds to 0.1 ns: finer is below any timer's resolution. */
static json_t *jns(double ns)
{
    return json_real(round(ns * 10) / 10);
}

static json_t *latency_json(const struct latency_summary *l)
{
    if (l->count == 0)   /* no samples: null, not a misleading 0 */
        return json_pack("{s:I, s:n, s:n, s:n, s:n, s:n}", "count",
                         (json_int_t)0, "mean", "p50", "p99", "p999", "max");
    return json_pack("{s:I, s:o, s:o, s:o, s:o, s:o}",
                     "count", (json_int_t)l->count, "mean", jns(l->mean),
                     "p50", jns(l->p50), "p99", jns(l->p99),
                     "p999", jns(l->p999), "max", jns(l->max));
}

/* (peak_frames * PAGE_SIZE) / peak_live_bytes - 1; null when unknowable:
 * nothing was live, or a system baseline that manages no frames. */
static json_t *waste_ratio(const struct heap_stats *st, size_t page)
{
    if (st->peak_live_bytes == 0 || st->frames_total == 0)
        return json_null();
    return json_real((double)st->peak_frames * (double)page /
                     (double)st->peak_live_bytes - 1.0);
}

static json_t *largest_free_order(const struct heap_stats *st)
{
    return st->largest_free_order == UINT64_MAX ? json_null()
                                                : jint(st->largest_free_order);
}

static json_t *stats_json(const struct heap_stats *st)
{
    json_t *o = json_object();

#define FIELD(name) json_object_set_new(o, #name, jint(st->name))
    FIELD(allocs); FIELD(frees); FIELD(reallocs); FIELD(failed);
    FIELD(live_bytes); FIELD(peak_live_bytes);
    FIELD(frames_total); FIELD(frames_in_use); FIELD(peak_frames);
    FIELD(overhead_frames); FIELD(va_pages_in_use); FIELD(peak_va_pages);
    FIELD(map_calls); FIELD(unmap_calls); FIELD(flushes); FIELD(map_failures);
    FIELD(scrubbed_pages); FIELD(pool_regions); FIELD(pool_used_bytes);
    FIELD(xenheap_free_frames); FIELD(domheap_free_frames);
    FIELD(pt_frames_allocated); FIELD(pt_frames_freed);
#undef FIELD
    json_object_set_new(o, "largest_free_order", largest_free_order(st));
    return o;
}

/* The run's configuration: the knobs under the names every config uses
 * (knobs.h), then the measurement's own. */
static json_t *config_json(const struct replay_report *r)
{
    const struct replay_options *o = &r->opt;
    json_t *counters = json_array(), *c;

    for (size_t i = 0; i < r->counters.n; i++)
        json_array_append_new(counters, json_string(r->counters.ev[i].name));
    c = json_pack("{s:s, s:s}", "backend", r->backend,
                  "trace", r->trace.path);
    knobs_json(c, &r->cfg, KNOB_N);
    json_object_update_new(c, json_pack(
        "{s:I, s:s, s:I, s:o, s:I, s:I, s:I, s:s, s:s, s:I}",
        "seed", (json_int_t)o->seed,
        "pin", pin_mode_name(o->pin),
        "threads", (json_int_t)o->threads,
        "counters", counters,
        "warmup", (json_int_t)r->warmup,
        "repetitions", (json_int_t)r->repetitions,
        "flush_peers", (json_int_t)o->flush_peers,
        "timing", replay_timing_name(o->timing),
        "timer", timer_choice_name(o->timer),
        "chunk_events", (json_int_t)o->chunk_events));
    return c;
}

static json_t *notes_json(const struct replay_report *r)
{
    json_t *notes = json_array();

    for (unsigned i = 0; i < r->n_notes; i++)
        json_array_append_new(notes, json_string(r->notes[i]));
    return notes;
}


/* Xen's mapping work by the rules of the run's architecture (pagetable.h):
 * flushes and their IPIs to the other online CPUs of the modelled
 * machine, entries written, page-table frames; the calls are the host's. */
static json_t *mapping_json(const struct replay_report *r)
{
    const struct heap_stats *st = &r->stats;

    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
                     "s:{s:I, s:I}, s:I, s:s, s:s, s:I}",
                     "map_calls", (json_int_t)st->map_calls,
                     "unmap_calls", (json_int_t)st->unmap_calls,
                     "protect_calls", (json_int_t)st->protect_calls,
                     "flushes", (json_int_t)st->flushes,
                     "full_flushes", (json_int_t)st->full_flushes,
                     "flush_ipis", (json_int_t)st->flush_ipis,
                     "tlbi", (json_int_t)st->tlbi,
                     "pte_writes", (json_int_t)st->pte_writes,
                     "pt_frames", "allocated",
                     (json_int_t)st->pt_frames_allocated,
                     "freed", (json_int_t)st->pt_frames_freed,
                     "cache_flushes", (json_int_t)st->cache_flushes,
                     "arch", xen_arch_name(r->cfg.arch),
                     "rules", flush_policy_name(r->cfg.flush),
                     "cpus", (json_int_t)r->cfg.cpus);
}

static json_t *host_calls_json(const struct replay_time_parts *p)
{
    json_t *o = json_object();

    for (int c = 0; c < HOST_CALL_KINDS; c++)
        json_object_set_new(o, host_call_name(c), jint(p->host_calls[c]));
    return o;
}

/* Time in parts, over the timed passes: each call kind's timed time, the
 * host mapping calls' within it, and the rest (the model's own code, the
 * page-table walks and entry writes included). Rounded once each, so
 * host_ns + model_ns == total_ns exactly; model_ns may come out a little
 * negative where host calls fill a call and the timer's own cost taken
 * off each call is more than what was left. setup: heap_create's host
 * calls, outside every timed call. */
static json_t *time_parts_json(const struct replay_report *r)
{
    double tick = r->timer.ns_per_tick;
    json_t *o;

    if (!r->parts_passes)
        return json_null();
    o = json_pack("{s:I}", "passes", (json_int_t)r->parts_passes);
    for (int c = 0; c < CALL_KINDS; c++) {
        const struct replay_time_parts *p = &r->time_parts[c];
        int64_t total = llround((double)p->total_ticks * tick);
        int64_t host = llround((double)p->host_ticks * tick);

        json_object_set_new(o, replay_call_name(c), json_pack(
            "{s:I, s:I, s:I, s:I, s:o}", "calls", (json_int_t)p->calls,
            "total_ns", (json_int_t)total, "host_ns", (json_int_t)host,
            "model_ns", (json_int_t)(total - host),
            "host_calls", host_calls_json(p)));
    }
    json_object_set_new(o, "setup", json_pack("{s:I, s:o}", "host_ns",
        (json_int_t)llround((double)r->setup_parts.host_ticks * tick),
        "host_calls", host_calls_json(&r->setup_parts)));
    return o;
}

static json_t *contract_part(const struct replay_report *r)
{
    const struct heap_stats *st = &r->stats;
    const struct latency_summary *l = r->latency;

    return json_pack(
        "{s:s, s:I, s:I,"
        " s:{s:I, s:I, s:I, s:I},"
        " s:{s:o, s:o, s:o},"
        " s:{s:I, s:I, s:I, s:o},"
        " s:o}",
        "backend", r->backend,
        "page_size", (json_int_t)r->cfg.page_size,
        "threads", (json_int_t)r->opt.threads,
        "ops", "alloc", (json_int_t)r->calls[CALL_ALLOC],
               "free", (json_int_t)r->calls[CALL_FREE],
               "realloc", (json_int_t)r->calls[CALL_REALLOC],
               "failed", (json_int_t)st->failed,
        "latency_ns", "alloc", latency_json(&l[CALL_ALLOC]),
                      "free", latency_json(&l[CALL_FREE]),
                      "realloc", latency_json(&l[CALL_REALLOC]),
        "memory", "peak_live_bytes", (json_int_t)st->peak_live_bytes,
                  "peak_frames", (json_int_t)st->peak_frames,
                  "peak_va_pages", (json_int_t)st->peak_va_pages,
                  "waste_ratio", waste_ratio(st, r->cfg.page_size),
        "mapping", mapping_json(r));
}

static json_t *spread_json(const struct spread *s)
{
    return json_pack("{s:f, s:f, s:f, s:f, s:f, s:f}", "median", s->median,
                     "mean", s->mean, "min", s->min, "max", s->max,
                     "mad", s->mad, "stddev", s->stddev);
}

static json_t *rep_counters(const struct replay_report *r,
                            const struct replay_rep *rep)
{
    json_t *o = json_object();

    for (size_t i = 0; i < r->counters.n; i++)
        json_object_set_new(o, r->counters.ev[i].name,
                            r->counters.ev[i].supported ?
                            jint(rep->counters[i]) : json_null());
    return o;
}

/* Per repetition, for confidence intervals computed elsewhere. */
static json_t *reps_json(const struct replay_report *r)
{
    json_t *a = json_array();

    for (unsigned k = 0; k < r->n_reps; k++) {
        const struct replay_rep *rep = &r->reps[k];

        json_array_append_new(a, json_pack(
            "{s:f, s:I, s:f, s:o, s:I, s:I, s:I, s:o}",
            "ns_per_op", rep->ns_per_op, "time_ns", (json_int_t)rep->time_ns,
            "cpu_share", rep->cpu_share,
            "timed_pass_ns", rep->timed_ns ? jint(rep->timed_ns) : json_null(),
            "failed", (json_int_t)rep->failed,
            "flushes", (json_int_t)rep->flushes,
            "waits", (json_int_t)rep->waits,
            "counters", rep_counters(r, rep)));
        json_object_set_new(json_array_get(a, k), "contaminated",
                            json_boolean(rep->contaminated));
        json_object_set_new(json_array_get(a, k), "involuntary_switches",
                            jint(rep->nivcsw));
        json_object_set_new(json_array_get(a, k), "run_queue_share",
                            rep->wait_share >= 0 ? json_real(rep->wait_share)
                                                 : json_null());
    }
    return a;
}

static json_t *by_size_json(const struct replay_report *r, int c)
{
    json_t *a = json_array();

    for (int k = 0; k < REPLAY_SIZE_CLASSES; k++) {
        const struct latency_summary *l = &r->by_size[c][k];
        json_t *o;

        if (l->count == 0)
            continue;
        o = latency_json(l);
        json_object_set_new(o, "size_log2", json_integer(k));
        json_object_set_new(o, "min_size", jint(k ? 1ull << k : 0));
        json_object_set_new(o, "max_size", jint((2ull << k) - 1));
        json_array_append_new(a, o);
    }
    return a;
}

/* Sparse [[bucket middle in ns, count], ...] of each call kind, all size
 * classes merged: enough to merge runs or redraw a distribution. */
static json_t *histogram_json(const struct replay_report *r, int c)
{
    json_t *a = json_array();

    for (unsigned i = 0; i < HIST_BUCKETS; i++) {
        uint64_t n = 0;

        for (int k = 0; k < REPLAY_SIZE_CLASSES; k++)
            n += r->hist[c * REPLAY_SIZE_CLASSES + k].bucket[i];
        if (n)
            json_array_append_new(a, json_pack("[f, I]",
                hist_bucket_mid(i) * r->timer.ns_per_tick, (json_int_t)n));
    }
    return a;
}

static json_t *latency_extras(const struct replay_report *r, const char *what)
{
    json_t *o = json_object();

    for (int c = 0; c < CALL_KINDS; c++)
        json_object_set_new(o, replay_call_name(c), !r->latencies ? json_null()
                            : what[0] == 's' ? by_size_json(r, c)
                                             : histogram_json(r, c));
    return o;
}

static json_t *place_json(const struct cpu_place *p, unsigned i)
{
    if (p->pu < 0)
        return json_pack("{s:I, s:n, s:n, s:n}", "thread", (json_int_t)i,
                         "pu", "core", "package");
    return json_pack("{s:I, s:i, s:i, s:i}", "thread", (json_int_t)i,
                     "pu", p->pu, "core", p->core, "package", p->package);
}

static json_t *topology_json(const struct replay_report *r)
{
    const struct thread_plan *p = &r->plan;
    json_t *threads = json_array(), *peers = json_array();

    for (unsigned i = 0; i < p->n_replay; i++)
        json_array_append_new(threads, place_json(&p->replay[i], i));
    for (unsigned i = 0; i < p->n_peers; i++)
        json_array_append_new(peers, place_json(&p->peers[i], i));
    return json_pack("{s:I, s:I, s:I, s:s, s:o, s:o, s:I}",
                     "packages", (json_int_t)p->packages,
                     "cores", (json_int_t)p->cores,
                     "pus", (json_int_t)p->pus,
                     "pin", pin_mode_name(p->pin),
                     "threads", threads,
                     "flush_peers", peers,
                     "peer_rounds", (json_int_t)r->peer_rounds);
}

static json_t *timer_json(const struct timer_calibration *t)
{
    return json_pack("{s:s, s:b, s:f, s:f, s:f, s:b, s:s}",
                     "source", t->tsc ? "tsc" : "clock_gettime",
                     "tsc_invariant", t->tsc_invariant,
                     "ns_per_tick", t->ns_per_tick,
                     "overhead_ns", t->overhead_ns,
                     "resolution_ns", t->resolution_ns,
                     "overhead_subtracted", 1,
                     "why_not_tsc", t->why_not_tsc);
}

static json_t *decode_json(const struct replay_trace_info *t)
{
    double s = (double)t->decode_ns / 1e9;

    return json_pack("{s:I, s:f, s:I, s:I, s:b}",
                     "ns", (json_int_t)t->decode_ns,
                     "events_per_s", s > 0 ? (double)t->events / s : 0.0,
                     "chunk_events", (json_int_t)t->chunk_events,
                     "chunks", (json_int_t)t->chunks,
                     "spooled", t->spooled);
}

static void set(json_t *root, const char *key, json_t *v)
{
    json_object_set_new(root, key, v);
}

json_t *replay_json(const struct replay_report *r)
{
    const struct heap_stats *st = &r->stats;
    const struct replay_trace_info *t = &r->trace;
    struct machine_info m;
    json_t *root = contract_part(r);

    if (!root)
        return NULL;
    machine_probe(&m);
    counters_report(&r->counters, root);
    set(root, "counters_aggregate", json_string(
        "median over the measured repetitions; each summed over threads "
        "and chunks"));
    set(root, "machine", machine_json(&m));
    set(root, "config", config_json(r));
    set(root, "topology", topology_json(r));
    set(root, "locks", json_pack("{s:b, s:I}",
        "oversubscribed", r->locks.oversubscribed,
        "yields", (json_int_t)r->locks.yields));
    set(root, "trace", json_pack(
        "{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "path", t->path,
        "events", (json_int_t)t->events, "alloc", (json_int_t)t->n_alloc,
        "free", (json_int_t)t->n_free, "realloc", (json_int_t)t->n_realloc,
        "write", (json_int_t)t->n_write, "threads", (json_int_t)t->threads,
        "slots", (json_int_t)t->slots));
    set(root, "decode", decode_json(t));
    set(root, "events", jint(t->events));
    set(root, "writes", jint(r->writes));
    set(root, "warmup", jint(r->warmup));
    set(root, "time_ns_total", jint((uint64_t)llround(r->ns_per_op.median *
                                                      (double)t->events)));
    set(root, "ns_per_op", r->n_reps && t->events ?
                           json_real(r->ns_per_op.median) : json_null());
    set(root, "batch", json_pack("{s:o, s:o, s:I, s:s}",
        "ns_per_op", spread_json(&r->ns_per_op),
        "cpu_share", spread_json(&r->cpu_share),
        "repetitions", (json_int_t)r->n_reps,
        "timing", replay_timing_name(r->opt.timing)));
    set(root, "repetitions", reps_json(r));
    set(root, "excluded_repetitions", jint(r->excluded));   /* clean.h */
    if (r->opt.alternate)
        set(root, "alternation", alternate_json(r->opt.alternate));
    set(root, "latency_by_size_ns", latency_extras(r, "size"));
    set(root, "latency_histogram_ns", latency_extras(r, "hist"));
    set(root, "time_parts", time_parts_json(r));
    set(root, "timer", timer_json(&r->timer));
    set(root, "timer_overhead_ns", json_real(r->timer.overhead_ns));
    {
        json_t *why = NULL;

        set(root, "host_tlb_flushes", host_tlb_json(&r->host_tlb, &why));
        set(root, "host_tlb_flushes_why", why ? why : json_null());
    }
    set(root, "tlb_shootdown_irqs", r->tlb_shootdowns < 0 ? json_null() :
        jint((uint64_t)r->tlb_shootdowns));
    set(root, "process", json_pack("{s:I, s:I, s:I}",
        "vm_hwm_bytes", (json_int_t)r->vm_hwm_bytes,
        "vm_rss_bytes", (json_int_t)r->vm_rss_bytes,
        "harness_bytes", (json_int_t)r->harness_bytes));
    set(root, "skipped", jint(r->skipped));
    set(root, "leaked_by_trace", jint(r->leaked));
    set(root, "scrubbed_pages", jint(st->scrubbed_pages));
    set(root, "overhead_frames", jint(st->overhead_frames));
    set(root, "map_failures", jint(st->map_failures));
    set(root, "largest_free_order", largest_free_order(st));
    set(root, "map_limit", r->map_limit ? json_string(r->map_limit)
                                        : json_null());
    set(root, "notes", notes_json(r));
    set(root, "stats", stats_json(st));
    return root;
}

/* ---- the human summary ---------------------------------------------- */

/* A duration with a unit that keeps it short. */
static const char *dur(char *buf, size_t len, double ns)
{
    if (ns < 1e4)
        snprintf(buf, len, "%.1f ns", ns);
    else if (ns < 1e7)
        snprintf(buf, len, "%.2f us", ns / 1e3);
    else
        snprintf(buf, len, "%.2f ms", ns / 1e6);
    return buf;
}

static const char *bytes(char *buf, size_t len, double b)
{
    static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
    int u = 0;

    while (b >= 1024 && u < 4) {
        b /= 1024;
        u++;
    }
    snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", b, unit[u]);
    return buf;
}

static void latency_row(FILE *f, const char *name,
                        const struct latency_summary *l)
{
    char a[5][24];

    if (l->count == 0) {
        fprintf(f, "%-12s %9d\n", name, 0);
        return;
    }
    fprintf(f, "%-12s %9" PRIu64 " %10s %10s %10s %10s %10s\n", name,
            l->count, dur(a[0], 24, l->mean), dur(a[1], 24, l->p50),
            dur(a[2], 24, l->p99), dur(a[3], 24, l->p999),
            dur(a[4], 24, l->max));
}

static const char *class_name(char *buf, size_t len, int k)
{
    static const char unit[] = " KMGT";
    uint64_t lo = k ? 1ull << k : 0, hi = 2ull << k;
    int u = 0;

    while (k >= 10 && lo % 1024 == 0 && hi % 1024 == 0 && u < 4) {
        lo /= 1024;
        hi /= 1024;
        u++;
        k -= 10;
    }
    if (u)
        snprintf(buf, len, "[%" PRIu64 "%c,%" PRIu64 "%c)", lo, unit[u], hi,
                 unit[u]);
    else
        snprintf(buf, len, "[%" PRIu64 ",%" PRIu64 ")", lo, hi);
    return buf;
}

static void latency_table(const struct replay_report *r, FILE *f,
                          bool by_size)
{
    char name[64], cls[48];   /* two 20-digit numbers and punctuation */

    fputs(RULE, f);
    fprintf(f, "%-12s %9s %10s %10s %10s %10s %10s\n", "call", "count",
            "mean", "p50", "p99", "p99.9", "max");
    fputs(RULE, f);
    for (int c = 0; c < CALL_KINDS; c++) {
        latency_row(f, replay_call_name(c), &r->latency[c]);
        for (int k = 0; by_size && k < REPLAY_SIZE_CLASSES; k++) {
            if (r->by_size[c][k].count == 0)
                continue;
            snprintf(name, sizeof(name), "  %s", class_name(cls, sizeof(cls), k));
            latency_row(f, name, &r->by_size[c][k]);
        }
    }
    fputs(RULE, f);
}

static void print_head(const struct replay_report *r, FILE *f)
{
    const struct replay_trace_info *t = &r->trace;
    const struct timer_calibration *tm = &r->timer;

    fprintf(f, "replay     %s, page size %zu, trace %s: %" PRIu64
            " events (%" PRIu64 " a, %" PRIu64 " f, %" PRIu64 " r, %" PRIu64
            " w)\n", r->backend, r->cfg.page_size, t->path, t->events,
            t->n_alloc, t->n_free, t->n_realloc, t->n_write);
    fprintf(f, "threads    %u (pin %s), %u flush peer%s; the trace has %u\n",
            r->opt.threads, pin_mode_name(r->plan.pin), r->opt.flush_peers,
            r->opt.flush_peers == 1 ? "" : "s", t->threads);
    if (r->locks.oversubscribed)
        fprintf(f, "locks      more replay threads than CPUs: lock waiters "
                "yielded %" PRIu64 " times (Xen's never do)\n", r->locks.yields);
    if (r->opt.threads > 1 && r->n_reps)
        fprintf(f, "waits      %" PRIu64 " events waited for another thread's "
                "event on their block\n", r->reps[0].waits);
    fprintf(f, "runs       %u warm-up + %u repetitions, each on a fresh heap; "
            "timing %s\n", r->warmup, r->n_reps,
            replay_timing_name(r->opt.timing));
    if (tm->tsc)
        fprintf(f, "timer      TSC %.3f ns/tick, resolution %.1f ns, "
                "overhead %.1f ns subtracted\n", tm->ns_per_tick,
                tm->resolution_ns, tm->overhead_ns);
    else
        fprintf(f, "timer      clock_gettime, resolution %.1f ns, overhead "
                "%.1f ns subtracted\n", tm->resolution_ns, tm->overhead_ns);
}

static void print_batch(const struct replay_report *r, FILE *f)
{
    const struct spread *s = &r->ns_per_op;

    if (r->n_reps == 0 || r->trace.events == 0) {
        fprintf(f, "batch      no events\n");
        return;
    }
    fprintf(f, "batch      %.2f ns/op, median of %u (MAD %.2f, min %.2f, "
            "max %.2f)\n", s->median, r->n_reps, s->mad, s->min, s->max);
}

/* Per call kind with host calls: the host's share of the timed time. */
static void print_time_parts(const struct replay_report *r, FILE *f)
{
    double tick = r->timer.ns_per_tick;

    for (int c = 0; c < CALL_KINDS && r->parts_passes; c++) {
        const struct replay_time_parts *p = &r->time_parts[c];

        if (!p->calls || !p->host_ticks)
            continue;
        fprintf(f, "host time  %-7s %.0f ns/call: host calls %.0f, model's "
                "own code %.0f\n", replay_call_name(c),
                (double)p->total_ticks * tick / (double)p->calls,
                (double)p->host_ticks * tick / (double)p->calls,
                ((double)p->total_ticks - (double)p->host_ticks) * tick /
                (double)p->calls);
    }
}

static void print_memory(const struct replay_report *r, FILE *f)
{
    const struct heap_stats *st = &r->stats;
    char a[32], b[32];

    if (st->frames_total == 0)
        fprintf(f, "memory     peak live %" PRIu64 " B; frames not known for a "
                "system baseline\n", st->peak_live_bytes);
    else if (st->peak_live_bytes == 0)
        fprintf(f, "memory     peak frames %" PRIu64 ", peak VA pages %" PRIu64
                ", nothing live\n", st->peak_frames, st->peak_va_pages);
    else
        fprintf(f, "memory     peak live %" PRIu64 " B, frames %" PRIu64
                ", VA pages %" PRIu64 ", waste ratio %.3f\n",
                st->peak_live_bytes, st->peak_frames, st->peak_va_pages,
                (double)st->peak_frames * (double)r->cfg.page_size /
                (double)st->peak_live_bytes - 1.0);
    fprintf(f, "flushes    %" PRIu64 " by Xen's rules (%" PRIu64 " full), %"
            PRIu64 " IPIs at %u CPUs\n", st->flushes, st->full_flushes,
            st->flush_ipis, r->cfg.cpus);
    fprintf(f, "tables     %" PRIu64 " entries written, %" PRIu64 " table "
            "frames taken, %" PRIu64 " given back\n", st->pte_writes,
            st->pt_frames_allocated, st->pt_frames_freed);
    fprintf(f, "mapping    %" PRIu64 " map calls, %" PRIu64 " unmap calls, %"
            PRIu64 " flushes", st->map_calls, st->unmap_calls, st->flushes);
    if (r->tlb_shootdowns >= 0)
        fprintf(f, "; %" PRId64 " TLB IPIs in all passes",
                r->tlb_shootdowns);
    fputc('\n', f);
    print_time_parts(r, f);
    fprintf(f, "decode     %.1f M events/s; %zu chunk%s of up to %zu events%s\n",
            r->trace.decode_ns ? (double)r->trace.events * 1e3 /
                                 (double)r->trace.decode_ns : 0.0,
            r->trace.chunks, r->trace.chunks == 1 ? "" : "s",
            r->trace.chunk_events, r->trace.spooled ? ", spooled" : "");
    fprintf(f, "process    VmHWM %s (heap under test included), engine %s\n", bytes(a, sizeof(a), (double)r->vm_hwm_bytes),
            bytes(b, sizeof(b), (double)r->harness_bytes));
}

void replay_print(const struct replay_report *r, FILE *f, bool by_size)
{
    const struct heap_stats *st = &r->stats;

    print_head(r, f);
    if (r->latencies)
        latency_table(r, f, by_size);
    print_batch(r, f);
    fprintf(f, "failed     %" PRIu64 " allocations (%" PRIu64
            " f/w on failed ids skipped)\n", st->failed, r->skipped);
    print_memory(r, f);
    fprintf(f, "leaked     %" PRIu64 " ids left live by the trace "
            "(freed after the measurement)\n", r->leaked);
    counters_print(&r->counters, f);
    for (unsigned i = 0; i < r->n_notes; i++)
        fprintf(f, "note       %s\n", r->notes[i]);
    if (r->map_limit)
        fprintf(f, "warning    %s\n", r->map_limit);
}
