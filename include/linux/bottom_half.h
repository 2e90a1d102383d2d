/* SPDX-License-Identifier: MIT */
/*
 * Bottom halves, as the kernel's <linux/bottom_half.h>.  kmem runs no
 * softirqs, so local_bh_disable() only counts (SOFTIRQ_DISABLE_OFFSET in
 * preempt_count(), as in the kernel): the thread is then in atomic context
 * for might_sleep() and the allocators, and in_softirq() is true.
 */
#ifndef _LINUX_BH_H
#define _LINUX_BH_H

#include <linux/compiler.h>
#include <linux/preempt.h>

/** local_bh_disable - bottom halves off (nests).  Context: any. */
static __always_inline void local_bh_disable(void)
{
	preempt_count_add(SOFTIRQ_DISABLE_OFFSET);
	barrier();
}

/** local_bh_enable - bottom halves back on. */
static __always_inline void local_bh_enable(void)
{
	barrier();
	preempt_count_sub(SOFTIRQ_DISABLE_OFFSET);
}

#define local_bh_enable_ip(ip)	local_bh_enable()

#endif /* _LINUX_BH_H */
