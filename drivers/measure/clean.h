/*
 * Contaminated repetitions (measurement.md, "When a difference is real"):
 * a measured pass that lost its CPU to other work is slower for reasons
 * that are not the allocator's, so it is rerun and left out of every
 * interval, and the answer says how many were.
 *
 * Two witnesses, both taken by each replay thread around its timed loop
 * (not around the heap's creation and destruction, whose munmap of a large
 * model may yield without touching the time): the threads' CPU share
 * (their CPU clock over their wall clock: time off the CPU shows as a
 * share below 1) and their involuntary context switches (getrusage
 * RUSAGE_THREAD, ru_nivcsw: the scheduler gave the CPU to another task). A switch that cost less than the share can see is not
 * contamination: a timer tick or a kworker for a few microseconds moves a
 * pass of milliseconds by less than the resolution, and refusing it would
 * refuse every pass of a busy machine for nothing.
 */
#ifndef XHEAP_CLEAN_H
#define XHEAP_CLEAN_H

#include <stdbool.h>
#include <stdint.h>

/* Below this share a pass lost more than 2% of its time to other work:
 * more than the 1 ns or 5% Q1 is asked to resolve would allow. */
#define CLEAN_MIN_CPU_SHARE 0.98
/* A pass preempted this often lost the CPU whatever its share says (the
 * thread CPU clock is read outside the timed loop, so a short preemption
 * can hide in its rounding): more than one involuntary switch. */
#define CLEAN_MAX_PREEMPTIONS 1
/* Reruns of one repetition before it is kept, flagged and excluded: three
 * tries are enough on a quiet machine, and a busy one should not turn a
 * run into an hour. */
#define CLEAN_RERUNS 2

struct clean_mark {
    long nvcsw, nivcsw;
};

/* Before a timed loop: this thread's context switches so far. */
void clean_start(struct clean_mark *m);
/* After it: the switches it saw, voluntary and involuntary. */
void clean_stop(const struct clean_mark *m, uint64_t *nvcsw,
                uint64_t *nivcsw);
/* Whether a pass with this CPU share and these involuntary switches lost
 * the CPU (a share of 0 means it was not measured: not contaminated). */
bool clean_contaminated(double cpu_share, uint64_t nivcsw);

#endif
