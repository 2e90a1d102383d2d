// SPDX-License-Identifier: MIT
/*
 * vmscan.c - reclaim: what an allocation that may sleep does when memory
 * is short (direct reclaim), the per-node kswapd threads that do the same
 * in the background, and the shrinkers through which users' own caches
 * give memory back.
 *
 * kmem has no page cache and no swap; the memory reclaim can find is
 *
 *   - free pages parked on per-CPU lists, invisible to the watermarks;
 *   - free objects in per-CPU object caches, stashes and transfer caches,
 *     and the empty slabs they leave;
 *   - what registered shrinkers free (the user's caches);
 *   - objects and SLAB_TYPESAFE_BY_RCU slabs waiting for a grace period.
 *
 * One reclaim pass takes them cheapest first and stops as soon as its goal
 * is met (the allocation's watermark, or kswapd's high watermark):
 *
 *   reclaim_caches(all CPUs)           per-CPU lists and caches, empty slabs
 *   rcu_barrier()                      if callbacks were queued since the
 *                                      last one, and this thread may wait
 *   shrink_slab(priority 12 .. 0)      the kernel's do_shrink_slab(): scan
 *                                      (freeable >> priority) * 4 / seeks
 *
 * "Pages reclaimed" is the rise of the node's free pages across the pass:
 * racing allocations can hide some of it, never invent it.
 *
 * A thread that reclaims carries __kmem_memalloc (the kernel's PF_MEMALLOC):
 * what shrinkers allocate meanwhile may take the last pages and never
 * recurses into reclaim.
 *
 * Lock order: shrinker_rwsem (read, held across the callbacks) before any
 * kmem lock; reclaim itself starts with no kmem lock held.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include <linux/shrinker.h>

#include "internal.h"
#include "os.h"

#define DEF_PRIORITY		12
/* kswapd gives a node up after this many fruitless runs (the kernel's count) */
#define MAX_RECLAIM_RETRIES	16

__thread unsigned int __kmem_memalloc __attribute__((tls_model("initial-exec")));

/* ------------------------------------------------------------------ */
/* shrinkers                                                           */
/* ------------------------------------------------------------------ */

/* Writers wait for every running callback: none runs after unregistering. */
static pthread_rwlock_t shrinker_rwsem = PTHREAD_RWLOCK_INITIALIZER;

/* fork() of private memory: held across the callbacks, so before the slab locks. */
void __kmem_shrinker_fork_lock(void)
{
	pthread_rwlock_wrlock(&shrinker_rwsem);
}

void __kmem_shrinker_fork_unlock(bool child)
{
	if (child)
		pthread_rwlock_init(&shrinker_rwsem, NULL);
	else
		pthread_rwlock_unlock(&shrinker_rwsem);
}
static struct shrinker shrinker_list = { .__next = &shrinker_list, .__prev = &shrinker_list };

static void shrinker_set_name(struct shrinker *shrinker, const char *fmt, va_list ap)
{
	if (fmt)
		vsnprintf(shrinker->__name, sizeof(shrinker->__name), fmt, ap);
	else
		shrinker->__name[0] = '\0';
}

struct shrinker *shrinker_alloc(unsigned int flags, const char *fmt, ...)
{
	struct shrinker *shrinker = os_calloc(1, sizeof(*shrinker));
	va_list ap;

	if (!shrinker)
		return NULL;
	shrinker->flags = (flags & SHRINKER_NUMA_AWARE) | SHRINKER_ALLOCATED;
	shrinker->seeks = DEFAULT_SEEKS;
	va_start(ap, fmt);
	shrinker_set_name(shrinker, fmt, ap);
	va_end(ap);
	return shrinker;
}

void shrinker_register(struct shrinker *shrinker)
{
	if (!shrinker || !shrinker->count_objects || !shrinker->scan_objects) {
		__kmem_printk("WARNING: %s: shrinker_register: %s without callbacks\n", os_comm(),
			      shrinker ? "a shrinker" : "NULL");
		return;
	}
	pthread_rwlock_wrlock(&shrinker_rwsem);
	if (!(shrinker->flags & SHRINKER_REGISTERED)) {
		shrinker->__next = &shrinker_list;
		shrinker->__prev = shrinker_list.__prev;
		shrinker_list.__prev->__next = shrinker;
		shrinker_list.__prev = shrinker;
		shrinker->flags |= SHRINKER_REGISTERED;
	}
	pthread_rwlock_unlock(&shrinker_rwsem);
}

int register_shrinker(struct shrinker *shrinker, const char *fmt, ...)
{
	va_list ap;

	if (!shrinker)
		return -EINVAL;
	va_start(ap, fmt);
	shrinker_set_name(shrinker, fmt, ap);
	va_end(ap);
	shrinker->flags &= ~SHRINKER_ALLOCATED;
	shrinker_register(shrinker);
	return shrinker->flags & SHRINKER_REGISTERED ? 0 : -EINVAL;
}

void unregister_shrinker(struct shrinker *shrinker)
{
	if (!shrinker)
		return;
	pthread_rwlock_wrlock(&shrinker_rwsem);
	if (shrinker->flags & SHRINKER_REGISTERED) {
		shrinker->__prev->__next = shrinker->__next;
		shrinker->__next->__prev = shrinker->__prev;
		shrinker->__next = shrinker->__prev = NULL;
		shrinker->flags &= ~SHRINKER_REGISTERED;
	}
	pthread_rwlock_unlock(&shrinker_rwsem);
}

void shrinker_free(struct shrinker *shrinker)
{
	if (!shrinker)
		return;
	unregister_shrinker(shrinker);
	if (shrinker->flags & SHRINKER_ALLOCATED)
		os_free(shrinker);
}

/*
 * The kernel's do_shrink_slab(): scan a share of what @shrinker could free
 * that grows as @priority falls, in batches, carrying unfinished work over
 * to the next call.  Return: objects freed.
 */
static unsigned long do_shrink_slab(struct shrink_control *sc, struct shrinker *shrinker,
				    int priority)
{
	unsigned long batch = shrinker->batch > 0 ? (unsigned long)shrinker->batch : SHRINK_BATCH;
	unsigned long freeable, delta, total_scan, freed = 0, scanned = 0, nr;
	long next;

	freeable = shrinker->count_objects(shrinker, sc);
	if (freeable == 0 || freeable == SHRINK_EMPTY)
		return 0;
	nr = (unsigned long)__atomic_exchange_n(&shrinker->__nr_deferred, 0, __ATOMIC_RELAXED);
	if (shrinker->seeks)
		delta = (freeable >> priority) * 4 / (unsigned int)shrinker->seeks;
	else
		delta = freeable / 2;	/* objects that are cheap to make again */
	total_scan = (nr >> priority) + delta;
	if (total_scan > 2 * freeable)
		total_scan = 2 * freeable;

	while (total_scan >= batch || total_scan >= freeable) {
		unsigned long ret, nr_to_scan = total_scan < batch ? total_scan : batch;

		sc->nr_to_scan = nr_to_scan;
		sc->nr_scanned = nr_to_scan;
		ret = shrinker->scan_objects(shrinker, sc);
		__atomic_fetch_add(&shrinker->__calls, 1, __ATOMIC_RELAXED);
		if (ret == SHRINK_STOP || !sc->nr_scanned)
			break;
		freed += ret;
		scanned += sc->nr_scanned;
		total_scan -= sc->nr_scanned < total_scan ? sc->nr_scanned : total_scan;
	}
	next = (long)(nr + delta) - (long)scanned;
	if (next > (long)(2 * freeable))
		next = (long)(2 * freeable);
	if (next > 0)
		__atomic_fetch_add(&shrinker->__nr_deferred, next, __ATOMIC_RELAXED);
	return freed;
}

/* Every shrinker once, NUMA-aware ones for @nid (every node if NUMA_NO_NODE). */
static unsigned long shrink_slab(gfp_t gfp, int nid, int priority)
{
	unsigned long freed = 0;
	struct shrinker *shrinker;

	pthread_rwlock_rdlock(&shrinker_rwsem);
	for (shrinker = shrinker_list.__next; shrinker != &shrinker_list;
	     shrinker = shrinker->__next) {
		struct shrink_control sc = { .gfp_mask = gfp, .nid = 0 };

		if (!(shrinker->flags & SHRINKER_NUMA_AWARE) || nid != NUMA_NO_NODE) {
			if (shrinker->flags & SHRINKER_NUMA_AWARE)
				sc.nid = nid;
			freed += do_shrink_slab(&sc, shrinker, priority);
			continue;
		}
		for (sc.nid = 0; sc.nid < (int)kmem_mm.nr_nodes; sc.nid++)
			freed += do_shrink_slab(&sc, shrinker, priority);
	}
	pthread_rwlock_unlock(&shrinker_rwsem);
	return freed;
}

/* ------------------------------------------------------------------ */
/* one reclaim pass                                                    */
/* ------------------------------------------------------------------ */

static u64 rcu_queued_seen;	/* call_rcu() count when reclaim last waited */

static u64 node_free_pages(int nid)
{
	unsigned int n, z, first = nid < 0 ? 0 : (unsigned int)nid;
	unsigned int last = nid < 0 ? kmem_mm.nr_nodes : (unsigned int)nid + 1;
	u64 free = 0;

	for (n = first; n < last; n++)
		for (z = 0; z < MAX_NR_ZONES; z++)
			free += READ_ONCE(NODE_DATA((int)n)->node_zones[z].free_pages);
	return free;
}

/*
 * Per-CPU page lists, per-CPU object caches and empty slabs.  The slabs a
 * pass discards land on this CPU's page list, so that is drained last.
 */
static void reclaim_caches(bool all_cpus)
{
	if (all_cpus)
		kmem_drain_all_pages();
	__kmem_slab_reclaim(all_cpus);
	__kmem_drain_local_pages();
}

static bool may_wait_for_rcu(void)
{
	return __kmem_rcu_queued() != __atomic_load_n(&rcu_queued_seen, __ATOMIC_RELAXED) &&
	       __kmem_rcu_may_barrier();
}

/* Return: pages the pass gave back (the rise of @nid's free pages). */
static unsigned long do_reclaim(gfp_t gfp, int nid, bool (*goal)(void *), void *arg)
{
	unsigned int saved = __kmem_memalloc;
	u64 before = node_free_pages(nid), after;
	int priority;

	__kmem_memalloc = 1;
	reclaim_caches(true);
	if (goal(arg))
		goto out;
	if (may_wait_for_rcu()) {
		u64 queued = __kmem_rcu_queued();

		__kmem_rcu_barrier();
		__atomic_store_n(&rcu_queued_seen, queued, __ATOMIC_RELAXED);
		reclaim_caches(true);
		if (goal(arg))
			goto out;
	}
	for (priority = DEF_PRIORITY; priority >= 0; priority--) {
		if (!shrink_slab(gfp, nid, priority))
			continue;
		reclaim_caches(false);
		if (goal(arg))
			goto out;
	}
	/* what the shrinkers freed on CPUs this thread visited in between */
	reclaim_caches(true);
out:
	__kmem_memalloc = saved;
	after = node_free_pages(nid);
	return after > before ? (unsigned long)(after - before) : 0;
}

/**
 * __kmem_try_to_free_pages - direct reclaim for an allocation of @order
 * preferring node @nid, until @goal(@arg) says it can be served.
 * Context: may sleep; no kmem lock held.
 * Return: pages reclaimed.
 */
unsigned long __kmem_try_to_free_pages(gfp_t gfp, unsigned int order, int nid,
				       bool (*goal)(void *), void *arg)
{
	struct pglist_data *pgdat = NODE_DATA(nid);
	unsigned long reclaimed;

	(void)order;
	__atomic_fetch_add(&pgdat->allocstall, 1, __ATOMIC_RELAXED);
	reclaimed = do_reclaim(gfp, NUMA_NO_NODE, goal, arg);
	__atomic_fetch_add(&pgdat->pgsteal_direct, reclaimed, __ATOMIC_RELAXED);
	/* memory came back: a node kswapd gave up on is worth trying again */
	if (reclaimed)
		for (unsigned int n = 0; n < kmem_mm.nr_nodes; n++)
			__atomic_store_n(&NODE_DATA((int)n)->kswapd_failures, 0, __ATOMIC_RELAXED);
	return reclaimed;
}

/* ------------------------------------------------------------------ */
/* waiting for frees                                                   */
/* ------------------------------------------------------------------ */

/*
 * Register as a waiter, then sleep on free_seq.  A free that raced ahead of
 * the registration is caught by the caller's retry after the time-out.
 */
void __kmem_wait_for_free(int timeout_ms)
{
	struct kmem_shared *shm = kmem_mm.shm;
	u32 seq;

	__atomic_fetch_add(&shm->nr_free_waiters, 1, __ATOMIC_SEQ_CST);
	seq = __atomic_load_n(&shm->free_seq, __ATOMIC_SEQ_CST);
	os_futex_wait(&shm->free_seq, seq, timeout_ms);
	__atomic_fetch_sub(&shm->nr_free_waiters, 1, __ATOMIC_RELEASE);
}

void __kmem_wake_free_waiters(void)
{
	struct kmem_shared *shm = kmem_mm.shm;

	__atomic_fetch_add(&shm->free_seq, 1, __ATOMIC_SEQ_CST);
	os_futex_wake(&shm->free_seq, INT_MAX);
}

/* ------------------------------------------------------------------ */
/* kswapd                                                              */
/* ------------------------------------------------------------------ */

struct kswapd_goal {
	struct pglist_data *pgdat;
	unsigned int order;
	enum zone_type highest_zoneidx;
};

/* The kernel's pgdat_balanced(): some eligible zone is above its high watermark. */
static bool pgdat_balanced(struct pglist_data *pgdat, unsigned int order,
			   enum zone_type highest_zoneidx)
{
	bool any = false;
	int z;

	for (z = 0; z <= (int)highest_zoneidx; z++) {
		struct zone *zone = &pgdat->node_zones[z];

		if (!READ_ONCE(zone->managed_pages))
			continue;
		any = true;
		if (__kmem_zone_watermark_ok(zone, order, READ_ONCE(zone->_watermark[WMARK_HIGH]),
					     highest_zoneidx))
			return true;
	}
	return !any;
}

static bool kswapd_goal_met(void *arg)
{
	struct kswapd_goal *g = arg;

	return pgdat_balanced(g->pgdat, g->order, g->highest_zoneidx);
}

/* The kernel's balance_pgdat(): reclaim until balanced or no progress. */
static void balance_pgdat(struct pglist_data *pgdat, unsigned int order,
			  enum zone_type highest_zoneidx)
{
	struct kswapd_goal goal = { pgdat, order, highest_zoneidx };
	unsigned int round;

	/*
	 * A node that can grow grows before it reclaims: this is where the
	 * allocations that may not sleep (GFP_ATOMIC, GFP_NOWAIT) get their
	 * section, in kswapd's context (memory_hotplug.c).
	 */
	while (highest_zoneidx >= ZONE_NORMAL && kmem_node_can_grow(pgdat) &&
	       !pgdat_balanced(pgdat, order, highest_zoneidx)) {
		if (!__kmem_grow_node((int)pgdat->node_id))
			break;
		__atomic_store_n(&pgdat->kswapd_failures, 0, __ATOMIC_RELAXED);
	}
	if (pgdat_balanced(pgdat, order, highest_zoneidx)) {
		__atomic_fetch_add(&pgdat->kswapd_high_wmark_hit, 1, __ATOMIC_RELAXED);
		return;
	}
	for (round = 0; round < MAX_RECLAIM_RETRIES; round++) {
		unsigned long reclaimed;

		__atomic_fetch_add(&pgdat->pageoutrun, 1, __ATOMIC_RELAXED);
		reclaimed = do_reclaim(GFP_KERNEL, (int)pgdat->node_id, kswapd_goal_met, &goal);
		__atomic_fetch_add(&pgdat->pgsteal_kswapd, reclaimed, __ATOMIC_RELAXED);
		if (pgdat_balanced(pgdat, order, highest_zoneidx)) {
			__atomic_fetch_add(&pgdat->kswapd_high_wmark_hit, 1, __ATOMIC_RELAXED);
			__atomic_store_n(&pgdat->kswapd_failures, 0, __ATOMIC_RELAXED);
			return;
		}
		if (!reclaimed)
			break;
	}
	/* nothing more to find: stop being woken until memory comes back */
	__atomic_fetch_add(&pgdat->kswapd_failures, 1, __ATOMIC_RELAXED);
}

static struct {
	pthread_t thread[MAX_NUMNODES];
	unsigned int nr;		/* threads started (nodes 0..nr-1) */
	bool stop;
	pthread_mutex_t lock;		/* start/stop */
	bool atfork_registered;
} kswapd_ctl = { .lock = PTHREAD_MUTEX_INITIALIZER };

/*
 * How long kswapd sleeps when nobody wakes it: for ever, unless the node
 * has memory above its floor that may become idle; then often enough to
 * see a section stay free for offline_delay_ms.
 */
static int kswapd_sleep_ms(const struct pglist_data *pgdat)
{
	u32 delay = READ_ONCE(kmem_mm.shm->tun.offline_delay_ms);

	if (READ_ONCE(pgdat->online_pages) <= pgdat->min_pages)
		return -1;
	delay /= 2;
	return delay < 100 ? 100 : (int)delay;
}

/*
 * Give back what has been idle (memory_hotplug.c).  A page on a per-CPU
 * list keeps its section online, so the lists are drained first when the
 * node has a section's worth free.
 */
static void kswapd_give_back(struct pglist_data *pgdat)
{
	u64 free = 0;
	int z;

	if (READ_ONCE(pgdat->online_pages) <= pgdat->min_pages)
		return;
	for (z = 0; z < MAX_NR_ZONES; z++)	/* HighMem too: a hugetlb node grows it */
		free += READ_ONCE(pgdat->node_zones[z].free_pages);
	if (free >= (1ULL << kmem_mm.section_pfn_shift))
		kmem_drain_all_pages();
	__kmem_offline_idle((int)pgdat->node_id, false);
}

/*
 * In the daemon, reclaim follows lists any client can write: the segment is
 * verified first (segment.c), at most once a second, and a fenced segment
 * is left alone (fenced zones and caches are passed over by reclaim itself).
 */
static bool kswapd_may_touch(void)
{
	static u64 last_ns;
	u64 now;

	if (likely(!__kmem_segment_distrusted()))
		return true;
	now = os_now_ms();
	if (now - __atomic_load_n(&last_ns, __ATOMIC_RELAXED) >= 1000) {
		__atomic_store_n(&last_ns, now, __ATOMIC_RELAXED);
		return !__kmem_segment_gate("kswapd");
	}
	return !__kmem_segment_fenced();
}

static void *kswapd(void *arg)
{
	int nid = (int)(long)arg;
	struct pglist_data *pgdat = NODE_DATA(nid);
	char name[16];
	sigset_t all;

	/* a kernel thread takes no interrupts: signals go to the user's threads */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	snprintf(name, sizeof(name), "kswapd%d", nid);
	prctl(PR_SET_NAME, name);
	__kmem_memalloc = 1;
	__kmem_in_kswapd = true;

	for (;;) {
		u32 seq = __atomic_load_n(&pgdat->kswapd_wait, __ATOMIC_ACQUIRE);
		unsigned int order;
		enum zone_type highest;

		if (__atomic_load_n(&kswapd_ctl.stop, __ATOMIC_ACQUIRE))
			break;
		order = __atomic_exchange_n(&pgdat->kswapd_order, 0, __ATOMIC_ACQ_REL);
		/* stored + 1, so that 0 means "nobody asked" */
		highest = (enum zone_type)__atomic_exchange_n(&pgdat->kswapd_highest_zoneidx,
							      0, __ATOMIC_ACQ_REL);
		highest = highest ? highest - 1 : MAX_NR_ZONES - 1;
		/*
		 * Any client writes these two (wakeup_kswapd()); in the daemon
		 * they index its zones and free areas, so they are checked.
		 */
		if (unlikely((unsigned int)highest >= MAX_NR_ZONES || order > MAX_PAGE_ORDER)) {
			__kmem_segment_corrupt(NULL, "node %d: kswapd_order %u, "
					       "kswapd_highest_zoneidx %u; balancing every zone at order 0",
					       nid, order, (unsigned int)highest + 1);
			highest = MAX_NR_ZONES - 1;
			order = 0;
		}
		if (!pgdat_balanced(pgdat, order, highest) && kswapd_may_touch()) {
			__atomic_store_n(&pgdat->kswapd_running, 1, __ATOMIC_RELEASE);
			balance_pgdat(pgdat, order, highest);
			__atomic_store_n(&pgdat->kswapd_running, 0, __ATOMIC_RELEASE);
		}
		if (__atomic_load_n(&pgdat->kswapd_wait, __ATOMIC_ACQUIRE) != seq)
			continue;	/* woken while working: look again */
		if (os_futex_wait(&pgdat->kswapd_wait, seq, kswapd_sleep_ms(pgdat)) == 0 &&
		    !__atomic_load_n(&kswapd_ctl.stop, __ATOMIC_ACQUIRE))
			__atomic_fetch_add(&pgdat->kswapd_wake, 1, __ATOMIC_RELAXED);
		else if (!__atomic_load_n(&kswapd_ctl.stop, __ATOMIC_ACQUIRE) &&
			 kswapd_may_touch())
			kswapd_give_back(pgdat);
	}
	return NULL;
}

/* The child of fork() has none of its parent's threads. */
static void kswapd_atfork_child(void)
{
	kswapd_ctl.nr = 0;
	pthread_mutex_init(&kswapd_ctl.lock, NULL);
}

/* Start one kswapd per node in this process (embedded mode). Return: 0 or -errno. */
int __kmem_kswapd_start(void)
{
	unsigned int nid;
	int ret = 0;

	if (!kmem_mm.shm->tun.kswapd || kmem_mm.owner)
		return 0;
	pthread_mutex_lock(&kswapd_ctl.lock);
	if (!kswapd_ctl.atfork_registered) {
		pthread_atfork(NULL, NULL, kswapd_atfork_child);
		kswapd_ctl.atfork_registered = true;
	}
	__atomic_store_n(&kswapd_ctl.stop, false, __ATOMIC_RELEASE);
	for (nid = kswapd_ctl.nr; nid < kmem_mm.nr_nodes; nid++) {
		ret = -pthread_create(&kswapd_ctl.thread[nid], NULL, kswapd, (void *)(long)nid);
		if (ret)
			break;
		__atomic_store_n(&kswapd_ctl.nr, nid + 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&kswapd_ctl.lock);
	if (ret)
		__kmem_printk("kmem: cannot start kswapd%u (%s); reclaim happens only in "
			      "allocating threads\n", nid, strerror(-ret));
	return ret;
}

void __kmem_kswapd_stop(void)
{
	unsigned int nid;

	pthread_mutex_lock(&kswapd_ctl.lock);
	__atomic_store_n(&kswapd_ctl.stop, true, __ATOMIC_RELEASE);
	for (nid = 0; nid < kswapd_ctl.nr; nid++) {
		__atomic_fetch_add(&NODE_DATA((int)nid)->kswapd_wait, 1, __ATOMIC_RELEASE);
		os_futex_wake(&NODE_DATA((int)nid)->kswapd_wait, INT_MAX);
	}
	for (nid = 0; nid < kswapd_ctl.nr; nid++)
		pthread_join(kswapd_ctl.thread[nid], NULL);
	__atomic_store_n(&kswapd_ctl.nr, 0, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&kswapd_ctl.lock);
}

/* After fork(), the first allocation that may sleep starts the child's kswapds. */
void __kmem_kswapd_ensure_running(void)
{
	if (unlikely(__atomic_load_n(&kswapd_ctl.nr, __ATOMIC_ACQUIRE) == 0) && kmem_mm.shm->tun.kswapd && !kmem_mm.owner &&
	    !__atomic_load_n(&kswapd_ctl.stop, __ATOMIC_ACQUIRE))
		__kmem_kswapd_start();
}

/**
 * __kmem_wakeup_kswapd - the kernel's wakeup_kswapd(): node @nid fell below
 * its low watermark for a request of @order up to @highest_zoneidx.
 * Wakes the node's kswapd through the shared futex word (wherever it runs)
 * unless it is already working, the node is balanced, or kswapd gave it up.
 * Context: any but a signal handler nested in a kmem locked section.
 */
void __kmem_wakeup_kswapd(int nid, unsigned int order, enum zone_type highest_zoneidx)
{
	struct pglist_data *pgdat = NODE_DATA(nid);
	u32 cur;

	if (!kmem_mm.shm->tun.kswapd)
		return;
	cur = __atomic_load_n(&pgdat->kswapd_order, __ATOMIC_RELAXED);
	while (cur < order && !__atomic_compare_exchange_n(&pgdat->kswapd_order, &cur, order, true,
							   __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	cur = __atomic_load_n(&pgdat->kswapd_highest_zoneidx, __ATOMIC_RELAXED);
	while (cur < highest_zoneidx + 1 &&
	       !__atomic_compare_exchange_n(&pgdat->kswapd_highest_zoneidx, &cur,
					    highest_zoneidx + 1, true, __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED))
		;
	if (__atomic_load_n(&pgdat->kswapd_running, __ATOMIC_ACQUIRE))
		return;
	if (__atomic_load_n(&pgdat->kswapd_failures, __ATOMIC_RELAXED) >= MAX_RECLAIM_RETRIES)
		return;
	if (pgdat_balanced(pgdat, order, highest_zoneidx))
		return;
	__atomic_fetch_add(&pgdat->kswapd_wait, 1, __ATOMIC_RELEASE);
	os_futex_wake(&pgdat->kswapd_wait, 1);
}

int kmem_get_reclaim_stats(int nid, struct kmem_reclaim_stats *st)
{
	struct pglist_data *pgdat;

	if (!st || kmem_ensure_init() || nid < 0 || nid >= (int)kmem_mm.nr_nodes)
		return -EINVAL;
	pgdat = NODE_DATA(nid);
	st->kswapd_wake = __atomic_load_n(&pgdat->kswapd_wake, __ATOMIC_RELAXED);
	st->pageoutrun = __atomic_load_n(&pgdat->pageoutrun, __ATOMIC_RELAXED);
	st->kswapd_high_wmark_hit = __atomic_load_n(&pgdat->kswapd_high_wmark_hit, __ATOMIC_RELAXED);
	st->pgsteal_kswapd = __atomic_load_n(&pgdat->pgsteal_kswapd, __ATOMIC_RELAXED);
	st->pgsteal_direct = __atomic_load_n(&pgdat->pgsteal_direct, __ATOMIC_RELAXED);
	st->allocstall = __atomic_load_n(&pgdat->allocstall, __ATOMIC_RELAXED);
	st->kswapd_running = (int)__atomic_load_n(&pgdat->kswapd_running, __ATOMIC_ACQUIRE);
	st->kswapd_present = (unsigned int)nid < __atomic_load_n(&kswapd_ctl.nr, __ATOMIC_ACQUIRE);
	return 0;
}
