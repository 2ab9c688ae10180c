/*
 * The microbenchmarks: one alloc+free pair per iteration, per backend,
 * over sizes from 16 B to 4 MiB. Plain C; register.cc only registers them.
 */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "backends/heap.h"
#include "drivers/gbench/gbench.h"

#define NAME_LEN  64
#define MAX_CASES 32

/*
 * Powers of two from 16 B to 4 MiB, and sizes where the models change
 * their mind: 24 and 100 (odd pool classes), 3000, 4033 (the first size
 * that falls out of the 4K pool into whole pages), 5000 and 12289 (just
 * past one and three pages: whole pages trim, alloc_xenheap_pages
 * rounds to a power of two), 65537 and 1048577 (one byte past a power of
 * two: the worst case for the buddy allocator).
 */
static const uint64_t sizes[] = {
    16, 24, 32, 64, 100, 128, 256, 512, 1024, 2048, 3000, 4033, 4096, 5000,
    8192, 12289, 16384, 32768, 65536, 65537, 131072, 262144, 524288,
    1048576, 1048577, 2097152, 4194304,
};

/* One benchmark instance: a backend, a size, a thread count, one heap. */
struct instance {
    const struct gbench_case *c;
    uint64_t size;
    int threads;
    struct heap *h;
};

static pthread_mutex_t instance_lock = PTHREAD_MUTEX_INITIALIZER;
static struct instance current;

/* Each thread's own totals: frames taken, allocations refused. */
static __thread int64_t thread_frames;
static __thread uint64_t thread_failed;

static void drop_current(void)
{
    heap_destroy(current.h);
    current = (struct instance){ 0 };
}

static void *setup(const struct gbench_case *c, uint64_t size, int threads,
                   char *why, size_t len)
{
    struct heap_config cfg;
    void *ctx = &current;

    pthread_mutex_lock(&instance_lock);
    if (!current.h || current.c != c || current.size != size ||
        current.threads != threads) {
        drop_current();
        heap_config_defaults(&cfg);
        current.h = heap_create(c->backend, &cfg, why, len);
        if (current.h) {
            heap_set_shared(current.h, threads > 1);
            current.c = c;
            current.size = size;
            current.threads = threads;
        }
    }
    if (!current.h)
        ctx = NULL;
    pthread_mutex_unlock(&instance_lock);
    return ctx;
}

/* The measured iteration. The placement says what frames the model's
 * allocation took (in a shared heap, with what other threads took or gave
 * back meanwhile: heap.h). */
static void alloc_free(void *ctx)
{
    struct instance *in = ctx;
    struct placement where;
    void *p = heap_alloc(in->h, in->size, 0, 0, &where);

    thread_frames += where.frames;
    if (!p) {
        thread_failed++;
        return;
    }
    heap_free(in->h, p, in->size);
}

static void teardown(const struct gbench_case *c)
{
    pthread_mutex_lock(&instance_lock);
    drop_current();
    pthread_mutex_unlock(&instance_lock);
}

static void counters(void *ctx, int thread, struct gbench_counters *out)
{
    struct instance *in = ctx;
    struct heap_stats st;

    *out = (struct gbench_counters){
        .frames = (double)thread_frames,
        .failed = (double)thread_failed,
    };
    if (thread != 0)
        return;
    heap_stats(in->h, &st);
    out->maps = (double)st.map_calls;
    out->flushes = (double)st.flushes;
}

/* A baseline joins only when it serves malloc in this process: glibc, or
 * the library preloaded (backends/system.c checks). */
static bool runs_here(const struct backend *b)
{
    struct heap_config cfg;
    char why[256];
    struct heap *h;

    if (b->model)
        return true;
    heap_config_defaults(&cfg);
    h = heap_create(b->name, &cfg, why, sizeof why);
    heap_destroy(h);
    return h != NULL;
}

const struct gbench_case *gbench_cases(size_t *n)
{
    static struct gbench_case cases[MAX_CASES];
    static char names[MAX_CASES][NAME_LEN];
    static size_t count;
    static bool listed;
    size_t nb;
    const struct backend *const *list = backend_list(&nb);

    for (size_t i = 0; !listed && i < nb && count < MAX_CASES; i++) {
        if (!runs_here(list[i]))
            continue;
        snprintf(names[count], NAME_LEN, "alloc_free/%s", list[i]->name);
        cases[count] = (struct gbench_case){
            .name = names[count], .backend = list[i]->name, .setup = setup,
            .run = alloc_free, .teardown = teardown, .counters = counters,
        };
        count++;
    }
    listed = true;
    *n = count;
    return cases;
}

const uint64_t *gbench_sizes(size_t *n)
{
    *n = sizeof sizes / sizeof sizes[0];
    return sizes;
}

int gbench_max_threads(void)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);

    return cpus > 0 ? (int)cpus : 1;
}
