/* SPDX-License-Identifier: MIT */
/*
 * Interrupt context, as the kernel's <linux/hardirq.h>.  A signal handler
 * is kmem's interrupt, but kmem cannot see one start: a handler that wants
 * in_task() false and in_hardirq()/in_interrupt() true (and the report of
 * a sleeping call made inside it to say so) brackets its body with
 * irq_enter()/irq_exit().  Both only count (HARDIRQ_OFFSET in
 * preempt_count()), so they are async-signal-safe.
 */
#ifndef _LINUX_HARDIRQ_H
#define _LINUX_HARDIRQ_H

#include <linux/compiler.h>
#include <linux/preempt.h>

/** irq_enter - enter interrupt (signal handler) context. */
static __always_inline void irq_enter(void)
{
	preempt_count_add(HARDIRQ_OFFSET);
	barrier();
}

/** irq_exit - leave interrupt context irq_enter() began. */
static __always_inline void irq_exit(void)
{
	barrier();
	preempt_count_sub(HARDIRQ_OFFSET);
}

/** nmi_enter - enter NMI context (a handler for a signal no section masks). */
static __always_inline void nmi_enter(void)
{
	preempt_count_add(NMI_OFFSET + HARDIRQ_OFFSET);
	barrier();
}

/** nmi_exit - leave NMI context. */
static __always_inline void nmi_exit(void)
{
	barrier();
	preempt_count_sub(NMI_OFFSET + HARDIRQ_OFFSET);
}

#endif /* _LINUX_HARDIRQ_H */
