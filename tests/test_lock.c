/*
 * The model's ticket lock yields only where it is told that threads
 * outnumber CPUs (backends/lock.h): otherwise its waiters spin with pause
 * only, as Xen's do, however long the holder keeps them waiting.
 *
 * The holder keeps the lock while it sleeps (a holder without a CPU) until
 * each waiter has spun for WAITER_CPU_NS of its own CPU time: far more
 * than SPIN_BEFORE_YIELD pauses, so each has crossed the bound many times,
 * however busy the machine is. Nothing is asserted about time itself.
 */
#include "tests/check.h"

#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include "backends/lock.h"

#define WAITERS        2
/* Several milliseconds of spinning: thousands of pauses many times over. */
#define WAITER_CPU_NS  (20ull * 1000 * 1000)
/* A waiter that spun this long with no yield counted will never yield. */
#define GIVE_UP_CPU_NS (2000ull * 1000 * 1000)
#define NAP_NS         (1000 * 1000)

static spinlock_t lock;
static unsigned long passed;   /* under the lock */

static void *waiter_main(void *arg)
{
    (void)arg;
    spin_lock(&lock);
    passed++;
    spin_unlock(&lock);
    return NULL;
}

static uint64_t cpu_ns(pthread_t t)
{
    clockid_t id;
    struct timespec ts;

    if (pthread_getcpuclockid(t, &id) || clock_gettime(id, &ts))
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Tickets drawn and not yet served: the holder's and every waiter's. */
static unsigned queued(void)
{
    spinlock_tickets_t t;

    t.head_tail = __atomic_load_n(&lock.tickets.head_tail, __ATOMIC_ACQUIRE);
    return (uint16_t)(t.tail - t.head);
}

static void nap(void)
{
    struct timespec ts = { 0, NAP_NS };

    nanosleep(&ts, NULL);
}

/* Each waiter has spun at least ns of CPU time. */
static bool all_spun(const pthread_t *w, uint64_t ns)
{
    for (unsigned i = 0; i < WAITERS; i++)
        if (cpu_ns(w[i]) < ns)
            return false;
    return true;
}

/*
 * Holds the lock, asleep, while WAITERS threads queue behind it, until
 * each has spun WAITER_CPU_NS, and with want_yield until a yield is also
 * counted (or a waiter has spun GIVE_UP_CPU_NS); then lets them through.
 * Returns the yields counted while they waited.
 */
static uint64_t hold_while_waiters_spin(bool want_yield)
{
    pthread_t w[WAITERS];
    uint64_t yields;

    passed = 0;
    spin_reset_yields();
    spin_lock(&lock);
    for (unsigned i = 0; i < WAITERS; i++)
        assert_int_equal(pthread_create(&w[i], NULL, waiter_main, NULL), 0);
    while (queued() < 1 + WAITERS)
        nap();
    while (!all_spun(w, WAITER_CPU_NS) ||
           (want_yield && !spin_yields() && !all_spun(w, GIVE_UP_CPU_NS)))
        nap();
    yields = spin_yields();
    spin_unlock(&lock);
    for (unsigned i = 0; i < WAITERS; i++)
        pthread_join(w[i], NULL);
    assert_int_equal(passed, WAITERS);
    return yields;
}

/* Every thread has a CPU: waiters spin with pause only, as Xen's. */
static void test_no_yield_with_a_cpu_each(void **state)
{
    (void)state;
    spin_set_oversubscribed(false);
    assert_false(spin_oversubscribed());
    assert_int_equal(hold_while_waiters_spin(false), 0);
    spin_set_oversubscribed(true);
}

/* Threads outnumber CPUs: waiters behind a sleeping holder yield, and
 * every yield is counted. */
static void test_yield_when_oversubscribed(void **state)
{
    (void)state;
    spin_set_oversubscribed(true);
    assert_true(hold_while_waiters_spin(true) > 0);
}

/* An uncontended lock never gets near the bound. */
static void test_uncontended(void **state)
{
    (void)state;
    spin_set_oversubscribed(true);
    spin_reset_yields();
    for (unsigned i = 0; i < 100000; i++) {
        spin_lock(&lock);
        spin_unlock(&lock);
    }
    assert_int_equal(spin_yields(), 0);
    assert_int_equal(queued(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_yield_with_a_cpu_each),
        cmocka_unit_test(test_yield_when_oversubscribed),
        cmocka_unit_test(test_uncontended),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
