// SPDX-License-Identifier: MIT
/*
 * atomic_ops.c - one pair of each atomic-section helper per call, for
 * bench_atomic.  The locks are global, so under several benchmark threads
 * the lock pairs measure contention.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <linux/compiler.h>
#include <linux/might_sleep.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <kmem/kmem.h>

#include "atomic_ops.h"

static DEFINE_SPINLOCK(lock);
static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_spinlock_t pspin;
static sigset_t all;
static __thread unsigned long irq_flags;

/* kmalloc_kernel_in_section's one report goes nowhere. */
static void quiet_sink(const char *msg, void *arg)
{
	(void)msg;
	(void)arg;
}

static void *no_op_thread(void *arg)
{
	return arg;
}

/*
 * glibc takes a non-atomic shortcut in pthread_mutex_lock() while the
 * process has only ever had one thread; a program with several threads --
 * the only kind that needs locks -- never gets it.  One short-lived thread
 * puts every row, whatever the order, in that multi-threaded mode.
 */
static int go_multithreaded(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, no_op_thread, NULL))
		return -1;
	return pthread_join(t, NULL) ? -1 : 0;
}

int bench_atomic_init(void)
{
	struct kmem_options opts;
	char err[160];
	const char *env;

	if (go_multithreaded())
		return -11;
	kmem_options_init(&opts);
	opts.quiet = true;
	if (kmem_options_parse(&opts, "direct_mb=64,highmem_mb=8", err, sizeof(err)))
		return -22;
	env = getenv("KMEM_OPTIONS");
	if (env && kmem_options_parse(&opts, env, err, sizeof(err)))
		return -22;
	pthread_spin_init(&pspin, PTHREAD_PROCESS_PRIVATE);
	sigfillset(&all);
	kmem_set_report_sink(quiet_sink, NULL);
	return kmem_init(&opts);
}

noinline void bench_atomic_call(void)
{
	barrier();
}

void bench_atomic_mutex_pair(void)
{
	pthread_mutex_lock(&mutex);
	barrier();
	pthread_mutex_unlock(&mutex);
}

void bench_atomic_pthread_spin_pair(void)
{
	pthread_spin_lock(&pspin);
	barrier();
	pthread_spin_unlock(&pspin);
}

void bench_atomic_sigmask_pair(void)
{
	sigset_t old;

	pthread_sigmask(SIG_BLOCK, &all, &old);
	barrier();
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void bench_atomic_preempt_pair(void)
{
	preempt_disable();
	preempt_enable();
}

void bench_atomic_irqsave_pair(void)
{
	unsigned long flags;

	local_irq_save(flags);
	local_irq_restore(flags);
}

void bench_atomic_spin_pair(void)
{
	spin_lock(&lock);
	spin_unlock(&lock);
}

void bench_atomic_spin_irqsave_pair(void)
{
	unsigned long flags;

	spin_lock_irqsave(&lock, flags);
	spin_unlock_irqrestore(&lock, flags);
}

void bench_atomic_spin_bh_pair(void)
{
	spin_lock_bh(&lock);
	spin_unlock_bh(&lock);
}

void bench_atomic_might_sleep(void)
{
	might_sleep();
}

void bench_atomic_irq_off(void)
{
	local_irq_save(irq_flags);
}

void bench_atomic_irq_on(void)
{
	local_irq_restore(irq_flags);
}

void bench_atomic_kmalloc_kernel(void)
{
	void *p = kmalloc(64, GFP_KERNEL);

	kfree(p);
}

void bench_atomic_kmalloc_atomic_in_section(void)
{
	void *p;

	preempt_disable();
	p = kmalloc(64, GFP_ATOMIC);
	preempt_enable();
	kfree(p);
}

void bench_atomic_kmalloc_kernel_in_section(void)
{
	void *p;

	preempt_disable();
	p = kmalloc(64, GFP_KERNEL);	/* reported once (to the sink), then the check only */
	preempt_enable();
	kfree(p);
}
