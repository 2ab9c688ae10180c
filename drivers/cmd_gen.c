/* xheap gen: writes a synthetic trace (workloads/gen.h). */
#include <errno.h>
#include <getopt.h>
#include <string.h>

#include "backends/heap.h"
#include "drivers/cli.h"
#include "workloads/gen.h"

static const char gen_usage[] =
    "usage: xheap gen WORKLOAD [--events N] [--seed S] [--page-size SZ] [-o FILE]\n"
    "                 [workload options]\n"
    "\n"
    "Writes a synthetic trace (standard output unless -o). The same options\n"
    "and seed give the same bytes. Traces are closed: every block is freed,\n"
    "so at most N events are written (an odd N gives N - 1).\n"
    "\n"
    "  --events N       events to write (default 100000)\n"
    "  --seed S         random seed (default 1)\n"
    "  --page-size SZ   model page size: 4K, 16K or 64K (default 4K)\n"
    "  -o FILE          output file, written whole or not at all\n"
    "\n"
    "Workload options:\n"
    "  --size SZ        pairs: the size (default 64)\n"
    "  --contig         pairs: requests need contiguous memory\n"
    "  --zero           pairs: requests need zeroed memory\n"
    "  --order K        pages: 2^K pages per request (default 0)\n"
    "  --live K         churn: most blocks live at once (default 1000)\n"
    "  --min SZ         churn: smallest size (default 16)\n"
    "  --max SZ         churn: largest size (default 4 pages)\n"
    "\n"
    "Workloads:\n";

enum {
    OPT_EVENTS = 256, OPT_SEED, OPT_PAGE_SIZE, OPT_SIZE, OPT_CONTIG,
    OPT_ZERO, OPT_ORDER, OPT_LIVE, OPT_MIN, OPT_MAX, OPT_HELP,
};

static const struct option gen_options[] = {
    { "events",    required_argument, NULL, OPT_EVENTS },
    { "seed",      required_argument, NULL, OPT_SEED },
    { "page-size", required_argument, NULL, OPT_PAGE_SIZE },
    { "size",      required_argument, NULL, OPT_SIZE },
    { "contig",    no_argument,       NULL, OPT_CONTIG },
    { "zero",      no_argument,       NULL, OPT_ZERO },
    { "order",     required_argument, NULL, OPT_ORDER },
    { "live",      required_argument, NULL, OPT_LIVE },
    { "min",       required_argument, NULL, OPT_MIN },
    { "max",       required_argument, NULL, OPT_MAX },
    { "help",      no_argument,       NULL, OPT_HELP },
    { NULL, 0, NULL, 0 },
};

void cmd_gen_help(FILE *f)
{
    size_t n;
    const struct gen_workload *w = gen_list(&n);

    fputs(gen_usage, f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "  %-8s %s\n", w[i].name, w[i].summary);
}

static int bad_value(const char *opt, const char *value, const char *want)
{
    return usage_error("gen", "bad value '%s' for %s: want %s", value, opt, want);
}

/* One option into P; returns 0 or an exit status. */
static int gen_option(int c, const char *arg, struct gen_params *p)
{
    uint64_t v;
    size_t page;

    switch (c) {
    case OPT_EVENTS:
        if (parse_u64(arg, &p->events))
            return bad_value("--events", arg, "a count");
        return 0;
    case OPT_SEED:
        if (parse_u64(arg, &p->seed))
            return bad_value("--seed", arg, "an unsigned integer");
        return 0;
    case OPT_PAGE_SIZE:
        if (parse_page_size(arg, &page))
            return bad_value("--page-size", arg, PAGE_SIZES_ACCEPTED);
        p->page_size = page;
        return 0;
    case OPT_SIZE:
        p->given |= GEN_OPT_SIZE;
        if (parse_size(arg, &p->size))
            return bad_value("--size", arg, "a size such as 64, 4K, 1M");
        return 0;
    case OPT_CONTIG:
        p->given |= GEN_OPT_CONTIG;
        p->contig = true;
        return 0;
    case OPT_ZERO:
        p->given |= GEN_OPT_ZERO;
        p->zero = true;
        return 0;
    case OPT_ORDER:
        p->given |= GEN_OPT_ORDER;
        if (parse_u64(arg, &v) || v > 64)
            return bad_value("--order", arg, "an order such as 0 .. 10");
        p->order = (unsigned)v;
        return 0;
    case OPT_LIVE:
        p->given |= GEN_OPT_LIVE;
        if (parse_u64(arg, &p->live))
            return bad_value("--live", arg, "a count");
        return 0;
    case OPT_MIN:
        p->given |= GEN_OPT_MIN;
        if (parse_size(arg, &p->min_size))
            return bad_value("--min", arg, "a size such as 16, 4K");
        return 0;
    case OPT_MAX:
        p->given |= GEN_OPT_MAX;
        if (parse_size(arg, &p->max_size))
            return bad_value("--max", arg, "a size such as 16K, 1M");
        return 0;
    }
    return EXIT_USAGE;
}

static int unknown_workload(const char *name)
{
    size_t n;
    const struct gen_workload *w = gen_list(&n);

    fprintf(stderr, "xheap gen: unknown workload '%s'; known:", name);
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, "%s %s", i ? "," : "", w[i].name);
    fputc('\n', stderr);
    return EXIT_USAGE;
}

static int write_trace(const struct gen_workload *w,
                       const struct gen_params *p, const char *path)
{
    struct out_file out;
    char why[512];

    if (out_open(&out, path, why, sizeof(why)) != 0) {
        fprintf(stderr, "xheap gen: %s\n", why);
        return EXIT_RUN_FAILED;
    }
    if (gen_write(w, p, out.f) != 0) {
        fprintf(stderr, "xheap gen: %s: %s\n", path, strerror(errno));
        out_abort(&out);
        return EXIT_RUN_FAILED;
    }
    if (out_commit(&out, why, sizeof(why)) != 0) {
        fprintf(stderr, "xheap gen: %s\n", why);
        return EXIT_RUN_FAILED;
    }
    return 0;
}

int cmd_gen(int argc, char **argv)
{
    struct gen_params p;
    const struct gen_workload *w;
    const char *path = "-";
    char why[256];
    int c, rc;

    gen_params_defaults(&p);
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:", gen_options, NULL)) != -1) {
        if (c == OPT_HELP) {
            cmd_gen_help(stdout);
            return 0;
        }
        if (c == 'o')
            path = optarg;
        else if (c == '?' || c == ':')
            return bad_option("gen", c, argv);
        else if ((rc = gen_option(c, optarg, &p)) != 0)
            return rc;
    }
    if (optind >= argc)
        return usage_error("gen", "no workload given (see 'xheap help gen')");
    if (optind + 1 < argc)
        return usage_error("gen", "unexpected argument '%s'", argv[optind + 1]);
    w = gen_find(argv[optind]);
    if (!w)
        return unknown_workload(argv[optind]);
    if (gen_check(w, &p, why, sizeof(why)) != 0)
        return usage_error("gen", "%s", why);
    return write_trace(w, &p, path);
}
