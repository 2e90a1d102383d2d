// SPDX-License-Identifier: MIT
/*
 * segment.c - checks of the shared segment for the readers the daemon runs.
 *
 * Every attached client maps the segment and the memory read-write, so the
 * daemon (kmemd, which builds the memory and serves the control views) must
 * not trust what it reads there: a buggy or hostile client can write any
 * byte.  The views (slabinfo, buddyinfo, zoneinfo, numastat, meminfo) call
 * these checks before they follow an offset or a pfn, or index by a count
 * read from the segment.  A check that fails says what it found, once per
 * call, in the kernel's words for it:
 *
 *	kmem: shared segment corrupted: caches[5] = 0x... outside the direct map; refusing slabinfo
 *
 * and the view returns -EUCLEAN (the control reply is then an error object
 * carrying that message, __kmem_segment_error()).  Nothing here is on an
 * allocation path: the fast paths trust the segment as the kernel trusts
 * its own memory.  The checks are racy by nature (another process may write
 * between the check and the use, and a view reads some values again after
 * checking them); they catch a segment that was corrupted before the view
 * ran, which is what a crashed or buggy client leaves behind.
 *
 * Trusted: kmem_mm (this process's own view: mem_base, total_pages, the
 * sizes it mapped).  Everything in kmem_shared and in the memory is checked.
 *
 * No locks of its own.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kasan.h"
#include "slab.h"
#include "os.h"

/* The last finding of this thread, for the control reply. */
static __thread char segment_error[256];

const char *__kmem_segment_error(void)
{
	return segment_error;
}

void __kmem_segment_error_clear(void)
{
	segment_error[0] = '\0';
}

/*
 * __kmem_segment_corrupt - report what a check found; @view: what is refused
 * because of it ("slabinfo"), or NULL when the caller carries on regardless.
 * Return: -EUCLEAN.
 */
int __kmem_segment_corrupt(const char *view, const char *fmt, ...)
{
	/* what was logged lately: a corrupt field is checked every second, logged once */
	static char logged[8][192];
	static unsigned int next;
	static pthread_mutex_t logged_lock = PTHREAD_MUTEX_INITIALIZER;
	char what[192];
	unsigned int i;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(segment_error, sizeof(segment_error), "shared segment corrupted: %s%s%s", what,
		 view ? "; refusing " : "", view ?: "");
	pthread_mutex_lock(&logged_lock);
	for (i = 0; i < 8; i++)
		if (!strcmp(logged[i], what))
			break;
	if (i == 8) {
		snprintf(logged[next++ % 8], sizeof(logged[0]), "%s", what);
		__kmem_printk("kmem: %s\n", segment_error);
	}
	pthread_mutex_unlock(&logged_lock);
	return -EUCLEAN;
}

/* The node and CPU counts to index by: this process's own copy (kmem_mm). */
u32 __kmem_seg_nodes(void)
{
	return kmem_mm.nr_nodes;
}

u32 __kmem_seg_cpus(void)
{
	return kmem_mm.nr_cpu_ids;
}

/* The header counts every view indexes by. */
int __kmem_check_segment(const char *view)
{
	const struct kmem_shared *shm = kmem_mm.shm;
	u32 nodes = READ_ONCE(shm->nr_nodes), cpus = READ_ONCE(shm->nr_cpu_ids);

	if (!nodes || nodes > MAX_NUMNODES)
		return __kmem_segment_corrupt(view, "nr_nodes = %u (1..%u)", nodes, MAX_NUMNODES);
	if (!cpus || cpus > KMEM_MAX_CPUS)
		return __kmem_segment_corrupt(view, "nr_cpu_ids = %u (1..%u)", cpus, KMEM_MAX_CPUS);
	if (nodes != kmem_mm.nr_nodes)
		return __kmem_segment_corrupt(view, "kmem_shared.nr_nodes = %u, built with %u", nodes,
					      kmem_mm.nr_nodes);
	if (cpus != kmem_mm.nr_cpu_ids)
		return __kmem_segment_corrupt(view, "kmem_shared.nr_cpu_ids = %u, built with %u",
					      cpus, kmem_mm.nr_cpu_ids);
	if (READ_ONCE(shm->total_pages) != kmem_mm.total_pages)
		return __kmem_segment_corrupt(view, "kmem_shared.total_pages = %llu, mapped %llu",
					      (unsigned long long)READ_ONCE(shm->total_pages),
					      (unsigned long long)kmem_mm.total_pages);
	return 0;
}

/*
 * Is [off, off + len) (mem_base offsets) inside one node's direct map?
 * The node ranges come from the segment too, so they are bounded by the
 * pfn space this process mapped first.
 */
static bool in_direct_map(u64 off, u64 len)
{
	u32 nodes = __kmem_seg_nodes(), nid;

	if (nodes > MAX_NUMNODES)
		return false;
	for (nid = 0; nid < nodes; nid++) {
		const struct pglist_data *pgdat = &kmem_mm.shm->node_data[nid];
		u64 start = READ_ONCE(pgdat->direct_start_pfn);
		u64 pages = READ_ONCE(pgdat->direct_pages);

		if (start > kmem_mm.total_pages || pages > kmem_mm.total_pages - start)
			continue;
		start <<= PAGE_SHIFT;
		if (off >= start && len <= (pages << PAGE_SHIFT) && off - start <= (pages << PAGE_SHIFT) - len)
			return true;
	}
	return false;
}

bool __kmem_pfn_valid(u64 pfn)
{
	return pfn < kmem_mm.total_pages && kmem_pfn_online(pfn);
}

int __kmem_check_cache(unsigned int id, u64 off, const char *view)
{
	const struct kmem_cache *s;
	u32 nodes = __kmem_seg_nodes();
	u32 cpus = __kmem_seg_cpus();
	u32 size, object_size, objects, order, stride, state;
	u64 cpu_off, node_off;

	if ((off & 7) || !in_direct_map(off, sizeof(*s)))
		return __kmem_segment_corrupt(view, "caches[%u] = %#llx outside the direct map", id,
					      (unsigned long long)off);
	s = cache_at(off);
	/*
	 * The struct may be another process's allocation, still poisoned in
	 * this process's shadow (see kasan_shared_cache()); open just the
	 * struct, since the block size recorded in its page is not checked yet.
	 */
	kasan_unpoison(s, sizeof(*s));
	if (kasan_valgrind())
		__kasan_vg_defined(s, sizeof(*s));
	state = READ_ONCE(s->state);
	if (state != KMEM_CACHE_ALIVE && state != KMEM_CACHE_LEAKED)
		return __kmem_segment_corrupt(view, "caches[%u] at %#llx: state %u", id,
					      (unsigned long long)off, state);
	if (READ_ONCE(s->id) != id)
		return __kmem_segment_corrupt(view, "caches[%u] at %#llx: id %u", id,
					      (unsigned long long)off, READ_ONCE(s->id));
	if (!memchr(s->name, '\0', sizeof(s->name)))
		return __kmem_segment_corrupt(view, "caches[%u] at %#llx: name not terminated", id,
					      (unsigned long long)off);
	size = READ_ONCE(s->size);
	object_size = READ_ONCE(s->object_size);
	objects = READ_ONCE(s->objects);
	order = READ_ONCE(s->order);
	if (!size || object_size > size || !objects || order > MAX_PAGE_ORDER ||
	    (u64)objects * size > (PAGE_SIZE << order))
		return __kmem_segment_corrupt(view, "caches[%u] '%.*s': size %u, object_size %u, "
					      "%u objects of order %u", id, KMEM_CACHE_NAME_LEN,
					      s->name, size, object_size, objects, order);
	stride = READ_ONCE(s->cpu_stride);
	cpu_off = READ_ONCE(s->cpu_off);
	if (stride < sizeof(struct kmem_cache_cpu) || !in_direct_map(cpu_off, (u64)stride * cpus))
		return __kmem_segment_corrupt(view, "caches[%u] '%.*s': cpu_off %#llx (stride %u) "
					      "outside the direct map", id, KMEM_CACHE_NAME_LEN,
					      s->name, (unsigned long long)cpu_off, stride);
	node_off = READ_ONCE(s->node_off);
	if ((node_off & 7) ||
	    !in_direct_map(node_off, (u64)nodes * sizeof(struct kmem_cache_node)))
		return __kmem_segment_corrupt(view, "caches[%u] '%.*s': node_off %#llx outside the "
					      "direct map", id, KMEM_CACHE_NAME_LEN, s->name,
					      (unsigned long long)node_off);
	return 0;
}

int __kmem_check_slab_pfn(const struct kmem_cache *s, int nid, const char *list, u64 pfn,
			  const char *view)
{
	if (!__kmem_pfn_valid(pfn))
		return __kmem_segment_corrupt(view, "cache '%.*s' node %d %s list: pfn %#llx beyond "
					      "the %llu pages", KMEM_CACHE_NAME_LEN, s->name, nid,
					      list, (unsigned long long)pfn,
					      (unsigned long long)kmem_mm.total_pages);
	if (!(READ_ONCE(__pfn_to_page(pfn)->flags) & PG_slab))
		return __kmem_segment_corrupt(view, "cache '%.*s' node %d %s list: pfn %#llx is not "
					      "a slab", KMEM_CACHE_NAME_LEN, s->name, nid, list,
					      (unsigned long long)pfn);
	return 0;
}

/*
 * Only where a zone's per-CPU lists lie: what recovery needs before it
 * probes their locks, whatever state the rest of the zone was left in by a
 * client that died holding its lock.
 */
int __kmem_check_zone_pcp_off(int nid, int z, const char *view)
{
	const struct zone *zone = &NODE_DATA(nid)->node_zones[z];
	u64 pcp_off = READ_ONCE(zone->pcp_off);

	if (pcp_off % _Alignof(struct per_cpu_pages) || pcp_off > kmem_mm.shm_size ||
	    (u64)__kmem_seg_cpus() * sizeof(struct per_cpu_pages) > kmem_mm.shm_size - pcp_off)
		return __kmem_segment_corrupt(view, "node %d zone %d: pcp_off %#llx outside the "
					      "segment", nid, z, (unsigned long long)pcp_off);
	return 0;
}

static int check_zone(int nid, int z, bool pcp_counts, const char *view);

int __kmem_check_zone(int nid, int z, const char *view)
{
	return check_zone(nid, z, true, view);
}

/* ...and, with @pcp_counts, the per-CPU lists' counts (locked mode: under their locks). */
static int check_zone(int nid, int z, bool pcp_counts, const char *view)
{
	const struct zone *zone = &NODE_DATA(nid)->node_zones[z];
	u64 start = READ_ONCE(zone->zone_start_pfn), spanned = READ_ONCE(zone->spanned_pages);
	u64 present = READ_ONCE(zone->present_pages), pcp_off = READ_ONCE(zone->pcp_off);
	u32 cpus = __kmem_seg_cpus();
	unsigned int o, cpu;

	if (READ_ONCE(zone->node) != (u32)nid || READ_ONCE(zone->idx) != (u32)z)
		return __kmem_segment_corrupt(view, "node %d zone %d says node %u zone %u", nid, z,
					      READ_ONCE(zone->node), READ_ONCE(zone->idx));
	if (start > kmem_mm.total_pages || spanned > kmem_mm.total_pages - start)
		return __kmem_segment_corrupt(view, "node %d zone %d: zone_start_pfn %#llx + "
					      "spanned_pages %llu beyond the %llu pages", nid, z,
					      (unsigned long long)start, (unsigned long long)spanned,
					      (unsigned long long)kmem_mm.total_pages);
	if (present > spanned)
		return __kmem_segment_corrupt(view, "node %d zone %d: present_pages %llu > "
					      "spanned_pages %llu", nid, z,
					      (unsigned long long)present,
					      (unsigned long long)spanned);
	if (READ_ONCE(zone->managed_pages) > present)
		return __kmem_segment_corrupt(view, "node %d zone %d: managed_pages %llu > "
					      "present_pages %llu", nid, z,
					      (unsigned long long)READ_ONCE(zone->managed_pages),
					      (unsigned long long)present);
	if (READ_ONCE(zone->free_pages) > spanned)
		return __kmem_segment_corrupt(view, "node %d zone %d: free_pages %llu of %llu", nid,
					      z, (unsigned long long)READ_ONCE(zone->free_pages),
					      (unsigned long long)spanned);
	for (o = 0; o < NR_PAGE_ORDERS; o++) {
		u32 head = READ_ONCE(zone->free_area[o].head);
		u64 nr = READ_ONCE(zone->free_area[o].nr_free);

		if (head != PFN_NIL && (head < start || head - start >= spanned))
			return __kmem_segment_corrupt(view, "node %d zone %d free_area[%u].head = "
						      "pfn %#x outside the zone", nid, z, o, head);
		if (nr > (spanned >> o))
			return __kmem_segment_corrupt(view, "node %d zone %d free_area[%u].nr_free "
						      "= %llu", nid, z, o, (unsigned long long)nr);
	}
	if (!present || !pcp_counts)
		return 0;
	if (pcp_off % _Alignof(struct per_cpu_pages) || pcp_off > kmem_mm.shm_size ||
	    (u64)cpus * sizeof(struct per_cpu_pages) > kmem_mm.shm_size - pcp_off)
		return __kmem_segment_corrupt(view, "node %d zone %d: pcp_off %#llx outside the "
					      "segment", nid, z, (unsigned long long)pcp_off);
	for (cpu = 0; cpu < cpus; cpu++) {
		const struct per_cpu_pages *pcp =
			(const struct per_cpu_pages *)((const char *)kmem_mm.shm + pcp_off) + cpu;

		for (o = 0; o < NR_PCP_ORDERS; o++) {
			u64 count = READ_ONCE(pcp->word[o]) & PCP_COUNT_MASK;

			if (count > PCP_SLOTS)
				return __kmem_segment_corrupt(view, "node %d zone %d cpu %u: "
							      "order-%u pcp count %llu > %u", nid,
							      z, cpu, o, (unsigned long long)count,
							      PCP_SLOTS);
		}
	}
	return 0;
}

/* Every zone of every node: what the zone views read. */
int __kmem_check_zones(const char *view)
{
	int ret = __kmem_check_segment(view);
	int nid, z;

	for (nid = 0; !ret && nid < (int)__kmem_seg_nodes(); nid++)
		for (z = 0; !ret && z < MAX_NR_ZONES; z++)
			ret = __kmem_check_zone(nid, z, view);
	return ret;
}

/* ------------------------------------------------------------------ */
/* the daemon: verify before acting, fence what is broken               */
/* ------------------------------------------------------------------ */

/*
 * kmemd runs allocator paths on the segment - a dead client's recovery,
 * drain and shrink, kswapd, watermarks on reload - and those follow links
 * and take locks that any client can overwrite.  Before it acts, it
 * verifies what it is about to touch (__kmem_segment_gate()) against what
 * it built (a private copy of the header, taken once the segment was
 * built) and against the invariants of each zone and cache.  What fails is
 * fenced for the daemon's life: a corrupt header fences the whole segment
 * (nothing in it is touched again, no process attaches), a corrupt zone or
 * cache only itself (its pages and objects are left where they are; the
 * rest is served).  Fences live here, in private memory, where no client
 * can lift them.
 */
#define FENCE_BITS	(8 * sizeof(unsigned long))

static struct {
	bool on;				/* this process distrusts the segment */
	bool all;				/* the whole segment is fenced */
	pthread_mutex_t lock;			/* fences and their reasons */
	struct kmem_shared *copy;		/* the header as built */
	int mutex_kind;				/* pthread kind of our shared mutexes */
	bool zone[MAX_NUMNODES * MAX_NR_ZONES];
	unsigned long cache[KMEM_MAX_CACHES_SHARED / FENCE_BITS];
	unsigned int nr_fenced;
	char why[4][256];			/* the first findings, for info */
} trust = { .lock = PTHREAD_MUTEX_INITIALIZER };

/*
 * kswapd is already running and clients may be attached: a node's wakeup
 * words change under the copy.  They are never read from the copy, but
 * each word is loaded atomically so that the copy is well defined.
 */
static void copy_live_header(struct kmem_shared *dst, const struct kmem_shared *src)
{
	const unsigned char *from = (const unsigned char *)src;
	unsigned char *to = (unsigned char *)dst;
	size_t i, words = sizeof(*dst) / sizeof(unsigned long);

	for (i = 0; i < words; i++) {
		unsigned long w = __atomic_load_n((const unsigned long *)from + i, __ATOMIC_RELAXED);

		memcpy(to + i * sizeof(w), &w, sizeof(w));
	}
	for (i *= sizeof(unsigned long); i < sizeof(*dst); i++)
		to[i] = __atomic_load_n(from + i, __ATOMIC_RELAXED);
}

int __kmem_segment_distrust(void)
{
	pthread_mutexattr_t attr;
	pthread_mutex_t ref;

	if (trust.on)
		return 0;
	trust.copy = os_malloc(sizeof(*trust.copy));
	if (!trust.copy)
		return -ENOMEM;
	copy_live_header(trust.copy, kmem_mm.shm);
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&ref, &attr);
	pthread_mutexattr_destroy(&attr);
	trust.mutex_kind = ref.__data.__kind;
	pthread_mutex_destroy(&ref);
	WRITE_ONCE(trust.on, true);
	WRITE_ONCE(kmem_mm.distrust, true);
	return 0;
}

/* The header to describe the segment by: kmemd's copy as built, else the segment's. */
const struct kmem_shared *__kmem_segment_header(void)
{
	return READ_ONCE(trust.on) ? trust.copy : kmem_mm.shm;
}

bool __kmem_segment_distrusted(void)
{
	return READ_ONCE(trust.on);
}

static void fence_note(const char *what)
{
	if (trust.nr_fenced < (sizeof(trust.why) / sizeof(trust.why[0])))
		snprintf(trust.why[trust.nr_fenced], sizeof(trust.why[0]), "%s", what);
	trust.nr_fenced++;
}

/* Fence the whole segment: the finding is already in segment_error. */
static int fence_all(void)
{
	pthread_mutex_lock(&trust.lock);
	if (!trust.all) {
		fence_note(segment_error);
		WRITE_ONCE(trust.all, true);
		__kmem_printk("kmem: the shared segment is fenced: nothing in it is touched "
			      "again, no process attaches; restart kmemd\n");
	}
	pthread_mutex_unlock(&trust.lock);
	return -EUCLEAN;
}

static int fence_zone(unsigned int zone_id)
{
	pthread_mutex_lock(&trust.lock);
	if (!trust.zone[zone_id]) {
		fence_note(segment_error);
		WRITE_ONCE(trust.zone[zone_id], true);
		__kmem_printk("kmem: node %u zone %s fenced: its pages stay where they are, the "
			      "other zones are served\n", zone_id / MAX_NR_ZONES,
			      __kmem_zone_names()[zone_id % MAX_NR_ZONES]);
	}
	pthread_mutex_unlock(&trust.lock);
	return -EUCLEAN;
}

static int fence_cache(unsigned int id)
{
	unsigned long bit = 1UL << (id % FENCE_BITS);

	pthread_mutex_lock(&trust.lock);
	if (!(trust.cache[id / FENCE_BITS] & bit)) {
		fence_note(segment_error);
		__atomic_fetch_or(&trust.cache[id / FENCE_BITS], bit, __ATOMIC_RELAXED);
		__kmem_printk("kmem: cache slot %u fenced: its slabs and objects stay where they "
			      "are, the other caches are served\n", id);
	}
	pthread_mutex_unlock(&trust.lock);
	return -EUCLEAN;
}

bool __kmem_segment_fenced(void)
{
	return READ_ONCE(trust.all);
}

bool __kmem_zone_fenced(const struct zone *zone)
{
	unsigned int zone_id;

	if (likely(!READ_ONCE(trust.on)))
		return false;
	if (READ_ONCE(trust.all))
		return true;
	zone_id = (unsigned int)((const char *)zone - (const char *)kmem_mm.shm->node_data) /
		  sizeof(struct pglist_data) * MAX_NR_ZONES +
		  (unsigned int)(((const char *)zone - (const char *)kmem_mm.shm->node_data) %
				 sizeof(struct pglist_data)) / sizeof(struct zone);
	return zone_id >= (sizeof(trust.zone) / sizeof(trust.zone[0])) || READ_ONCE(trust.zone[zone_id]);
}

bool __kmem_cache_id_fenced(unsigned int id)
{
	if (likely(!READ_ONCE(trust.on)))
		return false;
	return READ_ONCE(trust.all) || id >= KMEM_MAX_CACHES_SHARED ||
	       (READ_ONCE(trust.cache[id / FENCE_BITS]) & (1UL << (id % FENCE_BITS)));
}

bool __kmem_block_zone_trusted(u64 pfn, unsigned int order)
{
	u32 zone_id = READ_ONCE(__pfn_to_page(pfn)->zone_id);
	const struct pglist_data *pgdat;

	if (likely(!READ_ONCE(trust.on)))
		return true;
	if (READ_ONCE(trust.all) || zone_id >= kmem_mm.nr_nodes * MAX_NR_ZONES ||
	    READ_ONCE(trust.zone[zone_id]))
		return false;
	/* inside the node's memory as built: a zone's span moves with its sections */
	pgdat = &trust.copy->node_data[zone_id / MAX_NR_ZONES];
	if (zone_id % MAX_NR_ZONES == ZONE_HIGHMEM &&
	    pfn >= pgdat->highmem_start_pfn &&
	    pfn + (1ULL << order) <= pgdat->highmem_start_pfn + pgdat->highmem_pages)
		return true;
	/* HighMem too: a hugetlb node grows it with sections of its shmem range */
	return pfn >= pgdat->direct_start_pfn &&
	       pfn + (1ULL << order) <= pgdat->direct_start_pfn + pgdat->direct_pages;
}

unsigned int __kmem_segment_fences(const char **why, unsigned int max)
{
	unsigned int i, n;

	pthread_mutex_lock(&trust.lock);
	n = trust.nr_fenced;
	for (i = 0; i < max && i < n && i < (sizeof(trust.why) / sizeof(trust.why[0])); i++)
		why[i] = trust.why[i];
	pthread_mutex_unlock(&trust.lock);
	return n;
}

/*
 * May @lock be handed to glibc?  In kmemd only a word of our own kind is:
 * glibc asserts on some others (the priority-inheritance kinds).
 */
bool __kmem_segment_lock_kind_ok(const pthread_mutex_t *lock)
{
	return !READ_ONCE(trust.on) || READ_ONCE(lock->__data.__kind) == trust.mutex_kind;
}

/*
 * A shared lock, taken for a check: the word must be one of ours (its kind)
 * and its holder a task that exists.  Return: 0 (held), -EBUSY (a live
 * holder keeps it: not a finding), -EUCLEAN (reported).
 */
static int check_lock(pthread_mutex_t *lock, const char *what, const char *view)
{
	struct timespec ts;
	int ret, owner;

	if (lock->__data.__kind != trust.mutex_kind)
		return __kmem_segment_corrupt(view, "%s: mutex kind %#x", what,
					      (unsigned int)lock->__data.__kind);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 50 * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	kmem_irq_disable();
	ret = pthread_mutex_timedlock(lock, &ts);
	if (ret == EOWNERDEAD) {
		__kmem_lock_owner_died(lock);
		ret = 0;
	}
	if (!ret)
		return 0;
	kmem_irq_enable();
	owner = READ_ONCE(lock->__data.__owner);
	if (ret == ETIMEDOUT && owner > 0 && (!kill(owner, 0) || errno != ESRCH))
		return -EBUSY;
	return __kmem_segment_corrupt(view, "%s: lock word %#x, holder %d: %s", what,
				      (unsigned int)READ_ONCE(lock->__data.__lock), owner,
				      ret == ETIMEDOUT ? "no such task" : strerror(ret));
}

/*
 * A view's lock (the daemon's readers): one of ours, held if at all by a
 * task that exists, else refused; a live holder is waited for as always.
 * Return: 0 (held) or -EUCLEAN.
 */
int __kmem_view_lock(pthread_mutex_t *lock, const char *what, const char *view)
{
	int ret;

	if (!READ_ONCE(trust.on)) {
		kmem_mutex_lock(lock);
		return 0;
	}
	ret = check_lock(lock, what, view);
	if (ret == -EBUSY) {
		kmem_mutex_lock(lock);
		ret = 0;
	}
	return ret;
}

static void check_unlock(pthread_mutex_t *lock)
{
	kmem_mutex_unlock(lock);
}

/* A lock taken and given back at once: only whether it can be had. */
static int probe_lock(pthread_mutex_t *lock, const char *what, const char *view)
{
	int ret = check_lock(lock, what, view);

	if (ret == -EBUSY)
		return 0;
	if (!ret)
		check_unlock(lock);
	return ret;
}

#define DIFFERS(field)	(memcmp(&shm->field, &copy->field, sizeof(copy->field)) != 0)

/* The header against the copy: everything fixed when the segment was built. */
static int verify_header(const char *view)
{
	const struct kmem_shared *shm = kmem_mm.shm, *copy = trust.copy;
	unsigned int nid;
	int ret;

	if (DIFFERS(magic) || DIFFERS(version) || DIFFERS(segment_size) ||
	    DIFFERS(memmap_off) || DIFFERS(hpage_phys_off) || DIFFERS(base_address) ||
	    DIFFERS(mem_size) || DIFFERS(hpage_file_off) || DIFFERS(hpages_per_node) ||
	    DIFFERS(hpage_shift) || DIFFERS(cache_line_size) || DIFFERS(nr_sections) ||
	    DIFFERS(section_off) || DIFFERS(section_shift))
		return __kmem_segment_corrupt(view, "kmem_shared: the layout differs from the one "
					      "built (magic %#llx version %u, segment %llu bytes)",
					      (unsigned long long)READ_ONCE(shm->magic),
					      READ_ONCE(shm->version),
					      (unsigned long long)READ_ONCE(shm->segment_size));
	ret = __kmem_check_segment(view);
	if (ret)
		return ret;
	if (DIFFERS(cpu_to_node) || DIFFERS(node_distance) || DIFFERS(kmalloc_caches))
		return __kmem_segment_corrupt(view, "kmem_shared: cpu_to_node, node_distance or "
					      "kmalloc_caches differs from the one built");
	for (nid = 0; nid < kmem_mm.nr_nodes; nid++) {
		const struct pglist_data *p = &shm->node_data[nid], *c = &copy->node_data[nid];

		if (p->node_id != c->node_id || p->real_node != c->real_node ||
		    p->nr_cpus != c->nr_cpus || p->hugetlb != c->hugetlb ||
		    p->direct_start_pfn != c->direct_start_pfn ||
		    p->direct_pages != c->direct_pages ||
		    p->highmem_start_pfn != c->highmem_start_pfn ||
		    p->highmem_pages != c->highmem_pages ||
		    memcmp(p->zonelist_fallback, c->zonelist_fallback, sizeof(c->zonelist_fallback)) ||
		    memcmp(p->zonelist_nofallback, c->zonelist_nofallback,
			   sizeof(c->zonelist_nofallback)) ||
		    memcmp(p->zonelist_fallback_start, c->zonelist_fallback_start,
			   sizeof(c->zonelist_fallback_start)) ||
		    memcmp(p->zonelist_nofallback_start, c->zonelist_nofallback_start,
			   sizeof(c->zonelist_nofallback_start)))
			return __kmem_segment_corrupt(view, "node %u (pglist_data): the geometry or "
						      "the zonelists differ from the ones built", nid);
	}
	ret = probe_lock(&kmem_mm.shm->slab_mutex, "kmem_shared.slab_mutex", view);
	if (!ret)
		ret = probe_lock(&kmem_mm.shm->rcu.lock, "kmem_rcu_shared.lock", view);
	if (!ret && READ_ONCE(shm->rcu.nr_deferred) > KMEM_RCU_MAX_DEFERRED)
		return __kmem_segment_corrupt(view, "kmem_rcu_shared.nr_deferred = %u (at most %u)",
					      READ_ONCE(shm->rcu.nr_deferred),
					      KMEM_RCU_MAX_DEFERRED);
	return ret;
}

/* One CPU's lists: counts within bounds, every pfn a block of the zone, of its order. */
static int verify_one_pcp(const struct per_cpu_pages *pcp, u64 start, u64 end, int nid, int z,
			  unsigned int cpu, const char *view)
{
	unsigned int o, i;

	for (o = 0; o < NR_PCP_ORDERS; o++) {
		u64 count = READ_ONCE(pcp->word[o]) & PCP_COUNT_MASK;

		if (count > PCP_SLOTS || READ_ONCE(pcp->high[o]) > PCP_SLOTS ||
		    READ_ONCE(pcp->batch[o]) > PCP_SLOTS)
			return __kmem_segment_corrupt(view, "node %d zone %d cpu %u order %u "
						      "(per_cpu_pages): count %llu, high %u, batch %u "
						      "(at most %u)", nid, z, cpu, o,
						      (unsigned long long)count, READ_ONCE(pcp->high[o]),
						      READ_ONCE(pcp->batch[o]), PCP_SLOTS);
		for (i = 0; i < count; i++) {
			u64 pfn = READ_ONCE(pcp->slots[o][i]);

			if (pfn < start || pfn + (1ULL << o) > end || (pfn & ((1ULL << o) - 1)))
				return __kmem_segment_corrupt(view, "node %d zone %d cpu %u "
							      "(per_cpu_pages): slot %u of order %u "
							      "holds pfn %#llx, not a block of the zone",
							      nid, z, cpu, i, o, (unsigned long long)pfn);
		}
	}
	return 0;
}

/* pfns on the per-CPU lists: free blocks of this zone, of their order. */
static int verify_zone_pcp(const struct zone *zone, int nid, int z, const char *view)
{
	u64 start = zone->zone_start_pfn, end = start + zone->spanned_pages;
	unsigned int cpu;

	for (cpu = 0; cpu < kmem_mm.nr_cpu_ids; cpu++) {
		struct per_cpu_pages *pcp = zone_pcp(zone, (int)cpu);
		char what[64];
		int ret;

		/*
		 * A process in locked mode changes the lists under the lock (a
		 * dead holder's are cut to what is valid when it is taken); in
		 * rseq mode, one store commits, and what is below the count is
		 * always a listed block.
		 */
		snprintf(what, sizeof(what), "node %d zone %d cpu %u pcp lock", nid, z, cpu);
		ret = check_lock(&pcp->lock, what, view);
		if (ret == -EBUSY)
			continue;
		if (ret)
			return ret;
		ret = verify_one_pcp(pcp, start, end, nid, z, cpu, view);
		check_unlock(&pcp->lock);
		if (ret)
			return ret;
	}
	return 0;
}

/* The free lists, walked under the zone's lock. */
static int verify_free_lists(struct zone *zone, int nid, int z, const char *view)
{
	u64 start = zone->zone_start_pfn, end = start + zone->spanned_pages, total = 0;
	unsigned int o;

	for (o = 0; o < NR_PAGE_ORDERS; o++) {
		u64 nr = zone->free_area[o].nr_free, seen = 0;
		u32 pfn = zone->free_area[o].head, prev = PFN_NIL;

		while (pfn != PFN_NIL) {
			const struct page *page;

			if (pfn < start || pfn + (1ULL << o) > end || (pfn & ((1ULL << o) - 1)) ||
			    ++seen > nr)
				return __kmem_segment_corrupt(view, "node %d zone %d free_area[%u]: "
							      "entry %llu is pfn %#x (%llu listed)",
							      nid, z, o, (unsigned long long)seen,
							      pfn, (unsigned long long)nr);
			page = __pfn_to_page(pfn);
			if (!(page->flags & PG_buddy) || page->order != o || page->buddy.prev != prev)
				return __kmem_segment_corrupt(view, "node %d zone %d free_area[%u]: "
							      "pfn %#x: flags %#x order %u prev %#x, "
							      "not a free block of the list", nid, z,
							      o, pfn, page->flags, page->order,
							      page->buddy.prev);
			prev = pfn;
			pfn = page->buddy.next;
		}
		if (seen != nr)
			return __kmem_segment_corrupt(view, "node %d zone %d free_area[%u]: nr_free "
						      "%llu, %llu listed", nid, z, o,
						      (unsigned long long)nr, (unsigned long long)seen);
		total += nr << o;
	}
	if (total != zone->free_pages && !zone->inflight_pfn1)
		return __kmem_segment_corrupt(view, "node %d zone %d: free_pages %llu, %llu on the "
					      "lists", nid, z, (unsigned long long)zone->free_pages,
					      (unsigned long long)total);
	return 0;
}

static int verify_zone(int nid, int z, const char *view)
{
	struct zone *zone = &NODE_DATA(nid)->node_zones[z];
	const struct zone *c = &trust.copy->node_data[nid].node_zones[z];
	char what[48];
	bool locked;
	int ret;

	const struct pglist_data *built = &trust.copy->node_data[nid];
	u64 lo, hi, start = READ_ONCE(zone->zone_start_pfn), spanned = READ_ONCE(zone->spanned_pages);

	/*
	 * The span moves as sections come and go: it must stay in the node's
	 * ranges (HighMem's: its pool, and the direct map, where a hugetlb
	 * node grows it).
	 */
	lo = built->direct_start_pfn;
	hi = lo + built->direct_pages;
	if (z == ZONE_HIGHMEM && built->highmem_pages) {
		u64 hlo = built->highmem_start_pfn, hhi = hlo + built->highmem_pages;

		if (!built->hugetlb) {
			lo = hlo;
			hi = hhi;
		} else {
			lo = lo < hlo ? lo : hlo;
			hi = hi > hhi ? hi : hhi;
		}
	}
	if (zone->node != c->node || zone->idx != c->idx || zone->pcp_off != c->pcp_off ||
	    (spanned && (start < lo || start > hi || spanned > hi - start)))
		return __kmem_segment_corrupt(view, "node %d zone %d (zone): span %#llx + %llu "
					      "outside the node's memory, or node, index or pcp_off "
					      "(%#llx) differs from the one built", nid, z,
					      (unsigned long long)start, (unsigned long long)spanned,
					      (unsigned long long)zone->pcp_off);
	if (!zone->present_pages)
		return __kmem_check_zone(nid, z, view);
	/*
	 * The lock first: a holder that died mid-update left the counts half
	 * written, and taking the lock rebuilds them (__kmem_lock_owner_died()).
	 * A live holder keeps it: then only what reads safely without it.
	 */
	snprintf(what, sizeof(what), "node %d zone %d lock", nid, z);
	ret = check_lock(&zone->lock, what, view);
	if (ret && ret != -EBUSY)
		return ret;
	locked = !ret;
	ret = check_zone(nid, z, false, view);
	if (!ret && locked)
		ret = verify_free_lists(zone, nid, z, view);
	if (locked)
		check_unlock(&zone->lock);
	return ret ?: verify_zone_pcp(zone, nid, z, view);
}

/* Is @off an object of @s (whose struct is at @s_off)? */
static bool is_object_of(const struct kmem_cache *s, u64 s_off, u64 off)
{
	struct page *slab;

	if (off >= kmem_mm.total_pages << PAGE_SHIFT)
		return false;
	slab = kmem_head_page(kmem_mm.mem_base + off);
	if (!slab || slab < kmem_mm.memmap || slab >= kmem_mm.memmap + kmem_mm.total_pages)
		return false;
	return (READ_ONCE(slab->flags) & PG_slab) && READ_ONCE(slab->slab[0]) == s_off &&
	       obj_to_index(s, slab, kmem_mm.mem_base + off) != UINT32_MAX;
}

/* A node list of slabs, under list_lock: slabs of this cache, linked both ways. */
static int verify_slab_list(const struct kmem_cache *s, u64 s_off, int nid, u32 head,
			    unsigned int list, u64 bound, const char *view)
{
	const char *name = list == SLAB_LIST_PARTIAL ? "partial" : "full";
	u32 pfn = head, prev = PFN_NIL;
	u64 seen = 0;

	while (pfn != PFN_NIL) {
		const struct page *slab;
		int ret = __kmem_check_slab_pfn(s, nid, name, pfn, view);

		if (ret)
			return ret;
		slab = __pfn_to_page(pfn);
		if (slab->slab[0] != s_off || (u32)slab->slab[2] != list ||
		    slab->buddy.prev != prev || ++seen > bound)
			return __kmem_segment_corrupt(view, "cache '%.*s' node %d %s list: slab pfn "
						      "%#x is not linked as one of its slabs",
						      KMEM_CACHE_NAME_LEN, s->name, nid, name, pfn);
		prev = pfn;
		pfn = slab->buddy.next;
	}
	return 0;
}

static int verify_cache_node(const struct kmem_cache *s, u64 s_off, int nid, const char *view)
{
	struct kmem_cache_node *n = cache_node(s, nid);
	u64 block_end = s_off + (PAGE_SIZE << s->meta_order), bound;
	u64 xfer_off = s->node_off + (u64)kmem_mm.nr_nodes * sizeof(*n) +
		       (u64)nid * n->xfer_capacity * sizeof(u64);
	char what[96];
	unsigned int i;
	int ret;

	if (n->xfer_off != xfer_off || n->xfer_count > n->xfer_capacity ||
	    n->xfer_off + (u64)n->xfer_capacity * sizeof(u64) > block_end)
		return __kmem_segment_corrupt(view, "cache '%.*s' node %d (kmem_cache_node): "
					      "xfer_off %#llx, %u of %u objects, outside its block",
					      KMEM_CACHE_NAME_LEN, s->name, nid,
					      (unsigned long long)n->xfer_off, n->xfer_count,
					      n->xfer_capacity);
	snprintf(what, sizeof(what), "cache '%.*s' node %d list_lock", 40, s->name, nid);
	ret = check_lock(&n->list_lock, what, view);
	if (ret == -EBUSY)
		ret = 0;
	else if (!ret) {
		bound = kmem_mm.total_pages;
		ret = verify_slab_list(s, s_off, nid, n->partial, SLAB_LIST_PARTIAL, bound, view) ?:
		      verify_slab_list(s, s_off, nid, n->full, SLAB_LIST_FULL, bound, view);
		check_unlock(&n->list_lock);
	}
	if (ret)
		return ret;
	snprintf(what, sizeof(what), "cache '%.*s' node %d xfer_lock", 40, s->name, nid);
	ret = check_lock(&n->xfer_lock, what, view);
	if (ret == -EBUSY)
		return 0;
	if (ret)
		return ret;
	for (i = 0; !ret && i < n->xfer_count; i++) {
		u64 obj = ((const u64 *)(kmem_mm.mem_base + n->xfer_off))[i];

		if (!is_object_of(s, s_off, obj))
			ret = __kmem_segment_corrupt(view, "cache '%.*s' node %d (kmem_cache_node): "
						     "xfer[%u] = %#llx is not one of its objects",
						     KMEM_CACHE_NAME_LEN, s->name, nid, i,
						     (unsigned long long)obj);
	}
	check_unlock(&n->xfer_lock);
	return ret;
}

/*
 * The CPU's stash (slub.c: a frozen slab and the private chain of its free
 * objects, kept in kmem_cache_cpu::frees), under the CPU cache's lock.
 */
static int verify_cpu_stash(const struct kmem_cache *s, u64 s_off, struct kmem_cache_cpu *c,
			    unsigned int cpu, const char *view)
{
	const struct { u32 slab_pfn, freelist; } *st = (const void *)&c->frees;
	char what[96];
	const struct page *slab;
	u32 fl, steps = 0;
	int ret;

	snprintf(what, sizeof(what), "cache '%.*s' cpu %u lock", 40, s->name, cpu);
	ret = check_lock(&c->lock, what, view);
	if (ret)
		return ret == -EBUSY ? 0 : ret;
	if (st->slab_pfn == PFN_NIL) {
		check_unlock(&c->lock);
		return 0;
	}
	slab = __pfn_to_page(st->slab_pfn);
	if (!__kmem_pfn_valid(st->slab_pfn) || !(slab->flags & PG_slab) ||
	    slab->slab[0] != s_off || (u32)slab->slab[2] != SLAB_LIST_NONE)
		ret = __kmem_segment_corrupt(view, "cache '%.*s' cpu %u (kmem_cache_cpu): stashed "
					     "slab pfn %#x is not a frozen slab of the cache",
					     KMEM_CACHE_NAME_LEN, s->name, cpu, st->slab_pfn);
	for (fl = st->freelist; !ret && fl; steps++) {
		const char *object;

		if (fl > s->objects || steps >= s->objects) {
			ret = __kmem_segment_corrupt(view, "cache '%.*s' cpu %u (kmem_cache_cpu): the "
						     "stash's free chain reaches index %u after %u "
						     "objects (%u per slab)", KMEM_CACHE_NAME_LEN,
						     s->name, cpu, fl, steps, s->objects);
			break;
		}
		object = (const char *)__page_address(slab) + s->red_left_pad +
			 (u64)(fl - 1) * s->size;
		fl = kasan_meta_load32(object + s->offset);
	}
	check_unlock(&c->lock);
	return ret;
}

static int verify_cache_cpu(const struct kmem_cache *s, u64 s_off, unsigned int cpu,
			    const char *view)
{
	const struct kmem_cache_cpu *c = cache_cpu(s, (int)cpu);
	u64 count = READ_ONCE(c->word) & PCP_COUNT_MASK, max_slots;
	unsigned int i;

	max_slots = (s->cpu_stride - sizeof(*c)) / sizeof(u64);
	if (c->capacity > max_slots || c->batch > c->capacity || count > c->capacity)
		return __kmem_segment_corrupt(view, "cache '%.*s' cpu %u (kmem_cache_cpu): %llu "
					      "objects, capacity %u, batch %u (room for %llu)",
					      KMEM_CACHE_NAME_LEN, s->name, cpu,
					      (unsigned long long)count, c->capacity, c->batch,
					      (unsigned long long)max_slots);
	if (kmem_mm.pcp_mode == KMEM_PCP_LOCKED &&
	    c->lock.__data.__kind != trust.mutex_kind)
		return __kmem_segment_corrupt(view, "cache '%.*s' cpu %u lock: mutex kind %#x",
					      KMEM_CACHE_NAME_LEN, s->name, cpu,
					      (unsigned int)c->lock.__data.__kind);
	for (i = 0; i < count; i++) {
		u64 obj = READ_ONCE(c->objs[i]);

		if (!is_object_of(s, s_off, obj))
			return __kmem_segment_corrupt(view, "cache '%.*s' cpu %u (kmem_cache_cpu): "
						      "objs[%u] = %#llx is not one of its objects",
						      KMEM_CACHE_NAME_LEN, s->name, cpu, i,
						      (unsigned long long)obj);
	}
	return verify_cpu_stash(s, s_off, (struct kmem_cache_cpu *)c, cpu, view);
}

/* What create_cache() lays out, and the lists and arrays that hang off it. */
static int verify_cache(unsigned int id, u64 off, const char *view)
{
	const struct kmem_cache *s;
	u64 block_end;
	unsigned int nid, cpu;
	int ret = __kmem_check_cache(id, off, view);

	if (ret)
		return ret;
	s = cache_at(off);
	block_end = off + (PAGE_SIZE << s->meta_order);
	if ((off & (PAGE_SIZE - 1)) || s->meta_order > MAX_PAGE_ORDER ||
	    s->cpu_off != off + ALIGN((u64)sizeof(*s), 64) || (s->cpu_stride & 63) ||
	    s->node_off != s->cpu_off + (u64)kmem_mm.nr_cpu_ids * s->cpu_stride ||
	    s->node_off + (u64)kmem_mm.nr_nodes * sizeof(struct kmem_cache_node) > block_end ||
	    s->offset + sizeof(u32) > s->size || s->inuse > s->size ||
	    (u64)s->red_left_pad + (u64)s->objects * s->size > (PAGE_SIZE << s->order) ||
	    s->reciprocal_size != (u32)(((1ULL << 32) + s->size - 1) / s->size))
		return __kmem_segment_corrupt(view, "caches[%u] '%.*s' (kmem_cache): the layout is "
					      "not one create_cache() makes (cpu_off %#llx stride %u "
					      "node_off %#llx meta order %u)", id,
					      KMEM_CACHE_NAME_LEN, s->name,
					      (unsigned long long)s->cpu_off, s->cpu_stride,
					      (unsigned long long)s->node_off, s->meta_order);
	if (s->owners_off) {
		/* the owner vector lies in each slab, past its objects */
		u64 slab_bytes = PAGE_SIZE << s->order;
		u64 last = ((u64)s->red_left_pad + (u64)(s->objects - 1) * s->size) >>
			   (s->owner_shift & 63);

		if (s->owner_shift > 31 || (1ULL << s->owner_shift) > s->size ||
		    s->slab_mask != slab_bytes - 1 || (s->owners_off & 3) ||
		    s->owners_off < (u64)s->red_left_pad + (u64)s->objects * s->size ||
		    s->owners_off + (last + 1) * sizeof(u32) > slab_bytes)
			return __kmem_segment_corrupt(view, "caches[%u] '%.*s' (kmem_cache): object "
						      "owners at %u (shift %u, mask %#x) outside its "
						      "slabs", id, KMEM_CACHE_NAME_LEN, s->name,
						      s->owners_off, s->owner_shift, s->slab_mask);
	}
	for (nid = 0; !ret && nid < kmem_mm.nr_nodes; nid++)
		ret = verify_cache_node(s, off, (int)nid, view);
	for (cpu = 0; !ret && cpu < kmem_mm.nr_cpu_ids; cpu++)
		ret = verify_cache_cpu(s, off, cpu, view);
	return ret;
}

/*
 * __kmem_segment_gate - before the daemon acts on the segment (@what: the
 * action, for the report): verify the header and every zone and cache not
 * fenced yet, and fence what fails.  Return: 0, or -EUCLEAN when the whole
 * segment is fenced (nothing may be touched); a fenced zone or cache is
 * passed over by the paths that would touch it (__kmem_zone_fenced(),
 * __kmem_cache_id_fenced()).
 */
int __kmem_segment_gate(const char *what)
{
	struct kmem_shared *shm = kmem_mm.shm;
	unsigned int nid, z, id;

	if (!READ_ONCE(trust.on))
		return 0;
	if (READ_ONCE(trust.all)) {
		snprintf(segment_error, sizeof(segment_error), "shared segment fenced (%.160s); "
			 "refusing %s", trust.why[0], what);
		return -EUCLEAN;
	}
	if (verify_header(what))
		return fence_all();
	for (nid = 0; nid < kmem_mm.nr_nodes; nid++)
		for (z = 0; z < MAX_NR_ZONES; z++)
			if (!READ_ONCE(trust.zone[nid * MAX_NR_ZONES + z]) &&
			    verify_zone((int)nid, (int)z, what))
				fence_zone(nid * MAX_NR_ZONES + z);
	for (id = 1; id < KMEM_MAX_CACHES; id++) {
		u64 off = READ_ONCE(shm->caches[id]);

		if (off && !__kmem_cache_id_fenced(id) && verify_cache(id, off, what))
			fence_cache(id);
	}
	__kmem_segment_error_clear();
	return 0;
}
