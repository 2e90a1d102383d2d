// SPDX-License-Identifier: MIT
/*
 * bench_pair_count - a fixed number of alloc_pages()/__free_pages() pairs,
 * for counting instructions with callgrind (bench/callgrind.sh).
 *
 *   bench_pair_count [--fake-rseq] [PAIRS [ORDER]]
 *	(defaults: 100000 pairs of order 0)
 *
 * After a warm-up (which faults the pages in and fills the per-CPU list),
 * bench_pair_loop() does exactly PAIRS pairs; run under
 * "valgrind --tool=callgrind --toggle-collect=bench_pair_loop" only that
 * loop is counted, so Ir / PAIRS is the instructions per pair (plus the
 * loop's own few).  Natively it also prints the wall time per pair.
 *
 * Valgrind cannot run rseq: glibc's registration fails, __rseq_size is 0,
 * and kmem takes its per-CPU-lock mode.  --fake-rseq (only when rseq is
 * not registered) makes the process look registered to kmem instead: it
 * sets __rseq_size and this thread's rseq cpu_id to 0.  No kernel then
 * watches the critical sections, so nothing would abort them on preemption:
 * it is only for counting the instructions of the rseq path's uninterrupted
 * run in a single thread, never for real use.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/rseq.h>
#include <time.h>
#include <unistd.h>

#include "fake_rseq.h"

#include "bench.h"

#define WARMUP_PAIRS 10000UL

void bench_pair_loop(unsigned long pairs, unsigned int order);

/* The counted loop: callgrind collects inside this function only. */
__attribute__((__noinline__)) void bench_pair_loop(unsigned long pairs, unsigned int order)
{
	unsigned long i;

	for (i = 0; i < pairs; i++)
		bench_kmem_pair(order);
}

int main(int argc, char **argv)
{
	unsigned long pairs = 100000UL, i;
	unsigned int order = 0;
	bool faked = false;
	char desc[256];
	double t0, t1;
	int arg = 1;

	if (arg < argc && !strcmp(argv[arg], "--fake-rseq")) {
		if (fake_rseq())
			return 1;
		faked = true;
		arg++;
	}
	if (arg < argc)
		pairs = strtoul(argv[arg++], NULL, 0);
	if (arg < argc)
		order = (unsigned int)strtoul(argv[arg++], NULL, 0);
	if (!pairs || order > 3 || arg < argc) {
		fprintf(stderr, "usage: %s [--fake-rseq] [PAIRS [ORDER(0..3)]]\n", argv[0]);
		return 2;
	}
	if (bench_kmem_init())
		return 1;
	bench_kmem_describe(desc, sizeof(desc));
	printf("kmem: %s\n", desc);
	printf("mode: %s\n", !bench_kmem_rseq() ?
	       "per-CPU locks (rseq not registered: Valgrind, glibc.pthread.rseq=0 or rseq=off)" :
	       faked ? "rseq per-CPU lists, EMULATED (--fake-rseq: no kernel rseq; counting only)" :
	       "rseq per-CPU lists");

	for (i = 0; i < WARMUP_PAIRS; i++)
		bench_kmem_pair(order);
	t0 = now_ns();
	bench_pair_loop(pairs, order);
	t1 = now_ns();
	printf("pairs: %lu of order %u\n", pairs, order);
	printf("wall: %.1f ns/pair\n", (t1 - t0) / (double)pairs);
	return 0;
}
