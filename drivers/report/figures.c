/*
 * The figures' registry and their CSVs. Each row of `figures` says what a
 * figure is called, which question it answers, which experiments draw into
 * it and how one run of theirs becomes points; report.c draws and
 * captions the figures in the table's order. A figure's CSV (docs/figures.md)
 * is x, then value,lo,hi for each series, one row per x.
 */
#include "drivers/report/figures.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/report/run_json.h"

#define MAX_X        64     /* x values of one figure */
#define MAX_SERIES   24     /* series of one figure */
#define NAME_LEN     128   /* "Xen's work priced (calibration: ...)" */
#define MIB          (1024.0 * 1024.0)

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
    size_t i, k;

    /* A value never measured (a counter this machine lacks) makes no
     * series: an empty one would only be a "no data" note in the plot. */
    if (isnan(v))
        return;
    i = fig_x(f, x, label);
    k = fig_series(f, series);
    if (i == MAX_X || k == MAX_SERIES)
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

static int by_value(const void *a, const void *b, void *fp)
{
    const struct fig *f = fp;
    double va = f->c[0][*(const size_t *)a].v, vb = f->c[0][*(const size_t *)b].v;

    return (va > vb) - (va < vb);
}

/*
 * Bars of one group (one workload, every backend) read best as a ranking:
 * each series becomes a bar of its own, cheapest first, in one series
 * named after the group; the script then writes each bar's value on it.
 */
static void rank_single_group(struct fig *f)
{
    size_t order[MAX_SERIES], n = 0;
    struct cell c[MAX_SERIES];
    char names[MAX_SERIES][NAME_LEN], group[NAME_LEN];

    if (!f->label_x || f->nx != 1 || f->ns < 2)
        return;
    for (size_t k = 0; k < f->ns; k++)
        if (f->c[0][k].set)
            order[n++] = k;
    qsort_r(order, n, sizeof order[0], by_value, f);
    for (size_t r = 0; r < n; r++) {
        c[r] = f->c[0][order[r]];
        memcpy(names[r], f->s[order[r]], NAME_LEN);
    }
    memcpy(group, f->xl[0], NAME_LEN);
    memset(f->c, 0, sizeof f->c);
    for (size_t r = 0; r < n; r++) {
        memcpy(f->xl[r], names[r], NAME_LEN);
        f->c[r][0] = c[r];
    }
    memcpy(f->s[0], group, NAME_LEN);
    f->nx = n;
    f->ns = 1;
}

/* Writes DIR/<name>.csv as docs/figures.md says, or nothing when empty. */
static void fig_write(struct fig *f, const char *dir)
{
    char path[4096], tmp[4100];
    size_t order[MAX_X];
    FILE *o;

    if (!f->nx || !f->ns)
        return;
    rank_single_group(f);
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

/* ---- how one run becomes points ---- */

/* Cost per call against the request size (q1). */
static void draw_q1(struct fig *f, const json_t *run)
{
    double v[MAX_SAMPLES];
    size_t n = samples(run, "ns_per_op", 1, v);

    fig_samples(f, sweep(run, "size"), NULL, rstr(run, "backend"), v, n);
}

/* q1: the difference xvmalloc - xmalloc at each size: the paired
 * difference where the two were alternated in one process, else the two
 * runs' medians bootstrapped. */
static void finish_q1(struct fig *f, const json_t *exps)
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
                struct stats_interval ci;

                if (strcmp(rstr(rb, "backend"), "xvmalloc") == 0 &&
                    sweep(ra, "size") == sweep(rb, "size") && ok_run(rb) &&
                    boot_runs(ra, rb, false, &ci) == 0)
                    fig_put(f, sweep(ra, "size"), NULL, "xvmalloc - xmalloc",
                            ci.estimate, ci.lo, ci.hi);
            }
        }
    }
}

/*
 * Xen's mapping work of RUN priced (priced.h), per DIVISOR, as a series a
 * reader cannot take for the host's time: "Xen's work priced: NAME
 * (calibration: measured+default)", NAME when given. AT_CPUS > 0: priced for a
 * machine of that many CPUs. Interval: the units' MAD summed over the
 * counts (a point where the units are defaults or a file's).
 */
static void fig_priced(struct fig *f, double x, const char *label,
                       const char *name, const json_t *run, double divisor,
                       double at_cpus)
{
    const json_t *p = json_object_get(json_object_get(run, "metrics"),
                                      "priced_ns"), *e = p;
    char series[NAME_LEN];
    double v, s;
    size_t i;

    if (at_cpus > 0)
        json_array_foreach(json_object_get(p, "by_cpus"), i, e)
            if (jnum(json_object_get(e, "cpus")) == at_cpus)
                break;
    if (!e || !json_is_number(json_object_get(e, "total_ns")) ||
        !(divisor > 0))
        return;
    v = jnum(json_object_get(e, "total_ns")) / divisor;
    s = jnum(json_object_get(e, "spread_ns")) / divisor;
    if (isnan(s))
        s = 0;
    snprintf(series, sizeof series, "Xen's work priced%s%s (calibration: %s)",
             name ? ": " : "", name ? name : "",
             rstr(p, "calibration_kinds"));
    fig_put(f, x, label, series, v, v - s, v + s);
}

/* vmalloc + vfree per page against the size in pages, by flush rule:
 * the host's time and Xen's work priced. */
static void draw_q2(struct fig *f, const json_t *run)
{
    double v[MAX_SAMPLES], page = jnum(json_object_get(run, "page_size"));
    double pages = jpath(run, "workload.size") / page;
    int peers = (int)jnum(json_object_get(run, "flush_peers"));
    const char *flush = rstr(json_object_get(run, "model"), "flush");
    char series[NAME_LEN];
    /* A pair is two events: the cost of one page of vmalloc + vfree. */
    size_t n = samples(run, "ns_per_op", 2 / pages, v);

    snprintf(series, sizeof series, "host time (Linux mmap/munmap): %s flush "
             "(%d peer%s)", flush, peers, peers == 1 ? "" : "s");
    fig_samples(f, pages, NULL, series, v, n);
    /* Peers change the host's time, not Xen's counts. */
    snprintf(series, sizeof series, "%s flush", flush);
    if (peers == 0)
        fig_priced(f, pages, NULL, series, run, metric(run, "allocs") * pages,
                   0);
}

/*
 * Q2 against the CPUs flushed, at the sweep's largest size: the host time
 * with 0, 1 ... peers (peers + 1 CPUs in the address space) and Xen's
 * work priced for 1 .. this machine's CPUs and a larger machine.
 */
static void finish_q2_cpus(struct fig *f, const json_t *exps)
{
    const json_t *x, *run, *e;
    double largest = 0;
    size_t i, j, k;

    json_array_foreach(exps, i, x)
        if (figure_draws("q2_vmalloc_cpus", x))
            json_array_foreach(json_object_get(x, "runs"), j, run)
                largest = fmax(largest, jpath(run, "workload.size"));
    json_array_foreach(exps, i, x) {
        if (!figure_draws("q2_vmalloc_cpus", x))
            continue;
        json_array_foreach(json_object_get(x, "runs"), j, run) {
            double v[MAX_SAMPLES], pages = largest /
                   jnum(json_object_get(run, "page_size"));
            double peers = jnum(json_object_get(run, "flush_peers"));
            size_t n;

            if (!ok_run(run) || jpath(run, "workload.size") != largest)
                continue;
            n = samples(run, "ns_per_op", 2 / pages, v);
            fig_samples(f, peers + 1, NULL, "host time (Linux mmap/munmap)",
                        v, n);
            if (peers != 0)
                continue;
            json_array_foreach(json_object_get(json_object_get(
                json_object_get(run, "metrics"), "priced_ns"), "by_cpus"),
                k, e)
                fig_priced(f, jnum(json_object_get(e, "cpus")), NULL, NULL,
                           run, metric(run, "allocs") * pages,
                           jnum(json_object_get(e, "cpus")));
        }
    }
}

static void draw_nothing(struct fig *f, const json_t *run)
{
    (void)f;
    (void)run;
}

static void draw_waste_at(struct fig *f, const json_t *run, double x)
{
    double w = metric(run, "waste_ratio");

    fig_put(f, x, NULL, rstr(run, "backend"), w, w, w);
}

static void draw_q3(struct fig *f, const json_t *run)
{
    draw_waste_at(f, run, sweep(run, "size"));
}

static void draw_q6_waste(struct fig *f, const json_t *run)
{
    draw_waste_at(f, run, jnum(json_object_get(run, "page_size")) / 1024);
}

/* The largest free order against the events replayed: first fresh memory
 * (event 0, the highest order probed), then each round's probe at its
 * place in the trace. */
static void draw_q4_fragmentation(struct fig *f, const json_t *run)
{
    json_t *m = json_object_get(run, "metrics");
    json_t *best, *rounds = json_object_get(m, "largest_order_by_round");
    json_t *at = json_object_get(m, "probe_event_by_round");
    json_t *probes = json_object_get(m, "probes");
    double top = jpath(json_array_get(probes, json_array_size(probes) - 1),
                       "order");
    size_t i;

    if (!json_is_array(at))   /* results of before the events were kept */
        return;
    fig_put(f, 0, NULL, rstr(run, "backend"), top, top, top);
    json_array_foreach(rounds, i, best)
        fig_put(f, jnum(json_array_get(at, i)), NULL, rstr(run, "backend"),
                jnum(best), jnum(best), jnum(best));
}

/* The share of the probe's requests that succeeded, by order. */
static void draw_q4_contig(struct fig *f, const json_t *run)
{
    json_t *p, *probes = json_object_get(json_object_get(run, "metrics"),
                                         "probes");
    size_t i;

    json_array_foreach(probes, i, p) {
        double pct = 100 * jpath(p, "got") / jpath(p, "asked");

        fig_put(f, jpath(p, "order"), NULL, rstr(run, "backend"), pct, pct,
                pct);
    }
}

/* Failed allocations against the separate xenheap's size. */
static void draw_q5(struct fig *f, const json_t *run)
{
    double pct = 100 * metric(run, "failed") /
                 (metric(run, "allocs") + metric(run, "reallocs"));

    fig_put(f, sweep(run, "xenheap") / MIB, NULL, rstr(run, "backend"), pct,
            pct, pct);
}

static void draw_q6_page_size(struct fig *f, const json_t *run)
{
    double v[MAX_SAMPLES], page = jnum(json_object_get(run, "page_size"));
    size_t n = samples(run, "ns_per_op", 1, v);
    char series[NAME_LEN];

    if (!isnan(sweep(run, "size")))   /* one size at every page size */
        snprintf(series, sizeof series, "%s %.0f B", rstr(run, "backend"),
                 sweep(run, "size"));
    else
        snprintf(series, sizeof series, "%s (%s)", rstr(run, "backend"),
                 workload_name(run));
    fig_samples(f, page / 1024, NULL, series, v, n);
}

static void draw_q7(struct fig *f, const json_t *run)
{
    double v[MAX_SAMPLES];
    size_t n = samples(run, "ns_per_op", 1, v);
    bool on = json_is_true(json_object_get(json_object_get(run, "model"),
                                           "directmap"));

    char series[NAME_LEN];

    snprintf(series, sizeof series, "host time (Linux mmap/munmap): %s",
             rstr(run, "backend"));
    fig_samples(f, 0, on ? "directmap on" : "directmap off", series, v, n);
    fig_priced(f, 0, on ? "directmap on" : "directmap off",
               rstr(run, "backend"), run, metric(run, "events"), 0);
}

/* Bars: cost per call of each backend, one group per workload. */
static void draw_by_workload(struct fig *f, const json_t *run)
{
    double v[MAX_SAMPLES];
    size_t n = samples(run, "ns_per_op", 1, v);

    fig_samples(f, 0, workload_name(run), rstr(run, "backend"), v, n);
}

/* Q8: a pair's median call (alloc p50 + free p50), the whisker up to the
 * 99th percentiles: one slow call on a busy host moves neither. */
static void draw_q8(struct fig *f, const json_t *run)
{
    double mid = metric(run, "alloc_p50_ns") + metric(run, "free_p50_ns");
    double top = metric(run, "alloc_p99_ns") + metric(run, "free_p99_ns");

    char series[NAME_LEN];

    snprintf(series, sizeof series, "host time (Linux mmap/munmap): %s",
             rstr(run, "backend"));
    fig_put(f, 0, workload_name(run), series, mid, mid,
            isnan(top) ? mid : top);
    /* Priced per pair: the run's work over its allocations. */
    fig_priced(f, 0, workload_name(run), rstr(run, "backend"), run,
               metric(run, "allocs"), 0);
}

/* Cost per access and dTLB misses per access against the working set. */
static void draw_q9(struct fig *f, const json_t *run)
{
    double ws = jpath(run, "workload.working_set") / MIB;
    double tlb = metric(run, "dtlb_misses_per_access");
    const char *b = rstr(run, "backend");
    char series[NAME_LEN];

    snprintf(series, sizeof series, "%s (%s)", b,
             rstr(json_object_get(run, "metrics"), "region"));
    fig_put(f, ws, NULL, series, metric(run, "ns_per_access"),
            metric(run, "ns_per_access_min"),
            metric(run, "ns_per_access_max"));
    snprintf(series, sizeof series, "%s dTLB misses/access", b);
    fig_put(f, ws, NULL, series, tlb, tlb, tlb);
}

/* Q9 for real or not at all: when the host refused the directmap its huge
 * pages, or allowed them but mapped none, both sides are 4K mappings and
 * the figure is not drawn (the answer says how to enable them). */
static void finish_q9(struct fig *f, const json_t *exps)
{
    const json_t *x, *run;
    size_t i, j;

    json_array_foreach(exps, i, x) {
        if (question(x) != 9)
            continue;
        json_array_foreach(json_object_get(x, "runs"), j, run)
            if (strstr(rstr(json_object_get(run, "metrics"), "huge"),
                       "refused") ||
                (strcmp(rstr(run, "backend"), "vmalloc") != 0 &&
                 metric(run, "pmd_mapped_bytes") == 0))
                f->nx = 0;
    }
}

/* Throughput against threads: ns_per_op is wall time per event, all
 * threads together. */
static void draw_scaling(struct fig *f, const json_t *run)
{
    double v[MAX_SAMPLES];
    size_t n = samples(run, "ns_per_op", 1, v);

    for (size_t i = 0; i < n; i++)
        v[i] = 1000 / v[i];
    fig_samples(f, jnum(json_object_get(run, "threads")), NULL,
                rstr(run, "backend"), v, n);
}

/* ---- which experiments draw into it ---- */

static bool q1(const json_t *x) { return question(x) == 1 && sweeps(x, "size"); }
/* Q2's figure is the size sweep alone: each series one experiment's, never
 * a point of the flush-rule experiment (16 pages) mixed into it. */
static bool q2(const json_t *x)
{
    return question(x) == 2 && is_workload(x, "pairs") && sweeps(x, "size");
}
static bool q3(const json_t *x) { return question(x) == 3 && sweeps(x, "size"); }
static bool q4(const json_t *x) { return question(x) == 4; }
static bool q5(const json_t *x) { return question(x) == 5; }
static bool q6_mixed(const json_t *x) { return question(x) == 6 && is_workload(x, "mixed"); }
static bool q6_other(const json_t *x) { return question(x) == 6 && !is_workload(x, "mixed"); }
static bool q7(const json_t *x) { return question(x) == 7; }
static bool q8(const json_t *x) { return question(x) == 8; }
static bool q9(const json_t *x) { return question(x) == 9; }

/* The experiments of no question go by their label. */
static bool baselines(const json_t *x)
{
    return (question(x) == 0 || question(x) > 9) && labelled(x, "baselines");
}

static bool scaling(const json_t *x)
{
    return (question(x) == 0 || question(x) > 9) &&
           labelled(x, "thread-scaling");
}

/* ---- the registry ---- */

static const struct report_figure figures[] = {
    { "q1_small_cost", 1, false,
      "does xvmalloc cost more than xmalloc for small sizes?",
      q1, NULL, draw_q1, finish_q1 },
    { "q2_vmalloc_cost", 2, false,
      "what do vmalloc's map and unmap cost per page?",
      q2, NULL, draw_q2, NULL },
    { "q2_vmalloc_cpus", 2, false,
      "vmalloc map + unmap per page as CPUs are flushed",
      NULL, q2, draw_nothing, finish_q2_cpus },
    { "q3_waste", 3, false,
      "how much does each path waste for odd sizes?",
      q3, NULL, draw_q3, NULL },
    /* The aging probe of question 4 feeds both of its figures. */
    { "q4_fragmentation", 4, false,
      "how far does the largest free order fall as memory ages?",
      NULL, q4, draw_q4_fragmentation, NULL },
    { "q4_contig", 4, false,
      "which contiguous orders can still be had after aging?",
      q4, NULL, draw_q4_contig, NULL },
    { "q5_xenheap", 5, false,
      "with a small separate xenheap, how often does allocation fail?",
      q5, NULL, draw_q5, NULL },
    { "q6_page_size", 6, false,
      "what does each path cost with 4K, 16K and 64K pages?",
      q6_other, NULL, draw_q6_page_size, NULL },
    { "q6_waste", 6, false,
      "what does each path waste with 4K, 16K and 64K pages?",
      q6_mixed, NULL, draw_q6_waste, NULL },
    { "q7_directmap", 7, true,
      "what does each path cost without a directmap?",
      q7, NULL, draw_q7, NULL },
    { "q8_lifetime", 8, true,
      "is xmalloc still better for short-lived allocations?",
      q8, NULL, draw_q8, NULL },
    { "q9_access", 9, false,
      "what does touching vmalloc'd memory cost against the directmap?",
      q9, NULL, draw_q9, finish_q9 },
    { "baselines", 0, true,
      "the models against glibc, jemalloc, mimalloc and tcmalloc",
      baselines, NULL, draw_by_workload, NULL },
    { "scaling", 0, false,
      "throughput as threads are added",
      scaling, NULL, draw_scaling, NULL },
};

#define N_FIGURES (sizeof(figures) / sizeof(figures[0]))

const struct report_figure *report_figures(size_t *n)
{
    *n = N_FIGURES;
    return figures;
}

const char *figure_of(const json_t *x)
{
    for (size_t i = 0; i < N_FIGURES; i++)
        if (figures[i].names && figures[i].names(x))
            return figures[i].name;
    return NULL;
}

static bool serves(const struct report_figure *d, const json_t *x)
{
    return (d->names && d->names(x)) || (d->feeds && d->feeds(x));
}

bool figure_draws(const char *name, const json_t *x)
{
    for (size_t i = 0; i < N_FIGURES; i++)
        if (strcmp(figures[i].name, name) == 0)
            return serves(&figures[i], x);
    return false;
}

void figures_write(const json_t *experiments, const char *dir)
{
    struct fig *f = malloc(sizeof *f);

    if (!f)
        return;
    for (size_t n = 0; n < N_FIGURES; n++) {
        const struct report_figure *d = &figures[n];
        const json_t *x, *run;
        size_t i, j;

        memset(f, 0, sizeof *f);
        f->name = d->name;
        f->label_x = d->label_x;
        json_array_foreach(experiments, i, x) {
            if (!serves(d, x))
                continue;
            json_array_foreach(json_object_get(x, "runs"), j, run)
                if (ok_run(run))
                    d->draw(f, run);
        }
        if (d->finish)
            d->finish(f, experiments);
        fig_write(f, dir);
    }
    free(f);
}
