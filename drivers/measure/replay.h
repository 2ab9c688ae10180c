/*
 * drivers/measure: the instrument. Replay and decoding, threads and
 * pinning, the clocks (clock.h) and the timer, histograms, counters, flush
 * peers, access cost, baselines in processes of their own, statistics
 * (stats.h), the host's facts (host.h: every /proc and /sys read), and
 * the plain helpers every room shares (args.h). It may use backends/ (only
 * through heap.h) and workloads/; it includes nothing from report, suite
 * or cli. This header is its front door.
 *
 * The replay engine: one trace against one backend, measured.
 *
 * 1. Decode. The text trace is read once into 16-byte compact events, in
 *    chunks of opt.chunk_events; a trace longer than one chunk is spooled
 *    to an unlinked temporary file, so memory stays bounded (chunk buffers
 *    and the slot table) however long the trace is.
 * 2. Replay, pass after pass, each on a FRESH heap so that every pass makes
 *    the same placements: opt.warmup passes that are not measured, then
 *    opt.repetitions measured ones. A measured repetition is a batch pass
 *    (the wall time of the whole replay over its events, no clock read per
 *    call) and a timed pass (every allocator call between two reads of the
 *    timer, whose own cost is subtracted, into latency histograms per call
 *    kind and per power-of-two size class); --timing picks one or both.
 *    Chunks are replayed from memory; loading the next one is not timed.
 * 3. Threads. Trace thread t runs on replay thread t % opt.threads; each
 *    thread keeps its events' order. A block may be freed by another thread
 *    than the one that allocated it: every event waits until the previous
 *    event on its slot, in trace order, is done (a per-slot sequence
 *    number). The calling thread is replay thread 0; all start together.
 * 4. Counters (counters.h) are opened before the replay threads exist and
 *    run around the measured part of each measured repetition only.
 *
 * Use from a program (the suite runner does):
 *
 *     struct replay_options o;
 *     struct replay_report r;
 *     replay_options_defaults(&o);
 *     o.threads = 2;
 *     if (replay_measure(&o, &cfg, "xvmalloc", "t.trace", &r) == REPLAY_OK)
 *         json = replay_json(&r);        (or replay_print(&r, stdout, false))
 *     else
 *         fprintf(stderr, "%s\n", r.error);
 *     replay_report_free(&r);
 */
#ifndef XHEAP_REPLAY_H
#define XHEAP_REPLAY_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "backends/heap.h"
#include "drivers/measure/clean.h"
#include "drivers/measure/counters.h"
#include "drivers/measure/histogram.h"
#include "drivers/measure/host_tlb.h"
#include "drivers/measure/threads.h"
#include "drivers/measure/timer.h"
#include "workloads/trace.h"

#define REPLAY_AUTO          UINT_MAX     /* warmup, repetitions: by length */
#define REPLAY_CHUNK_EVENTS  (1u << 20)   /* 16 MiB of compact events */
#define REPLAY_MAX_THREADS   TRACE_MAX_THREADS
#define REPLAY_MAX_PEERS     1024u
/* Size classes: log2 of the requested size, 0 .. 40 (0 and 1 byte: 0). */
#define REPLAY_SIZE_CLASSES  41
#define REPLAY_NOTES         8
#define REPLAY_NOTE_LEN      256

/* The allocator calls that are timed, by the call actually made. */
enum replay_call {
    CALL_ALLOC,     /* heap_alloc, also for an r whose id had failed */
    CALL_FREE,
    CALL_REALLOC,
    CALL_KINDS,
};

const char *replay_call_name(enum replay_call c);

enum replay_timing {
    TIMING_BOTH,    /* a batch pass and a timed pass per repetition */
    TIMING_BATCH,   /* batch passes only: no latencies */
    TIMING_OP,      /* timed passes only: their time includes timer reads */
};

const char *replay_timing_name(enum replay_timing t);
int replay_timing_parse(const char *s, enum replay_timing *out);

struct replay_options {
    unsigned threads;          /* replay threads, 1 .. REPLAY_MAX_THREADS */
    enum pin_mode pin;
    unsigned flush_peers;      /* 0 .. REPLAY_MAX_PEERS */
    unsigned warmup;           /* REPLAY_AUTO: 1 for short traces, else 0 */
    unsigned repetitions;      /* REPLAY_AUTO: 5 for short traces, else 1 */
    enum replay_timing timing;
    enum timer_choice timer;
    size_t chunk_events;       /* compact events per chunk, >= 1 */
    const char *counters;      /* perf events; NULL: COUNTERS_DEFAULT;
                                  "none": no counters */
    FILE *placements;          /* the placements CSV goes here; NULL: none */
    uint64_t seed;             /* recorded with the result only */
    struct alternate *alternate;   /* NULL, or rounds alternating this
                                      backend with others (alternate.h) */
};

/* One thread, pin none, no peers, auto warm-up and repetitions, both
 * timings, the automatic timer, REPLAY_CHUNK_EVENTS, default counters. */
void replay_options_defaults(struct replay_options *o);

/* In nanoseconds; count 0 means no sample (and the rest is 0). */
struct latency_summary {
    uint64_t count;
    double mean, p50, p99, p999, max;
};

/* Of one value over the repetitions. */
struct spread {
    double median, mean, min, max;
    double mad;      /* median absolute deviation from the median */
    double stddev;   /* sample standard deviation; 0 for one repetition */
};

struct replay_trace_info {
    char *path;
    uint64_t events, n_alloc, n_free, n_realloc, n_write;
    unsigned threads;          /* highest t= plus one */
    uint32_t slots;            /* replay slots: about the most ids live */
    uint64_t decode_ns;        /* reading, checking, compacting, spooling */
    size_t chunk_events, chunks;
    bool spooled;              /* longer than one chunk: kept in a file */
};

/* One measured repetition. */
struct replay_rep {
    uint64_t time_ns;          /* batch pass (timed pass with TIMING_OP) */
    double ns_per_op;          /* time_ns / events */
    uint64_t timed_ns;         /* the timed pass's wall time, 0 if none */
    uint64_t failed, flushes;  /* the heap's, at the end of the pass */
    uint64_t waits;            /* events that waited for another thread's */
    double cpu_share;          /* replay threads' CPU time / their time */
    uint64_t counters[COUNTERS_MAX];   /* summed over chunks */
    uint64_t nvcsw, nivcsw;    /* the threads' context switches (clean.h) */
    double wait_share;         /* their wait for a CPU / their time; -1 */
    bool contaminated;         /* lost the CPU even when rerun: excluded */
};

enum replay_status {
    REPLAY_OK = 0,
    REPLAY_FAILED = 1,       /* the run failed: EXIT_RUN_FAILED */
    REPLAY_BAD_INPUT = 2,    /* bad trace or options: EXIT_USAGE */
};

struct replay_report {
    /* What ran. */
    char *backend;
    struct heap_config cfg;
    struct replay_options opt;     /* placements and counters: NULL */
    char *counters_list;           /* as asked, resolved */
    unsigned warmup, repetitions;  /* resolved */
    bool placements_pass;          /* placements took an extra pass */
    struct replay_trace_info trace;
    struct timer_calibration timer;
    struct thread_plan plan;
    uint64_t peer_rounds;          /* buffer rounds the flush peers made */
    struct replay_locks {          /* the model's locks (backends/lock.h) */
        bool oversubscribed;       /* more replay threads than CPUs */
        uint64_t yields;           /* waiters' yields over all passes */
    } locks;
    int64_t tlb_shootdowns;        /* TLB IPIs during all passes, machine
                                      wide (/proc/interrupts); -1: unknown */
    struct host_tlb host_tlb;      /* the host's TLB flushes by reason,
                                      summed over the measured passes
                                      (count); unavailable: why */

    /* The first measured pass. */
    uint64_t calls[CALL_KINDS];    /* allocator calls made */
    uint64_t writes;               /* w events carried out */
    uint64_t skipped;              /* f, w on an id whose allocation failed */
    uint64_t leaked;               /* ids live at the end of the trace */
    struct heap_stats stats;       /* at the end of its measured part */
    char *map_limit;               /* heap_map_limit_message(), or NULL */

    /* Over the repetitions. */
    struct replay_rep *reps;
    unsigned n_reps;
    unsigned excluded;             /* measured passes that lost the CPU
                                      (clean.h): rerun or flagged */
    struct spread ns_per_op;       /* batch, clean repetitions */
    struct spread cpu_share;       /* below 1: other work had the CPUs */
    bool latencies;                /* timed passes ran */
    struct histogram *hist;        /* [CALL_KINDS][REPLAY_SIZE_CLASSES],
                                      timer ticks, every timed pass */
    struct latency_summary latency[CALL_KINDS];
    struct latency_summary by_size[CALL_KINDS][REPLAY_SIZE_CLASSES];
    struct counter_set counters;   /* values: median over repetitions */

    /* Time in parts, summed over the timed passes (none: parts_passes 0):
     * per call kind, the timed calls' ticks (less the timer's own, as the
     * latencies) and, within them, the ticks and calls of the model's host
     * mapping calls (heap_host_time); the rest is the model's own code. */
    unsigned parts_passes;
    struct replay_time_parts {
        uint64_t calls, total_ticks, host_ticks;
        uint64_t host_calls[HOST_CALL_KINDS];
    } time_parts[CALL_KINDS];
    struct replay_time_parts setup_parts;   /* heap_create's, untimed */

    /* The process. */
    uint64_t vm_hwm_bytes, vm_rss_bytes;   /* /proc/self/status at the end */
    uint64_t harness_bytes;        /* the engine's own buffers */

    unsigned n_notes;
    char notes[REPLAY_NOTES][REPLAY_NOTE_LEN];
    char error[512];               /* why, when not REPLAY_OK */
};

/*
 * Decodes TRACE_PATH ("-": standard input) and replays it against a fresh
 * heap of BACKEND with CFG for every pass, as O says. Fills *OUT (free it
 * with replay_report_free whatever the result). Returns enum replay_status;
 * OUT->error holds one line naming the file, line or option at fault.
 */
int  replay_measure(const struct replay_options *o,
                    const struct heap_config *cfg, const char *backend,
                    const char *trace_path, struct replay_report *out);
void replay_report_free(struct replay_report *r);

/* The result object (architecture.md, --json; CONTRACT keys, then more). */
json_t *replay_json(const struct replay_report *r);

/* The short human summary; BY_SIZE adds the per-size-class table. */
void replay_print(const struct replay_report *r, FILE *f, bool by_size);

#endif
