/* SPDX-License-Identifier: MIT */
/*
 * Compiler helpers the kernel spreads over compiler_types.h, compiler.h and
 * compiler_attributes.h, gathered in one place.  Both C11 and C++ compile it.
 */
#ifndef _LINUX_COMPILER_H
#define _LINUX_COMPILER_H

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)

#ifndef __always_inline
#define __always_inline	inline __attribute__((__always_inline__))
#endif
#define noinline	__attribute__((__noinline__))
#define __cold		__attribute__((__cold__))
#define __hot		__attribute__((__hot__))
#define __pure		__attribute__((__pure__))
#define __must_check	__attribute__((__warn_unused_result__))
#define __malloc	__attribute__((__malloc__))
#define __printf(a, b)	__attribute__((__format__(printf, a, b)))
#define __aligned(x)	__attribute__((__aligned__(x)))
#define __packed	__attribute__((__packed__))
#define __maybe_unused	__attribute__((__unused__))
#define __used		__attribute__((__used__))
#define __weak		__attribute__((__weak__))
#define __noreturn	__attribute__((__noreturn__))
#define __alloc_size(...)	__attribute__((__alloc_size__(__VA_ARGS__)))
#define __cleanup(func)	__attribute__((__cleanup__(func)))
#define fallthrough	__attribute__((__fallthrough__))

/* Sparse annotations: meaningful to the kernel's checker only. */
#ifndef __force
#define __force
#endif
#ifndef __bitwise
#define __bitwise
#endif
#define __user
#define __iomem
#define __rcu

#define barrier()	__asm__ __volatile__("" : : : "memory")

/*
 * READ_ONCE/WRITE_ONCE as relaxed atomics: the same single mov the kernel's
 * volatile access emits, but ThreadSanitizer understands them.
 */
#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, val)	__atomic_store_n(&(x), (val), __ATOMIC_RELAXED)

#define __stringify_1(x)	#x
#define __stringify(x)		__stringify_1(x)

#ifndef __cplusplus
#define BUILD_BUG_ON(cond)	_Static_assert(!(cond), "BUILD_BUG_ON: " #cond)
#else
#define BUILD_BUG_ON(cond)	static_assert(!(cond), "BUILD_BUG_ON: " #cond)
#endif

#define __same_type(a, b)	__builtin_types_compatible_p(__typeof__(a), __typeof__(b))

#endif /* _LINUX_COMPILER_H */
