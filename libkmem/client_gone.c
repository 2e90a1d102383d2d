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
#include <string.h>

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

	if (__kmem_check_segment("recovery"))
		return -EUCLEAN;
	for (nid = 0; nid < __kmem_seg_nodes(); nid++) {
		for (z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &shm->node_data[nid].node_zones[z];

			if (!zone_populated(zone))
				continue;
			/* the zone's place in the segment is fixed: its lock is always there */
			busy |= __kmem_lock_probe(&zone->lock, 10, recovered);
			if (__kmem_check_zone_pcp_off((int)nid, (int)z, "recovery"))
				continue;	/* the per-CPU lists' locks are not where it says */
			/* unused in rseq mode, and then never held: free to probe */
			for (cpu = 0; cpu < __kmem_seg_cpus(); cpu++)
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
	if (!ret)
		__kmem_vm_records_client_gone(client_id);
	/* a lock recovered by an allocation of this process meanwhile counts too */
	r->locks_recovered += __atomic_load_n(&__kmem_locks_recovered, __ATOMIC_RELAXED) - before;
	return ret;
}

/* ------------------------------------------------------------------ */
/* what each client holds: the clients view and the orphans listing     */
/* ------------------------------------------------------------------ */

#define USAGE_MAX_CACHES	64

/* The caches whose slabs record object owners, checked once per walk. */
struct owner_caches {
	unsigned int nr;
	u64 off[USAGE_MAX_CACHES];
};

static void find_owner_caches(struct owner_caches *oc, const char *view)
{
	struct kmem_shared *shm = kmem_mm.shm;
	unsigned int id;

	oc->nr = 0;
	for (id = 1; id < KMEM_MAX_CACHES && oc->nr < USAGE_MAX_CACHES; id++) {
		u64 off = READ_ONCE(shm->caches[id]);
		const struct kmem_cache *s;
		u64 slab_bytes, last_slot;

		if (!off || __kmem_check_cache(id, off, view))
			continue;
		s = cache_at(off);
		if (!READ_ONCE(s->owners_off))
			continue;
		/* the vector must lie inside the slab, past the objects */
		slab_bytes = PAGE_SIZE << s->order;
		last_slot = ((u64)s->red_left_pad + (u64)(s->objects - 1) * s->size) >>
			    s->owner_shift;
		if (s->owner_shift > 31 || (1ULL << s->owner_shift) > s->size ||
		    s->owners_off < (u64)s->red_left_pad + (u64)s->objects * s->size ||
		    (s->owners_off & 3) ||
		    s->owners_off + (last_slot + 1) * sizeof(u32) > slab_bytes) {
			__kmem_segment_corrupt(view, "cache '%.*s': object owners at %u (shift %u) "
					       "outside its slabs", KMEM_CACHE_NAME_LEN, s->name,
					       s->owners_off, s->owner_shift);
			continue;
		}
		oc->off[oc->nr++] = off;
	}
}

static const struct kmem_cache *owner_cache(const struct owner_caches *oc, u64 off)
{
	unsigned int i;

	for (i = 0; i < oc->nr; i++)
		if (oc->off[i] == off)
			return cache_at(off);
	return NULL;
}

static struct kmem_client_usage *usage_of(struct kmem_client_usage *u, unsigned int nr, u32 id)
{
	unsigned int i;

	if (!id)
		return NULL;
	for (i = 0; i < nr; i++)
		if (u[i].id == id)
			return &u[i];
	return NULL;
}

/*
 * Walk the memmap once: blocks by their owner, and in the slabs of the
 * owner-recording caches, each allocated object by its owner.  Read-only
 * and lock-free: live clients allocate and free meanwhile, so the figures
 * are a snapshot that may be a few objects off, never a wild read (every
 * block and vector is bounds-checked first).  @fn, when given, is called
 * for each object of @u[0].id.
 */
static void usage_walk(struct kmem_client_usage *u, unsigned int nr, const char *view,
		       void (*fn)(void *object, const char *cache, unsigned int object_size,
				  void *arg), void *arg)
{
	u64 pfn, total = kmem_mm.total_pages;
	struct owner_caches oc;

	find_owner_caches(&oc, view);
	for (pfn = 0; pfn < total; pfn++) {
		struct page *page = __pfn_to_page(pfn);
		u32 flags = READ_ONCE(page->flags);
		unsigned int order = READ_ONCE(page->order);
		const struct kmem_cache *s;
		struct kmem_client_usage *cu;
		u64 size, i;
		char *base;

		if ((READ_ONCE(page->compound_head) & 1) || order > MAX_PAGE_ORDER)
			continue;
		size = 1ULL << order;
		if ((pfn & (size - 1)) || pfn + size > total)
			continue;
		if (flags & (PG_buddy | PG_reserved | PG_hwpoison) ||
		    READ_ONCE(page->_refcount) <= 0) {
			if (flags & PG_buddy)
				pfn += size - 1;
			continue;
		}
		cu = usage_of(u, nr, READ_ONCE(page->owner));
		if (cu) {
			if (flags & PG_slab)
				cu->slab_pages += size;
			else if (flags & PG_highmem)
				cu->vmalloc_pages += size;
			else
				cu->pages += size;
		}
		s = flags & PG_slab ? owner_cache(&oc, READ_ONCE(page->slab[0])) : NULL;
		if (s && READ_ONCE(s->order) == order) {
			base = __page_address(page);
			for (i = 0; i < s->objects; i++) {
				u64 at = s->red_left_pad + i * s->size;
				u32 owner = __atomic_load_n((u32 *)(base + s->owners_off) +
							    (at >> s->owner_shift),
							    __ATOMIC_RELAXED);

				cu = owner ? usage_of(u, nr, owner) : NULL;
				if (!cu)
					continue;
				cu->objects++;
				cu->object_bytes += s->object_size;
				if (fn && cu == u)
					fn(base + at, s->name, s->object_size, arg);
			}
		}
		pfn += size - 1;
	}
}

int __kmem_client_usage(struct kmem_client_usage *u, unsigned int nr)
{
	unsigned int i;

	if (!kmem_initialized())
		return -ENODEV;
	if (__kmem_check_segment("clients"))
		return -EUCLEAN;
	for (i = 0; i < nr; i++) {
		u32 id = u[i].id;

		memset(&u[i], 0, sizeof(u[i]));
		u[i].id = id;
	}
	usage_walk(u, nr, "clients", NULL, NULL);
	return 0;
}

int __kmem_client_objects(u32 client_id,
			  void (*fn)(void *object, const char *cache, unsigned int object_size,
				     void *arg), void *arg, struct kmem_client_usage *usage)
{
	if (!kmem_initialized())
		return -ENODEV;
	if (!client_id)
		return -EINVAL;
	if (__kmem_check_segment("orphans"))
		return -EUCLEAN;
	memset(usage, 0, sizeof(*usage));
	usage->id = client_id;
	usage_walk(usage, 1, "orphans", fn, arg);
	return 0;
}
