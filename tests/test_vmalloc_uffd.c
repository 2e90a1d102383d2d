// SPDX-License-Identifier: MIT
/*
 * vmalloc's first-touch mapping through userfaultfd: fault counts with the
 * adaptive fault-around window, and kmem_set_fault_around_bytes().  Counts,
 * never timings.  Where userfaultfd is unavailable (pages are mapped at
 * vmalloc() time) this suite says "SKIPPED:" and ctest reports a skip.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/vmalloc.h>
#include "kunit.h"

#define MiB (1UL << 20)

static bool have_uffd;
static unsigned int nr_nodes;

/* Free HighMem pages over all nodes, per-CPU lists included. */
static __attribute__((__noinline__)) uint64_t highmem_free(void)
{
	struct kmem_zone_stats st;
	uint64_t sum = 0;
	unsigned int nid;

	kmem_drain_all_pages();
	for (nid = 0; nid < nr_nodes; nid++)
		if (!kmem_zone_stats((int)nid, ZONE_HIGHMEM, &st))
			sum += st.free_pages + st.pcp_count;
	return sum;
}

static struct kmem_vmalloc_stats vstats(void)
{
	struct kmem_vmalloc_stats st;

	kmem_vmalloc_stats(&st);
	return st;
}

static int suite_init(void)
{
	struct kmem_info info;
	void *p;

	if (kt_init("fake_numa=2,direct_mb=32,highmem_mb=64") || kmem_get_info(&info))
		return -1;
	nr_nodes = info.nr_nodes;
	/* the vmalloc area (and its userfaultfd) is set up by the first vmalloc() */
	p = vmalloc(PAGE_SIZE);
	if (!p)
		return -1;
	have_uffd = vstats().userfaultfd;
	vfree(p);
	if (!have_uffd)
		printf("SKIPPED: userfaultfd unavailable (vmalloc maps its pages eagerly)\n");
	return 0;
}

static int suite_exit(void)
{
	kmem_set_fault_around_bytes(64 * 1024);
	kmem_exit();
	return 0;
}

static void touch_page(volatile unsigned char *p, unsigned long pg)
{
	p[pg * PAGE_SIZE + (pg % 97)] = (unsigned char)(pg * 7 + 1);
}

static bool page_ok(const volatile unsigned char *p, unsigned long pg)
{
	return p[pg * PAGE_SIZE + (pg % 97)] == (unsigned char)(pg * 7 + 1);
}

static void test_fault_around_setting(void)
{
	if (!have_uffd)
		return;
	CU_ASSERT_EQUAL(vstats().fault_around_bytes, 64 * 1024);
	CU_ASSERT_EQUAL(kmem_set_fault_around_bytes(0), -EINVAL);
	CU_ASSERT_EQUAL(kmem_set_fault_around_bytes(2048), -EINVAL);
	CU_ASSERT_EQUAL(kmem_set_fault_around_bytes(3 * PAGE_SIZE), -EINVAL);
	CU_ASSERT_EQUAL(kmem_set_fault_around_bytes(32 * MiB), -EINVAL);
	CU_ASSERT_EQUAL(vstats().fault_around_bytes, 64 * 1024);
	CU_ASSERT_EQUAL(kmem_set_fault_around_bytes(PAGE_SIZE), 0);
	CU_ASSERT_EQUAL(vstats().fault_around_bytes, PAGE_SIZE);
	CU_ASSERT_EQUAL(kmem_set_fault_around_bytes(16 * MiB), 0);
	CU_ASSERT_EQUAL(vstats().fault_around_bytes, 16 * MiB);
	CU_ASSERT_EQUAL(kmem_set_fault_around_bytes(64 * 1024), 0);
}

/*
 * Nothing is mapped at vmalloc() time.  vmalloc_to_page() of an untouched
 * page takes no fault; it may map that one page (so that the answer stays
 * the page the region shows), nothing more.
 */
static void test_lazy(void)
{
	struct kmem_vmalloc_stats s0, s1;
	unsigned char *p;
	struct page *pg;

	if (!have_uffd)
		return;
	s0 = vstats();
	p = vmalloc(4 * MiB);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	s1 = vstats();
	CU_ASSERT_EQUAL(s1.faults, s0.faults);
	CU_ASSERT_EQUAL(s1.pages_mapped, s0.pages_mapped);
	CU_ASSERT_EQUAL(s1.mmaps, s0.mmaps);
	pg = vmalloc_to_page(p + 2 * MiB + 5);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pg);
	s1 = vstats();
	CU_ASSERT_EQUAL(s1.faults, s0.faults);
	CU_ASSERT(s1.pages_mapped - s0.pages_mapped <= 1);
	/* the region and the page agree */
	((unsigned char *)page_address(pg))[5] = 0x3c;
	CU_ASSERT_EQUAL(p[2 * MiB + 5], 0x3c);
	CU_ASSERT_PTR_EQUAL(vmalloc_to_page(p + 2 * MiB), pg);
	vfree(p);
}

/* A sequential first touch of 4 MiB: the window grows, faults stay few. */
static void test_sequential(void)
{
	enum { PAGES = 1024 };
	struct kmem_vmalloc_stats s0, s1;
	unsigned char *p;
	unsigned long i, faults;

	if (!have_uffd)
		return;
	CU_ASSERT_EQUAL(kmem_set_fault_around_bytes(64 * 1024), 0);
	p = vmalloc(PAGES * PAGE_SIZE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	s0 = vstats();
	for (i = 0; i < PAGES; i++)
		touch_page(p, i);
	s1 = vstats();
	faults = s1.faults - s0.faults;
	printf("\n  sequential 4 MiB: %lu faults, %llu mmaps for %u pages\n", faults,
	       (unsigned long long)(s1.mmaps - s0.mmaps), PAGES);
	CU_ASSERT(faults >= 1);
	CU_ASSERT(faults < PAGES / 4);
	/* 64 KiB doubling to 2 MiB: 16+32+...+512 pages, about 7 faults */
	CU_ASSERT(faults <= 16);
	CU_ASSERT_EQUAL(s1.pages_mapped - s0.pages_mapped, PAGES);
	CU_ASSERT(s1.mmaps - s0.mmaps >= faults);
	for (i = 0; i < PAGES; i++)
		CU_ASSERT(page_ok(p, i));
	/* touching again costs nothing */
	for (i = 0; i < PAGES; i++)
		touch_page(p, i);
	CU_ASSERT_EQUAL(vstats().faults, s1.faults);
	vfree(p);
}

/* A window of one page and a scattered touch: about a fault per page. */
static void test_random_small_window(void)
{
	enum { PAGES = 1024, TOUCH = 300 };
	struct kmem_vmalloc_stats s0, s1;
	uint64_t rnd = kt_seed();
	unsigned long order[PAGES], i, faults, mapped;
	unsigned char *p;

	if (!have_uffd)
		return;
	for (i = 0; i < PAGES; i++)
		order[i] = i;
	for (i = PAGES - 1; i > 0; i--) {
		unsigned long j = kt_rand(&rnd) % (i + 1), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	CU_ASSERT_EQUAL(kmem_set_fault_around_bytes(PAGE_SIZE), 0);
	p = vmalloc(PAGES * PAGE_SIZE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	s0 = vstats();
	for (i = 0; i < TOUCH; i++)
		touch_page(p, order[i]);
	s1 = vstats();
	faults = s1.faults - s0.faults;
	mapped = s1.pages_mapped - s0.pages_mapped;
	printf("\n  random %u pages, 4 KiB window: %lu faults, %lu pages mapped\n", TOUCH,
	       faults, mapped);
	CU_ASSERT(faults >= TOUCH / 2);
	CU_ASSERT(faults <= TOUCH);
	CU_ASSERT(mapped >= TOUCH);
	CU_ASSERT(mapped < PAGES);
	for (i = 0; i < TOUCH; i++)
		CU_ASSERT(page_ok(p, order[i]));
	/* the rest, in any order, gets every page mapped exactly once */
	for (i = TOUCH; i < PAGES; i++)
		touch_page(p, order[i]);
	CU_ASSERT_EQUAL(vstats().pages_mapped - s0.pages_mapped, PAGES);
	for (i = 0; i < PAGES; i++)
		CU_ASSERT(page_ok(p, i));
	vfree(p);
	CU_ASSERT_EQUAL(kmem_set_fault_around_bytes(64 * 1024), 0);
}

/* A window as big as the region: the first touch maps it all. */
static void test_big_window(void)
{
	enum { PAGES = 1024 };
	struct kmem_vmalloc_stats s0, s1;
	unsigned char *p;
	unsigned long i;

	if (!have_uffd)
		return;
	CU_ASSERT_EQUAL(kmem_set_fault_around_bytes(16 * MiB), 0);
	p = vmalloc(PAGES * PAGE_SIZE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	s0 = vstats();
	touch_page(p, PAGES / 2);
	for (i = 0; i < PAGES; i++)
		touch_page(p, i);
	s1 = vstats();
	CU_ASSERT_EQUAL(s1.faults - s0.faults, 1);
	CU_ASSERT_EQUAL(s1.pages_mapped - s0.pages_mapped, PAGES);
	vfree(p);
	CU_ASSERT_EQUAL(kmem_set_fault_around_bytes(64 * 1024), 0);
}

/* The default 64 KiB window on a scattered touch: one fault maps 16 pages. */
static void test_default_window_aligned(void)
{
	enum { PAGES = 1024 };
	struct kmem_vmalloc_stats s0, s1;
	unsigned char *p;
	unsigned long i;

	if (!have_uffd)
		return;
	CU_ASSERT_EQUAL(kmem_set_fault_around_bytes(64 * 1024), 0);
	p = vmalloc(PAGES * PAGE_SIZE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	s0 = vstats();
	touch_page(p, 100);	/* window [96, 112) */
	s1 = vstats();
	CU_ASSERT_EQUAL(s1.faults - s0.faults, 1);
	CU_ASSERT_EQUAL(s1.pages_mapped - s0.pages_mapped, 16);
	for (i = 96; i < 112; i++)	/* all inside the window: no new fault */
		touch_page(p, i);
	CU_ASSERT_EQUAL(vstats().faults, s1.faults);
	touch_page(p, 95);		/* just before it: a new one */
	CU_ASSERT_EQUAL(vstats().faults, s1.faults + 1);
	vfree(p);
}

/*
 * No "out of memory at first touch": vmalloc() charges every page when it
 * returns, so a region more than HighMem has is promised by the zones
 * below it (where the direct map is shared memory) and then touched in
 * full, or refused at once (on hugetlb, where only HighMem can back it);
 * one larger than all memory is refused with the kernel's report.  Never a
 * SIGBUS: run in a child so that one would land there, and be seen.
 */
static sigjmp_buf oom_jmp;

static void on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(oom_jmp, 1);
}

enum { OOM_OK, OOM_REFUSED = 3, OOM_SIGBUS, OOM_NO_REPORT, OOM_LEAK, OOM_AFTER, OOM_HUGE };

static void test_oom_at_first_touch(void)
{
	uint64_t hm;
	int status = 0;
	pid_t pid;

	if (!have_uffd)
		return;
	hm = highmem_free();
	fflush(NULL);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		volatile unsigned char *p;
		struct sigaction sa;
		volatile unsigned long i;
		struct kmem_info info;
		int ret = OOM_OK;

		alarm(20);
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_sigbus;
		sigaction(SIGBUS, &sa, NULL);
		kmem_get_info(&info);
		kt_capture_start();
		if (sigsetjmp(oom_jmp, 1))
			_exit(OOM_SIGBUS);
		p = vmalloc((hm + 1024) * PAGE_SIZE);
		if (!p) {
			if (!kt_captured("vmalloc error: size"))
				_exit(OOM_NO_REPORT);
			ret = OOM_REFUSED;
		} else {
			for (i = 0; i < hm + 1024; i++)
				p[i * PAGE_SIZE] = 1;
			vfree((void *)p);
		}
		if (highmem_free() != hm)
			_exit(OOM_LEAK);
		if (vmalloc((unsigned long)info.total_pages * 2 * PAGE_SIZE))
			_exit(OOM_HUGE);
		/* and the allocator works again */
		p = vmalloc(4 * MiB);
		if (!p)
			_exit(OOM_AFTER);
		memset((void *)p, 7, 4 * MiB);
		vfree((void *)p);
		_exit(ret);
	}
	CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) ||
	    (WEXITSTATUS(status) != OOM_OK && WEXITSTATUS(status) != OOM_REFUSED))
		printf("\n  OOM child: status %#x\n", status);
	CU_ASSERT(WIFEXITED(status) &&
		  (WEXITSTATUS(status) == OOM_OK || WEXITSTATUS(status) == OOM_REFUSED));
	printf("\n  more than HighMem: %s\n", WIFEXITED(status) && WEXITSTATUS(status) == OOM_OK ?
	       "promised and touched in full" : "refused by vmalloc()");
	CU_ASSERT_EQUAL(highmem_free(), hm);
}

static const struct kt_test tests[] = {
	KT_TEST(test_fault_around_setting),
	KT_TEST(test_lazy),
	KT_TEST(test_sequential),
	KT_TEST(test_random_small_window),
	KT_TEST(test_big_window),
	KT_TEST(test_default_window_aligned),
	KT_TEST(test_oom_at_first_touch),
	KT_END,
};
static const struct kt_suite suite = { "vmalloc_uffd", suite_init, suite_exit, tests };
static const struct kt_suite *const suites[] = { &suite, NULL };
int main(int argc, char **argv) { return kt_main(argc, argv, suites); }
