/* Frames: the memfd that is physical memory, and the directmap over it. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "backends/frames.h"

/* Below this the buddy allocator has too little to be worth modelling. */
#define MIN_FRAMES 16

#define THP_SHMEM_KNOB "/sys/kernel/mm/transparent_hugepage/shmem_enabled"

/*
 * Physical memory outlives a heap, as a machine's does. A process that
 * builds heap after heap of one shape (repetitions, warm-up, tests) gets
 * the last one's frames back, already faulted in, so that the host's page
 * faults stay out of the measurements; Xen's memory is always resident.
 * Reused frames are zeroed first, as a freshly booted Xen's free memory is
 * scrubbed: only the pages that were ever touched need it. A process that
 * alternates heaps of different shapes (64K pages against 4K, no directmap
 * against one: drivers/measure/alternate.h) keeps one spare a shape, up to
 * SPARES; past that the oldest is released.
 */
#define SPARES 4
static struct frames spare[SPARES] = {
    { .memfd = -1 }, { .memfd = -1 }, { .memfd = -1 }, { .memfd = -1 },
};
static unsigned spare_next;   /* the slot the next spare takes */
static pthread_mutex_t spare_lock = PTHREAD_MUTEX_INITIALIZER;

static void frames_release(struct frames *f);

void *reserve_aligned(size_t len, size_t align, char **base, size_t *base_len)
{
    size_t total = len + align;
    char *p = mmap(NULL, total, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

    if (p == MAP_FAILED)
        return NULL;
    *base = p;
    *base_len = total;
    return (void *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
}

/* The bracketed word of a sysfs knob such as "always [advise] never". */
static void read_knob(const char *path, char *out, size_t len)
{
    char line[256] = "";
    FILE *f = fopen(path, "r");
    char *open, *close;

    snprintf(out, len, "unknown");
    if (!f)
        return;
    if (fgets(line, sizeof line, f) && (open = strchr(line, '[')) &&
        (close = strchr(open, ']'))) {
        *close = '\0';
        snprintf(out, len, "%s", open + 1);
    }
    fclose(f);
}

static void ask_for_hugepages(struct frames *f, size_t len)
{
    char knob[32];

    read_knob(THP_SHMEM_KNOB, knob, sizeof knob);
    if (madvise(f->directmap, len, MADV_HUGEPAGE) != 0)
        snprintf(f->huge, sizeof f->huge, "refused: madvise(MADV_HUGEPAGE): %s",
                 strerror(errno));
    else if (strcmp(knob, "never") == 0 || strcmp(knob, "deny") == 0)
        snprintf(f->huge, sizeof f->huge,
                 "refused: %s is '%s' (set it to 'advise')", THP_SHMEM_KNOB,
                 knob);
    else
        snprintf(f->huge, sizeof f->huge, "thp (shmem_enabled=%s)", knob);
}

static int check_size(struct frames *f, const struct heap_config *cfg,
                      char *why, size_t why_len)
{
    uint64_t nr = cfg->memory_bytes / cfg->page_size;

    if (cfg->memory_bytes % cfg->page_size) {
        snprintf(why, why_len, "memory size %llu is not a multiple of the "
                 "page size %zu", (unsigned long long)cfg->memory_bytes,
                 cfg->page_size);
        return -1;
    }
    if (nr < MIN_FRAMES || nr >= NO_FRAME) {
        snprintf(why, why_len, "memory size %llu gives %llu frames; it must "
                 "give %d to %u", (unsigned long long)cfg->memory_bytes,
                 (unsigned long long)nr, MIN_FRAMES, NO_FRAME - 1);
        return -1;
    }
    f->nr_frames = (uint32_t)nr;
    return 0;
}

static bool same_shape(const struct frames *f, const struct heap_config *cfg)
{
    return f->memfd >= 0 && f->page_size == cfg->page_size &&
           f->nr_frames == cfg->memory_bytes / cfg->page_size &&
           f->align == (cfg->page_size << cfg->max_order) &&
           f->directmap_on == cfg->directmap && f->hugepages == cfg->hugepages;
}

/* Zeroes every host page of the view that is resident, leaving the rest. */
static void zero_resident(struct frames *f)
{
    size_t host = (size_t)sysconf(_SC_PAGESIZE);
    size_t len = (size_t)f->nr_frames << f->page_shift, n = len / host;
    unsigned char *vec = malloc(n);

    if (!vec || mincore(f->view, len, vec) != 0) {
        memset(f->view, 0, len);
        free(vec);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        size_t j = i;

        while (j < n && (vec[j] & 1))
            j++;
        if (j > i)
            memset(f->view + i * host, 0, (j - i) * host);
        i = j;
    }
    free(vec);
}

static bool take_spare(struct frames *f, const struct heap_config *cfg)
{
    bool ok = false;

    pthread_mutex_lock(&spare_lock);
    for (unsigned i = 0; i < SPARES && !ok; i++)
        if ((ok = same_shape(&spare[i], cfg))) {
            *f = spare[i];
            spare[i] = (struct frames){ .memfd = -1 };
        }
    pthread_mutex_unlock(&spare_lock);
    if (ok)
        zero_resident(f);
    return ok;
}

int frames_init(struct frames *f, const struct heap_config *cfg,
                char *why, size_t why_len)
{
    size_t len, align;

    if (take_spare(f, cfg))
        return 0;
    memset(f, 0, sizeof *f);
    f->memfd = -1;
    f->page_size = cfg->page_size;
    f->page_shift = (unsigned)__builtin_ctzl(cfg->page_size);
    if (check_size(f, cfg, why, why_len))
        return -1;
    len = (size_t)f->nr_frames << f->page_shift;
    align = cfg->page_size << cfg->max_order;
    f->align = align;
    f->hugepages = cfg->hugepages;

    f->memfd = memfd_create("xheap-frames", MFD_CLOEXEC);
    if (f->memfd < 0 || ftruncate(f->memfd, (off_t)len) != 0) {
        snprintf(why, why_len, "cannot create %zu MiB of frames: %s",
                 len >> 20, strerror(errno));
        goto fail;
    }
    f->directmap = reserve_aligned(len, align, &f->reserve, &f->reserve_len);
    if (!f->directmap) {
        snprintf(why, why_len, "cannot reserve address space for the "
                 "directmap: %s", strerror(errno));
        goto fail;
    }
    f->directmap_on = cfg->directmap;
    if (f->directmap_on) {
        if (mmap(f->directmap, len, PROT_READ | PROT_WRITE,
                 MAP_FIXED | MAP_SHARED, f->memfd, 0) == MAP_FAILED)
            goto map_fail;
        f->view = f->directmap;
    } else {
        f->view = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
                       f->memfd, 0);
        if (f->view == MAP_FAILED) {
            f->view = NULL;
            goto map_fail;
        }
    }
    snprintf(f->huge, sizeof f->huge, "off");
    if (cfg->hugepages && f->directmap_on)
        ask_for_hugepages(f, len);
    return 0;

map_fail:
    snprintf(why, why_len, "cannot map %zu MiB of frames: %s", len >> 20,
             strerror(errno));
fail:
    frames_release(f);
    memset(f, 0, sizeof *f);
    f->memfd = -1;
    return -1;
}

static void frames_release(struct frames *f)
{
    size_t len = (size_t)f->nr_frames << f->page_shift;

    if (f->view && f->view != f->directmap)
        munmap(f->view, len);
    if (f->reserve)
        munmap(f->reserve, f->reserve_len);
    if (f->memfd >= 0)
        close(f->memfd);
}

/* Keeps F as the spare (releasing the older one), unless it is broken. */
void frames_fini(struct frames *f)
{
    struct frames old = { .memfd = -1 };

    if (f->memfd >= 0 && f->view) {
        unsigned i = 0;

        pthread_mutex_lock(&spare_lock);
        while (i < SPARES && spare[i].memfd >= 0)   /* an empty slot */
            i++;
        if (i == SPARES)                            /* else the oldest */
            i = spare_next++ % SPARES;
        old = spare[i];
        spare[i] = *f;
        pthread_mutex_unlock(&spare_lock);
    } else {
        old = *f;
    }
    frames_release(&old);
    memset(f, 0, sizeof *f);
    f->memfd = -1;
}
