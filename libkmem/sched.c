// SPDX-License-Identifier: MIT
/*
 * sched.c - atomic sections and might_sleep().
 */
#include "internal.h"

__thread unsigned int __kmem_preempt_count __attribute__((tls_model("initial-exec")));

gfp_t __kmem_might_alloc_atomic(gfp_t gfp, const void *caller)
{
	(void)caller;
	return gfp & ~__GFP_DIRECT_RECLAIM;
}
