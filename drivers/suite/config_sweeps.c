/*
 * [experiment.sweep.*]: lists of values for model, run, workload and
 * access keys, every combination checked when the file is read.
 */
#include "drivers/suite/config_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool is_flag(int opt)
{
    return gen_option_at(opt)->arg == NULL;
}

/* Sets workload option OPT of P to sweep value V. */
int gen_apply(struct gen_params *p, int opt,
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

/*
 * Whether A and B of sweep S are one value however spelt: a model or
 * access key by what it means (its number: "4K" and "4096", true and
 * true), a workload option by its text, or by its size when both are
 * sizes ("2p" is pages, whose size follows the page size).
 */
static bool same_value(const struct config_sweep *s,
                       const struct config_value *a,
                       const struct config_value *b)
{
    uint64_t x, y;

    if (s->target != SWEEP_WORKLOAD)
        return a->u == b->u;
    if (strcmp(a->text, b->text) == 0)
        return true;
    return parse_size(a->text, &x) == 0 && parse_size(b->text, &y) == 0 &&
           x == y;
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
    for (s->n = 0; s->n < n->n; s->n++) {
        if (read_sweep_value(L, &n->kids[s->n], s, where) != 0)
            return -1;
        /* Two equal values would measure one point under two ids. */
        for (size_t j = 0; j < s->n; j++)
            if (same_value(s, &s->values[j], &s->values[s->n]))
                return fail(L, n->kids[s->n].line, "%s in %s: %s is listed "
                            "twice (as %s at line %u)", n->key, where,
                            s->values[s->n].text, s->values[j].text,
                            n->kids[j].line);
    }
    return 0;
}

/* The sweep of key ID of TARGET in E, or NULL. */
const struct config_sweep *sweep_of(const struct experiment *e,
                                    enum sweep_target t, int id)
{
    for (size_t i = 0; i < e->n_sweeps; i++)
        if (e->sweeps[i].target == t && e->sweeps[i].id == id)
            return &e->sweeps[i];
    return NULL;
}

int read_sweeps(struct loader *L, const struct toml_node *t,
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
int check_sweeps(struct loader *L, const struct experiment *e,
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

                model_apply(&x.model, MK_PAGE_SIZE, e->page_sizes[p]);
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
