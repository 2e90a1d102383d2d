// SPDX-License-Identifier: MIT
/*
 * The buddy allocator: split/merge exactness, zone choice and fallback,
 * NUMA fallback and numastat, per-CPU lists, zeroing, address conversions,
 * alloc_pages_exact, reference counts, bad input, and multi-threaded storms
 * in both per-CPU modes (rseq and per-CPU locks).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/gfp.h>
#include <linux/mm.h>

#include "internal.h"
#include "kunit.h"

/* zones=carve layout used by most suites: node 0 = DMA 4M | DMA32 8M | Normal 20M. */
#define CARVE_OPTS	"zones=carve,fake_numa=2,direct_mb=32,dma_mb=4,dma32_mb=8,highmem_mb=8,hugepages=never"
#define DIRECT_PAGES	(32UL << 20 >> PAGE_SHIFT)
#define HIGHMEM_PAGES	(8UL << 20 >> PAGE_SHIFT)
#define DMA_PAGES	(4UL << 20 >> PAGE_SHIFT)
#define DMA32_PAGES	(8UL << 20 >> PAGE_SHIFT)

#define EXH_GFP		(GFP_KERNEL | __GFP_THISNODE | __GFP_MEMALLOC | __GFP_NOWARN)

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define STORM_OPS_PER_THREAD	15000
#else
#define STORM_OPS_PER_THREAD	100000
#endif
#define STORM_THREADS		4

static int suite_exit(void)
{
	kt_capture_stop();
	kt_unpin();
	kmem_exit();
	return 0;
}

static int buddy_init(void) { return kt_init("fake_numa=2,direct_mb=16,highmem_mb=4,hugepages=never"); }
static int carve_init(void) { return kt_init(CARVE_OPTS); }
static int storm_rseq_init(void) { return kt_init("fake_numa=2,direct_mb=32,highmem_mb=8,hugepages=never"); }
static int storm_locked_init(void)
{
	return kt_init("fake_numa=2,direct_mb=32,highmem_mb=8,hugepages=never,rseq=off");
}

/* Per-test bracket: everything a test allocates must be back when it ends. */
static struct kt_snapshot *test_begin(void)
{
	kt_unpin();
	kmem_drain_all_pages();
	return kt_snapshot();
}

static void test_end(struct kt_snapshot *start)
{
	struct kt_snapshot *now;

	kt_unpin();
	kmem_drain_all_pages();
	now = kt_snapshot();
	if (!kt_snapshot_equal(start, now, true))
		CU_FAIL("free lists not restored at the end of the test (leak or corruption)");
	free(now);
	free(start);
}

static void numa_snapshot(struct kmem_numa_stats *st)
{
	int nid;

	for (nid = 0; nid < num_online_nodes(); nid++)
		kmem_numa_stats(nid, &st[nid]);
}

/* ------------------------------------------------------------------ */
/* split / merge                                                       */
/* ------------------------------------------------------------------ */

static void test_split_merge_exhaustive(void)
{
	kt_check_split_merge();
}

/* ------------------------------------------------------------------ */
/* zones (carve mode)                                                  */
/* ------------------------------------------------------------------ */

/* Every pfn sits in the node and zone the carve options put it in. */
static void test_carve_layout(void)
{
	static const uint64_t present[2][MAX_NR_ZONES] = {
		{ DMA_PAGES, DMA32_PAGES, DIRECT_PAGES - DMA_PAGES - DMA32_PAGES, HIGHMEM_PAGES },
		{ 0, 0, DIRECT_PAGES, HIGHMEM_PAGES },
	};
	struct kmem_info info;
	struct kmem_zone_stats st;
	unsigned long pfn, bad_nid = 0, bad_zone = 0;
	int nid, z;

	CU_ASSERT_EQUAL_FATAL(kmem_get_info(&info), 0);
	KT_ASSERT_EQ(info.nr_nodes, 2);
	KT_ASSERT_EQ(info.total_pages, 2 * (DIRECT_PAGES + HIGHMEM_PAGES));
	CU_ASSERT(!info.phys_real);
	for (nid = 0; nid < 2; nid++) {
		for (z = 0; z < MAX_NR_ZONES; z++) {
			CU_ASSERT_EQUAL_FATAL(kmem_zone_stats(nid, z, &st), 0);
			KT_ASSERT_EQ(st.present, present[nid][z]);
			KT_ASSERT_EQ(st.managed, present[nid][z]);
			if (present[nid][z])
				KT_ASSERT_EQ(st.spanned, present[nid][z]);
		}
	}
	CU_ASSERT_EQUAL(kmem_zone_stats(2, 0, &st), -EINVAL);
	CU_ASSERT_EQUAL(kmem_zone_stats(0, MAX_NR_ZONES, &st), -EINVAL);
	CU_ASSERT_EQUAL(kmem_zone_stats(-1, 0, &st), -EINVAL);

	for (pfn = 0; pfn < info.total_pages; pfn++) {
		struct page *page = pfn_to_page(pfn);
		int exp_nid, exp_zone;

		if (pfn < 2 * DIRECT_PAGES) {
			exp_nid = (int)(pfn / DIRECT_PAGES);
			exp_zone = ZONE_NORMAL;
			if (exp_nid == 0 && pfn < DMA_PAGES)
				exp_zone = ZONE_DMA;
			else if (exp_nid == 0 && pfn < DMA_PAGES + DMA32_PAGES)
				exp_zone = ZONE_DMA32;
		} else {
			exp_nid = (int)((pfn - 2 * DIRECT_PAGES) / HIGHMEM_PAGES);
			exp_zone = ZONE_HIGHMEM;
		}
		bad_nid += page_to_nid(page) != exp_nid;
		bad_zone += (int)page_zonenum(page) != exp_zone;
	}
	KT_ASSERT_EQ(bad_nid, 0);
	KT_ASSERT_EQ(bad_zone, 0);
}

static void expect_zone(int pref, gfp_t gfp, unsigned int order, int exp_nid, int exp_zone,
			unsigned int line)
{
	struct page *p = alloc_pages_node(pref, gfp, order);
	char where[64];

	snprintf(where, sizeof(where), "expect_zone from line %u", line);
	CU_assertImplementation(p != NULL, line, "allocation failed", __FILE__, "", CU_FALSE);
	if (!p)
		return;
	if (page_to_nid(p) != exp_nid || (int)page_zonenum(p) != exp_zone)
		fprintf(stderr, "  line %u: gfp %#x order %u pref %d: got node %d zone %d, "
			"expected node %d zone %d\n", line, (unsigned int)gfp, order, pref,
			page_to_nid(p), page_zonenum(p), exp_nid, exp_zone);
	CU_assertImplementation(page_to_nid(p) == exp_nid, line, where, __FILE__, "", CU_FALSE);
	CU_assertImplementation((int)page_zonenum(p) == exp_zone, line, where, __FILE__, "",
				CU_FALSE);
	KT_ASSERT_EQ(page_to_pfn(p) & ((1UL << order) - 1), 0);
	KT_ASSERT_EQ(page_count(p), 1);
	__free_pages(p, order);
}
#define EXPECT_ZONE(pref, gfp, order, nid, zone) expect_zone(pref, gfp, order, nid, zone, __LINE__)

static void test_gfp_zone_choice(void)
{
	struct kt_snapshot *start = test_begin();
	static const unsigned int orders[] = { 0, 3, 4, 9 };
	unsigned int i;
	int nid;

	for (i = 0; i < sizeof(orders) / sizeof(orders[0]); i++) {
		unsigned int o = orders[i];

		for (nid = 0; nid < 2; nid++) {
			/* DMA and DMA32 exist on node 0 only: every node falls back to them. */
			EXPECT_ZONE(nid, GFP_DMA, o, 0, ZONE_DMA);
			EXPECT_ZONE(nid, GFP_KERNEL | GFP_DMA, o, 0, ZONE_DMA);
			EXPECT_ZONE(nid, GFP_DMA32, o, 0, ZONE_DMA32);
			EXPECT_ZONE(nid, GFP_KERNEL | GFP_DMA32, o, 0, ZONE_DMA32);
			EXPECT_ZONE(nid, GFP_KERNEL, o, nid, ZONE_NORMAL);
			EXPECT_ZONE(nid, GFP_ATOMIC, o, nid, ZONE_NORMAL);
			EXPECT_ZONE(nid, GFP_NOWAIT, o, nid, ZONE_NORMAL);
			EXPECT_ZONE(nid, GFP_KERNEL | __GFP_MOVABLE, o, nid, ZONE_NORMAL);
			EXPECT_ZONE(nid, GFP_HIGHUSER, o, nid, ZONE_HIGHMEM);
			EXPECT_ZONE(nid, GFP_HIGHUSER_MOVABLE, o, nid, ZONE_HIGHMEM);
			EXPECT_ZONE(nid, GFP_KERNEL | __GFP_HIGHMEM, o, nid, ZONE_HIGHMEM);
			EXPECT_ZONE(nid, __GFP_HIGHMEM, o, nid, ZONE_HIGHMEM);
			EXPECT_ZONE(nid, GFP_KERNEL | __GFP_THISNODE, o, nid, ZONE_NORMAL);
			EXPECT_ZONE(nid, GFP_HIGHUSER | __GFP_THISNODE, o, nid, ZONE_HIGHMEM);
		}
		EXPECT_ZONE(0, GFP_DMA | __GFP_THISNODE, o, 0, ZONE_DMA);
		EXPECT_ZONE(0, GFP_DMA32 | __GFP_THISNODE, o, 0, ZONE_DMA32);
	}
	/* Node 1 has no DMA zone: with __GFP_THISNODE, GFP_DMA has nowhere to go. */
	CU_ASSERT_PTR_NULL(alloc_pages_node(1, GFP_DMA | __GFP_THISNODE | __GFP_NOWARN, 0));
	CU_ASSERT_PTR_NULL(alloc_pages_node(1, GFP_DMA32 | __GFP_THISNODE | __GFP_NOWARN, 0));
	test_end(start);
}

/* __get_free_pages() and alloc_pages_exact() never return HighMem. */
static void test_get_free_pages_masks_highmem(void)
{
	struct kt_snapshot *start = test_begin();
	unsigned int order;

	for (order = 0; order <= 4; order++) {
		unsigned long addr = __get_free_pages(GFP_HIGHUSER, order);
		struct page *p = virt_to_page((void *)addr);

		CU_ASSERT_FATAL(addr != 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		KT_ASSERT_EQ(page_zonenum(p), ZONE_NORMAL);
		KT_ASSERT_EQ(p->order, order);
		KT_ASSERT_EQ(addr & (PAGE_SIZE - 1), 0);
		KT_ASSERT_EQ(page_to_pfn(p) & ((1UL << order) - 1), 0);
		memset((void *)addr, 0x11, PAGE_SIZE << order);
		free_pages(addr, order);
	}
	{
		unsigned long addr = __get_free_page(GFP_HIGHUSER_MOVABLE);
		void *v = alloc_pages_exact(3 * PAGE_SIZE, GFP_HIGHUSER);

		CU_ASSERT_FATAL(addr != 0);
		KT_ASSERT_EQ(page_zonenum(virt_to_page((void *)addr)), ZONE_NORMAL);
		free_page(addr);
		CU_ASSERT_PTR_NOT_NULL_FATAL(v);
		KT_ASSERT_EQ(page_zonenum(virt_to_page(v)), ZONE_NORMAL);
		free_pages_exact(v, 3 * PAGE_SIZE);
	}
	test_end(start);
}

static void test_invalid_zone_combination(void)
{
	static const gfp_t bad[] = {
		GFP_DMA | __GFP_HIGHMEM,
		GFP_KERNEL | GFP_DMA | __GFP_HIGHMEM,
		GFP_DMA | GFP_DMA32,
		GFP_DMA32 | __GFP_HIGHMEM,
		GFP_DMA | GFP_DMA32 | __GFP_HIGHMEM,
	};
	struct kt_snapshot *start = test_begin(), *now;
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		kt_capture_start();
		CU_ASSERT_PTR_NULL(alloc_pages(bad[i], 0));
		CU_ASSERT_PTR_NULL(alloc_pages_node(1, bad[i], 3));
		KT_ASSERT_EQ(kt_captured_count(), 2);
		CU_ASSERT(kt_captured("WARNING"));
		CU_ASSERT(kt_captured("invalid zone"));
		kt_capture_start();
		CU_ASSERT_PTR_NULL(alloc_pages(bad[i] | __GFP_NOWARN, 0));
		KT_ASSERT_EQ(kt_captured_count(), 0);
		kt_capture_stop();
	}
	now = kt_snapshot();
	CU_ASSERT(kt_snapshot_equal(start, now, true));
	free(now);
	test_end(start);
}

/* Zone fallback stays on the node before it leaves it: HighMem -> Normal, DMA32 -> DMA. */
static void test_zone_fallback_within_node(void)
{
	struct kt_snapshot *start = test_begin();
	struct kmem_numa_stats before[2], after[2];
	struct kt_blocks held = { 0 };
	uint64_t taken;

	/* node 1's HighMem exhausted: GFP_HIGHUSER on node 1 comes from node 1's Normal. */
	taken = kt_exhaust_zone(1, ZONE_HIGHMEM, &held);
	KT_ASSERT_EQ(taken, HIGHMEM_PAGES);
	numa_snapshot(before);
	EXPECT_ZONE(1, GFP_HIGHUSER, 0, 1, ZONE_NORMAL);
	EXPECT_ZONE(1, GFP_HIGHUSER, 5, 1, ZONE_NORMAL);
	numa_snapshot(after);
	KT_ASSERT_EQ(after[1].numa_hit - before[1].numa_hit, 2);
	KT_ASSERT_EQ(after[1].numa_miss - before[1].numa_miss, 0);
	KT_ASSERT_EQ(after[1].numa_foreign - before[1].numa_foreign, 0);

	/* node 0's DMA32 exhausted: GFP_DMA32 falls back to DMA. */
	taken = kt_exhaust_zone(0, ZONE_DMA32, &held);
	KT_ASSERT_EQ(taken, DMA32_PAGES);
	EXPECT_ZONE(0, GFP_DMA32, 0, 0, ZONE_DMA);
	EXPECT_ZONE(1, GFP_DMA32, 2, 0, ZONE_DMA);
	EXPECT_ZONE(0, GFP_DMA32, 6, 0, ZONE_DMA);

	kt_blocks_release(&held);
	test_end(start);
}

/*
 * Watermarks and lowmem_reserve: a GFP_KERNEL allocation that falls back to
 * DMA leaves the DMA zone's protection for DMA requests; those stop at the
 * min watermark; GFP_ATOMIC may go below it; __GFP_MEMALLOC takes the rest.
 */
static void test_watermarks_and_reserve(void)
{
	struct kt_snapshot *start = test_begin();
	struct kt_blocks held = { 0 };
	struct kmem_zone_stats dma;
	unsigned long n_kernel = 0, n_dma = 0, n_atomic = 0, n_memalloc = 0;
	uint64_t reserve, batch;
	struct page *p;

	kt_exhaust_zone(0, ZONE_NORMAL, &held);
	kt_exhaust_zone(0, ZONE_DMA32, &held);
	kmem_zone_stats(0, ZONE_DMA, &dma);
	reserve = dma.protection[ZONE_NORMAL];
	batch = dma.pcp_batch;
	KT_ASSERT_EQ(dma.free_pages, DMA_PAGES);
	CU_ASSERT_FATAL(reserve > batch + 1 && dma.min > 8);

	while ((p = alloc_pages_node(0, GFP_KERNEL | __GFP_THISNODE | __GFP_NOWARN, 0))) {
		KT_ASSERT_EQ(page_zonenum(p), ZONE_DMA);
		kt_blocks_add(&held, p, 0);
		n_kernel++;
	}
	kmem_drain_all_pages();
	kmem_zone_stats(0, ZONE_DMA, &dma);
	/* stopped at min + protection, give or take a per-CPU batch */
	CU_ASSERT(dma.free_pages + batch >= dma.min + reserve);
	CU_ASSERT(dma.free_pages <= dma.min + reserve + batch);
	CU_ASSERT(n_kernel > 0);

	while ((p = alloc_pages_node(0, GFP_DMA | GFP_KERNEL | __GFP_THISNODE | __GFP_NOWARN, 0))) {
		kt_blocks_add(&held, p, 0);
		n_dma++;
	}
	kmem_drain_all_pages();
	kmem_zone_stats(0, ZONE_DMA, &dma);
	/* DMA requests may use the protection GFP_KERNEL had to leave */
	CU_ASSERT(n_dma + batch >= reserve);
	CU_ASSERT(dma.free_pages + batch >= dma.min);
	CU_ASSERT(dma.free_pages <= dma.min + batch);

	while ((p = alloc_pages_node(0, GFP_DMA | GFP_ATOMIC | __GFP_THISNODE | __GFP_NOWARN, 0))) {
		kt_blocks_add(&held, p, 0);
		n_atomic++;
	}
	CU_ASSERT(n_atomic > 0);	/* __GFP_HIGH dips into the min reserve ... */
	kmem_drain_all_pages();
	kmem_zone_stats(0, ZONE_DMA, &dma);
	CU_ASSERT(dma.free_pages > 0);	/* ... but not all of it */

	/* __GFP_NOMEMALLOC wins over __GFP_MEMALLOC */
	CU_ASSERT_PTR_NULL(alloc_pages_node(0, GFP_DMA | GFP_ATOMIC | __GFP_THISNODE | __GFP_NOWARN |
					    __GFP_MEMALLOC | __GFP_NOMEMALLOC, 0));
	while ((p = alloc_pages_node(0, GFP_DMA | EXH_GFP, 0))) {
		kt_blocks_add(&held, p, 0);
		n_memalloc++;
	}
	kmem_drain_all_pages();
	kmem_zone_stats(0, ZONE_DMA, &dma);
	KT_ASSERT_EQ(dma.free_pages, 0);
	KT_ASSERT_EQ(n_kernel + n_dma + n_atomic + n_memalloc, DMA_PAGES);
	kt_blocks_release(&held);
	test_end(start);
}

/* ------------------------------------------------------------------ */
/* NUMA                                                                */
/* ------------------------------------------------------------------ */

static void test_numa_fallback(void)
{
	struct kt_snapshot *start = test_begin();
	struct kmem_numa_stats before[2], after[2];
	struct kmem_zone_stats zs0, zs1;
	struct kt_blocks held = { 0 };
	struct page *p;
	uint64_t taken;

	taken = kt_exhaust_zone(1, ZONE_NORMAL, &held);
	KT_ASSERT_EQ(taken, start->zone[1][ZONE_NORMAL].free_pages);
	kmem_zone_stats(1, ZONE_NORMAL, &zs0);
	KT_ASSERT_EQ(zs0.free_pages, 0);
	KT_ASSERT_EQ(zs0.pcp_count, 0);

	/* Node 1 preferred, served by node 0: miss on node 0, foreign on node 1. */
	numa_snapshot(before);
	p = alloc_pages_node(1, GFP_KERNEL, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	KT_ASSERT_EQ(page_to_nid(p), 0);
	KT_ASSERT_EQ(page_zonenum(p), ZONE_NORMAL);
	numa_snapshot(after);
	KT_ASSERT_EQ(after[0].numa_miss - before[0].numa_miss, 1);
	KT_ASSERT_EQ(after[1].numa_foreign - before[1].numa_foreign, 1);
	KT_ASSERT_EQ(after[0].numa_hit - before[0].numa_hit, 0);
	KT_ASSERT_EQ(after[1].numa_hit - before[1].numa_hit, 0);
	KT_ASSERT_EQ(after[1].numa_miss - before[1].numa_miss, 0);
	KT_ASSERT_EQ(after[0].numa_foreign - before[0].numa_foreign, 0);
	KT_ASSERT_EQ(after[0].local_node + after[0].other_node -
		     before[0].local_node - before[0].other_node, 1);
	KT_ASSERT_EQ(after[1].local_node + after[1].other_node -
		     before[1].local_node - before[1].other_node, 0);
	kt_blocks_add(&held, p, 0);

	/* The same through the buddy path (order > 3). */
	numa_snapshot(before);
	p = alloc_pages_node(1, GFP_KERNEL, 5);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	KT_ASSERT_EQ(page_to_nid(p), 0);
	numa_snapshot(after);
	KT_ASSERT_EQ(after[0].numa_miss - before[0].numa_miss, 1);
	KT_ASSERT_EQ(after[1].numa_foreign - before[1].numa_foreign, 1);
	KT_ASSERT_EQ(after[0].numa_hit - before[0].numa_hit, 0);
	kt_blocks_add(&held, p, 5);

	/*
	 * Served from node 0's per-CPU list (pinned, the list filled first): the
	 * list's word counted a hit that must be taken back as a miss.
	 */
	{
		int cpus[64], n = kt_cpus(cpus, 64);
		struct kmem_zone_stats pcp0;
		struct page *fill[8];
		unsigned int i;

		CU_ASSERT_FATAL(n > 0 && kt_pin(cpus[0]) == 0);
		for (i = 0; i < 8; i++) {
			fill[i] = alloc_pages_node(0, GFP_KERNEL | __GFP_THISNODE, 0);
			CU_ASSERT_PTR_NOT_NULL_FATAL(fill[i]);
		}
		for (i = 0; i < 8; i++)
			__free_pages(fill[i], 0);
		kmem_zone_stats(0, ZONE_NORMAL, &pcp0);
		CU_ASSERT_FATAL(pcp0.pcp_count >= 8);
		numa_snapshot(before);
		p = alloc_pages_node(1, GFP_KERNEL, 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		numa_snapshot(after);
		kmem_zone_stats(0, ZONE_NORMAL, &zs1);
		KT_ASSERT_EQ(zs1.pcp_count, pcp0.pcp_count - 1);	/* it did come from the list */
		KT_ASSERT_EQ(page_to_nid(p), 0);
		KT_ASSERT_EQ(after[0].numa_miss - before[0].numa_miss, 1);
		KT_ASSERT_EQ(after[1].numa_foreign - before[1].numa_foreign, 1);
		KT_ASSERT_EQ(after[0].numa_hit - before[0].numa_hit, 0);
		KT_ASSERT_EQ(after[1].numa_hit - before[1].numa_hit, 0);
		KT_ASSERT_EQ(after[0].local_node + after[0].other_node -
			     before[0].local_node - before[0].other_node, 1);
		kt_blocks_add(&held, p, 0);
		kt_unpin();
	}

	/* __GFP_THISNODE may not leave node 1: NULL, counted as a failure. */
	kmem_zone_stats(1, ZONE_NORMAL, &zs0);
	kt_capture_start();
	CU_ASSERT_PTR_NULL(alloc_pages_node(1, GFP_KERNEL | __GFP_THISNODE | __GFP_NOWARN, 0));
	CU_ASSERT_PTR_NULL(alloc_pages_node(1, GFP_KERNEL | __GFP_THISNODE | __GFP_NOWARN, 4));
	KT_ASSERT_EQ(kt_captured_count(), 0);
	kmem_zone_stats(1, ZONE_NORMAL, &zs1);
	KT_ASSERT_EQ(zs1.alloc_fail - zs0.alloc_fail, 2);
	/* Without __GFP_NOWARN the failure is reported the kernel's way. */
	CU_ASSERT_PTR_NULL(alloc_pages_node(1, GFP_KERNEL | __GFP_THISNODE, 0));
	CU_ASSERT(kt_captured("page allocation failure: order:0"));
	kt_capture_stop();

	kt_blocks_release(&held);
	test_end(start);
}

/* A known number of allocations moves numastat by exactly that much. */
static void test_numastat_exact(void)
{
	struct kt_snapshot *start = test_begin();
	struct kmem_numa_stats before[2], after[2];
	struct kt_blocks held = { 0 };
	int nid, other, i;

	for (nid = 0; nid < 2; nid++) {
		unsigned int n = 0;

		other = !nid;
		numa_snapshot(before);
		for (i = 0; i < 300; i++, n++) {
			struct page *p = alloc_pages_node(nid, GFP_KERNEL, 0);

			CU_ASSERT_PTR_NOT_NULL_FATAL(p);
			kt_blocks_add(&held, p, 0);
		}
		for (i = 0; i < 20; i++, n++) {	/* pcp orders 1..3 and buddy orders 4.. */
			unsigned int order = 1 + (unsigned int)i % 6;
			struct page *p = alloc_pages_node(nid, GFP_KERNEL, order);

			CU_ASSERT_PTR_NOT_NULL_FATAL(p);
			kt_blocks_add(&held, p, order);
		}
		numa_snapshot(after);
		KT_ASSERT_EQ(after[nid].numa_hit - before[nid].numa_hit, n);
		KT_ASSERT_EQ(after[nid].local_node + after[nid].other_node -
			     before[nid].local_node - before[nid].other_node, n);
		KT_ASSERT_EQ(after[nid].numa_miss - before[nid].numa_miss, 0);
		KT_ASSERT_EQ(after[nid].numa_foreign - before[nid].numa_foreign, 0);
		KT_ASSERT_EQ(after[other].numa_hit - before[other].numa_hit, 0);
		KT_ASSERT_EQ(after[other].numa_miss - before[other].numa_miss, 0);
		KT_ASSERT_EQ(after[other].numa_foreign - before[other].numa_foreign, 0);
		KT_ASSERT_EQ(after[other].local_node + after[other].other_node -
			     before[other].local_node - before[other].other_node, 0);
		KT_ASSERT_EQ(after[nid].interleave_hit, 0);
		/* Frees and drains count nothing. */
		kt_blocks_free(&held, NULL);
		kmem_drain_all_pages();
		numa_snapshot(before);
		KT_ASSERT_EQ(before[nid].numa_hit, after[nid].numa_hit);
		KT_ASSERT_EQ(before[nid].local_node + before[nid].other_node,
			     after[nid].local_node + after[nid].other_node);
	}

	/* NUMA_NO_NODE: every allocation is a hit on the node it was asked of. */
	numa_snapshot(before);
	for (i = 0; i < 200; i++) {
		struct page *p = alloc_pages(GFP_KERNEL, (unsigned int)i % 5);

		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		kt_blocks_add(&held, p, (unsigned int)i % 5);
	}
	numa_snapshot(after);
	KT_ASSERT_EQ(after[0].numa_hit + after[1].numa_hit - before[0].numa_hit -
		     before[1].numa_hit, 200);
	KT_ASSERT_EQ(after[0].numa_miss + after[1].numa_miss - before[0].numa_miss -
		     before[1].numa_miss, 0);
	KT_ASSERT_EQ(after[0].local_node + after[1].local_node + after[0].other_node +
		     after[1].other_node - before[0].local_node - before[1].local_node -
		     before[0].other_node - before[1].other_node, 200);
	kt_blocks_release(&held);

	/* The /sys-style view prints the same numbers. */
	{
		static const char *const rows[] = { "numa_hit", "numa_miss", "numa_foreign",
						    "interleave_hit", "local_node", "other_node" };
		char *buf = NULL, *line;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		unsigned int r, found = 0;

		CU_ASSERT_PTR_NOT_NULL_FATAL(f);
		numa_snapshot(after);
		KT_ASSERT_EQ(kmem_show_numastat(f), 0);
		fclose(f);
		CU_ASSERT(strstr(buf, "node0") && strstr(buf, "node1"));
		for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
			for (r = 0; r < 6; r++) {
				unsigned long long v0, v1;
				char name[32];

				if (sscanf(line, "%31s %llu %llu", name, &v0, &v1) != 3 ||
				    strcmp(name, rows[r]))
					continue;
				KT_ASSERT_EQ(v0, (&after[0].numa_hit)[r]);
				KT_ASSERT_EQ(v1, (&after[1].numa_hit)[r]);
				found++;
			}
		}
		KT_ASSERT_EQ(found, 6);
		free(buf);
	}
	test_end(start);
}

/*
 * Pinned to a CPU, an allocation with no node preference comes from that
 * CPU's node and counts as local (the buddy path included).
 */
static void test_local_node(void)
{
	struct kt_snapshot *start = test_begin();
	struct kmem_numa_stats before[2], after[2];
	int cpus[64], n = kt_cpus(cpus, 64), i;
	unsigned int order;

	for (i = 0; i < n; i++) {
		int node = kmem_cpu_to_node(cpus[i]);

		CU_ASSERT_FATAL(node >= 0 && node < 2);
		if (kt_pin(cpus[i]))
			continue;
		KT_ASSERT_EQ(numa_node_id(), node);
		KT_ASSERT_EQ(raw_smp_processor_id(), cpus[i]);
		for (order = 0; order <= 5; order++) {
			struct page *p;

			numa_snapshot(before);
			p = alloc_pages(GFP_KERNEL, order);
			CU_ASSERT_PTR_NOT_NULL_FATAL(p);
			numa_snapshot(after);
			if (page_to_nid(p) != node)
				fprintf(stderr, "  cpu %d (node %d): alloc_pages(GFP_KERNEL, %u) "
					"came from node %d\n", cpus[i], node, order, page_to_nid(p));
			KT_ASSERT_EQ(page_to_nid(p), node);
			KT_ASSERT_EQ(after[node].numa_hit - before[node].numa_hit, 1);
			KT_ASSERT_EQ(after[node].local_node - before[node].local_node, 1);
			KT_ASSERT_EQ(after[node].other_node - before[node].other_node, 0);
			__free_pages(p, order);

			/* Explicitly the other node: a hit there, but not local. */
			numa_snapshot(before);
			p = alloc_pages_node(!node, GFP_KERNEL, order);
			CU_ASSERT_PTR_NOT_NULL_FATAL(p);
			numa_snapshot(after);
			KT_ASSERT_EQ(page_to_nid(p), !node);
			KT_ASSERT_EQ(after[!node].numa_hit - before[!node].numa_hit, 1);
			KT_ASSERT_EQ(after[!node].other_node - before[!node].other_node, 1);
			KT_ASSERT_EQ(after[!node].local_node - before[!node].local_node, 0);
			__free_pages(p, order);
		}
		kt_unpin();
	}
	test_end(start);
}

/* ------------------------------------------------------------------ */
/* per-CPU lists                                                       */
/* ------------------------------------------------------------------ */

static void test_pcp_drain(void)
{
	struct kt_snapshot *start = test_begin();
	struct kmem_zone_stats st;
	struct kt_blocks held = { 0 };
	uint64_t pcp;
	unsigned long moved;
	unsigned int n, i, order;
	int nid, z;

	for (nid = 0; nid < num_online_nodes(); nid++)
		for (z = 0; z < MAX_NR_ZONES; z++)
			KT_ASSERT_EQ(start->zone[nid][z].pcp_count, 0);
	kmem_zone_stats(0, ZONE_NORMAL, &st);
	CU_ASSERT_FATAL(st.pcp_high >= 4 && st.pcp_batch >= 1);
	n = st.pcp_high / 2 < 32 ? st.pcp_high / 2 : 32;
	for (order = 0; order <= PAGE_ALLOC_COSTLY_ORDER; order++) {
		for (i = 0; i < n; i++) {
			struct page *p = alloc_pages_node(0, GFP_KERNEL | __GFP_THISNODE, order);

			CU_ASSERT_PTR_NOT_NULL_FATAL(p);
			KT_ASSERT_EQ(page_zonenum(p), ZONE_NORMAL);
			kt_blocks_add(&held, p, order);
		}
	}
	kt_blocks_free(&held, NULL);
	kmem_zone_stats(0, ZONE_NORMAL, &st);
	CU_ASSERT(st.pcp_count > 0);
	/* Parked pages are not free pages, as in the kernel. */
	CU_ASSERT(st.free_pages < start->zone[0][ZONE_NORMAL].free_pages);
	pcp = kt_pcp_pages();
	moved = kmem_drain_all_pages();
	KT_ASSERT_EQ(moved, pcp);
	KT_ASSERT_EQ(kt_pcp_pages(), 0);
	kmem_zone_stats(0, ZONE_NORMAL, &st);
	KT_ASSERT_EQ(st.pcp_count, 0);
	KT_ASSERT_EQ(st.free_pages, start->zone[0][ZONE_NORMAL].free_pages);
	KT_ASSERT_EQ(kmem_drain_all_pages(), 0);
	kt_blocks_release(&held);
	test_end(start);
}

/* A CPU's list never holds more than its high mark, however much is freed. */
static void test_pcp_high_bound(void)
{
	struct kt_snapshot *start = test_begin();
	struct zone *zone = &NODE_DATA(0)->node_zones[ZONE_NORMAL];
	struct kt_blocks held = { 0 };
	int cpus[64], n = kt_cpus(cpus, 64);
	unsigned int order, i, count;

	CU_ASSERT_FATAL(n > 0);
	CU_ASSERT_FATAL(kt_pin(cpus[n - 1]) == 0);
	for (order = 0; order <= PAGE_ALLOC_COSTLY_ORDER; order++) {
		struct per_cpu_pages *pcp = zone_pcp(zone, cpus[n - 1]);
		unsigned int high = pcp->high[order];

		CU_ASSERT(high <= PCP_SLOTS && pcp->batch[order] >= 1 &&
			  pcp->batch[order] <= high);
		for (i = 0; i < 3 * high; i++) {
			struct page *p = alloc_pages_node(0, GFP_KERNEL | __GFP_THISNODE, order);

			if (!p)
				break;
			kt_blocks_add(&held, p, order);
		}
		kt_blocks_free(&held, NULL);
		count = (unsigned int)(READ_ONCE(pcp->word[order]) & PCP_COUNT_MASK);
		CU_ASSERT(count > 0);
		CU_ASSERT(count <= high);
	}
	kt_unpin();
	kt_blocks_release(&held);
	test_end(start);
}

/* ------------------------------------------------------------------ */
/* zeroing                                                             */
/* ------------------------------------------------------------------ */

static bool all_zero(const void *p, size_t len)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (c[i])
			return false;
	return true;
}

static void test_gfp_zero(void)
{
	struct kt_snapshot *start = test_begin();
	struct kt_blocks held = { 0 };
	unsigned long addr;
	unsigned int i, not_zero = 0;
	uint64_t taken;
	size_t k;
	void *v;

	/* Dirty every page of node 0's DMA zone, then give it all back. */
	taken = kt_exhaust_zone(0, ZONE_DMA, &held);
	KT_ASSERT_EQ(taken, DMA_PAGES);
	for (k = 0; k < held.n; k++)
		memset(page_address(held.page[k]), 0xa5, PAGE_SIZE << held.order[k]);
	kt_blocks_free(&held, NULL);

	/* Every DMA page is dirty now: whatever comes back must have been cleared. */
	for (i = 0; i < 64; i++) {
		struct page *p = alloc_pages(GFP_DMA | __GFP_ZERO, 0);

		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		not_zero += !all_zero(page_address(p), PAGE_SIZE);
		kt_blocks_add(&held, p, 0);
	}
	for (i = 0; i < 8; i++) {
		struct page *p = alloc_pages(GFP_KERNEL | GFP_DMA | __GFP_ZERO, 3);

		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		not_zero += !all_zero(page_address(p), PAGE_SIZE << 3);
		kt_blocks_add(&held, p, 3);
	}
	{
		struct page *p = alloc_pages(GFP_DMA | __GFP_ZERO, 7);

		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		not_zero += !all_zero(page_address(p), PAGE_SIZE << 7);
		kt_blocks_add(&held, p, 7);
	}
	KT_ASSERT_EQ(not_zero, 0);

	addr = get_zeroed_page(GFP_DMA);
	CU_ASSERT_FATAL(addr != 0);
	KT_ASSERT_EQ(page_zonenum(virt_to_page((void *)addr)), ZONE_DMA);
	CU_ASSERT(all_zero((void *)addr, PAGE_SIZE));
	free_page(addr);
	addr = __get_free_pages(GFP_DMA | __GFP_ZERO, 2);
	CU_ASSERT_FATAL(addr != 0);
	CU_ASSERT(all_zero((void *)addr, PAGE_SIZE << 2));
	free_pages(addr, 2);
	v = alloc_pages_exact(5 * PAGE_SIZE, GFP_DMA | __GFP_ZERO);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT(all_zero(v, 5 * PAGE_SIZE));
	free_pages_exact(v, 5 * PAGE_SIZE);
	kt_blocks_free(&held, NULL);

	/* Normal and HighMem: dirty, free, reallocate zeroed (same CPU, LIFO or not). */
	for (i = 0; i < 2; i++) {
		gfp_t gfp = i ? GFP_HIGHUSER : GFP_KERNEL;

		for (k = 0; k < 32; k++) {
			struct page *p = alloc_pages(gfp, 0);

			CU_ASSERT_PTR_NOT_NULL_FATAL(p);
			memset(page_address(p), 0xff, PAGE_SIZE);
			kt_blocks_add(&held, p, 0);
		}
		kt_blocks_free(&held, NULL);
		for (k = 0; k < 32; k++) {
			struct page *p = alloc_pages(gfp | __GFP_ZERO, 0);

			CU_ASSERT_PTR_NOT_NULL_FATAL(p);
			CU_ASSERT(all_zero(page_address(p), PAGE_SIZE));
			kt_blocks_add(&held, p, 0);
		}
		kt_blocks_free(&held, NULL);
		addr = get_zeroed_page(gfp);
		CU_ASSERT_FATAL(addr != 0);
		CU_ASSERT(all_zero((void *)addr, PAGE_SIZE));
		free_page(addr);
	}
	kt_blocks_release(&held);
	test_end(start);
}

/* ------------------------------------------------------------------ */
/* address conversions                                                 */
/* ------------------------------------------------------------------ */

static void test_conversions(void)
{
	struct kmem_info info;
	unsigned long pfn, bad = 0, bad_phys = 0;
	char *base;
	int on_stack = 0;
	void *heap = malloc(64);
	void *aligned = aligned_alloc(PAGE_SIZE, PAGE_SIZE);

	CU_ASSERT_EQUAL_FATAL(kmem_get_info(&info), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pfn_to_page(0));
	base = page_address(pfn_to_page(0));
	KT_ASSERT_EQ((uintptr_t)base & (PAGE_SIZE - 1), 0);
	for (pfn = 0; pfn < info.total_pages; pfn++) {
		struct page *page = pfn_to_page(pfn);
		char *addr = page_address(page);

		bad += !pfn_valid(pfn) || !page || page_to_pfn(page) != pfn ||
		       addr != base + pfn * PAGE_SIZE || virt_to_page(addr) != page ||
		       virt_to_page(addr + 1) != page || virt_to_page(addr + PAGE_SIZE - 1) != page ||
		       virt_to_pfn(addr + 100) != pfn || pfn_to_virt(pfn) != addr ||
		       !virt_addr_valid(addr + 5) || page_to_virt(page) != addr;
		/* IOVA as VA: no pinned address, so the address a device would be given is the VA */
		if (!info.phys_real)
			bad_phys += !info.iova_va || page_to_phys(page) != (phys_addr_t)(uintptr_t)addr;
		bad_phys += virt_to_phys(addr + 123) != page_to_phys(page) + 123;
	}
	KT_ASSERT_EQ(bad, 0);
	KT_ASSERT_EQ(bad_phys, 0);

	CU_ASSERT(!pfn_valid(info.total_pages));
	CU_ASSERT(!pfn_valid((unsigned long)-1));
	CU_ASSERT_PTR_NULL(pfn_to_page(info.total_pages));
	CU_ASSERT_PTR_NULL(pfn_to_page((unsigned long)-1));
	CU_ASSERT_PTR_NULL(virt_to_page(base - 1));
	CU_ASSERT_PTR_NULL(virt_to_page(base + info.total_pages * PAGE_SIZE));
	CU_ASSERT_PTR_NULL(virt_to_page(&on_stack));
	CU_ASSERT_PTR_NULL(virt_to_page(heap));
	CU_ASSERT_PTR_NULL(virt_to_page(aligned));
	CU_ASSERT_PTR_NULL(virt_to_page(NULL));
	CU_ASSERT_PTR_NULL(virt_to_page(test_conversions));
	CU_ASSERT(!virt_addr_valid(&on_stack));
	CU_ASSERT(!virt_addr_valid(heap));
	CU_ASSERT(!virt_addr_valid(NULL));
	KT_ASSERT_EQ(virt_to_phys(&on_stack), 0);
	KT_ASSERT_EQ(virt_to_phys(heap), 0);

	/* An allocated block: pages are consecutive in every view. */
	{
		struct page *p = alloc_pages(GFP_KERNEL, 4);
		unsigned int i;

		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		for (i = 0; i < 16; i++) {
			CU_ASSERT_PTR_EQUAL(pfn_to_page(page_to_pfn(p) + i), p + i);
			CU_ASSERT_PTR_EQUAL((char *)page_address(p) + i * PAGE_SIZE,
					    page_address(p + i));
			KT_ASSERT_EQ(page_to_phys(p + i), page_to_phys(p) + i * PAGE_SIZE);
		}
		__free_pages(p, 4);
	}
	free(heap);
	free(aligned);
}

/* ------------------------------------------------------------------ */
/* alloc_pages_exact                                                   */
/* ------------------------------------------------------------------ */

static void test_alloc_pages_exact(void)
{
	static const size_t sizes[] = {
		1, PAGE_SIZE - 1, PAGE_SIZE, PAGE_SIZE + 1, 3 * PAGE_SIZE, 5 * PAGE_SIZE + 100,
		8 * PAGE_SIZE, 9 * PAGE_SIZE, 100 * PAGE_SIZE, 1000 * PAGE_SIZE, 1024 * PAGE_SIZE,
	};
	struct kt_snapshot *start = test_begin(), *now;
	unsigned int i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t size = sizes[i], used = PAGE_ALIGN(size) >> PAGE_SHIFT, k;
		unsigned int order = (unsigned int)get_order(size);
		char *v = alloc_pages_exact(size, GFP_KERNEL);
		struct page *p;
		unsigned long bad = 0;

		CU_ASSERT_PTR_NOT_NULL_FATAL(v);
		p = virt_to_page(v);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		KT_ASSERT_EQ((uintptr_t)v & (PAGE_SIZE - 1), 0);
		KT_ASSERT_EQ(page_to_pfn(p) & ((1UL << order) - 1), 0);
		for (k = 0; k < used; k++)
			bad += page_count(p + k) != 1;
		/* The tail beyond @size went back to the allocator. */
		for (k = used; k < (1UL << order); k++)
			bad += page_count(p + k) != 0;
		KT_ASSERT_EQ(bad, 0);
		memset(v, 0x3c, size);
		free_pages_exact(v, size);
		kmem_drain_all_pages();
		now = kt_snapshot();
		if (!kt_snapshot_equal(start, now, true)) {
			fprintf(stderr, "  (alloc_pages_exact(%zu))\n", size);
			CU_FAIL("alloc_pages_exact/free_pages_exact did not restore the free lists");
		}
		free(now);
	}

	/* Too large, or nothing: NULL (with a warning unless __GFP_NOWARN). */
	kt_capture_start();
	CU_ASSERT_PTR_NULL(alloc_pages_exact(1025 * PAGE_SIZE, GFP_KERNEL));
	CU_ASSERT(kt_captured("WARNING"));
	kt_capture_start();
	CU_ASSERT_PTR_NULL(alloc_pages_exact(1025 * PAGE_SIZE, GFP_KERNEL | __GFP_NOWARN));
	CU_ASSERT_PTR_NULL(alloc_pages_exact(0, GFP_KERNEL | __GFP_NOWARN));
	KT_ASSERT_EQ(kt_captured_count(), 0);
	kt_capture_stop();
	test_end(start);
}

/* ------------------------------------------------------------------ */
/* reference counts                                                    */
/* ------------------------------------------------------------------ */

static void test_get_put_page(void)
{
	struct kt_snapshot *start = test_begin(), *held;
	unsigned int order;

	for (order = 0; order <= 5; order += 5) {
		struct page *p = alloc_pages(GFP_KERNEL, order);

		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		KT_ASSERT_EQ(page_count(p), 1);
		get_page(p);
		KT_ASSERT_EQ(page_count(p), 2);
		get_page(p);
		KT_ASSERT_EQ(page_count(p), 3);
		held = kt_snapshot();
		put_page(p);
		KT_ASSERT_EQ(page_count(p), 2);
		/* A reference dropped with __free_pages() is just a reference. */
		__free_pages(p, order);
		KT_ASSERT_EQ(page_count(p), 1);
		{
			struct kt_snapshot *now = kt_snapshot();

			CU_ASSERT(kt_snapshot_equal(held, now, true));	/* nothing freed yet */
			free(now);
		}
		*(volatile char *)page_address(p) = 1;	/* still ours */
		put_page(p);	/* the last one frees, with the block's order */
		KT_ASSERT_EQ(page_count(p), 0);
		free(held);
		kmem_drain_all_pages();
		held = kt_snapshot();
		CU_ASSERT(kt_snapshot_equal(start, held, true));
		free(held);

		/* A free page can be neither got nor put. */
		held = kt_snapshot();
		kt_capture_start();
		get_page(p);
		KT_ASSERT_EQ(page_count(p), 0);
		put_page(p);
		KT_ASSERT_EQ(page_count(p), 0);
		KT_ASSERT_EQ(kt_captured_count(), 2);
		CU_ASSERT(kt_captured("BUG: Bad page state"));
		kt_capture_stop();
		{
			struct kt_snapshot *now = kt_snapshot();

			CU_ASSERT(kt_snapshot_equal(held, now, true));
			free(now);
		}
		free(held);
	}
	test_end(start);
}

/* ------------------------------------------------------------------ */
/* bad input                                                           */
/* ------------------------------------------------------------------ */

struct bad_ctx {
	struct kt_snapshot *before;
	struct kmem_numa_stats numa[2];
};

static void bad_begin(struct bad_ctx *c)
{
	c->before = kt_snapshot();
	numa_snapshot(c->numa);
	kt_capture_start();
}

/* The report came, and nothing changed; then the allocator still works. */
static void bad_end(struct bad_ctx *c, const char *needle, unsigned int nr_reports,
		    unsigned int line)
{
	struct kt_snapshot *now;
	struct kmem_numa_stats numa[2];
	unsigned int order;
	char msg[160];

	if (needle && !kt_captured(needle))
		fprintf(stderr, "  line %u: expected \"%s\" in:\n%s\n", line, needle,
			kt_captured_text());
	snprintf(msg, sizeof(msg), "report \"%s\" (from line %u)", needle ? needle : "", line);
	CU_assertImplementation(!needle || kt_captured(needle), line, msg, __FILE__, "", CU_FALSE);
	snprintf(msg, sizeof(msg), "%u report(s) expected, got %u (from line %u)", nr_reports,
		 kt_captured_count(), line);
	CU_assertImplementation(kt_captured_count() == nr_reports, line, msg, __FILE__, "",
				CU_FALSE);
	kt_capture_stop();
	now = kt_snapshot();
	numa_snapshot(numa);
	snprintf(msg, sizeof(msg), "zone state changed by bad input (line %u)", line);
	CU_assertImplementation(kt_snapshot_equal(c->before, now, true), line, msg, __FILE__, "",
				CU_FALSE);
	CU_assertImplementation(!memcmp(numa, c->numa, sizeof(numa)), line,
				"numastat changed by bad input", __FILE__, "", CU_FALSE);
	free(now);
	free(c->before);
	for (order = 0; order <= 5; order++) {
		struct page *p = alloc_pages(GFP_KERNEL, order);

		CU_assertImplementation(p != NULL, line, "allocation after bad input", __FILE__, "",
					CU_FALSE);
		if (p) {
			memset(page_address(p), 0x77, PAGE_SIZE << order);
			__free_pages(p, order);
		}
	}
}
#define BAD_BEGIN(c)			bad_begin(c)
#define BAD_END(c, needle, n)		bad_end(c, needle, n, __LINE__)
#define BAD_PAGE			"BUG: Bad page state"

static void test_bad_double_free(void)
{
	struct kt_snapshot *start = test_begin();
	static const unsigned int orders[] = { 0, 3, 5, 10 };
	struct bad_ctx c;
	unsigned int i;

	for (i = 0; i < sizeof(orders) / sizeof(orders[0]); i++) {
		unsigned int order = orders[i];
		struct page *p = alloc_pages(GFP_KERNEL, order);
		unsigned long addr;

		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		addr = (unsigned long)page_address(p);
		__free_pages(p, order);
		BAD_BEGIN(&c);
		__free_pages(p, order);
		BAD_END(&c, BAD_PAGE, 1);
		BAD_BEGIN(&c);
		free_pages(addr, order);
		BAD_END(&c, BAD_PAGE, 1);
		KT_ASSERT_EQ(page_count(p), 0);
	}
	/* After a drain the page is in the buddy lists (PG_buddy): still refused. */
	{
		struct page *p = alloc_pages(GFP_KERNEL, 2);

		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		__free_pages(p, 2);
		kmem_drain_all_pages();
		BAD_BEGIN(&c);
		__free_pages(p, 2);
		BAD_END(&c, BAD_PAGE, 1);
	}
	test_end(start);
}

static void test_bad_wrong_order(void)
{
	struct kt_snapshot *start = test_begin();
	struct bad_ctx c;
	struct page *p = alloc_pages(GFP_KERNEL, 2), *q = alloc_pages(GFP_KERNEL, 6);

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	BAD_BEGIN(&c);
	__free_pages(p, 1);
	BAD_END(&c, "freed with order 1, allocated with order 2", 1);
	BAD_BEGIN(&c);
	__free_pages(p, 3);
	BAD_END(&c, "freed with order 3, allocated with order 2", 1);
	BAD_BEGIN(&c);
	free_pages((unsigned long)page_address(p), 0);
	BAD_END(&c, BAD_PAGE, 1);
	BAD_BEGIN(&c);
	__free_pages(q, 5);
	BAD_END(&c, "freed with order 5, allocated with order 6", 1);
	KT_ASSERT_EQ(page_count(p), 1);
	KT_ASSERT_EQ(page_count(q), 1);
	__free_pages(p, 2);
	__free_pages(q, 6);
	test_end(start);
}

static void test_bad_tail_page(void)
{
	struct kt_snapshot *start = test_begin();
	struct bad_ctx c;
	gfp_t gfps[] = { GFP_KERNEL, GFP_KERNEL | __GFP_COMP };
	unsigned int i;

	for (i = 0; i < 2; i++) {
		struct page *p = alloc_pages(gfps[i], 2), *big = alloc_pages(gfps[i], 6);

		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		CU_ASSERT_PTR_NOT_NULL_FATAL(big);
		BAD_BEGIN(&c);
		__free_pages(p + 1, 0);
		BAD_END(&c, BAD_PAGE, 1);
		BAD_BEGIN(&c);
		__free_pages(p + 2, 1);
		BAD_END(&c, BAD_PAGE, 1);
		BAD_BEGIN(&c);
		__free_pages(p + 3, 2);
		BAD_END(&c, BAD_PAGE, 1);
		BAD_BEGIN(&c);
		free_pages((unsigned long)page_address(p + 1), 0);
		BAD_END(&c, BAD_PAGE, 1);
		BAD_BEGIN(&c);
		put_page(p + 2);
		BAD_END(&c, BAD_PAGE, 1);
		BAD_BEGIN(&c);
		__free_pages(big + 32, 5);
		BAD_END(&c, BAD_PAGE, 1);
		KT_ASSERT_EQ(page_count(p), 1);
		__free_pages(p, 2);
		__free_pages(big, 6);
	}
	test_end(start);
}

static void test_bad_foreign_address(void)
{
	struct kt_snapshot *start = test_begin();
	struct bad_ctx c;
	char on_stack[64];
	void *heap = malloc(128);
	void *aligned = aligned_alloc(PAGE_SIZE, PAGE_SIZE);

	BAD_BEGIN(&c);
	free_pages((unsigned long)on_stack, 0);
	BAD_END(&c, "not the address of a kmem page", 1);
	BAD_BEGIN(&c);
	free_pages((unsigned long)heap, 0);
	BAD_END(&c, "not the address of a kmem page", 1);
	BAD_BEGIN(&c);
	free_pages((unsigned long)aligned, 0);
	BAD_END(&c, "not the address of a kmem page", 1);
	BAD_BEGIN(&c);
	free_page((unsigned long)aligned);
	BAD_END(&c, BAD_PAGE, 1);
	/* a struct page that is not in kmem's memmap */
	BAD_BEGIN(&c);
	__free_pages((struct page *)aligned, 0);
	BAD_END(&c, "not a kmem page", 1);
	BAD_BEGIN(&c);
	put_page((struct page *)on_stack);
	BAD_END(&c, BAD_PAGE, 1);
	BAD_BEGIN(&c);
	get_page((struct page *)heap);
	BAD_END(&c, BAD_PAGE, 1);
	/* the foreign memory is untouched */
	memset(heap, 1, 128);
	free(heap);
	free(aligned);

	/* NULL and 0 are ignored silently, as in the kernel. */
	BAD_BEGIN(&c);
	__free_pages(NULL, 0);
	free_pages(0, 0);
	free_page(0);
	BAD_END(&c, NULL, 0);
	test_end(start);
}

static void test_bad_misaligned(void)
{
	struct kt_snapshot *start = test_begin();
	struct kmem_info info;
	struct bad_ctx c;
	struct page *p = alloc_pages(GFP_KERNEL, 1);
	unsigned long addr;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	kmem_get_info(&info);
	addr = (unsigned long)page_address(p);
	BAD_BEGIN(&c);
	free_pages(addr + 8, 1);
	BAD_END(&c, "not the address of a kmem page", 1);
	BAD_BEGIN(&c);
	free_pages(addr + PAGE_SIZE / 2, 1);
	BAD_END(&c, BAD_PAGE, 1);
	BAD_BEGIN(&c);
	free_pages(addr + 2 * PAGE_SIZE - 1, 0);
	BAD_END(&c, BAD_PAGE, 1);
	/* pointers into the memmap that are not struct page boundaries */
	BAD_BEGIN(&c);
	__free_pages((struct page *)((char *)p + 8), 1);
	BAD_END(&c, "not a kmem page", 1);
	BAD_BEGIN(&c);
	__free_pages((struct page *)((char *)p + 1), 1);
	BAD_END(&c, "not a kmem page", 1);
	BAD_BEGIN(&c);
	put_page((struct page *)((char *)p + 32));
	BAD_END(&c, "not a kmem page", 1);
	BAD_BEGIN(&c);
	__free_pages(pfn_to_page(info.total_pages - 1) + 1, 0);	/* one past the memmap */
	BAD_END(&c, "not a kmem page", 1);
	BAD_BEGIN(&c);
	__free_pages(pfn_to_page(0) - 1, 0);			/* one before it */
	BAD_END(&c, "not a kmem page", 1);
	KT_ASSERT_EQ(page_count(p), 1);
	free_pages(addr, 1);
	test_end(start);
}

static void test_bad_order_too_large(void)
{
	struct kt_snapshot *start = test_begin();
	struct bad_ctx c;
	struct page *p = alloc_pages(GFP_KERNEL, 3);

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	/* freeing with an order above MAX_PAGE_ORDER */
	BAD_BEGIN(&c);
	__free_pages(p, MAX_PAGE_ORDER + 1);
	BAD_END(&c, "order > MAX_PAGE_ORDER", 1);
	BAD_BEGIN(&c);
	__free_pages(p, 255);
	BAD_END(&c, BAD_PAGE, 1);
	BAD_BEGIN(&c);
	free_pages((unsigned long)page_address(p), MAX_PAGE_ORDER + 1);
	BAD_END(&c, BAD_PAGE, 1);
	KT_ASSERT_EQ(page_count(p), 1);
	__free_pages(p, 3);

	/* allocating above MAX_PAGE_ORDER: NULL and a WARNING, or nothing at all */
	BAD_BEGIN(&c);
	CU_ASSERT_PTR_NULL(alloc_pages(GFP_KERNEL, MAX_PAGE_ORDER + 1));
	BAD_END(&c, "WARNING", 1);
	BAD_BEGIN(&c);
	CU_ASSERT_PTR_NULL(alloc_pages_node(1, GFP_KERNEL, 30));
	BAD_END(&c, "WARNING", 1);
	BAD_BEGIN(&c);
	KT_ASSERT_EQ(__get_free_pages(GFP_KERNEL, MAX_PAGE_ORDER + 1), 0);
	BAD_END(&c, "MAX_PAGE_ORDER", 1);
	BAD_BEGIN(&c);
	CU_ASSERT_PTR_NULL(alloc_pages(GFP_KERNEL | __GFP_NOWARN, MAX_PAGE_ORDER + 1));
	CU_ASSERT_PTR_NULL(alloc_pages_node(0, GFP_ATOMIC | __GFP_NOWARN, 64));
	KT_ASSERT_EQ(__get_free_pages(GFP_KERNEL | __GFP_NOWARN, 12), 0);
	BAD_END(&c, NULL, 0);
	test_end(start);
}

static void test_bad_node(void)
{
	struct kt_snapshot *start = test_begin();
	struct bad_ctx c;
	struct page *p;

	BAD_BEGIN(&c);
	CU_ASSERT_PTR_NULL(alloc_pages_node(2, GFP_KERNEL, 0));
	BAD_END(&c, "node 2", 1);
	BAD_BEGIN(&c);
	CU_ASSERT_PTR_NULL(alloc_pages_node(MAX_NUMNODES, GFP_KERNEL, 4));
	BAD_END(&c, "WARNING", 1);
	BAD_BEGIN(&c);
	CU_ASSERT_PTR_NULL(alloc_pages_node(-5, GFP_KERNEL, 0));
	CU_ASSERT_PTR_NULL(alloc_pages_node(-1000, GFP_KERNEL, 4));
	BAD_END(&c, "WARNING", 2);
	BAD_BEGIN(&c);
	CU_ASSERT_PTR_NULL(alloc_pages_node(2, GFP_KERNEL | __GFP_NOWARN, 0));
	CU_ASSERT_PTR_NULL(alloc_pages_node(-7, GFP_KERNEL | __GFP_NOWARN, 0));
	BAD_END(&c, NULL, 0);
	/* NUMA_NO_NODE is not invalid */
	p = alloc_pages_node(NUMA_NO_NODE, GFP_KERNEL, 0);
	CU_ASSERT_PTR_NOT_NULL(p);
	__free_pages(p, 0);
	test_end(start);
}

/* The warning for a negative node names the node, like the one for a too-large node. */
static void test_bad_negative_node_message(void)
{
	kt_capture_start();
	CU_ASSERT_PTR_NULL(alloc_pages_node(-5, GFP_KERNEL, 0));
	if (!kt_captured("node -5"))
		fprintf(stderr, "  alloc_pages_node(-5) reported:\n%s", kt_captured_text());
	CU_ASSERT(kt_captured("node -5"));
	CU_ASSERT(!kt_captured("invalid zone modifiers"));
	kt_capture_stop();
}

/* ------------------------------------------------------------------ */
/* multi-threaded storm                                                */
/* ------------------------------------------------------------------ */

struct storm_block {
	struct page *page;
	unsigned int order;
	unsigned int tid;
};

#define STORM_LIVE	96
#define HANDOFF_SLOTS	64

static struct {
	pthread_mutex_t lock;
	struct storm_block slot[HANDOFF_SLOTS];
	unsigned int n;
} handoff = { .lock = PTHREAD_MUTEX_INITIALIZER };

static pthread_barrier_t storm_barrier;

struct storm_thread {
	pthread_t thread;
	unsigned int tid;
	unsigned long ops, allocs, frees, handed;
	unsigned long alloc_fail, bad_canary, bad_count, bad_align, bad_zero, bad_zone;
};

static uint64_t canary(unsigned int tid, unsigned long pfn)
{
	return 0x6b6d656d00000000ULL ^ ((uint64_t)(tid + 1) << 40) ^ pfn;
}

static void storm_fill(const struct storm_block *b)
{
	unsigned long pfn = page_to_pfn(b->page), i;

	for (i = 0; i < (1UL << b->order); i++) {
		uint64_t *w = (uint64_t *)((char *)page_address(b->page) + i * PAGE_SIZE);

		w[0] = canary(b->tid, pfn + i);
		w[PAGE_SIZE / 8 / 2] = ~canary(b->tid, pfn + i);
		w[PAGE_SIZE / 8 - 1] = canary(b->tid, pfn + i);
	}
}

static void storm_check_and_free(struct storm_thread *t, const struct storm_block *b)
{
	unsigned long pfn = page_to_pfn(b->page), i;

	if (page_count(b->page) != 1)
		t->bad_count++;
	for (i = 0; i < (1UL << b->order); i++) {
		const uint64_t *w = (const uint64_t *)((char *)page_address(b->page) + i * PAGE_SIZE);

		if (w[0] != canary(b->tid, pfn + i) || w[PAGE_SIZE / 8 / 2] != ~canary(b->tid, pfn + i) ||
		    w[PAGE_SIZE / 8 - 1] != canary(b->tid, pfn + i))
			t->bad_canary++;
	}
	__free_pages(b->page, b->order);
	t->frees++;
}

static void *storm_main(void *arg)
{
	struct storm_thread *t = arg;
	struct storm_block live[STORM_LIVE];
	unsigned int nlive = 0, nr_nodes = (unsigned int)num_online_nodes();
	uint64_t rng = kt_seed() ^ ((uint64_t)(t->tid + 1) * 0x9e3779b97f4a7c15ULL);
	unsigned long op;

	pthread_barrier_wait(&storm_barrier);
	for (op = 0; op < STORM_OPS_PER_THREAD; op++) {
		uint64_t r = kt_rand(&rng);

		if (t->tid == 0 && op % 4096 == 4095)
			kmem_drain_all_pages();	/* drains race with everyone's fast paths */
		if ((r & 15) == 0) {		/* hand a block to whoever comes next */
			if (nlive) {
				pthread_mutex_lock(&handoff.lock);
				if (handoff.n < HANDOFF_SLOTS) {
					handoff.slot[handoff.n++] = live[--nlive];
					t->handed++;
				}
				pthread_mutex_unlock(&handoff.lock);
			}
		} else if ((r & 15) == 1) {	/* free someone else's block */
			struct storm_block b;
			bool got = false;

			pthread_mutex_lock(&handoff.lock);
			if (handoff.n) {
				b = handoff.slot[--handoff.n];
				got = true;
			}
			pthread_mutex_unlock(&handoff.lock);
			if (got)
				storm_check_and_free(t, &b);
		} else if (nlive == STORM_LIVE || (nlive && (r & 16))) {
			unsigned int i = (unsigned int)((r >> 8) % nlive);

			storm_check_and_free(t, &live[i]);
			live[i] = live[--nlive];
		} else {
			unsigned int order = (unsigned int)(r >> 5) & 3, kind = (unsigned int)(r >> 7) & 7;
			int nid = (int)((r >> 10) % (nr_nodes + 1)) - 1;	/* NUMA_NO_NODE too */
			gfp_t gfp = kind == 6 ? GFP_HIGHUSER : kind == 7 ? GFP_ATOMIC : GFP_KERNEL;
			struct storm_block *b = &live[nlive];

			if (kind == 5)
				gfp |= __GFP_ZERO;
			if (kind == 4 && order)
				gfp |= __GFP_COMP;
			b->page = alloc_pages_node(nid, gfp, order);
			if (!b->page) {
				t->alloc_fail++;
				continue;
			}
			b->order = order;
			b->tid = t->tid;
			t->allocs++;
			if (page_to_pfn(b->page) & ((1UL << order) - 1))
				t->bad_align++;
			if (page_zonenum(b->page) == ZONE_HIGHMEM && !(gfp & __GFP_HIGHMEM))
				t->bad_zone++;
			if ((gfp & __GFP_ZERO) && !all_zero(page_address(b->page), PAGE_SIZE << order))
				t->bad_zero++;
			storm_fill(b);
			nlive++;
		}
		t->ops++;
	}
	while (nlive)
		storm_check_and_free(t, &live[--nlive]);
	return NULL;
}

static void test_storm(void)
{
	struct kt_snapshot *start = test_begin();
	struct storm_thread th[STORM_THREADS];
	unsigned long reports = kmem_report_count(), allocs = 0, handed = 0;
	unsigned int i;

	memset(th, 0, sizeof(th));
	handoff.n = 0;
	pthread_barrier_init(&storm_barrier, NULL, STORM_THREADS);
	for (i = 0; i < STORM_THREADS; i++) {
		th[i].tid = i;
		CU_ASSERT_FATAL(pthread_create(&th[i].thread, NULL, storm_main, &th[i]) == 0);
	}
	for (i = 0; i < STORM_THREADS; i++)
		pthread_join(th[i].thread, NULL);
	pthread_barrier_destroy(&storm_barrier);
	{
		struct storm_thread main_t = { 0 };

		while (handoff.n)
			storm_check_and_free(&main_t, &handoff.slot[--handoff.n]);
		KT_ASSERT_EQ(main_t.bad_canary, 0);
		KT_ASSERT_EQ(main_t.bad_count, 0);
	}
	for (i = 0; i < STORM_THREADS; i++) {
		KT_ASSERT_EQ(th[i].ops, STORM_OPS_PER_THREAD);
		KT_ASSERT_EQ(th[i].alloc_fail, 0);
		KT_ASSERT_EQ(th[i].bad_canary, 0);
		KT_ASSERT_EQ(th[i].bad_count, 0);
		KT_ASSERT_EQ(th[i].bad_align, 0);
		KT_ASSERT_EQ(th[i].bad_zero, 0);
		KT_ASSERT_EQ(th[i].bad_zone, 0);
		allocs += th[i].allocs;
		handed += th[i].handed;
	}
	CU_ASSERT(allocs > STORM_OPS_PER_THREAD);
	CU_ASSERT(handed > 0);
	KT_ASSERT_EQ(kmem_report_count() - reports, 0);
	test_end(start);	/* drain, then buddy counts exactly as at the start */
}

/*
 * The rseq per-CPU stack primitives, white-box: they commit only on the
 * CPU they are told, count correctly, and respect the limit.
 */
static void test_percpu_primitives(void)
{
	static u64 word;
	static u32 slots[8];
	int cpus[64], n = kt_cpus(cpus, 64), i, cpu, other;
	u32 v;

	if (kmem_mm.pcp_mode != KMEM_PCP_RSEQ || rseq_current_cpu() < 0) {
		printf("\n  note: no rseq here; primitives not exercised\n");
		return;
	}
	CU_ASSERT_FATAL(n > 0 && kt_pin(cpus[0]) == 0);
	cpu = cpus[0];
	other = n > 1 ? cpus[1] : cpu + 1;
	KT_ASSERT_EQ(rseq_current_cpu(), cpu);
	word = 0;
	/* another CPU's stack is never touched: the sequence aborts */
	KT_ASSERT_EQ(percpu_stack_push(&word, slots, other, 8, 42), -1);
	KT_ASSERT_EQ(word, 0);
	for (i = 0; i < 8; i++)
		KT_ASSERT_EQ(percpu_stack_push(&word, slots, cpu, 8, 100 + (u32)i), 1);
	KT_ASSERT_EQ(percpu_stack_push(&word, slots, cpu, 8, 999), 0);	/* full */
	KT_ASSERT_EQ(percpu_stack_push(&word, slots, cpu, 3, 999), 0);	/* over a lower limit */
	KT_ASSERT_EQ(word & PCP_COUNT_MASK, 8);
	KT_ASSERT_EQ(percpu_stack_pop(&word, slots, other, &v, PCP_POP_COUNTED), -1);
	KT_ASSERT_EQ(word, 8);
	KT_ASSERT_EQ(percpu_stack_pop(&word, slots, cpu, &v, PCP_POP_COUNTED), 1);
	KT_ASSERT_EQ(v, 107);	/* last in, first out */
	KT_ASSERT_EQ(word >> PCP_ALLOC_SHIFT, 1);
	KT_ASSERT_EQ(word & PCP_COUNT_MASK, 7);
	KT_ASSERT_EQ(percpu_stack_pop(&word, slots, cpu, &v, PCP_POP_UNCOUNTED), 1);
	KT_ASSERT_EQ(v, 106);
	KT_ASSERT_EQ(word >> PCP_ALLOC_SHIFT, 1);	/* drains are not allocations */
	for (i = 5; i >= 0; i--) {
		KT_ASSERT_EQ(percpu_stack_pop(&word, slots, cpu, &v, PCP_POP_COUNTED), 1);
		KT_ASSERT_EQ(v, 100 + (u32)i);
	}
	KT_ASSERT_EQ(percpu_stack_pop(&word, slots, cpu, &v, PCP_POP_COUNTED), 0);	/* empty */
	KT_ASSERT_EQ(word, 7 * PCP_ALLOC_ONE);
	kt_unpin();
}

static void test_rseq_mode(void)
{
	struct kmem_info info;

	CU_ASSERT_EQUAL_FATAL(kmem_get_info(&info), 0);
	if (!info.rseq)
		printf("\n  note: rseq is not available here; the default suite ran per-CPU locks\n");
}

static void test_locked_mode(void)
{
	struct kmem_info info;

	CU_ASSERT_EQUAL_FATAL(kmem_get_info(&info), 0);
	CU_ASSERT(!info.rseq);
}

/* ------------------------------------------------------------------ */

static const struct kt_test buddy_tests[] = {
	KT_TEST(test_split_merge_exhaustive),
	KT_END,
};

static const struct kt_test carve_tests[] = {
	KT_TEST(test_carve_layout),
	KT_TEST(test_gfp_zone_choice),
	KT_TEST(test_get_free_pages_masks_highmem),
	KT_TEST(test_invalid_zone_combination),
	KT_TEST(test_zone_fallback_within_node),
	KT_TEST(test_watermarks_and_reserve),
	KT_TEST(test_numa_fallback),
	KT_TEST(test_numastat_exact),
	KT_TEST(test_pcp_drain),
	KT_TEST(test_pcp_high_bound),
	KT_TEST(test_gfp_zero),
	KT_TEST(test_conversions),
	KT_TEST(test_alloc_pages_exact),
	KT_TEST(test_get_put_page),
	KT_END,
};

static const struct kt_test bad_tests[] = {
	KT_TEST(test_bad_double_free),
	KT_TEST(test_bad_wrong_order),
	KT_TEST(test_bad_tail_page),
	KT_TEST(test_bad_foreign_address),
	KT_TEST(test_bad_misaligned),
	KT_TEST(test_bad_order_too_large),
	KT_TEST(test_bad_node),
	KT_TEST(test_bad_negative_node_message),
	KT_END,
};

static const struct kt_test storm_rseq_tests[] = {
	KT_TEST(test_rseq_mode),
	KT_TEST(test_percpu_primitives),
	KT_TEST(test_local_node),
	KT_TEST(test_numastat_exact),
	KT_TEST(test_pcp_drain),
	KT_TEST(test_pcp_high_bound),
	KT_TEST(test_storm),
	KT_END,
};

static const struct kt_test storm_locked_tests[] = {
	KT_TEST(test_locked_mode),
	KT_TEST(test_local_node),
	KT_TEST(test_numastat_exact),
	KT_TEST(test_pcp_drain),
	KT_TEST(test_pcp_high_bound),
	KT_TEST(test_storm),
	KT_END,
};

static const struct kt_suite buddy_suite = { "split_merge", buddy_init, suite_exit, buddy_tests };
static const struct kt_suite carve_suite = { "zones_carve", carve_init, suite_exit, carve_tests };
static const struct kt_suite bad_suite = { "bad_input", carve_init, suite_exit, bad_tests };
static const struct kt_suite storm_rseq_suite = { "percpu_rseq", storm_rseq_init, suite_exit,
						  storm_rseq_tests };
static const struct kt_suite storm_locked_suite = { "percpu_locked", storm_locked_init, suite_exit,
						    storm_locked_tests };
static const struct kt_suite *const suites[] = {
	&buddy_suite, &carve_suite, &bad_suite, &storm_rseq_suite, &storm_locked_suite, NULL,
};

int main(int argc, char **argv) { return kt_main(argc, argv, suites); }
