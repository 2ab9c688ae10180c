/*
 * The suite configuration: bench.toml read, checked, and made concrete.
 *
 * A suite is [model] and [run] settings plus [[experiment]] entries; each
 * experiment may override [model] and [run] keys for itself. An experiment
 * expands into points, one per combination of its page sizes, sweep
 * values, thread counts, flush-peer counts and backends (backends vary
 * fastest, so that backends compared with each other run close in time).
 * A point is one measurement: a heap_config, a workload, a replay setup.
 *
 * Everything a point needs is checked when the file is loaded, so that a
 * mistake stops the suite before it starts, with one line naming the file
 * and the line: "bench.toml:12: unknown key 'pagesize' in [model]".
 * docs/bench-toml.md documents every key and its default.
 */
#ifndef XHEAP_CONFIG_H
#define XHEAP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "backends/heap.h"
#include "drivers/measure/threads.h"
#include "workloads/gen.h"

/* Thread and flush-peer counts that depend on the machine. */
#define CONFIG_ALL   UINT32_MAX         /* every core; peers: every other */
#define CONFIG_SCALE (UINT32_MAX - 1)   /* 1, 2, 4 .. all; peers 0, 1, 3 .. */

#define CONFIG_MAX_COUNTS 64            /* entries of a thread or peer list */
#define CONFIG_MAX_SWEEPS 4             /* sweep keys in one experiment */
#define CONFIG_MAX_POINTS 100000        /* points in one experiment */
#define CONFIG_VALUE_LEN  64            /* a value as written, at most */

/* A list of counts as written: numbers, CONFIG_ALL, or one CONFIG_SCALE. */
struct config_counts {
    size_t n;
    uint32_t v[CONFIG_MAX_COUNTS];
};

struct run_config {
    unsigned repetitions, warmup;
    struct config_counts threads, flush_peers;
    enum pin_mode pin;
    char *counters;          /* "a,b,c" for counters_parse; "" for none */
    uint64_t seed;
    double quick_scale;      /* --quick: events and accesses times this */
    unsigned quick_repetitions;   /* --quick: at most this many */
    double point_timeout_s;  /* one measurement is abandoned after this */
    double budget_s, quick_budget_s;   /* the whole suite; [run] only */
};

enum experiment_kind {
    EXP_REPLAY,              /* replay a generated or recorded trace */
    EXP_ACCESS,              /* the access-cost probe (question 9) */
};

/* The access-cost probe (drivers/measure/access.h): allocate WORKING_SET in
 * blocks of BLOCK bytes, then follow ACCESSES links through it. */
struct access_config {
    uint64_t working_set, block, accesses;
    bool sequential;         /* address order instead of random */
    bool write;              /* each access also writes its line */
};

/* A value of a swept key, as checked: its number and its text. */
struct config_value {
    uint64_t u;              /* bytes, a count, 0/1, an enum */
    char text[CONFIG_VALUE_LEN];   /* as written: "16K", "true", "1.1p" */
};

enum sweep_target { SWEEP_MODEL, SWEEP_WORKLOAD, SWEEP_ACCESS };

struct config_sweep {
    enum sweep_target target;
    char key[CONFIG_VALUE_LEN];   /* as in the file: "directmap", "size" */
    int id;                  /* the key's index in its section */
    unsigned line;
    size_t n;
    struct config_value *values;
};

struct experiment {
    char *name;              /* unique; names result files */
    char *label;             /* "Q1" .. "Q9", or the question as written */
    unsigned question;       /* 1..9; 0 when the question is a label */
    char *title;             /* one line for figures; the name if not given */
    char *description;
    enum experiment_kind kind;
    bool enabled, quick;     /* quick: also run under --quick */
    unsigned line;           /* its [[experiment]] header */

    /* EXP_REPLAY: a generator and its options, or a recorded trace. */
    const struct gen_workload *workload;
    char *trace;             /* relative to the config file's folder */
    struct gen_params gen;   /* as written; see config_point */
    char *gen_text[GEN_N_OPTS];   /* owns gen.text[] */

    struct access_config access;  /* EXP_ACCESS */

    size_t n_backends;
    char **backends;
    size_t n_page_sizes;
    size_t *page_sizes;
    struct heap_config model;     /* [model] with the overrides applied */
    struct run_config run;        /* [run] with the overrides applied */
    size_t n_sweeps;
    struct config_sweep sweeps[CONFIG_MAX_SWEEPS];
};

struct suite_config {
    char *path;
    char *calibration;       /* calibration = "FILE", as a path; NULL */
    struct heap_config model;
    struct run_config run;
    size_t n_experiments;
    struct experiment *experiments;
};

/* What a point depends on besides the file. */
struct config_env {
    unsigned cores;          /* CPUs the suite may use */
    bool quick;
};

/* One measurement of an experiment. */
struct config_point {
    const struct experiment *exp;
    size_t index;            /* 0 .. config_points() - 1 */
    const char *backend;
    struct heap_config model;    /* page size and model sweeps applied */
    struct gen_params gen;       /* checked by gen_check; EXP_REPLAY only */
    struct access_config access; /* EXP_ACCESS only */
    unsigned threads, flush_peers, repetitions, warmup;
    size_t choice[CONFIG_MAX_SWEEPS];  /* index into each sweep's values */
};

/* The built-in suite: [model] = heap_config_defaults(), [run] defaults, no
 * experiments. -1 when memory runs out. */
int  config_defaults(struct suite_config *c);

/* Reads PATH into OUT; -1 with one line in WHY ("FILE:LINE: ..."). */
int config_load(const char *path, struct suite_config *out, char *why,
                size_t len);
/* The same from TEXT, called NAME in messages; traces are found relative
 * to the current folder. */
int config_parse(const char *name, const char *text, size_t text_len,
                 struct suite_config *out, char *why, size_t len);

void config_free(struct suite_config *c);

const struct experiment *config_find(const struct suite_config *c,
                                     const char *name);

/* Whether E runs in ENV: enabled, and marked quick under --quick. */
bool config_runs(const struct experiment *e, const struct config_env *env);

/* The counts of C on a machine of CORES: "all" and "scale" expanded,
 * repeats dropped. Returns how many were written to OUT (at most MAX). */
size_t config_counts_resolve(const struct config_counts *c, bool peers,
                             unsigned cores, uint32_t *out, size_t max);

/* How many points E has in ENV. */
size_t config_points(const struct experiment *e, const struct config_env *env);

/* Point I of E in ENV; -1 with WHY when the point's workload or model
 * cannot be made (config_load already checked every value). */
int config_point(const struct experiment *e, const struct config_env *env,
                 size_t i, struct config_point *pt, char *why, size_t len);

/*
 * The point that is point I of E but for one coordinate: the K-th of the
 * experiment's page sizes (DIM CONFIG_DIM_PAGE), or the K-th value of its
 * sweep DIM. The points an answer compares under two models (Q6's page
 * sizes, Q7's directmap) are found so (rounds.h).
 */
#define CONFIG_DIM_PAGE (-1)
size_t config_point_moved(const struct experiment *e,
                          const struct config_env *env, size_t i, int dim,
                          size_t k);
/* Point I's index in DIM (as config_point_moved's K). */
size_t config_point_at(const struct experiment *e,
                       const struct config_env *env, size_t i, int dim);

/* The effective configuration, for results.json: every key, defaults
 * included, under the names bench.toml uses. */
json_t *config_json(const struct suite_config *c);
json_t *config_experiment_json(const struct experiment *e);
/* A point's coordinates: id, backend, page size, threads, peers, sweeps. */
json_t *config_point_json(const struct config_point *pt);

/*
 * A point's id, stable across machines and runs of the same file:
 * "q2-vmalloc-size/vmalloc/peers=1/size=64K". The page size, threads and
 * flush peers appear when they are not 4K, 1 and 0, or when the experiment
 * lists several page sizes; then each sweep as key=value as written.
 * Returns the length snprintf would write.
 */
int config_point_id(const struct config_point *pt, char *buf, size_t len);

/* The keys a section accepts ("model", "run", "experiment", "access"),
 * for documentation checks; NULL-terminated. */
const char *const *config_keys(const char *section);

#endif
