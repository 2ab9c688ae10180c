/* The --json result of one replay: the CONTRACT keys, then extras. */
#include "drivers/replay.h"

#include "drivers/machine.h"

/* JSON integers are signed 64-bit; no counter gets near the limit. */
static json_t *jint(uint64_t v)
{
    return json_integer((json_int_t)v);
}

static json_t *latency_json(const struct latency_summary *l)
{
    if (l->count == 0)   /* no samples: null, not a misleading 0 */
        return json_pack("{s:I, s:n, s:n, s:n, s:n, s:n}", "count", (json_int_t)0,
                         "mean", "p50", "p99", "p999", "max");
    return json_pack("{s:I, s:f, s:I, s:I, s:I, s:I}",
                     "count", (json_int_t)l->count, "mean", l->mean,
                     "p50", (json_int_t)l->p50, "p99", (json_int_t)l->p99,
                     "p999", (json_int_t)l->p999, "max", (json_int_t)l->max);
}

/* (peak_frames * PAGE_SIZE) / peak_live_bytes - 1; null when unknowable:
 * nothing was live, or a system baseline that manages no frames. */
static json_t *waste_ratio(const struct heap_stats *st, size_t page)
{
    if (st->peak_live_bytes == 0 || st->frames_total == 0)
        return json_null();
    return json_real((double)st->peak_frames * (double)page /
                     (double)st->peak_live_bytes - 1.0);
}

static json_t *largest_free_order(const struct heap_stats *st)
{
    return st->largest_free_order == UINT64_MAX ? json_null()
                                                : jint(st->largest_free_order);
}

static json_t *stats_json(const struct heap_stats *st)
{
    json_t *o = json_object();

#define FIELD(name) json_object_set_new(o, #name, jint(st->name))
    FIELD(allocs); FIELD(frees); FIELD(reallocs); FIELD(failed);
    FIELD(live_bytes); FIELD(peak_live_bytes);
    FIELD(frames_total); FIELD(frames_in_use); FIELD(peak_frames);
    FIELD(overhead_frames); FIELD(va_pages_in_use); FIELD(peak_va_pages);
    FIELD(map_calls); FIELD(unmap_calls); FIELD(flushes); FIELD(map_failures);
    FIELD(scrubbed_pages); FIELD(pool_regions); FIELD(pool_used_bytes);
    FIELD(xenheap_free_frames); FIELD(domheap_free_frames);
#undef FIELD
    json_object_set_new(o, "largest_free_order", largest_free_order(st));
    return o;
}

static json_t *config_json(const struct replay_setup *s)
{
    const struct heap_config *c = &s->cfg;
    json_t *counters = json_array();

    for (size_t i = 0; i < s->counters.n; i++)
        json_array_append_new(counters, json_string(s->counters.ev[i].name));
    return json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:b, s:b,"
                     " s:s, s:I, s:s, s:I, s:o}",
                     "backend", s->backend,
                     "trace", s->trace_path,
                     "page_size", (json_int_t)c->page_size,
                     "memory_bytes", (json_int_t)c->memory_bytes,
                     "max_order", (json_int_t)c->max_order,
                     "xenheap_bytes", (json_int_t)c->xenheap_bytes,
                     "vmap_bytes", (json_int_t)c->vmap_bytes,
                     "lazy_max_pages", (json_int_t)c->lazy_max_pages,
                     "directmap", c->directmap,
                     "scrub", c->scrub,
                     "hugepages", c->hugepages,
                     "flush", flush_policy_name(c->flush),
                     "seed", (json_int_t)s->seed,
                     "pin", s->pin,
                     "threads", (json_int_t)s->threads,
                     "counters", counters);
}

/* Single-threaded replay of a multi-threaded trace is worth a note. */
static json_t *notes_json(const struct replay_result *res)
{
    json_t *notes = json_array();
    char buf[256];
    const char *note = replay_thread_note(res, buf, sizeof(buf));

    if (note)
        json_array_append_new(notes, json_string(note));
    return notes;
}

static json_t *contract_part(const struct replay_setup *s,
                             const struct replay_result *res)
{
    const struct heap_stats *st = &res->stats;
    const struct latency_summary *l = res->latency;

    return json_pack(
        "{s:s, s:I, s:I,"
        " s:{s:I, s:I, s:I, s:I},"
        " s:{s:o, s:o, s:o},"
        " s:{s:I, s:I, s:I, s:o},"
        " s:{s:I, s:I, s:I}}",
        "backend", s->backend,
        "page_size", (json_int_t)s->cfg.page_size,
        "threads", (json_int_t)s->threads,
        "ops", "alloc", (json_int_t)res->calls[CALL_ALLOC],
               "free", (json_int_t)res->calls[CALL_FREE],
               "realloc", (json_int_t)res->calls[CALL_REALLOC],
               "failed", (json_int_t)st->failed,
        "latency_ns", "alloc", latency_json(&l[CALL_ALLOC]),
                      "free", latency_json(&l[CALL_FREE]),
                      "realloc", latency_json(&l[CALL_REALLOC]),
        "memory", "peak_live_bytes", (json_int_t)st->peak_live_bytes,
                  "peak_frames", (json_int_t)st->peak_frames,
                  "peak_va_pages", (json_int_t)st->peak_va_pages,
                  "waste_ratio", waste_ratio(st, s->cfg.page_size),
        "mapping", "map_calls", (json_int_t)st->map_calls,
                   "unmap_calls", (json_int_t)st->unmap_calls,
                   "flushes", (json_int_t)st->flushes);
}

json_t *replay_json(const struct replay_setup *s, const struct replay_trace *t,
                    const struct replay_result *res)
{
    const struct heap_stats *st = &res->stats;
    struct machine_info m;
    json_t *root = contract_part(s, res);

    if (!root)
        return NULL;
    machine_probe(&m);
    counters_report(&s->counters, root);
    json_object_set_new(root, "machine", machine_json(&m));
    json_object_set_new(root, "config", config_json(s));

    json_object_set_new(root, "trace", json_pack(
        "{s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "path", t->path,
        "events", (json_int_t)t->n_events, "alloc", (json_int_t)t->n_alloc,
        "free", (json_int_t)t->n_free, "realloc", (json_int_t)t->n_realloc,
        "write", (json_int_t)t->n_write, "threads", (json_int_t)t->threads));
    json_object_set_new(root, "events", jint(res->events));
    json_object_set_new(root, "writes", jint(res->writes));
    json_object_set_new(root, "time_ns_total", jint(res->time_ns_total));
    json_object_set_new(root, "ns_per_op", json_real(res->ns_per_op));
    json_object_set_new(root, "timer_overhead_ns", jint(res->timer_ns));
    json_object_set_new(root, "skipped", jint(res->skipped));
    json_object_set_new(root, "leaked_by_trace", jint(res->leaked));
    json_object_set_new(root, "scrubbed_pages", jint(st->scrubbed_pages));
    json_object_set_new(root, "overhead_frames", jint(st->overhead_frames));
    json_object_set_new(root, "map_failures", jint(st->map_failures));
    json_object_set_new(root, "largest_free_order", largest_free_order(st));
    json_object_set_new(root, "map_limit", s->map_limit ?
                        json_string(s->map_limit) : json_null());
    json_object_set_new(root, "notes", notes_json(res));
    json_object_set_new(root, "stats", stats_json(st));
    return root;
}
