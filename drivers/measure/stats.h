/*
 * Statistics for a handful of repetitions: robust summaries (median,
 * quantiles, MAD), distribution-free intervals, the Mann-Whitney U test and
 * geometric means of ratios. Plain C, no dependencies, deterministic: the
 * bootstrap draws from a seeded generator, so a results file always yields
 * the same interval.
 *
 * Conventions: samples are arrays of finite doubles, not necessarily
 * sorted and never modified. An empty sample gives NAN (value functions)
 * or -1 (functions filling a struct). Functions that must sort work on a
 * private copy; they return NAN / -1 when that copy cannot be allocated.
 */
#ifndef XHEAP_STATS_H
#define XHEAP_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STATS_LEVEL95        0.95
/* Resamples for the bootstrap: the 2.5% and 97.5% points of 2000 are
 * stable to well under the noise of 5-10 repetitions. */
#define STATS_BOOT_RESAMPLES 2000
#define STATS_BOOT_SEED      0x9e3779b97f4a7c15ull
/* The Mann-Whitney p-value is exact while both samples have at most this
 * many values. Beyond, the normal approximation: without ties it is within
 * 0.01 of the exact value from 11 values a side on; heavy ties (a handful
 * of distinct values) can move it by a few hundredths. */
#define STATS_MW_EXACT_MAX   10

/* Sorts X in place, ascending. */
void stats_sort(double *x, size_t n);

/*
 * The P-quantile (0 <= P <= 1) by linear interpolation between order
 * statistics: Hyndman and Fan's type 7, the default of R, NumPy and
 * Excel's PERCENTILE. The _sorted form needs X ascending and allocates
 * nothing.
 */
double stats_quantile_sorted(const double *x, size_t n, double p);
double stats_quantile(const double *x, size_t n, double p);
double stats_median(const double *x, size_t n);

double stats_mean(const double *x, size_t n);
/* Sample standard deviation (divisor n - 1); 0 for one value. */
double stats_sd(const double *x, size_t n);
/* Median absolute deviation from the median, unscaled (multiply by
 * STATS_MAD_TO_SD to estimate a normal distribution's sigma). */
double stats_mad(const double *x, size_t n);
#define STATS_MAD_TO_SD 1.4826
double stats_min(const double *x, size_t n);
double stats_max(const double *x, size_t n);

struct stats_summary {
    size_t n;
    double min, q1, median, q3, max;   /* type 7 quartiles */
    double mean, sd, mad;
};

int stats_summarize(const double *x, size_t n, struct stats_summary *out);

/*
 * An interval around an estimate. level is the coverage actually achieved,
 * which for the median interval can differ from the level asked for (see
 * stats_median_ci).
 */
struct stats_interval {
    double estimate, lo, hi, level;
};

/*
 * Distribution-free interval for the median of one sample: the order
 * statistics [x(l), x(n+1-l)] with the largest l whose binomial(n, 1/2)
 * coverage is at least LEVEL. Exact, no resampling. With too few values no
 * such l exists (n < 6 at 95%); the interval is then [min, max] and level
 * says its true coverage (93.75% for n = 5), which the caller must print.
 */
int stats_median_ci(const double *x, size_t n, double level,
                    struct stats_interval *out);

/*
 * Percentile bootstrap interval for median(B) - median(A) (the _diff form)
 * or median(B) / median(A) - 1 (the _rel form), from RESAMPLES resamples
 * of each sample drawn with the generator seeded by SEED. The estimate is
 * the difference of the observed medians. The _rel form returns -1 when
 * a value of A is not positive (a resampled median of A could be 0).
 */
int stats_boot_median_diff(const double *a, size_t na,
                           const double *b, size_t nb, double level,
                           unsigned resamples, uint64_t seed,
                           struct stats_interval *out);
int stats_boot_median_rel(const double *a, size_t na,
                          const double *b, size_t nb, double level,
                          unsigned resamples, uint64_t seed,
                          struct stats_interval *out);

/*
 * The Mann-Whitney U test (Wilcoxon rank-sum), two-sided: do A and B come
 * from the same distribution, against one being shifted? Ties get mid-
 * ranks. u is U of A: the number of pairs (a, b) with a > b, ties counting
 * one half; u / (na * nb) estimates P(A > B) (0.5: no shift).
 *
 * While both samples have at most STATS_MW_EXACT_MAX values the p-value is
 * exact: the permutation distribution of A's rank sum given the observed
 * ranks (ties included), and p is the probability of a rank sum at least
 * as far from its mean as the one observed. Beyond, the normal
 * approximation with the tie correction of the variance and a continuity
 * correction of 1/2; z is its statistic (0 when exact).
 */
struct stats_mw {
    double u, p, z;
    bool exact;
};

int stats_mann_whitney(const double *a, size_t na, const double *b, size_t nb,
                       struct stats_mw *out);

/* exp(mean(log x)); NAN unless every value is positive. */
double stats_geomean(const double *x, size_t n);

/*
 * The geometric mean of num[i] / den[i] over the pairs where both are
 * positive; *used (may be NULL) says how many. NAN when none is.
 */
double stats_geomean_ratio(const double *num, const double *den, size_t n,
                           size_t *used);

/* Student's t distribution's 97.5% point for DF degrees of freedom (a
 * fraction too, as Welch's are); 1.96 in the limit. */
double stats_t975(double df);

/*
 * B against A as the ratio of their geometric means, with Welch's 95%
 * interval on the difference of mean logs (unequal variances, each value
 * one process): the interval of a ratio of two unpaired samples of
 * positive times. -1 when a side has fewer than 2 positive values.
 */
int stats_welch_log_ratio(const double *a, size_t na, const double *b,
                          size_t nb, struct stats_interval *out);

#endif
