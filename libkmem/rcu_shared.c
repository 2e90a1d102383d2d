// SPDX-License-Identifier: MIT
/*
 * rcu_shared.c - RCU across processes (docs/attach.md, "RCU across
 * processes").
 *
 * liburcu's grace periods cover one process.  Once kmem's memory is shared
 * (a client attached, or the process that built it welcomed one), a
 * SLAB_TYPESAFE_BY_RCU slab page or a kfree_rcu object may be read by any
 * process, so it goes back only after every live process has passed a
 * grace period.  The state is kmem_shared::rcu:
 *
 *   gen		the newest generation asked for; every request or
 *			queued free takes a new one
 *   completed		every live slot acknowledged at least this one
 *   slot[]		one per process: client id, pid, alive, ack
 *   deferred[]		frees waiting, each tagged with its generation
 *
 * Each process runs one ack thread: when gen passes its slot's ack, it
 * reads gen (G), runs a local synchronize_rcu() and stores ack = G.  Its
 * synchronize_rcu() began after G was asked for, so it waited for every
 * reader of the process that could have seen what was freed before G.
 * Whoever acknowledges last (or any waiter) completes: completed becomes
 * the smallest ack of the live slots, and the deferred frees tagged at or
 * below it are taken off the list and freed, by that process: everything
 * they touch is shared, so any process may.
 *
 * The dead are not waited for: the daemon calls __kmem_rcu_client_gone()
 * when a client's socket closes, and a waiter that has waited a while
 * checks each lagging slot's pid (kill(pid, 0), then /proc/<pid>/stat for
 * a zombie) and marks the dead.
 *
 * Lock order: kmem_rcu_shared::lock is taken with no other kmem lock
 * held, and nothing is freed under it.
 *
 * Embedded mode never comes here: callers test kmem_mm.rcu_shared first.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "internal.h"
#include "os.h"

#define RCU_SHARED_BATCH	64	/* frees taken off the list per round */
#define RCU_SHARED_POLL_MS	20	/* a waiter checks for the dead this often */
#define RCU_SHARED_IDLE_MS	100	/* the ack thread, waiting on others, checks for the dead */

static struct {
	pthread_mutex_t start_lock;	/* start/stop: init_lock, or the daemon's welcome */
	pthread_t thread;
	unsigned int slot;
	int stop;			/* atomic */
	u64 pidns;			/* os_pid_namespace() */
	u32 pid;
} rs = { .start_lock = PTHREAD_MUTEX_INITIALIZER };

static inline struct kmem_rcu_shared *rcu_sh(void)
{
	return &kmem_mm.shm->rcu;
}

static inline u64 load(const u64 *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void bump_wake(u32 *seq)
{
	__atomic_fetch_add(seq, 1, __ATOMIC_RELEASE);
	os_futex_wake(seq, INT_MAX);
}

/*
 * Is the process of @sl gone (or a zombie, whose readers are gone with
 * it)?  Only asked where its pid means the same as here: a process in
 * another pid namespace is only ever marked gone by the daemon.
 */
static bool process_dead(const struct kmem_rcu_slot *sl)
{
	if (!rs.pidns || sl->pidns != rs.pidns)
		return false;
	return os_process_exited(sl->pid);
}

static void free_deferred(const struct kmem_rcu_deferred *d)
{
	switch (d->kind) {
	case KMEM_RCU_SLAB_PAGE:
		/* still a slab: discard_slab() leaves PG_slab to the free */
		if (d->where < kmem_mm.total_pages &&
		    (READ_ONCE(__pfn_to_page(d->where)->flags) & PG_slab)) {
			__kmem_rcu_free_slab_page(__pfn_to_page(d->where));
			return;
		}
		break;
	case KMEM_RCU_OBJECT:
		if (d->where && d->where < kmem_mm.mem_size) {
			kfree(kmem_mm.mem_base + d->where);
			return;
		}
		break;
	}
	__kmem_printk("kmem: rcu: a deferred free of kind %u at 0x%llx is out of range; leaked\n",
		      d->kind, (unsigned long long)d->where);
}

/*
 * Complete what every live slot acknowledged and free what that releases.
 * @check_alive: look for dead processes among the lagging slots (a few
 * system calls each; waiters do it when they have waited a while).
 */
static void try_complete(bool check_alive)
{
	struct kmem_rcu_shared *r = rcu_sh();
	struct kmem_rcu_deferred batch[RCU_SHARED_BATCH];
	unsigned int i, n, nr;
	bool advanced;
	u64 gen, low;

	do {
		advanced = false;
		n = 0;
		kmem_mutex_lock(&r->lock);
		gen = load(&r->gen);
		low = gen;
		for (i = 0; i < KMEM_RCU_MAX_PROCS; i++) {
			struct kmem_rcu_slot *sl = &r->slot[i];
			u64 ack;

			if (!__atomic_load_n(&sl->alive, __ATOMIC_ACQUIRE))
				continue;
			ack = load(&sl->ack);
			if (ack < gen && check_alive && process_dead(sl)) {
				__atomic_store_n(&sl->alive, 0, __ATOMIC_RELEASE);
				continue;
			}
			if (ack < low)
				low = ack;
		}
		if (low > load(&r->completed)) {
			__atomic_store_n(&r->completed, low, __ATOMIC_RELEASE);
			advanced = true;
		}
		low = load(&r->completed);
		nr = r->nr_deferred;
		if (nr > KMEM_RCU_MAX_DEFERRED)
			nr = 0;		/* corrupted: never index past the table */
		for (i = 0; i < nr && n < RCU_SHARED_BATCH;) {
			if (r->deferred[i].gen > low) {
				i++;
				continue;
			}
			batch[n++] = r->deferred[i];
			r->deferred[i] = r->deferred[--nr];
		}
		/* atomic: read without the lock (the ack threads, pending()) */
		__atomic_store_n(&r->nr_deferred, nr, __ATOMIC_RELAXED);
		if (n)
			__atomic_fetch_add(&r->slot[rs.slot].releasing, 1, __ATOMIC_ACQ_REL);
		kmem_mutex_unlock(&r->lock);
		if (advanced)
			bump_wake(&r->done_seq);
		for (i = 0; i < n; i++)
			free_deferred(&batch[i]);
		if (n) {
			__atomic_fetch_sub(&r->slot[rs.slot].releasing, 1, __ATOMIC_ACQ_REL);
			bump_wake(&r->done_seq);
		}
	} while (n == RCU_SHARED_BATCH);
}

/*
 * Frees taken off the list by live processes and not yet done (one that
 * died freeing leaked its batch: it is not waited for).
 */
static u32 releasing(void)
{
	struct kmem_rcu_shared *r = rcu_sh();
	unsigned int i;
	u32 n = 0;

	for (i = 0; i < KMEM_RCU_MAX_PROCS; i++)
		if (__atomic_load_n(&r->slot[i].alive, __ATOMIC_ACQUIRE))
			n += __atomic_load_n(&r->slot[i].releasing, __ATOMIC_ACQUIRE);
	return n;
}

/* Ask for a new generation; return it. */
static u64 request_gen(void)
{
	struct kmem_rcu_shared *r = rcu_sh();
	u64 g;

	kmem_mutex_lock(&r->lock);
	g = load(&r->gen) + 1;
	__atomic_store_n(&r->gen, g, __ATOMIC_RELEASE);
	kmem_mutex_unlock(&r->lock);
	bump_wake(&r->gen_seq);
	return g;
}

static void wait_completed(u64 g)
{
	struct kmem_rcu_shared *r = rcu_sh();

	for (;;) {
		u32 seq = __atomic_load_n(&r->done_seq, __ATOMIC_ACQUIRE);

		if (load(&r->completed) >= g)
			return;
		if (os_futex_wait(&r->done_seq, seq, RCU_SHARED_POLL_MS) == -ETIMEDOUT)
			try_complete(true);
	}
}

/* This process's acknowledgements. */
static void *ack_thread(void *arg)
{
	struct kmem_rcu_shared *r = rcu_sh();
	struct kmem_rcu_slot *me = &r->slot[rs.slot];
	bool busy, mine;

	for (;;) {
		u32 seq = __atomic_load_n(&r->gen_seq, __ATOMIC_ACQUIRE);
		u64 g = load(&r->gen);

		if (__atomic_load_n(&rs.stop, __ATOMIC_ACQUIRE))
			break;
		mine = READ_ONCE(me->pid) == rs.pid &&
		       __atomic_load_n(&me->alive, __ATOMIC_ACQUIRE);
		if (mine && g > load(&me->ack) && !__kmem_segment_fenced()) {
			__kmem_synchronize_rcu_local();
			/*
			 * Under the lock: a slot marked dead (kmemd saw the
			 * socket close) may already be another process's.
			 */
			kmem_mutex_lock(&r->lock);
			if (me->pid == rs.pid && __atomic_load_n(&me->alive, __ATOMIC_ACQUIRE))
				__atomic_store_n(&me->ack, g, __ATOMIC_RELEASE);
			kmem_mutex_unlock(&r->lock);
			try_complete(false);
			continue;
		}
		/*
		 * Nothing to acknowledge.  While frees or a generation wait
		 * (for another process), look for the dead now and then;
		 * otherwise sleep until gen_seq moves.
		 */
		busy = READ_ONCE(r->nr_deferred) || load(&r->completed) < g;
		if (os_futex_wait(&r->gen_seq, seq, busy ? RCU_SHARED_IDLE_MS : -1) == -ETIMEDOUT)
			try_complete(true);
	}
	kmem_rcu_unregister_thread();
	return NULL;
}

int __kmem_rcu_shared_start(void)
{
	struct kmem_rcu_shared *r = rcu_sh();
	unsigned int i;
	sigset_t old;
	int ret = 0;

	pthread_mutex_lock(&rs.start_lock);
	if (kmem_mm.rcu_shared)
		goto out;
	rs.pidns = os_pid_namespace();
	rs.pid = (u32)getpid();
	kmem_mutex_lock(&r->lock);
	for (i = 0; i < KMEM_RCU_MAX_PROCS; i++)
		if (!__atomic_load_n(&r->slot[i].alive, __ATOMIC_ACQUIRE))
			break;
	if (i < KMEM_RCU_MAX_PROCS) {
		r->slot[i].id = kmem_mm.owner;
		r->slot[i].pid = rs.pid;
		r->slot[i].releasing = 0;
		r->slot[i].pidns = rs.pidns;
		/* nothing freed before now was reachable from this process */
		__atomic_store_n(&r->slot[i].ack, load(&r->gen), __ATOMIC_RELEASE);
		__atomic_store_n(&r->slot[i].alive, 1, __ATOMIC_RELEASE);
	}
	kmem_mutex_unlock(&r->lock);
	if (i == KMEM_RCU_MAX_PROCS) {
		__kmem_printk("kmem: rcu: more than %u processes share the memory\n",
			      KMEM_RCU_MAX_PROCS);
		ret = -ENOSPC;
		goto out;
	}
	rs.slot = i;
	__atomic_store_n(&rs.stop, 0, __ATOMIC_RELEASE);
	/* the program's signal handlers never run on kmem's thread */
	os_block_async_signals(&old);
	ret = -pthread_create(&rs.thread, NULL, ack_thread, NULL);
	os_set_sigmask(&old);
	if (ret) {
		__atomic_store_n(&r->slot[i].alive, 0, __ATOMIC_RELEASE);
		__kmem_printk("kmem: rcu: cannot start the ack thread: %s\n", strerror(-ret));
		goto out;
	}
	WRITE_ONCE(kmem_mm.rcu_shared, true);
out:
	pthread_mutex_unlock(&rs.start_lock);
	return ret;
}

/*
 * In the child of fork(): the slot and its ack thread are the parent's (the
 * thread was not copied).  Forget them without touching the slot, which
 * the parent still owns; the child takes a slot of its own once it is a
 * client (__kmem_attach_fork_child()).
 */
void __kmem_rcu_shared_forget(void)
{
	pthread_mutex_init(&rs.start_lock, NULL);	/* another thread may have held it */
	WRITE_ONCE(kmem_mm.rcu_shared, false);
}

void __kmem_rcu_shared_stop(void)
{
	struct kmem_rcu_shared *r;

	pthread_mutex_lock(&rs.start_lock);
	if (!kmem_mm.rcu_shared)
		goto out;
	r = rcu_sh();
	/* this process's callbacks have queued their frees in shared memory */
	__kmem_rcu_barrier_local();
	__atomic_store_n(&rs.stop, 1, __ATOMIC_RELEASE);
	bump_wake(&r->gen_seq);
	pthread_join(rs.thread, NULL);
	/* free what is ready while our batches still count; the rest is the others' */
	if (!__kmem_segment_fenced()) {
		try_complete(false);
		__atomic_store_n(&r->slot[rs.slot].alive, 0, __ATOMIC_RELEASE);
	}
	WRITE_ONCE(kmem_mm.rcu_shared, false);
out:
	pthread_mutex_unlock(&rs.start_lock);
}

bool __kmem_rcu_shared_defer(enum kmem_rcu_deferred_kind kind, u64 where, u32 order)
{
	struct kmem_rcu_shared *r = rcu_sh();
	struct kmem_rcu_deferred *d;
	u64 g;

	kmem_mutex_lock(&r->lock);
	if (r->nr_deferred >= KMEM_RCU_MAX_DEFERRED) {
		kmem_mutex_unlock(&r->lock);
		return false;
	}
	g = load(&r->gen) + 1;
	__atomic_store_n(&r->gen, g, __ATOMIC_RELEASE);
	d = &r->deferred[r->nr_deferred];
	__atomic_store_n(&r->nr_deferred, r->nr_deferred + 1, __ATOMIC_RELAXED);
	d->gen = g;
	d->where = where;
	d->kind = kind;
	d->order = order;
	kmem_mutex_unlock(&r->lock);
	bump_wake(&r->gen_seq);
	return true;
}

void __kmem_rcu_shared_sync(void)
{
	wait_completed(request_gen());
}

/* Every free queued so far (by any process) is done. */
void __kmem_rcu_shared_barrier(void)
{
	struct kmem_rcu_shared *r = rcu_sh();
	u64 g = request_gen();

	wait_completed(g);
	for (;;) {
		u32 seq = __atomic_load_n(&r->done_seq, __ATOMIC_ACQUIRE);
		bool left = false;
		unsigned int i;

		try_complete(false);
		kmem_mutex_lock(&r->lock);
		for (i = 0; i < r->nr_deferred && i < KMEM_RCU_MAX_DEFERRED; i++)
			left |= r->deferred[i].gen <= g;
		kmem_mutex_unlock(&r->lock);
		if (!left && !releasing())
			return;
		os_futex_wait(&r->done_seq, seq, RCU_SHARED_POLL_MS);
	}
}

void __kmem_rcu_client_gone(u32 id)
{
	struct kmem_rcu_shared *r;
	unsigned int i;

	if (!kmem_mm.shm || !id || __kmem_segment_gate("the RCU slot of a dead client"))
		return;
	r = rcu_sh();
	kmem_mutex_lock(&r->lock);
	for (i = 0; i < KMEM_RCU_MAX_PROCS; i++)
		if (r->slot[i].id == id)
			__atomic_store_n(&r->slot[i].alive, 0, __ATOMIC_RELEASE);
	kmem_mutex_unlock(&r->lock);
	if (kmem_mm.rcu_shared)
		try_complete(false);
}

u32 __kmem_rcu_shared_pending(void)
{
	if (!kmem_mm.shm)
		return 0;
	return READ_ONCE(rcu_sh()->nr_deferred) + releasing();
}

/*
 * The kfree_rcu() objects waiting for a shared grace period, as mem_base
 * offsets, up to @max of them: the daemon leaves these alone when it frees
 * a dead client's objects, since the grace period frees them.  Return: how
 * many were written.
 */
unsigned int __kmem_rcu_deferred_objects(u64 *offs, unsigned int max)
{
	struct kmem_rcu_shared *r;
	unsigned int i, n = 0, nr;

	if (!kmem_mm.shm)
		return 0;
	r = rcu_sh();
	kmem_mutex_lock(&r->lock);
	nr = r->nr_deferred < KMEM_RCU_MAX_DEFERRED ? r->nr_deferred : KMEM_RCU_MAX_DEFERRED;
	for (i = 0; i < nr && n < max; i++)
		if (r->deferred[i].kind == KMEM_RCU_OBJECT)
			offs[n++] = r->deferred[i].where;
	kmem_mutex_unlock(&r->lock);
	return n;
}
