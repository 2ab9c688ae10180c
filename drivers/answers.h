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

#include "drivers/config.h"

/* Whether a point of E must also write the placements CSV (the aging
 * probe reads which contiguous requests succeeded from it). */
bool answers_want_placements(const struct experiment *e);

/* Fills RUN's "samples" and "metrics" from the child's JSON (and for the
 * aging probe, from the trace and placements); -1 with WHY. */
int  answers_collect(json_t *run, const struct experiment *e,
                     const char *json_path, const char *trace,
                     const char *placements, char *why, size_t len);

/* Sets experiment X's "answer" and "figure", then rewrites every figure's
 * CSV in DIR from all EXPERIMENTS so far. */
void answers_experiment(json_t *x, json_t *experiments, const char *dir);

/* Rewrites every figure's CSV in DIR from EXPERIMENTS. */
void answers_figures(json_t *experiments, const char *dir);

#endif
