/*
 * Alternation and the known delay (drivers/measure/alternate.h), through
 * `xheap replay --against / --delays`: the rounds' orders are drawn per
 * round, both sides and the paired difference reach the JSON, a round that
 * lost the CPU is left out whole, a baseline cannot be a side, a known
 * delay shows as a positive difference, a side may have its own model
 * knobs (recorded in its own config), and a bad knob is one line. Spawns build/xheap; writes only in
 * its own mkdtemp folder.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <jansson.h>

#include "tests/check.h"

#define XHEAP "build/xheap"

static char root[64] = "/tmp/xheap-test-alternate-XXXXXX";

static int sh(const char *fmt, const char *arg)
{
    char cmd[1024];

    snprintf(cmd, sizeof cmd, fmt, root, root, arg);
    return WEXITSTATUS(system(cmd));
}

static json_t *alternation(const char *name)
{
    char path[256];
    json_error_t err;
    json_t *j, *a;

    snprintf(path, sizeof path, "%s/%s.json", root, name);
    j = json_load_file(path, 0, &err);
    if (!j)
        fail_msg("%s: %s", path, err.text);
    a = json_incref(json_object_get(j, "alternation"));
    json_decref(j);
    assert_true(json_is_object(a));
    return a;
}

static void two_models_alternate(void **state)
{
    json_t *a, *rd, *sides;
    size_t i, first_a = 0, first_b = 0, clean = 0;

    (void)state;
    assert_int_equal(sh(XHEAP " replay --backend xmalloc --against xvmalloc "
                        "--trace %s/p.trace --min-rounds 6 --max-rounds 40 "
                        "--max-seconds 1 --counters none --json %s/%s.json "
                        ">/dev/null", "ab"), 0);
    a = alternation("ab");
    sides = json_object_get(a, "sides");
    assert_int_equal(json_array_size(sides), 2);
    assert_string_equal(json_string_value(json_object_get(
        json_array_get(sides, 1), "backend")), "xvmalloc");
    json_array_foreach(json_object_get(a, "rounds"), i, rd) {
        json_t *order = json_object_get(rd, "order");
        json_int_t o0 = json_integer_value(json_array_get(order, 0));

        assert_int_equal(o0 + json_integer_value(json_array_get(order, 1)),
                         1);   /* a permutation of 0, 1 */
        first_a += o0 == 0;
        first_b += o0 == 1;
        clean += json_is_true(json_object_get(rd, "clean"));
    }
    assert_int_equal(clean, json_integer_value(json_object_get(a,
                                                               "rounds_clean")));
    /* 40 rounds tried at most, 6 at least: both orders appear unless the
     * draw is not per round (2^-5 at worst for a fair coin). */
    if (first_a + first_b >= 8) {
        assert_true(first_a > 0);
        assert_true(first_b > 0);
    }
    assert_int_equal(json_array_size(json_object_get(json_array_get(sides, 0),
                                                     "ns_per_op")), clean);
    if (clean >= 6)
        assert_true(json_is_number(json_object_get(json_object_get(
            json_array_get(sides, 1), "difference"), "ci_low")));
    json_decref(a);
}

static void a_known_delay_shows(void **state)
{
    json_t *a, *d;

    (void)state;
    assert_int_equal(sh(XHEAP " replay --backend null --delays 5 "
                        "--trace %s/p.trace --min-rounds 8 --max-seconds 2 "
                        "--counters none --json %s/%s.json >/dev/null",
                        "delay"), 0);
    a = alternation("delay");
    assert_true(json_number_value(json_object_get(a, "spin_ns_per_iter")) > 0);
    d = json_object_get(json_array_get(json_object_get(a, "sides"), 1),
                        "difference");
    /* 5 ns a call on a path of a few ns: on a machine with any clean
     * rounds at all, unmistakable. */
    if (json_integer_value(json_object_get(a, "rounds_clean")) >= 8)
        assert_true(json_number_value(json_object_get(d, "ci_low")) > 0);
    json_decref(a);
}

/* A side with a model of its own: 64K pages, and no directmap. Each side
 * records its own config; without a directmap every 8 KiB xmalloc maps
 * and unmaps its pages, so that side's paired ratio is far above 1 (were
 * the side run with the shared model, it would be about 1). */
static void a_side_has_its_own_model(void **state)
{
    json_t *a, *sides, *s0, *s1, *s2, *cfg, *q, *rd;
    size_t i, slower = 0;

    (void)state;
    assert_int_equal(sh(XHEAP " replay --backend xmalloc --against "
                        "xmalloc@page_size=64K,xmalloc@directmap=false "
                        "--trace %s/p8k.trace --min-rounds 6 --max-rounds 60 "
                        "--max-seconds 2 --counters none --json %s/%s.json "
                        ">/dev/null", "models"), 0);
    a = alternation("models");
    sides = json_object_get(a, "sides");
    assert_int_equal(json_array_size(sides), 3);
    s0 = json_array_get(sides, 0);
    s1 = json_array_get(sides, 1);
    s2 = json_array_get(sides, 2);
    assert_string_equal(json_string_value(json_object_get(s1, "side")),
                        "xmalloc@page_size=64K");
    assert_string_equal(json_string_value(json_object_get(s1, "backend")),
                        "xmalloc");
    cfg = json_object_get(s0, "config");
    assert_int_equal(json_integer_value(json_object_get(cfg, "page_size")),
                     4096);
    assert_true(json_is_true(json_object_get(cfg, "directmap")));
    cfg = json_object_get(s1, "config");
    assert_int_equal(json_integer_value(json_object_get(cfg, "page_size")),
                     65536);
    assert_true(json_is_true(json_object_get(cfg, "directmap")));
    /* the rest of the model is the command's */
    assert_int_equal(json_integer_value(json_object_get(cfg, "memory")),
                     json_integer_value(json_object_get(json_object_get(s0,
                         "config"), "memory")));
    cfg = json_object_get(s2, "config");
    assert_int_equal(json_integer_value(json_object_get(cfg, "page_size")),
                     4096);
    assert_true(json_is_false(json_object_get(cfg, "directmap")));
    assert_non_null(json_object_get(s1, "ratio"));
    assert_null(json_object_get(s0, "ratio"));
    q = json_object_get(s2, "ratio");
    assert_int_equal(json_array_size(json_object_get(s2, "ns_per_op")),
                     json_integer_value(json_object_get(a, "rounds_clean")));
    if (json_integer_value(json_object_get(a, "rounds_clean")) >= 6)
        assert_true(json_number_value(json_object_get(q, "ci_low")) > 1.5);
    /* a busy machine may leave no clean round: every tried round still
     * shows the side without a directmap far slower (contamination
     * inflates a pass by a few times at most, not tens) */
    json_array_foreach(json_object_get(a, "rounds"), i, rd) {
        json_t *ns = json_object_get(rd, "ns_per_op");

        slower += json_number_value(json_array_get(ns, 2)) >
                  1.5 * json_number_value(json_array_get(ns, 0));
    }
    assert_true(json_array_size(json_object_get(a, "rounds")) > 0);
    assert_true(2 * slower > json_array_size(json_object_get(a, "rounds")));
    json_decref(a);
}

/* A bad side is one line naming it, and status 2, before any work. */
static void expect_one_line(const char *against, const char *says)
{
    char cmd[1024], path[128], line[512], more[512];
    FILE *f;

    snprintf(cmd, sizeof cmd, XHEAP " replay --backend xmalloc --against "
             "'%s' --trace %s/p.trace --json %s/bad.json 2>%s/err.txt",
             against, root, root, root);
    assert_int_equal(WEXITSTATUS(system(cmd)), 2);
    snprintf(path, sizeof path, "%s/err.txt", root);
    f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof line, f));
    assert_null(fgets(more, sizeof more, f));
    fclose(f);
    if (!strstr(line, says) || !strstr(line, against))
        fail_msg("'%s' gave: %s", against, line);
}

static void bad_knobs_are_one_line(void **state)
{
    (void)state;
    expect_one_line("xmalloc@page_size=5K", "want 4K, 16K or 64K");
    expect_one_line("xmalloc@pagesize=64K", "no model knob 'pagesize'");
    expect_one_line("xmalloc@directmap=maybe", "want true or false");
    expect_one_line("xmalloc@directmap", "needs a value");
    expect_one_line("xmalloc@max_order=99", "want 1 .. 30");
    /* a range that depends on the side's own page size */
    expect_one_line("xmalloc@page_size=64K@memory=100000000",
                    "whole 64K pages");
}

static void bad_sides_are_refused(void **state)
{
    (void)state;
    assert_int_equal(sh(XHEAP " replay --backend xmalloc --against jemalloc "
                        "--trace %s/p.trace --json %s/%s.json 2>/dev/null",
                        "x"), 2);
    assert_int_equal(sh(XHEAP " replay --backend xmalloc --against nosuch "
                        "--trace %s/p.trace --json %s/%s.json 2>/dev/null",
                        "x"), 2);
    assert_int_equal(sh(XHEAP " replay --backend xmalloc --against xvmalloc "
                        "--until 1 --trace %s/p.trace --json %s/%s.json "
                        "2>/dev/null", "x"), 2);
    assert_int_equal(sh(XHEAP " replay --backend xmalloc --max-seconds 3 "
                        "--trace %s/p.trace --json %s/%s.json 2>/dev/null",
                        "x"), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(two_models_alternate),
        cmocka_unit_test(a_known_delay_shows),
        cmocka_unit_test(bad_sides_are_refused),
        cmocka_unit_test(a_side_has_its_own_model),
        cmocka_unit_test(bad_knobs_are_one_line),
    };
    char cmd[256];
    int rc;

    if (!mkdtemp(root))
        return 1;
    snprintf(cmd, sizeof cmd, XHEAP " gen pairs --size 64 --events 20000 "
             "> %s/p.trace", root);
    if (system(cmd) != 0)
        return 1;
    snprintf(cmd, sizeof cmd, XHEAP " gen pairs --size 8192 --events 4000 "
             "> %s/p8k.trace", root);
    if (system(cmd) != 0)
        return 1;
    rc = cmocka_run_group_tests_name("alternate", tests, NULL, NULL);
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    if (system(cmd) != 0)
        return 1;
    return rc;
}
