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
 *
 * The library needs no C++ runtime of its own: a C program preloading it
 * must not pay for loading libstdc++ (a millisecond and most of a megabyte
 * at every start).  Only a C++ program calls these operators, and its
 * libstdc++ is there: std::get_new_handler() and std::__throw_bad_alloc()
 * are taken from it as weak references, and this file is built without
 * exceptions.  So a new_handler that throws from a nothrow form is not
 * caught here (as in mimalloc's override): nothing is, and the program
 * terminates.
 */
#include <cstddef>
#include <cstdlib>
#include <new>

#include "kmem_malloc.h"

extern "C" {
/* libstdc++'s, by their mangled names; null without libstdc++ */
std::new_handler kmem_get_new_handler() noexcept __asm__("_ZSt15get_new_handlerv")
	__attribute__((__weak__));
[[noreturn]] void kmem_throw_bad_alloc() __asm__("_ZSt17__throw_bad_allocv")
	__attribute__((__weak__));
}

namespace {

/* Return: the block, or nullptr where a throwing form throws (@nothrow) */
[[gnu::noinline, gnu::cold]] void *new_retry(std::size_t size, std::size_t align, bool nothrow)
{
	for (;;) {
		void *p = align ? kmem_malloc_alloc_aligned(align, size) : kmem_malloc_alloc(size);

		if (p)
			return p;
		std::new_handler handler = kmem_get_new_handler ? kmem_get_new_handler() : nullptr;

		if (!handler) {
			if (nothrow)
				return nullptr;
			if (kmem_throw_bad_alloc)
				kmem_throw_bad_alloc();
			std::abort();	/* operator new without a C++ runtime: cannot happen */
		}
		handler();
	}
}

inline void *new_throwing(std::size_t size)
{
	void *p = kmem_malloc_alloc(size);

	if (__builtin_expect(p != nullptr, 1))
		return p;
	return new_retry(size, 0, false);
}

inline void *new_aligned_throwing(std::size_t size, std::align_val_t align)
{
	std::size_t a = static_cast<std::size_t>(align);
	void *p = kmem_malloc_alloc_aligned(a, size);

	if (__builtin_expect(p != nullptr, 1))
		return p;
	return new_retry(size, a, false);
}

inline void *new_nothrow(std::size_t size) noexcept
{
	void *p = kmem_malloc_alloc(size);

	if (__builtin_expect(p != nullptr, 1))
		return p;
	return new_retry(size, 0, true);
}

inline void *new_aligned_nothrow(std::size_t size, std::align_val_t align) noexcept
{
	std::size_t a = static_cast<std::size_t>(align);
	void *p = kmem_malloc_alloc_aligned(a, size);

	if (__builtin_expect(p != nullptr, 1))
		return p;
	return new_retry(size, a, true);
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
