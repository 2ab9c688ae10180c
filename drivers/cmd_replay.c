/* xheap replay: one trace against one backend, measured. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <string.h>

#include "backends/heap.h"
#include "drivers/baseline.h"
#include "drivers/cli.h"
#include "drivers/replay.h"

/* This version replays on one thread; --threads N > 1 arrives later. */
#define REPLAY_MAX_THREADS 1
#define MAX_ORDER_LIMIT    40   /* 2^40 bytes is the trace format's limit */
#define DEFAULT_SEED       1    /* as xheap gen's */

static const char replay_usage[] =
    "usage: xheap replay --backend B --trace FILE [--page-size SZ] [--threads N]\n"
    "                    [--pin compact|scatter|none] [--counters LIST]\n"
    "                    [--json FILE] [--placements FILE] [model options]\n"
    "\n"
    "Replays a trace against one backend, timing every allocator call, and\n"
    "prints a summary. Every event runs on one thread, in trace order.\n"
    "\n"
    "  --backend B        the allocator (see 'xheap backends')\n"
    "  --trace FILE       the trace ('-' reads standard input)\n"
    "  --page-size SZ     model page size: 4K, 16K or 64K (default 4K)\n"
    "  --threads N        replay threads; only 1 in this version\n"
    "  --pin P            compact, scatter or none (default none)\n"
    "  --counters LIST    comma-separated perf events to count\n"
    "  --json FILE        write the result object to FILE\n"
    "  --placements FILE  write one CSV row per successful allocation\n"
    "\n"
    "Model options (defaults: x86_64 Xen):\n"
    "  --memory SZ        modelled physical memory\n"
    "  --xenheap SZ       separate xenheap of this size (0: one heap)\n"
    "  --vmap-size SZ     the vmap area\n"
    "  --max-order N      buddy MAX_ORDER\n"
    "  --no-directmap     xenheap pages are mapped on demand\n"
    "  --no-scrub         freed pages are not scrubbed\n"
    "  --hugepages        transparent huge pages for the directmap\n"
    "  --flush P          page (x86), range (Arm) or lazy (Linux)\n"
    "  --lazy-max-pages N with --flush lazy: flush once N pages are pending\n"
    "  --seed S           seed recorded with the result (default 1)\n";

void cmd_replay_help(FILE *f)
{
    fputs(replay_usage, f);
}

enum {
    OPT_BACKEND = 256, OPT_TRACE, OPT_PAGE_SIZE, OPT_THREADS, OPT_PIN,
    OPT_COUNTERS, OPT_JSON, OPT_PLACEMENTS, OPT_MEMORY, OPT_XENHEAP,
    OPT_VMAP_SIZE, OPT_MAX_ORDER, OPT_NO_DIRECTMAP, OPT_NO_SCRUB,
    OPT_HUGEPAGES, OPT_FLUSH, OPT_LAZY_MAX_PAGES, OPT_SEED, OPT_HELP,
};

static const struct option replay_options[] = {
    { "backend",        required_argument, NULL, OPT_BACKEND },
    { "trace",          required_argument, NULL, OPT_TRACE },
    { "page-size",      required_argument, NULL, OPT_PAGE_SIZE },
    { "threads",        required_argument, NULL, OPT_THREADS },
    { "pin",            required_argument, NULL, OPT_PIN },
    { "counters",       required_argument, NULL, OPT_COUNTERS },
    { "json",           required_argument, NULL, OPT_JSON },
    { "placements",     required_argument, NULL, OPT_PLACEMENTS },
    { "memory",         required_argument, NULL, OPT_MEMORY },
    { "xenheap",        required_argument, NULL, OPT_XENHEAP },
    { "vmap-size",      required_argument, NULL, OPT_VMAP_SIZE },
    { "max-order",      required_argument, NULL, OPT_MAX_ORDER },
    { "no-directmap",   no_argument,       NULL, OPT_NO_DIRECTMAP },
    { "no-scrub",       no_argument,       NULL, OPT_NO_SCRUB },
    { "hugepages",      no_argument,       NULL, OPT_HUGEPAGES },
    { "flush",          required_argument, NULL, OPT_FLUSH },
    { "lazy-max-pages", required_argument, NULL, OPT_LAZY_MAX_PAGES },
    { "seed",           required_argument, NULL, OPT_SEED },
    { "help",           no_argument,       NULL, OPT_HELP },
    { NULL, 0, NULL, 0 },
};

static const char *const pin_modes[] = { "compact", "scatter", "none" };

struct replay_args {
    struct replay_setup setup;
    const char *json_path, *placements_path;
    bool help;
};

static int bad_value(const char *opt, const char *value, const char *want)
{
    return usage_error("replay", "bad value '%s' for %s: want %s",
                       value, opt, want);
}

static int unknown_backend(const char *name)
{
    size_t n;
    const struct backend_ops *const *list = backend_list(&n);

    fprintf(stderr, "xheap replay: unknown backend '%s'; known:", name);
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, "%s %s", i ? "," : "", list[i]->name);
    fputc('\n', stderr);
    return EXIT_USAGE;
}

static int parse_pin(const char *arg, const char **out)
{
    for (size_t i = 0; i < sizeof(pin_modes) / sizeof(pin_modes[0]); i++)
        if (strcmp(arg, pin_modes[i]) == 0) {
            *out = pin_modes[i];
            return 0;
        }
    return bad_value("--pin", arg, "compact, scatter or none");
}

static int parse_threads(const char *arg, unsigned *out)
{
    uint64_t v;

    if (parse_u64(arg, &v) || v == 0 || v > UINT_MAX)
        return bad_value("--threads", arg, "a thread count, at least 1");
    if (v > REPLAY_MAX_THREADS)
        return usage_error("replay", "--threads N > 1 is not supported yet "
                           "(got %s)", arg);
    *out = (unsigned)v;
    return 0;
}

static int parse_bytes(const char *opt, const char *arg, uint64_t *out)
{
    if (parse_size(arg, out))
        return bad_value(opt, arg, "a size such as 4096, 64K, 512M, 16G");
    return 0;
}

static int parse_unsigned(const char *opt, const char *arg, uint64_t lo,
                          uint64_t hi, unsigned *out)
{
    uint64_t v;
    char want[64];

    if (parse_u64(arg, &v) || v < lo || v > hi) {
        snprintf(want, sizeof(want), "%" PRIu64 " .. %" PRIu64, lo, hi);
        return bad_value(opt, arg, want);
    }
    *out = (unsigned)v;
    return 0;
}

/* The model knobs, straight into struct heap_config. */
static int model_option(int c, const char *arg, struct heap_config *cfg)
{
    switch (c) {
    case OPT_PAGE_SIZE:
        if (parse_page_size(arg, &cfg->page_size))
            return bad_value("--page-size", arg, PAGE_SIZES_ACCEPTED);
        return 0;
    case OPT_MEMORY:    return parse_bytes("--memory", arg, &cfg->memory_bytes);
    case OPT_XENHEAP:   return parse_bytes("--xenheap", arg, &cfg->xenheap_bytes);
    case OPT_VMAP_SIZE: return parse_bytes("--vmap-size", arg, &cfg->vmap_bytes);
    case OPT_MAX_ORDER:
        return parse_unsigned("--max-order", arg, 0, MAX_ORDER_LIMIT,
                              &cfg->max_order);
    case OPT_NO_DIRECTMAP: cfg->directmap = false; return 0;
    case OPT_NO_SCRUB:     cfg->scrub = false; return 0;
    case OPT_HUGEPAGES:    cfg->hugepages = true; return 0;
    case OPT_FLUSH:
        if (flush_policy_parse(arg, &cfg->flush))
            return bad_value("--flush", arg, "page, range or lazy");
        return 0;
    case OPT_LAZY_MAX_PAGES:
        return parse_unsigned("--lazy-max-pages", arg, 1, UINT_MAX,
                              &cfg->lazy_max_pages);
    }
    return EXIT_USAGE;
}

static int replay_option(int c, const char *arg, struct replay_args *a)
{
    struct replay_setup *s = &a->setup;
    char why[256];

    switch (c) {
    case OPT_HELP:       a->help = true; return 0;
    case OPT_BACKEND:    s->backend = arg; return 0;
    case OPT_TRACE:      s->trace_path = arg; return 0;
    case OPT_JSON:       a->json_path = arg; return 0;
    case OPT_PLACEMENTS: a->placements_path = arg; return 0;
    case OPT_THREADS:    return parse_threads(arg, &s->threads);
    case OPT_PIN:        return parse_pin(arg, &s->pin);
    case OPT_SEED:
        if (parse_u64(arg, &s->seed))
            return bad_value("--seed", arg, "an unsigned integer");
        return 0;
    case OPT_COUNTERS:
        counters_free(&s->counters);
        if (counters_parse(arg, &s->counters, why, sizeof(why)))
            return usage_error("replay", "%s", why);
        return 0;
    }
    return model_option(c, arg, &s->cfg);
}

static int parse_args(int argc, char **argv, struct replay_args *a)
{
    int c, rc;

    memset(a, 0, sizeof(*a));
    heap_config_defaults(&a->setup.cfg);
    a->setup.threads = 1;
    a->setup.pin = "none";
    a->setup.seed = DEFAULT_SEED;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", replay_options, NULL)) != -1) {
        if (c == '?' || c == ':')
            return bad_option("replay", c, argv);
        if ((rc = replay_option(c, optarg, a)) != 0)
            return rc;
    }
    if (a->help)
        return 0;
    if (optind < argc)
        return usage_error("replay", "unexpected argument '%s'", argv[optind]);
    if (!a->setup.backend)
        return usage_error("replay", "--backend is required "
                           "(see 'xheap backends')");
    if (!backend_find(a->setup.backend))
        return unknown_backend(a->setup.backend);
    if (!a->setup.trace_path)
        return usage_error("replay", "--trace is required");
    return 0;
}

/* ---- output -------------------------------------------------------- */

static void print_latency(const char *name, const struct latency_summary *l)
{
    if (l->count == 0) {
        printf("%-10s 0 calls\n", name);
        return;
    }
    printf("%-10s %" PRIu64 " calls, ns: mean %.1f  p50 %" PRIu32 "  p99 %"
           PRIu32 "  p99.9 %" PRIu32 "  max %" PRIu32 "\n", name, l->count,
           l->mean, l->p50, l->p99, l->p999, l->max);
}

static void print_summary(const struct replay_setup *s,
                          const struct replay_trace *t,
                          const struct replay_result *r)
{
    const struct heap_stats *st = &r->stats;
    char buf[256];
    const char *note;

    printf("backend    %s, page size %zu, 1 thread\n", s->backend,
           s->cfg.page_size);
    printf("trace      %s: %zu events (%" PRIu64 " a, %" PRIu64 " f, %" PRIu64
           " r, %" PRIu64 " w)\n", t->path, t->n_events, t->n_alloc, t->n_free,
           t->n_realloc, t->n_write);
    printf("time       %.3f ms, %.1f ns/op overall; latencies include "
           "one clock read (%" PRIu32 " ns)\n",
           r->time_ns_total / 1e6, r->ns_per_op, r->timer_ns);
    for (int c = 0; c < CALL_KINDS; c++)
        print_latency(replay_call_name(c), &r->latency[c]);
    printf("failed     %" PRIu64 " allocations (%" PRIu64
           " f/w on failed ids skipped)\n", st->failed, r->skipped);
    if (st->frames_total == 0)
        printf("memory     peak live %" PRIu64 " B; frames not known for a "
               "system baseline\n", st->peak_live_bytes);
    else if (st->peak_live_bytes == 0)
        printf("memory     peak frames %" PRIu64 ", peak VA pages %" PRIu64
               ", nothing live\n", st->peak_frames, st->peak_va_pages);
    else
        printf("memory     peak live %" PRIu64 " B, peak frames %" PRIu64
               ", peak VA pages %" PRIu64 ", waste ratio %.3f\n",
               st->peak_live_bytes, st->peak_frames, st->peak_va_pages,
               (double)st->peak_frames * s->cfg.page_size /
               st->peak_live_bytes - 1.0);
    printf("mapping    %" PRIu64 " map calls, %" PRIu64 " unmap calls, %"
           PRIu64 " flushes\n", st->map_calls, st->unmap_calls, st->flushes);
    printf("leaked     %" PRIu64 " ids left live by the trace "
           "(freed after the measurement)\n", r->leaked);
    if ((note = replay_thread_note(r, buf, sizeof(buf))))
        printf("note       %s\n", note);
    if (s->map_limit)
        printf("warning    %s\n", s->map_limit);
}

/* The output files, opened before the replay so a bad path costs no run. */
struct outputs {
    struct out_file json, placements;
};

static int open_outputs(const struct replay_args *a, struct outputs *o)
{
    char why[512];

    memset(o, 0, sizeof(*o));
    if ((a->placements_path &&
         out_open(&o->placements, a->placements_path, why, sizeof(why))) ||
        (a->json_path && out_open(&o->json, a->json_path, why, sizeof(why)))) {
        out_abort(&o->placements);
        fprintf(stderr, "xheap replay: %s\n", why);
        return EXIT_RUN_FAILED;
    }
    return 0;
}

static void abort_outputs(struct outputs *o)
{
    out_abort(&o->placements);
    out_abort(&o->json);
}

/* Writes and commits OUT (when open); on failure drops it. */
static int finish(struct out_file *out, const char *path, int write_failed)
{
    char why[512];

    if (!out->f)
        return 0;
    if (write_failed)
        snprintf(why, sizeof(why), "%s: write failed", path);
    else if (out_commit(out, why, sizeof(why)) == 0)
        return 0;
    out_abort(out);
    fprintf(stderr, "xheap replay: %s\n", why);
    return EXIT_RUN_FAILED;
}

static int write_json(FILE *f, const struct replay_setup *s,
                      const struct replay_trace *t,
                      const struct replay_result *r)
{
    json_t *root = replay_json(s, t, r);
    int failed = !root || json_dumpf(root, f, JSON_INDENT(2)) != 0 ||
                 fputc('\n', f) == EOF;

    json_decref(root);
    return failed;
}

static int write_outputs(struct replay_args *a, struct outputs *o,
                         const struct replay_trace *t,
                         const struct replay_result *r)
{
    int rc;

    rc = finish(&o->placements, a->placements_path, o->placements.f &&
                replay_write_placements(r, o->placements.f) != 0);
    if (rc == 0)
        rc = finish(&o->json, a->json_path, o->json.f &&
                    write_json(o->json.f, &a->setup, t, r) != 0);
    abort_outputs(o);   /* whatever is left after a failure */
    return rc;
}

/* ---- the command --------------------------------------------------- */

/* Everything after a valid command line: load, create, replay, report. */
static int replay_main(struct replay_args *a, struct outputs *o)
{
    struct replay_setup *s = &a->setup;
    struct replay_trace t;
    struct replay_result r;
    struct trace_error err;
    struct heap *h;
    char why[512];
    int rc = 0;

    if (replay_load(s->trace_path, &t, &err) != 0) {
        fprintf(stderr, "xheap: %s\n", err.msg);
        return EXIT_USAGE;
    }
    h = heap_create(s->backend, &s->cfg, why, sizeof(why));
    if (!h) {
        fprintf(stderr, "xheap replay: cannot create the heap: %s\n", why);
        replay_trace_free(&t);
        return EXIT_RUN_FAILED;
    }
    if (replay_run(h, &t, o->placements.f != NULL, &r) != 0) {
        fprintf(stderr, "xheap replay: %s\n", strerror(errno));
        rc = EXIT_RUN_FAILED;
    } else {
        s->map_limit = heap_map_limit_message(h);
        print_summary(s, &t, &r);
        rc = write_outputs(a, o, &t, &r);
        replay_result_free(&r);
    }
    heap_destroy(h);
    replay_trace_free(&t);
    return rc;
}

int cmd_replay(int argc, char **argv)
{
    struct replay_args a;
    int rc = parse_args(argc, argv, &a);

    struct outputs out;

    if (rc == 0 && !a.help) {
        int child = baseline_reexec(a.setup.backend, argc, argv);

        if (child >= 0)
            return child;
    }
    if (rc == 0 && a.help)
        cmd_replay_help(stdout);
    else if (rc == 0 && (rc = open_outputs(&a, &out)) == 0) {
        rc = replay_main(&a, &out);
        abort_outputs(&out);   /* a no-op once written */
    }
    counters_free(&a.setup.counters);
    return rc;
}
