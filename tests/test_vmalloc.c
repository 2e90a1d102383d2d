// SPDX-License-Identifier: MIT
/*
 * vmalloc and kvmalloc: sizes, zeroing, HighMem accounting, vmalloc_to_page,
 * NUMA placement and /proc/vmallocinfo, bad vfree()s, the guard page,
 * threads, fork(), and the kvmalloc family.
 *
 * Everything here holds whether the pages are mapped on first touch
 * (userfaultfd) or eagerly; what only the userfaultfd path shows (fault
 * counts, fault-around) is in test_vmalloc_uffd.c.
 *
 * Accounting holds whether vmalloc() takes its pages at once or at first
 * touch: what HighMem loses is always what kmem_vmalloc_stats().pages
 * gains, it is nr_pages (or 0, taken lazily) right after vmalloc(), exactly
 * nr_pages once every page was touched, and all of it comes back at vfree().
 */
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include "kunit.h"

#define MiB (1UL << 20)

static unsigned int nr_nodes;

static int suite_init(void)
{
	struct kmem_info info;

	if (kt_init("fake_numa=2,direct_mb=32,highmem_mb=64"))
		return -1;
	if (kmem_get_info(&info))
		return -1;
	nr_nodes = info.nr_nodes;
	return 0;
}

static int suite_exit(void)
{
	kmem_exit();
	return 0;
}

/* ------------------------------------------------------------------ */
/* helpers                                                             */
/* ------------------------------------------------------------------ */

/* Free HighMem pages over all nodes, per-CPU lists included. */
static uint64_t highmem_free(void)
{
	struct kmem_zone_stats st;
	uint64_t sum = 0;
	unsigned int nid;

	kmem_drain_all_pages();
	for (nid = 0; nid < nr_nodes; nid++) {
		if (kmem_zone_stats((int)nid, ZONE_HIGHMEM, &st))
			continue;
		sum += st.free_pages + st.pcp_count;
	}
	return sum;
}

static struct kmem_vmalloc_stats vstats(void)
{
	struct kmem_vmalloc_stats st;

	kmem_vmalloc_stats(&st);
	return st;
}

/*
 * HighMem taken by a region just allocated: all its pages (taken at
 * vmalloc() time, or mapped eagerly) or none yet (taken at first touch).
 */
static bool taken_now_or_later(uint64_t dropped, uint64_t nr_pages)
{
	if (dropped != nr_pages && dropped != 0)
		printf("\n  HighMem dropped by %llu for a %llu-page region\n",
		       (unsigned long long)dropped, (unsigned long long)nr_pages);
	return dropped == nr_pages || dropped == 0;
}

static unsigned char pat(unsigned long i, unsigned long seed)
{
	return (unsigned char)((i * 131u + (i >> 12) * 7u + seed * 29u + 1u) & 0xff);
}

static void fill(void *p, unsigned long len, unsigned long seed)
{
	unsigned char *c = p;
	unsigned long i;

	for (i = 0; i < len; i++)
		c[i] = pat(i, seed);
}

/* Index of the first byte that differs from the pattern, or @len. */
static unsigned long check(const void *p, unsigned long len, unsigned long seed)
{
	const unsigned char *c = p;
	unsigned long i;

	for (i = 0; i < len; i++)
		if (c[i] != pat(i, seed))
			return i;
	return len;
}

static bool all_bytes(const void *p, unsigned long len, unsigned char v)
{
	const unsigned char *c = p;
	unsigned long i;

	for (i = 0; i < len; i++)
		if (c[i] != v)
			return false;
	return true;
}

/* Hide a size from the compiler, which rejects the absurd ones at build time. */
static size_t opaque(size_t x)
{
	volatile size_t v = x;

	return v;
}

static int cmp_ul(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/* ------------------------------------------------------------------ */
/* sizes, addresses, zeroing                                           */
/* ------------------------------------------------------------------ */

static void test_sizes(void)
{
	static const unsigned long sizes[] = { 1, 7, 4095, 4096, 4097, 12345, 3 * 4096 - 1,
					       65537, 10 * MiB, 10 * MiB + 3 };
	unsigned int i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		unsigned long sz = sizes[i];
		struct kmem_vmalloc_stats s0 = vstats(), s1;
		char *p = vmalloc(sz);

		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		CU_ASSERT(PAGE_ALIGNED(p));
		CU_ASSERT(is_vmalloc_addr(p));
		CU_ASSERT(is_vmalloc_addr(p + sz - 1));
		CU_ASSERT(is_vmalloc_or_module_addr(p));
		s1 = vstats();
		CU_ASSERT_EQUAL(s1.nr_areas, s0.nr_areas + 1);
		CU_ASSERT(taken_now_or_later(s1.pages - s0.pages, PAGE_ALIGN(sz) / PAGE_SIZE));
		CU_ASSERT_EQUAL(s1.used_bytes, s0.used_bytes + PAGE_ALIGN(sz) + PAGE_SIZE);
		fill(p, sz, i);
		CU_ASSERT_EQUAL(check(p, sz, i), sz);
		/* the slack up to the page end is usable too */
		memset(p + sz, 0x5c, PAGE_ALIGN(sz) - sz);
		CU_ASSERT_EQUAL(check(p, sz, i), sz);
		s1 = vstats();
		CU_ASSERT_EQUAL(s1.pages, s0.pages + PAGE_ALIGN(sz) / PAGE_SIZE);
		vfree(p);
		s1 = vstats();
		CU_ASSERT_EQUAL(s1.nr_areas, s0.nr_areas);
		CU_ASSERT_EQUAL(s1.pages, s0.pages);
		CU_ASSERT_EQUAL(s1.used_bytes, s0.used_bytes);
	}
}

static void test_is_vmalloc_addr(void)
{
	int on_stack = 0;
	void *k = kmalloc(64, GFP_KERNEL), *kl = kmalloc(64 * 1024, GFP_KERNEL);
	void *m = malloc(64), *big = malloc(8 * MiB);
	char *v = vmalloc(2 * PAGE_SIZE);

	CU_ASSERT_PTR_NOT_NULL_FATAL(k);
	CU_ASSERT_PTR_NOT_NULL_FATAL(kl);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_FALSE(is_vmalloc_addr(k));
	CU_ASSERT_FALSE(is_vmalloc_addr(kl));
	CU_ASSERT_FALSE(is_vmalloc_addr(&on_stack));
	CU_ASSERT_FALSE(is_vmalloc_addr(m));
	CU_ASSERT_FALSE(is_vmalloc_addr(big));
	CU_ASSERT_FALSE(is_vmalloc_addr(NULL));
	CU_ASSERT_FALSE(is_vmalloc_addr((void *)test_is_vmalloc_addr));
	CU_ASSERT_FALSE(is_vmalloc_or_module_addr(k));
	CU_ASSERT_TRUE(is_vmalloc_addr(v));
	CU_ASSERT_TRUE(is_vmalloc_addr(v + 2 * PAGE_SIZE)); /* guard page: still the area */
	CU_ASSERT_PTR_NULL(vmalloc_to_page(k));
	CU_ASSERT_PTR_NULL(vmalloc_to_page(&on_stack));
	CU_ASSERT_EQUAL(vmalloc_to_pfn(m), 0);
	vfree(v);
	kfree(k);
	kfree(kl);
	free(m);
	free(big);
}

/* vzalloc and friends zero pages that a previous region dirtied. */
static void zeroed_after_dirty(unsigned long size, int how)
{
	unsigned long n = PAGE_ALIGN(size) / PAGE_SIZE, i, *old, reused = 0;
	unsigned char *p = vmalloc_node(size, how == 3 ? 1 : NUMA_NO_NODE), *q = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	old = calloc(n, sizeof(*old));
	CU_ASSERT_PTR_NOT_NULL_FATAL(old);
	memset(p, 0xa5, PAGE_ALIGN(size));
	for (i = 0; i < n; i++)
		old[i] = vmalloc_to_pfn(p + i * PAGE_SIZE);
	qsort(old, n, sizeof(*old), cmp_ul);
	vfree(p);

	switch (how) {
	case 0: q = vzalloc(size); break;
	case 1: q = vcalloc(size / 8, 8); break;
	case 2: q = __vmalloc(size, GFP_KERNEL | __GFP_ZERO); break;
	case 3: q = vzalloc_node(size, 1); break;
	case 4: q = kvzalloc(size, GFP_KERNEL); break;
	case 5: q = kvcalloc(size / 16, 16, GFP_KERNEL); break;
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	CU_ASSERT(is_vmalloc_addr(q));
	CU_ASSERT(all_bytes(q, PAGE_ALIGN(size), 0));
	/* the point of the test: (some of) the dirty pages came back */
	for (i = 0; i < n; i++) {
		unsigned long pfn = vmalloc_to_pfn(q + i * PAGE_SIZE);

		if (bsearch(&pfn, old, n, sizeof(*old), cmp_ul))
			reused++;
	}
	if (!reused)
		printf("\n  zeroing test %d (%lu bytes): no dirty page was reused\n", how, size);
	CU_ASSERT(reused > 0);
	memset(q, 0xa5, PAGE_ALIGN(size));	/* give dirty pages back for the next round */
	kvfree(q);
	free(old);
}

static void test_zeroed(void)
{
	cpu_set_t saved, one;
	int how, cpu = sched_getcpu();

	/* stay on one CPU (one node, one set of per-CPU lists) so pages come back */
	CU_ASSERT_EQUAL_FATAL(sched_getaffinity(0, sizeof(saved), &saved), 0);
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	CU_ASSERT_EQUAL(sched_setaffinity(0, sizeof(one), &one), 0);
	/*
	 * Dirty most of HighMem first: the pages may be taken by the fault
	 * thread, on another CPU than ours, so the region just freed is not
	 * the only source of dirty pages this must meet.
	 */
	{
		unsigned long dirty = highmem_free() * 3 / 4 * PAGE_SIZE;
		void *d = vmalloc(dirty);

		CU_ASSERT_PTR_NOT_NULL_FATAL(d);
		memset(d, 0xa5, dirty);
		vfree(d);
	}
	for (how = 0; how < 6; how++) {
		zeroed_after_dirty(8 * MiB, how);	/* > KMALLOC_MAX_SIZE: kv* use vmalloc */
		/*
		 * An odd size that still starts with a 16-page block.  Smaller
		 * blocks are freed to and taken from per-CPU lists, and the
		 * pages may be taken on the fault thread's CPU rather than ours,
		 * so only blocks of order 4 and up reliably come back.
		 */
		if (how != 4 && how != 5)
			zeroed_after_dirty(21 * PAGE_SIZE + 16 * 8, how);
	}
	sched_setaffinity(0, sizeof(saved), &saved);
}

static void test_zero_and_overflow(void)
{
	struct kmem_vmalloc_stats s0 = vstats(), s1;
	uint64_t hm = highmem_free();

	kt_capture_start();
	CU_ASSERT_PTR_NULL(vmalloc(0));
	CU_ASSERT_PTR_NULL(vzalloc(0));
	CU_ASSERT_PTR_NULL(vmalloc_array(opaque(SIZE_MAX / 2 + 1), 2));
	CU_ASSERT_PTR_NULL(vmalloc_array(2, opaque(SIZE_MAX / 2 + 1)));
	CU_ASSERT_PTR_NULL(vcalloc(opaque(SIZE_MAX), 2));
	CU_ASSERT_PTR_NULL(vcalloc(opaque(1UL << 33), 1UL << 33));
	CU_ASSERT_PTR_NULL(vmalloc(opaque(1UL << 40)));		/* larger than the whole area */
	CU_ASSERT(kt_captured("vmalloc error"));
	kt_capture_start();
	CU_ASSERT_PTR_NULL(__vmalloc(opaque(1UL << 40), GFP_KERNEL | __GFP_NOWARN));
	CU_ASSERT_EQUAL(kt_captured_count(), 0);
	kt_capture_stop();
	s1 = vstats();
	CU_ASSERT_EQUAL(s1.nr_areas, s0.nr_areas);
	CU_ASSERT_EQUAL(s1.pages, s0.pages);
	CU_ASSERT_EQUAL(highmem_free(), hm);
}

/*
 * A request larger than all of HighMem: NULL where pages are taken at
 * vmalloc() time, having given back what it took; or (pages taken at first
 * touch) a region that costs nothing until touched.  No leak either way.
 */
static void test_shortage_rollback(void)
{
	struct kmem_vmalloc_stats s0 = vstats(), s1;
	uint64_t hm = highmem_free();
	unsigned char *p;

	kt_capture_start();
	p = vmalloc((hm + 100) * PAGE_SIZE);
	kt_capture_stop();
	s1 = vstats();
	if (p) {
		CU_ASSERT(s1.userfaultfd);	/* only first-touch allocation can overcommit */
		CU_ASSERT_EQUAL(s1.nr_areas, s0.nr_areas + 1);
		CU_ASSERT_EQUAL(s1.pages, s0.pages);
		CU_ASSERT_EQUAL(highmem_free(), hm);
		fill(p + 1000 * PAGE_SIZE, 3 * PAGE_SIZE, 8);
		CU_ASSERT_EQUAL(check(p + 1000 * PAGE_SIZE, 3 * PAGE_SIZE, 8), 3 * PAGE_SIZE);
		CU_ASSERT(highmem_free() < hm);
		vfree(p);
		s1 = vstats();
	} else {
		CU_ASSERT(kt_captured("vmalloc error"));
	}
	CU_ASSERT_EQUAL(s1.nr_areas, s0.nr_areas);
	CU_ASSERT_EQUAL(highmem_free(), hm);
	/* and the pool still serves a normal request afterwards */
	p = vmalloc(4 * MiB);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	fill(p, 4 * MiB, 9);
	CU_ASSERT_EQUAL(check(p, 4 * MiB, 9), 4 * MiB);
	vfree(p);
	CU_ASSERT_EQUAL(highmem_free(), hm);
}

/* ------------------------------------------------------------------ */
/* accounting                                                          */
/* ------------------------------------------------------------------ */

static void test_accounting(void)
{
	static const unsigned long sizes[] = { 1, 4097, 37 * PAGE_SIZE - 100, 3 * MiB + 5, 10 * MiB };
	enum { N = sizeof(sizes) / sizeof(sizes[0]) };
	struct kmem_vmalloc_stats s0 = vstats(), s1;
	uint64_t hm0 = highmem_free(), hm, pages = 0;
	char *p[N];
	unsigned int i;

	for (i = 0; i < N; i++) {
		uint64_t before = highmem_free(), nr = PAGE_ALIGN(sizes[i]) / PAGE_SIZE, after;
		struct kmem_vmalloc_stats b = vstats();

		p[i] = vmalloc(sizes[i]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p[i]);
		pages += nr;
		after = highmem_free();
		s1 = vstats();
		CU_ASSERT(taken_now_or_later(before - after, nr));
		CU_ASSERT_EQUAL(before - after, s1.pages - b.pages);
		CU_ASSERT_EQUAL(s1.nr_areas, s0.nr_areas + i + 1);
	}
	/* every page touched: exactly nr_pages each, whenever they were taken */
	for (i = 0; i < N; i++)
		fill(p[i], sizes[i], i);
	hm = highmem_free();
	CU_ASSERT_EQUAL(hm, hm0 - pages);
	CU_ASSERT_EQUAL(vstats().pages, s0.pages + pages);
	/* touching again takes nothing more */
	for (i = 0; i < N; i++)
		fill(p[i], PAGE_ALIGN(sizes[i]), 100 + i);
	for (i = 0; i < N; i++)
		fill(p[i], sizes[i], i);
	CU_ASSERT_EQUAL(highmem_free(), hm);
	for (i = 0; i < N; i++)
		CU_ASSERT_EQUAL(check(p[i], sizes[i], i), sizes[i]);

	/* free out of order */
	for (i = 0; i < N; i += 2) {
		uint64_t before = highmem_free();

		vfree(p[i]);
		CU_ASSERT_EQUAL(highmem_free(), before + PAGE_ALIGN(sizes[i]) / PAGE_SIZE);
	}
	for (i = 1; i < N; i += 2) {
		uint64_t before = highmem_free();

		vfree(p[i]);
		CU_ASSERT_EQUAL(highmem_free(), before + PAGE_ALIGN(sizes[i]) / PAGE_SIZE);
	}
	CU_ASSERT_EQUAL(highmem_free(), hm0);
	s1 = vstats();
	CU_ASSERT_EQUAL(s1.nr_areas, s0.nr_areas);
	CU_ASSERT_EQUAL(s1.pages, s0.pages);
	CU_ASSERT_EQUAL(s1.used_bytes, s0.used_bytes);
	CU_ASSERT_EQUAL(s1.total_bytes, 64ULL << 30);
}

/* ------------------------------------------------------------------ */
/* vmalloc_to_page                                                     */
/* ------------------------------------------------------------------ */

static void test_to_page(void)
{
	enum { NP = 96, TOUCHED = 48 };
	unsigned char *p = vmalloc(NP * PAGE_SIZE);
	unsigned long pfns[NP], i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	/* first half: write through the vmalloc address, read through page_address */
	for (i = 0; i < TOUCHED; i++)
		fill(p + i * PAGE_SIZE, PAGE_SIZE, 100 + i);
	for (i = 0; i < NP; i++) {
		unsigned char *addr = p + i * PAGE_SIZE;
		struct page *pg = vmalloc_to_page(addr + (i * 37) % PAGE_SIZE);

		CU_ASSERT_PTR_NOT_NULL_FATAL(pg);
		CU_ASSERT_PTR_EQUAL(vmalloc_to_page(addr), pg);
		CU_ASSERT_EQUAL(page_zonenum(pg), ZONE_HIGHMEM);
		CU_ASSERT_EQUAL(vmalloc_to_pfn(addr + PAGE_SIZE - 1), page_to_pfn(pg));
		CU_ASSERT_PTR_EQUAL(pfn_to_page(vmalloc_to_pfn(addr)), pg);
		CU_ASSERT_PTR_NOT_NULL(page_address(pg));
		pfns[i] = page_to_pfn(pg);
		if (i < TOUCHED)
			CU_ASSERT_EQUAL(check(page_address(pg), PAGE_SIZE, 100 + i), PAGE_SIZE);
	}
	/* second half, never touched: write through page_address, read through the region */
	for (i = TOUCHED; i < NP; i++)
		fill(page_address(vmalloc_to_page(p + i * PAGE_SIZE)), PAGE_SIZE, 100 + i);
	for (i = TOUCHED; i < NP; i++)
		CU_ASSERT_EQUAL(check(p + i * PAGE_SIZE, PAGE_SIZE, 100 + i), PAGE_SIZE);
	/* and both views stay one page */
	p[TOUCHED * PAGE_SIZE + 5] = 0xee;
	CU_ASSERT_EQUAL(((unsigned char *)page_address(vmalloc_to_page(p + TOUCHED * PAGE_SIZE)))[5],
			0xee);

	qsort(pfns, NP, sizeof(pfns[0]), cmp_ul);
	for (i = 1; i < NP; i++)
		CU_ASSERT_NOT_EQUAL(pfns[i], pfns[i - 1]);

	/* the guard page and addresses outside any region have no page */
	CU_ASSERT_PTR_NULL(vmalloc_to_page(p + NP * PAGE_SIZE));
	CU_ASSERT_EQUAL(vmalloc_to_pfn(p + NP * PAGE_SIZE + 17), 0);
	vfree(p);
	CU_ASSERT_PTR_NULL(vmalloc_to_page(p));
}

/* ------------------------------------------------------------------ */
/* NUMA placement and /proc/vmallocinfo                                */
/* ------------------------------------------------------------------ */

struct vinfo_line {
	unsigned long start, end, size;
	unsigned int pages;
	char caller[128];
	unsigned int n[4];
	bool is_vmalloc;
};

/* Parse kmem_show_vmallocinfo() into @out; returns the number of lines. */
static int read_vmallocinfo(struct vinfo_line *out, int max, bool *all_ok)
{
	char *buf = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int n = 0;

	*all_ok = true;
	if (!f)
		return -1;
	CU_ASSERT_EQUAL(kmem_show_vmallocinfo(f), 0);
	fclose(f);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct vinfo_line v;
		char kind[32], *tok;
		int consumed = 0;

		memset(&v, 0, sizeof(v));
		if (sscanf(line, "0x%16lx-0x%16lx %lu %127s pages=%u %31s%n", &v.start, &v.end,
			   &v.size, v.caller, &v.pages, kind, &consumed) != 6) {
			printf("unparsable vmallocinfo line: '%s'\n", line);
			*all_ok = false;
			continue;
		}
		/* the kernel's layout: 0x + 16 hex digits on both sides, size in %7lu */
		if (strlen(line) < 41 || line[18] != '-' || line[37] != ' ')
			*all_ok = false;
		v.is_vmalloc = !strcmp(kind, "vmalloc");
		for (tok = line + consumed; *tok;) {
			unsigned int nid, cnt;
			int used = 0;

			if (sscanf(tok, " N%u=%u%n", &nid, &cnt, &used) != 2 || !used) {
				*all_ok = false;
				break;
			}
			if (nid < 4)
				v.n[nid] = cnt;
			tok += used;
		}
		if (n < max)
			out[n] = v;
		n++;
	}
	free(buf);
	return n;
}

static void test_node_and_vmallocinfo(void)
{
	enum { NP0 = 300, NP1 = 513 };
	unsigned char *p0, *p1, *pz;
	struct vinfo_line lines[64];
	bool ok, seen0 = false, seen1 = false;
	unsigned long i;
	int n, k;

	CU_ASSERT_EQUAL_FATAL(nr_nodes, 2);
	p1 = vmalloc_node(NP1 * PAGE_SIZE, 1);
	p0 = vmalloc_node(NP0 * PAGE_SIZE - 1, 0);
	pz = vzalloc_node(7 * PAGE_SIZE, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pz);
	/* touch everything first: pages may be taken only at first touch */
	fill(p1, NP1 * PAGE_SIZE, 1);
	fill(p0, NP0 * PAGE_SIZE - 1, 0);
	CU_ASSERT(all_bytes(pz, 7 * PAGE_SIZE, 0));
	CU_ASSERT_EQUAL(check(p1, NP1 * PAGE_SIZE, 1), NP1 * PAGE_SIZE);
	for (i = 0; i < NP1; i++)
		CU_ASSERT_EQUAL(page_to_nid(vmalloc_to_page(p1 + i * PAGE_SIZE)), 1);
	for (i = 0; i < NP0; i++)
		CU_ASSERT_EQUAL(page_to_nid(vmalloc_to_page(p0 + i * PAGE_SIZE)), 0);
	for (i = 0; i < 7; i++)
		CU_ASSERT_EQUAL(page_to_nid(vmalloc_to_page(pz + i * PAGE_SIZE)), 1);

	n = read_vmallocinfo(lines, 64, &ok);
	CU_ASSERT(ok);
	CU_ASSERT_EQUAL(n, (int)vstats().nr_areas);
	for (k = 0; k < n && k < 64; k++) {
		struct vinfo_line *v = &lines[k];

		CU_ASSERT_EQUAL(v->end - v->start, v->size);
		CU_ASSERT_EQUAL(v->size, ((unsigned long)v->pages + 1) * PAGE_SIZE);
		CU_ASSERT(v->is_vmalloc);
		CU_ASSERT_EQUAL(v->n[0] + v->n[1], v->pages);
		CU_ASSERT(v->caller[0] != '\0');
		if (k)
			CU_ASSERT(v->start >= lines[k - 1].end);	/* sorted, disjoint */
		if (v->start == (unsigned long)p1) {
			seen1 = true;
			CU_ASSERT_EQUAL(v->pages, NP1);
			CU_ASSERT_EQUAL(v->n[1], NP1);
			CU_ASSERT_EQUAL(v->n[0], 0);
		} else if (v->start == (unsigned long)p0) {
			seen0 = true;
			CU_ASSERT_EQUAL(v->pages, NP0);
			CU_ASSERT_EQUAL(v->n[0], NP0);
			CU_ASSERT_EQUAL(v->n[1], 0);
		}
		/* the caller is this function: by name, or as an address inside it */
		if (v->start == (unsigned long)p0 || v->start == (unsigned long)p1) {
			if (strchr(v->caller, '+')) {
				CU_ASSERT(!strncmp(v->caller, "test_node_and_vmallocinfo+0x", 28));
			} else {
				unsigned long c = strtoul(v->caller, NULL, 16),
					      fn = (unsigned long)test_node_and_vmallocinfo;

				CU_ASSERT(c > fn && c < fn + 64 * 1024);
			}
		}
	}
	CU_ASSERT(seen0);
	CU_ASSERT(seen1);
	vfree(p0);
	vfree(p1);
	vfree(pz);
	n = read_vmallocinfo(lines, 64, &ok);
	for (k = 0; k < n && k < 64; k++)
		CU_ASSERT(lines[k].start != (unsigned long)p1 && lines[k].start != (unsigned long)p0);
}

/* ------------------------------------------------------------------ */
/* bad vfree()s                                                        */
/* ------------------------------------------------------------------ */

static void expect_bad_vfree(const void *addr, const char *what, unsigned char *region,
			     unsigned long size, uint64_t hm, uint64_t areas)
{
	kt_capture_start();
	vfree(addr);
	kt_capture_stop();
	if (!kt_captured("Trying to vfree() nonexistent vm area"))
		printf("\nno report for vfree(%s)\n", what);
	CU_ASSERT(kt_captured("Trying to vfree() nonexistent vm area"));
	CU_ASSERT_EQUAL(kt_captured_count(), 1);
	CU_ASSERT_EQUAL(highmem_free(), hm);
	CU_ASSERT_EQUAL(vstats().nr_areas, areas);
	if (region) {
		CU_ASSERT_EQUAL(check(region, size, 77), size);
		fill(region, size, 77);		/* still mapped and writable */
	}
}

/*
 * __vmalloc_node() starts a region at a multiple of its alignment (a power
 * of two; below a page, a page), and find_vm_area() finds the region of
 * any address inside it, with the kernel's get_vm_area_size().
 */
static void test_align_and_find_area(void)
{
	static const unsigned long aligns[] = { 1, 64, PAGE_SIZE, 64 * 1024, 2 * MiB, 16 * MiB };
	void *pad = vmalloc(3 * PAGE_SIZE);	/* so that the next region is not aligned by luck */
	unsigned int i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(pad);
	for (i = 0; i < sizeof(aligns) / sizeof(aligns[0]); i++) {
		unsigned long al = aligns[i] < PAGE_SIZE ? PAGE_SIZE : aligns[i];
		char *p = __vmalloc_node(5 * PAGE_SIZE + 1, aligns[i], GFP_KERNEL, NUMA_NO_NODE,
					 __builtin_return_address(0));
		struct vm_struct *area;

		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		KT_ASSERT_EQ((uintptr_t)p & (al - 1), 0);
		area = find_vm_area(p);
		CU_ASSERT_PTR_NOT_NULL_FATAL(area);
		CU_ASSERT_PTR_EQUAL(vm_area_addr(area), p);
		KT_ASSERT_EQ(get_vm_area_size(area), 6 * PAGE_SIZE);
		CU_ASSERT_PTR_EQUAL(find_vm_area(p + 6 * PAGE_SIZE - 1), area);
		memset(p, 0x3c, 5 * PAGE_SIZE + 1);
		vfree(p);
		CU_ASSERT_PTR_NULL(find_vm_area(p));
	}
	/* an alignment that is not a power of two is refused */
	kt_capture_start();
	CU_ASSERT_PTR_NULL(__vmalloc_node(PAGE_SIZE, 3 * PAGE_SIZE, GFP_KERNEL | __GFP_NOWARN,
					  NUMA_NO_NODE, NULL));
	kt_capture_stop();
	/* not vmalloc memory at all */
	CU_ASSERT_PTR_NULL(find_vm_area(&i));
	CU_ASSERT_PTR_NULL(find_vm_area(NULL));
	vfree(pad);
}

static void test_bad_vfree(void)
{
	unsigned long size = 3 * PAGE_SIZE;
	unsigned char *p = vmalloc(size), *q;
	void *k = kmalloc(128, GFP_KERNEL);
	int on_stack;
	uint64_t hm, areas;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(k);
	fill(p, size, 77);
	hm = highmem_free();
	areas = vstats().nr_areas;

	kt_capture_start();
	vfree(NULL);
	kt_capture_stop();
	CU_ASSERT_EQUAL(kt_captured_count(), 0);

	expect_bad_vfree(p + PAGE_SIZE, "p + PAGE_SIZE", p, size, hm, areas);
	expect_bad_vfree(p + 1, "p + 1", p, size, hm, areas);
	expect_bad_vfree(p + size, "guard page", p, size, hm, areas);
	expect_bad_vfree(k, "kmalloc", p, size, hm, areas);
	expect_bad_vfree(&on_stack, "stack", p, size, hm, areas);
	expect_bad_vfree((void *)0x12345000UL, "random", p, size, hm, areas);
	expect_bad_vfree(p + 64 * MiB, "unused vmalloc range", p, size, hm, areas);
	kfree(k);

	/* the real vfree works, and a second one is reported and harmless */
	kt_capture_start();
	vfree(p);
	kt_capture_stop();
	CU_ASSERT_EQUAL(kt_captured_count(), 0);
	hm += 3;
	CU_ASSERT_EQUAL(highmem_free(), hm);
	CU_ASSERT_EQUAL(vstats().nr_areas, areas - 1);
	expect_bad_vfree(p, "double vfree", NULL, 0, hm, areas - 1);

	/* a double free after the range was reused must not free the new owner */
	p = vmalloc(size);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	vfree(p);
	q = vmalloc(size + PAGE_SIZE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	fill(q, size + PAGE_SIZE, 77);
	hm = highmem_free();
	if (q != p)
		expect_bad_vfree(p, "double vfree, range reused", q, size + PAGE_SIZE, hm,
				 vstats().nr_areas);
	vfree(q);
}

/* ------------------------------------------------------------------ */
/* guard page                                                          */
/* ------------------------------------------------------------------ */

static void test_guard_page(void)
{
	static const unsigned long sizes[] = { 1, 4096, 5000, 65536 };
	unsigned int i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		unsigned long sz = sizes[i];
		volatile char *p = vmalloc(sz);
		char *next = vmalloc(PAGE_SIZE);	/* a neighbour, likely right after */
		int status = 0;
		pid_t pid;

		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		CU_ASSERT_PTR_NOT_NULL_FATAL(next);
		memset((char *)p, 1, PAGE_ALIGN(sz));
		memset(next, 2, PAGE_SIZE);
		fflush(NULL);
		pid = fork();
		CU_ASSERT_FATAL(pid >= 0);
		if (pid == 0) {
			struct sigaction sa;

			memset(&sa, 0, sizeof(sa));
			sa.sa_handler = SIG_DFL;
			sigaction(SIGSEGV, &sa, NULL);
			sigaction(SIGBUS, &sa, NULL);
			alarm(10);
			p[PAGE_ALIGN(sz) - 1] = 3;	/* the last byte is fine */
			p[PAGE_ALIGN(sz)] = 4;		/* the guard page is not */
			_exit(42);
		}
		CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
		CU_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
		if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV))
			printf("\nguard page of a %lu-byte region: child status %#x\n", sz, status);
		/* the child's write before the fault landed in the shared page */
		CU_ASSERT_EQUAL(p[PAGE_ALIGN(sz) - 1], 3);
		CU_ASSERT(all_bytes((char *)p, PAGE_ALIGN(sz) - 1, 1));
		vfree((void *)p);
		vfree(next);
	}
}

/* ------------------------------------------------------------------ */
/* threads                                                             */
/* ------------------------------------------------------------------ */

enum { NTHREADS = 4 };

struct shared_arg {
	unsigned char *p;
	unsigned long pages;
	unsigned int id;
	pthread_barrier_t *bar;
	int bad;
};

static void *shared_region_thread(void *a)
{
	struct shared_arg *arg = a;
	unsigned long i;

	pthread_barrier_wait(arg->bar);
	/* interleaved pages, each thread a different start so they collide in windows */
	for (i = arg->id; i < arg->pages; i += NTHREADS)
		fill(arg->p + i * PAGE_SIZE, PAGE_SIZE, i);
	pthread_barrier_wait(arg->bar);
	for (i = 0; i < arg->pages; i++)
		if (check(arg->p + i * PAGE_SIZE, PAGE_SIZE, i) != PAGE_SIZE)
			arg->bad++;
	return NULL;
}

static void *own_region_thread(void *a)
{
	struct shared_arg *arg = a;
	unsigned long size = arg->pages * PAGE_SIZE - arg->id * 100;
	unsigned char *p;
	int round;

	pthread_barrier_wait(arg->bar);
	for (round = 0; round < 4; round++) {
		p = vmalloc(size);
		if (!p) {
			arg->bad++;
			continue;
		}
		fill(p, size, arg->id * 10 + (unsigned int)round);
		if (check(p, size, arg->id * 10 + (unsigned int)round) != size)
			arg->bad++;
		vfree(p);
	}
	return NULL;
}

static void test_threads(void)
{
	enum { PAGES = 4096 };	/* 16 MiB */
	struct shared_arg args[NTHREADS];
	pthread_t th[NTHREADS];
	pthread_barrier_t bar;
	uint64_t hm = highmem_free();
	unsigned char *p = vmalloc(PAGES * PAGE_SIZE);
	unsigned int t;

	alarm(30);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	pthread_barrier_init(&bar, NULL, NTHREADS);
	for (t = 0; t < NTHREADS; t++) {
		args[t] = (struct shared_arg){ p, PAGES, t, &bar, 0 };
		pthread_create(&th[t], NULL, shared_region_thread, &args[t]);
	}
	for (t = 0; t < NTHREADS; t++) {
		pthread_join(th[t], NULL);
		CU_ASSERT_EQUAL(args[t].bad, 0);
	}
	vfree(p);

	/* every thread its own regions, at once */
	for (t = 0; t < NTHREADS; t++) {
		args[t] = (struct shared_arg){ NULL, 1024, t, &bar, 0 };
		pthread_create(&th[t], NULL, own_region_thread, &args[t]);
	}
	for (t = 0; t < NTHREADS; t++) {
		pthread_join(th[t], NULL);
		CU_ASSERT_EQUAL(args[t].bad, 0);
	}
	pthread_barrier_destroy(&bar);
	CU_ASSERT_EQUAL(highmem_free(), hm);
	alarm(0);
}

/* Many threads touch the same untouched page at the same moment. */
struct same_page_arg {
	volatile unsigned char *page;
	pthread_barrier_t *bar;
	unsigned char seen;
};

static void *same_page_thread(void *a)
{
	struct same_page_arg *arg = a;

	pthread_barrier_wait(arg->bar);
	arg->seen = arg->page[100];
	return NULL;
}

static void test_same_page_faults(void)
{
	enum { T = 8, ROUNDS = 32 };
	struct same_page_arg args[T];
	pthread_t th[T];
	pthread_barrier_t bar;
	unsigned char *p = vmalloc(ROUNDS * 64 * PAGE_SIZE);
	unsigned int r, t;

	alarm(30);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	pthread_barrier_init(&bar, NULL, T);
	for (r = 0; r < ROUNDS; r++) {
		unsigned char *page = p + r * 64 * PAGE_SIZE;

		/* set the value behind the region's back, through the page itself */
		((unsigned char *)page_address(vmalloc_to_page(page)))[100] = (unsigned char)(r + 1);
		for (t = 0; t < T; t++) {
			args[t] = (struct same_page_arg){ page, &bar, 0 };
			pthread_create(&th[t], NULL, same_page_thread, &args[t]);
		}
		for (t = 0; t < T; t++) {
			pthread_join(th[t], NULL);
			CU_ASSERT_EQUAL(args[t].seen, r + 1);
		}
	}
	pthread_barrier_destroy(&bar);
	vfree(p);
	alarm(0);
}

/* Faults on a big region while another thread vmallocs and vfrees. */
struct race_arg {
	unsigned char *p;
	unsigned long pages;
	unsigned int id;
	volatile int *stop;
	int bad;
	unsigned long rounds;
};

static void *race_faulter(void *a)
{
	struct race_arg *arg = a;
	uint64_t rnd = kt_seed() + arg->id * 0x9e3779b97f4a7c15ULL;
	unsigned long i, n = arg->pages / NTHREADS, start = arg->id * n;

	/* this thread's slice in a scattered order: a fault per touch mostly */
	for (i = 0; i < n; i++) {
		unsigned long pg = start + (i * 613) % n;

		arg->p[pg * PAGE_SIZE] = (unsigned char)pg;
		arg->p[pg * PAGE_SIZE + PAGE_SIZE - 1] = (unsigned char)(pg >> 8);
		if ((kt_rand(&rnd) & 63) == 0)
			sched_yield();
	}
	for (i = 0; i < n; i++) {
		unsigned long pg = start + i;

		if (arg->p[pg * PAGE_SIZE] != (unsigned char)pg ||
		    arg->p[pg * PAGE_SIZE + PAGE_SIZE - 1] != (unsigned char)(pg >> 8))
			arg->bad++;
	}
	return NULL;
}

static void *race_churner(void *a)
{
	struct race_arg *arg = a;
	uint64_t rnd = kt_seed() ^ 0x1234;

	while (!*arg->stop || arg->rounds < 200) {
		unsigned long size = (kt_rand(&rnd) % (16 * PAGE_SIZE)) + 1;
		unsigned char *q = vmalloc(size);

		if (!q) {
			arg->bad++;
			break;
		}
		fill(q, size, arg->rounds);
		if (check(q, size, arg->rounds) != size)
			arg->bad++;
		vfree(q);
		arg->rounds++;
	}
	return NULL;
}

static void test_fault_vs_vfree_race(void)
{
	enum { PAGES = 8192 };	/* 32 MiB */
	struct race_arg args[NTHREADS + 1];
	pthread_t th[NTHREADS + 1];
	volatile int stop = 0;
	uint64_t hm = highmem_free();
	unsigned char *p;
	unsigned int t;

	alarm(30);
	/* a fault per page, so faults and vfree()s interleave as much as they can */
	CU_ASSERT_EQUAL(kmem_set_fault_around_bytes(PAGE_SIZE), 0);
	p = vmalloc(PAGES * PAGE_SIZE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	args[NTHREADS] = (struct race_arg){ NULL, 0, NTHREADS, &stop, 0, 0 };
	pthread_create(&th[NTHREADS], NULL, race_churner, &args[NTHREADS]);
	for (t = 0; t < NTHREADS; t++) {
		args[t] = (struct race_arg){ p, PAGES, t, &stop, 0, 0 };
		pthread_create(&th[t], NULL, race_faulter, &args[t]);
	}
	for (t = 0; t < NTHREADS; t++) {
		pthread_join(th[t], NULL);
		CU_ASSERT_EQUAL(args[t].bad, 0);
	}
	stop = 1;
	pthread_join(th[NTHREADS], NULL);
	CU_ASSERT_EQUAL(args[NTHREADS].bad, 0);
	CU_ASSERT(args[NTHREADS].rounds >= 200);
	vfree(p);
	CU_ASSERT_EQUAL(kmem_set_fault_around_bytes(64 * 1024), 0);
	CU_ASSERT_EQUAL(highmem_free(), hm);
	alarm(0);
}

/* ------------------------------------------------------------------ */
/* fork                                                                */
/* ------------------------------------------------------------------ */

/* Child exit codes, one per check, so a failure says which. */
enum {
	FC_OK = 0,
	FC_PARENT_DATA = 10,
	FC_UNTOUCHED_NOT_ZERO,
	FC_NO_BEFORE_FORK_REPORT,
	FC_FREED_PARENT_PAGES,
	FC_OWN_VMALLOC,
	FC_OWN_ACCOUNTING,
	FC_OWN_VFREE,
	FC_REGION_STILL_LISTED,
};

static void test_fork(void)
{
	enum { PAGES = 1024, TOUCHED = 32, SHARED_PAGE = 5, UNTOUCHED = 1000 };
	uint64_t hm0 = highmem_free(), hm_alloc, vpages0 = vstats().pages;
	unsigned char *p = vmalloc(PAGES * PAGE_SIZE);
	bool uffd;
	int status = 0;
	unsigned long i;
	pid_t pid;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	uffd = vstats().userfaultfd;
	for (i = 0; i < TOUCHED; i++)
		fill(p + i * PAGE_SIZE, PAGE_SIZE, 500 + i);
	hm_alloc = highmem_free();
	CU_ASSERT_EQUAL(hm0 - hm_alloc, vstats().pages - vpages0);
	CU_ASSERT(hm0 - hm_alloc >= TOUCHED);
	fflush(NULL);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		unsigned char *q;
		uint64_t hm;
		unsigned int areas;

		alarm(20);
		for (i = 0; i < TOUCHED; i++)
			if (check(p + i * PAGE_SIZE, PAGE_SIZE, 500 + i) != PAGE_SIZE)
				_exit(FC_PARENT_DATA);
		fill(p + SHARED_PAGE * PAGE_SIZE, PAGE_SIZE, 999);
		/* not registered in the child: a private zero page, never a hang */
		if (uffd && !all_bytes(p + UNTOUCHED * PAGE_SIZE, PAGE_SIZE, 0))
			_exit(FC_UNTOUCHED_NOT_ZERO);
		p[UNTOUCHED * PAGE_SIZE] = 0x42;

		hm = highmem_free();
		areas = (unsigned int)vstats().nr_areas;
		kt_capture_start();
		vfree(p);
		kt_capture_stop();
		if (!kt_captured("before fork"))
			_exit(FC_NO_BEFORE_FORK_REPORT);
		if (highmem_free() != hm)
			_exit(FC_FREED_PARENT_PAGES);
		if (vstats().nr_areas != areas - 1)
			_exit(FC_REGION_STILL_LISTED);

		q = vmalloc(16 * PAGE_SIZE);
		if (!q)
			_exit(FC_OWN_VMALLOC);
		fill(q, 16 * PAGE_SIZE, 3);
		if (check(q, 16 * PAGE_SIZE, 3) != 16 * PAGE_SIZE)
			_exit(FC_OWN_VMALLOC);
		if (highmem_free() != hm - 16)
			_exit(FC_OWN_ACCOUNTING);
		kt_capture_start();
		vfree(q);
		kt_capture_stop();
		if (kt_captured_count() != 0 || highmem_free() != hm)
			_exit(FC_OWN_VFREE);
		_exit(FC_OK);
	}
	CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT(WIFEXITED(status));
	CU_ASSERT_EQUAL(WEXITSTATUS(status), FC_OK);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		printf("\nfork child: status %#x (exit code %d)\n", status,
		       WIFEXITED(status) ? WEXITSTATUS(status) : -1);

	/* the child's write to a touched page is seen: MAP_SHARED */
	CU_ASSERT_EQUAL(check(p + SHARED_PAGE * PAGE_SIZE, PAGE_SIZE, 999), PAGE_SIZE);
	for (i = 0; i < TOUCHED; i++)
		if (i != SHARED_PAGE)
			CU_ASSERT_EQUAL(check(p + i * PAGE_SIZE, PAGE_SIZE, 500 + i), PAGE_SIZE);
	/* nothing of the parent's was freed by the child's vfree() */
	CU_ASSERT_EQUAL(highmem_free(), hm_alloc);
	/* the untouched page is the parent's real page, not the child's private copy */
	CU_ASSERT_EQUAL(p[UNTOUCHED * PAGE_SIZE],
			((unsigned char *)page_address(vmalloc_to_page(p + UNTOUCHED * PAGE_SIZE)))[0]);
	fill(p, PAGES * PAGE_SIZE, 4);
	CU_ASSERT_EQUAL(check(p, PAGES * PAGE_SIZE, 4), PAGES * PAGE_SIZE);
	kt_capture_start();
	vfree(p);
	kt_capture_stop();
	CU_ASSERT_EQUAL(kt_captured_count(), 0);
	CU_ASSERT_EQUAL(highmem_free(), hm0);
}

/*
 * A child looking at an inherited region (vmalloc_to_page, vmallocinfo,
 * stats) and vfree()ing it must not take or free pages of the shared
 * allocator on the parent's behalf: once it has exited, the parent's HighMem
 * count is what it was, and the parent's region is intact.
 */
static void test_fork_inherited_no_leak(void)
{
	enum { PAGES = 64, UNTOUCHED = 40 };
	unsigned char *p = vmalloc(PAGES * PAGE_SIZE);
	uint64_t hm;
	int status = 0;
	pid_t pid;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	fill(p, PAGE_SIZE, 61);			/* page 0 touched, the rest not */
	hm = highmem_free();
	fflush(NULL);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		struct page *pg;
		FILE *f = fopen("/dev/null", "w");

		alarm(10);
		(void)vmalloc_to_page(p);
		pg = vmalloc_to_page(p + UNTOUCHED * PAGE_SIZE);
		(void)vmalloc_to_pfn(p + (UNTOUCHED + 1) * PAGE_SIZE);
		if (pg)
			(void)page_to_nid(pg);
		if (f) {
			kmem_show_vmallocinfo(f);
			fclose(f);
		}
		(void)vstats();
		kt_capture_start();
		vfree(p);
		kt_capture_stop();
		_exit(kt_captured("before fork") ? 0 : 1);
	}
	CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (highmem_free() != hm)
		printf("\n  HighMem free %llu after the child exited, %llu before the fork\n",
		       (unsigned long long)highmem_free(), (unsigned long long)hm);
	CU_ASSERT_EQUAL(highmem_free(), hm);
	CU_ASSERT_EQUAL(check(p, PAGE_SIZE, 61), PAGE_SIZE);
	fill(p, PAGES * PAGE_SIZE, 62);
	CU_ASSERT_EQUAL(check(p, PAGES * PAGE_SIZE, 62), PAGES * PAGE_SIZE);
	vfree(p);
}

/*
 * fork() right after a fault, and fork() while another thread vmallocs:
 * the child must be able to vmalloc and vfree (no lock inherited held).
 */
struct churn_arg {
	volatile int stop;
	unsigned long rounds;
};

static void *fork_churner(void *a)
{
	struct churn_arg *arg = a;

	while (!arg->stop) {
		void *q = vmalloc(PAGE_SIZE * (1 + arg->rounds % 8));

		if (q)
			vfree(q);
		arg->rounds++;
	}
	return NULL;
}

static int fork_and_vmalloc(void)
{
	int status = 0;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		void *q;

		/*
		 * A child stuck on an inherited lock dies of SIGALRM.  Its work
		 * takes milliseconds; the margin is for a loaded CI machine.
		 */
		alarm(10);
		q = vmalloc(3 * PAGE_SIZE);
		if (!q)
			_exit(2);
		memset(q, 1, 3 * PAGE_SIZE);
		vfree(q);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

static void test_fork_lock_state(void)
{
	enum { FORKS = 100 };
	struct churn_arg ca = { 0, 0 };
	pthread_t th;
	unsigned int i, bad_fault = 0, bad_churn = 0;
	int last_bad = 0;

	alarm(60);
	fflush(NULL);
	/* fork() just after a first-touch fault was served */
	for (i = 0; i < FORKS; i++) {
		volatile unsigned char *p = vmalloc(8 * PAGE_SIZE);
		int st;

		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		p[0] = 1;
		st = fork_and_vmalloc();
		vfree((void *)p);
		if (st) {
			last_bad = st;
			bad_fault++;
			break;		/* one is enough to tell; each costs the alarm */
		}
	}
	CU_ASSERT_EQUAL(bad_fault, 0);
	if (bad_fault)
		printf("\nfork after a fault: %u children of %u failed (last status %#x)\n",
		       bad_fault, i + (i < FORKS), last_bad);

	/*
	 * fork() while another thread is inside vmalloc()/vfree().  Not under
	 * GCC 12's ASan: its allocator takes no lock across fork() (later
	 * runtimes do), and vmalloc's bookkeeping is that allocator's under
	 * the sanitizers, so a child could inherit the runtime's lock held by
	 * the other thread and hang in it.
	 */
#if defined(__SANITIZE_ADDRESS__) && __GNUC__ < 13
	printf("(fork during vmalloc in another thread: not under this ASan) ");
	alarm(0);
	return;
#endif
	pthread_create(&th, NULL, fork_churner, &ca);
	while (!ca.rounds)
		sched_yield();
	for (i = 0; i < FORKS; i++) {
		int st = fork_and_vmalloc();

		if (st) {
			last_bad = st;
			bad_churn++;
			break;
		}
	}
	ca.stop = 1;
	pthread_join(th, NULL);
	CU_ASSERT_EQUAL(bad_churn, 0);
	if (bad_churn)
		printf("\nfork during vmalloc/vfree in another thread: %u children of %u failed "
		       "(last status %#x)\n", bad_churn, i + (i < FORKS), last_bad);
	alarm(0);
}

/* ------------------------------------------------------------------ */
/* kvmalloc                                                            */
/* ------------------------------------------------------------------ */

static void test_kvmalloc_placement(void)
{
	static const size_t small[] = { 1, 100, 2048, PAGE_SIZE };
	uint64_t hm = highmem_free();
	unsigned int i;
	char *p;

	for (i = 0; i < sizeof(small) / sizeof(small[0]); i++) {
		p = kvmalloc(small[i], GFP_KERNEL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		CU_ASSERT_FALSE(is_vmalloc_addr(p));
		CU_ASSERT(ksize(p) >= small[i]);
		fill(p, small[i], i);
		CU_ASSERT_EQUAL(check(p, small[i], i), small[i]);
		kvfree(p);
	}
	/* cheap to get from kmalloc: kmalloc */
	p = kvmalloc(64 * 1024, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_FALSE(is_vmalloc_addr(p));
	kvfree(p);
	/* beyond KMALLOC_MAX_SIZE: vmalloc */
	p = kvmalloc(8 * MiB, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT(is_vmalloc_addr(p));
	fill(p, 8 * MiB, 1);
	CU_ASSERT_EQUAL(check(p, 8 * MiB, 1), 8 * MiB);
	CU_ASSERT_EQUAL(highmem_free(), hm - 8 * MiB / PAGE_SIZE);
	kvfree(p);
	p = kvmalloc_node(KMALLOC_MAX_SIZE + 1, GFP_KERNEL, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT(is_vmalloc_addr(p));
	CU_ASSERT_EQUAL(page_to_nid(vmalloc_to_page(p)), 1);
	kvfree(p);
	p = kvmalloc_array(1024, 8 * 1024, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT(is_vmalloc_addr(p));
	kvfree(p);
	kvfree(NULL);
	CU_ASSERT_EQUAL(highmem_free(), hm);
}

static void test_kvzalloc(void)
{
	char *p;

	/* dirty, free, then ask for zeroed memory of the same sizes */
	p = kvmalloc(3000, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	memset(p, 0xcc, 3000);
	kvfree(p);
	p = kvzalloc(3000, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT(all_bytes(p, 3000, 0));
	kvfree(p);
	p = kvcalloc(1000, 8, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT(all_bytes(p, 8000, 0));
	kvfree(p);
	p = kvzalloc_node(5 * MiB, GFP_KERNEL, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT(is_vmalloc_addr(p));
	CU_ASSERT(all_bytes(p, 5 * MiB, 0));
	kvfree(p);
	/* zeroed-after-dirty through the vmalloc path is in test_zeroed */
}

static void test_kvmalloc_overflow(void)
{
	uint64_t hm = highmem_free();
	struct kmem_vmalloc_stats s0 = vstats();

	kt_capture_start();
	CU_ASSERT_PTR_NULL(kvmalloc_array(opaque(SIZE_MAX / 4 + 1), 4, GFP_KERNEL));
	CU_ASSERT_PTR_NULL(kvcalloc(opaque(SIZE_MAX), opaque(SIZE_MAX), GFP_KERNEL));
	CU_ASSERT_PTR_NULL(kvcalloc(opaque(1UL << 40), 1UL << 30, GFP_KERNEL));
	kt_capture_stop();
	CU_ASSERT_EQUAL(kt_captured_count(), 0);

	kt_capture_start();
	CU_ASSERT_PTR_NULL(kvmalloc(opaque((size_t)INT_MAX + 1), GFP_KERNEL));
	kt_capture_stop();
	CU_ASSERT(kt_captured("WARNING"));
	CU_ASSERT(kt_captured_count() >= 1);

	kt_capture_start();
	CU_ASSERT_PTR_NULL(kvmalloc(opaque((size_t)INT_MAX + 1), GFP_KERNEL | __GFP_NOWARN));
	CU_ASSERT_PTR_NULL(kvzalloc(opaque(1UL << 33), GFP_KERNEL | __GFP_NOWARN));
	kt_capture_stop();
	CU_ASSERT_EQUAL(kt_captured_count(), 0);

	CU_ASSERT_EQUAL(vstats().nr_areas, s0.nr_areas);
	CU_ASSERT_EQUAL(highmem_free(), hm);
}

static void test_kvrealloc(void)
{
	uint64_t hm = highmem_free(), areas = vstats().nr_areas;
	char *p, *q;

	p = kvrealloc(NULL, 1024, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_FALSE(is_vmalloc_addr(p));
	fill(p, 1024, 11);

	/* kmalloc -> vmalloc */
	q = kvrealloc(p, 16 * MiB, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	CU_ASSERT(is_vmalloc_addr(q));
	CU_ASSERT_EQUAL(check(q, 1024, 11), 1024);
	fill(q, 16 * MiB, 12);
	p = q;

	/* vmalloc -> bigger vmalloc */
	q = kvrealloc(p, 20 * MiB + 1, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	CU_ASSERT(is_vmalloc_addr(q));
	CU_ASSERT_EQUAL(check(q, 16 * MiB, 12), 16 * MiB);
	memset(q + 16 * MiB, 0x33, 4 * MiB + 1);
	p = q;

	/* shrink to 2 KiB: the first 2 KiB are kept, wherever they live */
	q = kvrealloc(p, 2048, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	CU_ASSERT_EQUAL(check(q, 2048, 12), 2048);
	p = q;

	/* kmalloc -> kmalloc growth, contents kept */
	q = kvrealloc(NULL, 100, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	fill(q, 100, 13);
	q = kvrealloc(q, 3000, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	CU_ASSERT_EQUAL(check(q, 100, 13), 100);
	kvfree(q);

	/* __GFP_ZERO growth zeroes the new tail */
	q = kvrealloc(NULL, 512, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	fill(q, 512, 14);
	q = kvrealloc(q, 6 * MiB, GFP_KERNEL | __GFP_ZERO);
	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	CU_ASSERT(is_vmalloc_addr(q));
	CU_ASSERT_EQUAL(check(q, 512, 14), 512);
	CU_ASSERT(all_bytes(q + PAGE_SIZE, 6 * MiB - PAGE_SIZE, 0));
	kvfree(q);

	kvfree(p);
	CU_ASSERT_EQUAL(highmem_free(), hm);
	CU_ASSERT_EQUAL(vstats().nr_areas, areas);
}

static void test_kvfree_sensitive(void)
{
	uint64_t hm = highmem_free();
	struct page *pages[4];
	unsigned char *p;
	unsigned int i;
	bool zeroed = true;

	/* kmalloc'd: no crash */
	p = kvmalloc(200, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	memset(p, 0x5e, 200);
	kvfree_sensitive(p, 200);
	kvfree_sensitive(NULL, 10);

	/* vmalloc'd: the secret is gone from the pages themselves */
	p = kvmalloc(KMALLOC_MAX_SIZE + 4 * PAGE_SIZE, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT(is_vmalloc_addr(p));
	for (i = 0; i < 4; i++) {
		pages[i] = vmalloc_to_page(p + i * PAGE_SIZE);
		memset(p + i * PAGE_SIZE, 0x5e, PAGE_SIZE);
	}
	kvfree_sensitive(p, 4 * PAGE_SIZE);
	CU_ASSERT_EQUAL(highmem_free(), hm);
	/*
	 * The pages are free now but still kmem's (page_address stays valid);
	 * nothing has had them since.  Only the secret bytes are checked.
	 */
	for (i = 0; i < 4; i++) {
		const unsigned char *c = page_address(pages[i]);
		unsigned long j;

		for (j = 0; j < PAGE_SIZE; j++)
			if (kt_peek(c + j) == 0x5e)	/* free: poisoned for ASan */
				zeroed = false;
	}
	CU_ASSERT(zeroed);
}

static void test_free_cleanup(void)
{
	uint64_t areas = vstats().nr_areas;

	{
		void *p __free(kvfree) = kvmalloc(8 * MiB, GFP_KERNEL);
		void *k __free(kvfree) = kvmalloc(64, GFP_KERNEL);

		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		CU_ASSERT_PTR_NOT_NULL_FATAL(k);
		CU_ASSERT(is_vmalloc_addr(p));
		memset(p, 1, 8 * MiB);
		CU_ASSERT_EQUAL(vstats().nr_areas, areas + 1);
	}
	CU_ASSERT_EQUAL(vstats().nr_areas, areas);
	{
		void *n __free(kvfree) = NULL;

		(void)n;
	}
}


/* Resident set size of this process, in pages (/proc/self/statm). */
static long rss_pages(void)
{
	long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%ld %ld", &size, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	return resident;
}

/*
 * 200 rounds of vmalloc(16 MiB) + touch every page + vfree: HighMem comes
 * back exactly each round and the process does not grow (the vmalloc
 * mappings are torn down, the pages go back to the arena).
 */
static void test_rounds_no_growth(void)
{
	const unsigned long size = 16UL << 20;
	uint64_t start = highmem_free();
	long rss_after_first = 0;
	int round;

	for (round = 0; round < 200; round++) {
		unsigned char *p = vmalloc(size);
		unsigned long off;

		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		for (off = 0; off < size; off += PAGE_SIZE)
			p[off] = (unsigned char)round;
		CU_ASSERT_EQUAL(p[size - PAGE_SIZE], (unsigned char)round);
		vfree(p);
		KT_ASSERT_EQ(highmem_free(), start);
		if (round == 0)
			rss_after_first = rss_pages();
	}
	/*
	 * One round left mapped would add 4096 pages; allow less than that for
	 * page tables and for libc memory ASan keeps in quarantine (our own
	 * bookkeeping of each round, a few KiB).
	 */
	CU_ASSERT(rss_pages() <= rss_after_first + 4000);
	KT_ASSERT_EQ(vstats().nr_areas, 0);
}

/*
 * A region touched sparsely takes only the touched windows' pages: the rest
 * of it is promised (charged), not taken, and vfree gives back exactly the
 * pages and every promise.  (A region larger than the memory there is
 * cannot be promised at all: test_larger_than_memory in
 * test_vmalloc_charge.c.)
 */
static void test_huge_sparse(void)
{
	const unsigned long size = 96UL << 20;
	uint64_t start = highmem_free();
	/* a fork child of an earlier test killed mid-vmalloc keeps its promise: count from here */
	uint64_t charged0 = vstats().charged_all;
	unsigned char *p = vmalloc(size);
	unsigned long off;
	struct kmem_vmalloc_stats st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	for (off = 0; off < size; off += size / 16)
		p[off] = 0x5a;
	p[size - 1] = 0xa5;
	for (off = 0; off < size; off += size / 16)
		CU_ASSERT_EQUAL(p[off], 0x5a);
	CU_ASSERT_EQUAL(p[size - 1], 0xa5);
	st = vstats();
	/* 17 touches, each taking at most a fault-around window of pages */
	CU_ASSERT(st.pages >= 17 && st.pages <= 17 * (st.fault_around_bytes / PAGE_SIZE));
	KT_ASSERT_EQ(st.charged, size / PAGE_SIZE - st.pages);
	KT_ASSERT_EQ(st.charged_all, charged0 + st.charged);
	vfree(p);
	KT_ASSERT_EQ(highmem_free(), start);
	KT_ASSERT_EQ(vstats().charged_all, charged0);
}

static const struct kt_test tests[] = {
	KT_TEST(test_sizes),
	KT_TEST(test_align_and_find_area),
	KT_TEST(test_is_vmalloc_addr),
	KT_TEST(test_zeroed),
	KT_TEST(test_zero_and_overflow),
	KT_TEST(test_shortage_rollback),
	KT_TEST(test_accounting),
	KT_TEST(test_to_page),
	KT_TEST(test_node_and_vmallocinfo),
	KT_TEST(test_bad_vfree),
	KT_TEST(test_guard_page),
	KT_TEST(test_threads),
	KT_TEST(test_same_page_faults),
	KT_TEST(test_fault_vs_vfree_race),
	KT_TEST(test_fork),
	KT_TEST(test_fork_inherited_no_leak),
	KT_TEST(test_fork_lock_state),
	KT_TEST(test_kvmalloc_placement),
	KT_TEST(test_kvzalloc),
	KT_TEST(test_kvmalloc_overflow),
	KT_TEST(test_kvrealloc),
	KT_TEST(test_kvfree_sensitive),
	KT_TEST(test_free_cleanup),
	KT_TEST(test_rounds_no_growth),
	KT_TEST(test_huge_sparse),
	KT_END,
};
static const struct kt_suite suite = { "vmalloc", suite_init, suite_exit, tests };
static const struct kt_suite *const suites[] = { &suite, NULL };
int main(int argc, char **argv) { return kt_main(argc, argv, suites); }
