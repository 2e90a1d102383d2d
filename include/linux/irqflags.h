/* SPDX-License-Identifier: MIT */
/*
 * Interrupt disabling, as the kernel's <linux/irqflags.h>.  In userspace
 * the interrupt is a signal, so local_irq_save() really blocks signals for
 * the calling thread (pthread_sigmask()): code inside must not be
 * interrupted by a handler that could take the same spinlock
 * (spin_lock_irqsave()) or see a half-updated structure.
 *
 * What is blocked: every signal that can be, except the ones the kernel
 * raises for the thread's own faults -- SIGSEGV, SIGBUS, SIGFPE, SIGILL,
 * SIGTRAP, SIGSYS.  Those are exceptions, not interrupts (the kernel's
 * local_irq_save() does not mask page faults either), and a blocked one
 * would kill the process instead of running its handler.  glibc's own
 * internal signals stay unblocked as well (pthread_sigmask() refuses them).
 *
 * Nesting is the kernel's: the flags word says whether interrupts were
 * already off.  Only the outermost local_irq_save() blocks signals (one
 * system call), saving the thread's mask; only the matching
 * local_irq_restore() puts that mask back (one more).  Inner pairs are two
 * thread-local loads.  irqs_disabled() reads the same thread-local word.
 *
 * Caveats: a sigprocmask() made inside the section is undone by the final
 * local_irq_restore(); a thread created inside one inherits the blocked
 * mask (pthread_create() copies it) but not the section, so it starts with
 * irqs_disabled() false and its signals blocked.  The flags word means
 * something only to the thread that filled it.
 *
 * Cost (docs/atomic.md): an outermost save + restore is two system calls,
 * some 25 uncontended pthread_mutex lock/unlock pairs; nested pairs and
 * irqs_disabled() are thread-local loads.
 */
#ifndef _LINUX_IRQFLAGS_H
#define _LINUX_IRQFLAGS_H

#include <linux/compiler.h>
#include <linux/cleanup.h>
#include <linux/preempt.h>
#include <kmem/kmem.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * __kmem_local_irq_disable - block signals for this thread, remember its
 * mask and mark interrupts off.
 * Context: interrupts (signals) on.  local_irq_disable() and
 * local_irq_save() call it only then.
 */
KMEM_API void __kmem_local_irq_disable(void);

/**
 * __kmem_local_irq_enable - mark interrupts on and give the thread back the
 * mask __kmem_local_irq_disable() saved; pending signals are delivered now.
 * Context: interrupts off.
 */
KMEM_API void __kmem_local_irq_enable(void);

#ifdef __cplusplus
}
#endif

/* Nonzero: interrupts (signals) were off when the flags were saved. */
static __always_inline unsigned long arch_local_save_flags(void)
{
	return __kmem_preempt_count & KMEM_IRQS_OFF;
}

static __always_inline int arch_irqs_disabled_flags(unsigned long flags)
{
	return flags != 0;
}

static __always_inline int arch_irqs_disabled(void)
{
	return arch_irqs_disabled_flags(arch_local_save_flags());
}

static __always_inline void arch_local_irq_disable(void)
{
	if (!arch_irqs_disabled())
		__kmem_local_irq_disable();
	barrier();
}

static __always_inline void arch_local_irq_enable(void)
{
	barrier();
	if (arch_irqs_disabled())
		__kmem_local_irq_enable();
}

static __always_inline unsigned long arch_local_irq_save(void)
{
	unsigned long flags = arch_local_save_flags();

	if (!flags)
		__kmem_local_irq_disable();
	barrier();
	return flags;
}

static __always_inline void arch_local_irq_restore(unsigned long flags)
{
	if (arch_irqs_disabled_flags(flags))
		arch_local_irq_disable();
	else
		arch_local_irq_enable();
}

/* The kernel's typecheck(): flags must be an unsigned long. */
#define __irqflags_typecheck(x)							\
	((void)__extension__({							\
		unsigned long __dummy;						\
		__typeof__(x) __dummy2;						\
		(void)(&__dummy == &__dummy2);					\
		1;								\
	}))

/**
 * local_irq_save - save whether interrupts (signals) are on in @flags, an
 * unsigned long, and turn them off for this thread.
 * Context: any.  Cost: a system call when they were on, else a load.
 */
#define local_irq_save(flags)							\
	do {									\
		__irqflags_typecheck(flags);					\
		(flags) = arch_local_irq_save();				\
	} while (0)

/**
 * local_irq_restore - put interrupts back as local_irq_save() found them:
 * on (the thread's old signal mask, and pending signals run) or still off.
 */
#define local_irq_restore(flags)						\
	do {									\
		__irqflags_typecheck(flags);					\
		arch_local_irq_restore(flags);					\
	} while (0)

/** local_save_flags - @flags says whether interrupts are off, changing nothing. */
#define local_save_flags(flags)							\
	do {									\
		__irqflags_typecheck(flags);					\
		(flags) = arch_local_save_flags();				\
	} while (0)

/** local_irq_disable - turn interrupts (signals) off; does not nest. */
#define local_irq_disable()	arch_local_irq_disable()
/** local_irq_enable - turn them on, whatever nesting was done with _save. */
#define local_irq_enable()	arch_local_irq_enable()

/** irqs_disabled_flags - did @flags record interrupts off? */
#define irqs_disabled_flags(flags)	arch_irqs_disabled_flags(flags)
/** irqs_disabled - are interrupts (signals) off for this thread? */
#define irqs_disabled()			arch_irqs_disabled()

/** guard(irq)() - interrupts off to the end of the scope, then on. */
DEFINE_LOCK_GUARD_0(irq, local_irq_disable(), local_irq_enable())
/** guard(irqsave)() - interrupts off to the end of the scope, then restored. */
DEFINE_LOCK_GUARD_0(irqsave, local_irq_save(_T->flags), local_irq_restore(_T->flags),
		    unsigned long flags)

#endif /* _LINUX_IRQFLAGS_H */
