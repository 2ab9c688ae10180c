/*
 * An enum's names, both ways. Each enum keeps one table, indexed by its
 * values (designated initializers, a gap left NULL); names_of() turns a
 * value into its name and NAMES_PARSE a name into the value. In backends/,
 * the lowest room, so that the models' own enums (flush policy, path) and
 * the instrument's (timer, timing, pinning) share it.
 */
#ifndef XHEAP_NAMES_H
#define XHEAP_NAMES_H

#include <stddef.h>
#include <string.h>

#define NAMES_COUNT(table) (sizeof(table) / sizeof((table)[0]))

/* TABLE[V], or NULL for a value the table does not name. */
static inline const char *names_of(const char *const *table, size_t n,
                                   unsigned v)
{
    return v < n ? table[v] : NULL;
}

/* The value whose name is S, or -1. */
static inline int names_index(const char *const *table, size_t n,
                              const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (table[i] && strcmp(s, table[i]) == 0)
            return (int)i;
    return -1;
}

/* Stores in *OUT (an enum) the value TABLE names S and yields 0, or
 * yields -1 and leaves *OUT alone. */
#define NAMES_PARSE(table, s, out) __extension__ ({                    \
    int names_i_ = names_index((table), NAMES_COUNT(table), (s));      \
    if (names_i_ >= 0)                                                 \
        *(out) = (__typeof__(*(out)))names_i_;                         \
    names_i_ < 0 ? -1 : 0;                                             \
})

#endif
