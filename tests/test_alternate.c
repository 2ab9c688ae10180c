/*
 * Alternation and the known delay (drivers/measure/alternate.h), through
 * `xheap replay --against / --delays`: the rounds' orders are drawn per
 * round, both sides and the paired difference reach the JSON, a round that
 * lost the CPU is left out whole, a baseline cannot be a side, and a known
 * delay shows as a positive difference. Spawns build/xheap; writes only in
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
    };
    char cmd[256];
    int rc;

    if (!mkdtemp(root))
        return 1;
    snprintf(cmd, sizeof cmd, XHEAP " gen pairs --size 64 --events 20000 "
             "> %s/p.trace", root);
    if (system(cmd) != 0)
        return 1;
    rc = cmocka_run_group_tests_name("alternate", tests, NULL, NULL);
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    if (system(cmd) != 0)
        return 1;
    return rc;
}
