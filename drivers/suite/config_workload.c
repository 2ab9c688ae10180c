/*
 * [experiment.workload]: a generator of gen.h, its options spelt as
 * bench.toml spells them (long_life for --long-life) and checked by
 * gen_check at every page size, or a recorded trace; and
 * [experiment.access], the dTLB probe of access.h.
 */
#include "drivers/suite/config_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drivers/measure/access.h"

/* A generator option's index from a TOML key: long_life is long-life. */
int gen_option_of(const char *key)
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

const struct gen_option *gen_option_at(int opt)
{
    size_t count;

    return &gen_options(&count)[opt];
}

bool workload_reads(const struct gen_workload *w, int opt)
{
    for (const struct gen_knob *k = w->knobs; k->def; k++)
        if ((int)k->opt == opt)
            return true;
    return false;
}

/* A generator option's name as bench.toml spells it: long-life is long_life. */
const char *toml_spelling(int opt, char *buf, size_t len)
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
int option_text(struct loader *L, const struct toml_node *n, int opt,
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
void gen_prepare(const struct experiment *e, const struct heap_config *m,
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
int gen_try(const struct experiment *e, const struct heap_config *m,
            char *why, size_t len)
{
    struct gen_params q;

    gen_prepare(e, m, &q);
    return gen_check(e->workload, &q, why, len);
}

/* Sets option OPT = TEXT on P (NULL TEXT: a flag). */
int gen_put(struct gen_params *p, int opt, const char *text, char *why,
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
        if (k == WK_EVENTS && v.u > MAX_EVENTS)
            return fail(L, n->line, "events in %s: %" PRIu64 " is more than "
                        "%llu, the most one trace may have", where, v.u,
                        MAX_EVENTS);
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

/* Why the trace at PATH cannot be replayed, or NULL: it must be a regular
 * file (a folder or a FIFO would fail or hang the run) other than the
 * config file itself, and readable. */
static const char *bad_trace(const struct loader *L, const char *path)
{
    struct stat st, self;

    if (stat(path, &st) != 0 || access(path, R_OK) != 0)
        return strerror(errno);
    if (!S_ISREG(st.st_mode))
        return S_ISDIR(st.st_mode) ? "it is a folder, not a trace file"
                                   : "it is not a regular file";
    if (L->dir && stat(L->file, &self) == 0 && self.st_dev == st.st_dev &&
        self.st_ino == st.st_ino)
        return "it is this config file, not a trace";
    return NULL;
}

/*
 * A trace path, relative to the config file's folder, made absolute so that
 * the runner may change folders; checked readable.
 */
static int read_trace(struct loader *L, const struct toml_node *n,
                      const char *where, struct experiment *e)
{
    const char *bad = NULL;
    char *joined = NULL;

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
    bad = e->trace ? bad_trace(L, e->trace) : strerror(errno);
    if (bad)
        fail(L, n->line, "trace in %s: cannot read %s: %s", where, joined,
             bad);
    free(joined);
    return bad ? -1 : 0;
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

        model_apply(&m, MK_PAGE_SIZE, e->page_sizes[i]);
        if (gen_try(e, &m, why, sizeof why) == 0)
            continue;
        if (blame_option(L, e, opt_line, &m))
            return -1;
        return fail(L, line, "workload '%s' at page size %zuK: %s",
                    e->workload->name, m.page_size >> 10, why);
    }
    return 0;
}

/* [experiment.workload] T into E; OPT_LINE[opt] gets the line of each
 * generator option set. */
int read_workload(struct loader *L, const struct toml_node *t,
                  const char *exp_where, struct experiment *e,
                  unsigned *opt_line)
{
    const struct toml_node *name = t->type == TOML_STRING ? t
                                   : toml_get(t, "name");
    const struct toml_node *trace = toml_get(t, "trace");
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

void access_apply(struct access_config *a, int k, uint64_t u)
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

int read_access(struct loader *L, const struct toml_node *t,
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

int check_access(struct loader *L, const struct access_config *a,
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
