/*
 * From runs to figures and answers. A run (docs/results.md) carries the
 * point's coordinates (backend, page size, threads, flush peers, sweep
 * values, workload, model), its samples (one value per repetition) and
 * its metrics. Each figure of docs/figures.md is built from every run of
 * the experiments that serve its question; each experiment gets one answer
 * line, the number a reviewer would ask for, with its 95% interval.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/report/answers.h"
#include "drivers/measure/stats.h"
#include "workloads/gen.h"

#define MAX_SAMPLES  256
#define MAX_X        64
#define MAX_SERIES   24
#define NAME_LEN     64
#define MAX_ORDERS   64
#define MAX_ROUNDS   1024   /* aging probe rounds kept for q4_fragmentation */
#define MIB          (1024.0 * 1024.0)
/* Fewer clean repetitions a side than this and an answer has no interval
 * worth printing: it says it is unreliable on this machine instead. Five
 * is the fewest the issue allows; a median's exact 95% interval needs 6,
 * which the suite's alternated points get (rounds.h). */
#define ANSWER_MIN_CLEAN 5

/* The instrument's resolution (answers_resolution), for the answers. */
static json_t *the_resolution;

/* ---- reading what a child wrote ---- */

static double jnum(const json_t *o)
{
    return json_is_number(o) ? json_number_value(o) : NAN;
}

/* The number at a dotted path such as "memory.waste_ratio"; NaN if none. */
static double jpath(const json_t *o, const char *path)
{
    char key[NAME_LEN];

    while (o && *path) {
        size_t n = strcspn(path, ".");

        snprintf(key, sizeof key, "%.*s", (int)n, path);
        o = json_object_get(o, key);
        path += n + (path[n] == '.');
    }
    return jnum(o);
}

static void put_metric(json_t *m, const char *name, double v)
{
    json_object_set_new(m, name, isnan(v) ? json_null() : json_real(v));
}

/* An alternated run (alternate.h): the paired difference of each other
 * side against this run's backend, and how many rounds were left out. */
static void collect_alternation(json_t *metrics, const json_t *alt)
{
    const json_t *side, *d;
    json_t *out;
    size_t i;

    if (!json_is_object(alt))
        return;
    json_array_foreach(json_object_get(alt, "sides"), i, side) {
        if (i == 0 || !(d = json_object_get(side, "difference")))
            continue;
        out = json_pack("{s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O}",
                        "against", json_object_get(side, "backend"),
                        "estimate", json_object_get(d, "estimate"),
                        "ci_low", json_object_get(d, "ci_low"),
                        "ci_high", json_object_get(d, "ci_high"),
                        "level", json_object_get(d, "level"),
                        "n", json_object_get(d, "n"),
                        "excluded", json_object_get(alt, "rounds_excluded"),
                        "target_reached", json_object_get(alt,
                                                          "target_reached"),
                        "against_median", json_object_get(side, "median"));
        if (out)
            json_object_set_new(metrics, "alternation", out);
        return;   /* the suite alternates two sides */
    }
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
    size_t i;

    /* A repetition that lost the CPU (clean.h) is no sample. */
    json_array_foreach(reps, i, rep)
        if (json_is_number(json_object_get(rep, "ns_per_op")) &&
            !json_is_true(json_object_get(rep, "contaminated")))
            json_array_append(ns, json_object_get(rep, "ns_per_op"));
    json_object_set_new(samples, "ns_per_op", ns);
    for (i = 0; i < sizeof keep / sizeof keep[0]; i++)
        put_metric(metrics, keep[i].name, jpath(j, keep[i].path));
    put_metric(metrics, "excluded", jpath(j, "excluded_repetitions"));
    collect_alternation(metrics, json_object_get(j, "alternation"));
    json_object_set(metrics, "counters", json_object_get(j, "counters"));
    json_object_set_new(run, "samples", samples);
    json_object_set_new(run, "metrics", metrics);
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
    unsigned rounds;
};

static int count_probes(const char *path, bool csv, struct probes *pr)
{
    FILE *f = fopen(path, "r");
    char line[512];

    if (!f)
        return -1;
    while (fgets(line, sizeof line, f)) {
        unsigned long long id, round;
        unsigned order;
        int ok = csv ? sscanf(line, "%llu,", &id)
                     : sscanf(line, "a %llu ", &id);

        if (ok != 1 || id < GEN_PROBE_ID_BASE)
            continue;
        round = (id - GEN_PROBE_ID_BASE) / 100;
        order = (unsigned)((id - GEN_PROBE_ID_BASE) % 100 % MAX_ORDERS);
        if (!csv) {
            pr->asked[order]++;
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
    json_t *orders = json_array(), *rounds = json_array();
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
        return -1;
    }
    for (int o = 0; o < MAX_ORDERS; o++)
        if (pr->asked[o])
            json_array_append_new(orders, json_pack("{s:i, s:I, s:I}",
                                  "order", o, "asked", (json_int_t)pr->asked[o],
                                  "got", (json_int_t)pr->got[o]));
    for (unsigned r = 0; r < pr->rounds; r++)
        json_array_append_new(rounds, json_integer(pr->best[r]));
    json_object_set_new(metrics, "probes", orders);
    json_object_set_new(metrics, "largest_order_by_round", rounds);
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

/* ---- a run's coordinates and values ---- */

static const char *rstr(const json_t *run, const char *key)
{
    const char *s = json_string_value(json_object_get(run, key));

    return s ? s : "";
}

static double sweep(const json_t *run, const char *key)
{
    return jnum(json_object_get(json_object_get(run, "sweep"), key));
}

static double metric(const json_t *run, const char *key)
{
    return jnum(json_object_get(json_object_get(run, "metrics"), key));
}

static const char *workload_name(const json_t *run)
{
    const char *s = json_string_value(
        json_object_get(json_object_get(run, "workload"), "name"));

    return s ? s : "";
}

/* The repetitions of a sample metric, times SCALE; returns how many. */
static size_t samples(const json_t *run, const char *key, double scale,
                      double *out)
{
    json_t *a = json_object_get(json_object_get(run, "samples"), key), *v;
    size_t i, n = 0;

    json_array_foreach(a, i, v)
        if (n < MAX_SAMPLES && json_is_number(v))
            out[n++] = json_number_value(v) * scale;
    return n;
}

static bool ok_run(const json_t *run)
{
    return !json_object_get(run, "error");
}

static double median_of(const json_t *run, const char *key)
{
    double v[MAX_SAMPLES];
    size_t n = samples(run, key, 1, v);

    return n ? stats_median(v, n) : NAN;
}

/* ---- figures ---- */

struct cell {
    bool set;
    double v, lo, hi;
};

struct fig {
    const char *name;
    bool label_x;
    size_t nx, ns;
    double x[MAX_X];
    char xl[MAX_X][NAME_LEN];
    char s[MAX_SERIES][NAME_LEN];
    struct cell c[MAX_X][MAX_SERIES];
};

static size_t fig_x(struct fig *f, double x, const char *label)
{
    for (size_t i = 0; i < f->nx; i++)
        if (f->label_x ? strcmp(f->xl[i], label) == 0 : f->x[i] == x)
            return i;
    if (f->nx == MAX_X)
        return MAX_X;
    f->x[f->nx] = x;
    snprintf(f->xl[f->nx], NAME_LEN, "%s", label ? label : "");
    return f->nx++;
}

static size_t fig_series(struct fig *f, const char *name)
{
    for (size_t i = 0; i < f->ns; i++)
        if (strcmp(f->s[i], name) == 0)
            return i;
    if (f->ns == MAX_SERIES)
        return MAX_SERIES;
    snprintf(f->s[f->ns], NAME_LEN, "%s", name);
    return f->ns++;
}

static void fig_put(struct fig *f, double x, const char *label,
                    const char *series, double v, double lo, double hi)
{
    size_t i = fig_x(f, x, label), k = fig_series(f, series);

    if (i == MAX_X || k == MAX_SERIES || isnan(v))
        return;
    f->c[i][k] = (struct cell){ true, v, lo, hi };
}

/* The median of the repetitions with its interval (stats_median_ci). */
static void fig_samples(struct fig *f, double x, const char *label,
                        const char *series, const double *v, size_t n)
{
    struct stats_interval ci;

    if (!n || stats_median_ci(v, n, STATS_LEVEL95, &ci) != 0)
        return;
    fig_put(f, x, label, series, ci.estimate, ci.lo, ci.hi);
}

static int by_x(const void *a, const void *b, void *fp)
{
    const struct fig *f = fp;
    double xa = f->x[*(const size_t *)a], xb = f->x[*(const size_t *)b];

    return (xa > xb) - (xa < xb);
}

static void put_num(FILE *o, double v)
{
    if (isnan(v))
        fputs(",NaN", o);
    else
        fprintf(o, ",%.6g", v);
}

/* Writes DIR/<name>.csv as docs/figures.md says, or nothing when empty. */
static void fig_write(const struct fig *f, const char *dir)
{
    char path[4096], tmp[4100];
    size_t order[MAX_X];
    FILE *o;

    if (!f->nx || !f->ns)
        return;
    for (size_t i = 0; i < f->nx; i++)
        order[i] = i;
    if (!f->label_x)
        qsort_r(order, f->nx, sizeof order[0], by_x, (void *)f);
    snprintf(path, sizeof path, "%s/%s.csv", dir, f->name);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    o = fopen(tmp, "w");
    if (!o)
        return;
    fputs("x", o);
    for (size_t k = 0; k < f->ns; k++)
        fprintf(o, ",%s,%s_lo,%s_hi", f->s[k], f->s[k], f->s[k]);
    fputc('\n', o);
    for (size_t r = 0; r < f->nx; r++) {
        size_t i = order[r];

        if (f->label_x)
            fputs(f->xl[i], o);
        else
            fprintf(o, "%.6g", f->x[i]);
        for (size_t k = 0; k < f->ns; k++) {
            const struct cell *c = &f->c[i][k];

            put_num(o, c->set ? c->v : NAN);
            put_num(o, c->set ? c->lo : NAN);
            put_num(o, c->set ? c->hi : NAN);
        }
        fputc('\n', o);
    }
    if (fclose(o) == 0)
        rename(tmp, path);
}

/* ---- which experiment serves which figure ---- */

static unsigned question(const json_t *x)
{
    return (unsigned)json_integer_value(json_object_get(x, "question"));
}

static bool labelled(const json_t *x, const char *label)
{
    const char *l = json_string_value(json_object_get(x, "label"));

    return l && strcmp(l, label) == 0;
}

/* The first run of X, for what its runs share. */
static const json_t *first_run(const json_t *x)
{
    return json_array_get(json_object_get(x, "runs"), 0);
}

static bool sweeps(const json_t *x, const char *key)
{
    return !isnan(sweep(first_run(x), key));
}

static bool is_workload(const json_t *x, const char *name)
{
    return strcmp(workload_name(first_run(x)), name) == 0;
}

/* The figure experiment X draws into, or NULL. */
static const char *figure_of(const json_t *x)
{
    switch (question(x)) {
    case 1: return sweeps(x, "size") ? "q1_small_cost" : NULL;
    case 2: return is_workload(x, "pairs") ? "q2_vmalloc_cost" : NULL;
    case 3: return sweeps(x, "size") ? "q3_waste" : NULL;
    case 4: return "q4_contig";
    case 5: return "q5_xenheap";
    case 6: return is_workload(x, "mixed") ? "q6_waste" : "q6_page_size";
    case 7: return "q7_directmap";
    case 8: return "q8_lifetime";
    case 9: return "q9_access";
    }
    if (labelled(x, "baselines"))
        return "baselines";
    if (labelled(x, "thread-scaling"))
        return "scaling";
    return NULL;
}

/* Whether X draws into FIG: its own figure, and for the aging probe of
 * question 4 the largest-order-by-round figure too. */
static bool serves(const json_t *x, const char *fig)
{
    const char *name = figure_of(x);

    if (question(x) == 4 && strcmp(fig, "q4_fragmentation") == 0)
        return true;
    return name && strcmp(name, fig) == 0;
}

/* Adds one run of X to its figure. */
static void draw_run(struct fig *f, const json_t *x, const json_t *run)
{
    double v[MAX_SAMPLES], page = jnum(json_object_get(run, "page_size"));
    const char *b = rstr(run, "backend");
    char series[NAME_LEN];
    size_t n;

    if (strcmp(f->name, "q1_small_cost") == 0) {
        n = samples(run, "ns_per_op", 1, v);
        fig_samples(f, sweep(run, "size"), NULL, b, v, n);
    } else if (strcmp(f->name, "q2_vmalloc_cost") == 0) {
        double pages = jpath(run, "workload.size") / page;
        int peers = (int)jnum(json_object_get(run, "flush_peers"));

        /* A pair is two events: the cost of one page of vmalloc + vfree. */
        n = samples(run, "ns_per_op", 2 / pages, v);
        snprintf(series, sizeof series, "%s flush (%d peer%s)",
                 json_string_value(json_object_get(
                     json_object_get(run, "model"), "flush")),
                 peers, peers == 1 ? "" : "s");
        fig_samples(f, pages, NULL, series, v, n);
    } else if (strcmp(f->name, "q3_waste") == 0 ||
               strcmp(f->name, "q6_waste") == 0) {
        double w = metric(run, "waste_ratio"),
               x_ = f->name[1] == '3' ? sweep(run, "size") : page / 1024;

        fig_put(f, x_, NULL, b, w, w, w);
    } else if (strcmp(f->name, "q4_fragmentation") == 0) {
        json_t *best, *rounds = json_object_get(json_object_get(run, "metrics"),
                                                "largest_order_by_round");
        size_t i;

        json_array_foreach(rounds, i, best)
            fig_put(f, (double)i + 1, NULL, b, jnum(best), jnum(best),
                    jnum(best));
    } else if (strcmp(f->name, "q4_contig") == 0) {
        json_t *p, *probes = json_object_get(json_object_get(run, "metrics"),
                                             "probes");
        size_t i;

        json_array_foreach(probes, i, p) {
            double asked = jpath(p, "asked"), got = jpath(p, "got");

            fig_put(f, jpath(p, "order"), NULL, b, 100 * got / asked,
                    100 * got / asked, 100 * got / asked);
        }
    } else if (strcmp(f->name, "q5_xenheap") == 0) {
        double pct = 100 * metric(run, "failed") /
                     (metric(run, "allocs") + metric(run, "reallocs"));

        fig_put(f, sweep(run, "xenheap") / MIB, NULL, b, pct, pct, pct);
    } else if (strcmp(f->name, "q6_page_size") == 0) {
        n = samples(run, "ns_per_op", 1, v);
        snprintf(series, sizeof series, "%s (%s)", b, workload_name(run));
        fig_samples(f, page / 1024, NULL, series, v, n);
    } else if (strcmp(f->name, "q7_directmap") == 0) {
        bool on = json_is_true(json_object_get(json_object_get(run, "model"),
                                               "directmap"));

        n = samples(run, "ns_per_op", 1, v);
        fig_samples(f, 0, on ? "directmap on" : "directmap off", b, v, n);
    } else if (strcmp(f->name, "q8_lifetime") == 0 ||
               strcmp(f->name, "baselines") == 0) {
        n = samples(run, "ns_per_op", 1, v);
        fig_samples(f, 0, workload_name(run), b, v, n);
    } else if (strcmp(f->name, "q9_access") == 0) {
        double ws = jpath(run, "workload.working_set") / MIB;
        double tlb = metric(run, "dtlb_misses_per_access");

        snprintf(series, sizeof series, "%s (%s)", b,
                 json_string_value(json_object_get(
                     json_object_get(run, "metrics"), "region")));
        fig_put(f, ws, NULL, series, metric(run, "ns_per_access"),
                metric(run, "ns_per_access_min"),
                metric(run, "ns_per_access_max"));
        snprintf(series, sizeof series, "%s dTLB misses/access", b);
        fig_put(f, ws, NULL, series, tlb, tlb, tlb);
    } else if (strcmp(f->name, "scaling") == 0) {
        double threads = jnum(json_object_get(run, "threads"));

        /* ns_per_op is wall time per event: all threads together. */
        n = samples(run, "ns_per_op", 1, v);
        for (size_t i = 0; i < n; i++)
            v[i] = 1000 / v[i];
        fig_samples(f, threads, NULL, b, v, n);
    }
}

/* q1: the difference xvmalloc - xmalloc at each size, bootstrapped. */
static bool paired(const json_t *run, struct stats_interval *ci, double *n,
                   double *excluded);

static void draw_q1_difference(struct fig *f, const json_t *exps)
{
    const json_t *x, *ra, *rb;
    size_t i, j, k;

    json_array_foreach(exps, i, x) {
        if (!figure_of(x) || strcmp(figure_of(x), f->name) != 0)
            continue;
        json_array_foreach(json_object_get(x, "runs"), j, ra) {
            struct stats_interval pd;
            double pn, pex;

            if (strcmp(rstr(ra, "backend"), "xmalloc") != 0 || !ok_run(ra))
                continue;
            if (paired(ra, &pd, &pn, &pex)) {   /* alternated: the answer's */
                if (pn > 0)
                    fig_put(f, sweep(ra, "size"), NULL, "xvmalloc - xmalloc",
                            pd.estimate, pd.lo, pd.hi);
                continue;
            }
            json_array_foreach(json_object_get(x, "runs"), k, rb) {
                double a[MAX_SAMPLES], b[MAX_SAMPLES];
                struct stats_interval ci;
                size_t na, nb;

                if (strcmp(rstr(rb, "backend"), "xvmalloc") != 0 ||
                    sweep(ra, "size") != sweep(rb, "size") || !ok_run(rb))
                    continue;
                na = samples(ra, "ns_per_op", 1, a);
                nb = samples(rb, "ns_per_op", 1, b);
                if (na && nb &&
                    stats_boot_median_diff(a, na, b, nb, STATS_LEVEL95,
                                           STATS_BOOT_RESAMPLES,
                                           STATS_BOOT_SEED, &ci) == 0)
                    fig_put(f, sweep(ra, "size"), NULL, "xvmalloc - xmalloc",
                            ci.estimate, ci.lo, ci.hi);
            }
        }
    }
}

static const struct { const char *name; bool label_x; } figures[] = {
    { "q1_small_cost", false }, { "q2_vmalloc_cost", false },
    { "q3_waste", false }, { "q4_contig", false },
    { "q4_fragmentation", false }, { "q5_xenheap", false },
    { "q6_page_size", false }, { "q6_waste", false },
    { "q7_directmap", true }, { "q8_lifetime", true }, { "q9_access", false },
    { "baselines", true }, { "scaling", false },
};

void answers_figures(json_t *experiments, const char *dir)
{
    struct fig *f = malloc(sizeof *f);

    if (!f)
        return;
    for (size_t n = 0; n < sizeof figures / sizeof figures[0]; n++) {
        const json_t *x, *run;
        size_t i, j;

        memset(f, 0, sizeof *f);
        f->name = figures[n].name;
        f->label_x = figures[n].label_x;
        json_array_foreach(experiments, i, x) {
            if (!serves(x, f->name))
                continue;
            json_array_foreach(json_object_get(x, "runs"), j, run)
                if (ok_run(run))
                    draw_run(f, x, run);
        }
        if (n == 0)
            draw_q1_difference(f, experiments);
        fig_write(f, dir);
    }
    free(f);
}

/* ---- answers ---- */

static void set_answer(json_t *x, double value, const char *unit,
                       const struct stats_interval *ci, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void set_answer(json_t *x, double value, const char *unit,
                       const struct stats_interval *ci, const char *fmt, ...)
{
    char text[512];
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
    double a[MAX_SAMPLES], b[MAX_SAMPLES];
    size_t na = ra ? samples(ra, "ns_per_op", 1, a) : 0;
    size_t nb = rb ? samples(rb, "ns_per_op", 1, b) : 0;

    if (!na || !nb)
        return -1;
    return stats_boot_median_diff(a, na, b, nb, STATS_LEVEL95,
                                  STATS_BOOT_RESAMPLES, STATS_BOOT_SEED, ci);
}

static int ratio(const json_t *ra, const json_t *rb, struct stats_interval *ci)
{
    double a[MAX_SAMPLES], b[MAX_SAMPLES];
    size_t na = ra ? samples(ra, "ns_per_op", 1, a) : 0;
    size_t nb = rb ? samples(rb, "ns_per_op", 1, b) : 0;

    if (!na || !nb)
        return -1;
    if (stats_boot_median_rel(a, na, b, nb, STATS_LEVEL95,
                              STATS_BOOT_RESAMPLES, STATS_BOOT_SEED, ci) != 0)
        return -1;
    ci->estimate += 1;
    ci->lo += 1;
    ci->hi += 1;
    return 0;
}

static void answer_generic(json_t *x)
{
    char list[400];

    list_medians(x, list, sizeof list);
    set_answer(x, NAN, "ns/op", NULL, "%s: %s ns/op",
               workload_name(first_run(x)), list[0] ? list : "no data");
}

/* ---- Q1: paired differences from the alternated runs ---- */

/* The resolution of this run (rounds.h), or NaN while none is known. */
static double resolution_ns(void)
{
    return jnum(json_object_get(the_resolution, "resolution_ns"));
}

/* The paired difference an alternated run measured (alternate.h). */
static bool paired(const json_t *run, struct stats_interval *ci, double *n,
                   double *excluded)
{
    const json_t *alt = json_object_get(json_object_get(run, "metrics"),
                                        "alternation");

    if (!json_is_object(alt))
        return false;
    ci->estimate = jnum(json_object_get(alt, "estimate"));
    ci->lo = jnum(json_object_get(alt, "ci_low"));
    ci->hi = jnum(json_object_get(alt, "ci_high"));
    ci->level = jnum(json_object_get(alt, "level"));
    *n = jnum(json_object_get(alt, "n"));
    *excluded = jnum(json_object_get(alt, "excluded"));
    if (isnan(ci->lo) || isnan(ci->hi))
        *n = 0;   /* no interval: unreliable, whatever the estimate */
    return true;
}

/* Whether a difference is at least the resolution: unknown counts as
 * resolvable (the interval then speaks alone). */
static bool resolvable(double estimate)
{
    double res = resolution_ns();

    return isnan(res) || fabs(estimate) >= res;
}

/* One size of q1-pairs: "64 B +1.2 [0.8..1.6]" or "64 B below 0.5". */
static void q1_part(json_t *parts, double size, const struct stats_interval *ci,
                    double n, bool ok, char *out, size_t len)
{
    bool res = ok && resolvable(ci->estimate);
    char label[32];

    snprintf(label, sizeof label, "%.0f B", size);
    if (!ok)
        snprintf(out, len, "%s unreliable", label);
    else if (!res)
        snprintf(out, len, "%s below %.2g", label, resolution_ns());
    else
        snprintf(out, len, "%s %+.2f [%.2f..%.2f]", label, ci->estimate,
                 ci->lo, ci->hi);
    json_array_append_new(parts, json_pack(
        "{s:s, s:o, s:o, s:o, s:o, s:b, s:b, s:o}", "label", label,
        "value", ok ? json_real(ci->estimate) : json_null(),
        "ci_low", ok && res ? json_real(ci->lo) : json_null(),
        "ci_high", ok && res ? json_real(ci->hi) : json_null(),
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
        else if (!resolvable(ci.estimate))
            set_answer(x, ci.estimate, "ns/op", NULL, "on %s, xvmalloc - "
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

/* The three flush rules side by side, without and with flushing peers. */
static void answer_q2_policy(json_t *x)
{
    static const char *const rules[] = { "page", "range", "lazy" };
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
        for (size_t r = 0; r < 3; r++)
            json_array_foreach(json_object_get(x, "runs"), i, run) {
                if (!ok_run(run) || !policy_peers(run, peers ? most : 0) ||
                    strcmp(rstr(json_object_get(run, "model"), "flush"),
                           rules[r]) != 0 || at >= sizeof list)
                    continue;
                at += (size_t)snprintf(list + at, sizeof list - at,
                                       "%s%s%s %.0f", at ? ", " : "",
                                       r == 0 && peers ? "with peers: " : "",
                                       rules[r], 2 * median_of(run,
                                       "ns_per_op") / pages);
            }
    set_answer(x, NAN, "ns/page", NULL, "%.0f-page vmalloc+vfree, ns per "
               "page by flush rule: %s", pages, list);
}

/* vmalloc + vfree per page at the smallest and largest size, no peers. */
static void answer_q2(json_t *x)
{
    double smallest = INFINITY, largest = 0, peers = 0;
    const json_t *run, *s, *l, *lp;
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
    set_answer(x, 2 * median_of(l, "ns_per_op") / largest, "ns/page", NULL,
               "vmalloc+vfree costs %.0f ns/page at %.0f page%s, %.0f at %.0f "
               "(%s flush)%s%.0f%s", 2 * median_of(s, "ns_per_op") / smallest,
               smallest, smallest == 1 ? "" : "s",
               2 * median_of(l, "ns_per_op") / largest, largest,
               rstr(json_object_get(l, "model"), "flush"),
               lp && peers ? "; with peers flushing: " : "",
               lp && peers ? 2 * median_of(lp, "ns_per_op") / largest : 0,
               lp && peers ? " ns/page" : "");
}

/* Below this every page-granular path wastes most of a page, by design;
 * the question is about odd sizes above it. */
#define Q3_FROM_BYTES 1000

/* Each path's worst waste over the sizes swept, and where. */
static void answer_q3_sweep(json_t *x)
{
    static const char *const paths[] = { "pages", "xmalloc", "vmalloc",
                                         "xvmalloc" };
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
        if (worst >= 0 && at < sizeof list)
            at += (size_t)snprintf(list + at, sizeof list - at,
                                   "%s%s %.0f%% at %.0f B", at ? ", " : "",
                                   paths[p], 100 * worst, where);
    }
    set_answer(x, NAN, "%", NULL, "worst waste from %d B up (frames held / "
               "bytes asked - 1): %s", Q3_FROM_BYTES, list);
}

static void answer_q3(json_t *x)
{
    static const char *const paths[] = { "pages", "xmalloc", "vmalloc",
                                         "xvmalloc" };
    char list[300];
    size_t at = 0;

    if (sweeps(x, "size")) {
        answer_q3_sweep(x);
        return;
    }
    list[0] = 0;
    for (size_t i = 0; i < 4; i++) {
        const json_t *r = find_run(x, paths[i], NULL, 0);

        if (r && at < sizeof list)
            at += (size_t)snprintf(list + at, sizeof list - at, "%s%s %.0f%%",
                                   at ? ", " : "", paths[i],
                                   100 * metric(r, "waste_ratio"));
    }
    set_answer(x, NAN, "%", NULL, "on %s: waste %s",
               workload_name(first_run(x)), list);
}

/* The highest order each backend still gets at least half the time. */
static void answer_q4(json_t *x)
{
    char list[300];
    const json_t *run;
    size_t i, at = 0;

    list[0] = 0;
    json_array_foreach(json_object_get(x, "runs"), i, run) {
        json_t *p, *probes = json_object_get(json_object_get(run, "metrics"),
                                             "probes");
        int best = -1;
        size_t k;

        json_array_foreach(probes, k, p)
            if (2 * jpath(p, "got") >= jpath(p, "asked"))
                best = (int)jpath(p, "order");
        if (ok_run(run) && at < sizeof list)
            at += (size_t)snprintf(list + at, sizeof list - at, "%s%s %d",
                                   at ? ", " : "", rstr(run, "backend"), best);
    }
    set_answer(x, NAN, "order", NULL, "after aging, the highest order that "
               "succeeds at least half the time: %s", list);
}

static void answer_q5(json_t *x)
{
    double smallest = INFINITY;
    char list[300];
    const json_t *run;
    size_t i, at = 0;

    json_array_foreach(json_object_get(x, "runs"), i, run)
        smallest = fmin(smallest, sweep(run, "xenheap"));
    list[0] = 0;
    json_array_foreach(json_object_get(x, "runs"), i, run) {
        double pct = 100 * metric(run, "failed") /
                     (metric(run, "allocs") + metric(run, "reallocs"));

        if (ok_run(run) && sweep(run, "xenheap") == smallest && at < sizeof list)
            at += (size_t)snprintf(list + at, sizeof list - at, "%s%s %.2f%%",
                                   at ? ", " : "", rstr(run, "backend"), pct);
    }
    set_answer(x, NAN, "%", NULL, "with a %.0f MiB xenheap, allocations that "
               "fail: %s", smallest / MIB, list);
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

/* Waste at each page size, backend by backend. */
static void answer_q6_waste(json_t *x)
{
    char list[400];
    const json_t *run, *other;
    size_t i, j, at = 0;

    list[0] = 0;
    json_array_foreach(json_object_get(x, "runs"), i, run) {
        if (!ok_run(run) || !at_page(run, 4096) || at >= sizeof list)
            continue;
        at += (size_t)snprintf(list + at, sizeof list - at, "%s%s",
                               at ? "; " : "", rstr(run, "backend"));
        json_array_foreach(json_object_get(x, "runs"), j, other)
            if (ok_run(other) && at < sizeof list &&
                strcmp(rstr(other, "backend"), rstr(run, "backend")) == 0)
                at += (size_t)snprintf(list + at, sizeof list - at,
                                       " %.0f%% (%.0fK)",
                                       100 * metric(other, "waste_ratio"),
                                       jnum(json_object_get(other,
                                                            "page_size")) / 1024);
    }
    set_answer(x, NAN, "%", NULL, "waste by page size on %s: %s",
               workload_name(first_run(x)), list);
}

static void answer_q6(json_t *x)
{
    const char *b = rstr(first_run(x), "backend");

    if (is_workload(x, "mixed")) {
        answer_q6_waste(x);
        return;
    }

    answer_ratio(x, "xvmalloc", find_run(x, "xvmalloc", at_page, 4096),
                 find_run(x, "xvmalloc", at_page, 65536),
                 "64K pages against 4K");
    if (!json_object_get(x, "answer") || json_is_null(json_object_get(x, "answer")))
        answer_ratio(x, b, find_run(x, b, at_page, 4096),
                     find_run(x, b, at_page, 65536), "64K pages against 4K");
}

static void answer_q7(json_t *x)
{
    answer_ratio(x, "xmalloc", find_run(x, "xmalloc", directmap_on, 0),
                 find_run(x, "xmalloc", directmap_off, 0),
                 "without a directmap");
}

static void answer_q9(json_t *x)
{
    double largest = 0;
    const json_t *run, *v = NULL, *d = NULL;
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
    if (v && d)
        set_answer(x, metric(v, "ns_per_access") / metric(d, "ns_per_access"),
                   "x", NULL, "at %.0f MiB a vmalloc'd access costs %.1f ns "
                   "against %.1f ns through the directmap (%+.0f%%)",
                   largest / MIB, metric(v, "ns_per_access"),
                   metric(d, "ns_per_access"),
                   100 * (metric(v, "ns_per_access") /
                          metric(d, "ns_per_access") - 1));
}

static bool at_threads_one(const json_t *run, double one)
{
    return jnum(json_object_get(run, "threads")) == one;
}

static void answer_scaling(json_t *x)
{
    double most = 0;
    char list[400];
    const json_t *run;
    size_t i, at = 0;

    json_array_foreach(json_object_get(x, "runs"), i, run)
        most = fmax(most, jnum(json_object_get(run, "threads")));
    list[0] = 0;
    json_array_foreach(json_object_get(x, "runs"), i, run) {
        const json_t *one;

        if (!ok_run(run) || jnum(json_object_get(run, "threads")) != most)
            continue;
        one = find_run(x, rstr(run, "backend"), at_threads_one, 1);
        if (one && at < sizeof list)
            at += (size_t)snprintf(list + at, sizeof list - at,
                                   "%s%s %.1f -> %.1f", at ? ", " : "",
                                   rstr(run, "backend"),
                                   1000 / median_of(one, "ns_per_op"),
                                   1000 / median_of(run, "ns_per_op"));
    }
    set_answer(x, NAN, "Mops/s", NULL, "Mops/s from 1 to %.0f threads: %s",
               most, list);
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

static json_t *num_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
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
    char text[700];
    double n, excluded;
    unsigned empty, runs;
    bool unreliable, timed;

    if (!json_is_object(ans)) {
        set_answer(x, NAN, "", NULL, "not measured: no run of it succeeded");
        ans = json_object_get(x, "answer");
        json_object_set_new(ans, "unreliable", json_true());
    }
    clean_counts(x, &n, &excluded, &empty, &runs);
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
        snprintf(text, sizeof text, "%s: unreliable on this machine: %u of "
                 "%u runs kept no clean repetition (%.0f passes lost the "
                 "CPU)", json_string_value(json_object_get(x, "name")),
                 empty, runs, excluded);
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
