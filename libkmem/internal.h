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
#include <linux/preempt.h>
#include <kmem/kmem.h>

#include "types.h"
#include "percpu.h"
#include "kmemd_proto.h"

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

/* A node's memfds: its direct map's two ranges (either may be absent) and HIGHMEM. */
enum kmem_node_fd {
	KMEM_FD_HUGETLB,
	KMEM_FD_SHMEM,
	KMEM_FD_HIGHMEM,
	KMEM_NR_NODE_FDS
};

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
	/*
	 * The geometry to index by: what this process built the segment with,
	 * or what it checked at attach.  Never read again from the segment,
	 * where any client may overwrite it.
	 */
	u32 nr_nodes, nr_cpu_ids;
	u64 *hpage_phys;
	struct mem_section *sections;	/* kmem_shared::section_off, this mapping */
	u32 section_pfn_shift;		/* log2 of pages per section */
	enum kmem_pcp_mode pcp_mode;
	bool distrust;			/* kmemd: the segment is checked, zones fenced */
	u32 owner;			/* this process's client id (0: embedded) */
	u32 owner_mark;			/* KMEM_OWNER_SERVER in kmemd, else 0: see slab.h */
	bool valgrind;			/* running under memcheck (kasan.h) */
	bool kasan_shared;		/* shared with other processes: no ASan poisoning */
	bool rcu_shared;		/* RCU across processes: rcu_shared.c has a slot */
	/* mappings and fds, for kmem_exit() */
	size_t shm_size;
	size_t mem_size;
	int shm_fd;
	int locator_fd;			/* memory=private: "kmem-private" (types.h), else -1 */
	int node_fds[MAX_NUMNODES][KMEM_NR_NODE_FDS];	/* enum kmem_node_fd */
	int attach_sock;		/* attached: the socket to kmemd, else -1 */
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
	return READ_ONCE(zone->present_pages) != 0;
}

static __always_inline struct mem_section *__pfn_to_section(u64 pfn)
{
	return &kmem_mm.sections[pfn >> kmem_mm.section_pfn_shift];
}

/* Is @pfn's section online: its memory backed, its struct page valid? */
static __always_inline bool kmem_pfn_online(u64 pfn)
{
	return __atomic_load_n(&__pfn_to_section(pfn)->state, __ATOMIC_ACQUIRE) == SECTION_ONLINE;
}

/*
 * For a walk of the memmap: is @pfn in a section that is not online (its
 * struct pages a hole that must not be read)?  Then *@pfn moves to the
 * section's last pfn, so that the walk's ++ goes on with the next section.
 */
static __always_inline bool memmap_hole(u64 *pfn)
{
	if (likely(kmem_pfn_online(*pfn)))
		return false;
	*pfn |= (1ULL << kmem_mm.section_pfn_shift) - 1;
	return true;
}

/* For a walk of the memmap: @pfn, or the first pfn after it in an online section; <= @end. */
static __always_inline u64 kmem_next_online_pfn(u64 pfn, u64 end)
{
	while (pfn < end && !kmem_pfn_online(pfn))
		pfn = (pfn | ((1ULL << kmem_mm.section_pfn_shift) - 1)) + 1;
	return pfn < end ? pfn : end;
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
/* Locks recovered in this process since it started (init.c). */
extern u32 __kmem_locks_recovered;

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

/* A robust, process-shared mutex, as every lock in the segment is (arena.c). */
int __kmem_mutex_init_shared(pthread_mutex_t *m);

/*
 * fork() of private memory (memory=private): every lock of the allocator
 * is taken before the fork, in the lock order, so that no other thread is
 * inside a critical section when the memory is copied; the parent then
 * unlocks them and the child, whose copy is owned by a thread it does not
 * have, initialises them again (init.c: kmem_fork_prepare()).
 */
static inline void kmem_fork_lock(pthread_mutex_t *m)
{
	if (unlikely(pthread_mutex_lock(m) == EOWNERDEAD))
		__kmem_lock_owner_died(m);
}

static inline void kmem_fork_unlock(pthread_mutex_t *m, bool child)
{
	if (child)
		__kmem_mutex_init_shared(m);
	else
		pthread_mutex_unlock(m);
}

/* The same for a process-private mutex (PTHREAD_MUTEX_INITIALIZER's kind). */
static inline void kmem_fork_unlock_private(pthread_mutex_t *m, bool child)
{
	if (child)
		pthread_mutex_init(m, NULL);
	else
		pthread_mutex_unlock(m);
}

void __kmem_slab_fork_lock(void);
void __kmem_slab_fork_unlock(bool child);
void __kmem_tunables_fork_lock(void);
void __kmem_tunables_fork_unlock(bool child);
void __kmem_page_alloc_fork_lock(void);
void __kmem_page_alloc_fork_unlock(bool child);
void __kmem_shrinker_fork_lock(void);
void __kmem_shrinker_fork_unlock(bool child);
void __kmem_vmap_fork_prepare(void);
void __kmem_vmap_fork_parent(void);
void __kmem_vmap_fork_child(void);
void __kmem_rcu_fork_prepare(void);
void __kmem_rcu_fork_unlock(bool child);
void __kmem_report_fork_lock(void);
void __kmem_report_fork_unlock(bool child);

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

/* attach.c - attached mode (docs/attach.md) */
/*
 * Client: connect to kmemd at @path, map what it sends and set kmem_mm up
 * (caller holds init_lock).  @quiet_absent: say nothing when no daemon
 * listens (auto mode).  Return: 0 or -errno, a message printed.
 */
int __kmem_attach(const char *path, bool quiet_absent);
/* Client: tell kmemd, unmap and close; the caller cleared kmem_mm.ready. */
void __kmem_detach(void);
/* The socket kmem_attach(NULL) uses: $KMEM_SOCKET, else KMEMD_DEFAULT_SOCKET. */
const char *__kmem_attach_socket_path(void);
/*
 * Server (kmemd): send the WELCOME for client @client_id on @sock, with the
 * shared segment and the memfds.  This process must be embedded (it built
 * the memory).  Return: 0 or -errno.
 */
KMEM_API int __kmem_attach_welcome(int sock, u32 client_id);

/* client_gone.c - the daemon's side of a client's death (docs/attach.md) */
/* struct kmem_client_report: kmemd_proto.h, which the daemon includes too */
struct kmem_cache;
/*
 * Give back what dead client @client_id owned, recovering the locks it
 * died holding, and add what was done to *@r (zeroed by the caller before
 * the first call).  Context: the daemon's event loop, no kmem lock held.
 * Return: 0, or -EBUSY when a live process holds a lock for long: call
 * again later; each call goes on where the last stopped.
 */
KMEM_API int __kmem_client_gone(u32 client_id, struct kmem_client_report *r);
/*
 * Fill @u[0..nr) (each .id set by the caller) with what each client holds
 * now, in one walk of the memmap.  Context: the daemon; no lock taken, the
 * figures are a snapshot.  Return: 0, -EUCLEAN (corrupted segment).
 */
KMEM_API int __kmem_client_usage(struct kmem_client_usage *u, unsigned int nr);
/*
 * kfree() what dead client @client_id left in the shared kmalloc caches and
 * its large kmalloc blocks; what was freed in *@freed.  Return: 0 or -errno.
 */
KMEM_API int __kmem_client_free_orphans(u32 client_id, struct kmem_client_usage *freed);
/*
 * Take back blocks dead clients left between a per-CPU list and a reference
 * (the daemon, no client alive).  Return: pages, or -errno.
 */
KMEM_API long __kmem_sweep_limbo(unsigned int settle_ms);
/* page_alloc.c: is [@pfn, +2^@order) inside a larger free or allocated block? */
bool __kmem_pfn_inside_block(u64 pfn, unsigned int order);
/*
 * slub.c, kmemd only: stamp the objects it holds as the server's, so that
 * from then on an allocated object with owner 0 is one a dead client had in
 * its hands (__kmem_sweep_objects()).
 */
KMEM_API void __kmem_slab_server_stamp(void);
/*
 * Free the objects of the owner-recording caches that are allocated and
 * owned by no one (the daemon, no client alive).  Return: objects freed.
 */
KMEM_API long __kmem_sweep_objects(unsigned int settle_ms);
/* Are caches dead client @client_id created still there? */
KMEM_API bool __kmem_client_has_caches(u32 client_id);
/* rcu_shared.c: the kfree_rcu() objects waiting, as offsets.  Return: how many. */
unsigned int __kmem_rcu_deferred_objects(u64 *offs, unsigned int max);
/* vmalloc.c: drop the published vmalloc areas of dead client @client_id. */
void __kmem_vm_records_client_gone(u32 client_id);
/*
 * vmalloc.c: give dead client @client_id's vmalloc charges back, adding the
 * pages to *@pages.  Return: 0, or -EBUSY (the lock is held for long).
 */
int __kmem_vm_charges_client_gone(u32 client_id, u64 *pages);
/*
 * The vmalloc charges lock for a caller that must not block on it (kmemd,
 * offlining): waited for a while only.  Return: 0 (held; release with
 * __kmem_vm_charges_release()) or -EBUSY.
 */
int __kmem_vm_charges_hold(void);
void __kmem_vm_charges_release(void);
/*
 * Call @fn for each object of the shared kmalloc caches that @client_id
 * allocated and no one has freed, and total them in *@usage.
 */
KMEM_API int __kmem_client_objects(u32 client_id,
				   void (*fn)(void *object, const char *cache,
					      unsigned int object_size, void *arg),
				   void *arg, struct kmem_client_usage *usage);
/*
 * rcu_shared.c - RCU across processes (docs/attach.md).  Once the memory is
 * shared (attached, or the builder welcomed a client) kmem_mm.rcu_shared is
 * set and SLAB_TYPESAFE_BY_RCU slab pages and kfree_rcu objects, after this
 * process's own grace period, wait in shared memory until every live
 * process has passed one.
 */
/* Take a slot for this process and start its ack thread (init_lock held). */
int __kmem_rcu_shared_start(void);
/* Give the slot back, stop the thread; this process's frees stay queued. */
void __kmem_rcu_shared_stop(void);
/* fork() child: the slot and thread are the parent's; forget them. */
void __kmem_rcu_shared_forget(void);
/*
 * Queue a free for after a grace period in every process: a slab page
 * (@kind KMEM_RCU_SLAB_PAGE, @where its pfn) or an object (its address).
 * Return: false when the queue is full (the caller then waits with
 * __kmem_rcu_shared_sync() and frees at once).
 */
bool __kmem_rcu_shared_defer(enum kmem_rcu_deferred_kind kind, u64 where, u32 order);
/* synchronize_rcu() and rcu_barrier() across every live process. */
void __kmem_rcu_shared_sync(void);
void __kmem_rcu_shared_barrier(void);
/* The daemon: client @id is gone; its acknowledgements are not waited for. */
KMEM_API void __kmem_rcu_client_gone(u32 id);
/* Frees waiting for a shared grace period (tests, kmemctl). */
KMEM_API u32 __kmem_rcu_shared_pending(void);
/* rcupdate.c: this process's grace period and callbacks only. */
void __kmem_synchronize_rcu_local(void);
void __kmem_rcu_barrier_local(void);
/* slub.c: give a SLAB_TYPESAFE_BY_RCU slab page back now. */
void __kmem_rcu_free_slab_page(struct page *slab);

/* mm_init.c */
void __kmem_memmap_init(const struct kmem_options *opts);
void __kmem_zones_init(const struct kmem_options *opts);
/* The zone a direct-map chunk (2 MiB, HPAGE_PFN_SHIFT) of node @nid belongs to. */
enum zone_type __kmem_direct_chunk_zone(unsigned int nid, u64 chunk_pfn);
/* Give struct pages to [@pfn, +@nr) (one zone), reserved until freed. */
void __kmem_init_chunk(unsigned int nid, enum zone_type z, u64 pfn, u64 nr, u32 flags);

/*
 * memory_hotplug.c - sections coming online and going offline (the
 * kernel's mm/memory_hotplug.c; docs/page_alloc.md).  Lock order: a node's
 * hotplug_lock, then the vmalloc charges lock, then per-CPU list locks,
 * then zone locks.
 */
/* Online the initial sections of every node (kmem_init(), single-threaded). */
int __kmem_hotplug_init(void);
/* May node @nid online another section? */
static __always_inline bool kmem_node_can_grow(const struct pglist_data *pgdat)
{
	return READ_ONCE(pgdat->online_pages) + (1ULL << kmem_mm.section_pfn_shift) <=
	       pgdat->max_pages;
}
/*
 * May node @nid online a section into its HighMem?  Only a hugetlb node
 * with a shmem range does (vmalloc cannot map its hugetlb pages 4 KiB at a
 * time, so its HighMem grows instead of its Normal zone).
 */
static __always_inline bool kmem_node_can_grow_highmem(const struct pglist_data *pgdat)
{
	return pgdat->hugetlb && pgdat->direct_pages > pgdat->huge_pages &&
	       kmem_node_can_grow(pgdat);
}
/*
 * Online one section of node @nid for an allocation that may sleep (into
 * ZONE_NORMAL; __kmem_grow_highmem(): into ZONE_HIGHMEM, for vmalloc).
 * Return: true when memory was added (by us or by a racing grower).
 */
bool __kmem_grow_node(int nid);
bool __kmem_grow_highmem(int nid);
extern __thread bool __kmem_in_kswapd;
/*
 * Offline the sections of node @nid (all nodes if < 0) that are wholly
 * free: those free for offline_delay_ms (@now false) or all of them, down to
 * each node's floor.  Return: sections offlined.
 */
unsigned long __kmem_offline_idle(int nid, bool now);
/* Call @fn on the HIGHMEM pools and each online section (ASan's shadow). */
void __kmem_each_online_range(void (*fn)(const void *addr, size_t len));
/* A process died holding @pgdat's hotplug_lock: finish or undo its step. */
void __kmem_hotplug_recover(struct pglist_data *pgdat);

/* page_alloc.c */
void __kmem_build_zonelists(void);
void __kmem_setup_per_zone_wmarks(void);
void __kmem_setup_per_zone_lowmem_reserve(void);
void __kmem_setup_pcp(void);
/* Hotplug: list one reserved chunk of a section coming online (zone lock taken). */
void __kmem_online_chunk(u64 pfn, u64 nr_pages);
/*
 * Hotplug: take every free block of [@pfn, +@nr_pages) off its free list,
 * if all of the range is free; the node's zone locks are held by the
 * caller.  Return: 0, or -EBUSY with nothing changed.
 */
int __kmem_isolate_range(u64 pfn, u64 nr_pages);
void __kmem_lock_node_zones(struct pglist_data *pgdat);
void __kmem_unlock_node_zones(struct pglist_data *pgdat);
bool __kmem_page_is_kmem(const void *addr);
int __kmem_numa_node_id(void);
struct page *__kmem_alloc_pages_highmem(gfp_t gfp, unsigned int order, int nid);
struct page *__kmem_alloc_pages_charged(unsigned int zone_id, unsigned int order, gfp_t gfp);
/* The kernel's warn_alloc(): "COMM: <fmt>, mode:...", the stack and the zones. */
void __cold __printf(2, 3) __kmem_warn_alloc(gfp_t gfp, const char *fmt, ...);
struct page *__kmem_alloc_pages_caller(gfp_t gfp, unsigned int order, int preferred_nid,
				       const void *caller);
void __kmem_on_each_cpu(void (*fn)(void *), void *arg);
unsigned long __kmem_drain_local_pages(void);
u64 __kmem_zone_rebuild(struct zone *zone, u64 *overlaps);
unsigned int __kmem_pcp_check(struct zone *zone, struct per_cpu_pages *pcp);
int __kmem_return_block(struct page *page, unsigned int order);
bool __kmem_zone_watermark_ok(const struct zone *z, unsigned int order, u64 mark,
			      enum zone_type highest_zoneidx);

/* slub.c */
/* Reclaim's part in the slab layer. Return: pages given back. */
unsigned long __kmem_slab_reclaim(bool all_cpus);
int __kmem_slab_init(void);
int __kmem_slab_attach(void);
void __kmem_slab_exit(void);
void *__kmem_obj_start(const void *p);
void *__kmem_kmalloc_caller(size_t size, gfp_t flags, int node, const void *caller);
struct kmem_cache;
int __kmem_slab_lock_died(pthread_mutex_t *lock);
bool __kmem_slab_node_check(struct kmem_cache *s, int nid);
int __kmem_slab_client_gone(u32 client_id, u32 *recovered, u32 *destroyed, u32 *kept);
/*
 * Destroy dead client @client_id's caches that hold no object any more (with
 * @force: all of them, objects and all).  Return: the caches still kept.
 */
KMEM_API unsigned int __kmem_slab_reap_caches(u32 client_id, bool force, u32 *destroyed);
/* Try a robust lock for @ms, recovering a dead holder's.  Return: 0 or -EBUSY. */
int __kmem_lock_probe(pthread_mutex_t *lock, unsigned int ms, u32 *recovered);
/* A slab object free that __kmem_defer_free() put off. */
void __kmem_slab_free_deferred(struct kmem_cache *s, void *x);

/* rcupdate.c */
struct rcu_head;
/* call_rcu() for the slab layer (SLAB_TYPESAFE_BY_RCU slab pages). */
void __kmem_call_rcu_internal(struct rcu_head *head, void (*func)(struct rcu_head *));
/* rcu_barrier(): every callback queued so far has run. */
void __kmem_rcu_barrier(void);
/* call_rcu() calls so far, and whether this thread may wait for them. */
u64 __kmem_rcu_queued(void);
bool __kmem_rcu_may_barrier(void);

/* vmscan.c - reclaim: direct reclaim, kswapd, shrinkers */
/*
 * Set while this thread reclaims (the kernel's PF_MEMALLOC): its own
 * allocations may take the last pages and never recurse into reclaim.
 */
extern __thread unsigned int __kmem_memalloc __attribute__((tls_model("initial-exec")));
/* Direct reclaim for an allocation; @goal says when enough is free. Return: pages reclaimed. */
unsigned long __kmem_try_to_free_pages(gfp_t gfp, unsigned int order, int nid,
				       bool (*goal)(void *), void *arg);
void __kmem_wakeup_kswapd(int nid, unsigned int order, enum zone_type highest_zoneidx);
int __kmem_kswapd_start(void);
void __kmem_kswapd_stop(void);
void __kmem_kswapd_ensure_running(void);
/* Sleep until a free may have helped, at most @timeout_ms. */
void __kmem_wait_for_free(int timeout_ms);
void __cold __kmem_wake_free_waiters(void);

/* A sleeping allocation is waiting for memory: tell it a page came back. */
static __always_inline void kmem_free_wakeup(void)
{
	if (unlikely(READ_ONCE(kmem_mm.shm->nr_free_waiters)))
		__kmem_wake_free_waiters();
}

/* vmalloc.c */
/* kmem_exit(), kmem_detach(); @free_pages: the memory outlives us (detach). */
void __kmem_vmalloc_exit(bool free_pages);

/*
 * sched.c - atomic sections (preempt_disable, local_irq_save, spin_lock)
 * and might_sleep().  __kmem_preempt_count (<linux/preempt.h>) is this
 * thread's word for the caller's atomic sections (not kmem's own locked
 * sections, counted above): zero when it may sleep.
 */
gfp_t __kmem_might_alloc_atomic(gfp_t gfp, const void *caller, const char *file, int line);
void __kmem_might_sleep_caller(const char *file, int line, const void *caller);

/*
 * might_alloc - the kernel's might_alloc(): a request that may sleep, made
 * inside an atomic section, is reported once per @caller (naming this call
 * site's file:line, as the kernel's names sched/mm.h) and proceeds as if
 * atomic.  Return: the flags to allocate with.
 */
#define might_alloc(gfp, caller)	__might_alloc(gfp, caller, __FILE__, __LINE__)
static __always_inline gfp_t __might_alloc(gfp_t gfp, const void *caller, const char *file,
					   int line)
{
	if (unlikely(__kmem_preempt_count) && (gfp & __GFP_DIRECT_RECLAIM))
		return __kmem_might_alloc_atomic(gfp, caller, file, line);
	return gfp;
}

/*
 * might_sleep_caller - might_sleep() for an entry point that always may
 * sleep (vmalloc), reported once per @caller.
 */
#define might_sleep_caller(caller)						\
	do {									\
		if (unlikely(__kmem_preempt_count))				\
			__kmem_might_sleep_caller(__FILE__, __LINE__, caller);	\
	} while (0)

/* fault_inject.c - failslab and fail_page_alloc */
struct kmem_cache;
bool __should_failslab(struct kmem_cache *s, gfp_t gfp);
bool __should_fail_alloc_page(gfp_t gfp, unsigned int order);
/* Kernel defaults, then $KMEM_FAILSLAB and $KMEM_FAIL_PAGE_ALLOC; end of kmem_init(). */
void __kmem_fault_init(void);

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
/* @gfp's names as the kernel's %pGg prints them ("GFP_KERNEL|__GFP_ZERO"). */
const char *__kmem_format_gfp(gfp_t gfp, char *buf, size_t len);

/* A report of several lines, built in a caller's buffer (see debug.c). */
struct kmem_report {
	char *buf;
	size_t size;
	size_t len;
};
#define KMEM_REPORT_INIT(array)	{ (array), sizeof(array), 0 }
void __cold __printf(2, 3) __kmem_report_add(struct kmem_report *r, const char *fmt, ...);
void __cold __kmem_report_flush(struct kmem_report *r);
/* "CPU: n PID: p Comm: c" and "Call Trace:", the kernel's dump_stack(). */
void __cold __kmem_report_stack(struct kmem_report *r);
void __kmem_report_stack_prime(void);
bool __kmem_ratelimit(u64 *last_ns, unsigned int *burst, unsigned int interval_ms,
		      unsigned int max_burst);

/*
 * segment.c - bounds checks of the shared segment for the views the daemon
 * runs; each returns 0 or -EUCLEAN after printing what it found (and
 * keeping it for __kmem_segment_error()).  Never on an allocation path.
 */
struct kmem_cache;
int __cold __printf(2, 3) __kmem_segment_corrupt(const char *view, const char *fmt, ...);
const char *__kmem_segment_error(void);
void __kmem_segment_error_clear(void);
bool __kmem_pfn_valid(u64 pfn);
int __kmem_check_segment(const char *view);
u32 __kmem_seg_nodes(void);
u32 __kmem_seg_cpus(void);
int __kmem_check_zone_pcp_off(int nid, int z, const char *view);
int __kmem_check_cache(unsigned int id, u64 off, const char *view);
int __kmem_check_slab_pfn(const struct kmem_cache *s, int nid, const char *list, u64 pfn,
			  const char *view);
int __kmem_check_zone(int nid, int z, const char *view);
int __kmem_check_zones(const char *view);
/*
 * kmemd: distrust the segment from now on (a private copy of the header as
 * built), verify before acting and fence what fails (segment.c).
 */
KMEM_API int __kmem_segment_distrust(void);
bool __kmem_segment_distrusted(void);
bool __kmem_segment_lock_kind_ok(const pthread_mutex_t *lock);
int __kmem_view_lock(pthread_mutex_t *lock, const char *what, const char *view);
const struct kmem_shared *__kmem_segment_header(void);
KMEM_API int __kmem_segment_gate(const char *what);
KMEM_API bool __kmem_segment_fenced(void);
bool __kmem_zone_fenced(const struct zone *zone);
bool __kmem_cache_id_fenced(unsigned int id);
/* A zone kmemd fenced: it neither allocates from it nor frees into it. */
static __always_inline bool kmem_zone_out_of_service(const struct zone *zone)
{
	return unlikely(kmem_mm.distrust) && __kmem_zone_fenced(zone);
}
/* May the block at @pfn go back to the zone its page names (a zone not fenced that holds it)? */
bool __kmem_block_zone_trusted(u64 pfn, unsigned int order);
/* How many findings fenced something; the first @max of them in @why. */
KMEM_API unsigned int __kmem_segment_fences(const char **why, unsigned int max);

/* vmstat.c */
const char *const *__kmem_zone_names(void);

/* show_mem.c - the zone state an allocation failure report shows */
void __cold __kmem_show_mem(struct kmem_report *r, gfp_t gfp);
bool __kmem_warn_alloc_ratelimit(void);
void __kmem_warn_alloc_ratelimit_reset(void);

#endif /* _KMEM_INTERNAL_H */
