// SPDX-License-Identifier: MIT
/*
 * slub.c - the slab allocator: object caches over the page allocator, SLUB's
 * slabs behind per-CPU object caches ("sheaves", tcmalloc's per-CPU slabs).
 *
 * Allocation:
 *
 *   kmem_cache_alloc()
 *     slab_alloc()                 pop this CPU's object cache (rseq, no lock)
 *       __slab_alloc()             empty: refill a batch
 *         take_from_stash()        the CPU's frozen slab's private free list
 *         get_partial_slab()       freeze a slab off the node's partial list
 *         new_slab()               a fresh slab from the page allocator
 *     __slab_alloc_node()          debug caches, other-node requests and
 *                                  threads without a per-CPU cache: one object
 *                                  straight from a slab under the node lock
 *
 * Freeing:
 *
 *   kmem_cache_free()
 *     slab_free()                  check the object, push it on this CPU's
 *                                  object cache (rseq); an object of another
 *                                  node goes to its slab at once
 *       __slab_flush()             cache full: return a batch to the slabs
 *         __slab_free()            lock-free compare-and-swap onto the slab's
 *                                  free list; the node lock only when the
 *                                  slab changes lists (full -> partial,
 *                                  empty -> discarded)
 *     __slab_free_debug()          debug caches: checks, poison, red zones
 *
 * Lock order:
 *   1. kmem_shared::slab_mutex        cache creation and destruction
 *   2. kmem_cache_cpu::lock           the CPU's stash (frozen slab); the whole
 *                                     object cache in KMEM_PCP_LOCKED mode
 *   3. kmem_cache_node::list_lock     the node's partial and full lists, and
 *                                     each slab's list membership
 *   4. zone::lock                     (page allocator, via new_slab)
 * The page allocator is never entered with a list_lock held.
 *
 * Slab states (the head page's slab[2] holds the enum slab_list):
 *   partial   on the node's partial list; has free objects, or had them
 *             when it was last looked at under list_lock
 *   full      on the node's full list; its free list was empty
 *   frozen    (SLAB_LIST_NONE) owned by one CPU's stash; off every list.
 *             Frees still push onto its free list; the owner puts it back
 *             on a list when the stash runs dry.
 * A free that finds the free list empty (the slab was full) moves the slab
 * to the partial list if it is on the full list; a free that leaves the slab
 * with no objects in use discards it if it is on the partial list and the
 * node keeps more than min_partial slabs.  Such frees take list_lock before
 * their compare-and-swap, so the slab cannot be discarded under them.
 *
 * Objects in per-CPU object caches and stashes count as "inuse" in their
 * slab, as objects in SLUB's CPU slabs do.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <urcu/call-rcu.h>

#include "slab.h"
#include "kasan.h"
#include "os.h"

/* Constructors are code, so they are per process, found by cache id. */
static void (*cache_ctor[KMEM_MAX_CACHES])(void *);
/* This process's view of the kmalloc caches (kmem_shared holds the truth). */
static struct kmem_cache *kmalloc_caches[KMALLOC_NR_TYPES][KMALLOC_NR_CACHES];

#define MAX_BATCH	128

struct track {
	u64 addr;
	u64 when_ns;
	u32 cpu;
	u32 pid;
};
enum track_item { TRACK_ALLOC, TRACK_FREE };

static void __cold slab_err(struct kmem_cache *s, struct page *slab, const char *fmt, ...)
	__printf(3, 4);
static void __cold object_err(struct kmem_cache *s, struct page *slab, u8 *object,
			      const char *reason);

/* ------------------------------------------------------------------ */
/* free pointers and slab words                                        */
/* ------------------------------------------------------------------ */

/* A free object's memory is poisoned: its free pointer is metadata (kasan.h). */
static __always_inline u32 get_freepointer(const struct kmem_cache *s, const void *object)
{
	return kasan_meta_load32((const char *)object + s->offset);
}

static __always_inline void set_freepointer(const struct kmem_cache *s, void *object, u32 fp)
{
	kasan_meta_store32((char *)object + s->offset, fp);
}

/*
 * The cache in slot @id of kmem_shared::caches[], or NULL: an empty slot,
 * an offset outside the memory, or a cache the daemon fenced (segment.c).
 */
static struct kmem_cache *cache_slot(unsigned int id)
{
	u64 off = READ_ONCE(kmem_mm.shm->caches[id]);

	if (!off || off >= (kmem_mm.total_pages << PAGE_SHIFT) || __kmem_cache_id_fenced(id))
		return NULL;
	return cache_at(off);
}

/*
 * kmemd: is @s a cache in its slot that is not fenced?  A slab page names
 * its cache by an offset any client can overwrite.
 */
static bool cache_trusted(const struct kmem_cache *s)
{
	u64 off = kmem_off(s);
	u32 id;

	if (off >= (kmem_mm.total_pages << PAGE_SHIFT) || (off & 7))
		return false;
	id = READ_ONCE(s->id);
	return id && id < KMEM_MAX_CACHES && cache_slot(id) == s;
}

static __always_inline u32 slab_list_of(const struct page *slab)
{
	return (u32)slab->slab[2];
}

static __always_inline void set_slab_list(struct page *slab, enum slab_list l)
{
	slab->slab[2] = l;
}

/* ------------------------------------------------------------------ */
/* node lists (caller holds n->list_lock)                              */
/* ------------------------------------------------------------------ */

static inline void slab_mutex_lock(pthread_mutex_t *m)
{
	kmem_mutex_lock(m);
}

static inline void slab_mutex_unlock(pthread_mutex_t *m)
{
	kmem_mutex_unlock(m);
}

static void list_add_slab(struct kmem_cache_node *n, struct page *slab, enum slab_list l)
{
	u32 *head = l == SLAB_LIST_PARTIAL ? &n->partial : &n->full;
	u32 pfn = (u32)__page_to_pfn(slab);

	slab->buddy.prev = PFN_NIL;
	slab->buddy.next = *head;
	if (*head != PFN_NIL)
		__pfn_to_page(*head)->buddy.prev = pfn;
	*head = pfn;
	set_slab_list(slab, l);
	if (l == SLAB_LIST_PARTIAL)
		WRITE_ONCE(n->nr_partial, n->nr_partial + 1);
}

static void list_del_slab(struct kmem_cache_node *n, struct page *slab)
{
	u32 *head = slab_list_of(slab) == SLAB_LIST_PARTIAL ? &n->partial : &n->full;

	if (slab->buddy.prev == PFN_NIL)
		*head = slab->buddy.next;
	else
		__pfn_to_page(slab->buddy.prev)->buddy.next = slab->buddy.next;
	if (slab->buddy.next != PFN_NIL)
		__pfn_to_page(slab->buddy.next)->buddy.prev = slab->buddy.prev;
	if (slab_list_of(slab) == SLAB_LIST_PARTIAL)
		WRITE_ONCE(n->nr_partial, n->nr_partial - 1);
	set_slab_list(slab, SLAB_LIST_NONE);
}

/* ------------------------------------------------------------------ */
/* slabs from and to the page allocator                                */
/* ------------------------------------------------------------------ */

static void init_object(struct kmem_cache *s, u8 *object, u8 val);

static struct track *get_track(struct kmem_cache *s, u8 *object, enum track_item item);

static void setup_object(struct kmem_cache *s, void *object)
{
	if (unlikely(s->flags & SLAB_DEBUG_FLAGS)) {
		init_object(s, object, SLUB_RED_INACTIVE);
		if (s->flags & SLAB_STORE_USER)
			memset(get_track(s, object, TRACK_ALLOC), 0, 2 * sizeof(struct track));
	}
	if (cache_ctor[s->id]) {
		cache_ctor[s->id](object);
		__atomic_fetch_add(&s->ctor_calls, 1, __ATOMIC_RELAXED);
	}
}

/*
 * new_slab - a slab of 2^s->order pages with every object free and
 * constructed.  It is private to the caller until put on a list.  Its pages
 * come from kmem's internal entry point (no memcheck heap block: its
 * objects will be those), and it is poisoned whole once built.
 * Context: may sleep if @gfp allows; no slab lock held.
 */
static struct page *new_slab(struct kmem_cache *s, gfp_t gfp, int nid)
{
	gfp_t alloc_gfp = (gfp & ~(__GFP_ZERO | __GFP_DMA | __GFP_DMA32 | __GFP_HIGHMEM)) |
			  __GFP_COMP | __GFP_NOWARN;
	struct page *slab;
	u8 *base;
	u32 i;

	if (s->flags & SLAB_CACHE_DMA)
		alloc_gfp |= __GFP_DMA;
	else if (s->flags & SLAB_CACHE_DMA32)
		alloc_gfp |= __GFP_DMA32;
	slab = __kmem_alloc_pages_caller(alloc_gfp, s->order, nid, __builtin_return_address(0));
	if (!slab)
		return NULL;
	WRITE_ONCE(slab->flags, READ_ONCE(slab->flags) | PG_slab);
	slab->slab[0] = kmem_off(s);
	set_slab_list(slab, SLAB_LIST_NONE);
	base = slab_base(slab);
	if (unlikely(s->flags & SLAB_POISON))
		memset(base, POISON_INUSE, PAGE_SIZE << s->order);
	for (i = 0; i < s->objects; i++) {
		void *object = index_to_obj(s, slab, i);

		setup_object(s, object);
		set_freepointer(s, object, i + 1 < s->objects ? i + 2 : 0);
	}
	if (s->owners_off) {
		kasan_open_slab_owners(s, slab);
		memset(base + s->owners_off, 0, (PAGE_SIZE << s->order) - s->owners_off);
	}
	kasan_poison_slab(s, slab);
	__atomic_store_n(slab_word(slab), SLAB_WORD(1, 0), __ATOMIC_RELEASE);
	return slab;
}

static void free_slab_pages(struct page *slab, unsigned int order)
{
	WRITE_ONCE(slab->flags, READ_ONCE(slab->flags) & ~PG_slab);
	slab->slab[0] = 0;
	slab->slab[1] = 0;
	slab->slab[2] = 0;
	__free_pages(slab, order);
}

void __kmem_rcu_free_slab_page(struct page *slab)
{
	free_slab_pages(slab, slab->order);
}

/*
 * SLAB_TYPESAFE_BY_RCU: the pages go back only after a grace period; in
 * shared memory, after one in every process (rcu_shared.c), waiting right
 * here when that queue is full.
 */
static void rcu_free_slab(struct rcu_head *head)
{
	struct page *slab = (struct page *)((char *)head - offsetof(struct page, slab[2]));

	if (unlikely(READ_ONCE(kmem_mm.rcu_shared))) {
		if (__kmem_rcu_shared_defer(KMEM_RCU_SLAB_PAGE, __page_to_pfn(slab),
					    slab->order))
			return;
		__kmem_rcu_shared_sync();
	}
	free_slab_pages(slab, slab->order);
}

/* The slab is off every list with no object in use: give it back. */
static void discard_slab(struct kmem_cache *s, struct page *slab)
{
	struct kmem_cache_node *n = cache_node(s, __page_to_nid(slab));

	__atomic_fetch_sub(&n->nr_slabs, 1, __ATOMIC_RELAXED);
	__atomic_fetch_sub(&n->total_objects, s->objects, __ATOMIC_RELAXED);
	if (unlikely(s->flags & SLAB_TYPESAFE_BY_RCU)) {
		BUILD_BUG_ON(sizeof(struct rcu_head) > 2 * sizeof(u64));
		__kmem_call_rcu_internal((struct rcu_head *)&slab->slab[2], rcu_free_slab);
		return;
	}
	free_slab_pages(slab, s->order);
}

/* ------------------------------------------------------------------ */
/* returning objects to slabs                                          */
/* ------------------------------------------------------------------ */

/*
 * __slab_free - put @object back on @slab's free list.
 *
 * Lock-free in the common case: one compare-and-swap on the slab word, from
 * any CPU and any process.  A free that changes which list the slab belongs
 * on - it was full, or it is now empty - takes list_lock *before* its
 * compare-and-swap and holds it after, as the kernel's __slab_free() does:
 * otherwise another CPU could empty and discard the slab, and its pages
 * become someone else's, between our compare-and-swap and our taking the
 * lock.  Holding the lock, nobody can discard it: a discard needs the lock.
 */
static void __slab_free(struct kmem_cache *s, struct page *slab, void *object, u32 idx)
{
	u64 *word = slab_word(slab);
	u64 old = __atomic_load_n(word, __ATOMIC_RELAXED), new;
	struct kmem_cache_node *n = NULL;
	bool discard = false;

	for (;;) {
		new = SLAB_WORD(idx + 1, SLAB_INUSE(old) - 1);
		if (!n && (!SLAB_FREELIST(old) || !SLAB_INUSE(new))) {
			n = cache_node(s, __page_to_nid(slab));
			slab_mutex_lock(&n->list_lock);
			old = __atomic_load_n(word, __ATOMIC_RELAXED);
			continue;
		}
		set_freepointer(s, object, SLAB_FREELIST(old));
		if (__atomic_compare_exchange_n(word, &old, new, true, __ATOMIC_RELEASE,
						__ATOMIC_RELAXED))
			break;
	}
	if (likely(!n))
		return;
	if (slab_list_of(slab) == SLAB_LIST_FULL) {
		list_del_slab(n, slab);
		list_add_slab(n, slab, SLAB_LIST_PARTIAL);
	}
	if (slab_list_of(slab) == SLAB_LIST_PARTIAL && n->nr_partial > s->min_partial &&
	    !SLAB_INUSE(__atomic_load_n(word, __ATOMIC_ACQUIRE))) {
		list_del_slab(n, slab);
		discard = true;
	}
	slab_mutex_unlock(&n->list_lock);
	if (discard)
		discard_slab(s, slab);
}

/* Return @nr objects (mem_base offsets) to their slabs. */
static void free_to_slabs(struct kmem_cache *s, const u64 *offs, unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		void *object = kmem_mm.mem_base + offs[i];
		struct page *slab = kmem_head_page(object);

		__slab_free(s, slab, object, obj_to_index(s, slab, object));
	}
}

/* ------------------------------------------------------------------ */
/* taking objects from slabs                                           */
/* ------------------------------------------------------------------ */

/* Walk up to @want objects off the private chain starting at @fl. */
static unsigned int take_chain(struct kmem_cache *s, struct page *slab, u32 *fl, u64 *objs,
			       unsigned int want)
{
	unsigned int n = 0;

	while (*fl && n < want) {
		void *object = index_to_obj(s, slab, *fl - 1);

		objs[n++] = kmem_off(object);
		*fl = get_freepointer(s, object);
	}
	return n;
}

/* Take a slab's whole free list: it becomes private to the caller. */
static u32 slab_take_freelist(struct kmem_cache *s, struct page *slab)
{
	u64 *word = slab_word(slab);
	u64 old = __atomic_load_n(word, __ATOMIC_RELAXED);

	while (!__atomic_compare_exchange_n(word, &old, SLAB_WORD(0, s->objects), true,
					    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		;
	return SLAB_FREELIST(old);
}

/*
 * Put a frozen slab (now without a private chain) back on a list: partial
 * if frees arrived meanwhile, else full; or discard it if it is empty and
 * the node has enough partial slabs.
 */
static void unfreeze_slab(struct kmem_cache *s, struct page *slab)
{
	struct kmem_cache_node *n = cache_node(s, __page_to_nid(slab));
	u64 w;
	bool discard = false;

	slab_mutex_lock(&n->list_lock);
	w = __atomic_load_n(slab_word(slab), __ATOMIC_ACQUIRE);
	if (SLAB_INUSE(w) == 0 && n->nr_partial >= s->min_partial)
		discard = true;
	else
		list_add_slab(n, slab, SLAB_FREELIST(w) ? SLAB_LIST_PARTIAL : SLAB_LIST_FULL);
	slab_mutex_unlock(&n->list_lock);
	if (discard)
		discard_slab(s, slab);
}

/* Freeze the first partial slab of node @nid, or NULL. */
static struct page *get_partial_slab(struct kmem_cache *s, int nid)
{
	struct kmem_cache_node *n = cache_node(s, nid);
	struct page *slab = NULL;

	if (!READ_ONCE(n->nr_partial))
		return NULL;
	slab_mutex_lock(&n->list_lock);
	if (n->partial != PFN_NIL) {
		slab = __pfn_to_page(n->partial);
		list_del_slab(n, slab);
	}
	slab_mutex_unlock(&n->list_lock);
	return slab;
}

static void publish_new_slab(struct kmem_cache *s, struct page *slab)
{
	struct kmem_cache_node *n = cache_node(s, __page_to_nid(slab));

	__atomic_fetch_add(&n->nr_slabs, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&n->total_objects, s->objects, __ATOMIC_RELAXED);
}

/*
 * The CPU's stash: a frozen slab and the private chain of free objects taken
 * from it (slab[3] of the cache cpu's... kept in kmem_cache_cpu::frees' slot
 * below).  Caller holds c->lock.
 */
struct stash {
	u32 slab_pfn;	/* PFN_NIL: none */
	u32 freelist;	/* private chain, index + 1 */
};

static __always_inline struct stash *cpu_stash(struct kmem_cache_cpu *c)
{
	return (struct stash *)&c->frees;
}

static __always_inline u64 *node_xfer(const struct kmem_cache_node *n)
{
	return (u64 *)(kmem_mm.mem_base + n->xfer_off);
}

/* Park @nr objects in node @nid's transfer cache.  Return: how many fit. */
static unsigned int xfer_put(struct kmem_cache *s, int nid, const u64 *objs, unsigned int nr)
{
	struct kmem_cache_node *n = cache_node(s, nid);
	unsigned int room;

	if (READ_ONCE(n->xfer_count) + nr > n->xfer_capacity)
		return 0;
	slab_mutex_lock(&n->xfer_lock);
	room = n->xfer_capacity - n->xfer_count;
	if (nr > room)
		nr = room;
	memcpy(node_xfer(n) + n->xfer_count, objs, nr * sizeof(u64));
	WRITE_ONCE(n->xfer_count, n->xfer_count + nr);
	slab_mutex_unlock(&n->xfer_lock);
	return nr;
}

/* Take up to @want objects from node @nid's transfer cache. */
static unsigned int xfer_get(struct kmem_cache *s, int nid, u64 *objs, unsigned int want)
{
	struct kmem_cache_node *n = cache_node(s, nid);
	unsigned int nr;

	if (!READ_ONCE(n->xfer_count))
		return 0;
	slab_mutex_lock(&n->xfer_lock);
	nr = n->xfer_count < want ? n->xfer_count : want;
	WRITE_ONCE(n->xfer_count, n->xfer_count - nr);
	memcpy(objs, node_xfer(n) + n->xfer_count, nr * sizeof(u64));
	slab_mutex_unlock(&n->xfer_lock);
	return nr;
}

/* Return everything in the transfer caches to the slabs (shrink, destroy). */
static void xfer_drain(struct kmem_cache *s)
{
	unsigned int nid, nr;
	u64 objs[MAX_BATCH];

	for (nid = 0; nid < kmem_mm.nr_nodes; nid++)
		while ((nr = xfer_get(s, (int)nid, objs, MAX_BATCH)))
			free_to_slabs(s, objs, nr);
}

/*
 * refill_objects - gather up to @want objects for CPU cache @c from the
 * stash, the node's partial slabs, and finally a new slab.
 * Context: caller holds c->lock; it is dropped and retaken around new_slab().
 */
static unsigned int refill_objects(struct kmem_cache *s, struct kmem_cache_cpu *c, gfp_t gfp,
				   int nid, u64 *objs, unsigned int want)
{
	struct stash *st = cpu_stash(c);
	unsigned int got = xfer_get(s, nid, objs, want);
	struct page *slab;

	for (;;) {
		if (got == want)
			return got;
		if (st->slab_pfn != PFN_NIL) {
			slab = __pfn_to_page(st->slab_pfn);
			got += take_chain(s, slab, &st->freelist, objs + got, want - got);
			if (st->freelist)
				return got;
			st->slab_pfn = PFN_NIL;
			unfreeze_slab(s, slab);
		}
		if (got == want)
			return got;
		slab = get_partial_slab(s, nid);
		if (!slab)
			break;
		st->freelist = slab_take_freelist(s, slab);
		st->slab_pfn = (u32)__page_to_pfn(slab);
	}

	/* No partial slab on the node: a new one, without our lock. */
	slab_mutex_unlock(&c->lock);
	slab = new_slab(s, gfp, nid);
	slab_mutex_lock(&c->lock);
	if (!slab)
		return got;
	publish_new_slab(s, slab);
	st = cpu_stash(c);
	if (__page_to_nid(slab) != nid) {
		/* the node was out of memory: one object for the caller, the slab to its node */
		u32 fl = slab_take_freelist(s, slab);

		got += take_chain(s, slab, &fl, objs + got, got ? 0 : 1);
		if (fl) {
			u64 rest[MAX_BATCH * 4];
			unsigned int nr;

			while ((nr = take_chain(s, slab, &fl, rest, MAX_BATCH * 4)))
				free_to_slabs(s, rest, nr);
		}
		unfreeze_slab(s, slab);
	} else if (st->slab_pfn == PFN_NIL) {
		st->freelist = slab_take_freelist(s, slab);
		st->slab_pfn = (u32)__page_to_pfn(slab);
		got += take_chain(s, slab, &st->freelist, objs + got, want - got);
		if (!st->freelist) {
			st->slab_pfn = PFN_NIL;
			unfreeze_slab(s, slab);
		}
	} else {
		/* another thread on this CPU stashed a slab meanwhile */
		u32 fl = slab_take_freelist(s, slab);

		got += take_chain(s, slab, &fl, objs + got, want - got);
		if (fl) {
			u64 rest[MAX_BATCH * 4];
			unsigned int nr;

			while ((nr = take_chain(s, slab, &fl, rest, MAX_BATCH * 4)))
				free_to_slabs(s, rest, nr);
		}
		unfreeze_slab(s, slab);
	}
	return got;
}

/* Empty CPU cache @c's stash back into its slab. Caller holds c->lock. */
static void flush_stash(struct kmem_cache *s, struct kmem_cache_cpu *c)
{
	struct stash *st = cpu_stash(c);
	struct page *slab;
	u64 objs[MAX_BATCH];
	unsigned int nr;

	if (st->slab_pfn == PFN_NIL)
		return;
	slab = __pfn_to_page(st->slab_pfn);
	while ((nr = take_chain(s, slab, &st->freelist, objs, MAX_BATCH)))
		free_to_slabs(s, objs, nr);
	st->slab_pfn = PFN_NIL;
	unfreeze_slab(s, slab);
}

/* ------------------------------------------------------------------ */
/* allocation                                                          */
/* ------------------------------------------------------------------ */

static int cpu_node(int cpu)
{
	return cpu >= 0 && cpu < (int)kmem_mm.nr_cpu_ids ? kmem_mm.shm->cpu_to_node[cpu] :
								__kmem_numa_node_id();
}

/*
 * The kernel's slab_post_alloc_hook(): @size is what the caller asked for
 * (0: s->object_size, read only where a tool needs it); @rseq: on the rseq
 * fast path, which memcheck never runs (kasan.h).
 */
static __always_inline void *finish_alloc(struct kmem_cache *s, void *object, gfp_t gfp,
					  size_t size, bool rseq)
{
	if (unlikely(gfp & __GFP_ZERO) && object) {
		kasan_unpoison_object_data(s, object, rseq);
		memset(object, 0, s->object_size);
	}
	kasan_slab_alloc(s, object, size ?: s->object_size, gfp, rseq);
	return object;
}

/*
 * slab_out_of_memory - the kernel's report of a slab that could not be
 * had, rate-limited (10 in 5 s) and silenced by __GFP_NOWARN:
 *
 *   SLUB: Unable to allocate memory on node -1, gfp=0xcc0(GFP_KERNEL)
 *     cache: foo, object size: 100, buffer size: 104, default order: 0, min order: 0
 *     node 0: slabs: 3, objs: 117, free: 0
 *
 * "free" counts the free objects of the node's partial slabs, as the
 * kernel's count_partial() does (objects parked in per-CPU and transfer
 * caches count as in use).  kmem has one order per cache, so the default
 * and the minimum order are the same.
 */
static noinline void slab_out_of_memory(struct kmem_cache *s, gfp_t gfp, int nid)
{
	static u64 last_ns;
	static unsigned int burst;
	char buf[2048], flags[256];
	struct kmem_report r = KMEM_REPORT_INIT(buf);
	unsigned int node;

	if ((gfp & __GFP_NOWARN) || !__kmem_ratelimit(&last_ns, &burst, 5000, 10))
		return;
	__kmem_report_add(&r, "SLUB: Unable to allocate memory on node %d, gfp=%#x(%s)\n"
			  "  cache: %s, object size: %u, buffer size: %u, default order: %u, "
			  "min order: %u\n", nid, (__force unsigned int)gfp,
			  __kmem_format_gfp(gfp, flags, sizeof(flags)), s->name, s->object_size,
			  s->size, s->order, s->order);
	for (node = 0; node < kmem_mm.nr_nodes; node++) {
		struct kmem_cache_node *n = cache_node(s, (int)node);
		unsigned long long nr_free = 0, nr_slabs, nr_objs;
		u32 pfn;

		slab_mutex_lock(&n->list_lock);
		for (pfn = n->partial; pfn != PFN_NIL; pfn = __pfn_to_page(pfn)->buddy.next) {
			u64 w = __atomic_load_n(slab_word(__pfn_to_page(pfn)), __ATOMIC_RELAXED);

			nr_free += s->objects - SLAB_INUSE(w);
		}
		nr_slabs = READ_ONCE(n->nr_slabs);
		nr_objs = READ_ONCE(n->total_objects);
		slab_mutex_unlock(&n->list_lock);
		__kmem_report_add(&r, "  node %u: slabs: %llu, objs: %llu, free: %llu\n", node,
				  nr_slabs, nr_objs, nr_free);
	}
	__kmem_report_flush(&r);
}

static bool alloc_debug_processing(struct kmem_cache *s, struct page *slab, void *object,
				   const void *caller);

/*
 * __slab_alloc_node - one object straight from a slab of node @nid, for
 * debug caches, for requests naming another node, and for threads without
 * a per-CPU cache.  Pops under list_lock: the only poppers of a slab on a
 * list hold that lock, so the compare-and-swap cannot suffer ABA.
 */
static noinline void *__slab_alloc_node(struct kmem_cache *s, gfp_t gfp, int nid,
					const void *caller)
{
	struct kmem_cache_node *n;
	struct page *slab;
	void *object = NULL;
	int try_nid = nid == NUMA_NO_NODE ? __kmem_numa_node_id() : nid;

retry:
	n = cache_node(s, try_nid);
	slab_mutex_lock(&n->list_lock);
	while (n->partial != PFN_NIL) {
		u64 *word, old;

		slab = __pfn_to_page(n->partial);
		word = slab_word(slab);
		old = __atomic_load_n(word, __ATOMIC_ACQUIRE);
		while (SLAB_FREELIST(old)) {
			void *cand = index_to_obj(s, slab, SLAB_FREELIST(old) - 1);
			u64 new = SLAB_WORD(get_freepointer(s, cand), SLAB_INUSE(old) + 1);

			if (__atomic_compare_exchange_n(word, &old, new, true, __ATOMIC_ACQUIRE,
							__ATOMIC_ACQUIRE)) {
				object = cand;
				break;
			}
		}
		if (!SLAB_FREELIST(__atomic_load_n(word, __ATOMIC_ACQUIRE))) {
			list_del_slab(n, slab);
			list_add_slab(n, slab, SLAB_LIST_FULL);
		}
		if (object)
			break;
	}
	slab_mutex_unlock(&n->list_lock);

	if (!object) {
		slab = new_slab(s, gfp, try_nid);
		if (!slab) {
			slab_out_of_memory(s, gfp, nid);
			return NULL;
		}
		publish_new_slab(s, slab);
		object = index_to_obj(s, slab, 0);
		__atomic_store_n(slab_word(slab), SLAB_WORD(get_freepointer(s, object), 1),
				 __ATOMIC_RELEASE);
		n = cache_node(s, __page_to_nid(slab));
		slab_mutex_lock(&n->list_lock);
		list_add_slab(n, slab, s->objects > 1 ? SLAB_LIST_PARTIAL : SLAB_LIST_FULL);
		slab_mutex_unlock(&n->list_lock);
	} else {
		slab = kmem_head_page(object);
	}
	if (unlikely(s->flags & SLAB_DEBUG_FLAGS) &&
	    !alloc_debug_processing(s, slab, object, caller)) {
		/* corrupted: isolated (left allocated, never handed out); try another */
		object = NULL;
		goto retry;
	}
	return object;
}

/*
 * __slab_alloc - this CPU's object cache is empty: refill it with a batch and
 * return one object.
 */
static noinline void *__slab_alloc(struct kmem_cache *s, gfp_t gfp, int cpu, const void *caller)
{
	struct kmem_cache_cpu *c = cache_cpu(s, cpu);
	u64 objs[MAX_BATCH];
	unsigned int got, pushed = 0, done;
	int nid = cpu_node(cpu);

	slab_mutex_lock(&c->lock);
	got = refill_objects(s, c, gfp, nid, objs, c->batch);
	slab_mutex_unlock(&c->lock);
	if (unlikely(!got)) {
		/* nothing on this node: any node, as the page allocator's fallback allows */
		void *object = __slab_alloc_node(s, gfp, NUMA_NO_NODE, caller);

		return object;
	}
	/* objs[0] is ours; the rest go on whichever CPU we run on now */
	done = 1;
	while (done < got) {
		struct kmem_cache_cpu *cc;
		int ret;

		cpu = rseq_current_cpu();
		/* migrated to another node meanwhile: these objects are not local there */
		if (cpu < 0 || kmem_mm.cpu_node[cpu] != nid)
			break;
		cc = cache_cpu(s, cpu);
		ret = percpu_stack_push64_bulk(&cc->word, cc->objs, cpu, cc->capacity, objs + done,
					       got - done, &pushed);
		if (ret < 0)
			continue;
		if (!pushed)
			break;
		done += pushed;
	}
	if (done < got)
		free_to_slabs(s, objs + done, got - done);
	return kmem_mm.mem_base + objs[0];
}

/* KMEM_PCP_LOCKED mode: the same under the per-CPU lock. */
static noinline void *slab_alloc_locked(struct kmem_cache *s, gfp_t gfp, const void *caller)
{
	int cpu = sched_getcpu();
	struct kmem_cache_cpu *c;
	u64 off, objs[MAX_BATCH];
	unsigned int got, i;

	if (cpu < 0 || cpu >= (int)kmem_mm.nr_cpu_ids)
		cpu = 0;
	c = cache_cpu(s, cpu);
	slab_mutex_lock(&c->lock);
	if (percpu_stack_pop64_locked(&c->word, c->objs, &off, PCP_POP_COUNTED)) {
		slab_mutex_unlock(&c->lock);
		return kmem_mm.mem_base + off;
	}
	got = refill_objects(s, c, gfp, cpu_node(cpu), objs, c->batch);
	for (i = 1; i < got; i++)
		if (!percpu_stack_push64_locked(&c->word, c->objs, c->capacity, objs[i]))
			break;
	slab_mutex_unlock(&c->lock);
	if (i < got)
		free_to_slabs(s, objs + i, got - i);
	if (!got)
		return __slab_alloc_node(s, gfp, NUMA_NO_NODE, caller);
	return kmem_mm.mem_base + objs[0];
}

/* The CPU sched_getcpu() says we run on, clamped to the known ones. */
static int pcp_cpu_now(void)
{
	int cpu = sched_getcpu();

	return cpu < 0 || cpu >= (int)kmem_mm.nr_cpu_ids ? 0 : cpu;
}

static noinline void *slab_bad_node(struct kmem_cache *s, gfp_t gfp, int node)
{
	if (!(gfp & __GFP_NOWARN))
		__kmem_printk("WARNING: %s: %s: allocation from node %d, which does not exist\n",
			      os_comm(), s->name, node);
	return NULL;
}

static __always_inline void *slab_alloc(struct kmem_cache *s, gfp_t gfp, int node,
					size_t size, const void *caller)
{
	struct kmem_cache_cpu *c;
	void *object;
	u64 off;
	int cpu, ret;

	/* the kernel's slab_pre_alloc_hook() */
	gfp = might_alloc(gfp, caller);
	if (should_failslab(s, gfp))
		return NULL;
	if (unlikely((s->flags & SLAB_DEBUG_FLAGS) || kmem_mm.pcp_mode != KMEM_PCP_RSEQ))
		goto slow;
	cpu = rseq_current_cpu();
	if (unlikely(node != NUMA_NO_NODE) && node != cpu_node(cpu))
		goto slow;
	for (;;) {
		if (unlikely(cpu < 0))
			goto slow;
		c = cache_cpu(s, cpu);
		ret = percpu_stack_pop64(&c->word, c->objs, cpu, &off, PCP_POP_COUNTED);
		if (likely(ret > 0)) {
			object = kmem_mm.mem_base + off;
			if (s->flags & SLAB_ACCOUNT)
				set_obj_owner(s, object);
			break;
		}
		if (ret == 0) {
			/* a nested signal handler takes no lock: this CPU's cache or nothing */
			object = kmem_in_locked_section() ? NULL : __slab_alloc(s, gfp, cpu, caller);
			if ((s->flags & SLAB_ACCOUNT) && object)
				set_obj_owner(s, object);
			break;
		}
		cpu = rseq_current_cpu();
		/* migrated: this CPU's objects may be of another node than asked */
		if (unlikely(node != NUMA_NO_NODE) && node != cpu_node(cpu))
			goto slow;
	}
	return finish_alloc(s, object, gfp, size, true);
slow:
	if (kmem_in_locked_section())
		return NULL;
	if (unlikely(node != NUMA_NO_NODE && (node < 0 || node >= (int)kmem_mm.nr_nodes)))
		return slab_bad_node(s, gfp, node);
	if (kmem_mm.pcp_mode == KMEM_PCP_LOCKED && !(s->flags & SLAB_DEBUG_FLAGS) &&
	    node == NUMA_NO_NODE)
		object = slab_alloc_locked(s, gfp, caller);
	else
		object = __slab_alloc_node(s, gfp, node, caller);
	if ((s->flags & SLAB_ACCOUNT) && object)
		set_obj_owner(s, object);
	return finish_alloc(s, object, gfp, size, false);
}

void *kmem_cache_alloc(struct kmem_cache *s, gfp_t flags)
{
	return slab_alloc(s, flags, NUMA_NO_NODE, 0, __builtin_return_address(0));
}

void *kmem_cache_alloc_node(struct kmem_cache *s, gfp_t flags, int node)
{
	return slab_alloc(s, flags, node, 0, __builtin_return_address(0));
}

/* ------------------------------------------------------------------ */
/* freeing                                                             */
/* ------------------------------------------------------------------ */

static bool free_debug_processing(struct kmem_cache *s, struct page *slab, void *object,
				  const void *caller);

static noinline void __cold bad_free(struct kmem_cache *s, const void *x, struct page *page,
				     const void *caller)
{
	static u64 last_ns;
	static unsigned int burst;

	if (!__kmem_ratelimit(&last_ns, &burst, 1000, 60))
		return;
	if (!page)
		__kmem_printk("kmem_cache_free: %s: invalid pointer %p (not kmem memory) from %p\n",
			      s ? s->name : "kfree", x, caller);
	else if (!(READ_ONCE(page->flags) & PG_slab))
		__kmem_printk("kmem_cache_free: %s: pointer %p is not slab memory (page flags "
			      "%#x) from %p\n", s ? s->name : "kfree", x, READ_ONCE(page->flags),
			      caller);
	else if (s && cache_at(slab_cache_off(page)) != s)
		__kmem_printk("kmem_cache_free: Wrong slab cache. %s but object is from %s "
			      "(object %p, caller %p)\n", s->name,
			      cache_at(slab_cache_off(page))->name, x, caller);
	else
		slab_err(cache_at(slab_cache_off(page)), page,
			 "Invalid object pointer %p (not the start of an object), caller %p",
			 x, caller);
}

static noinline void __slab_flush(struct kmem_cache *s, int cpu, u64 off)
{
	u64 objs[MAX_BATCH];
	u32 popped = 0, done;
	int nid;
	struct kmem_cache_cpu *c;
	int ret;

	for (;;) {
		if (cpu < 0) {
			free_to_slabs(s, &off, 1);
			return;
		}
		c = cache_cpu(s, cpu);
		ret = percpu_stack_pop64_bulk(&c->word, c->objs, cpu, objs, c->batch, &popped);
		if (ret >= 0)
			break;
		cpu = rseq_current_cpu();
	}
	done = xfer_put(s, kmem_mm.shm->cpu_to_node[cpu], objs, popped);
	free_to_slabs(s, objs + done, popped - done);
	/* @off is of the node of the CPU the caller checked, maybe not of this one */
	nid = __page_to_nid(kmem_head_page(kmem_mm.mem_base + off));
	if (kmem_mm.cpu_node[cpu] != nid) {
		free_to_slabs(s, &off, 1);
		return;
	}
	for (;;) {
		c = cache_cpu(s, cpu);
		ret = percpu_stack_push64(&c->word, c->objs, cpu, c->capacity, off);
		if (ret > 0)
			return;
		if (ret == 0 || (cpu = rseq_current_cpu()) < 0 || kmem_mm.cpu_node[cpu] != nid)
			break;
	}
	free_to_slabs(s, &off, 1);
}

/* Return: false when @off is the object this CPU cache freed last (a double free). */
static noinline bool slab_free_locked(struct kmem_cache *s, u64 off, int cpu)
{
	struct kmem_cache_cpu *c;
	u64 objs[MAX_BATCH];
	unsigned int n = 0;

	c = cache_cpu(s, cpu);
	slab_mutex_lock(&c->lock);
	if ((c->word & PCP_COUNT_MASK) && c->objs[(c->word & PCP_COUNT_MASK) - 1] == off) {
		slab_mutex_unlock(&c->lock);
		return false;
	}
	if (!percpu_stack_push64_locked(&c->word, c->objs, c->capacity, off)) {
		while (n < c->batch &&
		       percpu_stack_pop64_locked(&c->word, c->objs, &objs[n], PCP_POP_UNCOUNTED))
			n++;
		percpu_stack_push64_locked(&c->word, c->objs, c->capacity, off);
	}
	slab_mutex_unlock(&c->lock);
	if (n) {
		unsigned int done = xfer_put(s, kmem_mm.shm->cpu_to_node[cpu], objs, n);

		free_to_slabs(s, objs + done, n - done);
	}
	return true;
}

/*
 * A nested signal handler frees: onto this CPU's cache if the object is
 * local and there is room, else later (no lock may be taken now).
 */
static noinline void slab_free_nested(struct kmem_cache *s, struct page *slab, u64 off, int cpu)
{
	struct kmem_cache_cpu *c;

	if (cpu >= 0 && __page_to_nid(slab) == kmem_mm.cpu_node[cpu]) {
		c = cache_cpu(s, cpu);
		if (percpu_stack_push64(&c->word, c->objs, cpu, c->capacity, off) > 0)
			return;
	}
	__kmem_defer_free(kmem_mm.mem_base + off, 0, s);
}

/*
 * slab_free - free @x, which the caller says belongs to @s (NULL: whatever
 * cache it belongs to, for kfree).  @deferred: a free that a nested signal
 * handler deferred, now done; it went through kasan_slab_free() then, but
 * not kasan_slab_free_slow().
 */
static __always_inline void slab_free(struct kmem_cache *s, struct page *slab, void *x,
				      const void *caller, bool deferred)
{
	struct kmem_cache *owner = cache_at(slab_cache_off(slab));
	struct kmem_cache_cpu *c;
	u64 off = kmem_off(x), count;
	u32 idx;
	int cpu, ret;

	if (unlikely(!(READ_ONCE(slab->flags) & PG_slab) || (s && owner != s))) {
		bad_free(s, x, slab, caller);
		return;
	}
	s = owner;
	if (unlikely(kmem_mm.distrust) && !cache_trusted(s))
		return;		/* kmemd: a fenced cache's object stays where it is */
	idx = obj_to_index(s, slab, x);
	if (unlikely(idx == UINT32_MAX)) {
		bad_free(s, x, slab, caller);
		return;
	}
	/* poisoned before anyone else can take it: from here on it may be reused */
	if (!deferred && unlikely(kasan_slab_free(s, x))) {
		slab_err(s, slab, "Object already free: %p (double free), caller %p", x, caller);
		return;
	}
	if (s->flags & SLAB_ACCOUNT)
		clear_obj_owner(s, x);
	if (unlikely((s->flags & SLAB_DEBUG_FLAGS) || kmem_mm.pcp_mode != KMEM_PCP_RSEQ))
		goto slow;
	cpu = rseq_current_cpu();
	if (kmem_in_locked_section()) {
		slab_free_nested(s, slab, off, cpu);
		return;
	}
	if (unlikely(cpu < 0 || __page_to_nid(slab) != kmem_mm.cpu_node[cpu])) {
		/* a remote node's object, or no per-CPU cache: straight to its slab */
		__slab_free(s, slab, x, idx);
		return;
	}
	for (;;) {
		c = cache_cpu(s, cpu);
		/*
		 * The naive double-free check of SLAB_FREELIST_HARDENED.  Racy
		 * (another thread on this CPU may push or pop meanwhile), so the
		 * count is read once: a stale answer only misses a report.
		 */
		count = READ_ONCE(c->word) & PCP_COUNT_MASK;
		if (unlikely(count && READ_ONCE(c->objs[count - 1]) == off)) {
			slab_err(s, slab, "Object already free: %p (double free), caller %p", x,
				 caller);
			return;
		}
		ret = percpu_stack_push64(&c->word, c->objs, cpu, c->capacity, off);
		if (likely(ret > 0))
			return;
		if (ret == 0) {
			__slab_flush(s, cpu, off);
			return;
		}
		cpu = rseq_current_cpu();
		if (cpu < 0 || __page_to_nid(slab) != kmem_mm.cpu_node[cpu]) {
			__slab_free(s, slab, x, idx);
			return;
		}
	}
slow:
	if (kmem_in_locked_section()) {
		__kmem_defer_free(x, 0, s);
		return;
	}
	if (unlikely(kasan_slab_free_slow(s, x))) {
		slab_err(s, slab, "Object already free: %p (double free), caller %p", x, caller);
		return;
	}
	if (s->flags & SLAB_DEBUG_FLAGS) {
		if (free_debug_processing(s, slab, x, caller))
			__slab_free(s, slab, x, idx);
		return;
	}
	cpu = pcp_cpu_now();
	if (__page_to_nid(slab) != kmem_mm.cpu_node[cpu]) {
		__slab_free(s, slab, x, idx);
		return;
	}
	if (!slab_free_locked(s, off, cpu))
		slab_err(s, slab, "Object already free: %p (double free), caller %p", x, caller);
}

void kmem_cache_free(struct kmem_cache *s, void *x)
{
	struct page *slab;

	if (unlikely(!x))
		return;
	/* before kmem_init() total_pages is 0, so nothing is kmem memory */
	slab = kmem_head_page(x);
	if (unlikely(!slab || !s)) {
		bad_free(s, x, NULL, __builtin_return_address(0));
		return;
	}
	slab_free(s, slab, x, __builtin_return_address(0), false);
}

/* __kmem_run_deferred(): a free slab_free() deferred, past its kasan hook. */
void __kmem_slab_free_deferred(struct kmem_cache *s, void *x)
{
	slab_free(s, kmem_head_page(x), x, __builtin_return_address(0), true);
}

int kmem_cache_alloc_bulk(struct kmem_cache *s, gfp_t flags, size_t size, void **p)
{
	size_t i;

	for (i = 0; i < size; i++) {
		p[i] = slab_alloc(s, flags, NUMA_NO_NODE, 0, __builtin_return_address(0));
		if (unlikely(!p[i])) {
			kmem_cache_free_bulk(s, i, p);
			return 0;
		}
	}
	return (int)size;
}

void kmem_cache_free_bulk(struct kmem_cache *s, size_t size, void **p)
{
	size_t i;

	for (i = 0; i < size; i++)
		if (p[i])
			kmem_cache_free(s, p[i]);
}

/* ------------------------------------------------------------------ */
/* debugging: red zones, poison, user tracking, reports                */
/* ------------------------------------------------------------------ */

static struct track *get_track(struct kmem_cache *s, u8 *object, enum track_item item)
{
	u32 off = s->offset >= s->inuse ? s->offset + (u32)sizeof(u64) : s->inuse;

	return (struct track *)(object + off) + item;
}

static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + (u64)ts.tv_nsec;
}

/* Milliseconds since the event, as SLUB prints jiffies ago. */
static u64 track_age_ms(const struct track *t)
{
	return (now_ns() - t->when_ns) / 1000000ULL;
}

static void set_track(struct kmem_cache *s, u8 *object, enum track_item item,
		      const void *caller)
{
	struct track *t;

	if (!(s->flags & SLAB_STORE_USER))
		return;
	t = get_track(s, object, item);
	t->addr = (u64)(uintptr_t)caller;
	t->when_ns = now_ns();
	t->cpu = (u32)raw_smp_processor_id();
	t->pid = (u32)getpid();
}

/*
 * init_object - the red zones say @val (active or inactive); a free,
 * poisoned object holds POISON_FREE ending in POISON_END.
 */
static void init_object(struct kmem_cache *s, u8 *object, u8 val)
{
	if (s->flags & SLAB_RED_ZONE) {
		memset(object - s->red_left_pad, val, s->red_left_pad);
		memset(object + s->object_size, val, s->inuse - s->object_size);
	}
	if ((s->flags & SLAB_POISON) && !cache_ctor[s->id] &&
	    !(s->flags & SLAB_TYPESAFE_BY_RCU) && val == SLUB_RED_INACTIVE) {
		memset(object, POISON_FREE, s->object_size - 1);
		object[s->object_size - 1] = POISON_END;
	}
}

static void hexdump(char *buf, size_t len, const char *text, const u8 *addr, size_t length)
{
	size_t used = strlen(buf), i, j;

	for (i = 0; i < length && used + 100 < len; i += 16) {
		used += (size_t)snprintf(buf + used, len - used, "%-8s %p: ", text, addr + i);
		for (j = 0; j < 16 && i + j < length; j++)
			used += (size_t)snprintf(buf + used, len - used, "%02x ", addr[i + j]);
		buf[used - 1] = '\n';
	}
}

static void __cold slab_err(struct kmem_cache *s, struct page *slab, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	u64 w = __atomic_load_n(slab_word(slab), __ATOMIC_RELAXED);

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	__atomic_fetch_add(&s->debug_reports, 1, __ATOMIC_RELAXED);
	__kmem_printk("=============================================================================\n"
		      "BUG %s (Not tainted): %s\n"
		      "-----------------------------------------------------------------------------\n\n"
		      "Slab %p objects=%u used=%u fp=0x%x flags=0x%x\n"
		      "Process: %s\n\n",
		      s->name, msg, (void *)slab, s->objects, SLAB_INUSE(w), SLAB_FREELIST(w),
		      READ_ONCE(slab->flags), os_comm());
}

static void __cold object_err(struct kmem_cache *s, struct page *slab, u8 *object,
			      const char *reason)
{
	char buf[4096] = "";
	u32 idx = obj_to_index(s, slab, object);
	size_t used;

	__atomic_fetch_add(&s->debug_reports, 1, __ATOMIC_RELAXED);
	used = (size_t)snprintf(buf, sizeof(buf),
		"=============================================================================\n"
		"BUG %s (Not tainted): %s\n"
		"-----------------------------------------------------------------------------\n\n"
		"Slab %p objects=%u used=%u flags=0x%x\n"
		"Object %p @offset=%llu fp=0x%x\n\n",
		s->name, reason, (void *)slab, s->objects,
		SLAB_INUSE(__atomic_load_n(slab_word(slab), __ATOMIC_RELAXED)),
		READ_ONCE(slab->flags), (void *)object,
		(unsigned long long)(object - (u8 *)slab_base(slab)),
		/* inside metadata_access_enable(): a plain read */
		idx != UINT32_MAX ? *(u32 *)(object + s->offset) : 0);
	if (s->flags & SLAB_STORE_USER) {
		struct track *a = get_track(s, object, TRACK_ALLOC);
		struct track *f = get_track(s, object, TRACK_FREE);

		if (a->addr)
			used += (size_t)snprintf(buf + used, sizeof(buf) - used,
						 "Allocated in %p age=%llu cpu=%u pid=%u\n",
						 (void *)(uintptr_t)a->addr,
						 (unsigned long long)track_age_ms(a), a->cpu, a->pid);
		if (f->addr)
			used += (size_t)snprintf(buf + used, sizeof(buf) - used,
						 "Freed in %p age=%llu cpu=%u pid=%u\n",
						 (void *)(uintptr_t)f->addr,
						 (unsigned long long)track_age_ms(f), f->cpu, f->pid);
	}
	(void)used;
	if (s->flags & SLAB_RED_ZONE)
		hexdump(buf, sizeof(buf), "Redzone", object - s->red_left_pad, s->red_left_pad);
	hexdump(buf, sizeof(buf), "Object", object, s->object_size < 128 ? s->object_size : 128);
	if (s->flags & SLAB_RED_ZONE)
		hexdump(buf, sizeof(buf), "Redzone", object + s->object_size,
			s->inuse - s->object_size);
	__kmem_printk("%s", buf);
}

/* Is [start, start+bytes) all @value?  Return the first bad byte or NULL. */
static u8 *memchr_inv(u8 *start, u8 value, size_t bytes)
{
	size_t i;

	for (i = 0; i < bytes; i++)
		if (start[i] != value)
			return start + i;
	return NULL;
}

static bool check_bytes_and_report(struct kmem_cache *s, struct page *slab, u8 *object,
				   const char *what, u8 *start, u8 value, size_t bytes)
{
	u8 *fault = memchr_inv(start, value, bytes);
	char reason[160];

	if (!fault)
		return true;
	snprintf(reason, sizeof(reason), "%s overwritten: %p-%p @offset=%llu. First byte 0x%x "
		 "instead of 0x%x", what, (void *)fault, (void *)(start + bytes - 1),
		 (unsigned long long)(fault - (u8 *)slab_base(slab)), *fault, value);
	object_err(s, slab, object, reason);
	__kmem_printk("FIX %s: object %p isolated; it will not be reused\n", s->name,
		      (void *)object);
	return false;
}

/* SLUB's check_object(): red zones say @val, poison intact on free objects. */
static bool check_object(struct kmem_cache *s, struct page *slab, u8 *object, u8 val)
{
	if (s->flags & SLAB_RED_ZONE) {
		if (!check_bytes_and_report(s, slab, object, "Left Redzone", object - s->red_left_pad,
					    val, s->red_left_pad))
			return false;
		if (!check_bytes_and_report(s, slab, object, "Right Redzone",
					    object + s->object_size, val,
					    s->inuse - s->object_size))
			return false;
	}
	if ((s->flags & SLAB_POISON) && val == SLUB_RED_INACTIVE && !cache_ctor[s->id] &&
	    !(s->flags & SLAB_TYPESAFE_BY_RCU)) {
		if (!check_bytes_and_report(s, slab, object, "Poison", object, POISON_FREE,
					    s->object_size - 1) ||
		    !check_bytes_and_report(s, slab, object, "End Poison",
					    object + s->object_size - 1, POISON_END, 1))
			return false;
	}
	return true;
}

static bool alloc_debug_processing(struct kmem_cache *s, struct page *slab, void *object,
				   const void *caller)
{
	bool ok;

	metadata_access_enable(s, object);
	/* not ok: left out of every list, isolated */
	ok = check_object(s, slab, object, SLUB_RED_INACTIVE);
	if (ok) {
		init_object(s, object, SLUB_RED_ACTIVE);
		set_track(s, object, TRACK_ALLOC, caller);
	}
	metadata_access_disable(s, object);
	return ok;
}

/*
 * on_freelist - is @object on @slab's free list?  SLUB's on_freelist(),
 * for debug caches without red zones.  Under list_lock no object can be
 * popped (pops take it), and pushes only prepend, so the walk from any
 * head seen stays on the list; it is bounded by the slab's object count.
 */
static bool on_freelist(struct kmem_cache *s, struct page *slab, void *object)
{
	struct kmem_cache_node *n = cache_node(s, __page_to_nid(slab));
	u32 fl, want = obj_to_index(s, slab, object) + 1, steps = 0;
	bool found = false;

	slab_mutex_lock(&n->list_lock);
	fl = SLAB_FREELIST(__atomic_load_n(slab_word(slab), __ATOMIC_ACQUIRE));
	while (fl && steps++ < s->objects) {
		if (fl == want) {
			found = true;
			break;
		}
		fl = get_freepointer(s, index_to_obj(s, slab, fl - 1));
	}
	slab_mutex_unlock(&n->list_lock);
	return found;
}

/*
 * free_debug_processing - SLUB's checks on free.  The red zone byte tells
 * an allocated object (0xcc) from a free one (0xbb), so a double free is
 * caught exactly when the cache has SLAB_RED_ZONE; without, the slab's
 * free list is searched, as SLUB's consistency checks do.
 * Return: true when the object may go back to its slab.
 */
static bool free_debug_processing(struct kmem_cache *s, struct page *slab, void *x,
				  const void *caller)
{
	u8 *object = x;
	bool ok = false;

	metadata_access_enable(s, object);
	if ((s->flags & SLAB_RED_ZONE) && object[s->object_size] == SLUB_RED_INACTIVE &&
	    s->inuse > s->object_size) {
		object_err(s, slab, object, "Object already free");
		goto out;
	}
	if (!(s->flags & SLAB_RED_ZONE) && on_freelist(s, slab, object)) {
		object_err(s, slab, object, "Object already free");
		goto out;
	}
	if (!check_object(s, slab, object, SLUB_RED_ACTIVE))
		goto out;
	set_track(s, object, TRACK_FREE, caller);
	init_object(s, object, SLUB_RED_INACTIVE);
	ok = true;
out:
	metadata_access_disable(s, object);
	return ok;
}

/* slub_debug: KMEM_SLUB_DEBUG="FZPU" or "FZ,kmalloc-64,foo;P,bar", as the kernel's. */
static slab_flags_t slub_debug_flags(const char *name)
{
	const char *env = getenv("KMEM_SLUB_DEBUG");
	char buf[512], *save = NULL, *block;
	slab_flags_t result = 0;

	if (!env || strlen(env) >= sizeof(buf))
		return 0;
	strcpy(buf, env);
	for (block = strtok_r(buf, ";", &save); block; block = strtok_r(NULL, ";", &save)) {
		char *names = strchr(block, ','), *p;
		slab_flags_t f = 0;
		bool match = !names;

		if (names)
			*names++ = '\0';
		for (p = block; *p; p++) {
			switch (*p) {
			case 'F': case 'f': f |= SLAB_CONSISTENCY_CHECKS; break;
			case 'Z': case 'z': f |= SLAB_RED_ZONE; break;
			case 'P': case 'p': f |= SLAB_POISON; break;
			case 'U': case 'u': f |= SLAB_STORE_USER; break;
			case '-': f = 0; break;
			default: break;
			}
		}
		if (!block[0])
			f = SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER;
		while (names && *names) {
			char *next = strchr(names, ',');
			size_t len = next ? (size_t)(next - names) : strlen(names);

			if (len && (!strncmp(names, name, len) && !name[len]))
				match = true;
			if (len && names[len - 1] == '*' && !strncmp(names, name, len - 1))
				match = true;
			names = next ? next + 1 : NULL;
		}
		if (match)
			result = f;
	}
	return result;
}

/* ------------------------------------------------------------------ */
/* cache creation and destruction                                      */
/* ------------------------------------------------------------------ */

static unsigned int calculate_alignment(slab_flags_t flags, unsigned int align,
					unsigned int size)
{
	if (flags & SLAB_HWCACHE_ALIGN) {
		unsigned int ralign = (unsigned int)cache_line_size();

		while (size <= ralign / 2)
			ralign /= 2;
		align = align > ralign ? align : ralign;
	}
	if (align < ARCH_SLAB_MINALIGN)
		align = ARCH_SLAB_MINALIGN;
	return ALIGN(align, (unsigned int)sizeof(void *));
}

/* The kernel's calc_slab_order(). */
static unsigned int calc_slab_order(unsigned int size, unsigned int min_order,
				    unsigned int max_order, unsigned int fract_leftover)
{
	unsigned int order;

	for (order = min_order; order <= max_order; order++) {
		unsigned int slab_size = (unsigned int)PAGE_SIZE << order;
		unsigned int rem = slab_size % size;

		if (rem <= slab_size / fract_leftover)
			break;
	}
	return order;
}

/* The kernel's calculate_order(): weigh the space left over against the order. */
static unsigned int calculate_order(unsigned int size)
{
	unsigned int nr_cpus = kmem_mm.nr_cpu_ids, min_objects, max_objects, min_order;
	unsigned int fraction, order, slub_max_order = PAGE_ALLOC_COSTLY_ORDER;

	min_objects = 4 * (32 - (unsigned int)__builtin_clz(nr_cpus) + 1);
	max_objects = ((unsigned int)PAGE_SIZE << slub_max_order) / size;
	if (min_objects > max_objects)
		min_objects = max_objects;
	min_order = (unsigned int)get_order((unsigned long)min_objects * size);
	for (fraction = 16; fraction > 1; fraction /= 2) {
		order = calc_slab_order(size, min_order, slub_max_order, fraction);
		if (order <= slub_max_order)
			return order;
	}
	return (unsigned int)get_order(size);
}

/*
 * Fit the object owners' vector (slab.h) at the end of the slab: as many
 * objects as leave room for one u32 per 1 << owner_shift bytes of them.
 * The vector costs each object 4 bytes per slot, which no slab size
 * changes; where rounding costs more than 1/8 of the objects on top (a few
 * large objects per slab: kmalloc-8k would keep 3 of 4), a larger slab is
 * taken instead, up to order 5.
 */
static void reserve_object_owners(struct kmem_cache *s)
{
	unsigned int order = s->order;
	u64 slot_bytes, per_object;

	s->owner_shift = 31 - (unsigned int)__builtin_clz(s->size);
	slot_bytes = 1ULL << s->owner_shift;
	/* bytes an object takes with its share of the vector, times slot_bytes */
	per_object = (u64)s->size * slot_bytes + (u64)s->size * sizeof(u32);
	for (;;) {
		u64 slab_bytes = PAGE_SIZE << order;
		/* n >= 7/8 of (slab_bytes - red_left_pad) * slot_bytes / per_object */
		u64 room = (slab_bytes - s->red_left_pad) * slot_bytes;
		u32 n = (u32)((slab_bytes - s->red_left_pad) / s->size);

		for (; n; n--) {
			u64 end = s->red_left_pad + (u64)n * s->size;
			u64 slots = ((end - s->size) >> s->owner_shift) + 1;

			if (ALIGN(end, sizeof(u32)) + slots * sizeof(u32) <= slab_bytes)
				break;
		}
		if ((n && (u64)n * 8 * per_object >= room * 7) || order >= 5) {
			s->order = order;
			s->objects = n ?: 1;
			s->owners_off = (u32)ALIGN(s->red_left_pad + (u64)s->objects * s->size,
						   sizeof(u32));
			s->slab_mask = (u32)(slab_bytes - 1);
			return;
		}
		order++;
	}
}

/* The kernel's calculate_sizes(): where the free pointer, red zones and tracks go. */
static void calculate_sizes(struct kmem_cache *s, bool has_ctor)
{
	slab_flags_t flags = s->flags;
	unsigned int size = ALIGN(s->object_size, (unsigned int)sizeof(void *));

	if ((flags & SLAB_RED_ZONE) && size == s->object_size)
		size += sizeof(void *);
	s->inuse = size;
	if ((flags & (SLAB_TYPESAFE_BY_RCU | SLAB_POISON)) || has_ctor ||
	    ((flags & SLAB_RED_ZONE) && s->object_size < sizeof(void *))) {
		s->offset = size;
		size += sizeof(void *);
	} else {
		s->offset = ALIGN_DOWN(s->object_size / 2, (unsigned int)sizeof(void *));
		if (s->offset + sizeof(u32) > s->object_size)
			s->offset = 0;
	}
	if (flags & SLAB_STORE_USER)
		size += 2 * sizeof(struct track);
	s->red_left_pad = 0;
	if (flags & SLAB_RED_ZONE) {
		size += sizeof(void *);
		s->red_left_pad = ALIGN((unsigned int)sizeof(void *), s->align);
		size += s->red_left_pad - (unsigned int)sizeof(void *);
	}
	s->size = ALIGN(size, s->align);
	s->order = calculate_order(s->size);
	s->objects = (unsigned int)((PAGE_SIZE << s->order) - s->red_left_pad) / s->size;
	if (!s->objects) {
		s->order = (unsigned int)get_order(s->size + s->red_left_pad);
		s->objects = 1;
	}
	s->reciprocal_size = (u32)(((1ULL << 32) + s->size - 1) / s->size);
	if (flags & SLAB_ACCOUNT)
		reserve_object_owners(s);
}

/* Per-CPU object cache sizes: more objects for small sizes, like sheaves. */
static void cache_capacity(const struct kmem_cache *s, u32 *capacity, u32 *batch)
{
	u32 cap = s->size <= 128 ? 128 : s->size <= 512 ? 64 : s->size <= 2048 ? 32 : 16;

	*capacity = cap;
	*batch = cap / 2;
}

static struct kmem_cache *create_cache(const char *name, unsigned int size, unsigned int align,
				       slab_flags_t flags, void (*ctor)(void *))
{
	struct kmem_shared *shm = kmem_mm.shm;
	u32 capacity, batch, cpu, nid, id;
	struct kmem_cache tmp = { 0 };
	struct kmem_cache *s;
	struct page *meta;
	u64 bytes, cpu_off;

	tmp.flags = flags | slub_debug_flags(name);
	tmp.object_size = size;
	tmp.align = calculate_alignment(flags, align, size);
	calculate_sizes(&tmp, ctor != NULL);
	cache_capacity(&tmp, &capacity, &batch);
	tmp.cpu_stride = (u32)ALIGN(sizeof(struct kmem_cache_cpu) + capacity * sizeof(u64), 64);

	cpu_off = ALIGN((u64)sizeof(struct kmem_cache), 64);
	bytes = cpu_off + (u64)kmem_mm.nr_cpu_ids * tmp.cpu_stride +
		(u64)kmem_mm.nr_nodes * sizeof(struct kmem_cache_node) +
		(u64)kmem_mm.nr_nodes * XFER_BATCHES * batch * sizeof(u64);
	tmp.meta_order = (u32)get_order(bytes);
	if (tmp.meta_order > MAX_PAGE_ORDER)
		return NULL;
	/* kmem's own: not a memcheck heap block (it is found by offset only) */
	meta = __kmem_alloc_pages_caller(GFP_KERNEL | __GFP_ZERO | __GFP_COMP | __GFP_NOWARN,
					 tmp.meta_order, NUMA_NO_NODE, __builtin_return_address(0));
	if (!meta)
		return NULL;
	s = page_address(meta);
	*s = tmp;
	s->cpu_off = kmem_off(s) + cpu_off;
	s->node_off = s->cpu_off + (u64)kmem_mm.nr_cpu_ids * tmp.cpu_stride;
	/* the kernel's set_min_partial(): ilog2(size) / 2, clamped to [5, 10] */
	s->min_partial = (u32)(31 - __builtin_clz(s->size)) / 2;
	s->min_partial = s->min_partial < 5 ? 5 : s->min_partial > 10 ? 10 : s->min_partial;
	s->owner = kmem_mm.owner;
	s->ctor_set = ctor != NULL;
	snprintf(s->name, sizeof(s->name), "%s", name);
	for (cpu = 0; cpu < kmem_mm.nr_cpu_ids; cpu++) {
		struct kmem_cache_cpu *c = cache_cpu(s, (int)cpu);

		c->capacity = capacity;
		c->batch = batch;
		cpu_stash(c)->slab_pfn = PFN_NIL;
		__kmem_mutex_init_shared(&c->lock);
	}
	for (nid = 0; nid < kmem_mm.nr_nodes; nid++) {
		struct kmem_cache_node *n = cache_node(s, (int)nid);

		n->partial = n->full = PFN_NIL;
		__kmem_mutex_init_shared(&n->list_lock);
		__kmem_mutex_init_shared(&n->xfer_lock);
		n->xfer_capacity = XFER_BATCHES * batch;
		n->xfer_off = s->node_off + (u64)kmem_mm.nr_nodes * sizeof(struct kmem_cache_node) +
			      (u64)nid * n->xfer_capacity * sizeof(u64);
	}

	slab_mutex_lock(&shm->slab_mutex);
	for (id = 1; id < KMEM_MAX_CACHES && shm->caches[id]; id++)
		;
	if (id < KMEM_MAX_CACHES) {
		s->id = id;
		cache_ctor[id] = ctor;
		s->state = KMEM_CACHE_ALIVE;
		shm->caches[id] = kmem_off(s);
	}
	slab_mutex_unlock(&shm->slab_mutex);
	if (id >= KMEM_MAX_CACHES) {
		__free_pages(meta, tmp.meta_order);
		return NULL;
	}
	return s;
}

static struct kmem_cache *__kmem_cache_create(const char *name, unsigned int size,
					      unsigned int align, slab_flags_t flags,
					      void (*ctor)(void *))
{
	struct kmem_cache *s = NULL;
	const char *why = "Out of memory";

	if (kmem_ensure_init())
		why = "kmem is not initialised";
	else if (!name || !name[0])
		why = "no name";
	else if (!size || size > KMALLOC_MAX_SIZE)
		why = "bad size";
	else if (align & (align - 1))
		why = "alignment is not a power of two";
	else
		s = create_cache(name, size, align, flags, ctor);
	if (!s) {
		if (flags & SLAB_PANIC) {
			__kmem_printk("Kernel panic - not syncing: kmem_cache_create: Failed to create "
				      "slab '%s'. Error %d\n", name ? name : "(null)", -ENOMEM);
			abort();
		}
		__kmem_printk("kmem_cache_create(%s) failed: %s\n", name ? name : "(null)", why);
	}
	return s;
}

struct kmem_cache *kmem_cache_create(const char *name, unsigned int size, unsigned int align,
				     slab_flags_t flags, void (*ctor)(void *))
{
	return __kmem_cache_create(name, size, align, flags, ctor);
}

struct kmem_cache *kmem_cache_create_usercopy(const char *name, unsigned int size,
					      unsigned int align, slab_flags_t flags,
					      unsigned int useroffset, unsigned int usersize,
					      void (*ctor)(void *))
{
	return __kmem_cache_create(name, size, align, flags, ctor);
}

unsigned int kmem_cache_size(struct kmem_cache *s)
{
	return s->object_size;
}

/*
 * Empty CPU cache @c: its objects (only safe from another CPU when nothing
 * can push or pop them: locked mode, or a quiescent cache) and its stash.
 * Caller holds c->lock.
 */
static void flush_cpu_cache_locked(struct kmem_cache *s, struct kmem_cache_cpu *c, bool objects)
{
	u64 objs[MAX_BATCH];
	unsigned int n;

	while (objects) {
		for (n = 0; n < MAX_BATCH; n++)
			if (!percpu_stack_pop64_locked(&c->word, c->objs, &objs[n],
						       PCP_POP_UNCOUNTED))
				break;
		if (!n)
			break;
		free_to_slabs(s, objs, n);
	}
	flush_stash(s, c);
}

/* Empty this CPU's object cache through rseq (others may be using the cache). */
static void flush_cpu_local(void *arg)
{
	struct kmem_cache *s = arg;
	u64 objs[MAX_BATCH];
	u32 popped;
	int cpu;

	do {
		popped = 0;
		cpu = rseq_current_cpu();
		if (cpu < 0)
			return;
		if (percpu_stack_pop64_bulk(&cache_cpu(s, cpu)->word, cache_cpu(s, cpu)->objs, cpu,
					    objs, MAX_BATCH, &popped) < 0)
			continue;
		free_to_slabs(s, objs, popped);
	} while (popped);
}

/*
 * Flush every CPU's object cache and stash of @s.  @quiescent: nobody uses
 * the cache (destroy), so other CPUs' caches may be emptied from here;
 * otherwise, with rseq, each CPU's cache is emptied on that CPU.
 */
static void flush_all(struct kmem_cache *s, bool quiescent)
{
	bool direct = quiescent || kmem_mm.pcp_mode == KMEM_PCP_LOCKED;
	unsigned int cpu;

	if (!direct)
		__kmem_on_each_cpu(flush_cpu_local, s);
	for (cpu = 0; cpu < kmem_mm.nr_cpu_ids; cpu++) {
		struct kmem_cache_cpu *c = cache_cpu(s, (int)cpu);

		slab_mutex_lock(&c->lock);
		flush_cpu_cache_locked(s, c, direct);
		slab_mutex_unlock(&c->lock);
	}
}

/*
 * next_cache - the cache in the first used slot of kmem_shared::caches[]
 * after *@id (start with *@id = 0), its struct opened for the sanitizers;
 * with @alive_only, destroyed-but-leaked caches are passed over.  NULL
 * after the last.  Caller holds slab_mutex or otherwise keeps caches alive.
 */
static struct kmem_cache *next_cache(unsigned int *id, bool alive_only)
{
	while (++*id < KMEM_MAX_CACHES) {
		struct kmem_cache *s = cache_slot(*id);

		if (!s)
			continue;
		kasan_shared_cache(s);
		if (!alive_only || s->state == KMEM_CACHE_ALIVE)
			return s;
	}
	return NULL;
}

#define for_each_cache(s, id, alive_only)					\
	for ((id) = 0; ((s) = next_cache(&(id), (alive_only))) != NULL;)

/*
 * fork() of private memory: every slab lock, level by level over every
 * cache in the order above (a thread nests a lower level of one cache
 * under a higher level of another, never the reverse).  The caches are
 * gathered once (slab_mutex keeps the set fixed until the unlock): the
 * table has KMEM_MAX_CACHES slots, and a fork should not walk it five times.
 */
static struct kmem_cache *fork_caches[KMEM_MAX_CACHES];
static unsigned int nr_fork_caches;

void __kmem_slab_fork_lock(void)
{
	struct kmem_cache *s;
	unsigned int id, i, k;

	kmem_fork_lock(&kmem_mm.shm->slab_mutex);
	nr_fork_caches = 0;
	for_each_cache(s, id, false)
		fork_caches[nr_fork_caches++] = s;
	for (k = 0; k < nr_fork_caches; k++)
		for (i = 0; i < kmem_mm.nr_cpu_ids; i++)
			kmem_fork_lock(&cache_cpu(fork_caches[k], (int)i)->lock);
	for (k = 0; k < nr_fork_caches; k++)
		for (i = 0; i < kmem_mm.nr_nodes; i++)
			kmem_fork_lock(&cache_node(fork_caches[k], (int)i)->xfer_lock);
	for (k = 0; k < nr_fork_caches; k++)
		for (i = 0; i < kmem_mm.nr_nodes; i++)
			kmem_fork_lock(&cache_node(fork_caches[k], (int)i)->list_lock);
}

void __kmem_slab_fork_unlock(bool child)
{
	unsigned int i, k;

	for (k = 0; k < nr_fork_caches; k++) {
		struct kmem_cache *s = fork_caches[k];

		for (i = 0; i < kmem_mm.nr_nodes; i++) {
			kmem_fork_unlock(&cache_node(s, (int)i)->list_lock, child);
			kmem_fork_unlock(&cache_node(s, (int)i)->xfer_lock, child);
		}
		for (i = 0; i < kmem_mm.nr_cpu_ids; i++)
			kmem_fork_unlock(&cache_cpu(s, (int)i)->lock, child);
	}
	kmem_fork_unlock(&kmem_mm.shm->slab_mutex, child);
}

/* Discard every empty slab on the partial lists. Return: pages given back. */
static unsigned long discard_empty_slabs(struct kmem_cache *s)
{
	unsigned long pages = 0;
	unsigned int nid;

	for (nid = 0; nid < kmem_mm.nr_nodes; nid++) {
		struct kmem_cache_node *n = cache_node(s, (int)nid);
		u32 pfn, next, nr = 0;
		u32 victims[256];

		do {
			nr = 0;
			slab_mutex_lock(&n->list_lock);
			for (pfn = n->partial; pfn != PFN_NIL && nr < 256; pfn = next) {
				struct page *slab = __pfn_to_page(pfn);

				next = slab->buddy.next;
				if (SLAB_INUSE(__atomic_load_n(slab_word(slab), __ATOMIC_ACQUIRE)))
					continue;
				list_del_slab(n, slab);
				victims[nr++] = pfn;
			}
			slab_mutex_unlock(&n->list_lock);
			for (u32 i = 0; i < nr; i++)
				discard_slab(s, __pfn_to_page(victims[i]));
			pages += (unsigned long)nr << s->order;
		} while (nr == 256);
	}
	return pages;
}

int kmem_cache_shrink(struct kmem_cache *s)
{
	if (!s)
		return 0;
	flush_all(s, false);
	xfer_drain(s);
	discard_empty_slabs(s);
	return 0;
}

long kmem_cache_shrink_name(const char *name)
{
	struct kmem_shared *shm;
	struct kmem_cache *s;
	unsigned long pages = 0;
	bool found = false;
	unsigned int id;

	if (kmem_ensure_init())
		return -ENOMEM;
	shm = kmem_mm.shm;
	/* slab_mutex keeps the caches alive, as in __kmem_slab_reclaim(). */
	if (pthread_mutex_lock(&shm->slab_mutex) == EOWNERDEAD)
		__kmem_lock_owner_died(&shm->slab_mutex);
	for_each_cache(s, id, true) {
		if (name && strcmp(s->name, name))
			continue;
		found = true;
		flush_all(s, false);
		xfer_drain(s);
		pages += discard_empty_slabs(s);
	}
	pthread_mutex_unlock(&shm->slab_mutex);
	return found || !name ? (long)pages : -ENOENT;
}

/* Every live cache's object cache on the CPU this runs on (rseq). */
static void flush_cpu_local_all(void *arg)
{
	struct kmem_cache *s;
	unsigned int id;

	(void)arg;
	for_each_cache(s, id, true)
		flush_cpu_local(s);
}

/**
 * __kmem_slab_reclaim - the slab layer's share of reclaim: every cache's
 * per-CPU object caches emptied (each CPU's on that CPU when @all_cpus,
 * else only this CPU's), stashes and transfer caches given back to their
 * slabs, and every empty slab discarded.
 *
 * slab_mutex keeps the caches alive meanwhile.  It is taken as a plain
 * lock, not as one of kmem's locked sections: the discards free pages,
 * which inside a locked section would be deferred, and no signal handler
 * ever takes slab_mutex (it guards cache creation and destruction only).
 * Context: may sleep; no kmem lock held.
 * Return: pages given back to the page allocator.
 */
unsigned long __kmem_slab_reclaim(bool all_cpus)
{
	struct kmem_shared *shm = kmem_mm.shm;
	bool locked_mode = kmem_mm.pcp_mode == KMEM_PCP_LOCKED;
	struct kmem_cache *s;
	unsigned long pages = 0;
	unsigned int id, cpu;

	if (pthread_mutex_lock(&shm->slab_mutex) == EOWNERDEAD)
		__kmem_lock_owner_died(&shm->slab_mutex);
	if (!locked_mode) {
		if (all_cpus)
			__kmem_on_each_cpu(flush_cpu_local_all, NULL);
		else
			flush_cpu_local_all(NULL);
	}
	for_each_cache(s, id, true) {
		for (cpu = 0; cpu < kmem_mm.nr_cpu_ids; cpu++) {
			struct kmem_cache_cpu *c = cache_cpu(s, (int)cpu);

			slab_mutex_lock(&c->lock);
			flush_cpu_cache_locked(s, c, locked_mode);
			slab_mutex_unlock(&c->lock);
		}
		xfer_drain(s);
		pages += discard_empty_slabs(s);
	}
	pthread_mutex_unlock(&shm->slab_mutex);
	return pages;
}

/* List the objects still allocated in @slab (not on its free list). */
static void list_slab_objects(struct kmem_cache *s, struct page *slab, char *buf, size_t len,
			      unsigned int *listed)
{
	u8 free_map[(PAGE_SIZE << PAGE_ALLOC_COSTLY_ORDER) / 8 + 1];
	u64 w = __atomic_load_n(slab_word(slab), __ATOMIC_ACQUIRE);
	u32 fl = SLAB_FREELIST(w), i, guard = 0;
	size_t used = strlen(buf);

	if (s->objects > sizeof(free_map) * 8)
		return;
	memset(free_map, 0, (s->objects + 7) / 8);
	while (fl && guard++ < s->objects) {
		free_map[(fl - 1) / 8] |= (u8)(1u << ((fl - 1) % 8));
		fl = get_freepointer(s, index_to_obj(s, slab, fl - 1));
	}
	for (i = 0; i < s->objects && used + 64 < len; i++) {
		if (free_map[i / 8] & (1u << (i % 8)))
			continue;
		if (*listed < 32)
			used += (size_t)snprintf(buf + used, len - used, "Object %p @offset=%llu\n",
						 index_to_obj(s, slab, i),
						 (unsigned long long)((u8 *)index_to_obj(s, slab, i) -
								      (u8 *)slab_base(slab)));
		(*listed)++;
	}
}

/*
 * kmem_cache_destroy - with objects still allocated the cache is reported,
 * its slabs are kept (their objects stay valid) and it is marked leaked.
 */
void kmem_cache_destroy(struct kmem_cache *s)
{
	struct kmem_shared *shm;
	unsigned int nid, listed = 0;
	u64 live = 0;
	char buf[4096] = "";

	if (!s || !kmem_initialized())
		return;
	shm = kmem_mm.shm;
	if (s->flags & SLAB_TYPESAFE_BY_RCU)
		__kmem_rcu_barrier();
	flush_all(s, true);
	xfer_drain(s);
	discard_empty_slabs(s);
	for (nid = 0; nid < kmem_mm.nr_nodes; nid++) {
		struct kmem_cache_node *n = cache_node(s, (int)nid);
		u32 lists[2] = { n->partial, n->full }, pfn;

		for (int l = 0; l < 2; l++) {
			for (pfn = lists[l]; pfn != PFN_NIL; pfn = __pfn_to_page(pfn)->buddy.next) {
				struct page *slab = __pfn_to_page(pfn);

				live += SLAB_INUSE(__atomic_load_n(slab_word(slab), __ATOMIC_ACQUIRE));
				list_slab_objects(s, slab, buf, sizeof(buf), &listed);
			}
		}
	}
	if (s->flags & SLAB_TYPESAFE_BY_RCU)
		__kmem_rcu_barrier();	/* the discarded slabs' pages */
	slab_mutex_lock(&shm->slab_mutex);
	if (live) {
		s->state = KMEM_CACHE_LEAKED;
	} else {
		shm->caches[s->id] = 0;
		cache_ctor[s->id] = NULL;
		s->state = KMEM_CACHE_FREE;
	}
	slab_mutex_unlock(&shm->slab_mutex);
	if (live) {
		__kmem_printk("=============================================================================\n"
			      "BUG %s (Not tainted): Objects remaining in %s on __kmem_cache_shutdown()\n"
			      "-----------------------------------------------------------------------------\n\n"
			      "%s%s"
			      "kmem_cache_destroy %s: Slab cache still has objects (%llu); "
			      "their memory is kept\n",
			      s->name, s->name, buf, listed > 32 ? "...\n" : "", s->name,
			      (unsigned long long)live);
		return;
	}
	__free_pages(virt_to_page(s), s->meta_order);
}

/* ------------------------------------------------------------------ */
/* kmalloc                                                             */
/* ------------------------------------------------------------------ */

static const unsigned int kmalloc_sizes[KMALLOC_NR_CACHES] = {
	0, 96, 192, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192,
};

/* The kernel's size_index[]: kmalloc index for sizes 1..192 in 8-byte steps. */
static const u8 size_index[24] = {
	3, 4, 5, 5, 6, 6, 6, 6, 1, 1, 1, 1, 7, 7, 7, 7, 2, 2, 2, 2, 2, 2, 2, 2,
};

static __always_inline unsigned int kmalloc_index(size_t size)
{
	if (size <= 192)
		return size_index[(size - 1) / 8];
	return 64 - (unsigned int)__builtin_clzl(size - 1);
}

static __always_inline unsigned int kmalloc_type(gfp_t flags)
{
	return unlikely(flags & __GFP_DMA) ? 1 : 0;
}

static noinline void *__kmalloc_large(size_t size, gfp_t flags, int node, const void *caller)
{
	unsigned int order;
	struct page *page;

	if (unlikely(size > KMALLOC_MAX_SIZE)) {
		if (!(flags & __GFP_NOWARN))
			__kmem_printk("WARNING: %s: kmalloc: size %zu exceeds KMALLOC_MAX_SIZE (%lu)\n",
				      os_comm(), size, KMALLOC_MAX_SIZE);
		return NULL;
	}
	order = (unsigned int)get_order(size);
	page = __kmem_alloc_pages_caller((flags & ~__GFP_HIGHMEM) | __GFP_COMP, order, node,
					 caller);
	if (!page)
		return NULL;
	WRITE_ONCE(page->flags, READ_ONCE(page->flags) | PG_large_kmalloc);
	kasan_kmalloc_large(page, size, flags);
	return page_address(page);
}

static noinline void *kmalloc_slow(size_t size, gfp_t flags, int node, const void *caller)
{
	if (size > KMALLOC_MAX_CACHE_SIZE)
		return __kmalloc_large(size, flags, node, caller);
	if (!size)
		return ZERO_SIZE_PTR;
	if (kmem_ensure_init())
		return NULL;
	return slab_alloc(kmalloc_caches[kmalloc_type(flags)][kmalloc_index(size)], flags, node,
			  size, caller);
}

static __always_inline void *__kmalloc(size_t size, gfp_t flags, int node, const void *caller)
{
	struct kmem_cache *s;

	if (unlikely(size - 1 >= KMALLOC_MAX_CACHE_SIZE))
		return kmalloc_slow(size, flags, node, caller);
	s = kmalloc_caches[kmalloc_type(flags)][kmalloc_index(size)];
	if (unlikely(!s))
		return kmalloc_slow(size, flags, node, caller);
	return slab_alloc(s, flags, node, size, caller);
}

void *kmalloc(size_t size, gfp_t flags)
{
	return __kmalloc(size, flags, NUMA_NO_NODE, __builtin_return_address(0));
}

void *kmalloc_node(size_t size, gfp_t flags, int node)
{
	return __kmalloc(size, flags, node, __builtin_return_address(0));
}

/* kmalloc_node() for kmem's own entry points (kvmalloc), reporting their caller. */
void *__kmem_kmalloc_caller(size_t size, gfp_t flags, int node, const void *caller)
{
	return __kmalloc(size, flags, node, caller);
}

void *kmalloc_array(size_t n, size_t size, gfp_t flags)
{
	size_t bytes;

	if (unlikely(__builtin_mul_overflow(n, size, &bytes)))
		return NULL;
	return __kmalloc(bytes, flags, NUMA_NO_NODE, __builtin_return_address(0));
}

void *kmalloc_array_node(size_t n, size_t size, gfp_t flags, int node)
{
	size_t bytes;

	if (unlikely(__builtin_mul_overflow(n, size, &bytes)))
		return NULL;
	return __kmalloc(bytes, flags, node, __builtin_return_address(0));
}

static noinline void __cold kfree_bad(const void *x, const char *why, const void *caller)
{
	static u64 last_ns;
	static unsigned int burst;

	if (__kmem_ratelimit(&last_ns, &burst, 1000, 60))
		__kmem_printk("kfree: %s: %p, caller %p (ignored)\n", why, x, caller);
}

static void free_large_kmalloc(struct page *page, const void *x, const void *caller)
{
	if (unlikely(x != page_address(page) || page_count(page) <= 0)) {
		kfree_bad(x, "invalid pointer into a large kmalloc allocation", caller);
		return;
	}
	WRITE_ONCE(page->flags, READ_ONCE(page->flags) & ~PG_large_kmalloc);
	__free_pages(page, page->order);
}

void kfree(const void *x)
{
	const void *caller = __builtin_return_address(0);
	struct page *page;

	if (unlikely(ZERO_OR_NULL_PTR(x)))
		return;
	page = kmem_head_page(x);
	if (unlikely(!page)) {
		kfree_bad(x, "not kmem memory", caller);
		return;
	}
	if (likely(READ_ONCE(page->flags) & PG_slab)) {
		slab_free(NULL, page, (void *)x, caller, false);
		return;
	}
	if (READ_ONCE(page->flags) & PG_large_kmalloc) {
		free_large_kmalloc(page, x, caller);
		return;
	}
	kfree_bad(x, "not a kmalloc() allocation", caller);
}

/* The usable size, as the kernel's slab_ksize(). */
static size_t slab_ksize(const struct kmem_cache *s)
{
	if (s->flags & (SLAB_RED_ZONE | SLAB_POISON))
		return s->object_size;
	if (s->flags & (SLAB_TYPESAFE_BY_RCU | SLAB_STORE_USER) || cache_ctor[s->id] ||
	    s->offset >= s->object_size)
		return s->inuse;
	return s->size;
}

/* The kernel's __ksize(): the usable size, and nothing else. */
static size_t __ksize(const void *x)
{
	struct page *page;

	if (unlikely(ZERO_OR_NULL_PTR(x)))
		return 0;
	page = kmem_initialized() ? kmem_head_page(x) : NULL;
	if (!page)
		return 0;
	if (READ_ONCE(page->flags) & PG_slab)
		return slab_ksize(cache_at(slab_cache_off(page)));
	if (READ_ONCE(page->flags) & PG_large_kmalloc)
		return PAGE_SIZE << page->order;
	return 0;
}

/* The caller may use all of it, so the tools are told so (as the kernel's ksize()). */
size_t ksize(const void *x)
{
	size_t size = __ksize(x);

	if (size)
		kasan_ksize(x, size);
	return size;
}

size_t kmalloc_size_roundup(size_t size)
{
	if (size && size <= KMALLOC_MAX_CACHE_SIZE)
		return kmalloc_sizes[kmalloc_index(size)];
	if (size > KMALLOC_MAX_SIZE)
		return size;
	return size ? PAGE_SIZE << get_order(size) : 0;
}

void kfree_sensitive(const void *p)
{
	size_t ks = ksize(p);

	if (ks) {
		memset((void *)p, 0, ks);
		__asm__ __volatile__("" : : "r"(p) : "memory");
	}
	kfree(p);
}

void *krealloc(const void *p, size_t new_size, gfp_t flags)
{
	size_t ks;
	void *ret;

	if (unlikely(!new_size)) {
		kfree(p);
		return ZERO_SIZE_PTR;
	}
	/* all ks bytes opened: copied below, or cleared here */
	ks = ksize(p);
	if (ks >= new_size) {
		if (flags & __GFP_ZERO)
			memset((char *)p + new_size, 0, ks - new_size);
		kasan_krealloc(p, new_size, ks);
		return (void *)p;
	}
	ret = __kmalloc(new_size, flags, NUMA_NO_NODE, __builtin_return_address(0));
	if (ret && !ZERO_OR_NULL_PTR(p)) {
		memcpy(ret, p, ks);
		kfree(p);
	}
	return ret;
}

void *krealloc_array(void *p, size_t new_n, size_t new_size, gfp_t flags)
{
	size_t bytes;

	if (unlikely(__builtin_mul_overflow(new_n, new_size, &bytes)))
		return NULL;
	return krealloc(p, bytes, flags);
}

/**
 * __kmem_obj_start - the start of the slab object or large kmalloc block
 * that contains @p (for kfree_rcu, which is handed an rcu_head inside the
 * object).  Return: NULL if @p is in neither.
 */
void *__kmem_obj_start(const void *p)
{
	struct page *page = kmem_initialized() ? kmem_head_page(p) : NULL;
	struct kmem_cache *s;
	u64 off;

	if (!page)
		return NULL;
	if (READ_ONCE(page->flags) & PG_large_kmalloc)
		return page_address(page);
	if (!(READ_ONCE(page->flags) & PG_slab))
		return NULL;
	s = cache_at(slab_cache_off(page));
	off = (u64)((const char *)p - (const char *)slab_base(page));
	if (off < s->red_left_pad)
		return NULL;
	off = (off - s->red_left_pad) / s->size;
	return off < s->objects ? index_to_obj(s, page, (u32)off) : NULL;
}

/* ------------------------------------------------------------------ */
/* setup                                                               */
/* ------------------------------------------------------------------ */

int __kmem_slab_init(void)
{
	struct kmem_shared *shm = kmem_mm.shm;
	unsigned int type, i;

	for (type = 0; type < KMALLOC_NR_TYPES; type++) {
		for (i = 1; i < KMALLOC_NR_CACHES; i++) {
			unsigned int size = kmalloc_sizes[i];
			char name[32];
			struct kmem_cache *s;

			snprintf(name, sizeof(name), type ? "dma-kmalloc-%u%s" : "kmalloc-%u%s",
				 size >= 1024 ? size / 1024 : size, size >= 1024 ? "k" : "");
			/* power-of-two sizes keep their natural alignment, as the kernel's */
			s = create_cache(name, size, (size & (size - 1)) ? 0 : size,
					 SLAB_KMALLOC | (type ? SLAB_CACHE_DMA : 0) |
					 (kmem_mm.opts.object_owners ? SLAB_ACCOUNT : 0), NULL);
			if (!s) {
				__kmem_printk("kmem: cannot create %s\n", name);
				return -ENOMEM;
			}
			shm->kmalloc_caches[type][i] = kmem_off(s);
			kmalloc_caches[type][i] = s;
		}
	}
	return 0;
}

/*
 * __kmem_slab_attach - the slab layer of a process attaching to kmemd: the
 * caches exist in shared memory already; find the kmalloc caches.  Only
 * per-process state is set up here (constructors start empty: they are
 * code, registered by kmem_cache_create() in the process that runs them).
 * Return: 0, or -EPROTO when the segment names a cache outside the memory.
 */
int __kmem_slab_attach(void)
{
	struct kmem_shared *shm = kmem_mm.shm;
	unsigned int type, i;

	for (type = 0; type < KMALLOC_NR_TYPES; type++) {
		for (i = 1; i < KMALLOC_NR_CACHES; i++) {
			u64 off = READ_ONCE(shm->kmalloc_caches[type][i]);

			if (!off || off > kmem_mm.mem_size - sizeof(struct kmem_cache) ||
			    off % sizeof(u64)) {
				memset(kmalloc_caches, 0, sizeof(kmalloc_caches));
				return -EPROTO;
			}
			kmalloc_caches[type][i] = cache_at(off);
		}
	}
	memset(cache_ctor, 0, sizeof(cache_ctor));
	return 0;
}

void __kmem_slab_exit(void)
{
	memset(kmalloc_caches, 0, sizeof(kmalloc_caches));
	memset(cache_ctor, 0, sizeof(cache_ctor));
}

/* ------------------------------------------------------------------ */
/* recovery after a client died (client_gone.c)                        */
/* ------------------------------------------------------------------ */

/* Is one of @n's lists sound: in-range pfns of @s's slabs, tagged @l, no cycle? */
static bool slab_list_sound(struct kmem_cache *s, int nid, u32 head, enum slab_list l)
{
	u64 guard = 0, limit = kmem_mm.total_pages, off = kmem_off(s);
	u32 pfn, prev = PFN_NIL;

	for (pfn = head; pfn != PFN_NIL; prev = pfn, pfn = __pfn_to_page(pfn)->buddy.next) {
		struct page *slab;

		if (pfn >= kmem_mm.total_pages || guard++ > limit)
			return false;
		slab = __pfn_to_page(pfn);
		if (!(READ_ONCE(slab->flags) & PG_slab) || slab_cache_off(slab) != off ||
		    slab_list_of(slab) != l || __page_to_nid(slab) != nid || slab->buddy.prev != prev)
			return false;
	}
	return true;
}

/**
 * __kmem_slab_node_check - @s's node @nid lists after their list_lock died
 * with its holder.  A list half linked (an out-of-range pfn, a page not of
 * this cache, a cycle, a broken back link) is rebuilt from the slab pages
 * themselves: every PG_slab head page of @s on the node records in slab[2]
 * which list it is on.  The tag is set after linking and cleared after
 * unlinking, so a slab its holder was moving when it died is put back
 * where it was; one being added for the first time is left off the lists
 * (its objects stay allocated; it is never handed out twice).
 * Context: caller holds the node's list_lock.  Return: true if rebuilt.
 */
bool __kmem_slab_node_check(struct kmem_cache *s, int nid)
{
	struct kmem_cache_node *n = cache_node(s, nid);
	u64 off = kmem_off(s), pfn;

	if (slab_list_sound(s, nid, n->partial, SLAB_LIST_PARTIAL) &&
	    slab_list_sound(s, nid, n->full, SLAB_LIST_FULL))
		return false;
	n->partial = n->full = PFN_NIL;
	WRITE_ONCE(n->nr_partial, 0);
	for (pfn = kmem_next_online_pfn(0, kmem_mm.total_pages); pfn < kmem_mm.total_pages;
	     pfn = kmem_next_online_pfn(pfn + 1, kmem_mm.total_pages)) {
		struct page *slab = __pfn_to_page(pfn);
		u32 l = slab_list_of(slab);

		if (!(READ_ONCE(slab->flags) & PG_slab) || (slab->compound_head & 1) ||
		    slab_cache_off(slab) != off || __page_to_nid(slab) != nid ||
		    (l != SLAB_LIST_PARTIAL && l != SLAB_LIST_FULL))
			continue;
		list_add_slab(n, slab, l);
	}
	return true;
}

/* Is @lock one of @s's node list_locks?  Return: its node, or -1. */
static int cache_list_lock_node(struct kmem_cache *s, pthread_mutex_t *lock)
{
	unsigned int nid;

	for (nid = 0; nid < kmem_mm.nr_nodes; nid++)
		if (&cache_node(s, (int)nid)->list_lock == lock)
			return (int)nid;
	return -1;
}

/**
 * __kmem_slab_lock_died - @lock died with its holder: if it is a cache's
 * list_lock, check (and if need be rebuild) that node's lists.  Called by
 * __kmem_lock_owner_died() with @lock held.  The caches[] walk reads
 * without slab_mutex: that may be the lock that died, and a cache is freed
 * only by its creator's destroy, which cannot run while we hold one of its
 * locks.  Return: 1 rebuilt, 0 sound, -1 not a list_lock.
 */
int __kmem_slab_lock_died(pthread_mutex_t *lock)
{
	unsigned int id;

	for (id = 1; id < KMEM_MAX_CACHES; id++) {
		struct kmem_cache *s = cache_slot(id);
		int nid;

		if (!s)
			continue;
		nid = cache_list_lock_node(s, lock);
		if (nid < 0)
			continue;
		if (!__kmem_slab_node_check(s, nid))
			return 0;
		__kmem_printk("kmem: cache %s node %d lists rebuilt after a client died holding "
			      "its list_lock: %llu partial\n", s->name, nid,
			      (unsigned long long)cache_node(s, nid)->nr_partial);
		return 1;
	}
	return -1;
}

/*
 * Try @lock for at most @ms: a dead holder's lock is recovered by the
 * acquisition itself (EOWNERDEAD, __kmem_lock_owner_died()), a live
 * holder's is left alone.  Return: 0 (recovered or free), -EBUSY.
 */
int __kmem_lock_probe(pthread_mutex_t *lock, unsigned int ms, u32 *recovered)
{
	struct timespec ts;
	int ret;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += (long)ms * 1000000;
	ts.tv_sec += ts.tv_nsec / 1000000000;
	ts.tv_nsec %= 1000000000;
	kmem_irq_disable();
	ret = pthread_mutex_timedlock(lock, &ts);
	if (ret == EOWNERDEAD) {
		__kmem_lock_owner_died(lock);
		(*recovered)++;
		ret = 0;
	}
	if (ret == 0) {
		pthread_mutex_unlock(lock);
		kmem_irq_enable();
		return 0;
	}
	kmem_irq_enable();
	return -EBUSY;
}

/**
 * __kmem_slab_client_gone - the slab side of a dead client: probe every
 * cache's locks, then destroy the caches @client_id created.  A cache with
 * objects still allocated is kept, leaked, as kmem_cache_destroy() keeps
 * one: another process may hold them.
 * Context: the daemon, no kmem lock held.  Return: 0, or -EBUSY when a
 * live process holds one of the locks (nothing destroyed; try again).
 */
int __kmem_slab_client_gone(u32 client_id, u32 *recovered, u32 *destroyed, u32 *kept)
{
	struct kmem_shared *shm = kmem_mm.shm;
	unsigned int id, cpu, nid;
	int busy = 0;

	busy |= __kmem_lock_probe(&shm->slab_mutex, 10, recovered);
	for (id = 1; id < KMEM_MAX_CACHES; id++) {
		struct kmem_cache *s = cache_slot(id);

		if (!s)
			continue;
		for (nid = 0; nid < kmem_mm.nr_nodes; nid++) {
			busy |= __kmem_lock_probe(&cache_node(s, (int)nid)->list_lock, 10, recovered);
			busy |= __kmem_lock_probe(&cache_node(s, (int)nid)->xfer_lock, 10, recovered);
		}
		for (cpu = 0; cpu < kmem_mm.nr_cpu_ids; cpu++)
			busy |= __kmem_lock_probe(&cache_cpu(s, (int)cpu)->lock, 10, recovered);
	}
	if (busy)
		return -EBUSY;
	/*
	 * The caches with no object left go first, with the slabs the client
	 * held on no list; kmem_cache_destroy() reports and keeps the others.
	 */
	__kmem_slab_reap_caches(client_id, false, destroyed);
	for (id = 1; id < KMEM_MAX_CACHES; id++) {
		struct kmem_cache *s = cache_slot(id);

		if (!s)
			continue;
		if (s->owner != client_id || s->state != KMEM_CACHE_ALIVE)
			continue;
		kmem_cache_destroy(s);
		if (READ_ONCE(shm->caches[id]))
			(*kept)++;
		else
			(*destroyed)++;
	}
	return 0;
}

/* Every slab page of @s, on a list or not: a dead client's cache is freed whole. */
static void free_cache_slabs(struct kmem_cache *s)
{
	u64 off = kmem_off(s), pfn;
	unsigned int nid;

	for (pfn = kmem_next_online_pfn(0, kmem_mm.total_pages); pfn < kmem_mm.total_pages;
	     pfn = kmem_next_online_pfn(pfn + 1, kmem_mm.total_pages)) {
		struct page *slab = __pfn_to_page(pfn);

		if (!(READ_ONCE(slab->flags) & PG_slab) || (slab->compound_head & 1) ||
		    slab_cache_off(slab) != off || slab->order != s->order)
			continue;
		free_slab_pages(slab, s->order);
		pfn += (1ULL << s->order) - 1;
	}
	for (nid = 0; nid < kmem_mm.nr_nodes; nid++) {
		struct kmem_cache_node *n = cache_node(s, (int)nid);

		n->partial = n->full = PFN_NIL;
		n->nr_partial = n->nr_slabs = n->total_objects = 0;
		n->xfer_count = 0;
	}
}

/* Objects allocated in @s's listed slabs, and slabs of @s on no list. */
static u64 cache_live_objects(struct kmem_cache *s, u64 *unlisted)
{
	u64 off = kmem_off(s), pfn, live = 0;

	*unlisted = 0;
	for (pfn = kmem_next_online_pfn(0, kmem_mm.total_pages); pfn < kmem_mm.total_pages;
	     pfn = kmem_next_online_pfn(pfn + 1, kmem_mm.total_pages)) {
		struct page *slab = __pfn_to_page(pfn);
		u32 l;

		if (!(READ_ONCE(slab->flags) & PG_slab) || (slab->compound_head & 1) ||
		    slab_cache_off(slab) != off)
			continue;
		l = slab_list_of(slab);
		if (l == SLAB_LIST_PARTIAL || l == SLAB_LIST_FULL)
			live += SLAB_INUSE(__atomic_load_n(slab_word(slab), __ATOMIC_ACQUIRE));
		else
			(*unlisted)++;
	}
	return live;
}

/**
 * __kmem_slab_reap_caches - the caches dead client @client_id created that
 * are still there: each is destroyed once no object in its listed slabs is
 * allocated (the other processes freed what they held), with any slab the
 * client had in its hands when it died (on no list: frozen, or not yet
 * published), which no one else could reach; with @force, whatever it
 * holds, its objects freed with it: the daemon knows no process alive
 * can hold a pointer into it.
 * Context: the daemon, no kmem lock held.  Return: the caches still kept.
 */
unsigned int __kmem_slab_reap_caches(u32 client_id, bool force, u32 *destroyed)
{
	struct kmem_shared *shm = kmem_mm.shm;
	unsigned int id, kept = 0;

	for (id = 1; id < KMEM_MAX_CACHES; id++) {
		struct kmem_cache *s = cache_slot(id);
		u64 live, unlisted;

		if (!s)
			continue;
		if (s->owner != client_id || s->id != id ||
		    (s->state != KMEM_CACHE_LEAKED && s->state != KMEM_CACHE_ALIVE))
			continue;
		if (s->flags & SLAB_TYPESAFE_BY_RCU)
			__kmem_rcu_barrier();	/* no slab of it waits for a grace period */
		flush_all(s, true);
		xfer_drain(s);
		discard_empty_slabs(s);
		live = cache_live_objects(s, &unlisted);
		if (live && !force) {
			kept++;
			continue;
		}
		if (live || unlisted)
			__kmem_printk("kmem: cache %s of dead client %u freed with %llu objects and "
				      "%llu slabs on no list\n", s->name, client_id,
				      (unsigned long long)live, (unsigned long long)unlisted);
		free_cache_slabs(s);
		slab_mutex_lock(&shm->slab_mutex);
		shm->caches[id] = 0;
		cache_ctor[id] = NULL;
		s->state = KMEM_CACHE_FREE;
		slab_mutex_unlock(&shm->slab_mutex);
		__free_pages(virt_to_page(s), s->meta_order);
		(*destroyed)++;
	}
	return kept;
}

/* ------------------------------------------------------------------ */
/* objects a dead client had in its hands (kmemd)                      */
/* ------------------------------------------------------------------ */

/* Mark in @is_free the objects on @slab's free list. */
static void slab_free_map(struct kmem_cache *s, struct page *slab, u8 *is_free)
{
	u32 fl = SLAB_FREELIST(__atomic_load_n(slab_word(slab), __ATOMIC_ACQUIRE)), guard = 0;

	memset(is_free, 0, s->objects);
	while (fl && fl <= s->objects && guard++ < s->objects) {
		is_free[fl - 1] = 1;
		fl = get_freepointer(s, index_to_obj(s, slab, fl - 1));
	}
}

/* Every object of the owner-recording caches, flushed back to its slab. */
static void flush_owner_caches(void)
{
	struct kmem_cache *s;
	unsigned int id;

	for_each_cache(s, id, true) {
		if (!s->owners_off || (s->flags & (SLAB_DEBUG_FLAGS | SLAB_TYPESAFE_BY_RCU)))
			continue;
		flush_all(s, true);
		xfer_drain(s);
	}
}

/* @fn(@s, @slab, @idx) for each allocated object stamped 0 of the owner-recording caches. */
static u64 for_each_unowned(u8 *is_free, bool (*fn)(struct kmem_cache *s, struct page *slab,
						   u32 idx, void *arg), void *arg)
{
	u64 pfn, n = 0;

	for (pfn = kmem_next_online_pfn(0, kmem_mm.total_pages); pfn < kmem_mm.total_pages;
	     pfn = kmem_next_online_pfn(pfn + 1, kmem_mm.total_pages)) {
		struct page *slab = __pfn_to_page(pfn);
		struct kmem_cache *s;
		u64 off;
		u32 i;

		if (!(READ_ONCE(slab->flags) & PG_slab) || (slab->compound_head & 1))
			continue;
		off = slab_cache_off(slab);
		if (!off || off >= (kmem_mm.total_pages << PAGE_SHIFT))
			continue;
		s = cache_at(off);
		if (!cache_trusted(s))
			continue;
		if (s->state != KMEM_CACHE_ALIVE || !s->owners_off || slab->order != s->order ||
		    (s->flags & (SLAB_DEBUG_FLAGS | SLAB_TYPESAFE_BY_RCU)) ||
		    s->objects > PAGE_SIZE << PAGE_ALLOC_COSTLY_ORDER)
			continue;
		/*
		 * On no list with nothing in use: new, maybe half built (its free
		 * pointers and owners not all written), so its objects say nothing;
		 * relist_unlisted() gives it back whole.
		 */
		if (slab_list_of(slab) == SLAB_LIST_NONE &&
		    !SLAB_INUSE(__atomic_load_n(slab_word(slab), __ATOMIC_ACQUIRE))) {
			pfn += (1ULL << s->order) - 1;
			continue;
		}
		slab_free_map(s, slab, is_free);
		for (i = 0; i < s->objects; i++) {
			void *object = index_to_obj(s, slab, i);

			if (is_free[i] || __atomic_load_n(obj_owner_slot(s, object), __ATOMIC_RELAXED))
				continue;
			if (fn(s, slab, i, arg))
				n++;
		}
		pfn += (1ULL << s->order) - 1;
	}
	return n;
}

struct unowned {
	u64 *pfn_idx;		/* pfn << 16 | index */
	size_t nr, cap;
};

static bool note_unowned(struct kmem_cache *s, struct page *slab, u32 idx, void *arg)
{
	struct unowned *u = arg;

	(void)s;
	if (u->nr == u->cap) {
		size_t cap = u->cap ? u->cap * 2 : 64;
		u64 *p = os_reallocarray(u->pfn_idx, cap, sizeof(*p));

		if (!p)
			return false;
		u->pfn_idx = p;
		u->cap = cap;
	}
	u->pfn_idx[u->nr++] = __page_to_pfn(slab) << 16 | idx;
	return true;
}

/* Still unowned at the second look: free it into its slab. */
static bool free_unowned(struct kmem_cache *s, struct page *slab, u32 idx, void *arg)
{
	const struct unowned *u = arg;
	u64 key = __page_to_pfn(slab) << 16 | idx;
	size_t i;

	for (i = 0; i < u->nr; i++)
		if (u->pfn_idx[i] == key)
			break;
	if (i == u->nr)
		return false;
	__slab_free(s, slab, index_to_obj(s, slab, idx), idx);
	return true;
}

/*
 * slab_mutex as __kmem_slab_reclaim() takes it: a plain lock, so that the
 * slabs discarded under it go back to the page allocator at once.
 */
static void plain_slab_mutex_lock(struct kmem_shared *shm)
{
	if (pthread_mutex_lock(&shm->slab_mutex) == EOWNERDEAD)
		__kmem_lock_owner_died(&shm->slab_mutex);
}

/*
 * Slabs of the owner-recording caches on no list, with no CPU cache
 * holding them (all flushed, no client alive): a dead client had them in
 * its hands.  An empty one goes back, one with objects is listed again.
 */
static void relist_unlisted(void)
{
	u64 pfn;

	for (pfn = kmem_next_online_pfn(0, kmem_mm.total_pages); pfn < kmem_mm.total_pages;
	     pfn = kmem_next_online_pfn(pfn + 1, kmem_mm.total_pages)) {
		struct page *slab = __pfn_to_page(pfn);
		struct kmem_cache_node *n;
		struct kmem_cache *s;
		bool discard = false;
		u64 off, w;

		if (!(READ_ONCE(slab->flags) & PG_slab) || (slab->compound_head & 1) ||
		    slab_list_of(slab) != SLAB_LIST_NONE)
			continue;
		off = slab_cache_off(slab);
		if (!off || off >= (kmem_mm.total_pages << PAGE_SHIFT))
			continue;
		s = cache_at(off);
		if (!cache_trusted(s))
			continue;
		if (s->state != KMEM_CACHE_ALIVE || !s->owners_off || slab->order != s->order ||
		    (s->flags & (SLAB_DEBUG_FLAGS | SLAB_TYPESAFE_BY_RCU)))
			continue;
		n = cache_node(s, __page_to_nid(slab));
		slab_mutex_lock(&n->list_lock);
		w = __atomic_load_n(slab_word(slab), __ATOMIC_ACQUIRE);
		if (slab_list_of(slab) == SLAB_LIST_NONE) {
			if (!SLAB_INUSE(w))
				discard = true;
			else
				list_add_slab(n, slab, SLAB_FREELIST(w) ? SLAB_LIST_PARTIAL :
									  SLAB_LIST_FULL);
		}
		slab_mutex_unlock(&n->list_lock);
		if (discard) {
			__kmem_printk("kmem: cache %s: an empty slab on no list (a client died "
				      "holding it) given back\n", s->name);
			if (READ_ONCE(n->nr_slabs))
				discard_slab(s, slab);
			else
				free_slab_pages(slab, s->order);
		}
		pfn += (1ULL << s->order) - 1;
	}
}

void __kmem_slab_server_stamp(void)
{
	u8 *is_free = os_malloc(PAGE_SIZE << PAGE_ALLOC_COSTLY_ORDER);
	struct kmem_shared *shm = kmem_mm.shm;
	u64 pfn;

	if (!is_free || kmem_mm.owner)
		goto out;
	plain_slab_mutex_lock(shm);
	kmem_mm.owner_mark = KMEM_OWNER_SERVER;
	flush_owner_caches();
	/* no client yet: every object stamped 0 is ours */
	for (pfn = kmem_next_online_pfn(0, kmem_mm.total_pages); pfn < kmem_mm.total_pages;
	     pfn = kmem_next_online_pfn(pfn + 1, kmem_mm.total_pages)) {
		struct page *slab = __pfn_to_page(pfn);
		struct kmem_cache *s;
		u32 i;

		if (!(READ_ONCE(slab->flags) & PG_slab) || (slab->compound_head & 1))
			continue;
		s = cache_at(slab_cache_off(slab));
		if (!s->owners_off || s->objects > PAGE_SIZE << PAGE_ALLOC_COSTLY_ORDER)
			continue;
		slab_free_map(s, slab, is_free);
		for (i = 0; i < s->objects; i++)
			if (!is_free[i] && !*obj_owner_slot(s, index_to_obj(s, slab, i)))
				set_obj_owner(s, index_to_obj(s, slab, i));
	}
	pthread_mutex_unlock(&shm->slab_mutex);
out:
	os_free(is_free);
}

/**
 * __kmem_sweep_objects - free the objects of the owner-recording caches (the
 * kmalloc caches) that are allocated and stamped with no owner.  Since
 * kmemd stamps its own (__kmem_slab_server_stamp()), such an object is one
 * a client died with in its hands: taken from a slab and not yet stamped,
 * or unstamped by its free and not yet back.  No one can free it.
 * Context: kmemd with no client alive; slab_mutex keeps its reclaim out,
 * and an object is freed only if it looks so twice, @settle_ms apart, with
 * every CPU cache flushed before each look.
 * Return: objects freed, or -ENOMEM.
 */
long __kmem_sweep_objects(unsigned int settle_ms)
{
	struct kmem_shared *shm = kmem_mm.shm;
	struct unowned u = { 0 };
	struct kmem_cache *s;
	unsigned int id;
	u8 *is_free;
	long n = 0;

	if (!kmem_initialized() || kmem_mm.owner || !kmem_mm.owner_mark)
		return -EINVAL;
	if (__kmem_segment_gate("the sweep of objects in no one's hands"))
		return -EUCLEAN;
	is_free = os_malloc(PAGE_SIZE << PAGE_ALLOC_COSTLY_ORDER);
	if (!is_free)
		return -ENOMEM;
	plain_slab_mutex_lock(shm);
	flush_owner_caches();
	for_each_unowned(is_free, note_unowned, &u);
	pthread_mutex_unlock(&shm->slab_mutex);
	if (u.nr) {
		struct timespec ts = { 0, (long)settle_ms * 1000000L };

		nanosleep(&ts, NULL);
		plain_slab_mutex_lock(shm);
		flush_owner_caches();
		n = (long)for_each_unowned(is_free, free_unowned, &u);
		pthread_mutex_unlock(&shm->slab_mutex);
	}
	/* the slabs it had on no list (frozen, or new): listed again, or given back */
	plain_slab_mutex_lock(shm);
	relist_unlisted();
	for_each_cache(s, id, true)
		if (s->owners_off)
			discard_empty_slabs(s);
	pthread_mutex_unlock(&shm->slab_mutex);
	os_free(u.pfn_idx);
	os_free(is_free);
	return n;
}
