/*
 * The model's knobs, one row each in knobs.c: the struct heap_config field
 * a knob sets, its bench.toml key (which is also its JSON key), its
 * command-line option, the values the model can run, and its help line.
 * Everything that names a knob is made from that table and from nothing
 * else: the options of xheap replay and xheap access and their --help
 * lines, bench.toml's [model] keys, the JSON "config" that replay, access
 * and the suite write, and the suite's child command lines. The defaults
 * are heap_config_defaults' (backends/heap.c), read from there.
 */
#ifndef XHEAP_MEASURE_KNOBS_H
#define XHEAP_MEASURE_KNOBS_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "backends/heap.h"

enum knob_type {
    KNOB_PAGE,    /* a model page size: 4K, 16K or 64K */
    KNOB_SIZE,    /* bytes: 4096, 64K, 1G */
    KNOB_COUNT,   /* a plain number */
    KNOB_BOOL,    /* the option is a flag that sets the knob's .flag */
    KNOB_FLUSH,   /* page, range or lazy */
    KNOB_PRESET,  /* x86, arm64 or arm32: a preset of the knobs below */
    KNOB_BOOTSCRUB, /* idle, on or off */
};

/* The table's rows, in the order ranges depend on each other: a knob's
 * range may depend on the knobs above it, never below. --arch comes first:
 * it is a preset of the knobs below it, and a knob set on its own wins
 * over it wherever either stands (heap_config_arch, cfg->knobs_set). */
enum knob_id {
    KNOB_ARCH, KNOB_PAGE_SIZE, KNOB_MEMORY, KNOB_MAX_ORDER, KNOB_XENHEAP,
    KNOB_VMAP_SIZE,
    KNOB_DIRECTMAP, KNOB_SCRUB, KNOB_HUGEPAGES, KNOB_FLUSH_POLICY,
    KNOB_LAZY_MAX_PAGES, KNOB_CPUS, KNOB_IDLE_SCRUB_EVERY, KNOB_XENHEAP_BITS,
    KNOB_BOOTSCRUB_MODE,
    KNOB_MODEL_N,   /* the above: every path; the below: replay's fault
                       injection (docs/faults.md), on its command line only */
    KNOB_MAX_MAP_COUNT = KNOB_MODEL_N, KNOB_FAIL_MAP_AT, KNOB_FAIL_MAP_EVERY,
    KNOB_FAIL_UNMAP_AT, KNOB_FAIL_UNMAP_EVERY,
    KNOB_N
};

struct knob {
    const char *name;      /* bench.toml key and JSON key */
    const char *option;    /* long option, without the dashes */
    const char *arg;       /* the value in --help; NULL for a flag */
    enum knob_type type;
    size_t offset, size;   /* the field in struct heap_config */
    uint64_t min, max;     /* whatever the other knobs are */
    bool flag;             /* KNOB_BOOL: what the option sets */
    const char *help;      /* lines after the first are split by '\n' */
};

extern const struct knob knobs[KNOB_N];

/* getopt_long codes of the knobs: KNOB_OPT + id, above any command's own. */
#define KNOB_OPT 0x1000

uint64_t knob_get(const struct heap_config *cfg, unsigned id);
/* Sets knob ID as a user does: --arch applies its preset to the knobs not
 * set on their own; any other knob is marked set on its own (an --arch
 * before or after it leaves it alone); memory moves Arm32's xenheap. */
void knob_set(struct heap_config *cfg, unsigned id, uint64_t v);

/* Appends the getopt_long entries of knobs [0, n) to OUT; returns n. */
size_t knob_options(struct option *out, unsigned n);

/* Applies getopt code C with ARG to CFG: 0; EXIT_USAGE after one line when
 * ARG is no value of the knob's type or outside its fixed range; -1 when C
 * is no knob's. */
int knob_option(const char *cmd, int c, const char *arg,
                struct heap_config *cfg);

/* The --help lines of knobs [from, to), with ranges and defaults. */
void knobs_help(FILE *f, unsigned from, unsigned to);

/*
 * Whether knob ID of CFG is a value the model can run, given the knobs
 * above it; WANT gets the values it can take ("1 .. 29 (...)"). The bounds
 * come from backends/ (frame numbers, the buddy allocator, the vmap
 * bitmap), from the address space a process has, and from this host's
 * memory: the frames the model's memory may touch are real.
 */
bool knob_ok(unsigned id, const struct heap_config *cfg, char *want,
             size_t len);
/* The first of knobs [0, n) that cannot run, with WANT; -1 when none. */
int knobs_check(const struct heap_config *cfg, unsigned n, char *want,
                size_t len);
/* knobs_check for a command line: 0, or EXIT_USAGE after one line that
 * names the option, its value and its range. */
int knobs_check_options(const char *cmd, const struct heap_config *cfg,
                        unsigned n);

/* The largest memory the model may have at CFG's page size. */
uint64_t knob_memory_max(const struct heap_config *cfg);

/* Knob ID's value in CFG as a user would write it: 64M, lazy, true. */
void knob_text(unsigned id, const struct heap_config *cfg, char *buf,
               size_t len);

/* 64M, 1G, 12288: V in the largest unit that divides it. */
void size_text(uint64_t v, char *buf, size_t len);

/* Sets knobs [0, n) of CFG in OBJ under their names. */
void knobs_json(json_t *obj, const struct heap_config *cfg, unsigned n);

/* Knob ID of CFG as one command-line argument ("--memory=1073741824",
 * "--no-scrub") into BUF; false when a flag has nothing to say. */
bool knob_arg(unsigned id, const struct heap_config *cfg, char *buf,
              size_t len);

#endif
