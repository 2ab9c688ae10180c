/*
 * The suite runner: experiments expand into points (drivers/suite/config.h);
 * each point is measured by a child xheap in a process of its own, so that
 * a crash, a timeout or a preloaded baseline stays inside it. The runner
 * generates traces (shared by the backends of a point, which vary
 * fastest), collects each child's JSON into results.json, and when an
 * experiment ends writes the figures' CSVs and its one-line answer.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "drivers/report/answers.h"
#include "drivers/measure/args.h"
#include "drivers/measure/calibrate.h"
#include "drivers/measure/clock.h"
#include "drivers/measure/host.h"
#include "drivers/measure/knobs.h"
#include "drivers/suite/config.h"
#include "drivers/measure/machine.h"
#include "drivers/report/priced.h"
#include "drivers/report/report.h"
#include "drivers/suite/suite.h"
#include "drivers/suite/rounds.h"
#include "workloads/gen.h"

#define RESULTS_FORMAT  "xheap-results 1"
#define CHILD_POLL_NS   (20 * 1000 * 1000)   /* how often a child is checked */
#define KILL_GRACE_S    2.0                  /* SIGTERM, then SIGKILL */
#define MAX_ARGS        64
#define DIR_LEN         2048   /* a run folder's path; files inside add less */
#define RM_FDS          16     /* folders nftw keeps open while removing */

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

struct suite {
    const struct suite_options *opt;
    struct suite_config cfg;
    struct config_env env;
    char dir[DIR_LEN];            /* the run folder */
    char self[DIR_LEN];           /* this xheap, for the children */
    json_t *root, *experiments;
    size_t done, total;
    double started;
    bool over_budget_said;
    size_t failed;                /* points that measured nothing */
    char first_error[512];        /* the first of their reasons */
    char failure[768];            /* why the run failed, when it did */
    char trace_key[512], trace_path[PATH_MAX];
    const char *calib_file;       /* --calibration, else bench.toml's */
    struct calibration calib;     /* prices each run's Xen mapping work */
    struct alternated *alt;       /* the experiment's alternated points */
};

static void utc_stamp(char *out, size_t len, const char *fmt)
{
    time_t t = time(NULL);
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, len, fmt, &tm);
}

/* ---- the run folder and results.json ---- */

/* results/<UTC>-<host>, with -2, -3 ... rather than reusing a folder. */
static int make_run_dir(struct suite *s, char *why, size_t len)
{
    char stamp[32], host[64] = "host";

    utc_stamp(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ");
    gethostname(host, sizeof host - 1);
    host[strcspn(host, ".")] = 0;
    if (mkdir(s->opt->out_root, 0755) != 0 && errno != EEXIST) {
        snprintf(why, len, "%.900s: %s", s->opt->out_root, strerror(errno));
        return -1;
    }
    for (int n = 1; n < 1000; n++) {
        if (n == 1)
            snprintf(s->dir, sizeof s->dir, "%s/%s-%s", s->opt->out_root,
                     stamp, host);
        else
            snprintf(s->dir, sizeof s->dir, "%s/%s-%s-%d", s->opt->out_root,
                     stamp, host, n);
        if (mkdir(s->dir, 0755) == 0)
            return 0;
        if (errno != EEXIST)
            break;
    }
    snprintf(why, len, "%.900s: %s", s->dir, strerror(errno));
    return -1;
}

static int make_subdir(const char *dir, const char *sub)
{
    char path[PATH_MAX];

    if ((size_t)snprintf(path, sizeof path, "%.2047s/%.1024s", dir, sub) >=
        sizeof path)
        return -1;
    return mkdir(path, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

/* The source tree's revision, "-dirty" when it has local changes. git is
 * run with an argument list, never through a shell: the path is the user's. */
static void git_revision(const char *self, char *out, size_t len)
{
    char src[PATH_MAX];
    int fds[2];
    ssize_t n = 0, got;
    pid_t pid;

    snprintf(out, len, "unknown");
    snprintf(src, sizeof src, "%s", self);
    for (int up = 0; up < 2; up++)           /* build/xheap -> the tree */
        *(strrchr(src, '/') ? strrchr(src, '/') : src) = 0;
    if (pipe(fds) != 0)
        return;
    pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);

        dup2(fds[1], STDOUT_FILENO);
        if (null >= 0)
            dup2(null, STDERR_FILENO);
        close(fds[0]);
        execlp("git", "git", "-C", src[0] ? src : ".", "describe", "--always",
               "--dirty", (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    while (pid > 0 && (size_t)n < len - 1 &&
           (got = read(fds[0], out + n, len - 1 - (size_t)n)) > 0)
        n += got;
    close(fds[0]);
    if (pid > 0)
        waitpid(pid, NULL, 0);
    out[n] = 0;
    out[strcspn(out, "\n")] = 0;
    if (!out[0])
        snprintf(out, len, "unknown");
}

/* The run stops at its first failure to save: a measurement that cannot be
 * recorded is not worth taking. */
static int save_results(struct suite *s)
{
    char path[PATH_MAX], tmp[PATH_MAX + 8];
    int err;

    snprintf(path, sizeof path, "%s/results.json", s->dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    errno = 0;
    if (json_dump_file(s->root, tmp, JSON_INDENT(1) | JSON_SORT_KEYS) == 0 &&
        rename(tmp, path) == 0)
        return 0;
    err = errno ? errno : EIO;
    unlink(tmp);
    if (!s->failure[0])
        snprintf(s->failure, sizeof s->failure, "cannot write %.700s: %s",
                 path, strerror(err));
    return -1;
}

static void start_results(struct suite *s)
{
    struct machine_info m;
    char started[32], rev[96], cmd[PATH_MAX + 64];

    machine_probe(&m);
    utc_stamp(started, sizeof started, "%Y-%m-%dT%H:%M:%SZ");
    git_revision(s->self, rev, sizeof rev);
    snprintf(cmd, sizeof cmd, "xheap run %s%s", s->opt->config,
             s->opt->quick ? " --quick" : "");
    s->experiments = json_array();
    s->root = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:o, s:o, s:O}",
                        "format", RESULTS_FORMAT, "status", "incomplete",
                        "started", started, "git_revision", rev,
                        "command", cmd, "quick", s->opt->quick,
                        "machine", machine_json(&m),
                        "config", config_json(&s->cfg),
                        "experiments", s->experiments);
    answers_machine(json_object_get(s->root, "machine"));
}

/* ---- the children ---- */

struct argv_builder {
    int n;
    char *v[MAX_ARGS + 1];
    char store[MAX_ARGS][PATH_MAX];
};

static void arg(struct argv_builder *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void arg(struct argv_builder *a, const char *fmt, ...)
{
    va_list ap;

    if (a->n == MAX_ARGS)
        return;
    va_start(ap, fmt);
    vsnprintf(a->store[a->n], PATH_MAX, fmt, ap);
    va_end(ap);
    a->v[a->n] = a->store[a->n];
    a->v[++a->n] = NULL;
}

/* The model knobs, every one said, so that a child's log is complete. */
static void model_args(struct argv_builder *a, const struct heap_config *m)
{
    char buf[64];

    for (unsigned i = 0; i < KNOB_MODEL_N; i++)
        if (knob_arg(i, m, buf, sizeof buf))
            arg(a, "%s", buf);
}

static void counters_arg(struct argv_builder *a, const struct run_config *r)
{
    arg(a, "--counters=%s", r->counters && r->counters[0] ? r->counters
                                                          : "none");
}

static void replay_args(struct argv_builder *a, const struct config_point *pt,
                        const char *trace, const char *json,
                        const char *placements)
{
    const struct run_config *r = &pt->exp->run;

    arg(a, "xheap");
    arg(a, "replay");
    arg(a, "--backend=%s", pt->backend);
    arg(a, "--trace=%s", trace);
    model_args(a, &pt->model);
    arg(a, "--threads=%u", pt->threads);
    arg(a, "--pin=%s", pin_mode_name(r->pin));
    arg(a, "--flush-peers=%u", pt->flush_peers);
    arg(a, "--repetitions=%u", pt->repetitions);
    arg(a, "--warmup=%u", pt->warmup);
    arg(a, "--seed=%llu", (unsigned long long)r->seed);
    counters_arg(a, r);
    arg(a, "--json=%s", json);
    if (placements)
        arg(a, "--placements=%s", placements);
}

static void access_args(struct argv_builder *a, const struct config_point *pt,
                        const char *json)
{
    arg(a, "xheap");
    arg(a, "access");
    arg(a, "--backend=%s", pt->backend);
    model_args(a, &pt->model);
    arg(a, "--working-set=%llu", (unsigned long long)pt->access.working_set);
    arg(a, "--block=%llu", (unsigned long long)pt->access.block);
    arg(a, "--accesses=%llu", (unsigned long long)pt->access.accesses);
    arg(a, "--pattern=%s", pt->access.sequential ? "sequential" : "random");
    if (pt->access.write)
        arg(a, "--write");
    arg(a, "--repetitions=%u", pt->repetitions);
    counters_arg(a, &pt->exp->run);
    arg(a, "--json=%s", json);
}

/* Stops a child and everything it started, gently first. */
static void stop_child(pid_t pid, int *status)
{
    double until = clock_s() + KILL_GRACE_S;

    kill(-pid, SIGTERM);
    while (waitpid(pid, status, WNOHANG) == 0) {
        if (clock_s() > until) {
            kill(-pid, SIGKILL);
            waitpid(pid, status, 0);
            return;
        }
        nanosleep(&(struct timespec){ 0, CHILD_POLL_NS }, NULL);
    }
}

/*
 * Forks a child in a process group of its own, so that it and whatever it
 * starts are stopped as one, and that dies with this runner however the
 * runner ends (SIGKILL too, which no handler sees): a replay left behind
 * would keep its flush peers spinning on every CPU. Returns fork's value.
 */
static pid_t fork_child(void)
{
    pid_t parent = getpid(), pid = fork();

    if (pid > 0)
        setpgid(pid, pid);
    if (pid != 0)
        return pid;
    setpgid(0, 0);
    /* A runner that died before prctl took effect left us to init. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
        _exit(127);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    return 0;
}

/* Waits for child PID until DEADLINE (clock_s() time) or an interruption; 0
 * when it exited 0, else -1 with why in WHY (LOG is named when given) and
 * its exit status in *CODE (0 when it did not exit). */
static int wait_child(pid_t pid, double deadline, double timeout_s,
                      const char *log, int *code, char *why, size_t len)
{
    int status = 0;

    *code = 0;

    while (waitpid(pid, &status, WNOHANG) == 0) {
        if (stop_requested) {
            stop_child(pid, &status);
            snprintf(why, len, "interrupted");
            return -1;
        }
        if (clock_s() > deadline) {
            stop_child(pid, &status);
            snprintf(why, len, "ran past its %.0f s limit (point_timeout)",
                     timeout_s);
            return -1;
        }
        nanosleep(&(struct timespec){ 0, CHILD_POLL_NS }, NULL);
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (WIFSIGNALED(status))
        snprintf(why, len, "killed by signal %d%s%.900s", WTERMSIG(status),
                 log ? "; see " : "", log ? log : "");
    else if ((*code = WEXITSTATUS(status)))
        snprintf(why, len, "exit status %d%s%.900s", WEXITSTATUS(status),
                 log ? "; see " : "", log ? log : "");
    return -1;
}

/* A child stopped midway (a timeout, a signal) leaves the temporary files
 * of its outputs behind: out_file renames them only when it finishes. */
static void drop_partial_outputs(char **argv)
{
    static const char *const outputs[] = { "--json=", "--placements=" };
    char tmp[PATH_MAX + 8];

    for (char **a = argv; *a; a++)
        for (size_t k = 0; k < sizeof outputs / sizeof outputs[0]; k++)
            if (strncmp(*a, outputs[k], strlen(outputs[k])) == 0) {
                snprintf(tmp, sizeof tmp, "%s.tmp", *a + strlen(outputs[k]));
                unlink(tmp);
            }
}

/* Runs xheap with ARGV and its output in LOG; 0 when it exited 0, else -1
 * with why it did not. */
static int run_child(struct suite *s, char **argv, const char *log,
                     double deadline, double timeout_s, char *why, size_t len)
{
    pid_t pid = fork_child();
    int code;

    if (pid < 0) {
        snprintf(why, len, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
        }
        execv(s->self, argv);
        _exit(127);
    }
    if (wait_child(pid, deadline, timeout_s, log, &code, why, len) == 0)
        return 0;
    drop_partial_outputs(argv);
    return -1;
}

/* The children of alternated points (rounds.h): Q1's under their own
 * budget's limit, the others under the suite's point timeout. */
static int child_for_rounds(void *ctx, char **argv, const char *log,
                            char *why, size_t len)
{
    struct suite *s = ctx;
    const char *timeout = NULL;
    double limit;

    for (char **a = argv; *a; a++)
        if (strncmp(*a, "--max-seconds=", 14) == 0)
            timeout = *a + 14;
    /* The child stops itself by its budget; the timeout is the backstop:
     * alternate.c's busy-machine limit plus a margin, or the point
     * timeout where that is longer (a busy machine's limit grows with
     * the time a round takes: Q7's rounds without a directmap). */
    limit = timeout ? fmax(4 * atof(timeout) + 30,
                           s->cfg.run.point_timeout_s)
                    : s->cfg.run.point_timeout_s;
    return run_child(s, argv, log, clock_s() + (limit > 0 ? limit : 1e12),
                     limit, why, len);
}

/* ---- traces ---- */

/* The child that writes a trace: its exit status is 0 or the errno of the
 * failure (1 .. 125), so that the runner can say why. */
static void generate(const struct config_point *pt, const char *tmp)
{
    FILE *f = fopen(tmp, "w");
    int rc = f ? gen_write(pt->exp->workload, &pt->gen, f) : -1;

    if (f && fclose(f) != 0)
        rc = -1;
    _exit(rc == 0 ? 0 : errno > 0 && errno < 126 ? errno : EIO);
}

/*
 * The generated trace of a point; backends of one point share it. It is
 * written by a child, so that an interruption or point_timeout stops a
 * long generation as it stops a replay.
 */
static int point_trace(struct suite *s, const struct config_point *pt,
                       double deadline, char *why, size_t len)
{
    const struct experiment *e = pt->exp;
    char key[sizeof s->trace_key], tmp[PATH_MAX + 16], sub[128];
    size_t at;
    int rc, code;
    pid_t pid;

    if (e->trace) {
        snprintf(s->trace_path, sizeof s->trace_path, "%s", e->trace);
        return 0;
    }
    at = (size_t)snprintf(key, sizeof key, "%s|%zu|%u|%llu", e->name,
                          pt->model.page_size, pt->threads,
                          (unsigned long long)pt->gen.events);
    /* Every sweep counts: some workloads read model knobs (aging's
     * memory and max_order). */
    for (size_t i = 0; i < e->n_sweeps && at < sizeof key; i++)
        at += (size_t)snprintf(key + at, sizeof key - at, "|%zu",
                               pt->choice[i]);
    if (strcmp(key, s->trace_key) == 0)
        return 0;
    s->trace_key[0] = 0;
    snprintf(s->trace_path, sizeof s->trace_path, "%s/traces/%s-%zu.trace",
             s->dir, e->name, pt->index);
    snprintf(tmp, sizeof tmp, "%s.tmp", s->trace_path);
    pid = fork_child();
    if (pid == 0)
        generate(pt, tmp);
    if (pid < 0) {
        snprintf(why, len, "fork: %s", strerror(errno));
        return -1;
    }
    rc = wait_child(pid, deadline, e->run.point_timeout_s, NULL, &code, sub,
                    sizeof sub);
    if (rc == 0 && rename(tmp, s->trace_path) != 0) {
        code = errno;
        rc = -1;
    }
    if (rc != 0) {
        snprintf(why, len, "generating %.800s: %s", s->trace_path,
                 code > 0 && code < 126 ? strerror(code) : sub);
        unlink(tmp);
        return -1;
    }
    snprintf(s->trace_key, sizeof s->trace_key, "%s", key);
    return 0;
}

/* ---- one point ---- */

static json_t *workload_json(const struct config_point *pt)
{
    const struct experiment *e = pt->exp;

    if (e->kind == EXP_ACCESS)
        return json_pack("{s:s, s:I, s:I, s:I}", "name", "access",
                         "working_set", (json_int_t)pt->access.working_set,
                         "block", (json_int_t)pt->access.block,
                         "accesses", (json_int_t)pt->access.accesses);
    /* "note": defaults the generator shrank to fit the events, if any. */
    return json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:s*}",
                     "name", e->workload ? e->workload->name : "trace",
                     "events", (json_int_t)pt->gen.events,
                     "size", (json_int_t)pt->gen.size,
                     "min_size", (json_int_t)pt->gen.min_size,
                     "max_size", (json_int_t)pt->gen.max_size,
                     "pages", (json_int_t)pt->gen.pages,
                     "note", pt->gen.note[0] ? pt->gen.note : NULL);
}

static json_t *new_run(const struct config_point *pt)
{
    json_t *run = config_point_json(pt);

    json_object_set_new(run, "workload", workload_json(pt));
    json_object_set_new(run, "model", json_pack(
        "{s:s, s:b, s:b, s:I, s:I}", "flush", flush_policy_name(pt->model.flush),
        "directmap", pt->model.directmap, "scrub", pt->model.scrub,
        "xenheap", (json_int_t)pt->model.xenheap_bytes,
        "memory", (json_int_t)pt->model.memory_bytes));
    return run;
}

static void say_progress(struct suite *s, const json_t *run, double took)
{
    double elapsed = clock_s() - s->started;
    unsigned left = s->done ? (unsigned)(elapsed / (double)s->done *
                                         (double)(s->total - s->done)) : 0;
    const char *err = json_string_value(json_object_get(run, "error"));
    const char *id = json_string_value(json_object_get(run, "id"));

    fprintf(stderr, "[%4zu/%zu %3.0f%%] %-46s %6.1f s  ~%um%02us left%s%s\n",
            s->done, s->total, 100.0 * (double)s->done / (double)s->total,
            id ? id : "?", took, left / 60, left % 60,
            err ? "  FAILED: " : "", err ? err : "");
}

/* ---- alternated points (rounds.h) ---- */

struct alternated {
    size_t n;
    struct rounds_job *jobs;
    struct rounds_rep_job *reps;  /* baselines across processes instead */
    struct argv_builder *argv;
    char (*path)[2][PATH_MAX + 8];   /* the JSON, the log */
};

static void alternated_free(struct suite *s)
{
    if (!s->alt)
        return;
    free(s->alt->jobs);
    free(s->alt->reps);
    free(s->alt->argv);
    free(s->alt->path);
    free(s->alt);
    s->alt = NULL;
}

/* When the trace of one of E's alternated points must be made by:
 * point_timeout covers generation here too (its replays have their own
 * limits, child_for_rounds). */
static double generation_deadline(const struct experiment *e)
{
    double timeout = e->run.point_timeout_s;

    return clock_s() + (timeout > 0 ? timeout : 1e12);
}

/* Alternated point M (point I of E): its JSON and log paths and the
 * replay's argv, to which the caller adds how it alternates. */
static void alternated_point(struct suite *s, const struct experiment *e,
                             size_t i, const struct config_point *pt,
                             size_t m)
{
    struct alternated *al = s->alt;

    snprintf(al->path[m][0], sizeof al->path[m][0], "%s/runs/%s/%zu-%s"
             ".json", s->dir, e->name, i, pt->backend);
    snprintf(al->path[m][1], sizeof al->path[m][1], "%s/runs/%s/%zu-%s"
             ".log", s->dir, e->name, i, pt->backend);
    replay_args(&al->argv[m], pt, s->trace_path, al->path[m][0], NULL);
}

/* E lists a baseline: every point, one repetition a process, round after
 * round in an order drawn afresh (rounds_across_schedule). */
static void across_points(struct suite *s, const struct experiment *e,
                          size_t n)
{
    struct alternated *al = s->alt;
    struct config_point pt;
    unsigned rounds = 0;
    char why[1024];
    double t0 = clock_s();

    if (e->kind != EXP_REPLAY || !(al->reps = calloc(n, sizeof *al->reps)))
        return;
    for (size_t i = 0; i < n; i++) {
        size_t m = al->n;

        if (config_point(e, &s->env, i, &pt, why, sizeof why) != 0 ||
            point_trace(s, &pt, generation_deadline(e), why,
                        sizeof why) != 0)
            continue;
        alternated_point(s, e, i, &pt, m);
        arg(&al->argv[m], "--repetitions=1");
        al->reps[m] = (struct rounds_rep_job){ .argv = al->argv[m].v,
            .json = al->path[m][0], .log = al->path[m][1] };
        if (rounds_across_count(&pt) > rounds)
            rounds = rounds_across_count(&pt);
        al->n++;
    }
    if (!al->n)
        return;
    fprintf(stderr, "   %u rounds over %zu points, a process each\n",
            rounds, al->n);
    rounds_across_schedule(al->reps, al->n, rounds, e->run.seed,
                           &stop_requested, child_for_rounds, s);
    fprintf(stderr, "   %.1f s\n", clock_s() - t0);
}

/* Whether files A and B hold the same bytes. */
static bool same_file(const char *a, const char *b)
{
    FILE *fa = fopen(a, "r"), *fb = fopen(b, "r");
    char ba[65536], bb[sizeof ba];
    size_t na, nb;
    bool same = fa && fb;

    while (same) {
        na = fread(ba, 1, sizeof ba, fa);
        nb = fread(bb, 1, sizeof bb, fb);
        same = na == nb && memcmp(ba, bb, na) == 0;
        if (na < sizeof ba)
            break;
    }
    if (fa)
        fclose(fa);
    if (fb)
        fclose(fb);
    return same;
}

/*
 * The trace of PT, made last (s->trace_path is it), and whether each of
 * its SIDES' traces is the same: then the sides replay the same requests
 * in one process. A workload whose sizes are in pages gives other
 * requests at another page size, and those points cannot be paired.
 */
static int side_traces(struct suite *s, const struct experiment *e,
                       const struct config_point *pt,
                       const struct rounds_sides *sides, bool *same,
                       char *why, size_t len)
{
    char paths[ROUNDS_MAX_SIDES][PATH_MAX];
    struct config_point side;

    *same = true;
    for (size_t k = 0; k < sides->n; k++) {
        if (config_point(e, &s->env, sides->point[k], &side, why, len) != 0 ||
            point_trace(s, &side, generation_deadline(e), why, len) != 0)
            return -1;
        snprintf(paths[k], sizeof paths[k], "%s", s->trace_path);
    }
    if (point_trace(s, pt, generation_deadline(e), why, len) != 0)
        return -1;
    for (size_t k = 0; k < sides->n; k++)
        *same &= same_file(paths[k], s->trace_path);
    return 0;
}

/* Before E's points are collected: its alternated points measured,
 * process by process across them (rounds_schedule). */
static void alternate_points(struct suite *s, const struct experiment *e)
{
    size_t n = config_points(e, &s->env);
    struct alternated *al = calloc(1, sizeof *al);
    struct config_point pt;
    struct rounds_args ra;
    struct rounds_sides sides;
    char why[1024];
    double t0 = clock_s();
    unsigned procs = 0;
    bool same = true;

    if (!al || !(al->jobs = calloc(n, sizeof *al->jobs)) ||
        !(al->argv = calloc(n, sizeof *al->argv)) ||
        !(al->path = calloc(n, sizeof *al->path))) {
        s->alt = al;
        alternated_free(s);
        return;   /* measure_point says what is missing */
    }
    s->alt = al;
    if (rounds_across(e)) {
        across_points(s, e, n);
        return;
    }
    for (size_t i = 0; i < n && e->kind == EXP_REPLAY; i++) {
        size_t m = al->n;

        if (config_point(e, &s->env, i, &pt, why, sizeof why) != 0 ||
            !rounds_alternate_args(&pt, &s->env, &ra, &sides) ||
            side_traces(s, e, &pt, &sides, &same, why, sizeof why) != 0)
            continue;
        if (!same) {   /* other requests at another model: across */
            fprintf(stderr, "   the models' traces differ: alternating "
                    "across processes\n");
            al->n = 0;
            memset(al->argv, 0, n * sizeof *al->argv);
            across_points(s, e, n);
            return;
        }
        alternated_point(s, e, i, &pt, m);
        for (int k = 0; k < ra.n; k++)
            arg(&al->argv[m], "%s", ra.v[k]);
        al->jobs[m] = (struct rounds_job){ .argv = al->argv[m].v,
            .json = al->path[m][0], .log = al->path[m][1],
            .ratio = sides.n > 0 };
        al->n++;
    }
    if (!al->n)
        return;
    fprintf(stderr, "   alternating %zu points, process by process\n", al->n);
    rounds_schedule(al->jobs, al->n, s->opt->quick, e->run.seed,
                    &stop_requested, child_for_rounds, s);
    for (size_t m = 0; m < al->n; m++)
        procs += al->jobs[m].k;
    fprintf(stderr, "   %u processes in %.1f s\n", procs, clock_s() - t0);
}

/* What alternate_points left for the point whose JSON is JSON. */
static int alternated_result(struct suite *s, const char *json, char *why,
                             size_t len)
{
    for (size_t m = 0; s->alt && m < s->alt->n; m++) {
        bool rep = s->alt->reps != NULL;
        const char *path = rep ? s->alt->reps[m].json : s->alt->jobs[m].json;

        if (strcmp(path, json) != 0)
            continue;
        if (!(rep ? s->alt->reps[m].failed : s->alt->jobs[m].failed))
            return 0;
        snprintf(why, len, "%s", rep ? s->alt->reps[m].why
                                     : s->alt->jobs[m].why);
        return -1;
    }
    snprintf(why, len, "not measured: %s", stop_requested ? "interrupted"
                                                           : "out of memory");
    return -1;
}

static void measure_point(struct suite *s, const struct experiment *e,
                          size_t i, json_t *runs)
{
    struct config_point pt;
    struct argv_builder *a = calloc(1, sizeof *a);
    char why[1024] = "", base[PATH_MAX], json[PATH_MAX + 8], log[PATH_MAX + 8],
         placements[PATH_MAX + 16];
    const char *workload = e->workload ? e->workload->name : NULL;
    double t0 = clock_s(), timeout = e->run.point_timeout_s;
    /* point_timeout covers the whole point: its trace, then its replay. */
    double deadline = t0 + (timeout > 0 ? timeout : 1e12);
    json_t *run = NULL;
    struct rounds_args ra = { 0 };
    struct rounds_sides sides;

    if (!a || config_point(e, &s->env, i, &pt, why, sizeof why) != 0) {
        run = json_pack("{s:s, s:s}", "experiment", e->name,
                        "error", a ? why : "out of memory");
        goto out;
    }
    run = new_run(&pt);
    snprintf(base, sizeof base, "%s/runs/%s/%zu-%s", s->dir, e->name, i,
             pt.backend);
    snprintf(json, sizeof json, "%s.json", base);
    snprintf(log, sizeof log, "%s.log", base);
    snprintf(placements, sizeof placements, "%s.placements.csv", base);
    if (e->kind == EXP_ACCESS) {
        access_args(a, &pt, json);
    } else {
        if (point_trace(s, &pt, deadline, why, sizeof why) != 0)
            goto failed;
        replay_args(a, &pt, s->trace_path, json,
                    answers_want_placements(workload) ? placements : NULL);
        if (rounds_alternate_args(&pt, &s->env, &ra, &sides)) /* rounds.h */
            for (int k = 0; k < ra.n; k++)
                arg(a, "%s", ra.v[k]);
    }
    /* alternate_points measured it: alone, or across processes */
    if ((ra.n || (s->alt && s->alt->reps)
             ? alternated_result(s, json, why, sizeof why)
             : run_child(s, a->v, log, deadline, timeout, why,
                         sizeof why)) != 0)
        goto failed;
    if (answers_collect(run, e->kind == EXP_ACCESS ? ANSWERS_ACCESS
                                                   : ANSWERS_REPLAY,
                        workload, json, s->trace_path, placements, why,
                        sizeof why) != 0)
        goto failed;
    if (e->kind != EXP_ACCESS)
        priced_collect(run, json, &s->calib);
    json_object_set_new(run, "replay", json_string(json + strlen(s->dir) + 1));
    goto out;

failed:
    json_object_set_new(run, "error", json_string(why));
    if (!s->failed++)
        snprintf(s->first_error, sizeof s->first_error, "%s: %s",
                 json_string_value(json_object_get(run, "id")) ?: e->name, why);
out:
    free(a);
    json_object_set_new(run, "seconds", json_real(clock_s() - t0));
    json_array_append_new(runs, run);
    s->done++;
    say_progress(s, run, clock_s() - t0);
}

/* ---- experiments ---- */

static bool chosen(const struct suite *s, const struct experiment *e)
{
    if (!s->opt->n_only)
        return config_runs(e, &s->env);
    for (size_t i = 0; i < s->opt->n_only; i++)
        if (strcmp(s->opt->only[i], e->name) == 0)
            return true;
    return false;
}

static json_t *new_experiment(const struct experiment *e, const char *status)
{
    json_t *x = json_pack("{s:s, s:s?, s:s, s:s, s:o, s:[], s:n, s:n}",
                          "name", e->name, "label", e->label,
                          "title", e->description ? e->description : e->name,
                          "status", status,
                          "question", e->question ? json_integer(e->question)
                                                  : json_null(),
                          "runs", "figure", "answer");
    json_object_set_new(x, "config", config_experiment_json(e));
    return x;
}

static void run_experiment(struct suite *s, const struct experiment *e)
{
    size_t n = config_points(e, &s->env);
    json_t *x = new_experiment(e, "incomplete"), *runs;
    char sub[PATH_MAX];

    json_array_append_new(s->experiments, x);
    runs = json_object_get(x, "runs");
    snprintf(sub, sizeof sub, "runs/%s", e->name);
    make_subdir(s->dir, sub);
    fprintf(stderr, "== %s (%s): %zu measurements\n", e->name, e->label, n);
    alternate_points(s, e);
    for (size_t i = 0; i < n && !stop_requested && !s->failure[0]; i++) {
        measure_point(s, e, i, runs);
        save_results(s);
    }
    alternated_free(s);
    if (!stop_requested && !s->failure[0])
        json_object_set_new(x, "status", json_string("complete"));
    answers_experiment(x, s->experiments, s->dir);
    save_results(s);
    if (!s->over_budget_said && clock_s() - s->started >
        (s->opt->quick ? s->cfg.run.quick_budget_s : s->cfg.run.budget_s)) {
        fprintf(stderr, "xheap run: past the suite's time budget; going on\n");
        s->over_budget_said = true;
    }
}

static void count_points(struct suite *s)
{
    for (size_t i = 0; i < s->cfg.n_experiments; i++)
        if (chosen(s, &s->cfg.experiments[i]))
            s->total += config_points(&s->cfg.experiments[i], &s->env);
}

static void list_points(struct suite *s)
{
    for (size_t i = 0; i < s->cfg.n_experiments; i++) {
        const struct experiment *e = &s->cfg.experiments[i];

        if (!chosen(s, e))
            continue;
        printf("%-22s %-15s %4zu points  %s\n", e->name, e->label,
               config_points(e, &s->env), e->workload ? e->workload->name
               : e->kind == EXP_ACCESS ? "access" : "trace");
    }
    printf("%zu measurements in all\n", s->total);
}

static int check_only(const struct suite *s)
{
    for (size_t i = 0; i < s->opt->n_only; i++)
        if (!config_find(&s->cfg, s->opt->only[i])) {
            fprintf(stderr, "xheap run: %s has no experiment '%s'\n",
                    s->opt->config, s->opt->only[i]);
            return -1;
        }
    return 0;
}

/* A run that measured nothing failed, even when every point ran. */
static void judge(struct suite *s)
{
    if (s->failure[0] || stop_requested)
        return;
    if (s->total == 0)
        snprintf(s->failure, sizeof s->failure, "no measurement to take");
    else if (s->failed == s->done)
        snprintf(s->failure, sizeof s->failure, "every measurement failed; "
                 "the first: %.600s", s->first_error);
}

/* The instrument's resolution (rounds.h), after the experiments; then
 * every answer again, so that each can say what is below it. */
static void measure_resolution(struct suite *s)
{
    struct argv_builder *a = calloc(1, sizeof *a);
    struct rounds_args ra;
    char why[1024] = "", trace[PATH_MAX], json[PATH_MAX], log[PATH_MAX];
    json_t *res = NULL, *x;
    size_t i;

    snprintf(trace, sizeof trace, "%s/traces/resolution.trace", s->dir);
    snprintf(json, sizeof json, "%s/runs/resolution.json", s->dir);
    snprintf(log, sizeof log, "%s/runs/resolution.log", s->dir);
    fprintf(stderr, "== resolution: null against null plus %s ns\n",
            ROUNDS_RES_DELAYS);
    if (a && rounds_resolution_trace(trace, why, sizeof why) == 0) {
        arg(a, "xheap");
        arg(a, "replay");
        arg(a, "--backend=null");
        arg(a, "--trace=%s", trace);
        arg(a, "--json=%s", json);
        rounds_resolution_args(s->opt->quick, &ra);
        for (int k = 0; k < ra.n; k++)
            arg(a, "%s", ra.v[k]);
        /* Under its own budget (--max-seconds), as alternated points. */
        if (child_for_rounds(s, a->v, log, why, sizeof why) == 0)
            res = rounds_resolution_read(json, why, sizeof why);
    }
    free(a);
    if (!res) {
        fprintf(stderr, "xheap run: resolution not measured: %s\n", why);
        res = json_pack("{s:n, s:s}", "resolution_ns", "error", why);
    }
    json_object_set_new(s->root, "resolution", res);
    answers_resolution(res);
    json_array_foreach(s->experiments, i, x)
        answers_experiment(x, s->experiments, s->dir);
}

/*
 * The final results.json and the report. When results.json cannot be
 * written, the one an earlier point left is removed too: it would describe
 * a run still under way. What finished stays in runs/.
 */
static void finish(struct suite *s)
{
    char finished[32], why[1024] = "", path[PATH_MAX];
    int rc;

    judge(s);
    utc_stamp(finished, sizeof finished, "%Y-%m-%dT%H:%M:%SZ");
    json_object_set_new(s->root, "finished", json_string(finished));
    json_object_set_new(s->root, "status", json_string(
        stop_requested ? "incomplete" : s->failure[0] ? "failed"
                                                      : "complete"));
    if (s->failure[0])
        json_object_set_new(s->root, "failure", json_string(s->failure));
    answers_figures(s->experiments, s->dir);
    json_object_set_new(s->root, "answers", answers_list(s->experiments));
    if (save_results(s) != 0) {
        snprintf(path, sizeof path, "%s/results.json", s->dir);
        unlink(path);
        fprintf(stderr, "xheap run: failed: %s; %s has no results.json (the "
                "measurements that finished are in runs/)\n", s->failure,
                s->dir);
        return;
    }
    if (s->failure[0])
        fprintf(stderr, "xheap run: failed: %s\n", s->failure);
    else if (s->failed)
        fprintf(stderr, "xheap run: %zu of %zu measurements failed; see "
                "report.txt\n", s->failed, s->done);
    rc = report_render(s->dir, why, sizeof why);
    if (why[0])
        fprintf(stderr, "xheap run: report: %s\n", why);
    if (rc == 0)
        fprintf(stderr, "xheap run: %s/report.txt\n", s->dir);
}

static int remove_entry(const char *path, const struct stat *st, int type,
                        struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

/* The traces folder, with the C library: the path is the user's (--out),
 * and no user text may reach a shell. Links are removed, never followed. */
static void remove_traces(struct suite *s)
{
    char path[PATH_MAX];

    if (s->opt->keep_traces)
        return;
    snprintf(path, sizeof path, "%s/traces", s->dir);
    if (nftw(path, remove_entry, RM_FDS, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) != 0
        && errno != ENOENT)
        fprintf(stderr, "xheap run: could not remove %s: %s\n", path,
                strerror(errno));
}

/*
 * The units Xen's mapping work is priced with: the quick calibration (a few
 * seconds), the user's file over it, kept as calibration.json beside
 * results.json (docs/calibrate.md).
 */
static void calibrate(struct suite *s)
{
    char path[PATH_MAX], why[1024];
    json_t *j;

    fprintf(stderr, "xheap run: calibrating Xen's mapping units (quick)\n");
    calib_init(&s->calib);
    calib_measure(&s->calib, true, NULL);
    if (s->calib_file && calib_load_file(&s->calib, s->calib_file, why,
                                         sizeof why) != 0)
        fprintf(stderr, "xheap run: %s\n", why);   /* read once already */
    snprintf(path, sizeof path, "%s/calibration.json", s->dir);
    j = calib_json(&s->calib);
    if (!j || json_dump_file(j, path, JSON_INDENT(2)) != 0)
        fprintf(stderr, "xheap run: cannot write %s\n", path);
    json_decref(j);
}

static int prepare(struct suite *s, const struct suite_options *o)
{
    char why[1024];

    memset(s, 0, sizeof *s);
    s->opt = o;
    if (config_load(o->config, &s->cfg, why, sizeof why) != 0) {
        fprintf(stderr, "xheap run: %s\n", why);
        return EXIT_USAGE;
    }
    if (check_only(s) != 0)
        return EXIT_USAGE;
    s->calib_file = o->calibration ? o->calibration : s->cfg.calibration;
    calib_init(&s->calib);     /* a bad file is bad input, before any work */
    if (s->calib_file && calib_load_file(&s->calib, s->calib_file, why,
                                         sizeof why) != 0) {
        fprintf(stderr, "xheap run: %s\n", why);
        return EXIT_USAGE;
    }
    s->env.cores = (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
    s->env.quick = o->quick;
    count_points(s);
    if (host_self_exe(s->self, sizeof s->self) != 0) {
        fprintf(stderr, "xheap run: cannot find this program: %s\n",
                strerror(errno));
        return EXIT_RUN_FAILED;
    }
    return 0;
}

int suite_run(const struct suite_options *o)
{
    struct suite s;
    char why[1024];
    int rc = prepare(&s, o);

    if (rc != 0 || o->list) {
        if (rc == 0)
            list_points(&s);
        config_free(&s.cfg);
        return rc;
    }
    if (make_run_dir(&s, why, sizeof why) != 0 ||
        make_subdir(s.dir, "runs") != 0 || make_subdir(s.dir, "traces") != 0) {
        fprintf(stderr, "xheap run: cannot make the results folder: %s\n", why);
        config_free(&s.cfg);
        return EXIT_RUN_FAILED;
    }
    signal(SIGINT, on_stop);
    signal(SIGTERM, on_stop);
    signal(SIGHUP, on_stop);      /* its terminal closed: stop as for ^C */
    signal(SIGXFSZ, SIG_IGN);     /* a file-size limit: EFBIG, said */
    calibrate(&s);
    s.started = clock_s();
    start_results(&s);
    json_object_set_new(s.root, "calibration", priced_calibration_json(
        &s.calib, "calibration.json", s.calib_file));
    save_results(&s);
    fprintf(stderr, "xheap run: %zu measurements into %s\n", s.total, s.dir);
    for (size_t i = 0; i < s.cfg.n_experiments && !stop_requested &&
                       !s.failure[0]; i++)
        if (chosen(&s, &s.cfg.experiments[i]))
            run_experiment(&s, &s.cfg.experiments[i]);
    /* The resolution qualifies answers: none to qualify, none measured. */
    if (!stop_requested && !s.failure[0] && s.failed < s.done)
        measure_resolution(&s);
    if (stop_requested)
        fprintf(stderr, "xheap run: interrupted; %s keeps what finished and "
                "is marked incomplete\n", s.dir);
    finish(&s);
    remove_traces(&s);
    json_decref(s.root);
    config_free(&s.cfg);
    return stop_requested || s.failure[0] ? EXIT_RUN_FAILED : 0;
}
