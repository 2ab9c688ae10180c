/*
 * [model] and [run], at the top of the file or in an experiment, and
 * the model's own consistency: what heap_create would refuse, said with
 * the line that set it.
 */
#include "drivers/suite/config_internal.h"

#include <inttypes.h>
#include <string.h>

void model_apply(struct heap_config *m, int k, uint64_t u)
{
    switch ((enum model_key)k) {
    case MK_PAGE_SIZE:      m->page_size = (size_t)u; break;
    case MK_MEMORY:         m->memory_bytes = u; break;
    case MK_MAX_ORDER:      m->max_order = (unsigned)u; break;
    case MK_XENHEAP:        m->xenheap_bytes = u; break;
    case MK_VMAP_SIZE:      m->vmap_bytes = u; break;
    case MK_DIRECTMAP:      m->directmap = u; break;
    case MK_SCRUB:          m->scrub = u; break;
    case MK_HUGEPAGES:      m->hugepages = u; break;
    case MK_FLUSH:          m->flush = (enum flush_policy)u; break;
    case MK_LAZY_MAX_PAGES: m->lazy_max_pages = (unsigned)u; break;
    case MK_IDLE_SCRUB_EVERY: m->idle_scrub_every = (unsigned)u; break;
    case MK_XENHEAP_BITS:   m->xenheap_bits = (unsigned)u; break;
    case MK_N:              break;
    }
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
 * What the model itself would refuse at heap_create, said here so that the
 * message can name a line: sizes that are not whole pages, a separate
 * xenheap that does not fit, a vmap area of fewer than 64 pages.
 */
int check_model(struct loader *L, const struct heap_config *m,
                const struct model_lines *ml, unsigned fallback)
{
    uint64_t page = m->page_size;
    const struct { int k; uint64_t bytes; } sizes[] = {
        { MK_MEMORY, m->memory_bytes }, { MK_XENHEAP, m->xenheap_bytes },
        { MK_VMAP_SIZE, m->vmap_bytes },
    };
#define LINE(k) (ml->line[k] ? ml->line[k] : fallback)

    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        if (sizes[i].bytes % page)
            return fail(L, LINE(sizes[i].k), "%s %" PRIu64 " is not a whole "
                        "number of %" PRIu64 "K pages",
                        model_keys[sizes[i].k].name, sizes[i].bytes,
                        page >> 10);
    if (m->memory_bytes / page < 2)
        return fail(L, LINE(MK_MEMORY), "memory %" PRIu64 " holds fewer than "
                    "2 pages", m->memory_bytes);
    if (m->xenheap_bytes && (m->xenheap_bytes / page < 2 ||
                             m->xenheap_bytes >= m->memory_bytes / 2))
        return fail(L, LINE(MK_XENHEAP), "a separate xenheap of %" PRIu64
                    " bytes must hold 2 pages and less than half of memory "
                    "(%" PRIu64 ")", m->xenheap_bytes, m->memory_bytes);
    if (m->vmap_bytes / page < 64)
        return fail(L, LINE(MK_VMAP_SIZE), "vmap_size %" PRIu64 " holds "
                    "fewer than 64 pages", m->vmap_bytes);
#undef LINE
    return 0;
}
