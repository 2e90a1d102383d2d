// SPDX-License-Identifier: MIT
/*
 * The malloc front end (malloc/malloc.c), linked in from libkmem-malloc.a:
 * this program's malloc() is kmem's, from before main() on.  The contract
 * of every function (C, POSIX and glibc's), where the memory comes from
 * (kmalloc, vmalloc, glibc's for its own pointers), threads freeing each
 * other's memory, and fork(): a child gets a copy of the heap, never the
 * heap itself, even with threads allocating while it is taken.
 *
 * Built with -fno-builtin so that GCC neither drops allocations whose
 * result looks unused nor folds the calls it thinks it knows.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "kunit.h"

/* A failed realloc() leaves the block to the caller: the tests read it on. */
#pragma GCC diagnostic ignored "-Wuse-after-free"
/* mallinfo() is obsolete, and still called by programs: tested too. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

extern void *__libc_malloc(size_t size);
extern void __libc_free(void *p);
void free_sized(void *p, size_t size);
void free_aligned_sized(void *p, size_t align, size_t size);

/* Sizes the compiler cannot see through. */
static volatile size_t huge_sizes[] = {
	SIZE_MAX, SIZE_MAX - 4095, (size_t)PTRDIFF_MAX + 1, PTRDIFF_MAX, 1ULL << 46,
};

static void fill(void *p, size_t n, unsigned char seed)
{
	unsigned char *c = p;
	size_t i;

	for (i = 0; i < n; i++)
		c[i] = (unsigned char)(seed + i * 31);
}

static bool filled(const void *p, size_t n, unsigned char seed)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (c[i] != (unsigned char)(seed + i * 31))
			return false;
	return true;
}

static bool all_zero(const void *p, size_t n)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (c[i])
			return false;
	return true;
}

static bool aligned(const void *p, size_t align)
{
	return !((uintptr_t)p & (align - 1));
}

/* The front end is what serves this program: its memory is kmem's. */
static void test_memory_is_kmem(void)
{
	void *small = malloc(100), *page = malloc(64 << 10), *big = malloc(8 << 20);

	CU_ASSERT_FATAL(small && page && big);
	CU_ASSERT(virt_addr_valid(small));
	CU_ASSERT(virt_addr_valid(page));
	CU_ASSERT(is_vmalloc_addr(big));
	free(small);
	free(page);
	free(big);
}

static void test_malloc_zero(void)
{
	void *a = malloc(0), *b = malloc(0), *c = realloc(NULL, 0);

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT(a != ZERO_SIZE_PTR && b != ZERO_SIZE_PTR && c != ZERO_SIZE_PTR);
	CU_ASSERT(a != b && b != c && a != c);
	CU_ASSERT(malloc_usable_size(a) >= 1);
	memset(a, 0x5a, malloc_usable_size(a));
	free(a);
	free(b);
	free(c);
	free(NULL);
	CU_ASSERT_EQUAL(malloc_usable_size(NULL), 0);
}

/* glibc's promise on x86-64, kept for every size: 16 bytes. */
static void test_alignment_and_usable_size(void)
{
	static const size_t big[] = { 8192 + 1, 12345, 65536, 100000, 1 << 20, (1 << 20) + 1,
				      3 << 20, 16 << 20 };
	void *p[300];
	size_t size, i;

	for (size = 1; size <= 8192; size = size < 300 ? size + 1 : size * 5 / 4) {
		for (i = 0; i < 8; i++) {
			p[i] = malloc(size);
			CU_ASSERT_PTR_NOT_NULL_FATAL(p[i]);
			if (!aligned(p[i], 16) || malloc_usable_size(p[i]) < size)
				CU_FAIL("misaligned or short");
			fill(p[i], malloc_usable_size(p[i]), (unsigned char)size);
		}
		for (i = 0; i < 8; i++) {
			CU_ASSERT(filled(p[i], malloc_usable_size(p[i]), (unsigned char)size));
			free(p[i]);
		}
	}
	for (i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
		void *q = malloc(big[i]);

		CU_ASSERT_PTR_NOT_NULL_FATAL(q);
		CU_ASSERT(aligned(q, 16));
		CU_ASSERT(malloc_usable_size(q) >= big[i]);
		memset(q, 0xa5, big[i]);
		free(q);
	}
}

static void check_aligned_block(void *p, size_t align, size_t size)
{
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	if (!aligned(p, align)) {
		fprintf(stderr, "align %zu size %zu: %p\n", align, size, p);
		CU_FAIL("misaligned");
	}
	CU_ASSERT(malloc_usable_size(p) >= size);
	fill(p, size, (unsigned char)align);
	CU_ASSERT(filled(p, size, (unsigned char)align));
}

static void test_posix_memalign(void)
{
	static const size_t bad[] = { 0, 1, 2, 3, 4, 12, 24, 48, 4097, 3 << 20 };
	size_t align, i, sizes[5];
	void *p, *keep[5];
	int ret;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p = (void *)0x1234;
		errno = 0;
		ret = posix_memalign(&p, bad[i], 64);
		KT_ASSERT_EQ(ret, EINVAL);
		CU_ASSERT_EQUAL(errno, 0);
		CU_ASSERT_PTR_EQUAL(p, (void *)0x1234);
	}
	for (align = 8; align <= (4 << 20); align <<= 1) {
		sizes[0] = 1;
		sizes[1] = align - 1;
		sizes[2] = align;
		sizes[3] = align + 1;
		sizes[4] = 3 * align;
		for (i = 0; i < 5; i++) {
			errno = 0;
			ret = posix_memalign(&keep[i], align, sizes[i]);
			KT_ASSERT_EQ(ret, 0);
			CU_ASSERT_EQUAL(errno, 0);
			check_aligned_block(keep[i], align, sizes[i]);
		}
		for (i = 0; i < 5; i++)
			free(keep[i]);
	}
	p = (void *)0x1234;
	errno = 0;
	KT_ASSERT_EQ(posix_memalign(&p, 64, huge_sizes[0]), ENOMEM);
	CU_ASSERT_EQUAL(errno, 0);
	CU_ASSERT_PTR_EQUAL(p, (void *)0x1234);
	KT_ASSERT_EQ(posix_memalign(&p, 64, 0), 0);
	CU_ASSERT_PTR_NOT_NULL(p);
	free(p);
}

static void test_other_aligned(void)
{
	void *p;

	errno = 0;
	CU_ASSERT_PTR_NULL(aligned_alloc(3, 64));
	CU_ASSERT_EQUAL(errno, EINVAL);
	p = aligned_alloc(256, 1000);
	check_aligned_block(p, 256, 1000);
	free_aligned_sized(p, 256, 1000);
	p = aligned_alloc(1 << 21, 5000);
	check_aligned_block(p, 1 << 21, 5000);
	free(p);

	p = memalign(24, 10);		/* glibc rounds the alignment up to 32 */
	check_aligned_block(p, 32, 10);
	free(p);
	p = memalign(65536, 100000);
	check_aligned_block(p, 65536, 100000);
	free(p);

	p = valloc(10);
	check_aligned_block(p, PAGE_SIZE, 10);
	free(p);
	p = pvalloc(1);
	check_aligned_block(p, PAGE_SIZE, PAGE_SIZE);
	free(p);
	p = pvalloc(0);
	check_aligned_block(p, PAGE_SIZE, PAGE_SIZE);
	free(p);
	errno = 0;
	CU_ASSERT_PTR_NULL(aligned_alloc(4096, huge_sizes[0]));
	CU_ASSERT_EQUAL(errno, ENOMEM);
}

static void test_calloc(void)
{
	static const size_t sizes[] = { 1, 15, 16, 100, 4000, 8192, 9000, 70000, 1 << 20,
					4 << 20 };
	size_t i, j;
	void *p;

	errno = 0;
	CU_ASSERT_PTR_NULL(calloc(huge_sizes[4], huge_sizes[4]));
	CU_ASSERT_EQUAL(errno, ENOMEM);
	errno = 0;
	CU_ASSERT_PTR_NULL(calloc(huge_sizes[2], 2));
	CU_ASSERT_EQUAL(errno, ENOMEM);
	errno = 0;
	CU_ASSERT_PTR_NULL(calloc(1, huge_sizes[0]));
	CU_ASSERT_EQUAL(errno, ENOMEM);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		/* dirty memory of the same class first, so a reuse would show */
		for (j = 0; j < 4; j++) {
			void *d = malloc(sizes[i]);

			CU_ASSERT_PTR_NOT_NULL_FATAL(d);
			memset(d, 0xee, sizes[i]);
			free(d);
		}
		for (j = 0; j < 4; j++) {
			unsigned char *c = calloc(sizes[i], 1);

			CU_ASSERT_PTR_NOT_NULL_FATAL(c);
			CU_ASSERT(all_zero(c, sizes[i]));
			free_sized(c, sizes[i]);
		}
	}
	p = calloc(0, 0);
	CU_ASSERT_PTR_NOT_NULL(p);
	free(p);
}

static void test_realloc(void)
{
	static const size_t steps[] = { 1, 10, 100, 5000, 9000, 70000, 1 << 20, 2 << 20,
					10 << 20, 3000, 10, 200000, 17 };
	size_t i, have = 0;
	unsigned char *p = NULL, *q;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		size_t keep = have < steps[i] ? have : steps[i];

		q = realloc(p, steps[i]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(q);
		if (!filled(q, keep, 7)) {
			fprintf(stderr, "realloc %zu -> %zu lost contents\n", have, steps[i]);
			CU_FAIL("contents");
		}
		CU_ASSERT(malloc_usable_size(q) >= steps[i]);
		fill(q, steps[i], 7);
		p = q;
		have = steps[i];
	}
	/* failure leaves the block alone */
	errno = 0;
	CU_ASSERT_PTR_NULL(realloc(p, huge_sizes[0]));
	CU_ASSERT_EQUAL(errno, ENOMEM);
	CU_ASSERT(filled(p, have, 7));
	errno = 0;
	CU_ASSERT_PTR_NULL(reallocarray(p, huge_sizes[4], huge_sizes[4]));
	CU_ASSERT_EQUAL(errno, ENOMEM);
	CU_ASSERT(filled(p, have, 7));
	q = reallocarray(p, 100, 8);
	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	CU_ASSERT(filled(q, have, 7));
	p = q;
	/* realloc(p, 0): freed, NULL (glibc's behaviour) */
	CU_ASSERT_PTR_NULL(realloc(p, 0));

	p = realloc(NULL, 300);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	fill(p, 300, 1);
	/* shrinking a little stays in place */
	CU_ASSERT_PTR_EQUAL(realloc(p, 290), p);
	free(p);
}

static void test_huge_sizes(void)
{
	size_t i;
	void *p;

	for (i = 0; i < sizeof(huge_sizes) / sizeof(huge_sizes[0]); i++) {
		errno = 0;
		p = malloc(huge_sizes[i]);
		CU_ASSERT_PTR_NULL(p);
		CU_ASSERT_EQUAL(errno, ENOMEM);
		free(p);
		errno = 0;
		CU_ASSERT_PTR_NULL(memalign(1 << 22, huge_sizes[i]));
		CU_ASSERT_EQUAL(errno, ENOMEM);
	}
	errno = 0;
	CU_ASSERT_PTR_NULL(pvalloc(huge_sizes[0]));
	CU_ASSERT_EQUAL(errno, ENOMEM);
	/* the last two are above what the heap could ever hold: kmem said nothing */
}

static void test_large(void)
{
	static const size_t sizes[] = { 8 << 20, 64 << 20 };
	struct mallinfo2 before = mallinfo2(), during;
	size_t i;

	for (i = 0; i < 2; i++) {
		unsigned char *p = malloc(sizes[i]);

		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		CU_ASSERT(is_vmalloc_addr(p));
		CU_ASSERT(malloc_usable_size(p) >= sizes[i]);
		memset(p, 0x33, sizes[i]);
		CU_ASSERT(p[0] == 0x33 && p[sizes[i] / 2] == 0x33 && p[sizes[i] - 1] == 0x33);
		during = mallinfo2();
		CU_ASSERT(during.hblks >= before.hblks + 1);
		CU_ASSERT(during.hblkhd >= before.hblkhd + sizes[i]);
		free(p);
	}
	during = mallinfo2();
	CU_ASSERT(during.hblkhd <= before.hblkhd);
}

/* Memory glibc handed out (before kmem, or by name) goes back to glibc. */
static void test_glibc_pointers(void)
{
	char *p = __libc_malloc(100), *q;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT(!virt_addr_valid(p) && !is_vmalloc_addr(p));
	CU_ASSERT(malloc_usable_size(p) >= 100);
	strcpy(p, "from glibc");
	q = realloc(p, 100000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	CU_ASSERT_STRING_EQUAL(q, "from glibc");
	free(q);
	free(__libc_malloc(10));
	p = strdup("strdup calls malloc by its symbol");
	CU_ASSERT(virt_addr_valid(p));
	free(p);
}

static void test_statistics(void)
{
	struct mallinfo2 before, during, after;
	char *buf = NULL, *out = NULL;
	void *blocks[64];
	size_t len = 0, i;
	FILE *f;
	int fd, saved, trimmed;

	before = mallinfo2();
	CU_ASSERT(before.arena > 0);
	for (i = 0; i < 64; i++) {
		blocks[i] = malloc(64 << 10);
		CU_ASSERT_PTR_NOT_NULL_FATAL(blocks[i]);
		memset(blocks[i], 1, 64 << 10);
	}
	during = mallinfo2();
	if (during.uordblks < before.uordblks + (3 << 20)) {
		fprintf(stderr, "uordblks %zu -> %zu\n", before.uordblks, during.uordblks);
		CU_FAIL("uordblks did not grow by the 4 MiB allocated");
	}
	for (i = 0; i < 64; i++)
		free(blocks[i]);
	after = mallinfo2();
	CU_ASSERT(after.uordblks + (3 << 20) <= during.uordblks);
	CU_ASSERT(mallinfo().arena != 0);

	trimmed = malloc_trim(0);
	if (trimmed != 0 && trimmed != 1) {
		fprintf(stderr, "malloc_trim: %d\n", trimmed);
		CU_FAIL("malloc_trim() returns 0 or 1");
	}
	KT_ASSERT_EQ(mallopt(M_ARENA_MAX, 1), 1);
	KT_ASSERT_EQ(mallopt(M_MMAP_THRESHOLD, 1 << 20), 1);
	KT_ASSERT_EQ(mallopt(12345, 0), 0);

	f = open_memstream(&buf, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	KT_ASSERT_EQ(malloc_info(0, f), 0);
	fclose(f);
	CU_ASSERT(strncmp(buf, "<malloc version=\"kmem-1\">", 25) == 0);
	CU_ASSERT(strstr(buf, "<size from=") != NULL);
	CU_ASSERT(strstr(buf, "</malloc>\n") != NULL);
	free(buf);
	errno = 0;
	KT_ASSERT_EQ(malloc_info(1, stderr), -1);
	CU_ASSERT_EQUAL(errno, EINVAL);

	/* malloc_stats() writes to stderr */
	f = tmpfile();
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	dup2(fileno(f), STDERR_FILENO);
	malloc_stats();
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	fd = fileno(f);
	out = calloc(1, 4096);
	CU_ASSERT(pread(fd, out, 4095, 0) > 0);
	CU_ASSERT(strstr(out, "in use bytes") != NULL);
	free(out);
	fclose(f);
}

/* Threads allocate; the next thread checks and frees, round after round. */
#define THREADS		4
#define PER_THREAD	4000
#define ROUNDS		6

static void *thread_blocks[THREADS][PER_THREAD];
static size_t thread_sizes[THREADS][PER_THREAD];
static pthread_barrier_t thread_barrier;
static int thread_errors;

static void *cross_free_thread(void *arg)
{
	unsigned int me = (unsigned int)(uintptr_t)arg, peer = (me + 1) % THREADS;
	uint64_t rng = kt_seed() + me;
	unsigned int round, i;

	for (round = 0; round < ROUNDS; round++) {
		for (i = 0; i < PER_THREAD; i++) {
			uint64_t r = kt_rand(&rng);
			size_t size = r % 16 ? 1 + r % 2048 : 1 + r % (300 << 10);

			thread_sizes[me][i] = size;
			thread_blocks[me][i] = malloc(size);
			if (!thread_blocks[me][i]) {
				__atomic_add_fetch(&thread_errors, 1, __ATOMIC_RELAXED);
				continue;
			}
			memset(thread_blocks[me][i], (int)(me * 16 + i % 16), size);
		}
		pthread_barrier_wait(&thread_barrier);
		for (i = 0; i < PER_THREAD; i++) {
			unsigned char *p = thread_blocks[peer][i];
			size_t size = thread_sizes[peer][i];

			if (p && (p[0] != (unsigned char)(peer * 16 + i % 16) ||
				  p[size - 1] != (unsigned char)(peer * 16 + i % 16)))
				__atomic_add_fetch(&thread_errors, 1, __ATOMIC_RELAXED);
			free(p);
		}
		pthread_barrier_wait(&thread_barrier);
	}
	return NULL;
}

static void test_threads_cross_free(void)
{
	pthread_t t[THREADS];
	unsigned int i;

	thread_errors = 0;
	pthread_barrier_init(&thread_barrier, NULL, THREADS);
	for (i = 0; i < THREADS; i++)
		CU_ASSERT_FATAL(!pthread_create(&t[i], NULL, cross_free_thread,
						(void *)(uintptr_t)i));
	for (i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&thread_barrier);
	KT_ASSERT_EQ(thread_errors, 0);
}

/* Exit status of a child that must finish within 20 s. */
static int wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

#define FORK_OBJECTS	64

/*
 * The child sees the parent's objects as they were, and what it does to
 * them (writes, frees, new allocations in their place) stays its own.
 */
static void test_fork_copy(void)
{
	static const size_t sizes[] = { 16, 100, 1000, 8000, 64 << 10, 8 << 20 };
	unsigned char *obj[FORK_OBJECTS];
	size_t size[FORK_OBJECTS];
	unsigned int i;
	pid_t pid;
	int rc;

	for (i = 0; i < FORK_OBJECTS; i++) {
		size[i] = sizes[i % 6];
		obj[i] = malloc(size[i]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(obj[i]);
		fill(obj[i], size[i], (unsigned char)i);
	}
	fflush(NULL);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		unsigned char *fresh[FORK_OBJECTS];
		int bad = 0;

		alarm(20);
		for (i = 0; i < FORK_OBJECTS; i++) {
			if (!filled(obj[i], size[i], (unsigned char)i))
				bad |= 1;
			memset(obj[i], 0xcc, size[i]);
		}
		for (i = 0; i < FORK_OBJECTS; i++)
			free(obj[i]);
		for (i = 0; i < FORK_OBJECTS; i++) {
			fresh[i] = malloc(size[i]);
			if (!fresh[i]) {
				bad |= 2;
				continue;
			}
			memset(fresh[i], 0xdd, size[i]);
		}
		for (i = 0; i < FORK_OBJECTS; i++)
			free(fresh[i]);
		_exit(bad);
	}
	rc = wait_child(pid);
	KT_ASSERT_EQ(rc, 0);
	for (i = 0; i < FORK_OBJECTS; i++) {
		if (!filled(obj[i], size[i], (unsigned char)i)) {
			fprintf(stderr, "object %u (%zu bytes) changed by the child\n", i, size[i]);
			CU_FAIL("the child's writes reached the parent");
			break;
		}
	}
	for (i = 0; i < FORK_OBJECTS; i++)
		free(obj[i]);
}

#define FORKS		50
#define FORK_THREADS	3

static volatile bool forking;

static void *allocating_thread(void *arg)
{
	uint64_t rng = kt_seed() + (uintptr_t)arg;
	void *held[256] = { NULL };

	while (__atomic_load_n(&forking, __ATOMIC_RELAXED)) {
		unsigned int slot = kt_rand(&rng) % 256;
		uint64_t r = kt_rand(&rng);

		free(held[slot]);
		held[slot] = malloc(r % 8 ? 1 + r % 4096 : 1 + r % (200 << 10));
		if (held[slot])
			memset(held[slot], 1, 1);
	}
	for (unsigned int i = 0; i < 256; i++)
		free(held[i]);
	return NULL;
}

/* fork() while other threads are inside malloc() and free(): no child hangs. */
static void test_fork_while_threads_allocate(void)
{
	pthread_t t[FORK_THREADS];
	unsigned int i, failed = 0;

	alarm(240);	/* a parent stuck for good fails instead of stalling ctest */
	forking = true;
	for (i = 0; i < FORK_THREADS; i++)
		CU_ASSERT_FATAL(!pthread_create(&t[i], NULL, allocating_thread,
						(void *)(uintptr_t)i));
	for (i = 0; i < FORKS; i++) {
		pid_t pid;
		int rc;

		pid = fork();
		if (pid < 0) {
			failed++;
			continue;
		}
		if (pid == 0) {
			void *p[100];
			unsigned int j;

			alarm(10);	/* a child stuck on a lock dies of SIGALRM */
			for (j = 0; j < 100; j++) {
				p[j] = malloc(1 + j * 97);
				if (!p[j])
					_exit(2);
				memset(p[j], 2, 1 + j * 97);
			}
			for (j = 0; j < 100; j++)
				free(p[j]);
			_exit(0);
		}
		rc = wait_child(pid);
		if (rc) {
			fprintf(stderr, "fork %u: child ended with %d%s\n", i, rc,
				rc == 128 + SIGALRM ? " (stuck: killed by its alarm)" : "");
			failed++;
		}
	}
	__atomic_store_n(&forking, false, __ATOMIC_RELAXED);
	for (i = 0; i < FORK_THREADS; i++)
		pthread_join(t[i], NULL);
	alarm(0);
	KT_ASSERT_EQ(failed, 0);
}

static const struct kt_test malloc_tests[] = {
	KT_TEST(test_memory_is_kmem),
	KT_TEST(test_malloc_zero),
	KT_TEST(test_alignment_and_usable_size),
	KT_TEST(test_posix_memalign),
	KT_TEST(test_other_aligned),
	KT_TEST(test_calloc),
	KT_TEST(test_realloc),
	KT_TEST(test_huge_sizes),
	KT_TEST(test_large),
	KT_TEST(test_glibc_pointers),
	KT_TEST(test_statistics),
	KT_TEST(test_threads_cross_free),
	KT_TEST(test_fork_copy),
	KT_TEST(test_fork_while_threads_allocate),
	KT_END,
};

static const struct kt_suite malloc_suite = { "malloc", NULL, NULL, malloc_tests };

int main(int argc, char **argv)
{
	static const struct kt_suite *const suites[] = { &malloc_suite, NULL };

#ifndef KMEM_MALLOC_LINKED
	printf("SKIPPED: the malloc front end is not built (sanitizer build)\n");
	return 0;
#endif
	return kt_main(argc, argv, suites);
}
