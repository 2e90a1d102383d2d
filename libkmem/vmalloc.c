// SPDX-License-Identifier: MIT
/*
 * vmalloc.c - virtually contiguous regions of physically scattered HIGHMEM
 * pages, mapped on first touch through userfaultfd; and kvmalloc.
 *
 *   vmalloc()
 *     __vmalloc_node()
 *       alloc_vmap_area()       a free range of the process's vmalloc area,
 *                               plus a guard page (first fit over the gaps)
 *       register the range      userfaultfd, missing-page mode; no memory yet
 *   first touch
 *     vmalloc_fault_thread()    reads the fault and populates the aligned
 *       vmap_populate()         window around it: HIGHMEM blocks from the
 *                               buddy allocator, the largest orders that fit,
 *                               each mapped with one mmap; then wakes the
 *                               faulting threads
 *   vfree()                     unmap, give every page back, drop the range
 *
 * The kernel's vmalloc() never faults after it returned, so ours charges
 * every page of the region when it returns, as hugetlb charges a mapping's
 * reservation: vm_charge() takes the pages out of what the zones can hand
 * out (zone->vm_charged, HighMem first, then Normal and below, the
 * kernel's zonelist for GFP_KERNEL | __GFP_HIGHMEM), onlining sections of
 * a node that can grow, as any allocation under its low watermark does
 * (memory_hotplug.c), after reclaim if it must, or vmalloc() returns NULL
 * with the kernel's "vmalloc error" report.  A section holding promised
 * pages stays online: offlining leaves a zone at least its promises.  Every other allocation's watermark check sees free pages minus
 * those promises, so the first touch finds its page: populate_block() gives
 * one page of the promise up and takes the page from that zone with no
 * watermark (__kmem_alloc_pages_charged()).  A region then costs only the
 * pages touched, but never more than were there when vmalloc() returned;
 * vfree() gives back the pages and the promises of the pages never
 * touched.  The promises live in shared memory, per process
 * (kmem_vm_charges), so kmemd gives a dead client's back.
 *
 * Zones below HighMem back vmalloc pages only where the direct map is
 * shared memory: a hugetlb page cannot be mapped 4 KiB at a time, so on
 * hugetlb vmalloc is charged to HighMem alone, and such a node grows its
 * HighMem (with sections of its direct map's shmem range) instead.  The SIGBUS at first touch
 * (the kernel's VM_FAULT_OOM) stays as the last resort of a fault that
 * finds no page even so; where userfaultfd is missing, vmalloc() takes and
 * maps every page at once.
 *
 * Lock order:
 *   1. vmap.lock (rwlock): the sorted area array; readers look areas up,
 *      writers insert and remove
 *   2. vm_struct::lock: which pages of one area are mapped
 *   3. page allocator locks
 * The charges lock (kmem_vm_charges::lock) nests under a node's
 * hotplug_lock and above its zone locks (offlining); vm_charge() takes
 * it alone, and grows the node with it released.
 *
 * fork(): the child gets a copy of the mappings.  Pages already mapped are
 * MAP_SHARED, so parent and child see each other's writes there; pages not
 * yet touched are not registered with userfaultfd in the child (the kernel
 * does not inherit it without UFFD_FEATURE_EVENT_FORK), so the child reads
 * them as private zero pages.  A child never hangs on a fault.  Areas
 * inherited from the parent belong to it: vfree() of one in the child only
 * unmaps it there and says so; the pages stay the parent's.
 *
 * memory=private: nothing can be mapped twice, so there is no fault
 * thread; vmalloc() takes every block at once (the promise kept at once)
 * and the region is plain anonymous memory that the kernel fills on first
 * touch, while each block's direct-map copy is discarded.  A fork()ed
 * child has a copy of everything, regions and blocks: its regions are its
 * own.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <sys/mman.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>

#include <linux/vmalloc.h>
#include <linux/slab.h>

#include "internal.h"
#include "os.h"

#define VMALLOC_AREA_SIZE	(64ULL << 30)
#define VMALLOC_MIN_AREA	(1ULL << 30)	/* the least vmap_init() settles for */
#define VMALLOC_MAX_ORDER	MAX_PAGE_ORDER
#define DEFAULT_FAULT_AROUND	(64UL << 10)
#define VMALLOC_MAX_WINDOW	512u		/* pages: 2 MiB */

struct vm_struct {
	char *addr;
	unsigned long size;		/* bytes, guard page included */
	unsigned int nr_pages;
	int node;
	pid_t pid;			/* the process that allocated it */
	const void *caller;
	pthread_mutex_t lock;		/* mapped[], next_fault, window */
	unsigned int next_fault;	/* page just past the last window mapped */
	unsigned int window;		/* pages the next sequential fault maps */
	gfp_t gfp;			/* __GFP_ZERO: zero pages before mapping them */
	unsigned int nr_populated;
	u32 *pfns;			/* per page; PFN_NIL until populated */
	u8 *orders;			/* per page: block order at a block's first page, else 0xff */
	u8 *mapped;			/* per page: mapped into the region yet */
	int record;			/* its kmem_shared::vm slot (attached), else -1 */
	/*
	 * What is still promised to the region, by zone in the order the
	 * zones are drawn on: one page for each page not populated yet.
	 */
	struct vm_charge {
		u16 zone_id;
		u32 pages;
	} *charge;
	unsigned int nr_charge;
};

static struct {
	pthread_rwlock_t lock;
	char *base;
	unsigned long size;
	struct vm_struct **areas;	/* sorted by addr */
	unsigned int nr, cap;
	int uffd;			/* -1: not opened; -2: unavailable, map eagerly */
	pid_t pid;			/* of the process the state belongs to */
	pthread_t thread;
	unsigned long fault_around_bytes;
	u64 faults, mmaps, pages_mapped;
} vmap = { .lock = PTHREAD_RWLOCK_INITIALIZER, .uffd = -1 };

static pthread_mutex_t vmap_init_lock = PTHREAD_MUTEX_INITIALIZER;

/* ------------------------------------------------------------------ */
/* the area array (caller holds vmap.lock)                             */
/* ------------------------------------------------------------------ */

/* Index of the first area whose end is above @addr. */
static unsigned int area_index(const char *addr)
{
	unsigned int lo = 0, hi = vmap.nr;

	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;

		if (vmap.areas[mid]->addr + vmap.areas[mid]->size <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct vm_struct *area_lookup(const void *addr)
{
	unsigned int i = area_index(addr);

	if (i < vmap.nr && vmap.areas[i]->addr <= (const char *)addr)
		return vmap.areas[i];
	return NULL;
}

/* First fit over the gaps, at a multiple of @align (a power of two); the array stays sorted. */
static char *alloc_vmap_area(unsigned long size, unsigned long align, unsigned int *at)
{
	char *start = vmap.base;
	unsigned int i;

	for (i = 0; i <= vmap.nr; i++) {
		char *end = i < vmap.nr ? vmap.areas[i]->addr : vmap.base + vmap.size;
		char *s = (char *)(((uintptr_t)start + align - 1) & ~(uintptr_t)(align - 1));

		if (s <= end && (unsigned long)(end - s) >= size) {
			*at = i;
			return s;
		}
		if (i < vmap.nr)
			start = vmap.areas[i]->addr + vmap.areas[i]->size;
	}
	return NULL;
}

static int insert_area(struct vm_struct *area, unsigned int at)
{
	if (vmap.nr == vmap.cap) {
		unsigned int cap = vmap.cap ? vmap.cap * 2 : 64;
		struct vm_struct **a = os_reallocarray(vmap.areas, cap, sizeof(*a));

		if (!a)
			return -ENOMEM;
		vmap.areas = a;
		vmap.cap = cap;
	}
	memmove(&vmap.areas[at + 1], &vmap.areas[at], (vmap.nr - at) * sizeof(*vmap.areas));
	vmap.areas[at] = area;
	vmap.nr++;
	return 0;
}

static void remove_area(unsigned int at)
{
	memmove(&vmap.areas[at], &vmap.areas[at + 1], (vmap.nr - at - 1) * sizeof(*vmap.areas));
	vmap.nr--;
}

/* ------------------------------------------------------------------ */
/* mapping pages                                                       */
/* ------------------------------------------------------------------ */

/*
 * The memfd and offset that back @pfn: a HIGHMEM pool page, or a direct-map
 * page where the direct map is shared memory (a hugetlb page cannot be
 * mapped 4 KiB at a time; vm_charge_zones() never charges such zones).
 */
static int pfn_to_fd(u64 pfn, u64 *off)
{
	struct kmem_shared *shm = kmem_mm.shm;
	unsigned int nid;

	for (nid = 0; nid < kmem_mm.nr_nodes; nid++) {
		struct pglist_data *pgdat = &shm->node_data[nid];

		if (pfn >= pgdat->highmem_start_pfn &&
		    pfn < pgdat->highmem_start_pfn + pgdat->highmem_pages) {
			*off = (pfn - pgdat->highmem_start_pfn) << PAGE_SHIFT;
			return kmem_mm.node_fds[nid][KMEM_FD_HIGHMEM];
		}
		/*
		 * The direct map's shmem range (after its hugetlb range, if
		 * any): its file holds the range's pages in order, 4 KiB
		 * mappable; a hugetlb page is not.
		 */
		if (pfn >= pgdat->direct_start_pfn + pgdat->huge_pages &&
		    pfn < pgdat->direct_start_pfn + pgdat->direct_pages) {
			*off = (pfn - pgdat->direct_start_pfn - pgdat->huge_pages) << PAGE_SHIFT;
			return kmem_mm.node_fds[nid][KMEM_FD_SHMEM];
		}
	}
	return -1;
}

/* ------------------------------------------------------------------ */
/* charges: the pages promised to regions (types.h, kmem_vm_charges)   */
/* ------------------------------------------------------------------ */

#define CHARGE_RECLAIM_ROUNDS	16	/* direct reclaim rounds before vmalloc() gives up */
#define NR_ZONE_IDS		(MAX_NUMNODES * MAX_NR_ZONES)

static struct kmem_vm_charges *vm_charges(void)
{
	return &kmem_mm.shm->vm_charges;
}

/* A holder died inside: the slots are right (written first), the zones follow them. */
static void __cold charges_rebuild(void)
{
	struct kmem_vm_charges *c = vm_charges();
	static u64 sum[NR_ZONE_IDS];	/* under the lock: one rebuild at a time */
	unsigned int i, z;

	memset(sum, 0, sizeof(sum));
	for (i = 0; i < KMEM_VM_CHARGE_SLOTS; i++)
		if (c->slot[i].used)
			for (z = 0; z < NR_ZONE_IDS; z++)
				sum[z] += c->slot[i].pages[z];
	for (z = 0; z < __kmem_seg_nodes() * MAX_NR_ZONES && z < NR_ZONE_IDS; z++)
		__atomic_store_n(&zone_by_id(z)->vm_charged, sum[z], __ATOMIC_RELAXED);
	__kmem_printk("kmem: vmalloc charges rebuilt after a process died holding their lock\n");
}

static void charges_lock(void)
{
	struct kmem_vm_charges *c = vm_charges();

	kmem_irq_disable();
	if (unlikely(pthread_mutex_lock(&c->lock) == EOWNERDEAD)) {
		pthread_mutex_consistent(&c->lock);
		__atomic_fetch_add(&__kmem_locks_recovered, 1, __ATOMIC_RELAXED);
		charges_rebuild();
	}
}

static void charges_unlock(void)
{
	pthread_mutex_unlock(&vm_charges()->lock);
	kmem_irq_enable();
}

/* This process's slot (by client id), claimed if @claim.  Caller holds the lock. */
static struct kmem_vm_charge_slot *charge_slot(bool claim)
{
	struct kmem_vm_charges *c = vm_charges();
	struct kmem_vm_charge_slot *free_slot = NULL;
	unsigned int i;

	for (i = 0; i < KMEM_VM_CHARGE_SLOTS; i++) {
		struct kmem_vm_charge_slot *sl = &c->slot[i];

		if (sl->used && sl->owner == kmem_mm.owner)
			return sl;
		if (!sl->used && !free_slot)
			free_slot = sl;
	}
	if (!claim || !free_slot)
		return NULL;
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->owner = kmem_mm.owner;
	free_slot->used = 1;
	return free_slot;
}

/* Move @delta pages of promise on zone @zone_id: the slot first. Caller holds the lock. */
static void charge_move(struct kmem_vm_charge_slot *sl, unsigned int zone_id, s64 delta)
{
	struct zone *zone = zone_by_id(zone_id);

	s64 charged = (s64)zone->vm_charged + delta;

	sl->pages[zone_id] = (u32)((s64)sl->pages[zone_id] + delta);
	sl->total = (u64)((s64)sl->total + delta);
	/* a slot a process scribbled on must not wrap the zone's count */
	__atomic_store_n(&zone->vm_charged, charged > 0 ? (u64)charged : 0, __ATOMIC_RELAXED);
	if (!sl->total)
		sl->used = 0;
}

/*
 * The zones vmalloc may draw on from node @nid: the zonelist of
 * GFP_KERNEL | __GFP_HIGHMEM (this node's HighMem, Normal, DMA32, DMA,
 * then the other nodes' by distance; __GFP_THISNODE: this node's only),
 * less the zones whose pages cannot be mapped one by one (hugetlb).
 */
static unsigned int vm_charge_zones(int nid, gfp_t gfp, u16 *out)
{
	struct pglist_data *pgdat = NODE_DATA(nid);
	const u16 *zl = (gfp & __GFP_THISNODE) ?
		pgdat->zonelist_nofallback + pgdat->zonelist_nofallback_start[ZONE_HIGHMEM] :
		pgdat->zonelist_fallback + pgdat->zonelist_fallback_start[ZONE_HIGHMEM];
	unsigned int i, n = 0;

	for (i = 0; zl[i] != ZONE_ID_NIL; i++) {
		const struct zone *zone = zone_by_id(zl[i]);

		if (zone->idx != ZONE_HIGHMEM && NODE_DATA((int)zone->node)->hugetlb)
			continue;
		out[n++] = zl[i];
	}
	return n;
}

/* What @zone can still promise: free, unpromised, above @mark and the HighMem reserve. */
static u64 zone_chargeable(const struct zone *zone, enum zone_watermarks mark)
{
	s64 avail = (s64)READ_ONCE(zone->free_pages) - (s64)READ_ONCE(zone->vm_charged) -
		    (s64)READ_ONCE(zone->_watermark[mark]) -
		    (s64)READ_ONCE(zone->lowmem_reserve[ZONE_HIGHMEM]);

	return avail > 0 ? (u64)avail : 0;
}

struct charge_goal {
	const u16 *zones;
	unsigned int nr;
	u64 need;
};

static bool charge_goal_met(void *arg)
{
	const struct charge_goal *g = arg;
	u64 sum = 0;
	unsigned int i;

	for (i = 0; i < g->nr && sum < g->need; i++)
		sum += zone_chargeable(zone_by_id(g->zones[i]), WMARK_MIN);
	return sum >= g->need;
}

/*
 * One attempt: if the zones can promise @g->need pages above @mark, promise
 * them, drawing on each zone in order, and note them in @area.  All or
 * nothing, under the lock, so concurrent vmalloc()s never promise together
 * more than there is.
 */
static bool charge_try(struct vm_struct *area, const struct charge_goal *g,
		       enum zone_watermarks mark)
{
	struct kmem_vm_charge_slot *sl;
	u64 left = g->need, sum = 0;
	unsigned int i;

	charges_lock();
	for (i = 0; i < g->nr && sum < g->need; i++)
		sum += zone_chargeable(zone_by_id(g->zones[i]), mark);
	sl = sum >= g->need ? charge_slot(true) : NULL;
	if (!sl) {
		charges_unlock();
		return false;
	}
	for (i = 0; i < g->nr && left; i++) {
		u64 take = zone_chargeable(zone_by_id(g->zones[i]), mark);

		if (take > left)
			take = left;
		if (!take)
			continue;
		charge_move(sl, g->zones[i], (s64)take);
		area->charge[area->nr_charge].zone_id = g->zones[i];
		area->charge[area->nr_charge++].pages = (u32)take;
		left -= take;
	}
	charges_unlock();
	return true;
}

/*
 * The zone of the list that a node's growth feeds, for vmalloc: Normal, or
 * on a hugetlb node HighMem (its shmem sections; a hugetlb page cannot be
 * mapped 4 KiB at a time).
 */
static bool zone_grows_for_vmalloc(const struct zone *zone)
{
	const struct pglist_data *pgdat = NODE_DATA((int)zone->node);

	if (pgdat->hugetlb)
		return zone->idx == ZONE_HIGHMEM && kmem_node_can_grow_highmem(pgdat);
	return zone->idx == ZONE_NORMAL && kmem_node_can_grow(pgdat);
}

/* Pages the zones of the list may still gain by their nodes onlining sections. */
static u64 charge_growable(const struct charge_goal *g)
{
	u64 n = 0;
	unsigned int i;

	for (i = 0; i < g->nr; i++) {
		const struct zone *zone = zone_by_id(g->zones[i]);
		const struct pglist_data *pgdat = NODE_DATA((int)zone->node);
		u64 online = READ_ONCE(pgdat->online_pages);

		if (zone_grows_for_vmalloc(zone) && online < pgdat->max_pages)
			n += pgdat->max_pages - online;
	}
	return n;
}

/*
 * Online one section on the first node of the list that can grow, as an
 * allocation under its low watermark would.  Return: true when memory was
 * added.
 */
static bool charge_grow(const struct charge_goal *g, gfp_t gfp)
{
	unsigned int i;

	if (!(gfp & __GFP_DIRECT_RECLAIM))
		return false;
	for (i = 0; i < g->nr; i++) {
		const struct zone *zone = zone_by_id(g->zones[i]);

		if (!zone_grows_for_vmalloc(zone))
			continue;
		if (zone->idx == ZONE_HIGHMEM ? __kmem_grow_highmem((int)zone->node) :
						__kmem_grow_node((int)zone->node))
			return true;
	}
	return false;
}

/*
 * vm_charge - promise every page of @area, as a GFP_KERNEL allocation of
 * that many pages would get them: above the low watermark, onlining
 * sections while a node of the list can grow; else kswapd is
 * woken and the min watermark will do; else direct reclaim, up to
 * CHARGE_RECLAIM_ROUNDS rounds waiting for frees between them (one with
 * __GFP_NORETRY, for ever with __GFP_NOFAIL).  More than the zones manage
 * altogether fails at once, as the kernel's "exceeds total pages".
 * Return: true, or false after the kernel's report (unless __GFP_NOWARN).
 */
static bool vm_charge(struct vm_struct *area, gfp_t gfp)
{
	u16 zones[ZONELIST_LEN];
	struct charge_goal g = { zones, 0, area->nr_pages };
	int nid = area->node;
	unsigned int rounds = 0, i;
	u64 managed = 0;

	if (nid == NUMA_NO_NODE || nid < 0 || nid >= (int)kmem_mm.nr_nodes)
		nid = __kmem_numa_node_id();
	g.nr = vm_charge_zones(nid, gfp, zones);
	area->charge = os_calloc(g.nr ?: 1, sizeof(*area->charge));
	if (!area->charge)
		return false;
	for (i = 0; i < g.nr; i++)
		managed += zone_by_id(zones[i])->managed_pages;
	if (g.need > managed + charge_growable(&g)) {
		__atomic_fetch_add(&vm_charges()->charge_fail, 1, __ATOMIC_RELAXED);
		__kmem_warn_alloc(gfp, "vmalloc error: size %lu, exceeds total pages",
				  (unsigned long)area->nr_pages << PAGE_SHIFT);
		return false;
	}
	if (charge_try(area, &g, WMARK_LOW))
		return true;
	while (charge_grow(&g, gfp))
		if (charge_try(area, &g, WMARK_LOW))
			return true;
	for (i = 0; i < kmem_mm.nr_nodes; i++)
		__kmem_wakeup_kswapd((int)i, 0, ZONE_HIGHMEM);
	if (charge_try(area, &g, WMARK_MIN))
		return true;
	while ((gfp & __GFP_DIRECT_RECLAIM) && !__kmem_memalloc) {
		__kmem_try_to_free_pages(gfp, 0, nid, charge_goal_met, &g);
		if (charge_try(area, &g, WMARK_MIN))
			return true;
		if (gfp & __GFP_NORETRY)
			break;
		if (++rounds >= CHARGE_RECLAIM_ROUNDS && !(gfp & __GFP_NOFAIL))
			break;
		__kmem_wait_for_free(10);
	}
	__atomic_fetch_add(&vm_charges()->charge_fail, 1, __ATOMIC_RELAXED);
	__kmem_warn_alloc(gfp, "vmalloc error: size %lu, failed to allocate pages",
			  (unsigned long)area->nr_pages << PAGE_SHIFT);
	return false;
}

/* Give back every page still promised to @area (vfree, a failed vmalloc). */
static void vm_uncharge(struct vm_struct *area)
{
	struct kmem_vm_charge_slot *sl;
	unsigned int i;

	if (!area->nr_charge || !kmem_mm.shm)
		return;
	charges_lock();
	sl = charge_slot(false);
	for (i = 0; sl && i < area->nr_charge; i++) {
		if (area->charge[i].pages)
			charge_move(sl, area->charge[i].zone_id, -(s64)area->charge[i].pages);
		area->charge[i].pages = 0;
	}
	charges_unlock();
	area->nr_charge = 0;
}

/*
 * Give up 2^@order pages of @area's promise, from the first zone that holds
 * that many, to take them.  Return: its index in area->charge, or -1.
 */
static int vm_charge_take(struct vm_struct *area, unsigned int order)
{
	struct kmem_vm_charge_slot *sl;
	unsigned int i;

	for (i = 0; i < area->nr_charge; i++)
		if (area->charge[i].pages >= 1u << order)
			break;
	if (i == area->nr_charge)
		return -1;
	charges_lock();
	sl = charge_slot(false);
	if (sl)
		charge_move(sl, area->charge[i].zone_id, -(s64)(1u << order));
	charges_unlock();
	area->charge[i].pages -= 1u << order;
	return (int)i;
}

/* The block could not be had after all: the promise again. */
static void vm_charge_restore(struct vm_struct *area, int k, unsigned int order)
{
	struct kmem_vm_charge_slot *sl;

	charges_lock();
	sl = charge_slot(true);
	if (sl)
		charge_move(sl, area->charge[k].zone_id, (s64)(1u << order));
	charges_unlock();
	if (sl)
		area->charge[k].pages += 1u << order;
}

static u64 area_charged(const struct vm_struct *area)
{
	u64 n = 0;
	unsigned int i;

	for (i = 0; i < area->nr_charge; i++)
		n += area->charge[i].pages;
	return n;
}

/*
 * The charges lock, waited for 100 ms at most: kmemd never blocks on it (a
 * live client may hold it, or a client may have scribbled on it), and one
 * of another kind is not handed to glibc at all.  Return: 0 (held) or -EBUSY.
 */
int __kmem_vm_charges_hold(void)
{
	struct kmem_vm_charges *c = vm_charges();
	struct timespec ts;
	int ret;

	if (!__kmem_segment_lock_kind_ok(&c->lock))
		return -EBUSY;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 100 * 1000000L;
	ts.tv_sec += ts.tv_nsec / 1000000000;
	ts.tv_nsec %= 1000000000;
	kmem_irq_disable();
	ret = pthread_mutex_timedlock(&c->lock, &ts);
	if (ret == EOWNERDEAD) {
		pthread_mutex_consistent(&c->lock);
		__atomic_fetch_add(&__kmem_locks_recovered, 1, __ATOMIC_RELAXED);
		charges_rebuild();
	} else if (ret) {
		kmem_irq_enable();
		return -EBUSY;
	}
	return 0;
}

void __kmem_vm_charges_release(void)
{
	charges_unlock();
}

/*
 * kmemd, client @client_id gone: its promises go back to the zones, added
 * to *@pages.  The lock is tried for a while only (a live client may hold
 * it, or a client may have scribbled on it): the daemon never blocks on it.
 * Return: 0, or -EBUSY: call again later.
 */
int __kmem_vm_charges_client_gone(u32 client_id, u64 *pages)
{
	struct kmem_vm_charges *c = vm_charges();
	unsigned int i, z;

	if (__kmem_vm_charges_hold())
		return -EBUSY;
	for (i = 0; i < KMEM_VM_CHARGE_SLOTS; i++) {
		struct kmem_vm_charge_slot *sl = &c->slot[i];

		if (!sl->used || sl->owner != client_id)
			continue;
		for (z = 0; z < __kmem_seg_nodes() * MAX_NR_ZONES && z < NR_ZONE_IDS; z++) {
			if (!sl->pages[z])
				continue;
			*pages += sl->pages[z];
			charge_move(sl, z, -(s64)sl->pages[z]);
		}
		memset(sl, 0, sizeof(*sl));
	}
	charges_unlock();
	return 0;
}

/* ------------------------------------------------------------------ */
/* the shared records of attached processes' areas (types.h)           */
/* ------------------------------------------------------------------ */

static struct kmem_vm_record *vm_record(int slot)
{
	return &kmem_mm.shm->vm.rec[slot];
}

static void format_caller(char *buf, size_t len, const void *caller)
{
	Dl_info info;

	if (dladdr(caller, &info) && info.dli_sname)
		snprintf(buf, len, "%s+0x%lx", info.dli_sname,
			 (unsigned long)((const char *)caller - (const char *)info.dli_saddr));
	else
		snprintf(buf, len, "%p", caller);
}

/*
 * An attached process publishes each area it allocates, so that kmemd's
 * vmallocinfo lists every process's areas as the kernel's lists every
 * area.  A full table only costs the listing (counted as unpublished).
 */
static void publish_area(struct vm_struct *area)
{
	struct kmem_vm_records *vm = &kmem_mm.shm->vm;
	unsigned int i, p;

	area->record = -1;
	if (!kmem_mm.owner)
		return;
	for (i = 0; i < KMEM_VM_RECORDS; i++) {
		struct kmem_vm_record *r = &vm->rec[i];
		u32 free_state = KMEM_VM_FREE;

		if (__atomic_load_n(&r->state, __ATOMIC_RELAXED) != KMEM_VM_FREE ||
		    !__atomic_compare_exchange_n(&r->state, &free_state, KMEM_VM_CLAIMED, false,
						 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			continue;
		r->owner = kmem_mm.owner;
		r->pid = (u32)area->pid;
		r->nr_pages = area->nr_pages;
		r->addr = (u64)(uintptr_t)area->addr;
		r->size = area->size;
		__atomic_store_n(&r->nr_populated, area->nr_populated, __ATOMIC_RELAXED);
		memset(r->node_pages, 0, sizeof(r->node_pages));
		/* populated already when there is no userfaultfd */
		for (p = 0; p < area->nr_pages; p++)
			if (area->orders[p] != 0xff)
				r->node_pages[page_to_nid(pfn_to_page(area->pfns[p])) % MAX_NUMNODES] +=
					1u << area->orders[p];
		format_caller(r->caller, sizeof(r->caller), area->caller);
		area->record = (int)i;
		__atomic_store_n(&r->state, KMEM_VM_LIVE, __ATOMIC_RELEASE);
		return;
	}
	__atomic_fetch_add(&vm->unpublished, 1, __ATOMIC_RELAXED);
}

static void record_pages(struct vm_struct *area, int nid, unsigned int pages)
{
	struct kmem_vm_record *r = vm_record(area->record);

	__atomic_fetch_add(&r->nr_populated, pages, __ATOMIC_RELAXED);
	if (nid >= 0 && nid < MAX_NUMNODES)
		__atomic_fetch_add(&r->node_pages[nid], pages, __ATOMIC_RELAXED);
}

/* vfree(), detach: the area is gone (only its own process unpublishes it). */
static void unpublish_area(struct vm_struct *area)
{
	if (area->record < 0 || area->pid != getpid() || !kmem_mm.shm)
		return;
	__atomic_store_n(&vm_record(area->record)->state, KMEM_VM_FREE, __ATOMIC_RELEASE);
	area->record = -1;
}

/*
 * A published record as the builder (kmemd) reads it: a snapshot, each
 * field checked, since any client can write the table.  Return: true when
 * @out holds a live record.
 */
static bool read_record(unsigned int i, struct kmem_vm_record *out)
{
	const struct kmem_vm_record *r = vm_record((int)i);

	if (__atomic_load_n(&r->state, __ATOMIC_ACQUIRE) != KMEM_VM_LIVE)
		return false;
	memcpy(out, r, sizeof(*out));
	out->caller[KMEM_VM_CALLER_LEN - 1] = '\0';
	/* a record the client was rewriting, or a lying one: skipped */
	return out->state == KMEM_VM_LIVE && out->nr_pages &&
	       out->size == ((u64)out->nr_pages + 1) << PAGE_SHIFT &&
	       out->nr_populated <= out->nr_pages;
}

/* kmemd, client @client_id gone: its areas went with its address space. */
void __kmem_vm_records_client_gone(u32 client_id)
{
	unsigned int i;

	for (i = 0; i < KMEM_VM_RECORDS; i++) {
		struct kmem_vm_record *r = vm_record((int)i);

		if (__atomic_load_n(&r->state, __ATOMIC_ACQUIRE) != KMEM_VM_FREE &&
		    READ_ONCE(r->owner) == client_id)
			__atomic_store_n(&r->state, KMEM_VM_FREE, __ATOMIC_RELEASE);
	}
}

/*
 * A block for pages [@i, +2^order) of @area out of its promise: given up in
 * the zone that holds it, taken there with no watermark.  When even that
 * zone has none (an allocation allowed below every watermark took it), a
 * single page may still come from any HighMem an ordinary request may
 * take; failing that the promise stands and the caller waits.
 */
static struct page *charged_block(struct vm_struct *area, unsigned int order, gfp_t gfp)
{
	struct page *page;
	int k = vm_charge_take(area, order);

	if (k < 0)	/* nothing promised (cannot happen): as an ordinary request */
		return __kmem_alloc_pages_highmem(gfp, order, area->node);
	page = __kmem_alloc_pages_charged(area->charge[k].zone_id, order, gfp);
	if (!page && !order)
		page = __kmem_alloc_pages_highmem(gfp | __GFP_NOWARN, 0, area->node);
	if (!page)
		vm_charge_restore(area, k, order);
	return page;
}

/*
 * ThreadSanitizer takes the mmap that maps a faulting page for a write by
 * the fault thread, and cannot see the userfaultfd wake-up that orders it
 * before the faulting access: the mapping is done with the thread's
 * accesses ignored (the pages' contents are written, and so ordered, by
 * whoever writes them through the region).
 */
#if defined(__SANITIZE_THREAD__)
void __tsan_ignore_thread_begin(void);
void __tsan_ignore_thread_end(void);
#define tsan_ignore_begin()	__tsan_ignore_thread_begin()
#define tsan_ignore_end()	__tsan_ignore_thread_end()
#else
#define tsan_ignore_begin()	do { } while (0)
#define tsan_ignore_end()	do { } while (0)
#endif

static int map_block(char *addr, size_t len, int fd, u64 off)
{
	int ret;

	tsan_ignore_begin();
	ret = os_map_fixed_populate(addr, len, fd, off);
	tsan_ignore_end();
	return ret;
}

/* Take a block for pages [@i, @i + 2^order) of @area; false when there is none. */
static bool populate_block(struct vm_struct *area, unsigned int i, unsigned int order, gfp_t gfp)
{
	struct page *page;
	unsigned int k;
	u64 off;
	int fd;

	page = charged_block(area, order, gfp);
	if (!page)
		return false;
	if (kmem_mm.opts.private_memory) {
		/*
		 * No alias of private memory: the region keeps its own
		 * anonymous pages (zeros, faulted in by the kernel) and the
		 * block stands for them in the accounting; its direct-map
		 * copy goes back to the kernel.
		 */
		os_discard_private(page_address(page), PAGE_SIZE << order);
		goto mapped;
	}
	if (area->gfp & __GFP_ZERO)
		memset(page_address(page), 0, PAGE_SIZE << order);
	fd = pfn_to_fd(page_to_pfn(page), &off);
	if (fd < 0 || map_block(area->addr + ((u64)i << PAGE_SHIFT), PAGE_SIZE << order, fd,
				off)) {
		__free_pages(page, order);
		return false;	/* the promise of those pages is spent: they stay unmapped */
	}
mapped:
	area->orders[i] = (u8)order;
	for (k = 0; k < (1u << order); k++) {
		area->pfns[i + k] = (u32)page_to_pfn(page) + k;
		area->mapped[i + k] = 1;
	}
	__atomic_store_n(&area->nr_populated, area->nr_populated + (1u << order), __ATOMIC_RELAXED);
	if (area->record >= 0)
		record_pages(area, page_to_nid(page), 1u << order);
	__atomic_fetch_add(&vmap.mmaps, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&vmap.pages_mapped, 1u << order, __ATOMIC_RELAXED);
	return true;
}

/*
 * vmap_populate - give pages [@first, @last) of @area that have none a page
 * and map it: in each run of empty pages, the largest naturally aligned
 * blocks that fit (up to VMALLOC_MAX_ORDER), one mmap each.
 * Context: caller holds area->lock.  Return: 0, or -ENOMEM when a page
 * could not be had (what was populated stays).
 */
static int vmap_populate(struct vm_struct *area, unsigned int first, unsigned int last,
			 gfp_t gfp)
{
	unsigned int i = first;

	while (i < last) {
		unsigned int order, left = last - i;

		if (area->mapped[i]) {
			i++;
			continue;
		}
		order = 31 - (unsigned int)__builtin_clz(left);
		if (order > VMALLOC_MAX_ORDER)
			order = VMALLOC_MAX_ORDER;
		while (order && (i & ((1u << order) - 1)))
			order--;
		/* every page of the block must still be empty */
		while (order && memchr(area->mapped + i, 1, 1u << order))
			order--;
		while (!populate_block(area, i, order,
				       order ? (gfp | __GFP_NOWARN | __GFP_NORETRY) & ~__GFP_NOFAIL :
					       gfp)) {
			if (!order)
				return -ENOMEM;
			order--;
		}
		i += 1u << order;
	}
	return 0;
}

static void __cold fault_oom(struct vm_struct *area, char *page, u32 tid)
{
	__kmem_printk("%s: vmalloc: out of memory at first touch of %p (region %p, %u pages); "
		      "SIGBUS to thread %u\n", os_comm(), (void *)page, (void *)area->addr,
		      area->nr_pages, tid);
	os_kill_thread(tid, SIGBUS);
}

/* Return: true when no page could be had for the faulting page (retry later). */
static bool __handle_fault(u64 addr, u32 tid, bool last_try)
{
	unsigned long around = __atomic_load_n(&vmap.fault_around_bytes, __ATOMIC_RELAXED) >>
			       PAGE_SHIFT;
	struct vm_struct *area;
	unsigned int idx, first, last;
	char *page = (char *)(addr & PAGE_MASK);
	bool retry = false;

	pthread_rwlock_rdlock(&vmap.lock);
	area = area_lookup(page);
	if (area && page < area->addr + ((u64)area->nr_pages << PAGE_SHIFT)) {
		idx = (unsigned int)((page - area->addr) >> PAGE_SHIFT);
		pthread_mutex_lock(&area->lock);
		/*
		 * An aligned window, as the kernel's do_fault_around(); a fault
		 * right where the last window ended doubles the next one (up to
		 * VMALLOC_MAX_WINDOW), as readahead does, since a sequential
		 * first touch is the common case and each fault costs tens of us.
		 */
		if (idx == area->next_fault && area->window)
			area->window = area->window * 2 > VMALLOC_MAX_WINDOW ? VMALLOC_MAX_WINDOW :
									      area->window * 2;
		else
			area->window = around ? (unsigned int)around : 1;
		first = idx & ~(area->window - 1);
		last = first + area->window;
		if (last > area->nr_pages)
			last = area->nr_pages;
		area->next_fault = last;
		/*
		 * The window is a bonus; only the faulting page must be had.  One
		 * round of reclaim each: waiting for frees happens in
		 * handle_fault() with the locks dropped, so that vfree() can run.
		 */
		if (vmap_populate(area, first, last, GFP_KERNEL | __GFP_NOWARN | __GFP_NORETRY) &&
		    !area->mapped[idx])
			vmap_populate(area, idx, idx + 1, GFP_KERNEL | __GFP_NOWARN | __GFP_NORETRY);
		if (!area->mapped[idx]) {
			retry = !last_try;
			if (last_try)
				fault_oom(area, page, tid);
		}
		pthread_mutex_unlock(&area->lock);
		if (!retry)
			os_uffd_wake(vmap.uffd, area->addr + ((u64)first << PAGE_SHIFT),
				     (size_t)(last - first) << PAGE_SHIFT);
	}
	pthread_rwlock_unlock(&vmap.lock);
	/* a stale or foreign fault: wake it anyway, the access then faults for real */
	if (!retry)
		os_uffd_wake(vmap.uffd, page, PAGE_SIZE);
	return retry;
}

/*
 * A first touch is a may-sleep allocation: when reclaim finds no page,
 * wait for frees with the locks dropped (so that vfree() can run) and try
 * again, for as long as a GFP_KERNEL request would (reclaim_timeout_ms),
 * then give up with SIGBUS.
 */
static void handle_fault(u64 addr, u32 tid)
{
	u64 deadline = 0;
	bool last_try = false;

	__atomic_fetch_add(&vmap.faults, 1, __ATOMIC_RELAXED);
	while (__handle_fault(addr, tid, last_try)) {
		if (!deadline)
			deadline = os_now_ms() +
				   READ_ONCE(kmem_mm.shm->tun.reclaim_timeout_ms);
		__kmem_wait_for_free(10);
		last_try = os_now_ms() >= deadline;
	}
}

static void *vmalloc_fault_thread(void *arg)
{
	struct pollfd pfd = { .fd = (int)(long)arg, .events = POLLIN };
	u64 addrs[16];
	u32 tids[16];
	sigset_t all;
	int n, i;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	prctl(PR_SET_NAME, "kmem-vmalloc");
	for (;;) {
		if (poll(&pfd, 1, -1) < 0)
			continue;
		if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL))
			return NULL;
		n = os_uffd_read_faults(pfd.fd, addrs, tids, 16);
		for (i = 0; i < n; i++)
			handle_fault(addrs[i], tids[i]);
	}
	return NULL;
}

/*
 * After fork(): the areas are the parent's; uffd and its thread are gone.
 * Called by init.c's fork handlers, before the page allocator's locks.
 */
void __kmem_vmap_fork_prepare(void)
{
	pthread_mutex_lock(&vmap_init_lock);
	pthread_rwlock_wrlock(&vmap.lock);
}

void __kmem_vmap_fork_parent(void)
{
	pthread_rwlock_unlock(&vmap.lock);
	pthread_mutex_unlock(&vmap_init_lock);
}

void __kmem_vmap_fork_child(void)
{
	unsigned int i;

	/* private memory: the child has a copy of every region and of its pages */
	if (kmem_mm.opts.private_memory)
		for (i = 0; i < vmap.nr; i++)
			vmap.areas[i]->pid = getpid();
	pthread_rwlock_init(&vmap.lock, NULL);
	pthread_mutex_init(&vmap_init_lock, NULL);
	vmap.uffd = -1;
	vmap.pid = 0;
}

/* Reserve the vmalloc area and start the fault thread, once per process. */
static int vmap_init(void)
{
	int ret = 0;

	if (likely(vmap.pid == getpid()))
		return 0;
	pthread_mutex_lock(&vmap_init_lock);
	if (vmap.pid == getpid())
		goto out;
	if (!vmap.base) {
		unsigned long size = VMALLOC_AREA_SIZE;
		void *base;

		/* Valgrind's address space manager refuses 64 GiB: take what it gives */
		while ((ret = os_reserve(size, 1UL << 21, &base)) && size > VMALLOC_MIN_AREA)
			size >>= 1;
		if (ret)
			goto out;
		vmap.base = base;
		vmap.size = size;
		vmap.fault_around_bytes = DEFAULT_FAULT_AROUND;
	}
	/* private memory cannot be aliased: a region is its own anonymous pages */
	vmap.uffd = kmem_mm.opts.private_memory ? -EOPNOTSUPP : os_uffd_open();
	if (vmap.uffd >= 0 &&
	    pthread_create(&vmap.thread, NULL, vmalloc_fault_thread, (void *)(long)vmap.uffd)) {
		os_close(vmap.uffd);
		vmap.uffd = -ENOMEM;
	}
	if (vmap.uffd >= 0) {
		pthread_detach(vmap.thread);
	} else {
		if (!kmem_mm.opts.quiet && !kmem_mm.opts.private_memory)
			__kmem_printk("kmem: userfaultfd unavailable (%s); vmalloc maps its pages "
				      "eagerly\n", strerror(-vmap.uffd));
		vmap.uffd = -2;
	}
	__atomic_store_n(&vmap.pid, getpid(), __ATOMIC_RELEASE);
out:
	pthread_mutex_unlock(&vmap_init_lock);
	return ret;
}

/* ------------------------------------------------------------------ */
/* allocation and freeing                                              */
/* ------------------------------------------------------------------ */

static void free_area_pages(struct vm_struct *area)
{
	unsigned int i;

	for (i = 0; i < area->nr_pages; i++)
		if (area->orders[i] != 0xff)
			__free_pages(pfn_to_page(area->pfns[i]), area->orders[i]);
	__atomic_store_n(&area->nr_populated, 0, __ATOMIC_RELAXED);
}

/*
 * The areas' bookkeeping is process-private (libc), not kmem memory: kmem
 * memory is shared with a fork()ed child, this state must not be; and the
 * fault thread reads it, so it must never be vmalloc memory itself.
 */
static void free_area_struct(struct vm_struct *area)
{
	unpublish_area(area);
	os_free(area->charge);
	os_free(area->pfns);
	os_free(area->orders);
	os_free(area->mapped);
	os_free(area);
}

void *__vmalloc_node(unsigned long size, unsigned long align, gfp_t gfp, int node,
		     const void *caller)
{
	struct vm_struct *area;
	unsigned long real_size;
	unsigned int at;
	char *addr;

	might_sleep_caller(caller);	/* the kernel's, in alloc_vmap_area() */
	if (align < PAGE_SIZE)
		align = PAGE_SIZE;
	if (!size || size > (VMALLOC_AREA_SIZE >> 1) || (align & (align - 1)) ||
	    align > (VMALLOC_AREA_SIZE >> 2) || kmem_ensure_init() || vmap_init())
		goto fail;
	area = os_calloc(1, sizeof(*area));
	if (!area)
		goto fail;
	area->nr_pages = (unsigned int)(PAGE_ALIGN(size) >> PAGE_SHIFT);
	real_size = ((unsigned long)area->nr_pages + 1) << PAGE_SHIFT;	/* guard page */
	area->size = real_size;
	area->node = node;
	area->caller = caller;
	area->pid = getpid();
	area->record = -1;
	pthread_mutex_init(&area->lock, NULL);
	area->gfp = gfp;
	area->pfns = os_malloc((size_t)area->nr_pages * sizeof(u32));
	area->orders = os_malloc(area->nr_pages);
	area->mapped = os_calloc(area->nr_pages, 1);
	if (!area->pfns || !area->orders || !area->mapped)
		goto fail_struct;
	memset(area->pfns, 0xff, (size_t)area->nr_pages * sizeof(u32));
	memset(area->orders, 0xff, area->nr_pages);
	/* every page promised before the region exists: never a fault without one */
	if (!vm_charge(area, gfp))
		goto fail_reported;

	pthread_rwlock_wrlock(&vmap.lock);
	addr = alloc_vmap_area(real_size, align, &at);
	if (!addr || os_map_anon_fixed(addr, real_size - PAGE_SIZE, true)) {
		pthread_rwlock_unlock(&vmap.lock);
		goto fail_pages;
	}
	area->addr = addr;
	if (vmap.uffd < 0 || os_uffd_register(vmap.uffd, addr, real_size - PAGE_SIZE)) {
		/* no userfaultfd: every page now, out of the promise */
		if (vmap_populate(area, 0, area->nr_pages, gfp)) {
			os_map_anon_fixed(addr, real_size - PAGE_SIZE, false);
			pthread_rwlock_unlock(&vmap.lock);
			goto fail_pages;
		}
	}
	if (insert_area(area, at)) {
		os_map_anon_fixed(addr, real_size - PAGE_SIZE, false);
		pthread_rwlock_unlock(&vmap.lock);
		goto fail_pages;
	}
	/* under area->lock: the fault thread may be populating it already */
	pthread_mutex_lock(&area->lock);
	publish_area(area);
	pthread_mutex_unlock(&area->lock);
	pthread_rwlock_unlock(&vmap.lock);
	(void)align;
	return addr;

fail_pages:
	free_area_pages(area);
	vm_uncharge(area);
fail_struct:
	free_area_struct(area);
fail:
	if (!(gfp & __GFP_NOWARN))
		__kmem_printk("%s: vmalloc error: size %lu, vm_struct allocation failed, "
			      "mode:%#x\n", os_comm(), size, (unsigned int)gfp);
	return NULL;
fail_reported:
	vm_uncharge(area);
	free_area_struct(area);
	return NULL;
}

void *__vmalloc(unsigned long size, gfp_t gfp_mask)
{
	return __vmalloc_node(size, 1, gfp_mask, NUMA_NO_NODE, __builtin_return_address(0));
}

void *vmalloc(unsigned long size)
{
	return __vmalloc_node(size, 1, GFP_KERNEL, NUMA_NO_NODE, __builtin_return_address(0));
}

void *vzalloc(unsigned long size)
{
	return __vmalloc_node(size, 1, GFP_KERNEL | __GFP_ZERO, NUMA_NO_NODE,
			      __builtin_return_address(0));
}

void *vmalloc_node(unsigned long size, int node)
{
	return __vmalloc_node(size, 1, GFP_KERNEL, node, __builtin_return_address(0));
}

void *vzalloc_node(unsigned long size, int node)
{
	return __vmalloc_node(size, 1, GFP_KERNEL | __GFP_ZERO, node,
			      __builtin_return_address(0));
}

void *vmalloc_array(size_t n, size_t size)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	return __vmalloc_node(bytes, 1, GFP_KERNEL, NUMA_NO_NODE, __builtin_return_address(0));
}

void *vcalloc(size_t n, size_t size)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	return __vmalloc_node(bytes, 1, GFP_KERNEL | __GFP_ZERO, NUMA_NO_NODE,
			      __builtin_return_address(0));
}

void vfree(const void *addr)
{
	struct vm_struct *area = NULL;
	unsigned int i;

	if (!addr)
		return;
	if (vmap.base && is_vmalloc_addr(addr)) {
		pthread_rwlock_wrlock(&vmap.lock);
		i = area_index(addr);
		if (i < vmap.nr && vmap.areas[i]->addr == (const char *)addr) {
			area = vmap.areas[i];
			remove_area(i);
			/* unmaps the pages and drops the userfaultfd registration */
			os_map_anon_fixed(area->addr, area->size - PAGE_SIZE, false);
		}
		pthread_rwlock_unlock(&vmap.lock);
	}
	if (!area) {
		__kmem_printk("Trying to vfree() nonexistent vm area (%p) from %p\n", addr,
			      __builtin_return_address(0));
		return;
	}
	if (area->pid != getpid()) {
		__kmem_printk("vfree(%p): area allocated by process %d before fork(); unmapped "
			      "here, its pages stay with that process\n", addr, (int)area->pid);
	} else {
		free_area_pages(area);
		vm_uncharge(area);	/* the pages never touched */
	}
	free_area_struct(area);
}

/*
 * __kmem_vmalloc_exit - kmem_exit(): every region's pages belong to the
 * arena that is going away, so the regions are only unmapped and dropped;
 * the reserved area and the fault thread stay for the next kmem_init().
 * @free_pages: the memory stays (kmem_detach()): give back the pages of
 * this process's regions, as vfree() would.
 */
void __kmem_vmalloc_exit(bool free_pages)
{
	unsigned int i;

	pthread_rwlock_wrlock(&vmap.lock);
	for (i = 0; i < vmap.nr; i++) {
		struct vm_struct *area = vmap.areas[i];

		os_map_anon_fixed(area->addr, area->size - PAGE_SIZE, false);
		if (free_pages && area->pid == getpid()) {
			free_area_pages(area);
			vm_uncharge(area);
		}
		free_area_struct(area);
	}
	vmap.nr = 0;
	pthread_rwlock_unlock(&vmap.lock);
}

bool is_vmalloc_addr(const void *addr)
{
	return vmap.base && (uintptr_t)addr - (uintptr_t)vmap.base < vmap.size;
}

bool is_vmalloc_or_module_addr(const void *addr)
{
	return is_vmalloc_addr(addr);
}

struct vm_struct *find_vm_area(const void *addr)
{
	struct vm_struct *area = NULL;

	if (!is_vmalloc_addr(addr))
		return NULL;
	pthread_rwlock_rdlock(&vmap.lock);
	area = area_lookup(addr);
	if (area && (const char *)addr >= area->addr + area->size)
		area = NULL;
	pthread_rwlock_unlock(&vmap.lock);
	return area;
}

size_t get_vm_area_size(const struct vm_struct *area)
{
	return area->size - PAGE_SIZE;	/* the guard page */
}

void *vm_area_addr(const struct vm_struct *area)
{
	return area->addr;
}

/*
 * vmalloc_to_page - the page backing @addr.  A page not touched yet gets
 * its page now, as a first touch would, so the answer is stable.
 */
struct page *vmalloc_to_page(const void *addr)
{
	struct vm_struct *area;
	struct page *page = NULL;

	if (!is_vmalloc_addr(addr))
		return NULL;
	pthread_rwlock_rdlock(&vmap.lock);
	area = area_lookup(addr);
	if (area && (const char *)addr < area->addr + ((u64)area->nr_pages << PAGE_SHIFT)) {
		unsigned int idx = (unsigned int)(((const char *)addr - area->addr) >> PAGE_SHIFT);

		pthread_mutex_lock(&area->lock);
		/* an area inherited over fork() is the parent's: take no page for it */
		if (!area->mapped[idx] && area->pid == getpid())
			vmap_populate(area, idx, idx + 1, GFP_KERNEL | __GFP_RETRY_MAYFAIL);
		if (area->mapped[idx])
			page = pfn_to_page(area->pfns[idx]);
		pthread_mutex_unlock(&area->lock);
	}
	pthread_rwlock_unlock(&vmap.lock);
	return page;
}

unsigned long vmalloc_to_pfn(const void *addr)
{
	struct page *page = vmalloc_to_page(addr);

	return page ? page_to_pfn(page) : 0;
}

/* ------------------------------------------------------------------ */
/* statistics and /proc/vmallocinfo                                    */
/* ------------------------------------------------------------------ */

int kmem_vmalloc_stats(struct kmem_vmalloc_stats *st)
{
	unsigned int i;

	memset(st, 0, sizeof(*st));
	st->total_bytes = vmap.base ? vmap.size : VMALLOC_AREA_SIZE;
	st->fault_around_bytes = vmap.fault_around_bytes ? vmap.fault_around_bytes :
							    DEFAULT_FAULT_AROUND;
	st->userfaultfd = vmap.uffd >= 0;
	st->faults = __atomic_load_n(&vmap.faults, __ATOMIC_RELAXED);
	st->mmaps = __atomic_load_n(&vmap.mmaps, __ATOMIC_RELAXED);
	st->pages_mapped = __atomic_load_n(&vmap.pages_mapped, __ATOMIC_RELAXED);
	pthread_rwlock_rdlock(&vmap.lock);
	st->nr_areas = vmap.nr;
	for (i = 0; i < vmap.nr; i++) {
		struct vm_struct *a = vmap.areas[i];

		st->used_bytes += a->size;
		st->pages += __atomic_load_n(&a->nr_populated, __ATOMIC_RELAXED);
		pthread_mutex_lock(&a->lock);
		st->charged += area_charged(a);
		pthread_mutex_unlock(&a->lock);
	}
	pthread_rwlock_unlock(&vmap.lock);
	if (kmem_mm.shm) {
		unsigned int z;

		for (z = 0; z < __kmem_seg_nodes() * MAX_NR_ZONES && z < NR_ZONE_IDS; z++)
			st->charged_all += READ_ONCE(zone_by_id(z)->vm_charged);
		st->charge_fail = READ_ONCE(vm_charges()->charge_fail);
	}
	/* kmemd: its clients' areas too, as its vmallocinfo lists them */
	if (!kmem_mm.owner && kmem_mm.shm) {
		struct kmem_vm_record r;

		for (i = 0; i < KMEM_VM_RECORDS; i++) {
			if (!read_record(i, &r))
				continue;
			st->nr_areas++;
			st->used_bytes += r.size;
			st->pages += r.nr_populated;
			st->charged += r.nr_pages - r.nr_populated;	/* each untouched page */
		}
	}
	return 0;
}

int kmem_set_fault_around_bytes(unsigned long bytes)
{
	if (bytes < PAGE_SIZE || (bytes & (bytes - 1)) || bytes > (1UL << 24))
		return -EINVAL;
	__atomic_store_n(&vmap.fault_around_bytes, bytes, __ATOMIC_RELAXED);
	return 0;
}

static void print_caller(FILE *f, const void *caller)
{
	Dl_info info;

	if (dladdr(caller, &info) && info.dli_sname)
		fprintf(f, " %s+0x%lx", info.dli_sname,
			(unsigned long)((const char *)caller - (const char *)info.dli_saddr));
	else
		fprintf(f, " %p", caller);
}

/* kmemd (the builder) lists its clients' areas after its own. */
static int show_published_areas(FILE *f)
{
	struct kmem_vm_record r;
	unsigned int i, nid;

	if (kmem_mm.owner || !kmem_mm.shm)
		return 0;
	for (i = 0; i < KMEM_VM_RECORDS; i++) {
		if (!read_record(i, &r))
			continue;
		fprintf(f, "0x%016llx-0x%016llx %7llu %s pages=%u vmalloc",
			(unsigned long long)r.addr, (unsigned long long)(r.addr + r.size),
			(unsigned long long)r.size, r.caller, r.nr_populated);
		for (nid = 0; nid < kmem_mm.nr_nodes && nid < MAX_NUMNODES; nid++)
			if (r.node_pages[nid])
				fprintf(f, " N%u=%u", nid, r.node_pages[nid]);
		if (r.nr_pages > r.nr_populated)
			fprintf(f, " charged=%u", r.nr_pages - r.nr_populated);
		fputc('\n', f);
	}
	return 0;
}

/*
 * The areas are this process's own, but the node of each page comes from
 * its struct page in the shared memmap, which a client can write: a node
 * id out of range makes the view refuse (segment.c) instead of counting
 * outside counts[].
 */
int kmem_show_vmallocinfo(FILE *f)
{
	unsigned int i, nid;
	int ret = 0;

	pthread_rwlock_rdlock(&vmap.lock);
	for (i = 0; i < vmap.nr && !ret; i++) {
		struct vm_struct *a = vmap.areas[i];
		unsigned int counts[MAX_NUMNODES] = { 0 }, p;
		u64 charged;

		fprintf(f, "0x%016lx-0x%016lx %7lu", (unsigned long)a->addr,
			(unsigned long)(a->addr + a->size), a->size);
		print_caller(f, a->caller);
		pthread_mutex_lock(&a->lock);
		charged = area_charged(a);
		fprintf(f, " pages=%u vmalloc", a->nr_populated);
		for (p = 0; p < a->nr_pages && !ret; p++) {
			u32 pfn = a->pfns[p];

			if (pfn == PFN_NIL)
				continue;
			if (!__kmem_pfn_valid(pfn))
				ret = __kmem_segment_corrupt("vmallocinfo", "area %#lx page %u: pfn "
							     "%#x beyond the pfn space",
							     (unsigned long)a->addr, p, pfn);
			else if ((nid = READ_ONCE(pfn_to_page(pfn)->zone_id) / MAX_NR_ZONES) >=
				 MAX_NUMNODES)
				ret = __kmem_segment_corrupt("vmallocinfo", "pfn %#x: zone_id %u",
							     pfn, READ_ONCE(pfn_to_page(pfn)->zone_id));
			else
				counts[nid]++;
		}
		pthread_mutex_unlock(&a->lock);
		for (nid = 0; kmem_mm.shm && nid < MAX_NUMNODES; nid++)
			if (counts[nid])
				fprintf(f, " N%u=%u", nid, counts[nid]);
		/* promised, not touched yet: the pages= above are the touched ones */
		if (charged)
			fprintf(f, " charged=%llu", (unsigned long long)charged);
		fputc('\n', f);
	}
	pthread_rwlock_unlock(&vmap.lock);
	return ret ?: show_published_areas(f);
}

/* ------------------------------------------------------------------ */
/* kvmalloc                                                            */
/* ------------------------------------------------------------------ */

/* The kernel's kmalloc_gfp_adjust(). */
static gfp_t kmalloc_gfp_adjust(gfp_t flags, size_t size)
{
	if (size > PAGE_SIZE) {
		flags |= __GFP_NOWARN;
		if (!(flags & __GFP_RETRY_MAYFAIL))
			flags |= __GFP_NORETRY;
		flags &= ~__GFP_NOFAIL;
	}
	return flags;
}

static void *__kvmalloc_node(size_t size, gfp_t flags, int node, const void *caller)
{
	void *ret;

	/*
	 * As the kernel's: vmalloc allocates some of its own memory with
	 * GFP_KERNEL, so flags that are not a superset of it (GFP_ATOMIC,
	 * GFP_NOWAIT, GFP_NOFS...) get kmalloc() only.
	 */
	if ((flags & GFP_KERNEL) != GFP_KERNEL)
		return __kmem_kmalloc_caller(size, flags, node, caller);
	ret = __kmem_kmalloc_caller(size, kmalloc_gfp_adjust(flags, size), node, caller);
	if (ret || size <= PAGE_SIZE)
		return ret;
	if (size > INT_MAX) {
		if (!(flags & __GFP_NOWARN))
			__kmem_printk("WARNING: %s: kvmalloc: size %zu > INT_MAX\n", os_comm(), size);
		return NULL;
	}
	return __vmalloc_node(size, 1, flags, node, caller);
}

void *kvmalloc_node(size_t size, gfp_t flags, int node)
{
	return __kvmalloc_node(size, flags, node, __builtin_return_address(0));
}

void *kvmalloc_array(size_t n, size_t size, gfp_t flags)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	return __kvmalloc_node(bytes, flags, NUMA_NO_NODE, __builtin_return_address(0));
}

void kvfree(const void *addr)
{
	if (is_vmalloc_addr(addr))
		vfree(addr);
	else
		kfree(addr);
}

void kvfree_sensitive(const void *addr, size_t len)
{
	if (addr && !ZERO_OR_NULL_PTR(addr)) {
		memset((void *)addr, 0, len);
		__asm__ __volatile__("" : : "r"(addr) : "memory");
		kvfree(addr);
	}
}

/* Usable size of a kvmalloc() allocation. */
static size_t kv_size(const void *p)
{
	struct vm_struct *area;
	size_t size = 0;

	if (!is_vmalloc_addr(p))
		return ksize(p);
	pthread_rwlock_rdlock(&vmap.lock);
	area = area_lookup(p);
	if (area && area->addr == (const char *)p)
		size = (size_t)area->nr_pages << PAGE_SHIFT;
	pthread_rwlock_unlock(&vmap.lock);
	return size;
}

void *kvrealloc(const void *p, size_t size, gfp_t flags)
{
	size_t old;
	void *n;

	if (!p || ZERO_OR_NULL_PTR(p))
		return kvmalloc(size, flags);
	old = kv_size(p);
	if (old >= size && !is_vmalloc_addr(p))
		return krealloc(p, size, flags);
	if (old >= size)
		return (void *)p;
	n = kvmalloc(size, flags);
	if (!n)
		return NULL;
	memcpy(n, p, old);
	kvfree(p);
	return n;
}
