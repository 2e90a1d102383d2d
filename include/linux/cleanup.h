/* SPDX-License-Identifier: MIT */
/*
 * Scope-based cleanup, as the kernel's <linux/cleanup.h> offers it, built on
 * the compiler's cleanup attribute: a variable declared with __cleanup(fn)
 * has fn(&var) called whenever it goes out of scope, by any exit (return,
 * break, goto out of the block, falling off the end).
 *
 * Three layers, each built from the one before:
 *
 *   DEFINE_FREE(name, type, expr) / __free(name)
 *	A pointer that frees itself.  @expr sees the pointer as _T and must
 *	cope with NULL (and with ERR_PTR values when the pointer may hold
 *	one).  Ownership leaves the variable with no_free_ptr() or
 *	return_ptr(), which return the value and leave NULL behind:
 *
 *		struct foo *p __free(kfree) = kmalloc(sizeof(*p), GFP_KERNEL);
 *
 *		if (!p)
 *			return NULL;
 *		if (setup(p) < 0)
 *			return NULL;		(p is freed here)
 *		return_ptr(p);			(p is handed to the caller)
 *
 *   DEFINE_CLASS(name, type, exit, init, init_args...) / CLASS(name, var)(args)
 *	A value with a constructor and a destructor: CLASS(name, var)(args)
 *	declares var = init(args) and runs @exit (seeing the value as _T)
 *	when var goes out of scope.
 *
 *   DEFINE_GUARD(name, type, lock, unlock) / guard(name)(args),
 *   scoped_guard(name, args) { ... }
 *	A lock held to the end of the scope (guard) or of the statement that
 *	follows (scoped_guard).  DEFINE_GUARD_COND adds a try-lock variant
 *	whose scoped_guard body runs only when the lock was taken;
 *	scoped_cond_guard() runs a fail statement otherwise.
 *	DEFINE_LOCK_GUARD_0 and DEFINE_LOCK_GUARD_1 build guards whose state
 *	is a small struct (no lock pointer, or one plus extra fields), such as
 *	guard(rcu)() from <linux/rcupdate.h>.
 *
 * Rules, as in the kernel: declare a __free() or guard variable where it
 * is initialised, never with a later assignment; do not jump with goto
 * over such a declaration into its scope (the compiler refuses); and use
 * one cleanup style per function (STYLE rule 21).
 *
 * C and C++ both compile this header.  C++ code normally has its own RAII,
 * but the kernel idioms work there too (with g++ and clang++).
 */
#ifndef _LINUX_CLEANUP_H
#define _LINUX_CLEANUP_H

#include <errno.h>
#include <stdbool.h>
#include <linux/compiler.h>

/* Identifier pasting, with expansion of the arguments first. */
#ifndef __PASTE
#define ___PASTE(a, b)		a##b
#define __PASTE(a, b)		___PASTE(a, b)
#endif
/* A name no other expansion of the same macro in this file will repeat. */
#ifndef __UNIQUE_ID
#define __UNIQUE_ID(prefix)	__PASTE(__PASTE(__UNIQUE_ID_, prefix), __COUNTER__)
#endif

#ifdef __cplusplus
#define __cleanup_auto		auto
#else
#define __cleanup_auto		__auto_type
#endif

/* The type of member @member of @type. */
#ifndef typeof_member
#define typeof_member(type, member)	__typeof__(((type *)0)->member)
#endif

/* ------------------------------------------------------------------ */
/* DEFINE_FREE / __free / no_free_ptr                                  */
/* ------------------------------------------------------------------ */

/**
 * DEFINE_FREE - define a cleanup named @_name for pointers of type @_type.
 * @_name: the name __free() takes
 * @_type: the pointer type as @_free sees it (usually void * or the exact type)
 * @_free: statement run at scope exit, the pointer being _T; must do nothing
 *	for the values ownership transfer leaves behind (NULL)
 *
 * Defines static inline void __free_@_name(void *).  Any pointer type may be
 * declared __free(@_name): the cleanup reads the variable as @_type.
 */
#define DEFINE_FREE(_name, _type, _free)					\
	static inline void __free_##_name(void *__p)				\
	{									\
		_type _T = *(_type *)__p;					\
		_free;								\
	}

/**
 * __free - declare a variable freed by the DEFINE_FREE() cleanup @_name.
 * Example: struct foo *p __free(kfree) = kmalloc(sizeof(*p), GFP_KERNEL);
 */
#define __free(_name)	__cleanup(__free_##_name)

/*
 * Read @p, leave @nullvalue in it, and give the old value: the variable's
 * cleanup then sees nothing to release.
 */
#define __get_and_null(p, nullvalue)						\
	__extension__({								\
		__cleanup_auto __gan_ptr = &(p);				\
		__cleanup_auto __gan_val = *__gan_ptr;				\
		*__gan_ptr = (nullvalue);					\
		__gan_val;							\
	})

/* Makes ignoring no_free_ptr()'s value a compile-time warning. */
static inline __must_check const volatile void *__must_check_fn(const volatile void *val)
{
	return val;
}

/**
 * no_free_ptr - take ownership of a __free() pointer away from its scope.
 * @p: a variable declared with __free()
 *
 * Return: @p's value; @p is left NULL, so its cleanup does nothing.  The
 * result must be used (stored or returned), or the object would leak; to
 * hand the object over by other means (a function that consumed it), use
 * retain_and_null_ptr().
 */
#define no_free_ptr(p)								\
	((__typeof__(p))__must_check_fn((const volatile void *)__get_and_null(p, NULL)))

/** return_ptr - return a __free() pointer to the caller, who now owns it. */
#define return_ptr(p)	return no_free_ptr(p)

/**
 * retain_and_null_ptr - forget a __free() pointer whose object was handed
 * over by other means (for instance, stored by a function that succeeded).
 * @p: a variable declared with __free(); left NULL
 */
#define retain_and_null_ptr(p)	((void)__get_and_null(p, NULL))

/**
 * take_fd - take ownership of a file descriptor variable.
 * @fd: an int declared with a cleanup that closes it (e.g. __free(fd))
 * Return: the descriptor; @fd is left -EBADF.
 */
#define take_fd(fd)	__get_and_null(fd, -EBADF)

/** return_fd - return a file descriptor variable to the caller. */
#define return_fd(fd)	return take_fd(fd)

/* ------------------------------------------------------------------ */
/* DEFINE_CLASS / CLASS                                                */
/* ------------------------------------------------------------------ */

/**
 * DEFINE_CLASS - a type with a constructor and a destructor.
 * @_name: class name, for CLASS(@_name, var)
 * @_type: the type of the variables
 * @_exit: statement run at scope exit; the value is _T
 * @_init: expression giving the value, in terms of the constructor's arguments
 * @...: the constructor's parameter list (possibly empty)
 *
 * Defines class_@_name_t, class_@_name_constructor(...) and
 * class_@_name_destructor(class_@_name_t *).
 */
#define DEFINE_CLASS(_name, _type, _exit, _init, ...)				\
	typedef _type class_##_name##_t;					\
	static inline void class_##_name##_destructor(_type *__p)		\
	{									\
		_type _T = *__p;						\
		_exit;								\
	}									\
	static inline _type class_##_name##_constructor(__VA_ARGS__)		\
	{									\
		_type __t = _init;						\
		return __t;							\
	}

/**
 * EXTEND_CLASS - class @_name@ext: @_name's type and destructor, another
 * constructor (@_init over the parameters @...).
 */
#define EXTEND_CLASS(_name, ext, _init, ...)					\
	typedef class_##_name##_t class_##_name##ext##_t;			\
	static inline void class_##_name##ext##_destructor(class_##_name##_t *__p) \
	{									\
		class_##_name##_destructor(__p);				\
	}									\
	static inline class_##_name##_t class_##_name##ext##_constructor(__VA_ARGS__) \
	{									\
		class_##_name##_t __t = _init;					\
		return __t;							\
	}

/**
 * CLASS - declare @var of class @_name; the constructor's arguments follow
 * in parentheses: CLASS(fdget, f)(fd);
 */
#define CLASS(_name, var)							\
	class_##_name##_t var __cleanup(class_##_name##_destructor) =		\
		class_##_name##_constructor

/* ------------------------------------------------------------------ */
/* Guards                                                              */
/* ------------------------------------------------------------------ */

/*
 * class_<name>_is_conditional says whether a guard may fail to take its
 * lock (a try-lock variant); scoped_guard() then skips its body.  An enum,
 * so that it is a constant expression in C as well as C++.
 */
#define __DEFINE_CLASS_IS_CONDITIONAL(_name, _is_cond)				\
	enum { class_##_name##_is_conditional = (_is_cond) }

#define __guard_ptr(_name)	class_##_name##_lock_ptr
#define __is_cond_ptr(_name)	class_##_name##_is_conditional

/**
 * DEFINE_GUARD - a guard over a lock reached through a pointer.
 * @_name: guard name, for guard(@_name)(ptr) and scoped_guard(@_name, ptr)
 * @_type: the pointer type (e.g. pthread_mutex_t *)
 * @_lock: statement taking the lock _T
 * @_unlock: statement releasing the lock _T
 *
 * Example:
 *	DEFINE_GUARD(pthread_mutex, pthread_mutex_t *, pthread_mutex_lock(_T),
 *		     pthread_mutex_unlock(_T))
 *	...
 *	guard(pthread_mutex)(&lock);	(held to the end of the scope)
 */
#define DEFINE_GUARD(_name, _type, _lock, _unlock)				\
	__DEFINE_CLASS_IS_CONDITIONAL(_name, false);				\
	DEFINE_CLASS(_name, _type, if (_T) { _unlock; }, ({ _lock; _T; }), _type _T); \
	static inline void *class_##_name##_lock_ptr(class_##_name##_t *__p)	\
	{									\
		return (void *)(unsigned long)*__p;				\
	}

/**
 * DEFINE_GUARD_COND - a conditional variant @_name@_ext of guard @_name.
 * @_condlock: expression that tries to take the lock _T; true on success
 *
 * The guard holds NULL (and releases nothing) when @_condlock failed:
 *	DEFINE_GUARD_COND(pthread_mutex, _try, !pthread_mutex_trylock(_T))
 *	scoped_guard(pthread_mutex_try, &lock) { ...only when taken... }
 */
#define DEFINE_GUARD_COND(_name, _ext, _condlock)				\
	__DEFINE_CLASS_IS_CONDITIONAL(_name##_ext, true);			\
	EXTEND_CLASS(_name, _ext,						\
		     ({ class_##_name##_t __c = _T;				\
			if (_T && !(_condlock))					\
				__c = NULL;					\
			__c; }),						\
		     class_##_name##_t _T)					\
	static inline void *class_##_name##_ext##_lock_ptr(class_##_name##_t *__p) \
	{									\
		return class_##_name##_lock_ptr(__p);				\
	}

/**
 * guard - hold the lock of guard class @_name until the end of the scope.
 * The lock's arguments follow in parentheses: guard(rcu)(); guard(mutex)(&m);
 */
#define guard(_name)	__guard(_name, __UNIQUE_ID(guard))
/* CLASS(), marked used: clang would call a guard variable unused. */
#define __guard(_name, var)							\
	class_##_name##_t var __maybe_unused __cleanup(class_##_name##_destructor) = \
		class_##_name##_constructor

/*
 * One pass through the body: the for's step jumps to the label, which
 * breaks out.  break or continue inside the body therefore leaves the
 * scoped_guard (releasing the lock), not an enclosing loop -- as in the
 * kernel.  A conditional guard whose lock failed skips the body.
 */
#define __scoped_guard(_name, _var, _label, ...)				\
	for (CLASS(_name, _var)(__VA_ARGS__);					\
	     __guard_ptr(_name)(&_var) || !__is_cond_ptr(_name);		\
	     __extension__({ goto _label; }))					\
		if (0) {							\
_label:										\
			break;							\
		} else

/**
 * scoped_guard - run the next statement (or block) with the lock of guard
 * class @_name held; for a conditional guard, only if it was taken.
 * Example: scoped_guard(rcu) { p = rcu_dereference(gp); ... }
 */
#define scoped_guard(_name, ...)						\
	__scoped_guard(_name, __UNIQUE_ID(scope), __UNIQUE_ID(label), __VA_ARGS__)

#define __scoped_cond_guard(_name, _fail, _var, _label, ...)			\
	for (CLASS(_name, _var)(__VA_ARGS__); true; __extension__({ goto _label; })) \
		if (!__guard_ptr(_name)(&_var)) {				\
			BUILD_BUG_ON(!__is_cond_ptr(_name));			\
			_fail;							\
_label:										\
			break;							\
		} else

/**
 * scoped_cond_guard - like scoped_guard() for a conditional guard, running
 * the statement @_fail instead of the body when the lock was not taken.
 */
#define scoped_cond_guard(_name, _fail, ...)					\
	__scoped_cond_guard(_name, _fail, __UNIQUE_ID(scope), __UNIQUE_ID(label), __VA_ARGS__)

/*
 * Lock guards: the guard's state is a struct holding the lock pointer
 * (NULL: nothing to release) and any extra fields given in @...; @_lock
 * and @_unlock see the struct as _T.
 */
#define __DEFINE_UNLOCK_GUARD(_name, _type, _unlock, ...)			\
	typedef struct {							\
		_type *lock;							\
		__VA_ARGS__;							\
	} class_##_name##_t;							\
	static inline void class_##_name##_destructor(class_##_name##_t *_T)	\
	{									\
		if (_T->lock) {							\
			_unlock;						\
		}								\
	}									\
	static inline void *class_##_name##_lock_ptr(class_##_name##_t *_T)	\
	{									\
		return (void *)(unsigned long)_T->lock;				\
	}

#define __DEFINE_LOCK_GUARD_1(_name, _type, _lock)				\
	static inline class_##_name##_t class_##_name##_constructor(_type *__l)	\
	{									\
		class_##_name##_t __t = {};					\
		class_##_name##_t *_T = &__t;					\
		__t.lock = __l;							\
		_lock;								\
		return __t;							\
	}

#define __DEFINE_LOCK_GUARD_0(_name, _lock)					\
	static inline class_##_name##_t class_##_name##_constructor(void)	\
	{									\
		class_##_name##_t __t = {};					\
		class_##_name##_t *_T __maybe_unused = &__t;			\
		__t.lock = (void *)1;						\
		_lock;								\
		return __t;							\
	}

/**
 * DEFINE_LOCK_GUARD_1 - a guard over a lock of type @_type, taken by
 * @_lock and released by @_unlock (both see the guard as _T, the lock as
 * _T->lock); @... declares extra state fields.
 */
#define DEFINE_LOCK_GUARD_1(_name, _type, _lock, _unlock, ...)			\
	__DEFINE_CLASS_IS_CONDITIONAL(_name, false);				\
	__DEFINE_UNLOCK_GUARD(_name, _type, _unlock, __VA_ARGS__)		\
	__DEFINE_LOCK_GUARD_1(_name, _type, _lock)

/**
 * DEFINE_LOCK_GUARD_0 - a guard over a global state, such as the RCU read
 * side: guard(@_name)() runs @_lock, and @_unlock at scope exit.
 */
#define DEFINE_LOCK_GUARD_0(_name, _lock, _unlock, ...)			\
	__DEFINE_CLASS_IS_CONDITIONAL(_name, false);				\
	__DEFINE_UNLOCK_GUARD(_name, void, _unlock, __VA_ARGS__)		\
	__DEFINE_LOCK_GUARD_0(_name, _lock)

/**
 * DEFINE_LOCK_GUARD_1_COND - a conditional variant @_name@_ext of lock
 * guard @_name; @_condlock tries the lock (_T->lock) and is true on success.
 */
#define DEFINE_LOCK_GUARD_1_COND(_name, _ext, _condlock)			\
	__DEFINE_CLASS_IS_CONDITIONAL(_name##_ext, true);			\
	EXTEND_CLASS(_name, _ext,						\
		     ({ class_##_name##_t __ct = {}, *_T = &__ct;		\
			__ct.lock = __l;					\
			if (_T->lock && !(_condlock))				\
				_T->lock = NULL;				\
			__ct; }),						\
		     typeof_member(class_##_name##_t, lock) __l)		\
	static inline void *class_##_name##_ext##_lock_ptr(class_##_name##_t *_T) \
	{									\
		return class_##_name##_lock_ptr(_T);				\
	}

#endif /* _LINUX_CLEANUP_H */
