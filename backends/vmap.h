/*
 * The vmap area and vmalloc (xen/common/vmap.c).
 *
 * Virtual space is a bitmap, one bit a page, allocated first fit from the
 * lowest known clear bit under one lock; the clear bit left before every
 * area is its unmapped guard page. As in Xen the bitmap lives at the start
 * of the area itself, in domheap pages mapped there as it grows.
 *
 * vmalloc takes each page from the domheap on its own (order 0, so not
 * contiguous) and maps each with its own call, in Xen's page tables and on
 * the host (mapping.h), so the same frame is reachable through the
 * directmap and the vmap. vfree finds each page's frame by walking the
 * page tables, unmaps as the rules say and frees every page, with scrub.
 */
#ifndef XHEAP_VMAP_H
#define XHEAP_VMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backends/lock.h"

struct xen_model;

struct lazy_area {
    uint32_t start, nr;
};

struct vmap {
    char          *base;      /* vm_base */
    unsigned long *bitmap;    /* == base: the bitmap maps itself first */
    uint32_t       end;       /* vm_end: pages in the area */
    uint32_t       top;       /* vm_top: bits backed by bitmap pages */
    uint32_t       low;       /* vm_low: lowest known clear bit */
    char          *reserve;
    size_t         reserve_len;
    spinlock_t     lock;      /* vm_lock */
    /* FLUSH_LAZY: areas freed but still mapped, purged in a batch. */
    struct lazy_area *lazy;
    size_t         lazy_n, lazy_cap;
    uint64_t       lazy_pages, lazy_max;
    uint64_t       va_in_use, peak_va;   /* pages, guards included */
};

int   vm_init(struct xen_model *m, char *why, size_t why_len);
void  vm_fini(struct xen_model *m);

void *vmalloc(struct xen_model *m, size_t size);
void *vzalloc(struct xen_model *m, size_t size);
void  vfree(struct xen_model *m, void *va);

/* Pages of the vmalloc area that starts at va; 0 when va starts none. */
unsigned vm_size(struct xen_model *m, const void *va);
bool  in_vmap(const struct xen_model *m, const void *va);

/* FLUSH_LAZY: unmap every pending area now, with one flush. */
void  vm_purge_lazy(struct xen_model *m);

int   vmap_check(struct xen_model *m, char *why, size_t why_len);

#endif
