/* Xen's ticket spinlock (xen/common/spinlock.c), out of line as Xen's. */
#include <sched.h>

#include "backends/lock.h"

/* this_cpu(__preempt_count): every lock held disables preemption. */
static __thread unsigned preempt_count;

/* Set before the threads start, read by waiters past the bound: relaxed. */
static bool oversubscribed = true;
static uint64_t yields;

void spin_set_oversubscribed(bool on)
{
    __atomic_store_n(&oversubscribed, on, __ATOMIC_RELAXED);
}

bool spin_oversubscribed(void)
{
    return __atomic_load_n(&oversubscribed, __ATOMIC_RELAXED);
}

uint64_t spin_yields(void)
{
    return stat_get(&yields);
}

void spin_reset_yields(void)
{
    __atomic_store_n(&yields, 0, __ATOMIC_RELAXED);
}

/* A waiter past SPIN_BEFORE_YIELD: the holder of the ticket before its
 * own may have lost its CPU, which only a yield gives back. */
static void spin_bound_reached(void)
{
    if (!spin_oversubscribed()) {
        cpu_relax();
        return;
    }
    stat_add(&yields, 1);
    sched_yield();
}

/* Waits for ticket TAIL to be served: out of the fast path, so that an
 * uncontended spin_lock saves no registers for the yield call, as Xen's
 * spin_lock_common has none to make. */
static void __attribute__((noinline, cold))
spin_wait(spinlock_t *l, uint16_t tail)
{
    unsigned spins = 0;

    /* observe_head: smp_rmb() (a compiler barrier on x86), read_atomic. */
    while (tail != __atomic_load_n(&l->tickets.head, __ATOMIC_ACQUIRE)) {
        if (++spins < SPIN_BEFORE_YIELD) {
            cpu_relax();
        } else {
            spins = 0;
            spin_bound_reached();
        }
    }
}

/* Xen's _spin_lock: spin_lock_common without a callback. */
void spin_lock(spinlock_t *l)
{
    spinlock_tickets_t t = { .head_tail = SPINLOCK_TICKET_INC };

    preempt_count++;
    __asm__ __volatile__("" ::: "memory");
    /* arch_fetch_and_add: lock xadd. */
    t.head_tail = __atomic_fetch_add(&l->tickets.head_tail, t.head_tail,
                                     __ATOMIC_ACQUIRE);
    if (t.tail != __atomic_load_n(&l->tickets.head, __ATOMIC_ACQUIRE))
        spin_wait(l, t.tail);
}

/* Xen's _spin_unlock: add_sized(&head, 1), a plain add to memory. */
void spin_unlock(spinlock_t *l)
{
#ifdef XHEAP_X86_BITOPS
    __asm__ __volatile__("addw $1, %0" : "+m"(l->tickets.head) :: "memory");
#else
    __atomic_store_n(&l->tickets.head,
                     (uint16_t)(__atomic_load_n(&l->tickets.head,
                                                __ATOMIC_RELAXED) + 1),
                     __ATOMIC_RELEASE);
#endif
    __asm__ __volatile__("" ::: "memory");
    preempt_count--;
}
