/*
 * Xen guards each allocator with one spinlock (heap_lock, the pool lock,
 * vm_lock). The model does the same, so that contention looks like Xen's;
 * waiters yield after a short spin because replay threads may outnumber
 * cores, which a hypervisor's CPUs never do.
 */
#ifndef XHEAP_LOCK_H
#define XHEAP_LOCK_H

#include <sched.h>
#include <stdint.h>

#define SPIN_BEFORE_YIELD 128

typedef struct { int held; } spinlock_t;

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static inline void spin_lock(spinlock_t *l)
{
    unsigned spins = 0;

    while (__atomic_exchange_n(&l->held, 1, __ATOMIC_ACQUIRE)) {
        while (__atomic_load_n(&l->held, __ATOMIC_RELAXED)) {
            if (++spins < SPIN_BEFORE_YIELD)
                cpu_relax();
            else
                sched_yield();
        }
    }
}

static inline void spin_unlock(spinlock_t *l)
{
    __atomic_store_n(&l->held, 0, __ATOMIC_RELEASE);
}

/* Counters shared by threads: relaxed atomics, read as a snapshot. */
static inline void stat_add(uint64_t *c, uint64_t n)
{
    __atomic_fetch_add(c, n, __ATOMIC_RELAXED);
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
