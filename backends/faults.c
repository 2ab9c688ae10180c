/* Fault plans, and the kernel's VMA count over the model's own mappings. */
#include <stddef.h>
#include <string.h>

#include "backends/faults.h"
#include "backends/frames.h"

void fault_plan_init(struct fault_plan *p, uint64_t at, uint64_t every)
{
    /* "Every Pth call" alone starts at call P. */
    p->at = at ? at : every;
    p->every = every;
}

/* ---- the VMA count ----
 *
 * Runs are the file VMAs. Unmapped pages are the reservation's anonymous
 * PROT_NONE mapping, whose pieces the kernel merges back together, so each
 * stretch of them between two runs is one VMA. Counting the stretches
 * before the first run and after the last as one keeps the count at 0 when
 * nothing is mapped and gives what the kernel adds when a run sits inside a
 * reservation: 2 for the first, 2 for every further one apart. (A run that
 * touches a reservation's edge costs the kernel one fewer.)
 */

static uint64_t run_end(const struct map_run *r)
{
    return r->vpn + r->pages;
}

/* Whether b continues a in one VMA: the next page maps the next frame. */
static bool merges(const struct map_run *a, const struct map_run *b)
{
    return run_end(a) == b->vpn && a->frame + a->pages == b->frame;
}

static uint64_t gap(const struct map_run *a, const struct map_run *b)
{
    return run_end(a) < b->vpn;
}

/* The VMAs runs[0, n) add between prev and next (either may be NULL). */
static uint64_t share(const struct map_run *runs, uint32_t n,
                      const struct map_run *prev, const struct map_run *next)
{
    uint64_t v = n;

    if (!n)
        return prev && next ? gap(prev, next) : 0;
    for (uint32_t k = 1; k < n; k++)
        v += gap(&runs[k - 1], &runs[k]);
    if (prev)
        v += gap(prev, &runs[0]);
    if (next)
        v += gap(&runs[n - 1], next);
    return v;
}

void map_count_init(struct map_count *mc, unsigned limit)
{
    /* The run array is most of the structure: leave it untouched (the
     * model is calloc'd), so that a model without the knob never pages it
     * in. */
    memset(mc, 0, offsetof(struct map_count, run));
    mc->limit = limit > MAP_COUNT_MAX ? MAP_COUNT_MAX : limit;
    pthread_mutex_init(&mc->lock, NULL);
}

/* The first run that ends at or after vpn (so touches or overlaps it). */
static uint32_t first_reaching(const struct map_count *mc, uint64_t vpn)
{
    uint32_t lo = 0, hi = mc->n;

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;

        if (run_end(&mc->run[mid]) < vpn)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The first run that starts after vpn. */
static uint32_t first_after(const struct map_count *mc, uint64_t vpn)
{
    uint32_t lo = 0, hi = mc->n;

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;

        if (mc->run[mid].vpn <= vpn)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* What runs [i, j) become when [lo, hi) is mapped to frame (or unmapped):
 * what is left of them on either side, the new run between, merged. */
static uint32_t replace(const struct map_count *mc, uint32_t i, uint32_t j,
                        uint64_t lo, uint64_t hi, uint32_t frame,
                        struct map_run out[3])
{
    uint32_t n = 0, k = 0;

    if (i < j && mc->run[i].vpn < lo) {
        out[n] = mc->run[i];
        out[n++].pages = (uint32_t)(lo - mc->run[i].vpn);
    }
    if (frame != NO_FRAME)
        out[n++] = (struct map_run){ lo, (uint32_t)(hi - lo), frame };
    if (i < j && run_end(&mc->run[j - 1]) > hi) {
        const struct map_run *r = &mc->run[j - 1];
        uint64_t skip = hi > r->vpn ? hi - r->vpn : 0;

        out[n++] = (struct map_run){ r->vpn + skip,
                                     (uint32_t)(r->pages - skip),
                                     r->frame + (uint32_t)skip };
    }
    for (uint32_t m = 1; m < n; m++) {
        if (merges(&out[k], &out[m]))
            out[k].pages += out[m].pages;
        else
            out[++k] = out[m];
    }
    return n ? k + 1 : 0;
}

int map_count_begin(struct map_count *mc, uint64_t vpn, uint32_t pages,
                    uint32_t frame)
{
    uint64_t hi = vpn + pages;
    const struct map_run *prev, *next;
    uint32_t i, j, n;

    pthread_mutex_lock(&mc->lock);
    i = first_reaching(mc, vpn);
    j = first_after(mc, hi);
    n = replace(mc, i, j, vpn, hi, frame, mc->add);
    prev = i ? &mc->run[i - 1] : NULL;
    next = j < mc->n ? &mc->run[j] : NULL;
    mc->next_vmas = mc->vmas - (mc->n ? 1 : 0)
                    - share(&mc->run[i], j - i, prev, next)
                    + share(mc->add, n, prev, next);
    if (mc->n - (j - i) + n)
        mc->next_vmas++;      /* the stretches outside all runs */
    if (mc->next_vmas > mc->limit || mc->n - (j - i) + n > MAP_COUNT_MAX) {
        pthread_mutex_unlock(&mc->lock);
        return -1;
    }
    mc->i = i;
    mc->j = j;
    mc->n_add = n;
    return 0;
}

void map_count_end(struct map_count *mc, bool done)
{
    if (done) {
        uint32_t i = mc->i, j = mc->j, n = mc->n_add;

        memmove(&mc->run[i + n], &mc->run[j], (mc->n - j) * sizeof mc->run[0]);
        memcpy(&mc->run[i], mc->add, n * sizeof mc->run[0]);
        mc->n = mc->n - (j - i) + n;
        mc->vmas = mc->next_vmas;
        if (mc->vmas > mc->peak)
            mc->peak = mc->vmas;
    }
    pthread_mutex_unlock(&mc->lock);
}

uint64_t map_count_now(struct map_count *mc)
{
    uint64_t v;

    if (!mc->limit)
        return 0;
    pthread_mutex_lock(&mc->lock);
    v = mc->vmas;
    pthread_mutex_unlock(&mc->lock);
    return v;
}
