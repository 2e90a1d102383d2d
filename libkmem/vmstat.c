// SPDX-License-Identifier: MIT
/*
 * vmstat.c - zone and NUMA statistics and the /proc views built on them:
 * buddyinfo, zoneinfo and numastat, in the kernel's exact layouts.
 *
 * Everything here reads shared state without the zone locks, as the
 * kernel's /proc readers do: a view is a snapshot that may be off by the
 * allocations racing with it, never a torn structure.
 *
 * kmem_stats_print() gathers those views with slabinfo, vmalloc's and the
 * memory blocks for a program to print its own state, as text or (through
 * jansson) as one JSON object.
 *
 * numastat comes from two places.  The per-CPU fast path counts the
 * allocations it serves in its pcp word (the same store that commits the
 * pop); those are hits, and local or other by the node of the CPU the list
 * belongs to.  Everything else (buddy and refill allocations, and the
 * correction for fast-path misses) is counted in the zone's atomic fields.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "internal.h"

static const char *const zone_names[MAX_NR_ZONES] = { "DMA", "DMA32", "Normal", "HighMem" };

const char *const *__kmem_zone_names(void)
{
	return zone_names;
}

static u64 pcp_pages(const struct zone *zone)
{
	u64 pages = 0;
	unsigned int cpu, order;

	for (cpu = 0; cpu < kmem_mm.nr_cpu_ids; cpu++) {
		struct per_cpu_pages *pcp = zone_pcp(zone, (int)cpu);

		for (order = 0; order < NR_PCP_ORDERS; order++)
			pages += (READ_ONCE(pcp->word[order]) & PCP_COUNT_MASK) << order;
	}
	return pages;
}

/*
 * The views check what they read of the segment first (segment.c): a client
 * may have written anything there, and the daemon runs these.  @view names
 * the view in the report.
 */
static int zone_stats(int nid, int z, struct kmem_zone_stats *st, const char *view)
{
	const struct zone *zone;
	unsigned int o;
	int ret;

	if (kmem_ensure_init())
		return -ENOMEM;
	ret = __kmem_check_segment(view);
	if (ret)
		return ret;
	if (nid < 0 || nid >= (int)kmem_mm.nr_nodes || z < 0 || z >= MAX_NR_ZONES)
		return -EINVAL;
	ret = __kmem_check_zone(nid, z, view);
	if (ret)
		return ret;
	zone = &NODE_DATA(nid)->node_zones[z];
	memset(st, 0, sizeof(*st));
	st->node = nid;
	st->name = zone_names[z];
	st->free_pages = READ_ONCE(zone->free_pages);
	st->min = READ_ONCE(zone->_watermark[WMARK_MIN]);
	st->low = READ_ONCE(zone->_watermark[WMARK_LOW]);
	st->high = READ_ONCE(zone->_watermark[WMARK_HIGH]);
	st->promo = READ_ONCE(zone->_watermark[WMARK_PROMO]);
	st->spanned = zone->spanned_pages;
	st->present = zone->present_pages;
	st->managed = zone->managed_pages;
	st->start_pfn = zone->zone_start_pfn;
	for (o = 0; o < MAX_NR_ZONES; o++)
		st->protection[o] = READ_ONCE(zone->lowmem_reserve[o]);
	for (o = 0; o < NR_PAGE_ORDERS; o++)
		st->nr_free[o] = READ_ONCE(zone->free_area[o].nr_free);
	if (zone_populated(zone))
		st->pcp_count = pcp_pages(zone);
	st->pcp_high = READ_ONCE(zone->pcp_high);
	st->pcp_batch = READ_ONCE(zone->pcp_batch);
	st->alloc_fail = READ_ONCE(zone->alloc_fail);
	st->vm_charged = READ_ONCE(zone->vm_charged);
	return 0;
}

int kmem_zone_stats(int nid, int z, struct kmem_zone_stats *st)
{
	return zone_stats(nid, z, st, "zone statistics");
}

int kmem_numa_stats(int nid, struct kmem_numa_stats *st)
{
	struct kmem_shared *shm;
	unsigned int z, cpu, order;
	int ret;

	if (kmem_ensure_init())
		return -ENOMEM;
	shm = kmem_mm.shm;
	ret = __kmem_check_segment("numastat");
	if (ret)
		return ret;
	if (nid < 0 || nid >= (int)kmem_mm.nr_nodes)
		return -EINVAL;
	for (z = 0; z < MAX_NR_ZONES; z++) {
		ret = __kmem_check_zone(nid, (int)z, "numastat");
		if (ret)
			return ret;
	}
	memset(st, 0, sizeof(*st));
	for (z = 0; z < MAX_NR_ZONES; z++) {
		const struct zone *zone = &NODE_DATA(nid)->node_zones[z];

		st->numa_hit += READ_ONCE(zone->numa_hit);
		st->numa_miss += READ_ONCE(zone->numa_miss);
		st->numa_foreign += READ_ONCE(zone->numa_foreign);
		st->interleave_hit += READ_ONCE(zone->interleave_hit);
		st->local_node += READ_ONCE(zone->local_node);
		st->other_node += READ_ONCE(zone->other_node);
		if (!zone_populated(zone))
			continue;
		for (cpu = 0; cpu < kmem_mm.nr_cpu_ids; cpu++) {
			struct per_cpu_pages *pcp = zone_pcp(zone, (int)cpu);
			u64 allocs = 0;

			for (order = 0; order < NR_PCP_ORDERS; order++)
				allocs += READ_ONCE(pcp->word[order]) >> PCP_ALLOC_SHIFT;
			st->numa_hit += allocs;
			if (shm->cpu_to_node[cpu] == nid)
				st->local_node += allocs;
			else
				st->other_node += allocs;
		}
	}
	return 0;
}

static void emit(FILE *f, const char *fmt, ...) __printf(2, 3);

/* Print to @f, or through the report sink when @f is NULL (failure reports). */
static void emit(FILE *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (f)
		vfprintf(f, fmt, ap);
	else
		__kmem_vprintk(fmt, ap);
	va_end(ap);
}

int kmem_show_buddyinfo(FILE *f)
{
	struct kmem_zone_stats st;
	char line[256];
	int nid, z, o, len, ret;

	if (kmem_ensure_init())
		return -ENOMEM;
	ret = __kmem_check_zones("buddyinfo");
	if (ret)
		return ret;
	for (nid = 0; nid < (int)kmem_mm.nr_nodes; nid++) {
		for (z = 0; z < MAX_NR_ZONES; z++) {
			ret = zone_stats(nid, z, &st, "buddyinfo");
			if (ret)
				return ret;
			if (!st.present)
				continue;
			len = snprintf(line, sizeof(line), "Node %d, zone %8s ", nid, st.name);
			for (o = 0; o < NR_PAGE_ORDERS; o++)
				len += snprintf(line + len, sizeof(line) - (size_t)len, "%6llu ",
						(unsigned long long)st.nr_free[o]);
			emit(f, "%s\n", line);
		}
	}
	return 0;
}

int kmem_show_zoneinfo(FILE *f)
{
	struct kmem_zone_stats st;
	int nid, z, cpu, ret;

	if (kmem_ensure_init())
		return -ENOMEM;
	/* Checked up front: a view is all or nothing, never cut off half-way. */
	ret = __kmem_check_zones("zoneinfo");
	if (ret)
		return ret;
	for (nid = 0; nid < (int)kmem_mm.nr_nodes; nid++) {
		for (z = 0; z < MAX_NR_ZONES; z++) {
			const struct zone *zone = &NODE_DATA(nid)->node_zones[z];

			ret = zone_stats(nid, z, &st, "zoneinfo");
			if (ret)
				return ret;
			emit(f, "Node %d, zone %8s\n", nid, st.name);
			emit(f, "  pages free     %llu\n"
				"        boost    0\n"
				"        min      %llu\n"
				"        low      %llu\n"
				"        high     %llu\n"
				"        promo    %llu\n"
				"        spanned  %llu\n"
				"        present  %llu\n"
				"        managed  %llu\n"
				"        cma      0\n"
				"        protection: (%llu, %llu, %llu, %llu)\n",
			     (unsigned long long)st.free_pages, (unsigned long long)st.min,
			     (unsigned long long)st.low, (unsigned long long)st.high,
			     (unsigned long long)st.promo, (unsigned long long)st.spanned,
			     (unsigned long long)st.present, (unsigned long long)st.managed,
			     (unsigned long long)st.protection[0], (unsigned long long)st.protection[1],
			     (unsigned long long)st.protection[2], (unsigned long long)st.protection[3]);
			if (!st.present)
				continue;
			emit(f, "      nr_free_pages %llu\n  pagesets\n", (unsigned long long)st.free_pages);
			for (cpu = 0; cpu < (int)kmem_mm.nr_cpu_ids; cpu++) {
				struct per_cpu_pages *pcp = zone_pcp(zone, cpu);
				u64 count = 0;
				unsigned int o;

				for (o = 0; o < NR_PCP_ORDERS; o++)
					count += (READ_ONCE(pcp->word[o]) & PCP_COUNT_MASK) << o;
				/* the kernel prints the threshold after each CPU's list */
				emit(f, "    cpu: %d\n"
					"              count:    %llu\n"
					"              high:     %u\n"
					"              batch:    %u\n"
					"  vm stats threshold: 0\n",
				     cpu, (unsigned long long)count, st.pcp_high, st.pcp_batch);
			}
			emit(f, "  node_unreclaimable:  0\n"
				"  start_pfn:           %llu\n", (unsigned long long)st.start_pfn);
		}
	}
	return 0;
}

int kmem_show_numastat(FILE *f)
{
	static const char *const rows[] = { "numa_hit", "numa_miss", "numa_foreign",
					    "interleave_hit", "local_node", "other_node" };
	struct kmem_numa_stats st[MAX_NUMNODES];
	int nid, r, n, ret;

	if (kmem_ensure_init())
		return -ENOMEM;
	ret = __kmem_check_zones("numastat");
	if (ret)
		return ret;
	n = (int)kmem_mm.nr_nodes;
	for (nid = 0; nid < n; nid++) {
		ret = kmem_numa_stats(nid, &st[nid]);
		if (ret)
			return ret;
	}
	emit(f, "%-16s", "");
	for (nid = 0; nid < n; nid++) {
		char name[16];

		snprintf(name, sizeof(name), "node%d", nid);
		emit(f, " %15s", name);
	}
	emit(f, "\n");
	for (r = 0; r < 6; r++) {
		emit(f, "%-16s", rows[r]);
		for (nid = 0; nid < n; nid++) {
			const u64 *v = &st[nid].numa_hit;

			emit(f, " %15llu", (unsigned long long)v[r]);
		}
		emit(f, "\n");
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* kmem_stats_print(): the views, in-process                           */
/* ------------------------------------------------------------------ */

#define STATS_ALL	(KMEM_STATS_BUDDYINFO | KMEM_STATS_ZONEINFO | KMEM_STATS_SLABINFO | \
			 KMEM_STATS_VMALLOC | KMEM_STATS_MEMORY)

/* The zones worth a line: those with memory, as the kernel's views skip empty ones. */
static bool zone_shown(const struct kmem_zone_stats *z)
{
	return z->present || z->managed;
}

static json_t *json_buddyinfo(void)
{
	json_t *a = json_array();
	struct kmem_zone_stats z;
	unsigned int nid, t, o;

	for (nid = 0; nid < kmem_mm.nr_nodes; nid++)
		for (t = 0; t < MAX_NR_ZONES; t++) {
			json_t *free_blocks = json_array();

			if (kmem_zone_stats((int)nid, (int)t, &z) || !zone_shown(&z)) {
				json_decref(free_blocks);
				continue;
			}
			for (o = 0; o < NR_PAGE_ORDERS; o++)
				json_array_append_new(free_blocks, json_integer((json_int_t)z.nr_free[o]));
			json_array_append_new(a, json_pack("{s:i, s:s, s:o}", "node", (int)nid,
							   "zone", z.name, "free", free_blocks));
		}
	return a;
}

static json_t *json_zoneinfo(void)
{
	json_t *a = json_array();
	struct kmem_zone_stats z;
	unsigned int nid, t;

	for (nid = 0; nid < kmem_mm.nr_nodes; nid++)
		for (t = 0; t < MAX_NR_ZONES; t++) {
			if (kmem_zone_stats((int)nid, (int)t, &z) || !zone_shown(&z))
				continue;
			json_array_append_new(a, json_pack(
				"{s:i, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
				"node", (int)nid, "zone", z.name,
				"free_pages", (json_int_t)z.free_pages, "min", (json_int_t)z.min,
				"low", (json_int_t)z.low, "high", (json_int_t)z.high,
				"spanned", (json_int_t)z.spanned, "present", (json_int_t)z.present,
				"managed", (json_int_t)z.managed, "pcp_count", (json_int_t)z.pcp_count,
				"vm_charged", (json_int_t)z.vm_charged,
				"alloc_fail", (json_int_t)z.alloc_fail));
		}
	return a;
}

static json_t *json_slabinfo(int *ret)
{
	json_t *a = json_array();
	struct kmem_cache_stats c;
	unsigned int iter = 0;
	int err;

	while (!(err = kmem_cache_stats_next(&iter, &c)))
		json_array_append_new(a, json_pack(
			"{s:s, s:I, s:I, s:i, s:i, s:i, s:i, s:I, s:I}", "name", c.name,
			"active_objs", (json_int_t)c.active_objs, "num_objs", (json_int_t)c.num_objs,
			"objsize", (int)c.objsize, "object_size", (int)c.object_size,
			"objperslab", (int)c.objperslab, "pagesperslab", (int)c.pagesperslab,
			"active_slabs", (json_int_t)c.active_slabs,
			"num_slabs", (json_int_t)c.num_slabs));
	if (err != -ENOENT)
		*ret = err;
	return a;
}

static json_t *json_vmalloc(void)
{
	struct kmem_vmalloc_stats v;

	if (kmem_vmalloc_stats(&v))
		return json_null();
	return json_pack("{s:I, s:I, s:I, s:I, s:I}", "total_bytes", (json_int_t)v.total_bytes,
			 "used_bytes", (json_int_t)v.used_bytes, "pages", (json_int_t)v.pages,
			 "nr_areas", (json_int_t)v.nr_areas, "charged", (json_int_t)v.charged);
}

static json_t *json_memory(void)
{
	json_t *nodes = json_array();
	struct kmem_hotplug_stats h;
	unsigned int nid;

	for (nid = 0; nid < kmem_mm.nr_nodes; nid++) {
		if (kmem_get_hotplug_stats((int)nid, &h))
			continue;
		json_array_append_new(nodes, json_pack(
			"{s:i, s:I, s:I, s:I, s:I, s:I, s:I}", "node", (int)nid,
			"section_bytes", (json_int_t)h.section_bytes,
			"online_bytes", (json_int_t)h.online_bytes, "max_bytes", (json_int_t)h.max_bytes,
			"min_bytes", (json_int_t)h.min_bytes,
			"memory_online", (json_int_t)h.memory_online,
			"memory_offline", (json_int_t)h.memory_offline));
	}
	return json_pack("{s:o}", "nodes", nodes);
}

static int stats_json(FILE *f, unsigned int flags)
{
	json_t *o = json_object();
	int ret = 0;

	if (flags & KMEM_STATS_BUDDYINFO)
		json_object_set_new(o, "buddyinfo", json_buddyinfo());
	if (flags & KMEM_STATS_ZONEINFO)
		json_object_set_new(o, "zoneinfo", json_zoneinfo());
	if (flags & KMEM_STATS_SLABINFO)
		json_object_set_new(o, "slabinfo", json_slabinfo(&ret));
	if (flags & KMEM_STATS_VMALLOC)
		json_object_set_new(o, "vmalloc", json_vmalloc());
	if (flags & KMEM_STATS_MEMORY)
		json_object_set_new(o, "memory", json_memory());
	if (json_dumpf(o, f, JSON_INDENT(1)) || fputc('\n', f) == EOF)
		ret = -ENOMEM;
	json_decref(o);
	return ret;
}

static int stats_text(FILE *f, unsigned int flags)
{
	static const struct {
		unsigned int flag;
		const char *title;
		int (*show)(FILE *f);
	} views[] = {
		{ KMEM_STATS_BUDDYINFO, "buddyinfo", kmem_show_buddyinfo },
		{ KMEM_STATS_ZONEINFO, "zoneinfo", kmem_show_zoneinfo },
		{ KMEM_STATS_SLABINFO, "slabinfo", kmem_show_slabinfo },
		{ KMEM_STATS_VMALLOC, "vmallocinfo", kmem_show_vmallocinfo },
		{ KMEM_STATS_MEMORY, "lsmem", kmem_show_lsmem },
	};
	unsigned int i;
	int ret = 0, err;
	bool first = true;

	for (i = 0; i < sizeof(views) / sizeof(views[0]); i++) {
		if (!(flags & views[i].flag))
			continue;
		fprintf(f, "%s# %s\n", first ? "" : "\n", views[i].title);
		first = false;
		err = views[i].show(f);
		if (err && !ret)
			ret = err;
	}
	return ret;
}

int kmem_stats_print(void (*write)(void *arg, const char *text), void *arg, unsigned int flags)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int ret;

	if (kmem_ensure_init())
		return -ENOMEM;
	if (!(flags & STATS_ALL))
		flags |= STATS_ALL;
	/* the whole text first: @write may be slow, and the views run with locks taken */
	f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;
	ret = flags & KMEM_STATS_JSON ? stats_json(f, flags) : stats_text(f, flags);
	if (fclose(f) || !buf) {
		free(buf);
		return -ENOMEM;
	}
	if (write)
		write(arg, buf);
	else
		fputs(buf, stderr);
	free(buf);
	return ret;
}
