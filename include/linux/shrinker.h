/* SPDX-License-Identifier: MIT */
/*
 * <linux/shrinker.h> - let reclaim ask your own caches for memory back.
 *
 * When an allocation that may sleep finds memory short, and when kswapd
 * balances a node, kmem asks every registered shrinker how many objects
 * it could free (count_objects) and then asks it to free some
 * (scan_objects), in batches, more the harder the pressure - the kernel's
 * do_shrink_slab().  Callbacks run in the thread doing the reclaim (the
 * allocating thread or kswapd), never inside a kmem lock; memory they
 * allocate is taken without recursing into reclaim.
 *
 *	static unsigned long my_count(struct shrinker *s, struct shrink_control *sc)
 *	{
 *		return READ_ONCE(nr_cached) ?: SHRINK_EMPTY;
 *	}
 *	static unsigned long my_scan(struct shrinker *s, struct shrink_control *sc)
 *	{
 *		return free_some_cached(sc->nr_to_scan);	// objects freed
 *	}
 *	struct shrinker *s = shrinker_alloc(0, "my-cache");
 *	s->count_objects = my_count;
 *	s->scan_objects = my_scan;
 *	shrinker_register(s);
 *	...
 *	shrinker_free(s);	// unregisters; no callback runs after it returns
 *
 * The older register_shrinker()/unregister_shrinker() on a struct you own
 * work too.  Shrinkers are per process: in attached mode each process's
 * shrinkers serve that process's reclaim.
 */
#ifndef _LINUX_SHRINKER_H
#define _LINUX_SHRINKER_H

#include <linux/compiler.h>
#include <linux/types.h>
#include <kmem/kmem.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What reclaim wants from one scan_objects() call. */
struct shrink_control {
	gfp_t gfp_mask;			/* the allocation that is reclaiming */
	int nid;			/* node under pressure (SHRINKER_NUMA_AWARE) */
	unsigned long nr_to_scan;	/* objects to look at */
	unsigned long nr_scanned;	/* objects looked at: set it if not nr_to_scan */
};

/* scan_objects(): cannot make progress now (e.g. a lock is contended). */
#define SHRINK_STOP		(~0UL)
/* count_objects(): nothing to free at all. */
#define SHRINK_EMPTY		(~0UL - 1)

#define DEFAULT_SEEKS		2	/* cost of re-creating an object */
#define SHRINK_BATCH		128	/* objects per scan_objects() by default */

#define SHRINKER_REGISTERED	(1u << 0)
#define SHRINKER_ALLOCATED	(1u << 1)
#define SHRINKER_NUMA_AWARE	(1u << 2)

struct shrinker {
	unsigned long (*count_objects)(struct shrinker *, struct shrink_control *sc);
	unsigned long (*scan_objects)(struct shrinker *, struct shrink_control *sc);
	long batch;			/* 0: SHRINK_BATCH */
	int seeks;			/* 0 means "free half at once"; default DEFAULT_SEEKS */
	unsigned int flags;
	void *private_data;

	/* kmem's own */
	struct shrinker *__next, *__prev;
	long __nr_deferred;		/* scan work carried over to the next call */
	unsigned long __calls;		/* scan_objects() calls, for kmemctl */
	char __name[32];
};

/**
 * shrinker_alloc - a new, unregistered shrinker with DEFAULT_SEEKS.
 * @flags: SHRINKER_NUMA_AWARE to be called once per node under pressure
 * @fmt: printf-style name (shown by kmemctl)
 * Return: the shrinker, or NULL without memory.
 */
KMEM_API struct shrinker *shrinker_alloc(unsigned int flags, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/** shrinker_register - start calling @shrinker's callbacks from reclaim. */
KMEM_API void shrinker_register(struct shrinker *shrinker);
/** shrinker_free - unregister (waiting for running callbacks) and free. */
KMEM_API void shrinker_free(struct shrinker *shrinker);

/** register_shrinker - register a shrinker you allocated yourself. Return: 0. */
KMEM_API int register_shrinker(struct shrinker *shrinker, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/** unregister_shrinker - stop calling it; no callback runs after this returns. */
KMEM_API void unregister_shrinker(struct shrinker *shrinker);

#ifdef __cplusplus
}
#endif

#endif /* _LINUX_SHRINKER_H */
