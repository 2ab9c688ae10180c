/*
 * libFuzzer target: the mtrace importer (workloads/mtrace.h).
 *
 * Any bytes are converted as a glibc mtrace log (mtrace_convert, reading
 * through fmemopen and writing to memory). Whatever the log says, what the
 * converter writes must be a trace the reader accepts in full: a failed
 * conversion stops early but never writes a bad event. And the trace must
 * be the one its statistics describe: as many events, allocations, frees
 * and reallocs, and, after a clean conversion, as many ids live at the end
 * as live_at_end says. An error is one line naming the log and its line.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/mtrace.h"
#include "workloads/trace.h"

#define LOG_NAME "fuzz.log"

static __attribute__((noreturn, format(printf, 1, 2)))
void bug(const char *fmt, ...)
{
    va_list ap;

    fputs("fuzz_mtrace: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

/* What the written trace holds, by the reader's count. */
struct tally {
    uint64_t events, allocs, frees, reallocs, live;
};

static void read_back(const char *text, size_t len, struct tally *t)
{
    struct trace_error err;
    struct trace_event ev;
    struct trace_reader *r = trace_open_mem("converted.trace", text, len,
                                            &err);
    int rc;

    if (!r)
        bug("trace_open_mem: %s", err.msg);
    memset(t, 0, sizeof *t);
    while ((rc = trace_next(r, &ev, &err)) == 1) {
        t->events++;
        t->allocs += ev.op == TRACE_ALLOC;
        t->frees += ev.op == TRACE_FREE;
        t->reallocs += ev.op == TRACE_REALLOC;
        if (ev.op == TRACE_WRITE)
            bug("the converter wrote a 'w' event");
    }
    if (rc != 0)
        bug("the converter wrote a trace the reader refuses: %s", err.msg);
    t->live = trace_live_count(r);
    trace_close(r);
}

static void check_why(const char *why)
{
    if (!why[0])
        bug("conversion failed without saying why");
    if (strncmp(why, LOG_NAME ":", strlen(LOG_NAME ":")))
        bug("error '%s' does not name the log", why);
    if (strchr(why, '\n'))
        bug("error '%s' spans lines", why);
}

static void check_stats(const struct addr_stats *st, const struct tally *t,
                        bool clean)
{
    if (st->events != t->events || st->allocs != t->allocs ||
        st->frees != t->frees || st->reallocs != t->reallocs)
        bug("stats say %" PRIu64 " events (%" PRIu64 " a, %" PRIu64 " f, %"
            PRIu64 " r), the trace holds %" PRIu64 " (%" PRIu64 " a, %"
            PRIu64 " f, %" PRIu64 " r)", st->events, st->allocs, st->frees,
            st->reallocs, t->events, t->allocs, t->frees, t->reallocs);
    if (clean && st->live_at_end != t->live)
        bug("stats say %" PRIu64 " blocks live at the end, the trace leaves "
            "%" PRIu64, st->live_at_end, t->live);
    if (st->threads > 1)
        bug("%" PRIu64 " threads in a log that names none", st->threads);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* fmemopen refuses an empty buffer: give it one byte it never reads. */
    static char empty[1];
    char why[512] = "", *text = NULL, *log = NULL;
    size_t len = 0;
    struct addr_stats st;
    struct tally t;
    FILE *in, *out;
    int rc;

    if (size) {
        log = malloc(size);
        if (!log)
            bug("out of memory");
        memcpy(log, data, size);
    }
    in = fmemopen(size ? log : empty, size ? size : 1, "r");
    out = open_memstream(&text, &len);
    if (!in || !out)
        bug("fmemopen or open_memstream failed");
    if (!size)
        fgetc(in);   /* now at the end */
    rc = mtrace_convert(LOG_NAME, in, out, &st, why, sizeof why);
    fclose(in);
    if (fclose(out))
        bug("writing to memory failed");
    if (rc != 0 && rc != -1)
        bug("mtrace_convert returned %d", rc);
    if (rc)
        check_why(why);
    read_back(text, len, &t);
    check_stats(&st, &t, rc == 0);
    free(text);
    free(log);
    return 0;
}
