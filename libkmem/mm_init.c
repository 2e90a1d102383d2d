// SPDX-License-Identifier: MIT
/*
 * mm_init.c - the memmap and the zones: which zone each page belongs to,
 * zone spans, and handing every page to the buddy allocator.
 *
 * A direct-map huge page belongs to ZONE_DMA / ZONE_DMA32 / ZONE_NORMAL by
 * its real physical address (below 16 MiB / below 4 GiB / above) when that
 * address is pinned and known: hugetlb memory whose frame numbers could be
 * read.  Without it (the shared-memory fallback, whose pages the kernel
 * may move; or no pagemap access) nothing says a page lies below 4 GiB, so
 * every direct-map page is Normal and DMA / DMA32 stay empty, as on a
 * machine without such memory.  Only zones=emulate puts node 0's first
 * zone_dma_bytes in DMA and the next zone_dma32_bytes in DMA32, as labels
 * for exercising zone logic, never as a claim about addresses.
 * HIGHMEM pools are ZONE_HIGHMEM.  A zone can thus be a set of scattered
 * huge pages: spanned counts from its first to its last page, present
 * counts what it has, as in the kernel.
 *
 * Runs once in kmem_init(), single-threaded.
 */
#include <string.h>

#include "internal.h"

#define SZ_16M		(16ULL << 20)
#define SZ_4G		(4ULL << 30)
#define CHUNK_PAGES	(1ULL << HPAGE_PFN_SHIFT)

static enum zone_type direct_chunk_zone(const struct kmem_options *opts, unsigned int nid,
					u64 chunk_pfn)
{
	struct kmem_shared *shm = kmem_mm.shm;
	u64 off;

	if (shm->flags & KMEM_SHF_PHYS_REAL) {
		u64 phys = kmem_mm.hpage_phys[chunk_pfn >> HPAGE_PFN_SHIFT];

		return phys < SZ_16M ? ZONE_DMA : phys < SZ_4G ? ZONE_DMA32 : ZONE_NORMAL;
	}
	if (!(shm->flags & KMEM_SHF_ZONES_EMULATED) || nid != 0)
		return ZONE_NORMAL;
	off = (chunk_pfn - shm->node_data[0].direct_start_pfn) << PAGE_SHIFT;
	if (off < opts->zone_dma_bytes)
		return ZONE_DMA;
	if (off < opts->zone_dma_bytes + opts->zone_dma32_bytes)
		return ZONE_DMA32;
	return ZONE_NORMAL;
}

static void init_chunk(unsigned int nid, enum zone_type z, u64 pfn, u64 nr, u32 flags)
{
	struct zone *zone = &NODE_DATA((int)nid)->node_zones[z];
	u16 zone_id = (u16)(nid * MAX_NR_ZONES + z);
	u64 i;

	for (i = 0; i < nr; i++) {
		struct page *page = __pfn_to_page(pfn + i);

		page->flags = PG_reserved | flags;
		page->zone_id = zone_id;
		page->buddy.next = page->buddy.prev = PFN_NIL;
	}
	if (!zone->present_pages || pfn < zone->zone_start_pfn) {
		u64 end = zone->present_pages ? zone->zone_start_pfn + zone->spanned_pages : pfn + nr;

		zone->zone_start_pfn = pfn;
		zone->spanned_pages = end - pfn;
	}
	if (pfn + nr > zone->zone_start_pfn + zone->spanned_pages)
		zone->spanned_pages = pfn + nr - zone->zone_start_pfn;
	zone->present_pages += nr;
	zone->managed_pages += nr;
}

void __kmem_memmap_init(const struct kmem_options *opts)
{
	unsigned int nid;
	u64 pfn;

	for (nid = 0; nid < kmem_mm.nr_nodes; nid++) {
		struct pglist_data *pgdat = NODE_DATA((int)nid);

		for (pfn = pgdat->direct_start_pfn;
		     pfn < pgdat->direct_start_pfn + pgdat->direct_pages; pfn += CHUNK_PAGES)
			init_chunk(nid, direct_chunk_zone(opts, nid, pfn), pfn, CHUNK_PAGES, 0);
		init_chunk(nid, ZONE_HIGHMEM, pgdat->highmem_start_pfn, pgdat->highmem_pages,
			   PG_highmem);
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

/* Hand every run of same-zone pages to the buddy lists. */
static void free_all_pages(void)
{
	u64 pfn = 0, start = 0;
	u16 zone_id = kmem_mm.memmap[0].zone_id;

	for (pfn = 1; pfn <= kmem_mm.total_pages; pfn++) {
		if (pfn < kmem_mm.total_pages && kmem_mm.memmap[pfn].zone_id == zone_id)
			continue;
		__kmem_free_range(start, pfn - start);
		if (pfn < kmem_mm.total_pages) {
			start = pfn;
			zone_id = kmem_mm.memmap[pfn].zone_id;
		}
	}
}

void __kmem_zones_init(const struct kmem_options *opts)
{
	struct kmem_shared *shm = kmem_mm.shm;
	static const u32 default_ratio[MAX_NR_ZONES] = { 256, 256, 32, 0 };
	unsigned int z;

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
	free_all_pages();
}
