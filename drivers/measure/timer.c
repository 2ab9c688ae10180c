/* Choosing and calibrating the per-call timer (see timer.h). */
#include "drivers/measure/timer.h"
#include "drivers/measure/host.h"
#include "drivers/measure/stats.h"
#include "backends/names.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Tick length: the TSC against CLOCK_MONOTONIC over CALIBRATE_NS, taken
 * CALIBRATE_ROUNDS times; the median round wins. 10 ms gives parts per
 * million, far below the noise of any one allocator call. */
#define CALIBRATE_NS     10000000u
#define CALIBRATE_ROUNDS 3
#define PAIR_TRIES       16

/* Back-to-back start/stop pairs whose median is the timer's own cost. */
#define OVERHEAD_SAMPLES 10001

bool timer_tsc_on;

static const char *const choice_names[] = {
    [TIMER_AUTO] = "auto", [TIMER_CLOCK] = "clock",
};

const char *timer_choice_name(enum timer_choice c)
{
    return names_of(choice_names, NAMES_COUNT(choice_names), c);
}

int timer_choice_parse(const char *s, enum timer_choice *out)
{
    return NAMES_PARSE(choice_names, s, out);
}

/* The TSC is usable when it ticks at one rate (constant_tsc), through
 * idle states (nonstop_tsc), and rdtscp exists. Fills WHY otherwise. */
static bool tsc_invariant(char *why, size_t len)
{
#if defined(__x86_64__)
    static const char *const need[] = { "constant_tsc", "nonstop_tsc",
                                        "rdtscp" };

    for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
        int has = host_cpu_flag(need[i]);

        if (has == 1)
            continue;
        if (has == -1)
            snprintf(why, len, "cannot read " HOST_CPUINFO);
        else if (has == -2)
            snprintf(why, len, HOST_CPUINFO " has no flags line");
        else
            snprintf(why, len, "the CPU lacks %s", need[i]);
        return false;
    }
    return true;
#else
    snprintf(why, len, "not an x86-64 CPU");
    return false;
#endif
}

/* Both clocks at one instant: of a few tries, the TSC reads that sit
 * closest around a clock read, whose middle is then that read's tick. */
static void both_clocks(double *tick, uint64_t *ns)
{
    uint64_t best = UINT64_MAX;

    for (int i = 0; i < PAIR_TRIES; i++) {
        uint64_t a = timer_start(), c = clock_ns(), b = timer_start();

        if (b - a < best) {
            best = b - a;
            *tick = ((double)a + (double)b) / 2;
            *ns = c;
        }
    }
}

/* Nanoseconds per tick: both clocks at the start and the end of a busy
 * wait; a preemption inside both_clocks cannot skew it (closest pair). */
static double calibrate_tick(void)
{
    double ratio[CALIBRATE_ROUNDS];

    for (int r = 0; r < CALIBRATE_ROUNDS; r++) {
        double t0, t1;
        uint64_t c0, c1;

        both_clocks(&t0, &c0);
        do
            both_clocks(&t1, &c1);
        while (c1 - c0 < CALIBRATE_NS);
        ratio[r] = (double)(c1 - c0) / (t1 - t0);
    }
    return stats_median(ratio, CALIBRATE_ROUNDS);
}

static uint64_t calibrate_overhead(void)
{
    double *d = malloc(OVERHEAD_SAMPLES * sizeof(*d));
    double med;

    if (!d)
        return 0;
    for (int i = 0; i < OVERHEAD_SAMPLES; i++) {
        uint64_t t0 = timer_start();

        d[i] = (double)(timer_stop() - t0);   /* exact: far below 2^53 */
    }
    med = stats_median(d, OVERHEAD_SAMPLES);   /* odd: one of the samples */
    free(d);
    return isnan(med) ? 0 : (uint64_t)med;
}

/* The smallest nonzero step between consecutive reads: a virtual
 * machine's TSC may advance in steps of many cycles. */
static uint64_t resolution(void)
{
    uint64_t best = UINT64_MAX, prev = timer_start();

    for (int i = 0; i < OVERHEAD_SAMPLES; i++) {
        uint64_t now = timer_start();

        if (now > prev && now - prev < best)
            best = now - prev;
        prev = now;
    }
    return best == UINT64_MAX ? 0 : best;
}

void timer_init(enum timer_choice choice, struct timer_calibration *cal)
{
    memset(cal, 0, sizeof(*cal));
    cal->tsc_invariant = tsc_invariant(cal->why_not_tsc,
                                       sizeof(cal->why_not_tsc));
    cal->tsc = cal->tsc_invariant && choice == TIMER_AUTO;
    if (cal->tsc_invariant && !cal->tsc)
        snprintf(cal->why_not_tsc, sizeof(cal->why_not_tsc),
                 "asked for by --timer clock");
    timer_tsc_on = cal->tsc;
    cal->ns_per_tick = cal->tsc ? calibrate_tick() : 1.0;
    cal->overhead_ticks = calibrate_overhead();
    cal->overhead_ns = (double)cal->overhead_ticks * cal->ns_per_tick;
    cal->resolution_ns = (double)resolution() * cal->ns_per_tick;
}
