/*
 * The xheap trace format, version 1 (docs/trace-format.md is the contract).
 *
 * A reader turns text into decoded events and checks every rule of the
 * format as it goes, so that a replayer never sees an impossible event.
 * Each live id is given a dense slot number (0, 1, 2, ...; a freed id's slot
 * is reused by a later allocation), so replayers index an array instead of
 * hashing 64-bit ids.
 */
#ifndef XHEAP_TRACE_H
#define XHEAP_TRACE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define TRACE_HEADER        "xheap-trace 1"
#define TRACE_MAX_LINE      4096            /* bytes, newline excluded */
#define TRACE_MAX_SIZE      (1ULL << 40)    /* largest size on a or r */
#define TRACE_MAX_THREADS   1024            /* t= is 0 .. 1023 */
#define TRACE_READ_CHUNK    (1u << 20)      /* bytes per read() of a file */

enum trace_op {
    TRACE_ALLOC   = 'a',
    TRACE_FREE    = 'f',
    TRACE_REALLOC = 'r',
    TRACE_WRITE   = 'w',
};

/* Flags of an `a` event. */
#define TRACE_CONTIG     0x01u   /* needs physically contiguous memory */
#define TRACE_ZERO       0x02u   /* needs zeroed memory */
#define TRACE_TOUCH_FIRST 0x04u  /* touch=first: one write per page */
#define TRACE_TOUCH_ALL  0x08u   /* touch=all: write the whole block */

struct trace_event {
    uint64_t id;          /* the id as written in the trace */
    uint64_t size;        /* a: size; r: new size; f, w: 0 */
    uint32_t slot;        /* dense index of the live id, see above */
    uint16_t thread;      /* t=, default 0 */
    uint8_t  op;          /* enum trace_op */
    uint8_t  flags;       /* TRACE_CONTIG | TRACE_ZERO | TRACE_TOUCH_* */
    uint8_t  align_log2;  /* a: log2 of align=, 0 when not given */
};

/* One line naming the file, the line and the fault: "f.trace:12: ...". */
struct trace_error {
    char msg[512];
};

struct trace_reader;

/*
 * Opens PATH ("-" reads standard input). NULL and *err set on failure.
 * Format errors, a missing header included, come from trace_next.
 */
struct trace_reader *trace_open(const char *path, struct trace_error *err);

/*
 * Reads from an in-memory buffer; NAME is used in error messages. BUF is
 * not copied: it must stay valid until trace_close.
 */
struct trace_reader *trace_open_mem(const char *name, const char *buf,
                                    size_t len, struct trace_error *err);

/*
 * The next event: returns 1 and fills *ev, 0 at a clean end of the trace,
 * -1 on a malformed trace (and *err holds the message).
 */
int trace_next(struct trace_reader *r, struct trace_event *ev,
               struct trace_error *err);

/* Largest slot number handed out so far, plus one. */
uint32_t trace_slots(const struct trace_reader *r);

/* Ids live right now, in slot order; fills at most N, returns the count. */
size_t trace_live_ids(const struct trace_reader *r, uint64_t *ids, size_t n);

/* How many ids are live right now (to size the array for trace_live_ids). */
size_t trace_live_count(const struct trace_reader *r);

/* Number of events read so far, and the current line number. */
uint64_t trace_events_read(const struct trace_reader *r);
uint64_t trace_line(const struct trace_reader *r);

void trace_close(struct trace_reader *r);

/* Writing traces (generators, recorders, importers). */
void trace_write_header(FILE *out);
void trace_write_event(FILE *out, const struct trace_event *ev);

#endif
