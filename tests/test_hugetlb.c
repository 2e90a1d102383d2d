// SPDX-License-Identifier: MIT
/*
 * The real hugetlb path: direct maps on hugetlb memfds, physical addresses
 * from /proc/self/pagemap, zones by physical address.
 *
 * Needs root and a writable /proc/sys/vm/nr_hugepages; otherwise, or when
 * the kernel cannot provide the huge pages, it prints "SKIPPED:" (ctest
 * reports the test as skipped).  The pool is raised for the run and put back
 * at exit, on a failed assertion as on a crash.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/vmalloc.h>

#include "internal.h"
#include "kunit.h"

#define NR_NODES	2
#define DIRECT_MB	32
#define HPAGES_NEEDED	(NR_NODES * DIRECT_MB / 2)
#define HPAGES_EXTRA	64
#define SZ_2M		(2ULL << 20)
#define SZ_16M		(16ULL << 20)
#define SZ_4G		(4ULL << 30)

#define NR_HUGEPAGES	"/proc/sys/vm/nr_hugepages"
#define FREE_HUGEPAGES	"/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages"

static int pool_fd = -1;
static char pool_old[32];
static size_t pool_old_len;
static volatile sig_atomic_t pool_restored;
static long hp_free_before_init;

/* Async-signal-safe: the old value was formatted beforehand. */
static void pool_restore(void)
{
	if (pool_fd < 0 || pool_restored)
		return;
	pool_restored = 1;
	if (pwrite(pool_fd, pool_old, pool_old_len, 0) < 0) {
		static const char msg[] = "test_hugetlb: could not restore " NR_HUGEPAGES "\n";

		if (write(2, msg, sizeof(msg) - 1) < 0)
			return;
	}
}

static void pool_restore_on_signal(int sig)
{
	/* Pages still mapped become surplus and leave the pool when we die. */
	pool_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

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

static long meminfo(const char *key)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	size_t klen = strlen(key);
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ':')
			v = strtol(line + klen + 1, NULL, 10);
	fclose(f);
	return v;
}

/* Physical address of @addr from /proc/self/pagemap, 0 if unknown. */
static uint64_t pagemap_phys(const void *addr)
{
	static int fd = -1;
	uint64_t entry;

	if (fd < 0)
		fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || pread(fd, &entry, sizeof(entry),
			    (off_t)((uintptr_t)addr / PAGE_SIZE * sizeof(entry))) != sizeof(entry))
		return 0;
	if (!(entry >> 63) || !(entry & ((1ULL << 55) - 1)))
		return 0;
	return (entry & ((1ULL << 55) - 1)) * PAGE_SIZE + ((uintptr_t)addr & (PAGE_SIZE - 1));
}

static int suite_init(void)
{
	hp_free_before_init = meminfo("HugePages_Free");
	return kt_init("fake_numa=2,direct_mb=32,highmem_mb=4,hugepages=require");
}

static int suite_init_phys(void)
{
	return kt_init("fake_numa=2,direct_mb=32,highmem_mb=4,hugepages=require,zones=phys");
}

static int suite_exit(void)
{
	kmem_exit();
	return 0;
}

static uint64_t direct_pages(void)
{
	return (uint64_t)NR_NODES * DIRECT_MB * 256;
}

static void test_info(void)
{
	struct kmem_info info;

	CU_ASSERT_EQUAL_FATAL(kmem_get_info(&info), 0);
	CU_ASSERT(info.hugetlb);
	CU_ASSERT(info.phys_real);
	KT_ASSERT_EQ(info.hugepage_shift, 21);
	KT_ASSERT_EQ(info.nr_nodes, NR_NODES);
	KT_ASSERT_EQ(info.total_pages, NR_NODES * (DIRECT_MB + 4) * 256);
}

/* The direct map took its huge pages at init, faulted in: allocating takes none. */
static void test_prefaulted(void)
{
	struct kt_blocks held = { 0 };
	long free_now = meminfo("HugePages_Free");
	int nid, z;

	CU_ASSERT(hp_free_before_init >= 0 && free_now >= 0);
	KT_ASSERT_EQ(hp_free_before_init - free_now, HPAGES_NEEDED);
	for (nid = 0; nid < NR_NODES; nid++)
		for (z = ZONE_DMA; z <= ZONE_NORMAL; z++)
			kt_exhaust_zone(nid, z, &held);
	KT_ASSERT_EQ(meminfo("HugePages_Free"), free_now);
	kt_blocks_release(&held);
	kmem_drain_all_pages();
	KT_ASSERT_EQ(meminfo("HugePages_Free"), free_now);
}

/* Within a huge page, pfns and physical addresses advance together. */
static void test_phys_consecutive(void)
{
	unsigned long pfn, bad_step = 0, bad_align = 0, bad_pagemap = 0, pseudo = 0;

	for (pfn = 0; pfn < direct_pages(); pfn++) {
		struct page *page = pfn_to_page(pfn);
		phys_addr_t phys = page_to_phys(page);

		pseudo += !!(phys & KMEM_PSEUDO_PHYS_BIT);
		if (pfn % 512 == 0) {
			bad_align += phys & (SZ_2M - 1) ? 1 : 0;
			bad_pagemap += pagemap_phys(page_address(page)) != phys;
		} else {
			bad_step += phys != page_to_phys(pfn_to_page(pfn - 1)) + PAGE_SIZE;
		}
		if (pfn % 512 == 511 || pfn % 97 == 0)
			bad_pagemap += pagemap_phys(page_address(page)) != phys;
	}
	KT_ASSERT_EQ(pseudo, 0);
	KT_ASSERT_EQ(bad_align, 0);
	KT_ASSERT_EQ(bad_step, 0);
	KT_ASSERT_EQ(bad_pagemap, 0);
}

/* HighMem is not hugetlb: its addresses stay pseudo-physical. */
static void test_highmem_pseudo(void)
{
	struct kmem_info info;
	unsigned long pfn, bad = 0;

	kmem_get_info(&info);
	for (pfn = direct_pages(); pfn < info.total_pages; pfn++)
		bad += page_to_phys(pfn_to_page(pfn)) !=
		       (KMEM_PSEUDO_PHYS_BIT | ((uint64_t)pfn << PAGE_SHIFT)) ||
		       page_zonenum(pfn_to_page(pfn)) != ZONE_HIGHMEM;
	KT_ASSERT_EQ(bad, 0);
}

/* Each direct-map page is in the zone its physical address says. */
static void test_zone_by_phys(void)
{
	unsigned long pfn, bad = 0, bad_pagemap = 0, per_zone[MAX_NR_ZONES] = { 0 };

	for (pfn = 0; pfn < direct_pages(); pfn++) {
		struct page *page = pfn_to_page(pfn);
		phys_addr_t phys = page_to_phys(page);
		int z = phys < SZ_16M ? ZONE_DMA : phys < SZ_4G ? ZONE_DMA32 : ZONE_NORMAL;

		bad += (int)page_zonenum(page) != z;
		bad += page_to_nid(page) != (int)(pfn / (DIRECT_MB * 256));
		per_zone[z]++;
		/* and the kernel agrees, page by page */
		if (!(pfn & 63)) {
			uint64_t real = pagemap_phys(page_address(page));

			bad_pagemap += !real || real != phys;
		}
	}
	KT_ASSERT_EQ(bad, 0);
	KT_ASSERT_EQ(bad_pagemap, 0);
	printf("\n  direct map: %lu DMA, %lu DMA32, %lu Normal pages by physical address\n",
	       per_zone[ZONE_DMA], per_zone[ZONE_DMA32], per_zone[ZONE_NORMAL]);
}

/*
 * Blocks of order 9 and 10 are physically contiguous: first and last page
 * differ by (2^order - 1) pages, as page_to_phys() and the kernel's
 * pagemap both say.
 */
static void check_contiguous(unsigned int order)
{
	struct kt_blocks held = { 0 };
	unsigned long bad = 0, bad_pagemap = 0, n = 0;
	int nid, z;
	size_t i;

	for (nid = 0; nid < NR_NODES; nid++) {
		for (z = ZONE_DMA; z <= ZONE_NORMAL; z++) {
			struct page *p;

			while ((p = alloc_pages_node(nid, GFP_KERNEL | __GFP_THISNODE |
						     __GFP_MEMALLOC | __GFP_NOWARN |
						     (z == ZONE_DMA ? GFP_DMA : z == ZONE_DMA32 ?
						      GFP_DMA32 : 0), order)))
				kt_blocks_add(&held, p, order);
		}
	}
	for (i = 0; i < held.n; i++) {
		struct page *first = held.page[i], *last = first + (1UL << order) - 1;
		phys_addr_t pf = page_to_phys(first), pl = page_to_phys(last);
		unsigned long k;

		n++;
		if (pl - pf != ((1UL << order) - 1) * PAGE_SIZE) {
			if (bad++ < 5)
				fprintf(stderr, "  order-%u block at pfn %lu: phys %#llx .. %#llx\n",
					order, page_to_pfn(first), (unsigned long long)pf,
					(unsigned long long)pl);
		}
		for (k = 0; k < (1UL << order); k += 511)
			bad_pagemap += pagemap_phys(page_address(first + k)) != page_to_phys(first + k);
		bad_pagemap += pagemap_phys(page_address(last)) != pl;
		bad_pagemap += pf & ((PAGE_SIZE << (order < 9 ? order : 9)) - 1) ? 1 : 0;
	}
	if (order <= 9) {
		CU_ASSERT(n > 0);
	} else if (!n) {
		printf("\n  (no two huge pages of the pool are physically adjacent here: "
		       "no order-%u block exists to check) ", order);
	}
	KT_ASSERT_EQ(bad, 0);
	KT_ASSERT_EQ(bad_pagemap, 0);
	kt_blocks_release(&held);
	kmem_drain_all_pages();
}

static void test_order9_contiguous(void)
{
	check_contiguous(9);
	check_contiguous(4);
}

static void test_order10_contiguous(void)
{
	check_contiguous(10);
}

/*
 * HighMem is virtually contiguous only and has no physical addresses:
 * splitting an order-10 HighMem block and freeing the halves must give the
 * order-10 block back, physical addresses known or not.
 */
static void test_highmem_remerges(void)
{
	struct kmem_zone_stats before, after;
	struct page *p, *big;
	int nid;

	kmem_drain_all_pages();
	for (nid = 0; nid < NR_NODES; nid++) {
		kmem_zone_stats(nid, ZONE_HIGHMEM, &before);
		CU_ASSERT_FATAL(before.nr_free[MAX_PAGE_ORDER] > 0);
		p = alloc_pages_node(nid, GFP_HIGHUSER | __GFP_THISNODE, 9);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		KT_ASSERT_EQ(page_zonenum(p), ZONE_HIGHMEM);
		__free_pages(p, 9);
		kmem_zone_stats(nid, ZONE_HIGHMEM, &after);
		KT_ASSERT_EQ(after.nr_free[MAX_PAGE_ORDER], before.nr_free[MAX_PAGE_ORDER]);
		KT_ASSERT_EQ(after.nr_free[9], before.nr_free[9]);
		/* the whole 4 MiB pool: only a no-watermark request may take it all */
		big = alloc_pages_node(nid, GFP_HIGHUSER | __GFP_THISNODE | __GFP_NOWARN |
				       __GFP_MEMALLOC, MAX_PAGE_ORDER);
		CU_ASSERT_PTR_NOT_NULL(big);
		if (big)
			__free_pages(big, MAX_PAGE_ORDER);
	}
}

static void test_split_merge(void)
{
	kt_check_split_merge();
}

/* kmem_exit() gives every huge page back. */
static void test_exit_releases(void)
{
	kmem_exit();
	KT_ASSERT_EQ(meminfo("HugePages_Free"), hp_free_before_init);
	KT_ASSERT_EQ_FATAL(kt_init("fake_numa=2,direct_mb=32,highmem_mb=4,hugepages=require"), 0);
}

static void test_phys_mode(void)
{
	struct kmem_info info;

	CU_ASSERT_EQUAL_FATAL(kmem_get_info(&info), 0);
	CU_ASSERT(info.hugetlb);
	CU_ASSERT(info.phys_real);
	test_zone_by_phys();
}

/*
 * GFP_DMA / GFP_DMA32 pages really lie below 16 MiB / 4 GiB, by the
 * kernel's pagemap; where this machine's huge pages have no such memory the
 * zone is empty and the request fails at once, as on such a machine.
 */
static void test_dma_placement(void)
{
	static const struct { gfp_t gfp; int zone; uint64_t limit; } req[] = {
		{ GFP_KERNEL | GFP_DMA, ZONE_DMA, SZ_16M },
		{ GFP_KERNEL | GFP_DMA32, ZONE_DMA32, SZ_4G },
	};
	unsigned int i, k;

	for (i = 0; i < 2; i++) {
		struct kmem_zone_stats st;
		uint64_t present = 0;
		int nid;

		for (nid = 0; nid < NR_NODES; nid++) {
			kmem_zone_stats(nid, req[i].zone, &st);
			present += st.present;
			if (req[i].zone == ZONE_DMA32) {
				kmem_zone_stats(nid, ZONE_DMA, &st);
				present += st.present;
			}
		}
		for (k = 0; k < 4; k++) {
			struct page *page = alloc_pages(req[i].gfp | __GFP_NOWARN | __GFP_NORETRY, k);

			if (!present) {
				CU_ASSERT_PTR_NULL(page);
				continue;
			}
			if (!page)
				continue;	/* the zone may be small: nothing to check */
			for (unsigned int j = 0; j < (1u << k); j++) {
				uint64_t real = pagemap_phys(page_address(page + j));

				CU_ASSERT(real != 0 && real < req[i].limit);
				KT_ASSERT_EQ(page_to_phys(page + j), real);
			}
			__free_pages(page, k);
		}
	}
}

/* Emulated zones on hugetlb: labels only, so no real address is reported. */
static void test_emulated_on_hugetlb(void)
{
	struct kmem_info info;
	struct kmem_zone_stats st;
	struct page *page;

	CU_ASSERT_EQUAL_FATAL(kmem_get_info(&info), 0);
	CU_ASSERT(info.hugetlb);
	CU_ASSERT(!info.phys_real);
	CU_ASSERT(info.iova_va);
	CU_ASSERT(info.zones_emulated);
	kmem_zone_stats(0, ZONE_DMA, &st);
	KT_ASSERT_EQ(st.present, 4 * 256);
	kmem_zone_stats(0, ZONE_DMA32, &st);
	KT_ASSERT_EQ(st.present, 8 * 256);
	page = alloc_pages(GFP_KERNEL | GFP_DMA32, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(page);
	KT_ASSERT_EQ(page_zonenum(page), ZONE_DMA32);
	KT_ASSERT_EQ(page_to_phys(page), (uintptr_t)page_address(page));
	__free_pages(page, 0);
}

/*
 * On hugetlb only HighMem can back vmalloc pages (a huge page cannot be
 * mapped 4 KiB at a time): what fits there is promised and touched, more
 * than HighMem has is NULL with the report, never a fault later.
 */
static void test_vmalloc_highmem_only(void)
{
	const unsigned long small = 2UL << 20, big = 4UL * NR_NODES << 20;
	struct kmem_vmalloc_stats st;
	unsigned char *p;
	unsigned long off;

	p = vmalloc(small);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	for (off = 0; off < small; off += PAGE_SIZE)
		p[off] = 1;
	for (off = 0; off < small; off += PAGE_SIZE)
		KT_ASSERT_EQ(page_zonenum(vmalloc_to_page(p + off)), ZONE_HIGHMEM);
	vfree(p);
	kt_capture_start();
	CU_ASSERT_PTR_NULL(vmalloc(big));
	CU_ASSERT(kt_captured("vmalloc error: size"));
	kt_capture_stop();
	kmem_vmalloc_stats(&st);
	KT_ASSERT_EQ(st.charged_all, 0);
}

static int suite_init_emulate(void)
{
	return kt_init("fake_numa=2,direct_mb=32,highmem_mb=4,hugepages=require,zones=emulate,"
		       "dma_mb=4,dma32_mb=8");
}

static const struct kt_test tests[] = {
	KT_TEST(test_info),
	KT_TEST(test_order10_contiguous),	/* first: on the free lists init built */
	KT_TEST(test_prefaulted),
	KT_TEST(test_phys_consecutive),
	KT_TEST(test_highmem_pseudo),
	KT_TEST(test_highmem_remerges),
	KT_TEST(test_zone_by_phys),
	KT_TEST(test_dma_placement),
	KT_TEST(test_vmalloc_highmem_only),
	KT_TEST(test_order9_contiguous),
	KT_TEST(test_split_merge),
	KT_TEST(test_exit_releases),
	KT_END,
};

static const struct kt_test phys_tests[] = {
	KT_TEST(test_phys_mode),
	KT_TEST(test_order10_contiguous),
	KT_END,
};

static const struct kt_suite suite = { "hugetlb", suite_init, suite_exit, tests };
static const struct kt_suite phys_suite = { "hugetlb_zones_phys", suite_init_phys, suite_exit,
					    phys_tests };
static const struct kt_test emulate_tests[] = {
	KT_TEST(test_emulated_on_hugetlb),
	KT_END,
};

static const struct kt_suite emulate_suite = { "hugetlb_zones_emulate", suite_init_emulate,
					       suite_exit, emulate_tests };
static const struct kt_suite *const suites[] = { &suite, &phys_suite, &emulate_suite, NULL };

int main(int argc, char **argv)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGSEGV, SIGBUS, SIGABRT, SIGFPE };
	char buf[32];
	long old, have;
	ssize_t n;
	unsigned int i;

	if (geteuid() != 0) {
		printf("SKIPPED: needs root to reserve huge pages and read physical addresses\n");
		return 0;
	}
	pool_fd = open(NR_HUGEPAGES, O_RDWR | O_CLOEXEC);
	if (pool_fd < 0) {
		printf("SKIPPED: cannot open %s for writing: %s\n", NR_HUGEPAGES, strerror(errno));
		return 0;
	}
	n = pread(pool_fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0) {
		printf("SKIPPED: cannot read %s\n", NR_HUGEPAGES);
		return 0;
	}
	buf[n] = '\0';
	old = strtol(buf, NULL, 10);
	pool_old_len = (size_t)snprintf(pool_old, sizeof(pool_old), "%ld\n", old);
	atexit(pool_restore);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], pool_restore_on_signal);

	n = snprintf(buf, sizeof(buf), "%ld\n", old + HPAGES_EXTRA);
	if (pwrite(pool_fd, buf, (size_t)n, 0) != n) {
		printf("SKIPPED: cannot raise %s: %s\n", NR_HUGEPAGES, strerror(errno));
		return 0;
	}
	have = read_long(FREE_HUGEPAGES);
	if (have < HPAGES_NEEDED) {
		printf("SKIPPED: asked the kernel for %d more 2 MiB huge pages, only %ld are free "
		       "(%d needed)\n", HPAGES_EXTRA, have, HPAGES_NEEDED);
		return 0;
	}
	return kt_main(argc, argv, suites);
}
