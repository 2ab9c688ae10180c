/*
 * The TLSF pool and xmalloc, fact by fact (xen-allocators.md, "TLSF pool"
 * and "xmalloc / xfree / xrealloc").
 */
#include <stdlib.h>

#include "tests/check.h"
#include "tests/fixture.h"
#include "backends/tlsf.h"

static struct xen_model *xen(struct heap *h)
{
    return h->xen;
}

static unsigned long block_size(struct heap *h, const void *p)
{
    return h->xen->tlsf->block_size(p);
}

static void *strip_padding(struct heap *h, void *p)
{
    return h->xen->tlsf->strip_padding(p);
}

/* Below 128 bytes: first level 0, second level size / 4; above, the power
 * of two below and the next 5 bits; a search rounds up to the next class. */
static void class_mapping_is_xens(void **state)
{
    unsigned long r;
    int fl, sl;

    tlsf_mapping_insert(16, &fl, &sl);
    assert_int_equal(fl, 0);
    assert_int_equal(sl, 4);
    tlsf_mapping_insert(127, &fl, &sl);
    assert_int_equal(fl, 0);
    assert_int_equal(sl, 31);
    tlsf_mapping_insert(128, &fl, &sl);       /* fls(128) - 1 - 6 = 1 */
    assert_int_equal(fl, 1);
    assert_int_equal(sl, 0);
    tlsf_mapping_insert(4064, &fl, &sl);      /* a fresh 4K region's block */
    assert_int_equal(fl, 5);
    assert_int_equal(sl, 31);

    r = 100;                                  /* small: no rounding */
    tlsf_mapping_search(&r, &fl, &sl);
    assert_int_equal(r, 100);
    assert_int_equal(sl, 25);
    r = 4000;                                 /* rounds up to 64 bytes */
    tlsf_mapping_search(&r, &fl, &sl);
    assert_int_equal(r, 4032);
    assert_int_equal(fl, 5);
    assert_int_equal(sl, 31);
    r = 4048;                                 /* the next class: 4096 */
    tlsf_mapping_search(&r, &fl, &sl);
    assert_int_equal(r, 4096);
    assert_int_equal(fl, 6);
    assert_int_equal(sl, 0);
}

static void constants_are_xens(void **state)
{
    assert_int_equal(MAX_FLI, 30);
    assert_int_equal(MAX_LOG2_SLI, 5);
    assert_int_equal(FLI_OFFSET, 6);
    assert_int_equal(SMALL_BLOCK, 128);
    assert_int_equal(REAL_FLI, 24);
    assert_int_equal(tlsf_lp64.min_block_size, 16);
    assert_int_equal(tlsf_lp64.bhdr_overhead, 16);
    assert_int_equal(tlsf_lp64.mem_align, 16);
}

/* The largest request the pool can serve at each page size: the region's
 * one block is PAGE_SIZE - 32 bytes, and a request is rounded up to its
 * class before the search. */
static void pool_threshold_moves_with_page_size(void **state)
{
    static const struct { size_t page, fits; } cases[] = {
        { 4096, 4032 }, { 16384, 16128 }, { 65536, 64512 },
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct heap_config cfg = test_config(cases[i].page);
        struct heap *h = open_heap("xmalloc", &cfg);
        struct placement w;
        void *in = heap_alloc(h, cases[i].fits, 0, 0, &w);

        assert_int_equal(w.path, PATH_POOL);
        assert_int_equal(xen(h)->tlsf->grow_size(xen(h)), cases[i].page);
        assert_int_equal(xen(h)->tlsf->maxalloc(xen(h)), cases[i].page - 32);
        void *out = heap_alloc(h, cases[i].fits + 1, 0, 0, &w);
        assert_int_equal(w.path, PATH_WHOLE_PAGES);
        assert_int_equal(w.frames, 1);
        heap_free(h, in, cases[i].fits);
        heap_free(h, out, cases[i].fits + 1);
        close_heap(h);
    }
}

/* A region is one page from the xenheap, given back as soon as it is
 * wholly free: the block that made the pool grow is charged one frame. */
static void pool_grows_and_shrinks_a_page_at_a_time(void **state)
{
    struct heap_config cfg = test_config(4096);
    struct heap *h = open_heap("xmalloc", &cfg);
    struct placement w;
    uint64_t base = frames_in_use(h);
    void *a = heap_alloc(h, 64, 0, 0, &w), *b;

    assert_int_equal(w.frames, 1);
    assert_int_equal(xmalloc_pool_regions(xen(h)), 1);
    b = heap_alloc(h, 64, 0, 0, &w);
    assert_int_equal(w.frames, 0);
    assert_ptr_equal(b, (char *)a + 64 + 16);       /* BHDR_OVERHEAD */
    heap_free(h, a, 64);
    assert_int_equal(xmalloc_pool_regions(xen(h)), 1);
    heap_free(h, b, 64);
    assert_int_equal(xmalloc_pool_regions(xen(h)), 0);
    assert_int_equal(frames_in_use(h), base);
    assert_int_equal(xmalloc_pool_used(xen(h)), 0);
    close_heap(h);
}

/* A block is split only when the rest holds a header and a minimum block
 * (32 bytes); otherwise the caller gets the whole block. */
static void split_needs_32_bytes_of_rest(void **state)
{
    struct heap_config cfg = test_config(4096);
    struct heap *h = open_heap("xmalloc", &cfg);
    void *a = _xmalloc(xen(h), 16, 0);
    void *b = _xmalloc(xen(h), 48, 0);
    void *c = _xmalloc(xen(h), 16, 0);
    void *d;

    assert_int_equal(block_size(h, b), 48);
    xfree(xen(h), b);                      /* a 48-byte hole between a and c */
    d = _xmalloc(xen(h), 32, 0);           /* rest 16: no split */
    assert_ptr_equal(d, b);
    assert_int_equal(block_size(h, d), 48);
    xfree(xen(h), d);
    d = _xmalloc(xen(h), 16, 0);           /* rest 32: split */
    assert_ptr_equal(d, b);
    assert_int_equal(block_size(h, d), 16);
    xfree(xen(h), d);
    xfree(xen(h), a);
    xfree(xen(h), c);
    assert_int_equal(xmalloc_pool_regions(xen(h)), 0);
    close_heap(h);
}

/* Free blocks are pushed at the head of their list: the last freed block
 * of a class is the next one handed out. */
static void free_lists_are_lifo(void **state)
{
    struct heap_config cfg = test_config(4096);
    struct heap *h = open_heap("xmalloc", &cfg);
    void *p[6];

    for (int i = 0; i < 6; i++)
        p[i] = _xmalloc(xen(h), 32, 0);
    xfree(xen(h), p[1]);
    xfree(xen(h), p[3]);
    assert_ptr_equal(_xmalloc(xen(h), 32, 0), p[3]);
    assert_ptr_equal(_xmalloc(xen(h), 32, 0), p[1]);
    for (int i = 0; i < 6; i++)
        xfree(xen(h), p[i]);
    close_heap(h);
}

/* Whole pages: order of max(size, align), the tail past the requested
 * pages freed in ascending power-of-two pieces, the page count kept. */
static void whole_pages_trim_the_tail(void **state)
{
    struct heap_config cfg = test_config(4096);
    struct heap *h = open_heap("xmalloc", &cfg);
    uint32_t before[512] = { 0 }, after[512] = { 0 };
    uint64_t base = frames_in_use(h);
    size_t size = 5 * 4096 - 100;            /* 5 pages of an order-3 block */
    struct placement w;
    char *p;

    free_block_census(&xen(h)->pa, before, 512);
    p = heap_alloc(h, size, 0, 0, &w);
    assert_int_equal(w.path, PATH_WHOLE_PAGES);
    assert_int_equal(w.frames, 5);
    assert_int_equal(frames_in_use(h), base + 5);
    assert_int_equal((uintptr_t)p % (8 * 4096), 0);    /* order-3 aligned */
    assert_int_equal(PFN_ORDER(virt_to_page(&xen(h)->pa, p)), 5);
    /* The trimmed page at +5 and pair at +6 are free again. */
    assert_int_equal(page_state(frame_page(&xen(h)->pa, frame_of(h, p + 5 * 4096))),
                     PGS_FREE);
    assert_int_equal(page_state(frame_page(&xen(h)->pa, frame_of(h, p + 6 * 4096))),
                     PGS_FREE);
    memset(p, 7, size);
    heap_free(h, p, size);
    free_block_census(&xen(h)->pa, after, 512);
    assert_memory_equal(before, after, sizeof before);
    close_heap(h);
}

static void alignment_above_a_page_uses_whole_pages(void **state)
{
    struct heap_config cfg = test_config(4096);
    struct heap *h = open_heap("xmalloc", &cfg);
    struct placement w;
    void *p = heap_alloc(h, 100, 16384, 0, &w);

    assert_int_equal(w.path, PATH_WHOLE_PAGES);
    assert_int_equal((uintptr_t)p % 16384, 0);
    assert_int_equal(w.frames, 1);          /* order 2, three pages trimmed */
    heap_free(h, p, 100);
    close_heap(h);
}

/* Alignment inside the pool: the size grows by align - 16 and a fake free
 * header before the pointer says how far back the block starts. */
static void pool_alignment_padding(void **state)
{
    struct heap_config cfg = test_config(4096);
    struct heap *h = open_heap("xmalloc", &cfg);
    void *filler = _xmalloc(xen(h), 16, 0);
    char *p = _xmalloc(xen(h), 100, 256);
    uint64_t base;

    assert_int_equal((uintptr_t)p % 256, 0);
    assert_true((uintptr_t)p % 4096 != 0);      /* never page aligned */
    assert_true(strip_padding(h, p) < (void *)p);
    /* 100 + 256 - 16 = 340, rounded to 16: 352, already a class boundary. */
    assert_int_equal(block_size(h, strip_padding(h, p)), 352);
    base = xmalloc_pool_used(xen(h));
    xfree(xen(h), p);
    assert_true(xmalloc_pool_used(xen(h)) < base);
    xfree(xen(h), filler);
    assert_int_equal(xmalloc_pool_regions(xen(h)), 0);
    close_heap(h);
}

static void size_zero_is_the_zero_block(void **state)
{
    struct heap_config cfg = test_config(4096);
    struct heap *h = open_heap("xmalloc", &cfg);
    uint64_t base = frames_in_use(h);

    assert_ptr_equal(_xmalloc(xen(h), 0, 0), ZERO_BLOCK_PTR);
    xfree(xen(h), ZERO_BLOCK_PTR);
    xfree(xen(h), NULL);
    assert_int_equal(frames_in_use(h), base);
    close_heap(h);
}

/* xrealloc: in place where the block allows; whole pages never shrink in
 * place (they stay); otherwise allocate, copy, free. */
static void xrealloc_in_place_and_moving(void **state)
{
    struct heap_config cfg = test_config(4096);
    struct heap *h = open_heap("xmalloc", &cfg);
    char *p = _xmalloc(xen(h), 40, 0), *q;

    memcpy(p, "xen-devel", 10);
    assert_ptr_equal(_xrealloc(xen(h), p, 48, 0), p);     /* same 48 class */
    q = _xrealloc(xen(h), p, 1000, 0);
    assert_ptr_not_equal(q, p);
    assert_string_equal(q, "xen-devel");
    p = _xrealloc(xen(h), q, 3 * 4096, 0);                /* to whole pages */
    assert_int_equal((uintptr_t)p % 4096, 0);
    assert_string_equal(p, "xen-devel");
    assert_ptr_equal(_xrealloc(xen(h), p, 100, 0), p);    /* never shrinks */
    assert_int_equal(PFN_ORDER(virt_to_page(&xen(h)->pa, p)), 3);
    assert_ptr_equal(_xrealloc(xen(h), p, 0, 0), ZERO_BLOCK_PTR);
    close_heap(h);
}

/* Without a directmap, pool growth and whole pages pay mapping costs. */
static void no_directmap_xmalloc_maps_its_pages(void **state)
{
    struct heap_config cfg = test_config(4096);
    struct heap *h;
    uint64_t maps;
    void *p;

    cfg.directmap = false;
    h = open_heap("xmalloc", &cfg);
    maps = xen(h)->mapper.map_calls;
    p = _xmalloc(xen(h), 64, 0);
    assert_int_equal(xen(h)->mapper.map_calls, maps + 1);
    memset(p, 1, 64);
    xfree(xen(h), p);
    assert_int_equal(xen(h)->mapper.unmap_calls, 1);
    close_heap(h);
}

/* ---- arm32: Xen's layout with 4-byte pointers ----
 *
 * struct bhdr is prev_hdr (4) and size (4) before the data, whose first 8
 * bytes hold a free block's two list links: BHDR_OVERHEAD 8,
 * MIN_BLOCK_SIZE 8, MEM_ALIGN 8, sizeof(struct bhdr) 16. The class
 * mapping (MAX_FLI, MAX_LOG2_SLI, FLI_OFFSET, SMALL_BLOCK) is LP64's. */

static struct heap_config arm32_config(void)
{
    struct heap_config cfg = test_config(4096);

    cfg.memory_bytes = 128ull << 20;      /* a separate xenheap of 32 MiB */
    heap_config_arch(&cfg, ARCH_ARM32);
    return cfg;
}

static void arm32_constants_are_xens(void **state)
{
    struct heap_config cfg = test_config(4096);

    assert_int_equal(tlsf_arm32.ptr_bytes, 4);
    assert_int_equal(tlsf_arm32.bhdr_overhead, 8);
    assert_int_equal(tlsf_arm32.min_block_size, 8);
    assert_int_equal(tlsf_arm32.mem_align, 8);
    assert_int_equal(tlsf_arm32.bhdr_size, 16);
    assert_int_equal(tlsf_lp64.ptr_bytes, 8);
    assert_int_equal(tlsf_lp64.bhdr_size, 32);
    /* The descriptor: one page on arm32 (a matrix of 4-byte links), two
     * on LP64. */
    assert_true(tlsf_arm32.pool_bytes <= 4096);
    assert_true(tlsf_lp64.pool_bytes > 4096);
    /* --arch picks the layout; x86 and arm64 are LP64. */
    assert_int_equal(cfg.ptr_bytes, 8);
    heap_config_arch(&cfg, ARCH_ARM32);
    assert_int_equal(cfg.ptr_bytes, 4);
    heap_config_arch(&cfg, ARCH_ARM64);
    assert_int_equal(cfg.ptr_bytes, 8);
}

/* A 4K region holds one free block of 4096 - 2 * 8 = 4080 bytes and the
 * 8-byte sentinel header. 4032 (its class, rounded down to 64) takes it
 * and leaves 48: split, as 48 >= 16, into a 40-byte block at 4048, which
 * a 32-byte request then takes whole (rest 8 < 16), ending at the
 * sentinel. On LP64 the same two requests land at 16 and 4064. */
static void arm32_first_region(void **state)
{
    struct heap_config cfg = arm32_config();
    struct heap *h = open_heap("xmalloc", &cfg);
    struct xen_model *m = xen(h);
    char *a = _xmalloc(m, 4032, 0), *b = _xmalloc(m, 32, 0);

    assert_string_equal(m->tlsf->name, "arm32");
    assert_int_equal(m->tlsf->grow_size(m), 4096);
    assert_int_equal(m->tlsf->maxalloc(m), 4080);
    assert_int_equal((uintptr_t)a & 4095, 8);
    assert_int_equal(block_size(h, a), 4032);
    assert_ptr_equal(b, a + 4032 + 8);
    assert_int_equal(block_size(h, b), 40);
    assert_int_equal((uintptr_t)b & 4095, 4048);
    assert_int_equal(xmalloc_pool_regions(m), 1);
    /* used: the sentinel and both blocks with their headers, 4096 - 8 */
    assert_int_equal(xmalloc_pool_used(m), 8 + 4032 + 8 + 40 + 8);
    xfree(m, a);
    xfree(m, b);
    assert_int_equal(xmalloc_pool_regions(m), 0);
    close_heap(h);
}

/* The pool/whole-pages threshold with 4K pages does not move on arm32 by
 * default: a request is rounded to 8, then up to its class (64 bytes wide
 * from 2048 to 4095); 4032 is the last class below 4080 as it is below
 * LP64's 4064, and 4033 searches the 4096 class, past the largest block.
 * It moves with an alignment: align 16 grows a request by 16 - 8 = 8 on
 * arm32 (by 0 on LP64), so 4024 fits there and 4025 goes to whole pages;
 * a cache line (128) grows it by 120 (LP64: 112). */
static void arm32_pool_threshold(void **state)
{
    static const struct { size_t size, align; enum alloc_path arm32, lp64; }
    cases[] = {
        { 4032, 0, PATH_POOL, PATH_POOL },
        { 4033, 0, PATH_WHOLE_PAGES, PATH_WHOLE_PAGES },
        { 4024, 16, PATH_POOL, PATH_POOL },
        { 4025, 16, PATH_WHOLE_PAGES, PATH_POOL },
        { 3912, 128, PATH_POOL, PATH_POOL },
        { 3913, 128, PATH_WHOLE_PAGES, PATH_POOL },
        { 3920, 128, PATH_WHOLE_PAGES, PATH_POOL },
        { 3921, 128, PATH_WHOLE_PAGES, PATH_WHOLE_PAGES },
    };

    for (int arm = 0; arm < 2; arm++) {
        struct heap_config cfg = arm ? arm32_config() : test_config(4096);
        struct heap *h = open_heap("xmalloc", &cfg);

        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            struct placement w;
            void *p = heap_alloc(h, cases[i].size, cases[i].align, 0, &w);

            assert_non_null(p);
            assert_int_equal(w.path, arm ? cases[i].arm32 : cases[i].lp64);
            heap_free(h, p, cases[i].size);
        }
        close_heap(h);
    }
}

/* A block is split only when the rest holds a whole struct bhdr: 16 bytes
 * on arm32 (32 on LP64, split_needs_32_bytes_of_rest). */
static void arm32_split_needs_16_bytes_of_rest(void **state)
{
    struct heap_config cfg = arm32_config();
    struct heap *h = open_heap("xmalloc", &cfg);
    struct xen_model *m = xen(h);
    void *a = _xmalloc(m, 8, 0), *b = _xmalloc(m, 24, 0);
    void *c = _xmalloc(m, 8, 0), *d;

    assert_int_equal(block_size(h, b), 24);
    xfree(m, b);                           /* a 24-byte hole between a and c */
    d = _xmalloc(m, 16, 0);                /* rest 8: no split */
    assert_ptr_equal(d, b);
    assert_int_equal(block_size(h, d), 24);
    xfree(m, d);
    d = _xmalloc(m, 8, 0);                 /* rest 16: split */
    assert_ptr_equal(d, b);
    assert_int_equal(block_size(h, d), 8);
    xfree(m, d);
    xfree(m, a);
    xfree(m, c);
    assert_int_equal(xmalloc_pool_regions(m), 0);
    close_heap(h);
}

/* Where 16, 24, 8 and 40 bytes land in a fresh region: each block starts
 * one header past the end of the one before, its size rounded to
 * MEM_ALIGN and at least MIN_BLOCK_SIZE. arm32: 8 (16), 32 (24), 64 (8),
 * 80 (40); LP64: 16 (16), 48 (32), 96 (16), 128 (48). Returned pointers
 * are 8-aligned on arm32, some not 16-aligned. */
static void arm32_placements_differ_by_the_header(void **state)
{
    static const size_t sizes[] = { 16, 24, 8, 40 };
    static const uint64_t at[2][4] = { { 16, 48, 96, 128 }, { 8, 32, 64, 80 } };

    for (int arm = 0; arm < 2; arm++) {
        struct heap_config cfg = arm ? arm32_config() : test_config(4096);
        struct heap *h = open_heap("xmalloc", &cfg);
        void *p[4];

        for (int i = 0; i < 4; i++) {
            struct placement w;

            p[i] = heap_alloc(h, sizes[i], 0, 0, &w);
            assert_int_equal(w.path, PATH_POOL);
            assert_int_equal(w.offset & 4095, at[arm][i]);
            assert_int_equal(w.frames, i == 0);
            assert_int_equal((uintptr_t)p[i] % (arm ? 8 : 16), 0);
        }
        assert_int_equal((uintptr_t)p[0] % 16, arm ? 8 : 0);
        assert_ptr_equal(_xmalloc(xen(h), 0, 0), ZERO_BLOCK_PTR);
        for (int i = 0; i < 4; i++)
            heap_free(h, p[i], sizes[i]);
        assert_int_equal(xmalloc_pool_regions(xen(h)), 0);
        close_heap(h);
    }
}

/* _xmalloc grows a request by align - MEM_ALIGN: 10 bytes at align 16 are
 * 18, a 24-byte block, on arm32 (LP64: 10, a 16-byte block); the fake
 * header before a padded pointer is stripped by xfree. */
static void arm32_alignment_padding(void **state)
{
    struct heap_config cfg = arm32_config();
    struct heap *h = open_heap("xmalloc", &cfg);
    struct xen_model *m = xen(h);
    char *first = _xmalloc(m, 10, 16), *second = _xmalloc(m, 10, 16);

    assert_int_equal((uintptr_t)first % 16, 0);
    assert_int_equal((uintptr_t)second % 16, 0);
    /* The first block's data is at 8: padded by 8 to 16. */
    assert_int_equal((uintptr_t)first & 4095, 16);
    assert_ptr_equal(strip_padding(h, first), first - 8);
    assert_int_equal(block_size(h, first - 8), 24);
    /* The next block at 8 + 24 + 8 = 40, padded to 48. */
    assert_int_equal((uintptr_t)second & 4095, 48);
    assert_ptr_equal(strip_padding(h, second), second - 8);
    xfree(m, first);
    xfree(m, second);
    assert_int_equal(xmalloc_pool_regions(m), 0);
    close_heap(h);
}

/* xrealloc on arm32: in place while size + align - 8, rounded to 8,
 * fits the block: 40 bytes are a 40-byte block (LP64: 48), so 41 moves. */
static void arm32_xrealloc_in_place(void **state)
{
    struct heap_config cfg = arm32_config();
    struct heap *h = open_heap("xmalloc", &cfg);
    struct xen_model *m = xen(h);
    char *p = _xmalloc(m, 40, 0), *q;

    memcpy(p, "xen-devel", 10);
    assert_int_equal(block_size(h, p), 40);
    assert_ptr_equal(_xrealloc(m, p, 33, 0), p);
    assert_ptr_equal(_xrealloc(m, p, 40, 0), p);
    q = _xrealloc(m, p, 41, 0);
    assert_ptr_not_equal(q, p);
    assert_int_equal(block_size(h, q), 48);
    assert_string_equal(q, "xen-devel");
    assert_ptr_equal(_xrealloc(m, q, 0, 0), ZERO_BLOCK_PTR);
    assert_int_equal(xmalloc_pool_regions(m), 0);
    close_heap(h);
}

/* Arm32's links are 32-bit addresses from XENHEAP_VIRT_START (1 GiB): a
 * xenheap past 3 GiB cannot be laid out, and the heap says so. */
static void arm32_xenheap_must_fit_32_bits(void **state)
{
    struct heap_config cfg = arm32_config();
    char why[512] = "";

    cfg.memory_bytes = 4ull << 30;
    cfg.xenheap_bytes = 0;                /* one heap: 4 GiB of xenheap */
    cfg.knobs_set |= CFG_SET_XENHEAP;
    assert_null(heap_create("xmalloc", &cfg, why, sizeof why));
    assert_non_null(strstr(why, "3 GiB"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(constants_are_xens),
        cmocka_unit_test(class_mapping_is_xens),
        cmocka_unit_test(pool_threshold_moves_with_page_size),
        cmocka_unit_test(pool_grows_and_shrinks_a_page_at_a_time),
        cmocka_unit_test(split_needs_32_bytes_of_rest),
        cmocka_unit_test(free_lists_are_lifo),
        cmocka_unit_test(whole_pages_trim_the_tail),
        cmocka_unit_test(alignment_above_a_page_uses_whole_pages),
        cmocka_unit_test(pool_alignment_padding),
        cmocka_unit_test(size_zero_is_the_zero_block),
        cmocka_unit_test(xrealloc_in_place_and_moving),
        cmocka_unit_test(no_directmap_xmalloc_maps_its_pages),
        cmocka_unit_test(arm32_constants_are_xens),
        cmocka_unit_test(arm32_first_region),
        cmocka_unit_test(arm32_pool_threshold),
        cmocka_unit_test(arm32_split_needs_16_bytes_of_rest),
        cmocka_unit_test(arm32_placements_differ_by_the_header),
        cmocka_unit_test(arm32_alignment_padding),
        cmocka_unit_test(arm32_xrealloc_in_place),
        cmocka_unit_test(arm32_xenheap_must_fit_32_bits),
    };
    return cmocka_run_group_tests_name("xmalloc", tests, NULL, NULL);
}
