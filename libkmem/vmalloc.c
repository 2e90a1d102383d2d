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
 * So vmalloc() overcommits like the kernel's overcommitting user memory:
 * it fails only for want of address space, and a region of gigabytes costs
 * only the pages touched.  If no page can be had at first touch even after
 * draining and waiting, the faulting thread gets SIGBUS (the kernel's
 * VM_FAULT_OOM/SIGBUS), after a report; where userfaultfd is missing,
 * vmalloc() takes and maps every page at once and returns NULL on shortage.
 *
 * Lock order:
 *   1. vmap.lock (rwlock): the sorted area array; readers look areas up,
 *      writers insert and remove
 *   2. vm_struct::lock: which pages of one area are mapped
 *   3. page allocator locks
 *
 * fork(): the child gets a copy of the mappings.  Pages already mapped are
 * MAP_SHARED, so parent and child see each other's writes there; pages not
 * yet touched are not registered with userfaultfd in the child (the kernel
 * does not inherit it without UFFD_FEATURE_EVENT_FORK), so the child reads
 * them as private zero pages.  A child never hangs on a fault.  Areas
 * inherited from the parent belong to it: vfree() of one in the child only
 * unmaps it there and says so; the pages stay the parent's.
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

static struct vm_struct *find_vm_area(const void *addr)
{
	unsigned int i = area_index(addr);

	if (i < vmap.nr && vmap.areas[i]->addr <= (const char *)addr)
		return vmap.areas[i];
	return NULL;
}

/* First fit over the gaps; the area array stays sorted. */
static char *alloc_vmap_area(unsigned long size, unsigned int *at)
{
	char *start = vmap.base;
	unsigned int i;

	for (i = 0; i <= vmap.nr; i++) {
		char *end = i < vmap.nr ? vmap.areas[i]->addr : vmap.base + vmap.size;

		if ((unsigned long)(end - start) >= size) {
			*at = i;
			return start;
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
		struct vm_struct **a = reallocarray(vmap.areas, cap, sizeof(*a));

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

/* The pool memfd and offset that back @pfn (a HIGHMEM page). */
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
	}
	return -1;
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

/* Take a block for pages [@i, @i + 2^order) of @area; false when there is none. */
static bool populate_block(struct vm_struct *area, unsigned int i, unsigned int order, gfp_t gfp)
{
	struct page *page;
	unsigned int k;
	u64 off;
	int fd;

	page = __kmem_alloc_pages_highmem(gfp, order, area->node);
	if (!page)
		return false;
	if (area->gfp & __GFP_ZERO)
		memset(page_address(page), 0, PAGE_SIZE << order);
	fd = pfn_to_fd(page_to_pfn(page), &off);
	if (fd < 0 || os_map_fixed_populate(area->addr + ((u64)i << PAGE_SHIFT),
					    PAGE_SIZE << order, fd, off)) {
		__free_pages(page, order);
		return false;
	}
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
	area = find_vm_area(page);
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

/* After fork(): the areas are the parent's; uffd and its thread are gone. */
static void vmap_atfork_prepare(void)
{
	pthread_mutex_lock(&vmap_init_lock);
	pthread_rwlock_wrlock(&vmap.lock);
}

static void vmap_atfork_parent(void)
{
	pthread_rwlock_unlock(&vmap.lock);
	pthread_mutex_unlock(&vmap_init_lock);
}

static void vmap_atfork_child(void)
{
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
		pthread_atfork(vmap_atfork_prepare, vmap_atfork_parent, vmap_atfork_child);
	}
	vmap.uffd = os_uffd_open();
	if (vmap.uffd >= 0 &&
	    pthread_create(&vmap.thread, NULL, vmalloc_fault_thread, (void *)(long)vmap.uffd)) {
		os_close(vmap.uffd);
		vmap.uffd = -ENOMEM;
	}
	if (vmap.uffd >= 0) {
		pthread_detach(vmap.thread);
	} else {
		if (!kmem_mm.opts.quiet)
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
	free(area->pfns);
	free(area->orders);
	free(area->mapped);
	free(area);
}

void *__vmalloc_node(unsigned long size, unsigned long align, gfp_t gfp, int node,
		     const void *caller)
{
	struct vm_struct *area;
	unsigned long real_size;
	unsigned int at;
	char *addr;

	might_sleep_caller(caller);	/* the kernel's, in alloc_vmap_area() */
	if (!size || size > (VMALLOC_AREA_SIZE >> 1) || kmem_ensure_init() || vmap_init())
		goto fail;
	area = calloc(1, sizeof(*area));
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
	area->pfns = malloc((size_t)area->nr_pages * sizeof(u32));
	area->orders = malloc(area->nr_pages);
	area->mapped = calloc(area->nr_pages, 1);
	if (!area->pfns || !area->orders || !area->mapped)
		goto fail_struct;
	memset(area->pfns, 0xff, (size_t)area->nr_pages * sizeof(u32));
	memset(area->orders, 0xff, area->nr_pages);

	pthread_rwlock_wrlock(&vmap.lock);
	addr = alloc_vmap_area(real_size, &at);
	if (!addr || os_map_anon_fixed(addr, real_size - PAGE_SIZE, true)) {
		pthread_rwlock_unlock(&vmap.lock);
		goto fail_struct;
	}
	area->addr = addr;
	if (vmap.uffd < 0 || os_uffd_register(vmap.uffd, addr, real_size - PAGE_SIZE)) {
		/* no userfaultfd: every page now, and a shortage is NULL */
		if (vmap_populate(area, 0, area->nr_pages, gfp)) {
			free_area_pages(area);
			os_map_anon_fixed(addr, real_size - PAGE_SIZE, false);
			pthread_rwlock_unlock(&vmap.lock);
			goto fail_struct;
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
fail_struct:
	free_area_struct(area);
fail:
	if (!(gfp & __GFP_NOWARN))
		__kmem_printk("%s: vmalloc error: size %lu, vm_struct allocation failed, "
			      "mode:%#x\n", os_comm(), size, (unsigned int)gfp);
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
	if (area->pid != getpid())
		__kmem_printk("vfree(%p): area allocated by process %d before fork(); unmapped "
			      "here, its pages stay with that process\n", addr, (int)area->pid);
	else
		free_area_pages(area);
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
		if (free_pages && area->pid == getpid())
			free_area_pages(area);
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
	area = find_vm_area(addr);
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
		st->used_bytes += vmap.areas[i]->size;
		st->pages += __atomic_load_n(&vmap.areas[i]->nr_populated, __ATOMIC_RELAXED);
	}
	pthread_rwlock_unlock(&vmap.lock);
	/* kmemd: its clients' areas too, as its vmallocinfo lists them */
	if (!kmem_mm.owner && kmem_mm.shm) {
		struct kmem_vm_record r;

		for (i = 0; i < KMEM_VM_RECORDS; i++) {
			if (!read_record(i, &r))
				continue;
			st->nr_areas++;
			st->used_bytes += r.size;
			st->pages += r.nr_populated;
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

		fprintf(f, "0x%016lx-0x%016lx %7lu", (unsigned long)a->addr,
			(unsigned long)(a->addr + a->size), a->size);
		print_caller(f, a->caller);
		pthread_mutex_lock(&a->lock);
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
	area = find_vm_area(p);
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
