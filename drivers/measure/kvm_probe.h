/*
 * The ring-0 probe: INVLPG and a CR3 write timed inside a minimal KVM
 * guest (raw /dev/kvm ioctls, one vCPU in 64-bit long mode on page tables
 * the host builds, RDTSC in the guest, results through OUT to a port).
 *
 * Its numbers are costs only where the CPU virtualises natively (vmx or
 * svm in /proc/cpuinfo, so that with EPT/NPT the guest runs INVLPG and CR3
 * writes without leaving it). A /dev/kvm without those flags (paravirtual
 * KVM such as PVM on a cloud VM, or emulation) still runs the guest, but
 * every privileged instruction traps to the hypervisor: the probe runs,
 * sees the flags missing and the trap in its own timings, and gives the
 * verdict "unsuitable here: REASON"; its numbers are then evidence for the
 * verdict and never units.
 */
#ifndef XHEAP_KVM_PROBE_H
#define XHEAP_KVM_PROBE_H

#include <stdbool.h>
#include <stddef.h>

#define KVM_PROBE_STATUS 512

/*
 * A native INVLPG or CR3 write, with the refill of the entries it drops,
 * costs a few hundred cycles (Linux's tlb.c estimates 100 ns for INVLPG);
 * one that traps to a hypervisor costs its exit and re-entry on top (on a
 * paravirtual KVM guest here: 700 to 900 ns, and 9 to 10 us when the exit
 * reaches user space). Above this, the guest's instruction trapped.
 */
#define KVM_PROBE_TRAP_NS 500.0

struct kvm_probe_result {
    bool ran;            /* the guest ran to its end and reported */
    bool native;         /* vmx or svm in /proc/cpuinfo */
    bool suitable;       /* native and no trap seen: the numbers are units */
    unsigned rounds, ops;            /* rounds of ops-long batches */
    double invlpg_ns, invlpg_mad;    /* per INVLPG, median over rounds */
    double full_flush_ns, full_flush_mad;
    double exit_ns;                  /* one OUT exit to user space and back */
    double tsc_khz;                  /* the guest's TSC rate */
    char status[KVM_PROBE_STATUS];   /* "suitable", "unsuitable here: ...",
                                        "not run: ..." */
};

/* Does CPUINFO (a /proc/cpuinfo) list vmx or svm? -1 when unreadable. */
int kvm_probe_native(const char *cpuinfo);

/*
 * Runs the guest on DEV (normally "/dev/kvm") and judges it with CPUINFO's
 * flags. QUICK: fewer rounds. Always fills R->status; returns 0 when the
 * guest ran (suitable or not), -1 when it could not.
 */
int kvm_probe_run(const char *dev, const char *cpuinfo, bool quick,
                  struct kvm_probe_result *r);

#endif
