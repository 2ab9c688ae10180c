/*
 * libFuzzer target: arbitrary traces replayed against every model backend,
 * with the model checker on.
 *
 * The input is decoded by the trace reader (workloads/trace.h); the events
 * it accepts, up to MAX_EVENTS and up to a malformed line if there is one,
 * are replayed in file order, one thread, against pages, xmalloc, vmalloc,
 * xvmalloc, xvmalloc-fallback and kvmalloc, each on a fresh small heap.
 * Events on an id whose allocation failed are skipped, except an `r`,
 * which allocates, as the replay engine does. After every call:
 *
 * - a block lies in the directmap on frames in use, or starts a vmap area
 *   large enough (or is the zero block, for size 0); it is aligned as
 *   asked; a contiguous request never lands in the vmap area, not even
 *   after a realloc; the placement's path agrees with the address;
 * - zeroed memory is zero; every block is filled with a pattern of its own,
 *   checked at every free, realloc (the part that survives) and write, so
 *   that two blocks sharing memory, or a copy gone wrong, show;
 * - every CHECK_EVERY events, and at the end, the model's invariants hold
 *   (xen_model_check) and its live bytes and vmap pages are the blocks';
 * - once everything is freed, every frame is back (frames in use are the
 *   model's own) and, unless the model's own frames changed, the buddy free
 *   lists hold what they held right after heap_create.
 *
 * The model's knobs default to a small machine (MEMORY, VMAP below); a
 * comment line "#@ key=value ..." in the trace changes them: page=16K,
 * memory=4M, vmap=2M, xenheap=1M, directmap=0, scrub=0, flush=lazy,
 * lazy=16, order=10, only=xmalloc (one backend). Values that do not parse
 * or are out of range are ignored.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/heap.h"
#include "backends/model.h"
#include "backends/page_alloc.h"
#include "backends/vmap.h"
#include "backends/xmalloc.h"
#include "workloads/trace.h"

#define MAX_EVENTS   2000u            /* events replayed per input */
/* The default machine is small: each input builds six heaps, and their
 * start-up, and the checks, grow with memory. */
#define MEMORY       (8ull << 20)
#define VMAP         (8ull << 20)
#define KNOB_MAX     (64ull << 20)    /* memory, vmap, xenheap at most */
#define LAZY_MAX     4096u            /* lazy= at most, in pages */
#define CHECK_EVERY  256u             /* events between model checks */
#define KNOB_MARK    "#@"             /* a knob line starts so */

/* Blocks up to FILL_WHOLE bytes carry the pattern throughout; larger ones
 * at both ends and one word per FILL_STRIDE between, so that a block of
 * megabytes costs little and still shows a page mapped twice. */
#define FILL_WHOLE   16384u
#define FILL_EDGE    1024u
#define FILL_STRIDE  4096u
#define PATTERN_STEP 0x9e3779b97f4a7c15ull

static const char *const backends[] = {
    "pages", "xmalloc", "vmalloc", "xvmalloc", "xvmalloc-fallback",
    "kvmalloc",
};
#define NR_BACKENDS (sizeof backends / sizeof backends[0])

struct knobs {
    struct heap_config cfg;
    const char *only;            /* one backend, or NULL for all */
    bool changed;                /* a knob line changed the defaults */
};

struct block {
    char *p;                     /* NULL: no block (its allocation failed) */
    uint64_t size;
    uint64_t serial;             /* names its pattern */
    unsigned flags;              /* HEAP_NEEDS_CONTIG, HEAP_ZERO */
};

struct run {
    const char *backend;
    struct heap *h;
    struct xen_model *m;
    struct block *b;             /* [slots] */
    uint32_t slots;
    size_t step;                 /* the event being replayed */
    uint64_t serial;
    uint64_t live_bytes;
};

static __attribute__((noreturn, format(printf, 2, 3)))
void bug(const struct run *r, const char *fmt, ...)
{
    va_list ap;

    if (r)
        fprintf(stderr, "fuzz_replay: %s, event %zu: ", r->backend, r->step);
    else
        fputs("fuzz_replay: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

/* ---- knobs ---- */

static void knob(struct knobs *k, const char *key, const char *val)
{
    struct heap_config *c = &k->cfg;
    enum flush_policy f;
    uint64_t v;

    if (!strcmp(key, "only")) {
        for (size_t i = 0; i < NR_BACKENDS; i++)
            if (!strcmp(val, backends[i]))
                k->only = backends[i];
        return;
    }
    if (!strcmp(key, "flush")) {
        if (!flush_policy_parse(val, &f))
            c->flush = f;
        return;
    }
    if (parse_size(val, &v))
        return;
    if (!strcmp(key, "page") && (v == 4096 || v == 16384 || v == 65536))
        c->page_size = v;
    else if (!strcmp(key, "memory") && v <= KNOB_MAX)
        c->memory_bytes = v;
    else if (!strcmp(key, "vmap") && v <= KNOB_MAX)
        c->vmap_bytes = v;
    else if (!strcmp(key, "xenheap") && v <= KNOB_MAX)
        c->xenheap_bytes = v;
    else if (!strcmp(key, "directmap") && v <= 1)
        c->directmap = v;
    else if (!strcmp(key, "scrub") && v <= 1)
        c->scrub = v;
    else if (!strcmp(key, "lazy") && v <= LAZY_MAX)
        c->lazy_max_pages = (unsigned)v;
    else if (!strcmp(key, "order") && v >= 1 && v <= 18)
        c->max_order = (unsigned)v;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* The defaults, changed by the first "#@" line of the input. */
static void read_knobs(const uint8_t *data, size_t size, struct knobs *k)
{
    const char *s = (const char *)data, *e = s + size, *line = NULL;

    memset(k, 0, sizeof *k);
    heap_config_defaults(&k->cfg);
    k->cfg.memory_bytes = MEMORY;
    k->cfg.vmap_bytes = VMAP;
    for (const char *p = s; p + 2 <= e; ) {
        const char *nl = memchr(p, '\n', (size_t)(e - p));

        if (!memcmp(p, KNOB_MARK, 2)) {
            line = p + 2;
            e = nl ? nl : e;
            break;
        }
        if (!nl)
            return;
        p = nl + 1;
    }
    while (line && line < e) {
        char tok[64], *eq;
        size_t n;

        while (line < e && is_blank(*line))
            line++;
        for (n = 0; line + n < e && !is_blank(line[n]); n++)
            ;
        if (n && n < sizeof tok) {
            memcpy(tok, line, n);
            tok[n] = 0;
            if ((eq = strchr(tok, '='))) {
                *eq = 0;
                knob(k, tok, eq + 1);
                k->changed = true;
            }
        }
        line += n;
    }
}

/* ---- decoding ---- */

/* The events the reader accepts, up to MAX_EVENTS or the first fault. */
static size_t decode(const uint8_t *data, size_t size, struct trace_event *ev,
                     uint32_t *slots)
{
    struct trace_error err;
    struct trace_reader *r = trace_open_mem("fuzz.trace", (const char *)data,
                                            size, &err);
    size_t n = 0;

    if (!r)
        bug(NULL, "trace_open_mem: %s", err.msg);
    while (n < MAX_EVENTS && trace_next(r, &ev[n], &err) == 1)
        n++;
    *slots = trace_slots(r);
    for (size_t i = 0; i < n; i++)
        if (ev[i].slot >= *slots)
            bug(NULL, "event %zu has slot %u of %u", i, ev[i].slot, *slots);
    trace_close(r);
    return n;
}

/* ---- patterns ---- */

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

enum part_op { PART_FILL, PART_VERIFY, PART_ZERO };

static uint64_t pattern_word(enum part_op op, uint64_t base, size_t off)
{
    return op == PART_ZERO ? 0 : base + (off / 8) * PATTERN_STEP;
}

/* Fills or checks [off, off + len) of P, a word at a time where aligned;
 * the first bad offset, or SIZE_MAX. */
static size_t part(enum part_op op, char *p, size_t off, size_t len,
                   uint64_t base)
{
    size_t i = off, end = off + len;

    while (i < end) {
        uint64_t want = pattern_word(op, base, i), got;

        if (i % 8 == 0 && end - i >= 8) {
            if (op == PART_FILL) {
                memcpy(p + i, &want, 8);
                i += 8;
                continue;
            }
            memcpy(&got, p + i, 8);
            if (got == want) {
                i += 8;
                continue;
            }
        }
        /* A byte at a time: the edges, and a word that differs. */
        if (op == PART_FILL)
            p[i] = (char)(want >> (i % 8 * 8));
        else if ((uint8_t)p[i] != (uint8_t)(want >> (i % 8 * 8)))
            return i;
        i++;
    }
    return SIZE_MAX;
}

/* Applies OP to the parts of a block of SIZE that carry the pattern,
 * within its first UPTO bytes. The first bad offset, or SIZE_MAX. */
static size_t each_part(enum part_op op, char *p, size_t size, size_t upto,
                        uint64_t base)
{
    size_t end = upto < size ? upto : size, bad, tail;

    if (size <= FILL_WHOLE)
        return part(op, p, 0, end, base);
    if ((bad = part(op, p, 0, end < FILL_EDGE ? end : FILL_EDGE, base)) !=
        SIZE_MAX)
        return bad;
    tail = size - FILL_EDGE;
    for (size_t off = FILL_STRIDE; off + 8 <= tail && off + 8 <= end;
         off += FILL_STRIDE)
        if ((bad = part(op, p, off, 8, base)) != SIZE_MAX)
            return bad;
    return tail < end ? part(op, p, tail, end - tail, base) : SIZE_MAX;
}

static uint64_t base_of(const struct block *b)
{
    return mix64(b->serial);
}

static void fill(struct run *r, struct block *b)
{
    b->serial = ++r->serial;
    if (b->p != ZERO_BLOCK_PTR)
        each_part(PART_FILL, b->p, b->size, b->size, base_of(b));
}

/* The first UPTO bytes of B still hold its pattern. */
static void verify(const struct run *r, const struct block *b, size_t upto,
                   const char *when)
{
    size_t bad;

    if (b->p == ZERO_BLOCK_PTR)
        return;
    bad = each_part(PART_VERIFY, b->p, b->size, upto, base_of(b));
    if (bad != SIZE_MAX)
        bug(r, "%s: block %p of %" PRIu64 " bytes lost its contents at "
            "offset %zu", when, (void *)b->p, b->size, bad);
}

/* ---- where a block may be ---- */

static void check_frames(const struct run *r, const char *p, uint64_t size)
{
    struct frames *f = &r->m->frames;
    const char *end = f->directmap + ((size_t)f->nr_frames << f->page_shift);
    uint64_t last = size ? size - 1 : 0;

    if (size > (uint64_t)(end - p))
        bug(r, "block %p of %" PRIu64 " bytes runs past the directmap",
            (const void *)p, size);
    if (page_state(virt_to_page(&r->m->pa, p)) != PGS_INUSE ||
        page_state(virt_to_page(&r->m->pa, p + last)) != PGS_INUSE)
        bug(r, "block %p of %" PRIu64 " bytes lies on a free frame",
            (const void *)p, size);
}

static void check_place(const struct run *r, const struct block *b,
                        size_t align, const struct placement *where,
                        bool fresh)
{
    bool vm = in_vmap(r->m, b->p);

    if (b->p == ZERO_BLOCK_PTR) {
        if (b->size)
            bug(r, "the zero block for %" PRIu64 " bytes", b->size);
        return;
    }
    if (vm) {
        uint64_t pages = vm_size(r->m, b->p);

        if (pages * r->m->frames.page_size < b->size)
            bug(r, "vmap block %p of %" PRIu64 " bytes spans %" PRIu64
                " pages", (void *)b->p, b->size, pages);
        if (b->flags & HEAP_NEEDS_CONTIG)
            bug(r, "a contiguous request of %" PRIu64 " bytes went to vmap",
                b->size);
    } else if (in_directmap(&r->m->frames, b->p)) {
        check_frames(r, b->p, b->size);
    } else {
        bug(r, "block %p of %" PRIu64 " bytes is outside the model",
            (void *)b->p, b->size);
    }
    if (align && (uintptr_t)b->p % align)
        bug(r, "block %p is not aligned to %zu", (void *)b->p, align);
    if ((where->path == PATH_VMAP) != vm &&
        (fresh || where->path != PATH_NONE))
        bug(r, "placement says %s for a block %s the vmap area",
            alloc_path_name(where->path), vm ? "in" : "outside");
}

/* ---- the events ---- */

static void do_alloc(struct run *r, struct block *b, uint64_t size,
                     size_t align, unsigned flags)
{
    struct placement where;
    size_t bad;

    b->size = size;
    b->flags = flags;
    b->p = heap_alloc(r->h, size, align, flags, &where);
    if (!b->p)
        return;
    r->live_bytes += size;
    check_place(r, b, align, &where, true);
    if ((flags & HEAP_ZERO) && b->p != ZERO_BLOCK_PTR &&
        (bad = each_part(PART_ZERO, b->p, size, size, 0)) != SIZE_MAX)
        bug(r, "zeroed block of %" PRIu64 " bytes has a byte at offset %zu",
            size, bad);
    fill(r, b);
}

static void do_free(struct run *r, struct block *b)
{
    verify(r, b, b->size, "free");
    heap_free(r->h, b->p, b->size);
    r->live_bytes -= b->size;
    b->p = NULL;
}

static void do_realloc(struct run *r, struct block *b, uint64_t size)
{
    struct placement where;
    uint64_t keep = size < b->size ? size : b->size;
    char *q;

    verify(r, b, b->size, "realloc");
    q = heap_realloc(r->h, b->p, b->size, size, b->flags, &where);
    if (!q) {
        verify(r, b, b->size, "failed realloc");
        return;
    }
    r->live_bytes += size - b->size;
    b->p = q;
    /* What survives is the old pattern over the smaller of the sizes. */
    verify(r, &(struct block){ q, b->size, b->serial, b->flags }, keep,
           "realloc copy");
    b->size = size;
    check_place(r, b, 0, &where, false);
    fill(r, b);
}

static void step(struct run *r, const struct trace_event *ev)
{
    struct block *b = &r->b[ev->slot];
    unsigned flags = (ev->flags & TRACE_CONTIG ? HEAP_NEEDS_CONTIG : 0) |
                     (ev->flags & TRACE_ZERO ? HEAP_ZERO : 0);

    switch (ev->op) {
    case TRACE_ALLOC:
        do_alloc(r, b, ev->size,
                 ev->align_log2 ? (size_t)1 << ev->align_log2 : 0, flags);
        break;
    case TRACE_REALLOC:
        if (b->p)
            do_realloc(r, b, ev->size);
        else
            do_alloc(r, b, ev->size, 0, b->flags);
        break;
    case TRACE_FREE:
        if (b->p)
            do_free(r, b);
        break;
    case TRACE_WRITE:
        if (b->p) {
            verify(r, b, b->size, "write");
            fill(r, b);
        }
        break;
    }
}

/* ---- the model's view ---- */

static void check_model(struct run *r)
{
    struct heap_stats st;
    uint64_t va = 0;
    char why[512];

    if (xen_model_check(r->m, why, sizeof why))
        bug(r, "model check: %s", why);
    heap_stats(r->h, &st);
    for (uint32_t s = 0; s < r->slots; s++)
        if (r->b[s].p && r->b[s].p != ZERO_BLOCK_PTR &&
            in_vmap(r->m, r->b[s].p))
            va += vm_size(r->m, r->b[s].p) + 1;   /* and its guard page */
    if (st.live_bytes != r->live_bytes)
        bug(r, "stats say %" PRIu64 " live bytes, the blocks hold %" PRIu64,
            st.live_bytes, r->live_bytes);
    /* Lazily freed areas keep their pages until the next purge. */
    if (r->m->cfg.flush == FLUSH_LAZY ? st.va_pages_in_use < va
                                      : st.va_pages_in_use != va)
        bug(r, "stats say %" PRIu64 " vmap pages in use, the blocks hold %"
            PRIu64, st.va_pages_in_use, va);
}

static uint32_t *census(struct run *r, size_t *n)
{
    size_t count = free_block_census(&r->m->pa, NULL, 0);
    uint32_t *c = calloc(count ? count : 1, sizeof *c);

    if (!c)
        bug(r, "out of memory");
    free_block_census(&r->m->pa, c, count);
    *n = count;
    return c;
}

/* Nothing is live: every frame is back, merged as after heap_create. */
static void check_empty(struct run *r, const uint32_t *census0, size_t n0,
                        uint64_t overhead0)
{
    struct page_alloc *pa = &r->m->pa;
    uint64_t tables = r->m->mapper.pt.live_tables;   /* Xen keeps them */
    uint32_t *now;
    size_t n;

    if (pa->frames_in_use != pa->overhead_frames + tables)
        bug(r, "everything freed, yet %" PRIu64 " frames in use beside %"
            PRIu64 " of the model's own and %" PRIu64 " page tables",
            pa->frames_in_use - pa->overhead_frames - tables,
            pa->overhead_frames, tables);
    /* The vmap bitmap may have grown, page tables stay: their frames then
     * stay taken. */
    if (pa->overhead_frames != overhead0 || tables)
        return;
    now = census(r, &n);
    for (size_t i = 0; i < n && i < n0; i++)
        if (now[i] != census0[i])
            bug(r, "free lists differ from a fresh heap's at zone %zu order "
                "%zu: %u blocks, %u at the start", i / (pa->max_order + 1),
                i % (pa->max_order + 1), now[i], census0[i]);
    free(now);
}

static void replay(const char *backend, const struct knobs *k,
                   const struct trace_event *ev, size_t n, uint32_t slots)
{
    struct run r = { .backend = backend, .slots = slots };
    char why[512];
    uint32_t *census0;
    uint64_t overhead0;
    size_t n0;

    r.h = heap_create(backend, &k->cfg, why, sizeof why);
    if (!r.h) {
        if (!k->changed)    /* the default machine must always start */
            bug(&r, "heap_create: %s", why);
        return;
    }
    r.m = r.h->xen;
    r.b = calloc(slots ? slots : 1, sizeof *r.b);
    if (!r.b)
        bug(&r, "out of memory");
    overhead0 = r.m->pa.overhead_frames;
    census0 = census(&r, &n0);
    for (r.step = 0; r.step < n; r.step++) {
        step(&r, &ev[r.step]);
        if ((r.step + 1) % CHECK_EVERY == 0)
            check_model(&r);
    }
    check_model(&r);
    for (uint32_t s = 0; s < slots; s++)
        if (r.b[s].p)
            do_free(&r, &r.b[s]);
    check_model(&r);
    check_empty(&r, census0, n0, overhead0);
    free(census0);
    free(r.b);
    heap_destroy(r.h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct trace_event ev[MAX_EVENTS];
    struct knobs k;
    uint32_t slots;
    size_t n = decode(data, size, ev, &slots);

    if (!n)
        return 0;
    read_knobs(data, size, &k);
    for (size_t i = 0; i < NR_BACKENDS; i++)
        if (!k.only || k.only == backends[i])
            replay(backends[i], &k, ev, n, slots);
    return 0;
}
