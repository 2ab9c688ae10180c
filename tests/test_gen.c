/*
 * xheap gen's workloads: deterministic, valid and closed traces of the
 * documented shapes, with threads and cross-thread frees where asked.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "tests/check.h"
#include "drivers/cli/cli.h"
#include "workloads/gen.h"
#include "workloads/trace.h"

#define PAGE 4096u
#define EVENTS 6000

/* A generated trace, as text and as the reader decoded it. */
struct gen_trace {
    char *text;
    size_t len;
    struct trace_event *ev;
    size_t n;
    struct gen_params p;
};

/* Options as "name=value" (or "name" for a flag), ended by NULL. */
static int gen_to(struct gen_trace *t, const char *workload, uint64_t seed,
                  uint64_t events, const char *const *opts, char *why,
                  size_t len)
{
    const struct gen_workload *w = gen_find(workload);
    FILE *f;

    assert_non_null(w);
    memset(t, 0, sizeof(*t));
    gen_params_defaults(&t->p);
    t->p.seed = seed;
    t->p.events = events;
    for (; opts && *opts; opts++) {
        const char *eq = strchr(*opts, '=');
        char name[32];

        snprintf(name, sizeof(name), "%.*s",
                 (int)(eq ? (size_t)(eq - *opts) : strlen(*opts)), *opts);
        if (strcmp(name, "threads") == 0)
            t->p.threads = (unsigned)atoi(eq + 1);
        else if (strcmp(name, "cross-free") == 0)
            t->p.cross_free = (unsigned)atoi(eq + 1);
        else if (strcmp(name, "page-size") == 0)
            t->p.page_size = strtoull(eq + 1, NULL, 10);
        else if (gen_set(&t->p, name, eq ? eq + 1 : NULL, why, len) != 0)
            return -1;
    }
    if (gen_check(w, &t->p, why, len) != 0)
        return -1;
    f = open_memstream(&t->text, &t->len);
    assert_non_null(f);
    assert_int_equal(gen_write(w, &t->p, f), 0);
    fclose(f);
    return 0;
}

/* Generates and decodes; fails the test on any reader error. */
static void gen(struct gen_trace *t, const char *workload, uint64_t seed,
                uint64_t events, const char *const *opts)
{
    struct trace_error err;
    struct trace_reader *r;
    size_t cap = 1024;
    char why[256];
    int rc;

    if (gen_to(t, workload, seed, events, opts, why, sizeof(why)) != 0)
        fail_msg("%s: %s", workload, why);
    r = trace_open_mem(workload, t->text, t->len, &err);
    assert_non_null(r);
    t->ev = malloc(cap * sizeof(*t->ev));
    while ((rc = trace_next(r, &t->ev[t->n], &err)) == 1)
        if (++t->n == cap)
            t->ev = realloc(t->ev, (cap *= 2) * sizeof(*t->ev));
    if (rc != 0)
        fail_msg("%s: %s", workload, err.msg);
    if (trace_live_count(r) != 0)
        fail_msg("%s: %zu ids live at the end", workload, trace_live_count(r));
    trace_close(r);
}

static void gen_free(struct gen_trace *t)
{
    free(t->text);
    free(t->ev);
}

static size_t count_op(const struct gen_trace *t, int op)
{
    size_t n = 0;

    for (size_t i = 0; i < t->n; i++)
        n += t->ev[i].op == op;
    return n;
}

/* Per workload: options that keep it small enough for EVENTS. */
struct case_ {
    const char *name;
    const char *opts[4];
    uint64_t min_events;   /* it must fill at least this many */
    bool random;           /* another seed gives another trace */
};

static const struct case_ cases[] = {
    { "pairs", { NULL }, EVENTS, false },
    { "pages", { "order=2", NULL }, EVENTS, false },
    { "churn", { NULL }, EVENTS, true },
    { "small", { NULL }, EVENTS - 1, true },
    { "odd-contig", { NULL }, EVENTS - 1, true },
    { "large", { NULL }, EVENTS - 1, true },
    { "mixed", { NULL }, EVENTS - 1, true },
    { "threshold", { NULL }, EVENTS - 1, true },
    { "aging", { "memory=8M", NULL }, EVENTS * 9 / 10, true },
    { "short-lived", { NULL }, EVENTS - 1, true },
    { "long-lived", { NULL }, EVENTS - 1, true },
    { "fix_size", { NULL }, EVENTS, false },
    { "full_fit", { "junk=1M", NULL }, EVENTS, false },
    { "long_busy_list", { "live=1000", NULL }, EVENTS, false },
    { "random_size", { NULL }, EVENTS, true },
    { "fix_align", { NULL }, EVENTS, false },
    { "random_size_align", { NULL }, EVENTS, true },
};

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

static void test_every_workload_has_a_case(void **state)
{
    size_t n;
    const struct gen_workload *w = gen_list(&n);

    assert_int_equal(n, N_CASES);
    for (size_t i = 0; i < n; i++) {
        size_t j = 0;

        while (j < N_CASES && strcmp(cases[j].name, w[i].name))
            j++;
        if (j == N_CASES)
            fail_msg("workload %s has no test case", w[i].name);
    }
}

static void test_deterministic(void **state)
{
    for (size_t i = 0; i < N_CASES; i++) {
        struct gen_trace a, b, c;

        gen(&a, cases[i].name, 42, EVENTS, cases[i].opts);
        gen(&b, cases[i].name, 42, EVENTS, cases[i].opts);
        gen(&c, cases[i].name, 43, EVENTS, cases[i].opts);
        assert_int_equal(a.len, b.len);
        assert_memory_equal(a.text, b.text, a.len);
        if (cases[i].random && a.len == c.len &&
            memcmp(a.text, c.text, a.len) == 0)
            fail_msg("%s: seed 43 gave seed 42's trace", cases[i].name);
        gen_free(&a);
        gen_free(&b);
        gen_free(&c);
    }
}

/* Valid (gen() checks), closed, and near the asked number of events. */
static void test_valid_and_sized(void **state)
{
    for (size_t i = 0; i < N_CASES; i++) {
        struct gen_trace t;

        gen(&t, cases[i].name, 7, EVENTS, cases[i].opts);
        if (t.n > EVENTS || t.n < cases[i].min_events)
            fail_msg("%s: %zu events for %d", cases[i].name, t.n, EVENTS);
        assert_int_equal(count_op(&t, 'a'), count_op(&t, 'f'));
        assert_true(count_op(&t, 'a') > 0);
        gen_free(&t);
    }
}

static void test_sizes_in_range(void **state)
{
    static const struct { const char *name; uint64_t lo, hi; int contig; }
    r[] = {
        { "small", 16, 2048, 0 },
        { "short-lived", 16, 2048, 0 },
        { "long-lived", 16, 2048, 0 },
        { "odd-contig", PAGE * 11 / 10, PAGE * 79 / 10, 1 },
        { "large", 2 * PAGE, 1024 * PAGE, 0 },
    };

    for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
        struct gen_trace t;
        uint64_t lo = UINT64_MAX, hi = 0;

        gen(&t, r[i].name, 3, EVENTS, NULL);
        for (size_t j = 0; j < t.n; j++) {
            if (t.ev[j].op != 'a')
                continue;
            lo = t.ev[j].size < lo ? t.ev[j].size : lo;
            hi = t.ev[j].size > hi ? t.ev[j].size : hi;
            assert_int_equal(!!(t.ev[j].flags & TRACE_CONTIG), r[i].contig);
        }
        if (lo < r[i].lo || hi > r[i].hi || hi < r[i].hi / 2 ||
            lo > 2 * r[i].lo)
            fail_msg("%s: sizes %llu .. %llu", r[i].name,
                     (unsigned long long)lo, (unsigned long long)hi);
        gen_free(&t);
    }
}

/* Sizes given in pages follow --page-size. */
static void test_sizes_scale_with_page_size(void **state)
{
    const char *opts[] = { "page-size=65536", NULL };
    struct gen_trace t;

    gen(&t, "fix_size", 1, 10, opts);
    assert_int_equal(t.ev[0].size, 3 * 65536);
    gen_free(&t);
    gen(&t, "odd-contig", 1, EVENTS, opts);
    for (size_t j = 0; j < t.n; j++)
        if (t.ev[j].op == 'a')
            assert_true(t.ev[j].size >= 65536 * 11 / 10 &&
                        t.ev[j].size <= 65536 * 79 / 10);
    gen_free(&t);
}

static void test_mixed_proportions(void **state)
{
    const char *opts[] = { "mix=small=50,odd-contig=25,large=25", NULL };
    struct gen_trace t;
    size_t n[3] = { 0 }, allocs;

    gen(&t, "mixed", 5, 20000, opts);
    for (size_t j = 0; j < t.n; j++) {
        const struct trace_event *e = &t.ev[j];

        if (e->op != 'a')
            continue;
        n[e->flags & TRACE_CONTIG ? 1 : e->size <= 2048 ? 0 : 2]++;
    }
    allocs = n[0] + n[1] + n[2];
    assert_true(n[0] > allocs * 45 / 100 && n[0] < allocs * 55 / 100);
    assert_true(n[1] > allocs * 20 / 100 && n[1] < allocs * 30 / 100);
    assert_true(n[2] > allocs * 20 / 100 && n[2] < allocs * 30 / 100);
    gen_free(&t);
}

static void test_threshold_covers_range(void **state)
{
    static const uint64_t pages[] = { 4096, 16384, 65536 };

    for (size_t i = 0; i < 3; i++) {
        char ps[32];
        const char *opts[] = { ps, NULL };
        struct gen_trace t;
        unsigned char seen[513] = { 0 };
        size_t distinct = 0;

        snprintf(ps, sizeof(ps), "page-size=%llu",
                 (unsigned long long)pages[i]);
        gen(&t, "threshold", 1, 2000, opts);
        for (size_t j = 0; j < t.n; j++) {
            if (t.ev[j].op != 'a')
                continue;
            assert_true(t.ev[j].size >= pages[i] - 256 &&
                        t.ev[j].size <= pages[i] + 256);
            distinct += !seen[t.ev[j].size - (pages[i] - 256)]++;
        }
        assert_int_equal(distinct, 513);
        gen_free(&t);
    }
}

/* Index of the a event of ID at or before J. */
static size_t alloc_of(const struct gen_trace *t, size_t j, uint64_t id)
{
    while (j-- > 0)
        if (t->ev[j].op == 'a' && t->ev[j].id == id)
            return j;
    fail_msg("no allocation of id %llu", (unsigned long long)id);
    return 0;
}

/* Lifetimes in allocations: short-lived stays within --life. */
static void test_lifetimes(void **state)
{
    const char *opts[] = { "life=4", NULL };
    struct gen_trace t;
    uint64_t sum = 0, frees = 0;

    gen(&t, "short-lived", 9, EVENTS, opts);
    for (size_t j = 0; j < t.n; j++) {
        size_t allocs = 0;

        if (t.ev[j].op != 'f')
            continue;
        for (size_t k = alloc_of(&t, j, t.ev[j].id) + 1; k < j; k++)
            allocs += t.ev[k].op == 'a';
        assert_true(allocs <= 4);
    }
    gen_free(&t);

    /* long-lived: the average block lives a good part of the trace. */
    gen(&t, "long-lived", 9, EVENTS, NULL);
    for (size_t j = 0; j < t.n; j++)
        if (t.ev[j].op == 'f') {
            sum += j - alloc_of(&t, j, t.ev[j].id);
            frees++;
        }
    assert_true(sum / frees > EVENTS / 3);
    gen_free(&t);
}

static void expect(const struct trace_event *e, int op, uint64_t id,
                   uint64_t size)
{
    if (e->op != op || e->id != id || (op == 'a' && e->size != size))
        fail_msg("want %c %llu %llu, got %c %llu %llu", op,
                 (unsigned long long)id, (unsigned long long)size, e->op,
                 (unsigned long long)e->id, (unsigned long long)e->size);
}

static void test_vmalloc_shapes(void **state)
{
    const char *junk[] = { "junk=64K", NULL }, *busy[] = { "live=20", NULL };
    struct gen_trace t;
    size_t j;

    gen(&t, "fix_size", 1, 100, NULL);
    for (j = 0; j < t.n; j += 2) {
        expect(&t.ev[j], 'a', j / 2 + 1, 3 * PAGE);
        expect(&t.ev[j + 1], 'f', j / 2 + 1, 0);
    }
    gen_free(&t);

    /* full_fit: 16 pairs of pages, the junk (even ids) freed, holes used. */
    gen(&t, "full_fit", 1, 200, junk);
    for (j = 0; j < 32; j++)
        expect(&t.ev[j], 'a', j + 1, PAGE);
    for (j = 0; j < 16; j++)
        expect(&t.ev[32 + j], 'f', 2 + 2 * j, 0);
    for (j = 48; j < t.n - 16; j += 2) {
        expect(&t.ev[j], 'a', t.ev[j].id, PAGE);
        expect(&t.ev[j + 1], 'f', t.ev[j].id, 0);
    }
    for (j = 0; j < 16; j++)
        expect(&t.ev[t.n - 16 + j], 'f', 1 + 2 * j, 0);
    assert_int_equal(t.n, 200);
    gen_free(&t);

    /* long_busy_list: 20 live pages, then 100 pages + 1 page come and go. */
    gen(&t, "long_busy_list", 1, 100, busy);
    for (j = 0; j < 20; j++)
        expect(&t.ev[j], 'a', j + 1, PAGE);
    for (j = 20; j < t.n - 20; j += 4) {
        expect(&t.ev[j], 'a', t.ev[j].id, 100 * PAGE);
        expect(&t.ev[j + 1], 'a', t.ev[j].id + 1, PAGE);
        expect(&t.ev[j + 2], 'f', t.ev[j].id, 0);
        expect(&t.ev[j + 3], 'f', t.ev[j].id + 1, 0);
    }
    assert_int_equal(t.n, 100);
    gen_free(&t);
}

static void test_vmalloc_random_shapes(void **state)
{
    struct gen_trace t;
    uint64_t lo = UINT64_MAX, hi = 0;
    unsigned align_max = 0;

    gen(&t, "random_size", 1, EVENTS, NULL);
    for (size_t j = 0; j < t.n; j += 2) {
        uint64_t s = t.ev[j].size;

        assert_int_equal(s % PAGE, 0);
        lo = s < lo ? s : lo;
        hi = s > hi ? s : hi;
    }
    assert_int_equal(lo, PAGE);
    assert_int_equal(hi, 100 * PAGE);
    gen_free(&t);

    gen(&t, "fix_align", 1, 10, NULL);
    assert_int_equal(t.ev[0].size, 5 * PAGE);
    assert_int_equal(1u << t.ev[0].align_log2, 8 * PAGE);
    assert_true(t.ev[0].flags & TRACE_ZERO);
    gen_free(&t);

    /* One random byte r: size (r % 10 + 1) pages, align 2^(r % 23). */
    gen(&t, "random_size_align", 1, EVENTS, NULL);
    for (size_t j = 0; j < t.n; j += 2) {
        const struct trace_event *e = &t.ev[j];
        uint64_t pages = e->size / PAGE;
        bool found = false;

        assert_true(e->flags & TRACE_ZERO);
        for (unsigned r = 0; r < 256 && !found; r++)
            found = r % 10 + 1 == pages && r % 23 == e->align_log2;
        assert_true(found);
        align_max = e->align_log2 > align_max ? e->align_log2 : align_max;
    }
    assert_int_equal(align_max, 22);   /* 1024 pages of 4K */
    gen_free(&t);
}

/* aging: the first probe comes after the fill and asks orders 0 .. K. */
static void test_aging(void **state)
{
    const char *opts[] = { "memory=4M", "fill=80", "free=50", NULL };
    const uint64_t target = 1024 * 80 / 100, orders = 11;  /* log2(1024) + 1 */
    struct gen_trace t;
    char why[256];
    uint64_t pages = 0, rounds = 0;
    size_t j = 0;

    gen(&t, "aging", 2, 4000, opts);
    for (; t.ev[j].op == 'a'; j++)   /* the fill, up to the first free */
        pages += (t.ev[j].size + PAGE - 1) / PAGE;
    assert_true(pages >= target);
    for (j = 0; j < t.n; j++) {
        const struct trace_event *e = &t.ev[j];

        if (e->op != 'a' || e->id < GEN_PROBE_ID_BASE)
            continue;
        assert_true(e->flags & TRACE_CONTIG);
        assert_int_equal(e->size, PAGE << ((e->id - GEN_PROBE_ID_BASE) % 100));
        expect(&t.ev[j + 1], 'f', e->id, 0);
        if (e->id == GEN_PROBE_ID(rounds, orders - 1))
            rounds++;
    }
    assert_true(rounds >= 2);
    gen_free(&t);

    /* Too few events to fill even once is an error that says how many. */
    assert_int_equal(gen_to(&t, "aging", 2, 100, opts, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "events"));
}

static void test_threads_and_cross_free(void **state)
{
    const char *opts[] = { "threads=4", "cross-free=50", NULL };
    const char *none[] = { "threads=4", NULL };
    struct gen_trace t;
    unsigned seen = 0;
    size_t cross = 0, frees = 0;

    gen(&t, "small", 1, EVENTS, opts);
    for (size_t j = 0; j < t.n; j++) {
        seen |= 1u << t.ev[j].thread;
        if (t.ev[j].op == 'f') {
            frees++;
            cross += t.ev[alloc_of(&t, j, t.ev[j].id)].thread !=
                     t.ev[j].thread;
        }
    }
    assert_int_equal(seen, 0xf);
    assert_true(cross > frees * 40 / 100 && cross < frees * 60 / 100);
    gen_free(&t);

    gen(&t, "churn", 1, EVENTS, none);
    for (size_t j = 0; j < t.n; j++)
        if (t.ev[j].op != 'a')
            assert_int_equal(t.ev[alloc_of(&t, j, t.ev[j].id)].thread,
                             t.ev[j].thread);
    gen_free(&t);
}

/* --threads relabels: the events are those of one thread, t= aside. */
static void test_threads_only_relabel(void **state)
{
    const char *opts[] = { "threads=8", "cross-free=30", NULL };
    struct gen_trace a, b;

    gen(&a, "mixed", 4, EVENTS, NULL);
    gen(&b, "mixed", 4, EVENTS, opts);
    assert_int_equal(a.n, b.n);
    for (size_t j = 0; j < a.n; j++) {
        assert_int_equal(a.ev[j].op, b.ev[j].op);
        assert_int_equal(a.ev[j].id, b.ev[j].id);
        assert_int_equal(a.ev[j].size, b.ev[j].size);
    }
    gen_free(&a);
    gen_free(&b);
}

/* Every workload fits a small --events with its defaults: those that need
 * many events (memory to fill, junk, a busy list) shrink them and say so
 * in a comment line; the user's own options are never shrunk. */
static void test_scales_with_events(void **state)
{
    static const uint64_t events[] = { 20000, 1000, 100 };
    static const struct { const char *name, *opt, *note; } big[] = {
        { "aging", "memory=1G", "# aging: --memory 1G shrunk to " },
        { "full_fit", "junk=32M", "# full_fit: --junk 32M shrunk to " },
        { "long_busy_list", "live=15000",
          "# long_busy_list: --live 15000 shrunk to " },
    };
    size_t n;
    const struct gen_workload *w = gen_list(&n);
    char why[256];

    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < sizeof events / sizeof events[0]; k++) {
            struct gen_trace t;

            gen(&t, w[i].name, 1, events[k], NULL);
            if (t.n > events[k] || count_op(&t, 'a') == 0)
                fail_msg("%s: %zu events for %" PRIu64, w[i].name, t.n,
                         events[k]);
            gen_free(&t);
        }
    for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
        const char *opts[] = { big[i].opt, NULL };
        struct gen_trace t;

        gen(&t, big[i].name, 1, 20000, NULL);
        if (!strstr(t.text, big[i].note))
            fail_msg("%s: no note '%s' in the trace", big[i].name,
                     big[i].note);
        gen_free(&t);
        assert_int_equal(gen_to(&t, big[i].name, 1, 20000, opts, why,
                                sizeof(why)), -1);
        assert_non_null(strstr(why, "events"));
    }
}

/* pairs of size 0 time nothing: refused with the reason. */
static void test_pairs_size_0(void **state)
{
    const char *zero[] = { "size=0", NULL };
    struct gen_trace t;
    char why[256];

    assert_int_equal(gen_to(&t, "pairs", 1, 100, zero, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "--size 0"));
}

static void test_bad_options(void **state)
{
    struct gen_trace t;
    char why[256];
    const char *min[] = { "min=16", NULL }, *pct[] = { "long=101", NULL };
    const char *size[] = { "max=3X", NULL }, *mix[] = { "mix=tiny=3", NULL };
    const char *cross[] = { "cross-free=10", NULL };
    const char *rng[] = { "min=4K", "max=1K", NULL };

    assert_int_equal(gen_to(&t, "fix_size", 1, 10, min, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "--min does not apply"));
    assert_int_equal(gen_to(&t, "small", 1, 10, pct, why, sizeof(why)), -1);
    assert_int_equal(gen_to(&t, "small", 1, 10, size, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "'3X'"));
    assert_int_equal(gen_to(&t, "mixed", 1, 10, mix, why, sizeof(why)), -1);
    assert_int_equal(gen_to(&t, "small", 1, 10, cross, why, sizeof(why)), -1);
    assert_int_equal(gen_to(&t, "small", 1, 10, rng, why, sizeof(why)), -1);
    assert_int_equal(gen_set(&t.p, "nosuch", "1", why, sizeof(why)), -1);
}

/* Fractional pages: "1.5p" is 1.5 pages, rounded down. */
static void test_page_units(void **state)
{
    const char *opts[] = { "size=1.5p", NULL };
    struct gen_trace t;

    gen(&t, "pairs", 1, 2, opts);
    assert_int_equal(t.ev[0].size, PAGE * 3 / 2);
    gen_free(&t);
}

static int run(int argc, char **argv)
{
    int rc = cmd_gen(argc, argv);

    fflush(stdout);
    return rc;
}

#define RUN(...) ({ char *argv_[] = { "gen", __VA_ARGS__, NULL }; \
    run((int)(sizeof(argv_) / sizeof(argv_[0])) - 1, argv_); })

static void test_command(void **state)
{
    FILE *saved = stdout;

    stdout = fopen("/dev/null", "w");
    assert_int_equal(RUN("--help"), 0);
    assert_int_equal(RUN("aging", "--help"), 0);
    assert_int_equal(RUN("random_size_align", "--page-size", "64K", "--help"),
                     0);
    fclose(stdout);
    stdout = saved;
    assert_int_equal(RUN("nosuch", "--help"), EXIT_USAGE);
    assert_int_equal(RUN("small", "--threads", "0"), EXIT_USAGE);
    assert_int_equal(RUN("small", "--threads", "1025"), EXIT_USAGE);
    assert_int_equal(RUN("small", "--cross-free", "101"), EXIT_USAGE);
    assert_int_equal(RUN("small", "--fill", "50"), EXIT_USAGE);
    assert_int_equal(RUN("small", "--life"), EXIT_USAGE);
    assert_int_equal(RUN("aging", "--events", "10"), EXIT_USAGE);
}

/* Output aimed at a device is written in place: renaming a temporary file
 * over it would turn the device into a regular file (as root, /dev/null).
 * The device is one this test makes in its own folder. */
static void test_output_to_a_device_stays_a_device(void **state)
{
    char dir[] = "/tmp/xheap-test-gen-XXXXXX", dev[64], tmp[80];
    struct stat st;

    if (geteuid() != 0) {
        print_message("skipped: mknod of a character device needs root\n");
        skip();
    }
    assert_non_null(mkdtemp(dir));
    snprintf(dev, sizeof(dev), "%s/null", dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", dev);
    assert_int_equal(mknod(dev, S_IFCHR | 0666, makedev(1, 3)), 0);
    assert_int_equal(RUN("threshold", "--events", "20", "--threads", "2",
                         "--cross-free", "100", "-o", dev), 0);
    assert_int_equal(stat(dev, &st), 0);
    assert_true(S_ISCHR(st.st_mode));
    assert_int_not_equal(access(tmp, F_OK), 0);
    assert_int_equal(unlink(dev), 0);
    assert_int_equal(rmdir(dir), 0);
}

/* SIGTERM, SIGINT and SIGHUP stop a generation of 2^63 events at once,
 * with exit status 1 and no file left, temporary or not. */
static void test_signals_stop_generation(void **state)
{
    static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
    char dir[] = "/tmp/xheap-test-gen-XXXXXX", path[64], tmp[80];

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/t", dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct timespec t0, t1;
        int status = 0, waited = 0;
        pid_t pid = fork();

        assert_true(pid >= 0);
        if (pid == 0) {
            freopen("/dev/null", "w", stderr);
            _exit(RUN("pairs", "--events", "9223372036854775807", "-o",
                      path));
        }
        nanosleep(&(struct timespec){ 0, 300 * 1000 * 1000 }, NULL);
        assert_int_equal(waitpid(pid, &status, WNOHANG), 0);  /* running */
        clock_gettime(CLOCK_MONOTONIC, &t0);
        kill(pid, sigs[i]);
        while (waitpid(pid, &status, WNOHANG) == 0 && waited++ < 200)
            nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (waited > 200) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            fail_msg("signal %d: still running after 2 s", sigs[i]);
        }
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 1);
        assert_int_not_equal(access(path, F_OK), 0);
        assert_int_not_equal(access(tmp, F_OK), 0);
    }
    assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_workload_has_a_case),
        cmocka_unit_test(test_output_to_a_device_stays_a_device),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_valid_and_sized),
        cmocka_unit_test(test_sizes_in_range),
        cmocka_unit_test(test_sizes_scale_with_page_size),
        cmocka_unit_test(test_mixed_proportions),
        cmocka_unit_test(test_threshold_covers_range),
        cmocka_unit_test(test_lifetimes),
        cmocka_unit_test(test_vmalloc_shapes),
        cmocka_unit_test(test_vmalloc_random_shapes),
        cmocka_unit_test(test_aging),
        cmocka_unit_test(test_threads_and_cross_free),
        cmocka_unit_test(test_threads_only_relabel),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_page_units),
        cmocka_unit_test(test_command),
        cmocka_unit_test(test_scales_with_events),
        cmocka_unit_test(test_pairs_size_0),
        cmocka_unit_test(test_signals_stop_generation),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
