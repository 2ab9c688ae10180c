/*
 * xheap compare: the text, 78 columns, to paste into an email.
 */
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/report/compare_internal.h"
#include "drivers/measure/stats.h"

#define TEXT_WIDTH     78
#define NAME_WIDTH     26            /* "    metric" column of the table */
#define VALUE_WIDTH    10            /* A and B columns */
/* The summary's significant rows; beyond, a count and --all. With the
 * header, the warnings and the means, it stays near 40 lines. */
#define SUMMARY_ROWS   12
#define SUMMARY_GEO    4             /* geometric means shown, at most */

/* S shortened to WIDTH characters by cutting its middle: ids differ at
 * both ends (experiment and backend first, the sweep point last). */
void compare_trunc_middle(char *out, size_t width, const char *s)
{
    size_t len = strlen(s), head, tail;

    if (len <= width || width < 5) {
        snprintf(out, width + 1, "%s", s);
        return;
    }
    head = (width - 3) * 2 / 5;
    tail = width - 3 - head;
    memcpy(out, s, head);
    memcpy(out + head, "...", 3);
    memcpy(out + head + 3, s + len - tail, tail + 1);
}

/* Greedy word wrap to TEXT_WIDTH, FIRST before the first line and REST
 * before the others. */
static void wrap(FILE *f, const char *first, const char *rest,
                 const char *text)
{
    size_t col = strlen(first);
    bool line_empty = true;

    fputs(first, f);
    while (*text) {
        size_t word = strcspn(text, " ");

        if (!line_empty && col + 1 + word > TEXT_WIDTH) {
            fprintf(f, "\n%s", rest);
            col = strlen(rest);
            line_empty = true;
        }
        if (!line_empty) {
            fputc(' ', f);
            col++;
        }
        fwrite(text, 1, word, f);
        col += word;
        line_empty = false;
        text += word;
        text += strspn(text, " ");
    }
    fputc('\n', f);
}

static void fmt_value(char *buf, size_t len, double v)
{
    if (isnan(v))
        snprintf(buf, len, "-");
    else if (v == rint(v) && fabs(v) < 1e10)
        snprintf(buf, len, "%.0f", v);
    else if (snprintf(buf, len, "%.5g", v) > VALUE_WIDTH)
        snprintf(buf, len, "%.3e", v);
}

static void fmt_change(char *buf, size_t len, double change)
{
    double pct = change * 100;

    if (isnan(change))
        snprintf(buf, len, "%s", "");
    else if (isinf(change))
        snprintf(buf, len, "from 0");
    else if (fabs(pct) < 999.95)
        snprintf(buf, len, "%+.1f%%", pct);
    else
        snprintf(buf, len, "%+.0e%%", pct);
}

static void fmt_p(char *buf, size_t len, double p)
{
    if (isnan(p))
        snprintf(buf, len, "%s", "");
    else if (p >= 0.001)
        snprintf(buf, len, "%.3f", p);
    else
        snprintf(buf, len, "%.1e", p);
}

/* "host, [arch, ]cpu, N cores, 4K pages, kernel K, THP t", wrapped. */
static void print_machine(FILE *f, json_t *m)
{
    char page[32], *text = NULL;
    size_t len = 0;
    FILE *mf = open_memstream(&text, &len);

    if (!mf)
        return;
    compare_page_text(page, sizeof(page), json_object_get(m, "page_size"));
    fprintf(mf, "%s, ", shown(m, "host"));
    if (json_text(m, "arch"))
        fprintf(mf, "%s, ", json_text(m, "arch"));
    fprintf(mf, "%s, ", shown(m, "cpu"));
    if (json_is_integer(json_object_get(m, "cores")))
        fprintf(mf, "%lld cores, ",
                (long long)json_integer_value(json_object_get(m, "cores")));
    fprintf(mf, "%s pages, kernel %s, THP %s", page, shown(m, "kernel"),
            shown(m, "thp"));
    fclose(mf);
    wrap(f, "    ", "    ", text);
    free(text);
}

static void print_side(FILE *f, const struct side *s)
{
    json_t *m = json_object_get(s->root, "machine");
    char dir[TEXT_WIDTH];

    compare_trunc_middle(dir, TEXT_WIDTH - 4, s->dir);
    fprintf(f, "%c:  %s\n", s->name, dir);
    if (json_is_object(m))
        print_machine(f, m);
    fprintf(f, "    revision %s, started %s, %s\n",
            shown(s->root, "git_revision"), shown(s->root, "started"),
            json_text(s->root, "status") ?: "status unknown");
}

static void print_header(FILE *f, const struct comparison *c)
{
    char text[1024];

    fputs("xheap compare: B against A\n\n", f);
    print_side(f, &c->a);
    print_side(f, &c->b);
    fputc('\n', f);
    for (size_t i = 0; i < c->n_warnings; i++)
        wrap(f, "warning: ", "  ", c->warnings[i]);
    if (c->n_warnings)
        fputc('\n', f);
    snprintf(text, sizeof(text),
             "A and B are medians of the samples; change is B/A - 1. A run "
             "spread over processes has one sample per process (its median), "
             "and the process is the unit: p is the two-sided Mann-Whitney U "
             "test over the processes (exact while both sides have at most "
             "%d). \"significant\": p, Holm-adjusted for the rows tested, < "
             "%g and |change| >= %g%%; \"- (<%g%%)\": p < %g but the change "
             "is below that noise floor. \"untestable\": a side holds its "
             "repetitions in one process, whose spread cannot show the drift "
             "between two runs; not counted. Values without repetitions get "
             "no test.",
             STATS_MW_EXACT_MAX, c->o->alpha, c->o->floor * 100,
             c->o->floor * 100, c->o->alpha);
    wrap(f, "", "", text);
}

static const char *relative_id(const struct run_ref *r)
{
    size_t len = strlen(r->experiment);

    if (strncmp(r->id, r->experiment, len) == 0 && r->id[len] == '/' &&
        r->id[len + 1])
        return r->id + len + 1;
    return r->id;
}

static void print_experiment(FILE *f, const struct run_ref *r)
{
    char line[TEXT_WIDTH + 1], *text;

    if (asprintf(&text, "%s%s%s", r->experiment, r->title ? ": " : "",
                 r->title ?: "") < 0)
        return;
    compare_trunc_middle(line, TEXT_WIDTH, text);
    free(text);
    fprintf(f, "\n%s\n", line);
    fprintf(f, "  %-*s %*s %*s %8s %7s\n", NAME_WIDTH - 2, "run / metric",
            VALUE_WIDTH, "A", VALUE_WIDTH, "B", "change", "p");
}

/* "7 processes", or "1 process x 7" (its repetitions). */
static void sample_text(char *buf, size_t len, size_t n, bool one_process)
{
    if (one_process)
        snprintf(buf, len, "1 process x %zu", n);
    else
        snprintf(buf, len, "%zu process%s", n, n == 1 ? "" : "es");
}

/* The run's line: its id and, when repeated, the samples of each side and
 * what they are. */
static void print_run(FILE *f, const struct comparison *c, size_t first)
{
    const struct row *r = &c->rows[first];
    char reps[96] = "", id[TEXT_WIDTH + 1], na[32], nb[32];

    for (size_t i = first; i < c->n_rows && c->rows[i].run == r->run; i++) {
        const struct row *s = &c->rows[i];

        if (s->kind == ROW_TESTED) {
            snprintf(reps, sizeof(reps), "  (%zu and %zu processes)", s->na,
                     s->nb);
            break;
        }
        if (s->kind == ROW_UNTESTABLE) {
            sample_text(na, sizeof(na), s->na, s->one_process_a);
            sample_text(nb, sizeof(nb), s->nb, s->one_process_b);
            snprintf(reps, sizeof(reps), "  (A %s, B %s)", na, nb);
            break;
        }
    }
    compare_trunc_middle(id, TEXT_WIDTH - 2 - strlen(reps),
                         relative_id(r->run));
    fprintf(f, "  %s%s\n", id, reps);
}

/* "-" for no evidence; "- (<1%)" when the test passed but the change is
 * under the noise floor, so that a small p beside "-" does not puzzle. */
static void verdict(char *buf, size_t len, const struct row *r,
                    const struct opts *o)
{
    if (r->kind == ROW_ONE_SIDED)
        snprintf(buf, len, "only in %c", r->na ? 'A' : 'B');
    else if (r->kind == ROW_SINGLE)
        snprintf(buf, len, "%s", "");
    else if (r->kind == ROW_UNTESTABLE)
        snprintf(buf, len, "untestable");
    else if (r->significant)
        snprintf(buf, len, "significant");
    else if (r->p_holm < o->alpha)
        snprintf(buf, len, "- (<%g%%)", o->floor * 100);
    else
        snprintf(buf, len, "-");
}

static void print_row(FILE *f, const struct row *r, const struct opts *o)
{
    char name[NAME_WIDTH], a[24], b[24], change[24], p[24], v[32];
    char line[192];   /* room for any value; the table keeps to 78 */

    compare_trunc_middle(name, NAME_WIDTH - 4, r->metric);
    fmt_value(a, sizeof(a), r->a);
    fmt_value(b, sizeof(b), r->b);
    fmt_change(change, sizeof(change), r->change);
    fmt_p(p, sizeof(p), r->p);
    verdict(v, sizeof(v), r, o);
    snprintf(line, sizeof(line), "    %-*s %*s %*s %8s %7s  %s",
             NAME_WIDTH - 4, name, VALUE_WIDTH, a, VALUE_WIDTH, b, change, p,
             v);
    for (size_t n = strlen(line); n > 0 && line[n - 1] == ' '; n--)
        line[n - 1] = 0;
    fprintf(f, "%s\n", line);
}

static void print_rows(FILE *f, const struct comparison *c)
{
    const char *experiment = NULL;

    for (size_t i = 0; i < c->n_rows; i++) {
        const struct row *r = &c->rows[i];

        if (r->run->experiment != experiment) {
            experiment = r->run->experiment;
            print_experiment(f, r->run);
        }
        if (i == 0 || c->rows[i - 1].run != r->run)
            print_run(f, c, i);
        print_row(f, r, c->o);
    }
}

static size_t untestable(const struct comparison *c)
{
    size_t n = 0;

    for (size_t i = 0; i < c->n_rows; i++)
        n += c->rows[i].kind == ROW_UNTESTABLE;
    return n;
}

/* "N rows not testable: ...", the summary's line for them; empty when
 * there are none. */
static void untestable_line(char *buf, size_t len, const struct comparison *c)
{
    size_t n = untestable(c);

    if (n == 0)
        snprintf(buf, len, "%s", "");
    else
        snprintf(buf, len, " %zu row%s not testable: one process a side "
                 "(repetitions inside one process are pseudo-replicates; "
                 "left out of the count).", n, n == 1 ? "" : "s");
}

static void print_summary(FILE *f, const struct comparison *c)
{
    size_t tested = 0, sig = 0, up = 0, single = 0, changed = 0;
    char text[768], not_testable[256];

    untestable_line(not_testable, sizeof(not_testable), c);
    for (size_t i = 0; i < c->n_rows; i++) {
        const struct row *r = &c->rows[i];

        tested += r->kind == ROW_TESTED;
        sig += r->significant;
        up += r->significant && r->change > 0;
        single += r->kind == ROW_SINGLE;
        changed += r->kind == ROW_SINGLE && fabs(r->change) >= c->o->floor;
    }
    snprintf(text, sizeof(text), "Summary: %zu metrics tested, %zu "
             "significant (%zu higher in B, %zu lower);%s %zu single values, "
             "%zu of them changed by %g%% or more.", tested, sig, up,
             sig - up, not_testable, single, changed, c->o->floor * 100);
    fputc('\n', f);
    wrap(f, "", "", text);
}

static void print_geo(FILE *f, const struct comparison *c)
{
    if (c->n_geo == 0)
        return;
    fputs("\nGeometric mean of B/A over the runs both have, per metric:\n", f);
    fprintf(f, "  %-24s %5s %9s %8s  %s\n", "metric", "runs", "B/A",
            "change", "significant");
    for (size_t i = 0; i < c->n_geo; i++) {
        const struct geo *g = &c->geo[i];
        char name[25], ratio[24], change[24];

        compare_trunc_middle(name, 24, g->metric);
        snprintf(ratio, sizeof(ratio), isnan(g->ratio) ? "-" : "%.4f",
                 g->ratio);
        fmt_change(change, sizeof(change), g->ratio - 1);
        fprintf(f, "  %-24s %5zu %9s %8s  %zu up, %zu down\n", name, g->used,
                ratio, change, g->up, g->down);
        if (g->used < g->runs)
            fprintf(f, "  %-24s (%zu runs left out: a median <= 0)\n", "",
                    g->runs - g->used);
    }
}

static void print_only(FILE *f, const struct side *s)
{
    size_t n = 0;
    char id[TEXT_WIDTH + 1];

    for (size_t i = 0; i < s->n_runs; i++)
        n += !s->runs[i].matched;
    if (n == 0) {
        fprintf(f, "Runs only in %c: none\n", s->name);
        return;
    }
    fprintf(f, "Runs only in %c (%zu):\n", s->name, n);
    for (size_t i = 0; i < s->n_runs; i++)
        if (!s->runs[i].matched) {
            compare_trunc_middle(id, TEXT_WIDTH - 2, s->runs[i].id);
            fprintf(f, "  %s\n", id);
        }
}

/* The summary's header: the sides, the warnings, and the rule in short. */
static void print_summary_header(FILE *f, const struct comparison *c)
{
    char text[512];

    fputs("xheap compare: B against A (summary; --all for every row)\n\n",
          f);
    print_side(f, &c->a);
    print_side(f, &c->b);
    fputc('\n', f);
    for (size_t i = 0; i < c->n_warnings; i++)
        wrap(f, "warning: ", "  ", c->warnings[i]);
    if (c->n_warnings)
        fputc('\n', f);
    snprintf(text, sizeof(text), "Medians; change is B/A - 1; significant: "
             "two-sided Mann-Whitney over processes (one sample each), "
             "Holm-adjusted p < %g and |change| >= %g%%.", c->o->alpha,
             c->o->floor * 100);
    wrap(f, "", "", text);
}

/* One significant row on one line: run, metric, A, B, change, p. */
static void print_significant(FILE *f, const struct row *r)
{
    char id[TEXT_WIDTH + 1], name[TEXT_WIDTH + 1], a[24], b[24], change[24];
    char p[24];

    compare_trunc_middle(id, 28, r->run->id);
    compare_trunc_middle(name, 13, r->metric);
    fmt_value(a, sizeof(a), r->a);
    fmt_value(b, sizeof(b), r->b);
    fmt_change(change, sizeof(change), r->change);
    fmt_p(p, sizeof(p), r->p);
    fprintf(f, "  %-28s %-13s %8s %8s %7s %7s\n", id, name, a, b, change, p);
}

static void print_summary_rows(FILE *f, const struct comparison *c)
{
    size_t tested = 0, sig = 0, shown = 0, n = untestable(c);

    for (size_t i = 0; i < c->n_rows; i++) {
        tested += c->rows[i].kind == ROW_TESTED;
        sig += c->rows[i].significant;
    }
    fputc('\n', f);
    if (n)
        fprintf(f, "%zu row%s not testable: one process a side (--all lists "
                "them).\n", n, n == 1 ? "" : "s");
    if (sig == 0) {
        fprintf(f, "No significant change in %zu metric%s tested.\n", tested,
                tested == 1 ? "" : "s");
        return;
    }
    fprintf(f, "Significant changes: %zu of %zu metrics tested\n", sig,
            tested);
    fprintf(f, "  %-28s %-13s %8s %8s %7s %7s\n", "run", "metric", "A", "B",
            "change", "p");
    for (size_t i = 0; i < c->n_rows && shown < SUMMARY_ROWS; i++)
        if (c->rows[i].significant) {
            print_significant(f, &c->rows[i]);
            shown++;
        }
    if (sig > shown)
        fprintf(f, "  ... and %zu more (--all lists every row)\n",
                sig - shown);
}

/* The means of the metrics that changed, the figure's metric first. */
static void print_summary_geo(FILE *f, const struct comparison *c)
{
    size_t shown = 0;

    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < c->n_geo && shown < SUMMARY_GEO; i++) {
            const struct geo *g = &c->geo[i];
            bool figure = c->figure_metric &&
                          strcmp(g->metric, c->figure_metric) == 0;
            char ratio[24], change[24];

            if (pass == 0 ? !figure : figure || !(g->up + g->down))
                continue;
            if (shown++ == 0)
                fputs("\nGeometric mean of B/A over the runs both have:\n",
                      f);
            snprintf(ratio, sizeof(ratio), isnan(g->ratio) ? "-" : "%.4f",
                     g->ratio);
            fmt_change(change, sizeof(change), g->ratio - 1);
            fprintf(f, "  %-24s %4zu runs %9s %8s  %zu up, %zu down\n",
                    g->metric, g->used, ratio, change, g->up, g->down);
        }
}

static size_t unmatched(const struct side *s)
{
    size_t n = 0;

    for (size_t i = 0; i < s->n_runs; i++)
        n += !s->runs[i].matched;
    return n;
}

void compare_print_text(FILE *f, const struct comparison *c, bool all)
{
    if (!all) {
        print_summary_header(f, c);
        print_summary_rows(f, c);
        print_summary_geo(f, c);
        if (unmatched(&c->a) || unmatched(&c->b))
            fprintf(f, "\nRuns only in A: %zu, only in B: %zu (--all lists "
                    "them).\n", unmatched(&c->a), unmatched(&c->b));
        return;
    }
    print_header(f, c);
    if (c->n_rows == 0)
        fputs("\nNo metric to compare: the two have no run (or no wanted "
              "metric) in common.\n", f);
    print_rows(f, c);
    print_summary(f, c);
    print_geo(f, c);
    fputc('\n', f);
    print_only(f, &c->a);
    print_only(f, &c->b);
}
