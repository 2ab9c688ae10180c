/*
 * aging: memory filled, partly freed and probed, round after round, to
 * see contiguous requests fail as memory fragments (question 4).
 */
#include "workloads/gen_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- aging --------------------------------------------------------- */

/*
 * aging: fill memory to --fill percent of --memory (counting whole pages),
 * then repeat rounds while events last: free --free percent of the live
 * blocks at random, probe, refill. A probe asks for one contiguous block of
 * each order 0 .. K (K = --max-order, or less when memory is smaller) and
 * frees it at once. A trace cannot know which probe failed, so probe ids are
 * GEN_PROBE_ID(round, order): the placements CSV shows which succeeded, and
 * on a buddy allocator the failures of one round are its top orders, so
 * K - (failures in the round) is the largest free order (docs/workloads.md).
 */
struct aging {
    uint64_t *ids, *pages;
    size_t n;
    uint64_t live_pages, target_pages;
    unsigned probe_orders;
};

static uint64_t aging_target_pages(const struct gen_params *p)
{
    return (uint64_t)((unsigned __int128)(p->memory / p->page_size) *
                      p->fill_pct / 100);
}

static unsigned aging_probe_orders(const struct gen_params *p)
{
    unsigned top = ilog2(p->memory / p->page_size);

    return (unsigned)(p->max_order < top ? p->max_order : top) + 1;
}

/* Allocations the first fill takes, counted by drawing the same sizes; stops
 * counting past LIMIT. */
#define AGING_MAX_COUNTED (1ULL << 26)
static uint64_t aging_fill_count(const struct gen_params *p, uint64_t limit)
{
    struct gen_rng r = { p->seed };
    uint64_t pages = 0, n = 0, target = aging_target_pages(p);

    while (pages < target && n <= limit) {
        pages += div_round_up(rng_log_uniform(&r, p->min_size, p->max_size),
                              p->page_size);
        n++;
    }
    return n;
}

static int aging_fill(struct gen_out *o, const struct gen_params *p,
                      struct aging *a)
{
    unsigned flags = p->contig ? TRACE_CONTIG : 0;

    while (a->live_pages < a->target_pages && budget(o, p) >= a->n + 2) {
        uint64_t size = rng_log_uniform(&o->rng, p->min_size, p->max_size);
        uint64_t pages = div_round_up(size, p->page_size);
        uint64_t *ids = realloc(a->ids, (a->n + 1) * sizeof(*ids));
        uint64_t *pg;

        if (!ids)
            return -1;
        a->ids = ids;
        pg = realloc(a->pages, (a->n + 1) * sizeof(*pg));
        if (!pg)
            return -1;
        a->pages = pg;
        a->ids[a->n] = emit_alloc(o, size, flags, 0);
        a->pages[a->n++] = pages;
        a->live_pages += pages;
    }
    return 0;
}

static void aging_free_at(struct gen_out *o, struct aging *a, size_t i)
{
    emit_free(o, a->ids[i]);
    a->live_pages -= a->pages[i];
    a->n--;
    a->ids[i] = a->ids[a->n];
    a->pages[i] = a->pages[a->n];
}

static void aging_probe(struct gen_out *o, const struct gen_params *p,
                        uint64_t round, unsigned orders)
{
    for (unsigned k = 0; k < orders; k++)
        emit_free(o, emit_alloc_id(o, GEN_PROBE_ID(round, k),
                                   p->page_size << k, TRACE_CONTIG, 0));
}

int emit_aging(struct gen_out *o, const struct gen_params *p)
{
    struct aging a = { .target_pages = aging_target_pages(p),
                       .probe_orders = aging_probe_orders(p) };
    int rc = -1;

    if (aging_fill(o, p, &a) != 0)
        goto out;
    for (uint64_t round = 0;
         budget(o, p) >= a.n + 2ULL * a.probe_orders; round++) {
        uint64_t k = (uint64_t)a.n * p->free_pct / 100;

        for (uint64_t j = 0; j < k; j++)
            aging_free_at(o, &a, (size_t)rng_below(&o->rng, a.n));
        aging_probe(o, p, round, a.probe_orders);
        if (aging_fill(o, p, &a) != 0)
            goto out;
    }
    while (a.n)
        aging_free_at(o, &a, a.n - 1);
    rc = 0;
out:
    if (rc)
        errno = ENOMEM;
    free(a.ids);
    free(a.pages);
    return rc;
}

/* Events that the first fill and one probe take. */
static uint64_t aging_need(const struct gen_params *p, uint64_t *fills)
{
    *fills = aging_fill_count(p, AGING_MAX_COUNTED);
    return 2 * *fills + 2ULL * aging_probe_orders(p);
}

/* Halves the default --memory, never below --max, until the first fill and
 * a probe take at most half the events, so that rounds follow. */
void fit_aging(struct gen_params *p)
{
    uint64_t was = p->memory, fills;
    char from[32], to[32];

    if ((p->given & GEN_OPT(GEN_MEMORY)) || p->max_size > p->memory ||
        aging_need(p, &fills) <= p->events)
        return;
    while (p->memory / 2 >= p->max_size && p->memory / 2 >= p->page_size &&
           aging_need(p, &fills) > p->events / 2)
        p->memory /= 2;
    gen_note(p, "aging: --memory %s shrunk to %s to fit --events %" PRIu64
             "; replay with --memory %s", gen_size_text(was, from),
             gen_size_text(p->memory, to), p->events, to);
}

int check_aging(const struct gen_params *p, char *why, size_t len)
{
    uint64_t fills, need;

    if (p->memory < p->page_size || p->memory > TRACE_MAX_SIZE) {
        snprintf(why, len, "--memory must be 1 page .. 2^40 bytes");
        return -1;
    }
    if (p->fill_pct < 1) {
        snprintf(why, len, "--fill must be 1 .. 100");
        return -1;
    }
    if (p->max_size > p->memory) {
        snprintf(why, len, "--max is larger than --memory");
        return -1;
    }
    need = aging_need(p, &fills);
    if (need > p->events) {
        snprintf(why, len, "aging needs %s%" PRIu64 " events to fill "
                 "--memory to --fill and probe once; raise --events or "
                 "lower --memory%s", fills > AGING_MAX_COUNTED ?
                 "more than " : "", need,
                 p->note[0] ? " (its default already shrunk to --max)" : "");
        return -1;
    }
    return 0;
}
