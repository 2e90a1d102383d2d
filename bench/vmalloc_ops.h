/* SPDX-License-Identifier: MIT */
/*
 * vmalloc_ops.h - the C side of bench_vmalloc: one whole cycle of a large
 * buffer each (allocate, write one byte in each 4 KiB page, free) for
 * kmem's vmalloc/vfree and vzalloc/vfree, mmap/munmap, malloc/free and mi_malloc/mi_free.
 * vmalloc_ops.c is the only file of it that includes kmem's headers.
 */
#ifndef KMEM_BENCH_VMALLOC_OPS_H
#define KMEM_BENCH_VMALLOC_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BENCH_VM_PAGE 4096UL

/* How a cycle writes its buffer: not at all, page by page upwards, or in a shuffled order. */
enum bench_vm_touch {
	BENCH_VM_UNTOUCHED,
	BENCH_VM_SEQUENTIAL,
	BENCH_VM_RANDOM,
};

/**
 * bench_vm_init - kmem_init() with a small direct map (64 MiB) and a
 * HighMem pool large enough for the buffers (256 MiB, highmem_mb=256), or
 * with kmem's defaults if @defaults, then $KMEM_OPTIONS on top; and the
 * shuffled page order for buffers of up to @max_bytes (a fixed
 * permutation, the same for every allocator).
 * Return: 0 or a negative errno.
 */
int bench_vm_init(size_t max_bytes, bool defaults);
/** bench_vm_describe - userfaultfd or eager mapping, fault-around, THP mode for mmap. */
void bench_vm_describe(char *buf, size_t len);

void bench_vm_vmalloc(size_t size, enum bench_vm_touch touch);
void bench_vm_vzalloc(size_t size, enum bench_vm_touch touch);
void bench_vm_mmap(size_t size, enum bench_vm_touch touch);
void bench_vm_malloc(size_t size, enum bench_vm_touch touch);
/* Needs bench_mi_load() (peers.h). */
void bench_vm_mimalloc(size_t size, enum bench_vm_touch touch);

/** struct bench_vm_counts - running totals, read before and after a run. */
struct bench_vm_counts {
	uint64_t uffd_faults;	/* kmem_vmalloc_stats().faults: userfaultfd faults served */
	uint64_t uffd_mmaps;	/* kmem_vmalloc_stats().mmaps: mappings made to populate */
	uint64_t pages_mapped;	/* kmem_vmalloc_stats().pages_mapped */
	uint64_t minflt;	/* getrusage(RUSAGE_SELF).ru_minflt: kernel minor faults */
	uint64_t cpu_ns;	/* getrusage(RUSAGE_SELF): user + system time of all threads */
};
void bench_vm_read_counts(struct bench_vm_counts *c);

#ifdef __cplusplus
}
#endif

#endif /* KMEM_BENCH_VMALLOC_OPS_H */
