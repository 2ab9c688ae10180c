/*
 * Latency histograms with log-linear buckets, as HdrHistogram keeps them:
 * values below 2 * HIST_SUB are counted exactly; above, every power of two
 * is cut into HIST_SUB equal buckets, so a bucket is at most 1/HIST_SUB of
 * its values wide (1.6 %), and a percentile read back as the bucket's middle
 * is within half that (0.8 %) of the recorded value.
 *
 * Recording is one index computation and three additions: cheap enough to
 * sit beside every timed allocator call. Values are whatever unit the
 * caller records (timer ticks for the replayer); count, sum, min and max
 * are kept exactly.
 */
#ifndef XHEAP_HISTOGRAM_H
#define XHEAP_HISTOGRAM_H

#include <stdint.h>

#define HIST_SUB_BITS 6
#define HIST_SUB      (1u << HIST_SUB_BITS)
/* Values at or above 2^HIST_TOP_LOG2 share the last bucket (max is still
 * exact): 2^40 timer ticks are minutes, not an allocator call. */
#define HIST_TOP_LOG2 40
#define HIST_BUCKETS  ((HIST_TOP_LOG2 - HIST_SUB_BITS + 1) * HIST_SUB + 1)

struct histogram {
    uint64_t count, sum, min, max;
    uint64_t bucket[HIST_BUCKETS];
};

/*
 * The bucket of V: below 2 * HIST_SUB the value itself; above, with
 * shift = log2(V) - HIST_SUB_BITS, the top HIST_SUB_BITS + 1 bits of V
 * (64 .. 127) offset by shift * HIST_SUB, which makes the index continuous.
 */
static inline unsigned hist_index(uint64_t v)
{
    unsigned shift;

    if (v >= (1ull << HIST_TOP_LOG2))
        return HIST_BUCKETS - 1;
    if (v < 2 * HIST_SUB)
        return (unsigned)v;
    shift = 63 - (unsigned)__builtin_clzll(v) - HIST_SUB_BITS;
    return shift * HIST_SUB + (unsigned)(v >> shift);
}

static inline void hist_record(struct histogram *h, uint64_t v)
{
    h->bucket[hist_index(v)]++;
    h->count++;
    h->sum += v;
    if (v > h->max)
        h->max = v;
    if (v < h->min || h->count == 1)
        h->min = v;
}

void hist_reset(struct histogram *h);
void hist_merge(struct histogram *into, const struct histogram *from);

/* The smallest value of bucket I and the number of values it holds. */
uint64_t hist_bucket_low(unsigned i);
uint64_t hist_bucket_width(unsigned i);

/*
 * The value at percentile PCT (0 < PCT <= 100) by nearest rank: the middle
 * of the bucket holding the ceil(PCT / 100 * count)-th smallest value,
 * clamped to [min, max]. 0 for an empty histogram.
 */
double hist_percentile(const struct histogram *h, double pct);
double hist_mean(const struct histogram *h);

/* The representative value (middle) of bucket I, as percentiles use it. */
double hist_bucket_mid(unsigned i);

#endif
