/*
 * The unit costs of Xen's mapping primitives on this machine, and the
 * pricing of Xen's counted mapping work with them (measurement.md,
 * "Measuring the units").
 *
 * A calibration holds one value per unit, each with its spread (the median
 * absolute deviation of its samples), its number of samples and where it
 * came from:
 *   "measured: HOW"        measured here by xheap calibrate;
 *   "default: CITATION"    a published figure, where this machine cannot
 *                          measure the unit (a ring-0 instruction without a
 *                          native KVM, say);
 *   "file: PATH"           read from a calibration file a user gave, for
 *                          pricing with another machine's numbers.
 * A unit nobody could give (the cross-CPU flush on a 1-CPU machine) stays
 * unknown, with the reason in its source; pricing then says the total is
 * incomplete instead of guessing.
 *
 * All values are nanoseconds.
 */
#ifndef XHEAP_CALIBRATE_H
#define XHEAP_CALIBRATE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

enum calib_unit {
    CU_NULL_SYSCALL,   /* getppid through syscall(): subtracted from CU_FLUSH_IPI */
    CU_PTE_WRITE,      /* one 8-byte page-table entry store */
    CU_PT_FRAME,       /* zeroing one 4K page-table frame */
    CU_INVLPG,         /* local invalidation of one 4K entry */
    CU_FULL_FLUSH,     /* local full flush: a CR3 write */
    CU_FLUSH_IPI,      /* flush round trip to every other online CPU */
    CU_N
};

#define CALIB_SOURCE     512
/* Cross-CPU points kept: up to this many other CPUs are measured one by
 * one; beyond, the fit extrapolates (a 2-core laptop to a 256-CPU host). */
#define CALIB_MAX_POINTS 64

struct calib_value {
    bool known;                /* false: value is NAN, source says why */
    double value, spread;      /* median and MAD of the samples, ns */
    unsigned n;                /* samples (0: a default or a file's value) */
    char source[CALIB_SOURCE];
};

/* The flush round trip with TARGETS other CPUs interrupted. */
struct calib_point {
    unsigned targets;
    struct calib_value v;
};

struct calibration {
    struct calib_value unit[CU_N];
    unsigned online_cpus;      /* of the machine measured */
    bool quick;
    /* CU_FLUSH_IPI against the number of CPUs interrupted, and its line:
     * round_trip(k) = fit_base + fit_per_target * k. */
    unsigned n_points;
    struct calib_point point[CALIB_MAX_POINTS];
    bool fit_known;
    double fit_base, fit_per_target;
    char fit_how[CALIB_SOURCE];
    /* The KVM probe: "suitable", "unsuitable here: REASON" or "not run:
     * REASON", and what it saw (NAN when not run). Unsuitable numbers are
     * kept only as evidence of the verdict, never as units. */
    char kvm_status[CALIB_SOURCE];
    double kvm_invlpg_ns, kvm_full_flush_ns, kvm_exit_ns;
};

/* The unit's JSON key, unit of measure and one-line meaning. */
const char *calib_unit_name(enum calib_unit u);
const char *calib_unit_what(enum calib_unit u);
#define CALIB_UNIT_OF_MEASURE "ns"

/* Every unit unknown, "not measured" as its source. */
void calib_init(struct calibration *c);

/* Measures every unit it can and fills the rest from the defaults (below).
 * QUICK bounds it to a few seconds. Progress lines go to LOG (may be NULL). */
void calib_measure(struct calibration *c, bool quick, FILE *log);

/* Fills the units still unknown that have a published default. */
void calib_apply_defaults(struct calibration *c);

/* Fits the round-trip line to the points (least squares; flat with one). */
void calib_fit(struct calibration *c);

/* The round trip with TARGETS other CPUs: the measured point when there
 * is one, else the fit; NAN when neither. *extrapolated says which. */
double calib_flush_round_trip(const struct calibration *c, unsigned targets,
                              bool *extrapolated);

/* calibration.json's object; NULL when out of memory. */
json_t *calib_json(const struct calibration *c);

/*
 * Merges a calibration file (the layout calib_json writes; any subset of
 * the units) into C: each unit it names replaces C's, with the source
 * "file: PATH" (followed by the file's own source in parentheses where it
 * gives one). Returns 0, or -1 with WHY = "PATH:LINE: what is wrong".
 */
int calib_load_file(struct calibration *c, const char *path,
                    char *why, size_t len);

/* Prints one line per unit: name, value, spread, n, source. */
void calib_print(const struct calibration *c, FILE *f);

/* ---- pricing ------------------------------------------------------- */

/*
 * Xen's mapping work for one run, from the replay JSON's "mapping" object
 * (whose "flushes" include the full ones: mapping_counts_from_json takes
 * them apart): flushes (one flush_area_all of one 4K entry each: a local
 * INVLPG and, with other CPUs online, one IPI round trip), full_flushes
 * (a local full flush and a round trip each), pte_writes, pt_frames
 * (page-table frames allocated, each zeroed), flush_ipis (broadcast
 * flushes times the other online CPUs), for a machine of cpus_counted
 * online CPUs.
 */
struct mapping_counts {
    double flushes, full_flushes, pte_writes, pt_frames, flush_ipis;
    unsigned cpus_counted;
};

/* Reads MAPPING ("pt_frames" a number, or an object whose "allocated" is
 * taken); keys it lacks count 0; "cpus" in it, when present, overrides
 * CPUS_COUNTED. 0, or -1 with WHY. */
int mapping_counts_from_json(const json_t *mapping, unsigned cpus_counted,
                             struct mapping_counts *m, char *why, size_t len);

enum price_part { PP_INVLPG, PP_FULL_FLUSH, PP_PTE_WRITE, PP_PT_FRAME,
                  PP_FLUSH_IPI, PP_N };

struct price_line {
    const char *name;          /* the count's key; flush_broadcasts for
                                  the IPI line: flush_ipis / others */
    double count, unit_ns, ns; /* ns = count * unit_ns; NAN when unknown */
    bool known;
    const char *source;        /* the unit's source */
};

struct price {
    unsigned cpus;             /* the machine priced for */
    struct price_line line[PP_N];
    double total_ns;           /* the sum of the known lines */
    bool complete;             /* every line with a nonzero count known */
    char ipi_how[CALIB_SOURCE];
};

/*
 * Prices M on a machine of CPUS online CPUs (0: M's own). Broadcast
 * flushes are flush_ipis / (cpus_counted - 1); each costs the round trip to
 * CPUS - 1 others, read from the calibration's measured points or, past
 * them, its fitted line (price.ipi_how says which).
 */
void calib_price(const struct calibration *c, const struct mapping_counts *m,
                 unsigned cpus, struct price *out);

json_t *price_json(const struct price *p);

#endif
