/*
 * The replay engine's input: the trace read, checked and compacted into
 * 16-byte events with replay slots of their own, a chunk at a time; a trace
 * longer than one chunk goes to an unlinked temporary file (the spool) and
 * comes back a chunk per pass.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drivers/measure/replay_internal.h"

/* Chunk buffers start this small and double up to a chunk. */
#define FIRST_ROOM 4096u

/* Replay slots a thread takes at once (see struct slot_map). */
#define SLOT_BLOCK 16u

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

int ctrace_init(struct ctrace *c, size_t cap, bool ids)
{
    memset(c, 0, sizeof(*c));
    c->fd = -1;
    c->cap = cap;
    c->want_ids = ids;
    c->loaded = SIZE_MAX;
    return ctrace_grow(c);
}

void ctrace_fini(struct ctrace *c)
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

int ctrace_load(struct ctrace *c, size_t i, struct replay_report *r)
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

int replay_decode(struct ctrace *c, const char *path, unsigned threads,
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
