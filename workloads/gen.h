/*
 * Synthetic workloads: each one writes a closed trace (every block it
 * allocates is freed again) that depends on nothing but its parameters and
 * the seed, so the same command line gives the same bytes on every machine.
 *
 * A workload is an emit function, the options it reads with their defaults
 * (its "knobs"), and one line in gen.c's table. docs/workloads.md says what
 * each one is for.
 */
#ifndef XHEAP_GEN_H
#define XHEAP_GEN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The workload options; each workload reads some of them (gen_knobs). */
enum gen_opt {
    GEN_SIZE, GEN_CONTIG, GEN_ZERO, GEN_ORDER, GEN_LIVE, GEN_MIN, GEN_MAX,
    GEN_LIFE, GEN_LONG, GEN_LONG_LIFE, GEN_MIX, GEN_RANGE, GEN_STEP,
    GEN_MEMORY, GEN_FILL, GEN_FREE, GEN_MAX_ORDER, GEN_JUNK, GEN_PAGES,
    GEN_ALIGN, GEN_MAX_ALIGN,
    GEN_N_OPTS
};

#define GEN_OPT(o)      (1u << (o))
#define GEN_OPT_SIZE    GEN_OPT(GEN_SIZE)
#define GEN_OPT_CONTIG  GEN_OPT(GEN_CONTIG)
#define GEN_OPT_ZERO    GEN_OPT(GEN_ZERO)
#define GEN_OPT_ORDER   GEN_OPT(GEN_ORDER)
#define GEN_OPT_LIVE    GEN_OPT(GEN_LIVE)
#define GEN_OPT_MIN     GEN_OPT(GEN_MIN)
#define GEN_OPT_MAX     GEN_OPT(GEN_MAX)

/* The request classes of the mixed workload, in --mix order. */
enum gen_class { GEN_CLASS_SMALL, GEN_CLASS_ODD, GEN_CLASS_LARGE, GEN_CLASSES };

#define GEN_MAX_THREADS 1024   /* t= is 0 .. 1023 */

struct gen_params {
    /* Common to every workload. */
    uint64_t events;      /* at most this many events */
    uint64_t seed;
    uint64_t page_size;   /* model page size the sizes are derived from */
    unsigned threads;     /* > 1: events carry t= (see gen.c, "threads") */
    unsigned cross_free;  /* percent of frees issued by another thread */
    /* When set and *stop becomes nonzero (a signal handler's flag), the
     * gen_write under way stops within an event and fails with EINTR. */
    const volatile sig_atomic_t *stop;

    /* Workload options, filled by gen_check from the given text or the
     * workload's defaults. Sizes are bytes. */
    uint64_t size;                   /* pairs */
    bool     contig, zero;           /* pairs; aging: contig fill */
    uint64_t order;                  /* pages: 2^order pages per request */
    uint64_t live;                   /* churn, long_busy_list */
    uint64_t min_size, max_size;     /* size ranges */
    uint64_t life;                   /* short lifetime, in allocations */
    uint64_t long_pct;               /* share of long-lived blocks */
    uint64_t long_life;              /* long lifetime; 0: the whole trace */
    unsigned mix[GEN_CLASSES];       /* mixed: weights */
    uint64_t range, step;            /* threshold */
    uint64_t memory, fill_pct, free_pct, max_order;  /* aging */
    uint64_t junk;                   /* full_fit: bytes of holes */
    uint64_t pages;                  /* test_vmalloc: pages per request */
    uint64_t align, max_align;       /* fix_align, random_size_align */

    /* What gen_check changed to fit p->events (a workload's fit), for a
     * comment line after the trace's header; empty when nothing. */
    char note[192];

    /* Options the user gave (GEN_OPT bits) and their text (gen_set). A
     * caller may instead set a field and its bit, leaving text NULL. */
    uint32_t given;
    const char *text[GEN_N_OPTS];
};

struct gen_rng {
    uint64_t state;
};

/* What an emit function writes to. */
struct gen_out {
    FILE *f;
    uint64_t events;      /* written so far */
    uint64_t next_id;
    struct gen_rng rng;   /* the workload's own randomness */
    struct gen_rng xrng;  /* cross-thread frees: apart, so that --threads
                             relabels a trace without changing it */
    unsigned threads, cross_free;
    uint64_t thread_key;
    const volatile sig_atomic_t *stop;
    bool stopped;         /* *stop was seen: nothing more is written */
};

/* An option a workload reads, with its default as the user would type it. */
struct gen_knob {
    enum gen_opt opt;
    const char *def;      /* "16", "2K", "1.1p" (pages), "off" */
    const char *what;     /* its meaning for this workload */
};

struct gen_workload {
    const char *name;
    const char *summary;  /* one line for the list */
    const char *question; /* what it measures (xen-allocators.md) */
    const struct gen_knob *knobs;    /* ended by an entry with def NULL */
    /* Optional: checks resolved parameters; -1 with one line in WHY. */
    int (*check)(const struct gen_params *p, char *why, size_t len);
    /* Writes at most p->events events; -1 with errno on failure. */
    int (*emit)(struct gen_out *out, const struct gen_params *p);
    /* Optional: when the defaults need more than p->events events, shrinks
     * those the user did not give (memory to fill, junk, live blocks) and
     * says so in p->note; check then refuses what still does not fit. */
    void (*fit)(struct gen_params *p);
};

/* The name, metavariable (NULL for a flag) and meaning of an option. */
struct gen_option {
    const char *name;     /* without the leading "--" */
    const char *arg;
    const char *help;
};

/* Defaults for the common fields; workload options come from gen_check. */
void gen_params_defaults(struct gen_params *p);

const struct gen_workload *gen_find(const char *name);
const struct gen_workload *gen_list(size_t *count);

/* Every workload option, indexed by enum gen_opt. */
const struct gen_option *gen_options(size_t *count);

/* Index of the option NAME (without "--"), or -1. */
int gen_option_find(const char *name);

/*
 * Records option NAME = VALUE (VALUE may be NULL for a flag) for gen_check
 * to parse once the page size is known. VALUE is not copied. Returns 0, or
 * -1 with one line in WHY for an unknown name.
 */
int gen_set(struct gen_params *p, const char *name, const char *value,
            char *why, size_t len);

/*
 * Parses the given options and fills the others from W's defaults, shrinks
 * defaults that need more events than p->events (p->note says which), then
 * checks them against W; on failure one line in WHY, returns -1.
 */
int gen_check(const struct gen_workload *w, struct gen_params *p,
              char *why, size_t len);

/* Writes the whole trace (header included). 0, or -1 with errno on a
 * write error, or EINTR when p->stop asked it to stop. */
int gen_write(const struct gen_workload *w, const struct gen_params *p, FILE *f);

/* A workload's help: its summary, question and options with defaults. */
void gen_workload_help(const struct gen_workload *w, uint64_t page_size,
                       FILE *f);

/* Id of the probe block of aging's round ROUND and order ORDER. */
#define GEN_PROBE_ID_BASE 1000000000000ULL
#define GEN_PROBE_ID(round, order) \
    (GEN_PROBE_ID_BASE + 100ULL * (round) + (order))

#endif
