/*
 * Running gnuplot: the one place xheap starts it, for report's figures and
 * compare's. gnuplot is started directly (posix_spawnp, an argument
 * vector), never through a shell; what a script needs (paths, titles) it
 * gets as gnuplot string variables set by `-e`, each value quoted so that
 * no text of a user's (a folder's name, a host name in a results file)
 * can end the string and become a command.
 */
#ifndef XHEAP_GNUPLOT_H
#define XHEAP_GNUPLOT_H

#include <stddef.h>

#define GNUPLOT_TIMEOUT_S 60.0  /* one figure in one format: ~0.1 s is usual */

/* gnuplot_run's failures other than gnuplot's own exit status. */
#define GNUPLOT_NOT_STARTED (-1)   /* errno says why: ENOENT, not found */
#define GNUPLOT_TIMED_OUT   (-2)   /* ran past the timeout and was killed */
#define GNUPLOT_KILLED      (-3)   /* died of a signal */
#define GNUPLOT_BAD_VALUE   (-4)   /* a value holds a newline: not passed */

/* A string variable the script reads, such as csv or out. */
struct gnuplot_var {
    const char *name;
    const char *value;
};

/* $XHEAP_GNUPLOT, or "gnuplot" on the PATH. */
const char *gnuplot_program(void);

/* The scripts' folder (the one with common.gp): $XHEAP_PLOTS, then plots/
 * beside the executable's build folder (../plots, ../../plots), then
 * ./plots. Returns BUF, or NULL when none has the scripts. */
const char *gnuplot_scripts(char *buf, size_t len);

/* Whether gnuplot runs at all (`gnuplot --version`): 0, or -1 with one
 * line in WHY for the user. */
int gnuplot_probe(char *why, size_t len);

/* Runs SCRIPT with VARS set, no input and its output thrown away; its
 * errors go to the file LOG, or to this process's stderr when LOG is NULL.
 * Returns gnuplot's exit status (0: the script ran), or a GNUPLOT_ code. */
int gnuplot_run(const char *script, const struct gnuplot_var *vars,
                size_t n_vars, const char *log);

#endif
