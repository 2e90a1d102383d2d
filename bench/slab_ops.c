// SPDX-License-Identifier: MIT
/*
 * slab_ops.c - the operations bench_slab times for kmem (kmem_cache_* and
 * kmalloc), malloc and mimalloc; DPDK's are in dpdk_ops.c.
 *
 * The C half of the harness, and with page_alloc_ops.c (whose
 * bench_kmem_init() it uses) the only one that includes kmem's kernel-style
 * headers.  The loops themselves come from alloc_loops.h, so every
 * allocator runs the very same code around its allocate and free.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmem/kmem.h>
#include <linux/slab.h>

#include "alloc_loops.h"
#include "bench.h"
#include "peers.h"
#include "slab_ops.h"

struct bench_ring bench_ring;

static uint32_t mixed_sizes[BENCH_MIXED_LEN];
const uint32_t *const bench_mixed_sizes = mixed_sizes;

/* xorshift64*: a fixed sequence, the same on every machine. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

/*
 * Log-uniform in [8, 8192], integer only: an octave [2^e, 2^(e+1)],
 * e = 3..12, drawn uniformly, then a size uniformly within it.
 */
__attribute__((__constructor__)) static void init_mixed_sizes(void)
{
	uint64_t s = 0x6b6d656d2d736c62ULL;	/* "kmem-slb" */
	unsigned int i;

	for (i = 0; i < BENCH_MIXED_LEN; i++) {
		unsigned int e = 3 + (unsigned int)(rng_next(&s) >> 32) % 10;
		uint32_t lo = 1U << e;

		mixed_sizes[i] = lo + (uint32_t)((rng_next(&s) >> 32) % (lo + 1));
	}
}

double bench_mixed_mean(void)
{
	double sum = 0;
	unsigned int i;

	for (i = 0; i < BENCH_MIXED_LEN; i++)
		sum += mixed_sizes[i];
	return sum / BENCH_MIXED_LEN;
}

void bench_slab_die(const char *what)
{
	fprintf(stderr, "bench_slab: %s: allocation failed\n", what);
	abort();
}

void bench_ring_reset(void)
{
	memset(&bench_ring, 0, sizeof(bench_ring));
}

/* ---- kmem_cache_alloc / kmem_cache_free ---------------------------- */

static struct kmem_cache *cache64, *cache256;

static inline struct kmem_cache *cache_of(unsigned int size)
{
	if (__builtin_expect(size == 64, 1))
		return cache64;
	if (size == 256)
		return cache256;
	fprintf(stderr, "bench_slab: no kmem cache of %u-byte objects\n", size);
	abort();
}

int bench_slab_init(void)
{
	int ret = bench_kmem_init();

	if (ret)
		return ret;
	cache64 = kmem_cache_create("bench-64", 64, 0, 0, NULL);
	cache256 = kmem_cache_create("bench-256", 256, 0, 0, NULL);
	if (!cache64 || !cache256) {
		fprintf(stderr, "bench_slab: kmem_cache_create failed\n");
		return -ENOMEM;
	}
	return 0;
}

#define KC_CTX(size)		struct kmem_cache *const cache_ = cache_of(size)
#define KC_ALLOC(size)		kmem_cache_alloc(cache_, GFP_KERNEL)
#define KC_FREE(p, size)	kmem_cache_free(cache_, (p))
BENCH_LOOPS_FIXED(kc, KC_CTX, KC_ALLOC, KC_FREE)
BENCH_DISPATCH_FIXED(kc)

const struct bench_alloc_ops bench_kmem_cache_ops = {
	.name = "kmem_cache",
	.pairs = kc_pairs,
	.batch = kc_batch,
	.hold = kc_hold,
	.release = kc_release,
	.produce = kc_produce,
	.consume = kc_consume,
};

/* ---- kmalloc / kfree ----------------------------------------------- */

#define NO_CTX(size)		do { } while (0)
#define KM_ALLOC(size)		kmalloc((size), GFP_KERNEL)
#define KM_FREE(p, size)	kfree(p)
BENCH_LOOPS_FIXED(km, NO_CTX, KM_ALLOC, KM_FREE)
BENCH_LOOPS_MIXED(km, KM_ALLOC, KM_FREE)
BENCH_DISPATCH_BOTH(km)

const struct bench_alloc_ops bench_kmalloc_ops = {
	.name = "kmalloc",
	.pairs = km_pairs,
	.batch = km_batch,
	.mixed_pairs = km_mixed_pairs,
	.mixed_batch = km_mixed_batch,
	.hold = km_hold,
	.release = km_release,
	.produce = km_produce,
	.consume = km_consume,
};

/* ---- malloc / free -------------------------------------------------- */

#define ML_ALLOC(size)		malloc(size)
#define ML_FREE(p, size)	free(p)
BENCH_LOOPS_FIXED(ml, NO_CTX, ML_ALLOC, ML_FREE)
BENCH_LOOPS_MIXED(ml, ML_ALLOC, ML_FREE)
BENCH_DISPATCH_BOTH(ml)

const struct bench_alloc_ops bench_malloc_ops = {
	.name = "malloc",
	.pairs = ml_pairs,
	.batch = ml_batch,
	.mixed_pairs = ml_mixed_pairs,
	.mixed_batch = ml_mixed_batch,
	.hold = ml_hold,
	.release = ml_release,
	.produce = ml_produce,
	.consume = ml_consume,
};

/* ---- mi_malloc / mi_free -------------------------------------------- */

#define MI_ALLOC(size)		bench_mi_malloc(size)
#define MI_FREE(p, size)	bench_mi_free(p)
BENCH_LOOPS_FIXED(mi, NO_CTX, MI_ALLOC, MI_FREE)
BENCH_LOOPS_MIXED(mi, MI_ALLOC, MI_FREE)
BENCH_DISPATCH_BOTH(mi)

const struct bench_alloc_ops bench_mimalloc_ops = {
	.name = "mimalloc",
	.pairs = mi_pairs,
	.batch = mi_batch,
	.mixed_pairs = mi_mixed_pairs,
	.mixed_batch = mi_mixed_batch,
	.hold = mi_hold,
	.release = mi_release,
	.produce = mi_produce,
	.consume = mi_consume,
};

/* ---- memory overhead ------------------------------------------------ */

/* kmem's struct page: 64 bytes for each 4 KiB page (libkmem/types.h). */
#define BENCH_STRUCT_PAGE_BYTES 64.0

int bench_slab_overhead(unsigned int size, unsigned long nobj, struct bench_overhead *o)
{
	struct kmem_cache_stats st;
	struct kmem_cache *s;
	char name[32];
	void **objs;
	unsigned long i;
	int ret = 0;

	memset(o, 0, sizeof(*o));
	objs = malloc(nobj * sizeof(*objs));
	if (!objs)
		return -ENOMEM;
	snprintf(name, sizeof(name), "bench-overhead-%u", size);
	s = kmem_cache_create(name, size, 0, 0, NULL);
	if (!s) {
		free(objs);
		return -ENOMEM;
	}
	for (i = 0; i < nobj; i++) {
		objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
		if (!objs[i]) {
			ret = -ENOMEM;
			break;
		}
		memset(objs[i], 0x5a, size);
	}
	if (!ret && kmem_cache_get_stats(s, &st))
		ret = -EINVAL;
	if (!ret) {
		o->size = size;
		o->nobj = nobj;
		o->active_objs = st.active_objs;
		o->num_objs = st.num_objs;
		o->num_slabs = st.num_slabs;
		o->objsize = st.objsize;
		o->objperslab = st.objperslab;
		o->pagesperslab = st.pagesperslab;
		o->live_bytes = (double)nobj * size;
		o->slab_bytes = (double)st.num_slabs * st.pagesperslab * 4096.0;
		o->memmap_bytes = (double)st.num_slabs * st.pagesperslab * BENCH_STRUCT_PAGE_BYTES;
		o->overhead_pct = ((o->slab_bytes + o->memmap_bytes) / o->live_bytes - 1.0) * 100.0;
	}
	while (i--)
		kmem_cache_free(s, objs[i]);
	kmem_cache_destroy(s);
	free(objs);
	return ret;
}
