// SPDX-License-Identifier: MIT
/*
 * fault_inject.c - failslab and fail_page_alloc.
 */
#include "internal.h"

bool __should_failslab(struct kmem_cache *s, gfp_t gfp)
{
	(void)s;
	(void)gfp;
	return false;
}

bool __should_fail_alloc_page(gfp_t gfp, unsigned int order)
{
	(void)gfp;
	(void)order;
	return false;
}
