/*
 * Answers built from measured runs, rule by rule.
 *
 * What an answer claims when its difference is below the instrument's
 * resolution (measurement.md, "Know the instrument"): it says "not
 * resolvable here (below X ns)" and keeps its own interval. "Below X"
 * alone would claim [-X, X], narrower than a wide interval supports: two
 * runs of one revision then disagreed on a claim neither had measured
 * (q1-pairs at 2048 B: [-0.54..0.54] against [0.56..1.56]).
 *
 * What a baseline answer quotes: ratios against jemalloc with an interval
 * where every sample is a process of its own, none otherwise.
 */
#include "tests/check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "drivers/report/answers.h"

#define NO_GNUPLOT "/nonexistent/gnuplot"

static char dir[64];

/* An alternated run of BACKEND (Q1's xmalloc side carries the paired
 * difference) measured at SIZE bytes (0: no sweep). */
static json_t *run(const char *backend, double size, double est, double lo,
                   double hi, double n)
{
    json_t *r = json_pack("{s:s, s:s, s:i, s:{s:s}, s:{s:[f,f,f,f,f]}, "
                          "s:{s:f, s:f}}", "id", backend, "backend", backend,
                          "threads", 1, "workload", "name", "pairs",
                          "samples", "ns_per_op", 50.0, 51.0, 50.5, 50.2,
                          50.8, "metrics", "failed", 0.0, "allocs", 1000.0);

    if (size > 0)
        json_object_set_new(r, "sweep", json_pack("{s:f}", "size", size));
    if (strcmp(backend, "xmalloc") == 0)
        json_object_set_new(json_object_get(r, "metrics"), "alternation",
                            json_pack("{s:f, s:f, s:f, s:f, s:f, s:f}",
                                      "estimate", est, "ci_low", lo,
                                      "ci_high", hi, "level", 0.95, "n", n,
                                      "excluded", 0.0));
    return r;
}

/* Q1's answer on runs measured EST [LO..HI] over N rounds, the run's
 * resolution 1 ns; the answer object (owned by the experiments). */
static json_t *q1_answer(json_t **exps, double size, double est, double lo,
                         double hi, double n)
{
    json_t *x = json_pack("{s:s, s:s, s:i, s:[o, o]}", "name",
                          size > 0 ? "q1-pairs" : "q1-small", "label", "Q1",
                          "question", 1,
                          "runs", run("xmalloc", size, est, lo, hi, n),
                          run("xvmalloc", size, est, lo, hi, n));

    *exps = json_pack("[o]", x);
    answers_resolution(json_pack("{s:f}", "resolution_ns", 1.0));
    answers_experiment(x, *exps, dir);
    return json_object_get(x, "answer");
}

static double num(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);

    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* O (an answer or a part) says it is below the 1 ns resolution and keeps
 * its own interval [LO, HI]. */
static void assert_below_with(const json_t *o, double lo, double hi)
{
    assert_non_null(o);
    assert_true(json_is_false(json_object_get(o, "resolvable")));
    assert_true(num(o, "below_ns") == 1.0);
    assert_true(num(o, "ci_low") == lo);
    assert_true(num(o, "ci_high") == hi);
}

static void below_resolution_keeps_interval(void **state)
{
    json_t *exps, *a = q1_answer(&exps, 0, 0.3, -0.9, 1.5, 30);

    (void)state;
    assert_below_with(a, -0.9, 1.5);
    assert_non_null(strstr(json_string_value(json_object_get(a, "text")),
                           "not resolvable here (below 1 ns)"));
    json_decref(exps);
}

static void resolvable_has_no_below(void **state)
{
    json_t *exps, *a = q1_answer(&exps, 0, 2.0, 1.5, 2.5, 30);

    (void)state;
    assert_true(json_is_true(json_object_get(a, "resolvable")));
    assert_true(isnan(num(a, "below_ns")));
    assert_true(num(a, "ci_low") == 1.5);
    assert_true(num(a, "ci_high") == 2.5);
    json_decref(exps);
}

/* Too few clean rounds: no interval at all, whatever the estimate. */
static void unreliable_has_no_interval(void **state)
{
    json_t *exps, *a = q1_answer(&exps, 0, 0.3, -0.9, 1.5, 3);

    (void)state;
    assert_true(json_is_true(json_object_get(a, "unreliable")));
    assert_true(isnan(num(a, "ci_low")));
    assert_true(isnan(num(a, "ci_high")));
    json_decref(exps);
}

/* A part of q1-pairs below the resolution: the same rule, part by part. */
static void part_below_resolution_keeps_interval(void **state)
{
    json_t *exps, *a = q1_answer(&exps, 2048, 0.27, -1.5, 2.1, 30);
    const json_t *p = json_array_get(json_object_get(a, "parts"), 0);

    (void)state;
    assert_below_with(p, -1.5, 2.1);
    assert_non_null(strstr(json_string_value(json_object_get(a, "text")),
                           "2048 B below 1 ns (+0.27 [-1.50..2.10])"));
    json_decref(exps);
}

/* A baseline experiment's run: one sample a process (UNIT "process") or
 * repetitions of one process. */
static json_t *baseline_run(const char *backend, double ns, const char *unit)
{
    return json_pack("{s:s, s:s, s:i, s:s, s:{s:s}, s:{s:[f,f,f,f,f]}, "
                     "s:{s:f, s:f}}", "id", backend, "backend", backend,
                     "threads", 1, "sample_unit", unit, "workload", "name",
                     "small", "samples", "ns_per_op", ns, ns * 1.01,
                     ns * 0.99, ns * 1.02, ns * 0.98, "metrics", "failed",
                     0.0, "allocs", 1000.0);
}

static json_t *baselines_answer(json_t **exps, const char *unit)
{
    json_t *x = json_pack("{s:s, s:s, s:[o, o, o]}", "name", "baselines",
                          "label", "baselines",
                          "runs", baseline_run("jemalloc", 12, unit),
                          baseline_run("xmalloc", 30, unit),
                          baseline_run("glibc", 18, unit));

    *exps = json_pack("[o]", x);
    answers_experiment(x, *exps, dir);
    return json_object_get(x, "answer");
}

/* Processes a side: each backend against jemalloc with an interval. */
static void baselines_against_jemalloc(void **state)
{
    json_t *exps, *a = baselines_answer(&exps, "process");
    const json_t *parts = json_object_get(a, "parts");
    const json_t *xm = json_array_get(parts, 0);

    (void)state;
    assert_string_equal(json_string_value(json_object_get(a, "unit")), "x");
    assert_true(fabs(num(a, "value") - 2.5) < 1e-9);
    assert_true(num(a, "ci_low") < 2.5 && num(a, "ci_high") > 2.5);
    assert_int_equal(json_array_size(parts), 2);
    assert_string_equal(json_string_value(json_object_get(xm, "label")),
                        "xmalloc/jemalloc");
    assert_true(fabs(num(json_array_get(parts, 1), "value") - 1.5) < 1e-9);
    assert_non_null(strstr(json_string_value(json_object_get(a, "text")),
                           "against jemalloc"));
    json_decref(exps);
}

/* RUN made MAP and UNMAP host mapping calls over EVENTS events. */
static void mapped(json_t *run, double map, double unmap, double events)
{
    json_t *m = json_object_get(run, "metrics");

    json_object_set_new(m, "map_calls", json_real(map));
    json_object_set_new(m, "unmap_calls", json_real(unmap));
    json_object_set_new(m, "events", json_real(events));
}

/* A backend that mapped pages often has the host's mmap/munmap in its
 * times, and the answer says whose cost that is; the heap's one set-up
 * map is not worth a word. */
static void host_mapping_named(void **state)
{
    json_t *xv = baseline_run("xvmalloc", 700, "process");
    json_t *xm = baseline_run("xmalloc", 30, "process");
    json_t *x, *exps;
    const char *text;

    (void)state;
    mapped(xv, 3899, 3453, 43676);
    mapped(xm, 1, 0, 43676);
    x = json_pack("{s:s, s:s, s:[o, o, o]}", "name", "real-cc1", "label",
                  "real-cc1", "runs", baseline_run("jemalloc", 15, "process"),
                  xm, xv);
    exps = json_pack("[o]", x);
    answers_experiment(x, exps, dir);
    text = json_string_value(json_object_get(json_object_get(x, "answer"),
                                             "text"));
    assert_non_null(strstr(text, "; xvmalloc's (7352 calls) times include "
                           "the host's mmap/munmap: Linux's cost, not "
                           "Xen's"));
    assert_null(strstr(text, "xmalloc's ("));
    json_decref(exps);
}

/* Repetitions of one process are no sample of processes: no interval. */
static void baselines_in_one_process(void **state)
{
    json_t *exps, *a = baselines_answer(&exps, "repetition");

    (void)state;
    assert_string_equal(json_string_value(json_object_get(a, "unit")),
                        "ns/op");
    assert_null(json_object_get(a, "parts"));
    assert_true(isnan(num(a, "ci_low")));
    json_decref(exps);
}

/* Thread scaling from 1 to 2 threads; the answer object, owned by EXPS. */
static json_t *scaling_answer(json_t **exps)
{
    json_t *one = baseline_run("xmalloc", 30, "process");
    json_t *two = baseline_run("xmalloc", 20, "process");
    json_t *x;

    json_object_set_new(two, "threads", json_integer(2));
    x = json_pack("{s:s, s:s, s:[o, o]}", "name", "thread-scaling", "label",
                  "thread-scaling", "runs", one, two);
    *exps = json_pack("[o]", x);
    answers_experiment(x, *exps, dir);
    return json_object_get(x, "answer");
}

/* On bare metal: the speedup with its interval. */
static void scaling_speedup(void **state)
{
    json_t *exps, *a;

    (void)state;
    answers_machine(NULL);
    a = scaling_answer(&exps);
    assert_string_equal(json_string_value(json_object_get(a, "unit")), "x");
    assert_true(fabs(num(a, "value") - 1.5) < 1e-9);
    assert_true(num(a, "ci_low") < 1.5 && num(a, "ci_high") > 1.5);
    assert_string_equal(json_string_value(json_object_get(json_array_get(
        json_object_get(a, "parts"), 0), "label")), "xmalloc speedup");
    json_decref(exps);
}

/* On a virtual machine the speedup stands without an interval, and the
 * answer says why: the host's placement of the vCPUs changes between
 * runs. */
static void scaling_on_a_vm(void **state)
{
    json_t *vm = json_pack("{s:b}", "virtual", 1), *exps, *a;

    (void)state;
    answers_machine(vm);
    a = scaling_answer(&exps);
    assert_true(fabs(num(a, "value") - 1.5) < 1e-9);
    assert_true(isnan(num(a, "ci_low")));
    assert_true(isnan(num(json_array_get(json_object_get(a, "parts"), 0),
                          "ci_low")));
    assert_non_null(strstr(json_string_value(json_object_get(a, "text")),
                           "no interval on a virtual machine"));
    answers_machine(NULL);
    json_decref(vm);
    json_decref(exps);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(below_resolution_keeps_interval),
        cmocka_unit_test(resolvable_has_no_below),
        cmocka_unit_test(unreliable_has_no_interval),
        cmocka_unit_test(part_below_resolution_keeps_interval),
        cmocka_unit_test(baselines_against_jemalloc),
        cmocka_unit_test(baselines_in_one_process),
        cmocka_unit_test(host_mapping_named),
        cmocka_unit_test(scaling_speedup),
        cmocka_unit_test(scaling_on_a_vm),
    };
    int rc;

    snprintf(dir, sizeof dir, "%s", "/tmp/xheap-answers-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    setenv("XHEAP_GNUPLOT", NO_GNUPLOT, 1);
    rc = cmocka_run_group_tests_name("answers", tests, NULL, NULL);
    {
        char cmd[128];

        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        if (system(cmd) != 0)
            return 1;
    }
    return rc;
}
