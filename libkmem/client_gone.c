// SPDX-License-Identifier: MIT
/*
 * What the daemon does when one of its clients dies (docs/attach.md,
 * "When a client dies"): recover the locks it died holding, then give
 * back the memory only it could have freed.
 *
 * A client's death is seen by the daemon's event loop (socket and pidfd),
 * which calls __kmem_client_gone() once the process is gone.  The other
 * clients run on meanwhile: everything here takes the allocator's own
 * locks as any allocation would, and probes the robust mutexes with a
 * timeout, so a lock a live client holds delays the recovery (the caller
 * retries) but never blocks the daemon.
 */
#include <errno.h>

#include "internal.h"
#include "slab.h"

/* Is @page the metadata block of a cache still in caches[] (a leaked one)? */
static bool page_is_cache_meta(const struct page *page)
{
	struct kmem_shared *shm = kmem_mm.shm;
	unsigned int id;

	for (id = 1; id < KMEM_MAX_CACHES; id++) {
		u64 off = READ_ONCE(shm->caches[id]);

		if (off && off < (kmem_mm.total_pages << PAGE_SHIFT) &&
		    kmem_mm.memmap + (off >> PAGE_SHIFT) == page)
			return true;
	}
	return false;
}

/* Probe every zone's lock and per-CPU list locks.  Return: 0 or -EBUSY. */
static int probe_zone_locks(u32 *recovered)
{
	struct kmem_shared *shm = kmem_mm.shm;
	unsigned int nid, z, cpu;
	int busy = 0;

	for (nid = 0; nid < shm->nr_nodes; nid++) {
		for (z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &shm->node_data[nid].node_zones[z];

			if (!zone_populated(zone))
				continue;
			busy |= __kmem_lock_probe(&zone->lock, 10, recovered);
			/* unused in rseq mode, and then never held: free to probe */
			for (cpu = 0; cpu < shm->nr_cpu_ids; cpu++)
				busy |= __kmem_lock_probe(&zone_pcp(zone, (int)cpu)->lock, 10,
							  recovered);
		}
	}
	return busy ? -EBUSY : 0;
}

/*
 * A block the dead client was taking or giving back has no reference yet;
 * none of its pages may head a free block, else its order is not the one
 * it was allocated with and returning it would list free pages twice.
 */
static bool inflight_block_free_of_buddies(u64 pfn, u64 size)
{
	u64 i;

	for (i = 0; i < size; i++)
		if (READ_ONCE(__pfn_to_page(pfn + i)->flags) & PG_buddy)
			return false;
	return true;
}

/*
 * The memmap walk: every block still allocated by @client_id.  A block is
 * known by its head page: refcount >= 1 and not a tail (tails keep
 * refcount 0, except alloc_pages_exact()'s, each its own order-0 block).
 *
 * A block caught half allocated or half freed (owner written, refcount
 * still 0, not on any free list) is taken back too: only the dying client
 * writes owner = its id on a page with refcount 0 (prep_new_page() before
 * it publishes the reference, free_the_page() clears it right after the
 * reference drops), so no one else can be using it.
 */
static int return_pages(u32 client_id, struct kmem_client_report *r)
{
	u64 pfn, total = kmem_mm.total_pages;

	/* counted afresh on each pass: they stay */
	r->large_kmalloc_left = r->large_kmalloc_pages_left = 0;
	for (pfn = 0; pfn < total; pfn++) {
		struct page *page = __pfn_to_page(pfn);
		u32 flags = READ_ONCE(page->flags);
		unsigned int order = READ_ONCE(page->order);
		u64 size;

		if (page->owner != client_id || (page->compound_head & 1) ||
		    (flags & (PG_buddy | PG_reserved | PG_hwpoison)) || order > MAX_PAGE_ORDER)
			continue;
		size = 1ULL << order;
		if (pfn & (size - 1) || pfn + size > total)
			continue;
		if (flags & PG_slab)
			continue;	/* objects: the slab layer's, they stay */
		if (flags & PG_large_kmalloc) {
			r->large_kmalloc_left++;
			r->large_kmalloc_pages_left += size;
			pfn += size - 1;
			continue;
		}
		if (page_is_cache_meta(page)) {
			pfn += size - 1;
			continue;	/* a kept cache's struct kmem_cache */
		}
		if (READ_ONCE(page->_refcount) < 0)
			continue;
		if (!READ_ONCE(page->_refcount) && !inflight_block_free_of_buddies(pfn, size)) {
			__kmem_printk("kmem: client %u: pfn %llu order %u overlaps free blocks; "
				      "not taken back\n", client_id, (unsigned long long)pfn, order);
			continue;
		}
		if (__kmem_return_block(page, order))
			return -EBUSY;	/* the rest on the next call */
		r->blocks_returned++;
		if (flags & PG_highmem)
			r->vmalloc_pages_returned += size;
		else
			r->pages_returned += size;
		pfn += size - 1;
	}
	return 0;
}

int __kmem_client_gone(u32 client_id, struct kmem_client_report *r)
{
	u32 before = __atomic_load_n(&__kmem_locks_recovered, __ATOMIC_RELAXED);
	u32 recovered = 0;
	int ret;

	if (!kmem_initialized() || kmem_mm.owner || !client_id)
		return -EINVAL;
	/*
	 * Locks first: the repair must be done before the walk below trusts
	 * the free lists and slab lists, and before anything frees into them.
	 */
	ret = probe_zone_locks(&recovered);
	if (!ret)
		ret = __kmem_slab_client_gone(client_id, &recovered, &r->caches_destroyed,
					      &r->caches_kept);
	if (!ret)
		ret = return_pages(client_id, r);
	/* a lock recovered by an allocation of this process meanwhile counts too */
	r->locks_recovered += __atomic_load_n(&__kmem_locks_recovered, __ATOMIC_RELAXED) - before;
	return ret;
}
