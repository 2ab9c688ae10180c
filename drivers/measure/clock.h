/*
 * The clocks every room reads, in one place: CLOCK_MONOTONIC for elapsed
 * time (timeouts, batch timing, calibration) and the calling thread's CPU
 * time. The per-call timer (timer.h) builds on clock_ns where the TSC is
 * not used. Header only: each read is one clock_gettime.
 */
#ifndef XHEAP_CLOCK_H
#define XHEAP_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t clock_read_ns(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* CLOCK_MONOTONIC in nanoseconds. */
static inline uint64_t clock_ns(void)
{
    return clock_read_ns(CLOCK_MONOTONIC);
}

/* CLOCK_MONOTONIC in seconds: deadlines and elapsed times people read. */
static inline double clock_s(void)
{
    return (double)clock_ns() * 1e-9;
}

/* CPU time of the calling thread in nanoseconds. */
static inline uint64_t clock_thread_ns(void)
{
    return clock_read_ns(CLOCK_THREAD_CPUTIME_ID);
}

#endif
