/*
 * xheap-gbench: the allocators under Google Benchmark. Google Benchmark's
 * own flags and output are kept; this adds a quick default minimum time
 * and --xheap_baseline=NAME, which re-runs the binary with NAME's library
 * preloaded so that NAME's benchmarks can run (drivers/measure/baseline.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/measure/baseline.h"
#include "drivers/measure/args.h"
#include "drivers/gbench/gbench.h"

/* Seconds per benchmark unless --benchmark_min_time says otherwise: short
 * enough that the whole suite runs in about a minute on a laptop.
 * (Google Benchmark 1.7 takes a plain number of seconds.) */
#define DEFAULT_MIN_TIME "--benchmark_min_time=0.01"
#define BASELINE_FLAG    "--xheap_baseline="

static const char preface[] =
    "xheap-gbench: alloc+free pairs per backend, 16 B to 4 MiB, 1 to N threads,\n"
    "with frames, maps, flushes and failed per iteration as user counters.\n"
    "\n"
    "  " BASELINE_FLAG "NAME  run with NAME's library preloaded (jemalloc,\n"
    "                         mimalloc or tcmalloc), adding its benchmarks\n"
    "  (default " DEFAULT_MIN_TIME ")\n"
    "\n"
    "Google Benchmark's own flags follow.\n\n";

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return true;
    return false;
}

static bool sets_min_time(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (has_prefix(argv[i], "--benchmark_min_time"))
            return true;
    return false;
}

int main(int argc, char **argv)
{
    char **args = calloc((size_t)argc + 2, sizeof *args);
    const char *baseline = NULL;
    int n = 0, rc;

    if (!args)
        return EXIT_RUN_FAILED;
    if (wants_help(argc, argv))
        fputs(preface, stdout);
    args[n++] = argv[0];
    if (!sets_min_time(argc, argv))
        args[n++] = DEFAULT_MIN_TIME;
    for (int i = 1; i < argc; i++) {
        if (has_prefix(argv[i], BASELINE_FLAG))
            baseline = argv[i] + strlen(BASELINE_FLAG);
        else
            args[n++] = argv[i];
    }
    if (baseline && !baseline_find(baseline)) {
        fprintf(stderr, "xheap-gbench: bad value '%s' for --xheap_baseline: "
                "want jemalloc, mimalloc or tcmalloc\n", baseline);
        free(args);
        return EXIT_USAGE;
    }
    /* The child gets the same flags, without --xheap_baseline. */
    if (baseline && (rc = baseline_reexec(baseline, n - 1, args + 1)) >= 0) {
        free(args);
        return rc;
    }
    rc = gbench_run(n, args);
    free(args);
    return rc;
}
