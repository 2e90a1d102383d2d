// SPDX-License-Identifier: MIT
/*
 * segment.c - checks of the shared segment for the readers the daemon runs.
 *
 * Every attached client maps the segment and the memory read-write, so the
 * daemon (kmemd, which builds the memory and serves the control views) must
 * not trust what it reads there: a buggy or hostile client can write any
 * byte.  The views (slabinfo, buddyinfo, zoneinfo, numastat, meminfo) call
 * these checks before they follow an offset or a pfn, or index by a count
 * read from the segment.  A check that fails says what it found, once per
 * call, in the kernel's words for it:
 *
 *	kmem: shared segment corrupted: caches[5] = 0x... outside the direct map; refusing slabinfo
 *
 * and the view returns -EUCLEAN (the control reply is then an error object
 * carrying that message, __kmem_segment_error()).  Nothing here is on an
 * allocation path: the fast paths trust the segment as the kernel trusts
 * its own memory.  The checks are racy by nature (another process may write
 * between the check and the use, and a view reads some values again after
 * checking them); they catch a segment that was corrupted before the view
 * ran, which is what a crashed or buggy client leaves behind.
 *
 * Trusted: kmem_mm (this process's own view: mem_base, total_pages, the
 * sizes it mapped).  Everything in kmem_shared and in the memory is checked.
 *
 * No locks of its own.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kasan.h"
#include "slab.h"

/* The last finding of this thread, for the control reply. */
static __thread char segment_error[256];

const char *__kmem_segment_error(void)
{
	return segment_error;
}

void __kmem_segment_error_clear(void)
{
	segment_error[0] = '\0';
}

/*
 * __kmem_segment_corrupt - report what a check found; @view: what is refused
 * because of it ("slabinfo"), or NULL when the caller carries on regardless.
 * Return: -EUCLEAN.
 */
int __kmem_segment_corrupt(const char *view, const char *fmt, ...)
{
	/* what was logged lately: a corrupt field is checked every second, logged once */
	static char logged[8][192];
	static unsigned int next;
	char what[192];
	unsigned int i;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(segment_error, sizeof(segment_error), "shared segment corrupted: %s%s%s", what,
		 view ? "; refusing " : "", view ?: "");
	for (i = 0; i < 8; i++)
		if (!strcmp(logged[i], what))
			return -EUCLEAN;
	snprintf(logged[next++ % 8], sizeof(logged[0]), "%s", what);
	__kmem_printk("kmem: %s\n", segment_error);
	return -EUCLEAN;
}

/*
 * The node and CPU counts to index by: the daemon built the segment and
 * keeps its own copy; an attached process has only the shared one.
 */
u32 __kmem_seg_nodes(void)
{
	return kmem_mm.nr_nodes ?: READ_ONCE(kmem_mm.shm->nr_nodes);
}

u32 __kmem_seg_cpus(void)
{
	return kmem_mm.nr_cpu_ids ?: READ_ONCE(kmem_mm.shm->nr_cpu_ids);
}

/* The header counts every view indexes by. */
int __kmem_check_segment(const char *view)
{
	const struct kmem_shared *shm = kmem_mm.shm;
	u32 nodes = READ_ONCE(shm->nr_nodes), cpus = READ_ONCE(shm->nr_cpu_ids);

	if (!nodes || nodes > MAX_NUMNODES)
		return __kmem_segment_corrupt(view, "nr_nodes = %u (1..%u)", nodes, MAX_NUMNODES);
	if (!cpus || cpus > KMEM_MAX_CPUS)
		return __kmem_segment_corrupt(view, "nr_cpu_ids = %u (1..%u)", cpus, KMEM_MAX_CPUS);
	if (kmem_mm.nr_nodes && nodes != kmem_mm.nr_nodes)
		return __kmem_segment_corrupt(view, "kmem_shared.nr_nodes = %u, built with %u", nodes,
					      kmem_mm.nr_nodes);
	if (kmem_mm.nr_cpu_ids && cpus != kmem_mm.nr_cpu_ids)
		return __kmem_segment_corrupt(view, "kmem_shared.nr_cpu_ids = %u, built with %u",
					      cpus, kmem_mm.nr_cpu_ids);
	if (READ_ONCE(shm->total_pages) != kmem_mm.total_pages)
		return __kmem_segment_corrupt(view, "kmem_shared.total_pages = %llu, mapped %llu",
					      (unsigned long long)READ_ONCE(shm->total_pages),
					      (unsigned long long)kmem_mm.total_pages);
	return 0;
}

/*
 * Is [off, off + len) (mem_base offsets) inside one node's direct map?
 * The node ranges come from the segment too, so they are bounded by the
 * pfn space this process mapped first.
 */
static bool in_direct_map(u64 off, u64 len)
{
	u32 nodes = __kmem_seg_nodes(), nid;

	if (nodes > MAX_NUMNODES)
		return false;
	for (nid = 0; nid < nodes; nid++) {
		const struct pglist_data *pgdat = &kmem_mm.shm->node_data[nid];
		u64 start = READ_ONCE(pgdat->direct_start_pfn);
		u64 pages = READ_ONCE(pgdat->direct_pages);

		if (start > kmem_mm.total_pages || pages > kmem_mm.total_pages - start)
			continue;
		start <<= PAGE_SHIFT;
		if (off >= start && len <= (pages << PAGE_SHIFT) && off - start <= (pages << PAGE_SHIFT) - len)
			return true;
	}
	return false;
}

bool __kmem_pfn_valid(u64 pfn)
{
	return pfn < kmem_mm.total_pages && kmem_pfn_online(pfn);
}

int __kmem_check_cache(unsigned int id, u64 off, const char *view)
{
	const struct kmem_cache *s;
	u32 nodes = __kmem_seg_nodes();
	u32 cpus = __kmem_seg_cpus();
	u32 size, object_size, objects, order, stride, state;
	u64 cpu_off, node_off;

	if ((off & 7) || !in_direct_map(off, sizeof(*s)))
		return __kmem_segment_corrupt(view, "caches[%u] = %#llx outside the direct map", id,
					      (unsigned long long)off);
	s = cache_at(off);
	/*
	 * The struct may be another process's allocation, still poisoned in
	 * this process's shadow (see kasan_shared_cache()); open just the
	 * struct, since the block size recorded in its page is not checked yet.
	 */
	kasan_unpoison(s, sizeof(*s));
	if (kasan_valgrind())
		__kasan_vg_defined(s, sizeof(*s));
	state = READ_ONCE(s->state);
	if (state != KMEM_CACHE_ALIVE && state != KMEM_CACHE_LEAKED)
		return __kmem_segment_corrupt(view, "caches[%u] at %#llx: state %u", id,
					      (unsigned long long)off, state);
	if (READ_ONCE(s->id) != id)
		return __kmem_segment_corrupt(view, "caches[%u] at %#llx: id %u", id,
					      (unsigned long long)off, READ_ONCE(s->id));
	if (!memchr(s->name, '\0', sizeof(s->name)))
		return __kmem_segment_corrupt(view, "caches[%u] at %#llx: name not terminated", id,
					      (unsigned long long)off);
	size = READ_ONCE(s->size);
	object_size = READ_ONCE(s->object_size);
	objects = READ_ONCE(s->objects);
	order = READ_ONCE(s->order);
	if (!size || object_size > size || !objects || order > MAX_PAGE_ORDER ||
	    (u64)objects * size > (PAGE_SIZE << order))
		return __kmem_segment_corrupt(view, "caches[%u] '%.*s': size %u, object_size %u, "
					      "%u objects of order %u", id, KMEM_CACHE_NAME_LEN,
					      s->name, size, object_size, objects, order);
	stride = READ_ONCE(s->cpu_stride);
	cpu_off = READ_ONCE(s->cpu_off);
	if (stride < sizeof(struct kmem_cache_cpu) || !in_direct_map(cpu_off, (u64)stride * cpus))
		return __kmem_segment_corrupt(view, "caches[%u] '%.*s': cpu_off %#llx (stride %u) "
					      "outside the direct map", id, KMEM_CACHE_NAME_LEN,
					      s->name, (unsigned long long)cpu_off, stride);
	node_off = READ_ONCE(s->node_off);
	if ((node_off & 7) ||
	    !in_direct_map(node_off, (u64)nodes * sizeof(struct kmem_cache_node)))
		return __kmem_segment_corrupt(view, "caches[%u] '%.*s': node_off %#llx outside the "
					      "direct map", id, KMEM_CACHE_NAME_LEN, s->name,
					      (unsigned long long)node_off);
	return 0;
}

int __kmem_check_slab_pfn(const struct kmem_cache *s, int nid, const char *list, u64 pfn,
			  const char *view)
{
	if (!__kmem_pfn_valid(pfn))
		return __kmem_segment_corrupt(view, "cache '%.*s' node %d %s list: pfn %#llx beyond "
					      "the %llu pages", KMEM_CACHE_NAME_LEN, s->name, nid,
					      list, (unsigned long long)pfn,
					      (unsigned long long)kmem_mm.total_pages);
	if (!(READ_ONCE(__pfn_to_page(pfn)->flags) & PG_slab))
		return __kmem_segment_corrupt(view, "cache '%.*s' node %d %s list: pfn %#llx is not "
					      "a slab", KMEM_CACHE_NAME_LEN, s->name, nid, list,
					      (unsigned long long)pfn);
	return 0;
}

/*
 * Only where a zone's per-CPU lists lie: what recovery needs before it
 * probes their locks, whatever state the rest of the zone was left in by a
 * client that died holding its lock.
 */
int __kmem_check_zone_pcp_off(int nid, int z, const char *view)
{
	const struct zone *zone = &NODE_DATA(nid)->node_zones[z];
	u64 pcp_off = READ_ONCE(zone->pcp_off);

	if (pcp_off % _Alignof(struct per_cpu_pages) || pcp_off > kmem_mm.shm_size ||
	    (u64)__kmem_seg_cpus() * sizeof(struct per_cpu_pages) > kmem_mm.shm_size - pcp_off)
		return __kmem_segment_corrupt(view, "node %d zone %d: pcp_off %#llx outside the "
					      "segment", nid, z, (unsigned long long)pcp_off);
	return 0;
}

int __kmem_check_zone(int nid, int z, const char *view)
{
	const struct zone *zone = &NODE_DATA(nid)->node_zones[z];
	u64 start = READ_ONCE(zone->zone_start_pfn), spanned = READ_ONCE(zone->spanned_pages);
	u64 present = READ_ONCE(zone->present_pages), pcp_off = READ_ONCE(zone->pcp_off);
	u32 cpus = __kmem_seg_cpus();
	unsigned int o, cpu;

	if (READ_ONCE(zone->node) != (u32)nid || READ_ONCE(zone->idx) != (u32)z)
		return __kmem_segment_corrupt(view, "node %d zone %d says node %u zone %u", nid, z,
					      READ_ONCE(zone->node), READ_ONCE(zone->idx));
	if (start > kmem_mm.total_pages || spanned > kmem_mm.total_pages - start)
		return __kmem_segment_corrupt(view, "node %d zone %d: zone_start_pfn %#llx + "
					      "spanned_pages %llu beyond the %llu pages", nid, z,
					      (unsigned long long)start, (unsigned long long)spanned,
					      (unsigned long long)kmem_mm.total_pages);
	if (present > spanned)
		return __kmem_segment_corrupt(view, "node %d zone %d: present_pages %llu > "
					      "spanned_pages %llu", nid, z,
					      (unsigned long long)present,
					      (unsigned long long)spanned);
	if (READ_ONCE(zone->managed_pages) > present)
		return __kmem_segment_corrupt(view, "node %d zone %d: managed_pages %llu > "
					      "present_pages %llu", nid, z,
					      (unsigned long long)READ_ONCE(zone->managed_pages),
					      (unsigned long long)present);
	if (READ_ONCE(zone->free_pages) > spanned)
		return __kmem_segment_corrupt(view, "node %d zone %d: free_pages %llu of %llu", nid,
					      z, (unsigned long long)READ_ONCE(zone->free_pages),
					      (unsigned long long)spanned);
	for (o = 0; o < NR_PAGE_ORDERS; o++) {
		u32 head = READ_ONCE(zone->free_area[o].head);
		u64 nr = READ_ONCE(zone->free_area[o].nr_free);

		if (head != PFN_NIL && (head < start || head - start >= spanned))
			return __kmem_segment_corrupt(view, "node %d zone %d free_area[%u].head = "
						      "pfn %#x outside the zone", nid, z, o, head);
		if (nr > (spanned >> o))
			return __kmem_segment_corrupt(view, "node %d zone %d free_area[%u].nr_free "
						      "= %llu", nid, z, o, (unsigned long long)nr);
	}
	if (!present)
		return 0;
	if (pcp_off % _Alignof(struct per_cpu_pages) || pcp_off > kmem_mm.shm_size ||
	    (u64)cpus * sizeof(struct per_cpu_pages) > kmem_mm.shm_size - pcp_off)
		return __kmem_segment_corrupt(view, "node %d zone %d: pcp_off %#llx outside the "
					      "segment", nid, z, (unsigned long long)pcp_off);
	for (cpu = 0; cpu < cpus; cpu++) {
		const struct per_cpu_pages *pcp =
			(const struct per_cpu_pages *)((const char *)kmem_mm.shm + pcp_off) + cpu;

		for (o = 0; o < NR_PCP_ORDERS; o++) {
			u64 count = READ_ONCE(pcp->word[o]) & PCP_COUNT_MASK;

			if (count > PCP_SLOTS)
				return __kmem_segment_corrupt(view, "node %d zone %d cpu %u: "
							      "order-%u pcp count %llu > %u", nid,
							      z, cpu, o, (unsigned long long)count,
							      PCP_SLOTS);
		}
	}
	return 0;
}

/* Every zone of every node: what the zone views read. */
int __kmem_check_zones(const char *view)
{
	int ret = __kmem_check_segment(view);
	int nid, z;

	for (nid = 0; !ret && nid < (int)__kmem_seg_nodes(); nid++)
		for (z = 0; !ret && z < MAX_NR_ZONES; z++)
			ret = __kmem_check_zone(nid, z, view);
	return ret;
}
