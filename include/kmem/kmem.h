/* SPDX-License-Identifier: MIT */
/*
 * kmem's own API: initialisation, options and statistics.  The kernel APIs
 * (alloc_pages, kmalloc, ...) live in the linux/ headers.
 *
 * kmem initialises itself on first use with the defaults below, adjusted by
 * the KMEM_OPTIONS environment variable; a program that wants other settings
 * calls kmem_init() before its first allocation.
 */
#ifndef _KMEM_KMEM_H
#define _KMEM_KMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Marks the symbols libkmem exports; everything else is hidden. */
#define KMEM_API __attribute__((__visibility__("default")))

enum kmem_hugepages {
	KMEM_HUGEPAGES_AUTO,	/* hugetlb when the pool has enough, else shmem + THP */
	KMEM_HUGEPAGES_REQUIRE,	/* hugetlb or fail */
	KMEM_HUGEPAGES_NEVER,	/* shmem + THP */
};

/*
 * Which pages are ZONE_DMA / ZONE_DMA32 (docs/page_alloc.md, "Zones").
 * Only real, pinned physical addresses (hugetlb, frame numbers readable as
 * root) can say a page lies below 16 MiB or 4 GiB; without them no page is
 * put in DMA or DMA32 unless emulated zones are asked for by name.
 */
enum kmem_zone_mode {
	KMEM_ZONES_AUTO,	/* by physical address where pinned and readable, else none */
	KMEM_ZONES_PHYS,	/* by physical address, or fail */
	KMEM_ZONES_EMULATE,	/* DMA and DMA32 emulated: node 0's first dma_mb, dma32_mb */
};
/* The earlier name of KMEM_ZONES_EMULATE ("zones=carve"). */
#define KMEM_ZONES_CARVE	KMEM_ZONES_EMULATE

enum kmem_attach_mode {
	KMEM_ATTACH_NEVER,	/* embedded: build the allocator in this process */
	KMEM_ATTACH_AUTO,	/* attach to kmemd if one is there, else embedded */
	KMEM_ATTACH_REQUIRE,	/* attach to kmemd or fail */
};

/**
 * struct kmem_options - how kmem_init() builds the allocator.
 * Fill it with kmem_options_init() and change what you need.
 */
struct kmem_options {
	/* Emulate this many NUMA nodes (numa=fake=N); 0 uses the real topology. */
	unsigned int fake_numa;
	/*
	 * Direct map per node: the memory online at start, rounded up to the
	 * section size (4 MiB, or the huge page size if larger).  It grows
	 * a section at a time as allocations need it, up to
	 * @node_max_bytes, and gives idle sections back down to this size
	 * (docs/page_alloc.md, "Memory hotplug").
	 */
	size_t node_direct_bytes;
	/*
	 * The most direct-map memory a node may have online; 0: the node's
	 * share of the machine's MemTotal.  Only address space is taken for
	 * it at start.  Below @node_direct_bytes it is raised to it.
	 */
	size_t node_max_bytes;
	/*
	 * A section wholly free this long goes offline (kswapd does it); 0
	 * picks the default (5000 ms).
	 */
	unsigned int offline_delay_ms;
	/* HIGHMEM pool per node, rounded up to 2 MiB. */
	size_t node_highmem_bytes;
	enum kmem_hugepages hugepages;
	/* log2 of the huge page size: 21 (2 MiB) or 30 (1 GiB). */
	unsigned int hugepage_shift;
	enum kmem_zone_mode zones;
	/* KMEM_ZONES_EMULATE: the first bytes of node 0's direct map for DMA / DMA32. */
	size_t zone_dma_bytes;
	size_t zone_dma32_bytes;
	/* Watermark tunables; 0 picks the kernel's default. */
	unsigned long min_free_kbytes;
	unsigned int watermark_scale_factor;
	unsigned int lowmem_reserve_ratio[4];
	unsigned int percpu_pagelist_high_fraction;
	/*
	 * How long a request that may sleep (order <= PAGE_ALLOC_COSTLY_ORDER,
	 * no __GFP_NORETRY / __GFP_RETRY_MAYFAIL) keeps reclaiming and waiting
	 * for frees before it fails; 0 picks the default (10 s).
	 */
	unsigned int reclaim_timeout_ms;
	/* Run no kswapd thread (background reclaim happens only in callers). */
	bool no_kswapd;
	/*
	 * Record which process allocated each kmalloc object (kmemd: on), so
	 * that the objects a dead client left allocated are accounted to it
	 * and listed (docs/attach.md).  Costs 4 bytes per object and a store on
	 * each kmalloc()/kfree().
	 */
	bool object_owners;
	/* Use per-CPU mutexes instead of rseq, as when rseq is unavailable. */
	bool no_rseq;
	/* Do not print the one-line notices (fallbacks) at init. */
	bool quiet;
	/*
	 * Map the memory at exactly this address (a multiple of the huge page
	 * size), or fail if anything is mapped there; 0: anywhere.  kmemd
	 * sets it so that every attached process can map the memory at the
	 * same place (see docs/attach.md).
	 */
	unsigned long base_address;
	/*
	 * kmem_init(): KMEM_ATTACH_NEVER (the default) builds the allocator
	 * in this process; AUTO and REQUIRE attach to kmemd first (at
	 * $KMEM_SOCKET or the default socket).  Initialisation on first use
	 * reads $KMEM_ATTACH instead (auto, the default, never, require).
	 */
	enum kmem_attach_mode attach;
	/*
	 * The memory is this process's alone (anonymous, MAP_PRIVATE), not
	 * memfds another process can map: a fork()ed child gets a copy of the
	 * whole allocator and of every object, copy-on-write, as it does of a
	 * malloc heap.  Embedded only (no attach, no huge pages from the pool;
	 * kmemctl --embedded reads it through /proc/PID/mem).  The malloc
	 * front end sets it.  vmalloc's pages are then the kernel's anonymous
	 * pages: the struct page vmalloc_to_page() returns stands for the
	 * page in the accounting but its direct-map address is not an alias
	 * of it.
	 */
	bool private_memory;
};

/**
 * kmem_options_init - fill @opts with the defaults, then apply $KMEM_OPTIONS.
 * A malformed item of $KMEM_OPTIONS is named in one line on stderr
 * ("kmem: KMEM_OPTIONS: 'ITEM': why; ignored") and skipped; the other
 * items still apply.
 */
KMEM_API void kmem_options_init(struct kmem_options *opts);
/*
 * The two halves of kmem_options_init(), for a program with defaults of its
 * own (the malloc front end): the library's defaults alone, then $KMEM_OPTIONS
 * over whatever @opts holds, leniently, as kmem_options_init() applies it.
 */
KMEM_API void kmem_options_defaults(struct kmem_options *opts);
KMEM_API void kmem_options_apply_env(struct kmem_options *opts);

/**
 * kmem_options_parse - apply "key=value,key=value" settings to @opts.
 * @opts: options to change
 * @str: the settings; keys: fake_numa, direct_mb, max_mb (0: the node's share
 *	of MemTotal), offline_delay_ms, highmem_mb, hugepages
 *	(auto|require|never), hugepage_size (2M|1G), zones (auto|phys|emulate;
 *	carve is emulate's earlier name),
 *	dma_mb, dma32_mb, min_free_kbytes, watermark_scale_factor,
 *	lowmem_reserve_ratio (a:b:c:d, 0 in a field keeps that zone's
 *	default), percpu_pagelist_high_fraction, reclaim_timeout_ms,
 *	kswapd (on|off), object_owners (on|off), rseq (on|off), quiet (0|1), base_address (0x...,
 *	0: anywhere), attach (never|auto|require), memory (shared|private)
 * @err: on failure, a message naming the bad key or value
 * @errlen: size of @err
 * Strict, unlike $KMEM_OPTIONS: the first bad item (or a string of 512
 * bytes or more) fails the call; the items before it are already applied.
 * Empty items (",,") are nothing.
 * Return: 0, or -EINVAL with @err set.
 */
KMEM_API int kmem_options_parse(struct kmem_options *opts, const char *str, char *err,
				size_t errlen);

/**
 * kmem_init - build the allocator in this process (embedded mode).
 * @opts: options, or NULL for kmem_options_init()'s
 * Context: any thread, before or after other threads exist.
 * Return: 0; -EALREADY if already initialised; -EINVAL for bad options;
 *	-ENOMEM when the memory could not be had (a message says why).
 */
KMEM_API int kmem_init(const struct kmem_options *opts);

/**
 * kmem_exit - tear the allocator down and unmap everything.
 * Every pointer kmem returned becomes invalid.  For tests and for programs
 * that re-initialise with other options; no other thread may be using kmem.
 */
KMEM_API void kmem_exit(void);

/**
 * kmem_attach - use kmemd's memory instead of building our own (attached mode).
 * @socket_path: kmemd's attach socket, or NULL for $KMEM_SOCKET, else
 *	KMEMD_DEFAULT_SOCKET ("/run/kmemd/kmemd.sock")
 *
 * Connects, is authenticated by its credentials, receives the arenas and
 * maps them at the daemon's base address (never elsewhere).  Pointers from
 * kmalloc() and friends are then valid in every attached process.  Nothing
 * in shared memory is initialised: the daemon built it.  The socket stays
 * open while attached; the daemon sees the process go when it closes.
 * Return: 0; -EALREADY if kmem is already initialised (embedded or
 *	attached); -ECONNREFUSED or -ENOENT when no daemon listens; -EPROTO
 *	for a malformed answer; -EEXIST when the base address is taken in this
 *	process; the daemon's errno when it refuses.  A message says why.
 */
KMEM_API int kmem_attach(const char *socket_path);

/**
 * kmem_detach - leave kmemd: tell it, unmap everything, close the socket.
 * Every pointer kmem returned becomes invalid in this process (the objects
 * stay allocated in shared memory).  No other thread may be using kmem.
 * Return: 0, or -EINVAL when not attached.
 */
KMEM_API int kmem_detach(void);

/** struct kmem_info - how this allocator was built. */
struct kmem_info {
	unsigned int nr_nodes;
	unsigned int nr_cpu_ids;
	unsigned int cache_line_size;
	bool fake_numa;
	bool hugetlb;		/* direct maps are hugetlb (else shmem + THP) */
	unsigned int hugepage_shift;
	bool phys_real;		/* page_to_phys() gives real physical addresses */
	/*
	 * page_to_phys() is the page's virtual address (DPDK's "IOVA as VA"):
	 * set whenever phys_real is not (docs/page_alloc.md).
	 */
	bool iova_va;
	bool zones_emulated;	/* DMA / DMA32 are emulated (zones=emulate), not physical */
	bool rseq;		/* per-CPU lists run on rseq (else per-CPU locks) */
	uint64_t total_pages;
	bool attached;		/* attached to kmemd (else embedded) */
	uint32_t client_id;	/* attached: our id with kmemd (page owner); else 0 */
	uintptr_t base;		/* where the memory is mapped */
};
KMEM_API int kmem_get_info(struct kmem_info *info);

/** struct kmem_zone_stats - one zone, as /proc/zoneinfo and buddyinfo show it. */
struct kmem_zone_stats {
	int node;
	const char *name;	/* "DMA", "DMA32", "Normal", "HighMem" */
	uint64_t free_pages;	/* buddy pages, per-CPU lists excluded (as the kernel) */
	uint64_t min, low, high, promo;
	uint64_t spanned, present, managed;
	uint64_t start_pfn;
	uint64_t protection[4];	/* lowmem_reserve */
	uint64_t nr_free[11];	/* free blocks per order */
	uint64_t pcp_count;	/* pages on all CPUs' lists */
	uint32_t pcp_high, pcp_batch;
	uint64_t alloc_fail;
	uint64_t vm_charged;	/* free pages promised to vmalloc areas, not touched yet */
};
/**
 * kmem_zone_stats - read zone @zone (enum zone_type) of node @nid.
 * Return: 0, -EINVAL, or -EUCLEAN when the zone in the shared segment is corrupted.
 */
KMEM_API int kmem_zone_stats(int nid, int zone, struct kmem_zone_stats *st);

/** struct kmem_numa_stats - /sys/devices/system/node/nodeN/numastat */
struct kmem_numa_stats {
	uint64_t numa_hit, numa_miss, numa_foreign;
	uint64_t interleave_hit, local_node, other_node;
};
KMEM_API int kmem_numa_stats(int nid, struct kmem_numa_stats *st);

/** struct kmem_reclaim_stats - node @nid's reclaim counters, named as /proc/vmstat's. */
struct kmem_reclaim_stats {
	uint64_t kswapd_wake;		/* kswapd woken from sleep */
	uint64_t pageoutrun;		/* kswapd reclaim rounds */
	uint64_t kswapd_high_wmark_hit;	/* kswapd runs that left the node balanced */
	uint64_t pgsteal_kswapd;	/* pages kswapd gave back to the free lists */
	uint64_t pgsteal_direct;	/* pages direct reclaim gave back */
	uint64_t allocstall;		/* allocations that entered direct reclaim */
	int kswapd_running;		/* kswapd is balancing the node now */
	int kswapd_present;		/* a kswapd thread serves the node */
};
KMEM_API int kmem_get_reclaim_stats(int nid, struct kmem_reclaim_stats *st);

/** kmem_node_distance - the distance table entry, as numactl -H prints it. */
KMEM_API int kmem_node_distance(int from, int to);
/** kmem_cpu_to_node - the (fake) node CPU @cpu belongs to, -1 if out of range. */
KMEM_API int kmem_cpu_to_node(int cpu);

/*
 * /proc-style views; each returns 0 or -errno: -EUCLEAN (and a "shared
 * segment corrupted" message) when what it reads of the shared segment is
 * out of bounds, as a client could leave it (docs/kmemd.md).
 */
KMEM_API int kmem_show_buddyinfo(FILE *f);
KMEM_API int kmem_show_zoneinfo(FILE *f);
KMEM_API int kmem_show_numastat(FILE *f);

/** struct kmem_cache_stats - one cache, as a /proc/slabinfo row shows it. */
struct kmem_cache_stats {
	char name[48];
	uint64_t active_objs;	/* allocated, or parked in per-CPU object caches */
	uint64_t num_objs;
	uint32_t objsize;	/* stride, metadata included */
	uint32_t object_size;	/* as created */
	uint32_t objperslab;
	uint32_t pagesperslab;
	uint64_t active_slabs, num_slabs;
	uint32_t flags;		/* slab_flags_t in effect (slub_debug included) */
	bool leaked;		/* destroyed with objects left */
	uint64_t debug_reports;	/* corruption / misuse reports for this cache */
	uint64_t ctor_calls;
};
struct kmem_cache;
/** kmem_cache_get_stats - statistics of cache @s. Return: 0 or -EINVAL. */
KMEM_API int kmem_cache_get_stats(struct kmem_cache *s, struct kmem_cache_stats *st);
/**
 * kmem_cache_stats_next - iterate over every cache (kmalloc caches included).
 * @iter: 0 to start; advanced by each call
 * Return: 0 with @st filled, -ENOENT after the last, -EUCLEAN when a cache
 * or its slab lists in the shared segment are corrupted (the walk stops).
 */
KMEM_API int kmem_cache_stats_next(unsigned int *iter, struct kmem_cache_stats *st);
/** kmem_show_slabinfo - /proc/slabinfo, "slabinfo - version: 2.1". */
KMEM_API int kmem_show_slabinfo(FILE *f);

/** struct kmem_vmalloc_stats - this process's vmalloc area. */
struct kmem_vmalloc_stats {
	uint64_t total_bytes;		/* VmallocTotal */
	uint64_t used_bytes;		/* regions, guard pages included */
	uint64_t pages;			/* pages backing them */
	uint64_t nr_areas;
	bool userfaultfd;		/* mapped on first touch (else eagerly) */
	uint64_t fault_around_bytes;
	uint64_t faults;		/* userfaultfd faults handled */
	uint64_t mmaps;			/* mappings made to populate */
	uint64_t pages_mapped;
	/*
	 * Pages promised to the regions and not touched yet (vmalloc() charges
	 * every page when it returns; docs/vmalloc.md): this process's regions
	 * (kmemd: and its clients'), and every process's, from the zones.
	 */
	uint64_t charged;
	uint64_t charged_all;
	uint64_t charge_fail;		/* vmalloc()s refused for want of pages, all processes */
};
KMEM_API int kmem_vmalloc_stats(struct kmem_vmalloc_stats *st);
/** kmem_show_vmallocinfo - /proc/vmallocinfo for this process's regions. */
KMEM_API int kmem_show_vmallocinfo(FILE *f);
/**
 * kmem_set_fault_around_bytes - how much a first touch maps around the
 * faulting page (a power of two from PAGE_SIZE to 16 MiB; default 64 KiB).
 * Return: 0 or -EINVAL.
 */
KMEM_API int kmem_set_fault_around_bytes(unsigned long bytes);

/**
 * kmem_drain_all_pages - return every CPU's per-CPU pages to the buddy lists.
 * Context: may sleep (it runs on each CPU in turn, as the kernel's
 * drain_all_pages() schedules work on each CPU).
 * Return: the number of pages moved.
 */
KMEM_API unsigned long kmem_drain_all_pages(void);

/**
 * kmem_memory_shrink - give back now every direct-map section that is
 * wholly free, down to each node's floor (the memory it started with),
 * after draining the per-CPU lists: the memory leaves the process (its
 * memfd's pages are punched out) and comes back when an allocation needs
 * it.  kswapd does the same by itself for sections free for
 * offline_delay_ms.
 * Context: may sleep.
 * Return: sections taken offline, or -ENOMEM if kmem could not start.
 */
KMEM_API long kmem_memory_shrink(void);

/**
 * struct kmem_memory_block - one section of a node's direct map, as
 * util-linux's lsmem shows a memory block.
 */
struct kmem_memory_block {
	uint64_t start;		/* bytes from the base of kmem's memory */
	uint64_t size;
	int node;
	bool online;
	bool hugetlb;		/* backed by huge pages (else shared memory) */
	bool removable;		/* online, above the floor and wholly free now */
	const char *zone;	/* "Normal", "DMA32", ...: the zone of its first page; NULL offline */
};

/** struct kmem_hotplug_stats - one node's memory hotplug state and events. */
struct kmem_hotplug_stats {
	uint64_t section_bytes;
	uint64_t online_bytes;		/* direct map online now */
	uint64_t max_bytes;		/* the most it may have (max_mb) */
	uint64_t min_bytes;		/* the floor giving back keeps (direct_mb) */
	uint64_t memory_online;		/* sections onlined since start */
	uint64_t memory_offline;	/* sections offlined */
	uint64_t grow_fail;		/* growths that found nothing to online */
	uint64_t hugetlb_refused;	/* sections the huge page pool could not back */
};

/**
 * kmem_memory_online - bring up to @bytes more of node @nid's direct map
 * online now, a section at a time (util-linux's chmem --enable), within
 * its maximum.  Context: may sleep.
 * Return: sections onlined (0 at the maximum), or -EINVAL.
 */
KMEM_API long kmem_memory_online(int nid, size_t bytes);

/** kmem_show_lsmem - the sections as util-linux's lsmem prints memory blocks. */
KMEM_API int kmem_show_lsmem(FILE *f);

/* kmem_stats_print() @flags: which views (none named: all of them), and how. */
#define KMEM_STATS_BUDDYINFO	(1u << 0)
#define KMEM_STATS_ZONEINFO	(1u << 1)
#define KMEM_STATS_SLABINFO	(1u << 2)
#define KMEM_STATS_VMALLOC	(1u << 3)
#define KMEM_STATS_MEMORY	(1u << 4)	/* lsmem and each node's hotplug counters */
#define KMEM_STATS_JSON		(1u << 16)	/* one JSON object instead of the text views */

/**
 * kmem_stats_print - this process's allocator, in-process, as jemalloc's
 * malloc_stats_print() prints its own: the views kmemctl shows (buddyinfo,
 * zoneinfo, slabinfo, vmalloc, memory blocks), as text in their /proc
 * layouts or as one JSON object ({"buddyinfo": [...], "zoneinfo": [...],
 * "slabinfo": [...], "vmalloc": {...}, "memory": {...}}).
 * @write: given the output a piece at a time (NUL-terminated), or NULL for
 *	stderr
 * @arg: passed to @write
 * @flags: KMEM_STATS_*
 * Context: may sleep (the slab view takes the list locks); not from @write.
 * Return: 0, -ENOMEM, or -EUCLEAN when a view found the segment corrupted
 *	(what the other views read is still printed).
 */
KMEM_API int kmem_stats_print(void (*write)(void *arg, const char *text), void *arg,
			      unsigned int flags);

/** kmem_get_hotplug_stats - node @nid's. Return: 0 or -EINVAL. */
KMEM_API int kmem_get_hotplug_stats(int nid, struct kmem_hotplug_stats *st);

/**
 * kmem_memory_blocks - the sections of every node's direct map that are
 * online, or all of them with @all, in address order.
 * @blocks: filled with up to @max entries
 * Return: how many there are (may be more than @max), or -EINVAL.
 */
KMEM_API long kmem_memory_blocks(struct kmem_memory_block *blocks, size_t max, bool all);

/**
 * kmem_set_tunable - change a tunable at run time, as writing
 * /proc/sys/vm/<key> does; the new value is seen by every process sharing
 * kmem's memory.
 * @key: "min_free_kbytes" (0..4294967296), "watermark_scale_factor"
 *	(1..3000), "percpu_pagelist_high_fraction" (0, or 8 and up) or
 *	"reclaim_timeout_ms" (0..3600000)
 * @value: the new value
 *
 * The first three recompute every zone's watermarks, lowmem reserves and
 * per-CPU list limits at once, as the kernel's sysctl handlers do.
 * Context: may sleep; setters are serialised within the process.
 * Return: 0; -EINVAL for an unknown key or a value out of range; -ENOMEM
 *	if kmem could not be initialised.
 */
KMEM_API int kmem_set_tunable(const char *key, unsigned long value);
/** kmem_get_tunable - read a tunable named as for kmem_set_tunable(). Return: 0 or -EINVAL. */
KMEM_API int kmem_get_tunable(const char *key, unsigned long *value);

/**
 * kmem_cache_shrink_name - kmem_cache_shrink() every live cache called
 * @name, or every live cache when @name is NULL (kmemctl's "shrink").
 * Context: may sleep.
 * Return: pages given back to the page allocator; -ENOENT when no live
 *	cache is called @name; -ENOMEM if kmem could not be initialised.
 */
KMEM_API long kmem_cache_shrink_name(const char *name);

/**
 * kmem_set_report_sink - where kmem's reports (Bad page state, warnings,
 * allocation failures) go: @fn is called with each complete message.
 * NULL restores the default, stderr.
 */
KMEM_API void kmem_set_report_sink(void (*fn)(const char *msg, void *arg), void *arg);

/** kmem_report_count - number of reports (bugs and warnings) printed so far. */
KMEM_API unsigned long kmem_report_count(void);

#ifdef __cplusplus
}
#endif

#endif /* _KMEM_KMEM_H */
