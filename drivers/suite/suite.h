/*
 * drivers/suite: bench.toml (config_*.c behind config.h, the TOML shim in
 * toml/) and the suite runner. It may use report, measure, backends and
 * workloads; only cli includes it. This header is its front door.
 *
 * The suite: every experiment of a bench.toml, point by point, each point a
 * child `xheap replay` (or `xheap access`) in a process of its own, into a
 * results folder that is never overwritten (docs/results.md).
 *
 * results.json is rewritten whole (a temporary file, then a rename) after
 * every point, so an interrupted run keeps what it finished; SIGINT,
 * SIGTERM and SIGHUP stop the point under way (its trace generation too)
 * and mark the run incomplete. Children die with the runner.
 */
#ifndef XHEAP_SUITE_H
#define XHEAP_SUITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define SUITE_MAX_ONLY 32

struct suite_options {
    const char *config;      /* bench.toml */
    const char *out_root;    /* the run folder is made inside: "results" */
    bool quick;              /* a smaller suite: events and repetitions cut */
    bool keep_traces;        /* keep the generated traces */
    bool list;               /* print the experiments and points, run none */
    const char *calibration; /* units from this file; NULL: bench.toml's */
    size_t n_only;           /* run only these experiments */
    const char *only[SUITE_MAX_ONLY];
};

/* Runs the suite; returns the exit status (0, 1 interrupted or failed run:
 * nothing measured or results.json not written, 2 bad input). */
int suite_run(const struct suite_options *o);

int  cmd_run(int argc, char **argv);
void cmd_run_help(FILE *f);

#endif
