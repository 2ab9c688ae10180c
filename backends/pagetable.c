/* Xen's page tables in model frames: the walkers of each set of rules. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/page_alloc.h"
#include "backends/pagetable.h"

#define PADDR_BITS      52          /* x86: entries hold 52-bit addresses */
#define INVALID_FRAME   UINT64_MAX  /* INVALID_MFN */
/* Linux x86 flushes a kernel range entry by entry up to this many pages
 * (tlb_single_page_flush_ceiling), the whole TLB above. */
#define LINUX_FLUSH_CEILING 33
#define LAZY_BYTES_PER_LOG  (32ull << 20)   /* lazy_max_pages' 32 MiB */

/* ---- entries ---- */

static uint64_t addr_mask(const struct pagetable *pt)
{
    return ((1ull << PADDR_BITS) - 1) & ~((1ull << pt->shift) - 1);
}

static uint64_t entry_frame(const struct pagetable *pt, uint64_t e)
{
    return (e & addr_mask(pt)) >> pt->shift;
}

/* l1e_from_mfn: INVALID_MFN keeps all its bits, as Xen's does. */
static uint64_t make_entry(const struct pagetable *pt, uint64_t frame,
                           uint64_t flags)
{
    return (frame << pt->shift) | flags;
}

/* l1f_to_lNf: a present entry above L1 is a superpage. */
static uint64_t super_flags(uint64_t flags)
{
    return flags & PTE_PRESENT ? flags | PTE_PSE : flags;
}

static bool present(uint64_t e)
{
    return e & PTE_PRESENT;
}

static bool superpage(uint64_t e)
{
    return (e & (PTE_PRESENT | PTE_PSE)) == (PTE_PRESENT | PTE_PSE);
}

/* ---- levels: L1 maps pages, each level above spans 2^bits more ---- */

static unsigned level_shift(const struct pagetable *pt, int level)
{
    return pt->shift + pt->bits * (unsigned)(level - 1);
}

static unsigned index_of(const struct pagetable *pt, uint64_t va, int level)
{
    unsigned s = level_shift(pt, level);

    return s >= 64 ? 0 : (unsigned)((va >> s) & ((1ull << pt->bits) - 1));
}

/* Pages one entry at this level maps. */
static uint64_t span(const struct pagetable *pt, int level)
{
    return 1ull << (pt->bits * (unsigned)(level - 1));
}

static bool aligned(uint64_t x, uint64_t pages)
{
    return (x & (pages - 1)) == 0;
}

/* Boot tables are numbered past the last frame: no frame holds them. */
static bool boot_table(const struct pagetable *pt, uint64_t frame)
{
    return frame >= pt->frames->nr_frames;
}

static uint64_t *table_at(const struct pagetable *pt, uint64_t frame)
{
    if (boot_table(pt, frame))
        return pt->boot[frame - pt->frames->nr_frames];
    return frame_to_view(pt->frames, (uint32_t)frame);
}

static uint64_t *table_of(const struct pagetable *pt, uint64_t e)
{
    return table_at(pt, entry_frame(pt, e));
}

static void write_pte(struct pagetable *pt, uint64_t *e, uint64_t v)
{
    *e = v;
    stat_add_locked(&pt->n.pte_writes, 1);
}

/* 4K pages an entry at level maps, through the tables below it. */
static uint64_t present_under(const struct pagetable *pt, uint64_t e,
                              int level)
{
    uint64_t n = 0, *t;

    if (!present(e))
        return 0;
    if (level == 1 || superpage(e))
        return span(pt, level);
    t = table_of(pt, e);
    for (uint64_t i = 0; i < span(pt, 2); i++)
        n += present_under(pt, t[i], level - 1);
    return n;
}

/* Keeps mapped[] as a leaf at va goes from old to new. */
static void remap(struct pagetable *pt, uint64_t va, int level, uint64_t old,
                  uint64_t new)
{
    uint64_t *m = &pt->mapped[va >= PT_DIRECTMAP_VA];

    *m -= present_under(pt, old, level);
    *m += present(new) ? span(pt, level) : 0;
}

/* ---- table frames: alloc_xen_pagetable / free_xen_pagetable ---- */

/* At boot, alloc_xen_pagetable takes alloc_boot_pages: memory that never
 * was in the heap. The model keeps such tables in its own memory. */
static uint64_t boot_alloc(struct pagetable *pt)
{
    uint64_t **more = realloc(pt->boot, (pt->nr_boot + 1) * sizeof *more);

    if (!more)
        return INVALID_FRAME;
    pt->boot = more;
    if (!(more[pt->nr_boot] = calloc(1, pt->frames->page_size)))
        return INVALID_FRAME;
    return pt->frames->nr_frames + pt->nr_boot++;
}

static uint64_t table_alloc(struct pagetable *pt)
{
    uint32_t f;

    if (pt->booting)
        return boot_alloc(pt);
    f = alloc_domheap_pages(pt->pa, 0, 0);
    if (f == NO_FRAME)
        return INVALID_FRAME;
    memset(table_at(pt, f), 0, pt->frames->page_size);   /* clear_page */
    pt->live_tables++;
    stat_add_locked(&pt->n.tables_allocated, 1);
    return f;
}

static void table_free(struct pagetable *pt, uint64_t frame)
{
    if (boot_table(pt, frame))      /* init_boot_pages: not modelled */
        return;
    free_domheap_pages(pt->pa, (uint32_t)frame, 0);
    pt->live_tables--;
    stat_add_locked(&pt->n.tables_freed, 1);
}

/* ---- flushes ---- */

/* x86 flush_area_all: the local INVLPG (order 0) or a whole-TLB flush,
 * and an IPI to every other online CPU, the sender waiting for each. */
static void flush_all(struct pagetable *pt, bool full)
{
    stat_add_locked(&pt->n.flushes, 1);
    if (full)
        stat_add_locked(&pt->n.full_flushes, 1);
    stat_add_locked(&pt->n.flush_ipis, pt->cpus - 1);
}

/* Every count in pt->n is written holding pt->lock, this one too. */
void pt_lazy_flush(struct pagetable *pt, uint64_t span_pages)
{
    spin_lock(&pt->lock);
    stat_add_locked(&pt->n.flushes, 1);
    if (span_pages > LINUX_FLUSH_CEILING)
        stat_add_locked(&pt->n.full_flushes, 1);
    stat_add_locked(&pt->n.flush_ipis, pt->cpus - 1);
    spin_unlock(&pt->lock);
}

uint64_t pt_lazy_max_pages(unsigned cpus, size_t page_size)
{
    unsigned fls = cpus ? 32 - (unsigned)__builtin_clz(cpus) : 0;

    return fls * (LAZY_BYTES_PER_LOG / page_size);
}

/* ---- the x86 walker: map_pages_to_xen ---- */

/* The L3 entry for va. The L4 and the L3 tables are Xen's from boot (the
 * idle page table in the image, the L3s paging_init made), in no frame of
 * the heap; the model keeps them in its own memory. NULL when out of it. */
static uint64_t *l3_entry(struct pagetable *pt, uint64_t va)
{
    uint64_t **l3 = &pt->root[index_of(pt, va, 4)];

    if (!*l3 && !(*l3 = calloc(1, pt->frames->page_size)))
        return NULL;
    return &(*l3)[index_of(pt, va, 3)];
}

/* The entry for va one level below the table entry e points to,
 * allocating the table when e is not present, as virt_to_xen_l2e and
 * virt_to_xen_l1e do. NULL when no frame is left. */
static uint64_t *next_entry(struct pagetable *pt, uint64_t *e, uint64_t va,
                            int level)
{
    uint64_t f;

    if (!e)
        return NULL;
    if (!present(*e)) {
        if ((f = table_alloc(pt)) == INVALID_FRAME)
            return NULL;
        write_pte(pt, e, make_entry(pt, f, PAGE_TABLE_LINK));
    }
    return &table_of(pt, *e)[index_of(pt, va, level)];
}

/* A superpage at level turned into a table of the level below mapping
 * the same frames; one full flush. */
static int shatter(struct pagetable *pt, uint64_t *e, int level)
{
    uint64_t f = table_alloc(pt), base = entry_frame(pt, *e);
    uint64_t flags = *e & ~addr_mask(pt), *t;

    if (f == INVALID_FRAME)
        return -ENOMEM;
    if (level == 2)
        flags &= ~PTE_PSE;                       /* lNf_to_l1f */
    t = table_at(pt, f);
    for (uint64_t i = 0; i < span(pt, 2); i++)
        write_pte(pt, &t[i], make_entry(pt, base + i * span(pt, level - 1),
                                        flags));
    write_pte(pt, e, make_entry(pt, f, PAGE_TABLE_LINK));
    flush_all(pt, true);
    return 0;
}

/* Frees the tables under an L3 entry that pointed to an L2. */
static void free_l2_tree(struct pagetable *pt, uint64_t l3e)
{
    uint64_t *t = table_of(pt, l3e);

    for (uint64_t i = 0; i < span(pt, 2); i++)
        if (present(t[i]) && !superpage(t[i]))
            table_free(pt, entry_frame(pt, t[i]));
    table_free(pt, entry_frame(pt, l3e));
}

/* The table e points to maps span(level) contiguous, aligned frames with
 * the same flags: replace it by one superpage (one full flush). */
static void coalesce(struct pagetable *pt, uint64_t *e, int level,
                     uint64_t flags)
{
    uint64_t *t, base, leaf = level == 2 ? flags : super_flags(flags);

    if (!present(*e) || superpage(*e))
        return;
    t = table_of(pt, *e);
    base = entry_frame(pt, t[0]) & ~(span(pt, level) - 1);
    for (uint64_t i = 0; i < span(pt, 2); i++)
        if (t[i] != make_entry(pt, base + i * span(pt, level - 1), leaf))
            return;
    base = entry_frame(pt, *e);
    write_pte(pt, e, make_entry(pt, entry_frame(pt, t[0]), super_flags(flags)));
    flush_all(pt, true);
    table_free(pt, base);
}

/* Is the superpage e already mapping frame at va with flags? Then the
 * walk skips to its end (map_pages_to_xen's "no change" case). */
static bool unchanged(const struct pagetable *pt, uint64_t e, uint64_t vpn,
                      uint64_t frame, uint64_t flags, int level)
{
    uint64_t base = entry_frame(pt, e) & ~(span(pt, level) - 1);
    uint64_t ef = e & ~addr_mask(pt) & ~PTE_PSE;

    return base + (vpn & (span(pt, level) - 1)) == frame &&
           ((ef ^ flags) & ~(PTE_ACCESSED | PTE_DIRTY)) == 0;
}

/* One superpage write at level (3 or 2) over whatever was there. */
static void map_super(struct pagetable *pt, uint64_t *e, int level,
                      uint64_t va, uint64_t frame, uint64_t flags)
{
    uint64_t old = *e;

    remap(pt, va, level, old, make_entry(pt, frame, super_flags(flags)));
    write_pte(pt, e, make_entry(pt, frame, super_flags(flags)));
    if (!present(old))
        return;
    flush_all(pt, true);
    if (superpage(old))
        return;
    if (level == 3)
        free_l2_tree(pt, old);
    else
        table_free(pt, entry_frame(pt, old));
}

struct walk {
    uint64_t va, frame, nr, flags;
};

static void advance(const struct pagetable *pt, struct walk *w, uint64_t n)
{
    w->va += n << pt->shift;
    if (w->frame != INVALID_FRAME)
        w->frame += n;
    w->nr -= n;
}

/* Maps one 4K entry below l2e (shattering a superpage if need be). 1 when
 * the superpage already maps it and the walk moved on, 0, or -ENOMEM. */
static int map_small(struct pagetable *pt, struct walk *w, uint64_t *l2e)
{
    uint64_t *l1e, old, vpn = w->va >> pt->shift, s2 = span(pt, 2);

    if (superpage(*l2e)) {
        if (unchanged(pt, *l2e, vpn, w->frame, w->flags, 2)) {
            uint64_t i = s2 - (w->frame & (s2 - 1));

            advance(pt, w, i < w->nr ? i : w->nr);
            return 1;
        }
        if (shatter(pt, l2e, 2))
            return -ENOMEM;
    }
    if (!(l1e = next_entry(pt, l2e, w->va, 1)))
        return -ENOMEM;
    old = *l1e;
    write_pte(pt, l1e, make_entry(pt, w->frame, w->flags));
    remap(pt, w->va, 1, old, *l1e);
    if (present(old))
        flush_all(pt, false);                   /* FLUSH_ORDER(0) */
    advance(pt, w, 1);
    if (w->flags == PAGE_HYPERVISOR &&
        (!w->nr || aligned((w->va >> pt->shift) | w->frame, s2)))
        coalesce(pt, l2e, 2, w->flags);
    return 0;
}

/* One pass of map_pages_to_xen's loop: a 1G superpage, a 2M one, or a 4K
 * entry, then the check whether the L2 can become a 1G superpage. */
static int x86_step(struct pagetable *pt, struct walk *w)
{
    uint64_t vpn = w->va >> pt->shift, s3 = span(pt, 3), s2 = span(pt, 2);
    uint64_t m = w->flags & PTE_PRESENT ? w->frame : 0;
    bool big = !(w->flags & PTE_SMALL);
    uint64_t *l3e = l3_entry(pt, w->va);
    uint64_t *l2e;
    int rc = 0;

    if (!l3e)
        return -ENOMEM;
    if (big && aligned(vpn | m, s3) && w->nr >= s3) {
        map_super(pt, l3e, 3, w->va, w->frame, w->flags);
        advance(pt, w, s3);
        return 0;
    }
    if (superpage(*l3e)) {
        if (unchanged(pt, *l3e, vpn, w->frame, w->flags, 3)) {
            uint64_t i = s3 - (w->frame & (s3 - 1));

            advance(pt, w, i < w->nr ? i : w->nr);
            return 0;
        }
        if (shatter(pt, l3e, 3))
            return -ENOMEM;
    }
    if (!(l2e = next_entry(pt, l3e, w->va, 2)))
        return -ENOMEM;
    if (big && aligned(vpn | m, s2) && w->nr >= s2) {
        map_super(pt, l2e, 2, w->va, w->frame, w->flags);
        advance(pt, w, s2);
    } else if ((rc = map_small(pt, w, l2e)) < 0) {
        return rc;
    }
    if (w->flags == PAGE_HYPERVISOR &&
        (!w->nr || aligned((w->va >> pt->shift) | w->frame, s3)))
        coalesce(pt, l3e, 3, w->flags);
    return 0;
}

static int x86_update(struct pagetable *pt, uint64_t va, uint64_t frame,
                      uint64_t nr, uint64_t flags)
{
    struct walk w = { va, frame, nr, flags };
    int rc = 0;

    while (w.nr && (rc = x86_step(pt, &w)) == 0)
        ;
    return rc;
}

/* ---- the Arm and Linux walker: 4K entries, tables kept ---- */

/* The L1 entry for va; missing tables are allocated when alloc, else
 * NULL (as Arm's read-only walk for a removal). */
static uint64_t *leaf_entry(struct pagetable *pt, uint64_t va, bool alloc)
{
    uint64_t *e = NULL;

    for (int level = 3; level > 1; level--) {
        e = level == 3 ? l3_entry(pt, va) : next_entry(pt, e, va, level);
        if (!e || (!alloc && !present(*e)) || superpage(*e))
            return NULL;
    }
    return next_entry(pt, e, va, 1);
}

static int simple_map(struct pagetable *pt, uint64_t va, uint64_t frame,
                      uint64_t nr)
{
    for (uint64_t i = 0; i < nr; i++) {
        uint64_t *e = leaf_entry(pt, va + (i << pt->shift), true);

        if (!e)
            return -ENOMEM;
        remap(pt, va + (i << pt->shift), 1, *e,
              make_entry(pt, frame + i, PAGE_HYPERVISOR));
        write_pte(pt, e, make_entry(pt, frame + i, PAGE_HYPERVISOR));
    }
    return 0;
}

static void simple_clear(struct pagetable *pt, uint64_t va, uint64_t nr,
                         bool count)
{
    for (uint64_t i = 0; i < nr; i++) {
        uint64_t *e = leaf_entry(pt, va + (i << pt->shift), false);

        if (!e)
            continue;
        remap(pt, va + (i << pt->shift), 1, *e, 0);
        if (count)
            write_pte(pt, e, 0);
        else
            *e = 0;
    }
}

/* ---- the interface ---- */

int pt_init(struct pagetable *pt, struct page_alloc *pa,
            const struct frames *f, const struct heap_config *cfg)
{
    memset(pt, 0, sizeof *pt);
    pt->pa = pa;
    pt->frames = f;
    pt->rules = cfg->flush;
    pt->cpus = cfg->cpus ? cfg->cpus : 1;
    pt->shift = f->page_shift;
    pt->bits = f->page_shift - 3;               /* 8-byte entries */
    pt->booting = true;          /* until vm_init is through */
    pt->root = calloc(1u << pt->bits, sizeof *pt->root);
    return pt->root ? 0 : -1;
}

void pt_fini(struct pagetable *pt)
{
    for (size_t i = 0; i < pt->nr_boot; i++)
        free(pt->boot[i]);
    free(pt->boot);
    pt->boot = NULL;
    for (size_t i = 0; pt->root && i < (1u << pt->bits); i++)
        free(pt->root[i]);
    free(pt->root);
    pt->root = NULL;
}

void pt_reset_counts(struct pagetable *pt)
{
    memset(&pt->n, 0, sizeof pt->n);
    pt->boot_tables = pt->live_tables;   /* tables in frames before now */
}

int pt_map(struct pagetable *pt, uint64_t va, uint32_t frame, uint64_t nr)
{
    int rc;

    spin_lock(&pt->lock);
    rc = pt->rules == FLUSH_PER_PAGE
         ? x86_update(pt, va, frame, nr, PAGE_HYPERVISOR)
         : simple_map(pt, va, frame, nr);
    spin_unlock(&pt->lock);
    return rc;
}

int pt_unmap(struct pagetable *pt, uint64_t va, uint64_t nr)
{
    int rc = 0;

    spin_lock(&pt->lock);
    switch (pt->rules) {
    case FLUSH_PER_PAGE:
        rc = x86_update(pt, va, INVALID_FRAME, nr, PTE_NONE);
        break;
    case FLUSH_PER_RANGE:       /* flush_xen_tlb_range_va, even for holes */
        simple_clear(pt, va, nr, true);
        stat_add_locked(&pt->n.flushes, 1);
        stat_add_locked(&pt->n.tlbi, nr);
        break;
    case FLUSH_LAZY:
        simple_clear(pt, va, nr, true);
        break;
    }
    spin_unlock(&pt->lock);
    return rc;
}

int pt_populate(struct pagetable *pt, uint64_t va, uint64_t nr)
{
    int rc = 0;

    spin_lock(&pt->lock);
    for (uint64_t i = 0; i < nr && !rc; i++) {
        uint64_t *e = leaf_entry(pt, va + (i << pt->shift), true);

        if (!e)
            rc = -ENOMEM;
        else if (!present(*e) && pt->rules == FLUSH_PER_PAGE)
            write_pte(pt, e, make_entry(pt, INVALID_FRAME, PTE_SMALL));
    }
    spin_unlock(&pt->lock);
    return rc;
}

void pt_forget(struct pagetable *pt, uint64_t va, uint64_t nr)
{
    spin_lock(&pt->lock);
    simple_clear(pt, va, nr, false);
    spin_unlock(&pt->lock);
}

uint32_t pt_lookup(struct pagetable *pt, uint64_t va)
{
    uint64_t *t = pt->root[index_of(pt, va, 4)], e, vpn = va >> pt->shift;
    uint32_t frame = NO_FRAME;

    spin_lock(&pt->lock);
    for (int level = 3; t && level >= 1; level--) {
        e = t[index_of(pt, va, level)];
        if (!present(e))
            break;
        if (level == 1 || superpage(e)) {
            frame = (uint32_t)(entry_frame(pt, e) +
                               (vpn & (span(pt, level) - 1)));
            break;
        }
        t = table_of(pt, e);
    }
    spin_unlock(&pt->lock);
    return frame;
}

uint64_t pt_mapped_vmap(struct pagetable *pt)
{
    uint64_t n;

    spin_lock(&pt->lock);
    n = pt->mapped[0];
    spin_unlock(&pt->lock);
    return n;
}

/* ---- the check ---- */

enum { SEEN_NONE, SEEN_DATA, SEEN_TABLE };

struct census {
    struct pagetable *pt;
    unsigned char *seen;     /* per frame */
    uint64_t lo, hi, present, tables;
    char *why;
    size_t why_len;
};

static int mark(struct census *c, uint64_t frame, int what)
{
    const struct page_alloc *pa = c->pt->pa;

    if (frame >= c->pt->frames->nr_frames) {
        snprintf(c->why, c->why_len, "a page-table entry maps frame %llu, "
                 "past memory", (unsigned long long)frame);
        return -1;
    }
    if (what == SEEN_TABLE && page_state(frame_page(pa, frame)) != PGS_INUSE) {
        snprintf(c->why, c->why_len, "page-table frame %llu is not in use",
                 (unsigned long long)frame);
        return -1;
    }
    if (c->seen[frame] == SEEN_TABLE ||
        (what == SEEN_TABLE && c->seen[frame] != SEEN_NONE)) {
        snprintf(c->why, c->why_len, "frame %llu is a page table and is "
                 "also mapped or linked again", (unsigned long long)frame);
        return -1;
    }
    c->seen[frame] = (unsigned char)what;
    return 0;
}

/* A frame mapped as data must be in use. */
static int mark_check_data(struct census *c, uint64_t e, int level)
{
    uint64_t f = entry_frame(c->pt, e);

    if (level > 1 && !superpage(e))
        return 0;
    if (f < c->pt->frames->nr_frames &&
        page_state(frame_page(c->pt->pa, f)) != PGS_INUSE) {
        snprintf(c->why, c->why_len, "a page-table entry maps frame %llu, "
                 "which is free", (unsigned long long)f);
        return -1;
    }
    return 0;
}

static uint64_t overlap(uint64_t a, uint64_t b, uint64_t lo, uint64_t hi)
{
    uint64_t s = a > lo ? a : lo, e = b < hi ? b : hi;

    return e > s ? e - s : 0;
}

static int visit(struct census *c, const uint64_t *t, int level, uint64_t va)
{
    struct pagetable *pt = c->pt;
    unsigned s = level_shift(pt, level);

    for (uint64_t i = 0; i < span(pt, 2); i++) {
        uint64_t e = t[i], at = va | (s >= 64 ? 0 : i << s);
        uint64_t bytes = span(pt, level) << pt->shift;

        if (!present(e))
            continue;
        if (mark_check_data(c, e, level))
            return -1;
        if (level > 1 && !superpage(e)) {
            bool boot = boot_table(pt, entry_frame(pt, e));

            c->tables += !boot;
            if ((!boot && mark(c, entry_frame(pt, e), SEEN_TABLE)) ||
                visit(c, table_of(pt, e), level - 1, at))
                return -1;
            continue;
        }
        for (uint64_t k = 0; k < span(pt, level); k++)
            if (mark(c, entry_frame(pt, e) + k, SEEN_DATA))
                return -1;
        c->present += overlap(at, at + bytes, c->lo, c->hi) >> pt->shift;
    }
    return 0;
}

int pt_check(struct pagetable *pt, uint64_t lo, uint64_t hi,
             uint64_t *present_pages, char *why, size_t why_len)
{
    struct census c = { pt, calloc(pt->frames->nr_frames, 1), lo, hi, 0, 0,
                        why, why_len };
    int rc;

    if (!c.seen) {
        snprintf(why, why_len, "out of memory for the page-table check");
        return -1;
    }
    spin_lock(&pt->lock);
    rc = 0;
    for (uint64_t i = 0; i < span(pt, 2) && !rc; i++) {
        unsigned s4 = level_shift(pt, 4);

        if (pt->root[i])
            rc = visit(&c, pt->root[i], 3, s4 >= 64 ? 0 : i << s4);
    }
    if (!rc && c.present != pt->mapped[0] && lo == PT_VMAP_VA) {
        snprintf(why, why_len, "the vmap page tables map %llu pages, the "
                 "count says %llu", (unsigned long long)c.present,
                 (unsigned long long)pt->mapped[0]);
        rc = -1;
    }
    if (!rc && c.tables != pt->live_tables) {
        snprintf(why, why_len, "the tree holds %llu page-table frames, the "
                 "count says %llu", (unsigned long long)c.tables,
                 (unsigned long long)pt->live_tables);
        rc = -1;
    }
    spin_unlock(&pt->lock);
    free(c.seen);
    *present_pages = c.present;
    return rc;
}
