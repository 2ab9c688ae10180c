/*
 * xheap compare: what it writes besides the text: compare.csv, the JSON
 * document for scripts, and the figure (plots/compare.gp through gnuplot)
 * with its CSV, in the --out folder.
 */
#include <errno.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drivers/measure/args.h"
#include "drivers/report/compare_internal.h"
#include "drivers/report/gnuplot.h"
#include "backends/names.h"

#define COMPARE_FORMAT "xheap-compare 1"
#define LABEL_WIDTH    48            /* run ids on the figure's axis */
#define MAX_SUFFIX     1000          /* DIR-2 .. DIR-999, then give up */

static void csv_text(FILE *f, const char *s)
{
    if (!s[strcspn(s, ",\"\n\r")]) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* Numbers; an empty field where there is none. */
static void csv_num(FILE *f, double v)
{
    fputc(',', f);
    if (isfinite(v))
        fprintf(f, "%.10g", v);
}

static const char *kind_name(enum row_kind k)
{
    static const char *const names[] = {
        [ROW_TESTED] = "tested", [ROW_UNTESTABLE] = "untestable",
        [ROW_SINGLE] = "single", [ROW_ONE_SIDED] = "one-sided",
    };
    return names_of(names, NAMES_COUNT(names), k);
}

static void write_csv(FILE *f, const struct comparison *c)
{
    fputs("experiment,run,metric,kind,n_a,n_b,a,b,change_pct,"
          "change_lo_pct,change_hi_pct,p,test,significant\n", f);
    for (size_t i = 0; i < c->n_rows; i++) {
        const struct row *r = &c->rows[i];

        csv_text(f, r->run->experiment);
        fputc(',', f);
        csv_text(f, r->run->id);
        fputc(',', f);
        csv_text(f, r->metric);
        fprintf(f, ",%s,%zu,%zu", kind_name(r->kind), r->na, r->nb);
        csv_num(f, r->a);
        csv_num(f, r->b);
        csv_num(f, r->change * 100);
        csv_num(f, r->ci_lo * 100);
        csv_num(f, r->ci_hi * 100);
        csv_num(f, r->p);
        fprintf(f, ",%s,%d\n", r->kind != ROW_TESTED ? "" :
                r->exact ? "exact" : "normal", r->significant);
    }
}

/* The figure's data, as docs/figures.md lays it out: the run, the series
 * "change" as value,lo,hi in percent, and whether it is significant. A
 * change without an interval repeats its value in lo and hi. */
static size_t write_figure_csv(FILE *f, const struct comparison *c)
{
    size_t n = 0;

    fputs("run,change,change_lo,change_hi,significant\n", f);
    for (size_t i = 0; i < c->n_rows; i++) {
        const struct row *r = &c->rows[i];
        char label[LABEL_WIDTH + 1];
        double v = r->change * 100;

        if (r->kind != ROW_TESTED || !isfinite(v) ||
            strcmp(r->metric, c->figure_metric) != 0)
            continue;
        compare_trunc_middle(label, LABEL_WIDTH, r->run->id);
        csv_text(f, label);
        fprintf(f, ",%.6g,%.6g,%.6g,%d\n", v,
                isnan(r->ci_lo) ? v : r->ci_lo * 100,
                isnan(r->ci_hi) ? v : r->ci_hi * 100, r->significant);
        n++;
    }
    return n;
}

/* ---- JSON ---- */

static json_t *num_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *side_json(const struct side *s)
{
    json_t *o = json_pack("{s:s, s:s}", "dir", s->dir, "path", s->path);
    const char *keys[] = { "git_revision", "started", "status", "machine" };

    for (size_t i = 0; o && i < sizeof(keys) / sizeof(keys[0]); i++) {
        json_t *v = json_object_get(s->root, keys[i]);

        if (v)
            json_object_set(o, keys[i], v);
    }
    return o;
}

/* What a side's n counts: processes (one sample each) or the repetitions
 * of one process; null for single values. */
static json_t *unit_json(const struct row *r, bool one_process)
{
    if (r->kind == ROW_TESTED)
        return json_string("process");
    if (r->kind == ROW_UNTESTABLE)
        return json_string(one_process ? "repetition" : "process");
    return json_null();
}

static json_t *row_json(const struct row *r)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:{s:o, s:I, s:o}, "
                          "s:{s:o, s:I, s:o}}",
        "experiment", r->run->experiment, "run", r->run->id,
        "metric", r->metric, "kind", kind_name(r->kind),
        "a", "median", num_or_null(r->a), "n", (json_int_t)r->na,
        "unit", unit_json(r, r->one_process_a),
        "b", "median", num_or_null(r->b), "n", (json_int_t)r->nb,
        "unit", unit_json(r, r->one_process_b));

    if (!o)
        return NULL;
    if (r->kind == ROW_UNTESTABLE)
        json_object_set_new(o, "untestable", json_string(
            r->one_process_a && r->one_process_b ? "one process a side" :
            r->one_process_a ? "one process in A" : "one process in B"));
    json_object_set_new(o, "change", num_or_null(r->change));
    json_object_set_new(o, "change_ci95", isnan(r->ci_lo) ? json_null() :
                        json_pack("[f, f]", r->ci_lo, r->ci_hi));
    json_object_set_new(o, "p", num_or_null(r->p));
    json_object_set_new(o, "p_holm", num_or_null(r->p_holm));
    json_object_set_new(o, "test", r->kind != ROW_TESTED ? json_null() :
                        json_string(r->exact ? "exact" : "normal"));
    json_object_set_new(o, "significant", json_boolean(r->significant));
    return o;
}

static json_t *only_json(const struct side *s)
{
    json_t *arr = json_array();

    for (size_t i = 0; arr && i < s->n_runs; i++)
        if (!s->runs[i].matched)
            json_array_append_new(arr, json_string(s->runs[i].id));
    return arr;
}

static json_t *compare_json(const struct comparison *c)
{
    json_t *rows = json_array(), *geo = json_array(), *warns = json_array();
    json_t *doc;
    json_int_t untestable = 0;

    for (size_t i = 0; i < c->n_rows; i++) {
        json_array_append_new(rows, row_json(&c->rows[i]));
        untestable += c->rows[i].kind == ROW_UNTESTABLE;
    }
    for (size_t i = 0; i < c->n_geo; i++)
        json_array_append_new(geo, json_pack("{s:s, s:I, s:o, s:I, s:I}",
            "metric", c->geo[i].metric, "runs", (json_int_t)c->geo[i].used,
            "ratio", num_or_null(c->geo[i].ratio),
            "significant_up", (json_int_t)c->geo[i].up,
            "significant_down", (json_int_t)c->geo[i].down));
    for (size_t i = 0; i < c->n_warnings; i++)
        json_array_append_new(warns, json_string(c->warnings[i]));
    doc = json_pack("{s:s, s:o, s:o, s:f, s:f, s:o, s:o, s:o, s:o, s:o}",
        "format", COMPARE_FORMAT, "a", side_json(&c->a), "b", side_json(&c->b),
        "alpha", c->o->alpha, "noise_floor", c->o->floor, "warnings", warns,
        "comparisons", rows, "geomean", geo,
        "only_a", only_json(&c->a), "only_b", only_json(&c->b));
    if (doc)
        json_object_set_new(doc, "untestable", json_integer(untestable));
    return doc;
}

/* ---- output files and the figure ---- */

static int write_file(const char *path, const char *text, size_t len)
{
    struct out_file o;
    char why[WHY_LEN];

    if (out_open(&o, path, why, sizeof(why)) != 0)
        goto fail;
    fwrite(text, 1, len, o.f);
    if (out_commit(&o, why, sizeof(why)) != 0)
        goto fail;
    return 0;
fail:
    fprintf(stderr, "xheap compare: %s\n", why);
    return -1;
}

/* Creates BASE, or BASE-2, BASE-3...: an earlier comparison is kept. */
char *compare_make_out_dir(const char *base)
{
    char *dir;

    for (int i = 1; i < MAX_SUFFIX; i++) {
        if ((i == 1 ? asprintf(&dir, "%s", base) :
                      asprintf(&dir, "%s-%d", base, i)) < 0)
            return NULL;
        if (mkdir(dir, 0777) == 0)
            return dir;
        if (errno != EEXIST) {
            usage_error("compare", "cannot create %s: %s (use --out DIR or "
                        "--no-out)", dir, strerror(errno));
            free(dir);
            return NULL;
        }
        free(dir);
    }
    usage_error("compare", "%s-2 .. %s-%d all exist", base, base,
                MAX_SUFFIX - 1);
    return NULL;
}

char *compare_default_out_base(const struct comparison *c)
{
    char *real = realpath(c->a.dir, NULL), *base;

    if (!real || asprintf(&base, "%s/compare-%s", c->b.dir,
                          basename(real)) < 0)
        base = NULL;
    free(real);
    return base;
}

static void figure_title(char *buf, size_t len, const struct comparison *c)
{
    json_t *ma = json_object_get(c->a.root, "machine");
    json_t *mb = json_object_get(c->b.root, "machine");

    snprintf(buf, len, "B (%s, %s) against A (%s, %s)",
             json_text(mb, "host") ?: "?",
             json_text(c->b.root, "git_revision") ?: "?",
             json_text(ma, "host") ?: "?",
             json_text(c->a.root, "git_revision") ?: "?");
    for (; *buf; buf++)   /* a title is one line: gnuplot_run refuses more */
        if ((unsigned char)*buf < 0x20)
            *buf = ' ';
}

/* Draws DIR/plots/compare_<metric>.{png,svg}; says why not in one line. */
static void draw_figure(const struct comparison *c, const char *csv,
                        const char *dir)
{
    static const char *const formats[] = { "png", "svg" };
    char scripts[PATH_MAX], script[PATH_MAX + 16], title[512], why[256];
    char *plots;

    if (gnuplot_probe(why, sizeof(why)) != 0) {
        fputs("xheap compare: gnuplot not found (install gnuplot-nox); no "
              "figure\n", stderr);
        return;
    }
    if (!gnuplot_scripts(scripts, sizeof(scripts)) ||
        snprintf(script, sizeof(script), "%s/compare.gp", scripts) < 0 ||
        access(script, R_OK) != 0) {
        fputs("xheap compare: plots/compare.gp not found (set XHEAP_PLOTS); "
              "no figure\n", stderr);
        return;
    }
    if (asprintf(&plots, "%s/plots", dir) < 0)
        return;
    if (mkdir(plots, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "xheap compare: cannot create %s: %s; no figure\n",
                plots, strerror(errno));
        free(plots);
        return;
    }
    figure_title(title, sizeof(title), c);
    for (size_t i = 0; i < 2; i++) {
        char *out;
        int st;

        if (asprintf(&out, "%s/compare_%s", plots, c->figure_metric) < 0)
            break;
        const struct gnuplot_var vars[] = {
            { "csv", csv }, { "out", out }, { "fmt", formats[i] },
            { "metric", c->figure_metric }, { "title", title },
        };
        st = gnuplot_run(script, vars, sizeof(vars) / sizeof(vars[0]), NULL);
        if (st != 0)
            fprintf(stderr, "xheap compare: gnuplot failed on %s (status "
                    "%d); no %s figure\n", script, st, formats[i]);
        free(out);
    }
    free(plots);
}

static int write_figure(const struct comparison *c, const char *dir)
{
    char *path = NULL, *data = NULL;
    size_t len = 0, n;
    FILE *f = open_memstream(&data, &len);
    int ret = -1;

    if (!f)
        return -1;
    n = write_figure_csv(f, c);
    fclose(f);
    if (n == 0) {
        fprintf(stderr, "xheap compare: no run has %s from several processes "
                "on both sides; no figure\n", c->figure_metric);
        ret = 0;
    } else if (asprintf(&path, "%s/compare_%s.csv", dir,
                        c->figure_metric) >= 0 &&
               write_file(path, data, len) == 0) {
        draw_figure(c, path, dir);
        ret = 0;
    }
    free(path);
    free(data);
    return ret;
}

static int write_csv_file(const struct comparison *c, const char *dir)
{
    char *path, *data = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&data, &len);
    int ret = -1;

    if (!f)
        return -1;
    write_csv(f, c);
    fclose(f);
    if (asprintf(&path, "%s/compare.csv", dir) >= 0) {
        ret = write_file(path, data, len);
        free(path);
    }
    free(data);
    return ret;
}

int compare_write_out_dir(const struct comparison *c, const char *dir,
                          const char *text, size_t len)
{
    char *path;
    int ret;

    if (asprintf(&path, "%s/compare.txt", dir) < 0)
        return -1;
    ret = write_file(path, text, len);
    free(path);
    if (ret == 0)
        ret = write_csv_file(c, dir);
    if (ret == 0)
        ret = write_figure(c, dir);
    if (ret == 0)
        fprintf(stderr, "xheap compare: wrote %s/\n", dir);
    return ret;
}

int compare_write_json(const struct comparison *c, struct out_file *o)
{
    json_t *doc = compare_json(c);
    char why[WHY_LEN];

    if (!doc || json_dumpf(doc, o->f, JSON_INDENT(2) |
                                      JSON_REAL_PRECISION(10)) != 0) {
        fprintf(stderr, "xheap compare: %s: cannot encode the comparison\n",
                o->path ? o->path : "standard output");
        json_decref(doc);
        out_abort(o);
        return -1;
    }
    json_decref(doc);
    fputc('\n', o->f);
    if (out_commit(o, why, sizeof(why)) == 0)
        return 0;
    fprintf(stderr, "xheap compare: %s\n", why);
    return -1;
}
