/* SPDX-License-Identifier: MIT */
/*
 * The slab allocator: object caches (kmem_cache_*) and kmalloc.
 *
 * Caches follow SLUB: slabs of 2^order contiguous pages from the page
 * allocator with the free list inside the free objects, per-node partial
 * lists, and in front of them per-CPU object caches ("sheaves") that the
 * fast path pops and pushes inside restartable sequences, with no lock.
 * kmalloc is a set of such caches, kmalloc-8 ... kmalloc-8k (with 96 and
 * 192), plus dma-kmalloc-* for GFP_DMA; larger sizes go straight to the page
 * allocator up to KMALLOC_MAX_SIZE.
 */
#ifndef _LINUX_SLAB_H
#define _LINUX_SLAB_H

#include <linux/types.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/err.h>
#include <linux/cleanup.h>
#include <kmem/kmem.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef unsigned int __bitwise slab_flags_t;

/**
 * DOC: Slab cache flags
 *
 * %SLAB_CONSISTENCY_CHECKS: check every free (object start, owning cache,
 * double free) and every allocation; the cache takes the debug path.
 *
 * %SLAB_RED_ZONE: guard bytes around each object (0xbb while free, 0xcc
 * while allocated); an overwrite is reported as "Left Redzone overwritten"
 * or "Right Redzone overwritten" with a hex dump, and the object is
 * isolated.
 *
 * %SLAB_POISON: free objects are filled with 0x6b ending in 0xa5; a write
 * after free is reported as "Poison overwritten" at the next allocation.
 *
 * %SLAB_HWCACHE_ALIGN: align objects to the L1 line size hwloc reports
 * (halved while the object fits in half a line, as the kernel does).
 *
 * %SLAB_CACHE_DMA / %SLAB_CACHE_DMA32: slabs come from ZONE_DMA / ZONE_DMA32.
 *
 * %SLAB_STORE_USER: record the allocation and free call sites, CPU and pid
 * of each object; reports print them.
 *
 * %SLAB_PANIC: a failed kmem_cache_create() prints the kernel's panic line
 * and aborts the process.
 *
 * %SLAB_TYPESAFE_BY_RCU: WARNING, this does not delay the free of an
 * *object*: an object may be freed and reused at once.  It delays the
 * return of the *slab page* to the page allocator until an RCU grace
 * period (liburcu) has passed.  So a reader that found an object under
 * rcu_read_lock() may read memory that has since been freed and reused,
 * but it is always an object of this cache: the reader must take a
 * reference or a lock and then check that the object is still the one it
 * looked up.  Constructors are the way to keep such objects' locks valid
 * across reuse.
 *
 * %SLAB_RECLAIM_ACCOUNT: counted as SReclaimable instead of SUnreclaim.
 *
 * %SLAB_FAILSLAB: failslab may fail this cache's allocations while its
 * "cache-filter" is set (otherwise it may fail any cache's).  Also set and
 * cleared at run time by kmem_cache_set_failslab() in <kmem/fault.h>.
 *
 * %SLAB_ACCOUNT: each object records which process allocated it — kmem's
 * memcg charge, with the attached process as the cgroup.  `kmemctl clients`
 * counts each client's objects, and those a dead client left allocated
 * stay accounted to it and are listed (`kmemctl orphans`).  Costs 4 bytes
 * per object at the end of each slab and a store on each allocation and
 * free.  kmemd makes its kmalloc caches %SLAB_ACCOUNT (object_owners = on).
 *
 * %SLAB_NO_MERGE, %SLAB_NOLEAKTRACE, %SLAB_TRACE: accepted; kmem never
 * merges caches, and has no kmemleak or tracing.
 */
#define SLAB_CONSISTENCY_CHECKS	((slab_flags_t)0x00000100U)
#define SLAB_RED_ZONE		((slab_flags_t)0x00000400U)
#define SLAB_POISON		((slab_flags_t)0x00000800U)
#define SLAB_KMALLOC		((slab_flags_t)0x00001000U)
#define SLAB_HWCACHE_ALIGN	((slab_flags_t)0x00002000U)
#define SLAB_CACHE_DMA		((slab_flags_t)0x00004000U)
#define SLAB_CACHE_DMA32	((slab_flags_t)0x00008000U)
#define SLAB_STORE_USER		((slab_flags_t)0x00010000U)
#define SLAB_RECLAIM_ACCOUNT	((slab_flags_t)0x00020000U)
#define SLAB_PANIC		((slab_flags_t)0x00040000U)
#define SLAB_TYPESAFE_BY_RCU	((slab_flags_t)0x00080000U)
#define SLAB_TRACE		((slab_flags_t)0x00200000U)
#define SLAB_NOLEAKTRACE	((slab_flags_t)0x00800000U)
#define SLAB_NO_MERGE		((slab_flags_t)0x01000000U)
#define SLAB_FAILSLAB		((slab_flags_t)0x02000000U)
#define SLAB_ACCOUNT		((slab_flags_t)0x04000000U)

/* kmalloc(0) returns this: not NULL, but faults on any access. */
#define ZERO_SIZE_PTR		((void *)16)
#define ZERO_OR_NULL_PTR(x)	((unsigned long)(x) <= (unsigned long)ZERO_SIZE_PTR)

#define ARCH_KMALLOC_MINALIGN	__alignof__(unsigned long long)
#define ARCH_SLAB_MINALIGN	__alignof__(unsigned long long)

#define KMALLOC_SHIFT_LOW	3
#define KMALLOC_SHIFT_HIGH	(PAGE_SHIFT + 1)
#define KMALLOC_SHIFT_MAX	(MAX_PAGE_ORDER + PAGE_SHIFT)
#define KMALLOC_MIN_SIZE	(1UL << KMALLOC_SHIFT_LOW)
#define KMALLOC_MAX_CACHE_SIZE	(1UL << KMALLOC_SHIFT_HIGH)
#define KMALLOC_MAX_SIZE	(1UL << KMALLOC_SHIFT_MAX)
#define KMALLOC_MAX_ORDER	(KMALLOC_SHIFT_MAX - PAGE_SHIFT)

struct kmem_cache;

/**
 * kmem_cache_create - create a cache of objects of one size.
 * @name: shown in slabinfo; need not be unique
 * @size: object size in bytes
 * @align: minimum alignment (0: ARCH_SLAB_MINALIGN)
 * @flags: SLAB_* flags
 * @ctor: run on every object when its slab is populated (not on each
 *	allocation); objects must be returned to the constructed state
 * Context: may sleep.
 * Return: the cache, or NULL (SLAB_PANIC: abort instead).
 */
KMEM_API struct kmem_cache *kmem_cache_create(const char *name, unsigned int size,
					      unsigned int align, slab_flags_t flags,
					      void (*ctor)(void *));
/** kmem_cache_create_usercopy - kmem_cache_create(); the usercopy window is accepted and ignored. */
KMEM_API struct kmem_cache *kmem_cache_create_usercopy(const char *name, unsigned int size,
						       unsigned int align, slab_flags_t flags,
						       unsigned int useroffset,
						       unsigned int usersize,
						       void (*ctor)(void *));
/**
 * kmem_cache_destroy - destroy a cache (NULL is ignored).  Objects still
 * allocated are reported ("Slab cache still has objects") and their memory
 * is kept, never reused.  Context: may sleep (waits for RCU for
 * SLAB_TYPESAFE_BY_RCU caches).
 */
KMEM_API void kmem_cache_destroy(struct kmem_cache *s);
/** kmem_cache_shrink - return the cache's empty slabs to the page allocator. Return: 0. */
KMEM_API int kmem_cache_shrink(struct kmem_cache *s);
/** kmem_cache_size - the object size the cache was created with. */
KMEM_API unsigned int kmem_cache_size(struct kmem_cache *s);

/**
 * kmem_cache_alloc - allocate one object.
 * @s: the cache
 * @flags: GFP flags (they matter when a new slab is needed); __GFP_ZERO zeroes
 * Context: any, as @flags allow.
 * Return: the object, or NULL.
 */
KMEM_API void *kmem_cache_alloc(struct kmem_cache *s, gfp_t flags) __malloc __must_check;
/** kmem_cache_alloc_node - kmem_cache_alloc() from a slab of node @node (NUMA_NO_NODE: any). */
KMEM_API void *kmem_cache_alloc_node(struct kmem_cache *s, gfp_t flags, int node)
	__malloc __must_check;
/** kmem_cache_zalloc - a zeroed object. */
static inline __must_check void *kmem_cache_zalloc(struct kmem_cache *s, gfp_t flags)
{
	return kmem_cache_alloc(s, flags | __GFP_ZERO);
}
/**
 * kmem_cache_free - return an object to its cache (NULL is ignored).
 * A pointer that is not an object of @s (another cache's, not an object
 * start, not slab memory) is reported and ignored.
 * Context: any, including signal handlers.
 */
KMEM_API void kmem_cache_free(struct kmem_cache *s, void *objp);
/**
 * kmem_cache_alloc_bulk - allocate @size objects into @p.
 * Return: @size on success, 0 on failure (nothing is left allocated).
 */
KMEM_API int kmem_cache_alloc_bulk(struct kmem_cache *s, gfp_t flags, size_t size, void **p)
	__must_check;
/** kmem_cache_free_bulk - free @size objects from @p (NULL entries are skipped). */
KMEM_API void kmem_cache_free_bulk(struct kmem_cache *s, size_t size, void **p);

/* KMEM_CACHE - a cache named and sized after struct @__struct. */
#define KMEM_CACHE(__struct, __flags)						\
	kmem_cache_create(#__struct, sizeof(struct __struct),			\
			  __alignof__(struct __struct), (__flags), NULL)

/**
 * kmalloc - allocate @size bytes.
 * @size: bytes; 0 gives ZERO_SIZE_PTR; above KMALLOC_MAX_SIZE gives NULL
 *	with a warning (unless __GFP_NOWARN)
 * @flags: GFP flags; GFP_DMA uses the dma-kmalloc-* caches
 *
 * Up to 8 KiB from the kmalloc-* caches, above that whole pages.  Power-of-
 * two sizes are aligned to their size; everything to ARCH_KMALLOC_MINALIGN.
 * The memory is physically contiguous.
 * Context: any, as @flags allow.
 */
KMEM_API void *kmalloc(size_t size, gfp_t flags) __alloc_size(1) __malloc __must_check;
KMEM_API void *kmalloc_node(size_t size, gfp_t flags, int node)
	__alloc_size(1) __malloc __must_check;
/** kzalloc - kmalloc() zeroed. */
static inline __must_check __alloc_size(1) void *kzalloc(size_t size, gfp_t flags)
{
	return kmalloc(size, flags | __GFP_ZERO);
}
static inline __must_check __alloc_size(1) void *kzalloc_node(size_t size, gfp_t flags, int node)
{
	return kmalloc_node(size, flags | __GFP_ZERO, node);
}
/** kmalloc_array - @n elements of @size bytes; NULL if the product overflows. */
KMEM_API void *kmalloc_array(size_t n, size_t size, gfp_t flags)
	__alloc_size(1, 2) __malloc __must_check;
KMEM_API void *kmalloc_array_node(size_t n, size_t size, gfp_t flags, int node)
	__alloc_size(1, 2) __malloc __must_check;
/** kcalloc - kmalloc_array() zeroed. */
static inline __must_check __alloc_size(1, 2) void *kcalloc(size_t n, size_t size, gfp_t flags)
{
	return kmalloc_array(n, size, flags | __GFP_ZERO);
}
static inline __must_check __alloc_size(1, 2) void *kcalloc_node(size_t n, size_t size,
								 gfp_t flags, int node)
{
	return kmalloc_array_node(n, size, flags | __GFP_ZERO, node);
}
/**
 * krealloc - resize @p to @new_size bytes, keeping the contents.
 * In place when ksize(@p) allows; @p NULL acts as kmalloc(); @new_size 0
 * frees @p and returns ZERO_SIZE_PTR.  On failure @p is untouched.
 */
KMEM_API void *krealloc(const void *p, size_t new_size, gfp_t flags)
	__alloc_size(2) __must_check;
/** krealloc_array - krealloc() to @new_n elements of @new_size; NULL on overflow. */
KMEM_API void *krealloc_array(void *p, size_t new_n, size_t new_size, gfp_t flags)
	__alloc_size(2, 3) __must_check;
/**
 * kfree - free memory from kmalloc() and friends.  NULL and ZERO_SIZE_PTR
 * are ignored; anything kmem did not hand out is reported and ignored.
 * Context: any, including signal handlers.
 */
KMEM_API void kfree(const void *objp);
/** kfree_sensitive - zero the whole allocation (ksize bytes), then kfree(). */
KMEM_API void kfree_sensitive(const void *objp);
/** ksize - the usable size of an allocation: at least what was asked for. */
KMEM_API size_t ksize(const void *objp);
/** kmalloc_size_roundup - the size kmalloc() would really allocate for @size. */
KMEM_API size_t kmalloc_size_roundup(size_t size);

KMEM_API void *kmemdup(const void *src, size_t len, gfp_t gfp) __alloc_size(2) __must_check;
KMEM_API char *kmemdup_nul(const char *s, size_t len, gfp_t gfp) __malloc __must_check;
KMEM_API char *kstrdup(const char *s, gfp_t gfp) __malloc __must_check;
KMEM_API char *kstrndup(const char *s, size_t max, gfp_t gfp) __malloc __must_check;
KMEM_API const char *kstrdup_const(const char *s, gfp_t gfp) __must_check;
KMEM_API void kfree_const(const void *x);

DEFINE_FREE(kfree, void *, if (!IS_ERR_OR_NULL(_T)) kfree(_T))

/**
 * kvmalloc_node - kmalloc() if it can be had cheaply, else vmalloc().
 * @size: bytes
 * @flags: GFP flags; above a page the kmalloc() attempt adds __GFP_NOWARN
 *	and (unless __GFP_RETRY_MAYFAIL) __GFP_NORETRY and drops __GFP_NOFAIL,
 *	as the kernel's kmalloc_gfp_adjust(); the vmalloc() fallback keeps
 *	@flags as given.  Flags that do not include all of GFP_KERNEL
 *	(GFP_ATOMIC, GFP_NOWAIT, GFP_NOFS...) get kmalloc() only, as in the
 *	kernel: vmalloc() may sleep
 * @node: preferred node, or NUMA_NO_NODE
 * Return: memory to free with kvfree(), or NULL.  Sizes above INT_MAX fail
 * with a warning (unless __GFP_NOWARN), as in the kernel.
 */
KMEM_API void *kvmalloc_node(size_t size, gfp_t flags, int node) __alloc_size(1) __must_check;
static inline __must_check __alloc_size(1) void *kvmalloc(size_t size, gfp_t flags)
{
	return kvmalloc_node(size, flags, NUMA_NO_NODE);
}
static inline __must_check __alloc_size(1) void *kvzalloc(size_t size, gfp_t flags)
{
	return kvmalloc_node(size, flags | __GFP_ZERO, NUMA_NO_NODE);
}
static inline __must_check __alloc_size(1) void *kvzalloc_node(size_t size, gfp_t flags,
							       int node)
{
	return kvmalloc_node(size, flags | __GFP_ZERO, node);
}
/** kvmalloc_array - @n × @size bytes by kvmalloc(); NULL if the product overflows. */
KMEM_API void *kvmalloc_array(size_t n, size_t size, gfp_t flags) __alloc_size(1, 2) __must_check;
static inline __must_check __alloc_size(1, 2) void *kvcalloc(size_t n, size_t size, gfp_t flags)
{
	return kvmalloc_array(n, size, flags | __GFP_ZERO);
}
/**
 * kvrealloc - resize memory from kvmalloc() to @size, keeping the contents
 * (the kernel's 6.12 signature).  NULL @p acts as kvmalloc(); on failure @p
 * is untouched.
 */
KMEM_API void *kvrealloc(const void *p, size_t size, gfp_t flags) __alloc_size(2) __must_check;
/** kvfree - free memory from kmalloc() or vmalloc(). */
KMEM_API void kvfree(const void *addr);
/** kvfree_sensitive - zero @len bytes at @addr, then kvfree(). */
KMEM_API void kvfree_sensitive(const void *addr, size_t len);

DEFINE_FREE(kvfree, void *, if (!IS_ERR_OR_NULL(_T)) kvfree(_T))

#ifdef __cplusplus
}
#endif

#endif /* _LINUX_SLAB_H */
