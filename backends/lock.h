/*
 * Xen guards each allocator with one spinlock (heap_lock, the pool lock,
 * vm_lock), and the model takes the same ones at the same places with the
 * same kind of lock: xen/common/spinlock.c's FIFO ticket lock, taken out of
 * line (_spin_lock, _spin_unlock), a lock xadd to draw a ticket, pause
 * while another ticket is served, a plain add to serve the next one.
 *
 * And the same kind of bit operations: on x86 Xen's set_bit, clear_bit and
 * test_and_clear_bit are lock-prefixed bts/btr (asm/bitops.h), its
 * __set_bit and friends plain ones.
 */
#ifndef XHEAP_LOCK_H
#define XHEAP_LOCK_H

#include <stdbool.h>
#include <stdint.h>

/*
 * A hypervisor's CPUs are never preempted while spinning, and Xen's
 * waiters spin with pause only; so do the model's while every thread has a
 * CPU of its own. Threads that outnumber the host's CPUs may be
 * descheduled, and a FIFO lock then waits for the descheduled holder of
 * the next ticket: only then (spin_set_oversubscribed) does a waiter that
 * has spun this many times (tens of microseconds, far beyond any hold of
 * these locks) yield its CPU, and the yield is counted (spin_yields), so
 * that a run can say its times include the scheduler's. The replay
 * engine's own waits (drivers/measure/threads.h) use the same bound.
 */
#define SPIN_BEFORE_YIELD 4096

/* spinlock_tickets_t: head is the ticket served, tail the next drawn. */
typedef union {
    uint32_t head_tail;
    struct {
        uint16_t head, tail;
    };
} spinlock_tickets_t;

#define SPINLOCK_TICKET_INC 0x10000u   /* tail + 1 */

typedef struct {
    spinlock_tickets_t tickets;
} spinlock_t;

/* Xen's _spin_lock and _spin_unlock (spin_lock_common, spin_unlock_common):
 * out of line, in lock.c, with preempt_disable and preempt_enable. */
void spin_lock(spinlock_t *l);
void spin_unlock(spinlock_t *l);

/*
 * Whether the process runs more threads on these locks than it has CPUs;
 * the replay says so once, before it measures. Until told, a process is
 * taken to be oversubscribed (tests, the soak): its waiters may yield, as
 * a thread left without a CPU needs them to.
 */
void spin_set_oversubscribed(bool on);
bool spin_oversubscribed(void);

/* Yields made by waiters since the last reset, all locks together. */
uint64_t spin_yields(void);
void spin_reset_yields(void);

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/*
 * x86 bit operations on a word, as Xen's. ThreadSanitizer cannot see into
 * inline assembly, so under it (and off x86) the same operations are the
 * compiler's atomics: the same locked instructions, or an atomic load and
 * store where Xen's is plain.
 */
#if (defined(__x86_64__) || defined(__i386__)) && !defined(__SANITIZE_THREAD__)
#define XHEAP_X86_BITOPS 1
#endif

/* set_bit: lock bts */
static inline void set_bit32(unsigned nr, uint32_t *w)
{
#ifdef XHEAP_X86_BITOPS
    __asm__ __volatile__("lock btsl %1, %0" : "+m"(*w) : "Ir"(nr) : "memory");
#else
    __atomic_fetch_or(w, 1u << nr, __ATOMIC_SEQ_CST);
#endif
}

/* clear_bit: lock btr */
static inline void clear_bit32(unsigned nr, uint32_t *w)
{
#ifdef XHEAP_X86_BITOPS
    __asm__ __volatile__("lock btrl %1, %0" : "+m"(*w) : "Ir"(nr) : "memory");
#else
    __atomic_fetch_and(w, ~(1u << nr), __ATOMIC_SEQ_CST);
#endif
}

/* test_and_clear_bit on a 64-bit word (count_info): lock btr, then the
 * carry flag. Xen's takes the bit number in a register whenever it is
 * above 31 (the "Ir" constraint), as every PGC_* bit is: the bit-string
 * form, slower than an immediate, and the one Xen runs. */
static inline bool test_and_clear_bit64(unsigned nr, unsigned long *w)
{
#ifdef XHEAP_X86_BITOPS
    bool old;

    __asm__ __volatile__("lock btrl %2, %1"
                         : "=@ccc"(old), "+m"(*(volatile int *)w) : "r"(nr)
                         : "memory");
    return old;
#else
    return __atomic_fetch_and(w, ~(1ul << nr), __ATOMIC_SEQ_CST) &
           (1ul << nr);
#endif
}

/* Counters shared by threads: relaxed atomics, read as a snapshot. */
static inline void stat_add(uint64_t *c, uint64_t n)
{
    __atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

/* A counter every writer updates holding one lock (heap_lock, the page
 * tables' lock): a plain add, as Xen's own code would do, no lock prefix
 * on the timed path; the relaxed load and store keep readers that do not
 * take the lock free of torn values. */
static inline void stat_add_locked(uint64_t *c, uint64_t n)
{
    __atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n,
                     __ATOMIC_RELAXED);
}

static inline void stat_sub(uint64_t *c, uint64_t n)
{
    __atomic_fetch_sub(c, n, __ATOMIC_RELAXED);
}

static inline uint64_t stat_get(const uint64_t *c)
{
    return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/* Raises *peak to at least v. */
static inline void stat_peak(uint64_t *peak, uint64_t v)
{
    uint64_t old = __atomic_load_n(peak, __ATOMIC_RELAXED);

    while (v > old &&
           !__atomic_compare_exchange_n(peak, &old, v, 1, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED))
        ;
}

#endif
