/*
 * The line of every key path in a TOML text (see toml_lines.h).
 *
 * The scanner reads the text once, front to back, keeping the path of the
 * table it is in and, for each array of tables, how many elements it has
 * seen. Each key, table header and array element it passes is recorded with
 * its line, first mention kept. It trusts the text to be valid TOML (cpptoml
 * said so) but still stops at the end of the text whatever it finds.
 */
#include "drivers/suite/toml/toml_lines.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAP_MIN_SLOTS 64   /* a power of two; the map doubles at half full */
#define INDEX_DIGITS  24   /* room for one path index component */

/* ---- a string -> unsigned map, open addressing ---------------------- */

struct slot {
    char *key;
    unsigned val, seq;   /* seq: the order of first mention */
};

struct map {
    size_t cap, n;
    struct slot *slot;
};

static uint64_t hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;   /* FNV-1a */

    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return h;
}

static struct slot *map_slot(const struct map *m, const char *key)
{
    size_t i = (size_t)hash(key) & (m->cap - 1);

    while (m->slot[i].key && strcmp(m->slot[i].key, key) != 0)
        i = (i + 1) & (m->cap - 1);
    return &m->slot[i];
}

static int map_grow(struct map *m)
{
    struct map bigger = { .cap = m->cap ? 2 * m->cap : MAP_MIN_SLOTS };

    bigger.slot = calloc(bigger.cap, sizeof *bigger.slot);
    if (!bigger.slot)
        return -1;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slot[i].key)
            *map_slot(&bigger, m->slot[i].key) = m->slot[i];
    bigger.n = m->n;
    free(m->slot);
    *m = bigger;
    return 0;
}

/* The value slot of KEY, created with VAL when new; NULL without memory. */
static unsigned *map_get_or_add(struct map *m, const char *key, unsigned val)
{
    struct slot *s;

    if (2 * (m->n + 1) > m->cap && map_grow(m))
        return NULL;
    s = map_slot(m, key);
    if (!s->key) {
        s->key = strdup(key);
        if (!s->key)
            return NULL;
        s->val = val;
        s->seq = (unsigned)m->n++;
    }
    return &s->val;
}

static const struct slot *map_find(const struct map *m, const char *key)
{
    const struct slot *s;

    if (!m->cap)
        return NULL;
    s = map_slot(m, key);
    return s->key ? s : NULL;
}

static void map_free(struct map *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->slot[i].key);
    free(m->slot);
}

/* ---- paths ---------------------------------------------------------- */

struct path {
    char *s;
    size_t len, cap;
};

static bool path_add(struct path *p, const char *bytes, size_t n)
{
    if (p->len + n + 1 > p->cap) {
        size_t cap = p->cap ? p->cap : 64;
        char *s;

        while (p->len + n + 1 > cap)
            cap *= 2;
        s = realloc(p->s, cap);
        if (!s)
            return false;
        p->s = s;
        p->cap = cap;
    }
    memcpy(p->s + p->len, bytes, n);
    p->len += n;
    p->s[p->len] = '\0';
    return true;
}

static bool path_index(struct path *p, size_t i)
{
    char buf[INDEX_DIGITS];
    int n = snprintf(buf, sizeof buf, "%c%zu%c", TOML_PATH_INDEX, i,
                     TOML_PATH_END);

    return path_add(p, buf, (size_t)n);
}

static void path_cut(struct path *p, size_t len)
{
    p->len = len;
    if (p->s)
        p->s[len] = '\0';
}

/* ---- the scanner ---------------------------------------------------- */

struct toml_lines {
    struct map lines;    /* path -> line */
};

struct scanner {
    const char *p, *end;
    unsigned line;
    struct map *lines;
    struct map arrays;   /* path of an array of tables -> elements seen */
    struct path path;    /* the node being read */
    struct path table;   /* the table the next key belongs to */
    bool nomem;
};

static bool more(const struct scanner *s)
{
    return s->p < s->end;
}

static void record(struct scanner *s)
{
    if (!map_get_or_add(s->lines, s->path.s ? s->path.s : "", s->line))
        s->nomem = true;
}

static void skip_blank(struct scanner *s)
{
    while (more(s) && (*s->p == ' ' || *s->p == '\t' || *s->p == '\r'))
        s->p++;
}

static void skip_line(struct scanner *s)
{
    while (more(s) && *s->p != '\n')
        s->p++;
    if (more(s)) {
        s->p++;
        s->line++;
    }
}

/* Blanks, newlines and comments: what may sit between array elements. */
static void skip_space(struct scanner *s)
{
    for (;;) {
        skip_blank(s);
        if (!more(s))
            return;
        if (*s->p == '#')
            while (more(s) && *s->p != '\n')
                s->p++;
        else if (*s->p == '\n')
            skip_line(s);
        else
            return;
    }
}

static void add_utf8(struct path *k, unsigned long c, bool *ok)
{
    char b[4];
    size_t n;

    if (c < 0x80) {
        b[0] = (char)c;
        n = 1;
    } else if (c < 0x800) {
        b[0] = (char)(0xc0 | (c >> 6));
        b[1] = (char)(0x80 | (c & 0x3f));
        n = 2;
    } else if (c < 0x10000) {
        b[0] = (char)(0xe0 | (c >> 12));
        b[1] = (char)(0x80 | ((c >> 6) & 0x3f));
        b[2] = (char)(0x80 | (c & 0x3f));
        n = 3;
    } else {
        b[0] = (char)(0xf0 | (c >> 18));
        b[1] = (char)(0x80 | ((c >> 12) & 0x3f));
        b[2] = (char)(0x80 | ((c >> 6) & 0x3f));
        b[3] = (char)(0x80 | (c & 0x3f));
        n = 4;
    }
    *ok = *ok && path_add(k, b, n);
}

/* One escape of a basic string, after the backslash, decoded into K. */
static void read_escape(struct scanner *s, struct path *k, bool *ok)
{
    static const char from[] = "btnfr\"\\", to[] = "\b\t\n\f\r\"\\";
    const char *e;
    int digits;

    if (!more(s))
        return;
    e = strchr(from, *s->p);
    if (e && *e) {
        *ok = *ok && path_add(k, &to[e - from], 1);
        s->p++;
        return;
    }
    digits = *s->p == 'u' ? 4 : *s->p == 'U' ? 8 : 0;
    if (digits) {
        unsigned long c = 0;

        s->p++;
        for (; digits && more(s); digits--, s->p++) {
            char h = *s->p;

            c = c * 16 + (unsigned long)(h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10);
        }
        add_utf8(k, c, ok);
    }
}

/*
 * A string of any of TOML's four kinds, its opening quote at s->p. With K,
 * the decoded text is appended to K (keys are never multi-line).
 */
static void read_string(struct scanner *s, struct path *k, bool *ok)
{
    char q = *s->p;
    bool multi = s->end - s->p >= 3 && s->p[1] == q && s->p[2] == q;

    s->p += multi ? 3 : 1;
    while (more(s)) {
        char c = *s->p;

        if (c == q && (!multi || (s->end - s->p >= 3 && s->p[1] == q &&
                                  s->p[2] == q))) {
            s->p += multi ? 3 : 1;
            /* """a"""" ends with a quote of the text before the delimiter */
            for (int extra = 0; multi && extra < 2 && more(s) && *s->p == q;
                 extra++)
                s->p++;
            return;
        }
        s->p++;
        if (c == '\n')
            s->line++;
        if (c == '\\' && q == '"') {
            if (k)
                read_escape(s, k, ok);
            else if (more(s) && *s->p != '\n')
                s->p++;
        } else if (k) {
            *ok = *ok && path_add(k, &c, 1);
        }
    }
}

static bool bare_key_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* One simple key appended to the path as a component; false if none. */
static bool read_key(struct scanner *s)
{
    bool ok = true;
    const char *start = s->p;

    if (more(s) && (*s->p == '"' || *s->p == '\'')) {
        read_string(s, &s->path, &ok);
    } else {
        while (more(s) && bare_key_char(*s->p))
            s->p++;
        if (s->p == start)
            return false;
        ok = path_add(&s->path, start, (size_t)(s->p - start));
    }
    ok = ok && path_add(&s->path, (char[]){ TOML_PATH_END }, 1);
    if (!ok)
        s->nomem = true;
    return true;
}

/* The elements a header's path passes through that are arrays of tables
 * stand for their last element: [a.b] inside [[a]] is a.<last>.b. */
static void through_array(struct scanner *s)
{
    const struct slot *a = map_find(&s->arrays, s->path.s);

    if (a && a->val && !path_index(&s->path, a->val - 1))
        s->nomem = true;
}

/*
 * A dotted key; every prefix is recorded, so a.b.c = 1 gives a line to a
 * and a.b as well. With HEADER, arrays of tables along the way are entered.
 */
static bool read_dotted_key(struct scanner *s, bool header)
{
    for (;;) {
        skip_blank(s);
        if (!read_key(s))
            return false;
        skip_blank(s);
        if (!more(s) || *s->p != '.') {
            record(s);
            return true;
        }
        if (header)
            through_array(s);
        record(s);
        s->p++;
    }
}

static void read_value(struct scanner *s);

static void read_array(struct scanner *s)
{
    size_t base = s->path.len;

    s->p++;
    for (size_t i = 0;; i++) {
        skip_space(s);
        if (!more(s) || *s->p == ']')
            break;
        if (!path_index(&s->path, i))
            s->nomem = true;
        record(s);
        read_value(s);
        path_cut(&s->path, base);
        skip_space(s);
        if (more(s) && *s->p == ',')
            s->p++;
        else
            break;
    }
    skip_space(s);
    if (more(s) && *s->p == ']')
        s->p++;
}

static void read_inline_table(struct scanner *s)
{
    size_t base = s->path.len;

    s->p++;
    for (;;) {
        skip_blank(s);
        if (!more(s) || *s->p == '}' || !read_dotted_key(s, false))
            break;
        skip_blank(s);
        if (more(s) && *s->p == '=')
            s->p++;
        skip_blank(s);
        read_value(s);
        path_cut(&s->path, base);
        skip_blank(s);
        if (more(s) && *s->p == ',')
            s->p++;
        else
            break;
    }
    if (more(s) && *s->p == '}')
        s->p++;
}

static void read_value(struct scanner *s)
{
    if (!more(s))
        return;
    switch (*s->p) {
    case '"':
    case '\'':
        read_string(s, NULL, NULL);
        return;
    case '[':
        read_array(s);
        return;
    case '{':
        read_inline_table(s);
        return;
    }
    /* A number, boolean or date (which may hold a space): up to the end. */
    while (more(s) && !strchr(",]}#\n", *s->p))
        s->p++;
}

/* [a.b] or [[a.b]], at its first bracket. */
static void read_header(struct scanner *s)
{
    bool array = s->end - s->p >= 2 && s->p[1] == '[';

    s->p += array ? 2 : 1;
    path_cut(&s->path, 0);
    if (read_dotted_key(s, true)) {
        if (array) {
            unsigned *n = map_get_or_add(&s->arrays, s->path.s, 0);

            if (!n || !path_index(&s->path, (*n)++))
                s->nomem = true;
            record(s);
        } else {
            through_array(s);
        }
    }
    path_cut(&s->table, 0);
    if (s->path.s && !path_add(&s->table, s->path.s, s->path.len))
        s->nomem = true;
    skip_line(s);
}

static void read_key_value(struct scanner *s)
{
    path_cut(&s->path, 0);
    if (s->table.s && !path_add(&s->path, s->table.s, s->table.len))
        s->nomem = true;
    if (read_dotted_key(s, false)) {
        skip_blank(s);
        if (more(s) && *s->p == '=')
            s->p++;
        skip_blank(s);
        read_value(s);
    }
    skip_line(s);
}

struct toml_lines *toml_lines_scan(const char *text, size_t len)
{
    struct toml_lines *l = calloc(1, sizeof *l);
    struct scanner s = { .p = text, .end = text + len, .line = 1 };

    if (!l)
        return NULL;
    s.lines = &l->lines;
    while (!s.nomem) {
        skip_space(&s);
        if (!more(&s))
            break;
        if (*s.p == '[')
            read_header(&s);
        else
            read_key_value(&s);
    }
    map_free(&s.arrays);
    free(s.path.s);
    free(s.table.s);
    if (s.nomem) {
        toml_lines_free(l);
        return NULL;
    }
    return l;
}

int toml_lines_find(const struct toml_lines *l, const char *path,
                    unsigned *line, unsigned *seq)
{
    const struct slot *s = map_find(&l->lines, path);

    if (!s)
        return -1;
    *line = s->val;
    *seq = s->seq;
    return 0;
}

void toml_lines_free(struct toml_lines *l)
{
    if (!l)
        return;
    map_free(&l->lines);
    free(l);
}
