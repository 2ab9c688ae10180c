/*
 * The vmap area and vmalloc, fact by fact (xen-allocators.md, "vmap and
 * vmalloc"), on real mappings.
 */
#include "tests/check.h"
#include "tests/fixture.h"

#define PAGE 4096u

static struct xen_model *xen(struct heap *h)
{
    return h->xen;
}

/* Bits below vm_low hold the bitmap itself; every area has a clear guard
 * bit before it. */
static size_t first_area_offset(struct heap *h)
{
    return ((size_t)xen(h)->vmap.end / 8 / PAGE + 1) * PAGE;
}

static void areas_have_a_guard_page_before_them(void **state)
{
    struct heap_config cfg = test_config(PAGE);
    struct heap *h = open_heap("vmalloc", &cfg);
    char *a = vmalloc(xen(h), 3 * PAGE), *b = vmalloc(xen(h), PAGE);

    assert_ptr_equal(a, xen(h)->vmap.base + first_area_offset(h));
    assert_ptr_equal(b, a + 4 * PAGE);           /* 3 pages, then a guard */
    assert_int_equal(vm_size(xen(h), a), 3);
    assert_int_equal(vm_size(xen(h), b), 1);
    assert_int_equal(vm_size(xen(h), a + PAGE), 0);   /* not an area start */
    assert_int_equal(xen(h)->vmap.va_in_use, 4 + 2);
    vfree(xen(h), a);
    vfree(xen(h), b);
    assert_int_equal(xen(h)->vmap.va_in_use, 0);
    close_heap(h);
}

/* First fit from the lowest known clear bit: a freed hole is reused. */
static void first_fit_reuses_holes(void **state)
{
    struct heap_config cfg = test_config(PAGE);
    struct heap *h = open_heap("vmalloc", &cfg);
    char *a = vmalloc(xen(h), 2 * PAGE), *b = vmalloc(xen(h), 2 * PAGE);
    char *c;

    vfree(xen(h), a);
    c = vmalloc(xen(h), PAGE);
    assert_ptr_equal(c, a);
    assert_ptr_equal(vmalloc(xen(h), 2 * PAGE), b + 3 * PAGE);
    close_heap(h);
}

/* Pages come one at a time from the domheap, so a fresh heap gives them
 * in descending frame order, each mapped with its own call. */
static void pages_are_taken_one_by_one(void **state)
{
    struct heap_config cfg = test_config(PAGE);
    struct heap *h = open_heap("vmalloc", &cfg);
    uint64_t maps = xen(h)->mapper.map_calls;
    char *v = vmalloc(xen(h), 4 * PAGE);
    uint32_t idx = (uint32_t)((v - xen(h)->vmap.base) / PAGE);
    uint32_t top = top_frame(h);

    assert_int_equal(xen(h)->mapper.map_calls, maps + 4);
    /* top-3 went to the mfn array's pool region, returned after mapping. */
    assert_int_equal(xen(h)->vmap.frame_of[idx + 0], top - 4);
    assert_int_equal(xen(h)->vmap.frame_of[idx + 1], top - 5);
    assert_int_equal(xen(h)->vmap.frame_of[idx + 2], top - 6);
    assert_int_equal(xen(h)->vmap.frame_of[idx + 3], top - 7);
    assert_int_equal(xmalloc_pool_regions(xen(h)), 0);
    close_heap(h);
}

/* The aliasing is real: the same frame through the vmap and the directmap. */
static void vmap_and_directmap_alias_the_same_frames(void **state)
{
    struct heap_config cfg = test_config(PAGE);
    struct heap *h = open_heap("vmalloc", &cfg);
    char *v = vmalloc(xen(h), 2 * PAGE);
    uint32_t idx = (uint32_t)((v - xen(h)->vmap.base) / PAGE);
    char *d0 = frame_to_virt(&xen(h)->frames, xen(h)->vmap.frame_of[idx]);
    char *d1 = frame_to_virt(&xen(h)->frames, xen(h)->vmap.frame_of[idx + 1]);

    memcpy(v + 100, "through the vmap", 17);
    assert_string_equal(d0 + 100, "through the vmap");
    memcpy(d1 + 7, "through the directmap", 22);
    assert_string_equal(v + PAGE + 7, "through the directmap");
    vfree(xen(h), v);
    close_heap(h);
}

static void vfree_gives_every_frame_back(void **state)
{
    struct heap_config cfg = test_config(PAGE);
    struct heap *h = open_heap("vmalloc", &cfg);
    uint64_t base = frames_in_use(h);
    char *v = vmalloc(xen(h), 37 * PAGE - 5);

    assert_int_equal(frames_in_use(h), base + 37);
    vfree(xen(h), v);
    assert_int_equal(frames_in_use(h), base);
    close_heap(h);
}

/* vzalloc clears what vmalloc hands out; vfree scrubs, so vmalloc gets
 * clean pages back too, unless scrubbing is off. */
static void scrub_and_vzalloc(void **state)
{
    for (int scrub = 0; scrub <= 1; scrub++) {
        struct heap_config cfg = test_config(PAGE);
        struct heap *h;
        unsigned char *v;

        cfg.scrub = scrub;
        h = open_heap("vmalloc", &cfg);
        v = vmalloc(xen(h), PAGE);
        memset(v, 0xEE, PAGE);
        vfree(xen(h), v);
        v = vmalloc(xen(h), PAGE);
        assert_int_equal(v[10], scrub ? 0 : 0xEE);
        memset(v, 0xEE, PAGE);
        vfree(xen(h), v);
        v = vzalloc(xen(h), PAGE);
        assert_int_equal(v[10], 0);
        close_heap(h);
    }
}

/* x86 Xen flushes every unmapped page; Arm once per range; Linux batches
 * lazily freed areas and flushes once for all of them. */
static void flush_policies(void **state)
{
    static const struct { enum flush_policy f; uint64_t unmaps, flushes; } c[] = {
        { FLUSH_PER_PAGE, 8, 8 }, { FLUSH_PER_RANGE, 1, 1 },
    };

    for (int i = 0; i < 2; i++) {
        struct heap_config cfg = test_config(PAGE);
        struct heap *h;

        cfg.flush = c[i].f;
        h = open_heap("vmalloc", &cfg);
        vfree(xen(h), vmalloc(xen(h), 8 * PAGE));
        assert_int_equal(xen(h)->mapper.unmap_calls, c[i].unmaps);
        assert_int_equal(xen(h)->mapper.flushes, c[i].flushes);
        close_heap(h);
    }
}

static void lazy_flush_batches(void **state)
{
    struct heap_config cfg = test_config(PAGE);
    struct heap *h;
    char *first;

    cfg.flush = FLUSH_LAZY;
    cfg.lazy_max_pages = 10;
    h = open_heap("vmalloc", &cfg);
    first = vmalloc(xen(h), 4 * PAGE);
    vfree(xen(h), first);
    vfree(xen(h), vmalloc(xen(h), 4 * PAGE));
    /* Deferred: still holding virtual space, nothing unmapped yet. */
    assert_int_equal(xen(h)->mapper.unmap_calls, 0);
    assert_int_equal(xen(h)->vmap.va_in_use, 10);
    assert_ptr_not_equal(vmalloc(xen(h), PAGE), first);
    vfree(xen(h), vmalloc(xen(h), 4 * PAGE));   /* 12 pending > 10: purge */
    assert_int_equal(xen(h)->mapper.flushes, 1);
    assert_int_equal(xen(h)->mapper.unmap_calls, 3);
    close_heap(h);
}

/* A full vmap area makes vmalloc fail cleanly. */
static void exhausted_area_fails_cleanly(void **state)
{
    struct heap_config cfg = test_config(PAGE);
    struct heap *h;
    int got = 0;

    cfg.vmap_bytes = 64 * PAGE;    /* 1 bitmap page, 63 usable bits */
    h = open_heap("vmalloc", &cfg);
    while (vmalloc(xen(h), PAGE))
        got++;
    assert_int_equal(got, 31);      /* a page and a guard each */
    close_heap(h);
}

/* A model page larger than the host's is several host pages mapped
 * together: one map call per model page still. */
static void large_model_pages(void **state)
{
    struct heap_config cfg = test_config(65536);
    struct heap *h = open_heap("vmalloc", &cfg);
    uint64_t maps = xen(h)->mapper.map_calls;
    char *v = vmalloc(xen(h), 65536 + 1);

    assert_int_equal((uintptr_t)v % 65536, 0);
    assert_int_equal(xen(h)->mapper.map_calls, maps + 2);
    memset(v, 3, 2 * 65536);
    vfree(xen(h), v);
    close_heap(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(areas_have_a_guard_page_before_them),
        cmocka_unit_test(first_fit_reuses_holes),
        cmocka_unit_test(pages_are_taken_one_by_one),
        cmocka_unit_test(vmap_and_directmap_alias_the_same_frames),
        cmocka_unit_test(vfree_gives_every_frame_back),
        cmocka_unit_test(scrub_and_vzalloc),
        cmocka_unit_test(flush_policies),
        cmocka_unit_test(lazy_flush_batches),
        cmocka_unit_test(exhausted_area_fails_cleanly),
        cmocka_unit_test(large_model_pages),
    };
    return cmocka_run_group_tests_name("vmap", tests, NULL, NULL);
}
