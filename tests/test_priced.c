/*
 * Priced answers: on a small results folder written here (a calibration.json
 * of known units, two Q2 runs whose replay JSON carries Xen's mapping
 * counts, and a Q7 run whose JSON lacks them), the priced costs results.json
 * keeps and report.txt prints are the counts times the units, the host time
 * beside them labelled as such, the calibration's sources named, and a run
 * without counts unpriced with the reason.
 */
#include "tests/check.h"

#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "drivers/measure/calibrate.h"
#include "drivers/report/answers.h"
#include "drivers/report/priced.h"
#include "drivers/report/report.h"

/* The units of the fixture's calibration.json: the spreads (MADs) are
 * those of measured units; invlpg and full_flush are point values. */
#define U_INVLPG      100.0
#define U_FULL        140.0
#define U_PTE         2.0
#define U_PTE_MAD     0.5
#define U_FRAME       300.0
#define U_FRAME_MAD   10.0
#define U_IPI1        2000.0   /* round trip to 1 other CPU */
#define U_IPI2        2500.0   /* to 2: the line is 1500 + 500 k */
#define U_IPI_MAD     100.0
#define ALLOCS        100.0

static void unit(struct calib_value *v, double value, double mad,
                 const char *source)
{
    *v = (struct calib_value){ .known = true, .value = value, .spread = mad,
                               .n = mad > 0 ? 10 : 0 };
    snprintf(v->source, sizeof v->source, "%s", source);
}

/* The calibration a run of the suite would have made on a 2-CPU machine
 * whose ring-0 units came from the defaults. */
static void fixture_calibration(struct calibration *c)
{
    calib_init(c);
    c->online_cpus = 2;
    unit(&c->unit[CU_NULL_SYSCALL], 50, 1, "measured: getppid");
    unit(&c->unit[CU_INVLPG], U_INVLPG, 0, "default: a citation");
    unit(&c->unit[CU_FULL_FLUSH], U_FULL, 0, "default: another citation");
    unit(&c->unit[CU_PTE_WRITE], U_PTE, U_PTE_MAD, "measured: stores");
    unit(&c->unit[CU_PT_FRAME], U_FRAME, U_FRAME_MAD, "measured: memset");
    unit(&c->unit[CU_FLUSH_IPI], U_IPI1, U_IPI_MAD, "measured: membarrier");
    c->n_points = 2;
    c->point[0].targets = 1;
    unit(&c->point[0].v, U_IPI1, U_IPI_MAD, "measured: membarrier");
    c->point[1].targets = 2;
    unit(&c->point[1].v, U_IPI2, U_IPI_MAD, "measured: membarrier");
    calib_fit(c);
}

static char dir[] = "/tmp/xheap-priced-XXXXXX";

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *text;
    long n;

    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    text = calloc(1, (size_t)n + 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return text;
}

/* TEXT with every run of blanks one space: report.txt's wrapping undone. */
static char *flat(char *text)
{
    char *o = text;

    for (const char *p = text; *p; p++)
        if (*p != ' ' && *p != '\n')
            *o++ = *p;
        else if (o > text && o[-1] != ' ')
            *o++ = ' ';
    *o = 0;
    return text;
}

static void assert_has(const char *text, const char *want)
{
    if (!strstr(text, want))
        fail_msg("missing: \"%s\"", want);
}

/* A vmalloc run of PAGES pages: x86 rules on a 2-CPU machine, every page
 * flushed with one IPI, each area's pages written and one table frame a
 * page-table's worth; its replay JSON written to DIR/runs/NAME.json. */
struct counts { double flushes, full, ipis, ptes, frames; };

/* FULL of the flushes are whole-TLB ones (a superpage made, say): the
 * JSON counts them among the flushes, as Xen's rules do. */
static struct counts run_counts(double pages)
{
    return (struct counts){ ALLOCS * pages, pages > 1 ? 3 : 0,
                            ALLOCS * pages, 2 * ALLOCS * pages,
                            pages > 1 ? 2 : 1 };
}

static json_t *q2_run(const char *name, double pages,
                      const struct calibration *c)
{
    struct counts k = run_counts(pages);
    char path[PATH_MAX];
    json_t *replay = json_pack(
        "{s:{s:f, s:f, s:f, s:f, s:f, s:f, s:{s:f, s:f}, s:i, s:s}}",
        "mapping", "map_calls", k.flushes, "unmap_calls", k.flushes,
        "flushes", k.flushes, "full_flushes", k.full, "flush_ipis", k.ipis,
        "pte_writes", k.ptes, "pt_frames", "allocated", k.frames,
        "freed", 0.0, "cpus", 2, "rules", "page");
    json_t *run = json_pack(
        "{s:s, s:s, s:i, s:i, s:i, s:{s:f}, s:{s:s, s:f}, s:{s:s},"
        " s:{s:[f,f,f,f,f]}, s:{s:f, s:f}}",
        "id", name, "backend", "vmalloc", "page_size", 4096, "threads", 1,
        "flush_peers", 0, "sweep", "size", pages * 4096,
        "workload", "name", "pairs", "size", pages * 4096,
        "model", "flush", "page",
        "samples", "ns_per_op", 5000.0 * pages, 5100.0 * pages,
        4900.0 * pages, 5050.0 * pages, 4950.0 * pages,
        "metrics", "allocs", ALLOCS, "events", 2 * ALLOCS);

    snprintf(path, sizeof path, "%s/runs/%s.json", dir, name);
    assert_int_equal(json_dump_file(replay, path, 0), 0);
    json_decref(replay);
    priced_collect(run, path, c);
    return run;
}

/* Xen's work per page of a PAGES run, priced by hand for CPUS CPUs:
 * "2104 +- 101", as the answer prints it. */
static void by_hand(double pages, double cpus, char *out, size_t len)
{
    struct counts k = run_counts(pages);
    double rt = cpus == 1 ? 0 : 1500 + 500 * (cpus - 1);
    double broadcasts = k.ipis / (2 - 1);   /* counted on 2 CPUs */
    double total = (k.flushes - k.full) * U_INVLPG + k.full * U_FULL +
                   k.ptes * U_PTE +
                   k.frames * U_FRAME + broadcasts * rt;
    double spread = k.ptes * U_PTE_MAD + k.frames * U_FRAME_MAD +
                    (cpus == 1 ? 0 : broadcasts * U_IPI_MAD);
    double per = ALLOCS * pages;

    snprintf(out, len, "%.0f +- %.0f", total / per, spread / per);
}

/* A Q7 run whose JSON has only the host's count of flushes; five clean
 * repetitions, the fewest an interval is printed for. */
static json_t *q7_run(bool directmap)
{
    return json_pack("{s:s, s:s, s:{s:b}, s:{s:[f,f,f,f,f]}, s:{s:f, s:f}}",
                     "id", directmap ? "q7/xmalloc/on" : "q7/xmalloc/off",
                     "backend", "xmalloc", "model", "directmap", directmap,
                     "samples", "ns_per_op", 89.0, 90.0, 91.0, 92.0, 93.0,
                     "metrics", "allocs", ALLOCS, "events", 2 * ALLOCS);
}

/* Writes ROOT (taken) as DIR's results.json and renders it, without
 * gnuplot: report.txt's text, flattened to one line. */
static char *rendered(json_t *root)
{
    char path[PATH_MAX], why[512];

    snprintf(path, sizeof path, "%s/results.json", dir);
    assert_int_equal(json_dump_file(root, path, JSON_INDENT(1)), 0);
    json_decref(root);
    setenv("XHEAP_GNUPLOT", "/nonexistent/gnuplot", 1);
    assert_int_equal(report_render(dir, why, sizeof why), 0);
    snprintf(path, sizeof path, "%s/report.txt", dir);
    return flat(slurp(path));
}

static void test_priced_equals_counts_times_units(void **state)
{
    struct calibration c, back;
    bool extra;
    json_t *cal;
    char path[PATH_MAX], why[512], want[256], got[64], *report;
    json_t *exps, *x, *runs, *run, *parts, *q7, *root;
    size_t i;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/runs", dir);
    assert_int_equal(mkdir(path, 0755), 0);
    fixture_calibration(&c);
    snprintf(path, sizeof path, "%s/calibration.json", dir);
    cal = calib_json(&c);
    assert_int_equal(json_dump_file(cal, path, JSON_INDENT(2)), 0);
    json_decref(cal);
    /* the folder's calibration.json gives back the units priced with */
    calib_init(&back);
    assert_int_equal(calib_load_file(&back, path, why, sizeof why), 0);
    assert_true(back.unit[CU_PTE_WRITE].value == U_PTE);
    assert_true(calib_flush_round_trip(&back, 63, &extra) ==
                1500 + 500 * 63.0);

    runs = json_array();
    json_array_append_new(runs, q2_run("one", 1, &c));
    json_array_append_new(runs, run = q2_run("sixteen", 16, &c));
    /* results.json keeps each part: count x unit, with its source */
    parts = json_object_get(json_object_get(json_object_get(run, "metrics"),
                                            "priced_ns"), "parts");
    assert_true(json_real_value(json_object_get(json_object_get(parts,
                "flushes"), "ns")) == (1600 - 3) * U_INVLPG);
    assert_true(json_real_value(json_object_get(json_object_get(parts,
                "full_flushes"), "ns")) == 3 * U_FULL);
    assert_true(json_real_value(json_object_get(json_object_get(parts,
                "pte_writes"), "ns")) == 3200 * U_PTE);
    assert_true(json_real_value(json_object_get(json_object_get(parts,
                "flush_broadcasts"), "ns")) == 1600 * U_IPI1);
    assert_non_null(strstr(json_string_value(json_object_get(json_object_get(
        parts, "flushes"), "source")), "default: a citation"));

    x = json_pack("{s:s, s:i, s:s, s:o}", "name", "q2-vmalloc-size",
                  "question", 2, "status", "complete", "runs", runs);
    /* Q7's run has no counts: not priced, and the reason is given */
    q7 = json_pack("{s:s, s:i, s:s, s:[O, O]}", "name", "q7-directmap",
                   "question", 7, "status", "complete", "runs",
                   q7_run(true), q7_run(false));
    json_array_foreach(json_object_get(q7, "runs"), i, run) {
        json_t *few = json_pack("{s:i}", "flushes", 3);

        priced_run(run, few, &c);
        json_decref(few);
    }
    exps = json_pack("[o, o]", x, q7);
    answers_experiment(x, exps, dir);
    answers_experiment(q7, exps, dir);
    root = json_pack("{s:s, s:s, s:s, s:s, s:{s:i}, s:o, s:o}", "format",
                     "xheap-results 1", "status", "complete", "started",
                     "2026-12-06T10:00:00Z", "command", "xheap run",
                     "machine", "cores", 2, "experiments", exps,
                     "calibration", priced_calibration_json(&c,
                         "calibration.json", NULL));
    report = rendered(root);
    assert_has(report, "host time (Linux mmap/munmap): 10000 [");
    by_hand(1, 2, got, sizeof got);
    snprintf(want, sizeof want, "Xen's work priced per page: %s ns at 1,",
             got);
    assert_has(report, want);
    by_hand(16, 2, got, sizeof got);
    snprintf(want, sizeof want, "%s at 16 on 2 CPUs;", got);
    assert_has(report, want);
    by_hand(16, 1, got, sizeof got);
    snprintf(want, sizeof want, "at 16 pages on 1 CPU %s,", got);
    assert_has(report, want);
    by_hand(16, PRICED_LARGE_CPUS, got, sizeof got);
    snprintf(want, sizeof want, "on 64 CPUs %s (IPI round trip "
             "extrapolated", got);
    assert_has(report, want);
    assert_has(report, "(calibration: measured here (pte_write, pt_frame, "
               "flush_ipi); default (invlpg, full_flush))");
    /* the host time's interval stays with the host time */
    assert_has(report, "(91.0 against 91.0 ns/op) [95% CI 0.968..1.03x]; "
               "Xen's work not priced");
    assert_has(report, "Xen's work not priced: the run's mapping object "
               "lacks full_flushes, flush_ipis, pte_writes, pt_frames, cpus");
    /* the caveats: what was priced, from where, and whose cost host time is */
    assert_has(report, "Host time (Linux mmap/munmap) is what this "
               "machine's Linux mapping calls cost: Linux's cost, not Xen's.");
    assert_has(report, "Priced with invlpg not measured here: default: a "
               "citation");
    assert_has(report, "2 runs not priced:");
    free(report);
    unsetenv("XHEAP_GNUPLOT");
}

/* A Q7 whose every repetition lost the CPU: its host time is unreliable,
 * said as such (not "no run succeeded"), and Xen's work, priced from
 * counts, is still given. */
static void test_contaminated_host_time_keeps_priced_work(void **state)
{
    struct calibration c;
    char path[PATH_MAX], *report;
    json_t *q7, *exps, *root, *run;
    size_t i;

    (void)state;
    memcpy(dir + sizeof dir - 7, "XXXXXX", 6);   /* a fresh template */
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/runs", dir);
    assert_int_equal(mkdir(path, 0755), 0);
    fixture_calibration(&c);
    q7 = json_pack("{s:s, s:i, s:s, s:[o, o]}", "name", "q7-directmap",
                   "question", 7, "status", "complete", "runs",
                   q2_run("on", 1, &c), q2_run("off", 1, &c));
    json_array_foreach(json_object_get(q7, "runs"), i, run) {
        json_object_set_new(run, "backend", json_string("xmalloc"));
        json_object_set_new(run, "model", json_pack("{s:b}", "directmap",
                                                    i == 0));
        json_object_set_new(run, "samples", json_pack("{s:[]}",
                                                      "ns_per_op"));
        json_object_set_new(json_object_get(run, "metrics"), "excluded",
                            json_real(6));
    }
    exps = json_pack("[o]", q7);
    answers_experiment(q7, exps, dir);
    root = json_pack("{s:s, s:s, s:s, s:s, s:{s:i}, s:o}", "format",
                     "xheap-results 1", "status", "complete", "started",
                     "2026-12-06T10:00:00Z", "command", "xheap run",
                     "machine", "cores", 2, "experiments", exps);
    report = rendered(root);
    assert_has(report, "q7-directmap: unreliable on this machine: 2 of 2 "
               "runs kept no clean repetition (12 passes lost the CPU); "
               "Xen's work priced, ns per operation: directmap on:");
    assert_null(strstr(report, "no run of it succeeded"));
    free(report);
    unsetenv("XHEAP_GNUPLOT");
}

static int remove_entry(const char *p, const struct stat *st, int t,
                        struct FTW *f)
{
    (void)st;
    (void)t;
    (void)f;
    return remove(p);
}

static int cleanup(void **state)
{
    (void)state;
    if (!getenv("KEEP"))
        nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_priced_equals_counts_times_units,
                                  cleanup),
        cmocka_unit_test_teardown(
            test_contaminated_host_time_keeps_priced_work, cleanup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
