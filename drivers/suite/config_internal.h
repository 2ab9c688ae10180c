/*
 * Internals of the bench.toml reader (config.h), shared by its files:
 *
 *   config_keys.c        the key tables, their kinds and defaults
 *   config_read.c        errors naming FILE:LINE, and the value readers
 *   config_model.c       [model] and [run], and the model's consistency
 *   config_workload.c    [experiment.workload] (gen.h's options) and
 *                        [experiment.access]
 *   config_sweeps.c      [experiment.sweep.*]
 *   config_experiment.c  one [[experiment]]
 *   config_load.c        the suite: config_load, config_parse, config_free
 *   config_points.c      experiments expanded into points, and their ids
 *   config_json.c        the effective configuration as JSON
 */
#ifndef XHEAP_CONFIG_INTERNAL_H
#define XHEAP_CONFIG_INTERNAL_H

#include "drivers/suite/config.h"
#include "drivers/measure/knobs.h"
#include "drivers/suite/toml/toml_shim.h"

/* [run] defaults (docs/bench-toml.md lists them all). */
#define RUN_REPETITIONS       5
#define RUN_WARMUP            1
#define RUN_PIN               PIN_COMPACT
#define RUN_SEED              1
#define RUN_QUICK_SCALE       0.1
#define RUN_QUICK_REPETITIONS 2
#define RUN_POINT_TIMEOUT_S   120.0
#define RUN_BUDGET_S          (15 * 60.0)   /* issue 4: 15 minutes on 2 cores */
#define RUN_QUICK_BUDGET_S    (2 * 60.0)

/* [experiment.access] defaults, those of xheap access: a working set well
 * past the dTLB's reach with 4K mappings, well within it with 2M ones. */
#define ACCESS_WORKING_SET    (64ull << 20)
#define ACCESS_BLOCK          (64ull << 10)
#define ACCESS_ACCESSES       2000000ull
/* The probe wants the model's memory to hold its working set twice over:
 * the blocks' rounding and the model's own metadata need room. */
#define ACCESS_MEMORY_FACTOR  2

/* Limits that catch typing mistakes, not machine limits. */
#define MAX_REPETITIONS       10000
#define MAX_WARMUP            1000
#define MAX_SWEEP_VALUES      64
/* Events of one generated trace: 100M events are about 2 GB of trace and
 * seconds of generation per point; 2^63 would fill the disk. */
#define MAX_EVENTS            100000000ull
/* Durations (point_timeout, budget): about 31 years. */
#define MAX_DURATION_S        1e9
#define MAX_NAME              48
#define QUICK_MIN_EVENTS      100         /* --quick never goes below */
#define QUICK_MIN_ACCESSES    100000
#define SUGGEST_DISTANCE      2           /* "did you mean" up to 2 edits */

#define WHY_TEMP              512

/* ---- the keys ------------------------------------------------------- */

enum kind {
    V_SIZE,       /* 4096, "4K", "1G" */
    V_PAGE,       /* a model page size: 4K, 16K or 64K */
    V_COUNT,      /* an integer within [min, max] */
    V_BOOL,
    V_FLUSH,      /* flush_policy_parse */
    V_ARCH,       /* xen_arch_parse */
    V_BOOTSCRUB,  /* bootscrub_parse */
    V_PIN,        /* pin_mode_parse */
    V_PATTERN,    /* random or sequential */
    V_COUNTS,     /* threads, flush peers: config_counts */
    V_EVENTS,     /* perf counter names */
    V_FRACTION,   /* (0, 1] */
    V_DURATION,   /* seconds, or "90s", "15m", "1h", "500ms" */
};

struct key {
    const char *name;
    enum kind kind;
    uint64_t min, max;    /* V_COUNT */
};

/* [model]'s keys are the model knobs (drivers/measure/knobs.h), in the
 * knob table's order. */
enum model_key { MK_PAGE_SIZE = KNOB_PAGE_SIZE, MK_N = KNOB_MODEL_N };

enum run_key {
    RK_REPETITIONS, RK_WARMUP, RK_THREADS, RK_FLUSH_PEERS, RK_PIN,
    RK_COUNTERS, RK_SEED, RK_QUICK_SCALE, RK_QUICK_REPETITIONS,
    RK_POINT_TIMEOUT, RK_BUDGET, RK_QUICK_BUDGET, RK_N
};

enum access_key { AK_WORKING_SET, AK_BLOCK, AK_ACCESSES, AK_PATTERN,
                  AK_WRITE, AK_N };

/* [experiment.workload]'s own keys; the rest are the generator's options. */
enum workload_key { WK_NAME, WK_TRACE, WK_EVENTS, WK_CROSS_FREE, WK_N };

/* [model]'s keys, made from the knob table when first asked for. */
const struct key *model_key_table(void);
#define model_keys (model_key_table())
extern const struct key run_keys[RK_N];
extern const struct key access_keys[AK_N];
extern const struct key workload_keys[WK_N];
/* The keys of [[experiment]] itself; NULL-terminated. */
extern const char *const experiment_names[];

/* Keys of [run] that describe the whole suite, not one experiment. */
bool suite_only(int k);

/* ---- the loader ----------------------------------------------------- */

/* One file being read: where its messages go. */
struct loader {
    const char *file;     /* as named in messages */
    char *dir;            /* its folder: traces are relative to it */
    char *why;
    size_t len;
};

/* The lines model keys were last set on, for consistency errors. */
struct model_lines {
    unsigned line[MK_N];
};

/* config_keys.c: the run defaults */
void run_defaults(struct run_config *r);
int run_alloc_defaults(struct run_config *r);
void run_free(struct run_config *r);
int run_copy(struct run_config *to, const struct run_config *from);

/* config_read.c: errors and values */
__attribute__((format(printf, 3, 4)))
int fail(struct loader *L, unsigned line, const char *fmt, ...);
const char *suggest(const char *key, const char *const *names,
                    char *buf, size_t len);
int unknown_key(struct loader *L, const struct toml_node *n,
                const char *where, const char *const *names);
int find_key(const struct key *keys, size_t n, const char *name);
int read_scalar(struct loader *L, const struct toml_node *n,
                const struct key *k, const char *where,
                struct config_value *v);
int read_fraction(struct loader *L, const struct toml_node *n,
                  const struct key *k, const char *where, double *out);
int read_duration(struct loader *L, const struct toml_node *n,
                  const struct key *k, const char *where, double *out);
int read_counts(struct loader *L, const struct toml_node *n,
                const struct key *k, const char *where,
                struct config_counts *out);
int read_events(struct loader *L, const struct toml_node *n,
                const struct key *k, const char *where, char **out);

/* config_model.c: [model] and [run] */
void model_apply(struct heap_config *m, int k, uint64_t u);
int read_model(struct loader *L, const struct toml_node *t,
               const char *where, struct heap_config *m,
               struct model_lines *lines);
int read_run(struct loader *L, const struct toml_node *t,
             const char *where, bool suite, struct run_config *r);
int check_model(struct loader *L, const struct heap_config *m,
                const struct model_lines *ml, unsigned fallback);

/* config_workload.c: workloads and the access probe */
int gen_option_of(const char *key);
const struct gen_option *gen_option_at(int opt);
bool workload_reads(const struct gen_workload *w, int opt);
const char *toml_spelling(int opt, char *buf, size_t len);
int option_text(struct loader *L, const struct toml_node *n, int opt,
                const char *where, char *buf, size_t len,
                const char **text, bool *set);
void gen_prepare(const struct experiment *e, const struct heap_config *m,
                 struct gen_params *p);
int gen_try(const struct experiment *e, const struct heap_config *m,
            char *why, size_t len);
int gen_put(struct gen_params *p, int opt, const char *text, char *why,
            size_t len);
int read_workload(struct loader *L, const struct toml_node *t,
                  const char *exp_where, struct experiment *e,
                  unsigned *opt_line);
void access_apply(struct access_config *a, int k, uint64_t u);
int read_access(struct loader *L, const struct toml_node *t,
                const char *exp_where, struct access_config *a);
int check_access(struct loader *L, const struct access_config *a,
                 const struct heap_config *m, unsigned line);

/* config_sweeps.c */
bool is_flag(int opt);
int gen_apply(struct gen_params *p, int opt,
              const struct config_value *v, char *why, size_t len);
int read_sweeps(struct loader *L, const struct toml_node *t,
                const char *exp_where, struct experiment *e);
const struct config_sweep *sweep_of(const struct experiment *e,
                                    enum sweep_target t, int id);
int check_sweeps(struct loader *L, const struct experiment *e,
                 const struct toml_node *sweep,
                 const struct model_lines *ml);

/* config_experiment.c */
const struct toml_node *get(const struct toml_node *t, const char *k);
int read_experiment(struct loader *L, const struct toml_node *t,
                    const struct suite_config *c,
                    const struct model_lines *suite_lines,
                    struct experiment *e);
void experiment_free(struct experiment *e);

#endif
