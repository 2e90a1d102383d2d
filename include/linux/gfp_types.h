/* SPDX-License-Identifier: MIT */
/*
 * GFP ("get free pages") allocation flags.
 *
 * Every kmem allocator entry point (alloc_pages(), kmalloc(), vmalloc(), ...)
 * takes a gfp_t that says where the memory may come from, whether the caller
 * may sleep for it, how hard to try and what to do on success or failure.
 * Names, bit numbers and values are those of the Linux kernel (v6.10 and
 * later, where the bits are numbered by an enum), so a failure report's
 * "mode:0x%x" reads the same as the kernel's.  Most callers want a plain
 * GFP_KERNEL, or GFP_ATOMIC where they cannot sleep.
 *
 * gfp_t itself is declared in <linux/types.h>.
 */
#ifndef _LINUX_GFP_TYPES_H
#define _LINUX_GFP_TYPES_H

#include <linux/types.h>

/*
 * Bit numbers.  The kernel drops the KASAN, lockdep and slab-extension bits
 * when the matching config option is off; kmem always keeps them, so the
 * layout is the one of a kernel with CONFIG_KASAN_HW_TAGS, CONFIG_LOCKDEP
 * and CONFIG_SLAB_OBJ_EXT all enabled.  Bits 0 to 23 never move.
 */
enum {
	___GFP_DMA_BIT,
	___GFP_HIGHMEM_BIT,
	___GFP_DMA32_BIT,
	___GFP_MOVABLE_BIT,
	___GFP_RECLAIMABLE_BIT,
	___GFP_HIGH_BIT,
	___GFP_IO_BIT,
	___GFP_FS_BIT,
	___GFP_ZERO_BIT,
	___GFP_UNUSED_BIT,	/* 0x200u unused */
	___GFP_DIRECT_RECLAIM_BIT,
	___GFP_KSWAPD_RECLAIM_BIT,
	___GFP_WRITE_BIT,
	___GFP_NOWARN_BIT,
	___GFP_RETRY_MAYFAIL_BIT,
	___GFP_NOFAIL_BIT,
	___GFP_NORETRY_BIT,
	___GFP_MEMALLOC_BIT,
	___GFP_COMP_BIT,
	___GFP_NOMEMALLOC_BIT,
	___GFP_HARDWALL_BIT,
	___GFP_THISNODE_BIT,
	___GFP_ACCOUNT_BIT,
	___GFP_ZEROTAGS_BIT,
	/*
	 * SKIP_ZERO/SKIP_KASAN (CONFIG_KASAN_HW_TAGS, arm64 only), NOLOCKDEP
	 * (CONFIG_LOCKDEP) and NO_OBJ_EXT (CONFIG_SLAB_OBJ_EXT) get no bit, as
	 * on an x86-64 kernel built without those options, so that the mode:0x
	 * values kmem prints are the ones such a kernel prints.
	 */
	___GFP_LAST_BIT
};

/* Plain integer GFP bitmasks.  Do not use these directly; use the __GFP_* names. */
#define ___GFP_DMA		(1u << ___GFP_DMA_BIT)
#define ___GFP_HIGHMEM		(1u << ___GFP_HIGHMEM_BIT)
#define ___GFP_DMA32		(1u << ___GFP_DMA32_BIT)
#define ___GFP_MOVABLE		(1u << ___GFP_MOVABLE_BIT)
#define ___GFP_RECLAIMABLE	(1u << ___GFP_RECLAIMABLE_BIT)
#define ___GFP_HIGH		(1u << ___GFP_HIGH_BIT)
#define ___GFP_IO		(1u << ___GFP_IO_BIT)
#define ___GFP_FS		(1u << ___GFP_FS_BIT)
#define ___GFP_ZERO		(1u << ___GFP_ZERO_BIT)
/* 0x200u unused */
#define ___GFP_DIRECT_RECLAIM	(1u << ___GFP_DIRECT_RECLAIM_BIT)
#define ___GFP_KSWAPD_RECLAIM	(1u << ___GFP_KSWAPD_RECLAIM_BIT)
#define ___GFP_WRITE		(1u << ___GFP_WRITE_BIT)
#define ___GFP_NOWARN		(1u << ___GFP_NOWARN_BIT)
#define ___GFP_RETRY_MAYFAIL	(1u << ___GFP_RETRY_MAYFAIL_BIT)
#define ___GFP_NOFAIL		(1u << ___GFP_NOFAIL_BIT)
#define ___GFP_NORETRY		(1u << ___GFP_NORETRY_BIT)
#define ___GFP_MEMALLOC		(1u << ___GFP_MEMALLOC_BIT)
#define ___GFP_COMP		(1u << ___GFP_COMP_BIT)
#define ___GFP_NOMEMALLOC	(1u << ___GFP_NOMEMALLOC_BIT)
#define ___GFP_HARDWALL		(1u << ___GFP_HARDWALL_BIT)
#define ___GFP_THISNODE		(1u << ___GFP_THISNODE_BIT)
#define ___GFP_ACCOUNT		(1u << ___GFP_ACCOUNT_BIT)
#define ___GFP_ZEROTAGS		(1u << ___GFP_ZEROTAGS_BIT)
#define ___GFP_SKIP_ZERO	0u
#define ___GFP_SKIP_KASAN	0u
#define ___GFP_NOLOCKDEP	0u
#define ___GFP_NO_OBJ_EXT	0u

/**
 * DOC: Zone modifiers
 *
 * Zone modifiers
 * --------------
 *
 * The low four bits (%GFP_ZONEMASK) choose the highest zone the allocation
 * may be served from.  kmem gives every NUMA node the zones of
 * <linux/mmzone.h>: %ZONE_DMA (physical addresses below 16 MiB),
 * %ZONE_DMA32 (below 4 GiB) and %ZONE_NORMAL are carved out of the node's
 * direct map, a set of huge pages from a hugetlb memfd; %ZONE_HIGHMEM is a
 * separate per-node pool of shared memory, managed in 4 KiB pages, from which
 * vmalloc() is built.
 *
 * When the process can read physical frame numbers from /proc/self/pagemap
 * (which needs root), each huge page of the direct map lands in the zone its
 * real physical address belongs to, so %ZONE_DMA and %ZONE_DMA32 memory really
 * lies below 16 MiB and 4 GiB.  Without that access the zones are carved by
 * their configured sizes instead, and %GFP_DMA and %GFP_DMA32 only mean "from
 * the zone configured as DMA (DMA32)"; nothing is promised about the physical
 * address.
 *
 * With no zone modifier the allocation is served from %ZONE_NORMAL or, failing
 * that, a lower zone.  Whatever the highest allowed zone, kmem tries it first
 * and then each lower zone of the preferred node, then does the same on the
 * other nodes in order of increasing NUMA distance (unless %__GFP_THISNODE
 * forbids leaving the preferred node).  Setting more than one of %__GFP_DMA,
 * %__GFP_DMA32 and %__GFP_HIGHMEM is invalid, as in the kernel.
 *
 * %__GFP_DMA restricts the allocation to %ZONE_DMA.  It exists for old
 * devices that can only address the first 16 MiB; new code should not need
 * it.
 *
 * %__GFP_DMA32 makes %ZONE_DMA32 the highest allowed zone, for devices limited
 * to 32-bit addresses; %ZONE_DMA is the fallback.
 *
 * %__GFP_HIGHMEM makes %ZONE_HIGHMEM the highest allowed zone, falling back to
 * %ZONE_NORMAL and below.  Use it only when the memory need not be in the
 * direct map: as in the kernel, a highmem page must not be assumed to have a
 * direct-map address and is reached through a temporary mapping instead.
 *
 * %__GFP_MOVABLE is a zone modifier in the kernel, where together with
 * %__GFP_HIGHMEM it allows %ZONE_MOVABLE.  kmem has no %ZONE_MOVABLE, so it
 * never changes which zone is used; see "Page mobility and placement hints".
 */
#define __GFP_DMA	((__force gfp_t)___GFP_DMA)
#define __GFP_HIGHMEM	((__force gfp_t)___GFP_HIGHMEM)
#define __GFP_DMA32	((__force gfp_t)___GFP_DMA32)
#define __GFP_MOVABLE	((__force gfp_t)___GFP_MOVABLE)	/* ZONE_MOVABLE allowed (not in kmem) */
#define GFP_ZONEMASK	(__GFP_DMA | __GFP_HIGHMEM | __GFP_DMA32 | __GFP_MOVABLE)

/**
 * DOC: Page mobility and placement hints
 *
 * Page mobility and placement hints
 * ---------------------------------
 *
 * In the kernel these flags tell the page allocator how easily a page can be
 * moved or given back, so that pages of the same kind share pageblocks and
 * fragmentation stays low, and they steer placement between nodes and zones.
 *
 * %__GFP_MOVABLE declares that the page could be migrated or reclaimed later,
 * as user and page cache pages can.  kmem records it but has no migration and
 * no compaction, so it does not affect placement.
 *
 * %__GFP_RECLAIMABLE is set for slab pages of caches created with
 * %SLAB_RECLAIM_ACCOUNT, whose objects a shrinker can free on demand.  kmem
 * records it; like %__GFP_MOVABLE it does not affect placement.
 *
 * %__GFP_WRITE tells the allocator that the caller is going to dirty the page,
 * which the kernel uses to spread dirty pages across zones.  kmem keeps no
 * dirty-page accounting: the flag is accepted and has no effect.
 *
 * %__GFP_HARDWALL asks that the cpuset of the calling task be strictly
 * enforced.  kmem has no cpusets, so it is accepted and ignored.
 *
 * %__GFP_THISNODE confines the allocation to the requested (or local) node.
 * kmem still falls back between that node's zones, from the highest allowed
 * one down, but never moves to another node; when the node is exhausted the
 * allocation fails rather than spill over.  Use it for per-node data that is
 * worthless if placed elsewhere.
 *
 * %__GFP_ACCOUNT charges the allocation to the memory cgroup of the caller.
 * kmem has no memory cgroups: the flag is accepted and ignored.
 *
 * %__GFP_NO_OBJ_EXT stops the slab allocator from attaching an object
 * extension vector (memcg and allocation-profiling data) to the slab, and is
 * used when allocating such vectors themselves.  kmem keeps no per-object
 * extension data, so it is accepted and ignored.
 */
#define __GFP_RECLAIMABLE	((__force gfp_t)___GFP_RECLAIMABLE)
#define __GFP_WRITE		((__force gfp_t)___GFP_WRITE)
#define __GFP_HARDWALL		((__force gfp_t)___GFP_HARDWALL)
#define __GFP_THISNODE		((__force gfp_t)___GFP_THISNODE)
#define __GFP_ACCOUNT		((__force gfp_t)___GFP_ACCOUNT)
#define __GFP_NO_OBJ_EXT	((__force gfp_t)___GFP_NO_OBJ_EXT)

/**
 * DOC: Watermark modifiers
 *
 * Watermark modifiers -- access to the emergency reserves
 * -------------------------------------------------------
 *
 * Every zone keeps min, low and high watermarks.  Ordinary allocations stop at
 * the min watermark; the pages below it are a reserve for callers that must
 * make progress.  These flags control who may use that reserve.
 *
 * %__GFP_HIGH marks a high-priority request whose success is needed for the
 * system to move forward, typically one made from atomic context that cannot
 * wait for reclaim.  It may go below the min watermark and use part of the
 * reserve, never all of it.  %GFP_ATOMIC includes it.
 *
 * %__GFP_MEMALLOC ignores the watermarks and may take every last free page,
 * as in the kernel.  Only code that will give back more memory very soon
 * because of this allocation (the allocator's own reclaim paths, or something
 * working closely with them) may use it, and it must throttle itself so that
 * it cannot drain the reserve.  A preallocated pool such as a mempool is
 * almost always the better answer.
 *
 * %__GFP_NOMEMALLOC forbids the unlimited reserve access of %__GFP_MEMALLOC
 * and wins when both are set.  It does not take away the partial access
 * granted by %__GFP_HIGH.
 */
#define __GFP_HIGH		((__force gfp_t)___GFP_HIGH)
#define __GFP_MEMALLOC		((__force gfp_t)___GFP_MEMALLOC)
#define __GFP_NOMEMALLOC	((__force gfp_t)___GFP_NOMEMALLOC)

/**
 * DOC: Reclaim modifiers
 *
 * Reclaim modifiers
 * -----------------
 *
 * These flags only matter to allocations that are allowed to sleep, i.e. that
 * carry %__GFP_DIRECT_RECLAIM; %GFP_ATOMIC and %GFP_NOWAIT requests never
 * reclaim directly and ignore them.
 *
 * %__GFP_IO allows reclaim to start physical I/O, and %__GFP_FS allows it to
 * call back into filesystem code, which a caller already holding filesystem
 * locks must avoid.  kmem runs in userspace and has no I/O or filesystem of
 * its own to avoid: the bits reach the registered shrinkers with the rest of
 * the mask, and matter only to shrinkers that check them.
 *
 * %__GFP_DIRECT_RECLAIM lets the caller sleep and reclaim memory itself when
 * free memory runs short.  In kmem direct reclaim drains the per-CPU page
 * lists, gives back empty slabs, runs the registered shrinkers and waits for
 * RCU-deferred frees to complete; if that is not enough the caller waits for
 * memory to be freed and retries.  An allocation with this flag must never be
 * made inside a kmem atomic section (a spinlock held, a signal handler, ...):
 * might_sleep() reports it.  Clear the flag when a cheap fallback exists and
 * a delay is not worth it.
 *
 * %__GFP_KSWAPD_RECLAIM wakes the node's kswapd thread when a zone drops below
 * its low watermark; kswapd then reclaims in the background until the zone is
 * back above its high watermark.  A caller with a cheap fallback may clear it
 * to avoid disturbing the rest of the system, as the kernel does for
 * transparent huge pages.
 *
 * %__GFP_RECLAIM is shorthand for both reclaim flags together.
 *
 * By default a sleeping request is persistent: it reclaims, waits for memory
 * to be freed and tries again; as in the kernel, orders up to
 * %PAGE_ALLOC_COSTLY_ORDER are treated as too small to fail, while costlier
 * ones give up sooner.  The next three flags change that policy.
 *
 * %__GFP_NORETRY: do one round of reclaim and, if the allocation still cannot
 * be satisfied, return NULL.  Suited to callers for whom failure is cheap,
 * such as an optional cache or a bigger buffer with a smaller fallback; under
 * pressure it fails often, so the failure path must be real.
 *
 * %__GFP_RETRY_MAYFAIL: keep reclaiming and retrying while that makes
 * progress, but only for a bounded number of rounds, then return NULL.  It
 * tries much harder than %__GFP_NORETRY, so a failure means memory is truly
 * short; the caller should fail the higher-level operation, and free whatever
 * it can spare if it is able to.
 *
 * %__GFP_NOFAIL: never return NULL.  kmem keeps reclaiming and waiting for as
 * long as it takes, possibly forever, so checking the result is pointless.
 * Use it only where no sensible failure policy exists; it is still better
 * than an open-coded retry loop around the allocator.  High-order requests
 * with it are strongly discouraged and draw a one-time warning.
 */
#define __GFP_IO		((__force gfp_t)___GFP_IO)
#define __GFP_FS		((__force gfp_t)___GFP_FS)
#define __GFP_DIRECT_RECLAIM	((__force gfp_t)___GFP_DIRECT_RECLAIM)	/* caller may reclaim */
#define __GFP_KSWAPD_RECLAIM	((__force gfp_t)___GFP_KSWAPD_RECLAIM)	/* kswapd may be woken */
#define __GFP_RECLAIM		((__force gfp_t)(___GFP_DIRECT_RECLAIM | ___GFP_KSWAPD_RECLAIM))
#define __GFP_RETRY_MAYFAIL	((__force gfp_t)___GFP_RETRY_MAYFAIL)
#define __GFP_NOFAIL		((__force gfp_t)___GFP_NOFAIL)
#define __GFP_NORETRY		((__force gfp_t)___GFP_NORETRY)

/**
 * DOC: Action modifiers
 *
 * Action modifiers
 * ----------------
 *
 * %__GFP_NOWARN keeps a failed allocation quiet: no failure report (with its
 * mode:0x%x line and memory summary) is printed.  Use it when failure is
 * expected and handled, e.g. before falling back to a smaller request.
 *
 * %__GFP_COMP makes a multi-page allocation a compound page: the head page
 * records the order and the tail pages point back to it, so the whole block
 * can be handled as one unit (folios, large kmalloc() buffers).
 *
 * %__GFP_ZERO returns memory that has been cleared to zero.
 *
 * %__GFP_ZEROTAGS, in the kernel, also clears hardware memory tags while the
 * memory is being zeroed.  kmem has no memory tagging: accepted and ignored.
 *
 * %__GFP_SKIP_ZERO lets the kernel's hardware-tag KASAN skip zeroing on
 * allocation.  kmem ignores it; %__GFP_ZERO still zeroes.
 *
 * %__GFP_SKIP_KASAN tells the kernel's hardware-tag KASAN not to unpoison the
 * page on allocation (user and vmalloc pages).  kmem has no KASAN: accepted
 * and ignored.  It is part of %GFP_HIGHUSER_MOVABLE, as in the kernel.
 *
 * %__GFP_NOLOCKDEP hides the allocation from lockdep's tracking of reclaim
 * context, for callers that would otherwise trigger false reports.  kmem has
 * no lockdep: accepted and ignored.
 */
#define __GFP_NOWARN		((__force gfp_t)___GFP_NOWARN)
#define __GFP_COMP		((__force gfp_t)___GFP_COMP)
#define __GFP_ZERO		((__force gfp_t)___GFP_ZERO)
#define __GFP_ZEROTAGS		((__force gfp_t)___GFP_ZEROTAGS)
#define __GFP_SKIP_ZERO		((__force gfp_t)___GFP_SKIP_ZERO)
#define __GFP_SKIP_KASAN	((__force gfp_t)___GFP_SKIP_KASAN)
#define __GFP_NOLOCKDEP		((__force gfp_t)___GFP_NOLOCKDEP)

/* Room for N __GFP_FOO bits */
#define __GFP_BITS_SHIFT	___GFP_LAST_BIT
#define __GFP_BITS_MASK		((__force gfp_t)((1u << __GFP_BITS_SHIFT) - 1))

/**
 * DOC: Useful GFP flag combinations
 *
 * Useful GFP flag combinations
 * ----------------------------
 *
 * Start from one of these and add or remove individual %__GFP_* flags as
 * needed.
 *
 * %GFP_ATOMIC is for callers that cannot sleep yet need the allocation to
 * succeed.  It never sleeps or reclaims directly, may go below the min
 * watermark into part of the reserve, and wakes kswapd.  In kmem it is safe to
 * call from a signal handler, the userspace counterpart of interrupt context,
 * and inside kmem atomic sections.
 *
 * %GFP_KERNEL is the normal choice for internal allocations.  The memory comes
 * from %ZONE_NORMAL or below, so it is always in the direct map, and the
 * caller may sleep: direct reclaim (per-CPU lists drained, empty slabs freed,
 * shrinkers run, RCU-deferred frees waited for) and then waiting for memory to
 * be freed.  It is never allowed inside a kmem atomic section; might_sleep()
 * reports such a call.
 *
 * %GFP_KERNEL_ACCOUNT is %GFP_KERNEL with %__GFP_ACCOUNT; in kmem, which has no
 * memory cgroups, it behaves exactly like %GFP_KERNEL.
 *
 * %GFP_NOWAIT is for allocations that must not sleep but can cope with
 * failure.  It never reclaims directly and never touches the reserves, but
 * wakes the node's kswapd so that memory is freed in the background.  It fails
 * readily, even for small sizes, and quietly: since kernel v6.8 it includes
 * %__GFP_NOWARN.
 *
 * %GFP_NOIO may reclaim but must not start I/O, and %GFP_NOFS may reclaim but
 * must not reenter filesystem code.  In kmem both sleep and reclaim like
 * %GFP_KERNEL; the missing bits are only seen by shrinkers that check them.
 *
 * %GFP_USER is for memory handed to user-facing consumers that the allocator's
 * own code or a device must still reach directly.  It is %GFP_KERNEL plus
 * %__GFP_HARDWALL, which kmem ignores.
 *
 * %GFP_DMA asks for %ZONE_DMA memory and %GFP_DMA32 for memory at or below
 * %ZONE_DMA32.  They only guarantee a real physical address limit when kmem
 * reads /proc/self/pagemap; otherwise they select the zones configured as DMA
 * and DMA32.  %GFP_DMA is a legacy interface that new code should avoid.
 *
 * %GFP_HIGHUSER is %GFP_USER that may also come from %ZONE_HIGHMEM, for pages
 * that do not need a direct-map address but will not move once in use.
 *
 * %GFP_HIGHUSER_MOVABLE adds the mobility hint to %GFP_HIGHUSER, for pages that
 * in the kernel could be migrated or reclaimed later (LRU pages).  kmem places
 * them exactly as %GFP_HIGHUSER.
 *
 * %GFP_TRANSHUGE_LIGHT and %GFP_TRANSHUGE are for opportunistic large compound
 * allocations (transparent huge pages in the kernel).  Both are quiet, never
 * use the reserves, and do not wake kswapd, so they fail quickly when memory
 * is short; the _LIGHT variant does no reclaim at all, while %GFP_TRANSHUGE
 * may reclaim directly.  As kmem has no compaction, reclaim only helps if it
 * frees a large enough contiguous block.
 */
#define GFP_ATOMIC		(__GFP_HIGH | __GFP_KSWAPD_RECLAIM)
#define GFP_KERNEL		(__GFP_RECLAIM | __GFP_IO | __GFP_FS)
#define GFP_KERNEL_ACCOUNT	(GFP_KERNEL | __GFP_ACCOUNT)
#define GFP_NOWAIT		(__GFP_KSWAPD_RECLAIM | __GFP_NOWARN)
#define GFP_NOIO		(__GFP_RECLAIM)
#define GFP_NOFS		(__GFP_RECLAIM | __GFP_IO)
#define GFP_USER		(__GFP_RECLAIM | __GFP_IO | __GFP_FS | __GFP_HARDWALL)
#define GFP_DMA			__GFP_DMA
#define GFP_DMA32		__GFP_DMA32
#define GFP_HIGHUSER		(GFP_USER | __GFP_HIGHMEM)
#define GFP_HIGHUSER_MOVABLE	(GFP_HIGHUSER | __GFP_MOVABLE | __GFP_SKIP_KASAN)
#define GFP_TRANSHUGE_LIGHT	((GFP_HIGHUSER_MOVABLE | __GFP_COMP | \
				  __GFP_NOMEMALLOC | __GFP_NOWARN) & ~__GFP_RECLAIM)
#define GFP_TRANSHUGE		(GFP_TRANSHUGE_LIGHT | __GFP_DIRECT_RECLAIM)

#endif /* _LINUX_GFP_TYPES_H */
