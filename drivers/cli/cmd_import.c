/* xheap import-mtrace: a glibc mtrace log to a trace (workloads/mtrace.h). */
#include <errno.h>
#include <getopt.h>
#include <string.h>

#include "drivers/cli/cli.h"
#include "drivers/cli/record.h"
#include "workloads/mtrace.h"

static const char import_usage[] =
    "usage: xheap import-mtrace FILE [-o FILE]\n"
    "\n"
    "Converts a glibc mtrace log (MALLOC_TRACE=FILE, with the program calling\n"
    "mtrace(); on glibc 2.34 and later also LD_PRELOAD=libc_malloc_debug.so.0)\n"
    "to a trace, on standard output unless -o. Every allocation gets a fresh\n"
    "id, so reused addresses are told apart. Frees of blocks the log never\n"
    "allocated are skipped and counted; blocks still live at the end are left\n"
    "to the replayer, which frees them after the measured part.\n"
    "\n"
    "  -o FILE   output file, written whole or not at all\n"
    "\n"
    "A malformed line stops the import with FILE:LINE and exit status 2.\n";

void cmd_import_mtrace_help(FILE *f)
{
    fputs(import_usage, f);
}

static const struct option import_options[] = {
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

static int convert(const char *log, const char *path)
{
    struct out_file out;
    struct addr_stats st;
    char why[512];
    FILE *in = strcmp(log, "-") == 0 ? stdin : fopen(log, "r");

    if (!in)
        return usage_error("import-mtrace", "%s: %s", log, strerror(errno));
    if (out_open(&out, path, why, sizeof(why)) != 0) {
        fprintf(stderr, "xheap import-mtrace: %s\n", why);
        if (in != stdin)
            fclose(in);
        return EXIT_RUN_FAILED;
    }
    if (mtrace_convert(log, in, out.f, &st, why, sizeof(why)) != 0) {
        out_abort(&out);
        if (in != stdin)
            fclose(in);
        return usage_error("import-mtrace", "%s", why);
    }
    if (in != stdin)
        fclose(in);
    if (out_commit(&out, why, sizeof(why)) != 0) {
        fprintf(stderr, "xheap import-mtrace: %s\n", why);
        return EXIT_RUN_FAILED;
    }
    fprintf(stderr, "xheap import-mtrace: ");
    addr_stats_print(&st, strcmp(path, "-") ? path : "standard output", stderr);
    return 0;
}

int cmd_import_mtrace(int argc, char **argv)
{
    const char *path = "-";
    int c;

    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:h", import_options, NULL)) != -1) {
        if (c == 'h') {
            cmd_import_mtrace_help(stdout);
            return 0;
        }
        if (c == 'o')
            path = optarg;
        else
            return bad_option("import-mtrace", c, argv);
    }
    if (optind >= argc)
        return usage_error("import-mtrace", "no log file given "
                           "(see 'xheap help import-mtrace')");
    if (optind + 1 < argc)
        return usage_error("import-mtrace", "unexpected argument '%s'",
                           argv[optind + 1]);
    return convert(argv[optind], path);
}
