// SPDX-License-Identifier: MIT
/*
 * rcupdate.c - RCU for kmem and its users, on liburcu's urcu-memb flavour:
 * the kernel's read side, synchronize_rcu(), call_rcu() and rcu_barrier()
 * (see <linux/rcupdate.h>), automatic registration of threads with
 * liburcu, and the backend of kfree_rcu()/kvfree_rcu().
 *
 * Only liburcu's exported functions are called (no _LGPL_SOURCE: none of
 * its inline read side is compiled in here).  The one thing read directly
 * is liburcu's per-thread "registered" bit, from its struct urcu_reader,
 * which is part of liburcu's ABI (its LGPL inline readers use the same
 * struct).  It is the truth about registration whoever registered the
 * thread: kmem, the program itself, or liburcu for its call_rcu threads,
 * which is where kfree_rcu() from an RCU callback runs.  liburcu does not
 * allow a thread to register twice, so a flag of kmem's own would not do.
 *
 * Thread states:
 *   unregistered --(first kmem_rcu_read_lock(), kmem_call_rcu(), kfree_rcu()
 *	or kmem_rcu_register_thread())--> registered by kmem
 *   registered by kmem --(thread exit: rcu_thread_key's destructor, or
 *	kmem_rcu_unregister_thread())--> unregistered
 *   Threads registered by others are left to them.
 *
 * kfree_rcu(ptr, rhf) queues the object's own rcu_head; the callback finds
 * the object's start from the rcu_head's address and kvfree()s it: for
 * slab objects and large kmalloc blocks with __kmem_obj_start() (slub.c);
 * for vmalloc()ed memory, which is page-aligned, by rounding down, which
 * needs the rcu_head in the first page (the kernel's own limit on rhf's
 * offset, 4096).  A vmalloc()ed object with its rcu_head further in is
 * queued as kfree_rcu(ptr) is.  kfree_rcu(ptr) queues a small kmalloc()ed
 * record {rcu_head, ptr} instead, or when that allocation fails waits for
 * a grace period right away and frees, as the kernel's
 * kvfree_rcu_mightsleep().
 *
 * Lock order: kmem takes no lock of its own here.  liburcu's registry
 * mutex (register, unregister, synchronize_rcu) and call_rcu mutex
 * (first call_rcu, rcu_barrier) are taken with no kmem lock held.
 *
 * ThreadSanitizer: liburcu is not instrumented, so the ordering it gives
 * is invisible to TSan.  TSan builds add it back with annotations: each
 * rcu_read_unlock() releases rcu_tsan_gp, which synchronize_rcu() and
 * every callback acquire; callbacks go through a trampoline that acquires
 * what the caller of call_rcu() released and releases rcu_tsan_barrier,
 * which rcu_barrier() acquires.  That is coarser than RCU (it orders every
 * unlock before the end of a grace period, not only those of sections that
 * began before it), so TSan may miss a race but reports none that RCU
 * rules out.
 */
#include <pthread.h>
#include <stdlib.h>

#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
/* struct urcu_reader, for the registered bit; nothing inline is used. */
#include <urcu/static/urcu-memb.h>
#include <urcu/urcu-memb.h>

#include "internal.h"
#include "os.h"

#ifndef container_of
#define container_of(ptr, type, member)	((type *)((char *)(ptr) - offsetof(type, member)))
#endif

/* ------------------------------------------------------------------ */
/* ThreadSanitizer annotations                                         */
/* ------------------------------------------------------------------ */

#if defined(__SANITIZE_THREAD__)
#define KMEM_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define KMEM_TSAN 1
#endif
#endif
#ifndef KMEM_TSAN
#define KMEM_TSAN 0
#endif

#if KMEM_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
static inline void tsan_acquire(void *addr) { __tsan_acquire(addr); }
static inline void tsan_release(void *addr) { __tsan_release(addr); }
#else
static inline void tsan_acquire(void *addr) { }
static inline void tsan_release(void *addr) { }
#endif

/* Addresses only: TSan's sync objects for grace periods and barriers. */
static char rcu_tsan_gp, rcu_tsan_barrier;

/* The call_rcu() of TSan builds: acquire and release around the callback. */
struct rcu_tsan_shim {
	struct rcu_head rcu;
	struct rcu_head *head;
	rcu_callback_t func;
};

static void rcu_tsan_trampoline(struct rcu_head *rcu)
{
	struct rcu_tsan_shim *shim = container_of(rcu, struct rcu_tsan_shim, rcu);
	struct rcu_head *head;
	rcu_callback_t func;

	tsan_acquire(shim);
	tsan_acquire(&rcu_tsan_gp);
	head = shim->head;
	func = shim->func;
	os_free(shim);
	func(head);
	tsan_release(&rcu_tsan_barrier);
}

/*
 * Queue @head for @func after a grace period.  The calling thread must be
 * registered.  TSan builds wrap the callback (in memory of libc's, never
 * kmem's: kmem may itself be what is being freed); without memory they
 * queue it bare, which costs only annotations.
 */
static u64 rcu_queued;	/* callbacks queued by this process, ever */

static void queue_rcu(struct rcu_head *head, rcu_callback_t func)
{
	struct rcu_tsan_shim *shim;

	__atomic_fetch_add(&rcu_queued, 1, __ATOMIC_RELAXED);

	if (KMEM_TSAN && (shim = os_malloc(sizeof(*shim)))) {
		shim->head = head;
		shim->func = func;
		tsan_release(shim);
		urcu_memb_call_rcu(&shim->rcu, rcu_tsan_trampoline);
		return;
	}
	urcu_memb_call_rcu(head, func);
}

/* ------------------------------------------------------------------ */
/* Thread registration                                                 */
/* ------------------------------------------------------------------ */

/* Non-NULL in threads kmem registered: its destructor unregisters them. */
static pthread_key_t rcu_thread_key;
static pthread_once_t rcu_thread_key_once = PTHREAD_ONCE_INIT;

static __always_inline bool rcu_thread_registered(void)
{
	return URCU_TLS(urcu_memb_reader).registered;
}

/*
 * Thread exit.  Unregister even from inside a read-side section (a thread
 * exiting there is a bug, but its section ends with it), or liburcu's
 * registry would keep a node in the dead thread's TLS.
 */
static void rcu_thread_exit(void *arg)
{
	if (rcu_thread_registered())
		urcu_memb_unregister_thread();
}

static void rcu_thread_key_init(void)
{
	KMEM_BUG_ON(pthread_key_create(&rcu_thread_key, rcu_thread_exit) != 0);
}

/* The thread's first RCU call.  Takes liburcu's registry mutex. */
static noinline __cold void rcu_register_thread_slow(void)
{
	pthread_once(&rcu_thread_key_once, rcu_thread_key_init);
	/* First, so that no registered thread is ever left without it. */
	KMEM_BUG_ON(pthread_setspecific(rcu_thread_key, (void *)1) != 0);
	urcu_memb_register_thread();
}

static __always_inline void rcu_thread_ensure_registered(void)
{
	if (unlikely(!rcu_thread_registered()))
		rcu_register_thread_slow();
}

void kmem_rcu_register_thread(void)
{
	rcu_thread_ensure_registered();
}

void kmem_rcu_unregister_thread(void)
{
	KMEM_DEBUG_ON(urcu_memb_read_ongoing());
	if (!rcu_thread_registered())
		return;
	urcu_memb_unregister_thread();
	pthread_once(&rcu_thread_key_once, rcu_thread_key_init);
	pthread_setspecific(rcu_thread_key, NULL);
}

/* ------------------------------------------------------------------ */
/* Read side, grace periods, callbacks                                 */
/* ------------------------------------------------------------------ */

/*
 * The nesting is also counted in the thread's context word (preempt.h's
 * KMEM_RCU_OFFSET), so that might_sleep() and the allocators see a
 * read-side section with the same single load as the other atomic
 * contexts (liburcu's own count lives in its library's TLS).
 */
void kmem_rcu_read_lock(void)
{
	rcu_thread_ensure_registered();
	urcu_memb_read_lock();
	__kmem_preempt_count += KMEM_RCU_OFFSET;
}

void kmem_rcu_read_unlock(void)
{
	KMEM_DEBUG_ON(!urcu_memb_read_ongoing());
	if (likely(__kmem_preempt_count >> KMEM_RCU_SHIFT))
		__kmem_preempt_count -= KMEM_RCU_OFFSET;
	tsan_release(&rcu_tsan_gp);
	urcu_memb_read_unlock();
}

int kmem_rcu_read_lock_held(void)
{
	return urcu_memb_read_ongoing() != 0;
}

void __kmem_synchronize_rcu_local(void)
{
	urcu_memb_synchronize_rcu();
	tsan_acquire(&rcu_tsan_gp);
}

void __kmem_rcu_barrier_local(void)
{
	urcu_memb_barrier();
	tsan_acquire(&rcu_tsan_barrier);
}

/*
 * In shared memory (kmem_mm.rcu_shared) a grace period spans every live
 * process sharing it (rcu_shared.c): this process's ack thread runs the
 * local one.
 */
void kmem_synchronize_rcu(void)
{
	/* It would wait for the caller's own section: a deadlock. */
	KMEM_BUG_ON(urcu_memb_read_ongoing());
	if (unlikely(READ_ONCE(kmem_mm.rcu_shared))) {
		__kmem_rcu_shared_sync();
		tsan_acquire(&rcu_tsan_gp);
		return;
	}
	__kmem_synchronize_rcu_local();
}

void kmem_call_rcu(struct rcu_head *head, rcu_callback_t func)
{
	rcu_thread_ensure_registered();
	queue_rcu(head, func);
}

void kmem_rcu_barrier(void)
{
	/* liburcu would print an error and return without waiting. */
	KMEM_BUG_ON(urcu_memb_read_ongoing());
	__kmem_rcu_barrier_local();
	/* the callbacks may have queued frees for every process's grace period */
	if (unlikely(READ_ONCE(kmem_mm.rcu_shared)))
		__kmem_rcu_shared_barrier();
}

void __kmem_call_rcu_internal(struct rcu_head *head, void (*func)(struct rcu_head *))
{
	kmem_call_rcu(head, func);
}

void __kmem_rcu_barrier(void)
{
	kmem_rcu_barrier();
}

u64 __kmem_rcu_queued(void)
{
	return __atomic_load_n(&rcu_queued, __ATOMIC_RELAXED);
}

/*
 * May this thread wait for the callbacks queued so far?  Not inside a
 * read-side section (the wait would include its own section) and not on a
 * call_rcu worker (its own queue would wait behind it).
 */
bool __kmem_rcu_may_barrier(void)
{
	return !urcu_memb_read_ongoing() && !urcu_memb_get_thread_call_rcu_data();
}

/* ------------------------------------------------------------------ */
/* kfree_rcu                                                           */
/* ------------------------------------------------------------------ */

/* kfree_rcu(ptr): what the grace period has to free. */
struct kvfree_rcu_record {
	struct rcu_head rcu;
	void *ptr;
};

/*
 * The start of the object @head lies in: a slab object or large kmalloc
 * block, or the page of a vmalloc()ed area @head lies in (right only when
 * that is the area's first page: __kmem_kvfree_call_rcu() checks).
 */
static void *kvfree_rcu_obj_start(const void *head)
{
	if (is_vmalloc_addr(head))
		return (void *)((unsigned long)head & PAGE_MASK);
	return __kmem_obj_start(head);
}

/*
 * This process's grace period has passed.  In shared memory, an object
 * other processes may read waits for theirs too (vmalloc()ed memory is
 * this process's alone); when their queue is full, right here.
 */
static void kvfree_rcu_release(void *ptr)
{
	if (unlikely(READ_ONCE(kmem_mm.rcu_shared)) && !is_vmalloc_addr(ptr)) {
		if (__kmem_rcu_shared_defer(KMEM_RCU_OBJECT,
					    (u64)((char *)ptr - kmem_mm.mem_base), 0))
			return;
		__kmem_rcu_shared_sync();
	}
	kvfree(ptr);
}

static void kvfree_rcu_cb(struct rcu_head *head)
{
	kvfree_rcu_release(kvfree_rcu_obj_start(head));
}

static void kvfree_rcu_record_cb(struct rcu_head *head)
{
	struct kvfree_rcu_record *rec = container_of(head, struct kvfree_rcu_record, rcu);

	kvfree_rcu_release(rec->ptr);
	kfree(rec);
}

static noinline __cold void kvfree_rcu_bad(const struct rcu_head *head, const void *ptr,
					   const void *obj, const void *caller)
{
	static u64 last_ns;
	static unsigned int burst;

	if (!__kmem_ratelimit(&last_ns, &burst, 1000, 10))
		return;
	__kmem_printk("WARNING: kvfree_call_rcu: rcu_head %p is not inside the kmem object %p "
		      "(it lies in %p); object leaked\ncaller: %p\n",
		      (const void *)head, ptr, obj, caller);
}

/*
 * kfree_rcu(ptr) without an rcu_head.  The kernel fills pages of pointers;
 * a record per object is enough here.  No memory: wait right here, as the
 * kernel does -- hence "mightsleep".
 */
static void kvfree_rcu_headless(void *ptr)
{
	struct kvfree_rcu_record *rec;

	rec = kmalloc(sizeof(*rec), GFP_NOWAIT | __GFP_NOWARN);
	if (likely(rec)) {
		rec->ptr = ptr;
		rcu_thread_ensure_registered();
		queue_rcu(&rec->rcu, kvfree_rcu_record_cb);
		return;
	}
	kmem_synchronize_rcu();
	kvfree(ptr);
}

void __kmem_kvfree_call_rcu(struct rcu_head *head, void *ptr)
{
	const void *obj;

	if (!ptr)
		return;
	if (!head) {
		kvfree_rcu_headless(ptr);
		return;
	}
	/*
	 * The callback frees what kvfree_rcu_obj_start() finds from @head;
	 * check now that it is @ptr, so that a stray rcu_head is reported
	 * with its caller instead of freeing the wrong object later.
	 */
	obj = kvfree_rcu_obj_start(head);
	if (unlikely(obj != ptr)) {
		/* vmalloc()ed, rcu_head beyond the first page: by pointer instead */
		if (is_vmalloc_addr(ptr) && PAGE_ALIGNED(ptr) &&
		    (const char *)head > (const char *)ptr && is_vmalloc_addr(head)) {
			kvfree_rcu_headless(ptr);
			return;
		}
		kvfree_rcu_bad(head, ptr, obj, __builtin_return_address(0));
		return;
	}
	rcu_thread_ensure_registered();
	queue_rcu(head, kvfree_rcu_cb);
}

/*
 * fork() of private memory: liburcu's call_rcu threads are paused across
 * it (their callbacks free into kmem, so before kmem's locks), and the
 * child starts its own (liburcu's documented fork protocol).
 */
void __kmem_rcu_fork_prepare(void)
{
	urcu_memb_call_rcu_before_fork();
}

void __kmem_rcu_fork_unlock(bool child)
{
	if (child)
		urcu_memb_call_rcu_after_fork_child();
	else
		urcu_memb_call_rcu_after_fork_parent();
}
