/*
 * Workload options: parsing them (sizes in bytes or pages, counts,
 * percentages, --mix), gen_set and gen_check, and the help that lists each
 * workload's knobs with their defaults.
 */
#include "workloads/gen_internal.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define GEN_DEFAULT_EVENTS   100000
#define GEN_DEFAULT_SEED     1
#define GEN_DEFAULT_PAGE     4096
#define GEN_MAX_FRACTION_DIGITS 6        /* "1.1p": digits after the point */

/* ---- options ------------------------------------------------------- */

enum gen_kind { KIND_SIZE, KIND_COUNT, KIND_PCT, KIND_ORDER, KIND_FLAG,
                KIND_MIX };

struct opt_def {
    struct gen_option pub;
    enum gen_kind kind;
    size_t offset;       /* of its field in struct gen_params */
};

#define FIELD(f) offsetof(struct gen_params, f)

static const struct opt_def opt_defs[GEN_N_OPTS] = {
    [GEN_SIZE]  = { { "size", "SZ", "request size" }, KIND_SIZE, FIELD(size) },
    [GEN_CONTIG] = { { "contig", NULL, "requests need contiguous memory" },
                     KIND_FLAG, FIELD(contig) },
    [GEN_ZERO]  = { { "zero", NULL, "requests need zeroed memory" },
                    KIND_FLAG, FIELD(zero) },
    [GEN_ORDER] = { { "order", "K", "2^K pages per request" },
                    KIND_ORDER, FIELD(order) },
    [GEN_LIVE]  = { { "live", "N", "blocks live at once" },
                    KIND_COUNT, FIELD(live) },
    [GEN_MIN]   = { { "min", "SZ", "smallest request" }, KIND_SIZE,
                    FIELD(min_size) },
    [GEN_MAX]   = { { "max", "SZ", "largest request" }, KIND_SIZE,
                    FIELD(max_size) },
    [GEN_LIFE]  = { { "life", "N", "short lifetime: freed within N "
                      "allocations" }, KIND_COUNT, FIELD(life) },
    [GEN_LONG]  = { { "long", "PCT", "share of long-lived blocks" },
                    KIND_PCT, FIELD(long_pct) },
    [GEN_LONG_LIFE] = { { "long-life", "N", "long lifetime: N/2 .. N "
                          "allocations (0: the whole trace)" },
                        KIND_COUNT, FIELD(long_life) },
    [GEN_MIX]   = { { "mix", "LIST", "class weights, e.g. "
                      "small=70,odd-contig=10,large=20" }, KIND_MIX,
                    FIELD(mix) },
    [GEN_RANGE] = { { "range", "SZ", "sizes PAGE_SIZE - SZ .. PAGE_SIZE + SZ" },
                    KIND_SIZE, FIELD(range) },
    [GEN_STEP]  = { { "step", "SZ", "sweep step" }, KIND_SIZE, FIELD(step) },
    [GEN_MEMORY] = { { "memory", "SZ", "the memory to fill (as replay "
                       "--memory)" }, KIND_SIZE, FIELD(memory) },
    [GEN_FILL]  = { { "fill", "PCT", "fill memory to this level" },
                    KIND_PCT, FIELD(fill_pct) },
    [GEN_FREE]  = { { "free", "PCT", "share of live blocks freed per round" },
                    KIND_PCT, FIELD(free_pct) },
    [GEN_MAX_ORDER] = { { "max-order", "K", "largest probe order" },
                        KIND_ORDER, FIELD(max_order) },
    [GEN_JUNK]  = { { "junk", "SZ", "bytes of one-page holes made" },
                    KIND_SIZE, FIELD(junk) },
    [GEN_PAGES] = { { "pages", "N", "pages per request" }, KIND_COUNT,
                    FIELD(pages) },
    [GEN_ALIGN] = { { "align", "SZ", "alignment" }, KIND_SIZE, FIELD(align) },
    [GEN_MAX_ALIGN] = { { "max-align", "SZ", "largest alignment" },
                        KIND_SIZE, FIELD(max_align) },
};

static const char *const class_names[GEN_CLASSES] = {
    [GEN_CLASS_SMALL] = "small", [GEN_CLASS_ODD] = "odd-contig",
    [GEN_CLASS_LARGE] = "large",
};

/*
 * A size: digits, an optional fraction, and a unit: K, M, G, T (powers of
 * 1024, optionally followed by B or iB) or p, pages of PAGE. Rounds down.
 */
static int parse_amount(const char *s, uint64_t page, uint64_t *out)
{
    uint64_t whole = 0, frac = 0, scale = 1, unit = 1, v;
    const char *q = s;

    if (!isdigit((unsigned char)*q))
        return -1;
    for (; isdigit((unsigned char)*q); q++)
        if (__builtin_mul_overflow(whole, 10, &whole) ||
            __builtin_add_overflow(whole, (uint64_t)(*q - '0'), &whole))
            return -1;
    if (*q == '.') {
        for (q++; isdigit((unsigned char)*q); q++) {
            if (scale >= 1000000)
                return -1;
            frac = frac * 10 + (uint64_t)(*q - '0');
            scale *= 10;
        }
        if (scale == 1)
            return -1;
    }
    if (*q == 'p' || *q == 'P') {
        unit = page;
        q++;
    } else if (*q) {
        const char *u = strchr("KMGT", toupper((unsigned char)*q));

        if (!u)
            return -1;
        unit = 1ULL << (10 * (u - "KMGT" + 1));
        q++;
        if (q[0] == 'i' && q[1] == 'B')
            q += 2;
        else if (*q == 'B')
            q++;
    }
    if (*q || __builtin_mul_overflow(whole, unit, &v) ||
        __builtin_add_overflow(v, (uint64_t)((unsigned __int128)frac * unit /
                                             scale), &v))
        return -1;
    *out = v;
    return 0;
}

static int parse_count(const char *s, uint64_t *out)
{
    char *end;

    if (!isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    *out = strtoull(s, &end, 10);
    return errno || *end ? -1 : 0;
}

static int parse_mix(const char *s, unsigned mix[GEN_CLASSES])
{
    char buf[256], *save = NULL, *tok;
    unsigned total = 0;

    if (strlen(s) >= sizeof(buf))
        return -1;
    strcpy(buf, s);
    memset(mix, 0, GEN_CLASSES * sizeof(mix[0]));
    for (tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        uint64_t w;
        int c;

        if (!eq)
            return -1;
        *eq = 0;
        for (c = 0; c < GEN_CLASSES && strcmp(class_names[c], tok); c++)
            ;
        if (c == GEN_CLASSES || parse_count(eq + 1, &w) || w > 1000000)
            return -1;
        mix[c] = (unsigned)w;
        total += (unsigned)w;
    }
    return total ? 0 : -1;
}

static const char *const kind_want[] = {
    [KIND_SIZE] = "a size such as 64, 4K, 1M or 2.5p (pages)",
    [KIND_COUNT] = "a count", [KIND_PCT] = "a percentage 0 .. 100",
    [KIND_ORDER] = "an order 0 .. 63", [KIND_FLAG] = "no value",
    [KIND_MIX] = "class=weight,... over small, odd-contig, large",
};

/* Parses TEXT as option O into P. */
int parse_opt(enum gen_opt o, const char *text, struct gen_params *p,
              char *why, size_t len)
{
    const struct opt_def *d = &opt_defs[o];
    void *field = (char *)p + d->offset;
    uint64_t v = 0;
    int bad = 0;

    switch (d->kind) {
    case KIND_SIZE:
        bad = parse_amount(text, p->page_size, &v);
        break;
    case KIND_COUNT:
        bad = parse_count(text, &v);
        break;
    case KIND_PCT:
        bad = parse_count(text, &v) || v > 100;
        break;
    case KIND_ORDER:
        bad = parse_count(text, &v) || v > 63;
        break;
    case KIND_FLAG:
        *(bool *)field = text && strcmp(text, "off") != 0;
        return 0;
    case KIND_MIX:
        bad = parse_mix(text, field);
        break;
    }
    if (bad) {
        snprintf(why, len, "bad value '%s' for --%s: want %s", text,
                 d->pub.name, kind_want[d->kind]);
        return -1;
    }
    if (d->kind != KIND_MIX)
        *(uint64_t *)field = v;
    return 0;
}

const struct gen_option *gen_options(size_t *count)
{
    static struct gen_option list[GEN_N_OPTS];

    for (size_t i = 0; i < GEN_N_OPTS; i++)
        list[i] = opt_defs[i].pub;
    *count = GEN_N_OPTS;
    return list;
}

int gen_option_find(const char *name)
{
    for (int i = 0; i < GEN_N_OPTS; i++)
        if (strcmp(opt_defs[i].pub.name, name) == 0)
            return i;
    return -1;
}

int gen_set(struct gen_params *p, const char *name, const char *value,
            char *why, size_t len)
{
    int o = gen_option_find(name);

    if (o < 0) {
        snprintf(why, len, "unknown workload option '--%s'", name);
        return -1;
    }
    if (opt_defs[o].kind == KIND_FLAG && !value)
        value = "on";
    if (!value) {
        snprintf(why, len, "option '--%s' needs a value", name);
        return -1;
    }
    p->given |= GEN_OPT(o);
    p->text[o] = value;
    return 0;
}

void gen_params_defaults(struct gen_params *p)
{
    memset(p, 0, sizeof(*p));
    p->events = GEN_DEFAULT_EVENTS;
    p->seed = GEN_DEFAULT_SEED;
    p->page_size = GEN_DEFAULT_PAGE;
    p->threads = 1;
}

const struct gen_knob *knob_of(const struct gen_knob *k,
                               enum gen_opt o)
{
    for (; k->def; k++)
        if (k->opt == o)
            return k;
    return NULL;
}

static int fail(char *why, size_t len, const char *msg)
{
    snprintf(why, len, "%s", msg);
    return -1;
}

/* mixed: each class takes the default range of the workload it names. */
/* Parses the given options, then the defaults of the rest of W's knobs. */
static int resolve(const struct gen_workload *w, struct gen_params *p,
                   char *why, size_t len)
{
    for (int o = 0; o < GEN_N_OPTS; o++)
        if ((p->given & GEN_OPT(o)) && !knob_of(w->knobs, (enum gen_opt)o)) {
            snprintf(why, len, "--%s does not apply to workload '%s' "
                     "(see 'xheap gen %s --help')", opt_defs[o].pub.name,
                     w->name, w->name);
            return -1;
        }
    for (const struct gen_knob *k = w->knobs; k->def; k++) {
        bool given = p->given & GEN_OPT(k->opt);
        const char *text = given ? p->text[k->opt] : k->def;

        if (given && !text)
            continue;   /* the caller set the field itself */
        if (parse_opt(k->opt, text, p, why, len) != 0)
            return -1;
    }
    return 0;
}

/* The checks that several workloads share, by the knobs they have. */
static int check_common(const struct gen_workload *w,
                        const struct gen_params *p, char *why, size_t len)
{
    const struct gen_knob *k = w->knobs;

    if (p->threads < 1 || p->threads > GEN_MAX_THREADS)
        return fail(why, len, "--threads must be 1 .. 1024");
    if (p->cross_free > 100)
        return fail(why, len, "--cross-free must be 0 .. 100");
    if (p->cross_free && p->threads < 2)
        return fail(why, len, "--cross-free needs --threads 2 or more");
    if (knob_of(k, GEN_SIZE) && p->size > TRACE_MAX_SIZE)
        return fail(why, len, "--size is larger than the trace format's 2^40");
    /* A trace may hold size 0 (recorded programs do), but pairs of it time
     * no allocator: Xen's xmalloc(0) returns ZERO_BLOCK_PTR at once. */
    if (knob_of(k, GEN_SIZE) && p->size == 0)
        return fail(why, len, "--size 0 allocates nothing (xmalloc(0) "
                    "returns ZERO_BLOCK_PTR): nothing to measure; give "
                    "1 or more");
    if (knob_of(k, GEN_ORDER) &&
        p->order + ilog2(p->page_size) > ilog2(TRACE_MAX_SIZE))
        return fail(why, len, "--order makes requests larger than 2^40 bytes");
    if (knob_of(k, GEN_LIVE) && (p->live < 1 || p->live > GEN_MAX_LIVE))
        return fail(why, len, "--live must be 1 .. 16777216");
    if (knob_of(k, GEN_MIN) &&
        (p->min_size < 1 || p->min_size > p->max_size ||
         p->max_size > TRACE_MAX_SIZE))
        return fail(why, len, "need 1 <= --min <= --max <= 2^40");
    if (knob_of(k, GEN_LIFE) && p->life < 1)
        return fail(why, len, "--life must be at least 1");
    if (knob_of(k, GEN_PAGES) &&
        (p->pages < 1 || p->pages > TRACE_MAX_SIZE / p->page_size))
        return fail(why, len, "--pages must be 1 .. 2^40 / PAGE_SIZE");
    return 0;
}

void gen_note(struct gen_params *p, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(p->note, sizeof p->note, fmt, ap);
    va_end(ap);
}

/* BYTES in the largest unit that divides it: 1G, 256K, 12345. */
const char *gen_size_text(uint64_t bytes, char buf[32])
{
    static const char units[] = "KMGT";
    int u = -1;

    while (u < 3 && bytes && bytes % 1024 == 0) {
        bytes /= 1024;
        u++;
    }
    snprintf(buf, 32, "%" PRIu64 "%.*s", bytes, u >= 0, u >= 0 ? &units[u]
                                                                : "");
    return buf;
}

int gen_check(const struct gen_workload *w, struct gen_params *p,
              char *why, size_t len)
{
    p->note[0] = 0;
    if (resolve(w, p, why, len) != 0 || check_common(w, p, why, len) != 0)
        return -1;
    if (w->fit)
        w->fit(p);
    if (knob_of(w->knobs, GEN_MIX)) {
        struct mix_state m;

        if (mix_ranges(p, &m, why, len) != 0)
            return -1;
    }
    return w->check ? w->check(p, why, len) : 0;
}

static void print_default(const struct gen_knob *k, uint64_t page_size,
                          FILE *f)
{
    struct gen_params q;
    char why[128];
    uint64_t v;

    fprintf(f, "%s", k->def);
    if (!strpbrk(k->def, "pP"))
        return;
    gen_params_defaults(&q);
    q.page_size = page_size;
    if (parse_opt(k->opt, k->def, &q, why, sizeof(why)) != 0)
        return;
    memcpy(&v, (char *)&q + opt_defs[k->opt].offset, sizeof(v));
    fprintf(f, " = %" PRIu64 " bytes with %" PRIu64 "K pages", v,
            page_size >> 10);
}

void gen_workload_help(const struct gen_workload *w, uint64_t page_size,
                       FILE *f)
{
    fprintf(f, "usage: xheap gen %s [common options] [options below]\n\n"
            "%s: %s.\nServes %s.\n\nOptions:\n",
            w->name, w->name, w->summary, w->question);
    for (const struct gen_knob *k = w->knobs; k->def; k++) {
        const struct opt_def *d = &opt_defs[k->opt];
        char left[32];

        snprintf(left, sizeof(left), "--%s%s%s", d->pub.name,
                 d->pub.arg ? " " : "", d->pub.arg ? d->pub.arg : "");
        fprintf(f, "  %-15s %s\n  %-15s default ", left, k->what, "");
        print_default(k, page_size, f);
        fputc('\n', f);
    }
    fputs("\nSizes take K, M, G or p (pages of --page-size): 1.1p, 64K.\n"
          "Common options: --events N, --seed S, --page-size SZ, --threads N,\n"
          "--cross-free PCT, -o FILE (see 'xheap gen --help').\n", f);
}
