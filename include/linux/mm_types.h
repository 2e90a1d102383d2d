/* SPDX-License-Identifier: MIT */
#ifndef _LINUX_MM_TYPES_H
#define _LINUX_MM_TYPES_H

#include <linux/types.h>

/*
 * struct page - the descriptor of one 4 KiB page.  Opaque to users: reach
 * it through page_address(), page_to_pfn(), page_to_nid() and friends.
 */
struct page;

#endif /* _LINUX_MM_TYPES_H */
