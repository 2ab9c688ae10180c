/*
 * drivers/measure/stats.c against values known independently: textbook examples,
 * hand computations, and a brute-force enumeration of the Mann-Whitney
 * permutation distribution done here, separately from the library's
 * knapsack.
 */
#include "tests/check.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/measure/stats.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define EPS 1e-9

static void assert_near(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol))
        fail_msg("got %.12g, want %.12g (tolerance %g)", got, want, tol);
}

static void test_quantiles(void **state)
{
    const double x[] = { 7, 1, 10, 4, 2, 9, 3, 8, 5, 6 };   /* 1..10 shuffled */
    const double y[] = { 3.5 };
    double copy[N_OF(x)];

    memcpy(copy, x, sizeof(x));
    assert_near(stats_quantile(x, N_OF(x), 0.25), 3.25, EPS);
    assert_near(stats_quantile(x, N_OF(x), 0.5), 5.5, EPS);
    assert_near(stats_quantile(x, N_OF(x), 0.9), 9.1, EPS);
    assert_near(stats_quantile(x, N_OF(x), 0), 1, EPS);
    assert_near(stats_quantile(x, N_OF(x), 1), 10, EPS);
    assert_memory_equal(copy, x, sizeof(x));   /* input untouched */
    assert_near(stats_median(x, 9), 5, EPS);   /* odd count: the middle */
    assert_near(stats_median(y, 1), 3.5, EPS);
    assert_true(isnan(stats_median(x, 0)));
    assert_near(stats_min(x, N_OF(x)), 1, EPS);
    assert_near(stats_max(x, N_OF(x)), 10, EPS);
}

static void test_moments_and_mad(void **state)
{
    const double x[] = { 2, 4, 4, 4, 5, 5, 7, 9 };
    const double m[] = { 1, 1, 2, 2, 4, 6, 9 };   /* median 2, MAD 1 */
    struct stats_summary s;

    assert_near(stats_mean(x, N_OF(x)), 5, EPS);
    assert_near(stats_sd(x, N_OF(x)), sqrt(32.0 / 7), EPS);
    assert_near(stats_sd(x, 1), 0, EPS);
    assert_true(isnan(stats_sd(x, 0)));
    assert_near(stats_mad(m, N_OF(m)), 1, EPS);
    assert_int_equal(stats_summarize(m, N_OF(m), &s), 0);
    assert_int_equal(s.n, N_OF(m));
    assert_near(s.min, 1, EPS);
    assert_near(s.q1, 1.5, EPS);
    assert_near(s.median, 2, EPS);
    assert_near(s.q3, 5, EPS);
    assert_near(s.max, 9, EPS);
    assert_near(s.mean, 25.0 / 7, EPS);
    assert_near(s.mad, 1, EPS);
    assert_int_equal(stats_summarize(m, 0, &s), -1);
}

/* Order-statistic intervals: n = 20 gives x(6)..x(15) and n = 100 gives
 * x(40)..x(61), as in the published tables; coverage from the binomial. */
static void test_median_ci(void **state)
{
    static const struct {
        size_t n, l;
        double level;
    } cases[] = {
        { 1, 1, 0 }, { 5, 1, 0.9375 }, { 6, 1, 0.96875 },
        { 8, 1, 0.9921875 }, { 10, 2, 0.978515625 },
        { 20, 6, 0.9586105346679688 }, { 100, 40, 0.9647997997822952 },
    };
    double x[100];
    struct stats_interval ci;

    /* 1, 38, 75, 12 ...: 37 i mod 100 visits every value once, shuffled. */
    for (size_t i = 0; i < N_OF(x); i++)
        x[i] = (double)((i * 37) % 100) + 1;
    for (size_t i = 0; i < N_OF(cases); i++) {
        size_t n = cases[i].n;
        double sorted[100];

        memcpy(sorted, x, n * sizeof(double));
        stats_sort(sorted, n);
        assert_int_equal(stats_median_ci(x, n, STATS_LEVEL95, &ci), 0);
        assert_near(ci.lo, sorted[cases[i].l - 1], EPS);
        assert_near(ci.hi, sorted[n - cases[i].l], EPS);
        assert_near(ci.level, cases[i].level, 1e-12);
        assert_near(ci.estimate, stats_median(x, n), EPS);
    }
    assert_int_equal(stats_median_ci(x, 0, STATS_LEVEL95, &ci), -1);
    assert_int_equal(stats_median_ci(x, 10, 1.5, &ci), -1);
}

static void test_bootstrap(void **state)
{
    const double a[] = { 40.9, 41.2, 41.5, 40.8, 41.1, 41.0, 41.3 };
    const double b[] = { 45.1, 45.4, 44.9, 45.6, 45.2, 45.0, 45.3 };
    const double c[] = { 41.0, 41.4, 40.7, 41.2, 41.1, 40.9, 41.3 };
    const double k[] = { 5, 5, 5, 5, 5 };
    const double k2[] = { 7, 7, 7 };
    struct stats_interval ci, again, other_seed;

    assert_int_equal(stats_boot_median_diff(a, N_OF(a), b, N_OF(b), 0.95,
                                            STATS_BOOT_RESAMPLES,
                                            STATS_BOOT_SEED, &ci), 0);
    assert_near(ci.estimate, 45.2 - 41.1, EPS);
    assert_true(ci.lo <= ci.estimate && ci.estimate <= ci.hi);
    assert_true(ci.lo > 0);   /* disjoint samples: the interval excludes 0 */
    /* Resampled medians stay within the data: bounded by the extremes. */
    assert_true(ci.lo >= 44.9 - 41.5 - EPS && ci.hi <= 45.6 - 40.8 + EPS);
    assert_near(ci.level, 0.95, EPS);

    /* Deterministic for a seed, and the seed matters. */
    assert_int_equal(stats_boot_median_diff(a, N_OF(a), b, N_OF(b), 0.95,
                                            STATS_BOOT_RESAMPLES,
                                            STATS_BOOT_SEED, &again), 0);
    assert_memory_equal(&ci, &again, sizeof(ci));
    {
        double u[40], v[40];

        for (size_t i = 0; i < 40; i++) {
            u[i] = (double)((i * 17) % 40);
            v[i] = (double)((i * 23) % 40) + 0.5;
        }
        assert_int_equal(stats_boot_median_diff(u, 40, v, 40, 0.95,
                                                STATS_BOOT_RESAMPLES,
                                                STATS_BOOT_SEED, &again), 0);
        assert_int_equal(stats_boot_median_diff(u, 40, v, 40, 0.95,
                                                STATS_BOOT_RESAMPLES, 12345,
                                                &other_seed), 0);
        assert_true(other_seed.lo != again.lo || other_seed.hi != again.hi);
    }

    /* Interleaved samples: the interval contains 0. */
    assert_int_equal(stats_boot_median_diff(a, N_OF(a), c, N_OF(c), 0.95,
                                            STATS_BOOT_RESAMPLES,
                                            STATS_BOOT_SEED, &ci), 0);
    assert_true(ci.lo < 0 && ci.hi > 0);

    /* Constant samples: every resample agrees. */
    assert_int_equal(stats_boot_median_diff(k, N_OF(k), k2, N_OF(k2), 0.95,
                                            100, 1, &ci), 0);
    assert_near(ci.lo, 2, EPS);
    assert_near(ci.hi, 2, EPS);
    assert_int_equal(stats_boot_median_rel(k, N_OF(k), k2, N_OF(k2), 0.95,
                                           100, 1, &ci), 0);
    assert_near(ci.estimate, 0.4, EPS);
    assert_near(ci.lo, 0.4, EPS);

    /* Relative change is undefined when A can have a zero median. */
    {
        const double z[] = { 0, 1, 2 };

        assert_int_equal(stats_boot_median_rel(z, N_OF(z), k, N_OF(k), 0.95,
                                               100, 1, &ci), -1);
    }
    assert_int_equal(stats_boot_median_diff(a, 0, b, N_OF(b), 0.95, 100, 1,
                                            &ci), -1);
}

/* ---- Mann-Whitney ---- */

/* The brute force: every way to choose which na of the pooled values are
 * "A", with the mid-ranks of the pool, enumerated by bitmask. */
static double brute_rank(const double *pool, size_t n, size_t i)
{
    size_t below = 0, equal = 0;

    for (size_t j = 0; j < n; j++) {
        below += pool[j] < pool[i];
        equal += pool[j] == pool[i];
    }
    return (double)below + ((double)equal + 1) / 2;
}

static double brute_exact_p(const double *a, size_t na, const double *b,
                            size_t nb)
{
    double pool[20], rank[20], observed = 0, mean, hits = 0, total = 0;
    size_t n = na + nb;

    memcpy(pool, a, na * sizeof(double));
    memcpy(pool + na, b, nb * sizeof(double));
    for (size_t i = 0; i < n; i++)
        rank[i] = brute_rank(pool, n, i);
    for (size_t i = 0; i < na; i++)
        observed += rank[i];
    mean = (double)na * (double)(n + 1) / 2;
    for (unsigned mask = 0; mask < (1u << n); mask++) {
        double sum = 0;

        if ((size_t)__builtin_popcount(mask) != na)
            continue;
        for (size_t i = 0; i < n; i++)
            if (mask & (1u << i))
                sum += rank[i];
        total++;
        hits += fabs(sum - mean) >= fabs(observed - mean) - EPS;
    }
    return hits / total;
}

/* U by its definition: pairs with a > b, ties one half. */
static double brute_u(const double *a, size_t na, const double *b, size_t nb)
{
    double u = 0;

    for (size_t i = 0; i < na; i++)
        for (size_t j = 0; j < nb; j++)
            u += a[i] > b[j] ? 1 : a[i] == b[j] ? 0.5 : 0;
    return u;
}

static void check_mw(const double *a, size_t na, const double *b, size_t nb,
                     double u, double p, bool exact)
{
    struct stats_mw mw;

    assert_int_equal(stats_mann_whitney(a, na, b, nb, &mw), 0);
    assert_near(mw.u, u, EPS);
    assert_near(mw.u, brute_u(a, na, b, nb), EPS);
    assert_near(mw.p, p, 1e-9);
    assert_int_equal(mw.exact, exact);
    if (exact)
        assert_near(mw.p, brute_exact_p(a, na, b, nb), 1e-12);
}

static void test_mann_whitney_exact(void **state)
{
    const double lo[] = { 1, 2, 3, 4, 5 }, hi[] = { 6, 7, 8, 9, 10 };
    /* SciPy's documented example: U = 17, p = 1/9 exactly. */
    const double males[] = { 19, 22, 16, 29, 24 };
    const double females[] = { 20, 11, 17, 12 };
    const double ta[] = { 1, 2, 2, 3, 3, 3, 4 }, tb[] = { 2, 3, 4, 4, 5, 5 };
    const double same[] = { 10, 10, 10 };

    /* Complete separation: 2 / C(10, 5). */
    check_mw(lo, 5, hi, 5, 0, 2.0 / 252, true);
    check_mw(hi, 5, lo, 5, 25, 2.0 / 252, true);
    check_mw(males, 5, females, 4, 17, 1.0 / 9, true);
    /* Ties: the exact conditional distribution (0.0745920745..). */
    check_mw(ta, N_OF(ta), tb, N_OF(tb), 8.5, 0.07459207459207459, true);
    check_mw(same, 3, same, 3, 4.5, 1, true);
    check_mw(lo, 1, hi, 1, 0, 1, true);
}

/* Random small samples with many ties against the brute force. */
static void test_mann_whitney_exact_random(void **state)
{
    uint64_t seed = 42;

    for (int round = 0; round < 200; round++) {
        double a[10], b[10];
        size_t na, nb;

        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        na = 1 + (seed >> 33) % 8;
        nb = 1 + (seed >> 45) % 8;
        for (size_t i = 0; i < na + nb; i++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            (i < na ? a : b)[i < na ? i : i - na] = (double)((seed >> 40) % 6);
        }
        check_mw(a, na, b, nb, brute_u(a, na, b, nb),
                 brute_exact_p(a, na, b, nb), true);
    }
}

static void test_mann_whitney_normal(void **state)
{
    const double a[] = { 12, 15, 11, 14, 18, 13, 15, 16, 12, 17, 14, 13 };
    const double b[] = { 16, 19, 15, 18, 20, 17, 21, 16, 19, 22, 18, 15,
                         20, 17, 23 };
    const double c[] = { 3.1, 2.9, 3.3, 3.0, 3.2, 3.4, 2.8, 3.1, 3.0, 3.2,
                         3.3 };
    const double d[] = { 3.0, 3.1, 2.9, 3.2, 3.1, 3.0, 3.3, 2.9, 3.1, 3.0,
                         3.2, 3.1 };
    const double k[] = { 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4 };
    struct stats_mw mw;

    /*
     * By hand: mu = na nb / 2, sigma^2 = na nb / 12 ((N + 1) -
     * sum(t^3 - t) / (N (N - 1))), z = (U - mu -+ 1/2) / sigma,
     * p = erfc(|z| / sqrt 2).
     */
    check_mw(a, N_OF(a), b, N_OF(b), 17, 0.0003818695084474915, false);
    assert_int_equal(stats_mann_whitney(a, N_OF(a), b, N_OF(b), &mw), 0);
    assert_near(mw.z, -3.552306677800871, 1e-9);
    check_mw(c, N_OF(c), d, N_OF(d), 77, 0.510403707363258, false);
    assert_int_equal(stats_mann_whitney(c, N_OF(c), d, N_OF(d), &mw), 0);
    assert_near(mw.z, 0.6582092102276436, 1e-9);
    /* All equal: no variance, p = 1. */
    check_mw(k, N_OF(k), k, N_OF(k), 72, 1, false);
    assert_int_equal(stats_mann_whitney(a, 0, b, N_OF(b), &mw), -1);
}

static void test_geomean(void **state)
{
    const double x[] = { 1, 4, 16 };
    const double num[] = { 2, 8, 0, 5 }, den[] = { 1, 2, 3, -1 };
    const double bad[] = { 1, 0 };
    size_t used;

    assert_near(stats_geomean(x, N_OF(x)), 4, EPS);
    assert_true(isnan(stats_geomean(bad, N_OF(bad))));
    assert_true(isnan(stats_geomean(x, 0)));
    assert_near(stats_geomean_ratio(num, den, N_OF(num), &used), sqrt(8), EPS);
    assert_int_equal(used, 2);
    assert_true(isnan(stats_geomean_ratio(num + 2, den + 2, 2, &used)));
    assert_int_equal(used, 0);
}

static void test_t975(void **state)
{
    (void)state;
    assert_near(stats_t975(4), 2.776, 1e-9);
    assert_near(stats_t975(30), 2.042, 1e-9);
    assert_near(stats_t975(60), 2.000, 0.002);    /* 2.0003 exact */
    assert_near(stats_t975(120), 1.980, 0.002);   /* 1.9799 exact */
    assert_near(stats_t975(1e9), 1.96, 0.001);
    assert_true(stats_t975(4.5) < 2.776 && stats_t975(4.5) > 2.571);
    assert_near(stats_t975(0.2), 12.706, 1e-9);   /* below 1: as 1 */
}

/*
 * logs of A: 0, +-0.1, +-0.2 (mean 0, variance 0.025); of B the same plus
 * 1. So the ratio is e, the standard error sqrt(2 * 0.025 / 5) = 0.1 and
 * Welch's degrees of freedom 8 (t = 2.306): e^(1 +- 0.2306).
 */
static void test_welch_log_ratio(void **state)
{
    const double la[] = { 0, 0.1, -0.1, 0.2, -0.2 };
    double a[5], b[5], same[3] = { 7, 7, 7 };
    struct stats_interval ci;

    (void)state;
    for (size_t i = 0; i < 5; i++) {
        a[i] = exp(la[i]);
        b[i] = exp(la[i] + 1);
    }
    assert_int_equal(stats_welch_log_ratio(a, 5, b, 5, &ci), 0);
    assert_near(ci.estimate, exp(1), 1e-9);
    assert_near(ci.lo, exp(1 - 2.306 * 0.1), 1e-6);
    assert_near(ci.hi, exp(1 + 2.306 * 0.1), 1e-6);
    /* no spread on either side: the interval is the ratio itself */
    assert_int_equal(stats_welch_log_ratio(same, 3, same, 3, &ci), 0);
    assert_near(ci.lo, 1, 1e-12);
    assert_near(ci.hi, 1, 1e-12);
    /* one value a side is no interval */
    assert_int_equal(stats_welch_log_ratio(a, 1, b, 5, &ci), -1);
    assert_true(isnan(ci.estimate));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quantiles),
        cmocka_unit_test(test_moments_and_mad),
        cmocka_unit_test(test_median_ci),
        cmocka_unit_test(test_bootstrap),
        cmocka_unit_test(test_mann_whitney_exact),
        cmocka_unit_test(test_mann_whitney_exact_random),
        cmocka_unit_test(test_mann_whitney_normal),
        cmocka_unit_test(test_geomean),
        cmocka_unit_test(test_t975),
        cmocka_unit_test(test_welch_log_ratio),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
