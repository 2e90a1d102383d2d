// SPDX-License-Identifier: MIT
/*
 * bench_slab_pair_count - a fixed number of allocate+free pairs of one
 * allocator, for counting instructions with callgrind
 * (bench/slab_callgrind.sh).
 *
 *   bench_slab_pair_count [--fake-rseq] [--resident N] MODE [PAIRS]
 *	MODE: kmem_cache64 kmalloc64 kmalloc-mixed malloc64 malloc-mixed
 *	      mimalloc64 mimalloc-mixed (default PAIRS: 100000)
 *
 * "64" is 64-byte objects; "mixed" the log-uniform 8..8192 sequence of
 * bench_slab.  Each pair writes the object's first byte, as in bench_slab
 * (the very same loop functions).  After a warm-up (which fills the per-CPU
 * caches of every size class), bench_slab_count_loop() does exactly PAIRS
 * pairs; under "valgrind --tool=callgrind
 * --toggle-collect=bench_slab_count_loop" only that is counted, so
 * Ir / PAIRS is the instructions per pair (plus the loop's own few).
 * Natively it also prints the wall time per pair.
 *
 * --resident N: first allocate N objects of the mode's sizes and hold them
 * until the end, so that no page or slab becomes empty (as in bench_slab's
 * *_resident scenarios); without it every free of a pair empties the page
 * it came from.
 *
 * --fake-rseq: as in bench_pair_count (pair_count.c): Valgrind cannot run
 * rseq, so kmem would take its per-CPU-lock mode; this makes kmem believe
 * rseq is registered (it sets __rseq_size and this thread's rseq cpu_id to
 * 0) so that the rseq fast path is what gets counted.  No kernel watches
 * the critical sections: only for counting a single thread's uninterrupted
 * run, never for real use.
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

#include "bench.h"
#include "fake_rseq.h"
#include "peers.h"
#include "slab_ops.h"

#define WARMUP_PAIRS (4UL * BENCH_MIXED_LEN)

void bench_slab_count_loop(const struct bench_alloc_ops *ops, unsigned int size,
			   unsigned long pairs);

/* The counted loop: callgrind collects inside this function only. */
__attribute__((__noinline__)) void bench_slab_count_loop(const struct bench_alloc_ops *ops,
							  unsigned int size, unsigned long pairs)
{
	unsigned int pos = 0;

	if (size)
		ops->pairs(size, (unsigned int)pairs);
	else
		ops->mixed_pairs(&pos, (unsigned int)pairs);
}

static const struct {
	const char *name;
	const struct bench_alloc_ops *ops;
	unsigned int size;	/* 0: the mixed sizes */
} modes[] = {
	{ "kmem_cache64", &bench_kmem_cache_ops, 64 },
	{ "kmalloc64", &bench_kmalloc_ops, 64 },
	{ "kmalloc-mixed", &bench_kmalloc_ops, 0 },
	{ "malloc64", &bench_malloc_ops, 64 },
	{ "malloc-mixed", &bench_malloc_ops, 0 },
	{ "mimalloc64", &bench_mimalloc_ops, 64 },
	{ "mimalloc-mixed", &bench_mimalloc_ops, 0 },
};

static void usage(const char *prog)
{
	unsigned int i;

	fprintf(stderr, "usage: %s [--fake-rseq] [--resident N] MODE [PAIRS]\nMODE:", prog);
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		fprintf(stderr, " %s", modes[i].name);
	fprintf(stderr, "\n");
}

int main(int argc, char **argv)
{
	unsigned long pairs = 100000UL, resident = 0;
	void **live = NULL;
	const struct bench_alloc_ops *ops = NULL;
	unsigned int size = 0, i;
	bool faked = false;
	char desc[256], why[256];
	double t0, t1;
	int arg = 1;

	if (arg < argc && !strcmp(argv[arg], "--fake-rseq")) {
		if (fake_rseq())
			return 1;
		faked = true;
		arg++;
	}
	if (arg + 1 < argc && !strcmp(argv[arg], "--resident")) {
		resident = strtoul(argv[arg + 1], NULL, 0);
		arg += 2;
	}
	if (arg < argc) {
		for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
			if (!strcmp(argv[arg], modes[i].name)) {
				ops = modes[i].ops;
				size = modes[i].size;
			}
		arg++;
	}
	if (arg < argc)
		pairs = strtoul(argv[arg++], NULL, 0);
	if (!ops || !pairs || pairs > UINT32_MAX || resident > 1000000 || arg < argc) {
		usage(argv[0]);
		return 2;
	}
	if (bench_slab_init())
		return 1;
	if (ops == &bench_mimalloc_ops && bench_mi_load(why, sizeof(why))) {
		fprintf(stderr, "%s\n", why);
		return 1;
	}
	bench_kmem_describe(desc, sizeof(desc));
	printf("kmem: %s\n", desc);
	printf("allocator: %s%s, %s\n", ops->name,
	       ops == &bench_malloc_ops ? (strcmp(bench_malloc_name(), "glibc") ? " (not glibc)" :
				       " (glibc)") : "",
	       size ? "64-byte objects" : "mixed sizes 8..8192");
	if (!strncmp(ops->name, "km", 2))
		printf("mode: %s\n", !bench_kmem_rseq() ?
		       "per-CPU locks (rseq not registered: Valgrind, glibc.pthread.rseq=0 or rseq=off)" :
		       faked ? "rseq per-CPU caches, EMULATED (--fake-rseq: no kernel rseq; counting only)" :
		       "rseq per-CPU caches");
	else
		printf("mode: %s\n", ops->name);

	if (resident) {
		unsigned int pos = 17;

		live = malloc(resident * sizeof(*live));
		if (!live)
			return 1;
		ops->hold(live, size, &pos, (unsigned int)resident);
		printf("resident: %lu objects held\n", resident);
	}
	/* warm-up, outside the counted function */
	if (size) {
		ops->pairs(size, WARMUP_PAIRS);
	} else {
		unsigned int pos = 0;

		ops->mixed_pairs(&pos, WARMUP_PAIRS);
	}
	t0 = now_ns();
	bench_slab_count_loop(ops, size, pairs);
	t1 = now_ns();
	printf("pairs: %lu\n", pairs);
	printf("wall: %.1f ns/pair\n", (t1 - t0) / (double)pairs);
	if (live) {
		ops->release(live, size, (unsigned int)resident);
		free(live);
	}
	return 0;
}
