/*
 * Real page-table updates: mapping frames of the memfd at fixed addresses,
 * and taking them away again, counted and flushed as Xen would.
 *
 * Every map is one mmap(MAP_FIXED | MAP_SHARED) of the memfd, so the kernel
 * really edits page tables. Every unmap replaces the range with an
 * inaccessible anonymous mapping (the address space stays reserved), which
 * makes the kernel flush the TLB, on all CPUs running this process.
 *
 * The flush policy decides how many unmap calls, and so how many flushes, a
 * range costs: x86 Xen flushes each 4K entry on all CPUs (one call a page),
 * Arm Xen once per range (one call). Linux's lazy policy is the vmap area's
 * business: it defers whole areas and purges them in batches.
 *
 * flushes counts the flushes the modelled hypervisor issues; map_calls and
 * unmap_calls count the calls, each a real system call that the host
 * kernel pays for (and flushes for) on its own, unless the model refused it
 * first (a fault plan, the modelled vm.max_map_count: faults.h). They also
 * number the calls for the fault plans.
 *
 * A map call that fails maps nothing: callers unwind. An unmap call that
 * fails leaves its pages mapped (stale) and says so; its callers, as Xen's
 * vunmap ignores destroy_xen_mappings' result, free the address space and
 * the frames anyway. docs/faults.md says why that stays consistent.
 */
#ifndef XHEAP_MAPPING_H
#define XHEAP_MAPPING_H

#include <stdbool.h>
#include <stdint.h>

#include "backends/faults.h"
#include "backends/frames.h"
#include "backends/heap.h"

struct mapper {
    const struct frames *frames;
    enum flush_policy flush;
    uint64_t map_calls, unmap_calls, flushes;
    uint64_t map_failures;       /* map and unmap calls refused, any cause */
    uint64_t injected_maps, injected_unmaps;   /* of those, by a fault plan */
    uint64_t unmap_failures;     /* unmap calls refused, any cause */
    uint64_t stale_pages;        /* pages those left mapped */
    int      limit_hit;          /* a mapping failed for vm.max_map_count */
    char     limit_msg[256];
    struct fault_plan fail_map, fail_unmap;
    struct map_count map_count;  /* last: a megabyte, touched only if used */
};

/* Takes the flush policy and the fault knobs from cfg, which it copies
 * into the fault plans and the modelled limit; cfg need not outlive it. */
void mapper_init(struct mapper *m, const struct frames *f,
                 const struct heap_config *cfg);

/* Maps nr consecutive frames from frame at va with one call. 0 or -errno;
 * on failure nothing new is mapped. */
int  map_frames(struct mapper *m, void *va, uint32_t frame, uint32_t nr);

/* Unmaps nr model pages at va, as the flush policy says. 0, or the first
 * call's -errno: its pages stay mapped (the others are unmapped). */
int  unmap_pages(struct mapper *m, void *va, uint32_t nr);

/* Unmaps nr model pages at va with one call, whatever the policy; flush
 * says whether the call counts a flush (a lazy purge counts one for all).
 * 0, or -errno with the pages still mapped. */
int  unmap_range(struct mapper *m, void *va, uint32_t nr, bool flush);

/* Counts one modelled TLB flush. */
void mapper_flush(struct mapper *m);

#endif
