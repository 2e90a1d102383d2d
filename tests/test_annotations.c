// SPDX-License-Identifier: MIT
/*
 * AddressSanitizer sees kmem's allocations (libkmem/kasan.h): use after free
 * and out-of-bounds accesses of kmalloc() objects, kmem_cache objects,
 * large kmalloc blocks and page blocks are reported as for malloc().
 *
 *   planted   each bug runs in a child (this program again, with --plant
 *             NAME), which must die of ASan's report: "use-after-poison"
 *             (kmem poisons by hand; ASan's own heap-use-after-free is for
 *             its own heap), the access in the planting function, and
 *             kmem's line on the object or page
 *   correct   correct use of everything stays quiet, in-process: every byte
 *             asked for, ksize()'s whole slot, krealloc() both ways, a
 *             SLAB_TYPESAFE_BY_RCU object read after its free, debug caches
 *
 * Without ASan the planted cases cannot be seen; the correct-use cases run
 * all the same, and the program then says "SKIPPED:" (when they passed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "internal.h"
#include "kunit.h"

#define KMEM_TEST_OPTIONS	"fake_numa=1,direct_mb=16,highmem_mb=4,hugepages=never"

/* ------------------------------------------------------------------ */
/* planted bugs (run in the child)                                     */
/* ------------------------------------------------------------------ */

static volatile unsigned char sink;

/* The compiler knows kmalloc()'s size and would refuse the planted access. */
static void *launder(void *p)
{
	__asm__ volatile("" : "+r"(p));
	return p;
}

static noinline void plant_kmalloc_uaf(void)
{
	unsigned char *p = kmalloc(64, GFP_KERNEL);

	memset(p, 1, 64);
	kfree(p);
	sink = ((volatile unsigned char *)p)[8];
}

/* kmalloc(60) comes from kmalloc-64: byte 60 is past what was asked for */
static noinline void plant_kmalloc_overflow(void)
{
	unsigned char *p = launder(kmalloc(60, GFP_KERNEL));

	memset(p, 1, 60);
	sink = ((volatile unsigned char *)p)[60];
}

static noinline void plant_kmalloc_large_overflow(void)
{
	unsigned char *p = launder(kmalloc(20000, GFP_KERNEL));

	memset(p, 1, 20000);
	((volatile unsigned char *)p)[20000] = 2;
}

static struct kmem_cache *plant_cache(void)
{
	return kmem_cache_create("annot_obj", 100, 0, 0, NULL);
}

static noinline void plant_cache_uaf(void)
{
	struct kmem_cache *s = plant_cache();
	unsigned char *p = kmem_cache_alloc(s, GFP_KERNEL);

	memset(p, 1, 100);
	kmem_cache_free(s, p);
	((volatile unsigned char *)p)[0] = 2;
}

static noinline void plant_cache_overflow(void)
{
	struct kmem_cache *s = plant_cache();
	unsigned char *p = launder(kmem_cache_alloc(s, GFP_KERNEL));

	memset(p, 1, 100);
	((volatile unsigned char *)p)[100] = 2;
}

static noinline void plant_page_uaf(void)
{
	struct page *page = alloc_pages(GFP_KERNEL, 1);
	unsigned char *p = page_address(page);

	memset(p, 1, 2 * PAGE_SIZE);
	__free_pages(page, 1);
	sink = ((volatile unsigned char *)p)[PAGE_SIZE + 5];
}

/* The byte after an order-1 block whose next page is free. */
static noinline void plant_page_overflow(void)
{
	struct page *page, *next;
	unsigned char *p;

	for (;;) {
		page = alloc_pages(GFP_KERNEL, 1);
		p = page_address(page);
		next = virt_to_page(p + 2 * PAGE_SIZE);
		/* free: no reference, and not the tail of a compound block */
		if (!page_count(next) && !next->compound_head)
			break;	/* leak the others: the child dies anyway */
	}
	memset(p, 1, 2 * PAGE_SIZE);
	sink = ((volatile unsigned char *)p)[2 * PAGE_SIZE];
}

static const struct plant {
	const char *name;
	void (*fn)(void);
	const char *fn_name;		/* the frame ASan names for the access */
	const char *access;		/* READ or WRITE */
	const char *kmem;		/* what kmem's added line must say */
} plants[] = {
	{ "kmalloc-uaf", plant_kmalloc_uaf, "plant_kmalloc_uaf", "READ of size 1",
	  "located 8 bytes inside of freed 64-byte region" },
	{ "kmalloc-overflow", plant_kmalloc_overflow, "plant_kmalloc_overflow", "READ of size 1",
	  "located 0 bytes to the right of allocated 60-byte region" },
	{ "kmalloc-large-overflow", plant_kmalloc_large_overflow, "plant_kmalloc_large_overflow",
	  "WRITE of size 1", "20000 bytes were asked for" },
	{ "cache-uaf", plant_cache_uaf, "plant_cache_uaf", "WRITE of size 1",
	  "which belongs to the cache annot_obj of size 100" },
	{ "cache-overflow", plant_cache_overflow, "plant_cache_overflow", "WRITE of size 1",
	  "located 0 bytes to the right of allocated 100-byte region" },
	{ "page-uaf", plant_page_uaf, "plant_page_uaf", "READ of size 1",
	  "belongs to the page pfn:" },
	{ "page-overflow", plant_page_overflow, "plant_page_overflow", "READ of size 1",
	  "belongs to the page pfn:" },
};
#define NR_PLANTS	(sizeof(plants) / sizeof(plants[0]))

/* The child: plant @name; coming back means nobody noticed. */
static int plant(const char *name)
{
	unsigned int i;

	if (kt_init(KMEM_TEST_OPTIONS))
		return 3;
	for (i = 0; i < NR_PLANTS; i++) {
		if (!strcmp(plants[i].name, name)) {
			plants[i].fn();
			fprintf(stderr, "plant %s: not detected\n", name);
			return 0;
		}
	}
	return 4;
}

/* ------------------------------------------------------------------ */
/* the parent: each plant in a child                                   */
/* ------------------------------------------------------------------ */

static void test_planted(void)
{
	static char out[1 << 16];
	unsigned int i;

	if (!kt_asan()) {
		printf("\n  planted bugs: not an AddressSanitizer build  ");
		return;
	}
	for (i = 0; i < NR_PLANTS; i++) {
		const struct plant *p = &plants[i];
		char *argv[] = { "test_annotations", "--plant", (char *)p->name, NULL };
		int status = kt_run("/proc/self/exe", argv, out, sizeof(out), 60);
		bool died = status != -1 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		bool ok = died && strstr(out, "ERROR: AddressSanitizer: use-after-poison") &&
			  strstr(out, p->access) && strstr(out, p->fn_name) &&
			  strstr(out, p->kmem);

		if (!ok)
			fprintf(stderr, "\nplant %s: status %#x, stderr:\n%s\n", p->name, status,
				out);
		CU_ASSERT(ok);
	}
}

/* A double free away from the CPU cache's top: kmem alone misses it, ASan does not. */
static void test_double_free(void)
{
	void *x, *y;

	if (!kt_asan())
		return;
	x = kmalloc(96, GFP_KERNEL);
	y = kmalloc(96, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	CU_ASSERT_PTR_NOT_NULL_FATAL(y);
	kfree(x);
	kfree(y);
	kt_capture_start();
	kfree(x);
	CU_ASSERT(kt_captured("double free"));
	CU_ASSERT(kt_captured("kmalloc-96"));
	kt_capture_stop();
}

/* ------------------------------------------------------------------ */
/* correct use is quiet                                                */
/* ------------------------------------------------------------------ */

static void fill(void *p, size_t n, int v)
{
	memset(p, v, n);
}

static bool all(const unsigned char *p, size_t n, unsigned char v)
{
	while (n--)
		if (*p++ != v)
			return false;
	return true;
}

static void test_kmalloc_correct(void)
{
	static const size_t sizes[] = { 1, 7, 8, 60, 64, 100, 192, 1000, 4096, 8192, 8193, 20000 };
	unsigned int i;

	kt_capture_start();
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i], ks;
		unsigned char *p = kmalloc(n, GFP_KERNEL), *q;

		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		fill(p, n, 0x11);
		ks = ksize(p);
		CU_ASSERT(ks >= n);
		fill(p, ks, 0x22);		/* ksize() opened the whole slot */
		q = krealloc(p, ks, GFP_KERNEL);	/* in place */
		CU_ASSERT_PTR_EQUAL(q, p);
		q = krealloc(q, n, GFP_KERNEL);	/* shrink in place */
		CU_ASSERT_PTR_EQUAL(q, p);
		fill(q, n, 0x33);
		q = krealloc(q, 2 * ks + 1, GFP_KERNEL);	/* moves */
		CU_ASSERT_PTR_NOT_NULL_FATAL(q);
		CU_ASSERT(all(q, n, 0x33));
		fill(q, 2 * ks + 1, 0x44);
		kfree(q);

		p = kzalloc(n, GFP_KERNEL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		CU_ASSERT(all(p, n, 0));
		q = krealloc(p, n + 3, GFP_KERNEL | __GFP_ZERO);
		CU_ASSERT_PTR_NOT_NULL_FATAL(q);
		CU_ASSERT(all(q, n + 3, 0));
		kfree_sensitive(q);

		p = kcalloc(3, n, GFP_KERNEL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		CU_ASSERT(all(p, 3 * n, 0));
		kfree(p);
	}
	CU_ASSERT_EQUAL(kt_captured_count(), 0);
	kt_capture_stop();
}

struct node {
	unsigned long key;
	struct rcu_head rcu;
	unsigned char data[40];
};

static unsigned int ctor_calls;

static void node_ctor(void *p)
{
	struct node *n = p;

	n->key = 0x1234;
	ctor_calls++;
}

static void test_cache_correct(void)
{
	struct kmem_cache *plain = kmem_cache_create("annot_plain", 100, 0, 0, NULL);
	struct kmem_cache *ctor = kmem_cache_create("annot_ctor", sizeof(struct node), 0,
						    SLAB_HWCACHE_ALIGN, node_ctor);
	struct kmem_cache *dbg = kmem_cache_create("annot_dbg", 72, 0, SLAB_RED_ZONE |
						   SLAB_POISON | SLAB_STORE_USER |
						   SLAB_CONSISTENCY_CHECKS, NULL);
	void *objs[300];
	unsigned int i, round;

	CU_ASSERT_FATAL(plain && ctor && dbg);
	kt_capture_start();
	for (round = 0; round < 3; round++) {
		for (i = 0; i < 300; i++) {
			objs[i] = kmem_cache_alloc(plain, GFP_KERNEL);
			CU_ASSERT_PTR_NOT_NULL_FATAL(objs[i]);
			fill(objs[i], 100, (int)i);
		}
		for (i = 0; i < 300; i++)
			kmem_cache_free(plain, objs[i]);
		for (i = 0; i < 300; i++) {
			struct node *n = kmem_cache_alloc(ctor, GFP_KERNEL);

			CU_ASSERT_PTR_NOT_NULL_FATAL(n);
			CU_ASSERT_EQUAL(n->key, 0x1234);	/* constructed, kept across frees */
			fill(n->data, sizeof(n->data), 1);
			objs[i] = n;
		}
		for (i = 0; i < 300; i++)
			kmem_cache_free(ctor, objs[i]);
		for (i = 0; i < 300; i++) {
			objs[i] = round & 1 ? kmem_cache_zalloc(dbg, GFP_KERNEL) :
					      kmem_cache_alloc(dbg, GFP_KERNEL);
			CU_ASSERT_PTR_NOT_NULL_FATAL(objs[i]);
			fill(objs[i], 72, 0x5a);
		}
		for (i = 0; i < 300; i++)
			kmem_cache_free(dbg, objs[i]);
		kmem_cache_shrink(plain);
	}
	CU_ASSERT(ctor_calls > 0);
	CU_ASSERT_EQUAL(kt_captured_count(), 0);
	kt_capture_stop();
	kmem_cache_destroy(plain);
	kmem_cache_destroy(ctor);
	kmem_cache_destroy(dbg);
}

/* Readers of a SLAB_TYPESAFE_BY_RCU cache may read an object after its free. */
static void test_typesafe_by_rcu_read_after_free(void)
{
	struct kmem_cache *s = kmem_cache_create("annot_rcu", sizeof(struct node), 0,
						 SLAB_TYPESAFE_BY_RCU, NULL);
	struct node *n[64];
	unsigned int i;
	unsigned long sum = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	for (i = 0; i < 64; i++) {
		n[i] = kmem_cache_alloc(s, GFP_KERNEL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(n[i]);
		n[i]->key = i;
	}
	rcu_read_lock();
	for (i = 0; i < 64; i++)
		kmem_cache_free(s, n[i]);
	for (i = 0; i < 64; i++)
		sum += READ_ONCE(n[i]->key) + n[i]->data[0] + n[i]->data[39];
	rcu_read_unlock();
	(void)sum;
	kmem_cache_destroy(s);
}

static void test_pages_correct(void)
{
	unsigned int order;

	kt_capture_start();
	for (order = 0; order <= 4; order++) {
		struct page *page = alloc_pages(GFP_KERNEL, order);
		unsigned long addr;
		void *e;

		CU_ASSERT_PTR_NOT_NULL_FATAL(page);
		fill(page_address(page), PAGE_SIZE << order, 0x77);
		get_page(page);
		put_page(page);
		fill(page_address(page), PAGE_SIZE << order, 0x78);
		__free_pages(page, order);

		addr = __get_free_pages(GFP_KERNEL | __GFP_ZERO, order);
		CU_ASSERT_FATAL(addr != 0);
		CU_ASSERT(all((unsigned char *)addr, PAGE_SIZE << order, 0));
		free_pages(addr, order);

		e = alloc_pages_exact((PAGE_SIZE << order) + 10, GFP_KERNEL | __GFP_ZERO);
		CU_ASSERT_PTR_NOT_NULL_FATAL(e);
		CU_ASSERT(all(e, (PAGE_SIZE << order) + 10, 0));
		fill(e, (PAGE_SIZE << order) + 10, 0x79);
		free_pages_exact(e, (PAGE_SIZE << order) + 10);
	}
	CU_ASSERT_EQUAL(kt_captured_count(), 0);
	kt_capture_stop();
}

static void test_vmalloc_and_rcu_correct(void)
{
	struct node *a = kmalloc(sizeof(*a), GFP_KERNEL), *b = kmalloc(sizeof(*b), GFP_KERNEL);
	unsigned char *v = vzalloc(300000), *kv = kvmalloc(100000, GFP_KERNEL);
	unsigned long i;

	CU_ASSERT_FATAL(a && b && v && kv);
	/*
	 * Populated here, under the area's lock, rather than by the
	 * userfaultfd thread on first touch, which ThreadSanitizer cannot see.
	 */
	for (i = 0; i < 300000; i += PAGE_SIZE)
		CU_ASSERT_PTR_NOT_NULL(vmalloc_to_page(v + i));
	CU_ASSERT(all(v, 300000, 0));
	fill(v, 300000, 3);
	fill(kv, 100000, 4);
	kv = kvrealloc(kv, 200000, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(kv);
	CU_ASSERT(all(kv, 100000, 4));
	kvfree(kv);
	vfree(v);
	a->key = 1;
	b->key = 2;
	kfree_rcu(a, rcu);
	kfree_rcu_mightsleep(b);
	rcu_barrier();
}

static int suite_init(void)
{
	return kt_init(KMEM_TEST_OPTIONS);
}

static int suite_exit(void)
{
	rcu_barrier();
	kmem_exit();
	return 0;
}

static const struct kt_test tests[] = {
	KT_TEST(test_planted),
	KT_TEST(test_double_free),
	KT_TEST(test_kmalloc_correct),
	KT_TEST(test_cache_correct),
	KT_TEST(test_typesafe_by_rcu_read_after_free),
	KT_TEST(test_pages_correct),
	KT_TEST(test_vmalloc_and_rcu_correct),
	KT_END,
};

static const struct kt_suite suite = { "annotations", suite_init, suite_exit, tests };

int main(int argc, char **argv)
{
	static const struct kt_suite *const suites[] = { &suite, NULL };
	int ret;

	if (argc == 3 && !strcmp(argv[1], "--plant"))
		return plant(argv[2]);
	ret = kt_main(argc, argv, suites);
	if (!ret && !kt_asan())
		printf("SKIPPED: the planted bugs need an AddressSanitizer build "
		       "(-DKMEM_SANITIZE=address); correct use passed\n");
	return ret;
}
