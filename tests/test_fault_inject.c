// SPDX-License-Identifier: MIT
/*
 * failslab and fail_page_alloc: every knob of <kmem/fault.h> (probability,
 * interval, times, space, verbose and its rate limit, task-filter,
 * ignore-gfp-wait, cache-filter, ignore-gfp-highmem, min-order), fail-nth,
 * __GFP_NOFAIL and __GFP_NOWARN, the counters, the environment variables
 * and bad input, through kmalloc(), kmem_cache_alloc() and alloc_pages().
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <kmem/fault.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "internal.h"
#include "kunit.h"

#define OPTS	"fake_numa=2,direct_mb=32,highmem_mb=8,hugepages=never"

/* The three ways in: two through failslab, one through fail_page_alloc. */
enum kind { KMALLOC, CACHE, PAGES, NR_KINDS };
static const char *const kind_names[NR_KINDS] = { "kmalloc", "kmem_cache_alloc", "alloc_pages" };
static const enum kmem_fault_which kind_which[NR_KINDS] = { KMEM_FAILSLAB, KMEM_FAILSLAB,
							    KMEM_FAIL_PAGE_ALLOC };

#define CACHE_OBJ	100	/* object size of test_cache: what failslab's space is spent by */
#define KMALLOC_SIZE	64
#define PAGE_ORDER	1	/* fail_page_alloc spares order 0 by default (min-order 1) */

static struct kmem_cache *test_cache;

static void set(enum kmem_fault_which which, const char *attr, const char *value)
{
	int ret = kmem_fault_set(which, attr, value);

	if (ret)
		fprintf(stderr, "kmem_fault_set(%d, %s, %s) = %d\n", which, attr, value, ret);
	KT_ASSERT_EQ_FATAL(ret, 0);
}

static const char *get(enum kmem_fault_which which, const char *attr)
{
	static char buf[64];

	buf[0] = '\0';
	CU_ASSERT_EQUAL(kmem_fault_get(which, attr, buf, sizeof(buf)), 0);
	return buf;
}

/* Both injectors back to the kernel's defaults, this thread unmarked. */
static void fault_reset(void)
{
	enum kmem_fault_which w;

	for (w = KMEM_FAILSLAB; w <= KMEM_FAIL_PAGE_ALLOC; w++) {
		set(w, "probability", "0");
		set(w, "interval", "1");
		set(w, "times", "1");
		set(w, "space", "0");
		set(w, "verbose", "2");
		set(w, "verbose_ratelimit_interval_ms", "0");
		set(w, "verbose_ratelimit_burst", "10");
		set(w, "task-filter", "N");
		set(w, "ignore-gfp-wait", "Y");
	}
	set(KMEM_FAILSLAB, "cache-filter", "N");
	set(KMEM_FAIL_PAGE_ALLOC, "ignore-gfp-highmem", "Y");
	set(KMEM_FAIL_PAGE_ALLOC, "min-order", "1");
	kmem_fault_fail_nth(0);
	kmem_fault_make_it_fail(false);
	kt_capture_stop();
}

/* Fail every call that reaches @which's decision, silently. */
static void arm(enum kmem_fault_which which)
{
	set(which, "probability", "100");
	set(which, "times", "-1");
	set(which, "verbose", "0");
}

/* One allocation of @kind with @gfp, freed at once.  Return: it succeeded. */
static bool try_alloc(enum kind kind, gfp_t gfp)
{
	void *p;
	struct page *page;

	switch (kind) {
	case KMALLOC:
		p = kmalloc(KMALLOC_SIZE, gfp);
		kfree(p);
		return p != NULL;
	case CACHE:
		p = kmem_cache_alloc(test_cache, gfp);
		if (p)
			kmem_cache_free(test_cache, p);
		return p != NULL;
	case PAGES:
	default:
		page = alloc_pages(gfp, PAGE_ORDER);
		if (page)
			__free_pages(page, PAGE_ORDER);
		return page != NULL;
	}
}

/* How many of @n allocations failed. */
static unsigned int failures(enum kind kind, gfp_t gfp, unsigned int n)
{
	unsigned int i, failed = 0;

	for (i = 0; i < n; i++)
		failed += !try_alloc(kind, gfp);
	return failed;
}

static int fault_init(void)
{
	if (kt_init(OPTS))
		return -1;
	test_cache = kmem_cache_create("fault_test", CACHE_OBJ, 0, 0, NULL);
	return test_cache ? 0 : -1;
}

static int fault_exit(void)
{
	kt_capture_stop();
	kmem_cache_destroy(test_cache);
	test_cache = NULL;
	kmem_exit();
	return 0;
}

static u32 armed(void)
{
	return READ_ONCE(kmem_mm.shm->fault_armed);
}

/* ------------------------------------------------------------------ */
/* attributes                                                          */
/* ------------------------------------------------------------------ */

/* FAULT_ATTR_INITIALIZER and the two injectors' own defaults. */
static void test_defaults(void)
{
	static const char *const common[][2] = {
		{ "probability", "0" }, { "interval", "1" }, { "times", "1" }, { "space", "0" },
		{ "verbose", "2" }, { "verbose_ratelimit_interval_ms", "0" },
		{ "verbose_ratelimit_burst", "10" }, { "task-filter", "N" },
		{ "ignore-gfp-wait", "Y" },
	};
	enum kmem_fault_which w;
	unsigned int i;
	char buf[16];

	for (w = KMEM_FAILSLAB; w <= KMEM_FAIL_PAGE_ALLOC; w++)
		for (i = 0; i < sizeof(common) / sizeof(common[0]); i++)
			CU_ASSERT_STRING_EQUAL(get(w, common[i][0]), common[i][1]);
	CU_ASSERT_STRING_EQUAL(get(KMEM_FAILSLAB, "cache-filter"), "N");
	CU_ASSERT_STRING_EQUAL(get(KMEM_FAIL_PAGE_ALLOC, "ignore-gfp-highmem"), "Y");
	CU_ASSERT_STRING_EQUAL(get(KMEM_FAIL_PAGE_ALLOC, "min-order"), "1");
	/* each injector has only its own extras */
	CU_ASSERT_EQUAL(kmem_fault_get(KMEM_FAILSLAB, "min-order", buf, sizeof(buf)), -EINVAL);
	CU_ASSERT_EQUAL(kmem_fault_get(KMEM_FAILSLAB, "ignore-gfp-highmem", buf, sizeof(buf)),
			-EINVAL);
	CU_ASSERT_EQUAL(kmem_fault_get(KMEM_FAIL_PAGE_ALLOC, "cache-filter", buf, sizeof(buf)),
			-EINVAL);
	/* disarmed: the fast paths never call in */
	KT_ASSERT_EQ(armed(), 0);
	CU_ASSERT_EQUAL(kmem_fault_get_fail_nth(), 0);
}

static void test_set_get(void)
{
	set(KMEM_FAILSLAB, "interval", "0x10");
	CU_ASSERT_STRING_EQUAL(get(KMEM_FAILSLAB, "interval"), "16");
	set(KMEM_FAILSLAB, "space", "4096\n");		/* as echo writes it */
	CU_ASSERT_STRING_EQUAL(get(KMEM_FAILSLAB, "space"), "4096");
	set(KMEM_FAILSLAB, "times", "-1");
	CU_ASSERT_STRING_EQUAL(get(KMEM_FAILSLAB, "times"), "-1");
	set(KMEM_FAIL_PAGE_ALLOC, "task-filter", "y");
	CU_ASSERT_STRING_EQUAL(get(KMEM_FAIL_PAGE_ALLOC, "task-filter"), "Y");
	set(KMEM_FAIL_PAGE_ALLOC, "task-filter", "off");
	CU_ASSERT_STRING_EQUAL(get(KMEM_FAIL_PAGE_ALLOC, "task-filter"), "N");
	set(KMEM_FAIL_PAGE_ALLOC, "ignore-gfp-highmem", "0");
	CU_ASSERT_STRING_EQUAL(get(KMEM_FAIL_PAGE_ALLOC, "ignore-gfp-highmem"), "N");
	set(KMEM_FAIL_PAGE_ALLOC, "min-order", "10");
	CU_ASSERT_STRING_EQUAL(get(KMEM_FAIL_PAGE_ALLOC, "min-order"), "10");
	set(KMEM_FAIL_PAGE_ALLOC, "verbose_ratelimit_interval_ms", "5000");
	CU_ASSERT_STRING_EQUAL(get(KMEM_FAIL_PAGE_ALLOC, "verbose_ratelimit_interval_ms"), "5000");

	/* probability arms and disarms the fast paths, one bit per injector */
	set(KMEM_FAILSLAB, "probability", "1");
	KT_ASSERT_EQ(armed(), FAULT_ARMED_FAILSLAB);
	set(KMEM_FAIL_PAGE_ALLOC, "probability", "100");
	KT_ASSERT_EQ(armed(), FAULT_ARMED_FAILSLAB | FAULT_ARMED_PAGE_ALLOC);
	set(KMEM_FAILSLAB, "probability", "0");
	KT_ASSERT_EQ(armed(), FAULT_ARMED_PAGE_ALLOC);
	fault_reset();
	KT_ASSERT_EQ(armed(), 0);
}

static void test_set_bad_input(void)
{
	static const char *const bad[][2] = {
		{ "probability", "101" }, { "probability", "-1" }, { "probability", "abc" },
		{ "probability", "" }, { "probability", "5x" }, { "probability", " 5" },
		{ "probability", "+5" }, { "probability", "5\n\n" },
		{ "interval", "-1" }, { "interval", "99999999999999999999999" },
		{ "times", "-2" }, { "times", "2147483648" }, { "space", "-1" },
		{ "verbose", "3" }, { "task-filter", "maybe" }, { "task-filter", "" },
		{ "ignore-gfp-wait", "yes" }, { "verbose_ratelimit_burst", "4294967296" },
		{ "no-such-attribute", "1" }, { "Probability", "1" },
	};
	char buf[4];
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int ret = kmem_fault_set(KMEM_FAILSLAB, bad[i][0], bad[i][1]);

		if (ret != -EINVAL)
			fprintf(stderr, "%s=\"%s\": %d\n", bad[i][0], bad[i][1], ret);
		CU_ASSERT_EQUAL(ret, -EINVAL);
	}
	CU_ASSERT_EQUAL(kmem_fault_set(KMEM_FAILSLAB, "min-order", "2"), -EINVAL);
	CU_ASSERT_EQUAL(kmem_fault_set(KMEM_FAIL_PAGE_ALLOC, "cache-filter", "Y"), -EINVAL);
	CU_ASSERT_EQUAL(kmem_fault_set((enum kmem_fault_which)2, "probability", "1"), -EINVAL);
	CU_ASSERT_EQUAL(kmem_fault_set((enum kmem_fault_which)-1, "probability", "1"), -EINVAL);
	CU_ASSERT_EQUAL(kmem_fault_set(KMEM_FAILSLAB, NULL, "1"), -EINVAL);
	CU_ASSERT_EQUAL(kmem_fault_set(KMEM_FAILSLAB, "probability", NULL), -EINVAL);
	CU_ASSERT_EQUAL(kmem_fault_get(KMEM_FAILSLAB, "nope", buf, sizeof(buf)), -EINVAL);
	CU_ASSERT_EQUAL(kmem_fault_get(KMEM_FAILSLAB, "probability", NULL, 4), -EINVAL);
	/* too small for the value and its NUL */
	set(KMEM_FAILSLAB, "interval", "1000");
	CU_ASSERT_EQUAL(kmem_fault_get(KMEM_FAILSLAB, "interval", buf, sizeof(buf)), -ERANGE);
	CU_ASSERT_EQUAL(kmem_fault_get(KMEM_FAILSLAB, "interval", buf, 0), -ERANGE);
	/* nothing changed */
	CU_ASSERT_STRING_EQUAL(get(KMEM_FAILSLAB, "probability"), "0");
	CU_ASSERT_STRING_EQUAL(get(KMEM_FAILSLAB, "times"), "1");
	KT_ASSERT_EQ(armed(), 0);
	fault_reset();
}

/* ------------------------------------------------------------------ */
/* the decision                                                        */
/* ------------------------------------------------------------------ */

static void test_probability(void)
{
	enum kind k;
	unsigned int failed;

	for (k = 0; k < NR_KINDS; k++) {
		arm(kind_which[k]);
		KT_ASSERT_EQ(failures(k, GFP_ATOMIC, 50), 50);
		set(kind_which[k], "probability", "0");
		KT_ASSERT_EQ(failures(k, GFP_ATOMIC, 50), 0);
		/* some of each: 2000 draws at 50% are never all alike */
		set(kind_which[k], "probability", "50");
		failed = failures(k, GFP_ATOMIC, 2000);
		CU_ASSERT(failed > 500 && failed < 1500);
		if (!(failed > 500 && failed < 1500))
			fprintf(stderr, "%s: %u of 2000 failed at 50%%\n", kind_names[k], failed);
		fault_reset();
	}
}

/* interval N: only every Nth call that gets that far may fail. */
static void test_interval(void)
{
	enum kind k;
	unsigned int i, first = 0, failed;

	for (k = 0; k < NR_KINDS; k++) {
		arm(kind_which[k]);
		set(kind_which[k], "interval", "4");
		failed = 0;
		for (i = 0; i < 20; i++) {
			if (try_alloc(k, GFP_ATOMIC))
				continue;
			if (!failed++)
				first = i;
			else
				KT_ASSERT_EQ((i - first) % 4, 0);
		}
		KT_ASSERT_EQ(failed, 5);
		fault_reset();
	}
}

/* times: each failure uses one up; at 0 the injector stops; -1 never runs out. */
static void test_times(void)
{
	enum kind k;
	unsigned int i;

	for (k = 0; k < NR_KINDS; k++) {
		arm(kind_which[k]);
		set(kind_which[k], "times", "3");
		for (i = 0; i < 3; i++)
			CU_ASSERT(!try_alloc(k, GFP_ATOMIC));
		CU_ASSERT_STRING_EQUAL(get(kind_which[k], "times"), "0");
		KT_ASSERT_EQ(failures(k, GFP_ATOMIC, 10), 0);
		CU_ASSERT_STRING_EQUAL(get(kind_which[k], "times"), "0");
		set(kind_which[k], "times", "-1");
		KT_ASSERT_EQ(failures(k, GFP_ATOMIC, 10), 10);
		CU_ASSERT_STRING_EQUAL(get(kind_which[k], "times"), "-1");
		fault_reset();
	}
	/* the default, 1: one failure, then none */
	set(KMEM_FAILSLAB, "probability", "100");
	set(KMEM_FAILSLAB, "verbose", "0");
	KT_ASSERT_EQ(failures(CACHE, GFP_ATOMIC, 10), 1);
	fault_reset();
}

/*
 * space: while it exceeds the size asked for (bytes for failslab, pages
 * for fail_page_alloc), the call goes through and the size is spent.
 */
static void test_space(void)
{
	static const struct {
		enum kind kind;
		const char *space;
		unsigned int through;
		const char *left;
	} cases[] = {
		{ KMALLOC, "200", 3, "8" },	/* 200 -> 136 -> 72 -> 8, then 8 <= 64 */
		{ CACHE, "250", 2, "50" },	/* 250 -> 150 -> 50, then 50 <= 100 */
		{ PAGES, "5", 2, "1" },		/* 5 -> 3 -> 1 pages, then 1 <= 2 */
		{ CACHE, "100", 0, "100" },	/* not above the size: nothing spent */
	};
	unsigned int c, i;

	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		enum kmem_fault_which w = kind_which[cases[c].kind];

		arm(w);
		set(w, "space", cases[c].space);
		for (i = 0; i < cases[c].through; i++)
			CU_ASSERT(try_alloc(cases[c].kind, GFP_ATOMIC));
		CU_ASSERT(!try_alloc(cases[c].kind, GFP_ATOMIC));
		CU_ASSERT_STRING_EQUAL(get(w, "space"), cases[c].left);
		CU_ASSERT(!try_alloc(cases[c].kind, GFP_ATOMIC));
		fault_reset();
	}
}

/* ignore-gfp-wait (default Y) spares callers that may sleep: GFP_KERNEL. */
static void test_ignore_gfp_wait(void)
{
	enum kind k;

	for (k = 0; k < NR_KINDS; k++) {
		arm(kind_which[k]);
		KT_ASSERT_EQ(failures(k, GFP_KERNEL, 10), 0);
		KT_ASSERT_EQ(failures(k, GFP_KERNEL | __GFP_ZERO, 10), 0);
		KT_ASSERT_EQ(failures(k, GFP_ATOMIC, 10), 10);
		KT_ASSERT_EQ(failures(k, GFP_NOWAIT, 10), 10);
		KT_ASSERT_EQ(failures(k, GFP_KERNEL & ~__GFP_DIRECT_RECLAIM, 10), 10);
		set(kind_which[k], "ignore-gfp-wait", "N");
		KT_ASSERT_EQ(failures(k, GFP_KERNEL, 10), 10);
		fault_reset();
	}
}

/* fail_page_alloc's ignore-gfp-highmem (default Y) spares __GFP_HIGHMEM. */
static void test_ignore_gfp_highmem(void)
{
	arm(KMEM_FAIL_PAGE_ALLOC);
	KT_ASSERT_EQ(failures(PAGES, GFP_ATOMIC | __GFP_HIGHMEM, 10), 0);
	KT_ASSERT_EQ(failures(PAGES, GFP_ATOMIC, 10), 10);
	set(KMEM_FAIL_PAGE_ALLOC, "ignore-gfp-highmem", "N");
	KT_ASSERT_EQ(failures(PAGES, GFP_ATOMIC | __GFP_HIGHMEM, 10), 10);
	fault_reset();
}

/* fail_page_alloc's min-order (default 1) spares smaller orders. */
static void test_min_order(void)
{
	struct page *p;
	unsigned int order;

	arm(KMEM_FAIL_PAGE_ALLOC);
	p = alloc_pages(GFP_ATOMIC, 0);
	CU_ASSERT_PTR_NOT_NULL(p);
	if (p)
		__free_pages(p, 0);
	CU_ASSERT_PTR_NULL(alloc_pages(GFP_ATOMIC, 1));
	set(KMEM_FAIL_PAGE_ALLOC, "min-order", "3");
	for (order = 0; order <= 4; order++) {
		p = alloc_pages(GFP_ATOMIC, order);
		CU_ASSERT(order < 3 ? p != NULL : p == NULL);
		if (p)
			__free_pages(p, order);
	}
	set(KMEM_FAIL_PAGE_ALLOC, "min-order", "0");
	CU_ASSERT_PTR_NULL(alloc_pages(GFP_ATOMIC, 0));
	/* single pages, so every user is hit: get_zeroed_page, order-0 kmalloc-large */
	CU_ASSERT_EQUAL(get_zeroed_page(GFP_ATOMIC), 0);
	fault_reset();
}

/* Which injector guards what: kmalloc above 8 KiB is pages, not slab. */
static void test_which_injector(void)
{
	void *p;

	arm(KMEM_FAILSLAB);
	CU_ASSERT_PTR_NULL(kmalloc(KMALLOC_SIZE, GFP_ATOMIC));
	p = kmalloc(16384, GFP_ATOMIC);
	CU_ASSERT_PTR_NOT_NULL(p);
	kfree(p);
	KT_ASSERT_EQ(failures(PAGES, GFP_ATOMIC, 5), 0);
	fault_reset();

	arm(KMEM_FAIL_PAGE_ALLOC);
	CU_ASSERT_PTR_NULL(kmalloc(16384, GFP_ATOMIC));
	KT_ASSERT_EQ(failures(KMALLOC, GFP_ATOMIC, 5), 0);
	KT_ASSERT_EQ(failures(CACHE, GFP_ATOMIC, 5), 0);
	fault_reset();
}

/* __GFP_NOFAIL is never failed, whatever is set. */
static void test_nofail(void)
{
	struct kmem_fault_stats before, after;
	enum kind k;

	CU_ASSERT_EQUAL_FATAL(kmem_fault_get_stats(&before), 0);
	for (k = 0; k < NR_KINDS; k++) {
		arm(kind_which[k]);
		set(kind_which[k], "ignore-gfp-wait", "N");
		KT_ASSERT_EQ(failures(k, GFP_ATOMIC | __GFP_NOFAIL, 10), 0);
		KT_ASSERT_EQ(failures(k, GFP_KERNEL | __GFP_NOFAIL, 10), 0);
		KT_ASSERT_EQ(failures(k, GFP_KERNEL, 3), 3);
		fault_reset();
	}
	CU_ASSERT_EQUAL_FATAL(kmem_fault_get_stats(&after), 0);
	KT_ASSERT_EQ(after.total - before.total, 3 * NR_KINDS);
}

struct filter_thread {
	enum kind kind;
	bool mark;
	pthread_barrier_t *barrier;
	unsigned int failed;
};

static void *filter_thread_fn(void *arg)
{
	struct filter_thread *t = arg;

	kmem_fault_make_it_fail(t->mark);
	pthread_barrier_wait(t->barrier);
	t->failed = failures(t->kind, GFP_ATOMIC, 50);
	return NULL;
}

/* task-filter: only threads marked make-it-fail, two running side by side. */
static void test_task_filter(void)
{
	pthread_barrier_t barrier;
	enum kind k;

	pthread_barrier_init(&barrier, NULL, 2);
	for (k = 0; k < NR_KINDS; k++) {
		struct filter_thread t[2] = {
			{ .kind = k, .mark = true, .barrier = &barrier },
			{ .kind = k, .mark = false, .barrier = &barrier },
		};
		pthread_t tid[2];
		int i;

		arm(kind_which[k]);
		set(kind_which[k], "task-filter", "Y");
		for (i = 0; i < 2; i++)
			CU_ASSERT_FATAL(pthread_create(&tid[i], NULL, filter_thread_fn, &t[i]) == 0);
		for (i = 0; i < 2; i++)
			pthread_join(tid[i], NULL);
		KT_ASSERT_EQ(t[0].failed, 50);
		KT_ASSERT_EQ(t[1].failed, 0);
		/* this thread is unmarked too, until it marks itself */
		KT_ASSERT_EQ(failures(k, GFP_ATOMIC, 10), 0);
		kmem_fault_make_it_fail(true);
		KT_ASSERT_EQ(failures(k, GFP_ATOMIC, 10), 10);
		/* without the filter the mark does not matter */
		kmem_fault_make_it_fail(false);
		set(kind_which[k], "task-filter", "N");
		KT_ASSERT_EQ(failures(k, GFP_ATOMIC, 10), 10);
		fault_reset();
	}
	pthread_barrier_destroy(&barrier);
}

/* cache-filter: only caches flagged SLAB_FAILSLAB. */
static void test_cache_filter(void)
{
	struct kmem_cache *a = kmem_cache_create("failslab_a", 48, 0, SLAB_FAILSLAB, NULL);
	struct kmem_cache *b = kmem_cache_create("failslab_b", 48, 0, 0, NULL);
	struct kmem_cache_stats st;
	void *p;

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT(kmem_cache_get_stats(a, &st) == 0 && (st.flags & SLAB_FAILSLAB));
	CU_ASSERT(kmem_cache_get_stats(b, &st) == 0 && !(st.flags & SLAB_FAILSLAB));
	arm(KMEM_FAILSLAB);
	set(KMEM_FAILSLAB, "cache-filter", "Y");
	CU_ASSERT_PTR_NULL(kmem_cache_alloc(a, GFP_ATOMIC));
	p = kmem_cache_alloc(b, GFP_ATOMIC);
	CU_ASSERT_PTR_NOT_NULL(p);
	kmem_cache_free(b, p);
	KT_ASSERT_EQ(failures(KMALLOC, GFP_ATOMIC, 5), 0);	/* kmalloc caches are not flagged */

	kmem_cache_set_failslab(b, true);
	CU_ASSERT(kmem_cache_get_stats(b, &st) == 0 && (st.flags & SLAB_FAILSLAB));
	CU_ASSERT_PTR_NULL(kmem_cache_alloc(b, GFP_ATOMIC));
	kmem_cache_set_failslab(b, false);
	p = kmem_cache_alloc(b, GFP_ATOMIC);
	CU_ASSERT_PTR_NOT_NULL(p);
	kmem_cache_free(b, p);
	kmem_cache_set_failslab(NULL, true);			/* ignored */

	/* without the filter, every cache */
	set(KMEM_FAILSLAB, "cache-filter", "N");
	CU_ASSERT_PTR_NULL(kmem_cache_alloc(a, GFP_ATOMIC));
	CU_ASSERT_PTR_NULL(kmem_cache_alloc(b, GFP_ATOMIC));
	fault_reset();
	kmem_cache_destroy(a);
	kmem_cache_destroy(b);
}

/* ------------------------------------------------------------------ */
/* the dump                                                            */
/* ------------------------------------------------------------------ */

/* lib/fault-inject.c's fail_dump(), showing times before this failure used one. */
static void test_dump_format(void)
{
	enum kind k;

	for (k = 0; k < NR_KINDS; k++) {
		const char *name = kind_which[k] == KMEM_FAILSLAB ? "failslab" : "fail_page_alloc";
		char expect[160];

		set(kind_which[k], "probability", "100");
		set(kind_which[k], "times", "2");
		set(kind_which[k], "space", "0");
		kt_capture_start();
		CU_ASSERT(!try_alloc(k, GFP_ATOMIC));
		snprintf(expect, sizeof(expect), "FAULT_INJECTION: forcing a failure.\n"
			 "name %s, interval 1, probability 100, space 0, times 2\n", name);
		CU_ASSERT(!strncmp(kt_captured_text(), expect, strlen(expect)));
		if (strncmp(kt_captured_text(), expect, strlen(expect)))
			fprintf(stderr, "got:\n%s\nexpected:\n%s", kt_captured_text(), expect);
		/* verbose 2 (the default): and the stack */
		CU_ASSERT(kt_captured("\nCPU: "));
		CU_ASSERT(kt_captured("\nCall Trace:\n <TASK>\n"));
		KT_ASSERT_EQ(kt_captured_count(), 1);
		kt_capture_start();
		CU_ASSERT(!try_alloc(k, GFP_ATOMIC));
		snprintf(expect, sizeof(expect), "FAULT_INJECTION: forcing a failure.\n"
			 "name %s, interval 1, probability 100, space 0, times 1\n", name);
		CU_ASSERT(!strncmp(kt_captured_text(), expect, strlen(expect)));
		kt_capture_start();
		CU_ASSERT(try_alloc(k, GFP_ATOMIC));
		KT_ASSERT_EQ(kt_captured_count(), 0);
		fault_reset();
	}
}

/* verbose 0: nothing; 1: the two lines; 2: the lines and a stack. */
static void test_verbose(void)
{
	enum kind k;

	for (k = 0; k < NR_KINDS; k++) {
		arm(kind_which[k]);
		kt_capture_start();
		CU_ASSERT(!try_alloc(k, GFP_ATOMIC));
		KT_ASSERT_EQ(kt_captured_count(), 0);
		set(kind_which[k], "verbose", "1");
		kt_capture_start();
		CU_ASSERT(!try_alloc(k, GFP_ATOMIC));
		KT_ASSERT_EQ(kt_captured_count(), 1);
		CU_ASSERT(kt_captured("FAULT_INJECTION: forcing a failure.\n"));
		CU_ASSERT(!kt_captured("Call Trace"));
		set(kind_which[k], "verbose", "2");
		kt_capture_start();
		CU_ASSERT(!try_alloc(k, GFP_ATOMIC));
		KT_ASSERT_EQ(kt_captured_count(), 1);
		CU_ASSERT(kt_captured("Call Trace"));
		fault_reset();
	}
}

/* __GFP_NOWARN: the failure happens, the dump does not. */
static void test_nowarn(void)
{
	struct kmem_fault_stats before, after;
	enum kind k;

	CU_ASSERT_EQUAL_FATAL(kmem_fault_get_stats(&before), 0);
	for (k = 0; k < NR_KINDS; k++) {
		arm(kind_which[k]);
		set(kind_which[k], "verbose", "2");
		kt_capture_start();
		KT_ASSERT_EQ(failures(k, GFP_ATOMIC | __GFP_NOWARN, 5), 5);
		KT_ASSERT_EQ(failures(k, GFP_NOWAIT, 5), 5);	/* GFP_NOWAIT has __GFP_NOWARN */
		KT_ASSERT_EQ(kt_captured_count(), 0);
		fault_reset();
	}
	CU_ASSERT_EQUAL_FATAL(kmem_fault_get_stats(&after), 0);
	KT_ASSERT_EQ(after.total - before.total, 10 * NR_KINDS);
}

/* verbose_ratelimit_interval_ms / _burst bound the dumps, not the failures. */
static void test_verbose_ratelimit(void)
{
	arm(KMEM_FAILSLAB);
	set(KMEM_FAILSLAB, "verbose", "1");
	set(KMEM_FAILSLAB, "verbose_ratelimit_interval_ms", "600000");
	set(KMEM_FAILSLAB, "verbose_ratelimit_burst", "2");
	kt_capture_start();
	KT_ASSERT_EQ(failures(CACHE, GFP_ATOMIC, 6), 6);
	KT_ASSERT_EQ(kt_captured_count(), 2);
	set(KMEM_FAILSLAB, "verbose_ratelimit_burst", "0");
	kt_capture_start();
	KT_ASSERT_EQ(failures(CACHE, GFP_ATOMIC, 3), 3);
	KT_ASSERT_EQ(kt_captured_count(), 0);
	/* interval 0 (the default): never limited */
	set(KMEM_FAILSLAB, "verbose_ratelimit_interval_ms", "0");
	kt_capture_start();
	KT_ASSERT_EQ(failures(CACHE, GFP_ATOMIC, 12), 12);
	KT_ASSERT_EQ(kt_captured_count(), 12);
	fault_reset();
}

/* An injected failure prints the dump only, never the allocation failure report. */
static void test_no_failure_report(void)
{
	__kmem_warn_alloc_ratelimit_reset();
	arm(KMEM_FAILSLAB);
	arm(KMEM_FAIL_PAGE_ALLOC);
	set(KMEM_FAILSLAB, "verbose", "1");
	set(KMEM_FAIL_PAGE_ALLOC, "verbose", "1");
	set(KMEM_FAILSLAB, "ignore-gfp-wait", "N");
	set(KMEM_FAIL_PAGE_ALLOC, "ignore-gfp-wait", "N");
	kt_capture_start();
	CU_ASSERT(!try_alloc(KMALLOC, GFP_KERNEL));
	CU_ASSERT(!try_alloc(CACHE, GFP_ATOMIC));
	CU_ASSERT(!try_alloc(PAGES, GFP_KERNEL));
	CU_ASSERT_PTR_NULL(kmalloc(16384, GFP_KERNEL));
	KT_ASSERT_EQ(kt_captured_count(), 4);
	CU_ASSERT(kt_captured("FAULT_INJECTION: forcing a failure.\nname failslab,"));
	CU_ASSERT(kt_captured("FAULT_INJECTION: forcing a failure.\nname fail_page_alloc,"));
	CU_ASSERT(!kt_captured("page allocation failure"));
	CU_ASSERT(!kt_captured("SLUB: Unable to allocate"));
	fault_reset();
}

/* Failures are counted per injector, and in total. */
static void test_counters(void)
{
	struct kmem_fault_stats before, after;

	CU_ASSERT_EQUAL_FATAL(kmem_fault_get_stats(&before), 0);
	KT_ASSERT_EQ(before.total, before.failslab + before.fail_page_alloc);
	arm(KMEM_FAILSLAB);
	KT_ASSERT_EQ(failures(KMALLOC, GFP_ATOMIC, 7), 7);
	KT_ASSERT_EQ(failures(CACHE, GFP_ATOMIC, 4), 4);
	KT_ASSERT_EQ(failures(CACHE, GFP_KERNEL, 4), 0);	/* spared: not counted */
	fault_reset();
	arm(KMEM_FAIL_PAGE_ALLOC);
	KT_ASSERT_EQ(failures(PAGES, GFP_ATOMIC, 5), 5);
	fault_reset();
	CU_ASSERT_EQUAL_FATAL(kmem_fault_get_stats(&after), 0);
	KT_ASSERT_EQ(after.failslab - before.failslab, 11);
	KT_ASSERT_EQ(after.fail_page_alloc - before.fail_page_alloc, 5);
	KT_ASSERT_EQ(after.total - before.total, 16);
}

/* ------------------------------------------------------------------ */
/* fail-nth                                                            */
/* ------------------------------------------------------------------ */

static void *fail_nth_exit_fn(void *arg)
{
	(void)arg;
	kmem_fault_fail_nth(5);
	return NULL;
}

/* The nth call that reaches either injector's decision fails, probability 0 or not. */
static void test_fail_nth(void)
{
	struct kmem_fault_stats before, after;
	pthread_t tid;
	unsigned int i;

	/* warm the caches so that no slab page is needed below */
	KT_ASSERT_EQ(failures(KMALLOC, GFP_ATOMIC, 2) + failures(CACHE, GFP_ATOMIC, 2), 0);
	CU_ASSERT_EQUAL_FATAL(kmem_fault_get_stats(&before), 0);
	CU_ASSERT_EQUAL(kmem_fault_fail_nth(3), 0);
	KT_ASSERT_EQ(armed(), FAULT_ARMED_NTH_ONE);
	KT_ASSERT_EQ(kmem_fault_get_fail_nth(), 3);
	CU_ASSERT(try_alloc(KMALLOC, GFP_ATOMIC));
	KT_ASSERT_EQ(kmem_fault_get_fail_nth(), 2);
	/* spared by ignore-gfp-wait, or min-order: not counted */
	CU_ASSERT(try_alloc(CACHE, GFP_KERNEL));
	CU_ASSERT(try_alloc(PAGES, GFP_KERNEL));
	KT_ASSERT_EQ(kmem_fault_get_fail_nth(), 2);
	CU_ASSERT(try_alloc(CACHE, GFP_ATOMIC));
	KT_ASSERT_EQ(kmem_fault_get_fail_nth(), 1);
	/* the third, here on the other injector */
	kt_capture_start();
	CU_ASSERT(!try_alloc(PAGES, GFP_ATOMIC | __GFP_NOWARN));
	KT_ASSERT_EQ(kt_captured_count(), 0);
	kt_capture_stop();
	KT_ASSERT_EQ(kmem_fault_get_fail_nth(), 0);
	KT_ASSERT_EQ(armed(), 0);
	for (i = 0; i < 5; i++)
		CU_ASSERT(try_alloc(i % NR_KINDS, GFP_ATOMIC));
	CU_ASSERT_EQUAL_FATAL(kmem_fault_get_stats(&after), 0);
	KT_ASSERT_EQ(after.fail_page_alloc - before.fail_page_alloc, 1);
	KT_ASSERT_EQ(after.failslab - before.failslab, 0);

	/* 1: the very next one; __GFP_NOFAIL is never it */
	kmem_fault_fail_nth(1);
	CU_ASSERT(try_alloc(CACHE, GFP_ATOMIC | __GFP_NOFAIL));
	CU_ASSERT(!try_alloc(CACHE, GFP_ATOMIC | __GFP_NOWARN));

	/* cancelled */
	kmem_fault_fail_nth(2);
	kmem_fault_fail_nth(0);
	KT_ASSERT_EQ(armed(), 0);
	KT_ASSERT_EQ(failures(KMALLOC, GFP_ATOMIC, 5), 0);

	/* a thread that exits with one pending disarms the fast paths */
	CU_ASSERT_FATAL(pthread_create(&tid, NULL, fail_nth_exit_fn, NULL) == 0);
	pthread_join(tid, NULL);
	KT_ASSERT_EQ(armed(), 0);
	fault_reset();
}

static const struct kt_test fault_tests[] = {
	KT_TEST(test_defaults),
	KT_TEST(test_set_get),
	KT_TEST(test_set_bad_input),
	KT_TEST(test_probability),
	KT_TEST(test_interval),
	KT_TEST(test_times),
	KT_TEST(test_space),
	KT_TEST(test_ignore_gfp_wait),
	KT_TEST(test_ignore_gfp_highmem),
	KT_TEST(test_min_order),
	KT_TEST(test_which_injector),
	KT_TEST(test_nofail),
	KT_TEST(test_task_filter),
	KT_TEST(test_cache_filter),
	KT_TEST(test_dump_format),
	KT_TEST(test_verbose),
	KT_TEST(test_nowarn),
	KT_TEST(test_verbose_ratelimit),
	KT_TEST(test_no_failure_report),
	KT_TEST(test_counters),
	KT_TEST(test_fail_nth),
	KT_END,
};

/* ------------------------------------------------------------------ */
/* KMEM_FAILSLAB and KMEM_FAIL_PAGE_ALLOC                              */
/* ------------------------------------------------------------------ */

static int env_suite_init(void)
{
	return 0;
}

static int env_suite_exit(void)
{
	kt_capture_stop();
	unsetenv("KMEM_FAILSLAB");
	unsetenv("KMEM_FAIL_PAGE_ALLOC");
	return 0;
}

/* kmem_init() with the two variables as given (NULL: unset); capture its reports. */
static int env_init(const char *failslab, const char *fail_page_alloc)
{
	if (failslab)
		setenv("KMEM_FAILSLAB", failslab, 1);
	else
		unsetenv("KMEM_FAILSLAB");
	if (fail_page_alloc)
		setenv("KMEM_FAIL_PAGE_ALLOC", fail_page_alloc, 1);
	else
		unsetenv("KMEM_FAIL_PAGE_ALLOC");
	kt_capture_start();
	return kt_init(OPTS);
}

static void env_done(void)
{
	kt_capture_stop();
	kmem_exit();
}

/* "<interval>,<probability>,<space>,<times>", as failslab= on the kernel's command line. */
static void test_env_boot_syntax(void)
{
	CU_ASSERT_EQUAL_FATAL(env_init("3,25,100,7", NULL), 0);
	KT_ASSERT_EQ(kt_captured_count(), 0);
	CU_ASSERT_STRING_EQUAL(get(KMEM_FAILSLAB, "interval"), "3");
	CU_ASSERT_STRING_EQUAL(get(KMEM_FAILSLAB, "probability"), "25");
	CU_ASSERT_STRING_EQUAL(get(KMEM_FAILSLAB, "space"), "100");
	CU_ASSERT_STRING_EQUAL(get(KMEM_FAILSLAB, "times"), "7");
	CU_ASSERT_STRING_EQUAL(get(KMEM_FAILSLAB, "ignore-gfp-wait"), "Y");
	CU_ASSERT_STRING_EQUAL(get(KMEM_FAIL_PAGE_ALLOC, "probability"), "0");
	KT_ASSERT_EQ(armed(), FAULT_ARMED_FAILSLAB);
	env_done();
}

/* Attribute pairs after the four numbers; armed once kmem has started. */
static void test_env_attributes(void)
{
	struct page *p;

	CU_ASSERT_EQUAL_FATAL(env_init("1,100,0,-1,cache-filter=Y,verbose=0,task-filter=on",
				       "1,100,0,-1,min-order=0,ignore-gfp-wait=N,verbose=0"), 0);
	KT_ASSERT_EQ(kt_captured_count(), 0);
	CU_ASSERT_STRING_EQUAL(get(KMEM_FAILSLAB, "cache-filter"), "Y");
	CU_ASSERT_STRING_EQUAL(get(KMEM_FAILSLAB, "task-filter"), "Y");
	CU_ASSERT_STRING_EQUAL(get(KMEM_FAILSLAB, "verbose"), "0");
	CU_ASSERT_STRING_EQUAL(get(KMEM_FAIL_PAGE_ALLOC, "min-order"), "0");
	CU_ASSERT_STRING_EQUAL(get(KMEM_FAIL_PAGE_ALLOC, "ignore-gfp-wait"), "N");
	KT_ASSERT_EQ(armed(), FAULT_ARMED_FAILSLAB | FAULT_ARMED_PAGE_ALLOC);
	/* kmem started although every page allocation now fails */
	p = alloc_pages(GFP_KERNEL, 0);
	CU_ASSERT_PTR_NULL(p);
	if (p)
		__free_pages(p, 0);
	env_done();
}

/* A bad variable: one line naming it and what is wrong, and the defaults. */
static void test_env_bad(void)
{
	static const struct {
		const char *failslab, *fail_page_alloc, *message;
	} cases[] = {
		{ "1,2,3", NULL, "kmem: ignoring KMEM_FAILSLAB: expected <interval>,<probability>,"
				 "<space>,<times>\n" },
		{ "1,200,0,1", NULL, "kmem: ignoring KMEM_FAILSLAB: bad value '200' for "
				     "'probability'\n" },
		{ "x,10,0,1", NULL, "kmem: ignoring KMEM_FAILSLAB: bad value 'x' for 'interval'\n" },
		{ "1,10,0,-2", NULL, "kmem: ignoring KMEM_FAILSLAB: bad value '-2' for 'times'\n" },
		{ "1,10,-5,1", NULL, "kmem: ignoring KMEM_FAILSLAB: bad value '-5' for 'space'\n" },
		{ "1,10,0,1,bogus=1", NULL, "kmem: ignoring KMEM_FAILSLAB: unknown attribute "
					    "'bogus'\n" },
		{ "1,10,0,1,verbose", NULL, "kmem: ignoring KMEM_FAILSLAB: 'verbose': expected "
					    "attribute=value\n" },
		{ "1,10,0,1,min-order=2", NULL, "kmem: ignoring KMEM_FAILSLAB: unknown attribute "
						"'min-order'\n" },
		{ "1,10,0,1,verbose=9", NULL, "kmem: ignoring KMEM_FAILSLAB: bad value '9' for "
					      "'verbose'\n" },
		{ "1,10,probability=5,1", NULL, "kmem: ignoring KMEM_FAILSLAB: expected <interval>,"
						"<probability>,<space>,<times> before "
						"'probability=5'\n" },
		{ NULL, "1,10,0,1,cache-filter=Y", "kmem: ignoring KMEM_FAIL_PAGE_ALLOC: unknown "
						   "attribute 'cache-filter'\n" },
		{ NULL, "", "kmem: ignoring KMEM_FAIL_PAGE_ALLOC: expected <interval>,"
			    "<probability>,<space>,<times>\n" },
	};
	unsigned int c;

	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		CU_ASSERT_EQUAL_FATAL(env_init(cases[c].failslab, cases[c].fail_page_alloc), 0);
		KT_ASSERT_EQ(kt_captured_count(), 1);
		CU_ASSERT_STRING_EQUAL(kt_captured_text(), cases[c].message);
		CU_ASSERT_STRING_EQUAL(get(KMEM_FAILSLAB, "probability"), "0");
		CU_ASSERT_STRING_EQUAL(get(KMEM_FAILSLAB, "interval"), "1");
		CU_ASSERT_STRING_EQUAL(get(KMEM_FAILSLAB, "verbose"), "2");
		CU_ASSERT_STRING_EQUAL(get(KMEM_FAIL_PAGE_ALLOC, "probability"), "0");
		CU_ASSERT_STRING_EQUAL(get(KMEM_FAIL_PAGE_ALLOC, "min-order"), "1");
		KT_ASSERT_EQ(armed(), 0);
		env_done();
	}
	/* one bad, one good: the good one is applied */
	CU_ASSERT_EQUAL_FATAL(env_init("1,101,0,1", "2,30,0,5"), 0);
	KT_ASSERT_EQ(kt_captured_count(), 1);
	CU_ASSERT_STRING_EQUAL(get(KMEM_FAILSLAB, "probability"), "0");
	CU_ASSERT_STRING_EQUAL(get(KMEM_FAIL_PAGE_ALLOC, "probability"), "30");
	CU_ASSERT_STRING_EQUAL(get(KMEM_FAIL_PAGE_ALLOC, "interval"), "2");
	CU_ASSERT_STRING_EQUAL(get(KMEM_FAIL_PAGE_ALLOC, "times"), "5");
	env_done();
}

/* Each kmem_init() starts from the defaults and the environment again. */
static void test_env_reinit(void)
{
	CU_ASSERT_EQUAL_FATAL(env_init(NULL, NULL), 0);
	set(KMEM_FAILSLAB, "probability", "40");
	kmem_fault_fail_nth(4);
	env_done();
	CU_ASSERT_EQUAL_FATAL(env_init(NULL, NULL), 0);
	CU_ASSERT_STRING_EQUAL(get(KMEM_FAILSLAB, "probability"), "0");
	/* a fail-nth armed in the segment torn down is gone with it */
	KT_ASSERT_EQ(kmem_fault_get_fail_nth(), 0);
	KT_ASSERT_EQ(armed(), 0);
	kmem_fault_fail_nth(0);
	KT_ASSERT_EQ(armed(), 0);
	env_done();
}

static const struct kt_test env_tests[] = {
	KT_TEST(test_env_boot_syntax),
	KT_TEST(test_env_attributes),
	KT_TEST(test_env_bad),
	KT_TEST(test_env_reinit),
	KT_END,
};

static const struct kt_suite fault_suite = { "fault_inject", fault_init, fault_exit, fault_tests };
static const struct kt_suite env_suite = { "fault_env", env_suite_init, env_suite_exit, env_tests };
static const struct kt_suite *const suites[] = { &fault_suite, &env_suite, NULL };

int main(int argc, char **argv) { return kt_main(argc, argv, suites); }
