/*
 * The log that libxheap-record.so writes and xheap record reads: one file
 * per process image, DIR/<pid>.<image>.log, a header and then fixed-size
 * binary events in native byte order (the reader runs on the same machine).
 *
 * Threads append to their own buffers and flush whole buffers, so events of
 * different threads interleave in the file by flush time. Each event carries
 * a sequence number from one process-wide counter, taken where it orders the
 * event correctly against other threads (see preload.c); the reader sorts by
 * it.
 */
#ifndef XHEAP_RECORD_LOG_H
#define XHEAP_RECORD_LOG_H

#include <stdint.h>

#define RECLOG_MAGIC     "XHEAPREC"
#define RECLOG_VERSION   1
#define RECLOG_TEXT_MAX  256     /* exe path and command line, truncated */

/* Environment between xheap record and the library. */
#define RECORD_ENV_DIR      "XHEAP_RECORD_DIR"      /* where logs go */
#define RECORD_ENV_FOLLOW   "XHEAP_RECORD_FOLLOW"   /* "0": cut children off */
#define RECORD_ENV_ROOT     "XHEAP_RECORD_ROOT"     /* pid of the root process */
#define RECORD_ENV_PRELOAD  "XHEAP_RECORD_PRELOAD"  /* LD_PRELOAD before ours */

struct reclog_header {
    char     magic[8];
    uint32_t version;
    uint32_t header_size;   /* events start here */
    uint32_t event_size;
    uint32_t pid, ppid;
    uint32_t image;         /* 0, then 1 after an exec, ... */
    uint64_t start_ns;      /* CLOCK_REALTIME when the log was opened */
    char     exe[RECLOG_TEXT_MAX];
    char     cmdline[RECLOG_TEXT_MAX];   /* arguments joined by spaces */
};

enum reclog_op {
    REC_MALLOC = 1,     /* ptr = result (0: failed), size */
    REC_CALLOC,         /* the same, zeroed: size = n * m */
    REC_MEMALIGN,       /* the same, aligned: align_log2 */
    REC_FREE,           /* ptr = the block */
    REC_REALLOC_BEGIN,  /* ptr = the old block */
    REC_REALLOC_END,    /* ptr = the new block (0: failed or freed), size */
};

struct reclog_event {
    uint64_t seq;
    uint64_t ptr;
    uint64_t size;
    uint32_t tid;
    uint8_t  op;
    uint8_t  align_log2;
    uint16_t pad;
};

_Static_assert(sizeof(struct reclog_event) == 32, "log events are 32 bytes");

#endif
