/*
 * The plain workloads: pairs, pages and churn.
 */
#include "workloads/gen_internal.h"

#include <errno.h>
#include <stdlib.h>

/* churn's mix, in events per 1024 and allocations per 1024. */
#define CHURN_REALLOC_RATE   100     /* r events */
#define CHURN_WRITE_RATE     30      /* w events */
#define CHURN_CONTIG_RATE    128     /* a ... contig */
#define CHURN_ZERO_RATE      128     /* a ... zero */
#define CHURN_ALIGN_RATE     64      /* a ... align=2^k, 16 <= 2^k <= page */
#define CHURN_TOUCH_FIRST_RATE 64    /* a ... touch=first */
#define CHURN_TOUCH_ALL_RATE 32      /* a ... touch=all */
#define CHURN_MIN_ALIGN_LOG2 4

/* ---- pairs, pages, churn ------------------------------------------- */

static unsigned request_flags(const struct gen_params *p)
{
    return (p->contig ? TRACE_CONTIG : 0) | (p->zero ? TRACE_ZERO : 0);
}

/* pairs: allocate one size and free it at once; the fast path, nothing
 * else. With --live K, K blocks are allocated before they are freed in the
 * same order, so that a path's waste shows with many blocks live. */
int emit_pairs(struct gen_out *o, const struct gen_params *p)
{
    uint64_t *ids = malloc(p->live * sizeof *ids);

    if (!ids)
        return -1;
    while (budget(o, p) >= 2 * p->live) {
        for (uint64_t n = 0; n < p->live; n++)
            ids[n] = emit_alloc(o, p->size, request_flags(p), 0);
        for (uint64_t n = 0; n < p->live; n++)
            emit_free(o, ids[n]);
    }
    free(ids);
    return 0;
}

/* pages: alloc_xenheap_pages(order) and free_xenheap_pages, contiguous. */
int emit_pages(struct gen_out *o, const struct gen_params *p)
{
    uint64_t size = p->page_size << p->order;

    while (budget(o, p) >= 2)
        emit_free(o, emit_alloc(o, size, TRACE_CONTIG, 0));
    return 0;
}

static unsigned churn_alloc_flags(struct gen_rng *r)
{
    unsigned flags = 0;

    if (rng_chance(r, CHURN_CONTIG_RATE))
        flags |= TRACE_CONTIG;
    if (rng_chance(r, CHURN_ZERO_RATE))
        flags |= TRACE_ZERO;
    if (rng_chance(r, CHURN_TOUCH_FIRST_RATE))
        flags |= TRACE_TOUCH_FIRST;
    else if (rng_chance(r, CHURN_TOUCH_ALL_RATE))
        flags |= TRACE_TOUCH_ALL;
    return flags;
}

static unsigned churn_align_log2(struct gen_rng *r, uint64_t page_size)
{
    unsigned top = ilog2(page_size);

    if (!rng_chance(r, CHURN_ALIGN_RATE))
        return 0;
    return CHURN_MIN_ALIGN_LOG2 +
           (unsigned)rng_below(r, top - CHURN_MIN_ALIGN_LOG2 + 1);
}

/*
 * churn: a random mix of every op around a steady state of about --live
 * blocks. An allocation is chosen with probability 1 - live / (2 * limit),
 * which settles near the limit without sitting on it. The last events free
 * what is left, so the trace ends with nothing live.
 */
int emit_churn(struct gen_out *o, const struct gen_params *p)
{
    struct gen_rng *r = &o->rng;
    uint64_t *ids = malloc(p->live * sizeof(*ids));
    uint64_t live = 0, left;

    if (!ids)
        return -1;
    while ((left = budget(o, p)) > 0) {
        uint64_t pick = live ? rng_below(r, live) : 0;

        if (live == 0 && left < 2)
            break;   /* an allocation here could not be freed */
        if (live == 0 || (left > live + 1 && live < p->live &&
                          rng_below(r, 2 * p->live) >= live)) {
            uint64_t size = rng_log_uniform(r, p->min_size, p->max_size);
            unsigned flags = churn_alloc_flags(r);

            ids[live++] = emit_alloc(o, size, flags,
                                     churn_align_log2(r, p->page_size));
        } else if (left > live && rng_chance(r, CHURN_REALLOC_RATE)) {
            emit_op(o, TRACE_REALLOC, ids[pick],
                    rng_log_uniform(r, p->min_size, p->max_size));
        } else if (left > live && rng_chance(r, CHURN_WRITE_RATE)) {
            emit_op(o, TRACE_WRITE, ids[pick], 0);
        } else {
            emit_free(o, ids[pick]);
            ids[pick] = ids[--live];
        }
    }
    free(ids);
    return 0;
}
