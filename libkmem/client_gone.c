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
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "os.h"
#include "slab.h"

/* Is @page the metadata block of a cache still in caches[] (a leaked one)? */
static bool page_is_cache_meta(const struct page *page)
{
	struct kmem_shared *shm = kmem_mm.shm;
	unsigned int id;

	for (id = 1; id < KMEM_MAX_CACHES; id++) {
		u64 off = READ_ONCE(shm->caches[id]);

		if (off && off < (kmem_mm.total_pages << PAGE_SHIFT) && !__kmem_cache_id_fenced(id) &&
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
		/* first: a section it was onlining or offlining is finished or undone */
		busy |= __kmem_lock_probe(&shm->node_data[nid].hotplug_lock, 10, recovered);
		for (z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &shm->node_data[nid].node_zones[z];

			if (!zone_populated(zone) || __kmem_zone_fenced(zone))
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
	for (pfn = kmem_next_online_pfn(0, total); pfn < total;
	     pfn = kmem_next_online_pfn(pfn + 1, total)) {
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
		if (!__kmem_block_zone_trusted(pfn, order)) {
			pfn += size - 1;
			continue;	/* a fenced zone's: left where it is */
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
	/*
	 * Locks recovered since the last report count for this client: the
	 * daemon's checks before it acts (segment.c) may have been the first
	 * to take a lock the client died holding.
	 */
	static u32 reported;
	u32 before = reported;
	u32 recovered = 0;
	int ret;

	if (!kmem_initialized() || kmem_mm.owner || !client_id)
		return -EINVAL;
	ret = __kmem_segment_gate("recovery");
	if (ret)
		return ret;
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
	if (!ret) {
		u64 charges = 0;

		__kmem_vm_records_client_gone(client_id);
		ret = __kmem_vm_charges_client_gone(client_id, &charges);
		r->vmalloc_charges_returned += (u32)charges;
	}
	/* a lock recovered by an allocation of this process meanwhile counts too */
	reported = __atomic_load_n(&__kmem_locks_recovered, __ATOMIC_RELAXED);
	r->locks_recovered += reported - before;
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

		if (!off || __kmem_cache_id_fenced(id) || __kmem_check_cache(id, off, view))
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
	for (pfn = kmem_next_online_pfn(0, total); pfn < total;
	     pfn = kmem_next_online_pfn(pfn + 1, total)) {
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

/* ------------------------------------------------------------------ */
/* freeing what a dead client left: the orphan policy's means          */
/* ------------------------------------------------------------------ */

struct orphan_set {
	void **objs;
	size_t nr, cap;
	bool oom;
};

static void orphan_collect(void *object, const char *cache, unsigned int object_size, void *arg)
{
	struct orphan_set *set = arg;

	(void)cache;
	(void)object_size;
	if (set->nr == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 1024;
		void **objs = set->oom ? NULL : os_reallocarray(set->objs, cap, sizeof(*objs));

		if (!objs) {
			set->oom = true;
			return;
		}
		set->objs = objs;
		set->cap = cap;
	}
	set->objs[set->nr++] = object;
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* Is @object still allocated by @client_id (its owner slot says so)? */
static bool still_orphan(const void *object, u32 client_id)
{
	struct page *slab = kmem_head_page(object);
	const struct kmem_cache *s;
	u64 off;

	if (!slab || !(READ_ONCE(slab->flags) & PG_slab))
		return false;
	off = READ_ONCE(slab->slab[0]);
	if (!off || off >= (kmem_mm.total_pages << PAGE_SHIFT))
		return false;
	s = cache_at(off);
	if (!s->owners_off || obj_to_index(s, slab, object) == UINT32_MAX)
		return false;
	return __atomic_load_n(obj_owner_slot(s, object), __ATOMIC_RELAXED) == client_id;
}

/**
 * __kmem_client_free_orphans - kfree() every object of the shared kmalloc
 * caches that dead client @client_id allocated and no one has freed, and
 * its large kmalloc blocks, from this process (the daemon), as if their
 * last user freed them.  A kfree_rcu() object still waiting for its grace
 * period is left to it.  Only safe when no live process holds a pointer to
 * them: the caller's policy decides (docs/attach.md, "When a client dies").
 * @freed: what was freed (objects, object_bytes, pages).
 * Context: the daemon, no kmem lock held.  Return: 0, -EINVAL, -ENOMEM,
 * -EUCLEAN (corrupted segment: nothing freed).
 */
int __kmem_client_free_orphans(u32 client_id, struct kmem_client_usage *freed)
{
	u64 deferred[KMEM_RCU_MAX_DEFERRED], pfn, total = kmem_mm.total_pages;
	struct orphan_set set = { 0 };
	struct kmem_client_usage usage;
	unsigned int nr_deferred;
	size_t i;
	int ret;

	memset(freed, 0, sizeof(*freed));
	freed->id = client_id;
	if (!kmem_initialized() || kmem_mm.owner)
		return -EINVAL;
	ret = __kmem_segment_gate("orphans.free");
	if (ret)
		return ret;
	ret = __kmem_client_objects(client_id, orphan_collect, &set, &usage);
	if (ret || set.oom) {
		os_free(set.objs);
		return ret ?: -ENOMEM;
	}
	nr_deferred = __kmem_rcu_deferred_objects(deferred, KMEM_RCU_MAX_DEFERRED);
	qsort(deferred, nr_deferred, sizeof(u64), cmp_u64);
	for (i = 0; i < set.nr; i++) {
		u64 off = kmem_off(set.objs[i]);
		struct page *slab;

		if (bsearch(&off, deferred, nr_deferred, sizeof(u64), cmp_u64) ||
		    !still_orphan(set.objs[i], client_id))
			continue;
		slab = kmem_head_page(set.objs[i]);
		freed->objects++;
		freed->object_bytes += cache_at(slab->slab[0])->object_size;
		kfree(set.objs[i]);
	}
	os_free(set.objs);
	for (pfn = kmem_next_online_pfn(0, total); pfn < total;
	     pfn = kmem_next_online_pfn(pfn + 1, total)) {
		struct page *page = __pfn_to_page(pfn);
		unsigned int order = READ_ONCE(page->order);

		if (!(READ_ONCE(page->flags) & PG_large_kmalloc) || (page->compound_head & 1) ||
		    READ_ONCE(page->owner) != client_id || READ_ONCE(page->_refcount) <= 0 ||
		    order > MAX_PAGE_ORDER || (pfn & ((1ULL << order) - 1)) ||
		    pfn + (1ULL << order) > total)
			continue;
		freed->pages += 1ULL << order;
		kfree(__page_address(page));
		pfn += (1ULL << order) - 1;
	}
	return 0;
}

/*
 * __kmem_client_has_caches - are caches that dead client @client_id created
 * still there (kept: objects were allocated in them)?
 */
bool __kmem_client_has_caches(u32 client_id)
{
	struct kmem_shared *shm = kmem_mm.shm;
	unsigned int id;

	for (id = 1; id < KMEM_MAX_CACHES; id++) {
		u64 off = READ_ONCE(shm->caches[id]);

		if (off && off < (kmem_mm.total_pages << PAGE_SHIFT) && !__kmem_cache_id_fenced(id) &&
		    READ_ONCE(cache_at(off)->owner) == client_id)
			return true;
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* blocks caught between a per-CPU list and a reference                */
/* ------------------------------------------------------------------ */

static bool kswapd_busy(void)
{
	unsigned int nid;

	for (nid = 0; nid < kmem_mm.nr_nodes; nid++)
		if (__atomic_load_n(&kmem_mm.shm->node_data[nid].kswapd_running, __ATOMIC_ACQUIRE))
			return true;
	return false;
}

/* Write in @pcp_order[pfn] the order + 1 of every block listed on a per-CPU list. */
static void mark_pcp_blocks(u8 *pcp_order)
{
	struct kmem_shared *shm = kmem_mm.shm;
	unsigned int nid, z, cpu, o, i;

	for (nid = 0; nid < kmem_mm.nr_nodes; nid++) {
		for (z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &shm->node_data[nid].node_zones[z];

			if (!zone_populated(zone) || __kmem_zone_fenced(zone))
				continue;
			for (cpu = 0; cpu < kmem_mm.nr_cpu_ids; cpu++) {
				struct per_cpu_pages *pcp = zone_pcp(zone, (int)cpu);

				for (o = 0; o < NR_PCP_ORDERS; o++) {
					u32 count = (u32)(READ_ONCE(pcp->word[o]) & PCP_COUNT_MASK);

					for (i = 0; i < count && i < PCP_SLOTS; i++) {
						u32 pfn = READ_ONCE(pcp->slots[o][i]);

						if (pfn < kmem_mm.total_pages)
							pcp_order[pfn] = (u8)(o + 1);
					}
				}
			}
		}
	}
}

/* Is [@pfn, +2^@order) a block in no one's hands: no reference, owner, or list? */
static bool block_in_limbo(const u8 *pcp_order, u64 pfn, unsigned int order)
{
	u64 i, size = 1ULL << order;

	if (order >= NR_PCP_ORDERS || (pfn & (size - 1)) || pfn + size > kmem_mm.total_pages ||
	    __kmem_pfn_inside_block(pfn, order))
		return false;
	for (i = 0; i < size; i++) {
		const struct page *page = __pfn_to_page(pfn + i);

		if (pcp_order[pfn + i] || READ_ONCE(page->_refcount) || READ_ONCE(page->owner) ||
		    (READ_ONCE(page->compound_head) & 1) ||
		    (READ_ONCE(page->flags) & (PG_buddy | PG_reserved | PG_slab | PG_hwpoison)))
			return false;
	}
	return true;
}

/*
 * __kmem_sweep_limbo - take back the blocks that dead clients had in their
 * hands between a per-CPU list and a reference: popped (rseq) and killed
 * before prep_new_page() wrote their id, or cleared to owner 0 and killed
 * before the push.  Such a block has no reference, no owner, no PG_buddy
 * and is on no per-CPU list.  Only the daemon may call this, and only when
 * no client is alive: a live process can hold a block that way for a few
 * instructions, kmemd's own kswapd too (so it is not running, before and
 * after), and a block is taken only if it looks so twice, @settle_ms apart.
 * The walk steps from block to block as the allocator laid them out.
 * Return: pages taken back, or -EBUSY (try later), -ENOMEM, -EINVAL.
 */
long __kmem_sweep_limbo(unsigned int settle_ms)
{
	u64 total = kmem_mm.total_pages, pfn, size, *cand = NULL;
	size_t nr = 0, cap = 0, i;
	long pages = 0;
	u8 *pcp_order;

	if (!kmem_initialized() || kmem_mm.owner)
		return -EINVAL;
	if (__kmem_segment_gate("the sweep of blocks in no one's hands"))
		return -EUCLEAN;
	if (kswapd_busy())
		return -EBUSY;
	pcp_order = os_calloc(total, 1);
	if (!pcp_order)
		return -ENOMEM;
	mark_pcp_blocks(pcp_order);
	for (pfn = kmem_next_online_pfn(0, total); pfn < total;
	     pfn = kmem_next_online_pfn(pfn + size, total)) {
		const struct page *page = __pfn_to_page(pfn);
		unsigned int order = READ_ONCE(page->order);

		size = 1;
		if (pcp_order[pfn]) {
			size = 1ULL << (pcp_order[pfn] - 1);
			continue;
		}
		if (order > MAX_PAGE_ORDER || (READ_ONCE(page->compound_head) & 1))
			continue;
		if (!(pfn & ((1ULL << order) - 1)) && pfn + (1ULL << order) <= total)
			size = 1ULL << order;
		if (!block_in_limbo(pcp_order, pfn, order) || !__kmem_block_zone_trusted(pfn, order))
			continue;
		if (nr == cap) {
			u64 *c = os_reallocarray(cand, cap ? cap * 2 : 64, sizeof(*c));

			if (!c)
				break;
			cand = c;
			cap = cap ? cap * 2 : 64;
		}
		cand[nr++] = pfn;
	}
	if (nr) {
		struct timespec ts = { 0, (long)settle_ms * 1000000L };

		nanosleep(&ts, NULL);
		memset(pcp_order, 0, total);
		mark_pcp_blocks(pcp_order);
	}
	for (i = 0; i < nr && !kswapd_busy(); i++) {
		struct page *page = __pfn_to_page(cand[i]);
		unsigned int order = READ_ONCE(page->order);

		if (!block_in_limbo(pcp_order, cand[i], order))
			continue;
		if (__kmem_return_block(page, order)) {
			pages = pages ?: -EBUSY;
			break;
		}
		__kmem_printk("kmem: pfn %llu order %u was in no one's hands (a client died taking "
			      "it from a per-CPU list or putting it on one); taken back\n",
			      (unsigned long long)cand[i], order);
		pages += 1L << order;
	}
	os_free(cand);
	os_free(pcp_order);
	return pages;
}
