/*
 * The host's facts, as /proc and /sys tell them: every read of those two
 * trees in drivers/ goes through here, so that a kernel that words a file
 * differently is handled once. Each call opens, reads and closes; none
 * is on a timed path. backends/ cannot include this room and keeps its own
 * two reads (the THP shmem knob, vm.max_map_count for the mapping limit).
 */
#ifndef XHEAP_HOST_H
#define XHEAP_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HOST_CPUINFO      "/proc/cpuinfo"
#define HOST_THP_ENABLED  "/sys/kernel/mm/transparent_hugepage/enabled"
#define HOST_THP_SHMEM    "/sys/kernel/mm/transparent_hugepage/shmem_enabled"
#define HOST_MAP_COUNT    "/proc/sys/vm/max_map_count"
#define HOST_PARANOID     "/proc/sys/kernel/perf_event_paranoid"
#define HOST_DMI_VENDOR   "/sys/class/dmi/id/sys_vendor"
#define HOST_SELF_EXE     "/proc/self/exe"   /* also what a re-exec runs */

/* The first line of PATH without its newline; -1 when unreadable. */
int host_read_line(const char *path, char *out, size_t len);

/* The number PATH starts with; -1 when unreadable or not a number. */
int host_read_long(const char *path, long *out);

/* The value of the first "KEY : value" line of /proc/cpuinfo; false when
 * there is none. */
bool host_cpuinfo(const char *key, char *out, size_t len);

/* Whether the CPU's "flags" line lists FLAG: 1 yes, 0 no, -1 when
 * /proc/cpuinfo cannot be read, -2 when it has no flags line (not x86). */
int host_cpu_flag(const char *flag);

/* The anonymous THP knob as the kernel writes it ("always [madvise]
 * never"), and its chosen (bracketed) word; "unknown" when unreadable. */
void host_thp_line(char *out, size_t len);
void host_thp_mode(char *out, size_t len);

/* The shmem THP knob's chosen word ("never", "advise", ...): whether the
 * memfd directmap may have huge pages; "unknown" when unreadable. */
void host_thp_shmem_mode(char *out, size_t len);

/* vm.max_map_count and kernel.perf_event_paranoid; -1 when unreadable
 * (a paranoid level of -1 is real: check the return). */
long host_max_map_count(void);
int  host_perf_paranoid(long *level);

/* A "Key: N kB" line of /proc/self/status (VmHWM, VmRSS) in bytes; 0 when
 * unknown. */
uint64_t host_status_bytes(const char *key);

/* The sum over CPUs of the /proc/interrupts line NAME ("TLB" for x86's
 * shootdown IPIs); -1 when the kernel has no such line. */
int64_t host_interrupts(const char *name);

/* Bytes of this process's memory in [LO, HI) mapped by huge page table
 * entries, from /proc/self/smaps; 0 when unknown. */
uint64_t host_pmd_mapped(uintptr_t lo, uintptr_t hi);

/* This executable's absolute path; -1 with errno set. */
int host_self_exe(char *out, size_t len);

#endif
