/*
 * Workloads made of a size distribution and a lifetime distribution:
 * small, odd-contig, large, short-lived, long-lived, threshold and mixed.
 */
#include "workloads/gen_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- lifetimes ----------------------------------------------------- */

/*
 * Most workloads are a size distribution plus a lifetime distribution. A
 * block's lifetime is counted in allocations: lifetime 1 frees it before the
 * next allocation. Short lifetimes are uniform in [1, --life]; --long PCT of
 * the blocks instead live uniform in [L/2, L] with L = --long-life, or the
 * whole trace when that is 0. A min-heap on the time of death says what to
 * free next.
 */
struct request {
    uint64_t size;
    unsigned flags, align_log2;
};

typedef void (*request_fn)(struct gen_out *o, const struct gen_params *p,
                           void *state, struct request *rq);

struct death {
    uint64_t when, id;
};

struct deaths {
    struct death *v;
    size_t n, cap;
};

static bool death_before(const struct death *a, const struct death *b)
{
    return a->when < b->when || (a->when == b->when && a->id < b->id);
}

static int deaths_push(struct deaths *h, struct death d)
{
    size_t i;

    if (h->n == h->cap) {
        size_t cap = h->cap ? 2 * h->cap : 1024;
        struct death *v = realloc(h->v, cap * sizeof(*v));

        if (!v)
            return -1;
        h->v = v;
        h->cap = cap;
    }
    for (i = h->n++; i > 0 && death_before(&d, &h->v[(i - 1) / 2]);
         i = (i - 1) / 2)
        h->v[i] = h->v[(i - 1) / 2];
    h->v[i] = d;
    return 0;
}

static struct death deaths_pop(struct deaths *h)
{
    struct death top = h->v[0], last = h->v[--h->n];
    size_t i = 0;

    for (;;) {
        size_t c = 2 * i + 1;

        if (c >= h->n)
            break;
        if (c + 1 < h->n && death_before(&h->v[c + 1], &h->v[c]))
            c++;
        if (!death_before(&h->v[c], &last))
            break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (h->n)
        h->v[i] = last;
    return top;
}

static uint64_t lifetime(struct gen_rng *r, const struct gen_params *p,
                         uint64_t whole)
{
    uint64_t t;

    if (rng_percent(r, p->long_pct)) {
        uint64_t l = p->long_life ? p->long_life : whole;

        t = rng_range(r, l / 2, l);
    } else {
        t = rng_range(r, 1, p->life);
    }
    return t ? t : 1;
}

static int emit_lifetimes(struct gen_out *o, const struct gen_params *p,
                          request_fn next, void *state)
{
    struct deaths h = { 0 };
    uint64_t clock = 0, whole = p->events / 2;

    for (;;) {
        struct request rq = { 0 };
        uint64_t id;

        if (h.n && h.v[0].when <= clock) {
            emit_free(o, deaths_pop(&h).id);
            continue;
        }
        if (budget(o, p) < h.n + 2)
            break;   /* each live block still needs its free */
        next(o, p, state, &rq);
        id = emit_alloc(o, rq.size, rq.flags, rq.align_log2);
        if (deaths_push(&h, (struct death){
                clock + lifetime(&o->rng, p, whole), id }) != 0) {
            free(h.v);
            errno = ENOMEM;
            return -1;
        }
        clock++;
    }
    while (h.n)
        emit_free(o, deaths_pop(&h).id);
    free(h.v);
    return 0;
}

/* Sizes log-uniform in [--min, --max], no flags: xmalloc-like or large. */
static void log_uniform_request(struct gen_out *o, const struct gen_params *p,
                                void *state, struct request *rq)
{
    rq->size = rng_log_uniform(&o->rng, p->min_size, p->max_size);
}

/* Sizes uniform in [--min, --max], contiguous: odd page counts. */
static void odd_contig_request(struct gen_out *o, const struct gen_params *p,
                               void *state, struct request *rq)
{
    rq->size = rng_range(&o->rng, p->min_size, p->max_size);
    rq->flags = TRACE_CONTIG;
}

int emit_small(struct gen_out *o, const struct gen_params *p)
{
    return emit_lifetimes(o, p, log_uniform_request, NULL);
}

int emit_odd_contig(struct gen_out *o, const struct gen_params *p)
{
    return emit_lifetimes(o, p, odd_contig_request, NULL);
}

int emit_large(struct gen_out *o, const struct gen_params *p)
{
    return emit_lifetimes(o, p, log_uniform_request, NULL);
}

int emit_short_lived(struct gen_out *o, const struct gen_params *p)
{
    struct gen_params q = *p;

    q.long_pct = 0;
    return emit_lifetimes(o, &q, log_uniform_request, NULL);
}

int emit_long_lived(struct gen_out *o, const struct gen_params *p)
{
    struct gen_params q = *p;

    q.long_pct = 100;
    return emit_lifetimes(o, &q, log_uniform_request, NULL);
}

/* threshold: the i-th request is PAGE_SIZE - range + (i * step mod span). */
static void threshold_request(struct gen_out *o, const struct gen_params *p,
                              void *state, struct request *rq)
{
    uint64_t *i = state, span = 2 * p->range + 1;

    rq->size = p->page_size - p->range + (*i * p->step) % span;
    (*i)++;
}

int emit_threshold(struct gen_out *o, const struct gen_params *p)
{
    uint64_t i = 0;

    return emit_lifetimes(o, p, threshold_request, &i);
}

int check_threshold(const struct gen_params *p, char *why, size_t len)
{
    if (p->range >= p->page_size || p->step < 1) {
        snprintf(why, len, "threshold needs --range < PAGE_SIZE and --step >= 1");
        return -1;
    }
    return 0;
}

/* ---- mixed --------------------------------------------------------- */

static void mixed_request(struct gen_out *o, const struct gen_params *p,
                          void *state, struct request *rq)
{
    const struct mix_state *m = state;
    uint64_t pick = rng_below(&o->rng, m->total);
    unsigned c = 0;

    while (pick >= p->mix[c])
        pick -= p->mix[c++];
    if (c == GEN_CLASS_ODD) {
        rq->size = rng_range(&o->rng, m->min[c], m->max[c]);
        rq->flags = TRACE_CONTIG;
    } else {
        rq->size = rng_log_uniform(&o->rng, m->min[c], m->max[c]);
    }
}

int emit_mixed(struct gen_out *o, const struct gen_params *p)
{
    struct mix_state m;
    char why[128];

    if (mix_ranges(p, &m, why, sizeof(why)) != 0) {
        errno = EINVAL;
        return -1;
    }
    return emit_lifetimes(o, p, mixed_request, &m);
}

int mix_ranges(const struct gen_params *p, struct mix_state *m,
               char *why, size_t len)
{
    static const struct gen_knob *const knobs[GEN_CLASSES] = {
        small_knobs, odd_contig_knobs, large_knobs,
    };
    struct gen_params q = *p;

    m->total = 0;
    for (int c = 0; c < GEN_CLASSES; c++) {
        if (parse_opt(GEN_MIN, knob_of(knobs[c], GEN_MIN)->def, &q, why,
                      len) ||
            parse_opt(GEN_MAX, knob_of(knobs[c], GEN_MAX)->def, &q, why, len))
            return -1;
        m->min[c] = q.min_size;
        m->max[c] = q.max_size;
        m->total += p->mix[c];
    }
    return 0;
}
