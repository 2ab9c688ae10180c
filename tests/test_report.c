/*
 * report_render on fixture results folders: every figure script drawn in
 * every format, report.txt's content and width, the caveats, and bad
 * input met with one clear line.
 */
#include "tests/check.h"

#include <dirent.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "drivers/cli/cli.h"
#include "drivers/report/answers.h"
#include "drivers/report/report.h"

/* results.json and the CSVs of a real `xheap run --quick` of this code on
 * a 2-core KVM guest (no hardware counters, shmem THP off), as written. */
#define FIXTURE  "tests/fixtures/results-run"
#define NO_GNUPLOT "/nonexistent/gnuplot"

static char fixture[PATH_MAX];

/* snprintf into a PATH_MAX buffer; the test's paths are short. */
static void pathf(char *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void pathf(char *out, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(out, PATH_MAX, fmt, ap);
    va_end(ap);
}

/* The fixture, from the repository root or from build/tests/. */
static const char *fixture_dir(void)
{
    char exe[PATH_MAX];
    ssize_t n;

    if (access(FIXTURE "/results.json", R_OK) == 0)
        return FIXTURE;
    n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    assert_true(n > 0);
    exe[n] = 0;
    *strrchr(exe, '/') = 0;
    pathf(fixture, "%s/../../" FIXTURE, exe);
    assert_int_equal(access(fixture, R_OK), 0);
    return fixture;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf;
    long n;

    if (!f)
        fail_msg("%s: cannot open", path);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    buf = malloc(n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, n, f), (size_t)n);
    buf[n] = 0;
    fclose(f);
    return buf;
}

static void spit(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void copy_file(const char *from, const char *to)
{
    char *text = slurp(from);

    spit(to, text);
    free(text);
}

static void temp_dir(char *out, size_t len)
{
    snprintf(out, len, "/tmp/xheap-report-XXXXXX");
    assert_non_null(mkdtemp(out));
}

/* A fresh copy of the fixture folder. */
static void copy_fixture(char *out, size_t len)
{
    const char *src = fixture_dir();
    DIR *d = opendir(src);
    struct dirent *e;
    char from[PATH_MAX], to[PATH_MAX];

    assert_non_null(d);
    temp_dir(out, len);
    while ((e = readdir(d)))
        if (e->d_name[0] != '.') {
            pathf(from, "%s/%s", src, e->d_name);
            pathf(to, "%s/%s", out, e->d_name);
            copy_file(from, to);
        }
    closedir(d);
}

static int remove_one(const char *path, const struct stat *st, int flag,
                      struct FTW *ftw)
{
    return remove(path);
}

static void remove_tree(const char *dir)
{
    assert_int_equal(nftw(dir, remove_one, 8, FTW_DEPTH | FTW_PHYS), 0);
}

static size_t file_size(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 ? (size_t)st.st_size : 0;
}

/* Fails unless every line of PATH fits in REPORT_WIDTH columns. */
static void check_width(const char *path)
{
    char *text = slurp(path), *line = text;
    unsigned lineno = 1;

    while (*line) {
        size_t n = strcspn(line, "\n"), c = 0;

        for (size_t i = 0; i < n; i++) {
            if (line[i] == '\t' || line[i] == '\r')
                fail_msg("%s:%u: a tab or CR", path, lineno);
            c += ((unsigned char)line[i] & 0xc0) != 0x80;
        }
        if (c > REPORT_WIDTH)
            fail_msg("%s:%u: %zu columns: %.*s", path, lineno, c, (int)n,
                     line);
        line += n + (line[n] == '\n');
        lineno++;
    }
    free(text);
}

/* TEXT with every run of blanks made one space: wrapping undone. */
static char *flat(const char *text)
{
    char *out = malloc(strlen(text) + 1), *o = out;

    assert_non_null(out);
    for (const char *p = text; *p; p++) {
        if (*p == ' ' || *p == '\n') {
            if (o > out && o[-1] != ' ')
                *o++ = ' ';
        } else
            *o++ = *p;
    }
    *o = 0;
    return out;
}

static void assert_has(const char *text, const char *want)
{
    if (!strstr(text, want))
        fail_msg("missing: \"%s\"", want);
}

static void assert_lacks(const char *text, const char *unwanted)
{
    if (strstr(text, unwanted))
        fail_msg("should not be there: \"%s\"", unwanted);
}

/* report.txt of DIR, flattened. */
static char *report_of(const char *dir)
{
    char path[PATH_MAX], *text, *f;

    pathf(path, "%s/report.txt", dir);
    check_width(path);
    text = slurp(path);
    f = flat(text);
    free(text);
    return f;
}

/* ---- The fixture, drawn ---- */

static void check_figure_files(const char *dir, const char *name)
{
    char path[PATH_MAX], *text;

    pathf(path, "%s/plots/%s.png", dir, name);
    assert_true(file_size(path) > 100);
    text = slurp(path);
    assert_memory_equal(text, "\x89PNG", 4);
    free(text);
    pathf(path, "%s/plots/%s.svg", dir, name);
    assert_true(file_size(path) > 100);
    text = slurp(path);
    assert_has(text, "<svg");
    free(text);
    pathf(path, "%s/plots/%s.txt", dir, name);
    assert_true(file_size(path) > 100);
    check_width(path);
}

/* The first line with text of a text figure, as report.txt has it. */
static void first_line(const char *path, char *out, size_t len)
{
    char *text = slurp(path), *p = text;

    while (*p == '\n' || *p == ' ' || *p == '\f') {
        char *nl = strchr(p, '\n');

        if (!nl || p[strspn(p, " \f")] != '\n')
            break;
        p = nl + 1;
    }
    p[strcspn(p, "\n")] = 0;
    while (*p && p[strlen(p) - 1] == ' ')
        p[strlen(p) - 1] = 0;
    snprintf(out, len, "%s", p);
    free(text);
}

static void test_fixture(void **state)
{
    const struct report_figure *fig;
    char dir[PATH_MAX], why[512], path[PATH_MAX], line[256], *report, *raw;
    char *csv;
    size_t n;

    unsetenv("XHEAP_GNUPLOT");
    copy_fixture(dir, sizeof(dir));
    assert_int_equal(report_render(dir, why, sizeof(why)), 0);
    assert_string_equal(why, "");

    fig = report_figures(&n);
    assert_int_equal(n, 14);
    report = report_of(dir);
    pathf(path, "%s/report.txt", dir);
    raw = slurp(path);
    for (size_t i = 0; i < n; i++) {
        char caption[256];

        pathf(path, "%s/%s.csv", dir, fig[i].name);
        if (access(path, F_OK) != 0)   /* q9: not measured, so not drawn */
            continue;
        check_figure_files(dir, fig[i].name);
        snprintf(caption, sizeof(caption), "%s.png: %s", fig[i].name,
                 fig[i].caption);
        assert_has(report, caption);
        /* the text figure itself is in the report, line for line */
        pathf(path, "%s/plots/%s.txt", dir, fig[i].name);
        first_line(path, line, sizeof(line));
        assert_true(strlen(line) > 0);
        assert_has(raw, line);
    }
    assert_has(report, "Status: complete, 21 experiments");
    assert_has(report, "Command: xheap run bench.toml --quick");
    assert_has(report, "Q1 on small, xvmalloc costs +1.83 ns/op (+6.8%) over "
               "xmalloc [95% CI 0.845..2.81 ns/op]");
    assert_has(report, "[95% CI 216..237x] (q7_directmap.png)");
    /* Q4 counts the fill failures; Q6 compares the same sizes and says
     * what emulation measures; Q8 is medians and percentiles. */
    assert_has(report, "fill allocations that failed: xmalloc 84, xvmalloc 0");
    assert_has(report, "the fills differ");
    assert_has(report, "Q6 the same requests at 4K/16K/64K pages");
    assert_has(report, "a 64K model page is 16 host pages");
    assert_has(report, "Q8 on short-lived, ns per call, median/99th "
               "percentile");
    /* Q9: the directmap got no huge pages: not measured, no percentage */
    assert_has(report, "Q9 not measured: the host refused huge pages");
    assert_has(report, "echo advise > /sys/kernel/mm/transparent_hugepage/"
               "shmem_enabled");
    assert_lacks(report, "(q9_access.png)");
    /* The machine and the caveats of this real run, all of them firing. */
    assert_has(report, "THP shmem: never");
    assert_has(report, "Perf: not available: no hardware counters");
    assert_lacks(report, "perf_event_paranoid");
    assert_has(report, "- A virtual machine:");
    assert_has(report, "- Counters unsupported here: cycles, dTLB-load-misses");
    assert_has(report, "- The host refused huge pages for the directmap");
    assert_has(report, "- Model pages of up to 64K on a host with 4K pages "
               "are emulated");
    assert_has(report, "- A --quick run");
    assert_has(report, "- Allocations failed in 7 of 197 runs (q4-aging, "
               "q5-xenheap): Q4 and Q5 measure failures");
    assert_has(report, "- Some runs have only 1 repetition (fewer");

    /* Q2's figure is the size sweep alone; the baselines are ranked. */
    pathf(path, "%s/q2_vmalloc_cost.csv", dir);
    csv = slurp(path);
    assert_lacks(csv, "range");
    assert_lacks(csv, "lazy");
    free(csv);
    pathf(path, "%s/baselines.csv", dir);
    csv = slurp(path);
    assert_has(csv, "x,small,small_lo,small_hi\nmimalloc,");
    free(csv);

    /* nothing half-written is left behind */
    pathf(path, "%s/plots/q1_small_cost.tmp.png", dir);
    assert_int_equal(access(path, F_OK), -1);
    pathf(path, "%s/plots/q1_small_cost.log", dir);
    assert_int_equal(access(path, F_OK), -1);
    free(raw);
    free(report);
    remove_tree(dir);
}

/* ---- Without gnuplot: the answers still, a note instead of plots ---- */

static void test_no_gnuplot(void **state)
{
    char dir[PATH_MAX], why[512], path[PATH_MAX], *report;

    copy_fixture(dir, sizeof(dir));
    setenv("XHEAP_GNUPLOT", NO_GNUPLOT, 1);
    assert_int_equal(report_render(dir, why, sizeof(why)), 0);
    unsetenv("XHEAP_GNUPLOT");
    assert_has(why, "gnuplot was not found");
    assert_null(strchr(why, '\n'));

    report = report_of(dir);
    assert_has(report, "No plots: gnuplot was not found");
    assert_has(report, "[95% CI 216..237x] (q7_directmap.csv)");
    assert_has(report, "q1_small_cost.csv: does xvmalloc cost more");
    assert_has(report, "- A virtual machine:");
    pathf(path, "%s/plots/q1_small_cost.png", dir);
    assert_int_equal(access(path, F_OK), -1);
    free(report);

    /* a gnuplot that does not run is as good as none */
    setenv("XHEAP_GNUPLOT", "/bin/false", 1);
    assert_int_equal(report_render(dir, why, sizeof(why)), 0);
    unsetenv("XHEAP_GNUPLOT");
    assert_has(why, "'/bin/false --version' failed");
    remove_tree(dir);
}

/* ---- Bad input: one line naming the file and the fault ---- */

static void expect_bad(const char *dir, const char *want)
{
    char why[512];

    assert_int_equal(report_render(dir, why, sizeof(why)), REPORT_BAD_INPUT);
    assert_null(strchr(why, '\n'));
    if (!strstr(why, want))
        fail_msg("why \"%s\" lacks \"%s\"", why, want);
}

static void test_bad_results(void **state)
{
    char dir[PATH_MAX], path[PATH_MAX];

    expect_bad("/nonexistent/results", "/nonexistent/results: No such file");
    temp_dir(dir, sizeof(dir));
    expect_bad(dir, "results.json: unable to open");
    pathf(path, "%s/results.json", dir);
    spit(path, "{\n  \"format\": \"xheap-results 1\",\n  \"status\": \n}\n");
    expect_bad(dir, "results.json:4: ");
    spit(path, "{\"format\": \"xheap-results 2\", \"experiments\": []}\n");
    expect_bad(dir, "format 'xheap-results 2'; expected 'xheap-results 1'");
    spit(path, "[1, 2]\n");
    expect_bad(dir, "format '(none)'");
    spit(path, "{\"format\": \"xheap-results 1\", \"experiments\": {}}\n");
    expect_bad(dir, "\"experiments\" is not a list");
    pathf(path, "%s/report.txt", dir);
    assert_int_equal(access(path, F_OK), -1);   /* nothing written */
    remove_tree(dir);
}

static void test_bad_csv(void **state)
{
    static const char *const cases[][3] = {   /* file, content, fault */
        { "q3_waste.csv", "x,a,a_lo,a_hi\n1,2,3,4\n5,6,7\n",
          "q3_waste.csv:3: 3 fields; the header has 4" },
        { "q3_waste.csv", "x,a,a_low,a_hi\n1,2,3,4\n",
          "q3_waste.csv:1: column 3 is 'a_low'; expected 'a_lo'" },
        { "q3_waste.csv", "x,a,a_lo\n1,2,3\n",
          "q3_waste.csv:1: 3 columns; expected x, then value,lo,hi" },
        { "q3_waste.csv", "x,a,a_lo,a_hi\n1,2,fast,4\n",
          "q3_waste.csv:2: column 3: 'fast' is not a number" },
        { "q1_small_cost.csv", "x,a,a_lo,a_hi\nbig,2,1,3\n",
          "q1_small_cost.csv:2: x 'big' is not a number" },
        { "q7_directmap.csv", "",
          "q7_directmap.csv:1: empty" },
    };
    char dir[PATH_MAX], path[PATH_MAX], *report;

    setenv("XHEAP_GNUPLOT", NO_GNUPLOT, 1);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        copy_fixture(dir, sizeof(dir));
        pathf(path, "%s/%s", dir, cases[i][0]);
        spit(path, cases[i][1]);
        expect_bad(dir, cases[i][2]);
        /* the rest of the report is still written */
        report = report_of(dir);
        assert_has(report, "not drawn:");
        assert_has(report, cases[i][2]);
        assert_has(report, "Q9 not measured");
        free(report);
        remove_tree(dir);
    }
    unsetenv("XHEAP_GNUPLOT");
}

/* ---- Figures with no data still draw (a placeholder) ---- */

static void write_results(const char *dir, json_t *root)
{
    char path[PATH_MAX];

    pathf(path, "%s/results.json", dir);
    assert_int_equal(json_dump_file(root, path, JSON_INDENT(2)), 0);
    json_decref(root);
}

static json_t *minimal_results(void)
{
    return json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:i, s:s, s:i, s:s},"
        " s:{s:{s:i}}, s:[{s:s, s:i, s:s, s:s, s:s,"
        "   s:[{s:s, s:s, s:i, s:{s:[f,f,f,f,f]}, s:{s:i}}],"
        "   s:{s:s, s:f, s:s, s:[f,f]}}]}",
        "format", "xheap-results 1", "status", "complete",
        "started", "2026-11-23T10:00:00Z", "finished", "2026-11-23T10:05:00Z",
        "git_revision", "1234abc", "command", "xheap run bench.toml",
        "machine", "cpu", "Ampere Altra", "cores", 80, "kernel", "6.1.0",
        "page_size", 4096, "thp", "always",
        "config", "run", "repetitions", 5,
        "experiments", "name", "q1-small-cost", "question", 1,
        "title", "xvmalloc against xmalloc", "status", "complete",
        "figure", "q1_small_cost",
        "runs", "id", "q1-small-cost/xmalloc/size=64", "backend", "xmalloc",
        "threads", 1, "samples", "ns_per_op", 40.0, 40.1, 40.2, 39.9, 40.0,
        "metrics", "failed", 0,
        "answer", "text", "no measurable difference", "value", 0.1,
        "unit", "ns/op", "ci95", -0.2, 0.3);
}

static void test_no_data(void **state)
{
    char dir[PATH_MAX], why[512], path[PATH_MAX];
    static const char *const csv[][2] = {
        { "q1_small_cost", "x,a,a_lo,a_hi,a - b,a - b_lo,a - b_hi\n"
          "16,NaN,NaN,NaN,NaN,NaN,NaN\n64,NaN,NaN,NaN,NaN,NaN,NaN\n" },
        { "q3_waste", "x,a,a_lo,a_hi\n100,0,0,0\n1000,NaN,NaN,NaN\n" },
        { "q7_directmap", "x,a,a_lo,a_hi\n" },
        { "q9_access", "x,a,a_lo,a_hi,a misses,a misses_lo,a misses_hi\n"
          "1,NaN,NaN,NaN,0.5,0.4,0.6\n" },
        { "scaling", "x,a,a_lo,a_hi\n1,5,4,6\n" },
    };

    unsetenv("XHEAP_GNUPLOT");
    temp_dir(dir, sizeof(dir));
    write_results(dir, minimal_results());
    for (size_t i = 0; i < sizeof(csv) / sizeof(csv[0]); i++) {
        pathf(path, "%s/%s.csv", dir, csv[i][0]);
        spit(path, csv[i][1]);
    }
    assert_int_equal(report_render(dir, why, sizeof(why)), 0);
    assert_string_equal(why, "");
    for (size_t i = 0; i < sizeof(csv) / sizeof(csv[0]); i++)
        check_figure_files(dir, csv[i][0]);
    remove_tree(dir);
}

/* A result the design rules out (xvmalloc cheaper than xmalloc, which it
 * calls behind a size check) is flagged as noise, not given as a finding. */
static void test_contradiction(void **state)
{
    char dir[PATH_MAX], why[512], *report;
    json_t *root = minimal_results(), *x, *runs;

    x = json_array_get(json_object_get(root, "experiments"), 0);
    runs = json_object_get(x, "runs");
    json_object_set_new(json_array_get(runs, 0), "sweep",
                        json_pack("{s:i}", "size", 16));
    json_array_append_new(runs, json_pack(
        "{s:s, s:s, s:i, s:{s:i}, s:{s:[f,f,f,f,f]}, s:{s:i}}",
        "id", "q1-small-cost/xvmalloc/size=16", "backend", "xvmalloc",
        "threads", 1, "sweep", "size", 16,
        "samples", "ns_per_op", 21.0, 21.1, 20.9, 21.2, 21.0,
        "metrics", "failed", 0));
    setenv("XHEAP_GNUPLOT", NO_GNUPLOT, 1);
    temp_dir(dir, sizeof(dir));
    write_results(dir, json_incref(root));   /* root again below */
    assert_int_equal(report_render(dir, why, sizeof(why)), 0);
    unsetenv("XHEAP_GNUPLOT");
    report = report_of(dir);
    assert_has(report, "NOISE, not a finding: q1-small-cost: xvmalloc "
               "measured 19.0 ns/op cheaper than xmalloc");
    assert_has(report, "at 16 B");
    assert_has(report, "cannot be cheaper: this is the machine's noise");
    free(report);
    remove_tree(dir);

    /* Alternated in one process, every process measured xvmalloc dearer:
     * the paired differences decide, not the sides' absolute times. */
    json_object_set_new(json_object_get(json_array_get(runs, 0), "samples"),
                        "paired_diff_ns",
                        json_pack("[f,f,f,f,f]", 0.8, 1.1, 0.9, 1.3, 1.0));
    setenv("XHEAP_GNUPLOT", NO_GNUPLOT, 1);
    temp_dir(dir, sizeof(dir));
    write_results(dir, root);
    assert_int_equal(report_render(dir, why, sizeof(why)), 0);
    unsetenv("XHEAP_GNUPLOT");
    report = report_of(dir);
    assert_null(strstr(report, "NOISE"));
    free(report);
    remove_tree(dir);
}

/* ---- Caveats: none on a clean machine, each one when due ---- */

static void test_caveats(void **state)
{
    char dir[PATH_MAX], why[512], *report;
    json_t *root, *m, *run;

    setenv("XHEAP_GNUPLOT", NO_GNUPLOT, 1);
    temp_dir(dir, sizeof(dir));
    write_results(dir, minimal_results());
    assert_int_equal(report_render(dir, why, sizeof(why)), 0);
    report = report_of(dir);
    assert_has(report, "Status: complete, 1 experiment");
    assert_has(report, "Q1 no measurable difference [95% CI -0.2..0.3 ns/op]");
    assert_lacks(report, "(q1_small_cost.");   /* no CSV, no figure */
    assert_has(report, "Q2 not measured (no experiment in this run)");
    assert_has(report, "No figure data in this run.");
    assert_has(report, "Caveats ======= None found.");
    assert_lacks(report, "Caveats:");
    free(report);

    root = minimal_results();
    m = json_object_get(root, "machine");
    json_object_set_new(m, "thp_shmem", json_string("never"));
    json_object_set_new(m, "virtual", json_string("kvm"));
    json_object_set_new(m, "cores", json_integer(2));
    json_object_set_new(m, "perf", json_pack("{s:b, s:i, s:s}", "available",
                        0, "paranoid", 2, "hardware",
                        "not supported (No such file or directory)"));
    json_object_set_new(root, "quick", json_true());   /* as xheap run has it */
    json_object_set_new(root, "git_revision", json_string("1234abc-dirty"));
    json_object_set_new(root, "status", json_string("incomplete"));
    run = json_array_get(json_object_get(json_array_get(
        json_object_get(root, "experiments"), 0), "runs"), 0);
    json_object_set_new(run, "error", json_string("killed after 60 s"));
    /* a suite run keeps its child's counters among its metrics */
    json_object_set_new(json_object_get(run, "metrics"), "counters",
                        json_pack("{s:n, s:i}", "dTLB-load-misses",
                                  "page-faults", 12));
    json_object_set_new(run, "excluded_repetitions", json_integer(2));
    json_object_set_new(json_object_get(run, "metrics"), "map_failures",
                        json_integer(3));
    json_object_set_new(json_object_get(run, "metrics"), "failed",
                        json_integer(7));
    json_object_set_new(json_object_get(run, "metrics"), "lock_yields",
                        json_integer(5));
    /* one process of five at the machine's slower speed */
    json_object_set_new(run, "sample_unit", json_string("process"));
    json_object_set_new(json_object_get(run, "samples"), "ns_per_op",
                        json_pack("[f,f,f,f,f]", 40.0, 40.1, 52.0, 39.9,
                                  40.0));
    write_results(dir, json_incref(root));   /* root again below */
    assert_int_equal(report_render(dir, why, sizeof(why)), 0);
    report = report_of(dir);
    assert_has(report, "Status: INCOMPLETE: 1 of 1 experiment finished");
    assert_has(report, "Caveats: 13, listed at the end");
    assert_has(report, "- The run is INCOMPLETE");
    assert_has(report, "- A virtual machine (kvm)");
    assert_has(report, "- Counters unsupported here: dTLB-load-misses.");
    assert_lacks(report, "page-faults.");
    assert_has(report, "- Shmem transparent huge pages are off (never)");
    assert_has(report, "echo advise > /sys/kernel/mm/transparent_hugepage/"
               "shmem_enabled");
    assert_has(report, "- 2 repetitions in 1 run lost the CPU");
    /* no hardware counters at all: perf_event_paranoid is not the reason */
    assert_has(report, "Perf: not available: no hardware counters");
    assert_lacks(report, "perf_event_paranoid");
    assert_has(report, "- Only 2 cores");
    assert_has(report, "- A --quick run");
    assert_has(report, "- Allocations failed in 1 of 1 run (q1-small-cost): "
               "outside Q4 and Q5");
    assert_has(report, "- 1 run did not finish; the first: "
               "q1-small-cost/xmalloc/size=64: killed after 60 s");
    assert_has(report, "- vm.max_map_count was hit in 1 run:");
    assert_has(report, "- In 1 run the replay threads outnumbered the CPUs");
    assert_has(report, "(Xen's never do), 5 times in all");
    assert_has(report, "- 1 of 5 processes ran at least 20% slower than "
               "the fastest process of their point (1 point, up to 30%)");
    assert_has(report, "- Built from a modified tree (1234abc-dirty)");
    free(report);

    /* with two threads a slow process is the threads' doing: not counted */
    json_object_set_new(run, "threads", json_integer(2));
    write_results(dir, root);
    assert_int_equal(report_render(dir, why, sizeof(why)), 0);
    report = report_of(dir);
    assert_lacks(report, "processes ran at least");
    free(report);
    unsetenv("XHEAP_GNUPLOT");
    remove_tree(dir);
}

/* ---- Wrapping: long words, UTF-8, control characters ---- */

static void test_wrap(void **state)
{
    char dir[PATH_MAX], why[512], word[201], text[1024], *report;
    json_t *root, *ans;

    memset(word, 'w', 200);
    word[200] = 0;
    snprintf(text, sizeof(text), "µs ± é %s then\nmany\tshort words that "
             "go on and on past the end of one line and of another one too",
             word);
    root = minimal_results();
    ans = json_object_get(json_array_get(json_object_get(root,
                          "experiments"), 0), "answer");
    json_object_set_new(ans, "text", json_string(text));
    json_object_set_new(json_object_get(root, "machine"), "hwloc",
                        json_pack("{s:s}", "summary", word));
    json_object_set_new(json_object_get(root, "machine"), "numa_nodes",
                        json_integer(2));
    setenv("XHEAP_GNUPLOT", NO_GNUPLOT, 1);
    temp_dir(dir, sizeof(dir));
    write_results(dir, root);
    assert_int_equal(report_render(dir, why, sizeof(why)), 0);
    unsetenv("XHEAP_GNUPLOT");
    report = report_of(dir);   /* checks the width */
    assert_has(report, "Q1 µs ± é wwwwwwwwww");
    assert_has(report, "then many short words that go on");
    assert_has(report, "numa_nodes: 2");
    free(report);
    remove_tree(dir);
}

/* ---- The command ---- */

static int run_cmd(int argc, char **argv)
{
    FILE *saved_out = stdout, *saved_err = stderr;
    int rc;

    stdout = fopen("/dev/null", "w");
    stderr = fopen("/dev/null", "w");
    rc = cmd_report(argc, argv);
    fclose(stdout);
    fclose(stderr);
    stdout = saved_out;
    stderr = saved_err;
    return rc;
}

static void test_command(void **state)
{
    char dir[PATH_MAX];
    char *help[] = { "report", "--help", NULL };
    char *none[] = { "report", NULL };
    char *two[] = { "report", "a", "b", NULL };
    char *bogus[] = { "report", "--bogus", NULL };
    char *missing[] = { "report", "/nonexistent/results", NULL };
    char *good[] = { "report", dir, NULL };

    assert_int_equal(run_cmd(2, help), 0);
    assert_int_equal(run_cmd(1, none), EXIT_USAGE);
    assert_int_equal(run_cmd(3, two), EXIT_USAGE);
    assert_int_equal(run_cmd(2, bogus), EXIT_USAGE);
    assert_int_equal(run_cmd(2, missing), EXIT_USAGE);
    setenv("XHEAP_GNUPLOT", NO_GNUPLOT, 1);
    temp_dir(dir, sizeof(dir));
    write_results(dir, minimal_results());
    assert_int_equal(run_cmd(2, good), 0);
    unsetenv("XHEAP_GNUPLOT");
    remove_tree(dir);
}

/* ---- Every figure has its script and its row in docs/figures.md ---- */

static void test_figure_table(void **state)
{
    const struct report_figure *fig = NULL;
    char path[PATH_MAX], row[128], root[PATH_MAX], *doc;
    size_t n;

    pathf(root, "%s/../../..", fixture_dir());
    pathf(path, "%s/docs/figures.md", root);
    doc = slurp(path);
    fig = report_figures(&n);
    for (size_t i = 0; i < n; i++) {
        pathf(path, "%s/plots/%s.gp", root, fig[i].name);
        assert_int_equal(access(path, R_OK), 0);
        snprintf(row, sizeof(row), "| %s |", fig[i].name);
        assert_has(doc, row);
        assert_true(strlen(fig[i].name) + strlen(fig[i].caption) + 6 <=
                    REPORT_WIDTH);
    }
    free(doc);
}

/* ---- Exact answers: the waste and failures of Q3 to Q6 ---- */

static json_t *experiment_named(const json_t *experiments, const char *name)
{
    json_t *x;
    size_t i;

    json_array_foreach(experiments, i, x)
        if (strcmp(json_string_value(json_object_get(x, "name")), name) == 0)
            return x;
    fail_msg("the fixture has no experiment %s", name);
    return NULL;
}

/* X answered afresh by this code (its CSVs into DIR); its answer. */
static const json_t *answer_again(json_t *experiments, const char *name,
                                  const char *dir)
{
    json_t *x = experiment_named(experiments, name);

    answers_experiment(x, experiments, dir);
    return json_object_get(x, "answer");
}

/* A finite number under KEY, or fail naming WHAT. */
static double finite_at(const json_t *o, const char *key, const char *what)
{
    const json_t *v = json_object_get(o, key);

    if (!json_is_number(v) || !isfinite(json_number_value(v)))
        fail_msg("%s: \"%s\" is no finite number", what, key);
    return json_number_value(v);
}

/* The part of ANS labelled LABEL; fails where there is none. */
static const json_t *part_named(const json_t *ans, const char *label)
{
    const json_t *p;
    size_t i;

    json_array_foreach(json_object_get(ans, "parts"), i, p)
        if (strcmp(json_string_value(json_object_get(p, "label")), label) == 0)
            return p;
    fail_msg("no part \"%s\"", label);
    return NULL;
}

/* Every part of ANS marked exact (or none, EXACT false), with a label and
 * a finite value; how many parts. */
static size_t check_parts(const json_t *ans, bool exact, const char *id)
{
    const json_t *p;
    size_t i;

    assert_true(json_is_array(json_object_get(ans, "parts")));
    json_array_foreach(json_object_get(ans, "parts"), i, p) {
        assert_true(json_is_string(json_object_get(p, "label")));
        finite_at(p, "value", id);
        assert_int_equal(json_is_true(json_object_get(p, "exact")), exact);
    }
    return json_array_size(json_object_get(ans, "parts"));
}

static void test_exact_answers(void **state)
{
    static const struct { const char *id; size_t parts; } exact[] = {
        { "q3-waste", 8 },        /* 4 paths: worst waste, and where */
        { "q3-odd-contig", 3 }, { "q4-aging", 6 },   /* order, fill */
        { "q5-xenheap", 3 }, { "q6-mixed", 6 },      /* 2 backends x 3 */
    };
    char dir[PATH_MAX], path[PATH_MAX];
    json_error_t err;
    json_t *root, *experiments, *run;
    const json_t *ans;

    pathf(path, "%s/results.json", fixture_dir());
    root = json_load_file(path, 0, &err);
    assert_non_null(root);
    experiments = json_object_get(root, "experiments");
    temp_dir(dir, sizeof(dir));
    for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++) {
        ans = answer_again(experiments, exact[i].id, dir);
        assert_true(json_is_true(json_object_get(ans, "exact")));
        finite_at(ans, "value", exact[i].id);
        assert_int_equal(check_parts(ans, true, exact[i].id),
                         exact[i].parts);
    }
    /* the parts are the numbers the text states */
    ans = answer_again(experiments, "q4-aging", dir);
    assert_has(json_string_value(json_object_get(ans, "text")),
               "fill allocations that failed: xmalloc 84, xvmalloc 0");
    assert_true(finite_at(part_named(ans, "xmalloc fill failures"), "value",
                          "q4") == 84);
    assert_string_equal(json_string_value(json_object_get(
        part_named(ans, "xmalloc fill failures"), "unit")), "allocations");
    assert_true(finite_at(ans, "value", "q4") ==
                finite_at(part_named(ans, "xmalloc order"), "value", "q4"));
    /* a timed answer is never exact */
    ans = answer_again(experiments, "q1-small", dir);
    assert_null(json_object_get(ans, "exact"));

    /* a failed run, or one on two threads, takes exactness away */
    run = json_array_get(json_object_get(experiment_named(experiments,
                                         "q5-xenheap"), "runs"), 0);
    json_object_set_new(run, "error", json_string("killed by signal 9"));
    ans = answer_again(experiments, "q5-xenheap", dir);
    assert_null(json_object_get(ans, "exact"));
    check_parts(ans, false, "q5-xenheap");
    run = json_array_get(json_object_get(experiment_named(experiments,
                                         "q6-mixed"), "runs"), 0);
    json_object_set_new(run, "threads", json_integer(2));
    ans = answer_again(experiments, "q6-mixed", dir);
    assert_null(json_object_get(ans, "exact"));
    check_parts(ans, false, "q6-mixed");
    json_decref(root);
    remove_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixture),
        cmocka_unit_test(test_no_gnuplot),
        cmocka_unit_test(test_bad_results),
        cmocka_unit_test(test_bad_csv),
        cmocka_unit_test(test_no_data),
        cmocka_unit_test(test_caveats),
        cmocka_unit_test(test_contradiction),
        cmocka_unit_test(test_wrap),
        cmocka_unit_test(test_command),
        cmocka_unit_test(test_figure_table),
        cmocka_unit_test(test_exact_answers),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
