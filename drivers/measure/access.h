/*
 * Access cost (question 9 of xen-allocators.md): what touching memory
 * costs once it is allocated, by where it came from. vmalloc'd memory sits
 * behind one small mapping per page in the vmap area; xmalloc's whole
 * pages come from the directmap, one large mapping (huge-page backed with
 * --hugepages where the kernel allows).
 *
 * A working set is allocated through a backend in blocks, every cache line
 * of it is linked into one chain (random order, or address order), and the
 * chain is followed: each load depends on the one before, so prefetchers
 * and out-of-order execution cannot hide a TLB or cache miss. Time and
 * perf counters are taken around the walk only.
 */
#ifndef XHEAP_ACCESS_H
#define XHEAP_ACCESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "backends/heap.h"
#include "drivers/measure/counters.h"

#define ACCESS_LINE     64u   /* one link per cache line */
#define ACCESS_MAX_REPS 1000u

/* The events counted when --counters is not given. */
#define ACCESS_COUNTERS_DEFAULT "cycles,dTLB-load-misses,dTLB-store-misses," \
    "page-faults,task-clock"

struct access_setup {
    struct heap_config cfg;
    uint64_t working_set;   /* bytes */
    uint64_t block;         /* bytes per allocation */
    uint64_t accesses;      /* links followed in each measured walk */
    unsigned repetitions;   /* measured walks; their median is reported */
    uint64_t seed;
    bool     sequential;    /* address order instead of random */
    bool     write;         /* each access also writes its line */
    const char *counters;   /* comma-separated events */
};

/* Where a run's memory lives, for the comparison. */
enum access_region {
    REGION_NONE,
    REGION_VMAP,        /* small mappings in the vmap area */
    REGION_DIRECTMAP,   /* the directmap: one large mapping */
    REGION_ON_DEMAND,   /* no directmap: pages mapped as allocated */
    REGION_SYSTEM,      /* a malloc-family baseline */
};

const char *access_region_name(enum access_region r);

struct access_result {
    const char *backend;
    uint64_t blocks, failed;         /* allocations made and refused */
    uint64_t bytes, lines;           /* the working set actually walked */
    uint64_t by_path[PATH_SYSTEM + 1];
    enum access_region region;       /* where most of the blocks are */
    uint64_t map_calls;              /* mmaps the allocation cost */
    uint64_t pmd_mapped_bytes;       /* huge-page mapped, per smaps */
    char     huge[192];              /* what was asked of THP, and the answer */
    uint64_t elapsed_ns;             /* all the measured walks */
    double   ns_per_access;          /* the median walk's */
    double   ns_min, ns_max;         /* the fastest and slowest walk's */
    bool     dtlb_known;             /* dTLB misses were counted */
    double   dtlb_per_access;        /* over all the walks */
    struct counter_set counters;     /* values: sums over all the walks */
    const char *map_limit;           /* vm.max_map_count was hit */

    /* Between access_prepare and access_finish. */
    struct heap *heap;
    void   **block;
    uint64_t lines_per_block;
    void    *cursor;                 /* where the chain walk stands */
    unsigned reps;
    double   rep_ns[ACCESS_MAX_REPS];
    uint64_t counter_sum[COUNTERS_MAX];
};

/*
 * Allocates the working set through BACKEND, links it, and walks one
 * warm-up lap. 0 on success; -1 with one line in WHY (the heap cannot be
 * created, nothing could be allocated, or memory for the chain ran out).
 */
int  access_prepare(const char *backend, const struct access_setup *s,
                    struct access_result *r, char *why, size_t len);
/* One measured walk (of s->repetitions), counters around it. Runs of
 * several backends can take turns, so that a machine's changing load
 * falls on all of them alike. */
void access_measure(const struct access_setup *s, struct access_result *r);
/* The median and the per-access figures; frees the working set. */
void access_finish(const struct access_setup *s, struct access_result *r);

/* prepare, s->repetitions walks, finish. */
int  access_run(const char *backend, const struct access_setup *s,
                struct access_result *r, char *why, size_t len);
void access_result_free(struct access_result *r);

void access_print(const struct access_setup *s, const struct access_result *r,
                  FILE *f);
/* The closing comparison of a vmap run against a directmap run, when both
 * are among the N results. */
void access_print_comparison(const struct access_result *r, size_t n, FILE *f);

/* {"command", "config", "machine", "runs": [...], "comparison"} */
json_t *access_json(const struct access_setup *s,
                    const struct access_result *r, size_t n);

/* The subcommand (xheap access) and its help. */
int  cmd_access(int argc, char **argv);
void cmd_access_help(FILE *f);

#endif
