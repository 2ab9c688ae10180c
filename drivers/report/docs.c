/*
 * xheap docs RESULTS_DIR: the allocator rubric with its numbers filled in.
 *
 * The template (docs/rubric.md.in) is Markdown in which every measured
 * claim is a placeholder, {{answer:q1-small}}, {{figure:q3_waste}} and so
 * on. This copies it line by line, replacing each placeholder with what the
 * results folder's results.json says, and copies the figures it names
 * beside the output, so that each number in docs/rubric.md comes from one
 * named run. A measurement the run lacks is written "not measured in this
 * run" and the rest still renders; a placeholder the renderer does not know
 * is a mistake in the template and stops it. docs/README.md has the syntax.
 */
#include "drivers/report/docs.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drivers/measure/args.h"
#include "drivers/report/docs_claims.h"
#include "drivers/report/figures.h"

#define CMD              "docs"
#define DEFAULT_TEMPLATE "docs/rubric.md.in"
#define RESULTS_FORMAT   "xheap-results 1"
#define NOT_MEASURED     "not measured in this run"
#define NO_INTERVAL      "no 95% interval in this run"
#define COMMENT_MARK     "%%"     /* template lines starting so are dropped */
#define NAME_CHARS       "abcdefghijklmnopqrstuvwxyz" \
                         "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-"
#define WHY_LEN          1024
#define COPY_CHUNK       65536

static const char docs_usage[] =
    "usage: xheap docs RESULTS_DIR [--template FILE] [-o FILE]\n"
    "                  [--figures DIR]\n"
    "\n"
    "Renders the allocator rubric: the template with every placeholder\n"
    "replaced by what RESULTS_DIR/results.json (xheap run) measured.\n"
    "RESULTS_DIR may also be a folder of results folders, such as results/:\n"
    "the newest complete one in it (by name, that is by time) is used.\n"
    "\n"
    "Placeholders (EXP is an experiment's name, FIG a figure's):\n"
    "  {{answer:EXP}}  the experiment's one-line answer, as in report.txt\n"
    "  {{value:EXP}}   the number of that answer, with its unit\n"
    "  {{ci:EXP}}      the 95% confidence interval of that number\n"
    "  {{title:EXP}}   what the experiment measures (bench.toml description)\n"
    "  {{figure:FIG}}  the figure's PNG as a Markdown image, and a caption\n"
    "                  naming its experiments and linking its CSV\n"
    "  {{machine}}     one line: CPU, cores, kernel, virtual or not, counters\n"
    "  {{run}}         one line: folder, dates, revision, status, command\n"
    "  {{claim:Q}}     a sentence written from the numbers, for the claims\n"
    "                  that rest on one (q1, q4, q5, q9): it says what was\n"
    "                  measured, also where that contradicts the thread\n"
    "Template lines starting with %% are comments, left out of the output.\n"
    "A measurement the run lacks (the experiment absent, incomplete or\n"
    "skipped) is written '" NOT_MEASURED "'; an experiment absent\n"
    "from the run is also named on stderr, in case the name is misspelt.\n"
    "\n"
    "  --template FILE  the template (default " DEFAULT_TEMPLATE ")\n"
    "  -o FILE          the output, written whole or not at all (default:\n"
    "                   standard output)\n"
    "  --figures DIR    copy each figure's PNG and CSV into DIR (created if\n"
    "                   missing) and link them there; without it the output\n"
    "                   links the results folder's own files\n"
    "\n"
    "Exit status: 0 rendered, 1 an output could not be written, 2 bad input\n"
    "(an unknown placeholder is named by the template's file and line).\n";

void cmd_docs_help(FILE *f)
{
    fputs(docs_usage, f);
}

struct docs {
    const char *template_path, *out_path, *fig_dir;
    char *results;                /* the results folder used */
    json_t *root, *exps;          /* results.json and its experiments */
    char *png_base, *csv_base;    /* how the output links figures */
    json_t *copies;               /* figure -> has a CSV: to copy */
    json_t *absent;               /* experiment names already warned of */
    unsigned line;                /* the template line being rendered */
    char *text;                   /* the rendered output */
    size_t text_len;
};

static const char *str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* ---- choosing and loading the results folder ----------------------------- */

/* snprintf into a PATH_MAX buffer; -1 (and an empty path) when it would
 * not fit, so that a long name is never silently cut to another one. */
static int pathf(char *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int pathf(char *out, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(out, PATH_MAX, fmt, ap);
    va_end(ap);
    if (n < 0 || n >= PATH_MAX) {
        out[0] = 0;
        return -1;
    }
    return 0;
}

static bool has_results(const char *dir)
{
    char path[PATH_MAX];

    return pathf(path, "%s/results.json", dir) == 0 &&
           access(path, R_OK) == 0;
}

static bool is_complete(const char *dir)
{
    char path[PATH_MAX];
    json_t *root;
    bool ok;

    if (pathf(path, "%s/results.json", dir))
        return false;
    root = json_load_file(path, 0, NULL);
    ok = root && str(root, "status") &&
         strcmp(str(root, "status"), "complete") == 0;
    json_decref(root);
    return ok;
}

/* The newest complete results folder in PARENT: names start with the UTC
 * time of the run, so the newest sorts last. */
static char *newest_complete(const char *parent)
{
    struct dirent **names;
    char *found = NULL, path[PATH_MAX];
    int n = scandir(parent, &names, NULL, alphasort);

    if (n < 0) {
        usage_error(CMD, "%s: cannot open: %s (run 'make bench' first)",
                    parent, strerror(errno));
        return NULL;
    }
    for (int i = n - 1; i >= 0; i--) {
        if (!found && names[i]->d_name[0] != '.' &&
            pathf(path, "%s/%s", parent, names[i]->d_name) == 0 &&
            has_results(path) &&
            is_complete(path))
            found = strdup(path);
        free(names[i]);
    }
    free(names);
    if (!found)
        usage_error(CMD, "%s: no complete results folder in it "
                    "(run 'make bench' first)", parent);
    else
        fprintf(stderr, "xheap docs: from %s, the newest complete run in %s\n",
                found, parent);
    return found;
}

static int load_results(struct docs *d, const char *dir)
{
    char path[PATH_MAX];
    json_error_t err;
    const char *format;

    d->results = has_results(dir) ? strdup(dir) : newest_complete(dir);
    if (!d->results)
        return EXIT_USAGE;
    if (pathf(path, "%s/results.json", d->results))
        return usage_error(CMD, "%s: path too long", d->results);
    d->root = json_load_file(path, 0, &err);
    if (!d->root)
        return usage_error(CMD, "%s:%d: %s", path, err.line, err.text);
    format = str(d->root, "format");
    if (!format || strcmp(format, RESULTS_FORMAT) != 0)
        return usage_error(CMD, "%s: not a results file (format '%s', "
                           "expected '" RESULTS_FORMAT "')", path,
                           format ? format : "none");
    d->exps = json_object_get(d->root, "experiments");
    if (!json_is_array(d->exps))
        return usage_error(CMD, "%s: no \"experiments\" array", path);
    return 0;
}

/* ---- where the output finds its figures ---------------------------------- */

static int make_dirs(const char *path)
{
    char buf[PATH_MAX];

    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(buf, 0777) != 0 && errno != EEXIST ? -1 : 0;
}

/* TARGET as the output should write it: relative to the output's folder
 * when it lies inside it (docs/figures-rubric/ from docs/rubric.md), so
 * that the links survive a clone; absolute otherwise. */
static char *link_to(const char *target, const char *out_path)
{
    char tgt[PATH_MAX], from[PATH_MAX], copy[PATH_MAX];
    const char *dir = ".";
    size_t n;

    if (!realpath(target, tgt))
        return strdup(target);
    if (strcmp(out_path, "-") != 0) {
        snprintf(copy, sizeof copy, "%s", out_path);
        dir = dirname(copy);
    }
    if (!realpath(dir, from))
        return strdup(tgt);
    n = strlen(from);
    if (strcmp(tgt, from) == 0)
        return strdup(".");
    if (strncmp(tgt, from, n) == 0 && (tgt[n] == '/' || n == 1))
        return strdup(tgt + n + (n > 1));
    return strdup(tgt);
}

static int prepare_links(struct docs *d)
{
    char plots[PATH_MAX];

    if (d->fig_dir) {
        if (make_dirs(d->fig_dir) != 0) {
            fprintf(stderr, "xheap docs: %s: cannot create: %s\n", d->fig_dir,
                    strerror(errno));
            return EXIT_RUN_FAILED;
        }
        d->png_base = link_to(d->fig_dir, d->out_path);
        d->csv_base = strdup(d->png_base);
    } else {
        pathf(plots, "%s/plots", d->results);
        d->png_base = link_to(plots, d->out_path);
        d->csv_base = link_to(d->results, d->out_path);
    }
    return d->png_base && d->csv_base ? 0 : EXIT_RUN_FAILED;
}

/* ---- numbers ------------------------------------------------------------- */

/* Three significant digits, whole numbers as they are: a rubric is read,
 * not recomputed; the exact values are in results.json. */
static void put_num(FILE *out, double v)
{
    if (fabs(v) >= 1000 || v == trunc(v))
        fprintf(out, "%.0f", v);
    else
        fprintf(out, "%.3g", v);
}

/* "2.05x" and "15%", but "86.5 ns/op". */
static bool unit_attached(const char *unit)
{
    return strcmp(unit, "x") == 0 || strcmp(unit, "%") == 0;
}

static void put_value(FILE *out, double v, const char *unit)
{
    put_num(out, v);
    if (unit && *unit)
        fprintf(out, unit_attached(unit) ? "%s" : " %s", unit);
}

/* ---- experiments --------------------------------------------------------- */

static json_t *experiment(struct docs *d, const char *name)
{
    size_t i;
    json_t *x;

    json_array_foreach(d->exps, i, x) {
        const char *n = str(x, "name");

        if (n && strcmp(n, name) == 0)
            return x;
    }
    return NULL;
}

/* Absent is worth a warning (the name may be misspelt in the template);
 * incomplete and skipped are not: the run says so itself. */
static void warn_absent(struct docs *d, const char *name)
{
    if (json_object_get(d->absent, name))
        return;
    json_object_set_new(d->absent, name, json_true());
    fprintf(stderr, "xheap docs: %s:%u: no experiment '%s' in %s: written "
            "as '" NOT_MEASURED "'\n", d->template_path, d->line, name,
            d->results);
}

static bool complete(const json_t *x)
{
    const char *status = str(x, "status");

    return !status || strcmp(status, "complete") == 0;
}

/* The answer of a complete experiment, or NULL. */
static const json_t *answer(struct docs *d, const char *name)
{
    json_t *x = experiment(d, name), *a;

    if (!x) {
        warn_absent(d, name);
        return NULL;
    }
    a = json_object_get(x, "answer");
    if (!complete(x) || !json_is_object(a) ||
        !json_is_string(json_object_get(a, "text")))
        return NULL;
    return a;
}

static void expand_answer(struct docs *d, const char *name, FILE *out)
{
    const json_t *a = answer(d, name);

    fputs(a ? str(a, "text") : NOT_MEASURED, out);
}

static void expand_value(struct docs *d, const char *name, FILE *out)
{
    const json_t *a = answer(d, name);
    const json_t *v = a ? json_object_get(a, "value") : NULL;

    if (!json_is_number(v)) {
        fputs(NOT_MEASURED, out);
        return;
    }
    put_value(out, json_number_value(v), str(a, "unit"));
}

static void expand_ci(struct docs *d, const char *name, FILE *out)
{
    const json_t *a = answer(d, name);
    const json_t *ci = a ? json_object_get(a, "ci95") : NULL;
    const char *unit = a ? str(a, "unit") : NULL;

    if (!a) {
        fputs(NOT_MEASURED, out);
        return;
    }
    if (json_array_size(ci) != 2 || !json_is_number(json_array_get(ci, 0)) ||
        !json_is_number(json_array_get(ci, 1))) {
        fputs(NO_INTERVAL, out);
        return;
    }
    fputs("95% CI ", out);
    if (unit && unit_attached(unit))
        put_value(out, json_number_value(json_array_get(ci, 0)), unit);
    else
        put_num(out, json_number_value(json_array_get(ci, 0)));
    fputs(" .. ", out);
    put_value(out, json_number_value(json_array_get(ci, 1)), unit);
}

static void expand_title(struct docs *d, const char *name, FILE *out)
{
    json_t *x = experiment(d, name);
    const char *title = str(x, "title");

    if (!x)
        warn_absent(d, name);
    fputs(title ? title : NOT_MEASURED, out);
}

/* ---- figures ------------------------------------------------------------- */

/* "Q3", or "baselines": the label the run gave an experiment. */
static void put_label(const json_t *x, json_t *seen, FILE *out)
{
    const char *label = str(x, "label");
    char buf[32];

    if (!label && json_is_integer(json_object_get(x, "question"))) {
        snprintf(buf, sizeof buf, "Q%lld",
                 (long long)json_integer_value(json_object_get(x, "question")));
        label = buf;
    }
    if (!label || json_object_get(seen, label))
        return;
    fprintf(out, "%s%s", json_object_size(seen) ? ", " : "", label);
    json_object_set_new(seen, label, json_true());
}

/* The experiment names the figure, or the registry says it draws into it
 * (q4-aging names q4_contig and feeds q4_fragmentation). */
static bool draws(const json_t *x, const char *fig)
{
    return (str(x, "figure") && strcmp(str(x, "figure"), fig) == 0) ||
           figure_draws(fig, x);
}

/* Which experiments drew FIG: their labels, names and descriptions. */
static void put_caption(struct docs *d, const char *fig, FILE *out)
{
    json_t *seen = json_object(), *x;
    const char *sep = "", *title;
    size_t i;

    fprintf(out, "**Figure `%s`** (", fig);
    json_array_foreach(d->exps, i, x)
        if (draws(x, fig))
            put_label(x, seen, out);
    fputs(json_object_size(seen) ? "; " : "", out);
    json_array_foreach(d->exps, i, x) {
        if (!draws(x, fig))
            continue;
        fprintf(out, "%s`%s`", sep, str(x, "name") ? str(x, "name") : "?");
        if (!complete(x))
            fprintf(out, ", %s: partial data", str(x, "status"));
        sep = ", ";
    }
    fputs("):", out);
    json_array_foreach(d->exps, i, x) {
        title = str(x, "title");
        if (title && *title && draws(x, fig))
            fprintf(out, " %s%s", title,
                    title[strlen(title) - 1] == '.' ? "" : ".");
    }
    json_decref(seen);
}

static void expand_figure(struct docs *d, const char *fig, FILE *out)
{
    char png[PATH_MAX], csv[PATH_MAX];
    bool have_png, have_csv;

    have_png = pathf(png, "%s/plots/%s.png", d->results, fig) == 0 &&
               access(png, R_OK) == 0;
    have_csv = pathf(csv, "%s/%s.csv", d->results, fig) == 0 &&
               access(csv, R_OK) == 0;
    if (!have_png) {
        fprintf(out, "*Figure `%s`: %s.*", fig, have_csv ?
                "not drawn in this run (`xheap report` draws it from its CSV)"
                : NOT_MEASURED);
        return;
    }
    json_object_set_new(d->copies, fig, json_boolean(have_csv));
    fprintf(out, "![Figure %s](%s/%s.png)\n\n", fig, d->png_base, fig);
    put_caption(d, fig, out);
    if (have_csv)
        fprintf(out, " Data: [%s.csv](%s/%s.csv).", fig, d->csv_base, fig);
}

/* ---- the machine and the run --------------------------------------------- */

static void part(FILE *out, const char **sep, const char *fmt, const char *s)
{
    if (!s)
        return;
    fputs(*sep, out);
    fprintf(out, fmt, s);
    *sep = ", ";
}

static void put_perf(const json_t *perf, FILE *out, const char **sep)
{
    const json_t *unsupported = json_object_get(perf, "unsupported");
    const char *key, *inner = "";
    json_t *v;

    if (!json_is_object(perf))
        return;
    if (!json_is_true(json_object_get(perf, "available"))) {
        part(out, sep, "%s", str(perf, "hardware") &&
             strncmp(str(perf, "hardware"), "not supported", 13) == 0
             ? "no hardware counters (TLB misses not counted)"
             : "perf counters unavailable (TLB misses not counted)");
        return;
    }
    if (!json_object_size(unsupported)) {
        part(out, sep, "%s", "perf counters available");
        return;
    }
    part(out, sep, "%s", "perf counters unsupported: ");
    json_object_foreach((json_t *)unsupported, key, v) {
        fprintf(out, "%s%s", inner, key);
        inner = ", ";
    }
}

static void expand_machine(struct docs *d, const char *arg, FILE *out)
{
    const json_t *m = json_object_get(d->root, "machine");
    const char *sep = "";
    char buf[64];

    (void)arg;
    if (!json_is_object(m)) {
        fputs("machine " NOT_MEASURED, out);
        return;
    }
    part(out, &sep, "%s", str(m, "cpu"));
    if (json_is_integer(json_object_get(m, "cores"))) {
        snprintf(buf, sizeof buf, "%lld cores",
                 (long long)json_integer_value(json_object_get(m, "cores")));
        part(out, &sep, "%s", buf);
        if (str(m, "hwloc"))
            fprintf(out, " (%s)", str(m, "hwloc"));
    }
    part(out, &sep, "%s", str(m, "arch"));
    part(out, &sep, "Linux %s", str(m, "kernel"));
    if (json_is_integer(json_object_get(m, "page_size"))) {
        snprintf(buf, sizeof buf, "%lld KiB host pages", (long long)
                 json_integer_value(json_object_get(m, "page_size")) / 1024);
        part(out, &sep, "%s", buf);
    }
    part(out, &sep, "THP %s", str(m, "thp"));
    if (str(m, "thp_shmem"))
        part(out, &sep, "shmem THP %s", str(m, "thp_shmem"));
    if (json_is_true(json_object_get(m, "virtual")))
        part(out, &sep, "%s", "virtual machine");
    else if (json_is_false(json_object_get(m, "virtual")))
        part(out, &sep, "%s", "bare metal");
    if (json_is_true(json_object_get(m, "virtual")) && str(m, "hypervisor"))
        fprintf(out, " (%s)", str(m, "hypervisor"));
    put_perf(json_object_get(m, "perf"), out, &sep);
}

static void expand_run(struct docs *d, const char *arg, FILE *out)
{
    const json_t *r = d->root;
    char copy[PATH_MAX];
    const char *sep = "";

    (void)arg;
    snprintf(copy, sizeof copy, "%s", d->results);
    part(out, &sep, "`%s`", basename(copy));
    part(out, &sep, "started %s", str(r, "started"));
    part(out, &sep, "finished %s", str(r, "finished"));
    part(out, &sep, "revision %s", str(r, "git_revision"));
    part(out, &sep, "status %s", str(r, "status"));
    part(out, &sep, "by `%s`", str(r, "command"));
    if (json_is_true(json_object_get(r, "quick")))
        part(out, &sep, "%s", "a quick run (fewer events and repetitions: "
             "indicative only)");
}

/* A sentence written from the numbers (docs_claims.c). */
static void expand_claim(struct docs *d, const char *name, FILE *out)
{
    docs_claim(name, d->exps, out);
}

/* ---- the template -------------------------------------------------------- */

static const struct kind {
    const char *name;
    bool needs_name;
    void (*expand)(struct docs *d, const char *arg, FILE *out);
} kinds[] = {
    { "answer", true, expand_answer },
    { "value", true, expand_value },
    { "ci", true, expand_ci },
    { "title", true, expand_title },
    { "figure", true, expand_figure },
    { "machine", false, expand_machine },
    { "run", false, expand_run },
    { "claim", true, expand_claim },
};

#define N_KINDS (sizeof(kinds) / sizeof(kinds[0]))
#define KNOWN   "answer, value, ci, title, figure, machine, run, claim"

static int template_error(struct docs *d, const char *what, const char *tok,
                          size_t len)
{
    return usage_error(CMD, "%s:%u: %s '{{%.*s}}' (known: " KNOWN
                       "; see 'xheap help docs')", d->template_path, d->line,
                       what, (int)len, tok);
}

/* One placeholder, TOK[0..LEN) between the braces. */
static int expand(struct docs *d, const char *tok, size_t len, FILE *out)
{
    const char *colon = memchr(tok, ':', len);
    size_t klen = colon ? (size_t)(colon - tok) : len;
    char name[256];

    for (size_t i = 0; i < N_KINDS; i++) {
        const struct kind *k = &kinds[i];

        if (strlen(k->name) != klen || strncmp(k->name, tok, klen) != 0)
            continue;
        if (!k->needs_name && colon)
            return template_error(d, "takes no name:", tok, len);
        if (!k->needs_name) {
            k->expand(d, NULL, out);
            return 0;
        }
        if (!colon || len - klen - 1 == 0)
            return template_error(d, "needs a name, as {{KIND:NAME}}:", tok,
                                  len);
        if (len - klen - 1 >= sizeof name ||
            strspn(colon + 1, NAME_CHARS) < len - klen - 1)
            return template_error(d, "bad name (letters, digits, _ . -) in",
                                  tok, len);
        snprintf(name, sizeof name, "%.*s", (int)(len - klen - 1), colon + 1);
        if (k->expand == expand_claim && docs_claim(name, d->exps, NULL) != 0)
            return template_error(d, "no such claim (q1, q4, q5, q9) in",
                                  tok, len);
        k->expand(d, name, out);
        return 0;
    }
    return template_error(d, "unknown placeholder", tok, len);
}

static int render_line(struct docs *d, const char *s, FILE *out)
{
    const char *open, *close;

    while ((open = strstr(s, "{{")) != NULL) {
        fwrite(s, 1, (size_t)(open - s), out);
        close = strstr(open + 2, "}}");
        if (!close)
            return usage_error(CMD, "%s:%u: '{{' without '}}' (a placeholder "
                               "is on one line)", d->template_path, d->line);
        if (expand(d, open + 2, (size_t)(close - open - 2), out))
            return EXIT_USAGE;
        s = close + 2;
    }
    fputs(s, out);
    return 0;
}

static void put_header(struct docs *d, FILE *out)
{
    const char *status = str(d->root, "status");

    fprintf(out, "_Generated by `xheap docs` from the results folder `%s` "
            "(status %s): do not edit; edit `%s` and run `make docs` (the "
            "newest complete folder in `results/`) or `make docs RESULTS=DIR`."
            "_\n\n", d->results, status ? status : "unknown", d->template_path);
}

static int render(struct docs *d)
{
    FILE *in = fopen(d->template_path, "r"), *out;
    char *line = NULL;
    size_t cap = 0;
    int rc = 0;

    if (!in)
        return usage_error(CMD, "%s: cannot open: %s", d->template_path,
                           strerror(errno));
    out = open_memstream(&d->text, &d->text_len);
    if (!out) {
        fclose(in);
        return usage_error(CMD, "out of memory");
    }
    put_header(d, out);
    while (!rc && getline(&line, &cap, in) > 0) {
        d->line++;
        if (strncmp(line, COMMENT_MARK, strlen(COMMENT_MARK)) != 0)
            rc = render_line(d, line, out);
    }
    if (!rc && ferror(in))
        rc = usage_error(CMD, "%s: read failed: %s", d->template_path,
                         strerror(errno));
    free(line);
    fclose(in);
    fclose(out);
    return rc;
}

/* ---- output -------------------------------------------------------------- */

static int copy_file(const char *src, const char *dst, char *why, size_t len)
{
    FILE *in = fopen(src, "rb");
    struct out_file o;
    char buf[COPY_CHUNK];
    size_t n;

    if (!in) {
        snprintf(why, len, "%s: cannot open: %s", src, strerror(errno));
        return -1;
    }
    if (out_open(&o, dst, why, len)) {
        fclose(in);
        return -1;
    }
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        fwrite(buf, 1, n, o.f);
    if (ferror(in)) {
        snprintf(why, len, "%s: read failed", src);
        fclose(in);
        out_abort(&o);
        return -1;
    }
    fclose(in);
    return out_commit(&o, why, len);
}

static int copy_figures(struct docs *d)
{
    char src[PATH_MAX], dst[PATH_MAX], why[WHY_LEN] = "path too long";
    const char *fig;
    json_t *has_csv;

    if (!d->fig_dir)
        return 0;
    json_object_foreach(d->copies, fig, has_csv) {
        if (pathf(src, "%s/plots/%s.png", d->results, fig) ||
            pathf(dst, "%s/%s.png", d->fig_dir, fig) ||
            copy_file(src, dst, why, sizeof why))
            goto failed;
        if (!json_is_true(has_csv))
            continue;
        if (pathf(src, "%s/%s.csv", d->results, fig) ||
            pathf(dst, "%s/%s.csv", d->fig_dir, fig) ||
            copy_file(src, dst, why, sizeof why))
            goto failed;
    }
    return 0;
failed:
    fprintf(stderr, "xheap docs: %s\n", why);
    return EXIT_RUN_FAILED;
}

static int write_output(struct docs *d)
{
    struct out_file o;
    char why[WHY_LEN];

    if (out_open(&o, d->out_path, why, sizeof why))
        goto failed;
    fwrite(d->text, 1, d->text_len, o.f);
    if (out_commit(&o, why, sizeof why))
        goto failed;
    return 0;
failed:
    fprintf(stderr, "xheap docs: %s\n", why);
    return EXIT_RUN_FAILED;
}

/* ---- the command --------------------------------------------------------- */

enum { OPT_TEMPLATE = 256, OPT_FIGURES };

static const struct option long_opts[] = {
    { "template", required_argument, NULL, OPT_TEMPLATE },
    { "figures", required_argument, NULL, OPT_FIGURES },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

/* -1 to go on; otherwise the exit status. */
static int parse_args(struct docs *d, int argc, char **argv)
{
    int c;

    d->template_path = DEFAULT_TEMPLATE;
    d->out_path = "-";
    optind = 0;   /* 0: glibc starts afresh, as for every subcommand */
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":ho:", long_opts, NULL)) != -1) {
        switch (c) {
        case 'h':
            cmd_docs_help(stdout);
            return 0;
        case 'o':
            d->out_path = optarg;
            break;
        case OPT_TEMPLATE:
            d->template_path = optarg;
            break;
        case OPT_FIGURES:
            d->fig_dir = optarg;
            break;
        default:
            return bad_option(CMD, c, argv);
        }
    }
    if (argc - optind != 1)
        return usage_error(CMD, "%s (see 'xheap help docs')", argc == optind ?
                           "needs RESULTS_DIR" : "takes one RESULTS_DIR");
    return -1;
}

int cmd_docs(int argc, char **argv)
{
    struct docs d = { 0 };
    int rc = parse_args(&d, argc, argv);

    if (rc >= 0)
        return rc;
    d.copies = json_object();
    d.absent = json_object();
    rc = load_results(&d, argv[optind]);
    if (!rc)
        rc = prepare_links(&d);
    if (!rc)
        rc = render(&d);
    if (!rc)
        rc = copy_figures(&d);
    if (!rc)
        rc = write_output(&d);
    free(d.results);
    free(d.png_base);
    free(d.csv_base);
    free(d.text);
    json_decref(d.root);
    json_decref(d.copies);
    json_decref(d.absent);
    return rc;
}
