// SPDX-License-Identifier: MIT
/*
 * Allocation failure reports in the kernel's words: the %pGg flag names
 * (__kmem_format_gfp), warn_alloc()'s "page allocation failure" line, stack
 * and zone state, slab_out_of_memory()'s "SLUB: Unable to allocate memory",
 * __GFP_NOWARN and the rate limit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/topology.h>

#include "internal.h"
#include "kunit.h"

/* node 0 = DMA 4M | DMA32 8M | Normal 20M, node 1 = Normal 32M; 8M HighMem each */
#define CARVE_OPTS	"zones=carve,fake_numa=2,direct_mb=32,dma_mb=4,dma32_mb=8,highmem_mb=8,hugepages=never"

static int report_init(void)
{
	return kt_init(CARVE_OPTS);
}

static int report_exit(void)
{
	kt_capture_stop();
	kt_unpin();
	kmem_exit();
	return 0;
}

/* ------------------------------------------------------------------ */
/* %pGg                                                                */
/* ------------------------------------------------------------------ */

static void check_gfp(gfp_t gfp, const char *expected)
{
	char buf[256];

	__kmem_format_gfp(gfp, buf, sizeof(buf));
	if (strcmp(buf, expected))
		fprintf(stderr, "gfp %#x: \"%s\", expected \"%s\"\n", (unsigned int)gfp, buf,
			expected);
	CU_ASSERT_STRING_EQUAL(buf, expected);
}

/* The values are the kernel's: a mode:0x... from a kmem report reads the same there. */
static void test_gfp_values(void)
{
	KT_ASSERT_EQ(GFP_KERNEL, 0xcc0);
	KT_ASSERT_EQ(GFP_ATOMIC, 0x820);
	KT_ASSERT_EQ(GFP_NOWAIT, 0x2800);
	KT_ASSERT_EQ(GFP_KERNEL_ACCOUNT, 0x400cc0);
	KT_ASSERT_EQ(GFP_USER, 0x100cc0);
	KT_ASSERT_EQ(GFP_HIGHUSER_MOVABLE, 0x100cca);
	KT_ASSERT_EQ(__GFP_ZERO, 0x100);
	KT_ASSERT_EQ(__GFP_NOWARN, 0x2000);
	KT_ASSERT_EQ(__GFP_THISNODE, 0x200000);
}

static void test_gfp_names(void)
{
	check_gfp(GFP_KERNEL, "GFP_KERNEL");
	check_gfp(GFP_ATOMIC, "GFP_ATOMIC");
	check_gfp(GFP_NOWAIT, "GFP_NOWAIT");
	check_gfp(GFP_NOIO, "GFP_NOIO");
	check_gfp(GFP_NOFS, "GFP_NOFS");
	check_gfp(GFP_USER, "GFP_USER");
	check_gfp(GFP_KERNEL_ACCOUNT, "GFP_KERNEL_ACCOUNT");
	check_gfp(GFP_HIGHUSER, "GFP_HIGHUSER");
	check_gfp(GFP_HIGHUSER_MOVABLE, "GFP_HIGHUSER_MOVABLE");
	check_gfp(GFP_TRANSHUGE, "GFP_TRANSHUGE");
	check_gfp(GFP_TRANSHUGE_LIGHT, "GFP_TRANSHUGE_LIGHT");
	check_gfp(GFP_DMA, "GFP_DMA");
	check_gfp(GFP_DMA32, "GFP_DMA32");
	/* GFP_NOIO is exactly __GFP_RECLAIM, and comes first, as in the kernel */
	check_gfp(__GFP_RECLAIM, "GFP_NOIO");
	check_gfp(__GFP_HIGHMEM, "__GFP_HIGHMEM");
	check_gfp(__GFP_DIRECT_RECLAIM, "__GFP_DIRECT_RECLAIM");
	check_gfp(__GFP_KSWAPD_RECLAIM, "__GFP_KSWAPD_RECLAIM");
}

/* Largest combination first, then the single bits left, in bit order. */
static void test_gfp_combinations(void)
{
	check_gfp(GFP_KERNEL | __GFP_ZERO, "GFP_KERNEL|__GFP_ZERO");
	check_gfp(GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN, "GFP_KERNEL|__GFP_ZERO|__GFP_NOWARN");
	check_gfp(__GFP_NOWARN | GFP_KERNEL | __GFP_ZERO, "GFP_KERNEL|__GFP_ZERO|__GFP_NOWARN");
	check_gfp(GFP_ATOMIC | __GFP_NOWARN, "GFP_ATOMIC|__GFP_NOWARN");
	check_gfp(GFP_NOWAIT | __GFP_ZERO, "GFP_NOWAIT|__GFP_ZERO");
	check_gfp(GFP_KERNEL | __GFP_NOFAIL, "GFP_KERNEL|__GFP_NOFAIL");
	check_gfp(GFP_KERNEL | __GFP_NORETRY | __GFP_THISNODE,
		  "GFP_KERNEL|__GFP_NORETRY|__GFP_THISNODE");
	check_gfp(GFP_KERNEL | GFP_DMA, "GFP_KERNEL|GFP_DMA");
	check_gfp(GFP_KERNEL | GFP_DMA32 | __GFP_COMP, "GFP_KERNEL|GFP_DMA32|__GFP_COMP");
	check_gfp(GFP_ATOMIC | __GFP_HIGHMEM, "GFP_ATOMIC|__GFP_HIGHMEM");
	check_gfp(GFP_KERNEL | __GFP_RETRY_MAYFAIL | __GFP_ACCOUNT,
		  "GFP_KERNEL_ACCOUNT|__GFP_RETRY_MAYFAIL");
	check_gfp(__GFP_HIGH | __GFP_MEMALLOC | __GFP_NOMEMALLOC,
		  "__GFP_HIGH|__GFP_MEMALLOC|__GFP_NOMEMALLOC");
	check_gfp(GFP_USER | __GFP_WRITE | __GFP_ZEROTAGS, "GFP_USER|__GFP_WRITE|__GFP_ZEROTAGS");
}

/* What no name covers is printed as 0x..., as format_flags() does. */
static void test_gfp_unknown_bits(void)
{
	char small[8];

	check_gfp(0, "");
	check_gfp((__force gfp_t)0x200, "0x200");		/* ___GFP_UNUSED_BIT */
	check_gfp(GFP_KERNEL | (__force gfp_t)0x200, "GFP_KERNEL|0x200");
	check_gfp((__force gfp_t)(1u << 24), "0x1000000");
	check_gfp(GFP_ATOMIC | (__force gfp_t)0xff000000, "GFP_ATOMIC|0xff000000");
	/* cut short, still a string */
	CU_ASSERT_STRING_EQUAL(__kmem_format_gfp(GFP_KERNEL | __GFP_ZERO, small, sizeof(small)),
			       "GFP_KER");
	CU_ASSERT_PTR_EQUAL(__kmem_format_gfp(GFP_KERNEL, small, 0), small);
}

/* ------------------------------------------------------------------ */
/* warn_alloc                                                          */
/* ------------------------------------------------------------------ */

static const char *comm(void)
{
	static char name[17];

	if (!name[0])
		prctl(PR_GET_NAME, name);
	return name;
}

/* Node 1 has no DMA zone: with __GFP_THISNODE nothing can serve it. */
#define UNSATISFIABLE_GFP	(GFP_KERNEL | __GFP_NORETRY | GFP_DMA | __GFP_THISNODE)

static void test_report_first_line(void)
{
	char line[512];

	__kmem_warn_alloc_ratelimit_reset();
	kt_capture_start();
	CU_ASSERT_PTR_NULL(alloc_pages_node(1, UNSATISFIABLE_GFP, 0));
	snprintf(line, sizeof(line),
		 "%s: page allocation failure: order:0, mode:0x210cc1(GFP_KERNEL|GFP_DMA|"
		 "__GFP_NORETRY|__GFP_THISNODE), nodemask=(null),cpuset=/,mems_allowed=0-1\n",
		 comm());
	if (strncmp(kt_captured_text(), line, strlen(line)))
		fprintf(stderr, "got:\n%s\nexpected first line:\n%s", kt_captured_text(), line);
	CU_ASSERT(!strncmp(kt_captured_text(), line, strlen(line)));

	/* the order is the one asked for */
	kt_capture_start();
	CU_ASSERT_PTR_NULL(alloc_pages_node(1, GFP_ATOMIC | GFP_DMA | __GFP_THISNODE, 3));
	snprintf(line, sizeof(line),
		 "%s: page allocation failure: order:3, mode:0x200821(GFP_ATOMIC|GFP_DMA|"
		 "__GFP_THISNODE), nodemask=(null),cpuset=/,mems_allowed=0-1\n", comm());
	CU_ASSERT(!strncmp(kt_captured_text(), line, strlen(line)));
	kt_capture_stop();
}

/* dump_stack(): who failed, and the call chain that got there. */
static void test_report_stack(void)
{
	char line[128];

	int cpus[1];

	/* pinned, so that the CPU the report names is the one read here */
	CU_ASSERT_FATAL(kt_cpus(cpus, 1) == 1 && kt_pin(cpus[0]) == 0);
	__kmem_warn_alloc_ratelimit_reset();
	kt_capture_start();
	CU_ASSERT_PTR_NULL(alloc_pages_node(1, UNSATISFIABLE_GFP, 0));
	snprintf(line, sizeof(line), "\nCPU: %d PID: %d Comm: %s\n", raw_smp_processor_id(),
		 (int)gettid(), comm());
	CU_ASSERT(kt_captured(line));
	CU_ASSERT(kt_captured("\nCall Trace:\n <TASK>\n"));
	CU_ASSERT(kt_captured(" </TASK>\nMem-Info:\n"));
	/* frames are named by symbol where there is one, else by file and offset */
	CU_ASSERT(kt_captured(" <TASK>\n test_alloc_report+0x"));
	CU_ASSERT(kt_captured("\n __libc_start_main+0x"));
	kt_capture_stop();
	kt_unpin();
}

/* The kernel's show_free_areas() lines, rebuilt here from kmem_zone_stats(). */
static void zone_lines(int nid, int z, char *zone_line, size_t zlen, char *reserve_line,
		       size_t rlen, char *area_line, size_t alen)
{
	struct kmem_zone_stats st;
	unsigned long long total = 0;
	size_t used;
	int o;

	CU_ASSERT_FATAL(kmem_zone_stats(nid, z, &st) == 0);
	snprintf(zone_line, zlen,
		 "Node %d %s free:%llukB boost:0kB min:%llukB low:%llukB high:%llukB "
		 "present:%llukB managed:%llukB free_pcp:%llukB local_pcp:0kB\n", nid, st.name,
		 (unsigned long long)st.free_pages * 4, (unsigned long long)st.min * 4,
		 (unsigned long long)st.low * 4, (unsigned long long)st.high * 4,
		 (unsigned long long)st.present * 4, (unsigned long long)st.managed * 4,
		 (unsigned long long)st.pcp_count * 4);
	snprintf(reserve_line, rlen, "\nlowmem_reserve[]: %llu %llu %llu %llu\n",
		 (unsigned long long)st.protection[0], (unsigned long long)st.protection[1],
		 (unsigned long long)st.protection[2], (unsigned long long)st.protection[3]);
	used = (size_t)snprintf(area_line, alen, "\nNode %d %s: ", nid, st.name);
	for (o = 0; o < 11; o++) {
		used += (size_t)snprintf(area_line + used, alen - used, "%llu*%lukB %s",
					 (unsigned long long)st.nr_free[o], 4UL << o,
					 st.nr_free[o] ? "(U) " : "");
		total += st.nr_free[o] << o;
	}
	snprintf(area_line + used, alen - used, "= %llukB\n", total * 4);
}

static void test_report_zones(void)
{
	char zone_line[512], reserve_line[128], area_line[512], *zone_at, *area_at;

	__kmem_warn_alloc_ratelimit_reset();
	kmem_drain_all_pages();
	kt_capture_start();
	CU_ASSERT_PTR_NULL(alloc_pages_node(1, UNSATISFIABLE_GFP, 0));
	kt_capture_stop();
	CU_ASSERT(kt_captured("\nMem-Info:\nfree:"));

	/* GFP_DMA: only the DMA zone, the highest the request may use */
	zone_lines(0, ZONE_DMA, zone_line, sizeof(zone_line), reserve_line, sizeof(reserve_line),
		   area_line, sizeof(area_line));
	zone_at = strstr(kt_captured_text(), zone_line);
	area_at = strstr(kt_captured_text(), area_line);
	if (!zone_at || !area_at)
		fprintf(stderr, "report:\n%s\nexpected:\n%s%s%s", kt_captured_text(), zone_line,
			reserve_line + 1, area_line + 1);
	CU_ASSERT_PTR_NOT_NULL(zone_at);
	CU_ASSERT(zone_at && !strncmp(zone_at + strlen(zone_line), reserve_line + 1,
				      strlen(reserve_line) - 1));
	CU_ASSERT_PTR_NOT_NULL(area_at);
	CU_ASSERT(zone_at && area_at && zone_at < area_at);
	CU_ASSERT(!kt_captured("DMA32"));
	CU_ASSERT(!kt_captured("Normal"));
	CU_ASSERT(!kt_captured("HighMem free:"));
	CU_ASSERT(kt_captured("pages RAM\n"));
	CU_ASSERT(kt_captured("pages HighMem/MovableOnly\n"));
	CU_ASSERT(kt_captured("pages reserved\n"));

	/* GFP_DMA32: DMA and DMA32, of every node that has them */
	kt_capture_start();
	CU_ASSERT_PTR_NULL(alloc_pages_node(1, GFP_ATOMIC | GFP_DMA32 | __GFP_THISNODE, 0));
	kt_capture_stop();
	CU_ASSERT(kt_captured("\nNode 0 DMA free:"));
	CU_ASSERT(kt_captured("\nNode 0 DMA32 free:"));
	CU_ASSERT(kt_captured("\nNode 0 DMA: "));
	CU_ASSERT(kt_captured("\nNode 0 DMA32: "));
	CU_ASSERT(!kt_captured("Normal"));
	zone_lines(0, ZONE_DMA32, zone_line, sizeof(zone_line), reserve_line,
		   sizeof(reserve_line), area_line, sizeof(area_line));
	CU_ASSERT(kt_captured(zone_line));
	CU_ASSERT(kt_captured(area_line));
}

/* __GFP_HIGHMEM allows every zone: HighMem and Normal of both nodes are shown. */
static void test_report_highmem_zones(void)
{
	struct kt_blocks held = { 0 };

	/* empty node 1, Normal first: a HighMem request may fall back to it */
	kt_exhaust_zone(1, ZONE_NORMAL, &held);
	kt_exhaust_zone(1, ZONE_HIGHMEM, &held);
	__kmem_warn_alloc_ratelimit_reset();
	kt_capture_start();
	CU_ASSERT_PTR_NULL(alloc_pages_node(1, GFP_ATOMIC | __GFP_HIGHMEM | __GFP_THISNODE, 0));
	kt_capture_stop();
	CU_ASSERT(kt_captured("order:0, mode:0x200822(GFP_ATOMIC|__GFP_HIGHMEM|__GFP_THISNODE),"));
	CU_ASSERT(kt_captured("\nNode 0 Normal free:"));
	CU_ASSERT(kt_captured("\nNode 0 HighMem free:"));
	CU_ASSERT(kt_captured("\nNode 1 Normal free:0kB "));
	CU_ASSERT(kt_captured("\nNode 1 HighMem free:0kB "));
	CU_ASSERT(kt_captured("\nNode 1 HighMem: 0*4kB 0*8kB "));
	CU_ASSERT(kt_captured(" 0*4096kB = 0kB\n"));
	kt_blocks_free(&held, NULL);
	kt_blocks_release(&held);
}

static void test_report_nowarn(void)
{
	__kmem_warn_alloc_ratelimit_reset();
	kt_capture_start();
	CU_ASSERT_PTR_NULL(alloc_pages_node(1, UNSATISFIABLE_GFP | __GFP_NOWARN, 0));
	CU_ASSERT_PTR_NULL(alloc_pages_node(1, GFP_ATOMIC | GFP_DMA | __GFP_THISNODE |
					    __GFP_NOWARN, 2));
	/* GFP_NOWAIT carries __GFP_NOWARN */
	CU_ASSERT_PTR_NULL(alloc_pages_node(1, GFP_NOWAIT | GFP_DMA | __GFP_THISNODE, 0));
	KT_ASSERT_EQ(kt_captured_count(), 0);
	kt_capture_stop();
}

/* nopage_rs: 10 reports, then silence until 5 seconds have passed. */
static void test_report_ratelimit(void)
{
	const char *p;
	unsigned int i, n = 0;

	__kmem_warn_alloc_ratelimit_reset();
	kt_capture_start();
	for (i = 0; i < 25; i++)
		CU_ASSERT_PTR_NULL(alloc_pages_node(1, UNSATISFIABLE_GFP, 0));
	kt_capture_stop();
	for (p = kt_captured_text(); (p = strstr(p, "page allocation failure")); p++)
		n++;
	/* 10, unless the loop outlasted the 5 seconds: never all 25 */
	CU_ASSERT(n >= 10 && n < 25);
	if (n != 10)
		fprintf(stderr, "ratelimit: %u reports of 25 (a slow machine?)\n", n);
	/* the rest are failures all the same */
	__kmem_warn_alloc_ratelimit_reset();
}

/* ------------------------------------------------------------------ */
/* slab_out_of_memory                                                  */
/* ------------------------------------------------------------------ */

/* A SLAB_CACHE_DMA cache with ZONE_DMA empty cannot get a slab. */
static void test_slab_oom_report(void)
{
	struct kt_blocks held = { 0 };
	struct kmem_cache *s = kmem_cache_create("oom_dma", 100, 0, SLAB_CACHE_DMA, NULL);
	struct kmem_cache_stats cst;
	char line[256];

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_FATAL(kmem_cache_get_stats(s, &cst) == 0);
	kt_exhaust_zone(0, ZONE_DMA, &held);
	kt_capture_start();
	CU_ASSERT_PTR_NULL(kmem_cache_alloc(s, GFP_ATOMIC));
	kt_capture_stop();
	CU_ASSERT(kt_captured("SLUB: Unable to allocate memory on node -1, gfp=0x820(GFP_ATOMIC)\n"));
	snprintf(line, sizeof(line), "\n  cache: oom_dma, object size: 100, buffer size: %u, "
		 "default order: %u, min order: %u\n", cst.objsize, cst.pagesperslab == 1 ? 0 :
		 (unsigned int)__builtin_ctz(cst.pagesperslab), cst.pagesperslab == 1 ? 0 :
		 (unsigned int)__builtin_ctz(cst.pagesperslab));
	CU_ASSERT(kt_captured(line));
	CU_ASSERT(kt_captured("\n  node 0: slabs: 0, objs: 0, free: 0\n"));
	CU_ASSERT(kt_captured("\n  node 1: slabs: 0, objs: 0, free: 0\n"));
	/* the page allocator's own report is not printed: new_slab() asks quietly */
	CU_ASSERT(!kt_captured("page allocation failure"));
	if (!kt_captured("SLUB"))
		fprintf(stderr, "captured: %s\n", kt_captured_text());

	kt_capture_start();
	CU_ASSERT_PTR_NULL(kmem_cache_alloc(s, GFP_ATOMIC | __GFP_NOWARN));
	CU_ASSERT_PTR_NULL(kmem_cache_alloc(s, GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN));
	KT_ASSERT_EQ(kt_captured_count(), 0);
	kt_capture_stop();

	kt_blocks_free(&held, NULL);
	kt_blocks_release(&held);
	kmem_cache_destroy(s);
}

/* The counts are the node's: its slabs, their objects, the free ones in partial slabs. */
static void test_slab_oom_counts(void)
{
	struct kt_blocks held = { 0 };
	/* a debug cache allocates straight from the slabs: no per-CPU caching */
	struct kmem_cache *s = kmem_cache_create("oom_counts", 1000, 0,
						 SLAB_CACHE_DMA | SLAB_RED_ZONE, NULL);
	struct kmem_cache_stats cst;
	void **objs;
	char line[128];
	unsigned int i, n = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	objs = calloc(4096, sizeof(*objs));
	CU_ASSERT_PTR_NOT_NULL_FATAL(objs);
	CU_ASSERT_PTR_NOT_NULL_FATAL(objs[n++] = kmem_cache_alloc_node(s, GFP_KERNEL, 0));
	CU_ASSERT_FATAL(kmem_cache_get_stats(s, &cst) == 0);
	KT_ASSERT_EQ(cst.num_slabs, 1);
	kt_exhaust_zone(0, ZONE_DMA, &held);
	/* fill the one slab; the next allocation needs a page that is not there */
	kt_capture_start();
	while (n < 4096 && (objs[n] = kmem_cache_alloc_node(s, GFP_ATOMIC, 0)))
		n++;
	kt_capture_stop();
	KT_ASSERT_EQ(n, cst.objperslab);
	CU_ASSERT(kt_captured("SLUB: Unable to allocate memory on node 0, gfp=0x820(GFP_ATOMIC)\n"));
	snprintf(line, sizeof(line), "\n  node 0: slabs: 1, objs: %u, free: 0\n", cst.objperslab);
	CU_ASSERT(kt_captured(line));
	CU_ASSERT(kt_captured("\n  node 1: slabs: 0, objs: 0, free: 0\n"));
	for (i = 0; i < n; i++)
		kmem_cache_free(s, objs[i]);
	free(objs);
	kt_blocks_free(&held, NULL);
	kt_blocks_release(&held);
	kmem_cache_destroy(s);
}

static const struct kt_test report_tests[] = {
	KT_TEST(test_gfp_values),
	KT_TEST(test_gfp_names),
	KT_TEST(test_gfp_combinations),
	KT_TEST(test_gfp_unknown_bits),
	KT_TEST(test_report_first_line),
	KT_TEST(test_report_stack),
	KT_TEST(test_report_zones),
	KT_TEST(test_report_highmem_zones),
	KT_TEST(test_report_nowarn),
	KT_TEST(test_report_ratelimit),
	KT_TEST(test_slab_oom_report),
	KT_TEST(test_slab_oom_counts),
	KT_END,
};

static const struct kt_suite report_suite = { "alloc_report", report_init, report_exit,
					      report_tests };
static const struct kt_suite *const suites[] = { &report_suite, NULL };

int main(int argc, char **argv) { return kt_main(argc, argv, suites); }
