/* SPDX-License-Identifier: MIT */
/*
 * What malloc.c gives new.cc: the allocation paths behind the C++
 * operators, hidden inside libkmem-malloc so that the operators never go
 * back through the interposable malloc symbol.
 */
#ifndef _KMEM_MALLOC_H
#define _KMEM_MALLOC_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KMEM_MALLOC_HIDDEN	__attribute__((__visibility__("hidden")))
#define KMEM_MALLOC_EXPORT	__attribute__((__visibility__("default")))

/* malloc(), without touching errno's meaning for C++ callers. */
KMEM_MALLOC_HIDDEN void *kmem_malloc_alloc(size_t size);
/* aligned_alloc() without its checks: @align not a power of two is rounded up to one. */
KMEM_MALLOC_HIDDEN void *kmem_malloc_alloc_aligned(size_t align, size_t size);
KMEM_MALLOC_HIDDEN void kmem_malloc_free(void *p);

/* C23, not declared by glibc 2.36's <stdlib.h>. */
void free_sized(void *p, size_t size);
void free_aligned_sized(void *p, size_t align, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* _KMEM_MALLOC_H */
