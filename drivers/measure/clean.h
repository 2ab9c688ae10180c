/*
 * Contaminated repetitions (measurement.md, "When a difference is real"):
 * a measured pass that lost its CPU to other work is slower for reasons
 * that are not the allocator's, so it is rerun and left out of every
 * interval, and the answer says how many were.
 *
 * Two witnesses, taken by each replay thread around its timed loop (not
 * around the heap's creation and destruction): its CPU share (CPU clock
 * over wall clock, read right at the loop's edges) and the time it was
 * runnable but waiting for a CPU (the run_delay of
 * /proc/thread-self/schedstat, read a few system calls further out). A
 * pass lost the CPU when it was short of CPU (share below 0.98) for want
 * of one (waited more than 2% of the time). Decisions: the share alone
 * also falls when the measured path sleeps in the kernel by itself (no
 * directmap: unmaps wait for other CPUs, 0.07-0.15 on a quiet machine);
 * the wait alone also catches a preemption at the edge, outside the loop
 * (a pass at 26.7 ns/op, share 1.001, read a 0.91 wait share); and an
 * involuntary context switch alone (a tick, a kworker for microseconds)
 * moves a pass of milliseconds by less than the resolution. Where
 * schedstat is missing, the share and the involuntary switches (getrusage
 * RUSAGE_THREAD) stand in.
 */
#ifndef XHEAP_CLEAN_H
#define XHEAP_CLEAN_H

#include <stdbool.h>
#include <stdint.h>

/* A pass that waited for a CPU more than 2% of its time lost more than
 * Q1's 5% target leaves room for. */
#define CLEAN_MAX_WAIT_SHARE 0.02
/* Without schedstat: below this CPU share, or more involuntary switches
 * than this, the pass lost the CPU. */
#define CLEAN_MIN_CPU_SHARE   0.98
#define CLEAN_MAX_PREEMPTIONS 1
/* Reruns of one repetition before it is kept, flagged and excluded: three
 * tries are enough on a quiet machine, and a busy one should not turn a
 * run into an hour. */
#define CLEAN_RERUNS 2

/* What a thread saw over a stretch of time. */
struct clean_delta {
    uint64_t nvcsw, nivcsw;     /* context switches */
    uint64_t wait_ns;           /* runnable, waiting for a CPU */
    uint64_t window_ns;         /* from clean_start to clean_stop */
    bool wait_known;            /* schedstat was readable */
};

struct clean_mark {
    long nvcsw, nivcsw;
    uint64_t wait_ns, t_ns;
    bool wait_known;
};

/* Before: this thread's counts so far. */
void clean_start(struct clean_mark *m);
/* After: what changed since M, added to *D. */
void clean_stop(const struct clean_mark *m, struct clean_delta *d);

/* Whether a pass lost the CPU: D summed over its threads, CPU_SHARE their
 * CPU time over their wall time. */
bool clean_contaminated(const struct clean_delta *d, double cpu_share);
/* The share of D's window spent waiting for a CPU (a wait at its edges,
 * outside the timed loop, counts too: the pass is rerun rather than
 * trusted); -1 when unknown. */
double clean_wait_share(const struct clean_delta *d);

#endif
