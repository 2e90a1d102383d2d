/* SPDX-License-Identifier: MIT */
/*
 * kmem's core types, all of which live in shared memory.
 *
 * One *shared segment* (struct kmem_shared, a memfd) holds every piece of
 * allocator state; the memory it manages is a separate *pfn space*: the
 * direct maps of all nodes followed by their HIGHMEM pools (4 KiB-granular
 * shmem), mapped back to back at one virtual base.  A node's direct map is
 * address space for its maximum, reserved once; memory comes and goes in
 * it a section at a time (memory_hotplug.c).  A page frame number (pfn) is
 * the index of a 4 KiB page in that space, so
 *
 *	page_address(page) == mem_base + (page - memmap) * PAGE_SIZE
 *
 * Nothing in the shared segment is a pointer: lists link pfns (u32, PFN_NIL
 * ends them) and structures find each other by segment offset or by index.
 * The same bytes therefore mean the same thing in every process that maps
 * the segment, wherever it maps it, and the daemon can bounds-check them.
 *
 *   kmem_shared
 *     ├─ node_data[nid]            struct pglist_data, one per (fake) NUMA node
 *     │    ├─ node_zones[ZONE_*]   struct zone: buddy lists + watermarks
 *     │    │    ├─ free_area[o]    head pfn and count of free 2^o blocks
 *     │    │    └─ pcp_off ──────► per_cpu_pages[nr_cpu_ids] (orders 0..3)
 *     │    └─ zonelists            zone ids in fallback order
 *     ├─ memmap_off ─────────────► struct page[total_pages]
 *     ├─ hpage_phys_off ─────────► u64[total_pages >> HPAGE_PFN_SHIFT]
 *     ├─ hpage_file_off ─────────► u32[nr_nodes][direct huge pages per node]
 *     └─ section_off ────────────► struct mem_section[nr_sections]
 *
 * The memmap of a section that is offline is a hole in the segment's file
 * (never read, never written): struct pages exist only for online memory,
 * the kernel's SPARSEMEM_VMEMMAP.
 *
 * A page is in exactly one of these states:
 *   buddy      PG_buddy set, order = block order, on free_area[order] (head
 *              page only; pages inside a free block are untouched)
 *   pcp        on some CPU's per_cpu_pages slots; refcount 0, no PG_buddy
 *   allocated  refcount >= 1 on the first page, order = allocation order,
 *              owner = allocating client; tail pages keep refcount 0
 *   reserved   PG_reserved: never handed out (a hole, a poisoned page)
 */
#ifndef _KMEM_TYPES_H
#define _KMEM_TYPES_H

#include <pthread.h>
#include <linux/types.h>
#include <linux/mmzone.h>
#include <linux/mm_types.h>

#define PAGE_SHIFT_		12
#define PFN_NIL			UINT32_MAX

#define KMEM_MAX_CPUS		4096
#define NR_PCP_ORDERS		(PAGE_ALLOC_COSTLY_ORDER + 1)
/* Slots per order per CPU: bounds pcp->high (the kernel has no such bound). */
#define PCP_SLOTS		512

/* 2 MiB: the unit of physical contiguity in the direct map. */
#define HPAGE_PFN_SHIFT		9

#define KMEM_SHARED_MAGIC	0x314d48536d656d6bULL	/* "kmemSHM1" */
#define KMEM_SHARED_VERSION	7

/*
 * memory=private: the segment is anonymous memory, which no fd names.  A
 * one-page memfd "kmem-private" says where it is, for kmemctl --embedded
 * (which reads it through /proc/PID/mem).  A fork()ed child inherits the
 * fd, and the answer is right for it too: its copy is at the same address.
 */
#define KMEM_PRIVATE_MAGIC	0x315652506d656d6bULL	/* "kmemPRV1" */
struct kmem_private_locator {
	u64 magic;
	u64 segment;		/* address of struct kmem_shared */
	u64 segment_size;
};

/* Page flags (struct page::flags), named as the kernel's %pGp prints them. */
enum pageflags {
	PG_buddy	= 1u << 0,	/* head of a free block on a free_area list */
	PG_reserved	= 1u << 1,	/* never allocated */
	PG_slab		= 1u << 2,	/* owned by the slab layer */
	PG_head		= 1u << 3,	/* first page of a compound allocation */
	PG_hwpoison	= 1u << 4,	/* isolated after corruption was found */
	PG_highmem	= 1u << 5,	/* in a HIGHMEM pool (not in the direct map) */
	PG_large_kmalloc = 1u << 6,	/* a kmalloc() above KMALLOC_MAX_CACHE_SIZE */
	PG_client_block	= 1u << 7,	/* a heap block to Valgrind's memcheck (kasan.h) */
};

/*
 * struct page - one per 4 KiB page, 64 bytes like the kernel's.
 *
 * flags/order/_refcount are read without locks by the free path's sanity
 * checks, so they are accessed with READ_ONCE/WRITE_ONCE or atomics.
 */
struct page {
	u32 flags;		/* enum pageflags */
	u16 zone_id;		/* nid * MAX_NR_ZONES + zone index; fixed at init */
	u8 order;		/* buddy order when free, allocation order when allocated */
	u8 _pad0;
	s32 _refcount;		/* atomic; 0 when free */
	u32 owner;		/* client id of the allocator of this block (0: embedded) */
	union {
		struct {	/* PG_buddy: free_area list links; PG_slab: node list */
			u32 next;
			u32 prev;
		} buddy;
		u64 lru;
	};
	u64 compound_head;	/* tail of a __GFP_COMP block: head pfn << 1 | 1, else 0 */
	u64 slab[4];		/* reserved for the slab layer */
};

enum zone_watermarks {
	WMARK_MIN,
	WMARK_LOW,
	WMARK_HIGH,
	WMARK_PROMO,
	NR_WMARK
};

struct free_area {
	u32 head;		/* first free block (pfn), PFN_NIL if none */
	u32 _pad;
	u64 nr_free;		/* blocks on the list */
};

/*
 * word[o] packs the list length and an event count so that the rseq fast
 * path updates both with the single store that commits it:
 *
 *	count  = word & PCP_COUNT_MASK		entries in slots[o]
 *	allocs = word >> PCP_ALLOC_SHIFT	allocations served from slots[o]
 */
#define PCP_COUNT_MASK		0xffffULL
#define PCP_ALLOC_SHIFT		16
#define PCP_ALLOC_ONE		(1ULL << PCP_ALLOC_SHIFT)

/*
 * struct per_cpu_pages - one zone's per-CPU free lists for orders 0..3.
 *
 * Invariant: count(word[o]) <= high[o] <= PCP_SLOTS, slots[o][0..count) are
 * pfns of free order-o blocks of this zone with refcount 0 and no PG_buddy.
 * Written only by the CPU it belongs to (rseq) or under @lock (no rseq).
 */
struct per_cpu_pages {
	u64 word[NR_PCP_ORDERS];
	u32 high[NR_PCP_ORDERS];	/* entries; above it a free flushes a batch */
	u32 batch[NR_PCP_ORDERS];	/* entries moved per refill / flush */
	pthread_mutex_t lock;		/* only in KMEM_PCP_LOCKED mode */
	u32 slots[NR_PCP_ORDERS][PCP_SLOTS] __aligned(64);
} __aligned(64);

struct zone {
	pthread_mutex_t lock;		/* robust, process-shared: free_area, free_pages */
	struct free_area free_area[NR_PAGE_ORDERS];
	u64 free_pages;			/* NR_FREE_PAGES: buddy only, pcp excluded */
	/*
	 * Pages promised to vmalloc areas and not yet touched (atomic; written
	 * under kmem_vm_charges::lock): free pages no one else may take, as
	 * hugetlb's resv_huge_pages.  Every watermark check but the vmalloc
	 * fault's sees free_pages - vm_charged.
	 */
	u64 vm_charged;
	/*
	 * The block the lock holder is merging or splitting (pfn + 1, 0 if
	 * none): off the lists for a moment, and free.  A holder that dies
	 * leaves it here for __kmem_zone_rebuild().
	 */
	u32 inflight_pfn1;
	u32 inflight_order;

	u64 _watermark[NR_WMARK];
	u64 watermark_boost;
	u64 lowmem_reserve[MAX_NR_ZONES];

	u64 zone_start_pfn;
	u64 spanned_pages;
	u64 present_pages;
	u64 managed_pages;

	u32 node;
	u32 idx;			/* enum zone_type */
	u32 pcp_high;			/* pages, the kernel's pcp->high */
	u32 pcp_batch;			/* pages, the kernel's pcp->batch */
	u64 pcp_off;			/* segment offset of per_cpu_pages[nr_cpu_ids] */

	/* Slow-path events (atomic); the fast path counts in pcp words. */
	u64 numa_hit, numa_miss, numa_foreign;
	u64 interleave_hit, local_node, other_node;
	u64 pgalloc, pgfree;
	u64 alloc_fail;
} __aligned(64);

#define ZONELIST_LEN	(MAX_NUMNODES * MAX_NR_ZONES + 1)
#define ZONE_ID_NIL	0xffffu

/* struct pglist_data - a NUMA node (real or fake). */
struct pglist_data {
	struct zone node_zones[MAX_NR_ZONES];
	u32 node_id;
	s32 real_node;			/* libnuma node its memory is bound to, -1 if none */
	u32 nr_cpus;
	u32 hugetlb;			/* the initial memory is hugetlbfs (else shmem + THP) */
	/*
	 * The direct map: [direct_start_pfn, +direct_pages), address space for
	 * the node's maximum, twice where hugepages=auto: the first
	 * huge_pages of it are backed by the node's hugetlb memfd, the rest by
	 * its shmem memfd, so that a section comes online in whichever can
	 * have it.  Pages online in both together never exceed max_pages.
	 */
	u64 direct_start_pfn, direct_pages;
	u64 huge_pages;			/* of direct_pages, the hugetlb range */
	u64 max_pages;			/* the node's maximum (max_mb) */
	u64 min_pages;			/* the floor offlining keeps (the initial size) */
	u64 boot_start_pfn;		/* the initial sections: [boot_start_pfn, +min_pages), never offlined */
	u64 online_pages;		/* direct-map pages online now */
	/* robust, process-shared: section states, online_pages, the zone spans */
	pthread_mutex_t hotplug_lock;
	u32 hotplug_section;		/* section the lock holder changes + 1, 0: none */
	u32 huge_refused;		/* the hugetlb pool refused the last section */
	u64 memory_online;		/* events: sections onlined */
	u64 memory_offline;		/* events: sections offlined */
	u64 memory_grow_fail;		/* a growth found nothing it could online */
	u64 highmem_start_pfn, highmem_pages;
	/* zone ids, highest zone of this node first, then other nodes by distance */
	u16 zonelist_fallback[ZONELIST_LEN];
	/* this node's zones only: __GFP_THISNODE */
	u16 zonelist_nofallback[MAX_NR_ZONES + 1];
	/*
	 * Where each list's walk starts for a request whose highest zone is z:
	 * the first entry not above z, so the common case finds its zone first.
	 */
	u16 zonelist_fallback_start[MAX_NR_ZONES];
	u16 zonelist_nofallback_start[MAX_NR_ZONES];

	/*
	 * kswapd (vmscan.c).  kswapd_wait is a process-shared futex word:
	 * a waker bumps it, so a kswapd in another process (the daemon) can
	 * be woken as well as one in this process.
	 */
	u32 kswapd_wait;
	u32 kswapd_order;		/* highest order asked since the last run */
	u32 kswapd_highest_zoneidx;	/* highest zone asked since the last run, + 1 */
	u32 kswapd_running;		/* 1 while balancing */
	u32 kswapd_failures;		/* fruitless runs in a row; woken no more at 16 */
	u32 _pad_kswapd;
	u64 kswapd_wake;		/* times woken from sleep */
	u64 pageoutrun;			/* reclaim rounds run by kswapd */
	u64 pgsteal_kswapd;		/* pages kswapd gave back to the buddy lists */
	u64 pgsteal_direct;		/* pages direct reclaim gave back */
	u64 allocstall;			/* allocations that entered direct reclaim */
	u64 kswapd_high_wmark_hit;	/* runs that ended with the node balanced */
};

/*
 * Memory hotplug (memory_hotplug.c).  A section is 1 << section_shift bytes
 * of the pfn space (KMEM_SECTION_SHIFT, or the huge page size if larger),
 * aligned to its size; its state moves only under its node's hotplug_lock:
 *
 *   OFFLINE ─► GOING_ONLINE ─► ONLINE ─► GOING_OFFLINE ─► OFFLINE
 *
 * ONLINE means its memory is backed and its struct pages are valid; only
 * then can any of its pages be on a free list or in anyone's hands.
 */
#define KMEM_SECTION_SHIFT	22	/* 4 MiB: the largest buddy block */

enum kmem_section_state {
	SECTION_OFFLINE,
	SECTION_GOING_ONLINE,
	SECTION_ONLINE,
	SECTION_GOING_OFFLINE,
};

struct mem_section {
	u8 state;			/* enum kmem_section_state; atomic loads */
	u8 hugetlb;			/* in the node's hugetlb range */
	u16 _pad;
	u32 _pad2;
	u64 free_since_ms;		/* CLOCK_MONOTONIC ms it was first seen wholly free, 0: not */
};

struct kmem_tunables {
	u64 min_free_kbytes;		/* 0: computed like calculate_min_free_kbytes() */
	u32 watermark_scale_factor;	/* in 1/10000 of managed pages, default 10 */
	u32 lowmem_reserve_ratio[MAX_NR_ZONES];
	u32 percpu_pagelist_high_fraction;	/* 0: high from the low watermark */
	u32 reclaim_timeout_ms;		/* how long a sleeping small-order request retries */
	u32 kswapd;			/* 0: no background reclaim thread */
	u32 offline_delay_ms;		/* a section wholly free this long goes offline */
	u32 _pad;
};

/* Flags in kmem_shared::flags */
#define KMEM_SHF_PHYS_REAL	(1u << 0)	/* hpage_phys[] holds real addresses */
#define KMEM_SHF_FAKE_NUMA	(1u << 1)
#define KMEM_SHF_ZONES_EMULATED	(1u << 2)	/* DMA / DMA32 by zones=emulate, not by address */

/*
 * struct fault_attr - one fault injector: lib/fault-inject.c's struct
 * fault_attr with the extras of mm/failslab.c or mm/fail_page_alloc.c.
 * Any process may set it (kmem_fault_set(), later kmemctl); every
 * allocation that reaches the injector reads it.  The knobs are written
 * with atomic stores and read with READ_ONCE, so a change racing with an
 * allocation applies to it or not, as a debugfs write does in the kernel;
 * the counters and the rate-limit state are atomics.
 */
struct fault_attr {
	u64 probability;		/* percent, 0..100; 0 disarms */
	u64 interval;			/* fail one call in @interval (0 and 1: every call) */
	u64 verbose;			/* 0 silent, 1 the dump, 2 the dump and a stack */
	s32 times;			/* atomic: failures left, -1 without limit */
	s32 space;			/* atomic: size let through before failing */
	u32 ratelimit_interval_ms;	/* dumps: 0 never rate-limited */
	u32 ratelimit_burst;		/* dumps per interval */
	u64 ratelimit_begin_ns;		/* atomic: start of the current interval */
	u32 ratelimit_printed;		/* atomic: dumps in it */
	u8 task_filter;			/* only threads marked make-it-fail */
	u8 ignore_gfp_reclaim;		/* "ignore-gfp-wait": spare __GFP_DIRECT_RECLAIM */
	u8 ignore_gfp_highmem;		/* fail_page_alloc: spare __GFP_HIGHMEM */
	u8 cache_filter;		/* failslab: only SLAB_FAILSLAB caches */
	u32 min_order;			/* fail_page_alloc: spare orders below */
	u32 _pad;
	u64 count;			/* atomic: calls that reached the interval check */
	u64 failures;			/* atomic: failures injected */
};

#define KMEM_FAULT_NR		2	/* enum kmem_fault_which: failslab, fail_page_alloc */

/*
 * kmem_shared::fault_armed, the one word the allocation fast paths test:
 * non-zero sends them to the injectors.  It is the OR of a bit per injector
 * whose probability is above 0 and a count of threads (all processes) that
 * have a fail-nth pending, because fail-nth fires whatever the probability.
 */
#define FAULT_ARMED_FAILSLAB	(1u << 0)
#define FAULT_ARMED_PAGE_ALLOC	(1u << 1)
#define FAULT_ARMED_NTH_ONE	(1u << 8)

struct kmem_fault {
	struct fault_attr attr[KMEM_FAULT_NR];
};

#define KMEM_MAX_CACHES_SHARED	4096
#define KMALLOC_NR_CACHES	14	/* kmalloc_index() 0..13 */
#define KMALLOC_NR_TYPES	2	/* normal, dma */

/*
 * RCU across processes (rcu_shared.c, docs/attach.md): a grace period
 * counts only once every live process sharing the memory acknowledged it.
 */
#define KMEM_RCU_MAX_PROCS	64	/* processes (daemon and clients) at once */
#define KMEM_RCU_MAX_DEFERRED	1024	/* frees waiting for a shared grace period */

struct kmem_rcu_slot {
	u32 id;				/* client id (0: the process that built the memory) */
	u32 pid;
	u32 alive;			/* atomic: 0 free or dead, not waited for */
	u32 releasing;			/* atomic: batches it took off deferred, not yet freed */
	u64 ack;			/* atomic: generation acknowledged */
	u64 pidns;			/* inode of its pid namespace: @pid means that there */
};

enum kmem_rcu_deferred_kind {
	KMEM_RCU_SLAB_PAGE = 1,		/* SLAB_TYPESAFE_BY_RCU slab: @where is its pfn */
	KMEM_RCU_OBJECT,		/* kfree_rcu object: @where is its mem_base offset */
};

struct kmem_rcu_deferred {
	u64 gen;			/* released once completed >= gen */
	u64 where;
	u32 kind;
	u32 order;
};

struct kmem_rcu_shared {
	pthread_mutex_t lock;		/* everything below but the atomics' reads */
	u64 gen;			/* atomic: the newest generation asked for */
	u64 completed;			/* atomic: every live slot acked this one */
	u32 gen_seq;			/* futex: bumped with gen (ack threads sleep on it) */
	u32 done_seq;			/* futex: bumped with completed and releases */
	u32 nr_deferred;		/* atomic: written under the lock, read without */
	u32 _pad;
	struct kmem_rcu_slot slot[KMEM_RCU_MAX_PROCS];
	struct kmem_rcu_deferred deferred[KMEM_RCU_MAX_DEFERRED];
};

/*
 * The vmalloc areas of attached processes, as kmemd's vmallocinfo lists
 * them (vmalloc.c): each area lives in its process's own address space,
 * so only this summary is shared.  A slot is claimed by compare-and-swap
 * of @state and published by a release store; the counts move as the
 * area's pages are touched.  Written by the owning client, cleared by it at
 * vfree() or by kmemd when it dies; read by kmemd, which checks every field.
 */
#define KMEM_VM_RECORDS		1024
#define KMEM_VM_CALLER_LEN	56

enum kmem_vm_record_state {
	KMEM_VM_FREE,
	KMEM_VM_CLAIMED,
	KMEM_VM_LIVE,
};

struct kmem_vm_record {
	u32 state;			/* atomic: enum kmem_vm_record_state */
	u32 owner;			/* client id */
	u32 pid;
	u32 nr_pages;			/* guard page excluded */
	u64 addr;			/* in process @pid */
	u64 size;			/* bytes, guard page included */
	u32 nr_populated;		/* atomic */
	u32 _pad;
	char caller[KMEM_VM_CALLER_LEN];	/* "symbol+0xoff", resolved in @pid */
	u32 node_pages[MAX_NUMNODES];	/* atomic */
};

struct kmem_vm_records {
	u32 unpublished;		/* atomic: areas that found no free slot */
	u32 _pad;
	struct kmem_vm_record rec[KMEM_VM_RECORDS];
};

/*
 * vmalloc's charges (vmalloc.c, docs/vmalloc.md): what each process has
 * been promised, per zone, so that the daemon can give a dead client's
 * promises back.  One slot per process with charges (the daemon and
 * embedded processes are owner 0).  Everything here and every zone's
 * vm_charged changes under @lock, the slot first: a holder that dies leaves
 * the slots right, and the zones' totals are rebuilt from them.
 */
#define KMEM_VM_CHARGE_SLOTS	KMEM_RCU_MAX_PROCS

struct kmem_vm_charge_slot {
	u32 used;
	u32 owner;			/* client id */
	u64 total;			/* pages, all zones */
	u32 pages[MAX_NUMNODES * MAX_NR_ZONES];	/* by zone id */
};

struct kmem_vm_charges {
	pthread_mutex_t lock;		/* robust, process-shared */
	u64 charge_fail;		/* vmalloc()s refused for want of pages */
	struct kmem_vm_charge_slot slot[KMEM_VM_CHARGE_SLOTS];
};

struct kmem_shared {
	u64 magic;
	u32 version;
	u32 flags;
	u64 segment_size;
	u64 total_pages;		/* size of the pfn space */
	u64 memmap_off;
	u64 hpage_phys_off;
	/*
	 * What an attaching process needs to map the memory as this one did:
	 * the pfn space sits at @base_address (in every process), @mem_size
	 * bytes; node n's direct map huge page slot i (of 1 << hpage_shift
	 * bytes) maps huge page hpage_file_off[n * hpages_per_node + i] of
	 * node n's direct memfd (the identity unless sort_hugepages() sorted
	 * them by physical address).
	 */
	u64 base_address;
	u64 mem_size;
	u64 hpage_file_off;
	u64 hpages_per_node;
	u64 section_off;		/* struct mem_section[nr_sections] */
	u64 nr_sections;		/* total_pages >> (section_shift - PAGE_SHIFT) */
	u32 section_shift;
	/* zones=carve: node 0's first pages of its initial range go to DMA, DMA32 */
	u32 carve;
	u64 carve_start_pfn, carve_dma_pages, carve_dma32_pages;
	u32 nr_nodes;
	u32 nr_cpu_ids;
	u32 hpage_shift;		/* 21 or 30 */
	u32 cache_line_size;
	u32 fault_armed;		/* failslab or fail_page_alloc has probability > 0 */
	u32 _pad_hdr;
	struct kmem_tunables tun;
	/*
	 * Waiting for memory to be freed: a sleeping allocation that reclaim
	 * could not satisfy registers in nr_free_waiters and sleeps on the
	 * futex word free_seq; frees bump and wake it while anyone waits.
	 */
	u32 free_seq;
	u32 nr_free_waiters;
	u16 cpu_to_node[KMEM_MAX_CPUS];
	u8 node_distance[MAX_NUMNODES][MAX_NUMNODES];
	struct pglist_data node_data[MAX_NUMNODES];

	/* The slab layer: every cache by id, as mem_base offsets (0: free slot). */
	pthread_mutex_t slab_mutex;	/* caches[], cache creation and destruction */
	u64 caches[KMEM_MAX_CACHES_SHARED];
	u64 kmalloc_caches[KMALLOC_NR_TYPES][KMALLOC_NR_CACHES];

	struct kmem_fault fault;	/* failslab, fail_page_alloc (fault_inject.c) */
	struct kmem_rcu_shared rcu;	/* RCU across processes (rcu_shared.c) */
	struct kmem_vm_records vm;	/* attached processes' vmalloc areas (vmalloc.c) */
	struct kmem_vm_charges vm_charges;	/* vmalloc's promised pages (vmalloc.c) */
};

#endif /* _KMEM_TYPES_H */
