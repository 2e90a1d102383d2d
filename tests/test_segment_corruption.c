// SPDX-License-Identifier: MIT
/*
 * The views kmemd runs on a segment a client may have corrupted
 * (libkmem/segment.c): white box, embedded.  Each test breaks one thing in
 * the shared segment or in a cache's struct, sends the control commands
 * that read it (daemon/ctl.c), expects an EUCLEAN error object naming what
 * was found, checks that a command not reading it still answers, and puts
 * the bytes back so that the rest and the teardown work.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <kmem/kmem.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include <unistd.h>

#include "ctl.h"
#include "os.h"
#include "kunit.h"
#include "internal.h"
#include "slab.h"

#define OPTS	"direct_mb=16,highmem_mb=8,hugepages=never,kswapd=on"

static int suite_init(void)
{
	return kt_init(OPTS);
}

static int suite_exit(void)
{
	kmem_exit();
	return 0;
}

/* The reply to {"cmd": @cmd}, parsed (json_decref() it). */
static json_t *ctl(const char *cmd)
{
	char req[128], *out;
	json_t *reply;

	snprintf(req, sizeof(req), "{\"cmd\": \"%s\"}", cmd);
	out = kmemd_ctl_handle(req, strlen(req));
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	reply = json_loads(out, 0, NULL);
	free(out);
	CU_ASSERT_FATAL(json_is_object(reply));
	return reply;
}

/* @cmd must fail with EUCLEAN and a message containing @what. */
static void expect_corrupt(const char *cmd, const char *what)
{
	json_t *reply = ctl(cmd);
	json_t *e = json_object_get(reply, "error");
	const char *code = json_string_value(json_object_get(e, "code"));
	const char *msg = json_string_value(json_object_get(e, "message"));

	if (!code || strcmp(code, "EUCLEAN") || !msg || !strstr(msg, what))
		fprintf(stderr, "%s: expected EUCLEAN with '%s', got %s\n", cmd, what,
			json_dumps(reply, 0));
	CU_ASSERT_PTR_NOT_NULL(code);
	if (code)
		CU_ASSERT_STRING_EQUAL(code, "EUCLEAN");
	CU_ASSERT(msg && strstr(msg, "shared segment corrupted") && strstr(msg, what));
	json_decref(reply);
}

static void expect_ok(const char *cmd)
{
	json_t *reply = ctl(cmd);

	if (json_object_get(reply, "error"))
		fprintf(stderr, "%s: %s\n", cmd, json_dumps(reply, 0));
	CU_ASSERT_PTR_NULL(json_object_get(reply, "error"));
	json_decref(reply);
}

/* The views touched by the caches: slabinfo (and its text) and meminfo. */
static void expect_slab_views_corrupt(const char *what)
{
	struct kmem_cache_stats st;
	unsigned int iter = 0;
	int ret;

	expect_corrupt("slabinfo", what);
	expect_corrupt("meminfo", what);
	while (!(ret = kmem_cache_stats_next(&iter, &st)))
		;
	CU_ASSERT_EQUAL(ret, -EUCLEAN);
	expect_ok("info");
	expect_ok("buddyinfo");
}

static void all_views_ok(void)
{
	static const char *const cmds[] = { "info", "buddyinfo", "zoneinfo", "watermarks",
					    "slabinfo", "meminfo", "numastat", "vmstat" };
	unsigned int i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		expect_ok(cmds[i]);
}

/* A cache slot in use (some kmalloc cache). */
static unsigned int some_cache(void)
{
	unsigned int i;

	for (i = 1; i < KMEM_MAX_CACHES; i++)
		if (kmem_mm.shm->caches[i])
			return i;
	CU_FAIL_FATAL("no cache");
	return 0;
}

static void test_caches_slot(void)
{
	static const u64 bad[] = {
		1ULL << 62,	/* far outside */
		8,		/* pfn 0: the start of the pfn space, DMA's first page */
		3,		/* misaligned */
	};
	unsigned int id = some_cache(), i;
	u64 saved = kmem_mm.shm->caches[id];
	char what[64];

	all_views_ok();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		kmem_mm.shm->caches[id] = bad[i];
		/* pfn 0 is in the direct map: then it is the struct that is wrong. */
		snprintf(what, sizeof(what), "caches[%u]", id);
		expect_slab_views_corrupt(what);
	}
	/* Pointing at another cache: the id does not match. */
	kmem_mm.shm->caches[id] = kmem_mm.shm->caches[id + 1] ?: kmem_mm.shm->caches[id - 1];
	if (kmem_mm.shm->caches[id]) {
		snprintf(what, sizeof(what), "caches[%u] at", id);
		expect_slab_views_corrupt(what);
	}
	kmem_mm.shm->caches[id] = saved;
	all_views_ok();
}

static void test_cache_fields(void)
{
	unsigned int id = some_cache();
	struct kmem_cache *s = cache_at(kmem_mm.shm->caches[id]);
	struct kmem_cache saved = *s;

	s->cpu_off = kmem_mm.mem_size + 4096;
	expect_slab_views_corrupt("cpu_off");
	*s = saved;
	s->node_off = ~0ULL - 4095;
	expect_slab_views_corrupt("node_off");
	*s = saved;
	s->objects = 100000;
	expect_slab_views_corrupt("objects of order");
	*s = saved;
	s->state = 77;
	expect_slab_views_corrupt("state 77");
	*s = saved;
	memset(s->name, 'x', sizeof(s->name));
	expect_slab_views_corrupt("name not terminated");
	*s = saved;
	all_views_ok();
}

/* A slab on a partial list whose link points past the pfn space. */
static void test_slab_list(void)
{
	struct kmem_cache *c = kmem_cache_create("corrupt_list", 200, 0, 0, NULL);
	struct kmem_cache_node *n;
	void *objs[64];
	unsigned int i;
	u32 saved;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	for (i = 0; i < 64; i++)
		objs[i] = kmem_cache_alloc(c, GFP_KERNEL);
	kmem_cache_free(c, objs[0]);
	kmem_cache_free(c, objs[63]);
	n = cache_node(c, 0);
	if (n->partial == PFN_NIL) {
		/* every free stayed in a per-CPU cache: break the list head instead */
		n->partial = (u32)kmem_mm.total_pages + 5;
		expect_slab_views_corrupt("beyond the");
		n->partial = PFN_NIL;
	} else {
		struct page *head = __pfn_to_page(n->partial);

		saved = head->buddy.next;
		head->buddy.next = (u32)kmem_mm.total_pages + 5;
		expect_slab_views_corrupt("partial list");
		head->buddy.next = n->partial;	/* a cycle */
		expect_slab_views_corrupt("cycle");
		head->buddy.next = saved;
	}
	all_views_ok();
	for (i = 1; i < 63; i++)
		kmem_cache_free(c, objs[i]);
	kmem_cache_destroy(c);
}

/* A populated zone of node 0. */
static struct zone *some_zone(int *z)
{
	for (*z = MAX_NR_ZONES - 1; *z >= 0; (*z)--)
		if (NODE_DATA(0)->node_zones[*z].present_pages)
			return &NODE_DATA(0)->node_zones[*z];
	CU_FAIL_FATAL("no zone");
	return NULL;
}

static void expect_zone_views_corrupt(const char *what)
{
	struct kmem_zone_stats st;
	int z;

	some_zone(&z);
	expect_corrupt("buddyinfo", what);
	expect_corrupt("zoneinfo", what);
	expect_corrupt("watermarks", what);
	expect_corrupt("meminfo", what);
	expect_corrupt("numastat", what);
	CU_ASSERT_EQUAL(kmem_zone_stats(0, z, &st), -EUCLEAN);
	expect_ok("info");
}

static void test_zone_free_area(void)
{
	int z;
	struct zone *zone = some_zone(&z);
	struct free_area saved = zone->free_area[3];

	zone->free_area[3].head = (u32)(zone->zone_start_pfn + zone->spanned_pages);
	expect_zone_views_corrupt("free_area[3].head");
	zone->free_area[3] = saved;
	zone->free_area[3].nr_free = 1ULL << 40;
	expect_zone_views_corrupt("free_area[3].nr_free");
	zone->free_area[3] = saved;
	all_views_ok();
}

static void test_zone_fields(void)
{
	int z;
	struct zone *zone = some_zone(&z);
	struct zone saved;

	memcpy(&saved, zone, sizeof(saved));
	zone->spanned_pages = kmem_mm.total_pages * 2;
	expect_zone_views_corrupt("beyond the");
	zone->spanned_pages = saved.spanned_pages;
	zone->idx = 9;
	expect_zone_views_corrupt("says node");
	zone->idx = saved.idx;
	zone->pcp_off = kmem_mm.shm_size - 64;
	expect_zone_views_corrupt("pcp_off");
	zone->pcp_off = saved.pcp_off;
	all_views_ok();
}

static void test_pcp_counts(void)
{
	int z;
	struct zone *zone = some_zone(&z);
	struct per_cpu_pages *pcp = zone_pcp(zone, 0);
	u64 saved = pcp->word[1];

	pcp->word[1] = (saved & ~PCP_COUNT_MASK) | PCP_COUNT_MASK;
	expect_zone_views_corrupt("pcp count");
	pcp->word[1] = saved;
	all_views_ok();
}

static void test_header_counts(void)
{
	u32 nodes = kmem_mm.shm->nr_nodes, cpus = kmem_mm.shm->nr_cpu_ids;

	kmem_mm.shm->nr_nodes = 1000;
	expect_corrupt("buddyinfo", "nr_nodes");
	expect_corrupt("slabinfo", "nr_nodes");
	kmem_mm.shm->nr_nodes = nodes;
	kmem_mm.shm->nr_cpu_ids = 0;
	expect_corrupt("zoneinfo", "nr_cpu_ids");
	kmem_mm.shm->nr_cpu_ids = cpus;
	all_views_ok();
}

/* vmallocinfo counts pages per node by their struct page: a bad zone_id. */
static void test_vmalloc_page_node(void)
{
	char *p = vmalloc(4 * 4096);
	struct page *page;
	u16 saved;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	memset(p, 1, 4 * 4096);
	page = vmalloc_to_page(p + 4096);
	CU_ASSERT_PTR_NOT_NULL_FATAL(page);
	expect_ok("vmallocinfo");
	saved = page->zone_id;
	page->zone_id = 0xfff0;
	expect_corrupt("vmallocinfo", "zone_id 65520");
	expect_ok("info");
	page->zone_id = saved;
	expect_ok("vmallocinfo");
	vfree(p);
}

/* kswapd (the daemon's, here this process's) indexes by what wakers wrote. */
static void test_kswapd_request(void)
{
	struct pglist_data *pgdat = NODE_DATA(0);
	int i;

	__atomic_store_n(&pgdat->kswapd_order, 60, __ATOMIC_RELEASE);
	__atomic_store_n(&pgdat->kswapd_highest_zoneidx, 200, __ATOMIC_RELEASE);
	__atomic_fetch_add(&pgdat->kswapd_wait, 1, __ATOMIC_RELEASE);
	os_futex_wake(&pgdat->kswapd_wait, 1);
	/* it takes the request (exchanging the words to 0) and survives it */
	for (i = 0; i < 200 && __atomic_load_n(&pgdat->kswapd_highest_zoneidx, __ATOMIC_ACQUIRE);
	     i++)
		usleep(5000);
	if (kmem_mm.shm->tun.kswapd) {
		KT_ASSERT_EQ(__atomic_load_n(&pgdat->kswapd_order, __ATOMIC_ACQUIRE), 0);
	}
	__atomic_store_n(&pgdat->kswapd_order, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&pgdat->kswapd_highest_zoneidx, 0, __ATOMIC_RELEASE);
	all_views_ok();
}

/*
 * Clients publish their vmalloc areas in the segment (types.h): a record
 * that lies about itself is left out of kmemd's vmallocinfo, never trusted
 * (sizes, counts, an unterminated caller, node counts past nr_nodes), and a
 * dead client's records go at its recovery.
 */
static void test_vmalloc_records(void)
{
	struct kmem_vm_record *rec = kmem_mm.shm->vm.rec;
	struct kmem_vmalloc_stats before, after;
	char cut[KMEM_VM_CALLER_LEN + 16];
	const char *text;
	json_t *reply;
	unsigned int i;

	CU_ASSERT_EQUAL_FATAL(kmem_vmalloc_stats(&before), 0);
	for (i = 3; i <= 9; i++) {
		memset(&rec[i], 0, sizeof(rec[i]));
		rec[i].owner = 77;
		rec[i].pid = 1;
		rec[i].addr = 0x7f0000000000ULL + ((u64)i << 24);
		rec[i].nr_pages = 5;
		rec[i].size = 6 * 4096;
		rec[i].nr_populated = 5;
		rec[i].node_pages[0] = 5;
		snprintf(rec[i].caller, sizeof(rec[i].caller), "client_site+0x%x", i);
		rec[i].state = KMEM_VM_LIVE;
	}
	rec[4].nr_pages = 0;				/* no pages */
	rec[5].size = 1ULL << 62;			/* size not its pages plus a guard */
	rec[6].nr_populated = 6;			/* more touched than it has */
	memset(rec[7].caller, 'A', sizeof(rec[7].caller));	/* unterminated */
	rec[8].state = KMEM_VM_CLAIMED;			/* being written */
	rec[9].node_pages[40] = 1000;			/* a node that does not exist */

	reply = ctl("vmallocinfo");
	text = json_string_value(json_object_get(reply, "text"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT(strstr(text, "0x00007f0003000000-0x00007f0003006000   24576 client_site+0x3 "
			       "pages=5 vmalloc N0=5\n") != NULL);
	CU_ASSERT(strstr(text, "client_site+0x4") == NULL);
	CU_ASSERT(strstr(text, "client_site+0x5") == NULL);
	CU_ASSERT(strstr(text, "client_site+0x6") == NULL);
	CU_ASSERT(strstr(text, "client_site+0x8") == NULL);
	/* the caller cut at its last byte; the node that does not exist not printed */
	memset(cut, 'A', sizeof(cut));
	cut[0] = ' ';
	snprintf(cut + KMEM_VM_CALLER_LEN, sizeof(cut) - KMEM_VM_CALLER_LEN, " pages=5");
	CU_ASSERT(strstr(text, cut) != NULL);
	CU_ASSERT(strstr(text, "client_site+0x9 pages=5 vmalloc N0=5\n") != NULL);
	CU_ASSERT(strstr(text, "N40") == NULL);
	KT_ASSERT_EQ(json_array_size(json_object_get(json_object_get(reply, "vmallocinfo"),
						     "areas")), before.nr_areas + 3);
	json_decref(reply);
	CU_ASSERT_EQUAL(kmem_vmalloc_stats(&after), 0);
	KT_ASSERT_EQ(after.nr_areas, before.nr_areas + 3);
	KT_ASSERT_EQ(after.used_bytes, before.used_bytes + 3 * 6 * 4096);
	KT_ASSERT_EQ(after.pages, before.pages + 15);

	/* client 77 is recovered: every record of its goes, whatever its state */
	__kmem_vm_records_client_gone(77);
	for (i = 3; i <= 9; i++)
		KT_ASSERT_EQ(rec[i].state, KMEM_VM_FREE);
	CU_ASSERT_EQUAL(kmem_vmalloc_stats(&after), 0);
	KT_ASSERT_EQ(after.nr_areas, before.nr_areas);
	all_views_ok();
}

static const struct kt_test tests[] = {
	KT_TEST(test_caches_slot),
	KT_TEST(test_vmalloc_records),
	KT_TEST(test_cache_fields),
	KT_TEST(test_slab_list),
	KT_TEST(test_zone_free_area),
	KT_TEST(test_zone_fields),
	KT_TEST(test_pcp_counts),
	KT_TEST(test_header_counts),
	KT_TEST(test_vmalloc_page_node),
	KT_TEST(test_kswapd_request),
	KT_END,
};

static const struct kt_suite suite = { "segment corruption", suite_init, suite_exit, tests };
static const struct kt_suite *const suites[] = { &suite, NULL };

int main(int argc, char **argv)
{
	return kt_main(argc, argv, suites);
}
