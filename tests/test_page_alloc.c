/*
 * The page allocator, fact by fact (xen-allocators.md, "Page allocator").
 *
 * Every heap here is 64 MiB of 4K frames: 16384 frames, the top zone
 * [8192, 16384). Boot goes as on x86 Xen: vm_init takes the vmap bitmap's
 * page from the boot allocator (the top frame, which never enters the
 * heap), end_boot_allocator hands [1, top) to the heap, and the xmalloc
 * pool's descriptor then takes the order-1 block [top-3, top-2). So the
 * first frame a caller gets is top - 1, the next ones top - 4 downwards.
 * Each number below was checked against Xen's own page_alloc.c functions
 * run on the same sequence.
 */
#include "tests/check.h"
#include "tests/fixture.h"

#define POOL_FRAMES 2   /* the pool descriptor, order 1, from the heap */
#define BOOT_PAGES  1   /* the vmap bitmap page, from the boot allocator */

static struct page_alloc *pa_of(struct heap *h)
{
    return &h->xen->pa;
}

static void census(struct heap *h, uint32_t *out, size_t n)
{
    free_block_census(pa_of(h), out, n);
}

static void fresh_heap_hands_out_highest_frames_first(void **state)
{
    struct heap_config cfg = test_config(4096);
    struct heap *h = open_heap("pages", &cfg);
    uint32_t top = top_frame(h);

    const uint32_t want[] = { top - 1, top - 4, top - 5, top - 6 };

    assert_int_equal(pa_of(h)->overhead_frames, POOL_FRAMES);
    for (uint32_t i = 0; i < 4; i++)
        assert_int_equal(alloc_domheap_pages(pa_of(h), 0, 0), want[i]);
    for (uint32_t i = 0; i < 4; i++)
        free_domheap_pages(pa_of(h), want[i], 0);
    close_heap(h);
}

/* The found block is halved; the request is served from the top and each
 * lower half goes back on its free list. */
static void split_serves_the_top_half(void **state)
{
    struct heap_config cfg = test_config(4096);
    struct heap *h = open_heap("pages", &cfg);
    uint32_t top = top_frame(h);
    uint32_t a = alloc_domheap_pages(pa_of(h), 0, 0);   /* boot's order 0 */
    uint32_t b = alloc_domheap_pages(pa_of(h), 0, 0);   /* splits [top-7, top-3) */

    assert_int_equal(a, top - 1);
    assert_int_equal(b, top - 4);
    /* The lower quarter went back as an order-1 block, then an order-0. */
    assert_int_equal(alloc_domheap_pages(pa_of(h), 1, 0), top - 7);
    assert_int_equal(alloc_domheap_pages(pa_of(h), 0, 0), top - 5);
    free_domheap_pages(pa_of(h), a, 0);
    free_domheap_pages(pa_of(h), b, 0);
    free_domheap_pages(pa_of(h), top - 7, 1);
    free_domheap_pages(pa_of(h), top - 5, 0);
    close_heap(h);
}

static void free_merges_buddies_back(void **state)
{
    struct heap_config cfg = test_config(4096);
    struct heap *h = open_heap("pages", &cfg);
    uint32_t before[512] = { 0 }, after[512] = { 0 }, f[64];

    census(h, before, 512);
    for (int i = 0; i < 64; i++)
        f[i] = alloc_domheap_pages(pa_of(h), (unsigned)(i % 3), 0);
    for (int i = 0; i < 64; i += 2)
        free_domheap_pages(pa_of(h), f[i], (unsigned)(i % 3));
    for (int i = 1; i < 64; i += 2)
        free_domheap_pages(pa_of(h), f[i], (unsigned)(i % 3));
    census(h, after, 512);
    assert_memory_equal(before, after, sizeof before);
    assert_int_equal(frames_in_use(h), POOL_FRAMES);
    close_heap(h);
}

/* Frame 0 and the boot allocator's top frame are never handed out, and
 * every other frame but the pool's is. */
static void frame_zero_is_kept_out(void **state)
{
    struct heap_config cfg = test_config(4096);
    struct heap *h = open_heap("pages", &cfg);
    uint32_t n = h->xen->frames.nr_frames, got = 0, f;

    while ((f = alloc_domheap_pages(pa_of(h), 0, 0)) != NO_FRAME) {
        assert_int_not_equal(f, 0);
        got++;
    }
    assert_int_equal(got, n - 1 - BOOT_PAGES - POOL_FRAMES);
    assert_int_equal(largest_free_order(pa_of(h), false), -1);
    for (f = 1; f < n - BOOT_PAGES; f++)
        if (f != n - 4 && f != n - 3)          /* the pool's descriptor */
            free_domheap_pages(pa_of(h), f, 0);
    assert_int_equal(frames_in_use(h), POOL_FRAMES);
    close_heap(h);
}

/* Zone k holds [2^(k-1), 2^k): buddies never merge across, so a heap of
 * 2^14 frames never has a block above order 12 once its top is used. */
static void zones_bound_merging(void **state)
{
    struct heap_config cfg = test_config(4096);
    struct heap *h = open_heap("pages", &cfg);

    assert_int_equal(largest_free_order(pa_of(h), false), 12);
    assert_int_equal(alloc_domheap_pages(pa_of(h), 13, 0), NO_FRAME);
    /* Zones are walked from high to low. */
    assert_int_equal(alloc_domheap_pages(pa_of(h), 12, 0), 8192);
    assert_int_equal(alloc_domheap_pages(pa_of(h), 12, 0), 4096);
    assert_int_equal(alloc_domheap_pages(pa_of(h), 12, 0), NO_FRAME);
    free_domheap_pages(pa_of(h), 4096, 12);
    free_domheap_pages(pa_of(h), 8192, 12);
    assert_int_equal(largest_free_order(pa_of(h), false), 12);
    close_heap(h);
}

static void max_order_is_a_knob(void **state)
{
    struct heap_config cfg = test_config(4096);
    struct heap *h;

    cfg.max_order = 10;
    h = open_heap("pages", &cfg);
    assert_int_equal(largest_free_order(pa_of(h), false), 10);
    assert_int_equal(alloc_domheap_pages(pa_of(h), 11, 0), NO_FRAME);
    assert_int_not_equal(alloc_domheap_pages(pa_of(h), 10, 0), NO_FRAME);
    close_heap(h);
}

/* Freed domheap pages are dirty and go to the tail; a single dirty page is
 * taken anyway and scrubbed for a caller that did not say MEMF_no_scrub. */
static void dirty_pages_go_last_and_are_scrubbed(void **state)
{
    struct heap_config cfg = test_config(4096);
    struct heap *h = open_heap("pages", &cfg);
    struct page_alloc *pa = pa_of(h);
    uint32_t a = alloc_domheap_pages(pa, 0, 0);
    uint32_t b = alloc_domheap_pages(pa, 0, 0);
    unsigned char *pa_view = frame_to_view(&h->xen->frames, a);

    memset(pa_view, 0xAA, 4096);
    free_domheap_pages(pa, a, 0);              /* dirty, at the tail */
    assert_int_equal(alloc_domheap_pages(pa, 0, 0), b - 1);  /* clean head */
    assert_int_equal(pa->scrubbed_pages, 0);
    assert_int_equal(alloc_domheap_pages(pa, 0, 0), a);      /* dirty grab */
    assert_int_equal(pa->scrubbed_pages, 1);
    assert_int_equal(pa_view[0], 0);
    assert_int_equal(pa_view[4095], 0);
    close_heap(h);
}

/* Xenheap allocations take dirty pages as they are (MEMF_no_scrub). */
static void xenheap_takes_dirty_pages_unscrubbed(void **state)
{
    struct heap_config cfg = test_config(4096);
    struct heap *h = open_heap("pages", &cfg);
    struct page_alloc *pa = pa_of(h);
    unsigned char *p = alloc_xenheap_pages(pa, 0, 0);

    memset(p, 0xAA, 4096);
    free_xenheap_pages(pa, p, 0);   /* one heap: freed xenheap pages scrub */
    assert_true(page_needs_scrub(frame_page(pa, frame_of(h, p))));
    assert_ptr_equal(alloc_xenheap_pages(pa, 0, 0), p);
    assert_int_equal(p[100], 0xAA);
    assert_int_equal(pa->scrubbed_pages, 0);
    close_heap(h);
}

static void scrub_off_keeps_pages_clean(void **state)
{
    struct heap_config cfg = test_config(4096);
    struct heap *h;
    uint32_t a;

    cfg.scrub = false;
    h = open_heap("pages", &cfg);
    a = alloc_domheap_pages(pa_of(h), 0, 0);
    memset(frame_to_view(&h->xen->frames, a), 0xAA, 4096);
    free_domheap_pages(pa_of(h), a, 0);
    assert_false(page_needs_scrub(frame_page(pa_of(h), a)));
    assert_int_equal(alloc_domheap_pages(pa_of(h), 0, 0), a);
    assert_int_equal(*(unsigned char *)frame_to_view(&h->xen->frames, a), 0xAA);
    assert_int_equal(pa_of(h)->scrubbed_pages, 0);
    close_heap(h);
}

/* Arm32: a small separate xenheap, zone MEMZONE_XEN, frames [0, 257): frame
 * 0 is kept out and 256 is init_xenheap_pages' buffer. Its pages are not
 * scrubbed on free; the domheap is the rest. */
static void separate_xenheap_is_its_own_zone(void **state)
{
    struct heap_config cfg = test_config(4096);
    struct heap *h;
    uint32_t xen_frames = 256, got = 0;
    void *p;

    cfg.xenheap_bytes = (uint64_t)xen_frames * 4096;
    h = open_heap("pages", &cfg);
    assert_true(is_separate_xenheap(pa_of(h)));
    /* The pool descriptor (2 frames, 2-3) lives in the xenheap. */
    assert_int_equal(free_frames(pa_of(h), true), xen_frames - 3);
    while ((p = alloc_xenheap_pages(pa_of(h), 0, 0)) != NULL) {
        uint32_t f = frame_of(h, p);

        assert_true(f >= 1 && f < xen_frames);
        got++;
    }
    assert_int_equal(got, xen_frames - 3);
    /* The domheap is untouched and hands out the top but the boot page. */
    assert_int_equal(alloc_domheap_pages(pa_of(h), 0, 0), top_frame(h) - 1);
    for (uint32_t f = 1; f < xen_frames; f++)
        if (f != 2 && f != 3)
            free_xenheap_pages(pa_of(h), frame_to_virt(&h->xen->frames, f), 0);
    assert_false(page_needs_scrub(frame_page(pa_of(h), 1)));
    assert_int_equal(free_frames(pa_of(h), true), xen_frames - 3);
    close_heap(h);
}

static void too_large_an_order_fails(void **state)
{
    struct heap_config cfg = test_config(4096);
    struct heap *h = open_heap("pages", &cfg);

    assert_int_equal(alloc_domheap_pages(pa_of(h), 19, 0), NO_FRAME);
    assert_null(alloc_xenheap_pages(pa_of(h), 19, 0));
    close_heap(h);
}

/* Without a directmap, xenheap pages are mapped on allocation and unmapped
 * on free: real mapping calls, as the directmap-removal series makes them. */
static void no_directmap_maps_xenheap_pages_on_demand(void **state)
{
    struct heap_config cfg = test_config(4096);
    struct heap *h;
    uint64_t maps, unmaps;
    char *p;

    cfg.directmap = false;
    h = open_heap("pages", &cfg);
    maps = h->xen->mapper.map_calls;
    unmaps = h->xen->mapper.unmap_calls;
    p = alloc_xenheap_pages(pa_of(h), 2, 0);
    assert_non_null(p);
    assert_int_equal(h->xen->mapper.map_calls, maps + 1);  /* one range */
    memset(p, 1, 4 * 4096);
    free_xenheap_pages(pa_of(h), p, 2);
    assert_int_equal(h->xen->mapper.unmap_calls, unmaps + 4); /* x86: a page each */
    close_heap(h);
}

/* Xen's idle scrubber (scrub_free_pages) takes dirty blocks from the tails
 * of the lists, scrubs them and puts them back at the heads: the page just
 * freed is then the next one handed out (LIFO), where without it the clean
 * head goes first (dirty_pages_go_last_and_are_scrubbed). */
static void idle_scrub_turns_reuse_lifo(void **state)
{
    struct heap_config cfg = test_config(4096);
    struct heap *h = open_heap("pages", &cfg);
    struct page_alloc *pa = pa_of(h);
    uint32_t a = alloc_domheap_pages(pa, 0, 0);
    uint32_t b = alloc_domheap_pages(pa, 0, 0);
    unsigned char *view = frame_to_view(&h->xen->frames, a);

    memset(view, 0xAA, 4096);
    free_domheap_pages(pa, a, 0);              /* dirty, at the tail */
    assert_int_equal(pa->node_need_scrub, 1);
    heap_idle(h);
    assert_int_equal(pa->node_need_scrub, 0);
    assert_int_equal(pa->scrubbed_pages, 1);
    assert_false(page_needs_scrub(frame_page(pa, a)));
    assert_int_equal(view[0], 0);
    assert_int_equal(alloc_domheap_pages(pa, 0, 0), a);      /* LIFO */
    assert_int_equal(alloc_domheap_pages(pa, 0, 0), b - 1);  /* then the rest */
    assert_int_equal(pa->scrubbed_pages, 1);   /* nothing left to scrub */
    heap_idle(h);                              /* and nothing to do */
    assert_int_equal(pa->scrubbed_pages, 1);
    close_heap(h);
}

/* One heap with more memory than the directmap reaches (x86):
 * alloc_xenheap_pages asks for MEMF_bits(xenheap_bits), so its frames come
 * from the zones below 2^xenheap_bits bytes (bits_to_zone: bits - 12) while
 * the domheap keeps the rest, and xmalloc can fail where vmalloc would
 * not. 2^25 bytes: frames below 8192, zone 13 down. */
static void xenheap_bits_keep_the_xenheap_low(void **state)
{
    struct heap_config cfg = test_config(4096);
    struct heap *h;
    struct page_alloc *pa;
    uint32_t got = 0;
    void *p;

    cfg.xenheap_bits = 25;
    h = open_heap("pages", &cfg);
    pa = pa_of(h);
    /* The pool descriptor took 8190-8191 at boot, the vmap bitmap the top. */
    assert_int_equal(frame_of(h, alloc_xenheap_pages(pa, 0, 0)), 8189);
    assert_int_equal(alloc_domheap_pages(pa, 0, 0), top_frame(h) - 1);
    /* Below 2^25 only [4096, 8192) is an order-12 block, and it is used. */
    assert_null(alloc_xenheap_pages(pa, 12, 0));
    assert_int_equal(alloc_domheap_pages(pa, 12, 0), 8192);
    while ((p = alloc_xenheap_pages(pa, 0, 0)) != NULL) {
        assert_true(frame_of(h, p) < 8192);
        got++;
    }
    /* Frames 1 .. 8191, less the pool's two and the page above. */
    assert_int_equal(got, 8191 - 3);
    assert_int_not_equal(alloc_domheap_pages(pa, 0, 0), NO_FRAME);
    close_heap(h);
}

/* init_xenheap_pages leaves a one-page buffer where the xenheap borders
 * the domheap ("Yuk!"), because free_heap_pages merges buddies without
 * looking at zones: the xenheap's last frame never enters the heap, and
 * the blocks on either side never merge across it. */
static void xenheap_buffer_page_keeps_the_heaps_apart(void **state)
{
    struct heap_config cfg = test_config(4096);
    struct heap *h;
    struct page_alloc *pa;
    const uint32_t xen_frames = 256, buffer = 256;
    uint32_t f;
    void *p;

    cfg.xenheap_bytes = (uint64_t)xen_frames * 4096;
    h = open_heap("pages", &cfg);
    pa = pa_of(h);
    /* Frame 0, the buffer and the vmap bitmap's boot page. */
    assert_int_equal(pa->reserved_frames, 3);
    assert_int_equal(page_state(frame_page(pa, buffer)), PGS_INUSE);
    while ((p = alloc_xenheap_pages(pa, 0, 0)) != NULL)
        assert_int_not_equal(frame_of(h, p), buffer);
    while ((f = alloc_domheap_pages(pa, 0, 0)) != NO_FRAME)
        assert_int_not_equal(f, buffer);
    for (f = 1; f < top_frame(h); f++) {
        if (f == 2 || f == 3 || f == buffer)   /* the pool's, the buffer */
            continue;
        if (f < buffer)
            free_xenheap_pages(pa, frame_to_virt(&h->xen->frames, f), 0);
        else
            free_domheap_pages(pa, f, 0);
    }
    /* [128, 256) and 257 are free blocks that would merge with [256, 258)
     * and beyond if 256 were free: they stay as they are. */
    assert_int_equal(page_state(frame_page(pa, 128)), PGS_FREE);
    assert_int_equal(PFN_ORDER(frame_page(pa, 128)), 7);
    assert_int_equal(page_state(frame_page(pa, 257)), PGS_FREE);
    assert_int_equal(PFN_ORDER(frame_page(pa, 257)), 0);
    assert_int_equal(free_frames(pa, true), xen_frames - 3);
    close_heap(h);
}

/* x86 boot order: vm_init runs before end_boot_allocator, so the vmap
 * bitmap's page is the boot allocator's top frame and never in the heap;
 * the pool descriptor comes from the heap afterwards. */
static void boot_order_is_xens(void **state)
{
    struct heap_config cfg = test_config(4096);
    struct heap *h = open_heap("pages", &cfg);
    struct page_alloc *pa = pa_of(h);
    uint32_t top = top_frame(h);
    struct heap_stats st;

    assert_int_equal(pa->reserved_frames, 1 + BOOT_PAGES);
    assert_int_equal(frame_of(h, h->xen->xenpool), top - 3);
    assert_int_equal(pa->overhead_frames, POOL_FRAMES);
    assert_int_equal(free_frames(pa, false), top - BOOT_PAGES - POOL_FRAMES);
    assert_int_equal(page_state(frame_page(pa, top)), PGS_INUSE);
    heap_stats(h, &st);
    assert_int_equal(st.frames_total, top - BOOT_PAGES);   /* and frame 0 */
    close_heap(h);
}

/* ---- boot scrubbing (bootscrub=idle|on|off) ---- */

#define GIB (1ull << 30)

/* The frames a fresh heap of MEMORY hands out for ORDERS, in turn. */
static void boot_placements(uint64_t memory, enum bootscrub_mode mode,
                            const unsigned *orders, size_t n, uint32_t *out)
{
    struct heap_config cfg = test_config(4096);
    struct heap *h;
    struct page_alloc *pa;

    cfg.memory_bytes = memory;
    cfg.bootscrub = mode;
    h = open_heap("pages", &cfg);
    pa = pa_of(h);
    /* Whatever the mode, the run starts with no dirty page and no scrub
     * counted: boot's are not the run's. */
    assert_int_equal(pa->node_need_scrub, 0);
    assert_int_equal(pa->scrubbed_pages, 0);
    for (size_t i = 0; i < n; i++)
        out[i] = alloc_domheap_pages(pa, orders[i], 0);
    assert_int_equal(page_alloc_check(pa, (char[128]){ 0 }, 128), 0);
    close_heap(h);
}

/*
 * With max_order 18, _init_heap_pages cuts each zone [2^(k-1), 2^k) up to
 * 2^18 frames into one block, and the top zone, less the boot allocator's
 * top frame, into one block of each order below its size (at 4 GiB, 2^20
 * frames: one order-18 block and one each of 17 .. 0). No list holds two
 * blocks, so the order within a list, all that bootscrub changes, cannot
 * show: 1, 2 and 4 GiB hand out the same frames under idle, on and off.
 * The first memory where a list holds two blocks is 6 GiB and one page:
 * [2^20, 2^20 + 2^19] holds two order-18 blocks below the top frame.
 */
static void bootscrub_shows_nothing_up_to_4g(void **state)
{
    static const unsigned orders[] = { 0, 16, 0, 3, 15, 0, 9, 16, 1, 12 };
    const size_t n = sizeof orders / sizeof orders[0];
    uint32_t idle[10], on[10], off[10];

    for (uint64_t mem = GIB; mem <= 4 * GIB; mem *= 2) {
        boot_placements(mem, BOOTSCRUB_IDLE, orders, n, idle);
        boot_placements(mem, BOOTSCRUB_ON, orders, n, on);
        boot_placements(mem, BOOTSCRUB_OFF, orders, n, off);
        assert_memory_equal(idle, on, sizeof idle);
        assert_memory_equal(idle, off, sizeof idle);
        for (size_t i = 0; i < n; i++)
            assert_int_not_equal(idle[i], NO_FRAME);
        /* The top frame is the vmap bitmap's, the order-1 block below
         * [top - 1] the pool's; the first order 16 is the top zone's,
         * after its blocks of higher order: at 2^17 in [2^17, 2^18)
         * (1 GiB), 2^18 + 2^17 (2 GiB), 2^19 + 2^18 + 2^17 (4 GiB). */
        assert_int_equal(idle[0], mem / 4096 - 2);
        assert_int_equal(idle[1], mem == GIB ? 1u << 17
                                  : mem == 2 * GIB ? (1u << 18) + (1u << 17)
                                  : (1u << 19) + (1u << 18) + (1u << 17));
    }
}

/*
 * 8 GiB: zone 21, [2^20, 2^21), holds three order-18 blocks (the fourth
 * is cut into orders 17 .. 0 by the top frame) and zone 20 two. Clean
 * (on, off), each went to its list's head as it was freed: the list reads
 * 1572864, 1310720, 1048576. Dirty (idle), each went to the tail:
 * 1048576, 1310720, 1572864; scrub_free_pages then takes the tail, scrubs
 * it and puts it at the head, until the first block is back in front: the
 * same ascending order, now clean. Order-0 requests take the top zone's
 * small blocks, the same in every mode.
 */
static void bootscrub_idle_orders_lists_upwards(void **state)
{
    static const unsigned orders[] = { 0, 18, 0, 18, 18, 18, 18 };
    const size_t n = sizeof orders / sizeof orders[0];
    const uint32_t top = (uint32_t)(8 * GIB / 4096) - 1;
    const uint32_t want_idle[] = { top - 1, 1048576, top - 4, 1310720,
                                   1572864, 524288, 786432 };
    const uint32_t want_clean[] = { top - 1, 1572864, top - 4, 1310720,
                                    1048576, 786432, 524288 };
    uint32_t got[7];

    boot_placements(8 * GIB, BOOTSCRUB_IDLE, orders, n, got);
    assert_memory_equal(got, want_idle, sizeof got);
    boot_placements(8 * GIB, BOOTSCRUB_ON, orders, n, got);
    assert_memory_equal(got, want_clean, sizeof got);
    boot_placements(8 * GIB, BOOTSCRUB_OFF, orders, n, got);
    assert_memory_equal(got, want_clean, sizeof got);
}

/* Under idle the boot allocations see dirty memory: the pool descriptor
 * (xenheap, MEMF_no_scrub) takes it unscrubbed, as Xen's does, and the
 * idle pass cleans the rest without touching a page (they are zero). */
static void bootscrub_idle_boots_dirty(void **state)
{
    struct heap_config cfg = test_config(4096);
    struct heap *h;
    struct page_alloc *pa;
    uint32_t top;

    cfg.bootscrub = BOOTSCRUB_IDLE;
    h = open_heap("pages", &cfg);
    pa = pa_of(h);
    top = top_frame(h);
    assert_false(pa->booting);
    assert_int_equal(frame_of(h, h->xen->xenpool), top - 3);
    for (uint32_t f = 1; f < top; f++)
        if (page_state(frame_page(pa, f)) == PGS_FREE)
            assert_false(page_needs_scrub(frame_page(pa, f)));
    close_heap(h);
}

/* ---- Arm's struct page_info ---- */

#define STEPS 4000

/* A seeded run of the heap's own calls: xmalloc of sizes from 16 bytes to
 * 5 pages, and page allocations of orders 0 to 4, freed at random; OUT
 * gets where each allocation landed (its offset, or the frame). */
static void layout_run(const struct heap_config *cfg, uint64_t *out)
{
    struct heap *h = open_heap("xmalloc", cfg);
    struct page_alloc *pa = pa_of(h);
    void *live[64] = { 0 };
    size_t size[64] = { 0 };
    uint32_t frame[64], order[64];
    uint64_t x = 11;

    for (unsigned i = 0; i < 64; i++)
        frame[i] = NO_FRAME;
    for (unsigned s = 0; s < STEPS; s++) {
        unsigned k;

        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        k = (unsigned)(x >> 32) % 64;
        if (k < 32 && live[k]) {
            heap_free(h, live[k], size[k]);
            live[k] = NULL;
            out[s] = 0;
        } else if (k < 32) {
            size[k] = 16 + (size_t)(x % (5 * 4096));
            live[k] = heap_alloc(h, size[k], 0, 0, NULL);
            out[s] = (uint64_t)((char *)live[k] - h->xen->frames.directmap);
        } else if (frame[k] != NO_FRAME) {
            free_domheap_pages(pa, frame[k], order[k]);
            frame[k] = NO_FRAME;
            out[s] = 0;
        } else {
            order[k] = (uint32_t)(x % 5);
            frame[k] = alloc_domheap_pages(pa, order[k], 0);
            out[s] = frame[k];
        }
    }
    assert_int_equal(page_alloc_check(pa, (char[128]){ 0 }, 128), 0);
    for (unsigned k = 0; k < 64; k++) {
        if (k < 32 && live[k])
            heap_free(h, live[k], size[k]);
        if (k >= 32 && frame[k] != NO_FRAME)
            free_domheap_pages(pa, frame[k], order[k]);
    }
    close_heap(h);
}

/*
 * Arm64's struct page_info is 56 bytes (asm/mm.h PAGE_INFO_SIZE: a
 * list_head of two pointers, count_info, u, v, the timestamp and a u64
 * pad), Arm32's 32 like x86_64's. The frame table walks that stride, and
 * the entry places nothing: the same calls land on the same frames.
 */
static void arm64_frame_table_strides_56_and_places_as_x86(void **state)
{
    struct heap_config cfg = test_config(4096);
    static uint64_t x86[STEPS], arm64[STEPS];
    struct heap *h;

    h = open_heap("pages", &cfg);
    assert_int_equal(page_info_size(pa_of(h)), 32);
    close_heap(h);
    heap_config_arch(&cfg, ARCH_ARM64);
    h = open_heap("pages", &cfg);
    assert_int_equal(page_info_size(pa_of(h)), 56);
    assert_int_equal((char *)frame_page(pa_of(h), 3) -
                     (char *)frame_page(pa_of(h), 1), 2 * 56);
    close_heap(h);
    cfg.memory_bytes = 256u << 20;   /* room for Arm32's 32M xenheap */
    heap_config_arch(&cfg, ARCH_ARM32);
    h = open_heap("pages", &cfg);
    assert_int_equal(page_info_size(pa_of(h)), 32);
    close_heap(h);

    /* Only the layout differs: x86's knobs, Arm64's entry. */
    cfg = test_config(4096);
    layout_run(&cfg, x86);
    cfg.arch = ARCH_ARM64;
    layout_run(&cfg, arm64);
    assert_memory_equal(x86, arm64, sizeof x86);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fresh_heap_hands_out_highest_frames_first),
        cmocka_unit_test(split_serves_the_top_half),
        cmocka_unit_test(free_merges_buddies_back),
        cmocka_unit_test(frame_zero_is_kept_out),
        cmocka_unit_test(zones_bound_merging),
        cmocka_unit_test(max_order_is_a_knob),
        cmocka_unit_test(dirty_pages_go_last_and_are_scrubbed),
        cmocka_unit_test(xenheap_takes_dirty_pages_unscrubbed),
        cmocka_unit_test(scrub_off_keeps_pages_clean),
        cmocka_unit_test(separate_xenheap_is_its_own_zone),
        cmocka_unit_test(too_large_an_order_fails),
        cmocka_unit_test(no_directmap_maps_xenheap_pages_on_demand),
        cmocka_unit_test(idle_scrub_turns_reuse_lifo),
        cmocka_unit_test(xenheap_bits_keep_the_xenheap_low),
        cmocka_unit_test(xenheap_buffer_page_keeps_the_heaps_apart),
        cmocka_unit_test(boot_order_is_xens),
        cmocka_unit_test(bootscrub_shows_nothing_up_to_4g),
        cmocka_unit_test(bootscrub_idle_orders_lists_upwards),
        cmocka_unit_test(bootscrub_idle_boots_dirty),
        cmocka_unit_test(arm64_frame_table_strides_56_and_places_as_x86),
    };
    return cmocka_run_group_tests_name("page_alloc", tests, NULL, NULL);
}
