/* SPDX-License-Identifier: MIT */
/*
 * Read-copy update, the kernel's API on liburcu's urcu-memb flavour.
 *
 * Readers bracket their accesses with rcu_read_lock()/rcu_read_unlock()
 * and load shared pointers with rcu_dereference(); an updater publishes
 * with rcu_assign_pointer(), and frees what readers may still see only
 * after a grace period: synchronize_rcu() waits for one, call_rcu() and
 * kfree_rcu() queue work to run after one, rcu_barrier() waits for all
 * queued work.  A grace period covers the read-side critical sections of
 * the threads of this process (liburcu is per process) and, once kmem's
 * memory is shared with other processes (attached to kmemd, or kmemd
 * itself), those of every live process sharing it: each runs its own
 * grace period and acknowledges it in shared memory (docs/attach.md,
 * "RCU across processes").  call_rcu() callbacks are the exception: they
 * run after this process's grace period only.
 *
 * Differences from the kernel:
 *  - Threads need no setup.  A thread's first rcu_read_lock() (or
 *    call_rcu(), kfree_rcu()...) registers it with liburcu, and kmem
 *    unregisters it when it exits.  That first call takes a mutex, so a
 *    thread that will enter RCU read-side sections from a signal handler
 *    should call rcu_register_thread() (or rcu_read_lock() once) first.
 *  - Readers may block (sleep, take mutexes) inside a read-side critical
 *    section without breaking anything but latency: the section simply
 *    delays grace periods, like the kernel's preemptible RCU.
 *  - The exported functions are kmem_rcu_*() and the kernel names are
 *    macros over them, so programs need only -lkmem (libkmem carries
 *    liburcu).  rcu_dereference() and rcu_assign_pointer() are inline
 *    atomics and call nothing.
 *  - Callbacks run on liburcu's call_rcu threads, not in softirq context.
 *    As with liburcu, a child of fork() that queues callbacks needs
 *    call_rcu_before_fork(), call_rcu_after_fork_parent() and
 *    call_rcu_after_fork_child() around the fork; kmem does not register
 *    them with pthread_atfork() (a program that does so itself, as liburcu
 *    advises, would then run them twice and deadlock).
 *  - ThreadSanitizer cannot see inside liburcu (it is not instrumented).
 *    libkmem annotates the ordering RCU gives its users, but liburcu's own
 *    internal hand-offs still show up as races inside liburcu-memb.so:
 *    suppress them with "called_from_lib:liburcu-memb.so" (as
 *    tests/tsan.supp does).
 *
 * Coexistence with liburcu's own <urcu.h>:
 *  - This header does what <urcu.h> does for the memb flavour: defines
 *    URCU_API_MAP and includes <urcu/urcu-memb.h>, which sets up the
 *    unprefixed names (rcu_read_ongoing, rcu_xchg_pointer, defer_rcu,
 *    rcu_flavor, ...).  It then redefines the names the kernel also has
 *    -- rcu_read_lock, rcu_read_unlock, synchronize_rcu, call_rcu,
 *    rcu_barrier, rcu_dereference, rcu_assign_pointer -- and
 *    rcu_register_thread/rcu_unregister_thread as kmem's.  Because
 *    liburcu's headers have then been read, a later #include <urcu.h>
 *    adds nothing; an earlier one is overridden.  Either order ends in the
 *    same state without macro redefinition warnings, and liburcu's data
 *    structure headers (<urcu/rculist.h>, <urcu/rculfhash.h>, ...) work
 *    after either.  struct rcu_head is liburcu's own, defined once.
 *  - Both are one RCU: kmem's rcu_read_lock() is urcu_memb_read_lock()
 *    after registration, kmem's callbacks go to liburcu's call_rcu
 *    threads, so urcu_memb_synchronize_rcu() waits for kmem's readers and
 *    rcu_barrier() for liburcu's callbacks, and the other way round.
 *  - kmem registers a thread only when liburcu says it is not registered,
 *    and at exit unregisters only a thread it registered and that is still
 *    registered; rcu_register_thread()/rcu_unregister_thread() here are
 *    kmem's idempotent versions.
 *  What does not coexist:
 *  - Translation units that include <urcu.h> but not this header call
 *    liburcu's rcu_register_thread() directly, and liburcu refuses (asserts
 *    or corrupts its registry) a thread registered twice: there, register
 *    threads before their first kmem RCU call, or include this header too.
 *    The same holds for calling urcu_memb_register_thread() by that name.
 *  - Other liburcu flavours' headers (<urcu-qsbr.h>, <urcu/urcu-qsbr.h>,
 *    <urcu-bp.h>, <urcu/urcu-mb.h>, <urcu/urcu-signal.h>, or <urcu.h> with
 *    RCU_MB or RCU_SIGNAL defined) included AFTER this one silently rebind
 *    rcu_read_lock, rcu_read_unlock, synchronize_rcu, call_rcu and
 *    rcu_barrier to their own flavour (GCC does not warn about macro
 *    redefinitions in system headers), just as they would take the names
 *    over from <urcu.h>.  Nothing here can prevent that: include them
 *    BEFORE this header (whose names then win), use them through their
 *    prefixed names only (urcu_qsbr_read_lock()...), and never expect
 *    their readers to hold up this flavour's grace periods.
 *  - With _LGPL_SOURCE, liburcu's inline read side is used by liburcu's
 *    names only; the kernel names still call into libkmem.
 *  - liburcu's own names that remain (rcu_read_ongoing, defer_rcu,
 *    rcu_xchg_pointer, urcu_memb_*(), ...) are liburcu's functions: a
 *    program that calls them links -lurcu-memb itself.
 */
#ifndef _LINUX_RCUPDATE_H
#define _LINUX_RCUPDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/compiler.h>
#include <linux/cleanup.h>
#include <kmem/kmem.h>

/*
 * liburcu's memb flavour, set up as <urcu.h> sets it up (URCU_API_MAP stays
 * defined, as <urcu.h> leaves it, so that <urcu/rculfhash.h> and friends
 * included later see the same map); see "Coexistence" above.
 */
#ifndef URCU_API_MAP
#define URCU_API_MAP
#endif
#include <urcu/urcu-memb.h>

#ifdef __cplusplus
extern "C" {
#endif

/* struct rcu_head comes from liburcu's <urcu/call-rcu.h>: next, func. */
typedef void (*rcu_callback_t)(struct rcu_head *head);

/**
 * kmem_rcu_read_lock - begin an RCU read-side critical section.
 *
 * Until the matching kmem_rcu_read_unlock(), no grace period that starts
 * after this call can end, so objects reached through rcu_dereference()
 * stay valid.  Sections nest.  The first call in a thread registers it
 * with liburcu.
 *
 * Context: any thread; may block inside the section.  Async-signal-safe
 * once the thread is registered (the first call takes a mutex).
 */
KMEM_API void kmem_rcu_read_lock(void);

/**
 * kmem_rcu_read_unlock - end an RCU read-side critical section.
 * Context: the thread that called kmem_rcu_read_lock().
 */
KMEM_API void kmem_rcu_read_unlock(void);

/**
 * kmem_rcu_read_lock_held - is this thread inside a read-side section?
 * Return: nonzero inside a section (kmem's or liburcu's memb flavour).
 * Unlike the kernel without lockdep, which always answers 1, this is exact.
 */
KMEM_API int kmem_rcu_read_lock_held(void);

/**
 * kmem_synchronize_rcu - wait for a grace period.
 *
 * Returns after every read-side critical section of this process that was
 * running when it was called has ended; with shared memory, also those of
 * every other live process sharing it.
 *
 * Context: may sleep.  Must not be called inside a read-side critical
 * section (it would wait for itself) nor from a call_rcu() callback.
 */
KMEM_API void kmem_synchronize_rcu(void);

/**
 * kmem_call_rcu - run @func(@head) after a grace period in this process.
 * @head: rcu_head inside the object; must stay untouched until @func runs
 * @func: callback; runs on one of liburcu's call_rcu threads
 *
 * Context: any thread, including inside a read-side section and from
 * another callback; does not sleep (the process's first call starts the
 * call_rcu thread; a thread's first call registers it with liburcu).
 */
KMEM_API void kmem_call_rcu(struct rcu_head *head, rcu_callback_t func);

/**
 * kmem_rcu_barrier - wait until every callback queued so far has run.
 *
 * Covers call_rcu(), kfree_rcu() and kvfree_rcu() from every thread of
 * this process (and liburcu's own call_rcu()); with shared memory, also
 * every kfree_rcu() object and SLAB_TYPESAFE_BY_RCU slab page that any
 * process queued so far for the grace period of all.  Use it before unloading
 * code or destroying a cache that pending callbacks refer to.
 *
 * Context: may sleep.  Not inside a read-side section (liburcu then prints
 * an error and returns at once) nor from a callback.
 */
KMEM_API void kmem_rcu_barrier(void);

/**
 * kmem_rcu_register_thread - register this thread with liburcu now.
 *
 * Optional: kmem registers threads on first use.  Registering twice does
 * nothing.  A thread kmem registers is unregistered when it exits.
 * Context: any thread, outside signal handlers; takes a mutex.
 */
KMEM_API void kmem_rcu_register_thread(void);

/**
 * kmem_rcu_unregister_thread - unregister this thread from liburcu.
 * Does nothing if the thread is not registered.  A later RCU call
 * registers it again.
 * Context: outside any read-side critical section.
 */
KMEM_API void kmem_rcu_unregister_thread(void);

/**
 * __kmem_kvfree_call_rcu - kvfree() an object after a grace period.
 * @head: an rcu_head inside the object, or NULL
 * @ptr: the object, as kmalloc(), kmem_cache_alloc(), vmalloc() or
 *	kvmalloc() returned it
 *
 * The backend of kfree_rcu() and kvfree_rcu().  With @head, queues @head
 * (no allocation); the callback finds the object from @head's address.
 * Without, as kfree_rcu_mightsleep(): queues a small tracking record
 * allocated with GFP_NOWAIT, or, when that fails, waits with
 * synchronize_rcu() and frees at once.  @ptr NULL does nothing.
 * A vmalloc()ed object whose @head lies beyond its first page (which the
 * kernel refuses at compile time) is handled as if @head were NULL.
 * An @head that is not inside the object @ptr is reported and the object
 * leaked rather than freed wrongly.
 *
 * Context: with @head, any (as kmem_call_rcu()).  Without, may sleep; not
 * inside a read-side critical section.
 */
KMEM_API void __kmem_kvfree_call_rcu(struct rcu_head *head, void *ptr);

#ifdef __cplusplus
}
#endif

/* liburcu's map names these after urcu_memb_*(); the kernel names are kmem's. */
#undef rcu_read_lock
#undef rcu_read_unlock
#undef synchronize_rcu
#undef call_rcu
#undef rcu_barrier
#undef rcu_register_thread
#undef rcu_unregister_thread
#undef rcu_dereference
#undef rcu_assign_pointer

/** rcu_read_lock - kmem_rcu_read_lock() */
#define rcu_read_lock			kmem_rcu_read_lock
/** rcu_read_unlock - kmem_rcu_read_unlock() */
#define rcu_read_unlock			kmem_rcu_read_unlock
/** rcu_read_lock_held - kmem_rcu_read_lock_held() */
#define rcu_read_lock_held		kmem_rcu_read_lock_held
/** synchronize_rcu - kmem_synchronize_rcu() */
#define synchronize_rcu			kmem_synchronize_rcu
/** synchronize_rcu_expedited - kmem_synchronize_rcu(): liburcu has one speed */
#define synchronize_rcu_expedited	kmem_synchronize_rcu
/** call_rcu - kmem_call_rcu() */
#define call_rcu			kmem_call_rcu
/** call_rcu_hurry - kmem_call_rcu(): callbacks are never batched lazily here */
#define call_rcu_hurry			kmem_call_rcu
/** rcu_barrier - kmem_rcu_barrier() */
#define rcu_barrier			kmem_rcu_barrier
/** rcu_register_thread - kmem_rcu_register_thread() (liburcu's name, made idempotent) */
#define rcu_register_thread		kmem_rcu_register_thread
/** rcu_unregister_thread - kmem_rcu_unregister_thread() */
#define rcu_unregister_thread		kmem_rcu_unregister_thread
/** kvfree_call_rcu - __kmem_kvfree_call_rcu(), the kernel's name */
#define kvfree_call_rcu			__kmem_kvfree_call_rcu

/* ------------------------------------------------------------------ */
/* Pointer publication                                                 */
/* ------------------------------------------------------------------ */

/** RCU_INITIALIZER - a static initialiser for an __rcu pointer */
#define RCU_INITIALIZER(v)	(v)

/**
 * rcu_access_pointer - the value of RCU pointer @p, not to be dereferenced.
 * For comparisons (against NULL, say) outside a read-side section.
 */
#define rcu_access_pointer(p)	__atomic_load_n(&(p), __ATOMIC_RELAXED)

/**
 * rcu_dereference_raw - load RCU pointer @p for dereferencing, no checks.
 * A consume load (acquire on most compilers, free on x86), which pairs
 * with rcu_assign_pointer()'s release store.
 */
#define rcu_dereference_raw(p)	__atomic_load_n(&(p), __ATOMIC_CONSUME)

/**
 * rcu_dereference_check - rcu_dereference() that is also legal where @c
 * holds (the update-side lock, say).  @c is compiled but not evaluated
 * (the kernel evaluates it only under CONFIG_PROVE_RCU).
 */
#define rcu_dereference_check(p, c)	((void)(0 && (c)), rcu_dereference_raw(p))

/**
 * rcu_dereference - load RCU pointer @p inside a read-side section.
 * The object it points to stays valid until rcu_read_unlock().
 */
#define rcu_dereference(p)		rcu_dereference_check(p, 0)

/**
 * rcu_dereference_protected - load RCU pointer @p on the update side.
 * @c: the condition that makes it safe (the update lock is held); compiled,
 *	not evaluated
 * A plain load: updates are excluded by the caller's lock.
 */
#define rcu_dereference_protected(p, c)	((void)(0 && (c)), (p))

/**
 * rcu_assign_pointer - publish @v in RCU pointer @p.
 * A release store: whatever the updater wrote to *@v before is visible to
 * readers that load @p with rcu_dereference().
 */
#define rcu_assign_pointer(p, v)						\
	do {									\
		__typeof__(p) __rap_v = (v);					\
		__atomic_store_n(&(p), __rap_v, __ATOMIC_RELEASE);		\
	} while (0)

/**
 * RCU_INIT_POINTER - set RCU pointer @p to @v without ordering.
 * Only for NULL, or when readers cannot yet reach @p, or when @v's
 * contents were published before (an older value's) -- as in the kernel.
 */
#define RCU_INIT_POINTER(p, v)							\
	do {									\
		__typeof__(p) __rip_v = (v);					\
		__atomic_store_n(&(p), __rip_v, __ATOMIC_RELAXED);		\
	} while (0)

/**
 * rcu_replace_pointer - publish @ptr in @rcu_ptr on the update side (@c
 * holds) and give the old value, to be freed after a grace period.
 */
#define rcu_replace_pointer(rcu_ptr, ptr, c)					\
	__extension__({								\
		__typeof__(ptr) __rrp_old = rcu_dereference_protected((rcu_ptr), (c)); \
		rcu_assign_pointer((rcu_ptr), (ptr));				\
		__rrp_old;							\
	})

/** rcu_pointer_handoff - @p, leaving RCU's protection for another's */
#define rcu_pointer_handoff(p)	(p)
/** unrcu_pointer - @p as a plain pointer */
#define unrcu_pointer(p)	(p)

/* ------------------------------------------------------------------ */
/* kfree_rcu                                                           */
/* ------------------------------------------------------------------ */

#define kvfree_rcu_arg_2(ptr, rhf)						\
	do {									\
		__typeof__(ptr) ___p = (ptr);					\
									\
		if (___p)							\
			__kmem_kvfree_call_rcu(&___p->rhf, (void *)___p);	\
	} while (0)

#define kvfree_rcu_arg_1(ptr)							\
	do {									\
		__typeof__(ptr) ___p = (ptr);					\
									\
		if (___p)							\
			__kmem_kvfree_call_rcu(NULL, (void *)___p);		\
	} while (0)

/* The third argument names the one- or two-argument form. */
#define __kvfree_rcu_pick(_1, _2, name, ...)	name

/**
 * kvfree_rcu - kvfree() a kmalloc()ed, kmem_cache or vmalloc()ed object
 * after a grace period (in every process sharing kmem's memory, for all
 * but vmalloc()ed objects, which are this process's alone).
 *
 * kvfree_rcu(ptr, rhf): @rhf is the name of a struct rcu_head member of
 * *ptr; allocates nothing and never sleeps.
 * kvfree_rcu(ptr): no rcu_head needed; may sleep (synchronize_rcu()) when
 * memory is short -- the kernel's kvfree_rcu_mightsleep().
 * NULL does nothing.  rcu_barrier() waits for the frees queued so far.
 */
#define kvfree_rcu(...)								\
	__kvfree_rcu_pick(__VA_ARGS__, kvfree_rcu_arg_2, kvfree_rcu_arg_1, )(__VA_ARGS__)

/**
 * kfree_rcu - kfree() @ptr after a grace period: kfree_rcu(ptr, rhf) or
 * kfree_rcu(ptr); see kvfree_rcu().
 */
#define kfree_rcu(...)								\
	__kvfree_rcu_pick(__VA_ARGS__, kvfree_rcu_arg_2, kvfree_rcu_arg_1, )(__VA_ARGS__)

/** kfree_rcu_mightsleep - kfree_rcu(@ptr) without an rcu_head; may sleep. */
#define kfree_rcu_mightsleep(ptr)	kvfree_rcu_arg_1(ptr)
/** kvfree_rcu_mightsleep - kvfree_rcu(@ptr) without an rcu_head; may sleep. */
#define kvfree_rcu_mightsleep(ptr)	kvfree_rcu_arg_1(ptr)

/**
 * guard(rcu)() / scoped_guard(rcu) - a read-side critical section to the
 * end of the scope or of the next statement.
 */
DEFINE_LOCK_GUARD_0(rcu, kmem_rcu_read_lock(), kmem_rcu_read_unlock())

#endif /* _LINUX_RCUPDATE_H */
