// SPDX-License-Identifier: MIT
/*
 * Memory hotplug: sections coming online as allocations need them and
 * going offline when they are wholly free, in embedded and attached mode.
 *
 * Every scenario checks the buddy allocator against itself after each
 * step: each zone's free lists hold exactly free_pages, every listed block
 * is a free block of that zone inside an online section, and what the
 * memfds hold (their allocated blocks) is what is online.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <kmem/kmem.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "attach_pair.h"
#include "kunit.h"
#include "internal.h"
#include "os.h"

#define SECTION		(4UL << 20)
#define INITIAL_MB	8
#define MAX_MB		64
/* no carved DMA zones: all of the memory is ZONE_NORMAL, where growth goes */
#define OPTS		"fake_numa=1,direct_mb=8,max_mb=64,highmem_mb=4,hugepages=never," \
			"dma_mb=0,dma32_mb=0"

#define BASE		0x7e9000000000UL
#define BASE_STR	"0x7e9000000000"

static u64 online_bytes(int nid)
{
	struct kmem_hotplug_stats st;

	if (kmem_get_hotplug_stats(nid, &st))
		return 0;
	return st.online_bytes;
}

/* Bytes the node's shmem memfd holds: what is backed, whatever is mapped. */
static u64 backed_bytes(int nid)
{
	struct stat st;
	int fd = kmem_mm.node_fds[nid][KMEM_FD_SHMEM];
	u64 bytes = 0;

	if (fd >= 0 && !fstat(fd, &st))
		bytes += (u64)st.st_blocks * 512;
	fd = kmem_mm.node_fds[nid][KMEM_FD_HUGETLB];
	if (fd >= 0 && !fstat(fd, &st))
		bytes += (u64)st.st_blocks * 512;
	return bytes;
}

/*
 * The buddy lists against the zone counters and the sections: returns the
 * number of inconsistencies (0).  Context: nothing else allocating.
 */
static unsigned long check_buddy(void)
{
	struct kmem_shared *shm = kmem_mm.shm;
	unsigned long bad = 0;
	unsigned int nid, z, o;

	kmem_drain_all_pages();
	for (nid = 0; nid < shm->nr_nodes; nid++) {
		struct pglist_data *pgdat = NODE_DATA((int)nid);
		u64 present = 0, online = 0, idx;

		for (z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &pgdat->node_zones[z];
			u64 free = 0;

			pthread_mutex_lock(&zone->lock);
			for (o = 0; o < NR_PAGE_ORDERS; o++) {
				u64 n = 0;
				u32 pfn;

				for (pfn = zone->free_area[o].head; pfn != PFN_NIL;
				     pfn = __pfn_to_page(pfn)->buddy.next) {
					struct page *page = __pfn_to_page(pfn);

					if (!kmem_pfn_online(pfn) ||
					    !kmem_pfn_online(pfn + (1u << o) - 1) ||
					    !(page->flags & PG_buddy) || page->order != o ||
					    page_zone(page) != zone || (pfn & ((1u << o) - 1)))
						bad++;
					if (++n > zone->spanned_pages)
						break;	/* a loop */
				}
				bad += n != zone->free_area[o].nr_free;
				free += n << o;
			}
			bad += free != zone->free_pages;
			bad += zone->managed_pages > zone->present_pages;
			bad += zone->present_pages > zone->spanned_pages;
			present += zone->present_pages;
			pthread_mutex_unlock(&zone->lock);
		}
		for (idx = pgdat->direct_start_pfn >> kmem_mm.section_pfn_shift;
		     idx < (pgdat->direct_start_pfn + pgdat->direct_pages) >> kmem_mm.section_pfn_shift;
		     idx++)
			online += kmem_mm.sections[idx].state == SECTION_ONLINE;
		online <<= kmem_mm.section_pfn_shift;
		bad += online != pgdat->online_pages;
		/* the HighMem pool is always online; sections grown into HighMem count */
		bad += present != pgdat->online_pages + pgdat->highmem_pages;
		bad += pgdat->online_pages > pgdat->max_pages;
	}
	if (bad)
		fprintf(stderr, "  check_buddy: %lu inconsistencies\n", bad);
	return bad;
}

static int hotplug_init(void)
{
	return kt_init(OPTS);
}

static int hotplug_exit(void)
{
	kmem_exit();
	return 0;
}

struct held {
	struct page **page;
	size_t n, cap;
};

static void hold(struct held *h, struct page *p)
{
	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 1024;
		h->page = realloc(h->page, h->cap * sizeof(*h->page));
	}
	h->page[h->n++] = p;
}

/* alloc_pages() past the initial size: the node grows; freeing and shrinking gives back. */
static void test_grow_alloc_pages_cycles(void)
{
	int cycle;

	KT_ASSERT_EQ(online_bytes(0), INITIAL_MB << 20);
	KT_ASSERT_EQ(check_buddy(), 0);
	for (cycle = 0; cycle < 3; cycle++) {
		struct kmem_hotplug_stats st0, st1;
		struct held h = { 0 };
		u64 want = (INITIAL_MB + 24) << 20, got = 0;
		size_t i;
		long n;

		CU_ASSERT_FATAL(kmem_get_hotplug_stats(0, &st0) == 0);
		while (got < want) {
			struct page *p = alloc_pages(GFP_KERNEL, 2);

			CU_ASSERT_PTR_NOT_NULL_FATAL(p);
			memset(page_address(p), 0x5a, PAGE_SIZE << 2);
			hold(&h, p);
			got += PAGE_SIZE << 2;
		}
		CU_ASSERT(online_bytes(0) >= want);
		CU_ASSERT(backed_bytes(0) >= want);
		CU_ASSERT(kmem_get_hotplug_stats(0, &st1) == 0);
		CU_ASSERT(st1.memory_online > st0.memory_online);
		KT_ASSERT_EQ(check_buddy(), 0);
		for (i = 0; i < h.n; i++) {
			CU_ASSERT(kt_bytes_are(page_address(h.page[i]), PAGE_SIZE << 2, 0x5a));
			__free_pages(h.page[i], 2);
		}
		free(h.page);
		n = kmem_memory_shrink();
		CU_ASSERT(n > 0);
		KT_ASSERT_EQ(online_bytes(0), INITIAL_MB << 20);
		CU_ASSERT(kmem_get_hotplug_stats(0, &st1) == 0);
		KT_ASSERT_EQ(st1.memory_offline - st0.memory_offline, (u64)n);
		/* the memory left the process: the memfd holds the floor only */
		CU_ASSERT(backed_bytes(0) <= (INITIAL_MB << 20));
		KT_ASSERT_EQ(check_buddy(), 0);
	}
}

/* kmalloc() past the initial size, then nothing offline while a slab lives there. */
static void test_grow_kmalloc(void)
{
	static void *obj[16384];
	unsigned int i;
	long n;

	for (i = 0; i < 16384; i++) {	/* 32 MiB of 2 KiB objects */
		obj[i] = kmalloc(2048, GFP_KERNEL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(obj[i]);
		memset(obj[i], (int)(i & 0xff), 2048);
	}
	CU_ASSERT(online_bytes(0) > (INITIAL_MB << 20) + (16UL << 20));
	KT_ASSERT_EQ(check_buddy(), 0);
	/* half freed: sections with live slabs stay */
	for (i = 0; i < 16384; i += 2) {
		kfree(obj[i]);
		obj[i] = NULL;
	}
	kmem_cache_shrink_name(NULL);
	kmem_memory_shrink();
	for (i = 1; i < 16384; i += 2)
		CU_ASSERT(kt_bytes_are(obj[i], 2048, (unsigned char)(i & 0xff)));
	KT_ASSERT_EQ(check_buddy(), 0);
	for (i = 1; i < 16384; i += 2)
		kfree(obj[i]);
	kmem_cache_shrink_name(NULL);
	n = kmem_memory_shrink();
	CU_ASSERT(n > 0);
	KT_ASSERT_EQ(check_buddy(), 0);
	CU_ASSERT(online_bytes(0) <= (INITIAL_MB << 20) + 2 * SECTION);
}

/* The maximum is the end: GFP_KERNEL fails only once the node cannot grow. */
static void test_grow_to_max(void)
{
	struct held h = { 0 };
	struct kmem_hotplug_stats st;
	struct page *p;
	size_t i;

	while ((p = alloc_pages(GFP_KERNEL | __GFP_NOWARN | __GFP_NORETRY, 0)))
		hold(&h, p);
	CU_ASSERT(kmem_get_hotplug_stats(0, &st) == 0);
	KT_ASSERT_EQ(st.online_bytes, st.max_bytes);
	/* everything but the reserves was handed out */
	CU_ASSERT((u64)h.n * PAGE_SIZE > st.max_bytes - st.max_bytes / 8);
	KT_ASSERT_EQ(check_buddy(), 0);
	for (i = 0; i < h.n; i++)
		__free_pages(h.page[i], 0);
	free(h.page);
	kmem_memory_shrink();
	KT_ASSERT_EQ(online_bytes(0), INITIAL_MB << 20);
	KT_ASSERT_EQ(check_buddy(), 0);
}

/* GFP_ATOMIC does not grow inline: it dips into the reserves and kswapd grows. */
static void test_atomic_kswapd_grows(void)
{
	struct held h = { 0 };
	struct page *p;
	size_t i;
	int waited;

	kmem_exit();
	KT_ASSERT_EQ_FATAL(kt_init(OPTS ",kswapd=on"), 0);
	for (i = 0; i < (INITIAL_MB << 20) / PAGE_SIZE * 3 / 2; i++) {
		p = alloc_pages(GFP_ATOMIC | __GFP_NOWARN, 0);
		if (!p) {
			usleep(1000);	/* kswapd is onlining */
			continue;
		}
		hold(&h, p);
	}
	for (waited = 0; online_bytes(0) <= (INITIAL_MB << 20) && waited < 200; waited++)
		usleep(10000);
	CU_ASSERT(online_bytes(0) > (INITIAL_MB << 20));
	CU_ASSERT(h.n > (INITIAL_MB << 20) / PAGE_SIZE);
	for (i = 0; i < h.n; i++)
		__free_pages(h.page[i], 0);
	free(h.page);
	KT_ASSERT_EQ(check_buddy(), 0);
	kmem_exit();
	KT_ASSERT_EQ_FATAL(hotplug_init(), 0);
}

/* kswapd gives back what stays wholly free for offline_delay_ms. */
static void test_delayed_offline(void)
{
	struct held h = { 0 };
	struct page *p;
	size_t i;
	int waited;

	kmem_exit();
	KT_ASSERT_EQ_FATAL(kt_init(OPTS ",kswapd=on,offline_delay_ms=200"), 0);
	while (online_bytes(0) < (INITIAL_MB << 20) + 4 * SECTION) {
		p = alloc_pages(GFP_KERNEL, 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		hold(&h, p);
	}
	for (i = 0; i < h.n; i++)
		__free_pages(h.page[i], 0);
	free(h.page);
	for (waited = 0; online_bytes(0) > (INITIAL_MB << 20) && waited < 500; waited++)
		usleep(10000);
	KT_ASSERT_EQ(online_bytes(0), INITIAL_MB << 20);
	kmem_exit();
	KT_ASSERT_EQ_FATAL(hotplug_init(), 0);
}

/* Offlining while other threads allocate, write, check and free. */
struct churn {
	int stop;		/* atomic */
	unsigned long bad, ops;
};

static void *churn_thread(void *arg)
{
	struct churn *c = arg;
	uint64_t rng = kt_seed() ^ (uint64_t)pthread_self();
	struct page *mine[512] = { NULL };

	while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
		unsigned int k = (unsigned int)(kt_rand(&rng) % 512);

		if (mine[k]) {
			unsigned char v = (unsigned char)(k | 1);

			if (!kt_bytes_are(page_address(mine[k]), PAGE_SIZE, v))
				__atomic_fetch_add(&c->bad, 1, __ATOMIC_RELAXED);
			__free_pages(mine[k], 0);
			mine[k] = NULL;
		} else {
			mine[k] = alloc_pages(GFP_KERNEL, 0);
			if (mine[k])
				memset(page_address(mine[k]), k | 1, PAGE_SIZE);
		}
		__atomic_fetch_add(&c->ops, 1, __ATOMIC_RELAXED);
	}
	for (unsigned int k = 0; k < 512; k++)
		if (mine[k])
			__free_pages(mine[k], 0);
	return NULL;
}

static void test_offline_under_allocation(void)
{
	struct churn c = { 0 };
	pthread_t t[3];
	struct held h = { 0 };
	struct page *p;
	int i, round;
	size_t j;

	for (i = 0; i < 3; i++)
		CU_ASSERT_FATAL(pthread_create(&t[i], NULL, churn_thread, &c) == 0);
	for (round = 0; round < 20; round++) {
		/* grow by a few sections, then give them back while the others run */
		while (online_bytes(0) < (INITIAL_MB << 20) + 3 * SECTION) {
			p = alloc_pages(GFP_KERNEL, 3);
			CU_ASSERT_PTR_NOT_NULL_FATAL(p);
			hold(&h, p);
		}
		for (j = 0; j < h.n; j++)
			__free_pages(h.page[j], 3);
		h.n = 0;
		kmem_memory_shrink();
	}
	__atomic_store_n(&c.stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	free(h.page);
	KT_ASSERT_EQ(c.bad, 0);
	CU_ASSERT(c.ops > 0);
	KT_ASSERT_EQ(check_buddy(), 0);
	kmem_memory_shrink();
	KT_ASSERT_EQ(online_bytes(0), INITIAL_MB << 20);
}

/*
 * vmalloc() past what is online: its promise grows the node, as an
 * allocation under the watermark does; sections holding promised pages stay
 * online through a shrink, so every first touch finds its page; more than
 * the maximum is NULL at once.
 */
static void test_vmalloc_grows(void)
{
	const size_t size = 32UL << 20;	/* 8 MiB online, 4 MiB HighMem, 64 MiB the most */
	struct kmem_hotplug_stats st0, st1;
	unsigned char *v;
	size_t i;

	CU_ASSERT_FATAL(kmem_get_hotplug_stats(0, &st0) == 0);
	v = vmalloc(size);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT(online_bytes(0) >= size - (4UL << 20));
	CU_ASSERT(kmem_get_hotplug_stats(0, &st1) == 0);
	CU_ASSERT(st1.memory_online > st0.memory_online);
	/* nothing touched yet: the promised pages are free, and must stay */
	kmem_memory_shrink();
	CU_ASSERT(online_bytes(0) >= size - (4UL << 20));
	KT_ASSERT_EQ(check_buddy(), 0);
	for (i = 0; i < size; i += PAGE_SIZE)
		v[i] = (unsigned char)(i >> PAGE_SHIFT);
	for (i = 0; i < size; i += PAGE_SIZE)
		if (v[i] != (unsigned char)(i >> PAGE_SHIFT))
			break;
	KT_ASSERT_EQ(i, size);
	KT_ASSERT_EQ(check_buddy(), 0);
	vfree(v);
	kmem_memory_shrink();
	KT_ASSERT_EQ(online_bytes(0), INITIAL_MB << 20);
	KT_ASSERT_EQ(check_buddy(), 0);

	kt_capture_start();
	CU_ASSERT_PTR_NULL(vmalloc((MAX_MB + 8UL) << 20));
	CU_ASSERT(kt_captured("exceeds total pages"));
	kt_capture_stop();
	KT_ASSERT_EQ(online_bytes(0), INITIAL_MB << 20);
}

/* Start-up takes address space for the maximum, not memory. */
static void test_init_does_not_depend_on_max(void)
{
	struct kmem_info info;

	kmem_exit();
	KT_ASSERT_EQ_FATAL(kt_init("fake_numa=1,direct_mb=8,max_mb=16384,highmem_mb=4,"
				   "hugepages=never,dma_mb=0,dma32_mb=0"), 0);
	CU_ASSERT(kmem_get_info(&info) == 0);
	KT_ASSERT_EQ(online_bytes(0), INITIAL_MB << 20);
	CU_ASSERT(backed_bytes(0) <= (INITIAL_MB << 20));
	/* and every block of the largest order is aligned to its size */
	{
		struct page *p = alloc_pages(GFP_KERNEL, MAX_PAGE_ORDER);

		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		KT_ASSERT_EQ((uintptr_t)page_address(p) & ((PAGE_SIZE << MAX_PAGE_ORDER) - 1), 0);
		__free_pages(p, MAX_PAGE_ORDER);
	}
	kmem_exit();
	KT_ASSERT_EQ_FATAL(hotplug_init(), 0);
}

/* lsmem's blocks: the initial ones online, the rest offline. */
static void test_memory_blocks(void)
{
	static struct kmem_memory_block b[64];
	long n = kmem_memory_blocks(b, 64, true), i, online = 0;

	KT_ASSERT_EQ(n, MAX_MB / 4);
	for (i = 0; i < n && i < 64; i++) {
		online += b[i].online;
		KT_ASSERT_EQ(b[i].size, SECTION);
		CU_ASSERT(!b[i].online || b[i].zone);
	}
	KT_ASSERT_EQ(online, INITIAL_MB / 4);
	KT_ASSERT_EQ(kmem_memory_blocks(b, 64, false), INITIAL_MB / 4);
}

/* ------------------------------------------------------------------ */
/* attached mode                                                       */
/* ------------------------------------------------------------------ */

static char sock_path[108];

static int attach_server_init(void)
{
	return kt_init(OPTS ",base_address=" BASE_STR) ? 100 : 0;
}

/*
 * The client grows the memory; the server (the daemon's part) reads what
 * the client wrote into the new sections, then grows it itself and the
 * client reads that.
 */
static int grow_server(const struct chan *c)
{
	unsigned char *p;
	u64 n, i;

	CHECK(chan_get(c) == 1);
	CHECK(online_bytes(0) > (INITIAL_MB << 20) + 8 * SECTION);
	n = chan_get(c);
	for (i = 0; i < n; i++) {
		p = (unsigned char *)(uintptr_t)chan_get(c);
		CHECK(kmem_pfn_online(virt_to_page(p) - kmem_mm.memmap));
		CHECK(kt_bytes_are(p, PAGE_SIZE << 4, (unsigned char)(i | 1)));
		free_pages((unsigned long)p, 4);
	}
	CHECK(kmem_memory_shrink() > 0);
	CHECK(online_bytes(0) == INITIAL_MB << 20);
	/* now the server grows and the client reads */
	{
		static struct page *mine[1024];
		u64 k = 0;

		while (online_bytes(0) < (INITIAL_MB << 20) + 4 * SECTION && k < 1024) {
			mine[k] = alloc_pages(GFP_KERNEL, 4);
			CHECK(mine[k]);
			memset(page_address(mine[k]), 0x77, PAGE_SIZE << 4);
			k++;
		}
		CHECK(chan_put(c, k) == 0);
		for (i = 0; i < k; i++)
			CHECK(chan_put(c, (uintptr_t)page_address(mine[i])) == 0);
		CHECK(chan_get(c) == 2);
		for (i = 0; i < k; i++)
			__free_pages(mine[i], 4);
	}
	CHECK(kmem_memory_shrink() > 0);
	CHECK(chan_put(c, 3) == 0);
	return 0;
}

static int grow_client(const struct chan *c)
{
	static unsigned char *mine[1024];
	u64 n = 0, i, k;

	CHECK(kmem_attach(sock_path) == 0);
	CHECK(online_bytes(0) == INITIAL_MB << 20);
	while (online_bytes(0) <= (INITIAL_MB << 20) + 8 * SECTION && n < 1024) {
		mine[n] = (unsigned char *)__get_free_pages(GFP_KERNEL, 4);
		CHECK(mine[n]);
		memset(mine[n], (int)(n | 1), PAGE_SIZE << 4);
		n++;
	}
	CHECK(chan_put(c, 1) == 0);
	CHECK(chan_put(c, n) == 0);
	for (i = 0; i < n; i++)
		CHECK(chan_put(c, (uintptr_t)mine[i]) == 0);
	k = chan_get(c);
	CHECK(k > 0 && k <= 1024);
	for (i = 0; i < k; i++) {
		unsigned char *p = (unsigned char *)(uintptr_t)chan_get(c);

		/* a section the server onlined: valid here at once, no message about it */
		CHECK(kt_bytes_are(p, PAGE_SIZE << 4, 0x77));
	}
	CHECK(chan_put(c, 2) == 0);
	CHECK(chan_get(c) == 3);
	CHECK(online_bytes(0) == INITIAL_MB << 20);
	return 0;
}

static void test_attached_growth(void)
{
	const struct pair p = {
		.sock = sock_path,
		.alarm_s = 120,
		.server_init = attach_server_init,
		.nr_conns = 1,
		.first_id = 100,
		.client_attaches = false,
		.server_fn = grow_server,
		.client_fn = grow_client,
	};

	kmem_exit();	/* the pair builds its own */
	snprintf(sock_path, sizeof(sock_path), "/tmp/kmem-test-hotplug-%d.sock", (int)getpid());
	KT_ASSERT_EQ(pair_run(&p), 0);
	KT_ASSERT_EQ_FATAL(hotplug_init(), 0);
}

/*
 * A client SIGKILLed in the middle of changing a section, holding the
 * node's hotplug_lock: the next holder (here the server, as kmemd would)
 * undoes a section half onlined and finishes one half offlined.
 */
static int die_mode;	/* 0: while onlining, 1: while offlining */

static int die_server(const struct chan *c)
{
	struct pglist_data *pgdat = NODE_DATA(0);
	u64 idx = chan_get(c), waited;
	u32 recovered = 0;

	CHECK(idx < kmem_mm.shm->nr_sections);
	CHECK(kill(c->peer, SIGKILL) == 0);
	for (waited = 0; !os_process_exited((u32)c->peer) && waited < 500; waited++)
		usleep(10000);
	CHECK(pgdat->hotplug_section == idx + 1);
	/* whoever takes the lock next repairs: here kmemd's probe when a client died */
	CHECK(__kmem_lock_probe(&pgdat->hotplug_lock, 1000, &recovered) == 0);
	CHECK(recovered == 1);
	CHECK(pgdat->hotplug_section == 0);
	CHECK(kmem_mm.sections[idx].state == SECTION_OFFLINE);
	CHECK(online_bytes(0) == INITIAL_MB << 20);
	CHECK(backed_bytes(0) <= (INITIAL_MB << 20));
	CHECK(check_buddy() == 0);
	/* and the node still grows and gives back */
	{
		struct page *p[2048];
		unsigned int i, n = 0;

		while (online_bytes(0) < (INITIAL_MB << 20) + 2 * SECTION && n < 2048) {
			p[n] = alloc_pages(GFP_KERNEL, 2);
			CHECK(p[n]);
			n++;
		}
		for (i = 0; i < n; i++)
			__free_pages(p[i], 2);
		CHECK(kmem_memory_shrink() > 0);
		CHECK(check_buddy() == 0);
	}
	return 0;
}

static int die_client(const struct chan *c)
{
	struct pglist_data *pgdat;
	u64 idx, pfn, nr = SECTION >> PAGE_SHIFT;

	CHECK(kmem_attach(sock_path) == 0);
	pgdat = NODE_DATA(0);
	if (die_mode == 0) {
		/* the first offline section, half onlined: backed, not published */
		for (idx = (pgdat->direct_start_pfn >> kmem_mm.section_pfn_shift);
		     kmem_mm.sections[idx].state != SECTION_OFFLINE; idx++)
			;
		pfn = idx << kmem_mm.section_pfn_shift;
		kmem_mutex_lock(&pgdat->hotplug_lock);
		pgdat->hotplug_section = (u32)(idx + 1);
		kmem_mm.sections[idx].state = SECTION_GOING_ONLINE;
		CHECK(os_fallocate(kmem_mm.node_fds[0][KMEM_FD_SHMEM],
				   (pfn - pgdat->direct_start_pfn - pgdat->huge_pages) << PAGE_SHIFT,
				   SECTION) == 0);
	} else {
		struct page *p[2048];
		unsigned int i, n = 0;

		/* a grown section, free again, isolated for offlining */
		while (online_bytes(0) < (INITIAL_MB << 20) + SECTION && n < 2048) {
			p[n] = alloc_pages(GFP_KERNEL, 2);
			CHECK(p[n]);
			n++;
		}
		for (i = 0; i < n; i++)
			__free_pages(p[i], 2);
		kmem_drain_all_pages();
		idx = (pgdat->direct_start_pfn >> kmem_mm.section_pfn_shift) + INITIAL_MB / 4;
		CHECK(kmem_mm.sections[idx].state == SECTION_ONLINE);
		pfn = idx << kmem_mm.section_pfn_shift;
		kmem_mutex_lock(&pgdat->hotplug_lock);
		__kmem_lock_node_zones(pgdat);
		CHECK(__kmem_isolate_range(pfn, nr) == 0);
		pgdat->hotplug_section = (u32)(idx + 1);
		kmem_mm.sections[idx].state = SECTION_GOING_OFFLINE;
		__kmem_unlock_node_zones(pgdat);
	}
	CHECK(chan_put(c, idx) == 0);
	pause();	/* the server kills us holding hotplug_lock */
	return 0;
}

static void run_die(int mode)
{
#if defined(__SANITIZE_THREAD__)
	/* TSan cannot follow a robust mutex taken over from a dead process */
	printf("(not under ThreadSanitizer) ");
	return;
#endif
	const struct pair p = {
		.sock = sock_path,
		.alarm_s = 60,
		.server_init = attach_server_init,
		.nr_conns = 1,
		.first_id = 100,
		.client_killed = true,
		.server_fn = die_server,
		.client_fn = die_client,
	};

	kmem_exit();
	die_mode = mode;
	snprintf(sock_path, sizeof(sock_path), "/tmp/kmem-test-hotplug-%d.sock", (int)getpid());
	KT_ASSERT_EQ(pair_run(&p), 0);
	KT_ASSERT_EQ_FATAL(hotplug_init(), 0);
}

static void test_client_dies_onlining(void)
{
	run_die(0);
}

static void test_client_dies_offlining(void)
{
	run_die(1);
}

/* ------------------------------------------------------------------ */
/* hugetlb first, shmem when the pool runs dry                         */
/* ------------------------------------------------------------------ */

#define POOL	"/proc/sys/vm/nr_hugepages"

static long read_pool(const char *path)
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

static void test_hugetlb_pool_exhausted(void)
{
	long before = read_pool(POOL), free_now;
	struct kmem_hotplug_stats st;
	static struct kmem_memory_block b[64];
	struct held h = { 0 };
	struct page *p;
	long n, i, huge = 0, shm = 0;
	size_t j;

	if (geteuid() != 0 || before < 0) {
		printf("SKIPPED: needs root to size the huge page pool ");
		return;
	}
	kmem_exit();
	/* the initial 8 MiB (4 pages) and one more section (2 pages), no more */
	free_now = read_pool("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages");
	if (write_pool(before - free_now + 6) || read_pool(
		"/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages") != 6) {
		write_pool(before);
		printf("SKIPPED: could not set the huge page pool to 6 free pages ");
		KT_ASSERT_EQ_FATAL(hotplug_init(), 0);
		return;
	}
	if (kt_init("fake_numa=1,direct_mb=8,max_mb=64,highmem_mb=4,hugepages=auto")) {
		write_pool(before);
		CU_FAIL("kmem_init with hugepages=auto");
		KT_ASSERT_EQ_FATAL(hotplug_init(), 0);
		return;
	}
	while (online_bytes(0) < (INITIAL_MB << 20) + 4 * SECTION) {
		p = alloc_pages(GFP_KERNEL, 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		memset(page_address(p), 0x33, PAGE_SIZE);
		hold(&h, p);
	}
	n = kmem_memory_blocks(b, 64, false);
	for (i = 0; i < n && i < 64; i++) {
		huge += b[i].hugetlb;
		shm += !b[i].hugetlb;
	}
	/* 2 initial + 1 grown in hugetlb; the pool refused the next, shmem took over */
	KT_ASSERT_EQ(huge, 3);
	CU_ASSERT(shm >= 2);
	CU_ASSERT(kmem_get_hotplug_stats(0, &st) == 0);
	CU_ASSERT(st.hugetlb_refused > 0);
	KT_ASSERT_EQ(check_buddy(), 0);
	for (j = 0; j < h.n; j++) {
		CU_ASSERT(kt_bytes_are(page_address(h.page[j]), PAGE_SIZE, 0x33));
		__free_pages(h.page[j], 0);
	}
	free(h.page);
	CU_ASSERT(kmem_memory_shrink() >= 3);
	KT_ASSERT_EQ(check_buddy(), 0);
	kmem_exit();
	write_pool(before);
	KT_ASSERT_EQ_FATAL(hotplug_init(), 0);
}

/*
 * On huge pages vmalloc cannot use the hugetlb sections (they cannot be
 * mapped 4 KiB at a time): the node grows its HighMem with shmem sections
 * instead, and a vmalloc larger than the HighMem pool is had and touched.
 */
static void test_vmalloc_hugetlb_grows_highmem(void)
{
	const size_t size = 24UL << 20;	/* the HighMem pool is 4 MiB */
	long before = read_pool(POOL), free_now;
	static struct kmem_memory_block b[64];
	unsigned char *v;
	long n, i, high = 0;
	size_t k;

	if (geteuid() != 0 || before < 0) {
		printf("SKIPPED: needs root to size the huge page pool ");
		return;
	}
	kmem_exit();
	free_now = read_pool("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages");
	if (write_pool(before - free_now + 8) || read_pool(
		"/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages") != 8) {
		write_pool(before);
		printf("SKIPPED: could not set the huge page pool to 8 free pages ");
		KT_ASSERT_EQ_FATAL(hotplug_init(), 0);
		return;
	}
	if (kt_init("fake_numa=1,direct_mb=8,max_mb=64,highmem_mb=4,hugepages=auto")) {
		write_pool(before);
		CU_FAIL("kmem_init with hugepages=auto");
		KT_ASSERT_EQ_FATAL(hotplug_init(), 0);
		return;
	}
	CU_ASSERT(kmem_mm.shm->node_data[0].hugetlb);
	v = vmalloc(size);
	CU_ASSERT_PTR_NOT_NULL(v);
	if (v) {
		n = kmem_memory_blocks(b, 64, false);
		for (i = 0; i < n && i < 64; i++)
			high += b[i].zone && !strcmp(b[i].zone, "HighMem") && !b[i].hugetlb;
		CU_ASSERT(high >= 4);
		KT_ASSERT_EQ(check_buddy(), 0);
		kmem_memory_shrink();	/* promised pages keep their sections */
		for (k = 0; k < size; k += PAGE_SIZE)
			v[k] = (unsigned char)(k >> PAGE_SHIFT);
		for (k = 0; k < size; k += PAGE_SIZE)
			if (v[k] != (unsigned char)(k >> PAGE_SHIFT))
				break;
		KT_ASSERT_EQ(k, size);
		KT_ASSERT_EQ(check_buddy(), 0);
		vfree(v);
	}
	kmem_memory_shrink();
	KT_ASSERT_EQ(online_bytes(0), INITIAL_MB << 20);
	KT_ASSERT_EQ(check_buddy(), 0);
	kmem_exit();
	write_pool(before);
	KT_ASSERT_EQ_FATAL(hotplug_init(), 0);
}

static const struct kt_test tests[] = {
	KT_TEST(test_memory_blocks),
	KT_TEST(test_grow_alloc_pages_cycles),
	KT_TEST(test_grow_kmalloc),
	KT_TEST(test_grow_to_max),
	KT_TEST(test_offline_under_allocation),
	KT_TEST(test_vmalloc_grows),
	KT_TEST(test_atomic_kswapd_grows),
	KT_TEST(test_delayed_offline),
	KT_TEST(test_init_does_not_depend_on_max),
	KT_TEST(test_attached_growth),
	KT_TEST(test_client_dies_onlining),
	KT_TEST(test_client_dies_offlining),
	KT_TEST(test_hugetlb_pool_exhausted),
	KT_TEST(test_vmalloc_hugetlb_grows_highmem),
	KT_END
};

static const struct kt_suite suite = { "memory_hotplug", hotplug_init, hotplug_exit, tests };
static const struct kt_suite *const suites[] = { &suite, NULL };

int main(int argc, char **argv)
{
	return kt_main(argc, argv, suites);
}
