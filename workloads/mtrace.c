/*
 * Address logs to traces (mtrace.h): the address-to-id converter, then the
 * reader of glibc's mtrace format.
 *
 * The live map is open addressing with linear probing and backward-shift
 * deletion, keyed by address (0, NULL, is never live, so it marks a free
 * cell). The thread map is the same shape, keyed by OS tid.
 */
#include "workloads/mtrace.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/trace.h"

#define MAP_MIN_BITS  10        /* 1024 cells to start with */
#define MAP_MAX_LOAD  2         /* grow past 1/2 full */
#define GOLDEN64      0x9e3779b97f4a7c15ULL
#define MAX_LOG2_ALIGN 40       /* the trace reader's limit */

/* ---- open-addressing map: u64 key (never 0) -> u64 value ----------- */

struct map_cell {
    uint64_t key, val;
};

struct map {
    struct map_cell *c;
    unsigned bits;
    size_t used;
};

static size_t map_home(const struct map *m, uint64_t key)
{
    return (size_t)((key * GOLDEN64) >> (64 - m->bits));
}

static struct map_cell *map_find(const struct map *m, uint64_t key)
{
    size_t mask = ((size_t)1 << m->bits) - 1;

    for (size_t i = map_home(m, key);; i = (i + 1) & mask) {
        if (m->c[i].key == key)
            return &m->c[i];
        if (m->c[i].key == 0)
            return NULL;
    }
}

static int map_init(struct map *m, unsigned bits)
{
    m->c = calloc((size_t)1 << bits, sizeof(*m->c));
    m->bits = bits;
    m->used = 0;
    return m->c ? 0 : -1;
}

static int map_put(struct map *m, uint64_t key, uint64_t val);

static int map_grow(struct map *m)
{
    struct map old = *m;

    if (map_init(m, old.bits + 1) != 0) {
        *m = old;
        return -1;
    }
    for (size_t i = 0; i < (size_t)1 << old.bits; i++)
        if (old.c[i].key)
            map_put(m, old.c[i].key, old.c[i].val);
    free(old.c);
    return 0;
}

/* Sets KEY to VAL (KEY must not be present). */
static int map_put(struct map *m, uint64_t key, uint64_t val)
{
    size_t mask;

    if ((m->used + 1) * MAP_MAX_LOAD > (size_t)1 << m->bits &&
        map_grow(m) != 0)
        return -1;
    mask = ((size_t)1 << m->bits) - 1;
    for (size_t i = map_home(m, key);; i = (i + 1) & mask)
        if (m->c[i].key == 0) {
            m->c[i] = (struct map_cell){ key, val };
            m->used++;
            return 0;
        }
}

/* Removes the cell C, shifting later cells of its probe run back. */
static void map_remove(struct map *m, struct map_cell *c)
{
    size_t mask = ((size_t)1 << m->bits) - 1;
    size_t hole = (size_t)(c - m->c);

    for (size_t i = (hole + 1) & mask; m->c[i].key; i = (i + 1) & mask) {
        size_t h = map_home(m, m->c[i].key);

        /* Move i into the hole unless its home lies in (hole, i]. */
        if (((i - h) & mask) >= ((i - hole) & mask)) {
            m->c[hole] = m->c[i];
            hole = i;
        }
    }
    m->c[hole].key = 0;
    m->used--;
}

/* ---- the converter ------------------------------------------------- */

/* Per OS thread: its replay thread and its realloc in flight. */
struct thread_state {
    uint16_t index;
    bool pending;          /* between realloc_begin and realloc_end */
    uint64_t pending_id;   /* 0: the old address was not live */
    uint64_t pending_old;
};

struct addr_trace {
    FILE *out;
    struct map live;       /* address -> id */
    struct map tids;       /* tid + 1 -> index into threads */
    struct thread_state *threads;
    size_t n_threads, cap_threads;
    uint64_t next_id;
    struct addr_stats st;
};

struct addr_trace *addr_trace_new(FILE *out)
{
    struct addr_trace *a = calloc(1, sizeof(*a));

    if (!a)
        return NULL;
    if (map_init(&a->live, MAP_MIN_BITS) || map_init(&a->tids, MAP_MIN_BITS)) {
        free(a->live.c);
        free(a);
        return NULL;
    }
    a->out = out;
    a->next_id = 1;
    return a;
}

void addr_trace_end(struct addr_trace *a, struct addr_stats *st)
{
    a->st.live_at_end += a->live.used;
    for (size_t i = 0; i < a->n_threads; i++)   /* a realloc never ended */
        a->st.live_at_end += a->threads[i].pending_id != 0;
    *st = a->st;
    free(a->live.c);
    free(a->tids.c);
    free(a->threads);
    free(a);
}

int addr_trace_forget(struct addr_trace *a)
{
    a->st.live_at_end += a->live.used;
    for (size_t i = 0; i < a->n_threads; i++) {
        a->st.live_at_end += a->threads[i].pending_id != 0;
        a->threads[i].pending = false;
        a->threads[i].pending_id = 0;
    }
    free(a->live.c);
    return map_init(&a->live, MAP_MIN_BITS);
}

static struct thread_state *thread_of(struct addr_trace *a, uint64_t tid)
{
    struct map_cell *c = map_find(&a->tids, tid + 1);
    struct thread_state *t;

    if (c)
        return &a->threads[c->val];
    if (a->n_threads == a->cap_threads) {
        size_t cap = a->cap_threads ? 2 * a->cap_threads : 16;

        t = realloc(a->threads, cap * sizeof(*t));
        if (!t)
            return NULL;
        a->threads = t;
        a->cap_threads = cap;
    }
    if (map_put(&a->tids, tid + 1, a->n_threads) != 0)
        return NULL;
    t = &a->threads[a->n_threads++];
    *t = (struct thread_state){
        .index = (uint16_t)((a->n_threads - 1) % TRACE_MAX_THREADS) };
    a->st.threads++;
    a->st.folded_threads += a->n_threads > TRACE_MAX_THREADS;
    return t;
}

static void put(struct addr_trace *a, const struct trace_event *ev)
{
    trace_write_event(a->out, ev);
    a->st.events++;
}

static void put_free(struct addr_trace *a, uint64_t id, uint16_t thread)
{
    put(a, &(struct trace_event){ .op = TRACE_FREE, .id = id,
                                  .thread = thread });
    a->st.frees++;
}

/* Maps ADDR to ID; an address still live lost its free in the log. */
static int attach(struct addr_trace *a, uint64_t addr, uint64_t id,
                  uint16_t thread)
{
    struct map_cell *c = map_find(&a->live, addr);

    if (c) {
        put_free(a, c->val, thread);
        a->st.missed_frees++;
        c->val = id;
        return 0;
    }
    return map_put(&a->live, addr, id);
}

static uint64_t clamp_size(uint64_t size)
{
    return size > TRACE_MAX_SIZE ? TRACE_MAX_SIZE : size;
}

static int new_block(struct addr_trace *a, uint64_t addr, uint64_t size,
                     unsigned flags, unsigned align_log2, uint16_t thread)
{
    uint64_t id = a->next_id++;

    if (attach(a, addr, id, thread) != 0)
        return -1;
    put(a, &(struct trace_event){
        .op = TRACE_ALLOC, .id = id, .size = clamp_size(size),
        .flags = (uint8_t)flags, .thread = thread,
        .align_log2 = (uint8_t)(align_log2 > MAX_LOG2_ALIGN ?
                                MAX_LOG2_ALIGN : align_log2) });
    a->st.allocs++;
    return 0;
}

int addr_alloc(struct addr_trace *a, uint64_t addr, uint64_t size,
               unsigned flags, unsigned align_log2, uint64_t tid)
{
    struct thread_state *t = thread_of(a, tid);

    if (!t)
        return -1;
    if (addr == 0) {
        a->st.failed++;
        return 0;
    }
    return new_block(a, addr, size, flags, align_log2, t->index);
}

int addr_free(struct addr_trace *a, uint64_t addr, uint64_t tid)
{
    struct thread_state *t = thread_of(a, tid);
    struct map_cell *c;

    if (!t)
        return -1;
    if (addr == 0)
        return 0;   /* free(NULL) does nothing */
    c = map_find(&a->live, addr);
    if (!c) {
        a->st.unmatched_frees++;
        return 0;
    }
    put_free(a, c->val, t->index);
    map_remove(&a->live, c);
    return 0;
}

int addr_realloc_begin(struct addr_trace *a, uint64_t old, uint64_t tid)
{
    struct thread_state *t = thread_of(a, tid);
    struct map_cell *c;

    if (!t)
        return -1;
    c = old ? map_find(&a->live, old) : NULL;
    t->pending = true;
    t->pending_old = old;
    t->pending_id = c ? c->val : 0;
    if (c)
        map_remove(&a->live, c);
    return 0;
}

int addr_realloc_end(struct addr_trace *a, uint64_t new_addr, uint64_t size,
                     uint64_t tid)
{
    struct thread_state *t = thread_of(a, tid);
    uint64_t id;

    if (!t)
        return -1;
    id = t->pending ? t->pending_id : 0;
    t->pending = false;
    t->pending_id = 0;
    if (!id) {   /* the old block was never seen: a fresh block */
        a->st.unmatched_reallocs += t->pending_old != 0;
        return new_addr ? new_block(a, new_addr, size, 0, 0, t->index) : 0;
    }
    if (new_addr == 0 && size == 0) {   /* realloc(p, 0) freed p */
        put_free(a, id, t->index);
        return 0;
    }
    if (new_addr == 0) {                /* failed: p is still live */
        a->st.failed++;
        return attach(a, t->pending_old, id, t->index);
    }
    put(a, &(struct trace_event){ .op = TRACE_REALLOC, .id = id,
                                  .size = clamp_size(size),
                                  .thread = t->index });
    a->st.reallocs++;
    return attach(a, new_addr, id, t->index);
}

void addr_stats_print(const struct addr_stats *st, const char *what, FILE *f)
{
    fprintf(f, "%s: %" PRIu64 " events (%" PRIu64 " a, %" PRIu64 " f, %"
            PRIu64 " r), %" PRIu64 " thread%s", what, st->events, st->allocs,
            st->frees, st->reallocs, st->threads, st->threads == 1 ? "" : "s");
    if (st->unmatched_frees)
        fprintf(f, "; %" PRIu64 " frees of unknown blocks skipped",
                st->unmatched_frees);
    if (st->unmatched_reallocs)
        fprintf(f, "; %" PRIu64 " reallocs of unknown blocks written as a",
                st->unmatched_reallocs);
    if (st->failed)
        fprintf(f, "; %" PRIu64 " failed allocations skipped", st->failed);
    if (st->missed_frees)
        fprintf(f, "; %" PRIu64 " missing frees written where the address "
                "came back", st->missed_frees);
    if (st->folded_threads)
        fprintf(f, "; %" PRIu64 " threads past 1024 share replay threads",
                st->folded_threads);
    if (st->live_at_end)
        fprintf(f, "; %" PRIu64 " blocks live at the end", st->live_at_end);
    fputc('\n', f);
}

/* ---- glibc mtrace logs --------------------------------------------- */

/*
 * glibc's mtrace (malloc/mtrace-impl.c) writes one line per call:
 *
 *     = Start
 *     @ ./prog:[0x401136] + 0x4052a0 0x64      malloc, calloc, memalign
 *     @ ./prog:[0x401150] - 0x4052a0           free
 *     @ ./prog:[0x401160] < 0x4052a0           realloc: the old block,
 *     @ ./prog:[0x401160] > 0x4056c0 0xc8      then the new one
 *     @ ./prog:[0x401170] ! 0x4052a0 0x1000    realloc failed
 *     = End
 *
 * The "@ caller " part is optional. Pointers print as %p, so NULL is
 * "(nil)"; sizes as %#lx, so zero is "0".
 */
struct mtrace_line {
    const char *name;
    uint64_t no;
    char *why;
    size_t len;
};

static int bad(const struct mtrace_line *l, const char *what, const char *s)
{
    snprintf(l->why, l->len, "%s:%" PRIu64 ": %s: '%.60s'", l->name, l->no,
             what, s);
    return -1;
}

/* A %p or %#lx number at *S; moves *S past it and one following space. */
static int number(const char **s, uint64_t *out)
{
    const char *p = *s;
    char *end;

    if (strncmp(p, "(nil)", 5) == 0) {
        *out = 0;
        end = (char *)p + 5;
    } else if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') &&
               isxdigit((unsigned char)p[2])) {
        errno = 0;
        *out = strtoull(p + 2, &end, 16);
        if (errno)
            return -1;
    } else if (p[0] == '0') {
        *out = 0;
        end = (char *)p + 1;
    } else {
        return -1;
    }
    if (*end != ' ' && *end != '\0')
        return -1;
    *s = *end == ' ' ? end + 1 : end;
    return 0;
}

/* The operation part, after the optional "@ caller " prefix. */
static const char *op_part(char *text)
{
    char *close;

    if (strncmp(text, "@ ", 2) != 0)
        return text;
    close = strstr(text, "] ");
    for (char *next = close; next; next = strstr(next + 1, "] "))
        close = next;
    return close ? close + 2 : NULL;
}

struct mtrace_state {
    struct addr_trace *a;
    uint64_t realloc_line;   /* the '<' waiting for its '>', or 0 */
};

static int mtrace_line(struct mtrace_state *m, const struct mtrace_line *l,
                       char *text)
{
    const char *s = op_part(text);
    uint64_t addr, size = 0;
    char op;
    int rc = 0;

    /* strchr would find the terminator of an empty rest: test it first. */
    if (!s || !s[0] || !strchr("+-<>!", s[0]) || s[1] != ' ')
        return bad(l, "not an mtrace line", text);
    op = s[0];
    s += 2;
    if (number(&s, &addr) != 0)
        return bad(l, "bad address", text);
    if ((op == '+' || op == '>' || op == '!') && number(&s, &size) != 0)
        return bad(l, "bad size", text);
    if (*s)
        return bad(l, "unexpected text after the numbers", text);
    if (m->realloc_line && op != '>') {
        char what[80];

        snprintf(what, sizeof(what), "the '<' of line %" PRIu64
                 " is not followed by its '>'", m->realloc_line);
        return bad(l, what, text);
    }
    switch (op) {
    case '+':
        rc = addr_alloc(m->a, addr, size, 0, 0, 0);
        break;
    case '-':
        rc = addr_free(m->a, addr, 0);
        break;
    case '<':
        m->realloc_line = l->no;
        rc = addr_realloc_begin(m->a, addr, 0);
        break;
    case '>':
        if (!m->realloc_line)
            return bad(l, "'>' without the '<' before it", text);
        m->realloc_line = 0;
        rc = addr_realloc_end(m->a, addr, size, 0);
        break;
    case '!':   /* a failed realloc: the old block stays as it was */
        rc = addr_alloc(m->a, 0, size, 0, 0, 0);
        break;
    }
    if (rc != 0)
        snprintf(l->why, l->len, "%s: out of memory", l->name);
    return rc;
}

int mtrace_convert(const char *name, FILE *in, FILE *out,
                   struct addr_stats *st, char *why, size_t len)
{
    struct mtrace_state m = { .a = addr_trace_new(out) };
    struct mtrace_line l = { .name = name, .why = why, .len = len };
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;

    if (!m.a) {
        snprintf(why, len, "%s: out of memory", name);
        return -1;
    }
    trace_write_header(out);
    fprintf(out, "# imported by xheap import-mtrace from %s\n", name);
    while (rc == 0 && (n = getline(&line, &cap, in)) >= 0) {
        bool cut = n > 0 && line[n - 1] != '\n';

        l.no++;
        if (!cut)
            line[--n] = 0;
        /* A log cut in a number ("+ 0x4052a0 0x") would read as another
         * number: only a whole line counts, as in traces. */
        if ((size_t)n != strlen(line))
            rc = bad(&l, "NUL byte in line", "");
        else if (cut)
            rc = bad(&l, "truncated last line (no newline at end of file)",
                     line);
        else if (n == 0 || line[0] == '=')
            continue;   /* "= Start", "= End" */
        else
            rc = mtrace_line(&m, &l, line);
    }
    if (rc == 0 && ferror(in)) {
        snprintf(why, len, "%s: read error: %s", name, strerror(errno));
        rc = -1;
    }
    if (rc == 0 && m.realloc_line) {
        l.no = m.realloc_line;
        rc = bad(&l, "the log ends before the '>' of this '<'", "");
    }
    free(line);
    addr_trace_end(m.a, st);
    return rc;
}
