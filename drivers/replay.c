/* The replay engine (see replay.h). */
#include "drivers/replay.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Traces up to this many events are short: AUTO gives them SHORT_WARMUP
 * warm-up passes and SHORT_REPS repetitions, longer ones LONG_*. Five
 * repetitions give a median and a spread; a 10^8-event trace replayed five
 * times over would take minutes for little more certainty. */
#define SHORT_TRACE_EVENTS 10000000ull
#define SHORT_WARMUP       1u
#define SHORT_REPS         5u
#define LONG_WARMUP        0u
#define LONG_REPS          1u

/* Below this share of CPU time over wall time the result says that other
 * work competed for the CPUs (the thread CPU clock ticks coarsely, so a
 * clean run reads a little under 1). */
#define CPU_SHARE_WARN 0.9

/* Written by touch= and w: not zero, so the write really dirties the page. */
#define TOUCH_BYTE 0x5a

#define PLACEMENTS_HEADER "id,size,align,path,offset,frames,va_pages\n"

/* Chunk buffers start this small and double up to a chunk. */
#define FIRST_ROOM 4096u

/* Replay slots a thread takes at once (see struct slot_map). */
#define SLOT_BLOCK 16u

#define HOT static inline __attribute__((always_inline))

/* ---- compact events ------------------------------------------------- */

enum cop { COP_ALLOC, COP_FREE, COP_REALLOC, COP_WRITE };

/* One event in 16 bytes: the fields of struct trace_event that replaying
 * needs (the id only for placements, kept apart), plus the slot's sequence
 * number that orders events of different threads on one slot. */
struct cev {
    uint64_t size : 41;        /* up to TRACE_MAX_SIZE, 2^40 */
    uint64_t align_log2 : 6;
    uint64_t flags : 4;        /* TRACE_CONTIG, _ZERO, _TOUCH_* */
    uint64_t op : 2;           /* enum cop */
    uint64_t thread : 10;      /* t=, below TRACE_MAX_THREADS */
    uint32_t slot;
    uint32_t seq;              /* events on this slot before, mod 2^32 */
};

_Static_assert(sizeof(struct cev) == 16, "compact events are 16 bytes");

struct chunk_ref {
    off_t off;
    size_t n;
};

/*
 * Replay slots. The reader gives a freed slot to whichever id comes next,
 * so two threads' blocks would take turns in one slot and each thread would
 * wait for the other: a dependency the program never had. The decoder
 * hands out its own slots instead: a freed slot goes back to the replay
 * thread that freed it, and fresh ones come SLOT_BLOCK at a time per
 * thread, so that threads rarely share a slot's cache line either.
 */
struct slot_stack {
    uint32_t *v;
    size_t n, cap;
};

struct slot_map {
    unsigned threads;          /* replay threads: trace thread t is t % it */
    uint32_t *of;              /* reader slot -> replay slot */
    size_t of_cap;
    uint32_t *seq;             /* replay slot -> events on it so far */
    size_t seq_cap;
    struct slot_stack *free;   /* per replay thread */
    uint32_t next;             /* replay slots handed out */
};

/* The decoded trace: one chunk in memory, all of them in the spool. */
struct ctrace {
    size_t cap;                /* events per chunk */
    size_t room;               /* events the buffers hold now (<= cap) */
    struct cev *ev;            /* the chunk in memory */
    uint64_t *ids;             /* and its ids, when placements are wanted */
    size_t n;                  /* events in it */
    size_t loaded;             /* which chunk it is */
    struct chunk_ref *chunk;
    size_t n_chunks, chunk_cap;
    bool want_ids;
    int fd;                    /* the spool; -1 while one chunk holds all */
    struct slot_map *map;      /* decoding only */
};

static const char *const call_names[CALL_KINDS] = { "alloc", "free", "realloc" };
static const char *const timing_names[] = {
    [TIMING_BOTH] = "both", [TIMING_BATCH] = "batch", [TIMING_OP] = "op",
};

const char *replay_call_name(enum replay_call c)
{
    return call_names[c];
}

const char *replay_timing_name(enum replay_timing t)
{
    return timing_names[t];
}

int replay_timing_parse(const char *s, enum replay_timing *out)
{
    for (unsigned i = 0; i < sizeof(timing_names) / sizeof(timing_names[0]);
         i++)
        if (strcmp(s, timing_names[i]) == 0) {
            *out = (enum replay_timing)i;
            return 0;
        }
    return -1;
}

void replay_options_defaults(struct replay_options *o)
{
    memset(o, 0, sizeof(*o));
    o->threads = 1;
    o->pin = PIN_NONE;
    o->warmup = REPLAY_AUTO;
    o->repetitions = REPLAY_AUTO;
    o->timing = TIMING_BOTH;
    o->timer = TIMER_AUTO;
    o->chunk_events = REPLAY_CHUNK_EVENTS;
    o->seed = 1;
}

static void note(struct replay_report *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void note(struct replay_report *r, const char *fmt, ...)
{
    va_list ap;

    if (r->n_notes == REPLAY_NOTES)
        return;
    va_start(ap, fmt);
    vsnprintf(r->notes[r->n_notes++], REPLAY_NOTE_LEN, fmt, ap);
    va_end(ap);
}

static int fail(struct replay_report *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct replay_report *r, int status, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(r->error, sizeof(r->error), fmt, ap);
    va_end(ap);
    return status;
}

/* ---- decoding and the spool ----------------------------------------- */

static int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len) {
        ssize_t n = write(fd, p, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int read_all(int fd, void *buf, size_t len, off_t off)
{
    char *p = buf;

    while (len) {
        ssize_t n = pread(fd, p, len, off);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
        off += n;
    }
    return 0;
}

/* V (of *CAP elements of SIZE bytes) grown to hold index I, the new part
 * zeroed; NULL when out of memory, V then unchanged. */
static void *grow(void *v, size_t *cap, size_t size, size_t i)
{
    size_t n = *cap ? *cap : 4096;
    char *p;

    while (n <= i)
        n *= 2;
    if (n == *cap)
        return v;
    p = realloc(v, n * size);
    if (!p)
        return NULL;
    memset(p + *cap * size, 0, (n - *cap) * size);
    *cap = n;
    return p;
}

static int grow_u32(uint32_t **v, size_t *cap, size_t i)
{
    uint32_t *n = grow(*v, cap, sizeof(**v), i);

    if (!n)
        return -1;
    *v = n;
    return 0;
}

static int push(struct slot_stack *st, uint32_t slot)
{
    if (grow_u32(&st->v, &st->cap, st->n) != 0)
        return -1;
    st->v[st->n++] = slot;
    return 0;
}

/* A replay slot for an a by replay thread T: its own freed one, or a fresh
 * block. UINT32_MAX when out of memory or slots. */
static uint32_t take_slot(struct slot_map *m, unsigned t)
{
    struct slot_stack *st = &m->free[t];

    if (st->n == 0) {
        if (m->next > UINT32_MAX - 2 * SLOT_BLOCK)
            return UINT32_MAX;
        for (uint32_t k = SLOT_BLOCK; k-- > 0;)
            if (push(st, m->next + k) != 0)
                return UINT32_MAX;
        m->next += SLOT_BLOCK;
        if (grow_u32(&m->seq, &m->seq_cap, m->next) != 0)
            return UINT32_MAX;
    }
    return st->v[--st->n];
}

/* The replay slot of EV, and its bookkeeping; UINT32_MAX on failure. */
static uint32_t map_slot(struct slot_map *m, const struct trace_event *ev)
{
    unsigned t = ev->thread % m->threads;
    uint32_t slot;

    if (ev->op != TRACE_ALLOC)
        slot = m->of[ev->slot];
    else if (grow_u32(&m->of, &m->of_cap, ev->slot) ||
             (slot = take_slot(m, t)) == UINT32_MAX)
        return UINT32_MAX;
    else
        m->of[ev->slot] = slot;
    if (ev->op == TRACE_FREE && push(&m->free[t], slot) != 0)
        return UINT32_MAX;
    return slot;
}

static struct slot_map *map_new(unsigned threads)
{
    struct slot_map *m = calloc(1, sizeof(*m));

    if (m && !(m->free = calloc(threads, sizeof(*m->free)))) {
        free(m);
        return NULL;
    }
    if (m)
        m->threads = threads;
    return m;
}

static void map_free(struct slot_map *m)
{
    if (!m)
        return;
    for (unsigned t = 0; t < m->threads; t++)
        free(m->free[t].v);
    free(m->free);
    free(m->of);
    free(m->seq);
    free(m);
}

/* The chunk buffers grow up to a chunk, so a short trace costs little. */
static int ctrace_grow(struct ctrace *c)
{
    size_t room = c->room ? 2 * c->room : FIRST_ROOM;
    struct cev *ev;
    uint64_t *ids;

    if (room > c->cap)
        room = c->cap;
    ev = realloc(c->ev, room * sizeof(*ev));
    if (!ev)
        return -1;
    c->ev = ev;
    if (c->want_ids) {
        ids = realloc(c->ids, room * sizeof(*ids));
        if (!ids)
            return -1;
        c->ids = ids;
    }
    c->room = room;
    return 0;
}

static int ctrace_init(struct ctrace *c, size_t cap, bool ids)
{
    memset(c, 0, sizeof(*c));
    c->fd = -1;
    c->cap = cap;
    c->want_ids = ids;
    c->loaded = SIZE_MAX;
    return ctrace_grow(c);
}

static void ctrace_fini(struct ctrace *c)
{
    if (c->fd >= 0)
        close(c->fd);
    free(c->ev);
    free(c->ids);
    free(c->chunk);
    map_free(c->map);
}

/* An unlinked file in $TMPDIR (or /tmp): gone when the process is. */
static int spool_open(void)
{
    const char *dir = getenv("TMPDIR");
    char path[4096];
    int fd;

    if (!dir || !*dir)
        dir = "/tmp";
    fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != ENOENT))
        return fd;
    snprintf(path, sizeof(path), "%s/xheap-spool-XXXXXX", dir);
    fd = mkstemp(path);
    if (fd >= 0)
        unlink(path);
    return fd;
}

/* Moves the full chunk in memory to the spool. */
static int spool_chunk(struct ctrace *c, struct replay_report *r)
{
    struct chunk_ref ref;

    if (c->fd < 0 && (c->fd = spool_open()) < 0)
        return fail(r, REPLAY_FAILED, "cannot create the trace spool in %s: "
                    "%s", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
                    strerror(errno));
    ref.off = c->n_chunks ? c->chunk[c->n_chunks - 1].off +
              (off_t)(c->chunk[c->n_chunks - 1].n *
                      (sizeof(struct cev) + (c->ids ? 8 : 0))) : 0;
    ref.n = c->n;
    if (c->n_chunks == c->chunk_cap) {
        size_t cap = c->chunk_cap ? 2 * c->chunk_cap : 16;
        struct chunk_ref *n = realloc(c->chunk, cap * sizeof(*n));

        if (!n)
            return fail(r, REPLAY_FAILED, "out of memory");
        c->chunk = n;
        c->chunk_cap = cap;
    }
    if (write_all(c->fd, c->ev, c->n * sizeof(*c->ev)) ||
        (c->ids && write_all(c->fd, c->ids, c->n * sizeof(*c->ids))))
        return fail(r, REPLAY_FAILED, "cannot write the trace spool: %s",
                    strerror(errno ? errno : EIO));
    c->chunk[c->n_chunks++] = ref;
    c->loaded = SIZE_MAX;   /* the buffer fills with the next chunk */
    c->n = 0;
    return REPLAY_OK;
}

static int ctrace_load(struct ctrace *c, size_t i, struct replay_report *r)
{
    const struct chunk_ref *ref = &c->chunk[i];

    if (c->loaded == i)
        return REPLAY_OK;
    if (read_all(c->fd, c->ev, ref->n * sizeof(*c->ev), ref->off) ||
        (c->ids && read_all(c->fd, c->ids, ref->n * sizeof(*c->ids),
                            ref->off + (off_t)(ref->n * sizeof(*c->ev)))))
        return fail(r, REPLAY_FAILED, "cannot read the trace spool: %s",
                    strerror(errno ? errno : EIO));
    c->n = ref->n;
    c->loaded = i;
    return REPLAY_OK;
}

static const uint8_t op_code[256] = {
    [TRACE_ALLOC] = COP_ALLOC, [TRACE_FREE] = COP_FREE,
    [TRACE_REALLOC] = COP_REALLOC, [TRACE_WRITE] = COP_WRITE,
};

static int compact(struct ctrace *c, const struct trace_event *ev,
                   struct replay_trace_info *info)
{
    uint32_t slot = map_slot(c->map, ev);
    size_t i;

    if (slot == UINT32_MAX)
        return -1;
    i = c->n++;
    c->ev[i] = (struct cev){
        .size = ev->size, .align_log2 = ev->align_log2,
        .flags = ev->flags & 0xfu, .op = op_code[ev->op],
        .thread = ev->thread, .slot = slot, .seq = c->map->seq[slot]++,
    };
    if (c->ids)
        c->ids[i] = ev->id;
    switch (ev->op) {
    case TRACE_ALLOC:   info->n_alloc++; break;
    case TRACE_FREE:    info->n_free++; break;
    case TRACE_REALLOC: info->n_realloc++; break;
    case TRACE_WRITE:   info->n_write++; break;
    }
    if (ev->thread >= info->threads)
        info->threads = ev->thread + 1u;
    info->events++;
    return 0;
}

static int decode(struct ctrace *c, const char *path, unsigned threads,
                  struct replay_report *r)
{
    struct replay_trace_info *info = &r->trace;
    struct trace_error err;
    struct trace_reader *tr;
    struct trace_event ev;
    uint64_t t0 = clock_ns();
    int rc, st = REPLAY_OK;

    c->map = map_new(threads);
    if (!c->map)
        return fail(r, REPLAY_FAILED, "out of memory");
    tr = trace_open(path, &err);
    if (!tr)
        return fail(r, REPLAY_BAD_INPUT, "%s", err.msg);
    while ((rc = trace_next(tr, &ev, &err)) == 1) {
        if (c->n == c->cap && (st = spool_chunk(c, r)) != REPLAY_OK)
            break;
        if ((c->n == c->room && ctrace_grow(c) != 0) ||
            compact(c, &ev, info) != 0) {
            st = fail(r, REPLAY_FAILED, "%s: out of memory decoding the "
                      "trace", path);
            break;
        }
    }
    if (rc < 0)
        st = fail(r, REPLAY_BAD_INPUT, "%s", err.msg);
    if (st == REPLAY_OK && c->fd >= 0 && c->n)
        st = spool_chunk(c, r);
    if (st == REPLAY_OK && c->fd < 0 && c->n) {
        c->chunk = calloc(1, sizeof(*c->chunk));
        if (!c->chunk)
            st = fail(r, REPLAY_FAILED, "out of memory");
        else {
            c->chunk[0].n = c->n;
            c->n_chunks = 1;
            c->loaded = 0;
        }
    }
    info->slots = c->map->next;
    trace_close(tr);
    map_free(c->map);
    c->map = NULL;
    info->decode_ns = clock_ns() - t0;
    info->chunk_events = c->cap;
    info->chunks = c->n_chunks;
    info->spooled = c->fd >= 0;
    return st;
}

/* ---- the replayer --------------------------------------------------- */

enum slot_state { SLOT_FREE, SLOT_LIVE, SLOT_FAILED };

/* What the replayer knows of one live id. seq is the number of events on
 * the slot done so far: the next event on it waits for its own number. */
struct slot {
    void *p;
    uint64_t size;
    uint32_t seq;
    uint8_t state;       /* enum slot_state */
    uint8_t flags;       /* the a event's TRACE_* flags */
    uint8_t align_log2;  /* the a event's align=, 0 when not given */
} __attribute__((aligned(32)));   /* two to a cache line, never straddling */

/* One row of the placements CSV, at its event's position in the chunk. */
struct row {
    uint64_t size, align;
    struct placement where;
    bool valid;
};

enum pass_kind {
    PASS_BATCH,     /* no clock read per call */
    PASS_RECORD,    /* batch, keeping placements: an unmeasured pass */
    PASS_TIMED,     /* every call timed into the histograms */
    PASS_QUIT,      /* tells the replay threads to leave */
};

struct engine;

struct worker {
    struct engine *e;
    unsigned id;
    pthread_t tid;
    const struct cev *ev;          /* this thread's events of the chunk */
    const uint32_t *pos;           /* and their positions in it */
    size_t n;
    struct cev *own;               /* the split chunk (threads > 1) */
    uint32_t *own_pos;
    size_t own_cap;
    uint64_t calls[CALL_KINDS], writes, skipped;
    uint64_t waits;                /* events that waited for another thread */
    uint64_t t0, t1;               /* clock_ns around this chunk */
    uint64_t cpu_ns;               /* CPU time it had for the chunk */
    struct histogram *hist;        /* [CALL_KINDS][REPLAY_SIZE_CLASSES] */
    bool unbound;                  /* binding refused */
} __attribute__((aligned(64)));

struct engine {
    const char *backend;
    const struct heap_config *cfg;
    struct heap *h;
    size_t page;
    struct slot *slots;
    uint32_t n_slots;
    struct ctrace *ct;
    unsigned n;                    /* replay threads */
    struct worker *w;
    struct spin_barrier start, done;
    enum pass_kind kind;
    struct row *rows;              /* PASS_RECORD: the chunk's rows */
    uint64_t overhead;             /* timer ticks taken off each latency */
    struct topology *topo;
    const struct thread_plan *plan;
};

static inline unsigned size_class(uint64_t size)
{
    return size < 2 ? 0 : 63 - (unsigned)__builtin_clzll(size);
}

static inline unsigned heap_flags(unsigned trace_flags)
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
    else
        for (uint64_t off = 0; off < size; off += page)
            b[off] = TOUCH_BYTE;
}

/* The end of a timed call: its ticks, less the timer's own, recorded. */
HOT void took(struct worker *w, enum replay_call c, uint64_t size,
              uint64_t t0, const bool timed)
{
    uint64_t d, over = w->e->overhead;

    if (!timed)
        return;
    d = timer_stop() - t0;
    d = d > over ? d - over : 0;
    hist_record(&w->hist[c * REPLAY_SIZE_CLASSES + size_class(size)], d);
}

static void put_row(struct engine *e, size_t pos, uint64_t size,
                    uint64_t align, const struct placement *where)
{
    e->rows[pos] = (struct row){ size, align, *where, true };
}

HOT void ev_alloc(struct worker *w, struct slot *s, uint64_t size,
                  unsigned flags, unsigned align_log2, size_t pos,
                  const bool timed, const bool rec)
{
    struct engine *e = w->e;
    size_t align = align_log2 ? (size_t)1 << align_log2 : 0;
    struct placement where;
    uint64_t t0 = timed ? timer_start() : 0;
    void *p = heap_alloc(e->h, size, align, heap_flags(flags),
                         rec ? &where : NULL);

    took(w, CALL_ALLOC, size, t0, timed);
    w->calls[CALL_ALLOC]++;
    s->p = p;
    s->size = size;
    s->state = p ? SLOT_LIVE : SLOT_FAILED;
    s->flags = (uint8_t)flags;
    s->align_log2 = (uint8_t)align_log2;
    if (!p)
        return;
    if (flags & (TRACE_TOUCH_FIRST | TRACE_TOUCH_ALL))
        touch(p, size, flags, e->page);
    if (rec)
        put_row(e, pos, size, align, &where);
}

HOT void ev_free(struct worker *w, struct slot *s, const bool timed)
{
    uint64_t t0;

    if (s->state == SLOT_FAILED) {
        w->skipped++;
    } else {
        t0 = timed ? timer_start() : 0;
        heap_free(w->e->h, s->p, s->size);
        took(w, CALL_FREE, s->size, t0, timed);
        w->calls[CALL_FREE]++;
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
HOT void ev_realloc(struct worker *w, struct slot *s, uint64_t size,
                    size_t pos, const bool timed, const bool rec)
{
    struct placement where;
    uint64_t t0;
    void *p;

    if (s->state == SLOT_FAILED) {
        ev_alloc(w, s, size, s->flags & (TRACE_CONTIG | TRACE_ZERO),
                 s->align_log2, pos, timed, rec);
        return;
    }
    t0 = timed ? timer_start() : 0;
    p = heap_realloc(w->e->h, s->p, s->size, size, heap_flags(s->flags),
                     rec ? &where : NULL);
    took(w, CALL_REALLOC, size, t0, timed);
    w->calls[CALL_REALLOC]++;
    if (!p)
        return;
    s->p = p;
    s->size = size;
    if (rec)
        put_row(w->e, pos, size, 0, &where);
}

static void ev_write(struct worker *w, struct slot *s)
{
    if (s->state == SLOT_FAILED) {
        w->skipped++;
        return;
    }
    if (s->size)
        memset(s->p, TOUCH_BYTE, s->size);
    w->writes++;
}

/* Another thread may owe this slot an earlier event: wait for it. */
static inline void wait_turn(struct worker *w, const struct slot *s,
                             uint32_t seq)
{
    unsigned spins = 0;

    if (__atomic_load_n(&s->seq, __ATOMIC_ACQUIRE) == seq)
        return;
    w->waits++;
    while (__atomic_load_n(&s->seq, __ATOMIC_ACQUIRE) != seq)
        spin_wait_step(&spins);
}

/* The loop every measurement runs; the flags are constants in each copy
 * below, so a batch pass on one thread carries nothing it does not need. */
HOT void replay_stream(struct worker *w, const bool timed, const bool rec,
                       const bool multi)
{
    struct slot *slots = w->e->slots;
    const struct cev *ev = w->ev;
    size_t n = w->n;

    for (size_t i = 0; i < n; i++, ev++) {
        struct slot *s = &slots[ev->slot];
        size_t pos = rec ? (multi ? w->pos[i] : i) : 0;

        if (multi)
            wait_turn(w, s, ev->seq);
        switch (ev->op) {
        case COP_ALLOC:
            ev_alloc(w, s, ev->size, ev->flags, ev->align_log2, pos, timed,
                     rec);
            break;
        case COP_FREE:
            ev_free(w, s, timed);
            break;
        case COP_REALLOC:
            ev_realloc(w, s, ev->size, pos, timed, rec);
            break;
        case COP_WRITE:
            ev_write(w, s);
            break;
        }
        if (multi)
            __atomic_store_n(&s->seq, ev->seq + 1, __ATOMIC_RELEASE);
    }
}

static void batch_one(struct worker *w)  { replay_stream(w, false, false, false); }
static void batch_many(struct worker *w) { replay_stream(w, false, false, true); }
static void record_one(struct worker *w) { replay_stream(w, false, true, false); }
static void record_many(struct worker *w) { replay_stream(w, false, true, true); }
static void timed_one(struct worker *w)  { replay_stream(w, true, false, false); }
static void timed_many(struct worker *w) { replay_stream(w, true, false, true); }

static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The wall clock inside, the thread's CPU clock (a system call) outside:
 * their ratio tells whether something else had the CPU meanwhile. */
static void run_chunk(struct worker *w)
{
    static void (*const run[][2])(struct worker *) = {
        [PASS_BATCH] = { batch_one, batch_many },
        [PASS_RECORD] = { record_one, record_many },
        [PASS_TIMED] = { timed_one, timed_many },
    };
    uint64_t cpu = thread_cpu_ns();

    w->t0 = clock_ns();
    run[w->e->kind][w->e->n > 1](w);
    w->t1 = clock_ns();
    w->cpu_ns = thread_cpu_ns() - cpu;
}

/* Replay threads 1 .. N-1; the caller of replay_measure is thread 0. */
static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct engine *e = w->e;

    w->unbound = topology_bind_self(e->topo, &e->plan->replay[w->id]) != 0;
    for (;;) {
        spin_barrier_wait(&e->start);
        if (e->kind == PASS_QUIT)
            return NULL;
        run_chunk(w);
        spin_barrier_wait(&e->done);
    }
}

/* ---- chunks and passes ---------------------------------------------- */

/* Hands each replay thread its events of the loaded chunk, in order. */
static int split_chunk(struct engine *e)
{
    const struct ctrace *c = e->ct;
    size_t count[REPLAY_MAX_THREADS] = { 0 };

    if (e->n == 1) {
        e->w[0].ev = c->ev;
        e->w[0].n = c->n;
        return 0;
    }
    for (size_t i = 0; i < c->n; i++)
        count[c->ev[i].thread % e->n]++;
    for (unsigned t = 0; t < e->n; t++) {
        struct worker *w = &e->w[t];

        if (count[t] > w->own_cap) {
            free(w->own);
            free(w->own_pos);
            w->own = malloc(count[t] * sizeof(*w->own));
            w->own_pos = malloc(count[t] * sizeof(*w->own_pos));
            w->own_cap = count[t];
            if (!w->own || !w->own_pos) {
                w->own_cap = 0;
                return -1;
            }
        }
        w->ev = w->own;
        w->pos = w->own_pos;
        w->n = 0;
    }
    for (size_t i = 0; i < c->n; i++) {
        struct worker *w = &e->w[c->ev[i].thread % e->n];

        w->own[w->n] = c->ev[i];
        w->own_pos[w->n++] = (uint32_t)i;
    }
    return 0;
}

static void write_rows(struct engine *e, FILE *f);

/* What one pass leaves for the report. */
struct pass_out {
    uint64_t time_ns;
    uint64_t busy_ns, cpu_ns;      /* threads' wall and CPU time, summed */
    uint64_t counters[COUNTERS_MAX];
    struct heap_stats stats;
    uint64_t calls[CALL_KINDS], writes, skipped, leaked, waits;
    char map_limit[512];
};

static void add_counters(const struct counter_set *cs, uint64_t *sum)
{
    for (size_t i = 0; i < cs->n; i++)
        if (cs->ev[i].supported)
            sum[i] += cs->ev[i].value;
}

static int run_one_chunk(struct engine *e, size_t chunk, struct counter_set *cs,
                         FILE *rows_to, struct pass_out *po,
                         struct replay_report *r)
{
    uint64_t first = UINT64_MAX, last = 0;
    int st = ctrace_load(e->ct, chunk, r);

    if (st != REPLAY_OK)
        return st;
    if (split_chunk(e) != 0)
        return fail(r, REPLAY_FAILED, "out of memory splitting a chunk");
    if (e->n > 1)
        spin_barrier_rouse(&e->start);
    if (cs)
        counters_start(cs);
    if (e->n > 1)
        spin_barrier_wait(&e->start);
    run_chunk(&e->w[0]);
    if (e->n > 1)
        spin_barrier_wait(&e->done);
    if (cs) {
        counters_stop(cs);
        add_counters(cs, po->counters);
    }
    for (unsigned t = 0; t < e->n; t++) {
        if (e->w[t].t0 < first)
            first = e->w[t].t0;
        if (e->w[t].t1 > last)
            last = e->w[t].t1;
        po->busy_ns += e->w[t].t1 - e->w[t].t0;
        po->cpu_ns += e->w[t].cpu_ns;
    }
    po->time_ns += last - first;
    if (rows_to)
        write_rows(e, rows_to);
    return REPLAY_OK;
}

/* After the measured part: what the trace left live is freed, untimed. */
static uint64_t free_leaked(struct engine *e)
{
    uint64_t leaked = 0;

    for (uint32_t i = 0; i < e->n_slots; i++) {
        struct slot *s = &e->slots[i];

        if (s->state == SLOT_FREE)
            continue;
        leaked++;
        if (s->state == SLOT_LIVE)
            heap_free(e->h, s->p, s->size);
        s->state = SLOT_FREE;
    }
    return leaked;
}

static void gather(struct engine *e, struct pass_out *po)
{
    for (unsigned t = 0; t < e->n; t++) {
        struct worker *w = &e->w[t];

        for (int c = 0; c < CALL_KINDS; c++) {
            po->calls[c] += w->calls[c];
            w->calls[c] = 0;
        }
        po->writes += w->writes;
        po->skipped += w->skipped;
        po->waits += w->waits;
        w->writes = w->skipped = w->waits = 0;
    }
}

/* One replay of the whole trace on a fresh heap. CS: counters to run
 * around each chunk (measured passes); ROWS_TO: the placements CSV. */
static int run_pass(struct engine *e, enum pass_kind kind,
                    struct counter_set *cs, FILE *rows_to,
                    struct pass_out *po, struct replay_report *r)
{
    const char *limit;
    char why[512];
    int st = REPLAY_OK;

    memset(po, 0, sizeof(*po));
    e->h = heap_create(e->backend, e->cfg, why, sizeof(why));
    if (!e->h)
        return fail(r, REPLAY_FAILED, "cannot create the heap: %s", why);
    if (e->n > 1)
        heap_set_shared(e->h, true);
    e->kind = kind;
    memset(e->slots, 0, (size_t)e->n_slots * sizeof(*e->slots));
    if (rows_to)
        fputs(PLACEMENTS_HEADER, rows_to);
    for (size_t c = 0; c < e->ct->n_chunks && st == REPLAY_OK; c++)
        st = run_one_chunk(e, c, cs, rows_to, po, r);
    heap_stats(e->h, &po->stats);
    if ((limit = heap_map_limit_message(e->h)))
        snprintf(po->map_limit, sizeof(po->map_limit), "%s", limit);
    po->leaked = free_leaked(e);
    gather(e, po);
    heap_destroy(e->h);
    e->h = NULL;
    return st;
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

/* The chunk's rows in trace order, whichever thread made them. */
static void write_rows(struct engine *e, FILE *f)
{
    char line[256];   /* 6 numbers of at most 20 digits, a path name */

    for (size_t i = 0; i < e->ct->n; i++) {
        struct row *p = &e->rows[i];
        char *b = line;

        if (!p->valid)
            continue;
        p->valid = false;
        b = put_u64(b, e->ct->ids[i]);
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
}

/* ---- summaries ------------------------------------------------------ */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static double median_of(double *v, unsigned n)
{
    qsort(v, n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void spread_of(const double *x, unsigned n, struct spread *s)
{
    double v[n ? n : 1], sum = 0, sq = 0;

    memset(s, 0, sizeof(*s));
    if (n == 0)
        return;
    memcpy(v, x, n * sizeof(*v));
    s->median = median_of(v, n);
    s->min = v[0];
    s->max = v[n - 1];
    for (unsigned i = 0; i < n; i++)
        sum += x[i];
    s->mean = sum / n;
    for (unsigned i = 0; i < n; i++) {
        sq += (x[i] - s->mean) * (x[i] - s->mean);
        v[i] = fabs(x[i] - s->median);
    }
    s->stddev = n > 1 ? sqrt(sq / (n - 1)) : 0;
    s->mad = median_of(v, n);
}

static void summarize(const struct histogram *h, double ns_per_tick,
                      struct latency_summary *out)
{
    memset(out, 0, sizeof(*out));
    out->count = h->count;
    if (h->count == 0)
        return;
    out->mean = hist_mean(h) * ns_per_tick;
    out->p50 = hist_percentile(h, 50) * ns_per_tick;
    out->p99 = hist_percentile(h, 99) * ns_per_tick;
    out->p999 = hist_percentile(h, 99.9) * ns_per_tick;
    out->max = (double)h->max * ns_per_tick;
}

/* Every thread's histograms into the report's, then the summaries. */
static void summarize_latencies(struct engine *e, struct replay_report *r)
{
    double tick = r->timer.ns_per_tick;

    for (unsigned t = 0; t < e->n; t++)
        for (unsigned i = 0; i < CALL_KINDS * REPLAY_SIZE_CLASSES; i++)
            hist_merge(&r->hist[i], &e->w[t].hist[i]);
    for (int c = 0; c < CALL_KINDS; c++) {
        struct histogram *all = calloc(1, sizeof(*all));

        for (int k = 0; k < REPLAY_SIZE_CLASSES; k++) {
            const struct histogram *h = &r->hist[c * REPLAY_SIZE_CLASSES + k];

            summarize(h, tick, &r->by_size[c][k]);
            if (all)
                hist_merge(all, h);
        }
        if (all)
            summarize(all, tick, &r->latency[c]);
        free(all);
    }
}

/* Per-event medians over the repetitions into the counter set, which
 * counters_report and counters_print then show. */
static void counter_medians(struct replay_report *r)
{
    struct counter_set *cs = &r->counters;
    double v[r->n_reps ? r->n_reps : 1];

    for (size_t i = 0; i < cs->n && r->n_reps; i++) {
        for (unsigned k = 0; k < r->n_reps; k++)
            v[k] = (double)r->reps[k].counters[i];
        cs->ev[i].value = (uint64_t)llround(median_of(v, r->n_reps));
    }
}

/* TLB-shootdown interrupts received so far by every CPU (the "TLB:" line
 * of /proc/interrupts on x86); -1 where the kernel has no such line, as
 * on Arm, whose TLB invalidations are broadcast without interrupts. */
static int64_t tlb_shootdowns(void)
{
    FILE *f = fopen("/proc/interrupts", "r");
    char line[4096];
    int64_t sum = -1;

    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f)) {
        char *p = line + strspn(line, " ");

        if (strncmp(p, "TLB:", 4) != 0)
            continue;
        sum = 0;
        for (p += 4;;) {
            char *end;
            unsigned long long v = strtoull(p, &end, 10);

            if (end == p)
                break;
            sum += (int64_t)v;
            p = end;
        }
        break;
    }
    fclose(f);
    return sum;
}

uint64_t replay_proc_status_bytes(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    size_t klen = strlen(key);
    unsigned long long kb = 0;
    char line[256];

    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, key, klen) == 0 && line[klen] == ':' &&
            sscanf(line + klen + 1, "%llu", &kb) == 1)
            break;
    fclose(f);
    return (uint64_t)kb * 1024;
}

/* ---- setting up ----------------------------------------------------- */

static int check_options(const struct replay_options *o, const char *backend,
                         struct replay_report *r)
{
    char why[256];

    if (!backend_find(backend))
        return fail(r, REPLAY_BAD_INPUT, "unknown backend '%s'", backend);
    if (o->threads < 1 || o->threads > REPLAY_MAX_THREADS)
        return fail(r, REPLAY_BAD_INPUT, "--threads %u: want 1 .. %u",
                    o->threads, REPLAY_MAX_THREADS);
    if (o->flush_peers > REPLAY_MAX_PEERS)
        return fail(r, REPLAY_BAD_INPUT, "--flush-peers %u: want 0 .. %u",
                    o->flush_peers, REPLAY_MAX_PEERS);
    if (o->chunk_events < 1 || o->chunk_events > UINT32_MAX)
        return fail(r, REPLAY_BAD_INPUT, "--chunk-events %zu: want 1 .. %u",
                    o->chunk_events, UINT32_MAX);
    if (o->repetitions == 0)
        return fail(r, REPLAY_BAD_INPUT, "--repetitions 0: want at least 1");
    if (strcmp(r->counters_list, "none") != 0 &&
        counters_parse(r->counters_list, &r->counters, why, sizeof(why)))
        return fail(r, REPLAY_BAD_INPUT, "--counters: %s", why);
    return REPLAY_OK;
}

static int copy_setup(const struct replay_options *o,
                      const struct heap_config *cfg, const char *backend,
                      const char *trace_path, struct replay_report *r)
{
    r->backend = strdup(backend);
    r->cfg = *cfg;
    r->opt = *o;
    r->opt.placements = NULL;
    r->opt.counters = NULL;
    r->counters_list = strdup(o->counters ? o->counters : COUNTERS_DEFAULT);
    r->trace.path = strdup(trace_path);
    if (!r->backend || !r->counters_list || !r->trace.path)
        return fail(r, REPLAY_FAILED, "out of memory");
    return check_options(o, backend, r);
}

static void resolve_auto(const struct replay_options *o, struct replay_report *r)
{
    bool is_short = r->trace.events <= SHORT_TRACE_EVENTS;

    r->warmup = o->warmup != REPLAY_AUTO ? o->warmup
                : is_short ? SHORT_WARMUP : LONG_WARMUP;
    r->repetitions = o->repetitions != REPLAY_AUTO ? o->repetitions
                     : is_short ? SHORT_REPS : LONG_REPS;
}

/* The plan, and the topology to bind by; without hwloc, nothing is bound. */
static struct topology *make_plan(const struct replay_options *o,
                                  struct replay_report *r)
{
    char why[256];
    struct topology *t = topology_load(why, sizeof(why));
    static const struct cpu_place unbound = { -1, -1, -1 };

    if (t && thread_plan_make(t, o->pin, o->threads, o->flush_peers,
                              &r->plan) == 0)
        return t;
    if (t)
        snprintf(why, sizeof(why), "out of memory");
    topology_free(t);
    memset(&r->plan, 0, sizeof(r->plan));
    r->plan.pin = PIN_NONE;
    r->plan.n_replay = o->threads;
    r->plan.replay = calloc(o->threads, sizeof(*r->plan.replay));
    for (unsigned i = 0; r->plan.replay && i < o->threads; i++)
        r->plan.replay[i] = unbound;
    note(r, "no topology (%s): threads and flush peers are not bound, "
         "and no flush peer runs", why);
    return NULL;
}

static int engine_init(struct engine *e, struct ctrace *ct,
                       const struct replay_options *o, struct replay_report *r)
{
    bool timed = o->timing != TIMING_BATCH;

    e->n_slots = r->trace.slots;
    e->slots = aligned_alloc(64, ((size_t)e->n_slots + 2) * sizeof(*e->slots));
    e->w = aligned_alloc(64, o->threads * sizeof(*e->w));
    if (e->w) {
        memset(e->w, 0, o->threads * sizeof(*e->w));
        e->n = o->threads;
    }
    r->reps = calloc(r->repetitions, sizeof(*r->reps));
    if (o->placements)
        e->rows = calloc(ct->room, sizeof(*e->rows));
    if (timed)
        r->hist = calloc(CALL_KINDS * REPLAY_SIZE_CLASSES, sizeof(*r->hist));
    if (!e->slots || !e->w || !r->reps || (o->placements && !e->rows) ||
        (timed && !r->hist))
        return -1;
    for (unsigned t = 0; t < o->threads; t++) {
        e->w[t].e = e;
        e->w[t].id = t;
        if (timed && !(e->w[t].hist = calloc(CALL_KINDS * REPLAY_SIZE_CLASSES,
                                             sizeof(struct histogram))))
            return -1;
    }
    spin_barrier_init(&e->start, o->threads);
    spin_barrier_init(&e->done, o->threads);
    return 0;
}

/* What the engine holds for itself: what "bounded memory" bounds. */
static uint64_t harness_bytes(const struct engine *e, const struct ctrace *ct)
{
    uint64_t b = ct->room * (sizeof(struct cev) + (ct->ids ? 8 : 0)) +
                 (uint64_t)e->n_slots * sizeof(struct slot);

    if (e->rows)
        b += ct->room * sizeof(struct row);
    for (unsigned t = 0; t < e->n; t++)
        b += e->w[t].own_cap * (sizeof(struct cev) + sizeof(uint32_t)) +
             (e->w[t].hist ? CALL_KINDS * REPLAY_SIZE_CLASSES *
                             sizeof(struct histogram) : 0);
    return b;
}

static void engine_fini(struct engine *e)
{
    for (unsigned t = 0; e->w && t < e->n; t++) {
        free(e->w[t].own);
        free(e->w[t].own_pos);
        free(e->w[t].hist);
    }
    free(e->w);
    free(e->slots);
    free(e->rows);
}

/* ---- the passes ----------------------------------------------------- */

static void keep_first(struct replay_report *r, const struct pass_out *po)
{
    memcpy(r->calls, po->calls, sizeof(r->calls));
    r->writes = po->writes;
    r->skipped = po->skipped;
    r->leaked = po->leaked;
    r->stats = po->stats;
    if (po->map_limit[0])
        r->map_limit = strdup(po->map_limit);
}

static void keep_rep(struct replay_report *r, unsigned k, bool batch,
                     const struct pass_out *po)
{
    struct replay_rep *rep = &r->reps[k];

    if (k == 0 && (batch || r->opt.timing == TIMING_OP))
        keep_first(r, po);
    if (batch || r->opt.timing == TIMING_OP) {
        rep->time_ns = po->time_ns;
        rep->ns_per_op = r->trace.events ? (double)po->time_ns /
                                           (double)r->trace.events : 0;
        rep->failed = po->stats.failed;
        rep->flushes = po->stats.flushes;
        rep->waits = po->waits;
        rep->cpu_share = po->busy_ns ? (double)po->cpu_ns /
                                       (double)po->busy_ns : 0;
        memcpy(rep->counters, po->counters, sizeof(rep->counters));
    }
    if (!batch)
        rep->timed_ns = po->time_ns;
}

/* Warm-up, then the repetitions; placements come from the first warm-up
 * pass, or from one extra unmeasured pass when there is none. */
static int run_passes(struct engine *e, const struct replay_options *o,
                      struct replay_report *r)
{
    struct counter_set *cs = r->counters.n ? &r->counters : NULL;
    struct pass_out po;
    unsigned warm = r->warmup;
    int st = REPLAY_OK;

    if (o->placements && warm == 0) {
        warm = 1;
        r->placements_pass = true;
    }
    for (unsigned i = 0; i < warm && st == REPLAY_OK; i++)
        st = run_pass(e, i == 0 && o->placements ? PASS_RECORD : PASS_BATCH,
                      NULL, i == 0 ? o->placements : NULL, &po, r);
    for (unsigned k = 0; k < r->repetitions && st == REPLAY_OK; k++) {
        if (o->timing != TIMING_OP &&
            (st = run_pass(e, PASS_BATCH, cs, NULL, &po, r)) == REPLAY_OK)
            keep_rep(r, k, true, &po);
        if (st == REPLAY_OK && o->timing != TIMING_BATCH &&
            (st = run_pass(e, PASS_TIMED, o->timing == TIMING_OP ? cs : NULL,
                           NULL, &po, r)) == REPLAY_OK)
            keep_rep(r, k, false, &po);
    }
    r->n_reps = st == REPLAY_OK ? r->repetitions : 0;
    return st;
}

/* Threads 1 .. N-1 start (after the counters are open, so that they
 * inherit them); thread 0 is the caller, bound for the measurement. */
static int start_workers(struct engine *e, struct replay_report *r)
{
    e->w[0].unbound = topology_bind_self(e->topo, &e->plan->replay[0]) != 0;
    for (unsigned t = 1; t < e->n; t++)
        if (pthread_create(&e->w[t].tid, NULL, worker_main, &e->w[t]) != 0) {
            e->n = t;   /* only these to stop */
            return fail(r, REPLAY_FAILED, "cannot create replay thread %u: %s",
                        t, strerror(errno));
        }
    return REPLAY_OK;
}

static void stop_workers(struct engine *e, unsigned created)
{
    if (created <= 1)
        return;
    e->kind = PASS_QUIT;
    e->start.n = created;
    spin_barrier_wait(&e->start);
    for (unsigned t = 1; t < created; t++)
        pthread_join(e->w[t].tid, NULL);
}

static void thread_notes(const struct engine *e, struct replay_report *r)
{
    unsigned unbound = 0;

    for (unsigned i = 0; i < r->plan.n_notes; i++)
        note(r, "%s", r->plan.note[i]);
    for (unsigned t = 0; t < e->n; t++)
        unbound += e->w[t].unbound;
    if (unbound)
        note(r, "%u replay threads could not be bound as planned", unbound);
    if (r->trace.threads > e->n)
        note(r, "the trace has threads t=0 .. %u; trace thread t ran on "
             "replay thread t %% %u", r->trace.threads - 1, e->n);
    else if (r->trace.threads < e->n)
        note(r, "the trace has %u thread%s: replay threads %u .. %u had "
             "nothing to do", r->trace.threads, r->trace.threads == 1 ? "" : "s",
             r->trace.threads, e->n - 1);
    if (r->placements_pass)
        note(r, "placements were recorded in one extra unmeasured pass");
    if (r->cpu_share.median > 0 && r->cpu_share.median < CPU_SHARE_WARN)
        note(r, "replay threads had the CPU %.0f %% of the measured time: "
             "other work competed for it, so times are inflated",
             100 * r->cpu_share.median);
    if (r->opt.timing == TIMING_OP)
        note(r, "--timing op: ns/op includes a timer read around every call");
}

/* Peers before the counters open (their spinning is not counted), the
 * replay threads after (theirs is). */
static int measure(struct engine *e, const struct replay_options *o,
                   struct replay_report *r)
{
    char why[256] = "";
    struct flush_peers *peers = NULL;
    struct saved_binding *saved;
    unsigned created, unbound_peers;
    int st;

    if (e->topo && o->flush_peers &&
        !(peers = flush_peers_start(e->topo, &r->plan, why, sizeof(why))))
        return fail(r, REPLAY_FAILED, "%s", why);
    if (r->counters.n)
        counters_open(&r->counters);
    saved = e->topo ? binding_save(e->topo) : NULL;
    st = start_workers(e, r);
    created = e->n;
    r->tlb_shootdowns = tlb_shootdowns();
    if (st == REPLAY_OK)
        st = run_passes(e, o, r);
    if (r->tlb_shootdowns >= 0)
        r->tlb_shootdowns = tlb_shootdowns() - r->tlb_shootdowns;
    stop_workers(e, created);
    r->peer_rounds = flush_peers_stop(peers, &unbound_peers);
    if (unbound_peers)
        note(r, "%u flush peers could not be bound as planned", unbound_peers);
    if (e->topo)
        binding_restore(e->topo, saved);
    return st;
}

int replay_measure(const struct replay_options *o,
                   const struct heap_config *cfg, const char *backend,
                   const char *trace_path, struct replay_report *r)
{
    struct ctrace ct;
    struct engine e;
    int st;

    memset(r, 0, sizeof(*r));
    memset(&e, 0, sizeof(e));
    memset(&ct, 0, sizeof(ct));
    ct.fd = -1;
    st = copy_setup(o, cfg, backend, trace_path, r);
    if (st != REPLAY_OK)
        return st;
    if (ctrace_init(&ct, o->chunk_events, o->placements != NULL) != 0) {
        ctrace_fini(&ct);
        return fail(r, REPLAY_FAILED, "out of memory for %zu-event chunks",
                    o->chunk_events);
    }
    st = decode(&ct, trace_path, o->threads, r);
    if (st == REPLAY_OK) {
        resolve_auto(o, r);
        timer_init(o->timer, &r->timer);
        e.backend = backend;
        e.cfg = cfg;
        e.page = cfg->page_size;
        e.ct = &ct;
        e.overhead = r->timer.overhead_ticks;
        e.topo = make_plan(o, r);
        e.plan = &r->plan;
        if (!r->plan.replay || engine_init(&e, &ct, o, r) != 0)
            st = fail(r, REPLAY_FAILED, "out of memory for the replayer");
    }
    if (st == REPLAY_OK)
        st = measure(&e, o, r);
    if (st == REPLAY_OK) {
        double v[r->n_reps ? r->n_reps : 1];

        for (unsigned k = 0; k < r->n_reps; k++)
            v[k] = r->reps[k].ns_per_op;
        spread_of(v, r->n_reps, &r->ns_per_op);
        for (unsigned k = 0; k < r->n_reps; k++)
            v[k] = r->reps[k].cpu_share;
        spread_of(v, r->n_reps, &r->cpu_share);
        if (r->hist) {
            r->latencies = true;
            summarize_latencies(&e, r);
        }
        counter_medians(r);
        thread_notes(&e, r);
        r->harness_bytes = harness_bytes(&e, &ct);
        r->vm_hwm_bytes = replay_proc_status_bytes("VmHWM");
        r->vm_rss_bytes = replay_proc_status_bytes("VmRSS");
    }
    topology_free(e.topo);
    engine_fini(&e);
    ctrace_fini(&ct);
    return st;
}

void replay_report_free(struct replay_report *r)
{
    free(r->backend);
    free(r->counters_list);
    free(r->trace.path);
    free(r->map_limit);
    free(r->reps);
    free(r->hist);
    thread_plan_free(&r->plan);
    counters_free(&r->counters);
    memset(r, 0, sizeof(*r));
}
