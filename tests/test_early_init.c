// SPDX-License-Identifier: MIT
/*
 * kmem used before its own constructor ran: a library loaded before
 * libkmem (libnuma, hwloc), or a malloc front end, may allocate from its
 * constructor.  Here a constructor of higher priority than libkmem's
 * allocates first; kmem initialises itself from it, and must then run on
 * rseq with the right CPU numbers (it used to read them from the wrong
 * place and index the per-CPU lists with garbage).
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include <kmem/kmem.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "kunit.h"

static void *early_obj;
static struct page *early_page;

__attribute__((constructor(101))) static void allocate_before_kmem_constructor(void)
{
	early_obj = kmalloc(64, GFP_KERNEL);
	early_page = alloc_pages(GFP_KERNEL, 0);
}

struct churn {
	int cpu;
	unsigned long bad;
};

static void *churn(void *arg)
{
	struct churn *c = arg;
	void *obj[256];
	unsigned int round, i;

	kt_pin(c->cpu);
	for (round = 0; round < 200; round++) {
		for (i = 0; i < 256; i++) {
			obj[i] = kmalloc(32 + (i % 8) * 64, GFP_KERNEL);
			if (!obj[i]) {
				c->bad++;
				continue;
			}
			memset(obj[i], (int)i, 32);
		}
		for (i = 0; i < 256; i++)
			kfree(obj[i]);
		kfree(obj[round % 256] = kmalloc(16, GFP_KERNEL));
		__free_pages(alloc_pages(GFP_KERNEL, round % 3), round % 3);
	}
	return NULL;
}

static void test_allocated_in_a_constructor(void)
{
	struct kmem_info info;

	CU_ASSERT_PTR_NOT_NULL(early_obj);
	CU_ASSERT_PTR_NOT_NULL(early_page);
	CU_ASSERT_FATAL(kmem_get_info(&info) == 0);
	/* where glibc registered rseq, kmem uses it: the early start did not lose it */
	if (info.rseq)
		printf("(on rseq) ");
	kfree(early_obj);
	__free_pages(early_page, 0);
}

static void test_per_cpu_lists_after_early_init(void)
{
	int cpus[64], n = kt_cpus(cpus, 64), i;
	struct churn c[2];
	pthread_t t[2];

	for (i = 0; i < 2; i++) {
		c[i].cpu = cpus[i % (n > 0 ? n : 1)];
		c[i].bad = 0;
		CU_ASSERT_FATAL(pthread_create(&t[i], NULL, churn, &c[i]) == 0);
	}
	for (i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		KT_ASSERT_EQ(c[i].bad, 0);
	}
}

static const struct kt_test tests[] = {
	KT_TEST(test_allocated_in_a_constructor),
	KT_TEST(test_per_cpu_lists_after_early_init),
	KT_END,
};

static const struct kt_suite suite = { "early_init", NULL, NULL, tests };
static const struct kt_suite *const suites[] = { &suite, NULL };
int main(int argc, char **argv) { return kt_main(argc, argv, suites); }
