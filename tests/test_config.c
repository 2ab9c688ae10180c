/*
 * bench.toml: the shipped suite loads and covers every question; defaults
 * are heap_config_defaults(); every kind of mistake gives one line naming
 * the file and the right line; points expand as documented; the JSON has
 * every key; docs/bench-toml.md documents every key; and no mutation of
 * the shipped file crashes the loader or loses the file:line form.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "tests/check.h"
#include "backends/heap.h"
#include "drivers/suite/config.h"
#include "drivers/suite/toml/toml_shim.h"

#define SHIPPED   "bench.toml"          /* make test runs from the root */
#define DOCS      "docs/bench-toml.md"
#define NAME      "t.toml"
#ifndef MUTATIONS
#define MUTATIONS 600   /* -DMUTATIONS=N for a longer run by hand */
#endif
#define WHY_LEN   512

/* A valid experiment, appended to snippets that test something else. */
#define EXP "[[experiment]]\n"                                   \
            "name = \"e\"\n"                                      \
            "question = 1\n"                                      \
            "backends = [\"xmalloc\"]\n"                          \
            "workload = { name = \"pairs\", events = 100 }\n"

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    rewind(f);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static int load_text(const char *text, struct suite_config *c, char *why)
{
    return config_parse(NAME, text, strlen(text), c, why, WHY_LEN);
}

static void load_ok(const char *text, struct suite_config *c)
{
    char why[WHY_LEN] = "";

    if (load_text(text, c, why) != 0)
        fail_msg("unexpected error: %s", why);
}

/* TEXT must be refused with exactly WANT. */
static void expect_error(const char *text, const char *want)
{
    struct suite_config c;
    char why[WHY_LEN] = "";

    if (load_text(text, &c, why) == 0) {
        config_free(&c);
        fail_msg("accepted, but want: %s", want);
    }
    if (strcmp(why, want) != 0)
        fail_msg("got:  %s\nwant: %s", why, want);
}

/* TEXT must be refused at LINE with a message holding PART. */
static void expect_at(const char *text, unsigned line, const char *part)
{
    struct suite_config c;
    char why[WHY_LEN] = "", prefix[64];

    if (load_text(text, &c, why) == 0) {
        config_free(&c);
        fail_msg("accepted, but want line %u: %s", line, part);
    }
    snprintf(prefix, sizeof prefix, NAME ":%u: ", line);
    if (strncmp(why, prefix, strlen(prefix)) != 0 || !strstr(why, part))
        fail_msg("got:  %s\nwant: %s...%s", why, prefix, part);
    assert_null(strchr(why, '\n'));
}

/* ---- the shipped suite ---------------------------------------------- */

static void test_shipped_loads(void **state)
{
    struct suite_config c;
    struct config_env full = { .cores = 2 }, quick = { .cores = 2, .quick = 1 };
    char why[WHY_LEN] = "";
    bool question[10] = { false }, baselines = false, scaling = false;

    if (config_load(SHIPPED, &c, why, sizeof why) != 0)
        fail_msg("%s", why);
    assert_true(c.n_experiments >= 11);
    for (size_t i = 0; i < c.n_experiments; i++) {
        const struct experiment *e = &c.experiments[i];
        struct config_point pt;

        question[e->question] = true;
        baselines = baselines || strcmp(e->label, "baselines") == 0;
        scaling = scaling || strcmp(e->label, "thread-scaling") == 0;
        assert_true(e->description[0] != '\0');
        assert_true(config_points(e, &full) > 0);
        for (size_t p = 0; p < config_points(e, &full); p++)
            if (config_point(e, &full, p, &pt, why, sizeof why) != 0)
                fail_msg("%s point %zu: %s", e->name, p, why);
        for (size_t p = 0; config_runs(e, &quick) &&
                           p < config_points(e, &quick); p++)
            if (config_point(e, &quick, p, &pt, why, sizeof why) != 0)
                fail_msg("%s quick point %zu: %s", e->name, p, why);
    }
    for (int q = 1; q <= 9; q++)
        if (!question[q])
            fail_msg("no experiment answers question %d", q);
    assert_true(baselines);
    assert_true(scaling);
    config_free(&c);
}

static bool same_model(const struct heap_config *a, const struct heap_config *b)
{
    return a->page_size == b->page_size && a->memory_bytes == b->memory_bytes &&
           a->max_order == b->max_order &&
           a->xenheap_bytes == b->xenheap_bytes &&
           a->vmap_bytes == b->vmap_bytes && a->directmap == b->directmap &&
           a->scrub == b->scrub && a->hugepages == b->hugepages &&
           a->flush == b->flush && a->lazy_max_pages == b->lazy_max_pages;
}

/* The built-in defaults, a file without [model], and the shipped [model]
 * (written out as documentation) all equal heap_config_defaults(). */
static void test_defaults(void **state)
{
    struct suite_config c;
    struct heap_config want;
    char why[WHY_LEN];

    heap_config_defaults(&want);
    assert_int_equal(config_defaults(&c), 0);
    assert_true(same_model(&c.model, &want));
    assert_int_equal(c.run.threads.n, 1);
    assert_int_equal(c.run.threads.v[0], 1);
    assert_int_equal(c.run.flush_peers.v[0], 0);
    assert_int_equal(c.run.pin, PIN_COMPACT);
    assert_true(strstr(c.run.counters, "dTLB-load-misses") != NULL);
    config_free(&c);

    load_ok(EXP, &c);
    assert_true(same_model(&c.model, &want));
    assert_true(same_model(&c.experiments[0].model, &want));
    assert_int_equal(c.experiments[0].n_page_sizes, 1);
    assert_int_equal(c.experiments[0].page_sizes[0], want.page_size);
    assert_true(c.experiments[0].enabled && c.experiments[0].quick);
    config_free(&c);

    assert_int_equal(config_load(SHIPPED, &c, why, sizeof why), 0);
    assert_true(same_model(&c.model, &want));
    config_free(&c);
}

/* ---- errors: one line, the right line ------------------------------- */

static void test_unknown_key(void **state)
{
    expect_error("[model]\nmemory = \"1G\"\npagesize = \"4K\"\n" EXP,
                 NAME ":3: unknown key 'pagesize' in [model] "
                 "(did you mean 'page_size'?)");
    expect_error("[run]\nrepetitons = 3\n" EXP,
                 NAME ":2: unknown key 'repetitons' in [run] "
                 "(did you mean 'repetitions'?)");
    expect_error("[modle]\n" EXP,
                 NAME ":1: unknown table 'modle' at the top level; want "
                 "calibration, [model], [run] or [[experiment]]");
    expect_error("calibration = 3\n" EXP,
                 NAME ":1: calibration: want a file name in quotes (a "
                 "calibration.json layout, docs/calibrate.md)");
    expect_at(EXP "bakends = [\"xmalloc\"]\n", 6,
              "unknown key 'bakends' in experiment 'e' (did you mean "
              "'backends'?)");
    expect_at(EXP "[experiment.model]\nzzz = 1\n", 7,
              "unknown key 'zzz' in [experiment.model] of experiment 'e'");
    expect_at(EXP "run = { budget = \"1m\" }\n", 6,
              "budget in [experiment.run] of experiment 'e': it describes "
              "the whole suite");
}

static void test_wrong_type(void **state)
{
    expect_error("[model]\nmemory = true\n" EXP,
                 NAME ":2: memory in [model]: want a size such as 4096, "
                 "\"64K\" or \"1G\", got a boolean");
    expect_at("[model]\ndirectmap = \"no\"\n" EXP, 2,
              "directmap in [model]: want true or false, got a string");
    expect_at("[run]\nrepetitions = \"5\"\n" EXP, 2,
              "repetitions in [run]: want an integer, got a string");
    expect_at("[run]\nrepetitions = 0\n" EXP, 2,
              "repetitions in [run]: 0 is outside 1..10000");
    expect_at("[model]\nmax_order = 31\n" EXP, 2, "31 is outside 1..30");
    expect_at("[model]\nflush = \"eager\"\n" EXP, 2,
              "flush in [model]: bad value 'eager': want \"page\", "
              "\"range\" or \"lazy\"");
    expect_at("[run]\npin = \"spread\"\n" EXP, 2, "bad value 'spread'");
    expect_at("[run]\nquick_scale = 2\n" EXP, 2, "2 is outside (0, 1]");
    expect_at("[run]\nbudget = \"15 minutes\"\n" EXP, 2,
              "budget in [run]: bad value '15 minutes'");
    expect_at("[run]\nthreads = [\"1\", \"most\"]\n" EXP, 2,
              "threads in [run]: bad value 'most'");
    expect_at("[run]\nthreads = 0\n" EXP, 2, "0 is outside 1..1024");
    expect_at("[run]\ncounters = [\"cycles\", \"\"]\n" EXP, 2,
              "counters in [run]: bad value ''");
    expect_at("[run]\nthreads = [1, 2,, \"all\"]\n" EXP, 2,
              "bad TOML: Error while parsing array: expected value");
    expect_at("model = 3\n" EXP, 1, "[model] must be a table, not an integer");
    expect_at("[[experiment]]\nname = \"e\"\nquestion = 10\n", 3,
              "question in experiment 'e': 10 is not one of the questions");
}

static void test_bad_size(void **state)
{
    expect_error("[model]\nmemory = \"12Q\"\n" EXP,
                 NAME ":2: memory in [model]: bad value '12Q': want a size "
                 "such as 4096, \"64K\" or \"1G\"");
    expect_at("[model]\nvmap_size = -4096\n" EXP, 2,
              "vmap_size in [model]: -4096 is negative");
    expect_at("[model]\nmemory = \"1000000\"\n" EXP, 2,
              "memory 1000000: want whole 4K pages, 64K .. ");
    expect_at("[model]\nmemory = \"64M\"\nxenheap = \"32M\"\n" EXP, 3,
              "xenheap 32M: want whole 4K pages, 8K .. 32M - 4K (2 pages to "
              "less than half of memory), or 0 for one heap");
}

static void test_bad_page_size(void **state)
{
    expect_error("[model]\npage_size = \"8K\"\n" EXP,
                 NAME ":2: page_size in [model]: bad value '8K': want a "
                 "page size: \"4K\", \"16K\" or \"64K\"");
    expect_at(EXP "page_sizes = [\"4K\",\n  \"32K\"]\n", 7,
              "page_sizes in experiment 'e': bad value '32K'");
    expect_at(EXP "page_sizes = [\"4K\", 4096]\n", 6,
              "page size 4096 is listed twice");
    expect_at(EXP "page_sizes = [\"4K\", \"4096\"]\n", 6,
              "page size 4096 is listed twice");
    expect_at(EXP "page_sizes = [\"16K\"]\nmodel = { page_size = \"16K\" }\n",
              6, "sets both page_sizes and model.page_size");
}

static void test_unknown_backend(void **state)
{
    expect_at("[[experiment]]\nname = \"e\"\nquestion = 1\n"
              "backends = [\n  \"xmalloc\",\n  \"xvmaloc\",\n]\n"
              "workload = \"pairs\"\n", 6,
              "unknown backend 'xvmaloc' in experiment 'e' (did you mean "
              "'xvmalloc'?)");
    expect_at("[[experiment]]\nname = \"e\"\nquestion = 1\n"
              "backends = [\"xmalloc\", \"xmalloc\"]\nworkload = \"pairs\"\n",
              4, "backend 'xmalloc' is listed twice");
    expect_at("[[experiment]]\nname = \"e\"\nquestion = 1\n"
              "workload = \"pairs\"\n", 1, "experiment 'e' has no backends");
}

static void test_unknown_workload(void **state)
{
    expect_at("[[experiment]]\nname = \"e\"\nquestion = 1\n"
              "backends = [\"xmalloc\"]\n"
              "[experiment.workload]\nname = \"smal\"\n", 6,
              "unknown workload 'smal' (did you mean 'small'?)");
    expect_at("[[experiment]]\nname = \"e\"\nquestion = 1\n"
              "backends = [\"xmalloc\"]\n", 1, "experiment 'e' has no workload");
    expect_at("[[experiment]]\nname = \"e\"\nquestion = 1\n"
              "backends = [\"xmalloc\"]\nworkload = { events = 10 }\n", 5,
              "no name (a workload of 'xheap gen') and no trace");
    expect_at("[[experiment]]\nname = \"e\"\nquestion = 1\n"
              "backends = [\"xmalloc\"]\n"
              "workload = { trace = \"no/such/trace\" }\n", 5,
              "cannot read no/such/trace");
}

static void test_unknown_workload_option(void **state)
{
    /* An option of another workload, and no option at all. */
    expect_at("[[experiment]]\nname = \"e\"\nquestion = 1\n"
              "backends = [\"xmalloc\"]\n"
              "[experiment.workload]\nname = \"pairs\"\nevents = 100\n"
              "order = 3\n", 8,
              "workload 'pairs' has no option 'order'");
    expect_at("[[experiment]]\nname = \"e\"\nquestion = 1\n"
              "backends = [\"xmalloc\"]\n"
              "[experiment.workload]\nname = \"pairs\"\nsiz = 64\n", 7,
              "unknown key 'siz' in [experiment.workload] of experiment 'e' "
              "(did you mean 'size'?)");
    /* A value the generator refuses, blamed on the option's line. */
    expect_at("[[experiment]]\nname = \"e\"\nquestion = 1\n"
              "backends = [\"xmalloc\"]\n"
              "[experiment.workload]\nname = \"small\"\nevents = 100\n"
              "min = \"10X\"\n", 8, "workload 'small' at page size 4K");
    expect_at("[[experiment]]\nname = \"e\"\nquestion = 1\n"
              "backends = [\"xmalloc\"]\n"
              "workload = { name = \"pairs\", contig = 1 }\n", 5,
              "contig in [experiment.workload] of experiment 'e': want true "
              "or false, got an integer");
}

static void test_duplicate_experiment(void **state)
{
    expect_error(EXP "\n" EXP,
                 NAME ":8: duplicate experiment name 'e' (first at line 1)");
    expect_at("[[experiment]]\nname = \"has space\"\n", 2,
              "name in [[experiment]]: want 1 to 48 of A-Z a-z 0-9 _ . -");
    expect_at("[[experiment]]\nquestion = 1\n", 1,
              "[[experiment]] without a name");
}

static void test_syntax_error(void **state)
{
    expect_at("[model]\nmemory = \"1G\nscrub = true\n", 2,
              "bad TOML: a string not closed on its line");
    expect_at("[model]\nscrub = true\nscrub = false\n", 3,
              "bad TOML: Error while parsing key-value pair: cannot redefine "
              "existing boolean 'scrub'");
    expect_at("[model]\n\n\n= 3\n", 4, "bad TOML:");
    expect_error("", NAME ":1: no [[experiment]]: nothing to run");
}

static void test_missing_file(void **state)
{
    struct suite_config c;
    char why[WHY_LEN];

    assert_int_equal(config_load("/nonexistent/x.toml", &c, why, sizeof why),
                     -1);
    assert_string_equal(why, "/nonexistent/x.toml: cannot open: No such file "
                             "or directory");
}

static void test_sweep_errors(void **state)
{
    expect_at(EXP "[experiment.sweep.model]\ndirectmap = [true,\n  3]\n", 8,
              "directmap in [experiment.sweep.model] of experiment 'e': want "
              "true or false, got an integer");
    expect_at(EXP "[experiment.sweep.model]\nxenheap = [\"0\",\n  \"600M\"]\n", 8,
              "xenheap 600M: want whole 4K pages, 8K .. 512M - 4K");
    expect_at(EXP "[experiment.sweep.model]\npage_size = [\"4K\"]\n", 7,
              "sweep page sizes with the experiment's page_sizes list");
    expect_at(EXP "[experiment.sweep.workload]\norder = [1, 2]\n", 7,
              "workload 'pairs' has no option 'order' to sweep");
    expect_at(EXP "[experiment.sweep.workload]\nsize = []\n", 7,
              "size in [experiment.sweep.workload] of experiment 'e': want a "
              "list of 1 to 64 values");
    expect_at(EXP "[experiment.sweep]\nmodle = { scrub = [true] }\n", 7,
              "unknown key 'modle' in [experiment.sweep] of experiment 'e' "
              "(did you mean 'model'?)");
    expect_at(EXP "model = { scrub = false }\n"
              "[experiment.sweep.model]\nscrub = [true, false]\n", 6,
              "scrub is both set and swept");
    expect_at(EXP "[experiment.sweep.access]\nblock = [\"4K\"]\n", 7,
              "only kind = \"access\" experiments have access keys");
}

static void test_access_errors(void **state)
{
    const char *head = "[[experiment]]\nname = \"a\"\nquestion = 9\n"
                       "kind = \"access\"\nbackends = [\"vmalloc\"]\n";
    char text[1024];

    snprintf(text, sizeof text, "%saccess = { working_set = \"600M\" }\n",
             head);
    expect_at(text, 6, "working_set 629145600 needs memory of at least 2 "
              "times as much");
    snprintf(text, sizeof text, "%sworkload = \"pairs\"\n", head);
    expect_at(text, 6, "kind = \"access\" takes no workload");
    snprintf(text, sizeof text, "%s[experiment.access]\npattern = \"zigzag\"\n",
             head);
    expect_at(text, 7, "pattern in [experiment.access] of experiment 'a': "
              "bad value 'zigzag'");
    snprintf(text, sizeof text, "%skind = \"stress\"\n", head);
    expect_at(text, 6, "bad TOML: Error while parsing key-value pair: "
              "cannot redefine existing string 'kind'");
}

/* Recorded traces: found relative to the config file's folder. */
static void test_trace(void **state)
{
    const char *text = "[[experiment]]\nname = \"r\"\nquestion = "
                       "\"real-programs\"\nbackends = [\"xmalloc\"]\n"
                       "workload = { trace = \"workloads/traces/sort.trace\" }\n";
    char path[] = "/tmp/xheap-test-config-XXXXXX", why[WHY_LEN];
    struct suite_config c;
    int fd;

    load_ok(text, &c);
    assert_null(c.experiments[0].workload);
    assert_true(c.experiments[0].trace[0] == '/');     /* made absolute */
    assert_non_null(strstr(c.experiments[0].trace,
                           "/workloads/traces/sort.trace"));
    config_free(&c);
    expect_at("[[experiment]]\nname = \"r\"\nquestion = 1\n"
              "backends = [\"xmalloc\"]\n[experiment.workload]\n"
              "trace = \"workloads/traces/sort.trace\"\nevents = 5\n", 5,
              "a recorded trace takes no other key");

    /* The same text in /tmp looks for /tmp/workloads/traces/sort.trace. */
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    assert_int_equal(config_load(path, &c, why, sizeof why), -1);
    assert_non_null(strstr(why, ":5: trace in [experiment.workload] of "
                                "experiment 'r': cannot read /tmp/workloads/"
                                "traces/sort.trace"));
    unlink(path);
}

/* A workload the generator can make in full but not under --quick. */
static void test_quick_checked(void **state)
{
    expect_at("[[experiment]]\nname = \"lb\"\nquestion = 2\n"
              "backends = [\"vmalloc\"]\n"
              "workload = { name = \"long_busy_list\", live = 100, "
              "events = 300 }\n", 1,
              "experiment 'lb' under --quick (set quick = false, or raise "
              "quick_scale)");
}

/* ---- lines in every layout ------------------------------------------ */

static void test_lines(void **state)
{
    /* Dotted keys, inline tables, tables after tables of another
     * experiment, comments and multi-line strings before the error. */
    expect_at("# comment\n" EXP "description = \"\"\"\nmulti\nline\"\"\"\n"
              "\n[[experiment]]\nname = \"f\" # c\nquestion = 2\n"
              "backends = [\"vmalloc\"]\nworkload.name = \"pairs\"\n"
              "workload.events = 100\nworkload.siz = 1\n", 17,
              "unknown key 'siz' in [experiment.workload] of experiment 'f'");
    expect_at(EXP "\n[[experiment]]\nname = \"f\"\nquestion = 2\n"
              "backends = [\"vmalloc\"]\n[experiment.workload]\n"
              "name = \"pairs\"\n[experiment.model]\nscrub = 7\n", 14,
              "scrub in [experiment.model] of experiment 'f'");
    expect_at("[model]\n'memory' = \"1G\"\n\"scrub\" = 1\n" EXP, 3,
              "scrub in [model]: want true or false, got an integer");
}

/* ---- hostile input -------------------------------------------------- */

/* HEAD, UNIT N times, TAIL, CLOSE N times, then a line of EXP. */
static char *repeat(const char *head, const char *unit, size_t n,
                    const char *tail, const char *close)
{
    size_t len = strlen(head) + (strlen(unit) + strlen(close)) * n +
                 strlen(tail) + sizeof "\n" EXP;
    char *text = malloc(len), *p;

    assert_non_null(text);
    p = text + sprintf(text, "%s", head);
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "%s", unit);
    p += sprintf(p, "%s", tail);
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "%s", close);
    sprintf(p, "\n%s", EXP);
    return text;
}

/* Nesting that crashed the loader (SIGSEGV): one line, file and line, in
 * bounded time and memory, however deep. */
static void test_deep_nesting(void **state)
{
    static const struct {
        const char *head, *unit, *tail, *close;
        size_t n;
        unsigned line;
        const char *want;
    } cases[] = {
        { "[model]\nx = ", "[", "", "]", 20000, 2,
          "nested value depth of 32" },
        { "[model]\nx = ", "{a=", "1", "}", 20000, 2,
          "nested value depth of 32" },
        { "[model]\n", "a.", "a = 1", "", 25000, 2,
          "a dotted key or table name of more than 32 parts" },
        { "# c\n[", "\"a\" . ", "a]", "", 25000, 2, "more than 32 parts" },
        { "[[", "a.", "a]]", "", 25000, 1, "more than 32 parts" },
        /* within each limit, the tree deeper than 64 */
        { "[a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a]\n"
          "b.b.b.b.b.b.b.b.b.b.b.b.b.b.b.b.b.b.b.b.b.b.b.b.b.b.b.b.b.b = ",
          "{c.c.c.c.c=", "1", "}", 10, 2, "tables and arrays nested more "
          "than 64 deep" },
        /* a dotted key of 32 parts is TOML like any other */
        { "[model]\n", "a.", "a = 1", "", 31, 2,
          "unknown key 'a' in [model]" },
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *text = repeat(cases[i].head, cases[i].unit, cases[i].n,
                            cases[i].tail, cases[i].close);

        expect_at(text, cases[i].line, cases[i].want);
        free(text);
    }
}

/* Text the reader cannot show or keep: invalid UTF-8 (results.json could
 * not hold the experiment), NUL, control characters, byte order marks. */
static void test_encoding(void **state)
{
    struct suite_config c;
    char why[WHY_LEN] = "";

    expect_at(EXP "title = \"caf\xe9\"\n", 6, "bad TOML: Encountered invalid "
              "utf-8 sequence");
    expect_at(EXP "description = \"\"\"ok\n\xff\xfe\n\"\"\"\n", 6,
              "invalid utf-8");
    expect_at(EXP "title = \"a\\u0000b\"\n", 6, "a NUL character");
    /* A key with a newline in it: the message stays one line. */
    expect_at("\"a\\nb\" = 1\n" EXP, 1, "unknown key 'a\\x0ab' at the top "
              "level");
    /* Letters past ASCII where toml++ 3.3.0 asked whether they were
     * whitespace and reached undefined behaviour (UBSan sees it). */
    load_ok(EXP "description = \"\"\"caf\xc3\xa9 \\\n  \xc3\xa9t\xc3\xa9\"\"\"\n",
            &c);
    assert_string_equal(c.experiments[0].description,
                        "caf\xc3\xa9 \xc3\xa9t\xc3\xa9");
    config_free(&c);
    expect_at("[model]\nscrub = true \xd1\x8f\n" EXP, 2, "bad TOML: ");
    /* A byte order mark opens the file: it is not part of the text. */
    load_ok("\xef\xbb\xbf" EXP, &c);
    config_free(&c);
    /* Anywhere else it is shown, not quoted invisibly. */
    expect_at("[model]\n\xef\xbb\xbfscrub = true\n" EXP, 2,
              "saw '\\uFEFF'");
    expect_at("[model]\nmemory = \"\xef\xbb\xbf" "1G\"\n" EXP, 2,
              "bad value '\\uFEFF1G'");
    assert_int_equal(load_text("[model]\nmemory = \"\xef\xbb\xbf" "1G\"\n"
                               EXP, &c, why), -1);
    for (const char *p = why; *p; p++)
        assert_true(*p >= 0x20 && *p < 0x7f);
}

static void test_big_numbers(void **state)
{
    expect_at("[run]\nseed = 99999999999999999999\n" EXP, 2,
              "'99999999999999999999' is not representable in 64 bits (TOML "
              "integers are -9223372036854775808 .. 9223372036854775807)");
    expect_at("[[experiment]]\nname = \"e\"\nquestion = 1\n"
              "backends = [\"xmalloc\"]\n"
              "workload = { name = \"pairs\", events = 9223372036854775807 }\n",
              5, "events in [experiment.workload] of experiment 'e': "
              "9223372036854775807 is more than 100000000, the most one "
              "trace may have");
    expect_at("[run]\npoint_timeout = \"1e8h\"\n" EXP, 2,
              "point_timeout in [run]: 3.6e+11 s is out of range (at most "
              "1e+09 s)");
    expect_at("[run]\nbudget = \"0s\"\n" EXP, 2,
              "budget in [run]: the duration must be positive");
}

/* A trace must be a readable regular file, and not the config file. */
static void test_trace_kinds(void **state)
{
    char dir[] = "/tmp/xheap-test-config-XXXXXX", path[256], fifo[256];
    char why[WHY_LEN] = "";
    struct suite_config c;
    FILE *f;

    expect_at("[[experiment]]\nname = \"r\"\nquestion = 1\n"
              "backends = [\"xmalloc\"]\nworkload = { trace = \".\" }\n", 5,
              "trace in [experiment.workload] of experiment 'r': cannot read "
              ".: it is a folder, not a trace file");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/b.toml", dir);
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("[[experiment]]\nname = \"r\"\nquestion = 1\n"
          "backends = [\"xmalloc\"]\nworkload = { trace = \"b.toml\" }\n"
          "[[experiment]]\nname = \"s\"\nquestion = 1\n"
          "backends = [\"xmalloc\"]\nworkload = { trace = \"fifo\" }\n", f);
    fclose(f);
    assert_int_equal(config_load(path, &c, why, sizeof why), -1);
    assert_non_null(strstr(why, ":5: trace in [experiment.workload] of "
                                "experiment 'r': cannot read"));
    assert_non_null(strstr(why, "b.toml: it is this config file"));
    /* The same trace under another name is still the config file. */
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("[[experiment]]\nname = \"r\"\nquestion = 1\n"
          "backends = [\"xmalloc\"]\nworkload = { trace = \"./b.toml\" }\n", f);
    fclose(f);
    assert_int_equal(config_load(path, &c, why, sizeof why), -1);
    assert_non_null(strstr(why, "it is this config file"));
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("[[experiment]]\nname = \"s\"\nquestion = 1\n"
          "backends = [\"xmalloc\"]\nworkload = { trace = \"fifo\" }\n", f);
    fclose(f);
    assert_int_equal(config_load(path, &c, why, sizeof why), -1);
    assert_non_null(strstr(why, ":5: "));
    assert_non_null(strstr(why, "fifo: it is not a regular file"));
    unlink(fifo);
    unlink(path);
    rmdir(dir);
}

/* One value spelt two ways would be one measurement with two ids. */
static void test_sweep_spellings(void **state)
{
    struct suite_config c;

    expect_at(EXP "[experiment.sweep.workload]\nsize = [\"4K\", \"1K\",\n"
              "  4096]\n", 8, "size in [experiment.sweep.workload] of "
              "experiment 'e': 4096 is listed twice (as 4K at line 7)");
    expect_at(EXP "[experiment.sweep.model]\nmemory = [\"1G\", \"1024M\"]\n",
              7, "memory in [experiment.sweep.model] of experiment 'e': "
              "1024M is listed twice (as 1G at line 7)");
    expect_at(EXP "[experiment.sweep.model]\nflush = [\"page\", \"lazy\", "
              "\"page\"]\n", 7, "page is listed twice");
    /* Pages follow the page size: 2p is 8K only at 4K. */
    load_ok(EXP "page_sizes = [\"4K\", \"16K\"]\n"
            "[experiment.sweep.workload]\nsize = [\"2p\", \"8K\"]\n", &c);
    config_free(&c);
}

/* "Both set and swept" names both lines. */
static void test_set_and_swept(void **state)
{
    expect_error("[[experiment]]\nname = \"e\"\nquestion = 1\n"
                 "backends = [\"xmalloc\"]\n"
                 "workload = { name = \"pairs\", events = 100, size = 64 }\n"
                 "\n[experiment.sweep.workload]\nsize = [32, 128]\n",
                 NAME ":5: workload option size is both set and swept in "
                 "experiment 'e' (set at line 5, swept at line 8); keep one");
    expect_error(EXP "model = { scrub = false }\n"
                 "[experiment.sweep.model]\nscrub = [true, false]\n",
                 NAME ":6: scrub is both set and swept in experiment 'e' (set "
                 "at line 6, swept at line 8); keep one");
}

/* Loading is linear in the experiments: 4 times as many take about 4
 * times as long (a quadratic loader took 16 times; 27,000 took seconds).
 * The best of a few runs of each, and a generous bound for a busy host. */
static double load_seconds(size_t n)
{
    static const char exp[] = "[[experiment]]\nname = \"e%zu\"\n"
                              "question = 1\nbackends = [\"xmalloc\"]\n"
                              "workload = { name = \"pairs\", events = 100 }\n";
    char *text = malloc(n * (sizeof exp + 20)), why[WHY_LEN];
    double best = 1e9;
    size_t len = 0;

    assert_non_null(text);
    for (size_t i = 0; i < n; i++)
        len += (size_t)sprintf(text + len, exp, i);
    for (int run = 0; run < 3; run++) {
        struct suite_config c;
        struct timespec a, b;

        clock_gettime(CLOCK_MONOTONIC, &a);
        if (config_parse(NAME, text, len, &c, why, sizeof why) != 0)
            fail_msg("%s", why);
        clock_gettime(CLOCK_MONOTONIC, &b);
        assert_int_equal(c.n_experiments, n);
        config_free(&c);
        if ((double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9 <
            best)
            best = (double)(b.tv_sec - a.tv_sec) +
                   (b.tv_nsec - a.tv_nsec) / 1e9;
    }
    free(text);
    return best;
}

static void test_linear_load(void **state)
{
    double small = load_seconds(3000), large = load_seconds(12000);

    printf("load: 3000 experiments %.3f s, 12000 %.3f s (x%.1f)\n", small,
           large, large / small);
    assert_true(large < 10 * small);
}

/* ---- points --------------------------------------------------------- */

static void test_counts_resolve(void **state)
{
    struct config_counts scale = { 1, { CONFIG_SCALE } };
    struct config_counts list = { 4, { 1, 2, CONFIG_ALL, 2 } };
    uint32_t out[16];

    assert_int_equal(config_counts_resolve(&scale, false, 8, out, 16), 4);
    assert_int_equal(out[0], 1);
    assert_int_equal(out[3], 8);
    assert_int_equal(config_counts_resolve(&scale, false, 6, out, 16), 4);
    assert_int_equal(out[3], 6);
    assert_int_equal(config_counts_resolve(&scale, true, 8, out, 16), 4);
    assert_int_equal(out[0], 0);
    assert_int_equal(out[1], 1);
    assert_int_equal(out[2], 3);
    assert_int_equal(out[3], 7);
    assert_int_equal(config_counts_resolve(&scale, true, 1, out, 16), 1);
    assert_int_equal(out[0], 0);
    /* "all" on 2 cores is 2, already listed: dropped. */
    assert_int_equal(config_counts_resolve(&list, false, 2, out, 16), 2);
    assert_int_equal(config_counts_resolve(&list, false, 4, out, 16), 3);
    assert_int_equal(out[2], 4);
}

static void test_points(void **state)
{
    struct suite_config c;
    struct config_env env = { .cores = 4 };
    struct config_point pt;
    const struct experiment *e;
    char why[WHY_LEN];

    load_ok("[run]\nseed = 7\n"
            "[[experiment]]\nname = \"p\"\nquestion = \"custom-label\"\n"
            "backends = [\"xmalloc\", \"vmalloc\"]\n"
            "page_sizes = [\"4K\", \"16K\"]\n"
            "workload = { name = \"pairs\", events = 5000, contig = true }\n"
            "run = { threads = [\"1\", \"all\"], flush_peers = [\"0\", \"1\"] }\n"
            "[experiment.sweep.model]\ndirectmap = [true, false]\n"
            "[experiment.sweep.workload]\nsize = [\"1K\", \"2p\", \"100\"]\n", &c);
    e = config_find(&c, "p");
    assert_non_null(e);
    assert_int_equal(e->question, 0);
    assert_string_equal(e->label, "custom-label");
    assert_int_equal(e->n_sweeps, 2);
    assert_string_equal(e->sweeps[0].key, "directmap");
    assert_string_equal(e->sweeps[1].key, "size");
    /* 2 page sizes x 2 x 3 sweeps x 2 threads x 2 peers x 2 backends */
    assert_int_equal(config_points(e, &env), 2 * 2 * 3 * 2 * 2 * 2);

    assert_int_equal(config_point(e, &env, 0, &pt, why, sizeof why), 0);
    assert_string_equal(pt.backend, "xmalloc");
    assert_int_equal(pt.model.page_size, 4096);
    assert_true(pt.model.directmap);
    assert_int_equal(pt.gen.size, 1024);
    assert_true(pt.gen.contig);
    assert_int_equal(pt.gen.seed, 7);
    assert_int_equal(pt.gen.events, 5000);
    assert_int_equal(pt.threads, 1);

    assert_int_equal(config_point(e, &env, 1, &pt, why, sizeof why), 0);
    assert_string_equal(pt.backend, "vmalloc");      /* backends fastest */
    assert_int_equal(config_point(e, &env, 2, &pt, why, sizeof why), 0);
    assert_int_equal(pt.flush_peers, 1);              /* then peers */
    assert_int_equal(config_point(e, &env, 4, &pt, why, sizeof why), 0);
    assert_int_equal(pt.threads, 4);                  /* "all" of 4 cores */
    assert_int_equal(pt.gen.threads, 4);
    assert_int_equal(config_point(e, &env, 8, &pt, why, sizeof why), 0);
    assert_int_equal(pt.gen.size, 2 * 4096);          /* "2p" */
    assert_int_equal(config_point(e, &env, 24, &pt, why, sizeof why), 0);
    assert_false(pt.model.directmap);
    assert_int_equal(pt.gen.size, 1024);
    assert_int_equal(config_point(e, &env, 48 + 8, &pt, why, sizeof why), 0);
    assert_int_equal(pt.model.page_size, 16384);
    assert_int_equal(pt.gen.size, 2 * 16384);         /* pages follow it */

    env.quick = true;
    assert_int_equal(config_point(e, &env, 0, &pt, why, sizeof why), 0);
    assert_int_equal(pt.gen.events, 500);             /* quick_scale 0.1 */
    assert_int_equal(pt.repetitions, 2);
    assert_int_equal(pt.warmup, 1);
    config_free(&c);
}

/* aging fills the model's memory unless told otherwise. */
static void test_model_follows(void **state)
{
    struct suite_config c;
    struct config_env env = { .cores = 1 };
    struct config_point pt;
    char why[WHY_LEN];

    load_ok("[[experiment]]\nname = \"a\"\nquestion = 4\n"
            "backends = [\"xmalloc\"]\nmodel = { memory = \"64M\", "
            "max_order = 12 }\nworkload = { name = \"aging\", events = 20000 }\n",
            &c);
    assert_int_equal(config_point(&c.experiments[0], &env, 0, &pt, why,
                                  sizeof why), 0);
    assert_int_equal(pt.gen.memory, 64u << 20);
    assert_int_equal(pt.gen.max_order, 12);
    assert_int_equal(pt.model.memory_bytes, 64u << 20);
    config_free(&c);
}

/* ---- JSON and documentation ----------------------------------------- */

static void test_json(void **state)
{
    struct suite_config c;
    struct config_env env = { .cores = 2 };
    struct config_point pt;
    char why[WHY_LEN];
    json_t *j, *model, *exps, *pj;

    assert_int_equal(config_load(SHIPPED, &c, why, sizeof why), 0);
    j = config_json(&c);
    assert_non_null(j);
    model = json_object_get(j, "model");
    for (const char *const *k = config_keys("model"); *k; k++)
        if (!json_object_get(model, *k))
            fail_msg("config_json: no model key %s", *k);
    for (const char *const *k = config_keys("run"); *k; k++)
        if (!json_object_get(json_object_get(j, "run"), *k))
            fail_msg("config_json: no run key %s", *k);
    assert_int_equal(json_integer_value(json_object_get(model, "memory")),
                     1 << 30);
    assert_string_equal(json_string_value(json_object_get(model, "flush")),
                        "page");
    exps = json_object_get(j, "experiment");
    assert_int_equal(json_array_size(exps), c.n_experiments);
    assert_string_equal(json_string_value(json_object_get(
        json_array_get(exps, 0), "name")), c.experiments[0].name);
    json_decref(j);

    assert_int_equal(config_point(config_find(&c, "q7-directmap"), &env, 3,
                                  &pt, why, sizeof why), 0);
    pj = config_point_json(&pt);
    assert_true(json_is_false(json_object_get(json_object_get(pj, "sweep"),
                                              "directmap")));
    assert_string_equal(json_string_value(json_object_get(pj, "backend")),
                        "pages");
    json_decref(pj);
    config_free(&c);
}

/* docs/bench-toml.md names every key, as `key`. */
static void test_docs_cover_keys(void **state)
{
    static const char *const sections[] = { "model", "run", "experiment",
                                            "access", "workload" };
    size_t len;
    char *doc = read_all(DOCS, &len);

    for (size_t s = 0; s < sizeof sections / sizeof sections[0]; s++)
        for (const char *const *k = config_keys(sections[s]); *k; k++) {
            char quoted[80];

            snprintf(quoted, sizeof quoted, "`%s`", *k);
            if (!strstr(doc, quoted))
                fail_msg("%s does not document %s key %s", DOCS,
                         sections[s], *k);
        }
    free(doc);
}

/* ---- robustness ----------------------------------------------------- */

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Bytes flipped, deleted, duplicated or truncated: every outcome is a
 * success or one line "bench.toml:N: ..." with N inside the file. */
static void test_mutations(void **state)
{
    static const char alphabet[] = "[]{}\"'=,.#\n \\0123456789abcKMGp-_";
    size_t len, lines = 1;
    char *orig = read_all(SHIPPED, &len), *buf = malloc(len + 64);
    uint64_t seed = 12345;
    unsigned refused = 0;

    assert_non_null(buf);
    for (size_t i = 0; i < len; i++)
        lines += orig[i] == '\n';
    for (int m = 0; m < MUTATIONS; m++) {
        struct suite_config c;
        char why[WHY_LEN] = "";
        size_t n = len;

        memcpy(buf, orig, len);
        for (int edits = 1 + (int)(rng_next(&seed) % 3); edits > 0; edits--) {
            size_t at = rng_next(&seed) % n;

            switch (rng_next(&seed) % 4) {
            case 0:
                buf[at] = alphabet[rng_next(&seed) % (sizeof alphabet - 1)];
                break;
            case 1:
                memmove(buf + at, buf + at + 1, n - at - 1);
                n--;
                break;
            case 2:
                if (n < len + 32) {
                    memmove(buf + at + 1, buf + at, n - at);
                    n++;
                }
                break;
            default:
                n = at + 1;
                break;
            }
        }
        if (config_parse(SHIPPED, buf, n, &c, why, sizeof why) == 0) {
            config_free(&c);
            continue;
        }
        refused++;
        {
            unsigned line = 0;
            int used = 0;

            if (sscanf(why, SHIPPED ":%u: %n", &line, &used) != 1 || !used)
                fail_msg("mutation %d: no file:line: %s", m, why);
            if (line < 1 || line > lines + 1)
                fail_msg("mutation %d: line %u of %zu: %s", m, line, lines,
                         why);
            assert_null(strchr(why, '\n'));
        }
    }
    printf("mutations: %d, refused %u with file:line\n", MUTATIONS, refused);
    assert_true(refused > 0);
    free(buf);
    free(orig);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_loads),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_unknown_key),
        cmocka_unit_test(test_wrong_type),
        cmocka_unit_test(test_bad_size),
        cmocka_unit_test(test_bad_page_size),
        cmocka_unit_test(test_unknown_backend),
        cmocka_unit_test(test_unknown_workload),
        cmocka_unit_test(test_unknown_workload_option),
        cmocka_unit_test(test_duplicate_experiment),
        cmocka_unit_test(test_syntax_error),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_sweep_errors),
        cmocka_unit_test(test_access_errors),
        cmocka_unit_test(test_trace),
        cmocka_unit_test(test_quick_checked),
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_encoding),
        cmocka_unit_test(test_big_numbers),
        cmocka_unit_test(test_trace_kinds),
        cmocka_unit_test(test_sweep_spellings),
        cmocka_unit_test(test_set_and_swept),
        cmocka_unit_test(test_linear_load),
        cmocka_unit_test(test_counts_resolve),
        cmocka_unit_test(test_points),
        cmocka_unit_test(test_model_follows),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_docs_cover_keys),
        cmocka_unit_test(test_mutations),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
