// SPDX-License-Identifier: MIT
/*
 * arena.c - the memory kmem manages and the shared segment that describes it.
 *
 * Per node, the *direct map*: a hugetlb memfd (2 MiB or 1 GiB pages) bound to
 * the node's real NUMA node and faulted in at once, so its pages are pinned
 * and their physical addresses stable.  Where the huge page pool cannot
 * cover it, ordinary shared memory with MADV_HUGEPAGE stands in (said once).
 * Per node, a *HIGHMEM pool*: 4 KiB shmem, bound to the node, faulted in on
 * first touch.  All of it is mapped back to back at one base:
 *
 *   base: [node0 direct][node1 direct]...[node0 highmem][node1 highmem]...
 *
 * and the shared segment (also a memfd) holds struct kmem_shared, the
 * memmap, the huge pages' physical addresses and the per-CPU lists.  Each
 * part is a memfd so that the daemon can later hand all of them to other
 * processes.
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
	size_t direct;		/* per node */
	size_t highmem;		/* per node */
	size_t mem_size;
	u64 total_pages;
	u64 hpages;		/* direct huge pages per node */
	u64 memmap_off, hpage_phys_off, hpage_file_off, pcp_off, seg_size;
	size_t pcp_zone_bytes;	/* one zone's per_cpu_pages[nr_cpu_ids] */
};

static void compute_layout(const struct kmem_options *opts, const struct kmem_topology *topo,
			   struct arena_layout *l)
{
	size_t hpage = 1UL << opts->hugepage_shift;
	u64 off;

	l->nr_nodes = topo->nr_nodes;
	l->direct = ALIGN(opts->node_direct_bytes, hpage);
	l->highmem = ALIGN(opts->node_highmem_bytes, SZ_2M);
	l->mem_size = (size_t)l->nr_nodes * (l->direct + l->highmem);
	l->total_pages = l->mem_size >> PAGE_SHIFT;
	l->hpages = l->direct >> opts->hugepage_shift;

	off = ALIGN((u64)sizeof(struct kmem_shared), 4096);
	l->memmap_off = off;
	off += l->total_pages * sizeof(struct page);
	off = ALIGN(off, 64);
	l->hpage_phys_off = off;
	off += ((l->total_pages >> HPAGE_PFN_SHIFT) + 1) * sizeof(u64);
	l->hpage_file_off = off;
	off += (u64)l->nr_nodes * l->hpages * sizeof(u32);
	off = ALIGN(off, 4096);
	l->pcp_off = off;
	l->pcp_zone_bytes = topo->nr_cpu_ids * sizeof(struct per_cpu_pages);
	off += (u64)l->nr_nodes * MAX_NR_ZONES * l->pcp_zone_bytes;
	l->seg_size = ALIGN(off, 4096);
}

static void unmap_memory(const struct arena_layout *l)
{
	unsigned int nid;

	for (nid = 0; nid < l->nr_nodes; nid++) {
		os_close(kmem_mm.node_fds[nid][0]);
		os_close(kmem_mm.node_fds[nid][1]);
		kmem_mm.node_fds[nid][0] = kmem_mm.node_fds[nid][1] = -1;
	}
	if (kmem_mm.mem_base)
		os_unmap(kmem_mm.mem_base, l->mem_size);
	kmem_mm.mem_base = NULL;
}

static int cmp_phys(const void *a, const void *b)
{
	const u64 *x = a, *y = b;

	return x[0] < y[0] ? -1 : x[0] > y[0];
}

/*
 * sort_hugepages - remap a node's direct map so that its huge pages sit in
 * the order of their physical addresses (as DPDK sorts its hugepages): the
 * kernel hands huge pages out in no useful order, often descending, and the
 * buddy allocator can only join virtually adjacent huge pages into an
 * order-10 block when they are physically adjacent too.  The data stays in
 * the memfd; only which file page backs which address changes.  Without
 * physical addresses (not root) there is nothing to sort by.  @perm[i]
 * says which huge page of the file slot i maps (attaching processes map the
 * same way): the identity on entry.
 */
static void sort_hugepages(char *direct, size_t bytes, size_t hpage, int fd, u32 *perm)
{
	size_t n = bytes / hpage, i;
	u64 (*pairs)[2];
	bool sorted = true;

	pairs = calloc(n, sizeof(*pairs));
	if (!pairs)
		return;
	for (i = 0; i < n; i++) {
		if (os_virt_to_phys(direct + i * hpage, &pairs[i][0]) || !pairs[i][0])
			goto out;
		pairs[i][1] = i;
		if (i && pairs[i][0] < pairs[i - 1][0])
			sorted = false;
	}
	if (sorted)
		goto out;
	qsort(pairs, n, sizeof(*pairs), cmp_phys);
	for (i = 0; i < n; i++)
		if (os_map_fixed_populate(direct + i * hpage, hpage, fd, pairs[i][1] * hpage))
			break;	/* the old mapping of that slot stays: still correct, unsorted */
		else
			perm[i] = (u32)pairs[i][1];
out:
	free(pairs);
}

/*
 * Create and map every node's direct map and HIGHMEM pool.  Return: 0, or
 * -errno with @why naming the step that failed.
 */
static int map_memory(const struct kmem_options *opts, const struct kmem_topology *topo,
		      const struct arena_layout *l, bool hugetlb, u32 *perm, const char **why)
{
	size_t align = 1UL << opts->hugepage_shift;
	unsigned int nid;
	void *base;
	int ret, fd;
	char name[32];

	for (u64 i = 0; i < l->nr_nodes * l->hpages; i++)
		perm[i] = (u32)(i % l->hpages);
	if (opts->base_address) {
		base = (void *)opts->base_address;
		ret = os_reserve_at(base, l->mem_size);
		if (ret == -EEXIST)
			*why = "reserving the address space at base_address (something is mapped there)";
		else
			*why = "reserving the address space at base_address";
	} else {
		ret = os_reserve(l->mem_size, align, &base);
		*why = "reserving address space";
	}
	if (ret)
		return ret;
	kmem_mm.mem_base = base;
	for (nid = 0; nid < l->nr_nodes; nid++) {
		char *direct = (char *)base + nid * l->direct;
		char *high = (char *)base + l->nr_nodes * l->direct + nid * l->highmem;

		snprintf(name, sizeof(name), "kmem-node%u-direct", nid);
		fd = os_memfd_create(name, hugetlb, opts->hugepage_shift);
		*why = "memfd_create (direct map)";
		if (fd < 0)
			return fd;
		kmem_mm.node_fds[nid][0] = fd;
		*why = "sizing the direct map";
		ret = os_ftruncate(fd, l->direct);
		if (ret)
			return ret;
		*why = "mapping the direct map";
		ret = os_map_fixed(direct, l->direct, fd, 0);
		if (ret)
			return ret;
		if (topo->real_node[nid] >= 0)
			os_bind_node(direct, l->direct, topo->real_node[nid]);
		if (!hugetlb)
			os_advise_hugepage(direct, l->direct);
		*why = "faulting in the direct map";
		ret = os_populate(direct, l->direct);
		if (ret == -EOPNOTSUPP) {
			memset(direct, 0, l->direct);
			ret = 0;
		}
		if (ret)
			return ret;
		if (hugetlb && opts->zones != KMEM_ZONES_EMULATE)
			sort_hugepages(direct, l->direct, align, fd, perm + nid * l->hpages);

		if (!l->highmem)
			continue;	/* highmem_mb=0: no pool, an empty zone */
		snprintf(name, sizeof(name), "kmem-node%u-highmem", nid);
		fd = os_memfd_create(name, false, 0);
		*why = "memfd_create (highmem)";
		if (fd < 0)
			return fd;
		kmem_mm.node_fds[nid][1] = fd;
		*why = "sizing the highmem pool";
		ret = os_ftruncate(fd, l->highmem);
		if (ret)
			return ret;
		*why = "mapping the highmem pool";
		ret = os_map_fixed(high, l->highmem, fd, 0);
		if (ret)
			return ret;
		if (topo->real_node[nid] >= 0)
			os_bind_node(high, l->highmem, topo->real_node[nid]);
	}
	return 0;
}

static int create_segment(const struct arena_layout *l)
{
	void *seg;
	int fd, ret;

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
	kmem_mm.shm_fd = fd;
	kmem_mm.shm_size = l->seg_size;
	kmem_mm.memmap = (struct page *)((char *)seg + l->memmap_off);
	kmem_mm.hpage_phys = (u64 *)((char *)seg + l->hpage_phys_off);
	kmem_mm.total_pages = l->total_pages;
	kmem_mm.shm = seg;
	return 0;
}

static int init_shared_mutex(pthread_mutex_t *m)
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

/* Read each huge page's physical address; false if the frame numbers are hidden. */
static bool read_phys(const struct arena_layout *l)
{
	u64 chunk, nr_chunks = (u64)l->nr_nodes * l->direct / SZ_2M;

	for (chunk = 0; chunk < nr_chunks; chunk++) {
		u64 phys;

		if (os_virt_to_phys(kmem_mm.mem_base + chunk * SZ_2M, &phys) || !phys) {
			memset(kmem_mm.hpage_phys, 0, nr_chunks * sizeof(u64));
			return false;
		}
		kmem_mm.hpage_phys[chunk] = phys;
	}
	return true;
}

static void fill_shared(const struct kmem_options *opts, const struct kmem_topology *topo,
			const struct arena_layout *l, bool hugetlb)
{
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
	shm->nr_nodes = l->nr_nodes;
	shm->nr_cpu_ids = topo->nr_cpu_ids;
	/* private: what the checks compare the shared copy with (segment.c) */
	kmem_mm.nr_nodes = l->nr_nodes;
	kmem_mm.nr_cpu_ids = topo->nr_cpu_ids;
	shm->hpage_shift = opts->hugepage_shift;
	shm->cache_line_size = topo->cache_line_size;
	if (opts->fake_numa)
		shm->flags |= KMEM_SHF_FAKE_NUMA;
	for (cpu = 0; cpu < topo->nr_cpu_ids; cpu++)
		shm->cpu_to_node[cpu] = topo->cpu_to_node[cpu];
	memcpy(shm->node_distance, topo->distance, sizeof(shm->node_distance));
	init_shared_mutex(&shm->slab_mutex);
	init_shared_mutex(&shm->rcu.lock);
	init_shared_mutex(&shm->vm_charges.lock);

	for (nid = 0; nid < l->nr_nodes; nid++) {
		struct pglist_data *pgdat = &shm->node_data[nid];

		pgdat->node_id = nid;
		pgdat->real_node = topo->real_node[nid];
		pgdat->nr_cpus = topo->node_nr_cpus[nid];
		pgdat->hugetlb = hugetlb;
		pgdat->direct_start_pfn = (u64)nid * l->direct >> PAGE_SHIFT;
		pgdat->direct_pages = l->direct >> PAGE_SHIFT;
		pgdat->highmem_start_pfn = ((u64)l->nr_nodes * l->direct + (u64)nid * l->highmem) >>
					   PAGE_SHIFT;
		pgdat->highmem_pages = l->highmem >> PAGE_SHIFT;
		for (z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &pgdat->node_zones[z];

			init_shared_mutex(&zone->lock);
			zone->node = nid;
			zone->idx = z;
			zone->pcp_off = l->pcp_off + (u64)(nid * MAX_NR_ZONES + z) * l->pcp_zone_bytes;
			for (unsigned int o = 0; o < NR_PAGE_ORDERS; o++)
				zone->free_area[o].head = PFN_NIL;
			for (cpu = 0; cpu < topo->nr_cpu_ids; cpu++)
				init_shared_mutex(&zone_pcp(zone, (int)cpu)->lock);
		}
	}
}

/**
 * __kmem_arena_create - map the memory and build the shared segment.
 * Return: 0 or -errno, after printing what failed and why.
 */
int __kmem_arena_create(const struct kmem_options *opts, const struct kmem_topology *topo)
{
	struct arena_layout l;
	const char *why = "";
	bool hugetlb;
	u32 *perm;
	int ret;

	compute_layout(opts, topo, &l);
	if (!l.total_pages || l.total_pages >= PFN_NIL) {
		__kmem_printk("kmem: arena of %zu bytes is out of range\n", l.mem_size);
		return -EINVAL;
	}
	if (opts->base_address & ((1UL << opts->hugepage_shift) - 1)) {
		__kmem_printk("kmem: base_address 0x%lx is not aligned to the huge page size\n",
			      opts->base_address);
		return -EINVAL;
	}
	perm = calloc(l.nr_nodes * l.hpages + 1, sizeof(*perm));
	if (!perm)
		return -ENOMEM;
	hugetlb = opts->hugepages != KMEM_HUGEPAGES_NEVER &&
		  os_free_hugepages(opts->hugepage_shift) >=
			  (long)(l.nr_nodes * (l.direct >> opts->hugepage_shift));
	for (unsigned int nid = 0; nid < MAX_NUMNODES; nid++)
		kmem_mm.node_fds[nid][0] = kmem_mm.node_fds[nid][1] = -1;
	if (!hugetlb && opts->hugepages == KMEM_HUGEPAGES_REQUIRE) {
		__kmem_printk("kmem: hugepages=require but the pool has %ld free %lu kB pages, "
			      "%zu needed\n", os_free_hugepages(opts->hugepage_shift),
			      (1UL << opts->hugepage_shift) >> 10,
			      l.nr_nodes * (l.direct >> opts->hugepage_shift));
		free(perm);
		return -ENOMEM;
	}
	ret = map_memory(opts, topo, &l, hugetlb, perm, &why);
	if (ret && ret != -EEXIST && hugetlb && opts->hugepages == KMEM_HUGEPAGES_AUTO) {
		/* the pool shrank under us, or hugetlb is refused: fall back once */
		unmap_memory(&l);
		hugetlb = false;
		ret = map_memory(opts, topo, &l, hugetlb, perm, &why);
	}
	if (ret) {
		if (ret == -EEXIST)
			__kmem_printk("kmem: cannot map the arena at base_address 0x%lx: "
				      "address in use\n", opts->base_address);
		else
			__kmem_printk("kmem: %s failed: %s\n", why, strerror(-ret));
		unmap_memory(&l);
		free(perm);
		return ret;
	}
	if (!hugetlb && !opts->quiet)
		__kmem_printk("kmem: no huge pages reserved (%lu kB pool); the direct map uses "
			      "shared memory with MADV_HUGEPAGE: no DMA/DMA32 zones%s, page_to_phys() "
			      "is IOVA as VA\n", (1UL << opts->hugepage_shift) >> 10,
			      opts->zones == KMEM_ZONES_EMULATE ? " but emulated ones" : "");
	kmem_mm.mem_size = l.mem_size;
	ret = create_segment(&l);
	if (ret) {
		__kmem_printk("kmem: creating the shared segment failed: %s\n", strerror(-ret));
		unmap_memory(&l);
		free(perm);
		return ret;
	}
	fill_shared(opts, topo, &l, hugetlb);
	memcpy((char *)kmem_mm.shm + l.hpage_file_off, perm, l.nr_nodes * l.hpages * sizeof(*perm));
	free(perm);
	/* emulated zones are labels: no real address may then be reported beside them */
	if (hugetlb && opts->zones != KMEM_ZONES_EMULATE && read_phys(&l))
		kmem_mm.shm->flags |= KMEM_SHF_PHYS_REAL;
	else if (opts->zones == KMEM_ZONES_EMULATE)
		kmem_mm.shm->flags |= KMEM_SHF_ZONES_EMULATED;
	if (opts->zones == KMEM_ZONES_PHYS && !(kmem_mm.shm->flags & KMEM_SHF_PHYS_REAL)) {
		__kmem_printk("kmem: zones=phys needs hugetlb memory and physical frame numbers "
			      "from /proc/self/pagemap (root)\n");
		__kmem_arena_destroy();
		return -EPERM;
	}
	kasan_arena_created();
	return 0;
}

void __kmem_arena_destroy(void)
{
	struct arena_layout l = { 0 };

	if (kmem_mm.shm) {
		l.nr_nodes = kmem_mm.nr_nodes;
		os_unmap(kmem_mm.shm, kmem_mm.shm_size);
		os_close(kmem_mm.shm_fd);
		kmem_mm.shm_fd = -1;
	}
	l.mem_size = kmem_mm.mem_size;
	if (kmem_mm.mem_base)
		kasan_arena_destroyed();
	kmem_mm.kasan_shared = false;
	unmap_memory(&l);
	kmem_mm.shm = NULL;
	kmem_mm.memmap = NULL;
	kmem_mm.hpage_phys = NULL;
	kmem_mm.total_pages = 0;
}
