/*
 * The backends' routing rules (architecture.md, "Backends"; xen-allocators.md,
 * "xvmalloc"): which path each request takes, the fallbacks, and that a
 * request needing contiguous memory never reaches vmalloc.
 */
#include <stdlib.h>

#include "tests/check.h"
#include "tests/fixture.h"

static enum alloc_path path_of(struct heap *h, size_t size, unsigned flags)
{
    struct placement w;
    void *p = heap_alloc(h, size, 0, flags, &w);

    assert_non_null(p);
    heap_free(h, p, size);
    return w.path;
}

static void every_backend_is_registered(void **state)
{
    static const char *const names[] = {
        "pages", "xmalloc", "vmalloc", "xvmalloc", "xvmalloc-fallback",
        "kvmalloc", "glibc",
    };
    size_t n;

    backend_list(&n);
    assert_true(n >= 7);
    for (size_t i = 0; i < 7; i++) {
        assert_non_null(backend_find(names[i]));
        assert_non_null(backend_find(names[i])->summary);
    }
    assert_null(backend_find("slab"));
}

/* xvmalloc: up to PAGE_SIZE xmalloc, above it vmalloc, at every page size. */
static void xvmalloc_routes_by_page_size(void **state)
{
    static const size_t pages[] = { 4096, 16384, 65536 };

    for (int i = 0; i < 3; i++) {
        struct heap_config cfg = test_config(pages[i]);
        struct heap *h = open_heap("xvmalloc", &cfg);
        size_t page = pages[i];

        assert_int_equal(path_of(h, 64, 0), PATH_POOL);
        assert_int_equal(path_of(h, page - 32, 0), PATH_WHOLE_PAGES);
        assert_int_equal(path_of(h, page, 0), PATH_WHOLE_PAGES);
        assert_int_equal(path_of(h, page + 1, 0), PATH_VMAP);
        assert_int_equal(path_of(h, 8 * page, 0), PATH_VMAP);
        close_heap(h);
    }
}

/* Contiguous requests never go to vmalloc, whatever the backend. */
static void contiguous_requests_never_vmalloc(void **state)
{
    static const char *const names[] = {
        "xmalloc", "vmalloc", "xvmalloc", "xvmalloc-fallback", "kvmalloc",
    };

    for (int i = 0; i < 5; i++) {
        struct heap_config cfg = test_config(4096);
        struct heap *h = open_heap(names[i], &cfg);

        assert_int_equal(path_of(h, 100, HEAP_NEEDS_CONTIG), PATH_POOL);
        assert_int_equal(path_of(h, 3 * 4096, HEAP_NEEDS_CONTIG),
                         PATH_WHOLE_PAGES);
        close_heap(h);
    }
}

static void each_backend_has_its_path(void **state)
{
    static const struct { const char *name; size_t size; enum alloc_path path; } c[] = {
        { "pages", 100, PATH_PAGES },
        { "pages", 3 * 4096, PATH_PAGES },
        { "xmalloc", 3 * 4096, PATH_WHOLE_PAGES },
        { "vmalloc", 100, PATH_VMAP },
        { "kvmalloc", 100, PATH_POOL },
        { "kvmalloc", 3 * 4096, PATH_WHOLE_PAGES },  /* contiguous first */
        { "glibc", 100, PATH_SYSTEM },
    };

    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        struct heap_config cfg = test_config(4096);
        struct heap *h = open_heap(c[i].name, &cfg);

        assert_int_equal(path_of(h, c[i].size, 0), c[i].path);
        close_heap(h);
    }
}

/* alloc_xenheap_pages rounds to a power of two of pages. */
static void pages_round_to_a_power_of_two(void **state)
{
    struct heap_config cfg = test_config(4096);
    struct heap *h = open_heap("pages", &cfg);
    struct placement w;
    void *p = heap_alloc(h, 3 * 4096 + 1, 0, 0, &w);

    assert_int_equal(w.frames, 4);
    heap_free(h, p, 3 * 4096 + 1);
    close_heap(h);
}

/* Exhausts the xenheap with page-sized blocks, after one pool block of
 * 2000 bytes that leaves the pool room for small requests only. */
static void fill_xenheap(struct heap *h)
{
    int n = 0;

    assert_non_null(_xmalloc(h->xen, 2000, 0));
    while (_xmalloc(h->xen, 4096, 0))
        n++;
    assert_true(n > 100);
}

/* Question 5: with a small separate xenheap, xmalloc runs out while the
 * domheap still has room, and only the fallback variant then succeeds.
 * vmalloc itself needs xmalloc for its array of frames, so the fallback
 * helps only while the pool still has room for that array. */
static void fallback_to_vmalloc_when_xenheap_is_full(void **state)
{
    struct heap_config cfg = test_config(4096);
    struct heap *plain, *fallback;
    struct placement w;
    struct heap_stats s;

    cfg.xenheap_bytes = 1 << 20;
    plain = open_heap("xvmalloc", &cfg);
    fallback = open_heap("xvmalloc-fallback", &cfg);
    fill_xenheap(plain);
    fill_xenheap(fallback);

    assert_null(heap_alloc(plain, 3000, 0, 0, &w));
    assert_non_null(heap_alloc(fallback, 3000, 0, 0, &w));
    assert_int_equal(w.path, PATH_VMAP);
    assert_null(heap_alloc(fallback, 3000, 0, HEAP_NEEDS_CONTIG, &w));

    heap_stats(plain, &s);
    assert_int_equal(s.failed, 1);
    heap_stats(fallback, &s);
    assert_int_equal(s.failed, 1);
    heap_destroy(plain);
    heap_destroy(fallback);
}

/* kvmalloc tries contiguous memory first, then vmalloc. */
static void kvmalloc_falls_back_to_vmalloc(void **state)
{
    struct heap_config cfg = test_config(4096);
    struct heap *h;
    struct placement w;

    cfg.xenheap_bytes = 1 << 20;
    h = open_heap("kvmalloc", &cfg);
    fill_xenheap(h);
    assert_non_null(heap_alloc(h, 3 * 4096, 0, 0, &w));
    assert_int_equal(w.path, PATH_VMAP);
    assert_null(heap_alloc(h, 3000, 0, 0, &w));   /* small: kmalloc only */
    heap_destroy(h);
}

/* The vmap area exhausted: the fallback variant takes xmalloc's path. */
static void fallback_to_xmalloc_when_vmap_is_full(void **state)
{
    struct heap_config cfg = test_config(4096);
    struct heap *plain, *fallback;
    struct placement w;

    cfg.vmap_bytes = 64 * 4096;
    plain = open_heap("xvmalloc", &cfg);
    fallback = open_heap("xvmalloc-fallback", &cfg);
    while (heap_alloc(plain, 2 * 4096, 0, 0, &w))
        ;
    while (heap_alloc(fallback, 2 * 4096, 0, 0, &w) && w.path == PATH_VMAP)
        ;
    assert_int_equal(w.path, PATH_WHOLE_PAGES);
    heap_destroy(plain);
    heap_destroy(fallback);
}

/* xvrealloc moves a block between xmalloc and vmalloc as it crosses
 * PAGE_SIZE, and keeps its contents. */
static void xvrealloc_crosses_page_size(void **state)
{
    struct heap_config cfg = test_config(4096);
    struct heap *h = open_heap("xvmalloc", &cfg);
    struct placement w;
    char *p = heap_alloc(h, 100, 0, 0, &w);

    strcpy(p, "one precious conditional");
    p = heap_realloc(h, p, 100, 10000, 0, &w);
    assert_int_equal(w.path, PATH_VMAP);
    assert_string_equal(p, "one precious conditional");
    assert_ptr_equal(heap_realloc(h, p, 10000, 9000, 0, &w), p);  /* same pages */
    p = heap_realloc(h, p, 9000, 50, 0, &w);
    assert_int_equal(w.path, PATH_POOL);
    assert_string_equal(p, "one precious conditional");
    heap_free(h, p, 50);
    close_heap(h);
}

static void contiguous_blocks_stay_contiguous_on_realloc(void **state)
{
    struct heap_config cfg = test_config(4096);
    struct heap *h = open_heap("xvmalloc", &cfg);
    struct placement w;
    void *p = heap_alloc(h, 100, 0, HEAP_NEEDS_CONTIG, &w);

    p = heap_realloc(h, p, 100, 5 * 4096, HEAP_NEEDS_CONTIG, &w);
    assert_int_equal(w.path, PATH_WHOLE_PAGES);
    heap_free(h, p, 5 * 4096);
    close_heap(h);
}

static void bad_configurations_are_refused(void **state)
{
    struct heap_config cfg = test_config(4096);
    char why[512];

    cfg.page_size = 8192;
    assert_null(heap_create("xmalloc", &cfg, why, sizeof why));
    assert_non_null(strstr(why, "4K, 16K or 64K"));
    cfg = test_config(4096);
    cfg.memory_bytes = 4096 * 4;
    assert_null(heap_create("xmalloc", &cfg, why, sizeof why));
    assert_non_null(strstr(why, "frames"));
    cfg = test_config(4096);
    cfg.xenheap_bytes = TEST_MEMORY;
    assert_null(heap_create("xmalloc", &cfg, why, sizeof why));
    assert_non_null(strstr(why, "xenheap"));
    assert_null(heap_create("slab", &cfg, why, sizeof why));
    assert_non_null(strstr(why, "unknown backend"));
}

static void sizes_parse(void **state)
{
    uint64_t v;

    assert_int_equal(parse_size("4096", &v), 0);
    assert_int_equal(v, 4096);
    assert_int_equal(parse_size("16K", &v), 0);
    assert_int_equal(v, 16384);
    assert_int_equal(parse_size("64k", &v), 0);
    assert_int_equal(v, 65536);
    assert_int_equal(parse_size("2GiB", &v), 0);
    assert_int_equal(v, 2ull << 30);
    assert_int_equal(parse_size("16M", &v), 0);
    assert_int_equal(v, 16ull << 20);
    assert_int_equal(parse_size("", &v), -1);
    assert_int_equal(parse_size("4X", &v), -1);
    assert_int_equal(parse_size("-4", &v), -1);
    assert_int_equal(parse_size("99999999999999999999", &v), -1);
    assert_int_equal(parse_size("17179869184T", &v), -1);
}

/* Each live vmalloc area costs host mappings; past vm.max_map_count the
 * kernel refuses. The model raises the limit for the run only where
 * asked (XHEAP_RAISE_MAX_MAP_COUNT=1, as root), and every allocation
 * succeeds; else it says so plainly, and the run stops
 * (heap_host_limit_short). */
static void running_out_of_mappings_is_reported(void **state)
{
    struct heap_config cfg = test_config(4096);
    struct heap *h;
    long limit = 0;
    FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
    struct placement w;
    const char *msg;

    if (!f || fscanf(f, "%ld", &limit) != 1 || limit > 200000) {
        if (f)
            fclose(f);
        skip();
    }
    fclose(f);
    cfg.memory_bytes = (uint64_t)(limit + 4096) * 4096 * 2;
    h = open_heap("vmalloc", &cfg);
    for (long i = 0; i < limit + 1000; i++)
        if (!heap_alloc(h, 4096, 0, 0, &w))
            break;
    msg = heap_map_limit_message(h);
    if (!heap_host_limit_short(h)) {          /* raised: nothing failed */
        assert_null(msg);
        assert_int_equal(h->slot[0].failed, 0);
        heap_destroy(h);
        return;
    }
    assert_non_null(msg);
    assert_non_null(strstr(msg, "vm.max_map_count"));
    assert_non_null(strstr(msg, "sysctl -w"));
    heap_destroy(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_backend_is_registered),
        cmocka_unit_test(xvmalloc_routes_by_page_size),
        cmocka_unit_test(contiguous_requests_never_vmalloc),
        cmocka_unit_test(each_backend_has_its_path),
        cmocka_unit_test(pages_round_to_a_power_of_two),
        cmocka_unit_test(fallback_to_vmalloc_when_xenheap_is_full),
        cmocka_unit_test(kvmalloc_falls_back_to_vmalloc),
        cmocka_unit_test(fallback_to_xmalloc_when_vmap_is_full),
        cmocka_unit_test(xvrealloc_crosses_page_size),
        cmocka_unit_test(contiguous_blocks_stay_contiguous_on_realloc),
        cmocka_unit_test(bad_configurations_are_refused),
        cmocka_unit_test(sizes_parse),
        cmocka_unit_test(running_out_of_mappings_is_reported),
    };
    return cmocka_run_group_tests_name("backends", tests, NULL, NULL);
}
