/*
 * Where the replay threads run: the machine's topology (hwloc), a plan
 * binding each replay thread and each flush peer to one logical CPU, a
 * barrier that starts them together, and the flush peers themselves.
 *
 * Pinning modes (thread i of N, P logical CPUs, i taken modulo P):
 *   compact  hwloc's logical order: the hyperthreads of core 0, then those
 *            of core 1, ..., package by package (as KMP_AFFINITY=compact);
 *   scatter  one thread per package in turn, then per core, and only then
 *            a core's second hyperthread (as KMP_AFFINITY=scatter);
 *   none     no binding; the kernel places the threads.
 * More replay threads than CPUs share CPUs; the plan says so in a note.
 *
 * Flush peers are threads of the same process that spin on a small buffer
 * of their own, each bound to a CPU that runs no replay thread when one is
 * left (another core first, then a free hyperthread, else sharing, noted;
 * a peer sharing a replay thread's CPU yields after every round).
 * While they run, the process's address space is live on their CPUs, so
 * every munmap or mprotect of a replay thread sends real TLB-shootdown
 * IPIs to them, as Xen's flushes reach every CPU.
 */
#ifndef XHEAP_THREADS_H
#define XHEAP_THREADS_H

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backends/lock.h"

enum pin_mode { PIN_NONE, PIN_COMPACT, PIN_SCATTER };

const char *pin_mode_name(enum pin_mode m);
int pin_mode_parse(const char *s, enum pin_mode *out);

/* One logical CPU (an hwloc PU) and where it sits; -1s when unbound. */
struct cpu_place {
    int pu;        /* OS index, as taskset and /proc/cpuinfo number CPUs */
    int core;      /* logical index of its core */
    int package;   /* logical index of its package */
};

#define PLAN_NOTES    4
#define PLAN_NOTE_LEN 200

/* The machine and every thread's place; needs no topology once made. */
struct thread_plan {
    enum pin_mode pin;
    unsigned packages, cores, pus;   /* those this process may use */
    unsigned n_replay, n_peers;
    struct cpu_place *replay, *peers;
    unsigned n_notes;
    char note[PLAN_NOTES][PLAN_NOTE_LEN];
};

struct topology;

/* hwloc's view of the CPUs this process may run on; NULL and WHY. */
struct topology *topology_load(char *why, size_t len);
void topology_free(struct topology *t);

/* 0, or -1 when out of memory. */
int  thread_plan_make(const struct topology *t, enum pin_mode pin,
                      unsigned threads, unsigned peers, struct thread_plan *p);
void thread_plan_free(struct thread_plan *p);
void thread_plan_note(struct thread_plan *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The CPUs the calling thread may run on (sched_getaffinity; the online
 * CPUs when that fails), at least 1: call it before binding. */
unsigned affinity_cpus(void);

/* Binds the calling thread to PLACE (nothing when unbound); -1 if refused. */
int topology_bind_self(struct topology *t, const struct cpu_place *place);

/* The calling thread's CPU set, to put back after a measurement. */
struct saved_binding;
struct saved_binding *binding_save(struct topology *t);
void binding_restore(struct topology *t, struct saved_binding *s);

/* ---- waiting --------------------------------------------------------- */

/* Spin briefly, then yield: replay threads may outnumber CPUs. The
 * engine's own waits always may; the model's locks only when they do
 * (backends/lock.h). */
static inline void spin_wait_step(unsigned *spins)
{
    if (++*spins < SPIN_BEFORE_YIELD)
        cpu_relax();
    else
        sched_yield();
}

/* How long a barrier's waiter yields before it sleeps: long enough for a
 * chunk's stragglers, short enough that idle threads do not crowd out
 * working ones when threads outnumber CPUs. */
#define YIELD_NS_BEFORE_SLEEP 200000u

/* All N threads leave spin_barrier_wait together (phase numbers). */
struct spin_barrier {
    unsigned n;
    unsigned arrived;
    unsigned phase;
    unsigned sleeping;     /* waiters asleep (or about to be) */
    unsigned wakes;        /* the futex sleepers wait on */
    unsigned rousing;      /* set by spin_barrier_rouse: do not sleep */
};

void spin_barrier_init(struct spin_barrier *b, unsigned n);
void spin_barrier_wait(struct spin_barrier *b);

/*
 * Wakes the barrier's sleepers and returns once they spin again, so that
 * the next opening starts every thread within a spin of the others, not
 * a scheduler wake-up apart. Called by the last to arrive, just before.
 */
void spin_barrier_rouse(struct spin_barrier *b);

/* ---- flush peers ----------------------------------------------------- */

struct flush_peers;

/* Starts P->n_peers peers at P->peers (none: NULL and no error). NULL with
 * WHY when a thread cannot be created. */
struct flush_peers *flush_peers_start(struct topology *t,
                                      const struct thread_plan *p,
                                      char *why, size_t len);
/* Stops and joins them; returns how many buffer rounds they made in all
 * (nonzero shows they ran), and how many could not be bound. */
uint64_t flush_peers_stop(struct flush_peers *fp, unsigned *unbound);

#endif
