/* Statistics for a handful of repetitions (see stats.h). */
#include "drivers/measure/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Binomial tails are dyadic fractions compared with a decimal level: allow
 * rounding so that a tail exactly at the limit still counts. */
#define TAIL_EPSILON 1e-12

static int cmp_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;

    return (a > b) - (a < b);
}

void stats_sort(double *x, size_t n)
{
    qsort(x, n, sizeof(*x), cmp_double);
}

static double *sorted_copy(const double *x, size_t n)
{
    double *c = n ? malloc(n * sizeof(*c)) : NULL;

    if (c) {
        memcpy(c, x, n * sizeof(*c));
        stats_sort(c, n);
    }
    return c;
}

double stats_quantile_sorted(const double *x, size_t n, double p)
{
    double h, frac;
    size_t lo;

    if (n == 0 || isnan(p))
        return NAN;
    p = p < 0 ? 0 : p > 1 ? 1 : p;
    h = (double)(n - 1) * p;
    lo = (size_t)h;
    frac = h - (double)lo;
    if (lo + 1 >= n)
        return x[n - 1];
    return x[lo] + frac * (x[lo + 1] - x[lo]);
}

double stats_quantile(const double *x, size_t n, double p)
{
    double *c = sorted_copy(x, n), q;

    if (!c)
        return NAN;
    q = stats_quantile_sorted(c, n, p);
    free(c);
    return q;
}

double stats_median(const double *x, size_t n)
{
    return stats_quantile(x, n, 0.5);
}

double stats_mean(const double *x, size_t n)
{
    double sum = 0;

    if (n == 0)
        return NAN;
    for (size_t i = 0; i < n; i++)
        sum += x[i];
    return sum / (double)n;
}

double stats_sd(const double *x, size_t n)
{
    double mean = stats_mean(x, n), ss = 0;

    if (n < 2)
        return n ? 0 : NAN;
    for (size_t i = 0; i < n; i++)
        ss += (x[i] - mean) * (x[i] - mean);
    return sqrt(ss / (double)(n - 1));
}

double stats_mad(const double *x, size_t n)
{
    double med = stats_median(x, n), mad;
    double *dev = n ? malloc(n * sizeof(*dev)) : NULL;

    if (!dev || isnan(med)) {
        free(dev);
        return NAN;
    }
    for (size_t i = 0; i < n; i++)
        dev[i] = fabs(x[i] - med);
    mad = stats_median(dev, n);
    free(dev);
    return mad;
}

double stats_min(const double *x, size_t n)
{
    double m = n ? x[0] : NAN;

    for (size_t i = 1; i < n; i++)
        if (x[i] < m)
            m = x[i];
    return m;
}

double stats_max(const double *x, size_t n)
{
    double m = n ? x[0] : NAN;

    for (size_t i = 1; i < n; i++)
        if (x[i] > m)
            m = x[i];
    return m;
}

int stats_summarize(const double *x, size_t n, struct stats_summary *out)
{
    double *c = sorted_copy(x, n);

    if (!c)
        return -1;
    out->n = n;
    out->min = c[0];
    out->max = c[n - 1];
    out->q1 = stats_quantile_sorted(c, n, 0.25);
    out->median = stats_quantile_sorted(c, n, 0.5);
    out->q3 = stats_quantile_sorted(c, n, 0.75);
    out->mean = stats_mean(c, n);
    out->sd = stats_sd(c, n);
    out->mad = stats_mad(c, n);
    free(c);
    return isnan(out->mad) ? -1 : 0;
}

/* P(K = k) for K ~ binomial(n, 1/2), through logarithms so that large n
 * neither overflows the coefficient nor underflows 2^-n. */
static double binom_half_pmf(size_t n, size_t k)
{
    return exp(lgamma((double)n + 1) - lgamma((double)k + 1) -
               lgamma((double)(n - k) + 1) - (double)n * M_LN2);
}

int stats_median_ci(const double *x, size_t n, double level,
                    struct stats_interval *out)
{
    double alpha = 1 - level, tail = 0, tail_used = 0;
    size_t l = 0;   /* the interval is [x(l), x(n+1-l)], 1-based */
    double *c;

    if (!(level > 0 && level < 1) || !(c = sorted_copy(x, n)))
        return -1;
    /* x(k+1) .. x(n-k) misses the median with probability 2 P(K <= k). */
    for (size_t k = 0; k < (n + 1) / 2; k++) {
        tail += binom_half_pmf(n, k);
        if (2 * tail > alpha + TAIL_EPSILON)
            break;
        l = k + 1;
        tail_used = tail;
    }
    if (l == 0) {   /* too few values for LEVEL: the widest there is */
        l = 1;
        tail_used = binom_half_pmf(n, 0);
    }
    out->estimate = stats_quantile_sorted(c, n, 0.5);
    out->lo = c[l - 1];
    out->hi = c[n - l];
    out->level = fmax(0, 1 - 2 * tail_used);
    free(c);
    return 0;
}

/* splitmix64: tiny, fast, and passes BigCrush; plenty for resampling. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [0, n): the high half of a 64 x 64-bit product (bias below
 * n / 2^64, nothing for samples of any real size). */
static size_t random_index(uint64_t *state, size_t n)
{
    return (size_t)(((unsigned __int128)next_random(state) * n) >> 64);
}

static double resampled_median(const double *x, size_t n, double *buf,
                               uint64_t *state)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = x[random_index(state, n)];
    stats_sort(buf, n);
    return stats_quantile_sorted(buf, n, 0.5);
}

static int boot_median(const double *a, size_t na, const double *b,
                       size_t nb, double level, unsigned resamples,
                       uint64_t seed, bool relative,
                       struct stats_interval *out)
{
    double ma = stats_median(a, na), mb = stats_median(b, nb), alpha;
    double *buf, *est;
    uint64_t state = seed;

    if (isnan(ma) || isnan(mb) || resamples == 0 || !(level > 0 && level < 1))
        return -1;
    if (relative && stats_min(a, na) <= 0)
        return -1;
    buf = malloc((na > nb ? na : nb) * sizeof(*buf));
    est = malloc(resamples * sizeof(*est));
    if (!buf || !est) {
        free(buf);
        free(est);
        return -1;
    }
    for (unsigned r = 0; r < resamples; r++) {
        double ra = resampled_median(a, na, buf, &state);
        double rb = resampled_median(b, nb, buf, &state);

        est[r] = relative ? rb / ra - 1 : rb - ra;
    }
    stats_sort(est, resamples);
    alpha = 1 - level;
    out->estimate = relative ? mb / ma - 1 : mb - ma;
    out->lo = stats_quantile_sorted(est, resamples, alpha / 2);
    out->hi = stats_quantile_sorted(est, resamples, 1 - alpha / 2);
    out->level = level;
    free(buf);
    free(est);
    return 0;
}

int stats_boot_median_diff(const double *a, size_t na,
                           const double *b, size_t nb, double level,
                           unsigned resamples, uint64_t seed,
                           struct stats_interval *out)
{
    return boot_median(a, na, b, nb, level, resamples, seed, false, out);
}

int stats_boot_median_rel(const double *a, size_t na,
                          const double *b, size_t nb, double level,
                          unsigned resamples, uint64_t seed,
                          struct stats_interval *out)
{
    return boot_median(a, na, b, nb, level, resamples, seed, true, out);
}

/* One value of the pooled sample, remembering where it came from. */
struct pooled {
    double v;
    bool in_a;
};

static int cmp_pooled(const void *pa, const void *pb)
{
    const struct pooled *a = pa, *b = pb;

    return (a->v > b->v) - (a->v < b->v);
}

/*
 * Mid-ranks of the pooled sample, doubled so that they are integers (a tie
 * over positions i..j has mid-rank (i + j) / 2). Fills rank2[] in pooled
 * order and returns the tie term sum(t^3 - t) over groups of size t.
 */
static double rank_pooled(struct pooled *p, size_t n, uint64_t *rank2)
{
    double ties = 0;

    qsort(p, n, sizeof(*p), cmp_pooled);
    for (size_t i = 0, j; i < n; i = j) {
        double t;

        for (j = i + 1; j < n && p[j].v == p[i].v; j++)
            ;
        for (size_t k = i; k < j; k++)
            rank2[k] = (i + 1) + j;   /* first + last position, 1-based */
        t = (double)(j - i);
        ties += t * t * t - t;
    }
    return ties;
}

/*
 * The exact two-sided p-value: count, over all ways to pick na of the n
 * pooled ranks, those whose doubled rank sum lies at least as far from its
 * mean as OBSERVED. count[k][s] is the number of k-subsets of the ranks
 * seen so far with doubled sum s (a knapsack over the ranks).
 */
static double mw_exact_p(const uint64_t *rank2, size_t n, size_t na,
                         uint64_t observed)
{
    size_t smax = n * (n + 1);   /* every doubled rank together */
    uint64_t *count = calloc((na + 1) * (smax + 1), sizeof(*count));
    uint64_t total = 0, extreme = 0;
    double mean2 = (double)na * (double)(n + 1), dist;

    if (!count)
        return NAN;
#define COUNT(k, s) count[(k) * (smax + 1) + (s)]
    COUNT(0, 0) = 1;
    for (size_t i = 0; i < n; i++)
        for (size_t k = (i + 1 < na ? i + 1 : na); k >= 1; k--)
            for (size_t s = smax; s >= rank2[i]; s--)
                COUNT(k, s) += COUNT(k - 1, s - rank2[i]);
    dist = fabs((double)observed - mean2);
    for (size_t s = 0; s <= smax; s++) {
        total += COUNT(na, s);
        if (fabs((double)s - mean2) >= dist)
            extreme += COUNT(na, s);
    }
#undef COUNT
    free(count);
    return (double)extreme / (double)total;
}

/* The normal approximation, tie-corrected, with continuity correction. */
static void mw_normal(double u, size_t na, size_t nb, double ties,
                      struct stats_mw *out)
{
    double n = (double)(na + nb), mu = (double)na * (double)nb / 2;
    double var = (double)na * (double)nb / 12 *
                 ((n + 1) - ties / (n * (n - 1)));
    double d = u - mu, corr = d > 0 ? 0.5 : d < 0 ? -0.5 : 0;

    if (var <= 0) {   /* every value equal: nothing to tell apart */
        out->z = 0;
        out->p = 1;
        return;
    }
    out->z = (d - corr) / sqrt(var);
    out->p = fmin(1, erfc(fabs(out->z) / M_SQRT2));
}

int stats_mann_whitney(const double *a, size_t na, const double *b, size_t nb,
                       struct stats_mw *out)
{
    size_t n = na + nb;
    struct pooled *p;
    uint64_t *rank2, sum_a2 = 0;
    double ties;

    if (na == 0 || nb == 0)
        return -1;
    p = malloc(n * sizeof(*p));
    rank2 = malloc(n * sizeof(*rank2));
    if (!p || !rank2) {
        free(p);
        free(rank2);
        return -1;
    }
    for (size_t i = 0; i < na; i++)
        p[i] = (struct pooled){ a[i], true };
    for (size_t i = 0; i < nb; i++)
        p[na + i] = (struct pooled){ b[i], false };
    ties = rank_pooled(p, n, rank2);
    for (size_t i = 0; i < n; i++)
        if (p[i].in_a)
            sum_a2 += rank2[i];
    out->u = (double)sum_a2 / 2 - (double)na * (double)(na + 1) / 2;
    out->exact = na <= STATS_MW_EXACT_MAX && nb <= STATS_MW_EXACT_MAX;
    if (out->exact) {
        out->z = 0;
        out->p = mw_exact_p(rank2, n, na, sum_a2);
    } else {
        mw_normal(out->u, na, nb, ties, out);
    }
    free(p);
    free(rank2);
    return isnan(out->p) ? -1 : 0;
}

double stats_geomean(const double *x, size_t n)
{
    double sum = 0;

    if (n == 0)
        return NAN;
    for (size_t i = 0; i < n; i++) {
        if (!(x[i] > 0))
            return NAN;
        sum += log(x[i]);
    }
    return exp(sum / (double)n);
}

double stats_geomean_ratio(const double *num, const double *den, size_t n,
                           size_t *used)
{
    double sum = 0;
    size_t k = 0;

    for (size_t i = 0; i < n; i++)
        if (num[i] > 0 && den[i] > 0 && isfinite(num[i] / den[i])) {
            sum += log(num[i] / den[i]);
            k++;
        }
    if (used)
        *used = k;
    return k ? exp(sum / (double)k) : NAN;
}

/* Student's t, 97.5% points for 1 .. 30 degrees of freedom. */
static const double t975_table[] = {
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
};
#define T975_DF_MAX 30
#define Z975 1.959964

/* Past the table t - z falls as 1/df: 2.001 at 60 (2.000 exact). */
static double t975_whole(unsigned df)
{
    if (df <= T975_DF_MAX)
        return t975_table[df - 1];
    return Z975 + (t975_table[T975_DF_MAX - 1] - Z975) * T975_DF_MAX / df;
}

double stats_t975(double df)
{
    double lo, frac;

    if (!(df >= 1))
        df = 1;
    if (df >= 1e6)
        return Z975;
    lo = floor(df);
    frac = df - lo;
    if (frac == 0)
        return t975_whole((unsigned)lo);
    /* between whole degrees of freedom, linear in 1/df */
    frac = (1 / lo - 1 / df) / (1 / lo - 1 / (lo + 1));
    return t975_whole((unsigned)lo) +
           frac * (t975_whole((unsigned)lo + 1) - t975_whole((unsigned)lo));
}

/* The mean and variance of log x over the positive values; how many. */
static size_t log_moments(const double *x, size_t n, double *mean,
                          double *var)
{
    double sum = 0, sq = 0;
    size_t k = 0;

    for (size_t i = 0; i < n; i++)
        if (x[i] > 0 && isfinite(x[i])) {
            sum += log(x[i]);
            k++;
        }
    *mean = k ? sum / (double)k : NAN;
    for (size_t i = 0; i < n; i++)
        if (x[i] > 0 && isfinite(x[i]))
            sq += (log(x[i]) - *mean) * (log(x[i]) - *mean);
    *var = k > 1 ? sq / (double)(k - 1) : NAN;
    return k;
}

int stats_welch_log_ratio(const double *a, size_t na, const double *b,
                          size_t nb, struct stats_interval *out)
{
    double ma, va, mb, vb, se2, df, half;
    size_t ka = log_moments(a, na, &ma, &va);
    size_t kb = log_moments(b, nb, &mb, &vb);

    out->level = STATS_LEVEL95;
    out->estimate = out->lo = out->hi = NAN;
    if (ka < 2 || kb < 2)
        return -1;
    out->estimate = exp(mb - ma);
    se2 = va / (double)ka + vb / (double)kb;
    if (se2 <= 0) {   /* every value the same on both sides */
        out->lo = out->hi = out->estimate;
        return 0;
    }
    /* Welch-Satterthwaite */
    df = se2 * se2 / (va * va / ((double)ka * ka * (double)(ka - 1)) +
                      vb * vb / ((double)kb * kb * (double)(kb - 1)));
    half = stats_t975(df) * sqrt(se2);
    out->lo = exp(mb - ma - half);
    out->hi = exp(mb - ma + half);
    return 0;
}
