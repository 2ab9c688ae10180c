/*
 * xheap calibrate's measurements (measurement.md, "Measuring the units").
 *
 * Each unit is a median over samples, each sample a batch of operations
 * timed with CLOCK_MONOTONIC and divided by its length, so that the
 * clock's own cost and resolution vanish in the batch. The spread is the
 * samples' MAD. Everything but the cross-CPU round trip takes well under
 * a second; the round trip may wait for its peers up to its budget
 * (IPI_BUDGET_NS_*), so --quick stays under about 2.5 s, the default 16 s.
 */
#include <linux/membarrier.h>
#include <math.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "drivers/measure/calibrate.h"
#include "drivers/measure/kvm_probe.h"
#include "drivers/measure/stats.h"
#include "drivers/measure/threads.h"
#include "drivers/measure/timer.h"

/* Samples per unit and operations per sample, quick and default. */
#define SAMPLES_QUICK        11
#define SAMPLES_FULL         41
#define SYSCALL_BATCH_QUICK  200
#define SYSCALL_BATCH_FULL   1000
/* membarrier costs microseconds: a shorter batch keeps 64 points bounded. */
#define MEMBARRIER_BATCH_QUICK 50
#define MEMBARRIER_BATCH_FULL  200
/* Entries written per sample: a table of 512, 64 tables (256 KiB, L2-warm
 * as the tables a walker has just walked). */
#define PTES_PER_TABLE       512
#define PTE_TABLES           64
/* Frames zeroed per sample, cycling through 4 MiB so that a frame is not
 * still in cache from the last time, as a fresh page-table frame is not. */
#define FRAME_BYTES          4096
#define FRAME_POOL           1024
#define FRAMES_PER_SAMPLE    64
/* How long peers spin before the first sample, so that they are running
 * on their CPUs (membarrier interrupts only CPUs running our threads). */
#define PEER_SETTLE_NS       (5 * 1000 * 1000)
/* Past this many other CPUs only some counts are measured (doubling),
 * the rest read from the fitted line. */
#define POINTS_EVERY_UPTO    8
#define KVM_DEVICE           "/dev/kvm"
#define CPUINFO              "/proc/cpuinfo"
#define PTE_FLAGS            0x63ull   /* present, rw, accessed, dirty */

static void set_measured(struct calib_value *v, double *x, unsigned n,
                         const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void set_measured(struct calib_value *v, double *x, unsigned n,
                         const char *fmt, ...)
{
    va_list ap;
    int k;

    v->known = n > 0;
    v->value = stats_median(x, n);
    v->spread = stats_mad(x, n);
    v->n = n;
    k = snprintf(v->source, sizeof v->source, "measured: ");
    va_start(ap, fmt);
    vsnprintf(v->source + k, sizeof v->source - (size_t)k, fmt, ap);
    va_end(ap);
}

static double null_syscall_batch(unsigned batch)
{
    uint64_t t = clock_ns();

    for (unsigned i = 0; i < batch; i++)
        syscall(SYS_getppid);
    return (double)(clock_ns() - t) / batch;
}

static void measure_null_syscall(struct calibration *c, bool quick)
{
    unsigned n = quick ? SAMPLES_QUICK : SAMPLES_FULL;
    unsigned batch = quick ? SYSCALL_BATCH_QUICK : SYSCALL_BATCH_FULL;
    double x[SAMPLES_FULL];

    null_syscall_batch(batch);   /* warm */
    for (unsigned i = 0; i < n; i++)
        x[i] = null_syscall_batch(batch);
    set_measured(&c->unit[CU_NULL_SYSCALL], x, n, "syscall(SYS_getppid), "
                 "batches of %u", batch);
}

/* Stores as l1e_write makes them: one 8-byte write per entry, in order. */
static void measure_pte_write(struct calibration *c, bool quick)
{
    unsigned n = quick ? SAMPLES_QUICK : SAMPLES_FULL;
    size_t len = (size_t)PTE_TABLES * PTES_PER_TABLE * sizeof(uint64_t);
    volatile uint64_t *pt = aligned_alloc(FRAME_BYTES, len);
    double x[SAMPLES_FULL];
    uint64_t frame = 0x12345;

    if (!pt) {
        snprintf(c->unit[CU_PTE_WRITE].source, CALIB_SOURCE, "not measured: "
                 "out of memory");
        return;
    }
    for (unsigned s = 0; s <= n; s++) {
        uint64_t t = clock_ns();

        for (size_t i = 0; i < (size_t)PTE_TABLES * PTES_PER_TABLE; i++)
            pt[i] = (frame + i) << 12 | PTE_FLAGS;
        if (s > 0)   /* the first pass warms the tables */
            x[s - 1] = (double)(clock_ns() - t) /
                       (PTE_TABLES * PTES_PER_TABLE);
        frame += PTE_TABLES * PTES_PER_TABLE;
    }
    free((void *)pt);
    set_measured(&c->unit[CU_PTE_WRITE], x, n, "8-byte stores of x86 L1 "
                 "entries, %d tables of %d per sample", PTE_TABLES,
                 PTES_PER_TABLE);
}

static void measure_pt_frame(struct calibration *c, bool quick)
{
    unsigned n = quick ? SAMPLES_QUICK : SAMPLES_FULL;
    size_t len = (size_t)FRAME_POOL * FRAME_BYTES;
    unsigned char *pool = mmap(NULL, len, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
                               -1, 0);
    double x[SAMPLES_FULL];
    unsigned next = 0;

    if (pool == MAP_FAILED) {
        snprintf(c->unit[CU_PT_FRAME].source, CALIB_SOURCE, "not measured: "
                 "cannot map %zu bytes", len);
        return;
    }
    memset(pool, 1, len);
    for (unsigned s = 0; s < n; s++) {
        uint64_t t = clock_ns();

        for (unsigned i = 0; i < FRAMES_PER_SAMPLE; i++) {
            memset(pool + (size_t)next * FRAME_BYTES, 0, FRAME_BYTES);
            next = (next + 1) % FRAME_POOL;
        }
        __asm__ __volatile__("" : : "r"(pool) : "memory");
        x[s] = (double)(clock_ns() - t) / FRAMES_PER_SAMPLE;
    }
    munmap(pool, len);
    set_measured(&c->unit[CU_PT_FRAME], x, n, "memset of a 4K frame, "
                 "cycling through %d KiB (Xen's clear_page uses "
                 "non-temporal stores on x86)", FRAME_POOL * FRAME_BYTES / 1024);
}

/* ---- cross-CPU flush round trip ------------------------------------ */

static int membarrier(int cmd)
{
    return (int)syscall(SYS_membarrier, cmd, 0, 0);
}

/*
 * membarrier interrupts only the CPUs that run one of our threads at that
 * instant: on a busy machine a peer that lost its CPU gets no IPI and the
 * call comes cheap. Each sample therefore checks, in /proc/interrupts'
 * "Function call interrupts", that every peer's CPU took at least
 * IPI_DELIVERED of the calls, and is refused otherwise.
 */
#define IPI_DELIVERED       0.9
#define INTERRUPTS          "/proc/interrupts"
#define IPI_LINE            "Function call interrupts"
/* How long the refused samples may go on, all points together, before a
 * point is given up as unmeasurable: on a busy machine a peer holds its
 * CPU only part of the time, and the samples wait for those parts. */
#define IPI_BUDGET_NS_QUICK (2000ull * 1000 * 1000)
#define IPI_BUDGET_NS_FULL  (15000ull * 1000 * 1000)

struct ipi_counter {
    unsigned n_cols;
    int *col_cpu;          /* /proc/interrupts column -> CPU number */
    uint64_t *count;       /* by CPU number, up to max_cpu */
    unsigned max_cpu;
};

/* Reads every CPU's function-call IPIs so far; -1 where there is no such
 * line (then samples cannot be checked, and the point says so). */
static int ipi_read(struct ipi_counter *ic)
{
    FILE *f = fopen(INTERRUPTS, "r");
    char line[16384];
    int rc = -1;

    if (!f)
        return -1;
    if (!ic->col_cpu && fgets(line, sizeof line, f)) {
        char *save, *tok;

        ic->col_cpu = calloc(sizeof line / 4, sizeof(int));
        for (tok = strtok_r(line, " \t\n", &save); tok && ic->col_cpu;
             tok = strtok_r(NULL, " \t\n", &save))
            if (sscanf(tok, "CPU%d", &ic->col_cpu[ic->n_cols]) == 1)
                ic->n_cols++;
    } else if (!fgets(line, sizeof line, f)) {
        line[0] = '\0';
    }
    while (ic->col_cpu && fgets(line, sizeof line, f)) {
        char *p = strchr(line, ':');

        if (!p || !strstr(line, IPI_LINE))
            continue;
        p++;
        for (unsigned c = 0; c < ic->n_cols; c++) {
            char *end;
            unsigned long long v = strtoull(p, &end, 10);
            int cpu = ic->col_cpu[c];

            if (end == p)
                break;
            if (cpu >= 0 && (unsigned)cpu < ic->max_cpu)
                ic->count[cpu] = v;
            p = end;
        }
        rc = 0;
        break;
    }
    fclose(f);
    return rc;
}

/* The smallest share of BATCH calls any peer CPU took. */
static double ipi_share(const uint64_t *before, const uint64_t *after,
                        const struct thread_plan *plan, unsigned batch)
{
    double least = INFINITY;

    for (unsigned i = 0; i < plan->n_peers; i++) {
        int cpu = plan->peers[i].pu;
        double got = (double)(after[cpu] - before[cpu]) / batch;

        if (got < least)
            least = got;
    }
    return least;
}

/* One sample: a batch of membarriers less a batch of null system calls,
 * per call, run back to back so that both see the same machine. */
static double round_trip_sample(unsigned batch)
{
    uint64_t t = clock_ns();
    double mb;

    for (unsigned i = 0; i < batch; i++)
        membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED);
    mb = (double)(clock_ns() - t) / batch;
    return mb - null_syscall_batch(batch);
}

/* Samples with the peers running; how many were refused, the least share
 * seen. Returns the samples kept. */
static unsigned checked_samples(const struct thread_plan *plan, unsigned n,
                                unsigned batch, uint64_t deadline, double *x,
                                unsigned *refused, bool *checked, double *worst)
{
    struct ipi_counter ic = { 0 };
    unsigned kept = 0;
    uint64_t *before;

    ic.max_cpu = 0;
    for (unsigned i = 0; i < plan->n_peers; i++)
        if ((unsigned)plan->peers[i].pu + 1 > ic.max_cpu)
            ic.max_cpu = (unsigned)plan->peers[i].pu + 1;
    ic.count = calloc(ic.max_cpu, sizeof(uint64_t));
    before = calloc(ic.max_cpu, sizeof(uint64_t));
    *checked = ic.count && before && ipi_read(&ic) == 0;
    *refused = 0;
    *worst = INFINITY;
    /* Without refusals the n samples come at once; with, until DEADLINE. */
    while (kept < n && (*refused == 0 || clock_ns() < deadline)) {
        double v, share;

        if (*checked)
            memcpy(before, ic.count, ic.max_cpu * sizeof(uint64_t));
        v = round_trip_sample(batch);
        if (*checked && ipi_read(&ic) == 0) {
            share = ipi_share(before, ic.count, plan, batch);
            if (share < *worst)
                *worst = share;
            if (share < IPI_DELIVERED) {
                ++*refused;
                continue;
            }
        }
        x[kept++] = v;
    }
    free(ic.col_cpu);
    free(ic.count);
    free(before);
    return kept;
}

/*
 * The round trip with TARGETS peers spinning on other CPUs, the calling
 * thread bound to a CPU of its own. 0, or -1 with WHY.
 */
static int measure_point(struct topology *t, unsigned targets, bool quick,
                         uint64_t deadline, struct calib_point *pt,
                         char *why, size_t len)
{
    unsigned n = quick ? SAMPLES_QUICK : SAMPLES_FULL;
    unsigned batch = quick ? MEMBARRIER_BATCH_QUICK : MEMBARRIER_BATCH_FULL;
    struct saved_binding *saved = binding_save(t);
    struct thread_plan plan;
    struct flush_peers *fp;
    double x[SAMPLES_FULL], worst;
    unsigned unbound = 0, refused, kept;
    bool checked;
    uint64_t t0;

    if (thread_plan_make(t, PIN_COMPACT, 1, targets, &plan)) {
        snprintf(why, len, "out of memory");
        binding_restore(t, saved);
        return -1;
    }
    topology_bind_self(t, &plan.replay[0]);
    fp = flush_peers_start(t, &plan, why, len);
    if (!fp) {
        thread_plan_free(&plan);
        binding_restore(t, saved);
        return -1;
    }
    for (t0 = clock_ns(); clock_ns() - t0 < PEER_SETTLE_NS;)
        round_trip_sample(1);
    kept = checked_samples(&plan, n, batch, deadline, x, &refused, &checked,
                           &worst);
    flush_peers_stop(fp, &unbound);
    pt->targets = targets;
    if (kept == 0) {
        pt->v.known = false;
        pt->v.value = pt->v.spread = NAN;
        snprintf(pt->v.source, CALIB_SOURCE, "not measured: the peers "
                 "were not running on their CPUs (at best %.0f%% of the "
                 "membarrier calls interrupted every one, %u samples "
                 "refused): the machine is busy", 100 * worst, refused);
    } else {
        set_measured(&pt->v, x, kept, "membarrier(PRIVATE_EXPEDITED) with "
                     "%u peer thread%s pinned on other CPUs (hwloc), minus "
                     "getppid; batches of %u; %s, %u refused%s", targets,
                     targets == 1 ? "" : "s", batch,
                     checked ? "each sample checked in /proc/interrupts"
                             : "IPIs not checked (no /proc/interrupts line)",
                     refused, unbound ? "; some peers could not be bound" : "");
    }
    thread_plan_free(&plan);
    binding_restore(t, saved);
    return 0;
}

/* Which counts of other CPUs to measure: all up to POINTS_EVERY_UPTO,
 * then doubling, and always the largest. */
static unsigned next_count(unsigned k, unsigned others)
{
    unsigned next = k < POINTS_EVERY_UPTO ? k + 1 : k * 2;

    return next > others && k < others ? others : next;
}

/*
 * CPUs this process may run on: hwloc's (the cgroup's), fewer when the
 * affinity mask (taskset) allows fewer. At least 1.
 */
static unsigned usable_cpus(const struct topology *t)
{
    struct thread_plan p;
    unsigned n = 1;
    cpu_set_t set;

    if (thread_plan_make(t, PIN_COMPACT, 1, 0, &p) == 0) {
        n = p.pus;
        thread_plan_free(&p);
    }
    if (sched_getaffinity(0, sizeof set, &set) == 0 &&
        (unsigned)CPU_COUNT(&set) < n)
        n = (unsigned)CPU_COUNT(&set);
    return n ? n : 1;
}

static void measure_flush_ipi(struct calibration *c, bool quick, FILE *log)
{
    struct calib_value *u = &c->unit[CU_FLUSH_IPI];
    struct topology *t;
    unsigned others;
    uint64_t deadline;
    char why[256];

    if (membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED)) {
        snprintf(u->source, CALIB_SOURCE, "not measured: membarrier "
                 "registration refused (%m): the kernel lacks "
                 "MEMBARRIER_CMD_PRIVATE_EXPEDITED");
        return;
    }
    deadline = clock_ns() + (quick ? IPI_BUDGET_NS_QUICK : IPI_BUDGET_NS_FULL);
    t = topology_load(why, sizeof why);
    if (!t) {
        snprintf(u->source, CALIB_SOURCE, "not measured: %s", why);
        return;
    }
    others = usable_cpus(t) - 1;
    if (others == 0)
        snprintf(u->source, CALIB_SOURCE, "not measured: this process may "
                 "run on 1 CPU only, so there is no other CPU to interrupt");
    for (unsigned k = 1; k <= others && c->n_points < CALIB_MAX_POINTS;
         k = next_count(k, others)) {
        struct calib_point *pt = &c->point[c->n_points];

        uint64_t left = deadline > clock_ns() ? deadline - clock_ns() : 0;

        /* each point may spend its share of what is left */
        if (measure_point(t, k, quick, clock_ns() + left / (others - k + 1),
                          pt, why, sizeof why)) {
            snprintf(u->source, CALIB_SOURCE, "not measured: %s", why);
            break;
        }
        if (log)
            fprintf(log, "calibrate: flush round trip to %u other CPU%s: "
                    "%.0f ns (%s)\n", k, k == 1 ? "" : "s", pt->v.value,
                    pt->v.source);
        c->n_points++;
    }
    topology_free(t);
    calib_fit(c);
    if (c->n_points > 0)
        *u = c->point[c->n_points - 1].v;   /* the largest: all others */
    if (c->n_points > 0 && !u->known)
        snprintf(u->source, CALIB_SOURCE, "%s", c->point[c->n_points - 1].v.source);
}

/* ---- the ring-0 units ---------------------------------------------- */

static void measure_ring0(struct calibration *c, bool quick)
{
    struct kvm_probe_result r;

    kvm_probe_run(KVM_DEVICE, CPUINFO, quick, &r);
    snprintf(c->kvm_status, sizeof c->kvm_status, "%s", r.status);
    c->kvm_invlpg_ns = r.invlpg_ns;
    c->kvm_full_flush_ns = r.full_flush_ns;
    c->kvm_exit_ns = r.exit_ns;
    if (!r.suitable)
        return;   /* calib_apply_defaults fills them, labelled */
    c->unit[CU_INVLPG] = (struct calib_value){
        true, r.invlpg_ns, r.invlpg_mad, r.rounds, "" };
    snprintf(c->unit[CU_INVLPG].source, CALIB_SOURCE, "measured: INVLPG of a "
             "present 4K entry and the walk that refills it, ring 0 in a KVM "
             "guest, RDTSC over batches of %u", r.ops);
    c->unit[CU_FULL_FLUSH] = (struct calib_value){
        true, r.full_flush_ns, r.full_flush_mad, r.rounds, "" };
    snprintf(c->unit[CU_FULL_FLUSH].source, CALIB_SOURCE, "measured: CR3 "
             "write (no PCID) and the refill of the probe's three pages, "
             "ring 0 in a KVM guest, RDTSC over batches of %u", r.ops);
}

void calib_measure(struct calibration *c, bool quick, FILE *log)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);

    c->quick = quick;
    c->online_cpus = cpus > 0 ? (unsigned)cpus : 1;
    measure_null_syscall(c, quick);
    measure_pte_write(c, quick);
    measure_pt_frame(c, quick);
    measure_flush_ipi(c, quick, log);
    measure_ring0(c, quick);
    calib_apply_defaults(c);
}
