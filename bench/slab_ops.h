/* SPDX-License-Identifier: MIT */
/*
 * slab_ops.h - the C side of the object allocator benchmarks (bench_slab).
 *
 * slab_ops.c (kmem, malloc, mimalloc) and dpdk_ops.c (DPDK rte_mempool)
 * hold the timed loops; they are the only files of this benchmark that
 * include kmem's or DPDK's headers.  bench_slab.cc registers them with
 * Google Benchmark and slab_pair_count.c drives them under callgrind.
 *
 * Every allocator is a struct bench_alloc_ops of loops over one allocate
 * and one free; each loop leaves nothing allocated (the producer/consumer
 * pair together leaves nothing), so any number of calls in any number of
 * threads is balanced.  Every object is written once (its first byte) after
 * it is allocated, as a user would initialise it.
 */
#ifndef KMEM_BENCH_SLAB_OPS_H
#define KMEM_BENCH_SLAB_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The most objects one batch holds at once. */
#define BENCH_SLAB_MAX_BATCH 1000
/* Length of the mixed-size sequence (a power of two). */
#define BENCH_MIXED_LEN 4096
#define BENCH_MIXED_MIN 8
#define BENCH_MIXED_MAX 8192

/*
 * The mixed sizes, precomputed at load time from a fixed seed, identical for
 * every allocator and every run: log-uniform in [8, 8192] (2^e for e drawn
 * uniformly from [3, 13], rounded), so each kmalloc size class gets about
 * the same share of the requests and small sizes are as common as they
 * are in real programs.
 */
extern const uint32_t *const bench_mixed_sizes;
/** bench_mixed_mean - the mean of the mixed sizes, in bytes. */
double bench_mixed_mean(void);

/**
 * struct bench_alloc_ops - one allocator's loops.  A NULL member: the
 * allocator does not do that (DPDK and kmem_cache have one size per pool /
 * cache, so no mixed sizes).
 * @name: the family name in the benchmark names (kmem_cache, kmalloc,
 *	malloc, mimalloc, dpdk)
 * @pairs: @n times: allocate @size bytes, write, free
 * @batch: @n (<= BENCH_SLAB_MAX_BATCH) allocations, then @n frees in
 *	allocation order
 * @mixed_pairs, @mixed_batch: the same with the sizes of the mixed
 *	sequence, from index *@pos on (advanced by @n)
 * @hold: @n allocations of @size bytes (0: the mixed sizes from *@pos)
 *	into @p[], each written, kept until @release frees them (the same @size)
 * @produce: @n allocations, each pushed on the ring (bench_ring_reset())
 *	for @consume, in another thread, to pop and free; @size 0 means the
 *	mixed sizes from *@pos
 * @thread_enter, @thread_exit: around a thread's timed loop (DPDK:
 *	register a non-EAL thread, so it has an lcore id and its cache)
 */
struct bench_alloc_ops {
	const char *name;
	void (*pairs)(unsigned int size, unsigned int n);
	void (*batch)(unsigned int size, unsigned int n);
	void (*mixed_pairs)(unsigned int *pos, unsigned int n);
	void (*mixed_batch)(unsigned int *pos, unsigned int n);
	void (*hold)(void **p, unsigned int size, unsigned int *pos, unsigned int n);
	void (*release)(void **p, unsigned int size, unsigned int n);
	void (*produce)(unsigned int size, unsigned int *pos, unsigned int n);
	void (*consume)(unsigned int size, unsigned int n);
	void (*thread_enter)(void);
	void (*thread_exit)(void);
};

/**
 * bench_slab_init - kmem_init() as bench_kmem_init() (direct_mb=256,
 * highmem_mb=16, $KMEM_OPTIONS on top), then create the caches of the
 * fixed sizes, "bench-64" and "bench-256" (no flags: 64 and 256 byte
 * objects).  Return: 0 or a negative errno (a message says why).
 */
int bench_slab_init(void);

/* kmem_cache_alloc/kmem_cache_free on bench-64 / bench-256; no mixed sizes. */
extern const struct bench_alloc_ops bench_kmem_cache_ops;
/* kmalloc/kfree, fixed and mixed sizes. */
extern const struct bench_alloc_ops bench_kmalloc_ops;
/* malloc/free: glibc's, or whichever malloc this binary is linked with. */
extern const struct bench_alloc_ops bench_malloc_ops;
/* mi_malloc/mi_free, loaded with dlopen (see peers.h); NULL members until bench_mi_load(). */
extern const struct bench_alloc_ops bench_mimalloc_ops;
/* rte_mempool_get/put, per-lcore cache; usable after bench_dpdk_init() returned 0. */
extern const struct bench_alloc_ops bench_dpdk_ops;

/* The single-producer single-consumer ring the producer/consumer loops share. */
#define BENCH_RING_SIZE 1024
/** bench_ring_reset - empty the ring; only while no thread uses it. */
void bench_ring_reset(void);

/** struct bench_overhead - memory a cache full of objects takes. */
struct bench_overhead {
	unsigned int size;		/* object size asked for */
	unsigned long nobj;		/* objects allocated (and held) */
	uint64_t active_objs, num_objs, num_slabs;
	unsigned int objsize, objperslab, pagesperslab;
	double live_bytes;		/* nobj * size */
	double slab_bytes;		/* num_slabs * pagesperslab * 4096 */
	double memmap_bytes;		/* struct page: 64 bytes per 4 KiB page of slabs */
	double overhead_pct;		/* (slab + memmap) / live - 1, in percent */
};
/**
 * bench_slab_overhead - create a cache of @size-byte objects, allocate
 * @nobj of them, read kmem_cache_get_stats(), free them and destroy the
 * cache.  Return: 0 or a negative errno.
 */
int bench_slab_overhead(unsigned int size, unsigned long nobj, struct bench_overhead *o);

/**
 * bench_dpdk_init - start DPDK's EAL in this process (in memory, no huge
 * pages, no PCI; lcore 0 is the calling thread, allowed on every CPU it is
 * allowed on now) and create the mempools of 64 and 256 byte elements
 * with a per-lcore cache of 256.  Call it from the main thread.
 * Return: 0, or -1 with @why saying why not (also when this binary was
 * built without DPDK).
 */
int bench_dpdk_init(char *why, size_t len);
/** bench_dpdk_describe - one line: DPDK version, pools, cache size. */
void bench_dpdk_describe(char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* KMEM_BENCH_SLAB_OPS_H */
