/* SPDX-License-Identifier: MIT */
/*
 * alloc_loops.h - the timed loops of bench_slab, written once for every
 * allocator (slab_ops.c, dpdk_ops.c): each allocator supplies
 *
 *	CTX(size)	declarations its ALLOC/FREE need for objects of @size
 *			(the kmem cache or the DPDK pool), or nothing
 *	ALLOC(size)	an expression: the new object, NULL on failure
 *	FREE(p, size)	a statement that frees @p
 *
 * and BENCH_LOOPS_FIXED / BENCH_LOOPS_MIXED expand to the static loop
 * functions a struct bench_alloc_ops points at.  Included only by C files.
 */
#ifndef KMEM_BENCH_ALLOC_LOOPS_H
#define KMEM_BENCH_ALLOC_LOOPS_H

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#include "slab_ops.h"

#define BENCH_MIXED_MASK (BENCH_MIXED_LEN - 1)

__attribute__((__noreturn__, __cold__)) void bench_slab_die(const char *what);

/* The allocation failed, or: write the object's first byte. */
#define bench_use(p, what)						\
	do {								\
		if (__builtin_expect(!(p), 0))				\
			bench_slab_die(what);				\
		*(volatile char *)(p) = 1;				\
	} while (0)

/*
 * The single-producer single-consumer ring: each side owns a cache line
 * with its index and a cached copy of the other side's, and reads the
 * other's line only when its copy says the ring is full (producer) or
 * empty (consumer).  A side that waits spins a while, then yields: with
 * two threads on a two-CPU machine the other side may need this CPU.
 */
struct bench_ring {
	_Alignas(64) unsigned long head;	/* producer: next slot to fill */
	unsigned long tail_seen;
	_Alignas(64) unsigned long tail;	/* consumer: next slot to empty */
	unsigned long head_seen;
	_Alignas(64) void *slot[BENCH_RING_SIZE];
};
extern struct bench_ring bench_ring;

static inline void bench_ring_wait(unsigned int *spins)
{
	if (++*spins < 512) {
		__builtin_ia32_pause();
	} else {
		*spins = 0;
		sched_yield();
	}
}

static inline void bench_ring_push(void *p)
{
	struct bench_ring *r = &bench_ring;
	unsigned long h = r->head;
	unsigned int spins = 0;

	while (h - r->tail_seen >= BENCH_RING_SIZE) {
		r->tail_seen = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
		if (h - r->tail_seen >= BENCH_RING_SIZE)
			bench_ring_wait(&spins);
	}
	r->slot[h & (BENCH_RING_SIZE - 1)] = p;
	__atomic_store_n(&r->head, h + 1, __ATOMIC_RELEASE);
}

static inline void *bench_ring_pop(void)
{
	struct bench_ring *r = &bench_ring;
	unsigned long t = r->tail;
	unsigned int spins = 0;
	void *p;

	while (t == r->head_seen) {
		r->head_seen = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
		if (t == r->head_seen)
			bench_ring_wait(&spins);
	}
	p = r->slot[t & (BENCH_RING_SIZE - 1)];
	__atomic_store_n(&r->tail, t + 1, __ATOMIC_RELEASE);
	return p;
}

/*
 * pairs, batch, produce_fixed, hold_fixed, release_fixed and consume for
 * objects of one size.
 */
#define BENCH_LOOPS_FIXED(name, CTX, ALLOC, FREE)				\
static void name##_pairs(unsigned int size, unsigned int n)			\
{										\
	CTX(size);								\
	unsigned int i;								\
										\
	for (i = 0; i < n; i++) {						\
		void *p = ALLOC(size);						\
										\
		bench_use(p, #name);						\
		FREE(p, size);							\
	}									\
}										\
static void name##_batch(unsigned int size, unsigned int n)			\
{										\
	CTX(size);								\
	void *p[BENCH_SLAB_MAX_BATCH];						\
	unsigned int i;								\
										\
	for (i = 0; i < n; i++) {						\
		p[i] = ALLOC(size);						\
		bench_use(p[i], #name);						\
	}									\
	for (i = 0; i < n; i++)							\
		FREE(p[i], size);						\
}										\
static void name##_produce_fixed(unsigned int size, unsigned int n)		\
{										\
	CTX(size);								\
	unsigned int i;								\
										\
	for (i = 0; i < n; i++) {						\
		void *p = ALLOC(size);						\
										\
		bench_use(p, #name);						\
		bench_ring_push(p);						\
	}									\
}										\
static void name##_hold_fixed(void **p, unsigned int size, unsigned int n)	\
{										\
	CTX(size);								\
	unsigned int i;								\
										\
	for (i = 0; i < n; i++) {						\
		p[i] = ALLOC(size);						\
		bench_use(p[i], #name);						\
	}									\
}										\
static void name##_release_fixed(void **p, unsigned int size, unsigned int n)	\
{										\
	CTX(size);								\
	unsigned int i;								\
										\
	for (i = 0; i < n; i++)							\
		FREE(p[i], size);						\
}										\
static void name##_consume(unsigned int size, unsigned int n)			\
{										\
	CTX(size);								\
	unsigned int i;								\
										\
	for (i = 0; i < n; i++) {						\
		void *p = bench_ring_pop();					\
										\
		FREE(p, size);							\
	}									\
}

/*
 * mixed_pairs, mixed_batch, hold_mixed, release_mixed and produce_mixed:
 * ALLOC/FREE take any size.
 */
#define BENCH_LOOPS_MIXED(name, ALLOC, FREE)					\
static void name##_mixed_pairs(unsigned int *pos, unsigned int n)		\
{										\
	unsigned int i, k = *pos;						\
										\
	for (i = 0; i < n; i++) {						\
		unsigned int size = bench_mixed_sizes[k++ & BENCH_MIXED_MASK];	\
		void *p = ALLOC(size);						\
										\
		bench_use(p, #name);						\
		FREE(p, size);							\
	}									\
	*pos = k;								\
}										\
static void name##_mixed_batch(unsigned int *pos, unsigned int n)		\
{										\
	void *p[BENCH_SLAB_MAX_BATCH];						\
	unsigned int i, k = *pos;						\
										\
	for (i = 0; i < n; i++) {						\
		p[i] = ALLOC(bench_mixed_sizes[k++ & BENCH_MIXED_MASK]);	\
		bench_use(p[i], #name);						\
	}									\
	for (i = 0; i < n; i++)							\
		FREE(p[i], 0);							\
	*pos = k;								\
}										\
static void name##_hold_mixed(void **p, unsigned int *pos, unsigned int n)	\
{										\
	unsigned int i, k = *pos;						\
										\
	for (i = 0; i < n; i++) {						\
		p[i] = ALLOC(bench_mixed_sizes[k++ & BENCH_MIXED_MASK]);	\
		bench_use(p[i], #name);						\
	}									\
	*pos = k;								\
}										\
static void name##_release_mixed(void **p, unsigned int n)			\
{										\
	unsigned int i;								\
										\
	for (i = 0; i < n; i++)							\
		FREE(p[i], 0);							\
}										\
static void name##_produce_mixed(unsigned int *pos, unsigned int n)		\
{										\
	unsigned int i, k = *pos;						\
										\
	for (i = 0; i < n; i++) {						\
		void *p = ALLOC(bench_mixed_sizes[k++ & BENCH_MIXED_MASK]);	\
										\
		bench_use(p, #name);						\
		bench_ring_push(p);						\
	}									\
	*pos = k;								\
}

/* produce, hold, release: fixed sizes only (size 0 is not offered). */
#define BENCH_DISPATCH_FIXED(name)						\
static void name##_produce(unsigned int size, unsigned int *pos, unsigned int n) \
{										\
	(void)pos;								\
	name##_produce_fixed(size, n);						\
}										\
static void name##_hold(void **p, unsigned int size, unsigned int *pos,		\
			unsigned int n)						\
{										\
	(void)pos;								\
	name##_hold_fixed(p, size, n);						\
}										\
static void name##_release(void **p, unsigned int size, unsigned int n)		\
{										\
	name##_release_fixed(p, size, n);					\
}

/* produce, hold, release: size 0 means the mixed sizes (from *pos). */
#define BENCH_DISPATCH_BOTH(name)						\
static void name##_produce(unsigned int size, unsigned int *pos, unsigned int n) \
{										\
	if (size)								\
		name##_produce_fixed(size, n);					\
	else									\
		name##_produce_mixed(pos, n);					\
}										\
static void name##_hold(void **p, unsigned int size, unsigned int *pos,		\
			unsigned int n)						\
{										\
	if (size)								\
		name##_hold_fixed(p, size, n);					\
	else									\
		name##_hold_mixed(p, pos, n);					\
}										\
static void name##_release(void **p, unsigned int size, unsigned int n)		\
{										\
	if (size)								\
		name##_release_fixed(p, size, n);				\
	else									\
		name##_release_mixed(p, n);					\
}

#endif /* KMEM_BENCH_ALLOC_LOOPS_H */
