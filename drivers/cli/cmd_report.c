/* xheap report DIR: the figures and report.txt of a results folder. */
#include <getopt.h>
#include <stdio.h>

#include "drivers/cli/cli.h"
#include "drivers/report/report.h"

void cmd_report_help(FILE *f)
{
    fputs("usage: xheap report DIR\n"
          "\n"
          "Renders the results folder DIR (as 'xheap run' writes it). Each\n"
          "figure whose CSV is in DIR is drawn by its gnuplot script into\n"
          "DIR/plots/FIGURE.png, .svg and .txt; then DIR/report.txt is\n"
          "written: 78 columns, ready to paste into an email, with one\n"
          "answer line per question, the figures as text, the machine and\n"
          "the caveats. Without gnuplot, report.txt has no plots.\n"
          "\n"
          "Environment:\n"
          "  XHEAP_PLOTS    the folder of the gnuplot scripts (default:\n"
          "                 plots/ beside the build folder, then ./plots)\n"
          "  XHEAP_GNUPLOT  the gnuplot program (default: gnuplot on PATH)\n"
          "\n"
          "Exit status: 0 done, 1 a figure or file could not be made,\n"
          "2 bad usage or a malformed results folder.\n", f);
}

int cmd_report(int argc, char **argv)
{
    static const struct option options[] = {
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    char why[1024];
    int c, rc;

    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", options, NULL)) != -1) {
        if (c != 'h')
            return bad_option("report", c, argv);
        cmd_report_help(stdout);
        return 0;
    }
    if (optind >= argc)
        return usage_error("report", "no results folder given "
                           "(see 'xheap help report')");
    if (optind + 1 < argc)
        return usage_error("report", "unexpected argument '%s'",
                           argv[optind + 1]);

    rc = report_render(argv[optind], why, sizeof(why));
    if (rc == REPORT_BAD_INPUT)
        return usage_error("report", "%s", why);
    if (rc != 0) {
        fprintf(stderr, "xheap report: %s\n", why);
        return EXIT_RUN_FAILED;
    }
    if (why[0])
        fprintf(stderr, "xheap report: %s\n", why);
    printf("%s/report.txt\n", argv[optind]);
    return 0;
}
