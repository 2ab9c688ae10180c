/*
 * What a suite's measurements say: each run's samples and metrics taken
 * from its child's JSON, the figures' CSVs (docs/figures.md) built from
 * every run, and one answer line per experiment for report.txt, with its
 * 95% interval where the repetitions give one.
 */
#ifndef XHEAP_ANSWERS_H
#define XHEAP_ANSWERS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>


/* What kind of child a point ran: report does not see the suite's
 * experiments, only what their points measured. */
enum answers_child { ANSWERS_REPLAY, ANSWERS_ACCESS };

/* Whether a point of the workload WORKLOAD (NULL: none) must also write the
 * placements CSV (the aging probe reads which contiguous requests succeeded
 * from it). */
bool answers_want_placements(const char *workload);

/* Fills RUN's "samples" and "metrics" from the child's JSON (and for the
 * aging probe, from the trace and placements); -1 with WHY. */
int  answers_collect(json_t *run, enum answers_child child,
                     const char *workload, const char *json_path,
                     const char *trace, const char *placements,
                     char *why, size_t len);

/* Sets experiment X's "answer" and "figure", then rewrites every figure's
 * CSV in DIR from all EXPERIMENTS so far. */
void answers_experiment(json_t *x, json_t *experiments, const char *dir);

/* The instrument's resolution (results.json's "resolution", rounds.h) for
 * the answers made after: a difference below it is "not resolvable here".
 * NULL: unknown. */
void answers_resolution(const json_t *res);

/* The machine the answers were measured on (results.json's "machine"):
 * on a virtual one a multi-threaded speedup gets no interval (answers.c,
 * answer_scaling). NULL: unknown, taken as bare metal. */
void answers_machine(const json_t *machine);

/* results.json's "answers" (architecture.md, CONTRACT): every experiment's
 * answer object, the same ones report.txt prints. */
json_t *answers_list(const json_t *experiments);

/* Rewrites every figure's CSV in DIR from EXPERIMENTS. */
void answers_figures(json_t *experiments, const char *dir);

#endif
