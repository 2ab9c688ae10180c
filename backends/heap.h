/*
 * One interface for every allocator under test.
 *
 * A heap is one instance of a backend: a model of Xen's memory (frames, page
 * allocator, xmalloc pool, vmap area) driven by one allocation policy, or a
 * malloc-family baseline. Drivers call heap_alloc/heap_free/heap_realloc,
 * which do the accounting that is common to all backends (live bytes, peaks,
 * operation and failure counts) and hand the rest to the backend's vtable.
 *
 * This is all that drivers/ and workloads/ see of backends/ (lock.h
 * aside): a heap's insides, the model's among them, are declared in
 * backends/heap_internal.h and backends/model.h, which tests/check_layers.sh
 * keeps out of their reach.
 */
#ifndef XHEAP_HEAP_H
#define XHEAP_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Flags of one allocation request. */
#define HEAP_NEEDS_CONTIG 0x1u  /* caller needs physically contiguous memory */
#define HEAP_ZERO         0x2u  /* caller needs zeroed memory */

enum flush_policy {
    FLUSH_PER_PAGE,   /* x86 Xen: every unmapped page flushes on all CPUs */
    FLUSH_PER_RANGE,  /* Arm Xen: one flush per unmap call */
    FLUSH_LAZY,       /* Linux: unmap lazily, flush in batches */
};

/* The largest max_map_count the model keeps count for: the kernel's
 * default is 65530, and the knob exists to lower it. */
#define MAP_COUNT_MAX 65536u

/* Xen's bootscrub= (page_alloc.c, opt_bootscrub), in Xen's order. */
enum bootscrub_mode {
    BOOTSCRUB_OFF,    /* boot memory added clean, never zeroed */
    BOOTSCRUB_ON,     /* added clean, zeroed in place at boot */
    BOOTSCRUB_IDLE,   /* added dirty; idle CPUs scrub it (Xen's default) */
};

/* Architecture presets (--arch): each sets the knobs below that differ. */
enum xen_arch { ARCH_X86, ARCH_ARM64, ARCH_ARM32 };

/* Knobs set on their own, which an --arch preset leaves
 * alone wherever --arch stands (cfg->knobs_set). */
#define CFG_SET_PAGE_SIZE 0x01u
#define CFG_SET_MAX_ORDER 0x02u
#define CFG_SET_VMAP      0x04u
#define CFG_SET_XENHEAP   0x08u
#define CFG_SET_FLUSH     0x10u

/* The knobs of the model; heap_config_defaults() gives x86_64 Xen. */
struct heap_config {
    size_t   page_size;      /* model PAGE_SIZE: 4096, 16384 or 65536 */
    uint64_t memory_bytes;   /* frames: the modelled physical memory */
    unsigned max_order;      /* buddy MAX_ORDER (18 on x86 and Arm) */
    uint64_t xenheap_bytes;  /* 0: one heap; else a separate xenheap (Arm32) */
    uint64_t vmap_bytes;     /* the VMAP_DEFAULT area */
    bool     directmap;      /* false: xenheap pages are mapped on demand */
    bool     scrub;          /* freed pages are dirty until scrubbed */
    bool     hugepages;      /* ask for transparent huge pages on the directmap */
    enum flush_policy flush;
    unsigned lazy_max_pages; /* FLUSH_LAZY: purge once this many are pending
                                (0: Linux's lazy_max_pages() for cpus) */
    enum xen_arch arch;      /* the preset the knobs came from */
    unsigned cpus;           /* online CPUs of the modelled machine */
    unsigned mfn_bytes;      /* sizeof(mfn_t): 8, or 4 on arm32 */
    unsigned ptr_bytes;      /* sizeof(void *): 8, or 4 on arm32, where the
                                xmalloc pool's headers and alignment are 8 */
    unsigned knobs_set;      /* CFG_SET_*: set on their own */
    unsigned idle_scrub_every; /* 0: never; K: the idle scrubber runs after
                                  every K-th trace event (heap_idle) */
    unsigned xenheap_bits;   /* one heap: 0, or xenheap frames lie below
                                2^bits bytes (Xen's xenheap_bits) */
    enum bootscrub_mode bootscrub; /* the start state: page_alloc.h */
    /* Fault injection (docs/faults.md); all 0: none. */
    unsigned max_map_count;  /* vm.max_map_count for the model's own mappings,
                                at most MAP_COUNT_MAX; 0: only the host's limit */
    uint64_t fail_map_at;    /* map call N fails (counted as map_calls) */
    uint64_t fail_map_every; /* and every this many after it (alone: every
                                Nth call) */
    uint64_t fail_unmap_at, fail_unmap_every;   /* the same for unmaps */
};

void heap_config_defaults(struct heap_config *cfg);
/* Applies arch's preset to the knobs not in cfg->knobs_set. */
void heap_config_arch(struct heap_config *cfg, enum xen_arch arch);
/* Arm32's xenheap, unless set on its own, follows memory: call after
 * setting memory (heap_create does it too). */
void heap_config_resolve(struct heap_config *cfg);
const char *xen_arch_name(enum xen_arch a);
int xen_arch_parse(const char *s, enum xen_arch *out);
/* NULL for a value past the last policy: a loop over them ends there. */
const char *flush_policy_name(enum flush_policy f);
int flush_policy_parse(const char *s, enum flush_policy *out);
const char *bootscrub_name(enum bootscrub_mode b);
int bootscrub_parse(const char *s, enum bootscrub_mode *out);

/* Where an allocation came from (the placements CSV's path column). */
enum alloc_path {
    PATH_NONE,
    PATH_POOL,         /* a TLSF block in the xmalloc pool */
    PATH_WHOLE_PAGES,  /* xmalloc_whole_pages */
    PATH_PAGES,        /* alloc_xenheap_pages */
    PATH_VMAP,         /* vmalloc */
    PATH_SYSTEM,       /* a malloc-family baseline */
};
const char *alloc_path_name(enum alloc_path p);

/* Where one allocation landed. frames is what the page allocator's count
 * of frames held for callers moved by during the call: exact when one
 * thread uses the heap; in a shared heap (heap_set_shared) it also holds
 * what other threads took or gave back meanwhile. */
struct placement {
    enum alloc_path path;
    uint64_t offset;    /* from the directmap base, or the vmap area base */
    int64_t  frames;    /* frames this allocation took from the page allocator */
    uint64_t va_pages;  /* vmap pages, guard page included */
};

/* Counters; a snapshot is taken with heap_stats(). */
struct heap_stats {
    uint64_t allocs, frees, reallocs, failed;
    uint64_t live_bytes, peak_live_bytes;     /* as requested by callers */
    uint64_t frames_total;                    /* frames the heap manages */
    uint64_t frames_in_use;                   /* overhead frames included */
    uint64_t peak_frames;                     /* held for callers: without */
    uint64_t overhead_frames;                 /* pool descriptor, vmap bitmap */
    uint64_t va_pages_in_use, peak_va_pages;  /* vmap pages with guards */
    uint64_t map_calls, unmap_calls, flushes; /* real mmap calls, Xen's flushes */
    uint64_t protect_calls;                   /* lazy rules: mprotect at vfree */
    uint64_t full_flushes, flush_ipis, tlbi;  /* Xen's, by its rules */
    uint64_t pte_writes, pt_frames_allocated, pt_frames_freed;
    uint64_t cache_flushes;                   /* Arm: flush_page_to_ram */
    uint64_t map_failures;                    /* mmap refused (max_map_count) */
    uint64_t scrubbed_pages;
    uint64_t pool_regions, pool_used_bytes;   /* the xmalloc pool */
    uint64_t largest_free_order;              /* -1 as UINT64_MAX when none */
    uint64_t xenheap_free_frames, domheap_free_frames;
};

/* A heap is opaque outside backends/: drivers see it only through the
 * functions below. backends/heap_internal.h holds its definition. */
struct heap;
struct heap_ops;

/* What the registry says of a backend; its operations are backends/'
 * business (struct heap_ops, backends/heap_internal.h). */
struct backend {
    const char *name, *summary;
    bool  model;   /* true: drives the Xen model; false: a system baseline */
    const struct heap_ops *ops;
};

/* Registry: every backend by name, in a fixed order. */
const struct backend *backend_find(const char *name);
const struct backend *const *backend_list(size_t *count);

/* Creates a heap; on failure returns NULL with the reason in *why. */
struct heap *heap_create(const char *backend, const struct heap_config *cfg,
                         char *why, size_t why_len);
void heap_destroy(struct heap *h);

/* align 0 means the backend's natural alignment. NULL on failure, counted.
 * where, when not NULL, says where the block landed; after a failure its
 * path is PATH_NONE, and frames what the attempt left taken (normally 0). */
void *heap_alloc(struct heap *h, size_t size, size_t align, unsigned flags,
                 struct placement *where);
void  heap_free(struct heap *h, void *p, size_t size);
/* A failed realloc returns NULL and leaves p as it was, counted; where
 * as heap_alloc fills it. */
void *heap_realloc(struct heap *h, void *p, size_t old_size, size_t size,
                   unsigned flags, struct placement *where);
void  heap_stats(struct heap *h, struct heap_stats *out);

/* What an idle CPU does between events: Xen's idle scrubber, until no
 * dirty free page is left (models only; the others do nothing). Outside
 * any timed region. */
void  heap_idle(struct heap *h);

/* Says that several threads will use h at once (before they start).
 * Shared, the peak of live bytes is raised every HEAP_PEAK_EVERY
 * operations of a thread, so it may miss the true peak by that many
 * blocks; alone it is exact. */
#define HEAP_PEAK_EVERY 64
void  heap_set_shared(struct heap *h, bool shared);

/* Set when a mapping failed because of vm.max_map_count: one clear line. */
const char *heap_map_limit_message(struct heap *h);
/* True when that limit is the host's: the run must stop, not count it. */
bool heap_host_limit_short(struct heap *h);

/* Whether h drives the Xen model (else it is a system baseline). */
bool heap_is_model(const struct heap *h);
/* How the model's directmap is backed ("off", "thp (...)", "refused: ..."),
 * as frames.c found it; NULL for a system baseline. */
const char *heap_directmap_huge(const struct heap *h);

/*
 * Host time by operation. The model's host mapping calls (backends/
 * mapping.c) are timed and counted per thread, under the kind of heap call
 * that made them, so that a driver can tell the time in the model's own
 * code from the time in the host's system calls without seeing inside a
 * heap. Only the calls themselves are timed: nothing is added where no
 * mapping happens but one thread-local store per heap call.
 */
enum heap_op {
    HEAP_OP_SETUP,     /* heap_create and anything outside the three calls */
    HEAP_OP_ALLOC, HEAP_OP_FREE, HEAP_OP_REALLOC,
    HEAP_OPS
};
enum host_call {
    HOST_MAP,          /* mmap(MAP_FIXED | MAP_SHARED) of frames */
    HOST_UNMAP,        /* the range replaced by an inaccessible mapping */
    HOST_PROTECT,      /* mprotect(PROT_NONE): Linux's lazy clear */
    HOST_CALL_KINDS
};
const char *host_call_name(enum host_call c);

struct heap_host_work {
    uint64_t ticks;                     /* in host calls, heap_host_clock's */
    uint64_t calls[HOST_CALL_KINDS];    /* as map_calls, unmap_calls count */
};
struct heap_host_time {
    struct heap_host_work op[HEAP_OPS];
};

/* The calling thread's totals so far (all its heaps): take two and
 * subtract. */
void heap_host_time(struct heap_host_time *out);
/* The clock host calls are timed with, in ticks; NULL (the default):
 * CLOCK_MONOTONIC in ns. Set it before the threads that use heaps start. */
void heap_host_clock(uint64_t (*now)(void));

/* Parses sizes such as 4096, 4K, 16K, 64K, 1M, 16G. 0 on success. */
int parse_size(const char *s, uint64_t *out);

#endif
