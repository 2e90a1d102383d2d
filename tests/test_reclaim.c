// SPDX-License-Identifier: MIT
/*
 * The GFP rules of page allocation under memory pressure, as built in
 * libkmem/page_alloc.c (__alloc_pages_slowpath) and libkmem/vmscan.c
 * (direct reclaim, shrinkers, kswapd): each rule is a test that drives a
 * zone to the watermark in question and checks what the flags grant there.
 *
 * The suites run one node (or two, for __GFP_THISNODE, NUMA-aware
 * shrinkers and one kswapd per node) whose only zone is Normal (16 MiB,
 * 4096 pages; min/low/high 128/160/192 with one node, 90/112/134 with two,
 * from the default min_free_kbytes), so that no other zone can serve a
 * request, and the free count is exact: every fill drains the per-CPU
 * lists until an allocation fails right after a drain.
 * The main thread is pinned to one CPU, so that what reclaim frees on "this
 * CPU's" lists is drained by the same pass.  Reclaim is made exact by
 * settling first (RCU callbacks run, every per-CPU cache flushed, every
 * empty slab discarded, every per-CPU page list drained).
 *
 * Timings are asserted only where the rule is about waiting, and only as
 * loose bounds: "blocked at least as long as the memory was held", "came
 * back well before the time-out".
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/shrinker.h>
#include <linux/slab.h>

#include "internal.h"
#include "kunit.h"

#define ONE_NODE	"zones=carve,dma_mb=0,dma32_mb=0,direct_mb=16,highmem_mb=0,hugepages=never"
#define TWO_NODES	"fake_numa=2," ONE_NODE

#define NOWARN_KERNEL	(GFP_KERNEL | __GFP_NOWARN)
#define NORETRY		(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN)
/* Neither reclaim flag: takes down to min without waking kswapd. */
#define NO_RECLAIM	(__GFP_NOWARN)
/* Every last page (ALLOC_NO_WATERMARKS), without reclaim. */
#define TAKE_ALL	(GFP_NOWAIT | __GFP_MEMALLOC)

#define READ_ACQ(x)	__atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define WRITE_REL(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELEASE)

/* ------------------------------------------------------------------ */
/* helpers                                                             */
/* ------------------------------------------------------------------ */

static struct kmem_zone_stats zstat(int nid)
{
	struct kmem_zone_stats st;

	memset(&st, 0, sizeof(st));
	CU_ASSERT_EQUAL_FATAL(kmem_zone_stats(nid, ZONE_NORMAL, &st), 0);
	return st;
}

static uint64_t zfree(int nid)
{
	return zstat(nid).free_pages;
}

static struct kmem_reclaim_stats rstat(int nid)
{
	struct kmem_reclaim_stats st;

	memset(&st, 0, sizeof(st));
	CU_ASSERT_EQUAL_FATAL(kmem_get_reclaim_stats(nid, &st), 0);
	return st;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* GFP_ATOMIC's floor: __GFP_HIGH takes min/2 off, not blocking another quarter of that. */
static uint64_t atomic_floor(uint64_t min)
{
	uint64_t m = min - min / 2;

	return m - m / 4;
}

/* __GFP_HIGH from a caller that may block (or __GFP_NOMEMALLOC): min/2 off only. */
static uint64_t high_floor(uint64_t min)
{
	return min - min / 2;
}

/*
 * Take order-0 pages from node @nid with @gfp into @b until one fails right
 * after every CPU's list was drained: the zone's free count is then exactly
 * where @gfp stops.  Return: pages taken.
 */
static unsigned int take_failures;	/* failed attempts of the last take_pages() */

static unsigned long take_pages(int nid, gfp_t gfp, struct kt_blocks *b)
{
	unsigned long n = 0;
	struct page *p;

	take_failures = 0;
	for (;;) {
		kmem_drain_all_pages();
		p = alloc_pages_node(nid, gfp, 0);
		if (!p) {
			take_failures++;
			return n;
		}
		do {
			kt_blocks_add(b, p, 0);
			n++;
		} while ((p = alloc_pages_node(nid, gfp, 0)));
		take_failures++;
	}
}

/* Give back the last @n blocks of @b. */
static void give_back(struct kt_blocks *b, size_t n)
{
	while (n-- && b->n) {
		b->n--;
		__free_pages(b->page[b->n], b->order[b->n]);
	}
}

/* Everything reclaim could find, found now: its next pass starts from nothing. */
static void settle(void)
{
	kmem_rcu_barrier();
	__kmem_slab_reclaim(true);
	kmem_drain_all_pages();
}

static int pinned_cpu(void)
{
	int cpus[1];

	return kt_cpus(cpus, 1) ? cpus[0] : 0;
}

/*
 * Per-test bracket: pinned, settled; at the end everything the test took
 * must be back (the free counts of every node as at the start).
 */
static uint64_t start_free[2];
static int nr_nodes;

static void test_begin(void)
{
	int nid;

	kt_pin(pinned_cpu());
	settle();
	nr_nodes = num_online_nodes();
	for (nid = 0; nid < nr_nodes && nid < 2; nid++)
		start_free[nid] = zfree(nid);
}

static void test_end(void)
{
	int nid;

	kt_capture_stop();
	settle();
	for (nid = 0; nid < nr_nodes && nid < 2; nid++) {
		if (zfree(nid) != start_free[nid])
			fprintf(stderr, "  node %d: %llu pages free at the start, %llu at the "
				"end\n", nid, (unsigned long long)start_free[nid],
				(unsigned long long)zfree(nid));
		KT_ASSERT_EQ(zfree(nid), start_free[nid]);
	}
	kt_unpin();
}

/* How many times @needle occurs in what was captured. */
static unsigned int captured_times(const char *needle)
{
	const char *p = kt_captured_text();
	unsigned int n = 0;

	while ((p = strstr(p, needle))) {
		n++;
		p += strlen(needle);
	}
	return n;
}

static int suite_exit(void)
{
	kt_capture_stop();
	kt_unpin();
	kmem_exit();
	return 0;
}

/* ------------------------------------------------------------------ */
/* watermarks and reserves                                             */
/* ------------------------------------------------------------------ */

static int watermarks_init(void) { return kt_init(ONE_NODE); }

/* GFP_NOWAIT stops exactly at min, never enters reclaim, and is silent. */
static void test_nowait_stops_at_min(void)
{
	struct kt_blocks b = { 0 };
	struct kmem_zone_stats st;
	struct kmem_reclaim_stats r0, r1;

	test_begin();
	st = zstat(0);
	CU_ASSERT_FATAL(st.min > 16 && st.low > st.min && st.high > st.low);
	r0 = rstat(0);
	kt_capture_start();
	CU_ASSERT(take_pages(0, GFP_NOWAIT, &b) > 0);
	st = zstat(0);
	/* order 0 passes while free > min + lowmem_reserve: it stops exactly there */
	KT_ASSERT_EQ(st.free_pages, st.min + st.protection[ZONE_NORMAL]);
	KT_ASSERT_EQ(st.pcp_count, 0);
	CU_ASSERT_PTR_NULL(alloc_pages(GFP_NOWAIT, 0));
	r1 = rstat(0);
	KT_ASSERT_EQ(r1.allocstall, r0.allocstall);
	KT_ASSERT_EQ(r1.pgsteal_direct, r0.pgsteal_direct);
	/* GFP_NOWAIT carries __GFP_NOWARN: no failure report */
	KT_ASSERT_EQ(captured_times("page allocation failure"), 0);
	kt_blocks_release(&b);
	test_end();
}

/* GFP_ATOMIC dips below min, to min - min/2 - (min/2)/4, and no further. */
static void test_atomic_dips_below_min(void)
{
	struct kt_blocks b = { 0 }, atomic = { 0 };
	struct kmem_reclaim_stats r0;
	uint64_t min;

	test_begin();
	min = zstat(0).min;
	take_pages(0, GFP_NOWAIT, &b);
	KT_ASSERT_EQ(zfree(0), min);
	r0 = rstat(0);
	KT_ASSERT_EQ(take_pages(0, GFP_ATOMIC | __GFP_NOWARN, &atomic), min - atomic_floor(min));
	KT_ASSERT_EQ(zfree(0), atomic_floor(min));
	CU_ASSERT_PTR_NULL(alloc_pages(GFP_ATOMIC | __GFP_NOWARN, 0));
	CU_ASSERT_PTR_NULL(alloc_pages(GFP_NOWAIT, 0));
	/* never sleeps, never reclaims */
	KT_ASSERT_EQ(rstat(0).allocstall, r0.allocstall);
	kt_blocks_release(&atomic);
	kt_blocks_release(&b);
	test_end();
}

/*
 * The other reserve fractions of __zone_watermark_ok(): __GFP_HIGH from a
 * caller that may block gets min/2 only (no ALLOC_NON_BLOCK), and so does
 * GFP_ATOMIC | __GFP_NOMEMALLOC; __GFP_MEMALLOC ignores watermarks.
 */
static void test_reserve_fractions(void)
{
	struct kt_blocks b = { 0 }, more = { 0 };
	struct kmem_reclaim_stats r0, r1;
	uint64_t min;

	test_begin();
	min = zstat(0).min;
	take_pages(0, GFP_NOWAIT, &b);
	KT_ASSERT_EQ(zfree(0), min);

	/* blocking __GFP_HIGH: min/2; only failing attempts reclaim (one round each) */
	r0 = rstat(0);
	KT_ASSERT_EQ(take_pages(0, GFP_KERNEL | __GFP_HIGH | __GFP_NORETRY | __GFP_NOWARN, &more),
		     min - high_floor(min));
	KT_ASSERT_EQ(zfree(0), high_floor(min));
	r1 = rstat(0);
	CU_ASSERT(take_failures >= 1);
	KT_ASSERT_EQ(r1.allocstall - r0.allocstall, take_failures);
	give_back(&more, more.n);

	/* GFP_ATOMIC | __GFP_NOMEMALLOC: not worth trying harder, min/2 as well */
	kmem_drain_all_pages();
	KT_ASSERT_EQ(zfree(0), min);
	KT_ASSERT_EQ(take_pages(0, GFP_ATOMIC | __GFP_NOMEMALLOC | __GFP_NOWARN, &more),
		     min - high_floor(min));
	KT_ASSERT_EQ(zfree(0), high_floor(min));
	/* plain GFP_ATOMIC goes on to its own floor */
	KT_ASSERT_EQ(take_pages(0, GFP_ATOMIC | __GFP_NOWARN, &more),
		     high_floor(min) - atomic_floor(min));
	/* __GFP_MEMALLOC: every last page */
	take_pages(0, TAKE_ALL, &more);
	KT_ASSERT_EQ(zfree(0), 0);
	KT_ASSERT_EQ(zstat(0).pcp_count, 0);
	CU_ASSERT_PTR_NULL(alloc_pages(TAKE_ALL, 0));
	kt_blocks_release(&more);
	kt_blocks_release(&b);
	test_end();
}

/* __GFP_NORETRY: exactly one round of direct reclaim, then NULL. */
static void test_noretry_one_round(void)
{
	struct kt_blocks b = { 0 };
	struct kmem_reclaim_stats r0, r1;

	test_begin();
	take_pages(0, GFP_NOWAIT, &b);
	r0 = rstat(0);
	CU_ASSERT_PTR_NULL(alloc_pages(NORETRY, 0));
	r1 = rstat(0);
	KT_ASSERT_EQ(r1.allocstall - r0.allocstall, 1);
	KT_ASSERT_EQ(r1.pgsteal_direct, r0.pgsteal_direct);
	/* GFP_KERNEL | __GFP_NORETRY does not dip into the reserve */
	KT_ASSERT_EQ(zfree(0), zstat(0).min);
	kt_blocks_release(&b);
	test_end();
}

/* __GFP_RETRY_MAYFAIL: MAX_RECLAIM_RETRIES (16) rounds, then NULL. */
static void test_retry_mayfail_16_rounds(void)
{
	struct kt_blocks b = { 0 };
	struct kmem_reclaim_stats r0, r1;
	uint64_t t0, ms;

	test_begin();
	take_pages(0, GFP_NOWAIT, &b);
	r0 = rstat(0);
	t0 = now_ms();
	CU_ASSERT_PTR_NULL(alloc_pages(NOWARN_KERNEL | __GFP_RETRY_MAYFAIL, 0));
	ms = now_ms() - t0;
	r1 = rstat(0);
	KT_ASSERT_EQ(r1.allocstall - r0.allocstall, 16);
	/* bounded: it gives up on its own (16 waits of 10 ms), no time-out needed */
	CU_ASSERT(ms < 5000);
	/* a costly order with __GFP_RETRY_MAYFAIL retries as much */
	CU_ASSERT_PTR_NULL(alloc_pages(NOWARN_KERNEL | __GFP_RETRY_MAYFAIL, 4));
	KT_ASSERT_EQ(rstat(0).allocstall - r1.allocstall, 16);
	kt_blocks_release(&b);
	test_end();
}

/* Orders above PAGE_ALLOC_COSTLY_ORDER without __GFP_RETRY_MAYFAIL: one round. */
static void test_costly_order_one_round(void)
{
	struct kt_blocks b = { 0 };
	struct kmem_reclaim_stats r0;
	unsigned int order;

	test_begin();
	take_pages(0, GFP_NOWAIT, &b);
	for (order = PAGE_ALLOC_COSTLY_ORDER + 1; order <= PAGE_ALLOC_COSTLY_ORDER + 2; order++) {
		r0 = rstat(0);
		CU_ASSERT_PTR_NULL(alloc_pages(NOWARN_KERNEL, order));
		KT_ASSERT_EQ(rstat(0).allocstall - r0.allocstall, 1);
	}
	kt_blocks_release(&b);
	test_end();
}

/* Plain GFP_KERNEL keeps reclaiming and waiting until reclaim_timeout_ms (100 here). */
static void test_kernel_times_out(void)
{
	struct kt_blocks b = { 0 };
	struct kmem_reclaim_stats r0, r1;
	uint64_t t0, ms;

	test_begin();
	take_pages(0, GFP_NOWAIT, &b);
	r0 = rstat(0);
	t0 = now_ms();
	CU_ASSERT_PTR_NULL(alloc_pages(NOWARN_KERNEL, 0));
	ms = now_ms() - t0;
	r1 = rstat(0);
	/* the deadline is taken after the first round, in whole milliseconds */
	CU_ASSERT(ms >= 99);
	CU_ASSERT(ms < 5000);
	/* more than one round (unlike __GFP_NORETRY), each followed by a wait */
	CU_ASSERT(r1.allocstall - r0.allocstall >= 2);
	if (ms < 99 || r1.allocstall - r0.allocstall < 2)
		fprintf(stderr, "  GFP_KERNEL failed after %llu ms, %llu rounds\n",
			(unsigned long long)ms,
			(unsigned long long)(r1.allocstall - r0.allocstall));
	kt_blocks_release(&b);
	test_end();
}

/* One allocation on a thread of its own. */
struct alloc_arg {
	gfp_t gfp;
	struct page *page;
	int done;
};

static void *alloc_thread(void *arg)
{
	struct alloc_arg *a = arg;

	a->page = alloc_pages(a->gfp, 0);
	WRITE_REL(a->done, 1);
	return NULL;
}

static bool join_within(pthread_t t, unsigned int ms)
{
	struct timespec deadline;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += ms / 1000;
	deadline.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	return pthread_timedjoin_np(t, NULL, &deadline) == 0;
}

/*
 * __GFP_NOFAIL: warns once for order > 1 (and, separately, once for a
 * caller that cannot reclaim); succeeds where GFP_ATOMIC fails, taking the
 * last pages; with nothing left at all, waits (past reclaim_timeout_ms)
 * until another thread frees, and never returns NULL.
 */
static void test_nofail(void)
{
	struct kt_blocks b = { 0 }, rest = { 0 };
	struct alloc_arg arg = { GFP_KERNEL | __GFP_NOFAIL, NULL, 0 };
	struct page *p, *q;
	uint64_t min, t0;
	pthread_t t;

	test_begin();
	kt_capture_start();
	p = alloc_pages(GFP_KERNEL | __GFP_NOFAIL, 2);
	CU_ASSERT_PTR_NOT_NULL(p);
	q = alloc_pages(GFP_KERNEL | __GFP_NOFAIL, 2);
	CU_ASSERT_PTR_NOT_NULL(q);
	KT_ASSERT_EQ(captured_times("__GFP_NOFAIL allocation of order > 1"), 1);
	__free_pages(p, 2);
	__free_pages(q, 2);
	/* order 1 is fine */
	p = alloc_pages(GFP_KERNEL | __GFP_NOFAIL, 1);
	CU_ASSERT_PTR_NOT_NULL(p);
	__free_pages(p, 1);
	KT_ASSERT_EQ(captured_times("WARNING"), 1);

	min = zstat(0).min;
	take_pages(0, GFP_NOWAIT, &b);
	take_pages(0, GFP_ATOMIC | __GFP_NOWARN, &b);
	KT_ASSERT_EQ(zfree(0), atomic_floor(min));
	CU_ASSERT_PTR_NULL(alloc_pages(GFP_ATOMIC | __GFP_NOWARN, 0));
	/* below GFP_ATOMIC's floor: only __GFP_NOFAIL still gets a page */
	p = alloc_pages(GFP_KERNEL | __GFP_NOFAIL, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	kt_blocks_add(&b, p, 0);
	kmem_drain_all_pages();
	KT_ASSERT_EQ(zfree(0), atomic_floor(min) - 1);
	/* one that may not sleep spins rather than fail, and is warned about once */
	p = alloc_pages(GFP_ATOMIC | __GFP_NOFAIL, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	kt_blocks_add(&b, p, 0);
	KT_ASSERT_EQ(captured_times("__GFP_NOFAIL without __GFP_DIRECT_RECLAIM"), 1);
	p = alloc_pages(GFP_ATOMIC | __GFP_NOFAIL, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	kt_blocks_add(&b, p, 0);
	KT_ASSERT_EQ(captured_times("__GFP_NOFAIL without __GFP_DIRECT_RECLAIM"), 1);
	/* a failure report is not what __GFP_NOFAIL gives */
	KT_ASSERT_EQ(captured_times("page allocation failure"), 0);

	/* nothing at all left: it waits, well past reclaim_timeout_ms, for a free */
	take_pages(0, TAKE_ALL, &rest);
	KT_ASSERT_EQ(zfree(0), 0);
	KT_ASSERT_EQ(zstat(0).pcp_count, 0);
	t0 = now_ms();
	CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, alloc_thread, &arg), 0);
	sleep_ms(300);
	CU_ASSERT_EQUAL(READ_ACQ(arg.done), 0);
	give_back(&rest, 1);
	CU_ASSERT_FATAL(join_within(t, 5000));
	CU_ASSERT(now_ms() - t0 >= 300);
	CU_ASSERT_PTR_NOT_NULL(arg.page);
	if (arg.page)
		__free_pages(arg.page, 0);
	kt_blocks_release(&rest);
	kt_blocks_release(&b);
	test_end();
}

/* Failure reports: once per failure, rate-limited, never with __GFP_NOWARN. */
static void test_nowarn(void)
{
	struct kt_blocks b = { 0 };
	unsigned int i;

	test_begin();
	take_pages(0, GFP_NOWAIT, &b);
	take_pages(0, GFP_ATOMIC | __GFP_NOWARN, &b);
	__kmem_warn_alloc_ratelimit_reset();
	kt_capture_start();
	CU_ASSERT_PTR_NULL(alloc_pages(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN, 0));
	CU_ASSERT_PTR_NULL(alloc_pages(GFP_ATOMIC | __GFP_NOWARN, 0));
	CU_ASSERT_PTR_NULL(alloc_pages(GFP_NOWAIT, 0));
	CU_ASSERT_PTR_NULL(alloc_pages(NOWARN_KERNEL | __GFP_RETRY_MAYFAIL, 2));
	KT_ASSERT_EQ(captured_times("page allocation failure"), 0);
	KT_ASSERT_EQ(kt_captured_count(), 0);

	CU_ASSERT_PTR_NULL(alloc_pages(GFP_KERNEL | __GFP_NORETRY, 0));
	KT_ASSERT_EQ(captured_times("page allocation failure: order:0"), 1);
	CU_ASSERT(kt_captured("GFP_KERNEL|__GFP_NORETRY"));
	CU_ASSERT_PTR_NULL(alloc_pages(GFP_ATOMIC, 3));
	KT_ASSERT_EQ(captured_times("page allocation failure: order:3"), 1);
	/* at most 10 in 5 seconds */
	for (i = 0; i < 12; i++)
		CU_ASSERT_PTR_NULL(alloc_pages(GFP_ATOMIC, 0));
	KT_ASSERT_EQ(captured_times("page allocation failure: order:"), 10);
	kt_capture_stop();
	__kmem_warn_alloc_ratelimit_reset();
	kt_blocks_release(&b);
	test_end();
}

static bool all_zero(const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n--)
		if (*c++)
			return false;
	return true;
}

/* __GFP_ZERO: pages freed dirty come back zeroed (and without it, dirty). */
static void test_zero(void)
{
	struct kt_blocks b = { 0 };
	unsigned int order;
	size_t i, again = 0;
	struct page *p, *q;

	test_begin();
	for (order = 0; order <= PAGE_ALLOC_COSTLY_ORDER; order++) {
		p = alloc_pages(GFP_KERNEL, order);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		memset(page_address(p), 0xa5, PAGE_SIZE << order);
		__free_pages(p, order);
		/* this CPU's list is LIFO: the same block comes back */
		q = alloc_pages(GFP_KERNEL, order);
		CU_ASSERT_PTR_EQUAL(q, p);
		CU_ASSERT(!all_zero(page_address(q), PAGE_SIZE << order));
		__free_pages(q, order);
		q = alloc_pages(GFP_KERNEL | __GFP_ZERO, order);
		CU_ASSERT_PTR_EQUAL(q, p);
		CU_ASSERT(all_zero(page_address(q), PAGE_SIZE << order));
		__free_pages(q, order);
	}
	/* and through the buddy lists: dirty everything, free, take it all again zeroed */
	while ((p = alloc_pages(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN, 5))) {
		memset(page_address(p), 0x5a, PAGE_SIZE << 5);
		kt_blocks_add(&b, p, 5);
	}
	CU_ASSERT_FATAL(b.n > 8);
	for (i = 0; i < b.n; i++)
		__free_pages(b.page[i], 5);
	for (i = 0; i < b.n; i++) {
		p = alloc_pages(GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN, 5);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		for (size_t j = 0; j < b.n; j++)
			again += b.page[j] == p;
		CU_ASSERT(all_zero(page_address(p), PAGE_SIZE << 5));
		b.page[i] = p;
	}
	/* the check means something only if dirty blocks were handed out again */
	CU_ASSERT(again > 0);
	kt_blocks_release(&b);
	test_end();
}

/* ------------------------------------------------------------------ */
/* direct reclaim: per-CPU lists, slab caches, RCU                     */
/* ------------------------------------------------------------------ */

struct remote_free {
	struct kt_blocks *b;
	size_t nr;
	int cpu;
	int ok;
};

static void *remote_free_thread(void *arg)
{
	struct remote_free *r = arg;

	r->ok = !kt_pin(r->cpu);
	if (r->ok)
		give_back(r->b, r->nr);
	return NULL;
}

/*
 * Pages parked on per-CPU lists - this CPU's and another's - are invisible
 * to the watermarks until reclaim drains every CPU's lists.
 */
static void test_direct_reclaim_pcp(void)
{
	struct kt_blocks b = { 0 };
	struct kmem_reclaim_stats r0, r1;
	struct kmem_zone_stats st;
	struct remote_free rf = { &b, 0, -1, 0 };
	unsigned long k;
	struct page *p;
	pthread_t t;
	int cpus[2];

	test_begin();
	take_pages(0, GFP_NOWAIT, &b);
	st = zstat(0);
	k = st.pcp_high / 2 < 32 ? st.pcp_high / 2 : 32;
	CU_ASSERT_FATAL(k >= 4);
	give_back(&b, k);
	/* another CPU's list too, when there is another CPU to run on */
	if (kt_cpus(cpus, 2) == 2) {
		rf.cpu = cpus[0] == pinned_cpu() ? cpus[1] : cpus[0];
		rf.nr = k;
		CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, remote_free_thread, &rf), 0);
		pthread_join(t, NULL);
		CU_ASSERT(rf.ok);
		if (rf.ok)
			k += rf.nr;
	} else {
		printf("(one CPU: another CPU's list not tested) ");
	}
	st = zstat(0);
	KT_ASSERT_EQ(st.pcp_count, k);
	KT_ASSERT_EQ(st.free_pages, st.min);
	CU_ASSERT_PTR_NULL(alloc_pages(GFP_NOWAIT, 0));
	r0 = rstat(0);
	p = alloc_pages(NORETRY, 0);
	CU_ASSERT_PTR_NOT_NULL(p);
	r1 = rstat(0);
	KT_ASSERT_EQ(r1.allocstall - r0.allocstall, 1);
	KT_ASSERT_EQ(r1.pgsteal_direct - r0.pgsteal_direct, k);
	KT_ASSERT_EQ(zstat(0).pcp_count, 0);
	if (p)
		__free_pages(p, 0);
	kt_blocks_release(&b);
	test_end();
}

static uint64_t kmalloc_slabs(const char *name)
{
	struct kmem_cache_stats st;
	unsigned int iter = 0;
	uint64_t slabs = 0;

	while (!kmem_cache_stats_next(&iter, &st))
		if (!strcmp(st.name, name))
			slabs += st.num_slabs;
	return slabs;
}

/* Free objects in per-CPU caches and empty slabs are given back by reclaim. */
static void test_direct_reclaim_slab(void)
{
	enum { OBJS = 512 };
	struct kt_blocks b = { 0 };
	struct kmem_cache_stats cst;
	struct kmem_reclaim_stats r0, r1;
	struct kmem_cache *s;
	uint64_t kslabs;
	void **obj;
	struct page *p;
	int i;

	test_begin();
	obj = calloc(OBJS, sizeof(*obj));
	s = kmem_cache_create("reclaim_test", 700, 0, 0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	for (i = 0; i < OBJS; i++) {
		obj[i] = kmem_cache_alloc(s, GFP_KERNEL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(obj[i]);
	}
	for (i = 0; i < OBJS; i++)
		kmem_cache_free(s, obj[i]);
	for (i = 0; i < OBJS; i++) {
		obj[i] = kmalloc(1024, GFP_KERNEL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(obj[i]);
	}
	for (i = 0; i < OBJS; i++)
		kfree(obj[i]);
	CU_ASSERT_EQUAL_FATAL(kmem_cache_get_stats(s, &cst), 0);
	/* the slab layer keeps some: empty slabs (min_partial) and per-CPU objects */
	CU_ASSERT_FATAL(cst.num_slabs > 0);
	kslabs = kmalloc_slabs("kmalloc-1k");
	CU_ASSERT(kslabs > 0);

	take_pages(0, GFP_NOWAIT, &b);
	KT_ASSERT_EQ(zfree(0), zstat(0).min);
	CU_ASSERT_PTR_NULL(alloc_pages(GFP_NOWAIT, 0));
	r0 = rstat(0);
	p = alloc_pages(NORETRY, 0);
	CU_ASSERT_PTR_NOT_NULL(p);
	r1 = rstat(0);
	KT_ASSERT_EQ(r1.allocstall - r0.allocstall, 1);
	CU_ASSERT(r1.pgsteal_direct - r0.pgsteal_direct >=
		  (uint64_t)cst.num_slabs * cst.pagesperslab);
	CU_ASSERT_EQUAL(kmem_cache_get_stats(s, &cst), 0);
	KT_ASSERT_EQ(cst.num_slabs, 0);
	CU_ASSERT(kmalloc_slabs("kmalloc-1k") < kslabs);
	if (p)
		__free_pages(p, 0);
	kt_blocks_release(&b);
	kmem_cache_destroy(s);
	free(obj);
	test_end();
}

/* An RCU reader that holds every grace period back for hold_ms. */
struct reader {
	unsigned int hold_ms;
	int state;		/* 1: inside rcu_read_lock(), 2: about to leave */
	pthread_t thread;
};

static void *reader_thread(void *arg)
{
	struct reader *r = arg;

	rcu_read_lock();
	WRITE_REL(r->state, 1);
	sleep_ms(r->hold_ms);
	WRITE_REL(r->state, 2);
	rcu_read_unlock();
	return NULL;
}

static void reader_start(struct reader *r, unsigned int hold_ms)
{
	r->hold_ms = hold_ms;
	r->state = 0;
	CU_ASSERT_EQUAL_FATAL(pthread_create(&r->thread, NULL, reader_thread, r), 0);
	while (!READ_ACQ(r->state))
		sleep_ms(1);
}

struct rcu_obj {
	struct rcu_head rcu;
	char payload[2000];
};

/*
 * kfree_rcu()ed objects come back through direct reclaim's rcu_barrier():
 * with a reader holding the grace period, a __GFP_NORETRY allocation (no
 * waiting for frees) succeeds only after the reader left.
 */
static void test_rcu_kfree_rcu(void)
{
	enum { OBJS = 128, HOLD_MS = 150 };
	struct kt_blocks b = { 0 };
	struct kmem_reclaim_stats r0, r1;
	struct rcu_obj **obj;
	struct reader rd;
	struct page *p;
	uint64_t t0, ms;
	int i;

	test_begin();
	obj = calloc(OBJS, sizeof(*obj));
	for (i = 0; i < OBJS; i++) {
		obj[i] = kmalloc(sizeof(struct rcu_obj), GFP_KERNEL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(obj[i]);
	}
	take_pages(0, GFP_NOWAIT, &b);
	reader_start(&rd, HOLD_MS);
	t0 = now_ms();
	for (i = 0; i < OBJS; i++)
		kfree_rcu(obj[i], rcu);
	/* nothing is back yet: the grace period cannot end */
	CU_ASSERT_PTR_NULL(alloc_pages(GFP_NOWAIT, 0));
	KT_ASSERT_EQ(READ_ACQ(rd.state), 1);
	r0 = rstat(0);
	p = alloc_pages(NORETRY, 0);
	ms = now_ms() - t0;
	r1 = rstat(0);
	CU_ASSERT_PTR_NOT_NULL(p);
	/* one round, no waiting for frees: it waited for the grace period instead */
	KT_ASSERT_EQ(READ_ACQ(rd.state), 2);
	KT_ASSERT_EQ(r1.allocstall - r0.allocstall, 1);
	CU_ASSERT(r1.pgsteal_direct > r0.pgsteal_direct);
	CU_ASSERT(ms >= HOLD_MS / 2);
	pthread_join(rd.thread, NULL);
	if (p)
		__free_pages(p, 0);
	kt_blocks_release(&b);
	free(obj);
	test_end();
}

/*
 * A SLAB_TYPESAFE_BY_RCU cache's empty slabs go back only after a grace
 * period: reclaim discards them and then waits for it.
 */
static void test_rcu_typesafe_slabs(void)
{
	enum { OBJS = 256, HOLD_MS = 150 };
	struct kt_blocks b = { 0 };
	struct kmem_reclaim_stats r0, r1;
	struct kmem_cache_stats cst;
	struct kmem_cache *s;
	struct reader rd;
	struct page *p;
	void **obj;
	int i;

	test_begin();
	obj = calloc(OBJS, sizeof(*obj));
	s = kmem_cache_create("reclaim_typesafe", 1000, 0, SLAB_TYPESAFE_BY_RCU, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	for (i = 0; i < OBJS; i++) {
		obj[i] = kmem_cache_alloc(s, GFP_KERNEL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(obj[i]);
	}
	take_pages(0, GFP_NOWAIT, &b);
	reader_start(&rd, HOLD_MS);
	for (i = 0; i < OBJS; i++)
		kmem_cache_free(s, obj[i]);
	CU_ASSERT_PTR_NULL(alloc_pages(GFP_NOWAIT, 0));
	KT_ASSERT_EQ(READ_ACQ(rd.state), 1);
	r0 = rstat(0);
	p = alloc_pages(NORETRY, 0);
	r1 = rstat(0);
	CU_ASSERT_PTR_NOT_NULL(p);
	KT_ASSERT_EQ(READ_ACQ(rd.state), 2);
	KT_ASSERT_EQ(r1.allocstall - r0.allocstall, 1);
	CU_ASSERT(r1.pgsteal_direct > r0.pgsteal_direct);
	CU_ASSERT_EQUAL(kmem_cache_get_stats(s, &cst), 0);
	KT_ASSERT_EQ(cst.num_slabs, 0);
	pthread_join(rd.thread, NULL);
	if (p)
		__free_pages(p, 0);
	kt_blocks_release(&b);
	kmem_cache_destroy(s);
	free(obj);
	test_end();
}

/* ------------------------------------------------------------------ */
/* GFP_ATOMIC from a signal handler, on a zone at its min watermark    */
/* ------------------------------------------------------------------ */

#define SIG_HELD	1024

static struct {
	pthread_t target;
	int stop;
	/* written by the handler only, on the target thread */
	struct page *held[SIG_HELD];
	volatile sig_atomic_t nheld;
	unsigned long calls, fails, ok_plain, ok_nested;
} sig;

static void atomic_handler(int signo)
{
	bool nested = kmem_in_locked_section();
	int saved = errno;
	struct page *p;

	(void)signo;
	sig.calls++;
	p = alloc_pages(GFP_ATOMIC | __GFP_NOWARN, 0);
	if (!p) {
		sig.fails++;
	} else if (sig.nheld < SIG_HELD) {
		*(volatile char *)page_address(p) = 1;
		sig.held[sig.nheld] = p;
		sig.nheld = sig.nheld + 1;
		if (nested)
			sig.ok_nested++;
		else
			sig.ok_plain++;
	} else {
		__free_pages(p, 0);
	}
	errno = saved;
}

static void *signaller(void *arg)
{
	(void)arg;
	while (!READ_ACQ(sig.stop)) {
		pthread_kill(sig.target, SIGUSR1);
		usleep(100);
	}
	return NULL;
}

/*
 * A thread loops allocating and freeing (and failing GFP_NOWAIT) on a zone
 * at min while signals interrupt it anywhere, kmem's locked sections
 * included; the handler allocates with GFP_ATOMIC and keeps what it gets.
 * The handler is served from the reserve below min that GFP_NOWAIT may not
 * touch, no deeper than GFP_ATOMIC's floor outside a locked section, and
 * every page is accounted for at the end.
 */
static void run_signal_reserve(void)
{
	struct kt_blocks b = { 0 };
	struct sigaction sa, old;
	unsigned long nowait_ok = 0, loops = 0;
	uint64_t min, t0;
	sigset_t block, prev;
	pthread_t t;
	int i;

	test_begin();
	min = zstat(0).min;
	take_pages(0, GFP_NOWAIT, &b);
	KT_ASSERT_EQ(zfree(0), min);
	memset(&sig, 0, sizeof(sig));
	sig.target = pthread_self();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = atomic_handler;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, &old);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, signaller, NULL), 0);
	t0 = now_ms();
	/* until the handler has met the floor a few times (or a second passed) */
	while (now_ms() - t0 < 1000 && (sig.fails < 20 || now_ms() - t0 < 100)) {
		struct page *p = alloc_pages(GFP_NOWAIT, 0);

		if (p) {
			nowait_ok++;
			__free_pages(p, 0);
		}
		p = alloc_pages(TAKE_ALL, (unsigned int)(loops & 1));
		if (p)
			__free_pages(p, (unsigned int)(loops & 1));
		if (!(++loops % 64))
			kmem_drain_all_pages();
	}
	WRITE_REL(sig.stop, 1);
	pthread_join(t, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &block, &prev);
	sigaction(SIGUSR1, &old, NULL);
	pthread_sigmask(SIG_SETMASK, &prev, NULL);

	kmem_drain_all_pages();
	if (sig.ok_plain + sig.ok_nested == 0 || nowait_ok)
		fprintf(stderr, "  %lu signals: %lu plain, %lu nested allocations, %lu failed; "
			"GFP_NOWAIT succeeded %lu times\n", sig.calls, sig.ok_plain, sig.ok_nested,
			sig.fails, nowait_ok);
	CU_ASSERT(sig.calls >= 20);
	/* the handler got pages where GFP_NOWAIT got none */
	CU_ASSERT(sig.ok_plain > 0);
	KT_ASSERT_EQ(nowait_ok, 0);
	/* through the normal path, no deeper than GFP_ATOMIC's floor */
	CU_ASSERT(sig.ok_plain <= min - atomic_floor(min));
	/* and it did reach that floor */
	CU_ASSERT(sig.fails > 0);
	/* every page accounted for: what the handler holds is what the zone lacks */
	KT_ASSERT_EQ(zfree(0) + (uint64_t)sig.nheld, min);
	for (i = 0; i < sig.nheld; i++)
		__free_pages(sig.held[i], 0);
	kt_blocks_release(&b);
	test_end();
}

static void test_signal_atomic_reserve(void)
{
	run_signal_reserve();
}

static const struct kt_test watermark_tests[] = {
	KT_TEST(test_nowait_stops_at_min),
	KT_TEST(test_atomic_dips_below_min),
	KT_TEST(test_reserve_fractions),
	KT_TEST(test_noretry_one_round),
	KT_TEST(test_retry_mayfail_16_rounds),
	KT_TEST(test_costly_order_one_round),
	KT_TEST(test_kernel_times_out),
	KT_TEST(test_nofail),
	KT_TEST(test_nowarn),
	KT_TEST(test_zero),
	KT_TEST(test_direct_reclaim_pcp),
	KT_TEST(test_direct_reclaim_slab),
	KT_TEST(test_rcu_kfree_rcu),
	KT_TEST(test_rcu_typesafe_slabs),
	KT_TEST(test_signal_atomic_reserve),
	KT_END,
};

static const struct kt_suite watermark_suite = {
	"watermarks", watermarks_init, suite_exit, watermark_tests
};
/* ------------------------------------------------------------------ */
/* waiting for frees (reclaim_timeout_ms=5000)                         */
/* ------------------------------------------------------------------ */

static int blocking_init(void) { return kt_init(ONE_NODE ",reclaim_timeout_ms=5000"); }

struct freer {
	struct kt_blocks *b;
	unsigned int delay_ms;
	size_t nr;
	int freed;		/* set just before the first free */
};

static void *freer_thread(void *arg)
{
	struct freer *f = arg;

	sleep_ms(f->delay_ms);
	WRITE_REL(f->freed, 1);
	give_back(f->b, f->nr);
	return NULL;
}

/*
 * GFP_KERNEL at min sleeps until another thread frees, then succeeds: not
 * before the free, and long before the time-out.
 */
static void test_kernel_waits_for_free(void)
{
	enum { DELAY_MS = 150 };
	struct kt_blocks b = { 0 };
	struct freer f = { &b, DELAY_MS, 32, 0 };
	struct kmem_reclaim_stats r0, r1;
	uint64_t t0, ms;
	struct page *p;
	pthread_t t;

	test_begin();
	take_pages(0, GFP_NOWAIT, &b);
	CU_ASSERT_PTR_NULL(alloc_pages(NORETRY, 0));
	r0 = rstat(0);
	t0 = now_ms();
	CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, freer_thread, &f), 0);
	p = alloc_pages(NOWARN_KERNEL, 0);
	ms = now_ms() - t0;
	r1 = rstat(0);
	CU_ASSERT_PTR_NOT_NULL(p);
	KT_ASSERT_EQ(READ_ACQ(f.freed), 1);
	CU_ASSERT(ms >= DELAY_MS);
	CU_ASSERT(ms < 2500);
	/* it reclaimed, slept, and reclaimed again (the freed pages sat on a per-CPU list) */
	CU_ASSERT(r1.allocstall - r0.allocstall >= 2);
	pthread_join(t, NULL);
	if (p)
		__free_pages(p, 0);
	kt_blocks_release(&b);
	test_end();
}

/* Several sleepers are all woken by frees, each served once memory is back. */
static void test_kernel_waiters_all_served(void)
{
	enum { WAITERS = 4, DELAY_MS = 150 };
	struct kt_blocks b = { 0 };
	struct freer f = { &b, DELAY_MS, 64, 0 };
	struct alloc_arg arg[WAITERS];
	pthread_t t[WAITERS], ft;
	uint64_t t0;
	int i;

	test_begin();
	take_pages(0, GFP_NOWAIT, &b);
	t0 = now_ms();
	for (i = 0; i < WAITERS; i++) {
		arg[i] = (struct alloc_arg){ NOWARN_KERNEL, NULL, 0 };
		CU_ASSERT_EQUAL_FATAL(pthread_create(&t[i], NULL, alloc_thread, &arg[i]), 0);
	}
	CU_ASSERT_EQUAL_FATAL(pthread_create(&ft, NULL, freer_thread, &f), 0);
	for (i = 0; i < WAITERS; i++) {
		CU_ASSERT_FATAL(join_within(t[i], 4000));
		CU_ASSERT_PTR_NOT_NULL(arg[i].page);
		if (arg[i].page)
			__free_pages(arg[i].page, 0);
	}
	CU_ASSERT(now_ms() - t0 >= DELAY_MS);
	KT_ASSERT_EQ(READ_ACQ(f.freed), 1);
	pthread_join(ft, NULL);
	kt_blocks_release(&b);
	test_end();
}

static const struct kt_test blocking_tests[] = {
	KT_TEST(test_kernel_waits_for_free),
	KT_TEST(test_kernel_waiters_all_served),
	KT_END,
};

static const struct kt_suite blocking_suite = {
	"waiting_for_frees", blocking_init, suite_exit, blocking_tests
};

/* ------------------------------------------------------------------ */
/* shrinkers                                                           */
/* ------------------------------------------------------------------ */

enum shr_mode { SHR_NORMAL, SHR_EMPTY, SHR_ZERO, SHR_STOP };

/* A cache of pages (or kmalloc()ed objects) that a shrinker gives back. */
struct tshr {
	struct shrinker *s;		/* shrinker_alloc()ed, or &legacy */
	struct shrinker legacy;
	pthread_mutex_t lock;
	enum shr_mode mode;
	bool objects;			/* holds kmalloc()ed objects, not pages */
	int only_nid;			/* NUMA-aware: holds memory of this node only */
	unsigned long fake_count;	/* SHR_STOP: what count_objects claims */
	gfp_t want_gfp;
	unsigned int scan_sleep_ms;	/* scan_objects() dawdles this long */
	bool alloc_in_scan;		/* scan_objects() allocates a page (GFP_KERNEL) */

	struct kt_blocks pages;
	void **obj;
	size_t nobj;

	/* what reclaim did */
	unsigned long count_calls, scan_calls, scanned, freed;
	unsigned long count_nid[2], scan_nid[2], bad_nid;
	unsigned long first_nr_to_scan, max_nr_to_scan, over_batch, over_twice, bad_gfp;
	unsigned long last_count, call_scanned;
	int in_scan, scans_done;
	int depth, max_depth;		/* callbacks nested in callbacks */
	struct kt_blocks scan_allocs;
	unsigned long scan_alloc_fail;
	char log[256];
	unsigned int log_len;
};

static void tshr_log(struct tshr *t, char c)
{
	if (t->log_len + 1 < sizeof(t->log))
		t->log[t->log_len++] = c;
	t->log[t->log_len] = '\0';
}

static size_t tshr_held(struct tshr *t)
{
	size_t n;

	pthread_mutex_lock(&t->lock);
	n = t->objects ? t->nobj : t->pages.n;
	pthread_mutex_unlock(&t->lock);
	return n;
}

static void tshr_enter(struct tshr *t)
{
	int d = __atomic_add_fetch(&t->depth, 1, __ATOMIC_RELAXED);
	int m = __atomic_load_n(&t->max_depth, __ATOMIC_RELAXED);

	while (d > m && !__atomic_compare_exchange_n(&t->max_depth, &m, d, true, __ATOMIC_RELAXED,
						     __ATOMIC_RELAXED))
		;
}

static void tshr_leave(struct tshr *t)
{
	__atomic_sub_fetch(&t->depth, 1, __ATOMIC_RELAXED);
}

static unsigned long tshr_count(struct shrinker *s, struct shrink_control *sc)
{
	struct tshr *t = s->private_data;
	unsigned long n;

	tshr_enter(t);
	pthread_mutex_lock(&t->lock);
	t->count_calls++;
	if (sc->nid >= 0 && sc->nid < 2)
		t->count_nid[sc->nid]++;
	else
		t->bad_nid++;
	tshr_log(t, 'C');
	n = t->objects ? t->nobj : t->pages.n;
	if (t->mode == SHR_STOP)
		n = t->fake_count;
	if (t->mode == SHR_EMPTY || (t->only_nid >= 0 && sc->nid != t->only_nid))
		n = SHRINK_EMPTY;
	else if (t->mode == SHR_ZERO)
		n = 0;
	t->last_count = n;
	t->call_scanned = 0;
	pthread_mutex_unlock(&t->lock);
	tshr_leave(t);
	return n;
}

static unsigned long tshr_scan(struct shrinker *s, struct shrink_control *sc)
{
	struct tshr *t = s->private_data;
	unsigned long batch = s->batch ? (unsigned long)s->batch : SHRINK_BATCH;
	unsigned long n = 0;

	tshr_enter(t);
	WRITE_REL(t->in_scan, 1);
	if (t->scan_sleep_ms)
		sleep_ms(t->scan_sleep_ms);
	if (t->alloc_in_scan) {
		/* what a cache may need to give memory back (a header, a list node) */
		struct page *p = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 0);

		pthread_mutex_lock(&t->lock);
		if (p)
			kt_blocks_add(&t->scan_allocs, p, 0);
		else
			t->scan_alloc_fail++;
		pthread_mutex_unlock(&t->lock);
	}
	pthread_mutex_lock(&t->lock);
	t->scan_calls++;
	if (sc->nid >= 0 && sc->nid < 2)
		t->scan_nid[sc->nid]++;
	tshr_log(t, 'S');
	if (!t->first_nr_to_scan)
		t->first_nr_to_scan = sc->nr_to_scan;
	if (sc->nr_to_scan > t->max_nr_to_scan)
		t->max_nr_to_scan = sc->nr_to_scan;
	t->over_batch += sc->nr_to_scan > batch;
	t->call_scanned += sc->nr_to_scan;
	t->over_twice += t->call_scanned > 2 * t->last_count;
	t->bad_gfp += sc->gfp_mask != t->want_gfp;
	t->scanned += sc->nr_to_scan;
	if (t->mode == SHR_STOP) {
		pthread_mutex_unlock(&t->lock);
		WRITE_REL(t->in_scan, 0);
		__atomic_fetch_add(&t->scans_done, 1, __ATOMIC_RELEASE);
		tshr_leave(t);
		return SHRINK_STOP;
	}
	if (t->objects) {
		while (n < sc->nr_to_scan && t->nobj)
			kfree(t->obj[--t->nobj]), n++;
	} else {
		n = sc->nr_to_scan < t->pages.n ? sc->nr_to_scan : t->pages.n;
		give_back(&t->pages, n);
	}
	t->freed += n;
	pthread_mutex_unlock(&t->lock);
	WRITE_REL(t->in_scan, 0);
	__atomic_fetch_add(&t->scans_done, 1, __ATOMIC_RELEASE);
	tshr_leave(t);
	return n;
}

/* Fill @t with @nr pages of node @nid (or kmalloc()ed objects of @objsize). */
static void tshr_fill(struct tshr *t, int nid, size_t nr, size_t objsize)
{
	size_t i;

	if (objsize) {
		t->objects = true;
		t->obj = calloc(nr, sizeof(*t->obj));
		for (i = 0; i < nr; i++) {
			t->obj[i] = kmalloc_node(objsize, GFP_KERNEL, nid);
			CU_ASSERT_PTR_NOT_NULL_FATAL(t->obj[i]);
		}
		t->nobj = nr;
		return;
	}
	for (i = 0; i < nr; i++) {
		struct page *p = alloc_pages_node(nid, GFP_KERNEL | __GFP_THISNODE, 0);

		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		kt_blocks_add(&t->pages, p, 0);
	}
}

static void tshr_init(struct tshr *t, enum shr_mode mode)
{
	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->lock, NULL);
	t->mode = mode;
	t->only_nid = -1;
	t->want_gfp = NORETRY;
}

/* Register with shrinker_alloc() and @batch / @seeks (-1: leave the default). */
static void tshr_register(struct tshr *t, unsigned int flags, long batch, int seeks)
{
	t->s = shrinker_alloc(flags, "test-%d", (int)t->mode);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t->s);
	KT_ASSERT_EQ(t->s->seeks, DEFAULT_SEEKS);
	t->s->count_objects = tshr_count;
	t->s->scan_objects = tshr_scan;
	t->s->private_data = t;
	if (batch >= 0)
		t->s->batch = batch;
	if (seeks >= 0)
		t->s->seeks = seeks;
	shrinker_register(t->s);
}

static void tshr_reset_counts(struct tshr *t)
{
	pthread_mutex_lock(&t->lock);
	t->count_calls = t->scan_calls = t->scanned = t->freed = 0;
	memset(t->count_nid, 0, sizeof(t->count_nid));
	memset(t->scan_nid, 0, sizeof(t->scan_nid));
	t->first_nr_to_scan = t->max_nr_to_scan = t->over_batch = t->over_twice = t->bad_gfp = 0;
	t->log_len = 0;
	t->log[0] = '\0';
	pthread_mutex_unlock(&t->lock);
}

/* Unregister (if still registered) and give back what it holds. */
static void tshr_destroy(struct tshr *t)
{
	if (t->s && t->s != &t->legacy)
		shrinker_free(t->s);
	else if (t->s)
		unregister_shrinker(t->s);
	t->s = NULL;
	kt_blocks_release(&t->pages);
	kt_blocks_release(&t->scan_allocs);
	while (t->nobj)
		kfree(t->obj[--t->nobj]);
	free(t->obj);
	t->obj = NULL;
	pthread_mutex_destroy(&t->lock);
}

static int shrinkers_init(void) { return kt_init(ONE_NODE); }

/*
 * One shrinker of 1000 pages, batch 16, DEFAULT_SEEKS, zone at min: the
 * kernel's do_shrink_slab() arithmetic says nothing is scanned until
 * priority 6, whose delta (1000 >> 6) * 4 / 2 = 30 makes one batch of 16;
 * that is enough for the min watermark, so reclaim stops there: count_objects
 * 7 times (priorities 12..6), then a single scan_objects of 16.
 */
static void test_shrinker_kernel_arithmetic(void)
{
	struct kt_blocks b = { 0 };
	struct kmem_reclaim_stats r0, r1;
	struct tshr t;
	struct page *p;

	test_begin();
	tshr_init(&t, SHR_NORMAL);
	tshr_fill(&t, 0, 1000, 0);
	take_pages(0, GFP_NOWAIT, &b);
	/* without a shrinker there is nothing to find */
	CU_ASSERT_PTR_NULL(alloc_pages(NORETRY, 0));
	tshr_register(&t, 0, 16, -1);
	r0 = rstat(0);
	p = alloc_pages(NORETRY, 0);
	r1 = rstat(0);
	CU_ASSERT_PTR_NOT_NULL(p);
	CU_ASSERT_STRING_EQUAL(t.log, "CCCCCCCS");
	KT_ASSERT_EQ(t.count_calls, 7);
	KT_ASSERT_EQ(t.scan_calls, 1);
	KT_ASSERT_EQ(t.first_nr_to_scan, 16);
	KT_ASSERT_EQ(t.freed, 16);
	KT_ASSERT_EQ(t.bad_gfp, 0);
	KT_ASSERT_EQ(t.bad_nid, 0);
	KT_ASSERT_EQ(t.count_nid[0], t.count_calls);
	KT_ASSERT_EQ(r1.allocstall - r0.allocstall, 1);
	KT_ASSERT_EQ(r1.pgsteal_direct - r0.pgsteal_direct, 16);
	if (p)
		__free_pages(p, 0);
	tshr_destroy(&t);
	kt_blocks_release(&b);
	test_end();
}

/*
 * The same with the default batch (SHRINK_BATCH, 128): the work deferred
 * from priority to priority reaches 131 at priority 4 - 9 count_objects,
 * one scan of 128.
 */
static void test_shrinker_default_batch(void)
{
	struct kt_blocks b = { 0 };
	struct tshr t;
	struct page *p;

	test_begin();
	tshr_init(&t, SHR_NORMAL);
	tshr_fill(&t, 0, 1000, 0);
	take_pages(0, GFP_NOWAIT, &b);
	tshr_register(&t, 0, -1, -1);
	KT_ASSERT_EQ(t.s->batch, 0);
	p = alloc_pages(NORETRY, 0);
	CU_ASSERT_PTR_NOT_NULL(p);
	CU_ASSERT_STRING_EQUAL(t.log, "CCCCCCCCCS");
	KT_ASSERT_EQ(t.first_nr_to_scan, SHRINK_BATCH);
	KT_ASSERT_EQ(t.freed, SHRINK_BATCH);
	KT_ASSERT_EQ(tshr_held(&t), 1000 - SHRINK_BATCH);
	if (p)
		__free_pages(p, 0);
	tshr_destroy(&t);
	kt_blocks_release(&b);
	test_end();
}

/* seeks = 0: "free half at once" - freeable / 2 at the first priority already. */
static void test_shrinker_seeks_zero(void)
{
	struct kt_blocks b = { 0 };
	struct tshr t;
	struct page *p;
	unsigned int i;
	char want[64];

	test_begin();
	tshr_init(&t, SHR_NORMAL);
	tshr_fill(&t, 0, 1000, 0);
	take_pages(0, GFP_NOWAIT, &b);
	tshr_register(&t, 0, 16, 0);
	p = alloc_pages(NORETRY, 0);
	CU_ASSERT_PTR_NOT_NULL(p);
	/* 500 to scan: 31 batches of 16, the 4 left over carried to the next call */
	want[0] = 'C';
	for (i = 1; i <= 31; i++)
		want[i] = 'S';
	want[i] = '\0';
	CU_ASSERT_STRING_EQUAL(t.log, want);
	KT_ASSERT_EQ(t.freed, 496);
	KT_ASSERT_EQ(t.max_nr_to_scan, 16);
	if (p)
		__free_pages(p, 0);
	tshr_destroy(&t);
	kt_blocks_release(&b);
	test_end();
}

/*
 * Bounds over a whole pass that cannot meet its goal (an order-9 block at
 * min): count_objects before every run of scan_objects, nr_to_scan never
 * above the batch, never more than twice the count scanned per call, and
 * the shrinker emptied by priority 0.
 */
static void test_shrinker_bounds(void)
{
	struct kt_blocks b = { 0 };
	struct tshr t;
	struct page *p;

	test_begin();
	tshr_init(&t, SHR_NORMAL);
	tshr_fill(&t, 0, 600, 0);
	take_pages(0, GFP_NOWAIT, &b);
	tshr_register(&t, 0, 32, -1);
	/* orders above 3 get one round: every priority of one pass */
	p = alloc_pages(NORETRY, 9);
	KT_ASSERT_EQ(t.log[0], 'C');
	KT_ASSERT_EQ(t.over_batch, 0);
	KT_ASSERT_EQ(t.over_twice, 0);
	KT_ASSERT_EQ(t.max_nr_to_scan, 32);
	KT_ASSERT_EQ(t.bad_gfp, 0);
	CU_ASSERT(t.scan_calls > 1);
	CU_ASSERT(t.count_calls > 1);
	/* freed what it was asked to: scanned covers freed */
	CU_ASSERT(t.freed <= t.scanned);
	if (p) {
		/* the shrinker's 600 contiguous pages did make a 2 MiB block */
		__free_pages(p, 9);
	} else {
		/* the pass went down to priority 0, which scans everything */
		KT_ASSERT_EQ(tshr_held(&t), 0);
		KT_ASSERT_EQ(t.count_calls, 13);
	}
	tshr_destroy(&t);
	kt_blocks_release(&b);
	test_end();
}

/* count_objects() of 0 or SHRINK_EMPTY: scan_objects() is never called. */
static void test_shrinker_empty(void)
{
	struct kt_blocks b = { 0 };
	struct tshr e, z;

	test_begin();
	tshr_init(&e, SHR_EMPTY);
	tshr_init(&z, SHR_ZERO);
	tshr_fill(&e, 0, 100, 0);
	tshr_fill(&z, 0, 100, 0);
	take_pages(0, GFP_NOWAIT, &b);
	tshr_register(&e, 0, 1, 0);
	tshr_register(&z, 0, 1, 0);
	CU_ASSERT_PTR_NULL(alloc_pages(NORETRY, 0));
	/* asked once per priority, 12 down to 0 */
	KT_ASSERT_EQ(e.count_calls, 13);
	KT_ASSERT_EQ(z.count_calls, 13);
	KT_ASSERT_EQ(e.scan_calls, 0);
	KT_ASSERT_EQ(z.scan_calls, 0);
	tshr_destroy(&e);
	tshr_destroy(&z);
	kt_blocks_release(&b);
	test_end();
}

/*
 * SHRINK_STOP ends the call: never two scans in a row.  With batch 16 and
 * a count of 1000 the deferred work reaches a batch at priority 6, so
 * priorities 6..0 each make exactly one call (7 scans, 13 counts).
 */
static void test_shrinker_stop(void)
{
	struct kt_blocks b = { 0 };
	struct tshr t;

	test_begin();
	tshr_init(&t, SHR_STOP);
	t.fake_count = 1000;
	take_pages(0, GFP_NOWAIT, &b);
	tshr_register(&t, 0, 16, -1);
	CU_ASSERT_PTR_NULL(alloc_pages(NORETRY, 0));
	CU_ASSERT_PTR_NULL(strstr(t.log, "SS"));
	CU_ASSERT_STRING_EQUAL(t.log, "CCCCCCCSCSCSCSCSCSCS");
	KT_ASSERT_EQ(t.scan_calls, 7);
	KT_ASSERT_EQ(t.count_calls, 13);
	tshr_destroy(&t);
	kt_blocks_release(&b);
	test_end();
}

/* Pressure while @t holds pages: called?  (The zone is refilled to min first.) */
static void pressure(struct kt_blocks *b, gfp_t gfp)
{
	struct page *p;

	take_pages(0, GFP_NOWAIT, b);
	p = alloc_pages(gfp, 0);
	if (p)
		kt_blocks_add(b, p, 0);
}

/* shrinker_free() and unregister_shrinker(): never called again. */
static void test_shrinker_unregister(void)
{
	struct kt_blocks b = { 0 };
	struct tshr t, l;

	test_begin();
	tshr_init(&t, SHR_NORMAL);
	tshr_init(&l, SHR_NORMAL);
	tshr_fill(&t, 0, 300, 0);
	tshr_fill(&l, 0, 300, 0);
	tshr_register(&t, 0, 16, -1);
	/* the legacy interface, on a struct the caller owns */
	l.legacy.count_objects = tshr_count;
	l.legacy.scan_objects = tshr_scan;
	l.legacy.seeks = DEFAULT_SEEKS;
	l.legacy.batch = 16;
	l.legacy.private_data = &l;
	KT_ASSERT_EQ(register_shrinker(&l.legacy, "legacy-%d", 1), 0);
	l.s = &l.legacy;

	pressure(&b, NORETRY);
	CU_ASSERT(t.count_calls > 0);
	CU_ASSERT(l.count_calls > 0);
	CU_ASSERT(t.scan_calls + l.scan_calls > 0);

	shrinker_free(t.s);
	t.s = NULL;
	tshr_reset_counts(&t);
	tshr_reset_counts(&l);
	pressure(&b, NORETRY);
	KT_ASSERT_EQ(t.count_calls + t.scan_calls, 0);
	CU_ASSERT(l.count_calls > 0);

	unregister_shrinker(&l.legacy);
	l.s = NULL;
	tshr_reset_counts(&l);
	pressure(&b, NORETRY);
	KT_ASSERT_EQ(l.count_calls + l.scan_calls, 0);
	/* nobody left to help */
	CU_ASSERT_PTR_NULL(alloc_pages(NORETRY, 0));
	tshr_destroy(&t);
	tshr_destroy(&l);
	kt_blocks_release(&b);
	test_end();
}

/* Unregistering waits for a callback that is running: none runs after it returns. */
static void test_shrinker_unregister_waits(void)
{
	enum { SCAN_MS = 150 };
	struct kt_blocks b = { 0 };
	struct alloc_arg a = { NORETRY, NULL, 0 };
	struct tshr t;
	uint64_t t0, ms;
	pthread_t th;

	test_begin();
	tshr_init(&t, SHR_NORMAL);
	tshr_fill(&t, 0, 300, 0);
	t.scan_sleep_ms = SCAN_MS;
	take_pages(0, GFP_NOWAIT, &b);
	tshr_register(&t, 0, 16, -1);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, alloc_thread, &a), 0);
	while (!READ_ACQ(t.in_scan) && !READ_ACQ(a.done))
		sleep_ms(1);
	CU_ASSERT_FATAL(READ_ACQ(t.in_scan));
	t0 = now_ms();
	shrinker_free(t.s);
	t.s = NULL;
	ms = now_ms() - t0;
	/* the running scan finished before shrinker_free() returned */
	KT_ASSERT_EQ(READ_ACQ(t.in_scan), 0);
	KT_ASSERT_EQ(READ_ACQ(t.scans_done), 1);
	CU_ASSERT(ms >= SCAN_MS / 2);
	pthread_join(th, NULL);
	CU_ASSERT_PTR_NOT_NULL(a.page);
	if (a.page)
		__free_pages(a.page, 0);
	KT_ASSERT_EQ(READ_ACQ(t.scans_done), 1);
	tshr_destroy(&t);
	kt_blocks_release(&b);
	test_end();
}

/*
 * A shrinker over kmalloc()ed objects: what it kfree()s empties slabs, and
 * reclaim turns them into pages for the allocation.
 */
static void test_shrinker_kmalloc_objects(void)
{
	struct kt_blocks b = { 0 };
	struct kmem_reclaim_stats r0, r1;
	struct tshr t;
	struct page *p;

	test_begin();
	tshr_init(&t, SHR_NORMAL);
	tshr_fill(&t, 0, 4000, 512);
	take_pages(0, GFP_NOWAIT, &b);
	CU_ASSERT_PTR_NULL(alloc_pages(NORETRY, 0));
	tshr_register(&t, 0, -1, -1);
	r0 = rstat(0);
	p = alloc_pages(NORETRY, 0);
	r1 = rstat(0);
	CU_ASSERT_PTR_NOT_NULL(p);
	CU_ASSERT(t.freed > 0);
	CU_ASSERT(t.freed < 4000);
	CU_ASSERT(r1.pgsteal_direct > r0.pgsteal_direct);
	if (p)
		__free_pages(p, 0);
	tshr_destroy(&t);
	kt_blocks_release(&b);
	test_end();
}

/*
 * Reclaim runs with PF_MEMALLOC: what a shrinker allocates meanwhile is
 * served from the last pages (the zone is at min, where GFP_KERNEL would
 * otherwise reclaim) and never recurses into reclaim.
 */
static void test_shrinker_allocates_in_reclaim(void)
{
	struct kt_blocks b = { 0 };
	struct kmem_reclaim_stats r0, r1;
	struct tshr t;
	struct page *p;

	test_begin();
	tshr_init(&t, SHR_NORMAL);
	t.alloc_in_scan = true;
	tshr_fill(&t, 0, 1000, 0);
	take_pages(0, GFP_NOWAIT, &b);
	tshr_register(&t, 0, 16, -1);
	r0 = rstat(0);
	p = alloc_pages(NORETRY, 0);
	r1 = rstat(0);
	CU_ASSERT_PTR_NOT_NULL(p);
	KT_ASSERT_EQ(t.scan_calls, 1);
	KT_ASSERT_EQ(t.scan_allocs.n, 1);
	KT_ASSERT_EQ(t.scan_alloc_fail, 0);
	KT_ASSERT_EQ(t.max_depth, 1);
	KT_ASSERT_EQ(r1.allocstall - r0.allocstall, 1);
	if (p)
		__free_pages(p, 0);
	tshr_destroy(&t);
	kt_blocks_release(&b);
	test_end();
}

static const struct kt_test shrinker_tests[] = {
	KT_TEST(test_shrinker_kernel_arithmetic),
	KT_TEST(test_shrinker_default_batch),
	KT_TEST(test_shrinker_seeks_zero),
	KT_TEST(test_shrinker_bounds),
	KT_TEST(test_shrinker_empty),
	KT_TEST(test_shrinker_stop),
	KT_TEST(test_shrinker_unregister),
	KT_TEST(test_shrinker_unregister_waits),
	KT_TEST(test_shrinker_kmalloc_objects),
	KT_TEST(test_shrinker_allocates_in_reclaim),
	KT_END,
};

static const struct kt_suite shrinker_suite = {
	"shrinkers", shrinkers_init, suite_exit, shrinker_tests
};

/* ------------------------------------------------------------------ */
/* two nodes: __GFP_THISNODE, NUMA-aware shrinkers                     */
/* ------------------------------------------------------------------ */

static int numa_init(void) { return kt_init(TWO_NODES); }

static struct kmem_numa_stats nstat(int nid)
{
	struct kmem_numa_stats st;

	memset(&st, 0, sizeof(st));
	CU_ASSERT_EQUAL_FATAL(kmem_numa_stats(nid, &st), 0);
	return st;
}

/*
 * Node 0 at min: __GFP_THISNODE fails (after its one round of reclaim for
 * GFP_KERNEL), where the same request without it falls back to node 1,
 * counted as numa_miss on node 1 and numa_foreign on node 0.
 */
static void test_thisnode_no_fallback(void)
{
	struct kt_blocks b = { 0 };
	struct kmem_numa_stats n0, n1, m0, m1;
	struct kmem_reclaim_stats r0, r1;
	uint64_t free1;
	struct page *p;

	test_begin();
	take_pages(0, GFP_NOWAIT | __GFP_THISNODE, &b);
	KT_ASSERT_EQ(zfree(0), zstat(0).min);
	free1 = zfree(1);
	CU_ASSERT_FATAL(free1 > zstat(1).high);

	n0 = nstat(0);
	n1 = nstat(1);
	r0 = rstat(0);
	CU_ASSERT_PTR_NULL(alloc_pages_node(0, GFP_NOWAIT | __GFP_THISNODE, 0));
	CU_ASSERT_PTR_NULL(alloc_pages_node(0, NORETRY | __GFP_THISNODE, 0));
	r1 = rstat(0);
	KT_ASSERT_EQ(r1.allocstall - r0.allocstall, 1);
	kmem_drain_all_pages();
	KT_ASSERT_EQ(zfree(1), free1);
	m0 = nstat(0);
	m1 = nstat(1);
	KT_ASSERT_EQ(m1.numa_miss, n1.numa_miss);
	KT_ASSERT_EQ(m0.numa_foreign, n0.numa_foreign);

	/* without it: node 1, at once, no reclaim */
	p = alloc_pages_node(0, GFP_NOWAIT, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	KT_ASSERT_EQ(page_to_nid(p), 1);
	kt_blocks_add(&b, p, 0);
	p = alloc_pages_node(0, NOWARN_KERNEL, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	KT_ASSERT_EQ(page_to_nid(p), 1);
	kt_blocks_add(&b, p, 0);
	KT_ASSERT_EQ(rstat(0).allocstall, r1.allocstall);
	n0 = nstat(0);
	n1 = nstat(1);
	KT_ASSERT_EQ(n1.numa_miss - m1.numa_miss, 2);
	KT_ASSERT_EQ(n0.numa_foreign - m0.numa_foreign, 2);
	KT_ASSERT_EQ(n1.numa_hit, m1.numa_hit);
	kt_blocks_release(&b);
	test_end();
}

/*
 * A NUMA-aware shrinker is asked about each node (sc->nid), one that is not
 * always about node 0; only the node that has something is scanned.
 */
static void test_shrinker_numa_aware(void)
{
	struct kt_blocks b = { 0 };
	struct tshr aware, plain;
	struct page *p;

	test_begin();
	tshr_init(&aware, SHR_NORMAL);
	tshr_init(&plain, SHR_ZERO);
	aware.only_nid = 0;
	aware.want_gfp = NORETRY | __GFP_THISNODE;
	tshr_fill(&aware, 0, 1000, 0);
	take_pages(0, GFP_NOWAIT | __GFP_THISNODE, &b);
	tshr_register(&aware, SHRINKER_NUMA_AWARE, 16, -1);
	tshr_register(&plain, 0, 16, -1);
	p = alloc_pages_node(0, NORETRY | __GFP_THISNODE, 0);
	CU_ASSERT_PTR_NOT_NULL(p);
	if (p)
		KT_ASSERT_EQ(page_to_nid(p), 0);
	CU_ASSERT(aware.count_nid[0] > 0);
	CU_ASSERT(aware.count_nid[1] > 0);
	KT_ASSERT_EQ(aware.count_nid[0], aware.count_nid[1]);
	CU_ASSERT(aware.scan_nid[0] > 0);
	KT_ASSERT_EQ(aware.scan_nid[1], 0);
	KT_ASSERT_EQ(aware.bad_nid, 0);
	KT_ASSERT_EQ(aware.bad_gfp, 0);
	/*
	 * Priorities 12..6, node 0 then node 1 at each: node 0 reaches its
	 * first batch at 6, as a lone shrinker does (an empty node defers
	 * nothing), and node 1 is still asked before the goal is checked.
	 */
	CU_ASSERT_STRING_EQUAL(aware.log, "CCCCCCCCCCCCCSC");
	CU_ASSERT(plain.count_calls > 0);
	KT_ASSERT_EQ(plain.count_nid[1], 0);
	KT_ASSERT_EQ(plain.count_nid[0], plain.count_calls);
	if (p)
		__free_pages(p, 0);
	tshr_destroy(&aware);
	tshr_destroy(&plain);
	kt_blocks_release(&b);
	test_end();
}

static const struct kt_test numa_tests[] = {
	KT_TEST(test_thisnode_no_fallback),
	KT_TEST(test_shrinker_numa_aware),
	KT_END,
};

static const struct kt_suite numa_suite = { "two_nodes", numa_init, suite_exit, numa_tests };

/* ------------------------------------------------------------------ */
/* kswapd (two nodes, one kswapd each)                                 */
/* ------------------------------------------------------------------ */

static int kswapd_init(void) { return kt_init(TWO_NODES ",kswapd=on,reclaim_timeout_ms=2000"); }

/* Poll until node @nid's kswapd finished a run begun after @before (up to 2 s). */
static struct kmem_reclaim_stats kswapd_wait_idle(int nid, const struct kmem_reclaim_stats *before)
{
	struct kmem_reclaim_stats st;
	uint64_t t0 = now_ms();

	while (now_ms() - t0 < 2000) {
		st = rstat(nid);
		if (st.pageoutrun > before->pageoutrun && !st.kswapd_running)
			break;
		sleep_ms(5);
	}
	/* and nothing more for a while: it went back to sleep */
	sleep_ms(50);
	return rstat(nid);
}

static void test_kswapd_present(void)
{
	struct kmem_reclaim_stats st;
	struct kmem_info info;
	int nid;

	CU_ASSERT_EQUAL_FATAL(kmem_get_info(&info), 0);
	KT_ASSERT_EQ(info.nr_nodes, 2);
	for (nid = 0; nid < 2; nid++) {
		st = rstat(nid);
		KT_ASSERT_EQ(st.kswapd_present, 1);
		KT_ASSERT_EQ(st.kswapd_running, 0);
	}
	CU_ASSERT_EQUAL(kmem_get_reclaim_stats(2, &st), -EINVAL);
	CU_ASSERT_EQUAL(kmem_get_reclaim_stats(-1, &st), -EINVAL);
	CU_ASSERT_EQUAL(kmem_get_reclaim_stats(0, NULL), -EINVAL);
}

/*
 * Above the low watermark kswapd sleeps; the first allocation that finds
 * the zone at low wakes it (that node's only).  With nothing to reclaim it
 * makes one run and gives up without reaching high.
 */
static void test_kswapd_sleeps_above_low(void)
{
	const gfp_t gfp = GFP_NOWAIT | __GFP_THISNODE;
	struct kt_blocks b = { 0 };
	struct kmem_reclaim_stats r0, r1, r2, o0, o1;
	struct kmem_zone_stats st;
	struct page *p;

	test_begin();
	st = zstat(0);
	r0 = rstat(0);
	o0 = rstat(1);
	/*
	 * Down to just above low, through the fast path: n allocations take at
	 * most n + pcp_batch - 1 pages off the free lists, so each one still
	 * finds free > low.
	 */
	for (;;) {
		uint64_t f, n;

		kmem_drain_all_pages();
		f = zfree(0);
		if (f <= st.low + 1 + st.pcp_batch)
			break;
		for (n = f - (st.low + 1 + st.pcp_batch); n; n--) {
			p = alloc_pages_node(0, gfp, 0);
			CU_ASSERT_PTR_NOT_NULL_FATAL(p);
			kt_blocks_add(&b, p, 0);
		}
	}
	CU_ASSERT(zfree(0) > st.low);
	sleep_ms(50);
	r1 = rstat(0);
	KT_ASSERT_EQ(r1.kswapd_wake, r0.kswapd_wake);
	KT_ASSERT_EQ(r1.pageoutrun, r0.pageoutrun);

	/* at low: the slow path wakes it */
	while (zfree(0) > st.low) {
		p = alloc_pages_node(0, gfp, 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		kt_blocks_add(&b, p, 0);
		kmem_drain_all_pages();
	}
	p = alloc_pages_node(0, gfp, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	kt_blocks_add(&b, p, 0);
	r2 = kswapd_wait_idle(0, &r1);
	KT_ASSERT_EQ(r2.kswapd_wake - r1.kswapd_wake, 1);
	/* no progress: one run, and it did not balance the node */
	KT_ASSERT_EQ(r2.pageoutrun - r1.pageoutrun, 1);
	KT_ASSERT_EQ(r2.kswapd_high_wmark_hit, r1.kswapd_high_wmark_hit);
	KT_ASSERT_EQ(r2.kswapd_running, 0);
	KT_ASSERT_EQ(r2.allocstall, r1.allocstall);
	/* the other node's kswapd slept through it all */
	o1 = rstat(1);
	KT_ASSERT_EQ(o1.kswapd_wake, o0.kswapd_wake);
	KT_ASSERT_EQ(o1.pageoutrun, o0.pageoutrun);
	kt_blocks_release(&b);
	test_end();
}

/*
 * Memory held by a shrinker, zone taken to min without waking kswapd (no
 * __GFP_KSWAPD_RECLAIM); one GFP_NOWAIT allocation wakes it.  It reclaims
 * until the node is balanced (free above high), through the shrinker, and
 * stops there: the shrinker keeps most of what it holds.
 */
static void test_kswapd_balances_to_high(void)
{
	enum { HELD = 1000 };
	struct kt_blocks b = { 0 };
	struct kmem_reclaim_stats r0, r1, r2;
	struct kmem_zone_stats st;
	struct tshr t;
	struct page *p;
	size_t held;

	test_begin();
	st = zstat(0);
	tshr_init(&t, SHR_NORMAL);
	t.want_gfp = GFP_KERNEL;
	tshr_fill(&t, 0, HELD, 0);
	/*
	 * Batch 8: with these watermarks (min/low/high 90/112/134) the scans
	 * of priority 6 stop at min + 32, above low and below high, and those
	 * of priority 5 at min + 88: a kswapd content with low is told apart.
	 */
	tshr_register(&t, 0, 8, -1);
	r0 = rstat(0);
	take_pages(0, NO_RECLAIM | __GFP_THISNODE, &b);
	KT_ASSERT_EQ(zfree(0), st.min);
	sleep_ms(20);
	r1 = rstat(0);
	/* without __GFP_KSWAPD_RECLAIM nobody woke it */
	KT_ASSERT_EQ(r1.kswapd_wake, r0.kswapd_wake);
	KT_ASSERT_EQ(r1.pageoutrun, r0.pageoutrun);
	KT_ASSERT_EQ(t.count_calls, 0);

	CU_ASSERT_PTR_NULL(alloc_pages_node(0, GFP_NOWAIT | __GFP_THISNODE, 0));
	r2 = kswapd_wait_idle(0, &r1);
	KT_ASSERT_EQ(r2.kswapd_wake - r1.kswapd_wake, 1);
	CU_ASSERT(r2.pageoutrun - r1.pageoutrun >= 1);
	KT_ASSERT_EQ(r2.kswapd_high_wmark_hit - r1.kswapd_high_wmark_hit, 1);
	KT_ASSERT_EQ(r2.kswapd_running, 0);
	CU_ASSERT(r2.pgsteal_kswapd - r1.pgsteal_kswapd > st.high - st.min);
	/* background only: no allocation stalled */
	KT_ASSERT_EQ(r2.allocstall, r1.allocstall);
	KT_ASSERT_EQ(r2.pgsteal_direct, r1.pgsteal_direct);
	/* balanced: above high ... */
	kmem_drain_all_pages();
	CU_ASSERT(zfree(0) > st.high);
	/* ... and no further than needed: most of the cache is still there */
	held = tshr_held(&t);
	CU_ASSERT(held >= HELD / 2);
	CU_ASSERT(zfree(0) < st.high + HELD / 2);
	KT_ASSERT_EQ(t.bad_gfp, 0);
	KT_ASSERT_EQ(t.over_batch, 0);
	/* a shrinker that is not NUMA-aware is asked about node 0 */
	KT_ASSERT_EQ(t.count_nid[1], 0);
	/* GFP_NOWAIT succeeds again, from the fast path */
	p = alloc_pages_node(0, GFP_NOWAIT | __GFP_THISNODE, 0);
	CU_ASSERT_PTR_NOT_NULL(p);
	if (p)
		__free_pages(p, 0);
	tshr_destroy(&t);
	kt_blocks_release(&b);
	test_end();
}

/* kswapd1 asks a NUMA-aware shrinker about node 1, and only node 1. */
static void test_kswapd_numa_aware_shrinker(void)
{
	enum { HELD = 1000 };
	struct kt_blocks b = { 0 };
	struct kmem_reclaim_stats r1, r2, o1, o2;
	struct kmem_zone_stats st;
	struct tshr t;

	test_begin();
	st = zstat(1);
	tshr_init(&t, SHR_NORMAL);
	t.want_gfp = GFP_KERNEL;
	t.only_nid = 1;
	tshr_fill(&t, 1, HELD, 0);
	tshr_register(&t, SHRINKER_NUMA_AWARE, 16, -1);
	take_pages(1, NO_RECLAIM | __GFP_THISNODE, &b);
	KT_ASSERT_EQ(zfree(1), st.min);
	r1 = rstat(1);
	o1 = rstat(0);
	CU_ASSERT_PTR_NULL(alloc_pages_node(1, GFP_NOWAIT | __GFP_THISNODE, 0));
	r2 = kswapd_wait_idle(1, &r1);
	o2 = rstat(0);
	KT_ASSERT_EQ(r2.kswapd_high_wmark_hit - r1.kswapd_high_wmark_hit, 1);
	CU_ASSERT(r2.pgsteal_kswapd > r1.pgsteal_kswapd);
	kmem_drain_all_pages();
	CU_ASSERT(zfree(1) > st.high);
	CU_ASSERT(t.count_nid[1] > 0);
	CU_ASSERT(t.scan_nid[1] > 0);
	KT_ASSERT_EQ(t.count_nid[0], 0);
	KT_ASSERT_EQ(t.bad_nid, 0);
	/* node 0's kswapd had nothing to do with it */
	KT_ASSERT_EQ(o2.pageoutrun, o1.pageoutrun);
	KT_ASSERT_EQ(o2.pgsteal_kswapd, o1.pgsteal_kswapd);
	tshr_destroy(&t);
	kt_blocks_release(&b);
	test_end();
}

static const struct kt_test kswapd_tests[] = {
	KT_TEST(test_kswapd_present),
	KT_TEST(test_kswapd_sleeps_above_low),
	KT_TEST(test_kswapd_balances_to_high),
	KT_TEST(test_kswapd_numa_aware_shrinker),
	KT_END,
};

static const struct kt_suite kswapd_suite = { "kswapd", kswapd_init, suite_exit, kswapd_tests };

/* ------------------------------------------------------------------ */
/* per-CPU locks instead of rseq                                       */
/* ------------------------------------------------------------------ */

static int locked_init(void) { return kt_init(ONE_NODE ",rseq=off"); }

/* The same, where per-CPU lists are taken under per-CPU locks. */
static void test_signal_atomic_reserve_locked(void)
{
	struct kmem_info info;

	CU_ASSERT_EQUAL_FATAL(kmem_get_info(&info), 0);
	CU_ASSERT(!info.rseq);
	run_signal_reserve();
}

/* Direct reclaim drains every CPU's lists in this mode too. */
static void test_direct_reclaim_pcp_locked(void)
{
	test_direct_reclaim_pcp();
}

static const struct kt_test locked_tests[] = {
	KT_TEST(test_signal_atomic_reserve_locked),
	KT_TEST(test_direct_reclaim_pcp_locked),
	KT_END,
};

static const struct kt_suite locked_suite = { "pcp_locked", locked_init, suite_exit, locked_tests };

static const struct kt_suite *const suites[] = {
	&watermark_suite, &blocking_suite, &shrinker_suite, &numa_suite, &kswapd_suite,
	&locked_suite, NULL
};

int main(int argc, char **argv) { return kt_main(argc, argv, suites); }
