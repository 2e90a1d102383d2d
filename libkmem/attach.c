// SPDX-License-Identifier: MIT
/*
 * attach.c - attached mode: a process uses the memory kmemd built instead
 * of building its own (docs/attach.md; the protocol is kmemd_proto.h).
 *
 *   kmem_attach()                          __kmem_attach_welcome() (kmemd)
 *     __kmem_attach()
 *       connect, send HELLO        ───►
 *                                  ◄───    WELCOME + fds (segment first)
 *       check_welcome()                    (or ERROR: print it, fail)
 *       check_segment()            the segment, read-only, before trusting it
 *       map_memory_at_base()       [base, base + mem_size), MAP_FIXED_NOREPLACE,
 *                                  each memfd at its place, huge page by huge
 *                                  page where the direct map was sorted
 *       set_up_process()           kmem_mm, the kmalloc caches: per-process
 *                                  state only, nothing in shared memory
 *
 * The client never trusts what it receives: every size, count and offset
 * is checked against the files it was given before anything is mapped at
 * the base, and a bad answer is refused with a message, never a crash.
 * (Past that point all clients of one daemon are one trust domain: the
 * allocator state itself is used as it is, as threads of one program do.)
 *
 * Runs under init.c's init_lock: single-threaded with respect to kmem.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "kasan.h"
#include "kmemd_proto.h"
#include "os.h"

/* The most memory a daemon may ask a client to map: 2^46 bytes (64 TiB). */
#define ATTACH_MAX_MEM		(1ULL << 46)
#define ATTACH_MAX_SHM		(1ULL << 40)

const char *__kmem_attach_socket_path(void)
{
	const char *env = getenv("KMEM_SOCKET");

	return env && *env ? env : KMEMD_DEFAULT_SOCKET;
}

static void hdr_init(struct kmemd_hdr *h, enum kmemd_msg_type type, u32 len)
{
	memset(h, 0, sizeof(*h));
	h->magic = KMEMD_MAGIC;
	h->version = KMEMD_PROTO_VERSION;
	h->type = (u16)type;
	h->len = len;
}

/* ------------------------------------------------------------------ */
/* server side (kmemd)                                                 */
/* ------------------------------------------------------------------ */

static void add_map(struct kmemd_welcome *w, u32 fd_index, u32 flags, u64 pfn, u64 pages)
{
	struct kmemd_map *m = &w->maps[w->nr_maps++];

	m->fd_index = fd_index;
	m->flags = flags;
	m->file_off = 0;
	m->mem_off = pfn << PAGE_SHIFT;
	m->len = pages << PAGE_SHIFT;
}

int __kmem_attach_welcome(int sock, u32 client_id)
{
	union {
		struct kmemd_welcome w;
		char buf[KMEMD_MSG_MAX];
	} msg;
	struct kmemd_welcome *w = &msg.w;
	int fds[KMEMD_MAX_FDS];
	struct kmem_shared *shm;
	unsigned int nid;
	u32 len;

	if (!kmem_initialized() || kmem_mm.owner || !client_id)
		return -EINVAL;	/* only the process that built the memory serves it */
	/* no one attaches to a segment found corrupted, even in part */
	if (__kmem_segment_gate("attach") || __kmem_segment_fences(NULL, 0))
		return -EUCLEAN;
	shm = kmem_mm.shm;
	memset(&msg, 0, sizeof(msg));
	w->client_id = client_id;
	w->base = (u64)(uintptr_t)kmem_mm.mem_base;
	w->mem_size = kmem_mm.mem_size;
	w->shm_size = kmem_mm.shm_size;
	fds[w->nr_fds++] = kmem_mm.shm_fd;
	/* the whole of each range, once: sections come and go inside the files */
	for (nid = 0; nid < kmem_mm.nr_nodes; nid++) {
		const struct pglist_data *pgdat = &shm->node_data[nid];

		if (pgdat->huge_pages) {
			fds[w->nr_fds] = kmem_mm.node_fds[nid][KMEM_FD_HUGETLB];
			add_map(w, w->nr_fds++, KMEMD_MAP_HUGETLB, pgdat->direct_start_pfn,
				pgdat->huge_pages);
		}
		if (pgdat->direct_pages > pgdat->huge_pages) {
			fds[w->nr_fds] = kmem_mm.node_fds[nid][KMEM_FD_SHMEM];
			add_map(w, w->nr_fds++, 0, pgdat->direct_start_pfn + pgdat->huge_pages,
				pgdat->direct_pages - pgdat->huge_pages);
		}
	}
	for (nid = 0; nid < kmem_mm.nr_nodes; nid++) {
		const struct pglist_data *pgdat = &shm->node_data[nid];

		if (!pgdat->highmem_pages)
			continue;
		fds[w->nr_fds] = kmem_mm.node_fds[nid][KMEM_FD_HIGHMEM];
		add_map(w, w->nr_fds++, 0, pgdat->highmem_start_pfn, pgdat->highmem_pages);
	}
	if (!READ_ONCE(kmem_mm.rcu_shared)) {
		/* its readers will hold up our grace periods, and ours theirs */
		int ret = __kmem_rcu_shared_start();

		if (ret)
			return ret;
	}
	if (!READ_ONCE(kmem_mm.kasan_shared))
		kasan_shared_begin();	/* another process will use the memory */
	len = (u32)(sizeof(*w) + w->nr_maps * sizeof(w->maps[0]));
	hdr_init(&w->h, KMEMD_MSG_WELCOME, len);
	return os_send_fds(sock, w, len, fds, w->nr_fds);
}

/* ------------------------------------------------------------------ */
/* client side                                                         */
/* ------------------------------------------------------------------ */

struct attach_state {
	const char *path;
	int sock;
	int fds[KMEMD_MAX_FDS];
	unsigned int nr_fds;
	u64 fd_size[KMEMD_MAX_FDS];
	struct kmemd_welcome *w;
	struct kmem_shared *shm;	/* read-only view, while checking */
	u64 shm_size;
	char *base;
	bool reserved;
};

static int __printf(2, 3) refuse(const struct attach_state *st, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	__kmem_printk("kmem: attach to %s: bad answer from kmemd: %s\n", st->path, why);
	return -EPROTO;
}

static int send_hello(int sock)
{
	struct kmemd_hello hello;

	memset(&hello, 0, sizeof(hello));
	hdr_init(&hello.h, KMEMD_MSG_HELLO, sizeof(hello));
	hello.pid = (u32)getpid();
	strncpy(hello.comm, os_comm(), sizeof(hello.comm) - 1);
	return os_send(sock, &hello, sizeof(hello));
}

/* The answer's header and, for a WELCOME, its counts and sizes. */
static int check_welcome(struct attach_state *st, const char *buf, ssize_t n)
{
	const struct kmemd_hdr *h = (const struct kmemd_hdr *)buf;
	const struct kmemd_welcome *w = (const struct kmemd_welcome *)buf;
	unsigned int i;

	if (n < (ssize_t)sizeof(*h))
		return refuse(st, "a message of %zd bytes", n);
	if (h->magic != KMEMD_MAGIC || h->version != KMEMD_PROTO_VERSION)
		return refuse(st, "magic 0x%x version %u (expected 0x%x version %u)",
			      h->magic, h->version, KMEMD_MAGIC, KMEMD_PROTO_VERSION);
	if (h->len != (u64)n)
		return refuse(st, "header says %u bytes, the packet has %zd", h->len, n);
	if (h->type == KMEMD_MSG_ERROR) {
		const struct kmemd_error *e = (const struct kmemd_error *)buf;
		char msg[sizeof(e->msg) + 1];
		int err;

		if (n < (ssize_t)sizeof(*e))
			return refuse(st, "an ERROR of %zd bytes", n);
		memcpy(msg, e->msg, sizeof(e->msg));
		msg[sizeof(e->msg)] = '\0';
		msg[strcspn(msg, "\n")] = '\0';
		__kmem_printk("kmem: attach to %s refused: %s\n", st->path, msg);
		err = e->err > 0 && e->err < 4096 ? e->err : EPERM;
		return -err;
	}
	if (h->type != KMEMD_MSG_WELCOME)
		return refuse(st, "message type %u where a WELCOME was due", h->type);
	if (n < (ssize_t)sizeof(*w))
		return refuse(st, "a WELCOME of %zd bytes", n);
	if (w->nr_maps > KMEMD_MAX_MAPS ||
	    (u64)n != sizeof(*w) + (u64)w->nr_maps * sizeof(w->maps[0]))
		return refuse(st, "%u maps in a WELCOME of %zd bytes", w->nr_maps, n);
	if (w->nr_fds != st->nr_fds || !w->nr_fds)
		return refuse(st, "the WELCOME names %u fds, %u came with it", w->nr_fds,
			      st->nr_fds);
	if (!w->client_id)
		return refuse(st, "client id 0");
	if (!w->mem_size || w->mem_size > ATTACH_MAX_MEM || w->mem_size % (2UL << 20) ||
	    !w->base || w->base % (2UL << 20) || w->base > (1ULL << 47) ||
	    w->base + w->mem_size > (1ULL << 47))
		return refuse(st, "memory of 0x%llx bytes at 0x%llx",
			      (unsigned long long)w->mem_size, (unsigned long long)w->base);
	if (w->shm_size < sizeof(struct kmem_shared) || w->shm_size > ATTACH_MAX_SHM ||
	    w->shm_size % 4096)
		return refuse(st, "a shared segment of %llu bytes",
			      (unsigned long long)w->shm_size);
	for (i = 0; i < st->nr_fds; i++)
		if (os_fd_size(st->fds[i], &st->fd_size[i]))
			return refuse(st, "fd %u cannot be read", i);
	if (st->fd_size[0] < w->shm_size)
		return refuse(st, "the segment's file has %llu bytes, %llu announced",
			      (unsigned long long)st->fd_size[0],
			      (unsigned long long)w->shm_size);
	for (i = 0; i < w->nr_maps; i++) {
		const struct kmemd_map *m = &w->maps[i];

		if (!m->fd_index || m->fd_index >= st->nr_fds || !m->len || m->len % 4096 ||
		    m->mem_off % 4096 || m->file_off % 4096 ||
		    m->mem_off > w->mem_size || m->len > w->mem_size - m->mem_off ||
		    m->file_off > st->fd_size[m->fd_index] ||
		    m->len > st->fd_size[m->fd_index] - m->file_off)
			return refuse(st, "map %u (fd %u, 0x%llx bytes at +0x%llx) is out of range",
				      i, m->fd_index, (unsigned long long)m->len,
				      (unsigned long long)m->mem_off);
	}
	st->w = (struct kmemd_welcome *)buf;
	return 0;
}

/* The map in the WELCOME that covers exactly [pfn, pfn + pages); NULL if none. */
static const struct kmemd_map *find_map(const struct kmemd_welcome *w, u64 pfn, u64 pages)
{
	unsigned int i;

	for (i = 0; i < w->nr_maps; i++)
		if (w->maps[i].mem_off == pfn << PAGE_SHIFT &&
		    w->maps[i].len == pages << PAGE_SHIFT)
			return &w->maps[i];
	return NULL;
}

static const u32 *file_pages(const struct kmem_shared *shm)
{
	return (const u32 *)((const char *)shm + shm->hpage_file_off);
}

/* The segment, read-only, against the WELCOME and itself. */
static int check_segment(struct attach_state *st)
{
	const struct kmemd_welcome *w = st->w;
	const struct kmem_shared *shm = st->shm;
	u64 hpage, perm_end, npages = w->mem_size >> PAGE_SHIFT;
	unsigned int nid, i;

	if (shm->magic != KMEM_SHARED_MAGIC || shm->version != KMEM_SHARED_VERSION)
		return refuse(st, "the shared segment has magic 0x%llx version %u "
			      "(expected 0x%llx version %u)", (unsigned long long)shm->magic,
			      shm->version, (unsigned long long)KMEM_SHARED_MAGIC,
			      KMEM_SHARED_VERSION);
	if (shm->segment_size != w->shm_size || shm->base_address != w->base ||
	    shm->mem_size != w->mem_size || shm->total_pages != npages)
		return refuse(st, "the shared segment and the WELCOME disagree on the layout");
	if (!shm->nr_nodes || shm->nr_nodes > MAX_NUMNODES || !shm->nr_cpu_ids ||
	    shm->nr_cpu_ids > KMEM_MAX_CPUS || (shm->hpage_shift != 21 && shm->hpage_shift != 30))
		return refuse(st, "the shared segment has %u nodes, %u CPUs, huge page shift %u",
			      shm->nr_nodes, shm->nr_cpu_ids, shm->hpage_shift);
	if (shm->memmap_off % 8 || shm->memmap_off > w->shm_size ||
	    npages > (w->shm_size - shm->memmap_off) / sizeof(struct page) ||
	    shm->hpage_phys_off > w->shm_size ||
	    (npages >> HPAGE_PFN_SHIFT) + 1 > (w->shm_size - shm->hpage_phys_off) / sizeof(u64))
		return refuse(st, "the memmap or the physical address table is out of the segment");
	hpage = 1ULL << shm->hpage_shift;
	if (shm->hpages_per_node > npages || shm->hpage_file_off % 4 ||
	    shm->hpage_file_off > w->shm_size)
		return refuse(st, "the huge page table is out of the segment");
	perm_end = shm->hpage_file_off + shm->nr_nodes * shm->hpages_per_node * sizeof(u32);
	if (perm_end > w->shm_size)
		return refuse(st, "the huge page table is out of the segment");
	if (shm->section_shift < KMEM_SECTION_SHIFT || shm->section_shift > 30 ||
	    shm->section_shift < shm->hpage_shift || shm->section_off % 8 ||
	    shm->nr_sections != (npages + (1ULL << (shm->section_shift - PAGE_SHIFT)) - 1) >>
				     (shm->section_shift - PAGE_SHIFT) ||
	    shm->section_off > w->shm_size ||
	    shm->nr_sections > (w->shm_size - shm->section_off) / sizeof(struct mem_section))
		return refuse(st, "the section table is out of the segment");
	for (nid = 0; nid < shm->nr_nodes; nid++) {
		const struct pglist_data *pgdat = &shm->node_data[nid];
		u64 sec_mask = (1ULL << (shm->section_shift - PAGE_SHIFT)) - 1;
		const struct kmemd_map *mh = NULL, *ms = NULL;

		if (pgdat->direct_start_pfn > npages ||
		    pgdat->direct_pages > npages - pgdat->direct_start_pfn ||
		    pgdat->huge_pages > pgdat->direct_pages ||
		    ((pgdat->direct_start_pfn | pgdat->direct_pages | pgdat->huge_pages) & sec_mask) ||
		    pgdat->highmem_start_pfn > npages ||
		    pgdat->highmem_pages > npages - pgdat->highmem_start_pfn ||
		    (pgdat->direct_pages << PAGE_SHIFT) != shm->hpages_per_node * hpage)
			return refuse(st, "node %u's memory is out of range", nid);
		if (pgdat->huge_pages &&
		    !(mh = find_map(w, pgdat->direct_start_pfn, pgdat->huge_pages)))
			return refuse(st, "no map for node %u's hugetlb range", nid);
		if (pgdat->direct_pages > pgdat->huge_pages &&
		    !(ms = find_map(w, pgdat->direct_start_pfn + pgdat->huge_pages,
				    pgdat->direct_pages - pgdat->huge_pages)))
			return refuse(st, "no map for node %u's direct map", nid);
		for (i = 0; i < shm->hpages_per_node; i++) {
			bool huge = (u64)i << (shm->hpage_shift - PAGE_SHIFT) < pgdat->huge_pages;
			const struct kmemd_map *m = huge ? mh : ms;

			if (file_pages(shm)[nid * shm->hpages_per_node + i] >=
			    (st->fd_size[m->fd_index] - m->file_off) / hpage)
				return refuse(st, "node %u's huge page %u maps outside its file",
					      nid, i);
		}
		if (pgdat->highmem_pages &&
		    !find_map(w, pgdat->highmem_start_pfn, pgdat->highmem_pages))
			return refuse(st, "no map for node %u's HIGHMEM pool", nid);
		for (i = 0; i < MAX_NR_ZONES; i++)
			if (pgdat->node_zones[i].pcp_off > w->shm_size ||
			    (u64)shm->nr_cpu_ids * sizeof(struct per_cpu_pages) >
				    w->shm_size - pgdat->node_zones[i].pcp_off)
				return refuse(st, "node %u zone %u's per-CPU lists are out of "
					      "the segment", nid, i);
	}
	return 0;
}

/*
 * One range of node @nid's direct map (@m), mapped whole, then the huge page
 * slots that the table says map another page of the file, one by one.
 */
static int map_direct(struct attach_state *st, unsigned int nid, const struct kmemd_map *m)
{
	const struct kmem_shared *shm = st->shm;
	u64 hpage = 1ULL << shm->hpage_shift;
	u64 first = (m->mem_off - (shm->node_data[nid].direct_start_pfn << PAGE_SHIFT)) / hpage;
	const u32 *perm = file_pages(shm) + nid * shm->hpages_per_node + first;
	int fd = st->fds[m->fd_index];
	char *addr = st->base + m->mem_off;
	u64 i;
	int ret;

	ret = os_map_fixed(addr, m->len, fd, m->file_off);
	for (i = 0; !ret && i < m->len / hpage; i++)
		if (perm[i] != i)
			ret = os_map_fixed(addr + i * hpage, hpage, fd, m->file_off + perm[i] * hpage);
	return ret;
}

static int map_memory_at_base(struct attach_state *st)
{
	const struct kmemd_welcome *w = st->w;
	const struct kmem_shared *shm = st->shm;
	unsigned int nid;
	int ret;

	st->base = (char *)(uintptr_t)w->base;
	ret = os_reserve_at(st->base, w->mem_size);
	if (ret) {
		if (ret == -EEXIST)
			__kmem_printk("kmem: cannot map kmemd's memory at 0x%llx: address in use\n",
				      (unsigned long long)w->base);
		else
			__kmem_printk("kmem: cannot map kmemd's memory at 0x%llx: %s\n",
				      (unsigned long long)w->base, strerror(-ret));
		return ret;
	}
	st->reserved = true;
	for (nid = 0; nid < shm->nr_nodes; nid++) {
		const struct pglist_data *pgdat = &shm->node_data[nid];
		const struct kmemd_map *m;

		ret = 0;
		if (pgdat->huge_pages) {
			m = find_map(w, pgdat->direct_start_pfn, pgdat->huge_pages);
			ret = map_direct(st, nid, m);
		}
		if (!ret && pgdat->direct_pages > pgdat->huge_pages) {
			m = find_map(w, pgdat->direct_start_pfn + pgdat->huge_pages,
				     pgdat->direct_pages - pgdat->huge_pages);
			ret = map_direct(st, nid, m);
		}
		if (!ret && pgdat->highmem_pages) {
			m = find_map(w, pgdat->highmem_start_pfn, pgdat->highmem_pages);
			ret = os_map_fixed(st->base + m->mem_off, m->len, st->fds[m->fd_index],
					   m->file_off);
		}
		if (ret) {
			__kmem_printk("kmem: attach to %s: mapping node %u's memory failed: %s\n",
				      st->path, nid, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/* Keep @m's fd as node @nid's @kind (dup'd if another map uses it too). */
static void keep_node_fd(struct attach_state *st, bool *used, unsigned int nid, unsigned int kind,
		    const struct kmemd_map *m)
{
	int fd = st->fds[m->fd_index];

	kmem_mm.node_fds[nid][kind] = used[m->fd_index] ? dup(fd) : fd;
	used[m->fd_index] = true;
}

/* Hand the fds to kmem_mm (growth fallocates, vmalloc maps HIGHMEM pages); close the rest. */
static void take_fds(struct attach_state *st, struct kmem_shared *shm)
{
	bool used[KMEMD_MAX_FDS] = { true };
	unsigned int nid, i;

	for (nid = 0; nid < MAX_NUMNODES; nid++)
		for (i = 0; i < KMEM_NR_NODE_FDS; i++)
			kmem_mm.node_fds[nid][i] = -1;
	for (nid = 0; nid < shm->nr_nodes; nid++) {
		const struct pglist_data *pgdat = &shm->node_data[nid];

		if (pgdat->huge_pages)
			keep_node_fd(st, used, nid, KMEM_FD_HUGETLB,
				find_map(st->w, pgdat->direct_start_pfn, pgdat->huge_pages));
		if (pgdat->direct_pages > pgdat->huge_pages)
			keep_node_fd(st, used, nid, KMEM_FD_SHMEM,
				find_map(st->w, pgdat->direct_start_pfn + pgdat->huge_pages,
					 pgdat->direct_pages - pgdat->huge_pages));
		if (pgdat->highmem_pages)
			keep_node_fd(st, used, nid, KMEM_FD_HIGHMEM,
				find_map(st->w, pgdat->highmem_start_pfn, pgdat->highmem_pages));
	}
	kmem_mm.shm_fd = st->fds[0];
	for (i = 1; i < st->nr_fds; i++)
		if (!used[i])
			os_close(st->fds[i]);
	st->nr_fds = 0;
}

/* kmem_mm as do_init() leaves it, from what is in shared memory already. */
static int set_up_process(struct attach_state *st, struct kmem_shared *shm)
{
	const struct kmemd_welcome *w = st->w;
	int ret;

	kmem_options_init(&kmem_mm.opts);
	kmem_mm.opts.base_address = (unsigned long)w->base;
	kmem_mm.shm = shm;
	kmem_mm.shm_size = w->shm_size;
	kmem_mm.mem_base = st->base;
	kmem_mm.mem_size = w->mem_size;
	kmem_mm.memmap = (struct page *)((char *)shm + shm->memmap_off);
	kmem_mm.hpage_phys = (u64 *)((char *)shm + shm->hpage_phys_off);
	kmem_mm.sections = (struct mem_section *)((char *)shm + shm->section_off);
	kmem_mm.section_pfn_shift = shm->section_shift - PAGE_SHIFT;
	kmem_mm.total_pages = shm->total_pages;
	kmem_mm.nr_nodes = shm->nr_nodes;
	kmem_mm.nr_cpu_ids = shm->nr_cpu_ids;
	kmem_mm.owner = w->client_id;
	take_fds(st, shm);
	memcpy(kmem_mm.cpu_node, shm->cpu_to_node, sizeof(kmem_mm.cpu_node));
	for (unsigned int id = 0; id < MAX_NUMNODES * MAX_NR_ZONES; id++)
		kmem_mm.zone_ptr[id] = &shm->node_data[id / MAX_NR_ZONES]
					       .node_zones[id % MAX_NR_ZONES];
	ret = __kmem_slab_attach();
	if (ret)
		return refuse(st, "a kmalloc cache lies outside the memory");
	return 0;
}

static void attach_cleanup(struct attach_state *st, struct kmem_shared *shm)
{
	unsigned int i;

	if (st->reserved)
		os_unmap(st->base, st->w->mem_size);
	if (st->shm)
		os_unmap(st->shm, st->shm_size);
	if (shm)
		os_unmap(shm, st->shm_size);
	for (i = 0; i < st->nr_fds; i++)
		os_close(st->fds[i]);
	if (st->sock >= 0)
		os_close(st->sock);
}

static char attach_path[108];	/* sizeof(sockaddr_un.sun_path): where we attached */
static void attach_atfork_child(void);

int __kmem_attach(const char *path, bool quiet_absent)
{
	static bool atfork_registered;
	static char buf[KMEMD_MSG_MAX + 1] __aligned(8);
	struct attach_state st = { .path = path ?: __kmem_attach_socket_path(), .sock = -1 };
	struct kmem_shared *shm = NULL;
	ssize_t n;
	int ret;

	ret = os_seqpacket_connect(st.path);
	if (ret < 0) {
		if (!quiet_absent || (ret != -ENOENT && ret != -ECONNREFUSED))
			__kmem_printk("kmem: cannot attach to kmemd at %s: %s\n", st.path,
				      strerror(-ret));
		return ret;
	}
	st.sock = ret;
	ret = send_hello(st.sock);
	if (ret) {
		__kmem_printk("kmem: attach to %s: sending HELLO failed: %s\n", st.path,
			      strerror(-ret));
		goto fail;
	}
	st.nr_fds = KMEMD_MAX_FDS;
	n = os_recv_fds(st.sock, buf, KMEMD_MSG_MAX + 1, st.fds, &st.nr_fds);
	if (n == -EMSGSIZE || n > KMEMD_MSG_MAX) {
		ret = refuse(&st, "an oversized message, or more than %u fds", KMEMD_MAX_FDS);
		goto fail;
	}
	if (n <= 0) {
		ret = n ? (int)n : -ECONNRESET;
		__kmem_printk("kmem: attach to %s: no answer from kmemd: %s\n", st.path,
			      strerror(-ret));
		goto fail;
	}
	ret = check_welcome(&st, buf, n);
	if (ret)
		goto fail;
	st.shm_size = st.w->shm_size;
	ret = os_map_ro(st.shm_size, st.fds[0], (void **)&st.shm);
	if (ret) {
		__kmem_printk("kmem: attach to %s: mapping the shared segment failed: %s\n",
			      st.path, strerror(-ret));
		st.shm = NULL;
		goto fail;
	}
	ret = check_segment(&st);
	if (ret)
		goto fail;
	ret = map_memory_at_base(&st);
	if (ret)
		goto fail;
	ret = os_map(st.shm_size, st.fds[0], (void **)&shm);
	if (ret) {
		__kmem_printk("kmem: attach to %s: mapping the shared segment failed: %s\n",
			      st.path, strerror(-ret));
		shm = NULL;
		goto fail;
	}
	os_unmap(st.shm, st.shm_size);
	st.shm = shm;
	ret = set_up_process(&st, shm);
	if (ret) {
		/* kmem_mm holds the mappings and fds now */
		__kmem_arena_destroy();
		os_close(st.sock);
		kmem_mm.owner = 0;
		return ret;
	}
	kmem_mm.attach_sock = st.sock;
	kmem_mm.kasan_shared = true;
	snprintf(attach_path, sizeof(attach_path), "%s", st.path);
	if (!atfork_registered) {
		pthread_atfork(NULL, NULL, attach_atfork_child);
		atfork_registered = true;
	}
	__kmem_report_stack_prime();
	return 0;
fail:
	attach_cleanup(&st, shm);
	return ret;
}

void __kmem_detach(void)
{
	struct kmemd_hdr bye;

	hdr_init(&bye, KMEMD_MSG_DETACH, sizeof(bye));
	os_send(kmem_mm.attach_sock, &bye, sizeof(bye));
	__kmem_arena_destroy();
	os_close(kmem_mm.attach_sock);
	kmem_mm.attach_sock = -1;
	kmem_mm.owner = 0;
}

/*
 * fork() in an attached process.  The child inherits the mappings (the same
 * shared memory at the same base) but it is not the client kmemd knows: the
 * parent is.  Left so, the pages it allocates would carry the parent's id
 * and go back to the buddy lists when the parent dies, while the child
 * still uses them.  So the child becomes a client of its own: a connection
 * of its own, HELLO, and a WELCOME whose segment must be the one already
 * mapped (the fds that come with it are closed: the mappings are there),
 * then an RCU slot of its own.  If kmemd cannot take it (gone, full), the
 * child runs on unaccounted — owner 0, as the daemon's own allocations:
 * nothing it allocates is taken back when it dies — and says so.
 */
static int reattach(u32 *client_id, int *sock)
{
	static char buf[KMEMD_MSG_MAX + 1] __aligned(8);
	struct attach_state st = { .path = attach_path, .sock = -1 };
	ssize_t n;
	int ret;

	ret = os_seqpacket_connect(st.path);
	if (ret < 0)
		return ret;
	st.sock = ret;
	ret = send_hello(st.sock);
	if (ret)
		goto out;
	st.nr_fds = KMEMD_MAX_FDS;
	n = os_recv_fds(st.sock, buf, KMEMD_MSG_MAX + 1, st.fds, &st.nr_fds);
	if (n <= 0 || n > KMEMD_MSG_MAX) {
		ret = n < 0 ? (int)n : -EPROTO;
		goto out;
	}
	ret = check_welcome(&st, buf, n);
	if (ret)
		goto out;
	if (st.w->base != (u64)(uintptr_t)kmem_mm.mem_base || st.w->mem_size != kmem_mm.mem_size ||
	    st.w->shm_size != kmem_mm.shm_size || !os_same_file(st.fds[0], kmem_mm.shm_fd)) {
		ret = refuse(&st, "not the memory this process inherited");
		goto out;
	}
	*client_id = st.w->client_id;
	*sock = st.sock;
	st.sock = -1;
out:
	attach_cleanup(&st, NULL);	/* the fds, and the socket on failure */
	return ret;
}

static void attach_atfork_child(void)
{
	int saved_errno = errno, sock = -1, ret;
	u32 id = 0;

	if (!kmem_mm.owner || kmem_mm.attach_sock < 0)
		return;		/* detached before the fork */
	os_close(kmem_mm.attach_sock);	/* the parent's connection */
	kmem_mm.attach_sock = -1;
	kmem_mm.owner = 0;
	__kmem_rcu_shared_forget();
	ret = reattach(&id, &sock);
	if (ret) {
		__kmem_printk("kmem: pid %d, a fork() child of an attached process, cannot attach "
			      "to kmemd at %s (%s): it runs unaccounted, and what it allocates is "
			      "not given back when it dies\n", (int)getpid(), attach_path,
			      strerror(-ret));
		errno = saved_errno;
		return;
	}
	kmem_mm.owner = id;
	kmem_mm.attach_sock = sock;
	if (__kmem_rcu_shared_start())
		__kmem_printk("kmem: pid %d: no RCU slot: grace periods do not wait for its "
			      "readers\n", (int)getpid());
	errno = saved_errno;
}
