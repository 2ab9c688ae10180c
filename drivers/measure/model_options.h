/*
 * The model knobs on the command line: xheap replay and xheap access take
 * the same ones, spelled the same, parsed by one function into a
 * struct heap_config. Each command puts MODEL_OPTIONS (and replay also
 * FAULT_OPTIONS) in its getopt_long table and hands unknown codes here.
 */
#ifndef XHEAP_MODEL_OPTIONS_H
#define XHEAP_MODEL_OPTIONS_H

#include <getopt.h>

#include "backends/heap.h"

/* Codes above any command's own, so that the two never meet. */
enum model_opt {
    MODEL_OPT_PAGE_SIZE = 0x1000, MODEL_OPT_MEMORY, MODEL_OPT_XENHEAP,
    MODEL_OPT_VMAP_SIZE, MODEL_OPT_MAX_ORDER, MODEL_OPT_NO_DIRECTMAP,
    MODEL_OPT_NO_SCRUB, MODEL_OPT_HUGEPAGES, MODEL_OPT_FLUSH,
    MODEL_OPT_LAZY_MAX_PAGES, MODEL_OPT_MAX_MAP_COUNT, MODEL_OPT_FAIL_MAP_AT,
    MODEL_OPT_FAIL_MAP_EVERY, MODEL_OPT_FAIL_UNMAP_AT,
    MODEL_OPT_FAIL_UNMAP_EVERY, MODEL_OPT_IDLE_SCRUB_EVERY,
    MODEL_OPT_XENHEAP_BITS,
};

#define MODEL_OPTIONS \
    { "page-size",      required_argument, NULL, MODEL_OPT_PAGE_SIZE }, \
    { "memory",         required_argument, NULL, MODEL_OPT_MEMORY }, \
    { "xenheap",        required_argument, NULL, MODEL_OPT_XENHEAP }, \
    { "vmap-size",      required_argument, NULL, MODEL_OPT_VMAP_SIZE }, \
    { "max-order",      required_argument, NULL, MODEL_OPT_MAX_ORDER }, \
    { "no-directmap",   no_argument,       NULL, MODEL_OPT_NO_DIRECTMAP }, \
    { "no-scrub",       no_argument,       NULL, MODEL_OPT_NO_SCRUB }, \
    { "hugepages",      no_argument,       NULL, MODEL_OPT_HUGEPAGES }, \
    { "flush",          required_argument, NULL, MODEL_OPT_FLUSH }, \
    { "lazy-max-pages", required_argument, NULL, MODEL_OPT_LAZY_MAX_PAGES }, \
    { "idle-scrub-every", required_argument, NULL, MODEL_OPT_IDLE_SCRUB_EVERY }, \
    { "xenheap-bits",   required_argument, NULL, MODEL_OPT_XENHEAP_BITS }

/* Fault injection (docs/faults.md). */
#define FAULT_OPTIONS \
    { "max-map-count",  required_argument, NULL, MODEL_OPT_MAX_MAP_COUNT }, \
    { "fail-map-at",    required_argument, NULL, MODEL_OPT_FAIL_MAP_AT }, \
    { "fail-map-every", required_argument, NULL, MODEL_OPT_FAIL_MAP_EVERY }, \
    { "fail-unmap-at",  required_argument, NULL, MODEL_OPT_FAIL_UNMAP_AT }, \
    { "fail-unmap-every", required_argument, NULL, MODEL_OPT_FAIL_UNMAP_EVERY }

/* Applies option C of command CMD to CFG: 0, EXIT_USAGE after one line on
 * a bad value, or -1 when C is not a model knob. */
int model_option(const char *cmd, int c, const char *arg,
                 struct heap_config *cfg);

#endif
