// SPDX-License-Identifier: MIT
/*
 * RCU across processes (docs/attach.md): a forked "server" builds the
 * allocator at a fixed base and welcomes a "client" with
 * __kmem_attach_welcome(), as test_attach.c and kmemd do (attach_pair.h);
 * the two step through each scenario over pipes, one reading under
 * rcu_read_lock() while the other frees:
 *
 *   - a SLAB_TYPESAFE_BY_RCU slab emptied and shrunk by the server is not
 *     given back to the buddy allocator while the client reads an object
 *     in it, and is once the client leaves its section;
 *   - an object kfree_rcu()ed by the client is not freed while the server
 *     reads it;
 *   - synchronize_rcu() in the server waits for the client's reader;
 *   - more frees than the shared queue holds fill it, wait, and all end
 *     up freed;
 *   - a client that kfree_rcu()s and detaches at once leaves the free to
 *     the server, after the server's reader;
 *   - a client killed inside a read-side section does not hold up grace
 *     periods: marked gone by the server (as kmemd does when its socket
 *     closes), or found dead by the waiters themselves.
 *
 * Every wait is bounded with alarm(): a bug fails the test, never hangs it.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "attach_pair.h"
#include "kunit.h"
#include "internal.h"

#define BASE_STR	"0x7e9000000000"
#define OPTS		"direct_mb=16,highmem_mb=8,hugepages=never,base_address=" BASE_STR
#define CLIENT_ID	200
#define MAGIC		0x7e57ab1e5afe0001ULL
#define HOLD_MS		300	/* how long a free is shown to wait for a reader */

static char sock_path[108];
static bool client_killed;		/* the test kills its client */
static bool notify_gone = true;		/* the server calls __kmem_rcu_client_gone() */
static struct kmem_cache *ts_cache;	/* created by the server before clients attach */

struct tobj {
	u64 magic[4];
	struct rcu_head rcu;
	u64 tail[4];
};

static u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000 + (u64)ts.tv_nsec / 1000000;
}

static bool tobj_intact(const struct tobj *o)
{
	unsigned int i;

	for (i = 0; i < 4; i++)
		if (READ_ONCE(o->magic[i]) != MAGIC + i || READ_ONCE(o->tail[i]) != ~(MAGIC + i))
			return false;
	return true;
}

static void tobj_fill(struct tobj *o)
{
	unsigned int i;

	for (i = 0; i < 4; i++) {
		o->magic[i] = MAGIC + i;
		o->tail[i] = ~(MAGIC + i);
	}
}

static bool is_slab(const struct page *page)
{
	return READ_ONCE(page->flags) & PG_slab;
}

/* ------------------------------------------------------------------ */
/* the server and its client (attach_pair.h)                          */
/* ------------------------------------------------------------------ */

/* In the server: the allocator at BASE_STR, RCU its own until a client comes, ts_cache. */
static int server_init(void)
{
	if (kt_init(OPTS))
		return 100;
	/* embedded and alone: RCU is this process's, at no cost */
	if (kmem_mm.rcu_shared)
		return 101;
	ts_cache = kmem_cache_create("rcu_shared_ts", sizeof(struct tobj), 0,
				     SLAB_TYPESAFE_BY_RCU, NULL);
	return ts_cache ? 0 : 102;
}

/*
 * The server tells RCU when a client's connection ends, as kmemd does,
 * unless a test clears notify_gone; a test that kills its client sets
 * client_killed.
 */
static int run_pair(side_fn server_fn, side_fn client_fn)
{
	const struct pair p = {
		.sock = sock_path,
		.alarm_s = 60,
		.client_alarm_s = 60,
		.server_init = server_init,
		.nr_conns = 1,
		.first_id = CLIENT_ID,
		.client_left = notify_gone ? __kmem_rcu_client_gone : NULL,
		.client_attaches = true,
		.client_killed = client_killed,
		.server_fn = server_fn,
		.client_fn = client_fn,
	};

	snprintf(sock_path, sizeof(sock_path), "/tmp/kmem-test-rcu-shared-%d.sock",
		 (int)getpid());
	return pair_run(&p);
}

/* Wait for the client's attach to reach this process (its slot is live). */
static int wait_shared(void)
{
	u64 end = now_ms() + 10000;

	while (!READ_ONCE(kmem_mm.rcu_shared))
		if (now_ms() > end)
			return -1;
		else
			usleep(1000);
	return 0;
}

/* The client: read @o under rcu_read_lock() until told to leave. */
static int reader_client(const struct chan *c)
{
	struct tobj *o = (struct tobj *)(uintptr_t)chan_get(c);

	CHECK(kmem_mm.rcu_shared);
	rcu_read_lock();
	CHECK(tobj_intact(o));
	CHECK(chan_put(c, 1) == 0);
	CHECK(chan_get(c) == 2);		/* the server freed it meanwhile */
	CHECK(tobj_intact(o));
	rcu_read_unlock();
	CHECK(chan_put(c, 3) == 0);
	CHECK(chan_get(c) == 4);
	CHECK(kmem_detach() == 0);
	return 0;
}

/* ------------------------------------------------------------------ */
/* SLAB_TYPESAFE_BY_RCU                                                */
/* ------------------------------------------------------------------ */

static int typesafe_server(const struct chan *c)
{
	struct kmem_cache_stats st;
	struct tobj *o;
	struct page *page;

	CHECK(kt_pin(0) == 0);
	o = kmem_cache_alloc(ts_cache, GFP_KERNEL);
	CHECK(o);
	tobj_fill(o);
	page = virt_to_page(o);
	CHECK(is_slab(page));
	CHECK(chan_put(c, (uintptr_t)o) == 0);
	CHECK(chan_get(c) == 1);		/* the client reads it */
	CHECK(wait_shared() == 0);
	kmem_cache_free(ts_cache, o);
	kmem_cache_shrink(ts_cache);
	CHECK(kmem_cache_get_stats(ts_cache, &st) == 0);
	CHECK(st.num_slabs == 0);	/* discarded: waiting for a grace period */
	__kmem_rcu_barrier_local();	/* this process's grace period is over */
	CHECK(__kmem_rcu_shared_pending() >= 1);
	usleep(HOLD_MS * 1000);
	/* the client still reads: the page is still the cache's slab */
	CHECK(is_slab(page));
	CHECK(__kmem_rcu_shared_pending() >= 1);
	CHECK(tobj_intact(o));
	CHECK(chan_put(c, 2) == 0);
	CHECK(chan_get(c) == 3);		/* it left its section */
	rcu_barrier();
	CHECK(!is_slab(page));		/* back in the buddy allocator */
	CHECK(__kmem_rcu_shared_pending() == 0);
	CHECK(chan_put(c, 4) == 0);
	return 0;
}

static void test_typesafe_slab_waits_for_other_process(void)
{
	KT_ASSERT_EQ(run_pair(typesafe_server, reader_client), 0);
}

/* ------------------------------------------------------------------ */
/* kfree_rcu                                                           */
/* ------------------------------------------------------------------ */

/* The server reads under rcu_read_lock() what the client kfree_rcu()s. */
static int kfree_rcu_server(const struct chan *c)
{
	struct tobj *o = kmalloc(sizeof(*o), GFP_KERNEL);

	CHECK(o);
	tobj_fill(o);
	rcu_read_lock();
	CHECK(chan_put(c, (uintptr_t)o) == 0);
	CHECK(chan_get(c) == 1);		/* the client freed it and waited */
	CHECK(tobj_intact(o));
	rcu_read_unlock();
	CHECK(chan_put(c, 2) == 0);
	CHECK(chan_get(c) == 3);
	CHECK(chan_put(c, 4) == 0);
	return 0;
}

static int kfree_rcu_client(const struct chan *c)
{
	struct tobj *o = (struct tobj *)(uintptr_t)chan_get(c);
	struct tobj *other[8];
	unsigned int i;

	CHECK(tobj_intact(o));
	kfree_rcu(o, rcu);
	__kmem_rcu_barrier_local();	/* our own grace period is over */
	CHECK(__kmem_rcu_shared_pending() >= 1);
	/* reuse would overwrite it: allocate beside it while the server reads */
	for (i = 0; i < 8; i++) {
		other[i] = kmalloc(sizeof(*o), GFP_KERNEL);
		CHECK(other[i] && other[i] != o);
		memset(other[i], 0xa5, sizeof(*o));
	}
	usleep(HOLD_MS * 1000);
	CHECK(__kmem_rcu_shared_pending() >= 1);
	for (i = 0; i < 8; i++)
		kfree(other[i]);
	CHECK(chan_put(c, 1) == 0);
	CHECK(chan_get(c) == 2);		/* the server left its section */
	rcu_barrier();
	CHECK(__kmem_rcu_shared_pending() == 0);
	CHECK(chan_put(c, 3) == 0);
	CHECK(chan_get(c) == 4);
	CHECK(kmem_detach() == 0);
	return 0;
}

static void test_kfree_rcu_waits_for_other_process(void)
{
	KT_ASSERT_EQ(run_pair(kfree_rcu_server, kfree_rcu_client), 0);
}

/*
 * The client kfree_rcu()s an object the server reads and detaches at once:
 * the free, queued in shared memory by the client's detach, waits for the
 * server's reader and is released by the server.
 */
static int detach_server(const struct chan *c)
{
	struct tobj *o = kmalloc(sizeof(*o), GFP_KERNEL);

	CHECK(o);
	tobj_fill(o);
	rcu_read_lock();
	CHECK(chan_put(c, (uintptr_t)o) == 0);
	CHECK(chan_get(c) == 1);		/* freed and detached */
	usleep(HOLD_MS * 1000);
	CHECK(__kmem_rcu_shared_pending() == 1);
	CHECK(tobj_intact(o));
	rcu_read_unlock();
	rcu_barrier();
	CHECK(__kmem_rcu_shared_pending() == 0);
	CHECK(chan_put(c, 2) == 0);
	return 0;
}

static int detach_client(const struct chan *c)
{
	struct tobj *o = (struct tobj *)(uintptr_t)chan_get(c);

	CHECK(tobj_intact(o));
	kfree_rcu(o, rcu);
	CHECK(kmem_detach() == 0);
	CHECK(!kmem_mm.rcu_shared);
	CHECK(chan_put(c, 1) == 0);
	CHECK(chan_get(c) == 2);
	return 0;
}

static void test_detached_client_frees_released_by_others(void)
{
	KT_ASSERT_EQ(run_pair(detach_server, detach_client), 0);
}

/*
 * More frees than the shared queue holds, while the client reads: the
 * queue fills and stays full (the callback that found it full waits), and
 * everything is freed once the reader leaves.
 */
static int overflow_server(const struct chan *c)
{
	enum { NR = KMEM_RCU_MAX_DEFERRED + 300 };
	struct kmem_cache_stats st;
	struct kmem_cache *s;
	struct tobj *o = kmalloc(sizeof(*o), GFP_KERNEL), *p;
	unsigned int i;

	CHECK(o);
	tobj_fill(o);
	s = kmem_cache_create("rcu_shared_many", sizeof(struct tobj), 0, 0, NULL);
	CHECK(s);
	CHECK(chan_put(c, (uintptr_t)o) == 0);
	CHECK(chan_get(c) == 1);		/* the client is in its section */
	CHECK(wait_shared() == 0);
	for (i = 0; i < NR; i++) {
		p = kmem_cache_alloc(s, GFP_KERNEL);
		CHECK(p);
		kfree_rcu(p, rcu);
	}
	usleep(HOLD_MS * 1000);
	CHECK(__kmem_rcu_shared_pending() == KMEM_RCU_MAX_DEFERRED);
	CHECK(tobj_intact(o));
	CHECK(chan_put(c, 2) == 0);
	CHECK(chan_get(c) == 3);
	rcu_barrier();
	CHECK(__kmem_rcu_shared_pending() == 0);
	kmem_cache_shrink(s);
	CHECK(kmem_cache_get_stats(s, &st) == 0);
	CHECK(st.num_slabs == 0);	/* every object came back */
	kmem_cache_destroy(s);
	kfree(o);
	CHECK(chan_put(c, 4) == 0);
	return 0;
}

static void test_shared_queue_bounded(void)
{
	KT_ASSERT_EQ(run_pair(overflow_server, reader_client), 0);
}

/* ------------------------------------------------------------------ */
/* synchronize_rcu                                                     */
/* ------------------------------------------------------------------ */

static int sync_done;

static void *sync_thread(void *arg)
{
	synchronize_rcu();
	__atomic_store_n(&sync_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static int sync_server(const struct chan *c)
{
	struct tobj *o = kmalloc(sizeof(*o), GFP_KERNEL);
	pthread_t t;

	CHECK(o);
	tobj_fill(o);
	CHECK(chan_put(c, (uintptr_t)o) == 0);
	CHECK(chan_get(c) == 1);		/* the client is in its section */
	CHECK(wait_shared() == 0);
	CHECK(pthread_create(&t, NULL, sync_thread, NULL) == 0);
	usleep(HOLD_MS * 1000);
	CHECK(!__atomic_load_n(&sync_done, __ATOMIC_ACQUIRE));
	CHECK(chan_put(c, 2) == 0);
	CHECK(pthread_join(t, NULL) == 0);
	CHECK(__atomic_load_n(&sync_done, __ATOMIC_ACQUIRE));
	CHECK(chan_get(c) == 3);
	kfree(o);
	CHECK(chan_put(c, 4) == 0);
	return 0;
}

static void test_synchronize_rcu_waits_for_other_process(void)
{
	KT_ASSERT_EQ(run_pair(sync_server, reader_client), 0);
}

/* ------------------------------------------------------------------ */
/* a reader that dies                                                  */
/* ------------------------------------------------------------------ */

static int dying_client(const struct chan *c)
{
	struct tobj *o = (struct tobj *)(uintptr_t)chan_get(c);

	rcu_read_lock();
	CHECK(tobj_intact(o));
	CHECK(chan_put(c, 1) == 0);
	for (;;)
		pause();	/* killed in here */
	return 0;
}

static int dying_server(const struct chan *c)
{
	struct tobj *o = kmem_cache_alloc(ts_cache, GFP_KERNEL);
	struct page *page;

	CHECK(o);
	tobj_fill(o);
	page = virt_to_page(o);
	CHECK(chan_put(c, (uintptr_t)o) == 0);
	CHECK(chan_get(c) == 1);
	CHECK(wait_shared() == 0);
	kmem_cache_free(ts_cache, o);
	kmem_cache_shrink(ts_cache);
	CHECK(kill(c->peer, SIGKILL) == 0);	/* still a zombie: not reaped */
	synchronize_rcu();		/* bounded by alarm(): a hang fails */
	rcu_barrier();
	CHECK(!is_slab(page));
	CHECK(__kmem_rcu_shared_pending() == 0);
	/* and grace periods go on without it */
	o = kmalloc(sizeof(*o), GFP_KERNEL);
	CHECK(o);
	kfree_rcu(o, rcu);
	rcu_barrier();
	CHECK(__kmem_rcu_shared_pending() == 0);
	return 0;
}

static void test_dead_reader_marked_gone(void)
{
	client_killed = true;
	notify_gone = true;
	KT_ASSERT_EQ(run_pair(dying_server, dying_client), 0);
	client_killed = false;
}

static void test_dead_reader_found_dead(void)
{
	client_killed = true;
	notify_gone = false;	/* the waiters find the zombie themselves */
	KT_ASSERT_EQ(run_pair(dying_server, dying_client), 0);
	client_killed = false;
	notify_gone = true;
}

static const struct kt_test rcu_shared_tests[] = {
	KT_TEST(test_typesafe_slab_waits_for_other_process),
	KT_TEST(test_kfree_rcu_waits_for_other_process),
	KT_TEST(test_synchronize_rcu_waits_for_other_process),
	KT_TEST(test_shared_queue_bounded),
	KT_TEST(test_detached_client_frees_released_by_others),
	KT_TEST(test_dead_reader_marked_gone),
	KT_TEST(test_dead_reader_found_dead),
	KT_END,
};

static const struct kt_suite rcu_shared_suite = { "rcu_shared", NULL, NULL, rcu_shared_tests };
static const struct kt_suite *const suites[] = { &rcu_shared_suite, NULL };

int main(int argc, char **argv) { return kt_main(argc, argv, suites); }
