// SPDX-License-Identifier: MIT
/*
 * topology.c - NUMA nodes, CPUs, distances and the cache line, from hwloc;
 * and fake NUMA, which splits them into emulated nodes like the kernel's
 * numa=fake=N so that every per-node path runs on one-node machines.
 *
 * Fake node i lives on real node (i * R) / N of the R real ones; each real
 * node's CPUs are dealt to its fake nodes in contiguous blocks (a node may
 * get none, like a CPU-less CXL node).  Distances: 10 to itself, 20 to a
 * fake sibling on the same real node, the real distance (at least 21)
 * otherwise.
 *
 * Runs once, in kmem_init(), before anything is shared: no locks.
 */
#include <errno.h>
#include <hwloc.h>
#include <string.h>

#include "internal.h"

#define LOCAL_DISTANCE		10
#define FAKE_SIBLING_DISTANCE	20
#define REMOTE_DISTANCE		21

struct real_topology {
	unsigned int nr_nodes;
	int os_index[MAX_NUMNODES];
	unsigned int distance[MAX_NUMNODES][MAX_NUMNODES];
	int cpu_node[KMEM_MAX_CPUS];	/* real node index of each CPU, -1: none */
	unsigned int nr_cpu_ids;
	unsigned int line_size;
};

static void read_distances(hwloc_topology_t topo, struct real_topology *rt)
{
	struct hwloc_distances_s *dist = NULL;
	unsigned int nr = 1, i, j;

	for (i = 0; i < rt->nr_nodes; i++)
		for (j = 0; j < rt->nr_nodes; j++)
			rt->distance[i][j] = i == j ? LOCAL_DISTANCE : REMOTE_DISTANCE;
	if (hwloc_distances_get_by_type(topo, HWLOC_OBJ_NUMANODE, &nr, &dist,
					HWLOC_DISTANCES_KIND_MEANS_LATENCY, 0) || nr == 0)
		return;
	/* hwloc orders objects by its logical index, the same order we used. */
	for (i = 0; i < dist->nbobjs && i < rt->nr_nodes; i++)
		for (j = 0; j < dist->nbobjs && j < rt->nr_nodes; j++)
			rt->distance[i][j] = (unsigned int)dist->values[i * dist->nbobjs + j];
	hwloc_distances_release(topo, dist);
}

static int read_real_topology(struct real_topology *rt)
{
	hwloc_topology_t topo;
	hwloc_const_bitmap_t all;
	hwloc_obj_t obj;
	unsigned int i;
	int cpu, last;

	memset(rt, 0, sizeof(*rt));
	if (hwloc_topology_init(&topo))
		return -ENODEV;
	/*
	 * Nodes, PUs and the L1 line size are all that is read: every process
	 * start pays for what hwloc discovers (the malloc front end's too).
	 */
	hwloc_topology_set_all_types_filter(topo, HWLOC_TYPE_FILTER_KEEP_NONE);
	hwloc_topology_set_type_filter(topo, HWLOC_OBJ_L1CACHE, HWLOC_TYPE_FILTER_KEEP_ALL);
	if (hwloc_topology_load(topo)) {
		hwloc_topology_destroy(topo);
		return -ENODEV;
	}

	all = hwloc_topology_get_complete_cpuset(topo);
	last = hwloc_bitmap_last(all);
	rt->nr_cpu_ids = last < 0 ? 1 : (unsigned int)last + 1;
	if (rt->nr_cpu_ids > KMEM_MAX_CPUS)
		rt->nr_cpu_ids = KMEM_MAX_CPUS;
	for (i = 0; i < KMEM_MAX_CPUS; i++)
		rt->cpu_node[i] = -1;

	rt->nr_nodes = (unsigned int)hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
	if (rt->nr_nodes == 0 || rt->nr_nodes > MAX_NUMNODES)
		rt->nr_nodes = rt->nr_nodes ? MAX_NUMNODES : 1;
	for (i = 0; i < rt->nr_nodes; i++) {
		obj = hwloc_get_obj_by_type(topo, HWLOC_OBJ_NUMANODE, i);
		rt->os_index[i] = obj ? (int)obj->os_index : 0;
		if (!obj || !obj->cpuset)
			continue;
		hwloc_bitmap_foreach_begin(cpu, obj->cpuset)
			if (cpu < (int)rt->nr_cpu_ids)
				rt->cpu_node[cpu] = (int)i;
		hwloc_bitmap_foreach_end();
	}
	/* CPUs hwloc placed nowhere (or a machine without NUMA objects): node 0. */
	hwloc_bitmap_foreach_begin(cpu, all)
		if (cpu < (int)rt->nr_cpu_ids && rt->cpu_node[cpu] < 0)
			rt->cpu_node[cpu] = 0;
	hwloc_bitmap_foreach_end();
	read_distances(topo, rt);

	rt->line_size = 64;
	obj = hwloc_get_obj_by_type(topo, HWLOC_OBJ_L1CACHE, 0);
	if (obj && obj->attr && obj->attr->cache.linesize)
		rt->line_size = obj->attr->cache.linesize;
	hwloc_topology_destroy(topo);
	return 0;
}

static void real_nodes(const struct real_topology *rt, struct kmem_topology *topo)
{
	unsigned int i, j;

	topo->nr_nodes = rt->nr_nodes;
	for (i = 0; i < rt->nr_nodes; i++) {
		topo->real_node[i] = rt->os_index[i];
		for (j = 0; j < rt->nr_nodes; j++)
			topo->distance[i][j] = (u8)rt->distance[i][j];
	}
	for (i = 0; i < rt->nr_cpu_ids; i++)
		if (rt->cpu_node[i] >= 0)
			topo->cpu_to_node[i] = (u16)rt->cpu_node[i];
}

static void fake_nodes(const struct real_topology *rt, unsigned int nr_fake,
		       struct kmem_topology *topo)
{
	unsigned int real_of[MAX_NUMNODES], first_fake[MAX_NUMNODES + 1];
	unsigned int i, j, r, R = rt->nr_nodes;

	if (nr_fake < R)
		nr_fake = R;
	topo->nr_nodes = nr_fake;
	for (r = 0; r <= R; r++)
		first_fake[r] = nr_fake;
	for (i = nr_fake; i-- > 0;) {
		real_of[i] = i * R / nr_fake;
		first_fake[real_of[i]] = i;
	}
	for (i = 0; i < nr_fake; i++) {
		topo->real_node[i] = rt->os_index[real_of[i]];
		for (j = 0; j < nr_fake; j++) {
			unsigned int d = rt->distance[real_of[i]][real_of[j]];

			if (i == j)
				d = LOCAL_DISTANCE;
			else if (real_of[i] == real_of[j])
				d = FAKE_SIBLING_DISTANCE;
			else if (d <= FAKE_SIBLING_DISTANCE)
				d = REMOTE_DISTANCE;
			topo->distance[i][j] = (u8)(d > 255 ? 255 : d);
		}
	}
	/* Deal each real node's CPUs to its fake nodes in contiguous blocks. */
	for (r = 0; r < R; r++) {
		unsigned int nr_cpus = 0, k = 0, nr_here = 0;

		for (i = 0; i < nr_fake; i++)
			nr_here += real_of[i] == r;
		for (i = 0; i < rt->nr_cpu_ids; i++)
			nr_cpus += rt->cpu_node[i] == (int)r;
		for (i = 0; i < rt->nr_cpu_ids; i++) {
			if (rt->cpu_node[i] != (int)r)
				continue;
			topo->cpu_to_node[i] = (u16)(first_fake[r] + k * nr_here / nr_cpus);
			k++;
		}
	}
}

/**
 * __kmem_topology_discover - the nodes kmem will run.
 * @fake_numa: 0 for the real topology, else the number of emulated nodes
 * Return: 0 or -errno.
 */
int __kmem_topology_discover(struct kmem_topology *topo, unsigned int fake_numa)
{
	static struct real_topology rt;	/* large; init is single-threaded */
	unsigned int i;
	int ret;

	ret = read_real_topology(&rt);
	if (ret)
		return ret;
	memset(topo, 0, sizeof(*topo));
	topo->nr_cpu_ids = rt.nr_cpu_ids;
	topo->cache_line_size = rt.line_size;
	if (fake_numa > MAX_NUMNODES)
		return -EINVAL;
	if (fake_numa)
		fake_nodes(&rt, fake_numa, topo);
	else
		real_nodes(&rt, topo);
	for (i = 0; i < topo->nr_cpu_ids; i++)
		if (rt.cpu_node[i] >= 0)
			topo->node_nr_cpus[topo->cpu_to_node[i]]++;
	return 0;
}
