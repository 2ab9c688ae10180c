/* Reading /proc and /sys (see host.h). */
#include "drivers/measure/host.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SELF_STATUS     "/proc/self/status"
#define SELF_SMAPS      "/proc/self/smaps"
#define INTERRUPTS      "/proc/interrupts"
#define CPUINFO_LINE    8192   /* x86 flags lines run to ~1,500 bytes */

int host_read_line(const char *path, char *out, size_t len)
{
    FILE *f = fopen(path, "r");
    bool ok;

    if (!f)
        return -1;
    ok = fgets(out, (int)len, f) != NULL;
    fclose(f);
    if (!ok)
        return -1;
    out[strcspn(out, "\n")] = 0;
    return 0;
}

int host_read_long(const char *path, long *out)
{
    FILE *f = fopen(path, "r");
    int ok;

    if (!f)
        return -1;
    ok = fscanf(f, "%ld", out) == 1;
    fclose(f);
    return ok ? 0 : -1;
}

/* The first line of /proc/cpuinfo that starts with KEY, into LINE. */
static int cpuinfo_line(const char *key, char *line, size_t len)
{
    FILE *f = fopen(HOST_CPUINFO, "r");
    size_t klen = strlen(key);
    int found = 0;

    if (!f)
        return -1;
    while (!found && fgets(line, (int)len, f))
        found = strncmp(line, key, klen) == 0 && strchr(line, ':');
    fclose(f);
    return found;
}

bool host_cpuinfo(const char *key, char *out, size_t len)
{
    char line[CPUINFO_LINE], *colon;

    if (cpuinfo_line(key, line, sizeof line) != 1)
        return false;
    colon = strchr(line, ':');
    colon += strspn(colon + 1, " \t") + 1;
    colon[strcspn(colon, "\n")] = 0;
    snprintf(out, len, "%s", colon);
    return true;
}

/* Whether WORD is one of the blank-separated words of LINE. */
static bool has_word(const char *line, const char *word)
{
    size_t n = strlen(word);

    for (const char *p = line; (p = strstr(p, word)); p += n)
        if ((p == line || p[-1] == ' ' || p[-1] == '\t') &&
            (p[n] == ' ' || p[n] == '\n' || p[n] == '\0'))
            return true;
    return false;
}

int host_cpu_flag(const char *flag)
{
    char line[CPUINFO_LINE];
    int found = cpuinfo_line("flags", line, sizeof line);

    if (found <= 0)
        return found < 0 ? -1 : -2;
    return has_word(line, flag);
}

void host_thp_line(char *out, size_t len)
{
    if (host_read_line(HOST_THP_ENABLED, out, len) != 0)
        snprintf(out, len, "unknown");
}

/* The chosen word of a sysfs knob such as "always [madvise] never". */
static void knob_word(const char *path, char *out, size_t len)
{
    char line[256], *open, *close;

    snprintf(out, len, "unknown");
    if (host_read_line(path, line, sizeof line) == 0 &&
        (open = strchr(line, '[')) && (close = strchr(open, ']'))) {
        *close = 0;
        snprintf(out, len, "%s", open + 1);
    }
}

void host_thp_mode(char *out, size_t len)
{
    knob_word(HOST_THP_ENABLED, out, len);
}

void host_thp_shmem_mode(char *out, size_t len)
{
    knob_word(HOST_THP_SHMEM, out, len);
}

long host_max_map_count(void)
{
    long v;

    return host_read_long(HOST_MAP_COUNT, &v) == 0 ? v : -1;
}

int host_perf_paranoid(long *level)
{
    return host_read_long(HOST_PARANOID, level);
}

uint64_t host_status_bytes(const char *key)
{
    FILE *f = fopen(SELF_STATUS, "r");
    size_t klen = strlen(key);
    unsigned long long kb = 0;
    char line[256];

    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, key, klen) == 0 && line[klen] == ':' &&
            sscanf(line + klen + 1, "%llu", &kb) == 1)
            break;
    fclose(f);
    return (uint64_t)kb * 1024;
}

int64_t host_interrupts(const char *name)
{
    FILE *f = fopen(INTERRUPTS, "r");
    size_t n = strlen(name);
    char line[4096];
    int64_t sum = -1;

    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f)) {
        char *p = line + strspn(line, " ");

        if (strncmp(p, name, n) != 0 || p[n] != ':')
            continue;
        sum = 0;
        for (p += n + 1;;) {
            char *end;
            unsigned long long v = strtoull(p, &end, 10);

            if (end == p)
                break;
            sum += (int64_t)v;
            p = end;
        }
        break;
    }
    fclose(f);
    return sum;
}

uint64_t host_pmd_mapped(uintptr_t lo, uintptr_t hi)
{
    FILE *f = fopen(SELF_SMAPS, "r");
    char line[512];
    bool inside = false;
    uint64_t total = 0;

    if (!f)
        return 0;
    while (fgets(line, sizeof line, f)) {
        uintptr_t start, end;
        unsigned long long kb;
        char key[64];

        if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " ", &start, &end) == 2) {
            inside = start < hi && end > lo;
            continue;
        }
        if (inside && sscanf(line, "%63[^:]: %llu kB", key, &kb) == 2 &&
            (strcmp(key, "AnonHugePages") == 0 ||
             strcmp(key, "ShmemPmdMapped") == 0 ||
             strcmp(key, "FilePmdMapped") == 0))
            total += (uint64_t)kb << 10;
    }
    fclose(f);
    return total;
}

int host_self_exe(char *out, size_t len)
{
    ssize_t n = readlink(HOST_SELF_EXE, out, len - 1);

    if (n <= 0)
        return -1;
    if ((size_t)n == len - 1) {   /* perhaps cut: no path at all is better */
        errno = ENAMETOOLONG;
        return -1;
    }
    out[n] = 0;
    return 0;
}
