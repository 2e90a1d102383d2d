// SPDX-License-Identifier: MIT
/*
 * kasan.c - the out-of-line half of kasan.h: Valgrind memcheck's client
 * requests, deciding at kmem_init() whether to make them, and, in ASan
 * builds, the lines kmem adds to an ASan report to say which object or
 * page the bad address belongs to, as the kernel's KASAN report does.
 *
 * memcheck's view: allocations callers see are heap blocks
 * (VALGRIND_MALLOCLIKE_BLOCK at the caller's size), so use-after-free and
 * overflow reports carry the allocation and free stacks and the leak check
 * covers them; everything free is NOACCESS.  Slab pages and kmem's other
 * own pages are never heap blocks: memcheck does not allow blocks inside
 * blocks, and a leak report should name the object, not its slab.  A page
 * block's head carries PG_client_block while it is a heap block, so that
 * whoever frees it (a deferred free, another thread) frees the heap block
 * exactly once.
 *
 * Lock order: none; nothing here takes a lock.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kasan.h"

#if KMEM_VALGRIND
#include <valgrind/memcheck.h>
#include <valgrind/valgrind.h>
#endif

__thread unsigned int kasan_kmem_pages_depth __attribute__((tls_model("initial-exec")));

#if KMEM_KASAN
static void kasan_report_cb(const char *report);
#endif

/**
 * __kasan_init - at kmem_init(), before the arena exists: are we under
 * memcheck?  Callgrind and the other tools run client requests too, but
 * ignore memcheck's, which would only cost them instructions (and skew
 * bench/'s counts); memcheck answers MAKE_MEM_DEFINED with -1, they with 0.
 */
void __kasan_init(void)
{
#if KMEM_VALGRIND
	static char probe;

	kmem_mm.valgrind = RUNNING_ON_VALGRIND &&
			   VALGRIND_MAKE_MEM_DEFINED(&probe, sizeof(probe)) == (uintptr_t)-1;
#endif
#if KMEM_KASAN
	__asan_set_error_report_callback(kasan_report_cb);
#endif
}

#if KMEM_VALGRIND

void __kasan_vg_arena(void)
{
	VALGRIND_MAKE_MEM_NOACCESS(kmem_mm.mem_base, kmem_mm.mem_size);
}

void __kasan_vg_alloc_pages(struct page *page, unsigned int order)
{
	void *addr = __page_address(page);

	if (kasan_kmem_pages_depth) {
		/* left over from a process that freed it without memcheck */
		WRITE_ONCE(page->flags, READ_ONCE(page->flags) & ~PG_client_block);
		VALGRIND_MAKE_MEM_UNDEFINED(addr, PAGE_SIZE << order);
		return;
	}
	/* undefined; __GFP_ZERO's memset comes next */
	VALGRIND_MALLOCLIKE_BLOCK(addr, PAGE_SIZE << order, 0, 0);
	WRITE_ONCE(page->flags, READ_ONCE(page->flags) | PG_client_block);
}

void __kasan_vg_free_pages(struct page *page, unsigned int order)
{
	void *addr = __page_address(page);

	if (READ_ONCE(page->flags) & PG_client_block) {
		WRITE_ONCE(page->flags, READ_ONCE(page->flags) & ~PG_client_block);
		VALGRIND_FREELIKE_BLOCK(addr, 0);
	}
	VALGRIND_MAKE_MEM_NOACCESS(addr, PAGE_SIZE << order);
}

void __kasan_vg_pages_exact(struct page *page, unsigned int order, unsigned long used_pages,
			    gfp_t gfp)
{
	char *addr = __page_address(page);

	VALGRIND_RESIZEINPLACE_BLOCK(addr, PAGE_SIZE << order, PAGE_SIZE, 0);
	if (gfp & __GFP_ZERO)
		VALGRIND_MAKE_MEM_DEFINED(addr + PAGE_SIZE, (used_pages - 1) << PAGE_SHIFT);
	else
		VALGRIND_MAKE_MEM_UNDEFINED(addr + PAGE_SIZE, (used_pages - 1) << PAGE_SHIFT);
}

void __kasan_vg_resize(const void *p, size_t old_size, size_t new_size)
{
	if (old_size != new_size)
		VALGRIND_RESIZEINPLACE_BLOCK(p, old_size, new_size, 0);
}

/*
 * How many bytes of the heap block at @p are accessible: the block's size,
 * as the rest of the slot up to @max is NOACCESS.  memcheck has no request
 * for a block's size, but GET_VBITS fails (without a report) on a byte that
 * is not addressable.
 */
static size_t vg_block_size(const char *p, size_t max)
{
	size_t lo = 0, hi = max;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		char vbits;

		if (VALGRIND_GET_VBITS(p + mid, &vbits, 1) == 1)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void __kasan_vg_ksize(const void *p, size_t size)
{
	size_t cur = vg_block_size(p, size);

	if (cur && cur != size)
		VALGRIND_RESIZEINPLACE_BLOCK(p, cur, size, 0);
}

void __kasan_vg_poison_slab(const void *base, size_t size)
{
	VALGRIND_MAKE_MEM_NOACCESS(base, size);
}

void __kasan_vg_unpoison_object(const void *object, size_t size)
{
	VALGRIND_MAKE_MEM_UNDEFINED(object, size);
}

void __kasan_vg_slab_alloc(const struct kmem_cache *s, void *object, size_t size, gfp_t gfp)
{
	/* what a constructor set up, or an RCU-typesafe object kept, is defined */
	bool defined = (gfp & __GFP_ZERO) || s->ctor_set || (s->flags & SLAB_TYPESAFE_BY_RCU);

	VALGRIND_MALLOCLIKE_BLOCK(object, size, 0, defined);
	if (size < s->object_size)
		VALGRIND_MAKE_MEM_NOACCESS((char *)object + size, s->object_size - size);
}

bool __kasan_vg_slab_free(const struct kmem_cache *s, void *object)
{
	unsigned int errors = VALGRIND_COUNT_ERRORS;

	if (s->flags & SLAB_TYPESAFE_BY_RCU) {
		/* readers may read it meanwhile: no report for them in between */
		VALGRIND_DISABLE_ADDR_ERROR_REPORTING_IN_RANGE(object, s->object_size);
		VALGRIND_FREELIKE_BLOCK(object, 0);
		VALGRIND_MAKE_MEM_DEFINED(object, s->object_size);
		VALGRIND_ENABLE_ADDR_ERROR_REPORTING_IN_RANGE(object, s->object_size);
	} else {
		VALGRIND_FREELIKE_BLOCK(object, 0);
		VALGRIND_MAKE_MEM_NOACCESS(object, kasan_object_span(s));
	}
	/*
	 * memcheck reported an invalid free: the object is not a heap block,
	 * so it is free already.  Debug caches check that themselves.
	 */
	return VALGRIND_COUNT_ERRORS != errors && !(s->flags & SLAB_DEBUG_FLAGS);
}

void __kasan_vg_kmalloc_large(struct page *page, size_t size, gfp_t gfp)
{
	char *addr = __page_address(page);

	VALGRIND_MALLOCLIKE_BLOCK(addr, size, 0, !!(gfp & __GFP_ZERO));
	VALGRIND_MAKE_MEM_NOACCESS(addr + size, (PAGE_SIZE << page->order) - size);
	WRITE_ONCE(page->flags, READ_ONCE(page->flags) | PG_client_block);
}

void __kasan_vg_defined(const void *p, size_t n)
{
	VALGRIND_MAKE_MEM_DEFINED(p, n);
}

void __kasan_vg_ignore(const void *p, size_t n, bool ignore)
{
	if (ignore)
		VALGRIND_DISABLE_ADDR_ERROR_REPORTING_IN_RANGE(p, n);
	else
		VALGRIND_ENABLE_ADDR_ERROR_REPORTING_IN_RANGE(p, n);
}

#else /* !KMEM_VALGRIND: never called (kmem_mm.valgrind stays false) */

void __kasan_vg_arena(void) { }
void __kasan_vg_alloc_pages(struct page *page, unsigned int order) { }
void __kasan_vg_free_pages(struct page *page, unsigned int order) { }
void __kasan_vg_pages_exact(struct page *page, unsigned int order, unsigned long used_pages,
			    gfp_t gfp) { }
void __kasan_vg_resize(const void *p, size_t old_size, size_t new_size) { }
void __kasan_vg_ksize(const void *p, size_t size) { }
void __kasan_vg_poison_slab(const void *base, size_t size) { }
void __kasan_vg_unpoison_object(const void *object, size_t size) { }
void __kasan_vg_slab_alloc(const struct kmem_cache *s, void *object, size_t size, gfp_t gfp) { }
bool __kasan_vg_slab_free(const struct kmem_cache *s, void *object) { return false; }
void __kasan_vg_kmalloc_large(struct page *page, size_t size, gfp_t gfp) { }
void __kasan_vg_ignore(const void *p, size_t n, bool ignore) { }
void __kasan_vg_defined(const void *p, size_t n) { }

#endif /* KMEM_VALGRIND */

#if KMEM_KASAN

/* How many bytes from @p on are accessible, up to @max. */
static size_t asan_accessible(const char *p, size_t max)
{
	const char *bad = __asan_region_is_poisoned((void *)p, max);

	return bad ? (size_t)(bad - p) : max;
}

/* Append to @buf (@len bytes, @n used): the new length, never past the end. */
static size_t __printf(4, 5) say(char *buf, size_t len, size_t n, const char *fmt, ...)
{
	va_list ap;
	int ret;

	if (n >= len - 1)
		return n;
	va_start(ap, fmt);
	ret = vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
	if (ret < 0)
		return n;
	return n + (size_t)ret < len ? n + (size_t)ret : len - 1;
}

/* The slab object @addr is in, as KASAN names it. */
static size_t describe_object(const char *addr, struct page *slab, char *buf, size_t len)
{
	const struct kmem_cache *s = cache_at(slab_cache_off(slab));
	const char *obj;
	size_t n, alloc;
	long off;

	kasan_shared_cache(s);		/* it may be another process's */
	obj = __kmem_obj_start(addr);
	if (!obj)
		return say(buf, len, 0, "kmem: the buggy address %p is in a slab of cache %s, "
			   "before its first object\n", (const void *)addr, s->name);
	n = say(buf, len, 0, "kmem: the buggy address belongs to the object at %p\n"
		"kmem:  which belongs to the cache %s of size %u\n",
		(const void *)obj, s->name, s->object_size);
	alloc = asan_accessible(obj, s->object_size);
	off = (long)(addr - obj);
	if (!alloc)
		return say(buf, len, n, "kmem: the buggy address is located %ld bytes inside of "
			   "freed %u-byte region [%p, %p)\n", off, s->object_size,
			   (const void *)obj, (const void *)(obj + s->object_size));
	if (off >= (long)alloc)
		return say(buf, len, n, "kmem: the buggy address is located %ld bytes to the "
			   "right of allocated %zu-byte region [%p, %p)\n", off - (long)alloc,
			   alloc, (const void *)obj, (const void *)(obj + alloc));
	return say(buf, len, n, "kmem: the buggy address is located %ld bytes inside of "
		   "allocated %zu-byte region [%p, %p)\n", off, alloc, (const void *)obj,
		   (const void *)(obj + alloc));
}

/*
 * describe - what kmem knows of @addr, as KASAN's report says it: the
 * object and cache, or the large kmalloc block, and the page.  Nothing is
 * locked: this runs inside ASan's report, perhaps with a kmem lock held by
 * this very thread.
 */
static size_t describe(const char *addr, char *buf, size_t len)
{
	struct page *head, *page;
	char flags[128];
	size_t n = 0;
	int ref;

	if (!kmem_initialized() || !__kmem_page_is_kmem(addr))
		return 0;
	head = kmem_head_page(addr);
	if (READ_ONCE(head->flags) & PG_slab) {
		n = describe_object(addr, head, buf, len);
	} else if (READ_ONCE(head->flags) & PG_large_kmalloc) {
		const char *obj = __page_address(head);

		n = say(buf, len, 0, "kmem: the buggy address belongs to a large kmalloc block "
			"at %p (order %u), %ld bytes from its start; %zu bytes were asked for\n",
			(const void *)obj, head->order, (long)(addr - obj),
			asan_accessible(obj, PAGE_SIZE << head->order));
	}
	/* the slab's or large block's head; else the page itself */
	page = n ? head : virt_to_page(addr);
	ref = __atomic_load_n(&page->_refcount, __ATOMIC_RELAXED);
	return say(buf, len, n, "kmem: the buggy address belongs to the page pfn:%#llx "
		   "refcount:%d order:%u flags:%#x(%s)%s\n",
		   (unsigned long long)__page_to_pfn(page), ref, READ_ONCE(page->order),
		   READ_ONCE(page->flags),
		   __kmem_page_flags_str(READ_ONCE(page->flags), flags, sizeof(flags)),
		   !n && !ref && !page->compound_head ? " (free, or inside a larger block)" : "");
}

static void kasan_report_cb(const char *report)
{
	char buf[1024];
	size_t n = describe(__asan_get_report_address(), buf, sizeof(buf));

	if (n && write(STDERR_FILENO, buf, n) < 0)
		return;
}

#endif /* KMEM_KASAN */
