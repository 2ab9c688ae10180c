/*
 * xheap compare: the rows. Repeated metrics ("samples") get medians and the
 * relative change; where both sides have one sample per process, also a
 * Mann-Whitney p-value over the processes and a bootstrap interval, where a
 * side holds its repetitions in one process, nothing more ("not testable":
 * compare_internal.h says why). Single values ("metrics") get the change
 * only. Then the geometric mean of B/A per metric.
 */
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/measure/args.h"
#include "drivers/report/compare_internal.h"
#include "drivers/measure/stats.h"

/* One metric of one run, as one side has it. */
struct values {
    double *x;
    size_t n;
    bool repeated;                /* from "samples" */
    bool per_process;             /* each sample from a process of its own */
};

/* The run's "sample_unit" (docs/results.md): "process" when each sample
 * is a process of its own; anything else, or none (results from before
 * the suite spread points over processes), is one process. */
static bool per_process(json_t *run)
{
    const char *unit = json_text(run, "sample_unit");

    return unit && strcmp(unit, "process") == 0;
}

bool compare_wanted(const struct opts *o, const char *metric)
{
    if (o->n_metrics == 0)
        return true;
    for (size_t i = 0; i < o->n_metrics; i++)
        if (strcmp(o->metrics[i], metric) == 0)
            return true;
    return false;
}

/* A run's values of METRIC: its repetitions, else its single value. */
static int get_values(json_t *run, const char *metric, struct values *v)
{
    json_t *arr = json_object_get(json_object_get(run, "samples"), metric);
    json_t *single = json_object_get(json_object_get(run, "metrics"), metric);
    json_t *x;
    size_t i;

    *v = (struct values){ NULL, 0, false, per_process(run) };
    v->x = malloc((json_array_size(arr) + 1) * sizeof(*v->x));
    if (!v->x)
        return -1;
    json_array_foreach(arr, i, x)
        if (json_is_number(x))
            v->x[v->n++] = json_number_value(x);
    v->repeated = v->n > 0;
    if (v->n == 0 && json_is_number(single))
        v->x[v->n++] = json_number_value(single);
    return 0;
}

static double rel_change(double a, double b)
{
    if (a == b)
        return 0;
    if (a == 0)
        return b > 0 ? INFINITY : -INFINITY;
    return (b - a) / fabs(a);
}

static void test_row(struct row *r, const struct values *va,
                     const struct values *vb, const struct opts *o)
{
    struct stats_mw mw;
    struct stats_interval ci;

    r->kind = ROW_TESTED;
    if (stats_mann_whitney(va->x, va->n, vb->x, vb->n, &mw) == 0) {
        r->p = mw.p;
        r->exact = mw.exact;
    }
    if (stats_boot_median_rel(va->x, va->n, vb->x, vb->n, STATS_LEVEL95,
                              STATS_BOOT_RESAMPLES, STATS_BOOT_SEED,
                              &ci) == 0) {
        r->ci_lo = ci.lo;
        r->ci_hi = ci.hi;
    }
    r->significant = r->p < o->alpha && fabs(r->change) >= o->floor;
}

static void fill_row(struct row *r, const struct values *va,
                     const struct values *vb, const struct opts *o)
{
    r->na = va->n;
    r->nb = vb->n;
    r->a = va->n ? stats_median(va->x, va->n) : NAN;
    r->b = vb->n ? stats_median(vb->x, vb->n) : NAN;
    r->change = r->p = r->p_holm = r->ci_lo = r->ci_hi = NAN;
    if (va->n == 0 || vb->n == 0) {
        r->kind = ROW_ONE_SIDED;
        return;
    }
    r->change = rel_change(r->a, r->b);
    if (!va->repeated || !vb->repeated) {
        r->kind = ROW_SINGLE;
    } else if (va->per_process && vb->per_process) {
        test_row(r, va, vb, o);
    } else {
        /* Pseudo-replicates: a p-value over them would measure one
         * process's steadiness and call the drift between two runs (17%
         * here, 25 s apart) a change. */
        r->kind = ROW_UNTESTABLE;
        r->one_process_a = !va->per_process;
        r->one_process_b = !vb->per_process;
    }
}

static struct row *new_row(struct comparison *c)
{
    if (c->n_rows == c->cap_rows) {
        size_t cap = c->cap_rows ? 2 * c->cap_rows : 64;
        struct row *grown = realloc(c->rows, cap * sizeof(*grown));

        if (!grown)
            return NULL;
        c->rows = grown;
        c->cap_rows = cap;
    }
    memset(&c->rows[c->n_rows], 0, sizeof(c->rows[0]));
    return &c->rows[c->n_rows++];
}

static int compare_metric(struct comparison *c, const struct run_ref *ra,
                          const struct run_ref *rb, const char *metric)
{
    struct values va, vb;
    struct row *r;
    int ret = -1;

    if (get_values(ra->run, metric, &va) == 0 &&
        get_values(rb->run, metric, &vb) == 0) {
        if ((va.n || vb.n) && (r = new_row(c))) {
            r->run = ra;
            r->metric = metric;
            fill_row(r, &va, &vb, c->o);
            ret = 0;
        } else if (!va.n && !vb.n) {
            ret = 0;
        }
        free(vb.x);
    }
    free(va.x);
    return ret;
}

/* Every metric name of a run, A's first, each once. */
static size_t metric_names(const struct run_ref *ra, const struct run_ref *rb,
                           const char **names, size_t max)
{
    json_t *objs[] = {
        json_object_get(ra->run, "samples"),
        json_object_get(ra->run, "metrics"),
        json_object_get(rb->run, "samples"),
        json_object_get(rb->run, "metrics"),
    };
    size_t n = 0;

    for (size_t i = 0; i < 4; i++) {
        const char *key;
        json_t *v;

        json_object_foreach(objs[i], key, v) {
            size_t j;

            for (j = 0; j < n && strcmp(names[j], key) != 0; j++)
                ;
            if (j == n && n < max)
                names[n++] = key;
        }
    }
    return n;
}

static size_t object_size(json_t *run, const char *key)
{
    return json_object_size(json_object_get(run, key));
}

static int compare_run(struct comparison *c, const struct run_ref *ra,
                       const struct run_ref *rb)
{
    size_t max = object_size(ra->run, "samples") +
                 object_size(ra->run, "metrics") +
                 object_size(rb->run, "samples") +
                 object_size(rb->run, "metrics") + 1;
    const char **names = malloc(max * sizeof(*names));
    size_t n;
    int ret = 0;

    if (!names)
        return -1;
    n = metric_names(ra, rb, names, max);
    for (size_t i = 0; i < n && ret == 0; i++)
        if (compare_wanted(c->o, names[i]))
            ret = compare_metric(c, ra, rb, names[i]);
    free(names);
    return ret;
}

static int by_p(const void *x, const void *y)
{
    const struct row *a = *(const struct row *const *)x;
    const struct row *b = *(const struct row *const *)y;

    return (a->p > b->p) - (a->p < b->p);
}

/*
 * Many rows are tested at once: at p < alpha each, a comparison of two
 * runs of the same code would call one in twenty changed. Holm's step-down
 * keeps the chance of any false call at alpha: the k-th smallest of m
 * p-values is multiplied by m - k + 1 (never below the one before), and
 * "significant" reads that adjusted p (issue 11: two runs of one revision
 * must compare as unchanged, and 40 rows at 5% each would not).
 */
static int holm(struct comparison *c)
{
    struct row **t = malloc((c->n_rows + 1) * sizeof(*t));
    size_t m = 0;
    double floor_p = 0;

    if (!t)
        return -1;
    for (size_t i = 0; i < c->n_rows; i++)
        if (c->rows[i].kind == ROW_TESTED && !isnan(c->rows[i].p))
            t[m++] = &c->rows[i];
    qsort(t, m, sizeof(*t), by_p);
    for (size_t k = 0; k < m; k++) {
        floor_p = fmax(floor_p, fmin(1, (double)(m - k) * t[k]->p));
        t[k]->p_holm = floor_p;
        t[k]->significant = t[k]->p_holm < c->o->alpha &&
                            fabs(t[k]->change) >= c->o->floor;
    }
    free(t);
    return 0;
}

int compare_all(struct comparison *c)
{
    for (size_t i = 0; i < c->a.n_runs; i++) {
        struct run_ref *ra = &c->a.runs[i];
        struct run_ref *rb = compare_find_run(&c->b, ra->id);

        if (!rb)
            continue;
        ra->matched = rb->matched = true;
        if (compare_run(c, ra, rb))
            return -1;
    }
    return holm(c);
}

static struct geo *find_geo(struct comparison *c, const char *metric)
{
    for (size_t i = 0; i < c->n_geo; i++)
        if (strcmp(c->geo[i].metric, metric) == 0)
            return &c->geo[i];
    return NULL;
}

/* Rows with medians of repetitions on both sides, tested or not. */
static bool repeated_row(const struct row *r)
{
    return r->kind == ROW_TESTED || r->kind == ROW_UNTESTABLE;
}

/* The geometric mean of B/A per repeated metric, in order of appearance:
 * a description of the two runs, tested or not (the significant rows
 * behind it are counted). */
int compare_geo(struct comparison *c)
{
    double *num = malloc((c->n_rows + 1) * sizeof(*num));
    double *den = malloc((c->n_rows + 1) * sizeof(*den));

    c->geo = calloc(c->n_rows + 1, sizeof(*c->geo));
    if (!num || !den || !c->geo) {
        free(num);
        free(den);
        return -1;
    }
    for (size_t i = 0; i < c->n_rows; i++) {
        const struct row *r = &c->rows[i];
        struct geo *g;
        size_t n = 0;

        if (!repeated_row(r) || find_geo(c, r->metric))
            continue;
        g = &c->geo[c->n_geo++];
        g->metric = r->metric;
        for (size_t j = i; j < c->n_rows; j++) {
            const struct row *s = &c->rows[j];

            if (!repeated_row(s) || strcmp(s->metric, r->metric) != 0)
                continue;
            num[n] = s->b;
            den[n++] = s->a;
            g->up += s->significant && s->change > 0;
            g->down += s->significant && s->change < 0;
        }
        g->runs = n;
        g->ratio = stats_geomean_ratio(num, den, n, &g->used);
    }
    free(num);
    free(den);
    return 0;
}

/* The smallest p the exact test can give: 2 / C(na + nb, na), when one
 * sample lies wholly above the other. */
static double smallest_p(size_t na, size_t nb)
{
    double ways = 1;

    for (size_t i = 1; i <= na; i++)
        ways = ways * (double)(nb + i) / (double)i;
    return fmin(1, 2 / ways);
}

/* The smallest p a tested row can give: 0 (as good as) past the exact
 * range, where processes are many. */
static double row_smallest_p(const struct row *r)
{
    return r->exact ? smallest_p(r->na, r->nb) : 0;
}

/*
 * With 3 processes a side, p >= 0.1 whatever the data: say so rather than
 * let "-" read as "no change". And Holm's first step asks the smallest p
 * to be below alpha / m: with 5 processes a side (p >= 0.0079) and 7 or
 * more rows tested, nothing can be significant at 0.05, which the text
 * says too.
 */
void compare_repetition_warning(struct comparison *c)
{
    size_t n = 0, na = 0, nb = 0, m = 0, ba = 0, bb = 0;
    double best = 1;

    for (size_t i = 0; i < c->n_rows; i++) {
        const struct row *r = &c->rows[i];

        if (r->kind != ROW_TESTED)
            continue;
        if (m++ == 0 || row_smallest_p(r) < best) {
            best = row_smallest_p(r);
            ba = r->na;
            bb = r->nb;
        }
        if (r->exact && smallest_p(r->na, r->nb) >= c->o->alpha &&
            n++ == 0) {
            na = r->na;
            nb = r->nb;
        }
    }
    if (n < m && m > 1 && best * (double)m >= c->o->alpha)
        compare_warn(c, "none of the %zu rows tested can be significant "
                     "after Holm's adjustment: the smallest p their "
                     "processes allow (%.3g, with %zu and %zu) times %zu is "
                     ">= %g; \"-\" there means \"cannot tell\"; run more "
                     "processes", m, best, ba, bb, m, c->o->alpha);
    if (n)
        compare_warn(c, "%zu comparisons have too few processes to ever "
                     "reach p < %g (with %zu and %zu, p >= %.3g): \"-\" "
                     "there means \"cannot tell\"; run more processes", n,
                     c->o->alpha, na, nb, smallest_p(na, nb));
}

/* --metric names that neither side has anywhere are typing mistakes. */
int compare_check_metric_names(const struct comparison *c)
{
    for (size_t m = 0; m < c->o->n_metrics; m++) {
        const char *name = c->o->metrics[m];
        bool found = false;
        const struct side *sides[] = { &c->a, &c->b };

        for (int s = 0; s < 2 && !found; s++)
            for (size_t i = 0; i < sides[s]->n_runs && !found; i++) {
                json_t *run = sides[s]->runs[i].run;
                json_t *samples = json_object_get(run, "samples");
                json_t *metrics = json_object_get(run, "metrics");

                found = json_object_get(samples, name) ||
                        json_object_get(metrics, name);
            }
        if (!found)
            return usage_error("compare", "--metric '%s': no run of A or B "
                               "has this metric", name);
    }
    return 0;
}
