/*
 * The per-thread event log of libxheap-record.so (log.h has the format).
 *
 * Each thread appends to its own buffer of TLOG_EVENTS events and writes it
 * to the process's log file with one write() when it is full. The file is
 * opened O_APPEND, so whole buffers from different threads never overwrite
 * each other. A buffer has a small spinlock, taken by its owner for every
 * event and by the rare flushers of all buffers (exit, exec, _exit): it is
 * never contended on the fast path.
 *
 * Buffers come from mmap, not malloc, and are never unmapped: a thread that
 * ends hands its buffer back (pthread key destructor) for the next thread.
 *
 * fork: the child's copies of the buffers hold the parent's events, so the
 * child empties them and opens a log of its own (or stops recording, when
 * children are cut off). exec: the buffers are written out first, as the new
 * image will not see them.
 */
#include "workloads/record/recorder.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define TLOG_EVENTS     2048    /* per thread: 64 KiB of events */
#define MAX_IMAGES      1000    /* <pid>.<image>.log: execs of one pid */
#define PATH_BYTES      4096
/* Flushing all buffers gives up on one whose lock stays taken this long
 * (a signal handler that calls exit() inside a logged call would otherwise
 * spin forever on its own thread's lock). */
#define FLUSH_SPINS     (1u << 22)

#if defined(__x86_64__) || defined(__i386__)
#define cpu_relax() __builtin_ia32_pause()
#else
#define cpu_relax() __asm__ __volatile__("" ::: "memory")
#endif

struct tbuf {
    struct tbuf *next;          /* the registry; never unlinked */
    atomic_int owned;           /* a live thread uses it */
    atomic_flag lock;
    uint32_t tid;
    uint32_t n;
    struct reclog_event ev[TLOG_EVENTS];
};

static _Atomic(struct tbuf *) registry;
static atomic_uint_fast64_t seq;
static atomic_bool recording;
static atomic_bool write_through;   /* after the exit flush: no buffering */
static int log_fd = -1;
static bool follow = true;
static size_t page_size = 4096;
static pthread_key_t tbuf_key;
static char log_dir[PATH_BYTES];

static __thread struct tbuf *mine TLS_IE;

bool tlog_recording(void)
{
    return atomic_load_explicit(&recording, memory_order_relaxed);
}

size_t tlog_page_size(void)
{
    return page_size;
}

/* Messages go straight to fd 2: no stdio, no malloc. */
static void say(const char *a, const char *b)
{
    ssize_t r;

    r = write(2, "xheap record: ", 14);
    r = write(2, a, strlen(a));
    r = write(2, b, strlen(b));
    r = write(2, "\n", 1);
    (void)r;
}

static void lock(struct tbuf *b)
{
    while (atomic_flag_test_and_set_explicit(&b->lock, memory_order_acquire))
        cpu_relax();
}

static void unlock(struct tbuf *b)
{
    atomic_flag_clear_explicit(&b->lock, memory_order_release);
}

static void write_all(const void *p, size_t n)
{
    const char *c = p;

    while (n) {
        ssize_t w = write(log_fd, c, n);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            atomic_store(&recording, false);
            say("writing the log failed, recording stopped: ",
                strerror(errno));
            return;
        }
        c += w;
        n -= (size_t)w;
    }
}

/* With B locked. */
static void flush_locked(struct tbuf *b)
{
    if (b->n && log_fd >= 0 && tlog_recording())
        write_all(b->ev, b->n * sizeof(b->ev[0]));
    b->n = 0;
}

static bool try_lock(struct tbuf *b)
{
    for (unsigned i = 0; i < FLUSH_SPINS; i++) {
        if (!atomic_flag_test_and_set_explicit(&b->lock, memory_order_acquire))
            return true;
        cpu_relax();
    }
    return false;
}

void tlog_flush_all(void)
{
    for (struct tbuf *b = atomic_load(&registry); b; b = b->next)
        if (try_lock(b)) {
            flush_locked(b);
            unlock(b);
        }
}

/* pthread key destructor: the thread ends, its buffer goes back. */
static void tbuf_release(void *p)
{
    struct tbuf *b = p;

    lock(b);
    flush_locked(b);
    unlock(b);
    mine = NULL;
    atomic_store(&b->owned, 0);
}

static struct tbuf *tbuf_acquire(void)
{
    struct tbuf *b;

    for (b = atomic_load(&registry); b; b = b->next) {
        int free_ = 0;

        if (atomic_compare_exchange_strong(&b->owned, &free_, 1))
            break;
    }
    if (!b) {
        b = mmap(NULL, sizeof(*b), PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (b == MAP_FAILED)
            return NULL;
        atomic_init(&b->owned, 1);
        atomic_flag_clear(&b->lock);
        b->next = atomic_load(&registry);
        while (!atomic_compare_exchange_weak(&registry, &b->next, b))
            ;
    }
    b->tid = (uint32_t)gettid();
    b->n = 0;
    mine = b;
    pthread_setspecific(tbuf_key, b);
    return b;
}

void tlog_event(enum reclog_op op, uint64_t ptr, uint64_t size,
                unsigned align_log2)
{
    struct tbuf *b = mine ? mine : tbuf_acquire();
    struct reclog_event *e;

    if (unlikely(!b))
        return;   /* no memory for a buffer: the event is lost */
    lock(b);
    e = &b->ev[b->n++];
    e->seq = atomic_fetch_add_explicit(&seq, 1, memory_order_relaxed);
    e->ptr = ptr;
    e->size = size;
    e->tid = b->tid;
    e->op = (uint8_t)op;
    e->align_log2 = (uint8_t)align_log2;
    e->pad = 0;
    if (b->n == TLOG_EVENTS ||
        atomic_load_explicit(&write_through, memory_order_relaxed))
        flush_locked(b);
    unlock(b);
}

/* Reads a small /proc file into BUF (NUL-terminated, possibly cut). */
static size_t read_small(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0)
        return 0;
    n = read(fd, buf, len - 1);
    close(fd);
    n = n < 0 ? 0 : n;
    buf[n] = 0;
    return (size_t)n;
}

static void fill_header(struct reclog_header *h, unsigned image)
{
    struct timespec ts;
    ssize_t n;

    memset(h, 0, sizeof(*h));
    memcpy(h->magic, RECLOG_MAGIC, sizeof(h->magic));
    h->version = RECLOG_VERSION;
    h->header_size = sizeof(*h);
    h->event_size = sizeof(struct reclog_event);
    h->pid = (uint32_t)getpid();
    h->ppid = (uint32_t)getppid();
    h->image = image;
    clock_gettime(CLOCK_REALTIME, &ts);
    h->start_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    n = readlink("/proc/self/exe", h->exe, sizeof(h->exe) - 1);
    h->exe[n > 0 ? n : 0] = 0;
    n = (ssize_t)read_small("/proc/self/cmdline", h->cmdline,
                            sizeof(h->cmdline));
    for (ssize_t i = 0; i + 1 < n; i++)   /* arguments: NULs to spaces */
        if (h->cmdline[i] == 0)
            h->cmdline[i] = ' ';
}

/* Opens DIR/<pid>.<image>.log with the first image number not taken. */
static int open_log(void)
{
    struct reclog_header h;
    char path[PATH_BYTES + 64];
    unsigned image;

    for (image = 0; image < MAX_IMAGES; image++) {
        snprintf(path, sizeof(path), "%s/%d.%u.log", log_dir, (int)getpid(),
                 image);
        log_fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC,
                      0600);
        if (log_fd >= 0 || errno != EEXIST)
            break;
    }
    if (log_fd < 0) {
        say("cannot create a log in ", log_dir);
        return -1;
    }
    fill_header(&h, image);
    write_all(&h, sizeof(h));
    return 0;
}

/* Children cut off: give them the LD_PRELOAD they had before ours. */
static void restore_preload(void)
{
    const char *before = getenv(RECORD_ENV_PRELOAD);

    if (before && *before)
        setenv("LD_PRELOAD", before, 1);
    else
        unsetenv("LD_PRELOAD");
    unsetenv(RECORD_ENV_DIR);
}

static void child_after_fork(void)
{
    int saved = rec_in_hook;

    if (!tlog_recording())
        return;
    rec_in_hook = 1;
    for (struct tbuf *b = atomic_load(&registry); b; b = b->next) {
        atomic_flag_clear(&b->lock);
        b->n = 0;
        atomic_store(&b->owned, b == mine);
    }
    if (mine)
        mine->tid = (uint32_t)gettid();
    close(log_fd);
    log_fd = -1;
    atomic_store(&seq, 0);
    if (!follow) {
        atomic_store(&recording, false);
        restore_preload();
    } else if (open_log() != 0) {
        atomic_store(&recording, false);
    }
    rec_in_hook = saved;
}

/* Runs when the process exits normally: later events are written at once. */
__attribute__((destructor)) static void tlog_exit(void)
{
    if (!tlog_recording())
        return;
    tlog_flush_all();
    atomic_store(&write_through, true);
}

/* Whether this process is the one xheap started (or an exec of it). xheap
 * sets the variable itself: a setenv here would allocate behind the
 * program's back, and the program may later realloc the environment. */
static bool is_root(void)
{
    const char *root = getenv(RECORD_ENV_ROOT);

    return root && strtol(root, NULL, 10) == (long)getpid();
}

void tlog_init(void)
{
    const char *dir = getenv(RECORD_ENV_DIR);
    const char *f = getenv(RECORD_ENV_FOLLOW);
    long ps = sysconf(_SC_PAGESIZE);

    if (ps > 0)
        page_size = (size_t)ps;
    if (!dir || strlen(dir) >= sizeof(log_dir))
        return;   /* loaded outside xheap record: stay inert */
    follow = !(f && strcmp(f, "0") == 0);
    if (!is_root() && !follow) {
        restore_preload();
        return;
    }
    strcpy(log_dir, dir);
    if (pthread_key_create(&tbuf_key, tbuf_release) != 0 ||
        pthread_atfork(NULL, NULL, child_after_fork) != 0)
        return;
    if (open_log() == 0)
        atomic_store(&recording, true);
}
