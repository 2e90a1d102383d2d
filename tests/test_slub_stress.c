// SPDX-License-Identifier: MIT
/*
 * Many threads at once on the slab layer.
 *
 *   storm          threads allocate and free kmalloc objects of random sizes
 *                  and objects of a constructed cache; every object carries
 *                  its owner and a canary, checked on free, and ownership is
 *                  claimed with a compare-and-swap that fails if an object is
 *                  ever handed out to two holders at once
 *   producer/consumer  one thread allocates, another frees
 *   remote frees   objects of node 1 freed by threads on every CPU
 *   typesafe_by_rcu    readers under rcu_read_lock() only ever find objects
 *                  of the cache (needs <linux/rcupdate.h>)
 *
 * Each ends with everything freed and kmem_cache_shrink(): a cache that has
 * lost or double-counted an object keeps a slab.  The suites run twice:
 * with rseq per-CPU caches and with per-CPU locks (rseq=off).
 *
 * Threads never call CUnit: they count problems, and the main thread checks
 * the counts.
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/topology.h>

#include "kunit.h"

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define OPS_SCALE	4	/* sanitizers: fewer operations, same shapes */
#else
#define OPS_SCALE	1
#endif

#define NTHREADS	8
#define STORM_OPS	(50000 / OPS_SCALE)	/* per thread */
#define PC_OBJECTS	(100000 / OPS_SCALE)	/* per producer */
#define REMOTE_ROUNDS	(600 / OPS_SCALE)	/* per thread, 32 objects each */

static int init_common(const char *opts, bool rseq)
{
	struct kmem_info info;

	if (kt_init(opts))
		return -1;
	kmem_get_info(&info);
	if (info.rseq != rseq) {
		if (rseq) {
			/* this machine has no rseq: the suite still runs, on locks */
			printf("\n  (rseq unavailable: running with per-CPU locks)\n");
		} else {
			return -1;	/* rseq=off must give the locked mode */
		}
	}
	return 0;
}

static int init_rseq(void)
{
	return init_common("fake_numa=2,direct_mb=128,highmem_mb=8", true);
}

static int init_locked(void)
{
	return init_common("fake_numa=2,direct_mb=128,highmem_mb=8,rseq=off", false);
}

static int suite_exit(void)
{
	kt_capture_stop();
	kmem_exit();
	return 0;
}

static struct kmem_cache_stats stats_of(struct kmem_cache *s)
{
	struct kmem_cache_stats st;

	memset(&st, 0, sizeof(st));
	kmem_cache_get_stats(s, &st);
	return st;
}

/* Shrink @s and check that nothing is left: no slab, no object. */
static void check_empty_after_shrink(struct kmem_cache *s)
{
	struct kmem_cache_stats st;

	kmem_cache_shrink(s);
	st = stats_of(s);
	if (st.num_slabs || st.active_objs)
		fprintf(stderr, "%s after shrink: %llu slabs, %llu active objects\n", st.name,
			(unsigned long long)st.num_slabs, (unsigned long long)st.active_objs);
	CU_ASSERT_EQUAL(st.num_slabs, 0);
	CU_ASSERT_EQUAL(st.active_objs, 0);
	CU_ASSERT_EQUAL(st.num_objs, 0);
}

/* Problems seen by the threads. */
static struct {
	unsigned long alloc_fail;
	unsigned long twice;		/* an object handed out while someone held it */
	unsigned long canary;		/* an object changed while its owner held it */
	unsigned long ctor_state;	/* an object without its constructed state */
	unsigned long wrong_node;
	unsigned long bad_tag;		/* RCU reader found memory of another type */
} bad;

#define BAD(field)	__atomic_fetch_add(&bad.field, 1, __ATOMIC_RELAXED)

static void check_no_problems(void)
{
	if (bad.alloc_fail || bad.twice || bad.canary || bad.ctor_state || bad.wrong_node ||
	    bad.bad_tag)
		fprintf(stderr,
			"problems: alloc_fail %lu twice %lu canary %lu ctor_state %lu "
			"wrong_node %lu bad_tag %lu\n",
			bad.alloc_fail, bad.twice, bad.canary, bad.ctor_state, bad.wrong_node,
			bad.bad_tag);
	CU_ASSERT_EQUAL(bad.alloc_fail, 0);
	CU_ASSERT_EQUAL(bad.twice, 0);
	CU_ASSERT_EQUAL(bad.canary, 0);
	CU_ASSERT_EQUAL(bad.ctor_state, 0);
	CU_ASSERT_EQUAL(bad.wrong_node, 0);
	CU_ASSERT_EQUAL(bad.bad_tag, 0);
	memset(&bad, 0, sizeof(bad));
}

/* ------------------------------------------------------------------ */
/* ownership of kmalloc objects: one byte per 8-byte granule of kmem   */
/* ------------------------------------------------------------------ */

static uint8_t *owner_map;
static uint64_t owner_granules;

static void owner_map_init(void)
{
	struct kmem_info info;

	kmem_get_info(&info);
	owner_granules = info.total_pages * (PAGE_SIZE / 8);
	owner_map = calloc(owner_granules, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(owner_map);
}

static void owner_map_free(void)
{
	free(owner_map);
	owner_map = NULL;
}

static uint8_t *owner_of(const void *p)
{
	uint64_t g = ((uint64_t)page_to_pfn(virt_to_page(p)) << (PAGE_SHIFT - 3)) |
		     (offset_in_page(p) >> 3);

	return g < owner_granules ? &owner_map[g] : NULL;
}

/* Claim @p for thread @tid: fails if another holder has it. */
static void claim(const void *p, unsigned int tid)
{
	uint8_t *o = owner_of(p), zero = 0;

	if (!o || !__atomic_compare_exchange_n(o, &zero, (uint8_t)(tid + 1), false,
					       __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		BAD(twice);
}

static void release(const void *p, unsigned int tid)
{
	uint8_t *o = owner_of(p), mine = (uint8_t)(tid + 1);

	if (!o || !__atomic_compare_exchange_n(o, &mine, 0, false, __ATOMIC_ACQ_REL,
					       __ATOMIC_ACQUIRE))
		BAD(twice);
}

/* The canary of a kmalloc object: a byte pattern from owner and serial. */
static inline uint8_t pattern(uint64_t stamp, size_t i)
{
	return (uint8_t)(stamp * 31 + i * 7 + (i >> 8));
}

/* Fill the bytes the checks look at: all of a small object, the ends of a big one. */
#define EDGE	256

static void fill_canary(uint8_t *p, size_t size, uint64_t stamp)
{
	size_t i;

	if (size <= 2 * EDGE) {
		for (i = 0; i < size; i++)
			p[i] = pattern(stamp, i);
		return;
	}
	for (i = 0; i < EDGE; i++)
		p[i] = pattern(stamp, i);
	for (i = size - EDGE; i < size; i++)
		p[i] = pattern(stamp, i);
}

static bool check_canary(const uint8_t *p, size_t size, uint64_t stamp)
{
	size_t i;

	if (size <= 2 * EDGE) {
		for (i = 0; i < size; i++)
			if (p[i] != pattern(stamp, i))
				return false;
		return true;
	}
	for (i = 0; i < EDGE; i++)
		if (p[i] != pattern(stamp, i))
			return false;
	for (i = size - EDGE; i < size; i++)
		if (p[i] != pattern(stamp, i))
			return false;
	return true;
}

/* ------------------------------------------------------------------ */
/* the constructed cache                                               */
/* ------------------------------------------------------------------ */

#define SOBJ_TAG	0x534f424a5f544147ULL	/* "SOBJ_TAG" */

struct sobj {
	uint64_t owner;		/* 0 free, else holder + 1; compare-and-swapped */
	uint64_t tag;		/* set by the constructor, never changed */
	uint64_t stamp;
	uint64_t canary[13];
};

static void sobj_ctor(void *p)
{
	struct sobj *o = p;

	__atomic_store_n(&o->owner, 0, __ATOMIC_RELAXED);
	o->tag = SOBJ_TAG;
}

static void sobj_take(struct sobj *o, unsigned int tid, uint64_t stamp)
{
	uint64_t zero = 0;
	unsigned int i;

	if (o->tag != SOBJ_TAG)
		BAD(ctor_state);
	if (!__atomic_compare_exchange_n(&o->owner, &zero, tid + 1, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE))
		BAD(twice);
	o->stamp = stamp;
	for (i = 0; i < 13; i++)
		o->canary[i] = stamp * 0x9e3779b97f4a7c15ULL + i;
}

/* Check and give back to the constructed state. */
static void sobj_put(struct sobj *o, unsigned int tid, uint64_t stamp)
{
	uint64_t mine = tid + 1;
	unsigned int i;

	if (o->stamp != stamp || o->tag != SOBJ_TAG)
		BAD(canary);
	for (i = 0; i < 13; i++)
		if (o->canary[i] != stamp * 0x9e3779b97f4a7c15ULL + i)
			BAD(canary);
	if (!__atomic_compare_exchange_n(&o->owner, &mine, 0, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE))
		BAD(twice);
}

/* ------------------------------------------------------------------ */
/* the migrator: moves worker threads from CPU to CPU all the time     */
/* ------------------------------------------------------------------ */

/*
 * The interesting races need a thread to change CPU (and node) in the middle
 * of an allocator operation.  The scheduler does that now and then; the
 * migrator does it thousands of times a second by changing the workers'
 * affinity.  Workers call worker_done() last: they wait there until the
 * migrator has stopped, so it never touches a thread that has exited.
 */
static struct {
	pthread_t workers[NTHREADS];
	unsigned int nr;
	unsigned int running;
	int stopped;
	pthread_t thread;
	cpu_set_t allowed;
} mig;

static void worker_done(void)
{
	__atomic_sub_fetch(&mig.running, 1, __ATOMIC_ACQ_REL);
	while (!__atomic_load_n(&mig.stopped, __ATOMIC_ACQUIRE))
		sched_yield();
}

static void *migrator(void *arg)
{
	uint64_t rng = kt_seed() ^ 0x6d6967;
	int cpus[CPU_SETSIZE], nr_cpus = 0, cpu;
	cpu_set_t one;
	unsigned int k;

	(void)arg;
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &mig.allowed))
			cpus[nr_cpus++] = cpu;
	while (nr_cpus > 1 && __atomic_load_n(&mig.running, __ATOMIC_ACQUIRE)) {
		struct timespec ts = { 0, 20000 };

		for (k = 0; k < mig.nr; k++) {
			CPU_ZERO(&one);
			CPU_SET(cpus[kt_rand(&rng) % (unsigned int)nr_cpus], &one);
			pthread_setaffinity_np(mig.workers[k], sizeof(one), &one);
		}
		nanosleep(&ts, NULL);
	}
	/* give them all CPUs back before they go */
	for (k = 0; k < mig.nr; k++)
		pthread_setaffinity_np(mig.workers[k], sizeof(mig.allowed), &mig.allowed);
	__atomic_store_n(&mig.stopped, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Start @n workers running @fn(@args[i]); with @migrate, keep moving them. */
static void start_workers(unsigned int n, void *(*fn)(void *), void *args, size_t arg_size,
			  bool migrate)
{
	unsigned int i;

	mig.nr = n;
	mig.running = n;
	mig.stopped = 0;
	sched_getaffinity(0, sizeof(mig.allowed), &mig.allowed);
	for (i = 0; i < n; i++)
		CU_ASSERT_EQUAL_FATAL(pthread_create(&mig.workers[i], NULL, fn,
						     (char *)args + i * arg_size), 0);
	if (migrate) {
		CU_ASSERT_EQUAL_FATAL(pthread_create(&mig.thread, NULL, migrator, NULL), 0);
	} else {
		__atomic_store_n(&mig.stopped, 1, __ATOMIC_RELEASE);
	}
	for (i = 0; i < n; i++)
		pthread_join(mig.workers[i], NULL);
	if (migrate)
		pthread_join(mig.thread, NULL);
}

/* ------------------------------------------------------------------ */
/* storm                                                               */
/* ------------------------------------------------------------------ */

struct storm_arg {
	unsigned int tid;
	struct kmem_cache *s;
	uint64_t seed;
};

struct slot {
	void *p;
	size_t size;		/* 0: cache object */
	uint64_t stamp;
};

static size_t random_size(uint64_t *rng)
{
	uint64_t r = kt_rand(rng);

	switch (r % 100) {
	case 0:
		return KMALLOC_MAX_CACHE_SIZE + 1 + (r >> 8) % (64 * 1024);	/* large */
	case 1 ... 10:
		return 1 + (r >> 8) % KMALLOC_MAX_CACHE_SIZE;
	case 11 ... 35:
		return 1 + (r >> 8) % 1024;
	default:
		return 1 + (r >> 8) % 256;
	}
}

static void slot_alloc(struct slot *sl, struct kmem_cache *s, unsigned int tid, uint64_t *rng,
		       uint64_t stamp)
{
	uint64_t r = kt_rand(rng);

	sl->stamp = stamp;
	if (r & 1) {
		sl->size = 0;
		bool zero = (r >> 1) % 8 == 0;

		sl->p = zero ? kmem_cache_zalloc(s, GFP_KERNEL) : kmem_cache_alloc(s, GFP_KERNEL);
		if (!sl->p) {
			BAD(alloc_fail);
			return;
		}
		if (!zero) {
			sobj_take(sl->p, tid, stamp);
		} else {
			/* zeroed: no constructed state to check, but the memory is ours */
			struct sobj *o = sl->p;

			o->tag = SOBJ_TAG;
			sobj_take(o, tid, stamp);
		}
		return;
	}
	sl->size = random_size(rng);
	sl->p = r & 2 ? kmalloc(sl->size, GFP_KERNEL) : kzalloc(sl->size, GFP_KERNEL);
	if (!sl->p) {
		BAD(alloc_fail);
		return;
	}
	claim(sl->p, tid);
	fill_canary(sl->p, sl->size, stamp);
}

static void slot_free(struct slot *sl, struct kmem_cache *s, unsigned int tid)
{
	if (!sl->p)
		return;
	if (!sl->size) {
		sobj_put(sl->p, tid, sl->stamp);
		kmem_cache_free(s, sl->p);
	} else {
		if (!check_canary(sl->p, sl->size, sl->stamp))
			BAD(canary);
		release(sl->p, tid);
		kfree(sl->p);
	}
	sl->p = NULL;
}

#define SLOTS	256

static void *storm_thread(void *arg)
{
	struct storm_arg *a = arg;
	struct slot *slots = calloc(SLOTS, sizeof(*slots));
	uint64_t rng = a->seed, stamp = (uint64_t)a->tid << 40;
	unsigned int op, i;

	for (op = 0; op < STORM_OPS; op++) {
		uint64_t r = kt_rand(&rng);
		struct slot *sl = &slots[r % SLOTS];

		if ((r >> 20) % 64 == 0) {
			/* now and then a bulk round trip */
			void *bulk[24];
			uint64_t st0 = ++stamp;
			unsigned int j;

			if (kmem_cache_alloc_bulk(a->s, GFP_KERNEL, 24, bulk) != 24) {
				BAD(alloc_fail);
				continue;
			}
			for (j = 0; j < 24; j++)
				sobj_take(bulk[j], a->tid, st0 + j);
			stamp += 24;
			for (j = 0; j < 24; j++)
				sobj_put(bulk[j], a->tid, st0 + j);
			kmem_cache_free_bulk(a->s, 24, bulk);
			continue;
		}
		if (sl->p)
			slot_free(sl, a->s, a->tid);
		else
			slot_alloc(sl, a->s, a->tid, &rng, ++stamp);
	}
	for (i = 0; i < SLOTS; i++)
		slot_free(&slots[i], a->s, a->tid);
	free(slots);
	worker_done();
	return NULL;
}

static void storm(bool migrate)
{
	struct kmem_cache *s = kmem_cache_create("storm", sizeof(struct sobj), 0,
						 SLAB_HWCACHE_ALIGN, sobj_ctor);
	struct storm_arg args[NTHREADS];
	struct kmem_cache_stats st;
	unsigned int i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	owner_map_init();
	kt_capture_start();
	for (i = 0; i < NTHREADS; i++)
		args[i] = (struct storm_arg){ .tid = i, .s = s, .seed = kt_seed() + i * 7919 };
	start_workers(NTHREADS, storm_thread, args, sizeof(args[0]), migrate);
	check_no_problems();
	if (kt_captured_count())
		fprintf(stderr, "reports:\n%s", kt_captured_text());
	CU_ASSERT_EQUAL(kt_captured_count(), 0);
	kt_capture_stop();
	/* every claim was released */
	for (uint64_t g = 0; g < owner_granules; g++)
		if (owner_map[g]) {
			CU_FAIL("kmalloc object still claimed");
			break;
		}
	st = stats_of(s);
	CU_ASSERT_EQUAL(st.debug_reports, 0);
	/* the constructor ran once per object of each slab ever made, never more */
	CU_ASSERT_EQUAL(st.ctor_calls % st.objperslab, 0);
	check_empty_after_shrink(s);
	kmem_cache_destroy(s);
	owner_map_free();
}

static void test_storm(void)
{
	storm(false);
}

/* The same with threads moved between CPUs all the time. */
static void test_storm_migrating(void)
{
	storm(true);
}

/* ------------------------------------------------------------------ */
/* producer / consumer                                                 */
/* ------------------------------------------------------------------ */

#define RING	1024

struct ring {
	struct {
		void *p;
		size_t size;	/* 0: cache object */
		uint64_t stamp;
	} e[RING];
	uint64_t head;		/* written by the producer */
	uint64_t tail;		/* written by the consumer */
	struct kmem_cache *s;
	unsigned int id;
};

static void *producer(void *arg)
{
	struct ring *r = arg;
	uint64_t rng = kt_seed() ^ (r->id * 0x1234567ULL), n;

	for (n = 0; n < PC_OBJECTS; n++) {
		uint64_t head = __atomic_load_n(&r->head, __ATOMIC_RELAXED);
		uint64_t stamp = ((uint64_t)r->id << 40) | n;
		unsigned int slot = head % RING;

		while (head - __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE) >= RING)
			sched_yield();
		if (n & 1) {
			struct sobj *o = kmem_cache_alloc(r->s, GFP_KERNEL);

			if (!o) {
				BAD(alloc_fail);
				break;
			}
			sobj_take(o, r->id, stamp);
			r->e[slot].p = o;
			r->e[slot].size = 0;
		} else {
			size_t size = random_size(&rng);
			void *p = kmalloc(size, GFP_KERNEL);

			if (!p) {
				BAD(alloc_fail);
				break;
			}
			claim(p, r->id);
			fill_canary(p, size, stamp);
			r->e[slot].p = p;
			r->e[slot].size = size;
		}
		r->e[slot].stamp = stamp;
		__atomic_store_n(&r->head, head + 1, __ATOMIC_RELEASE);
	}
	/* end marker */
	while (__atomic_load_n(&r->head, __ATOMIC_RELAXED) -
	       __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE) >= RING)
		sched_yield();
	r->e[r->head % RING].p = NULL;
	__atomic_store_n(&r->head, r->head + 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *consumer(void *arg)
{
	struct ring *r = arg;

	for (;;) {
		uint64_t tail = __atomic_load_n(&r->tail, __ATOMIC_RELAXED);
		unsigned int slot = tail % RING;
		void *p;

		while (__atomic_load_n(&r->head, __ATOMIC_ACQUIRE) == tail)
			sched_yield();
		p = r->e[slot].p;
		if (!p) {
			__atomic_store_n(&r->tail, tail + 1, __ATOMIC_RELEASE);
			break;
		}
		if (!r->e[slot].size) {
			/* handed over: the producer's claim becomes ours */
			sobj_put(p, r->id, r->e[slot].stamp);
			kmem_cache_free(r->s, p);
		} else {
			if (!check_canary(p, r->e[slot].size, r->e[slot].stamp))
				BAD(canary);
			release(p, r->id);
			kfree(p);
		}
		__atomic_store_n(&r->tail, tail + 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void test_producer_consumer(void)
{
	enum { PAIRS = 2 };
	struct kmem_cache *s = kmem_cache_create("prodcons", sizeof(struct sobj), 0, 0, sobj_ctor);
	struct ring *rings = calloc(PAIRS, sizeof(*rings));
	pthread_t th[2 * PAIRS];
	unsigned int i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rings);
	owner_map_init();
	kt_capture_start();
	for (i = 0; i < PAIRS; i++) {
		rings[i].s = s;
		rings[i].id = i;
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th[2 * i], NULL, producer, &rings[i]), 0);
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th[2 * i + 1], NULL, consumer, &rings[i]), 0);
	}
	for (i = 0; i < 2 * PAIRS; i++)
		pthread_join(th[i], NULL);
	check_no_problems();
	if (kt_captured_count())
		fprintf(stderr, "reports:\n%s", kt_captured_text());
	CU_ASSERT_EQUAL(kt_captured_count(), 0);
	kt_capture_stop();
	for (i = 0; i < PAIRS; i++)
		CU_ASSERT_EQUAL(rings[i].head, rings[i].tail);
	check_empty_after_shrink(s);
	kmem_cache_destroy(s);
	owner_map_free();
	free(rings);
}

/* ------------------------------------------------------------------ */
/* remote frees: node 1's objects freed everywhere                     */
/* ------------------------------------------------------------------ */

#define BATCH	32

static struct {
	pthread_mutex_t lock;
	void **objs;
	unsigned int nr, cap;
} pool = { .lock = PTHREAD_MUTEX_INITIALIZER };

struct remote_arg {
	unsigned int tid;
	struct kmem_cache *s;
	int node;
	uint64_t seed;
	uint64_t deadline_ns;	/* 0: REMOTE_ROUNDS rounds; else until then */
	bool churn_pages;	/* also recycle slab-sized blocks of pages at once */
	bool any_node;		/* node placement is not what this run checks */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Keep going?  A timed run stops early once the failure it hunts is seen. */
static bool remote_more(const struct remote_arg *a, unsigned int round)
{
	if (!a->deadline_ns)
		return round < REMOTE_ROUNDS;
	return now_ns() < a->deadline_ns &&
	       (a->any_node || !__atomic_load_n(&bad.wrong_node, __ATOMIC_RELAXED));
}

static void *remote_thread(void *arg)
{
	struct remote_arg *a = arg;
	uint64_t rng = a->seed;
	void *mine[BATCH + 8];
	unsigned int round, i, n;

	for (round = 0; remote_more(a, round); round++) {
		/* node -1: both nodes, batch by batch */
		int node = a->node >= 0 ? a->node : (int)(kt_rand(&rng) % 2);

		/* allocate a batch on the node, hand it to the pool */
		for (i = 0; i < BATCH; i++) {
			struct sobj *o = kmem_cache_alloc_node(a->s, GFP_KERNEL, node);

			if (!o) {
				BAD(alloc_fail);
				worker_done();
				return NULL;
			}
			if (!a->any_node && page_to_nid(virt_to_page(o)) != node)
				BAD(wrong_node);
			sobj_take(o, 0, (uint64_t)(uintptr_t)o);
			mine[i] = o;
		}
		pthread_mutex_lock(&pool.lock);
		for (i = 0; i < BATCH && pool.nr < pool.cap; i++)
			pool.objs[pool.nr++] = mine[i];
		/* the pool is full: the rest go back here */
		for (n = i; n < BATCH; n++) {
			sobj_put(mine[n], 0, (uint64_t)(uintptr_t)mine[n]);
			kmem_cache_free(a->s, mine[n]);
		}
		/* and take back a random handful, mostly other threads' */
		n = (unsigned int)(kt_rand(&rng) % (BATCH + 8));
		if (pool.nr > pool.cap / 2)
			n = BATCH + 8;
		for (i = 0; i < n && pool.nr; i++) {
			unsigned int k = (unsigned int)(kt_rand(&rng) % pool.nr);

			mine[i] = pool.objs[k];
			pool.objs[k] = pool.objs[--pool.nr];
		}
		pthread_mutex_unlock(&pool.lock);
		n = i;
		for (i = 0; i < n; i++) {
			sobj_put(mine[i], 0, (uint64_t)(uintptr_t)mine[i]);
			kmem_cache_free(a->s, mine[i]);
		}
		/* pages of freed slabs get reused at once, as anything */
		if (a->churn_pages) {
			/* kmalloc-2k, -4k and -8k slabs have the same order as this cache's */
			void *p[6];

			for (i = 0; i < 6; i++) {
				size_t sz = 2048U << (i % 3);

				p[i] = kmalloc_node(sz, GFP_KERNEL, node);
				if (p[i])
					memset(p[i], 0xee, sz);
			}
			for (i = 0; i < 6; i++)
				kfree(p[i]);
		}
		/* and some kmalloc_node traffic on the same node */
		{
			void *p = kmalloc_node(1 + kt_rand(&rng) % 2048, GFP_KERNEL, node);

			if (!p)
				BAD(alloc_fail);
			else if (!a->any_node && page_to_nid(virt_to_page(p)) != node)
				BAD(wrong_node);
			kfree(p);
		}
	}
	worker_done();
	return NULL;
}

static void remote_frees(int node, unsigned int size, bool migrate, unsigned int ms,
			 bool churn_pages)
{
	struct kmem_cache *s = kmem_cache_create("remote", size, 0, 0, sobj_ctor);
	struct remote_arg args[NTHREADS];
	unsigned int i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_FATAL(node < num_online_nodes());
	pool.cap = 16384;
	pool.objs = calloc(pool.cap, sizeof(void *));
	pool.nr = 0;
	kt_capture_start();
	for (i = 0; i < NTHREADS; i++)
		args[i] = (struct remote_arg){ .tid = i, .s = s, .node = node,
					       .seed = kt_seed() * (i + 3),
					       .deadline_ns = ms ? now_ns() + ms * 1000000ULL : 0,
					       .churn_pages = churn_pages, .any_node = churn_pages };
	start_workers(NTHREADS, remote_thread, args, sizeof(args[0]), migrate);
	/* what is left in the pool */
	for (i = 0; i < pool.nr; i++) {
		sobj_put(pool.objs[i], 0, (uint64_t)(uintptr_t)pool.objs[i]);
		kmem_cache_free(s, pool.objs[i]);
	}
	check_no_problems();
	CU_ASSERT_EQUAL(kt_captured_count(), 0);
	kt_capture_stop();
	check_empty_after_shrink(s);
	kmem_cache_destroy(s);
	free(pool.objs);
	pool.objs = NULL;
}

static void test_remote_frees_node1(void)
{
	remote_frees(1, sizeof(struct sobj), false, 0, false);
}

static void test_remote_frees_node0(void)
{
	remote_frees(0, sizeof(struct sobj), false, 0, false);
}

/*
 * Both nodes' objects, freed on every CPU, allocated on the local fast paths,
 * while the threads are moved between CPUs (and so nodes).  Big objects:
 * small per-CPU caches, refilled often, so that a move often lands in the
 * middle of a refill or a free.  For 600 ms, or until an object of the wrong
 * node turns up.
 */
static void test_remote_frees_mixed(void)
{
	remote_frees(-1, 3000, true, 600, false);
}

/* ------------------------------------------------------------------ */
/* SLAB_TYPESAFE_BY_RCU                                                */
/* ------------------------------------------------------------------ */

#if __has_include(<linux/rcupdate.h>)
#include <linux/rcupdate.h>

/*
 * Readers take pointers from a table under rcu_read_lock() while writers
 * replace and free the objects, and a churn thread shrinks the cache (empty
 * slabs go back to the page allocator) and at once takes pages of the same
 * order and fills them with garbage.  An object freed under a reader may be
 * reused at once, but only as an object of the same cache: its type tag, set
 * by the constructor and never cleared, is there for as long as the reader
 * stays in its read-side critical section, however long that is.  (Were the
 * slab pages freed without a grace period, the readers would see the
 * garbage: with an rcu stub that frees at once this test fails.)
 *
 * Threads are not registered with RCU here: kmem's <linux/rcupdate.h> is a
 * kernel-style API, which needs no registration.
 */
#define RCU_TAG		0x5243555f54414721ULL	/* "RCU_TAG!" */
#define RCU_SLOTS	64
#define RCU_OBJ_SIZE	512
#define RCU_HOLD_NS	200000		/* a read-side critical section */
#define RCU_RUN_MS	(600 / OPS_SCALE)

struct robj {
	uint64_t tag;		/* constructor's, never changed */
	uint64_t key;		/* atomic: 0 while free */
	uint64_t payload[RCU_OBJ_SIZE / 8 - 2];
};

static struct robj *rcu_table[RCU_SLOTS];
static int rcu_stop;

static void robj_ctor(void *p)
{
	struct robj *o = p;

	o->tag = RCU_TAG;
	__atomic_store_n(&o->key, 0, __ATOMIC_RELAXED);
}

static void *rcu_reader(void *arg)
{
	uint64_t rng = (uint64_t)(uintptr_t)arg, seen = 0;

	while (!__atomic_load_n(&rcu_stop, __ATOMIC_ACQUIRE)) {
		struct robj *found[8];
		struct timespec t0 = { 0, 0 };
		unsigned int i, spin;

		rcu_read_lock();
		for (i = 0; i < 8; i++) {
			found[i] = __atomic_load_n(&rcu_table[kt_rand(&rng) % RCU_SLOTS],
						   __ATOMIC_ACQUIRE);
			/* maybe freed and reused meanwhile, but always a robj */
			if (found[i] && __atomic_load_n(&found[i]->tag, __ATOMIC_RELAXED) != RCU_TAG)
				BAD(bad_tag);
		}
		/* stay a while: the objects get freed, their slabs shrunk */
		for (spin = 0; spin < 10000000 && !__atomic_load_n(&rcu_stop, __ATOMIC_RELAXED);
		     spin++) {
			struct timespec now;

			clock_gettime(CLOCK_MONOTONIC, &now);
			if (!spin)
				t0 = now;
			else if ((now.tv_sec - t0.tv_sec) * 1000000000L + now.tv_nsec - t0.tv_nsec >
				 RCU_HOLD_NS)
				break;
		}
		for (i = 0; i < 8; i++) {
			if (!found[i])
				continue;
			if (__atomic_load_n(&found[i]->tag, __ATOMIC_RELAXED) != RCU_TAG)
				BAD(bad_tag);
			seen += __atomic_load_n(&found[i]->key, __ATOMIC_RELAXED) != 0;
		}
		rcu_read_unlock();
	}
	return (void *)(uintptr_t)seen;
}

struct rcu_writer_arg {
	struct kmem_cache *s;
	unsigned int id;
};

static void *rcu_writer(void *arg)
{
	struct rcu_writer_arg *a = arg;
	uint64_t rng = kt_seed() + a->id, key = (uint64_t)(a->id + 1) << 48;

	while (!__atomic_load_n(&rcu_stop, __ATOMIC_ACQUIRE)) {
		/* each writer owns half the slots */
		unsigned int i = (unsigned int)(kt_rand(&rng) % (RCU_SLOTS / 2)) * 2 + a->id;
		struct robj *n = NULL, *old;

		if (kt_rand(&rng) % 8 == 0) {	/* few live objects: slabs empty often */
			n = kmem_cache_alloc(a->s, GFP_KERNEL);
			if (!n) {
				BAD(alloc_fail);
				continue;
			}
			if (n->tag != RCU_TAG)
				BAD(ctor_state);
			__atomic_store_n(&n->key, ++key, __ATOMIC_RELAXED);
		}
		old = __atomic_exchange_n(&rcu_table[i], n, __ATOMIC_ACQ_REL);
		if (old) {
			__atomic_store_n(&old->key, 0, __ATOMIC_RELAXED);
			kmem_cache_free(a->s, old);	/* at once: readers may still look */
		}
	}
	return NULL;
}

/* Return empty slabs and reuse their pages at once, filled with garbage. */
static void *rcu_churn(void *arg)
{
	struct kmem_cache *s = arg;
	unsigned int order = (unsigned int)get_order(stats_of(s).pagesperslab * PAGE_SIZE);

	while (!__atomic_load_n(&rcu_stop, __ATOMIC_ACQUIRE)) {
		struct page *pages[8];
		unsigned int i;

		kmem_cache_shrink(s);
		for (i = 0; i < 8; i++) {
			pages[i] = alloc_pages(GFP_KERNEL, order);
			if (pages[i])
				memset(page_address(pages[i]), 0xee, PAGE_SIZE << order);
		}
		for (i = 0; i < 8; i++)
			if (pages[i])
				__free_pages(pages[i], order);
	}
	return NULL;
}

static void test_typesafe_by_rcu(void)
{
	enum { READERS = 3, WRITERS = 2 };
	struct kmem_cache *s = kmem_cache_create("rcu_typesafe", sizeof(struct robj), 0,
						 SLAB_TYPESAFE_BY_RCU, robj_ctor);
	struct rcu_writer_arg wa[WRITERS];
	pthread_t rd[READERS], wr[WRITERS], churn;
	uint64_t seen = 0;
	unsigned int i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT(stats_of(s).flags & SLAB_TYPESAFE_BY_RCU);
	memset(rcu_table, 0, sizeof(rcu_table));
	rcu_stop = 0;
	kt_capture_start();
	for (i = 0; i < READERS; i++)
		CU_ASSERT_EQUAL_FATAL(pthread_create(&rd[i], NULL, rcu_reader,
						     (void *)(uintptr_t)(kt_seed() + i)), 0);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&churn, NULL, rcu_churn, s), 0);
	for (i = 0; i < WRITERS; i++) {
		wa[i] = (struct rcu_writer_arg){ .s = s, .id = i };
		CU_ASSERT_EQUAL_FATAL(pthread_create(&wr[i], NULL, rcu_writer, &wa[i]), 0);
	}
	{
		struct timespec run = { RCU_RUN_MS / 1000, (RCU_RUN_MS % 1000) * 1000000L };

		nanosleep(&run, NULL);
	}
	__atomic_store_n(&rcu_stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < WRITERS; i++)
		pthread_join(wr[i], NULL);
	for (i = 0; i < READERS; i++) {
		void *ret;

		pthread_join(rd[i], &ret);
		seen += (uintptr_t)ret;
	}
	pthread_join(churn, NULL);
	CU_ASSERT(seen > 0);	/* the readers did find objects */
	for (i = 0; i < RCU_SLOTS; i++)
		if (rcu_table[i])
			kmem_cache_free(s, rcu_table[i]);
	check_no_problems();
	CU_ASSERT_EQUAL(kt_captured_count(), 0);
	kt_capture_stop();
	check_empty_after_shrink(s);
	kmem_cache_destroy(s);	/* waits for the grace period of the last slabs */
}
#endif /* <linux/rcupdate.h> */

/* ------------------------------------------------------------------ */

/*
 * Slabs of two objects, so that they go from full to empty and back all the
 * time, freed from every CPU while threads are moved around and the pages of
 * discarded slabs are reused at once.  A free that makes a full slab partial
 * takes the node's list lock after its compare-and-swap; if the slab can be
 * emptied, discarded and its pages reused in between, that free then works
 * on someone else's slab: the lists get corrupted (an allocation may loop
 * for ever: see the watchdog) and the slab counts go wrong.
 */
static void test_free_vs_discard(void)
{
	remote_frees(-1, 16000, true, 1500, true);
}

static const struct kt_test stress_tests[] = {
	KT_TEST(test_storm),
	KT_TEST(test_storm_migrating),
	KT_TEST(test_producer_consumer),
	KT_TEST(test_remote_frees_node1),
	KT_TEST(test_remote_frees_node0),
	KT_TEST(test_remote_frees_mixed),
	KT_TEST(test_free_vs_discard),
#if __has_include(<linux/rcupdate.h>)
	KT_TEST(test_typesafe_by_rcu),
#endif
	KT_END,
};

static const struct kt_suite rseq_suite = { "stress_rseq", init_rseq, suite_exit, stress_tests };
static const struct kt_suite locked_suite = { "stress_locked", init_locked, suite_exit,
					      stress_tests };
static const struct kt_suite *const suites[] = { &rseq_suite, &locked_suite, NULL };

/*
 * A corrupted slab list can make an allocation loop for ever (with its
 * signals blocked, inside kmem's locks): rather than hang until ctest's
 * timeout, say so and fail.
 */
#define WATCHDOG_S	(30 * OPS_SCALE)

static void *watchdog(void *arg)
{
	struct timespec ts = { WATCHDOG_S, 0 };

	(void)arg;
	nanosleep(&ts, NULL);
	fprintf(stderr, "\nwatchdog: still running after %d s: a thread is stuck in the "
		"allocator (corrupted slab lists?)\n", WATCHDOG_S);
	_exit(3);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t wd;

	pthread_create(&wd, NULL, watchdog, NULL);
	pthread_detach(wd);
	return kt_main(argc, argv, suites);
}
