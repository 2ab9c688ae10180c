/* Reads the machine description from uname, sysconf, /proc and /sys. */
#include "drivers/machine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#define CPUINFO   "/proc/cpuinfo"
#define THP_FILE  "/sys/kernel/mm/transparent_hugepage/enabled"
#define MAP_COUNT "/proc/sys/vm/max_map_count"

static void copy_text(char *dst, const char *src)
{
    snprintf(dst, MACHINE_TEXT, "%s", src);
}

/* The value of the first "KEY : value" line of /proc/cpuinfo. */
static int cpuinfo_value(const char *key, char *out)
{
    FILE *f = fopen(CPUINFO, "r");
    char line[512];
    size_t klen = strlen(key);
    int found = 0;

    if (!f)
        return 0;
    while (!found && fgets(line, sizeof(line), f)) {
        char *colon = strchr(line, ':');

        if (strncmp(line, key, klen) != 0 || !colon)
            continue;
        colon += strspn(colon + 1, " \t") + 1;
        colon[strcspn(colon, "\n")] = 0;
        copy_text(out, colon);
        found = 1;
    }
    fclose(f);
    return found;
}

/* x86 says "model name"; Arm kernels give no name, only part numbers. */
static void probe_cpu(char *out)
{
    if (!cpuinfo_value("model name", out) && !cpuinfo_value("Hardware", out) &&
        !cpuinfo_value("CPU part", out))
        copy_text(out, "unknown");
}

/* The bracketed word of "always [madvise] never". */
static void probe_thp(char *out)
{
    FILE *f = fopen(THP_FILE, "r");
    char line[256], *open, *close;

    copy_text(out, "unknown");
    if (!f)
        return;
    if (fgets(line, sizeof(line), f) && (open = strchr(line, '[')) &&
        (close = strchr(open, ']'))) {
        *close = 0;
        copy_text(out, open + 1);
    }
    fclose(f);
}

static long read_long(const char *path)
{
    FILE *f = fopen(path, "r");
    long v = -1;

    if (!f)
        return -1;
    if (fscanf(f, "%ld", &v) != 1)
        v = -1;
    fclose(f);
    return v;
}

void machine_probe(struct machine_info *m)
{
    struct utsname u;

    memset(m, 0, sizeof(*m));
    if (gethostname(m->host, sizeof(m->host) - 1) != 0)
        copy_text(m->host, "unknown");
    m->host[strcspn(m->host, ".")] = 0;
    copy_text(m->kernel, uname(&u) == 0 ? u.release : "unknown");
    probe_cpu(m->cpu);
    probe_thp(m->thp);
    m->cores = sysconf(_SC_NPROCESSORS_ONLN);
    m->page_size = sysconf(_SC_PAGESIZE);
    m->max_map_count = read_long(MAP_COUNT);
}

json_t *machine_json(const struct machine_info *m)
{
    return json_pack("{s:s, s:s, s:I, s:s, s:I, s:s, s:o}",
                     "host", m->host,
                     "cpu", m->cpu,
                     "cores", (json_int_t)m->cores,
                     "kernel", m->kernel,
                     "page_size", (json_int_t)m->page_size,
                     "thp", m->thp,
                     "max_map_count", m->max_map_count < 0 ? json_null()
                                      : json_integer(m->max_map_count));
}
