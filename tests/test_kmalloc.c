// SPDX-License-Identifier: MIT
/*
 * kmalloc and its helpers: the size classes, ksize()/kmalloc_size_roundup(),
 * alignment, zeroing, the array helpers' overflow checks, krealloc, the
 * string duplicators, GFP_DMA, kmalloc_node, large allocations, bad frees
 * and /proc/slabinfo.  (The ideas of the kernel's lib/test_meminit.c and
 * lib/slub_kunit.c, for kmalloc.)
 *
 * One allocator for the whole file: two fake nodes, and carved DMA / DMA32
 * zones so that GFP_DMA has a zone of its own.
 */
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/slab.h>
#include <linux/topology.h>

#include "kunit.h"

#define KMEM_OPTS "fake_numa=2,zones=carve,dma_mb=4,dma32_mb=8,direct_mb=64,highmem_mb=8"

static int suite_init(void)
{
	return kt_init(KMEM_OPTS);
}

static int suite_exit(void)
{
	kt_capture_stop();
	kmem_exit();
	return 0;
}

/* Pin the calling thread to one CPU, so that per-CPU reuse is predictable. */
static cpu_set_t saved_affinity;

static void pin_cpu(int cpu)
{
	cpu_set_t one;

	sched_getaffinity(0, sizeof(saved_affinity), &saved_affinity);
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	sched_setaffinity(0, sizeof(one), &one);
}

static void unpin_cpu(void)
{
	sched_setaffinity(0, sizeof(saved_affinity), &saved_affinity);
}

/* The size class kmalloc must use for @size, computed independently. */
static size_t expected_class(size_t size)
{
	size_t c;

	if (size <= 8)
		return 8;
	if (size <= 16)
		return 16;
	if (size <= 32)
		return 32;
	if (size <= 64)
		return 64;
	if (size <= 96)
		return 96;
	if (size <= 128)
		return 128;
	if (size <= 192)
		return 192;
	if (size <= KMALLOC_MAX_CACHE_SIZE) {
		for (c = 256; c < size; c <<= 1)
			;
		return c;
	}
	return PAGE_SIZE << get_order(size);
}

/* Hide a value from the compiler, which would reject impossible sizes at build time. */
static size_t opaque(size_t x)
{
	__asm__ volatile("" : "+r"(x));
	return x;
}

/*
 * The usable size is ksize(), not the size asked for; but the compiler (and
 * UBSan's object-size check) take kmalloc()'s __alloc_size at its word.
 * Accesses past the requested size go through a laundered pointer.
 */
static void *launder(void *p)
{
	__asm__ volatile("" : "+r"(p));
	return p;
}

static bool is_pow2(size_t x)
{
	return x && !(x & (x - 1));
}

/* Find a cache's statistics by name. */
static bool find_cache(const char *name, struct kmem_cache_stats *st)
{
	unsigned int iter = 0;

	while (!kmem_cache_stats_next(&iter, st))
		if (!strcmp(st->name, name))
			return true;
	return false;
}

/* ------------------------------------------------------------------ */

/* One allocation of @size: the checks every size must pass. */
static void check_one_size(size_t size)
{
	unsigned char *p = launder(kmalloc(size, GFP_KERNEL));
	size_t ks;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	ks = ksize(p);
	if (ks < size || ks != kmalloc_size_roundup(size) || ks != expected_class(size)) {
		fprintf(stderr, "size %zu: ksize %zu roundup %zu expected %zu\n", size, ks,
			kmalloc_size_roundup(size), expected_class(size));
		CU_FAIL("ksize / kmalloc_size_roundup mismatch");
	}
	if ((uintptr_t)p % ARCH_KMALLOC_MINALIGN) {
		fprintf(stderr, "size %zu: %p not aligned to ARCH_KMALLOC_MINALIGN\n", size, p);
		CU_FAIL("kmalloc alignment below ARCH_KMALLOC_MINALIGN");
	}
	if (is_pow2(size) && (uintptr_t)p % size) {
		fprintf(stderr, "size %zu: %p not naturally aligned\n", size, p);
		CU_FAIL("power-of-two kmalloc not naturally aligned");
	}
	if (size > KMALLOC_MAX_CACHE_SIZE && !PAGE_ALIGNED(p))
		CU_FAIL("large kmalloc not page aligned");
	/* the whole usable size is ours */
	memset(p, 0x5a, ks);
	CU_ASSERT(p[0] == 0x5a && p[ks - 1] == 0x5a);
	kfree(p);
}

static void test_kmalloc_every_small_size(void)
{
	size_t size;

	for (size = 1; size <= 512; size++)
		check_one_size(size);
}

static void test_kmalloc_sizes_to_8k(void)
{
	size_t size;
	unsigned int shift;

	/* powers of two and their neighbours */
	for (shift = 9; shift <= KMALLOC_SHIFT_HIGH; shift++) {
		check_one_size((1UL << shift) - 1);
		check_one_size(1UL << shift);
		if ((1UL << shift) + 1 <= KMALLOC_MAX_CACHE_SIZE)
			check_one_size((1UL << shift) + 1);
	}
	/* odd sizes in between */
	for (size = 513; size <= KMALLOC_MAX_CACHE_SIZE; size += 37)
		check_one_size(size);
	check_one_size(KMALLOC_MAX_CACHE_SIZE);
}

static void test_kmalloc_roundup(void)
{
	CU_ASSERT_EQUAL(kmalloc_size_roundup(0), 0);
	CU_ASSERT_EQUAL(kmalloc_size_roundup(1), 8);
	CU_ASSERT_EQUAL(kmalloc_size_roundup(65), 96);
	CU_ASSERT_EQUAL(kmalloc_size_roundup(97), 128);
	CU_ASSERT_EQUAL(kmalloc_size_roundup(129), 192);
	CU_ASSERT_EQUAL(kmalloc_size_roundup(193), 256);
	CU_ASSERT_EQUAL(kmalloc_size_roundup(8192), 8192);
	CU_ASSERT_EQUAL(kmalloc_size_roundup(8193), 4 * PAGE_SIZE);
	CU_ASSERT_EQUAL(kmalloc_size_roundup(KMALLOC_MAX_SIZE), KMALLOC_MAX_SIZE);
	/* too large for kmalloc: the size itself, as the kernel */
	CU_ASSERT_EQUAL(kmalloc_size_roundup(KMALLOC_MAX_SIZE + 1), KMALLOC_MAX_SIZE + 1);
}

static void test_kmalloc_large(void)
{
	static const size_t sizes[] = {
		KMALLOC_MAX_CACHE_SIZE + 1, 3 * PAGE_SIZE, 4 * PAGE_SIZE, 4 * PAGE_SIZE + 1,
		5 * PAGE_SIZE - 7, 65536, 100000, 1UL << 20, (1UL << 20) + 1,
		KMALLOC_MAX_SIZE / 2 + 1, KMALLOC_MAX_SIZE - 1, KMALLOC_MAX_SIZE,
	};
	unsigned int i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t size = opaque(sizes[i]);
		/* laundered: GCC would track the block size and warn about p[ks - 1] */
		unsigned char *p = launder(kmalloc(size, GFP_KERNEL));
		size_t ks;

		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		ks = opaque(ksize(p));
		if (ks < size) {
			CU_FAIL("large kmalloc: ksize below the size asked for");
			kfree(p);
			continue;
		}
		CU_ASSERT(PAGE_ALIGNED(p));
		CU_ASSERT_EQUAL(ks, PAGE_SIZE << get_order(size));
		CU_ASSERT_EQUAL(ks, kmalloc_size_roundup(size));
		CU_ASSERT_PTR_NOT_NULL(virt_to_page(p));
		/* memory is contiguous and ours: touch every page */
		for (size_t off = 0; off < ks; off += PAGE_SIZE)
			p[off] = (unsigned char)off;
		p[ks - 1] = 0x77;
		for (size_t off = 0; off < ks; off += PAGE_SIZE)
			CU_ASSERT_EQUAL_FATAL(p[off], (unsigned char)off);
		CU_ASSERT_EQUAL(p[ks - 1], 0x77);
		kfree(p);
	}
	/* a few in flight at once, of different orders */
	{
		void *a = kmalloc(20000, GFP_KERNEL), *b = kmalloc(70000, GFP_KERNEL);
		void *c = kzalloc(300000, GFP_KERNEL);

		CU_ASSERT(a && b && c);
		CU_ASSERT(a != b && b != c);
		for (size_t off = 0; c && off < 300000; off += 4096)
			CU_ASSERT_EQUAL_FATAL(((unsigned char *)c)[off], 0);
		kfree(a);
		kfree(b);
		kfree(c);
	}
}

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;

	return x < y ? -1 : x > y;
}

/* Many objects of each class at once: distinct, disjoint, each one's own. */
static void test_kmalloc_no_overlap(void)
{
	static const size_t sizes[] = {
		1, 8, 13, 16, 32, 64, 72, 96, 128, 150, 192, 256, 300, 512, 1024, 2048,
		4000, 4096, 8192, 9000, 16384,
	};
	enum { N = 200 };
	unsigned char *objs[N];
	unsigned int i, j, k;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t size = sizes[i];
		size_t ks = kmalloc_size_roundup(size);

		for (j = 0; j < N; j++) {
			objs[j] = launder(kmalloc(size, GFP_KERNEL));
			CU_ASSERT_PTR_NOT_NULL_FATAL(objs[j]);
			/* all ks bytes are usable once ksize() says so (ASan: not before) */
			CU_ASSERT_FATAL(ksize(objs[j]) >= ks);
			memset(objs[j], (int)(j & 0xff) ^ 0x3c, ks);
		}
		for (j = 0; j < N; j++)
			for (k = 0; k < ks; k++)
				if (objs[j][k] != (unsigned char)((j & 0xff) ^ 0x3c)) {
					fprintf(stderr, "size %zu: object %u byte %u overwritten\n", size,
						j, k);
					CU_FAIL("kmalloc objects overlap");
					break;
				}
		qsort(objs, N, sizeof(objs[0]), cmp_ptr);
		for (j = 1; j < N; j++)
			CU_ASSERT_FATAL(objs[j - 1] + ks <= objs[j]);
		for (j = 0; j < N; j++)
			kfree(objs[j]);
	}
}

static void test_kmalloc_zero_and_null(void)
{
	unsigned long before = kmem_report_count();
	void *p = kmalloc(0, GFP_KERNEL);

	CU_ASSERT_PTR_EQUAL(p, ZERO_SIZE_PTR);
	CU_ASSERT(ZERO_OR_NULL_PTR(p));
	CU_ASSERT_EQUAL(ksize(p), 0);
	CU_ASSERT_PTR_EQUAL(kzalloc(0, GFP_KERNEL), ZERO_SIZE_PTR);
	CU_ASSERT_PTR_EQUAL(kmalloc_array(0, 16, GFP_KERNEL), ZERO_SIZE_PTR);
	CU_ASSERT_PTR_EQUAL(kmalloc_node(0, GFP_KERNEL, 0), ZERO_SIZE_PTR);
	kfree(p);
	kfree(ZERO_SIZE_PTR);
	kfree(NULL);
	kfree_sensitive(NULL);
	kfree_sensitive(ZERO_SIZE_PTR);
	CU_ASSERT_EQUAL(ksize(NULL), 0);
	/* no-ops, not bad frees */
	CU_ASSERT_EQUAL(kmem_report_count(), before);
}

/* Dirty an object, free it, get it back with kzalloc: all zero. */
static void test_kzalloc_zeroes(void)
{
	static const size_t sizes[] = { 1, 8, 24, 64, 96, 100, 192, 500, 1024, 4096, 8192, 20000 };
	unsigned int i, round;

	pin_cpu(0);
	for (round = 0; round < 2; round++) {
		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			size_t size = sizes[i];
			unsigned char *p = launder(kmalloc(size, GFP_KERNEL)), *q;
			size_t ks, k, dirty = 0;

			CU_ASSERT_PTR_NOT_NULL_FATAL(p);
			ks = ksize(p);
			memset(p, 0xff, ks);
			kfree(p);
			q = launder(round ? kcalloc(1, size, GFP_KERNEL) : kzalloc(size, GFP_KERNEL));
			CU_ASSERT_PTR_NOT_NULL_FATAL(q);
			/* usually the same object again: it must have been cleared */
			for (k = 0; k < ksize(q); k++)
				dirty += q[k] != 0;
			if (dirty)
				fprintf(stderr, "kzalloc(%zu): %zu of %zu bytes not zero (%s object)\n",
					size, dirty, ksize(q), p == q ? "same" : "other");
			CU_ASSERT_EQUAL(dirty, 0);
			kfree(q);
		}
	}
	unpin_cpu();
}

static void test_kmalloc_too_large(void)
{
	void *p;

	kt_capture_start();
	p = kmalloc(opaque(KMALLOC_MAX_SIZE + 1), GFP_KERNEL);
	CU_ASSERT_PTR_NULL(p);
	CU_ASSERT(kt_captured("WARNING"));
	CU_ASSERT_EQUAL(kt_captured_count(), 1);

	kt_capture_start();
	p = kmalloc(opaque(KMALLOC_MAX_SIZE + 1), GFP_KERNEL | __GFP_NOWARN);
	CU_ASSERT_PTR_NULL(p);
	p = kmalloc(opaque(SIZE_MAX), GFP_KERNEL | __GFP_NOWARN);
	CU_ASSERT_PTR_NULL(p);
	p = kmalloc_node(opaque(KMALLOC_MAX_SIZE * 2), GFP_KERNEL | __GFP_NOWARN, 1);
	CU_ASSERT_PTR_NULL(p);
	CU_ASSERT_EQUAL(kt_captured_count(), 0);

	kt_capture_start();
	p = kmalloc(opaque(SIZE_MAX), GFP_KERNEL);
	CU_ASSERT_PTR_NULL(p);
	CU_ASSERT(kt_captured("WARNING"));
	kt_capture_stop();

	/* and the allocator is fine */
	p = kmalloc(KMALLOC_MAX_SIZE, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL(p);
	kfree(p);
}

static void test_array_overflow(void)
{
	const size_t big = opaque(SIZE_MAX / 2 + 1);
	unsigned char *p, *q;

	CU_ASSERT_PTR_NULL(kmalloc_array(big, 2, GFP_KERNEL));
	CU_ASSERT_PTR_NULL(kmalloc_array(2, big, GFP_KERNEL));
	CU_ASSERT_PTR_NULL(kmalloc_array(opaque(SIZE_MAX), opaque(SIZE_MAX), GFP_KERNEL));
	CU_ASSERT_PTR_NULL(kmalloc_array(opaque((SIZE_MAX / 16) + 1), 16, GFP_KERNEL));
	CU_ASSERT_PTR_NULL(kcalloc(big, 2, GFP_KERNEL));
	CU_ASSERT_PTR_NULL(kcalloc(3, opaque(SIZE_MAX / 3 + 1), GFP_KERNEL));
	CU_ASSERT_PTR_NULL(kmalloc_array_node(big, 2, GFP_KERNEL, 0));
	CU_ASSERT_PTR_NULL(kmalloc_array_node(2, big, GFP_KERNEL, 1));
	CU_ASSERT_PTR_NULL(kcalloc_node(big, 4, GFP_KERNEL, 0));

	/* krealloc_array: overflow gives NULL and leaves the old block alone */
	p = kmalloc_array(10, 8, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	memset(p, 0x42, 80);
	q = krealloc_array(p, big, 2, GFP_KERNEL);
	CU_ASSERT_PTR_NULL(q);
	for (int i = 0; i < 80; i++)
		CU_ASSERT_EQUAL_FATAL(p[i], 0x42);
	/* a sane krealloc_array grows it, keeping the contents */
	q = krealloc_array(p, 100, 8, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	CU_ASSERT(ksize(q) >= 800);
	for (int i = 0; i < 80; i++)
		CU_ASSERT_EQUAL_FATAL(q[i], 0x42);
	kfree(q);

	/* products that fit work */
	p = kmalloc_array(3, 5, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL(p);
	CU_ASSERT(ksize(p) >= 15);
	kfree(p);
	p = kcalloc(16, 64, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	for (int i = 0; i < 1024; i++)
		CU_ASSERT_EQUAL_FATAL(p[i], 0);
	kfree(p);
	p = kmalloc_array_node(4, 1000, GFP_KERNEL, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(page_to_nid(virt_to_page(p)), 1);
	kfree(p);
}

static void test_krealloc(void)
{
	unsigned char *p, *q;
	unsigned int i;

	/* krealloc(NULL, n) is kmalloc(n) */
	p = launder(krealloc(NULL, 40, GFP_KERNEL));
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(ksize(p), 64);
	for (i = 0; i < 40; i++)
		p[i] = (unsigned char)i;

	/* growing within ksize stays in place */
	q = launder(krealloc(p, 64, GFP_KERNEL));
	CU_ASSERT_PTR_EQUAL(q, p);
	/* growing past it moves, keeping the contents */
	q = launder(krealloc(p, 1000, GFP_KERNEL));
	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	CU_ASSERT(ksize(q) >= 1000);
	for (i = 0; i < 40; i++)
		CU_ASSERT_EQUAL_FATAL(q[i], (unsigned char)i);
	/* shrinking stays in place */
	p = launder(krealloc(q, 600, GFP_KERNEL));
	CU_ASSERT_PTR_EQUAL(p, q);
	p = launder(krealloc(p, 10, GFP_KERNEL));
	CU_ASSERT_PTR_EQUAL(p, q);
	for (i = 0; i < 10; i++)
		CU_ASSERT_EQUAL_FATAL(p[i], (unsigned char)i);

	/* slab to large and large to larger keep the contents */
	memset(p, 0x11, ksize(p));
	q = launder(krealloc(p, 50000, GFP_KERNEL));
	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	CU_ASSERT(PAGE_ALIGNED(q));
	for (i = 0; i < 1024; i++)
		CU_ASSERT_EQUAL_FATAL(q[i], 0x11);
	memset(q, 0x22, 50000);
	p = launder(krealloc(q, 200000, GFP_KERNEL));
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	for (i = 0; i < 50000; i += 97)
		CU_ASSERT_EQUAL_FATAL(p[i], 0x22);
	/* large shrinking in place */
	q = launder(krealloc(p, 150000, GFP_KERNEL));
	CU_ASSERT_PTR_EQUAL(q, p);

	/* failure leaves the block alone */
	p = launder(krealloc(q, opaque(KMALLOC_MAX_SIZE + 1), GFP_KERNEL | __GFP_NOWARN));
	CU_ASSERT_PTR_NULL(p);
	CU_ASSERT_EQUAL(q[0], 0x22);
	CU_ASSERT_EQUAL(q[49999], 0x22);

	/* krealloc(p, 0) frees p and gives ZERO_SIZE_PTR */
	p = launder(krealloc(q, 0, GFP_KERNEL));
	CU_ASSERT_PTR_EQUAL(p, ZERO_SIZE_PTR);
	/* and krealloc(ZERO_SIZE_PTR, n) allocates */
	p = launder(krealloc(p, 32, GFP_KERNEL));
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT(!ZERO_OR_NULL_PTR(p));
	CU_ASSERT_EQUAL(ksize(p), 32);

	/* __GFP_ZERO: the grown part is zero, the old part kept */
	memset(p, 0xff, 32);
	q = launder(krealloc(p, 100, GFP_KERNEL | __GFP_ZERO));
	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	for (i = 0; i < 32; i++)
		CU_ASSERT_EQUAL_FATAL(q[i], 0xff);
	for (i = 32; i < 100; i++)
		CU_ASSERT_EQUAL_FATAL(q[i], 0);
	/* ... and shrinking with __GFP_ZERO clears the tail */
	memset(q, 0xee, ksize(q));
	p = launder(krealloc(q, 50, GFP_KERNEL | __GFP_ZERO));
	CU_ASSERT_PTR_EQUAL(p, q);
	for (i = 0; i < 50; i++)
		CU_ASSERT_EQUAL_FATAL(p[i], 0xee);
	for (i = 50; i < ksize(p); i++)
		CU_ASSERT_EQUAL_FATAL(p[i], 0);
	kfree(p);
}

/* krealloc(p, 0) really frees: on a pinned CPU the next kmalloc reuses p. */
static void test_krealloc_zero_frees(void)
{
	void *p, *q;

	pin_cpu(0);
	p = kmalloc(64, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_PTR_EQUAL(krealloc(p, 0, GFP_KERNEL), ZERO_SIZE_PTR);
	q = kmalloc(64, GFP_KERNEL);
	CU_ASSERT_PTR_EQUAL(q, p);
	kfree(q);
	unpin_cpu();
}

static void test_dup_helpers(void)
{
	static const char text[] = "the quick brown fox";
	unsigned char bytes[300];
	unsigned char *m;
	char *s;
	const char *c;

	for (unsigned int i = 0; i < sizeof(bytes); i++)
		bytes[i] = (unsigned char)(i * 7);
	m = kmemdup(bytes, sizeof(bytes), GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT(m != bytes);
	CU_ASSERT_EQUAL(memcmp(m, bytes, sizeof(bytes)), 0);
	CU_ASSERT(ksize(m) >= sizeof(bytes));
	kfree(m);

	s = kmemdup_nul(text, 9, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_STRING_EQUAL(s, "the quick");
	kfree(s);
	s = kmemdup_nul(text, 0, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_STRING_EQUAL(s, "");
	kfree(s);

	s = kstrdup(text, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT(s != text);
	CU_ASSERT_STRING_EQUAL(s, text);
	kfree(s);
	CU_ASSERT_PTR_NULL(kstrdup(NULL, GFP_KERNEL));

	/* kstrndup truncates and terminates */
	s = kstrndup(text, 3, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_STRING_EQUAL(s, "the");
	CU_ASSERT_EQUAL(s[3], '\0');
	CU_ASSERT(ksize(s) >= 4);
	kfree(s);
	/* a limit past the end copies the string */
	s = kstrndup("ab", 100, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_STRING_EQUAL(s, "ab");
	kfree(s);
	s = kstrndup(text, 0, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_STRING_EQUAL(s, "");
	kfree(s);
	CU_ASSERT_PTR_NULL(kstrndup(NULL, 5, GFP_KERNEL));

	c = kstrdup_const(text, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_STRING_EQUAL(c, text);
	kfree_const(c);

	/* a long string goes through a large allocation */
	{
		char *big = malloc(20001);

		CU_ASSERT_PTR_NOT_NULL_FATAL(big);
		memset(big, 'x', 20000);
		big[20000] = '\0';
		s = kstrdup(big, GFP_KERNEL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(s);
		CU_ASSERT_EQUAL(strlen(s), 20000);
		kfree(s);
		free(big);
	}
}

/*
 * kfree_sensitive() clears the whole allocation before freeing it.  The
 * memory stays kmem's, so it may be looked at: none of the secret survives
 * (a free list link of a few small bytes may have been written into it).
 */
static void test_kfree_sensitive(void)
{
	static const size_t sizes[] = { 16, 64, 100, 1024, 8192 };
	unsigned int i;

	pin_cpu(0);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		unsigned char *p = launder(kmalloc(sizes[i], GFP_KERNEL)), *q;
		size_t ks, k, secret = 0, nonzero = 0;

		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		ks = ksize(p);
		memset(p, 0xaa, ks);
		kfree_sensitive(p);
		for (k = 0; k < ks; k++) {	/* freed: poisoned for ASan */
			secret += kt_peek(p + k) == 0xaa;
			nonzero += kt_peek(p + k) != 0;
		}
		CU_ASSERT_EQUAL(secret, 0);
		CU_ASSERT(nonzero <= sizeof(uint32_t));
		/* the object is free again: the next allocation may have it */
		q = launder(kmalloc(sizes[i], GFP_KERNEL));
		CU_ASSERT_PTR_NOT_NULL_FATAL(q);
		if (q == p) {
			for (k = 0, secret = 0; k < ks; k++)	/* past sizes[i] too */
				secret += kt_peek(q + k) == 0xaa;
			CU_ASSERT_EQUAL(secret, 0);
		}
		kfree(q);
	}
	unpin_cpu();
	/* large: at least it works */
	{
		void *p = kmalloc(30000, GFP_KERNEL);

		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		memset(p, 0xaa, 30000);
		kfree_sensitive(p);
	}
}

static void test_kmalloc_dma(void)
{
	static const size_t sizes[] = { 8, 64, 96, 192, 1000, 8192 };
	enum { N = 100 };
	struct kmem_cache_stats st;
	void *objs[N];
	unsigned int i, j;

	CU_ASSERT_FATAL(find_cache("dma-kmalloc-64", &st));
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char name[32];
		size_t cls = kmalloc_size_roundup(sizes[i]);
		uint64_t before;

		snprintf(name, sizeof(name), cls >= 1024 ? "dma-kmalloc-%zuk" : "dma-kmalloc-%zu",
			 cls >= 1024 ? cls / 1024 : cls);
		CU_ASSERT_FATAL(find_cache(name, &st));
		before = st.active_objs;
		for (j = 0; j < N; j++) {
			objs[j] = kmalloc(sizes[i], GFP_KERNEL | GFP_DMA);
			CU_ASSERT_PTR_NOT_NULL_FATAL(objs[j]);
			CU_ASSERT_EQUAL(page_zonenum(virt_to_page(objs[j])), ZONE_DMA);
			CU_ASSERT_EQUAL(ksize(objs[j]), cls);
			memset(objs[j], 0xd, sizes[i]);
		}
		/* they came from the dma cache */
		CU_ASSERT_FATAL(find_cache(name, &st));
		CU_ASSERT(st.active_objs >= before + N);
		CU_ASSERT(st.num_slabs > 0);
		CU_ASSERT(st.flags & SLAB_CACHE_DMA);
		for (j = 0; j < N; j++)
			kfree(objs[j]);
	}
	/* ordinary kmalloc stays out of ZONE_DMA while Normal has room */
	for (j = 0; j < N; j++) {
		objs[j] = kmalloc(64, GFP_KERNEL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(objs[j]);
		CU_ASSERT_NOT_EQUAL(page_zonenum(virt_to_page(objs[j])), ZONE_DMA);
	}
	for (j = 0; j < N; j++)
		kfree(objs[j]);
	/* a large GFP_DMA kmalloc is DMA memory too, and zeroed on request */
	{
		unsigned char *p = kzalloc(20000, GFP_KERNEL | GFP_DMA);

		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		CU_ASSERT_EQUAL(page_zonenum(virt_to_page(p)), ZONE_DMA);
		CU_ASSERT_EQUAL(page_zonenum(virt_to_page(p + 19999)), ZONE_DMA);
		CU_ASSERT_EQUAL(p[0] | p[19999], 0);
		kfree(p);
	}
}

static void test_kmalloc_node(void)
{
	static const size_t sizes[] = { 8, 64, 100, 1024, 8192, 20000, 1UL << 20 };
	enum { N = 64 };
	void *objs[N];
	int nid, nodes = num_online_nodes();
	unsigned int i, j;

	CU_ASSERT_EQUAL_FATAL(nodes, 2);
	for (nid = 0; nid < nodes; nid++) {
		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			unsigned int n = sizes[i] > 100000 ? 4 : N;

			for (j = 0; j < n; j++) {
				objs[j] = j & 1 ? kzalloc_node(sizes[i], GFP_KERNEL, nid) :
						  kmalloc_node(sizes[i], GFP_KERNEL, nid);
				CU_ASSERT_PTR_NOT_NULL_FATAL(objs[j]);
				if (page_to_nid(virt_to_page(objs[j])) != nid) {
					fprintf(stderr, "kmalloc_node(%zu, %d) gave node %d memory\n",
						sizes[i], nid, page_to_nid(virt_to_page(objs[j])));
					CU_FAIL("kmalloc_node: wrong node");
				}
				CU_ASSERT(ksize(objs[j]) >= sizes[i]);
			}
			for (j = 0; j < n; j++)
				kfree(objs[j]);
		}
	}
	/* NUMA_NO_NODE is plain kmalloc */
	objs[0] = kmalloc_node(64, GFP_KERNEL, NUMA_NO_NODE);
	CU_ASSERT_PTR_NOT_NULL(objs[0]);
	kfree(objs[0]);
}

/* After misuse the allocator must still work. */
static void allocator_still_works(void)
{
	void *objs[64];
	unsigned int i;

	for (i = 0; i < 64; i++) {
		objs[i] = kmalloc(8 + i * 61, GFP_KERNEL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(objs[i]);
		memset(objs[i], (int)i, 8 + i * 61);
	}
	for (i = 0; i < 64; i++) {
		CU_ASSERT_EQUAL(((unsigned char *)objs[i])[0], (unsigned char)i);
		kfree(objs[i]);
	}
}

static void test_kfree_bad_pointers(void)
{
	long on_stack[4] = { 0 };
	char *heap = malloc(64);
	unsigned char *p;
	struct page *page;
	unsigned int n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(heap);

	kt_capture_start();
	kfree(on_stack);
	CU_ASSERT_EQUAL(kt_captured_count(), 1);
	CU_ASSERT(kt_captured("not kmem memory"));

	kt_capture_start();
	kfree(heap);
	CU_ASSERT_EQUAL(kt_captured_count(), 1);
	CU_ASSERT(kt_captured("not kmem memory"));
	free(heap);

	/* into the middle of a kmalloc object */
	p = kmalloc(64, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	memset(p, 0x61, 64);
	kt_capture_start();
	kfree(p + 8);
	CU_ASSERT_EQUAL(kt_captured_count(), 1);
	CU_ASSERT(kt_captured("Invalid object pointer"));
	CU_ASSERT(kt_captured("kmalloc-64"));
	/* the object was left alone, and frees normally */
	CU_ASSERT_EQUAL(p[8], 0x61);
	kt_capture_start();
	kfree(p);
	CU_ASSERT_EQUAL(kt_captured_count(), 0);

	/* into the middle of a large kmalloc, then a double free of it */
	p = kmalloc(20000, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	kt_capture_start();
	kfree(p + 100);
	CU_ASSERT_EQUAL(kt_captured_count(), 1);
	CU_ASSERT(kt_captured("invalid pointer into a large kmalloc"));
	kfree(p + 2 * PAGE_SIZE);
	CU_ASSERT_EQUAL(kt_captured_count(), 2);
	p[19999] = 1;	/* still ours */
	kfree(p);
	CU_ASSERT_EQUAL(kt_captured_count(), 2);
	kfree(p);
	n = kt_captured_count();
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT(kt_captured("not a kmalloc() allocation"));

	/* pages from the page allocator are not kmalloc memory */
	page = alloc_pages(GFP_KERNEL, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(page);
	kt_capture_start();
	kfree(page_address(page));
	CU_ASSERT_EQUAL(kt_captured_count(), 1);
	CU_ASSERT(kt_captured("not a kmalloc() allocation"));
	CU_ASSERT_EQUAL(page_count(page), 1);
	__free_pages(page, 1);
	kt_capture_stop();

	allocator_still_works();
}

/* Parse the slabinfo row of cache @name into @st-like fields. */
static bool slabinfo_row(const char *text, const char *name, unsigned long long *active,
			 unsigned long long *num, unsigned int *objsize, unsigned int *perslab,
			 unsigned int *pages)
{
	const char *line = text;
	size_t len = strlen(name);

	while (line && *line) {
		if (!strncmp(line, name, len) && line[len] == ' ')
			return sscanf(line + len, "%llu %llu %u %u %u", active, num, objsize, perslab,
				      pages) == 5;
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return false;
}

static void test_slabinfo(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	unsigned long long active, num;
	unsigned int objsize, perslab, pages;
	void *objs[100];
	unsigned int i, rows = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	for (i = 0; i < 100; i++)
		objs[i] = kmalloc(64, GFP_KERNEL);
	CU_ASSERT_EQUAL(kmem_show_slabinfo(f), 0);
	fclose(f);
	CU_ASSERT_FATAL(text != NULL);
	CU_ASSERT_EQUAL(strncmp(text, "slabinfo - version: 2.1\n", 24), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\n# name"));
	CU_ASSERT_FATAL(slabinfo_row(text, "kmalloc-64", &active, &num, &objsize, &perslab,
				     &pages));
	CU_ASSERT(active >= 100);
	CU_ASSERT(num >= active);
	CU_ASSERT_EQUAL(objsize, 64);
	CU_ASSERT(perslab >= 1);
	CU_ASSERT(pages >= 1);
	CU_ASSERT(slabinfo_row(text, "kmalloc-8k", &active, &num, &objsize, &perslab, &pages));
	CU_ASSERT_EQUAL(objsize, 8192);
	CU_ASSERT(slabinfo_row(text, "dma-kmalloc-96", &active, &num, &objsize, &perslab,
			       &pages));
	CU_ASSERT_EQUAL(objsize, 96);
	for (const char *l = text; (l = strstr(l, "kmalloc-")); l++)
		rows += (l > text && l[-1] == '\n') || (l >= text + 5 && !strncmp(l - 5, "\ndma-", 5));
	CU_ASSERT_EQUAL(rows, 26);	/* 13 classes, normal and dma */
	for (i = 0; i < 100; i++)
		kfree(objs[i]);
	free(text);
}

static const struct kt_test kmalloc_tests[] = {
	KT_TEST(test_kmalloc_every_small_size),
	KT_TEST(test_kmalloc_sizes_to_8k),
	KT_TEST(test_kmalloc_roundup),
	KT_TEST(test_kmalloc_large),
	KT_TEST(test_kmalloc_no_overlap),
	KT_TEST(test_kmalloc_zero_and_null),
	KT_TEST(test_kzalloc_zeroes),
	KT_TEST(test_kmalloc_too_large),
	KT_TEST(test_array_overflow),
	KT_TEST(test_krealloc),
	KT_TEST(test_krealloc_zero_frees),
	KT_TEST(test_dup_helpers),
	KT_TEST(test_kfree_sensitive),
	KT_TEST(test_kmalloc_dma),
	KT_TEST(test_kmalloc_node),
	KT_TEST(test_kfree_bad_pointers),
	KT_TEST(test_slabinfo),
	KT_END,
};

static const struct kt_suite kmalloc_suite = { "kmalloc", suite_init, suite_exit, kmalloc_tests };
static const struct kt_suite *const suites[] = { &kmalloc_suite, NULL };

int main(int argc, char **argv)
{
	return kt_main(argc, argv, suites);
}
