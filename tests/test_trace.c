#include "tests/check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "workloads/trace.h"

#define H TRACE_HEADER "\n"
#define MIB (1u << 20)

/* A growable text buffer for building traces. */
struct text {
    char *p;
    size_t len, cap;
};

static void text_add(struct text *t, const char *s, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        t->cap = (t->len + n + 1) * 2;
        t->p = realloc(t->p, t->cap);
        assert_non_null(t->p);
    }
    memcpy(t->p + t->len, s, n);
    t->len += n;
    t->p[t->len] = 0;
}

static __attribute__((format(printf, 2, 3)))
void text_printf(struct text *t, const char *fmt, ...)
{
    char line[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    assert_true(n > 0 && (size_t)n < sizeof line);
    text_add(t, line, (size_t)n);
}

/* Appends a line of exactly LEN bytes, then "\n": "a ID 64" with blanks. */
static void long_alloc_line(struct text *t, uint64_t id, size_t len)
{
    char head[64], *line = malloc(len);
    int n = snprintf(head, sizeof head, "a %llu", (unsigned long long)id);

    assert_non_null(line);
    memset(line, ' ', len);
    memcpy(line, head, (size_t)n);
    memcpy(line + len - 2, "64", 2);
    line[len / 2] = '\t';
    text_add(t, line, len);
    text_add(t, "\n", 1);
    free(line);
}

/*
 * Appends comment lines, each of at most TRACE_MAX_LINE bytes, that bring
 * the text to exactly TARGET bytes.
 */
static void pad_to(struct text *t, size_t target)
{
    char line[TRACE_MAX_LINE + 1];

    assert_true(target >= t->len + 2);
    memset(line, '-', sizeof line);
    line[0] = '#';
    while (target > t->len) {
        size_t n = target - t->len;
        if (n > sizeof line)
            n = n - sizeof line >= 2 ? sizeof line : sizeof line / 2;
        line[n - 1] = '\n';
        text_add(t, line, n);
        line[n - 1] = '-';
    }
}

static uint64_t mix(uint64_t x)     /* a bijection, so ids stay distinct */
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

static uint64_t rng_state = 42;

static uint64_t rnd(void)
{
    rng_state += 0x9e3779b97f4a7c15ull;
    return mix(rng_state);
}

static struct trace_reader *open_text(const char *s, size_t n)
{
    struct trace_error err = {{0}};
    struct trace_reader *r = trace_open_mem("t.trace", s, n, &err);

    if (!r)
        fail_msg("trace_open_mem: %s", err.msg);
    return r;
}

/* Reads TEXT to its end; the number of events, or fails the test. */
static uint64_t read_all(const char *s, size_t n)
{
    struct trace_reader *r = open_text(s, n);
    struct trace_error err;
    struct trace_event ev;
    int got;

    while ((got = trace_next(r, &ev, &err)) == 1)
        ;
    if (got < 0)
        fail_msg("unexpected error: %s", err.msg);
    uint64_t events = trace_events_read(r);
    trace_close(r);
    return events;
}

/*
 * TEXT must fail at LINE with a one-line message that names t.trace, the
 * line and contains PHRASE; later calls repeat the same error.
 */
static void expect_error_n(const char *s, size_t n, unsigned line,
                           const char *phrase)
{
    struct trace_reader *r = open_text(s, n);
    struct trace_error err, again;
    struct trace_event ev;
    char prefix[64];
    int got;

    while ((got = trace_next(r, &ev, &err)) == 1)
        ;
    if (got != -1)
        fail_msg("expected an error at line %u (%s), got %d", line, phrase,
                 got);
    snprintf(prefix, sizeof prefix, "t.trace:%u: ", line);
    if (strncmp(err.msg, prefix, strlen(prefix)) || !strstr(err.msg, phrase) ||
        strchr(err.msg, '\n'))
        fail_msg("expected '%s...%s', got '%s'", prefix, phrase, err.msg);
    assert_int_equal(trace_line(r), line);
    assert_int_equal(trace_next(r, &ev, &again), -1);
    assert_string_equal(again.msg, err.msg);
    assert_int_equal(trace_next(r, &ev, NULL), -1);
    trace_close(r);
}

static void expect_error(const char *s, unsigned line, const char *phrase)
{
    expect_error_n(s, strlen(s), line, phrase);
}

/* Errors ----------------------------------------------------------------- */

static void test_header_errors(void **state)
{
    expect_error("", 1, "missing header 'xheap-trace 1'");
    expect_error("\n", 1, "missing header 'xheap-trace 1'");
    expect_error("a 1 2\n", 1, "missing header 'xheap-trace 1'");
    expect_error("# comment\n" H, 1, "missing header");
    expect_error(" xheap-trace 1\n", 1, "missing header");
    expect_error("xheap-trace  1\n", 1, "unsupported header");
    expect_error("xheap-trace 2\n", 1, "unsupported header 'xheap-trace 2'");
    expect_error("xheap-trace 10\n", 1, "unsupported header");
    expect_error("xheap-trace\n", 1, "missing header");
    expect_error("\xef\xbb\xbfxheap-trace 1\n", 1, "missing header");
    expect_error(H H, 2, "unknown op 'xheap-trace'");
}

static void test_op_errors(void **state)
{
    expect_error(H "x 1\n", 2, "unknown op 'x'");
    expect_error(H "alloc 1 2\n", 2, "unknown op 'alloc'");
    expect_error(H "A 1 2\n", 2, "unknown op 'A'");
    expect_error(H "a1 2\n", 2, "unknown op 'a1'");
    expect_error(H "\v\n", 2, "unknown op '\\x0b'");
}

static void test_number_errors(void **state)
{
    expect_error(H "a 1\n", 2, "missing size");
    expect_error(H "a 1 \t \n", 2, "missing size");
    expect_error(H "a 1 8\nr 1\n", 3, "missing size");
    expect_error(H "a\n", 2, "missing id");
    expect_error(H "f\n", 2, "missing id");
    expect_error(H "\n\nw  \n", 4, "missing id");
    expect_error(H "a 12x 8\n", 2, "malformed number '12x'");
    expect_error(H "a 1 12x\n", 2, "malformed number '12x'");
    expect_error(H "a -1 8\n", 2, "malformed number '-1'");
    expect_error(H "a +1 8\n", 2, "malformed number '+1'");
    expect_error(H "a 0x10 8\n", 2, "malformed number '0x10'");
    expect_error(H "a 1 8\nr 1 -5\n", 3, "malformed number '-5'");
    expect_error(H "a 18446744073709551616 8\n", 2,
                 "id 18446744073709551616 is larger than 2^64-1");
    expect_error(H "a 99999999999999999999999999 8\n", 2, "larger than 2^64");
    expect_error(H "a 1 2000000000000\n", 2,
                 "size 2000000000000 is larger than 2^40");
    expect_error(H "a 1 1099511627777\n", 2, "is larger than 2^40");
    expect_error(H "a 1 99999999999999999999999\n", 2, "is larger than 2^40");
    expect_error(H "a 1 8\nr 1 1099511627777\n", 3, "is larger than 2^40");
}

static void test_option_errors(void **state)
{
    expect_error(H "a 1 8 align=24\n", 2, "align=24 is not a power of two");
    expect_error(H "a 1 8 align=0\n", 2, "align=0 is not a power of two");
    expect_error(H "a 1 8 align=2199023255552\n", 2, "is larger than 2^40");
    expect_error(H "a 1 8 align=99999999999999999999\n", 2,
                 "is larger than 2^40");
    expect_error(H "a 1 8 align=\n", 2, "malformed number");
    expect_error(H "a 1 8 align=4k\n", 2, "malformed number");
    expect_error(H "a 1 8 t=1024\n", 2, "thread 1024 out of range 0..1023");
    expect_error(H "a 1 8\nf 1 t=99999999999999999999\n", 3, "out of range");
    expect_error(H "a 1 8 t=\n", 2, "malformed number");
    expect_error(H "a 1 8 t=-1\n", 2, "malformed number");
    expect_error(H "a 1 8 foo=1\n", 2, "unknown option 'foo=1'");
    expect_error(H "a 1 8 Zero\n", 2, "unknown option 'Zero'");
    expect_error(H "a 1 8 zero=1\n", 2, "unknown option 'zero=1'");
    expect_error(H "a 1 8 t 1\n", 2, "unknown option 't'");
    expect_error(H "a 1 8 9\n", 2, "unknown option '9'");
    expect_error(H "a 1 8\nf 1 2\n", 3, "unknown option '2'");
    expect_error(H "a 1 8 # why\n", 2, "comments must be on a line");
    expect_error(H "a 1 8 touch=some\n", 2, "unknown touch mode");
    expect_error(H "a 1 8 touch=\n", 2, "unknown touch mode");
    expect_error(H "a 1 8 zero zero\n", 2, "repeated option 'zero'");
    expect_error(H "a 1 8 t=1 t=1\n", 2, "repeated option 't=1'");
    expect_error(H "a 1 8 align=8 align=16\n", 2, "repeated option");
    expect_error(H "a 1 8 touch=all touch=first\n", 2, "repeated option");
    expect_error(H "a 1 8\nf 1 contig\n", 3,
                 "option 'contig' is only allowed on 'a'");
    expect_error(H "a 1 8\nr 1 9 zero\n", 3, "only allowed on 'a'");
    expect_error(H "a 1 8\nw 1 align=8\n", 3, "only allowed on 'a'");
    expect_error(H "a 1 8\nw 1 touch=all\n", 3, "only allowed on 'a'");
}

static void test_liveness_errors(void **state)
{
    expect_error(H "a 12 8\nf 12\nf 12\n", 4, "'f 12': id 12 is not live");
    expect_error(H "w 7\n", 2, "id 7 is not live");
    expect_error(H "r 7 8\n", 2, "id 7 is not live");
    expect_error(H "a 5 8\na 6 8\na 5 16\n", 4, "id 5 is already live");
    expect_error(H "a 5 8\nf 5\na 5 16\nf 5\nw 5\n", 6, "id 5 is not live");
    expect_error(H "  a 5 8  \r\n\ta\t5\t8 \n", 3,
                 "t.trace:3: 'a\t5\t8': id 5 is already live");
}

static void test_line_errors(void **state)
{
    struct text t = {0};

    /* 4096 bytes is legal, with or without "\r"; 4097 is not. */
    text_add(&t, H, strlen(H));
    long_alloc_line(&t, 1, TRACE_MAX_LINE);
    t.p[t.len - 1] = '\r';
    text_add(&t, "\n", 1);
    long_alloc_line(&t, 2, TRACE_MAX_LINE);
    assert_int_equal(read_all(t.p, t.len), 2);
    long_alloc_line(&t, 3, TRACE_MAX_LINE + 1);
    expect_error_n(t.p, t.len, 4, "line longer than 4096 bytes");

    /* Without a newline: too long beats truncated. */
    t.len = 0;
    text_add(&t, H, strlen(H));
    long_alloc_line(&t, 3, 5 * TRACE_MAX_LINE);
    expect_error_n(t.p, t.len - 1, 2, "line longer than 4096 bytes");
    free(t.p);

    static const char nul_event[] = H "a 1 8\0\n";
    static const char nul_comment[] = H "# x\0y\n";
    static const char nul_header[] = "xheap\0trace 1\n";
    static const char nul_blank[] = H "a 1 8\n\0\n";
    expect_error_n(nul_event, sizeof nul_event - 1, 2, "NUL byte at column 6");
    expect_error_n(nul_comment, sizeof nul_comment - 1, 2, "NUL byte");
    expect_error_n(nul_header, sizeof nul_header - 1, 1, "NUL byte");
    expect_error_n(nul_blank, sizeof nul_blank - 1, 3, "NUL byte");

    const char *cut = "truncated last line (no newline at end of file)";
    expect_error(H "a 1 8\na 2 8", 3, cut);
    expect_error(H "a 1 8\n# end", 3, cut);
    expect_error(H "a 1 8\n ", 3, cut);
    expect_error(TRACE_HEADER, 1, cut);
    expect_error(H "a 1 8\nf 1\r", 3, cut);
}

/* Valid traces ----------------------------------------------------------- */

static void next_ok(struct trace_reader *r, struct trace_event *ev)
{
    struct trace_error err;
    int got = trace_next(r, ev, &err);

    if (got != 1)
        fail_msg("expected an event, got %d: %s", got,
                 got < 0 ? err.msg : "end");
}

static void expect_end(struct trace_reader *r)
{
    struct trace_error err;
    struct trace_event ev;
    int got = trace_next(r, &ev, &err);

    if (got != 0)
        fail_msg("expected the end, got %d: %s", got, got < 0 ? err.msg : "");
    assert_int_equal(trace_next(r, &ev, &err), 0);
}

static void test_fields(void **state)
{
    static const char s[] =
        H
        "a 0 0\n"
        "a 18446744073709551615 1099511627776 align=1099511627776 contig "
        "zero t=1023 touch=all\n"
        "a 7 4096 touch=first align=4096 t=3\n"
        "a 8 16 touch=none align=1 zero\n"
        "r 7 8192 t=2\n"
        "w 7\n"
        "f 18446744073709551615 t=5\n"
        "a 000009 0010\n";
    struct trace_reader *r = open_text(s, sizeof s - 1);
    struct trace_event ev;

    assert_int_equal(trace_line(r), 0);
    next_ok(r, &ev);
    assert_int_equal(ev.op, TRACE_ALLOC);
    assert_int_equal(ev.id, 0);
    assert_int_equal(ev.size, 0);
    assert_int_equal(ev.slot, 0);
    assert_int_equal(ev.thread, 0);
    assert_int_equal(ev.flags, 0);
    assert_int_equal(ev.align_log2, 0);
    assert_int_equal(trace_line(r), 2);

    next_ok(r, &ev);
    assert_true(ev.id == UINT64_MAX);
    assert_true(ev.size == TRACE_MAX_SIZE);
    assert_int_equal(ev.align_log2, 40);
    assert_int_equal(ev.flags, TRACE_CONTIG | TRACE_ZERO | TRACE_TOUCH_ALL);
    assert_int_equal(ev.thread, 1023);
    assert_int_equal(ev.slot, 1);

    next_ok(r, &ev);
    assert_int_equal(ev.id, 7);
    assert_int_equal(ev.size, 4096);
    assert_int_equal(ev.flags, TRACE_TOUCH_FIRST);
    assert_int_equal(ev.align_log2, 12);
    assert_int_equal(ev.thread, 3);
    assert_int_equal(ev.slot, 2);

    next_ok(r, &ev);
    assert_int_equal(ev.flags, TRACE_ZERO);
    assert_int_equal(ev.align_log2, 0);
    assert_int_equal(ev.slot, 3);

    next_ok(r, &ev);
    assert_int_equal(ev.op, TRACE_REALLOC);
    assert_int_equal(ev.id, 7);
    assert_int_equal(ev.size, 8192);
    assert_int_equal(ev.thread, 2);
    assert_int_equal(ev.slot, 2);
    assert_int_equal(ev.flags, 0);

    next_ok(r, &ev);
    assert_int_equal(ev.op, TRACE_WRITE);
    assert_int_equal(ev.size, 0);
    assert_int_equal(ev.slot, 2);

    next_ok(r, &ev);
    assert_int_equal(ev.op, TRACE_FREE);
    assert_true(ev.id == UINT64_MAX);
    assert_int_equal(ev.thread, 5);
    assert_int_equal(ev.slot, 1);

    next_ok(r, &ev);
    assert_int_equal(ev.id, 9);
    assert_int_equal(ev.size, 10);
    assert_int_equal(ev.slot, 1);

    expect_end(r);
    assert_int_equal(trace_events_read(r), 8);
    assert_int_equal(trace_slots(r), 4);
    assert_int_equal(trace_line(r), 9);
    trace_close(r);
}

static void test_slots(void **state)
{
    static const char s[] = H "a 1 8\na 2 8\na 3 8\nf 2\na 4 8\n"
                            "f 1\nf 3\na 5 8\na 6 8\na 7 8\n";
    static const uint32_t want[] = { 0, 1, 2, 1, 1, 0, 2, 2, 0, 3 };
    struct trace_reader *r = open_text(s, sizeof s - 1);
    struct trace_event ev;
    uint64_t ids[8];

    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        next_ok(r, &ev);
        assert_int_equal(ev.slot, want[i]);
    }
    expect_end(r);
    assert_int_equal(trace_slots(r), 4);
    assert_int_equal(trace_live_count(r), 4);
    assert_int_equal(trace_live_ids(r, ids, 8), 4);
    assert_int_equal(ids[0], 6);
    assert_int_equal(ids[1], 4);
    assert_int_equal(ids[2], 5);
    assert_int_equal(ids[3], 7);
    assert_int_equal(trace_live_ids(r, ids, 2), 2);
    assert_int_equal(trace_live_ids(r, NULL, 0), 0);
    trace_close(r);
}

static void test_blanks_comments_crlf(void **state)
{
    static const char s[] =
        TRACE_HEADER "\r\n"
        "\n"
        "\r\n"
        "   \t  \r\n"
        "# a comment with anything: a 1 2 \xc3\xa9 #\r\n"
        "   # an indented comment\n"
        "\ta 1 8 \t t=2\t\r\n"
        "a   2\t\t16    zero   \n"
        "f 1\r\n"
        "#\n";
    struct trace_reader *r = open_text(s, sizeof s - 1);
    struct trace_event ev;
    uint64_t id;

    next_ok(r, &ev);
    assert_int_equal(ev.id, 1);
    assert_int_equal(ev.size, 8);
    assert_int_equal(ev.thread, 2);
    assert_int_equal(trace_line(r), 7);
    next_ok(r, &ev);
    assert_int_equal(ev.id, 2);
    assert_int_equal(ev.flags, TRACE_ZERO);
    next_ok(r, &ev);
    assert_int_equal(ev.op, TRACE_FREE);
    expect_end(r);
    assert_int_equal(trace_line(r), 10);
    assert_int_equal(trace_live_ids(r, &id, 1), 1);
    assert_int_equal(id, 2);
    trace_close(r);

    assert_int_equal(read_all(H, strlen(H)), 0);
    assert_int_equal(read_all(TRACE_HEADER "\r\n", strlen(H) + 1), 0);
}

/* Writing ---------------------------------------------------------------- */

static char *write_events(const struct trace_event *evs, size_t n,
                          size_t *len)
{
    char *s = NULL;
    FILE *f = open_memstream(&s, len);

    assert_non_null(f);
    trace_write_header(f);
    for (size_t i = 0; i < n; i++)
        trace_write_event(f, &evs[i]);
    fclose(f);
    return s;
}

static void test_writer(void **state)
{
    static const char in[] =
        H "a 007 16 t=0 touch=none align=1\n"
        "a 8 32 t=4 touch=first zero contig align=64\n"
        "r 8 0 t=0\n"
        "w 8 t=1\n"
        "f 7 t=9\n";
    static const char want[] =
        H "a 7 16\n"
        "a 8 32 align=64 contig zero touch=first t=4\n"
        "r 8 0\n"
        "w 8 t=1\n"
        "f 7 t=9\n";
    struct trace_event evs[8];
    struct trace_reader *r = open_text(in, sizeof in - 1);
    size_t n = 0, len;

    while (n < 8 && trace_next(r, &evs[n], NULL) == 1)
        n++;
    assert_int_equal(n, 5);
    trace_close(r);
    char *out = write_events(evs, n, &len);
    assert_string_equal(out, want);
    free(out);

    /* Fields an op does not carry are not written. */
    struct trace_event f = { .op = TRACE_FREE, .id = 3, .size = 9,
                             .flags = TRACE_ZERO, .align_log2 = 3 };
    out = write_events(&f, 1, &len);
    assert_string_equal(out, H "f 3\n");
    free(out);
}

/* Random valid events, written, read back: the same events, the same text. */
static void test_round_trip(void **state)
{
    enum { N = 20000, MAX_LIVE = 300 };
    struct trace_event *evs = calloc(N, sizeof *evs);
    struct trace_event *back = calloc(N, sizeof *back);
    uint64_t live[MAX_LIVE];
    size_t nlive = 0, len, len2;

    assert_non_null(evs);
    assert_non_null(back);
    for (size_t i = 0; i < N; i++) {
        struct trace_event *ev = &evs[i];
        uint64_t x = rnd();
        int op = nlive == 0 ? 0 : nlive == MAX_LIVE ? 1 + (int)(x % 3)
                                                    : (int)(x % 4);
        size_t k = nlive ? (size_t)(rnd() % nlive) : 0;

        ev->thread = (uint16_t)(rnd() % 3 ? 0 : rnd() % TRACE_MAX_THREADS);
        switch (op) {
        case 0:
            ev->op = TRACE_ALLOC;
            ev->id = rnd() % 4 ? mix(i) : i;
            ev->size = rnd() % (TRACE_MAX_SIZE + 1);
            ev->align_log2 = (uint8_t)(rnd() % 2 ? 0 : rnd() % 41);
            ev->flags = (uint8_t)(rnd() & (TRACE_CONTIG | TRACE_ZERO));
            ev->flags |= (uint8_t)((const uint8_t[]){ 0, TRACE_TOUCH_FIRST,
                                   TRACE_TOUCH_ALL })[rnd() % 3];
            live[nlive++] = ev->id;
            break;
        case 1:
            ev->op = TRACE_FREE;
            ev->id = live[k];
            live[k] = live[--nlive];
            break;
        case 2:
            ev->op = TRACE_REALLOC;
            ev->id = live[k];
            ev->size = rnd() % 5000;
            break;
        default:
            ev->op = TRACE_WRITE;
            ev->id = live[k];
        }
    }

    char *a = write_events(evs, N, &len);
    struct trace_reader *r = open_text(a, len);
    for (size_t i = 0; i < N; i++) {
        next_ok(r, &back[i]);
        assert_int_equal(back[i].op, evs[i].op);
        assert_true(back[i].id == evs[i].id);
        assert_true(back[i].size == evs[i].size);
        assert_int_equal(back[i].thread, evs[i].thread);
        assert_int_equal(back[i].flags, evs[i].flags);
        assert_int_equal(back[i].align_log2, evs[i].align_log2);
    }
    expect_end(r);
    assert_int_equal(trace_live_count(r), nlive);
    trace_close(r);

    char *b = write_events(back, N, &len2);
    assert_int_equal(len, len2);
    assert_memory_equal(a, b, len);
    free(a);
    free(b);
    free(evs);
    free(back);
}

/* Liveness at scale ------------------------------------------------------ */

/*
 * Random allocs and frees over a small universe of ids, some of them equal
 * modulo large powers of two, checked against a model of slots; wrong
 * deletion in the id table shows up as a spurious liveness error here.
 */
static void test_liveness_model(void **state)
{
    enum { UNIVERSE = 4096, N = 200000 };
    int32_t *slot_of = malloc(UNIVERSE * sizeof *slot_of);
    uint32_t *free_stack = malloc(UNIVERSE * sizeof *free_stack);
    uint32_t *want = malloc(N * sizeof *want);
    uint32_t nslots = 0, nfree = 0;
    struct text t = {0};

    assert_non_null(slot_of);
    assert_non_null(free_stack);
    assert_non_null(want);
    for (int i = 0; i < UNIVERSE; i++)
        slot_of[i] = -1;
    text_add(&t, H, strlen(H));
    for (int i = 0; i < N; i++) {
        int u = (int)(rnd() % UNIVERSE);
        uint64_t id = u % 2 ? (uint64_t)u << 40 : mix((uint64_t)u);
        if (slot_of[u] < 0) {
            slot_of[u] = (int32_t)(nfree ? free_stack[--nfree] : nslots++);
            text_printf(&t, "a %llu 8\n", (unsigned long long)id);
        } else if (rnd() % 3) {
            free_stack[nfree++] = (uint32_t)slot_of[u];
            want[i] = (uint32_t)slot_of[u];
            slot_of[u] = -1;
            text_printf(&t, "f %llu\n", (unsigned long long)id);
            continue;
        } else {
            text_printf(&t, "w %llu\n", (unsigned long long)id);
        }
        want[i] = (uint32_t)slot_of[u];
    }

    struct trace_reader *r = open_text(t.p, t.len);
    struct trace_event ev;
    for (int i = 0; i < N; i++) {
        next_ok(r, &ev);
        if (ev.slot != want[i])
            fail_msg("event %d: slot %u, want %u", i, ev.slot, want[i]);
    }
    expect_end(r);
    assert_int_equal(trace_slots(r), nslots);
    assert_int_equal(trace_live_count(r), nslots - nfree);
    trace_close(r);
    free(t.p);
    free(slot_of);
    free(free_stack);
    free(want);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

/* A million live ids; a third are freed, in random order; leaks listed. */
static void test_many_live_ids(void **state)
{
    enum { N = 1000000 };
    uint64_t *order = malloc(N * sizeof *order);
    uint64_t *want = malloc(N * sizeof *want), *got = malloc(N * sizeof *got);
    size_t nwant = 0;
    struct text t = {0};

    assert_non_null(order);
    assert_non_null(want);
    assert_non_null(got);
    text_add(&t, H, strlen(H));
    for (uint64_t i = 0; i < N; i++) {
        text_printf(&t, "a %llu 8\n", (unsigned long long)mix(i));
        order[i] = i;
    }
    for (size_t i = N - 1; i > 0; i--) {
        size_t j = (size_t)(rnd() % (i + 1));
        uint64_t x = order[i];
        order[i] = order[j];
        order[j] = x;
    }
    for (size_t i = 0; i < N; i++) {
        if (order[i] % 3 == 0)
            text_printf(&t, "f %llu\n", (unsigned long long)mix(order[i]));
        else
            want[nwant++] = mix(order[i]);
    }
    assert_int_equal(read_all(t.p, t.len), N + N - nwant);

    struct trace_reader *r = open_text(t.p, t.len);
    struct trace_event ev;
    while (trace_next(r, &ev, NULL) == 1)
        ;
    assert_int_equal(trace_slots(r), N);
    assert_int_equal(trace_live_count(r), nwant);
    assert_int_equal(trace_live_ids(r, got, N), nwant);
    trace_close(r);
    qsort(want, nwant, sizeof *want, cmp_u64);
    qsort(got, nwant, sizeof *got, cmp_u64);
    assert_memory_equal(want, got, nwant * sizeof *got);

    /* Freeing one of them twice is caught on the right line. */
    uint64_t lines = 1 + N + (N - nwant) + 1;
    text_printf(&t, "f %llu\n", (unsigned long long)mix(0));
    expect_error_n(t.p, t.len, (unsigned)lines, "is not live");

    free(t.p);
    free(order);
    free(want);
    free(got);
}

/* Files and chunk boundaries --------------------------------------------- */

static char *temp_file(const char *s, size_t n)
{
    const char *dir = getenv("TMPDIR");
    char *path;
    int fd;

    if (!dir || !*dir)
        dir = "/tmp";
    assert_true(asprintf(&path, "%s/test_trace.XXXXXX", dir) > 0);
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_true(write(fd, s, n) == (ssize_t)n);
    close(fd);
    return path;
}

/*
 * Reading PATH gives the very events, lines and ending that memory gives;
 * that ending is the clean end, or an error whose message contains PHRASE.
 */
static void same_as_memory(const char *path, const char *s, size_t n,
                           const char *phrase)
{
    struct trace_error e1 = {{0}}, e2 = {{0}};
    struct trace_reader *f = trace_open(path, &e1);
    struct trace_reader *m = open_text(s, n);
    struct trace_event a, b;
    int g1, g2;

    if (!f)
        fail_msg("trace_open: %s", e1.msg);
    do {
        g1 = trace_next(f, &a, &e1);
        g2 = trace_next(m, &b, &e2);
        assert_int_equal(g1, g2);
        assert_int_equal(trace_line(f), trace_line(m));
        if (g1 == 1)
            assert_memory_equal(&a, &b, sizeof a);
    } while (g1 == 1);
    if (g1 < 0) {   /* the same message, bar the file name */
        assert_string_equal(strchr(e1.msg, ':'), strchr(e2.msg, ':'));
        assert_true(!strncmp(e1.msg, path, strlen(path)));
        if (!phrase || !strstr(e1.msg, phrase))
            fail_msg("unexpected error: %s", e1.msg);
    } else if (phrase) {
        fail_msg("expected an error with '%s'", phrase);
    }
    assert_int_equal(trace_slots(f), trace_slots(m));
    assert_int_equal(trace_live_count(f), trace_live_count(m));
    trace_close(f);
    trace_close(m);
}

/* Short events up to about TARGET bytes, ids from *NEXT on, a few live. */
static void fill_events(struct text *t, size_t target, uint64_t *next)
{
    while (t->len < target) {
        uint64_t id = (*next)++;
        text_printf(t, "a %llu 4096 t=1\n", (unsigned long long)id);
        if (id % 8)
            text_printf(t, "f %llu\n", (unsigned long long)id);
    }
}

/*
 * About 3.5 MiB: a legal 4096-byte line across the first chunk boundary,
 * "\r" and "\n" either side of the second, a newline as the last byte of
 * the third, and a 4096-byte comment across a fourth, each followed by
 * events that must still parse.
 */
static void build_big(struct text *t, uint64_t *next)
{
    const size_t C = TRACE_READ_CHUNK;

    text_add(t, H, strlen(H));
    fill_events(t, C - 9000, next);
    pad_to(t, C - 2000);
    long_alloc_line(t, (*next)++, TRACE_MAX_LINE);

    fill_events(t, 2 * C - 9000, next);
    pad_to(t, 2 * C - 1 - TRACE_MAX_LINE);
    long_alloc_line(t, (*next)++, TRACE_MAX_LINE);
    t->p[t->len - 1] = '\r';
    text_add(t, "\n", 1);
    assert_int_equal(t->p[2 * C - 1], '\r');
    assert_int_equal(t->p[2 * C], '\n');

    fill_events(t, 3 * C - 9000, next);
    pad_to(t, 3 * C - TRACE_MAX_LINE - 1);
    long_alloc_line(t, (*next)++, TRACE_MAX_LINE);
    assert_int_equal(t->p[3 * C - 1], '\n');

    fill_events(t, 3 * C + C / 2 - 9000, next);
    pad_to(t, 3 * C + C / 2 - 100);
    pad_to(t, t->len + TRACE_MAX_LINE + 1);
    fill_events(t, t->len + 1000, next);
}

static unsigned lines_in(const struct text *t)
{
    unsigned n = 0;

    for (size_t i = 0; i < t->len; i++)
        n += t->p[i] == '\n';
    return n;
}

static void test_chunk_boundaries(void **state)
{
    struct text t = {0};
    uint64_t next = 0;

    build_big(&t, &next);
    assert_true(t.len > 3 * MIB);
    char *path = temp_file(t.p, t.len);
    same_as_memory(path, t.p, t.len, NULL);

    struct trace_reader *r = trace_open(path, NULL);
    struct trace_event ev;
    uint64_t long_lines = 0;
    assert_non_null(r);
    while (trace_next(r, &ev, NULL) == 1)
        long_lines += ev.op == TRACE_ALLOC && ev.size == 64;
    assert_int_equal(long_lines, 3);
    assert_int_equal(trace_line(r), lines_in(&t));
    trace_close(r);
    unlink(path);
    free(path);

    /* A 4097-byte line across a boundary is refused, on the right line. */
    t.len = 0;
    next = 0;
    text_add(&t, H, strlen(H));
    fill_events(&t, TRACE_READ_CHUNK - 9000, &next);
    pad_to(&t, TRACE_READ_CHUNK - 10);
    unsigned line = lines_in(&t) + 1;
    long_alloc_line(&t, next++, TRACE_MAX_LINE + 1);
    fill_events(&t, t.len + 100, &next);
    expect_error_n(t.p, t.len, line, "line longer than 4096 bytes");
    path = temp_file(t.p, t.len);
    same_as_memory(path, t.p, t.len, "line longer than 4096 bytes");
    unlink(path);
    free(path);

    /* A line with no end, larger than a chunk. */
    t.len = 0;
    text_add(&t, H "a 1 8\n", strlen(H) + 6);
    while (t.len < 3 * MIB)
        text_add(&t, "#-------", 8);
    expect_error_n(t.p, t.len, 3, "line longer than 4096 bytes");
    path = temp_file(t.p, t.len);
    same_as_memory(path, t.p, t.len, "line longer than 4096 bytes");
    unlink(path);
    free(path);

    /* Truncated, and NUL, at the end of a file. */
    const char *small[] = { H "a 1 8\nf 1", H "a 1 8\nf 1\0\n" };
    const char *phrase[] = { "truncated last line", "NUL byte" };
    size_t small_len[] = { strlen(small[0]), strlen(H) + 11 };
    for (int i = 0; i < 2; i++) {
        path = temp_file(small[i], small_len[i]);
        same_as_memory(path, small[i], small_len[i], phrase[i]);
        unlink(path);
        free(path);
    }
    free(t.p);
}

/* Through a pipe in odd-sized pieces, so reads come back short. */
static void test_pipe(void **state)
{
    struct text t = {0};
    uint64_t next = 0;
    int fd[2];
    char path[32];

    text_add(&t, H, strlen(H));
    fill_events(&t, 300000, &next);
    long_alloc_line(&t, next++, TRACE_MAX_LINE);
    fill_events(&t, t.len + 300000, &next);
    assert_int_equal(pipe(fd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fd[0]);
        for (size_t off = 0; off < t.len; off += 777) {
            size_t n = t.len - off < 777 ? t.len - off : 777;
            if (write(fd[1], t.p + off, n) != (ssize_t)n)
                _exit(1);
        }
        _exit(0);
    }
    close(fd[1]);
    snprintf(path, sizeof path, "/dev/fd/%d", fd[0]);
    same_as_memory(path, t.p, t.len, NULL);
    close(fd[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    free(t.p);
}

static void test_stdin(void **state)
{
    static const char s[] = H "a 1 8\nf 1\nw 1\n";
    char *path = temp_file(s, sizeof s - 1);
    struct trace_error err;
    struct trace_event ev;

    assert_non_null(freopen(path, "r", stdin));
    struct trace_reader *r = trace_open("-", &err);
    assert_non_null(r);
    next_ok(r, &ev);
    next_ok(r, &ev);
    assert_int_equal(trace_next(r, &ev, &err), -1);
    assert_string_equal(err.msg, "<stdin>:4: 'w 1': id 1 is not live");
    trace_close(r);
    unlink(path);
    free(path);
}

static void test_open_errors(void **state)
{
    struct trace_error err;

    assert_null(trace_open("/nonexistent/x.trace", &err));
    assert_non_null(strstr(err.msg, "/nonexistent/x.trace"));
    assert_non_null(strstr(err.msg, "cannot open"));
    assert_null(trace_open("/nonexistent/x.trace", NULL));

    struct trace_reader *r = trace_open_mem("empty", NULL, 0, &err);
    assert_non_null(r);
    struct trace_event ev;
    assert_int_equal(trace_next(r, &ev, &err), -1);
    assert_string_equal(err.msg,
        "empty:1: missing header 'xheap-trace 1' (the file is empty)");
    trace_close(r);
    trace_close(NULL);
}

/* Long garbage is quoted short, on one line. */
static void test_message_shape(void **state)
{
    struct text t = {0};
    struct trace_error err;
    struct trace_event ev;

    text_add(&t, H "a 1 ", strlen(H) + 4);
    for (int i = 0; i < 3000; i++)
        text_add(&t, "\x01", 1);
    text_add(&t, "\n", 1);
    struct trace_reader *r = open_text(t.p, t.len);
    assert_int_equal(trace_next(r, &ev, &err), -1);
    assert_non_null(strstr(err.msg, "t.trace:2: malformed number '\\x01"));
    assert_non_null(strstr(err.msg, "...'"));
    assert_true(strlen(err.msg) < 100);
    trace_close(r);
    free(t.p);
}

/* Speed: printed, never asserted. ---------------------------------------- */

static void test_throughput(void **state)
{
    enum { N = 2000000, WINDOW = 1000 };
    struct text t = {0};
    struct timespec t0, t1;
    struct trace_event ev;
    uint64_t sum = 0;

    text_add(&t, H, strlen(H));
    for (uint64_t i = 0; i < N / 2; i++) {
        text_printf(&t, "a %llu 4096 t=1\n", (unsigned long long)i);
        if (i >= WINDOW)
            text_printf(&t, "f %llu\n", (unsigned long long)(i - WINDOW));
    }
    char *path = temp_file(t.p, t.len);

    for (int from_file = 0; from_file < 2; from_file++) {
        double best = 0;
        for (int rep = 0; rep < 3; rep++) {
            clock_gettime(CLOCK_MONOTONIC, &t0);
            struct trace_reader *r = from_file ? trace_open(path, NULL)
                                               : open_text(t.p, t.len);
            assert_non_null(r);
            while (trace_next(r, &ev, NULL) == 1)
                sum += ev.slot;
            uint64_t n = trace_events_read(r);
            trace_close(r);
            clock_gettime(CLOCK_MONOTONIC, &t1);
            double s = (double)(t1.tv_sec - t0.tv_sec) +
                       (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
            if (n / s > best)
                best = (double)n / s;
        }
        print_message("decode from %s: %.1f M events/s "
                      "(best of 3, %zu bytes)\n",
                      from_file ? "file" : "memory", best / 1e6, t.len);
    }
    assert_true(sum > 0);
    unlink(path);
    free(path);
    free(t.p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_errors),
        cmocka_unit_test(test_op_errors),
        cmocka_unit_test(test_number_errors),
        cmocka_unit_test(test_option_errors),
        cmocka_unit_test(test_liveness_errors),
        cmocka_unit_test(test_line_errors),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_slots),
        cmocka_unit_test(test_blanks_comments_crlf),
        cmocka_unit_test(test_writer),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_liveness_model),
        cmocka_unit_test(test_many_live_ids),
        cmocka_unit_test(test_chunk_boundaries),
        cmocka_unit_test(test_pipe),
        cmocka_unit_test(test_stdin),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_message_shape),
        cmocka_unit_test(test_throughput),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
