/* xheap replay: one trace against one backend, measured. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <string.h>

#include "backends/faults.h"
#include "backends/heap.h"
#include "drivers/measure/baseline.h"
#include "drivers/cli/cli.h"
#include "drivers/measure/model_options.h"
#include "drivers/measure/replay.h"


static const char replay_usage[] =
    "usage: xheap replay --backend B --trace FILE [--page-size SZ] [--threads N]\n"
    "                    [--pin compact|scatter|none] [--counters LIST]\n"
    "                    [--json FILE] [--placements FILE] [options]\n"
    "\n"
    "Decodes a trace into memory (in chunks), then replays it against one\n"
    "backend: warm-up passes, then repetitions, each on a fresh heap. A\n"
    "repetition is a batch pass (wall time per event, no clock read per call)\n"
    "and a timed pass (every allocator call timed, the timer's own cost\n"
    "subtracted, into histograms per call and size class). Prints a summary.\n"
    "\n"
    "  --backend B        the allocator (see 'xheap backends')\n"
    "  --trace FILE       the trace ('-' reads standard input)\n"
    "  --page-size SZ     model page size: 4K, 16K or 64K (default 4K)\n"
    "  --threads N        replay threads (default 1); trace thread t runs on\n"
    "                     replay thread t % N\n"
    "  --pin P            compact (hyperthreads of a core first), scatter\n"
    "                     (packages, then cores, then hyperthreads) or none\n"
    "                     (default)\n"
    "  --flush-peers N    N threads spinning on other CPUs in this address\n"
    "                     space, so that unmaps pay real TLB shootdowns\n"
    "  --counters LIST    comma-separated perf events, or 'none' (default:\n"
    "                     " COUNTERS_DEFAULT ")\n"
    "  --warmup N         unmeasured passes first (default: 1, or 0 for\n"
    "                     traces over 10^7 events)\n"
    "  --repetitions N    measured repetitions (default: 5, or 1 for traces\n"
    "                     over 10^7 events)\n"
    "  --timing T         both (default), batch (no latencies) or op (timed\n"
    "                     passes only)\n"
    "  --timer T          auto (the TSC where invariant, else clock_gettime)\n"
    "                     or clock (clock_gettime)\n"
    "  --chunk-events N   compact events decoded per chunk (default 1048576)\n"
    "  --by-size          print latencies per size class too\n"
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
    "  --idle-scrub-every K run Xen's idle scrubber after every K-th event\n"
    "  --xenheap-bits N   one heap: xenheap frames below 2^N bytes (0: all)\n"
    "  --seed S           seed recorded with the result (default 1)\n"
    "\n"
    "Fault injection (docs/faults.md; every heap counts its calls from 1):\n"
    "  --max-map-count N  refuse mappings past N of the model's own, as the\n"
    "                     kernel does past vm.max_map_count (at most 65536;\n"
    "                     0: the host's limit only)\n"
    "  --fail-map-at N    map call N fails (as map_calls numbers them)\n"
    "  --fail-map-every P and every Pth after it (alone: calls P, 2P, ...)\n"
    "  --fail-unmap-at N  unmap call N fails: its pages stay mapped\n"
    "  --fail-unmap-every P  and every Pth after it\n"
    "\n"
    "docs/replay.md says how the numbers are measured and how to read them.\n";

void cmd_replay_help(FILE *f)
{
    fputs(replay_usage, f);
}

enum {
    OPT_BACKEND = 256, OPT_TRACE, OPT_THREADS, OPT_PIN,
    OPT_COUNTERS, OPT_JSON, OPT_PLACEMENTS, OPT_SEED, OPT_HELP,
    OPT_FLUSH_PEERS, OPT_WARMUP, OPT_REPETITIONS, OPT_TIMING, OPT_TIMER,
    OPT_CHUNK_EVENTS, OPT_BY_SIZE,
};

static const struct option replay_options[] = {
    { "backend",        required_argument, NULL, OPT_BACKEND },
    { "trace",          required_argument, NULL, OPT_TRACE },
    { "threads",        required_argument, NULL, OPT_THREADS },
    { "pin",            required_argument, NULL, OPT_PIN },
    { "flush-peers",    required_argument, NULL, OPT_FLUSH_PEERS },
    { "counters",       required_argument, NULL, OPT_COUNTERS },
    { "warmup",         required_argument, NULL, OPT_WARMUP },
    { "repetitions",    required_argument, NULL, OPT_REPETITIONS },
    { "timing",         required_argument, NULL, OPT_TIMING },
    { "timer",          required_argument, NULL, OPT_TIMER },
    { "chunk-events",   required_argument, NULL, OPT_CHUNK_EVENTS },
    { "by-size",        no_argument,       NULL, OPT_BY_SIZE },
    { "json",           required_argument, NULL, OPT_JSON },
    { "placements",     required_argument, NULL, OPT_PLACEMENTS },
    { "seed",           required_argument, NULL, OPT_SEED },
    MODEL_OPTIONS,
    FAULT_OPTIONS,
    { "help",           no_argument,       NULL, OPT_HELP },
    { NULL, 0, NULL, 0 },
};

struct replay_args {
    struct replay_options opt;
    struct heap_config cfg;
    const char *backend, *trace_path;
    const char *json_path, *placements_path;
    bool help, by_size;
};

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

static int parse_unsigned(const char *opt, const char *arg, uint64_t lo,
                          uint64_t hi, unsigned *out)
{
    uint64_t v;
    int rc = parse_range_arg("replay", opt, arg, lo, hi, &v);

    if (rc == 0)
        *out = (unsigned)v;
    return rc;
}

/* --counters is checked here so that a bad list costs no decoding. */
static int check_counters(const char *list)
{
    struct counter_set cs;
    char why[256];

    if (strcmp(list, "none") == 0)
        return 0;
    if (counters_parse(list, &cs, why, sizeof(why)))
        return usage_error("replay", "--counters: %s", why);
    counters_free(&cs);
    return 0;
}

/* The measurement's own options. */
static int run_option(int c, const char *arg, struct replay_options *o)
{
    uint64_t n;

    switch (c) {
    case OPT_THREADS:
        return parse_unsigned("--threads", arg, 1, REPLAY_MAX_THREADS,
                              &o->threads);
    case OPT_FLUSH_PEERS:
        return parse_unsigned("--flush-peers", arg, 0, REPLAY_MAX_PEERS,
                              &o->flush_peers);
    case OPT_WARMUP:
        return parse_unsigned("--warmup", arg, 0, 1000, &o->warmup);
    case OPT_REPETITIONS:
        return parse_unsigned("--repetitions", arg, 1, 1000, &o->repetitions);
    case OPT_CHUNK_EVENTS:
        if (parse_u64(arg, &n) || n < 1 || n > UINT32_MAX)
            return bad_option_value("replay", "--chunk-events", arg, "1 .. 4294967295");
        o->chunk_events = (size_t)n;
        return 0;
    case OPT_PIN:
        if (pin_mode_parse(arg, &o->pin))
            return bad_option_value("replay", "--pin", arg, "compact, scatter or none");
        return 0;
    case OPT_TIMING:
        if (replay_timing_parse(arg, &o->timing))
            return bad_option_value("replay", "--timing", arg, "both, batch or op");
        return 0;
    case OPT_TIMER:
        if (timer_choice_parse(arg, &o->timer))
            return bad_option_value("replay", "--timer", arg, "auto or clock");
        return 0;
    case OPT_COUNTERS:
        o->counters = arg;
        return check_counters(arg);
    case OPT_SEED:
        if (parse_u64(arg, &o->seed))
            return bad_option_value("replay", "--seed", arg, "an unsigned integer");
        return 0;
    }
    return -1;   /* not one of these */
}

static int replay_option(int c, const char *arg, struct replay_args *a)
{
    int rc;

    switch (c) {
    case OPT_HELP:       a->help = true; return 0;
    case OPT_BY_SIZE:    a->by_size = true; return 0;
    case OPT_BACKEND:    a->backend = arg; return 0;
    case OPT_TRACE:      a->trace_path = arg; return 0;
    case OPT_JSON:       a->json_path = arg; return 0;
    case OPT_PLACEMENTS: a->placements_path = arg; return 0;
    }
    if ((rc = run_option(c, arg, &a->opt)) >= 0)
        return rc;
    rc = model_option("replay", c, arg, &a->cfg);
    return rc >= 0 ? rc : EXIT_USAGE;
}

static int parse_args(int argc, char **argv, struct replay_args *a)
{
    int c, rc;

    memset(a, 0, sizeof(*a));
    heap_config_defaults(&a->cfg);
    replay_options_defaults(&a->opt);
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
    if (!a->backend)
        return usage_error("replay", "--backend is required "
                           "(see 'xheap backends')");
    if (!backend_find(a->backend))
        return unknown_backend(a->backend);
    if (!a->trace_path)
        return usage_error("replay", "--trace is required");
    return 0;
}

/* ---- output -------------------------------------------------------- */

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

static int write_json(FILE *f, const struct replay_report *r)
{
    json_t *root = replay_json(r);
    int failed = !root || json_dumpf(root, f, JSON_INDENT(2)) != 0 ||
                 fputc('\n', f) == EOF;

    json_decref(root);
    return failed;
}

static int write_outputs(struct replay_args *a, struct outputs *o,
                         const struct replay_report *r)
{
    int rc;

    rc = finish(&o->placements, a->placements_path,
                o->placements.f && ferror(o->placements.f));
    if (rc == 0)
        rc = finish(&o->json, a->json_path,
                    o->json.f && write_json(o->json.f, r) != 0);
    abort_outputs(o);   /* whatever is left after a failure */
    return rc;
}

/* ---- the command --------------------------------------------------- */

/* Everything after a valid command line: measure, report. The summary
 * goes to stderr when a result file is standard output. */
static int replay_main(struct replay_args *a, struct outputs *o)
{
    struct replay_report r;
    FILE *summary = (a->json_path && strcmp(a->json_path, "-") == 0) ||
                    (a->placements_path &&
                     strcmp(a->placements_path, "-") == 0) ? stderr : stdout;
    int rc;

    a->opt.placements = o->placements.f;
    rc = replay_measure(&a->opt, &a->cfg, a->backend, a->trace_path, &r);
    if (rc != REPLAY_OK) {
        fprintf(stderr, "xheap replay: %s\n", r.error);
        rc = rc == REPLAY_BAD_INPUT ? EXIT_USAGE : EXIT_RUN_FAILED;
    } else {
        replay_print(&r, summary, a->by_size);
        fflush(summary);
        rc = write_outputs(a, o, &r);
    }
    replay_report_free(&r);
    return rc;
}

int cmd_replay(int argc, char **argv)
{
    struct replay_args a;
    struct outputs out;
    int rc = parse_args(argc, argv, &a);

    if (rc != 0)
        return rc;
    if (a.help) {
        cmd_replay_help(stdout);
        return 0;
    }
    /* jemalloc, mimalloc, tcmalloc: in a process of their own, preloaded. */
    if ((rc = baseline_reexec(a.backend, argc, argv)) >= 0)
        return rc;
    if ((rc = open_outputs(&a, &out)) != 0)
        return rc;
    rc = replay_main(&a, &out);
    abort_outputs(&out);   /* a no-op once written */
    return rc;
}
