/* Topology, pinning plans, the start barrier and flush peers (threads.h). */
#include "drivers/measure/threads.h"
#include "drivers/measure/clock.h"
#include "backends/names.h"

#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <hwloc.h>

/* A flush peer's buffer: a few pages written one cache line at a time, so
 * the peer keeps its own TLB entries and cache lines busy. */
#define PEER_BUFFER_BYTES (16u << 10)
#define PEER_STRIDE       64u

struct topology {
    hwloc_topology_t hw;
    unsigned packages, cores, pus;
    struct cpu_place *pu;     /* every PU, in logical (compact) order */
    unsigned *smt;            /* PU i's rank among its core's PUs */
    unsigned *core_rank;      /* PU i's core's rank within its package */
};

static const char *const pin_names[] = {
    [PIN_NONE] = "none", [PIN_COMPACT] = "compact", [PIN_SCATTER] = "scatter",
};

const char *pin_mode_name(enum pin_mode m)
{
    return names_of(pin_names, NAMES_COUNT(pin_names), m);
}

int pin_mode_parse(const char *s, enum pin_mode *out)
{
    return NAMES_PARSE(pin_names, s, out);
}

/* ---- topology ------------------------------------------------------- */

static int logical_of(hwloc_topology_t hw, hwloc_obj_t pu, hwloc_obj_type_t type)
{
    hwloc_obj_t o = hwloc_get_ancestor_obj_by_type(hw, type, pu);

    return o ? (int)o->logical_index : -1;
}

/* Places every PU; a machine without cores or packages in hwloc's view
 * (some VMs, some Arm boards) counts each PU as a core, one package. */
static void place_pus(struct topology *t)
{
    int last_core = -2, last_pkg = -2;
    unsigned smt = 0, core_rank = 0;

    for (unsigned i = 0; i < t->pus; i++) {
        hwloc_obj_t pu = hwloc_get_obj_by_type(t->hw, HWLOC_OBJ_PU, i);
        int core = logical_of(t->hw, pu, HWLOC_OBJ_CORE);
        int pkg = logical_of(t->hw, pu, HWLOC_OBJ_PACKAGE);

        if (core < 0)
            core = (int)i;
        if (pkg < 0)
            pkg = 0;
        if (pkg != last_pkg)
            core_rank = 0;
        else if (core != last_core)
            core_rank++;
        smt = core == last_core ? smt + 1 : 0;
        t->pu[i] = (struct cpu_place){ (int)pu->os_index, core, pkg };
        t->smt[i] = smt;
        t->core_rank[i] = core_rank;
        last_core = core;
        last_pkg = pkg;
    }
}

struct topology *topology_load(char *why, size_t len)
{
    struct topology *t = calloc(1, sizeof(*t));
    int n;

    if (!t) {
        snprintf(why, len, "out of memory");
        return NULL;
    }
    if (hwloc_topology_init(&t->hw) != 0) {
        snprintf(why, len, "hwloc cannot start");
        free(t);
        return NULL;
    }
    if (hwloc_topology_load(t->hw) != 0) {
        snprintf(why, len, "hwloc cannot read the topology");
        goto fail;
    }
    n = hwloc_get_nbobjs_by_type(t->hw, HWLOC_OBJ_PU);
    if (n <= 0) {
        snprintf(why, len, "hwloc finds no CPU");
        goto fail;
    }
    t->pus = (unsigned)n;
    n = hwloc_get_nbobjs_by_type(t->hw, HWLOC_OBJ_CORE);
    t->cores = n > 0 ? (unsigned)n : t->pus;
    n = hwloc_get_nbobjs_by_type(t->hw, HWLOC_OBJ_PACKAGE);
    t->packages = n > 0 ? (unsigned)n : 1;
    t->pu = calloc(t->pus, sizeof(*t->pu));
    t->smt = calloc(t->pus, sizeof(*t->smt));
    t->core_rank = calloc(t->pus, sizeof(*t->core_rank));
    if (!t->pu || !t->smt || !t->core_rank) {
        snprintf(why, len, "out of memory");
        goto fail;
    }
    place_pus(t);
    return t;
fail:
    topology_free(t);
    return NULL;
}

void topology_free(struct topology *t)
{
    if (!t)
        return;
    hwloc_topology_destroy(t->hw);
    free(t->pu);
    free(t->smt);
    free(t->core_rank);
    free(t);
}

/* ---- plans ---------------------------------------------------------- */

void thread_plan_note(struct thread_plan *p, const char *fmt, ...)
{
    va_list ap;

    if (p->n_notes == PLAN_NOTES)
        return;
    va_start(ap, fmt);
    vsnprintf(p->note[p->n_notes++], PLAN_NOTE_LEN, fmt, ap);
    va_end(ap);
}

/* Scatter's key: hyperthread rank, then core rank, then package. */
static int scatter_cmp(const void *a, const void *b, void *arg)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    const struct topology *t = arg;

    if (t->smt[x] != t->smt[y])
        return t->smt[x] < t->smt[y] ? -1 : 1;
    if (t->core_rank[x] != t->core_rank[y])
        return t->core_rank[x] < t->core_rank[y] ? -1 : 1;
    if (t->pu[x].package != t->pu[y].package)
        return t->pu[x].package < t->pu[y].package ? -1 : 1;
    return (x > y) - (x < y);
}

/* PU indexes in the order threads take them. */
static void pu_order(const struct topology *t, enum pin_mode pin,
                     unsigned *order)
{
    for (unsigned i = 0; i < t->pus; i++)
        order[i] = i;
    if (pin == PIN_SCATTER)
        qsort_r(order, t->pus, sizeof(*order), scatter_cmp, (void *)t);
}

/*
 * Peers go, in this order of preference, to: PUs of cores that run no
 * replay thread, PUs that run none, then any PU (shared, noted). Within
 * each, the pinning order from where the replay threads stopped. With
 * --pin none the replay threads could be anywhere: peers take the last
 * PUs of the compact order.
 */
static void plan_peers(const struct topology *t, struct thread_plan *p,
                       const unsigned *order)
{
    unsigned *pick = malloc(t->pus * sizeof(*pick)), n = 0;
    bool *pu_busy = calloc(t->pus, sizeof(bool));
    bool *core_busy = calloc(t->pus + t->cores, sizeof(bool));
    unsigned start = p->pin == PIN_NONE ? 0 : p->n_replay % t->pus;

    if (!pick || !pu_busy || !core_busy)
        goto out;
    for (unsigned i = 0; p->pin != PIN_NONE && i < p->n_replay && i < t->pus;
         i++) {
        pu_busy[order[i]] = true;
        core_busy[t->pu[order[i]].core] = true;
    }
    for (int pass = 0; pass < 2; pass++)
        for (unsigned k = 0; k < t->pus; k++) {
            unsigned i = p->pin == PIN_NONE ? order[t->pus - 1 - k]
                                            : order[(start + k) % t->pus];

            if (pu_busy[i] || (pass == 0 && core_busy[t->pu[i].core]))
                continue;
            pick[n++] = i;
            pu_busy[i] = true;
        }
    if (p->n_peers > n)
        thread_plan_note(p, "%u flush peers for %u free CPUs: %s (and "
                         "yield to them)", p->n_peers, n,
                         n ? "the rest share replay threads' CPUs"
                           : "they share the replay threads' CPUs");
    for (unsigned k = 0; k < p->n_peers; k++)
        p->peers[k] = t->pu[k < n ? pick[k] : order[(k - n) % t->pus]];
out:
    free(pick);
    free(pu_busy);
    free(core_busy);
}

int thread_plan_make(const struct topology *t, enum pin_mode pin,
                     unsigned threads, unsigned peers, struct thread_plan *p)
{
    unsigned *order = malloc(t->pus * sizeof(*order));
    static const struct cpu_place unbound = { -1, -1, -1 };

    memset(p, 0, sizeof(*p));
    p->pin = pin;
    p->packages = t->packages;
    p->cores = t->cores;
    p->pus = t->pus;
    p->n_replay = threads;
    p->n_peers = peers;
    p->replay = calloc(threads, sizeof(*p->replay));
    p->peers = calloc(peers ? peers : 1, sizeof(*p->peers));
    if (!order || !p->replay || !p->peers) {
        free(order);
        thread_plan_free(p);
        return -1;
    }
    pu_order(t, pin == PIN_NONE ? PIN_COMPACT : pin, order);
    for (unsigned i = 0; i < threads; i++)
        p->replay[i] = pin == PIN_NONE ? unbound : t->pu[order[i % t->pus]];
    if (threads > t->pus)
        thread_plan_note(p, "%u replay threads on %u CPUs: threads share CPUs%s",
                         threads, t->pus,
                         pin == PIN_NONE ? "" : " (bound round-robin)");
    if (peers)
        plan_peers(t, p, order);
    if (peers && pin == PIN_NONE)
        thread_plan_note(p, "replay threads are not bound (--pin none); "
                         "flush peers are bound to the last CPUs");
    free(order);
    return 0;
}

void thread_plan_free(struct thread_plan *p)
{
    free(p->replay);
    free(p->peers);
    p->replay = p->peers = NULL;
}

/* ---- binding -------------------------------------------------------- */

int topology_bind_self(struct topology *t, const struct cpu_place *place)
{
    hwloc_bitmap_t set;
    int rc;

    if (place->pu < 0)
        return 0;
    set = hwloc_bitmap_alloc();
    if (!set)
        return -1;
    hwloc_bitmap_only(set, (unsigned)place->pu);
    rc = hwloc_set_cpubind(t->hw, set, HWLOC_CPUBIND_THREAD);
    hwloc_bitmap_free(set);
    return rc;
}

struct saved_binding {
    hwloc_bitmap_t set;
};

unsigned affinity_cpus(void)
{
    cpu_set_t set;
    long n;

    if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
        return (unsigned)CPU_COUNT(&set);
    n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

struct saved_binding *binding_save(struct topology *t)
{
    struct saved_binding *s = malloc(sizeof(*s));

    if (!s)
        return NULL;
    s->set = hwloc_bitmap_alloc();
    if (!s->set || hwloc_get_cpubind(t->hw, s->set, HWLOC_CPUBIND_THREAD)) {
        hwloc_bitmap_free(s->set);
        free(s);
        return NULL;
    }
    return s;
}

void binding_restore(struct topology *t, struct saved_binding *s)
{
    if (!s)
        return;
    hwloc_set_cpubind(t->hw, s->set, HWLOC_CPUBIND_THREAD);
    hwloc_bitmap_free(s->set);
    free(s);
}

/* ---- the barrier ---------------------------------------------------- */

static void futex_wait(unsigned *addr, unsigned val)
{
    syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake_all(unsigned *addr)
{
    syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

void spin_barrier_init(struct spin_barrier *b, unsigned n)
{
    memset(b, 0, sizeof(*b));
    b->n = n;
}

/*
 * The last to arrive resets the count, then opens the next phase; the
 * others cannot arrive again before they have seen it. A waiter spins,
 * yields, then sleeps: idle threads must not take the CPU from working
 * ones when threads outnumber CPUs. Sleepers wait on the wake count, read
 * before they last looked at the phase and at rousing: whoever changes
 * either bumps the count afterwards, so no wake-up is lost. Everything here
 * is sequentially consistent for that reason.
 */
static void barrier_sleep(struct spin_barrier *b, unsigned phase)
{
    unsigned seen = __atomic_load_n(&b->wakes, __ATOMIC_SEQ_CST);

    __atomic_add_fetch(&b->sleeping, 1, __ATOMIC_SEQ_CST);
    if (!__atomic_load_n(&b->rousing, __ATOMIC_SEQ_CST) &&
        __atomic_load_n(&b->phase, __ATOMIC_SEQ_CST) == phase)
        futex_wait(&b->wakes, seen);
    __atomic_sub_fetch(&b->sleeping, 1, __ATOMIC_SEQ_CST);
}

static void wake_sleepers(struct spin_barrier *b)
{
    __atomic_add_fetch(&b->wakes, 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&b->sleeping, __ATOMIC_SEQ_CST))
        futex_wake_all(&b->wakes);
}

void spin_barrier_wait(struct spin_barrier *b)
{
    unsigned phase = __atomic_load_n(&b->phase, __ATOMIC_SEQ_CST);
    unsigned spins = 0;
    uint64_t until = 0;

    if (__atomic_add_fetch(&b->arrived, 1, __ATOMIC_SEQ_CST) ==
        __atomic_load_n(&b->n, __ATOMIC_RELAXED)) {
        __atomic_store_n(&b->arrived, 0, __ATOMIC_SEQ_CST);
        __atomic_store_n(&b->rousing, 0, __ATOMIC_SEQ_CST);
        __atomic_store_n(&b->phase, phase + 1, __ATOMIC_SEQ_CST);
        wake_sleepers(b);
        return;
    }
    while (__atomic_load_n(&b->phase, __ATOMIC_ACQUIRE) == phase) {
        if (spins < SPIN_BEFORE_YIELD) {
            spin_wait_step(&spins);
            continue;
        }
        if (!until)
            until = clock_ns() + YIELD_NS_BEFORE_SLEEP;
        if (clock_ns() < until ||
            __atomic_load_n(&b->rousing, __ATOMIC_SEQ_CST)) {
            sched_yield();
            continue;
        }
        barrier_sleep(b, phase);
        spins = 0;
        until = 0;
    }
}

/* Nobody sleeps again until the barrier opens; then wait for the
 * sleepers to be up. */
void spin_barrier_rouse(struct spin_barrier *b)
{
    unsigned spins = 0;

    __atomic_store_n(&b->rousing, 1, __ATOMIC_SEQ_CST);
    wake_sleepers(b);
    while (__atomic_load_n(&b->sleeping, __ATOMIC_SEQ_CST))
        spin_wait_step(&spins);
}

/* ---- flush peers ---------------------------------------------------- */

struct peer {
    pthread_t tid;
    struct flush_peers *fp;
    struct cpu_place place;
    unsigned char *buf;
    uint64_t rounds;
    bool unbound;
    bool polite;      /* shares a replay thread's CPU: yields each round */
};

struct flush_peers {
    struct topology *t;
    unsigned n;
    int stop;
    struct peer *peer;
};

static void *peer_main(void *arg)
{
    struct peer *pe = arg;
    volatile unsigned char *b = pe->buf;

    pe->unbound = topology_bind_self(pe->fp->t, &pe->place) != 0;
    while (!__atomic_load_n(&pe->fp->stop, __ATOMIC_RELAXED)) {
        for (unsigned off = 0; off < PEER_BUFFER_BYTES; off += PEER_STRIDE)
            b[off] = (unsigned char)(b[off] + 1);
        pe->rounds++;
        if (pe->polite)
            sched_yield();
    }
    return NULL;
}

/* A peer on a replay thread's CPU flushes nothing that CPU would not;
 * it only takes its time, so it gives way. */
static bool shares_replay_cpu(const struct thread_plan *p, int pu)
{
    for (unsigned i = 0; i < p->n_replay; i++)
        if (p->replay[i].pu == pu)
            return true;
    return false;
}

struct flush_peers *flush_peers_start(struct topology *t,
                                      const struct thread_plan *p,
                                      char *why, size_t len)
{
    struct flush_peers *fp;

    if (p->n_peers == 0)
        return NULL;
    fp = calloc(1, sizeof(*fp));
    if (!fp || !(fp->peer = calloc(p->n_peers, sizeof(*fp->peer)))) {
        free(fp);
        snprintf(why, len, "out of memory for flush peers");
        return NULL;
    }
    fp->t = t;
    for (; fp->n < p->n_peers; fp->n++) {
        struct peer *pe = &fp->peer[fp->n];

        pe->fp = fp;
        pe->place = p->peers[fp->n];
        pe->polite = shares_replay_cpu(p, pe->place.pu);
        pe->buf = mmap(NULL, PEER_BUFFER_BYTES, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (pe->buf == MAP_FAILED ||
            pthread_create(&pe->tid, NULL, peer_main, pe) != 0) {
            if (pe->buf != MAP_FAILED)
                munmap(pe->buf, PEER_BUFFER_BYTES);
            snprintf(why, len, "cannot start flush peer %u", fp->n);
            flush_peers_stop(fp, NULL);
            return NULL;
        }
    }
    return fp;
}

uint64_t flush_peers_stop(struct flush_peers *fp, unsigned *unbound)
{
    uint64_t rounds = 0;

    if (unbound)
        *unbound = 0;
    if (!fp)
        return 0;
    __atomic_store_n(&fp->stop, 1, __ATOMIC_RELAXED);
    for (unsigned i = 0; i < fp->n; i++) {
        pthread_join(fp->peer[i].tid, NULL);
        munmap(fp->peer[i].buf, PEER_BUFFER_BYTES);
        rounds += fp->peer[i].rounds;
        if (unbound)
            *unbound += fp->peer[i].unbound;
    }
    free(fp->peer);
    free(fp);
    return rounds;
}
