/*
 * xheap compare DIR_A DIR_B: two results folders, run by run and metric by
 * metric. Repeated metrics ("samples") get medians, the relative change, a
 * Mann-Whitney p-value and a bootstrap interval; single values ("metrics")
 * get the change only. The text fits an email; --out keeps it with a CSV
 * and a gnuplot figure, --json gives it to scripts. See docs/compare.md.
 */
#include "drivers/compare.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "drivers/cli.h"
#include "drivers/stats.h"

#define RESULTS_FORMAT "xheap-results 1"
#define COMPARE_FORMAT "xheap-compare 1"
#define DEFAULT_ALPHA  0.05
/*
 * The noise floor: a change smaller than this is never called significant,
 * however small p is. Timer resolution, frequency scaling and code layout
 * move medians by about this much between two builds of the same code, and
 * with enough repetitions the test would flag such changes as real.
 */
#define DEFAULT_FLOOR_PCT 1.0
#define FIGURE_METRIC  "ns_per_op"   /* the figure's metric, unless --metric */
#define TEXT_WIDTH     78
#define NAME_WIDTH     26            /* "    metric" column of the table */
#define VALUE_WIDTH    10            /* A and B columns */
#define LABEL_WIDTH    48            /* run ids on the figure's axis */
#define MAX_SUFFIX     1000          /* DIR-2 .. DIR-999, then give up */
#define WHY_LEN        1024

static const char compare_usage[] =
    "usage: xheap compare DIR_A DIR_B [--alpha P] [--noise-floor PCT]\n"
    "                     [--metric NAME]... [--json FILE]\n"
    "                     [--out DIR | --no-out]\n"
    "\n"
    "Compares two results folders (xheap run): runs are matched by id; for\n"
    "every metric both have, prints the medians A and B, the change B/A - 1,\n"
    "and for repeated metrics the two-sided Mann-Whitney U p-value. A change\n"
    "is 'significant' when p < alpha and |change| >= the noise floor. Then\n"
    "the geometric mean of B/A per metric and the runs found on one side\n"
    "only.\n"
    "DIR may also name a results.json file. Works across machines; differing\n"
    "CPUs or page sizes are warned about.\n"
    "\n"
    "  --alpha P          significance level (default 0.05)\n"
    "  --noise-floor PCT  smallest change called significant (default 1)\n"
    "  --metric NAME      compare only this metric (repeatable)\n"
    "  --json FILE        also write the comparison as JSON ('-': on standard\n"
    "                     output, instead of the text)\n"
    "  --out DIR          write compare.txt, compare.csv and the figure here\n"
    "                     (default DIR_B/compare-<name of DIR_A>; an existing\n"
    "                     folder is never reused: -2, -3... is added)\n"
    "  --no-out           print only; write no folder\n"
    "\n"
    "Exit status: 0 compared, 1 an output could not be written, 2 bad input.\n";

void cmd_compare_help(FILE *f)
{
    fputs(compare_usage, f);
}

struct opts {
    double alpha, floor;          /* floor as a fraction: 0.01 */
    const char **metrics;         /* --metric names, NULL-terminated */
    size_t n_metrics;
    const char *json_path, *out_dir;
    bool no_out;
};

/* A run of one side, in file order. */
struct run_ref {
    const char *id, *experiment, *title;
    json_t *run;
    bool matched;
};

struct side {
    char name;                    /* 'A' or 'B' */
    char *dir, *path;             /* the folder and its results.json */
    json_t *root;
    struct run_ref *runs;
    size_t n_runs;
    struct run_ref **by_id;       /* sorted by id, for matching */
};

/* One metric of one run, as one side has it. */
struct values {
    double *x;
    size_t n;
    bool repeated;                /* from "samples" */
};

enum row_kind {
    ROW_TESTED,                   /* repetitions on both sides */
    ROW_SINGLE,                   /* a single value on at least one side */
    ROW_ONE_SIDED,                /* the metric is missing on one side */
};

struct row {
    const struct run_ref *run;    /* A's */
    const char *metric;
    enum row_kind kind;
    size_t na, nb;
    double a, b;                  /* medians (or the single values) */
    double change;                /* (b - a) / |a|; +-inf when a is 0 */
    double ci_lo, ci_hi;          /* bootstrap interval of change, or NAN */
    double p;                     /* NAN unless tested */
    bool exact, significant;
};

/* The geometric mean of B/A for one metric over the tested rows. */
struct geo {
    const char *metric;
    size_t runs, used, up, down;
    double ratio;
};

struct comparison {
    const struct opts *o;
    struct side a, b;
    struct row *rows;
    size_t n_rows, cap_rows;
    struct geo *geo;
    size_t n_geo;
    char **warnings;
    size_t n_warnings;
    const char *figure_metric;
};

/* ---- small helpers ---- */

static int bad_file(const struct side *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int bad_file(const struct side *s, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "xheap compare: %s: ", s->path);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return EXIT_USAGE;
}

static void warn(struct comparison *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void warn(struct comparison *c, const char *fmt, ...)
{
    char **grown = realloc(c->warnings, (c->n_warnings + 1) * sizeof(*grown));
    va_list ap;
    char *msg;
    int len;

    if (!grown)
        return;
    c->warnings = grown;
    va_start(ap, fmt);
    len = vasprintf(&msg, fmt, ap);
    va_end(ap);
    if (len >= 0)
        c->warnings[c->n_warnings++] = msg;
}

/* S shortened to WIDTH characters by cutting its middle: ids differ at
 * both ends (experiment and backend first, the sweep point last). */
static void trunc_middle(char *out, size_t width, const char *s)
{
    size_t len = strlen(s), head, tail;

    if (len <= width || width < 5) {
        snprintf(out, width + 1, "%s", s);
        return;
    }
    head = (width - 3) * 2 / 5;
    tail = width - 3 - head;
    memcpy(out, s, head);
    memcpy(out + head, "...", 3);
    memcpy(out + head + 3, s + len - tail, tail + 1);
}

/* Greedy word wrap to TEXT_WIDTH, FIRST before the first line and REST
 * before the others. */
static void wrap(FILE *f, const char *first, const char *rest, const char *text)
{
    size_t col = strlen(first);
    bool line_empty = true;

    fputs(first, f);
    while (*text) {
        size_t word = strcspn(text, " ");

        if (!line_empty && col + 1 + word > TEXT_WIDTH) {
            fprintf(f, "\n%s", rest);
            col = strlen(rest);
            line_empty = true;
        }
        if (!line_empty) {
            fputc(' ', f);
            col++;
        }
        fwrite(text, 1, word, f);
        col += word;
        line_empty = false;
        text += word;
        text += strspn(text, " ");
    }
    fputc('\n', f);
}

static const char *json_text(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* For printing: a missing or non-string value reads "?". */
static const char *shown(json_t *obj, const char *key)
{
    const char *s = json_text(obj, key);

    return s ? s : "?";
}

/* ---- loading ---- */

static int cmp_ref_id(const void *pa, const void *pb)
{
    const struct run_ref *a = *(struct run_ref *const *)pa;
    const struct run_ref *b = *(struct run_ref *const *)pb;

    return strcmp(a->id, b->id);
}

static int check_samples(const struct side *s, const char *id, json_t *samples)
{
    const char *name;
    json_t *arr, *v;
    size_t i;

    if (samples && !json_is_null(samples) && !json_is_object(samples))
        return bad_file(s, "run '%s': \"samples\" is not an object", id);
    json_object_foreach(samples, name, arr) {
        if (!json_is_array(arr))
            return bad_file(s, "run '%s': samples \"%s\" is not an array",
                            id, name);
        json_array_foreach(arr, i, v)
            if (!json_is_number(v) && !json_is_null(v))
                return bad_file(s, "run '%s': samples \"%s\"[%zu] is not a "
                                "number", id, name, i);
    }
    return 0;
}

static int check_run(const struct side *s, const char *exp, size_t i,
                     json_t *run)
{
    const char *id = json_text(run, "id");
    json_t *metrics = json_object_get(run, "metrics");

    if (!id || !*id)
        return bad_file(s, "experiment '%s': run %zu has no \"id\"", exp,
                        i + 1);
    if (metrics && !json_is_null(metrics) && !json_is_object(metrics))
        return bad_file(s, "run '%s': \"metrics\" is not an object", id);
    return check_samples(s, id, json_object_get(run, "samples"));
}

static size_t count_runs(json_t *exps)
{
    size_t i, n = 0;
    json_t *e;

    json_array_foreach(exps, i, e)
        n += json_array_size(json_object_get(e, "runs"));
    return n;
}

static int add_experiment(struct side *s, size_t i, json_t *e)
{
    const char *name = json_text(e, "name");
    json_t *runs = json_object_get(e, "runs"), *r;
    size_t j;

    if (!name)
        return bad_file(s, "experiment %zu has no \"name\"", i + 1);
    if (runs && !json_is_null(runs) && !json_is_array(runs))
        return bad_file(s, "experiment '%s': \"runs\" is not an array", name);
    json_array_foreach(runs, j, r) {
        if (check_run(s, name, j, r))
            return EXIT_USAGE;
        s->runs[s->n_runs++] = (struct run_ref){
            json_text(r, "id"), name, json_text(e, "title"), r, false,
        };
    }
    return 0;
}

static int index_runs(struct side *s)
{
    json_t *exps = json_object_get(s->root, "experiments"), *e;
    size_t i, n;

    if (!json_is_array(exps))
        return bad_file(s, "\"experiments\" is missing or not an array");
    n = count_runs(exps);
    s->runs = calloc(n + 1, sizeof(*s->runs));
    s->by_id = calloc(n + 1, sizeof(*s->by_id));
    if (!s->runs || !s->by_id)
        return bad_file(s, "out of memory");
    json_array_foreach(exps, i, e)
        if (add_experiment(s, i, e))
            return EXIT_USAGE;
    for (i = 0; i < s->n_runs; i++)
        s->by_id[i] = &s->runs[i];
    qsort(s->by_id, s->n_runs, sizeof(*s->by_id), cmp_ref_id);
    for (i = 1; i < s->n_runs; i++)
        if (strcmp(s->by_id[i - 1]->id, s->by_id[i]->id) == 0)
            return bad_file(s, "run id '%s' appears twice", s->by_id[i]->id);
    return 0;
}

/* DIR or DIR/results.json -> s->dir and s->path. */
static int locate(struct side *s, const char *arg)
{
    struct stat st;
    size_t len = strlen(arg);
    char *copy;

    if (stat(arg, &st) != 0)
        return usage_error("compare", "%s: %s", arg, strerror(errno));
    while (len > 1 && arg[len - 1] == '/')
        len--;
    if (S_ISDIR(st.st_mode)) {
        s->dir = strndup(arg, len);
        if (s->dir && asprintf(&s->path, "%s/results.json", s->dir) < 0)
            s->path = NULL;
    } else {
        s->path = strdup(arg);
        copy = strdup(arg);
        s->dir = copy ? strdup(dirname(copy)) : NULL;
        free(copy);
    }
    if (!s->dir || !s->path)
        return usage_error("compare", "out of memory");
    return 0;
}

static int load_side(struct side *s, char name, const char *arg)
{
    json_error_t err;
    const char *format;

    s->name = name;
    if (locate(s, arg))
        return EXIT_USAGE;
    if (access(s->path, R_OK) != 0)
        return bad_file(s, "cannot read: %s", strerror(errno));
    s->root = json_load_file(s->path, JSON_REJECT_DUPLICATES, &err);
    if (!s->root)
        return usage_error("compare", "%s:%d:%d: malformed JSON: %s",
                           s->path, err.line, err.column, err.text);
    if (!json_is_object(s->root))
        return bad_file(s, "not a JSON object");
    format = json_text(s->root, "format");
    if (!format || strcmp(format, RESULTS_FORMAT) != 0)
        return bad_file(s, "\"format\" is %s%s%s, want \"" RESULTS_FORMAT
                        "\"", format ? "\"" : "", format ? format : "missing",
                        format ? "\"" : "");
    return index_runs(s);
}

static void free_side(struct side *s)
{
    free(s->dir);
    free(s->path);
    free(s->runs);
    free(s->by_id);
    json_decref(s->root);
}

static struct run_ref *find_run(const struct side *s, const char *id)
{
    struct run_ref key = { .id = id }, *keyp = &key, **hit;

    hit = bsearch(&keyp, s->by_id, s->n_runs, sizeof(*s->by_id), cmp_ref_id);
    return hit ? *hit : NULL;
}

/* ---- the machines ---- */

static void page_text(char *buf, size_t len, json_t *v)
{
    json_int_t b = json_integer_value(v);

    if (!json_is_integer(v))
        snprintf(buf, len, "?");
    else if (b % 1024 == 0)
        snprintf(buf, len, "%lldK", (long long)(b / 1024));
    else
        snprintf(buf, len, "%lld", (long long)b);
}

static bool differ(json_t *ma, json_t *mb, const char *key)
{
    json_t *va = json_object_get(ma, key), *vb = json_object_get(mb, key);

    return va && vb && !json_equal(va, vb);
}

static void machine_warnings(struct comparison *c)
{
    json_t *ma = json_object_get(c->a.root, "machine");
    json_t *mb = json_object_get(c->b.root, "machine");
    char pa[32], pb[32];

    if (!json_is_object(ma) || !json_is_object(mb)) {
        warn(c, "%s no \"machine\" description: cannot tell whether the "
             "machines differ", json_is_object(ma) ? "B has" :
             json_is_object(mb) ? "A has" : "neither side has");
        return;
    }
    if (differ(ma, mb, "arch"))
        warn(c, "different architectures (A %s, B %s)", shown(ma, "arch"),
             shown(mb, "arch"));
    if (differ(ma, mb, "cpu"))
        warn(c, "different CPUs (A: %s; B: %s): the numbers compare the "
             "machines as much as the code", shown(ma, "cpu"),
             shown(mb, "cpu"));
    if (differ(ma, mb, "cores"))
        warn(c, "different core counts (A %lld, B %lld)",
             (long long)json_integer_value(json_object_get(ma, "cores")),
             (long long)json_integer_value(json_object_get(mb, "cores")));
    page_text(pa, sizeof(pa), json_object_get(ma, "page_size"));
    page_text(pb, sizeof(pb), json_object_get(mb, "page_size"));
    if (differ(ma, mb, "page_size"))
        warn(c, "different host page sizes (A %s, B %s): TLB reach and "
             "mapping costs differ", pa, pb);
    if (differ(ma, mb, "kernel"))
        warn(c, "different kernels (A %s, B %s)", shown(ma, "kernel"),
             shown(mb, "kernel"));
    if (differ(ma, mb, "thp"))
        warn(c, "different transparent huge page settings (A %s, B %s)",
             shown(ma, "thp"), shown(mb, "thp"));
}

static void status_warnings(struct comparison *c)
{
    const struct side *sides[] = { &c->a, &c->b };

    for (int i = 0; i < 2; i++) {
        const char *st = json_text(sides[i]->root, "status");

        if (st && strcmp(st, "complete") != 0)
            warn(c, "%c is %s: runs it did not finish are missing from it",
                 sides[i]->name, st);
    }
}

/* ---- comparing ---- */

static bool wanted(const struct opts *o, const char *metric)
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

    *v = (struct values){ NULL, 0, false };
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
    r->change = r->p = r->ci_lo = r->ci_hi = NAN;
    if (va->n == 0 || vb->n == 0) {
        r->kind = ROW_ONE_SIDED;
        return;
    }
    r->change = rel_change(r->a, r->b);
    if (va->repeated && vb->repeated)
        test_row(r, va, vb, o);
    else
        r->kind = ROW_SINGLE;
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
        if (wanted(c->o, names[i]))
            ret = compare_metric(c, ra, rb, names[i]);
    free(names);
    return ret;
}

static int compare_all(struct comparison *c)
{
    for (size_t i = 0; i < c->a.n_runs; i++) {
        struct run_ref *ra = &c->a.runs[i], *rb = find_run(&c->b, ra->id);

        if (!rb)
            continue;
        ra->matched = rb->matched = true;
        if (compare_run(c, ra, rb))
            return -1;
    }
    return 0;
}

static struct geo *find_geo(struct comparison *c, const char *metric)
{
    for (size_t i = 0; i < c->n_geo; i++)
        if (strcmp(c->geo[i].metric, metric) == 0)
            return &c->geo[i];
    return NULL;
}

/* The geometric mean of B/A per tested metric, in order of appearance. */
static int compute_geo(struct comparison *c)
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

        if (r->kind != ROW_TESTED || find_geo(c, r->metric))
            continue;
        g = &c->geo[c->n_geo++];
        g->metric = r->metric;
        for (size_t j = i; j < c->n_rows; j++) {
            const struct row *s = &c->rows[j];

            if (s->kind != ROW_TESTED || strcmp(s->metric, r->metric) != 0)
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

/* With 3 repetitions a side, p >= 0.1 whatever the data: say so rather
 * than let "-" read as "no change". */
static void repetition_warning(struct comparison *c)
{
    size_t n = 0, na = 0, nb = 0;

    for (size_t i = 0; i < c->n_rows; i++) {
        const struct row *r = &c->rows[i];

        if (r->kind == ROW_TESTED && r->exact &&
            smallest_p(r->na, r->nb) >= c->o->alpha) {
            if (n++ == 0) {
                na = r->na;
                nb = r->nb;
            }
        }
    }
    if (n)
        warn(c, "%zu comparisons have too few repetitions to ever reach p < "
             "%g (with %zu and %zu, p >= %.3g): \"-\" there means "
             "\"cannot tell\"; run more repetitions", n, c->o->alpha, na, nb,
             smallest_p(na, nb));
}

/* --metric names that neither side has anywhere are typing mistakes. */
static int check_metric_names(const struct comparison *c)
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

/* ---- the text ---- */

static void fmt_value(char *buf, size_t len, double v)
{
    if (isnan(v))
        snprintf(buf, len, "-");
    else if (v == rint(v) && fabs(v) < 1e10)
        snprintf(buf, len, "%.0f", v);
    else if (snprintf(buf, len, "%.5g", v) > VALUE_WIDTH)
        snprintf(buf, len, "%.3e", v);
}

static void fmt_change(char *buf, size_t len, double change)
{
    double pct = change * 100;

    if (isnan(change))
        snprintf(buf, len, "%s", "");
    else if (isinf(change))
        snprintf(buf, len, "from 0");
    else if (fabs(pct) < 999.95)
        snprintf(buf, len, "%+.1f%%", pct);
    else
        snprintf(buf, len, "%+.0e%%", pct);
}

static void fmt_p(char *buf, size_t len, double p)
{
    if (isnan(p))
        snprintf(buf, len, "%s", "");
    else if (p >= 0.001)
        snprintf(buf, len, "%.3f", p);
    else
        snprintf(buf, len, "%.1e", p);
}

/* "host, [arch, ]cpu, N cores, 4K pages, kernel K, THP t", wrapped. */
static void print_machine(FILE *f, json_t *m)
{
    char page[32], *text = NULL;
    size_t len = 0;
    FILE *mf = open_memstream(&text, &len);

    if (!mf)
        return;
    page_text(page, sizeof(page), json_object_get(m, "page_size"));
    fprintf(mf, "%s, ", shown(m, "host"));
    if (json_text(m, "arch"))
        fprintf(mf, "%s, ", json_text(m, "arch"));
    fprintf(mf, "%s, ", shown(m, "cpu"));
    if (json_is_integer(json_object_get(m, "cores")))
        fprintf(mf, "%lld cores, ",
                (long long)json_integer_value(json_object_get(m, "cores")));
    fprintf(mf, "%s pages, kernel %s, THP %s", page, shown(m, "kernel"),
            shown(m, "thp"));
    fclose(mf);
    wrap(f, "    ", "    ", text);
    free(text);
}

static void print_side(FILE *f, const struct side *s)
{
    json_t *m = json_object_get(s->root, "machine");
    char dir[TEXT_WIDTH];

    trunc_middle(dir, TEXT_WIDTH - 4, s->dir);
    fprintf(f, "%c:  %s\n", s->name, dir);
    if (json_is_object(m))
        print_machine(f, m);
    fprintf(f, "    revision %s, started %s, %s\n",
            shown(s->root, "git_revision"), shown(s->root, "started"),
            json_text(s->root, "status") ?: "status unknown");
}

static void print_header(FILE *f, const struct comparison *c)
{
    char text[640];

    fputs("xheap compare: B against A\n\n", f);
    print_side(f, &c->a);
    print_side(f, &c->b);
    fputc('\n', f);
    for (size_t i = 0; i < c->n_warnings; i++)
        wrap(f, "warning: ", "  ", c->warnings[i]);
    if (c->n_warnings)
        fputc('\n', f);
    snprintf(text, sizeof(text),
             "A and B are medians of the repetitions; change is B/A - 1. "
             "p: two-sided Mann-Whitney U test on the repetitions (exact "
             "while both sides have at most %d). \"significant\": p < %g "
             "and |change| >= %g%%; \"- (<%g%%)\": p < %g but the change is "
             "below that noise floor. Values without repetitions get no test.",
             STATS_MW_EXACT_MAX, c->o->alpha, c->o->floor * 100,
             c->o->floor * 100, c->o->alpha);
    wrap(f, "", "", text);
}

static const char *relative_id(const struct run_ref *r)
{
    size_t len = strlen(r->experiment);

    if (strncmp(r->id, r->experiment, len) == 0 && r->id[len] == '/' &&
        r->id[len + 1])
        return r->id + len + 1;
    return r->id;
}

static void print_experiment(FILE *f, const struct run_ref *r)
{
    char line[TEXT_WIDTH + 1], *text;

    if (asprintf(&text, "%s%s%s", r->experiment, r->title ? ": " : "",
                 r->title ?: "") < 0)
        return;
    trunc_middle(line, TEXT_WIDTH, text);
    free(text);
    fprintf(f, "\n%s\n", line);
    fprintf(f, "  %-*s %*s %*s %8s %7s\n", NAME_WIDTH - 2, "run / metric",
            VALUE_WIDTH, "A", VALUE_WIDTH, "B", "change", "p");
}

/* The run's line: its id and, when tested, the repetitions of each side. */
static void print_run(FILE *f, const struct comparison *c, size_t first)
{
    const struct row *r = &c->rows[first];
    char reps[48] = "", id[TEXT_WIDTH + 1];

    for (size_t i = first; i < c->n_rows && c->rows[i].run == r->run; i++)
        if (c->rows[i].kind == ROW_TESTED) {
            snprintf(reps, sizeof(reps), "  (%zu and %zu repetitions)",
                     c->rows[i].na, c->rows[i].nb);
            break;
        }
    trunc_middle(id, TEXT_WIDTH - 2 - strlen(reps), relative_id(r->run));
    fprintf(f, "  %s%s\n", id, reps);
}

/* "-" for no evidence; "- (<1%)" when the test passed but the change is
 * under the noise floor, so that a small p beside "-" does not puzzle. */
static void verdict(char *buf, size_t len, const struct row *r,
                    const struct opts *o)
{
    if (r->kind == ROW_ONE_SIDED)
        snprintf(buf, len, "only in %c", r->na ? 'A' : 'B');
    else if (r->kind == ROW_SINGLE)
        snprintf(buf, len, "%s", "");
    else if (r->significant)
        snprintf(buf, len, "significant");
    else if (r->p < o->alpha)
        snprintf(buf, len, "- (<%g%%)", o->floor * 100);
    else
        snprintf(buf, len, "-");
}

static void print_row(FILE *f, const struct row *r, const struct opts *o)
{
    char name[NAME_WIDTH], a[24], b[24], change[24], p[24], v[32];
    char line[192];   /* room for any value; the table keeps to 78 */

    trunc_middle(name, NAME_WIDTH - 4, r->metric);
    fmt_value(a, sizeof(a), r->a);
    fmt_value(b, sizeof(b), r->b);
    fmt_change(change, sizeof(change), r->change);
    fmt_p(p, sizeof(p), r->p);
    verdict(v, sizeof(v), r, o);
    snprintf(line, sizeof(line), "    %-*s %*s %*s %8s %7s  %s",
             NAME_WIDTH - 4, name, VALUE_WIDTH, a, VALUE_WIDTH, b, change, p,
             v);
    for (size_t n = strlen(line); n > 0 && line[n - 1] == ' '; n--)
        line[n - 1] = 0;
    fprintf(f, "%s\n", line);
}

static void print_rows(FILE *f, const struct comparison *c)
{
    const char *experiment = NULL;

    for (size_t i = 0; i < c->n_rows; i++) {
        const struct row *r = &c->rows[i];

        if (r->run->experiment != experiment) {
            experiment = r->run->experiment;
            print_experiment(f, r->run);
        }
        if (i == 0 || c->rows[i - 1].run != r->run)
            print_run(f, c, i);
        print_row(f, r, c->o);
    }
}

static void print_summary(FILE *f, const struct comparison *c)
{
    size_t tested = 0, sig = 0, up = 0, single = 0, changed = 0;
    char text[512];

    for (size_t i = 0; i < c->n_rows; i++) {
        const struct row *r = &c->rows[i];

        tested += r->kind == ROW_TESTED;
        sig += r->significant;
        up += r->significant && r->change > 0;
        single += r->kind == ROW_SINGLE;
        changed += r->kind == ROW_SINGLE && fabs(r->change) >= c->o->floor;
    }
    snprintf(text, sizeof(text), "Summary: %zu metrics tested, %zu "
             "significant (%zu higher in B, %zu lower); %zu single values, "
             "%zu of them changed by %g%% or more.", tested, sig, up,
             sig - up, single, changed, c->o->floor * 100);
    fputc('\n', f);
    wrap(f, "", "", text);
}

static void print_geo(FILE *f, const struct comparison *c)
{
    if (c->n_geo == 0)
        return;
    fputs("\nGeometric mean of B/A over the runs both have, per metric:\n", f);
    fprintf(f, "  %-24s %5s %9s %8s  %s\n", "metric", "runs", "B/A",
            "change", "significant");
    for (size_t i = 0; i < c->n_geo; i++) {
        const struct geo *g = &c->geo[i];
        char name[25], ratio[24], change[24];

        trunc_middle(name, 24, g->metric);
        snprintf(ratio, sizeof(ratio), isnan(g->ratio) ? "-" : "%.4f",
                 g->ratio);
        fmt_change(change, sizeof(change), g->ratio - 1);
        fprintf(f, "  %-24s %5zu %9s %8s  %zu up, %zu down\n", name, g->used,
                ratio, change, g->up, g->down);
        if (g->used < g->runs)
            fprintf(f, "  %-24s (%zu runs left out: a median <= 0)\n", "",
                    g->runs - g->used);
    }
}

static void print_only(FILE *f, const struct side *s)
{
    size_t n = 0;
    char id[TEXT_WIDTH + 1];

    for (size_t i = 0; i < s->n_runs; i++)
        n += !s->runs[i].matched;
    if (n == 0) {
        fprintf(f, "Runs only in %c: none\n", s->name);
        return;
    }
    fprintf(f, "Runs only in %c (%zu):\n", s->name, n);
    for (size_t i = 0; i < s->n_runs; i++)
        if (!s->runs[i].matched) {
            trunc_middle(id, TEXT_WIDTH - 2, s->runs[i].id);
            fprintf(f, "  %s\n", id);
        }
}

static void print_text(FILE *f, const struct comparison *c)
{
    print_header(f, c);
    if (c->n_rows == 0)
        fputs("\nNo metric to compare: the two have no run (or no wanted "
              "metric) in common.\n", f);
    print_rows(f, c);
    print_summary(f, c);
    print_geo(f, c);
    fputc('\n', f);
    print_only(f, &c->a);
    print_only(f, &c->b);
}

/* ---- CSV ---- */

static void csv_text(FILE *f, const char *s)
{
    if (!s[strcspn(s, ",\"\n\r")]) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* Numbers; an empty field where there is none. */
static void csv_num(FILE *f, double v)
{
    fputc(',', f);
    if (isfinite(v))
        fprintf(f, "%.10g", v);
}

static const char *kind_name(enum row_kind k)
{
    return k == ROW_TESTED ? "tested" : k == ROW_SINGLE ? "single" :
           "one-sided";
}

static void write_csv(FILE *f, const struct comparison *c)
{
    fputs("experiment,run,metric,kind,n_a,n_b,a,b,change_pct,"
          "change_lo_pct,change_hi_pct,p,test,significant\n", f);
    for (size_t i = 0; i < c->n_rows; i++) {
        const struct row *r = &c->rows[i];

        csv_text(f, r->run->experiment);
        fputc(',', f);
        csv_text(f, r->run->id);
        fputc(',', f);
        csv_text(f, r->metric);
        fprintf(f, ",%s,%zu,%zu", kind_name(r->kind), r->na, r->nb);
        csv_num(f, r->a);
        csv_num(f, r->b);
        csv_num(f, r->change * 100);
        csv_num(f, r->ci_lo * 100);
        csv_num(f, r->ci_hi * 100);
        csv_num(f, r->p);
        fprintf(f, ",%s,%d\n", r->kind != ROW_TESTED ? "" :
                r->exact ? "exact" : "normal", r->significant);
    }
}

/* The figure's data, as docs/figures.md lays it out: the run, the series
 * "change" as value,lo,hi in percent, and whether it is significant. A
 * change without an interval repeats its value in lo and hi. */
static size_t write_figure_csv(FILE *f, const struct comparison *c)
{
    size_t n = 0;

    fputs("run,change,change_lo,change_hi,significant\n", f);
    for (size_t i = 0; i < c->n_rows; i++) {
        const struct row *r = &c->rows[i];
        char label[LABEL_WIDTH + 1];
        double v = r->change * 100;

        if (r->kind != ROW_TESTED || !isfinite(v) ||
            strcmp(r->metric, c->figure_metric) != 0)
            continue;
        trunc_middle(label, LABEL_WIDTH, r->run->id);
        csv_text(f, label);
        fprintf(f, ",%.6g,%.6g,%.6g,%d\n", v,
                isnan(r->ci_lo) ? v : r->ci_lo * 100,
                isnan(r->ci_hi) ? v : r->ci_hi * 100, r->significant);
        n++;
    }
    return n;
}

/* ---- JSON ---- */

static json_t *num_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *side_json(const struct side *s)
{
    json_t *o = json_pack("{s:s, s:s}", "dir", s->dir, "path", s->path);
    const char *keys[] = { "git_revision", "started", "status", "machine" };

    for (size_t i = 0; o && i < sizeof(keys) / sizeof(keys[0]); i++) {
        json_t *v = json_object_get(s->root, keys[i]);

        if (v)
            json_object_set(o, keys[i], v);
    }
    return o;
}

static json_t *row_json(const struct row *r)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:{s:o, s:I}, s:{s:o, s:I}}",
        "experiment", r->run->experiment, "run", r->run->id,
        "metric", r->metric, "kind", kind_name(r->kind),
        "a", "median", num_or_null(r->a), "n", (json_int_t)r->na,
        "b", "median", num_or_null(r->b), "n", (json_int_t)r->nb);

    if (!o)
        return NULL;
    json_object_set_new(o, "change", num_or_null(r->change));
    json_object_set_new(o, "change_ci95", isnan(r->ci_lo) ? json_null() :
                        json_pack("[f, f]", r->ci_lo, r->ci_hi));
    json_object_set_new(o, "p", num_or_null(r->p));
    json_object_set_new(o, "test", r->kind != ROW_TESTED ? json_null() :
                        json_string(r->exact ? "exact" : "normal"));
    json_object_set_new(o, "significant", json_boolean(r->significant));
    return o;
}

static json_t *only_json(const struct side *s)
{
    json_t *arr = json_array();

    for (size_t i = 0; arr && i < s->n_runs; i++)
        if (!s->runs[i].matched)
            json_array_append_new(arr, json_string(s->runs[i].id));
    return arr;
}

static json_t *compare_json(const struct comparison *c)
{
    json_t *rows = json_array(), *geo = json_array(), *warns = json_array();

    for (size_t i = 0; i < c->n_rows; i++)
        json_array_append_new(rows, row_json(&c->rows[i]));
    for (size_t i = 0; i < c->n_geo; i++)
        json_array_append_new(geo, json_pack("{s:s, s:I, s:o, s:I, s:I}",
            "metric", c->geo[i].metric, "runs", (json_int_t)c->geo[i].used,
            "ratio", num_or_null(c->geo[i].ratio),
            "significant_up", (json_int_t)c->geo[i].up,
            "significant_down", (json_int_t)c->geo[i].down));
    for (size_t i = 0; i < c->n_warnings; i++)
        json_array_append_new(warns, json_string(c->warnings[i]));
    return json_pack("{s:s, s:o, s:o, s:f, s:f, s:o, s:o, s:o, s:o, s:o}",
        "format", COMPARE_FORMAT, "a", side_json(&c->a), "b", side_json(&c->b),
        "alpha", c->o->alpha, "noise_floor", c->o->floor, "warnings", warns,
        "comparisons", rows, "geomean", geo,
        "only_a", only_json(&c->a), "only_b", only_json(&c->b));
}

/* ---- output files and the figure ---- */

static int write_file(const char *path, const char *text, size_t len)
{
    struct out_file o;
    char why[WHY_LEN];

    if (out_open(&o, path, why, sizeof(why)) != 0)
        goto fail;
    fwrite(text, 1, len, o.f);
    if (out_commit(&o, why, sizeof(why)) != 0)
        goto fail;
    return 0;
fail:
    fprintf(stderr, "xheap compare: %s\n", why);
    return -1;
}

/* Creates BASE, or BASE-2, BASE-3...: an earlier comparison is kept. */
static char *make_out_dir(const char *base)
{
    char *dir;

    for (int i = 1; i < MAX_SUFFIX; i++) {
        if ((i == 1 ? asprintf(&dir, "%s", base) :
                      asprintf(&dir, "%s-%d", base, i)) < 0)
            return NULL;
        if (mkdir(dir, 0777) == 0)
            return dir;
        if (errno != EEXIST) {
            usage_error("compare", "cannot create %s: %s (use --out DIR or "
                        "--no-out)", dir, strerror(errno));
            free(dir);
            return NULL;
        }
        free(dir);
    }
    usage_error("compare", "%s-2 .. %s-%d all exist", base, base,
                MAX_SUFFIX - 1);
    return NULL;
}

static char *default_out_base(const struct comparison *c)
{
    char *real = realpath(c->a.dir, NULL), *base;

    if (!real || asprintf(&base, "%s/compare-%s", c->b.dir,
                          basename(real)) < 0)
        base = NULL;
    free(real);
    return base;
}

static bool in_path(const char *prog)
{
    const char *path = getenv("PATH");
    char buf[PATH_MAX];

    while (path && *path) {
        size_t len = strcspn(path, ":");

        snprintf(buf, sizeof(buf), "%.*s/%s", (int)len, len ? path : ".",
                 prog);
        if (access(buf, X_OK) == 0)
            return true;
        path += len + (path[len] == ':');
    }
    return false;
}

/* plots/compare.gp: $XHEAP_PLOTS, beside the binary (build/../plots), or
 * under the current directory (the tree's root). */
static bool find_script(char *buf, size_t len)
{
    const char *env = getenv("XHEAP_PLOTS");
    char exe[PATH_MAX];
    ssize_t n;

    if (env) {
        snprintf(buf, len, "%s/compare.gp", env);
        if (access(buf, R_OK) == 0)
            return true;
    }
    n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = 0;
        snprintf(buf, len, "%s/../plots/compare.gp", dirname(exe));
        if (access(buf, R_OK) == 0)
            return true;
    }
    snprintf(buf, len, "plots/compare.gp");
    return access(buf, R_OK) == 0;
}

/* A gnuplot string literal: single quotes, a quote doubled. */
static void gp_string(FILE *f, const char *var, const char *s)
{
    fprintf(f, "%s='", var);
    for (; *s; s++) {
        if (*s == '\'')
            fputc('\'', f);
        fputc(*s, f);
    }
    fputs("'; ", f);
}

static int run_gnuplot(const char *script, const char *expr)
{
    pid_t pid;
    int st, null_fd;

    fflush(NULL);
    pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        null_fd = open("/dev/null", O_WRONLY);
        if (null_fd >= 0)
            dup2(null_fd, STDOUT_FILENO);
        execlp("gnuplot", "gnuplot", "-e", expr, script, (char *)NULL);
        _exit(127);
    }
    if (waitpid(pid, &st, 0) < 0)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void figure_title(char *buf, size_t len, const struct comparison *c)
{
    json_t *ma = json_object_get(c->a.root, "machine");
    json_t *mb = json_object_get(c->b.root, "machine");

    snprintf(buf, len, "B (%s, %s) against A (%s, %s)",
             json_text(mb, "host") ?: "?",
             json_text(c->b.root, "git_revision") ?: "?",
             json_text(ma, "host") ?: "?",
             json_text(c->a.root, "git_revision") ?: "?");
}

/* Draws DIR/plots/compare_<metric>.{png,svg}; says why not in one line. */
static void draw_figure(const struct comparison *c, const char *csv,
                        const char *dir)
{
    static const char *const formats[] = { "png", "svg" };
    char script[PATH_MAX], title[512], *plots, *expr;
    size_t len;
    FILE *f;

    if (!in_path("gnuplot")) {
        fputs("xheap compare: gnuplot not found (install gnuplot-nox); no "
              "figure\n", stderr);
        return;
    }
    if (!find_script(script, sizeof(script))) {
        fputs("xheap compare: plots/compare.gp not found (set XHEAP_PLOTS); "
              "no figure\n", stderr);
        return;
    }
    if (asprintf(&plots, "%s/plots", dir) < 0)
        return;
    if (mkdir(plots, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "xheap compare: cannot create %s: %s; no figure\n",
                plots, strerror(errno));
        free(plots);
        return;
    }
    figure_title(title, sizeof(title), c);
    for (size_t i = 0; i < 2; i++) {
        char *out;
        int st;

        if (asprintf(&out, "%s/compare_%s", plots, c->figure_metric) < 0 ||
            !(f = open_memstream(&expr, &len)))
            break;
        gp_string(f, "csv", csv);
        gp_string(f, "out", out);
        gp_string(f, "fmt", formats[i]);
        gp_string(f, "metric", c->figure_metric);
        gp_string(f, "title", title);
        fclose(f);
        st = run_gnuplot(script, expr);
        if (st != 0)
            fprintf(stderr, "xheap compare: gnuplot failed on %s (status "
                    "%d); no %s figure\n", script, st, formats[i]);
        free(expr);
        free(out);
    }
    free(plots);
}

static int write_figure(const struct comparison *c, const char *dir)
{
    char *path = NULL, *data = NULL;
    size_t len = 0, n;
    FILE *f = open_memstream(&data, &len);
    int ret = -1;

    if (!f)
        return -1;
    n = write_figure_csv(f, c);
    fclose(f);
    if (n == 0) {
        fprintf(stderr, "xheap compare: no run has repetitions of %s on both "
                "sides; no figure\n", c->figure_metric);
        ret = 0;
    } else if (asprintf(&path, "%s/compare_%s.csv", dir,
                        c->figure_metric) >= 0 &&
               write_file(path, data, len) == 0) {
        draw_figure(c, path, dir);
        ret = 0;
    }
    free(path);
    free(data);
    return ret;
}

static int write_csv_file(const struct comparison *c, const char *dir)
{
    char *path, *data = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&data, &len);
    int ret = -1;

    if (!f)
        return -1;
    write_csv(f, c);
    fclose(f);
    if (asprintf(&path, "%s/compare.csv", dir) >= 0) {
        ret = write_file(path, data, len);
        free(path);
    }
    free(data);
    return ret;
}

static int write_out_dir(const struct comparison *c, const char *dir,
                         const char *text, size_t len)
{
    char *path;
    int ret;

    if (asprintf(&path, "%s/compare.txt", dir) < 0)
        return -1;
    ret = write_file(path, text, len);
    free(path);
    if (ret == 0)
        ret = write_csv_file(c, dir);
    if (ret == 0)
        ret = write_figure(c, dir);
    if (ret == 0)
        fprintf(stderr, "xheap compare: wrote %s/\n", dir);
    return ret;
}

static int write_json(const struct comparison *c, struct out_file *o)
{
    json_t *doc = compare_json(c);
    char why[WHY_LEN];

    if (!doc || json_dumpf(doc, o->f, JSON_INDENT(2) |
                                      JSON_REAL_PRECISION(10)) != 0) {
        fprintf(stderr, "xheap compare: %s: cannot encode the comparison\n",
                o->path ? o->path : "standard output");
        json_decref(doc);
        out_abort(o);
        return -1;
    }
    json_decref(doc);
    fputc('\n', o->f);
    if (out_commit(o, why, sizeof(why)) == 0)
        return 0;
    fprintf(stderr, "xheap compare: %s\n", why);
    return -1;
}

/* ---- options ---- */

enum {
    OPT_ALPHA = 256, OPT_FLOOR, OPT_METRIC, OPT_JSON, OPT_OUT, OPT_NO_OUT,
    OPT_HELP,
};

static const struct option compare_options[] = {
    { "alpha",       required_argument, NULL, OPT_ALPHA },
    { "noise-floor", required_argument, NULL, OPT_FLOOR },
    { "metric",      required_argument, NULL, OPT_METRIC },
    { "json",        required_argument, NULL, OPT_JSON },
    { "out",         required_argument, NULL, OPT_OUT },
    { "no-out",      no_argument,       NULL, OPT_NO_OUT },
    { "help",        no_argument,       NULL, OPT_HELP },
    { NULL, 0, NULL, 0 },
};

static int parse_fraction(const char *opt, const char *arg, double lo,
                          double hi, double *out)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(arg, &end);
    if (errno || end == arg || *end || !(v > lo && v < hi))
        return usage_error("compare", "bad value '%s' for %s: want a number "
                           "above %g and below %g", arg, opt, lo, hi);
    *out = v;
    return 0;
}

static int parse_option(struct opts *o, int c, char **argv, bool *help)
{
    double pct;

    switch (c) {
    case OPT_ALPHA:
        return parse_fraction("--alpha", optarg, 0, 1, &o->alpha);
    case OPT_FLOOR:
        if (parse_fraction("--noise-floor", optarg, -1e-300, 100, &pct))
            return EXIT_USAGE;
        o->floor = pct / 100;
        return 0;
    case OPT_METRIC:
        o->metrics[o->n_metrics++] = optarg;
        return 0;
    case OPT_JSON:
        o->json_path = optarg;
        return 0;
    case OPT_OUT:
        o->out_dir = optarg;
        return 0;
    case OPT_NO_OUT:
        o->no_out = true;
        return 0;
    case OPT_HELP:
        *help = true;
        return 0;
    default:
        return bad_option("compare", c, argv);
    }
}

static int parse_args(int argc, char **argv, struct opts *o, bool *help)
{
    int c;

    *o = (struct opts){ .alpha = DEFAULT_ALPHA,
                        .floor = DEFAULT_FLOOR_PCT / 100 };
    o->metrics = calloc((size_t)argc + 1, sizeof(*o->metrics));
    if (!o->metrics)
        return usage_error("compare", "out of memory");
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", compare_options, NULL)) != -1)
        if (parse_option(o, c, argv, help))
            return EXIT_USAGE;
    if (*help)
        return 0;
    if (o->out_dir && o->no_out)
        return usage_error("compare", "--out and --no-out contradict each "
                           "other");
    if (argc - optind != 2)
        return usage_error("compare", "want two results folders, DIR_A and "
                           "DIR_B (see 'xheap help compare')");
    return 0;
}

/* ---- the command ---- */

static const char *pick_figure_metric(const struct opts *o)
{
    if (o->n_metrics == 0 || wanted(o, FIGURE_METRIC))
        return FIGURE_METRIC;
    return o->metrics[0];
}

static void free_comparison(struct comparison *c)
{
    free_side(&c->a);
    free_side(&c->b);
    free(c->rows);
    free(c->geo);
    for (size_t i = 0; i < c->n_warnings; i++)
        free(c->warnings[i]);
    free(c->warnings);
}

/* Everything that can be refused as bad input, before any output. */
static int prepare(struct comparison *c, char **dirs, char **out_dir,
                   struct out_file *json)
{
    char *base, why[WHY_LEN];

    if (load_side(&c->a, 'A', dirs[0]) || load_side(&c->b, 'B', dirs[1]) ||
        check_metric_names(c))
        return EXIT_USAGE;
    if (c->o->json_path &&
        out_open(json, c->o->json_path, why, sizeof(why)) != 0)
        return usage_error("compare", "%s", why);
    if (c->o->no_out)
        return 0;
    base = c->o->out_dir ? strdup(c->o->out_dir) : default_out_base(c);
    *out_dir = base ? make_out_dir(base) : NULL;
    free(base);
    if (!*out_dir) {
        out_abort(json);
        return EXIT_USAGE;
    }
    return 0;
}

static int report(struct comparison *c, const char *out_dir,
                  struct out_file *json)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    int ret = 0;

    if (!f)
        return EXIT_RUN_FAILED;
    print_text(f, c);
    fclose(f);
    if (!(c->o->json_path && strcmp(c->o->json_path, "-") == 0))
        fwrite(text, 1, len, stdout);
    if (out_dir && write_out_dir(c, out_dir, text, len) != 0)
        ret = EXIT_RUN_FAILED;
    if (c->o->json_path && write_json(c, json) != 0)
        ret = EXIT_RUN_FAILED;
    free(text);
    return ret;
}

int cmd_compare(int argc, char **argv)
{
    struct opts o;
    struct comparison c = { .o = &o };
    struct out_file json = { 0 };
    char *out_dir = NULL;
    bool help = false;
    int ret;

    ret = parse_args(argc, argv, &o, &help);
    if (ret == 0 && help) {
        cmd_compare_help(stdout);
    } else if (ret == 0) {
        c.figure_metric = pick_figure_metric(&o);
        ret = prepare(&c, argv + optind, &out_dir, &json);
    }
    if (ret == 0 && !help) {
        machine_warnings(&c);
        status_warnings(&c);
        if (compare_all(&c) || compute_geo(&c)) {
            fputs("xheap compare: out of memory\n", stderr);
            out_abort(&json);
            ret = EXIT_RUN_FAILED;
        } else {
            repetition_warning(&c);
            ret = report(&c, out_dir, &json);
        }
    }
    free(out_dir);
    free(o.metrics);
    free_comparison(&c);
    return ret;
}
