/*
 * Fault injection for the model's page-table updates (docs/faults.md).
 *
 * Two kinds, both asked for in struct heap_config:
 *
 * - A fault plan makes the Nth map (or unmap) call fail, once or every
 *   Pth call from then on. Calls are numbered as map_calls and unmap_calls
 *   count them, from 1 at the model's creation, so a run's summary says
 *   which numbers exist.
 *
 * - A modelled vm.max_map_count. The kernel refuses a mapping with ENOMEM
 *   once the process has that many VMAs. The model keeps the kernel's count
 *   of the VMAs its own map and unmap calls split its reserved regions into
 *   (a file mapping is one VMA, merged with a neighbour that maps the next
 *   frame; every unmapped stretch between two of them is one more), and
 *   refuses any call that would take the count past the limit. The process's
 *   other mappings (the program, its libraries, the reservations themselves)
 *   are not counted: the knob limits the model's own share.
 */
#ifndef XHEAP_FAULTS_H
#define XHEAP_FAULTS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "backends/heap.h"   /* MAP_COUNT_MAX, the knob's public limit */

struct fault_plan {
    uint64_t at;      /* the first call to fail; 0: none */
    uint64_t every;   /* then every this many calls; 0: only that one */
};

void fault_plan_init(struct fault_plan *p, uint64_t at, uint64_t every);

/* Whether call number n (from 1) must fail. */
static inline bool fault_due(const struct fault_plan *p, uint64_t n)
{
    if (!p->at || n < p->at)
        return false;
    return n == p->at || (p->every && (n - p->at) % p->every == 0);
}

/* A run of model pages mapped to consecutive frames: one VMA. */
struct map_run {
    uint64_t vpn;     /* first page: address >> page_shift */
    uint32_t pages, frame;
};

/*
 * The modelled VMA count. A call first asks (map_count_begin), which holds
 * the lock until map_count_end: the count and the kernel's mappings then
 * change together, whatever other threads do.
 */
struct map_count {
    unsigned limit;        /* 0: not modelled, and nothing below is used */
    uint64_t vmas;         /* the count, as vm.max_map_count counts */
    uint64_t peak;
    pthread_mutex_t lock;
    /* The call between begin and end: runs [i, j) become add[0, n_add). */
    uint32_t i, j, n_add;
    uint64_t next_vmas;
    struct map_run add[3];
    uint32_t n;            /* runs, sorted by vpn, disjoint, maximal */
    struct map_run run[MAP_COUNT_MAX];   /* last: left untouched until used */
};

/* limit 0 turns the model off; a limit above MAP_COUNT_MAX is held there. */
void map_count_init(struct map_count *mc, unsigned limit);

/* Asks to map pages from vpn to frames from frame, or to unmap them when
 * frame is NO_FRAME. 0: go ahead, then call map_count_end with whether the
 * call did it; -1: the count would pass the limit (nothing held). */
int  map_count_begin(struct map_count *mc, uint64_t vpn, uint32_t pages,
                     uint32_t frame);
void map_count_end(struct map_count *mc, bool done);

/* The count now (with the lock; 0 when not modelled). */
uint64_t map_count_now(struct map_count *mc);

#endif
