// SPDX-License-Identifier: MIT
/*
 * Valgrind's memcheck sees the malloc front end's heap.  This program has
 * libkmem-malloc.a linked in (its malloc is the program's own) and runs
 * itself under valgrind with --soname-synonyms=somalloc=nouserintercepts,
 * so that memcheck keeps its hands off that malloc and learns the heap from
 * kmem's annotations (libkmem/kasan.h), as it does for kmalloc:
 *
 *   --plant bugs    a use after free and an overflow past the slot of a
 *                   malloc() block, a use after free of a realloc()ed
 *                   one, a double free and a leak: memcheck reports each
 *                   in the function that made it
 *   --plant clean   malloc, calloc, realloc, posix_memalign, large blocks
 *                   and free used correctly: not one error
 *
 * (Preloaded, libkmem-malloc.so is replaced by memcheck's own malloc, as
 * every preloaded allocator is: this is the way memcheck checks a program
 * on kmem's heap.)  "SKIPPED:" without valgrind or where the front end is
 * not built (the sanitizer builds).
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "kunit.h"

#ifndef KMEM_VALGRIND
#define KMEM_VALGRIND 0
#endif

#define VG_EXIT	99

/* the bugs below are planted: the compiler must not refuse them */
#pragma GCC diagnostic ignored "-Wuse-after-free"
#pragma GCC diagnostic ignored "-Wfree-nonheap-object"

static volatile unsigned char sink;

/* The compiler must not see through the pointer (it would fold the bugs away). */
static void *launder(void *p)
{
	__asm__ volatile("" : "+r"(p));
	return p;
}

static __attribute__((noinline)) void vg_malloc_uaf(void)
{
	unsigned char *p = launder(malloc(200));

	p[0] = 1;
	free(p);
	sink = p[10];
}

static __attribute__((noinline)) void vg_malloc_overflow(void)
{
	unsigned char *p = launder(malloc(100));

	/* past its size class's slot (112): into the next object, or a red zone */
	sink = p[120];
	free(p);
}

static __attribute__((noinline)) void vg_realloc_uaf(void)
{
	unsigned char *p = launder(malloc(24)), *q;

	memset(p, 3, 24);
	q = launder(realloc(p, 4000));	/* another class: moved */
	sink = p[1];
	free(q);
}

static __attribute__((noinline)) void vg_double_free(void)
{
	void *p = launder(malloc(64));

	free(p);
	free(p);
	sink = 0;	/* not a tail call: this frame stays in the report's stack */
}

static __attribute__((noinline)) void vg_leak(void)
{
	void *p = launder(malloc(333));

	memset(p, 1, 333);
	p = NULL;
}

static void bugs(void)
{
	vg_malloc_uaf();
	vg_malloc_overflow();
	vg_realloc_uaf();
	vg_double_free();
	vg_leak();
}

static void clean(void)
{
	void *p[64], *a = NULL;
	unsigned int i, sum = 0;

	for (i = 0; i < 64; i++) {
		p[i] = malloc(8 + i * 40);
		memset(p[i], (int)i, 8 + i * 40);
	}
	for (i = 0; i < 64; i++) {
		p[i] = realloc(p[i], 16 + i * 80);
		sum += ((unsigned char *)p[i])[7];
	}
	for (i = 0; i < 64; i++)
		free(p[i]);
	p[0] = calloc(100, 10);
	for (i = 0; i < 1000; i++)
		sum += ((unsigned char *)p[0])[i];
	free(p[0]);
	if (!posix_memalign(&a, 4096, 10000)) {
		memset(a, 2, 10000);
		free(a);
	}
	p[0] = malloc(3 << 20);
	memset(p[0], 4, 3 << 20);
	sum += (unsigned int)malloc_usable_size(p[0]) >= (3u << 20);
	free(p[0]);
	printf("clean: sum %u\n", sum);
}

static char valgrind[4096];
static char out[1 << 18];

static bool find_valgrind(void)
{
	return kt_which("valgrind", valgrind, sizeof(valgrind));
}

static int run_under_valgrind(const char *what)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *argv[] = {
		valgrind, "--error-exitcode=99", "--leak-check=full",
		"--show-leak-kinds=definite", "--errors-for-leak-kinds=definite",
		"--soname-synonyms=somalloc=nouserintercepts", "--num-callers=30",
		exe, "--plant", (char *)what, NULL,
	};

	if (n <= 0)
		return -1;
	exe[n] = '\0';
	return kt_run(valgrind, argv, out, sizeof(out), 120);
}

static bool runnable(void)
{
	if (!KMEM_VALGRIND || !find_valgrind()) {
		printf("SKIPPED: no valgrind, or kmem built without its annotations ");
		return false;
	}
	return true;
}

static void test_memcheck_sees_heap_bugs(void)
{
	static const struct {
		const char *kind, *fn;
	} expected[] = {
		{ "Invalid read of size 1", "vg_malloc_uaf" },
		{ "Invalid read of size 1", "vg_malloc_overflow" },
		{ "Invalid read of size 1", "vg_realloc_uaf" },
		{ "Invalid free()", "vg_double_free" },
		{ "definitely lost in loss record", "vg_leak" },
	};
	int status;
	bool ok = true;
	unsigned int i;

	if (!runnable())
		return;
	status = run_under_valgrind("bugs");
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == VG_EXIT);
	for (i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
		if (!kt_valgrind_reported(out, expected[i].kind, expected[i].fn)) {
			fprintf(stderr, "\nmemcheck did not report \"%s\" in %s\n", expected[i].kind,
				expected[i].fn);
			ok = false;
		}
	}
	CU_ASSERT(ok);
	if (!ok)
		fprintf(stderr, "valgrind said (status %#x):\n%s\n", status, out);
}

static void test_memcheck_clean_heap(void)
{
	int status;
	bool ok;

	if (!runnable())
		return;
	status = run_under_valgrind("clean");
	ok = WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
	     strstr(out, "ERROR SUMMARY: 0 errors") && strstr(out, "clean: sum");
	CU_ASSERT(ok);
	if (!ok)
		fprintf(stderr, "\nvalgrind said (status %#x):\n%s\n", status, out);
}

static const struct kt_test tests[] = {
	KT_TEST(test_memcheck_sees_heap_bugs),
	KT_TEST(test_memcheck_clean_heap),
	KT_END,
};

static const struct kt_suite suite __attribute__((unused)) = { "malloc_valgrind", NULL, NULL,
								 tests };

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--plant")) {
		if (!strcmp(argv[2], "bugs"))
			bugs();
		else if (!strcmp(argv[2], "clean"))
			clean();
		else
			return 4;
		return 0;
	}
#if !defined(KMEM_MALLOC_LINKED)
	printf("SKIPPED: the malloc front end is not built here (sanitizer build)\n");
	return 0;
#else
	static const struct kt_suite *const suites[] = { &suite, NULL };

	return kt_main(argc, argv, suites);
#endif
}
