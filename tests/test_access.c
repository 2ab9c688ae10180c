/*
 * xheap access: every path runs on a small working set (vmap, directmap,
 * the pool, no directmap, malloc), its numbers are sane, the JSON result
 * carries its keys, and bad input is refused with status 2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "tests/check.h"
#include "drivers/measure/access.h"
#include "drivers/cli/cli.h"

#define SMALL_SET   (1u << 20)
#define BLOCK       (64u << 10)
#define ACCESSES    20000u
#define MODEL_MEMORY (64ull << 20)

static struct access_setup small_setup(void)
{
    struct access_setup s;

    memset(&s, 0, sizeof s);
    heap_config_defaults(&s.cfg);
    s.cfg.memory_bytes = MODEL_MEMORY;
    s.working_set = SMALL_SET;
    s.block = BLOCK;
    s.accesses = ACCESSES;
    s.repetitions = 3;
    s.seed = 1;
    s.counters = ACCESS_COUNTERS_DEFAULT;
    return s;
}

static void run_ok(const char *backend, const struct access_setup *s,
                   enum access_region want, struct access_result *r)
{
    char why[512];

    if (access_run(backend, s, r, why, sizeof why) != 0)
        fail_msg("access_run(%s): %s", backend, why);
    assert_int_equal(r->region, want);
    assert_int_equal(r->failed, 0);
    assert_int_equal(r->blocks, s->working_set / s->block);
    assert_int_equal(r->bytes, r->blocks * (s->block / ACCESS_LINE) *
                               ACCESS_LINE);
    assert_int_equal(r->reps, s->repetitions);
    assert_true(r->ns_min > 0);
    assert_true(r->ns_min <= r->ns_per_access);
    assert_true(r->ns_per_access <= r->ns_max);
    assert_true(r->elapsed_ns > 0);
    assert_null(r->heap);   /* access_finish let the working set go */
    if (r->dtlb_known)
        assert_true(r->dtlb_per_access >= 0);
    else
        assert_non_null(counters_find(&r->counters, "dTLB-load-misses"));
}

static void every_region_runs(void **state)
{
    static const struct {
        const char *backend;
        enum access_region region;
    } c[] = {
        { "vmalloc", REGION_VMAP }, { "xmalloc", REGION_DIRECTMAP },
        { "pages", REGION_DIRECTMAP }, { "xvmalloc", REGION_VMAP },
        { "glibc", REGION_SYSTEM },
    };
    struct access_setup s = small_setup();

    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        struct access_result r;

        run_ok(c[i].backend, &s, c[i].region, &r);
        access_result_free(&r);
    }
}

/* vmalloc maps every page on its own; the directmap is mapped once. */
static void vmalloc_maps_each_page(void **state)
{
    struct access_setup s = small_setup();
    struct access_result v, d;

    run_ok("vmalloc", &s, REGION_VMAP, &v);
    run_ok("xmalloc", &s, REGION_DIRECTMAP, &d);
    assert_true(v.map_calls >= SMALL_SET / 4096);
    assert_true(d.map_calls < v.map_calls);
    assert_int_equal(v.by_path[PATH_VMAP], v.blocks);
    assert_int_equal(d.by_path[PATH_WHOLE_PAGES], d.blocks);
    access_result_free(&v);
    access_result_free(&d);
}

/* Blocks below a page come from the pool, in the directmap too; without a
 * directmap, pages are mapped as they are allocated. */
static void pool_and_no_directmap(void **state)
{
    struct access_setup s = small_setup();
    struct access_result r;

    s.block = 256;
    run_ok("xmalloc", &s, REGION_DIRECTMAP, &r);
    assert_int_equal(r.by_path[PATH_POOL], r.blocks);
    access_result_free(&r);

    s = small_setup();
    s.cfg.directmap = false;
    run_ok("xmalloc", &s, REGION_ON_DEMAND, &r);
    access_result_free(&r);
}

static void sequential_writes_and_page_sizes(void **state)
{
    struct access_setup s = small_setup();
    struct access_result r;

    s.sequential = true;
    s.write = true;
    run_ok("vmalloc", &s, REGION_VMAP, &r);
    access_result_free(&r);
    s.cfg.page_size = 16384;
    run_ok("vmalloc", &s, REGION_VMAP, &r);
    assert_true(r.map_calls >= SMALL_SET / 16384);
    access_result_free(&r);
}

/* Walking more than a lap, or less, works; a block too odd for whole lines
 * walks only its whole lines. */
static void odd_blocks_and_short_walks(void **state)
{
    struct access_setup s = small_setup();
    struct access_result r;

    s.block = 100;
    s.working_set = 100 * 1000;
    s.accesses = 7;
    run_ok("xmalloc", &s, REGION_DIRECTMAP, &r);
    assert_int_equal(r.lines, 1000);
    access_result_free(&r);
}

/* Nothing allocated is a failed run, said in one line; some allocated is
 * a run over what was, with the failures counted. */
static void failures_are_counted(void **state)
{
    struct access_setup s = small_setup();
    struct access_result r;
    char why[512];

    s.cfg.memory_bytes = 128 << 10;
    s.block = 1 << 20;
    assert_int_equal(access_run("xmalloc", &s, &r, why, sizeof why), -1);
    assert_non_null(strstr(why, "could be allocated"));

    s.cfg.memory_bytes = 256 << 10;
    s.block = 64 << 10;
    s.working_set = 4 * s.block;
    if (access_run("xmalloc", &s, &r, why, sizeof why) != 0)
        fail_msg("%s", why);
    assert_true(r.failed > 0 && r.blocks > 0);
    assert_int_equal(r.failed + r.blocks, 4);
    access_result_free(&r);
}

static json_t *get(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);

    if (!v)
        fail_msg("key '%s' missing", key);
    return v;
}

static int run_cmd(char **argv)
{
    int argc = 0;

    while (argv[argc])
        argc++;
    return cmd_access(argc, argv);
}

static void json_has_its_keys(void **state)
{
    char path[] = "/tmp/xheap-test-access-XXXXXX";
    char *argv[] = { "access", "--working-set", "1M", "--accesses", "20000",
                     "--repetitions", "2", "--memory", "64M", "--json", path,
                     NULL };
    json_error_t err;
    json_t *root, *runs, *cmp;
    int fd = mkstemp(path);

    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(run_cmd(argv), 0);
    root = json_load_file(path, 0, &err);
    if (!root)
        fail_msg("%s:%d: %s", path, err.line, err.text);
    assert_string_equal(json_string_value(get(root, "command")), "access");
    runs = get(root, "runs");
    assert_int_equal(json_array_size(runs), 2);
    for (size_t i = 0; i < 2; i++) {
        json_t *run = json_array_get(runs, i), *tlb;

        assert_true(json_is_string(get(run, "backend")));
        assert_true(json_real_value(get(run, "ns_per_access")) > 0);
        assert_true(json_real_value(get(run, "ns_per_access_min")) > 0);
        assert_true(json_real_value(get(run, "ns_per_access_max")) > 0);
        assert_int_equal(json_integer_value(get(run, "repetitions")), 2);
        tlb = get(run, "dtlb_misses_per_access");
        assert_true(json_is_null(tlb) || json_real_value(tlb) >= 0);
        assert_true(json_is_object(get(run, "counters")));
        assert_true(json_is_object(get(run, "counters_unsupported")));
        assert_true(json_integer_value(get(run, "blocks")) == 16);
        get(run, "pmd_mapped_bytes");
        get(run, "huge");
        get(run, "region");
    }
    assert_string_equal(json_string_value(get(json_array_get(runs, 0),
                                              "region")), "vmap");
    cmp = get(root, "comparison");
    assert_string_equal(json_string_value(get(cmp, "vmap")), "vmalloc");
    assert_string_equal(json_string_value(get(cmp, "directmap")), "xmalloc");
    assert_true(json_real_value(get(cmp, "ns_ratio")) > 0);
    assert_true(json_real_value(get(cmp, "ns_ratio_min")) > 0);
    get(cmp, "dtlb_misses_delta");
    assert_int_equal(json_integer_value(get(get(root, "config"), "block")),
                     64 << 10);
    assert_true(json_is_object(get(root, "machine")));
    json_decref(root);
    unlink(path);
}

static void bad_input_is_refused(void **state)
{
    static char *bad[][6] = {
        { "access", "--block", "32", NULL },
        { "access", "--working-set", "1K", NULL },
        { "access", "--pattern", "zigzag", NULL },
        { "access", "--accesses", "0", NULL },
        { "access", "--repetitions", "0", NULL },
        { "access", "--repetitions", "1001", NULL },
        { "access", "--backend", "nope", NULL },
        { "access", "--backend", "vmalloc,,xmalloc", NULL },
        { "access", "--backend", "jemalloc,xmalloc", NULL },
        { "access", "--counters", "a,,b", NULL },
        { "access", "--page-size", "8K", NULL },
        { "access", "--bogus", NULL },
        { "access", "stray", NULL },
    };

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(run_cmd(bad[i]), EXIT_USAGE);
}

static void help_works(void **state)
{
    char *argv[] = { "access", "--help", NULL };

    assert_int_equal(run_cmd(argv), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_region_runs),
        cmocka_unit_test(vmalloc_maps_each_page),
        cmocka_unit_test(pool_and_no_directmap),
        cmocka_unit_test(sequential_writes_and_page_sizes),
        cmocka_unit_test(odd_blocks_and_short_walks),
        cmocka_unit_test(failures_are_counted),
        cmocka_unit_test(json_has_its_keys),
        cmocka_unit_test(bad_input_is_refused),
        cmocka_unit_test(help_works),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
