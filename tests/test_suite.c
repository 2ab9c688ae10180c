/*
 * The suite end to end: `xheap run --quick` into a fresh folder, as
 * `make bench QUICK=1` does, then an interrupted run. Spawns build/xheap.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "tests/check.h"

#define XHEAP "build/xheap"
#define REPORT_WIDTH 78

static char root[64] = "/tmp/xheap-suite-XXXXXX";

/* The one run folder made under DIR. */
static void only_run_dir(const char *dir, char *out, size_t len)
{
    char cmd[1024];
    FILE *p;

    snprintf(cmd, sizeof cmd, "ls -d %s/*/ | head -2", dir);
    p = popen(cmd, "r");
    assert_non_null(p);
    assert_non_null(fgets(out, (int)len, p));
    out[strcspn(out, "\n")] = 0;
    if (out[strlen(out) - 1] == '/')
        out[strlen(out) - 1] = 0;
    pclose(p);
}

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bad_config_is_one_line_and_status_2),
        cmocka_unit_test(quick_suite_completes),
        cmocka_unit_test(interrupted_run_keeps_what_finished),
        cmocka_unit_test(runs_never_overwrite),
    };
    int rc;

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
