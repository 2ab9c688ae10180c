/*
 * xheap compare: reading the two results folders (docs/results.md) and
 * refusing what is not one, before anything is printed; the warnings
 * about how the two machines and runs differ.
 */
#include <errno.h>
#include <jansson.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drivers/measure/args.h"
#include "drivers/report/compare_internal.h"

#define RESULTS_FORMAT "xheap-results 1"

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

void compare_warn(struct comparison *c, const char *fmt, ...)
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

int compare_load_side(struct side *s, char name, const char *arg)
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

void compare_free_side(struct side *s)
{
    free(s->dir);
    free(s->path);
    free(s->runs);
    free(s->by_id);
    json_decref(s->root);
}

struct run_ref *compare_find_run(const struct side *s, const char *id)
{
    struct run_ref key = { .id = id }, *keyp = &key, **hit;

    hit = bsearch(&keyp, s->by_id, s->n_runs, sizeof(*s->by_id), cmp_ref_id);
    return hit ? *hit : NULL;
}

/* ---- the machines ---- */

void compare_page_text(char *buf, size_t len, json_t *v)
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

void compare_machine_warnings(struct comparison *c)
{
    json_t *ma = json_object_get(c->a.root, "machine");
    json_t *mb = json_object_get(c->b.root, "machine");
    char pa[32], pb[32];

    if (!json_is_object(ma) || !json_is_object(mb)) {
        compare_warn(c, "%s \"machine\" description: cannot tell "
                     "whether the machines differ",
                     json_is_object(ma) ? "B has no" :
                     json_is_object(mb) ? "A has no" : "neither side has a");
        return;
    }
    if (differ(ma, mb, "arch"))
        compare_warn(c, "different architectures (A %s, B %s)",
                     shown(ma, "arch"), shown(mb, "arch"));
    if (differ(ma, mb, "cpu"))
        compare_warn(c, "different CPUs (A: %s; B: %s): the numbers compare "
                     "the machines as much as the code", shown(ma, "cpu"),
                     shown(mb, "cpu"));
    if (differ(ma, mb, "cores"))
        compare_warn(c, "different core counts (A %lld, B %lld)",
            (long long)json_integer_value(json_object_get(ma, "cores")),
            (long long)json_integer_value(json_object_get(mb, "cores")));
    compare_page_text(pa, sizeof(pa), json_object_get(ma, "page_size"));
    compare_page_text(pb, sizeof(pb), json_object_get(mb, "page_size"));
    if (differ(ma, mb, "page_size"))
        compare_warn(c, "different host page sizes (A %s, B %s): TLB reach "
                     "and mapping costs differ", pa, pb);
    if (differ(ma, mb, "kernel"))
        compare_warn(c, "different kernels (A %s, B %s)",
                     shown(ma, "kernel"), shown(mb, "kernel"));
    if (differ(ma, mb, "thp"))
        compare_warn(c, "different transparent huge page settings (A %s, "
                     "B %s)", shown(ma, "thp"), shown(mb, "thp"));
}

/* Matched runs whose workloads differ (events, sizes): their times
 * measure different traces. */
static size_t workloads_differ(const struct comparison *c)
{
    size_t n = 0;

    for (size_t i = 0; i < c->a.n_runs; i++) {
        const struct run_ref *ra = &c->a.runs[i];
        const struct run_ref *rb = compare_find_run(&c->b, ra->id);

        n += rb && !json_equal(json_object_get(ra->run, "workload"),
                               json_object_get(rb->run, "workload"));
    }
    return n;
}

void compare_status_warnings(struct comparison *c)
{
    const struct side *sides[] = { &c->a, &c->b };
    const char *ra = json_text(c->a.root, "git_revision");
    const char *rb = json_text(c->b.root, "git_revision");
    bool qa = json_is_true(json_object_get(c->a.root, "quick"));
    bool qb = json_is_true(json_object_get(c->b.root, "quick"));
    size_t differ = workloads_differ(c);

    for (int i = 0; i < 2; i++) {
        const char *st = json_text(sides[i]->root, "status");

        if (st && strcmp(st, "complete") != 0)
            compare_warn(c, "%c is %s: runs it did not finish are missing "
                         "from it", sides[i]->name, st);
    }
    if (ra && rb && strcmp(ra, rb) == 0 && strcmp(ra, "unknown") != 0)
        compare_warn(c, "A and B are the same revision (%s): a significant "
                     "change here is the machine's noise, not the code's",
                     ra);
    if (qa != qb)
        compare_warn(c, "%c is a --quick run and %c a full one: shorter "
                     "traces and fewer repetitions, so their numbers are "
                     "not comparable", qa ? 'A' : 'B', qa ? 'B' : 'A');
    if (differ)
        compare_warn(c, "%zu run%s of the same id replayed different "
                     "workloads (events or sizes differ): their changes "
                     "compare workloads, not code", differ,
                     differ == 1 ? "" : "s");
}
