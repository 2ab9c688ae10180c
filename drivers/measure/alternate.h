/*
 * Alternation (measurement.md, "When a difference is real"): the heaps an
 * answer compares are measured in one process, on one decoded trace, round
 * after round, each round one batch pass of every side in an order drawn
 * afresh (A B, B A, B A, A B ...). Drift of the machine (frequency,
 * another tenant, the page cache) then falls on every side alike, and the
 * difference is taken within each round: a paired difference, whose median
 * gets the exact distribution-free interval (stats_median_ci).
 *
 * A round in which any side lost the CPU (clean.h) is left out whole and
 * another round is run: the pairing survives. Rounds go on until every
 * difference's interval is as narrow as the target, or the time budget is
 * spent (after MIN_ROUNDS clean ones at least), or MAX_ROUNDS were tried.
 *
 * Side 0 is the backend replay_measure was given; the others are models too
 * (a baseline preloads its own malloc into a process of its own, so it
 * cannot alternate in-process: the suite alternates those across processes,
 * rounds.h). Each side has a model of its own: the same backend with 64K
 * pages against 4K, or without a directmap against with one, alternates as
 * two backends do. What the sides share is the decoded trace, and so the
 * requests: a side's model knobs change how the heap serves them, never
 * which. A side may add a known delay after every event: the null backend
 * against itself plus 0.5, 1, 2, 5 ns is the instrument's resolution
 * (rounds.h).
 */
#ifndef XHEAP_ALTERNATE_H
#define XHEAP_ALTERNATE_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "backends/heap.h"
#include "drivers/measure/stats.h"

#define ALT_MAX_SIDES   8
#define ALT_MAX_ROUNDS  2000u

struct engine;
struct replay_report;

struct alt_side {
    char backend[32];
    char label[128];             /* as --against gave it: xmalloc@page_size=64K */
    struct heap_config cfg;      /* its own: the shared model, then its knobs */
    double delay_ns;             /* asked; 0: none */
    unsigned delay_iters;        /* the spin that comes closest */
    double injected_ns;          /* delay_iters at the calibrated speed */
    double *ns;                  /* ns/op of each clean round */
    struct stats_interval diff;  /* paired: this side - side 0 (not 0) */
    struct stats_interval ratio; /* paired: this side / side 0 (not 0) */
};

/* One tried round: what every side measured and whether it was clean. */
struct alt_round {
    uint8_t order[ALT_MAX_SIDES];
    double ns[ALT_MAX_SIDES], cpu_share[ALT_MAX_SIDES];
    uint32_t nivcsw[ALT_MAX_SIDES];
    double wait_share[ALT_MAX_SIDES];   /* clean.h; -1: unknown */
    bool clean;
};

struct alternate {
    /* Asked. */
    unsigned n_sides;
    struct alt_side side[ALT_MAX_SIDES];
    unsigned min_rounds;         /* clean rounds before the rule may stop */
    unsigned max_rounds;         /* rounds tried at most */
    double target_ns, target_rel;   /* interval width wanted: the larger of
                                       target_ns and target_rel * median of
                                       side 0; 0 and 0: run to the budget */
    double max_seconds;          /* the budget, once MIN_ROUNDS are clean */
    uint64_t seed;               /* the orders */
    const char *against_arg, *delays_arg;   /* as given, until finished */

    /* Measured. */
    double ns_per_iter;          /* the delay spin's speed; 0: no delays */
    unsigned tried, clean;       /* rounds */
    struct alt_round *rounds;    /* [tried] */
    double seconds;
    bool reached;                /* the target ended it */
    const char *stopped;         /* "target", "budget", "rounds" */
};

/* Defaults: no sides, 6 clean rounds at least, ALT_MAX_ROUNDS, no target,
 * 10 s, seed 1. */
void alternate_init(struct alternate *a);
/* Adds a side; -1 when there are ALT_MAX_SIDES already. */
int  alternate_add(struct alternate *a, const char *backend,
                   const struct heap_config *cfg, double delay_ns);
/* The separators of a side in --against: sides by ',', a side's model
 * knobs after its backend, each after '@': "xmalloc@page_size=64K". */
#define ALT_SIDE_SEP ','
#define ALT_KNOB_SEP '@'
void alternate_free(struct alternate *a);

/* replay.c calls this instead of its own passes when asked to alternate:
 * the warm-up, the rounds, side 0's clean rounds into R's repetitions. */
int alternate_passes(struct engine *e, struct alternate *a,
                     struct replay_report *r);

/* The "alternation" object of the replay JSON. */
json_t *alternate_json(const struct alternate *a);

/* The spin's ns per iteration on this CPU (the fastest of a few timings). */
double alternate_spin_speed(void);

/* ---- command-line options (xheap replay) ---- */

#define ALTERNATE_OPTIONS_FIRST 0x4100
#define ALTERNATE_OPTIONS \
    { "against",     required_argument, NULL, ALTERNATE_OPTIONS_FIRST }, \
    { "delays",      required_argument, NULL, ALTERNATE_OPTIONS_FIRST + 1 }, \
    { "until",       required_argument, NULL, ALTERNATE_OPTIONS_FIRST + 2 }, \
    { "max-seconds", required_argument, NULL, ALTERNATE_OPTIONS_FIRST + 3 }, \
    { "min-rounds",  required_argument, NULL, ALTERNATE_OPTIONS_FIRST + 4 }, \
    { "max-rounds",  required_argument, NULL, ALTERNATE_OPTIONS_FIRST + 5 }
#define ALTERNATE_HELP \
    "Alternation (docs/replay.md; the heaps an answer compares):\n" \
    "  --against B[,C..]  measure B (and C ..) in this process too, round\n" \
    "                     by round in a random order; the JSON gets\n" \
    "                     \"alternation\" with the paired differences\n" \
    "                     and ratios. A side may have model knobs of its\n" \
    "                     own, each as @KNOB=VALUE with bench.toml's\n" \
    "                     name: xmalloc@page_size=64K,\n" \
    "                     xmalloc@directmap=false@memory=2G (the rest\n" \
    "                     is this command's model)\n" \
    "  --delays NS,..     sides of --backend plus a known spin of NS per\n" \
    "                     event (the instrument's resolution)\n" \
    "  --until NS,PCT     stop once every difference's 95% interval is\n" \
    "                     narrower than NS or PCT% of --backend's median\n" \
    "                     (the larger; default: run to --max-seconds)\n" \
    "  --max-seconds S    the time budget (default 10)\n" \
    "  --min-rounds N     clean rounds at least (default 6)\n" \
    "  --max-rounds N     rounds tried at most (default 2000)\n"

/* Parses option C (from ALTERNATE_OPTIONS) into *A, making it when it is
 * the first; -1 when C is not one of them, else 0 or EXIT_USAGE. CFG is
 * the model every side shares; BACKEND side 0 (set before, or later by
 * alternate_finish_args). */
int alternate_option(int c, const char *arg, struct alternate **a);
/* After parsing: side 0 is BACKEND with CFG; sides named by --against get
 * CFG with their own knobs over it, those of --delays CFG. 0, or
 * EXIT_USAGE with one line printed (a bad side, knob or value). */
int alternate_finish_args(struct alternate *a, const char *backend,
                          const struct heap_config *cfg);

#endif
