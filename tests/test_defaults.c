// SPDX-License-Identifier: MIT
/*
 * The defaults are the product: a program that links libkmem and sets
 * nothing (no KMEM_OPTIONS, no kmem_init()) vmallocs 1 GiB and touches all
 * of it, holds 4 GiB of kmalloc objects, and gets its memory back to where
 * it started once they are freed, on shared memory and on huge pages
 * (as root, the pool is sized for it; without root that run is skipped).
 *
 * Each run is a fresh process, forked before kmem is initialised, so that
 * it starts from the defaults as a new program does.  Under a sanitizer the
 * sizes are scaled down (its shadow memory would need several times more).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <kmem/kmem.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "kunit.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define VMALLOC_BYTES	(128UL << 20)
#define KMALLOC_BYTES	(512UL << 20)
#else
#define VMALLOC_BYTES	(1UL << 30)
#define KMALLOC_BYTES	(4UL << 30)
#endif
#define OBJ_SIZE	4096UL

#define POOL		"/proc/sys/vm/nr_hugepages"
#define POOL_FREE	"/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages"

static long read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static int write_pool(long v)
{
	FILE *f = fopen(POOL, "w");

	if (!f)
		return -1;
	fprintf(f, "%ld\n", v);
	return fclose(f);
}

/* Make @free pages of the pool free (others' pages in use stay); the old size, or -1. */
static long size_pool_free(long free)
{
	long total = read_long(POOL), now = read_long(POOL_FREE);

	if (geteuid() != 0 || total < 0 || now < 0)
		return -1;
	if (write_pool(total - now + free)) {
		write_pool(total);
		return -1;
	}
	return total;
}

#define FAIL(...) do { fprintf(stderr, "  defaults: " __VA_ARGS__); return 1; } while (0)

static int vmalloc_touch_all(void)
{
	unsigned char *v = vmalloc(VMALLOC_BYTES);
	size_t i;

	if (!v)
		FAIL("vmalloc(%lu MiB) failed\n", VMALLOC_BYTES >> 20);
	for (i = 0; i < VMALLOC_BYTES; i += PAGE_SIZE)
		v[i] = (unsigned char)(i >> PAGE_SHIFT);
	for (i = 0; i < VMALLOC_BYTES; i += PAGE_SIZE)
		if (v[i] != (unsigned char)(i >> PAGE_SHIFT))
			FAIL("vmalloc page %zu lost its contents\n", i >> PAGE_SHIFT);
	vfree(v);
	return 0;
}

static int kmalloc_hold_all(void)
{
	size_t n = KMALLOC_BYTES / OBJ_SIZE, i;
	unsigned long **obj = calloc(n, sizeof(*obj));

	if (!obj)
		FAIL("no memory for the object table\n");
	for (i = 0; i < n; i++) {
		obj[i] = kmalloc(OBJ_SIZE, GFP_KERNEL);
		if (!obj[i])
			FAIL("kmalloc(%lu) number %zu of %zu failed\n", OBJ_SIZE, i, n);
		obj[i][0] = i;
		obj[i][OBJ_SIZE / sizeof(long) - 1] = ~i;
	}
	for (i = 0; i < n; i++) {
		if (obj[i][0] != i || obj[i][OBJ_SIZE / sizeof(long) - 1] != ~i)
			FAIL("kmalloc object %zu lost its contents\n", i);
		kfree(obj[i]);
	}
	free(obj);
	return 0;
}

/* The child: everything on the defaults, then the memory back to the start. */
static int run_defaults(void)
{
	struct kmem_hotplug_stats now = { 0 };
	struct kmem_info info;
	unsigned int nid;
	int ret;

	unsetenv("KMEM_OPTIONS");
	ret = vmalloc_touch_all() ?: kmalloc_hold_all();
	if (ret)
		return ret;
	if (kmem_get_info(&info))
		FAIL("kmem_get_info failed\n");
	kmem_cache_shrink_name(NULL);
	kmem_memory_shrink();
	for (nid = 0; nid < info.nr_nodes; nid++) {
		if (kmem_get_hotplug_stats((int)nid, &now))
			FAIL("kmem_get_hotplug_stats(%u) failed\n", nid);
		/* the floor is what it started with; a section of slack for kmem's own slabs */
		if (now.online_bytes > now.min_bytes + (8UL << 20))
			FAIL("node %u: %llu MiB still online after everything was freed "
			     "(started with %llu MiB)\n", nid,
			     (unsigned long long)now.online_bytes >> 20,
			     (unsigned long long)now.min_bytes >> 20);
	}
	printf("  defaults: %u node(s) %s, %lu MiB vmalloc touched, %lu MiB of kmalloc "
	       "objects, given back to %llu MiB online\n", info.nr_nodes,
	       info.hugetlb ? "on huge pages" : "on shared memory",
	       VMALLOC_BYTES >> 20, KMALLOC_BYTES >> 20,
	       (unsigned long long)now.online_bytes >> 20);
	return 0;
}

static int in_child(void)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0)
		_exit(run_defaults());
	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	return status;
}

static void test_shared_memory(void)
{
	long before = size_pool_free(0);	/* as root: none free, as a plain machine */

	KT_ASSERT_EQ(in_child(), 0);
	if (before >= 0)
		write_pool(before);
}

static void test_huge_pages(void)
{
	long want = 512, before = size_pool_free(want);	/* 1 GiB of 2 MiB pages */

	if (before < 0) {
		printf("SKIPPED: needs root to reserve huge pages ");
		return;
	}
	if (read_long(POOL_FREE) < 64) {
		write_pool(before);
		printf("SKIPPED: the huge page pool would not grow to 64 free pages ");
		return;
	}
	KT_ASSERT_EQ(in_child(), 0);
	write_pool(before);
}

static const struct kt_test tests[] = {
	KT_TEST(test_shared_memory),
	KT_TEST(test_huge_pages),
	KT_END,
};

static const struct kt_suite suite = { "defaults", NULL, NULL, tests };
static const struct kt_suite *const suites[] = { &suite, NULL };
int main(int argc, char **argv) { return kt_main(argc, argv, suites); }
