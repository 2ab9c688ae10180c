/*
 * The latency histogram: buckets tile the values without gaps, are at most
 * 1/HIST_SUB of their values wide, and percentiles read back from them are
 * within that of the exact percentile of the recorded values.
 */
#include "tests/check.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/measure/histogram.h"

#define SAMPLES 200000
#define REL_ERROR (1.0 / HIST_SUB)   /* the promise of histogram.h */

static uint64_t rng_state = 12345;

static uint64_t rng(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return (x > y) - (x < y);
}

/* Every value lies in its bucket; buckets follow each other. */
static void check_value(uint64_t v)
{
    unsigned i = hist_index(v);
    uint64_t lo = hist_bucket_low(i), w = hist_bucket_width(i);

    assert_true(i < HIST_BUCKETS);
    if (i == HIST_BUCKETS - 1) {
        assert_true(v >= lo);
        return;
    }
    if (v < lo || v >= lo + w)
        fail_msg("value %llu in bucket %u = [%llu, %llu)",
                 (unsigned long long)v, i, (unsigned long long)lo,
                 (unsigned long long)(lo + w));
    if (lo >= 2 * HIST_SUB)
        assert_true((double)w / (double)lo <= REL_ERROR);
}

static void test_buckets(void **state)
{
    for (uint64_t v = 0; v < 100000; v++)
        check_value(v);
    for (int i = 0; i < 100000; i++)
        check_value(rng() >> (rng() % 64));
    for (unsigned i = 1; i < HIST_BUCKETS; i++)
        assert_int_equal(hist_bucket_low(i),
                         hist_bucket_low(i - 1) + hist_bucket_width(i - 1));
    assert_int_equal(hist_index(1ull << HIST_TOP_LOG2), HIST_BUCKETS - 1);
    assert_int_equal(hist_index(UINT64_MAX), HIST_BUCKETS - 1);
    assert_int_equal(hist_index((1ull << HIST_TOP_LOG2) - 1), HIST_BUCKETS - 2);
}

/* The exact nearest-rank percentile of sorted V. */
static uint64_t exact(const uint64_t *v, size_t n, double pct)
{
    size_t rank = (size_t)ceil(pct / 100 * (double)n);

    return v[(rank ? rank : 1) - 1];
}

static void check_percentiles(uint64_t *v, size_t n, const char *what)
{
    static const double pcts[] = { 1, 10, 50, 90, 99, 99.9, 99.99 };
    struct histogram *h = calloc(1, sizeof(*h));
    double sum = 0;

    assert_non_null(h);
    for (size_t i = 0; i < n; i++) {
        hist_record(h, v[i]);
        sum += (double)v[i];
    }
    qsort(v, n, sizeof(*v), cmp_u64);
    assert_int_equal(h->count, n);
    assert_int_equal(h->min, v[0]);
    assert_int_equal(h->max, v[n - 1]);
    assert_true(fabs(hist_mean(h) - sum / (double)n) <= 1e-6 * sum / n);
    assert_true(hist_percentile(h, 100) == (double)v[n - 1]);
    for (size_t k = 0; k < sizeof(pcts) / sizeof(pcts[0]); k++) {
        double want = (double)exact(v, n, pcts[k]);
        double got = hist_percentile(h, pcts[k]);

        if (fabs(got - want) > REL_ERROR / 2 * want + 0.5)
            fail_msg("%s: p%g is %.1f, want %.0f", what, pcts[k], got, want);
    }
    free(h);
}

static void test_percentiles(void **state)
{
    uint64_t *v = malloc(SAMPLES * sizeof(*v));

    assert_non_null(v);
    for (size_t i = 0; i < SAMPLES; i++)   /* uniform over a wide range */
        v[i] = 1 + rng() % 1000000;
    check_percentiles(v, SAMPLES, "uniform");
    for (size_t i = 0; i < SAMPLES; i++)   /* log-uniform: 1 .. 2^36 */
        v[i] = 1ull << (rng() % 36) | (rng() & 0xff);
    check_percentiles(v, SAMPLES, "log-uniform");
    for (size_t i = 0; i < SAMPLES; i++)   /* a fast path and a slow tail */
        v[i] = rng() % 1000 == 0 ? 100000 + rng() % 50000 : 40 + rng() % 8;
    check_percentiles(v, SAMPLES, "bimodal");
    for (size_t i = 0; i < SAMPLES; i++)   /* small exact values */
        v[i] = rng() % 100;
    check_percentiles(v, SAMPLES, "small");
    free(v);
}

static void test_edges(void **state)
{
    struct histogram *h = calloc(1, sizeof(*h));

    assert_non_null(h);
    assert_true(hist_percentile(h, 50) == 0);
    assert_true(hist_mean(h) == 0);
    hist_record(h, 777777);
    assert_true(hist_percentile(h, 50) == 777777);   /* clamped to min/max */
    assert_true(hist_percentile(h, 0.001) == 777777);
    hist_reset(h);
    hist_record(h, 1ull << 50);   /* beyond the buckets: max stays exact */
    hist_record(h, 5);
    assert_true(hist_percentile(h, 100) == (double)(1ull << 50));
    assert_true(hist_percentile(h, 50) == 5);
    assert_int_equal(h->min, 5);
    free(h);
}

/* Merging two histograms is recording both sets into one. */
static void test_merge(void **state)
{
    struct histogram *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
    struct histogram *both = calloc(1, sizeof(*both));

    assert_true(a && b && both);
    for (int i = 0; i < 10000; i++) {
        uint64_t x = rng() % 5000 + 100, y = rng() % 90000 + 7;

        hist_record(a, x);
        hist_record(b, y);
        hist_record(both, x);
        hist_record(both, y);
    }
    hist_merge(a, b);
    assert_memory_equal(a, both, sizeof(*a));
    hist_reset(b);
    hist_merge(a, b);   /* an empty one changes nothing */
    assert_memory_equal(a, both, sizeof(*a));
    free(a);
    free(b);
    free(both);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buckets),
        cmocka_unit_test(test_percentiles),
        cmocka_unit_test(test_edges),
        cmocka_unit_test(test_merge),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
