/*
 * What every room shares with the command line: the exit statuses of the
 * CONTRACT, one-line usage errors, option-value parsers that print one
 * clear line on failure, and output files that appear whole or not at all.
 */
#ifndef XHEAP_MEASURE_ARGS_H
#define XHEAP_MEASURE_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Exit statuses (architecture.md, "The xheap command"). */
#define EXIT_RUN_FAILED 1   /* the run itself failed */
#define EXIT_USAGE      2   /* bad usage or bad input */

/* Prints "xheap CMD: MESSAGE" on stderr and returns EXIT_USAGE. */
int usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Reports what getopt_long (run with opterr = 0 and a leading ':' in its
 * option string) refused: an unknown option or a missing value.
 */
int bad_option(const char *cmd, int ret, char **argv);

/* "xheap CMD: bad value 'VALUE' for OPT: want WANT"; returns EXIT_USAGE. */
int bad_option_value(const char *cmd, const char *opt, const char *value,
                     const char *want);

/* A size such as 4096, 64K, 512M or 16G; a number in LO .. HI. 0 on
 * success, else bad_option_value's line and EXIT_USAGE. */
int parse_bytes_arg(const char *cmd, const char *opt, const char *arg,
                    uint64_t *out);
int parse_range_arg(const char *cmd, const char *opt, const char *arg,
                    uint64_t lo, uint64_t hi, uint64_t *out);

/* Plain decimal, no sign, overflow checked. 0 on success. */
int parse_u64(const char *s, uint64_t *out);

/* A model page size: 4K, 16K or 64K (in any form parse_size accepts). */
int parse_page_size(const char *s, size_t *out);

/* The page sizes parse_page_size accepts, for error messages. */
#define PAGE_SIZES_ACCEPTED "4K, 16K or 64K"

/*
 * An output file written to PATH.tmp and renamed over PATH on commit, so a
 * reader never sees half a file. PATH "-" means standard output.
 */
struct out_file {
    FILE *f;
    char *path, *tmp;
};

int  out_open(struct out_file *o, const char *path, char *why, size_t len);
int  out_commit(struct out_file *o, char *why, size_t len);
void out_abort(struct out_file *o);

#endif
