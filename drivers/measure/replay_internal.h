/*
 * What the parts of the replay engine share: replay.c (options, setting
 * up, the passes, the report), replay_decode.c (the trace decoded into
 * compact events, in chunks, spooled to a temporary file when it does not
 * fit in one) and replay_threads.c (the replay threads and the loop each
 * runs). Internal: drivers/measure/replay.h is the public API.
 */
#ifndef XHEAP_REPLAY_INTERNAL_H
#define XHEAP_REPLAY_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "drivers/measure/replay.h"

/* ---- compact events ------------------------------------------------- */

enum cop { COP_ALLOC, COP_FREE, COP_REALLOC, COP_WRITE };

/* One event in 16 bytes: the fields of struct trace_event that replaying
 * needs (the id only for placements, kept apart), plus the slot's sequence
 * number that orders events of different threads on one slot. */
struct cev {
    uint64_t size : 41;        /* up to TRACE_MAX_SIZE, 2^40 */
    uint64_t align_log2 : 6;
    uint64_t flags : 4;        /* TRACE_CONTIG, _ZERO, _TOUCH_* */
    uint64_t op : 2;           /* enum cop */
    uint64_t thread : 10;      /* t=, below TRACE_MAX_THREADS */
    uint32_t slot;
    uint32_t seq;              /* events on this slot before, mod 2^32 */
};

_Static_assert(sizeof(struct cev) == 16, "compact events are 16 bytes");

struct chunk_ref {
    off_t off;
    size_t n;
};

/* The decoded trace: one chunk in memory, all of them in the spool. */
struct ctrace {
    size_t cap;                /* events per chunk */
    size_t room;               /* events the buffers hold now (<= cap) */
    struct cev *ev;            /* the chunk in memory */
    uint64_t *ids;             /* and its ids, when placements are wanted */
    size_t n;                  /* events in it */
    size_t loaded;             /* which chunk it is */
    struct chunk_ref *chunk;
    size_t n_chunks, chunk_cap;
    bool want_ids;
    int fd;                    /* the spool; -1 while one chunk holds all */
    struct slot_map *map;      /* decoding only */
};

/* ---- the replayer --------------------------------------------------- */

enum slot_state { SLOT_FREE, SLOT_LIVE, SLOT_FAILED };

/* What the replayer knows of one live id. seq is the number of events on
 * the slot done so far: the next event on it waits for its own number. */
struct slot {
    void *p;
    uint64_t size;
    uint32_t seq;
    uint8_t state;       /* enum slot_state */
    uint8_t flags;       /* the a event's TRACE_* flags */
    uint8_t align_log2;  /* the a event's align=, 0 when not given */
} __attribute__((aligned(32)));   /* two to a cache line, never straddling */

/* One row of the placements CSV, at its event's position in the chunk. */
struct row {
    uint64_t size, align;
    struct placement where;
    bool valid;
};

enum pass_kind {
    PASS_BATCH,     /* no clock read per call */
    PASS_RECORD,    /* batch, keeping placements: an unmeasured pass */
    PASS_TIMED,     /* every call timed into the histograms */
    PASS_DELAY,     /* batch, with delay_iters of spin after every event
                       (alternate.c: the instrument's known resolution) */
    PASS_QUIT,      /* tells the replay threads to leave */
};

struct engine;

struct worker {
    struct engine *e;
    unsigned id;
    pthread_t tid;
    const struct cev *ev;          /* this thread's events of the chunk */
    const uint32_t *pos;           /* and their positions in it */
    size_t n;
    struct cev *own;               /* the split chunk (threads > 1) */
    uint32_t *own_pos;
    size_t own_cap;
    uint64_t calls[CALL_KINDS], writes, skipped;
    uint64_t waits;                /* events that waited for another thread */
    uint64_t t0, t1;               /* clock_ns around this chunk */
    uint64_t cpu_ns;               /* CPU time it had for the chunk */
    struct clean_delta clean;      /* whether it lost the CPU (clean.h) */
    unsigned since_idle;           /* events since heap_idle last ran */
    uint64_t idle_ns;              /* the chunk's time in heap_idle */
    struct histogram *hist;        /* [CALL_KINDS][REPLAY_SIZE_CLASSES] */
    struct heap_host_time host;    /* its host mapping work, timed passes */
    bool unbound;                  /* binding refused */
} __attribute__((aligned(64)));

struct engine {
    const char *backend;
    const struct heap_config *cfg;
    struct heap *h;
    size_t page;
    struct slot *slots;
    uint32_t n_slots;
    struct ctrace *ct;
    unsigned n;                    /* replay threads */
    struct worker *w;
    struct spin_barrier start, done;
    enum pass_kind kind;
    struct row *rows;              /* PASS_RECORD: the chunk's rows */
    uint64_t overhead;             /* timer ticks taken off each latency */
    struct topology *topo;
    const struct thread_plan *plan;
    unsigned delay_iters;          /* PASS_DELAY: spin iterations per event */
    struct heap_host_time setup_host;   /* heap_create's, timed passes */
    unsigned parts_passes;
};

/* The error into R's message; returns STATUS. */
static inline int fail(struct replay_report *r, int status,
                       const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static inline int fail(struct replay_report *r, int status,
                       const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(r->error, sizeof(r->error), fmt, ap);
    va_end(ap);
    return status;
}

/* replay_decode.c */
int ctrace_init(struct ctrace *c, size_t cap, bool ids);
void ctrace_fini(struct ctrace *c);
int replay_decode(struct ctrace *c, const char *path, unsigned threads,
                  struct replay_report *r);
int ctrace_load(struct ctrace *c, size_t i, struct replay_report *r);

/* replay.c, for alternate.c: one measured batch pass (PASS_DELAY when
 * E->delay_iters or DELAY) on a fresh heap of E->backend and E->cfg, into
 * REP; the first pass of a run (FIRST) also fills R's single values. */
int replay_batch_pass(struct engine *e, bool delay, bool first,
                      struct replay_rep *rep, struct replay_report *r);

/* replay_threads.c */
/* The spin PASS_DELAY adds after each event; alternate.c calibrates it. */
void replay_spin(unsigned iters);

int replay_split_chunk(struct engine *e);
void replay_run_chunk(struct worker *w);
int replay_start_workers(struct engine *e, struct replay_report *r);
void replay_stop_workers(struct engine *e, unsigned created);
/* *sum += *b - *a, every field. */
void replay_host_add(struct heap_host_time *sum, const struct heap_host_time *a,
                     const struct heap_host_time *b);

#endif
