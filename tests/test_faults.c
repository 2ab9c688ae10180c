/*
 * Fault injection (docs/faults.md): each resource of the model runs out, or
 * a map or unmap call fails, and each time the failure is counted, the
 * model's invariants hold, and once everything is freed every frame and
 * every page of address space is back. Ends with `xheap replay` under the
 * knobs, end to end.
 */
#include "tests/check.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "tests/fixture.h"

#define PAGE        4096u
#define XHEAP_BIN   "build/xheap"   /* make test runs from the tree's root */
#define MAX_BLOCKS  4096u
/* Above this the host's vm.max_map_count costs the test too much time. */
#define HOST_LIMIT_TESTED 70000

static struct heap_config small_config(uint64_t memory)
{
    struct heap_config cfg = test_config(PAGE);

    cfg.memory_bytes = memory;
    return cfg;
}

static struct heap_stats stats_of(struct heap *h)
{
    struct heap_stats st;

    heap_stats(h, &st);
    return st;
}

static void check_model(struct heap *h)
{
    char why[512];

    if (xen_model_check(h->xen, why, sizeof why))
        fail_msg("model check: %s", why);
}

/* Blocks a test holds, to free them all at the end. */
struct blocks {
    void  *p[MAX_BLOCKS];
    size_t size[MAX_BLOCKS];
    unsigned n;
};

/* Allocates size bytes until the heap says no; returns how many it got. */
static unsigned fill(struct heap *h, struct blocks *b, size_t size,
                     unsigned flags)
{
    unsigned got = 0;
    void *p;

    while (b->n < MAX_BLOCKS && (p = heap_alloc(h, size, 0, flags, NULL))) {
        b->p[b->n] = p;
        b->size[b->n++] = size;
        got++;
    }
    assert_true(b->n < MAX_BLOCKS);   /* it did run out */
    return got;
}

/* Frees every block, then checks that everything came back. */
static void free_all_and_check(struct heap *h, struct blocks *b)
{
    struct heap_stats st;

    check_model(h);
    while (b->n) {
        b->n--;
        heap_free(h, b->p[b->n], b->size[b->n]);
    }
    if (h->xen->vmap.lazy_n)
        vm_purge_lazy(h->xen);
    check_model(h);
    st = stats_of(h);
    assert_int_equal(h->xen->pa.frames_in_use,     /* page tables stay */
                     st.overhead_frames + h->xen->mapper.pt.live_tables);
    assert_int_equal(st.va_pages_in_use, 0);
    assert_int_equal(st.live_bytes, 0);
}

/* ---- resources that run out ---- */

/* Every model backend, a small memory: multi-page requests until one
 * fails, then small ones until one fails. Nothing is refused by a mapping:
 * the frames ran out. */
static void frame_pool_runs_out_on_every_backend(void **state)
{
    size_t n;
    const struct backend *const *all = backend_list(&n);
    unsigned tested = 0;

    for (size_t i = 0; i < n; i++) {
        struct heap_config cfg = small_config(1u << 20);   /* 256 frames */
        struct blocks *b;
        struct heap *h;
        struct heap_stats st;

        if (!all[i]->model)
            continue;
        b = calloc(1, sizeof *b);
        h = open_heap(all[i]->name, &cfg);
        assert_true(fill(h, b, 3 * PAGE, 0) > 10);
        st = stats_of(h);
        assert_int_equal(st.failed, 1);
        /* Not even an order-2 block (a 3-page request's) is left. */
        assert_true(st.largest_free_order < 2 ||
                    st.largest_free_order == UINT64_MAX);
        fill(h, b, 1000, 0);
        st = stats_of(h);
        assert_int_equal(st.failed, 2);
        assert_int_equal(st.map_failures, 0);
        free_all_and_check(h, b);
        close_heap(h);
        free(b);
        tested++;
    }
    assert_int_equal(tested, 6);
}

/* The same with the directmap off: every xenheap page is mapped on
 * demand, and the frames still run out before anything else. */
static void frame_pool_runs_out_without_directmap(void **state)
{
    static const char *const names[] = { "pages", "xmalloc",
                                         "xvmalloc-fallback" };

    for (size_t i = 0; i < 3; i++) {
        struct heap_config cfg = small_config(1u << 20);
        struct blocks *b = calloc(1, sizeof *b);
        struct heap *h;

        cfg.directmap = false;
        h = open_heap(names[i], &cfg);
        fill(h, b, 5 * PAGE, 0);
        fill(h, b, 700, 0);
        assert_int_equal(stats_of(h).failed, 2);
        assert_int_equal(stats_of(h).map_failures, 0);
        free_all_and_check(h, b);
        close_heap(h);
        free(b);
    }
}

/* A small vmap area runs out while frames are plenty: vmalloc fails, the
 * fallback variant goes to xmalloc instead. */
static void vmap_area_runs_out(void **state)
{
    static const enum flush_policy flush[] = { FLUSH_PER_PAGE, FLUSH_LAZY };

    for (size_t i = 0; i < 2; i++) {
        struct heap_config cfg = small_config(16u << 20);
        struct blocks *b = calloc(1, sizeof *b);
        struct heap *h;
        struct placement where;
        void *p;

        cfg.vmap_bytes = 64 * PAGE;   /* 1 bitmap page, 63 bits to use */
        cfg.flush = flush[i];
        h = open_heap("vmalloc", &cfg);
        assert_int_equal(fill(h, b, 4 * PAGE, 0), 12);   /* 4 + a guard */
        assert_int_equal(stats_of(h).failed, 1);
        assert_true(stats_of(h).domheap_free_frames > 1000);
        assert_int_equal(stats_of(h).map_failures, 0);
        if (flush[i] == FLUSH_LAZY) {
            /* A freed area waits for the purge; running out forces it. */
            b->n--;
            heap_free(h, b->p[b->n], b->size[b->n]);
            assert_int_equal(h->xen->vmap.lazy_n, 1);
            b->p[b->n] = heap_alloc(h, 4 * PAGE, 0, 0, NULL);
            assert_non_null(b->p[b->n]);
            b->size[b->n++] = 4 * PAGE;
            assert_int_equal(h->xen->vmap.lazy_n, 0);
        }
        free_all_and_check(h, b);
        close_heap(h);

        h = open_heap("xvmalloc-fallback", &cfg);
        for (unsigned k = 0; k <= 12; k++) {
            p = heap_alloc(h, 4 * PAGE, 0, 0, &where);
            assert_non_null(p);
            assert_int_equal(where.path, k < 12 ? PATH_VMAP : PATH_WHOLE_PAGES);
            b->p[b->n] = p;
            b->size[b->n++] = 4 * PAGE;
        }
        assert_int_equal(stats_of(h).failed, 0);
        free_all_and_check(h, b);
        close_heap(h);
        free(b);
    }
}

/* Arm32's separate xenheap runs out: xmalloc fails although the domheap
 * is nearly empty; xvmalloc-fallback takes small requests to vmalloc. */
static void separate_xenheap_runs_out(void **state)
{
    struct heap_config cfg = small_config(4u << 20);
    struct blocks *b = calloc(1, sizeof *b);
    struct placement where;
    struct heap *h;
    unsigned got;

    cfg.xenheap_bytes = 16 * PAGE;
    h = open_heap("xmalloc", &cfg);
    got = fill(h, b, 1000, 0);
    assert_true(got > 16);
    assert_int_equal(stats_of(h).failed, 1);
    assert_int_equal(stats_of(h).xenheap_free_frames, 0);
    assert_true(stats_of(h).domheap_free_frames > 900);
    free_all_and_check(h, b);
    close_heap(h);

    h = open_heap("xvmalloc", &cfg);
    fill(h, b, 1000, 0);
    assert_int_equal(stats_of(h).failed, 1);
    free_all_and_check(h, b);
    close_heap(h);

    /* The same requests: the first ones as before, then vmalloc's. */
    h = open_heap("xvmalloc-fallback", &cfg);
    for (unsigned k = 0; k < got + 5; k++) {
        void *p = heap_alloc(h, 1000, 0, 0, &where);

        assert_non_null(p);
        assert_int_equal(where.path, k < got ? PATH_POOL : PATH_VMAP);
        b->p[b->n] = p;
        b->size[b->n++] = 1000;
    }
    assert_int_equal(stats_of(h).failed, 0);
    free_all_and_check(h, b);
    close_heap(h);
    free(b);
}

/* ---- the modelled vm.max_map_count ---- */

/* Lowered to 64: the bitmap page costs 2 (a mapping and the reservation
 * piece after it), every one-page area 2 more, so 31 areas fit. */
static void lowered_map_count_fails_cleanly(void **state)
{
    struct heap_config cfg = small_config(4u << 20);
    struct blocks *b = calloc(1, sizeof *b);
    struct heap *h;
    struct heap_stats st;
    const char *msg;

    cfg.max_map_count = 64;
    h = open_heap("vmalloc", &cfg);
    assert_int_equal(map_count_now(&h->xen->mapper.map_count), 2);
    assert_int_equal(fill(h, b, PAGE, 0), 31);
    st = stats_of(h);
    assert_int_equal(st.failed, 1);
    assert_int_equal(st.map_failures, 1);
    assert_int_equal(map_count_now(&h->xen->mapper.map_count), 64);
    assert_int_equal(st.va_pages_in_use, 31 * 2);   /* the refused one's back */
    msg = heap_map_limit_message(h);
    assert_non_null(msg);
    assert_non_null(strstr(msg, "vm.max_map_count (64 mappings"));
    assert_non_null(strstr(msg, "raise it with: --max-map-count"));
    free_all_and_check(h, b);
    assert_int_equal(map_count_now(&h->xen->mapper.map_count), 2);
    close_heap(h);
    free(b);
}

/* Without the knob nothing is counted, and no message appears. */
static void map_count_is_off_by_default(void **state)
{
    struct heap_config cfg = small_config(4u << 20);
    struct heap *h = open_heap("vmalloc", &cfg);

    heap_free(h, heap_alloc(h, 3 * PAGE, 0, 0, NULL), 3 * PAGE);
    assert_int_equal(map_count_now(&h->xen->mapper.map_count), 0);
    assert_null(heap_map_limit_message(h));
    close_heap(h);
}

/* The kernel's VMAs, counted from /proc/self/maps without allocating. */
static long host_vmas(void)
{
    static char buf[1 << 16];
    long lines = 0;
    ssize_t got;
    int fd = open("/proc/self/maps", O_RDONLY);

    assert_true(fd >= 0);
    while ((got = read(fd, buf, sizeof buf)) > 0)
        for (ssize_t i = 0; i < got; i++)
            lines += buf[i] == '\n';
    close(fd);
    return lines;
}

static uint64_t rnd(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 33;
}

/* Random allocations and frees on one configuration: after each, the
 * modelled count has moved exactly as the kernel's count of VMAs. */
static void follow_the_kernel(const char *backend, size_t page, bool directmap,
                              enum flush_policy flush, uint64_t seed)
{
    struct heap_config cfg = test_config(page);
    struct heap *h;
    void *p[64] = { 0 };
    size_t size[64];
    long host0;
    uint64_t model0;

    cfg.memory_bytes = 16u << 20;
    cfg.directmap = directmap;
    cfg.flush = flush;
    cfg.lazy_max_pages = 16;
    cfg.max_map_count = MAP_COUNT_MAX;
    h = open_heap(backend, &cfg);
    host0 = host_vmas();
    model0 = map_count_now(&h->xen->mapper.map_count);
    for (unsigned step = 0; step < 400; step++) {
        unsigned k = (unsigned)(rnd(&seed) % 64);
        long host;
        uint64_t model;

        if (p[k]) {
            heap_free(h, p[k], size[k]);
            p[k] = NULL;
        } else {
            size[k] = 1 + rnd(&seed) % (rnd(&seed) % 4 ? 2 * page : 9 * page);
            p[k] = heap_alloc(h, size[k], 0, 0, NULL);
        }
        host = host_vmas() - host0;
        model = map_count_now(&h->xen->mapper.map_count) - model0;
        if (host != (long)model)
            fail_msg("%s, page %zu, directmap %d, flush %s, step %u: the "
                     "kernel has %+ld VMAs, the model counts %+" PRId64,
                     backend, page, directmap, flush_policy_name(flush), step,
                     host, (int64_t)model);
    }
    for (unsigned k = 0; k < 64; k++)
        if (p[k])
            heap_free(h, p[k], size[k]);
    close_heap(h);
}

static void map_count_follows_the_kernel(void **state)
{
    follow_the_kernel("vmalloc", PAGE, true, FLUSH_PER_PAGE, 1);
    follow_the_kernel("vmalloc", PAGE, true, FLUSH_PER_RANGE, 2);
    follow_the_kernel("vmalloc", PAGE, true, FLUSH_LAZY, 3);
    follow_the_kernel("vmalloc", 16384, true, FLUSH_PER_PAGE, 4);
    follow_the_kernel("pages", PAGE, false, FLUSH_PER_PAGE, 5);
    follow_the_kernel("xmalloc", PAGE, false, FLUSH_PER_PAGE, 6);
    follow_the_kernel("xmalloc", PAGE, false, FLUSH_PER_RANGE, 7);
    follow_the_kernel("xvmalloc-fallback", 65536, false, FLUSH_PER_PAGE, 8);
}

/* The host's own limit, reached for real when it is the default: the
 * kernel refuses; the model raises it for the run only where asked
 * (XHEAP_RAISE_MAX_MAP_COUNT=1, as root) and nothing fails, else it says
 * so with the sysctl that raises it. */
static void host_map_count_fails_cleanly(void **state)
{
    struct heap_config cfg = small_config(256u << 20);
    FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
    long limit = 0;
    unsigned got = 0, cap;
    void **p;
    struct heap *h;

    assert_non_null(f);
    assert_int_equal(fscanf(f, "%ld", &limit), 1);
    fclose(f);
    if (limit > HOST_LIMIT_TESTED) {
        print_message("skipped: vm.max_map_count is %ld here\n", limit);
        return;
    }
    cap = (unsigned)limit;
    p = calloc(cap, sizeof *p);
    h = open_heap("vmalloc", &cfg);
    while (got < cap && (p[got] = heap_alloc(h, PAGE, 0, 0, NULL)))
        got++;
    if (!heap_host_limit_short(h)) {          /* only memory ran out */
        assert_int_equal(stats_of(h).map_failures, 0);
        assert_int_equal(stats_of(h).failed, got < cap);
        while (got--)
            heap_free(h, p[got], PAGE);
        close_heap(h);
        free(p);
        return;
    }
    assert_true(got < cap);
    assert_int_equal(stats_of(h).failed, 1);
    assert_int_equal(stats_of(h).map_failures, 1);
    assert_non_null(heap_map_limit_message(h));
    assert_non_null(strstr(heap_map_limit_message(h),
                           "sysctl -w vm.max_map_count="));
    /* Unasked, the run changed no system setting, even as root. */
    if (!getenv("XHEAP_RAISE_MAX_MAP_COUNT")) {
        long now = 0;

        f = fopen("/proc/sys/vm/max_map_count", "r");
        assert_non_null(f);
        assert_int_equal(fscanf(f, "%ld", &now), 1);
        fclose(f);
        assert_int_equal(now, limit);
    }
    check_model(h);
    while (got--)
        heap_free(h, p[got], PAGE);
    /* Xen's page tables stay after the last free (backends/pagetable.h). */
    assert_int_equal(h->xen->pa.frames_in_use,
                     stats_of(h).overhead_frames +
                     h->xen->mapper.pt.live_tables);
    assert_int_equal(stats_of(h).va_pages_in_use, 0);
    close_heap(h);
    free(p);
}

/* ---- the Nth map call fails ---- */

/* Map calls a fresh heap of this configuration has made. */
static uint64_t boot_maps(const char *backend, const struct heap_config *cfg)
{
    struct heap *h = open_heap(backend, cfg);
    uint64_t n = h->xen->mapper.map_calls;

    close_heap(h);
    return n;
}

/* vmalloc of 8 pages whose 4th map fails: the 3 mapped are unmapped, the
 * address space and all 8 frames go back, and the next vmalloc takes the
 * same place. */
static void map_fails_in_the_middle_of_vmalloc(void **state)
{
    struct heap_config cfg = small_config(4u << 20);
    uint64_t boot = boot_maps("vmalloc", &cfg);
    struct heap *h;
    struct heap_stats st;
    uint64_t unmaps;
    uint32_t first;
    void *p;

    cfg.fail_map_at = boot + 4;
    h = open_heap("vmalloc", &cfg);
    first = h->xen->vmap.low + 1;     /* after a guard page */
    unmaps = h->xen->mapper.unmap_calls;
    assert_null(heap_alloc(h, 8 * PAGE, 0, 0, NULL));
    st = stats_of(h);
    assert_int_equal(st.failed, 1);
    assert_int_equal(st.map_failures, 1);
    assert_int_equal(h->xen->mapper.injected_maps, 1);
    assert_int_equal(st.map_calls, boot + 4);
    assert_int_equal(h->xen->mapper.unmap_calls, unmaps + 3);   /* a page each */
    assert_int_equal(st.va_pages_in_use, 0);
    assert_int_equal(h->xen->pa.frames_in_use,     /* page tables stay */
                     st.overhead_frames + h->xen->mapper.pt.live_tables);
    check_model(h);
    p = heap_alloc(h, 8 * PAGE, 0, 0, NULL);
    assert_non_null(p);
    assert_ptr_equal(p, h->xen->vmap.base + (size_t)first * PAGE);
    memset(p, 1, 8 * PAGE);
    heap_free(h, p, 8 * PAGE);
    check_model(h);
    close_heap(h);
}

/* With the directmap off, the on-demand mapping of xenheap pages fails:
 * the pages go back, the pool keeps working. */
static void map_fails_for_xenheap_pages(void **state)
{
    struct heap_config cfg = small_config(4u << 20);
    struct blocks *b = calloc(1, sizeof *b);
    uint64_t boot;
    struct heap *h;

    cfg.directmap = false;
    boot = boot_maps("xmalloc", &cfg);
    cfg.fail_map_at = boot + 2;     /* the second block of whole pages */
    h = open_heap("xmalloc", &cfg);
    assert_non_null(b->p[b->n] = heap_alloc(h, 3 * PAGE, 0, 0, NULL));
    b->size[b->n++] = 3 * PAGE;
    assert_null(heap_alloc(h, 3 * PAGE, 0, 0, NULL));
    assert_int_equal(stats_of(h).map_failures, 1);
    /* The first block's pages, and the page tables their on-demand
     * mappings took from the domheap (Xen's boot order: the pool comes
     * after boot, so its tables are no boot memory; tables stay). */
    assert_int_equal(h->xen->pa.frames_in_use,
                     stats_of(h).overhead_frames + 3 +
                     h->xen->mapper.pt.live_tables);
    assert_non_null(b->p[b->n] = heap_alloc(h, 3 * PAGE, 0, 0, NULL));
    b->size[b->n++] = 3 * PAGE;
    assert_int_equal(stats_of(h).failed, 1);
    free_all_and_check(h, b);
    close_heap(h);
    free(b);
}

/* Every 7th map call and every 5th unmap call fail while random requests
 * run on every model backend, with the directmap on and off: the model
 * stays sound at every step, and everything comes back at the end. */
static void fault_storm(void **state)
{
    size_t n;
    const struct backend *const *all = backend_list(&n);

    for (size_t i = 0; i < n; i++) {
        for (int dm = 0; dm <= 1 && all[i]->model; dm++) {
            struct heap_config cfg = small_config(8u << 20);
            struct blocks *b = calloc(1, sizeof *b);
            uint64_t seed = i * 2 + (uint64_t)dm;
            struct heap *h;
            struct heap_stats st;

            cfg.directmap = dm;
            cfg.fail_map_every = 7;
            cfg.fail_unmap_every = 5;
            cfg.max_map_count = 300;
            h = open_heap(all[i]->name, &cfg);
            for (unsigned step = 0; step < 600; step++) {
                unsigned k = (unsigned)(rnd(&seed) % 48);

                if (k < b->n) {
                    heap_free(h, b->p[k], b->size[k]);
                    b->n--;
                    b->p[k] = b->p[b->n];
                    b->size[k] = b->size[b->n];
                } else {
                    size_t size = 1 + rnd(&seed) % (6 * PAGE);
                    void *p = heap_alloc(h, size, 0, 0, NULL);

                    if (p) {
                        memset(p, 0x5a, size);
                        b->p[b->n] = p;
                        b->size[b->n++] = size;
                    }
                }
                if (step % 50 == 0)
                    check_model(h);
            }
            /* Calls 7, 14, ... and 5, 10, ... failed, the rest were
             * refused by the limit or went through. */
            st = stats_of(h);
            assert_int_equal(h->xen->mapper.injected_maps, st.map_calls / 7);
            assert_int_equal(h->xen->mapper.injected_unmaps,
                             st.unmap_calls / 5);
            assert_true(st.map_failures >= st.map_calls / 7 +
                                           st.unmap_calls / 5);
            free_all_and_check(h, b);
            close_heap(h);
            free(b);
        }
    }
}

/* ---- the Nth unmap call fails ---- */

/* The second page of a vfree'd area stays mapped: counted, and stale. The
 * frames and the address space go back anyway, as in Xen; the stale
 * mapping still shows the old frame until the place is mapped again. */
static void unmap_failure_leaves_a_counted_stale_page(void **state)
{
    struct heap_config cfg = small_config(4u << 20);
    struct heap *h;
    struct heap_stats st;
    char *p, *q;
    uint64_t vmas;

    cfg.fail_unmap_at = 2;
    cfg.max_map_count = 1000;
    h = open_heap("vmalloc", &cfg);
    assert_int_equal(h->xen->mapper.unmap_calls, 0);
    p = heap_alloc(h, 4 * PAGE, 0, 0, NULL);
    memset(p, 0x33, 4 * PAGE);
    vmas = map_count_now(&h->xen->mapper.map_count);
    heap_free(h, p, 4 * PAGE);
    st = stats_of(h);
    assert_int_equal(st.unmap_calls, 4);             /* x86: one a page */
    assert_int_equal(st.map_failures, 1);
    assert_int_equal(h->xen->mapper.unmap_failures, 1);
    assert_int_equal(h->xen->mapper.stale_pages, 1);
    assert_int_equal(st.failed, 0);
    assert_int_equal(st.va_pages_in_use, 0);
    assert_int_equal(h->xen->pa.frames_in_use,     /* page tables stay */
                     st.overhead_frames + h->xen->mapper.pt.live_tables);
    /* The kernel keeps the stale page's mapping and the piece of
     * reservation after it, where the area had 4 mappings and that piece. */
    assert_int_equal(map_count_now(&h->xen->mapper.map_count), vmas - 5 + 2);
    assert_int_equal((unsigned char)p[PAGE + 9], 0x33);
    check_model(h);

    q = heap_alloc(h, 4 * PAGE, 0, 0, NULL);    /* the same place, mapped anew */
    assert_ptr_equal(q, p);
    memset(q, 0x44, 4 * PAGE);
    heap_free(h, q, 4 * PAGE);
    st = stats_of(h);
    assert_int_equal(st.map_failures, 1);
    assert_int_equal(h->xen->pa.frames_in_use,     /* page tables stay */
                     st.overhead_frames + h->xen->mapper.pt.live_tables);
    assert_int_equal(map_count_now(&h->xen->mapper.map_count), vmas - 5);
    check_model(h);
    close_heap(h);
}

/* An unmap the lowered limit refuses (it would split a mapping) fails the
 * same way, with the limit's message: on-demand xenheap pages, freed a
 * page at a time from the middle of one mapping. */
static void unmap_refused_by_the_limit(void **state)
{
    struct heap_config cfg = small_config(4u << 20);
    struct heap *h;
    uint64_t vmas;
    char *p;

    cfg.directmap = false;
    cfg.max_map_count = 1000;
    h = open_heap("pages", &cfg);
    p = heap_alloc(h, 8 * PAGE, 0, 0, NULL);
    vmas = map_count_now(&h->xen->mapper.map_count);
    close_heap(h);

    cfg.max_map_count = (unsigned)vmas;   /* full once the block is mapped */
    h = open_heap("pages", &cfg);
    p = heap_alloc(h, 8 * PAGE, 0, 0, NULL);
    assert_non_null(p);
    /* Giving back the middle pages alone would split the mapping. */
    free_xenheap_pages(&h->xen->pa, p + 2 * PAGE, 1);
    assert_int_equal(h->xen->mapper.unmap_failures, 2);
    assert_int_equal(h->xen->mapper.stale_pages, 2);
    assert_non_null(heap_map_limit_message(h));
    assert_non_null(strstr(heap_map_limit_message(h), "unmap failed"));
    assert_int_equal(map_count_now(&h->xen->mapper.map_count), vmas);
    check_model(h);
    close_heap(h);
}

/* ---- end to end ---- */

/* Runs build/xheap with argv, its standard output into out. */
static int run_xheap(char *const argv[], char *out, size_t len)
{
    int fd[2], status;
    size_t have = 0;
    ssize_t got;
    pid_t pid;

    assert_int_equal(pipe(fd), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        execv(XHEAP_BIN, argv);
        _exit(127);
    }
    close(fd[1]);
    while (have + 1 < len && (got = read(fd[0], out + have, len - 1 - have)) > 0)
        have += (size_t)got;
    out[have] = '\0';
    close(fd[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static json_int_t jget(json_t *root, const char *a, const char *b)
{
    json_t *v = json_object_get(root, a);

    if (b)
        v = json_object_get(v, b);
    assert_true(json_is_integer(v));
    return json_integer_value(v);
}

/* xheap replay under every knob: the run goes on, exits 0, and its
 * summary and JSON report the failures. */
static void replay_reports_the_faults(void **state)
{
    char dir[] = "/tmp/xheap-test-faults-XXXXXX", trace[128], json[128];
    static char out[1 << 16];
    char *gen[] = { XHEAP_BIN, "gen", "large", "--events", "400", "-o",
                    trace, NULL };
    char *replay[] = { XHEAP_BIN, "replay", "--backend", "xvmalloc",
                       "--trace", trace, "--json", json, "--memory", "64M",
                       "--warmup", "0", "--repetitions", "2", "--timing",
                       "batch", "--counters", "none",
                       "--max-map-count", "600", "--fail-map-at", "300",
                       "--fail-map-every", "1000", "--fail-unmap-at", "5",
                       NULL };
    json_error_t err;
    json_t *root;
    char line[128];

    assert_non_null(mkdtemp(dir));
    snprintf(trace, sizeof trace, "%s/l.trace", dir);
    snprintf(json, sizeof json, "%s/r.json", dir);
    assert_int_equal(run_xheap(gen, out, sizeof out), 0);
    assert_int_equal(run_xheap(replay, out, sizeof out), 0);
    root = json_load_file(json, 0, &err);
    if (!root)
        fail_msg("%s: %s", json, err.text);
    assert_true(jget(root, "ops", "failed") > 0);
    assert_true(jget(root, "map_failures", NULL) > jget(root, "ops", "failed"));
    assert_int_equal(jget(root, "ops", "alloc"), 200);
    assert_int_equal(jget(root, "stats", "va_pages_in_use"), 0);
    assert_int_equal(jget(root, "stats", "frames_in_use"),  /* + tables */
                     jget(root, "stats", "overhead_frames") +
                     jget(root, "stats", "pt_frames_allocated") -
                     jget(root, "stats", "pt_frames_freed"));
    assert_non_null(strstr(json_string_value(json_object_get(root, "map_limit")),
                           "(600 mappings"));
    snprintf(line, sizeof line, "failed     %" JSON_INTEGER_FORMAT
             " allocations", jget(root, "ops", "failed"));
    assert_non_null(strstr(out, line));
    assert_non_null(strstr(out, "warning    mmap failed: the process reached "
                                "vm.max_map_count (600 mappings"));
    json_decref(root);
    unlink(json);
    unlink(trace);
    rmdir(dir);
}

/* A bad knob is one line on stderr and exit status 2. */
/* A failed on-demand xenheap map gives its pages back as a free would:
 * dirty, so the next domheap caller gets them scrubbed. */
static void failed_xenheap_map_keeps_pages_dirty(void **state)
{
    struct heap_config cfg = small_config(4u << 20);
    static uint32_t held[1024];
    unsigned n = 0;
    struct heap *h;
    uint32_t f;

    cfg.directmap = false;
    cfg.fail_map_at = boot_maps("pages", &cfg) + 1;
    h = open_heap("pages", &cfg);
    while ((f = alloc_domheap_pages(&h->xen->pa, 0, 0)) != NO_FRAME) {
        memset(frame_to_view(&h->xen->frames, f), 0xAB, PAGE);
        held[n++] = f;
    }
    while (n)
        free_domheap_pages(&h->xen->pa, held[--n], 0);
    assert_null(alloc_xenheap_pages(&h->xen->pa, 0, 0));
    f = alloc_domheap_pages(&h->xen->pa, 0, 0);
    assert_int_equal(((unsigned char *)frame_to_view(&h->xen->frames, f))[5], 0);
    free_domheap_pages(&h->xen->pa, f, 0);
    close_heap(h);
}

static void bad_knobs_are_usage_errors(void **state)
{
    static char out[4096];
    char *a[] = { XHEAP_BIN, "replay", "--backend", "vmalloc", "--trace", "x",
                  "--max-map-count", "70000", NULL };
    char *b[] = { XHEAP_BIN, "replay", "--backend", "vmalloc", "--trace", "x",
                  "--fail-unmap-at", "-1", NULL };

    assert_int_equal(run_xheap(a, out, sizeof out), 2);
    assert_int_equal(run_xheap(b, out, sizeof out), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(frame_pool_runs_out_on_every_backend),
        cmocka_unit_test(frame_pool_runs_out_without_directmap),
        cmocka_unit_test(vmap_area_runs_out),
        cmocka_unit_test(separate_xenheap_runs_out),
        cmocka_unit_test(lowered_map_count_fails_cleanly),
        cmocka_unit_test(map_count_is_off_by_default),
        cmocka_unit_test(map_count_follows_the_kernel),
        cmocka_unit_test(host_map_count_fails_cleanly),
        cmocka_unit_test(map_fails_in_the_middle_of_vmalloc),
        cmocka_unit_test(map_fails_for_xenheap_pages),
        cmocka_unit_test(fault_storm),
        cmocka_unit_test(unmap_failure_leaves_a_counted_stale_page),
        cmocka_unit_test(unmap_refused_by_the_limit),
        cmocka_unit_test(replay_reports_the_faults),
        cmocka_unit_test(failed_xenheap_map_keeps_pages_dirty),
        cmocka_unit_test(bad_knobs_are_usage_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
