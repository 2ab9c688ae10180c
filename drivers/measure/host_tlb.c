/* The host's TLB flushes by reason, from tlb:tlb_flush (host_tlb.h). */
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "drivers/measure/host_tlb.h"

#define TRACEFS       "/sys/kernel/tracing"
#define TRACEFS_DEBUG "/sys/kernel/debug/tracing"
#define TLB_FLUSH_ID  "events/tlb/tlb_flush/id"

static const char *const reason_names[HTR_N] = {
    [HTR_TASK_SWITCH]        = "task_switch",
    [HTR_REMOTE_SHOOTDOWN]   = "remote_shootdown",
    [HTR_LOCAL_SHOOTDOWN]    = "local_shootdown",
    [HTR_LOCAL_MM_SHOOTDOWN] = "local_mm_shootdown",
    [HTR_REMOTE_SEND_IPI]    = "remote_send_ipi",
    [HTR_REMOTE_WRONG_CPU]   = "remote_wrong_cpu",
};

const char *host_tlb_reason_name(enum host_tlb_reason r)
{
    return reason_names[r];
}

static int unavailable(struct host_tlb *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int unavailable(struct host_tlb *h, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(h->why, sizeof h->why, fmt, ap);
    va_end(ap);
    host_tlb_close(h);
    h->available = false;
    return -1;
}

/* Reads the tracepoint's id from DIR; -1 and errno when it cannot. */
static long read_id(const char *dir, char *path, size_t len)
{
    FILE *f;
    long id = -1;

    snprintf(path, len, "%s/%s", dir, TLB_FLUSH_ID);
    f = fopen(path, "r");
    if (!f)
        return -1;
    if (fscanf(f, "%ld", &id) != 1) {
        id = -1;
        errno = EINVAL;
    }
    fclose(f);
    return id;
}

static bool has_events(const char *dir)
{
    char path[256];
    struct stat st;

    snprintf(path, sizeof path, "%s/events", dir);
    return stat(path, &st) == 0;
}

/* The id, or -1 with the most specific reason. */
static long find_id(struct host_tlb *h, const char *tracefs)
{
    const char *dirs[2] = { tracefs ? tracefs : TRACEFS,
                            tracefs ? NULL : TRACEFS_DEBUG };
    int err = ENOENT;

    for (int i = 0; i < 2 && dirs[i]; i++) {
        long id = read_id(dirs[i], h->id_path, sizeof h->id_path);
        int e = errno;

        if (id >= 0)
            return id;
        if (has_events(dirs[i])) {
            err = e;
            break;
        }
    }
    if (err == EACCES || err == EPERM)
        return unavailable(h, "%s: %s (root may read it)", h->id_path,
                           strerror(err));
    if (!has_events(dirs[0]) && (!dirs[1] || !has_events(dirs[1])))
        return unavailable(h, "tracefs is not mounted (no %s/events%s%s%s): "
                           "as root, mount -t tracefs nodev %s", dirs[0],
                           dirs[1] ? " nor " : "", dirs[1] ? dirs[1] : "", dirs[1] ? "/events" : "",
                           dirs[0]);
    return unavailable(h, "%s: %s: this kernel has no tlb:tlb_flush "
                       "tracepoint (it is x86's)", h->id_path, strerror(err));
}

static int open_reason(long id, int reason)
{
    struct perf_event_attr a;
    char filter[32];
    int fd;

    memset(&a, 0, sizeof a);
    a.size = sizeof a;
    a.type = PERF_TYPE_TRACEPOINT;
    a.config = (uint64_t)id;
    a.disabled = 1;
    a.inherit = 1;
    fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1,
                      PERF_FLAG_FD_CLOEXEC);
    if (fd < 0)
        return -1;
    snprintf(filter, sizeof filter, "reason == %d", reason);
    if (ioctl(fd, PERF_EVENT_IOC_SET_FILTER, filter)) {
        int err = errno;

        close(fd);
        errno = err;
        return -1;
    }
    return fd;
}

int host_tlb_open(struct host_tlb *h, const char *tracefs)
{
    long id;

    memset(h, 0, sizeof *h);
    for (int r = 0; r < HTR_N; r++)
        h->fd[r] = -1;
    id = find_id(h, tracefs);
    if (id < 0)
        return -1;
    for (int r = 0; r < HTR_N; r++) {
        h->fd[r] = open_reason(id, r);
        if (h->fd[r] < 0) {
            int err = errno;

            return unavailable(h, "perf_event_open of tlb:tlb_flush "
                               "(reason %s): %s%s", reason_names[r],
                               strerror(err),
                               err == EACCES || err == EPERM
                               ? " (tracepoints need root or "
                                 "kernel.perf_event_paranoid -1)" : "");
        }
    }
    h->available = true;
    return 0;
}

void host_tlb_start(struct host_tlb *h)
{
    if (!h->available)
        return;
    for (int r = 0; r < HTR_N; r++) {
        ioctl(h->fd[r], PERF_EVENT_IOC_RESET, 0);
        ioctl(h->fd[r], PERF_EVENT_IOC_ENABLE, 0);
    }
}

void host_tlb_stop(struct host_tlb *h)
{
    if (!h->available)
        return;
    for (int r = 0; r < HTR_N; r++)
        ioctl(h->fd[r], PERF_EVENT_IOC_DISABLE, 0);
    for (int r = 0; r < HTR_N; r++) {
        uint64_t v = 0;

        if (read(h->fd[r], &v, sizeof v) != (ssize_t)sizeof v) {
            unavailable(h, "reading the tlb:tlb_flush counter (reason %s) "
                        "failed", reason_names[r]);
            return;
        }
        h->count[r] = v;
    }
}

void host_tlb_close(struct host_tlb *h)
{
    for (int r = 0; r < HTR_N; r++) {
        if (h->fd[r] >= 0)
            close(h->fd[r]);
        h->fd[r] = -1;
    }
}

json_t *host_tlb_json(const struct host_tlb *h, json_t **why_out)
{
    json_t *o;

    if (why_out)
        *why_out = h->available ? NULL : json_string(h->why);
    if (!h->available)
        return json_null();
    o = json_object();
    for (int r = 0; r < HTR_N; r++)
        json_object_set_new(o, reason_names[r], json_integer((json_int_t)h->count[r]));
    return o;
}
