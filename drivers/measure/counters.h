/*
 * Event counters around a measured region: perf_event_open, kernel side
 * included, summed over every thread of the process, for the events named
 * with --counters (perf's generic names, or any event libpfm4 knows).
 *
 * An event the machine cannot count reports null, and the reason is said
 * once (unsupported on this CPU or VM, or forbidden by
 * kernel.perf_event_paranoid, with what to change).
 *
 * Use: counters_parse, then counters_open BEFORE the replay threads are
 * created (children inherit the events), counters_start and counters_stop
 * around the measured part, counters_report / counters_print, counters_free.
 */
#ifndef XHEAP_COUNTERS_H
#define XHEAP_COUNTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#define COUNTERS_MAX 32

/* The events counted when --counters is not given. */
#define COUNTERS_DEFAULT "cycles,instructions,dTLB-load-misses," \
    "dTLB-store-misses,iTLB-load-misses,page-faults,context-switches"

struct counter {
    char    *name;
    int      fd;          /* -1 when not counting */
    bool     supported;
    uint64_t value;       /* after counters_stop, scaled if multiplexed */
    char     why[160];    /* why unsupported */
    bool     user_only;   /* paranoid forbade the kernel side: not counted */
    bool     scaled;      /* multiplexed: value scaled from a share of time */
    double   running;     /* the share of the time it was counted, 0..1 */
    uint64_t at_start[3]; /* value, time enabled, time running at start */
};

struct counter_set {
    size_t n;
    struct counter ev[COUNTERS_MAX];
};

/* Splits "a,b,c" into S; on a bad list one line in WHY and -1. */
int  counters_parse(const char *list, struct counter_set *s, char *why,
                    size_t len);

/* Opens every event for this process and the threads it creates later;
 * events that cannot be opened are marked unsupported with a reason. */
void counters_open(struct counter_set *s);
void counters_start(struct counter_set *s);
void counters_stop(struct counter_set *s);

/* Adds "counters": {name: value or null} and "counters_unsupported":
 * {name: reason} to ROOT; when there is something to say, also
 * "counters_scaled": {name: share of time counted} for multiplexed events
 * and "counters_user_only": [names] for events counted without their
 * kernel side. */
void counters_report(const struct counter_set *s, json_t *root);
/* One line per event for a human summary; reasons said once. */
void counters_print(const struct counter_set *s, FILE *f);

/* The event called NAME in S, or NULL. */
const struct counter *counters_find(const struct counter_set *s,
                                    const char *name);

void counters_free(struct counter_set *s);

#endif
