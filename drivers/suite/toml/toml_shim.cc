/*
 * toml++ behind a C API (toml_shim.h): bound what the parser recurses on,
 * parse TOML 1.0, then copy toml++'s tree into plain C nodes, each with
 * the line toml++ recorded for it. Nothing thrown gets past this file.
 *
 * The bounds, for any input: toml++ recurses once per array or inline
 * table inside another while parsing, and once per level of the finished
 * tree (it walks it to close each node's source region, and frees it the
 * same way). A dotted key or table header of N parts makes N tables within
 * each other, so 25,000 parts overflow the stack. The parts are counted
 * before parsing (too_many_parts), toml++ refuses values nested deeper
 * than MAX_NESTED itself, and the tree handed to C is at most MAX_DEPTH
 * deep; the deepest bench.toml key (a sweep's value) is 7 levels down.
 */
#define TOML_HEADER_ONLY       1   /* one translation unit: this one */
#define TOML_EXCEPTIONS        0   /* errors come back in parse_result */
#define TOML_ENABLE_FORMATTERS 0   /* nothing is written back as TOML */

#define MAX_NESTED    32   /* arrays and inline tables within each other */
#define MAX_KEY_PARTS 32   /* parts of one dotted key or table header */
#define MAX_DEPTH     64   /* tables and arrays within each other, however
                              made: a header, a dotted key, inline tables */
#define TOML_MAX_NESTED_VALUES MAX_NESTED

/*
 * toml++ 3.3.0 asserts things of the input that malformed input breaks
 * ("[=" reaches parse_key, which asserts a key starts there), and under
 * NDEBUG tells the compiler to assume them instead, which is worse. Its
 * parser refuses such input itself right after, so its checks are off:
 * neither assert nor assume.
 */
#undef NDEBUG
#define TOML_ASSERT(expr) static_assert(true)

#include "drivers/suite/toml/toml_shim.h"

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include <toml++/toml.h>

namespace {

/* ---- before parsing: the longest dotted key ------------------------ */

bool bare(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* Past the string opening at S[I] (a quote), counting its newlines into
 * *LINE. A one-line string stops before a newline: it is not closed, and
 * the parser will say so. True for a one-line string, which may be a key. */
bool skip_string(const char *s, size_t n, size_t *i, unsigned *line)
{
    char q = s[*i];
    bool escapes = q == '"';
    size_t j = *i;

    if (j + 2 < n && s[j + 1] == q && s[j + 2] == q) {
        /* Multi-line: it ends at three quotes, which may follow one or
         * two quotes of its content. */
        for (j += 3; j < n; j++) {
            if (s[j] == '\n')
                (*line)++;
            else if (escapes && s[j] == '\\' && j + 1 < n)
                *line += s[++j] == '\n';
            else if (s[j] == q && j + 2 < n && s[j + 1] == q &&
                     s[j + 2] == q)
                break;
        }
        size_t close = j + 3;

        while (close < n && close < j + 5 && s[close] == q)
            close++;
        *i = std::min(close, n);
        return false;
    }
    for (j++; j < n && s[j] != q && s[j] != '\n'; j++)
        if (escapes && s[j] == '\\' && j + 1 < n && s[j + 1] != '\n')
            j++;
    *i = j < n && s[j] == q ? j + 1 : j;
    return true;
}

/*
 * The line of the first chain of more than MAX_KEY_PARTS parts (bare
 * words or one-line strings joined by dots, as in a.b."c"), outside
 * strings and comments; 0 when there is none. A key is such a chain on one
 * line; so are a few values (1.5), which stay far below the limit.
 */
unsigned too_many_parts(const char *s, size_t n)
{
    unsigned line = 1, parts = 0;
    bool dot = false;

    for (size_t i = 0; i < n;) {
        char c = s[i];

        if (c == ' ' || c == '\t') {
            i++;
        } else if (c == '.') {
            dot = true;
            i++;
        } else if (bare(c) || c == '"' || c == '\'') {
            unsigned at = line;
            bool key = true;

            if (!dot)
                parts = 0;
            dot = false;
            if (bare(c))
                while (i < n && bare(s[i]))
                    i++;
            else
                key = skip_string(s, n, &i, &line);
            parts = key ? parts + 1 : 0;
            if (parts > MAX_KEY_PARTS)
                return at;
        } else {
            if (c == '#')
                while (i < n && s[i] != '\n')
                    i++;
            else
                i++;
            line += c == '\n';
            parts = 0;
            dot = false;
        }
    }
    return 0;
}

/* ---- messages ------------------------------------------------------ */

/* toml++'s message made one printable line: control characters and
 * anything past ASCII as \uXXXX (a byte order mark is then visible), the
 * name of toml++'s build macro dropped, and the range of an integer said. */
std::string printable(std::string_view what)
{
    static const char macro[] = " (TOML_MAX_NESTED_VALUES)";
    static const char too_big[] = "is not representable in 64 bits";
    std::string out;
    char buf[16];

    for (size_t i = 0; i < what.size(); i++) {
        unsigned char c = static_cast<unsigned char>(what[i]);
        uint32_t cp = c;
        int more = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;

        if (c < 0x80 && c >= 0x20 && c != 0x7f) {
            out += static_cast<char>(c);
            continue;
        }
        if (more) {
            cp = c & (0x3f >> more);
            for (int k = 0; k < more && i + 1 < what.size(); k++)
                cp = cp << 6 | (static_cast<unsigned char>(what[++i]) & 0x3f);
        }
        snprintf(buf, sizeof buf, "\\u%04" PRIX32, cp);
        out += buf;
    }
    if (size_t at = out.find(macro); at != std::string::npos)
        out.erase(at, sizeof macro - 1);
    if (out.find(too_big) != std::string::npos)
        out += " (TOML integers are -9223372036854775808 .. "
               "9223372036854775807)";
    return out;
}

/* Line LINE (from 1) of TEXT, without its newline. */
std::string_view line_text(const char *text, size_t n, unsigned line)
{
    const char *p = text, *end = text + n, *nl;

    for (; line > 1 && p < end; line--) {
        nl = static_cast<const char *>(memchr(p, '\n', end - p));
        p = nl ? nl + 1 : end;
    }
    nl = static_cast<const char *>(memchr(p, '\n', end - p));
    return std::string_view(p, (nl ? nl : end) - p);
}

/* The syntax error E of TEXT as "bad TOML: ...". toml++ calls a string
 * left open at the end of its line a control character in a string: when
 * the line holds no other, say what happened. */
std::string syntax_error(const toml::parse_error &e, const char *text,
                         size_t n)
{
    static const char control[] = "unescaped control characters";
    std::string_view line = line_text(text, n, e.source().begin.line);
    std::string what = printable(e.description());

    if (what.find(control) != std::string::npos &&
        std::none_of(line.begin(), line.end(), [](char c) {
            return (static_cast<unsigned char>(c) < 0x20 && c != '\t') ||
                   c == 0x7f;
        }))
        what = "a string not closed on its line (\"\"\" opens one of "
               "several lines)";
    return "bad TOML: " + what;
}

/* ---- the tree ------------------------------------------------------ */

struct converter {
    const char *name;
    char *why;
    size_t len;

    static unsigned line_of(const toml::source_region &r, unsigned parent)
    {
        return r.begin.line ? r.begin.line : parent;
    }

    /* A C string of S; false, with WHY, when S holds a NUL (C cannot). */
    bool dup(const std::string_view s, unsigned line, const char **out) const
    {
        char *p;

        if (s.find('\0') != std::string_view::npos) {
            snprintf(why, len, "%s:%u: bad TOML: a NUL character (\\u0000) "
                     "in a key or string", name, line);
            return false;
        }
        p = static_cast<char *>(malloc(s.size() + 1));
        if (!p)
            throw std::bad_alloc();
        memcpy(p, s.data(), s.size());
        p[s.size()] = '\0';
        *out = p;
        return true;
    }

    static void alloc_kids(toml_node *n, size_t count)
    {
        n->kids = static_cast<toml_node *>(calloc(count ? count : 1,
                                                  sizeof *n->kids));
        if (!n->kids)
            throw std::bad_alloc();
        n->n = count;
    }

    /* Dates and times as TOML writes them. */
    bool date(const toml::node &v, toml_node *out) const
    {
        char text[64] = "", *p = text;
        const char *end = text + sizeof text;
        std::optional<toml::date> d;
        std::optional<toml::time> t;
        std::optional<toml::time_offset> off;

        if (auto dt = v.as_date_time()) {
            d = dt->get().date;
            t = dt->get().time;
            off = dt->get().offset;
        } else if (auto x = v.as_date()) {
            d = x->get();
        } else if (auto y = v.as_time()) {
            t = y->get();
        }
        if (d)
            p += snprintf(p, end - p, "%04u-%02u-%02u%s", d->year, d->month,
                          d->day, t ? "T" : "");
        if (t)
            p += snprintf(p, end - p, "%02u:%02u:%02u", t->hour, t->minute,
                          t->second);
        if (t && t->nanosecond)
            p += snprintf(p, end - p, ".%09" PRIu32, t->nanosecond);
        if (off && off->minutes == 0)
            snprintf(p, end - p, "Z");
        else if (off)
            snprintf(p, end - p, "%c%02d:%02d", off->minutes < 0 ? '-' : '+',
                     abs(off->minutes) / 60, abs(off->minutes) % 60);
        out->type = TOML_DATETIME;
        return dup(text, out->line, &out->s);
    }

    bool value(const toml::node &v, toml_node *out) const
    {
        if (auto s = v.as_string()) {
            out->type = TOML_STRING;
            return dup(s->get(), out->line, &out->s);
        }
        if (auto i = v.as_integer()) {
            out->type = TOML_INT;
            out->i = i->get();
        } else if (auto f = v.as_floating_point()) {
            out->type = TOML_FLOAT;
            out->f = f->get();
        } else if (auto b = v.as_boolean()) {
            out->type = TOML_BOOL;
            out->b = b->get();
        } else {
            return date(v, out);
        }
        return true;
    }

    struct entry {
        const toml::key *key;
        const toml::node *value;
    };

    static bool before(const toml::source_position &a,
                       const toml::source_position &b)
    {
        return a.line != b.line ? a.line < b.line : a.column < b.column;
    }

    /* toml++ keeps a table's keys sorted by name; the file's order is
     * the order of the keys' positions. */
    bool table(const toml::table &t, unsigned depth, toml_node *out) const
    {
        std::vector<entry> order;

        order.reserve(t.size());
        for (auto &&[k, v] : t)
            order.push_back({ &k, &v });
        std::stable_sort(order.begin(), order.end(),
                         [](const entry &a, const entry &b) {
                             return before(a.key->source().begin,
                                           b.key->source().begin);
                         });
        out->type = TOML_TABLE;
        alloc_kids(out, order.size());
        for (size_t i = 0; i < order.size(); i++) {
            toml_node *kid = &out->kids[i];

            kid->line = line_of(order[i].key->source(), out->line);
            if (!dup(order[i].key->str(), kid->line, &kid->key) ||
                !node(*order[i].value, depth + 1, kid))
                return false;
        }
        return true;
    }

    bool array(const toml::array &a, unsigned depth, toml_node *out) const
    {
        out->type = TOML_ARRAY;
        alloc_kids(out, a.size());
        for (size_t i = 0; i < a.size(); i++)
            if (!node(a[i], depth + 1, &out->kids[i]))
                return false;
        return true;
    }

    /* N into OUT, whose line is the parent's or its key's until N's own
     * position is known. */
    bool node(const toml::node &n, unsigned depth, toml_node *out) const
    {
        out->line = line_of(n.source(), out->line);
        if (depth > MAX_DEPTH) {
            snprintf(why, len, "%s:%u: bad TOML: tables and arrays nested "
                     "more than %d deep", name, out->line, MAX_DEPTH);
            return false;
        }
        if (auto t = n.as_table())
            return table(*t, depth, out);
        if (auto a = n.as_array())
            return array(*a, depth, out);
        return value(n, out);
    }
};

void free_node(toml_node *n)
{
    for (size_t i = 0; i < n->n; i++)
        free_node(&n->kids[i]);
    free(n->kids);
    free(const_cast<char *>(n->key));
    free(const_cast<char *>(n->s));
}

}  // namespace

extern "C" struct toml_node *toml_parse(const char *name, const char *text,
                                        size_t text_len, char *why, size_t len)
{
    toml_node *root = static_cast<toml_node *>(calloc(1, sizeof *root));
    unsigned deep;

    if (!root) {
        snprintf(why, len, "%s: out of memory", name);
        return NULL;
    }
    if ((deep = too_many_parts(text, text_len)) != 0) {
        snprintf(why, len, "%s:%u: bad TOML: a dotted key or table name of "
                 "more than %d parts", name, deep, MAX_KEY_PARTS);
        free(root);
        return NULL;
    }
    try {
        toml::parse_result doc = toml::parse(std::string_view(text, text_len),
                                             std::string_view(name));

        if (!doc) {
            const toml::parse_error &e = doc.error();

            snprintf(why, len, "%s:%u: %s", name,
                     std::max(e.source().begin.line, 1u),
                     syntax_error(e, text, text_len).c_str());
        } else {
            root->line = 1;
            if (converter{ name, why, len }.table(doc.table(), 0, root))
                return root;
        }
    } catch (const std::bad_alloc &) {
        snprintf(why, len, "%s: out of memory", name);
    } catch (const std::exception &e) {
        snprintf(why, len, "%s: bad TOML: %s", name, e.what());
    }
    toml_free(root);
    return NULL;
}

extern "C" struct toml_node *toml_load(const char *path, char *why,
                                       size_t len)
{
    FILE *f = fopen(path, "rb");
    std::string text;
    char buf[1 << 14];
    size_t got;

    if (!f) {
        snprintf(why, len, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    try {
        while ((got = fread(buf, 1, sizeof buf, f)) > 0)
            text.append(buf, got);
    } catch (const std::bad_alloc &) {
        fclose(f);
        snprintf(why, len, "%s: out of memory", path);
        return NULL;
    }
    if (ferror(f)) {
        snprintf(why, len, "%s: cannot read: %s", path, strerror(errno));
        fclose(f);
        return NULL;
    }
    fclose(f);
    return toml_parse(path, text.data(), text.size(), why, len);
}

extern "C" void toml_free(struct toml_node *root)
{
    if (!root)
        return;
    free_node(root);
    free(root);
}

extern "C" const struct toml_node *toml_get(const struct toml_node *t,
                                            const char *key)
{
    if (!t || t->type != TOML_TABLE)
        return NULL;
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->kids[i].key, key) == 0)
            return &t->kids[i];
    return NULL;
}

extern "C" const char *toml_type_name(enum toml_type type)
{
    switch (type) {
    case TOML_TABLE:    return "a table";
    case TOML_ARRAY:    return "an array";
    case TOML_STRING:   return "a string";
    case TOML_INT:      return "an integer";
    case TOML_FLOAT:    return "a float";
    case TOML_BOOL:     return "a boolean";
    case TOML_DATETIME: return "a date";
    }
    return "a value";
}
