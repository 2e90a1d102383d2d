// SPDX-License-Identifier: MIT
#include <linux/gfp.h>
#include <linux/mm.h>
#include "kunit.h"

static int suite_init(void) { return kt_init("fake_numa=2,direct_mb=32,highmem_mb=8"); }
static int suite_exit(void) { kmem_exit(); return 0; }

static void test_smoke(void)
{
	struct page *p = alloc_pages(GFP_KERNEL, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	*(int *)page_address(p) = 1;
	__free_pages(p, 0);
}

static const struct kt_test tests[] = { KT_TEST(test_smoke), KT_END };
static const struct kt_suite suite = { "page_alloc", suite_init, suite_exit, tests };
static const struct kt_suite *const suites[] = { &suite, NULL };
int main(int argc, char **argv) { return kt_main(argc, argv, suites); }
