/*
 * The suite: bench.toml's top level read into a suite_config, and the
 * public calls on it (config.h).
 */
#include "drivers/suite/config_internal.h"

#include <libgen.h>
#include <stdlib.h>
#include <string.h>

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
