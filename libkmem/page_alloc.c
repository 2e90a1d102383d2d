// SPDX-License-Identifier: MIT
/*
 * page_alloc.c - the buddy allocator: per-zone free lists of 2^order blocks
 * (orders 0..MAX_PAGE_ORDER), per-CPU page lists for orders 0..3, zonelists
 * and watermarks.
 *
 * Allocation, as in the kernel:
 *
 *   __alloc_pages()
 *     prepare_alloc_pages()            zonelist, highest zone, CPU, node
 *     get_page_from_freelist()         each allowed zone of the zonelist,
 *       zone_watermark_fast()          above the low watermark?
 *       rmqueue()
 *         rmqueue_pcplist()            orders 0..3: this CPU's list (rseq pop)
 *           __rmqueue_pcplist_refill() list empty: a batch from the buddy
 *         rmqueue_buddy()              higher orders: zone lock, split
 *     __alloc_pages_slowpath()         min watermark and the reserves the
 *                                      GFP flags grant, drain the per-CPU
 *                                      lists and retry; __GFP_NOFAIL waits
 *
 * Freeing: __free_pages() checks the page (owned by kmem, allocated, right
 * order), drops the reference, and puts orders 0..3 on this CPU's list
 * (flushing a batch to the buddy when it reaches pcp->high); higher orders
 * go straight to __free_one_page(), which merges buddies.
 *
 * Lock order:
 *   1. per_cpu_pages::lock (KMEM_PCP_LOCKED mode only)
 *   2. zone::lock
 * The rseq per-CPU lists take no lock at all.  zone::lock protects the
 * zone's free_area lists, free_pages and the PG_buddy/order fields of the
 * pages on them.  Pages are never moved between zones.
 *
 * Physical contiguity: any block of order <= 9 lies in one 2 MiB huge page
 * and is physically contiguous.  An order-10 block joins two huge pages and
 * is merged only if they are physically adjacent when real physical
 * addresses are known; otherwise (no pagemap access, shmem fallback) it is
 * virtually contiguous only.  HIGHMEM blocks are virtually contiguous only.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "kasan.h"
#include "os.h"

/* The kernel's alloc_flags (mm/internal.h) that kmem uses. */
#define ALLOC_WMARK_MIN		WMARK_MIN
#define ALLOC_WMARK_LOW		WMARK_LOW
#define ALLOC_WMARK_HIGH	WMARK_HIGH
#define ALLOC_NO_WATERMARKS	0x04
#define ALLOC_WMARK_MASK	(ALLOC_NO_WATERMARKS - 1)
#define ALLOC_OOM		0x08
#define ALLOC_NON_BLOCK		0x10	/* caller cannot block: more reserves */
#define ALLOC_MIN_RESERVE	0x20	/* __GFP_HIGH: half the min reserve */
#define ALLOC_KSWAPD		0x800	/* wake kswapd (__GFP_KSWAPD_RECLAIM) */
/* direct reclaim rounds before __GFP_RETRY_MAYFAIL gives up (the kernel's count) */
#define MAX_RECLAIM_RETRIES	16
#define ALLOC_RESERVES		(ALLOC_NON_BLOCK | ALLOC_MIN_RESERVE | ALLOC_OOM)

/* The fixed parameters of one allocation, passed down by const pointer. */
struct alloc_context {
	const u16 *zonelist;
	unsigned int preferred_zone;	/* zone id; ZONE_ID_NIL if none allowed */
	enum zone_type highest_zoneidx;
	enum zone_type lowest_zoneidx;	/* ZONE_HIGHMEM for vmalloc's pages */
	int preferred_nid;
	int cpu;			/* read at entry; < 0: no per-CPU lists */
};

/* ------------------------------------------------------------------ */
/* locks                                                               */
/* ------------------------------------------------------------------ */

static inline void zone_lock(struct zone *zone)
{
	kmem_mutex_lock(&zone->lock);
}

static inline void zone_unlock(struct zone *zone)
{
	kmem_mutex_unlock(&zone->lock);
}

/* ------------------------------------------------------------------ */
/* free lists (caller holds zone->lock)                                */
/* ------------------------------------------------------------------ */

static inline void __set_page_buddy(struct page *page, unsigned int order)
{
	WRITE_ONCE(page->order, (u8)order);
	WRITE_ONCE(page->flags, READ_ONCE(page->flags) | PG_buddy);
}

static inline void __clear_page_buddy(struct page *page)
{
	WRITE_ONCE(page->flags, READ_ONCE(page->flags) & ~PG_buddy);
}

static inline void add_to_free_list(struct page *page, struct zone *zone, unsigned int order)
{
	struct free_area *area = &zone->free_area[order];
	u32 pfn = (u32)__page_to_pfn(page);

	page->buddy.prev = PFN_NIL;
	page->buddy.next = area->head;
	if (area->head != PFN_NIL)
		__pfn_to_page(area->head)->buddy.prev = pfn;
	/* the head, like nr_free, is read without the lock by the views' checks */
	WRITE_ONCE(area->head, pfn);
	WRITE_ONCE(area->nr_free, area->nr_free + 1);
	__set_page_buddy(page, order);
}

static inline void del_page_from_free_list(struct page *page, struct zone *zone,
					   unsigned int order)
{
	struct free_area *area = &zone->free_area[order];

	if (page->buddy.prev == PFN_NIL)
		WRITE_ONCE(area->head, page->buddy.next);
	else
		__pfn_to_page(page->buddy.prev)->buddy.next = page->buddy.next;
	if (page->buddy.next != PFN_NIL)
		__pfn_to_page(page->buddy.next)->buddy.prev = page->buddy.prev;
	WRITE_ONCE(area->nr_free, area->nr_free - 1);
	__clear_page_buddy(page);
}

/* Is @buddy the head of a free block of @order in @zone? */
static inline bool page_is_buddy(const struct zone *zone, const struct page *buddy,
				 unsigned int order)
{
	return (READ_ONCE(buddy->flags) & PG_buddy) && READ_ONCE(buddy->order) == order &&
	       buddy->zone_id == zone->node * MAX_NR_ZONES + zone->idx;
}

/*
 * May the block at @lo (order @order, at least a huge page) merge with its
 * upper buddy?  Only if the two are physically adjacent, where we know.
 */
static bool hpages_adjacent(u64 lo, unsigned int order)
{
	u64 hi = lo + (1ULL << order);

	u64 hi_phys = kmem_mm.hpage_phys[hi >> HPAGE_PFN_SHIFT];
	u64 lo_phys = kmem_mm.hpage_phys[(hi >> HPAGE_PFN_SHIFT) - 1];

	u64 lo_first = kmem_mm.hpage_phys[lo >> HPAGE_PFN_SHIFT];

	/* unknown addresses (HIGHMEM, no pagemap): virtual contiguity is all we promise */
	if (!hi_phys || !lo_phys)
		return true;
	/* physically adjacent, and the merged block aligned to its size there too */
	return hi_phys == lo_phys + (1ULL << (HPAGE_PFN_SHIFT + PAGE_SHIFT)) &&
	       !(lo_first & ((PAGE_SIZE << (order + 1)) - 1));
}

/* Journal the free block being merged or split (see struct zone). */
static inline void zone_inflight(struct zone *zone, u64 pfn, unsigned int order)
{
	zone->inflight_order = order;
	WRITE_ONCE(zone->inflight_pfn1, (u32)(pfn + 1));
}

static inline void zone_inflight_done(struct zone *zone)
{
	WRITE_ONCE(zone->inflight_pfn1, 0);
}

/*
 * The kernel's __free_one_page(): merge with free buddies, then list.
 * The block is the caller's until here, marked with its owner so that the
 * daemon takes it back if the caller dies first; from here it is the
 * zone's, journaled until listed.
 */
static void __free_one_page(struct zone *zone, u64 pfn, unsigned int order)
{
	zone_inflight(zone, pfn, order);
	__pfn_to_page(pfn)->owner = 0;
	WRITE_ONCE(zone->free_pages, zone->free_pages + (1ULL << order));
	while (order < MAX_PAGE_ORDER) {
		u64 buddy_pfn = pfn ^ (1ULL << order);
		struct page *buddy;

		if (buddy_pfn >= kmem_mm.total_pages)
			break;
		buddy = __pfn_to_page(buddy_pfn);
		if (!page_is_buddy(zone, buddy, order))
			break;
		if (order >= HPAGE_PFN_SHIFT && !hpages_adjacent(pfn & buddy_pfn, order))
			break;
		/* journal the merged block before its half leaves the list */
		zone_inflight(zone, pfn & buddy_pfn, order + 1);
		del_page_from_free_list(buddy, zone, order);
		pfn &= buddy_pfn;
		order++;
	}
	add_to_free_list(__pfn_to_page(pfn), zone, order);
	zone_inflight_done(zone);
}

/* Split a block of order @high down to @low, listing the upper halves. */
static inline void expand(struct zone *zone, struct page *page, unsigned int low,
			  unsigned int high)
{
	u64 size = 1ULL << high;

	while (high > low) {
		high--;
		size >>= 1;
		add_to_free_list(&page[size], zone, high);
	}
}

static struct page *__rmqueue_smallest(struct zone *zone, unsigned int order)
{
	unsigned int current_order;

	for (current_order = order; current_order < NR_PAGE_ORDERS; current_order++) {
		struct free_area *area = &zone->free_area[current_order];
		struct page *page;

		if (area->head == PFN_NIL)
			continue;
		page = __pfn_to_page(area->head);
		zone_inflight(zone, __page_to_pfn(page), current_order);
		del_page_from_free_list(page, zone, current_order);
		expand(zone, page, order, current_order);
		WRITE_ONCE(zone->free_pages, zone->free_pages - (1ULL << order));
		/*
		 * The caller's now: a dead caller's block goes back by its owner
		 * and order (the order field still says the block it was cut from).
		 */
		WRITE_ONCE(page->order, (u8)order);
		page->owner = kmem_mm.owner;
		zone_inflight_done(zone);
		return page;
	}
	return NULL;
}

/* Take up to @count blocks of @order for a per-CPU list. */
static unsigned int rmqueue_bulk(struct zone *zone, unsigned int order, unsigned int count,
				 u32 *pfns)
{
	unsigned int i;

	zone_lock(zone);
	for (i = 0; i < count; i++) {
		struct page *page = __rmqueue_smallest(zone, order);

		if (!page)
			break;
		pfns[i] = (u32)__page_to_pfn(page);
	}
	zone_unlock(zone);
	return i;
}

static void free_pcppages_bulk(struct zone *zone, const u32 *pfns, unsigned int count,
			       unsigned int order)
{
	unsigned int i;

	if (!count)
		return;
	zone_lock(zone);
	for (i = 0; i < count; i++)
		__free_one_page(zone, pfns[i], order);
	zone->pgfree += count;
	zone_unlock(zone);
}

/*
 * Hand [@pfn, +@nr_pages) of one zone, reserved until now, to the buddy
 * lists in the largest aligned blocks.  Caller holds zone->lock.
 */
static void free_reserved_range(struct zone *zone, u64 pfn, u64 nr_pages)
{
	u64 end = pfn + nr_pages;

	while (pfn < end) {
		/* above a huge page, __free_one_page() merges only adjacent ones */
		unsigned int order = HPAGE_PFN_SHIFT;

		while (order && ((pfn & ((1ULL << order) - 1)) || pfn + (1ULL << order) > end))
			order--;
		for (u64 i = 1; i < (1ULL << order); i++)
			__pfn_to_page(pfn + i)->flags &= ~PG_reserved;
		__pfn_to_page(pfn)->flags &= ~PG_reserved;
		__free_one_page(zone, pfn, order);
		pfn += 1ULL << order;
	}
}

/**
 * __kmem_online_chunk - count [@pfn, +@nr_pages) (one zone, struct pages
 * written, reserved) in its zone's span, present and managed pages, and
 * free it.  At init, and for a section coming online (memory_hotplug.c).
 */
void __kmem_online_chunk(u64 pfn, u64 nr_pages)
{
	struct zone *zone;

	if (!nr_pages)
		return;
	zone = page_zone(__pfn_to_page(pfn));
	zone_lock(zone);
	if (!zone->present_pages) {
		WRITE_ONCE(zone->zone_start_pfn, pfn);
		WRITE_ONCE(zone->spanned_pages, nr_pages);
	} else {
		u64 end = zone->zone_start_pfn + zone->spanned_pages;

		if (pfn + nr_pages > end)
			end = pfn + nr_pages;
		if (pfn < zone->zone_start_pfn)
			WRITE_ONCE(zone->zone_start_pfn, pfn);
		WRITE_ONCE(zone->spanned_pages, end - zone->zone_start_pfn);
	}
	WRITE_ONCE(zone->present_pages, zone->present_pages + nr_pages);
	WRITE_ONCE(zone->managed_pages, zone->managed_pages + nr_pages);
	free_reserved_range(zone, pfn, nr_pages);
	zone_unlock(zone);
	kmem_free_wakeup();
}

/* The direct zones of a node (HIGHMEM never goes offline), in index order. */
void __kmem_lock_node_zones(struct pglist_data *pgdat)
{
	unsigned int z;

	for (z = 0; z < MAX_NR_ZONES; z++)
		zone_lock(&pgdat->node_zones[z]);
}

void __kmem_unlock_node_zones(struct pglist_data *pgdat)
{
	unsigned int z = MAX_NR_ZONES;

	while (z--)
		zone_unlock(&pgdat->node_zones[z]);
}

/**
 * __kmem_isolate_range - the kernel's start_isolate_page_range() and
 * test_pages_isolated() in one: if every page of [@pfn, +@nr_pages) heads
 * or lies in a free block inside the range, take the blocks off their
 * lists, out of the zones' counts, and mark them reserved.
 * Context: the node's zone locks held.  Return: 0 or -EBUSY.
 */
int __kmem_isolate_range(u64 pfn, u64 nr_pages)
{
	u64 end = pfn + nr_pages, p;

	for (p = pfn; p < end;) {
		const struct page *page = __pfn_to_page(p);
		unsigned int o = page->order;

		if (!(page->flags & PG_buddy) || o > MAX_PAGE_ORDER || (p & ((1ULL << o) - 1)) ||
		    p + (1ULL << o) > end)
			return -EBUSY;
		p += 1ULL << o;
	}
	for (p = pfn; p < end;) {
		struct page *page = __pfn_to_page(p);
		struct zone *zone = page_zone(page);
		unsigned int o = page->order;
		u64 size = 1ULL << o;

		del_page_from_free_list(page, zone, o);
		page->flags |= PG_reserved;
		WRITE_ONCE(zone->free_pages, zone->free_pages - size);
		WRITE_ONCE(zone->present_pages, zone->present_pages - size);
		WRITE_ONCE(zone->managed_pages, zone->managed_pages - size);
		if (!zone->present_pages) {
			WRITE_ONCE(zone->zone_start_pfn, 0);
			WRITE_ONCE(zone->spanned_pages, 0);
		}
		p += size;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* per-CPU page lists                                                  */
/* ------------------------------------------------------------------ */

static inline int pcp_lock_cpu(void)
{
	int cpu = sched_getcpu();

	return cpu < 0 || cpu >= (int)kmem_mm.nr_cpu_ids ? 0 : cpu;
}

static inline void pcp_lock(struct per_cpu_pages *pcp)
{
	kmem_mutex_lock(&pcp->lock);
}

static inline void pcp_unlock(struct per_cpu_pages *pcp)
{
	kmem_mutex_unlock(&pcp->lock);
}

/*
 * Pop one block of @order from the list of the CPU we run on.
 * Return: 1 with *@pfn and *@cpu (the CPU whose list it came from); 0 when
 * that list is empty (*@cpu set); -1 when this thread has no per-CPU list.
 */
static __always_inline int pcp_pop(struct zone *zone, unsigned int order, int *cpu, u32 *pfn,
				   u64 delta)
{
	struct per_cpu_pages *pcp;
	int ret;

	if (likely(kmem_mm.pcp_mode == KMEM_PCP_RSEQ)) {
		for (;;) {
			if (unlikely(*cpu < 0))
				return -1;
			pcp = zone_pcp(zone, *cpu);
			ret = percpu_stack_pop(&pcp->word[order], pcp->slots[order], *cpu, pfn, delta);
			if (likely(ret >= 0))
				return ret;
			*cpu = rseq_current_cpu();
		}
	}
	*cpu = pcp_lock_cpu();
	pcp = zone_pcp(zone, *cpu);
	pcp_lock(pcp);
	ret = percpu_stack_pop_locked(&pcp->word[order], pcp->slots[order], pfn, delta);
	pcp_unlock(pcp);
	return ret;
}

/* Push a block onto this CPU's list.  Return: 1 done, 0 full, -1 no list. */
static __always_inline int pcp_push(struct zone *zone, unsigned int order, int *cpu, u32 pfn)
{
	struct per_cpu_pages *pcp;
	int ret;

	if (likely(kmem_mm.pcp_mode == KMEM_PCP_RSEQ)) {
		for (;;) {
			if (unlikely(*cpu < 0))
				return -1;
			pcp = zone_pcp(zone, *cpu);
			ret = percpu_stack_push(&pcp->word[order], pcp->slots[order], *cpu,
						READ_ONCE(pcp->high[order]), pfn);
			if (likely(ret >= 0))
				return ret;
			*cpu = rseq_current_cpu();
		}
	}
	*cpu = pcp_lock_cpu();
	pcp = zone_pcp(zone, *cpu);
	pcp_lock(pcp);
	ret = percpu_stack_push_locked(&pcp->word[order], pcp->slots[order],
				       READ_ONCE(pcp->high[order]), pfn);
	pcp_unlock(pcp);
	return ret;
}

/* Move up to @count blocks off the current CPU's list into @pfns. */
static unsigned int pcp_take(struct zone *zone, unsigned int order, int cpu, unsigned int count,
			     u32 *pfns)
{
	unsigned int n = 0;

	/* in our hands until __free_one_page(): ours, should we die meanwhile */
	while (n < count && pcp_pop(zone, order, &cpu, &pfns[n], PCP_POP_UNCOUNTED) > 0)
		__pfn_to_page(pfns[n++])->owner = kmem_mm.owner;
	return n;
}

/*
 * The list was empty: take a batch from the buddy allocator, keep the first
 * block for the caller and list the rest on this CPU.
 */
static noinline struct page *__rmqueue_pcplist_refill(struct zone *zone, unsigned int order,
						      int cpu)
{
	u32 pfns[PCP_SLOTS];
	unsigned int batch = READ_ONCE(zone_pcp(zone, cpu)->batch[order]), n, i;

	n = rmqueue_bulk(zone, order, batch, pfns);
	if (!n)
		return NULL;
	for (i = 1; i < n; i++) {
		/* a block on a per-CPU list is no one's (see __kmem_client_gone()) */
		__pfn_to_page(pfns[i])->owner = 0;
		if (pcp_push(zone, order, &cpu, pfns[i]) <= 0) {
			__pfn_to_page(pfns[i])->owner = kmem_mm.owner;
			break;
		}
	}
	/* A full or vanished list (migrated meanwhile): the rest goes back. */
	free_pcppages_bulk(zone, pfns + i, n - i, order);
	return __pfn_to_page(pfns[0]);
}

/* The list reached pcp->high: send a batch to the buddy lists, then push. */
static noinline void __free_unref_page_flush(struct zone *zone, unsigned int order, int cpu,
					     u32 pfn)
{
	u32 pfns[PCP_SLOTS];
	unsigned int n;

	n = pcp_take(zone, order, cpu, READ_ONCE(zone_pcp(zone, cpu)->batch[order]), pfns);
	free_pcppages_bulk(zone, pfns, n, order);
	__pfn_to_page(pfn)->owner = 0;
	if (pcp_push(zone, order, &cpu, pfn) <= 0)
		free_pcppages_bulk(zone, &pfn, 1, order);
}

/*
 * drain_local_pages - empty the current CPU's lists of @zone (all zones if
 * NULL).  Return: pages moved.
 */
static unsigned long drain_local_pages(struct zone *only)
{
	unsigned long moved = 0;
	unsigned int nid, z, order, n;
	u32 pfns[PCP_SLOTS];
	int cpu;

	for (nid = 0; nid < kmem_mm.nr_nodes; nid++) {
		for (z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &NODE_DATA((int)nid)->node_zones[z];

			if (!zone_populated(zone) || (only && zone != only) ||
			    __kmem_zone_fenced(zone))
				continue;
			for (order = 0; order < NR_PCP_ORDERS; order++) {
				do {
					cpu = kmem_mm.pcp_mode == KMEM_PCP_RSEQ ?
					      rseq_current_cpu() : 0;
					n = pcp_take(zone, order, cpu, PCP_SLOTS, pfns);
					free_pcppages_bulk(zone, pfns, n, order);
					moved += (unsigned long)n << order;
				} while (n);
			}
		}
	}
	return moved;
}

/* Drain CPU @cpu's lists from a thread that is not running there (LOCKED mode). */
static unsigned long drain_remote_pages_locked(int cpu)
{
	unsigned long moved = 0;
	unsigned int nid, z, order, n;
	u32 pfns[PCP_SLOTS];

	for (nid = 0; nid < kmem_mm.nr_nodes; nid++) {
		for (z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &NODE_DATA((int)nid)->node_zones[z];
			struct per_cpu_pages *pcp;

			if (!zone_populated(zone) || __kmem_zone_fenced(zone))
				continue;
			pcp = zone_pcp(zone, cpu);
			for (order = 0; order < NR_PCP_ORDERS; order++) {
				pcp_lock(pcp);
				for (n = 0; n < PCP_SLOTS; n++)
					if (!percpu_stack_pop_locked(&pcp->word[order], pcp->slots[order],
								     &pfns[n], PCP_POP_UNCOUNTED))
						break;
				pcp_unlock(pcp);
				free_pcppages_bulk(zone, pfns, n, order);
				moved += (unsigned long)n << order;
			}
		}
	}
	return moved;
}

/**
 * __kmem_on_each_cpu - run @fn(@arg) on every CPU this thread may run on,
 * in turn, as the kernel's on_each_cpu() does with IPIs: with rseq, only
 * code running on a CPU may touch that CPU's lists.  The thread migrates
 * itself with sched_setaffinity() (which returns once it runs there) and
 * its affinity is restored after.  A CPU outside the affinity mask cannot
 * be visited and is skipped.
 * Context: may sleep.
 */
void __kmem_on_each_cpu(void (*fn)(void *), void *arg)
{
	cpu_set_t saved, one;
	unsigned int cpu;

	if (sched_getaffinity(0, sizeof(saved), &saved)) {
		fn(arg);
		return;
	}
	for (cpu = 0; cpu < kmem_mm.nr_cpu_ids && cpu < CPU_SETSIZE; cpu++) {
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		if (sched_setaffinity(0, sizeof(one), &one))
			continue;
		fn(arg);
	}
	sched_setaffinity(0, sizeof(saved), &saved);
}

/* This CPU's lists only (every list in locked mode, which needs no migration). */
unsigned long __kmem_drain_local_pages(void)
{
	return kmem_mm.pcp_mode == KMEM_PCP_LOCKED ? kmem_drain_all_pages() : drain_local_pages(NULL);
}

static void drain_local_cb(void *arg)
{
	*(unsigned long *)arg += drain_local_pages(NULL);
}

/*
 * kmem_drain_all_pages - the kernel's drain_all_pages(): empty every CPU's
 * lists, on each CPU in turn (rseq), or under each list's lock.
 */
unsigned long kmem_drain_all_pages(void)
{
	unsigned long moved = 0;
	unsigned int cpu;

	if (kmem_ensure_init())
		return 0;
	if (kmem_mm.pcp_mode == KMEM_PCP_LOCKED) {
		for (cpu = 0; cpu < kmem_mm.nr_cpu_ids; cpu++)
			moved += drain_remote_pages_locked((int)cpu);
		return moved;
	}
	__kmem_on_each_cpu(drain_local_cb, &moved);
	return moved;
}

/* ------------------------------------------------------------------ */
/* watermarks                                                          */
/* ------------------------------------------------------------------ */

/* The kernel's __zone_watermark_ok(), without CMA and highatomic reserves. */
static bool __zone_watermark_ok(const struct zone *z, unsigned int order, u64 mark,
				enum zone_type highest_zoneidx, unsigned int alloc_flags,
				s64 free_pages)
{
	s64 min = (s64)mark;
	unsigned int o;

	free_pages -= (1LL << order) - 1;
	if (unlikely(alloc_flags & ALLOC_RESERVES)) {
		if (alloc_flags & ALLOC_MIN_RESERVE) {
			min -= min / 2;
			if (alloc_flags & ALLOC_NON_BLOCK)
				min -= min / 4;
		}
		if (alloc_flags & ALLOC_OOM)
			min -= min / 2;
	}
	if (free_pages <= min + (s64)READ_ONCE(z->lowmem_reserve[highest_zoneidx]))
		return false;
	if (!order)
		return true;
	for (o = order; o < NR_PAGE_ORDERS; o++)
		if (READ_ONCE(z->free_area[o].nr_free))
			return true;
	return false;
}

/* Free pages no vmalloc area has been promised: what every watermark check sees. */
static __always_inline s64 zone_unpromised(const struct zone *z)
{
	return (s64)READ_ONCE(z->free_pages) - (s64)READ_ONCE(z->vm_charged);
}

static __always_inline bool zone_watermark_fast(const struct zone *z, unsigned int order,
						u64 mark, enum zone_type highest_zoneidx,
						unsigned int alloc_flags)
{
	s64 free_pages = zone_unpromised(z);

	if (likely(!order) &&
	    free_pages > (s64)(mark + READ_ONCE(z->lowmem_reserve[highest_zoneidx])))
		return true;
	return __zone_watermark_ok(z, order, mark, highest_zoneidx, alloc_flags, free_pages);
}

/* ------------------------------------------------------------------ */
/* allocation                                                          */
/* ------------------------------------------------------------------ */

static inline void count_event(u64 *counter)
{
	__atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

/*
 * zone_statistics - numastat for an allocation the per-CPU word did not
 * count.  @from_pcp: the pcp word counted it as a hit already, so a miss
 * must be taken back out of the hits (see kmem_numa_stats()).
 */
static void zone_statistics(const struct alloc_context *ac, struct zone *z, int cpu,
			    bool from_pcp)
{
	int local_nid = cpu >= 0 ? (int)kmem_mm.shm->cpu_to_node[cpu] : __kmem_numa_node_id();

	if ((int)z->node == ac->preferred_nid) {
		if (from_pcp)
			return;
		count_event(&z->numa_hit);
	} else {
		count_event(&z->numa_miss);
		if (ac->preferred_zone != ZONE_ID_NIL)
			count_event(&zone_by_id(ac->preferred_zone)->numa_foreign);
		if (from_pcp) {
			/* the pcp word counted a hit and a local/other: correct the hit */
			__atomic_fetch_sub(&z->numa_hit, 1, __ATOMIC_RELAXED);
			return;
		}
	}
	count_event((int)z->node == local_nid ? &z->local_node : &z->other_node);
}

static noinline struct page *rmqueue_buddy(struct zone *zone, unsigned int order)
{
	struct page *page;

	zone_lock(zone);
	page = __rmqueue_smallest(zone, order);
	zone_unlock(zone);
	return page;
}

static __always_inline struct page *rmqueue(const struct alloc_context *ac, struct zone *zone,
					    unsigned int order, bool *from_pcp, int *cpu)
{
	u32 pfn;
	int ret;

	if (likely(order <= PAGE_ALLOC_COSTLY_ORDER)) {
		ret = pcp_pop(zone, order, cpu, &pfn, PCP_POP_COUNTED);
		if (likely(ret > 0)) {
			*from_pcp = true;
			return __pfn_to_page(pfn);
		}
		if (ret == 0)
			return __rmqueue_pcplist_refill(zone, order, *cpu);
	}
	(void)ac;
	return rmqueue_buddy(zone, order);
}

/* May @zone get memory by its node onlining a section?  New sections are ZONE_NORMAL. */
static __always_inline bool zone_can_grow(const struct zone *zone)
{
	return zone->idx == ZONE_NORMAL && kmem_node_can_grow(NODE_DATA((int)zone->node));
}

/*
 * __alloc_grow_zone - @zone is under its watermark and its node can grow:
 * online a section now if the caller may sleep (memory_hotplug.c), else
 * leave it to kswapd (woken here) and let the caller use the reserves.
 * Return: true when @zone now passes the watermark.
 */
static noinline bool __alloc_grow_zone(struct zone *zone, gfp_t gfp, unsigned int order,
				       unsigned int alloc_flags, const struct alloc_context *ac)
{
	u64 mark;
	int tries;

	if (!(gfp & __GFP_DIRECT_RECLAIM)) {
		if (gfp & __GFP_KSWAPD_RECLAIM)
			__kmem_wakeup_kswapd((int)zone->node, order, ac->highest_zoneidx);
		return false;
	}
	/*
	 * A few sections for a small order; one for a block of two huge
	 * pages, which a new section gives only where its huge pages happen
	 * to be physical neighbours.
	 */
	for (tries = 0; tries < (order > HPAGE_PFN_SHIFT ? 1 : 4); tries++) {
		if (!__kmem_grow_node((int)zone->node))
			return false;
		/* above the floor: someone must watch for sections going idle */
		__kmem_kswapd_ensure_running();
		mark = READ_ONCE(zone->_watermark[alloc_flags & ALLOC_WMARK_MASK]);
		if (zone_watermark_fast(zone, order, mark, ac->highest_zoneidx, alloc_flags))
			return true;
	}
	return false;
}

static __always_inline struct page *get_page_from_freelist(gfp_t gfp, unsigned int order,
							   unsigned int alloc_flags,
							   const struct alloc_context *ac)
{
	const u16 *zl = ac->zonelist;
	unsigned int i;

	for (i = 0; zl[i] != ZONE_ID_NIL; i++) {
		struct zone *zone = zone_by_id(zl[i]);
		bool from_pcp = false;
		struct page *page;
		int cpu = ac->cpu;

		if (zone->idx > ac->highest_zoneidx || zone->idx < ac->lowest_zoneidx ||
		    kmem_zone_out_of_service(zone))
			continue;
		if (!(alloc_flags & ALLOC_NO_WATERMARKS) &&
		    !zone_watermark_fast(zone, order,
					 READ_ONCE(zone->_watermark[alloc_flags & ALLOC_WMARK_MASK]),
					 ac->highest_zoneidx, alloc_flags)) {
			/* a node grows before its allocations spill to the next */
			if (likely(!zone_can_grow(zone)) ||
			    !__alloc_grow_zone(zone, gfp, order, alloc_flags, ac))
				continue;
		}
		page = rmqueue(ac, zone, order, &from_pcp, &cpu);
		if (likely(page)) {
			if (unlikely(!from_pcp || (int)zone->node != ac->preferred_nid))
				zone_statistics(ac, zone, cpu, from_pcp);
			return page;
		}
	}
	(void)gfp;
	return NULL;
}

/* The kernel's gfp_to_alloc_flags(), for the slow path. */
static unsigned int gfp_to_alloc_flags(gfp_t gfp, unsigned int order)
{
	unsigned int alloc_flags = ALLOC_WMARK_MIN;

	if (gfp & __GFP_HIGH)
		alloc_flags |= ALLOC_MIN_RESERVE;
	if (gfp & __GFP_KSWAPD_RECLAIM)
		alloc_flags |= ALLOC_KSWAPD;
	if (!(gfp & __GFP_DIRECT_RECLAIM) && !(gfp & __GFP_NOMEMALLOC))
		alloc_flags |= ALLOC_NON_BLOCK;
	if ((gfp & __GFP_MEMALLOC) && !(gfp & __GFP_NOMEMALLOC))
		alloc_flags |= ALLOC_NO_WATERMARKS;
	(void)order;
	return alloc_flags;
}

/* The kernel's wake_all_kswapds(): each node of the walk, once. */
static void wake_all_kswapds(unsigned int order, const struct alloc_context *ac)
{
	bool woken[MAX_NUMNODES] = { false };
	const u16 *zl = ac->zonelist;
	unsigned int i;

	for (i = 0; zl[i] != ZONE_ID_NIL; i++) {
		unsigned int nid = zl[i] / MAX_NR_ZONES;

		if (woken[nid] || zl[i] % MAX_NR_ZONES < (unsigned int)ac->lowest_zoneidx)
			continue;
		woken[nid] = true;
		__kmem_wakeup_kswapd((int)nid, order, ac->highest_zoneidx);
	}
}

bool __kmem_zone_watermark_ok(const struct zone *z, unsigned int order, u64 mark,
			      enum zone_type highest_zoneidx)
{
	return __zone_watermark_ok(z, order, mark, highest_zoneidx, 0, zone_unpromised(z));
}

/* What direct reclaim works towards: some zone of the walk passes the watermark. */
struct alloc_goal {
	const struct alloc_context *ac;
	unsigned int order;
	unsigned int alloc_flags;
};

static bool alloc_goal_met(void *arg)
{
	const struct alloc_goal *g = arg;
	const u16 *zl = g->ac->zonelist;
	unsigned int i;

	for (i = 0; zl[i] != ZONE_ID_NIL; i++) {
		const struct zone *zone = zone_by_id(zl[i]);

		if (zone->idx > g->ac->highest_zoneidx || zone->idx < g->ac->lowest_zoneidx)
			continue;
		if (__zone_watermark_ok(zone, g->order,
					READ_ONCE(zone->_watermark[g->alloc_flags & ALLOC_WMARK_MASK]),
					g->ac->highest_zoneidx, g->alloc_flags,
					zone_unpromised(zone)))
			return true;
	}
	return false;
}

/* How long one wait for a free lasts before reclaim is tried again. */
#define FREE_WAIT_MS	10

/*
 * __GFP_NOFAIL: never NULL.  Each round tries the reserves (min/2), then
 * every last page (the kernel gives __GFP_NOFAIL ALLOC_NO_WATERMARKS when
 * the OOM killer cannot help), then reclaims if it may and waits for a free.
 */
static noinline struct page *__alloc_pages_nofail(gfp_t gfp, unsigned int order,
						  unsigned int alloc_flags,
						  struct alloc_context *ac)
{
	bool can_direct_reclaim = (gfp & __GFP_DIRECT_RECLAIM) && !__kmem_memalloc;
	struct alloc_goal goal = { ac, order, alloc_flags | ALLOC_MIN_RESERVE };
	unsigned long rounds = 0;
	struct page *page;

	for (;;) {
		page = get_page_from_freelist(gfp, order, alloc_flags | ALLOC_MIN_RESERVE, ac);
		if (page)
			return page;
		page = get_page_from_freelist(gfp, order, ALLOC_NO_WATERMARKS, ac);
		if (page)
			return page;
		if (++rounds == 100)
			__kmem_printk("kmem: %s: __GFP_NOFAIL allocation of order %u still waiting "
				      "for memory\n", os_comm(), order);
		if (can_direct_reclaim) {
			if (__kmem_try_to_free_pages(gfp, order, ac->preferred_nid,
						     alloc_goal_met, &goal))
				continue;
			__kmem_wait_for_free(FREE_WAIT_MS);
		} else {
			/* may not sleep: let the threads that will free run */
			sched_yield();
		}
	}
}

/*
 * @warned: the call site's own flag.  Each of the kernel's warnings is a
 * WARN_ON_ONCE() of its own; one flag shared by both would let an order > 1
 * request silence the warning about a caller that cannot reclaim, and the
 * other way round.
 */
static noinline void warn_nofail(gfp_t gfp, unsigned int order, const char *why, u32 *warned)
{
	char names[256];

	/* WARN_ON_ONCE_GFP(): __GFP_NOWARN silences it, and then it is not used up */
	if ((gfp & __GFP_NOWARN) || __atomic_exchange_n(warned, 1, __ATOMIC_RELAXED))
		return;
	__kmem_printk("WARNING: %s: __GFP_NOFAIL %s (order:%u, mode:%#x(%s))\n", os_comm(), why,
		      order, (unsigned int)gfp, __kmem_format_gfp(gfp, names, sizeof(names)));
}

/*
 * __alloc_pages_slowpath - the low watermark was not met anywhere.
 *
 * Wake kswapd; try again down to the min watermark with the reserves the
 * flags grant.  The reclaim path itself may take everything.  A caller that
 * may sleep then reclaims and retries:
 *   __GFP_NORETRY, or an order above PAGE_ALLOC_COSTLY_ORDER without
 *     __GFP_RETRY_MAYFAIL: one round, then NULL;
 *   __GFP_RETRY_MAYFAIL: up to MAX_RECLAIM_RETRIES rounds, waiting for
 *     frees between them, then NULL;
 *   otherwise: rounds and waits until reclaim_timeout_ms has passed;
 *   __GFP_NOFAIL: for ever (__alloc_pages_nofail).
 */
static noinline struct page *__alloc_pages_slowpath(gfp_t gfp, unsigned int order,
						    struct alloc_context *ac)
{
	bool can_direct_reclaim = gfp & __GFP_DIRECT_RECLAIM;
	bool costly_order = order > PAGE_ALLOC_COSTLY_ORDER;
	unsigned int alloc_flags = gfp_to_alloc_flags(gfp, order);
	struct alloc_goal goal = { ac, order, alloc_flags };
	unsigned int rounds = 0;
	u64 deadline = 0;
	struct page *page;

	/*
	 * The kernel's "goto nopage" when the zonelist has no zone at or below
	 * the highest the flags allow: GFP_DMA32 where no memory is known to
	 * lie below 4 GiB fails at once, reclaim could not help.
	 */
	if (unlikely(ac->preferred_zone == ZONE_ID_NIL) && !(gfp & __GFP_NOFAIL))
		return NULL;
	if (alloc_flags & ALLOC_KSWAPD)
		wake_all_kswapds(order, ac);
	page = get_page_from_freelist(gfp, order, alloc_flags, ac);
	if (page)
		return page;

	/* the kernel's PF_MEMALLOC: reclaim's own allocations take the last pages */
	if (__kmem_memalloc && !(gfp & __GFP_NOMEMALLOC)) {
		page = get_page_from_freelist(gfp, order, ALLOC_NO_WATERMARKS, ac);
		if (page || !(gfp & __GFP_NOFAIL))
			return page;
	}
	if (!can_direct_reclaim || __kmem_memalloc) {
		if (!(gfp & __GFP_NOFAIL))
			return NULL;
		if (!can_direct_reclaim) {
			static u32 warned;

			warn_nofail(gfp, order, "without __GFP_DIRECT_RECLAIM spins", &warned);
		}
		return __alloc_pages_nofail(gfp, order, alloc_flags, ac);
	}

	__kmem_kswapd_ensure_running();
	for (;;) {
		__kmem_try_to_free_pages(gfp, order, ac->preferred_nid, alloc_goal_met, &goal);
		page = get_page_from_freelist(gfp, order, alloc_flags, ac);
		if (page)
			return page;
		rounds++;
		if (gfp & __GFP_NOFAIL)
			return __alloc_pages_nofail(gfp, order, alloc_flags, ac);
		if (gfp & __GFP_NORETRY)
			return NULL;
		if (gfp & __GFP_RETRY_MAYFAIL) {
			if (rounds >= MAX_RECLAIM_RETRIES)
				return NULL;
		} else {
			if (costly_order)
				return NULL;
			if (!deadline)
				deadline = os_now_ms() + READ_ONCE(kmem_mm.shm->tun.reclaim_timeout_ms);
			else if (os_now_ms() >= deadline)
				return NULL;
		}
		__kmem_wait_for_free(FREE_WAIT_MS);
	}
}

static void prep_new_page(struct page *page, unsigned int order, gfp_t gfp)
{
	KMEM_DEBUG_ON(READ_ONCE(page->_refcount) != 0);
	KMEM_DEBUG_ON(READ_ONCE(page->flags) & (PG_buddy | PG_reserved));
	WRITE_ONCE(page->order, (u8)order);
	page->owner = kmem_mm.owner;
	if (unlikely((gfp & __GFP_COMP) && order)) {
		u64 head = __page_to_pfn(page), i;

		WRITE_ONCE(page->flags, READ_ONCE(page->flags) | PG_head);
		for (i = 1; i < (1ULL << order); i++)
			page[i].compound_head = head << 1 | 1;
	}
	kasan_alloc_pages(page, order);
	if (gfp & __GFP_ZERO)
		memset(page_address(page), 0, PAGE_SIZE << order);
	__atomic_store_n(&page->_refcount, 1, __ATOMIC_RELEASE);
}

enum bad_request { BAD_ORDER, BAD_NODE, BAD_ZONES };

static noinline struct page *__alloc_pages_bad_request(gfp_t gfp, unsigned int order,
						       int nid, enum bad_request why)
{
	if (gfp & __GFP_NOWARN)
		return NULL;
	switch (why) {
	case BAD_ORDER:
		__kmem_printk("WARNING: %s: alloc_pages: order %u > MAX_PAGE_ORDER (%d)\n",
			      os_comm(), order, MAX_PAGE_ORDER);
		break;
	case BAD_NODE:
		__kmem_printk("WARNING: %s: alloc_pages: node %d does not exist\n", os_comm(), nid);
		break;
	case BAD_ZONES:
		__kmem_printk("WARNING: %s: alloc_pages: invalid zone modifiers in mode:%#x\n",
			      os_comm(), (unsigned int)gfp);
		break;
	}
	return NULL;
}

/*
 * warn_alloc - report a failed allocation in the kernel's words (its
 * warn_alloc(), dump_stack() and __show_mem()), at most 10 times in 5
 * seconds, never for __GFP_NOWARN:
 *
 *   prog: page allocation failure: order:2, mode:0xcc0(GFP_KERNEL), nodemask=(null),cpuset=/,mems_allowed=0-1
 *   CPU: 3 PID: 4242 Comm: prog
 *   Call Trace: ...
 *   Mem-Info: ...		(show_mem.c)
 *
 * kmem has no cpusets or mempolicies, so what the kernel takes from them
 * is fixed: no nodemask, the root cpuset, every node allowed.  @nid, the
 * preferred node, is not part of the kernel's report.
 */
void __kmem_warn_alloc(gfp_t gfp, const char *fmt, ...)
{
	char buf[4096], flags[256], nodes[16] = "0", what[160];
	struct kmem_report r = KMEM_REPORT_INIT(buf);
	unsigned int nr_nodes = kmem_mm.nr_nodes;
	va_list ap;

	if ((gfp & __GFP_NOWARN) || !__kmem_warn_alloc_ratelimit())
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (nr_nodes > 1)
		snprintf(nodes, sizeof(nodes), "0-%u", nr_nodes - 1);
	__kmem_report_add(&r, "%s: %s, mode:%#x(%s), nodemask=(null),cpuset=/,mems_allowed=%s\n",
			  os_comm(), what, (__force unsigned int)gfp,
			  __kmem_format_gfp(gfp, flags, sizeof(flags)), nodes);
	__kmem_report_stack(&r);
	__kmem_show_mem(&r, gfp);
	__kmem_report_flush(&r);
}

static noinline void warn_alloc(gfp_t gfp, unsigned int order, int nid)
{
	(void)nid;
	__kmem_warn_alloc(gfp, "page allocation failure: order:%u", order);
}

/*
 * __alloc_pages_nested - a signal handler interrupted this thread inside one
 * of kmem's locked sections: no lock may be taken, so only this CPU's
 * per-CPU lists (rseq) can serve, and only orders 0..3.  No report either
 * (the report lock may be the one held).
 */
static noinline struct page *__alloc_pages_nested(gfp_t gfp, unsigned int order, int nid)
{
	const u16 *zl;
	unsigned int i;
	int cpu;

	if (order > PAGE_ALLOC_COSTLY_ORDER || kmem_mm.pcp_mode != KMEM_PCP_RSEQ)
		return NULL;
	cpu = rseq_current_cpu();
	if (cpu < 0)
		return NULL;
	if (nid == NUMA_NO_NODE || nid < 0 || nid >= (int)kmem_mm.nr_nodes)
		nid = kmem_mm.cpu_node[cpu];
	zl = (gfp & __GFP_THISNODE) ? NODE_DATA(nid)->zonelist_nofallback +
				      NODE_DATA(nid)->zonelist_nofallback_start[gfp_zone(gfp)] :
				      NODE_DATA(nid)->zonelist_fallback +
				      NODE_DATA(nid)->zonelist_fallback_start[gfp_zone(gfp)];
	for (i = 0; zl[i] != ZONE_ID_NIL; i++) {
		struct zone *zone = zone_by_id(zl[i]);
		u32 pfn;

		if (zone->idx > gfp_zone(gfp))
			continue;
		if (pcp_pop(zone, order, &cpu, &pfn, PCP_POP_COUNTED) > 0) {
			struct page *page = __pfn_to_page(pfn);

			prep_new_page(page, order, gfp);
			return page;
		}
	}
	return NULL;
}

static __always_inline bool gfp_zone_bad(gfp_t gfp)
{
	unsigned int zb = (unsigned int)(gfp & (__GFP_DMA | __GFP_DMA32 | __GFP_HIGHMEM));

	return unlikely(zb & (zb - 1));
}

/* Index of the first entry of @zonelist that is not above @highest. */
static u16 zonelist_start(const u16 *zonelist, enum zone_type highest)
{
	u16 i;

	for (i = 0; zonelist[i] != ZONE_ID_NIL; i++)
		if (zonelist[i] % MAX_NR_ZONES <= highest)
			return i;
	return i;
}

static struct page *alloc_pages_zones(gfp_t gfp, unsigned int order, int preferred_nid,
				      enum zone_type lowest_zoneidx, const void *caller)
{
	struct alloc_context ac;
	struct pglist_data *pgdat;
	struct page *page;

	if (unlikely(order > MAX_PAGE_ORDER))
		return __alloc_pages_bad_request(gfp, order, -1, BAD_ORDER);
	if (unlikely(gfp_zone_bad(gfp)))
		return __alloc_pages_bad_request(gfp, order, -1, BAD_ZONES);
	/* the kernel's rmqueue(): order > 1 is more than __GFP_NOFAIL can promise */
	if (unlikely(order > 1) && (gfp & __GFP_NOFAIL)) {
		static u32 warned;

		warn_nofail(gfp, order, "allocation of order > 1", &warned);
	}
	if (unlikely(kmem_ensure_init()))
		return NULL;
	if (kmem_in_locked_section())
		return __alloc_pages_nested(gfp, order, preferred_nid);
	/* the kernel's prepare_alloc_pages() */
	gfp = might_alloc(gfp, caller);
	if (should_fail_alloc_page(gfp, order))
		return NULL;

	ac.cpu = likely(kmem_mm.pcp_mode == KMEM_PCP_RSEQ) ? rseq_current_cpu() : pcp_lock_cpu();
	if (preferred_nid == NUMA_NO_NODE)
		preferred_nid = likely(ac.cpu >= 0) ? kmem_mm.shm->cpu_to_node[ac.cpu] :
						      __kmem_numa_node_id();
	else if (unlikely(preferred_nid < 0 || preferred_nid >= (int)kmem_mm.nr_nodes))
		return __alloc_pages_bad_request(gfp, order, preferred_nid, BAD_NODE);
	pgdat = NODE_DATA(preferred_nid);
	ac.preferred_nid = preferred_nid;
	ac.highest_zoneidx = gfp_zone(gfp);
	ac.lowest_zoneidx = lowest_zoneidx;
	if (unlikely(gfp & __GFP_THISNODE))
		ac.zonelist = pgdat->zonelist_nofallback +
			      pgdat->zonelist_nofallback_start[ac.highest_zoneidx];
	else
		ac.zonelist = pgdat->zonelist_fallback +
			      pgdat->zonelist_fallback_start[ac.highest_zoneidx];
	/* the first zone of the walk, on the preferred node unless it has none (numa_foreign) */
	ac.preferred_zone = ac.zonelist[0];

	page = get_page_from_freelist(gfp, order, ALLOC_WMARK_LOW, &ac);
	if (unlikely(!page)) {
		page = __alloc_pages_slowpath(gfp, order, &ac);
		if (!page) {
			if (ac.preferred_zone != ZONE_ID_NIL)
				count_event(&zone_by_id(ac.preferred_zone)->alloc_fail);
			warn_alloc(gfp, order, preferred_nid);
			return NULL;
		}
	}
	prep_new_page(page, order, gfp);
	return page;
}

struct page *__alloc_pages(gfp_t gfp, unsigned int order, int preferred_nid)
{
	return alloc_pages_zones(gfp, order, preferred_nid, ZONE_DMA,
				 __builtin_return_address(0));
}

/*
 * __alloc_pages() for kmem's own entry points, reporting their caller.  The
 * pages are kmem's (a slab, a cache's metadata, a large kmalloc that
 * kasan_kmalloc_large() describes): no memcheck heap block (kasan.h).
 */
struct page *__kmem_alloc_pages_caller(gfp_t gfp, unsigned int order, int preferred_nid,
				       const void *caller)
{
	struct page *page;

	kasan_kmem_pages_begin();
	page = alloc_pages_zones(gfp, order, preferred_nid, ZONE_DMA, caller);
	kasan_kmem_pages_end();
	return page;
}

/**
 * __kmem_alloc_pages_highmem - pages from HIGHMEM zones only (any node, in
 * fallback order from @nid unless __GFP_THISNODE): vmalloc maps them one by
 * one from the pools' memfds, which the huge-page direct map cannot do.
 * vmalloc's own pages: no memcheck heap block.
 */
struct page *__kmem_alloc_pages_highmem(gfp_t gfp, unsigned int order, int nid)
{
	struct page *page;

	kasan_kmem_pages_begin();
	page = alloc_pages_zones(gfp | __GFP_HIGHMEM, order, nid, ZONE_HIGHMEM,
				 __builtin_return_address(0));
	kasan_kmem_pages_end();
	return page;
}

/**
 * __kmem_alloc_pages_charged - a block of zone @zone_id for pages a vmalloc
 * area was promised there.  The caller has given the promise up already
 * (zone->vm_charged is lower by 2^@order), so no watermark applies: those
 * free pages were set aside for this.  If the buddy lists are short anyway
 * (pages sitting on per-CPU lists, a no-watermark allocation that dipped
 * into them), the per-CPU lists are drained and the zone tried again.
 * Context: may sleep (the vmalloc fault thread, vmalloc()).
 * Return: the block, prepared without __GFP_ZERO, or NULL.
 */
struct page *__kmem_alloc_pages_charged(unsigned int zone_id, unsigned int order, gfp_t gfp)
{
	struct zone *zone = zone_by_id(zone_id);
	u16 zl[2] = { (u16)zone_id, ZONE_ID_NIL };
	struct alloc_context ac = {
		.zonelist = zl,
		.preferred_zone = zone_id,
		.highest_zoneidx = (enum zone_type)zone->idx,
		.lowest_zoneidx = (enum zone_type)zone->idx,
		.preferred_nid = (int)zone->node,
	};
	struct page *page;
	int attempt;

	gfp &= ~__GFP_ZERO;
	kasan_kmem_pages_begin();
	for (attempt = 0; attempt < 2; attempt++) {
		ac.cpu = likely(kmem_mm.pcp_mode == KMEM_PCP_RSEQ) ? rseq_current_cpu() :
								    pcp_lock_cpu();
		page = get_page_from_freelist(gfp, order, ALLOC_NO_WATERMARKS, &ac);
		if (page) {
			prep_new_page(page, order, gfp);
			break;
		}
		kmem_drain_all_pages();
	}
	kasan_kmem_pages_end();
	return page;
}

struct page *alloc_pages(gfp_t gfp, unsigned int order)
{
	return alloc_pages_zones(gfp, order, NUMA_NO_NODE, ZONE_DMA, __builtin_return_address(0));
}

struct page *alloc_pages_node(int nid, gfp_t gfp, unsigned int order)
{
	return alloc_pages_zones(gfp, order, nid, ZONE_DMA, __builtin_return_address(0));
}

unsigned long __get_free_pages(gfp_t gfp, unsigned int order)
{
	struct page *page = alloc_pages_zones(gfp & ~__GFP_HIGHMEM, order, NUMA_NO_NODE,
					      ZONE_DMA, __builtin_return_address(0));

	return page ? (unsigned long)page_address(page) : 0;
}

unsigned long get_zeroed_page(gfp_t gfp)
{
	return __get_free_pages(gfp | __GFP_ZERO, 0);
}

/* ------------------------------------------------------------------ */
/* freeing                                                             */
/* ------------------------------------------------------------------ */

static void free_the_page(struct page *page, unsigned int order)
{
	struct zone *zone = page_zone(page);
	u32 pfn = (u32)__page_to_pfn(page);
	int cpu, ret;

	if (kmem_zone_out_of_service(zone))
		return;		/* left where it is, with the rest of the zone */
	if (unlikely(READ_ONCE(page->flags) & PG_head)) {
		u64 i;

		for (i = 1; i < (1ULL << order); i++)
			page[i].compound_head = 0;
		WRITE_ONCE(page->flags, READ_ONCE(page->flags) & ~PG_head);
	}
	if (kmem_in_locked_section()) {
		page->owner = 0;
		/* a nested signal handler: this CPU's list, or later */
		cpu = rseq_current_cpu();
		if (order > PAGE_ALLOC_COSTLY_ORDER || kmem_mm.pcp_mode != KMEM_PCP_RSEQ ||
		    pcp_push(zone, order, &cpu, pfn) <= 0) {
			__atomic_store_n(&page->_refcount, 1, __ATOMIC_RELAXED);
			__kmem_defer_free(page, order, NULL);
		}
		return;
	}
	if (likely(order <= PAGE_ALLOC_COSTLY_ORDER)) {
		cpu = likely(kmem_mm.pcp_mode == KMEM_PCP_RSEQ) ? rseq_current_cpu() : 0;
		page->owner = 0;	/* on a per-CPU list a block is no one's */
		ret = pcp_push(zone, order, &cpu, pfn);
		if (likely(ret > 0))
			goto out;
		page->owner = kmem_mm.owner;
		if (ret == 0) {
			__free_unref_page_flush(zone, order, cpu, pfn);
			goto out;
		}
	}
	/* owner stays until __free_one_page(): ours if we die before */
	free_pcppages_bulk(zone, &pfn, 1, order);
out:
	kmem_free_wakeup();
}

/* Is @page a struct page of our memmap (not just any pointer)? */
static __always_inline bool page_in_memmap(const struct page *page)
{
	uintptr_t off = (uintptr_t)page - (uintptr_t)kmem_mm.memmap;

	return off < kmem_mm.total_pages * sizeof(struct page) && !(off % sizeof(struct page));
}

/*
 * Validate a free and drop one reference.  Return: true when it was the
 * last and the block must go back.  Every misuse is reported and changes
 * nothing.
 */
static __always_inline bool free_pages_prepare(struct page *page, unsigned int order,
					       const void *caller)
{
	s32 ref;

	if (unlikely(!kmem_initialized() || !page_in_memmap(page))) {
		__kmem_bad_address(page, "__free_pages: not a kmem page", caller);
		return false;
	}
	ref = __atomic_load_n(&page->_refcount, __ATOMIC_RELAXED);
	do {
		if (unlikely(ref <= 0 || (READ_ONCE(page->flags) & (PG_buddy | PG_reserved)))) {
			__kmem_bad_page(page, ref < 0 ? "negative _refcount" :
					      (READ_ONCE(page->flags) & PG_reserved) ?
					      "PAGE_FLAGS_CHECK_AT_FREE flag(s) set" :
					      "freeing a free page (double free)", caller);
			return false;
		}
		if (unlikely(READ_ONCE(page->order) != order)) {
			char why[96];

			snprintf(why, sizeof(why), "freed with order %u, allocated with order %u",
				 order, READ_ONCE(page->order));
			__kmem_bad_page(page, why, caller);
			return false;
		}
	} while (!__atomic_compare_exchange_n(&page->_refcount, &ref, ref - 1, true,
					      __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
	if (ref != 1)
		return false;
	kasan_free_pages(page, order);
	return true;
}

void __free_pages(struct page *page, unsigned int order)
{
	if (unlikely(!page))
		return;
	if (unlikely(order > MAX_PAGE_ORDER)) {
		__kmem_bad_page(page_in_memmap(page) ? page : NULL, "order > MAX_PAGE_ORDER",
				__builtin_return_address(0));
		return;
	}
	if (free_pages_prepare(page, order, __builtin_return_address(0)))
		free_the_page(page, order);
}

void free_pages(unsigned long addr, unsigned int order)
{
	struct page *page;

	if (!addr)
		return;
	page = virt_to_page((const void *)addr);
	if (unlikely(!page || offset_in_page(addr))) {
		__kmem_bad_address((const void *)addr, "free_pages: not the address of a kmem page",
				   __builtin_return_address(0));
		return;
	}
	if (unlikely(order > MAX_PAGE_ORDER)) {
		__kmem_bad_page(page, "order > MAX_PAGE_ORDER", __builtin_return_address(0));
		return;
	}
	if (free_pages_prepare(page, order, __builtin_return_address(0)))
		free_the_page(page, order);
}

void get_page(struct page *page)
{
	if (unlikely(!kmem_initialized() || !page_in_memmap(page) ||
		     __atomic_load_n(&page->_refcount, __ATOMIC_RELAXED) <= 0)) {
		__kmem_bad_page(page_in_memmap(page) ? page : NULL, "get_page on a free page",
				__builtin_return_address(0));
		return;
	}
	__atomic_fetch_add(&page->_refcount, 1, __ATOMIC_RELAXED);
}

void put_page(struct page *page)
{
	unsigned int order;

	if (unlikely(!kmem_initialized() || !page_in_memmap(page))) {
		__kmem_bad_address(page, "put_page: not a kmem page", __builtin_return_address(0));
		return;
	}
	order = READ_ONCE(page->order);
	if (free_pages_prepare(page, order, __builtin_return_address(0)))
		free_the_page(page, order);
}

int page_count(const struct page *page)
{
	return __atomic_load_n(&page->_refcount, __ATOMIC_RELAXED);
}

void *alloc_pages_exact(size_t size, gfp_t gfp)
{
	unsigned int order = (unsigned int)get_order(size);
	struct page *page;
	u64 used, i;

	if (!size || order > MAX_PAGE_ORDER)
		return __alloc_pages_bad_request(gfp, order > MAX_PAGE_ORDER ? order : 64, -1,
						 BAD_ORDER);
	page = alloc_pages(gfp & ~(__GFP_COMP | __GFP_HIGHMEM), order);
	if (!page)
		return NULL;
	/* As split_page() + free: every page becomes an order-0 allocation. */
	used = PAGE_ALIGN(size) >> PAGE_SHIFT;
	kasan_alloc_pages_exact(page, order, used, gfp);
	for (i = 1; i < (1ULL << order); i++) {
		page[i].order = 0;
		page[i].owner = page->owner;
		__atomic_store_n(&page[i]._refcount, 1, __ATOMIC_RELAXED);
	}
	page->order = 0;
	for (i = used; i < (1ULL << order); i++)
		__free_pages(&page[i], 0);
	return page_address(page);
}

void free_pages_exact(void *virt, size_t size)
{
	unsigned long addr = (unsigned long)virt, end = addr + PAGE_ALIGN(size);

	for (; addr < end; addr += PAGE_SIZE)
		free_pages(addr, 0);
}

/* ------------------------------------------------------------------ */
/* setup: zonelists, watermarks, lowmem_reserve, per-CPU lists         */
/* ------------------------------------------------------------------ */

/*
 * Nodes in fallback order from @nid: by distance, ties broken by rotating
 * from @nid so that equally distant nodes share the load (the kernel's
 * find_next_best_node() spreads ties with node_load[] to the same end).
 */
static void node_order(unsigned int nid, unsigned int *order)
{
	struct kmem_shared *shm = kmem_mm.shm;
	unsigned int n = kmem_mm.nr_nodes, i, j;

	for (i = 0; i < n; i++)
		order[i] = (nid + i) % n;
	for (i = 1; i < n; i++) {
		unsigned int v = order[i];

		for (j = i; j > 1 && shm->node_distance[nid][order[j - 1]] >
				     shm->node_distance[nid][v]; j--)
			order[j] = order[j - 1];
		order[j] = v;
	}
}

/*
 * In the zonelists: a zone with pages at start, or one that may get them
 * when its node grows (Normal; in hugetlb memory placed by physical
 * address, DMA and DMA32 too).  Built once, at init: a zone that loses its
 * pages stays listed, empty, and fails its watermark check as any empty
 * zone does, so the lists never change under the threads that walk them
 * without a lock (nor under kmemd's check of them, segment.c).
 */
static bool zone_listed(const struct pglist_data *pgdat, int z)
{
	bool grows = pgdat->max_pages > pgdat->min_pages;

	if (zone_populated(&pgdat->node_zones[z]))
		return true;
	if (!grows || z == ZONE_HIGHMEM)
		return false;
	return z == ZONE_NORMAL ||
	       ((kmem_mm.shm->flags & KMEM_SHF_PHYS_REAL) && pgdat->huge_pages);
}

/* Each node's zonelists. */
void __kmem_build_zonelists(void)
{
	unsigned int order[MAX_NUMNODES];
	unsigned int nid, i, k, nr;
	u16 fallback[ZONELIST_LEN], nofallback[MAX_NR_ZONES + 1];
	int z;

	for (nid = 0; nid < kmem_mm.nr_nodes; nid++) {
		struct pglist_data *pgdat = NODE_DATA((int)nid);

		node_order(nid, order);
		nr = 0;
		for (i = 0; i < kmem_mm.nr_nodes; i++)
			for (z = MAX_NR_ZONES - 1; z >= 0; z--)
				if (zone_listed(NODE_DATA((int)order[i]), z))
					fallback[nr++] = (u16)(order[i] * MAX_NR_ZONES + (unsigned int)z);
		while (nr < ZONELIST_LEN)
			fallback[nr++] = ZONE_ID_NIL;
		k = 0;
		for (z = MAX_NR_ZONES - 1; z >= 0; z--)
			if (zone_listed(pgdat, z))
				nofallback[k++] = (u16)(nid * MAX_NR_ZONES + (unsigned int)z);
		while (k < MAX_NR_ZONES + 1)
			nofallback[k++] = ZONE_ID_NIL;
		for (i = 0; i < ZONELIST_LEN; i++)
			WRITE_ONCE(pgdat->zonelist_fallback[i], fallback[i]);
		for (i = 0; i < MAX_NR_ZONES + 1; i++)
			WRITE_ONCE(pgdat->zonelist_nofallback[i], nofallback[i]);
		for (z = 0; z < MAX_NR_ZONES; z++) {
			WRITE_ONCE(pgdat->zonelist_fallback_start[z],
				   zonelist_start(fallback, (enum zone_type)z));
			WRITE_ONCE(pgdat->zonelist_nofallback_start[z],
				   zonelist_start(nofallback, (enum zone_type)z));
		}
	}
}

/*
 * Watermarks, following the kernel's __setup_per_zone_wmarks(): the min
 * watermark is min_free_kbytes shared out over the lowmem zones by managed
 * size; HIGHMEM gets a small fixed min (managed / 1024 clamped to
 * [32, 128]); low and high sit watermark_scale_factor (in 1/10000 of the
 * zone, at least a quarter of min) apart above it.
 */
void __kmem_setup_per_zone_wmarks(void)
{
	struct kmem_shared *shm = kmem_mm.shm;
	u64 pages_min = shm->tun.min_free_kbytes >> (PAGE_SHIFT - 10);
	u64 lowmem_pages = 0;
	unsigned int nid, z;

	for (nid = 0; nid < kmem_mm.nr_nodes; nid++)
		for (z = 0; z < MAX_NR_ZONES; z++)
			if (z != ZONE_HIGHMEM)
				lowmem_pages += READ_ONCE(NODE_DATA((int)nid)->node_zones[z].managed_pages);
	for (nid = 0; nid < kmem_mm.nr_nodes; nid++) {
		for (z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &NODE_DATA((int)nid)->node_zones[z];
			u64 managed = READ_ONCE(zone->managed_pages), tmp;

			if (kmem_zone_out_of_service(zone))
				continue;
			zone_lock(zone);
			tmp = lowmem_pages ? pages_min * managed / lowmem_pages : 0;
			if (z == ZONE_HIGHMEM) {
				u64 min_pages = managed / 1024;

				min_pages = min_pages < 32 ? 32 : min_pages > 128 ? 128 : min_pages;
				WRITE_ONCE(zone->_watermark[WMARK_MIN], managed ? min_pages : 0);
			} else {
				WRITE_ONCE(zone->_watermark[WMARK_MIN], tmp);
			}
			tmp = tmp >> 2;
			if (managed * shm->tun.watermark_scale_factor / 10000 > tmp)
				tmp = managed * shm->tun.watermark_scale_factor / 10000;
			WRITE_ONCE(zone->watermark_boost, 0);
			WRITE_ONCE(zone->_watermark[WMARK_LOW], zone->_watermark[WMARK_MIN] + tmp);
			WRITE_ONCE(zone->_watermark[WMARK_HIGH], zone->_watermark[WMARK_MIN] + tmp * 2);
			WRITE_ONCE(zone->_watermark[WMARK_PROMO], zone->_watermark[WMARK_MIN] + tmp * 3);
			zone_unlock(zone);
		}
	}
}

/* The kernel's setup_per_zone_lowmem_reserve(). */
void __kmem_setup_per_zone_lowmem_reserve(void)
{
	struct kmem_shared *shm = kmem_mm.shm;
	unsigned int nid, i, j;

	for (nid = 0; nid < kmem_mm.nr_nodes; nid++) {
		struct pglist_data *pgdat = NODE_DATA((int)nid);

		for (i = 0; i < MAX_NR_ZONES; i++) {
			struct zone *zone = &pgdat->node_zones[i];
			u32 ratio = shm->tun.lowmem_reserve_ratio[i];
			bool clear = !ratio || !READ_ONCE(zone->managed_pages);
			u64 managed_pages = 0;

			WRITE_ONCE(zone->lowmem_reserve[i], 0);
			for (j = i + 1; j < MAX_NR_ZONES; j++) {
				managed_pages += READ_ONCE(pgdat->node_zones[j].managed_pages);
				WRITE_ONCE(zone->lowmem_reserve[j], clear ? 0 : managed_pages / ratio);
			}
		}
	}
}

static u32 rounddown_pow_of_two(u32 n)
{
	return n ? 1u << (31 - __builtin_clz(n)) : 0;
}

/* The kernel's zone_batchsize(): about a quarter of a MiB, 2^n - 1 pages. */
static u32 zone_batchsize(const struct zone *zone)
{
	u64 batch = READ_ONCE(zone->managed_pages) >> 10;

	if (batch > (1024 * 1024) / PAGE_SIZE)
		batch = (1024 * 1024) / PAGE_SIZE;
	batch /= 4;
	if (batch < 1)
		batch = 1;
	return rounddown_pow_of_two((u32)(batch + batch / 2)) - 1 ?: 1;
}

/* The kernel's zone_highsize(): the low watermark shared by the node's CPUs. */
static u32 zone_highsize(const struct zone *zone, u32 batch)
{
	struct kmem_shared *shm = kmem_mm.shm;
	u32 node = READ_ONCE(zone->node);
	u32 nr_cpus = node < kmem_mm.nr_nodes ? NODE_DATA((int)node)->nr_cpus : 0;
	u64 total, high;

	if (!nr_cpus)
		nr_cpus = kmem_mm.nr_cpu_ids;
	if (shm->tun.percpu_pagelist_high_fraction)
		total = READ_ONCE(zone->managed_pages) / shm->tun.percpu_pagelist_high_fraction;
	else
		total = zone->_watermark[WMARK_LOW];
	high = total / nr_cpus;
	if (high < (u64)batch * 4)
		high = (u64)batch * 4;
	return high > UINT32_MAX ? UINT32_MAX : (u32)high;
}

/*
 * Per-order limits from the zone's high/batch (in pages), as rmqueue_bulk()
 * scales the batch for higher orders.  Each order's list is bounded by
 * high >> order entries, and by PCP_SLOTS.
 */
void __kmem_setup_pcp(void)
{
	unsigned int nid, z, cpu, order;

	for (nid = 0; nid < kmem_mm.nr_nodes; nid++) {
		for (z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &NODE_DATA((int)nid)->node_zones[z];

			/* an empty zone too: it may grow (memory_hotplug.c) */
			if (kmem_zone_out_of_service(zone))
				continue;
			WRITE_ONCE(zone->pcp_batch, zone_batchsize(zone));
			WRITE_ONCE(zone->pcp_high, zone_highsize(zone, zone->pcp_batch));
			for (cpu = 0; cpu < kmem_mm.nr_cpu_ids; cpu++) {
				struct per_cpu_pages *pcp = zone_pcp(zone, (int)cpu);

				for (order = 0; order < NR_PCP_ORDERS; order++) {
					u32 batch = order ? zone->pcp_batch >> order : zone->pcp_batch;
					u32 high = zone->pcp_high >> order;

					if (order && batch < 2)
						batch = 2;
					if (high < batch * 2)
						high = batch * 2;
					if (high > PCP_SLOTS)
						high = PCP_SLOTS;
					if (batch > high / 2)
						batch = high / 2 ? high / 2 : 1;
					WRITE_ONCE(pcp->high[order], high);
					WRITE_ONCE(pcp->batch[order], batch);
				}
			}
		}
	}
}

/*
 * Run-time tunables (kmem_set_tunable()), the kernel's vm sysctls.  As
 * min_free_kbytes_sysctl_handler() and friends do, a change recomputes the
 * watermarks (under each zone's lock), the lowmem reserves and the per-CPU
 * list limits; tunables_lock, like the kernel's pcp_batch_high_lock, keeps
 * two setters from interleaving their recomputations.
 */
static pthread_mutex_t tunables_lock = PTHREAD_MUTEX_INITIALIZER;

/* fork() of private memory: a setter may drain the slabs, so before the slab locks. */
void __kmem_tunables_fork_lock(void)
{
	pthread_mutex_lock(&tunables_lock);
}

void __kmem_tunables_fork_unlock(bool child)
{
	kmem_fork_unlock_private(&tunables_lock, child);
}

/*
 * fork() of private memory: each node's hotplug lock, vmalloc's charges
 * lock (nested under hotplug_lock, above the zone locks), then the per-CPU
 * list locks and the zone locks of every zone, in the lock order.
 */
void __kmem_page_alloc_fork_lock(void)
{
	unsigned int nid, z;
	int cpu;

	for (nid = 0; nid < kmem_mm.nr_nodes; nid++)
		kmem_fork_lock(&NODE_DATA((int)nid)->hotplug_lock);
	kmem_fork_lock(&kmem_mm.shm->vm_charges.lock);
	for (nid = 0; nid < kmem_mm.nr_nodes; nid++)
		for (z = 0; z < MAX_NR_ZONES; z++)
			for (cpu = 0; cpu < (int)kmem_mm.nr_cpu_ids; cpu++)
				kmem_fork_lock(&zone_pcp(&NODE_DATA((int)nid)->node_zones[z], cpu)->lock);
	for (nid = 0; nid < kmem_mm.nr_nodes; nid++)
		for (z = 0; z < MAX_NR_ZONES; z++)
			kmem_fork_lock(&NODE_DATA((int)nid)->node_zones[z].lock);
}

void __kmem_page_alloc_fork_unlock(bool child)
{
	unsigned int nid, z;
	int cpu;

	for (nid = 0; nid < kmem_mm.nr_nodes; nid++) {
		struct pglist_data *pgdat = NODE_DATA((int)nid);

		for (z = 0; z < MAX_NR_ZONES; z++) {
			kmem_fork_unlock(&pgdat->node_zones[z].lock, child);
			for (cpu = 0; cpu < (int)kmem_mm.nr_cpu_ids; cpu++)
				kmem_fork_unlock(&zone_pcp(&pgdat->node_zones[z], cpu)->lock, child);
		}
	}
	kmem_fork_unlock(&kmem_mm.shm->vm_charges.lock, child);
	for (nid = 0; nid < kmem_mm.nr_nodes; nid++)
		kmem_fork_unlock(&NODE_DATA((int)nid)->hotplug_lock, child);
}

struct tunable {
	const char *key;
	size_t off;		/* in struct kmem_tunables */
	bool wide;		/* u64, else u32 */
	u64 min, max;
	bool wmarks;		/* recompute watermarks and pcp limits */
};

static const struct tunable tunables[] = {
	{ "min_free_kbytes", offsetof(struct kmem_tunables, min_free_kbytes), true,
	  0, 1ULL << 32, true },
	{ "watermark_scale_factor", offsetof(struct kmem_tunables, watermark_scale_factor), false,
	  1, 3000, true },
	{ "percpu_pagelist_high_fraction",
	  offsetof(struct kmem_tunables, percpu_pagelist_high_fraction), false, 0, UINT32_MAX, true },
	{ "reclaim_timeout_ms", offsetof(struct kmem_tunables, reclaim_timeout_ms), false,
	  0, 3600 * 1000, false },
};

static const struct tunable *find_tunable(const char *key)
{
	size_t i;

	for (i = 0; key && i < sizeof(tunables) / sizeof(tunables[0]); i++)
		if (!strcmp(tunables[i].key, key))
			return &tunables[i];
	return NULL;
}

int kmem_get_tunable(const char *key, unsigned long *value)
{
	const struct tunable *t = find_tunable(key);
	void *p;

	if (!t || !value)
		return -EINVAL;
	if (kmem_ensure_init())
		return -ENOMEM;
	p = (u8 *)&kmem_mm.shm->tun + t->off;
	*value = t->wide ? READ_ONCE(*(u64 *)p) : READ_ONCE(*(u32 *)p);
	return 0;
}

int kmem_set_tunable(const char *key, unsigned long value)
{
	const struct tunable *t = find_tunable(key);
	void *p;

	if (!t || value < t->min || value > t->max)
		return -EINVAL;
	/* The kernel's percpu_pagelist_high_fraction: 0, or at least 8. */
	if (t->off == offsetof(struct kmem_tunables, percpu_pagelist_high_fraction) &&
	    value && value < 8)
		return -EINVAL;
	if (kmem_ensure_init())
		return -ENOMEM;
	p = (u8 *)&kmem_mm.shm->tun + t->off;
	pthread_mutex_lock(&tunables_lock);
	if (t->wide)
		WRITE_ONCE(*(u64 *)p, (u64)value);
	else
		WRITE_ONCE(*(u32 *)p, (u32)value);
	if (t->wmarks) {
		__kmem_setup_per_zone_wmarks();
		__kmem_setup_per_zone_lowmem_reserve();
		__kmem_setup_pcp();
	}
	pthread_mutex_unlock(&tunables_lock);
	return 0;
}

int __kmem_numa_node_id(void)
{
	int cpu = sched_getcpu();

	if (cpu < 0 || cpu >= (int)kmem_mm.nr_cpu_ids)
		return 0;
	return kmem_mm.shm->cpu_to_node[cpu];
}

/* ------------------------------------------------------------------ */
/* address conversions                                                 */
/* ------------------------------------------------------------------ */

bool __kmem_page_is_kmem(const void *addr)
{
	return kmem_initialized() &&
	       (uintptr_t)addr - (uintptr_t)kmem_mm.mem_base < kmem_mm.total_pages << PAGE_SHIFT;
}

void *page_address(const struct page *page)
{
	return kmem_mm.mem_base + ((u64)(page - kmem_mm.memmap) << PAGE_SHIFT);
}

struct page *virt_to_page(const void *addr)
{
	if (unlikely(!__kmem_page_is_kmem(addr)))
		return NULL;
	return kmem_mm.memmap + (((uintptr_t)addr - (uintptr_t)kmem_mm.mem_base) >> PAGE_SHIFT);
}

bool virt_addr_valid(const void *addr)
{
	return __kmem_page_is_kmem(addr);
}

unsigned long page_to_pfn(const struct page *page)
{
	return (unsigned long)(page - kmem_mm.memmap);
}

bool pfn_valid(unsigned long pfn)
{
	/* an offline section has no struct pages (SPARSEMEM's valid_section()) */
	return kmem_initialized() && pfn < kmem_mm.total_pages && kmem_pfn_online(pfn);
}

struct page *pfn_to_page(unsigned long pfn)
{
	return pfn_valid(pfn) ? kmem_mm.memmap + pfn : NULL;
}

phys_addr_t page_to_phys(const struct page *page)
{
	u64 pfn = (u64)(page - kmem_mm.memmap);
	u64 hphys = kmem_mm.hpage_phys[pfn >> HPAGE_PFN_SHIFT];

	if (likely(hphys))
		return hphys + ((pfn & ((1ULL << HPAGE_PFN_SHIFT) - 1)) << PAGE_SHIFT);
	/* no pinned address anywhere: IOVA as VA, the same in every attached process */
	if (!(kmem_mm.shm->flags & KMEM_SHF_PHYS_REAL))
		return (phys_addr_t)(uintptr_t)__page_address(page);
	/* HIGHMEM beside a real direct map: never mistaken for a real address */
	return KMEM_PSEUDO_PHYS_BIT | (pfn << PAGE_SHIFT);
}

phys_addr_t virt_to_phys(const void *addr)
{
	struct page *page = virt_to_page(addr);

	return page ? page_to_phys(page) + offset_in_page(addr) : 0;
}

int page_to_nid(const struct page *page)
{
	return page->zone_id / MAX_NR_ZONES;
}

enum zone_type page_zonenum(const struct page *page)
{
	return (enum zone_type)(page->zone_id % MAX_NR_ZONES);
}

/* ------------------------------------------------------------------ */
/* recovery after a client died (client_gone.c)                       */
/* ------------------------------------------------------------------ */

/**
 * __kmem_zone_rebuild - rebuild @zone's free lists from the page flags.
 *
 * A process that died holding zone->lock may have left a list half
 * linked, so the lists are not trusted: the flags are.  A page with
 * PG_buddy heads a free block of page->order; the walk takes the blocks in
 * pfn order, so a block that is misaligned, runs past the zone or starts
 * inside one already taken (an overlap) cannot be right and loses its
 * PG_buddy (its pages are then lost, never handed out twice).
 * Context: caller holds zone->lock.  Return: free blocks found.
 */
u64 __kmem_zone_rebuild(struct zone *zone, u64 *overlaps)
{
	u64 pfn = zone->zone_start_pfn, end = pfn + zone->spanned_pages, blocks = 0, bad = 0;
	u64 covered = pfn;	/* first pfn not inside a block already listed */
	unsigned int o;

	for (o = 0; o < NR_PAGE_ORDERS; o++) {
		WRITE_ONCE(zone->free_area[o].head, PFN_NIL);
		WRITE_ONCE(zone->free_area[o].nr_free, 0);
	}
	WRITE_ONCE(zone->free_pages, 0);
	/*
	 * The block the holder was merging or splitting is free as a whole:
	 * halves of it still or already listed are folded back into it.
	 */
	if (zone->inflight_pfn1) {
		u64 head = zone->inflight_pfn1 - 1ULL, i;

		o = zone->inflight_order;
		if (o < NR_PAGE_ORDERS && head >= pfn && head + (1ULL << o) <= end &&
		    !(head & ((1ULL << o) - 1))) {
			for (i = 0; i < (1ULL << o); i++)
				__clear_page_buddy(__pfn_to_page(head + i));
			__pfn_to_page(head)->owner = 0;
			__pfn_to_page(head)->_refcount = 0;
			__set_page_buddy(__pfn_to_page(head), o);
		}
		zone_inflight_done(zone);
	}
	for (; pfn < end; pfn++) {
		struct page *page;
		u64 size;

		if (memmap_hole(&pfn))
			continue;
		page = __pfn_to_page(pfn);
		if (!(READ_ONCE(page->flags) & PG_buddy))
			continue;
		o = READ_ONCE(page->order);
		size = 1ULL << (o < NR_PAGE_ORDERS ? o : 0);
		if (o >= NR_PAGE_ORDERS || (pfn & (size - 1)) || pfn + size > end || pfn < covered ||
		    READ_ONCE(page->_refcount) != 0 ||
		    (READ_ONCE(page->flags) & (PG_reserved | PG_slab))) {
			__clear_page_buddy(page);
			bad++;
			continue;
		}
		add_to_free_list(page, zone, o);
		WRITE_ONCE(zone->free_pages, zone->free_pages + size);
		covered = pfn + size;
		blocks++;
	}
	if (overlaps)
		*overlaps = bad;
	return blocks;
}

/* Is [@pfn, +2^@order) inside a larger block, free or allocated? */
bool __kmem_pfn_inside_block(u64 pfn, unsigned int order)
{
	unsigned int o;

	for (o = order + 1; o < NR_PAGE_ORDERS; o++) {
		struct page *head = __pfn_to_page(pfn & ~((1ULL << o) - 1));

		if ((READ_ONCE(head->flags) & PG_buddy || READ_ONCE(head->_refcount) > 0) &&
		    READ_ONCE(head->order) >= o)
			return true;
	}
	return false;
}

/**
 * __kmem_pcp_check - bound a per-CPU list whose lock died with its holder
 * (KMEM_PCP_LOCKED mode): count at most the slots, and the list cut at its
 * first entry that is not a free block of this zone (aligned, no reference,
 * not on the buddy lists, not inside a larger free or allocated block).
 * The blocks past the cut are lost rather than handed out twice.
 * Context: caller holds pcp->lock.  Return: entries dropped.
 */
unsigned int __kmem_pcp_check(struct zone *zone, struct per_cpu_pages *pcp)
{
	u32 zid = zone->node * MAX_NR_ZONES + zone->idx;
	unsigned int o, dropped = 0;

	for (o = 0; o < NR_PCP_ORDERS; o++) {
		u64 w = READ_ONCE(pcp->word[o]);
		u32 count = (u32)(w & PCP_COUNT_MASK), i;

		if (count > PCP_SLOTS)
			count = PCP_SLOTS;
		for (i = 0; i < count; i++) {
			u32 pfn = pcp->slots[o][i];
			struct page *page;

			if (pfn < zone->zone_start_pfn ||
			    pfn >= zone->zone_start_pfn + zone->spanned_pages)
				break;
			page = __pfn_to_page(pfn);
			if (page->zone_id != zid || (pfn & ((1u << o) - 1)) ||
			    READ_ONCE(page->_refcount) != 0 ||
			    (READ_ONCE(page->flags) & (PG_buddy | PG_reserved | PG_slab)) ||
			    __kmem_pfn_inside_block(pfn, o))
				break;
		}
		if (i != (u32)(w & PCP_COUNT_MASK)) {
			dropped += (u32)(w & PCP_COUNT_MASK) - i;
			WRITE_ONCE(pcp->word[o], (w & ~PCP_COUNT_MASK) | i);
		}
	}
	return dropped;
}

/**
 * __kmem_return_block - give the buddy lists a block a dead client
 * allocated: whatever its reference count, nobody can free it any more.
 * Straight to the buddy lists, not this CPU's list, so the zone's free
 * count shows it at once.  The zone lock is waited for at most 100 ms: a
 * live process holding it must not stall the daemon.
 * Return: 0, or -EBUSY with the block untouched.
 */
int __kmem_return_block(struct page *page, unsigned int order)
{
	struct zone *zone = page_zone(page);
	u64 pfn = __page_to_pfn(page), i;
	struct timespec ts;
	int ret;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 100 * 1000000L;
	ts.tv_sec += ts.tv_nsec / 1000000000;
	ts.tv_nsec %= 1000000000;
	kmem_irq_disable();
	ret = pthread_mutex_timedlock(&zone->lock, &ts);
	if (ret == EOWNERDEAD) {
		__kmem_lock_owner_died(&zone->lock);
		ret = 0;
	}
	if (ret) {
		kmem_irq_enable();
		return -EBUSY;
	}
	if (READ_ONCE(page->flags) & PG_head) {
		for (i = 1; i < (1ULL << order); i++)
			page[i].compound_head = 0;
	}
	WRITE_ONCE(page->flags, READ_ONCE(page->flags) & ~(PG_head | PG_client_block));
	page->owner = 0;
	__atomic_store_n(&page->_refcount, 0, __ATOMIC_RELEASE);
	__free_one_page(zone, pfn, order);
	zone->pgfree++;
	zone_unlock(zone);
	kmem_free_wakeup();
	return 0;
}
