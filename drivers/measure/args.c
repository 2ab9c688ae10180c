/* Option parsing and output-file helpers shared by the subcommands. */
#include "drivers/measure/args.h"

#include <ctype.h>
#include <errno.h>
#include <sys/stat.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backends/heap.h"

/* Stdio buffer for output files: large writes, few syscalls. */
#define OUT_BUFFER_BYTES (1u << 20)

int usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "xheap %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return EXIT_USAGE;
}

int bad_option(const char *cmd, int ret, char **argv)
{
    /* For a long option getopt leaves optopt 0 (unknown) or the option's
     * value; argv[optind - 1] is then the word as the user typed it. */
    const char *word = argv[optind - 1];
    char shortopt[3] = { '-', (char)optopt, 0 };

    if (optopt != 0 && isprint(optopt) && strncmp(word, "--", 2) != 0)
        word = shortopt;
    if (ret == ':')
        return usage_error(cmd, "option '%s' needs a value (see 'xheap help %s')",
                           word, cmd);
    return usage_error(cmd, "unknown option '%s' (see 'xheap help %s')",
                       word, cmd);
}

int bad_option_value(const char *cmd, const char *opt, const char *value,
              const char *want)
{
    return usage_error(cmd, "bad value '%s' for %s: want %s", value, opt,
                       want);
}

int parse_bytes_arg(const char *cmd, const char *opt, const char *arg,
                    uint64_t *out)
{
    if (parse_size(arg, out))
        return bad_option_value(cmd, opt, arg, "a size such as 4096, 64K, 512M, 16G");
    return 0;
}

int parse_range_arg(const char *cmd, const char *opt, const char *arg,
                    uint64_t lo, uint64_t hi, uint64_t *out)
{
    char want[64];

    if (parse_u64(arg, out) || *out < lo || *out > hi) {
        snprintf(want, sizeof want, "%" PRIu64 " .. %" PRIu64, lo, hi);
        return bad_option_value(cmd, opt, arg, want);
    }
    return 0;
}

int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v;

    if (!s || !isdigit((unsigned char)s[0]))
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

int parse_page_size(const char *s, size_t *out)
{
    uint64_t v;

    if (parse_size(s, &v) || (v != 4096 && v != 16384 && v != 65536))
        return -1;
    *out = (size_t)v;
    return 0;
}

static void out_reset(struct out_file *o)
{
    free(o->path);
    free(o->tmp);
    o->f = NULL;
    o->path = o->tmp = NULL;
}

/* A regular file (or a new one) is written beside itself and renamed over
 * the old one at commit, so a failed run never leaves half a file. Anything
 * else that exists (a device, a FIFO) is written in place: renaming over
 * /dev/null would replace the device with a regular file. */
static bool write_in_place(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && !S_ISREG(st.st_mode);
}

int out_open(struct out_file *o, const char *path, char *why, size_t len)
{
    o->f = NULL;
    o->path = o->tmp = NULL;
    if (strcmp(path, "-") == 0) {
        o->f = stdout;
        return 0;
    }
    o->path = strdup(path);
    if (!o->path ||
        (!write_in_place(path) && asprintf(&o->tmp, "%s.tmp", path) < 0)) {
        free(o->path);
        o->path = NULL;
        snprintf(why, len, "%s: out of memory", path);
        return -1;
    }
    o->f = fopen(o->tmp ? o->tmp : o->path, "w");
    if (!o->f) {
        snprintf(why, len, "%s: cannot create: %s", path, strerror(errno));
        out_reset(o);
        return -1;
    }
    setvbuf(o->f, NULL, _IOFBF, OUT_BUFFER_BYTES);
    return 0;
}

int out_commit(struct out_file *o, char *why, size_t len)
{
    int failed;

    if (!o->path) {   /* standard output */
        failed = fflush(o->f) != 0 || ferror(o->f);
        if (failed)
            snprintf(why, len, "standard output: %s", strerror(errno));
        o->f = NULL;
        return failed ? -1 : 0;
    }
    failed = ferror(o->f);
    if (fclose(o->f) != 0)
        failed = 1;
    if (failed) {
        snprintf(why, len, "%s: write failed: %s",
                 o->tmp ? o->tmp : o->path, strerror(errno));
        if (o->tmp)
            unlink(o->tmp);
    } else if (o->tmp && rename(o->tmp, o->path) != 0) {
        snprintf(why, len, "%s: %s", o->path, strerror(errno));
        unlink(o->tmp);
        failed = 1;
    }
    out_reset(o);
    return failed ? -1 : 0;
}

void out_abort(struct out_file *o)
{
    if (!o->f)
        return;
    if (o->path) {
        fclose(o->f);
        if (o->tmp)
            unlink(o->tmp);
    }
    out_reset(o);
}
