/* Contaminated repetitions: see clean.h. */
#include "drivers/measure/clean.h"

#include <stdio.h>
#include <sys/resource.h>
#include <time.h>

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void switches(long *nvcsw, long *nivcsw)
{
    struct rusage ru;

    if (getrusage(RUSAGE_THREAD, &ru) != 0) {
        *nvcsw = *nivcsw = 0;
        return;
    }
    *nvcsw = ru.ru_nvcsw;
    *nivcsw = ru.ru_nivcsw;
}

/* The second field of /proc/thread-self/schedstat: ns spent runnable on a
 * run queue, waiting for a CPU. */
static bool run_delay(uint64_t *ns)
{
    FILE *f = fopen("/proc/thread-self/schedstat", "r");
    unsigned long long on_cpu, waited;
    bool ok;

    if (!f)
        return false;
    ok = fscanf(f, "%llu %llu", &on_cpu, &waited) == 2;
    fclose(f);
    *ns = waited;
    return ok;
}

void clean_start(struct clean_mark *m)
{
    m->t_ns = now_ns();
    m->wait_known = run_delay(&m->wait_ns);
    switches(&m->nvcsw, &m->nivcsw);
}

void clean_stop(const struct clean_mark *m, struct clean_delta *d)
{
    long v, iv;
    uint64_t w = 0;
    bool known;

    switches(&v, &iv);
    known = m->wait_known && run_delay(&w);
    d->nvcsw += v > m->nvcsw ? (uint64_t)(v - m->nvcsw) : 0;
    d->nivcsw += iv > m->nivcsw ? (uint64_t)(iv - m->nivcsw) : 0;
    d->wait_ns += known && w > m->wait_ns ? w - m->wait_ns : 0;
    d->wait_known = known;
    d->window_ns += now_ns() - m->t_ns;
}

double clean_wait_share(const struct clean_delta *d)
{
    if (!d->wait_known || d->window_ns == 0)
        return -1;
    return (double)d->wait_ns / (double)d->window_ns;
}

bool clean_contaminated(const struct clean_delta *d, double cpu_share)
{
    double wait = clean_wait_share(d);
    bool short_of_cpu = cpu_share > 0 && cpu_share < CLEAN_MIN_CPU_SHARE;

    if (wait >= 0)   /* short of CPU, and for want of one */
        return short_of_cpu && wait > CLEAN_MAX_WAIT_SHARE;
    return short_of_cpu || d->nivcsw > CLEAN_MAX_PREEMPTIONS;
}
