/* xheap gen: writes a synthetic trace (workloads/gen.h). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <string.h>

#include "backends/heap.h"
#include "drivers/cli/cli.h"
#include "workloads/gen.h"

static const char gen_usage[] =
    "usage: xheap gen WORKLOAD [--events N] [--seed S] [--page-size SZ] [-o FILE]\n"
    "                 [--threads N] [--cross-free PCT] [workload options]\n"
    "       xheap gen WORKLOAD --help     its options and their defaults\n"
    "\n"
    "Writes a synthetic trace (standard output unless -o). The same options\n"
    "and seed give the same bytes. Traces are closed: every block is freed,\n"
    "so at most N events are written (an odd N gives N - 1). A workload\n"
    "whose defaults need more events (aging, full_fit, long_busy_list)\n"
    "shrinks them to fit N and says so in a '#' line of the trace.\n"
    "\n"
    "  --events N       events to write (default 100000)\n"
    "  --seed S         random seed (default 1)\n"
    "  --page-size SZ   model page size: 4K, 16K or 64K (default 4K); sizes\n"
    "                   given in pages (2p, 1.1p) scale with it\n"
    "  --threads N      spread blocks over N threads with t= (default 1)\n"
    "  --cross-free PCT free this share of blocks on another thread than\n"
    "                   the one that allocated them (default 0)\n"
    "  -o FILE          output file, written whole or not at all\n"
    "\n"
    "Workload options (each workload reads some; see WORKLOAD --help):\n";

enum {
    OPT_EVENTS = 256, OPT_SEED, OPT_PAGE_SIZE, OPT_THREADS, OPT_CROSS_FREE,
    OPT_HELP, OPT_WORKLOAD,   /* OPT_WORKLOAD + enum gen_opt */
};

#define N_COMMON_OPTIONS 6

static const struct option common_options[N_COMMON_OPTIONS] = {
    { "events",     required_argument, NULL, OPT_EVENTS },
    { "seed",       required_argument, NULL, OPT_SEED },
    { "page-size",  required_argument, NULL, OPT_PAGE_SIZE },
    { "threads",    required_argument, NULL, OPT_THREADS },
    { "cross-free", required_argument, NULL, OPT_CROSS_FREE },
    { "help",       no_argument,       NULL, OPT_HELP },
};

void cmd_gen_help(FILE *f)
{
    size_t n;
    const struct gen_option *o = gen_options(&n);
    const struct gen_workload *w;

    fputs(gen_usage, f);
    for (size_t i = 0; i < n; i++) {
        char left[32];

        snprintf(left, sizeof(left), "--%s%s%s", o[i].name,
                 o[i].arg ? " " : "", o[i].arg ? o[i].arg : "");
        fprintf(f, "  %-16s %s\n", left, o[i].help);
    }
    fputs("\nSizes take K, M, G or p (pages): 64, 4K, 1.1p.\n\nWorkloads:\n", f);
    w = gen_list(&n);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "  %-17s %s\n", w[i].name, w[i].summary);
}

/* getopt_long's table: the common options, then every workload option. */
static void build_options(struct option *out)
{
    size_t n;
    const struct gen_option *o = gen_options(&n);

    memcpy(out, common_options, sizeof(common_options));
    for (size_t i = 0; i < n; i++)
        out[N_COMMON_OPTIONS + i] = (struct option){
            o[i].name, o[i].arg ? required_argument : no_argument, NULL,
            OPT_WORKLOAD + (int)i };
    out[N_COMMON_OPTIONS + n] = (struct option){ NULL, 0, NULL, 0 };
}

/* One common option into P; returns 0 or an exit status. */
static int gen_option(int c, const char *arg, struct gen_params *p)
{
    uint64_t v;
    size_t page;

    switch (c) {
    case OPT_EVENTS:
        if (parse_u64(arg, &p->events))
            return bad_option_value("gen", "--events", arg, "a count");
        return 0;
    case OPT_SEED:
        if (parse_u64(arg, &p->seed))
            return bad_option_value("gen", "--seed", arg, "an unsigned integer");
        return 0;
    case OPT_PAGE_SIZE:
        if (parse_page_size(arg, &page))
            return bad_option_value("gen", "--page-size", arg, PAGE_SIZES_ACCEPTED);
        p->page_size = page;
        return 0;
    case OPT_THREADS:
        if (parse_u64(arg, &v) || v < 1 || v > GEN_MAX_THREADS)
            return bad_option_value("gen", "--threads", arg, "1 .. 1024");
        p->threads = (unsigned)v;
        return 0;
    case OPT_CROSS_FREE:
        if (parse_u64(arg, &v) || v > 100)
            return bad_option_value("gen", "--cross-free", arg, "a percentage 0 .. 100");
        p->cross_free = (unsigned)v;
        return 0;
    }
    return EXIT_USAGE;
}

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* Ctrl-C, SIGTERM and a closed terminal stop the trace within an event
 * (2^63 events would otherwise run for ever) and leave no file behind. No
 * SA_RESTART: a write blocked on a full pipe returns too. */
static void stop_on_signals(struct gen_params *p)
{
    struct sigaction sa = { .sa_handler = on_stop };
    const int sigs[] = { SIGINT, SIGTERM, SIGHUP };

    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaction(sigs[i], &sa, NULL);
    p->stop = &stop_requested;
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
        if (stop_requested)
            fprintf(stderr, "xheap gen: interrupted; %s not written\n", path);
        else
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

/* --help: the workload's own help when one is named, else the command's. */
static int help(int argc, char **argv, const struct gen_params *p)
{
    const struct gen_workload *w = NULL;

    if (optind < argc && !(w = gen_find(argv[optind])))
        return unknown_workload(argv[optind]);
    if (w)
        gen_workload_help(w, p->page_size, stdout);
    else
        cmd_gen_help(stdout);
    return 0;
}

int cmd_gen(int argc, char **argv)
{
    struct option options[N_COMMON_OPTIONS + GEN_N_OPTS + 1];
    struct gen_params p;
    const struct gen_workload *w;
    const char *path = "-";
    char why[256];
    bool want_help = false;
    int c, rc;

    build_options(options);
    gen_params_defaults(&p);
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:", options, NULL)) != -1) {
        if (c == OPT_HELP)
            want_help = true;
        else if (c == 'o')
            path = optarg;
        else if (c == '?' || c == ':')
            return bad_option("gen", c, argv);
        else if (c >= OPT_WORKLOAD) {
            if (gen_set(&p, options[N_COMMON_OPTIONS + c - OPT_WORKLOAD].name,
                        optarg, why, sizeof(why)) != 0)
                return usage_error("gen", "%s", why);
        } else if ((rc = gen_option(c, optarg, &p)) != 0)
            return rc;
    }
    if (want_help)
        return help(argc, argv, &p);
    if (optind >= argc)
        return usage_error("gen", "no workload given (see 'xheap help gen')");
    if (optind + 1 < argc)
        return usage_error("gen", "unexpected argument '%s'", argv[optind + 1]);
    w = gen_find(argv[optind]);
    if (!w)
        return unknown_workload(argv[optind]);
    if (gen_check(w, &p, why, sizeof(why)) != 0)
        return usage_error("gen", "%s", why);
    if (p.note[0])
        fprintf(stderr, "xheap gen: %s\n", p.note);
    stop_on_signals(&p);
    return write_trace(w, &p, path);
}
