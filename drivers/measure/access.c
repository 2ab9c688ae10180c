/* Access cost: allocate a working set, link its lines, walk the chain. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backends/names.h"
#include "drivers/measure/access.h"
#include "drivers/measure/clock.h"
#include "drivers/measure/host.h"
#include "drivers/measure/knobs.h"
#include "drivers/measure/machine.h"
#include "drivers/measure/stats.h"


const char *access_region_name(enum access_region r)
{
    static const char *const names[] = {
        [REGION_NONE] = "none", [REGION_VMAP] = "vmap",
        [REGION_DIRECTMAP] = "directmap", [REGION_ON_DEMAND] = "on-demand",
        [REGION_SYSTEM] = "system",
    };
    return names_of(names, NAMES_COUNT(names), r);
}

/* How each region is mapped, for a reader of the output. */
static const char *region_mapping(enum access_region r)
{
    switch (r) {
    case REGION_VMAP:      return "one small mapping per page";
    case REGION_DIRECTMAP: return "one large mapping";
    case REGION_ON_DEMAND: return "each page mapped when allocated";
    case REGION_SYSTEM:    return "as malloc maps its heap";
    default:               return "nothing";
    }
}

/* Where the blocks are, as a sentence fragment for the text output. */
static const char *region_where(enum access_region r)
{
    switch (r) {
    case REGION_VMAP:      return "in the vmap";
    case REGION_DIRECTMAP: return "in the directmap";
    case REGION_ON_DEMAND: return "in the xenheap, no directmap";
    case REGION_SYSTEM:    return "from malloc";
    default:               return "nowhere";
    }
}

static uint64_t splitmix(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* The walks: each load's address is the value of the one before. Kept out
 * of line so the measured loop is the same whatever calls it. */
__attribute__((noinline)) static void *walk_read(void *p, uint64_t n)
{
    while (n--)
        p = *(void **)p;
    return p;
}

__attribute__((noinline)) static void *walk_write(void *p, uint64_t n)
{
    while (n--) {
        void **line = p;

        line[1] = (char *)line[1] + 1;
        p = line[0];
    }
    return p;
}

static void *walk(const struct access_setup *s, void *p, uint64_t n)
{
    return s->write ? walk_write(p, n) : walk_read(p, n);
}

static char *line_at(const struct access_result *r, uint64_t slot)
{
    return (char *)r->block[slot / r->lines_per_block] +
           (slot % r->lines_per_block) * ACCESS_LINE;
}

static enum access_region region_of(enum alloc_path p, bool directmap)
{
    switch (p) {
    case PATH_VMAP:   return REGION_VMAP;
    case PATH_SYSTEM: return REGION_SYSTEM;
    case PATH_NONE:   return REGION_NONE;
    default:          return directmap ? REGION_DIRECTMAP : REGION_ON_DEMAND;
    }
}

static int allocate(struct heap *h, const struct access_setup *s,
                    struct access_result *r)
{
    uint64_t want = s->working_set / s->block, most = 0;
    struct placement where;

    r->block = calloc(want, sizeof *r->block);
    if (!r->block)
        return -1;
    for (uint64_t i = 0; i < want; i++) {
        void *p = heap_alloc(h, s->block, 0, 0, &where);

        if (!p) {
            r->failed++;
            continue;
        }
        r->block[r->blocks++] = p;
        r->by_path[where.path]++;
    }
    for (int p = PATH_NONE; p <= PATH_SYSTEM; p++)
        if (r->by_path[p] > most) {
            most = r->by_path[p];
            r->region = region_of((enum alloc_path)p, s->cfg.directmap);
        }
    r->lines_per_block = s->block / ACCESS_LINE;
    r->lines = r->blocks * r->lines_per_block;
    r->bytes = r->lines * ACCESS_LINE;
    return 0;
}

/* Links every line into one cycle: random order (Fisher-Yates over the
 * positions) or address order within each block. Touches every line, so
 * the page faults happen here, not in the walk. */
static int link_chain(const struct access_setup *s, struct access_result *r)
{
    uint64_t lines = r->lines;
    uint64_t *order = malloc(lines * sizeof *order);
    uint64_t rng = s->seed;

    if (!order)
        return -1;
    for (uint64_t i = 0; i < lines; i++)
        order[i] = i;
    if (!s->sequential)
        for (uint64_t i = lines - 1; i > 0; i--) {
            uint64_t j = splitmix(&rng) % (i + 1);
            uint64_t t = order[i];

            order[i] = order[j];
            order[j] = t;
        }
    for (uint64_t i = 0; i < lines; i++) {
        void **line = (void **)line_at(r, order[i]);

        line[0] = line_at(r, order[(i + 1) % lines]);
        line[1] = NULL;
    }
    free(order);
    return 0;
}

/* The anonymous THP setting a malloc-family baseline gets. */
static void anon_thp(char *out, size_t len)
{
    char knob[128];

    host_thp_line(knob, sizeof knob);
    snprintf(out, len, "anonymous THP: %s", knob);
}

static void huge_state(struct heap *h, struct access_result *r)
{
    uintptr_t lo = UINTPTR_MAX, hi = 0;

    for (uint64_t i = 0; i < r->blocks; i++) {
        uintptr_t p = (uintptr_t)r->block[i];

        lo = p < lo ? p : lo;
        hi = p + 1 > hi ? p + 1 : hi;
    }
    r->pmd_mapped_bytes = r->blocks ? host_pmd_mapped(lo, hi) : 0;
    if (r->region == REGION_VMAP)
        snprintf(r->huge, sizeof r->huge, "vmap: mapped page by page, "
                 "never huge");
    else if (heap_is_model(h))
        snprintf(r->huge, sizeof r->huge, "directmap: %s",
                 heap_directmap_huge(h));
    else
        anon_thp(r->huge, sizeof r->huge);
}

static void tlb_per_access(const struct access_setup *s,
                           struct access_result *r)
{
    const struct counter *ld = counters_find(&r->counters, "dTLB-load-misses");
    const struct counter *st = counters_find(&r->counters, "dTLB-store-misses");
    uint64_t misses;

    r->dtlb_known = ld && ld->supported &&
                    (!s->write || (st && st->supported));
    if (!r->dtlb_known)
        return;
    misses = ld->value + (s->write ? st->value : 0);
    r->dtlb_per_access = (double)misses / ((double)s->accesses * r->reps);
}

static void release(struct access_result *r, const struct access_setup *s)
{
    if (!r->heap)
        return;
    for (uint64_t i = 0; i < r->blocks; i++)
        heap_free(r->heap, r->block[i], s->block);
    heap_destroy(r->heap);
    r->heap = NULL;
    free(r->block);
    r->block = NULL;
}

int access_prepare(const char *backend, const struct access_setup *s,
                   struct access_result *r, char *why, size_t len)
{
    struct heap_stats st;

    memset(r, 0, sizeof *r);
    r->backend = backend;
    if (counters_parse(s->counters, &r->counters, why, len))
        return -1;
    r->heap = heap_create(backend, &s->cfg, why, len);
    if (!r->heap)
        goto fail;
    if (allocate(r->heap, s, r) != 0) {
        snprintf(why, len, "%s: out of memory for the block table", backend);
        goto fail;
    }
    heap_stats(r->heap, &st);
    r->map_calls = st.map_calls;
    r->map_limit = heap_map_limit_message(r->heap);
    if (r->blocks == 0) {
        snprintf(why, len, "%s: none of the %" PRIu64 " blocks of %" PRIu64
                 " B could be allocated%s%s", backend, r->failed, s->block,
                 r->map_limit ? ": " : "", r->map_limit ? r->map_limit : "");
        goto fail;
    }
    if (link_chain(s, r) != 0) {
        snprintf(why, len, "%s: cannot build a chain over %" PRIu64 " lines",
                 backend, r->lines);
        goto fail;
    }
    huge_state(r->heap, r);
    r->cursor = walk(s, r->block[0],
                     r->lines < s->accesses ? r->lines : s->accesses);
    counters_open(&r->counters);
    return 0;
fail:
    release(r, s);
    counters_free(&r->counters);
    return -1;
}

void access_measure(const struct access_setup *s, struct access_result *r)
{
    uint64_t t0, ns;

    if (r->reps == ACCESS_MAX_REPS)
        return;
    counters_start(&r->counters);
    t0 = clock_ns();
    r->cursor = walk(s, r->cursor, s->accesses);
    ns = clock_ns() - t0;
    counters_stop(&r->counters);
    for (size_t i = 0; i < r->counters.n; i++)
        r->counter_sum[i] += r->counters.ev[i].value;
    r->elapsed_ns += ns;
    r->rep_ns[r->reps++] = (double)ns / (double)s->accesses;
}

void access_finish(const struct access_setup *s, struct access_result *r)
{
    release(r, s);
    if (r->reps == 0)
        return;
    r->ns_min = stats_min(r->rep_ns, r->reps);
    r->ns_max = stats_max(r->rep_ns, r->reps);
    r->ns_per_access = stats_median(r->rep_ns, r->reps);
    for (size_t i = 0; i < r->counters.n; i++)
        r->counters.ev[i].value = r->counter_sum[i];
    tlb_per_access(s, r);
}

int access_run(const char *backend, const struct access_setup *s,
               struct access_result *r, char *why, size_t len)
{
    if (access_prepare(backend, s, r, why, len) != 0)
        return -1;
    for (unsigned i = 0; i < s->repetitions; i++)
        access_measure(s, r);
    access_finish(s, r);
    return 0;
}

void access_result_free(struct access_result *r)
{
    counters_free(&r->counters);
}

static const char *mib(uint64_t bytes, char *buf, size_t len)
{
    if (bytes >= (1u << 20) && bytes % (1u << 20) == 0)
        snprintf(buf, len, "%" PRIu64 " MiB", bytes >> 20);
    else if (bytes >= 1024 && bytes % 1024 == 0)
        snprintf(buf, len, "%" PRIu64 " KiB", bytes >> 10);
    else
        snprintf(buf, len, "%" PRIu64 " B", bytes);
    return buf;
}

/* The reason dTLB misses are not known, said the way counters say it. */
static const char *tlb_reason(const struct access_result *r)
{
    const struct counter *ld = counters_find(&r->counters, "dTLB-load-misses");

    if (!ld)
        return "dTLB-load-misses not in --counters";
    if (!ld->supported)
        return ld->why;
    return "dTLB-store-misses not counted";
}

void access_print(const struct access_setup *s, const struct access_result *r,
                  FILE *f)
{
    char a[32], b[32];

    fprintf(f, "backend    %s: %" PRIu64 " blocks of %s (%s walked) "
            "%s, %s; %" PRIu64 " failed; %" PRIu64 " map calls\n",
            r->backend, r->blocks, mib(s->block, a, sizeof a),
            mib(r->bytes, b, sizeof b), region_where(r->region),
            region_mapping(r->region), r->failed, r->map_calls);
    fprintf(f, "huge       %s; %s of its mappings huge-page mapped\n",
            r->huge, mib(r->pmd_mapped_bytes, a, sizeof a));
    fprintf(f, "access     %s %s, %u x %" PRIu64 " accesses: %.2f ns/access "
            "(median; %.2f .. %.2f), ", s->sequential ? "sequential" : "random",
            s->write ? "writes" : "reads", r->reps, s->accesses,
            r->ns_per_access, r->ns_min, r->ns_max);
    if (r->dtlb_known)
        fprintf(f, "%.4f dTLB misses/access\n", r->dtlb_per_access);
    else
        fprintf(f, "dTLB misses/access null (%s)\n", tlb_reason(r));
    counters_print(&r->counters, f);
    if (r->map_limit)
        fprintf(f, "warning    %s\n", r->map_limit);
}

static const struct access_result *first_in(const struct access_result *r,
                                            size_t n, enum access_region g)
{
    for (size_t i = 0; i < n; i++)
        if (r[i].region == g)
            return &r[i];
    return NULL;
}

void access_print_comparison(const struct access_result *r, size_t n, FILE *f)
{
    const struct access_result *v = first_in(r, n, REGION_VMAP);
    const struct access_result *d = first_in(r, n, REGION_DIRECTMAP);

    if (!v || !d)
        return;
    fprintf(f, "compare    %s (vmap, small mappings) vs %s (directmap): "
            "%.2fx the time per access (median %.2f vs %.2f ns; fastest "
            "walks %.2fx)", v->backend, d->backend,
            v->ns_per_access / d->ns_per_access, v->ns_per_access,
            d->ns_per_access, v->ns_min / d->ns_min);
    if (v->dtlb_known && d->dtlb_known)
        fprintf(f, ", %+.4f dTLB misses per access (%.4f vs %.4f)\n",
                v->dtlb_per_access - d->dtlb_per_access, v->dtlb_per_access,
                d->dtlb_per_access);
    else
        fprintf(f, "; dTLB misses not known (%s)\n",
                tlb_reason(v->dtlb_known ? d : v));
}

static json_t *jint(uint64_t v)
{
    return json_integer((json_int_t)v);
}

static json_t *run_json(const struct access_result *r)
{
    json_t *o = json_object(), *paths = json_object();

    for (int p = PATH_POOL; p <= PATH_SYSTEM; p++)
        if (r->by_path[p])
            json_object_set_new(paths, alloc_path_name((enum alloc_path)p),
                                jint(r->by_path[p]));
    json_object_set_new(o, "backend", json_string(r->backend));
    json_object_set_new(o, "region", json_string(access_region_name(r->region)));
    json_object_set_new(o, "mapping", json_string(region_mapping(r->region)));
    json_object_set_new(o, "paths", paths);
    json_object_set_new(o, "blocks", jint(r->blocks));
    json_object_set_new(o, "failed", jint(r->failed));
    json_object_set_new(o, "working_set_bytes", jint(r->bytes));
    json_object_set_new(o, "lines", jint(r->lines));
    json_object_set_new(o, "map_calls", jint(r->map_calls));
    json_object_set_new(o, "huge", json_string(r->huge));
    json_object_set_new(o, "pmd_mapped_bytes", jint(r->pmd_mapped_bytes));
    json_object_set_new(o, "elapsed_ns", jint(r->elapsed_ns));
    json_object_set_new(o, "repetitions", jint(r->reps));
    json_object_set_new(o, "ns_per_access", json_real(r->ns_per_access));
    json_object_set_new(o, "ns_per_access_min", json_real(r->ns_min));
    json_object_set_new(o, "ns_per_access_max", json_real(r->ns_max));
    json_object_set_new(o, "dtlb_misses_per_access",
                        r->dtlb_known ? json_real(r->dtlb_per_access)
                                      : json_null());
    json_object_set_new(o, "map_limit",
                        r->map_limit ? json_string(r->map_limit) : json_null());
    counters_report(&r->counters, o);
    return o;
}

static json_t *config_json(const struct access_setup *s)
{
    json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:s, s:b, s:I, s:s}",
                          "working_set", (json_int_t)s->working_set,
                          "block", (json_int_t)s->block,
                          "accesses", (json_int_t)s->accesses,
                          "repetitions", (json_int_t)s->repetitions,
                          "pattern", s->sequential ? "sequential" : "random",
                          "write", s->write,
                          "seed", (json_int_t)s->seed,
                          "counters", s->counters);

    knobs_json(o, &s->cfg, KNOB_MODEL_N);
    return o;
}

static json_t *comparison_json(const struct access_result *r, size_t n)
{
    const struct access_result *v = first_in(r, n, REGION_VMAP);
    const struct access_result *d = first_in(r, n, REGION_DIRECTMAP);

    if (!v || !d)
        return json_null();
    return json_pack("{s:s, s:s, s:f, s:f, s:o}", "vmap", v->backend,
                     "directmap", d->backend,
                     "ns_ratio", v->ns_per_access / d->ns_per_access,
                     "ns_ratio_min", v->ns_min / d->ns_min,
                     "dtlb_misses_delta",
                     v->dtlb_known && d->dtlb_known
                         ? json_real(v->dtlb_per_access - d->dtlb_per_access)
                         : json_null());
}

json_t *access_json(const struct access_setup *s,
                    const struct access_result *r, size_t n)
{
    struct machine_info m;
    json_t *root = json_object(), *runs = json_array();

    machine_probe(&m);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(runs, run_json(&r[i]));
    json_object_set_new(root, "command", json_string("access"));
    json_object_set_new(root, "page_size", jint(s->cfg.page_size));
    json_object_set_new(root, "runs", runs);
    json_object_set_new(root, "comparison", comparison_json(r, n));
    json_object_set_new(root, "config", config_json(s));
    json_object_set_new(root, "machine", machine_json(&m));
    return root;
}
