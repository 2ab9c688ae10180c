/*
 * xheap-gbench end to end: Google Benchmark's JSON comes out whole, every
 * instance (backend, size, thread count) is there with its user counters,
 * and the counters say what the models do: vmalloc of 12289 bytes maps,
 * flushes and takes 4 pages per iteration; xmalloc of 64 bytes maps none.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "tests/check.h"

#define GBENCH_BIN "build/xheap-gbench"   /* make test runs from the root */
#define FILTER     "--benchmark_filter=alloc_free/(xmalloc|vmalloc)/(64|12289)/"
#define MIN_TIME   "--benchmark_min_time=0.001"

static int run(char *const argv[])
{
    pid_t pid = fork();
    int status;

    assert_true(pid >= 0);
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout))
            _exit(127);
        execv(GBENCH_BIN, argv);
        _exit(127);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static json_t *run_json(char *filter, char *extra)
{
    char path[] = "/tmp/xheap-test-gbench-XXXXXX", out[64];
    char *argv[] = { GBENCH_BIN, filter, MIN_TIME, out,
                     "--benchmark_format=json", extra, NULL };
    json_error_t err;
    json_t *root;
    int fd = mkstemp(path);

    assert_true(fd >= 0);
    close(fd);
    snprintf(out, sizeof out, "--benchmark_out=%s", path);
    assert_int_equal(run(argv), 0);
    root = json_load_file(path, 0, &err);
    if (!root)
        fail_msg("%s:%d: %s", path, err.line, err.text);
    unlink(path);
    return root;
}

static double number(json_t *b, const char *key)
{
    json_t *v = json_object_get(b, key);

    if (!json_is_number(v))
        fail_msg("%s: no number '%s'", json_string_value(
                     json_object_get(b, "name")), key);
    return json_number_value(v);
}

/* Google Benchmark's ThreadRange(1, N): powers of two below N, then N. */
static size_t thread_counts(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    size_t count = 1;

    for (long t = 1; t < n; t *= 2)
        count++;
    return n > 1 ? count : 1;
}

static json_t *find(json_t *list, const char *name)
{
    size_t i;
    json_t *b;

    json_array_foreach(list, i, b)
        if (strcmp(json_string_value(json_object_get(b, "name")), name) == 0)
            return b;
    fail_msg("benchmark %s missing", name);
    return NULL;
}

static void json_has_user_counters(void **state)
{
    json_t *root = run_json(FILTER, NULL), *list, *b;
    size_t i;

    assert_true(json_is_object(json_object_get(root, "context")));
    list = json_object_get(root, "benchmarks");
    assert_int_equal(json_array_size(list), 2 * 2 * thread_counts());
    json_array_foreach(list, i, b) {
        assert_true(number(b, "iterations") > 0);
        assert_true(number(b, "real_time") > 0);
        assert_true(number(b, "frames") >= 0);
        assert_true(number(b, "maps") >= 0);
        assert_true(number(b, "flushes") >= 0);
        assert_true(number(b, "failed") == 0);
        assert_true(number(b, "bytes") == 64 || number(b, "bytes") == 12289);
    }
    b = find(list, "alloc_free/vmalloc/12289/real_time/threads:1");
    assert_true(number(b, "maps") == 4);
    assert_true(number(b, "flushes") == 4);
    assert_true(number(b, "frames") == 4);
    b = find(list, "alloc_free/xmalloc/64/real_time/threads:1");
    assert_true(number(b, "maps") == 0);
    json_decref(root);
}

/* --xheap_baseline re-runs the binary with the library preloaded. */
static void baseline_flag_adds_its_benchmarks(void **state)
{
    json_t *root = run_json("--benchmark_filter=alloc_free/jemalloc/64/",
                            "--xheap_baseline=jemalloc");
    json_t *list = json_object_get(root, "benchmarks");

    assert_int_equal(json_array_size(list), thread_counts());
    assert_true(number(find(list, "alloc_free/jemalloc/64/real_time/threads:1"),
                       "frames") == 0);
    json_decref(root);
}

static void bad_flags_are_refused(void **state)
{
    char *unknown[] = { GBENCH_BIN, "--no_such_flag", NULL };
    char *baseline[] = { GBENCH_BIN, "--xheap_baseline=glibc", NULL };

    assert_int_equal(run(unknown), 2);
    assert_int_equal(run(baseline), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(json_has_user_counters),
        cmocka_unit_test(baseline_flag_adds_its_benchmarks),
        cmocka_unit_test(bad_flags_are_refused),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
