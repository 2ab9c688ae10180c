/* xheap calibrate: the unit costs of Xen's mapping primitives, here. */
#include <getopt.h>
#include <string.h>

#include <jansson.h>

#include "drivers/cli/cli.h"
#include "drivers/measure/calibrate.h"

#define DEFAULT_OUT "calibration.json"

static const char calibrate_usage[] =
    "usage: xheap calibrate [--out FILE] [--quick] [--calibration FILE]\n"
    "\n"
    "Measures what Xen's mapping primitives cost on this machine and writes\n"
    "them to calibration.json, each unit with its value, spread (MAD), n\n"
    "and source; `xheap replay` counts and these units price Xen's mapping\n"
    "work (docs/calibrate.md):\n"
    "  null_syscall  getppid through syscall(), the floor of the round trip\n"
    "  pte_write     one 8-byte page-table entry store\n"
    "  pt_frame      zeroing one 4K page-table frame\n"
    "  invlpg        INVLPG of one 4K entry  } ring 0 in a KVM guest where\n"
    "  full_flush    a CR3 write             } the CPU has vmx or svm, else\n"
    "                                          a published default, labelled\n"
    "  flush_ipi     cross-CPU flush round trip (membarrier) to 1 .. all\n"
    "                other online CPUs, and a line to extrapolate beyond\n"
    "\n"
    "  --out FILE          where to write (default calibration.json; - for\n"
    "                      standard output)\n"
    "  --quick             fewer samples: a few seconds at most\n"
    "  --calibration FILE  units from FILE (calibration.json's layout, any\n"
    "                      subset) replace the measured ones, with the source\n"
    "                      \"file: FILE\": numbers from another machine, such\n"
    "                      as a Xen host\n";

void cmd_calibrate_help(FILE *f)
{
    fputs(calibrate_usage, f);
}

enum { OPT_OUT = 256, OPT_QUICK, OPT_CALIBRATION, OPT_HELP };

static const struct option calibrate_options[] = {
    { "out",         required_argument, NULL, OPT_OUT },
    { "quick",       no_argument,       NULL, OPT_QUICK },
    { "calibration", required_argument, NULL, OPT_CALIBRATION },
    { "help",        no_argument,       NULL, OPT_HELP },
    { NULL, 0, NULL, 0 },
};

struct calibrate_args {
    const char *out, *file;
    bool quick, help;
};

static int parse_args(int argc, char **argv, struct calibrate_args *a)
{
    int c;

    memset(a, 0, sizeof *a);
    a->out = DEFAULT_OUT;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", calibrate_options, NULL)) != -1) {
        switch (c) {
        case OPT_OUT:         a->out = optarg; break;
        case OPT_QUICK:       a->quick = true; break;
        case OPT_CALIBRATION: a->file = optarg; break;
        case OPT_HELP:        a->help = true; break;
        default:              return bad_option("calibrate", c, argv);
        }
    }
    if (optind < argc)
        return usage_error("calibrate", "unexpected argument '%s'",
                           argv[optind]);
    return 0;
}

/* Writes C to OUT, opened before the measuring so that a path that cannot
 * be written fails at once. */
static int write_out(struct out_file *out, const char *path,
                     const struct calibration *c)
{
    json_t *root = calib_json(c);
    char why[512];
    int failed = !root || json_dumpf(root, out->f, JSON_INDENT(2)) != 0 ||
                 fputc('\n', out->f) == EOF;

    json_decref(root);
    if (failed) {
        out_abort(out);
        fprintf(stderr, "xheap calibrate: %s: write failed\n", path);
        return EXIT_RUN_FAILED;
    }
    if (out_commit(out, why, sizeof why)) {
        fprintf(stderr, "xheap calibrate: %s\n", why);
        return EXIT_RUN_FAILED;
    }
    return 0;
}

int cmd_calibrate(int argc, char **argv)
{
    struct calibrate_args a;
    static struct calibration c;
    struct out_file out;
    char why[512];
    int rc = parse_args(argc, argv, &a);

    if (rc)
        return rc;
    if (a.help) {
        cmd_calibrate_help(stdout);
        return 0;
    }
    calib_init(&c);
    /* A bad file is bad input: refused before seconds of measuring. */
    if (a.file && calib_load_file(&c, a.file, why, sizeof why)) {
        fprintf(stderr, "xheap calibrate: %s\n", why);
        return EXIT_USAGE;
    }
    if (out_open(&out, a.out, why, sizeof why)) {
        fprintf(stderr, "xheap calibrate: %s\n", why);
        return EXIT_RUN_FAILED;
    }
    calib_init(&c);
    calib_measure(&c, a.quick, stderr);
    if (a.file && calib_load_file(&c, a.file, why, sizeof why)) {
        out_abort(&out);
        fprintf(stderr, "xheap calibrate: %s\n", why);
        return EXIT_USAGE;
    }
    if (strcmp(a.out, "-") != 0)
        calib_print(&c, stdout);
    return write_out(&out, a.out, &c);
}
