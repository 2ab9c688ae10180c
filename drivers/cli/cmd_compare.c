/*
 * xheap compare DIR_A DIR_B: two results folders, run by run and metric by
 * metric. Repeated metrics ("samples") get medians and the relative change;
 * those with one sample per process on both sides also a Mann-Whitney
 * p-value and a bootstrap interval; single values ("metrics") get the
 * change only. The text fits an email; --out keeps it with a CSV
 * and a gnuplot figure, --json gives it to scripts. See docs/compare.md.
 *
 * This file: the options and the flow. compare_load.c reads the two sides,
 * compare_rows.c compares them, compare_text.c and compare_out.c write.
 */
#include "drivers/report/compare.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/cli/cli.h"
#include "drivers/report/compare_internal.h"

#define DEFAULT_ALPHA  0.05
/*
 * The noise floor: a change smaller than this is never called significant,
 * however small p is. Timer resolution, frequency scaling and code layout
 * move medians by about this much between two builds of the same code, and
 * with enough repetitions the test would flag such changes as real.
 */
#define DEFAULT_FLOOR_PCT 1.0
#define FIGURE_METRIC  "ns_per_op"   /* the figure's metric, unless --metric */

static const char compare_usage[] =
    "usage: xheap compare DIR_A DIR_B [--alpha P] [--noise-floor PCT]\n"
    "                     [--metric NAME]... [--json FILE]\n"
    "                     [--out DIR | --no-out] [--all]\n"
    "\n"
    "Compares two results folders (xheap run): runs are matched by id; for\n"
    "every metric both have, prints the medians A and B and the change\n"
    "B/A - 1. The process is the unit of replication: a metric is tested\n"
    "only where both sides have one sample per process (results.json's\n"
    "\"sample_unit\": \"process\": the suite's alternated points), by the\n"
    "two-sided Mann-Whitney U test over the processes, Holm-adjusted for\n"
    "the rows tested; it is 'significant' when that p < alpha and |change|\n"
    ">= the noise floor. Where a side holds its repetitions in one process,\n"
    "they are pseudo-replicates that cannot show the drift between two\n"
    "runs: the row is 'untestable' (one process a side), gets no p-value,\n"
    "and is left out of the count; the summary says how many. Then the\n"
    "geometric mean of B/A per metric and the runs found on one side only.\n"
    "DIR may also name a results.json file. Works across machines; differing\n"
    "CPUs or page sizes are warned about.\n"
    "\n"
    "  --alpha P          significance level (default 0.05)\n"
    "  --noise-floor PCT  smallest change called significant (default 1)\n"
    "  --metric NAME      compare only this metric (repeatable)\n"
    "  --json FILE        also write the comparison as JSON ('-': on standard\n"
    "                     output, instead of the text)\n"
    "  --out DIR          write compare.txt, compare.csv and the figure here\n"
    "                     (default DIR_B/compare-<name of DIR_A>; an existing\n"
    "                     folder is never reused: -2, -3... is added)\n"
    "  --no-out           print only; write no folder\n"
    "  --all              print every row; by default a summary that fits a\n"
    "                     screen (significant changes, geometric means);\n"
    "                     compare.txt always has every row\n"
    "\n"
    "Exit status: 0 compared, 1 an output could not be written, 2 bad input.\n";

void cmd_compare_help(FILE *f)
{
    fputs(compare_usage, f);
}

/* ---- options ---- */

enum {
    OPT_ALPHA = 256, OPT_FLOOR, OPT_METRIC, OPT_JSON, OPT_OUT, OPT_NO_OUT,
    OPT_HELP, OPT_ALL,
};

static const struct option compare_options[] = {
    { "alpha",       required_argument, NULL, OPT_ALPHA },
    { "noise-floor", required_argument, NULL, OPT_FLOOR },
    { "metric",      required_argument, NULL, OPT_METRIC },
    { "json",        required_argument, NULL, OPT_JSON },
    { "out",         required_argument, NULL, OPT_OUT },
    { "no-out",      no_argument,       NULL, OPT_NO_OUT },
    { "all",         no_argument,       NULL, OPT_ALL },
    { "help",        no_argument,       NULL, OPT_HELP },
    { NULL, 0, NULL, 0 },
};

static int parse_fraction(const char *opt, const char *arg, double lo,
                          double hi, double *out)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(arg, &end);
    if (errno || end == arg || *end || !(v > lo && v < hi))
        return usage_error("compare", "bad value '%s' for %s: want a number "
                           "above %g and below %g", arg, opt, lo, hi);
    *out = v;
    return 0;
}

static int parse_option(struct opts *o, int c, char **argv, bool *help)
{
    double pct;

    switch (c) {
    case OPT_ALPHA:
        return parse_fraction("--alpha", optarg, 0, 1, &o->alpha);
    case OPT_FLOOR:
        if (parse_fraction("--noise-floor", optarg, -1e-300, 100, &pct))
            return EXIT_USAGE;
        o->floor = pct / 100;
        return 0;
    case OPT_METRIC:
        o->metrics[o->n_metrics++] = optarg;
        return 0;
    case OPT_JSON:
        o->json_path = optarg;
        return 0;
    case OPT_OUT:
        o->out_dir = optarg;
        return 0;
    case OPT_NO_OUT:
        o->no_out = true;
        return 0;
    case OPT_HELP:
        *help = true;
        return 0;
    case OPT_ALL:
        o->all = true;
        return 0;
    default:
        return bad_option("compare", c, argv);
    }
}

static int parse_args(int argc, char **argv, struct opts *o, bool *help)
{
    int c;

    *o = (struct opts){ .alpha = DEFAULT_ALPHA,
                        .floor = DEFAULT_FLOOR_PCT / 100 };
    o->metrics = calloc((size_t)argc + 1, sizeof(*o->metrics));
    if (!o->metrics)
        return usage_error("compare", "out of memory");
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", compare_options, NULL)) != -1)
        if (parse_option(o, c, argv, help))
            return EXIT_USAGE;
    if (*help)
        return 0;
    if (o->out_dir && o->no_out)
        return usage_error("compare", "--out and --no-out contradict each "
                           "other");
    if (argc - optind != 2)
        return usage_error("compare", "want two results folders, DIR_A and "
                           "DIR_B (see 'xheap help compare')");
    return 0;
}

/* ---- the command ---- */

static const char *pick_figure_metric(const struct opts *o)
{
    if (o->n_metrics == 0 || compare_wanted(o, FIGURE_METRIC))
        return FIGURE_METRIC;
    return o->metrics[0];
}

static void free_comparison(struct comparison *c)
{
    compare_free_side(&c->a);
    compare_free_side(&c->b);
    free(c->rows);
    free(c->geo);
    for (size_t i = 0; i < c->n_warnings; i++)
        free(c->warnings[i]);
    free(c->warnings);
}

/* Everything that can be refused as bad input, before any output. */
static int prepare(struct comparison *c, char **dirs, char **out_dir,
                   struct out_file *json)
{
    char *base, why[WHY_LEN];

    if (compare_load_side(&c->a, 'A', dirs[0]) ||
        compare_load_side(&c->b, 'B', dirs[1]) ||
        compare_check_metric_names(c))
        return EXIT_USAGE;
    if (c->o->json_path &&
        out_open(json, c->o->json_path, why, sizeof(why)) != 0)
        return usage_error("compare", "%s", why);
    if (c->o->no_out)
        return 0;
    base = c->o->out_dir ? strdup(c->o->out_dir) : compare_default_out_base(c);
    *out_dir = base ? compare_make_out_dir(base) : NULL;
    free(base);
    if (!*out_dir) {
        out_abort(json);
        return EXIT_USAGE;
    }
    return 0;
}

static int report(struct comparison *c, const char *out_dir,
                  struct out_file *json)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    int ret = 0;

    if (!f)
        return EXIT_RUN_FAILED;
    compare_print_text(f, c, true);
    fclose(f);
    if (!(c->o->json_path && strcmp(c->o->json_path, "-") == 0) && c->o->all)
        fwrite(text, 1, len, stdout);
    else if (!(c->o->json_path && strcmp(c->o->json_path, "-") == 0))
        compare_print_text(stdout, c, false);
    if (out_dir && compare_write_out_dir(c, out_dir, text, len) != 0)
        ret = EXIT_RUN_FAILED;
    if (c->o->json_path && compare_write_json(c, json) != 0)
        ret = EXIT_RUN_FAILED;
    free(text);
    return ret;
}

int cmd_compare(int argc, char **argv)
{
    struct opts o;
    struct comparison c = { .o = &o };
    struct out_file json = { 0 };
    char *out_dir = NULL;
    bool help = false;
    int ret;

    ret = parse_args(argc, argv, &o, &help);
    if (ret == 0 && help) {
        cmd_compare_help(stdout);
    } else if (ret == 0) {
        c.figure_metric = pick_figure_metric(&o);
        ret = prepare(&c, argv + optind, &out_dir, &json);
    }
    if (ret == 0 && !help) {
        compare_machine_warnings(&c);
        compare_status_warnings(&c);
        if (compare_all(&c) || compare_geo(&c)) {
            fputs("xheap compare: out of memory\n", stderr);
            out_abort(&json);
            ret = EXIT_RUN_FAILED;
        } else {
            compare_repetition_warning(&c);
            ret = report(&c, out_dir, &json);
        }
    }
    free(out_dir);
    free(o.metrics);
    free_comparison(&c);
    return ret;
}
