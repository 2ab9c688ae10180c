/*
 * xheap gen and xheap replay end to end: generated traces are valid and
 * deterministic, a replay writes every CONTRACT key of the result object and
 * one placements row per successful allocation, bad input is refused.
 * The engine: threads with cross-thread frees give the same calls as one
 * thread, chunked decoding gives the same placements as whole decoding and
 * bounded memory, repetitions and histograms add up, flush peers run.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "tests/check.h"
#include "backends/heap.h"
#include "drivers/cli/cli.h"
#include "drivers/measure/replay.h"
#include "drivers/measure/threads.h"
#include "workloads/gen.h"
#include "workloads/trace.h"

#define SMALL_EVENTS 4000
#define QUICK "--repetitions", "2", "--warmup", "0"   /* tests need no more */
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

/* The trace of WORKLOAD with SEED, THREADS and CROSS (percent of frees
 * by another thread), in a freshly allocated buffer. */
static char *gen_mem_threads(const char *workload, uint64_t seed,
                             uint64_t events, unsigned threads, unsigned cross,
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
    p.threads = threads;
    p.cross_free = cross;
    if (gen_check(w, &p, why, sizeof(why)) != 0)
        fail_msg("gen %s: %s", workload, why);
    assert_int_equal(gen_write(w, &p, f), 0);
    fclose(f);
    return buf;
}

static char *gen_mem(const char *workload, uint64_t seed, uint64_t events,
                     size_t *len)
{
    return gen_mem_threads(workload, seed, events, 1, 0, len);
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

/* ---- replay: the result file ------------------------------------- */

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

static double get_num(json_t *o, const char *key)
{
    json_t *v = get(o, key);

    assert_true(json_is_number(v));
    return json_number_value(v);
}

static json_t *load(const char *path)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);

    if (!root)
        fail_msg("%s:%d: %s", path, jerr.line, jerr.text);
    return root;
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
        assert_true(get_num(l, "p50") <= get_num(l, "p99"));
        assert_true(get_num(l, "p99") <= get_num(l, "p999"));
        assert_true(get_num(l, "p999") <= get_num(l, "max"));
        assert_true(get_num(l, "mean") <= get_num(l, "max"));
        assert_true(get_int(l, "count") > 0);
    }
}

/* Counters are null where unsupported (with a reason) or counts. */
static void check_counters(json_t *root)
{
    json_t *c = get(root, "counters"), *why = get(root, "counters_unsupported");
    const char *name;
    json_t *v;

    json_object_foreach(c, name, v) {
        assert_true(json_is_null(v) || json_is_integer(v));
        if (json_is_null(v))
            assert_true(json_is_string(get(why, name)));
    }
}

/* Checks the CONTRACT keys; returns the successful allocations expected. */
static json_int_t check_result(const char *path, const char *backend,
                               bool model, json_int_t threads)
{
    json_t *root = load(path);
    json_t *ops, *mem, *map, *waste;
    json_int_t rows;

    assert_string_equal(json_string_value(get(root, "backend")), backend);
    assert_int_equal(get_int(root, "page_size"), 4096);
    assert_int_equal(get_int(root, "threads"), threads);

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

    check_counters(root);
    assert_true(json_is_object(get(root, "counters")));
    assert_true(json_is_string(get(get(root, "machine"), "host")));
    assert_true(get_int(get(root, "machine"), "cores") > 0);
    assert_int_equal(get_int(get(root, "config"), "page_size"), 4096);
    assert_int_equal(get_int(root, "leaked_by_trace"), 0);
    assert_true(get_num(root, "ns_per_op") > 0);
    assert_true(get_int(get(root, "topology"), "pus") > 0);
    assert_int_equal(json_array_size(get(get(root, "topology"), "threads")),
                     threads);
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
    const struct backend *ops = backend_find(backend);
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
                         "--counters", "cycles,instructions", QUICK), 0);
    rows = check_result(json, backend, ops->model, 1);
    assert_int_equal(count_rows(csv), rows);
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

/* ---- replay: the library call -------------------------------------- */

static struct heap_config small_config(void)
{
    struct heap_config cfg;

    heap_config_defaults(&cfg);
    cfg.memory_bytes = 256ull << 20;
    return cfg;
}

static void quick_options(struct replay_options *o)
{
    replay_options_defaults(o);
    o->warmup = 0;
    o->repetitions = 2;
    o->counters = "none";
}

/* replay_measure that must succeed. */
static void measure(const struct replay_options *o, const char *backend,
                    const char *trace, struct replay_report *r)
{
    struct heap_config cfg = small_config();
    int st = replay_measure(o, &cfg, backend, trace, r);

    if (st != REPLAY_OK)
        fail_msg("replay %s %s: %s", backend, trace, r->error);
}

/* The reader's "file:line: what" reaches the caller unchanged. */
static void test_replay_malformed(void **state)
{
    static const char bad[] = "xheap-trace 1\na 1 64\nf 2\n";
    char path[256], prefix[300];
    struct replay_options o;
    struct replay_report r;
    struct heap_config cfg = small_config();

    write_file(in_dir(path, sizeof(path), "bad.trace"), bad, sizeof(bad) - 1);
    quick_options(&o);
    assert_int_equal(replay_measure(&o, &cfg, "glibc", path, &r),
                     REPLAY_BAD_INPUT);
    snprintf(prefix, sizeof(prefix), "%s:3:", path);
    if (strncmp(r.error, prefix, strlen(prefix)) != 0)
        fail_msg("expected \"%s ...\", got \"%s\"", prefix, r.error);
    replay_report_free(&r);
    assert_int_equal(replay_measure(&o, &cfg, "glibc", "/nonexistent/t", &r),
                     REPLAY_BAD_INPUT);
    replay_report_free(&r);
    assert_int_equal(RUN(cmd_replay, "replay", "--backend", "glibc",
                         "--trace", path), EXIT_USAGE);
    unlink(path);
}

static void test_replay_bad_usage(void **state)
{
    static const char *const bad[][2] = {
        { "--threads", "0" }, { "--threads", "1025" }, { "--threads", "x" },
        { "--page-size", "8K" }, { "--pin", "everywhere" },
        { "--memory", "lots" }, { "--repetitions", "0" }, { "--warmup", "-1" },
        { "--timing", "sometimes" }, { "--timer", "sundial" },
        { "--chunk-events", "0" }, { "--flush-peers", "many" },
        { "--counters", "cycles,,instructions" },
    };
    char path[256];

    gen_file(in_dir(path, sizeof(path), "ok.trace"), "pairs", 1);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (RUN(cmd_replay, "replay", "--backend", "glibc", "--trace", path,
                (char *)bad[i][0], (char *)bad[i][1]) != EXIT_USAGE)
            fail_msg("%s %s was not refused", bad[i][0], bad[i][1]);
    assert_int_equal(RUN(cmd_replay, "replay", "--backend", "nosuch",
                         "--trace", path), EXIT_USAGE);
    assert_int_equal(RUN(cmd_replay, "replay", "--backend", "glibc",
                         "--trace", path, "--bogus"), EXIT_USAGE);
    assert_int_equal(RUN(cmd_replay, "replay", "--trace", path), EXIT_USAGE);
    assert_int_equal(RUN(cmd_replay, "replay", "--backend", "glibc",
                         "--trace", path, "--json", "/nonexistent/r.json"),
                     EXIT_RUN_FAILED);
    unlink(path);
}

/* The rows of a placements CSV in memory: id and size of each. */
static size_t parse_rows(const char *csv, uint64_t *id, uint64_t *size,
                         size_t max)
{
    const char *p = strchr(csv, '\n');
    size_t n = 0;

    assert_non_null(p);
    assert_memory_equal(csv, PLACEMENTS_HEADER, strlen(PLACEMENTS_HEADER));
    while (p && p[1] && n < max) {
        unsigned long long a, b;

        assert_int_equal(sscanf(p + 1, "%llu,%llu,", &a, &b), 2);
        id[n] = a;
        size[n++] = b;
        p = strchr(p + 1, '\n');
    }
    return n;
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
        struct replay_options o;
        struct replay_report r;
        char *csv = NULL;
        size_t len;
        uint64_t id[4], size[4];

        quick_options(&o);
        o.placements = open_memstream(&csv, &len);
        measure(&o, backends[i], path, &r);
        fclose(o.placements);
        assert_int_equal(r.stats.failed, 1);
        assert_int_equal(r.calls[CALL_ALLOC], 3);
        assert_int_equal(r.calls[CALL_FREE], 1);
        assert_int_equal(r.calls[CALL_REALLOC], 0);
        assert_int_equal(r.skipped, 1);
        assert_int_equal(r.writes, 2);
        assert_int_equal(r.leaked, 1);
        assert_int_equal(parse_rows(csv, id, size, 4), 2);
        assert_int_equal(id[0], 1);
        assert_int_equal(size[0], 100);
        assert_int_equal(id[1], 2);
        assert_true(r.placements_pass);   /* no warm-up to record them */
        replay_report_free(&r);
        free(csv);
    }
    unlink(path);
}

/* ---- replay: threads ----------------------------------------------- */

/* Every event of a block on another thread than the last: each must wait
 * for the one before (ASan, in the sanitizer build, sees any that does not). */
static void write_relay_trace(const char *path, unsigned blocks)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs("xheap-trace 1\n", f);
    for (unsigned i = 0; i < blocks; i++) {
        unsigned t = i % 3;

        fprintf(f, "a %u %u t=%u touch=all\n", i, 64 + i % 4000, t);
        fprintf(f, "w %u t=%u\n", i, (t + 1) % 3);
        fprintf(f, "r %u %u t=%u\n", i, 100 + i % 300, (t + 2) % 3);
        fprintf(f, "w %u t=%u\n", i, t);
        if (i >= 8)   /* a few blocks live at once, freed elsewhere */
            fprintf(f, "f %u t=%u\n", i - 8, (t + 1) % 3);
    }
    for (unsigned i = blocks >= 8 ? blocks - 8 : 0; i < blocks; i++)
        fprintf(f, "f %u t=%u\n", i, i % 2);
    assert_int_equal(fclose(f), 0);
}

/* Same calls, writes and no failure whatever the threads and pinning. */
static void replay_threads(const char *backend, const char *trace)
{
    static const struct {
        unsigned threads;
        enum pin_mode pin;
    } runs[] = {
        { 1, PIN_NONE }, { 2, PIN_COMPACT }, { 3, PIN_SCATTER },
        { 5, PIN_COMPACT }, { 2, PIN_NONE },
    };
    uint64_t calls[CALL_KINDS] = { 0 }, writes = 0;

    for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
        struct replay_options o;
        struct replay_report r;

        quick_options(&o);
        o.threads = runs[i].threads;
        o.pin = runs[i].pin;
        o.chunk_events = i % 2 ? 333 : REPLAY_CHUNK_EVENTS;
        measure(&o, backend, trace, &r);
        if (i == 0) {
            memcpy(calls, r.calls, sizeof(calls));
            writes = r.writes;
        }
        assert_memory_equal(r.calls, calls, sizeof(calls));
        assert_int_equal(r.writes, writes);
        assert_int_equal(r.stats.failed, 0);
        assert_int_equal(r.leaked, 0);
        assert_int_equal(r.plan.n_replay, runs[i].threads);
        /* The locks were told whether the threads outnumber the CPUs;
         * only then may their waiters yield. */
        assert_true(r.locks.oversubscribed ==
                    (runs[i].threads > affinity_cpus()));
        assert_true(r.locks.oversubscribed == spin_oversubscribed());
        if (!r.locks.oversubscribed)
            assert_int_equal(r.locks.yields, 0);
        for (unsigned t = 0; t < r.plan.n_replay; t++)
            assert_true((r.plan.replay[t].pu >= 0) == (runs[i].pin != PIN_NONE));
        assert_true(r.ns_per_op.median > 0);
        replay_report_free(&r);
    }
    assert_true(calls[CALL_FREE] > 0 && writes > 0);
}

static void test_replay_threads(void **state)
{
    char gen[256], relay[256];
    size_t len;
    char *text = gen_mem_threads("churn", 11, SMALL_EVENTS, 3, 30, &len);

    write_file(in_dir(gen, sizeof(gen), "threads.trace"), text, len);
    free(text);
    write_relay_trace(in_dir(relay, sizeof(relay), "relay.trace"), 500);
    replay_threads("glibc", gen);
    replay_threads("glibc", relay);
    replay_threads("xvmalloc", gen);
    replay_threads("xvmalloc", relay);
    unlink(gen);
    unlink(relay);
}

/* The command: threads and pinning reach the result file. */
static void test_replay_threads_command(void **state)
{
    char trace[256], json[256];
    size_t len;
    char *text = gen_mem_threads("churn", 12, SMALL_EVENTS, 2, 20, &len);
    json_t *root, *topo;

    write_file(in_dir(trace, sizeof(trace), "t2.trace"), text, len);
    free(text);
    in_dir(json, sizeof(json), "t2.json");
    assert_int_equal(RUN(cmd_replay, "replay", "--backend", "xvmalloc",
                         "--trace", trace, "--threads", "2", "--pin",
                         "scatter", "--json", json, QUICK), 0);
    check_result(json, "xvmalloc", true, 2);
    root = load(json);
    topo = get(root, "topology");
    assert_string_equal(json_string_value(get(topo, "pin")), "scatter");
    assert_true(get_int(topo, "cores") > 0 && get_int(topo, "packages") > 0);
    assert_true(json_is_integer(get(json_array_get(get(topo, "threads"), 1),
                                    "pu")));
    assert_true(json_is_boolean(get(get(root, "locks"), "oversubscribed")));
    assert_true(json_is_integer(get(get(root, "locks"), "yields")));
    json_decref(root);
    unlink(trace);
    unlink(json);
}

/* ---- replay: repetitions, histograms, timing ----------------------- */

static json_int_t sum_counts(json_t *a, bool pairs)
{
    json_int_t n = 0;
    size_t i;
    json_t *v;

    json_array_foreach(a, i, v)
        n += pairs ? json_integer_value(json_array_get(v, 1))
                   : get_int(v, "count");
    return n;
}

static void test_replay_repetitions(void **state)
{
    char trace[256], json[256];
    json_t *root, *reps, *batch, *lat;
    const char *kinds[] = { "alloc", "free", "realloc" };

    gen_file(in_dir(trace, sizeof(trace), "reps.trace"), "churn", 21);
    in_dir(json, sizeof(json), "reps.json");
    assert_int_equal(RUN(cmd_replay, "replay", "--backend", "xmalloc",
                         "--trace", trace, "--json", json, "--repetitions",
                         "3", "--warmup", "1", "--counters", "none"), 0);
    root = load(json);
    reps = get(root, "repetitions");
    assert_int_equal(json_array_size(reps), 3);
    for (size_t i = 0; i < 3; i++) {
        assert_true(get_num(json_array_get(reps, i), "ns_per_op") > 0);
        assert_true(get_int(json_array_get(reps, i), "timed_pass_ns") > 0);
    }
    assert_int_equal(get_int(root, "warmup"), 1);
    batch = get(get(root, "batch"), "ns_per_op");
    assert_true(get_num(batch, "min") <= get_num(batch, "median"));
    assert_true(get_num(batch, "median") <= get_num(batch, "max"));
    assert_true(get_num(batch, "mad") >= 0);
    assert_true(get_num(root, "ns_per_op") == get_num(batch, "median"));
    /* Every timed call of every repetition is in the histograms, once. */
    lat = get(root, "latency_ns");
    for (int k = 0; k < 3; k++) {
        json_int_t count = get_int(get(lat, kinds[k]), "count");

        assert_int_equal(count, 3 * get_int(get(root, "ops"), kinds[k]));
        assert_int_equal(sum_counts(get(get(root, "latency_by_size_ns"),
                                        kinds[k]), false), count);
        assert_int_equal(sum_counts(get(get(root, "latency_histogram_ns"),
                                        kinds[k]), true), count);
    }
    assert_true(get_num(get(root, "timer"), "ns_per_tick") > 0);
    json_decref(root);
    unlink(trace);
    unlink(json);
}

/* Per size class: a trace of two sizes has exactly two classes. */
static void test_replay_size_classes(void **state)
{
    static const char text[] =
        "xheap-trace 1\n"
        "a 1 40\na 2 40\na 3 3000\nf 1\nf 3\nf 2\n";
    char path[256];
    struct replay_options o;
    struct replay_report r;

    write_file(in_dir(path, sizeof(path), "classes.trace"), text,
               sizeof(text) - 1);
    quick_options(&o);
    measure(&o, "xmalloc", path, &r);
    for (int k = 0; k < REPLAY_SIZE_CLASSES; k++) {
        uint64_t want = k == 5 ? 2 * 2 : k == 11 ? 1 * 2 : 0;   /* 2 reps */

        assert_int_equal(r.by_size[CALL_ALLOC][k].count, want);
        assert_int_equal(r.by_size[CALL_FREE][k].count, want);
    }
    assert_int_equal(r.latency[CALL_ALLOC].count, 6);
    replay_report_free(&r);
    unlink(path);
}

static void test_replay_timing_modes(void **state)
{
    char path[256];
    struct replay_options o;
    struct replay_report r;
    json_t *root;

    gen_file(in_dir(path, sizeof(path), "modes.trace"), "churn", 3);
    quick_options(&o);
    o.timing = TIMING_BATCH;
    measure(&o, "glibc", path, &r);
    assert_false(r.latencies);
    assert_int_equal(r.latency[CALL_ALLOC].count, 0);
    assert_true(r.reps[0].ns_per_op > 0 && r.reps[1].ns_per_op > 0);
    assert_int_equal(r.reps[0].timed_ns, 0);
    root = replay_json(&r);
    check_latency(get(root, "latency_ns"), "alloc", false);
    assert_true(json_is_null(get(get(root, "latency_by_size_ns"), "alloc")));
    json_decref(root);
    replay_report_free(&r);

    quick_options(&o);
    o.timing = TIMING_OP;
    o.timer = TIMER_CLOCK;
    measure(&o, "glibc", path, &r);
    assert_true(r.latencies);
    assert_false(r.timer.tsc);
    assert_true(r.latency[CALL_FREE].count > 0);
    assert_true(r.reps[1].ns_per_op > 0);
    root = replay_json(&r);
    assert_string_equal(json_string_value(get(get(root, "timer"), "source")),
                        "clock_gettime");
    json_decref(root);
    replay_report_free(&r);
    unlink(path);
}

/* ---- replay: chunks and memory ------------------------------------- */

static char *placements_of(const char *backend, const char *trace,
                           size_t chunk, unsigned threads,
                           struct replay_report *r)
{
    struct replay_options o;
    char *csv = NULL;
    size_t len;

    quick_options(&o);
    o.repetitions = 1;
    o.chunk_events = chunk;
    o.threads = threads;
    o.placements = open_memstream(&csv, &len);
    measure(&o, backend, trace, r);
    fclose(o.placements);
    return csv;
}

/* Chunks change nothing but memory: the same placements, byte for byte. */
static void test_replay_chunks(void **state)
{
    char path[256];
    struct replay_report whole, tiny;
    char *a, *b;

    gen_file(in_dir(path, sizeof(path), "chunks.trace"), "churn", 8);
    a = placements_of("xmalloc", path, REPLAY_CHUNK_EVENTS, 1, &whole);
    b = placements_of("xmalloc", path, 7, 1, &tiny);
    assert_string_equal(a, b);
    assert_false(whole.trace.spooled);
    assert_int_equal(whole.trace.chunks, 1);
    assert_true(tiny.trace.spooled);
    assert_int_equal(tiny.trace.chunks, (SMALL_EVENTS + 6) / 7);
    assert_memory_equal(whole.calls, tiny.calls, sizeof(whole.calls));
    assert_int_equal(whole.stats.peak_frames, tiny.stats.peak_frames);
    replay_report_free(&whole);
    replay_report_free(&tiny);
    free(a);
    free(b);
    /* Threads write rows in trace order too (glibc: no offsets). */
    a = placements_of("glibc", path, 50, 1, &whole);
    b = placements_of("glibc", path, 50, 3, &tiny);
    assert_string_equal(a, b);
    replay_report_free(&whole);
    replay_report_free(&tiny);
    free(a);
    free(b);
    unlink(path);
}

/* The engine's memory depends on the chunk, not on the trace's length. */
static void test_replay_bounded_memory(void **state)
{
    char small[256], large[256];
    struct replay_options o;
    struct replay_report a, b;
    size_t len;
    char *text;

    text = gen_mem("pairs", 1, 2000, &len);
    write_file(in_dir(small, sizeof(small), "short.trace"), text, len);
    free(text);
    text = gen_mem("pairs", 1, 40000, &len);
    write_file(in_dir(large, sizeof(large), "long.trace"), text, len);
    free(text);
    quick_options(&o);
    o.chunk_events = 1000;
    o.timing = TIMING_BATCH;
    measure(&o, "null", small, &a);
    measure(&o, "null", large, &b);
    assert_int_equal(a.harness_bytes, b.harness_bytes);
    assert_int_equal(b.trace.chunks, 40);
    assert_true(b.vm_hwm_bytes > 0);
    print_message("null backend, pairs: %.2f ns/event (batch, median of 2)\n",
                  b.ns_per_op.median);
    replay_report_free(&a);
    replay_report_free(&b);
    unlink(small);
    unlink(large);
}

/* ---- replay: flush peers ------------------------------------------- */

static void test_replay_flush_peers(void **state)
{
    static const char text[] =
        "xheap-trace 1\n"
        "a 1 40000\nf 1\na 2 90000 touch=first\nf 2\na 3 20000\nf 3\n";
    char path[256], json[256];
    json_t *root, *topo;

    write_file(in_dir(path, sizeof(path), "peers.trace"), text,
               sizeof(text) - 1);
    in_dir(json, sizeof(json), "peers.json");
    assert_int_equal(RUN(cmd_replay, "replay", "--backend", "vmalloc",
                         "--trace", path, "--flush-peers", "2", "--pin",
                         "compact", "--json", json, QUICK), 0);
    root = load(json);
    topo = get(root, "topology");
    assert_int_equal(json_array_size(get(topo, "flush_peers")), 2);
    assert_true(json_is_integer(get(json_array_get(get(topo, "flush_peers"),
                                                   0), "pu")));
    assert_true(get_int(topo, "peer_rounds") > 0);   /* they ran */
    assert_int_equal(get_int(get(root, "config"), "flush_peers"), 2);
    assert_true(get_int(get(root, "mapping"), "unmap_calls") > 0);
    json_decref(root);
    unlink(path);
    unlink(json);
}

/* ---- threads: plans and the barrier ------------------------------- */

/* Compact and scatter use distinct PUs (scatter: distinct cores) while
 * there are enough; peers avoid the replay threads' PUs when they can. */
static void test_thread_plans(void **state)
{
    char why[256];
    struct topology *t = topology_load(why, sizeof(why));
    struct thread_plan p;

    if (!t)
        fail_msg("topology: %s", why);
    for (unsigned n = 1; n <= 9; n += 4) {
        assert_int_equal(thread_plan_make(t, PIN_COMPACT, n, 1, &p), 0);
        for (unsigned i = 0; i < n && i < p.pus; i++)
            for (unsigned j = 0; j < i; j++)
                assert_true(p.replay[i].pu != p.replay[j].pu);
        for (unsigned i = 0; n < p.pus && i < n; i++)
            assert_true(p.peers[0].pu != p.replay[i].pu);
        assert_int_equal(p.n_notes > 0, n >= p.pus);   /* shared or no room */
        thread_plan_free(&p);
        assert_int_equal(thread_plan_make(t, PIN_SCATTER, n, 0, &p), 0);
        for (unsigned i = 0; i < n && i < p.cores; i++)
            for (unsigned j = 0; j < i; j++)
                assert_true(p.replay[i].core != p.replay[j].core);
        thread_plan_free(&p);
        assert_int_equal(thread_plan_make(t, PIN_NONE, n, 0, &p), 0);
        assert_int_equal(p.replay[n - 1].pu, -1);
        thread_plan_free(&p);
    }
    topology_free(t);
}

#define BARRIER_THREADS 6
#define BARRIER_ROUNDS  300

struct barrier_test {
    struct spin_barrier b;
    unsigned count;
    unsigned bad;
};

/* Every round each thread adds one; after the barrier all must see every
 * addition. Some threads dawdle so that the others go to sleep. */
static void *barrier_thread(void *arg)
{
    struct barrier_test *bt = arg;

    for (unsigned r = 1; r <= BARRIER_ROUNDS; r++) {
        __atomic_add_fetch(&bt->count, 1, __ATOMIC_RELAXED);
        if (r % 50 == 0)
            usleep(300);   /* longer than a waiter yields: it sleeps */
        spin_barrier_wait(&bt->b);
        if (__atomic_load_n(&bt->count, __ATOMIC_RELAXED) <
            r * BARRIER_THREADS)
            __atomic_add_fetch(&bt->bad, 1, __ATOMIC_RELAXED);
        spin_barrier_wait(&bt->b);
    }
    return NULL;
}

static void test_barrier(void **state)
{
    struct barrier_test bt = { .count = 0 };
    pthread_t tid[BARRIER_THREADS - 1];

    spin_barrier_init(&bt.b, BARRIER_THREADS);
    for (int i = 0; i < BARRIER_THREADS - 1; i++)
        assert_int_equal(pthread_create(&tid[i], NULL, barrier_thread, &bt), 0);
    for (unsigned r = 1; r <= BARRIER_ROUNDS; r++) {
        __atomic_add_fetch(&bt.count, 1, __ATOMIC_RELAXED);
        if (r % 7 == 0)
            usleep(300);   /* the others fall asleep; rouse them */
        if (r % 2)
            spin_barrier_rouse(&bt.b);
        spin_barrier_wait(&bt.b);
        if (bt.count < r * BARRIER_THREADS)
            bt.bad++;
        spin_barrier_wait(&bt.b);
    }
    for (int i = 0; i < BARRIER_THREADS - 1; i++)
        pthread_join(tid[i], NULL);
    assert_int_equal(bt.bad, 0);
    assert_int_equal(bt.count, BARRIER_ROUNDS * BARRIER_THREADS);
}

/* The summary a person reads: short, with what they look for. */
static void test_replay_summary(void **state)
{
    char path[256], *out = NULL;
    size_t len;
    struct replay_options o;
    struct replay_report r;
    FILE *f;

    gen_file(in_dir(path, sizeof(path), "sum.trace"), "churn", 4);
    quick_options(&o);
    measure(&o, "xmalloc", path, &r);
    f = open_memstream(&out, &len);
    replay_print(&r, f, true);
    fclose(f);
    assert_non_null(strstr(out, "p99.9"));
    assert_non_null(strstr(out, "ns/op, median of 2"));
    assert_non_null(strstr(out, "overhead"));
    assert_non_null(strstr(out, "[16,32)"));
    for (char *line = out; *line;) {   /* 78 columns, for e-mail */
        size_t n = strcspn(line, "\n");

        if (n > 78 && strncmp(line, "replay ", 7) != 0 &&
            strncmp(line, "note ", 5) != 0 && strncmp(line, "counter", 7) != 0)
            fail_msg("line longer than 78 columns: %.*s", (int)n, line);
        line += n + (line[n] == '\n');
    }
    free(out);
    replay_report_free(&r);
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
        cmocka_unit_test(test_replay_threads),
        cmocka_unit_test(test_replay_threads_command),
        cmocka_unit_test(test_replay_repetitions),
        cmocka_unit_test(test_replay_size_classes),
        cmocka_unit_test(test_replay_timing_modes),
        cmocka_unit_test(test_replay_chunks),
        cmocka_unit_test(test_replay_bounded_memory),
        cmocka_unit_test(test_replay_flush_peers),
        cmocka_unit_test(test_replay_summary),
        cmocka_unit_test(test_thread_plans),
        cmocka_unit_test(test_barrier),
        cmocka_unit_test(test_xheap_command),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
