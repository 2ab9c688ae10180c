/* xheap access: what touching allocated memory costs, by where it lives. */
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <string.h>

#include "drivers/measure/access.h"
#include "drivers/measure/baseline.h"
#include "drivers/cli/cli.h"
#include "drivers/measure/model_options.h"

#define DEFAULT_BACKENDS    "vmalloc,xmalloc"
#define DEFAULT_WORKING_SET (64ull << 20)
#define DEFAULT_BLOCK       (64ull << 10)
#define DEFAULT_ACCESSES    2000000ull
#define DEFAULT_REPETITIONS 5
#define DEFAULT_SEED        1
#define MAX_BACKENDS        16
/* Without --memory, the modelled memory is at least this many times the
 * working set, so that the working set never fails for want of frames. */
#define MEMORY_PER_WORKING_SET 2

static const char access_usage[] =
    "usage: xheap access [--backend LIST] [--working-set SZ] [--block SZ]\n"
    "                    [--accesses N] [--repetitions N]\n"
    "                    [--pattern random|sequential] [--write]\n"
    "                    [--page-size SZ] [--counters LIST] [--json FILE]\n"
    "                    [model options]\n"
    "\n"
    "Allocates a working set through each backend in blocks, links every\n"
    "64-byte line of it into one chain and follows the chain (each load\n"
    "depends on the one before, so prefetching cannot hide a miss), then\n"
    "reports the time and the dTLB misses per access: the median of several\n"
    "walks, the backends taking turns so that a changing load falls on all\n"
    "of them alike. vmalloc'd memory sits behind one small mapping per page;\n"
    "xmalloc's whole pages come from the directmap, one large mapping (with\n"
    "--hugepages, huge pages where the kernel gives them). The last line\n"
    "compares the two (question 9).\n"
    "\n"
    "  --backend LIST     comma-separated backends (default vmalloc,xmalloc);\n"
    "                     a preloaded baseline (jemalloc...) runs alone\n"
    "  --working-set SZ   bytes to allocate and walk (default 64M)\n"
    "  --block SZ         bytes per allocation, at least 64 (default 64K)\n"
    "  --accesses N       accesses per measured walk (default 2000000)\n"
    "  --repetitions N    measured walks per backend (default 5)\n"
    "  --pattern P        random (default) or sequential (address order)\n"
    "  --write            each access also writes to its line\n"
    "  --page-size SZ     model page size: 4K, 16K or 64K (default 4K)\n"
    "  --counters LIST    perf events (default cycles, dTLB-load-misses,\n"
    "                     dTLB-store-misses, page-faults, task-clock)\n"
    "  --json FILE        write the results as one JSON object\n"
    "  --seed S           seed of the random order (default 1)\n"
    "\n"
    "Model options (defaults: x86_64 Xen):\n"
    "  --memory SZ        modelled physical memory (default: 1G, or twice\n"
    "                     the working set when that is more)\n"
    "  --xenheap SZ       separate xenheap of this size (0: one heap)\n"
    "  --vmap-size SZ     the vmap area\n"
    "  --max-order N      buddy MAX_ORDER\n"
    "  --no-directmap     xenheap pages are mapped on demand\n"
    "  --no-scrub         freed pages are not scrubbed\n"
    "  --hugepages        transparent huge pages for the directmap\n"
    "  --flush P          page (x86), range (Arm) or lazy (Linux)\n"
    "  --lazy-max-pages N with --flush lazy: flush once N pages are pending\n"
    "                     (default: Linux's lazy_max_pages() for --cpus)\n"
    "  --arch A           x86 (default), arm64 or arm32: sets the vmap size,\n"
    "                     the flush rules, the separate xenheap and mfn_t;\n"
    "                     knobs set on their own win\n"
    "  --cpus N           online CPUs of the modelled machine (default: the\n"
    "                     host's): IPIs per flush, lazy_max_pages\n";

void cmd_access_help(FILE *f)
{
    fputs(access_usage, f);
}

enum {
    OPT_BACKEND = 256, OPT_WORKING_SET, OPT_BLOCK, OPT_ACCESSES, OPT_REPS,
    OPT_PATTERN,
    OPT_WRITE, OPT_COUNTERS, OPT_JSON, OPT_SEED, OPT_HELP,
};

static const struct option access_options[] = {
    { "backend",        required_argument, NULL, OPT_BACKEND },
    { "working-set",    required_argument, NULL, OPT_WORKING_SET },
    { "block",          required_argument, NULL, OPT_BLOCK },
    { "accesses",       required_argument, NULL, OPT_ACCESSES },
    { "repetitions",    required_argument, NULL, OPT_REPS },
    { "pattern",        required_argument, NULL, OPT_PATTERN },
    { "write",          no_argument,       NULL, OPT_WRITE },
    { "counters",       required_argument, NULL, OPT_COUNTERS },
    { "json",           required_argument, NULL, OPT_JSON },
    { "seed",           required_argument, NULL, OPT_SEED },
    MODEL_OPTIONS,
    { "help",           no_argument,       NULL, OPT_HELP },
    { NULL, 0, NULL, 0 },
};

struct access_args {
    struct access_setup setup;
    char backends[MAX_BACKENDS][64];
    size_t n_backends;
    const char *json_path;
    bool memory_given, help;
};

static int parse_backends(const char *list, struct access_args *a)
{
    const char *p = list;

    a->n_backends = 0;
    for (;;) {
        size_t n = strcspn(p, ",");

        if (n == 0 || n >= sizeof a->backends[0])
            return bad_option_value("access", "--backend", list, "backend names separated "
                             "by commas (see 'xheap backends')");
        if (a->n_backends == MAX_BACKENDS)
            return usage_error("access", "more than %d backends in --backend",
                               MAX_BACKENDS);
        memcpy(a->backends[a->n_backends], p, n);
        a->backends[a->n_backends][n] = '\0';
        if (!backend_find(a->backends[a->n_backends]))
            return usage_error("access", "unknown backend '%s' in --backend "
                               "(see 'xheap backends')",
                               a->backends[a->n_backends]);
        a->n_backends++;
        if (!p[n])
            return 0;
        p += n + 1;
    }
}

static int access_option(int c, const char *arg, struct access_args *a)
{
    struct access_setup *s = &a->setup;
    uint64_t v;
    int rc;

    switch (c) {
    case OPT_HELP:     a->help = true; return 0;
    case OPT_BACKEND:  return parse_backends(arg, a);
    case OPT_JSON:     a->json_path = arg; return 0;
    case OPT_COUNTERS: s->counters = arg; return 0;
    case OPT_WRITE:    s->write = true; return 0;
    case OPT_WORKING_SET:
        return parse_bytes_arg("access", "--working-set", arg, &s->working_set);
    case OPT_BLOCK:    return parse_bytes_arg("access", "--block", arg, &s->block);
    case OPT_ACCESSES:
        return parse_range_arg("access", "--accesses", arg, 1, UINT64_MAX, &s->accesses);
    case OPT_REPS:
        rc = parse_range_arg("access", "--repetitions", arg, 1, ACCESS_MAX_REPS, &v);
        s->repetitions = (unsigned)v;
        return rc;
    case OPT_SEED:
        return parse_range_arg("access", "--seed", arg, 0, UINT64_MAX, &s->seed);
    case OPT_PATTERN:
        if (strcmp(arg, "random") && strcmp(arg, "sequential"))
            return bad_option_value("access", "--pattern", arg, "random or sequential");
        s->sequential = arg[0] == 's';
        return 0;
    }
    if (c == MODEL_OPT_MEMORY)
        a->memory_given = true;
    rc = model_option("access", c, arg, &s->cfg);
    return rc >= 0 ? rc : EXIT_USAGE;
}

/* Checks what no single option can, and sizes the memory to the set. */
static int check_args(struct access_args *a)
{
    struct access_setup *s = &a->setup;
    char why[256];
    struct counter_set probe;
    uint64_t need;

    if (s->block < ACCESS_LINE)
        return usage_error("access", "--block %" PRIu64 " is too small: at "
                           "least %u bytes", s->block, ACCESS_LINE);
    if (s->working_set < s->block)
        return usage_error("access", "--working-set %" PRIu64 " is smaller "
                           "than --block %" PRIu64, s->working_set, s->block);
    if (counters_parse(s->counters, &probe, why, sizeof why))
        return usage_error("access", "%s", why);
    counters_free(&probe);
    for (size_t i = 0; a->n_backends > 1 && i < a->n_backends; i++)
        if (baseline_find(a->backends[i]))
            return usage_error("access", "%s runs in a process of its own: "
                               "give it alone in --backend", a->backends[i]);
    need = s->working_set * MEMORY_PER_WORKING_SET;
    need = (need + s->cfg.page_size - 1) / s->cfg.page_size * s->cfg.page_size;
    if (!a->memory_given && need > s->cfg.memory_bytes)
        s->cfg.memory_bytes = need;
    return 0;
}

static int parse_args(int argc, char **argv, struct access_args *a)
{
    int c, rc;

    memset(a, 0, sizeof *a);
    heap_config_defaults(&a->setup.cfg);
    a->setup.working_set = DEFAULT_WORKING_SET;
    a->setup.block = DEFAULT_BLOCK;
    a->setup.accesses = DEFAULT_ACCESSES;
    a->setup.repetitions = DEFAULT_REPETITIONS;
    a->setup.seed = DEFAULT_SEED;
    a->setup.counters = ACCESS_COUNTERS_DEFAULT;
    parse_backends(DEFAULT_BACKENDS, a);
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", access_options, NULL)) != -1) {
        if (c == '?' || c == ':')
            return bad_option("access", c, argv);
        if ((rc = access_option(c, optarg, a)) != 0)
            return rc;
    }
    if (a->help)
        return 0;
    if (optind < argc)
        return usage_error("access", "unexpected argument '%s'", argv[optind]);
    return check_args(a);
}

static int write_json(const struct access_args *a, struct out_file *out,
                      const struct access_result *r, size_t n)
{
    json_t *root = access_json(&a->setup, r, n);
    char why[512];
    int failed = !root || json_dumpf(root, out->f, JSON_INDENT(2)) != 0 ||
                 fputc('\n', out->f) == EOF;

    json_decref(root);
    if (failed) {
        out_abort(out);
        fprintf(stderr, "xheap access: %s: write failed\n", a->json_path);
        return EXIT_RUN_FAILED;
    }
    if (out_commit(out, why, sizeof why) != 0) {
        fprintf(stderr, "xheap access: %s\n", why);
        return EXIT_RUN_FAILED;
    }
    return 0;
}

/* Prepares every backend, then measures them in turns, walk by walk. */
static int run_all(const struct access_args *a, struct out_file *out)
{
    static struct access_result r[MAX_BACKENDS];
    const struct access_setup *s = &a->setup;
    size_t n = 0;
    char why[512];
    int rc = 0;

    memset(r, 0, sizeof r);
    for (size_t i = 0; i < a->n_backends; i++) {
        if (access_prepare(a->backends[i], s, &r[n], why, sizeof why)) {
            fprintf(stderr, "xheap access: %s\n", why);
            rc = EXIT_RUN_FAILED;
            continue;
        }
        n++;
    }
    for (unsigned rep = 0; rep < s->repetitions; rep++)
        for (size_t i = 0; i < n; i++)
            access_measure(s, &r[i]);
    for (size_t i = 0; i < n; i++) {
        access_finish(s, &r[i]);
        access_print(s, &r[i], stdout);
    }
    access_print_comparison(r, n, stdout);
    if (out->f && rc == 0)
        rc = write_json(a, out, r, n);
    out_abort(out);
    for (size_t i = 0; i < n; i++)
        access_result_free(&r[i]);
    return rc;
}

int cmd_access(int argc, char **argv)
{
    struct access_args a;
    struct out_file out = { 0 };
    char why[512];
    int rc = parse_args(argc, argv, &a);

    if (rc != 0)
        return rc;
    if (a.help) {
        cmd_access_help(stdout);
        return 0;
    }
    if (a.n_backends == 1 &&
        (rc = baseline_reexec(a.backends[0], argc, argv)) >= 0)
        return rc;
    if (a.json_path && out_open(&out, a.json_path, why, sizeof why)) {
        fprintf(stderr, "xheap access: %s\n", why);
        return EXIT_RUN_FAILED;
    }
    return run_all(&a, &out);
}
