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

static void fill_stats(struct kmem_cache *s, struct kmem_cache_stats *st)
{
	unsigned int nid;

	memset(st, 0, sizeof(*st));
	snprintf(st->name, sizeof(st->name), "%s", s->name);
	st->objsize = s->size;
	st->object_size = s->object_size;
	st->objperslab = s->objects;
	st->pagesperslab = 1u << s->order;
	st->flags = s->flags;
	st->leaked = s->state == KMEM_CACHE_LEAKED;
	st->debug_reports = READ_ONCE(s->debug_reports);
	st->ctor_calls = READ_ONCE(s->ctor_calls);
	for (nid = 0; nid < kmem_mm.shm->nr_nodes; nid++) {
		struct kmem_cache_node *n = cache_node(s, (int)nid);
		u64 nr_free = 0;
		u32 pfn;

		kmem_mutex_lock(&n->list_lock);
		for (pfn = n->partial; pfn != PFN_NIL; pfn = __pfn_to_page(pfn)->buddy.next)
			nr_free += s->objects -
				   SLAB_INUSE(__atomic_load_n(slab_word(__pfn_to_page(pfn)),
							      __ATOMIC_RELAXED));
		kmem_mutex_unlock(&n->list_lock);
		st->num_slabs += READ_ONCE(n->nr_slabs);
		st->num_objs += READ_ONCE(n->total_objects);
		st->active_objs -= nr_free;
	}
	st->active_objs += st->num_objs;
	st->active_slabs = st->num_slabs;
}

int kmem_cache_get_stats(struct kmem_cache *s, struct kmem_cache_stats *st)
{
	if (!s || !kmem_initialized())
		return -EINVAL;
	fill_stats(s, st);
	return 0;
}

int kmem_cache_stats_next(unsigned int *iter, struct kmem_cache_stats *st)
{
	struct kmem_shared *shm;

	if (kmem_ensure_init())
		return -ENOMEM;
	shm = kmem_mm.shm;
	while (++*iter < KMEM_MAX_CACHES) {
		u64 off = READ_ONCE(shm->caches[*iter]);

		if (!off)
			continue;
		kasan_shared_cache(cache_at(off));
		fill_stats(cache_at(off), st);
		return 0;
	}
	return -ENOENT;
}

int kmem_show_slabinfo(FILE *f)
{
	struct kmem_cache_stats st;
	unsigned int iter = 0;

	if (kmem_ensure_init())
		return -ENOMEM;
	fprintf(f, "slabinfo - version: 2.1\n"
		   "# name            <active_objs> <num_objs> <objsize> <objperslab> "
		   "<pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata "
		   "<active_slabs> <num_slabs> <sharedavail>\n");
	while (!kmem_cache_stats_next(&iter, &st))
		fprintf(f, "%-17s %6llu %6llu %6u %4u %4d : tunables %4u %4u %4u : slabdata "
			   "%6llu %6llu %6lu\n",
			st.name, (unsigned long long)st.active_objs, (unsigned long long)st.num_objs,
			st.objsize, st.objperslab, (int)st.pagesperslab, 0u, 0u, 0u,
			(unsigned long long)st.active_slabs, (unsigned long long)st.num_slabs, 0UL);
	return 0;
}
