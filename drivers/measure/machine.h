/*
 * What machine a measurement was taken on: enough to tell two result files
 * apart and to explain a difference between them (CPU, cores, kernel, page
 * size, transparent huge pages, the mapping limit vmalloc runs into).
 */
#ifndef XHEAP_MACHINE_H
#define XHEAP_MACHINE_H

#include <jansson.h>

#define MACHINE_TEXT 128

struct machine_info {
    char host[MACHINE_TEXT];     /* short host name */
    char arch[MACHINE_TEXT];     /* uname machine: x86_64, aarch64 */
    char cpu[MACHINE_TEXT];      /* CPU model, "unknown" when not found */
    char kernel[MACHINE_TEXT];   /* uname release */
    char thp[MACHINE_TEXT];      /* THP "enabled" setting, "unknown" if none */
    char thp_shmem[MACHINE_TEXT]; /* THP "shmem_enabled": the directmap's */
    long cores;                  /* online CPUs */
    long page_size;              /* host page size */
    long max_map_count;          /* vm.max_map_count, -1 when unreadable */
    int  virtual_machine;        /* 1 yes, 0 no, -1 cannot tell */
    char hypervisor[MACHINE_TEXT];   /* its vendor when known */
    char hwloc[MACHINE_TEXT];    /* "1 package, 2 cores, 2 PUs, 1 NUMA node" */
    long perf_paranoid;          /* kernel.perf_event_paranoid, -1 unknown */
    char perf_hw[MACHINE_TEXT];  /* "yes", or why hardware events are not */
};

void machine_probe(struct machine_info *m);

/* The "machine" object of a result file. */
json_t *machine_json(const struct machine_info *m);

#endif
