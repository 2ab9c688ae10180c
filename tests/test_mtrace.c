/*
 * xheap import-mtrace: glibc mtrace logs to traces. A crafted log with every
 * kind of line converts to the expected events; malformed logs are refused
 * with FILE:LINE; a log written by glibc itself converts too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/check.h"
#include "drivers/cli/cli.h"
#include "drivers/cli/record.h"
#include "workloads/mtrace.h"
#include "workloads/trace.h"

static char dir[] = "/tmp/xheap-test-mtrace-XXXXXX";

static const char *in_dir(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", dir, name);
    return buf;
}

/* Converts LOG; returns mtrace_convert's result, the trace in *TEXT. */
static int convert(const char *log, char **text, struct addr_stats *st,
                   char *why, size_t len)
{
    FILE *in = fmemopen((void *)log, strlen(log), "r");
    size_t n;
    FILE *out = open_memstream(text, &n);
    int rc;

    assert_non_null(in);
    assert_non_null(out);
    rc = mtrace_convert("crafted.log", in, out, st, why, len);
    fclose(in);
    fclose(out);
    return rc;
}

/* Reads TEXT back with the trace reader into "a 1 100|r 1 200|..." form. */
static void events_of(const char *text, char *buf, size_t len)
{
    struct trace_error err;
    struct trace_reader *r = trace_open_mem("converted", text, strlen(text),
                                            &err);
    struct trace_event ev;
    size_t used = 0;
    int rc;

    assert_non_null(r);
    buf[0] = 0;
    while ((rc = trace_next(r, &ev, &err)) == 1) {
        if (ev.op == 'a' || ev.op == 'r')
            used += (size_t)snprintf(buf + used, len - used, "%c %llu %llu|",
                                     ev.op, (unsigned long long)ev.id,
                                     (unsigned long long)ev.size);
        else
            used += (size_t)snprintf(buf + used, len - used, "%c %llu|", ev.op,
                                     (unsigned long long)ev.id);
        assert_true(used < len);
    }
    if (rc != 0)
        fail_msg("%s", err.msg);
    trace_close(r);
}

static const char crafted[] =
    "= Start\n"
    "@ ./prog:[0x401136] + 0x1000 0x64\n"
    "@ ./prog:(main+0x1d)[0x401150] + 0x2000 0x10\n"
    "+ 0x3000 0\n"
    "@ [0x401160] < 0x1000\n"
    "@ [0x401160] > 0x4000 0xc8\n"
    "@ /lib/x86_64-linux-gnu/libc.so.6:(__libc_start_main+0xf5)[0x7f00] - 0x2000\n"
    "- 0x5000\n"
    "@ ./prog:[0x401170] ! 0x4000 0x100000\n"
    "@ ./prog:[0x401180] + (nil) 0x1000000000000000\n"
    "+ 0x2000 0x20\n"
    "+ 0x3000 0x8\n"
    "- 0x4000\n"
    "- (nil)\n"
    "= End\n";

static void test_crafted_log(void **state)
{
    struct addr_stats st;
    char *text, why[256], got[512];

    assert_int_equal(convert(crafted, &text, &st, why, sizeof(why)), 0);
    events_of(text, got, sizeof(got));
    assert_string_equal(got, "a 1 100|a 2 16|a 3 0|r 1 200|f 2|a 4 32|"
                             "f 3|a 5 8|f 1|");
    assert_int_equal(st.allocs, 5);
    assert_int_equal(st.frees, 3);
    assert_int_equal(st.reallocs, 1);
    assert_int_equal(st.unmatched_frees, 1);   /* - 0x5000 */
    assert_int_equal(st.failed, 2);            /* ! and + (nil) */
    assert_int_equal(st.missed_frees, 1);      /* + 0x3000 while live */
    assert_int_equal(st.live_at_end, 2);       /* ids 4 and 5 */
    assert_int_equal(st.events, 9);
    free(text);
}

/* A realloc of a block the log never saw becomes a fresh allocation. */
static void test_unknown_realloc(void **state)
{
    struct addr_stats st;
    char *text, why[256], got[256];

    assert_int_equal(convert("< 0x9000\n> 0x9100 0x40\n- 0x9100\n", &text,
                             &st, why, sizeof(why)), 0);
    events_of(text, got, sizeof(got));
    assert_string_equal(got, "a 1 64|f 1|");
    assert_int_equal(st.unmatched_reallocs, 1);
    free(text);
}

static void test_malformed(void **state)
{
    static const struct { const char *log, *want; } bad[] = {
        { "= Start\n+ 0x1000\n", "crafted.log:2: bad size" },
        { "* 0x1000 0x10\n", "crafted.log:1: not an mtrace line" },
        { "+ zz 0x10\n", "crafted.log:1: bad address" },
        { "+ 0x1000 0x10 junk\n", "crafted.log:1: unexpected text" },
        { "@ ./prog:[0x1 + 0x10 0x10\n", "crafted.log:1: not an mtrace line" },
        { "> 0x1000 0x10\n", "crafted.log:1: '>' without the '<'" },
        { "< 0x1000\n+ 0x2000 0x10\n",
          "crafted.log:2: the '<' of line 1 is not followed by its '>'" },
        { "+ 0x1000 0x10\n< 0x1000\n",
          "crafted.log:2: the log ends before the '>'" },
        { "+ 0x1000 0xfffffffffffffffffff\n", "crafted.log:1: bad size" },
        { "+ 0x1000 0x10\n< 0x1000\n> 0x2000 0", "crafted.log:3: truncated "
          "last line (no newline at end of file): '> 0x2000 0'" },
        { "+ 0x1000 0x10\n= End", "crafted.log:2: truncated last line" },
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct addr_stats st;
        char *text, why[256];

        assert_int_equal(convert(bad[i].log, &text, &st, why, sizeof(why)),
                         -1);
        if (strncmp(why, bad[i].want, strlen(bad[i].want)) != 0)
            fail_msg("log %zu: got '%s', want '%s...'", i, why, bad[i].want);
        free(text);
    }
}

static int run_import(const char *log, const char *out)
{
    char *argv[] = { "import-mtrace", (char *)log, "-o", (char *)out, NULL };
    int rc = cmd_import_mtrace(4, argv);

    fflush(stdout);
    return rc;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void test_command(void **state)
{
    char log[256], out[256], bad[256];
    struct stat st;

    write_file(in_dir(log, sizeof(log), "ok.log"), crafted);
    assert_int_equal(run_import(log, in_dir(out, sizeof(out), "ok.trace")), 0);
    assert_int_equal(stat(out, &st), 0);

    /* A malformed log: exit 2 and no trace left behind. */
    write_file(in_dir(bad, sizeof(bad), "bad.log"), "+ 0x1 0x1\n? 0x1\n");
    assert_int_equal(run_import(bad, in_dir(out, sizeof(out), "bad.trace")),
                     EXIT_USAGE);
    assert_int_not_equal(stat(out, &st), 0);
    assert_int_equal(run_import(in_dir(bad, sizeof(bad), "none.log"), out),
                     EXIT_USAGE);
}

/* glibc's own mtrace output, where libc_malloc_debug.so is installed. */
static void test_real_mtrace(void **state)
{
    static const char prog[] =
        "#include <mcheck.h>\n#include <stdlib.h>\n"
        "int main(void) { mtrace(); char *p = malloc(1234);\n"
        "  p = realloc(p, 4321); void *q = calloc(3, 333);\n"
        "  free(q); free(p); muntrace(); return 0; }\n";
    static const char debug_lib[] = "/lib/x86_64-linux-gnu/libc_malloc_debug.so.0";
    char src[256], bin[256], log[256], cmd[2048], *text = NULL, why[256];
    char got[512];
    struct addr_stats st;
    FILE *in, *out;
    size_t n;

    if (access(debug_lib, R_OK) != 0) {
        print_message("skipped: no %s\n", debug_lib);
        return;
    }
    write_file(in_dir(src, sizeof(src), "prog.c"), prog);
    in_dir(bin, sizeof(bin), "prog");
    in_dir(log, sizeof(log), "real.log");
    snprintf(cmd, sizeof(cmd), "gcc -O0 -o %s %s && MALLOC_TRACE=%s "
             "LD_PRELOAD=%s %s", bin, src, log, debug_lib, bin);
    assert_int_equal(system(cmd), 0);
    in = fopen(log, "r");
    assert_non_null(in);
    out = open_memstream(&text, &n);
    if (mtrace_convert(log, in, out, &st, why, sizeof(why)) != 0)
        fail_msg("%s", why);
    fclose(in);
    fclose(out);
    events_of(text, got, sizeof(got));
    assert_string_equal(got, "a 1 1234|r 1 4321|a 2 999|f 2|f 1|");
    free(text);
}

static int setup(void **state)
{
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crafted_log),
        cmocka_unit_test(test_unknown_realloc),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_command),
        cmocka_unit_test(test_real_mtrace),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
