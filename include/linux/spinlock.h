/* SPDX-License-Identifier: MIT */
/*
 * Spinlocks, as the kernel's <linux/spinlock.h>: spin_lock() disables
 * preemption (counts, see <linux/preempt.h>) and takes a real spinning
 * lock; the _irqsave/_irq variants also turn interrupts -- signals -- off
 * for the thread (<linux/irqflags.h>), the _bh ones bottom halves.
 *
 * Which to use, as in the kernel: a lock that a signal handler also takes
 * must be taken with spin_lock_irqsave() (or spin_lock_irq()) everywhere
 * outside the handler, or the handler, interrupting its own thread inside
 * the section, spins for ever on a lock that thread holds.  A lock no
 * handler takes needs only spin_lock(), which costs no system call.
 *
 * The lock: a 4-byte word, test-and-test-and-set.  The uncontended path
 * is one atomic exchange inline; a waiter reads the word (no cache-line
 * ping-pong) with cpu_relax() between reads, and after a bounded spin
 * backs off with sched_yield(), because in userspace the holder may have
 * been preempted: a kernel spinlock holder cannot be, ours can.  Unlock is
 * a release store.  Acquire/release __atomic builtins make the ordering
 * visible to ThreadSanitizer.  There is no fairness and no owner; the
 * word works in memory shared between processes.
 *
 * Holding a spinlock is atomic context: no sleeping (might_sleep()
 * reports), and kmalloc(GFP_KERNEL) and friends report once per call site
 * and proceed without reclaim (they never wait).  Keep sections short:
 * a waiter burns CPU until the holder is scheduled again.
 */
#ifndef _LINUX_SPINLOCK_H
#define _LINUX_SPINLOCK_H

#include <stdbool.h>
#include <linux/compiler.h>
#include <linux/cleanup.h>
#include <linux/preempt.h>
#include <linux/irqflags.h>
#include <linux/bottom_half.h>
#include <linux/might_sleep.h>
#include <linux/processor.h>
#include <linux/spinlock_types.h>
#include <kmem/kmem.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * __kmem_spin_lock_slow - wait for @lock and take it: spin reading it with
 * cpu_relax(), then yield the CPU between reads.
 * Context: preemption disabled by the caller (raw_spin_lock()).
 */
KMEM_API void __kmem_spin_lock_slow(arch_spinlock_t *lock);

/**
 * __kmem_spin_bug - the kernel's BUG() for assert_spin_locked(): print
 * "kernel BUG at @file:@line!" with @what and abort.
 */
KMEM_API void __cold __noreturn __kmem_spin_bug(const void *lock, const char *what,
						 const char *file, int line);

#ifdef __cplusplus
}
#endif

/* ------------------------------------------------------------------ */
/* The lock word                                                       */
/* ------------------------------------------------------------------ */

static __always_inline int arch_spin_is_locked(arch_spinlock_t *lock)
{
	return __atomic_load_n(&lock->locked, __ATOMIC_RELAXED) != 0;
}

static __always_inline bool arch_spin_trylock(arch_spinlock_t *lock)
{
	return !__atomic_load_n(&lock->locked, __ATOMIC_RELAXED) &&
	       !__atomic_exchange_n(&lock->locked, 1, __ATOMIC_ACQUIRE);
}

static __always_inline void arch_spin_lock(arch_spinlock_t *lock)
{
	if (unlikely(__atomic_exchange_n(&lock->locked, 1, __ATOMIC_ACQUIRE)))
		__kmem_spin_lock_slow(lock);
}

static __always_inline void arch_spin_unlock(arch_spinlock_t *lock)
{
	__atomic_store_n(&lock->locked, 0, __ATOMIC_RELEASE);
}

/* ------------------------------------------------------------------ */
/* raw_spinlock_t                                                      */
/* ------------------------------------------------------------------ */

/** raw_spin_lock_init - make @lock an unlocked spinlock. */
static inline void raw_spin_lock_init(raw_spinlock_t *lock)
{
	__atomic_store_n(&lock->raw_lock.locked, 0, __ATOMIC_RELAXED);
}

static __always_inline void raw_spin_lock(raw_spinlock_t *lock)
{
	preempt_disable();
	arch_spin_lock(&lock->raw_lock);
}

static __always_inline void raw_spin_unlock(raw_spinlock_t *lock)
{
	arch_spin_unlock(&lock->raw_lock);
	preempt_enable();
}

static __always_inline int raw_spin_trylock(raw_spinlock_t *lock)
{
	preempt_disable();
	if (arch_spin_trylock(&lock->raw_lock))
		return 1;
	preempt_enable();
	return 0;
}

static __always_inline unsigned long _raw_spin_lock_irqsave(raw_spinlock_t *lock)
{
	unsigned long flags;

	local_irq_save(flags);
	raw_spin_lock(lock);
	return flags;
}

static __always_inline void _raw_spin_unlock_irqrestore(raw_spinlock_t *lock,
							unsigned long flags)
{
	arch_spin_unlock(&lock->raw_lock);
	local_irq_restore(flags);
	preempt_enable();
}

static __always_inline void raw_spin_lock_irq(raw_spinlock_t *lock)
{
	local_irq_disable();
	raw_spin_lock(lock);
}

static __always_inline void raw_spin_unlock_irq(raw_spinlock_t *lock)
{
	arch_spin_unlock(&lock->raw_lock);
	local_irq_enable();
	preempt_enable();
}

static __always_inline void raw_spin_lock_bh(raw_spinlock_t *lock)
{
	preempt_count_add(SOFTIRQ_LOCK_OFFSET);
	barrier();
	arch_spin_lock(&lock->raw_lock);
}

static __always_inline void raw_spin_unlock_bh(raw_spinlock_t *lock)
{
	arch_spin_unlock(&lock->raw_lock);
	barrier();
	preempt_count_sub(SOFTIRQ_LOCK_OFFSET);
}

static __always_inline int raw_spin_trylock_bh(raw_spinlock_t *lock)
{
	preempt_count_add(SOFTIRQ_LOCK_OFFSET);
	barrier();
	if (arch_spin_trylock(&lock->raw_lock))
		return 1;
	barrier();
	preempt_count_sub(SOFTIRQ_LOCK_OFFSET);
	return 0;
}

static __always_inline int raw_spin_trylock_irq(raw_spinlock_t *lock)
{
	local_irq_disable();
	if (raw_spin_trylock(lock))
		return 1;
	local_irq_enable();
	return 0;
}

#define raw_spin_lock_irqsave(lock, flags)					\
	do {									\
		__irqflags_typecheck(flags);					\
		(flags) = _raw_spin_lock_irqsave(lock);				\
	} while (0)

#define raw_spin_unlock_irqrestore(lock, flags)					\
	do {									\
		__irqflags_typecheck(flags);					\
		_raw_spin_unlock_irqrestore(lock, flags);			\
	} while (0)

#define raw_spin_trylock_irqsave(lock, flags)					\
	__extension__({								\
		local_irq_save(flags);						\
		raw_spin_trylock(lock) ? 1 : ({ local_irq_restore(flags); 0; });	\
	})

#define raw_spin_is_locked(lock)	arch_spin_is_locked(&(lock)->raw_lock)
#define raw_spin_lock_nested(lock, subclass)	raw_spin_lock(lock)

/* ------------------------------------------------------------------ */
/* spinlock_t                                                          */
/* ------------------------------------------------------------------ */

/** spin_lock_init - make @lock an unlocked spinlock (or use DEFINE_SPINLOCK). */
static inline void spin_lock_init(spinlock_t *lock)
{
	raw_spin_lock_init(&lock->rlock);
}

/**
 * spin_lock - take @lock, spinning (then yielding) while another holds it.
 * Context: any; not from a signal handler for a lock its thread may hold
 * (use spin_lock_irqsave() outside the handler).  Disables preemption:
 * the section is atomic context until spin_unlock().
 */
static __always_inline void spin_lock(spinlock_t *lock)
{
	raw_spin_lock(&lock->rlock);
}

/** spin_unlock - release @lock and leave the atomic section spin_lock() began. */
static __always_inline void spin_unlock(spinlock_t *lock)
{
	raw_spin_unlock(&lock->rlock);
}

/**
 * spin_trylock - take @lock if it is free.
 * Return: 1 with the lock held (and preemption disabled), 0 otherwise.
 */
static __always_inline int spin_trylock(spinlock_t *lock)
{
	return raw_spin_trylock(&lock->rlock);
}

/** spin_lock_irq - local_irq_disable() then spin_lock(). */
static __always_inline void spin_lock_irq(spinlock_t *lock)
{
	raw_spin_lock_irq(&lock->rlock);
}

/** spin_unlock_irq - spin_unlock(), interrupts (signals) back on unconditionally. */
static __always_inline void spin_unlock_irq(spinlock_t *lock)
{
	raw_spin_unlock_irq(&lock->rlock);
}

/** spin_lock_bh - local_bh_disable() then spin_lock(). */
static __always_inline void spin_lock_bh(spinlock_t *lock)
{
	raw_spin_lock_bh(&lock->rlock);
}

/** spin_unlock_bh - spin_unlock() then local_bh_enable(). */
static __always_inline void spin_unlock_bh(spinlock_t *lock)
{
	raw_spin_unlock_bh(&lock->rlock);
}

static __always_inline int spin_trylock_bh(spinlock_t *lock)
{
	return raw_spin_trylock_bh(&lock->rlock);
}

static __always_inline int spin_trylock_irq(spinlock_t *lock)
{
	return raw_spin_trylock_irq(&lock->rlock);
}

/**
 * spin_lock_irqsave - local_irq_save(@flags) then spin_lock(@lock): the
 * lock may also be taken by this thread's signal handlers.
 * @flags: an unsigned long, given back to spin_unlock_irqrestore()
 */
#define spin_lock_irqsave(lock, flags)	raw_spin_lock_irqsave(&(lock)->rlock, flags)

/** spin_unlock_irqrestore - spin_unlock(@lock) then local_irq_restore(@flags). */
#define spin_unlock_irqrestore(lock, flags)					\
	raw_spin_unlock_irqrestore(&(lock)->rlock, flags)

/** spin_trylock_irqsave - spin_trylock() with interrupts saved in @flags and off. */
#define spin_trylock_irqsave(lock, flags)	raw_spin_trylock_irqsave(&(lock)->rlock, flags)

/** spin_lock_nested - spin_lock(); lockdep's subclass is ignored. */
#define spin_lock_nested(lock, subclass)	spin_lock(lock)
#define spin_lock_irqsave_nested(lock, flags, subclass)	spin_lock_irqsave(lock, flags)

/**
 * spin_is_locked - is @lock held (by anyone)?  A racy snapshot: for
 * assertions, never for synchronisation.
 */
static __always_inline int spin_is_locked(spinlock_t *lock)
{
	return raw_spin_is_locked(&lock->rlock);
}

/**
 * assert_spin_locked - BUG() unless @lock is held (by anyone: the lock has
 * no owner to compare with, as the kernel's has none without lockdep).
 */
#define assert_raw_spin_locked(lock)						\
	do {									\
		if (unlikely(!raw_spin_is_locked(lock)))			\
			__kmem_spin_bug((lock), "assert_spin_locked() on a free lock", \
					__FILE__, __LINE__);			\
	} while (0)
#define assert_spin_locked(lock)	assert_raw_spin_locked(&(lock)->rlock)

/* ------------------------------------------------------------------ */
/* Guards: guard(spinlock)(&lock), scoped_guard(spinlock_irqsave, &lock) */
/* ------------------------------------------------------------------ */

DEFINE_LOCK_GUARD_1(raw_spinlock, raw_spinlock_t, raw_spin_lock(_T->lock),
		    raw_spin_unlock(_T->lock))
DEFINE_LOCK_GUARD_1_COND(raw_spinlock, _try, raw_spin_trylock(_T->lock))
DEFINE_LOCK_GUARD_1(raw_spinlock_irq, raw_spinlock_t, raw_spin_lock_irq(_T->lock),
		    raw_spin_unlock_irq(_T->lock))
DEFINE_LOCK_GUARD_1(raw_spinlock_irqsave, raw_spinlock_t,
		    raw_spin_lock_irqsave(_T->lock, _T->flags),
		    raw_spin_unlock_irqrestore(_T->lock, _T->flags), unsigned long flags)

/** guard(spinlock)(&lock) - spin_lock() to the end of the scope. */
DEFINE_LOCK_GUARD_1(spinlock, spinlock_t, spin_lock(_T->lock), spin_unlock(_T->lock))
/** scoped_guard(spinlock_try, &lock) { ... } - the body only if spin_trylock() took it. */
DEFINE_LOCK_GUARD_1_COND(spinlock, _try, spin_trylock(_T->lock))
/** guard(spinlock_irq)(&lock) - spin_lock_irq() to the end of the scope. */
DEFINE_LOCK_GUARD_1(spinlock_irq, spinlock_t, spin_lock_irq(_T->lock), spin_unlock_irq(_T->lock))
DEFINE_LOCK_GUARD_1_COND(spinlock_irq, _try, spin_trylock_irq(_T->lock))
/** guard(spinlock_irqsave)(&lock) - spin_lock_irqsave() to the end of the scope. */
DEFINE_LOCK_GUARD_1(spinlock_irqsave, spinlock_t, spin_lock_irqsave(_T->lock, _T->flags),
		    spin_unlock_irqrestore(_T->lock, _T->flags), unsigned long flags)
DEFINE_LOCK_GUARD_1_COND(spinlock_irqsave, _try, spin_trylock_irqsave(_T->lock, _T->flags))
/** guard(spinlock_bh)(&lock) - spin_lock_bh() to the end of the scope. */
DEFINE_LOCK_GUARD_1(spinlock_bh, spinlock_t, spin_lock_bh(_T->lock), spin_unlock_bh(_T->lock))
DEFINE_LOCK_GUARD_1_COND(spinlock_bh, _try, spin_trylock_bh(_T->lock))

#endif /* _LINUX_SPINLOCK_H */
