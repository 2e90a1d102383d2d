// SPDX-License-Identifier: MIT
/*
 * memory_hotplug.c - memory that grows and gives back: the kernel's
 * mm/memory_hotplug.c over kmem's sparse direct maps (arena.c).
 *
 * A node's direct map is address space for its maximum; memory comes
 * online a *section* at a time (1 << kmem_shared::section_shift bytes:
 * 4 MiB, the largest buddy block, or the huge page size if that is larger; a multiple of the
 * largest buddy block, 4 MiB, and aligned to its size):
 *
 *   online_section()
 *     fallocate the section in the node's memfd     hugetlb range first;
 *                                                   ENOSPC there is a clean
 *                                                   refusal, then shmem
 *     (hugetlb: fault it in, read its frame numbers)
 *     write its struct pages (the memmap was a hole)
 *     ONLINE, then hand it to the buddy allocator   __kmem_online_chunk()
 *
 *   offline_section()                               the kernel's offline_pages()
 *     under every direct zone lock of the node: all of it free, and the
 *     zone's vmalloc promises still covered without it?  take its blocks
 *     off the free lists (isolate)
 *     punch the hole in the memfd, and in the memmap (MADV_REMOVE)
 *
 * Who grows: an allocation that may sleep, when a ZONE_NORMAL zone is
 * under its watermark and its node can grow, before it reclaims or falls
 * back to another node (page_alloc.c); kswapd for those that may not
 * (vmscan.c).  Who gives back: kswapd, for sections wholly free for
 * offline_delay_ms, and kmem_memory_shrink() at once; never below the
 * node's floor, the size it started with (direct_mb).
 *
 * Attached processes map the whole of every range once (attach.c).  Only
 * shared state changes here: the file's pages, the section table, the
 * memmap and the zones, all in shared memory.  A pointer into a section
 * another process onlined is valid at once: it came from a free list, so
 * the section was ONLINE and its pages in the file before it could be
 * handed out; the first touch maps the file's page.  A fault on an
 * offlined section cannot happen: a section goes offline only when every
 * one of its pages is on a free list, under every zone lock of its node,
 * so nobody holds a pointer into it (a page on a per-CPU list is not on a
 * free list and keeps its section online).  Punching the hole unmaps the
 * pages from every process that mapped them.
 *
 * Locking: a node's hotplug_lock (robust, process-shared) serialises its
 * section changes; then the vmalloc charges lock (offlining keeps each
 * zone's promised pages, vmalloc.c); then per-CPU list locks; then zone
 * locks.  Never taken
 * in atomic context.  A process that dies holding hotplug_lock leaves the
 * section it was changing in hotplug_section; whoever takes the lock next
 * finishes or undoes the step (__kmem_hotplug_recover()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "kasan.h"
#include "os.h"

#define CHUNK_PAGES	(1ULL << HPAGE_PFN_SHIFT)

static __thread unsigned int hotplug_depth;	/* this thread is changing sections */
__thread bool __kmem_in_kswapd;		/* kswapd's own growth: no wake-up */

static inline u64 section_pages(void)
{
	return 1ULL << kmem_mm.section_pfn_shift;
}

static inline u64 section_pfn(u64 idx)
{
	return idx << kmem_mm.section_pfn_shift;
}

static inline unsigned int pgdat_nid(const struct pglist_data *pgdat)
{
	return (unsigned int)(pgdat - kmem_mm.shm->node_data);
}

static inline bool in_huge_range(const struct pglist_data *pgdat, u64 pfn)
{
	return pfn - pgdat->direct_start_pfn < pgdat->huge_pages;
}

/*
 * The memory a node started with stays (the kernel's boot memory): its
 * sections hold the carved DMA zones and kmem's own first slabs.
 */
static inline bool boot_section(const struct pglist_data *pgdat, u64 pfn)
{
	return pfn - pgdat->boot_start_pfn < pgdat->min_pages;
}

static void hotplug_lock(struct pglist_data *pgdat)
{
	kmem_mutex_lock(&pgdat->hotplug_lock);
	hotplug_depth++;
}

static void hotplug_unlock(struct pglist_data *pgdat)
{
	hotplug_depth--;
	kmem_mutex_unlock(&pgdat->hotplug_lock);
}

/*
 * Apply @op (fallocate, punch) to the file pages behind [@pfn, +@nr) of
 * @pgdat's direct map: slot by huge page slot through the table attaching
 * processes map by, in runs where it is the identity.
 */
static int section_file_op(struct pglist_data *pgdat, u64 pfn, u64 nr,
			   int (*op)(int fd, uint64_t off, uint64_t len))
{
	struct kmem_shared *shm = kmem_mm.shm;
	unsigned int nid = pgdat_nid(pgdat);
	const u32 *perm = (const u32 *)((char *)shm + shm->hpage_file_off) +
			  (u64)nid * shm->hpages_per_node;
	u64 hp_pages = 1ULL << (shm->hpage_shift - PAGE_SHIFT), hpage = 1ULL << shm->hpage_shift;
	u64 slot = (pfn - pgdat->direct_start_pfn) / hp_pages, n = nr / hp_pages, i, run;
	int fd = kmem_mm.node_fds[nid][in_huge_range(pgdat, pfn) ? KMEM_FD_HUGETLB : KMEM_FD_SHMEM];
	int ret;

	if (kmem_mm.opts.private_memory) {
		/* anonymous memory: there on first touch, and gone again with DONTNEED */
		if (op == os_punch_hole)
			os_discard_private(kmem_mm.mem_base + (pfn << PAGE_SHIFT), nr << PAGE_SHIFT);
		return 0;
	}
	if (op == os_fallocate && in_huge_range(pgdat, pfn)) {
		/*
		 * From the last huge page down: the pool hands its pages out
		 * from the top of its free list, last freed first, so taking
		 * them in reverse tends to leave them physically ascending,
		 * and two neighbours can then merge into an order-10 block.
		 */
		for (i = n; i-- > 0;) {
			ret = op(fd, (u64)perm[slot + i] * hpage, hpage);
			if (ret)
				return ret;
		}
		return 0;
	}
	for (i = 0; i < n; i += run) {
		u64 first = perm[slot + i];

		for (run = 1; i + run < n && perm[slot + i + run] == first + run; run++)
			;
		ret = op(fd, first * hpage, run * hpage);
		if (ret)
			return ret;
	}
	return 0;
}

/* The section's memory and struct pages go back: a hole in both files again. */
static void release_section(struct pglist_data *pgdat, u64 idx)
{
	u64 pfn = section_pfn(idx), nr = section_pages();

	section_file_op(pgdat, pfn, nr, os_punch_hole);
	if (kmem_mm.opts.private_memory)
		os_discard_private(kmem_mm.memmap + pfn, nr * sizeof(struct page));
	else
		os_discard_shared(kmem_mm.memmap + pfn, nr * sizeof(struct page));
	memset(&kmem_mm.hpage_phys[pfn >> HPAGE_PFN_SHIFT], 0,
	       (nr >> HPAGE_PFN_SHIFT) * sizeof(u64));
	kmem_mm.sections[idx].free_since_ms = 0;
	kmem_mm.sections[idx].hugetlb = 0;
	__atomic_store_n(&kmem_mm.sections[idx].state, SECTION_OFFLINE, __ATOMIC_RELEASE);
}

/* online_pages from the section table: right whatever step a dead holder left. */
static void recount_online(struct pglist_data *pgdat)
{
	u64 first = pgdat->direct_start_pfn >> kmem_mm.section_pfn_shift;
	u64 last = (pgdat->direct_start_pfn + pgdat->direct_pages) >> kmem_mm.section_pfn_shift;
	u64 idx, n = 0;

	for (idx = first; idx < last; idx++)
		n += READ_ONCE(kmem_mm.sections[idx].state) == SECTION_ONLINE;
	WRITE_ONCE(pgdat->online_pages, n * section_pages());
}

/* Back a hugetlb section's page tables here and record its frame numbers. */
static void read_section_phys(u64 pfn, u64 nr)
{
	char *addr = kmem_mm.mem_base + (pfn << PAGE_SHIFT);
	u64 c;

	if (os_populate(addr, nr << PAGE_SHIFT) == -EOPNOTSUPP)
		for (c = 0; c < nr; c += CHUNK_PAGES)
			WRITE_ONCE(*(volatile char *)(addr + (c << PAGE_SHIFT)), 0);
	if (!(kmem_mm.shm->flags & KMEM_SHF_PHYS_REAL))
		return;
	for (c = 0; c < nr; c += CHUNK_PAGES) {
		u64 phys = 0;

		os_virt_to_phys(addr + (c << PAGE_SHIFT), &phys);
		kmem_mm.hpage_phys[(pfn + c) >> HPAGE_PFN_SHIFT] = phys;
	}
}

/*
 * online_section - bring section @idx of @pgdat online and give its pages
 * to the buddy allocator: to the zone its place says, or with @highmem to
 * ZONE_HIGHMEM (a shmem section of a hugetlb node, for vmalloc, which can
 * map only shmem pages 4 KiB at a time).  Context: hotplug_lock held.
 * Return: 0; -ENOSPC (the hugetlb pool, or shmem, has no room); -errno.
 */
static int online_section(struct pglist_data *pgdat, u64 idx, bool highmem)
{
	struct mem_section *ms = &kmem_mm.sections[idx];
	unsigned int nid = pgdat_nid(pgdat);
	u64 pfn = section_pfn(idx), nr = section_pages(), c;
	bool huge = in_huge_range(pgdat, pfn);
	int ret;

	WRITE_ONCE(pgdat->hotplug_section, (u32)(idx + 1));
	__atomic_store_n(&ms->state, SECTION_GOING_ONLINE, __ATOMIC_RELEASE);
	ret = section_file_op(pgdat, pfn, nr, os_fallocate);
	if (ret) {
		/* a pool that ran dry half way keeps nothing of it */
		release_section(pgdat, idx);
		WRITE_ONCE(pgdat->hotplug_section, 0);
		return ret;
	}
	if (huge)
		read_section_phys(pfn, nr);
	ms->hugetlb = huge;
	for (c = 0; c < nr; c += CHUNK_PAGES)
		__kmem_init_chunk(nid, highmem ? ZONE_HIGHMEM : __kmem_direct_chunk_zone(nid, pfn + c),
				  pfn + c, CHUNK_PAGES, highmem ? PG_highmem : 0);
	if (!READ_ONCE(kmem_mm.kasan_shared))
		kasan_poison(kmem_mm.mem_base + (pfn << PAGE_SHIFT), nr << PAGE_SHIFT);
	/* valid from here: its pages can be listed, and then handed out */
	__atomic_store_n(&ms->state, SECTION_ONLINE, __ATOMIC_RELEASE);
	for (c = 0; c < nr; c += CHUNK_PAGES)
		__kmem_online_chunk(pfn + c, CHUNK_PAGES);
	recount_online(pgdat);
	__atomic_fetch_add(&pgdat->memory_online, 1, __ATOMIC_RELAXED);
	WRITE_ONCE(pgdat->hotplug_section, 0);
	return 0;
}

/*
 * offline_section - the kernel's offline_pages() for section @idx: isolate
 * (only if all of it is free), then give the memory and the memmap back.
 * Context: hotplug_lock held.  Return: 0 or -EBUSY (something in use).
 */
static int offline_section(struct pglist_data *pgdat, u64 idx)
{
	u64 pfn = section_pfn(idx), nr = section_pages();
	const struct zone *zone = page_zone(__pfn_to_page(pfn));	/* as onlined */
	int ret;

	/*
	 * Free pages promised to vmalloc areas (not yet touched) stay: with the
	 * charges lock held no new promise is made meanwhile.
	 */
	if (__kmem_vm_charges_hold())
		return -EBUSY;
	__kmem_lock_node_zones(pgdat);
	if (READ_ONCE(zone->free_pages) < READ_ONCE(zone->vm_charged) + nr)
		ret = -EBUSY;
	else
		ret = __kmem_isolate_range(pfn, nr);
	if (!ret) {
		WRITE_ONCE(pgdat->hotplug_section, (u32)(idx + 1));
		__atomic_store_n(&kmem_mm.sections[idx].state, SECTION_GOING_OFFLINE,
				 __ATOMIC_RELEASE);
	}
	__kmem_unlock_node_zones(pgdat);
	__kmem_vm_charges_release();
	if (ret)
		return ret;
	kasan_unpoison(kmem_mm.mem_base + (pfn << PAGE_SHIFT), nr << PAGE_SHIFT);
	release_section(pgdat, idx);
	recount_online(pgdat);
	__atomic_fetch_add(&pgdat->memory_offline, 1, __ATOMIC_RELAXED);
	WRITE_ONCE(pgdat->hotplug_section, 0);
	return 0;
}

/* The zones changed size: watermarks, reserves, per-CPU limits (zonelists are fixed). */
static void zones_changed(void)
{
	__kmem_setup_per_zone_wmarks();
	__kmem_setup_per_zone_lowmem_reserve();
	__kmem_setup_pcp();
}

/* The first offline section of [@start_pfn, +@pages), or UINT64_MAX. */
static u64 first_offline(u64 start_pfn, u64 pages)
{
	u64 idx = start_pfn >> kmem_mm.section_pfn_shift;
	u64 end = (start_pfn + pages) >> kmem_mm.section_pfn_shift;

	for (; idx < end; idx++)
		if (READ_ONCE(kmem_mm.sections[idx].state) == SECTION_OFFLINE)
			return idx;
	return UINT64_MAX;
}

/* One more section for @pgdat: hugetlb while the pool has pages, then shmem. */
static int grow_locked(struct pglist_data *pgdat, bool highmem)
{
	u64 idx, shmem_start = pgdat->direct_start_pfn + pgdat->huge_pages;
	int ret = -ENOSPC;

	if (!kmem_node_can_grow(pgdat))
		return -ENOSPC;
	if (highmem) {
		idx = first_offline(shmem_start, pgdat->direct_pages - pgdat->huge_pages);
		return idx == UINT64_MAX ? -ENOSPC : online_section(pgdat, idx, true);
	}
	if (pgdat->huge_pages) {
		idx = first_offline(pgdat->direct_start_pfn, pgdat->huge_pages);
		if (idx != UINT64_MAX) {
			ret = online_section(pgdat, idx, false);
			if (!ret)
				return 0;
			/* ENOSPC (the pool is dry) or ENOMEM: a clean refusal */
			__atomic_fetch_add(&pgdat->huge_refused, 1, __ATOMIC_RELAXED);
		}
	}
	if (pgdat->direct_pages > pgdat->huge_pages) {
		idx = first_offline(shmem_start, pgdat->direct_pages - pgdat->huge_pages);
		if (idx != UINT64_MAX)
			ret = online_section(pgdat, idx, false);
	}
	return ret;
}

static bool grow_node(int nid, bool highmem)
{
	struct pglist_data *pgdat = NODE_DATA(nid);
	u64 seen = READ_ONCE(pgdat->online_pages);
	bool grown;
	int ret;

	if (!kmem_node_can_grow(pgdat) || hotplug_depth)
		return false;
	if (highmem && !kmem_node_can_grow_highmem(pgdat))
		return false;
	hotplug_lock(pgdat);
	if (READ_ONCE(pgdat->online_pages) > seen) {
		hotplug_unlock(pgdat);
		return true;	/* someone grew it while we waited: look again */
	}
	ret = grow_locked(pgdat, highmem);
	grown = !ret;
	if (grown)
		zones_changed();
	else
		__atomic_fetch_add(&pgdat->memory_grow_fail, 1, __ATOMIC_RELAXED);
	hotplug_unlock(pgdat);
	if (grown && kmem_mm.shm->tun.kswapd && !__kmem_in_kswapd) {
		/* kswapd sleeps for ever while the node is at its floor: now it has work */
		__atomic_fetch_add(&pgdat->kswapd_wait, 1, __ATOMIC_RELEASE);
		os_futex_wake(&pgdat->kswapd_wait, 1);
	}
	return grown;
}

bool __kmem_grow_node(int nid)
{
	return grow_node(nid, false);
}

bool __kmem_grow_highmem(int nid)
{
	return grow_node(nid, true);
}

/*
 * Is all of section @idx on the free lists?  Read without locks (a hint:
 * offline_section() checks again under the zone locks).
 */
static bool section_looks_free(u64 idx)
{
	u64 pfn = section_pfn(idx), end = pfn + section_pages();

	while (pfn < end) {
		const struct page *page = __pfn_to_page(pfn);
		unsigned int o = READ_ONCE(page->order);

		if (!(READ_ONCE(page->flags) & PG_buddy) || o > MAX_PAGE_ORDER)
			return false;
		pfn += 1ULL << o;
	}
	return true;
}

static unsigned long offline_node(struct pglist_data *pgdat, bool now)
{
	u64 first = pgdat->direct_start_pfn >> kmem_mm.section_pfn_shift;
	u64 last = (pgdat->direct_start_pfn + pgdat->direct_pages) >> kmem_mm.section_pfn_shift;
	u64 delay = READ_ONCE(kmem_mm.shm->tun.offline_delay_ms), t = os_now_ms() ?: 1, idx;
	unsigned long done = 0;

	if (READ_ONCE(pgdat->online_pages) <= pgdat->min_pages)
		return 0;
	hotplug_lock(pgdat);
	/* from the top down, so that what stays online is the start of the map */
	for (idx = last; idx-- > first;) {
		struct mem_section *ms = &kmem_mm.sections[idx];

		if (pgdat->online_pages < pgdat->min_pages + section_pages())
			break;
		if (READ_ONCE(ms->state) != SECTION_ONLINE || boot_section(pgdat, section_pfn(idx)))
			continue;
		if (!section_looks_free(idx)) {
			ms->free_since_ms = 0;
			continue;
		}
		if (!now) {
			if (!ms->free_since_ms) {
				ms->free_since_ms = t;
				continue;
			}
			if (t - ms->free_since_ms < delay)
				continue;
		}
		if (!offline_section(pgdat, idx))
			done++;
	}
	if (done)
		zones_changed();
	hotplug_unlock(pgdat);
	return done;
}

unsigned long __kmem_offline_idle(int nid, bool now)
{
	unsigned long done = 0;
	unsigned int n;

	if (hotplug_depth)
		return 0;
	for (n = 0; n < kmem_mm.nr_nodes; n++)
		if (nid < 0 || (unsigned int)nid == n)
			done += offline_node(NODE_DATA((int)n), now);
	return done;
}

long kmem_memory_shrink(void)
{
	if (kmem_ensure_init())
		return -ENOMEM;
	might_sleep_caller(__builtin_return_address(0));
	/* a page on a per-CPU list keeps its section online */
	kmem_drain_all_pages();
	return (long)__kmem_offline_idle(-1, true);
}

/*
 * __kmem_hotplug_recover - a process died holding @pgdat's hotplug_lock
 * (the caller holds it now, made consistent).  A section it was bringing
 * online and had not yet published goes back; one published is finished
 * (the chunks not yet listed are listed); one isolated for offlining is
 * given back as planned.
 */
void __kmem_hotplug_recover(struct pglist_data *pgdat)
{
	u32 sec1 = READ_ONCE(pgdat->hotplug_section);
	u64 first = pgdat->direct_start_pfn >> kmem_mm.section_pfn_shift;
	u64 last = (pgdat->direct_start_pfn + pgdat->direct_pages) >> kmem_mm.section_pfn_shift;
	const char *what = "nothing to repair";
	u64 idx, pfn, c;

	if (sec1 && sec1 - 1ULL >= first && sec1 - 1ULL < last) {
		idx = sec1 - 1ULL;
		pfn = section_pfn(idx);
		switch (READ_ONCE(kmem_mm.sections[idx].state)) {
		case SECTION_GOING_ONLINE:
			release_section(pgdat, idx);
			what = "a section half onlined was given back";
			break;
		case SECTION_ONLINE:
			for (c = 0; c < section_pages(); c += CHUNK_PAGES) {
				const struct page *head = __pfn_to_page(pfn + c);

				if ((READ_ONCE(head->flags) & (PG_reserved | PG_buddy)) == PG_reserved &&
				    !READ_ONCE(head->_refcount))
					__kmem_online_chunk(pfn + c, CHUNK_PAGES);
			}
			what = "a section being onlined was finished";
			break;
		case SECTION_GOING_OFFLINE:
			release_section(pgdat, idx);
			what = "a section being offlined was finished";
			break;
		default:
			break;
		}
	}
	WRITE_ONCE(pgdat->hotplug_section, 0);
	recount_online(pgdat);
	zones_changed();
	__kmem_printk("kmem: node %u: a process died changing its memory sections: %s\n",
		      pgdat_nid(pgdat), what);
}

/*
 * __kmem_hotplug_init - every node's initial sections (kmem_init(), before
 * anything else can run).  zones=auto places pages by physical address if
 * the first hugetlb section's frame numbers can be read, else leaves DMA
 * and DMA32 empty; zones=emulate carves them from node 0's initial memory.
 */
int __kmem_hotplug_init(void)
{
	struct kmem_shared *shm = kmem_mm.shm;
	unsigned int nid;
	u64 idx, n;
	int ret;

	for (nid = 0; nid < kmem_mm.nr_nodes; nid++) {
		struct pglist_data *pgdat = NODE_DATA((int)nid);
		u64 start = pgdat->hugetlb ? pgdat->direct_start_pfn :
					     pgdat->direct_start_pfn + pgdat->huge_pages;

		pgdat->boot_start_pfn = start;

		for (n = 0; n < pgdat->min_pages; n += section_pages()) {
			idx = (start + n) >> kmem_mm.section_pfn_shift;
			if (nid == 0 && n == 0 && pgdat->hugetlb && !shm->carve) {
				u64 phys = 0;

				/* probe one huge page: are frame numbers readable (root)? */
				ret = section_file_op(pgdat, section_pfn(idx), section_pages(),
						      os_fallocate);
				if (ret)
					return ret;
				read_section_phys(section_pfn(idx), CHUNK_PAGES);
				if (!os_virt_to_phys(kmem_mm.mem_base +
						     (section_pfn(idx) << PAGE_SHIFT), &phys) && phys)
					shm->flags |= KMEM_SHF_PHYS_REAL;
				else if (kmem_mm.opts.zones == KMEM_ZONES_PHYS)
					return -EPERM;
				/* else no frame numbers: DMA and DMA32 stay empty (mm_init.c) */
			}
			ret = online_section(pgdat, idx, false);
			if (ret)
				return ret;
		}
		pgdat->online_pages = pgdat->min_pages;
	}
	if (!(shm->flags & KMEM_SHF_PHYS_REAL) && kmem_mm.opts.zones == KMEM_ZONES_PHYS)
		return -EPERM;
	return 0;
}

int kmem_get_hotplug_stats(int nid, struct kmem_hotplug_stats *st)
{
	struct pglist_data *pgdat;

	if (!st || kmem_ensure_init() || nid < 0 || nid >= (int)kmem_mm.nr_nodes)
		return -EINVAL;
	pgdat = NODE_DATA(nid);
	st->section_bytes = section_pages() << PAGE_SHIFT;
	st->online_bytes = READ_ONCE(pgdat->online_pages) << PAGE_SHIFT;
	st->max_bytes = pgdat->max_pages << PAGE_SHIFT;
	st->min_bytes = pgdat->min_pages << PAGE_SHIFT;
	st->memory_online = __atomic_load_n(&pgdat->memory_online, __ATOMIC_RELAXED);
	st->memory_offline = __atomic_load_n(&pgdat->memory_offline, __ATOMIC_RELAXED);
	st->grow_fail = __atomic_load_n(&pgdat->memory_grow_fail, __ATOMIC_RELAXED);
	st->hugetlb_refused = __atomic_load_n(&pgdat->huge_refused, __ATOMIC_RELAXED);
	return 0;
}

long kmem_memory_blocks(struct kmem_memory_block *blocks, size_t max, bool all)
{
	const char *const *names;
	unsigned int nid;
	long n = 0;

	if ((!blocks && max) || kmem_ensure_init())
		return -EINVAL;
	names = __kmem_zone_names();
	for (nid = 0; nid < kmem_mm.nr_nodes; nid++) {
		struct pglist_data *pgdat = NODE_DATA((int)nid);
		u64 first = pgdat->direct_start_pfn >> kmem_mm.section_pfn_shift;
		u64 last = (pgdat->direct_start_pfn + pgdat->direct_pages) >>
			   kmem_mm.section_pfn_shift;
		u64 idx;

		for (idx = first; idx < last; idx++) {
			const struct mem_section *ms = &kmem_mm.sections[idx];
			bool online = READ_ONCE(ms->state) == SECTION_ONLINE;
			struct kmem_memory_block *b;

			if (!online && !all)
				continue;
			if ((size_t)n++ >= max)
				continue;
			b = &blocks[n - 1];
			b->start = section_pfn(idx) << PAGE_SHIFT;
			b->size = section_pages() << PAGE_SHIFT;
			b->node = (int)nid;
			b->online = online;
			b->hugetlb = online ? ms->hugetlb : in_huge_range(pgdat, section_pfn(idx));
			b->zone = online ? names[page_zonenum(__pfn_to_page(section_pfn(idx)))] : NULL;
			b->removable = online && !boot_section(pgdat, section_pfn(idx)) &&
				       section_looks_free(idx);
		}
	}
	return n;
}

void __kmem_each_online_range(void (*fn)(const void *addr, size_t len))
{
	struct kmem_shared *shm = kmem_mm.shm;
	u64 idx, pfn;

	if (!shm || !kmem_mm.sections)
		return;
	/* the count from this process's own geometry: the segment's is anyone's to write */
	u64 nr = (kmem_mm.total_pages + (1ULL << kmem_mm.section_pfn_shift) - 1) >>
		 kmem_mm.section_pfn_shift;

	for (idx = 0; idx < nr; idx++) {
		if (READ_ONCE(kmem_mm.sections[idx].state) != SECTION_ONLINE)
			continue;
		pfn = section_pfn(idx);
		fn(kmem_mm.mem_base + (pfn << PAGE_SHIFT),
		   (size_t)((pfn + section_pages() > kmem_mm.total_pages ?
			     kmem_mm.total_pages - pfn : section_pages()) << PAGE_SHIFT));
	}
}

long kmem_memory_online(int nid, size_t bytes)
{
	struct pglist_data *pgdat;
	long done = 0;

	if (kmem_ensure_init() || nid < 0 || nid >= (int)kmem_mm.nr_nodes)
		return -EINVAL;
	might_sleep_caller(__builtin_return_address(0));
	pgdat = NODE_DATA(nid);
	hotplug_lock(pgdat);
	while ((u64)done * (section_pages() << PAGE_SHIFT) < bytes && !grow_locked(pgdat, false))
		done++;
	if (done)
		zones_changed();
	hotplug_unlock(pgdat);
	return done;
}

static void size_str(char *buf, size_t len, u64 bytes)
{
	static const char unit[] = "KMGT";
	unsigned int u = 0;

	bytes >>= 10;
	while (bytes >= 1024 && !(bytes & 1023) && u < 3) {
		bytes >>= 10;
		u++;
	}
	snprintf(buf, len, "%llu%c", (unsigned long long)bytes, unit[u]);
}

/*
 * util-linux's lsmem: adjacent blocks alike in state, removability, node,
 * zone and backing are one range; then the block size and the totals.
 */
int kmem_show_lsmem(FILE *f)
{
	struct kmem_memory_block *b;
	u64 online = 0, offline = 0, block = 0;
	long n, i, j;
	char size[24];

	n = kmem_memory_blocks(NULL, 0, true);
	if (n < 0)
		return (int)n;
	b = os_calloc((size_t)n + 1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	n = kmem_memory_blocks(b, (size_t)n, true);
	fprintf(f, "%-37s %6s %7s %9s %11s %4s %-7s %s\n", "RANGE", "SIZE", "STATE", "REMOVABLE",
		"BLOCK", "NODE", "ZONES", "BACKING");
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && b[j].online == b[i].online &&
				b[j].removable == b[i].removable && b[j].node == b[i].node &&
				b[j].hugetlb == b[i].hugetlb &&
				b[j].start == b[j - 1].start + b[j - 1].size &&
				(b[i].zone == b[j].zone); j++)
			;
		size_str(size, sizeof(size), b[j - 1].start + b[j - 1].size - b[i].start);
		fprintf(f, "0x%016llx-0x%016llx %6s %7s %9s %5ld-%-5ld %4d %-7s %s\n",
			(unsigned long long)b[i].start,
			(unsigned long long)(b[j - 1].start + b[j - 1].size - 1), size,
			b[i].online ? "online" : "offline", b[i].online ? (b[i].removable ? "yes" : "no") : "-",
			i, j - 1, b[i].node, b[i].zone ?: "-", b[i].hugetlb ? "hugetlb" : "shmem");
	}
	for (i = 0; i < n; i++) {
		block = b[i].size;
		*(b[i].online ? &online : &offline) += b[i].size;
	}
	os_free(b);
	size_str(size, sizeof(size), block);
	fprintf(f, "\nMemory block size:%20s\n", size);
	size_str(size, sizeof(size), online);
	fprintf(f, "Total online memory:%18s\n", size);
	size_str(size, sizeof(size), offline);
	fprintf(f, "Total offline memory:%17s\n", size);
	return 0;
}
