// SPDX-License-Identifier: MIT
/*
 * Topology under fake NUMA (numa=fake=N for N = 1, 2, 4): node count,
 * distances, CPU-to-node mapping, zonelists and their fallback order, the
 * cache line size.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/topology.h>

#include "internal.h"
#include "kunit.h"

static int real_nodes = 1;	/* nodes of the real topology (fake_numa=0) */
static int fake_n;		/* fake_numa of the running suite */

static int init_n(int n)
{
	char opts[128];

	fake_n = n;
	snprintf(opts, sizeof(opts), "fake_numa=%d,direct_mb=8,highmem_mb=2,hugepages=never", n);
	return kt_init(opts);
}

static int init1(void) { return init_n(1); }
static int init2(void) { return init_n(2); }
static int init4(void) { return init_n(4); }

static int suite_exit(void)
{
	kt_unpin();
	kmem_exit();
	return 0;
}

/* The number of nodes fake NUMA gives: never fewer than the real ones. */
static int expected_nodes(void)
{
	return fake_n > real_nodes ? fake_n : real_nodes;
}

static void test_node_count(void)
{
	struct kmem_info info;

	CU_ASSERT_EQUAL_FATAL(kmem_get_info(&info), 0);
	KT_ASSERT_EQ(num_online_nodes(), expected_nodes());
	KT_ASSERT_EQ(nr_node_ids, expected_nodes());
	KT_ASSERT_EQ(info.nr_nodes, expected_nodes());
	CU_ASSERT(info.fake_numa);
	CU_ASSERT(info.nr_cpu_ids >= 1);
	/* every node has its own direct map and HighMem pool */
	KT_ASSERT_EQ(info.total_pages, (uint64_t)expected_nodes() * (8 + 2) * 256);
}

static void test_distances(void)
{
	int n = num_online_nodes(), i, j;

	for (i = 0; i < n; i++) {
		KT_ASSERT_EQ(node_distance(i, i), 10);
		KT_ASSERT_EQ(kmem_node_distance(i, i), 10);
		for (j = 0; j < n; j++) {
			if (i == j)
				continue;
			KT_ASSERT_EQ(node_distance(i, j), node_distance(j, i));
			if (NODE_DATA(i)->real_node == NODE_DATA(j)->real_node)
				KT_ASSERT_EQ(node_distance(i, j), 20);	/* fake siblings */
			else
				CU_ASSERT(node_distance(i, j) > 20);
		}
	}
	if (real_nodes == 1)
		for (i = 0; i < n; i++)
			for (j = 0; j < n; j++)
				KT_ASSERT_EQ(node_distance(i, j), i == j ? 10 : 20);
	KT_ASSERT_EQ(node_distance(-1, 0), -1);
	KT_ASSERT_EQ(node_distance(0, -1), -1);
	KT_ASSERT_EQ(node_distance(n, 0), -1);
	KT_ASSERT_EQ(node_distance(0, n), -1);
	KT_ASSERT_EQ(node_distance(MAX_NUMNODES, MAX_NUMNODES), -1);
}

static void test_cpu_to_node(void)
{
	struct kmem_info info;
	int n = num_online_nodes(), cpu, prev = 0, nid;
	unsigned int per_node[MAX_NUMNODES] = { 0 };

	CU_ASSERT_EQUAL_FATAL(kmem_get_info(&info), 0);
	for (cpu = 0; cpu < (int)info.nr_cpu_ids; cpu++) {
		nid = kmem_cpu_to_node(cpu);
		CU_ASSERT(nid >= 0 && nid < n);
		KT_ASSERT_EQ(cpu_to_node(cpu), nid);
		if (nid < 0 || nid >= n)
			continue;
		per_node[nid]++;
		/* one real node: its CPUs are dealt to the fake nodes in contiguous blocks */
		if (real_nodes == 1)
			CU_ASSERT(nid >= prev);
		prev = nid;
	}
	KT_ASSERT_EQ(kmem_cpu_to_node((int)info.nr_cpu_ids), -1);
	KT_ASSERT_EQ(kmem_cpu_to_node(-1), -1);
	KT_ASSERT_EQ(cpu_to_node(KMEM_MAX_CPUS + 5), -1);
	for (nid = 0; nid < n; nid++) {
		KT_ASSERT_EQ(NODE_DATA(nid)->nr_cpus, per_node[nid]);
		/* with no more nodes than CPUs, no node is left without one */
		if (real_nodes == 1 && n <= (int)info.nr_cpu_ids)
			CU_ASSERT(per_node[nid] > 0);
	}
}

/* Pinned to each CPU in turn: the node and CPU queries, and local allocation. */
static void test_pinned_cpu(void)
{
	int cpus[256], nr = kt_cpus(cpus, 256), i;

	CU_ASSERT_FATAL(nr > 0);
	for (i = 0; i < nr; i++) {
		int node = kmem_cpu_to_node(cpus[i]);
		struct page *p;

		if (kt_pin(cpus[i]))
			continue;
		KT_ASSERT_EQ(raw_smp_processor_id(), cpus[i]);
		KT_ASSERT_EQ(smp_processor_id(), cpus[i]);
		KT_ASSERT_EQ(numa_node_id(), node);
		p = alloc_pages(GFP_KERNEL, 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		KT_ASSERT_EQ(page_to_nid(p), node);
		__free_pages(p, 0);
		p = alloc_pages(GFP_HIGHUSER, 5);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		KT_ASSERT_EQ(page_to_nid(p), node);
		__free_pages(p, 5);
	}
	kt_unpin();
	kmem_drain_all_pages();
}

/*
 * Zonelists: a node's own zones first, highest first, then the other nodes
 * by non-decreasing distance, every populated zone exactly once;
 * __GFP_THISNODE's list has the node's own zones only.
 */
static void test_zonelists(void)
{
	int n = num_online_nodes(), nid, i;

	for (nid = 0; nid < n; nid++) {
		const struct pglist_data *pgdat = NODE_DATA(nid);
		unsigned int seen[MAX_NUMNODES * MAX_NR_ZONES] = { 0 };
		int prev_node = nid, prev_zone = MAX_NR_ZONES, own = 1, populated = 0, k;

		for (i = 0; pgdat->zonelist_fallback[i] != ZONE_ID_NIL; i++) {
			unsigned int id = pgdat->zonelist_fallback[i];
			int node = (int)(id / MAX_NR_ZONES), zone = (int)(id % MAX_NR_ZONES);

			CU_ASSERT_FATAL(node < n && i < ZONELIST_LEN);
			CU_ASSERT(zone_populated(zone_by_id(id)));
			KT_ASSERT_EQ(seen[id]++, 0);
			if (node != nid)
				own = 0;
			else
				CU_ASSERT(own);	/* the node's own zones come first */
			if (node == prev_node) {
				CU_ASSERT(zone < prev_zone);	/* highest zone first */
			} else {
				CU_ASSERT(node_distance(nid, node) >= node_distance(nid, prev_node));
			}
			prev_node = node;
			prev_zone = zone;
		}
		for (k = 0; k < n; k++) {
			int z;

			for (z = 0; z < MAX_NR_ZONES; z++) {
				if (!zone_populated(&NODE_DATA(k)->node_zones[z]))
					continue;
				populated++;
				KT_ASSERT_EQ(seen[k * MAX_NR_ZONES + z], 1);
			}
		}
		KT_ASSERT_EQ(i, populated);

		prev_zone = MAX_NR_ZONES;
		for (i = 0; pgdat->zonelist_nofallback[i] != ZONE_ID_NIL; i++) {
			unsigned int id = pgdat->zonelist_nofallback[i];

			CU_ASSERT_FATAL(i <= MAX_NR_ZONES);
			KT_ASSERT_EQ(id / MAX_NR_ZONES, nid);
			CU_ASSERT((int)(id % MAX_NR_ZONES) < prev_zone);
			prev_zone = (int)(id % MAX_NR_ZONES);
		}
		/* HighMem and Normal at least (DMA/DMA32 live on node 0 when carved) */
		CU_ASSERT(i >= 2);
	}
}

/*
 * Exhaust the preferring node with __GFP_THISNODE, then follow the
 * fallback: each GFP_KERNEL allocation must come from the next zone of
 * the node's zonelist that still has memory; hold that zone and go on
 * until everything is held and the allocation fails.
 */
static void test_fallback_order(void)
{
	int n = num_online_nodes(), pref = n >= 3 ? 2 : n - 1, i;
	const u16 *zl = NODE_DATA(pref)->zonelist_fallback;
	struct kt_blocks held = { 0 };
	struct kmem_numa_stats before[MAX_NUMNODES], after;
	struct page *p;
	int nid;

	kmem_drain_all_pages();
	/* everything GFP_KERNEL may use on the preferred node */
	for (i = 0; zl[i] != ZONE_ID_NIL; i++)
		if (zl[i] / MAX_NR_ZONES == (unsigned int)pref && zl[i] % MAX_NR_ZONES <= ZONE_NORMAL)
			kt_exhaust_zone(pref, zl[i] % MAX_NR_ZONES, &held);
	CU_ASSERT_PTR_NULL(alloc_pages_node(pref, GFP_KERNEL | __GFP_THISNODE | __GFP_NOWARN, 0));

	for (i = 0; zl[i] != ZONE_ID_NIL; i++) {
		int node = (int)(zl[i] / MAX_NR_ZONES), zone = (int)(zl[i] % MAX_NR_ZONES);

		if (node == pref || zone > ZONE_NORMAL)
			continue;
		for (nid = 0; nid < n; nid++)
			kmem_numa_stats(nid, &before[nid]);
		p = alloc_pages_node(pref, GFP_KERNEL | __GFP_NOWARN, 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		if (page_to_nid(p) != node || (int)page_zonenum(p) != zone)
			fprintf(stderr, "  fallback from node %d: got node %d zone %d, expected "
				"node %d zone %d\n", pref, page_to_nid(p), page_zonenum(p), node, zone);
		KT_ASSERT_EQ(page_to_nid(p), node);
		KT_ASSERT_EQ(page_zonenum(p), zone);
		kmem_numa_stats(node, &after);
		KT_ASSERT_EQ(after.numa_miss - before[node].numa_miss, 1);
		KT_ASSERT_EQ(after.numa_hit - before[node].numa_hit, 0);
		kmem_numa_stats(pref, &after);
		KT_ASSERT_EQ(after.numa_foreign - before[pref].numa_foreign, 1);
		kt_blocks_add(&held, p, 0);
		kt_exhaust_zone(node, zone, &held);
	}
	/* all of it is held now */
	CU_ASSERT_PTR_NULL(alloc_pages_node(pref, GFP_KERNEL | __GFP_NOWARN, 0));
	CU_ASSERT_PTR_NULL(alloc_pages(GFP_KERNEL | __GFP_NOWARN, 0));
	/* HighMem is still there for those who may use it */
	p = alloc_pages_node(pref, GFP_HIGHUSER | __GFP_NOWARN, 0);
	CU_ASSERT_PTR_NOT_NULL(p);
	if (p)
		__free_pages(p, 0);
	kt_blocks_release(&held);
	kmem_drain_all_pages();
}

static void test_cache_line_size(void)
{
	struct kmem_info info;
	int cls = cache_line_size();

	CU_ASSERT(cls >= 16);
	CU_ASSERT((cls & (cls - 1)) == 0);
	CU_ASSERT_EQUAL_FATAL(kmem_get_info(&info), 0);
	KT_ASSERT_EQ(info.cache_line_size, cls);
}

static const struct kt_test tests[] = {
	KT_TEST(test_node_count),
	KT_TEST(test_distances),
	KT_TEST(test_cpu_to_node),
	KT_TEST(test_pinned_cpu),
	KT_TEST(test_zonelists),
	KT_TEST(test_fallback_order),
	KT_TEST(test_cache_line_size),
	KT_END,
};

static const struct kt_suite s1 = { "fake_numa=1", init1, suite_exit, tests };
static const struct kt_suite s2 = { "fake_numa=2", init2, suite_exit, tests };
static const struct kt_suite s4 = { "fake_numa=4", init4, suite_exit, tests };
static const struct kt_suite *const suites[] = { &s1, &s2, &s4, NULL };

int main(int argc, char **argv)
{
	if (kt_init("fake_numa=0,direct_mb=2,highmem_mb=2,hugepages=never") == 0) {
		real_nodes = num_online_nodes();
		kmem_exit();
	}
	return kt_main(argc, argv, suites);
}
