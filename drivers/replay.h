/*
 * The replay engine: a whole trace decoded into memory, then replayed on one
 * thread against one heap, every allocator call timed on its own.
 *
 * Decoding first keeps parsing out of the measurement. (A later version
 * decodes in chunks so that traces larger than memory replay too.)
 */
#ifndef XHEAP_REPLAY_H
#define XHEAP_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "backends/heap.h"
#include "drivers/counters.h"
#include "workloads/trace.h"

/* The allocator calls that are timed, by the call actually made. */
enum replay_call {
    CALL_ALLOC,     /* heap_alloc, also for an r whose id had failed */
    CALL_FREE,
    CALL_REALLOC,
    CALL_KINDS,
};

const char *replay_call_name(enum replay_call c);

struct replay_trace {
    char *path;
    struct trace_event *events;
    size_t n_events;
    uint32_t slots;            /* trace_slots(): size of the slot table */
    uint64_t n_alloc, n_free, n_realloc, n_write;
    unsigned threads;          /* highest t= plus one */
};

/* Reads the whole trace at PATH; -1 with the reader's message in *err. */
int  replay_load(const char *path, struct replay_trace *t,
                 struct trace_error *err);
void replay_trace_free(struct replay_trace *t);

/* One row of the placements CSV. */
struct replay_placement {
    uint64_t id, size, align;
    struct placement where;
};

struct latency_summary {
    uint64_t count;
    double mean;
    uint32_t p50, p99, p999, max;   /* nanoseconds */
};

struct replay_result {
    uint64_t events;            /* replayed (the whole trace) */
    uint64_t calls[CALL_KINDS]; /* allocator calls made */
    uint64_t writes;            /* w events carried out */
    uint64_t skipped;           /* f, w on an id whose allocation failed */
    uint64_t leaked;            /* ids live at the end of the trace */
    uint64_t time_ns_total;     /* wall time of the measured part */
    double ns_per_op;           /* time_ns_total / events */
    uint32_t timer_ns;          /* cost of one clock read, in every latency */
    struct latency_summary latency[CALL_KINDS];
    struct heap_stats stats;    /* at the end of the measured part */
    unsigned trace_threads;     /* > 1: t= was ignored, see replay_run */

    /* Filled when replay_run is asked to record placements. */
    struct replay_placement *placements;
    size_t n_placements;
};

/*
 * Replays T against H. Every event runs on the calling thread in trace
 * order, whatever its t=. With RECORD, every successful allocation's
 * placement is kept (outside the timed calls) for replay_write_placements.
 * -1 with errno when memory for the bookkeeping runs out.
 */
int  replay_run(struct heap *h, const struct replay_trace *t, bool record,
                struct replay_result *res);
void replay_result_free(struct replay_result *res);

/* The note a replay of a multi-threaded trace carries; NULL when none. */
const char *replay_thread_note(const struct replay_result *res, char *buf,
                               size_t len);

/* The placements CSV (architecture.md): header, then one row each. */
int  replay_write_placements(const struct replay_result *res, FILE *f);

/* How a replay was asked for: the "config" of its result file. */
struct replay_setup {
    const char *backend, *trace_path, *pin;
    struct heap_config cfg;
    uint64_t seed;
    unsigned threads;
    struct counter_set counters;
    const char *map_limit;   /* heap_map_limit_message(), or NULL */
};

/* The result file's object (architecture.md, --json; CONTRACT keys). */
json_t *replay_json(const struct replay_setup *s, const struct replay_trace *t,
                    const struct replay_result *res);

#endif
