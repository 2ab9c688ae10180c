/*
 * A TOML 1.0 document as a plain C tree, read with toml++ (C++) behind this
 * C API. Every node carries the line it was written on, and the entries of
 * a table come in the order the file wrote them, so that a reader of the
 * tree can name the line of anything it refuses. Strings are valid UTF-8
 * without NUL (toml++ refuses anything else, with its line).
 *
 * Errors are one printable line, "FILE:LINE: message" for a syntax error
 * and "FILE: message" when the file cannot be read. Nesting is bounded
 * (toml_shim.cc says how), so any input gets a tree or such a line.
 */
#ifndef XHEAP_TOML_SHIM_H
#define XHEAP_TOML_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum toml_type {
    TOML_TABLE,      /* a table, inline or not; kids are its entries */
    TOML_ARRAY,      /* an array, arrays of tables too; kids are elements */
    TOML_STRING,
    TOML_INT,
    TOML_FLOAT,
    TOML_BOOL,
    TOML_DATETIME,   /* any of TOML's dates and times, kept as text in s */
};

struct toml_node {
    enum toml_type type;
    unsigned line;            /* from 1; a table's header or first mention */
    const char *key;          /* the key in the parent table; NULL in arrays */
    const char *s;            /* TOML_STRING, TOML_DATETIME */
    int64_t i;                /* TOML_INT */
    double f;                 /* TOML_FLOAT */
    bool b;                   /* TOML_BOOL */
    size_t n;                 /* TOML_TABLE, TOML_ARRAY */
    struct toml_node *kids;   /* in file order */
};

/* The document at PATH (its name in messages as given); NULL with WHY. */
struct toml_node *toml_load(const char *path, char *why, size_t len);

/* The document in TEXT, called NAME in messages; NULL with WHY. */
struct toml_node *toml_parse(const char *name, const char *text,
                             size_t text_len, char *why, size_t len);

void toml_free(struct toml_node *root);

/* The entry KEY of table T, or NULL. */
const struct toml_node *toml_get(const struct toml_node *t, const char *key);

/* "a table", "an integer"...: for "want X, got Y" messages. */
const char *toml_type_name(enum toml_type type);

#ifdef __cplusplus
}
#endif

#endif
