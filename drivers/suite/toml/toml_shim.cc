/*
 * cpptoml behind a C API (toml_shim.h): parse, then copy cpptoml's tree into
 * plain C nodes, each with the line toml_lines.c found for it. Nothing
 * thrown gets past this file.
 */
#include "drivers/suite/toml/toml_shim.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <sstream>
#include <string>
#include <vector>

#include <cpptoml.h>

#include "drivers/suite/toml/toml_lines.h"

namespace {

/* cpptoml ends each message with this and the line number. */
const char at_line[] = " at line ";

struct converter {
    const toml_lines *lines;

    /* Where PATH was written: its line, and its rank in the file. Nodes
     * the scanner missed inherit their parent's line and go last. */
    void place(const std::string &path, unsigned parent_line, unsigned *line,
               unsigned *seq) const
    {
        if (toml_lines_find(lines, path.c_str(), line, seq) != 0) {
            *line = parent_line;
            *seq = UINT_MAX;
        }
    }

    static char *dup(const std::string &s)
    {
        char *p = strdup(s.c_str());

        if (!p)
            throw std::bad_alloc();
        return p;
    }

    static void alloc_kids(toml_node *n, size_t count)
    {
        n->kids = static_cast<toml_node *>(calloc(count ? count : 1,
                                                  sizeof *n->kids));
        if (!n->kids)
            throw std::bad_alloc();
        n->n = count;
    }

    static std::string index(size_t i)
    {
        return std::string(1, TOML_PATH_INDEX) + std::to_string(i) +
               std::string(1, TOML_PATH_END);
    }

    template <class T>
    static bool date(const cpptoml::base &b, toml_node *out)
    {
        auto v = b.as<T>();
        std::ostringstream text;

        if (!v)
            return false;
        text << v->get();
        out->type = TOML_DATETIME;
        out->s = dup(text.str());
        return true;
    }

    void value(const cpptoml::base &b, toml_node *out) const
    {
        if (auto s = b.as<std::string>()) {
            out->type = TOML_STRING;
            out->s = dup(s->get());
        } else if (auto i = b.as<int64_t>()) {
            out->type = TOML_INT;
            out->i = i->get();
        } else if (auto f = b.as<double>()) {
            out->type = TOML_FLOAT;
            out->f = f->get();
        } else if (auto v = b.as<bool>()) {
            out->type = TOML_BOOL;
            out->b = v->get();
        } else if (!date<cpptoml::offset_datetime>(b, out) &&
                   !date<cpptoml::local_datetime>(b, out) &&
                   !date<cpptoml::local_date>(b, out) &&
                   !date<cpptoml::local_time>(b, out)) {
            out->type = TOML_DATETIME;
            out->s = dup("?");
        }
    }

    struct entry {
        unsigned seq;
        const std::string *key;
        cpptoml::base *value;
    };

    void table(const cpptoml::table &t, std::string &path,
               toml_node *out) const
    {
        std::vector<entry> order;
        size_t base = path.size();
        unsigned line;

        /* cpptoml's map forgets the order; the scanner gives it back. */
        for (const auto &kv : t) {
            path += kv.first;
            path += TOML_PATH_END;
            order.push_back({ 0, &kv.first, kv.second.get() });
            place(path, out->line, &line, &order.back().seq);
            path.resize(base);
        }
        std::sort(order.begin(), order.end(),
                  [](const entry &a, const entry &b) {
                      return a.seq != b.seq ? a.seq < b.seq : *a.key < *b.key;
                  });
        out->type = TOML_TABLE;
        alloc_kids(out, order.size());
        for (size_t i = 0; i < order.size(); i++) {
            path += *order[i].key;
            path += TOML_PATH_END;
            out->kids[i].key = dup(*order[i].key);
            node(*order[i].value, path, out->line, &out->kids[i]);
            path.resize(base);
        }
    }

    template <class Vec>
    void array(const Vec &items, std::string &path, toml_node *out) const
    {
        size_t base = path.size();

        out->type = TOML_ARRAY;
        alloc_kids(out, items.size());
        for (size_t i = 0; i < items.size(); i++) {
            path += index(i);
            node(*items[i], path, out->line, &out->kids[i]);
            path.resize(base);
        }
    }

    void node(cpptoml::base &b, std::string &path, unsigned parent_line,
              toml_node *out) const
    {
        unsigned seq;

        place(path, parent_line, &out->line, &seq);
        if (b.is_table())
            table(*b.as_table(), path, out);
        else if (b.is_table_array())
            array(b.as_table_array()->get(), path, out);
        else if (b.is_array())
            array(b.as_array()->get(), path, out);
        else
            value(b, out);
    }
};

/* "Key x already present at line 3" -> "NAME:3: bad TOML: Key x ..." */
void syntax_error(const char *name, const std::string &what, char *why,
                  size_t len)
{
    size_t at = what.rfind(at_line);
    const char *num = at == std::string::npos ? "" : what.c_str() + at +
                      sizeof at_line - 1;
    char *end;
    unsigned long line = strtoul(num, &end, 10);

    if (*num && !*end)
        snprintf(why, len, "%s:%lu: bad TOML: %.*s", name, line, (int)at,
                 what.c_str());
    else
        snprintf(why, len, "%s: bad TOML: %s", name, what.c_str());
}

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
    toml_lines *lines = NULL;

    if (!root) {
        snprintf(why, len, "%s: out of memory", name);
        return NULL;
    }
    try {
        std::istringstream in(std::string(text, text_len));
        std::shared_ptr<cpptoml::table> doc = cpptoml::parser(in).parse();
        std::string path;

        lines = toml_lines_scan(text, text_len);
        if (!lines)
            throw std::bad_alloc();
        root->line = 1;
        converter{lines}.table(*doc, path, root);
        toml_lines_free(lines);
        return root;
    } catch (const cpptoml::parse_exception &e) {
        syntax_error(name, e.what(), why, len);
    } catch (const std::bad_alloc &) {
        snprintf(why, len, "%s: out of memory", name);
    } catch (const std::exception &e) {
        snprintf(why, len, "%s: bad TOML: %s", name, e.what());
    }
    toml_lines_free(lines);
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
