/*
 * perf counters: software events count what they should (the faults of
 * touching fresh pages, in this thread and in threads created later),
 * hardware events either count or say why not, and names nobody knows are
 * refused with a reason instead of a crash.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "tests/check.h"
#include "drivers/measure/counters.h"

#define FRESH_PAGES  512
#define BUSY_NS      (20 * 1000 * 1000)

static struct counter_set open_set(const char *list)
{
    struct counter_set s;
    char why[256];

    if (counters_parse(list, &s, why, sizeof why))
        fail_msg("counters_parse(%s): %s", list, why);
    counters_open(&s);
    return s;
}

/* Maps PAGES fresh anonymous pages, small ones so each touch faults once. */
static char *fresh(size_t pages)
{
    size_t len = pages * (size_t)sysconf(_SC_PAGESIZE);
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    assert_true(p != MAP_FAILED);
    madvise(p, len, MADV_NOHUGEPAGE);
    return p;
}

static void touch(char *p, size_t pages)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);

    for (size_t i = 0; i < pages; i++)
        ((volatile char *)p)[i * page] = 1;
}

static void unmap(char *p, size_t pages)
{
    munmap(p, pages * (size_t)sysconf(_SC_PAGESIZE));
}

/* A counter that may be forbidden must say what to change. */
static bool usable(const struct counter *c)
{
    if (c->supported)
        return true;
    assert_non_null(strstr(c->why, "perf_event_paranoid"));
    print_message("%s: %s (check skipped)\n", c->name, c->why);
    return false;
}

static void check_faults(uint64_t got, uint64_t want)
{
    if (got < want || got > want + want / 10 + 64)
        fail_msg("%llu page faults counted for %llu fresh pages",
                 (unsigned long long)got, (unsigned long long)want);
}

static void faults_of_fresh_pages(const char *event)
{
    struct counter_set s = open_set(event);
    char *p = fresh(FRESH_PAGES);

    counters_start(&s);
    touch(p, FRESH_PAGES);
    counters_stop(&s);
    if (usable(&s.ev[0]))
        check_faults(s.ev[0].value, FRESH_PAGES);
    unmap(p, FRESH_PAGES);
    counters_free(&s);
}

static void page_faults_count_fresh_pages(void **state)
{
    faults_of_fresh_pages("page-faults");
}

/* The same event through libpfm4's name for it. */
static void libpfm_names_work(void **state)
{
    faults_of_fresh_pages("perf::PERF_COUNT_SW_PAGE_FAULTS");
}

static void *toucher(void *arg)
{
    char *p = arg;

    touch(p, FRESH_PAGES);
    return NULL;
}

/* Threads created after counters_open are counted, summed with ours. */
static void threads_are_summed(void **state)
{
    struct counter_set s = open_set("page-faults");
    char *a = fresh(FRESH_PAGES), *b = fresh(FRESH_PAGES);
    pthread_t t;

    counters_start(&s);
    assert_int_equal(pthread_create(&t, NULL, toucher, a), 0);
    touch(b, FRESH_PAGES);
    assert_int_equal(pthread_join(t, NULL), 0);
    counters_stop(&s);
    if (usable(&s.ev[0]))
        check_faults(s.ev[0].value, 2 * FRESH_PAGES);
    unmap(a, FRESH_PAGES);
    unmap(b, FRESH_PAGES);
    counters_free(&s);
}

/* A second window counts only itself, even when a thread that was counted
 * in the first one has exited since (its counts are folded into the
 * parent event, where a reset does not reach). */
static void windows_are_separate(void **state)
{
    struct counter_set s = open_set("page-faults");
    char *a = fresh(FRESH_PAGES), *b = fresh(FRESH_PAGES / 4);
    pthread_t t;

    counters_start(&s);
    assert_int_equal(pthread_create(&t, NULL, toucher, a), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    counters_stop(&s);
    if (usable(&s.ev[0]))
        check_faults(s.ev[0].value, FRESH_PAGES);
    counters_start(&s);
    touch(b, FRESH_PAGES / 4);
    counters_stop(&s);
    if (usable(&s.ev[0]))
        check_faults(s.ev[0].value, FRESH_PAGES / 4);
    unmap(a, FRESH_PAGES);
    unmap(b, FRESH_PAGES / 4);
    counters_free(&s);
}

/* This thread's CPU time: what task-clock counts, whatever the load. */
static uint64_t cpu_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Spins until this thread has run BUSY_NS; returns the CPU time it took. */
static uint64_t busy(void)
{
    uint64_t start = cpu_ns(), now;

    while ((now = cpu_ns()) - start < BUSY_NS)
        ;
    return now - start;
}

/* task-clock agrees with the thread's own CPU clock. */
static void task_clock_counts_time(void **state)
{
    struct counter_set s = open_set("task-clock");
    uint64_t spent;

    counters_start(&s);
    spent = busy();
    counters_stop(&s);
    if (usable(&s.ev[0])) {
        assert_true(s.ev[0].value >= spent / 2);
        assert_true(s.ev[0].value <= spent * 2);
    }
    counters_free(&s);
}

/* Hardware events count, or say why not (a VM has none): never a crash,
 * never a silent zero. */
static void hardware_counts_or_says_why(void **state)
{
    struct counter_set s = open_set("cycles,instructions,dTLB-load-misses,"
                                     "dTLB-store-misses,iTLB-load-misses");

    counters_start(&s);
    busy();
    counters_stop(&s);
    for (size_t i = 0; i < s.n; i++) {
        const struct counter *c = &s.ev[i];

        if (c->supported) {
            print_message("%s: %llu\n", c->name,
                          (unsigned long long)c->value);
            if (strcmp(c->name, "cycles") == 0 ||
                strcmp(c->name, "instructions") == 0)
                assert_true(c->value > 0);
        } else {
            print_message("%s: %s\n", c->name, c->why);
            assert_true(c->why[0] != '\0');
            assert_null(strstr(c->why, "unknown event"));
        }
    }
    counters_free(&s);
}

/* Names in a PMU's own form that libpfm4 does not know here may be another
 * CPU's: accepted, and unsupported with the reason. */
static void unknown_names_give_a_reason(void **state)
{
    struct counter_set s = open_set("NO_SUCH_EVENT,bogus::EVENT,page-faults");
    json_t *root = json_object(), *c, *u;

    counters_start(&s);
    counters_stop(&s);
    assert_false(s.ev[0].supported);
    assert_non_null(strstr(s.ev[0].why, "unknown event"));
    assert_false(s.ev[1].supported);
    assert_non_null(strstr(s.ev[1].why, "unknown event"));

    counters_report(&s, root);
    c = json_object_get(root, "counters");
    u = json_object_get(root, "counters_unsupported");
    assert_true(json_is_null(json_object_get(c, "NO_SUCH_EVENT")));
    assert_true(json_is_string(json_object_get(u, "NO_SUCH_EVENT")));
    if (s.ev[2].supported) {
        assert_true(json_is_integer(json_object_get(c, "page-faults")));
        assert_null(json_object_get(u, "page-faults"));
    }
    json_decref(root);
    counters_free(&s);
}

static size_t occurrences(const char *text, const char *word)
{
    size_t n = 0;

    for (const char *p = text; (p = strstr(p, word)); p += strlen(word))
        n++;
    return n;
}

/* Each reason is printed once, naming every event it applies to. */
static void reasons_are_said_once(void **state)
{
    struct counter_set s = open_set("FOO_ONE,FOO_TWO,FOO_THREE");
    char *text = NULL;
    size_t len;
    FILE *f = open_memstream(&text, &len);

    assert_non_null(f);
    counters_print(&s, f);
    fclose(f);
    assert_int_equal(occurrences(text, "unknown event"), 1);
    assert_non_null(strstr(text, "FOO_ONE, FOO_TWO, FOO_THREE"));
    free(text);
    counters_free(&s);
}

/* A typo of a generic name is refused at once, naming the known events;
 * events that exist but this machine lacks are only unsupported. */
static void typos_are_refused_naming_the_known_events(void **state)
{
    static const struct { const char *list, *bad, *hint; } typos[] = {
        { "cycels", "'cycels'", "'cycles'" },
        { "instructions,dTLB-load-misss", "'dTLB-load-misss'",
          "'dTLB-load-misses'" },
        { "no-such-event", "'no-such-event'", NULL },
        { "dTLB-bogus", "'dTLB-bogus'", NULL },
    };
    struct counter_set s;
    char why[1024];

    for (size_t i = 0; i < sizeof typos / sizeof typos[0]; i++) {
        assert_int_equal(counters_parse(typos[i].list, &s, why, sizeof why),
                         -1);
        assert_non_null(strstr(why, "unknown event"));
        assert_non_null(strstr(why, typos[i].bad));
        assert_non_null(strstr(why, "cycles, instructions"));
        assert_non_null(strstr(why, "context-switches"));
        if (typos[i].hint && !strstr(why, typos[i].hint))
            fail_msg("%s: no %s in '%s'", typos[i].list, typos[i].hint, why);
    }
    /* Known names pass whether or not this machine counts them. */
    assert_int_equal(counters_parse("cycles,dTLB-load-misses,iTLB-load-misses,"
                                    "stalled-cycles-backend,cs,page-faults",
                                    &s, why, sizeof why), 0);
    counters_free(&s);
}

static void bad_lists_are_refused(void **state)
{
    struct counter_set s;
    char why[256], list[40 * 4];

    assert_int_equal(counters_parse("cycles,,page-faults", &s, why,
                                    sizeof why), -1);
    assert_non_null(strstr(why, "empty event name"));
    assert_int_equal(counters_parse("", &s, why, sizeof why), -1);
    list[0] = '\0';
    for (int i = 0; i <= COUNTERS_MAX; i++)
        strcat(list, i ? ",cs" : "cs");
    assert_int_equal(counters_parse(list, &s, why, sizeof why), -1);
    assert_non_null(strstr(why, "more than"));
}

/* Opening twice or never starting leaks nothing and reads nothing odd. */
static void reopen_and_stop_without_start(void **state)
{
    struct counter_set s = open_set("page-faults");

    counters_open(&s);
    counters_stop(&s);
    if (s.ev[0].supported)
        assert_true(s.ev[0].value < 16);
    counters_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(page_faults_count_fresh_pages),
        cmocka_unit_test(libpfm_names_work),
        cmocka_unit_test(threads_are_summed),
        cmocka_unit_test(windows_are_separate),
        cmocka_unit_test(task_clock_counts_time),
        cmocka_unit_test(hardware_counts_or_says_why),
        cmocka_unit_test(unknown_names_give_a_reason),
        cmocka_unit_test(reasons_are_said_once),
        cmocka_unit_test(typos_are_refused_naming_the_known_events),
        cmocka_unit_test(bad_lists_are_refused),
        cmocka_unit_test(reopen_and_stop_without_start),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
