/* xmalloc: the TLSF pool below PAGE_SIZE, whole pages above. */
#include <stdio.h>
#include <string.h>

#include "backends/tlsf.h"
#include "backends/xmalloc.h"

#define PAGE_SIZE_OF(m)  ((unsigned long)(m)->frames.page_size)
#define PAGE_SHIFT_OF(m) ((m)->frames.page_shift)

/* The pool grows one xenheap page at a time (xmalloc_pool_get). */
static void *pool_get(void *ctx, unsigned long bytes)
{
    struct xen_model *m = ctx;

    (void)bytes;
    return alloc_xenheap_pages(&m->pa, 0, 0);
}

static void pool_put(void *ctx, void *region)
{
    struct xen_model *m = ctx;

    free_xenheap_pages(&m->pa, region, 0);
}

/* tlsf_init: the pool's descriptor lives in xenheap pages of its own,
 * charged to no allocation. */
int xmalloc_init(struct xen_model *m, char *why, size_t why_len)
{
    unsigned order = get_order_from_bytes(&m->pa, sizeof(struct xmem_pool));

    m->xenpool = alloc_xenheap_pages(&m->pa, order, MEMF_overhead);
    if (!m->xenpool) {
        snprintf(why, why_len, "no xenheap memory for the xmalloc pool");
        return -1;
    }
    xmem_pool_init(m->xenpool, pool_get, pool_put, m, 0, PAGE_SIZE_OF(m),
                   PAGE_SIZE_OF(m));
    return 0;
}

static void *xmalloc_whole_pages(struct xen_model *m, unsigned long size,
                                 unsigned long align)
{
    unsigned long page = PAGE_SIZE_OF(m);
    unsigned order = get_order_from_bytes(&m->pa, size > align ? size : align);
    char *res = alloc_xenheap_pages(&m->pa, order, 0), *p;

    if (!res)
        return NULL;
    /* Give back the tail past the pages asked for, smallest piece first:
     * the directmap is aligned like the frames, so the address bits tell
     * which pieces are buddies. */
    p = res + ((size + page - 1) & ~(page - 1));
    for (unsigned i = 0; i < order; i++) {
        if ((uintptr_t)p & (page << i)) {
            free_xenheap_pages(&m->pa, p, i);
            p += page << i;
        }
    }
    PFN_ORDER(virt_to_page(&m->pa, res)) =
        (uint32_t)((size + page - 1) >> PAGE_SHIFT_OF(m));
    return res;
}

void *_xmalloc(struct xen_model *m, unsigned long size, unsigned long align)
{
    void *p = NULL;

    if (!size)
        return ZERO_BLOCK_PTR;
    if (align < MEM_ALIGN)
        align = MEM_ALIGN;
    size += align - MEM_ALIGN;
    if (size < align - MEM_ALIGN)      /* overflow */
        return NULL;

    if (size < PAGE_SIZE_OF(m))
        p = xmem_pool_alloc(size, m->xenpool);
    if (!p)
        return xmalloc_whole_pages(m, size - align + MEM_ALIGN, align);
    return tlsf_add_padding(p, align);
}

void *_xzalloc(struct xen_model *m, unsigned long size, unsigned long align)
{
    void *p = _xmalloc(m, size, align);

    if (p && p != ZERO_BLOCK_PTR)
        memset(p, 0, size);
    return p;
}

static bool is_whole_pages(struct xen_model *m, const void *p)
{
    return !((uintptr_t)p & (PAGE_SIZE_OF(m) - 1));
}

/* Whether ptr can stay where it is for size bytes at align. */
static bool fits_in_place(struct xen_model *m, void *ptr, unsigned long size,
                          unsigned long align, unsigned long *curr_size)
{
    unsigned long need;
    void *p;

    *curr_size = 0;
    if (is_whole_pages(m, ptr)) {
        *curr_size = (unsigned long)PFN_ORDER(virt_to_page(&m->pa, ptr))
                     << PAGE_SHIFT_OF(m);
        /* Whole pages never shrink in place: they just stay. */
        return size <= *curr_size && !((uintptr_t)ptr & (align - 1));
    }
    need = size + align - MEM_ALIGN;
    if (need < size)
        return false;
    if (need < PAGE_SIZE_OF(m))
        need = need < MIN_BLOCK_SIZE ? MIN_BLOCK_SIZE
                                     : (need + MEM_ALIGN - 1) & ~(MEM_ALIGN - 1ul);
    p = tlsf_strip_padding(ptr);
    /* Xen copies curr_size bytes from the padded pointer; count only what
     * lies inside the block, so a copy never reads past its region. */
    *curr_size = tlsf_block_size(p) - (unsigned long)((char *)ptr - (char *)p);
    return need <= tlsf_block_size(p);
}

void *_xrealloc(struct xen_model *m, void *ptr, unsigned long size,
                unsigned long align)
{
    unsigned long curr_size;
    void *p;

    if (!size) {
        xfree(m, ptr);
        return ZERO_BLOCK_PTR;
    }
    if (!ptr || ptr == ZERO_BLOCK_PTR)
        return _xmalloc(m, size, align);
    if (align < MEM_ALIGN)
        align = MEM_ALIGN;

    if (fits_in_place(m, ptr, size, align, &curr_size)) {
        if (is_whole_pages(m, ptr))
            return ptr;
        p = tlsf_add_padding(tlsf_strip_padding(ptr), align);
        /* Xen callers pass the alignment they allocated with, so the
         * padding never changes there; a trace's realloc has no alignment,
         * and the model keeps the data when the padding does change. */
        if (p != ptr)
            memmove(p, ptr, curr_size < size ? curr_size : size);
        return p;
    }
    p = _xmalloc(m, size, align);
    if (p) {
        memcpy(p, ptr, curr_size < size ? curr_size : size);
        xfree(m, ptr);
    }
    return p;
}

void xfree(struct xen_model *m, void *p)
{
    if (!p || p == ZERO_BLOCK_PTR)
        return;

    if (is_whole_pages(m, p)) {
        struct page_info *pg = virt_to_page(&m->pa, p);
        unsigned long size = PFN_ORDER(pg);
        unsigned order = get_order_from_pages(size);

        PFN_ORDER(pg) = 0;
        /* Free the pieces back to front, each a power of two in size. */
        for (unsigned i = 0;; i++) {
            if (!(size & (1ul << i)))
                continue;
            size -= 1ul << i;
            free_xenheap_pages(&m->pa, (char *)p + (size << PAGE_SHIFT_OF(m)), i);
            if (i + 1 >= order)
                return;
        }
    }
    xmem_pool_free(tlsf_strip_padding(p), m->xenpool);
}

unsigned long xmalloc_pool_used(struct xen_model *m)
{
    return __atomic_load_n(&m->xenpool->used_size, __ATOMIC_RELAXED);
}

unsigned long xmalloc_pool_regions(struct xen_model *m)
{
    return __atomic_load_n(&m->xenpool->num_regions, __ATOMIC_RELAXED);
}
