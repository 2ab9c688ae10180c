/*
 * Frames: the modelled physical memory, and the directmap over it.
 *
 * Physical memory is a memfd; frame i is the model page at offset
 * i * page_size. The directmap is one shared mapping of the whole memfd at
 * a base aligned to page_size << max_order, so that frame <-> address is
 * arithmetic and buddy blocks are as aligned in virtual memory as they are
 * in frame numbers (xmalloc_whole_pages relies on that, as Xen does).
 *
 * Without a directmap the same range stays reserved but inaccessible, and
 * alloc_xenheap_pages maps frames into their slot on demand. A second,
 * always-present view of all frames serves the model's own bookkeeping
 * (scrubbing, as Xen's map_domain_page would, and tests).
 */
#ifndef XHEAP_FRAMES_H
#define XHEAP_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backends/heap.h"

#define NO_FRAME UINT32_MAX   /* frame numbers are 32-bit: up to 16 TiB at 4K */

struct frames {
    int      memfd;
    size_t   page_size;     /* model PAGE_SIZE */
    unsigned page_shift;
    uint32_t nr_frames;
    char    *directmap;     /* frame i lives at directmap + (i << page_shift) */
    char    *view;          /* always mapped; == directmap when it is on */
    bool     directmap_on;
    char    *reserve;       /* the aligned reservation holding the directmap */
    size_t   reserve_len;
    size_t   align;         /* of the directmap: page_size << max_order */
    bool     hugepages;     /* asked for */
    char     huge[160];     /* what the kernel gave the directmap */
};

/* 0 on success; on failure -1 with one line in why. Frames of the same
 * shape as the last heap's are reused, zeroed (see frames.c). */
int  frames_init(struct frames *f, const struct heap_config *cfg,
                 char *why, size_t why_len);
void frames_fini(struct frames *f);

static inline void *frame_to_virt(const struct frames *f, uint32_t frame)
{
    return f->directmap + ((size_t)frame << f->page_shift);
}

/* The same frame through the always-present view. */
static inline void *frame_to_view(const struct frames *f, uint32_t frame)
{
    return f->view + ((size_t)frame << f->page_shift);
}

static inline bool in_directmap(const struct frames *f, const void *p)
{
    const char *c = p;

    return c >= f->directmap &&
           c < f->directmap + ((size_t)f->nr_frames << f->page_shift);
}

static inline uint32_t virt_to_frame(const struct frames *f, const void *p)
{
    return (uint32_t)(((const char *)p - f->directmap) >> f->page_shift);
}

/* Reserves len bytes of address space aligned to align (a power of two),
 * inaccessible until mapped. NULL on failure. */
void *reserve_aligned(size_t len, size_t align, char **base, size_t *base_len);

#endif
