/* The vmap area: first-fit virtual space with guard pages, and vmalloc. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "backends/model.h"
#include "backends/xmalloc.h"

#define BITS_PER_LONG   64
#define PAGE_SIZE_OF(m) ((m)->frames.page_size)
#define XEN_MFN_BYTES   8   /* sizeof(mfn_t) on 64-bit Xen */

/* ---- bitmap helpers (the bitmap is read through the vmap itself) ---- */

/* vm_index and vm_size read the bitmap without vm_lock, as Xen's do,
 * while allocations change other bits of the same words under it: every
 * access is a relaxed atomic. Writers hold vm_lock, so a load and a store
 * lose nothing: plain accesses on x86, as Xen's __set_bit and
 * __test_and_clear_bit in vm_alloc and vm_free are. */
static unsigned long word(const unsigned long *map, uint32_t bit)
{
    return __atomic_load_n(&map[bit / BITS_PER_LONG], __ATOMIC_RELAXED);
}

static bool test_bit(const unsigned long *map, uint32_t bit)
{
    return (word(map, bit) >> (bit % BITS_PER_LONG)) & 1;
}

static void set_bit(unsigned long *map, uint32_t bit)
{
    __atomic_store_n(&map[bit / BITS_PER_LONG],
                     word(map, bit) | 1ul << (bit % BITS_PER_LONG),
                     __ATOMIC_RELAXED);
}

static void clear_bit(unsigned long *map, uint32_t bit)
{
    __atomic_store_n(&map[bit / BITS_PER_LONG],
                     word(map, bit) & ~(1ul << (bit % BITS_PER_LONG)),
                     __ATOMIC_RELAXED);
}

/* First bit >= from whose value is want, or size when there is none. */
static uint32_t find_next(const unsigned long *map, uint32_t size,
                          uint32_t from, bool want)
{
    while (from < size) {
        unsigned long w = word(map, from);

        if (!want)
            w = ~w;
        w &= ~0ul << (from % BITS_PER_LONG);
        if (w) {
            uint32_t bit = (from & ~(uint32_t)(BITS_PER_LONG - 1)) +
                           (uint32_t)__builtin_ctzl(w);

            return bit < size ? bit : size;
        }
        from = (from | (BITS_PER_LONG - 1)) + 1;
    }
    return size;
}

/* ---- virtual space ---- */

/* Maps frame under the bitmap at bit top, so that it covers a page's worth
 * of bits more. Caller holds the lock, or is vm_init. */
static bool map_bitmap_page(struct xen_model *m, uint32_t frame, uint32_t top)
{
    char *va = (char *)m->vmap.bitmap + top / 8;

    if (map_frames(&m->mapper, va, frame, 1) != 0)
        return false;
    memset(va, 0, PAGE_SIZE_OF(m));
    return true;
}

/* A first-fit run of nr clear bits after a clear guard bit, or top. */
static uint32_t find_space(struct vmap *v, uint32_t nr, uint32_t align)
{
    uint32_t start = v->low;

    while (start < v->top) {
        uint32_t bit = find_next(v->bitmap, v->top, start + 1, true);

        /* Rounding up past start skips its bit: that is the guard page. */
        start = (start + align) & ~(align - 1);
        if (bit < v->top) {
            if (start + nr < bit)
                return start;
            start = find_next(v->bitmap, v->top, bit + 1, false);
        } else {
            if (start + nr <= bit)
                return start;
            start = bit;
        }
    }
    return v->top;
}

/* Takes one more domheap page for the bitmap, as Xen's vm_alloc does when
 * no space is left below vm_top. Called and returns with the lock held;
 * false when the area or memory is exhausted. */
static bool grow_bitmap(struct xen_model *m)
{
    struct vmap *v = &m->vmap;
    uint32_t top = v->top, frame;

    spin_unlock(&v->lock);
    if (top >= v->end)
        goto fail;
    frame = alloc_domheap_pages(&m->pa, 0, MEMF_overhead);
    if (frame == NO_FRAME)
        goto fail;
    spin_lock(&v->lock);
    if (v->top != top) {            /* another thread grew it meanwhile */
        free_overhead_pages(&m->pa, frame, 0);
        return true;
    }
    if (!map_bitmap_page(m, frame, top)) {
        free_overhead_pages(&m->pa, frame, 0);
        return false;
    }
    __atomic_store_n(&v->top, v->top + (uint32_t)(PAGE_SIZE_OF(m) * 8) > v->end
                     ? v->end : v->top + (uint32_t)(PAGE_SIZE_OF(m) * 8),
                     __ATOMIC_RELAXED);
    return true;

fail:
    spin_lock(&v->lock);
    return false;
}

static void *vm_alloc(struct xen_model *m, uint32_t nr, uint32_t align)
{
    struct vmap *v = &m->vmap;
    uint32_t start;

    spin_lock(&v->lock);
    while ((start = find_space(v, nr, align)) >= v->top) {
        if (!grow_bitmap(m)) {
            spin_unlock(&v->lock);
            return NULL;
        }
    }
    for (uint32_t bit = start; bit < start + nr; bit++)
        set_bit(v->bitmap, bit);
    if (start <= v->low + 2)
        v->low = start + nr;
    v->va_in_use += nr + 1;
    if (v->va_in_use > v->peak_va)
        v->peak_va = v->va_in_use;
    spin_unlock(&v->lock);
    return v->base + (size_t)start * PAGE_SIZE_OF(m);
}

/* The bit of the area starting at va, or 0: an area starts at a set bit
 * with a clear (guard) bit before it, past the bitmap's own pages. */
static uint32_t vm_index(struct xen_model *m, const void *va)
{
    struct vmap *v = &m->vmap;
    size_t off;
    uint32_t idx;

    if (!in_vmap(m, va) || ((uintptr_t)va & (PAGE_SIZE_OF(m) - 1)))
        return 0;
    off = (size_t)((const char *)va - v->base);
    if (off < v->end / 8)
        return 0;
    idx = (uint32_t)(off / PAGE_SIZE_OF(m));
    if (idx >= __atomic_load_n(&v->top, __ATOMIC_RELAXED))
        return 0;
    return !test_bit(v->bitmap, idx - 1) && test_bit(v->bitmap, idx) ? idx : 0;
}

unsigned vm_size(struct xen_model *m, const void *va)
{
    struct vmap *v = &m->vmap;
    uint32_t start = vm_index(m, va), end;

    if (!start)
        return 0;
    end = find_next(v->bitmap, __atomic_load_n(&v->top, __ATOMIC_RELAXED),
                    start + 1, false);
    return end - start;
}

bool in_vmap(const struct xen_model *m, const void *va)
{
    const char *c = va;
    const struct vmap *v = &m->vmap;

    return c >= v->base && c < v->base + (size_t)v->end * m->frames.page_size;
}

static void vm_free_bits(struct xen_model *m, uint32_t bit)
{
    struct vmap *v = &m->vmap;
    uint32_t first = bit;

    spin_lock(&v->lock);
    if (bit < v->low) {
        v->low = bit - 1;
        while (!test_bit(v->bitmap, v->low - 1))
            --v->low;
    }
    while (bit < v->top && test_bit(v->bitmap, bit))
        clear_bit(v->bitmap, bit++);
    v->va_in_use -= bit - first + 1;
    spin_unlock(&v->lock);
}

/* ---- FLUSH_LAZY ---- */

static bool defer_area(struct vmap *v, uint32_t start, uint32_t nr)
{
    if (v->lazy_n == v->lazy_cap) {
        size_t cap = v->lazy_cap ? v->lazy_cap * 2 : 64;
        struct lazy_area *a = realloc(v->lazy, cap * sizeof *a);

        if (!a)
            return false;
        v->lazy = a;
        v->lazy_cap = cap;
    }
    v->lazy[v->lazy_n++] = (struct lazy_area){ start, nr };
    v->lazy_pages += nr;
    return true;
}

static int by_start(const void *a, const void *b)
{
    const struct lazy_area *x = a, *y = b;

    return (x->start > y->start) - (x->start < y->start);
}

void vm_purge_lazy(struct xen_model *m)
{
    struct vmap *v = &m->vmap;
    struct lazy_area *batch;
    uint32_t lo = UINT32_MAX, hi = 0;
    size_t n;

    spin_lock(&v->lock);
    batch = v->lazy;
    n = v->lazy_n;
    v->lazy = NULL;
    v->lazy_n = v->lazy_cap = 0;
    v->lazy_pages = 0;
    spin_unlock(&v->lock);
    if (!n)
        return;
    /* The entries were cleared at vfree; the host's mappings and the
     * address space go now, under one flush of the range they span, with
     * one host call per run of areas that only guard pages separate (a
     * lone clear bit between two areas can hold no new area, which needs
     * two, so the run covers nothing live). */
    qsort(batch, n, sizeof *batch, by_start);
    for (size_t i = 0, j; i < n; i = j) {
        uint32_t end = batch[i].start + batch[i].nr;

        for (j = i + 1; j < n && batch[j].start <= end + 1; j++)
            end = batch[j].start + batch[j].nr;
        unmap_host(&m->mapper, v->base + (size_t)batch[i].start *
                   PAGE_SIZE_OF(m), end - batch[i].start);
        if (batch[i].start < lo)
            lo = batch[i].start;
        if (end > hi)
            hi = end;
    }
    for (size_t i = 0; i < n; i++)
        vm_free_bits(m, batch[i].start);
    mapper_lazy_flush(&m->mapper, hi - lo);
    free(batch);
}

/* ---- vmap, vunmap, vmalloc, vfree ---- */

/* __vmap: each frame mapped with its own call. A call that fails (no
 * frame left for a page table) vunmaps the whole area, as Xen does: x86
 * clears and flushes what was mapped, Arm flushes the whole range. */
static void *vmap_frames(struct xen_model *m, const uint32_t *mfn, uint32_t nr)
{
    char *va = vm_alloc(m, nr, 1);

    if (!va && m->vmap.lazy_n) {     /* Linux purges, then tries again */
        vm_purge_lazy(m);
        va = vm_alloc(m, nr, 1);
    }
    if (!va)
        return NULL;
    for (uint32_t i = 0; i < nr; i++) {
        if (map_frames(&m->mapper, va + (size_t)i * PAGE_SIZE_OF(m), mfn[i],
                       1) != 0) {
            unmap_pages_some(&m->mapper, va, nr, i);
            vm_free_bits(m, vm_index(m, va));
            return NULL;
        }
    }
    return va;
}

static unsigned mfn_bytes(const struct xen_model *m)
{
    return m->cfg.mfn_bytes ? m->cfg.mfn_bytes : XEN_MFN_BYTES;
}

static void *vmalloc_pages(struct xen_model *m, size_t size, bool zero)
{
    uint32_t pages, *mfn, i;
    void *va = NULL;

    if (!size || size > (size_t)m->vmap.end * PAGE_SIZE_OF(m))
        return NULL;
    pages = (uint32_t)((size + PAGE_SIZE_OF(m) - 1) / PAGE_SIZE_OF(m));
    /* Xen collects the frames in an xmalloc'd array of mfn_t first; the
     * model stores 32-bit frame numbers in an array of Xen's size. */
    mfn = _xmalloc(m, (unsigned long)pages * mfn_bytes(m), mfn_bytes(m));
    if (!mfn)
        return NULL;
    for (i = 0; i < pages; i++) {
        mfn[i] = alloc_domheap_pages(&m->pa, 0, 0);
        if (mfn[i] == NO_FRAME)
            break;
    }
    if (i == pages)
        va = vmap_frames(m, mfn, pages);
    if (!va)
        while (i--)
            free_domheap_pages(&m->pa, mfn[i], 0);
    xfree(m, mfn);
    if (va && zero)
        memset(va, 0, (size_t)pages * PAGE_SIZE_OF(m));
    return va;
}

void *vmalloc(struct xen_model *m, size_t size)
{
    return vmalloc_pages(m, size, false);
}

void *vzalloc(struct xen_model *m, size_t size)
{
    return vmalloc_pages(m, size, true);
}

/* _vfree: each page's frame from the page tables (xen_map_to_mfn), listed
 * at the head of a page list through the frame table, as page_list_add
 * does; then vunmap, then the list freed from its head: last page first. */
static uint32_t list_pages(struct xen_model *m, const char *va, uint32_t pages)
{
    uint32_t head = NO_FRAME;

    for (uint32_t i = 0; i < pages; i++) {
        uint32_t f = lookup_frame(&m->mapper, va + (size_t)i * PAGE_SIZE_OF(m));

        frame_page(&m->pa, f)->list.next = head;
        head = f;
    }
    return head;
}

static void free_listed(struct xen_model *m, uint32_t head)
{
    while (head != NO_FRAME) {
        uint32_t next = frame_page(&m->pa, head)->list.next;

        free_domheap_pages(&m->pa, head, 0);
        head = next;
    }
}

void vfree(struct xen_model *m, void *va)
{
    struct vmap *v = &m->vmap;
    uint32_t start = vm_index(m, va), pages, list;
    bool deferred, purge;

    if (!start)
        return;
    pages = vm_size(m, va);
    list = list_pages(m, va, pages);
    if (m->cfg.flush != FLUSH_LAZY) {
        unmap_pages(&m->mapper, va, pages);
        vm_free_bits(m, start);
        free_listed(m, list);
        return;
    }
    /* Linux: the entries go now, the flush and the range later. */
    clear_pages(&m->mapper, va, pages);
    free_listed(m, list);
    spin_lock(&v->lock);
    deferred = defer_area(v, start, pages);
    purge = v->lazy_pages > v->lazy_max;
    spin_unlock(&v->lock);
    if (!deferred) {
        unmap_host(&m->mapper, va, pages);
        mapper_lazy_flush(&m->mapper, pages);
        vm_free_bits(m, start);
    }
    if (purge)
        vm_purge_lazy(m);
}

/* ---- set-up ---- */

static uint32_t pages_up(uint64_t bytes, size_t page)
{
    return (uint32_t)((bytes + page - 1) / page);
}

int vm_init(struct xen_model *m, char *why, size_t why_len)
{
    struct vmap *v = &m->vmap;
    size_t page = PAGE_SIZE_OF(m), len;
    uint32_t nr;

    memset(v, 0, sizeof *v);
    v->end = (uint32_t)(m->cfg.vmap_bytes / page);
    if (m->cfg.vmap_bytes / page < 64 || m->cfg.vmap_bytes / page >= UINT32_MAX) {
        snprintf(why, why_len, "vmap size %llu must give 64 pages to 2^32",
                 (unsigned long long)m->cfg.vmap_bytes);
        return -1;
    }
    len = (size_t)v->end * page;
    v->base = reserve_aligned(len, page > (2u << 20) ? page : (2u << 20),
                              &v->reserve, &v->reserve_len);
    if (!v->base) {
        snprintf(why, why_len, "cannot reserve %zu MiB for the vmap area",
                 len >> 20);
        return -1;
    }
    m->mapper.vmap_base = v->base;
    v->bitmap = (unsigned long *)v->base;
    v->low = pages_up((v->end + 7) / 8, page);
    nr = pages_up((v->low + 7) / 8, page);
    /* Xen sets vm_top to what nr pages of bitmap cover; the model also caps
     * it at the area's end, which small areas of large pages can exceed. */
    v->top = nr * (uint32_t)page * 8 < v->end ? nr * (uint32_t)page * 8 : v->end;
    for (uint32_t i = 0; i < nr; i++) {
        /* Before end_boot_allocator: never in the heap (Xen's early boot). */
        uint32_t frame = alloc_boot_pages(&m->pa, 1);

        if (frame == NO_FRAME ||
            !map_bitmap_page(m, frame, i * (uint32_t)page * 8)) {
            snprintf(why, why_len, "no memory for the vmap bitmap");
            vm_fini(m);
            return -1;
        }
    }
    for (uint32_t bit = 0; bit < v->low; bit++)
        set_bit(v->bitmap, bit);
    /* populate_pt_range: the tables for the rest of the bitmap's space.
     * Like the bitmap's, they come from boot memory; what the run does
     * from here on is counted from zero. */
    if (pt_populate(&m->mapper.pt, model_va(&m->mapper, v->base +
                    (size_t)nr * page), v->low - nr)) {
        snprintf(why, why_len, "no memory for the vmap page tables");
        vm_fini(m);
        return -1;
    }
    m->mapper.pt.booting = false;
    pt_reset_counts(&m->mapper.pt);
    v->lazy_max = m->cfg.lazy_max_pages
                  ? m->cfg.lazy_max_pages
                  : pt_lazy_max_pages(m->mapper.pt.cpus, page);
    return 0;
}

void vm_fini(struct xen_model *m)
{
    struct vmap *v = &m->vmap;

    if (v->reserve)
        munmap(v->reserve, v->reserve_len);
    free(v->lazy);
    memset(v, 0, sizeof *v);
}

/* The page tables against the bitmap: every page of a live area maps a
 * frame in use that the host maps there too (a word written through the
 * vmap reads back through the frame), every bitmap page is mapped, and
 * nothing else is: guards, free space and lazily freed areas are clear. */
static int check_pages(struct xen_model *m, const unsigned char *lazy,
                       uint64_t *live, char *why, size_t why_len)
{
    struct vmap *v = &m->vmap;
    uint32_t first = pages_up((v->end + 7) / 8, PAGE_SIZE_OF(m));

    for (uint32_t bit = first; bit < v->top; bit++) {
        char *va = v->base + (size_t)bit * PAGE_SIZE_OF(m);
        uint32_t f;
        volatile uint64_t *w, *alias;
        uint64_t keep;

        if (!test_bit(v->bitmap, bit) || lazy[bit])
            continue;
        f = lookup_frame(&m->mapper, va);
        if (f == NO_FRAME || page_state(frame_page(&m->pa, f)) != PGS_INUSE) {
            snprintf(why, why_len, "vmap page %u of a live area maps %s",
                     bit, f == NO_FRAME ? "nothing" : "a free frame");
            return -1;
        }
        w = (volatile uint64_t *)va;
        alias = frame_to_view(&m->frames, f);
        keep = *w;
        *w = keep ^ 0x5a5a5a5a5a5a5a5aull;
        if (*alias != (keep ^ 0x5a5a5a5a5a5a5a5aull)) {
            *w = keep;
            snprintf(why, why_len, "vmap page %u: the host maps another "
                     "frame than the page table's %u", bit, f);
            return -1;
        }
        *w = keep;
        (*live)++;
    }
    return 0;
}

static int check_tables(struct xen_model *m, char *why, size_t why_len)
{
    struct vmap *v = &m->vmap;
    size_t page = PAGE_SIZE_OF(m);
    unsigned char *lazy = calloc(v->top ? v->top : 1, 1);
    uint64_t live = 0, present = 0, lo = PT_VMAP_VA;
    uint64_t bitmap_pages = pages_up(v->top, page * 8);
    int rc;

    if (!lazy) {
        snprintf(why, why_len, "out of memory for the vmap check");
        return -1;
    }
    for (size_t i = 0; i < v->lazy_n; i++)
        memset(lazy + v->lazy[i].start, 1, v->lazy[i].nr);
    rc = check_pages(m, lazy, &live, why, why_len);
    free(lazy);
    if (!rc)
        rc = pt_check(&m->mapper.pt, lo, lo + (uint64_t)v->end * page,
                      &present, why, why_len);
    if (!rc && present != live + bitmap_pages) {
        snprintf(why, why_len, "the vmap page tables map %llu pages; the "
                 "bitmap's %llu and live areas' %llu should be all",
                 (unsigned long long)present,
                 (unsigned long long)bitmap_pages, (unsigned long long)live);
        rc = -1;
    }
    return rc;
}

int vmap_check(struct xen_model *m, char *why, size_t why_len)
{
    struct vmap *v = &m->vmap;
    uint64_t used = 0;
    uint32_t first = pages_up((v->end + 7) / 8, PAGE_SIZE_OF(m));
    int rc = 0;

    spin_lock(&v->lock);
    if (v->low != v->top && test_bit(v->bitmap, v->low)) {
        snprintf(why, why_len, "vm_low %u is a set bit", v->low);
        rc = -1;
    }
    for (uint32_t bit = first; bit < v->top && !rc; bit++)
        if (test_bit(v->bitmap, bit))
            used += 1 + !test_bit(v->bitmap, bit - 1);   /* a guard per area */
    if (!rc && used != v->va_in_use) {
        snprintf(why, why_len, "vmap bitmap holds %llu pages with guards, the "
                 "count says %llu", (unsigned long long)used,
                 (unsigned long long)v->va_in_use);
        rc = -1;
    }
    if (!rc)
        rc = check_tables(m, why, why_len);
    spin_unlock(&v->lock);
    return rc;
}
