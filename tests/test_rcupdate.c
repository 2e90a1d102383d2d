// SPDX-License-Identifier: MIT
/*
 * RCU on liburcu (libkmem/rcupdate.c, <linux/rcupdate.h>) and scope-based
 * cleanup (<linux/cleanup.h>): automatic thread registration and
 * unregistration, grace periods that wait for readers, call_rcu() and
 * rcu_barrier(), pointer publication under concurrent readers, guard(rcu),
 * coexistence with liburcu's own <urcu.h> (included here AFTER
 * <linux/rcupdate.h>; test_kfree_rcu.c includes it before), and
 * DEFINE_FREE/no_free_ptr/return_ptr, DEFINE_CLASS and the guards.
 *
 * CUnit is not thread-safe: helper threads record what they saw and the
 * main thread asserts.  Sleeps only widen windows in which a broken RCU
 * would misbehave; no test depends on timing to pass.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/cleanup.h>
#include <linux/rcupdate.h>
#include <urcu.h>	/* after: see <linux/rcupdate.h>, "Coexistence" */

#include "kunit.h"

#define READ_ACQ(x)		__atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define WRITE_REL(x, v)		__atomic_store_n(&(x), (v), __ATOMIC_RELEASE)
#define INC(x)			__atomic_fetch_add(&(x), 1, __ATOMIC_RELAXED)

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define PUBLISH_ROUNDS	300
#else
#define PUBLISH_ROUNDS	2000
#endif

static void spin_until(const int *flag)
{
	while (!READ_ACQ(*flag))
		usleep(100);
}

static pthread_t start(void *(*fn)(void *), void *arg)
{
	pthread_t t;

	CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, fn, arg), 0);
	return t;
}

/* ------------------------------------------------------------------ */
/* registration                                                        */
/* ------------------------------------------------------------------ */

struct reg_result {
	int held_inside, held_after, nested_inside;
};

static void *reg_thread(void *arg)
{
	struct reg_result *r = arg;

	rcu_read_lock();		/* first RCU call: registers the thread */
	r->held_inside = rcu_read_lock_held();
	rcu_read_lock();
	rcu_read_unlock();
	r->nested_inside = rcu_read_lock_held();
	rcu_read_unlock();
	r->held_after = rcu_read_lock_held();
	return NULL;
}

/*
 * Threads that never registered use RCU and exit.  If an exiting thread
 * stayed in liburcu's registry, its node would point into freed TLS and
 * the next synchronize_rcu() would walk freed memory or wait forever.
 */
static void test_auto_register(void)
{
	struct reg_result r[16];
	int i;

	CU_ASSERT_FALSE(rcu_read_lock_held());
	for (i = 0; i < 16; i++) {
		memset(&r[i], 0xff, sizeof(r[i]));
		CU_ASSERT_EQUAL(pthread_join(start(reg_thread, &r[i]), NULL), 0);
		CU_ASSERT_TRUE(r[i].held_inside);
		CU_ASSERT_TRUE(r[i].nested_inside);
		CU_ASSERT_FALSE(r[i].held_after);
		synchronize_rcu();
	}
}

/* Many threads register and exit while another thread runs grace periods. */
static int churn_stop;

static void *churn_sync_thread(void *arg)
{
	unsigned long *n = arg;

	do {
		synchronize_rcu();
		(*n)++;
	} while (!READ_ACQ(churn_stop));
	return NULL;
}

static void test_register_churn(void)
{
	pthread_t sync;
	struct reg_result r;
	unsigned long syncs = 0;
	int i;

	WRITE_REL(churn_stop, 0);
	sync = start(churn_sync_thread, &syncs);
	for (i = 0; i < 64; i++)
		CU_ASSERT_EQUAL(pthread_join(start(reg_thread, &r), NULL), 0);
	WRITE_REL(churn_stop, 1);
	CU_ASSERT_EQUAL(pthread_join(sync, NULL), 0);
	CU_ASSERT(syncs > 0);
}

/* A registered, idle thread does not hold grace periods up (no QS needed). */
static int idle_go;

static void *idle_thread(void *arg)
{
	rcu_read_lock();
	rcu_read_unlock();
	spin_until(&idle_go);
	return NULL;
}

static void test_idle_registered_thread(void)
{
	pthread_t t;

	WRITE_REL(idle_go, 0);
	t = start(idle_thread, NULL);
	usleep(10000);
	synchronize_rcu();
	synchronize_rcu();
	WRITE_REL(idle_go, 1);
	CU_ASSERT_EQUAL(pthread_join(t, NULL), 0);
}

/* ------------------------------------------------------------------ */
/* grace periods                                                       */
/* ------------------------------------------------------------------ */

struct reader_ctl {
	int entered, left, leave_now;
	useconds_t hold_us;	/* 0: wait for leave_now */
};

static void *reader_thread(void *arg)
{
	struct reader_ctl *c = arg;

	rcu_read_lock();
	WRITE_REL(c->entered, 1);
	if (c->hold_us)
		usleep(c->hold_us);
	else
		spin_until(&c->leave_now);
	WRITE_REL(c->left, 1);	/* just before leaving the section */
	rcu_read_unlock();
	return NULL;
}

static void sync_waits_for_reader(void (*sync)(void))
{
	int round;

	for (round = 0; round < 3; round++) {
		struct reader_ctl c = { .hold_us = 50000 };
		pthread_t t = start(reader_thread, &c);

		spin_until(&c.entered);
		sync();
		KT_ASSERT_EQ(READ_ACQ(c.left), 1);
		CU_ASSERT_EQUAL(pthread_join(t, NULL), 0);
	}
}

static void kmem_sync(void)
{
	synchronize_rcu();
}

static void liburcu_sync(void)
{
	urcu_memb_synchronize_rcu();
}

static void test_synchronize_waits_for_reader(void)
{
	sync_waits_for_reader(kmem_sync);
}

/* liburcu's own synchronize_rcu sees kmem's readers: one RCU, not two. */
static void test_liburcu_sync_waits_for_kmem_reader(void)
{
	sync_waits_for_reader(liburcu_sync);
}

static void test_nesting_and_guard_rcu(void)
{
	int i;

	rcu_read_lock();
	rcu_read_lock();
	rcu_read_unlock();
	CU_ASSERT_TRUE(rcu_read_lock_held());
	rcu_read_unlock();
	CU_ASSERT_FALSE(rcu_read_lock_held());

	{
		guard(rcu)();
		CU_ASSERT_TRUE(rcu_read_lock_held());
	}
	CU_ASSERT_FALSE(rcu_read_lock_held());

	scoped_guard(rcu)
		CU_ASSERT_TRUE(rcu_read_lock_held());
	CU_ASSERT_FALSE(rcu_read_lock_held());

	for (i = 0; i < 3; i++) {
		scoped_guard(rcu) {
			if (i == 1)
				break;	/* leaves the guard, not the loop */
			CU_ASSERT_TRUE(rcu_read_lock_held());
		}
		CU_ASSERT_FALSE(rcu_read_lock_held());
	}
	KT_ASSERT_EQ(i, 3);
}

/* ------------------------------------------------------------------ */
/* call_rcu / rcu_barrier                                              */
/* ------------------------------------------------------------------ */

struct cb_obj {
	int payload;
	struct rcu_head rcu;
	struct reader_ctl *reader;	/* state of a reader to check, or NULL */
	int *saw_reader_left;
};

static int cb_count;

static void cb_free(struct rcu_head *head)
{
	struct cb_obj *o = (struct cb_obj *)((char *)head - offsetof(struct cb_obj, rcu));

	if (o->reader)
		WRITE_REL(*o->saw_reader_left, READ_ACQ(o->reader->left));
	INC(cb_count);
	free(o);
}

/* The callback does not run while a reader that predates it is inside. */
static void test_call_rcu_after_grace_period(void)
{
	struct reader_ctl c = { 0 };
	struct cb_obj *o = calloc(1, sizeof(*o));
	int saw_left = -1;
	pthread_t t;

	WRITE_REL(cb_count, 0);
	t = start(reader_thread, &c);
	spin_until(&c.entered);
	o->reader = &c;
	o->saw_reader_left = &saw_left;
	call_rcu(&o->rcu, cb_free);
	usleep(100000);
	KT_ASSERT_EQ(READ_ACQ(cb_count), 0);	/* the reader is still inside */
	WRITE_REL(c.leave_now, 1);
	CU_ASSERT_EQUAL(pthread_join(t, NULL), 0);
	rcu_barrier();
	KT_ASSERT_EQ(READ_ACQ(cb_count), 1);
	KT_ASSERT_EQ(READ_ACQ(saw_left), 1);
}

#define CB_THREADS	4
#define CB_PER_THREAD	500

static void *cb_queue_thread(void *arg)
{
	int i;

	for (i = 0; i < CB_PER_THREAD; i++) {
		struct cb_obj *o = calloc(1, sizeof(*o));

		if (i % 64 == 0) {
			rcu_read_lock();	/* call_rcu() inside a section is fine */
			call_rcu(&o->rcu, cb_free);
			rcu_read_unlock();
		} else {
			call_rcu(&o->rcu, cb_free);
		}
	}
	return NULL;
}

/* Callbacks queued from threads that never registered; the barrier counts them. */
static void test_rcu_barrier_waits_for_all(void)
{
	pthread_t t[CB_THREADS];
	int i;

	WRITE_REL(cb_count, 0);
	for (i = 0; i < CB_THREADS; i++)
		t[i] = start(cb_queue_thread, NULL);
	for (i = 0; i < CB_THREADS; i++)
		CU_ASSERT_EQUAL(pthread_join(t[i], NULL), 0);
	rcu_barrier();
	KT_ASSERT_EQ(READ_ACQ(cb_count), CB_THREADS * CB_PER_THREAD);
	/* liburcu's barrier waits for kmem's callbacks too, and vice versa. */
	cb_queue_thread(NULL);
	urcu_memb_barrier();
	KT_ASSERT_EQ(READ_ACQ(cb_count), (CB_THREADS + 1) * CB_PER_THREAD);
}

/*
 * A callback that enters a read-side section and queues another callback.
 * Callbacks run on liburcu's call_rcu thread, which liburcu registered
 * itself: kmem must see that and not register it a second time.
 */
static struct rcu_head chain_head2;
static int chain_done;

static void chain_second(struct rcu_head *head)
{
	WRITE_REL(chain_done, 2);
}

static void chain_first(struct rcu_head *head)
{
	rcu_read_lock();
	rcu_read_unlock();
	call_rcu(&chain_head2, chain_second);
	WRITE_REL(chain_done, 1);
}

static void test_callback_queues_callback(void)
{
	static struct rcu_head head1;

	WRITE_REL(chain_done, 0);
	call_rcu(&head1, chain_first);
	rcu_barrier();		/* chain_first has run ... */
	CU_ASSERT(READ_ACQ(chain_done) >= 1);
	rcu_barrier();		/* ... and what it queued, before this */
	KT_ASSERT_EQ(READ_ACQ(chain_done), 2);
}

/* ------------------------------------------------------------------ */
/* publication                                                         */
/* ------------------------------------------------------------------ */

struct cfg {
	unsigned long magic;
	unsigned long a, b;	/* b == 2 * a in every published version */
};
#define CFG_MAGIC	0x636667636667UL

static struct cfg __rcu *cfg_ptr;
static int pub_stop;

struct pub_result {
	unsigned long reads, bad, null;
};

static void *pub_reader(void *arg)
{
	struct pub_result *r = arg;

	while (!READ_ACQ(pub_stop)) {
		struct cfg *c;

		rcu_read_lock();
		c = rcu_dereference(cfg_ptr);
		if (!c)
			r->null++;
		else if (c->magic != CFG_MAGIC || c->b != 2 * c->a)
			r->bad++;
		rcu_read_unlock();
		__atomic_store_n(&r->reads, r->reads + 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* Every version carries an rcu_head, for the rounds that retire by call_rcu(). */
struct cfg_rcu {
	struct cfg c;
	struct rcu_head rcu;
};

static bool pub_readers_busy(struct pub_result *r, int n)
{
	while (n--)
		if (__atomic_load_n(&r[n].reads, __ATOMIC_RELAXED) < 1000)
			return false;
	return true;
}

static struct cfg *cfg_new(unsigned long a)
{
	struct cfg_rcu *cr = malloc(sizeof(*cr));

	cr->c.magic = CFG_MAGIC;
	cr->c.a = a;
	cr->c.b = 2 * a;
	return &cr->c;
}

static void cfg_retire(struct cfg *c)
{
	memset(c, 0, sizeof(*c));	/* a reader still holding it would see magic 0 */
	free(c);			/* c is the start of its struct cfg_rcu */
}

static void cfg_rcu_free(struct rcu_head *head)
{
	cfg_retire(&((struct cfg_rcu *)((char *)head - offsetof(struct cfg_rcu, rcu)))->c);
}

/*
 * Readers check an invariant of every version they see while the updater
 * publishes new versions and wipes old ones after a grace period, by
 * synchronize_rcu() or by call_rcu() in turn.
 */
static void test_publish_and_retire(void)
{
	struct pub_result r[3] = { { 0 } };
	pthread_t t[3];
	struct cfg *old;
	unsigned long i;

	RCU_INIT_POINTER(cfg_ptr, NULL);
	CU_ASSERT_PTR_NULL(rcu_access_pointer(cfg_ptr));
	rcu_assign_pointer(cfg_ptr, cfg_new(1));
	CU_ASSERT_PTR_NOT_NULL(rcu_access_pointer(cfg_ptr));
	WRITE_REL(pub_stop, 0);
	for (i = 0; i < 3; i++)
		t[i] = start(pub_reader, &r[i]);
	/* Go on until every reader has read many versions, however scheduled. */
	for (i = 2; i < PUBLISH_ROUNDS || !pub_readers_busy(r, 3); i++) {
		if (i % 4 < 2) {
			old = rcu_replace_pointer(cfg_ptr, cfg_new(i), true);
		} else {
			old = rcu_dereference_protected(cfg_ptr, true);
			rcu_assign_pointer(cfg_ptr, cfg_new(i));
		}
		if (i % 2) {
			synchronize_rcu();
			cfg_retire(old);
		} else {
			call_rcu(&((struct cfg_rcu *)old)->rcu, cfg_rcu_free);
		}
	}
	WRITE_REL(pub_stop, 1);
	for (i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(pthread_join(t[i], NULL), 0);
		KT_ASSERT_EQ(r[i].bad, 0);
		KT_ASSERT_EQ(r[i].null, 0);
		CU_ASSERT(r[i].reads >= 1000);
	}
	old = rcu_dereference_protected(cfg_ptr, true);
	RCU_INIT_POINTER(cfg_ptr, NULL);
	synchronize_rcu();
	cfg_retire(old);
	rcu_barrier();
}

/* ------------------------------------------------------------------ */
/* coexistence with liburcu's names                                    */
/* ------------------------------------------------------------------ */

struct coexist_result {
	int held1, held2, held3;
};

/*
 * rcu_register_thread() here is kmem's idempotent one, even though
 * <urcu.h> came after <linux/rcupdate.h>; a thread registered through
 * liburcu's own urcu_memb_register_thread() is not registered again.
 */
static void *coexist_thread(void *arg)
{
	struct coexist_result *r = arg;

	rcu_register_thread();
	rcu_register_thread();
	rcu_read_lock();
	r->held1 = rcu_read_ongoing();	/* liburcu's name, same reader state */
	rcu_read_unlock();
	rcu_unregister_thread();
	rcu_unregister_thread();

	urcu_memb_register_thread();
	rcu_read_lock();
	r->held2 = rcu_read_lock_held();
	rcu_read_unlock();
	urcu_memb_unregister_thread();

	rcu_read_lock();		/* registered again, by kmem; gone at exit */
	r->held3 = urcu_memb_read_ongoing();
	rcu_read_unlock();
	return NULL;
}

static void test_coexist_registration(void)
{
	struct coexist_result r = { 0 };

	CU_ASSERT_EQUAL(pthread_join(start(coexist_thread, &r), NULL), 0);
	CU_ASSERT_TRUE(r.held1);
	CU_ASSERT_TRUE(r.held2);
	CU_ASSERT_TRUE(r.held3);
	synchronize_rcu();
	urcu_memb_synchronize_rcu();
}

/* ------------------------------------------------------------------ */
/* cleanup.h                                                           */
/* ------------------------------------------------------------------ */

struct tobj {
	int id;
};

static int tobj_cleanups, tobj_frees, tobj_last_freed;

static struct tobj *tobj_new(int id)
{
	struct tobj *o = malloc(sizeof(*o));

	o->id = id;
	return o;
}

static void tobj_free(struct tobj *o)
{
	tobj_frees++;
	tobj_last_freed = o->id;
	free(o);
}

DEFINE_FREE(tobj, struct tobj *, { tobj_cleanups++; if (_T) tobj_free(_T); })

static void tobj_reset(void)
{
	tobj_cleanups = tobj_frees = 0;
	tobj_last_freed = -1;
}

static int use_and_fail(int fail_early)
{
	struct tobj *o __free(tobj) = tobj_new(7);

	if (fail_early)
		return -ENOMEM;		/* o freed here */
	o->id = 8;
	return 0;			/* and here */
}

static struct tobj *make_tobj(int id, int fail)
{
	struct tobj *o __free(tobj) = tobj_new(id);

	if (fail)
		return NULL;		/* o freed */
	return_ptr(o);			/* o handed over, not freed */
}

static void test_free_scope_exit(void)
{
	tobj_reset();
	{
		struct tobj *o __free(tobj) = tobj_new(1);

		KT_ASSERT_EQ(o->id, 1);
		KT_ASSERT_EQ(tobj_frees, 0);
	}
	KT_ASSERT_EQ(tobj_frees, 1);
	KT_ASSERT_EQ(tobj_last_freed, 1);

	KT_ASSERT_EQ(use_and_fail(1), -ENOMEM);
	KT_ASSERT_EQ(tobj_frees, 2);
	KT_ASSERT_EQ(tobj_last_freed, 7);
	KT_ASSERT_EQ(use_and_fail(0), 0);
	KT_ASSERT_EQ(tobj_frees, 3);
	KT_ASSERT_EQ(tobj_last_freed, 8);

	{	/* NULL: the cleanup runs and frees nothing */
		struct tobj *o __free(tobj) = NULL;

		(void)o;
	}
	KT_ASSERT_EQ(tobj_cleanups, 4);
	KT_ASSERT_EQ(tobj_frees, 3);
}

static void test_no_free_ptr_return_ptr(void)
{
	struct tobj *kept, *got;

	tobj_reset();
	{
		struct tobj *o __free(tobj) = tobj_new(2);

		kept = no_free_ptr(o);
		CU_ASSERT_PTR_NULL(o);
	}
	KT_ASSERT_EQ(tobj_cleanups, 1);
	KT_ASSERT_EQ(tobj_frees, 0);
	KT_ASSERT_EQ(kept->id, 2);

	got = make_tobj(3, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	KT_ASSERT_EQ(got->id, 3);
	KT_ASSERT_EQ(tobj_frees, 0);
	CU_ASSERT_PTR_NULL(make_tobj(4, 1));
	KT_ASSERT_EQ(tobj_frees, 1);
	KT_ASSERT_EQ(tobj_last_freed, 4);

	{	/* ownership passed by other means */
		struct tobj *o __free(tobj) = got;

		retain_and_null_ptr(o);
		CU_ASSERT_PTR_NULL(o);
	}
	KT_ASSERT_EQ(tobj_frees, 1);
	tobj_free(kept);
	tobj_free(got);
}

/* A class: constructor from an int, destructor records what it destroyed. */
struct tval {
	int v;
};
static int tval_destroyed[4], tval_nr_destroyed;

DEFINE_CLASS(tval, struct tval, tval_destroyed[tval_nr_destroyed++ & 3] = _T.v,
	     ((struct tval){ .v = a * 10 }), int a)

static void test_class(void)
{
	tval_nr_destroyed = 0;
	{
		CLASS(tval, x)(1);
		CLASS(tval, y)(2);

		KT_ASSERT_EQ(x.v, 10);
		KT_ASSERT_EQ(y.v, 20);
		KT_ASSERT_EQ(tval_nr_destroyed, 0);
	}
	KT_ASSERT_EQ(tval_nr_destroyed, 2);
	KT_ASSERT_EQ(tval_destroyed[0], 20);	/* reverse order of declaration */
	KT_ASSERT_EQ(tval_destroyed[1], 10);
}

/* Guards over a pthread mutex, and its try-lock variant. */
DEFINE_GUARD(tmutex, pthread_mutex_t *, pthread_mutex_lock(_T), pthread_mutex_unlock(_T))
DEFINE_GUARD_COND(tmutex, _try, !pthread_mutex_trylock(_T))

static pthread_mutex_t tm = PTHREAD_MUTEX_INITIALIZER;

static bool tm_locked(void)
{
	if (pthread_mutex_trylock(&tm) == EBUSY)
		return true;
	pthread_mutex_unlock(&tm);
	return false;
}

static int guarded_early_return(int x)
{
	guard(tmutex)(&tm);

	if (x)
		return tm_locked() ? 1 : -1;
	return tm_locked() ? 2 : -2;
}

static int holder_go, holder_has;

static void *tm_holder(void *arg)
{
	guard(tmutex)(&tm);

	WRITE_REL(holder_has, 1);
	spin_until(&holder_go);
	return NULL;
}

static void test_guards(void)
{
	int i, ran = 0, failed = 0;
	pthread_t t;

	KT_ASSERT_EQ(guarded_early_return(1), 1);
	CU_ASSERT_FALSE(tm_locked());
	KT_ASSERT_EQ(guarded_early_return(0), 2);
	CU_ASSERT_FALSE(tm_locked());

	scoped_guard(tmutex, &tm)
		CU_ASSERT_TRUE(tm_locked());
	CU_ASSERT_FALSE(tm_locked());

	for (i = 0; i < 4; i++) {
		scoped_guard(tmutex, &tm) {
			if (i == 2)
				break;
			ran++;
		}
		CU_ASSERT_FALSE(tm_locked());
	}
	KT_ASSERT_EQ(ran, 3);

	/* Nested guards of different locks, and a guard inside a scoped_guard. */
	scoped_guard(rcu) {
		scoped_guard(tmutex, &tm) {
			guard(rcu)();

			CU_ASSERT_TRUE(tm_locked());
			CU_ASSERT_TRUE(rcu_read_lock_held());
		}
	}
	CU_ASSERT_FALSE(rcu_read_lock_held());
	CU_ASSERT_FALSE(tm_locked());

	/* Conditional: the body runs only when the try-lock succeeded. */
	ran = 0;
	scoped_guard(tmutex_try, &tm)
		ran = tm_locked();
	KT_ASSERT_EQ(ran, 1);
	CU_ASSERT_FALSE(tm_locked());

	WRITE_REL(holder_go, 0);
	WRITE_REL(holder_has, 0);
	t = start(tm_holder, NULL);
	spin_until(&holder_has);
	ran = 0;
	scoped_guard(tmutex_try, &tm)
		ran = 1;
	KT_ASSERT_EQ(ran, 0);
	scoped_cond_guard(tmutex_try, failed = 1, &tm)
		ran = 1;
	KT_ASSERT_EQ(ran, 0);
	KT_ASSERT_EQ(failed, 1);
	WRITE_REL(holder_go, 1);
	CU_ASSERT_EQUAL(pthread_join(t, NULL), 0);
	failed = 0;
	scoped_cond_guard(tmutex_try, failed = 1, &tm)
		ran = tm_locked();
	KT_ASSERT_EQ(ran, 1);
	KT_ASSERT_EQ(failed, 0);
	CU_ASSERT_FALSE(tm_locked());
}

/* A lock guard with state: a pthread spinlock plus a field set by _lock. */
DEFINE_LOCK_GUARD_1(tspin, pthread_spinlock_t, { pthread_spin_lock(_T->lock); _T->taken = 1; },
		    pthread_spin_unlock(_T->lock), int taken)

static void test_lock_guard(void)
{
	pthread_spinlock_t sl;

	CU_ASSERT_EQUAL_FATAL(pthread_spin_init(&sl, PTHREAD_PROCESS_PRIVATE), 0);
	{
		CLASS(tspin, g)(&sl);

		KT_ASSERT_EQ(g.taken, 1);
		KT_ASSERT_EQ(pthread_spin_trylock(&sl), EBUSY);
	}
	KT_ASSERT_EQ(pthread_spin_trylock(&sl), 0);
	pthread_spin_unlock(&sl);
	scoped_guard(tspin, &sl)
		KT_ASSERT_EQ(pthread_spin_trylock(&sl), EBUSY);
	KT_ASSERT_EQ(pthread_spin_trylock(&sl), 0);
	pthread_spin_unlock(&sl);
	pthread_spin_destroy(&sl);
}

static const struct kt_test rcu_tests[] = {
	KT_TEST(test_auto_register),
	KT_TEST(test_register_churn),
	KT_TEST(test_idle_registered_thread),
	KT_TEST(test_synchronize_waits_for_reader),
	KT_TEST(test_liburcu_sync_waits_for_kmem_reader),
	KT_TEST(test_nesting_and_guard_rcu),
	KT_TEST(test_call_rcu_after_grace_period),
	KT_TEST(test_rcu_barrier_waits_for_all),
	KT_TEST(test_callback_queues_callback),
	KT_TEST(test_publish_and_retire),
	KT_TEST(test_coexist_registration),
	KT_END,
};

static const struct kt_test cleanup_tests[] = {
	KT_TEST(test_free_scope_exit),
	KT_TEST(test_no_free_ptr_return_ptr),
	KT_TEST(test_class),
	KT_TEST(test_guards),
	KT_TEST(test_lock_guard),
	KT_END,
};

static const struct kt_suite rcu_suite = { "rcu", NULL, NULL, rcu_tests };
static const struct kt_suite cleanup_suite = { "cleanup", NULL, NULL, cleanup_tests };
static const struct kt_suite *const suites[] = { &rcu_suite, &cleanup_suite, NULL };

int main(int argc, char **argv)
{
	return kt_main(argc, argv, suites);
}
