/* The replay engine (see replay.h). */
#include "drivers/replay.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LOAD_FIRST_EVENTS 65536   /* the decoded array then doubles */

/* Written by touch= and w: not zero, so the write really dirties the page. */
#define TOUCH_BYTE 0x5a

#define PLACEMENTS_HEADER "id,size,align,path,offset,frames,va_pages\n"

/* Percentiles in parts per PCT_SCALE, nearest rank. */
#define PCT_SCALE 10000
#define PCT_50    5000
#define PCT_99    9900
#define PCT_999   9990

/* Back-to-back clock reads whose median is the timer's own cost. */
#define TIMER_SAMPLES 1001

enum slot_state { SLOT_FREE, SLOT_LIVE, SLOT_FAILED };

/* What the replayer knows of one live id. */
struct slot {
    void *p;
    uint64_t size;
    uint8_t state;       /* enum slot_state */
    uint8_t flags;       /* the a event's TRACE_* flags */
    uint8_t align_log2;  /* the a event's align=, 0 when not given */
};

struct replayer {
    struct heap *h;
    size_t page;                      /* touch=first stride: model page */
    struct slot *slots;
    uint32_t *latency[CALL_KINDS];    /* ns, one per call, in call order */
    struct replay_result *res;
    bool record;
};

static const char *const call_names[CALL_KINDS] = { "alloc", "free", "realloc" };

const char *replay_call_name(enum replay_call c)
{
    return call_names[c];
}

/* ---- loading ------------------------------------------------------- */

static int push_event(struct replay_trace *t, size_t *cap,
                      const struct trace_event *ev)
{
    if (t->n_events == *cap) {
        size_t ncap = *cap ? *cap * 2 : LOAD_FIRST_EVENTS;
        struct trace_event *n = realloc(t->events, ncap * sizeof(*n));

        if (!n)
            return -1;
        t->events = n;
        *cap = ncap;
    }
    t->events[t->n_events++] = *ev;
    switch (ev->op) {
    case TRACE_ALLOC:   t->n_alloc++; break;
    case TRACE_FREE:    t->n_free++; break;
    case TRACE_REALLOC: t->n_realloc++; break;
    case TRACE_WRITE:   t->n_write++; break;
    }
    if (ev->thread >= t->threads)
        t->threads = ev->thread + 1u;
    return 0;
}

int replay_load(const char *path, struct replay_trace *t,
                struct trace_error *err)
{
    struct trace_reader *r;
    struct trace_event ev;
    size_t cap = 0;
    int rc;

    memset(t, 0, sizeof(*t));
    r = trace_open(path, err);
    if (!r)
        return -1;
    while ((rc = trace_next(r, &ev, err)) == 1) {
        if (push_event(t, &cap, &ev) != 0) {
            snprintf(err->msg, sizeof(err->msg),
                     "%s:%llu: out of memory decoding the trace", path,
                     (unsigned long long)trace_line(r));
            rc = -1;
            break;
        }
    }
    if (rc == 0) {
        t->slots = trace_slots(r);
        t->path = strdup(path);
        if (!t->path) {
            snprintf(err->msg, sizeof(err->msg), "%s: out of memory", path);
            rc = -1;
        }
    }
    trace_close(r);
    if (rc != 0) {
        replay_trace_free(t);
        return -1;
    }
    return 0;
}

void replay_trace_free(struct replay_trace *t)
{
    free(t->events);
    free(t->path);
    memset(t, 0, sizeof(*t));
}

/* ---- replaying ----------------------------------------------------- */

static inline uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void took(struct replayer *r, enum replay_call c, uint64_t t0)
{
    uint64_t ns = now_ns() - t0;

    r->latency[c][r->res->calls[c]++] = ns > UINT32_MAX ? UINT32_MAX
                                                        : (uint32_t)ns;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return (x > y) - (x < y);
}

/* Every latency includes one clock read; report its cost beside them. */
static uint32_t timer_overhead(void)
{
    uint32_t ns[TIMER_SAMPLES];

    for (int i = 0; i < TIMER_SAMPLES; i++) {
        uint64_t t0 = now_ns();

        ns[i] = (uint32_t)(now_ns() - t0);
    }
    qsort(ns, TIMER_SAMPLES, sizeof(ns[0]), cmp_u32);
    return ns[TIMER_SAMPLES / 2];
}

static unsigned heap_flags(unsigned trace_flags)
{
    return (trace_flags & TRACE_CONTIG ? HEAP_NEEDS_CONTIG : 0) |
           (trace_flags & TRACE_ZERO ? HEAP_ZERO : 0);
}

/* touch=: one byte per model page, or every byte. 0-byte blocks may be a
 * special non-NULL pointer that must never be written. */
static void touch(void *p, uint64_t size, unsigned flags, size_t page)
{
    volatile unsigned char *b = p;

    if (size == 0)
        return;
    if (flags & TRACE_TOUCH_ALL)
        memset(p, TOUCH_BYTE, size);
    else if (flags & TRACE_TOUCH_FIRST)
        for (uint64_t off = 0; off < size; off += page)
            b[off] = TOUCH_BYTE;
}

static void record(struct replayer *r, uint64_t id, uint64_t size,
                   uint64_t align, const struct placement *where)
{
    struct replay_result *res = r->res;

    if (r->record)
        res->placements[res->n_placements++] =
            (struct replay_placement){ id, size, align, *where };
}

static void do_alloc(struct replayer *r, uint64_t id, uint64_t size,
                     unsigned flags, unsigned align_log2, struct slot *s)
{
    size_t align = align_log2 ? (size_t)1 << align_log2 : 0;
    struct placement where = { 0 };
    uint64_t t0 = now_ns();
    void *p = heap_alloc(r->h, size, align, heap_flags(flags), &where);

    took(r, CALL_ALLOC, t0);
    *s = (struct slot){ p, size, p ? SLOT_LIVE : SLOT_FAILED,
                        (uint8_t)flags, (uint8_t)align_log2 };
    if (!p)
        return;
    touch(p, size, flags, r->page);
    record(r, id, size, align, &where);
}

static void do_free(struct replayer *r, struct slot *s)
{
    uint64_t t0;

    if (s->state == SLOT_FAILED) {
        r->res->skipped++;
    } else {
        t0 = now_ns();
        heap_free(r->h, s->p, s->size);
        took(r, CALL_FREE, t0);
    }
    s->state = SLOT_FREE;
}

/*
 * An r on an id whose allocation failed allocates afresh, with the a's
 * alignment and contig/zero flags (not its touch=, which never happened).
 * Otherwise the a's contig/zero flags go with the realloc: the block keeps
 * needing what it needed. A failed realloc leaves the old block live, as
 * C's realloc does.
 */
static void do_realloc(struct replayer *r, uint64_t id, uint64_t size,
                       struct slot *s)
{
    struct placement where = { 0 };
    uint64_t t0;
    void *p;

    if (s->state == SLOT_FAILED) {
        do_alloc(r, id, size, s->flags & (TRACE_CONTIG | TRACE_ZERO),
                 s->align_log2, s);
        return;
    }
    t0 = now_ns();
    p = heap_realloc(r->h, s->p, s->size, size, heap_flags(s->flags), &where);
    took(r, CALL_REALLOC, t0);
    if (!p)
        return;
    s->p = p;
    s->size = size;
    record(r, id, size, 0, &where);
}

static void do_write(struct replayer *r, struct slot *s)
{
    if (s->state == SLOT_FAILED) {
        r->res->skipped++;
        return;
    }
    if (s->size)
        memset(s->p, TOUCH_BYTE, s->size);
    r->res->writes++;
}

static void replay_event(struct replayer *r, const struct trace_event *ev)
{
    struct slot *s = &r->slots[ev->slot];

    switch (ev->op) {
    case TRACE_ALLOC:
        do_alloc(r, ev->id, ev->size, ev->flags, ev->align_log2, s);
        break;
    case TRACE_FREE:
        do_free(r, s);
        break;
    case TRACE_REALLOC:
        do_realloc(r, ev->id, ev->size, s);
        break;
    case TRACE_WRITE:
        do_write(r, s);
        break;
    }
}

/* After the measured part: what the trace left live is freed, untimed. */
static void free_leaked(struct replayer *r, uint32_t n_slots)
{
    for (uint32_t i = 0; i < n_slots; i++) {
        struct slot *s = &r->slots[i];

        if (s->state == SLOT_FREE)
            continue;
        r->res->leaked++;
        if (s->state == SLOT_LIVE)
            heap_free(r->h, s->p, s->size);
        s->state = SLOT_FREE;
    }
}

static uint32_t percentile(const uint32_t *sorted, uint64_t n, uint64_t parts)
{
    uint64_t rank = (n * parts + PCT_SCALE - 1) / PCT_SCALE;

    return sorted[rank ? rank - 1 : 0];
}

static void summarize(uint32_t *ns, uint64_t n, struct latency_summary *out)
{
    uint64_t sum = 0;

    memset(out, 0, sizeof(*out));
    out->count = n;
    if (n == 0)
        return;
    qsort(ns, n, sizeof(*ns), cmp_u32);
    for (uint64_t i = 0; i < n; i++)
        sum += ns[i];
    out->mean = (double)sum / (double)n;
    out->p50 = percentile(ns, n, PCT_50);
    out->p99 = percentile(ns, n, PCT_99);
    out->p999 = percentile(ns, n, PCT_999);
    out->max = ns[n - 1];
}

static int replayer_init(struct replayer *r, struct heap *h,
                         const struct replay_trace *t, bool record,
                         struct replay_result *res)
{
    uint64_t most[CALL_KINDS] = {
        t->n_alloc + t->n_realloc, t->n_free, t->n_realloc,
    };

    memset(r, 0, sizeof(*r));
    r->h = h;
    r->page = h->cfg.page_size;
    r->res = res;
    r->record = record;
    r->slots = calloc(t->slots ? t->slots : 1, sizeof(*r->slots));
    for (int c = 0; c < CALL_KINDS; c++)
        r->latency[c] = malloc((most[c] ? most[c] : 1) * sizeof(uint32_t));
    if (record)
        res->placements = malloc((most[CALL_ALLOC] ? most[CALL_ALLOC] : 1) *
                                 sizeof(*res->placements));
    if (!r->slots || !r->latency[CALL_ALLOC] || !r->latency[CALL_FREE] ||
        !r->latency[CALL_REALLOC] || (record && !res->placements)) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

static void replayer_fini(struct replayer *r)
{
    free(r->slots);
    for (int c = 0; c < CALL_KINDS; c++)
        free(r->latency[c]);
}

int replay_run(struct heap *h, const struct replay_trace *t, bool record,
               struct replay_result *res)
{
    struct replayer r;
    uint64_t t0;

    memset(res, 0, sizeof(*res));
    if (replayer_init(&r, h, t, record, res) != 0) {
        replayer_fini(&r);
        replay_result_free(res);
        return -1;
    }
    res->timer_ns = timer_overhead();
    t0 = now_ns();
    for (size_t i = 0; i < t->n_events; i++)
        replay_event(&r, &t->events[i]);
    res->time_ns_total = now_ns() - t0;
    heap_stats(h, &res->stats);

    free_leaked(&r, t->slots);
    res->events = t->n_events;
    res->ns_per_op = t->n_events ? (double)res->time_ns_total / t->n_events : 0;
    res->trace_threads = t->threads;
    for (int c = 0; c < CALL_KINDS; c++)
        summarize(r.latency[c], res->calls[c], &res->latency[c]);
    replayer_fini(&r);
    return 0;
}

const char *replay_thread_note(const struct replay_result *res, char *buf,
                               size_t len)
{
    if (res->trace_threads <= 1)
        return NULL;
    snprintf(buf, len, "the trace has events for threads t=0 .. %u; every "
             "event was replayed on one thread, in trace order",
             res->trace_threads - 1);
    return buf;
}

void replay_result_free(struct replay_result *res)
{
    free(res->placements);
    res->placements = NULL;
    res->n_placements = 0;
}

/* ---- the placements CSV -------------------------------------------- */

/* Decimal digits without printf: a million rows must not take seconds. */
static char *put_u64(char *b, uint64_t v)
{
    char tmp[20];
    int n = 0;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *b++ = tmp[--n];
    return b;
}

static char *put_i64(char *b, int64_t v)
{
    if (v < 0) {
        *b++ = '-';
        return put_u64(b, -(uint64_t)v);
    }
    return put_u64(b, (uint64_t)v);
}

static char *put_str(char *b, const char *s)
{
    size_t n = strlen(s);

    memcpy(b, s, n);
    return b + n;
}

static const char *path_name(enum alloc_path path)
{
    const char *name = alloc_path_name(path);

    return name ? name : "none";
}

int replay_write_placements(const struct replay_result *res, FILE *f)
{
    char line[256];   /* 6 numbers of at most 20 digits, a path name */

    fputs(PLACEMENTS_HEADER, f);
    for (size_t i = 0; i < res->n_placements; i++) {
        const struct replay_placement *p = &res->placements[i];
        char *b = line;

        b = put_u64(b, p->id);
        *b++ = ',';
        b = put_u64(b, p->size);
        *b++ = ',';
        b = put_u64(b, p->align);
        *b++ = ',';
        b = put_str(b, path_name(p->where.path));
        *b++ = ',';
        b = put_u64(b, p->where.offset);
        *b++ = ',';
        b = put_i64(b, p->where.frames);
        *b++ = ',';
        b = put_u64(b, p->where.va_pages);
        *b++ = '\n';
        fwrite(line, 1, (size_t)(b - line), f);
    }
    return ferror(f) ? -1 : 0;
}
