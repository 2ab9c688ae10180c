/* Real page-table updates, counted and flushed as the policy says. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "backends/lock.h"
#include "backends/mapping.h"

#define MAX_MAP_COUNT_KNOB "/proc/sys/vm/max_map_count"

void mapper_init(struct mapper *m, const struct frames *f,
                 enum flush_policy flush)
{
    memset(m, 0, sizeof *m);
    m->frames = f;
    m->flush = flush;
}

static long max_map_count(void)
{
    long v = -1;
    FILE *f = fopen(MAX_MAP_COUNT_KNOB, "r");

    if (f) {
        if (fscanf(f, "%ld", &v) != 1)
            v = -1;
        fclose(f);
    }
    return v;
}

/* The kernel refuses new mappings past vm.max_map_count with ENOMEM; say
 * so once, plainly, with the way out. */
static void note_failure(struct mapper *m, const char *what, int err)
{
    stat_add(&m->map_failures, 1);
    if (err != ENOMEM || __atomic_exchange_n(&m->limit_hit, 1, __ATOMIC_RELAXED))
        return;
    snprintf(m->limit_msg, sizeof m->limit_msg,
             "%s failed: the process reached vm.max_map_count (%ld mappings);"
             " raise it with: sysctl -w vm.max_map_count=1048576",
             what, max_map_count());
}

int map_frames(struct mapper *m, void *va, uint32_t frame, uint32_t nr)
{
    const struct frames *f = m->frames;
    size_t len = (size_t)nr << f->page_shift;
    off_t off = (off_t)frame << f->page_shift;

    /* Xen's map_pages_to_xen writes the page-table entries there and
     * then; MAP_POPULATE makes Linux do the same instead of faulting them
     * in on first touch. */
    stat_add(&m->map_calls, 1);
    if (mmap(va, len, PROT_READ | PROT_WRITE,
             MAP_FIXED | MAP_SHARED | MAP_POPULATE, f->memfd, off) == MAP_FAILED) {
        int err = errno;

        note_failure(m, "mmap", err);
        return -err;
    }
    return 0;
}

static void unmap_one_call(struct mapper *m, char *va, size_t len, bool flush)
{
    stat_add(&m->unmap_calls, 1);
    if (flush)
        stat_add(&m->flushes, 1);
    if (mmap(va, len, PROT_NONE,
             MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
             -1, 0) == MAP_FAILED)
        note_failure(m, "unmap", errno);
}

void unmap_range(struct mapper *m, void *va, uint32_t nr, bool flush)
{
    unmap_one_call(m, va, (size_t)nr << m->frames->page_shift, flush);
}

void mapper_flush(struct mapper *m)
{
    stat_add(&m->flushes, 1);
}

void unmap_pages(struct mapper *m, void *va, uint32_t nr)
{
    size_t page = m->frames->page_size;

    if (m->flush != FLUSH_PER_PAGE) {
        unmap_range(m, va, nr, true);
        return;
    }
    for (uint32_t i = 0; i < nr; i++)
        unmap_one_call(m, (char *)va + i * page, page, true);
}
