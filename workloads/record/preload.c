/*
 * libxheap-record.so: the C allocation functions, interposed with
 * LD_PRELOAD, each forwarded to the real one and logged (tlog.c).
 *
 * Where each call is logged, so that sequence numbers order every block's
 * life correctly across threads: an allocation after the real call returns
 * (before the caller can hand the block to anyone), a free before the real
 * call (after it, another thread may already be given the same address).
 * realloc is both: its old block is logged before, its new one after.
 *
 * Bootstrap: the real functions are found with dlsym(RTLD_NEXT), and dlsym
 * itself may call malloc or calloc. While this thread is resolving them,
 * requests are served from a small static arena that is never reused;
 * freeing an arena block does nothing, and realloc moves it out.
 */
#include "workloads/record/recorder.h"

#include <dlfcn.h>
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BOOT_BYTES   (64 * 1024)   /* dlsym needs a few hundred bytes */
#define BOOT_ALIGN   16            /* malloc's alignment on LP64 */
#define MAX_LOG2     63

__thread int rec_in_hook TLS_IE;

static struct {
    void *(*malloc)(size_t);
    void  (*free)(void *);
    void *(*calloc)(size_t, size_t);
    void *(*realloc)(void *, size_t);
    int   (*posix_memalign)(void **, size_t, size_t);
    void *(*aligned_alloc)(size_t, size_t);
    void *(*memalign)(size_t, size_t);
    void *(*valloc)(size_t);
    void *(*pvalloc)(size_t);
    int   (*execve)(const char *, char *const[], char *const[]);
    int   (*execv)(const char *, char *const[]);
    int   (*execvp)(const char *, char *const[]);
    int   (*execvpe)(const char *, char *const[], char *const[]);
    int   (*fexecve)(int, char *const[], char *const[]);
    void  (*exit_)(int);
    void  (*Exit_)(int);
} real;

enum { UNINIT, RESOLVING, READY };

static atomic_int state;
static bool resolved;                    /* real.* are set */
static __thread bool resolving_here TLS_IE;

/* ---- the bootstrap arena ------------------------------------------- */

static _Alignas(4096) unsigned char boot_arena[BOOT_BYTES];
static atomic_size_t boot_used;

struct boot_hdr {
    size_t size, pad;
};

static bool boot_owns(const void *p)
{
    return (const unsigned char *)p >= boot_arena &&
           (const unsigned char *)p < boot_arena + BOOT_BYTES;
}

static unsigned log2_up(size_t x)
{
    return x <= 1 ? 0 : 64 - (unsigned)__builtin_clzll(x - 1);
}

/* Zeroed, as the arena is static and never reused. */
static void *boot_alloc(size_t n, size_t align)
{
    size_t old = atomic_load(&boot_used), start, end;

    align = align < BOOT_ALIGN ? BOOT_ALIGN : (size_t)1 << log2_up(align);
    do {
        start = (old + sizeof(struct boot_hdr) + align - 1) & ~(align - 1);
        if (n > BOOT_BYTES || start + n > BOOT_BYTES) {
            errno = ENOMEM;
            return NULL;
        }
        end = start + n;
    } while (!atomic_compare_exchange_weak(&boot_used, &old, end));
    ((struct boot_hdr *)(boot_arena + start))[-1].size = n;
    return boot_arena + start;
}

static void *boot_move(void *p, size_t n)
{
    size_t old = ((struct boot_hdr *)p)[-1].size;
    void *q = resolved ? real.malloc(n) : boot_alloc(n, BOOT_ALIGN);

    if (q)
        memcpy(q, p, old < n ? old : n);
    return q;
}

/* ---- finding the real functions ------------------------------------ */

#define FIND(field, name) \
    (real.field = (__typeof__(real.field))dlsym(RTLD_NEXT, name))

static void resolve(void)
{
    FIND(malloc, "malloc");
    FIND(free, "free");
    FIND(calloc, "calloc");
    FIND(realloc, "realloc");
    FIND(posix_memalign, "posix_memalign");
    FIND(aligned_alloc, "aligned_alloc");
    FIND(memalign, "memalign");
    FIND(valloc, "valloc");
    FIND(pvalloc, "pvalloc");
    FIND(execve, "execve");
    FIND(execv, "execv");
    FIND(execvp, "execvp");
    FIND(execvpe, "execvpe");
    FIND(fexecve, "fexecve");
    FIND(exit_, "_exit");
    FIND(Exit_, "_Exit");
    if (!real.malloc || !real.free || !real.calloc || !real.realloc ||
        !real.posix_memalign || !real.execve || !real.exit_) {
        static const char msg[] =
            "xheap record: dlsym cannot find the C library's malloc\n";
        ssize_t r = write(2, msg, sizeof(msg) - 1);

        (void)r;
        abort();
    }
}

/*
 * False only while this thread is inside dlsym: then the caller uses the
 * arena. Other threads that arrive during start-up wait for it.
 */
static bool start(void)
{
    int s = UNINIT;

    if (resolving_here)
        return resolved;
    if (atomic_compare_exchange_strong(&state, &s, RESOLVING)) {
        int saved = rec_in_hook;

        resolving_here = true;
        rec_in_hook = 1;
        resolve();
        resolved = true;
        tlog_init();
        rec_in_hook = saved;
        resolving_here = false;
        atomic_store_explicit(&state, READY, memory_order_release);
        return true;
    }
    while (atomic_load_explicit(&state, memory_order_acquire) != READY)
        sched_yield();
    return true;
}

static inline bool ready(void)
{
    return likely(atomic_load_explicit(&state, memory_order_acquire) ==
                  READY) || start();
}

/* Record this call? Not from inside the recorder, not when it is off. */
static inline bool hooked(void)
{
    return !rec_in_hook && tlog_recording();
}

static void record(enum reclog_op op, const void *p, size_t size,
                   unsigned align_log2)
{
    int e = errno;

    tlog_event(op, (uint64_t)(uintptr_t)p, size, align_log2);
    errno = e;
}

/* Start-up: make sure the log of a program that never allocates exists. */
__attribute__((constructor)) static void recorder_start(void)
{
    ready();
}

/* ---- the allocation functions -------------------------------------- */

EXPORT void *malloc(size_t n)
{
    void *p;

    if (unlikely(!ready()))
        return boot_alloc(n, BOOT_ALIGN);
    if (!hooked())
        return real.malloc(n);
    rec_in_hook = 1;
    p = real.malloc(n);
    record(REC_MALLOC, p, n, 0);
    rec_in_hook = 0;
    return p;
}

EXPORT void *calloc(size_t n, size_t m)
{
    size_t total;
    void *p;

    if (unlikely(!ready()))
        return __builtin_mul_overflow(n, m, &total) ? NULL :
               boot_alloc(total, BOOT_ALIGN);
    if (!hooked())
        return real.calloc(n, m);
    rec_in_hook = 1;
    p = real.calloc(n, m);
    if (!__builtin_mul_overflow(n, m, &total))
        record(REC_CALLOC, p, total, 0);
    rec_in_hook = 0;
    return p;
}

EXPORT void free(void *p)
{
    if (!p || boot_owns(p) || unlikely(!ready()))
        return;
    if (!hooked()) {
        real.free(p);
        return;
    }
    rec_in_hook = 1;
    record(REC_FREE, p, 0, 0);
    real.free(p);
    rec_in_hook = 0;
}

EXPORT void *realloc(void *p, size_t n)
{
    void *q;

    if (boot_owns(p))
        return boot_move(p, n);
    if (unlikely(!ready()))
        return p ? NULL : boot_alloc(n, BOOT_ALIGN);
    if (!hooked())
        return real.realloc(p, n);
    rec_in_hook = 1;
    if (!p) {
        q = real.realloc(NULL, n);
        record(REC_MALLOC, q, n, 0);
    } else {
        record(REC_REALLOC_BEGIN, p, 0, 0);
        q = real.realloc(p, n);
        record(REC_REALLOC_END, q, n, 0);
    }
    rec_in_hook = 0;
    return q;
}

EXPORT void *reallocarray(void *p, size_t n, size_t m)
{
    size_t total;

    if (__builtin_mul_overflow(n, m, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(p, total);
}

EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
    int r;

    if (unlikely(!ready())) {
        void *p = boot_alloc(n, align);

        if (!p)
            return ENOMEM;
        *out = p;
        return 0;
    }
    if (!hooked())
        return real.posix_memalign(out, align, n);
    rec_in_hook = 1;
    r = real.posix_memalign(out, align, n);
    if (r == 0 || r == ENOMEM)   /* EINVAL: a bad call, not a request */
        record(REC_MEMALIGN, r ? NULL : *out, n, log2_up(align));
    rec_in_hook = 0;
    return r;
}

/* The functions that return an aligned block or NULL with errno. */
static void *aligned(void *(*fn)(size_t, size_t), size_t align, size_t n,
                     size_t logged_size)
{
    void *p;
    int r;

    if (!fn) {   /* not in this C library: posix_memalign does it */
        r = real.posix_memalign(&p, align, n);
        if (r) {
            errno = r;
            p = NULL;
        }
    } else {
        p = fn(align, n);
    }
    if (p || errno == ENOMEM)
        record(REC_MEMALIGN, p, logged_size, log2_up(align));
    return p;
}

static void *memalign_call(void *(*fn)(size_t, size_t), size_t align,
                           size_t n, size_t logged_size)
{
    void *p;

    if (unlikely(!ready()))
        return boot_alloc(n, align);
    if (!hooked()) {
        if (fn)
            return fn(align, n);
        return real.posix_memalign(&p, align, n) ? NULL : p;
    }
    rec_in_hook = 1;
    p = aligned(fn, align, n, logged_size);
    rec_in_hook = 0;
    return p;
}

EXPORT void *aligned_alloc(size_t align, size_t n)
{
    return memalign_call(real.aligned_alloc, align, n, n);
}

EXPORT void *memalign(size_t align, size_t n)
{
    return memalign_call(real.memalign, align, n, n);
}

static void *valloc_as_memalign(size_t align, size_t n)
{
    return real.valloc(n);
}

static void *pvalloc_as_memalign(size_t align, size_t n)
{
    return real.pvalloc(n);
}

EXPORT void *valloc(size_t n)
{
    size_t page = tlog_page_size();

    return memalign_call(real.valloc ? valloc_as_memalign : NULL, page, n, n);
}

/* pvalloc rounds the size up to whole pages (one page for 0). */
EXPORT void *pvalloc(size_t n)
{
    size_t page = tlog_page_size();
    size_t rounded = n ? (n + page - 1) & ~(page - 1) : page;

    return memalign_call(real.pvalloc ? pvalloc_as_memalign : NULL, page, n,
                         rounded);
}

/* ---- exec and _exit: the buffers are written out first ------------- */

static void flush_before_leaving(void)
{
    int saved = rec_in_hook;

    if (!ready() || !tlog_recording())
        return;
    rec_in_hook = 1;
    tlog_flush_all();
    rec_in_hook = saved;
}

EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
    flush_before_leaving();
    return real.execve(path, argv, envp);
}

EXPORT int execv(const char *path, char *const argv[])
{
    flush_before_leaving();
    return real.execv(path, argv);
}

EXPORT int execvp(const char *file, char *const argv[])
{
    flush_before_leaving();
    return real.execvp(file, argv);
}

EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
    flush_before_leaving();
    return real.execvpe(file, argv, envp);
}

EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
    flush_before_leaving();
    return real.fexecve(fd, argv, envp);
}

/* Counts the arguments of an execl-style call, the terminating NULL too. */
static size_t count_args(const char *arg, va_list ap)
{
    size_t n = 1;

    for (const char *a = arg; a; a = va_arg(ap, const char *))
        n++;
    return n;
}

#define COLLECT_ARGS(argv, arg, ap, last)                              \
    do {                                                               \
        size_t i_ = 0;                                                 \
        va_start(ap, last);                                            \
        for (const char *a_ = arg; a_; a_ = va_arg(ap, const char *))  \
            argv[i_++] = (char *)a_;                                   \
        argv[i_] = NULL;                                               \
    } while (0)

EXPORT int execl(const char *path, const char *arg, ...)
{
    va_list ap;
    size_t n;

    va_start(ap, arg);
    n = count_args(arg, ap);
    va_end(ap);
    {
        char *argv[n];

        COLLECT_ARGS(argv, arg, ap, arg);
        va_end(ap);
        return execv(path, argv);
    }
}

EXPORT int execlp(const char *file, const char *arg, ...)
{
    va_list ap;
    size_t n;

    va_start(ap, arg);
    n = count_args(arg, ap);
    va_end(ap);
    {
        char *argv[n];

        COLLECT_ARGS(argv, arg, ap, arg);
        va_end(ap);
        return execvp(file, argv);
    }
}

EXPORT int execle(const char *path, const char *arg, ...)
{
    va_list ap;
    size_t n;
    char *const *envp;

    va_start(ap, arg);
    n = count_args(arg, ap);
    envp = va_arg(ap, char *const *);
    va_end(ap);
    {
        char *argv[n];

        COLLECT_ARGS(argv, arg, ap, arg);
        va_end(ap);
        return execve(path, argv, envp);
    }
}

EXPORT void _exit(int status)
{
    flush_before_leaving();
    real.exit_(status);
    __builtin_unreachable();
}

EXPORT void _Exit(int status)
{
    flush_before_leaving();
    (real.Exit_ ? real.Exit_ : real.exit_)(status);
    __builtin_unreachable();
}
