/* One modelled hypervisor, assembled layer by layer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/model.h"
#include "backends/xmalloc.h"

struct xen_model *xen_model_create(const struct heap_config *cfg,
                                   char *why, size_t why_len)
{
    struct xen_model *m = calloc(1, sizeof *m);

    if (!m) {
        snprintf(why, why_len, "out of memory");
        return NULL;
    }
    m->cfg = *cfg;
    if (frames_init(&m->frames, cfg, why, why_len)) {
        free(m);
        return NULL;
    }
    if (mapper_init(&m->mapper, &m->frames, &m->pa, cfg)) {
        snprintf(why, why_len, "out of memory for the page tables");
        goto fail_frames;
    }
    if (page_alloc_init(&m->pa, &m->frames, &m->mapper, cfg, why, why_len))
        goto fail_frames;
    /* Boot order, as Xen's (x86 and Arm): vm_init takes the vmap bitmap's
     * first pages from the boot allocator, end_boot_allocator gives the
     * rest to the heap, and the xmalloc pool's descriptor comes from there:
     * frames charged to no allocation. Then boot ends: heap_init_late
     * and, under bootscrub=idle, the idle scrubber's first pass. */
    if (vm_init(m, why, why_len))
        goto fail_pa;
    end_boot_allocator(&m->pa);
    if (xmalloc_init(m, why, why_len)) {
        vm_fini(m);
        goto fail_pa;
    }
    heap_init_late(&m->pa);
    return m;

fail_pa:
    page_alloc_fini(&m->pa);
fail_frames:
    mapper_fini(&m->mapper);
    frames_fini(&m->frames);
    free(m);
    return NULL;
}

void xen_model_destroy(struct xen_model *m)
{
    if (!m)
        return;
    vm_fini(m);
    mapper_fini(&m->mapper);
    page_alloc_fini(&m->pa);
    frames_fini(&m->frames);
    free(m);
}

void xen_model_stats(struct xen_model *m, struct heap_stats *out)
{
    int order = largest_free_order(&m->pa, false);

    /* Frame 0, boot pages and a xenheap's buffer never reach the heap. */
    out->frames_total = m->frames.nr_frames - m->pa.reserved_frames;
    out->frames_in_use = stat_get(&m->pa.frames_in_use);
    out->peak_frames = stat_get(&m->pa.peak_frames);
    out->overhead_frames = stat_get(&m->pa.overhead_frames);
    out->va_pages_in_use = stat_get(&m->vmap.va_in_use);
    out->peak_va_pages = stat_get(&m->vmap.peak_va);
    out->map_calls = stat_get(&m->mapper.map_calls);
    out->unmap_calls = stat_get(&m->mapper.unmap_calls);
    out->protect_calls = stat_get(&m->mapper.protect_calls);
    out->flushes = stat_get(&m->mapper.pt.n.flushes);
    out->full_flushes = stat_get(&m->mapper.pt.n.full_flushes);
    out->flush_ipis = stat_get(&m->mapper.pt.n.flush_ipis);
    out->tlbi = stat_get(&m->mapper.pt.n.tlbi);
    out->pte_writes = stat_get(&m->mapper.pt.n.pte_writes);
    out->pt_frames_allocated = stat_get(&m->mapper.pt.n.tables_allocated);
    out->pt_frames_freed = stat_get(&m->mapper.pt.n.tables_freed);
    out->cache_flushes = stat_get(&m->pa.flushed_to_ram);
    out->map_failures = stat_get(&m->mapper.map_failures);
    out->scrubbed_pages = stat_get(&m->pa.scrubbed_pages);
    out->pool_regions = xmalloc_pool_regions(m);
    out->pool_used_bytes = xmalloc_pool_used(m);
    out->largest_free_order = order < 0 ? UINT64_MAX : (uint64_t)order;
    out->xenheap_free_frames = free_frames(&m->pa, true);
    out->domheap_free_frames = free_frames(&m->pa, false);
}

enum alloc_path xen_model_region(struct xen_model *m, const void *p,
                                 uint64_t *offset)
{
    if (in_vmap(m, p)) {
        *offset = (uint64_t)((const char *)p - m->vmap.base);
        return PATH_VMAP;
    }
    if (in_directmap(&m->frames, p)) {
        *offset = (uint64_t)((const char *)p - m->frames.directmap);
        return PATH_POOL;
    }
    *offset = 0;
    return PATH_NONE;
}

uint64_t xen_model_caller_frames(const struct xen_model *m)
{
    return __atomic_load_n(&m->pa.caller_frames, __ATOMIC_RELAXED);
}

/* The path a live block took, told by where it lies: the vmap area is
 * vmalloc's; in the directmap, the pool never hands out a page-aligned
 * block (a region is one page and begins with a header), so page-aligned
 * blocks are whole pages, or alloc_xenheap_pages' own for the pages
 * policy. xmalloc(0)'s ZERO_BLOCK_PTR counts as the pool's. */
static enum alloc_path path_of(struct xen_model *m, const void *p, bool pages)
{
    if (in_vmap(m, p))
        return PATH_VMAP;
    if (pages)
        return PATH_PAGES;
    if (p != ZERO_BLOCK_PTR &&
        !((uintptr_t)p & (m->frames.page_size - 1)))
        return PATH_WHOLE_PAGES;
    return PATH_POOL;
}

void xen_model_place(struct xen_model *m, const void *p, bool pages,
                     uint64_t frames_before, struct placement *where)
{
    int64_t frames = (int64_t)(xen_model_caller_frames(m) - frames_before);
    uint64_t offset = 0;
    enum alloc_path path;

    if (!p) {
        *where = (struct placement){ .path = PATH_NONE, .frames = frames };
        return;
    }
    path = path_of(m, p, pages);
    xen_model_region(m, p, &offset);
    *where = (struct placement){
        .path = path,
        .offset = offset,
        .frames = frames,
        /* vmap pages with the guard page after them */
        .va_pages = path == PATH_VMAP ? vm_size(m, p) + 1u : 0,
    };
}

int xen_model_check(struct xen_model *m, char *why, size_t why_len)
{
    if (page_alloc_check(&m->pa, why, why_len) ||
        xmalloc_check(m, why, why_len) ||
        vmap_check(m, why, why_len))
        return -1;
    return 0;
}
