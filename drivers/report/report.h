/*
 * drivers/report: what measurements say. Answers (answers.h), the figures'
 * registry and CSVs (figures.h), report.txt and the plots (this header),
 * running gnuplot (gnuplot.h), compare (compare.h) and the rubric
 * (docs.h). It may use measure, backends and workloads; suite and cli
 * include it, never the other way.
 *
 * The report of a results folder (docs/results.md): every figure drawn by
 * its gnuplot script in plots/ (PNG, SVG, and text for the report), and
 * DIR/report.txt, the 78-column summary meant to be pasted into an email:
 * a header, one answer line per question, the figures as text, the
 * machine, and the caveats a reader must know before believing a number.
 */
#ifndef XHEAP_REPORT_H
#define XHEAP_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "drivers/report/figures.h"   /* report_figures: the registry */

/* The widest line of report.txt and of the text figures. */
#define REPORT_WIDTH 78

/* report_render's failures (0 is success). */
#define REPORT_FAILED    (-1)   /* a figure or report.txt could not be made */
#define REPORT_BAD_INPUT (-2)   /* DIR, results.json or a CSV is malformed */

/*
 * Draws DIR/plots/<figure>.{png,svg,txt} for every figure whose CSV is in
 * DIR (the known figures, then any other an experiment names), and writes
 * DIR/report.txt.
 *
 * Returns 0 on success; WHY is then empty, or one line worth telling the
 * user (gnuplot is missing: report.txt has the answers but no plots).
 * Returns REPORT_BAD_INPUT when DIR/results.json cannot be read (nothing
 * is written) or a CSV is malformed (that figure is left out, the rest is
 * written), and REPORT_FAILED when gnuplot failed on a figure or a file
 * could not be written; WHY then holds one line naming the file and the
 * fault.
 *
 * The scripts are looked for in $XHEAP_PLOTS, then plots/ beside the
 * executable's build folder (../plots, ../../plots), then ./plots; gnuplot
 * is $XHEAP_GNUPLOT, or "gnuplot" on the PATH.
 */
int report_render(const char *dir, char *why, size_t len);

/* Whether results.json's MACHINE is virtual: "virtual" true or a name, or
 * a "hypervisor" name; NAME (may be NULL) gets " (kvm)" or "". */
bool report_virtual_machine(const json_t *machine, char *name, size_t len);

/* xheap report DIR (drivers/cli/cmd_report.c). */
int  cmd_report(int argc, char **argv);
void cmd_report_help(FILE *f);

#endif
