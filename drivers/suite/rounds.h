/*
 * How the suite schedules what an answer compares (measurement.md, "When a
 * difference is real"):
 *
 * - The instrument's resolution, first: the null backend against itself
 *   plus a known spin of 0.5, 1, 2 and 5 ns per event, alternated in one
 *   child (alternate.h). The smallest delay whose interval excludes 0 is
 *   the resolution of this run; an answer whose difference is smaller says
 *   "not resolvable here".
 * - Two models an answer compares run in one child, alternating round by
 *   round, until the interval of their paired difference is as narrow as
 *   the question asks or the experiment's budget is spent. Q1 compares two
 *   backends (xvmalloc against xmalloc: 1 ns or 5%, the larger); Q6 and
 *   Q7 one backend under two or three models (16K and 64K pages against
 *   4K, no directmap against one: each ratio's interval within 5% of it),
 *   the sides being the points of the sweep that differ in that model
 *   alone, on the same trace.
 * - Baselines preload their own malloc, each in a process of its own: the
 *   points of one group (the backends of one coordinate) run one
 *   repetition each, in an order drawn per round, round after round. So
 *   do Q6 and Q7 points whose traces differ between the models (a
 *   workload whose sizes are in pages): their requests are not the same.
 */
#ifndef XHEAP_ROUNDS_H
#define XHEAP_ROUNDS_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "drivers/suite/config.h"

/* Q1's target: an interval narrower than 1 ns or 5% of xmalloc's median,
 * whichever is larger (a few ns is what the question is about). */
#define ROUNDS_Q1_TARGET_NS   1.0
#define ROUNDS_Q1_TARGET_PCT  5.0
/* Q6 and Q7 answer with ratios (64K pages against 4K costs 1.3x): each
 * side's ratio interval narrower than this share of the ratio. */
#define ROUNDS_RATIO_TARGET_PCT 5.0
/* The time one alternated point may take: each of Q1's processes gets a
 * ROUNDS_MIN_PROCS-th of it (Q6's and Q7's stop at their clean rounds),
 * and the experiment as a whole twice it per point before no point gets
 * more than ROUNDS_MIN_PROCS processes (full suite, --quick). The default
 * suite has 7 such points for Q1 (q1-small and q1-pairs' six sizes): at
 * most 3.5 min, 42 s with --quick, past which each point stops at
 * ROUNDS_MIN_PROCS processes; q6-threshold has 8 and q7-directmap 3. */
#define ROUNDS_BUDGET_S       15.0
#define ROUNDS_QUICK_BUDGET_S 3.0
#define ROUNDS_EXPERIMENT_BUDGETS 2.0

/* --quick still wants an interval that means something: 6 clean rounds is
 * the fewest with a 95% interval for a median (and more than the 5 a side
 * the issue asks for). */
#define ROUNDS_MIN_CLEAN      6u

/* The resolution run: 64-byte pairs on the null backend, the harness's
 * cheapest path, so that the spin is most of what differs. */
#define ROUNDS_RES_DELAYS     "0.5,1,2,5"
#define ROUNDS_RES_EVENTS     100000u
#define ROUNDS_RES_BUDGET_S   8.0
#define ROUNDS_RES_QUICK_S    3.0
/* A recovered delay: its estimate within this share of the injected size. */
#define ROUNDS_RECOVERED      0.5

/* Extra arguments of a child, at most this many. */
#define ROUNDS_MAX_ARGS 8
struct rounds_args {
    int n;
    char v[ROUNDS_MAX_ARGS][256];
};

/* The sides of one alternated point, itself included, at most: Q6's
 * three page sizes. */
#define ROUNDS_MAX_SIDES 4

/* The coordinate whose models E's answer compares in one process, as
 * config_point_moved takes it (CONFIG_DIM_PAGE: Q6's page sizes; a sweep:
 * Q7's directmap), or ROUNDS_NO_DIM. */
#define ROUNDS_NO_DIM (-2)
int rounds_models_dim(const struct experiment *e);

/* The other points an alternated point measures as its sides (Q6, Q7). */
struct rounds_sides {
    size_t n;
    size_t point[ROUNDS_MAX_SIDES - 1];
};

/*
 * Whether point PT is measured by alternation in its own child, and if so
 * its extra arguments (--against, --until, budget, rounds) in OUT and, for
 * Q6 and Q7, the points that are its other sides in SIDES. Q1: only the
 * first backend's point alternates, against the second backend. Q6, Q7:
 * the point at the first value of the compared coordinate (4K pages, the
 * directmap on), against the same backend at the others, each side's
 * model knobs those that differ (--against=xmalloc@page_size=65536). The
 * other points run as before, for their own metrics.
 */
bool rounds_alternate_args(const struct config_point *pt,
                           const struct config_env *env,
                           struct rounds_args *out,
                           struct rounds_sides *sides);

/*
 * The process is the unit of replication: one process's rounds share its
 * address-space layout, its CPU and the machine's state of the moment, and
 * two processes of the same point differ by more than one process's
 * interval says (measured here: 0.8 [0.3..1.2] against 1.4 [1.3..1.8] ns
 * for the same 64-byte pairs; 0.25 to 2.6 ns for 256-byte pairs in ten
 * processes in a row). So an alternated point runs in
 * ROUNDS_MIN_PROCS processes at least, more while the combined interval is
 * wider than the target and the budget lasts (ROUNDS_MAX_PROCS at most),
 * and the interval is Student's over the processes' median paired
 * differences (rounds.c says why not a bootstrap). Its samples are the
 * processes' medians.
 */
#define ROUNDS_MIN_PROCS       5u
#define ROUNDS_MAX_PROCS       10u

/* Runs one child: ARGV, its output into LOG; 0 or -1 with WHY. */
typedef int (*rounds_child_fn)(void *ctx, char **argv, const char *log,
                               char *why, size_t len);

/* One alternated point to measure: its child's arguments (with
 * --json=JSON among them), its log; then what came of it. */
struct proc;
struct rounds_job {
    char **argv;
    const char *json, *log;
    bool ratio;              /* Q6, Q7: the target is on each ratio */
    /* Filled by rounds_schedule. */
    unsigned k;                          /* processes run */
    struct proc *p;
    json_t *js[ROUNDS_MAX_PROCS];
    bool failed;
    char why[1024];
};

/*
 * Measures the alternated points JOBS of one experiment, process after
 * process, the points in an order drawn afresh each round, so that each
 * point's processes spread over the whole experiment and the machine's
 * changes of state fall into every point's interval rather than between
 * two runs. A point gets ROUNDS_MIN_PROCS processes, more while its
 * interval is wider than its target (Q1's, or ROUNDS_RATIO_TARGET_PCT of
 * every ratio) and the experiment's budget (N times a point's) lasts;
 * none more once its first ROUNDS_MIN_PROCS, or two past the budget,
 * kept no good one (a machine too busy for it).
 * Each point's combined result is written to its JSON, shaped as one
 * child's, every side with its difference and ratio over the processes
 * (job->failed and job->why otherwise).
 */
int rounds_schedule(struct rounds_job *jobs, size_t n, bool quick,
                    uint64_t seed, const volatile sig_atomic_t *stop,
                    rounds_child_fn run, void *ctx);

/* Whether E's points alternate across processes, round by round: it lists
 * a baseline (preloaded) backend. (So do Q6 and Q7 when their traces
 * differ between the models: the suite finds that when it makes them.)
 * Each round runs every point once, one repetition in a process of its
 * own, in an order drawn afresh; at least ROUNDS_ACROSS_MIN rounds
 * (--quick too), so that every answer built on them has 5 repetitions a
 * side, each its own process. */
#define ROUNDS_ACROSS_MIN 5u
#define ROUNDS_ACROSS_MAX 64u
bool rounds_across(const struct experiment *e);
unsigned rounds_across_count(const struct config_point *pt);

struct rounds_rep_job {
    char **argv;                 /* ends in --repetitions=1 */
    const char *json, *log;
    unsigned k;                  /* processes run */
    json_t *js[ROUNDS_ACROSS_MAX];
    bool failed;
    char why[1024];
};

/* ROUNDS rounds over JOBS, then each job's processes combined into its
 * JSON: one child's, with every process's repetition. */
int rounds_across_schedule(struct rounds_rep_job *jobs, size_t n,
                           unsigned rounds, uint64_t seed,
                           const volatile sig_atomic_t *stop,
                           rounds_child_fn run, void *ctx);

/* The resolution child's trace, written to PATH; -1 with WHY. */
int rounds_resolution_trace(const char *path, char *why, size_t len);
/* Its extra arguments, after "xheap replay --backend=null --trace=...". */
void rounds_resolution_args(bool quick, struct rounds_args *out);
/* The "resolution" object of results.json from the child's JSON; NULL
 * with WHY when it cannot be read. */
json_t *rounds_resolution_read(const char *json_path, char *why, size_t len);

/* A random order of N items (N <= 64) for round K of a seeded run. */
void rounds_order(size_t *order, size_t n, uint64_t seed, unsigned k);

#endif
