/*
 * The model knobs (drivers/measure/knobs.c) on every path. The command
 * line of xheap replay and bench.toml accept exactly the same values of
 * every knob, at two page sizes: the values tried are made from the knob
 * table, so that a new knob is covered without an edit here. Each value
 * the model cannot run is refused with status 2 and one line that names
 * the option or key and its range. Replay, access and the suite write the
 * same keys for the model in their JSON "config".
 */
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "tests/check.h"
#include "drivers/cli/cli.h"
#include "drivers/measure/access.h"
#include "drivers/measure/knobs.h"
#include "drivers/suite/config.h"

#define NAME      "t.toml"
#define WHY_LEN   512
#define MAX_ARGV  32
#define MAX_TRIES 24

/* A valid experiment after the snippets under test. */
#define EXP "[[experiment]]\n"                                   \
            "name = \"e\"\n"                                      \
            "question = 1\n"                                      \
            "backends = [\"null\"]\n"                             \
            "workload = { name = \"pairs\", events = 100 }\n"

static char dir[] = "/tmp/xheap-test-knobs-XXXXXX";
static char trace[PATH_MAX], out_path[PATH_MAX], err_path[PATH_MAX];

static int setup(void **state)
{
    char *argv[] = { "gen", "pairs", "--events", "100", "-o", trace, NULL };

    if (!mkdtemp(dir))
        return -1;
    snprintf(trace, sizeof trace, "%s/pairs.trace", dir);
    snprintf(out_path, sizeof out_path, "%s/out", dir);
    snprintf(err_path, sizeof err_path, "%s/err", dir);
    return cmd_gen(6, argv);
}

static int teardown(void **state)
{
    unlink(trace);
    unlink(out_path);
    unlink(err_path);
    return rmdir(dir);
}

/* Runs CMD on the NULL-ended ARGV with its stdout and stderr in files of
 * the test's folder; its status, and its stderr in ERR. */
static int run_argv(int (*cmd)(int, char **), char **argv, char *err,
                    size_t len)
{
    int saved_out = dup(1), saved_err = dup(2), argc = 0, rc;
    int fo = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int fe = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    FILE *f;
    size_t n;

    assert_true(fo >= 0 && fe >= 0 && saved_out >= 0 && saved_err >= 0);
    fflush(stdout);
    fflush(stderr);
    dup2(fo, 1);
    dup2(fe, 2);
    while (argv[argc])
        argc++;
    rc = cmd(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(saved_out, 1);
    dup2(saved_err, 2);
    close(saved_out);
    close(saved_err);
    close(fo);
    close(fe);
    f = fopen(err_path, "r");
    assert_non_null(f);
    n = fread(err, 1, len - 1, f);
    err[n] = '\0';
    fclose(f);
    return rc;
}

/* CMD with the NULL-ended arguments HEAD, then ARGS. */
static int run_with(int (*cmd)(int, char **), const char *const *head,
                    const char *const *args, char *err, size_t len)
{
    char *argv[MAX_ARGV];
    int n = 0;

    for (; *head; head++)
        argv[n++] = (char *)*head;
    for (; *args; args++)
        argv[n++] = (char *)*args;
    argv[n] = NULL;
    return run_argv(cmd, argv, err, len);
}

/* xheap replay of the small trace on the null backend, plus ARGS. */
static int replay(char *err, size_t len, const char *const *args)
{
    const char *head[] = { "replay", "--backend", "null", "--trace", trace,
                           "--warmup", "0", "--repetitions", "1", "--timing",
                           "batch", "--counters", "none", NULL };

    return run_with(cmd_replay, head, args, err, len);
}

static int access_cmd(char *err, size_t len, const char *const *args)
{
    static const char *const head[] = { "access", "--backend", "xmalloc",
                                        "--accesses", "1000",
                                        "--repetitions", "1", NULL };

    return run_with(cmd_access, head, args, err, len);
}

static int load(const char *text, struct suite_config *c, char *why)
{
    return config_parse(NAME, text, strlen(text), c, why, WHY_LEN);
}

/* ---- the same ranges on both paths ---------------------------------- */

struct try { char cli[40], toml[48]; };

static void add(struct try *t, size_t *n, const char *cli, bool quoted)
{
    snprintf(t[*n].cli, sizeof t[*n].cli, "%s", cli);
    snprintf(t[*n].toml, sizeof t[*n].toml, quoted ? "\"%s\"" : "%s", cli);
    (*n)++;
}

static void add_size(struct try *t, size_t *n, uint64_t v)
{
    char text[40];

    snprintf(text, sizeof text, "%llu", (unsigned long long)v);
    add(t, n, text, true);
}

/* The values tried for knob K: each side of every bound the table and
 * the model's rules give, and values far out. */
static size_t tries(const struct knob *k, const struct heap_config *cfg,
                    struct try *t)
{
    static const uint64_t sizes[] = {
        0, 4096, 60 << 10, 64 << 10, 256 << 10, 1000000, 4 << 20, 1 << 30,
        (512ull << 20) - 4096, 512ull << 20, (16ull << 40) - 8192,
        (16ull << 40) - 4096, 16ull << 40, 256ull << 40,
    };
    uint64_t most = knob_memory_max(cfg);
    size_t n = 0;

    switch (k->type) {
    case KNOB_PAGE:
        for (const char *const *p = (const char *const[]){ "4K", "8K", "16K",
                 "64K", "128K", NULL }; *p; p++)
            add(t, &n, *p, true);
        break;
    case KNOB_SIZE:
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
            add_size(t, &n, sizes[i]);
        add_size(t, &n, most);
        add_size(t, &n, most + (1 << 20));
        add_size(t, &n, most / 2);
        add_size(t, &n, most / 2 + (64 << 10));
        break;
    case KNOB_COUNT:
        for (int d = -1; d <= 1 && k->max < INT64_MAX; d++) {
            char text[40];

            if (d >= 0 || k->min > 0) {
                snprintf(text, sizeof text, "%llu",
                         (unsigned long long)(k->min + (uint64_t)d));
                add(t, &n, text, false);
            }
            snprintf(text, sizeof text, "%llu",
                     (unsigned long long)(k->max + (uint64_t)d));
            add(t, &n, text, false);
        }
        break;
    case KNOB_FLUSH:
        for (const char *const *p = (const char *const[]){ "page", "range",
                 "lazy", "both", NULL }; *p; p++)
            add(t, &n, *p, true);
        break;
    case KNOB_PRESET:
        for (const char *const *p = (const char *const[]){ "x86", "arm64",
                 "arm32", "riscv", NULL }; *p; p++)
            add(t, &n, *p, true);
        break;
    case KNOB_BOOTSCRUB:
        for (const char *const *p = (const char *const[]){ "idle", "on",
                 "off", "yes", NULL }; *p; p++)
            add(t, &n, *p, true);
        break;
    case KNOB_BOOL:   /* a flag on the command line: no range to differ */
        break;
    }
    assert_true(n <= MAX_TRIES);
    return n;
}

static void agree(unsigned id, const char *page, const struct try *t)
{
    const struct knob *k = &knobs[id];
    char opt[48], err[1024], why[WHY_LEN] = "", text[512];
    const char *args[] = { "--page-size", page, opt, t->cli, NULL };
    struct suite_config c;
    int cli, toml;

    snprintf(opt, sizeof opt, "--%s", k->option);
    cli = replay(err, sizeof err, id == KNOB_PAGE_SIZE ? args + 2 : args);
    snprintf(text, sizeof text, "[model]\n%s%s%s\n%s = %s\n" EXP,
             id == KNOB_PAGE_SIZE ? "" : "page_size = \"",
             id == KNOB_PAGE_SIZE ? "" : page,
             id == KNOB_PAGE_SIZE ? "" : "\"", k->name, t->toml);
    toml = load(text, &c, why);
    if (toml == 0)
        config_free(&c);
    if (cli != 0 && cli != 2)
        fail_msg("%s %s (page %s): status %d: %s", opt, t->cli, page, cli,
                 err);
    if ((cli == 0) != (toml == 0))
        fail_msg("%s %s (page %s): the command line %s, bench.toml %s\n"
                 "  %s  %s", opt, t->cli, page,
                 cli ? "refuses it" : "takes it",
                 toml ? "refuses it" : "takes it", err, why);
    if (cli && (!strstr(err, opt) || !strstr(err, "want") ||
                strchr(err, '\n') != err + strlen(err) - 1))
        fail_msg("%s %s: not one line naming the option and the range: %s",
                 opt, t->cli, err);
    if (toml && (strncmp(why, NAME ":", strlen(NAME ":")) ||
                 !strstr(why, k->name)))
        fail_msg("%s = %s: not FILE:LINE naming the key: %s", k->name,
                 t->toml, why);
}

static void test_same_ranges(void **state)
{
    static const char *const pages[] = { "4K", "64K" };
    struct try t[MAX_TRIES];
    struct heap_config cfg;
    unsigned checked = 0;

    for (size_t p = 0; p < 2; p++) {
        heap_config_defaults(&cfg);
        cfg.page_size = p ? 65536 : 4096;
        for (unsigned id = 0; id < KNOB_MODEL_N; id++) {
            size_t n = tries(&knobs[id], &cfg, t);

            for (size_t i = 0; i < n; i++, checked++)
                agree(id, pages[p], &t[i]);
        }
    }
    assert_true(checked > 100);
}

/* ---- what the model cannot run: status 2, one line ------------------- */

static void refused(int rc, const char *err, const char *name)
{
    if (rc != 2 || !strstr(err, name) || !strstr(err, "want") ||
        !strstr(err, " .. ") || strchr(err, '\n') != err + strlen(err) - 1)
        fail_msg("status %d, want 2 and one line naming %s and its range: %s",
                 rc, name, err);
}

/* Each row: the option blamed, then the arguments. */
static void test_replay_refuses(void **state)
{
    static const char *const bad[][6] = {
        { "--max-order", "--max-order", "35" },
        { "--max-order", "--max-order", "0" },
        { "--memory", "--memory", "16T" },
        { "--vmap-size", "--vmap-size", "256T" },
        { "--xenheap", "--xenheap", "1G", "--memory", "1G" },
        { "--memory", "--memory", "60K" },
        { "--memory", "--memory", "1000000" },
        { "--max-order", "--page-size", "64K", "--max-order", "30" },
        { "--lazy-max-pages", "--lazy-max-pages", "4294967296" },
        { "--max-map-count", "--max-map-count", "65537" },
    };
    char err[1024];

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        refused(replay(err, sizeof err, bad[i] + 1), err, bad[i][0]);
}

static void test_access_refuses(void **state)
{
    static const char *const bad[][5] = {
        { "--working-set", "1T" }, { "--working-set", "4G", "--memory", "1G" },
        { "--memory", "16T" }, { "--max-order", "31" },
        { "--vmap-size", "256T" },
    };
    char err[1024];

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        refused(access_cmd(err, sizeof err, bad[i]), err, bad[i][0]);
}

static void toml_refused(const char *text, unsigned line, const char *key)
{
    struct suite_config c;
    char why[WHY_LEN] = "", prefix[32];

    if (load(text, &c, why) == 0) {
        config_free(&c);
        fail_msg("accepted: %s", text);
    }
    snprintf(prefix, sizeof prefix, NAME ":%u: ", line);
    if (strncmp(why, prefix, strlen(prefix)) || !strstr(why, key) ||
        !strstr(why, ".."))
        fail_msg("want %s... naming %s and its range, got %s", prefix, key,
                 why);
}

static void test_toml_refuses(void **state)
{
    struct heap_config cfg;

    heap_config_defaults(&cfg);
    toml_refused("[model]\nmemory = \"16T\"\n" EXP, 2, "memory");
    toml_refused("[model]\nvmap_size = \"256T\"\n" EXP, 2, "vmap_size");
    if (knob_memory_max(&cfg) < (1ull << 40))   /* a host under 2T of RAM */
        toml_refused("[model]\nmemory = \"1T\"\n" EXP, 2,
                     "1/2 of this host's memory");
    toml_refused("[model]\nmemory = \"1G\"\nxenheap = \"1G\"\n" EXP, 3,
                 "xenheap");
    toml_refused("[model]\nmax_order = 0\n" EXP, 2, "max_order");
    toml_refused(EXP "[experiment.sweep.model]\nmemory = [\"1G\",\n"
                 "  \"16T\"]\n", 8, "memory");
    toml_refused("[run]\nflush_peers = 1025\n" EXP, 2, "flush_peers");
}

/* ---- one set of keys in every JSON config ----------------------------- */

static json_t *read_json(const char *path)
{
    json_error_t e;
    json_t *j = json_load_file(path, 0, &e);

    if (!j)
        fail_msg("%s: %s", path, e.text);
    return j;
}

/* Every model knob under its one name, with a value of its type. */
static void has_knobs(const char *who, json_t *config)
{
    static const char *const old[] = { "memory_bytes", "xenheap_bytes",
                                       "vmap_bytes" };

    assert_non_null(config);
    for (unsigned i = 0; i < KNOB_MODEL_N; i++) {
        json_t *v = json_object_get(config, knobs[i].name);
        bool ok = knobs[i].type == KNOB_BOOL    ? json_is_boolean(v)
                  : knobs[i].type == KNOB_FLUSH ? json_is_string(v)
                  : knobs[i].type == KNOB_PRESET ? json_is_string(v)
                  : knobs[i].type == KNOB_BOOTSCRUB ? json_is_string(v)
                                                : json_is_integer(v);

        if (!ok)
            fail_msg("%s config: no %s of its type", who, knobs[i].name);
    }
    for (size_t i = 0; i < sizeof old / sizeof old[0]; i++)
        if (json_object_get(config, old[i]))
            fail_msg("%s config: %s, a second name for a knob", who, old[i]);
}

static void test_json_keys(void **state)
{
    char json[PATH_MAX], err[1024], why[WHY_LEN];
    const char *r_args[] = { "--memory", "64M", "--json", json, NULL };
    const char *a_args[] = { "--working-set", "1M", "--counters", "cycles",
                             "--json", json, NULL };
    struct suite_config c;
    json_t *j, *model;
    const char *key;
    json_t *v;

    snprintf(json, sizeof json, "%s/r.json", dir);
    assert_int_equal(replay(err, sizeof err, r_args), 0);
    j = read_json(json);
    has_knobs("replay", json_object_get(j, "config"));
    assert_int_equal(json_integer_value(json_object_get(
        json_object_get(j, "config"), "memory")), 64 << 20);
    json_decref(j);

    assert_int_equal(access_cmd(err, sizeof err, a_args), 0);
    j = read_json(json);
    has_knobs("access", json_object_get(j, "config"));
    json_decref(j);
    unlink(json);

    if (load("[model]\nmemory = \"64M\"\n" EXP, &c, why) != 0)
        fail_msg("%s", why);
    j = config_json(&c);
    model = json_object_get(j, "model");
    has_knobs("suite", model);
    json_object_foreach(model, key, v) {
        unsigned i = 0;

        while (i < KNOB_MODEL_N && strcmp(knobs[i].name, key))
            i++;
        if (i == KNOB_MODEL_N)
            fail_msg("suite model config: %s is no knob", key);
    }
    json_decref(j);
    config_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_ranges),
        cmocka_unit_test(test_replay_refuses),
        cmocka_unit_test(test_access_refuses),
        cmocka_unit_test(test_toml_refuses),
        cmocka_unit_test(test_json_keys),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
