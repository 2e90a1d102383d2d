/* SPDX-License-Identifier: MIT */
/*
 * vmalloc: virtually contiguous memory from physically scattered pages.
 *
 * Each process has a vmalloc area (a reserved range, 64 GiB by default) in
 * which vmalloc() carves regions separated by guard pages.  The pages are
 * HIGHMEM pages of kmem's arena, taken from the buddy allocator and mapped
 * into the region on first touch through userfaultfd, a window of
 * neighbours at a time (fault_around_bytes, growing on sequential touches).
 * vmalloc() thus fails only for want of address space; a first touch that
 * finds no memory at all, after draining and waiting, gets SIGBUS.  Where
 * userfaultfd is unavailable (e.g. under Valgrind) every page is taken and
 * mapped in vmalloc(), which then returns NULL on a shortage.
 */
#ifndef _LINUX_VMALLOC_H
#define _LINUX_VMALLOC_H

#include <linux/types.h>
#include <linux/gfp.h>
#include <linux/mm_types.h>
#include <kmem/kmem.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * vmalloc - allocate @size bytes of virtually contiguous memory.
 * Context: may sleep.
 * Return: the address (page-aligned), or NULL.  The memory is not zeroed.
 */
KMEM_API void *vmalloc(unsigned long size) __alloc_size(1) __must_check;
/** vzalloc - vmalloc() zeroed. */
KMEM_API void *vzalloc(unsigned long size) __alloc_size(1) __must_check;
/** vmalloc_node - vmalloc() with pages preferably from node @node. */
KMEM_API void *vmalloc_node(unsigned long size, int node) __alloc_size(1) __must_check;
KMEM_API void *vzalloc_node(unsigned long size, int node) __alloc_size(1) __must_check;
/** vmalloc_array - @n elements of @size bytes; NULL if the product overflows. */
KMEM_API void *vmalloc_array(size_t n, size_t size) __alloc_size(1, 2) __must_check;
/** vcalloc - vmalloc_array() zeroed. */
KMEM_API void *vcalloc(size_t n, size_t size) __alloc_size(1, 2) __must_check;
/**
 * __vmalloc - vmalloc() with GFP flags (__GFP_ZERO, __GFP_NOWARN,
 * __GFP_NOFAIL, __GFP_THISNODE with __vmalloc_node...).
 */
KMEM_API void *__vmalloc(unsigned long size, gfp_t gfp_mask) __alloc_size(1) __must_check;
/**
 * __vmalloc_node - the general form: @align, a power of two (below a page:
 * a page), is where the region starts a multiple of; @node the preferred
 * node (NUMA_NO_NODE: this CPU's); @caller what vmallocinfo names.
 */
KMEM_API void *__vmalloc_node(unsigned long size, unsigned long align, gfp_t gfp_mask,
			      int node, const void *caller) __alloc_size(1) __must_check;
/**
 * vfree - release memory from vmalloc() (NULL is ignored): every page goes
 * back to the buddy allocator and the range is unmapped.  An address that
 * is not the start of a live region is reported and changes nothing.
 * Context: may sleep.
 */
KMEM_API void vfree(const void *addr);
/** vmalloc_to_page - the page backing vmalloc address @addr, NULL if none. */
KMEM_API struct page *vmalloc_to_page(const void *addr);
/** vmalloc_to_pfn - page_to_pfn(vmalloc_to_page(@addr)). */
KMEM_API unsigned long vmalloc_to_pfn(const void *addr);
/** is_vmalloc_addr - is @addr inside this process's vmalloc area? */
KMEM_API bool is_vmalloc_addr(const void *addr);
/** is_vmalloc_or_module_addr - kmem has no modules: is_vmalloc_addr(). */
KMEM_API bool is_vmalloc_or_module_addr(const void *addr);

struct vm_struct;
/**
 * find_vm_area - the region of this process's vmalloc area that contains
 * @addr (its guard page included), or NULL.  Valid until the region is
 * vfree()d.
 */
KMEM_API struct vm_struct *find_vm_area(const void *addr);
/** get_vm_area_size - the usable size of @area in bytes (its guard page excluded). */
KMEM_API size_t get_vm_area_size(const struct vm_struct *area);
/** vm_area_addr - where @area starts (the kernel's area->addr). */
KMEM_API void *vm_area_addr(const struct vm_struct *area);

#ifdef __cplusplus
}
#endif

#endif /* _LINUX_VMALLOC_H */
