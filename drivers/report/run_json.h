/*
 * A run and an experiment of results.json (docs/results.md) as answers.c
 * and figures.c read them: a run's coordinates (backend, sweep values,
 * workload), its samples (one value per repetition) and its metrics. A
 * number that is absent reads as NaN, a string as "".
 */
#ifndef XHEAP_RUN_JSON_H
#define XHEAP_RUN_JSON_H

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "drivers/measure/stats.h"

#define MAX_SAMPLES  256    /* repetitions of one run read */
#define RUN_KEY_LEN  64

static inline double jnum(const json_t *o)
{
    return json_is_number(o) ? json_number_value(o) : NAN;
}

/* The number at a dotted path such as "memory.waste_ratio"; NaN if none. */
static inline double jpath(const json_t *o, const char *path)
{
    char key[RUN_KEY_LEN];

    while (o && *path) {
        size_t n = strcspn(path, ".");

        snprintf(key, sizeof key, "%.*s", (int)n, path);
        o = json_object_get(o, key);
        path += n + (path[n] == '.');
    }
    return jnum(o);
}

static inline const char *rstr(const json_t *run, const char *key)
{
    const char *s = json_string_value(json_object_get(run, key));

    return s ? s : "";
}

static inline double sweep(const json_t *run, const char *key)
{
    return jnum(json_object_get(json_object_get(run, "sweep"), key));
}

static inline double metric(const json_t *run, const char *key)
{
    return jnum(json_object_get(json_object_get(run, "metrics"), key));
}

static inline const char *workload_name(const json_t *run)
{
    return rstr(json_object_get(run, "workload"), "name");
}

/* The repetitions of a sample metric, times SCALE; returns how many. */
static inline size_t samples(const json_t *run, const char *key,
                             double scale, double *out)
{
    json_t *a = json_object_get(json_object_get(run, "samples"), key), *v;
    size_t i, n = 0;

    json_array_foreach(a, i, v)
        if (n < MAX_SAMPLES && json_is_number(v))
            out[n++] = json_number_value(v) * scale;
    return n;
}

static inline bool ok_run(const json_t *run)
{
    return !json_object_get(run, "error");
}

static inline double median_of(const json_t *run, const char *key)
{
    double v[MAX_SAMPLES];
    size_t n = samples(run, key, 1, v);

    return n ? stats_median(v, n) : NAN;
}

/* The paired difference an alternated run measured (alternate.h). */
static inline bool paired(const json_t *run, struct stats_interval *ci,
                          double *n, double *excluded)
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

/* B's ns_per_op against A's: the difference of their medians (REL false)
 * or B/A - 1, bootstrapped with the suite's fixed seed; -1 when either
 * has no samples. */
static inline int boot_runs(const json_t *ra, const json_t *rb, bool rel,
                            struct stats_interval *ci)
{
    double a[MAX_SAMPLES], b[MAX_SAMPLES];
    size_t na = ra ? samples(ra, "ns_per_op", 1, a) : 0;
    size_t nb = rb ? samples(rb, "ns_per_op", 1, b) : 0;

    if (!na || !nb)
        return -1;
    return (rel ? stats_boot_median_rel : stats_boot_median_diff)(
        a, na, b, nb, STATS_LEVEL95, STATS_BOOT_RESAMPLES, STATS_BOOT_SEED,
        ci);
}

/* ---- the aging probe of Q4 (metrics.probes: order, asked, got) ---- */

/* The highest order the probe still got at least half the time; -1. */
static inline int probe_best_order(const json_t *run)
{
    json_t *p, *probes = json_object_get(json_object_get(run, "metrics"),
                                         "probes");
    int best = -1;
    size_t k;

    json_array_foreach(probes, k, p)
        if (2 * jpath(p, "got") >= jpath(p, "asked"))
            best = (int)jpath(p, "order");
    return best;
}

/* Allocations of the aging trace that failed outside the probes: the
 * fill. Two backends compare like with like only when both filled alike. */
static inline double probe_fill_failures(const json_t *run)
{
    json_t *p, *probes = json_object_get(json_object_get(run, "metrics"),
                                         "probes");
    double missed = 0;
    size_t k;

    json_array_foreach(probes, k, p)
        missed += jpath(p, "asked") - jpath(p, "got");
    return metric(run, "failed") - missed;
}

/* ---- an experiment ---- */

static inline unsigned question(const json_t *x)
{
    return (unsigned)json_integer_value(json_object_get(x, "question"));
}

static inline bool labelled(const json_t *x, const char *label)
{
    return strcmp(rstr(x, "label"), label) == 0;
}

/* The first run of X, for what its runs share. */
static inline const json_t *first_run(const json_t *x)
{
    return json_array_get(json_object_get(x, "runs"), 0);
}

static inline bool sweeps(const json_t *x, const char *key)
{
    return !isnan(sweep(first_run(x), key));
}

static inline bool is_workload(const json_t *x, const char *name)
{
    return strcmp(workload_name(first_run(x)), name) == 0;
}

#endif
