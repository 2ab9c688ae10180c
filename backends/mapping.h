/*
 * Mapping frames at fixed addresses, twice over: in Xen's page tables,
 * which are data of the model (pagetable.h) and count what Xen's rules
 * make it do, and on the host, so that the memory is really reachable.
 *
 * Every host map is one mmap(MAP_FIXED | MAP_SHARED) of the memfd, so the
 * kernel really edits page tables. Every host unmap replaces the range
 * with an inaccessible anonymous mapping (the address space stays
 * reserved). The host's work follows the modelled rule: under the x86
 * rules one host unmap per 4K entry cleared (Xen flushes per entry),
 * under the Arm rules one per unmap call (one range operation). Under
 * Linux's lazy rules vfree clears the entries with one mprotect(PROT_NONE)
 * of the area (the freed frames are unreachable at once; the range is
 * kept, not reused), and the purge, once lazy_max_pages are pending,
 * releases the batch with one host unmap per contiguous run.
 *
 * Every host call is timed with heap_host_clock's clock and counted, per
 * thread, under the heap call that made it (heap_host_time).
 *
 * map_calls and unmap_calls count the host calls, each a real system call
 * (unless the model refused it first: a fault plan, the modelled
 * vm.max_map_count, faults.h); they also number the calls for the fault
 * plans. Flushes, IPIs, entry writes and page-table frames are Xen's,
 * counted by pagetable.c.
 *
 * A map call that fails maps nothing, in either place: callers unwind. A
 * host unmap that fails leaves its pages mapped on the host (stale) and
 * says so; its callers, as Xen's vunmap ignores map_pages_to_xen's result,
 * free the address space and the frames anyway. docs/faults.md says why
 * that stays consistent.
 *
 * When the host refuses a mapping for vm.max_map_count, the limit is
 * raised for the run where the process may (root), and the call retried;
 * where it may not, the run is told to stop (heap_map_limit_message).
 */
#ifndef XHEAP_MAPPING_H
#define XHEAP_MAPPING_H

#include <stdbool.h>
#include <stdint.h>

#include "backends/faults.h"
#include "backends/frames.h"
#include "backends/heap.h"
#include "backends/pagetable.h"

struct mapper {
    const struct frames *frames;
    enum flush_policy flush;
    const char *vmap_base;       /* host address of the vmap area */
    uint64_t map_calls, unmap_calls;
    uint64_t protect_calls;      /* FLUSH_LAZY: mprotect at vfree */
    uint64_t map_failures;       /* map and unmap calls refused, any cause */
    uint64_t injected_maps, injected_unmaps;   /* of those, by a fault plan */
    uint64_t unmap_failures;     /* unmap calls refused, any cause */
    uint64_t stale_pages;        /* pages those left mapped */
    int      limit_hit;          /* the host limit is short: stop the run */
    int      model_limit_hit;    /* the modelled limit refused a call */
    char     limit_msg[256];
    struct pagetable pt;         /* Xen's page tables */
    struct fault_plan fail_map, fail_unmap;
    struct map_count map_count;  /* last: a megabyte, touched only if used */
};

/* Takes the flush policy and the fault knobs from cfg, which it copies
 * into the fault plans, the modelled limit and the page tables; cfg need
 * not outlive it. Table frames come from pa (it need not be initialised
 * yet: the tables made at boot come from boot memory). 0, or -1 when out
 * of memory for the root table. */
int  mapper_init(struct mapper *m, const struct frames *f,
                 struct page_alloc *pa, const struct heap_config *cfg);
void mapper_fini(struct mapper *m);

/* map_pages_to_xen(va, frame, nr, PAGE_HYPERVISOR), and the host mapping.
 * 0 or -errno; on failure nothing new is mapped. */
int  map_frames(struct mapper *m, void *va, uint32_t frame, uint32_t nr);

/* vunmap: the page-table work as the rules say (flushes counted), then the
 * host's. 0, or the first host call's -errno: its pages stay mapped on the
 * host (the others are unmapped). */
int  unmap_pages(struct mapper *m, void *va, uint32_t nr);
/* The same for an area whose first mapped pages only were mapped (a
 * vmalloc that failed midway): Xen's work covers all nr, the host's the
 * mapped ones. */
int  unmap_pages_some(struct mapper *m, void *va, uint32_t nr,
                      uint32_t mapped);

/* Linux's lazy vfree: the entries are cleared now (on the host, one
 * mprotect(PROT_NONE) of the area), nothing is flushed and the range
 * stays reserved until unmap_host at the purge. */
void clear_pages(struct mapper *m, void *va, uint32_t nr);

/* The host's half of a lazy purge: one call for a run of areas, no flush
 * (the purge counts one for the batch with mapper_lazy_flush). */
int  unmap_host(struct mapper *m, void *va, uint32_t nr);
void mapper_lazy_flush(struct mapper *m, uint64_t span_pages);

/* The heap call running on this thread (enum heap_op), set by heap.c:
 * the host calls it makes are timed and counted under it (heap.h). */
extern __thread unsigned char host_op_now;

/* xen_map_to_mfn: the frame mapped at va, NO_FRAME when none is. */
uint32_t lookup_frame(struct mapper *m, const void *va);

/* The modelled virtual address of a host one (vmap area or directmap). */
uint64_t model_va(const struct mapper *m, const void *va);

#endif
