/* Real page-table updates, counted and flushed as the policy says. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "backends/lock.h"
#include "backends/mapping.h"

#define MAX_MAP_COUNT_KNOB "/proc/sys/vm/max_map_count"

/* Why a call failed: the host kernel, the modelled limit, or a plan. */
enum cause { BY_HOST, BY_MODEL_LIMIT, BY_PLAN };

void mapper_init(struct mapper *m, const struct frames *f,
                 const struct heap_config *cfg)
{
    memset(m, 0, offsetof(struct mapper, map_count));
    m->frames = f;
    m->flush = cfg->flush;
    fault_plan_init(&m->fail_map, cfg->fail_map_at, cfg->fail_map_every);
    fault_plan_init(&m->fail_unmap, cfg->fail_unmap_at, cfg->fail_unmap_every);
    map_count_init(&m->map_count, cfg->max_map_count);
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
 * so once, plainly, with the way out. The modelled limit says the same,
 * with its own way out. A fault plan's refusals are only counted. */
static void note_failure(struct mapper *m, const char *what, int err,
                         enum cause why)
{
    stat_add(&m->map_failures, 1);
    if (why == BY_PLAN || err != ENOMEM ||
        __atomic_exchange_n(&m->limit_hit, 1, __ATOMIC_RELAXED))
        return;
    if (why == BY_HOST)
        snprintf(m->limit_msg, sizeof m->limit_msg,
                 "%s failed: the process reached vm.max_map_count (%ld "
                 "mappings); raise it with: sysctl -w "
                 "vm.max_map_count=1048576", what, max_map_count());
    else
        snprintf(m->limit_msg, sizeof m->limit_msg,
                 "%s failed: the process reached vm.max_map_count (%u "
                 "mappings, as the model's max_map_count knob sets it); "
                 "raise it with: --max-map-count N (0: the host's %ld)",
                 what, m->map_count.limit, max_map_count());
}

static uint64_t vpn_of(const struct mapper *m, const void *va)
{
    return (uintptr_t)va >> m->frames->page_shift;
}

/* Asks the modelled limit (when there is one) for a call; 0: go ahead. */
static int ask_limit(struct mapper *m, const void *va, uint32_t nr,
                     uint32_t frame)
{
    if (!m->map_count.limit)
        return 0;
    return map_count_begin(&m->map_count, vpn_of(m, va), nr, frame);
}

static void tell_limit(struct mapper *m, bool done)
{
    if (m->map_count.limit)
        map_count_end(&m->map_count, done);
}

int map_frames(struct mapper *m, void *va, uint32_t frame, uint32_t nr)
{
    const struct frames *f = m->frames;
    size_t len = (size_t)nr << f->page_shift;
    off_t off = (off_t)frame << f->page_shift;
    uint64_t call = __atomic_add_fetch(&m->map_calls, 1, __ATOMIC_RELAXED);
    bool ok;

    if (fault_due(&m->fail_map, call)) {
        stat_add(&m->injected_maps, 1);
        note_failure(m, "mmap", ENOMEM, BY_PLAN);
        return -ENOMEM;
    }
    if (ask_limit(m, va, nr, frame)) {
        note_failure(m, "mmap", ENOMEM, BY_MODEL_LIMIT);
        return -ENOMEM;
    }
    /* Xen's map_pages_to_xen writes the page-table entries there and
     * then; MAP_POPULATE makes Linux do the same instead of faulting them
     * in on first touch. */
    ok = mmap(va, len, PROT_READ | PROT_WRITE,
              MAP_FIXED | MAP_SHARED | MAP_POPULATE, f->memfd, off) != MAP_FAILED;
    if (!ok) {
        int err = errno;

        tell_limit(m, false);
        note_failure(m, "mmap", err, BY_HOST);
        return -err;
    }
    tell_limit(m, true);
    return 0;
}

static int unmap_failed(struct mapper *m, uint32_t nr, int err,
                        enum cause why)
{
    stat_add(&m->unmap_failures, 1);
    stat_add(&m->stale_pages, nr);
    if (why == BY_PLAN)
        stat_add(&m->injected_unmaps, 1);
    note_failure(m, "unmap", err, why);
    return -err;
}

static int unmap_one_call(struct mapper *m, char *va, uint32_t nr, bool flush)
{
    size_t len = (size_t)nr << m->frames->page_shift;
    uint64_t call = __atomic_add_fetch(&m->unmap_calls, 1, __ATOMIC_RELAXED);
    int err;

    if (flush)
        stat_add(&m->flushes, 1);
    if (fault_due(&m->fail_unmap, call))
        return unmap_failed(m, nr, ENOMEM, BY_PLAN);
    if (ask_limit(m, va, nr, NO_FRAME))
        return unmap_failed(m, nr, ENOMEM, BY_MODEL_LIMIT);
    if (mmap(va, len, PROT_NONE,
             MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
             -1, 0) != MAP_FAILED) {
        tell_limit(m, true);
        return 0;
    }
    err = errno;
    tell_limit(m, false);
    return unmap_failed(m, nr, err, BY_HOST);
}

int unmap_range(struct mapper *m, void *va, uint32_t nr, bool flush)
{
    return unmap_one_call(m, va, nr, flush);
}

void mapper_flush(struct mapper *m)
{
    stat_add(&m->flushes, 1);
}

int unmap_pages(struct mapper *m, void *va, uint32_t nr)
{
    size_t page = m->frames->page_size;
    int rc = 0;

    if (m->flush != FLUSH_PER_PAGE)
        return unmap_range(m, va, nr, true);
    for (uint32_t i = 0; i < nr; i++) {
        int err = unmap_one_call(m, (char *)va + i * page, 1, true);

        if (!rc)
            rc = err;
    }
    return rc;
}
