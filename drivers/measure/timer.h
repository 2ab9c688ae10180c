/*
 * The clock around each timed allocator call.
 *
 * Where the TSC is invariant (x86 with constant_tsc and nonstop_tsc, and
 * rdtscp), a read is a few cycles: lfence; rdtsc; lfence before the call,
 * so the call cannot start early, and rdtscp; lfence after it, so it cannot
 * end late. Elsewhere (other CPUs, a TSC that stops or drifts) it is
 * clock_gettime(CLOCK_MONOTONIC), in nanoseconds.
 *
 * timer_init calibrates the tick length against CLOCK_MONOTONIC and the
 * cost of one start/stop pair (the median of back-to-back pairs), which the
 * replayer subtracts from every latency it records.
 */
#ifndef XHEAP_TIMER_H
#define XHEAP_TIMER_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/measure/clock.h"

enum timer_choice {
    TIMER_AUTO,         /* the TSC where invariant, else clock_gettime */
    TIMER_CLOCK,        /* clock_gettime, always */
};

struct timer_calibration {
    bool tsc;                 /* true: ticks are TSC cycles */
    bool tsc_invariant;       /* what /proc/cpuinfo says, whichever is used */
    double ns_per_tick;       /* 1 for clock_gettime */
    uint64_t overhead_ticks;  /* median cost of timer_start + timer_stop */
    double overhead_ns;
    double resolution_ns;     /* smallest step between two reads seen */
    char why_not_tsc[128];    /* "" when the TSC is used */
};

/* Read on every timed call; written once by timer_init, before threads. */
extern bool timer_tsc_on;

/* Chooses and calibrates (tens of milliseconds); fills *cal. */
void timer_init(enum timer_choice choice, struct timer_calibration *cal);

const char *timer_choice_name(enum timer_choice c);
int timer_choice_parse(const char *s, enum timer_choice *out);

static inline uint64_t timer_start(void)
{
#if defined(__x86_64__)
    if (timer_tsc_on) {
        uint32_t lo, hi;

        __asm__ __volatile__("lfence\n\trdtsc\n\tlfence"
                             : "=a"(lo), "=d"(hi) : : "memory");
        return (uint64_t)hi << 32 | lo;
    }
#endif
    return clock_ns();
}

static inline uint64_t timer_stop(void)
{
#if defined(__x86_64__)
    if (timer_tsc_on) {
        uint32_t lo, hi, aux;

        __asm__ __volatile__("rdtscp\n\tlfence"
                             : "=a"(lo), "=d"(hi), "=c"(aux) : : "memory");
        return (uint64_t)hi << 32 | lo;
    }
#endif
    return clock_ns();
}

#endif
