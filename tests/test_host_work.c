/*
 * The host's mapping work follows the modelled flush rules, and the
 * replay's time in parts adds up (issue 10, items 1 and 4).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drivers/measure/replay.h"
#include "tests/check.h"
#include "tests/fixture.h"

#define PAGE 4096u
#define AREA 16u        /* pages per vmalloc */
#define ROUNDS 8u       /* vmalloc/vfree pairs */
#define LAZY_MAX 64u    /* pages pending before a lazy purge */

static char dir[] = "/tmp/xheap-host-work-XXXXXX";

/* ROUNDS vmalloc/vfree pairs of AREA pages under RULE: the host calls
 * made, by heap call, taken from the thread's tally (heap.h). */
static struct heap_host_time run_rule(enum flush_policy rule,
                                      struct heap_stats *st)
{
    struct heap_config cfg = test_config(PAGE);
    struct heap_host_time a, b, d;
    struct heap *h;

    cfg.flush = rule;
    cfg.lazy_max_pages = LAZY_MAX;
    h = open_heap("vmalloc", &cfg);
    heap_stats(h, st);
    heap_host_time(&a);
    for (unsigned i = 0; i < ROUNDS; i++) {
        void *p = heap_alloc(h, AREA * PAGE, 0, 0, NULL);

        assert_non_null(p);
        heap_free(h, p, AREA * PAGE);
    }
    heap_host_time(&b);
    memset(&d, 0, sizeof d);
    for (int o = 0; o < HEAP_OPS; o++) {
        d.op[o].ticks = b.op[o].ticks - a.op[o].ticks;
        for (int c = 0; c < HOST_CALL_KINDS; c++)
            d.op[o].calls[c] = b.op[o].calls[c] - a.op[o].calls[c];
    }
    {
        struct heap_stats before = *st;

        heap_stats(h, st);
        st->map_calls -= before.map_calls;
        st->unmap_calls -= before.unmap_calls;
        st->protect_calls -= before.protect_calls;
    }
    close_heap(h);
    return d;
}

/* x86: one host unmap per entry cleared; Arm: one per area; Linux lazy:
 * one mprotect per vfree, the unmaps batched at the purge (every
 * LAZY_MAX / AREA + 1 vfrees, one call per run of areas). */
static void rules_make_different_host_work(void **state)
{
    struct heap_stats st;
    struct heap_host_time x86 = run_rule(FLUSH_PER_PAGE, &st);
    uint64_t lazy_unmaps;

    assert_int_equal(x86.op[HEAP_OP_FREE].calls[HOST_UNMAP], ROUNDS * AREA);
    assert_int_equal(x86.op[HEAP_OP_ALLOC].calls[HOST_MAP], ROUNDS * AREA);
    assert_int_equal(x86.op[HEAP_OP_FREE].calls[HOST_PROTECT], 0);
    assert_int_equal(st.unmap_calls, ROUNDS * AREA);
    assert_int_equal(st.map_calls, ROUNDS * AREA);
    assert_true(x86.op[HEAP_OP_FREE].ticks > 0);

    struct heap_host_time arm = run_rule(FLUSH_PER_RANGE, &st);

    assert_int_equal(arm.op[HEAP_OP_FREE].calls[HOST_UNMAP], ROUNDS);
    assert_int_equal(st.unmap_calls, ROUNDS);
    assert_int_equal(arm.op[HEAP_OP_ALLOC].calls[HOST_MAP], ROUNDS * AREA);

    struct heap_host_time lazy = run_rule(FLUSH_LAZY, &st);

    lazy_unmaps = lazy.op[HEAP_OP_FREE].calls[HOST_UNMAP];
    assert_int_equal(lazy.op[HEAP_OP_FREE].calls[HOST_PROTECT], ROUNDS);
    assert_int_equal(st.protect_calls, ROUNDS);
    /* 5 vfrees pend 80 > 64 pages: one purge, its 5 areas a guard page
     * apart, so one host unmap; the other 3 still pend. */
    assert_int_equal(lazy_unmaps, ROUNDS / (LAZY_MAX / AREA + 1));
    assert_int_equal(st.unmap_calls, lazy_unmaps);
    assert_true(lazy_unmaps < ROUNDS);
}

/* A vfree'd area under the lazy rules is unreachable on the host at once:
 * its frames are back in the heap. */
static void lazy_vfree_clears_host_entries(void **state)
{
    struct heap_config cfg = test_config(PAGE);
    struct heap *h;
    unsigned char v;
    char *p;
    int fd[2];

    cfg.flush = FLUSH_LAZY;
    cfg.lazy_max_pages = LAZY_MAX;
    h = open_heap("vmalloc", &cfg);
    p = heap_alloc(h, AREA * PAGE, 0, 0, NULL);
    assert_non_null(p);
    p[0] = 1;
    heap_free(h, p, AREA * PAGE);
    /* write() reads the page through the kernel: EFAULT, not a crash. */
    assert_int_equal(pipe(fd), 0);
    assert_int_equal(write(fd[1], p, 1), -1);
    assert_int_equal(write(fd[1], &v, 1), 1);
    close(fd[0]);
    close(fd[1]);
    close_heap(h);
}

static const char *trace_path(char *buf, size_t len)
{
    FILE *f;

    snprintf(buf, len, "%s/t.trace", dir);
    f = fopen(buf, "w");
    assert_non_null(f);
    fputs("xheap-trace 1\n", f);
    for (unsigned i = 1; i <= 50; i++)
        fprintf(f, "a %u %u\na %u 100\nr %u %u\nf %u\nf %u\n", i, AREA * PAGE,
                1000 + i, 1000 + i, 3 * PAGE, i, 1000 + i);
    assert_int_equal(fclose(f), 0);
    return buf;
}

static int64_t geti(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);

    if (!json_is_integer(v))
        fail_msg("%s: not an integer", key);
    return json_integer_value(v);
}

/* time_parts: host_ns + model_ns == total_ns per call kind; the host calls
 * of the timed passes (and their heap_create's) are passes times the
 * mapping counts of one pass. */
static void time_parts_add_up(void **state)
{
    static const char *const kind[] = { "alloc", "free", "realloc" };
    struct replay_options o;
    struct replay_report r;
    struct heap_config cfg;
    char path[256];
    json_t *root, *tp, *map;
    int64_t passes, maps = 0, unmaps = 0, host = 0;

    heap_config_defaults(&cfg);
    cfg.memory_bytes = 256ull << 20;
    replay_options_defaults(&o);
    o.warmup = 0;
    o.repetitions = 2;
    o.counters = "none";
    assert_int_equal(replay_measure(&o, &cfg, "xvmalloc",
                                    trace_path(path, sizeof path), &r),
                     REPLAY_OK);
    root = replay_json(&r);
    tp = json_object_get(root, "time_parts");
    map = json_object_get(root, "mapping");
    assert_non_null(tp);
    assert_non_null(map);
    passes = geti(tp, "passes");
    assert_int_equal(passes, 2);
    for (int k = 0; k < 3; k++) {
        json_t *p = json_object_get(tp, kind[k]), *c;

        assert_non_null(p);
        assert_int_equal(geti(p, "host_ns") + geti(p, "model_ns"),
                         geti(p, "total_ns"));
        assert_true(geti(p, "host_ns") <= geti(p, "total_ns") + 1000);
        c = json_object_get(p, "host_calls");
        maps += geti(c, "map");
        unmaps += geti(c, "unmap");
        host += geti(p, "host_ns");
    }
    assert_true(host > 0);
    maps += geti(json_object_get(json_object_get(tp, "setup"), "host_calls"),
                 "map");
    assert_int_equal(maps, passes * geti(map, "map_calls"));
    assert_int_equal(unmaps, passes * geti(map, "unmap_calls"));
    assert_true(geti(map, "unmap_calls") > 0);
    /* The host's TLB flushes: counts by reason, or null and why not. */
    {
        json_t *tlb = json_object_get(root, "host_tlb_flushes");
        json_t *why = json_object_get(root, "host_tlb_flushes_why");

        if (json_is_object(tlb)) {
            assert_true(json_is_null(why));
            assert_true(json_is_integer(json_object_get(tlb,
                                                        "remote_shootdown")));
        } else {
            assert_true(json_is_null(tlb));
            assert_true(json_is_string(why) && json_string_length(why) > 0);
        }
    }
    json_decref(root);
    replay_report_free(&r);
    /* Batch timing times no call: no parts, said with null. */
    o.timing = TIMING_BATCH;
    assert_int_equal(replay_measure(&o, &cfg, "xvmalloc", path, &r),
                     REPLAY_OK);
    root = replay_json(&r);
    assert_true(json_is_null(json_object_get(root, "time_parts")));
    json_decref(root);
    replay_report_free(&r);
    unlink(path);
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
        cmocka_unit_test(rules_make_different_host_work),
        cmocka_unit_test(lazy_vfree_clears_host_entries),
        cmocka_unit_test(time_parts_add_up),
    };
    return cmocka_run_group_tests_name("host_work", tests, setup, teardown);
}
