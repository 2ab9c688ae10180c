/*
 * Baselines in a process of their own: the libraries are found, the
 * re-executed child really runs on the preloaded allocator (and the glibc
 * backend refuses to run there), a backend whose library is not loaded
 * refuses to start, and xheap replay runs each baseline end to end.
 *
 * The test re-executes itself: run as "test_baseline child BACKEND" it
 * checks BACKEND in the process it is, and exits 0 when all is well.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "tests/check.h"
#include "backends/heap.h"
#include "drivers/measure/baseline.h"

#define XHEAP_BIN   "build/xheap"   /* make test runs from the tree's root */
#define CHILD_ARG   "child"
#define CHILD_OK    0
#define CHILD_WRONG 3

static const char *const preloaded[] = { "jemalloc", "mimalloc", "tcmalloc" };

static struct heap *try_heap(const char *backend, char *why, size_t len)
{
    struct heap_config cfg;

    heap_config_defaults(&cfg);
    return heap_create(backend, &cfg, why, len);
}

/* Child mode: BACKEND serves malloc here, and glibc refuses to pose as it. */
static int child(const char *backend)
{
    char why[512];
    struct heap *h = try_heap(backend, why, sizeof why);
    void *p;

    if (!h) {
        fprintf(stderr, "child: %s: %s\n", backend, why);
        return CHILD_WRONG;
    }
    p = heap_alloc(h, 100, 0, 0, NULL);
    heap_free(h, p, 100);
    heap_destroy(h);
    if (!p || try_heap("glibc", why, sizeof why)) {
        fprintf(stderr, "child: glibc backend accepted under %s\n", backend);
        return CHILD_WRONG;
    }
    if (!strstr(why, backend)) {
        fprintf(stderr, "child: glibc refused for the wrong reason: %s\n", why);
        return CHILD_WRONG;
    }
    /* Programs the child starts get the user's LD_PRELOAD back. */
    if (getenv("LD_PRELOAD") && strstr(getenv("LD_PRELOAD"), backend)) {
        fprintf(stderr, "child: LD_PRELOAD still names %s\n", backend);
        return CHILD_WRONG;
    }
    return CHILD_OK;
}

static void libraries_are_found(void **state)
{
    char path[4096];

    for (size_t i = 0; i < 3; i++) {
        const struct baseline *b = baseline_find(preloaded[i]);

        assert_non_null(b);
        assert_int_equal(baseline_library(b, NULL, path, sizeof path), 0);
        assert_non_null(strstr(path, b->soname));
        assert_int_equal(access(path, R_OK), 0);
    }
    assert_null(baseline_find("glibc"));
    assert_null(baseline_find("xmalloc"));
}

static void missing_library_is_not_found(void **state)
{
    static const char *const nowhere[] = { "/nonexistent", NULL };
    char path[4096];

    assert_int_equal(baseline_library(baseline_find("jemalloc"), nowhere,
                                      path, sizeof path), -1);
}

/* Without the preload a baseline refuses to start, saying what to do. */
static void not_preloaded_refuses(void **state)
{
    char why[512];

    for (size_t i = 0; i < 3; i++) {
        assert_null(try_heap(preloaded[i], why, sizeof why));
        assert_non_null(strstr(why, "LD_PRELOAD"));
    }
    heap_destroy(try_heap("glibc", why, sizeof why));
}

/* Nothing to do for backends that need no preload. */
static void others_are_left_alone(void **state)
{
    char *argv[] = { "replay", NULL };

    assert_int_equal(baseline_reexec("xmalloc", 1, argv), -1);
    assert_int_equal(baseline_reexec("glibc", 1, argv), -1);
    assert_int_equal(baseline_reexec(NULL, 1, argv), -1);
}

/* baseline_reexec runs this test binary again as the child. */
static void reexec_runs_the_child_preloaded(void **state)
{
    for (size_t i = 0; i < 3; i++) {
        char *argv[] = { CHILD_ARG, (char *)preloaded[i], NULL };

        assert_int_equal(baseline_reexec(preloaded[i], 2, argv), CHILD_OK);
    }
}

static int run_xheap(char *const argv[])
{
    pid_t pid = fork();
    int status;

    assert_true(pid >= 0);
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout))
            _exit(127);
        execv(XHEAP_BIN, argv);
        _exit(127);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

/* xheap replay --backend B, end to end, for each preloaded baseline. */
static void replay_runs_each_baseline(void **state)
{
    char dir[] = "/tmp/xheap-test-baseline-XXXXXX", trace[128], json[128];
    char *gen[] = { XHEAP_BIN, "gen", "pairs", "--events", "2000", "-o",
                    trace, NULL };

    assert_non_null(mkdtemp(dir));
    snprintf(trace, sizeof trace, "%s/p.trace", dir);
    snprintf(json, sizeof json, "%s/r.json", dir);
    assert_int_equal(run_xheap(gen), 0);
    for (size_t i = 0; i < 3; i++) {
        char *replay[] = { XHEAP_BIN, "replay", "--backend",
                           (char *)preloaded[i], "--trace", trace, "--json",
                           json, NULL };
        json_error_t err;
        json_t *root;

        assert_int_equal(run_xheap(replay), 0);
        root = json_load_file(json, 0, &err);
        if (!root)
            fail_msg("%s: %s", json, err.text);
        assert_string_equal(json_string_value(json_object_get(root, "backend")),
                            preloaded[i]);
        assert_int_equal(json_integer_value(json_object_get(
            json_object_get(root, "ops"), "alloc")), 1000);
        json_decref(root);
        unlink(json);
    }
    unlink(trace);
    rmdir(dir);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(libraries_are_found),
        cmocka_unit_test(missing_library_is_not_found),
        cmocka_unit_test(not_preloaded_refuses),
        cmocka_unit_test(others_are_left_alone),
        cmocka_unit_test(reexec_runs_the_child_preloaded),
        cmocka_unit_test(replay_runs_each_baseline),
    };

    if (argc == 3 && strcmp(argv[1], CHILD_ARG) == 0) {
        if (baseline_reexec(argv[2], argc - 1, argv + 1) != -1)
            return CHILD_WRONG;   /* the child must not re-execute again */
        return child(argv[2]);
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
