/*
 * The effective configuration as JSON, for results.json: every key,
 * defaults included, under the names bench.toml uses.
 */
#include "drivers/suite/config_internal.h"

#include <string.h>

static json_t *model_json(const struct heap_config *m)
{
    json_t *o = json_object();

    knobs_json(o, m, MK_N);
    return o;
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
    case V_ARCH:
    case V_BOOTSCRUB:
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
