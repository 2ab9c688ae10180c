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
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "drivers/report/answers.h"
#include "drivers/measure/args.h"
#include "drivers/suite/config.h"
#include "drivers/measure/machine.h"
#include "drivers/report/report.h"
#include "drivers/suite/suite.h"
#include "workloads/gen.h"

#define RESULTS_FORMAT  "xheap-results 1"
#define CHILD_POLL_NS   (20 * 1000 * 1000)   /* how often a child is checked */
#define KILL_GRACE_S    2.0                  /* SIGTERM, then SIGKILL */
#define MAX_ARGS        64
#define DIR_LEN         2048   /* a run folder's path; files inside add less */

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
    char trace_key[512], trace_path[PATH_MAX];
};

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

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

/* The source tree's revision, "-dirty" when it has local changes. */
static void git_revision(const char *self, char *out, size_t len)
{
    char cmd[PATH_MAX + 96], src[PATH_MAX];
    FILE *p;

    snprintf(out, len, "unknown");
    snprintf(src, sizeof src, "%s", self);
    for (int up = 0; up < 2; up++)           /* build/xheap -> the tree */
        *(strrchr(src, '/') ? strrchr(src, '/') : src) = 0;
    snprintf(cmd, sizeof cmd, "git -C '%s' describe --always --dirty "
             "2>/dev/null", src[0] ? src : ".");
    p = popen(cmd, "r");
    if (!p)
        return;
    if (fgets(out, (int)len, p))
        out[strcspn(out, "\n")] = 0;
    else
        snprintf(out, len, "unknown");
    pclose(p);
}

static int save_results(struct suite *s)
{
    char path[PATH_MAX], tmp[PATH_MAX + 8];

    snprintf(path, sizeof path, "%s/results.json", s->dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (json_dump_file(s->root, tmp, JSON_INDENT(1) | JSON_SORT_KEYS) != 0 ||
        rename(tmp, path) != 0) {
        fprintf(stderr, "xheap run: cannot write %s: %s\n", path,
                strerror(errno));
        return -1;
    }
    return 0;
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

static void model_args(struct argv_builder *a, const struct heap_config *m)
{
    arg(a, "--page-size=%zu", m->page_size);
    arg(a, "--memory=%llu", (unsigned long long)m->memory_bytes);
    arg(a, "--max-order=%u", m->max_order);
    arg(a, "--xenheap=%llu", (unsigned long long)m->xenheap_bytes);
    arg(a, "--vmap-size=%llu", (unsigned long long)m->vmap_bytes);
    arg(a, "--flush=%s", flush_policy_name(m->flush));
    if (m->lazy_max_pages)
        arg(a, "--lazy-max-pages=%u", m->lazy_max_pages);
    if (m->idle_scrub_every)
        arg(a, "--idle-scrub-every=%u", m->idle_scrub_every);
    if (m->xenheap_bits)
        arg(a, "--xenheap-bits=%u", m->xenheap_bits);
    if (!m->directmap)
        arg(a, "--no-directmap");
    if (!m->scrub)
        arg(a, "--no-scrub");
    if (m->hugepages)
        arg(a, "--hugepages");
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
    double until = now_s() + KILL_GRACE_S;

    kill(-pid, SIGTERM);
    while (waitpid(pid, status, WNOHANG) == 0) {
        if (now_s() > until) {
            kill(-pid, SIGKILL);
            waitpid(pid, status, 0);
            return;
        }
        nanosleep(&(struct timespec){ 0, CHILD_POLL_NS }, NULL);
    }
}

/* Runs the child with its output in LOG; 0 when it exited 0, else -1 with
 * why it did not. */
static int run_child(struct suite *s, char **argv, const char *log,
                     double timeout_s, char *why, size_t len)
{
    double deadline = now_s() + (timeout_s > 0 ? timeout_s : 1e12);
    int status = 0;
    pid_t pid = fork();

    if (pid < 0) {
        snprintf(why, len, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

        setpgid(0, 0);      /* its own group: stopped as one */
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
        }
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        execv(s->self, argv);
        _exit(127);
    }
    setpgid(pid, pid);
    while (waitpid(pid, &status, WNOHANG) == 0) {
        if (stop_requested) {
            stop_child(pid, &status);
            snprintf(why, len, "interrupted");
            return -1;
        }
        if (now_s() > deadline) {
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
        snprintf(why, len, "killed by signal %d; see %.900s", WTERMSIG(status),
                 log);
    else
        snprintf(why, len, "exit status %d; see %.900s", WEXITSTATUS(status),
                 log);
    return -1;
}

/* ---- traces ---- */

/* The generated trace of a point; backends of one point share it. */
static int point_trace(struct suite *s, const struct config_point *pt,
                       char *why, size_t len)
{
    const struct experiment *e = pt->exp;
    char key[sizeof s->trace_key], tmp[PATH_MAX + 16];
    size_t at;
    FILE *f;
    int rc;

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
    snprintf(s->trace_path, sizeof s->trace_path, "%s/traces/%s-%zu.trace",
             s->dir, e->name, pt->index);
    snprintf(tmp, sizeof tmp, "%s.tmp", s->trace_path);
    f = fopen(tmp, "w");
    if (!f) {
        snprintf(why, len, "%.900s: %s", tmp, strerror(errno));
        return -1;
    }
    rc = gen_write(e->workload, &pt->gen, f);
    if (fclose(f) != 0 || rc != 0 || rename(tmp, s->trace_path) != 0) {
        snprintf(why, len, "%.900s: cannot write the trace: %s", s->trace_path,
                 strerror(errno));
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
    return json_pack("{s:s, s:I, s:I, s:I, s:I, s:I}",
                     "name", e->workload ? e->workload->name : "trace",
                     "events", (json_int_t)pt->gen.events,
                     "size", (json_int_t)pt->gen.size,
                     "min_size", (json_int_t)pt->gen.min_size,
                     "max_size", (json_int_t)pt->gen.max_size,
                     "pages", (json_int_t)pt->gen.pages);
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
    double elapsed = now_s() - s->started;
    unsigned left = s->done ? (unsigned)(elapsed / (double)s->done *
                                         (double)(s->total - s->done)) : 0;
    const char *err = json_string_value(json_object_get(run, "error"));
    const char *id = json_string_value(json_object_get(run, "id"));

    fprintf(stderr, "[%4zu/%zu %3.0f%%] %-46s %6.1f s  ~%um%02us left%s%s\n",
            s->done, s->total, 100.0 * (double)s->done / (double)s->total,
            id ? id : "?", took, left / 60, left % 60,
            err ? "  FAILED: " : "", err ? err : "");
}

static void measure_point(struct suite *s, const struct experiment *e,
                          size_t i, json_t *runs)
{
    struct config_point pt;
    struct argv_builder *a = calloc(1, sizeof *a);
    char why[1024] = "", base[PATH_MAX], json[PATH_MAX + 8], log[PATH_MAX + 8],
         placements[PATH_MAX + 16];
    const char *workload = e->workload ? e->workload->name : NULL;
    double t0 = now_s();
    json_t *run = NULL;

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
        if (point_trace(s, &pt, why, sizeof why) != 0)
            goto failed;
        replay_args(a, &pt, s->trace_path, json,
                    answers_want_placements(workload) ? placements : NULL);
    }
    if (run_child(s, a->v, log, e->run.point_timeout_s, why, sizeof why) != 0)
        goto failed;
    if (answers_collect(run, e->kind == EXP_ACCESS ? ANSWERS_ACCESS
                                                   : ANSWERS_REPLAY,
                        workload, json, s->trace_path, placements, why,
                        sizeof why) != 0)
        goto failed;
    json_object_set_new(run, "replay", json_string(json + strlen(s->dir) + 1));
    goto out;

failed:
    json_object_set_new(run, "error", json_string(why));
out:
    free(a);
    json_object_set_new(run, "seconds", json_real(now_s() - t0));
    json_array_append_new(runs, run);
    s->done++;
    say_progress(s, run, now_s() - t0);
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
    for (size_t i = 0; i < n && !stop_requested; i++) {
        measure_point(s, e, i, runs);
        save_results(s);
    }
    if (!stop_requested)
        json_object_set_new(x, "status", json_string("complete"));
    answers_experiment(x, s->experiments, s->dir);
    save_results(s);
    if (!s->over_budget_said && now_s() - s->started >
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

static void finish(struct suite *s)
{
    char finished[32], why[1024] = "";
    int rc;

    utc_stamp(finished, sizeof finished, "%Y-%m-%dT%H:%M:%SZ");
    json_object_set_new(s->root, "finished", json_string(finished));
    json_object_set_new(s->root, "status", json_string(
        stop_requested ? "incomplete" : "complete"));
    answers_figures(s->experiments, s->dir);
    save_results(s);
    rc = report_render(s->dir, why, sizeof why);
    if (why[0])
        fprintf(stderr, "xheap run: report: %s\n", why);
    if (rc == 0)
        fprintf(stderr, "xheap run: %s/report.txt\n", s->dir);
}

static void remove_traces(struct suite *s)
{
    char cmd[PATH_MAX + 32];

    if (s->opt->keep_traces)
        return;
    snprintf(cmd, sizeof cmd, "rm -rf '%s/traces'", s->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "xheap run: could not remove %s/traces\n", s->dir);
}

static int prepare(struct suite *s, const struct suite_options *o)
{
    char why[1024];
    ssize_t n;

    memset(s, 0, sizeof *s);
    s->opt = o;
    if (config_load(o->config, &s->cfg, why, sizeof why) != 0) {
        fprintf(stderr, "xheap run: %s\n", why);
        return EXIT_USAGE;
    }
    if (check_only(s) != 0)
        return EXIT_USAGE;
    s->env.cores = (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
    s->env.quick = o->quick;
    count_points(s);
    n = readlink("/proc/self/exe", s->self, sizeof s->self - 1);
    if (n <= 0) {
        fprintf(stderr, "xheap run: cannot find this program: %s\n",
                strerror(errno));
        return EXIT_RUN_FAILED;
    }
    s->self[n] = 0;
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
    s.started = now_s();
    start_results(&s);
    save_results(&s);
    fprintf(stderr, "xheap run: %zu measurements into %s\n", s.total, s.dir);
    for (size_t i = 0; i < s.cfg.n_experiments && !stop_requested; i++)
        if (chosen(&s, &s.cfg.experiments[i]))
            run_experiment(&s, &s.cfg.experiments[i]);
    if (stop_requested)
        fprintf(stderr, "xheap run: interrupted; %s keeps what finished and "
                "is marked incomplete\n", s.dir);
    finish(&s);
    remove_traces(&s);
    json_decref(s.root);
    config_free(&s.cfg);
    return stop_requested ? EXIT_RUN_FAILED : 0;
}
