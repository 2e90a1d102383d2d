/* SPDX-License-Identifier: MIT */
/*
 * The page allocator's API.  See <linux/gfp_types.h> for the flags and
 * <linux/mm.h> for moving between pages, addresses and frame numbers.
 */
#ifndef _LINUX_GFP_H
#define _LINUX_GFP_H

#include <linux/types.h>
#include <linux/gfp_types.h>
#include <linux/mmzone.h>
#include <linux/numa.h>
#include <linux/topology.h>
#include <linux/mm_types.h>
#include <kmem/kmem.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * gfp_zone - the highest zone an allocation with @flags may use.
 * Invalid combinations (two zone modifiers) answer ZONE_NORMAL here; the
 * allocator itself reports and refuses them.
 */
static inline enum zone_type gfp_zone(gfp_t flags)
{
	if (flags & __GFP_DMA)
		return ZONE_DMA;
	if (flags & __GFP_DMA32)
		return ZONE_DMA32;
	if (flags & __GFP_HIGHMEM)
		return ZONE_HIGHMEM;
	return ZONE_NORMAL;
}

/** gfpflags_allow_blocking - may an allocation with @gfp sleep? */
static inline bool gfpflags_allow_blocking(const gfp_t gfp)
{
	return !!(gfp & __GFP_DIRECT_RECLAIM);
}

/**
 * __alloc_pages - allocate 2^@order physically contiguous pages.
 * @gfp: GFP flags
 * @order: 0..MAX_PAGE_ORDER
 * @preferred_nid: node to try first; NUMA_NO_NODE for the caller's node
 *
 * Walks the zonelist of @preferred_nid from the highest zone @gfp allows
 * down, then the other nodes by distance (only this node with
 * __GFP_THISNODE).  Orders 0..3 come from this CPU's per-CPU lists.
 *
 * Context: any (see the flags for what may sleep).
 * Return: the first page, or NULL.  A failure is reported (rate-limited)
 * unless __GFP_NOWARN; an order above MAX_PAGE_ORDER always fails.
 */
KMEM_API struct page *__alloc_pages(gfp_t gfp, unsigned int order, int preferred_nid)
	__must_check;

/** alloc_pages - __alloc_pages() on the caller's node. */
KMEM_API struct page *alloc_pages(gfp_t gfp, unsigned int order) __must_check;

/**
 * alloc_pages_node - __alloc_pages() preferring node @nid.
 * @nid: node, or NUMA_NO_NODE for the caller's
 */
KMEM_API struct page *alloc_pages_node(int nid, gfp_t gfp, unsigned int order) __must_check;

#define alloc_page(gfp_mask)	alloc_pages(gfp_mask, 0)

/**
 * __get_free_pages - allocate pages and return their address.
 * Return: the address of the first page, or 0.  __GFP_HIGHMEM is masked
 * off, as in the kernel: the address must be usable without a mapping.
 */
KMEM_API unsigned long __get_free_pages(gfp_t gfp, unsigned int order) __must_check;
#define __get_free_page(gfp_mask)	__get_free_pages((gfp_mask), 0)

/** get_zeroed_page - one zeroed page's address, or 0. */
KMEM_API unsigned long get_zeroed_page(gfp_t gfp) __must_check;

/**
 * __free_pages - drop a reference to 2^@order pages from alloc_pages().
 * @page: the first page, as alloc_pages() returned it
 * @order: the order it was allocated with
 *
 * The block returns to the allocator when its last reference goes.  A page
 * kmem does not own, a page already free, or the wrong @order gets a
 * "BUG: Bad page state" report and changes nothing.
 * Context: any, including signal handlers.
 */
KMEM_API void __free_pages(struct page *page, unsigned int order);
#define __free_page(page)	__free_pages((page), 0)

/** free_pages - __free_pages() by address (0 is ignored). */
KMEM_API void free_pages(unsigned long addr, unsigned int order);
#define free_page(addr)		free_pages((addr), 0)

/**
 * alloc_pages_exact - @size bytes of physically contiguous zeroed-or-not
 * pages (per @gfp), the unused tail of the power-of-two block given back.
 * Return: the address, or NULL.
 */
KMEM_API void *alloc_pages_exact(size_t size, gfp_t gfp) __must_check;
/** free_pages_exact - free what alloc_pages_exact() returned. */
KMEM_API void free_pages_exact(void *virt, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* _LINUX_GFP_H */
