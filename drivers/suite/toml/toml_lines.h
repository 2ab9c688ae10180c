/*
 * Where each key of a TOML text is written.
 *
 * cpptoml keeps no source positions in the tree it builds, so the line of a
 * key is recovered by scanning the text again: a small scanner that follows
 * table headers, arrays of tables, dotted keys, inline tables and arrays and
 * records the first line that mentions each key path. It runs only on text
 * cpptoml has accepted, so it never has to report a syntax error itself.
 *
 * A path names one node: its components, each ended by TOML_PATH_END. A
 * component is a key as cpptoml decodes it, or TOML_PATH_INDEX followed by
 * the decimal position of an element in an array (arrays of tables too).
 * [[experiment]] number 3, key "events" of its table "workload" is
 * "experiment\x1f\x1e" "2\x1fworkload\x1fevents\x1f".
 */
#ifndef XHEAP_TOML_LINES_H
#define XHEAP_TOML_LINES_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TOML_PATH_END   '\x1f'
#define TOML_PATH_INDEX '\x1e'

struct toml_lines;

/* Scans TEXT; NULL when memory runs out. */
struct toml_lines *toml_lines_scan(const char *text, size_t len);

/*
 * The line (from 1) where PATH is first written, and SEQ, which orders the
 * paths by first mention even within one line. -1 when not found.
 */
int toml_lines_find(const struct toml_lines *l, const char *path,
                    unsigned *line, unsigned *seq);

void toml_lines_free(struct toml_lines *l);

#ifdef __cplusplus
}
#endif

#endif
