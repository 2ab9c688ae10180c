/*
 * Traces from address logs: glibc mtrace logs, and the logs of xheap record.
 *
 * Such logs name blocks by address, and addresses are reused as soon as a
 * block is freed. The converter gives every allocation a fresh id (a counter)
 * and keeps a map from live address to id, so each `f` and `r` of the trace
 * names the block it really freed. OS thread ids become replay threads
 * 0, 1, 2... in order of appearance.
 *
 * What a log cannot express is skipped and counted, never guessed: a free of
 * an address that is not live (allocated before the log began, or in a
 * parent before fork), a failed allocation. An allocation at an address that
 * is still live means the log missed a free; the converter writes that free
 * first, and counts it.
 */
#ifndef XHEAP_MTRACE_H
#define XHEAP_MTRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct addr_stats {
    uint64_t events;              /* trace events written */
    uint64_t allocs, frees, reallocs;
    uint64_t unmatched_frees;     /* address not live: skipped */
    uint64_t unmatched_reallocs;  /* old address not live: written as an a */
    uint64_t failed;              /* failed allocations in the log: skipped */
    uint64_t missed_frees;        /* alloc at a live address: free written */
    uint64_t live_at_end;         /* left to the replayer ("leaked") */
    uint64_t threads;             /* distinct OS threads seen */
    uint64_t folded_threads;      /* beyond 1024: share replay threads */
};

struct addr_trace;

/* Writes events to OUT (the caller writes the header). NULL without memory. */
struct addr_trace *addr_trace_new(FILE *out);

/* Finishes: fills *st (live_at_end included) and frees the converter. */
void addr_trace_end(struct addr_trace *a, struct addr_stats *st);

/*
 * The process image ended (exec): its blocks stay live in the trace, as the
 * kernel took them back without a free, and addresses start afresh.
 */
int addr_trace_forget(struct addr_trace *a);

/* An allocation at ADDR (0: it failed); flags and align as trace.h's. */
int addr_alloc(struct addr_trace *a, uint64_t addr, uint64_t size,
               unsigned flags, unsigned align_log2, uint64_t tid);
int addr_free(struct addr_trace *a, uint64_t addr, uint64_t tid);

/*
 * A realloc in two steps, because another thread may be handed OLD between
 * them: begin detaches OLD from the map; end writes the `r` (or, for NEW 0
 * with SIZE 0, the free; for NEW 0 otherwise, a failure that leaves OLD
 * live). One realloc at a time per thread.
 */
int addr_realloc_begin(struct addr_trace *a, uint64_t old, uint64_t tid);
int addr_realloc_end(struct addr_trace *a, uint64_t new_addr, uint64_t size,
                     uint64_t tid);

/* -1 when memory ran out in one of the calls above (then stop). */

/*
 * Converts the mtrace log IN (named NAME in messages) to a trace on OUT,
 * header included. 0 on success; -1 with "NAME:LINE: what" in WHY for a
 * malformed log, or with the reason for a read error or lack of memory.
 */
int mtrace_convert(const char *name, FILE *in, FILE *out,
                   struct addr_stats *st, char *why, size_t len);

/* One line for people: what was converted and what was skipped. */
void addr_stats_print(const struct addr_stats *st, const char *what,
                      FILE *f);

#endif
