/*
 * Reading one value of bench.toml, checked where it is read so that the
 * message can name its line: "FILE:LINE: what is wrong".
 */
#include "drivers/suite/config_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/measure/args.h"
#include "drivers/measure/counters.h"

/* Characters a terminal shows as nothing: byte order mark, zero widths,
 * line and paragraph separators. */
static bool invisible(uint32_t cp)
{
    return cp == 0xfeff || (cp >= 0x200b && cp <= 0x200f) ||
           cp == 0x2028 || cp == 0x2029 || cp == 0x2060;
}

/* MSG as one line a reader can see: control characters as \xNN and
 * invisible ones as \uXXXX (the file's text, quoted in messages, is valid
 * UTF-8: the TOML reader refuses anything else). */
static void printable(char *out, size_t len, const char *msg)
{
    size_t at = 0;

    for (const unsigned char *p = (const unsigned char *)msg;
         *p && at + 7 < len; p++) {
        uint32_t cp = 0;

        if ((p[0] & 0xf0) == 0xe0 && p[1] && p[2])   /* 3 bytes: U+0800.. */
            cp = (uint32_t)(p[0] & 0x0f) << 12 |
                 (uint32_t)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
        if (*p < 0x20 || *p == 0x7f) {
            at += (size_t)snprintf(out + at, len - at, "\\x%02x", *p);
        } else if (invisible(cp)) {
            at += (size_t)snprintf(out + at, len - at, "\\u%04X", cp);
            p += 2;
        } else {
            out[at++] = (char)*p;
        }
    }
    out[at] = '\0';
}

__attribute__((format(printf, 3, 4)))
int fail(struct loader *L, unsigned line, const char *fmt, ...)
{
    char msg[WHY_TEMP], shown[WHY_TEMP];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    printable(shown, sizeof shown, msg);
    snprintf(L->why, L->len, "%s:%u: %s", L->file, line, shown);
    return -1;
}

static unsigned edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned row[MAX_NAME + 1];

    if (la > MAX_NAME || lb > MAX_NAME)
        return UINT32_MAX;
    for (size_t j = 0; j <= lb; j++)
        row[j] = (unsigned)j;
    for (size_t i = 1; i <= la; i++) {
        unsigned diag = row[0];

        row[0] = (unsigned)i;
        for (size_t j = 1; j <= lb; j++) {
            unsigned up = row[j];
            unsigned best = diag + (a[i - 1] != b[j - 1]);

            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* The closest of NAMES (NULL-terminated) to KEY, as " (did you mean 'x'?)". */
const char *suggest(const char *key, const char *const *names,
                    char *buf, size_t len)
{
    unsigned best = SUGGEST_DISTANCE + 1;

    buf[0] = '\0';
    for (; *names; names++) {
        unsigned d = edit_distance(key, *names);

        if (d < best) {
            best = d;
            snprintf(buf, len, " (did you mean '%s'?)", *names);
        }
    }
    return buf;
}

int unknown_key(struct loader *L, const struct toml_node *n,
                const char *where, const char *const *names)
{
    char hint[MAX_NAME + 32];

    return fail(L, n->line, "unknown key '%s' in %s%s", n->key, where,
                suggest(n->key, names, hint, sizeof hint));
}

int find_key(const struct key *keys, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(keys[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* ---- values --------------------------------------------------------- */

static const char *want(const struct key *k)
{
    switch (k->kind) {
    case V_SIZE:     return "a size such as 4096, \"64K\" or \"1G\"";
    case V_PAGE:     return "a page size: \"4K\", \"16K\" or \"64K\"";
    case V_COUNT:    return "an integer";
    case V_BOOL:     return "true or false";
    case V_FLUSH:    return "\"page\", \"range\" or \"lazy\"";
    case V_ARCH:     return "\"x86\", \"arm64\" or \"arm32\"";
    case V_BOOTSCRUB: return "\"idle\", \"on\" or \"off\"";
    case V_PIN:      return "\"compact\", \"scatter\" or \"none\"";
    case V_PATTERN:  return "\"random\" or \"sequential\"";
    case V_COUNTS:   return "a count, \"all\", \"scale\" or a list of counts";
    case V_EVENTS:   return "a list of perf event names";
    case V_FRACTION: return "a number in (0, 1]";
    case V_DURATION: return "a duration such as 90, \"90s\", \"15m\"";
    }
    return "a value";
}

static int wrong_type(struct loader *L, const struct toml_node *n,
                      const struct key *k, const char *where)
{
    return fail(L, n->line, "%s in %s: want %s, got %s", k->name, where,
                want(k), toml_type_name(n->type));
}

static int bad_value(struct loader *L, const struct toml_node *n,
                     const struct key *k, const char *where, const char *text)
{
    return fail(L, n->line, "%s in %s: bad value '%s': want %s", k->name,
                where, text, want(k));
}

static int read_size_like(struct loader *L, const struct toml_node *n,
                          const struct key *k, const char *where,
                          struct config_value *v)
{
    size_t page;

    if (n->type == TOML_INT) {
        if (n->i < 0)
            return fail(L, n->line, "%s in %s: %" PRId64 " is negative",
                        k->name, where, n->i);
        v->u = (uint64_t)n->i;
        snprintf(v->text, sizeof v->text, "%" PRId64, n->i);
    } else if (n->type == TOML_STRING) {
        if (strlen(n->s) >= sizeof v->text || parse_size(n->s, &v->u) != 0)
            return bad_value(L, n, k, where, n->s);
        snprintf(v->text, sizeof v->text, "%s", n->s);
    } else {
        return wrong_type(L, n, k, where);
    }
    if (k->kind == V_PAGE && parse_page_size(v->text, &page) != 0)
        return bad_value(L, n, k, where, v->text);
    return 0;
}

static int read_name(struct loader *L, const struct toml_node *n,
                     const struct key *k, const char *where,
                     struct config_value *v)
{
    enum flush_policy f;
    enum xen_arch a;
    enum bootscrub_mode b;
    enum pin_mode p;
    int ok = -1;

    if (n->type != TOML_STRING)
        return wrong_type(L, n, k, where);
    if (k->kind == V_FLUSH && (ok = flush_policy_parse(n->s, &f)) == 0)
        v->u = f;
    if (k->kind == V_ARCH && (ok = xen_arch_parse(n->s, &a)) == 0)
        v->u = a;
    if (k->kind == V_BOOTSCRUB && (ok = bootscrub_parse(n->s, &b)) == 0)
        v->u = b;
    if (k->kind == V_PIN && (ok = pin_mode_parse(n->s, &p)) == 0)
        v->u = p;
    if (k->kind == V_PATTERN) {
        ok = strcmp(n->s, "random") == 0 || strcmp(n->s, "sequential") == 0
             ? 0 : -1;
        v->u = strcmp(n->s, "sequential") == 0;
    }
    if (ok != 0)
        return bad_value(L, n, k, where, n->s);
    snprintf(v->text, sizeof v->text, "%s", n->s);
    return 0;
}

/* One scalar value of K from N: sizes, counts, booleans and names. */
int read_scalar(struct loader *L, const struct toml_node *n,
                const struct key *k, const char *where,
                struct config_value *v)
{
    memset(v, 0, sizeof *v);
    switch (k->kind) {
    case V_SIZE:
    case V_PAGE:
        return read_size_like(L, n, k, where, v);
    case V_COUNT:
        if (n->type != TOML_INT)
            return wrong_type(L, n, k, where);
        if (n->i < 0 || (uint64_t)n->i < k->min || (uint64_t)n->i > k->max)
            return fail(L, n->line, "%s in %s: %" PRId64 " is outside "
                        "%" PRIu64 "..%" PRIu64, k->name, where, n->i,
                        k->min, k->max);
        v->u = (uint64_t)n->i;
        snprintf(v->text, sizeof v->text, "%" PRId64, n->i);
        return 0;
    case V_BOOL:
        if (n->type != TOML_BOOL)
            return wrong_type(L, n, k, where);
        v->u = n->b;
        snprintf(v->text, sizeof v->text, "%s", n->b ? "true" : "false");
        return 0;
    case V_FLUSH:
    case V_ARCH:
    case V_BOOTSCRUB:
    case V_PIN:
    case V_PATTERN:
        return read_name(L, n, k, where, v);
    default:
        return wrong_type(L, n, k, where);
    }
}

int read_fraction(struct loader *L, const struct toml_node *n,
                  const struct key *k, const char *where, double *out)
{
    double f;

    if (n->type == TOML_INT)
        f = (double)n->i;
    else if (n->type == TOML_FLOAT)
        f = n->f;
    else
        return wrong_type(L, n, k, where);
    if (!(f > 0 && f <= 1))
        return fail(L, n->line, "%s in %s: %g is outside (0, 1]", k->name,
                    where, f);
    *out = f;
    return 0;
}

int read_duration(struct loader *L, const struct toml_node *n,
                  const struct key *k, const char *where, double *out)
{
    static const struct { const char *unit; double s; } units[] = {
        { "ms", 1e-3 }, { "s", 1 }, { "m", 60 }, { "h", 3600 },
    };
    char *end;
    double d;

    if (n->type == TOML_INT || n->type == TOML_FLOAT) {
        d = n->type == TOML_INT ? (double)n->i : n->f;
    } else if (n->type == TOML_STRING) {
        size_t i = 0;

        errno = 0;
        d = strtod(n->s, &end);
        if (end == n->s || errno)
            return bad_value(L, n, k, where, n->s);
        while (i < sizeof units / sizeof units[0] &&
               strcmp(end, units[i].unit) != 0)
            i++;
        if (i == sizeof units / sizeof units[0])
            return bad_value(L, n, k, where, n->s);
        d *= units[i].s;
    } else {
        return wrong_type(L, n, k, where);
    }
    if (!(d > 0))
        return fail(L, n->line, "%s in %s: the duration must be positive",
                    k->name, where);
    if (d > MAX_DURATION_S)
        return fail(L, n->line, "%s in %s: %g s is out of range (at most "
                    "%g s)", k->name, where, d, MAX_DURATION_S);
    *out = d;
    return 0;
}

/* One element of a count list: a number or "all" ("scale" when ALONE). */
static int read_count(struct loader *L, const struct toml_node *n,
                      const struct key *k, const char *where, bool alone,
                      uint32_t *out)
{
    int64_t v;
    char *end;

    if (n->type == TOML_STRING && strcmp(n->s, "all") == 0) {
        *out = CONFIG_ALL;
        return 0;
    }
    if (n->type == TOML_STRING && alone && strcmp(n->s, "scale") == 0) {
        *out = CONFIG_SCALE;
        return 0;
    }
    if (n->type == TOML_INT) {
        v = n->i;
    } else if (n->type == TOML_STRING) {
        errno = 0;
        v = strtoll(n->s, &end, 10);
        if (end == n->s || *end || errno)
            return bad_value(L, n, k, where, n->s);
    } else {
        return wrong_type(L, n, k, where);
    }
    if (v < (int64_t)k->min || v > (int64_t)k->max)
        return fail(L, n->line, "%s in %s: %" PRId64 " is outside "
                    "%" PRIu64 "..%" PRIu64, k->name, where, v, k->min, k->max);
    *out = (uint32_t)v;
    return 0;
}

int read_counts(struct loader *L, const struct toml_node *n,
                const struct key *k, const char *where,
                struct config_counts *out)
{
    struct config_counts c = { .n = n->type == TOML_ARRAY ? n->n : 1 };

    if (n->type == TOML_ARRAY && n->n == 0)
        return fail(L, n->line, "%s in %s: the list is empty", k->name, where);
    if (c.n > CONFIG_MAX_COUNTS)
        return fail(L, n->line, "%s in %s: more than %d entries", k->name,
                    where, CONFIG_MAX_COUNTS);
    for (size_t i = 0; i < c.n; i++) {
        const struct toml_node *e = n->type == TOML_ARRAY ? &n->kids[i] : n;

        if (read_count(L, e, k, where, n->type != TOML_ARRAY, &c.v[i]) != 0)
            return -1;
    }
    *out = c;
    return 0;
}

/* Perf events: a list of names, or one "a,b,c" string, checked by
 * counters_parse as --counters would be. */
int read_events(struct loader *L, const struct toml_node *n,
                const struct key *k, const char *where, char **out)
{
    size_t count = n->type == TOML_ARRAY ? n->n : 1, total = 1;
    struct counter_set set;
    char why[WHY_TEMP], *list;

    if (n->type != TOML_ARRAY && n->type != TOML_STRING)
        return wrong_type(L, n, k, where);
    for (size_t i = 0; i < count; i++) {
        const struct toml_node *e = n->type == TOML_ARRAY ? &n->kids[i] : n;

        if (e->type != TOML_STRING)
            return wrong_type(L, e, k, where);
        if (n->type == TOML_ARRAY && (!e->s[0] || strpbrk(e->s, ", \t")))
            return bad_value(L, e, k, where, e->s);
        total += strlen(e->s) + 1;
    }
    list = calloc(1, total);
    if (!list)
        return fail(L, n->line, "out of memory");
    for (size_t i = 0; i < count; i++) {
        const struct toml_node *e = n->type == TOML_ARRAY ? &n->kids[i] : n;

        if (i)
            strcat(list, ",");
        strcat(list, e->s);
    }
    if (list[0] && counters_parse(list, &set, why, sizeof why) != 0) {
        free(list);
        return fail(L, n->line, "%s in %s: %s", k->name, where, why);
    }
    if (list[0])
        counters_free(&set);
    free(*out);
    *out = list;
    return 0;
}
