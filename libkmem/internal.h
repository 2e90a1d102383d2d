/* SPDX-License-Identifier: MIT */
/*
 * Declarations shared between libkmem's files, grouped by the file that
 * defines them.  Nothing here is installed.
 */
#ifndef _KMEM_INTERNAL_H
#define _KMEM_INTERNAL_H

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <linux/compiler.h>
#include <linux/types.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <kmem/kmem.h>

#include "types.h"
#include "percpu.h"

#ifndef KMEM_DEBUG
#define KMEM_DEBUG 0
#endif

/* Always-on invariant: a violation means kmem itself is broken. */
#define KMEM_BUG_ON(cond)							\
	do {									\
		if (unlikely(cond))						\
			__kmem_bug(__FILE__, __LINE__, #cond);			\
	} while (0)
/* Debug-build invariant, free in release builds. */
#define KMEM_DEBUG_ON(cond)							\
	do {									\
		if (KMEM_DEBUG && unlikely(cond))				\
			__kmem_bug(__FILE__, __LINE__, #cond);			\
	} while (0)

/*
 * The process-local view of the shared segment.  Pointers here are this
 * process's mappings of shared memory; the shared memory itself holds none.
 */
struct kmem_mm {
	int ready;			/* set (release) once everything below is built */
	struct kmem_shared *shm;
	char *mem_base;			/* pfn 0 */
	struct page *memmap;
	u64 total_pages;
	u64 *hpage_phys;
	enum kmem_pcp_mode pcp_mode;
	u32 owner;			/* this process's client id (0: embedded) */
	bool valgrind;			/* running under memcheck (kasan.h) */
	/* mappings and fds, for kmem_exit() */
	size_t shm_size;
	size_t mem_size;
	int shm_fd;
	int node_fds[MAX_NUMNODES][2];	/* [direct, highmem] */
	struct kmem_options opts;
	u16 cpu_node[KMEM_MAX_CPUS];	/* copy of kmem_shared::cpu_to_node, one load away */
	struct zone *zone_ptr[MAX_NUMNODES * MAX_NR_ZONES];	/* zone id -> this mapping */
};

extern struct kmem_mm kmem_mm;

static __always_inline struct pglist_data *NODE_DATA(int nid)
{
	return &kmem_mm.shm->node_data[nid];
}

static __always_inline struct zone *zone_by_id(unsigned int zone_id)
{
	return kmem_mm.zone_ptr[zone_id];
}

static __always_inline struct page *__pfn_to_page(u64 pfn)
{
	return kmem_mm.memmap + pfn;
}

static __always_inline u64 __page_to_pfn(const struct page *page)
{
	return (u64)(page - kmem_mm.memmap);
}

static __always_inline void *__page_address(const struct page *page)
{
	return kmem_mm.mem_base + ((u64)(page - kmem_mm.memmap) << PAGE_SHIFT);
}

static __always_inline int __page_to_nid(const struct page *page)
{
	return page->zone_id / MAX_NR_ZONES;
}

static __always_inline struct zone *page_zone(const struct page *page)
{
	return zone_by_id(page->zone_id);
}

static __always_inline struct per_cpu_pages *zone_pcp(const struct zone *zone, int cpu)
{
	return (struct per_cpu_pages *)((char *)kmem_mm.shm + zone->pcp_off) + cpu;
}

static __always_inline bool zone_populated(const struct zone *zone)
{
	return zone->present_pages != 0;
}

static __always_inline bool kmem_initialized(void)
{
	return likely(__atomic_load_n(&kmem_mm.ready, __ATOMIC_ACQUIRE));
}

/*
 * Signals are the userspace interrupt: a handler may free memory or
 * allocate with GFP_ATOMIC, so a handler must never wait for a lock its own
 * thread holds.  Like the kernel's lazy interrupt disabling, kmem does not
 * mask signals around its locked sections (two system calls each); it
 * counts them per thread.  Code that finds the count above zero on entry is
 * a signal handler (or a callback) nested inside one of its own thread's
 * sections, and takes no lock at all: it allocates from this CPU's per-CPU
 * lists only (rseq), and a free that cannot go there is deferred until the
 * interrupted thread leaves its outermost section.
 */
extern __thread unsigned int __kmem_irq_depth __attribute__((tls_model("initial-exec")));
extern __thread unsigned int __kmem_deferred_nr __attribute__((tls_model("initial-exec")));

void __kmem_run_deferred(void);
/* Free @ptr later (a page of @order when @cache is NULL, else an object of @cache). */
void __kmem_defer_free(void *ptr, unsigned int order, void *cache);

static inline void kmem_irq_disable(void)
{
	__kmem_irq_depth++;
	barrier();
}

static inline void kmem_irq_enable(void)
{
	barrier();
	if (--__kmem_irq_depth == 0 && unlikely(READ_ONCE(__kmem_deferred_nr)))
		__kmem_run_deferred();
}

/* Inside one of this thread's locked sections (so: a nested signal handler)? */
static __always_inline bool kmem_in_locked_section(void)
{
	return unlikely(__kmem_irq_depth != 0);
}

void __cold __kmem_lock_owner_died(pthread_mutex_t *lock);

/* Lock a robust process-shared kmem mutex, counted as a locked section. */
static inline void kmem_mutex_lock(pthread_mutex_t *lock)
{
	kmem_irq_disable();
	if (unlikely(pthread_mutex_lock(lock) == EOWNERDEAD))
		__kmem_lock_owner_died(lock);
}

static inline void kmem_mutex_unlock(pthread_mutex_t *lock)
{
	pthread_mutex_unlock(lock);
	kmem_irq_enable();
}

/* init.c */
int __kmem_init_once(void);
static __always_inline int kmem_ensure_init(void)
{
	return kmem_initialized() ? 0 : __kmem_init_once();
}

/* topology.c */
struct kmem_topology {
	unsigned int nr_nodes;
	int real_node[MAX_NUMNODES];	/* libnuma node backing each node */
	unsigned int nr_cpu_ids;
	u16 cpu_to_node[KMEM_MAX_CPUS];
	u32 node_nr_cpus[MAX_NUMNODES];
	u8 distance[MAX_NUMNODES][MAX_NUMNODES];
	unsigned int cache_line_size;
};
int __kmem_topology_discover(struct kmem_topology *topo, unsigned int fake_numa);

/* arena.c */
int __kmem_arena_create(const struct kmem_options *opts, const struct kmem_topology *topo);
void __kmem_arena_destroy(void);

/* mm_init.c */
void __kmem_memmap_init(const struct kmem_options *opts);
void __kmem_zones_init(const struct kmem_options *opts);

/* page_alloc.c */
void __kmem_build_zonelists(void);
void __kmem_setup_per_zone_wmarks(void);
void __kmem_setup_per_zone_lowmem_reserve(void);
void __kmem_setup_pcp(void);
void __kmem_free_range(u64 start_pfn, u64 nr_pages);
bool __kmem_page_is_kmem(const void *addr);
int __kmem_numa_node_id(void);
struct page *__kmem_alloc_pages_highmem(gfp_t gfp, unsigned int order, int nid);
struct page *__kmem_alloc_pages_caller(gfp_t gfp, unsigned int order, int preferred_nid,
				       const void *caller);
void __kmem_on_each_cpu(void (*fn)(void *), void *arg);

/* slub.c */
int __kmem_slab_init(void);
void __kmem_slab_exit(void);
void *__kmem_obj_start(const void *p);
struct kmem_cache;
/* A slab object free that __kmem_defer_free() put off. */
void __kmem_slab_free_deferred(struct kmem_cache *s, void *x);

/* rcupdate.c */
struct rcu_head;
/* call_rcu() for the slab layer (SLAB_TYPESAFE_BY_RCU slab pages). */
void __kmem_call_rcu_internal(struct rcu_head *head, void (*func)(struct rcu_head *));
/* rcu_barrier(): every callback queued so far has run. */
void __kmem_rcu_barrier(void);

/* vmalloc.c */
void __kmem_vmalloc_exit(void);

/*
 * sched.c - atomic sections (preempt_disable, local_irq_save, spin_lock)
 * and might_sleep().  __kmem_preempt_count is this thread's nesting of the
 * caller's atomic sections (not kmem's own locked sections, counted above).
 */
extern __thread unsigned int __kmem_preempt_count __attribute__((tls_model("initial-exec")));
gfp_t __kmem_might_alloc_atomic(gfp_t gfp, const void *caller);

/*
 * might_alloc - the kernel's might_alloc(): a request that may sleep, made
 * inside an atomic section, is reported once per call site and proceeds
 * as if atomic.  Return: the flags to allocate with.
 */
static __always_inline gfp_t might_alloc(gfp_t gfp, const void *caller)
{
	if (unlikely(__kmem_preempt_count) && (gfp & __GFP_DIRECT_RECLAIM))
		return __kmem_might_alloc_atomic(gfp, caller);
	return gfp;
}

/* fault_inject.c - failslab and fail_page_alloc */
struct kmem_cache;
bool __should_failslab(struct kmem_cache *s, gfp_t gfp);
bool __should_fail_alloc_page(gfp_t gfp, unsigned int order);

/* Either injector armed?  One shared word, so a change made live is seen at once. */
static __always_inline bool kmem_fault_armed(void)
{
	return unlikely(READ_ONCE(kmem_mm.shm->fault_armed) != 0);
}

static __always_inline bool should_failslab(struct kmem_cache *s, gfp_t gfp)
{
	return kmem_fault_armed() && __should_failslab(s, gfp);
}

static __always_inline bool should_fail_alloc_page(gfp_t gfp, unsigned int order)
{
	return kmem_fault_armed() && __should_fail_alloc_page(gfp, order);
}

/* debug.c */
void __cold __kmem_bug(const char *file, int line, const char *cond) __noreturn;
void __cold __printf(1, 2) __kmem_printk(const char *fmt, ...);
void __cold __kmem_vprintk(const char *fmt, va_list ap);
void __cold __kmem_bad_page(const struct page *page, const char *reason, const void *caller);
void __cold __kmem_bad_address(const void *addr, const char *what, const void *caller);
const char *__kmem_page_flags_str(u32 flags, char *buf, size_t len);
bool __kmem_ratelimit(u64 *last_ns, unsigned int *burst, unsigned int interval_ms,
		      unsigned int max_burst);

/* vmstat.c */
const char *const *__kmem_zone_names(void);

#endif /* _KMEM_INTERNAL_H */
