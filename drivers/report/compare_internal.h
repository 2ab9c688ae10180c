/*
 * What the parts of xheap compare share (drivers/cli/cmd_compare.c: options
 * and the flow; compare_load.c: the two results folders; compare_rows.c:
 * the statistics; compare_text.c: the 78-column text; compare_out.c: CSV,
 * JSON and the figure). Internal: drivers/report/compare.h is the public header.
 */
#ifndef XHEAP_COMPARE_INTERNAL_H
#define XHEAP_COMPARE_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "drivers/measure/args.h"

#define WHY_LEN        1024

struct opts {
    double alpha, floor;          /* floor as a fraction: 0.01 */
    const char **metrics;         /* --metric names, NULL-terminated */
    size_t n_metrics;
    const char *json_path, *out_dir;
    bool no_out;
    bool all;                     /* --all: every row, not the summary */
};

/* A run of one side, in file order. */
struct run_ref {
    const char *id, *experiment, *title;
    json_t *run;
    bool matched;
};

struct side {
    char name;                    /* 'A' or 'B' */
    char *dir, *path;             /* the folder and its results.json */
    json_t *root;
    struct run_ref *runs;
    size_t n_runs;
    struct run_ref **by_id;       /* sorted by id, for matching */
};

/*
 * What a row can claim. A run's samples are one per process where the
 * suite spread the point over processes ("sample_unit": "process" in
 * results.json: an alternated point's process medians, or a point that
 * alternates across processes, one repetition each); otherwise one process
 * holds every repetition. Only the first kind is tested: the process is
 * the unit of replication (rounds.h), and repetitions inside one process
 * share its layout and the machine's state of the moment, so their spread
 * says nothing of the drift between two runs (docs/compare.md).
 */
enum row_kind {
    ROW_TESTED,                   /* one sample per process on both sides */
    ROW_UNTESTABLE,               /* repetitions of one process on a side */
    ROW_SINGLE,                   /* a single value on at least one side */
    ROW_ONE_SIDED,                /* the metric is missing on one side */
};

struct row {
    const struct run_ref *run;    /* A's */
    const char *metric;
    enum row_kind kind;
    size_t na, nb;
    double a, b;                  /* medians (or the single values) */
    double change;                /* (b - a) / |a|; +-inf when a is 0 */
    double ci_lo, ci_hi;          /* bootstrap interval of change, or NAN */
    double p;                     /* NAN unless tested */
    double p_holm;                /* p adjusted for the rows tested (Holm) */
    bool exact, significant;
    bool one_process_a, one_process_b;   /* ROW_UNTESTABLE: which sides */
};

/* The geometric mean of B/A for one metric over the tested rows. */
struct geo {
    const char *metric;
    size_t runs, used, up, down;
    double ratio;
};

struct comparison {
    const struct opts *o;
    struct side a, b;
    struct row *rows;
    size_t n_rows, cap_rows;
    struct geo *geo;
    size_t n_geo;
    char **warnings;
    size_t n_warnings;
    const char *figure_metric;
};

static inline const char *json_text(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* For printing: a missing or non-string value reads "?". */
static inline const char *shown(json_t *obj, const char *key)
{
    const char *s = json_text(obj, key);

    return s ? s : "?";
}

/* compare_load.c: a side is checked whole before anything is compared. */
int compare_load_side(struct side *s, char name, const char *arg);
void compare_free_side(struct side *s);
struct run_ref *compare_find_run(const struct side *s, const char *id);
void compare_page_text(char *buf, size_t len, json_t *v);
void compare_warn(struct comparison *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void compare_machine_warnings(struct comparison *c);
void compare_status_warnings(struct comparison *c);

/* compare_rows.c: the rows, their tests and the geometric means. */
bool compare_wanted(const struct opts *o, const char *metric);
int compare_check_metric_names(const struct comparison *c);
int compare_all(struct comparison *c);
int compare_geo(struct comparison *c);
void compare_repetition_warning(struct comparison *c);

/* compare_text.c */
void compare_trunc_middle(char *out, size_t width, const char *s);
/* The text: with ALL the full table, else the summary for an email (the
 * significant changes, the geometric means, about 40 lines). */
void compare_print_text(FILE *f, const struct comparison *c, bool all);

/* compare_out.c */
char *compare_default_out_base(const struct comparison *c);
char *compare_make_out_dir(const char *base);
int compare_write_out_dir(const struct comparison *c, const char *dir,
                          const char *text, size_t len);
int compare_write_json(const struct comparison *c, struct out_file *o);

#endif
