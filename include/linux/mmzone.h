/* SPDX-License-Identifier: MIT */
#ifndef _LINUX_MMZONE_H
#define _LINUX_MMZONE_H

/* Largest buddy order: blocks of 2^10 pages (4 MiB), as in the kernel. */
#define MAX_PAGE_ORDER		10
#define NR_PAGE_ORDERS		(MAX_PAGE_ORDER + 1)
#define MAX_ORDER_NR_PAGES	(1UL << MAX_PAGE_ORDER)
/* Orders above this are "costly": not kept on per-CPU lists, not retried hard. */
#define PAGE_ALLOC_COSTLY_ORDER	3

/* Node count limit, the kernel's CONFIG_NODES_SHIFT=6. */
#define MAX_NUMNODES		64

enum zone_type {
	ZONE_DMA,	/* below 16 MiB physical */
	ZONE_DMA32,	/* below 4 GiB physical */
	ZONE_NORMAL,	/* the rest of the direct map */
	ZONE_HIGHMEM,	/* the 4 KiB-granular pool that backs vmalloc */
	MAX_NR_ZONES
};

#endif /* _LINUX_MMZONE_H */
