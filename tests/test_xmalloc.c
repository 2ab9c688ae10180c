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
    assert_int_equal(MIN_BLOCK_SIZE, 16);
    assert_int_equal(BHDR_OVERHEAD, 16);
    assert_int_equal(MEM_ALIGN, 16);
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
        assert_int_equal(xen(h)->xenpool->grow_size, cases[i].page);
        assert_int_equal(xmem_pool_maxalloc(xen(h)->xenpool), cases[i].page - 32);
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
    assert_ptr_equal(b, (char *)a + 64 + BHDR_OVERHEAD);
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

    assert_int_equal(tlsf_block_size(b), 48);
    xfree(xen(h), b);                      /* a 48-byte hole between a and c */
    d = _xmalloc(xen(h), 32, 0);           /* rest 16: no split */
    assert_ptr_equal(d, b);
    assert_int_equal(tlsf_block_size(d), 48);
    xfree(xen(h), d);
    d = _xmalloc(xen(h), 16, 0);           /* rest 32: split */
    assert_ptr_equal(d, b);
    assert_int_equal(tlsf_block_size(d), 16);
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
    assert_true(tlsf_strip_padding(p) < (void *)p);
    /* 100 + 256 - 16 = 340, rounded to 16: 352, already a class boundary. */
    assert_int_equal(tlsf_block_size(tlsf_strip_padding(p)), 352);
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
    };
    return cmocka_run_group_tests_name("xmalloc", tests, NULL, NULL);
}
