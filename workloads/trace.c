/*
 * The trace reader and writer (docs/trace-format.md).
 *
 * Files are read in TRACE_READ_CHUNK pieces into one buffer; a line that
 * straddles two pieces is moved to the front before the next read, which
 * costs at most one line's bytes per chunk. Memory traces are parsed in
 * place. Parsing is by hand, one pass over each line, because a replayer
 * reads tens of millions of events and sscanf would dominate its start-up.
 *
 * Liveness: an open-addressing table (linear probing, backward-shift
 * deletion, so no tombstones pile up) maps each live id to its slot; freed
 * slots go on a stack and are handed out again last-in first-out.
 */
#include "workloads/trace.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * A line may be TRACE_MAX_LINE bytes plus "\r\n"; the buffer keeps room for
 * one whole chunk after such an unfinished line.
 */
#define LINE_ROOM       (TRACE_MAX_LINE + 2)
#define BUF_SIZE        (TRACE_READ_CHUNK + LINE_ROOM)

#define QUOTE_MAX       60          /* visible chars of a line in a message */
#define QUOTE_BUF       (QUOTE_MAX + 8)     /* and "...", and the NUL */
#define NAME_MAX_SHOWN  200         /* of the file name, in a message */

#define LIVE_MIN_BITS   10          /* the table starts with 1024 cells */
#define SLOTS_MIN       1024        /* slot arrays, first allocation */
#define MAX_SLOTS       (UINT32_MAX - 1)    /* cell.slot1 holds slot + 1 */
#define GOLDEN64        0x9e3779b97f4a7c15ull   /* Fibonacci hashing */

#define MAX_LOG2_ALIGN  40          /* align= at most 2^40, like sizes */

/* Options, as bits of a "seen" mask to catch repeats. */
enum {
    OPT_ALIGN  = 1 << 0,
    OPT_CONTIG = 1 << 1,
    OPT_ZERO   = 1 << 2,
    OPT_THREAD = 1 << 3,
    OPT_TOUCH  = 1 << 4,
};

enum { NUM_OK, NUM_BAD, NUM_BIG };

struct cell {
    uint64_t id;
    uint32_t slot1;     /* slot + 1; 0 marks an empty cell */
};

struct trace_reader {
    const char *buf;    /* own, or the caller's memory */
    char *own;          /* the chunk buffer of a file reader */
    size_t pos;         /* start of the next line */
    size_t scan;        /* bytes before this hold no newline after pos */
    size_t end;         /* bytes in buf */
    int fd;             /* -1 for a memory reader */
    bool close_fd;
    bool eof;
    bool failed;        /* errors are sticky: every later call repeats it */
    bool header_seen;

    uint64_t line;
    uint64_t events;
    const char *raw;    /* the current line as read, for NUL checks */
    size_t raw_len;
    const char *text;   /* and without its blanks and "\r", for messages */
    size_t text_len;

    struct cell *cells;
    unsigned cell_shift;  /* 64 - log2(number of cells) */
    size_t cell_mask;
    size_t nlive;

    uint64_t *slot_id;
    uint8_t *slot_live;
    uint32_t *free_slot;
    uint32_t nslots, slot_cap, nfree;

    char *name;
    struct trace_error error;
};

static inline bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/*
 * Copies N bytes of S into OUT as printable ASCII and tabs (other bytes as
 * \xNN), cut short with "..." so that a message stays one readable line.
 */
static const char *quote(char out[QUOTE_BUF], const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        /* A tab stays a tab: it keeps the message on one line. */
        size_t w = (c >= 0x20 && c < 0x7f) || c == '\t' ? 1 : 4;
        if (o + w > QUOTE_MAX) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        if (w == 1) {
            out[o++] = c;
        } else {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = 0;
    return out;
}

static __attribute__((format(printf, 2, 3)))
void open_error(struct trace_error *err, const char *fmt, ...)
{
    va_list ap;

    if (!err)
        return;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
}

/* Records "name:line: what" as the reader's sticky error; returns -1. */
static __attribute__((format(printf, 2, 3)))
int fail(struct trace_reader *r, const char *fmt, ...)
{
    char *m = r->error.msg;
    va_list ap;
    /* The prefix takes at most NAME_MAX_SHOWN + 24 bytes of the 512. */
    int n = snprintf(m, sizeof r->error.msg, "%.*s:%llu: ", NAME_MAX_SHOWN,
                     r->name, (unsigned long long)r->line);

    if (n < 0)
        n = 0;
    va_start(ap, fmt);
    vsnprintf(m + n, sizeof r->error.msg - (size_t)n, fmt, ap);
    va_end(ap);
    r->failed = true;
    return -1;
}

static bool has_nul(const struct trace_reader *r)
{
    return r->raw_len && memchr(r->raw, 0, r->raw_len);
}

/*
 * Checked before anything else on a line: naming the NUL is the useful
 * report for a binary file, and comments are not otherwise looked into.
 */
static int fail_nul(struct trace_reader *r)
{
    const char *z = memchr(r->raw, 0, r->raw_len);

    return fail(r, "NUL byte at column %zu", (size_t)(z - r->raw) + 1);
}

/* Liveness --------------------------------------------------------------- */

static inline size_t home(const struct trace_reader *r, uint64_t id)
{
    return (size_t)((id * GOLDEN64) >> r->cell_shift);
}

/* The cell holding ID, or the empty cell where it would go. */
static size_t find(const struct trace_reader *r, uint64_t id)
{
    size_t i = home(r, id);

    while (r->cells[i].slot1 && r->cells[i].id != id)
        i = (i + 1) & r->cell_mask;
    return i;
}

static bool cells_init(struct trace_reader *r, unsigned bits)
{
    r->cells = calloc((size_t)1 << bits, sizeof *r->cells);
    if (!r->cells)
        return false;
    r->cell_shift = 64 - bits;
    r->cell_mask = ((size_t)1 << bits) - 1;
    return true;
}

/* Doubles the table; keeps it at most half full so probes stay short. */
static bool cells_grow(struct trace_reader *r)
{
    struct cell *old = r->cells;
    size_t n = r->cell_mask + 1;

    if (!cells_init(r, 64 - r->cell_shift + 1)) {
        r->cells = old;
        return false;
    }
    for (size_t i = 0; i < n; i++)
        if (old[i].slot1)
            r->cells[find(r, old[i].id)] = old[i];
    free(old);
    return true;
}

/*
 * Empties cell I and pulls later cells of the same probe run back, so that
 * a lookup never stops early at the hole.
 */
static void cell_remove(struct trace_reader *r, size_t i)
{
    size_t j = i;

    for (;;) {
        j = (j + 1) & r->cell_mask;
        if (!r->cells[j].slot1)
            break;
        size_t k = home(r, r->cells[j].id);
        bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
        if (!stays) {
            r->cells[i] = r->cells[j];
            i = j;
        }
    }
    r->cells[i].slot1 = 0;
}

static bool slots_grow(struct trace_reader *r)
{
    uint32_t cap = r->slot_cap ? r->slot_cap : SLOTS_MIN / 2;
    void *p;

    cap = cap > MAX_SLOTS / 2 ? MAX_SLOTS : cap * 2;
    if (!(p = realloc(r->slot_id, cap * sizeof *r->slot_id)))
        return false;
    r->slot_id = p;
    if (!(p = realloc(r->slot_live, cap * sizeof *r->slot_live)))
        return false;
    r->slot_live = p;
    if (!(p = realloc(r->free_slot, cap * sizeof *r->free_slot)))
        return false;
    r->free_slot = p;
    r->slot_cap = cap;
    return true;
}

static int oom(struct trace_reader *r)
{
    return fail(r, "out of memory with %zu live ids", r->nlive);
}

static int do_alloc(struct trace_reader *r, struct trace_event *ev)
{
    char q[QUOTE_BUF];
    uint32_t slot;
    size_t c;

    if ((r->nlive + 1) * 2 > r->cell_mask + 1 && !cells_grow(r))
        return oom(r);
    c = find(r, ev->id);
    if (r->cells[c].slot1)
        return fail(r, "'%s': id %llu is already live",
                    quote(q, r->text, r->text_len),
                    (unsigned long long)ev->id);
    if (r->nfree) {
        slot = r->free_slot[--r->nfree];
    } else {
        if (r->nslots == MAX_SLOTS)
            return fail(r, "more than %u live ids", MAX_SLOTS);
        if (r->nslots == r->slot_cap && !slots_grow(r))
            return oom(r);
        slot = r->nslots++;
    }
    r->cells[c].id = ev->id;
    r->cells[c].slot1 = slot + 1;
    r->slot_id[slot] = ev->id;
    r->slot_live[slot] = 1;
    r->nlive++;
    ev->slot = slot;
    return 0;
}

static int do_use(struct trace_reader *r, struct trace_event *ev)
{
    char q[QUOTE_BUF];
    size_t c = find(r, ev->id);

    if (!r->cells[c].slot1)
        return fail(r, "'%s': id %llu is not live",
                    quote(q, r->text, r->text_len),
                    (unsigned long long)ev->id);
    ev->slot = r->cells[c].slot1 - 1;
    if (ev->op == TRACE_FREE) {
        cell_remove(r, c);
        r->slot_live[ev->slot] = 0;
        r->free_slot[r->nfree++] = ev->slot;
        r->nlive--;
    }
    return 0;
}

/* Parsing ---------------------------------------------------------------- */

/* The next blank-separated token from *P on; its length, 0 at the end. */
static inline size_t token(const char **p, const char *e, const char **tok)
{
    const char *s = *p, *t;

    while (s < e && is_blank(*s))
        s++;
    for (t = s; t < e && !is_blank(*t); t++)
        ;
    *tok = s;
    *p = t;
    return (size_t)(t - s);
}

/* An unsigned decimal; leading zeros are fine, signs are not. */
static inline int number(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    bool big = false;

    if (n == 0)
        return NUM_BAD;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned char)s[i] - '0';
        if (d > 9)
            return NUM_BAD;
        /* 19 digits always fit in 64 bits: check only longer numbers. */
        if (i < 19)
            v = v * 10 + d;
        else if (__builtin_mul_overflow(v, 10, &v) ||
                 __builtin_add_overflow(v, d, &v))
            big = true;
    }
    *out = v;
    return big ? NUM_BIG : NUM_OK;
}

static int parse_size(struct trace_reader *r, const char *tok, size_t n,
                      uint64_t *size)
{
    char q[QUOTE_BUF];
    int st;

    if (n == 0)
        return fail(r, "missing size");
    st = number(tok, n, size);
    if (st == NUM_BAD)
        return fail(r, "malformed number '%s'", quote(q, tok, n));
    if (st == NUM_BIG || *size > TRACE_MAX_SIZE)
        return fail(r, "size %s is larger than 2^40", quote(q, tok, n));
    return 0;
}

static int parse_thread(struct trace_reader *r, struct trace_event *ev,
                        const char *tok, size_t n)
{
    char q[QUOTE_BUF];
    uint64_t t;
    int st = number(tok + 2, n - 2, &t);

    if (st == NUM_BAD)
        return fail(r, "malformed number in option '%s'", quote(q, tok, n));
    if (st == NUM_BIG || t >= TRACE_MAX_THREADS)
        return fail(r, "thread %s out of range 0..%d",
                    quote(q, tok + 2, n - 2), TRACE_MAX_THREADS - 1);
    ev->thread = (uint16_t)t;
    return 0;
}

static int parse_align(struct trace_reader *r, struct trace_event *ev,
                       const char *tok, size_t n)
{
    char q[QUOTE_BUF];
    uint64_t a;
    int st = number(tok + 6, n - 6, &a);

    if (st == NUM_BAD)
        return fail(r, "malformed number in option '%s'", quote(q, tok, n));
    if (st == NUM_BIG || a > (1ull << MAX_LOG2_ALIGN))
        return fail(r, "%s is larger than 2^40", quote(q, tok, n));
    if (a == 0 || (a & (a - 1)))
        return fail(r, "%s is not a power of two", quote(q, tok, n));
    ev->align_log2 = (uint8_t)__builtin_ctzll(a);
    return 0;
}

static int parse_touch(struct trace_reader *r, struct trace_event *ev,
                       const char *tok, size_t n)
{
    char q[QUOTE_BUF];
    const char *v = tok + 6;
    size_t vn = n - 6;

    if (vn == 4 && !memcmp(v, "none", 4))
        return 0;
    if (vn == 5 && !memcmp(v, "first", 5))
        ev->flags |= TRACE_TOUCH_FIRST;
    else if (vn == 3 && !memcmp(v, "all", 3))
        ev->flags |= TRACE_TOUCH_ALL;
    else
        return fail(r, "unknown touch mode in '%s' (none, first or all)",
                    quote(q, tok, n));
    return 0;
}

static inline bool starts(const char *tok, size_t n, const char *p, size_t pn)
{
    return n >= pn && !memcmp(tok, p, pn);
}

/* Which option TOK is, or 0. */
static int option_kind(const char *tok, size_t n)
{
    if (starts(tok, n, "t=", 2))
        return OPT_THREAD;
    if (starts(tok, n, "align=", 6))
        return OPT_ALIGN;
    if (starts(tok, n, "touch=", 6))
        return OPT_TOUCH;
    if (n == 6 && !memcmp(tok, "contig", 6))
        return OPT_CONTIG;
    if (n == 4 && !memcmp(tok, "zero", 4))
        return OPT_ZERO;
    return 0;
}

static int parse_option(struct trace_reader *r, struct trace_event *ev,
                        const char *tok, size_t n, unsigned *seen)
{
    char q[QUOTE_BUF];
    int k = option_kind(tok, n);

    if (!k) {
        if (tok[0] == '#')
            return fail(r, "unexpected '%s' (comments must be on a line of "
                        "their own)", quote(q, tok, n));
        return fail(r, "unknown option '%s'", quote(q, tok, n));
    }
    if (k != OPT_THREAD && ev->op != TRACE_ALLOC)
        return fail(r, "option '%s' is only allowed on 'a'", quote(q, tok, n));
    if (*seen & k)
        return fail(r, "repeated option '%s'", quote(q, tok, n));
    *seen |= k;
    switch (k) {
    case OPT_THREAD: return parse_thread(r, ev, tok, n);
    case OPT_ALIGN:  return parse_align(r, ev, tok, n);
    case OPT_TOUCH:  return parse_touch(r, ev, tok, n);
    case OPT_CONTIG: ev->flags |= TRACE_CONTIG; return 0;
    default:         ev->flags |= TRACE_ZERO; return 0;
    }
}

/* Parses the event in [P, E), a line without its surrounding blanks. */
static int parse_event(struct trace_reader *r, const char *p, const char *e,
                       struct trace_event *ev)
{
    char q[QUOTE_BUF];
    const char *tok;
    unsigned seen = 0;
    size_t n = token(&p, e, &tok);
    int st;

    if (n != 1 || (*tok != 'a' && *tok != 'f' && *tok != 'r' && *tok != 'w'))
        return fail(r, "unknown op '%s'", quote(q, tok, n));
    *ev = (struct trace_event){ .op = (uint8_t)*tok };

    n = token(&p, e, &tok);
    if (n == 0)
        return fail(r, "missing id");
    st = number(tok, n, &ev->id);
    if (st == NUM_BAD)
        return fail(r, "malformed number '%s'", quote(q, tok, n));
    if (st == NUM_BIG)
        return fail(r, "id %s is larger than 2^64-1", quote(q, tok, n));

    if (ev->op == TRACE_ALLOC || ev->op == TRACE_REALLOC) {
        n = token(&p, e, &tok);
        if (parse_size(r, tok, n, &ev->size) < 0)
            return -1;
    }
    while ((n = token(&p, e, &tok)))
        if (parse_option(r, ev, tok, n, &seen) < 0)
            return -1;
    return 0;
}

/* Reading lines ---------------------------------------------------------- */

/* Keeps the unfinished line, then reads the next chunk after it. */
static int refill(struct trace_reader *r)
{
    size_t keep = r->end - r->pos;
    ssize_t got;

    if (r->pos) {
        memmove(r->own, r->own + r->pos, keep);
        r->scan -= r->pos;
        r->end = keep;
        r->pos = 0;
    }
    for (;;) {
        got = read(r->fd, r->own + r->end, TRACE_READ_CHUNK);
        if (got >= 0)
            break;
        if (errno != EINTR) {
            r->line++;      /* the line it was reading */
            return fail(r, "read error: %s", strerror(errno));
        }
    }
    r->end += (size_t)got;
    r->eof = got == 0;
    return 0;
}

/*
 * The next raw line, without its newline: 1 and [r->raw, +r->raw_len),
 * 0 at the end of the input, -1 on error. *LAST is set when the line had
 * no newline because the input ended.
 */
static int next_line(struct trace_reader *r, bool *last)
{
    for (;;) {
        const char *nl = r->end > r->scan ?
            memchr(r->buf + r->scan, '\n', r->end - r->scan) : NULL;
        if (nl) {
            r->raw = r->buf + r->pos;
            r->raw_len = (size_t)(nl - r->raw);
            r->pos = r->scan = (size_t)(nl - r->buf) + 1;
            r->line++;
            return 1;
        }
        r->scan = r->end;
        if (r->end - r->pos > TRACE_MAX_LINE + 1) {
            r->line++;
            return fail(r, "line longer than %d bytes", TRACE_MAX_LINE);
        }
        if (r->eof) {
            if (r->pos == r->end)
                return 0;
            r->raw = r->buf + r->pos;
            r->raw_len = r->end - r->pos;
            r->pos = r->end;
            r->line++;
            *last = true;
            return 1;
        }
        if (refill(r) < 0)
            return -1;
    }
}

static int check_header(struct trace_reader *r, const char *s, size_t n)
{
    static const size_t hn = sizeof TRACE_HEADER - 1;
    static const size_t magic = sizeof "xheap-trace" - 1;
    char q[QUOTE_BUF];

    r->header_seen = true;
    if (n == hn && !memcmp(s, TRACE_HEADER, hn))
        return 0;
    if (n > magic && !memcmp(s, TRACE_HEADER, magic) && is_blank(s[magic]))
        return fail(r, "unsupported header '%s', expected '%s'",
                    quote(q, s, n), TRACE_HEADER);
    return fail(r, "missing header '%s' (line 1 is '%s')",
                TRACE_HEADER, quote(q, s, n));
}

/* One line: 1 with an event in *EV, 0 for a line without one, -1 on error. */
static int do_line(struct trace_reader *r, bool last, struct trace_event *ev)
{
    const char *s = r->raw, *e = s + r->raw_len;

    if (e > s && e[-1] == '\r')
        e--;
    if (e - s > TRACE_MAX_LINE)
        return fail(r, "line longer than %d bytes", TRACE_MAX_LINE);
    if (has_nul(r))
        return fail_nul(r);
    if (last)
        return fail(r, "truncated last line (no newline at end of file)");
    if (!r->header_seen)
        return check_header(r, s, (size_t)(e - s));

    while (s < e && is_blank(*s))
        s++;
    while (e > s && is_blank(e[-1]))
        e--;
    if (s == e || *s == '#')
        return 0;
    r->text = s;
    r->text_len = (size_t)(e - s);
    if (parse_event(r, s, e, ev) < 0)
        return -1;
    if ((ev->op == TRACE_ALLOC ? do_alloc(r, ev) : do_use(r, ev)) < 0)
        return -1;
    r->events++;
    return 1;
}

int trace_next(struct trace_reader *r, struct trace_event *ev,
               struct trace_error *err)
{
    for (;;) {
        bool last = false;
        int got = r->failed ? -1 : next_line(r, &last);

        if (got == 0 && !r->header_seen) {
            r->line = 1;
            got = fail(r, "missing header '%s' (the file is empty)",
                       TRACE_HEADER);
        }
        if (got > 0 && (got = do_line(r, last, ev)) == 0)
            continue;
        if (got < 0 && err)
            *err = r->error;
        return got;
    }
}

/* Opening and closing ---------------------------------------------------- */

static struct trace_reader *reader_new(const char *name,
                                       struct trace_error *err)
{
    struct trace_reader *r = calloc(1, sizeof *r);

    if (!r || !(r->name = strdup(name)) || !cells_init(r, LIVE_MIN_BITS) ||
        !slots_grow(r)) {
        open_error(err, "%.*s: out of memory", NAME_MAX_SHOWN, name);
        trace_close(r);
        return NULL;
    }
    r->fd = -1;
    return r;
}

struct trace_reader *trace_open(const char *path, struct trace_error *err)
{
    bool is_stdin = !strcmp(path, "-");
    struct trace_reader *r = reader_new(is_stdin ? "<stdin>" : path, err);

    if (!r)
        return NULL;
    if (!(r->own = malloc(BUF_SIZE))) {
        open_error(err, "%.*s: out of memory", NAME_MAX_SHOWN, r->name);
        trace_close(r);
        return NULL;
    }
    r->buf = r->own;
    if (is_stdin) {
        r->fd = 0;
        return r;
    }
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0) {
        open_error(err, "%.*s: cannot open: %s", NAME_MAX_SHOWN, path,
                   strerror(errno));
        trace_close(r);
        return NULL;
    }
    r->close_fd = true;
    return r;
}

struct trace_reader *trace_open_mem(const char *name, const char *buf,
                                    size_t len, struct trace_error *err)
{
    struct trace_reader *r = reader_new(name, err);

    if (!r)
        return NULL;
    r->buf = buf;
    r->end = buf ? len : 0;
    r->eof = true;
    return r;
}

void trace_close(struct trace_reader *r)
{
    if (!r)
        return;
    if (r->close_fd)
        close(r->fd);
    free(r->own);
    free(r->cells);
    free(r->slot_id);
    free(r->slot_live);
    free(r->free_slot);
    free(r->name);
    free(r);
}

/* Queries ---------------------------------------------------------------- */

uint32_t trace_slots(const struct trace_reader *r)
{
    return r->nslots;
}

size_t trace_live_ids(const struct trace_reader *r, uint64_t *ids, size_t n)
{
    size_t k = 0;

    for (uint32_t s = 0; s < r->nslots && k < n; s++)
        if (r->slot_live[s])
            ids[k++] = r->slot_id[s];
    return k;
}

size_t trace_live_count(const struct trace_reader *r)
{
    return r->nlive;
}

uint64_t trace_events_read(const struct trace_reader *r)
{
    return r->events;
}

uint64_t trace_line(const struct trace_reader *r)
{
    return r->line;
}

/* Writing ---------------------------------------------------------------- */

static char *put_u64(char *p, uint64_t v)
{
    char tmp[20];
    int n = 0;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

static char *put_str(char *p, const char *s)
{
    size_t n = strlen(s);

    memcpy(p, s, n);
    return p + n;
}

void trace_write_header(FILE *out)
{
    fputs(TRACE_HEADER "\n", out);
}

/*
 * Canonical form: options in the order align, contig, zero, touch, t, and
 * only where they differ from the defaults. Fields the op does not carry
 * are left out, so that the reader accepts what is written.
 */
void trace_write_event(FILE *out, const struct trace_event *ev)
{
    char line[160], *p = line;

    *p++ = (char)ev->op;
    *p++ = ' ';
    p = put_u64(p, ev->id);
    if (ev->op == TRACE_ALLOC || ev->op == TRACE_REALLOC) {
        *p++ = ' ';
        p = put_u64(p, ev->size);
    }
    if (ev->op == TRACE_ALLOC) {
        if (ev->align_log2 && ev->align_log2 < 64)
            p = put_u64(put_str(p, " align="), 1ull << ev->align_log2);
        if (ev->flags & TRACE_CONTIG)
            p = put_str(p, " contig");
        if (ev->flags & TRACE_ZERO)
            p = put_str(p, " zero");
        if (ev->flags & TRACE_TOUCH_ALL)
            p = put_str(p, " touch=all");
        else if (ev->flags & TRACE_TOUCH_FIRST)
            p = put_str(p, " touch=first");
    }
    if (ev->thread)
        p = put_u64(put_str(p, " t="), ev->thread);
    *p++ = '\n';
    fwrite(line, 1, (size_t)(p - line), out);
}
