/* SPDX-License-Identifier: MIT */
/*
 * bench.h - the C side of the page allocator benchmarks.
 *
 * The operations live in page_alloc_ops.c (C, the only file that includes
 * kmem's kernel headers); bench_page_alloc.cc registers them with Google
 * Benchmark and bench_pair_count.c drives one of them under callgrind.
 * Every function does one complete "pair" (or batch) and leaves nothing
 * allocated, so any number of calls in any number of threads is balanced.
 */
#ifndef KMEM_BENCH_H
#define KMEM_BENCH_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The most blocks the batch operations hold at once. */
#define BENCH_MAX_BATCH 512

/**
 * bench_kmem_init - build kmem for the benchmarks (direct_mb=256,
 * highmem_mb=16, quiet), with $KMEM_OPTIONS applied on top (so
 * KMEM_OPTIONS=rseq=off measures the per-CPU-lock mode).
 * Return: 0, or a negative errno (a message on stderr says why).
 */
int bench_kmem_init(void);
/** bench_kmem_rseq - do kmem's per-CPU lists run on rseq (else per-CPU locks)? */
bool bench_kmem_rseq(void);
/** bench_kmem_hugetlb - is kmem's direct map on hugetlb pages (else shmem + THP)? */
bool bench_kmem_hugetlb(void);
/**
 * bench_kmem_describe - one line on how kmem was built: per-CPU mode, huge
 * pages, nodes, and the per-CPU list high/batch of the Normal zone of node 0.
 */
void bench_kmem_describe(char *buf, size_t len);

/* alloc_pages(GFP_KERNEL, order) + __free_pages(), untouched / one byte written per page. */
void bench_kmem_pair(unsigned int order);
void bench_kmem_pair_touch(unsigned int order);
/*
 * @n (<= BENCH_MAX_BATCH) order-@order allocations, each written once per
 * page, then @n frees in allocation order.
 */
void bench_kmem_batch_touch(unsigned int order, unsigned int n);

/* mmap(@size) + munmap(), untouched (no page is faulted in) / one byte written per page. */
void bench_mmap_pair(size_t size);
void bench_mmap_pair_touch(size_t size);

/* malloc(@size) + free(), one byte written per 4 KiB (the first byte when @size < 4 KiB). */
void bench_malloc_pair(size_t size);
/* @n (<= BENCH_MAX_BATCH) malloc(@size), each written once per 4 KiB, then @n frees. */
void bench_malloc_batch(size_t size, unsigned int n);

/** bench_malloc_name - which malloc this binary is linked against ("glibc", "jemalloc", ...). */
const char *bench_malloc_name(void);

#ifdef __cplusplus
}
#endif

#endif /* KMEM_BENCH_H */
