// SPDX-License-Identifier: MIT
/*
 * page_alloc_ops.c - the operations the page allocator benchmarks time.
 *
 * The C half of the harness: this is the only benchmark file that includes
 * kmem's kernel-style headers.  Each *_pair function gets a block and gives
 * it back; the *_touch variants also write one byte in every 4 KiB page of
 * it, which for mmap is what makes the kernel supply the memory (a page
 * fault and a zeroed page each) and for kmem and malloc costs a cache line
 * in memory that is already there.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <kmem/kmem.h>
#include <linux/gfp.h>
#include <linux/mm.h>

#include "bench.h"

#define BENCH_PAGE_SIZE 4096UL

/* Make the compiler believe @p is used, so malloc/free pairs survive -O2. */
static inline void escape(void *p)
{
	__asm__ __volatile__("" : : "g"(p) : "memory");
}

static inline void touch_pages(void *addr, size_t size)
{
	size_t off;

	for (off = 0; off < size; off += BENCH_PAGE_SIZE)
		*((volatile char *)addr + off) = 1;
}

static void die(const char *what)
{
	fprintf(stderr, "bench: %s failed: %s\n", what, strerror(errno));
	abort();
}

/*
 * bench_kmem_init - embedded kmem_init() with the benchmarks' sizes, or, when
 * KMEM_BENCH_ATTACH names kmemd's attach socket, kmem_attach() to that daemon
 * (bench/attach_ratios.py runs each benchmark both ways to compare them).
 * Attached, the sizes are the daemon's configuration (direct_mb, highmem_mb).
 */
int bench_kmem_init(void)
{
	struct kmem_options opts;
	const char *env = getenv("KMEM_OPTIONS");
	const char *sock = getenv("KMEM_BENCH_ATTACH");
	char err[160];
	int ret;

	if (sock && *sock) {
		ret = kmem_attach(sock);
		if (ret)
			fprintf(stderr, "bench: kmem_attach(%s): %s\n", sock, strerror(-ret));
		return ret;
	}

	kmem_options_init(&opts);
	opts.node_direct_bytes = 256UL << 20;
	opts.node_highmem_bytes = 16UL << 20;
	opts.quiet = true;
	/*
	 * No kswapd: it sleeps through every benchmark (nothing runs below the
	 * low watermark), and a thread started after --fake-rseq would find
	 * glibc believing in an rseq registration it cannot repeat.
	 */
	opts.no_kswapd = true;
	/* KMEM_OPTIONS still wins over the sizes above. */
	if (env && kmem_options_parse(&opts, env, err, sizeof(err)))
		fprintf(stderr, "bench: ignoring KMEM_OPTIONS: %s\n", err);
	ret = kmem_init(&opts);
	if (ret)
		fprintf(stderr, "bench: kmem_init: %s\n", strerror(-ret));
	return ret;
}

bool bench_kmem_rseq(void)
{
	struct kmem_info info;

	return !kmem_get_info(&info) && info.rseq;
}

bool bench_kmem_hugetlb(void)
{
	struct kmem_info info;

	return !kmem_get_info(&info) && info.hugetlb;
}

/* The bracketed choice in a sysfs file such as "always [never] advise", or "?". */
static void sysfs_choice(const char *path, char *out, size_t len)
{
	char line[256], *open, *close;
	FILE *f = fopen(path, "r");

	snprintf(out, len, "?");
	if (!f)
		return;
	if (fgets(line, sizeof(line), f) && (open = strchr(line, '[')) &&
	    (close = strchr(open, ']'))) {
		*close = '\0';
		snprintf(out, len, "%s", open + 1);
	}
	fclose(f);
}

void bench_kmem_describe(char *buf, size_t len)
{
	struct kmem_info info;
	struct kmem_zone_stats st;
	char thp[32];

	if (kmem_get_info(&info)) {
		snprintf(buf, len, "kmem not initialised");
		return;
	}
	if (kmem_zone_stats(0, ZONE_NORMAL, &st))
		memset(&st, 0, sizeof(st));
	/* Without hugetlb the direct map is shmem, huge only if shmem THP is on. */
	sysfs_choice("/sys/kernel/mm/transparent_hugepage/shmem_enabled", thp, sizeof(thp));
	snprintf(buf, len,
		 "%s; per-CPU lists: %s; direct map: %s%s%s; %u node(s), %u CPU(s); "
		 "node 0 Normal: %llu pages managed, pcp high %u batch %u",
		 info.attached ? "attached to kmemd" : "embedded",
		 info.rseq ? "rseq" : "per-CPU locks", info.hugetlb ? "hugetlb" : "shmem",
		 info.hugetlb ? "" : ", shmem THP ", info.hugetlb ? "" : thp,
		 info.nr_nodes, info.nr_cpu_ids, (unsigned long long)st.managed, st.pcp_high,
		 st.pcp_batch);
}

void bench_kmem_pair(unsigned int order)
{
	struct page *page = alloc_pages(GFP_KERNEL, order);

	if (__builtin_expect(!page, 0))
		die("alloc_pages");
	__free_pages(page, order);
}

void bench_kmem_pair_touch(unsigned int order)
{
	struct page *page = alloc_pages(GFP_KERNEL, order);

	if (__builtin_expect(!page, 0))
		die("alloc_pages");
	touch_pages(page_address(page), BENCH_PAGE_SIZE << order);
	__free_pages(page, order);
}

void bench_kmem_batch_touch(unsigned int order, unsigned int n)
{
	struct page *pages[BENCH_MAX_BATCH];
	unsigned int i;

	for (i = 0; i < n; i++) {
		pages[i] = alloc_pages(GFP_KERNEL, order);
		if (__builtin_expect(!pages[i], 0))
			die("alloc_pages");
		touch_pages(page_address(pages[i]), BENCH_PAGE_SIZE << order);
	}
	for (i = 0; i < n; i++)
		__free_pages(pages[i], order);
}

void bench_mmap_pair(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (__builtin_expect(p == MAP_FAILED, 0))
		die("mmap");
	if (__builtin_expect(munmap(p, size), 0))
		die("munmap");
}

void bench_mmap_pair_touch(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (__builtin_expect(p == MAP_FAILED, 0))
		die("mmap");
	touch_pages(p, size);
	if (__builtin_expect(munmap(p, size), 0))
		die("munmap");
}

void bench_malloc_pair(size_t size)
{
	void *p = malloc(size);

	if (__builtin_expect(!p, 0))
		die("malloc");
	touch_pages(p, size);
	escape(p);
	free(p);
}

void bench_malloc_batch(size_t size, unsigned int n)
{
	void *p[BENCH_MAX_BATCH];
	unsigned int i;

	for (i = 0; i < n; i++) {
		p[i] = malloc(size);
		if (__builtin_expect(!p[i], 0))
			die("malloc");
		touch_pages(p[i], size);
		escape(p[i]);
	}
	for (i = 0; i < n; i++)
		free(p[i]);
}

const char *bench_malloc_name(void)
{
	static char name[64];
	void *(*volatile fn)(size_t) = malloc;
	Dl_info dli;
	const char *base, *so;

	/* Ask the dynamic linker which object the malloc we call lives in. */
	if (!dladdr((void *)fn, &dli) || !dli.dli_fname)
		return "unknown";
	base = strrchr(dli.dli_fname, '/');
	base = base ? base + 1 : dli.dli_fname;
	if (!strncmp(base, "libc.so", 7))
		return "glibc";
	snprintf(name, sizeof(name), "%s", strncmp(base, "lib", 3) ? base : base + 3);
	so = strstr(name, ".so");
	if (so)
		name[so - name] = '\0';
	return name;
}
