/*
 * The model backends: one allocation policy each over the same modelled
 * hypervisor. A policy is a choice between alloc_xenheap_pages, xmalloc and
 * vmalloc; everything else is shared. A request that needs contiguous
 * memory never goes to vmalloc.
 *
 *   pages              alloc_xenheap_pages(order) for every request
 *   xmalloc            xmalloc for every request
 *   vmalloc            vmalloc; contiguous requests go to xmalloc
 *   xvmalloc           Xen 4.20: xmalloc up to PAGE_SIZE, vmalloc above
 *   xvmalloc-fallback  xvmalloc that tries the other path when one fails
 *   kvmalloc           Linux: above PAGE_SIZE try contiguous once, then vmalloc
 */
#include <string.h>

#include "backends/model.h"
#include "backends/xmalloc.h"

#define PAGE(h) ((h)->xen->frames.page_size)

static int model_init(struct heap *h, const struct heap_config *cfg)
{
    h->xen = xen_model_create(cfg, h->error, sizeof h->error);
    return h->xen ? 0 : -1;
}

static void model_fini(struct heap *h)
{
    xen_model_destroy(h->xen);
}

static void model_stats(struct heap *h, struct heap_stats *out)
{
    xen_model_stats(h->xen, out);
}

/* ---- the three paths, and moving a block between them ---- */

static void *x_alloc(struct heap *h, size_t size, size_t align, unsigned flags)
{
    return flags & HEAP_ZERO ? _xzalloc(h->xen, size, align)
                             : _xmalloc(h->xen, size, align);
}

/* vmalloc can only give page alignment. */
static void *v_alloc(struct heap *h, size_t size, size_t align, unsigned flags)
{
    if (align > PAGE(h) || !size)
        return NULL;
    return flags & HEAP_ZERO ? vzalloc(h->xen, size) : vmalloc(h->xen, size);
}

/* xvfree and kvfree: the vmap area knows its own. */
static void xv_free(struct heap *h, void *p)
{
    if (vm_size(h->xen, p))
        vfree(h->xen, p);
    else
        xfree(h->xen, p);
}

static size_t pages_of(struct heap *h, size_t size)
{
    return size / PAGE(h) + (size % PAGE(h) != 0);
}

/* The bytes of a pool block's page past the block belong to its
 * neighbours, which other threads may be writing while Xen copies them:
 * a race Xen has by design. They are copied out of ThreadSanitizer's
 * sight (volatile: no memcpy call for it to intercept). */
__attribute__((no_sanitize("thread")))
static void copy_neighbours(void *to, const void *from, size_t n)
{
    volatile unsigned char *d = to;
    const volatile unsigned char *s = from;

    for (size_t i = 0; i < n; i++)
        d[i] = s[i];
}

/* Copies what survives of a block into its new home, frees the old one. */
static void *move_to(struct heap *h, void *to, void *from, size_t copy)
{
    if (!to)
        return NULL;
    if (from && from != ZERO_BLOCK_PTR && to != ZERO_BLOCK_PTR && copy)
        memcpy(to, from, copy);
    xv_free(h, from);
    return to;
}

/* A vmap block keeps its place while its page count stays (xvrealloc). */
static bool vmap_in_place(struct heap *h, void *va, size_t size)
{
    unsigned pages = vm_size(h->xen, va);

    return pages && pages == pages_of(h, size);
}

/* ---- pages ---- */

static unsigned pages_order(struct heap *h, size_t size, size_t align)
{
    return get_order_from_bytes(&h->xen->pa, size > align ? size : align);
}

static void *pages_alloc(struct heap *h, size_t size, size_t align,
                         unsigned flags)
{
    unsigned order = pages_order(h, size, align);
    void *p = alloc_xenheap_pages(&h->xen->pa, order, 0);

    if (!p)
        return NULL;
    /* Callers of free_xenheap_pages pass the order back; the frame table's
     * spare word keeps it for them. */
    PFN_ORDER(virt_to_page(&h->xen->pa, p)) = order;
    if (flags & HEAP_ZERO)
        memset(p, 0, size);
    return p;
}

static void pages_free(struct heap *h, void *p, size_t size)
{
    free_xenheap_pages(&h->xen->pa, p,
                       PFN_ORDER(virt_to_page(&h->xen->pa, p)));
}

static void *pages_realloc(struct heap *h, void *p, size_t old, size_t size,
                           unsigned flags)
{
    unsigned order = PFN_ORDER(virt_to_page(&h->xen->pa, p));
    void *q;

    if (pages_order(h, size, 0) == order)
        return p;
    q = pages_alloc(h, size, 0, 0);
    if (!q)
        return NULL;
    memcpy(q, p, old < size ? old : size);
    free_xenheap_pages(&h->xen->pa, p, order);
    return q;
}

/* ---- xmalloc ---- */

static void *xmalloc_alloc(struct heap *h, size_t size, size_t align,
                           unsigned flags)
{
    return x_alloc(h, size, align, flags);
}

static void xmalloc_free(struct heap *h, void *p, size_t size)
{
    xfree(h->xen, p);
}

static void *xmalloc_realloc(struct heap *h, void *p, size_t old, size_t size,
                             unsigned flags)
{
    return _xrealloc(h->xen, p, size, 0);
}

/* ---- vmalloc ---- */

static void *vmalloc_alloc(struct heap *h, size_t size, size_t align,
                           unsigned flags)
{
    /* Size 0 is xmalloc's zero block: vmalloc(0) is a bug in Xen. */
    if ((flags & HEAP_NEEDS_CONTIG) || !size)
        return x_alloc(h, size, align, flags);
    return v_alloc(h, size, align, flags);
}

static void xv_free_sized(struct heap *h, void *p, size_t size)
{
    xv_free(h, p);
}

static void *vmalloc_realloc(struct heap *h, void *p, size_t old, size_t size,
                             unsigned flags)
{
    if (flags & HEAP_NEEDS_CONTIG)
        return _xrealloc(h->xen, p, size, 0);
    if (vmap_in_place(h, p, size))
        return p;
    return move_to(h, vmalloc_alloc(h, size, 0, 0), p, old < size ? old : size);
}

/* ---- xvmalloc and its fallback variant ---- */

static void *xv_alloc(struct heap *h, size_t size, size_t align,
                      unsigned flags, bool fallback)
{
    void *p;

    if (flags & HEAP_NEEDS_CONTIG)
        return x_alloc(h, size, align, flags);
    if (align > PAGE(h))
        return NULL;              /* Xen asserts align <= PAGE_SIZE */
    if (size <= PAGE(h)) {
        p = x_alloc(h, size, align, flags);
        if (!p && fallback)       /* the domheap may be larger (Jan) */
            p = v_alloc(h, size, align, flags);
    } else {
        p = v_alloc(h, size, align, flags);
        if (!p && fallback)       /* the vmap area may be exhausted */
            p = x_alloc(h, size, align, flags);
    }
    return p;
}

static void *xvmalloc_alloc(struct heap *h, size_t size, size_t align,
                            unsigned flags)
{
    return xv_alloc(h, size, align, flags, false);
}

static void *xvmalloc_fallback_alloc(struct heap *h, size_t size, size_t align,
                                     unsigned flags)
{
    return xv_alloc(h, size, align, flags, true);
}

/* Xen's _xvrealloc, with the other path tried on failure when asked.
 * Xen does not know a pool block's size: it copies to the end of the
 * block's page (such blocks never cross one); from a vmap block it copies
 * the whole old area, or the new size if smaller. A vmap block that
 * cannot move to a smaller home stays where it is. */
static void *xv_realloc(struct heap *h, void *va, size_t old, size_t size,
                        unsigned flags, bool fallback)
{
    size_t page = PAGE(h), pages;
    void *p;

    if (flags & HEAP_NEEDS_CONTIG)
        return _xrealloc(h->xen, va, size, 0);
    pages = vm_size(h->xen, va);
    if (!pages) {
        if (size <= page) {
            p = _xrealloc(h->xen, va, size, 0);
            if (!p && fallback)
                p = move_to(h, v_alloc(h, size, 0, 0), va,
                            old < size ? old : size);
            return p;
        }
        /* Only the fallback variant holds pool-path blocks past a page. */
        p = xv_alloc(h, size, 0, 0, fallback);
        if (p && old <= page && va && va != ZERO_BLOCK_PTR &&
            p != ZERO_BLOCK_PTR) {
            size_t rest = page - ((uintptr_t)va & (page - 1));

            memcpy(p, va, old);
            copy_neighbours((char *)p + old, (char *)va + old, rest - old);
            return move_to(h, p, va, 0);
        }
        return move_to(h, p, va, old < size ? old : size);
    }
    if (vmap_in_place(h, va, size))
        return va;
    p = xv_alloc(h, size, 0, 0, fallback);
    if (p)
        return move_to(h, p, va, size < pages * page ? size : pages * page);
    /* A vmap block that cannot move to a smaller home stays where it is;
     * xen_model_place finds its path and pages from its address. */
    return pages > pages_of(h, size) ? va : NULL;
}

static void *xvmalloc_realloc(struct heap *h, void *p, size_t old, size_t size,
                              unsigned flags)
{
    return xv_realloc(h, p, old, size, flags, false);
}

static void *xvmalloc_fallback_realloc(struct heap *h, void *p, size_t old,
                                       size_t size, unsigned flags)
{
    return xv_realloc(h, p, old, size, flags, true);
}

/* ---- kvmalloc ---- */

/* Linux's kvmalloc: small requests are kmalloc's; above PAGE_SIZE a
 * contiguous attempt without retrying (__GFP_NORETRY: Xen has no reclaim
 * to retry, so one attempt), then vmalloc. */
static void *kvmalloc_alloc(struct heap *h, size_t size, size_t align,
                            unsigned flags)
{
    void *p = x_alloc(h, size, align, flags);

    if (!p && size > PAGE(h) && !(flags & HEAP_NEEDS_CONTIG))
        p = v_alloc(h, size, align, flags);
    return p;
}

/* kvrealloc: vmalloc'd blocks stay vmalloc'd (vrealloc); others try
 * krealloc, then kvmalloc and a copy. */
static void *kvmalloc_realloc(struct heap *h, void *p, size_t old, size_t size,
                              unsigned flags)
{
    size_t keep = old < size ? old : size;
    void *q;

    if (vm_size(h->xen, p)) {
        if (vmap_in_place(h, p, size))
            return p;
        q = size ? v_alloc(h, size, 0, 0) : x_alloc(h, 0, 0, 0);
        return move_to(h, q, p, keep);
    }
    q = _xrealloc(h->xen, p, size, 0);
    if (q || (flags & HEAP_NEEDS_CONTIG) || size <= PAGE(h))
        return q;
    return move_to(h, v_alloc(h, size, 0, 0), p, keep);
}

/* ---- placements ---- */

/* The page allocator's count before a call that is to be placed. */
static uint64_t frames_now(struct heap *h, const struct placement *where)
{
    return where ? xen_model_caller_frames(h->xen) : 0;
}

static void *placed(struct heap *h, void *p, bool pages, uint64_t before,
                    struct placement *where)
{
    if (where)
        xen_model_place(h->xen, p, pages, before, where);
    return p;
}

/* A backend: its policy's calls, placed when asked. pages: its blocks
 * come from alloc_xenheap_pages itself. */
#define MODEL_BACKEND(id, nm, text, a, f, r, pages)                          \
    static void *placed_##id##_alloc(struct heap *h, size_t size,           \
                                     size_t align, unsigned flags,          \
                                     struct placement *where)               \
    {                                                                       \
        uint64_t before = frames_now(h, where);                             \
                                                                            \
        return placed(h, a(h, size, align, flags), pages, before, where);   \
    }                                                                       \
    static void *placed_##id##_realloc(struct heap *h, void *p, size_t old, \
                                       size_t size, unsigned flags,         \
                                       struct placement *where)             \
    {                                                                       \
        uint64_t before = frames_now(h, where);                             \
                                                                            \
        return placed(h, r(h, p, old, size, flags), pages, before, where);  \
    }                                                                       \
    static const struct heap_ops id##_ops = {                               \
        .init = model_init, .alloc = placed_##id##_alloc, .free = f,        \
        .realloc = placed_##id##_realloc, .stats = model_stats,             \
        .fini = model_fini,                                                 \
    };                                                                      \
    const struct backend backend_##id = {                                   \
        .name = nm, .summary = text, .model = true, .ops = &id##_ops,       \
    }

MODEL_BACKEND(pages, "pages", "alloc_xenheap_pages(order) for every request",
              pages_alloc, pages_free, pages_realloc, true);
MODEL_BACKEND(xmalloc, "xmalloc",
              "xmalloc for every request: TLSF pool below PAGE_SIZE, whole pages above",
              xmalloc_alloc, xmalloc_free, xmalloc_realloc, false);
MODEL_BACKEND(vmalloc, "vmalloc",
              "vmalloc for every request; contiguous ones go to xmalloc",
              vmalloc_alloc, xv_free_sized, vmalloc_realloc, false);
MODEL_BACKEND(xvmalloc, "xvmalloc",
              "Xen 4.20: xmalloc up to PAGE_SIZE, vmalloc above, no fallback",
              xvmalloc_alloc, xv_free_sized, xvmalloc_realloc, false);
MODEL_BACKEND(xvmalloc_fallback, "xvmalloc-fallback",
              "xvmalloc that tries the other path when one fails",
              xvmalloc_fallback_alloc, xv_free_sized,
              xvmalloc_fallback_realloc, false);
MODEL_BACKEND(kvmalloc, "kvmalloc",
              "Linux's rule: above PAGE_SIZE try contiguous once, then vmalloc",
              kvmalloc_alloc, xv_free_sized, kvmalloc_realloc, false);
