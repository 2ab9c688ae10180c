/*
 * xheap record: runs a program under libxheap-record.so (workloads/record/)
 * and turns the logs it leaves into traces.
 *
 * Every process image writes DIR/<pid>.<image>.log into a private temporary
 * directory. Once the program and every process it left behind have ended
 * (xheap is their subreaper), each pid's logs become one trace: the program
 * xheap started goes to FILE, every other followed process to FILE.<pid>.
 * Separate traces, not one merged trace, because separate processes share
 * no heap: merged, their blocks would land in one replayed heap.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "drivers/cli/cli.h"
#include "drivers/cli/record.h"
#include "drivers/measure/host.h"
#include "workloads/mtrace.h"
#include "workloads/record/log.h"
#include "workloads/trace.h"

#define RECORD_LIB_NAME  "libxheap-record.so"
#define RECORD_LIB_ENV   "XHEAP_RECORD_LIB"   /* overrides the search */
#define PATH_BYTES       4096
#define EXIT_SIGNALLED   128                   /* + the signal, as shells do */

static const char record_usage[] =
    "usage: xheap record [-o FILE] [--follow-children|--no-follow-children]\n"
    "                    -- PROGRAM [ARGS...]\n"
    "\n"
    "Runs PROGRAM with libxheap-record.so preloaded and writes the trace of\n"
    "its malloc, calloc, realloc, reallocarray, free, posix_memalign,\n"
    "aligned_alloc, memalign, valloc and pvalloc calls, with their threads.\n"
    "\n"
    "  -o FILE                 the trace (default: PROGRAM's name + .trace;\n"
    "                          '-' writes standard output)\n"
    "  --follow-children       also record every process PROGRAM starts, each\n"
    "                          into FILE.<pid> (the default)\n"
    "  --no-follow-children    record PROGRAM only (an exec of it included)\n"
    "\n"
    "xheap record waits for PROGRAM and for every process it left running,\n"
    "then exits with PROGRAM's exit status (128 + N for signal N), or 1 or 2\n"
    "when it could not record. Statically linked and setuid programs cannot\n"
    "be recorded; a process killed by a signal loses its last events.\n";

void cmd_record_help(FILE *f)
{
    fputs(record_usage, f);
}

enum { OPT_FOLLOW = 256, OPT_NO_FOLLOW, OPT_HELP };

static const struct option record_options[] = {
    { "follow-children",    no_argument, NULL, OPT_FOLLOW },
    { "no-follow-children", no_argument, NULL, OPT_NO_FOLLOW },
    { "help",               no_argument, NULL, OPT_HELP },
    { NULL, 0, NULL, 0 },
};

struct recording {
    const char *out;        /* -o, or NULL */
    bool follow;
    char **argv;            /* PROGRAM ARGS... */
    char lib[PATH_BYTES];
    char dir[PATH_BYTES];
    char base[PATH_BYTES];  /* the root's trace */
    pid_t root;
};

/* ---- running the program ------------------------------------------- */

/* The last component of PATH (POSIX basename may write to its argument). */
static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash ? slash + 1 : path;
}

/* The library sits beside the xheap binary (build/), unless overridden. */
static int find_library(struct recording *r)
{
    const char *env = getenv(RECORD_LIB_ENV);
    char self[PATH_BYTES - sizeof(RECORD_LIB_NAME) - 1];

    if (env && *env) {
        snprintf(r->lib, sizeof(r->lib), "%s", env);
    } else {
        if (host_self_exe(self, sizeof(self)) != 0)
            return usage_error("record", "cannot find my own binary: %s",
                               strerror(errno));
        *strrchr(self, '/') = 0;   /* the kernel gives an absolute path */
        snprintf(r->lib, sizeof(r->lib), "%s/%s", self, RECORD_LIB_NAME);
    }
    if (r->lib[0] != '/' || access(r->lib, R_OK) != 0) {
        fprintf(stderr, "xheap record: %s: %s (build it with 'make', or set "
                RECORD_LIB_ENV " to its absolute path)\n", r->lib,
                r->lib[0] != '/' ? "not an absolute path" : strerror(errno));
        return EXIT_RUN_FAILED;
    }
    return 0;
}

static bool is_ours(const char *var)
{
    return strncmp(var, "LD_PRELOAD=", 11) == 0 ||
           strncmp(var, "XHEAP_RECORD_", 13) == 0;
}

/* The program's environment: ours, with the library preloaded first. */
static char **make_env(const struct recording *r)
{
    extern char **environ;
    const char *before = getenv("LD_PRELOAD");
    size_t n = 0, k = 0;
    char **env;

    while (environ[n])
        n++;
    env = calloc(n + 6, sizeof(*env));   /* ours, ROOT, NULL */
    if (!env)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (!is_ours(environ[i]) ||
            strncmp(environ[i], RECORD_LIB_ENV "=", sizeof(RECORD_LIB_ENV)) == 0)
            env[k++] = environ[i];
    if (asprintf(&env[k++], "LD_PRELOAD=%s%s%s", r->lib,
                 before && *before ? ":" : "", before ? before : "") < 0 ||
        asprintf(&env[k++], RECORD_ENV_DIR "=%s", r->dir) < 0 ||
        asprintf(&env[k++], RECORD_ENV_FOLLOW "=%d", r->follow) < 0 ||
        asprintf(&env[k++], RECORD_ENV_PRELOAD "=%s",
                 before ? before : "") < 0)
        return NULL;   /* exits soon after: the leak does not matter */
    return env;   /* the child adds RECORD_ENV_ROOT at the end */
}

static void free_env(char **env)
{
    size_t n = 0;

    while (env[n])
        n++;
    for (size_t i = n - 4; i < n; i++)
        free(env[i]);
    free(env);
}

/*
 * The child: names itself the root (its exec keeps the pid), then execs.
 * If exec fails, errno goes back through the close-on-exec pipe.
 */
static void __attribute__((noreturn))
exec_child(const struct recording *r, char **env, int report)
{
    char root[64];
    size_t n = 0;
    int e;

    while (env[n])
        n++;
    snprintf(root, sizeof(root), RECORD_ENV_ROOT "=%ld", (long)getpid());
    env[n] = root;
    execvpe(r->argv[0], r->argv, env);
    e = errno;
    if (write(report, &e, sizeof(e)) < 0)
        e = 0;
    _exit(127);
}

/* Starts the program; 0, or the errno of its failed exec. */
static int start_program(struct recording *r, char **env)
{
    int pipefd[2], err = 0;
    ssize_t got;

    if (pipe2(pipefd, O_CLOEXEC) != 0)
        return errno;
    r->root = fork();
    if (r->root < 0) {
        err = errno;
        close(pipefd[0]);
        close(pipefd[1]);
        return err;
    }
    if (r->root == 0)
        exec_child(r, env, pipefd[1]);
    close(pipefd[1]);
    while ((got = read(pipefd[0], &err, sizeof(err))) < 0 && errno == EINTR)
        ;
    close(pipefd[0]);
    if (got == (ssize_t)sizeof(err)) {
        waitpid(r->root, NULL, 0);
        return err;
    }
    return 0;
}

/* Status of the root, as an exit status of ours. */
static int exit_status(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return EXIT_SIGNALLED + WTERMSIG(status);
    return EXIT_RUN_FAILED;
}

/*
 * Starts the program and waits for it and for every descendant it left
 * behind (we are their subreaper), with ^C and ^\ going to them, not us.
 */
static int run_program(struct recording *r, int *status)
{
    struct sigaction ign = { .sa_handler = SIG_IGN }, old_int, old_quit;
    char **env = make_env(r);
    int err;

    if (!env) {
        fprintf(stderr, "xheap record: out of memory\n");
        return EXIT_RUN_FAILED;
    }
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    sigaction(SIGINT, &ign, &old_int);
    sigaction(SIGQUIT, &ign, &old_quit);
    err = start_program(r, env);
    if (err == 0) {
        while (waitpid(r->root, status, 0) < 0 && errno == EINTR)
            ;
        while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
            ;
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGQUIT, &old_quit, NULL);
    prctl(PR_SET_CHILD_SUBREAPER, 0);
    free_env(env);
    if (err)
        return usage_error("record", "cannot run '%s': %s", r->argv[0],
                           strerror(err));
    return 0;
}

/* ---- logs to traces ------------------------------------------------ */

struct log_name {
    long pid;
    unsigned image;
    char file[64];
};

static int by_pid_image(const void *a, const void *b)
{
    const struct log_name *x = a, *y = b;

    if (x->pid != y->pid)
        return x->pid < y->pid ? -1 : 1;
    return (x->image > y->image) - (x->image < y->image);
}

/* The logs in DIR, sorted by pid and image; NULL on failure. */
static struct log_name *list_logs(const char *dir, size_t *count)
{
    DIR *d = opendir(dir);
    struct log_name *v = NULL;
    struct dirent *e;
    size_t n = 0;

    if (!d)
        return NULL;
    while ((e = readdir(d))) {
        struct log_name l;
        struct log_name *nv;
        char tail[8];

        if (sscanf(e->d_name, "%ld.%u.%7s", &l.pid, &l.image, tail) != 3 ||
            strcmp(tail, "log") != 0 || strlen(e->d_name) >= sizeof(l.file))
            continue;
        strcpy(l.file, e->d_name);
        nv = realloc(v, (n + 1) * sizeof(*v));
        if (!nv) {
            free(v);
            closedir(d);
            return NULL;
        }
        v = nv;
        v[n++] = l;
    }
    closedir(d);
    qsort(v, n, sizeof(*v), by_pid_image);
    *count = n;
    return v ? v : calloc(1, sizeof(*v));
}

static int by_seq(const void *a, const void *b)
{
    const struct reclog_event *x = a, *y = b;

    return (x->seq > y->seq) - (x->seq < y->seq);
}

struct log_data {
    struct reclog_header h;
    struct reclog_event *ev;
    size_t n;
};

static int read_log(const char *path, struct log_data *d, char *why,
                    size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    size_t body;
    ssize_t got = 0;

    memset(d, 0, sizeof(*d));
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(why, len, "%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (read(fd, &d->h, sizeof(d->h)) != (ssize_t)sizeof(d->h) ||
        memcmp(d->h.magic, RECLOG_MAGIC, sizeof(d->h.magic)) != 0 ||
        d->h.version != RECLOG_VERSION || d->h.header_size != sizeof(d->h) ||
        d->h.event_size != sizeof(struct reclog_event)) {
        snprintf(why, len, "%s: not an xheap record log of this version", path);
        close(fd);
        return -1;
    }
    d->h.exe[sizeof(d->h.exe) - 1] = 0;
    d->h.cmdline[sizeof(d->h.cmdline) - 1] = 0;
    /* A process killed in a write may leave half an event: drop it. */
    d->n = ((size_t)st.st_size - sizeof(d->h)) / sizeof(*d->ev);
    body = d->n * sizeof(*d->ev);
    d->ev = malloc(body ? body : 1);
    while (d->ev && (size_t)got < body) {
        ssize_t r = read(fd, (char *)d->ev + got, body - (size_t)got);

        if (r <= 0)
            break;
        got += r;
    }
    close(fd);
    if (!d->ev || (size_t)got != body) {
        snprintf(why, len, "%s: %s", path, d->ev ? "short read" :
                 "out of memory");
        free(d->ev);
        return -1;
    }
    qsort(d->ev, d->n, sizeof(*d->ev), by_seq);
    return 0;
}

/* Feeds one log's events to the converter; counts sequence gaps. */
static int feed(struct addr_trace *a, const struct log_data *d,
                uint64_t *lost, char *why, size_t len, const char *path)
{
    for (size_t i = 0; i < d->n; i++) {
        const struct reclog_event *e = &d->ev[i];
        int rc;

        switch (e->op) {
        case REC_MALLOC:
            rc = addr_alloc(a, e->ptr, e->size, 0, 0, e->tid);
            break;
        case REC_CALLOC:
            rc = addr_alloc(a, e->ptr, e->size, TRACE_ZERO, 0, e->tid);
            break;
        case REC_MEMALIGN:
            rc = addr_alloc(a, e->ptr, e->size, 0, e->align_log2, e->tid);
            break;
        case REC_FREE:
            rc = addr_free(a, e->ptr, e->tid);
            break;
        case REC_REALLOC_BEGIN:
            rc = addr_realloc_begin(a, e->ptr, e->tid);
            break;
        case REC_REALLOC_END:
            rc = addr_realloc_end(a, e->ptr, e->size, e->tid);
            break;
        default:
            snprintf(why, len, "%s: event %zu has unknown op %u", path, i,
                     e->op);
            return -1;
        }
        if (rc != 0) {
            snprintf(why, len, "out of memory converting %s", path);
            return -1;
        }
    }
    if (d->n && d->ev[d->n - 1].seq + 1 > d->n)
        *lost += d->ev[d->n - 1].seq + 1 - d->n;
    return 0;
}

/* Control characters of a command line would break a comment line. */
static void comment(FILE *f, const char *label, const char *text)
{
    fprintf(f, "# %s", label);
    for (const char *c = text; *c; c++)
        fputc((unsigned char)*c < 0x20 || *c == 0x7f ? '?' : *c, f);
    fputc('\n', f);
}

struct pid_result {
    struct addr_stats st;
    uint64_t lost;
    char exe[RECLOG_TEXT_MAX];
};

/* One pid's logs (images in order) into the trace at PATH. */
static int convert_pid(const struct recording *r, const struct log_name *logs,
                       size_t n, const char *path, struct pid_result *res,
                       char *why, size_t len)
{
    struct out_file out;
    struct addr_trace *a;
    int rc = 0;

    memset(res, 0, sizeof(*res));
    if (out_open(&out, path, why, len) != 0)
        return -1;
    a = addr_trace_new(out.f);
    if (!a) {
        out_abort(&out);
        snprintf(why, len, "out of memory");
        return -1;
    }
    trace_write_header(out.f);
    for (size_t i = 0; i < n && rc == 0; i++) {
        char log[PATH_BYTES + 80];
        struct log_data d;
        char line[64];

        snprintf(log, sizeof(log), "%s/%s", r->dir, logs[i].file);
        if ((rc = read_log(log, &d, why, len)) != 0)
            break;
        snprintf(line, sizeof(line), "xheap record: pid %" PRIu32 " image %"
                 PRIu32 " (parent %" PRIu32 "): ", d.h.pid, d.h.image,
                 d.h.ppid);
        comment(out.f, line, d.h.exe);
        comment(out.f, "  command: ", d.h.cmdline);
        snprintf(res->exe, sizeof(res->exe), "%s", d.h.exe);
        if (i > 0)
            rc = addr_trace_forget(a);
        if (rc == 0)
            rc = feed(a, &d, &res->lost, why, len, log);
        free(d.ev);
    }
    addr_trace_end(a, &res->st);
    if (rc != 0) {
        out_abort(&out);
        return -1;
    }
    return out_commit(&out, why, len);
}

static void report(const char *path, const struct pid_result *res)
{
    char what[2 * PATH_BYTES + RECLOG_TEXT_MAX];

    snprintf(what, sizeof(what), "xheap record: %s (%s)", path,
             res->exe[0] ? res->exe : "?");
    addr_stats_print(&res->st, what, stderr);
    if (res->lost)
        fprintf(stderr, "xheap record: %s: %" PRIu64 " events were lost "
                "(killed before writing its log out?)\n", path, res->lost);
}

/* Trace paths: the root's BASE; others BASE.<pid> ("-": NAME.trace.<pid>). */
static void trace_path(const struct recording *r, long pid, char *buf,
                       size_t len)
{
    if (pid == r->root)
        snprintf(buf, len, "%s", r->base);
    else if (strcmp(r->base, "-") == 0)
        snprintf(buf, len, "%s.trace.%ld", base_name(r->argv[0]), pid);
    else
        snprintf(buf, len, "%s.%ld", r->base, pid);
}

static int convert_all(const struct recording *r)
{
    size_t n, i = 0, traces = 0;
    struct log_name *logs = list_logs(r->dir, &n);
    bool root_seen = false;
    char why[PATH_BYTES + 256];
    int rc = 0;

    if (!logs) {
        fprintf(stderr, "xheap record: %s: %s\n", r->dir, strerror(errno));
        return EXIT_RUN_FAILED;
    }
    while (i < n) {
        size_t j = i;
        char path[PATH_BYTES + 32];
        struct pid_result res;

        while (j < n && logs[j].pid == logs[i].pid)
            j++;
        trace_path(r, logs[i].pid, path, sizeof(path));
        if (convert_pid(r, logs + i, j - i, path, &res, why, sizeof(why))) {
            fprintf(stderr, "xheap record: %s\n", why);
            rc = EXIT_RUN_FAILED;
        } else {
            report(strcmp(path, "-") ? path : "standard output", &res);
            root_seen |= logs[i].pid == r->root;
            traces++;
        }
        i = j;
    }
    free(logs);
    if (!root_seen && rc == 0) {
        fprintf(stderr, "xheap record: nothing was recorded from '%s': is it "
                "statically linked or setuid?\n", r->argv[0]);
        rc = convert_pid(r, NULL, 0, r->base, &(struct pid_result){ 0 }, why,
                         sizeof(why)) ? EXIT_RUN_FAILED : 0;
    }
    return rc;
}

static void remove_logs(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    if (d) {
        while ((e = readdir(d)))
            if (e->d_name[0] != '.')
                unlinkat(dirfd(d), e->d_name, 0);
        closedir(d);
    }
    rmdir(dir);
}

static int make_dir(struct recording *r)
{
    const char *tmp = getenv("TMPDIR");

    snprintf(r->dir, sizeof(r->dir), "%s/xheap-record-XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(r->dir)) {
        fprintf(stderr, "xheap record: cannot create %s: %s\n", r->dir,
                strerror(errno));
        return EXIT_RUN_FAILED;
    }
    return 0;
}

int cmd_record(int argc, char **argv)
{
    struct recording r = { .follow = true };
    int c, rc, status = 0;

    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+:o:", record_options, NULL)) != -1) {
        switch (c) {
        case OPT_HELP:
            cmd_record_help(stdout);
            return 0;
        case 'o':
            r.out = optarg;
            break;
        case OPT_FOLLOW:
            r.follow = true;
            break;
        case OPT_NO_FOLLOW:
            r.follow = false;
            break;
        default:
            return bad_option("record", c, argv);
        }
    }
    if (optind >= argc)
        return usage_error("record", "no program given (usage: xheap record "
                           "[-o FILE] -- PROGRAM [ARGS...])");
    r.argv = argv + optind;
    if (r.out)
        snprintf(r.base, sizeof(r.base), "%s", r.out);
    else
        snprintf(r.base, sizeof(r.base), "%s.trace", base_name(r.argv[0]));
    if ((rc = find_library(&r)) != 0 || (rc = make_dir(&r)) != 0)
        return rc;
    fflush(NULL);   /* the child must not repeat our buffered output */
    rc = run_program(&r, &status);
    if (rc == 0)
        rc = convert_all(&r);
    remove_logs(r.dir);
    return rc ? rc : exit_status(status);
}
