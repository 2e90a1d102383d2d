// SPDX-License-Identifier: MIT
/*
 * mm_init.c - the memmap and the zones: which zone each page belongs to,
 * zone spans, and handing the first pages to the buddy allocator.
 *
 * A direct-map huge page belongs to ZONE_DMA / ZONE_DMA32 / ZONE_NORMAL by
 * its real physical address (below 16 MiB / below 4 GiB / above) when that
 * address is pinned and known: hugetlb memory whose frame numbers could be
 * read.  Without it (the shared-memory fallback, whose pages the kernel
 * may move; or no pagemap access) nothing says a page lies below 4 GiB, so
 * every direct-map page is Normal and DMA / DMA32 stay empty, as on a
 * machine without such memory.  Only zones=emulate puts node 0's first
 * zone_dma_bytes of its initial memory in DMA and the next zone_dma32_bytes
 * in DMA32, as labels for exercising zone logic, never as a claim about
 * addresses.  HIGHMEM pools are ZONE_HIGHMEM.  A zone can thus be a set of
 * scattered huge pages: spanned counts from its first to its last page,
 * present counts what it has, as in the kernel.  Sections that come online
 * later (memory_hotplug.c) are placed the same way.
 *
 * __kmem_memmap_init() and __kmem_zones_init() run once in kmem_init(),
 * single-threaded; the chunk helpers run under a node's hotplug_lock.
 */
#include <string.h>

#include "internal.h"

#define SZ_16M		(16ULL << 20)
#define SZ_4G		(4ULL << 30)

enum zone_type __kmem_direct_chunk_zone(unsigned int nid, u64 chunk_pfn)
{
	struct kmem_shared *shm = kmem_mm.shm;
	u64 off;

	if (shm->flags & KMEM_SHF_PHYS_REAL) {
		u64 phys = kmem_mm.hpage_phys[chunk_pfn >> HPAGE_PFN_SHIFT];

		if (!phys)	/* the shmem range: no frame number to go by */
			return ZONE_NORMAL;
		return phys < SZ_16M ? ZONE_DMA : phys < SZ_4G ? ZONE_DMA32 : ZONE_NORMAL;
	}
	if (nid != 0 || !shm->carve || chunk_pfn < shm->carve_start_pfn)
		return ZONE_NORMAL;
	off = chunk_pfn - shm->carve_start_pfn;
	if (off < shm->carve_dma_pages)
		return ZONE_DMA;
	if (off < shm->carve_dma_pages + shm->carve_dma32_pages)
		return ZONE_DMA32;
	return ZONE_NORMAL;
}

/*
 * Struct pages for [@pfn, +@nr), reserved: __kmem_online_chunk() counts
 * them in their zone and frees them.
 */
void __kmem_init_chunk(unsigned int nid, enum zone_type z, u64 pfn, u64 nr, u32 flags)
{
	u16 zone_id = (u16)(nid * MAX_NR_ZONES + z);
	u64 i;

	for (i = 0; i < nr; i++) {
		struct page *page = __pfn_to_page(pfn + i);

		memset(page, 0, sizeof(*page));
		page->flags = PG_reserved | flags;
		page->zone_id = zone_id;
		page->buddy.next = page->buddy.prev = PFN_NIL;
	}
}

void __kmem_memmap_init(const struct kmem_options *opts)
{
	unsigned int nid;

	(void)opts;
	for (nid = 0; nid < kmem_mm.nr_nodes; nid++) {
		struct pglist_data *pgdat = NODE_DATA((int)nid);

		__kmem_init_chunk(nid, ZONE_HIGHMEM, pgdat->highmem_start_pfn,
				  pgdat->highmem_pages, PG_highmem);
	}
}

/* The kernel's calculate_min_free_kbytes(): sqrt(lowmem_kbytes * 16), clamped. */
static u64 default_min_free_kbytes(void)
{
	u64 lowmem_kbytes = 0, v;
	unsigned int nid, z;

	for (nid = 0; nid < kmem_mm.nr_nodes; nid++)
		for (z = 0; z < ZONE_HIGHMEM; z++)
			lowmem_kbytes += NODE_DATA((int)nid)->node_zones[z].managed_pages <<
					 (PAGE_SHIFT - 10);
	v = 0;
	while ((v + 1) * (v + 1) <= lowmem_kbytes * 16)
		v++;
	return v < 128 ? 128 : v > 262144 ? 262144 : v;
}

void __kmem_zones_init(const struct kmem_options *opts)
{
	struct kmem_shared *shm = kmem_mm.shm;
	static const u32 default_ratio[MAX_NR_ZONES] = { 256, 256, 32, 0 };
	unsigned int z;

	unsigned int nid;

	for (nid = 0; nid < kmem_mm.nr_nodes; nid++) {
		struct pglist_data *pgdat = NODE_DATA((int)nid);

		if (pgdat->highmem_pages)
			__kmem_online_chunk(pgdat->highmem_start_pfn, pgdat->highmem_pages);
	}
	shm->tun.min_free_kbytes = opts->min_free_kbytes ?: default_min_free_kbytes();
	shm->tun.watermark_scale_factor = opts->watermark_scale_factor ?: 10;
	for (z = 0; z < MAX_NR_ZONES; z++)
		shm->tun.lowmem_reserve_ratio[z] = opts->lowmem_reserve_ratio[z] ?: default_ratio[z];
	shm->tun.percpu_pagelist_high_fraction = opts->percpu_pagelist_high_fraction;
	shm->tun.reclaim_timeout_ms = opts->reclaim_timeout_ms ?: 10000;
	shm->tun.kswapd = !opts->no_kswapd;

	__kmem_build_zonelists();
	__kmem_setup_per_zone_wmarks();
	__kmem_setup_per_zone_lowmem_reserve();
	__kmem_setup_pcp();
}
