// SPDX-License-Identifier: MIT
/*
 * arena.c - the memory kmem manages and the shared segment that describes it.
 *
 * Per node, the *direct map*: address space for the node's maximum
 * (max_mb), reserved once and mapped over sparse memfds with
 * MAP_NORESERVE, so that nothing is taken for it until a section comes
 * online (memory_hotplug.c).  Where hugepages=auto it is reserved twice:
 * a range over a hugetlb memfd (2 MiB or 1 GiB pages, bound to the node's
 * real NUMA node, pinned, physical addresses stable) and a range over an
 * ordinary shmem memfd (MADV_HUGEPAGE), so that each section comes online
 * in hugetlb memory while the pool has some and in shared memory after.
 * hugepages=require has only the first, never only the second.  Per node,
 * a *HIGHMEM pool*: 4 KiB shmem, bound to the node, faulted in on first
 * touch.  All of it is mapped back to back at one base:
 *
 *   base: [node0 direct: hugetlb | shmem][node1 direct]...[node0 highmem]...
 *
 * The base is aligned to the section size (at least the largest buddy
 * block, 4 MiB, and the huge page size) and every range is a multiple of
 * it, so a block of order N is aligned to its size in the address space
 * and in its file, whichever backs it.
 *
 * The shared segment (also a memfd) holds struct kmem_shared, the memmap
 * (address space for every page of the maximum, written only for sections
 * online), the huge pages' physical addresses, the section table and the
 * per-CPU lists.  Each part is a memfd so that the daemon can hand all of
 * them to other processes.
 *
 * memory=private (the malloc front end): every part is anonymous
 * MAP_PRIVATE memory instead, so that a fork()ed child gets a copy of the
 * allocator and its objects, as it gets of any heap; there is then no
 * hugetlb range and nothing to hand out.
 *
 * Runs once in kmem_init(), single-threaded: no locks.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "kasan.h"
#include "os.h"

#define SZ_2M	(2UL << 20)

struct arena_layout {
	unsigned int nr_nodes;
	size_t section;		/* bytes */
	size_t initial;		/* per node, online at start */
	size_t max;		/* per node, the most online at once */
	size_t huge_range;	/* per node: address space over the hugetlb memfd */
	size_t shmem_range;	/* per node: over the shmem memfd */
	size_t direct;		/* per node: huge_range + shmem_range */
	size_t highmem;		/* per node */
	size_t mem_size;
	u64 total_pages;
	u64 hpages;		/* direct huge page slots per node */
	u64 memmap_off, hpage_phys_off, hpage_file_off, section_off, pcp_off, seg_size;
	u64 nr_sections;
	size_t pcp_zone_bytes;	/* one zone's per_cpu_pages[nr_cpu_ids] */
};

/* A node's share of the machine's memory: the default maximum. */
static size_t default_node_max(unsigned int nr_nodes)
{
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);

	if (pages <= 0 || psize <= 0)
		return 0;
	return (size_t)pages * (size_t)psize / nr_nodes;
}

static void compute_layout(const struct kmem_options *opts, const struct kmem_topology *topo,
			   struct arena_layout *l)
{
	unsigned int shift = opts->hugepage_shift > KMEM_SECTION_SHIFT ? opts->hugepage_shift :
				     KMEM_SECTION_SHIFT;
	u64 off;

	l->nr_nodes = topo->nr_nodes;
	l->section = 1UL << shift;
	l->initial = ALIGN(opts->node_direct_bytes, l->section);
	l->max = opts->node_max_bytes ?: default_node_max(l->nr_nodes);
	l->max = l->max & ~(l->section - 1);
	if (l->max < l->initial)
		l->max = l->initial;
	l->huge_range = opts->hugepages != KMEM_HUGEPAGES_NEVER ? l->max : 0;
	l->shmem_range = opts->hugepages != KMEM_HUGEPAGES_REQUIRE ? l->max : 0;
	l->direct = l->huge_range + l->shmem_range;
	l->highmem = ALIGN(opts->node_highmem_bytes, SZ_2M);
	l->mem_size = (size_t)l->nr_nodes * (l->direct + l->highmem);
	l->total_pages = l->mem_size >> PAGE_SHIFT;
	l->hpages = l->direct >> opts->hugepage_shift;
	l->nr_sections = (l->total_pages + (l->section >> PAGE_SHIFT) - 1) /
			 (l->section >> PAGE_SHIFT);

	off = ALIGN((u64)sizeof(struct kmem_shared), 4096);
	l->memmap_off = off;
	off += l->total_pages * sizeof(struct page);
	off = ALIGN(off, 64);
	l->hpage_phys_off = off;
	off += ((l->total_pages >> HPAGE_PFN_SHIFT) + 1) * sizeof(u64);
	l->hpage_file_off = off;
	off += (u64)l->nr_nodes * l->hpages * sizeof(u32);
	off = ALIGN(off, 64);
	l->section_off = off;
	off += l->nr_sections * sizeof(struct mem_section);
	off = ALIGN(off, 4096);
	l->pcp_off = off;
	l->pcp_zone_bytes = topo->nr_cpu_ids * sizeof(struct per_cpu_pages);
	off += (u64)l->nr_nodes * MAX_NR_ZONES * l->pcp_zone_bytes;
	l->seg_size = ALIGN(off, 4096);
}

static void unmap_memory(const struct arena_layout *l)
{
	unsigned int nid, i;

	for (nid = 0; nid < MAX_NUMNODES; nid++) {
		for (i = 0; i < KMEM_NR_NODE_FDS; i++) {
			os_close(kmem_mm.node_fds[nid][i]);
			kmem_mm.node_fds[nid][i] = -1;
		}
	}
	if (kmem_mm.mem_base)
		os_unmap(kmem_mm.mem_base, l->mem_size);
	kmem_mm.mem_base = NULL;
}

/* One sparse memfd of @size mapped at @addr, bound to @real_node. */
static int map_range(char *addr, size_t size, const char *name, bool hugetlb,
		     unsigned int hpage_shift, int real_node, int *fdp, const char **why)
{
	int fd, ret;

	if (kmem_mm.opts.private_memory) {
		/* anonymous: fork() copies it; nothing is taken before it is touched */
		*why = "mapping private memory";
		ret = os_map_anon_fixed(addr, size, true);
		if (ret)
			return ret;
		os_name_anon(addr, size, name);
		goto mapped;
	}
	fd = os_memfd_create(name, hugetlb, hpage_shift);
	*why = "memfd_create";
	if (fd < 0)
		return fd;
	*fdp = fd;
	*why = "sizing a memfd";
	ret = os_ftruncate(fd, size);
	if (ret)
		return ret;
	*why = "mapping a memfd";
	ret = os_map_fixed(addr, size, fd, 0);
	if (ret)
		return ret;
mapped:
	if (real_node >= 0)
		os_bind_node(addr, size, real_node);
	/*
	 * Private memory is a heap's: 4 KiB at a time, so that what is
	 * resident is what is used (a first touch would zero a whole 2 MiB).
	 */
	if (!hugetlb && !kmem_mm.opts.private_memory)
		os_advise_hugepage(addr, size);
	return 0;
}

/*
 * Reserve the address space and map every node's memfds over it; nothing
 * is backed yet.  Return: 0, or -errno with @why naming the step that failed.
 */
static int map_memory(const struct kmem_options *opts, const struct kmem_topology *topo,
		      const struct arena_layout *l, const char **why)
{
	unsigned int nid;
	void *base;
	int ret;
	char name[32];

	if (opts->base_address) {
		base = (void *)opts->base_address;
		ret = os_reserve_at(base, l->mem_size);
		if (ret == -EEXIST)
			*why = "reserving the address space at base_address (something is mapped there)";
		else
			*why = "reserving the address space at base_address";
	} else {
		ret = os_reserve(l->mem_size, l->section, &base);
		*why = "reserving address space";
	}
	if (ret)
		return ret;
	kmem_mm.mem_base = base;
	for (nid = 0; nid < l->nr_nodes; nid++) {
		char *direct = (char *)base + nid * l->direct;
		char *high = (char *)base + l->nr_nodes * l->direct + nid * l->highmem;

		if (l->huge_range) {
			snprintf(name, sizeof(name), "kmem-node%u-hugetlb", nid);
			ret = map_range(direct, l->huge_range, name, true, opts->hugepage_shift,
					topo->real_node[nid], &kmem_mm.node_fds[nid][KMEM_FD_HUGETLB],
					why);
			if (ret)
				return ret;
		}
		if (l->shmem_range) {
			snprintf(name, sizeof(name), "kmem-node%u-direct", nid);
			ret = map_range(direct + l->huge_range, l->shmem_range, name, false, 0,
					topo->real_node[nid], &kmem_mm.node_fds[nid][KMEM_FD_SHMEM],
					why);
			if (ret)
				return ret;
		}
		if (!l->highmem)
			continue;	/* highmem_mb=0: no pool, an empty zone */
		snprintf(name, sizeof(name), "kmem-node%u-highmem", nid);
		ret = map_range(high, l->highmem, name, false, 0, topo->real_node[nid],
				&kmem_mm.node_fds[nid][KMEM_FD_HIGHMEM], why);
		if (ret)
			return ret;
	}
	return 0;
}

/* Where kmemctl --embedded finds private memory (types.h); without it, only it is missing. */
static void publish_locator(void *seg, size_t size)
{
	struct kmem_private_locator loc = {
		.magic = KMEM_PRIVATE_MAGIC,
		.segment = (u64)(uintptr_t)seg,
		.segment_size = size,
	};
	int fd = os_memfd_create("kmem-private", false, 0);

	if (fd < 0)
		return;
	if (pwrite(fd, &loc, sizeof(loc), 0) != (ssize_t)sizeof(loc)) {
		os_close(fd);
		return;
	}
	kmem_mm.locator_fd = fd;
}

static int create_segment(const struct arena_layout *l)
{
	void *seg;
	int fd, ret;

	if (kmem_mm.opts.private_memory) {
		/* named so that kmemctl --embedded finds it in /proc/PID/maps */
		fd = -1;
		ret = os_map_private(l->seg_size, "kmem-shared", &seg);
		if (ret)
			return ret;
		publish_locator(seg, l->seg_size);
	} else {
		fd = os_memfd_create("kmem-shared", false, 0);
		if (fd < 0)
			return fd;
		ret = os_ftruncate(fd, l->seg_size);
		if (!ret)
			ret = os_map(l->seg_size, fd, &seg);
		if (ret) {
			os_close(fd);
			return ret;
		}
	}
	kmem_mm.shm_fd = fd;
	kmem_mm.shm_size = l->seg_size;
	kmem_mm.memmap = (struct page *)((char *)seg + l->memmap_off);
	kmem_mm.hpage_phys = (u64 *)((char *)seg + l->hpage_phys_off);
	kmem_mm.sections = (struct mem_section *)((char *)seg + l->section_off);
	kmem_mm.section_pfn_shift = (u32)__builtin_ctzl(l->section) - PAGE_SHIFT;
	kmem_mm.total_pages = l->total_pages;
	kmem_mm.shm = seg;
	return 0;
}

int __kmem_mutex_init_shared(pthread_mutex_t *m)
{
	pthread_mutexattr_t attr;
	int ret;

	pthread_mutexattr_init(&attr);
	pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	ret = pthread_mutex_init(m, &attr);
	pthread_mutexattr_destroy(&attr);
	return -ret;
}

static void fill_shared(const struct kmem_options *opts, const struct kmem_topology *topo,
			const struct arena_layout *l, bool hugetlb)
{
	u32 *perm = (u32 *)((char *)kmem_mm.shm + l->hpage_file_off);
	u64 range_hpages = l->huge_range >> opts->hugepage_shift;
	struct kmem_shared *shm = kmem_mm.shm;
	unsigned int nid, z, cpu;

	shm->magic = KMEM_SHARED_MAGIC;
	shm->version = KMEM_SHARED_VERSION;
	shm->segment_size = l->seg_size;
	shm->total_pages = l->total_pages;
	shm->memmap_off = l->memmap_off;
	shm->hpage_phys_off = l->hpage_phys_off;
	shm->base_address = (u64)(uintptr_t)kmem_mm.mem_base;
	shm->mem_size = l->mem_size;
	shm->hpage_file_off = l->hpage_file_off;
	shm->hpages_per_node = l->hpages;
	shm->section_off = l->section_off;
	shm->nr_sections = l->nr_sections;
	shm->section_shift = (u32)__builtin_ctzl(l->section);
	shm->nr_nodes = l->nr_nodes;
	shm->nr_cpu_ids = topo->nr_cpu_ids;
	/* private: what the checks compare the shared copy with (segment.c) */
	kmem_mm.nr_nodes = l->nr_nodes;
	kmem_mm.nr_cpu_ids = topo->nr_cpu_ids;
	shm->hpage_shift = opts->hugepage_shift;
	shm->cache_line_size = topo->cache_line_size;
	if (opts->fake_numa)
		shm->flags |= KMEM_SHF_FAKE_NUMA;
	/* zones=auto decides in __kmem_hotplug_init(), once it knows the frame numbers */
	shm->carve = opts->zones == KMEM_ZONES_CARVE;
	shm->carve_start_pfn = hugetlb ? 0 : l->huge_range >> PAGE_SHIFT;
	/* carved from the initial memory only: what grows later is ZONE_NORMAL */
	shm->carve_dma_pages = (opts->zone_dma_bytes < l->initial ? opts->zone_dma_bytes :
				l->initial) >> PAGE_SHIFT;
	shm->carve_dma32_pages = opts->zone_dma32_bytes >> PAGE_SHIFT;
	if (shm->carve_dma32_pages > (l->initial >> PAGE_SHIFT) - shm->carve_dma_pages)
		shm->carve_dma32_pages = (l->initial >> PAGE_SHIFT) - shm->carve_dma_pages;
	shm->tun.offline_delay_ms = opts->offline_delay_ms ?: 5000;
	for (cpu = 0; cpu < topo->nr_cpu_ids; cpu++)
		shm->cpu_to_node[cpu] = topo->cpu_to_node[cpu];
	memcpy(shm->node_distance, topo->distance, sizeof(shm->node_distance));
	__kmem_mutex_init_shared(&shm->slab_mutex);
	__kmem_mutex_init_shared(&shm->rcu.lock);
	__kmem_mutex_init_shared(&shm->vm_charges.lock);

	for (nid = 0; nid < l->nr_nodes; nid++) {
		struct pglist_data *pgdat = &shm->node_data[nid];

		pgdat->node_id = nid;
		pgdat->real_node = topo->real_node[nid];
		pgdat->nr_cpus = topo->node_nr_cpus[nid];
		pgdat->hugetlb = hugetlb;
		pgdat->direct_start_pfn = (u64)nid * l->direct >> PAGE_SHIFT;
		pgdat->direct_pages = l->direct >> PAGE_SHIFT;
		pgdat->huge_pages = l->huge_range >> PAGE_SHIFT;
		pgdat->max_pages = l->max >> PAGE_SHIFT;
		pgdat->min_pages = l->initial >> PAGE_SHIFT;
		__kmem_mutex_init_shared(&pgdat->hotplug_lock);
		/* each range's slots map its own file in order (attach.c maps the same) */
		for (u64 i = 0; i < l->hpages; i++)
			perm[nid * l->hpages + i] = (u32)(i < range_hpages ? i : i - range_hpages);
		pgdat->highmem_start_pfn = ((u64)l->nr_nodes * l->direct + (u64)nid * l->highmem) >>
					   PAGE_SHIFT;
		pgdat->highmem_pages = l->highmem >> PAGE_SHIFT;
		for (z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &pgdat->node_zones[z];

			__kmem_mutex_init_shared(&zone->lock);
			zone->node = nid;
			zone->idx = z;
			zone->pcp_off = l->pcp_off + (u64)(nid * MAX_NR_ZONES + z) * l->pcp_zone_bytes;
			for (unsigned int o = 0; o < NR_PAGE_ORDERS; o++)
				zone->free_area[o].head = PFN_NIL;
			for (cpu = 0; cpu < topo->nr_cpu_ids; cpu++)
				__kmem_mutex_init_shared(&zone_pcp(zone, (int)cpu)->lock);
		}
	}
}

/**
 * __kmem_arena_create - reserve the memory and build the shared segment.
 * Nothing is backed here: __kmem_hotplug_init() onlines the initial sections.
 * Return: 0 or -errno, after printing what failed and why.
 */
int __kmem_arena_create(const struct kmem_options *opts, const struct kmem_topology *topo)
{
	struct arena_layout l;
	const char *why = "";
	bool hugetlb;
	int ret;

	compute_layout(opts, topo, &l);
	if (!l.total_pages || l.total_pages >= PFN_NIL) {
		__kmem_printk("kmem: arena of %zu bytes is out of range\n", l.mem_size);
		return -EINVAL;
	}
	if (opts->base_address & (l.section - 1)) {
		__kmem_printk("kmem: base_address 0x%lx is not aligned to the section size (%zu MiB)\n",
			      opts->base_address, l.section >> 20);
		return -EINVAL;
	}
	/* where the initial sections go: the hugetlb range if the pool covers them */
	hugetlb = opts->hugepages != KMEM_HUGEPAGES_NEVER &&
		  os_free_hugepages(opts->hugepage_shift) >=
			  (long)(l.nr_nodes * (l.initial >> opts->hugepage_shift));
	for (unsigned int nid = 0; nid < MAX_NUMNODES; nid++)
		for (unsigned int i = 0; i < KMEM_NR_NODE_FDS; i++)
			kmem_mm.node_fds[nid][i] = -1;
	if (!hugetlb && opts->hugepages == KMEM_HUGEPAGES_REQUIRE) {
		__kmem_printk("kmem: hugepages=require but the pool has %ld free %lu kB pages, "
			      "%zu needed\n", os_free_hugepages(opts->hugepage_shift),
			      (1UL << opts->hugepage_shift) >> 10,
			      l.nr_nodes * (l.initial >> opts->hugepage_shift));
		return -ENOMEM;
	}
	ret = map_memory(opts, topo, &l, &why);
	if (ret) {
		if (ret == -EEXIST)
			__kmem_printk("kmem: cannot map the arena at base_address 0x%lx: "
				      "address in use\n", opts->base_address);
		else
			__kmem_printk("kmem: %s failed: %s\n", why, strerror(-ret));
		unmap_memory(&l);
		return ret;
	}
	if (!hugetlb && !opts->quiet && !opts->private_memory)
		__kmem_printk("kmem: no huge pages reserved (%lu kB pool); the direct map uses "
			      "shared memory with MADV_HUGEPAGE: no DMA/DMA32 zones%s, page_to_phys() "
			      "is IOVA as VA\n", (1UL << opts->hugepage_shift) >> 10,
			      opts->zones == KMEM_ZONES_EMULATE ? " but emulated ones" : "");
	kmem_mm.mem_size = l.mem_size;
	ret = create_segment(&l);
	if (ret) {
		__kmem_printk("kmem: creating the shared segment failed: %s\n", strerror(-ret));
		unmap_memory(&l);
		return ret;
	}
	fill_shared(opts, topo, &l, hugetlb);
	/* emulated zones are labels: no real address may then be reported beside them */
	if (opts->zones == KMEM_ZONES_EMULATE)
		kmem_mm.shm->flags |= KMEM_SHF_ZONES_EMULATED;
	/* the HIGHMEM pools are memory from the start: their sections are always online */
	for (u64 idx = (l.nr_nodes * l.direct) / l.section; idx < l.nr_sections; idx++)
		kmem_mm.sections[idx].state = SECTION_ONLINE;
	kasan_arena_created();
	return 0;
}

void __kmem_arena_destroy(void)
{
	struct arena_layout l = { 0 };

	if (kmem_mm.mem_base)
		kasan_arena_destroyed();	/* reads the section table: before it goes */
	if (kmem_mm.shm) {
		l.nr_nodes = kmem_mm.nr_nodes;
		os_unmap(kmem_mm.shm, kmem_mm.shm_size);
		os_close(kmem_mm.shm_fd);
		kmem_mm.shm_fd = -1;
		os_close(kmem_mm.locator_fd);
		kmem_mm.locator_fd = -1;
	}
	l.mem_size = kmem_mm.mem_size;
	kmem_mm.kasan_shared = false;
	unmap_memory(&l);
	kmem_mm.shm = NULL;
	kmem_mm.memmap = NULL;
	kmem_mm.hpage_phys = NULL;
	kmem_mm.sections = NULL;
	kmem_mm.total_pages = 0;
}
