/*
 * Two-level segregated fit, as Xen's xmem_pool, and xmalloc on top of it:
 * one layout of xen/common/xmalloc_tlsf.c (backends/tlsf.h says why there
 * are two). Compiled as it stands, this file is the LP64 layout;
 * backends/tlsf_arm32.c defines TLSF_ARM32 and compiles it again.
 *
 * Sizes map to a first level (the power of two below them) and a second
 * level (the next MAX_LOG2_SLI bits); bitmaps of non-empty lists make
 * finding a block O(1). Blocks carry a header with a link to the previous
 * physical block and a size word whose low bits say "free" and "previous
 * is free", so neighbours coalesce in O(1).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "backends/lock.h"
#include "backends/model.h"
#include "backends/tlsf.h"
#include "backends/xmalloc.h"

/*
 * A link is what Xen's struct bhdr * holds. On LP64 it is the host
 * pointer itself: the code below is Xen's, load for load. Arm32's is a
 * 32-bit virtual address: the pool's blocks live in model memory on a
 * 64-bit host, where a host pointer needs 8 bytes, so an arm32 header
 * holds the address arm32 Xen would see, its xenheap mapped from
 * XENHEAP_VIRT_START (arch/arm/include/asm/mmu/layout.h) in the order
 * of the model's frames. tlsf_init refuses a xenheap that 32 bits
 * cannot address. HDR turns a non-null link into a header, LINK a header
 * into a link; the null link is tested as a link, never turned.
 */
#ifdef TLSF_ARM32
#define XENHEAP_VIRT_START 0x40000000u   /* 1 GiB */
typedef uint32_t blink;
#define NO_LINK          0u
#define HDR(pool, l)     ((struct bhdr *)((pool)->va_to_host + (l)))
#define LINK(pool, b)    ((blink)((uintptr_t)(b) - (pool)->va_to_host))
#define LAYOUT           tlsf_arm32
#define LAYOUT_NAME      "arm32"
#else
typedef struct bhdr *blink;
#define NO_LINK          NULL
#define HDR(pool, l)     (l)
#define LINK(pool, b)    (b)
#define LAYOUT           tlsf_lp64
#define LAYOUT_NAME      "lp64"
#endif

struct free_ptr {
    blink prev, next;
};

struct bhdr {
    blink prev_hdr;          /* the block before this one in its region */
    uint32_t size;           /* bytes of data, with FREE_BLOCK, PREV_FREE */
    union {                  /* the data; free blocks keep list links here */
        struct free_ptr free_ptr;
        uint8_t buffer[sizeof(struct free_ptr)];
    } ptr;
};

/* Xen's parameters that follow from the layout, as xmalloc_tlsf.c derives
 * them; sizeof(blink) is that Xen's sizeof(void *). */
#define MEM_ALIGN       (sizeof(blink) * 2)       /* 16 on LP64, 8 on arm32 */
#define MIN_BLOCK_SIZE  sizeof(struct free_ptr)   /* 16, 8: room for links */
#define BHDR_OVERHEAD   (sizeof(struct bhdr) - MIN_BLOCK_SIZE)   /* 16, 8 */
#define PTR_MASK        (sizeof(blink) - 1)
#define BLOCK_SIZE_MASK (0xFFFFFFFFu - PTR_MASK)

_Static_assert(offsetof(struct bhdr, ptr) == BHDR_OVERHEAD, "header layout");
_Static_assert(BHDR_OVERHEAD == MEM_ALIGN, "the data is MEM_ALIGN-aligned");

#define ROUNDUP_SIZE(r)   (((r) + MEM_ALIGN - 1) & ~(unsigned long)(MEM_ALIGN - 1))
#define ROUNDDOWN_SIZE(r) ((r) & ~(unsigned long)(MEM_ALIGN - 1))

typedef void  (*xmem_put_memory)(void *ctx, void *region);

/* Xen's struct xmem_pool, field for field but its name; the model's own
 * fields come last. */
struct xmem_pool {
    uint32_t fl_bitmap;                      /* REAL_FLI bits */
    uint32_t sl_bitmap[REAL_FLI];
    blink matrix[REAL_FLI][MAX_SLI];         /* free lists, LIFO */
    spinlock_t lock;
    unsigned long max_size;                  /* 0: no limit */
    unsigned long grow_size;
    unsigned long used_size;
    unsigned long num_regions;
    xmem_get_memory get_mem;
    xmem_put_memory put_mem;
    void *ctx;
#ifdef TLSF_ARM32
    uintptr_t va_to_host;                    /* host address of VA 0 */
#endif
};

/* tlsf_init takes the descriptor from the xenheap in whole pages: two at
 * 4K on LP64 (Xen's is 6.3K there: the matrix of 8-byte pointers), one on
 * arm32 (3.2K): the first pool page comes from a different frame. */
#ifdef TLSF_ARM32
_Static_assert(sizeof(struct xmem_pool) <= 4096, "arm32: one 4K page");
#else
_Static_assert(sizeof(struct xmem_pool) > 4096 &&
               sizeof(struct xmem_pool) <= 8192, "LP64: two 4K pages");
#endif

static inline unsigned long bsize(const struct bhdr *b)
{
    return b->size & BLOCK_SIZE_MASK;
}

/* The header after b's data: size bytes past where the data starts (as
 * Xen's GET_NEXT_BLOCK, without indexing past the data array). */
static inline struct bhdr *next_block(struct bhdr *b, unsigned long size)
{
    return (struct bhdr *)((char *)&b->ptr + size);
}

static inline struct bhdr *data_to_hdr(const void *p)
{
    return (struct bhdr *)((char *)p - BHDR_OVERHEAD);
}

/* Read without the pool lock, as Xen does: the word of a live block may
 * have its PREV_FREE bit flipped meanwhile by a neighbour's free, under the
 * lock, so both sides use relaxed atomics: plain loads and stores on x86,
 * as Xen's plain "size &= ~PREV_FREE" is. Writers hold the lock, so the
 * load and store cannot lose another writer's update. */
static uint32_t size_word(const struct bhdr *b)
{
    return __atomic_load_n(&b->size, __ATOMIC_RELAXED);
}

static void set_size_word(struct bhdr *b, uint32_t v)
{
    __atomic_store_n(&b->size, v, __ATOMIC_RELAXED);
}

/* The head of the first non-empty list at or above (fl, sl): Xen's
 * FIND_SUITABLE_BLOCK. NULL when none. */
static struct bhdr *find_suitable_block(struct xmem_pool *p, int *fl, int *sl)
{
    uint32_t tmp = p->sl_bitmap[*fl] & (~0u << *sl);

    if (tmp) {
        *sl = __builtin_ffs((int)tmp) - 1;
        return HDR(p, p->matrix[*fl][*sl]);
    }
    if (*fl + 1 >= REAL_FLI)
        return NULL;
    *fl = __builtin_ffs((int)(p->fl_bitmap & (~0u << (*fl + 1)))) - 1;
    if (*fl > 0) {
        *sl = __builtin_ffs((int)p->sl_bitmap[*fl]) - 1;
        return HDR(p, p->matrix[*fl][*sl]);
    }
    return NULL;
}

/* ---- free lists ---- */

/* Xen's clear_bit and set_bit on the bitmaps: lock-prefixed on x86 even
 * though the pool lock is held. */
static void clear_list_bit(struct xmem_pool *p, int fl, int sl)
{
    clear_bit32((unsigned)sl, &p->sl_bitmap[fl]);
    if (!p->sl_bitmap[fl])
        clear_bit32((unsigned)fl, &p->fl_bitmap);
}

/* Xen's EXTRACT_BLOCK_HDR. */
static void extract_head(struct bhdr *b, struct xmem_pool *p, int fl, int sl)
{
    p->matrix[fl][sl] = b->ptr.free_ptr.next;
    if (p->matrix[fl][sl])
        HDR(p, p->matrix[fl][sl])->ptr.free_ptr.prev = NO_LINK;
    else
        clear_list_bit(p, fl, sl);
    b->ptr.free_ptr = (struct free_ptr){ NO_LINK, NO_LINK };
}

/* Xen's EXTRACT_BLOCK. */
static void extract_block(struct bhdr *b, struct xmem_pool *p, int fl, int sl)
{
    if (b->ptr.free_ptr.next)
        HDR(p, b->ptr.free_ptr.next)->ptr.free_ptr.prev = b->ptr.free_ptr.prev;
    if (b->ptr.free_ptr.prev)
        HDR(p, b->ptr.free_ptr.prev)->ptr.free_ptr.next = b->ptr.free_ptr.next;
    if (p->matrix[fl][sl] == LINK(p, b)) {
        p->matrix[fl][sl] = b->ptr.free_ptr.next;
        if (!p->matrix[fl][sl])
            clear_list_bit(p, fl, sl);
    }
    b->ptr.free_ptr = (struct free_ptr){ NO_LINK, NO_LINK };
}

/* Xen's INSERT_BLOCK: free blocks are pushed at the head, LIFO within a
 * class. */
static void insert_block(struct bhdr *b, struct xmem_pool *p, int fl, int sl)
{
    b->ptr.free_ptr = (struct free_ptr){ NO_LINK, p->matrix[fl][sl] };
    if (p->matrix[fl][sl])
        HDR(p, p->matrix[fl][sl])->ptr.free_ptr.prev = LINK(p, b);
    p->matrix[fl][sl] = LINK(p, b);
    set_bit32((unsigned)sl, &p->sl_bitmap[fl]);
    set_bit32((unsigned)fl, &p->fl_bitmap);
}

/* Xen's ADD_REGION: a region is one free block followed by a zero-size
 * sentinel header that marks its end. */
static void add_region(void *region, unsigned long region_size,
                       struct xmem_pool *p)
{
    struct bhdr *b = region, *sentinel;
    int fl, sl;

    b->prev_hdr = NO_LINK;
    b->size = (uint32_t)ROUNDDOWN_SIZE(region_size - 2 * BHDR_OVERHEAD) |
              FREE_BLOCK;
    tlsf_mapping_insert(bsize(b), &fl, &sl);
    insert_block(b, p, fl, sl);
    sentinel = next_block(b, bsize(b));
    sentinel->prev_hdr = LINK(p, b);
    sentinel->size = PREV_FREE;
    p->used_size += BHDR_OVERHEAD;   /* the sentinel counts as used */
    p->num_regions++;
}

/* ---- the pool ---- */

static unsigned long xmem_pool_maxalloc(const struct xmem_pool *pool)
{
    return pool->grow_size - 2 * BHDR_OVERHEAD;
}

/* The tail of xmem_pool_alloc: splits b when the rest can hold a whole
 * struct bhdr (a header and a minimum block). */
static void split_or_use(struct xmem_pool *p, struct bhdr *b,
                         unsigned long size)
{
    struct bhdr *next = next_block(b, bsize(b));
    unsigned long rest = bsize(b) - size;
    int fl, sl;

    if (rest >= sizeof(struct bhdr)) {
        struct bhdr *b2 = next_block(b, size);

        rest -= BHDR_OVERHEAD;
        b2->size = (uint32_t)rest | FREE_BLOCK;
        b2->prev_hdr = LINK(p, b);
        next->prev_hdr = LINK(p, b2);
        tlsf_mapping_insert(rest, &fl, &sl);
        insert_block(b2, p, fl, sl);
        b->size = (uint32_t)size | (b->size & PREV_FREE);
    } else {
        set_size_word(next, size_word(next) & ~PREV_FREE);
        b->size &= ~FREE_BLOCK;
    }
}

static void *xmem_pool_alloc(unsigned long size, struct xmem_pool *pool)
{
    struct bhdr *b;
    int fl, sl;

    if (size < MIN_BLOCK_SIZE) {
        size = MIN_BLOCK_SIZE;
    } else {
        unsigned long rounded = ROUNDUP_SIZE(size);

        if (rounded < size)
            return NULL;
        size = rounded;
    }

    spin_lock(&pool->lock);
    for (;;) {
        void *region;

        tlsf_mapping_search(&size, &fl, &sl);
        if (fl >= REAL_FLI)
            goto fail;
        b = find_suitable_block(pool, &fl, &sl);
        if (b)
            break;
        if (size > xmem_pool_maxalloc(pool))
            goto fail;
        if (pool->max_size &&
            pool->num_regions * pool->grow_size > pool->max_size)
            goto fail;
        /* As in Xen, the lock is dropped while a region is fetched. */
        spin_unlock(&pool->lock);
        region = pool->get_mem(pool->ctx, pool->grow_size);
        if (!region)
            return NULL;
        spin_lock(&pool->lock);
        add_region(region, pool->grow_size, pool);
    }
    extract_head(b, pool, fl, sl);
    split_or_use(pool, b, size);
    pool->used_size += bsize(b) + BHDR_OVERHEAD;
    spin_unlock(&pool->lock);
    return b->ptr.buffer;

fail:
    spin_unlock(&pool->lock);
    return NULL;
}

static void xmem_pool_free(void *ptr, struct xmem_pool *pool)
{
    struct bhdr *b, *tmp;
    int fl = 0, sl = 0;

    if (!ptr)
        return;
    b = data_to_hdr(ptr);

    spin_lock(&pool->lock);
    b->size |= FREE_BLOCK;
    pool->used_size -= bsize(b) + BHDR_OVERHEAD;
    b->ptr.free_ptr = (struct free_ptr){ NO_LINK, NO_LINK };
    tmp = next_block(b, bsize(b));
    if (tmp->size & FREE_BLOCK) {
        tlsf_mapping_insert(bsize(tmp), &fl, &sl);
        extract_block(tmp, pool, fl, sl);
        b->size += bsize(tmp) + BHDR_OVERHEAD;
    }
    if (b->size & PREV_FREE) {
        tmp = HDR(pool, b->prev_hdr);
        tlsf_mapping_insert(bsize(tmp), &fl, &sl);
        extract_block(tmp, pool, fl, sl);
        tmp->size += bsize(b) + BHDR_OVERHEAD;
        b = tmp;
    }
    tmp = next_block(b, bsize(b));
    tmp->prev_hdr = LINK(pool, b);

    /* A wholly free region goes back at once: Xen keeps no empty regions. */
    if (!b->prev_hdr && bsize(tmp) == 0) {
        pool->put_mem(pool->ctx, b);
        pool->num_regions--;
        pool->used_size -= BHDR_OVERHEAD;
        spin_unlock(&pool->lock);
        return;
    }
    tlsf_mapping_insert(bsize(b), &fl, &sl);
    insert_block(b, pool, fl, sl);
    set_size_word(tmp, size_word(tmp) | PREV_FREE);
    spin_unlock(&pool->lock);
}

/* ---- xmalloc: the pool below PAGE_SIZE, whole pages above ---- */

#define PAGE_SIZE_OF(m)  ((unsigned long)(m)->frames.page_size)
#define PAGE_SHIFT_OF(m) ((m)->frames.page_shift)
#define POOL(m)          ((struct xmem_pool *)(m)->xenpool)

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

#ifdef TLSF_ARM32
/* Whether every xenheap frame has an arm32 address: the xenheap's frames
 * lie below reach bytes from the directmap's start. */
static bool links_reach(const struct xen_model *m, char *why, size_t why_len)
{
    uint64_t frames = is_separate_xenheap(&m->pa) ? m->pa.xenheap_end
                                                  : m->frames.nr_frames;
    uint64_t reach = frames << m->frames.page_shift;

    if (m->pa.xenheap_bits && m->pa.xenheap_bits < 64 &&
        reach > (1ull << m->pa.xenheap_bits))
        reach = 1ull << m->pa.xenheap_bits;
    if (reach <= (uint64_t)UINT32_MAX + 1 - XENHEAP_VIRT_START)
        return true;
    snprintf(why, why_len, "arm32's xmalloc pool links its blocks by 32-bit "
             "addresses from XENHEAP_VIRT_START (1 GiB): the xenheap (%llu "
             "MiB) must lie within 3 GiB; set a smaller --xenheap or --memory",
             (unsigned long long)(reach >> 20));
    return false;
}
#else
/* Host pointers reach every frame. */
static bool links_reach(const struct xen_model *m, char *why, size_t why_len)
{
    return true;
}
#endif

/* tlsf_init and xmem_pool_create: the descriptor lives in xenheap pages
 * of its own, charged to no allocation; the pool grows by one page. */
static int tlsf_init(struct xen_model *m, char *why, size_t why_len)
{
    unsigned order = get_order_from_bytes(&m->pa,
                                          ROUNDUP_SIZE(sizeof(struct xmem_pool)));
    struct xmem_pool *pool;

    if (!links_reach(m, why, why_len))
        return -1;
    pool = alloc_xenheap_pages(&m->pa, order, MEMF_overhead);
    if (!pool) {
        snprintf(why, why_len, "no xenheap memory for the xmalloc pool");
        return -1;
    }
    memset(pool, 0, sizeof *pool);
    pool->grow_size = PAGE_SIZE_OF(m);   /* max_size 0: no limit */
    pool->get_mem = pool_get;
    pool->put_mem = pool_put;
    pool->ctx = m;
#ifdef TLSF_ARM32
    pool->va_to_host = (uintptr_t)m->frames.directmap - XENHEAP_VIRT_START;
#endif
    m->xenpool = pool;
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

/* Alignment padding inside a block: a fake free header before the
 * pointer returned, whose size word says how far back the block starts.
 * The model's directmap is aligned to far more than a page, as Xen's
 * mappings are, so host and Xen addresses agree in the bits that matter. */
static void *add_padding(void *p, unsigned long align)
{
    unsigned long pad = -(uintptr_t)p & (align - 1);

    if (pad) {
        char *q = (char *)p + pad;

        data_to_hdr(q)->size = (uint32_t)pad | FREE_BLOCK;
        p = q;
    }
    return p;
}

static void *strip_padding(void *p)
{
    uint32_t size = size_word(data_to_hdr(p));

    if (size & FREE_BLOCK)
        p = (char *)p - (size & ~FREE_BLOCK);
    return p;
}

static unsigned long block_size(const void *p)
{
    return size_word(data_to_hdr(p)) & BLOCK_SIZE_MASK;
}

/*
 * Sizes stay the model's 64-bit unsigned long on both layouts. Arm32's
 * 32-bit one would wrap where size + align passes 4 GiB, and Xen then
 * fails the request; so does the model, unwrapped: no xenheap it accepts
 * holds 3 GiB.
 */
static void *_xmalloc_(struct xen_model *m, unsigned long size,
                       unsigned long align)
{
    void *p = NULL;

    if (!size)
        return ZERO_BLOCK_PTR;
    if (align < MEM_ALIGN)
        align = MEM_ALIGN;
    size += align - MEM_ALIGN;        /* room for the worst padding */
    if (size < align - MEM_ALIGN)     /* overflow */
        return NULL;

    if (size < PAGE_SIZE_OF(m))
        p = xmem_pool_alloc(size, POOL(m));
    if (!p)
        return xmalloc_whole_pages(m, size - align + MEM_ALIGN, align);
    return add_padding(p, align);
}

static void *_xzalloc_(struct xen_model *m, unsigned long size,
                       unsigned long align)
{
    void *p = _xmalloc_(m, size, align);

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
        need = need < MIN_BLOCK_SIZE ? MIN_BLOCK_SIZE : ROUNDUP_SIZE(need);
    p = strip_padding(ptr);
    /* Xen copies curr_size bytes from the padded pointer; count only what
     * lies inside the block, so a copy never reads past its region. */
    *curr_size = block_size(p) - (unsigned long)((char *)ptr - (char *)p);
    return need <= block_size(p);
}

static void xfree_(struct xen_model *m, void *p);

static void *_xrealloc_(struct xen_model *m, void *ptr, unsigned long size,
                        unsigned long align)
{
    unsigned long curr_size;
    void *p;

    if (!size) {
        xfree_(m, ptr);
        return ZERO_BLOCK_PTR;
    }
    if (!ptr || ptr == ZERO_BLOCK_PTR)
        return _xmalloc_(m, size, align);
    if (align < MEM_ALIGN)
        align = MEM_ALIGN;

    if (fits_in_place(m, ptr, size, align, &curr_size)) {
        if (is_whole_pages(m, ptr))
            return ptr;
        p = add_padding(strip_padding(ptr), align);
        /* Xen callers pass the alignment they allocated with, so the
         * padding never changes there; a trace's realloc has no alignment,
         * and the model keeps the data when the padding does change. */
        if (p != ptr)
            memmove(p, ptr, curr_size < size ? curr_size : size);
        return p;
    }
    p = _xmalloc_(m, size, align);
    if (p) {
        memcpy(p, ptr, curr_size < size ? curr_size : size);
        xfree_(m, ptr);
    }
    return p;
}

static void xfree_(struct xen_model *m, void *p)
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
    xmem_pool_free(strip_padding(p), POOL(m));
}

/* ---- sizes and invariants ---- */

static unsigned long pool_grow_size(const struct xen_model *m)
{
    return POOL(m)->grow_size;
}

static unsigned long pool_maxalloc(const struct xen_model *m)
{
    return xmem_pool_maxalloc(POOL(m));
}

static unsigned long pool_used(const struct xen_model *m)
{
    return __atomic_load_n(&POOL(m)->used_size, __ATOMIC_RELAXED);
}

static unsigned long pool_regions(const struct xen_model *m)
{
    return __atomic_load_n(&POOL(m)->num_regions, __ATOMIC_RELAXED);
}

static int check_block(struct xmem_pool *p, struct bhdr *b, int fl, int sl,
                       char *why, size_t len)
{
    struct bhdr *next = next_block(b, bsize(b));
    int want_fl, want_sl;

    tlsf_mapping_insert(bsize(b), &want_fl, &want_sl);
    if (!(b->size & FREE_BLOCK) || want_fl != fl || want_sl != sl) {
        snprintf(why, len, "pool list [%d][%d] holds block %p of size %lu "
                 "(class [%d][%d], free bit %u)", fl, sl, (void *)b, bsize(b),
                 want_fl, want_sl, b->size & FREE_BLOCK);
        return -1;
    }
    if (!(next->size & PREV_FREE) || next->prev_hdr != LINK(p, b)) {
        snprintf(why, len, "pool block %p: the next block does not know it "
                 "is free", (void *)b);
        return -1;
    }
    if ((next->size & FREE_BLOCK) || (b->size & PREV_FREE)) {
        snprintf(why, len, "pool block %p was not coalesced", (void *)b);
        return -1;
    }
    return 0;
}

static int check_list(struct xmem_pool *pool, int fl, int sl, char *why,
                      size_t why_len)
{
    blink prev = NO_LINK;

    for (blink l = pool->matrix[fl][sl]; l; l = HDR(pool, l)->ptr.free_ptr.next) {
        struct bhdr *b = HDR(pool, l);

        if (b->ptr.free_ptr.prev != prev) {
            snprintf(why, why_len, "pool list [%d][%d]: broken link", fl, sl);
            return -1;
        }
        if (check_block(pool, b, fl, sl, why, why_len))
            return -1;
        prev = l;
    }
    return 0;
}

static int pool_check(struct xen_model *m, char *why, size_t why_len)
{
    struct xmem_pool *pool = POOL(m);
    int rc = 0;

    spin_lock(&pool->lock);
    for (int fl = 0; fl < REAL_FLI && !rc; fl++) {
        int any = 0;

        for (int sl = 0; sl < MAX_SLI && !rc; sl++) {
            int listed = pool->matrix[fl][sl] != NO_LINK;

            if (listed != !!(pool->sl_bitmap[fl] & (1u << sl))) {
                snprintf(why, why_len, "pool bitmap [%d][%d] disagrees with "
                         "its list", fl, sl);
                rc = -1;
            }
            any |= listed;
            if (!rc)
                rc = check_list(pool, fl, sl, why, why_len);
        }
        if (!rc && any != !!(pool->fl_bitmap & (1u << fl))) {
            snprintf(why, why_len, "pool first-level bit %d disagrees", fl);
            rc = -1;
        }
    }
    spin_unlock(&pool->lock);
    return rc;
}

static xmem_get_memory swap_get_mem(struct xen_model *m, xmem_get_memory fn)
{
    xmem_get_memory old = POOL(m)->get_mem;

    POOL(m)->get_mem = fn;
    return old;
}

const struct tlsf_layout LAYOUT = {
    .name = LAYOUT_NAME,
    .ptr_bytes = sizeof(blink),
    .mem_align = MEM_ALIGN,
    .bhdr_overhead = BHDR_OVERHEAD,
    .min_block_size = MIN_BLOCK_SIZE,
    .bhdr_size = sizeof(struct bhdr),
    .pool_bytes = sizeof(struct xmem_pool),
    .init = tlsf_init,
    .xmalloc = _xmalloc_,
    .xzalloc = _xzalloc_,
    .xrealloc = _xrealloc_,
    .xfree = xfree_,
    .grow_size = pool_grow_size,
    .maxalloc = pool_maxalloc,
    .used = pool_used,
    .regions = pool_regions,
    .strip_padding = strip_padding,
    .block_size = block_size,
    .check = pool_check,
    .swap_get_mem = swap_get_mem,
};
