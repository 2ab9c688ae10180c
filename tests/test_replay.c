/*
 * xheap gen and xheap replay end to end: generated traces are valid and
 * deterministic, a replay writes every CONTRACT key of the result object and
 * one placements row per successful allocation, bad input is refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "tests/check.h"
#include "backends/heap.h"
#include "drivers/cli.h"
#include "drivers/replay.h"
#include "workloads/gen.h"
#include "workloads/trace.h"

#define SMALL_EVENTS 4000
#define PLACEMENTS_HEADER "id,size,align,path,offset,frames,va_pages"
#define XHEAP_BIN "build/xheap"   /* make test runs from the tree's root */

/* Under AddressSanitizer, let malloc(2^40) fail as glibc's does instead of
 * aborting: test_replay_failures relies on it. Unused without ASan. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "allocator_may_return_null=1";
}

static char dir[] = "/tmp/xheap-test-replay-XXXXXX";

/* A file name inside the test's directory (static: one at a time per slot). */
static const char *in_dir(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", dir, name);
    return buf;
}

/* The trace of WORKLOAD with SEED, in a freshly allocated buffer. */
static char *gen_mem(const char *workload, uint64_t seed, uint64_t events,
                     size_t *len)
{
    const struct gen_workload *w = gen_find(workload);
    struct gen_params p;
    char why[256], *buf = NULL;
    FILE *f = open_memstream(&buf, len);

    assert_non_null(w);
    assert_non_null(f);
    gen_params_defaults(&p);
    p.seed = seed;
    p.events = events;
    assert_int_equal(gen_check(w, &p, why, sizeof(why)), 0);
    assert_int_equal(gen_write(w, &p, f), 0);
    fclose(f);
    return buf;
}

static void write_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void gen_file(const char *path, const char *workload, uint64_t seed)
{
    size_t len;
    char *text = gen_mem(workload, seed, SMALL_EVENTS, &len);

    write_file(path, text, len);
    free(text);
}

static int run(int argc, char **argv, int (*cmd)(int, char **))
{
    int rc = cmd(argc, argv);

    fflush(stdout);
    return rc;
}

#define RUN(cmd, ...) ({ char *argv_[] = { __VA_ARGS__, NULL }; \
    run((int)(sizeof(argv_) / sizeof(argv_[0])) - 1, argv_, cmd); })

/* ---- gen ----------------------------------------------------------- */

static void test_gen_deterministic(void **state)
{
    const char *names[] = { "pairs", "pages", "churn" };

    for (size_t i = 0; i < 3; i++) {
        size_t la, lb, lc;
        char *a = gen_mem(names[i], 42, SMALL_EVENTS, &la);
        char *b = gen_mem(names[i], 42, SMALL_EVENTS, &lb);
        char *c = gen_mem(names[i], 43, SMALL_EVENTS, &lc);

        assert_int_equal(la, lb);
        assert_memory_equal(a, b, la);
        if (strcmp(names[i], "churn") == 0)   /* only churn is random */
            assert_true(la != lc || memcmp(a, c, la) != 0);
        free(a);
        free(b);
        free(c);
    }
}

/* A generated trace reads back without error, with every op, closed. */
static void test_gen_churn_valid(void **state)
{
    size_t len;
    char *text = gen_mem("churn", 7, SMALL_EVENTS, &len);
    struct trace_error err;
    struct trace_reader *r = trace_open_mem("churn", text, len, &err);
    struct trace_event ev;
    uint64_t ops[256] = { 0 }, n = 0;
    uint64_t live_ids[1];
    int rc;

    assert_non_null(r);
    while ((rc = trace_next(r, &ev, &err)) == 1) {
        ops[ev.op]++;
        n++;
    }
    if (rc != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(n, SMALL_EVENTS);
    assert_true(ops['a'] > 0 && ops['f'] > 0 && ops['r'] > 0 && ops['w'] > 0);
    assert_int_equal(ops['a'], ops['f']);
    assert_int_equal(trace_live_ids(r, live_ids, 1), 0);
    trace_close(r);
    free(text);
}

static void test_gen_command(void **state)
{
    char a[256], b[256];
    FILE *fa, *fb;
    int ca, cb;

    assert_int_equal(RUN(cmd_gen, "gen", "churn", "--events", "500", "--seed",
                         "9", "-o", (char *)in_dir(a, sizeof(a), "a.trace")), 0);
    assert_int_equal(RUN(cmd_gen, "gen", "--seed=9", "churn", "--events=500",
                         "-o", (char *)in_dir(b, sizeof(b), "b.trace")), 0);
    fa = fopen(a, "r");
    fb = fopen(b, "r");
    assert_non_null(fa);
    assert_non_null(fb);
    do {
        ca = fgetc(fa);
        cb = fgetc(fb);
        assert_int_equal(ca, cb);
    } while (ca != EOF);
    fclose(fa);
    fclose(fb);
    unlink(a);
    unlink(b);

    assert_int_equal(RUN(cmd_gen, "gen", "nosuch"), EXIT_USAGE);
    assert_int_equal(RUN(cmd_gen, "gen", "pages", "--size", "64"), EXIT_USAGE);
    assert_int_equal(RUN(cmd_gen, "gen", "pairs", "--page-size", "8K"),
                     EXIT_USAGE);
}

/* ---- replay -------------------------------------------------------- */

static json_t *get(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);

    if (!v)
        fail_msg("result has no key \"%s\"", key);
    return v;
}

static json_int_t get_int(json_t *o, const char *key)
{
    json_t *v = get(o, key);

    assert_true(json_is_integer(v));
    assert_true(json_integer_value(v) >= 0);
    return json_integer_value(v);
}

static void check_latency(json_t *lat, const char *kind, bool expect_samples)
{
    json_t *l = get(lat, kind);
    const char *keys[] = { "mean", "p50", "p99", "p999", "max" };

    for (size_t i = 0; i < 5; i++) {
        json_t *v = get(l, keys[i]);

        assert_true(expect_samples ? json_is_number(v) : json_is_null(v));
    }
    if (expect_samples) {
        assert_true(get_int(l, "p50") <= get_int(l, "p99"));
        assert_true(get_int(l, "p99") <= get_int(l, "p999"));
        assert_true(get_int(l, "p999") <= get_int(l, "max"));
        assert_true(json_number_value(get(l, "mean")) > 0);
    }
}

/* Checks the CONTRACT keys; returns the successful allocations expected. */
static json_int_t check_result(const char *path, const char *backend,
                               bool model)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    json_t *ops, *mem, *map, *waste;
    json_int_t rows;

    if (!root)
        fail_msg("%s:%d: %s", path, jerr.line, jerr.text);
    assert_string_equal(json_string_value(get(root, "backend")), backend);
    assert_int_equal(get_int(root, "page_size"), 4096);
    assert_int_equal(get_int(root, "threads"), 1);

    ops = get(root, "ops");
    assert_true(get_int(ops, "alloc") > 0);
    assert_true(get_int(ops, "free") > 0);
    assert_true(get_int(ops, "realloc") > 0);
    rows = get_int(ops, "alloc") + get_int(ops, "realloc") -
           get_int(ops, "failed");

    check_latency(get(root, "latency_ns"), "alloc", true);
    check_latency(get(root, "latency_ns"), "free", true);
    check_latency(get(root, "latency_ns"), "realloc", true);

    mem = get(root, "memory");
    assert_true(get_int(mem, "peak_live_bytes") > 0);
    get_int(mem, "peak_frames");
    get_int(mem, "peak_va_pages");
    waste = get(mem, "waste_ratio");
    if (model)
        assert_true(json_is_real(waste) && json_real_value(waste) > -1.0);
    else
        assert_true(json_is_null(waste));

    map = get(root, "mapping");
    get_int(map, "map_calls");
    get_int(map, "unmap_calls");
    get_int(map, "flushes");

    assert_true(json_is_null(get(get(root, "counters"), "cycles")));
    assert_true(json_is_string(get(get(root, "machine"), "host")));
    assert_true(get_int(get(root, "machine"), "cores") > 0);
    assert_int_equal(get_int(get(root, "config"), "page_size"), 4096);
    assert_string_equal(json_string_value(get(get(root, "config"), "pin")),
                        "none");
    assert_int_equal(get_int(root, "leaked_by_trace"), 0);
    json_decref(root);
    return rows;
}

static json_int_t count_rows(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[512];
    json_int_t rows = 0;

    assert_non_null(f);
    assert_non_null(fgets(line, sizeof(line), f));
    assert_string_equal(line, PLACEMENTS_HEADER "\n");
    while (fgets(line, sizeof(line), f))
        rows++;
    fclose(f);
    return rows;
}

static void replay_backend(const char *backend)
{
    char trace[256], json[256], csv[256];
    const struct backend_ops *ops = backend_find(backend);
    json_int_t rows;

    if (!ops) {
        print_message("backend %s not built yet: skipped\n", backend);
        return;
    }
    gen_file(in_dir(trace, sizeof(trace), "churn.trace"), "churn", 5);
    in_dir(json, sizeof(json), "result.json");
    in_dir(csv, sizeof(csv), "placements.csv");
    assert_int_equal(RUN(cmd_replay, "replay", "--backend", (char *)backend,
                         "--trace", trace, "--json", json, "--placements", csv,
                         "--counters", "cycles,instructions"), 0);
    rows = check_result(json, backend, ops->model);
    assert_int_equal(count_rows(csv), rows);
    assert_int_equal(access(json, F_OK), 0);
    unlink(trace);
    unlink(json);
    unlink(csv);
}

static void test_replay_glibc(void **state)
{
    replay_backend("glibc");
}

static void test_replay_xmalloc(void **state)
{
    replay_backend("xmalloc");
}

/* The reader's "file:line: what" reaches the caller unchanged. */
static void test_replay_malformed(void **state)
{
    static const char bad[] = "xheap-trace 1\na 1 64\nf 2\n";
    char path[256], prefix[300];
    struct replay_trace t;
    struct trace_error err;

    write_file(in_dir(path, sizeof(path), "bad.trace"), bad, sizeof(bad) - 1);
    assert_int_equal(replay_load(path, &t, &err), -1);
    snprintf(prefix, sizeof(prefix), "%s:3:", path);
    if (strncmp(err.msg, prefix, strlen(prefix)) != 0)
        fail_msg("expected \"%s ...\", got \"%s\"", prefix, err.msg);
    assert_int_equal(RUN(cmd_replay, "replay", "--backend", "glibc",
                         "--trace", path), EXIT_USAGE);
    unlink(path);
}

static void test_replay_bad_usage(void **state)
{
    char path[256];

    gen_file(in_dir(path, sizeof(path), "ok.trace"), "pairs", 1);
    assert_int_equal(RUN(cmd_replay, "replay", "--backend", "nosuch",
                         "--trace", path), EXIT_USAGE);
    assert_int_equal(RUN(cmd_replay, "replay", "--backend", "glibc",
                         "--trace", path, "--threads", "2"), EXIT_USAGE);
    assert_int_equal(RUN(cmd_replay, "replay", "--backend", "glibc",
                         "--trace", path, "--page-size", "8K"), EXIT_USAGE);
    assert_int_equal(RUN(cmd_replay, "replay", "--backend", "glibc",
                         "--trace", path, "--pin", "everywhere"), EXIT_USAGE);
    assert_int_equal(RUN(cmd_replay, "replay", "--backend", "glibc",
                         "--trace", path, "--bogus"), EXIT_USAGE);
    assert_int_equal(RUN(cmd_replay, "replay", "--trace", path), EXIT_USAGE);
    assert_int_equal(RUN(cmd_replay, "replay", "--backend", "glibc",
                         "--trace", path, "--memory", "lots"), EXIT_USAGE);
    unlink(path);
}

/*
 * A failed allocation is counted, its f/w are skipped and its r allocates;
 * a 0-byte block is never written; what the trace leaves live is counted.
 */
static void test_replay_failures(void **state)
{
    static const char text[] =
        "xheap-trace 1\n"
        "a 1 1099511627776\n"   /* 2^40: more than any model has */
        "w 1\n"
        "r 1 100\n"             /* becomes an allocation */
        "w 1\n"
        "f 1\n"
        "a 2 0 touch=all\n"
        "w 2\n";
    const char *backends[] = { "xmalloc", "glibc" };
    char path[256];

    write_file(in_dir(path, sizeof(path), "fail.trace"), text, sizeof(text) - 1);
    for (size_t i = 0; i < 2; i++) {
        struct heap_config cfg;
        struct replay_trace t;
        struct replay_result res;
        struct trace_error err;
        char why[512];
        struct heap *h;

        heap_config_defaults(&cfg);
        h = heap_create(backends[i], &cfg, why, sizeof(why));
        if (!h)
            fail_msg("%s", why);
        assert_int_equal(replay_load(path, &t, &err), 0);
        assert_int_equal(replay_run(h, &t, true, &res), 0);
        assert_int_equal(res.stats.failed, 1);
        assert_int_equal(res.calls[CALL_ALLOC], 3);
        assert_int_equal(res.calls[CALL_FREE], 1);
        assert_int_equal(res.calls[CALL_REALLOC], 0);
        assert_int_equal(res.skipped, 1);
        assert_int_equal(res.writes, 2);
        assert_int_equal(res.leaked, 1);
        assert_int_equal(res.n_placements, 2);
        assert_int_equal(res.placements[0].id, 1);
        assert_int_equal(res.placements[0].size, 100);
        replay_result_free(&res);
        replay_trace_free(&t);
        heap_destroy(h);
    }
    unlink(path);
}

/* The dispatcher, through the built binary (when run from the tree). */
static void test_xheap_command(void **state)
{
    static const struct {
        const char *args;
        int status;
    } cases[] = {
        { "--help", 0 }, { "help replay", 0 }, { "help gen", 0 },
        { "backends --help", 0 }, { "gen --help", 0 }, { "replay --help", 0 },
        { "backends", 0 }, { "", EXIT_USAGE }, { "nosuch", EXIT_USAGE },
        { "--nosuch", EXIT_USAGE }, { "help nosuch", EXIT_USAGE },
        { "backends --nosuch", EXIT_USAGE },
    };
    char cmd[256];

    if (access(XHEAP_BIN, X_OK) != 0) {
        print_message(XHEAP_BIN " not built: skipped\n");
        return;
    }
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int st;

        snprintf(cmd, sizeof(cmd), XHEAP_BIN " %s >/dev/null 2>&1",
                 cases[i].args);
        st = system(cmd);
        assert_true(WIFEXITED(st));
        if (WEXITSTATUS(st) != cases[i].status)
            fail_msg("'%s' exited %d, want %d", cmd, WEXITSTATUS(st),
                     cases[i].status);
    }
}

static int setup(void **state)
{
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    return rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gen_deterministic),
        cmocka_unit_test(test_gen_churn_valid),
        cmocka_unit_test(test_gen_command),
        cmocka_unit_test(test_replay_glibc),
        cmocka_unit_test(test_replay_xmalloc),
        cmocka_unit_test(test_replay_malformed),
        cmocka_unit_test(test_replay_bad_usage),
        cmocka_unit_test(test_replay_failures),
        cmocka_unit_test(test_xheap_command),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
