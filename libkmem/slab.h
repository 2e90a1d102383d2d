/* SPDX-License-Identifier: MIT */
/*
 * The slab layer's internal types (the kernel's mm/slab.h).
 *
 *   struct kmem_cache            one cache; lives in a page block of the
 *     |                          direct map, followed by:
 *     ├─ kmem_cache_cpu[cpu]     a per-CPU object cache ("sheaf"): a stack
 *     |                          of object offsets, popped and pushed in rseq
 *     └─ kmem_cache_node[nid]    per-node slab lists under list_lock
 *   slab                         the head struct page of a slab's pages,
 *                                seen through the accessors below
 *
 * A slab's state is one 64-bit word, changed only by compare-and-swap:
 *
 *	freelist (bits 0-31)	index + 1 of the first free object, 0 if none
 *	inuse (bits 32-47)	objects taken out of the slab (allocated, or
 *				sitting in a per-CPU cache)
 *
 * Free objects link to each other through a u32 (index + 1) stored at
 * s->offset inside the object.  Invariant: inuse + length(freelist) ==
 * s->objects.  Which list a slab is on (SLAB_LIST_*) is protected by the
 * node's list_lock.
 */
#ifndef _KMEM_SLAB_H
#define _KMEM_SLAB_H

#include <linux/slab.h>

#include "internal.h"

#define SLAB_DEBUG_FLAGS	(SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER | \
				 SLAB_CONSISTENCY_CHECKS)

/* SLUB's poison and red zone bytes (include/linux/poison.h). */
#define SLUB_RED_INACTIVE	0xbb
#define SLUB_RED_ACTIVE		0xcc
#define POISON_INUSE		0x5a
#define POISON_FREE		0x6b
#define POISON_END		0xa5

#define KMEM_CACHE_NAME_LEN	48
#define KMEM_MAX_CACHES		4096

/* struct kmem_cache_cpu - one CPU's object cache. */
struct kmem_cache_cpu {
	u64 word;		/* count (PCP_COUNT_MASK) | allocations served */
	u32 capacity;		/* slots; fixed at creation */
	u32 batch;		/* objects moved per refill / flush */
	pthread_mutex_t lock;	/* KMEM_PCP_LOCKED mode only */
	u64 frees;		/* unused by the fast path; pad to a line */
	u64 objs[];		/* object offsets from mem_base */
};

enum slab_list {
	SLAB_LIST_NONE,
	SLAB_LIST_PARTIAL,
	SLAB_LIST_FULL,
};

/*
 * Objects a node's transfer cache holds (tcmalloc's transfer cache, the
 * kernel's barn of full sheaves): a CPU cache that overflows parks a batch
 * here and one that runs dry takes a batch back, with one lock and one copy
 * instead of touching every object's slab.
 */
#define XFER_BATCHES	16

/* struct kmem_cache_node - a node's slabs of one cache. */
struct kmem_cache_node {
	pthread_mutex_t list_lock;
	u32 partial;		/* pfn of the first partial slab, PFN_NIL if none */
	u32 full;		/* pfn of the first full slab */
	u64 nr_partial;
	u64 nr_slabs;
	u64 total_objects;
	pthread_mutex_t xfer_lock;
	u32 xfer_count;		/* objects in xfer[] */
	u32 xfer_capacity;
	u64 xfer_off;		/* mem_base offset of u64 xfer[xfer_capacity] */
} __aligned(64);

enum kmem_cache_state {
	KMEM_CACHE_FREE,	/* slot unused */
	KMEM_CACHE_ALIVE,
	KMEM_CACHE_LEAKED,	/* destroyed with live objects: kept, never reused */
};

struct kmem_cache {
	/* read by the fast paths */
	u32 flags;		/* slab_flags_t */
	u32 size;		/* object stride, metadata included */
	u32 object_size;	/* what the creator asked for */
	u32 offset;		/* free pointer within the object */
	u32 red_left_pad;
	u32 reciprocal_size;	/* ceil(2^32 / size), for obj_to_index() */
	u32 cpu_stride;		/* bytes per kmem_cache_cpu */
	u32 objects;		/* per slab */
	u64 cpu_off;		/* mem_base offset of CPU 0's kmem_cache_cpu */
	u64 node_off;		/* mem_base offset of kmem_cache_node[nr_nodes] */
	u32 owners_off;		/* object owners: slab offset of u32[], 0 if none */
	u32 owner_shift;	/* log2 of the owner slot's bytes (<= log2(size)) */
	u32 slab_mask;		/* (PAGE_SIZE << order) - 1, with owners_off */
	/* read by the slow paths */
	u32 inuse;		/* object_size rounded up, before the metadata */
	u32 align;
	u32 order;
	u32 min_partial;
	u32 id;			/* index in kmem_shared::caches[] */
	u32 state;		/* enum kmem_cache_state */
	u32 owner;		/* client that created it */
	u32 meta_order;		/* order of the block holding this struct */
	u32 ctor_set;		/* a constructor was given (it is per process) */
	u32 _pad;
	u64 ctor_calls;		/* statistics */
	u64 debug_reports;
	char name[KMEM_CACHE_NAME_LEN];
};

/* Slab accessors over the head struct page. */
static __always_inline u64 *slab_word(struct page *slab)
{
	return &slab->slab[1];
}
static __always_inline u64 slab_cache_off(const struct page *slab)
{
	return slab->slab[0];
}
#define SLAB_FREELIST(w)	((u32)(w))
#define SLAB_INUSE(w)		((u32)((w) >> 32) & 0xffff)
#define SLAB_WORD(fl, inuse)	((u64)(fl) | (u64)(inuse) << 32)

static __always_inline struct kmem_cache *cache_at(u64 off)
{
	return (struct kmem_cache *)(kmem_mm.mem_base + off);
}
static __always_inline u64 kmem_off(const void *p)
{
	return (u64)((const char *)p - kmem_mm.mem_base);
}
static __always_inline struct kmem_cache_cpu *cache_cpu(const struct kmem_cache *s, int cpu)
{
	return (struct kmem_cache_cpu *)(kmem_mm.mem_base + s->cpu_off + (u64)cpu * s->cpu_stride);
}
static __always_inline struct kmem_cache_node *cache_node(const struct kmem_cache *s, int nid)
{
	return (struct kmem_cache_node *)(kmem_mm.mem_base + s->node_off) + nid;
}
static __always_inline void *slab_base(struct page *slab)
{
	return __page_address(slab);
}

/* The head page of the block holding @p, or NULL when @p is not kmem memory. */
static __always_inline struct page *kmem_head_page(const void *p)
{
	u64 off = (u64)((const char *)p - kmem_mm.mem_base);
	struct page *page;

	if (unlikely(off >= kmem_mm.total_pages << PAGE_SHIFT))
		return NULL;
	page = kmem_mm.memmap + (off >> PAGE_SHIFT);
	if (unlikely(page->compound_head & 1))
		page = kmem_mm.memmap + (page->compound_head >> 1);
	return page;
}

/* Index of the object at @p in @slab; U32_MAX if @p is not an object start. */
static __always_inline u32 obj_to_index(const struct kmem_cache *s, struct page *slab,
					const void *p)
{
	u64 off = (u64)((const char *)p - (const char *)slab_base(slab)) - s->red_left_pad;
	u32 idx = (u32)((off * s->reciprocal_size) >> 32);

	if (unlikely(idx >= s->objects || (u64)idx * s->size != off))
		return UINT32_MAX;
	return idx;
}

/*
 * Object owners (kmem_options::object_owners, the kmalloc caches only): the
 * client id of the process that allocated each object, 0 when free, in a
 * u32 vector at the end of the slab itself.  The slot is found from the
 * object's address alone — a slab is a buddy block, aligned to its size in
 * the pfn space, and objects are at least 1 << owner_shift bytes apart — so
 * the allocation fast path needs neither the struct page nor a division.
 * Written with a plain store: the words are kmem's, never poisoned for the
 * tools' purposes (kasan_meta_*), and a view that counts them reads each
 * once.
 */
static __always_inline u32 *obj_owner_slot(const struct kmem_cache *s, const void *object)
{
	/* mem_base is huge-page aligned, so the slab's alignment is the address's */
	uintptr_t in_slab = (uintptr_t)object & s->slab_mask;

	return (u32 *)((uintptr_t)object - in_slab + s->owners_off) + (in_slab >> s->owner_shift);
}

/*
 * kmemd stamps its own objects KMEM_OWNER_SERVER (no client id reaches it),
 * so that an allocated object stamped 0 is one no one can free: a client
 * died with it in its hands, between a slab and its stamp.
 */
#define KMEM_OWNER_SERVER	0xffffffffu

/* The allocating process's client id (kmem_mm.owner; KMEM_OWNER_SERVER in kmemd itself). */
static __always_inline void set_obj_owner(const struct kmem_cache *s, void *object)
{
	__atomic_store_n(obj_owner_slot(s, object), kmem_mm.owner | kmem_mm.owner_mark,
			 __ATOMIC_RELAXED);
}

static __always_inline void clear_obj_owner(const struct kmem_cache *s, void *object)
{
	__atomic_store_n(obj_owner_slot(s, object), 0, __ATOMIC_RELAXED);
}

static __always_inline void *index_to_obj(const struct kmem_cache *s, struct page *slab, u32 idx)
{
	return (char *)slab_base(slab) + s->red_left_pad + (u64)idx * s->size;
}

#endif /* _KMEM_SLAB_H */
