// SPDX-License-Identifier: MIT
/*
 * vmalloc_ops.c - the operations bench_vmalloc times.
 *
 * kmem's vmalloc() reserves address space and charges every page (sets
 * them aside in their zones: the kernel's promise that a vmalloc never
 * faults later); the pages come on first touch, through userfaultfd, a
 * window (fault_around_bytes, growing on sequential touches) at a time.  vmalloc() does not zero them (a page
 * freed by vfree comes back with its old contents, as in the kernel);
 * vzalloc() zeroes each page before it is mapped, which is what mmap's
 * anonymous memory costs the kernel too.  mmap's anonymous pages come on first
 * touch too, one kernel page fault (and a zeroed page) each.  glibc's
 * malloc of 64 MiB is an mmap of its own; mimalloc may keep and reuse the
 * memory of a freed huge block.  Each cycle writes one byte per 4 KiB page,
 * upwards or in a fixed shuffled order.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include <kmem/kmem.h>
#include <linux/vmalloc.h>

#include "peers.h"
#include "vmalloc_ops.h"

static uint32_t *shuffled;
static size_t shuffled_pages;

static void die(const char *what)
{
	fprintf(stderr, "bench_vmalloc: %s failed: %s\n", what, strerror(errno));
	abort();
}

static bool on_defaults;

int bench_vm_init(size_t max_bytes, bool defaults)
{
	struct kmem_options opts;
	const char *env = getenv("KMEM_OPTIONS");
	uint64_t s = 0x766d616c6c6f6321ULL;	/* "vmalloc!" */
	char err[160];
	size_t i;
	int ret;

	kmem_options_init(&opts);
	on_defaults = defaults;
	if (!defaults) {
		opts.node_direct_bytes = 64UL << 20;
		opts.node_highmem_bytes = 256UL << 20;
	}
	opts.quiet = true;
	if (env && kmem_options_parse(&opts, env, err, sizeof(err)))
		fprintf(stderr, "bench_vmalloc: ignoring KMEM_OPTIONS: %s\n", err);
	ret = kmem_init(&opts);
	if (ret) {
		fprintf(stderr, "bench_vmalloc: kmem_init: %s\n", strerror(-ret));
		return ret;
	}
	/* One small region first: the area and the userfaultfd are set up on first use. */
	{
		char *p = vmalloc(16 * BENCH_VM_PAGE);

		if (!p)
			return -ENOMEM;
		*(volatile char *)p = 1;
		vfree(p);
	}
	shuffled_pages = max_bytes / BENCH_VM_PAGE;
	shuffled = malloc(shuffled_pages * sizeof(*shuffled));
	if (!shuffled)
		return -ENOMEM;
	for (i = 0; i < shuffled_pages; i++)
		shuffled[i] = (uint32_t)i;
	/* Fisher-Yates with xorshift64*: the same order on every run. */
	for (i = shuffled_pages - 1; i > 0; i--) {
		size_t j;
		uint32_t t;

		s ^= s >> 12;
		s ^= s << 25;
		s ^= s >> 27;
		j = (size_t)((s * 0x2545F4914F6CDD1DULL) >> 33) % (i + 1);
		t = shuffled[i];
		shuffled[i] = shuffled[j];
		shuffled[j] = t;
	}
	return 0;
}

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

void bench_vm_describe(char *buf, size_t len)
{
	struct kmem_vmalloc_stats st;
	char thp[32];

	sysfs_choice("/sys/kernel/mm/transparent_hugepage/enabled", thp, sizeof(thp));
	if (kmem_vmalloc_stats(&st)) {
		snprintf(buf, len, "kmem_vmalloc_stats failed; anonymous THP %s", thp);
		return;
	}
	snprintf(buf, len, "%s; vmalloc pages charged in vmalloc(), %s, fault_around_bytes %llu "
		 "(doubling on sequential faults up to 2 MiB); VmallocTotal %llu GiB; anonymous "
		 "THP: %s", on_defaults ? "kmem's default options (and $KMEM_OPTIONS)" :
		 "direct_mb=64,highmem_mb=256 (and $KMEM_OPTIONS)",
		 st.userfaultfd ? "mapped on first touch (userfaultfd)" :
				  "all mapped in vmalloc() (no userfaultfd)",
		 (unsigned long long)st.fault_around_bytes,
		 (unsigned long long)(st.total_bytes >> 30), thp);
}

static inline void touch(char *p, size_t size, enum bench_vm_touch how)
{
	size_t i, pages = size / BENCH_VM_PAGE;

	if (how == BENCH_VM_SEQUENTIAL) {
		for (i = 0; i < pages; i++)
			*(volatile char *)(p + i * BENCH_VM_PAGE) = 1;
	} else if (how == BENCH_VM_RANDOM) {
		if (pages > shuffled_pages) {
			fprintf(stderr, "bench_vmalloc: %zu pages, shuffled order for %zu\n", pages,
				shuffled_pages);
			abort();
		}
		/* the permutation of shuffled_pages restricted to the first pages */
		for (i = 0; i < shuffled_pages; i++)
			if (shuffled[i] < pages)
				*(volatile char *)(p + (size_t)shuffled[i] * BENCH_VM_PAGE) = 1;
	} else {
		__asm__ __volatile__("" : : "g"(p) : "memory");
	}
}

void bench_vm_vmalloc(size_t size, enum bench_vm_touch how)
{
	char *p = vmalloc(size);

	if (!p)
		die("vmalloc");
	touch(p, size, how);
	vfree(p);
}

void bench_vm_vzalloc(size_t size, enum bench_vm_touch how)
{
	char *p = vzalloc(size);

	if (!p)
		die("vzalloc");
	touch(p, size, how);
	vfree(p);
}

void bench_vm_mmap(size_t size, enum bench_vm_touch how)
{
	char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	touch(p, size, how);
	if (munmap(p, size))
		die("munmap");
}

void bench_vm_malloc(size_t size, enum bench_vm_touch how)
{
	char *p = malloc(size);

	if (!p)
		die("malloc");
	touch(p, size, how);
	free(p);
}

void bench_vm_mimalloc(size_t size, enum bench_vm_touch how)
{
	char *p = bench_mi_malloc(size);

	if (!p)
		die("mi_malloc");
	touch(p, size, how);
	bench_mi_free(p);
}

void bench_vm_read_counts(struct bench_vm_counts *c)
{
	struct kmem_vmalloc_stats st;
	struct rusage ru;

	memset(c, 0, sizeof(*c));
	if (!kmem_vmalloc_stats(&st)) {
		c->uffd_faults = st.faults;
		c->uffd_mmaps = st.mmaps;
		c->pages_mapped = st.pages_mapped;
	}
	if (!getrusage(RUSAGE_SELF, &ru)) {
		c->minflt = (uint64_t)ru.ru_minflt;
		c->cpu_ns = ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) *
				    1000000000ULL +
			    ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) * 1000ULL;
	}
}
