/*
 * [model] and [run], at the top of the file or in an experiment, and
 * whether the model can run what they say (drivers/measure/knobs.c), said
 * with the line that set it.
 */
#include "drivers/suite/config_internal.h"

#include <inttypes.h>
#include <string.h>

void model_apply(struct heap_config *m, int k, uint64_t u)
{
    knob_set(m, (unsigned)k, u);
}

int read_model(struct loader *L, const struct toml_node *t,
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

int read_run(struct loader *L, const struct toml_node *t,
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

/* ---- model consistency ---------------------------------------------- */

/*
 * What the model cannot run (knobs_check: what heap_create would refuse,
 * and what this host cannot back), said here so that the message can name
 * the line that set the knob, or FALLBACK when a default is at fault.
 */
int check_model(struct loader *L, const struct heap_config *m,
                const struct model_lines *ml, unsigned fallback)
{
    char want[256], value[32];
    int k = knobs_check(m, MK_N, want, sizeof want);

    if (k < 0)
        return 0;
    knob_text((unsigned)k, m, value, sizeof value);
    return fail(L, ml->line[k] ? ml->line[k] : fallback, "%s %s: want %s",
                model_keys[k].name, value, want);
}
