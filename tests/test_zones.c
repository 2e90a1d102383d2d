// SPDX-License-Identifier: MIT
/*
 * Zones where physical addresses are not pinned: the shared-memory
 * fallback (hugepages=never).  No page may be in DMA or DMA32 there unless
 * emulated zones are asked for, GFP_DMA / GFP_DMA32 then fail as on a
 * machine without such memory, and page_to_phys() is IOVA as VA.  As root
 * the pages' real addresses are read from /proc/self/pagemap to show what
 * a zone by address would have promised and could not keep.
 * (The hugetlb side, zones by real address, is tests/test_hugetlb.c.)
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "internal.h"
#include "kunit.h"

#define FALLBACK	"fake_numa=2,direct_mb=32,highmem_mb=4,hugepages=never"
#define EMULATE		FALLBACK ",zones=emulate,dma_mb=4,dma32_mb=8"
#define SZ_16M		(16ULL << 20)
#define SZ_4G		(4ULL << 30)

/* Physical address of @addr from /proc/self/pagemap, 0 if hidden or not present. */
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
	return (entry & ((1ULL << 55) - 1)) * PAGE_SIZE;
}

static int suite_init_fallback(void)
{
	return kt_init(FALLBACK);
}

static int suite_init_emulate(void)
{
	return kt_init(EMULATE);
}

static int suite_exit(void)
{
	kmem_exit();
	return 0;
}

static uint64_t zone_present(int zone)
{
	struct kmem_info info;
	struct kmem_zone_stats st;
	uint64_t n = 0;
	int nid;

	kmem_get_info(&info);
	for (nid = 0; nid < (int)info.nr_nodes; nid++)
		if (!kmem_zone_stats(nid, zone, &st))
			n += st.present;
	return n;
}

/* Every direct-map page is Normal, whatever the kernel placed it at. */
static void test_no_dma_zones(void)
{
	struct kmem_info info;
	unsigned long pfn, not_normal = 0, below_4g = 0, seen = 0;

	CU_ASSERT_EQUAL_FATAL(kmem_get_info(&info), 0);
	CU_ASSERT(!info.hugetlb);
	CU_ASSERT(!info.phys_real);
	CU_ASSERT(info.iova_va);
	CU_ASSERT(!info.zones_emulated);
	KT_ASSERT_EQ(zone_present(ZONE_DMA), 0);
	KT_ASSERT_EQ(zone_present(ZONE_DMA32), 0);
	for (pfn = 0; pfn < info.total_pages; pfn++) {
		struct page *page = pfn_to_page(pfn);
		enum zone_type z = page_zonenum(page);
		uint64_t real;

		not_normal += z == ZONE_DMA || z == ZONE_DMA32;
		/* IOVA as VA: the value is the address, the same in every process */
		CU_ASSERT(page_to_phys(page) == (uintptr_t)page_address(page));
		if (pfn & 255 || z != ZONE_NORMAL)
			continue;
		/* the direct map was faulted in at init, so pagemap knows (as root) */
		real = pagemap_phys(page_address(page));
		seen += real != 0;
		below_4g += real && real < SZ_4G;
	}
	KT_ASSERT_EQ(not_normal, 0);
	if (geteuid() == 0)
		CU_ASSERT(seen > 0);
	printf("\n  %lu sampled Normal pages, %lu of them below 4 GiB physical (unpinned: no zone "
	       "may say so)\n", seen, below_4g);
}

/* GFP_DMA / GFP_DMA32: no zone at or below them, so NULL at once, with the report. */
static void test_dma_requests_fail(void)
{
	struct kmem_reclaim_stats r0, r1;
	struct page *page;
	void *obj;

	kmem_get_reclaim_stats(0, &r0);
	kt_capture_start();
	page = alloc_pages(GFP_KERNEL | GFP_DMA32, 0);
	CU_ASSERT_PTR_NULL(page);
	CU_ASSERT(kt_captured("page allocation failure: order:0"));
	CU_ASSERT(kt_captured("GFP_DMA32"));
	kt_capture_stop();

	kt_capture_start();
	CU_ASSERT_PTR_NULL(alloc_pages(GFP_KERNEL | GFP_DMA | __GFP_NOWARN, 2));
	KT_ASSERT_EQ(kt_captured_count(), 0);
	kt_capture_stop();

	obj = kmalloc(64, GFP_KERNEL | GFP_DMA | __GFP_NOWARN);
	CU_ASSERT_PTR_NULL(obj);
	kfree(obj);
	/* nothing to reclaim for: the kernel's "goto nopage" skips reclaim */
	kmem_get_reclaim_stats(0, &r1);
	KT_ASSERT_EQ(r1.allocstall, r0.allocstall);

	/* the zones below Normal being empty changes nothing for others */
	page = alloc_pages(GFP_KERNEL, 3);
	CU_ASSERT_PTR_NOT_NULL_FATAL(page);
	KT_ASSERT_EQ(page_zonenum(page), ZONE_NORMAL);
	__free_pages(page, 3);
}

/* zones=emulate: the labels are there for zone logic, and say so. */
static void test_emulated(void)
{
	struct kmem_info info;
	struct page *dma, *dma32;

	CU_ASSERT_EQUAL_FATAL(kmem_get_info(&info), 0);
	CU_ASSERT(info.zones_emulated);
	CU_ASSERT(info.iova_va);
	CU_ASSERT(!info.phys_real);
	KT_ASSERT_EQ(zone_present(ZONE_DMA), 4 * 256);
	KT_ASSERT_EQ(zone_present(ZONE_DMA32), 8 * 256);
	dma = alloc_pages(GFP_KERNEL | GFP_DMA, 1);
	dma32 = alloc_pages(GFP_KERNEL | GFP_DMA32, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dma);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dma32);
	KT_ASSERT_EQ(page_zonenum(dma), ZONE_DMA);
	KT_ASSERT_EQ(page_zonenum(dma32), ZONE_DMA32);
	/* never a physical address beside an emulated zone */
	KT_ASSERT_EQ(page_to_phys(dma), (uintptr_t)page_address(dma));
	KT_ASSERT_EQ(page_to_phys(dma32 + 1), (uintptr_t)page_address(dma32 + 1));
	__free_pages(dma, 1);
	__free_pages(dma32, 1);
}

/* Emulated zones are validated: they must fit in node 0's direct map. */
static void test_emulate_validated(void)
{
	struct kmem_options o;
	char err[128];

	kmem_exit();
	kmem_options_init(&o);
	CU_ASSERT_EQUAL(kmem_options_parse(&o, FALLBACK ",zones=emulate,dma_mb=16,dma32_mb=17",
					   err, sizeof(err)), 0);
	kt_capture_start();
	KT_ASSERT_EQ(kmem_init(&o), -EINVAL);
	CU_ASSERT(kt_captured("zones=emulate"));
	kt_capture_stop();
	CU_ASSERT_EQUAL(kmem_options_parse(&o, "zones=emulated", err, sizeof(err)), -EINVAL);
	KT_ASSERT_EQ_FATAL(kt_init(EMULATE), 0);
}

static const struct kt_test fallback_tests[] = {
	KT_TEST(test_no_dma_zones),
	KT_TEST(test_dma_requests_fail),
	KT_END,
};

static const struct kt_test emulate_tests[] = {
	KT_TEST(test_emulated),
	KT_TEST(test_emulate_validated),
	KT_END,
};

static const struct kt_suite fallback = { "zones_fallback", suite_init_fallback, suite_exit,
					  fallback_tests };
static const struct kt_suite emulate = { "zones_emulated", suite_init_emulate, suite_exit,
					 emulate_tests };
static const struct kt_suite *const suites[] = { &fallback, &emulate, NULL };

int main(int argc, char **argv)
{
	return kt_main(argc, argv, suites);
}
