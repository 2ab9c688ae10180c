/*
 * libFuzzer target: the trace reader (workloads/trace.h).
 *
 * Any bytes are read as a trace from memory, and what the reader says is
 * checked against the format's rules, kept here independently:
 *
 * - every event is well formed: a known op, size at most 2^40 and only on
 *   `a` and `r`, flags and align only on `a`, a thread below 1024;
 * - an `a` names an id that is not live and gets a slot no live id holds;
 *   an `f`, `r` or `w` names a live id and gets that id's slot; slots stay
 *   dense (the slot count is the most ids ever live at once), and the
 *   reader's live count and live ids match ours after every event;
 * - an error is one line "NAME:LINE: what", sticky, on the reader's line;
 *   a clean end stays a clean end.
 *
 * Then the same story twice more: the decoded events written back with
 * trace_write_event must read back as exactly the same events, and the
 * file reader (trace_open, chunked reads) must tell the same story as the
 * memory reader. For the file reader the input is padded with comment lines
 * after its first line so that its events straddle the reader's first
 * TRACE_READ_CHUNK boundary, where lines are carried over between reads.
 */
#include <search.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "workloads/trace.h"

/* Bytes of one padding comment line, its newline included. */
#define PAD_LINE 4000u

struct story {
    struct trace_event *ev;
    size_t n, cap;
    int rc;                       /* the final trace_next result */
    uint64_t err_line;            /* trace_line() at the error */
    struct trace_error err;
};

/* One live id as we track it: the tree (tsearch) holds pointers to these. */
struct live {
    uint64_t id;
    uint32_t slot;
};

struct model {
    void *tree;                   /* live ids */
    struct live *node;            /* [slot]: the live id of each slot */
    bool *used;                   /* [slot]: a live id holds it */
    size_t cap;
    size_t nlive, peak;
};

static __attribute__((noreturn, format(printf, 1, 2)))
void bug(const char *fmt, ...)
{
    va_list ap;

    fputs("fuzz_trace: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (!p)
        bug("out of memory");
    return p;
}

static int cmp_live(const void *a, const void *b)
{
    uint64_t x = ((const struct live *)a)->id;
    uint64_t y = ((const struct live *)b)->id;

    return x < y ? -1 : x > y;
}

static void no_free(void *p)
{
    (void)p;
}

/* Room for SLOTS slots. The tree points into node[]: it is rebuilt. */
static void model_grow(struct model *m, size_t slots)
{
    size_t cap = m->cap ? m->cap : 64;
    struct live *node;
    bool *used;

    if (slots <= m->cap)
        return;
    while (cap < slots)
        cap *= 2;
    node = calloc(cap, sizeof *node);
    used = calloc(cap, sizeof *used);
    if (!node || !used)
        bug("out of memory");
    tdestroy(m->tree, no_free);
    m->tree = NULL;
    for (size_t s = 0; s < m->cap; s++) {
        used[s] = m->used[s];
        node[s] = m->node[s];
        if (used[s] && !tsearch(&node[s], &m->tree, cmp_live))
            bug("out of memory");
    }
    free(m->node);
    free(m->used);
    m->node = node;
    m->used = used;
    m->cap = cap;
}

static void model_free(struct model *m)
{
    tdestroy(m->tree, no_free);
    free(m->node);
    free(m->used);
}

static struct live *model_find(struct model *m, uint64_t id)
{
    struct live key = { .id = id };
    void *hit = tfind(&key, &m->tree, cmp_live);

    return hit ? *(struct live **)hit : NULL;
}

/* The event alone, without liveness. */
static void check_shape(const struct trace_event *ev)
{
    bool alloc = ev->op == TRACE_ALLOC;

    if (ev->op != TRACE_ALLOC && ev->op != TRACE_FREE &&
        ev->op != TRACE_REALLOC && ev->op != TRACE_WRITE)
        bug("unknown op %#x", ev->op);
    if (ev->thread >= TRACE_MAX_THREADS)
        bug("thread %u out of range", ev->thread);
    if (ev->size > TRACE_MAX_SIZE)
        bug("size %llu above 2^40", (unsigned long long)ev->size);
    if (ev->size && !alloc && ev->op != TRACE_REALLOC)
        bug("'%c' with size %llu", ev->op, (unsigned long long)ev->size);
    if (ev->flags & ~(TRACE_CONTIG | TRACE_ZERO | TRACE_TOUCH_FIRST |
                      TRACE_TOUCH_ALL))
        bug("unknown flags %#x", ev->flags);
    if ((ev->flags & TRACE_TOUCH_FIRST) && (ev->flags & TRACE_TOUCH_ALL))
        bug("touch=first and touch=all at once");
    if (!alloc && (ev->flags || ev->align_log2))
        bug("'%c' with flags %#x align 2^%u", ev->op, ev->flags,
            ev->align_log2);
    if (ev->align_log2 > 40)
        bug("align 2^%u above 2^40", ev->align_log2);
}

static void check_event(struct model *m, struct trace_reader *r,
                        const struct trace_event *ev)
{
    struct live *l = model_find(m, ev->id);

    check_shape(ev);
    if (ev->slot >= trace_slots(r))
        bug("slot %u, yet only %u slots", ev->slot, trace_slots(r));
    if (ev->op == TRACE_ALLOC) {
        if (l)
            bug("a %llu accepted while it is live in slot %u",
                (unsigned long long)ev->id, l->slot);
        model_grow(m, (size_t)ev->slot + 1);
        if (m->used[ev->slot])
            bug("a %llu given slot %u, held by live id %llu",
                (unsigned long long)ev->id, ev->slot,
                (unsigned long long)m->node[ev->slot].id);
        m->node[ev->slot] = (struct live){ ev->id, ev->slot };
        m->used[ev->slot] = true;
        if (!tsearch(&m->node[ev->slot], &m->tree, cmp_live))
            bug("out of memory");
        if (++m->nlive > m->peak)
            m->peak = m->nlive;
    } else {
        if (!l)
            bug("'%c %llu' accepted but the id is not live", ev->op,
                (unsigned long long)ev->id);
        if (l->slot != ev->slot)
            bug("'%c %llu' given slot %u, its slot is %u", ev->op,
                (unsigned long long)ev->id, ev->slot, l->slot);
        if (ev->op == TRACE_FREE) {
            tdelete(l, &m->tree, cmp_live);
            m->used[ev->slot] = false;
            m->nlive--;
        }
    }
    if (trace_live_count(r) != m->nlive)
        bug("reader counts %zu live ids, we count %zu", trace_live_count(r),
            m->nlive);
    if (trace_slots(r) != m->peak)
        bug("%u slots for at most %zu ids live at once: not dense",
            trace_slots(r), m->peak);
}

/* At a clean end: the reader's live ids, in slot order, are ours. */
static void check_live_ids(struct model *m, struct trace_reader *r)
{
    size_t n = trace_live_count(r), k = 0;
    uint64_t *ids = xrealloc(NULL, (n + 1) * sizeof *ids);

    if (trace_live_ids(r, ids, n + 1) != n)
        bug("trace_live_ids disagrees with trace_live_count (%zu)", n);
    for (size_t s = 0; s < m->cap; s++)
        if (m->used[s] && (k >= n || ids[k++] != m->node[s].id))
            bug("live id %zu in slot order is not %llu", k - 1,
                (unsigned long long)m->node[s].id);
    if (k != n)
        bug("reader has %zu live ids, we have %zu", n, k);
    free(ids);
}

static void check_error(const struct story *s, const char *name)
{
    const char *msg = s->err.msg;
    char prefix[256];

    snprintf(prefix, sizeof prefix, "%s:%llu: ", name,
             (unsigned long long)s->err_line);
    if (strncmp(msg, prefix, strlen(prefix)) || !msg[strlen(prefix)])
        bug("error '%s' does not start with '%s' and say why", msg, prefix);
    if (strchr(msg, '\n'))
        bug("error '%s' spans lines", msg);
}

static void push(struct story *s, const struct trace_event *ev)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 256;
        s->ev = xrealloc(s->ev, s->cap * sizeof *s->ev);
    }
    s->ev[s->n++] = *ev;
}

/* Reads R to its end; with M, checks every event as it comes. */
static void read_story(struct trace_reader *r, struct story *s,
                       struct model *m, const char *name)
{
    struct trace_event ev;
    struct trace_error again;
    int rc;

    memset(s, 0, sizeof *s);
    while ((rc = trace_next(r, &ev, &s->err)) == 1) {
        push(s, &ev);
        if (m)
            check_event(m, r, &ev);
        if (trace_events_read(r) != s->n)
            bug("events_read %llu after %zu events",
                (unsigned long long)trace_events_read(r), s->n);
    }
    s->rc = rc;
    s->err_line = trace_line(r);
    if (rc != 0 && rc != -1)
        bug("trace_next returned %d", rc);
    if (rc == 0 && trace_next(r, &ev, &again) != 0)
        bug("a clean end did not stay one");
    if (rc == -1) {
        check_error(s, name);
        if (trace_next(r, &ev, &again) != -1 || strcmp(again.msg, s->err.msg))
            bug("error '%s' not sticky: then '%s'", s->err.msg, again.msg);
    }
    if (m && rc == 0)
        check_live_ids(m, r);
}

static bool same_event(const struct trace_event *a,
                       const struct trace_event *b)
{
    return a->id == b->id && a->size == b->size && a->slot == b->slot &&
           a->thread == b->thread && a->op == b->op && a->flags == b->flags &&
           a->align_log2 == b->align_log2;
}

static void same_events(const struct story *a, const struct story *b,
                        const char *what)
{
    size_t n = a->n < b->n ? a->n : b->n;

    for (size_t i = 0; i < n; i++)
        if (!same_event(&a->ev[i], &b->ev[i]))
            bug("%s: event %zu differs ('%c %llu' slot %u, then '%c %llu' "
                "slot %u)",
                what, i, a->ev[i].op, (unsigned long long)a->ev[i].id,
                a->ev[i].slot, b->ev[i].op, (unsigned long long)b->ev[i].id,
                b->ev[i].slot);
    if (a->n != b->n)
        bug("%s: %zu events, then %zu", what, a->n, b->n);
}

/* Written back and read again: the very same events, and a clean end. */
static void round_trip(const struct story *s)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    struct trace_error err;
    struct trace_reader *r;
    struct story back;

    if (!out)
        bug("open_memstream failed");
    trace_write_header(out);
    for (size_t i = 0; i < s->n; i++)
        trace_write_event(out, &s->ev[i]);
    if (fclose(out))
        bug("writing to memory failed");
    r = trace_open_mem("written.trace", text, len, &err);
    if (!r)
        bug("trace_open_mem: %s", err.msg);
    read_story(r, &back, NULL, "written.trace");
    if (back.rc != 0)
        bug("the reader refuses what the writer wrote: %s", back.err.msg);
    same_events(s, &back, "written back");
    trace_close(r);
    free(back.ev);
    free(text);
}

/* ---- the file reader, across its first chunk boundary ---- */

static int memfd = -1;
static char path[64];
static char *pad;                 /* comment lines of PAD_LINE bytes */

static void file_setup(void)
{
    if (memfd >= 0)
        return;
    memfd = memfd_create("fuzz-trace", MFD_CLOEXEC);
    pad = malloc(TRACE_READ_CHUNK);
    if (memfd < 0 || !pad)
        bug("memfd_create or malloc failed");
    snprintf(path, sizeof path, "/proc/self/fd/%d", memfd);
    memset(pad, 'x', TRACE_READ_CHUNK);
    for (size_t i = 0; i + PAD_LINE <= TRACE_READ_CHUNK; i += PAD_LINE) {
        pad[i] = '#';
        pad[i + PAD_LINE - 1] = '\n';
    }
}

static void put(const void *p, size_t n, off_t *at)
{
    if (n && pwrite(memfd, p, n, *at) != (ssize_t)n)
        bug("pwrite to the memfd failed");
    *at += (off_t)n;
}

/* N bytes of comment lines; the last one short, or blank for 1 byte. */
static uint64_t put_pad(size_t n, off_t *at)
{
    size_t whole = n / PAD_LINE * PAD_LINE, tail = n - whole;

    put(pad, whole, at);
    if (tail) {
        put(pad, tail - 1, at);
        put("\n", 1, at);
    }
    return whole / PAD_LINE + (tail != 0);
}

/*
 * Writes the input to the memfd; when its first line ends with a newline,
 * comment lines follow it so that the rest starts a little before offset
 * TRACE_READ_CHUNK. Returns the number of lines added.
 */
static uint64_t write_file(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    size_t head = nl ? (size_t)(nl - data) + 1 : size;
    size_t rest = size - head, before;
    uint64_t h = 14695981039346656037ull, lines;
    off_t at = 0;

    if (ftruncate(memfd, 0))
        bug("ftruncate failed");
    put(data, head, &at);
    if (!nl || size >= TRACE_READ_CHUNK / 2) {
        put(data + head, rest, &at);
        return 0;
    }
    /* Where the boundary falls in the rest: any byte, by the input's hash. */
    for (size_t i = 0; i < size; i++)
        h = (h ^ data[i]) * 1099511628211ull;
    before = rest ? (size_t)(h % (rest + 1)) : 0;
    lines = put_pad(TRACE_READ_CHUNK - head - before, &at);
    put(data + head, rest, &at);
    return lines;
}

/* The file reader's story must be the memory reader's, LINES later. */
static void check_file(const uint8_t *data, size_t size,
                       const struct story *mem)
{
    uint64_t lines = write_file(data, size);
    struct trace_error err;
    struct trace_reader *r = trace_open(path, &err);
    struct story file;
    char *a, *b;

    if (!r)
        bug("trace_open(%s): %s", path, err.msg);
    read_story(r, &file, NULL, path);
    trace_close(r);
    same_events(mem, &file, "file reader");
    if (file.rc != mem->rc)
        bug("memory reader ends with %d ('%s'), file reader with %d ('%s')",
            mem->rc, mem->err.msg, file.rc, file.err.msg);
    if (mem->rc < 0) {
        if (mem->err_line > 1 ? file.err_line != mem->err_line + lines
                              : file.err_line != 1)
            bug("error on line %llu in memory, %llu in the file (+%llu)",
                (unsigned long long)mem->err_line,
                (unsigned long long)file.err_line, (unsigned long long)lines);
        /* After "NAME:LINE: " both say the same. */
        a = strchr(mem->err.msg + strlen(path) + 1, ':');
        b = strchr(file.err.msg + strlen(path) + 1, ':');
        if (!a || !b || strcmp(a, b))
            bug("memory reader says '%s', file reader '%s'", mem->err.msg,
                file.err.msg);
    }
    free(file.ev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct trace_error err;
    struct trace_reader *r;
    struct model m = { 0 };
    struct story mem;

    file_setup();
    /* Named as the file reader will be, so that messages compare. */
    r = trace_open_mem(path, (const char *)data, size, &err);
    if (!r)
        bug("trace_open_mem: %s", err.msg);
    read_story(r, &mem, &m, path);
    trace_close(r);
    model_free(&m);
    round_trip(&mem);
    check_file(data, size, &mem);
    free(mem.ev);
    return 0;
}
