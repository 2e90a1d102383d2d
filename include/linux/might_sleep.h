/* SPDX-License-Identifier: MIT */
/*
 * might_sleep() and friends, as the kernel has them (in <linux/kernel.h>)
 * with CONFIG_DEBUG_ATOMIC_SLEEP: annotations that a function may sleep,
 * checked against the thread's atomic context -- preempt_disable(),
 * spin_lock(), local_irq_save(), local_bh_disable(), irq_enter() and kmem's
 * rcu_read_lock(), all counted in one thread-local word (<linux/preempt.h>).
 *
 * Outside any such section the check is one thread-local load and a
 * branch.  Inside one, the first time a call site gets there it prints the
 * kernel's report through kmem's report sink (kmem_set_report_sink()):
 *
 *	BUG: sleeping function called from invalid context at foo.c:42
 *	in_atomic(): 1, irqs_disabled(): 0, non_block: 0, pid: 4242, name: prog
 *	preempt_count: 1, expected: 0
 *	RCU nest depth: 0, expected: 0
 *	CPU: 3 PID: 4242 Comm: prog
 *	Call Trace:
 *	 <TASK>
 *	 ...
 *	 </TASK>
 *
 * Each call site reports once (the kernel rate-limits to one report a
 * second instead); nothing else happens, the caller goes on.  kmem's own
 * sleeping entry points (kmalloc(GFP_KERNEL) and every allocator that may
 * reclaim, vmalloc()) make the same check; there the allocation goes on
 * as if it could not sleep (no reclaim, no waiting).
 */
#ifndef _LINUX_MIGHT_SLEEP_H
#define _LINUX_MIGHT_SLEEP_H

#include <linux/compiler.h>
#include <linux/preempt.h>
#include <kmem/kmem.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * __kmem_might_sleep - the report behind might_sleep(): "sleeping function
 * called from invalid context at @file:@line", once per call site (the
 * return address).  Does nothing when the thread may sleep.
 */
KMEM_API void __kmem_might_sleep(const char *file, int line);

/**
 * __kmem_cant_sleep - the report behind cant_sleep(): "assuming atomic
 * context at @file:@line", once per call site, when the thread is not in
 * atomic context.
 */
KMEM_API void __kmem_cant_sleep(const char *file, int line);

#ifdef __cplusplus
}
#endif

#define __might_sleep(file, line)						\
	do {									\
		if (unlikely(__kmem_preempt_count != 0))			\
			__kmem_might_sleep(file, line);				\
	} while (0)

/**
 * might_sleep - annotation for functions that can sleep.
 *
 * Reports (once per call site) when called in atomic context: with
 * preemption, interrupts (signals) or bottom halves disabled, a spinlock
 * held, or inside rcu_read_lock().  Context: any.  Cost outside atomic
 * context: one thread-local load.
 */
#define might_sleep()		__might_sleep(__FILE__, __LINE__)

/** might_sleep_if - might_sleep() when @cond is true. */
#define might_sleep_if(cond)							\
	do {									\
		if (cond)							\
			might_sleep();						\
	} while (0)

/** might_resched - a voluntary preemption point: nothing in userspace. */
#define might_resched()		do { } while (0)

/**
 * cant_sleep - annotation for functions that must be called in atomic
 * context: reports (once per call site) when preemption and interrupts are
 * both enabled.  rcu_read_lock() alone does not count, as in the kernel.
 */
#define cant_sleep()								\
	do {									\
		if (unlikely(!(__kmem_preempt_count &				\
			       (KMEM_PREEMPT_COUNT_MASK | KMEM_IRQS_OFF))))	\
			__kmem_cant_sleep(__FILE__, __LINE__);			\
	} while (0)

#endif /* _LINUX_MIGHT_SLEEP_H */
