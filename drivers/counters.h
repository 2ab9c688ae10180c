/*
 * Hardware and software event counters named with --counters.
 *
 * This version only records the names: each reports null ("unsupported"),
 * and the result says why. The perf_event_open implementation replaces
 * these functions and keeps their shape.
 */
#ifndef XHEAP_COUNTERS_H
#define XHEAP_COUNTERS_H

#include <stddef.h>

#include <jansson.h>

#define COUNTERS_MAX 32

struct counter_set {
    size_t n;
    char *names[COUNTERS_MAX];
};

/* Splits "a,b,c" into S; on a bad list one line in WHY and -1. */
int  counters_parse(const char *list, struct counter_set *s, char *why,
                    size_t len);
void counters_free(struct counter_set *s);

/* Adds "counters" (and "counters_note") to the result object ROOT. */
void counters_report(const struct counter_set *s, json_t *root);

#endif
