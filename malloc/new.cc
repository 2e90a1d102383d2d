// SPDX-License-Identifier: MIT
/*
 * new.cc - C++'s replaceable allocation functions on malloc.c's paths:
 * every operator new and delete of C++17 (plain, array, nothrow, sized,
 * std::align_val_t).
 *
 * A failed operator new behaves as libstdc++'s: it calls the installed
 * new_handler and retries while there is one, then throws std::bad_alloc;
 * the nothrow forms return nullptr where that would throw.  Sized and
 * aligned deletes need neither the size nor the alignment: free() finds
 * the owner by address.
 */
#include <cstddef>
#include <new>

#include "kmem_malloc.h"

namespace {

[[gnu::noinline, gnu::cold]] void *new_retry(std::size_t size, std::size_t align)
{
	for (;;) {
		void *p = align ? kmem_malloc_alloc_aligned(align, size) : kmem_malloc_alloc(size);

		if (p)
			return p;
		std::new_handler handler = std::get_new_handler();

		if (!handler)
			throw std::bad_alloc();
		handler();
	}
}

inline void *new_throwing(std::size_t size)
{
	void *p = kmem_malloc_alloc(size);

	if (__builtin_expect(p != nullptr, 1))
		return p;
	return new_retry(size, 0);
}

inline void *new_aligned_throwing(std::size_t size, std::align_val_t align)
{
	std::size_t a = static_cast<std::size_t>(align);
	void *p = kmem_malloc_alloc_aligned(a, size);

	if (__builtin_expect(p != nullptr, 1))
		return p;
	return new_retry(size, a);
}

/* Where the throwing form would throw, nullptr (a handler may still throw: caught too). */
[[gnu::noinline, gnu::cold]] void *new_nothrow_retry(std::size_t size, std::size_t align) noexcept
{
	try {
		return new_retry(size, align);
	} catch (...) {
		return nullptr;
	}
}

inline void *new_nothrow(std::size_t size) noexcept
{
	void *p = kmem_malloc_alloc(size);

	if (__builtin_expect(p != nullptr, 1))
		return p;
	return new_nothrow_retry(size, 0);
}

inline void *new_aligned_nothrow(std::size_t size, std::align_val_t align) noexcept
{
	std::size_t a = static_cast<std::size_t>(align);
	void *p = kmem_malloc_alloc_aligned(a, size);

	if (__builtin_expect(p != nullptr, 1))
		return p;
	return new_nothrow_retry(size, a);
}

} // namespace

#define EXPORT KMEM_MALLOC_EXPORT

EXPORT void *operator new(std::size_t size)
{
	return new_throwing(size);
}

EXPORT void *operator new[](std::size_t size)
{
	return new_throwing(size);
}

EXPORT void *operator new(std::size_t size, const std::nothrow_t &) noexcept
{
	return new_nothrow(size);
}

EXPORT void *operator new[](std::size_t size, const std::nothrow_t &) noexcept
{
	return new_nothrow(size);
}

EXPORT void *operator new(std::size_t size, std::align_val_t align)
{
	return new_aligned_throwing(size, align);
}

EXPORT void *operator new[](std::size_t size, std::align_val_t align)
{
	return new_aligned_throwing(size, align);
}

EXPORT void *operator new(std::size_t size, std::align_val_t align, const std::nothrow_t &) noexcept
{
	return new_aligned_nothrow(size, align);
}

EXPORT void *operator new[](std::size_t size, std::align_val_t align,
			    const std::nothrow_t &) noexcept
{
	return new_aligned_nothrow(size, align);
}

EXPORT void operator delete(void *p) noexcept
{
	kmem_malloc_free(p);
}

EXPORT void operator delete[](void *p) noexcept
{
	kmem_malloc_free(p);
}

EXPORT void operator delete(void *p, const std::nothrow_t &) noexcept
{
	kmem_malloc_free(p);
}

EXPORT void operator delete[](void *p, const std::nothrow_t &) noexcept
{
	kmem_malloc_free(p);
}

EXPORT void operator delete(void *p, std::size_t) noexcept
{
	kmem_malloc_free(p);
}

EXPORT void operator delete[](void *p, std::size_t) noexcept
{
	kmem_malloc_free(p);
}

EXPORT void operator delete(void *p, std::align_val_t) noexcept
{
	kmem_malloc_free(p);
}

EXPORT void operator delete[](void *p, std::align_val_t) noexcept
{
	kmem_malloc_free(p);
}

EXPORT void operator delete(void *p, std::align_val_t, const std::nothrow_t &) noexcept
{
	kmem_malloc_free(p);
}

EXPORT void operator delete[](void *p, std::align_val_t, const std::nothrow_t &) noexcept
{
	kmem_malloc_free(p);
}

EXPORT void operator delete(void *p, std::size_t, std::align_val_t) noexcept
{
	kmem_malloc_free(p);
}

EXPORT void operator delete[](void *p, std::size_t, std::align_val_t) noexcept
{
	kmem_malloc_free(p);
}
