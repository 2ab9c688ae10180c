/*
 * xheap compare on the fixture results folders (tests/fixtures/results-a
 * and results-b): the changes built into them are found, the unchanged
 * runs and the change under the noise floor are not, the one-sided runs
 * are listed, bad input is refused with one line naming the file, and the
 * output folder holds the text, the CSV and (with gnuplot) the figure.
 *
 * Each comparison runs cmd_compare in a child process with its standard
 * output and error sent to files, as the command line would.
 */
#include "tests/check.h"

#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "drivers/cli/cli.h"
#include "drivers/report/compare.h"

#define FIX_A "tests/fixtures/results-a"   /* make test runs from the root */
#define FIX_B "tests/fixtures/results-b"
#define MAX_ARGS 16

static char tmp[] = "/tmp/xheap-test-compare-XXXXXX";

struct result {
    int status;
    char *out, *err;
};

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf = NULL;
    size_t len = 0;
    FILE *m;
    int c;

    if (!f)
        return NULL;
    m = open_memstream(&buf, &len);
    while ((c = fgetc(f)) != EOF)
        fputc(c, m);
    fclose(m);
    fclose(f);
    return buf;
}

static void spill(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void redirect(int fd, const char *path)
{
    int to = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

    if (to < 0 || dup2(to, fd) < 0)
        _exit(99);
    close(to);
}

/* xheap compare ARGS..., NULL-terminated. */
static struct result run_compare(const char *first, ...)
{
    char *argv[MAX_ARGS + 2], out[256], err[256];
    struct result r;
    va_list ap;
    int argc = 1, st;
    pid_t pid;

    argv[0] = "compare";
    va_start(ap, first);
    for (const char *a = first; a && argc <= MAX_ARGS;
         a = va_arg(ap, const char *))
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;
    snprintf(out, sizeof(out), "%s/stdout", tmp);
    snprintf(err, sizeof(err), "%s/stderr", tmp);
    fflush(NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        redirect(STDOUT_FILENO, out);
        redirect(STDERR_FILENO, err);
        st = cmd_compare(argc, argv);
        fflush(NULL);
        _exit(st);
    }
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    r.status = WEXITSTATUS(st);
    r.out = slurp(out);
    r.err = slurp(err);
    assert_non_null(r.out);
    assert_non_null(r.err);
    return r;
}

/* cmocka's assert_float_equal works in float; these are doubles. */
static void assert_near(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol))
        fail_msg("got %.12g, want %.12g", got, want);
}

static void free_result(struct result *r)
{
    free(r->out);
    free(r->err);
}

static size_t count_lines(const char *s)
{
    size_t n = 0;

    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* The comparison of RUN's METRIC in a --json document. */
static json_t *find_row(json_t *doc, const char *run, const char *metric)
{
    json_t *rows = json_object_get(doc, "comparisons"), *r;
    size_t i;

    json_array_foreach(rows, i, r) {
        const char *rr = json_string_value(json_object_get(r, "run"));
        const char *rm = json_string_value(json_object_get(r, "metric"));

        if (strcmp(rr, run) == 0 && strcmp(rm, metric) == 0)
            return r;
    }
    fail_msg("no comparison of %s %s", run, metric);
    return NULL;
}

static bool significant(json_t *doc, const char *run, const char *metric)
{
    return json_is_true(json_object_get(find_row(doc, run, metric),
                                        "significant"));
}

static double row_number(json_t *doc, const char *run, const char *metric,
                         const char *key)
{
    json_t *v = json_object_get(find_row(doc, run, metric), key);

    return json_is_number(v) ? json_number_value(v) : NAN;
}

static json_t *compare_json(const char *extra1, const char *extra2)
{
    char path[256];
    struct result r;
    json_error_t e;
    json_t *doc;

    snprintf(path, sizeof(path), "%s/c.json", tmp);
    r = run_compare(FIX_A, FIX_B, "--no-out", "--json", path, extra1, extra2,
                    NULL);
    if (r.status != 0)
        fail_msg("exit %d: %s", r.status, r.err);
    free_result(&r);
    doc = json_load_file(path, 0, &e);
    if (!doc)
        fail_msg("%s:%d: %s", path, e.line, e.text);
    return doc;
}

#define Q1 "q1-small-cost/"
#define Q2 "q2-vmalloc-cost/vmalloc/"

static void test_finds_the_changes(void **state)
{
    json_t *doc = compare_json(NULL, NULL);

    /* Built in: +8% and -8% on q1, +20% on q2 pages=16. */
    assert_true(significant(doc, Q1 "xvmalloc/size=64", "ns_per_op"));
    assert_true(significant(doc, Q1 "xmalloc/size=2048", "ns_per_op"));
    assert_true(significant(doc, Q2 "pages=16/flushers=0", "ns_per_op"));
    assert_true(significant(doc, Q2 "pages=16/flushers=0", "ns_per_page"));
    /* Interleaved samples: no change. */
    assert_false(significant(doc, Q1 "xmalloc/size=64", "ns_per_op"));
    assert_false(significant(doc, Q2 "pages=1/flushers=0", "ns_per_op"));
    /* +0.6% with disjoint samples: p is small, the change is below 1%. */
    assert_true(row_number(doc, Q1 "xvmalloc/size=2048", "ns_per_op", "p") <
                0.05);
    assert_false(significant(doc, Q1 "xvmalloc/size=2048", "ns_per_op"));

    /* Exact p-values of disjoint samples: 2 / C(14, 7) and 2 / C(11, 5). */
    assert_near(row_number(doc, Q1 "xvmalloc/size=64", "ns_per_op", "p"),
                       2.0 / 3432, 1e-9);
    assert_near(row_number(doc, Q1 "xmalloc/size=2048", "ns_per_op",
                                  "p"), 2.0 / 462, 1e-9);
    /* Medians and change: 41.7 -> 45.2. */
    assert_near(row_number(doc, Q1 "xvmalloc/size=64", "ns_per_op",
                                  "change"), 45.2 / 41.7 - 1, 1e-9);
    json_decref(doc);
}

static void test_single_values_and_sides(void **state)
{
    json_t *doc = compare_json(NULL, NULL), *row, *geo;
    const char *ids[2];

    /* Metrics without repetitions: a change, no test. */
    row = find_row(doc, "q4-aging/xmalloc", "contig_success_rate");
    assert_string_equal(json_string_value(json_object_get(row, "kind")),
                        "single");
    assert_true(json_is_null(json_object_get(row, "p")));
    assert_false(json_is_true(json_object_get(row, "significant")));
    assert_near(json_number_value(json_object_get(row, "change")),
                       0.79 / 0.82 - 1, 1e-9);
    /* A metric only B measured. */
    row = find_row(doc, Q2 "pages=16/flushers=0", "dtlb_misses_per_op");
    assert_string_equal(json_string_value(json_object_get(row, "kind")),
                        "one-sided");

    /* Runs on one side only. */
    assert_int_equal(json_array_size(json_object_get(doc, "only_a")), 1);
    assert_int_equal(json_array_size(json_object_get(doc, "only_b")), 1);
    ids[0] = json_string_value(json_array_get(json_object_get(doc, "only_a"),
                                              0));
    ids[1] = json_string_value(json_array_get(json_object_get(doc, "only_b"),
                                              0));
    assert_string_equal(ids[0], Q2 "pages=256/flushers=0");
    assert_string_equal(ids[1], Q2 "pages=16/flushers=1");

    /* Geometric mean of ns_per_op over the 7 runs both have. */
    geo = json_array_get(json_object_get(doc, "geomean"), 0);
    assert_string_equal(json_string_value(json_object_get(geo, "metric")),
                        "ns_per_op");
    assert_int_equal(json_integer_value(json_object_get(geo, "runs")), 7);
    assert_int_equal(json_integer_value(json_object_get(geo,
                                                        "significant_up")), 2);
    assert_int_equal(json_integer_value(json_object_get(geo,
                                                        "significant_down")),
                     1);
    {
        /* The ratios of the medians, by hand. */
        const double r[] = { 41.1 / 41.1, 45.2 / 41.7, 80.9 / 88.3,
                             88.7 / 88.2, 351.45 / 350.8, 2520.45 / 2101.95,
                             23.1 / 23.1 };
        double logs = 0;

        for (size_t i = 0; i < 7; i++)
            logs += log(r[i]);
        assert_near(json_number_value(json_object_get(geo, "ratio")),
                           exp(logs / 7), 1e-9);
    }
    /* Different machines are compared, with warnings. */
    assert_true(json_array_size(json_object_get(doc, "warnings")) >= 2);
    json_decref(doc);
}

static void test_options_move_the_verdict(void **state)
{
    json_t *doc = compare_json("--noise-floor", "0.1");

    assert_true(significant(doc, Q1 "xvmalloc/size=2048", "ns_per_op"));
    json_decref(doc);
    /* p = 0.0043 no longer passes; 2 / 3432 does, Holm-adjusted for the
     * rows tested (issue 11: many rows at once must not cry wolf). */
    doc = compare_json("--alpha", "0.01");
    assert_false(significant(doc, Q1 "xmalloc/size=2048", "ns_per_op"));
    assert_true(significant(doc, Q1 "xvmalloc/size=64", "ns_per_op"));
    json_decref(doc);
    doc = compare_json("--metric", "ns_per_page");
    assert_int_equal(json_array_size(json_object_get(doc, "comparisons")), 2);
    json_decref(doc);
}

static void assert_line_widths(const char *text)
{
    for (const char *line = text; *line;) {
        size_t len = strcspn(line, "\n");

        if (len > 78)
            fail_msg("line of %zu columns: %.*s", len, (int)len, line);
        line += len + (line[len] == '\n');
    }
}

static void test_text(void **state)
{
    struct result r = run_compare(FIX_A, FIX_B, "--no-out", "--all", NULL);

    assert_int_equal(r.status, 0);
    assert_string_equal(r.err, "");
    assert_line_widths(r.out);
    assert_non_null(strstr(r.out, "warning: different CPUs"));
    assert_non_null(strstr(r.out, "warning: different host page sizes (A 4K, "
                                  "B 64K)"));
    assert_non_null(strstr(r.out, "Runs only in A (1):\n  " Q2
                                  "pages=256/flushers=0\n"));
    assert_non_null(strstr(r.out, "Runs only in B (1):\n  " Q2
                                  "pages=16/flushers=1\n"));
    assert_non_null(strstr(r.out, "4 significant"));
    /* The xvmalloc/size=64 block: its ns_per_op line says significant. */
    {
        const char *block = strstr(r.out, "\n  xvmalloc/size=64 ");
        const char *line = block ? strstr(block, "ns_per_op") : NULL;

        assert_non_null(line);
        assert_true(strstr(line, "significant") < strchr(line, '\n'));
        assert_non_null(strstr(line, "+8.4%"));
    }
    /* Under the noise floor: p passes, the verdict says why it is "-". */
    {
        const char *block = strstr(r.out, "\n  xvmalloc/size=2048 ");
        const char *line = block ? strstr(block, "ns_per_op") : NULL;

        assert_non_null(line);
        assert_true(strstr(line, "- (<1%)") < strchr(line, '\n'));
    }
    /* The long id is cut in the middle, keeping both ends. */
    assert_non_null(strstr(r.out, "\n  jemalloc/workload=do"));
    assert_non_null(strstr(r.out, "...nd-event-channel-churn/threads=1"));
    free_result(&r);

    /* A folder against itself: nothing significant; the same revision is
     * said, since a change there could only be noise. */
    r = run_compare(FIX_B, FIX_B, "--no-out", "--all", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "warning: A and B are the same revision "
                                  "(b41f2d0)"));
    assert_null(strstr(r.out, "warning: different"));
    assert_non_null(strstr(r.out, " 0 significant"));
    assert_non_null(strstr(r.out, "Runs only in A: none"));
    free_result(&r);
}

/* By default a summary for an email: the significant rows, the means,
 * a screen at most; --all is the table. */
static void test_summary(void **state)
{
    struct result r = run_compare(FIX_A, FIX_B, "--no-out", NULL);

    assert_int_equal(r.status, 0);
    assert_line_widths(r.out);
    assert_true(count_lines(r.out) <= 40);
    assert_non_null(strstr(r.out, "Significant changes: 4 of 9 metrics "
                                  "tested"));
    assert_non_null(strstr(r.out, "q1-small-c...vmalloc/size=64 ns_per_op"));
    assert_non_null(strstr(r.out, "+8.4%"));
    assert_non_null(strstr(r.out, "Geometric mean of B/A"));
    assert_non_null(strstr(r.out, "Runs only in A: 1, only in B: 1"));
    /* not the table: no row that is not significant */
    assert_null(strstr(r.out, "- (<1%)"));
    assert_null(strstr(r.out, "(7 and 7 repetitions)"));
    free_result(&r);

    r = run_compare(FIX_B, FIX_B, "--no-out", NULL);
    assert_non_null(strstr(r.out, "No significant change in"));
    free_result(&r);
}

/* A quick run against a full one compares different traces: warned. */
static void test_quick_against_full(void **state)
{
    json_t *doc = json_load_file(FIX_A "/results.json", 0, NULL);
    char dir[256], path[300];
    struct result r;

    assert_non_null(doc);
    json_object_set_new(doc, "quick", json_true());
    snprintf(dir, sizeof(dir), "%s/quick", tmp);
    assert_int_equal(mkdir(dir, 0755), 0);
    snprintf(path, sizeof(path), "%s/results.json", dir);
    assert_int_equal(json_dump_file(doc, path, 0), 0);
    json_decref(doc);
    r = run_compare(dir, FIX_A, "--no-out", NULL);
    assert_non_null(strstr(r.out, "warning: A is a --quick run and B a full "
                                  "one"));
    free_result(&r);
}

/* Each bad input: exit 2, nothing on stdout, one line naming WHAT. */
static void check_refused(const char *a, const char *b, const char *what,
                          const char *fault)
{
    struct result r = run_compare(a, b, "--no-out", NULL);

    if (r.status != EXIT_USAGE)
        fail_msg("%s: exit %d, want 2 (%s)", what, r.status, r.err);
    assert_string_equal(r.out, "");
    assert_int_equal(count_lines(r.err), 1);
    if (!strstr(r.err, what) || !strstr(r.err, fault))
        fail_msg("message '%s' should name '%s' and '%s'", r.err, what, fault);
    free_result(&r);
}

static void make_bad(const char *name, const char *json, char *dir,
                     size_t len)
{
    char path[512];

    snprintf(dir, len, "%s/%s", tmp, name);
    assert_int_equal(mkdir(dir, 0755), 0);
    snprintf(path, sizeof(path), "%s/results.json", dir);
    spill(path, json);
}

static void test_bad_input(void **state)
{
    char dir[256], file[300];
    struct result r;

    snprintf(dir, sizeof(dir), "%s/nosuch", tmp);
    check_refused(FIX_A, dir, dir, "No such file");
    snprintf(dir, sizeof(dir), "%s/empty", tmp);
    assert_int_equal(mkdir(dir, 0755), 0);
    snprintf(file, sizeof(file), "%s/results.json", dir);
    check_refused(dir, FIX_B, file, "cannot read");

    make_bad("malformed", "{\n  \"format\": \"xheap-results 1\",\n"
             "  \"experiments\": [ 1, ]\n}\n", dir, sizeof(dir));
    snprintf(file, sizeof(file), "%s/results.json:3:", dir);
    check_refused(FIX_A, dir, file, "malformed JSON");

    make_bad("format", "{\"format\": \"xheap-trace 1\", \"experiments\": []}",
             dir, sizeof(dir));
    check_refused(FIX_A, dir, dir, "\"format\"");
    make_bad("noformat", "{\"experiments\": []}", dir, sizeof(dir));
    check_refused(dir, FIX_B, dir, "missing");
    make_bad("noexp", "{\"format\": \"xheap-results 1\"}", dir, sizeof(dir));
    check_refused(dir, FIX_B, dir, "\"experiments\"");
    make_bad("dup", "{\"format\": \"xheap-results 1\", \"experiments\": ["
             "{\"name\": \"e\", \"runs\": [{\"id\": \"e/x\"}, "
             "{\"id\": \"e/x\"}]}]}", dir, sizeof(dir));
    check_refused(dir, FIX_B, dir, "appears twice");
    make_bad("badsample", "{\"format\": \"xheap-results 1\", \"experiments\": ["
             "{\"name\": \"e\", \"runs\": [{\"id\": \"e/x\", \"samples\": "
             "{\"ns_per_op\": [1, \"fast\"]}}]}]}", dir, sizeof(dir));
    check_refused(FIX_A, dir, dir, "ns_per_op");

    /* Bad usage. */
    r = run_compare(FIX_A, NULL);
    assert_int_equal(r.status, EXIT_USAGE);
    free_result(&r);
    r = run_compare(FIX_A, FIX_B, "--alpha", "1.5", NULL);
    assert_int_equal(r.status, EXIT_USAGE);
    assert_non_null(strstr(r.err, "--alpha"));
    free_result(&r);
    r = run_compare(FIX_A, FIX_B, "--metric", "no_such_metric", NULL);
    assert_int_equal(r.status, EXIT_USAGE);
    assert_non_null(strstr(r.err, "no_such_metric"));
    free_result(&r);
    r = run_compare(FIX_A, FIX_B, "--frobnicate", NULL);
    assert_int_equal(r.status, EXIT_USAGE);
    free_result(&r);
    r = run_compare("--help", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "usage: xheap compare"));
    free_result(&r);
}

static void assert_nonempty_file(const char *dir, const char *name)
{
    char path[512];
    struct stat st;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (stat(path, &st) != 0 || st.st_size == 0)
        fail_msg("%s is missing or empty", path);
}

static bool have_gnuplot(void)
{
    return system("command -v gnuplot >/dev/null 2>&1") == 0;
}

static void test_out_dir(void **state)
{
    char out[256], out2[300], path[512], *csv;
    struct result r;

    snprintf(out, sizeof(out), "%s/out", tmp);
    r = run_compare(FIX_A, FIX_B, "--out", out, NULL);
    assert_int_equal(r.status, 0);
    /* "wrote OUT/", or with no gnuplot one more line saying so; gnuplot's
     * own warnings would add more. */
    assert_int_equal(count_lines(r.err), have_gnuplot() ? 1 : 2);
    free_result(&r);
    assert_nonempty_file(out, "compare.txt");
    assert_nonempty_file(out, "compare.csv");
    assert_nonempty_file(out, "compare_ns_per_op.csv");
    snprintf(path, sizeof(path), "%s/compare.csv", out);
    csv = slurp(path);
    /* A header, then a line per comparison: 9 tested, 24 single values
     * and the one metric only B has. */
    assert_int_equal(count_lines(csv), 1 + 9 + 24 + 1);
    free(csv);
    /* The figure's data: the 7 runs with ns_per_op on both sides. */
    snprintf(path, sizeof(path), "%s/compare_ns_per_op.csv", out);
    csv = slurp(path);
    assert_int_equal(count_lines(csv), 1 + 7);
    free(csv);
    if (have_gnuplot()) {
        char *png;

        assert_nonempty_file(out, "plots/compare_ns_per_op.png");
        assert_nonempty_file(out, "plots/compare_ns_per_op.svg");
        snprintf(path, sizeof(path), "%s/plots/compare_ns_per_op.png", out);
        png = slurp(path);
        assert_memory_equal(png, "\x89PNG", 4);
        free(png);
    } else {
        print_message("gnuplot not installed: figure not checked\n");
    }

    /* Never overwritten: the second goes to OUT-2. */
    r = run_compare(FIX_A, FIX_B, "--out", out, NULL);
    assert_int_equal(r.status, 0);
    free_result(&r);
    snprintf(out2, sizeof(out2), "%s-2", out);
    assert_nonempty_file(out2, "compare.txt");
}

/* Without --out: DIR_B/compare-<name of DIR_A>, here on copies. */
static void test_default_out_dir(void **state)
{
    char a[256], b[256], path[512], *json;
    struct result r;

    snprintf(a, sizeof(a), "%s/run-a", tmp);
    snprintf(b, sizeof(b), "%s/run-b", tmp);
    assert_int_equal(mkdir(a, 0755), 0);
    assert_int_equal(mkdir(b, 0755), 0);
    json = slurp(FIX_A "/results.json");
    snprintf(path, sizeof(path), "%s/results.json", a);
    spill(path, json);
    free(json);
    json = slurp(FIX_B "/results.json");
    snprintf(path, sizeof(path), "%s/results.json", b);
    spill(path, json);
    free(json);
    r = run_compare(a, b, NULL);
    assert_int_equal(r.status, 0);
    free_result(&r);
    snprintf(path, sizeof(path), "%s/compare-run-a", b);
    assert_nonempty_file(path, "compare.txt");
}

/* Fixture A cut to 3 processes a run: the exact test cannot go below
 * p = 2 / C(6, 3) = 0.1, and the text must say so. */
static void test_too_few_repetitions(void **state)
{
    json_t *doc = json_load_file(FIX_A "/results.json", 0, NULL), *e, *r, *v;
    char dir[256], path[300];
    const char *key;
    struct result res;
    size_t i, j;

    assert_non_null(doc);
    json_array_foreach(json_object_get(doc, "experiments"), i, e)
        json_array_foreach(json_object_get(e, "runs"), j, r)
            json_object_foreach(json_object_get(r, "samples"), key, v)
                while (json_array_size(v) > 3)
                    json_array_remove(v, 3);
    snprintf(dir, sizeof(dir), "%s/three", tmp);
    assert_int_equal(mkdir(dir, 0755), 0);
    snprintf(path, sizeof(path), "%s/results.json", dir);
    assert_int_equal(json_dump_file(doc, path, 0), 0);
    json_decref(doc);

    res = run_compare(dir, dir, "--no-out", NULL);
    assert_int_equal(res.status, 0);
    assert_non_null(strstr(res.out, "warning: 11 comparisons have too few "
                                    "processes"));
    free_result(&res);
    /* 3 and 7: p can reach 2 / C(10, 3) = 0.017, but not 0.05 / 9, the
     * first step of Holm's adjustment over the 9 rows tested. */
    res = run_compare(dir, FIX_B, "--no-out", NULL);
    assert_null(strstr(res.out, "too few"));
    assert_non_null(strstr(res.out, "warning: none of the 9 rows tested can "
                                    "be significant after Holm's"));
    free_result(&res);
}

/* ---- the unit of replication ---- */

/* "[v0, v0 + step, ...]", N values. */
static void values_text(char *buf, size_t len, double v0, double step,
                        int n)
{
    size_t at = (size_t)snprintf(buf, len, "[");

    for (int i = 0; i < n && at < len; i++)
        at += (size_t)snprintf(buf + at, len - at, "%s%.2f", i ? ", " : "",
                               v0 + step * i);
    if (at < len)
        snprintf(buf + at, len - at, "]");
}

/* One run of experiment "e": its id, its unit ("process", "repetition",
 * or NULL for none, as results from before the suite spread points over
 * processes) and its ns_per_op samples. */
static void put_run(FILE *f, bool first, const char *id, const char *unit,
                    double v0, double step, int n)
{
    char values[1024];

    values_text(values, sizeof(values), v0, step, n);
    fprintf(f, "%s{\"id\": \"e/%s\", %s%s%s\"samples\": {\"ns_per_op\": %s}}",
            first ? "" : ", ", id, unit ? "\"sample_unit\": \"" : "",
            unit ? unit : "", unit ? "\", " : "", values);
}

/*
 * A side of the hand-made pair: two runs spread over 5 processes a side
 * (one changed by 10% beyond any overlap, one not), and runs whose
 * repetitions all come from one process: their medians 17% apart, the
 * repetitions far from overlapping, as two runs 25 s apart on a busy
 * machine gave for the same code.
 */
static void write_units_side(const char *dir, bool b)
{
    char path[300];
    FILE *f;

    snprintf(path, sizeof(path), "%s/results.json", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"format\": \"xheap-results 1\", \"git_revision\": \"r1\", "
          "\"experiments\": [{\"name\": \"e\", \"runs\": [", f);
    put_run(f, true, "changed", "process", b ? 110 : 100, 1, 5);
    put_run(f, false, "same", "process", b ? 101 : 100, 2, 5);
    for (int i = 0; i < 6; i++) {
        char id[32];

        snprintf(id, sizeof(id), "pseudo%d", i);
        put_run(f, false, id, "repetition", b ? 117 : 100, 0.1, 10);
    }
    put_run(f, false, "old", NULL, b ? 117 : 100, 0.1, 10);
    put_run(f, false, "mixed", b ? "repetition" : "process", b ? 117 : 100,
            0.1, 10);
    fputs("]}]}\n", f);
    assert_int_equal(fclose(f), 0);
}

static json_t *units_compare(char *text, size_t len)
{
    char a[256], b[256], json[300];
    struct result r;
    json_t *doc;

    snprintf(a, sizeof(a), "%s/units-a", tmp);
    snprintf(b, sizeof(b), "%s/units-b", tmp);
    snprintf(json, sizeof(json), "%s/units.json", tmp);
    if (mkdir(a, 0755) == 0 && mkdir(b, 0755) == 0) {
        write_units_side(a, false);
        write_units_side(b, true);
    }
    r = run_compare(a, b, "--no-out", "--json", json, NULL);
    assert_int_equal(r.status, 0);
    snprintf(text, len, "%s", r.out);
    free_result(&r);
    doc = json_load_file(json, 0, NULL);
    assert_non_null(doc);
    return doc;
}

/* Repetitions inside one process are pseudo-replicates: however far apart
 * two runs' repetitions lie, no p-value is computed from them, and they
 * count neither as tested nor in Holm's adjustment. */
static void test_one_process_is_not_tested(void **state)
{
    char text[8192];
    json_t *doc = units_compare(text, sizeof(text)), *row;
    const char *ids[] = { "e/pseudo0", "e/pseudo5", "e/old", "e/mixed" };

    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        row = find_row(doc, ids[i], "ns_per_op");
        assert_string_equal(json_string_value(json_object_get(row, "kind")),
                            "untestable");
        assert_false(json_is_true(json_object_get(row, "significant")));
        assert_true(json_is_null(json_object_get(row, "p")));
        assert_true(json_is_null(json_object_get(row, "change_ci95")));
        /* the change is still shown: 17% */
        assert_near(json_number_value(json_object_get(row, "change")),
                    117.45 / 100.45 - 1, 1e-9);
    }
    assert_string_equal(json_string_value(json_object_get(find_row(doc,
        "e/pseudo0", "ns_per_op"), "untestable")), "one process a side");
    assert_string_equal(json_string_value(json_object_get(find_row(doc,
        "e/mixed", "ns_per_op"), "untestable")), "one process in B");
    assert_int_equal(json_integer_value(json_object_get(doc, "untestable")),
                     8);
    /* The summary says so, and counts only the tested rows. */
    assert_non_null(strstr(text, "8 rows not testable: one process a side"));
    assert_non_null(strstr(text, "Significant changes: 1 of 2 metrics "
                                 "tested"));
    json_decref(doc);
}

/* Processes that differ clearly, 5 a side, are significant; Holm's
 * adjustment still applies, over the 2 rows tested and no others. */
static void test_processes_are_tested(void **state)
{
    char text[8192];
    json_t *doc = units_compare(text, sizeof(text)), *row;

    row = find_row(doc, "e/changed", "ns_per_op");
    assert_string_equal(json_string_value(json_object_get(row, "kind")),
                        "tested");
    assert_string_equal(json_string_value(json_object_get(
        json_object_get(row, "a"), "unit")), "process");
    /* 5 against 5, disjoint: exact p = 2 / C(10, 5); times m = 2. */
    assert_near(json_number_value(json_object_get(row, "p")), 2.0 / 252,
                1e-9);
    assert_near(json_number_value(json_object_get(row, "p_holm")),
                2 * 2.0 / 252, 1e-9);
    assert_true(json_is_true(json_object_get(row, "significant")));
    /* Interleaved processes: no change. */
    assert_false(significant(doc, "e/same", "ns_per_op"));
    assert_true(row_number(doc, "e/same", "ns_per_op", "p_holm") > 0.05);
    json_decref(doc);
}

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw)
{
    return remove(path);
}

static int setup(void **state)
{
    return mkdtemp(tmp) ? 0 : -1;
}

static int teardown(void **state)
{
    return nftw(tmp, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_finds_the_changes),
        cmocka_unit_test(test_single_values_and_sides),
        cmocka_unit_test(test_options_move_the_verdict),
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_out_dir),
        cmocka_unit_test(test_default_out_dir),
        cmocka_unit_test(test_too_few_repetitions),
        cmocka_unit_test(test_summary),
        cmocka_unit_test(test_quick_against_full),
        cmocka_unit_test(test_one_process_is_not_tested),
        cmocka_unit_test(test_processes_are_tested),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
