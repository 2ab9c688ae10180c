/* xheap run: the suite that a bench.toml describes (make bench). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "drivers/cli/cli.h"
#include "drivers/suite/suite.h"

#define DEFAULT_CONFIG  "bench.toml"
#define DEFAULT_RESULTS "results"

void cmd_run_help(FILE *f)
{
    fputs("usage: xheap run [CONFIG] [--quick] [--out DIR] [--only NAME]...\n"
          "                 [--keep-traces] [--list] [--calibration FILE]\n"
          "\n"
          "Runs every experiment of CONFIG (default: bench.toml), one\n"
          "measurement at a time, each in a process of its own, showing\n"
          "progress and the time left. Writes a new folder\n"
          "DIR/<UTC time>-<host>/ (never an existing one) with results.json,\n"
          "one CSV per figure, plots/ and report.txt (docs/results.md).\n"
          "Ctrl-C (or SIGTERM, SIGHUP) stops the measurement under way; what\n"
          "finished is kept and the run is marked incomplete. A run that\n"
          "measured nothing, or could not write results.json, failed.\n"
          "Exit status: 0 done, 1 interrupted or failed, 2 bad CONFIG.\n"
          "\n"
          "  --quick         the quick suite: fewer events and repetitions\n"
          "  --out DIR       where run folders are made (default: results)\n"
          "  --only NAME     only this experiment (repeatable)\n"
          "  --keep-traces   keep the generated traces in the run folder\n"
          "  --list          print the experiments and their measurements\n"
          "  --calibration FILE  units from FILE (e.g. measured on a Xen host)\n"
          "                  override the quick calibration the run makes first\n"
          "                  (and bench.toml's calibration = \"FILE\")\n"
          "\n"
          "docs/bench-toml.md documents CONFIG; docs/figures.md the figures.\n",
          f);
}

enum { OPT_QUICK = 256, OPT_OUT, OPT_ONLY, OPT_KEEP, OPT_LIST, OPT_HELP,
       OPT_CALIB };

static const struct option options[] = {
    { "quick",       no_argument,       NULL, OPT_QUICK },
    { "out",         required_argument, NULL, OPT_OUT },
    { "only",        required_argument, NULL, OPT_ONLY },
    { "keep-traces", no_argument,       NULL, OPT_KEEP },
    { "list",        no_argument,       NULL, OPT_LIST },
    { "calibration", required_argument, NULL, OPT_CALIB },
    { "help",        no_argument,       NULL, OPT_HELP },
    { NULL, 0, NULL, 0 },
};

int cmd_run(int argc, char **argv)
{
    struct suite_options o = { .config = DEFAULT_CONFIG,
                               .out_root = DEFAULT_RESULTS };
    int c;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":", options, NULL)) != -1) {
        switch (c) {
        case OPT_QUICK: o.quick = true; break;
        case OPT_OUT:   o.out_root = optarg; break;
        case OPT_KEEP:  o.keep_traces = true; break;
        case OPT_LIST:  o.list = true; break;
        case OPT_CALIB: o.calibration = optarg; break;
        case OPT_HELP:  cmd_run_help(stdout); return 0;
        case OPT_ONLY:
            if (o.n_only == SUITE_MAX_ONLY)
                return usage_error("run", "more than %d --only",
                                   SUITE_MAX_ONLY);
            o.only[o.n_only++] = optarg;
            break;
        default:
            return bad_option("run", c, argv);
        }
    }
    if (optind < argc)
        o.config = argv[optind++];
    if (optind < argc)
        return usage_error("run", "one CONFIG only; '%s' is one too many",
                           argv[optind]);
    return suite_run(&o);
}
