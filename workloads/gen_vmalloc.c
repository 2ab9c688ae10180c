/*
 * The patterns of Linux's lib/test_vmalloc.c, as traces.
 */
#include "workloads/gen_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

/* Linux's random_size_align draws one byte and derives both from it. */
#define VMALLOC_TEST_RANDOM_BITS 8

/* ---- Linux's lib/test_vmalloc.c ------------------------------------ */

/* fix_size: vmalloc(3 pages), vfree, over and over. */
int emit_fix_size(struct gen_out *o, const struct gen_params *p)
{
    while (budget(o, p) >= 2)
        emit_free(o, emit_alloc(o, p->pages * p->page_size, 0, 0));
    return 0;
}

/*
 * full_fit: n = --junk / PAGE_SIZE pairs of one-page areas, allocated
 * interleaved (ids 1, 3, 5... are kept, 2, 4, 6... are junk); the junk is
 * freed, leaving n one-page holes, then one-page areas come and go in them.
 */
int emit_full_fit(struct gen_out *o, const struct gen_params *p)
{
    uint64_t n = p->junk / p->page_size;

    for (uint64_t i = 0; i < 2 * n; i++)
        emit_alloc(o, p->page_size, 0, 0);
    for (uint64_t i = 0; i < n; i++)
        emit_free(o, 2 + 2 * i);
    while (budget(o, p) >= n + 2)
        emit_free(o, emit_alloc(o, p->page_size, 0, 0));
    for (uint64_t i = 0; i < n; i++)
        emit_free(o, 1 + 2 * i);
    return 0;
}

/* Halves the default --junk until making and closing the holes takes at
 * most half the events, so that reuse of the holes follows. */
void fit_full_fit(struct gen_params *p)
{
    uint64_t was = p->junk;
    char from[32], to[32];

    if ((p->given & GEN_OPT(GEN_JUNK)) ||
        4 * (p->junk / p->page_size) + 2 <= p->events)
        return;
    while (p->junk / p->page_size > 1 &&
           4 * (p->junk / p->page_size) + 2 > p->events / 2)
        p->junk /= 2;
    gen_note(p, "full_fit: --junk %s shrunk to %s (%" PRIu64 " holes) to "
             "fit --events %" PRIu64, gen_size_text(was, from),
             gen_size_text(p->junk, to), p->junk / p->page_size, p->events);
}

int check_full_fit(const struct gen_params *p, char *why, size_t len)
{
    uint64_t n = p->junk / p->page_size;

    if (n == 0 || 4 * n + 2 > p->events) {
        snprintf(why, len, "full_fit needs 1 <= --junk / PAGE_SIZE and "
                 "--events >= 4 * that + 2 (%" PRIu64 ")", 4 * n + 2);
        return -1;
    }
    return 0;
}

/*
 * long_busy_list: --live one-page areas (ids 1 .. live) stay allocated
 * while a --pages area and a one-page area come and go.
 */
int emit_long_busy_list(struct gen_out *o, const struct gen_params *p)
{
    for (uint64_t i = 0; i < p->live; i++)
        emit_alloc(o, p->page_size, 0, 0);
    while (budget(o, p) >= p->live + 4) {
        uint64_t big = emit_alloc(o, p->pages * p->page_size, 0, 0);
        uint64_t one = emit_alloc(o, p->page_size, 0, 0);

        emit_free(o, big);
        emit_free(o, one);
    }
    for (uint64_t i = 1; i <= p->live; i++)
        emit_free(o, i);
    return 0;
}

/* Halves the default --live until allocating and freeing the busy list
 * takes at most half the events, so that the loop runs. */
void fit_long_busy_list(struct gen_params *p)
{
    uint64_t was = p->live;

    if ((p->given & GEN_OPT(GEN_LIVE)) || 2 * p->live + 4 <= p->events)
        return;
    while (p->live > 1 && 2 * p->live + 4 > p->events / 2)
        p->live /= 2;
    gen_note(p, "long_busy_list: --live %" PRIu64 " shrunk to %" PRIu64
             " to fit --events %" PRIu64, was, p->live, p->events);
}

int check_long_busy_list(const struct gen_params *p, char *why,
                         size_t len)
{
    if (p->live < 1 || p->live > GEN_MAX_LIVE ||
        2 * p->live + 4 > p->events) {
        snprintf(why, len, "long_busy_list needs 1 <= --live <= 16777216 "
                 "and --events >= 2 * --live + 4 (%" PRIu64 ")",
                 2 * p->live + 4);
        return -1;
    }
    return 0;
}

/* random_size: vmalloc(n pages), n uniform in 1 .. --pages, vfree. */
int emit_random_size(struct gen_out *o, const struct gen_params *p)
{
    while (budget(o, p) >= 2) {
        uint64_t n = rng_range(&o->rng, 1, p->pages);

        emit_free(o, emit_alloc(o, n * p->page_size, 0, 0));
    }
    return 0;
}

/* fix_align: __vmalloc_node(5 pages, THREAD_ALIGN << 1, __GFP_ZERO). */
int emit_fix_align(struct gen_out *o, const struct gen_params *p)
{
    unsigned al = ilog2(p->align);

    while (budget(o, p) >= 2)
        emit_free(o, emit_alloc(o, p->pages * p->page_size, TRACE_ZERO, al));
    return 0;
}

/*
 * random_size_align: one random byte r gives align = 2^(r mod (log2(max
 * align) + 1)) and size = (r mod --pages) + 1 pages, zeroed, as Linux's
 * test derives both from one get_random_u8().
 */
int emit_random_size_align(struct gen_out *o,
                           const struct gen_params *p)
{
    unsigned span = ilog2(p->max_align) + 1;

    while (budget(o, p) >= 2) {
        uint64_t r = rng_below(&o->rng, 1u << VMALLOC_TEST_RANDOM_BITS);
        uint64_t size = (r % p->pages + 1) * p->page_size;

        emit_free(o, emit_alloc(o, size, TRACE_ZERO, (unsigned)(r % span)));
    }
    return 0;
}

static int check_pow2(const char *opt, uint64_t v, char *why, size_t len)
{
    if (v == 0 || (v & (v - 1)) || v > TRACE_MAX_SIZE) {
        snprintf(why, len, "%s must be a power of two up to 2^40", opt);
        return -1;
    }
    return 0;
}

int check_fix_align(const struct gen_params *p, char *why, size_t len)
{
    return check_pow2("--align", p->align, why, len);
}

int check_random_size_align(const struct gen_params *p, char *why,
                            size_t len)
{
    return check_pow2("--max-align", p->max_align, why, len);
}
