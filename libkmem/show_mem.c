// SPDX-License-Identifier: MIT
/*
 * show_mem.c - the zone state printed after "page allocation failure" (the
 * kernel's __show_mem() in mm/show_mem.c, which warn_alloc() calls):
 *
 *   Mem-Info:
 *   free:<pages> free_pcp:<pages>
 *   Node 0 Normal free:..kB boost:..kB min:..kB ... free_pcp:..kB local_pcp:..kB
 *   lowmem_reserve[]: 0 0 0 0
 *   Node 0 Normal: 3*4kB (U) 2*8kB (U) 0*16kB ... = ..kB
 *   <n> pages RAM
 *   <n> pages HighMem/MovableOnly
 *   <n> pages reserved
 *
 * Only the fields that mean something for kmem are printed; see
 * show_zone() for what is dropped and why.  Everything is read without
 * locks, as the kernel's report reads the counters: a snapshot that may be
 * off by allocations racing with it.
 *
 * Also the rate limit of warn_alloc() (the kernel's nopage_rs): at most 10
 * reports in 5 seconds per process.
 */
#include <string.h>

#include "internal.h"

#define K(pages)	((unsigned long long)(pages) << (PAGE_SHIFT - 10))

static u64 nopage_last_ns;
static unsigned int nopage_burst;

/* DEFAULT_RATELIMIT_INTERVAL (5 s) and DEFAULT_RATELIMIT_BURST (10), as nopage_rs. */
bool __kmem_warn_alloc_ratelimit(void)
{
	return __kmem_ratelimit(&nopage_last_ns, &nopage_burst, 5000, 10);
}

/* Start a fresh interval; for tests that count reports. */
void __kmem_warn_alloc_ratelimit_reset(void)
{
	__atomic_store_n(&nopage_last_ns, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&nopage_burst, 0, __ATOMIC_RELAXED);
}

/* Pages on the per-CPU lists of @cpu for @zone. */
static u64 pcp_pages_cpu(const struct zone *zone, int cpu)
{
	const struct per_cpu_pages *pcp = zone_pcp(zone, cpu);
	u64 pages = 0;
	unsigned int order;

	for (order = 0; order < NR_PCP_ORDERS; order++)
		pages += (READ_ONCE(pcp->word[order]) & PCP_COUNT_MASK) << order;
	return pages;
}

static int this_cpu(void)
{
	int cpu = raw_smp_processor_id();

	return cpu >= 0 && cpu < (int)kmem_mm.nr_cpu_ids ? cpu : -1;
}

/*
 * One zone's line and its lowmem_reserve[].  The kernel's line also has
 * reserved_highatomic and free_highatomic (kmem keeps no high-order atomic
 * reserve), the LRU sizes active_anon .. unevictable, writepending,
 * zspages, mlocked and bounce (kmem memory is never on an LRU, written
 * back, compressed, locked or bounced) and free_cma (no CMA); they would
 * always be 0, so they are left out.  What stays is what kmem has: the
 * buddy free pages, the watermark boost and the watermarks the allocation
 * was judged by, present and managed pages, and the pages parked on every
 * CPU's lists (free_pcp) and on this CPU's (local_pcp), which are free yet
 * not counted in free.
 */
static void show_zone(struct kmem_report *r, const struct kmem_zone_stats *st,
		      const struct zone *zone, int cpu)
{
	char line[96];
	size_t used;
	unsigned int i;

	__kmem_report_add(r, "Node %d %s free:%llukB boost:%llukB min:%llukB low:%llukB "
			  "high:%llukB present:%llukB managed:%llukB free_pcp:%llukB "
			  "local_pcp:%llukB\n",
			  st->node, st->name, K(st->free_pages), K(READ_ONCE(zone->watermark_boost)),
			  K(st->min), K(st->low), K(st->high), K(st->present), K(st->managed),
			  K(st->pcp_count), cpu >= 0 ? K(pcp_pages_cpu(zone, cpu)) : 0ULL);
	used = (size_t)snprintf(line, sizeof(line), "lowmem_reserve[]:");
	for (i = 0; i < MAX_NR_ZONES && used < sizeof(line); i++)
		used += (size_t)snprintf(line + used, sizeof(line) - used, " %llu",
					 (unsigned long long)st->protection[i]);
	__kmem_report_add(r, "%s\n", line);
}

/*
 * The free lists per order.  The kernel tags each non-empty order with the
 * migrate types that have blocks there; kmem's free lists have no migrate
 * types, and its memory is never moved or reclaimed by moving, so every
 * block is what the kernel calls Unmovable: (U).
 */
static void show_free_areas(struct kmem_report *r, const struct kmem_zone_stats *st)
{
	unsigned long long total = 0;
	char line[512];
	size_t used;
	unsigned int order;

	/* one line, one append: a report split in pieces never splits a line */
	used = (size_t)snprintf(line, sizeof(line), "Node %d %s: ", st->node, st->name);
	for (order = 0; order < NR_PAGE_ORDERS && used < sizeof(line); order++) {
		used += (size_t)snprintf(line + used, sizeof(line) - used, "%llu*%llukB %s",
					 (unsigned long long)st->nr_free[order], K(1ULL << order),
					 st->nr_free[order] ? "(U) " : "");
		total += st->nr_free[order] << order;
	}
	__kmem_report_add(r, "%s= %llukB\n", line, K(total));
}

/*
 * __kmem_show_mem - append "Mem-Info:" and the zones to @r, as the
 * kernel's warn_alloc_show_mem() does: every node (kmem has no cpusets or
 * mempolicies to filter them by), populated zones up to the highest one
 * @gfp allows.
 */
void __kmem_show_mem(struct kmem_report *r, gfp_t gfp)
{
	struct kmem_zone_stats st;
	unsigned int nr_nodes = kmem_mm.nr_nodes, nid, z;
	enum zone_type max_zone = gfp_zone(gfp);
	u64 free = 0, free_pcp = 0, present = 0, highmem = 0, reserved = 0;
	int cpu = this_cpu();

	for (nid = 0; nid < nr_nodes; nid++) {
		for (z = 0; z < MAX_NR_ZONES; z++) {
			if (kmem_zone_stats((int)nid, (int)z, &st))
				continue;
			free += st.free_pages;
			free_pcp += st.pcp_count;
			present += st.present;
			reserved += st.present - st.managed;
			if (z == ZONE_HIGHMEM)
				highmem += st.present;
		}
	}
	/* the kernel's summary line, less its LRU, slab and page-table counts */
	__kmem_report_add(r, "Mem-Info:\nfree:%llu free_pcp:%llu\n", (unsigned long long)free,
			  (unsigned long long)free_pcp);
	for (nid = 0; nid < nr_nodes; nid++) {
		for (z = 0; z <= max_zone && z < MAX_NR_ZONES; z++) {
			const struct zone *zone = &NODE_DATA((int)nid)->node_zones[z];

			if (!zone_populated(zone) || kmem_zone_stats((int)nid, (int)z, &st))
				continue;
			show_zone(r, &st, zone, cpu);
		}
	}
	for (nid = 0; nid < nr_nodes; nid++) {
		for (z = 0; z <= max_zone && z < MAX_NR_ZONES; z++) {
			const struct zone *zone = &NODE_DATA((int)nid)->node_zones[z];

			if (!zone_populated(zone) || kmem_zone_stats((int)nid, (int)z, &st))
				continue;
			show_free_areas(r, &st);
		}
	}
	__kmem_report_add(r, "%llu pages RAM\n%llu pages HighMem/MovableOnly\n%llu pages reserved\n",
			  (unsigned long long)present, (unsigned long long)highmem,
			  (unsigned long long)reserved);
}
