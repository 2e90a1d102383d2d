/* SPDX-License-Identifier: MIT */
/*
 * Pages, addresses and frame numbers.  Every conversion is O(1) arithmetic
 * on kmem's memmap (one struct page per 4 KiB page).
 */
#ifndef _LINUX_MM_H
#define _LINUX_MM_H

#include <linux/types.h>
#include <linux/gfp.h>
#include <linux/mm_types.h>
#include <kmem/kmem.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PAGE_SHIFT	12
#define PAGE_SIZE	(1UL << PAGE_SHIFT)
#define PAGE_MASK	(~(PAGE_SIZE - 1))

#define ALIGN(x, a)		(((x) + ((__typeof__(x))(a) - 1)) & ~((__typeof__(x))(a) - 1))
#define ALIGN_DOWN(x, a)	((x) & ~((__typeof__(x))(a) - 1))
#define PAGE_ALIGN(addr)	ALIGN(addr, PAGE_SIZE)
#define PAGE_ALIGNED(addr)	(((unsigned long)(addr) & (PAGE_SIZE - 1)) == 0)
#define offset_in_page(p)	((unsigned long)(p) & ~PAGE_MASK)

#define PFN_PHYS(x)	((phys_addr_t)(x) << PAGE_SHIFT)
#define PHYS_PFN(x)	((unsigned long)((x) >> PAGE_SHIFT))

/**
 * get_order - the smallest order whose block holds @size bytes.
 * @size: bytes; 0 gives an undefined answer in the kernel and 52 here.
 */
static inline int get_order(unsigned long size)
{
	if (size == 0)
		return 64 - PAGE_SHIFT;
	if (size <= PAGE_SIZE)
		return 0;
	return 64 - __builtin_clzl((size - 1) >> PAGE_SHIFT);
}

/**
 * page_address - the address of @page's memory (every kmem page is mapped,
 * HIGHMEM included, so this never returns NULL for a valid page).
 */
KMEM_API void *page_address(const struct page *page);
/**
 * virt_to_page - the page holding address @addr.
 * Return: NULL for an address outside kmem's memory.
 */
KMEM_API struct page *virt_to_page(const void *addr);
/** virt_addr_valid - does @addr lie in kmem's memory? */
KMEM_API bool virt_addr_valid(const void *addr);
/** page_to_pfn - kmem's frame number of @page: its index in the memmap. */
KMEM_API unsigned long page_to_pfn(const struct page *page);
/** pfn_to_page - the page of frame @pfn, NULL if there is none. */
KMEM_API struct page *pfn_to_page(unsigned long pfn);
/** pfn_valid - is @pfn a frame of kmem's memory? */
KMEM_API bool pfn_valid(unsigned long pfn);
/**
 * page_to_phys - the physical address of @page, or what stands for it.
 *
 * Two modes, named after DPDK's IOVA modes (kmem_get_info() says which):
 *
 * PA (phys_real): the direct map is hugetlb and the frame numbers could be
 * read from /proc/self/pagemap at initialisation (root).  A direct-map
 * page's value is its real physical address, stable for the life of the
 * allocator (hugetlb pages are never swapped or migrated), so it can be
 * given to a device, and the page's zone agrees with it.  HIGHMEM pages,
 * which are not pinned, give KMEM_PSEUDO_PHYS_BIT | (pfn << PAGE_SHIFT)
 * (bit 52 is above any x86-64 physical address: never taken for a real one).
 *
 * IOVA as VA (iova_va, everywhere else: the shared-memory fallback, or no
 * pagemap access): the value is page_address(@page), the page's virtual
 * address, which is the same in every attached process.  As in DPDK's
 * RTE_IOVA_VA mode it is what a device behind an IOMMU mapped with the
 * process's addresses would use; it says nothing about where the page is
 * in RAM (the kernel may move such pages), so no page is then in ZONE_DMA
 * or ZONE_DMA32 unless those zones are emulated (zones=emulate).
 */
KMEM_API phys_addr_t page_to_phys(const struct page *page);
#define KMEM_PSEUDO_PHYS_BIT	(1ULL << 52)
/** virt_to_phys - page_to_phys() of the page holding @addr plus the offset. */
KMEM_API phys_addr_t virt_to_phys(const void *addr);
/** page_to_nid - the node @page belongs to. */
KMEM_API int page_to_nid(const struct page *page);
/** page_zonenum - the zone (enum zone_type) @page belongs to. */
KMEM_API enum zone_type page_zonenum(const struct page *page);
/** page_count - the reference count of @page. */
KMEM_API int page_count(const struct page *page);
/** get_page - take a reference on an allocated page. */
KMEM_API void get_page(struct page *page);
/** put_page - drop a reference; the last one frees the block (with its order). */
KMEM_API void put_page(struct page *page);

#define page_to_virt(page)	page_address(page)
#define virt_to_pfn(addr)	page_to_pfn(virt_to_page(addr))
#define pfn_to_virt(pfn)	page_address(pfn_to_page(pfn))

#ifdef __cplusplus
}
#endif

/* kvmalloc() and friends live in slab.h, as in current kernels. */
#include <linux/slab.h>

#endif /* _LINUX_MM_H */
