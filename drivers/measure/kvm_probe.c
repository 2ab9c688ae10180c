/*
 * The ring-0 probe (kvm_probe.h): a guest of a few dozen instructions,
 * booted straight into 64-bit mode by setting the vCPU's registers, with
 * one identity-mapped 2 MiB of memory.
 *
 * Guest physical (= virtual) layout:
 *   0x1000 PML4, 0x2000 PDPT, 0x3000 PD, 0x4000 PT: 4K pages over 0..2 MiB
 *   0x8000 the guest's code      0x10000 the page it invalidates
 *   0x20000 top of its stack (unused: it calls nothing)
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "drivers/measure/kvm_probe.h"
#include "drivers/measure/stats.h"
#include "drivers/measure/timer.h"

#if defined(__x86_64__)
#include <linux/kvm.h>

#define GUEST_MEM     (2u << 20)
#define GUEST_PML4    0x1000u
#define GUEST_PDPT    0x2000u
#define GUEST_PD      0x3000u
#define GUEST_PT      0x4000u
#define GUEST_CODE    0x8000u
#define GUEST_TARGET  0x10000u
#define GUEST_STACK   0x20000u
#define PTE_P_RW      0x3ull

/* The guest's ports: each batch's cycles go out on its own port. */
#define PORT_NULL     0xe0   /* the batch without the instruction */
#define PORT_INVLPG   0xe1
#define PORT_CR3      0xe2
#define PORT_EXIT     0xe3   /* nothing between two: the exit round trip */
#define PORT_DONE     0xef

#define CR0_PE 0x1ull
#define CR0_MP 0x2ull
#define CR0_ET 0x10ull
#define CR0_NE 0x20ull
#define CR0_WP 0x10000ull
#define CR0_PG 0x80000000ull
#define CR4_PAE 0x20ull
#define EFER_LME 0x100ull
#define EFER_LMA 0x400ull

/* Rounds and batch length; quick keeps the trapping case under 0.1 s. */
#define ROUNDS_QUICK   7
#define ROUNDS_FULL    31
#define OPS_QUICK      16
#define OPS_FULL       64
/* A guest that has not finished in this long is stuck (a fault loop). */
#define GUEST_TIMEOUT_S 10
#define MAX_CPUID_ENTRIES 256

/*
 * The guest. On entry rdi = the target page, rsi = ops per batch, rbx =
 * rounds, r8 = the CR3 value to reload. First rsi bare OUTs (the exit
 * round trip, timed by the host); then per round three batches, each
 * timed by RDTSC between LFENCEs and its cycles sent out on its port:
 * a load of the target (the null batch), a load then INVLPG of it, a load
 * then a CR3 write. The load keeps the entry present, so every INVLPG
 * removes a live entry and the next load walks the tables again: the
 * difference to the null batch is what an invalidation costs the CPU that
 * issues it. Position-independent: copied to GUEST_CODE as bytes.
 */
#define RDTSC_TO_RAX "lfence\n\trdtsc\n\tshl $32, %rdx\n\tor %rdx, %rax\n\t"
__asm__(
    ".pushsection .rodata\n"
    ".globl xheap_kvm_guest\n"
    ".globl xheap_kvm_guest_end\n"
    "xheap_kvm_guest:\n\t"
    "mov %rsi, %rcx\n"
    "0:\n\t"
    "mov $0xe3, %dx\n\t"
    "out %eax, %dx\n\t"
    "dec %rcx\n\t"
    "jnz 0b\n"
    "1:\n\t"
    RDTSC_TO_RAX "mov %rax, %r9\n\t"
    "mov %rsi, %rcx\n"
    "2:\n\t"
    "mov (%rdi), %r10\n\t"
    "dec %rcx\n\t"
    "jnz 2b\n\t"
    RDTSC_TO_RAX "sub %r9, %rax\n\t"
    "mov $0xe0, %dx\n\t"
    "out %eax, %dx\n\t"
    RDTSC_TO_RAX "mov %rax, %r9\n\t"
    "mov %rsi, %rcx\n"
    "3:\n\t"
    "mov (%rdi), %r10\n\t"
    "invlpg (%rdi)\n\t"
    "dec %rcx\n\t"
    "jnz 3b\n\t"
    RDTSC_TO_RAX "sub %r9, %rax\n\t"
    "mov $0xe1, %dx\n\t"
    "out %eax, %dx\n\t"
    RDTSC_TO_RAX "mov %rax, %r9\n\t"
    "mov %rsi, %rcx\n"
    "4:\n\t"
    "mov (%rdi), %r10\n\t"
    "mov %r8, %cr3\n\t"
    "dec %rcx\n\t"
    "jnz 4b\n\t"
    RDTSC_TO_RAX "sub %r9, %rax\n\t"
    "mov $0xe2, %dx\n\t"
    "out %eax, %dx\n\t"
    "dec %rbx\n\t"
    "jnz 1b\n\t"
    "mov $0xef, %dx\n\t"
    "out %eax, %dx\n\t"
    "hlt\n"
    "xheap_kvm_guest_end:\n"
    ".popsection\n");

extern const unsigned char xheap_kvm_guest[], xheap_kvm_guest_end[];

struct vm {
    int kvm, vm, vcpu;
    unsigned char *mem;
    struct kvm_run *run;
    size_t run_size;
};

static void vm_close(struct vm *v)
{
    if (v->run && v->run != MAP_FAILED)
        munmap(v->run, v->run_size);
    if (v->mem && v->mem != MAP_FAILED)
        munmap(v->mem, GUEST_MEM);
    if (v->vcpu >= 0)
        close(v->vcpu);
    if (v->vm >= 0)
        close(v->vm);
    if (v->kvm >= 0)
        close(v->kvm);
}

static int fail(struct kvm_probe_result *r, const char *what)
{
    snprintf(r->status, sizeof r->status, "not run: %s: %s", what,
             strerror(errno));
    return -1;
}

/* Identity page tables over the guest's 2 MiB, 4K pages (so that INVLPG
 * has a 4K entry to remove), and the code. */
static void build_memory(unsigned char *mem)
{
    uint64_t *pml4 = (uint64_t *)(mem + GUEST_PML4);
    uint64_t *pdpt = (uint64_t *)(mem + GUEST_PDPT);
    uint64_t *pd = (uint64_t *)(mem + GUEST_PD);
    uint64_t *pt = (uint64_t *)(mem + GUEST_PT);

    pml4[0] = GUEST_PDPT | PTE_P_RW;
    pdpt[0] = GUEST_PD | PTE_P_RW;
    pd[0] = GUEST_PT | PTE_P_RW;
    for (uint64_t i = 0; i < 512; i++)
        pt[i] = (i << 12) | PTE_P_RW;
    memcpy(mem + GUEST_CODE, xheap_kvm_guest,
           (size_t)(xheap_kvm_guest_end - xheap_kvm_guest));
}

/* The vCPU's CPUID: what KVM supports, so that long mode (the LM bit) is
 * allowed; nothing beyond is needed (no PCID, no x2APIC). */
static int set_cpuid(struct vm *v)
{
    size_t sz = sizeof(struct kvm_cpuid2) +
                MAX_CPUID_ENTRIES * sizeof(struct kvm_cpuid_entry2);
    struct kvm_cpuid2 *c = calloc(1, sz);
    int rc;

    if (!c)
        return -1;
    c->nent = MAX_CPUID_ENTRIES;
    rc = ioctl(v->kvm, KVM_GET_SUPPORTED_CPUID, c);
    if (rc == 0)
        rc = ioctl(v->vcpu, KVM_SET_CPUID2, c);
    free(c);
    return rc;
}

static void long_mode_segment(struct kvm_segment *s, uint16_t sel, bool code)
{
    memset(s, 0, sizeof *s);
    s->limit = 0xffffffff;
    s->selector = sel;
    s->present = 1;
    s->s = 1;
    s->g = 1;
    s->type = code ? 11 : 3;   /* execute/read accessed; read/write accessed */
    s->l = code;
    s->db = !code;
}

static int set_registers(struct vm *v, unsigned ops, unsigned rounds)
{
    struct kvm_sregs sr;
    struct kvm_regs regs;

    if (ioctl(v->vcpu, KVM_GET_SREGS, &sr))
        return -1;
    long_mode_segment(&sr.cs, 0x08, true);
    long_mode_segment(&sr.ds, 0x10, false);
    sr.es = sr.fs = sr.gs = sr.ss = sr.ds;
    memset(&sr.tr, 0, sizeof sr.tr);
    sr.tr.selector = 0x18;
    sr.tr.limit = 0x67;
    sr.tr.type = 11;            /* busy 64-bit TSS: VM entry requires one */
    sr.tr.present = 1;
    sr.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
    sr.cr3 = GUEST_PML4;
    sr.cr4 = CR4_PAE;
    sr.efer = EFER_LME | EFER_LMA;
    if (ioctl(v->vcpu, KVM_SET_SREGS, &sr))
        return -1;
    memset(&regs, 0, sizeof regs);
    regs.rip = GUEST_CODE;
    regs.rsp = GUEST_STACK;
    regs.rflags = 0x2;
    regs.rdi = GUEST_TARGET;
    regs.rsi = ops;
    regs.rbx = rounds;
    regs.r8 = GUEST_PML4;
    return ioctl(v->vcpu, KVM_SET_REGS, &regs);
}

static int vm_open(const char *dev, struct vm *v, struct kvm_probe_result *r)
{
    struct kvm_userspace_memory_region region;
    int n;

    v->kvm = open(dev, O_RDWR | O_CLOEXEC);
    if (v->kvm < 0)
        return fail(r, dev);
    if (ioctl(v->kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
        errno = EPROTO;
        return fail(r, "KVM_GET_API_VERSION");
    }
    if ((v->vm = ioctl(v->kvm, KVM_CREATE_VM, 0)) < 0)
        return fail(r, "KVM_CREATE_VM");
    v->mem = mmap(NULL, GUEST_MEM, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (v->mem == MAP_FAILED)
        return fail(r, "guest memory");
    build_memory(v->mem);
    region = (struct kvm_userspace_memory_region){
        .slot = 0, .guest_phys_addr = 0, .memory_size = GUEST_MEM,
        .userspace_addr = (uintptr_t)v->mem,
    };
    if (ioctl(v->vm, KVM_SET_USER_MEMORY_REGION, &region))
        return fail(r, "KVM_SET_USER_MEMORY_REGION");
    if ((v->vcpu = ioctl(v->vm, KVM_CREATE_VCPU, 0)) < 0)
        return fail(r, "KVM_CREATE_VCPU");
    if ((n = ioctl(v->kvm, KVM_GET_VCPU_MMAP_SIZE, 0)) <= 0)
        return fail(r, "KVM_GET_VCPU_MMAP_SIZE");
    v->run_size = (size_t)n;
    v->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
                  v->vcpu, 0);
    if (v->run == MAP_FAILED)
        return fail(r, "mmap of the vCPU");
    if (set_cpuid(v))
        return fail(r, "KVM_SET_CPUID2");
    return 0;
}

struct samples {
    double *null_c, *inv_c, *cr3_c, *exit_ns;
    unsigned n_null, n_inv, n_cr3, n_exit;
};

static void on_alarm(int sig)
{
    (void)sig;   /* only to make KVM_RUN return EINTR */
}

/* Runs the guest to its end, collecting each port's values. */
static int run_guest(struct vm *v, struct samples *s, unsigned ops,
                     unsigned rounds, struct kvm_probe_result *r)
{
    struct sigaction sa = { .sa_handler = on_alarm }, old;
    uint64_t last = 0;
    unsigned pending;
    int rc = -1;

    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, &old);
    pending = alarm(GUEST_TIMEOUT_S);   /* a caller's alarm, put back after */
    for (;;) {
        uint32_t val;

        if (ioctl(v->vcpu, KVM_RUN, 0)) {
            fail(r, errno == EINTR ? "the guest did not finish in time"
                                   : "KVM_RUN");
            break;
        }
        if (v->run->exit_reason != KVM_EXIT_IO ||
            v->run->io.direction != KVM_EXIT_IO_OUT) {
            snprintf(r->status, sizeof r->status, "not run: the guest "
                     "stopped with KVM exit reason %u, not its OUT",
                     v->run->exit_reason);
            break;
        }
        memcpy(&val, (char *)v->run + v->run->io.data_offset, sizeof val);
        switch (v->run->io.port) {
        case PORT_EXIT:
            /* From the second on: one exit, the host's return, re-entry. */
            if (last && s->n_exit < ops)
                s->exit_ns[s->n_exit++] = (double)(clock_ns() - last);
            last = clock_ns();
            continue;
        case PORT_NULL:   if (s->n_null < rounds) s->null_c[s->n_null++] = val; continue;
        case PORT_INVLPG: if (s->n_inv < rounds) s->inv_c[s->n_inv++] = val; continue;
        case PORT_CR3:    if (s->n_cr3 < rounds) s->cr3_c[s->n_cr3++] = val; continue;
        case PORT_DONE:   rc = 0; break;
        default:
            snprintf(r->status, sizeof r->status, "not run: the guest wrote "
                     "to unexpected port %#x", v->run->io.port);
            break;
        }
        break;
    }
    alarm(0);
    sigaction(SIGALRM, &old, NULL);
    if (pending)
        alarm(pending);
    return rc;
}

/* Per-operation nanoseconds of each round: (batch - null batch) / ops. */
static void per_op(double *out, const double *batch, const double *null_c,
                   unsigned n, unsigned ops, double ns_per_cycle)
{
    for (unsigned i = 0; i < n; i++)
        out[i] = (batch[i] - null_c[i]) / ops * ns_per_cycle;
}

/*
 * Two tests, both needed: the flags say whether the guest can run on
 * hardware virtualisation at all; the timings say whether this run did
 * (a trap shows as microseconds where the instruction takes a fraction).
 */
static void verdict(struct kvm_probe_result *r)
{
    bool trapped = !(r->invlpg_ns <= KVM_PROBE_TRAP_NS &&
                     r->full_flush_ns <= KVM_PROBE_TRAP_NS);
    char seen[200];

    snprintf(seen, sizeof seen, "in the guest INVLPG took %.0f ns and a CR3 "
             "write %.0f ns (%s %.0f ns), an exit to user space %.0f ns",
             r->invlpg_ns, r->full_flush_ns,
             trapped ? "over" : "under", KVM_PROBE_TRAP_NS, r->exit_ns);
    if (!r->native)
        snprintf(r->status, sizeof r->status, "unsuitable here: no vmx or "
                 "svm flag in /proc/cpuinfo, so this /dev/kvm is paravirtual "
                 "or emulated and privileged instructions trap; %s", seen);
    else if (trapped)
        snprintf(r->status, sizeof r->status, "unsuitable here: the "
                 "instructions trap to the hypervisor (nested without "
                 "EPT/NPT?); %s", seen);
    else {
        r->suitable = true;
        snprintf(r->status, sizeof r->status, "suitable: %s", seen);
    }
}

static void summarize(struct kvm_probe_result *r, struct samples *s,
                      unsigned ops, double ns_per_cycle)
{
    unsigned n = s->n_null < s->n_inv ? s->n_null : s->n_inv;
    double *tmp = s->exit_ns + ops;   /* room for `rounds` values */

    if (s->n_cr3 < n)
        n = s->n_cr3;
    r->rounds = n;
    per_op(tmp, s->inv_c, s->null_c, n, ops, ns_per_cycle);
    r->invlpg_ns = stats_median(tmp, n);
    r->invlpg_mad = stats_mad(tmp, n);
    per_op(tmp, s->cr3_c, s->null_c, n, ops, ns_per_cycle);
    r->full_flush_ns = stats_median(tmp, n);
    r->full_flush_mad = stats_mad(tmp, n);
    r->exit_ns = s->n_exit ? stats_median(s->exit_ns, s->n_exit) : NAN;
}

static double guest_ns_per_cycle(struct vm *v, struct kvm_probe_result *r)
{
    struct timer_calibration cal;
    int khz = ioctl(v->vcpu, KVM_GET_TSC_KHZ, 0);

    if (khz > 0) {
        r->tsc_khz = khz;
        return 1e6 / khz;
    }
    timer_init(TIMER_AUTO, &cal);   /* the guest TSC is the host's */
    r->tsc_khz = cal.tsc ? 1e6 / cal.ns_per_tick : NAN;
    return cal.tsc ? cal.ns_per_tick : NAN;
}

int kvm_probe_run(const char *dev, const char *cpuinfo, bool quick,
                  struct kvm_probe_result *r)
{
    struct vm v = { .kvm = -1, .vm = -1, .vcpu = -1 };
    unsigned rounds = quick ? ROUNDS_QUICK : ROUNDS_FULL;
    unsigned ops = quick ? OPS_QUICK : OPS_FULL;
    double buf[3 * ROUNDS_FULL + 2 * OPS_FULL + ROUNDS_FULL];
    struct samples s = { buf, buf + rounds, buf + 2 * rounds, buf + 3 * rounds,
                         0, 0, 0, 0 };
    int native = kvm_probe_native(cpuinfo);
    int rc = -1;

    memset(r, 0, sizeof *r);
    r->invlpg_ns = r->full_flush_ns = r->exit_ns = NAN;
    r->invlpg_mad = r->full_flush_mad = r->tsc_khz = NAN;
    r->ops = ops;
    r->native = native == 1;
    if (vm_open(dev, &v, r) || set_registers(&v, ops, rounds)) {
        if (!r->status[0])
            fail(r, "KVM_SET_SREGS/REGS");
        goto out;
    }
    if (run_guest(&v, &s, ops, rounds, r))
        goto out;
    r->ran = true;
    summarize(r, &s, ops, guest_ns_per_cycle(&v, r));
    verdict(r);
    rc = 0;
out:
    vm_close(&v);
    return rc;
}

#else   /* not x86_64 */

int kvm_probe_run(const char *dev, const char *cpuinfo, bool quick,
                  struct kvm_probe_result *r)
{
    memset(r, 0, sizeof *r);
    snprintf(r->status, sizeof r->status, "not run: the probe's guest is "
             "x86-64 code");
    return -1;
}

#endif

int kvm_probe_native(const char *cpuinfo)
{
    FILE *f = fopen(cpuinfo, "r");
    char line[8192];
    int found = 0;

    if (!f)
        return -1;
    while (!found && fgets(line, sizeof line, f)) {
        char *tok, *save, *colon = strchr(line, ':');

        if (strncmp(line, "flags", 5) != 0 || !colon)
            continue;
        for (tok = strtok_r(colon + 1, " \t\n", &save); tok;
             tok = strtok_r(NULL, " \t\n", &save))
            if (strcmp(tok, "vmx") == 0 || strcmp(tok, "svm") == 0)
                found = 1;
        break;   /* every CPU lists the same flags */
    }
    fclose(f);
    return found;
}
