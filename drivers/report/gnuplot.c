/* Starting gnuplot on a script (see gnuplot.h). */
#include "drivers/report/gnuplot.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "drivers/measure/clock.h"
#include "drivers/measure/host.h"

#define POLL_NS (2 * 1000 * 1000)   /* how often a running gnuplot is checked */

extern char **environ;

const char *gnuplot_program(void)
{
    const char *env = getenv("XHEAP_GNUPLOT");

    return env && *env ? env : "gnuplot";
}

static bool has_scripts(const char *dir)
{
    char path[PATH_MAX];

    snprintf(path, sizeof(path), "%s/common.gp", dir);
    return access(path, R_OK) == 0;
}

const char *gnuplot_scripts(char *buf, size_t len)
{
    static const char *const up[] = { "/../plots", "/../../plots" };
    const char *env = getenv("XHEAP_PLOTS");
    char exe[PATH_MAX], *slash;

    if (env && *env) {
        snprintf(buf, len, "%s", env);
        return has_scripts(buf) ? buf : NULL;
    }
    if (host_self_exe(exe, sizeof(exe)) == 0 && (slash = strrchr(exe, '/'))) {
        *slash = 0;
        for (size_t i = 0; i < sizeof(up) / sizeof(up[0]); i++) {
            if ((size_t)snprintf(buf, len, "%s%s", exe, up[i]) < len &&
                has_scripts(buf))
                return buf;
        }
    }
    snprintf(buf, len, "plots");
    return has_scripts(buf) ? buf : NULL;
}

/*
 * Starts ARGV with no input, its output thrown away and its errors in LOG
 * (NULL: ours), and waits at most GNUPLOT_TIMEOUT_S. Returns its exit
 * status or a GNUPLOT_ code.
 */
static int spawn_wait(char *const argv[], const char *log)
{
    static const struct timespec nap = { 0, POLL_NS };
    posix_spawn_file_actions_t fa;
    double deadline = clock_s() + GNUPLOT_TIMEOUT_S;
    pid_t pid;
    int st, err;

    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    if (log)
        posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_CREAT |
                                         O_TRUNC, 0644);
    fflush(NULL);
    err = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (err) {
        errno = err;
        return GNUPLOT_NOT_STARTED;
    }
    for (;;) {
        pid_t w = waitpid(pid, &st, WNOHANG);

        if (w == pid)
            break;
        if (w < 0 && errno != EINTR)
            return GNUPLOT_NOT_STARTED;
        if (clock_s() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            return GNUPLOT_TIMED_OUT;
        }
        nanosleep(&nap, NULL);
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : GNUPLOT_KILLED;
}

int gnuplot_probe(char *why, size_t len)
{
    char *argv[] = { (char *)gnuplot_program(), "--version", NULL };
    int st = spawn_wait(argv, "/dev/null");

    if (st == GNUPLOT_NOT_STARTED && errno == ENOENT)
        snprintf(why, len, "gnuplot was not found (install gnuplot-nox, "
                 "then run 'xheap report DIR')");
    else if (st != 0)
        snprintf(why, len, "'%s --version' failed", argv[0]);
    return st == 0 ? 0 : -1;
}

/*
 * NAME='VALUE'; ... for every variable, as gnuplot reads it: inside single
 * quotes nothing is special but the quote, which is doubled. A newline
 * would end the command: *BAD is set and NULL returned for a value with
 * one. NULL without *BAD: out of memory.
 */
static char *expression(const struct gnuplot_var *vars, size_t n, bool *bad)
{
    size_t cap = 1;
    char *expr, *p;

    *bad = false;
    for (size_t i = 0; i < n; i++) {
        if (strpbrk(vars[i].value, "\r\n")) {
            *bad = true;
            return NULL;
        }
        cap += strlen(vars[i].name) + 2 * strlen(vars[i].value) + 5;
    }
    p = expr = malloc(cap);
    for (size_t i = 0; expr && i < n; i++) {
        p = stpcpy(stpcpy(p, vars[i].name), "='");
        for (const char *v = vars[i].value; *v; v++) {
            if (*v == '\'')
                *p++ = '\'';
            *p++ = *v;
        }
        p = stpcpy(p, "'; ");
    }
    if (expr)
        *p = 0;
    return expr;
}

int gnuplot_run(const char *script, const struct gnuplot_var *vars,
                size_t n_vars, const char *log)
{
    bool bad;
    char *expr = expression(vars, n_vars, &bad);
    char *argv[] = { (char *)gnuplot_program(), "-e", expr, (char *)script,
                     NULL };
    int st;

    if (!expr)
        return bad ? GNUPLOT_BAD_VALUE : GNUPLOT_NOT_STARTED;
    st = spawn_wait(argv, log);
    free(expr);
    return st;
}
