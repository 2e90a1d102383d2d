/* SPDX-License-Identifier: MIT */
/*
 * kasan.h - what kmem tells AddressSanitizer and Valgrind's memcheck about
 * its memory, so that they report use-after-free and out-of-bounds accesses
 * (and memcheck leaks) of kmem objects and pages as they do for malloc().
 * The hooks are named and placed after the kernel's KASAN hooks
 * (mm/kasan/common.c) and SLUB's metadata_access_enable()/disable().
 *
 * One set of hooks, two tools:
 *   ASan      compiled in under -fsanitize=address (KMEM_KASAN): shadow
 *             poisoning through <sanitizer/asan_interface.h>.  A bad access
 *             is reported as "use-after-poison" (manual poisoning has no
 *             heap-use-after-free of its own); kmem adds which object or
 *             page the address belongs to (kasan.c).
 *   memcheck  compiled in where <valgrind/memcheck.h> exists (KMEM_VALGRIND,
 *             the CMake option of that name; off in sanitizer builds), and
 *             run only when kmem_mm.valgrind is set: at kmem_init(), when
 *             the process runs under memcheck (not callgrind or another
 *             tool).  Allocations the caller sees are memcheck heap blocks
 *             (MALLOCLIKE), so its reports carry the allocation and free
 *             stacks and its leak check covers them.
 * In a normal build a hook is one predictable branch on that flag, the
 * calls behind it out of line; on the slab layer's rseq fast paths not even
 * that.  memcheck never runs those: __kasan_init() has kmem use its per-CPU
 * locks under it (glibc cannot register rseq under Valgrind anyway), so the
 * hooks there leave memcheck's part to the paths it does run (@rseq).
 *
 * What each kind of kmem memory is (ASan / memcheck):
 *   free page: buddy list, per-CPU list    poisoned / NOACCESS
 *     or never allocated
 *   block from the page allocator API      accessible / a heap block
 *     (alloc_pages(), __get_free_pages())    (PG_client_block)
 *   kmem's own pages: cache metadata,      accessible / accessible
 *     vmalloc's pages (at their direct-map address)
 *   slab page                              poisoned / NOACCESS, except:
 *     allocated object [0, size asked)     accessible / a heap block
 *     free SLAB_TYPESAFE_BY_RCU object     accessible / accessible
 *       (RCU readers may still read it, as KASAN lets them)
 *   large kmalloc [0, size asked)          accessible / a heap block
 * kmalloc(60) from kmalloc-64 leaves bytes 60..63 poisoned, as KASAN does;
 * ksize() opens the whole slot, as the kernel's ksize() does.
 *
 * kmem itself reaches into poisoned memory in a few places only: free
 * pointers (kasan_meta_load32()/kasan_meta_store32()) and SLUB debugging's
 * red zones, poison and tracks (between metadata_access_enable() and
 * metadata_access_disable()).  memcheck is told to ignore address errors in
 * the range for the duration, which changes no state, so another thread that
 * allocates the object meanwhile finds it as it should; ASan reads and writes
 * free pointers uninstrumented and unpoisons a debug object's slot around
 * the checks (the slot is the caller's alone then).
 *
 * Both tools keep their state per process, kmem's memory is shared: what a
 * fork()ed child allocates looks free to its parent.  kmem's own walks over
 * every cache go through kasan_shared_cache(); users sharing objects between
 * processes get false reports (docs/debugging.md).  Attached mode shares by
 * design, so there ASan poisoning stops altogether (kasan_shared_begin()).
 */
#ifndef _KMEM_KASAN_H
#define _KMEM_KASAN_H

#include "slab.h"

#if defined(__SANITIZE_ADDRESS__)
#define KMEM_KASAN	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KMEM_KASAN	1
#endif
#endif
#ifndef KMEM_KASAN
#define KMEM_KASAN	0
#endif
#ifndef KMEM_VALGRIND
#define KMEM_VALGRIND	0
#endif

#if KMEM_KASAN
#include <sanitizer/asan_interface.h>
#endif

/*
 * Does this process run under memcheck?  kmem_mm.valgrind is set once, by
 * __kasan_init(); it sits in kmem_mm, whose address the hot paths hold.
 */
static __always_inline bool kasan_valgrind(void)
{
	return KMEM_VALGRIND && unlikely(kmem_mm.valgrind);
}

/*
 * ASan's shadow memory is per process, the arena is not: once the memory is
 * shared (attached, or a daemon that welcomed a client) an object allocated
 * in one process would read as poisoned in another, so poisoning stops and
 * the arena stays accessible (docs/attach.md).  kasan_shared_begin() turns
 * it off for good.
 */
static __always_inline void kasan_poison(const void *p, size_t n)
{
#if KMEM_KASAN
	if (unlikely(READ_ONCE(kmem_mm.kasan_shared)))
		return;
	__asan_poison_memory_region(p, n);
#endif
}

static __always_inline void kasan_unpoison(const void *p, size_t n)
{
#if KMEM_KASAN
	__asan_unpoison_memory_region(p, n);
#endif
}

/* kasan.c: the memcheck side, out of line; empty where it is compiled out. */
void __kasan_init(void);
void __kasan_vg_arena(void);
void __kasan_vg_alloc_pages(struct page *page, unsigned int order);
void __kasan_vg_free_pages(struct page *page, unsigned int order);
void __kasan_vg_pages_exact(struct page *page, unsigned int order, unsigned long used_pages,
			    gfp_t gfp);
void __kasan_vg_resize(const void *p, size_t old_size, size_t new_size);
void __kasan_vg_ksize(const void *p, size_t size);
void __kasan_vg_poison_slab(const void *base, size_t size);
void __kasan_vg_unpoison_object(const void *object, size_t size);
void __kasan_vg_slab_alloc(const struct kmem_cache *s, void *object, size_t size, gfp_t gfp);
bool __kasan_vg_slab_free(const struct kmem_cache *s, void *object);
void __kasan_vg_kmalloc_large(struct page *page, size_t size, gfp_t gfp);
void __kasan_vg_ignore(const void *p, size_t n, bool ignore);
void __kasan_vg_defined(const void *p, size_t n);

/* ------------------------------------------------------------------ */
/* the arena and pages                                                 */
/* ------------------------------------------------------------------ */

/*
 * kasan_arena_created/kasan_arena_destroyed - everything in an arena this
 * process has just made is free; and before it is unmapped its addresses go
 * back to being plain memory (ASan's shadow would outlive the mapping).
 */
static inline void kasan_arena_created(void)
{
	/* only what is online: the sections poison themselves as they come */
	__kmem_each_online_range(kasan_poison);
	if (kasan_valgrind())
		__kasan_vg_arena();
}

static inline void kasan_arena_destroyed(void)
{
	__kmem_each_online_range(kasan_unpoison);
}

static inline void kasan_shared_begin(void)
{
	WRITE_ONCE(kmem_mm.kasan_shared, true);
	__kmem_each_online_range(kasan_unpoison);
}

/*
 * kasan_kmem_pages_begin/end - around an allocation of kmem's own pages
 * (slabs, cache metadata, vmalloc's pages, large kmalloc blocks): they are
 * no memcheck heap block, as a slab page holds heap blocks itself (and
 * memcheck allows no block inside a block).  Every other page block from
 * the page allocator is one.  Per thread, and only under memcheck (a signal
 * handler that allocates meanwhile goes untracked, nothing worse).
 */
extern __thread unsigned int kasan_kmem_pages_depth __attribute__((tls_model("initial-exec")));

static __always_inline void kasan_kmem_pages_begin(void)
{
	if (kasan_valgrind())
		kasan_kmem_pages_depth++;
}

static __always_inline void kasan_kmem_pages_end(void)
{
	if (kasan_valgrind())
		kasan_kmem_pages_depth--;
}

/*
 * prep_new_page(): the block may be touched (before __GFP_ZERO clears it);
 * for memcheck it is a heap block unless it is kmem's own.
 */
static __always_inline void kasan_alloc_pages(struct page *page, unsigned int order)
{
	kasan_unpoison(__page_address(page), PAGE_SIZE << order);
	if (kasan_valgrind())
		__kasan_vg_alloc_pages(page, order);
}

/*
 * alloc_pages_exact() splits the block into pages that are freed one by
 * one: the heap block shrinks to the first page (before the others go), so
 * that freeing it leaves its neighbours alone; the @used_pages - 1 pages
 * after it stay accessible, as plain memory.
 */
static inline void kasan_alloc_pages_exact(struct page *page, unsigned int order,
					   unsigned long used_pages, gfp_t gfp)
{
	if (kasan_valgrind() && (READ_ONCE(page->flags) & PG_client_block))
		__kasan_vg_pages_exact(page, order, used_pages, gfp);
}

/* The last reference to the block is gone (free_pages_prepare()). */
static __always_inline void kasan_free_pages(struct page *page, unsigned int order)
{
	kasan_poison(__page_address(page), PAGE_SIZE << order);
	if (kasan_valgrind())
		__kasan_vg_free_pages(page, order);
}

/* ------------------------------------------------------------------ */
/* slabs and objects                                                   */
/* ------------------------------------------------------------------ */

/*
 * kasan_shared_cache - @s was found through kmem_shared::caches[], so it may
 * be another process's (a fork()ed child's, say), allocated where this
 * process's shadow still says "free": open its metadata block here.  The
 * tools' view is per process; kmem's own state must read the same in all.
 */
static inline void kasan_shared_cache(const struct kmem_cache *s)
{
	size_t size = PAGE_SIZE << READ_ONCE(kmem_head_page(s)->order);

	kasan_unpoison(s, size);
	if (kasan_valgrind())
		__kasan_vg_defined(s, size);
}

/* Bytes from @object to the start of the next object's slot. */
static __always_inline size_t kasan_object_span(const struct kmem_cache *s)
{
	return s->size - s->red_left_pad;
}

/* new_slab(): the slab is built (free pointers, constructors); close it all. */
static __always_inline void kasan_poison_slab(const struct kmem_cache *s, struct page *slab)
{
	/* the object owners at the end (slab.h) are kmem's words: left open */
	size_t objects_end = s->owners_off ?: PAGE_SIZE << s->order;

	kasan_poison(slab_base(slab), objects_end);
	if (kasan_valgrind())
		__kasan_vg_poison_slab(slab_base(slab), objects_end);
}

/* new_slab(): open the object owners' vector (slab.h) before clearing it. */
static __always_inline void kasan_open_slab_owners(const struct kmem_cache *s, struct page *slab)
{
	char *owners = (char *)slab_base(slab) + s->owners_off;
	size_t bytes = (PAGE_SIZE << s->order) - s->owners_off;

	kasan_unpoison(owners, bytes);
	if (kasan_valgrind())
		__kasan_vg_defined(owners, bytes);
}

/* __GFP_ZERO: the whole object is about to be cleared.  @rseq: see the top. */
static __always_inline void kasan_unpoison_object_data(const struct kmem_cache *s, void *object,
						       bool rseq)
{
	kasan_unpoison(object, s->object_size);
	if (!rseq && kasan_valgrind())
		__kasan_vg_unpoison_object(object, s->object_size);
}

/*
 * kasan_slab_alloc - @object (NULL: none) goes to a caller who asked for
 * @size bytes (s->object_size, or kmalloc's size): those become accessible,
 * the rest of the object stays poisoned (the kernel's kasan_slab_alloc +
 * kasan_kmalloc).  @rseq: on the rseq fast path, see the top.
 */
static __always_inline void kasan_slab_alloc(const struct kmem_cache *s, void *object,
					     size_t size, gfp_t gfp, bool rseq)
{
	if (!object)
		return;
	if (KMEM_KASAN) {
		kasan_unpoison(object, size);
		if (size < s->object_size)
			kasan_poison((char *)object + size, s->object_size - size);
	}
	if (!rseq && kasan_valgrind())
		__kasan_vg_slab_alloc(s, object, size, gfp);
}

/*
 * kasan_slab_free - @object is being freed (already checked to be an object
 * of @s): ASan's part, before anyone else can take the object.  Return: true
 * when its first byte is poisoned, so it is free already (the kernel's
 * "double-free" report) and must be left alone.  SLAB_TYPESAFE_BY_RCU
 * objects stay accessible, as under KASAN; debug caches find double frees
 * themselves.
 */
static __always_inline bool kasan_slab_free(const struct kmem_cache *s, void *object)
{
#if KMEM_KASAN
	if (!(s->flags & SLAB_TYPESAFE_BY_RCU)) {
		if (!(s->flags & SLAB_DEBUG_FLAGS) && __asan_address_is_poisoned(object))
			return true;
		kasan_poison(object, kasan_object_span(s));
	}
#endif
	return false;
}

/*
 * kasan_slab_free_slow - memcheck's part of kasan_slab_free(), on the paths
 * memcheck runs (not rseq's), before the object goes anywhere.  Return: true
 * when memcheck reported an invalid free: it is free already.
 */
static __always_inline bool kasan_slab_free_slow(const struct kmem_cache *s, void *object)
{
	return kasan_valgrind() && __kasan_vg_slab_free(s, object);
}

/* __kmalloc_large(): [@size, end of the block) stays poisoned. */
static inline void kasan_kmalloc_large(struct page *page, size_t size, gfp_t gfp)
{
	kasan_poison((char *)__page_address(page) + size, (PAGE_SIZE << page->order) - size);
	if (kasan_valgrind())
		__kasan_vg_kmalloc_large(page, size, gfp);
}

/* ksize(): the caller may use all @size bytes, as the kernel's ksize() allows. */
static inline void kasan_ksize(const void *object, size_t size)
{
	kasan_unpoison(object, size);
	if (kasan_valgrind())
		__kasan_vg_ksize(object, size);
}

/* krealloc() in place, after ksize() opened all @ks bytes: keep @new_size. */
static inline void kasan_krealloc(const void *object, size_t new_size, size_t ks)
{
	kasan_poison((const char *)object + new_size, ks - new_size);
	if (kasan_valgrind())
		__kasan_vg_resize(object, ks, new_size);
}

/*
 * metadata_access_enable/disable - SLUB debugging reads and writes the slot
 * of @object (red zones, poison, tracks) between these two.  Disable leaves
 * the slot as a free object's: poisoned, but for a SLAB_TYPESAFE_BY_RCU
 * object's own bytes.  The caller owns the object; for ASan no concurrent
 * reader of a SLAB_TYPESAFE_BY_RCU object is cut off meanwhile, as those
 * bytes are never poisoned.
 */
static inline void metadata_access_enable(const struct kmem_cache *s, const void *object)
{
	const char *slot = (const char *)object - s->red_left_pad;

	kasan_unpoison(slot, s->size);
	if (kasan_valgrind())
		__kasan_vg_ignore(slot, s->size, true);
}

static inline void metadata_access_disable(const struct kmem_cache *s, const void *object)
{
	const char *slot = (const char *)object - s->red_left_pad;

	if (KMEM_KASAN) {
		kasan_poison(slot, s->red_left_pad);
		if (s->flags & SLAB_TYPESAFE_BY_RCU)
			kasan_poison((const char *)object + s->object_size,
				     kasan_object_span(s) - s->object_size);
		else
			kasan_poison(object, kasan_object_span(s));
	}
	if (kasan_valgrind())
		__kasan_vg_ignore(slot, s->size, false);
}

/*
 * kasan_meta_load32/kasan_meta_store32 - a free pointer inside a free
 * object.  Plain loads and stores in normal builds.
 */
#if KMEM_KASAN
static inline __attribute__((no_sanitize_address)) u32 __kasan_load32(const void *p)
{
	return *(const volatile u32 *)p;
}

static inline __attribute__((no_sanitize_address)) void __kasan_store32(void *p, u32 v)
{
	*(volatile u32 *)p = v;
}
#endif

static __always_inline u32 kasan_meta_load32(const void *p)
{
	u32 v;

	if (kasan_valgrind()) {
		__kasan_vg_ignore(p, sizeof(u32), true);
		v = *(const volatile u32 *)p;
		__kasan_vg_ignore(p, sizeof(u32), false);
		return v;
	}
#if KMEM_KASAN
	return __kasan_load32(p);
#else
	return *(const u32 *)p;
#endif
}

static __always_inline void kasan_meta_store32(void *p, u32 v)
{
	if (kasan_valgrind()) {
		__kasan_vg_ignore(p, sizeof(u32), true);
		*(volatile u32 *)p = v;
		__kasan_vg_ignore(p, sizeof(u32), false);
		return;
	}
#if KMEM_KASAN
	__kasan_store32(p, v);
#else
	*(u32 *)p = v;
#endif
}

#endif /* _KMEM_KASAN_H */
