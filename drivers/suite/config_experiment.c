/*
 * One [[experiment]]: its header keys, its overrides of [model] and
 * [run], its workload or access probe, its sweeps, and the checks that
 * span them.
 */
#include "drivers/suite/config_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    const struct backend *const *all = backend_list(&known);

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

const struct toml_node *get(const struct toml_node *t, const char *k)
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
                        struct experiment *e, const char *where,
                        unsigned *opt_line)
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
            model_apply(&m, MK_PAGE_SIZE, e->page_sizes[i]);
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
    return read_workload(L, w, where, e, opt_line);
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

/* Keys an experiment both sets and sweeps: which would win? Blamed on
 * the line that sets it, naming the line that sweeps it. */
static int check_set_and_swept(struct loader *L, const struct experiment *e,
                               const struct model_lines *own,
                               const unsigned *opt_line)
{
    const struct config_sweep *s;
    char name[MAX_NAME + 1];

    for (int k = 0; k < MK_N; k++)
        if (own->line[k] && (s = sweep_of(e, SWEEP_MODEL, k)))
            return fail(L, own->line[k], "%s is both set and swept in "
                        "experiment '%s' (set at line %u, swept at line %u); "
                        "keep one", model_keys[k].name, e->name,
                        own->line[k], s->line);
    for (int opt = 0; opt < GEN_N_OPTS; opt++)
        if (opt_line[opt] && (s = sweep_of(e, SWEEP_WORKLOAD, opt)))
            return fail(L, opt_line[opt], "workload option %s is both set "
                        "and swept in experiment '%s' (set at line %u, swept "
                        "at line %u); keep one",
                        toml_spelling(opt, name, sizeof name), e->name,
                        opt_line[opt], s->line);
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

int read_experiment(struct loader *L, const struct toml_node *t,
                    const struct suite_config *c,
                    const struct model_lines *suite_lines,
                    struct experiment *e)
{
    struct model_lines ml = *suite_lines, own = { { 0 } };
    unsigned opt_line[GEN_N_OPTS] = { 0 };   /* workload options set */
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

        model_apply(&m, MK_PAGE_SIZE, e->page_sizes[i]);
        if (check_model(L, &m, &ml, e->line) != 0)
            return -1;
    }
    if (read_subject(L, t, e, where, opt_line) != 0)
        return -1;
    sweep = get(t, "sweep");
    if (sweep && (read_sweeps(L, sweep, where, e) != 0 ||
                  check_set_and_swept(L, e, &own, opt_line) != 0 ||
                  check_sweeps(L, e, sweep, &ml) != 0))
        return -1;
    return check_points(L, e);
}

void experiment_free(struct experiment *e)
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
