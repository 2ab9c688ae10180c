/*
 * The suite: bench.toml's top level read into a suite_config, and the
 * public calls on it (config.h).
 */
#include "drivers/suite/config_internal.h"

#include <libgen.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * Experiment names seen so far, for duplicates: open addressing over a
 * power of two at least twice the experiments, so that loading stays
 * linear in their number (a list searched for each name made 27,000
 * experiments take seconds).
 */
struct names {
    size_t mask;
    const struct experiment **slot;
};

static uint64_t name_hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;   /* FNV-1a */

    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return h;
}

/* The experiment already named like E, or NULL after adding E. */
static const struct experiment *names_add(struct names *t,
                                          const struct experiment *e)
{
    size_t i = (size_t)name_hash(e->name) & t->mask;

    for (; t->slot[i]; i = (i + 1) & t->mask)
        if (strcmp(t->slot[i]->name, e->name) == 0)
            return t->slot[i];
    t->slot[i] = e;
    return NULL;
}

static int read_experiments(struct loader *L, const struct toml_node *a,
                            struct suite_config *c,
                            const struct model_lines *ml)
{
    struct names seen = { .mask = 1 };
    int rc = 0;

    if (a->type != TOML_ARRAY || (a->n && a->kids[0].type != TOML_TABLE))
        return fail(L, a->line, "experiments are tables: write "
                    "[[experiment]] and its keys");
    while (seen.mask + 1 < 2 * a->n)
        seen.mask = 2 * seen.mask + 1;
    seen.slot = calloc(seen.mask + 1, sizeof *seen.slot);
    c->experiments = calloc(a->n ? a->n : 1, sizeof *c->experiments);
    if (!c->experiments || !seen.slot) {
        free(seen.slot);
        return fail(L, a->line, "out of memory");
    }
    for (size_t i = 0; i < a->n && rc == 0; i++) {
        struct experiment *e = &c->experiments[i];
        const struct experiment *first;

        c->n_experiments++;
        rc = read_experiment(L, &a->kids[i], c, ml, e);
        if (rc == 0 && (first = names_add(&seen, e)))
            rc = fail(L, get(&a->kids[i], "name")->line, "duplicate "
                      "experiment name '%s' (first at line %u)", e->name,
                      first->line);
    }
    free(seen.slot);
    return rc;
}

/* calibration = "FILE": units to price Xen's mapping work with, from another
 * machine (docs/calibrate.md); relative to bench.toml's folder. The file
 * itself is read by the run, which names its lines in errors. */
static int read_calibration(struct loader *L, const struct toml_node *n,
                            struct suite_config *c)
{
    if (n->type != TOML_STRING || !n->s[0])
        return fail(L, n->line, "calibration: want a file name in quotes "
                    "(a calibration.json layout, docs/calibrate.md)");
    if (n->s[0] == '/' || !L->dir)
        c->calibration = strdup(n->s);
    else if (asprintf(&c->calibration, "%s/%s", L->dir, n->s) < 0)
        c->calibration = NULL;
    if (!c->calibration)
        return fail(L, n->line, "out of memory");
    return 0;
}

static int read_suite(struct loader *L, const struct toml_node *root,
                      struct suite_config *c)
{
    static const char *const top[] = { "model", "run", "experiment",
                                       "calibration", NULL };
    struct model_lines ml = { { 0 } };
    const struct toml_node *n;

    for (size_t i = 0; i < root->n; i++) {
        bool known = false;

        for (const char *const *k = top; *k; k++)
            known = known || strcmp(*k, root->kids[i].key) == 0;
        if (!known)
            return fail(L, root->kids[i].line, "unknown %s '%s' at the top "
                        "level; want calibration, [model], [run] or "
                        "[[experiment]]",
                        root->kids[i].type == TOML_TABLE ? "table" : "key",
                        root->kids[i].key);
    }
    if ((n = get(root, "calibration")) && read_calibration(L, n, c) != 0)
        return -1;
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
    free(c->calibration);
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
