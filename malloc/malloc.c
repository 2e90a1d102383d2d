// SPDX-License-Identifier: MIT
/*
 * malloc.c - the C allocation API (malloc, free, realloc, posix_memalign,
 * mallinfo2, ...) on kmem's kmalloc and vmalloc: libkmem-malloc.so for
 * LD_PRELOAD, libkmem-malloc.a for programs linked with it.
 *
 *   size <= 8 KiB            the size classes' slab caches (malloc-16 ...
 *                            malloc-8192, see size_class()), attached the
 *                            kmalloc-* caches; at least 16 bytes, so that
 *                            every result is 16-byte aligned as glibc's are
 *                            (malloc(0) too: a unique pointer)
 *   8 KiB < size <= 1 MiB    kmalloc(): a power-of-two block of the buddy
 *                            allocator, __GFP_NORETRY; vmalloc() if there is
 *                            none without reclaim
 *   larger                   vmalloc(): a region of its own
 *
 * free() and the rest tell the owners apart by address: kmem's memory is
 * one reserved range (kfree), the vmalloc area another (vfree), and
 * anything else is glibc's (__libc_free): memory handed out before kmem was
 * up, or by code that called glibc's allocator by name.
 *
 * Bootstrap.  The first call builds kmem (NONE -> STARTING -> READY).  Its
 * initialisation allocates (hwloc, libnuma, dlsym, the threads it starts),
 * so while STARTING every call, from any thread, goes to glibc's allocator,
 * which needs no set-up.  Once READY, kmem's own bookkeeping still comes
 * from glibc by name (libkmem/os.h): kmem never re-enters this file.  If
 * kmem cannot start, the state stays GLIBC and this file is a thin layer
 * over glibc.
 *
 * Alignment.  kmalloc() of a power of two is aligned to it, and so is every
 * block of the buddy allocator, since kmem's memory starts on a section
 * boundary.  An aligned request up to 1 MiB is therefore a kmalloc() of the
 * power of two covering both its size and its alignment; past that,
 * vmalloc() places the region at the alignment.
 *
 * fork().  A child must get a copy of the heap, as it would of glibc's, so
 * the memory is kmem's private (copy-on-write) kind unless the process asks
 * to share kmemd's (KMEM_MALLOC_ATTACH).
 *
 * The statistics (mallinfo2, malloc_stats, malloc_info) are read from
 * kmem's own counters: a shared counter here would put an atomic on every
 * malloc() and free(), which costs more than the allocation itself.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/compiler.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/numa.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <kmem/kmem.h>

#include "kmem_malloc.h"

/* glibc's allocator by name: the bootstrap arena, and what it handed out. */
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void *__libc_memalign(size_t align, size_t size);
extern void __libc_free(void *p);

/* What glibc's malloc() guarantees on x86-64, and what programs assume. */
#define MALLOC_ALIGNMENT	16
#define MALLOC_GFP		(GFP_KERNEL | __GFP_NOWARN)
/* Past this a power-of-two block wastes too much: vmalloc() is page-granular. */
#define KMALLOC_BLOCK_MAX	(1UL << 20)

enum malloc_state {
	MALLOC_NONE,		/* nothing yet: the next call builds kmem */
	MALLOC_STARTING,	/* kmem is being built: glibc serves every call */
	MALLOC_READY,
	MALLOC_GLIBC,		/* kmem could not start: glibc for good */
	/*
	 * A fork() child of an attached process: the heap is its parent's
	 * shared memory, not a copy.  New memory comes from glibc, and what the
	 * parent allocated is never freed here: a free in the child would free
	 * it under the parent (and double-free it in kmemd's caches, for every
	 * process attached).  Reads still work; writes reach the parent.
	 */
	MALLOC_INHERITED,
};

static int malloc_state = MALLOC_NONE;
/* kmem's memory: [kmem_base, kmem_base + kmem_size); 0 and 0 until READY. */
static uintptr_t kmem_base;
static size_t kmem_size;
/* The largest power-of-two kmalloc() whose natural alignment holds here. */
static size_t kmalloc_aligned_max;
/* Embedded: the front end's own size classes (see size_class()); attached: kmalloc's. */
static bool use_size_classes;
static bool malloc_verbose;
/*
 * KMEM_MALLOC_STATS=1: a copy of stderr taken at start, for the report at
 * exit (coreutils close stderr on their way out); -1 when not asked for.
 */
static int stats_fd = -1;

static __always_inline bool kmem_ready(void)
{
	return likely(__atomic_load_n(&malloc_state, __ATOMIC_ACQUIRE) == MALLOC_READY);
}

static __always_inline bool is_kmem_memory(const void *p)
{
	return (uintptr_t)p - kmem_base < kmem_size;
}

/* MALLOC_INHERITED: kmem's memory as it was before the fork. */
static uintptr_t inherited_base;
static size_t inherited_size;

static bool is_inherited(const void *p)
{
	return __atomic_load_n(&malloc_state, __ATOMIC_RELAXED) == MALLOC_INHERITED &&
	       ((uintptr_t)p - inherited_base < inherited_size || is_vmalloc_addr(p));
}

static __always_inline bool is_power_of_2(size_t n)
{
	return n && !(n & (n - 1));
}

static __always_inline size_t roundup_power_of_2(size_t n)
{
	return n <= 1 ? 1 : 1UL << (64 - __builtin_clzl(n - 1));
}

/*
 * One line on stderr, formatted on the stack and written with write():
 * stdio may allocate, and this runs while kmem is starting.
 */
static __attribute__((__format__(__printf__, 1, 0))) void write_line(const char *fmt, va_list ap)
{
	char line[256];
	int n = vsnprintf(line, sizeof(line), fmt, ap);

	if (n > 0)
		(void)!write(STDERR_FILENO, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

/* With KMEM_MALLOC_VERBOSE=1 only. */
static __attribute__((__format__(__printf__, 1, 2))) void malloc_say(const char *fmt, ...)
{
	va_list ap;

	if (!malloc_verbose)
		return;
	va_start(ap, fmt);
	write_line(fmt, ap);
	va_end(ap);
}

/* One line on stderr, always: a setting the user made that cannot hold. */
static __attribute__((__format__(__printf__, 1, 2))) void malloc_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	write_line(fmt, ap);
	va_end(ap);
}

/*
 * $@name as one of @values (NULL-terminated; an unset or empty variable is
 * @values[0]).  A value not among them is named in one line on stderr, as
 * every other bad setting is, and the default applies.
 * Return: its index in @values, or 0.
 */
static unsigned int env_choice(const char *name, const char *const *values, const char *expected)
{
	const char *v = getenv(name);
	unsigned int i;

	if (!v || !*v)
		return 0;
	for (i = 0; values[i]; i++)
		if (!strcmp(v, values[i]))
			return i;
	malloc_note("kmem-malloc: %s='%.64s': expected %s; %s\n", name, v, expected, values[0]);
	return 0;
}

static const char *const off_on[] = { "0", "1", NULL };

static bool env_true(const char *name)
{
	return env_choice(name, off_on, "0 or 1") == 1;
}

/* KMEM_MALLOC_ATTACH=auto|require shares kmemd's memory; never (the default): embedded. */
static enum kmem_attach_mode attach_mode_from_env(void)
{
	static const char *const modes[] = { "never", "auto", "require", "0", "1", NULL };
	static const enum kmem_attach_mode mode[] = { KMEM_ATTACH_NEVER, KMEM_ATTACH_AUTO,
						      KMEM_ATTACH_REQUIRE, KMEM_ATTACH_NEVER,
						      KMEM_ATTACH_AUTO };

	return mode[env_choice("KMEM_MALLOC_ATTACH", modes, "never, auto or require")];
}

static void discard_report(const char *msg, void *arg)
{
}

/*
 * fork() while attached (after kmem's own handlers: the child has become a
 * client of its own).  See MALLOC_INHERITED.
 */
static void malloc_atfork_child_attached(void)
{
	if (__atomic_load_n(&malloc_state, __ATOMIC_RELAXED) != MALLOC_READY)
		return;
	inherited_base = kmem_base;
	inherited_size = kmem_size;
	kmem_size = 0;
	__atomic_store_n(&malloc_state, MALLOC_INHERITED, __ATOMIC_RELEASE);
}

/*
 * Attach to kmemd (@mode auto or require), or build an embedded heap of
 * private memory: with auto and no daemon, the heap must still be one a
 * fork() child gets a copy of.  Return: kmem_init()'s or kmem_attach()'s.
 */
static int heap_start(struct kmem_options *opts, enum kmem_attach_mode mode)
{
	int ret;

	if (mode != KMEM_ATTACH_NEVER) {
		ret = kmem_attach(NULL);
		if (!ret) {
			pthread_atfork(NULL, NULL, malloc_atfork_child_attached);
			return 0;
		}
		if (mode == KMEM_ATTACH_REQUIRE || ret == -EALREADY)
			return ret;
		malloc_say("kmem-malloc: no kmemd (%s); an embedded heap\n", strerror(-ret));
	}
	opts->attach = KMEM_ATTACH_NEVER;
	opts->private_memory = true;
	if (opts->hugepages == KMEM_HUGEPAGES_REQUIRE || opts->zones == KMEM_ZONES_PHYS) {
		/* pool pages and physical zones are shared memory's; a private heap has 4 KiB pages */
		malloc_note("kmem-malloc: KMEM_OPTIONS: hugepages=require and zones=phys need "
			    "KMEM_MALLOC_ATTACH (an embedded heap is private memory); ignored\n");
		opts->hugepages = KMEM_HUGEPAGES_NEVER;
		opts->zones = KMEM_ZONES_AUTO;
	}
	return kmem_init(opts);
}

static noinline __cold bool kmem_start(void)
{
	struct kmem_options opts;
	struct kmem_info info;
	int ret;

	malloc_verbose = env_true("KMEM_MALLOC_VERBOSE");
	if (env_true("KMEM_MALLOC_STATS"))
		stats_fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 100);
	/*
	 * A heap's defaults, under $KMEM_OPTIONS: one section online at start
	 * (each MiB online costs a process start its struct pages) and no
	 * HighMem pool (private vmalloc regions need none): a small program
	 * pays for the little it uses, a big one grows.
	 */
	kmem_options_defaults(&opts);
	opts.node_direct_bytes = 4UL << 20;
	opts.node_highmem_bytes = 0;
	kmem_options_apply_env(&opts);
	opts.quiet = !malloc_verbose;
	/*
	 * quiet hides kmem's notices, not why it failed: a program that runs
	 * on glibc's malloc instead must not say so unless asked to
	 */
	if (!malloc_verbose)
		kmem_set_report_sink(discard_report, NULL);
	ret = heap_start(&opts, attach_mode_from_env());
	if (!malloc_verbose)
		kmem_set_report_sink(NULL, NULL);
	/* -EALREADY: the program built kmem itself before its first malloc() */
	if (ret && ret != -EALREADY) {
		/* kmem has said why (verbose): this line says what follows */
		malloc_say("kmem-malloc: glibc's malloc serves this process\n");
		return false;
	}
	if (kmem_get_info(&info) || !info.base)
		return false;
	kmem_base = info.base;
	kmem_size = (size_t)info.total_pages << PAGE_SHIFT;
	/* buddy blocks are aligned to their size from the base on */
	kmalloc_aligned_max = info.base & -info.base;
	use_size_classes = !info.attached;
	if (kmalloc_aligned_max > KMALLOC_BLOCK_MAX)
		kmalloc_aligned_max = KMALLOC_BLOCK_MAX;
	malloc_say("kmem-malloc: %s, %u node(s), memory at %#lx (%zu MiB)\n",
		   info.attached ? "attached to kmemd" : "embedded", info.nr_nodes,
		   (unsigned long)info.base, kmem_size >> 20);
	return true;
}

/*
 * Build kmem if nobody has: Return: true when kmem serves the call, false
 * when glibc must (kmem starting in some thread, this one included, or
 * failed to start).
 */
static noinline __cold bool malloc_start(void)
{
	int state = MALLOC_NONE;

	if (__atomic_compare_exchange_n(&malloc_state, &state, MALLOC_STARTING, false,
					__ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE)) {
		state = kmem_start() ? MALLOC_READY : MALLOC_GLIBC;
		__atomic_store_n(&malloc_state, state, __ATOMIC_RELEASE);
	}
	return state == MALLOC_READY;
}

static noinline __cold void *enomem(void)
{
	errno = ENOMEM;
	return NULL;
}

static noinline void *alloc_large(size_t size, gfp_t zero, const void *caller)
{
	void *p;

	if (unlikely(size > PTRDIFF_MAX))
		return enomem();
	if (size <= KMALLOC_BLOCK_MAX) {
		p = kmalloc(size, MALLOC_GFP | __GFP_NORETRY | zero);
		if (p)
			return p;
	}
	p = __vmalloc_node(size, PAGE_SIZE, MALLOC_GFP | zero, NUMA_NO_NODE, caller);
	return likely(p) ? p : enomem();
}

/*
 * Size classes.  kmalloc's are powers of two (and 96, 192), so an object
 * may waste half its slot, and a heap of small strings pays for that in
 * resident memory.  An embedded heap has classes of its own instead, as
 * jemalloc and mimalloc space theirs: every 16 bytes up to 128, then four
 * per doubling (160, 192, 224, 256, 320, ...) up to 8 KiB, so at most a
 * fifth is lost.  Each is a slab cache "malloc-N", made on first use (a
 * short program makes the few it needs).  Attached, the heap uses the
 * kmalloc caches kmemd shares (and accounts per process) instead: a cache
 * set per program would fill kmemd's table.
 */
#define NR_SIZE_CLASSES		33	/* 0 unused; 1..8: 16..128; 9..32: four per doubling */

static struct kmem_cache *class_cache[NR_SIZE_CLASSES];
static pthread_mutex_t class_lock = PTHREAD_MUTEX_INITIALIZER;

/* @size 1..KMALLOC_MAX_CACHE_SIZE */
static __always_inline unsigned int size_class(size_t size)
{
	unsigned int k, q;

	if (size <= 128)
		return (unsigned int)((size + 15) >> 4);
	k = 63 - (unsigned int)__builtin_clzl(size - 1);	/* 2^k < size <= 2^(k+1) */
	q = (unsigned int)((size - 1) >> (k - 2)) & 3;
	return 9 + (k - 7) * 4 + q;
}

static unsigned int class_size(unsigned int idx)
{
	unsigned int k, q;

	if (idx <= 8)
		return idx * 16;
	k = 7 + (idx - 9) / 4;
	q = (idx - 9) % 4;
	return (1u << k) + ((q + 1) << (k - 2));
}

static noinline __cold void *alloc_class_slow(unsigned int idx, gfp_t gfp)
{
	struct kmem_cache *c;
	char name[24];

	pthread_mutex_lock(&class_lock);
	c = class_cache[idx];
	if (!c) {
		snprintf(name, sizeof(name), "malloc-%u", class_size(idx));
		c = kmem_cache_create(name, class_size(idx), MALLOC_ALIGNMENT, 0, NULL);
		if (c)
			__atomic_store_n(&class_cache[idx], c, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&class_lock);
	/* no cache (kmem said why): kmalloc's class serves */
	return c ? kmem_cache_alloc(c, gfp) : kmalloc(class_size(idx), gfp);
}

static __always_inline void *alloc_small(size_t size, gfp_t gfp)
{
	unsigned int idx;
	struct kmem_cache *c;

	if (unlikely(!use_size_classes))
		return kmalloc(size < MALLOC_ALIGNMENT ? MALLOC_ALIGNMENT : size, gfp);
	idx = size_class(size ? size : 1);
	c = __atomic_load_n(&class_cache[idx], __ATOMIC_ACQUIRE);
	if (unlikely(!c))
		return alloc_class_slow(idx, gfp);
	return kmem_cache_alloc(c, gfp);
}

static __always_inline void *alloc(size_t size, gfp_t zero, const void *caller)
{
	void *p;

	if (likely(size <= KMALLOC_MAX_CACHE_SIZE)) {
		p = alloc_small(size, MALLOC_GFP | zero);
		return likely(p) ? p : enomem();
	}
	return alloc_large(size, zero, caller);
}

/* @align a power of two. */
static noinline void *alloc_aligned(size_t align, size_t size, const void *caller)
{
	size_t block = size > align ? size : align;
	void *p;

	if (align <= MALLOC_ALIGNMENT)
		return alloc(size, 0, caller);
	if (unlikely(size > PTRDIFF_MAX || align > PTRDIFF_MAX))
		return enomem();
	if (block <= kmalloc_aligned_max) {
		block = roundup_power_of_2(block);
		if (block <= KMALLOC_MAX_CACHE_SIZE) {
			p = kmalloc(block, MALLOC_GFP);
			return likely(p) ? p : enomem();
		}
		p = kmalloc(block, MALLOC_GFP | __GFP_NORETRY);
		if (p)
			return p;
	}
	p = __vmalloc_node(size ? size : 1, align, MALLOC_GFP, NUMA_NO_NODE, caller);
	return likely(p) ? p : enomem();
}

static void *vmalloc_start(const void *p, size_t *usable)
{
	struct vm_struct *area = find_vm_area(p);
	char *start;

	if (!area)
		return NULL;
	start = vm_area_addr(area);
	*usable = get_vm_area_size(area) - (size_t)((const char *)p - start);
	return start;
}

static noinline void free_not_kmalloc(void *p)
{
	if (!p || unlikely(is_inherited(p)))
		return;
	if (kmem_ready() && is_vmalloc_addr(p)) {
		size_t usable;
		void *start = vmalloc_start(p, &usable);

		vfree(start ? start : p);
		return;
	}
	__libc_free(p);
}

static __always_inline void release(void *p)
{
	if (likely(is_kmem_memory(p)))
		kfree(p);
	else
		free_not_kmalloc(p);
}

typedef size_t (*usable_size_fn)(void *);

/* glibc's function of that name, past ours (resolved on first use). */
static void *libc_function(void **slot, const char *name)
{
	void *fn = __atomic_load_n(slot, __ATOMIC_ACQUIRE);

	if (!fn) {
		fn = dlsym(RTLD_NEXT, name);
		__atomic_store_n(slot, fn, __ATOMIC_RELEASE);
	}
	return fn;
}

static size_t libc_usable_size(void *p)
{
	static void *fn;
	usable_size_fn usable = (usable_size_fn)libc_function(&fn, "malloc_usable_size");

	return usable ? usable(p) : 0;
}

static size_t usable_size(void *p)
{
	size_t usable;

	if (kmem_ready() || is_inherited(p)) {
		if ((uintptr_t)p - inherited_base < inherited_size)
			return ksize(p);
		if (is_kmem_memory(p))
			return ksize(p);
		if (is_vmalloc_addr(p))
			return vmalloc_start(p, &usable) ? usable : 0;
	}
	return libc_usable_size(p);
}

/* @p and @size non-zero, kmem ready. */
static noinline void *resize(void *p, size_t size, const void *caller)
{
	size_t usable;
	void *q;

	if (is_kmem_memory(p))
		usable = ksize(p);
	else if (!is_vmalloc_addr(p) || !vmalloc_start(p, &usable))
		return __libc_realloc(p, size);
	/* shrinking to half or less gives the rest back (small objects stay) */
	if (size <= usable && (size > usable / 2 || usable <= 2 * MALLOC_ALIGNMENT))
		return p;
	q = alloc(size, 0, caller);
	if (!q)
		return NULL;
	memcpy(q, p, size < usable ? size : usable);
	release(p);
	return q;
}

/* MALLOC_INHERITED: the parent's block stays the parent's; the child gets a copy from glibc. */
static noinline void *realloc_inherited(void *p, size_t size)
{
	size_t usable = usable_size(p);
	void *q = __libc_malloc(size ? size : 1);

	if (q)
		memcpy(q, p, size < usable ? size : usable);
	return q;
}

static __always_inline void *reallocate(void *p, size_t size, const void *caller)
{
	if (unlikely(!kmem_ready() && !malloc_start()))
		return unlikely(is_inherited(p)) ? realloc_inherited(p, size) : __libc_realloc(p, size);
	if (!p)
		return alloc(size, 0, caller);
	if (!size) {
		/* glibc's choice: free and return NULL (errno untouched) */
		release(p);
		return NULL;
	}
	return resize(p, size, caller);
}

static __always_inline void *allocate_aligned(size_t align, size_t size, const void *caller)
{
	if (unlikely(!kmem_ready() && !malloc_start()))
		return __libc_memalign(align, size);
	return alloc_aligned(align, size, caller);
}

/* ------------------------------------------------------------------ */
/* The C API                                                           */
/* ------------------------------------------------------------------ */

KMEM_MALLOC_EXPORT void *malloc(size_t size)
{
	if (unlikely(!kmem_ready() && !malloc_start()))
		return __libc_malloc(size);
	return alloc(size, 0, __builtin_return_address(0));
}

KMEM_MALLOC_EXPORT void free(void *p)
{
	release(p);
}

KMEM_MALLOC_EXPORT void *calloc(size_t n, size_t size)
{
	size_t bytes;

	if (unlikely(__builtin_mul_overflow(n, size, &bytes)))
		return enomem();
	if (unlikely(!kmem_ready() && !malloc_start()))
		return __libc_calloc(n, size);
	return alloc(bytes, __GFP_ZERO, __builtin_return_address(0));
}

KMEM_MALLOC_EXPORT void *realloc(void *p, size_t size)
{
	return reallocate(p, size, __builtin_return_address(0));
}

KMEM_MALLOC_EXPORT void *reallocarray(void *p, size_t n, size_t size)
{
	size_t bytes;

	if (unlikely(__builtin_mul_overflow(n, size, &bytes)))
		return enomem();
	return reallocate(p, bytes, __builtin_return_address(0));
}

KMEM_MALLOC_EXPORT int posix_memalign(void **memptr, size_t align, size_t size)
{
	int saved_errno = errno;
	void *p;

	if (!is_power_of_2(align) || align % sizeof(void *))
		return EINVAL;
	p = allocate_aligned(align, size, __builtin_return_address(0));
	errno = saved_errno;
	if (!p)
		return ENOMEM;
	*memptr = p;
	return 0;
}

KMEM_MALLOC_EXPORT void *aligned_alloc(size_t align, size_t size)
{
	if (!is_power_of_2(align)) {
		errno = EINVAL;
		return NULL;
	}
	return allocate_aligned(align, size, __builtin_return_address(0));
}

/* glibc's: an alignment that is not a power of two is rounded up to one. */
KMEM_MALLOC_EXPORT void *memalign(size_t align, size_t size)
{
	if (!is_power_of_2(align)) {
		if (align > PTRDIFF_MAX) {
			errno = EINVAL;
			return NULL;
		}
		align = roundup_power_of_2(align);
	}
	return allocate_aligned(align, size, __builtin_return_address(0));
}

KMEM_MALLOC_EXPORT void *valloc(size_t size)
{
	return allocate_aligned(PAGE_SIZE, size, __builtin_return_address(0));
}

KMEM_MALLOC_EXPORT void *pvalloc(size_t size)
{
	if (size > PTRDIFF_MAX)
		return enomem();
	return allocate_aligned(PAGE_SIZE, size ? PAGE_ALIGN(size) : PAGE_SIZE,
				__builtin_return_address(0));
}

KMEM_MALLOC_EXPORT size_t malloc_usable_size(void *p)
{
	return p ? usable_size(p) : 0;
}

KMEM_MALLOC_EXPORT void free_sized(void *p, size_t size)
{
	release(p);
}

KMEM_MALLOC_EXPORT void free_aligned_sized(void *p, size_t align, size_t size)
{
	release(p);
}

/* For new.cc: the same paths, never through the interposable symbols. */
void *kmem_malloc_alloc(size_t size)
{
	if (unlikely(!kmem_ready() && !malloc_start()))
		return __libc_malloc(size);
	return alloc(size, 0, __builtin_return_address(0));
}

void *kmem_malloc_alloc_aligned(size_t align, size_t size)
{
	/* not a power of two: undefined for operator new; memalign()'s answer */
	if (unlikely(!is_power_of_2(align)))
		align = align > PTRDIFF_MAX ? 0 : roundup_power_of_2(align);
	if (unlikely(!align))
		return enomem();
	return allocate_aligned(align, size, __builtin_return_address(0));
}

void kmem_malloc_free(void *p)
{
	release(p);
}

/* ------------------------------------------------------------------ */
/* Tuning and statistics                                               */
/* ------------------------------------------------------------------ */

/* glibc's knobs mean nothing to kmem: accepted, so that programs carry on. */
KMEM_MALLOC_EXPORT int mallopt(int param, int value)
{
	switch (param) {
	case M_MXFAST:
	case M_TRIM_THRESHOLD:
	case M_TOP_PAD:
	case M_MMAP_THRESHOLD:
	case M_MMAP_MAX:
	case M_CHECK_ACTION:
	case M_PERTURB:
	case M_ARENA_TEST:
	case M_ARENA_MAX:
		return 1;
	}
	return 0;
}

typedef int (*trim_fn)(size_t);

/* Empty slabs to the page allocator, free sections back to the system. */
KMEM_MALLOC_EXPORT int malloc_trim(size_t pad)
{
	static void *libc_trim;
	trim_fn glibc_trim = (trim_fn)libc_function(&libc_trim, "malloc_trim");
	int released = glibc_trim ? glibc_trim(pad) : 0;

	if (!kmem_ready())
		return released;
	if (kmem_cache_shrink_name(NULL) > 0)
		released = 1;
	kmem_drain_all_pages();
	if (kmem_memory_shrink() > 0)
		released = 1;
	return released;
}

struct heap_totals {
	uint64_t managed;	/* bytes in kmem's zones */
	uint64_t free;		/* free pages, per-CPU lists included */
	uint64_t free_blocks;
	uint64_t slab_pages;	/* bytes of every cache's slabs */
	uint64_t kmalloc_used;	/* bytes of kmalloc-* objects allocated */
	uint64_t kmalloc_slabs;	/* bytes of kmalloc-* slabs */
	uint64_t large;		/* bytes of kmalloc() page blocks */
	uint64_t vmalloc;	/* bytes of pages backing vmalloc regions */
	uint64_t vmalloc_areas;
};

/* The caches the heap's objects are in: kmalloc's, and the size classes' own. */
static bool is_heap_cache(const char *name)
{
	return !strncmp(name, "kmalloc-", 8) || !strncmp(name, "dma-kmalloc-", 12) ||
	       !strncmp(name, "malloc-", 7);
}

static void heap_totals(struct heap_totals *t)
{
	struct kmem_vmalloc_stats vs;
	struct kmem_cache_stats cs;
	struct kmem_zone_stats zs;
	struct kmem_info info;
	uint64_t used_pages = 0;
	unsigned int iter = 0;
	int nid, zone, order;

	memset(t, 0, sizeof(*t));
	if (kmem_get_info(&info))
		return;
	for (nid = 0; nid < (int)info.nr_nodes; nid++) {
		for (zone = 0; zone < 4; zone++) {
			if (kmem_zone_stats(nid, zone, &zs))
				continue;
			t->managed += zs.managed << PAGE_SHIFT;
			t->free += (zs.free_pages + zs.pcp_count) << PAGE_SHIFT;
			for (order = 0; order <= MAX_PAGE_ORDER; order++)
				t->free_blocks += zs.nr_free[order];
			if (zs.managed > zs.free_pages + zs.pcp_count)
				used_pages += zs.managed - zs.free_pages - zs.pcp_count;
		}
	}
	while (!kmem_cache_stats_next(&iter, &cs)) {
		uint64_t bytes = (cs.num_slabs * cs.pagesperslab) << PAGE_SHIFT;

		t->slab_pages += bytes;
		if (is_heap_cache(cs.name)) {
			t->kmalloc_slabs += bytes;
			t->kmalloc_used += cs.active_objs * cs.objsize;
		}
	}
	if (!kmem_vmalloc_stats(&vs)) {
		t->vmalloc = vs.pages << PAGE_SHIFT;
		t->vmalloc_areas = vs.nr_areas;
	}
	/* what the zones hand out is slabs, vmalloc's pages, or kmalloc() blocks */
	used_pages <<= PAGE_SHIFT;
	if (used_pages > t->slab_pages + t->vmalloc)
		t->large = used_pages - t->slab_pages - t->vmalloc;
}

typedef struct mallinfo2 (*mallinfo2_fn)(void);

/*
 * arena: kmem's pages (vmalloc's included); uordblks: kmalloc() bytes in
 * use; fordblks: free pages and free room in the kmalloc slabs; hblks and
 * hblkhd: vmalloc regions and the pages backing them.
 */
KMEM_MALLOC_EXPORT struct mallinfo2 mallinfo2(void)
{
	struct mallinfo2 mi = { 0 };
	struct heap_totals t;

	if (!kmem_ready() && !malloc_start()) {
		static void *libc_mallinfo2;
		mallinfo2_fn fn = (mallinfo2_fn)libc_function(&libc_mallinfo2, "mallinfo2");

		return fn ? fn() : mi;
	}
	heap_totals(&t);
	mi.arena = t.managed;
	mi.ordblks = t.free_blocks;
	mi.hblks = t.vmalloc_areas;
	mi.hblkhd = t.vmalloc;
	mi.uordblks = t.kmalloc_used + t.large;
	mi.fsmblks = t.kmalloc_slabs > t.kmalloc_used ? t.kmalloc_slabs - t.kmalloc_used : 0;
	mi.fordblks = t.free + mi.fsmblks;
	return mi;
}

/* The old interface truncates to int, as glibc's does. */
KMEM_MALLOC_EXPORT struct mallinfo mallinfo(void)
{
	struct mallinfo2 mi2 = mallinfo2();
	struct mallinfo mi = {
		.arena = (int)mi2.arena,
		.ordblks = (int)mi2.ordblks,
		.smblks = (int)mi2.smblks,
		.hblks = (int)mi2.hblks,
		.hblkhd = (int)mi2.hblkhd,
		.usmblks = (int)mi2.usmblks,
		.fsmblks = (int)mi2.fsmblks,
		.uordblks = (int)mi2.uordblks,
		.fordblks = (int)mi2.fordblks,
		.keepcost = (int)mi2.keepcost,
	};

	return mi;
}

static void print_totals(FILE *f)
{
	struct heap_totals t;

	if (!kmem_ready()) {
		fprintf(f, "kmem malloc: not in use (glibc's malloc serves this process)\n");
		return;
	}
	heap_totals(&t);
	fprintf(f,
		"kmem malloc:\n"
		"system bytes     = %12llu\n"
		"in use bytes     = %12llu\n"
		"  slab objects   = %12llu\n"
		"  page blocks    = %12llu\n"
		"free bytes       = %12llu\n"
		"vmalloc regions  = %12llu\n"
		"vmalloc bytes    = %12llu\n",
		(unsigned long long)t.managed,
		(unsigned long long)(t.kmalloc_used + t.large),
		(unsigned long long)t.kmalloc_used, (unsigned long long)t.large,
		(unsigned long long)t.free, (unsigned long long)t.vmalloc_areas,
		(unsigned long long)t.vmalloc);
}

KMEM_MALLOC_EXPORT void malloc_stats(void)
{
	print_totals(stderr);
}

typedef int (*malloc_info_fn)(int, FILE *);

#define MAX_KMALLOC_ROWS	64

/* glibc's layout, one <size> row per kmalloc cache in use. */
KMEM_MALLOC_EXPORT int malloc_info(int options, FILE *fp)
{
	struct kmem_cache_stats row[MAX_KMALLOC_ROWS], cs;
	unsigned int iter = 0, nr = 0, i, j, from = 1;
	uint64_t count = 0;
	struct heap_totals t;

	if (options) {
		errno = EINVAL;
		return -1;
	}
	if (!kmem_ready() && !malloc_start()) {
		static void *libc_malloc_info;
		malloc_info_fn fn = (malloc_info_fn)libc_function(&libc_malloc_info,
								  "malloc_info");

		return fn ? fn(options, fp) : -1;
	}
	while (!kmem_cache_stats_next(&iter, &cs)) {
		if (!is_heap_cache(cs.name) || !strncmp(cs.name, "dma-", 4))
			continue;
		count += cs.active_objs;
		if (nr == MAX_KMALLOC_ROWS)
			continue;
		/* by size: the caches are listed in creation order */
		for (i = nr++; i && row[i - 1].object_size > cs.object_size; i--)
			row[i] = row[i - 1];
		row[i] = cs;
	}
	heap_totals(&t);
	fprintf(fp, "<malloc version=\"kmem-1\">\n<heap nr=\"0\">\n<sizes>\n");
	for (j = 0; j < nr; j++) {
		if (row[j].active_objs)
			fprintf(fp, "  <size from=\"%u\" to=\"%u\" total=\"%llu\" count=\"%llu\"/>\n",
				from, row[j].object_size,
				(unsigned long long)(row[j].active_objs * row[j].objsize),
				(unsigned long long)row[j].active_objs);
		from = row[j].object_size + 1;
	}
	fprintf(fp,
		"</sizes>\n"
		"<total type=\"slab\" count=\"%llu\" size=\"%llu\"/>\n"
		"<total type=\"pages\" size=\"%llu\"/>\n"
		"<system type=\"current\" size=\"%llu\"/>\n"
		"<aspace type=\"total\" size=\"%llu\"/>\n"
		"</heap>\n"
		"<total type=\"mmap\" count=\"%llu\" size=\"%llu\"/>\n"
		"<system type=\"current\" size=\"%llu\"/>\n"
		"<aspace type=\"total\" size=\"%llu\"/>\n"
		"</malloc>\n",
		(unsigned long long)count, (unsigned long long)t.kmalloc_used,
		(unsigned long long)t.large, (unsigned long long)t.managed,
		(unsigned long long)kmem_size, (unsigned long long)t.vmalloc_areas,
		(unsigned long long)t.vmalloc, (unsigned long long)t.managed,
		(unsigned long long)kmem_size);
	return 0;
}

static void write_to_stream(void *arg, const char *text)
{
	fputs(text, arg);
}

/* KMEM_MALLOC_STATS=1: the totals and kmem's views when the program ends. */
__attribute__((__destructor__)) static void malloc_exit_report(void)
{
	FILE *f;

	if (stats_fd < 0 || !kmem_ready())
		return;
	f = fdopen(stats_fd, "w");
	if (!f)
		return;
	print_totals(f);
	fputc('\n', f);
	kmem_stats_print(write_to_stream, f, KMEM_STATS_BUDDYINFO | KMEM_STATS_SLABINFO |
					     KMEM_STATS_VMALLOC | KMEM_STATS_MEMORY);
	fclose(f);
	stats_fd = -1;
}
