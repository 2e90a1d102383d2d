// SPDX-License-Identifier: MIT
/*
 * slab_common.c - what the kernel's mm/slab_common.c shows of the caches:
 * per-cache statistics and /proc/slabinfo.
 *
 * Readers take each node's list_lock briefly to count the free objects on
 * its partial slabs (the kernel's count_partial()); everything else is read
 * racily.  Objects in per-CPU object caches count as active, as objects on
 * SLUB's CPU slabs do.
 */
#include <errno.h>
#include <string.h>

#include "slab.h"
#include "kasan.h"

/*
 * Caller checked @s (__kmem_check_cache()) when it came from the segment;
 * the slab lists are checked here, under each node's list_lock, as they are
 * walked: every pfn inside the pfn space and a slab, the walk no longer
 * than the pfn space (a cycle), the in-use count within the slab.
 */
static int fill_stats(struct kmem_cache *s, struct kmem_cache_stats *st, const char *view)
{
	u32 nodes = kmem_mm.nr_nodes, objects = READ_ONCE(s->objects);
	unsigned int nid;
	int ret = 0;

	memset(st, 0, sizeof(*st));
	snprintf(st->name, sizeof(st->name), "%.*s", KMEM_CACHE_NAME_LEN, s->name);
	st->objsize = s->size;
	st->object_size = s->object_size;
	st->objperslab = objects;
	st->pagesperslab = 1u << s->order;
	st->flags = s->flags;
	st->leaked = s->state == KMEM_CACHE_LEAKED;
	st->debug_reports = READ_ONCE(s->debug_reports);
	st->ctor_calls = READ_ONCE(s->ctor_calls);
	for (nid = 0; nid < nodes && !ret; nid++) {
		struct kmem_cache_node *n = cache_node(s, (int)nid);
		u64 nr_free = 0, steps = 0;
		u32 pfn;

		ret = __kmem_view_lock(&n->list_lock, "list_lock", view);
		if (ret)
			break;
		for (pfn = READ_ONCE(n->partial); pfn != PFN_NIL;
		     pfn = READ_ONCE(__pfn_to_page(pfn)->buddy.next)) {
			u32 inuse;

			ret = __kmem_check_slab_pfn(s, (int)nid, "partial", pfn, view);
			if (!ret && ++steps > kmem_mm.total_pages)
				ret = __kmem_segment_corrupt(view, "cache '%s' node %u partial list: a "
							     "cycle", st->name, nid);
			if (ret)
				break;
			inuse = SLAB_INUSE(__atomic_load_n(slab_word(__pfn_to_page(pfn)),
							   __ATOMIC_RELAXED));
			if (inuse > objects) {
				ret = __kmem_segment_corrupt(view, "cache '%s' node %u: slab pfn %#x "
							     "has %u of %u objects in use", st->name,
							     nid, pfn, inuse, objects);
				break;
			}
			nr_free += objects - inuse;
		}
		kmem_mutex_unlock(&n->list_lock);
		st->num_slabs += READ_ONCE(n->nr_slabs);
		st->num_objs += READ_ONCE(n->total_objects);
		st->active_objs -= nr_free;
	}
	st->active_objs += st->num_objs;
	st->active_slabs = st->num_slabs;
	return ret;
}

int kmem_cache_get_stats(struct kmem_cache *s, struct kmem_cache_stats *st)
{
	if (!s || !kmem_initialized())
		return -EINVAL;
	return fill_stats(s, st, "kmem_cache_get_stats");
}

/*
 * The daemon runs this for its views on a segment any client can write:
 * every caches[] entry is checked before it is followed (segment.c), and a
 * bad one ends the walk with -EUCLEAN rather than being skipped, so that a
 * view never shows a partial list as if it were whole.
 */
int kmem_cache_stats_next(unsigned int *iter, struct kmem_cache_stats *st)
{
	struct kmem_shared *shm;
	int ret;

	if (kmem_ensure_init())
		return -ENOMEM;
	shm = kmem_mm.shm;
	ret = __kmem_check_segment("slabinfo");
	if (ret)
		return ret;
	while (++*iter < KMEM_MAX_CACHES) {
		u64 off = READ_ONCE(shm->caches[*iter]);

		if (!off)
			continue;
		ret = __kmem_check_cache(*iter, off, "slabinfo");
		if (ret)
			return ret;
		kasan_shared_cache(cache_at(off));
		return fill_stats(cache_at(off), st, "slabinfo");
	}
	return -ENOENT;
}

int kmem_show_slabinfo(FILE *f)
{
	struct kmem_cache_stats st;
	unsigned int iter = 0;
	int ret;

	if (kmem_ensure_init())
		return -ENOMEM;
	fprintf(f, "slabinfo - version: 2.1\n"
		   "# name            <active_objs> <num_objs> <objsize> <objperslab> "
		   "<pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata "
		   "<active_slabs> <num_slabs> <sharedavail>\n");
	while (!(ret = kmem_cache_stats_next(&iter, &st)))
		fprintf(f, "%-17s %6llu %6llu %6u %4u %4d : tunables %4u %4u %4u : slabdata "
			   "%6llu %6llu %6lu\n",
			st.name, (unsigned long long)st.active_objs, (unsigned long long)st.num_objs,
			st.objsize, st.objperslab, (int)st.pagesperslab, 0u, 0u, 0u,
			(unsigned long long)st.active_slabs, (unsigned long long)st.num_slabs, 0UL);
	return ret == -ENOENT ? 0 : ret;
}
