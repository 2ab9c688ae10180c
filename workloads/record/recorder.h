/*
 * Inside libxheap-record.so: what the interposed functions (preload.c) and
 * the per-thread log (tlog.c) share. Nothing here is seen by the program:
 * the library is built with hidden visibility and exports only the
 * functions it interposes.
 */
#ifndef XHEAP_RECORDER_H
#define XHEAP_RECORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "workloads/record/log.h"

#define EXPORT    __attribute__((visibility("default")))
#define TLS_IE    __attribute__((tls_model("initial-exec")))
#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/*
 * Set while this thread is inside the recorder: a malloc made by the
 * recorder itself (or by a signal handler that interrupts it) goes straight
 * to the real allocator, unrecorded, so nothing recurses or deadlocks.
 */
extern __thread int rec_in_hook TLS_IE;

/* tlog.c ------------------------------------------------------------- */

/* Once, with the real functions known: reads the environment, opens the
 * log. Recording stays off when the environment does not ask for it. */
void tlog_init(void);

/* Whether this process records (off when inert, cut off, or failed). */
bool tlog_recording(void);

/* Appends one event to this thread's buffer. */
void tlog_event(enum reclog_op op, uint64_t ptr, uint64_t size,
                unsigned align_log2);

/* Writes every thread's buffer out: before exec and _exit. */
void tlog_flush_all(void);

/* The host page size, for valloc and pvalloc. */
size_t tlog_page_size(void);

#endif
