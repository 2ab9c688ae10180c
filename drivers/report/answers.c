/*
 * From runs to answers. A run (docs/results.md, run_json.h) carries the
 * point's coordinates (backend, page size, threads, flush peers, sweep
 * values, workload, model), its samples (one value per repetition) and
 * its metrics, collected here from each child's JSON. Each experiment gets
 * one answer line, the number a reviewer would ask for, with its 95%
 * interval; the figures are figures.c's.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drivers/report/answers.h"
#include "backends/heap.h"
#include "drivers/report/figures.h"
#include "drivers/report/priced.h"
#include "drivers/report/report.h"
#include "drivers/report/run_json.h"
#include "workloads/gen.h"

#define MAX_ORDERS   64
#define MAX_ROUNDS   1024   /* aging probe rounds kept for q4_fragmentation */
#define MIB          (1024.0 * 1024.0)
/* Fewer clean repetitions a side than this and an answer has no interval
 * worth printing: it says it is unreliable on this machine instead. Five
 * is the fewest the issue allows; a median's exact 95% interval needs 6,
 * which the suite's alternated points get (rounds.h). */
#define ANSWER_MIN_CLEAN 5
/* An answer's text, at most: q6-threshold's lists every backend and size
 * with its paired ratio (8 of them in bench.toml), and the caveat of
 * emulated pages. */
#define ANSWER_TEXT_MAX  1400

/* Whether the run's machine is virtual (answers_machine). */
static bool on_virtual_machine;

/* The instrument's resolution (answers_resolution), for the answers. */
static json_t *the_resolution;

/* ---- reading what a child wrote ---- */

static void put_metric(json_t *m, const char *name, double v)
{
    json_object_set_new(m, name, isnan(v) ? json_null() : json_real(v));
}

/* One other side of an alternated run (alternate.h): its model, its
 * paired difference and ratio against the run's own side, and how many
 * rounds were left out. */
static json_t *alternated_side(const json_t *alt, const json_t *side)
{
    const json_t *d = json_object_get(side, "difference");
    const json_t *q = json_object_get(side, "ratio");

    return json_pack("{s:O, s:O?, s:O?, s:O, s:O, s:O, s:O, s:O, s:O, s:O, "
                     "s:O, s:O?, s:O?, s:O?}",
                     "against", json_object_get(side, "backend"),
                     "side", json_object_get(side, "side"),
                     "config", json_object_get(side, "config"),
                     "estimate", json_object_get(d, "estimate"),
                     "ci_low", json_object_get(d, "ci_low"),
                     "ci_high", json_object_get(d, "ci_high"),
                     "level", json_object_get(d, "level"),
                     "n", json_object_get(d, "n"),
                     "excluded", json_object_get(alt, "rounds_excluded"),
                     "target_reached", json_object_get(alt, "target_reached"),
                     "against_median", json_object_get(side, "median"),
                     "ratio", json_object_get(q, "estimate"),
                     "ratio_ci_low", json_object_get(q, "ci_low"),
                     "ratio_ci_high", json_object_get(q, "ci_high"));
}

/* An alternated run: "alternation" is its first other side (Q1's
 * xvmalloc), "alternation_sides" every other side (Q6's 16K and 64K). */
static void collect_alternation(json_t *metrics, const json_t *alt)
{
    const json_t *side;
    json_t *all = json_array(), *one;
    size_t i;

    if (!json_is_object(alt)) {
        json_decref(all);
        return;
    }
    json_array_foreach(json_object_get(alt, "sides"), i, side)
        if (i > 0 && json_object_get(side, "difference") &&
            (one = alternated_side(alt, side)))
            json_array_append_new(all, one);
    if (json_array_size(all))
        json_object_set_new(metrics, "alternation",
                            json_deep_copy(json_array_get(all, 0)));
    json_object_set_new(metrics, "alternation_sides", all);
}

static void collect_replay(json_t *run, const json_t *j)
{
    static const struct { const char *name, *path; } keep[] = {
        { "waste_ratio", "memory.waste_ratio" },
        { "peak_live_bytes", "memory.peak_live_bytes" },
        { "peak_frames", "memory.peak_frames" },
        { "peak_va_pages", "memory.peak_va_pages" },
        { "failed", "ops.failed" }, { "allocs", "ops.alloc" },
        { "frees", "ops.free" }, { "reallocs", "ops.realloc" },
        { "map_calls", "mapping.map_calls" },
        { "unmap_calls", "mapping.unmap_calls" },
        { "flushes", "mapping.flushes" },
        { "largest_free_order", "largest_free_order" },
        { "events", "events" }, { "ns_per_op", "ns_per_op" },
        { "alloc_p50_ns", "latency_ns.alloc.p50" },
        { "alloc_p99_ns", "latency_ns.alloc.p99" },
        { "free_p50_ns", "latency_ns.free.p50" },
        { "free_p99_ns", "latency_ns.free.p99" },
    };
    json_t *samples = json_object(), *ns = json_array(), *metrics = json_object();
    json_t *reps = json_object_get(j, "repetitions"), *rep;
    json_t *diff = json_array();
    size_t i;

    /* A repetition that lost the CPU (clean.h) is no sample. An alternated
     * point's repetitions are its processes, each with its median paired
     * difference (rounds.c): the samples compare tests for a change of
     * the difference itself (docs/compare.md). */
    json_array_foreach(reps, i, rep)
        if (json_is_number(json_object_get(rep, "ns_per_op")) &&
            !json_is_true(json_object_get(rep, "contaminated"))) {
            json_array_append(ns, json_object_get(rep, "ns_per_op"));
            if (json_is_number(json_object_get(rep, "difference_ns")))
                json_array_append(diff, json_object_get(rep,
                                                        "difference_ns"));
        }
    json_object_set_new(samples, "ns_per_op", ns);
    if (json_array_size(diff))
        json_object_set_new(samples, "paired_diff_ns", diff);
    else
        json_decref(diff);
    for (i = 0; i < sizeof keep / sizeof keep[0]; i++)
        put_metric(metrics, keep[i].name, jpath(j, keep[i].path));
    put_metric(metrics, "excluded", jpath(j, "excluded_repetitions"));
    /* Only where the locks could yield: more threads than CPUs. */
    put_metric(metrics, "lock_yields", json_is_true(json_object_get(
        json_object_get(j, "locks"), "oversubscribed"))
        ? jpath(j, "locks.yields") : NAN);
    collect_alternation(metrics, json_object_get(j, "alternation"));
    json_object_set(metrics, "counters", json_object_get(j, "counters"));
    json_object_set_new(run, "samples", samples);
    json_object_set_new(run, "metrics", metrics);
    /* Each sample a process of its own where the suite spread the point
     * over processes (rounds.h: "processes" in the combined JSON); else
     * every repetition came from one process. compare tests only the
     * first kind (docs/compare.md). */
    json_object_set_new(run, "sample_unit", json_string(
        json_object_get(j, "processes") ||
        json_object_get(json_object_get(j, "alternation"), "processes")
            ? "process" : "repetition"));
}

static void collect_access(json_t *run, const json_t *j)
{
    json_t *r = json_array_get(json_object_get(j, "runs"), 0);
    json_t *metrics = json_object();

    put_metric(metrics, "ns_per_access", jpath(r, "ns_per_access"));
    put_metric(metrics, "ns_per_access_min", jpath(r, "ns_per_access_min"));
    put_metric(metrics, "ns_per_access_max", jpath(r, "ns_per_access_max"));
    put_metric(metrics, "dtlb_misses_per_access",
               jpath(r, "dtlb_misses_per_access"));
    put_metric(metrics, "failed", jpath(r, "failed"));
    put_metric(metrics, "pmd_mapped_bytes", jpath(r, "pmd_mapped_bytes"));
    json_object_set(metrics, "region", json_object_get(r, "region"));
    json_object_set(metrics, "huge", json_object_get(r, "huge"));
    json_object_set_new(run, "samples", json_object());
    json_object_set_new(run, "metrics", metrics);
}

bool answers_want_placements(const char *workload)
{
    return workload && strcmp(workload, "aging") == 0;
}

/* The aging probe's requests (GEN_PROBE_ID: round and order) as the trace
 * has them, and those that succeeded (their rows in the placements CSV):
 * per order, how many were asked and got; per round, the highest order
 * that succeeded, the largest contiguous block memory could still give. */
struct probes {
    uint64_t asked[MAX_ORDERS], got[MAX_ORDERS];
    int best[MAX_ROUNDS];
    uint64_t at[MAX_ROUNDS];   /* the event index of each round's probe */
    unsigned rounds;
};

static int count_probes(const char *path, bool csv, struct probes *pr)
{
    FILE *f = fopen(path, "r");
    char line[512];
    uint64_t event = 0;   /* trace lines after the header are events */

    if (!f)
        return -1;
    while (fgets(line, sizeof line, f)) {
        unsigned long long id, round;
        unsigned order;
        int ok = csv ? sscanf(line, "%llu,", &id)
                     : sscanf(line, "a %llu ", &id);

        event += !csv && line[0] >= 'a' && line[0] <= 'z';
        if (ok != 1 || id < GEN_PROBE_ID_BASE)
            continue;
        round = (id - GEN_PROBE_ID_BASE) / 100;
        order = (unsigned)((id - GEN_PROBE_ID_BASE) % 100 % MAX_ORDERS);
        if (!csv) {
            pr->asked[order]++;
            if (round < MAX_ROUNDS && !pr->at[round])
                pr->at[round] = event;
        } else {
            pr->got[order]++;
            if (round < MAX_ROUNDS && (int)order > pr->best[round])
                pr->best[round] = (int)order;
        }
        if (round < MAX_ROUNDS && round + 1 > pr->rounds)
            pr->rounds = (unsigned)round + 1;
    }
    fclose(f);
    return 0;
}

static int collect_probes(json_t *run, const char *trace, const char *csv,
                          char *why, size_t len)
{
    struct probes *pr = calloc(1, sizeof *pr);
    json_t *orders = json_array(), *rounds = json_array(), *at = json_array();
    json_t *metrics = json_object_get(run, "metrics");

    if (!pr)
        return -1;
    for (unsigned r = 0; r < MAX_ROUNDS; r++)
        pr->best[r] = -1;
    if (count_probes(trace, false, pr) || count_probes(csv, true, pr)) {
        snprintf(why, len, "cannot read the aging probe's %.400s or %.400s",
                 trace, csv);
        free(pr);
        json_decref(orders);
        json_decref(rounds);
        json_decref(at);
        return -1;
    }
    for (int o = 0; o < MAX_ORDERS; o++)
        if (pr->asked[o])
            json_array_append_new(orders, json_pack("{s:i, s:I, s:I}",
                                  "order", o, "asked", (json_int_t)pr->asked[o],
                                  "got", (json_int_t)pr->got[o]));
    for (unsigned r = 0; r < pr->rounds; r++) {
        json_array_append_new(rounds, json_integer(pr->best[r]));
        json_array_append_new(at, json_integer((json_int_t)pr->at[r]));
    }
    json_object_set_new(metrics, "probes", orders);
    json_object_set_new(metrics, "largest_order_by_round", rounds);
    json_object_set_new(metrics, "probe_event_by_round", at);
    free(pr);
    return 0;
}

int answers_collect(json_t *run, enum answers_child child,
                    const char *workload, const char *json_path,
                    const char *trace, const char *placements,
                    char *why, size_t len)
{
    json_error_t err;
    json_t *j = json_load_file(json_path, 0, &err);
    int rc = 0;

    if (!j) {
        snprintf(why, len, "%s:%d: %s", json_path, err.line, err.text);
        return -1;
    }
    if (child == ANSWERS_ACCESS)
        collect_access(run, j);
    else
        collect_replay(run, j);
    if (answers_want_placements(workload))
        rc = collect_probes(run, trace, placements, why, len);
    json_decref(j);
    return rc;
}

void answers_figures(json_t *experiments, const char *dir)
{
    figures_write(experiments, dir);
}

/* ---- answers ---- */

static json_t *num_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static void set_answer(json_t *x, double value, const char *unit,
                       const struct stats_interval *ci, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void set_answer(json_t *x, double value, const char *unit,
                       const struct stats_interval *ci, const char *fmt, ...)
{
    char text[ANSWER_TEXT_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    json_object_set_new(x, "answer", json_pack(
        "{s:s, s:o, s:s, s:o}", "text", text,
        "value", isnan(value) ? json_null() : json_real(value), "unit", unit,
        "ci95", ci ? json_pack("[f, f]", ci->lo, ci->hi) : json_null()));
}

/* The run of X for BACKEND that MATCH accepts (NULL: any). */
static const json_t *find_run(const json_t *x, const char *backend,
                              bool (*match)(const json_t *run, double arg),
                              double arg)
{
    const json_t *run;
    size_t i;

    json_array_foreach(json_object_get(x, "runs"), i, run)
        if (ok_run(run) && strcmp(rstr(run, "backend"), backend) == 0 &&
            (!match || match(run, arg)))
            return run;
    return NULL;
}

/* "xmalloc 41.2, xvmalloc 41.9 ns/op": each backend's median. */
static void list_medians(const json_t *x, char *out, size_t len)
{
    const json_t *run;
    size_t i, at = 0;

    out[0] = 0;
    json_array_foreach(json_object_get(x, "runs"), i, run) {
        double m = median_of(run, "ns_per_op");

        double failed = metric(run, "failed"), asked = metric(run, "allocs") +
                                                      metric(run, "reallocs");

        if (!ok_run(run) || isnan(m) || at >= len)
            continue;
        at += (size_t)snprintf(out + at, len - at, "%s%s %.1f",
                               at ? ", " : "", rstr(run, "backend"), m);
        /* A failed allocation is cheap: say so, or the median flatters. */
        if (failed > 0 && asked > 0 && at < len)
            at += (size_t)snprintf(out + at, len - at, " (%.0f%% failed)",
                                   100 * failed / asked);
    }
}

/* B against A on one experiment's samples: difference of medians. */
static int diff(const json_t *ra, const json_t *rb, struct stats_interval *ci)
{
    return boot_runs(ra, rb, false, ci);
}

/* B/A, from the bootstrapped B/A - 1. */
static int ratio(const json_t *ra, const json_t *rb, struct stats_interval *ci)
{
    if (boot_runs(ra, rb, true, ci) != 0)
        return -1;
    ci->estimate += 1;
    ci->lo += 1;
    ci->hi += 1;
    return 0;
}

/*
 * What a model costs against a general-purpose allocator, as a ratio
 * measured in one run (quoting ratios, not absolute times, is what
 * survives a noisy machine): each backend's geometric mean over its
 * processes against jemalloc's, with Welch's 95% interval. Only where
 * every sample is a process of its own (baselines and real traces
 * alternate across processes: rounds_across); the answer's value and
 * interval are xmalloc's ratio.
 */
#define REFERENCE_BACKEND "jemalloc"
#define HEADLINE_BACKEND  "xmalloc"

static bool per_process(const json_t *run)
{
    return strcmp(rstr(run, "sample_unit"), "process") == 0;
}

/* NUM's ns/op against DEN's, both one sample a process, as the part
 * LABEL (unit x), its interval in *CI and, when WITH_CI, in the part;
 * false when either side has fewer than 2 processes. */
static bool ratio_part(json_t *parts, const char *label, const json_t *den,
                       const json_t *num, bool with_ci,
                       struct stats_interval *ci)
{
    double a[MAX_SAMPLES], b[MAX_SAMPLES];
    size_t na = samples(den, "ns_per_op", 1, a);
    size_t nb = samples(num, "ns_per_op", 1, b);

    if (!per_process(den) || !per_process(num) ||
        stats_welch_log_ratio(a, na, b, nb, ci) != 0)
        return false;
    json_array_append_new(parts, json_pack(
        "{s:s, s:f, s:o, s:o, s:I, s:s}", "label", label,
        "value", ci->estimate,
        "ci_low", with_ci ? json_real(ci->lo) : json_null(),
        "ci_high", with_ci ? json_real(ci->hi) : json_null(),
        "n", (json_int_t)(na < nb ? na : nb), "unit", "x"));
    return true;
}

/* Every backend of X against REFERENCE_BACKEND into OUT and PARTS; the
 * headline's interval in *HEAD (estimate NaN without one). */
static void against_reference(const json_t *x, json_t *parts,
                              struct stats_interval *head, char *out,
                              size_t len)
{
    const json_t *ref = find_run(x, REFERENCE_BACKEND, NULL, 0), *run;
    size_t i, at = 0;

    head->estimate = NAN;
    out[0] = 0;
    if (!ref || !per_process(ref))
        return;
    json_array_foreach(json_object_get(x, "runs"), i, run) {
        struct stats_interval ci;
        char label[64];

        snprintf(label, sizeof label, "%s/" REFERENCE_BACKEND,
                 rstr(run, "backend"));
        if (run == ref || !ok_run(run) ||
            !ratio_part(parts, label, ref, run, true, &ci))
            continue;
        if (strcmp(rstr(run, "backend"), HEADLINE_BACKEND) == 0)
            *head = ci;
        if (at < len)
            at += (size_t)snprintf(out + at, len - at, "%s%s %.3gx "
                                   "[%.3g..%.3g]", at ? ", " : "",
                                   rstr(run, "backend"), ci.estimate, ci.lo,
                                   ci.hi);
    }
}

/* A host mapping call costs 5 to 10 us here: one per 1000 events adds
 * 5 ns or more to every event, above the resolution. (The heap's own
 * set-up map is one call a run, far below.) */
#define HOST_CALLS_PER_EVENT 0.001

/* "; xvmalloc's (7352 calls) times include the host's mmap/munmap:
 * Linux's cost, not Xen's" for the backends of X that mapped
 * pages often enough to matter, or "". Q2, Q7 and Q8 price Xen's side of
 * that work; a plain list of times must at least say which are the
 * host's. */
static void host_mapping_note(const json_t *x, char *out, size_t len)
{
    const json_t *run;
    size_t i, at = 0;

    out[0] = 0;
    json_array_foreach(json_object_get(x, "runs"), i, run) {
        double calls = metric(run, "map_calls") + metric(run, "unmap_calls");

        if (!ok_run(run) || at >= len ||
            !(calls >= HOST_CALLS_PER_EVENT * metric(run, "events")) ||
            !(calls > 0))
            continue;
        at += (size_t)snprintf(out + at, len - at, "%s%s's (%.0f calls)",
                               at ? ", " : "; ", rstr(run, "backend"), calls);
    }
    if (at && at < len)
        snprintf(out + at, len - at, " times include the host's mmap/munmap: "
                 "Linux's cost, not Xen's");
}

static void answer_generic(json_t *x)
{
    char list[400], against[600], host[300];
    json_t *parts = json_array();
    struct stats_interval head;

    list_medians(x, list, sizeof list);
    host_mapping_note(x, host, sizeof host);
    against_reference(x, parts, &head, against, sizeof against);
    if (!against[0]) {
        json_decref(parts);
        set_answer(x, NAN, "ns/op", NULL, "%s: %s ns/op%s",
                   workload_name(first_run(x)), list[0] ? list : "no data",
                   host);
        return;
    }
    set_answer(x, head.estimate, "x", isnan(head.estimate) ? NULL : &head,
               "%s: %s ns/op; against " REFERENCE_BACKEND " (geometric "
               "means over processes, Welch 95%%): %s%s",
               workload_name(first_run(x)), list, against, host);
    json_object_set_new(json_object_get(x, "answer"), "parts", parts);
}

/* ---- Q1: paired differences from the alternated runs ---- */

/* The resolution of this run (rounds.h), or NaN while none is known. */
static double resolution_ns(void)
{
    return jnum(json_object_get(the_resolution, "resolution_ns"));
}

/* Whether a difference is at least the resolution: unknown counts as
 * resolvable (the interval then speaks alone). */
static bool resolvable(double estimate)
{
    double res = resolution_ns();

    return isnan(res) || fabs(estimate) >= res;
}

/*
 * One size of q1-pairs: "64 B +1.2 [0.8..1.6]", or "64 B below 0.5 ns
 * (+0.2 [-0.9..1.3])". A difference below the resolution keeps its
 * interval: "below X" alone would claim [-X, X], narrower than the data
 * can support when the interval is wide (two runs then disagreed on a
 * claim neither had measured).
 */
static void q1_part(json_t *parts, double size, const struct stats_interval *ci,
                    double n, bool ok, char *out, size_t len)
{
    bool res = ok && resolvable(ci->estimate);
    char label[32];

    snprintf(label, sizeof label, "%.0f B", size);
    if (!ok)
        snprintf(out, len, "%s unreliable", label);
    else if (!res)
        snprintf(out, len, "%s below %.2g ns (%+.2f [%.2f..%.2f])", label,
                 resolution_ns(), ci->estimate, ci->lo, ci->hi);
    else
        snprintf(out, len, "%s %+.2f [%.2f..%.2f]", label, ci->estimate,
                 ci->lo, ci->hi);
    json_array_append_new(parts, json_pack(
        "{s:s, s:o, s:o, s:o, s:o, s:b, s:b, s:o}", "label", label,
        "value", ok ? json_real(ci->estimate) : json_null(),
        "ci_low", ok ? num_or_null(ci->lo) : json_null(),
        "ci_high", ok ? num_or_null(ci->hi) : json_null(),
        "n", json_real(n), "resolvable", res, "unreliable", !ok,
        "below_ns", ok && !res ? json_real(resolution_ns()) : json_null()));
}

static void answer_q1_sizes(json_t *x)
{
    json_t *parts = json_array(), *ans;
    char list[600], one[80];
    double n_min = INFINITY, excluded = 0, most = NAN;
    const json_t *run;
    size_t i, at = 0;
    int shown = 0;

    list[0] = 0;
    json_array_foreach(json_object_get(x, "runs"), i, run) {
        struct stats_interval ci;
        double n, ex;
        bool ok;

        if (!ok_run(run) || !paired(run, &ci, &n, &ex))
            continue;
        ok = n >= ANSWER_MIN_CLEAN;
        q1_part(parts, sweep(run, "size"), &ci, n, ok, one, sizeof one);
        at += (size_t)snprintf(list + at, at < sizeof list ? sizeof list - at
                               : 0, "%s%s", shown++ ? ", " : "", one);
        at = at < sizeof list ? at : sizeof list - 1;
        n_min = fmin(n_min, n);
        excluded += ex;
        if (ok && (isnan(most) || fabs(ci.estimate) > fabs(most)))
            most = ci.estimate;
    }
    if (!shown) {
        json_decref(parts);
        return;
    }
    set_answer(x, most, "ns/op", NULL, "alloc+free pairs, xvmalloc - xmalloc "
               "in ns/op by size, alternated in one process: %s", list);
    ans = json_object_get(x, "answer");
    json_object_set_new(ans, "parts", parts);
    json_object_set_new(ans, "n", json_real(n_min));
    json_object_set_new(ans, "excluded", json_real(excluded));
}

static void answer_q1(json_t *x)
{
    struct stats_interval ci;
    const json_t *a = find_run(x, "xmalloc", NULL, 0);
    const json_t *b = find_run(x, "xvmalloc", NULL, 0);
    double n, excluded;
    json_t *ans;

    if (sweeps(x, "size")) {
        answer_q1_sizes(x);
        return;
    }
    if (a && paired(a, &ci, &n, &excluded)) {
        double rel = 100 * ci.estimate / median_of(a, "ns_per_op");

        if (n < ANSWER_MIN_CLEAN)
            set_answer(x, NAN, "ns/op", NULL, "on %s, xvmalloc against "
                       "xmalloc", workload_name(a));
        else if (!resolvable(ci.estimate))   /* its interval kept: q1_part */
            set_answer(x, ci.estimate, "ns/op", &ci, "on %s, xvmalloc - "
                       "xmalloc is %+.2f ns/op: not resolvable here (below "
                       "%.2g ns)", workload_name(a), ci.estimate,
                       resolution_ns());
        else
            set_answer(x, ci.estimate, "ns/op", &ci, "on %s, xvmalloc costs "
                       "%+.2f ns/op (%+.1f%%) over xmalloc, alternated in "
                       "one process", workload_name(a), ci.estimate, rel);
        ans = json_object_get(x, "answer");
        json_object_set_new(ans, "n", json_real(n));
        json_object_set_new(ans, "excluded", json_real(excluded));
        if (n >= ANSWER_MIN_CLEAN && !resolvable(ci.estimate)) {
            json_object_set_new(ans, "resolvable", json_false());
            json_object_set_new(ans, "below_ns", json_real(resolution_ns()));
        }
        if (n < ANSWER_MIN_CLEAN)
            json_object_set_new(ans, "unreliable", json_true());
        return;
    }
    if (diff(a, b, &ci) == 0)
        set_answer(x, ci.estimate, "ns/op", &ci, "on %s, xvmalloc costs "
                   "%+.2f ns/op (%+.1f%%) over xmalloc",
                   workload_name(a), ci.estimate,
                   100 * ci.estimate / median_of(a, "ns_per_op"));
}

/* ---- Q2, Q7, Q8: host time and Xen's work priced, side by side ---- */

/* The run's Xen mapping work priced (priced.h), or NULL when it has none. */
static const json_t *priced_of(const json_t *run)
{
    const json_t *p = json_object_get(json_object_get(run, "metrics"),
                                      "priced_ns");

    return json_is_number(json_object_get(p, "total_ns")) ? p : NULL;
}

/* Why RUN's work is not priced ("" when it is). */
static const char *unpriced_why(const json_t *run)
{
    const json_t *p = json_object_get(json_object_get(run, "metrics"),
                                      "priced_ns");

    return priced_of(run) ? "" : p ? rstr(p, "why") :
           "this run has no priced_ns (results of before pricing)";
}

/* The host time's median of RUN's repetitions times SCALE, with its 95%
 * interval when there are enough of them; "123 [110, 140]" or "123". */
static void host_text(const json_t *run, double scale, char *out, size_t len)
{
    double v[MAX_SAMPLES];
    size_t n = samples(run, "ns_per_op", scale, v);
    struct stats_interval ci;

    if (!n)
        snprintf(out, len, "not measured");
    else if (stats_median_ci(v, n, STATS_LEVEL95, &ci) == 0 &&
             isfinite(ci.lo) && isfinite(ci.hi))
        snprintf(out, len, "%.0f [%.0f, %.0f]", ci.estimate, ci.lo, ci.hi);
    else
        snprintf(out, len, "%.0f", stats_median(v, n));
}

/* Xen's work of RUN priced per DIVISOR (events, allocs, pages): "980 +- 12"
 * (the units' MAD summed over the counts) or "980 (point value)" where the
 * units have no spread (defaults, a file); NAN when not priced. */
static double priced_text(const json_t *run, double total, double spread,
                          double divisor, char *out, size_t len)
{
    double v = total / divisor, s = spread / divisor;

    if (!priced_of(run) || !(divisor > 0) || !isfinite(v)) {
        snprintf(out, len, "not priced");
        return NAN;
    }
    if (s > 0)
        snprintf(out, len, "%.0f +- %.0f", v, s);
    else
        snprintf(out, len, "%.0f (point value)", v);
    if (!json_is_true(json_object_get(priced_of(run), "complete")))
        snprintf(out + strlen(out), len - strlen(out), " (incomplete: %s)",
                 rstr(priced_of(run), "ipi"));
    return v;
}

/* RUN's priced total per DIVISOR, as priced_text. */
static double priced_per(const json_t *run, double divisor, char *out,
                         size_t len)
{
    const json_t *p = priced_of(run);

    return priced_text(run, jnum(json_object_get(p, "total_ns")),
                       jnum(json_object_get(p, "spread_ns")), divisor, out,
                       len);
}

/* RUN priced for a machine of CPUS online CPUs (its by_cpus entry). */
static const json_t *priced_at_cpus(const json_t *run, double cpus)
{
    const json_t *e;
    size_t i;

    json_array_foreach(json_object_get(priced_of(run), "by_cpus"), i, e)
        if (jnum(json_object_get(e, "cpus")) == cpus)
            return e;
    return NULL;
}

/* Appends TEXT to X's answer line and records what was priced: the answer
 * says both numbers, and where the priced one's units came from. */
static void add_priced(json_t *x, const json_t *run, double value,
                       const char *unit, const char *text)
{
    json_t *a = json_object_get(x, "answer");
    const json_t *p = priced_of(run);
    char line[2048];

    /* Xen's work is priced from counts, which no busy CPU spoils: it is
     * said even when the host time has no clean repetition to answer. */
    if (!json_is_object(a)) {
        set_answer(x, NAN, unit, NULL, "host time (Linux mmap/munmap): no "
                   "clean repetition");
        a = json_object_get(x, "answer");
    }
    /* report.txt puts the host time's interval where the host part ends */
    if (!json_object_get(a, "host_len"))
        json_object_set_new(a, "host_len",
                            json_integer((json_int_t)strlen(rstr(a, "text"))));
    snprintf(line, sizeof line, "%s; %s", rstr(a, "text"), text);
    if (p)
        snprintf(line + strlen(line), sizeof line - strlen(line),
                 " (calibration: %s)", rstr(p, "calibration"));
    json_object_set_new(a, "text", json_string(line));
    json_object_set_new(a, "priced", json_pack(
        "{s:o, s:s, s:s, s:s}", "value", isfinite(value) ? json_real(value)
                                                         : json_null(),
        "unit", unit, "what", "Xen's mapping work priced: counts x units",
        p ? "calibration" : "why", p ? rstr(p, "calibration")
                                     : unpriced_why(run)));
}

static bool at_pages_peers(const json_t *run, double key)
{
    double page = jnum(json_object_get(run, "page_size"));

    return jpath(run, "workload.size") / page * 1000 +
           jnum(json_object_get(run, "flush_peers")) == key;
}

static bool policy_peers(const json_t *run, double peers)
{
    return jnum(json_object_get(run, "flush_peers")) == peers;
}

/* Xen's work by each rule, priced per page (peers change the host's time,
 * not Xen's counts: the runs without peers are priced). */
static void q2_policy_priced(json_t *x, double pages)
{
    const char *rule;
    const json_t *run, *any = NULL;
    char list[600], one[96], text[700];
    size_t i, at = 0;

    list[0] = 0;
    for (unsigned r = 0; (rule = flush_policy_name(r)); r++)
        json_array_foreach(json_object_get(x, "runs"), i, run) {
            if (!ok_run(run) || !policy_peers(run, 0) ||
                strcmp(rstr(json_object_get(run, "model"), "flush"),
                       rule) != 0 || at >= sizeof list)
                continue;
            priced_per(run, metric(run, "allocs") * pages, one, sizeof one);
            at += (size_t)snprintf(list + at, sizeof list - at, "%s%s %s",
                                   at ? ", " : "", rule, one);
            any = any ? any : run;
        }
    if (!any)
        return;
    if (priced_of(any))
        snprintf(text, sizeof text, "Xen's work priced, ns per page: %s",
                 list);
    else
        snprintf(text, sizeof text, "Xen's work not priced: %s",
                 unpriced_why(any));
    add_priced(x, any, NAN, "ns/page", text);
}

/* The three flush rules side by side, without and with flushing peers. */
static void answer_q2_policy(json_t *x)
{
    const char *rule;
    double most = 0, pages = 0;
    char list[400];
    const json_t *run;
    size_t i, at = 0;

    json_array_foreach(json_object_get(x, "runs"), i, run) {
        most = fmax(most, jnum(json_object_get(run, "flush_peers")));
        pages = jpath(run, "workload.size") /
                jnum(json_object_get(run, "page_size"));
    }
    list[0] = 0;
    for (int peers = 0; peers <= (most > 0); peers++)
        for (unsigned r = 0; (rule = flush_policy_name(r)); r++)
            json_array_foreach(json_object_get(x, "runs"), i, run) {
                if (!ok_run(run) || !policy_peers(run, peers ? most : 0) ||
                    strcmp(rstr(json_object_get(run, "model"), "flush"),
                           rule) != 0 || at >= sizeof list)
                    continue;
                at += (size_t)snprintf(list + at, sizeof list - at,
                                       "%s%s%s %.0f", at ? ", " : "",
                                       r == 0 && peers ? "with peers: " : "",
                                       rule, 2 * median_of(run,
                                       "ns_per_op") / pages);
            }
    set_answer(x, NAN, "ns/page", NULL, "%.0f-page vmalloc+vfree, ns per "
               "page by flush rule, host time (Linux mmap/munmap): %s", pages,
               list);
    q2_policy_priced(x, pages);
}

static void q2_priced(json_t *x, const json_t *s, double smallest,
                      const json_t *l, double largest);

/* vmalloc + vfree per page at the smallest and largest size, no peers. */
static void answer_q2(json_t *x)
{
    double smallest = INFINITY, largest = 0, peers = 0;
    const json_t *run, *s, *l, *lp;
    char hs[64], hl[64], hp[64];
    size_t i;

    if (is_workload(x, "pairs") && !sweeps(x, "size")) {
        answer_q2_policy(x);
        return;
    }
    if (!is_workload(x, "pairs")) {
        answer_generic(x);
        return;
    }
    json_array_foreach(json_object_get(x, "runs"), i, run) {
        double pages = jpath(run, "workload.size") /
                       jnum(json_object_get(run, "page_size"));

        smallest = fmin(smallest, pages);
        largest = fmax(largest, pages);
        peers = fmax(peers, jnum(json_object_get(run, "flush_peers")));
    }
    s = find_run(x, "vmalloc", at_pages_peers, smallest * 1000);
    l = find_run(x, "vmalloc", at_pages_peers, largest * 1000);
    lp = find_run(x, "vmalloc", at_pages_peers, largest * 1000 + peers);
    if (!s || !l)
        return;
    host_text(s, 2 / smallest, hs, sizeof hs);
    host_text(l, 2 / largest, hl, sizeof hl);
    if (lp && peers)
        host_text(lp, 2 / largest, hp, sizeof hp);
    set_answer(x, 2 * median_of(l, "ns_per_op") / largest, "ns/page", NULL,
               "vmalloc+vfree per page, host time (Linux mmap/munmap): %s ns "
               "at %.0f page%s, %s at %.0f (%s flush)%s%s", hs, smallest,
               smallest == 1 ? "" : "s", hl, largest,
               rstr(json_object_get(l, "model"), "flush"),
               lp && peers ? "; with peers flushing: " : "",
               lp && peers ? hp : "");
    q2_priced(x, s, smallest, l, largest);
}

/* Xen's work per page priced at both sizes on this machine's CPUs, and at
 * the largest size from 1 CPU to a larger machine: Xen flushes every
 * online CPU, so the price grows with them where the host time cannot. */
static void q2_priced(json_t *x, const json_t *s, double smallest,
                      const json_t *l, double largest)
{
    const json_t *p = priced_of(l), *one, *big;
    double per_s = metric(s, "allocs") * smallest;
    double per_l = metric(l, "allocs") * largest, value;
    char ps[96], pl[96], p1[96], pb[96], text[800];

    if (!p) {
        snprintf(text, sizeof text, "Xen's work not priced: %s",
                 unpriced_why(l));
        add_priced(x, l, NAN, "ns/page", text);
        return;
    }
    priced_per(s, per_s, ps, sizeof ps);
    value = priced_per(l, per_l, pl, sizeof pl);
    one = priced_at_cpus(l, 1);
    big = priced_at_cpus(l, PRICED_LARGE_CPUS);
    priced_text(l, jnum(json_object_get(one, "total_ns")),
                jnum(json_object_get(one, "spread_ns")), per_l, p1, sizeof p1);
    priced_text(l, jnum(json_object_get(big, "total_ns")),
                jnum(json_object_get(big, "spread_ns")), per_l, pb, sizeof pb);
    snprintf(text, sizeof text, "Xen's work priced per page: %s ns at %.0f, "
             "%s at %.0f on %.0f CPUs; at %.0f pages on 1 CPU %s, on %d "
             "CPUs %s%s", ps, smallest, pl, largest,
             jnum(json_object_get(p, "cpus")), largest, p1,
             PRICED_LARGE_CPUS, big ? pb : "not priced",
             !big || !strstr(rstr(big, "ipi"), "extrapolated") ? "" :
             strstr(rstr(big, "ipi"), "lower bound") ? " (a lower bound: "
             "the IPI round trip extrapolated flat from one CPU count)" :
             " (IPI round trip extrapolated from the measured CPUs)");
    add_priced(x, l, value, "ns/page", text);
}

/* ---- Q3 to Q6's waste and failures: exact numbers ---- */

/*
 * Whether X's numbers are exact: every run of it succeeded and replayed on
 * one thread. A seeded single-threaded replay places every block the same
 * way in every run of one revision, so its waste, failures and probe
 * orders repeat to the last bit, and test_replication.c compares them for
 * equality where intervals would only overlap. Threads interleave as the
 * scheduler lets them, and a failed run's numbers are missing, so neither
 * is exact.
 */
static bool exact_runs(const json_t *x)
{
    const json_t *run;
    size_t i;

    json_array_foreach(json_object_get(x, "runs"), i, run)
        if (!ok_run(run) || !(jnum(json_object_get(run, "threads")) <= 1))
            return false;
    return json_array_size(json_object_get(x, "runs")) > 0;
}

/* One number an answer's text states, labelled: a part (as q1-pairs'),
 * with "exact" when EXACT (exact_runs) and UNIT where it is not the
 * answer's (NULL). */
static void exact_part(json_t *parts, bool exact, const char *unit,
                       double value, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void exact_part(json_t *parts, bool exact, const char *unit,
                       double value, const char *fmt, ...)
{
    char label[64];
    json_t *p;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(label, sizeof label, fmt, ap);
    va_end(ap);
    p = json_pack("{s:s, s:o}", "label", label,
                  "value", isfinite(value) ? json_real(value) : json_null());
    if (unit)
        json_object_set_new(p, "unit", json_string(unit));
    if (exact)
        json_object_set_new(p, "exact", json_true());
    json_array_append_new(parts, p);
}

/* X's answer (set_answer's) gets PARTS, and "exact" as they have it. */
static void exact_answer(json_t *x, json_t *parts, bool exact)
{
    json_t *ans = json_object_get(x, "answer");

    json_object_set_new(ans, "parts", parts);
    if (exact)
        json_object_set_new(ans, "exact", json_true());
}

/* Below this every page-granular path wastes most of a page, by design;
 * the question is about odd sizes above it. */
#define Q3_FROM_BYTES 1000

/* Each path's worst waste over the sizes swept, and where; the headline
 * value is the worst of all paths. */
static void answer_q3_sweep(json_t *x)
{
    static const char *const paths[] = { "pages", "xmalloc", "vmalloc",
                                         "xvmalloc" };
    json_t *parts = json_array();
    bool exact = exact_runs(x);
    double most = NAN;
    char list[400];
    size_t at = 0;

    list[0] = 0;
    for (size_t p = 0; p < 4; p++) {
        double worst = -1, where = 0;
        const json_t *run;
        size_t i;

        json_array_foreach(json_object_get(x, "runs"), i, run)
            if (ok_run(run) && strcmp(rstr(run, "backend"), paths[p]) == 0 &&
                sweep(run, "size") >= Q3_FROM_BYTES &&
                metric(run, "waste_ratio") > worst) {
                worst = metric(run, "waste_ratio");
                where = sweep(run, "size");
            }
        if (worst < 0)
            continue;
        exact_part(parts, exact, NULL, 100 * worst, "%s worst", paths[p]);
        exact_part(parts, exact, "B", where, "%s worst at", paths[p]);
        most = fmax(most, 100 * worst);
        if (at < sizeof list)
            at += (size_t)snprintf(list + at, sizeof list - at,
                                   "%s%s %.0f%% at %.0f B", at ? ", " : "",
                                   paths[p], 100 * worst, where);
    }
    set_answer(x, most, "%", NULL, "worst waste from %d B up (frames held / "
               "bytes asked - 1): %s", Q3_FROM_BYTES, list);
    exact_answer(x, parts, exact);
}

/* Each path's waste on one workload; the headline value is the largest. */
static void answer_q3(json_t *x)
{
    static const char *const paths[] = { "pages", "xmalloc", "vmalloc",
                                         "xvmalloc" };
    json_t *parts;
    bool exact;
    double most = NAN;
    char list[300];
    size_t at = 0;

    if (sweeps(x, "size")) {
        answer_q3_sweep(x);
        return;
    }
    parts = json_array();
    exact = exact_runs(x);
    list[0] = 0;
    for (size_t i = 0; i < 4; i++) {
        const json_t *r = find_run(x, paths[i], NULL, 0);
        double waste;

        if (!r)
            continue;
        waste = 100 * metric(r, "waste_ratio");
        exact_part(parts, exact, NULL, waste, "%s", paths[i]);
        most = fmax(most, waste);
        if (at < sizeof list)
            at += (size_t)snprintf(list + at, sizeof list - at, "%s%s %.0f%%",
                                   at ? ", " : "", paths[i], waste);
    }
    set_answer(x, most, "%", NULL, "on %s: waste %s",
               workload_name(first_run(x)), list);
    exact_answer(x, parts, exact);
}

/* The highest order each backend still gets at least half the time, and
 * its fill failures; the headline value is the lowest of those orders,
 * the highest that every backend still gets. */
static void answer_q4(json_t *x)
{
    char list[300], fills[200];
    json_t *parts = json_array();
    bool exact = exact_runs(x);
    const json_t *run;
    size_t i, at = 0, fat = 0;
    double first = NAN, lowest = NAN;
    bool differ = false;

    list[0] = fills[0] = 0;
    json_array_foreach(json_object_get(x, "runs"), i, run) {
        double fail = probe_fill_failures(run);
        int best = probe_best_order(run);
        const char *b = rstr(run, "backend");

        if (!ok_run(run))
            continue;
        exact_part(parts, exact, NULL, best, "%s order", b);
        exact_part(parts, exact, "allocations", fail, "%s fill failures", b);
        lowest = fmin(lowest, best);
        if (at < sizeof list)
            at += (size_t)snprintf(list + at, sizeof list - at, "%s%s %d",
                                   at ? ", " : "", b, best);
        if (fat < sizeof fills)
            fat += (size_t)snprintf(fills + fat, sizeof fills - fat, "%s%s "
                                    "%.0f", fat ? ", " : "", b, fail);
        differ = differ || (!isnan(first) && fail != first);
        if (isnan(first))
            first = fail;
    }
    set_answer(x, lowest, "order", NULL, "after aging, the highest order "
               "that succeeds at least half the time: %s; fill allocations "
               "that failed: %s%s", list, fills, differ ? " (the fills "
               "differ: the backends did not age the same memory, compare "
               "with care)" : "");
    exact_answer(x, parts, exact);
}

/* The share of allocations that fail at the smallest xenheap, backend by
 * backend; the headline value is the largest share. */
static void answer_q5(json_t *x)
{
    double smallest = INFINITY, most = NAN;
    json_t *parts = json_array();
    bool exact = exact_runs(x);
    char list[300];
    const json_t *run;
    size_t i, at = 0;

    json_array_foreach(json_object_get(x, "runs"), i, run)
        smallest = fmin(smallest, sweep(run, "xenheap"));
    list[0] = 0;
    json_array_foreach(json_object_get(x, "runs"), i, run) {
        double pct = 100 * metric(run, "failed") /
                     (metric(run, "allocs") + metric(run, "reallocs"));

        if (!ok_run(run) || sweep(run, "xenheap") != smallest)
            continue;
        exact_part(parts, exact, NULL, pct, "%s", rstr(run, "backend"));
        most = fmax(most, pct);
        if (at < sizeof list)
            at += (size_t)snprintf(list + at, sizeof list - at, "%s%s %.2f%%",
                                   at ? ", " : "", rstr(run, "backend"), pct);
    }
    set_answer(x, most, "%", NULL, "with a %.0f MiB xenheap, allocations that "
               "fail: %s", smallest / MIB, list);
    exact_answer(x, parts, exact);
}

static bool at_page(const json_t *run, double page)
{
    return jnum(json_object_get(run, "page_size")) == page;
}

static bool directmap_off(const json_t *run, double unused)
{
    return !json_is_true(json_object_get(json_object_get(run, "model"),
                                         "directmap"));
}

static bool directmap_on(const json_t *run, double unused)
{
    return !directmap_off(run, unused);
}

/* ---- Q6, Q7: one backend under two models, paired in one process ---- */

/* The other side of RUN's alternation whose model has KEY = VALUE (a
 * boolean as 0 or 1): page_size 65536, directmap 0. NULL when none. */
static const json_t *alt_side(const json_t *run, const char *key, double value)
{
    const json_t *side, *v;
    size_t i;

    json_array_foreach(json_object_get(json_object_get(run, "metrics"),
                                       "alternation_sides"), i, side) {
        v = json_object_get(json_object_get(side, "config"), key);
        if ((json_is_boolean(v) ? json_is_true(v) : jnum(v)) == value)
            return side;
    }
    return NULL;
}

/* SIDE's paired ratio with its interval; *N the rounds behind it, 0 when
 * there is no interval (too few clean rounds or processes: a side that
 * kept none has no ratio at all). False when there is no such side. */
static bool side_ratio(const json_t *side, struct stats_interval *ci,
                       double *n)
{
    if (!side)
        return false;
    ci->estimate = jnum(json_object_get(side, "ratio"));
    ci->lo = jnum(json_object_get(side, "ratio_ci_low"));
    ci->hi = jnum(json_object_get(side, "ratio_ci_high"));
    ci->level = jnum(json_object_get(side, "level"));
    *n = jnum(json_object_get(side, "n"));
    if (isnan(ci->estimate) || isnan(ci->lo) || isnan(ci->hi) || isnan(*n))
        *n = 0;
    return true;
}

/* Where a paired ratio stands: reliable (enough clean rounds, an
 * interval) and resolvable (its difference in ns at least the
 * instrument's resolution). */
struct ratio_verdict {
    struct stats_interval ci;
    double n, excluded, diff_ns;
    bool ok, res;
};

static bool ratio_verdict(const json_t *side, struct ratio_verdict *v)
{
    if (!side_ratio(side, &v->ci, &v->n))
        return false;
    v->excluded = jnum(json_object_get(side, "excluded"));
    v->diff_ns = jnum(json_object_get(side, "estimate"));
    v->ok = v->n >= ANSWER_MIN_CLEAN;
    v->res = v->ok && resolvable(v->diff_ns);
    return true;
}

/* The answer's n, excluded and verdict keys from V, as Q1's. */
static void ratio_keys(json_t *x, const struct ratio_verdict *v)
{
    json_t *ans = json_object_get(x, "answer");

    json_object_set_new(ans, "n", json_real(v->n));
    json_object_set_new(ans, "excluded", json_real(isnan(v->excluded) ? 0
                                                   : v->excluded));
    if (!v->ok)
        json_object_set_new(ans, "unreliable", json_true());
    else if (!v->res) {
        json_object_set_new(ans, "resolvable", json_false());
        json_object_set_new(ans, "below_ns", json_real(resolution_ns()));
    }
}

/* BACKEND under SIDE's model against BASE's, the paired ratio of SIDE in
 * BASE's alternation: "64K pages against 4K: xmalloc costs 1.16x (60.1
 * against 51.9 ns/op), paired in one process". False when BASE has none. */
static bool answer_paired_ratio(json_t *x, const char *backend,
                                const json_t *base, const json_t *side,
                                const char *what)
{
    struct ratio_verdict v;
    double a = median_of(base, "ns_per_op");
    double b = jnum(json_object_get(side, "against_median"));

    if (!base || !ratio_verdict(side, &v))
        return false;
    if (!v.ok)
        set_answer(x, NAN, "x", NULL, "%s: %s, paired in one process", what,
                   backend);
    else if (!v.res)   /* its interval kept, as q1_part's */
        set_answer(x, v.ci.estimate, "x", &v.ci, "%s: %s differs by %+.2f "
                   "ns/op, paired in one process: not resolvable here "
                   "(below %.2g ns)", what, backend, v.diff_ns,
                   resolution_ns());
    else
        set_answer(x, v.ci.estimate, "x", &v.ci, "%s: %s costs %.3gx (%.1f "
                   "against %.1f ns/op), paired in one process", what,
                   backend, v.ci.estimate, b, a);
    ratio_keys(x, &v);
    return true;
}

/* One backend's cost with one setting against another: ratio and CI. */
static void answer_ratio(json_t *x, const char *backend, const json_t *a,
                         const json_t *b, const char *what)
{
    struct stats_interval ci;

    if (ratio(a, b, &ci) == 0)
        set_answer(x, ci.estimate, "x", &ci, "%s: %s costs %.2fx "
                   "(%.1f against %.1f ns/op)", what, backend, ci.estimate,
                   median_of(b, "ns_per_op"), median_of(a, "ns_per_op"));
}

/* On a host whose pages are smaller than the model's, a model page is
 * several host pages: what that measures and what it does not, or "". */
static void emulated(const json_t *x, char *out, size_t len)
{
    double host = (double)sysconf(_SC_PAGESIZE), largest = 0;
    const json_t *run;
    size_t i;

    json_array_foreach(json_object_get(x, "runs"), i, run)
        largest = fmax(largest, jnum(json_object_get(run, "page_size")));
    out[0] = 0;
    if (host > 0 && largest > host)
        snprintf(out, len, " (pages above %.0fK are emulated on this host: a "
                 "%.0fK model page is %.0f host pages, so placement, rounding "
                 "and waste are the larger page's, but mapping calls and TLB "
                 "entries are per %.0fK host page)", host / 1024,
                 largest / 1024, largest / host, host / 1024);
}

/* Waste at each page size, backend by backend; the headline value is the
 * largest. */
static void answer_q6_waste(json_t *x)
{
    char list[400], emu[300];
    json_t *parts = json_array();
    bool exact = exact_runs(x);
    double most = NAN;
    const json_t *run, *other;
    size_t i, j, at = 0;

    list[0] = 0;
    json_array_foreach(json_object_get(x, "runs"), i, run) {
        if (!ok_run(run) || !at_page(run, 4096))
            continue;
        if (at < sizeof list)
            at += (size_t)snprintf(list + at, sizeof list - at, "%s%s",
                                   at ? "; " : "", rstr(run, "backend"));
        json_array_foreach(json_object_get(x, "runs"), j, other) {
            double waste = 100 * metric(other, "waste_ratio");
            double page = jnum(json_object_get(other, "page_size")) / 1024;

            if (!ok_run(other) ||
                strcmp(rstr(other, "backend"), rstr(run, "backend")) != 0)
                continue;
            exact_part(parts, exact, NULL, waste, "%s %.0fK",
                       rstr(other, "backend"), page);
            most = fmax(most, waste);
            if (at < sizeof list)
                at += (size_t)snprintf(list + at, sizeof list - at,
                                       " %.1f%% (%.0fK)", waste, page);
        }
    }
    emulated(x, emu, sizeof emu);
    set_answer(x, most, "%", NULL, "waste by page size on %s: %s%s",
               workload_name(first_run(x)), list, emu);
    exact_answer(x, parts, exact);
}

static bool at_page_size(const json_t *run, double key)
{
    /* KEY is page * 1e7 + request size: both below 1e7 */
    return jnum(json_object_get(run, "page_size")) * 1e7 +
           sweep(run, "size") == key;
}

/* "52/61/60": RUN's median at 4K, then at 16K and 64K its alternated
 * sides' (else those pages' own runs'). */
static void q6_medians(const json_t *x, const json_t *run, char *out,
                       size_t len)
{
    static const double pages[] = { 16384, 65536 };
    const char *b = rstr(run, "backend");
    size_t at = (size_t)snprintf(out, len, "%.0f",
                                 median_of(run, "ns_per_op"));

    for (size_t p = 0; p < 2 && at < len; p++) {
        const json_t *s = alt_side(run, "page_size", pages[p]);
        const json_t *r = find_run(x, b, at_page_size,
                                   pages[p] * 1e7 + sweep(run, "size"));

        at += (size_t)snprintf(out + at, len - at, "/%.0f", s
                               ? jnum(json_object_get(s, "against_median"))
                               : r ? median_of(r, "ns_per_op") : NAN);
    }
}

/* One backend and size of q6-threshold: "xmalloc 3000 B 52/60/60 (64K/4K
 * 1.16x [1.14..1.18])", its part of the answer (the paired ratio), and
 * what it adds to the answer's n, excluded and largest ratio. */
static void q6_size_part(const json_t *x, const json_t *run, json_t *parts,
                         char *out, size_t len, double *n_min,
                         double *excluded, double *most)
{
    const json_t *side = alt_side(run, "page_size", 65536);
    struct ratio_verdict v;
    char label[64], meds[64];

    snprintf(label, sizeof label, "%s %.0f B", rstr(run, "backend"),
             sweep(run, "size"));
    q6_medians(x, run, meds, sizeof meds);
    if (!ratio_verdict(side, &v)) {   /* measured apart */
        snprintf(out, len, "%s %s", label, meds);
        return;
    }
    if (!v.ok && v.n == 0 && isnan(median_of(run, "ns_per_op")))
        snprintf(out, len, "%s unreliable (no clean round)", label);
    else if (!v.ok)
        snprintf(out, len, "%s %s (64K/4K unreliable)", label, meds);
    else if (!v.res)
        snprintf(out, len, "%s %s (64K/4K below %.2g ns: %.3gx [%.3g..%.3g])",
                 label, meds, resolution_ns(), v.ci.estimate, v.ci.lo,
                 v.ci.hi);
    else
        snprintf(out, len, "%s %s (64K/4K %.3gx [%.3g..%.3g])", label, meds,
                 v.ci.estimate, v.ci.lo, v.ci.hi);
    json_array_append_new(parts, json_pack(
        "{s:s, s:o, s:o, s:o, s:o, s:b, s:b, s:o}", "label", label,
        "value", v.ok ? json_real(v.ci.estimate) : json_null(),
        "ci_low", v.ok ? num_or_null(v.ci.lo) : json_null(),
        "ci_high", v.ok ? num_or_null(v.ci.hi) : json_null(),
        "n", json_real(v.n), "resolvable", v.res, "unreliable", !v.ok,
        "below_ns", v.ok && !v.res ? json_real(resolution_ns())
                                   : json_null()));
    *n_min = fmin(*n_min, v.n);
    *excluded += isnan(v.excluded) ? 0 : v.excluded;
    if (v.ok && (isnan(*most) ||
                 fabs(log(v.ci.estimate)) > fabs(log(*most))))
        *most = v.ci.estimate;
}

/* The same request sizes at every page size: each backend's median cost
 * per size, page size by page size, so that a reader sees a size move from
 * the pool to whole pages or vmalloc as the page grows; and 64K against
 * 4K as the ratio paired in one process (rounds.h), with its interval. */
static void answer_q6_sizes(json_t *x)
{
    json_t *parts = json_array(), *ans;
    char list[1200], one[256], emu[300];
    double n_min = INFINITY, excluded = 0, most = NAN;
    const json_t *run;
    size_t i, at = 0;

    list[0] = 0;
    json_array_foreach(json_object_get(x, "runs"), i, run) {
        if (!ok_run(run) || !at_page(run, 4096) || at >= sizeof list)
            continue;
        q6_size_part(x, run, parts, one, sizeof one, &n_min, &excluded,
                     &most);
        at += (size_t)snprintf(list + at, sizeof list - at, "%s%s",
                               at ? "; " : "", one);
    }
    emulated(x, emu, sizeof emu);
    if (!json_array_size(parts)) {   /* measured apart: medians alone */
        json_decref(parts);
        set_answer(x, NAN, "ns/op", NULL, "the same requests at 4K/16K/64K "
                   "pages, ns per call: %s%s", list, emu);
        return;
    }
    set_answer(x, most, "x", NULL, "the same requests at 4K/16K/64K pages, "
               "ns per call, and 64K against 4K paired in one process: "
               "%s%s", list, emu);
    ans = json_object_get(x, "answer");
    json_object_set_new(ans, "parts", parts);
    json_object_set_new(ans, "n", json_real(n_min));
    json_object_set_new(ans, "excluded", json_real(excluded));
}

static void answer_q6(json_t *x)
{
    const char *b = rstr(first_run(x), "backend");
    char emu[300];

    if (is_workload(x, "mixed")) {
        answer_q6_waste(x);
        return;
    }
    if (sweeps(x, "size")) {
        answer_q6_sizes(x);
        return;
    }
    emulated(x, emu, sizeof emu);
    /* xvmalloc if measured, else the first backend; paired in one
     * process where it was (rounds.h), else from the two runs apart */
    if (!find_run(x, "xvmalloc", at_page, 4096))
        b = rstr(first_run(x), "backend");
    else
        b = "xvmalloc";
    if (!answer_paired_ratio(x, b, find_run(x, b, at_page, 4096),
                             alt_side(find_run(x, b, at_page, 4096),
                                      "page_size", 65536),
                             "64K pages against 4K"))
        answer_ratio(x, b, find_run(x, b, at_page, 4096),
                     find_run(x, b, at_page, 65536), "64K pages against 4K");
    if (emu[0] && json_object_get(x, "answer")) {
        json_t *a = json_object_get(x, "answer");
        char text[800];

        snprintf(text, sizeof text, "%s%s", rstr(a, "text"), emu);
        json_object_set_new(a, "text", json_string(text));
    }
}

/* Each backend's Xen work priced per call (per replayed event), in order:
 * "xmalloc 0 (point value); xvmalloc 812 +- 3". MATCH (NULL: all) picks
 * the runs; returns the first priced one, else the first. */
static const json_t *priced_list(const json_t *x,
                                 bool (*match)(const json_t *run, double arg),
                                 char *out, size_t len)
{
    const json_t *run, *first = NULL;
    char one[160];
    size_t i, at = 0;

    out[0] = 0;
    json_array_foreach(json_object_get(x, "runs"), i, run) {
        if (!ok_run(run) || (match && !match(run, 0)) || at >= len)
            continue;
        priced_per(run, metric(run, "events"), one, sizeof one);
        at += (size_t)snprintf(out + at, len - at, "%s%s %s", at ? "; " : "",
                               rstr(run, "backend"), one);
        if (!first || (!priced_of(first) && priced_of(run)))
            first = run;
    }
    return first;
}

/* The host time's ratio, then Xen's work priced with and without the
 * directmap: without it Xen maps and unmaps each xenheap page. */
static void answer_q7(json_t *x)
{
    static const char what[] = "without a directmap, host time (Linux "
                               "mmap/munmap)";
    const json_t *on, *off, *base = find_run(x, "xmalloc", directmap_on, 0);
    char lon[400], loff[400], text[900];

    /* paired in one process where it was (rounds.h), else two runs */
    if (!answer_paired_ratio(x, "xmalloc", base,
                             alt_side(base, "directmap", 0), what))
        answer_ratio(x, "xmalloc", base,
                     find_run(x, "xmalloc", directmap_off, 0), what);
    on = priced_list(x, directmap_on, lon, sizeof lon);
    off = priced_list(x, directmap_off, loff, sizeof loff);
    if (!off)
        return;
    if (priced_of(off))
        snprintf(text, sizeof text, "Xen's work priced, ns per operation: "
                 "directmap on: %s; off: %s", on ? lon : "no run", loff);
    else
        snprintf(text, sizeof text, "Xen's work not priced: %s",
                 unpriced_why(off));
    add_priced(x, off, NAN, "ns/op", text);
}

/* Where the host refused the directmap huge pages, Q9 would compare 4K
 * mappings with 4K mappings: it is reported as not measured. */
#define THP_SHMEM_ENABLE "echo advise > " \
                         "/sys/kernel/mm/transparent_hugepage/shmem_enabled"

static bool huge_refused(const json_t *run)
{
    const char *huge = rstr(json_object_get(run, "metrics"), "huge");

    return strstr(huge, "refused") != NULL;
}

static void answer_q9(json_t *x)
{
    double largest = 0, tv, td;
    const json_t *run, *v = NULL, *d = NULL;
    char tlb[160] = "";
    size_t i;

    json_array_foreach(json_object_get(x, "runs"), i, run)
        largest = fmax(largest, jpath(run, "workload.working_set"));
    json_array_foreach(json_object_get(x, "runs"), i, run) {
        if (!ok_run(run) || jpath(run, "workload.working_set") != largest)
            continue;
        if (strcmp(rstr(run, "backend"), "vmalloc") == 0)
            v = run;
        else
            d = run;
    }
    if (!v || !d)
        return;
    if (huge_refused(d)) {
        set_answer(x, NAN, "x", NULL, "not measured: the host refused huge "
                   "pages for the directmap (%s), so both sides would be 4K "
                   "mappings. To measure it, as root: %s, then rerun",
                   rstr(json_object_get(d, "metrics"), "huge"),
                   THP_SHMEM_ENABLE);
        return;
    }
    /* Allowed is not given: the kernel may still map the directmap with
     * 4K pages (no free 2M pages, khugepaged not yet run). */
    if (metric(d, "pmd_mapped_bytes") == 0) {
        set_answer(x, NAN, "x", NULL, "not measured: huge pages were "
                   "allowed (%s) but the kernel mapped none of the "
                   "directmap's blocks with them (0 bytes PMD-mapped), so "
                   "both sides were 4K mappings",
                   rstr(json_object_get(d, "metrics"), "huge"));
        return;
    }
    tv = metric(v, "dtlb_misses_per_access");
    td = metric(d, "dtlb_misses_per_access");
    if (!isnan(tv) && !isnan(td))
        snprintf(tlb, sizeof tlb, "; dTLB misses per access %.3f against "
                 "%.3f", tv, td);
    else
        snprintf(tlb, sizeof tlb, "; dTLB misses not counted here");
    set_answer(x, metric(v, "ns_per_access") / metric(d, "ns_per_access"),
               "x", NULL, "at %.0f MiB a vmalloc'd access costs %.1f ns "
               "against %.1f ns through the directmap (%s)%s",
               largest / MIB, metric(v, "ns_per_access"),
               metric(d, "ns_per_access"),
               rstr(json_object_get(d, "metrics"), "huge"), tlb);
}

/* Xen's mapping work per call of each backend, priced (a mean: the counts
 * are the run's, not a call's). */
static void q8_priced(json_t *x)
{
    char list[600], text[800];
    const json_t *first = priced_list(x, NULL, list, sizeof list);

    if (!first)
        return;
    if (priced_of(first))
        snprintf(text, sizeof text, "Xen's work priced, mean ns per call: "
                 "%s", list);
    else
        snprintf(text, sizeof text, "Xen's work not priced: %s",
                 unpriced_why(first));
    add_priced(x, first, NAN, "ns", text);
}

/* Q8: the lifetimes of blocks, where one slow call (a 2 s vfree on a busy
 * host) would set a mean: each backend's median and 99th percentile call. */
static void answer_q8(json_t *x)
{
    char list[480];
    const json_t *run;
    size_t i, at = 0;

    list[0] = 0;
    json_array_foreach(json_object_get(x, "runs"), i, run) {
        double a50 = metric(run, "alloc_p50_ns"), a99 = metric(run,
                                                              "alloc_p99_ns");
        double f50 = metric(run, "free_p50_ns"), f99 = metric(run,
                                                             "free_p99_ns");

        if (!ok_run(run) || isnan(a50) || at >= sizeof list)
            continue;
        at += (size_t)snprintf(list + at, sizeof list - at, "%s%s %.0f/%.0f, "
                               "%.0f/%.0f", at ? "; " : "",
                               rstr(run, "backend"), a50, a99, f50, f99);
    }
    if (!list[0]) {
        answer_generic(x);
        return;
    }
    set_answer(x, NAN, "ns", NULL, "on %s, host time (Linux mmap/munmap) "
               "in ns per call, median/99th percentile, alloc then free: %s",
               workload_name(first_run(x)), list);
    q8_priced(x);
}

static bool at_threads_one(const json_t *run, double one)
{
    return jnum(json_object_get(run, "threads")) == one;
}

/*
 * Mops/s at 1 and at the most threads, and where each is a sample of
 * processes the speedup (ns/op at 1 over ns/op at the most) with Welch's
 * interval, a part a backend; the answer's value is xmalloc's speedup.
 *
 * Not on a virtual machine: there the host decides where the vCPUs run
 * (two cores, or two threads of one, or one vCPU waiting), and that
 * changes between runs, not between one run's processes. Measured here
 * (2 vCPUs, four quick runs back to back): xmalloc's speedup read
 * [0.19..0.27] in one run and [0.51..0.54] in the next, glibc's
 * [1.25..2.37] and [1.11..1.20]. An interval over one run's processes
 * would claim a precision the next run contradicts, so the speedups are
 * given without one, and the answer says why.
 */
static void answer_scaling(json_t *x)
{
    double most = 0;
    char list[600];
    const json_t *run;
    json_t *parts = json_array();
    struct stats_interval head = { .estimate = NAN };
    size_t i, at = 0;

    json_array_foreach(json_object_get(x, "runs"), i, run)
        most = fmax(most, jnum(json_object_get(run, "threads")));
    list[0] = 0;
    json_array_foreach(json_object_get(x, "runs"), i, run) {
        const json_t *one;
        struct stats_interval ci;
        char label[64];

        if (!ok_run(run) || jnum(json_object_get(run, "threads")) != most)
            continue;
        one = find_run(x, rstr(run, "backend"), at_threads_one, 1);
        if (!one || at >= sizeof list)
            continue;
        at += (size_t)snprintf(list + at, sizeof list - at,
                               "%s%s %.1f -> %.1f", at ? ", " : "",
                               rstr(run, "backend"),
                               1000 / median_of(one, "ns_per_op"),
                               1000 / median_of(run, "ns_per_op"));
        snprintf(label, sizeof label, "%s speedup", rstr(run, "backend"));
        if (!ratio_part(parts, label, run, one, !on_virtual_machine, &ci) ||
            at >= sizeof list)
            continue;
        if (on_virtual_machine)
            at += (size_t)snprintf(list + at, sizeof list - at, " (%.2fx)",
                                   ci.estimate);
        else
            at += (size_t)snprintf(list + at, sizeof list - at,
                                   " (%.2fx [%.2f..%.2f])", ci.estimate,
                                   ci.lo, ci.hi);
        if (strcmp(rstr(run, "backend"), HEADLINE_BACKEND) == 0)
            head = ci;
    }
    set_answer(x, head.estimate, isnan(head.estimate) ? "Mops/s" : "x",
               isnan(head.estimate) || on_virtual_machine ? NULL : &head,
               "Mops/s from 1 to %.0f threads%s: %s", most,
               !json_array_size(parts) ? "" : on_virtual_machine
               ? " (speedup; no interval on a virtual machine: where the "
               "host runs the vCPUs changes between runs, and no interval "
               "over one run's processes covers that)"
               : " (speedup, Welch 95% over processes)", list);
    if (json_array_size(parts))
        json_object_set_new(json_object_get(x, "answer"), "parts", parts);
    else
        json_decref(parts);
}

void answers_machine(const json_t *machine)
{
    on_virtual_machine = report_virtual_machine(machine, NULL, 0);
}

void answers_resolution(const json_t *res)
{
    json_decref(the_resolution);
    the_resolution = json_deep_copy(res);
}

/* The clean repetitions of the fewest-sampled run of X and the passes its
 * runs left out (clean.h). */
static void clean_counts(const json_t *x, double *n, double *excluded,
                         unsigned *empty, unsigned *runs)
{
    const json_t *run;
    size_t i;

    *n = INFINITY;
    *excluded = 0;
    *empty = *runs = 0;
    json_array_foreach(json_object_get(x, "runs"), i, run) {
        double v[MAX_SAMPLES], ex = metric(run, "excluded");

        if (!ok_run(run))
            continue;
        if (json_object_get(json_object_get(run, "samples"), "ns_per_op")) {
            size_t k = samples(run, "ns_per_op", 1, v);

            *n = fmin(*n, (double)k);
            *empty += k == 0;
            (*runs)++;
        }
        if (!isnan(ex))
            *excluded += ex;
    }
}

/* Whether an answer in UNIT is a time, which contamination spoils (waste,
 * failures and orders are the same however busy the machine was). */
static bool timed_unit(const char *unit)
{
    static const char *const timed[] = { "ns/op", "ns/page", "Mops/s", "x" };

    for (size_t i = 0; unit && i < sizeof timed / sizeof timed[0]; i++)
        if (strcmp(unit, timed[i]) == 0)
            return true;
    return false;
}

/*
 * What every answer carries for the answers array (architecture.md): its
 * question and id, value and interval, unit, n, resolvable; and how many
 * repetitions were left out, said in its text too. An answer whose
 * interval rests on fewer than ANSWER_MIN_CLEAN clean repetitions a side
 * says it is unreliable on this machine instead of printing the interval.
 */
static void finish_answer(json_t *x)
{
    json_t *ans = json_object_get(x, "answer"), *ci;
    const char *label = json_string_value(json_object_get(x, "label"));
    char text[ANSWER_TEXT_MAX + 200];
    double n, excluded;
    unsigned empty, runs;
    bool unreliable, timed;

    clean_counts(x, &n, &excluded, &empty, &runs);
    if (!json_is_object(ans)) {
        /* Runs that all lost every repetition are not failures: say which. */
        set_answer(x, NAN, empty > 0 ? "ns/op" : "", NULL,
                   "not measured: no run of it succeeded");
        ans = json_object_get(x, "answer");
        json_object_set_new(ans, "unreliable", json_true());
    }
    timed = timed_unit(json_string_value(json_object_get(ans, "unit")));
    if (!timed)
        n = NAN;   /* not a repeated time: contamination does not apply */
    if (json_is_number(json_object_get(ans, "n")))
        n = json_number_value(json_object_get(ans, "n"));
    if (json_is_number(json_object_get(ans, "excluded")))
        excluded = json_number_value(json_object_get(ans, "excluded"));
    ci = json_object_get(ans, "ci95");
    unreliable = json_is_true(json_object_get(ans, "unreliable")) ||
                 (json_is_array(ci) && n < ANSWER_MIN_CLEAN) ||
                 (timed && empty > 0 && !json_is_number(json_object_get(ans,
                                                                  "n")));
    snprintf(text, sizeof text, "%s",
             json_string_value(json_object_get(ans, "text")));
    /* A run with no clean repetition has no time: its number would read
     * nan or flatter, so the answer says what happened instead. */
    if (timed && empty > 0 && !json_is_number(json_object_get(ans, "n"))) {
        const json_t *host_len = json_object_get(ans, "host_len");
        char priced[ANSWER_TEXT_MAX] = "";

        /* the priced part (after the host part and "; ") still holds */
        if (json_is_integer(host_len) &&
            (size_t)json_integer_value(host_len) + 2 < strlen(text))
            snprintf(priced, sizeof priced, "; %s",
                     text + json_integer_value(host_len) + 2);
        snprintf(text, sizeof text, "%s: unreliable on this machine: %u of "
                 "%u runs kept no clean repetition (%.0f passes lost the "
                 "CPU)%s", json_string_value(json_object_get(x, "name")),
                 empty, runs, excluded, priced);
        if (json_is_integer(host_len))
            json_object_set_new(ans, "host_len", json_integer(
                (json_int_t)(strlen(text) - strlen(priced))));
        json_object_set_new(ans, "value", json_null());
        json_object_set_new(ans, "ci95", json_null());
        n = 0;
    } else if (unreliable && isfinite(n)) {
        json_object_set_new(ans, "ci95", json_null());
        if (json_is_array(ci))
            json_object_set_new(ans, "value", json_null());
        snprintf(text + strlen(text), sizeof text - strlen(text),
                 excluded > 0 ? ": unreliable on this machine (%.0f clean "
                 "repetitions, %.0f lost the CPU)" : ": too few repetitions "
                 "for an interval (%.0f)", n, excluded);
    } else if (isfinite(n)) {
        snprintf(text + strlen(text), sizeof text - strlen(text),
                 "; n=%.0f, %.0f excluded", n, excluded);
    }
    json_object_set_new(ans, "text", json_string(text));
    ci = json_object_get(ans, "ci95");
    json_object_set_new(ans, "question", json_string(label ? label : ""));
    json_object_set(ans, "id", json_object_get(x, "name"));
    json_object_set_new(ans, "ci_low", json_is_array(ci) ?
                        json_deep_copy(json_array_get(ci, 0)) : json_null());
    json_object_set_new(ans, "ci_high", json_is_array(ci) ?
                        json_deep_copy(json_array_get(ci, 1)) : json_null());
    json_object_set_new(ans, "n", num_or_null(n));
    json_object_set_new(ans, "excluded", json_real(excluded));
    json_object_set_new(ans, "unreliable", json_boolean(unreliable));
    /* Resolvable: what it says is not below the instrument's resolution
     * nor lost to too few clean repetitions. */
    if (!json_object_get(ans, "resolvable"))
        json_object_set_new(ans, "resolvable", json_boolean(!unreliable));
}

json_t *answers_list(const json_t *experiments)
{
    json_t *all = json_array(), *ans;
    const json_t *x;
    size_t i;

    json_array_foreach(experiments, i, x)
        if (json_is_object(ans = json_object_get(x, "answer")))
            json_array_append(all, ans);   /* the same object: one source */
    return all;
}

void answers_experiment(json_t *x, json_t *experiments, const char *dir)
{
    const char *fig = figure_of(x);

    json_object_set_new(x, "figure", fig ? json_string(fig) : json_null());
    json_object_set_new(x, "answer", json_null());   /* made afresh */
    if (!first_run(x)) {
        finish_answer(x);
        return;
    }
    switch (question(x)) {
    case 1: answer_q1(x); break;
    case 2: answer_q2(x); break;
    case 3: answer_q3(x); break;
    case 4: answer_q4(x); break;
    case 5: answer_q5(x); break;
    case 6: answer_q6(x); break;
    case 7: answer_q7(x); break;
    case 8: answer_q8(x); break;
    case 9: answer_q9(x); break;
    default:
        if (labelled(x, "thread-scaling"))
            answer_scaling(x);
        else
            answer_generic(x);
    }
    finish_answer(x);
    answers_figures(experiments, dir);
}
