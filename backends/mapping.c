/* Mapping frames in Xen's page tables and on the host. */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "backends/lock.h"
#include "backends/mapping.h"

#define MAX_MAP_COUNT_KNOB "/proc/sys/vm/max_map_count"
/* Raising vm.max_map_count multiplies it by this, up to the ceiling the
 * kernel's int takes. */
#define RAISE_FACTOR    4
#define RAISE_CEILING   0x7fffffffl
/* The environment variable by which a user asks for the raise. A run never
 * changes a system setting unasked (make test and make bench run as root):
 * without it, a run short of host mappings stops and says how to raise
 * the limit. */
#define RAISE_ENV       "XHEAP_RAISE_MAX_MAP_COUNT"
/* ENOMEM within this many mappings of the limit is the limit's doing. */
#define LIMIT_SLACK     16

/* ---- host time by heap call (heap.h) ---- */

__thread unsigned char host_op_now;
static __thread struct heap_host_time host_time;
static uint64_t (*host_clock)(void);

static uint64_t monotonic_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void heap_host_clock(uint64_t (*now)(void))
{
    host_clock = now;
}

void heap_host_time(struct heap_host_time *out)
{
    *out = host_time;
}

const char *host_call_name(enum host_call c)
{
    static const char *const name[HOST_CALL_KINDS] = {
        [HOST_MAP] = "map", [HOST_UNMAP] = "unmap",
        [HOST_PROTECT] = "mprotect",
    };

    return c < HOST_CALL_KINDS ? name[c] : "?";
}

static inline uint64_t host_now(void)
{
    return host_clock ? host_clock() : monotonic_ns();
}

/* Counted where map_calls and unmap_calls are, refused calls included,
 * so that the two tallies agree. */
static inline void host_count(enum host_call c)
{
    host_time.op[host_op_now].calls[c]++;
}

static inline void host_took(uint64_t t0)
{
    host_time.op[host_op_now].ticks += host_now() - t0;
}

/* Why a call failed: the host kernel, the modelled limit, or a plan. */
enum cause { BY_HOST, BY_MODEL_LIMIT, BY_PLAN };

int mapper_init(struct mapper *m, const struct frames *f,
                struct page_alloc *pa, const struct heap_config *cfg)
{
    memset(m, 0, offsetof(struct mapper, map_count));
    m->frames = f;
    m->flush = cfg->flush;
    fault_plan_init(&m->fail_map, cfg->fail_map_at, cfg->fail_map_every);
    fault_plan_init(&m->fail_unmap, cfg->fail_unmap_at, cfg->fail_unmap_every);
    map_count_init(&m->map_count, cfg->max_map_count);
    return pt_init(&m->pt, pa, f, cfg);
}

void mapper_fini(struct mapper *m)
{
    pt_fini(&m->pt);
}

uint64_t model_va(const struct mapper *m, const void *va)
{
    const char *c = va;

    if (in_directmap(m->frames, c))
        return PT_DIRECTMAP_VA + (uint64_t)(c - m->frames->directmap);
    return PT_VMAP_VA + (uint64_t)(c - m->vmap_base);
}

/* ---- the host's vm.max_map_count ---- */

static long read_long(const char *path)
{
    long v = -1;
    FILE *f = fopen(path, "r");

    if (f) {
        if (fscanf(f, "%ld", &v) != 1)
            v = -1;
        fclose(f);
    }
    return v;
}

static bool write_long(const char *path, long v)
{
    FILE *f = fopen(path, "w");
    bool ok;

    if (!f)
        return false;
    ok = fprintf(f, "%ld\n", v) > 0;
    return fclose(f) == 0 && ok;
}

/* The mappings this process holds now (lines of /proc/self/maps). */
static long mappings_now(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    long n = 0;
    int c;

    if (!f)
        return -1;
    while ((c = getc_unlocked(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

/* What this process did to the host's limit, to undo it at exit. */
static struct {
    pthread_mutex_t lock;
    long original, raised;
    bool refused;      /* the knob cannot be written: never ask again */
} host = { PTHREAD_MUTEX_INITIALIZER, -1, -1, false };

static void restore_limit(void)
{
    if (read_long(MAX_MAP_COUNT_KNOB) == host.raised)
        write_long(MAX_MAP_COUNT_KNOB, host.original);
}

/*
 * The host refused a mapping with ENOMEM. When the process is at
 * vm.max_map_count, the user asked for it (XHEAP_RAISE_MAX_MAP_COUNT=1)
 * and the process may write it (root), the limit is raised for the run,
 * said once on stderr, and put back at exit if nobody changed it since.
 * True: try again.
 */
static bool raise_asked(void)
{
    const char *v = getenv(RAISE_ENV);

    return v && strcmp(v, "1") == 0;
}

static bool raise_host_limit(void)
{
    long limit, now, want;
    bool ok = false;

    pthread_mutex_lock(&host.lock);
    if (!host.refused && (!raise_asked() ||
                          access(MAX_MAP_COUNT_KNOB, W_OK) != 0))
        host.refused = true;
    limit = host.refused ? -1 : read_long(MAX_MAP_COUNT_KNOB);
    now = limit > 0 ? mappings_now() : -1;
    if (limit > 0 && now >= limit - LIMIT_SLACK) {
        want = limit > RAISE_CEILING / RAISE_FACTOR ? RAISE_CEILING
                                                    : limit * RAISE_FACTOR;
        ok = want > limit && write_long(MAX_MAP_COUNT_KNOB, want);
        host.refused = !ok;
        if (ok) {
            if (host.original < 0) {
                host.original = limit;
                atexit(restore_limit);
            }
            host.raised = want;
            fprintf(stderr, "xheap: the model needs more than "
                    "vm.max_map_count (%ld) host mappings; raised it to %ld "
                    "for this run (put back to %ld at exit)\n", limit, want,
                    host.original);
        }
    }
    pthread_mutex_unlock(&host.lock);
    return ok;
}

/* The kernel refuses new mappings past vm.max_map_count with ENOMEM. Where
 * the limit was not raised, the run must stop: say so once, plainly, with
 * the way out; Xen has no such limit, so the replay gives no result rather
 * than one with this failure counted (heap_host_limit_short). The modelled limit is a fault knob: its refusals are
 * allocation failures, said with its own way out. A plan's are counted. */
static void note_failure(struct mapper *m, const char *what, int err,
                         enum cause why)
{
    stat_add(&m->map_failures, 1);
    if (why == BY_PLAN || err != ENOMEM)
        return;
    if (why == BY_HOST) {
        if (__atomic_exchange_n(&m->limit_hit, 1, __ATOMIC_RELAXED))
            return;
        snprintf(m->limit_msg, sizeof m->limit_msg,
                 "%s failed: the run needs more host mappings than "
                 "vm.max_map_count (%ld) allows; raise it with: sysctl -w "
                 "vm.max_map_count=1048576 (or, as root, let the run raise "
                 "it: " RAISE_ENV "=1)", what,
                 read_long(MAX_MAP_COUNT_KNOB));
        return;
    }
    if (__atomic_exchange_n(&m->model_limit_hit, 1, __ATOMIC_RELAXED))
        return;
    snprintf(m->limit_msg, sizeof m->limit_msg,
             "%s failed: the process reached vm.max_map_count (%u "
             "mappings, as the model's max_map_count knob sets it); "
             "raise it with: --max-map-count N (0: the host's %ld)",
             what, m->map_count.limit, read_long(MAX_MAP_COUNT_KNOB));
}

/* ---- host calls ---- */

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

/* One mmap, retried once the host's limit is raised. 0 or errno. */
static int host_mmap(void *va, size_t len, int prot, int flags, int fd,
                     off_t off)
{
    int tries = 2, err = 0;
    uint64_t t0 = host_now();

    while (tries--) {
        if (mmap(va, len, prot, MAP_FIXED | flags, fd, off) != MAP_FAILED) {
            err = 0;
            break;
        }
        err = errno;
        if (err != ENOMEM || !tries || !raise_host_limit())
            break;
    }
    host_took(t0);
    return err;
}

static int host_map(struct mapper *m, void *va, uint32_t frame, uint32_t nr)
{
    const struct frames *f = m->frames;
    uint64_t call = __atomic_add_fetch(&m->map_calls, 1, __ATOMIC_RELAXED);
    int err;

    host_count(HOST_MAP);
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
    err = host_mmap(va, (size_t)nr << f->page_shift, PROT_READ | PROT_WRITE,
                    MAP_SHARED | MAP_POPULATE, f->memfd,
                    (off_t)frame << f->page_shift);
    tell_limit(m, !err);
    if (err) {
        note_failure(m, "mmap", err, BY_HOST);
        return -err;
    }
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

static int host_unmap(struct mapper *m, char *va, uint32_t nr)
{
    uint64_t call = __atomic_add_fetch(&m->unmap_calls, 1, __ATOMIC_RELAXED);
    int err;

    host_count(HOST_UNMAP);
    if (fault_due(&m->fail_unmap, call))
        return unmap_failed(m, nr, ENOMEM, BY_PLAN);
    if (ask_limit(m, va, nr, NO_FRAME))
        return unmap_failed(m, nr, ENOMEM, BY_MODEL_LIMIT);
    err = host_mmap(va, (size_t)nr << m->frames->page_shift, PROT_NONE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    tell_limit(m, !err);
    return err ? unmap_failed(m, nr, err, BY_HOST) : 0;
}

/* Takes back a host mapping the model refused, counting nothing. */
static void host_take_back(struct mapper *m, void *va, uint32_t nr)
{
    mmap(va, (size_t)nr << m->frames->page_shift, PROT_NONE,
         MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
}

/* ---- Xen's calls ---- */

int map_frames(struct mapper *m, void *va, uint32_t frame, uint32_t nr)
{
    int rc = host_map(m, va, frame, nr);

    if (rc)
        return rc;
    if (pt_map(&m->pt, model_va(m, va), frame, nr) == 0)
        return 0;
    /* No frame left for a page table: Xen's map fails here. The entries
     * written so far go too, so that no caller unwinds half a mapping. */
    pt_forget(&m->pt, model_va(m, va), nr);
    host_take_back(m, va, nr);
    return -ENOMEM;
}

int unmap_pages(struct mapper *m, void *va, uint32_t nr)
{
    return unmap_pages_some(m, va, nr, nr);
}

int unmap_pages_some(struct mapper *m, void *va, uint32_t nr,
                     uint32_t mapped)
{
    size_t page = m->frames->page_size;
    int rc = 0;

    pt_unmap(&m->pt, model_va(m, va), nr);
    if (m->flush == FLUSH_LAZY)          /* not a lazy area: flush now */
        pt_lazy_flush(&m->pt, nr);
    if (!mapped)
        return 0;
    if (m->flush != FLUSH_PER_PAGE)
        return host_unmap(m, va, mapped);
    for (uint32_t i = 0; i < mapped; i++) {
        int err = host_unmap(m, (char *)va + i * page, 1);

        if (!rc)
            rc = err;
    }
    return rc;
}

void clear_pages(struct mapper *m, void *va, uint32_t nr)
{
    uint64_t t0;

    pt_unmap(&m->pt, model_va(m, va), nr);
    /* Linux clears the entries without a flush; the host cannot, so its
     * mprotect flushes, but the range stays reserved until the purge. A
     * refusal leaves the frames reachable there until then (stale), which
     * nothing reads: the replay never touches a freed block. */
    host_count(HOST_PROTECT);
    __atomic_add_fetch(&m->protect_calls, 1, __ATOMIC_RELAXED);
    t0 = host_now();
    if (mprotect(va, (size_t)nr << m->frames->page_shift, PROT_NONE) != 0)
        stat_add(&m->stale_pages, nr);
    host_took(t0);
}

int unmap_host(struct mapper *m, void *va, uint32_t nr)
{
    return host_unmap(m, va, nr);
}

void mapper_lazy_flush(struct mapper *m, uint64_t span_pages)
{
    pt_lazy_flush(&m->pt, span_pages);
}

uint32_t lookup_frame(struct mapper *m, const void *va)
{
    return pt_lookup(&m->pt, model_va(m, va));
}
