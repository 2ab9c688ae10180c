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

/* The frame Xen's page tables map at page k of a vmap area. */
static uint32_t page_frame(struct heap *h, const char *v, unsigned k)
{
    return lookup_frame(&xen(h)->mapper, v + (size_t)k * PAGE);
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
    /* Boot order (Xen's): the vmap bitmap took top from the boot
     * allocator (outside the heap) and its tables came from boot memory;
     * the pool descriptor took top-3 .. top-2 from the heap. top-1 went to
     * the mfn array's pool region, top-4 .. top-7 to the pages; mapping the
     * first took top-8 for the L1 of the vmap's second 2 MiB; the pool
     * region went back after mapping. */
    assert_int_equal(page_frame(h, v, 0), top - 4);
    assert_int_equal(page_frame(h, v, 1), top - 5);
    assert_int_equal(page_frame(h, v, 2), top - 6);
    assert_int_equal(page_frame(h, v, 3), top - 7);
    assert_int_equal(xen(h)->mapper.pt.n.tables_allocated, 1);
    assert_int_equal(page_state(frame_page(&xen(h)->pa, top - 8)), PGS_INUSE);
    assert_int_equal(page_state(frame_page(&xen(h)->pa, top - 1)), PGS_FREE);
    (void)idx;
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
    char *d0 = frame_to_virt(&xen(h)->frames, page_frame(h, v, 0));
    char *d1 = frame_to_virt(&xen(h)->frames, page_frame(h, v, 1));

    (void)idx;

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

    /* And one L1, which stays: its run was not cleared at once. */
    assert_int_equal(frames_in_use(h), base + 37 + 1);
    vfree(xen(h), v);
    assert_int_equal(frames_in_use(h), base + 1);
    close_heap(h);
}

/* vzalloc clears what vmalloc hands out; freed pages keep their data
 * until scrubbed, which happens before reuse unless scrubbing is off. */
static void scrub_and_vzalloc(void **state)
{
    for (int scrub = 0; scrub <= 1; scrub++) {
        struct heap_config cfg = test_config(PAGE);
        struct heap *h;
        unsigned char *v, *old;

        cfg.scrub = scrub;
        h = open_heap("vmalloc", &cfg);
        v = vmalloc(xen(h), PAGE);
        old = frame_to_view(&xen(h)->frames, page_frame(h, (char *)v, 0));
        memset(v, 0xEE, PAGE);
        vfree(xen(h), v);
        assert_int_equal(old[10], 0xEE);       /* dirty, not yet scrubbed */
        v = vmalloc(xen(h), PAGE);
        if (scrub)                 /* a dirty page is scrubbed when taken */
            assert_int_equal(v[10], 0);
        memset(v, 0xEE, PAGE);
        vfree(xen(h), v);
        v = vzalloc(xen(h), PAGE);
        assert_int_equal(v[10], 0);
        close_heap(h);
    }
}

/* An area of n pages at vmap page 1024, the start of the vmap's third
 * 2 MiB: the bitmap fills pages 0..511 (64 GiB / 4K / 8 bits), the first
 * area starts past its guard at 513, and 510 pages of it end at 1022,
 * before the guard at 1023. */
static char *area_at_1024(struct heap *h, unsigned n)
{
    char *v;

    assert_non_null(vmalloc(xen(h), 510 * PAGE));
    v = vmalloc(xen(h), (size_t)n * PAGE);
    assert_ptr_equal(v, xen(h)->vmap.base + 1024 * (size_t)PAGE);
    return v;
}

/* Page tables are frames from the domheap (alloc_xen_pagetable): the vmap
 * area's first 2 MiB has its L1 from boot; every further 2 MiB first used
 * takes an L1, every further GiB an L2 (virt_to_xen_l2e/l1e). */
static void an_l1_per_2mib_an_l2_per_gib(void **state)
{
    struct heap_config cfg = test_config(PAGE);
    struct heap *h = open_heap("vmalloc", &cfg);
    struct pagetable *pt = &xen(h)->mapper.pt;
    uint64_t before;

    area_at_1024(h, 600);          /* 513..1022, then 1024..1623 */
    assert_int_equal(pt->n.tables_allocated, 1 + 2);
    before = frames_in_use(h);
    assert_int_equal(pt_map(pt, PT_VMAP_VA + (1ull << 30), top_frame(h) - 1,
                            1), 0);
    assert_int_equal(pt->n.tables_allocated, 1 + 2 + 2);   /* L2 and L1 */
    assert_int_equal(frames_in_use(h), before + 2);
    assert_int_equal(pt_lookup(pt, PT_VMAP_VA + (1ull << 30)),
                     top_frame(h) - 1);
    assert_int_equal(pt_unmap(pt, PT_VMAP_VA + (1ull << 30), 1), 0);
    close_heap(h);
}

/* The placements CSV counts page-table frames with the pages. */
static void placements_count_page_table_frames(void **state)
{
    struct heap_config cfg = test_config(PAGE);
    struct heap *h = open_heap("vmalloc", &cfg);
    struct placement a, b, c;

    assert_non_null(heap_alloc(h, 510 * PAGE, 0, 0, &a));  /* 513..1022 */
    assert_non_null(heap_alloc(h, 1024 * PAGE, 0, 0, &b)); /* 1024..2047 */
    assert_non_null(heap_alloc(h, PAGE, 0, 0, &c));        /* 2049 */
    assert_int_equal(a.frames, 510 + 1);
    assert_int_equal(b.frames, 1024 + 2);
    assert_int_equal(c.frames, 1 + 1);
    assert_int_equal(c.offset, 2049 * (uint64_t)PAGE);
    close_heap(h);
}

struct flush_case {
    enum flush_policy rules;
    unsigned pages;
    uint64_t flushes, full, tlbi, ipis, freed, writes;
};

/* vfree of n pages at vmap page 1024 on a 4-CPU machine. x86: one
 * flush_area_all per present 4K entry cleared (3 IPIs each), but a
 * 2 MiB-aligned run of 512 is one L2 write, one full flush, and its L1
 * freed. Arm: every entry cleared, one flush_xen_tlb_range_va: a TLBI a
 * page, no IPI, tables kept. Linux lazy: entries cleared, nothing
 * flushed until the purge. */
static const struct flush_case flush_cases[] = {
    { FLUSH_PER_PAGE,     1,   1, 0,    0,    3, 0,    1 },
    { FLUSH_PER_PAGE,   511, 511, 0,    0, 1533, 0,  511 },
    { FLUSH_PER_PAGE,   512,   1, 1,    0,    3, 1,    1 },
    { FLUSH_PER_PAGE,  1024,   2, 2,    0,    6, 2,    2 },
    { FLUSH_PER_RANGE,    1,   1, 0,    1,    0, 0,    1 },
    { FLUSH_PER_RANGE,  511,   1, 0,  511,    0, 0,  511 },
    { FLUSH_PER_RANGE,  512,   1, 0,  512,    0, 0,  512 },
    { FLUSH_PER_RANGE, 1024,   1, 0, 1024,    0, 0, 1024 },
    { FLUSH_LAZY,         1,   0, 0,    0,    0, 0,    1 },
    { FLUSH_LAZY,       511,   0, 0,    0,    0, 0,  511 },
    { FLUSH_LAZY,       512,   0, 0,    0,    0, 0,  512 },
    { FLUSH_LAZY,      1024,   0, 0,    0,    0, 0, 1024 },
};

static void flush_counts_by_the_rules(void **state)
{
    for (size_t i = 0; i < sizeof flush_cases / sizeof flush_cases[0]; i++) {
        const struct flush_case *c = &flush_cases[i];
        struct heap_config cfg = test_config(PAGE);
        struct heap *h;
        struct pagetable *pt;
        char *v;

        cfg.flush = c->rules;
        cfg.cpus = 4;
        h = open_heap("vmalloc", &cfg);
        pt = &xen(h)->mapper.pt;
        v = area_at_1024(h, c->pages);
        pt_reset_counts(pt);
        vfree(xen(h), v);
        assert_int_equal(pt->n.flushes, c->flushes);
        assert_int_equal(pt->n.full_flushes, c->full);
        assert_int_equal(pt->n.tlbi, c->tlbi);
        assert_int_equal(pt->n.flush_ipis, c->ipis);
        assert_int_equal(pt->n.tables_freed, c->freed);
        assert_int_equal(pt->n.pte_writes, c->writes);
        for (unsigned k = 0; k < c->pages; k++)
            assert_int_equal(page_frame(h, v, k), NO_FRAME);
        close_heap(h);
    }
}

/* Linux defers the flush and the range, not the clearing; the purge
 * comes past lazy_max_pages(): 32 MiB of pages times fls(online CPUs). */
static void lazy_flush_batches(void **state)
{
    struct heap_config cfg = test_config(PAGE);
    struct heap *h;
    char *first;

    assert_int_equal(pt_lazy_max_pages(1, PAGE), 8192);
    assert_int_equal(pt_lazy_max_pages(4, PAGE), 3 * 8192);
    assert_int_equal(pt_lazy_max_pages(64, PAGE), 7 * 8192);
    cfg.flush = FLUSH_LAZY;
    cfg.lazy_max_pages = 10;
    cfg.cpus = 4;
    h = open_heap("vmalloc", &cfg);
    first = vmalloc(xen(h), 4 * PAGE);
    vfree(xen(h), first);
    assert_int_equal(page_frame(h, first, 0), NO_FRAME);   /* cleared now */
    vfree(xen(h), vmalloc(xen(h), 4 * PAGE));
    /* Deferred: still holding virtual space, nothing unmapped yet. */
    assert_int_equal(xen(h)->mapper.unmap_calls, 0);
    assert_int_equal(xen(h)->vmap.va_in_use, 10);
    assert_ptr_not_equal(vmalloc(xen(h), PAGE), first);
    vfree(xen(h), vmalloc(xen(h), 4 * PAGE));   /* 12 pending > 10: purge */
    assert_int_equal(xen(h)->mapper.pt.n.flushes, 1);
    assert_int_equal(xen(h)->mapper.pt.n.flush_ipis, 3);
    /* Each vfree cleared its area on the host with one mprotect; the
     * purge unmapped the first two areas, only a guard page apart, in one
     * host call, and the third, past the live page, in another. */
    assert_int_equal(xen(h)->mapper.protect_calls, 3);
    assert_int_equal(xen(h)->mapper.unmap_calls, 2);
    close_heap(h);
    cfg.lazy_max_pages = 0;
    h = open_heap("vmalloc", &cfg);
    assert_int_equal(xen(h)->vmap.lazy_max, 3 * 8192);
    close_heap(h);
}

/* Arm's tables are never freed; flush_page_to_ram runs for every page
 * alloc_heap_pages hands out: the mfn array's pool page, the page, and
 * the L1 for the vmap's second 2 MiB. */
static void arm_keeps_tables_and_flushes_pages_to_ram(void **state)
{
    struct heap_config cfg = test_config(PAGE);
    struct heap *h;
    uint64_t before;
    char *v;

    cfg.flush = FLUSH_PER_RANGE;
    h = open_heap("vmalloc", &cfg);
    before = xen(h)->pa.flushed_to_ram;
    v = vmalloc(xen(h), PAGE);
    assert_int_equal(xen(h)->pa.flushed_to_ram, before + 3);
    vfree(xen(h), v);
    vfree(xen(h), area_at_1024(h, 512));
    assert_int_equal(xen(h)->mapper.pt.n.tables_freed, 0);
    close_heap(h);
}

/* A vmalloc that fails midway vunmaps the whole area as Xen does: x86
 * flushes each page it had mapped, and the frames go back. Here the L1
 * for vmap page 1024 cannot be had: memory is gone. */
static void failed_vmalloc_unmaps_and_flushes(void **state)
{
    struct heap_config cfg = test_config(PAGE);
    struct heap *h = open_heap("vmalloc", &cfg);
    struct pagetable *pt = &xen(h)->mapper.pt;
    uint64_t free_before;
    char *pad = vmalloc(xen(h), 500 * PAGE);   /* 513..1012 */

    /* Leave exactly 12 frames for the next area's 12 pages: the mfn
     * array's pool page goes back before the map, the L1 has none. */
    while (free_frames(&xen(h)->pa, false) > 13)
        assert_int_not_equal(alloc_domheap_pages(&xen(h)->pa, 0, 0), NO_FRAME);
    free_before = free_frames(&xen(h)->pa, false);
    pt_reset_counts(pt);
    assert_null(vmalloc(xen(h), 12 * PAGE));   /* 1014..1025 */
    assert_int_equal(pt->n.flushes, 10);       /* 1014..1023 were mapped */
    assert_int_equal(free_frames(&xen(h)->pa, false), free_before);
    assert_int_equal(xen(h)->vmap.va_in_use, 501);
    (void)pad;
    close_heap(h);
}

/* _xvrealloc: a vmap block whose smaller home cannot be had stays where
 * it is (a growth that cannot be had fails); a pool block moving to the
 * vmap takes the rest of its page along, PAGE_SIZE - PAGE_OFFSET(va)
 * bytes, as Xen, not knowing the block's size, copies them. */
static void xvrealloc_shrinks_and_copies_as_xen(void **state)
{
    struct heap_config cfg = test_config(PAGE);
    struct heap *h;
    char *p, *a, *b, *q;

    cfg.vmap_bytes = 64 * PAGE;          /* 1 bitmap page, 63 usable bits */
    h = open_heap("xvmalloc", &cfg);
    p = heap_alloc(h, 3 * PAGE, 0, 0, NULL);
    assert_non_null(p);
    while (vmalloc(xen(h), PAGE))
        ;
    memset(p, 0x5a, 3 * PAGE);
    assert_ptr_equal(heap_realloc(h, p, 3 * PAGE, 2 * PAGE, 0, NULL), p);
    assert_int_equal(vm_size(xen(h), p), 3);
    assert_null(heap_realloc(h, p, 3 * PAGE, 5 * PAGE, 0, NULL));
    assert_int_equal((unsigned char)p[3 * PAGE - 1], 0x5a);
    close_heap(h);

    h = open_heap("xvmalloc", &cfg);
    a = heap_alloc(h, 100, 0, 0, NULL);
    b = heap_alloc(h, 100, 0, 0, NULL);
    assert_true(b > a && (size_t)(b - a) < PAGE &&
                ((uintptr_t)a & ~(uintptr_t)(PAGE - 1)) ==
                ((uintptr_t)b & ~(uintptr_t)(PAGE - 1)));
    strcpy(b, "the next block");
    q = heap_realloc(h, a, 100, 2 * PAGE, 0, NULL);
    assert_non_null(q);
    assert_int_equal(vm_size(xen(h), q), 2);
    assert_string_equal(q + (b - a), "the next block");
    close_heap(h);
}

/* --arch sets what differs between the architectures; a knob set on its
 * own wins, before or after it. */
static void arch_presets(void **state)
{
    struct heap_config cfg = test_config(PAGE);
    struct heap *h;

    heap_config_arch(&cfg, ARCH_ARM64);
    assert_int_equal(cfg.vmap_bytes, 1ull << 30);
    assert_int_equal(cfg.flush, FLUSH_PER_RANGE);
    assert_int_equal(cfg.xenheap_bytes, 0);
    assert_int_equal(cfg.mfn_bytes, 8);
    cfg = test_config(PAGE);
    cfg.vmap_bytes = 2ull << 30;
    cfg.knobs_set = CFG_SET_VMAP;
    heap_config_arch(&cfg, ARCH_ARM32);
    assert_int_equal(cfg.vmap_bytes, 2ull << 30);
    assert_int_equal(cfg.mfn_bytes, 4);
    cfg.memory_bytes = 2ull << 30;       /* 1/32: 64 MiB */
    h = open_heap("vmalloc", &cfg);
    assert_int_equal(h->xen->cfg.xenheap_bytes, 64ull << 20);
    assert_true(is_separate_xenheap(&h->xen->pa));
    close_heap(h);
    heap_config_arch(&cfg, ARCH_X86);
    assert_int_equal(cfg.flush, FLUSH_PER_PAGE);
    assert_int_equal(cfg.vmap_bytes, 2ull << 30);
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
        cmocka_unit_test(an_l1_per_2mib_an_l2_per_gib),
        cmocka_unit_test(placements_count_page_table_frames),
        cmocka_unit_test(flush_counts_by_the_rules),
        cmocka_unit_test(lazy_flush_batches),
        cmocka_unit_test(arm_keeps_tables_and_flushes_pages_to_ram),
        cmocka_unit_test(failed_vmalloc_unmaps_and_flushes),
        cmocka_unit_test(xvrealloc_shrinks_and_copies_as_xen),
        cmocka_unit_test(arch_presets),
        cmocka_unit_test(exhausted_area_fails_cleanly),
        cmocka_unit_test(large_model_pages),
    };
    return cmocka_run_group_tests_name("vmap", tests, NULL, NULL);
}
