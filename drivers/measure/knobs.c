/*
 * The model's knobs: the table, and what the command line, bench.toml,
 * the JSON config and the suite's child command lines make of it.
 */
#include "drivers/measure/knobs.h"

#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "drivers/measure/args.h"

/*
 * What the model can run. backends/ refuses what is outside these when a
 * heap is created; they are said here so that a command line or a
 * bench.toml line is refused first, with the range.
 */
#define MIN_FRAMES      16u              /* frames.c: less is not a model */
#define MAX_FRAMES      (UINT32_MAX - 1) /* frame numbers are 32-bit, and
                                            NO_FRAME is one of them */
#define MAX_ORDER_MAX   30u              /* page_alloc.c's buddy lists */
#define MAX_CPUS        4096u            /* NR_CPUS's largest Kconfig value */
#define XENHEAP_BITS_MAX 64u             /* an address width */
#define XENHEAP_MIN_PAGES 2u             /* page_alloc.c */
#define VMAP_MIN_PAGES  64u              /* vmap.c: room for its bitmap */
#define VMAP_MAX_PAGES  (UINT32_MAX - 1) /* vmap.c: page numbers are 32-bit */
/*
 * The address space the model may reserve: the directmap (memory, aligned
 * to page_size << max_order, so up to that much more) and the vmap area.
 * Half of the 128T that x86_64 and 48-bit Arm64 give a process, so that
 * the rest of the process and the kernel's placement keep room.
 */
#define ADDRESS_SPACE   (1ull << 46)
/*
 * The model's memory is real: a memfd whose frames a workload may touch
 * all of, and a frame table beside it. At most this share of the host's
 * RAM, so that a typo (memory = "1T") is refused, not run until the host
 * swaps. Rounded down to whole MiB, whole pages at every page size.
 */
#define HOST_MEMORY_SHARE 2

#define SIZE_WANT "a size such as 4096, 64K, 512M, 16G"

#define FIELD(f) offsetof(struct heap_config, f), \
                 sizeof(((struct heap_config *)0)->f)

const struct knob knobs[KNOB_N] = {
    [KNOB_ARCH] = { "arch", "arch", "A", KNOB_PRESET,
        FIELD(arch), 0, ARCH_ARM32, false,
        "x86, arm64 or arm32: a preset of the vmap size,\n"
        "the flush rules, the separate xenheap (arm32),\n"
        "sizeof(mfn_t), sizeof(void *), which lays out\n"
        "the xmalloc pool (8-byte headers on arm32), and\n"
        "struct page_info (56 bytes on arm64): these\n"
        "three follow the arch only; knobs set on their\n"
        "own win" },
    [KNOB_PAGE_SIZE] = { "page_size", "page-size", "SZ", KNOB_PAGE,
        FIELD(page_size), 4096, 65536, false,
        "model PAGE_SIZE: 4K, 16K or 64K" },
    [KNOB_MEMORY] = { "memory", "memory", "SZ", KNOB_SIZE,
        FIELD(memory_bytes), 0, UINT64_MAX, false,
        "modelled physical memory: whole pages, 16 pages\n"
        "to half of this host's memory" },
    [KNOB_MAX_ORDER] = { "max_order", "max-order", "N", KNOB_COUNT,
        FIELD(max_order), 1, MAX_ORDER_MAX, false,
        "buddy MAX_ORDER, 18 on x86 and Arm" },
    [KNOB_XENHEAP] = { "xenheap", "xenheap", "SZ", KNOB_SIZE,
        FIELD(xenheap_bytes), 0, UINT64_MAX, false,
        "separate xenheap of this size (0: one heap):\n"
        "2 pages to less than half of --memory" },
    [KNOB_VMAP_SIZE] = { "vmap_size", "vmap-size", "SZ", KNOB_SIZE,
        FIELD(vmap_bytes), 0, UINT64_MAX, false,
        "the vmap area (VMAP_DEFAULT): 64 pages to\n"
        "2^32 - 2 pages" },
    [KNOB_DIRECTMAP] = { "directmap", "no-directmap", NULL, KNOB_BOOL,
        FIELD(directmap), 0, 1, false,
        "xenheap pages are mapped on demand" },
    [KNOB_SCRUB] = { "scrub", "no-scrub", NULL, KNOB_BOOL,
        FIELD(scrub), 0, 1, false,
        "freed pages are not scrubbed" },
    [KNOB_HUGEPAGES] = { "hugepages", "hugepages", NULL, KNOB_BOOL,
        FIELD(hugepages), 0, 1, true,
        "transparent huge pages for the directmap" },
    [KNOB_FLUSH_POLICY] = { "flush", "flush", "P", KNOB_FLUSH,
        FIELD(flush), 0, FLUSH_LAZY, false,
        "page (x86), range (Arm) or lazy (Linux)" },
    [KNOB_LAZY_MAX_PAGES] = { "lazy_max_pages", "lazy-max-pages", "N",
        KNOB_COUNT, FIELD(lazy_max_pages), 0, UINT32_MAX, false,
        "with --flush lazy: flush once N pages are\n"
        "pending; 0: Linux's lazy_max_pages() for --cpus" },
    [KNOB_CPUS] = { "cpus", "cpus", "N", KNOB_COUNT, FIELD(cpus), 1,
        MAX_CPUS, false,
        "online CPUs of the modelled machine (default:\n"
        "the host's): IPIs per flush, lazy_max_pages" },
    [KNOB_IDLE_SCRUB_EVERY] = { "idle_scrub_every", "idle-scrub-every", "K",
        KNOB_COUNT, FIELD(idle_scrub_every), 0, UINT32_MAX, false,
        "run Xen's idle scrubber after every K-th event,\n"
        "outside the measured time (0: never)" },
    [KNOB_XENHEAP_BITS] = { "xenheap_bits", "xenheap-bits", "N", KNOB_COUNT,
        FIELD(xenheap_bits), 0, XENHEAP_BITS_MAX, false,
        "one heap: xenheap frames below 2^N bytes\n"
        "(Xen's xenheap_bits; 0: all)" },
    [KNOB_BOOTSCRUB_MODE] = { "bootscrub", "bootscrub", "M", KNOB_BOOTSCRUB,
        FIELD(bootscrub), 0, BOOTSCRUB_IDLE, false,
        "Xen's bootscrub=: idle adds boot memory dirty\n"
        "at the free lists' tails and the run starts\n"
        "once the idle scrubber has cleaned it all\n"
        "(lists in ascending address order); on and\n"
        "off add it clean (on zeroes it in place)" },
    [KNOB_MAX_MAP_COUNT] = { "max_map_count", "max-map-count", "N",
        KNOB_COUNT, FIELD(max_map_count), 0, MAP_COUNT_MAX, false,
        "refuse mappings past N of the model's own, as\n"
        "the kernel does past vm.max_map_count (0: the\n"
        "host's limit only)" },
    [KNOB_FAIL_MAP_AT] = { "fail_map_at", "fail-map-at", "N", KNOB_COUNT,
        FIELD(fail_map_at), 0, UINT64_MAX, false,
        "map call N fails (as map_calls numbers them)" },
    [KNOB_FAIL_MAP_EVERY] = { "fail_map_every", "fail-map-every", "P",
        KNOB_COUNT, FIELD(fail_map_every), 0, UINT64_MAX, false,
        "and every Pth after it (alone: calls P, 2P, ...)" },
    [KNOB_FAIL_UNMAP_AT] = { "fail_unmap_at", "fail-unmap-at", "N",
        KNOB_COUNT, FIELD(fail_unmap_at), 0, UINT64_MAX, false,
        "unmap call N fails: its pages stay mapped" },
    [KNOB_FAIL_UNMAP_EVERY] = { "fail_unmap_every", "fail-unmap-every", "P",
        KNOB_COUNT, FIELD(fail_unmap_every), 0, UINT64_MAX, false,
        "and every Pth after it" },
};

/* ---- values --------------------------------------------------------- */

/* Fields are bool, unsigned, enum, size_t or uint64_t: 1, 4 or 8 bytes. */
_Static_assert(sizeof(bool) == 1 && sizeof(unsigned) == 4 &&
               sizeof(enum flush_policy) == 4 && sizeof(enum xen_arch) == 4 &&
               sizeof(enum bootscrub_mode) == 4,
               "knob fields of 1, 4, 8 bytes");

/* The knobs an --arch preset sets, and the bit that says one was set on
 * its own (backends/heap.h); 0 for the knobs it leaves alone. */
static const unsigned own_bit[KNOB_N] = {
    [KNOB_PAGE_SIZE] = CFG_SET_PAGE_SIZE, [KNOB_MAX_ORDER] = CFG_SET_MAX_ORDER,
    [KNOB_XENHEAP] = CFG_SET_XENHEAP, [KNOB_VMAP_SIZE] = CFG_SET_VMAP,
    [KNOB_FLUSH_POLICY] = CFG_SET_FLUSH,
};

uint64_t knob_get(const struct heap_config *cfg, unsigned id)
{
    const char *p = (const char *)cfg + knobs[id].offset;
    uint8_t u8;
    uint32_t u32;
    uint64_t u64;

    switch (knobs[id].size) {
    case 1:  memcpy(&u8, p, 1); return u8;
    case 4:  memcpy(&u32, p, 4); return u32;
    default: memcpy(&u64, p, 8); return u64;
    }
}

void knob_set(struct heap_config *cfg, unsigned id, uint64_t v)
{
    char *p = (char *)cfg + knobs[id].offset;
    uint8_t u8 = (uint8_t)v;
    uint32_t u32 = (uint32_t)v;

    if (id == KNOB_ARCH) {
        heap_config_arch(cfg, (enum xen_arch)v);
        return;
    }
    switch (knobs[id].size) {
    case 1:  memcpy(p, &u8, 1); break;
    case 4:  memcpy(p, &u32, 4); break;
    default: memcpy(p, &v, 8); break;
    }
    cfg->knobs_set |= own_bit[id];
    if (id == KNOB_MEMORY)
        heap_config_resolve(cfg);
}

void size_text(uint64_t v, char *buf, size_t len)
{
    static const char units[] = "TGMK";

    for (unsigned i = 0; v && i < 4; i++) {
        unsigned shift = 10 * (4 - i);
        uint64_t unit = 1ull << shift, short_of = unit - v % unit;
        char rest[32];

        if (short_of == unit) {
            snprintf(buf, len, "%" PRIu64 "%c", v >> shift, units[i]);
            return;
        }
        /* A bound a page or two short of a round size: "16T - 8K". */
        if (i < 3 && short_of <= unit >> 6 && short_of % 1024 == 0) {
            size_text(short_of, rest, sizeof rest);
            snprintf(buf, len, "%" PRIu64 "%c - %s", (v >> shift) + 1,
                     units[i], rest);
            return;
        }
    }
    snprintf(buf, len, "%" PRIu64, v);
}

void knob_text(unsigned id, const struct heap_config *cfg, char *buf,
               size_t len)
{
    uint64_t v = knob_get(cfg, id);

    switch (knobs[id].type) {
    case KNOB_PAGE:
    case KNOB_SIZE:  size_text(v, buf, len); break;
    case KNOB_COUNT: snprintf(buf, len, "%" PRIu64, v); break;
    case KNOB_BOOL:  snprintf(buf, len, "%s", v ? "true" : "false"); break;
    case KNOB_FLUSH:
        snprintf(buf, len, "%s", flush_policy_name((enum flush_policy)v));
        break;
    case KNOB_PRESET:
        snprintf(buf, len, "%s", xen_arch_name((enum xen_arch)v));
        break;
    case KNOB_BOOTSCRUB:
        snprintf(buf, len, "%s", bootscrub_name((enum bootscrub_mode)v));
        break;
    }
}

/* ---- the command line ----------------------------------------------- */

size_t knob_options(struct option *out, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        out[i] = (struct option){ knobs[i].option,
                                  knobs[i].arg ? required_argument
                                               : no_argument,
                                  NULL, KNOB_OPT + (int)i };
    return n;
}

int knob_option(const char *cmd, int c, const char *arg,
                struct heap_config *cfg)
{
    unsigned id = (unsigned)(c - KNOB_OPT);
    const struct knob *k = &knobs[id];
    char opt[40];
    uint64_t v;
    size_t page;
    enum flush_policy f;
    enum xen_arch a;
    enum bootscrub_mode b;

    if (c < KNOB_OPT || id >= KNOB_N)
        return -1;
    snprintf(opt, sizeof opt, "--%s", k->option);
    switch (k->type) {
    case KNOB_PAGE:
        if (parse_page_size(arg, &page))
            return bad_option_value(cmd, opt, arg, PAGE_SIZES_ACCEPTED);
        v = page;
        break;
    case KNOB_SIZE:
        if (parse_size(arg, &v))
            return bad_option_value(cmd, opt, arg, SIZE_WANT);
        break;
    case KNOB_COUNT:
        if (parse_range_arg(cmd, opt, arg, k->min, k->max, &v))
            return EXIT_USAGE;
        break;
    case KNOB_BOOL:
        v = k->flag;
        break;
    case KNOB_FLUSH:
        if (flush_policy_parse(arg, &f))
            return bad_option_value(cmd, opt, arg, "page, range or lazy");
        v = f;
        break;
    case KNOB_PRESET:
        if (xen_arch_parse(arg, &a))
            return bad_option_value(cmd, opt, arg, "x86, arm64 or arm32");
        v = a;
        break;
    case KNOB_BOOTSCRUB:
        if (bootscrub_parse(arg, &b))
            return bad_option_value(cmd, opt, arg, "idle, on or off");
        v = b;
        break;
    }
    knob_set(cfg, id, v);
    return 0;
}

/* Help lines start their text at this column. */
#define HELP_COLUMN 21
#define HELP_WIDTH  79

void knobs_help(FILE *f, unsigned from, unsigned to)
{
    struct heap_config def;

    heap_config_defaults(&def);
    for (unsigned i = from; i < to; i++) {
        const struct knob *k = &knobs[i];
        char left[48], extra[96] = "", value[32];
        const char *text = k->help, *nl;
        int col;

        snprintf(left, sizeof left, "  --%s%s%s", k->option,
                 k->arg ? " " : "", k->arg ? k->arg : "");
        col = fprintf(f, "%-*s", HELP_COLUMN - 1, left);
        knob_text(i, &def, value, sizeof value);
        /* Fault injection is off unless asked for: no defaults to say. */
        if (k->type == KNOB_COUNT && k->max != UINT64_MAX)
            snprintf(extra, sizeof extra, " (%" PRIu64 " .. %" PRIu64 "%s%s)",
                     k->min, k->max, i < KNOB_MODEL_N ? ", default " : "",
                     i < KNOB_MODEL_N ? value : "");
        else if (k->arg && i < KNOB_MODEL_N)
            snprintf(extra, sizeof extra, " (default %s)", value);
        while ((nl = strchr(text, '\n'))) {
            fprintf(f, " %.*s\n%*s", (int)(nl - text), text,
                    HELP_COLUMN - 1, "");
            col = HELP_COLUMN - 1;
            text = nl + 1;
        }
        col += 1 + (int)strlen(text);
        if (col + (int)strlen(extra) > HELP_WIDTH)
            fprintf(f, " %s\n%*s%s\n", text, HELP_COLUMN - 1, "", extra);
        else
            fprintf(f, " %s%s\n", text, extra);
    }
}

/* ---- what the model can run ----------------------------------------- */

uint64_t knob_memory_max(const struct heap_config *cfg)
{
    uint64_t frames = (uint64_t)MAX_FRAMES * cfg->page_size;
    long pages = sysconf(_SC_PHYS_PAGES), host_page = sysconf(_SC_PAGESIZE);
    uint64_t host = pages > 0 && host_page > 0
                        ? (uint64_t)pages * (uint64_t)host_page
                        : 0;
    uint64_t share = host / HOST_MEMORY_SHARE & ~((1ull << 20) - 1);

    return share && share < frames ? share : frames;
}

/* "whole 4K pages, LO .. HI (WHY)"; whether V is such a value. */
static bool whole_pages(uint64_t v, uint64_t page, uint64_t lo, uint64_t hi,
                        const char *why, char *want, size_t len)
{
    char p[16], l[32], h[32];

    size_text(page, p, sizeof p);
    size_text(lo, l, sizeof l);
    size_text(hi, h, sizeof h);
    snprintf(want, len, "whole %s pages, %s .. %s (%s)", p, l, h, why);
    return v % page == 0 && v >= lo && v <= hi;
}

static bool page_size_ok(uint64_t v, char *want, size_t len)
{
    long host = sysconf(_SC_PAGESIZE);
    char h[16];

    size_text((uint64_t)host, h, sizeof h);
    snprintf(want, len, "%s, no smaller than this host's %s pages",
             PAGE_SIZES_ACCEPTED, h);
    return (v == 4096 || v == 16384 || v == 65536) && v >= (uint64_t)host;
}

static bool memory_ok(const struct heap_config *cfg, char *want, size_t len)
{
    uint64_t page = cfg->page_size, hi = knob_memory_max(cfg);
    char why[96], host[32];

    size_text(hi, host, sizeof host);
    if (hi < (uint64_t)MAX_FRAMES * page)
        snprintf(why, sizeof why, "%u pages to 1/%d of this host's memory",
                 MIN_FRAMES, HOST_MEMORY_SHARE);
    else
        snprintf(why, sizeof why, "%u to 2^32 - 2 frames", MIN_FRAMES);
    return whole_pages(cfg->memory_bytes, page, MIN_FRAMES * page, hi, why,
                       want, len);
}

/* The directmap is aligned to page_size << max_order: its reservation
 * is memory plus that much. */
static uint64_t directmap_span(const struct heap_config *cfg, unsigned order)
{
    return cfg->memory_bytes + ((uint64_t)cfg->page_size << order);
}

static bool max_order_ok(const struct heap_config *cfg, char *want,
                         size_t len)
{
    unsigned hi = MAX_ORDER_MAX;

    while (hi > 1 && directmap_span(cfg, hi) > ADDRESS_SPACE)
        hi--;
    if (hi == MAX_ORDER_MAX)
        snprintf(want, len, "1 .. %u", hi);
    else
        snprintf(want, len, "1 .. %u (memory + page_size << max_order, "
                 "the directmap, must fit in 64T of address space)", hi);
    return cfg->max_order >= 1 && cfg->max_order <= hi;
}

static bool xenheap_ok(const struct heap_config *cfg, char *want, size_t len)
{
    uint64_t page = cfg->page_size, half = cfg->memory_bytes / page / 2;
    bool ok = whole_pages(cfg->xenheap_bytes, page, XENHEAP_MIN_PAGES * page,
                          half ? (half - 1) * page : 0,
                          "2 pages to less than half of memory", want, len);
    size_t n = strlen(want);

    snprintf(want + n, len - n, ", or 0 for one heap");
    return cfg->xenheap_bytes == 0 || ok;
}

static bool vmap_ok(const struct heap_config *cfg, char *want, size_t len)
{
    uint64_t page = cfg->page_size, span = directmap_span(cfg, cfg->max_order);
    uint64_t left = span < ADDRESS_SPACE ? (ADDRESS_SPACE - span) / page : 0;
    uint64_t hi = VMAP_MAX_PAGES;
    const char *why = "64 pages to 2^32 - 2 pages";

    if (left < hi) {
        hi = left;
        why = "64 pages to what 64T of address space leaves beside the "
              "directmap";
    }
    return whole_pages(cfg->vmap_bytes, page, VMAP_MIN_PAGES * page,
                       hi * page, why, want, len);
}

/* page_alloc.c: MEMF_bits of the xenheap, for one heap only, and above
 * the page shift (bits_to_zone would give no zone). */
static bool xenheap_bits_ok(const struct heap_config *cfg, char *want,
                            size_t len)
{
    unsigned lo = (unsigned)__builtin_ctzll(cfg->page_size) + 1;

    if (cfg->xenheap_bytes) {
        snprintf(want, len, "0 (a separate xenheap is set)");
        return cfg->xenheap_bits == 0;
    }
    snprintf(want, len, "0, or %u .. %u (above the page shift)", lo,
             XENHEAP_BITS_MAX);
    return cfg->xenheap_bits == 0 ||
           (cfg->xenheap_bits >= lo && cfg->xenheap_bits <= XENHEAP_BITS_MAX);
}

bool knob_ok(unsigned id, const struct heap_config *cfg, char *want,
             size_t len)
{
    const struct knob *k = &knobs[id];
    uint64_t v = knob_get(cfg, id);

    switch (id) {
    case KNOB_PAGE_SIZE: return page_size_ok(v, want, len);
    case KNOB_MEMORY:    return memory_ok(cfg, want, len);
    case KNOB_MAX_ORDER: return max_order_ok(cfg, want, len);
    case KNOB_XENHEAP:   return xenheap_ok(cfg, want, len);
    case KNOB_VMAP_SIZE: return vmap_ok(cfg, want, len);
    case KNOB_XENHEAP_BITS: return xenheap_bits_ok(cfg, want, len);
    }
    snprintf(want, len, "%" PRIu64 " .. %" PRIu64, k->min, k->max);
    return v >= k->min && v <= k->max;
}

int knobs_check(const struct heap_config *cfg, unsigned n, char *want,
                size_t len)
{
    for (unsigned i = 0; i < n; i++)
        if (!knob_ok(i, cfg, want, len))
            return (int)i;
    return -1;
}

int knobs_check_options(const char *cmd, const struct heap_config *cfg,
                        unsigned n)
{
    char want[256], value[32], opt[40];
    int id = knobs_check(cfg, n, want, sizeof want);

    if (id < 0)
        return 0;
    knob_text((unsigned)id, cfg, value, sizeof value);
    snprintf(opt, sizeof opt, "--%s", knobs[id].option);
    return bad_option_value(cmd, opt, value, want);
}

/* ---- JSON and child command lines ----------------------------------- */

void knobs_json(json_t *obj, const struct heap_config *cfg, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        uint64_t v = knob_get(cfg, i);
        json_t *j;

        switch (knobs[i].type) {
        case KNOB_BOOL:
            j = json_boolean(v);
            break;
        case KNOB_FLUSH:
            j = json_string(flush_policy_name((enum flush_policy)v));
            break;
        case KNOB_PRESET:
            j = json_string(xen_arch_name((enum xen_arch)v));
            break;
        case KNOB_BOOTSCRUB:
            j = json_string(bootscrub_name((enum bootscrub_mode)v));
            break;
        default:
            j = json_integer((json_int_t)v);
            break;
        }
        json_object_set_new(obj, knobs[i].name, j);
    }
}

bool knob_arg(unsigned id, const struct heap_config *cfg, char *buf,
              size_t len)
{
    const struct knob *k = &knobs[id];
    uint64_t v = knob_get(cfg, id);

    if (k->type == KNOB_BOOL) {
        snprintf(buf, len, "--%s", k->option);
        return v == k->flag;
    }
    if (k->type == KNOB_FLUSH)
        snprintf(buf, len, "--%s=%s", k->option,
                 flush_policy_name((enum flush_policy)v));
    else if (k->type == KNOB_PRESET)
        snprintf(buf, len, "--%s=%s", k->option,
                 xen_arch_name((enum xen_arch)v));
    else if (k->type == KNOB_BOOTSCRUB)
        snprintf(buf, len, "--%s=%s", k->option,
                 bootscrub_name((enum bootscrub_mode)v));
    else
        snprintf(buf, len, "--%s=%" PRIu64, k->option, v);
    return true;
}
