/*
 * Synthetic workloads: each one writes a closed trace (every block it
 * allocates is freed again) that depends on nothing but its parameters and
 * the seed, so the same command line gives the same bytes on every machine.
 *
 * Adding a workload is one emit function and one line in gen.c's table.
 */
#ifndef XHEAP_GEN_H
#define XHEAP_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The workload-specific options; a workload lists those it reads. */
#define GEN_OPT_SIZE    0x01u   /* --size SZ */
#define GEN_OPT_CONTIG  0x02u   /* --contig */
#define GEN_OPT_ZERO    0x04u   /* --zero */
#define GEN_OPT_ORDER   0x08u   /* --order K */
#define GEN_OPT_LIVE    0x10u   /* --live K */
#define GEN_OPT_MIN     0x20u   /* --min SZ */
#define GEN_OPT_MAX     0x40u   /* --max SZ */

struct gen_params {
    uint64_t events;     /* at most this many events */
    uint64_t seed;
    uint64_t page_size;  /* model page size the sizes are derived from */
    uint64_t size;       /* pairs: the one size */
    bool     contig, zero;
    unsigned order;      /* pages: 2^order pages per request */
    uint64_t live;       /* churn: most blocks live at once */
    uint64_t min_size, max_size;  /* churn: size range */
    unsigned given;      /* GEN_OPT_* bits the user set */
};

struct gen_rng {
    uint64_t state;
};

/* What an emit function writes to. */
struct gen_out {
    FILE *f;
    uint64_t events;     /* written so far */
    uint64_t next_id;
    struct gen_rng rng;
};

struct gen_workload {
    const char *name;
    const char *summary;
    unsigned options;    /* GEN_OPT_* it reads; others are refused */
    /* Writes at most p->events events; -1 with errno on failure. */
    int (*emit)(struct gen_out *out, const struct gen_params *p);
};

/* Defaults for everything; max_size is resolved from page_size later. */
void gen_params_defaults(struct gen_params *p);

const struct gen_workload *gen_find(const char *name);
const struct gen_workload *gen_list(size_t *count);

/* Checks P against W's options; on failure one line in WHY, returns -1. */
int gen_check(const struct gen_workload *w, struct gen_params *p,
              char *why, size_t len);

/* Writes the whole trace (header included). 0, or -1 on a write error. */
int gen_write(const struct gen_workload *w, const struct gen_params *p, FILE *f);

#endif
