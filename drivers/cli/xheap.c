/* xheap: the command-line front end; each subcommand lives in cmd_*.c. */
#include <stdio.h>
#include <string.h>

#include "drivers/measure/access.h"
#include "drivers/cli/cli.h"
#include "drivers/report/compare.h"
#include "drivers/report/docs.h"
#include "drivers/cli/record.h"
#include "drivers/report/report.h"
#include "drivers/suite/suite.h"

struct command {
    const char *name, *summary;
    int (*run)(int argc, char **argv);
    void (*help)(FILE *f);
};

static const struct command commands[] = {
    { "backends", "list the allocators under test", cmd_backends,
      cmd_backends_help },
    { "gen", "write a synthetic trace", cmd_gen, cmd_gen_help },
    { "replay", "replay a trace against one backend, measured", cmd_replay,
      cmd_replay_help },
    { "calibrate", "measure the unit costs of Xen's mapping primitives here",
      cmd_calibrate, cmd_calibrate_help },
    { "access", "the cost of touching allocated memory (question 9)",
      cmd_access, cmd_access_help },
    { "record", "record a program's allocations as a trace", cmd_record,
      cmd_record_help },
    { "import-mtrace", "convert a glibc mtrace log to a trace",
      cmd_import_mtrace, cmd_import_mtrace_help },
    { "run", "run the suite of a bench.toml into a new results folder",
      cmd_run, cmd_run_help },
    { "report", "draw the figures and write report.txt of a results folder",
      cmd_report, cmd_report_help },
    { "compare", "which differences between two results folders are real",
      cmd_compare, cmd_compare_help },
    { "docs", "render the allocator rubric from a results folder", cmd_docs,
      cmd_docs_help },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
    fputs("usage: xheap COMMAND [OPTIONS]\n"
          "\n"
          "Xen's hypervisor allocators, modelled in user space and measured.\n"
          "\n"
          "Commands:\n", f);
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-14s %s\n", commands[i].name, commands[i].summary);
    fputs("  help CMD       the options of CMD (also: xheap CMD --help)\n", f);
}

static const struct command *find(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static int unknown(const char *name)
{
    fprintf(stderr, "xheap: unknown command '%s' (see 'xheap --help')\n", name);
    return EXIT_USAGE;
}

static int help(int argc, char **argv)
{
    const struct command *c;

    if (argc < 2) {
        usage(stdout);
        return 0;
    }
    if (argc > 2) {
        fprintf(stderr, "xheap help: one command at a time\n");
        return EXIT_USAGE;
    }
    c = find(argv[1]);
    if (!c)
        return unknown(argv[1]);
    c->help(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    const struct command *c;

    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0)
        return help(argc - 1, argv + 1);
    if (argv[1][0] == '-') {
        fprintf(stderr, "xheap: unknown option '%s' (see 'xheap --help')\n",
                argv[1]);
        return EXIT_USAGE;
    }
    c = find(argv[1]);
    if (!c)
        return unknown(argv[1]);
    return c->run(argc - 1, argv + 1);
}
