/*
 * The figures of the suite, one row each in figures.c: the registry that
 * answers.c (which experiment draws into which figure, and the CSVs),
 * report.c (the order, the captions, which x is a label) and the tests
 * read. A new figure is one row there and one script, plots/<name>.gp;
 * a figure drawn from new data also gets its draw function beside the
 * table. docs/figures.md describes each for readers.
 */
#ifndef XHEAP_FIGURES_H
#define XHEAP_FIGURES_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct fig;   /* a figure's table being filled (figures.c) */

struct report_figure {
    const char *name;      /* <name>.csv, plots/<name>.gp, plots/<name>.png */
    unsigned question;     /* 1..9, 0 for the baselines and scaling */
    bool label_x;          /* x is a label (bars), not a number */
    const char *caption;   /* the question it answers, one short line */
    /* Whether experiment X names this figure as its own ("figure" in
     * results.json), and whether it draws into it only as well. */
    bool (*names)(const json_t *x);
    bool (*feeds)(const json_t *x);
    /* Adds one run's points; then, if set, what needs every experiment. */
    void (*draw)(struct fig *f, const json_t *run);
    void (*finish)(struct fig *f, const json_t *experiments);
};

/* Every figure, in the order report.txt shows them. */
const struct report_figure *report_figures(size_t *n);

/* The figure experiment X names as its own, or NULL. */
const char *figure_of(const json_t *x);

/* Whether experiment X draws into the figure NAME, as its own figure or
 * as one it feeds (q4-aging draws q4_contig and q4_fragmentation). */
bool figure_draws(const char *name, const json_t *x);

/* Rewrites DIR/<name>.csv (docs/figures.md) of every figure that
 * EXPERIMENTS draw into. */
void figures_write(const json_t *experiments, const char *dir);

#endif
