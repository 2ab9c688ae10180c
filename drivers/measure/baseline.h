/*
 * Baselines in a process of their own: jemalloc, mimalloc and tcmalloc
 * replace malloc only when their library is loaded before the C library,
 * so xheap runs them by re-executing itself with LD_PRELOAD set to the
 * Debian package's library. The child is the same command with the same
 * arguments; the backend checks there that malloc really is its library's
 * (backends/system.c), so a mislabelled measurement cannot happen.
 */
#ifndef XHEAP_BASELINE_H
#define XHEAP_BASELINE_H

#include <stdbool.h>
#include <stddef.h>

/* Set in the child: "BACKEND:PID", so the child never re-executes again
 * and its own children (another pid) are not mistaken for it. */
#define BASELINE_ENV        "XHEAP_BASELINE"
/* The LD_PRELOAD the user had, restored in the child once it has started. */
#define BASELINE_SAVED_ENV  "XHEAP_BASELINE_PRELOAD"

struct baseline {
    const char *backend;   /* the backend's name (xheap backends) */
    const char *soname;    /* the library to preload */
    const char *package;   /* the Debian package that ships it */
};

/* The baseline that needs BACKEND's library preloaded, or NULL. */
const struct baseline *baseline_find(const char *backend);

/*
 * Finds B's library in DIRS (a NULL-terminated list; NULL means where the
 * dynamic linker looks: LD_LIBRARY_PATH, the C library's own directory and
 * the standard ones). 0 with the path in OUT, or -1.
 */
int baseline_library(const struct baseline *b, const char *const *dirs,
                     char *out, size_t len);

/*
 * Runs BACKEND in a process of its own when it needs a preloaded library
 * that this process does not have: re-executes /proc/self/exe with this
 * program's name followed by ARGV (a subcommand's vector, ARGV[0] being
 * the subcommand's name, as cmd_replay receives it) and LD_PRELOAD set,
 * waits for it and returns its exit status (1 when it died of a signal;
 * 2, with one line on stderr naming the Debian package, when the library
 * is missing). Returns -1 when nothing was to be done: BACKEND needs no
 * preload, its library already serves malloc here, or this is the child.
 */
int baseline_reexec(const char *backend, int argc, char **argv);

#endif
