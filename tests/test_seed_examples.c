// SPDX-License-Identifier: MIT
/*
 * The seed documents' examples, written as kernel code is written, compiled
 * against kmem's linux/ headers and run: if the kernel idioms stop compiling
 * or behaving, this suite says so.
 */
#include <errno.h>
#include <string.h>

#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/cleanup.h>

#include "kunit.h"

#define BUF_SIZE 512

struct my_ctx {
	int id;
	char name[32];
};

struct my_state {
	long counters[8];
};

struct my_obj {
	struct list_node { void *next, *prev; } link;
	unsigned long key;
	char payload[40];
};

static struct kmem_cache *my_cache;

/* Pattern 1: early return on failure */
static int pattern_early_return(void)
{
	struct my_state *state = kzalloc(sizeof(*state), GFP_KERNEL);

	if (!state)
		return -ENOMEM;
	state->counters[3] = 42;
	kfree(state);
	return 0;
}

/* Pattern 2: goto cleanup on failure */
static int pattern_goto(void)
{
	int ret;
	struct my_ctx *ctx;
	u8 *buf;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx) {
		ret = -ENOMEM;
		goto err_ctx;
	}

	buf = kmalloc(BUF_SIZE, GFP_KERNEL);
	if (!buf) {
		ret = -ENOMEM;
		goto err_buf;
	}

	memset(buf, 0xab, BUF_SIZE);
	ctx->id = buf[7];
	ret = ctx->id == 0xab ? 0 : -EINVAL;
	kfree(buf);
err_buf:
	kfree(ctx);
err_ctx:
	return ret;
}

/* Pattern 3: kvmalloc for size-agnostic allocation */
static int pattern_kvmalloc(size_t user_provided_size)
{
	void *data = kvmalloc(user_provided_size, GFP_KERNEL);

	if (!data)
		return -ENOMEM;
	memset(data, 1, user_provided_size);
	kvfree(data);
	return 0;
}

/* Scope-based cleanup with __free(kfree) */
static struct my_ctx *pattern_free_attr(int id)
{
	struct my_ctx *ctx __free(kfree) = kzalloc(sizeof(*ctx), GFP_KERNEL);
	u8 *scratch __free(kfree) = kmalloc(BUF_SIZE, GFP_KERNEL);

	if (!ctx || !scratch)
		return NULL;
	ctx->id = id;
	return_ptr(ctx);
}

static void test_failure_patterns(void)
{
	struct my_ctx *ctx;

	KT_ASSERT_EQ(pattern_early_return(), 0);
	KT_ASSERT_EQ(pattern_goto(), 0);
	KT_ASSERT_EQ(pattern_kvmalloc(100), 0);
	KT_ASSERT_EQ(pattern_kvmalloc(8 << 20), 0);
	ctx = pattern_free_attr(7);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	KT_ASSERT_EQ(ctx->id, 7);
	kfree(ctx);
}

static void test_kmalloc_examples(void)
{
	/* Simple struct allocation */
	struct my_ctx *ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	u32 *buf;
	void *p;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	kfree(ctx);

	/* Array allocation with overflow protection */
	buf = kmalloc_array(128, sizeof(*buf), GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	kfree(buf);
	{
		/* opaque to the compiler, which would reject the constant overflow */
		volatile size_t huge = SIZE_MAX / 2;

		CU_ASSERT_PTR_NULL(kmalloc_array(huge, sizeof(*buf), GFP_KERNEL));
	}

	p = krealloc(NULL, 10, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	memcpy(p, "0123456789", 10);
	p = krealloc(p, 5000, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT(!memcmp(p, "0123456789", 10));
	kfree(p);

	/* the GFP combinations the seed names */
	p = kmalloc(64, GFP_ATOMIC);
	kfree(p);
	p = kmalloc(64, GFP_NOWAIT);
	kfree(p);
	p = kmalloc(64, GFP_DMA);
	kfree(p);
	p = kmalloc(64, GFP_KERNEL | __GFP_ZERO);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT(((char *)p)[63] == 0);
	kfree(p);
}

static void test_cache_example(void)
{
	struct my_obj *obj;

	my_cache = kmem_cache_create("my_obj_cache",
				     sizeof(struct my_obj),
				     0,		/* align */
				     SLAB_HWCACHE_ALIGN,
				     NULL);	/* ctor */
	CU_ASSERT_PTR_NOT_NULL_FATAL(my_cache);

	obj = kmem_cache_alloc(my_cache, GFP_KERNEL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(obj);
	obj->key = 1;
	kmem_cache_free(my_cache, obj);

	kmem_cache_destroy(my_cache);	/* all objects must be freed first */
}

static void test_page_examples(void)
{
	struct page *page = alloc_page(GFP_KERNEL);
	struct page *pages = alloc_pages(GFP_KERNEL, 2);
	unsigned long addr = __get_free_pages(GFP_KERNEL, 1);
	unsigned long page_addr = get_zeroed_page(GFP_KERNEL);
	void *vaddr;
	struct page *p;
	phys_addr_t phys;

	CU_ASSERT_PTR_NOT_NULL_FATAL(page);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pages);
	CU_ASSERT_FATAL(addr != 0);
	CU_ASSERT_FATAL(page_addr != 0);

	vaddr = page_address(page);
	p = virt_to_page(vaddr);
	CU_ASSERT_PTR_EQUAL(p, page);
	phys = page_to_phys(page);
	CU_ASSERT(phys != 0);
	CU_ASSERT(((unsigned char *)page_addr)[PAGE_SIZE - 1] == 0);

	__free_page(page);
	__free_pages(pages, 2);
	free_pages(addr, 1);
	free_page(page_addr);
}

static void test_vmalloc_example(void)
{
	size_t fw_size = 3 << 20;
	void *fw_buf = vmalloc(fw_size);

	CU_ASSERT_PTR_NOT_NULL_FATAL(fw_buf);
	memset(fw_buf, 0x7f, fw_size);
	vfree(fw_buf);

	fw_buf = vzalloc(fw_size);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fw_buf);
	CU_ASSERT(((char *)fw_buf)[fw_size - 1] == 0);
	vfree(fw_buf);
}

static int suite_init(void)
{
	return kt_init("fake_numa=2,direct_mb=32,highmem_mb=32");
}

static int suite_exit(void)
{
	kmem_exit();
	return 0;
}

static const struct kt_test tests[] = {
	KT_TEST(test_failure_patterns),
	KT_TEST(test_kmalloc_examples),
	KT_TEST(test_cache_example),
	KT_TEST(test_page_examples),
	KT_TEST(test_vmalloc_example),
	KT_END,
};
static const struct kt_suite suite = { "seed_examples", suite_init, suite_exit, tests };
static const struct kt_suite *const suites[] = { &suite, NULL };
int main(int argc, char **argv) { return kt_main(argc, argv, suites); }
