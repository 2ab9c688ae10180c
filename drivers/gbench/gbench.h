/*
 * drivers/gbench: the Google Benchmark shim, a binary of its own
 * (xheap-gbench). It may use measure and backends; nothing includes it.
 *
 * The Google Benchmark shim's C side: the microbenchmarks as a table that
 * register.cc (the one C++ file) hands to Google Benchmark.
 *
 * Each case is one backend's alloc+free pair. For one benchmark instance
 * (a size and a thread count) every thread calls setup and gets the same
 * context back: one heap, shared by the instance's threads (heap_set_shared
 * when there are several), kept across Google Benchmark's runs of that
 * instance and replaced when the next instance starts. run does one
 * iteration on the calling thread; counters reads the totals so far as
 * the calling thread should report them, so that register.cc can turn
 * differences into per-iteration user counters.
 */
#ifndef XHEAP_GBENCH_H
#define XHEAP_GBENCH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Totals as seen by one thread. frames and failed are the thread's own;
 * maps and flushes are the heap's, reported by thread 0 alone, so that
 * summing over threads (as Google Benchmark does) counts them once. */
struct gbench_counters {
    double frames;    /* frames the allocations took from the page allocator */
    double maps;      /* real mmap calls (vmalloc maps each page) */
    double flushes;   /* TLB flushes the modelled hypervisor issued */
    double failed;    /* allocations refused */
};

struct gbench_case {
    const char *name;      /* "alloc_free/BACKEND" */
    const char *backend;
    /* The instance's shared context; NULL with the reason in why. */
    void *(*setup)(const struct gbench_case *c, uint64_t size, int threads,
                   char *why, size_t len);
    void  (*run)(void *ctx);
    /* Releases whatever setup still holds (called once, at the end). */
    void  (*teardown)(const struct gbench_case *c);
    void  (*counters)(void *ctx, int thread, struct gbench_counters *out);
};

/* The cases this process can run: every model backend, null, and the
 * malloc-family baseline that serves malloc here (glibc, or the preloaded
 * jemalloc, mimalloc or tcmalloc). */
const struct gbench_case *gbench_cases(size_t *n);

/* The sizes, 16 B to 4 MiB: powers of two and odd sizes. */
const uint64_t *gbench_sizes(size_t *n);

/* Thread counts run: 1 up to this (the online CPUs). */
int gbench_max_threads(void);

/* Registers every case with Google Benchmark and runs it; in register.cc. */
int gbench_run(int argc, char **argv);

#ifdef __cplusplus
}
#endif

#endif
