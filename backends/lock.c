/* Xen's ticket spinlock (xen/common/spinlock.c), out of line as Xen's. */
#include <sched.h>

#include "backends/lock.h"

/* this_cpu(__preempt_count): every lock held disables preemption. */
static __thread unsigned preempt_count;

/* Xen's _spin_lock: spin_lock_common without a callback. */
void spin_lock(spinlock_t *l)
{
    spinlock_tickets_t t = { .head_tail = SPINLOCK_TICKET_INC };
    unsigned spins = 0;

    preempt_count++;
    __asm__ __volatile__("" ::: "memory");
    /* arch_fetch_and_add: lock xadd. */
    t.head_tail = __atomic_fetch_add(&l->tickets.head_tail, t.head_tail,
                                     __ATOMIC_ACQUIRE);
    /* observe_head: smp_rmb() (a compiler barrier on x86), read_atomic. */
    while (t.tail != __atomic_load_n(&l->tickets.head, __ATOMIC_ACQUIRE)) {
        if (++spins < SPIN_BEFORE_YIELD) {
            cpu_relax();
        } else {
            spins = 0;
            sched_yield();
        }
    }
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
