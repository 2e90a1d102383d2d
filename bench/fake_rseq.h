/* SPDX-License-Identifier: MIT */
/*
 * Shared by the callgrind counting programs (pair_count.c,
 * slab_pair_count.c): a clock, and --fake-rseq, which makes kmem believe
 * rseq is registered so that callgrind (under which glibc cannot register
 * it) counts kmem's rseq fast path.  The critical sections then run
 * straight through; nothing here says anything about aborts.  Benchmarks
 * only: it writes into ld.so's read-only __rseq_size.
 */
#ifndef KMEM_BENCH_FAKE_RSEQ_H
#define KMEM_BENCH_FAKE_RSEQ_H

#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/rseq.h>
#include <time.h>
#include <unistd.h>

static inline double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Return: 0, or -1 when it cannot or need not. */
static inline int fake_rseq(void)
{
	struct rseq *rs = (struct rseq *)((char *)__builtin_thread_pointer() + __rseq_offset);
	long pagesz = sysconf(_SC_PAGESIZE);
	uintptr_t page = (uintptr_t)&__rseq_size & ~(uintptr_t)(pagesz - 1);

	if (__rseq_size != 0) {
		fprintf(stderr, "--fake-rseq: rseq is registered already; nothing faked\n");
		return -1;
	}
	/* __rseq_size lives in ld.so's RELRO: unprotect it for the one store. */
	if (mprotect((void *)page, (size_t)pagesz, PROT_READ | PROT_WRITE)) {
		perror("--fake-rseq: mprotect");
		return -1;
	}
	*(volatile unsigned int *)&__rseq_size = 32;
	mprotect((void *)page, (size_t)pagesz, PROT_READ);
	*(volatile uint32_t *)&rs->cpu_id_start = 0;
	*(volatile uint32_t *)&rs->cpu_id = 0;
	return 0;
}

#endif
