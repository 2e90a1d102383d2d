/* SPDX-License-Identifier: MIT */
/*
 * Spinlock types, as the kernel's <linux/spinlock_types.h> (without
 * lockdep): four bytes, one word that is 0 when free and 1 when held.
 * The word holds no pointer and no owner, so a lock works the same in
 * memory shared between processes (a kmalloc()ed or page_address() object
 * in kmem's shared arena).
 */
#ifndef _LINUX_SPINLOCK_TYPES_H
#define _LINUX_SPINLOCK_TYPES_H

typedef struct {
	unsigned int locked;	/* 0 free, 1 held; __atomic builtins only */
} arch_spinlock_t;

#define __ARCH_SPIN_LOCK_UNLOCKED	{ 0 }

/* The kernel's raw_spinlock_t: never a sleeping lock, even on PREEMPT_RT. */
typedef struct raw_spinlock {
	arch_spinlock_t raw_lock;
} raw_spinlock_t;

/* spinlock_t wraps it, as in the kernel, so the two types do not mix. */
typedef struct spinlock {
	struct raw_spinlock rlock;
} spinlock_t;

#define __RAW_SPIN_LOCK_UNLOCKED(lockname)	{ __ARCH_SPIN_LOCK_UNLOCKED }
#define __SPIN_LOCK_UNLOCKED(lockname)		{ __RAW_SPIN_LOCK_UNLOCKED(lockname) }

/** DEFINE_SPINLOCK - define and initialise spinlock_t @x, unlocked. */
#define DEFINE_SPINLOCK(x)	spinlock_t x = __SPIN_LOCK_UNLOCKED(x)
/** DEFINE_RAW_SPINLOCK - define and initialise raw_spinlock_t @x, unlocked. */
#define DEFINE_RAW_SPINLOCK(x)	raw_spinlock_t x = __RAW_SPIN_LOCK_UNLOCKED(x)

#endif /* _LINUX_SPINLOCK_TYPES_H */
