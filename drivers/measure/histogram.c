/* Log-linear latency histograms (see histogram.h). */
#include "drivers/measure/histogram.h"

#include <math.h>
#include <string.h>

void hist_reset(struct histogram *h)
{
    memset(h, 0, sizeof(*h));
}

void hist_merge(struct histogram *into, const struct histogram *from)
{
    if (from->count == 0)
        return;
    if (into->count == 0 || from->min < into->min)
        into->min = from->min;
    if (from->max > into->max)
        into->max = from->max;
    into->count += from->count;
    into->sum += from->sum;
    for (unsigned i = 0; i < HIST_BUCKETS; i++)
        into->bucket[i] += from->bucket[i];
}

/* The inverse of hist_index: bucket I holds shift = I / HIST_SUB - 1 and a
 * mantissa of I - shift * HIST_SUB in [HIST_SUB, 2 * HIST_SUB). */
uint64_t hist_bucket_low(unsigned i)
{
    unsigned shift;

    if (i < 2 * HIST_SUB)
        return i;
    shift = i / HIST_SUB - 1;
    return (uint64_t)(i - shift * HIST_SUB) << shift;
}

uint64_t hist_bucket_width(unsigned i)
{
    return i < 2 * HIST_SUB ? 1 : 1ull << (i / HIST_SUB - 1);
}

double hist_bucket_mid(unsigned i)
{
    return (double)hist_bucket_low(i) +
           (double)(hist_bucket_width(i) - 1) / 2.0;
}

double hist_percentile(const struct histogram *h, double pct)
{
    uint64_t rank, seen = 0;
    double v;
    unsigned i;

    if (h->count == 0)
        return 0;
    rank = (uint64_t)ceil(pct / 100.0 * (double)h->count);
    if (rank < 1)
        rank = 1;
    if (rank >= h->count)
        return (double)h->max;
    for (i = 0; i < HIST_BUCKETS - 1; i++) {
        seen += h->bucket[i];
        if (seen >= rank)
            break;
    }
    v = hist_bucket_mid(i);
    if (v < (double)h->min)
        return (double)h->min;
    return v > (double)h->max ? (double)h->max : v;
}

double hist_mean(const struct histogram *h)
{
    return h->count ? (double)h->sum / (double)h->count : 0;
}
