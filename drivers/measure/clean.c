/* Contaminated repetitions: see clean.h. */
#include "drivers/measure/clean.h"

#include <sys/resource.h>

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

void clean_start(struct clean_mark *m)
{
    switches(&m->nvcsw, &m->nivcsw);
}

void clean_stop(const struct clean_mark *m, uint64_t *nvcsw,
                uint64_t *nivcsw)
{
    long v, iv;

    switches(&v, &iv);
    *nvcsw = v > m->nvcsw ? (uint64_t)(v - m->nvcsw) : 0;
    *nivcsw = iv > m->nivcsw ? (uint64_t)(iv - m->nivcsw) : 0;
}

bool clean_contaminated(double cpu_share, uint64_t nivcsw)
{
    if (cpu_share > 0 && cpu_share < CLEAN_MIN_CPU_SHARE)
        return true;
    return nivcsw > CLEAN_MAX_PREEMPTIONS;
}
