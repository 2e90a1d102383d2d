// SPDX-License-Identifier: MIT
/*
 * Valgrind's memcheck sees kmem's allocations (libkmem/kasan.h).  This
 * program runs itself under valgrind:
 *
 *   --plant bugs    a use after free and an overflow each of a kmalloc()
 *                   object, a kmem_cache object and a page block, a double
 *                   free, and a leak of each: memcheck must report every
 *                   one, the accesses as "Invalid read"/"Invalid write" in
 *                   the function that made them, the leaks as "definitely
 *                   lost" from the function that allocated
 *   --plant clean   correct use of the same and more (krealloc, ksize,
 *                   vmalloc, kfree_rcu, a SLAB_TYPESAFE_BY_RCU object read
 *                   after its free): not one error
 *
 * Under valgrind glibc cannot register rseq, so kmem runs its per-CPU lists
 * under locks, and userfaultfd is missing, so vmalloc maps its pages at
 * once: the clean run covers both fallbacks.
 *
 * "SKIPPED:" without valgrind, in sanitizer builds (which valgrind cannot
 * run) and when kmem was built without Valgrind's headers (KMEM_VALGRIND).
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

#ifndef KMEM_VALGRIND
#define KMEM_VALGRIND 0
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZER_BUILD 1
#else
#define SANITIZER_BUILD 0
#endif

#define KMEM_TEST_OPTIONS	"fake_numa=1,direct_mb=16,highmem_mb=4,hugepages=never"
#define VG_EXIT			99

/* ------------------------------------------------------------------ */
/* under valgrind                                                      */
/* ------------------------------------------------------------------ */

static volatile unsigned char sink;
static struct kmem_cache *cache;

/* The compiler knows kmalloc()'s size and would refuse the planted access. */
static void *launder(void *p)
{
	__asm__ volatile("" : "+r"(p));
	return p;
}

static noinline void vg_kmalloc_uaf(void)
{
	unsigned char *p = kmalloc(64, GFP_KERNEL);

	memset(p, 1, 64);
	kfree(p);
	sink = ((volatile unsigned char *)p)[8];
}

static noinline void vg_kmalloc_overflow(void)
{
	unsigned char *p = launder(kmalloc(60, GFP_KERNEL));

	memset(p, 1, 60);
	((volatile unsigned char *)p)[60] = 2;	/* in kmalloc-64's slot, past the 60 */
	kfree(p);
}

static noinline void vg_cache_uaf(void)
{
	unsigned char *p = kmem_cache_alloc(cache, GFP_KERNEL);

	memset(p, 1, 100);
	kmem_cache_free(cache, p);
	sink = ((volatile unsigned char *)p)[99];
}

static noinline void vg_cache_overflow(void)
{
	unsigned char *p = launder(kmem_cache_alloc(cache, GFP_KERNEL));

	memset(p, 1, 100);
	((volatile unsigned char *)p)[100] = 2;
	kmem_cache_free(cache, p);
}

static noinline void vg_page_uaf(void)
{
	struct page *page = alloc_pages(GFP_KERNEL, 1);
	unsigned char *p = page_address(page);

	memset(p, 1, 2 * PAGE_SIZE);
	__free_pages(page, 1);
	sink = ((volatile unsigned char *)p)[PAGE_SIZE];
}

/* The byte after an order-1 block whose next page is free. */
static noinline void vg_page_overflow(void)
{
	struct page *pages[64], *next;
	unsigned char *p = NULL;
	unsigned int n = 0, i;

	while (n < 64) {
		pages[n] = alloc_pages(GFP_KERNEL, 1);
		p = page_address(pages[n++]);
		next = virt_to_page(p + 2 * PAGE_SIZE);
		/* free: no reference, and not the tail of a compound block */
		if (!page_count(next) && !next->compound_head)
			break;
	}
	memset(p, 1, 2 * PAGE_SIZE);
	sink = ((volatile unsigned char *)p)[2 * PAGE_SIZE];
	for (i = 0; i < n; i++)
		__free_pages(pages[i], 1);
}

/* memcheck reports the second free; kmem then leaves the object alone */
static noinline void vg_double_free(void)
{
	unsigned char *p = kmalloc(32, GFP_KERNEL), *q;

	memset(p, 1, 32);
	kfree(p);
	q = kmalloc(32, GFP_KERNEL);	/* not the object on top of the CPU cache */
	kfree(q);
	kfree(p);
	sink = 0;	/* no tail call: this frame shows */
}

static noinline void vg_leak_kmalloc(void)
{
	unsigned char *p = kmalloc(48, GFP_KERNEL);

	memset(p, 1, 48);
	sink = ((volatile unsigned char *)p)[47];	/* no dead store, no tail call */
}

static noinline void vg_leak_cache(void)
{
	unsigned char *p = kmem_cache_alloc(cache, GFP_KERNEL);

	memset(p, 1, 100);
	sink = ((volatile unsigned char *)p)[99];
}

static noinline void vg_leak_pages(void)
{
	struct page *page = alloc_pages(GFP_KERNEL, 2);

	memset(page_address(page), 1, 4 * PAGE_SIZE);
}

/* Leaves no pointer to what the leaking functions allocated on the stack. */
static noinline void scrub_stack(void)
{
	volatile char junk[4096];

	memset((char *)junk, 0, sizeof(junk));
}

static void bugs(void)
{
	vg_kmalloc_uaf();
	vg_kmalloc_overflow();
	vg_cache_uaf();
	vg_cache_overflow();
	vg_page_uaf();
	vg_page_overflow();
	vg_double_free();
	vg_leak_kmalloc();
	vg_leak_cache();
	vg_leak_pages();
	scrub_stack();
}

struct node {
	unsigned long key;
	struct rcu_head rcu;
	unsigned char data[40];
};

static void node_ctor(void *p)
{
	((struct node *)p)->key = 7;
}

static void clean(void)
{
	struct kmem_cache *rcu = kmem_cache_create("vg_rcu", sizeof(struct node), 0,
						   SLAB_TYPESAFE_BY_RCU, NULL);
	struct kmem_cache *ctor = kmem_cache_create("vg_ctor", sizeof(struct node), 0, 0,
						    node_ctor);
	struct kmem_cache *dbg = kmem_cache_create("vg_dbg", 72, 0, SLAB_RED_ZONE | SLAB_POISON |
						   SLAB_STORE_USER | SLAB_CONSISTENCY_CHECKS,
						   NULL);
	struct kmem_info info;
	struct kmem_vmalloc_stats vst;
	unsigned char *p, *v;
	struct node *n;
	void *objs[200];
	unsigned long sum = 0;
	unsigned int i;
	size_t ks;

	for (i = 0; i < 200; i++) {
		objs[i] = kmalloc(1 + i * 37, GFP_KERNEL);
		memset(objs[i], (int)i, 1 + i * 37);
	}
	for (i = 0; i < 200; i++)
		kfree(objs[i]);
	p = kmalloc(60, GFP_KERNEL);
	memset(p, 1, 60);
	ks = ksize(p);
	memset(p, 2, ks);
	p = krealloc(p, 40, GFP_KERNEL);
	memset(p, 3, 40);
	p = krealloc(p, 5000, GFP_KERNEL);
	memset(p, 4, 5000);
	p = krealloc(p, 20000, GFP_KERNEL);
	memset(p, 5, 20000);
	ks = ksize(p);
	memset(p, 6, ks);
	kfree(p);
	p = kzalloc(100, GFP_KERNEL);
	for (i = 0; i < 100; i++)
		sum += p[i];
	kfree_sensitive(p);

	for (i = 0; i < 200; i++) {
		objs[i] = kmem_cache_alloc(cache, GFP_KERNEL);
		memset(objs[i], 1, 100);
	}
	for (i = 0; i < 200; i++)
		kmem_cache_free(cache, objs[i]);
	for (i = 0; i < 200; i++) {
		objs[i] = kmem_cache_alloc(i & 1 ? ctor : dbg, GFP_KERNEL);
		if (i & 1)
			sum += ((struct node *)objs[i])->key;
		else
			memset(objs[i], 1, 72);
	}
	for (i = 0; i < 200; i++)
		kmem_cache_free(i & 1 ? ctor : dbg, objs[i]);

	n = kmem_cache_alloc(rcu, GFP_KERNEL);
	n->key = 3;
	rcu_read_lock();
	kmem_cache_free(rcu, n);
	if (READ_ONCE(n->key) == 3)	/* typesafe: still readable, and defined */
		sum++;
	rcu_read_unlock();

	for (i = 0; i < 5; i++) {
		struct page *page = alloc_pages(GFP_KERNEL | (i & 1 ? __GFP_ZERO : 0), i);

		memset(page_address(page), 1, PAGE_SIZE << i);
		__free_pages(page, i);
	}
	p = (unsigned char *)get_zeroed_page(GFP_KERNEL);
	sum += p[100];
	free_page((unsigned long)p);
	p = alloc_pages_exact(3 * PAGE_SIZE + 10, GFP_KERNEL | __GFP_ZERO);
	for (i = 0; i < 3 * PAGE_SIZE + 10; i++)
		sum += p[i];
	free_pages_exact(p, 3 * PAGE_SIZE + 10);

	v = vmalloc(1 << 20);
	memset(v, 1, 1 << 20);
	vfree(v);
	v = kvmalloc(100000, GFP_KERNEL);
	memset(v, 1, 100000);
	v = kvrealloc(v, 300000, GFP_KERNEL);
	memset(v, 2, 300000);
	kvfree(v);

	n = kmalloc(sizeof(*n), GFP_KERNEL);
	kfree_rcu(n, rcu);
	kfree_rcu_mightsleep(kmalloc(30, GFP_KERNEL));
	rcu_barrier();

	kmem_cache_destroy(rcu);
	kmem_cache_destroy(ctor);
	kmem_cache_destroy(dbg);
	kmem_get_info(&info);
	kmem_vmalloc_stats(&vst);
	printf("clean: sum %lu, per-CPU lists on %s, vmalloc %s\n", sum,
	       info.rseq ? "rseq" : "per-CPU locks", vst.userfaultfd ? "on userfaultfd" : "eager");
}

/* The child, under valgrind. */
static int plant(const char *what)
{
	if (kt_init(KMEM_TEST_OPTIONS))
		return 3;
	cache = kmem_cache_create("vg_obj", 100, 0, 0, NULL);
	if (!cache)
		return 3;
	if (!strcmp(what, "bugs"))
		bugs();
	else if (!strcmp(what, "clean"))
		clean();
	else
		return 4;
	return 0;
}

/* ------------------------------------------------------------------ */
/* the parent                                                          */
/* ------------------------------------------------------------------ */

static char valgrind[4096];
static char out[1 << 18];

static bool find_valgrind(void)
{
	return kt_which("valgrind", valgrind, sizeof(valgrind));
}

static int run_under_valgrind(const char *what)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *argv[] = {
		valgrind, "--error-exitcode=99", "--leak-check=full",
		"--show-leak-kinds=definite", "--errors-for-leak-kinds=definite",
		"--num-callers=30", exe, "--plant", (char *)what, NULL,
	};

	if (n <= 0)
		return -1;
	exe[n] = '\0';
	return kt_run(valgrind, argv, out, sizeof(out), 120);
}

/* Is there a "@kind" report with @fn in the stack of the access?  For a read or write that is the first frame. */
static bool access_reported(const char *kind, const char *fn)
{
	return kt_valgrind_reported(out, kind, fn);
}

/* Is there a "definitely lost" record whose stack has @fn? */
static bool leak_reported(const char *fn)
{
	const char *at = out;

	while ((at = strstr(at, "definitely lost in loss record"))) {
		/* the record ends at the first line that is only "==pid== " */
		const char *end = strstr(at, "== \n");

		if (!end)
			end = at + strlen(at);
		if (memmem(at, (size_t)(end - at), fn, strlen(fn)))
			return true;
		at = end;
	}
	return false;
}

static void test_memcheck_sees_bugs(void)
{
	static const struct {
		const char *kind, *fn;
	} accesses[] = {
		{ "Invalid read of size 1", "vg_kmalloc_uaf" },
		{ "Invalid write of size 1", "vg_kmalloc_overflow" },
		{ "Invalid read of size 1", "vg_cache_uaf" },
		{ "Invalid write of size 1", "vg_cache_overflow" },
		{ "Invalid read of size 1", "vg_page_uaf" },
		{ "Invalid read of size 1", "vg_page_overflow" },
		{ "Invalid free()", "vg_double_free" },
	};
	static const char *const leaks[] = { "vg_leak_kmalloc", "vg_leak_cache", "vg_leak_pages" };
	int status = run_under_valgrind("bugs");
	bool ok = true;
	unsigned int i;

	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == VG_EXIT);
	for (i = 0; i < sizeof(accesses) / sizeof(accesses[0]); i++) {
		if (!access_reported(accesses[i].kind, accesses[i].fn)) {
			fprintf(stderr, "\nmemcheck did not report \"%s\" in %s\n",
				accesses[i].kind, accesses[i].fn);
			ok = false;
		}
	}
	for (i = 0; i < sizeof(leaks) / sizeof(leaks[0]); i++) {
		if (!leak_reported(leaks[i])) {
			fprintf(stderr, "\nmemcheck did not report the leak in %s\n", leaks[i]);
			ok = false;
		}
	}
	/* and kmem refused the double free */
	if (!strstr(out, "Object already free")) {
		fprintf(stderr, "\nno \"Object already free\" from kmem\n");
		ok = false;
	}
	/* exactly those: nothing in kmem itself */
	if (!strstr(out, "ERROR SUMMARY: 10 errors from 10 contexts")) {
		fprintf(stderr, "\nexpected 10 errors\n");
		ok = false;
	}
	CU_ASSERT(ok);
	if (!ok || !WIFEXITED(status) || WEXITSTATUS(status) != VG_EXIT)
		fprintf(stderr, "valgrind said (status %#x):\n%s\n", status, out);
}

static void test_memcheck_clean(void)
{
	int status = run_under_valgrind("clean");
	/* under memcheck kmem runs its per-CPU lists under locks (kasan.h) */
	bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
		  strstr(out, "ERROR SUMMARY: 0 errors") && strstr(out, "clean: sum") &&
		  strstr(out, "per-CPU lists on per-CPU locks");

	CU_ASSERT(ok);
	if (!ok)
		fprintf(stderr, "\nvalgrind said (status %#x):\n%s\n", status, out);
	else if (strstr(out, "clean: sum"))
		printf("\n  %.*s  ", (int)strcspn(strstr(out, "clean: sum"), "\n"),
		       strstr(out, "clean: sum"));
}

static const struct kt_test tests[] = {
	KT_TEST(test_memcheck_sees_bugs),
	KT_TEST(test_memcheck_clean),
	KT_END,
};

static const struct kt_suite suite = { "valgrind", NULL, NULL, tests };

int main(int argc, char **argv)
{
	static const struct kt_suite *const suites[] = { &suite, NULL };

	if (argc == 3 && !strcmp(argv[1], "--plant"))
		return plant(argv[2]);
	if (SANITIZER_BUILD) {
		printf("SKIPPED: valgrind cannot run a sanitizer build\n");
		return 0;
	}
	if (!KMEM_VALGRIND) {
		printf("SKIPPED: kmem was built without Valgrind's headers (KMEM_VALGRIND=OFF)\n");
		return 0;
	}
	if (!find_valgrind()) {
		printf("SKIPPED: valgrind is not installed "
		       "(scripts/install-deps.sh installs it)\n");
		return 0;
	}
	return kt_main(argc, argv, suites);
}
