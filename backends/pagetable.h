/*
 * Xen's own page tables, as data of the model.
 *
 * The vmap area, and without a directmap the on-demand xenheap mappings,
 * are described by 4-level tables in x86 format (present bit, frame number,
 * flags), kept in frames of the modelled memory. L2 and L1 tables come
 * from the domheap one page at a time, as alloc_xen_pagetable and Arm's
 * create_xen_table take them, so they move every later placement exactly
 * as they move Xen's. Those vm_init needs come from alloc_boot_pages
 * (early boot), memory that is never in the heap; the L4 (idle_pg_table,
 * in Xen's image) and the L3s (made by paging_init) exist before the heap
 * does too. The model keeps all of those in its own memory, numbered past
 * the last frame.
 *
 * Three sets of rules, one per flush policy:
 *
 *  x86 (FLUSH_PER_PAGE), xen/arch/x86/mm.c map_pages_to_xen: superpages
 *  where virtual address and frame are aligned and the run is long
 *  enough; an L1 that comes to map 512 contiguous frames is replaced by a
 *  superpage; unmapping is map_pages_to_xen(INVALID_MFN, _PAGE_NONE), which
 *  flushes each present 4K entry it clears on all CPUs (flush_area_all,
 *  order 0), and clears a 2 MiB-aligned run of 512 pages with one L2 write
 *  and one full flush, freeing its L1. Missing tables are allocated even
 *  on that path (virt_to_xen_l1e).
 *
 *  Arm (FLUSH_PER_RANGE), xen/arch/arm/mmu/pt.c xen_pt_update: 4K entries
 *  only, tables allocated on the way down and never freed; a removal skips
 *  pages whose table is missing and ends with flush_xen_tlb_range_va: one
 *  TLBI per page and one range operation per call, broadcast in hardware
 *  (no IPI).
 *
 *  Linux's lazy vmap (FLUSH_LAZY), mm/vmalloc.c: 4K entries cleared at
 *  vfree with no flush, tables never freed; the flush is the purge's.
 *
 * Entries written with INVALID_MFN hold its bits, as Xen's l1e_from_mfn
 * writes them; an entry counts as clear when its present bit is.
 */
#ifndef XHEAP_PAGETABLE_H
#define XHEAP_PAGETABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "backends/frames.h"
#include "backends/heap.h"
#include "backends/lock.h"

struct page_alloc;

/* x86 entry bits (asm/x86_64/page.h, asm/page.h). */
#define PTE_PRESENT   0x001ull
#define PTE_RW        0x002ull
#define PTE_ACCESSED  0x020ull
#define PTE_DIRTY     0x040ull
#define PTE_PSE       0x080ull   /* a superpage, at L2 or L3 */
#define PTE_GLOBAL    0x100ull
#define PTE_SMALL     0x200ull   /* MAP_SMALL_PAGES (_PAGE_AVAIL0) */
#define PTE_NX        (1ull << 63)
/* PAGE_HYPERVISOR_RW: what vmap and the directmap map with. */
#define PAGE_HYPERVISOR (PTE_PRESENT | PTE_RW | PTE_ACCESSED | PTE_DIRTY | \
                         PTE_GLOBAL | PTE_NX)
/* __PAGE_HYPERVISOR: what a table entry pointing to a table holds. */
#define PAGE_TABLE_LINK (PTE_PRESENT | PTE_RW | PTE_ACCESSED | PTE_DIRTY)
#define PTE_NONE      0ull       /* _PAGE_NONE: vunmap's flags on x86 */

#define PT_LEVELS     4

/* Modelled virtual addresses, Xen's on x86_64 (asm/config.h) less the
 * sign extension: the vmap area at RDWR_MPT_VIRT_END in PML4 slot 261,
 * the directmap at slot 262. Only their alignment matters to the model. */
#define PT_VMAP_VA      0x82c000000000ull
#define PT_DIRECTMAP_VA 0x830000000000ull

/* What the rules did, since the model booted; written holding pt->lock. */
struct pt_counts {
    uint64_t flushes;        /* flush operations (x86: flush_area_all) */
    uint64_t full_flushes;   /* of those, whole-TLB ones */
    uint64_t flush_ipis;     /* flushes times the other online CPUs */
    uint64_t tlbi;           /* Arm: TLBI instructions, one per page */
    uint64_t pte_writes;     /* entries written, at every level */
    uint64_t tables_allocated, tables_freed;
};

struct pagetable {
    struct page_alloc *pa;
    const struct frames *frames;
    enum flush_policy rules;
    unsigned cpus;           /* online CPUs of the modelled machine */
    unsigned shift;          /* page_shift */
    unsigned bits;           /* PAGETABLE_ORDER: log2 of entries a table */
    bool     booting;        /* tables come from boot memory (overhead) */
    uint64_t **root;         /* idle_pg_table's L3s, from boot: no frames */
    uint64_t **boot;         /* tables vm_init made, from boot memory */
    size_t   nr_boot;
    uint64_t live_tables;    /* table frames now in the tree */
    uint64_t boot_tables;    /* of those, from boot (pt_reset_counts) */
    uint64_t mapped[2];      /* 4K pages present: vmap area, directmap */
    spinlock_t lock;         /* the L3 table's lock: one for the tree */
    struct pt_counts n;
};

int  pt_init(struct pagetable *pt, struct page_alloc *pa,
             const struct frames *f, const struct heap_config *cfg);
void pt_fini(struct pagetable *pt);

/* Forgets the counts (the tables stay): what boot did is nobody's. */
void pt_reset_counts(struct pagetable *pt);

/* map_pages_to_xen(va, frame, nr, PAGE_HYPERVISOR): 0 or -ENOMEM when a
 * table could not be allocated (the entries written so far stay). */
int  pt_map(struct pagetable *pt, uint64_t va, uint32_t frame, uint64_t nr);

/* vunmap's page-table work under the rules, flushes counted: x86
 * map_pages_to_xen(INVALID_MFN, _PAGE_NONE), Arm destroy_xen_mappings,
 * Linux's lazy clear (no flush). 0 or -ENOMEM (x86 only). */
int  pt_unmap(struct pagetable *pt, uint64_t va, uint64_t nr);

/* Clears 4K entries without a flush or a count: undoes a map that the
 * host then refused, as if it had never been written. */
void pt_forget(struct pagetable *pt, uint64_t va, uint64_t nr);

/* populate_pt_range: tables for [va, va + nr pages), no entry mapped. */
int  pt_populate(struct pagetable *pt, uint64_t va, uint64_t nr);

/* Counts one lazy purge's flush of span pages (Linux: one IPI round). */
void pt_lazy_flush(struct pagetable *pt, uint64_t span);

/* xen_map_to_mfn: the frame behind va, or NO_FRAME when none is mapped. */
uint32_t pt_lookup(struct pagetable *pt, uint64_t va);

/* Walks the whole tree: every table frame in use and counted once, no
 * table frame also mapped as data. *present gets the 4K pages mapped in
 * [lo, hi). 0, or -1 with the first fault in why. */
int  pt_check(struct pagetable *pt, uint64_t lo, uint64_t hi,
              uint64_t *present, char *why, size_t why_len);

/* Pages the tables map now in the vmap area, in O(1): after every step
 * the model checker holds it against the pages it knows to be live. */
uint64_t pt_mapped_vmap(struct pagetable *pt);

/* Linux's lazy_max_pages(): 32 MiB of pages times fls(online CPUs). */
uint64_t pt_lazy_max_pages(unsigned cpus, size_t page_size);

#endif
