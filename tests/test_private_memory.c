// SPDX-License-Identifier: MIT
/*
 * memory=private: the allocator and its objects are this process's own,
 * and fork() gives the child a copy of them, as it does of any heap.  The
 * child may free and change what its parent allocated, and allocate; the
 * parent sees none of it.  A fork while other threads allocate leaves no
 * lock held in the child.  Memory still grows and goes back.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <kmem/kmem.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "kunit.h"

#define NR_OBJS		512

/*
 * GCC 12's ASan takes no lock of its allocator across fork(), and under the
 * sanitizers vmalloc's bookkeeping comes from that allocator: a thread in
 * vmalloc() at the fork can leave the child the runtime's lock held.  The
 * threads that race the forks then use kmalloc only.
 */
#if defined(__SANITIZE_ADDRESS__) && __GNUC__ < 13
#define ASAN_FORK_UNSAFE	1
#else
#define ASAN_FORK_UNSAFE	0
#endif

static int suite_init(void)
{
	return kt_init("memory=private,max_mb=512,kswapd=on");
}

static int suite_exit(void)
{
	kmem_exit();
	return 0;
}

/* @fn in a child; true when it exited 0 within @timeout_s. */
static bool in_child(int (*fn)(void *), void *arg, int timeout_s)
{
	int status = 0;
	pid_t pid = fork();

	if (pid < 0)
		return false;
	if (pid == 0) {
		alarm((unsigned int)timeout_s);
		_exit(fn(arg));
	}
	if (waitpid(pid, &status, 0) != pid)
		return false;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "child: %s %d\n", WIFEXITED(status) ? "exit" : "signal",
			WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		return false;
	}
	return true;
}

static void test_no_memfd_mapped(void)
{
	char line[512];
	bool named = false, memfd = false;
	FILE *f = fopen("/proc/self/maps", "r");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	while (fgets(line, sizeof(line), f)) {
		memfd |= strstr(line, "/memfd:kmem") != NULL;
		named |= strstr(line, "[anon:kmem-shared]") != NULL;
	}
	fclose(f);
	CU_ASSERT_FALSE(memfd);
	if (!named)
		printf("(no anonymous mapping names in this kernel) ");
}

struct objects {
	unsigned char *obj[NR_OBJS];
	unsigned char *region;
	size_t region_size;
};

static int child_rewrites(void *arg)
{
	struct objects *o = arg;
	unsigned int i;

	for (i = 0; i < NR_OBJS; i++) {
		memset(o->obj[i], 0xee, 64 + i % 512);
		if (i % 2)
			kfree(o->obj[i]);
	}
	void *p;

	memset(o->region, 0xee, o->region_size);
	vfree(o->region);
	/* what the child allocates now may be what its parent still holds */
	for (i = 0; i < NR_OBJS; i++) {
		p = kmalloc(64 + i % 512, GFP_KERNEL);
		if (!p)
			return 2;
		memset(p, 0xdd, 64 + i % 512);
	}
	p = vmalloc(8 << 20);
	if (!p)
		return 3;
	memset(p, 0xdd, 8 << 20);
	return 0;
}

static void test_fork_copies_the_heap(void)
{
	static struct objects o;
	unsigned int i;
	bool same = true;

	for (i = 0; i < NR_OBJS; i++) {
		o.obj[i] = kmalloc(64 + i % 512, GFP_KERNEL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(o.obj[i]);
		memset(o.obj[i], (int)(i & 0x7f), 64 + i % 512);
	}
	o.region_size = 4 << 20;
	o.region = vmalloc(o.region_size);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o.region);
	memset(o.region, 0x5a, o.region_size);

	CU_ASSERT(in_child(child_rewrites, &o, 20));

	for (i = 0; i < NR_OBJS; i++)
		same &= kt_bytes_are(o.obj[i], 64 + i % 512, (unsigned char)(i & 0x7f));
	CU_ASSERT(same);
	CU_ASSERT(kt_bytes_are(o.region, o.region_size, 0x5a));
	/* and they are still the parent's to free and to allocate around */
	for (i = 0; i < NR_OBJS; i++)
		kfree(o.obj[i]);
	vfree(o.region);
	for (i = 0; i < NR_OBJS; i++) {
		o.obj[i] = kmalloc(64, GFP_KERNEL);
		CU_ASSERT_PTR_NOT_NULL(o.obj[i]);
	}
	for (i = 0; i < NR_OBJS; i++)
		kfree(o.obj[i]);
}

static volatile int stop_churn;

static void *churn(void *arg)
{
	uint64_t rng = (uintptr_t)arg;
	void *obj[64] = { 0 };

	while (!__atomic_load_n(&stop_churn, __ATOMIC_RELAXED)) {
		unsigned int i = (unsigned int)(kt_rand(&rng) % 64);
		uint64_t r = kt_rand(&rng);

		if (obj[i]) {
			if (is_vmalloc_addr(obj[i]))
				vfree(obj[i]);
			else
				kfree(obj[i]);
			obj[i] = NULL;
		} else if (r % 97 == 0 && !ASAN_FORK_UNSAFE) {
			obj[i] = vmalloc(1 << 20);
		} else if (r % 13 == 0) {
			obj[i] = kmalloc(16384 + r % 65536, GFP_KERNEL);
		} else {
			obj[i] = kmalloc(8 + r % 2048, GFP_KERNEL);
		}
		if (obj[i])
			memset(obj[i], 1, 8);
	}
	for (unsigned int i = 0; i < 64; i++) {
		if (obj[i] && is_vmalloc_addr(obj[i]))
			vfree(obj[i]);
		else
			kfree(obj[i]);
	}
	return NULL;
}

static int child_allocates(void *arg)
{
	void *p[128];
	unsigned int i;

	(void)arg;
	for (i = 0; i < 128; i++) {
		p[i] = i % 16 ? kmalloc(8 + i * 24, GFP_KERNEL) : vmalloc(256 << 10);
		if (!p[i])
			return 2;
		memset(p[i], 3, 8);
	}
	for (i = 0; i < 128; i++) {
		if (i % 16)
			kfree(p[i]);
		else
			vfree(p[i]);
	}
	if (kmem_memory_shrink() < 0)
		return 3;
	return 0;
}

/* Every lock was free in the child, whatever the other threads were doing. */
static void test_fork_while_threads_allocate(void)
{
	pthread_t t[3];
	unsigned int i, ok = 0;

	stop_churn = 0;
	for (i = 0; i < 3; i++)
		CU_ASSERT_FATAL(pthread_create(&t[i], NULL, churn, (void *)(uintptr_t)(i + 1)) == 0);
	for (i = 0; i < 60; i++)
		ok += in_child(child_allocates, NULL, 20);
	__atomic_store_n(&stop_churn, 1, __ATOMIC_RELAXED);
	for (i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	KT_ASSERT_EQ(ok, 60);
}

static int read_online(uint64_t *bytes)
{
	struct kmem_hotplug_stats st;
	int ret = kmem_get_hotplug_stats(0, &st);

	*bytes = st.online_bytes;
	return ret;
}

/* Growth onlines anonymous memory, and giving back discards it. */
static void test_grows_and_gives_back(void)
{
	enum { N = 48 << 10 };	/* 192 MiB of 4 KiB objects */
	static void *obj[N];
	uint64_t before, grown, after;
	unsigned int i;

	CU_ASSERT_FATAL(read_online(&before) == 0);
	for (i = 0; i < N; i++) {
		obj[i] = kmalloc(4096, GFP_KERNEL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(obj[i]);
		memset(obj[i], 0x11, 64);
	}
	CU_ASSERT_FATAL(read_online(&grown) == 0);
	CU_ASSERT(grown > before);
	for (i = 0; i < N; i++)
		kfree(obj[i]);
	kmem_cache_shrink_name(NULL);
	kmem_memory_shrink();
	CU_ASSERT_FATAL(read_online(&after) == 0);
	CU_ASSERT(after < grown);
}

static const struct kt_test tests[] = {
	KT_TEST(test_no_memfd_mapped),
	KT_TEST(test_fork_copies_the_heap),
	KT_TEST(test_fork_while_threads_allocate),
	KT_TEST(test_grows_and_gives_back),
	KT_END,
};

static const struct kt_suite suite = { "private_memory", suite_init, suite_exit, tests };
static const struct kt_suite *const suites[] = { &suite, NULL };
int main(int argc, char **argv) { return kt_main(argc, argv, suites); }
