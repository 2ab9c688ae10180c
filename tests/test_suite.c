/*
 * The suite end to end: `xheap run --quick` into a fresh folder, as
 * `make bench QUICK=1` does, then an interrupted run. Spawns build/xheap.
 */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "tests/check.h"
#include "drivers/measure/baseline.h"

#define XHEAP "build/xheap"
#define REPORT_WIDTH 78

static char root[64] = "/tmp/xheap-suite-XXXXXX";

/* The one run folder made under DIR (read without a shell: DIR may hold
 * quotes). */
static void only_run_dir(const char *dir, char *out, size_t len)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    if (!d)
        fail_msg("%s: %s", dir, strerror(errno));
    while ((e = readdir(d)))
        if (e->d_name[0] != '.' && e->d_type == DT_DIR && n++ == 0)
            snprintf(out, len, "%s/%s", dir, e->d_name);
    closedir(d);
    if (n != 1)
        fail_msg("%s: %d run folders, not 1", dir, n);
}

static const char *str_of(json_t *j, const char *key);

static json_t *load(const char *dir)
{
    char path[1024];
    json_error_t err;
    json_t *j;

    snprintf(path, sizeof path, "%s/results.json", dir);
    j = json_load_file(path, 0, &err);
    if (!j)
        fail_msg("%s:%d: %s", path, err.line, err.text);
    return j;
}

static void assert_file(const char *dir, const char *name)
{
    char path[1024];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "r");
    if (!f)
        fail_msg("missing %s", path);
    fseek(f, 0, SEEK_END);
    assert_true(ftell(f) > 0);
    fclose(f);
}

/* The run calibrated first: calibration.json beside results.json with
 * every unit's source, the same units in results.json, and every replay
 * of Q2, Q7 and Q8 priced, or not priced with the reason. */
static void calibration_kept(const char *dir, json_t *j)
{
    static const char *const units[] = { "null_syscall", "pte_write",
        "pt_frame", "invlpg", "full_flush", "flush_ipi", NULL };
    char path[1024];
    json_error_t err;
    json_t *cal, *x, *run;
    size_t i, k;

    snprintf(path, sizeof path, "%s/calibration.json", dir);
    cal = json_load_file(path, 0, &err);
    if (!cal)
        fail_msg("%s:%d: %s", path, err.line, err.text);
    for (const char *const *u = units; *u; u++) {
        const char *src = json_string_value(json_object_get(json_object_get(
            json_object_get(cal, "units"), *u), "source"));

        if (!src || !src[0])
            fail_msg("%s: unit %s has no source", path, *u);
        assert_non_null(json_object_get(json_object_get(json_object_get(
            json_object_get(j, "calibration"), "units"), *u), "source"));
    }
    json_decref(cal);
    json_array_foreach(json_object_get(j, "experiments"), i, x) {
        json_int_t q = json_integer_value(json_object_get(x, "question"));

        if (q != 2 && q != 7 && q != 8)
            continue;
        json_array_foreach(json_object_get(x, "runs"), k, run) {
            json_t *p = json_object_get(json_object_get(run, "metrics"),
                                        "priced_ns");

            assert_true(json_is_object(p));
            if (!json_is_number(json_object_get(p, "total_ns")))
                assert_true(strlen(str_of(p, "why")) > 0);
        }
    }
}

static void quick_suite_completes(void **state)
{
    char out[512], dir[768], line[256], path[1024], cmd[1280];
    json_t *j, *x;
    size_t i;
    FILE *f;

    snprintf(out, sizeof out, "%s/quick", root);
    snprintf(cmd, sizeof cmd, XHEAP " run --quick --out %s 2>%s.log", out,
             out);
    assert_int_equal(system(cmd), 0);
    only_run_dir(out, dir, sizeof dir);
    j = load(dir);
    assert_string_equal(json_string_value(json_object_get(j, "status")),
                        "complete");
    json_array_foreach(json_object_get(j, "experiments"), i, x) {
        json_t *run;
        size_t k;

        assert_string_equal(json_string_value(json_object_get(x, "status")),
                            "complete");
        json_array_foreach(json_object_get(x, "runs"), k, run)
            if (json_object_get(run, "error"))
                fail_msg("%s: %s", json_string_value(json_object_get(run, "id")),
                         json_string_value(json_object_get(run, "error")));
        if (json_integer_value(json_object_get(x, "question")))
            assert_true(json_is_object(json_object_get(x, "answer")));
    }
    calibration_kept(dir, j);
    json_decref(j);
    assert_file(dir, "q1_small_cost.csv");
    assert_file(dir, "q3_waste.csv");
    assert_file(dir, "plots/q3_waste.png");
    assert_file(dir, "plots/q3_waste.svg");
    snprintf(path, sizeof path, "%s/report.txt", dir);
    f = fopen(path, "r");
    assert_non_null(f);
    while (fgets(line, sizeof line, f))
        assert_true(strlen(line) <= REPORT_WIDTH + 1);
    fclose(f);
}

/* Ctrl-C in the middle: the folder stays, marked incomplete, valid. */
static void interrupted_run_keeps_what_finished(void **state)
{
    char out[512], dir[768], log[600];
    json_t *j;
    pid_t pid;
    int status;

    snprintf(out, sizeof out, "%s/interrupted", root);
    snprintf(log, sizeof log, "%s.log", out);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        freopen(log, "w", stderr);
        execl(XHEAP, "xheap", "run", "--out", out, (char *)NULL);
        _exit(127);
    }
    sleep(4);
    kill(pid, SIGINT);
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 1);
    only_run_dir(out, dir, sizeof dir);
    j = load(dir);
    assert_string_equal(json_string_value(json_object_get(j, "status")),
                        "incomplete");
    assert_true(json_array_size(json_object_get(j, "experiments")) >= 1);
    json_decref(j);
    assert_file(dir, "report.txt");
}

/* Two runs in the same second get two folders. */
static void runs_never_overwrite(void **state)
{
    char out[512], cmd[1200];
    FILE *p;
    int n = 0;
    char line[512];

    snprintf(out, sizeof out, "%s/twice", root);
    for (int i = 0; i < 2; i++) {
        snprintf(cmd, sizeof cmd, XHEAP " run --quick --only q3-odd-contig "
                 "--out %s 2>/dev/null", out);
        assert_int_equal(system(cmd), 0);
    }
    snprintf(cmd, sizeof cmd, "ls %s", out);
    p = popen(cmd, "r");
    while (fgets(line, sizeof line, p))
        n++;
    pclose(p);
    assert_int_equal(n, 2);
}

static void bad_config_is_one_line_and_status_2(void **state)
{
    char path[512], cmd[1200], err[1024] = "";
    FILE *f;

    snprintf(path, sizeof path, "%s/bad.toml", root);
    f = fopen(path, "w");
    fputs("[model]\npagesize = \"4K\"\n", f);
    fclose(f);
    snprintf(cmd, sizeof cmd, XHEAP " run %s --out %s/never 2>%s.err", path,
             root, path);
    assert_int_equal(WEXITSTATUS(system(cmd)), 2);
    snprintf(cmd, sizeof cmd, "%s.err", path);
    f = fopen(cmd, "r");
    assert_non_null(fgets(err, sizeof err, f));
    fclose(f);
    assert_non_null(strstr(err, "bad.toml:2:"));
    assert_non_null(strstr(err, "pagesize"));
}

/* ---- small suites, for the ways a run fails ---- */

/* One experiment of REPS repetitions on BACKENDS, WORKLOAD and RUN being
 * TOML inline-table bodies; written to ROOT/NAME.toml, path in OUT. */
/* A bench.toml of one experiment. Its question is 3 (waste): the tests
 * that use it are about the runner, and Q1's experiments are measured
 * process by process, alternated (rounds.h), which takes minutes for a
 * sweep of sizes. */
static void small_config(char *out, size_t len, const char *name,
                         const char *backends, const char *workload,
                         const char *run)
{
    FILE *f;

    snprintf(out, len, "%s/%s.toml", root, name);
    f = fopen(out, "w");
    assert_non_null(f);
    fprintf(f, "[run]\ncounters = []\n%s\n[[experiment]]\nname = \"%s\"\n"
            "question = 3\nbackends = [%s]\nworkload = { %s }\n",
            run, name, backends, workload);
    fclose(f);
}

/* Starts `xheap run CONFIG --out OUT [EXTRA]` with stderr in OUT.log and
 * files limited to FSIZE bytes (0: no limit). */
static pid_t start_run(const char *config, const char *out, const char *extra,
                       rlim_t fsize)
{
    char log[1024];
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        snprintf(log, sizeof log, "%s.log", out);
        freopen(log, "w", stderr);
        if (fsize)
            setrlimit(RLIMIT_FSIZE, &(struct rlimit){ fsize, fsize });
        execl(XHEAP, "xheap", "run", config, "--out", out, extra,
              (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* Waits up to LIMIT_S for PID; its wait status, or fails the test. */
static int wait_for(pid_t pid, double limit_s)
{
    int status, n = (int)(limit_s * 100);

    for (int i = 0; i < n; i++) {
        pid_t got = waitpid(pid, &status, WNOHANG);

        if (got == pid)
            return status;
        assert_int_equal(got, 0);
        nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    fail_msg("process %d still running after %.0f s", (int)pid, limit_s);
    return -1;
}

static int run_and_wait(const char *config, const char *out, rlim_t fsize)
{
    return wait_for(start_run(config, out, NULL, fsize), 60);
}

static const char *str_of(json_t *j, const char *key)
{
    const char *v = json_string_value(json_object_get(j, key));

    return v ? v : "";
}

static size_t tmp_files;

static int count_tmp(const char *path, const struct stat *st, int type,
                     struct FTW *ftw)
{
    size_t n = strlen(path);

    tmp_files += n > 4 && strcmp(path + n - 4, ".tmp") == 0;
    return 0;
}

static size_t tmp_files_under(const char *dir)
{
    tmp_files = 0;
    assert_int_equal(nftw(dir, count_tmp, 8, FTW_PHYS), 0);
    return tmp_files;
}

/* Whether a temporary file exists under DIR yet, for polling while a run
 * starts: DIR may not exist, and files come and go during the walk. */
static bool tmp_file_appeared(const char *dir)
{
    tmp_files = 0;
    nftw(dir, count_tmp, 8, FTW_PHYS);
    return tmp_files > 0;
}

/* --out with quotes and spaces is a folder name like any other: nothing
 * outside the run folder is touched (it once reached `rm -rf` in a shell,
 * which deleted ROOT/victim). */
static void out_with_quotes_deletes_nothing_else(void **state)
{
    char config[512], victim[512], keep[600], out[600], dir[1024],
         traces[1100];
    json_t *j;
    FILE *f;

    small_config(config, sizeof config, "quotes", "\"xmalloc\"",
                 "name = \"pairs\", events = 1000", "");
    snprintf(victim, sizeof victim, "%s/victim", root);
    snprintf(keep, sizeof keep, "%s/keep", victim);
    snprintf(out, sizeof out, "%s' 'x", victim);
    assert_int_equal(mkdir(victim, 0755), 0);
    f = fopen(keep, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(run_and_wait(config, out, 0), 0);
    assert_int_equal(access(keep, F_OK), 0);
    only_run_dir(out, dir, sizeof dir);
    j = load(dir);
    assert_string_equal(str_of(j, "status"), "complete");
    json_decref(j);
    snprintf(traces, sizeof traces, "%s/traces", dir);
    assert_int_not_equal(access(traces, F_OK), 0);   /* removed, as asked */
}

/* A run that measured nothing failed: exit 1, status "failed" and why. */
static void expect_failed_run(const char *name, const char *workload,
                              const char *run, const char *why)
{
    char config[512], out[600], dir[1024];
    int status;
    json_t *j;

    small_config(config, sizeof config, name, "\"xmalloc\", \"xvmalloc\"",
                 workload, run);
    snprintf(out, sizeof out, "%s/%s-out", root, name);
    status = run_and_wait(config, out, 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 1);
    only_run_dir(out, dir, sizeof dir);
    j = load(dir);
    assert_string_equal(str_of(j, "status"), "failed");
    if (!strstr(str_of(j, "failure"), why))
        fail_msg("%s: failure '%s' does not say '%s'", name,
                 str_of(j, "failure"), why);
    json_decref(j);
    assert_int_equal(tmp_files_under(out), 0);
}

static void a_run_that_measured_nothing_fails(void **state)
{
    char trace[512];
    FILE *f;

    snprintf(trace, sizeof trace, "%s/bad.trace", root);
    f = fopen(trace, "w");
    assert_non_null(f);
    fputs("xheap-trace 1\na 1 12x\n", f);
    fclose(f);
    expect_failed_run("badtrace", "trace = \"bad.trace\"", "",
                      "every measurement failed");
    /* Generation is inside point_timeout: the most events bench.toml
     * allows take seconds to generate, far past 1 s. */
    expect_failed_run("timeout", "name = \"pairs\", events = 100000000",
                      "point_timeout = \"1s\"", "point_timeout");
}

/*
 * A full disk, as a file-size limit: results.json cannot be written at
 * some point of the run. The run fails and leaves no results.json that
 * would describe a run still going, and no temporary file. The limit lies
 * halfway between the largest file a point makes and the final
 * results.json, both measured by a run without a limit first. A point's
 * largest file is its model's memory (a memfd, which the limit bounds
 * too): 64K here, so that points still run under the limit and
 * results.json, which grows with each, is what hits it.
 */
#define FULL_POINTS      96            /* 48 sizes x 2 backends */
#define FULL_MEMORY      65536         /* [model] memory, in bytes */
static void a_full_disk_fails_the_run_and_leaves_no_stale_file(void **state)
{
    char config[512], out[600], dir[1024], path[1100], log[700], line[1024];
    struct stat st;
    off_t biggest_point = FULL_MEMORY, results;
    bool said = false;
    int status;
    FILE *f;

    small_config(config, sizeof config, "full", "\"xmalloc\", \"xvmalloc\"",
                 "name = \"pairs\", events = 100",
                 "repetitions = 1\nwarmup = 0\n[model]\nmemory = \"64K\"");
    f = fopen(config, "a");
    fputs("[experiment.sweep.workload]\nsize = [", f);
    for (int i = 1; i <= FULL_POINTS / 2; i++)
        fprintf(f, "%s%d", i > 1 ? ", " : "", 16 * i);
    fputs("]\n", f);
    fclose(f);
    snprintf(out, sizeof out, "%s/full-free", root);
    assert_int_equal(run_and_wait(config, out, 0), 0);
    only_run_dir(out, dir, sizeof dir);
    for (int i = 0; i < FULL_POINTS; i++) {
        snprintf(path, sizeof path, "%s/runs/full/%d-%s.json", dir, i,
                 i % 2 ? "xvmalloc" : "xmalloc");
        assert_int_equal(stat(path, &st), 0);
        if (st.st_size > biggest_point)
            biggest_point = st.st_size;
    }
    snprintf(path, sizeof path, "%s/results.json", dir);
    assert_int_equal(stat(path, &st), 0);
    results = st.st_size;
    assert_true(results > 2 * biggest_point);

    snprintf(out, sizeof out, "%s/full-limited", root);
    status = run_and_wait(config, out, (rlim_t)(biggest_point + results) / 2);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 1);
    only_run_dir(out, dir, sizeof dir);
    snprintf(path, sizeof path, "%s/results.json", dir);
    assert_int_not_equal(access(path, F_OK), 0);
    assert_int_equal(tmp_files_under(out), 0);
    snprintf(log, sizeof log, "%s.log", out);
    f = fopen(log, "r");
    assert_non_null(f);
    while (fgets(line, sizeof line, f))
        said |= strstr(line, "failed: cannot write") &&
                strstr(line, "results.json: File too large");
    fclose(f);
    assert_true(said);
}

/* SIGTERM while a long trace is generated (its temporary file exists)
 * stops the run at once; what it kept is marked incomplete, and no half
 * trace is left. */
static void a_signal_stops_generation(void **state)
{
    char config[512], out[600], dir[1024];
    int status;
    pid_t pid;
    json_t *j;

    small_config(config, sizeof config, "endless", "\"xmalloc\"",
                 "name = \"pairs\", events = 100000000", "");
    snprintf(out, sizeof out, "%s/endless-out", root);
    pid = start_run(config, out, "--keep-traces", 0);
    for (int i = 0; i < 3000 && !tmp_file_appeared(out); i++)
        usleep(10000);
    assert_true(tmp_file_appeared(out));
    kill(pid, SIGTERM);
    status = wait_for(pid, 3);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 1);
    only_run_dir(out, dir, sizeof dir);
    j = load(dir);
    assert_string_equal(str_of(j, "status"), "incomplete");
    json_decref(j);
    assert_int_equal(tmp_files_under(out), 0);
}

/* The first child of PID whose command line has WORD, waited for. */
static pid_t child_running(pid_t pid, const char *word)
{
    for (int tries = 0; tries < 1000; tries++) {
        char path[128], kids[1024] = "", *save = NULL, *tok;
        FILE *f;

        snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)pid,
                 (int)pid);
        f = fopen(path, "r");
        if (f) {
            if (!fgets(kids, sizeof kids, f))
                kids[0] = 0;
            fclose(f);
        }
        for (tok = strtok_r(kids, " \n", &save); tok;
             tok = strtok_r(NULL, " \n", &save)) {
            char cmd[256] = "";
            size_t n;

            snprintf(path, sizeof path, "/proc/%s/cmdline", tok);
            f = fopen(path, "r");
            if (!f)
                continue;
            n = fread(cmd, 1, sizeof cmd - 1, f);
            fclose(f);
            for (size_t i = 0; i < n; i++)   /* NULs between arguments */
                cmd[i] = cmd[i] ? cmd[i] : ' ';
            if (strstr(cmd, word))
                return (pid_t)atoi(tok);
        }
        nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
    }
    fail_msg("no '%s' child of %d", word, (int)pid);
    return -1;
}

/*
 * The replay child dies with the runner, however the runner ends: SIGKILL
 * (no handler runs) or SIGHUP (its terminal closed, handled as SIGTERM).
 * A preloaded baseline's replay runs in a grandchild: it dies too. This
 * test is the subreaper, so that an orphan comes back to it to be waited
 * for.
 */
static void dies_with_the_run(const char *backend, int sig)
{
    char config[512], out[600], quoted[64];
    pid_t run, replay, inner = 0;
    int status;

    snprintf(quoted, sizeof quoted, "\"%s\"", backend);
    small_config(config, sizeof config, "long", quoted,
                 "name = \"pairs\", events = 1000000",
                 "repetitions = 1000\nwarmup = 0");
    snprintf(out, sizeof out, "%s/long-%s-%d", root, backend, sig);
    run = start_run(config, out, NULL, 0);
    replay = child_running(run, "replay");
    if (baseline_find(backend))
        inner = child_running(replay, "replay");
    kill(run, sig);
    status = wait_for(run, 5);
    if (sig == SIGHUP) {
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 1);
    }
    if (sig == SIGHUP)
        assert_int_equal(kill(replay, 0), -1);   /* the run reaped it */
    else
        assert_true(WIFSIGNALED(wait_for(replay, 2)));
    /* Once the replay is gone, its orphan (if any) is this test's. */
    if (inner)
        assert_true(WIFSIGNALED(wait_for(inner, 2)));
}

static void the_child_dies_with_the_run(void **state)
{
    char lib[1024];

    assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    dies_with_the_run("xmalloc", SIGKILL);
    dies_with_the_run("xmalloc", SIGHUP);
    if (baseline_library(baseline_find("mimalloc"), NULL, lib,
                         sizeof lib) == 0)
        dies_with_the_run("mimalloc", SIGKILL);
    else
        print_message("mimalloc is not installed: its grandchild not "
                      "checked\n");
    assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
}

/* A counter typo in bench.toml is refused at load, through the same check
 * as --counters, naming the known events. */
/* The run JSON of point I of experiment NAME in run folder DIR. */
static json_t *point_json(const char *dir, const char *name, int i,
                          const char *backend)
{
    char path[1024];
    json_error_t err;
    json_t *j;

    snprintf(path, sizeof path, "%s/runs/%s/%d-%s.json", dir, name, i,
             backend);
    j = json_load_file(path, 0, &err);
    if (!j)
        fail_msg("%s:%d: %s", path, err.line, err.text);
    return j;
}

/* The experiment NAME's answer text in results.json J. */
static const char *answer_of(json_t *j, const char *name)
{
    json_t *x;
    size_t i;

    json_array_foreach(json_object_get(j, "experiments"), i, x)
        if (strcmp(str_of(x, "name"), name) == 0)
            return str_of(json_object_get(x, "answer"), "text");
    fail_msg("no experiment %s", name);
    return "";
}

/* The sides of an alternated point: 5 processes at least, each side with
 * its own model, a ratio over the processes. */
static void assert_sides(json_t *j, const char *key, json_int_t other)
{
    json_t *alt = json_object_get(j, "alternation");
    json_t *s1 = json_array_get(json_object_get(alt, "sides"), 1);

    assert_int_equal(json_array_size(json_object_get(alt, "sides")), 2);
    assert_true(json_integer_value(json_object_get(alt, "processes_run")) >= 5);
    assert_true(json_is_object(json_object_get(s1, "ratio")));
    assert_true(json_is_array(json_object_get(s1, "processes")));
    if (json_is_boolean(json_object_get(json_object_get(s1, "config"), key)))
        assert_int_equal(json_is_true(json_object_get(json_object_get(s1,
                         "config"), key)), other);
    else
        assert_int_equal(json_integer_value(json_object_get(json_object_get(
                         s1, "config"), key)), other);
}

/*
 * Q6 and Q7 compare one backend under two models: the point at the first
 * model alternates in one process against the same backend at the other
 * (its config in the JSON), 5 processes at least, and the answer is the
 * ratio paired in one process. A workload whose sizes are in pages gives
 * other requests at another page size: those points alternate across
 * processes instead.
 */
static void models_alternate_in_one_process(void **state)
{
    char config[512], out[600], dir[768], log[700], line[512];
    bool across = false;
    json_t *j;
    FILE *f;

    snprintf(config, sizeof config, "%s/models.toml", root);
    f = fopen(config, "w");
    assert_non_null(f);
    fputs("[run]\ncounters = []\nrepetitions = 2\n"
          "[[experiment]]\nname = \"p\"\nquestion = 6\n"
          "backends = [\"xmalloc\"]\npage_sizes = [\"4K\", \"64K\"]\n"
          "workload = { name = \"pairs\", size = 8192, events = 400 }\n"
          "[[experiment]]\nname = \"d\"\nquestion = 7\n"
          "backends = [\"xmalloc\"]\n"
          "workload = { name = \"pairs\", size = 8192, events = 400 }\n"
          "[experiment.sweep.model]\ndirectmap = [true, false]\n"
          "[[experiment]]\nname = \"pages\"\nquestion = 6\n"
          "backends = [\"xmalloc\"]\npage_sizes = [\"4K\", \"64K\"]\n"
          "workload = { name = \"pairs\", size = \"2p\", events = 400 }\n",
          f);
    fclose(f);
    snprintf(out, sizeof out, "%s/models-out", root);
    assert_int_equal(WEXITSTATUS(wait_for(start_run(config, out, "--quick",
                                                    0), 240)), 0);
    only_run_dir(out, dir, sizeof dir);
    j = point_json(dir, "p", 0, "xmalloc");
    assert_sides(j, "page_size", 65536);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j,
                     "config"), "page_size")), 4096);
    json_decref(j);
    j = point_json(dir, "d", 0, "xmalloc");
    assert_sides(j, "directmap", 0);
    json_decref(j);
    j = point_json(dir, "pages", 0, "xmalloc");   /* across: no sides */
    assert_null(json_object_get(j, "alternation"));
    json_decref(j);
    j = load(dir);
    if (!strstr(answer_of(j, "p"), "paired in one process"))
        fail_msg("q6: %s", answer_of(j, "p"));
    if (!strstr(answer_of(j, "d"), "paired in one process"))
        fail_msg("q7: %s", answer_of(j, "d"));
    json_decref(j);
    snprintf(log, sizeof log, "%s.log", out);
    f = fopen(log, "r");
    assert_non_null(f);
    while (fgets(line, sizeof line, f))
        across |= strstr(line, "traces differ") != NULL;
    fclose(f);
    assert_true(across);
}

static void a_counter_typo_is_refused(void **state)
{
    char config[512], out[600], log[700], err[2048] = "";
    int status;
    FILE *f;

    snprintf(config, sizeof config, "%s/typo.toml", root);
    f = fopen(config, "w");
    assert_non_null(f);
    fputs("[run]\ncounters = [\"cycels\"]\n[[experiment]]\nname = \"t\"\n"
          "question = 1\nbackends = [\"xmalloc\"]\n"
          "workload = { name = \"pairs\", events = 100 }\n", f);
    fclose(f);
    snprintf(out, sizeof out, "%s/typo-out", root);
    status = run_and_wait(config, out, 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 2);
    snprintf(log, sizeof log, "%s.log", out);
    f = fopen(log, "r");
    assert_non_null(f);
    assert_non_null(fgets(err, sizeof err, f));
    fclose(f);
    assert_non_null(strstr(err, "typo.toml:2:"));
    assert_non_null(strstr(err, "unknown event 'cycels' (did you mean "
                                "'cycles'?)"));
    assert_non_null(strstr(err, "instructions"));
}

/* A calibration file for `calibration =`: WHAT is the body of "units". */
static void write_calibration(const char *path, const char *what)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fprintf(f, "{\n  \"units\": {\n%s\n  }\n}\n", what);
    fclose(f);
}

/* calibration = "FILE" in bench.toml overrides the unit it names in the
 * run's calibration.json and results.json, its source the file; the other
 * units are still this machine's. */
static void calibration_file_overrides_a_unit(void **state)
{
    char config[512], cal[512], out[600], dir[768], path[1024];
    json_t *j, *inv;
    json_error_t err;
    FILE *f;

    snprintf(cal, sizeof cal, "%s/xen-host.json", root);
    write_calibration(cal, "    \"invlpg\": { \"value\": 123.5, "
                      "\"source\": \"a Xen host\" }");
    snprintf(config, sizeof config, "%s/calib.toml", root);
    f = fopen(config, "w");
    assert_non_null(f);
    fprintf(f, "calibration = \"xen-host.json\"\n[run]\ncounters = []\n"
            "repetitions = 1\nwarmup = 0\n[[experiment]]\nname = \"c\"\n"
            "question = 2\nbackends = [\"vmalloc\"]\n"
            "workload = { name = \"pairs\", events = 40, size = 8192 }\n");
    fclose(f);
    snprintf(out, sizeof out, "%s/calib-out", root);
    assert_int_equal(WEXITSTATUS(run_and_wait(config, out, 0)), 0);
    only_run_dir(out, dir, sizeof dir);
    snprintf(path, sizeof path, "%s/calibration.json", dir);
    j = json_load_file(path, 0, &err);
    if (!j)
        fail_msg("%s:%d: %s", path, err.line, err.text);
    inv = json_object_get(json_object_get(j, "units"), "invlpg");
    assert_true(json_real_value(json_object_get(inv, "value")) == 123.5);
    assert_non_null(strstr(str_of(inv, "source"), "xen-host.json"));
    assert_non_null(strstr(str_of(inv, "source"), "a Xen host"));
    assert_non_null(strstr(str_of(json_object_get(json_object_get(j,
        "units"), "pte_write"), "source"), "measured"));
    json_decref(j);
    j = load(dir);
    assert_non_null(strstr(str_of(json_object_get(j, "calibration"),
                                  "user_file"), "xen-host.json"));
    json_decref(j);
}

/* A bad calibration file, from bench.toml or --calibration, is bad input:
 * status 2 before anything runs, one line naming the file and its line. */
static void a_bad_calibration_file_is_status_2(void **state)
{
    char config[512], cal[512], out[600], log[700], err[2048] = "";
    FILE *f;

    snprintf(cal, sizeof cal, "%s/bad-cal.json", root);
    write_calibration(cal, "    \"invlpg\": { \"value\": 1 },\n"
                      "    \"flush\": { \"value\": 2 }");
    snprintf(config, sizeof config, "%s/badcal.toml", root);
    f = fopen(config, "w");
    assert_non_null(f);
    fprintf(f, "calibration = \"bad-cal.json\"\n[[experiment]]\n"
            "name = \"c\"\nquestion = 2\nbackends = [\"vmalloc\"]\n"
            "workload = { name = \"pairs\", events = 40 }\n");
    fclose(f);
    snprintf(out, sizeof out, "%s/badcal-out", root);
    assert_int_equal(WEXITSTATUS(run_and_wait(config, out, 0)), 2);
    snprintf(log, sizeof log, "%s.log", out);
    f = fopen(log, "r");
    assert_non_null(f);
    assert_non_null(fgets(err, sizeof err, f));
    fclose(f);
    assert_non_null(strstr(err, "bad-cal.json:4:"));
    assert_non_null(strstr(err, "unknown unit \"flush\""));
    assert_int_equal(access(out, F_OK), -1);   /* nothing was made */

    /* --calibration names its file the same way, over bench.toml's */
    write_calibration(cal, "    \"pte_write\": { \"value\": -1 }");
    assert_int_equal(WEXITSTATUS(wait_for(start_run(config, out,
        "--calibration=" "/nonexistent/xen.json", 0), 60)), 2);
    f = fopen(log, "r");
    assert_non_null(f);
    assert_non_null(fgets(err, sizeof err, f));
    fclose(f);
    assert_non_null(strstr(err, "/nonexistent/xen.json:1: cannot read"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bad_config_is_one_line_and_status_2),
        cmocka_unit_test(quick_suite_completes),
        cmocka_unit_test(interrupted_run_keeps_what_finished),
        cmocka_unit_test(runs_never_overwrite),
        cmocka_unit_test(out_with_quotes_deletes_nothing_else),
        cmocka_unit_test(a_run_that_measured_nothing_fails),
        cmocka_unit_test(a_full_disk_fails_the_run_and_leaves_no_stale_file),
        cmocka_unit_test(a_signal_stops_generation),
        cmocka_unit_test(the_child_dies_with_the_run),
        cmocka_unit_test(a_counter_typo_is_refused),
        cmocka_unit_test(models_alternate_in_one_process),
        cmocka_unit_test(calibration_file_overrides_a_unit),
        cmocka_unit_test(a_bad_calibration_file_is_status_2),
    };
    const char *only = getenv("XHEAP_SUITE_ONLY");
    int rc;

    if (only)
        cmocka_set_test_filter(only);
    if (!mkdtemp(root))
        return 1;
    rc = cmocka_run_group_tests_name("suite", tests, NULL, NULL);
    if (rc == 0) {
        char cmd[128];

        snprintf(cmd, sizeof cmd, "rm -rf %s", root);
        if (system(cmd) != 0)
            return 1;
    }
    return rc;
}
