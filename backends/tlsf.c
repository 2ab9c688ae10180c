/*
 * Two-level segregated fit, as Xen's xmem_pool.
 *
 * Sizes map to a first level (the power of two below them) and a second
 * level (the next MAX_LOG2_SLI bits); bitmaps of non-empty lists make
 * finding a block O(1). A request is rounded up to the next class boundary
 * so that any block on the list found is large enough (good fit, not best
 * fit). Blocks carry a header with a pointer to the previous physical block
 * and a size word whose low bits say "free" and "previous is free", so
 * neighbours coalesce in O(1).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "backends/tlsf.h"

struct free_ptr {
    struct bhdr *prev, *next;
};

struct bhdr {
    struct bhdr *prev_hdr;   /* the block before this one in its region */
    uint32_t size;           /* bytes of data, with FREE_BLOCK, PREV_FREE */
    union {                  /* the data; free blocks keep list links here */
        struct free_ptr free_ptr;
        uint8_t buffer[MIN_BLOCK_SIZE];
    } ptr;
};

_Static_assert(offsetof(struct bhdr, ptr) == BHDR_OVERHEAD, "header layout");
_Static_assert(sizeof(struct free_ptr) == MIN_BLOCK_SIZE, "free_ptr layout");
_Static_assert(sizeof(void *) * 2 == MEM_ALIGN, "LP64 only");

#define ROUNDUP_SIZE(r)   (((r) + MEM_ALIGN - 1) & ~(unsigned long)(MEM_ALIGN - 1))
#define ROUNDDOWN_SIZE(r) ((r) & ~(unsigned long)(MEM_ALIGN - 1))

static inline unsigned long bsize(const struct bhdr *b)
{
    return b->size & BLOCK_SIZE_MASK;
}

/* The header after b's data: size bytes past where the data starts (as
 * Xen's GET_NEXT_BLOCK, without indexing past the 16-byte array). */
static inline struct bhdr *next_block(struct bhdr *b, unsigned long size)
{
    return (struct bhdr *)((char *)&b->ptr + size);
}

static inline struct bhdr *data_to_hdr(const void *p)
{
    return (struct bhdr *)((char *)p - BHDR_OVERHEAD);
}

static inline int flsl_(unsigned long x)
{
    return x ? 64 - __builtin_clzl(x) : 0;
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

/* ---- class mapping ---- */

void tlsf_mapping_search(unsigned long *r, int *fl, int *sl)
{
    unsigned long t;

    if (*r < SMALL_BLOCK) {
        *fl = 0;
        *sl = (int)(*r / (SMALL_BLOCK / MAX_SLI));
        return;
    }
    t = (1UL << (flsl_(*r) - 1 - MAX_LOG2_SLI)) - 1;
    *r += t;
    *fl = flsl_(*r) - 1;
    *sl = (int)((*r >> (*fl - MAX_LOG2_SLI)) - MAX_SLI);
    *fl -= FLI_OFFSET;
    *r &= ~t;
}

void tlsf_mapping_insert(unsigned long r, int *fl, int *sl)
{
    if (r < SMALL_BLOCK) {
        *fl = 0;
        *sl = (int)(r / (SMALL_BLOCK / MAX_SLI));
        return;
    }
    *fl = flsl_(r) - 1;
    *sl = (int)((r >> (*fl - MAX_LOG2_SLI)) - MAX_SLI);
    *fl -= FLI_OFFSET;
}

/* The head of the first non-empty list at or above (fl, sl): Xen's
 * FIND_SUITABLE_BLOCK. */
static struct bhdr *find_suitable_block(struct xmem_pool *p, int *fl, int *sl)
{
    uint32_t tmp = p->sl_bitmap[*fl] & (~0u << *sl);

    if (tmp) {
        *sl = __builtin_ffs((int)tmp) - 1;
        return p->matrix[*fl][*sl];
    }
    if (*fl + 1 >= REAL_FLI)
        return NULL;
    *fl = __builtin_ffs((int)(p->fl_bitmap & (~0u << (*fl + 1)))) - 1;
    if (*fl > 0) {
        *sl = __builtin_ffs((int)p->sl_bitmap[*fl]) - 1;
        return p->matrix[*fl][*sl];
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
        p->matrix[fl][sl]->ptr.free_ptr.prev = NULL;
    else
        clear_list_bit(p, fl, sl);
    b->ptr.free_ptr = (struct free_ptr){ NULL, NULL };
}

/* Xen's EXTRACT_BLOCK. */
static void extract_block(struct bhdr *b, struct xmem_pool *p, int fl, int sl)
{
    if (b->ptr.free_ptr.next)
        b->ptr.free_ptr.next->ptr.free_ptr.prev = b->ptr.free_ptr.prev;
    if (b->ptr.free_ptr.prev)
        b->ptr.free_ptr.prev->ptr.free_ptr.next = b->ptr.free_ptr.next;
    if (p->matrix[fl][sl] == b) {
        p->matrix[fl][sl] = b->ptr.free_ptr.next;
        if (!p->matrix[fl][sl])
            clear_list_bit(p, fl, sl);
    }
    b->ptr.free_ptr = (struct free_ptr){ NULL, NULL };
}

/* Xen's INSERT_BLOCK: free blocks are pushed at the head, LIFO within a
 * class. */
static void insert_block(struct bhdr *b, struct xmem_pool *p, int fl, int sl)
{
    b->ptr.free_ptr = (struct free_ptr){ NULL, p->matrix[fl][sl] };
    if (p->matrix[fl][sl])
        p->matrix[fl][sl]->ptr.free_ptr.prev = b;
    p->matrix[fl][sl] = b;
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

    b->prev_hdr = NULL;
    b->size = (uint32_t)ROUNDDOWN_SIZE(region_size - 2 * BHDR_OVERHEAD) |
              FREE_BLOCK;
    tlsf_mapping_insert(bsize(b), &fl, &sl);
    insert_block(b, p, fl, sl);
    sentinel = next_block(b, bsize(b));
    sentinel->prev_hdr = b;
    sentinel->size = PREV_FREE;
    p->used_size += BHDR_OVERHEAD;   /* the sentinel counts as used */
    p->num_regions++;
}

/* ---- the pool ---- */

void xmem_pool_init(struct xmem_pool *pool, xmem_get_memory get,
                    xmem_put_memory put, void *ctx, unsigned long max_size,
                    unsigned long grow_size, unsigned long page_size)
{
    memset(pool, 0, sizeof *pool);
    pool->max_size = (max_size + page_size - 1) & ~(page_size - 1);
    pool->grow_size = (grow_size + page_size - 1) & ~(page_size - 1);
    pool->get_mem = get;
    pool->put_mem = put;
    pool->ctx = ctx;
}

unsigned long xmem_pool_maxalloc(const struct xmem_pool *pool)
{
    return pool->grow_size - 2 * BHDR_OVERHEAD;
}

/* The tail of xmem_pool_alloc: splits b when the rest can hold a header
 * and a minimum block. */
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
        b2->prev_hdr = b;
        next->prev_hdr = b2;
        tlsf_mapping_insert(rest, &fl, &sl);
        insert_block(b2, p, fl, sl);
        b->size = (uint32_t)size | (b->size & PREV_FREE);
    } else {
        set_size_word(next, size_word(next) & ~PREV_FREE);
        b->size &= ~FREE_BLOCK;
    }
}

void *xmem_pool_alloc(unsigned long size, struct xmem_pool *pool)
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

void xmem_pool_free(void *ptr, struct xmem_pool *pool)
{
    struct bhdr *b, *tmp;
    int fl = 0, sl = 0;

    if (!ptr)
        return;
    b = data_to_hdr(ptr);

    spin_lock(&pool->lock);
    b->size |= FREE_BLOCK;
    pool->used_size -= bsize(b) + BHDR_OVERHEAD;
    b->ptr.free_ptr = (struct free_ptr){ NULL, NULL };
    tmp = next_block(b, bsize(b));
    if (tmp->size & FREE_BLOCK) {
        tlsf_mapping_insert(bsize(tmp), &fl, &sl);
        extract_block(tmp, pool, fl, sl);
        b->size += bsize(tmp) + BHDR_OVERHEAD;
    }
    if (b->size & PREV_FREE) {
        tmp = b->prev_hdr;
        tlsf_mapping_insert(bsize(tmp), &fl, &sl);
        extract_block(tmp, pool, fl, sl);
        tmp->size += bsize(b) + BHDR_OVERHEAD;
        b = tmp;
    }
    tmp = next_block(b, bsize(b));
    tmp->prev_hdr = b;

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

/* ---- alignment padding, as _xmalloc adds and xfree strips it ---- */

void *tlsf_add_padding(void *p, unsigned long align)
{
    unsigned long pad = -(uintptr_t)p & (align - 1);

    if (pad) {
        char *q = (char *)p + pad;

        data_to_hdr(q)->size = (uint32_t)pad | FREE_BLOCK;
        p = q;
    }
    return p;
}

void *tlsf_strip_padding(void *p)
{
    uint32_t size = size_word(data_to_hdr(p));

    if (size & FREE_BLOCK)
        p = (char *)p - (size & ~FREE_BLOCK);
    return p;
}

unsigned long tlsf_block_size(const void *p)
{
    return size_word(data_to_hdr(p)) & BLOCK_SIZE_MASK;
}

/* ---- invariants ---- */

static int check_block(struct bhdr *b, int fl, int sl, char *why,
                       unsigned long len)
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
    if (!(next->size & PREV_FREE) || next->prev_hdr != b) {
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

int xmem_pool_check(struct xmem_pool *pool, char *why, unsigned long why_len)
{
    int rc = 0;

    spin_lock(&pool->lock);
    for (int fl = 0; fl < REAL_FLI && !rc; fl++) {
        int any = 0;

        for (int sl = 0; sl < MAX_SLI && !rc; sl++) {
            struct bhdr *prev = NULL;
            int listed = pool->matrix[fl][sl] != NULL;

            if (listed != !!(pool->sl_bitmap[fl] & (1u << sl))) {
                snprintf(why, why_len, "pool bitmap [%d][%d] disagrees with "
                         "its list", fl, sl);
                rc = -1;
            }
            any |= listed;
            for (struct bhdr *b = pool->matrix[fl][sl]; b && !rc;
                 prev = b, b = b->ptr.free_ptr.next) {
                if (b->ptr.free_ptr.prev != prev) {
                    snprintf(why, why_len, "pool list [%d][%d]: broken link",
                             fl, sl);
                    rc = -1;
                } else {
                    rc = check_block(b, fl, sl, why, why_len);
                }
            }
        }
        if (!rc && any != !!(pool->fl_bitmap & (1u << fl))) {
            snprintf(why, why_len, "pool first-level bit %d disagrees", fl);
            rc = -1;
        }
    }
    spin_unlock(&pool->lock);
    return rc;
}
