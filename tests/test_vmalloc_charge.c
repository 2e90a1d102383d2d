// SPDX-License-Identifier: MIT
/*
 * vmalloc keeps the kernel's promise: vmalloc() charges every page when it
 * returns (HighMem first, then Normal where the direct map is shared
 * memory), other allocations cannot take what is promised, the first touch
 * always finds its page, a region that cannot be promised is NULL with the
 * kernel's report (never a SIGBUS later), and vfree() gives every promise
 * back.  Embedded, two fake nodes, no huge pages (so Normal can back
 * vmalloc pages too).  The daemon's side (a dead client's promises) is in
 * test_client_death.c.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "kunit.h"

#define OPTS	"fake_numa=2,direct_mb=32,max_mb=32,highmem_mb=16,hugepages=never,reclaim_timeout_ms=200"

static unsigned int nr_nodes;

static void sigbus(int sig)
{
	static const char msg[] = "test_vmalloc_charge: SIGBUS: a vmalloc page was not there\n";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(99);
	_exit(99);
}

static int suite_init(void)
{
	struct kmem_info info;

	signal(SIGBUS, sigbus);
	if (kt_init(OPTS) || kmem_get_info(&info))
		return -1;
	nr_nodes = info.nr_nodes;
	return 0;
}

static int suite_exit(void)
{
	kmem_exit();
	return 0;
}

static struct kmem_vmalloc_stats vstats(void)
{
	struct kmem_vmalloc_stats st;

	kmem_vmalloc_stats(&st);
	return st;
}

/*
 * What vmalloc could be promised now, by the rule docs/vmalloc.md gives:
 * per zone, free pages less what is promised, the low watermark and the
 * HighMem reserve.
 */
static uint64_t chargeable(void)
{
	uint64_t sum = 0;
	unsigned int nid;
	int z;

	kmem_drain_all_pages();
	for (nid = 0; nid < nr_nodes; nid++)
		for (z = 0; z < 4; z++) {
			struct kmem_zone_stats st;
			int64_t a;

			kmem_zone_stats((int)nid, z, &st);
			a = (int64_t)st.free_pages - (int64_t)st.vm_charged - (int64_t)st.low -
			    (int64_t)st.protection[ZONE_HIGHMEM];
			sum += a > 0 ? (uint64_t)a : 0;
		}
	return sum;
}

static uint64_t zones_charged(void)
{
	uint64_t sum = 0;
	unsigned int nid;
	int z;

	for (nid = 0; nid < nr_nodes; nid++)
		for (z = 0; z < 4; z++) {
			struct kmem_zone_stats st;

			kmem_zone_stats((int)nid, z, &st);
			sum += st.vm_charged;
		}
	return sum;
}

/* Larger than all the memory there is: NULL at once, with the kernel's words. */
static void test_larger_than_memory(void)
{
	struct kmem_info info;
	unsigned long size;
	void *p;

	kmem_get_info(&info);
	size = (unsigned long)info.total_pages * PAGE_SIZE * 2;
	kt_capture_start();
	p = vmalloc(size);
	CU_ASSERT_PTR_NULL(p);
	CU_ASSERT(kt_captured("vmalloc error: size"));
	CU_ASSERT(kt_captured("exceeds total pages"));
	CU_ASSERT(kt_captured("mode:0xcc0(GFP_KERNEL)"));
	kt_capture_stop();
	kt_capture_start();
	CU_ASSERT_PTR_NULL(__vmalloc(size, GFP_KERNEL | __GFP_NOWARN));
	KT_ASSERT_EQ(kt_captured_count(), 0);
	kt_capture_stop();
	KT_ASSERT_EQ(zones_charged(), 0);
	KT_ASSERT_EQ(vstats().nr_areas, 0);
}

/* More than is available now (but not than exists): NULL after reclaim, the report. */
static void test_more_than_available(void)
{
	uint64_t avail = chargeable();
	struct kmem_vmalloc_stats before = vstats();
	void *p;

	CU_ASSERT_FATAL(avail > 1000);
	kt_capture_start();
	p = vmalloc((avail + 512) * PAGE_SIZE);
	CU_ASSERT_PTR_NULL(p);
	CU_ASSERT(kt_captured("failed to allocate pages"));
	kt_capture_stop();
	KT_ASSERT_EQ(zones_charged(), 0);
	KT_ASSERT_EQ(vstats().charge_fail, before.charge_fail + 1);
	/* what is there can be had, all of it, and touched */
	p = vmalloc((avail - 64) * PAGE_SIZE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	KT_ASSERT_EQ(zones_charged(), avail - 64);
	memset(p, 0x6b, (avail - 64) * PAGE_SIZE);
	KT_ASSERT_EQ(vstats().charged, 0);
	vfree(p);
}

/*
 * A region promised and not touched: ordinary allocations cannot take its
 * pages (they stop short of them), and its first touches all find pages.
 */
static void test_promise_kept(void)
{
	static const gfp_t gfps[] = { GFP_HIGHUSER, GFP_KERNEL };
	uint64_t avail = chargeable(), pages = avail * 3 / 4, held = 0;
	struct kt_blocks b = { 0 };
	unsigned char *p;
	unsigned int i;
	uint64_t k;

	p = vmalloc(pages * PAGE_SIZE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	KT_ASSERT_EQ(vstats().charged, pages);
	for (i = 0; i < 2; i++) {
		struct page *page;

		while ((page = alloc_pages(gfps[i] | __GFP_NOWARN | __GFP_NORETRY, 0))) {
			kt_blocks_add(&b, page, 0);
			held++;
		}
	}
	/* the others got what was not promised, and no more */
	CU_ASSERT(held <= avail - pages + 2048);
	CU_ASSERT(held > 0);
	for (k = 0; k < pages; k++)
		p[k * PAGE_SIZE] = (unsigned char)k;
	for (k = 0; k < pages; k++)
		if (p[k * PAGE_SIZE] != (unsigned char)k)
			break;
	KT_ASSERT_EQ(k, pages);
	KT_ASSERT_EQ(vstats().charged, 0);
	KT_ASSERT_EQ(zones_charged(), 0);
	kt_blocks_free(&b, NULL);
	kt_blocks_release(&b);
	vfree(p);
	printf("\n  %llu pages promised and touched while others held %llu of %llu\n",
	       (unsigned long long)pages, (unsigned long long)held, (unsigned long long)avail);
}

#define RACERS	4

struct racer {
	pthread_barrier_t *bar;
	unsigned long size;
	int got, rounds_ok;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	unsigned long off;
	unsigned char *p;

	pthread_barrier_wait(r->bar);
	p = __vmalloc(r->size, GFP_KERNEL | __GFP_NOWARN);
	r->got = p != NULL;
	/* everyone has asked before anyone touches or frees */
	pthread_barrier_wait(r->bar);
	if (p) {
		for (off = 0; off < r->size; off += PAGE_SIZE)
			p[off] = 0xc3;
		r->rounds_ok += p[r->size - PAGE_SIZE] == 0xc3 && p[0] == 0xc3;
	}
	pthread_barrier_wait(r->bar);
	vfree(p);
	return NULL;
}

/*
 * Concurrent vmallocs that together want 1.6 times what there is: each is
 * either NULL or wholly touchable (a SIGBUS ends the test), and the ones
 * that succeeded fit in what there was.
 */
static void test_concurrent_never_fault(void)
{
	pthread_barrier_t bar;
	struct racer r[RACERS];
	pthread_t t[RACERS];
	uint64_t avail = chargeable();
	int round, i, total_got = 0;

	pthread_barrier_init(&bar, NULL, RACERS);
	for (round = 0; round < 5; round++) {
		int got = 0, ok = 0;

		for (i = 0; i < RACERS; i++) {
			r[i] = (struct racer){ &bar, (avail * 2 / 5) * PAGE_SIZE, 0, 0 };
			pthread_create(&t[i], NULL, race, &r[i]);
		}
		for (i = 0; i < RACERS; i++) {
			pthread_join(t[i], NULL);
			got += r[i].got;
			ok += r[i].rounds_ok;
		}
		KT_ASSERT_EQ(ok, got);
		CU_ASSERT(got >= 1 && got <= 2);
		total_got += got;
		KT_ASSERT_EQ(zones_charged(), 0);
	}
	pthread_barrier_destroy(&bar);
	printf("\n  5 rounds of %d vmallocs of %llu pages (%llu chargeable): %d succeeded\n",
	       RACERS, (unsigned long long)(avail * 2 / 5), (unsigned long long)avail, total_got);
}

/* vfree gives back every page and every promise: the zones as before, exactly. */
static void test_vfree_returns_every_charge(void)
{
	static const unsigned int touch_every[] = { 0, 3, 1 };
	unsigned int i;

	for (i = 0; i < 3; i++) {
		const unsigned long pages = 1500;
		struct kt_snapshot *a, *b;
		unsigned char *p;
		unsigned long k, touched;

		kmem_drain_all_pages();
		a = kt_snapshot();
		p = vmalloc(pages * PAGE_SIZE);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		KT_ASSERT_EQ(zones_charged(), pages);
		for (k = 0; touch_every[i] && k < pages; k += touch_every[i])
			p[k * PAGE_SIZE] = 1;
		touched = vstats().pages;
		KT_ASSERT_EQ(vstats().charged, pages - touched);
		KT_ASSERT_EQ(zones_charged(), pages - touched);
		vfree(p);
		kmem_drain_all_pages();
		b = kt_snapshot();
		CU_ASSERT(kt_snapshot_equal(a, b, false));
		KT_ASSERT_EQ(zones_charged(), 0);
		KT_ASSERT_EQ(vstats().charged_all, 0);
		free(a);
		free(b);
	}
}

/*
 * More than HighMem can promise: the rest comes from Normal (the direct
 * map is shared memory here), mapped page by page, and each vmalloc page
 * is the very page vmalloc_to_page() names.
 */
static void test_normal_backs_the_rest(void)
{
	struct kmem_zone_stats hm;
	uint64_t highmem = 0, pages, k, in_normal = 0, bad_alias = 0;
	unsigned char *p;
	unsigned int nid;

	chargeable();
	for (nid = 0; nid < nr_nodes; nid++) {
		kmem_zone_stats((int)nid, ZONE_HIGHMEM, &hm);
		highmem += hm.free_pages;
	}
	pages = highmem + 1024;
	CU_ASSERT_FATAL(pages < chargeable());
	p = vmalloc(pages * PAGE_SIZE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	for (k = 0; k < pages; k++)
		p[k * PAGE_SIZE + 7] = (unsigned char)(k * 7);
	for (k = 0; k < pages; k++) {
		struct page *page = vmalloc_to_page(p + k * PAGE_SIZE);

		if (!page) {
			bad_alias++;
			continue;
		}
		in_normal += page_zonenum(page) == ZONE_NORMAL;
		bad_alias += ((unsigned char *)page_address(page))[7] != (unsigned char)(k * 7);
	}
	KT_ASSERT_EQ(bad_alias, 0);
	CU_ASSERT(in_normal >= 1024);
	vfree(p);
	KT_ASSERT_EQ(zones_charged(), 0);
	printf("\n  %llu pages, %llu of them from Normal\n", (unsigned long long)pages,
	       (unsigned long long)in_normal);
}

/* kvmalloc follows: its vmalloc is charged, and more than there is is NULL. */
static void test_kvmalloc_charged(void)
{
	const size_t size = 8UL << 20;	/* above kmalloc's largest block */
	struct kmem_info info;
	unsigned char *p;

	p = kvmalloc(size, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT(is_vmalloc_addr(p));
	KT_ASSERT_EQ(vstats().charged, size / PAGE_SIZE);
	p[size - 1] = 1;
	kvfree(p);
	KT_ASSERT_EQ(zones_charged(), 0);
	kmem_get_info(&info);
	kt_capture_start();
	CU_ASSERT_PTR_NULL(kvmalloc((size_t)info.total_pages * PAGE_SIZE * 2, GFP_KERNEL));
	CU_ASSERT(kt_captured("vmalloc error: size"));
	kt_capture_stop();
	KT_ASSERT_EQ(zones_charged(), 0);
}

/* /proc/vmallocinfo says what is promised beside what is touched. */
static void test_vmallocinfo_charged(void)
{
	unsigned char *p = vmalloc(100 * PAGE_SIZE);
	char *buf = NULL, want[64];
	size_t len = 0;
	unsigned int pages;
	FILE *f;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	p[0] = 1;
	pages = (unsigned int)vstats().pages;
	f = open_memstream(&buf, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	KT_ASSERT_EQ(kmem_show_vmallocinfo(f), 0);
	fclose(f);
	snprintf(want, sizeof(want), " pages=%u vmalloc", pages);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, want));
	snprintf(want, sizeof(want), " charged=%u\n", 100 - pages);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, want));
	free(buf);
	vfree(p);
}

static const struct kt_test tests[] = {
	KT_TEST(test_larger_than_memory),
	KT_TEST(test_more_than_available),
	KT_TEST(test_promise_kept),
	KT_TEST(test_concurrent_never_fault),
	KT_TEST(test_vfree_returns_every_charge),
	KT_TEST(test_normal_backs_the_rest),
	KT_TEST(test_kvmalloc_charged),
	KT_TEST(test_vmallocinfo_charged),
	KT_END,
};

static const struct kt_suite suite = { "vmalloc_charge", suite_init, suite_exit, tests };

int main(int argc, char **argv)
{
	const struct kt_suite *suites[] = { &suite, NULL };

	return kt_main(argc, argv, suites);
}
