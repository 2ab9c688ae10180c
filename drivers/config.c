/*
 * bench.toml (config.h): the TOML tree from drivers/toml/ walked against
 * the tables of keys below, every value checked where it is read so that
 * the message can name its line.
 *
 * Layout: the key tables and their defaults; value readers; [model] and
 * [run]; workloads (through gen.h's options); sweeps; experiments; the
 * suite; points; JSON.
 */
#include "drivers/config.h"

#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drivers/access.h"
#include "drivers/cli.h"
#include "drivers/counters.h"
#include "drivers/toml/toml_shim.h"

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
#define MAX_PEERS             4096        /* flush peers */
#define MAX_SWEEP_VALUES      64
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

enum model_key {
    MK_PAGE_SIZE, MK_MEMORY, MK_MAX_ORDER, MK_XENHEAP, MK_VMAP_SIZE,
    MK_DIRECTMAP, MK_SCRUB, MK_HUGEPAGES, MK_FLUSH, MK_LAZY_MAX_PAGES, MK_N
};

static const struct key model_keys[MK_N] = {
    [MK_PAGE_SIZE]      = { "page_size", V_PAGE, 0, 0 },
    [MK_MEMORY]         = { "memory", V_SIZE, 0, 0 },
    [MK_MAX_ORDER]      = { "max_order", V_COUNT, 1, 30 },
    [MK_XENHEAP]        = { "xenheap", V_SIZE, 0, 0 },
    [MK_VMAP_SIZE]      = { "vmap_size", V_SIZE, 0, 0 },
    [MK_DIRECTMAP]      = { "directmap", V_BOOL, 0, 0 },
    [MK_SCRUB]          = { "scrub", V_BOOL, 0, 0 },
    [MK_HUGEPAGES]      = { "hugepages", V_BOOL, 0, 0 },
    [MK_FLUSH]          = { "flush", V_FLUSH, 0, 0 },
    [MK_LAZY_MAX_PAGES] = { "lazy_max_pages", V_COUNT, 0, UINT32_MAX },
};

enum run_key {
    RK_REPETITIONS, RK_WARMUP, RK_THREADS, RK_FLUSH_PEERS, RK_PIN,
    RK_COUNTERS, RK_SEED, RK_QUICK_SCALE, RK_QUICK_REPETITIONS,
    RK_POINT_TIMEOUT, RK_BUDGET, RK_QUICK_BUDGET, RK_N
};

static const struct key run_keys[RK_N] = {
    [RK_REPETITIONS]       = { "repetitions", V_COUNT, 1, MAX_REPETITIONS },
    [RK_WARMUP]            = { "warmup", V_COUNT, 0, MAX_WARMUP },
    [RK_THREADS]           = { "threads", V_COUNTS, 1, GEN_MAX_THREADS },
    [RK_FLUSH_PEERS]       = { "flush_peers", V_COUNTS, 0, MAX_PEERS },
    [RK_PIN]               = { "pin", V_PIN, 0, 0 },
    [RK_COUNTERS]          = { "counters", V_EVENTS, 0, 0 },
    [RK_SEED]              = { "seed", V_COUNT, 0, INT64_MAX },
    [RK_QUICK_SCALE]       = { "quick_scale", V_FRACTION, 0, 0 },
    [RK_QUICK_REPETITIONS] = { "quick_repetitions", V_COUNT, 1,
                               MAX_REPETITIONS },
    [RK_POINT_TIMEOUT]     = { "point_timeout", V_DURATION, 0, 0 },
    [RK_BUDGET]            = { "budget", V_DURATION, 0, 0 },
    [RK_QUICK_BUDGET]      = { "quick_budget", V_DURATION, 0, 0 },
};

/* Keys of [run] that describe the whole suite, not one experiment. */
static bool suite_only(int k)
{
    return k == RK_BUDGET || k == RK_QUICK_BUDGET;
}

enum access_key { AK_WORKING_SET, AK_BLOCK, AK_ACCESSES, AK_PATTERN,
                  AK_WRITE, AK_N };

static const struct key access_keys[AK_N] = {
    [AK_WORKING_SET] = { "working_set", V_SIZE, 0, 0 },
    [AK_BLOCK]       = { "block", V_SIZE, 0, 0 },
    [AK_ACCESSES]    = { "accesses", V_COUNT, 1, UINT32_MAX },
    [AK_PATTERN]     = { "pattern", V_PATTERN, 0, 0 },
    [AK_WRITE]       = { "write", V_BOOL, 0, 0 },
};

/* [experiment.workload]'s own keys; the rest are the generator's options. */
enum workload_key { WK_NAME, WK_TRACE, WK_EVENTS, WK_CROSS_FREE, WK_N };

static const struct key workload_keys[WK_N] = {
    [WK_NAME]       = { "name", V_COUNT, 0, 0 },
    [WK_TRACE]      = { "trace", V_COUNT, 0, 0 },
    [WK_EVENTS]     = { "events", V_COUNT, 2, INT64_MAX },
    [WK_CROSS_FREE] = { "cross_free", V_COUNT, 0, 100 },
};

static const char *const experiment_names[] = {
    "name", "question", "title", "description", "kind", "enabled", "quick",
    "workload", "access", "backends", "page_sizes", "model", "run", "sweep",
    NULL,
};

/* ---- errors --------------------------------------------------------- */

struct loader {
    const char *file;     /* as named in messages */
    char *dir;            /* its folder: traces are relative to it */
    char *why;
    size_t len;
};

__attribute__((format(printf, 3, 4)))
static int fail(struct loader *L, unsigned line, const char *fmt, ...)
{
    char msg[WHY_TEMP];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(L->why, L->len, "%s:%u: %s", L->file, line, msg);
    return -1;
}

static unsigned edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned row[MAX_NAME + 1];

    if (la > MAX_NAME || lb > MAX_NAME)
        return UINT32_MAX;
    for (size_t j = 0; j <= lb; j++)
        row[j] = (unsigned)j;
    for (size_t i = 1; i <= la; i++) {
        unsigned diag = row[0];

        row[0] = (unsigned)i;
        for (size_t j = 1; j <= lb; j++) {
            unsigned up = row[j];
            unsigned best = diag + (a[i - 1] != b[j - 1]);

            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* The closest of NAMES (NULL-terminated) to KEY, as " (did you mean 'x'?)". */
static const char *suggest(const char *key, const char *const *names,
                           char *buf, size_t len)
{
    unsigned best = SUGGEST_DISTANCE + 1;

    buf[0] = '\0';
    for (; *names; names++) {
        unsigned d = edit_distance(key, *names);

        if (d < best) {
            best = d;
            snprintf(buf, len, " (did you mean '%s'?)", *names);
        }
    }
    return buf;
}

static int unknown_key(struct loader *L, const struct toml_node *n,
                       const char *where, const char *const *names)
{
    char hint[MAX_NAME + 32];

    return fail(L, n->line, "unknown key '%s' in %s%s", n->key, where,
                suggest(n->key, names, hint, sizeof hint));
}

static int find_key(const struct key *keys, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(keys[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* ---- values --------------------------------------------------------- */

static const char *want(const struct key *k)
{
    switch (k->kind) {
    case V_SIZE:     return "a size such as 4096, \"64K\" or \"1G\"";
    case V_PAGE:     return "a page size: \"4K\", \"16K\" or \"64K\"";
    case V_COUNT:    return "an integer";
    case V_BOOL:     return "true or false";
    case V_FLUSH:    return "\"page\", \"range\" or \"lazy\"";
    case V_PIN:      return "\"compact\", \"scatter\" or \"none\"";
    case V_PATTERN:  return "\"random\" or \"sequential\"";
    case V_COUNTS:   return "a count, \"all\", \"scale\" or a list of counts";
    case V_EVENTS:   return "a list of perf event names";
    case V_FRACTION: return "a number in (0, 1]";
    case V_DURATION: return "a duration such as 90, \"90s\", \"15m\"";
    }
    return "a value";
}

static int wrong_type(struct loader *L, const struct toml_node *n,
                      const struct key *k, const char *where)
{
    return fail(L, n->line, "%s in %s: want %s, got %s", k->name, where,
                want(k), toml_type_name(n->type));
}

static int bad_value(struct loader *L, const struct toml_node *n,
                     const struct key *k, const char *where, const char *text)
{
    return fail(L, n->line, "%s in %s: bad value '%s': want %s", k->name,
                where, text, want(k));
}

static int read_size_like(struct loader *L, const struct toml_node *n,
                          const struct key *k, const char *where,
                          struct config_value *v)
{
    size_t page;

    if (n->type == TOML_INT) {
        if (n->i < 0)
            return fail(L, n->line, "%s in %s: %" PRId64 " is negative",
                        k->name, where, n->i);
        v->u = (uint64_t)n->i;
        snprintf(v->text, sizeof v->text, "%" PRId64, n->i);
    } else if (n->type == TOML_STRING) {
        if (strlen(n->s) >= sizeof v->text || parse_size(n->s, &v->u) != 0)
            return bad_value(L, n, k, where, n->s);
        snprintf(v->text, sizeof v->text, "%s", n->s);
    } else {
        return wrong_type(L, n, k, where);
    }
    if (k->kind == V_PAGE && parse_page_size(v->text, &page) != 0)
        return bad_value(L, n, k, where, v->text);
    return 0;
}

static int read_name(struct loader *L, const struct toml_node *n,
                     const struct key *k, const char *where,
                     struct config_value *v)
{
    enum flush_policy f;
    enum pin_mode p;
    int ok = -1;

    if (n->type != TOML_STRING)
        return wrong_type(L, n, k, where);
    if (k->kind == V_FLUSH && (ok = flush_policy_parse(n->s, &f)) == 0)
        v->u = f;
    if (k->kind == V_PIN && (ok = pin_mode_parse(n->s, &p)) == 0)
        v->u = p;
    if (k->kind == V_PATTERN) {
        ok = strcmp(n->s, "random") == 0 || strcmp(n->s, "sequential") == 0
             ? 0 : -1;
        v->u = strcmp(n->s, "sequential") == 0;
    }
    if (ok != 0)
        return bad_value(L, n, k, where, n->s);
    snprintf(v->text, sizeof v->text, "%s", n->s);
    return 0;
}

/* One scalar value of K from N: sizes, counts, booleans and names. */
static int read_scalar(struct loader *L, const struct toml_node *n,
                       const struct key *k, const char *where,
                       struct config_value *v)
{
    memset(v, 0, sizeof *v);
    switch (k->kind) {
    case V_SIZE:
    case V_PAGE:
        return read_size_like(L, n, k, where, v);
    case V_COUNT:
        if (n->type != TOML_INT)
            return wrong_type(L, n, k, where);
        if (n->i < 0 || (uint64_t)n->i < k->min || (uint64_t)n->i > k->max)
            return fail(L, n->line, "%s in %s: %" PRId64 " is outside "
                        "%" PRIu64 "..%" PRIu64, k->name, where, n->i,
                        k->min, k->max);
        v->u = (uint64_t)n->i;
        snprintf(v->text, sizeof v->text, "%" PRId64, n->i);
        return 0;
    case V_BOOL:
        if (n->type != TOML_BOOL)
            return wrong_type(L, n, k, where);
        v->u = n->b;
        snprintf(v->text, sizeof v->text, "%s", n->b ? "true" : "false");
        return 0;
    case V_FLUSH:
    case V_PIN:
    case V_PATTERN:
        return read_name(L, n, k, where, v);
    default:
        return wrong_type(L, n, k, where);
    }
}

static int read_fraction(struct loader *L, const struct toml_node *n,
                         const struct key *k, const char *where, double *out)
{
    double f;

    if (n->type == TOML_INT)
        f = (double)n->i;
    else if (n->type == TOML_FLOAT)
        f = n->f;
    else
        return wrong_type(L, n, k, where);
    if (!(f > 0 && f <= 1))
        return fail(L, n->line, "%s in %s: %g is outside (0, 1]", k->name,
                    where, f);
    *out = f;
    return 0;
}

static int read_duration(struct loader *L, const struct toml_node *n,
                         const struct key *k, const char *where, double *out)
{
    static const struct { const char *unit; double s; } units[] = {
        { "ms", 1e-3 }, { "s", 1 }, { "m", 60 }, { "h", 3600 },
    };
    char *end;
    double d;

    if (n->type == TOML_INT || n->type == TOML_FLOAT) {
        d = n->type == TOML_INT ? (double)n->i : n->f;
    } else if (n->type == TOML_STRING) {
        size_t i = 0;

        errno = 0;
        d = strtod(n->s, &end);
        if (end == n->s || errno)
            return bad_value(L, n, k, where, n->s);
        while (i < sizeof units / sizeof units[0] &&
               strcmp(end, units[i].unit) != 0)
            i++;
        if (i == sizeof units / sizeof units[0])
            return bad_value(L, n, k, where, n->s);
        d *= units[i].s;
    } else {
        return wrong_type(L, n, k, where);
    }
    if (!(d > 0 && d < 1e9))
        return fail(L, n->line, "%s in %s: the duration must be positive",
                    k->name, where);
    *out = d;
    return 0;
}

/* One element of a count list: a number or "all" ("scale" when ALONE). */
static int read_count(struct loader *L, const struct toml_node *n,
                      const struct key *k, const char *where, bool alone,
                      uint32_t *out)
{
    int64_t v;
    char *end;

    if (n->type == TOML_STRING && strcmp(n->s, "all") == 0) {
        *out = CONFIG_ALL;
        return 0;
    }
    if (n->type == TOML_STRING && alone && strcmp(n->s, "scale") == 0) {
        *out = CONFIG_SCALE;
        return 0;
    }
    if (n->type == TOML_INT) {
        v = n->i;
    } else if (n->type == TOML_STRING) {
        errno = 0;
        v = strtoll(n->s, &end, 10);
        if (end == n->s || *end || errno)
            return bad_value(L, n, k, where, n->s);
    } else {
        return wrong_type(L, n, k, where);
    }
    if (v < (int64_t)k->min || v > (int64_t)k->max)
        return fail(L, n->line, "%s in %s: %" PRId64 " is outside "
                    "%" PRIu64 "..%" PRIu64, k->name, where, v, k->min, k->max);
    *out = (uint32_t)v;
    return 0;
}

static int read_counts(struct loader *L, const struct toml_node *n,
                       const struct key *k, const char *where,
                       struct config_counts *out)
{
    struct config_counts c = { .n = n->type == TOML_ARRAY ? n->n : 1 };

    if (n->type == TOML_ARRAY && n->n == 0)
        return fail(L, n->line, "%s in %s: the list is empty", k->name, where);
    if (c.n > CONFIG_MAX_COUNTS)
        return fail(L, n->line, "%s in %s: more than %d entries", k->name,
                    where, CONFIG_MAX_COUNTS);
    for (size_t i = 0; i < c.n; i++) {
        const struct toml_node *e = n->type == TOML_ARRAY ? &n->kids[i] : n;

        if (read_count(L, e, k, where, n->type != TOML_ARRAY, &c.v[i]) != 0)
            return -1;
    }
    *out = c;
    return 0;
}

/* Perf events: a list of names, or one "a,b,c" string, checked by
 * counters_parse as --counters would be. */
static int read_events(struct loader *L, const struct toml_node *n,
                       const struct key *k, const char *where, char **out)
{
    size_t count = n->type == TOML_ARRAY ? n->n : 1, total = 1;
    struct counter_set set;
    char why[WHY_TEMP], *list;

    if (n->type != TOML_ARRAY && n->type != TOML_STRING)
        return wrong_type(L, n, k, where);
    for (size_t i = 0; i < count; i++) {
        const struct toml_node *e = n->type == TOML_ARRAY ? &n->kids[i] : n;

        if (e->type != TOML_STRING)
            return wrong_type(L, e, k, where);
        if (n->type == TOML_ARRAY && (!e->s[0] || strpbrk(e->s, ", \t")))
            return bad_value(L, e, k, where, e->s);
        total += strlen(e->s) + 1;
    }
    list = calloc(1, total);
    if (!list)
        return fail(L, n->line, "out of memory");
    for (size_t i = 0; i < count; i++) {
        const struct toml_node *e = n->type == TOML_ARRAY ? &n->kids[i] : n;

        if (i)
            strcat(list, ",");
        strcat(list, e->s);
    }
    if (list[0] && counters_parse(list, &set, why, sizeof why) != 0) {
        free(list);
        return fail(L, n->line, "%s in %s: %s", k->name, where, why);
    }
    if (list[0])
        counters_free(&set);
    free(*out);
    *out = list;
    return 0;
}

/* ---- [model] and [run] ---------------------------------------------- */

static void model_apply(struct heap_config *m, int k, uint64_t u)
{
    switch ((enum model_key)k) {
    case MK_PAGE_SIZE:      m->page_size = (size_t)u; break;
    case MK_MEMORY:         m->memory_bytes = u; break;
    case MK_MAX_ORDER:      m->max_order = (unsigned)u; break;
    case MK_XENHEAP:        m->xenheap_bytes = u; break;
    case MK_VMAP_SIZE:      m->vmap_bytes = u; break;
    case MK_DIRECTMAP:      m->directmap = u; break;
    case MK_SCRUB:          m->scrub = u; break;
    case MK_HUGEPAGES:      m->hugepages = u; break;
    case MK_FLUSH:          m->flush = (enum flush_policy)u; break;
    case MK_LAZY_MAX_PAGES: m->lazy_max_pages = (unsigned)u; break;
    case MK_N:              break;
    }
}

/* The lines model keys were last set on, for consistency errors. */
struct model_lines {
    unsigned line[MK_N];
};

static int read_model(struct loader *L, const struct toml_node *t,
                      const char *where, struct heap_config *m,
                      struct model_lines *lines)
{
    struct config_value v;

    if (t->type != TOML_TABLE)
        return fail(L, t->line, "%s must be a table, not %s", where,
                    toml_type_name(t->type));
    for (size_t i = 0; i < t->n; i++) {
        const struct toml_node *n = &t->kids[i];
        int k = find_key(model_keys, MK_N, n->key);

        if (k < 0)
            return unknown_key(L, n, where, config_keys("model"));
        if (read_scalar(L, n, &model_keys[k], where, &v) != 0)
            return -1;
        model_apply(m, k, v.u);
        lines->line[k] = n->line;
    }
    return 0;
}

static void run_defaults(struct run_config *r)
{
    memset(r, 0, sizeof *r);
    r->repetitions = RUN_REPETITIONS;
    r->warmup = RUN_WARMUP;
    r->pin = RUN_PIN;
    r->seed = RUN_SEED;
    r->quick_scale = RUN_QUICK_SCALE;
    r->quick_repetitions = RUN_QUICK_REPETITIONS;
    r->point_timeout_s = RUN_POINT_TIMEOUT_S;
    r->budget_s = RUN_BUDGET_S;
    r->quick_budget_s = RUN_QUICK_BUDGET_S;
}

/* The part of the defaults that needs memory; -1 when there is none. */
static int run_alloc_defaults(struct run_config *r)
{
    r->threads = (struct config_counts){ .n = 1, .v = { 1 } };
    r->flush_peers = (struct config_counts){ .n = 1, .v = { 0 } };
    r->counters = strdup(COUNTERS_DEFAULT);
    return r->counters ? 0 : -1;
}

static void run_free(struct run_config *r)
{
    free(r->counters);
    r->counters = NULL;
}

static int run_copy(struct run_config *to, const struct run_config *from)
{
    *to = *from;
    to->counters = strdup(from->counters);
    return to->counters ? 0 : -1;
}

static int read_run_key(struct loader *L, const struct toml_node *n, int k,
                        const char *where, struct run_config *r)
{
    const struct key *key = &run_keys[k];
    struct config_value v;

    switch ((enum run_key)k) {
    case RK_THREADS:
        return read_counts(L, n, key, where, &r->threads);
    case RK_FLUSH_PEERS:
        return read_counts(L, n, key, where, &r->flush_peers);
    case RK_COUNTERS:
        return read_events(L, n, key, where, &r->counters);
    case RK_QUICK_SCALE:
        return read_fraction(L, n, key, where, &r->quick_scale);
    case RK_POINT_TIMEOUT:
        return read_duration(L, n, key, where, &r->point_timeout_s);
    case RK_BUDGET:
        return read_duration(L, n, key, where, &r->budget_s);
    case RK_QUICK_BUDGET:
        return read_duration(L, n, key, where, &r->quick_budget_s);
    default:
        break;
    }
    if (read_scalar(L, n, key, where, &v) != 0)
        return -1;
    switch ((enum run_key)k) {
    case RK_REPETITIONS:       r->repetitions = (unsigned)v.u; break;
    case RK_WARMUP:            r->warmup = (unsigned)v.u; break;
    case RK_PIN:               r->pin = (enum pin_mode)v.u; break;
    case RK_SEED:              r->seed = v.u; break;
    case RK_QUICK_REPETITIONS: r->quick_repetitions = (unsigned)v.u; break;
    default:                   break;
    }
    return 0;
}

static int read_run(struct loader *L, const struct toml_node *t,
                    const char *where, bool suite, struct run_config *r)
{
    if (t->type != TOML_TABLE)
        return fail(L, t->line, "%s must be a table, not %s", where,
                    toml_type_name(t->type));
    for (size_t i = 0; i < t->n; i++) {
        const struct toml_node *n = &t->kids[i];
        int k = find_key(run_keys, RK_N, n->key);

        if (k < 0)
            return unknown_key(L, n, where, config_keys("run"));
        if (!suite && suite_only(k))
            return fail(L, n->line, "%s in %s: it describes the whole suite;"
                        " set it in [run]", n->key, where);
        if (read_run_key(L, n, k, where, r) != 0)
            return -1;
    }
    return 0;
}

/* ---- workloads ------------------------------------------------------ */

/* A generator option's index from a TOML key: long_life is long-life. */
static int gen_option_of(const char *key)
{
    char name[MAX_NAME + 1];
    size_t i;

    for (i = 0; key[i] && i < MAX_NAME; i++)
        name[i] = key[i] == '_' ? '-' : key[i];
    if (key[i])
        return -1;
    name[i] = '\0';
    return gen_option_find(name);
}

static const struct gen_option *gen_option_at(int opt)
{
    size_t count;

    return &gen_options(&count)[opt];
}

static bool workload_reads(const struct gen_workload *w, int opt)
{
    for (const struct gen_knob *k = w->knobs; k->def; k++)
        if ((int)k->opt == opt)
            return true;
    return false;
}

/* A generator option's name as bench.toml spells it: long-life is long_life. */
static const char *toml_spelling(int opt, char *buf, size_t len)
{
    snprintf(buf, len, "%s", gen_option_at(opt)->name);
    for (char *c = buf; *c; c++)
        if (*c == '-')
            *c = '_';
    return buf;
}

/* The keys [experiment.workload] takes for W, for suggestions. */
static const char *const *workload_names(const struct gen_workload *w,
                                         char names[][MAX_NAME + 1],
                                         const char **out)
{
    size_t n = 0;

    for (int i = 0; i < WK_N; i++)
        out[n++] = workload_keys[i].name;
    for (const struct gen_knob *k = w ? w->knobs : NULL; k && k->def; k++) {
        out[n] = toml_spelling(k->opt, names[n], MAX_NAME + 1);
        n++;
    }
    out[n] = NULL;
    return out;
}

static int unknown_workload(struct loader *L, const struct toml_node *n)
{
    size_t count;
    const struct gen_workload *w = gen_list(&count);
    const char *names[count + 1];
    char hint[MAX_NAME + 32];

    for (size_t i = 0; i < count; i++)
        names[i] = w[i].name;
    names[count] = NULL;
    return fail(L, n->line, "unknown workload '%s'%s; 'xheap gen --help' "
                "lists them", n->s, suggest(n->s, names, hint, sizeof hint));
}

/*
 * The text gen_set wants for option OPT from N: strings as written,
 * integers in decimal, a flag's true as NULL. *SET is false for a flag
 * given as false (flags are off unless given).
 */
static int option_text(struct loader *L, const struct toml_node *n, int opt,
                       const char *where, char *buf, size_t len,
                       const char **text, bool *set)
{
    const struct gen_option *o = gen_option_at(opt);

    *set = true;
    *text = buf;
    if (!o->arg) {
        if (n->type != TOML_BOOL)
            return fail(L, n->line, "%s in %s: want true or false, got %s",
                        n->key ? n->key : o->name, where,
                        toml_type_name(n->type));
        *set = n->b;
        *text = NULL;
        return 0;
    }
    if (n->type == TOML_STRING && strlen(n->s) >= len)
        return fail(L, n->line, "%s in %s: the value is longer than %zu "
                    "characters", n->key ? n->key : o->name, where, len - 1);
    if (n->type == TOML_STRING)
        snprintf(buf, len, "%s", n->s);
    else if (n->type == TOML_INT && n->i >= 0)
        snprintf(buf, len, "%" PRId64, n->i);
    else if (n->type == TOML_FLOAT && n->f >= 0)
        snprintf(buf, len, "%g", n->f);
    else
        return fail(L, n->line, "%s in %s: want %s (%s), got %s",
                    n->key ? n->key : o->name, where, o->arg, o->help,
                    n->type == TOML_INT || n->type == TOML_FLOAT
                        ? "a negative number" : toml_type_name(n->type));
    return 0;
}

/*
 * E's generator parameters for one page size of model M. Workloads that
 * model the heap itself (aging's memory to fill, its largest probe order)
 * follow the model unless the file sets them.
 */
static void gen_prepare(const struct experiment *e, const struct heap_config *m,
                        struct gen_params *p)
{
    *p = e->gen;
    p->page_size = m->page_size;
    p->seed = e->run.seed;
    if (workload_reads(e->workload, GEN_MEMORY) &&
        !(p->given & GEN_OPT(GEN_MEMORY))) {
        p->memory = m->memory_bytes;
        p->given |= GEN_OPT(GEN_MEMORY);
    }
    if (workload_reads(e->workload, GEN_MAX_ORDER) &&
        !(p->given & GEN_OPT(GEN_MAX_ORDER))) {
        p->max_order = m->max_order;
        p->given |= GEN_OPT(GEN_MAX_ORDER);
    }
}

/* gen_check of E's workload at model M; the message goes to WHY. */
static int gen_try(const struct experiment *e, const struct heap_config *m,
                   char *why, size_t len)
{
    struct gen_params q;

    gen_prepare(e, m, &q);
    return gen_check(e->workload, &q, why, len);
}

/* Sets option OPT = TEXT on P (NULL TEXT: a flag). */
static int gen_put(struct gen_params *p, int opt, const char *text, char *why,
                   size_t len)
{
    return gen_set(p, gen_option_at(opt)->name, text, why, len);
}

static int read_workload_key(struct loader *L, const struct toml_node *n,
                             const char *where, struct experiment *e,
                             unsigned *opt_line)
{
    int k = find_key(workload_keys, WK_N, n->key), opt;
    struct config_value v;
    char buf[CONFIG_VALUE_LEN], why[WHY_TEMP];
    const char *text;
    bool set;

    if (k == WK_NAME || k == WK_TRACE)
        return 0;   /* read first, by read_workload */
    if (k >= 0) {
        if (read_scalar(L, n, &workload_keys[k], where, &v) != 0)
            return -1;
        if (k == WK_EVENTS)
            e->gen.events = v.u;
        else
            e->gen.cross_free = (unsigned)v.u;
        return 0;
    }
    opt = gen_option_of(n->key);
    if (opt < 0 || !e->workload || !workload_reads(e->workload, opt)) {
        char names[GEN_N_OPTS + WK_N][MAX_NAME + 1];
        const char *list[GEN_N_OPTS + WK_N + 1];

        if (opt >= 0 && e->workload)
            return fail(L, n->line, "workload '%s' has no option '%s'; "
                        "'xheap gen %s --help' lists its options",
                        e->workload->name, n->key, e->workload->name);
        return unknown_key(L, n, where, workload_names(e->workload, names,
                                                        list));
    }
    if (opt_line[opt])
        return fail(L, n->line, "option '%s' in %s is given twice (first "
                    "at line %u)", n->key, where, opt_line[opt]);
    if (option_text(L, n, opt, where, buf, sizeof buf, &text, &set) != 0)
        return -1;
    opt_line[opt] = n->line;
    if (!set)
        return 0;
    if (text && !(e->gen_text[opt] = strdup(text)))
        return fail(L, n->line, "out of memory");
    if (gen_put(&e->gen, opt, e->gen_text[opt], why, sizeof why) != 0)
        return fail(L, n->line, "%s in %s: %s", n->key, where, why);
    return 0;
}

/*
 * A trace path, relative to the config file's folder, made absolute so that
 * the runner may change folders; checked readable.
 */
static int read_trace(struct loader *L, const struct toml_node *n,
                      const char *where, struct experiment *e)
{
    char *joined = NULL;
    int err;

    if (n->type != TOML_STRING)
        return fail(L, n->line, "trace in %s: want a file name, got %s",
                    where, toml_type_name(n->type));
    if (n->s[0] == '/' || !L->dir)
        joined = strdup(n->s);
    else if (asprintf(&joined, "%s/%s", L->dir, n->s) < 0)
        joined = NULL;
    if (!joined)
        return fail(L, n->line, "out of memory");
    e->trace = realpath(joined, NULL);
    err = errno;
    if (e->trace && access(e->trace, R_OK) != 0)
        err = errno;
    else if (e->trace)
        err = 0;
    if (err)
        fail(L, n->line, "trace in %s: cannot read %s: %s", where, joined,
             strerror(err));
    free(joined);
    return err ? -1 : 0;
}

/* Each option alone, so that a bad value is blamed on its own line;
 * true when one was (the message is set). */
static bool blame_option(struct loader *L, const struct experiment *e,
                         const unsigned *opt_line, const struct heap_config *m)
{
    char why[WHY_TEMP];

    for (int opt = 0; opt < GEN_N_OPTS; opt++) {
        struct experiment alone = *e;

        if (!(e->gen.given & GEN_OPT(opt)))
            continue;
        gen_params_defaults(&alone.gen);
        if (gen_put(&alone.gen, opt, e->gen_text[opt], why, sizeof why) == 0 &&
            gen_try(&alone, m, why, sizeof why) != 0) {
            fail(L, opt_line[opt], "workload '%s' at page size %zuK: %s",
                 e->workload->name, m->page_size >> 10, why);
            return true;
        }
    }
    return false;
}

/* The workload as written, at every page size of the experiment. */
static int check_workload(struct loader *L, unsigned line,
                          const struct experiment *e, const unsigned *opt_line)
{
    char why[WHY_TEMP];

    for (size_t i = 0; i < e->n_page_sizes; i++) {
        struct heap_config m = e->model;

        m.page_size = e->page_sizes[i];
        if (gen_try(e, &m, why, sizeof why) == 0)
            continue;
        if (blame_option(L, e, opt_line, &m))
            return -1;
        return fail(L, line, "workload '%s' at page size %zuK: %s",
                    e->workload->name, m.page_size >> 10, why);
    }
    return 0;
}

static int read_workload(struct loader *L, const struct toml_node *t,
                         const char *exp_where, struct experiment *e)
{
    const struct toml_node *name = t->type == TOML_STRING ? t
                                   : toml_get(t, "name");
    const struct toml_node *trace = toml_get(t, "trace");
    unsigned opt_line[GEN_N_OPTS] = { 0 };
    char where[MAX_NAME + 64];

    snprintf(where, sizeof where, "[experiment.workload] of %s", exp_where);
    if (t->type != TOML_STRING && t->type != TOML_TABLE)
        return fail(L, t->line, "workload in %s: want a workload name or a "
                    "table, got %s", exp_where, toml_type_name(t->type));
    if (name && trace)
        return fail(L, trace->line, "%s: give a workload name or a trace, "
                    "not both", where);
    if (!name && !trace)
        return fail(L, t->line, "%s: no name (a workload of 'xheap gen') "
                    "and no trace", where);
    if (trace && t->n > 1)
        return fail(L, t->line, "%s: a recorded trace takes no other key",
                    where);
    if (trace)
        return read_trace(L, trace, where, e);
    if (name->type != TOML_STRING)
        return fail(L, name->line, "name in %s: want a workload name, got %s",
                    where, toml_type_name(name->type));
    e->workload = gen_find(name->s);
    if (!e->workload)
        return unknown_workload(L, name);
    for (size_t i = 0; t->type == TOML_TABLE && i < t->n; i++)
        if (read_workload_key(L, &t->kids[i], where, e, opt_line) != 0)
            return -1;
    return check_workload(L, t->line, e, opt_line);
}

static void access_apply(struct access_config *a, int k, uint64_t u)
{
    switch ((enum access_key)k) {
    case AK_WORKING_SET: a->working_set = u; break;
    case AK_BLOCK:       a->block = u; break;
    case AK_ACCESSES:    a->accesses = u; break;
    case AK_PATTERN:     a->sequential = u; break;
    case AK_WRITE:       a->write = u; break;
    case AK_N:           break;
    }
}

static int read_access(struct loader *L, const struct toml_node *t,
                       const char *exp_where, struct access_config *a)
{
    char where[MAX_NAME + 64];
    struct config_value v;

    snprintf(where, sizeof where, "[experiment.access] of %s", exp_where);
    if (t->type != TOML_TABLE)
        return fail(L, t->line, "%s must be a table, not %s", where,
                    toml_type_name(t->type));
    for (size_t i = 0; i < t->n; i++) {
        const struct toml_node *n = &t->kids[i];
        int k = find_key(access_keys, AK_N, n->key);

        if (k < 0)
            return unknown_key(L, n, where, config_keys("access"));
        if (read_scalar(L, n, &access_keys[k], where, &v) != 0)
            return -1;
        access_apply(a, k, v.u);
    }
    return 0;
}

/* ---- model consistency ---------------------------------------------- */

/*
 * What the model itself would refuse at heap_create, said here so that the
 * message can name a line: sizes that are not whole pages, a separate
 * xenheap that does not fit, a vmap area of fewer than 64 pages.
 */
static int check_model(struct loader *L, const struct heap_config *m,
                       const struct model_lines *ml, unsigned fallback)
{
    uint64_t page = m->page_size;
    const struct { int k; uint64_t bytes; } sizes[] = {
        { MK_MEMORY, m->memory_bytes }, { MK_XENHEAP, m->xenheap_bytes },
        { MK_VMAP_SIZE, m->vmap_bytes },
    };
#define LINE(k) (ml->line[k] ? ml->line[k] : fallback)

    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        if (sizes[i].bytes % page)
            return fail(L, LINE(sizes[i].k), "%s %" PRIu64 " is not a whole "
                        "number of %" PRIu64 "K pages",
                        model_keys[sizes[i].k].name, sizes[i].bytes,
                        page >> 10);
    if (m->memory_bytes / page < 2)
        return fail(L, LINE(MK_MEMORY), "memory %" PRIu64 " holds fewer than "
                    "2 pages", m->memory_bytes);
    if (m->xenheap_bytes && (m->xenheap_bytes / page < 2 ||
                             m->xenheap_bytes >= m->memory_bytes / 2))
        return fail(L, LINE(MK_XENHEAP), "a separate xenheap of %" PRIu64
                    " bytes must hold 2 pages and less than half of memory "
                    "(%" PRIu64 ")", m->xenheap_bytes, m->memory_bytes);
    if (m->vmap_bytes / page < 64)
        return fail(L, LINE(MK_VMAP_SIZE), "vmap_size %" PRIu64 " holds "
                    "fewer than 64 pages", m->vmap_bytes);
#undef LINE
    return 0;
}

static int check_access(struct loader *L, const struct access_config *a,
                        const struct heap_config *m, unsigned line)
{
    if (a->block < ACCESS_LINE || a->block > a->working_set)
        return fail(L, line, "access: need %u <= block (%" PRIu64 ") <= "
                    "working_set (%" PRIu64 ")", ACCESS_LINE, a->block,
                    a->working_set);
    if (a->working_set > m->memory_bytes / ACCESS_MEMORY_FACTOR)
        return fail(L, line, "access: working_set %" PRIu64 " needs memory "
                    "of at least %d times as much (memory is %" PRIu64 ")",
                    a->working_set, ACCESS_MEMORY_FACTOR, m->memory_bytes);
    return 0;
}

/* ---- sweeps --------------------------------------------------------- */

static bool is_flag(int opt)
{
    return gen_option_at(opt)->arg == NULL;
}

/* Sets workload option OPT of P to sweep value V. */
static int gen_apply(struct gen_params *p, int opt,
                     const struct config_value *v, char *why, size_t len)
{
    if (is_flag(opt) && !v->u) {
        p->given &= ~GEN_OPT(opt);
        p->text[opt] = NULL;
        return 0;
    }
    return gen_put(p, opt, is_flag(opt) ? NULL : v->text, why, len);
}

static int read_sweep_value(struct loader *L, const struct toml_node *n,
                            struct config_sweep *s, const char *where)
{
    struct config_value *v = &s->values[s->n];
    char buf[CONFIG_VALUE_LEN];
    const char *text;
    bool set;

    if (s->target == SWEEP_MODEL)
        return read_scalar(L, n, &model_keys[s->id], where, v);
    if (s->target == SWEEP_ACCESS)
        return read_scalar(L, n, &access_keys[s->id], where, v);
    memset(v, 0, sizeof *v);
    if (option_text(L, n, s->id, where, buf, sizeof buf, &text, &set) != 0)
        return -1;
    v->u = set;
    snprintf(v->text, sizeof v->text, "%s", text ? text : set ? "true"
                                                              : "false");
    if (text && parse_size(text, &v->u) != 0)
        v->u = 0;
    return 0;
}

/* Which key of TARGET the sweep names; -1 after a message. */
static int sweep_key(struct loader *L, const struct toml_node *n,
                     enum sweep_target target, const struct experiment *e,
                     const char *where)
{
    int k;

    switch (target) {
    case SWEEP_MODEL:
        k = find_key(model_keys, MK_N, n->key);
        if (k == MK_PAGE_SIZE)
            return fail(L, n->line, "sweep page sizes with the experiment's "
                        "page_sizes list, not in %s", where);
        if (k < 0)
            unknown_key(L, n, where, config_keys("model"));
        return k;
    case SWEEP_ACCESS:
        if (e->kind != EXP_ACCESS)
            return fail(L, n->line, "%s: only kind = \"access\" experiments "
                        "have access keys", where);
        k = find_key(access_keys, AK_N, n->key);
        if (k < 0)
            unknown_key(L, n, where, config_keys("access"));
        return k;
    case SWEEP_WORKLOAD:
        k = gen_option_of(n->key);
        if (!e->workload)
            return fail(L, n->line, "%s: the experiment has no generated "
                        "workload to sweep", where);
        if (k < 0 || !workload_reads(e->workload, k))
            return fail(L, n->line, "workload '%s' has no option '%s' to "
                        "sweep", e->workload->name, n->key);
        return k;
    }
    return -1;
}

static int read_sweep_key(struct loader *L, const struct toml_node *n,
                          enum sweep_target target, const char *where,
                          struct experiment *e)
{
    struct config_sweep *s = &e->sweeps[e->n_sweeps];

    if (e->n_sweeps == CONFIG_MAX_SWEEPS)
        return fail(L, n->line, "more than %d sweeps in one experiment",
                    CONFIG_MAX_SWEEPS);
    memset(s, 0, sizeof *s);
    s->target = target;
    s->line = n->line;
    s->id = sweep_key(L, n, target, e, where);
    if (s->id < 0)
        return -1;
    if (strlen(n->key) >= sizeof s->key)
        return fail(L, n->line, "sweep key '%s' is too long", n->key);
    snprintf(s->key, sizeof s->key, "%s", n->key);
    if (n->type != TOML_ARRAY || n->n == 0 || n->n > MAX_SWEEP_VALUES)
        return fail(L, n->line, "%s in %s: want a list of 1 to %d values",
                    n->key, where, MAX_SWEEP_VALUES);
    s->values = calloc(n->n, sizeof *s->values);
    if (!s->values)
        return fail(L, n->line, "out of memory");
    e->n_sweeps++;
    for (s->n = 0; s->n < n->n; s->n++)
        if (read_sweep_value(L, &n->kids[s->n], s, where) != 0)
            return -1;
    return 0;
}

static bool swept(const struct experiment *e, enum sweep_target t, int id)
{
    for (size_t i = 0; i < e->n_sweeps; i++)
        if (e->sweeps[i].target == t && e->sweeps[i].id == id)
            return true;
    return false;
}

static int read_sweeps(struct loader *L, const struct toml_node *t,
                       const char *exp_where, struct experiment *e)
{
    static const char *const targets[] = { "model", "workload", "access",
                                           NULL };
    char where[MAX_NAME + 64];

    if (t->type != TOML_TABLE)
        return fail(L, t->line, "sweep in %s must be a table, not %s",
                    exp_where, toml_type_name(t->type));
    for (size_t i = 0; i < t->n; i++) {
        const struct toml_node *sub = &t->kids[i];
        int target = -1;

        for (int j = 0; targets[j]; j++)
            if (strcmp(sub->key, targets[j]) == 0)
                target = j;
        snprintf(where, sizeof where, "[experiment.sweep] of %s", exp_where);
        if (target < 0)
            return unknown_key(L, sub, where, targets);
        if (sub->type != TOML_TABLE)
            return fail(L, sub->line, "sweep.%s in %s must be a table of "
                        "lists, not %s", sub->key, exp_where,
                        toml_type_name(sub->type));
        snprintf(where, sizeof where, "[experiment.sweep.%s] of %s",
                 sub->key, exp_where);
        for (size_t k = 0; k < sub->n; k++)
            if (read_sweep_key(L, &sub->kids[k], (enum sweep_target)target,
                               where, e) != 0)
                return -1;
    }
    /* The file's order: the first sweep written is the outermost loop. */
    for (size_t i = 1; i < e->n_sweeps; i++)
        for (size_t j = i; j > 0 && e->sweeps[j - 1].line > e->sweeps[j].line;
             j--) {
            struct config_sweep tmp = e->sweeps[j];

            e->sweeps[j] = e->sweeps[j - 1];
            e->sweeps[j - 1] = tmp;
        }
    for (size_t i = 0; i < e->n_sweeps; i++)
        for (size_t j = 0; j < i; j++)
            if ((e->sweeps[j].target == e->sweeps[i].target &&
                 e->sweeps[j].id == e->sweeps[i].id) ||
                strcmp(e->sweeps[j].key, e->sweeps[i].key) == 0)
                return fail(L, e->sweeps[i].line, "%s is swept twice",
                            e->sweeps[i].key);
    return 0;
}

/* Every value of every sweep, with the others at their base values, so
 * that a value the model or the generator refuses is blamed on its line. */
static int check_sweeps(struct loader *L, const struct experiment *e,
                        const struct toml_node *sweep,
                        const struct model_lines *ml)
{
    char why[WHY_TEMP];

    for (size_t i = 0; i < e->n_sweeps; i++) {
        const struct config_sweep *s = &e->sweeps[i];
        const struct toml_node *vals = toml_get(toml_get(sweep,
            s->target == SWEEP_MODEL ? "model" : s->target == SWEEP_ACCESS
            ? "access" : "workload"), s->key);

        for (size_t v = 0; v < s->n; v++) {
            unsigned line = vals && vals->n > v ? vals->kids[v].line : s->line;

            for (size_t p = 0; p < e->n_page_sizes; p++) {
                struct experiment x = *e;
                struct model_lines xl = *ml;

                x.model.page_size = e->page_sizes[p];
                xl.line[MK_PAGE_SIZE] = e->line;
                if (s->target == SWEEP_MODEL) {
                    model_apply(&x.model, s->id, s->values[v].u);
                    xl.line[s->id] = line;
                } else if (s->target == SWEEP_ACCESS) {
                    access_apply(&x.access, s->id, s->values[v].u);
                }
                if (check_model(L, &x.model, &xl, e->line) != 0)
                    return -1;
                if (e->kind == EXP_ACCESS &&
                    check_access(L, &x.access, &x.model, line) != 0)
                    return -1;
                if (!e->workload)
                    continue;
                if (s->target == SWEEP_WORKLOAD &&
                    gen_apply(&x.gen, s->id, &s->values[v], why,
                              sizeof why) != 0)
                    return fail(L, line, "%s: %s", s->key, why);
                if (gen_try(&x, &x.model, why, sizeof why) != 0)
                    return fail(L, line, "workload '%s' with %s = %s at page "
                                "size %zuK: %s", e->workload->name, s->key,
                                s->values[v].text, x.model.page_size >> 10,
                                why);
            }
        }
    }
    return 0;
}

/* ---- experiments ---------------------------------------------------- */

static bool good_name(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > MAX_NAME || s[0] == '.' || s[0] == '-')
        return false;
    return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                     "0123456789_.-") == n;
}

static int read_string(struct loader *L, const struct toml_node *n,
                       const char *where, char **out)
{
    if (n->type != TOML_STRING)
        return fail(L, n->line, "%s in %s: want a string, got %s", n->key,
                    where, toml_type_name(n->type));
    free(*out);
    *out = strdup(n->s);
    return *out ? 0 : fail(L, n->line, "out of memory");
}

static int read_bool(struct loader *L, const struct toml_node *n,
                     const char *where, bool *out)
{
    if (n->type != TOML_BOOL)
        return fail(L, n->line, "%s in %s: want true or false, got %s",
                    n->key, where, toml_type_name(n->type));
    *out = n->b;
    return 0;
}

/* 1..9 (or "Q1".."Q9"), or a label such as "baselines". */
static int read_question(struct loader *L, const struct toml_node *n,
                         const char *where, struct experiment *e)
{
    char label[MAX_NAME + 1];

    if (n->type == TOML_INT) {
        if (n->i < 1 || n->i > 9)
            return fail(L, n->line, "question in %s: %" PRId64 " is not one "
                        "of the questions 1..9 of xen-allocators.md", where,
                        n->i);
        e->question = (unsigned)n->i;
        snprintf(label, sizeof label, "Q%u", e->question);
    } else if (n->type == TOML_STRING && good_name(n->s)) {
        snprintf(label, sizeof label, "%s", n->s);
        if ((n->s[0] == 'Q' || n->s[0] == 'q') && n->s[1] >= '1' &&
            n->s[1] <= '9' && !n->s[2]) {
            e->question = (unsigned)(n->s[1] - '0');
            label[0] = 'Q';
        }
    } else {
        return fail(L, n->line, "question in %s: want 1..9 or a label such "
                    "as \"baselines\", got %s", where,
                    n->type == TOML_STRING ? "an empty or odd label"
                                           : toml_type_name(n->type));
    }
    e->label = strdup(label);
    return e->label ? 0 : fail(L, n->line, "out of memory");
}

static int read_kind(struct loader *L, const struct toml_node *n,
                     const char *where, struct experiment *e)
{
    if (n->type == TOML_STRING && strcmp(n->s, "replay") == 0)
        e->kind = EXP_REPLAY;
    else if (n->type == TOML_STRING && strcmp(n->s, "access") == 0)
        e->kind = EXP_ACCESS;
    else
        return fail(L, n->line, "kind in %s: want \"replay\" or \"access\"",
                    where);
    return 0;
}

static int read_backends(struct loader *L, const struct toml_node *n,
                         const char *where, struct experiment *e)
{
    size_t count = n->type == TOML_ARRAY ? n->n : 1, known;
    const struct backend_ops *const *all = backend_list(&known);

    if ((n->type != TOML_ARRAY && n->type != TOML_STRING) || count == 0)
        return fail(L, n->line, "backends in %s: want a list of backend "
                    "names ('xheap backends' lists them)", where);
    e->backends = calloc(count, sizeof *e->backends);
    if (!e->backends)
        return fail(L, n->line, "out of memory");
    for (size_t i = 0; i < count; i++) {
        const struct toml_node *b = n->type == TOML_ARRAY ? &n->kids[i] : n;
        const char *names[known + 1];
        char hint[MAX_NAME + 32];

        if (b->type != TOML_STRING)
            return fail(L, b->line, "backends in %s: want backend names, "
                        "got %s", where, toml_type_name(b->type));
        if (!backend_find(b->s)) {
            for (size_t j = 0; j < known; j++)
                names[j] = all[j]->name;
            names[known] = NULL;
            return fail(L, b->line, "unknown backend '%s' in %s%s; 'xheap "
                        "backends' lists them", b->s, where,
                        suggest(b->s, names, hint, sizeof hint));
        }
        for (size_t j = 0; j < e->n_backends; j++)
            if (strcmp(e->backends[j], b->s) == 0)
                return fail(L, b->line, "backend '%s' is listed twice in %s",
                            b->s, where);
        e->backends[e->n_backends] = strdup(b->s);
        if (!e->backends[e->n_backends++])
            return fail(L, b->line, "out of memory");
    }
    return 0;
}

static int read_page_sizes(struct loader *L, const struct toml_node *n,
                           const char *where, struct experiment *e)
{
    static const struct key page = { "page_sizes", V_PAGE, 0, 0 };
    size_t count = n->type == TOML_ARRAY ? n->n : 1;
    struct config_value v;

    if (count == 0)
        return fail(L, n->line, "page_sizes in %s: the list is empty", where);
    e->page_sizes = calloc(count, sizeof *e->page_sizes);
    if (!e->page_sizes)
        return fail(L, n->line, "out of memory");
    for (size_t i = 0; i < count; i++) {
        const struct toml_node *p = n->type == TOML_ARRAY ? &n->kids[i] : n;

        if (read_scalar(L, p, &page, where, &v) != 0)
            return -1;
        for (size_t j = 0; j < e->n_page_sizes; j++)
            if (e->page_sizes[j] == v.u)
                return fail(L, p->line, "page size %s is listed twice in %s",
                            v.text, where);
        e->page_sizes[e->n_page_sizes++] = (size_t)v.u;
    }
    return 0;
}

static const struct toml_node *get(const struct toml_node *t, const char *k)
{
    return toml_get(t, k);
}

/* Name, question and the plain keys. */
static int read_header(struct loader *L, const struct toml_node *t,
                       struct experiment *e, char *where, size_t wlen)
{
    const struct toml_node *n = get(t, "name");

    if (!n)
        return fail(L, t->line, "[[experiment]] without a name");
    if (n->type != TOML_STRING || !good_name(n->s))
        return fail(L, n->line, "name in [[experiment]]: want 1 to %d of "
                    "A-Z a-z 0-9 _ . - (it names files)", MAX_NAME);
    e->name = strdup(n->s);
    if (!e->name)
        return fail(L, n->line, "out of memory");
    snprintf(where, wlen, "experiment '%s'", e->name);
    if (!(n = get(t, "question")))
        return fail(L, t->line, "%s has no question (1..9, or a label such "
                    "as \"baselines\")", where);
    if (read_question(L, n, where, e) != 0)
        return -1;
    e->description = strdup("");
    e->title = strdup(e->name);
    if (!e->description || !e->title)
        return fail(L, t->line, "out of memory");
    if ((n = get(t, "title")) && read_string(L, n, where, &e->title) != 0)
        return -1;
    if ((n = get(t, "description")) && read_string(L, n, where,
                                                   &e->description) != 0)
        return -1;
    if ((n = get(t, "kind")) && read_kind(L, n, where, e) != 0)
        return -1;
    if ((n = get(t, "enabled")) && read_bool(L, n, where, &e->enabled) != 0)
        return -1;
    if ((n = get(t, "quick")) && read_bool(L, n, where, &e->quick) != 0)
        return -1;
    return 0;
}

/* [experiment.model] and [experiment.run] over the suite's. */
static int read_overrides(struct loader *L, const struct toml_node *t,
                          const struct suite_config *c, struct experiment *e,
                          const char *exp_where, struct model_lines *ml,
                          struct model_lines *own)
{
    const struct toml_node *n;
    char where[MAX_NAME + 64];

    e->model = c->model;
    if (run_copy(&e->run, &c->run) != 0)
        return fail(L, t->line, "out of memory");
    snprintf(where, sizeof where, "[experiment.model] of %s", exp_where);
    if ((n = get(t, "model")) && read_model(L, n, where, &e->model, own) != 0)
        return -1;
    for (int k = 0; k < MK_N; k++)
        if (own->line[k])
            ml->line[k] = own->line[k];
    snprintf(where, sizeof where, "[experiment.run] of %s", exp_where);
    if ((n = get(t, "run")) && read_run(L, n, where, false, &e->run) != 0)
        return -1;
    return 0;
}

static int read_lists(struct loader *L, const struct toml_node *t,
                      struct experiment *e, const char *where,
                      const struct model_lines *own)
{
    const struct toml_node *n = get(t, "page_sizes");

    if (n && own->line[MK_PAGE_SIZE])
        return fail(L, n->line, "%s sets both page_sizes and model."
                    "page_size; keep one", where);
    if (n && read_page_sizes(L, n, where, e) != 0)
        return -1;
    if (!n) {
        e->page_sizes = malloc(sizeof *e->page_sizes);
        if (!e->page_sizes)
            return fail(L, t->line, "out of memory");
        e->page_sizes[0] = e->model.page_size;
        e->n_page_sizes = 1;
    }
    if (!(n = get(t, "backends")))
        return fail(L, t->line, "%s has no backends", where);
    return read_backends(L, n, where, e);
}

/* What the experiment measures: a workload, or the access probe. */
static int read_subject(struct loader *L, const struct toml_node *t,
                        struct experiment *e, const char *where)
{
    const struct toml_node *w = get(t, "workload"), *a = get(t, "access");
    struct heap_config m = e->model;

    e->access = (struct access_config){
        .working_set = ACCESS_WORKING_SET, .block = ACCESS_BLOCK,
        .accesses = ACCESS_ACCESSES,
    };
    if (e->kind == EXP_ACCESS) {
        if (w)
            return fail(L, w->line, "%s: kind = \"access\" takes no "
                        "workload (its probe is [experiment.access])", where);
        if (a && read_access(L, a, where, &e->access) != 0)
            return -1;
        for (size_t i = 0; i < e->n_page_sizes; i++) {
            m.page_size = e->page_sizes[i];
            if (check_access(L, &e->access, &m, a ? a->line : t->line))
                return -1;
        }
        return 0;
    }
    if (a)
        return fail(L, a->line, "%s: access keys need kind = \"access\"",
                    where);
    if (!w)
        return fail(L, t->line, "%s has no workload", where);
    return read_workload(L, w, where, e);
}

static int check_unknown(struct loader *L, const struct toml_node *t,
                         const char *where)
{
    for (size_t i = 0; i < t->n; i++) {
        bool known = false;

        for (const char *const *k = experiment_names; *k; k++)
            known = known || strcmp(*k, t->kids[i].key) == 0;
        if (!known)
            return unknown_key(L, &t->kids[i], where, experiment_names);
    }
    return 0;
}

/* Model keys an experiment both sets and sweeps: which would win? */
static int check_set_and_swept(struct loader *L, const struct experiment *e,
                               const struct model_lines *own)
{
    for (int k = 0; k < MK_N; k++)
        if (own->line[k] && swept(e, SWEEP_MODEL, k))
            return fail(L, own->line[k], "%s is both set and swept in "
                        "experiment '%s'", model_keys[k].name, e->name);
    for (int opt = 0; opt < GEN_N_OPTS; opt++)
        if ((e->gen.given & GEN_OPT(opt)) && swept(e, SWEEP_WORKLOAD, opt))
            return fail(L, e->line, "workload option %s is both set and "
                        "swept in experiment '%s'",
                        gen_option_at(opt)->name, e->name);
    return 0;
}

/* Every point, as written and as --quick shrinks it: a combination that
 * no single value shows wrong is still caught before the suite starts. */
static int check_points(struct loader *L, const struct experiment *e)
{
    struct config_point pt;
    char why[WHY_TEMP];

    for (int quick = 0; quick <= e->quick; quick++) {
        struct config_env env = { .cores = 1, .quick = quick };
        size_t n = config_points(e, &env);

        if (n > CONFIG_MAX_POINTS)
            return fail(L, e->line, "experiment '%s' has %zu points; at most "
                        "%d", e->name, n, CONFIG_MAX_POINTS);
        for (size_t i = 0; i < n; i++)
            if (config_point(e, &env, i, &pt, why, sizeof why) != 0)
                return fail(L, e->line, "experiment '%s'%s: %s", e->name,
                            quick ? " under --quick (set quick = false, or "
                            "raise quick_scale)" : "", why);
    }
    return 0;
}

static int read_experiment(struct loader *L, const struct toml_node *t,
                           const struct suite_config *c,
                           const struct model_lines *suite_lines,
                           struct experiment *e)
{
    struct model_lines ml = *suite_lines, own = { { 0 } };
    const struct toml_node *sweep;
    char where[MAX_NAME + 32];

    e->line = t->line;
    e->enabled = e->quick = true;
    gen_params_defaults(&e->gen);
    if (t->type != TOML_TABLE)
        return fail(L, t->line, "experiments are tables: write "
                    "[[experiment]] and its keys");
    if (read_header(L, t, e, where, sizeof where) != 0 ||
        check_unknown(L, t, where) != 0 ||
        read_overrides(L, t, c, e, where, &ml, &own) != 0 ||
        read_lists(L, t, e, where, &own) != 0)
        return -1;
    for (size_t i = 0; i < e->n_page_sizes; i++) {
        struct heap_config m = e->model;

        m.page_size = e->page_sizes[i];
        if (check_model(L, &m, &ml, e->line) != 0)
            return -1;
    }
    if (read_subject(L, t, e, where) != 0)
        return -1;
    sweep = get(t, "sweep");
    if (sweep && (read_sweeps(L, sweep, where, e) != 0 ||
                  check_set_and_swept(L, e, &own) != 0 ||
                  check_sweeps(L, e, sweep, &ml) != 0))
        return -1;
    return check_points(L, e);
}

static void experiment_free(struct experiment *e)
{
    free(e->name);
    free(e->label);
    free(e->title);
    free(e->description);
    free(e->trace);
    for (int i = 0; i < GEN_N_OPTS; i++)
        free(e->gen_text[i]);
    for (size_t i = 0; i < e->n_backends; i++)
        free(e->backends[i]);
    free(e->backends);
    free(e->page_sizes);
    run_free(&e->run);
    for (size_t i = 0; i < e->n_sweeps; i++)
        free(e->sweeps[i].values);
}

/* ---- the suite ------------------------------------------------------ */

static int read_experiments(struct loader *L, const struct toml_node *a,
                            struct suite_config *c,
                            const struct model_lines *ml)
{
    if (a->type != TOML_ARRAY || (a->n && a->kids[0].type != TOML_TABLE))
        return fail(L, a->line, "experiments are tables: write "
                    "[[experiment]] and its keys");
    c->experiments = calloc(a->n ? a->n : 1, sizeof *c->experiments);
    if (!c->experiments)
        return fail(L, a->line, "out of memory");
    for (size_t i = 0; i < a->n; i++) {
        struct experiment *e = &c->experiments[i];

        c->n_experiments++;
        if (read_experiment(L, &a->kids[i], c, ml, e) != 0)
            return -1;
        for (size_t j = 0; j < i; j++)
            if (strcmp(c->experiments[j].name, e->name) == 0)
                return fail(L, get(&a->kids[i], "name")->line,
                            "duplicate experiment name '%s' (first at line "
                            "%u)", e->name, c->experiments[j].line);
    }
    return 0;
}

static int read_suite(struct loader *L, const struct toml_node *root,
                      struct suite_config *c)
{
    static const char *const top[] = { "model", "run", "experiment", NULL };
    struct model_lines ml = { { 0 } };
    const struct toml_node *n;

    for (size_t i = 0; i < root->n; i++) {
        bool known = false;

        for (const char *const *k = top; *k; k++)
            known = known || strcmp(*k, root->kids[i].key) == 0;
        if (!known)
            return fail(L, root->kids[i].line, "unknown %s '%s' at the top "
                        "level; want [model], [run] or [[experiment]]",
                        root->kids[i].type == TOML_TABLE ? "table" : "key",
                        root->kids[i].key);
    }
    if ((n = get(root, "model")) && read_model(L, n, "[model]", &c->model,
                                               &ml) != 0)
        return -1;
    if ((n = get(root, "run")) && read_run(L, n, "[run]", true, &c->run) != 0)
        return -1;
    n = get(root, "experiment");
    if (!n || n->n == 0)
        return fail(L, 1, "no [[experiment]]: nothing to run");
    return read_experiments(L, n, c, &ml);
}

int config_defaults(struct suite_config *c)
{
    memset(c, 0, sizeof *c);
    heap_config_defaults(&c->model);
    run_defaults(&c->run);
    return run_alloc_defaults(&c->run);
}

static int parse(struct loader *L, const char *path, const char *text,
                 size_t text_len, struct suite_config *out)
{
    struct toml_node *root;
    int rc;

    if (config_defaults(out) != 0) {
        snprintf(L->why, L->len, "%s: out of memory", L->file);
        return -1;
    }
    out->path = strdup(path);
    root = text ? toml_parse(L->file, text, text_len, L->why, L->len)
                : toml_load(path, L->why, L->len);
    if (!out->path || !root) {
        if (!out->path)
            snprintf(L->why, L->len, "%s: out of memory", L->file);
        toml_free(root);
        config_free(out);
        return -1;
    }
    rc = read_suite(L, root, out);
    toml_free(root);
    if (rc != 0)
        config_free(out);
    return rc;
}

int config_load(const char *path, struct suite_config *out, char *why,
                size_t len)
{
    char *copy = strdup(path);
    struct loader L = { .file = path, .why = why, .len = len };
    int rc;

    if (!copy) {
        snprintf(why, len, "%s: out of memory", path);
        return -1;
    }
    L.dir = dirname(copy);
    rc = parse(&L, path, NULL, 0, out);
    free(copy);
    return rc;
}

int config_parse(const char *name, const char *text, size_t text_len,
                 struct suite_config *out, char *why, size_t len)
{
    struct loader L = { .file = name, .why = why, .len = len };

    return parse(&L, name, text, text_len, out);
}

void config_free(struct suite_config *c)
{
    for (size_t i = 0; i < c->n_experiments; i++)
        experiment_free(&c->experiments[i]);
    free(c->experiments);
    free(c->path);
    run_free(&c->run);
    memset(c, 0, sizeof *c);
}

const struct experiment *config_find(const struct suite_config *c,
                                     const char *name)
{
    for (size_t i = 0; i < c->n_experiments; i++)
        if (strcmp(c->experiments[i].name, name) == 0)
            return &c->experiments[i];
    return NULL;
}

bool config_runs(const struct experiment *e, const struct config_env *env)
{
    return e->enabled && (!env->quick || e->quick);
}

/* ---- points --------------------------------------------------------- */

static size_t push_count(uint32_t *out, size_t n, size_t max, uint32_t v)
{
    for (size_t i = 0; i < n; i++)
        if (out[i] == v)
            return n;
    if (n < max)
        out[n++] = v;
    return n;
}

size_t config_counts_resolve(const struct config_counts *c, bool peers,
                             unsigned cores, uint32_t *out, size_t max)
{
    uint32_t all = cores ? cores : 1;
    size_t n = 0;

    if (peers)
        all--;   /* the other cores */
    for (size_t i = 0; i < c->n; i++) {
        if (c->v[i] == CONFIG_ALL) {
            n = push_count(out, n, max, all);
        } else if (c->v[i] == CONFIG_SCALE) {
            /* threads 1, 2, 4 ...; peers 0, 1, 3, 7 ...: the machine's
             * half, quarter ... of CPUs busy */
            for (uint32_t x = peers ? 0 : 1; x < all; x = peers ? 2 * x + 1
                                                                : 2 * x)
                n = push_count(out, n, max, x);
            n = push_count(out, n, max, all);
        } else {
            n = push_count(out, n, max, c->v[i]);
        }
    }
    return n;
}

#define RESOLVED_MAX (CONFIG_MAX_COUNTS + 2 * 32)

struct dims {
    uint32_t threads[RESOLVED_MAX], peers[RESOLVED_MAX];
    size_t n_threads, n_peers;
};

static void dims_of(const struct experiment *e, const struct config_env *env,
                    struct dims *d)
{
    if (e->kind == EXP_ACCESS) {   /* the probe walks on one thread */
        d->threads[0] = 1;
        d->peers[0] = 0;
        d->n_threads = d->n_peers = 1;
        return;
    }
    d->n_threads = config_counts_resolve(&e->run.threads, false, env->cores,
                                         d->threads, RESOLVED_MAX);
    d->n_peers = config_counts_resolve(&e->run.flush_peers, true, env->cores,
                                       d->peers, RESOLVED_MAX);
}

size_t config_points(const struct experiment *e, const struct config_env *env)
{
    struct dims d;
    size_t n;

    dims_of(e, env, &d);
    n = e->n_page_sizes * d.n_threads * d.n_peers * e->n_backends;
    for (size_t i = 0; i < e->n_sweeps; i++)
        n *= e->sweeps[i].n;
    return n;
}

static uint64_t scaled(uint64_t n, double scale, uint64_t floor)
{
    uint64_t s = (uint64_t)ceil((double)n * scale);

    if (s < floor)
        s = floor;
    return s < n ? s : n;
}

/* Index I as digits: backends vary fastest, page sizes slowest. */
static size_t digit(size_t *i, size_t radix)
{
    size_t d = *i % radix;

    *i /= radix;
    return d;
}

int config_point(const struct experiment *e, const struct config_env *env,
                 size_t i, struct config_point *pt, char *why, size_t len)
{
    const struct run_config *r = &e->run;
    char msg[WHY_TEMP];
    size_t rest = i;
    struct dims d;

    dims_of(e, env, &d);
    memset(pt, 0, sizeof *pt);
    pt->exp = e;
    pt->index = i;
    pt->backend = e->backends[digit(&rest, e->n_backends)];
    pt->flush_peers = d.peers[digit(&rest, d.n_peers)];
    pt->threads = d.threads[digit(&rest, d.n_threads)];
    for (size_t s = e->n_sweeps; s-- > 0;)
        pt->choice[s] = digit(&rest, e->sweeps[s].n);
    pt->model = e->model;
    pt->model.page_size = e->page_sizes[digit(&rest, e->n_page_sizes)];
    pt->access = e->access;
    for (size_t s = 0; s < e->n_sweeps; s++) {
        const struct config_sweep *sw = &e->sweeps[s];

        if (sw->target == SWEEP_MODEL)
            model_apply(&pt->model, sw->id, sw->values[pt->choice[s]].u);
        else if (sw->target == SWEEP_ACCESS)
            access_apply(&pt->access, sw->id, sw->values[pt->choice[s]].u);
    }
    pt->repetitions = r->repetitions;
    pt->warmup = r->warmup;
    if (env->quick) {
        pt->repetitions = r->repetitions < r->quick_repetitions
                          ? r->repetitions : r->quick_repetitions;
        pt->warmup = r->warmup < 1 ? r->warmup : 1;
        pt->access.accesses = scaled(pt->access.accesses, r->quick_scale,
                                     QUICK_MIN_ACCESSES);
    }
    if (!e->workload)
        return 0;
    gen_prepare(e, &pt->model, &pt->gen);
    pt->gen.threads = pt->threads;
    if (env->quick)
        pt->gen.events = scaled(pt->gen.events, r->quick_scale,
                                QUICK_MIN_EVENTS);
    for (size_t s = 0; s < e->n_sweeps; s++) {
        const struct config_sweep *sw = &e->sweeps[s];

        if (sw->target == SWEEP_WORKLOAD &&
            gen_apply(&pt->gen, sw->id, &sw->values[pt->choice[s]], msg,
                      sizeof msg) != 0) {
            snprintf(why, len, "%s: %s", sw->key, msg);
            return -1;
        }
    }
    if (gen_check(e->workload, &pt->gen, msg, sizeof msg) != 0) {
        snprintf(why, len, "workload '%s' at point %zu: %s",
                 e->workload->name, i, msg);
        return -1;
    }
    return 0;
}

/* ---- JSON ----------------------------------------------------------- */

static json_t *model_json(const struct heap_config *m)
{
    return json_pack("{s:I, s:I, s:i, s:I, s:I, s:b, s:b, s:b, s:s, s:i}",
                     "page_size", (json_int_t)m->page_size,
                     "memory", (json_int_t)m->memory_bytes,
                     "max_order", (int)m->max_order,
                     "xenheap", (json_int_t)m->xenheap_bytes,
                     "vmap_size", (json_int_t)m->vmap_bytes,
                     "directmap", m->directmap, "scrub", m->scrub,
                     "hugepages", m->hugepages,
                     "flush", flush_policy_name(m->flush),
                     "lazy_max_pages", (int)m->lazy_max_pages);
}

static json_t *counts_json(const struct config_counts *c)
{
    json_t *a = json_array();

    for (size_t i = 0; i < c->n; i++)
        json_array_append_new(a, c->v[i] == CONFIG_ALL ? json_string("all")
                                 : c->v[i] == CONFIG_SCALE
                                 ? json_string("scale")
                                 : json_integer(c->v[i]));
    return a;
}

static json_t *events_json(const char *list)
{
    json_t *a = json_array();
    const char *p = list;

    while (*p) {
        size_t n = strcspn(p, ",");

        json_array_append_new(a, json_stringn(p, n));
        p += n + (p[n] == ',');
    }
    return a;
}

static json_t *run_json(const struct run_config *r, bool suite)
{
    json_t *o = json_pack("{s:i, s:i, s:o, s:o, s:s, s:o, s:I, s:f, s:i, "
                          "s:f}",
                          "repetitions", (int)r->repetitions,
                          "warmup", (int)r->warmup,
                          "threads", counts_json(&r->threads),
                          "flush_peers", counts_json(&r->flush_peers),
                          "pin", pin_mode_name(r->pin),
                          "counters", events_json(r->counters),
                          "seed", (json_int_t)r->seed,
                          "quick_scale", r->quick_scale,
                          "quick_repetitions", (int)r->quick_repetitions,
                          "point_timeout", r->point_timeout_s);

    if (o && suite) {
        json_object_set_new(o, "budget", json_real(r->budget_s));
        json_object_set_new(o, "quick_budget", json_real(r->quick_budget_s));
    }
    return o;
}

static json_t *access_json_of(const struct access_config *a)
{
    return json_pack("{s:I, s:I, s:I, s:s, s:b}",
                     "working_set", (json_int_t)a->working_set,
                     "block", (json_int_t)a->block,
                     "accesses", (json_int_t)a->accesses,
                     "pattern", a->sequential ? "sequential" : "random",
                     "write", a->write);
}

static json_t *workload_json(const struct experiment *e)
{
    json_t *w = json_object(), *opts = json_object();
    char name[MAX_NAME + 1];

    if (e->trace) {
        json_object_set_new(w, "trace", json_string(e->trace));
        json_decref(opts);
        return w;
    }
    json_object_set_new(w, "name", json_string(e->workload->name));
    json_object_set_new(w, "events", json_integer((json_int_t)e->gen.events));
    json_object_set_new(w, "cross_free", json_integer(e->gen.cross_free));
    for (int i = 0; i < GEN_N_OPTS; i++)
        if (e->gen.given & GEN_OPT(i))
            json_object_set_new(opts, toml_spelling(i, name, sizeof name),
                                e->gen_text[i]
                                ? json_string(e->gen_text[i]) : json_true());
    json_object_set_new(w, "options", opts);
    return w;
}

static json_t *value_json(const struct config_sweep *s,
                          const struct config_value *v)
{
    const struct key *k = s->target == SWEEP_MODEL ? &model_keys[s->id]
                          : s->target == SWEEP_ACCESS ? &access_keys[s->id]
                          : NULL;

    if (!k)   /* a workload option: bytes when it reads as a size */
        return is_flag(s->id) ? json_boolean(v->u)
               : v->u ? json_integer((json_int_t)v->u) : json_string(v->text);
    switch (k->kind) {
    case V_BOOL:    return json_boolean(v->u);
    case V_FLUSH:
    case V_PATTERN: return json_string(v->text);
    default:        return json_integer((json_int_t)v->u);
    }
}

static const char *target_name(enum sweep_target t)
{
    return t == SWEEP_MODEL ? "model" : t == SWEEP_ACCESS ? "access"
                                                           : "workload";
}

static json_t *sweeps_json(const struct experiment *e)
{
    json_t *a = json_array();

    for (size_t i = 0; i < e->n_sweeps; i++) {
        const struct config_sweep *s = &e->sweeps[i];
        json_t *vals = json_array(), *texts = json_array();
        char key[MAX_NAME + 16];

        for (size_t v = 0; v < s->n; v++) {
            json_array_append_new(vals, value_json(s, &s->values[v]));
            json_array_append_new(texts, json_string(s->values[v].text));
        }
        snprintf(key, sizeof key, "%s.%s", target_name(s->target), s->key);
        json_array_append_new(a, json_pack("{s:s, s:o, s:o}", "key", key,
                                           "values", vals, "text", texts));
    }
    return a;
}

json_t *config_experiment_json(const struct experiment *e)
{
    json_t *o = json_object(), *b = json_array(), *p = json_array();

    for (size_t i = 0; i < e->n_backends; i++)
        json_array_append_new(b, json_string(e->backends[i]));
    for (size_t i = 0; i < e->n_page_sizes; i++)
        json_array_append_new(p, json_integer((json_int_t)e->page_sizes[i]));
    json_object_set_new(o, "name", json_string(e->name));
    json_object_set_new(o, "question", e->question
                        ? json_integer(e->question) : json_null());
    json_object_set_new(o, "label", json_string(e->label));
    json_object_set_new(o, "title", json_string(e->title));
    json_object_set_new(o, "description", json_string(e->description));
    json_object_set_new(o, "kind", json_string(e->kind == EXP_ACCESS
                                               ? "access" : "replay"));
    json_object_set_new(o, "enabled", json_boolean(e->enabled));
    json_object_set_new(o, "quick", json_boolean(e->quick));
    if (e->kind == EXP_ACCESS)
        json_object_set_new(o, "access", access_json_of(&e->access));
    else
        json_object_set_new(o, "workload", workload_json(e));
    json_object_set_new(o, "backends", b);
    json_object_set_new(o, "page_sizes", p);
    json_object_set_new(o, "model", model_json(&e->model));
    json_object_set_new(o, "run", run_json(&e->run, false));
    json_object_set_new(o, "sweep", sweeps_json(e));
    return o;
}

json_t *config_json(const struct suite_config *c)
{
    json_t *o = json_object(), *a = json_array();

    for (size_t i = 0; i < c->n_experiments; i++)
        json_array_append_new(a, config_experiment_json(&c->experiments[i]));
    if (c->path)
        json_object_set_new(o, "file", json_string(c->path));
    json_object_set_new(o, "model", model_json(&c->model));
    json_object_set_new(o, "run", run_json(&c->run, true));
    json_object_set_new(o, "experiment", a);
    return o;
}

int config_point_id(const struct config_point *pt, char *buf, size_t len)
{
    const struct experiment *e = pt->exp;
    size_t at = 0;
    int n;

#define ADD(...) \
    do { \
        n = snprintf(buf + (at < len ? at : len), at < len ? len - at : 0, \
                     __VA_ARGS__); \
        at += (size_t)(n > 0 ? n : 0); \
    } while (0)
    ADD("%s/%s", e->name, pt->backend);
    if (e->n_page_sizes > 1 || pt->model.page_size != 4096)
        ADD("/page=%zuK", pt->model.page_size >> 10);
    if (pt->threads != 1)
        ADD("/threads=%u", pt->threads);
    if (pt->flush_peers != 0)
        ADD("/peers=%u", pt->flush_peers);
    for (size_t s = 0; s < e->n_sweeps; s++)
        ADD("/%s=%s", e->sweeps[s].key,
            e->sweeps[s].values[pt->choice[s]].text);
#undef ADD
    return (int)at;
}

json_t *config_point_json(const struct config_point *pt)
{
    const struct experiment *e = pt->exp;
    json_t *sweep = json_object();
    char id[WHY_TEMP];
    json_t *o;

    config_point_id(pt, id, sizeof id);
    o = json_pack("{s:s, s:s, s:I, s:s, s:I, s:i, s:i, s:i, s:i}",
                  "id", id, "experiment", e->name,
                  "point", (json_int_t)pt->index, "backend", pt->backend,
                  "page_size", (json_int_t)pt->model.page_size,
                  "threads", (int)pt->threads,
                  "flush_peers", (int)pt->flush_peers,
                  "repetitions", (int)pt->repetitions,
                  "warmup", (int)pt->warmup);

    for (size_t s = 0; s < e->n_sweeps; s++)
        json_object_set_new(sweep, e->sweeps[s].key,
                            value_json(&e->sweeps[s],
                                       &e->sweeps[s].values[pt->choice[s]]));
    json_object_set_new(o, "sweep", sweep);
    if (e->workload)
        json_object_set_new(o, "events", json_integer((json_int_t)pt->gen.events));
    return o;
}

const char *const *config_keys(const char *section)
{
    static const char *model[MK_N + 1], *run[RK_N + 1], *access_k[AK_N + 1],
                      *workload[WK_N + 1];

    if (strcmp(section, "experiment") == 0)
        return experiment_names;
#define FILL(arr, keys, n) \
    do { for (size_t i = 0; i < (n); i++) arr[i] = keys[i].name; \
         arr[n] = NULL; return arr; } while (0)
    if (strcmp(section, "model") == 0)
        FILL(model, model_keys, MK_N);
    if (strcmp(section, "run") == 0)
        FILL(run, run_keys, RK_N);
    if (strcmp(section, "access") == 0)
        FILL(access_k, access_keys, AK_N);
    if (strcmp(section, "workload") == 0)
        FILL(workload, workload_keys, WK_N);
#undef FILL
    return NULL;
}
