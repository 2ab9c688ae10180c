/*
 * xheap record: a small C program, compiled here, is recorded through
 * libxheap-record.so; its trace is valid and holds exactly the requests it
 * made, with their flags, alignments, threads and reallocs; its forked
 * child gets a trace of its own, or none when children are cut off.
 *
 * make test runs from the tree's root, where build/libxheap-record.so is.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/check.h"
#include "drivers/cli/cli.h"
#include "drivers/cli/record.h"
#include "workloads/trace.h"

#define RECORD_LIB "build/libxheap-record.so"

static char dir[] = "/tmp/xheap-test-record-XXXXXX";
static char prog[PATH_MAX];

/* Sizes no C library start-up asks for, so the test can find them. */
static const char prog_src[] =
    "#include <malloc.h>\n"
    "#include <pthread.h>\n"
    "#include <stdlib.h>\n"
    "#include <sys/wait.h>\n"
    "#include <unistd.h>\n"
    "static void *worker(void *arg) { return malloc(11111); }\n"
    "int main(void)\n"
    "{\n"
    "    void *a = malloc(12345), *b = calloc(7, 1001), *c, *d, *e, *f, *g;\n"
    "    void *h, *w;\n"
    "    pthread_t t;\n"
    "    a = realloc(a, 23456);\n"
    "    if (posix_memalign(&c, 256, 3333)) return 1;\n"
    "    d = aligned_alloc(512, 9216);\n"
    "    e = memalign(1024, 5555);\n"
    "    f = valloc(6666);\n"
    "    g = pvalloc(7777);\n"
    "    h = reallocarray(NULL, 3, 1212);\n"
    "    pthread_create(&t, NULL, worker, NULL);\n"
    "    pthread_join(t, &w);\n"
    "    free(w);\n"
    "    free(a); free(b); free(c); free(d); free(e); free(f); free(g);\n"
    "    free(h);\n"
    "    if (fork() == 0) { free(malloc(24680)); _exit(0); }\n"
    "    wait(NULL);\n"
    "    return 3;\n"
    "}\n";

static const char *in_dir(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", dir, name);
    return buf;
}

static int run_record(char **argv, int argc)
{
    int rc = cmd_record(argc, argv);

    fflush(stdout);
    return rc;
}

#define RECORD(...) ({ char *argv_[] = { "record", __VA_ARGS__, NULL }; \
    run_record(argv_, (int)(sizeof(argv_) / sizeof(argv_[0])) - 1); })

struct decoded {
    struct trace_event ev[4096];
    size_t n;
};

/* Reads a trace, failing the test on any reader error or excess. */
static void decode(const char *path, struct decoded *d)
{
    struct trace_error err;
    struct trace_reader *r = trace_open(path, &err);
    int rc;

    if (!r)
        fail_msg("%s", err.msg);
    d->n = 0;
    while ((rc = trace_next(r, &d->ev[d->n], &err)) == 1)
        assert_true(++d->n < sizeof(d->ev) / sizeof(d->ev[0]));
    if (rc != 0)
        fail_msg("%s", err.msg);
    trace_close(r);
}

/* The a event of SIZE; exactly one must exist. */
static const struct trace_event *alloc_of(const struct decoded *d,
                                          uint64_t size)
{
    const struct trace_event *found = NULL;

    for (size_t i = 0; i < d->n; i++)
        if (d->ev[i].op == 'a' && d->ev[i].size == size) {
            if (found)
                fail_msg("two allocations of %llu", (unsigned long long)size);
            found = &d->ev[i];
        }
    if (!found)
        fail_msg("no allocation of %llu", (unsigned long long)size);
    return found;
}

/* The event with op OP on ID after index FROM. */
static const struct trace_event *next_on(const struct decoded *d,
                                         const struct trace_event *from,
                                         int op)
{
    for (const struct trace_event *e = from + 1; e < d->ev + d->n; e++)
        if (e->id == from->id && e->op != 'w')
            return e->op == op ? e : NULL;
    return NULL;
}

static void expect_freed(const struct decoded *d, uint64_t size,
                         unsigned flags, unsigned align_log2)
{
    const struct trace_event *a = alloc_of(d, size);

    if (a->flags != flags || a->align_log2 != align_log2)
        fail_msg("allocation of %llu: flags %u align 2^%u, want %u, 2^%u",
                 (unsigned long long)size, a->flags, a->align_log2, flags,
                 align_log2);
    if (!next_on(d, a, 'f'))
        fail_msg("allocation of %llu is not freed", (unsigned long long)size);
}

/* The child traces next to OUT: FILE.<pid>; returns how many, first pid. */
static int child_traces(const char *name, int *pid)
{
    char cmd[600];
    int n = 0, p;
    FILE *ls;

    snprintf(cmd, sizeof(cmd), "ls %s | sed -n 's/^%s\\.\\([0-9]*\\)$/\\1/p'",
             dir, name);
    ls = popen(cmd, "r");
    assert_non_null(ls);
    while (fscanf(ls, "%d", &p) == 1)
        if (n++ == 0)
            *pid = p;
    pclose(ls);
    return n;
}

static void test_record_program(void **state)
{
    char out[256], child[300];
    struct decoded *d = malloc(sizeof(*d));
    const struct trace_event *a, *r, *w;
    int pid = 0;

    assert_non_null(d);
    assert_int_equal(RECORD("-o", (char *)in_dir(out, sizeof(out), "p.trace"),
                            "--", prog), 3);   /* the program's status */
    decode(out, d);

    /* malloc 12345, realloc'd to 23456 under the same id, then freed. */
    a = alloc_of(d, 12345);
    r = next_on(d, a, 'r');
    assert_non_null(r);
    assert_int_equal(r->size, 23456);
    assert_non_null(next_on(d, r, 'f'));

    expect_freed(d, 7007, TRACE_ZERO, 0);   /* calloc(7, 1001) */
    expect_freed(d, 3333, 0, 8);            /* posix_memalign(256) */
    expect_freed(d, 9216, 0, 9);            /* aligned_alloc(512) */
    expect_freed(d, 5555, 0, 10);           /* memalign(1024) */
    expect_freed(d, 6666, 0, 12);           /* valloc: page aligned */
    expect_freed(d, 8192, 0, 12);           /* pvalloc(7777): whole pages */
    expect_freed(d, 3636, 0, 0);            /* reallocarray(NULL, 3, 1212) */

    /* The worker's block: allocated on thread 1, freed on thread 0. */
    w = alloc_of(d, 11111);
    assert_int_equal(w->thread, 1);
    assert_int_equal(next_on(d, w, 'f')->thread, 0);

    /* The forked child (which left by _exit) has a trace of its own. */
    assert_int_equal(child_traces("p.trace", &pid), 1);
    snprintf(child, sizeof(child), "%s.%d", out, pid);
    decode(child, d);
    expect_freed(d, 24680, 0, 0);
    free(d);
}

static void test_no_follow(void **state)
{
    char out[256];
    struct decoded *d = malloc(sizeof(*d));
    int pid;

    assert_non_null(d);
    assert_int_equal(RECORD("-o", (char *)in_dir(out, sizeof(out), "n.trace"),
                            "--no-follow-children", "--", prog), 3);
    decode(out, d);
    alloc_of(d, 12345);
    assert_int_equal(child_traces("n.trace", &pid), 0);
    free(d);
}

/* Real tools: sort's trace is valid and sorts something. */
static void test_record_sort(void **state)
{
    char in[256], out[256], sorted[256];
    struct decoded *d = malloc(sizeof(*d));
    FILE *f = fopen(in_dir(in, sizeof(in), "words"), "w");
    size_t allocs = 0;

    assert_non_null(f);
    for (int i = 0; i < 500; i++)
        fprintf(f, "%d\n", (i * 7919) % 1000);
    fclose(f);
    assert_int_equal(RECORD("-o", (char *)in_dir(out, sizeof(out), "s.trace"),
                            "--", "sort", "-n", "-o",
                            (char *)in_dir(sorted, sizeof(sorted), "sorted"),
                            in), 0);
    decode(out, d);
    for (size_t i = 0; i < d->n; i++)
        allocs += d->ev[i].op == 'a';
    assert_true(allocs > 10);
    free(d);

    assert_int_equal(RECORD("-o", (char *)in_dir(out, sizeof(out), "t.trace"),
                            "--", "/bin/true"), 0);
}

static void test_errors(void **state)
{
    char out[256];

    in_dir(out, sizeof(out), "e.trace");
    assert_int_equal(RECORD("-o", out), EXIT_USAGE);
    assert_int_equal(RECORD("--bogus", "--", "true"), EXIT_USAGE);
    assert_int_equal(RECORD("-o", out, "--", "/nonexistent/program"),
                     EXIT_USAGE);
    assert_int_equal(RECORD("-o", out, "--", "sh", "-c", "exit 5"), 5);
    assert_int_equal(RECORD("-o", out, "--", "sh", "-c", "kill -TERM $$"),
                     128 + 15);
}

static int setup(void **state)
{
    char src[PATH_MAX], lib[PATH_MAX], cmd[3 * PATH_MAX];
    FILE *f;

    if (!mkdtemp(dir) || !realpath(RECORD_LIB, lib))
        return -1;
    setenv("XHEAP_RECORD_LIB", lib, 1);
    snprintf(src, sizeof(src), "%s/prog.c", dir);
    snprintf(prog, sizeof(prog), "%s/prog", dir);
    f = fopen(src, "w");
    if (!f)
        return -1;
    fputs(prog_src, f);
    fclose(f);
    snprintf(cmd, sizeof(cmd), "gcc -O0 -fno-builtin -pthread -o %s %s",
             prog, src);
    return system(cmd);
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
        cmocka_unit_test(test_record_program),
        cmocka_unit_test(test_no_follow),
        cmocka_unit_test(test_record_sort),
        cmocka_unit_test(test_errors),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
