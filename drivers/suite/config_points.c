/*
 * Experiments expanded into points, one measurement each (config.h
 * says the order), and a point's stable id.
 */
#include "drivers/suite/config_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

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
    model_apply(&pt->model, MK_PAGE_SIZE,
                e->page_sizes[digit(&rest, e->n_page_sizes)]);
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

/* The stride and radix of coordinate DIM in a point's index, by
 * config_point's digit order. */
static void dim_place(const struct experiment *e, const struct config_env *env,
                      int dim, size_t *stride, size_t *radix)
{
    struct dims d;

    dims_of(e, env, &d);
    *stride = e->n_backends * d.n_peers * d.n_threads;
    for (size_t s = e->n_sweeps; s-- > 0 && (int)s != dim;)
        *stride *= e->sweeps[s].n;
    /* the page sizes come after every sweep (DIM -1 stops at none) */
    *radix = dim == CONFIG_DIM_PAGE ? e->n_page_sizes : e->sweeps[dim].n;
}

size_t config_point_at(const struct experiment *e,
                       const struct config_env *env, size_t i, int dim)
{
    size_t stride, radix;

    dim_place(e, env, dim, &stride, &radix);
    return i / stride % radix;
}

size_t config_point_moved(const struct experiment *e,
                          const struct config_env *env, size_t i, int dim,
                          size_t k)
{
    size_t stride, radix;

    dim_place(e, env, dim, &stride, &radix);
    return i - (i / stride % radix) * stride + k * stride;
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
