/* SPDX-License-Identifier: MIT */
/*
 * Preemption and context counting, as the kernel's <linux/preempt.h>.
 *
 * Every thread has one word, __kmem_preempt_count, laid out as the
 * kernel's preempt_count with two kmem fields above it:
 *
 *	bits  0- 7	PREEMPT: preempt_disable() nesting (spin_lock() adds one)
 *	bits  8-15	SOFTIRQ: local_bh_disable() adds SOFTIRQ_DISABLE_OFFSET
 *	bits 16-19	HARDIRQ: irq_enter() (a signal handler that says so)
 *	bits 20-23	NMI
 *	bit  24		KMEM_IRQS_OFF: local_irq_save()/local_irq_disable() in force
 *			(<linux/irqflags.h>); not part of preempt_count()
 *	bits 32-63	RCU read-side nesting of kmem's rcu_read_lock(); not
 *			part of preempt_count() either
 *
 * The word is zero exactly when the thread may sleep, so might_sleep() and
 * the allocators' check cost one thread-local load.
 *
 * Userspace cannot stop preemption: preempt_disable() only counts.  It
 * marks the thread's atomic context, in which might_sleep() and sleeping
 * allocations (GFP_KERNEL) report the kernel's "sleeping function called
 * from invalid context", and it is what spin_lock() adds.  Code that needs
 * the CPU to stay the same must use rseq or pin itself; code that needs
 * mutual exclusion uses a spinlock.
 *
 * The count is per thread and changed with plain (non-atomic) increments:
 * a signal handler that runs between the load and the store of an update
 * leaves the word as it found it, as in the kernel.
 */
#ifndef _LINUX_PREEMPT_H
#define _LINUX_PREEMPT_H

#include <stdbool.h>
#include <linux/compiler.h>
#include <linux/cleanup.h>
#include <kmem/kmem.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * This thread's context word (see above).  Exported so that the inline
 * helpers reach it without a call; initial-exec TLS, one %fs-relative load.
 */
extern KMEM_API __thread unsigned long __kmem_preempt_count
	__attribute__((tls_model("initial-exec")));

/**
 * __kmem_preempt_count_underflow - report a preempt_count_sub() of @val
 * below zero (an unbalanced preempt_enable()); the count is left alone.
 */
KMEM_API void __cold __kmem_preempt_count_underflow(unsigned long val);

#ifdef __cplusplus
}
#endif

#define PREEMPT_BITS	8
#define SOFTIRQ_BITS	8
#define HARDIRQ_BITS	4
#define NMI_BITS	4

#define PREEMPT_SHIFT	0
#define SOFTIRQ_SHIFT	(PREEMPT_SHIFT + PREEMPT_BITS)
#define HARDIRQ_SHIFT	(SOFTIRQ_SHIFT + SOFTIRQ_BITS)
#define NMI_SHIFT	(HARDIRQ_SHIFT + HARDIRQ_BITS)

#define __IRQ_MASK(x)	((1UL << (x)) - 1)

#define PREEMPT_MASK	(__IRQ_MASK(PREEMPT_BITS) << PREEMPT_SHIFT)
#define SOFTIRQ_MASK	(__IRQ_MASK(SOFTIRQ_BITS) << SOFTIRQ_SHIFT)
#define HARDIRQ_MASK	(__IRQ_MASK(HARDIRQ_BITS) << HARDIRQ_SHIFT)
#define NMI_MASK	(__IRQ_MASK(NMI_BITS) << NMI_SHIFT)

#define PREEMPT_OFFSET	(1UL << PREEMPT_SHIFT)
#define SOFTIRQ_OFFSET	(1UL << SOFTIRQ_SHIFT)
#define HARDIRQ_OFFSET	(1UL << HARDIRQ_SHIFT)
#define NMI_OFFSET	(1UL << NMI_SHIFT)

/* local_bh_disable() counts in twos, so that "serving a softirq" is odd. */
#define SOFTIRQ_DISABLE_OFFSET	(2 * SOFTIRQ_OFFSET)
#define PREEMPT_DISABLE_OFFSET	PREEMPT_OFFSET
#define PREEMPT_LOCK_OFFSET	PREEMPT_DISABLE_OFFSET
/* What spin_lock_bh() adds: bottom halves and preemption off. */
#define SOFTIRQ_LOCK_OFFSET	(SOFTIRQ_DISABLE_OFFSET + PREEMPT_LOCK_OFFSET)

/* kmem: the kernel's fields, then local_irq_save() state and RCU nesting. */
#define KMEM_PREEMPT_COUNT_MASK	(PREEMPT_MASK | SOFTIRQ_MASK | HARDIRQ_MASK | NMI_MASK)
#define KMEM_IRQS_OFF		(1UL << 24)
#define KMEM_RCU_SHIFT		32
#define KMEM_RCU_OFFSET		(1UL << KMEM_RCU_SHIFT)

/** preempt_count - this thread's preemption and context count. */
static __always_inline int preempt_count(void)
{
	return (int)(__kmem_preempt_count & KMEM_PREEMPT_COUNT_MASK);
}

static __always_inline void __preempt_count_add(unsigned long val)
{
	__kmem_preempt_count += val;
}

/*
 * The kernel's CONFIG_DEBUG_PREEMPT checks, always on (they test the word
 * already loaded): a subtraction that would take the count below zero, or
 * borrow from the field above preemption, is reported and not done.
 */
static __always_inline void __preempt_count_sub(unsigned long val)
{
	unsigned long count = __kmem_preempt_count;

	if (unlikely(val > (count & KMEM_PREEMPT_COUNT_MASK) ||
		     (val < PREEMPT_MASK && !(count & PREEMPT_MASK)))) {
		__kmem_preempt_count_underflow(val);
		return;
	}
	__kmem_preempt_count = count - val;
}

#define preempt_count_add(val)	__preempt_count_add(val)
#define preempt_count_sub(val)	__preempt_count_sub(val)
#define preempt_count_inc()	preempt_count_add(1)
#define preempt_count_dec()	preempt_count_sub(1)

#define hardirq_count()	(preempt_count() & HARDIRQ_MASK)
#define softirq_count()	(preempt_count() & SOFTIRQ_MASK)
#define irq_count()	(preempt_count() & (NMI_MASK | HARDIRQ_MASK | SOFTIRQ_MASK))
#define nmi_count()	(preempt_count() & NMI_MASK)

/*
 * Context tests, as in the kernel.  In userspace, interrupt context is a
 * signal handler that brackets itself with irq_enter()/irq_exit()
 * (<linux/hardirq.h>); kmem cannot tell on its own that a handler runs.
 *
 * in_task()		- thread (process) context, not an irq/softirq/NMI
 * in_atomic()		- preemption disabled in any way: must not sleep.
 *			  Does not see local_irq_save() (use irqs_disabled())
 *			  nor rcu_read_lock(), exactly like the kernel's.
 * in_interrupt()	- irq, softirq or NMI context, or bottom halves off
 * in_softirq()		- serving a softirq or bottom halves off
 */
#define in_nmi()		(nmi_count())
#define in_hardirq()		(hardirq_count())
#define in_irq()		in_hardirq()
#define in_serving_softirq()	(softirq_count() & SOFTIRQ_OFFSET)
#define in_softirq()		(softirq_count())
#define in_interrupt()		(irq_count())
#define in_task()		(!(in_nmi() | in_hardirq() | in_serving_softirq()))
#define in_atomic()		(preempt_count() != 0)

/* Preemptible: no preempt_disable(), no irq context, interrupts (signals) on. */
#define preemptible()	((__kmem_preempt_count & (KMEM_PREEMPT_COUNT_MASK | KMEM_IRQS_OFF)) == 0)

/**
 * preempt_disable - enter an atomic section (nests).
 *
 * Userspace: counts only; the thread can still be preempted or migrated.
 * Until the matching preempt_enable(), might_sleep() and sleeping
 * allocations report, and allocations proceed as if GFP_ATOMIC without
 * the reserves (they never reclaim nor wait).
 * Context: any.  Cost: one thread-local add.
 */
#define preempt_disable()							\
	do {									\
		preempt_count_inc();						\
		barrier();							\
	} while (0)

/** preempt_enable - leave the atomic section preempt_disable() began. */
#define preempt_enable()							\
	do {									\
		barrier();							\
		preempt_count_dec();						\
	} while (0)

#define preempt_enable_no_resched()	preempt_enable()
#define preempt_disable_notrace()	preempt_disable()
#define preempt_enable_notrace()	preempt_enable()
#define sched_preempt_enable_no_resched()	preempt_enable()
#define preempt_check_resched()		do { } while (0)

/** guard(preempt)() - preemption disabled to the end of the scope. */
DEFINE_LOCK_GUARD_0(preempt, preempt_disable(), preempt_enable())
DEFINE_LOCK_GUARD_0(preempt_notrace, preempt_disable_notrace(), preempt_enable_notrace())

#endif /* _LINUX_PREEMPT_H */
