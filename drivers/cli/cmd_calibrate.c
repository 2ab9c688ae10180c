/* xheap calibrate: the unit costs of Xen's mapping primitives, here. */
#include <getopt.h>
#include <string.h>

#include <jansson.h>

#include "drivers/cli/cli.h"
#include "drivers/measure/calibrate.h"

#define DEFAULT_OUT "calibration.json"

static const char calibrate_usage[] =
    "usage: xheap calibrate [--out FILE] [--quick] [--calibration FILE]\n"
    "                       [--price REPLAY_JSON [--cpus N]]\n"
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
    "                      as a Xen host\n"
    "  --price FILE        then price the \"mapping\" counts of FILE (a\n"
    "                      replay's --json) with these units: each count\n"
    "                      times its unit, with the unit's source\n"
    "  --cpus N            price for a machine of N online CPUs (default:\n"
    "                      the CPUs the counts were made for); the round\n"
    "                      trip beyond the measured CPUs is extrapolated\n";

void cmd_calibrate_help(FILE *f)
{
    fputs(calibrate_usage, f);
}

enum { OPT_OUT = 256, OPT_QUICK, OPT_CALIBRATION, OPT_PRICE, OPT_CPUS,
       OPT_HELP };
/* A modelled machine larger than any Xen supports is a typo. */
#define MAX_PRICED_CPUS 65536

static const struct option calibrate_options[] = {
    { "out",         required_argument, NULL, OPT_OUT },
    { "quick",       no_argument,       NULL, OPT_QUICK },
    { "calibration", required_argument, NULL, OPT_CALIBRATION },
    { "price",       required_argument, NULL, OPT_PRICE },
    { "cpus",        required_argument, NULL, OPT_CPUS },
    { "help",        no_argument,       NULL, OPT_HELP },
    { NULL, 0, NULL, 0 },
};

struct calibrate_args {
    const char *out, *file, *price;
    uint64_t cpus;
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
        case OPT_PRICE:       a->price = optarg; break;
        case OPT_CPUS:
            if (parse_range_arg("calibrate", "--cpus", optarg, 1,
                                MAX_PRICED_CPUS, &a->cpus))
                return EXIT_USAGE;
            break;
        case OPT_HELP:        a->help = true; break;
        default:              return bad_option("calibrate", c, argv);
        }
    }
    if (optind < argc)
        return usage_error("calibrate", "unexpected argument '%s'",
                           argv[optind]);
    if (a->cpus && !a->price)
        return usage_error("calibrate", "--cpus prices a replay: give "
                           "--price FILE too");
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

/* The counts of FILE: a replay's JSON (its "mapping"), or the object. */
static int read_counts(const char *path, struct mapping_counts *m)
{
    json_error_t err;
    json_t *root = json_load_file(path, 0, &err), *mapping;
    char why[256];
    int rc = 0;

    if (!root)
        return usage_error("calibrate", "%s:%d: not JSON: %s", path,
                           err.line > 0 ? err.line : 1, err.text);
    mapping = json_object_get(root, "mapping");
    if (mapping_counts_from_json(mapping ? mapping : root, 1, m, why,
                                 sizeof why))
        rc = usage_error("calibrate", "%s:1: %s", path, why);
    json_decref(root);
    return rc;
}

static void print_price(const struct price *p, const char *path, FILE *f)
{
    fprintf(f, "\nXen's mapping work in %s, priced for %u CPU%s:\n", path,
            p->cpus, p->cpus == 1 ? "" : "s");
    for (int i = 0; i < PP_N; i++) {
        const struct price_line *l = &p->line[i];

        fprintf(f, "  %-13s %12.0f x %10.1f ns = %14.0f ns  %s\n", l->name,
                l->count, l->unit_ns, l->ns, l->count ? l->source : "");
    }
    fprintf(f, "  total %.0f ns%s; IPIs: %s\n", p->total_ns,
            p->complete ? "" : " (incomplete: a unit is unknown)", p->ipi_how);
}

int cmd_calibrate(int argc, char **argv)
{
    struct calibrate_args a;
    static struct calibration c;
    struct out_file out;
    struct mapping_counts counts;
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
    if (a.price && (rc = read_counts(a.price, &counts)) != 0)
        return rc;
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
    rc = write_out(&out, a.out, &c);
    if (rc == 0 && a.price) {
        struct price p;

        calib_price(&c, &counts, (unsigned)a.cpus, &p);
        print_price(&p, a.price, strcmp(a.out, "-") ? stdout : stderr);
    }
    return rc;
}
