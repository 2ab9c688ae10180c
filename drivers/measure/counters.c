/*
 * Event counters around a measured region, through perf_event_open.
 *
 * Every event is opened on its own (pid 0, cpu -1, inherit), before the
 * measured threads exist, so the threads they create inherit it; reading
 * the parent's descriptor sums the counts of every inherited copy, so one
 * read gives the process total. Groups are not used: the kernel refuses
 * PERF_FORMAT_GROUP with inherit on older kernels, and a group that does
 * not fit the PMU would not be counted at all, where lone events are
 * multiplexed and scaled.
 *
 * Names are resolved first from perf's generic names (the table below and
 * the CACHE-OP-RESULT family, as `perf list` spells them), then through
 * libpfm4, which knows every PMU's own events.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/perf_event.h>
#include <perfmon/pfmlib_perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "drivers/measure/counters.h"
#include "drivers/measure/host.h"

/* What perf's own tool prints for these, so users recognise the advice. */
#define WHY_UNSUPPORTED "not supported on this machine (a VM?)"
#define NOT_OPENED      "not counted (counters_open was not called)"
#define WHY_UNKNOWN     "unknown event: not a perf generic name, and " \
                        "libpfm4 does not know it"
#define SUGGEST_DISTANCE 3   /* a name this close to a known one is a typo */

struct generic {
    const char *name;
    uint32_t type;
    uint64_t config;
};

static const struct generic generics[] = {
    { "cycles",                  PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES },
    { "cpu-cycles",              PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES },
    { "instructions",            PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS },
    { "cache-references",        PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_REFERENCES },
    { "cache-misses",            PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES },
    { "branches",                PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_INSTRUCTIONS },
    { "branch-instructions",     PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_INSTRUCTIONS },
    { "branch-misses",           PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_MISSES },
    { "bus-cycles",              PERF_TYPE_HARDWARE, PERF_COUNT_HW_BUS_CYCLES },
    { "stalled-cycles-frontend", PERF_TYPE_HARDWARE, PERF_COUNT_HW_STALLED_CYCLES_FRONTEND },
    { "stalled-cycles-backend",  PERF_TYPE_HARDWARE, PERF_COUNT_HW_STALLED_CYCLES_BACKEND },
    { "ref-cycles",              PERF_TYPE_HARDWARE, PERF_COUNT_HW_REF_CPU_CYCLES },
    { "cpu-clock",               PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK },
    { "task-clock",              PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK },
    { "page-faults",             PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS },
    { "faults",                  PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS },
    { "minor-faults",            PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MIN },
    { "major-faults",            PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MAJ },
    { "context-switches",        PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES },
    { "cs",                      PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES },
    { "cpu-migrations",          PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS },
    { "migrations",              PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS },
    { "alignment-faults",        PERF_TYPE_SOFTWARE, PERF_COUNT_SW_ALIGNMENT_FAULTS },
    { "emulation-faults",        PERF_TYPE_SOFTWARE, PERF_COUNT_SW_EMULATION_FAULTS },
};

/* Hardware cache events: CACHE-OP-RESULT, e.g. dTLB-load-misses. */
static const char *const cache_names[] = {
    [PERF_COUNT_HW_CACHE_L1D] = "L1-dcache", [PERF_COUNT_HW_CACHE_L1I] = "L1-icache",
    [PERF_COUNT_HW_CACHE_LL] = "LLC",        [PERF_COUNT_HW_CACHE_DTLB] = "dTLB",
    [PERF_COUNT_HW_CACHE_ITLB] = "iTLB",     [PERF_COUNT_HW_CACHE_BPU] = "branch",
    [PERF_COUNT_HW_CACHE_NODE] = "node",
};

static const struct {
    const char *suffix;
    unsigned op, result;
} cache_ops[] = {
    { "loads",           PERF_COUNT_HW_CACHE_OP_READ,     PERF_COUNT_HW_CACHE_RESULT_ACCESS },
    { "load-misses",     PERF_COUNT_HW_CACHE_OP_READ,     PERF_COUNT_HW_CACHE_RESULT_MISS },
    { "stores",          PERF_COUNT_HW_CACHE_OP_WRITE,    PERF_COUNT_HW_CACHE_RESULT_ACCESS },
    { "store-misses",    PERF_COUNT_HW_CACHE_OP_WRITE,    PERF_COUNT_HW_CACHE_RESULT_MISS },
    { "prefetches",      PERF_COUNT_HW_CACHE_OP_PREFETCH, PERF_COUNT_HW_CACHE_RESULT_ACCESS },
    { "prefetch-misses", PERF_COUNT_HW_CACHE_OP_PREFETCH, PERF_COUNT_HW_CACHE_RESULT_MISS },
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static bool cache_event(const char *name, struct perf_event_attr *a)
{
    for (unsigned c = 0; c < N_OF(cache_names); c++) {
        size_t n = strlen(cache_names[c]);

        if (strncmp(name, cache_names[c], n) != 0 || name[n] != '-')
            continue;
        for (unsigned o = 0; o < N_OF(cache_ops); o++)
            if (strcmp(name + n + 1, cache_ops[o].suffix) == 0) {
                a->type = PERF_TYPE_HW_CACHE;
                a->config = c | cache_ops[o].op << 8 |
                            cache_ops[o].result << 16;
                return true;
            }
    }
    return false;
}

static bool pfm_event(const char *name, struct perf_event_attr *a)
{
    static int pfm_state;   /* 0 untried, 1 ready, -1 failed */
    pfm_perf_encode_arg_t arg;

    if (pfm_state == 0)
        pfm_state = pfm_initialize() == PFM_SUCCESS ? 1 : -1;
    if (pfm_state < 0)
        return false;
    memset(&arg, 0, sizeof arg);
    arg.attr = a;
    arg.size = sizeof arg;
    return pfm_get_os_event_encoding(name, PFM_PLM0 | PFM_PLM3,
                                     PFM_OS_PERF_EVENT_EXT, &arg) ==
           PFM_SUCCESS;
}

/* Fills A's type and config for NAME; false when nobody knows the name. */
static bool resolve(const char *name, struct perf_event_attr *a)
{
    memset(a, 0, sizeof *a);
    for (unsigned i = 0; i < N_OF(generics); i++)
        if (strcmp(name, generics[i].name) == 0) {
            a->type = generics[i].type;
            a->config = generics[i].config;
            return true;
        }
    return cache_event(name, a) || pfm_event(name, a);
}

/*
 * A name in perf's generic form (letters, digits and '-': cycles,
 * dTLB-load-misses) that no table and not libpfm4 knows is a typo, refused
 * at parse time. Names in a PMU's own form (INST_RETIRED:ANY_P,
 * perf::PERF_COUNT_HW_CPU_CYCLES, inst_retired.any, raw r1a8) may be
 * another CPU's: those stay "unsupported" when opened.
 */
static bool generic_form(const char *name)
{
    bool raw = name[0] == 'r' && name[1] &&
               strspn(name + 1, "0123456789abcdefABCDEF") == strlen(name + 1);

    return !raw && !strpbrk(name, "_:./=@,");
}

/* Edit distance, for the suggestion; names are short. */
static unsigned distance(const char *a, const char *b)
{
    size_t lb = strlen(b);
    unsigned row[64];

    if (lb >= N_OF(row))
        return UINT_MAX;
    for (size_t j = 0; j <= lb; j++)
        row[j] = (unsigned)j;
    for (size_t i = 1; a[i - 1]; i++) {
        unsigned diag = row[0];

        row[0] = (unsigned)i;
        for (size_t j = 1; j <= lb; j++) {
            unsigned up = row[j], best = diag + (tolower((unsigned char)a[i - 1])
                                                 != tolower((unsigned char)b[j - 1]));

            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            diag = up;
            row[j] = best;
        }
    }
    return row[lb];
}

/* "unknown event 'NAME' (did you mean 'x'?); known: ..." into WHY. */
static void unknown_event(const char *name, char *why, size_t len)
{
    char best[64] = "", cache[64];
    unsigned best_d = SUGGEST_DISTANCE + 1;
    size_t at;

    for (unsigned i = 0; i < N_OF(generics); i++)
        if (distance(name, generics[i].name) < best_d) {
            best_d = distance(name, generics[i].name);
            snprintf(best, sizeof best, "%s", generics[i].name);
        }
    for (unsigned c = 0; c < N_OF(cache_names); c++)
        for (unsigned o = 0; o < N_OF(cache_ops); o++) {
            snprintf(cache, sizeof cache, "%s-%s", cache_names[c],
                     cache_ops[o].suffix);
            if (distance(name, cache) < best_d) {
                best_d = distance(name, cache);
                snprintf(best, sizeof best, "%s", cache);
            }
        }
    at = (size_t)snprintf(why, len, "unknown event '%s'", name);
    if (best[0] && at < len)
        at += (size_t)snprintf(why + at, len - at, " (did you mean '%s'?)",
                               best);
    if (at < len)
        at += (size_t)snprintf(why + at, len - at, "; known:");
    for (unsigned i = 0; i < N_OF(generics) && at < len; i++)
        if (i == 0 || generics[i].config != generics[i - 1].config ||
            generics[i].type != generics[i - 1].type)   /* not an alias */
            at += (size_t)snprintf(why + at, len - at, "%s %s", i ? "," : "",
                                   generics[i].name);
    if (at < len)
        snprintf(why + at, len - at, ", CACHE-OP-RESULT (dTLB-load-misses "
                 "...: docs/counters.md) and libpfm4's names");
}

static int paranoid_level(void)
{
    long level;

    return host_perf_paranoid(&level) == 0 ? (int)level : -99;
}

static void explain(struct counter *c, int err)
{
    int level;

    switch (err) {
    case ENOENT: case EOPNOTSUPP: case ENODEV:
        snprintf(c->why, sizeof c->why, WHY_UNSUPPORTED);
        break;
    case EACCES: case EPERM:
        level = paranoid_level();
        snprintf(c->why, sizeof c->why, "kernel.perf_event_paranoid is %d: "
                 "run `sysctl -w kernel.perf_event_paranoid=1` or run as root",
                 level);
        break;
    case ENOSYS:
        snprintf(c->why, sizeof c->why, "perf_event_open is not available "
                 "(kernel without perf events, or a seccomp filter)");
        break;
    case EMFILE: case ENFILE:
        snprintf(c->why, sizeof c->why, "too many open files: raise "
                 "`ulimit -n` (one descriptor per event and thread)");
        break;
    default:
        snprintf(c->why, sizeof c->why, "perf_event_open refused it: %s",
                 strerror(err));
    }
}

static int perf_open(struct perf_event_attr *a)
{
    return (int)syscall(SYS_perf_event_open, a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
}

static void open_one(struct counter *c)
{
    struct perf_event_attr a;

    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->supported = false;
    c->user_only = false;
    memset(c->at_start, 0, sizeof c->at_start);
    if (!resolve(c->name, &a)) {
        snprintf(c->why, sizeof c->why, WHY_UNKNOWN);
        return;
    }
    a.size = sizeof a;
    a.disabled = 1;
    a.inherit = 1;
    a.exclude_kernel = 0;
    a.exclude_hv = 0;
    a.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED |
                    PERF_FORMAT_TOTAL_TIME_RUNNING;
    c->fd = perf_open(&a);
    if (c->fd < 0 && (errno == EACCES || errno == EPERM)) {
        /* paranoid 2 allows user-space counting only: better than none.
         * When that fails too, its error is the one that explains. */
        a.exclude_kernel = 1;
        a.exclude_hv = 1;
        c->fd = perf_open(&a);
        c->user_only = c->fd >= 0;
    }
    if (c->fd < 0) {
        explain(c, errno);
        return;
    }
    c->supported = true;
    c->why[0] = '\0';
}

int counters_parse(const char *list, struct counter_set *s, char *why,
                   size_t len)
{
    const char *p = list;
    struct perf_event_attr a;

    memset(s, 0, sizeof(*s));
    for (;;) {
        size_t n = strcspn(p, ",");

        if (n == 0) {
            snprintf(why, len, "empty event name in --counters '%s'", list);
            goto fail;
        }
        if (s->n == COUNTERS_MAX) {
            snprintf(why, len, "more than %d events in --counters", COUNTERS_MAX);
            goto fail;
        }
        s->ev[s->n].name = strndup(p, n);
        s->ev[s->n].fd = -1;
        if (!s->ev[s->n].name) {
            snprintf(why, len, "out of memory");
            goto fail;
        }
        if (generic_form(s->ev[s->n].name) && !resolve(s->ev[s->n].name, &a)) {
            unknown_event(s->ev[s->n].name, why, len);
            s->n++;
            goto fail;
        }
        s->n++;
        if (!p[n])
            return 0;
        p += n + 1;
    }
fail:
    counters_free(s);
    return -1;
}

void counters_open(struct counter_set *s)
{
    for (size_t i = 0; i < s->n; i++)
        open_one(&s->ev[i]);
}

/* value, time enabled, time running: with inherit, the sums over every
 * thread, exited ones included. */
static int read_raw(struct counter *c, uint64_t v[3])
{
    if (read(c->fd, v, 3 * sizeof *v) == (ssize_t)(3 * sizeof *v))
        return 0;
    snprintf(c->why, sizeof c->why, "reading the counter failed: %s",
             strerror(errno));
    c->supported = false;
    return -1;
}

/* A window is the difference between two reads: PERF_EVENT_IOC_RESET
 * does not clear what exited threads folded into the event. */
void counters_start(struct counter_set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        struct counter *c = &s->ev[i];

        if (c->fd >= 0 && c->supported)
            read_raw(c, c->at_start);
    }
    for (size_t i = 0; i < s->n; i++)
        if (s->ev[i].fd >= 0)
            ioctl(s->ev[i].fd, PERF_EVENT_IOC_ENABLE, 0);
}

/* Reads C's window; a multiplexed event is scaled up to the time it was
 * enabled. */
static void read_one(struct counter *c)
{
    uint64_t v[3];

    c->scaled = false;
    c->running = 1.0;
    if (read_raw(c, v) != 0)
        return;
    for (int k = 0; k < 3; k++)
        v[k] -= c->at_start[k];
    c->value = v[0];
    if (v[1] == 0 || v[2] == v[1])
        return;
    if (v[2] == 0) {
        snprintf(c->why, sizeof c->why, "never scheduled: more events than "
                 "the PMU has counters");
        c->supported = false;
        return;
    }
    c->scaled = true;
    c->running = (double)v[2] / (double)v[1];
    c->value = (uint64_t)((double)v[0] / c->running + 0.5);
}

void counters_stop(struct counter_set *s)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->ev[i].fd >= 0)
            ioctl(s->ev[i].fd, PERF_EVENT_IOC_DISABLE, 0);
    for (size_t i = 0; i < s->n; i++)
        if (s->ev[i].fd >= 0 && s->ev[i].supported)
            read_one(&s->ev[i]);
}

const struct counter *counters_find(const struct counter_set *s,
                                    const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->ev[i].name, name) == 0)
            return &s->ev[i];
    return NULL;
}

void counters_report(const struct counter_set *s, json_t *root)
{
    json_t *c = json_object(), *u = json_object(), *scaled = json_object();
    json_t *user = json_array();

    for (size_t i = 0; i < s->n; i++) {
        const struct counter *e = &s->ev[i];

        if (!e->supported) {
            json_object_set_new(c, e->name, json_null());
            json_object_set_new(u, e->name,
                                json_string(e->why[0] ? e->why : NOT_OPENED));
            continue;
        }
        json_object_set_new(c, e->name, json_integer((json_int_t)e->value));
        if (e->scaled)
            json_object_set_new(scaled, e->name, json_real(e->running));
        if (e->user_only)
            json_array_append_new(user, json_string(e->name));
    }
    json_object_set_new(root, "counters", c);
    json_object_set_new(root, "counters_unsupported", u);
    /* Present only when they say something: fraction of time counted, and
     * events counted without their kernel side. */
    if (json_object_size(scaled))
        json_object_set_new(root, "counters_scaled", scaled);
    else
        json_decref(scaled);
    if (json_array_size(user))
        json_object_set_new(root, "counters_user_only", user);
    else
        json_decref(user);
}

/* Prints every unsupported event that shares the reason of ev[first] on
 * one line, so each reason is said once. */
static void print_reason(const struct counter_set *s, size_t first,
                         bool *said, FILE *f)
{
    const char *why = s->ev[first].why;
    const char *sep = "";

    fputs("counters   ", f);
    for (size_t i = first; i < s->n; i++)
        if (!s->ev[i].supported && strcmp(s->ev[i].why, why) == 0) {
            fprintf(f, "%s%s", sep, s->ev[i].name);
            said[i] = true;
            sep = ", ";
        }
    fprintf(f, ": null, %s\n", why[0] ? why : NOT_OPENED);
}

void counters_print(const struct counter_set *s, FILE *f)
{
    bool said[COUNTERS_MAX] = { false };
    bool any_user = false;

    for (size_t i = 0; i < s->n; i++) {
        const struct counter *e = &s->ev[i];

        if (!e->supported)
            continue;
        fprintf(f, "counter    %-20s %" PRIu64, e->name, e->value);
        if (e->scaled)
            fprintf(f, " (scaled: counted %.0f%% of the time)",
                    e->running * 100);
        if (e->user_only)
            fputs(" (user space only)", f);
        fputc('\n', f);
        any_user |= e->user_only;
    }
    for (size_t i = 0; i < s->n; i++)
        if (!s->ev[i].supported && !said[i])
            print_reason(s, i, said, f);
    if (any_user)
        fprintf(f, "counters   kernel side not counted: "
                "kernel.perf_event_paranoid is %d; run `sysctl -w "
                "kernel.perf_event_paranoid=1` or run as root\n",
                paranoid_level());
}

void counters_free(struct counter_set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        if (s->ev[i].fd >= 0)
            close(s->ev[i].fd);
        free(s->ev[i].name);
    }
    s->n = 0;
}
