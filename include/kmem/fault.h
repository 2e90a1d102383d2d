/* SPDX-License-Identifier: MIT */
/*
 * Fault injection: the kernel's failslab and fail_page_alloc.
 *
 * Two injectors make allocations fail on purpose, so that the error paths
 * of the code that calls kmem get exercised:
 *
 *	KMEM_FAILSLAB		kmem_cache_alloc(), kmalloc() up to 8 KiB
 *	KMEM_FAIL_PAGE_ALLOC	alloc_pages() and everything built on it
 *				(large kmalloc, new slabs, vmalloc pages)
 *
 * Each is configured through the attributes the kernel shows under
 * /sys/kernel/debug/failslab/ and /sys/kernel/debug/fail_page_alloc/, by
 * the same names and with the same meaning; see docs/fault-injection.md.
 * The settings live in kmem's shared segment: a change is seen at once by
 * every thread, and by every process attached to the same memory.
 *
 * At start-up, KMEM_FAILSLAB and KMEM_FAIL_PAGE_ALLOC take the kernel's
 * boot-parameter syntax "<interval>,<probability>,<space>,<times>",
 * optionally followed by ",attribute=value" pairs.
 */
#ifndef _KMEM_FAULT_H
#define _KMEM_FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kmem/kmem.h>

#ifdef __cplusplus
extern "C" {
#endif

enum kmem_fault_which {
	KMEM_FAILSLAB,		/* /sys/kernel/debug/failslab */
	KMEM_FAIL_PAGE_ALLOC,	/* /sys/kernel/debug/fail_page_alloc */
};

/**
 * kmem_fault_set - set one attribute of an injector, as writing its
 * debugfs file does.
 * @which: the injector
 * @attr: "probability" (percent, 0..100), "interval" (fail one call in N),
 *	"times" (failures left, -1 for no limit), "space" (bytes, or pages for
 *	fail_page_alloc, let through before failing), "verbose" (0, 1, 2),
 *	"verbose_ratelimit_interval_ms", "verbose_ratelimit_burst",
 *	"task-filter", "ignore-gfp-wait"; failslab only: "cache-filter";
 *	fail_page_alloc only: "ignore-gfp-highmem", "min-order".  Booleans
 *	take Y/N, y/n, 1/0 or on/off.
 * @value: the value, as text
 * Context: any thread.  Takes effect at once for every process sharing
 *	kmem's memory.
 * Return: 0; -EINVAL for an unknown injector or attribute or a bad value;
 *	-ENOMEM if kmem could not be initialised.
 */
KMEM_API int kmem_fault_set(enum kmem_fault_which which, const char *attr, const char *value);

/**
 * kmem_fault_get - read one attribute, as reading its debugfs file does
 * (without the newline): numbers in decimal, booleans as "Y" or "N".
 * @which: the injector
 * @attr: an attribute name, as for kmem_fault_set()
 * @buf: where the text goes, NUL-terminated
 * @len: size of @buf
 * Return: 0; -EINVAL for an unknown injector or attribute; -ERANGE if @len
 *	is too small; -ENOMEM if kmem could not be initialised.
 */
KMEM_API int kmem_fault_get(enum kmem_fault_which which, const char *attr, char *buf,
			    size_t len);

/** struct kmem_fault_stats - failures injected since kmem_init(). */
struct kmem_fault_stats {
	uint64_t failslab;		/* by KMEM_FAILSLAB */
	uint64_t fail_page_alloc;	/* by KMEM_FAIL_PAGE_ALLOC */
	uint64_t total;			/* the sum of both */
};

/** kmem_fault_get_stats - read the failure counters. Return: 0 or -ENOMEM. */
KMEM_API int kmem_fault_get_stats(struct kmem_fault_stats *st);

/**
 * kmem_fault_make_it_fail - mark the calling thread for "task-filter",
 * like writing /proc/<tid>/make-it-fail.
 * @on: true to mark, false to unmark
 *
 * An injector whose task-filter is set fails only marked threads.  New
 * threads start unmarked; a fork()ed child keeps its parent thread's mark.
 */
KMEM_API void kmem_fault_make_it_fail(bool on);

/**
 * kmem_fault_fail_nth - fail the @nth next allocation of the calling thread
 * that reaches an injector's decision, like /proc/<tid>/fail-nth.
 * @nth: 1 for the very next one, 0 to cancel
 *
 * Counts calls that pass the injector's gfp, order and cache filters, on
 * either injector; the @nth one fails whatever the other attributes say.
 * Not inherited by new threads or fork()ed children.
 * Return: 0 or -ENOMEM.
 */
KMEM_API int kmem_fault_fail_nth(unsigned int nth);

/** kmem_fault_get_fail_nth - what is left of kmem_fault_fail_nth() (0: fired or unset). */
KMEM_API unsigned int kmem_fault_get_fail_nth(void);

struct kmem_cache;
/**
 * kmem_cache_set_failslab - mark @s for failslab's "cache-filter" (the
 * kernel's SLAB_FAILSLAB, which kmem_cache_create() also accepts).
 * @s: the cache
 * @on: true to mark, false to unmark
 *
 * While cache-filter is set, failslab fails only marked caches.
 */
KMEM_API void kmem_cache_set_failslab(struct kmem_cache *s, bool on);

#ifdef __cplusplus
}
#endif

#endif /* _KMEM_FAULT_H */
