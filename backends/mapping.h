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
 * unmap_calls count real system calls, each of which the host kernel pays
 * for (and flushes for) on its own.
 */
#ifndef XHEAP_MAPPING_H
#define XHEAP_MAPPING_H

#include <stdbool.h>
#include <stdint.h>

#include "backends/frames.h"

struct mapper {
    const struct frames *frames;
    enum flush_policy flush;
    uint64_t map_calls, unmap_calls, flushes, map_failures;
    int      limit_hit;          /* a mapping failed for vm.max_map_count */
    char     limit_msg[256];
};

void mapper_init(struct mapper *m, const struct frames *f,
                 enum flush_policy flush);

/* Maps nr consecutive frames from frame at va with one call. 0 or -errno. */
int  map_frames(struct mapper *m, void *va, uint32_t frame, uint32_t nr);

/* Unmaps nr model pages at va, as the flush policy says. */
void unmap_pages(struct mapper *m, void *va, uint32_t nr);

/* Unmaps nr model pages at va with one call, whatever the policy; flush
 * says whether the call counts a flush (a lazy purge counts one for all). */
void unmap_range(struct mapper *m, void *va, uint32_t nr, bool flush);

/* Counts one modelled TLB flush. */
void mapper_flush(struct mapper *m);

#endif
