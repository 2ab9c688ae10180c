/*
 * The host's real TLB flushes around a measured region: the kernel's
 * tlb:tlb_flush tracepoint, counted by reason through perf_event_open (one
 * counter per reason, each with a "reason == N" filter).
 *
 * Scope: this process, every thread it creates after host_tlb_open (the
 * counters are inherited), on any CPU. A remote shootdown is counted on
 * the CPU that receives it, in the thread running there: a flush peer of
 * this process. Other processes' flushes are not counted.
 *
 * Where it cannot count (tracefs not mounted, not root, no such
 * tracepoint: x86 only), available is false and why says which, with the
 * command that would fix it where there is one.
 *
 * Use: host_tlb_open once, before the threads start; host_tlb_start and
 * host_tlb_stop around each region (stop reads the counts of the region);
 * host_tlb_close at the end.
 */
#ifndef XHEAP_HOST_TLB_H
#define XHEAP_HOST_TLB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* enum tlb_flush_reason of Linux's include/linux/mm_types.h, by value. */
enum host_tlb_reason {
    HTR_TASK_SWITCH,         /* flush on task switch */
    HTR_REMOTE_SHOOTDOWN,    /* this CPU flushed at another's request */
    HTR_LOCAL_SHOOTDOWN,     /* this CPU flushed its own TLB for a range */
    HTR_LOCAL_MM_SHOOTDOWN,  /* ... for the whole address space */
    HTR_REMOTE_SEND_IPI,     /* this CPU asked others to flush */
    HTR_REMOTE_WRONG_CPU,    /* a request that found the mm gone */
    HTR_N
};

#define HOST_TLB_WHY 320

struct host_tlb {
    bool available;
    char why[HOST_TLB_WHY];
    char id_path[256];           /* where the tracepoint's id was read */
    int fd[HTR_N];
    uint64_t count[HTR_N];       /* of the last start .. stop */
};

/* The JSON key of each reason ("remote_shootdown", ...). */
const char *host_tlb_reason_name(enum host_tlb_reason r);

/*
 * Finds the tracepoint under TRACEFS (NULL: /sys/kernel/tracing, then
 * /sys/kernel/debug/tracing) and opens the counters, disabled. 0, or -1
 * with available false and why set; every later call is then harmless.
 */
int  host_tlb_open(struct host_tlb *h, const char *tracefs);
void host_tlb_start(struct host_tlb *h);
void host_tlb_stop(struct host_tlb *h);
void host_tlb_close(struct host_tlb *h);

/* {"remote_shootdown": N, ...}, or null where unavailable; *why_out (may
 * be NULL) gets the reason as a JSON string then, else NULL. */
json_t *host_tlb_json(const struct host_tlb *h, json_t **why_out);

#endif
