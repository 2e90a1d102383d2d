// SPDX-License-Identifier: MIT
/*
 * Object caches: creation, alignment, constructors, bulk and node
 * allocation, shrinking, destruction with leaks, statistics, SLAB_PANIC,
 * misuse reports, and the debug features (red zones, poison, user
 * tracking, slub_debug).  The ideas of the kernel's lib/slub_kunit.c.
 *
 * Suites:
 *   slub        two fake nodes, per-CPU caches on rseq
 *   slub_debug  corruption of debug caches, one test per corruption
 *   slub_norseq the basics again with per-CPU locks instead of rseq
 */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/topology.h>

#include "kunit.h"
#include "internal.h"
#include "slab.h"

static int init_rseq(void)
{
	return kt_init("fake_numa=2,direct_mb=64,highmem_mb=8");
}

static int init_norseq(void)
{
	struct kmem_info info;

	if (kt_init("fake_numa=2,direct_mb=64,highmem_mb=8,rseq=off"))
		return -1;
	kmem_get_info(&info);
	return info.rseq ? -1 : 0;
}

static int suite_exit(void)
{
	kt_capture_stop();
	unsetenv("KMEM_SLUB_DEBUG");
	kmem_exit();
	return 0;
}

/* Pin the calling thread to one CPU, so that per-CPU reuse is predictable. */
static cpu_set_t saved_affinity;

static void pin_cpu(int cpu)
{
	cpu_set_t one;

	sched_getaffinity(0, sizeof(saved_affinity), &saved_affinity);
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	sched_setaffinity(0, sizeof(one), &one);
}

static void unpin_cpu(void)
{
	sched_setaffinity(0, sizeof(saved_affinity), &saved_affinity);
}

static struct kmem_cache_stats stats_of(struct kmem_cache *s)
{
	struct kmem_cache_stats st;

	memset(&st, 0, sizeof(st));
	CU_ASSERT_EQUAL(kmem_cache_get_stats(s, &st), 0);
	return st;
}

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;

	return x < y ? -1 : x > y;
}

/* Are the @n pointers in @p distinct?  (Sorts a copy.) */
static bool all_distinct(void *const *p, size_t n)
{
	void **copy = malloc(n * sizeof(*copy));
	bool ok = true;
	size_t i;

	memcpy(copy, p, n * sizeof(*copy));
	qsort(copy, n, sizeof(*copy), cmp_ptr);
	for (i = 1; i < n; i++)
		if (copy[i] == copy[i - 1])
			ok = false;
	free(copy);
	return ok;
}

/* ------------------------------------------------------------------ */
/* basics                                                              */
/* ------------------------------------------------------------------ */

static void test_create_alloc_free_destroy(void)
{
	struct kmem_cache *s = kmem_cache_create("basic", 100, 0, 0, NULL);
	struct kmem_cache_stats st;
	void *objs[10];
	unsigned int i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(kmem_cache_size(s), 100);
	st = stats_of(s);
	CU_ASSERT_STRING_EQUAL(st.name, "basic");
	CU_ASSERT_EQUAL(st.object_size, 100);
	CU_ASSERT(st.objsize >= 100);
	CU_ASSERT_EQUAL(st.objsize % ARCH_SLAB_MINALIGN, 0);
	CU_ASSERT(st.objperslab >= 1);
	CU_ASSERT(st.pagesperslab >= 1);
	CU_ASSERT_EQUAL(st.num_slabs, 0);
	CU_ASSERT_FALSE(st.leaked);
	for (i = 0; i < 10; i++) {
		objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(objs[i]);
		CU_ASSERT_EQUAL((uintptr_t)objs[i] % ARCH_SLAB_MINALIGN, 0);
		memset(objs[i], (int)i, 100);
	}
	CU_ASSERT(all_distinct(objs, 10));
	for (i = 0; i < 10; i++)
		CU_ASSERT_EQUAL(((unsigned char *)objs[i])[99], i);
	st = stats_of(s);
	CU_ASSERT(st.active_objs >= 10);
	CU_ASSERT(st.num_slabs >= 1);
	for (i = 0; i < 10; i++)
		kmem_cache_free(s, objs[i]);
	kmem_cache_free(s, NULL);

	kt_capture_start();
	kmem_cache_destroy(s);
	CU_ASSERT_EQUAL(kt_captured_count(), 0);
	kt_capture_stop();
	kmem_cache_destroy(NULL);

	/* a cache of the same name can be created again */
	s = kmem_cache_create("basic", 100, 0, 0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	kmem_cache_destroy(s);
}

struct kt_thing {
	uint64_t id;
	char name[37];
	uint32_t flags;
	double weight;
};

static void test_kmem_cache_macro(void)
{
	struct kmem_cache *s = KMEM_CACHE(kt_thing, SLAB_HWCACHE_ALIGN);
	struct kmem_cache_stats st;
	struct kt_thing *t;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	st = stats_of(s);
	CU_ASSERT_STRING_EQUAL(st.name, "kt_thing");
	CU_ASSERT_EQUAL(st.object_size, sizeof(struct kt_thing));
	CU_ASSERT_EQUAL(kmem_cache_size(s), sizeof(struct kt_thing));
	CU_ASSERT(st.flags & SLAB_HWCACHE_ALIGN);
	t = kmem_cache_alloc(s, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL((uintptr_t)t % __alignof__(struct kt_thing), 0);
	t->id = 42;
	strcpy(t->name, "thing");
	t->weight = 1.5;
	CU_ASSERT_EQUAL(t->id, 42);
	kmem_cache_free(s, t);
	kmem_cache_destroy(s);
}

static void test_zalloc(void)
{
	struct kmem_cache *s = kmem_cache_create("zalloc", 200, 0, 0, NULL);
	unsigned char *p;
	unsigned int round, i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	pin_cpu(0);
	for (round = 0; round < 50; round++) {
		p = kmem_cache_alloc(s, GFP_KERNEL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		memset(p, 0xff, 200);
		kmem_cache_free(s, p);
		p = kmem_cache_zalloc(s, GFP_KERNEL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		for (i = 0; i < 200; i++)
			CU_ASSERT_EQUAL_FATAL(p[i], 0);
		kmem_cache_free(s, p);
	}
	unpin_cpu();
	kmem_cache_destroy(s);
}

/* The alignment SLAB_HWCACHE_ALIGN promises (the kernel's calculate_alignment()). */
static unsigned int hwcache_align(unsigned int size)
{
	unsigned int ralign = (unsigned int)cache_line_size();

	while (size <= ralign / 2)
		ralign /= 2;
	return ralign < ARCH_SLAB_MINALIGN ? ARCH_SLAB_MINALIGN : ralign;
}

static void test_hwcache_align(void)
{
	unsigned int line = (unsigned int)cache_line_size();
	unsigned int sizes[] = { 8, 20, line / 4, line / 2, line / 2 + 1, line - 1, line,
				 line + 1, 3 * line - 5, 1000 };
	unsigned int i, j;

	CU_ASSERT_FATAL(line >= 16 && !(line & (line - 1)));
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct kmem_cache *s = kmem_cache_create("hwalign", sizes[i], 0, SLAB_HWCACHE_ALIGN,
							 NULL);
		unsigned int want = hwcache_align(sizes[i]);
		void *objs[40];

		CU_ASSERT_PTR_NOT_NULL_FATAL(s);
		if (sizes[i] > line / 2)
			CU_ASSERT_EQUAL(want, line);
		CU_ASSERT_EQUAL(stats_of(s).objsize % want, 0);
		for (j = 0; j < 40; j++) {
			objs[j] = kmem_cache_alloc(s, GFP_KERNEL);
			CU_ASSERT_PTR_NOT_NULL_FATAL(objs[j]);
			if ((uintptr_t)objs[j] % want) {
				fprintf(stderr, "HWCACHE_ALIGN size %u: %p not aligned to %u\n",
					sizes[i], objs[j], want);
				CU_FAIL("SLAB_HWCACHE_ALIGN not honoured");
			}
		}
		for (j = 0; j < 40; j++)
			kmem_cache_free(s, objs[j]);
		kmem_cache_destroy(s);
	}
}

static void test_explicit_align(void)
{
	static const unsigned int aligns[] = { 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 8192 };
	static const unsigned int sizes[] = { 1, 24, 100, 300, 5000 };
	unsigned int a, i, j;

	for (a = 0; a < sizeof(aligns) / sizeof(aligns[0]); a++) {
		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			struct kmem_cache *s = kmem_cache_create("align", sizes[i], aligns[a], 0, NULL);
			void *objs[20];

			CU_ASSERT_PTR_NOT_NULL_FATAL(s);
			for (j = 0; j < 20; j++) {
				objs[j] = kmem_cache_alloc(s, GFP_KERNEL);
				CU_ASSERT_PTR_NOT_NULL_FATAL(objs[j]);
				if ((uintptr_t)objs[j] % aligns[a]) {
					fprintf(stderr, "align %u size %u: %p\n", aligns[a],
						sizes[i], objs[j]);
					CU_FAIL("explicit alignment not honoured");
				}
				memset(objs[j], 0x33, sizes[i]);
			}
			CU_ASSERT(all_distinct(objs, 20));
			for (j = 0; j < 20; j++)
				kmem_cache_free(s, objs[j]);
			kmem_cache_destroy(s);
		}
	}
}

static void test_create_invalid(void)
{
	kt_capture_start();
	CU_ASSERT_PTR_NULL(kmem_cache_create("zero", 0, 0, 0, NULL));
	CU_ASSERT_PTR_NULL(kmem_cache_create("badalign", 64, 24, 0, NULL));
	CU_ASSERT_PTR_NULL(kmem_cache_create(NULL, 64, 0, 0, NULL));
	CU_ASSERT_PTR_NULL(kmem_cache_create("", 64, 0, 0, NULL));
	CU_ASSERT_PTR_NULL(kmem_cache_create("huge", (unsigned int)KMALLOC_MAX_SIZE + 1, 0, 0,
					     NULL));
	CU_ASSERT_EQUAL(kt_captured_count(), 5);
	CU_ASSERT(kt_captured("kmem_cache_create(zero) failed"));
	kt_capture_stop();
}

/* A cache of KMALLOC_MAX_SIZE objects: one per slab, and they work. */
static void test_huge_objects(void)
{
	struct kmem_cache *s = kmem_cache_create("huge", (unsigned int)KMALLOC_MAX_SIZE, 0, 0,
						 NULL);
	unsigned char *p;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(stats_of(s).objperslab, 1);
	p = kmem_cache_alloc(s, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	p[0] = 1;
	p[KMALLOC_MAX_SIZE - 1] = 2;
	kmem_cache_free(s, p);
	kmem_cache_destroy(s);
}

/* ------------------------------------------------------------------ */
/* constructors                                                        */
/* ------------------------------------------------------------------ */

#define CTOR_MAGIC	0xc0ffee0ddba11ULL

struct ctor_obj {
	uint64_t magic;
	uint64_t state;		/* 0 in the constructed state */
	uint64_t payload[6];
};

static unsigned long ctor_runs;

static void ctor_fn(void *p)
{
	struct ctor_obj *o = p;

	o->magic = CTOR_MAGIC;
	o->state = 0;
	__atomic_fetch_add(&ctor_runs, 1, __ATOMIC_RELAXED);
}

static void test_ctor(void)
{
	enum { N = 150 };
	struct kmem_cache *s;
	struct kmem_cache_stats st;
	struct ctor_obj *objs[N];
	unsigned long runs;
	unsigned int i, round;

	pin_cpu(0);
	ctor_runs = 0;
	s = kmem_cache_create("ctor", sizeof(struct ctor_obj), 0, 0, ctor_fn);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(stats_of(s).ctor_calls, 0);
	CU_ASSERT_EQUAL(ctor_runs, 0);
	for (i = 0; i < N; i++) {
		objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(objs[i]);
		CU_ASSERT_EQUAL(objs[i]->magic, CTOR_MAGIC);
		CU_ASSERT_EQUAL(objs[i]->state, 0);
	}
	st = stats_of(s);
	/* the constructor ran once for every object of every slab, no more */
	CU_ASSERT(st.num_slabs >= 1);
	CU_ASSERT_EQUAL(st.ctor_calls, (uint64_t)st.objperslab * st.num_slabs);
	CU_ASSERT_EQUAL(ctor_runs, st.ctor_calls);
	runs = ctor_runs;

	for (round = 0; round < 3; round++) {
		for (i = 0; i < N; i++) {
			/* use it, then return it to the constructed state */
			objs[i]->state = 1;
			objs[i]->payload[0] = i;
			objs[i]->state = 0;
			kmem_cache_free(s, objs[i]);
		}
		for (i = 0; i < N; i++) {
			objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
			CU_ASSERT_PTR_NOT_NULL_FATAL(objs[i]);
			/* constructed state kept across reuse: the free pointer is elsewhere */
			CU_ASSERT_EQUAL(objs[i]->magic, CTOR_MAGIC);
			CU_ASSERT_EQUAL(objs[i]->state, 0);
		}
		/* reuse does not construct again */
		CU_ASSERT_EQUAL(ctor_runs, runs);
		CU_ASSERT_EQUAL(stats_of(s).ctor_calls, runs);
	}
	for (i = 0; i < N; i++)
		kmem_cache_free(s, objs[i]);
	unpin_cpu();
	kmem_cache_destroy(s);
}

/* A constructor with a zeroing allocation: zeroed wins (as the kernel's). */
static void test_ctor_zalloc(void)
{
	struct kmem_cache *s = kmem_cache_create("ctor_z", sizeof(struct ctor_obj), 0, 0,
						 ctor_fn);
	struct ctor_obj *o;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	o = kmem_cache_zalloc(s, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(o->magic, 0);
	o->magic = CTOR_MAGIC;
	kmem_cache_free(s, o);
	kmem_cache_destroy(s);
}

/* ------------------------------------------------------------------ */
/* bulk, nodes, shrinking                                              */
/* ------------------------------------------------------------------ */

static void test_bulk(void)
{
	enum { N = 1000 };
	struct kmem_cache *s = kmem_cache_create("bulk", 48, 0, 0, NULL);
	void **objs = calloc(N, sizeof(*objs));
	struct kmem_cache_stats st;
	unsigned int i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(objs);
	CU_ASSERT_EQUAL_FATAL(kmem_cache_alloc_bulk(s, GFP_KERNEL, N, objs), N);
	for (i = 0; i < N; i++) {
		CU_ASSERT_PTR_NOT_NULL_FATAL(objs[i]);
		memset(objs[i], (int)(i & 0xff), 48);
	}
	CU_ASSERT(all_distinct(objs, N));
	for (i = 0; i < N; i++)
		CU_ASSERT_EQUAL_FATAL(((unsigned char *)objs[i])[47], (unsigned char)i);
	st = stats_of(s);
	CU_ASSERT(st.active_objs >= N);
	CU_ASSERT(st.num_objs >= st.active_objs);
	CU_ASSERT(st.num_slabs >= (N + st.objperslab - 1) / st.objperslab);
	/* NULL entries are skipped */
	kmem_cache_free(s, objs[7]);
	objs[7] = NULL;
	kmem_cache_free_bulk(s, N, objs);
	kmem_cache_shrink(s);
	st = stats_of(s);
	CU_ASSERT_EQUAL(st.num_slabs, 0);
	CU_ASSERT_EQUAL(st.active_objs, 0);
	/* zero objects is a no-op */
	CU_ASSERT_EQUAL(kmem_cache_alloc_bulk(s, GFP_KERNEL, 0, objs), 0);
	kmem_cache_free_bulk(s, 0, objs);
	kt_capture_start();
	kmem_cache_destroy(s);
	CU_ASSERT_EQUAL(kt_captured_count(), 0);
	kt_capture_stop();
	free(objs);
}

static void test_alloc_node(void)
{
	enum { N = 300 };
	struct kmem_cache *s = kmem_cache_create("nodes", 64, 0, 0, NULL);
	void *objs[N];
	int nid, nodes = num_online_nodes();
	unsigned int i, wrong = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL_FATAL(nodes, 2);
	for (nid = 0; nid < nodes; nid++) {
		for (i = 0; i < N; i++) {
			objs[i] = kmem_cache_alloc_node(s, GFP_KERNEL, nid);
			CU_ASSERT_PTR_NOT_NULL_FATAL(objs[i]);
			wrong += page_to_nid(virt_to_page(objs[i])) != nid;
		}
		CU_ASSERT(all_distinct(objs, N));
		for (i = 0; i < N; i++)
			kmem_cache_free(s, objs[i]);
	}
	CU_ASSERT_EQUAL(wrong, 0);
	/* after the frees, still right (freed objects went back to their nodes) */
	for (nid = nodes - 1; nid >= 0; nid--) {
		for (i = 0; i < N; i++) {
			objs[i] = kmem_cache_alloc_node(s, GFP_KERNEL, nid);
			CU_ASSERT_PTR_NOT_NULL_FATAL(objs[i]);
			wrong += page_to_nid(virt_to_page(objs[i])) != nid;
		}
		for (i = 0; i < N; i++)
			kmem_cache_free(s, objs[i]);
	}
	CU_ASSERT_EQUAL(wrong, 0);
	/* the CPU's own node on a pinned CPU: the fast path must agree */
	for (int cpu = 0; cpu < 2; cpu++) {
		pin_cpu(cpu);
		nid = cpu_to_node(cpu);
		for (i = 0; i < N; i++) {
			objs[i] = kmem_cache_alloc_node(s, GFP_KERNEL, nid);
			CU_ASSERT_PTR_NOT_NULL_FATAL(objs[i]);
			wrong += page_to_nid(virt_to_page(objs[i])) != nid;
		}
		for (i = 0; i < N; i++)
			kmem_cache_free(s, objs[i]);
		unpin_cpu();
	}
	CU_ASSERT_EQUAL(wrong, 0);
	objs[0] = kmem_cache_alloc_node(s, GFP_KERNEL, NUMA_NO_NODE);
	CU_ASSERT_PTR_NOT_NULL(objs[0]);
	kmem_cache_free(s, objs[0]);
	kmem_cache_shrink(s);
	CU_ASSERT_EQUAL(stats_of(s).num_slabs, 0);
	kmem_cache_destroy(s);
}

/*
 * Wait for child @pid for up to @seconds, then kill it: the child may loop
 * with every signal blocked (kmem blocks them inside its locked sections),
 * so its own alarm() is no watchdog.  Return: its wait status.
 */
static int wait_child(pid_t pid, unsigned int seconds)
{
	int status = 0;
	unsigned int waited;

	for (waited = 0; waited < seconds * 100; waited++) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return status;
		if (r < 0)
			return -1;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return status;
}

/*
 * A node that does not exist: the page allocator warns and fails; the slab
 * layer must not index past its per-node arrays.  Run in a child, which
 * must come back within seconds with the allocator intact.
 */
static void test_alloc_bad_node(void)
{
	pid_t pid;
	int status = 0;

	fflush(NULL);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		struct kmem_cache *s;
		void *p, *q;

		kmem_set_report_sink(NULL, NULL);
		s = kmem_cache_create("badnode", 64, 0, 0, NULL);
		if (!s)
			_exit(3);
		p = kmem_cache_alloc_node(s, GFP_KERNEL | __GFP_NOWARN, num_online_nodes());
		if (p)
			kmem_cache_free(s, p);
		q = kmalloc_node(64, GFP_KERNEL | __GFP_NOWARN, num_online_nodes() + 3);
		kfree(q);
		/* still works */
		for (int i = 0; i < 1000; i++) {
			p = kmem_cache_alloc(s, GFP_KERNEL);
			q = kmalloc(64, GFP_KERNEL);
			if (!p || !q)
				_exit(4);
			kmem_cache_free(s, p);
			kfree(q);
		}
		kmem_cache_shrink(s);
		_exit(0);
	}
	status = wait_child(pid, 3);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "bad node child: %s %d\n", WIFEXITED(status) ? "exit" : "signal",
			WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		CU_FAIL("kmem_cache_alloc_node / kmalloc_node with a node that does not exist");
	}
}

static void test_shrink(void)
{
	enum { N = 2000 };
	struct kmem_cache *s = kmem_cache_create("shrink", 256, 0, 0, NULL);
	void **objs = calloc(N, sizeof(*objs));
	struct kmem_cache_stats st;
	unsigned int i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	for (i = 0; i < N; i++) {
		objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(objs[i]);
	}
	st = stats_of(s);
	CU_ASSERT(st.num_slabs >= N / st.objperslab);
	/* free every other one: shrinking keeps slabs in use */
	for (i = 0; i < N; i += 2)
		kmem_cache_free(s, objs[i]);
	CU_ASSERT_EQUAL(kmem_cache_shrink(s), 0);
	st = stats_of(s);
	CU_ASSERT(st.num_slabs >= 1);
	CU_ASSERT(st.active_objs >= N / 2);
	for (i = 1; i < N; i += 2)
		((unsigned char *)objs[i])[255] = 1;	/* still ours */
	for (i = 1; i < N; i += 2)
		kmem_cache_free(s, objs[i]);
	kmem_cache_shrink(s);
	st = stats_of(s);
	CU_ASSERT_EQUAL(st.num_slabs, 0);
	CU_ASSERT_EQUAL(st.num_objs, 0);
	CU_ASSERT_EQUAL(st.active_objs, 0);
	/* and it is usable again */
	objs[0] = kmem_cache_alloc(s, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL(objs[0]);
	kmem_cache_free(s, objs[0]);
	CU_ASSERT_EQUAL(kmem_cache_shrink(NULL), 0);
	kmem_cache_destroy(s);
	free(objs);
}

static void test_destroy_with_leaks(void)
{
	struct kmem_cache *s = kmem_cache_create("leaky", 128, 0, 0, NULL);
	struct kmem_cache_stats st;
	unsigned char *objs[3];
	unsigned int i, iter = 0;
	bool listed = false;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	for (i = 0; i < 3; i++) {
		objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(objs[i]);
		memset(objs[i], 0x40 + (int)i, 128);
	}
	kmem_cache_free(s, objs[1]);
	kt_capture_start();
	kmem_cache_destroy(s);
	CU_ASSERT(kt_captured("Slab cache still has objects"));
	CU_ASSERT(kt_captured("leaky"));
	CU_ASSERT(kt_captured("(2)"));
	kt_capture_stop();
	/* the leaked objects' memory is kept: still readable and writable */
	for (i = 0; i < 128; i++) {
		CU_ASSERT_EQUAL_FATAL(objs[0][i], 0x40);
		CU_ASSERT_EQUAL_FATAL(objs[2][i], 0x42);
	}
	memset(objs[0], 0x11, 128);
	memset(objs[2], 0x22, 128);
	/* other allocations never get that memory */
	for (i = 0; i < 1000; i++) {
		unsigned char *p = kmalloc(128, GFP_KERNEL);

		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		memset(p, 0x99, 128);
		kfree(p);
	}
	CU_ASSERT_EQUAL(objs[0][127], 0x11);
	CU_ASSERT_EQUAL(objs[2][127], 0x22);
	while (!kmem_cache_stats_next(&iter, &st))
		if (!strcmp(st.name, "leaky") && st.leaked)
			listed = true;
	CU_ASSERT(listed);
}

/* The row of cache @name in /proc/slabinfo text. */
static bool slabinfo_row(const char *text, const char *name, unsigned long long *active,
			 unsigned long long *num, unsigned int *objsize, unsigned int *perslab,
			 unsigned int *pages)
{
	const char *line = text;
	size_t len = strlen(name);

	while (line && *line) {
		if (!strncmp(line, name, len) && line[len] == ' ')
			return sscanf(line + len, "%llu %llu %u %u %u", active, num, objsize, perslab,
				      pages) == 5;
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return false;
}

static void test_slabinfo_counts(void)
{
	enum { N = 1000 };
	struct kmem_cache *s = kmem_cache_create("slabinfo_t", 72, 0, 0, NULL);
	void **objs = calloc(N, sizeof(*objs));
	struct kmem_cache_stats st;
	unsigned long long active, num;
	unsigned int objsize, perslab, pages, i;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	for (i = 0; i < N; i++) {
		objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(objs[i]);
	}
	st = stats_of(s);
	CU_ASSERT(st.active_objs >= N);
	CU_ASSERT(st.num_objs >= st.active_objs);
	CU_ASSERT_EQUAL(st.num_objs, (uint64_t)st.num_slabs * st.objperslab);
	CU_ASSERT_EQUAL(st.active_slabs, st.num_slabs);

	f = open_memstream(&text, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(kmem_show_slabinfo(f), 0);
	fclose(f);
	CU_ASSERT_FATAL(slabinfo_row(text, "slabinfo_t", &active, &num, &objsize, &perslab,
				     &pages));
	CU_ASSERT(active >= N);
	CU_ASSERT(num >= active);
	CU_ASSERT_EQUAL(objsize, st.objsize);
	CU_ASSERT_EQUAL(perslab, st.objperslab);
	CU_ASSERT_EQUAL(pages, st.pagesperslab);
	free(text);
	for (i = 0; i < N; i++)
		kmem_cache_free(s, objs[i]);
	kmem_cache_destroy(s);
	free(objs);
}

/* Run @fn in a child with stderr on a pipe; return its status and output. */
static int run_child(void (*fn)(void), char *out, size_t outlen)
{
	int fds[2], status = 0;
	size_t used = 0;
	pid_t pid;

	out[0] = '\0';
	if (pipe(fds))
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], STDERR_FILENO);
		kmem_set_report_sink(NULL, NULL);	/* reports to stderr */
		fn();
		_exit(0);
	}
	close(fds[1]);
	status = wait_child(pid, 10);
	/* the child is gone: its output is all in the pipe (a few lines) */
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	for (;;) {
		ssize_t n = read(fds[0], out + used, outlen - 1 - used);

		if (n <= 0)
			break;
		used += (size_t)n;
		if (used == outlen - 1)
			break;
	}
	out[used] = '\0';
	close(fds[0]);
	return status;
}

static void panic_child(void)
{
	struct kmem_cache *s = kmem_cache_create("panicky", 0, 0, SLAB_PANIC, NULL);

	(void)s;
	_exit(7);	/* should not get here */
}

static void test_slab_panic(void)
{
	char out[4096];
	int status = run_child(panic_child, out, sizeof(out));
	struct kmem_cache *s;

	CU_ASSERT(WIFSIGNALED(status));
	CU_ASSERT_EQUAL(WIFSIGNALED(status) ? WTERMSIG(status) : -1, SIGABRT);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "Kernel panic - not syncing"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "panicky"));
	/* SLAB_PANIC on a creation that succeeds changes nothing */
	s = kmem_cache_create("calm", 64, 0, SLAB_PANIC, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	kmem_cache_destroy(s);
}

/* ------------------------------------------------------------------ */
/* misuse of normal caches                                             */
/* ------------------------------------------------------------------ */

static void test_free_wrong_cache(void)
{
	struct kmem_cache *a = kmem_cache_create("cache_a", 64, 0, 0, NULL);
	struct kmem_cache *b = kmem_cache_create("cache_b", 64, 0, 0, NULL);
	unsigned char *x, *k;
	long local;
	uint64_t reports;

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	x = kmem_cache_alloc(a, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	memset(x, 0x5c, 64);

	kt_capture_start();
	kmem_cache_free(b, x);
	CU_ASSERT_EQUAL(kt_captured_count(), 1);
	CU_ASSERT(kt_captured("Wrong slab cache"));
	CU_ASSERT(kt_captured("cache_a"));
	CU_ASSERT(kt_captured("cache_b"));
	/* x was not freed: still ours, and b did not get it */
	CU_ASSERT_EQUAL(x[63], 0x5c);
	memset(x, 0x5d, 64);
	for (int i = 0; i < 200; i++) {
		void *y = kmem_cache_alloc(b, GFP_KERNEL);

		CU_ASSERT_PTR_NOT_EQUAL(y, x);
		kmem_cache_free(b, y);
	}
	CU_ASSERT_EQUAL(x[0], 0x5d);

	/* a kmalloc object is not cache_a's either */
	k = kmalloc(64, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(k);
	kmem_cache_free(a, k);
	CU_ASSERT_EQUAL(kt_captured_count(), 2);
	CU_ASSERT(kt_captured("kmalloc-64"));
	kfree(k);

	/* nor is memory that is not kmem's */
	kmem_cache_free(a, &local);
	CU_ASSERT_EQUAL(kt_captured_count(), 3);
	CU_ASSERT(kt_captured("not kmem memory"));

	/* the right cache takes it back without complaint */
	reports = stats_of(a).debug_reports;
	kmem_cache_free(a, x);
	CU_ASSERT_EQUAL(kt_captured_count(), 3);
	CU_ASSERT_EQUAL(stats_of(a).debug_reports, reports);
	kt_capture_stop();
	kmem_cache_destroy(a);
	kmem_cache_destroy(b);
}

static void test_free_not_object_start(void)
{
	struct kmem_cache *s = kmem_cache_create("interior", 100, 0, 0, NULL);
	unsigned char *x;
	uint64_t reports;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	x = kmem_cache_alloc(s, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	memset(x, 0x17, 100);
	reports = stats_of(s).debug_reports;
	kt_capture_start();
	kmem_cache_free(s, x + 1);
	kmem_cache_free(s, x + 50);
	CU_ASSERT_EQUAL(kt_captured_count(), 2);
	CU_ASSERT(kt_captured("Invalid object pointer"));
	CU_ASSERT(kt_captured("interior"));
	CU_ASSERT_EQUAL(stats_of(s).debug_reports, reports + 2);
	CU_ASSERT_EQUAL(x[50], 0x17);
	kmem_cache_free(s, x);
	CU_ASSERT_EQUAL(kt_captured_count(), 2);
	kt_capture_stop();
	kmem_cache_destroy(s);
}

/*
 * The naive check (SLAB_FREELIST_HARDENED's): freeing the object the CPU
 * cache just took back is reported, and the object is not freed twice.
 */
static void test_naive_double_free(void)
{
	struct kmem_cache *s = kmem_cache_create("naive_df", 64, 0, 0, NULL);
	struct kmem_cache_stats st;
	void **objs;
	void *x;
	unsigned int i, n, seen = 0;
	bool reported;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	pin_cpu(0);
	x = kmem_cache_alloc(s, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	kmem_cache_free(s, x);
	kt_capture_start();
	kmem_cache_free(s, x);
	reported = kt_captured("double free");
	CU_ASSERT(reported);
	CU_ASSERT(kt_captured("naive_df"));
	kt_capture_stop();
	/* x is handed out once, not twice */
	st = stats_of(s);
	n = 2 * st.objperslab + 300;
	objs = calloc(n, sizeof(*objs));
	for (i = 0; i < n; i++) {
		objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(objs[i]);
		seen += objs[i] == x;
	}
	if (seen > 1)
		fprintf(stderr, "double-freed object %p handed out %u times\n", x, seen);
	CU_ASSERT(seen <= 1);
	CU_ASSERT(all_distinct(objs, n));
	if (!reported || seen > 1) {
		/* the cache is corrupt: abandon it (and skip the kfree case) */
		free(objs);
		unpin_cpu();
		return;
	}
	/* no report while they go back */
	kt_capture_start();
	for (i = 0; i < n; i++)
		kmem_cache_free(s, objs[i]);
	CU_ASSERT_EQUAL(kt_captured_count(), 0);
	kt_capture_stop();
	free(objs);
	kmem_cache_destroy(s);

	/* the same through kfree */
	x = kmalloc(192, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	kfree(x);
	kt_capture_start();
	kfree(x);
	CU_ASSERT(kt_captured("double free"));
	CU_ASSERT(kt_captured("kmalloc-192"));
	kt_capture_stop();
	unpin_cpu();
}

/* ------------------------------------------------------------------ */
/* debug caches                                                        */
/* ------------------------------------------------------------------ */

#define DEBUG_FLAGS	(SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER)

/* Objects kept allocated so that the slab under test stays. */
struct dbg_ctx {
	struct kmem_cache *s;
	struct kmem_cache_stats st;
	void *keep[4];
};

static void dbg_start(struct dbg_ctx *c, const char *name, unsigned int size, slab_flags_t flags)
{
	unsigned int i;

	pin_cpu(0);
	c->s = kmem_cache_create(name, size, 0, flags, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c->s);
	for (i = 0; i < 4; i++) {
		c->keep[i] = kmem_cache_alloc(c->s, GFP_KERNEL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(c->keep[i]);
		memset(c->keep[i], 0x21, size);
	}
	c->st = stats_of(c->s);
	CU_ASSERT_EQUAL(c->st.flags & flags, flags);
}

/*
 * After a report: @bad must not come back more than @allowed times while
 * every object the slabs hold is allocated, all of them distinct, and the
 * cache must work quietly.  Then free everything but @bad and destroy:
 * @leaked objects (the isolated ones) are reported as remaining.
 */
static void dbg_finish(struct dbg_ctx *c, void *bad, unsigned int allowed, unsigned int leaked)
{
	unsigned int n = 2 * c->st.objperslab + 8, i, seen = 0;
	void **objs = calloc(n, sizeof(*objs));
	char want[64];

	kt_capture_start();
	for (i = 0; i < n; i++) {
		objs[i] = kmem_cache_alloc(c->s, GFP_KERNEL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(objs[i]);
		seen += objs[i] == bad;
		memset(objs[i], 0x21, c->st.object_size);
	}
	if (seen > allowed)
		fprintf(stderr, "%s: corrupted object %p handed out %u times\n", c->st.name, bad,
			seen);
	CU_ASSERT(seen <= allowed);
	CU_ASSERT(all_distinct(objs, n));
	for (i = 0; i < n; i++)
		kmem_cache_free(c->s, objs[i]);
	for (i = 0; i < 4; i++)
		kmem_cache_free(c->s, c->keep[i]);
	if (kt_captured_count())
		fprintf(stderr, "unexpected reports:\n%s", kt_captured_text());
	CU_ASSERT_EQUAL(kt_captured_count(), 0);

	kt_capture_start();
	kmem_cache_destroy(c->s);
	if (leaked) {
		snprintf(want, sizeof(want), "Slab cache still has objects (%u)", leaked);
		CU_ASSERT(kt_captured(want));
	} else {
		CU_ASSERT_EQUAL(kt_captured_count(), 0);
	}
	kt_capture_stop();
	free(objs);
	unpin_cpu();
}

static void test_debug_right_redzone(void)
{
	struct dbg_ctx c;
	unsigned char *p;

	dbg_start(&c, "rz_right", 64, DEBUG_FLAGS);
	p = kmem_cache_alloc(c.s, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	memset(p, 0x01, 64);		/* the whole object is fine */
	kt_poke(p + 64, 0x88);		/* one past it is not */
	kt_capture_start();
	kmem_cache_free(c.s, p);
	CU_ASSERT(kt_captured("Right Redzone overwritten"));
	CU_ASSERT(kt_captured("BUG rz_right"));
	CU_ASSERT(kt_captured("First byte 0x88 instead of 0xcc"));
	CU_ASSERT(kt_captured("Allocated in"));
	CU_ASSERT(stats_of(c.s).debug_reports > c.st.debug_reports);
	kt_capture_stop();
	dbg_finish(&c, p, 0, 1);
}

static void test_debug_right_redzone_odd_size(void)
{
	struct dbg_ctx c;
	unsigned char *p;

	/* 60 bytes: the red zone is the 4 bytes of padding */
	dbg_start(&c, "rz_odd", 60, SLAB_RED_ZONE);
	p = kmem_cache_alloc(c.s, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	memset(p, 0x01, 60);
	kt_poke(p + 60, 0x77);
	kt_capture_start();
	kmem_cache_free(c.s, p);
	CU_ASSERT(kt_captured("Right Redzone overwritten"));
	CU_ASSERT(kt_captured("BUG rz_odd"));
	kt_capture_stop();
	dbg_finish(&c, p, 0, 1);
}

static void test_debug_left_redzone(void)
{
	struct dbg_ctx c;
	unsigned char *p;

	dbg_start(&c, "rz_left", 64, DEBUG_FLAGS);
	p = kmem_cache_alloc(c.s, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	kt_poke(p - 1, 0x88);
	kt_capture_start();
	kmem_cache_free(c.s, p);
	CU_ASSERT(kt_captured("Left Redzone overwritten"));
	CU_ASSERT(kt_captured("BUG rz_left"));
	CU_ASSERT(kt_captured("Allocated in"));
	CU_ASSERT(stats_of(c.s).debug_reports > c.st.debug_reports);
	kt_capture_stop();
	dbg_finish(&c, p, 0, 1);
}

static void test_debug_poison(void)
{
	struct dbg_ctx c;
	unsigned char *p, *q;

	dbg_start(&c, "poison_uaf", 64, DEBUG_FLAGS);
	p = kmem_cache_alloc(c.s, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	kt_capture_start();
	kmem_cache_free(c.s, p);
	CU_ASSERT_EQUAL(kt_captured_count(), 0);
	/* freed objects are poisoned */
	CU_ASSERT_EQUAL(kt_peek(p), 0x6b);
	CU_ASSERT_EQUAL(kt_peek(p + 62), 0x6b);
	CU_ASSERT_EQUAL(kt_peek(p + 63), 0xa5);
	kt_poke(p + 10, 0x12);		/* use after free */
	q = kmem_cache_alloc(c.s, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	CU_ASSERT_PTR_NOT_EQUAL(q, p);
	CU_ASSERT(kt_captured("Poison overwritten"));
	CU_ASSERT(kt_captured("BUG poison_uaf"));
	CU_ASSERT(kt_captured("First byte 0x12 instead of 0x6b"));
	CU_ASSERT(kt_captured("Freed in"));
	CU_ASSERT(stats_of(c.s).debug_reports > c.st.debug_reports);
	kt_capture_stop();
	kmem_cache_free(c.s, q);
	dbg_finish(&c, p, 0, 1);
}

static void test_debug_double_free(void)
{
	struct dbg_ctx c;
	unsigned char *p;

	dbg_start(&c, "dbl_free", 64, DEBUG_FLAGS);
	p = kmem_cache_alloc(c.s, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	kmem_cache_free(c.s, p);
	kt_capture_start();
	kmem_cache_free(c.s, p);
	CU_ASSERT(kt_captured("Object already free"));
	CU_ASSERT(kt_captured("BUG dbl_free"));
	CU_ASSERT(kt_captured("Allocated in"));
	CU_ASSERT(kt_captured("Freed in"));
	CU_ASSERT(stats_of(c.s).debug_reports > c.st.debug_reports);
	kt_capture_stop();
	/* p is free once: handed out exactly once, and nothing is leaked */
	dbg_finish(&c, p, 1, 0);
}

/* Poison alone recognises a free object by its intact poison. */
static void test_debug_double_free_poison_only(void)
{
	struct dbg_ctx c;
	unsigned char *p;

	dbg_start(&c, "dbl_free_p", 40, SLAB_POISON);
	p = kmem_cache_alloc(c.s, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	memset(p, 0x12, 40);	/* used (see the next test for an unused one) */
	kt_capture_start();
	kmem_cache_free(c.s, p);
	CU_ASSERT_EQUAL(kt_captured_count(), 0);
	kt_capture_start();
	kmem_cache_free(c.s, p);
	CU_ASSERT(kt_captured("Object already free"));
	kt_capture_stop();
	dbg_finish(&c, p, 1, 0);
}

/*
 * Poison alone: an object freed without having been written still holds
 * the poison it was allocated with.  That is a legal free, not a double
 * free, and it must free the object.
 */
static void test_debug_poison_only_free_unwritten(void)
{
	struct dbg_ctx c;
	unsigned char *p;
	bool again = false;
	unsigned int i;

	dbg_start(&c, "poison_unw", 40, SLAB_POISON);
	p = kmem_cache_alloc(c.s, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	kt_capture_start();
	kmem_cache_free(c.s, p);	/* allocated, never written, freed: legal */
	if (kt_captured_count())
		fprintf(stderr, "report on a legal free:\n%s", kt_captured_text());
	CU_ASSERT_EQUAL(kt_captured_count(), 0);
	kt_capture_stop();
	/* and it really went back: the slab hands it out again */
	{
		unsigned int n = c.st.objperslab;
		void **objs = calloc(n, sizeof(*objs));

		for (i = 0; i < n; i++) {
			objs[i] = kmem_cache_alloc(c.s, GFP_KERNEL);
			CU_ASSERT_PTR_NOT_NULL_FATAL(objs[i]);
			again |= objs[i] == p;
			memset(objs[i], 0, 40);
		}
		CU_ASSERT(again);
		for (i = 0; i < n; i++)
			kmem_cache_free(c.s, objs[i]);
		free(objs);
	}
	dbg_finish(&c, NULL, 0, 0);
}

/*
 * SLAB_CONSISTENCY_CHECKS alone: slab.h promises a double free check on
 * every free.  Without a report the slab's free list now loops, so the
 * cache is abandoned untouched instead of being used further.
 */
static void test_debug_double_free_consistency_only(void)
{
	struct dbg_ctx c;
	unsigned char *p;
	bool reported;

	dbg_start(&c, "dbl_free_f", 64, SLAB_CONSISTENCY_CHECKS);
	p = kmem_cache_alloc(c.s, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	kmem_cache_free(c.s, p);
	kt_capture_start();
	kmem_cache_free(c.s, p);
	reported = kt_captured("already free") || kt_captured("double free");
	kt_capture_stop();
	if (!reported) {
		CU_FAIL("SLAB_CONSISTENCY_CHECKS: double free not detected");
		unpin_cpu();
		return;		/* the cache is corrupt: leave it alone */
	}
	dbg_finish(&c, p, 1, 0);
}

/* Debug caches still refuse the misuse every cache refuses. */
static void test_debug_invalid_pointer(void)
{
	struct dbg_ctx c;
	unsigned char *p;

	dbg_start(&c, "dbg_inval", 64, DEBUG_FLAGS | SLAB_CONSISTENCY_CHECKS);
	p = kmem_cache_alloc(c.s, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	kt_capture_start();
	kmem_cache_free(c.s, p + 8);
	CU_ASSERT(kt_captured("Invalid object pointer"));
	kt_capture_stop();
	kt_capture_start();
	kmem_cache_free(c.s, p);
	CU_ASSERT_EQUAL(kt_captured_count(), 0);
	kt_capture_stop();
	dbg_finish(&c, NULL, 0, 0);
}

/* A clean debug cache is quiet, keeps red zones intact and zeroes on request. */
static void test_debug_clean(void)
{
	struct dbg_ctx c;
	unsigned char *objs[100];
	unsigned int i, j;

	dbg_start(&c, "dbg_clean", 100, DEBUG_FLAGS | SLAB_CONSISTENCY_CHECKS);
	kt_capture_start();
	for (i = 0; i < 100; i++) {
		objs[i] = i & 1 ? kmem_cache_zalloc(c.s, GFP_KERNEL) :
				  kmem_cache_alloc(c.s, GFP_KERNEL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(objs[i]);
		if (i & 1)
			for (j = 0; j < 100; j++)
				CU_ASSERT_EQUAL_FATAL(objs[i][j], 0);
		memset(objs[i], 0x44, 100);
	}
	CU_ASSERT(all_distinct((void **)objs, 100));
	for (i = 0; i < 100; i++)
		kmem_cache_free(c.s, objs[i]);
	CU_ASSERT_EQUAL(kt_captured_count(), 0);
	kt_capture_stop();
	CU_ASSERT_EQUAL(stats_of(c.s).debug_reports, c.st.debug_reports);
	dbg_finish(&c, NULL, 0, 0);
}

static void test_slub_debug_env(void)
{
	const slab_flags_t all = SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE | SLAB_POISON |
				 SLAB_STORE_USER;
	struct kmem_cache *a, *b, *w, *x, *y;
	struct dbg_ctx c;
	unsigned char *p;

	setenv("KMEM_SLUB_DEBUG", "FZPU,dbgcache", 1);
	a = kmem_cache_create("dbgcache", 64, 0, 0, NULL);
	b = kmem_cache_create("othercache", 64, 0, 0, NULL);
	setenv("KMEM_SLUB_DEBUG", "Z,dbgw*;P,yyy", 1);
	w = kmem_cache_create("dbgwild", 64, 0, 0, NULL);
	x = kmem_cache_create("dbgx", 64, 0, 0, NULL);
	y = kmem_cache_create("yyy", 64, 0, 0, NULL);
	unsetenv("KMEM_SLUB_DEBUG");
	CU_ASSERT_FATAL(a && b && w && x && y);

	CU_ASSERT_EQUAL(stats_of(a).flags & all, all);
	CU_ASSERT_EQUAL(stats_of(b).flags & all, 0);
	CU_ASSERT_EQUAL(stats_of(w).flags & all, SLAB_RED_ZONE);
	CU_ASSERT_EQUAL(stats_of(x).flags & all, 0);
	CU_ASSERT_EQUAL(stats_of(y).flags & all, SLAB_POISON);
	/* kmalloc caches were created before: untouched */
	{
		unsigned int iter = 0;
		struct kmem_cache_stats st;

		while (!kmem_cache_stats_next(&iter, &st))
			if (!strncmp(st.name, "kmalloc-", 8))
				CU_ASSERT_EQUAL(st.flags & all, 0);
	}
	kmem_cache_destroy(b);
	kmem_cache_destroy(w);
	kmem_cache_destroy(x);
	kmem_cache_destroy(y);

	/* and the debugging really is on for dbgcache */
	memset(&c, 0, sizeof(c));
	pin_cpu(0);
	c.s = a;
	for (int i = 0; i < 4; i++)
		c.keep[i] = kmem_cache_alloc(a, GFP_KERNEL);
	c.st = stats_of(a);
	p = kmem_cache_alloc(a, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	kt_poke(p + 64, 0);
	kt_capture_start();
	kmem_cache_free(a, p);
	CU_ASSERT(kt_captured("Right Redzone overwritten"));
	CU_ASSERT(kt_captured("BUG dbgcache"));
	kt_capture_stop();
	dbg_finish(&c, p, 0, 1);

	/* no names: every cache created meanwhile */
	setenv("KMEM_SLUB_DEBUG", "U", 1);
	b = kmem_cache_create("anycache", 64, 0, 0, NULL);
	unsetenv("KMEM_SLUB_DEBUG");
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(stats_of(b).flags & all, SLAB_STORE_USER);
	kmem_cache_destroy(b);
}

/* ------------------------------------------------------------------ */

/*
 * SLAB_ACCOUNT: every object records its allocating process (kmem_mm.owner,
 * a client id when attached; faked here) at the end of its slab, for every
 * size class and debug layout, and __kmem_client_usage() counts exactly the
 * ones not freed.
 */
#define NR_OF(a) (sizeof(a) / sizeof((a)[0]))
static void test_account_owners(void)
{
	static const unsigned int sizes[] = { 8, 24, 96, 192, 1000, 4096, 8192 };
	u32 saved = kmem_mm.owner;
	unsigned int i, j;

	for (i = 0; i < 2 * NR_OF(sizes); i++) {
		unsigned int size = sizes[i % NR_OF(sizes)];
		slab_flags_t debug = i >= NR_OF(sizes) ? SLAB_RED_ZONE | SLAB_POISON : 0;
		struct kmem_cache *s = kmem_cache_create("kt_account", size, 0,
							 SLAB_ACCOUNT | debug, NULL);
		struct kmem_client_usage u = { .id = 4242 };
		void *objs[200];
		u64 end;

		CU_ASSERT_FATAL(s != NULL);
		/* the vector lies past the last object, inside the slab */
		end = s->red_left_pad + (u64)s->objects * s->size;
		CU_ASSERT(s->owners_off >= end);
		CU_ASSERT(s->owners_off + ((((end - s->size) >> s->owner_shift) + 1) * 4) <=
			  (PAGE_SIZE << s->order));
		CU_ASSERT((1u << s->owner_shift) <= s->size);
		kmem_mm.owner = 4242;
		for (j = 0; j < NR_OF(objs); j++) {
			objs[j] = kmem_cache_alloc(s, GFP_KERNEL);
			CU_ASSERT_FATAL(objs[j] != NULL);
			memset(objs[j], 0xa5, size);	/* the vector must survive its neighbours */
		}
		kmem_mm.owner = saved;
		CU_ASSERT_EQUAL(__kmem_client_usage(&u, 1), 0);
		KT_ASSERT_EQ(u.objects, NR_OF(objs));
		KT_ASSERT_EQ(u.object_bytes, (u64)NR_OF(objs) * size);
		for (j = 0; j < NR_OF(objs); j += 2)
			kmem_cache_free(s, objs[j]);
		CU_ASSERT_EQUAL(__kmem_client_usage(&u, 1), 0);
		KT_ASSERT_EQ(u.objects, NR_OF(objs) / 2);
		for (j = 1; j < NR_OF(objs); j += 2)
			kmem_cache_free(s, objs[j]);
		CU_ASSERT_EQUAL(__kmem_client_usage(&u, 1), 0);
		KT_ASSERT_EQ(u.objects, 0);
		kmem_cache_destroy(s);
	}
	/* a cache without SLAB_ACCOUNT keeps the kernel's layout */
	{
		struct kmem_cache *s = kmem_cache_create("kt_plain", 64, 0, 0, NULL);

		CU_ASSERT_FATAL(s != NULL);
		KT_ASSERT_EQ(s->owners_off, 0);
		KT_ASSERT_EQ(s->objects, 64);
		kmem_cache_destroy(s);
	}
}

static const struct kt_test slub_tests[] = {
	KT_TEST(test_create_alloc_free_destroy),
	KT_TEST(test_account_owners),
	KT_TEST(test_kmem_cache_macro),
	KT_TEST(test_zalloc),
	KT_TEST(test_hwcache_align),
	KT_TEST(test_explicit_align),
	KT_TEST(test_create_invalid),
	KT_TEST(test_huge_objects),
	KT_TEST(test_ctor),
	KT_TEST(test_ctor_zalloc),
	KT_TEST(test_bulk),
	KT_TEST(test_alloc_node),
	KT_TEST(test_alloc_bad_node),
	KT_TEST(test_shrink),
	KT_TEST(test_destroy_with_leaks),
	KT_TEST(test_slabinfo_counts),
	KT_TEST(test_slab_panic),
	KT_TEST(test_free_wrong_cache),
	KT_TEST(test_free_not_object_start),
	KT_TEST(test_naive_double_free),
	KT_END,
};

static const struct kt_test debug_tests[] = {
	KT_TEST(test_debug_right_redzone),
	KT_TEST(test_debug_right_redzone_odd_size),
	KT_TEST(test_debug_left_redzone),
	KT_TEST(test_debug_poison),
	KT_TEST(test_debug_double_free),
	KT_TEST(test_debug_double_free_poison_only),
	KT_TEST(test_debug_poison_only_free_unwritten),
	KT_TEST(test_debug_double_free_consistency_only),
	KT_TEST(test_debug_invalid_pointer),
	KT_TEST(test_debug_clean),
	KT_TEST(test_slub_debug_env),
	KT_END,
};

static const struct kt_test norseq_tests[] = {
	KT_TEST(test_create_alloc_free_destroy),
	KT_TEST(test_ctor),
	KT_TEST(test_bulk),
	KT_TEST(test_alloc_node),
	KT_TEST(test_shrink),
	KT_TEST(test_destroy_with_leaks),
	KT_TEST(test_free_wrong_cache),
	KT_TEST(test_free_not_object_start),
	KT_TEST(test_naive_double_free),
	KT_TEST(test_debug_double_free),
	KT_END,
};

static const struct kt_suite slub_suite = { "slub", init_rseq, suite_exit, slub_tests };
static const struct kt_suite debug_suite = { "slub_debug", init_rseq, suite_exit, debug_tests };
static const struct kt_suite norseq_suite = { "slub_norseq", init_norseq, suite_exit,
					      norseq_tests };
static const struct kt_suite *const suites[] = { &slub_suite, &debug_suite, &norseq_suite,
						 NULL };

int main(int argc, char **argv)
{
	return kt_main(argc, argv, suites);
}
