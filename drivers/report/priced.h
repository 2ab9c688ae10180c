/*
 * Xen's mapping work of each run, priced: the counts of the replay's
 * "mapping" object times the units of the run's calibration.json
 * (drivers/measure/calibrate.h), kept in run.metrics.priced_ns beside the
 * host time the run measured. The two are different things and stay apart:
 * the host time is what Linux's mmap/munmap cost this machine, the priced
 * part what Xen's own flushes, IPIs, entry writes and table frames would
 * cost at the calibration's units.
 *
 * run.metrics.priced_ns, when the run's counts are all there:
 *   total_ns, spread_ns   the run's whole mapping work, and the sum of
 *                         count x the unit's MAD (0 where every unit is a
 *                         point value: a default or a file's number)
 *   per_op_ns, per_op_spread_ns   the same per replayed event
 *   per_alloc_ns          per allocation (a vmalloc+vfree pair in Q2)
 *   cpus, parts, complete, ipi     as price_json() gives them
 *   calibration           which sources priced it, one short line
 *   calibration_cited     the same with the defaults' citations
 *   calibration_kinds     "measured+default": for a figure's series
 *   by_cpus               [{cpus, total_ns, spread_ns, complete, ipi}]
 *                         for 1 .. the calibration's online CPUs and
 *                         PRICED_LARGE_CPUS
 * and when a count the pricing needs is absent: total_ns null and "why".
 */
#ifndef XHEAP_PRICED_H
#define XHEAP_PRICED_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "drivers/measure/calibrate.h"

/* The modelled larger machine Q2 is priced for besides this one: Xen
 * flushes every online CPU, and servers it runs on have this many. */
#define PRICED_LARGE_CPUS 64

/* The mapping keys pricing needs; a run whose JSON lacks one is not
 * priced (an older xheap, or a backend that maps nothing). */
extern const char *const priced_keys[];

/* Sets RUN's metrics.priced_ns from MAPPING (the child's "mapping"
 * object) and C. */
void priced_run(json_t *run, const json_t *mapping,
                const struct calibration *c);

/* The same, reading the mapping object from the child's JSON file. */
void priced_collect(json_t *run, const char *json_path,
                    const struct calibration *c);

/* "measured here (pte_write, ...); default (invlpg: CITATION, ...)": which
 * source gave which unit, for answers (CITE false: the defaults' units
 * named without their citations, which the caveats give; a file's by its
 * name) and caveats. */
void priced_sources(const struct calibration *c, bool cite, char *out,
                    size_t len);

/* Short and comma-free, for a figure's series: "measured+default". */
void priced_source_kinds(const struct calibration *c, char *out, size_t len);

/* results.json's "calibration": the file, each unit's value and source. */
json_t *priced_calibration_json(const struct calibration *c,
                                const char *file, const char *user_file);

#endif
