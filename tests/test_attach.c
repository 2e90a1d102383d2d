// SPDX-License-Identifier: MIT
/*
 * Attached mode without kmemd: a forked "server" process builds the
 * allocator at a fixed base (kt_init with base_address) and answers each
 * connection on a unix socket with __kmem_attach_welcome(), as kmemd does;
 * a "client" process, forked before the server built anything (so it holds
 * no kmem state), attaches with kmem_attach().  The two talk over pipes to
 * exchange pointers.  A fake server sends malformed answers.
 *
 * Each test runs in its own server process, so the test process itself
 * never initialises kmem: its children start clean.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "attach_pair.h"
#include "kunit.h"
#include "internal.h"
#include "kmemd_proto.h"
#include "os.h"

#define BASE		0x7e9000000000UL
#define BASE_STR	"0x7e9000000000"
#define OPTS		"direct_mb=16,highmem_mb=8,hugepages=never,base_address=" BASE_STR
#define CLIENT_ID	100

static char sock_path[108];
static int server_fds_at_ready;	/* the server's fds when it let the client go */
static void (*server_setup)(void);	/* in the server, after kt_init, before listening */

/*
 * Open fds, vmalloc's userfaultfd aside: vmalloc opens it (and starts its
 * fault thread) once per process, and it outlives kmem_exit() and
 * kmem_detach() as it does in embedded mode; @uffds counts those.
 */
static int count_fds_uffd(int *uffds)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0, u = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char path[300], link[64];
		ssize_t len;

		if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d))
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		len = readlink(path, link, sizeof(link) - 1);
		link[len > 0 ? len : 0] = '\0';
		if (strstr(link, "userfaultfd"))
			u++;
		else
			n++;
	}
	closedir(d);
	if (uffds)
		*uffds = u;
	return n;
}

static int count_fds(void)
{
	return count_fds_uffd(NULL);
}

/* Is anything mapped at BASE in this process? */
static bool base_mapped(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[256];
	bool found = false;

	if (!f)
		return true;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "7e90", 4))
			found = true;
	fclose(f);
	return found;
}

static long vm_size_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmSize: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* Another process's object: ASan's shadow in this process knows nothing of it. */
__attribute__((no_sanitize_address)) noinline
static bool bytes_are(const void *p, unsigned char v, size_t n)
{
	const volatile unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] != v)
			return false;
	return true;
}

/* ------------------------------------------------------------------ */
/* the server: kmemd's part, minus the daemon                          */
/* ------------------------------------------------------------------ */

/*
 * The server's options: OPTS, or $KMEM_TEST_ATTACH_OPTS (same base) to run
 * the suite on other memory, e.g. "...,hugepages=require" as root with huge
 * pages reserved.
 */
static const char *server_opts(void)
{
	const char *env = getenv("KMEM_TEST_ATTACH_OPTS");

	return env && *env ? env : OPTS;
}

/* In the server: the allocator at BASE, then the test's server_setup. */
static int server_init(void)
{
	if (kt_init(server_opts()))
		return 100;
	if (server_setup)
		server_setup();
	return 0;
}

static void note_server_fds(void)
{
	server_fds_at_ready = count_fds();
}

/*
 * Fork the server (which forks the client before it builds anything) and
 * return the worse exit status.  @server_fn runs in the server beside the
 * accept loop; @fake_answer: no allocator in the server at all, and each
 * connection gets that answer instead of a welcome.
 */
static int run_pair(side_fn server_fn, side_fn client_fn, unsigned int nr_conns,
		    int (*fake_answer)(int, unsigned int))
{
	const struct pair p = {
		.sock = sock_path,
		.alarm_s = 120,
		.server_init = fake_answer ? NULL : server_init,
		.server_ready = note_server_fds,
		.nr_conns = nr_conns,
		.first_id = CLIENT_ID,
		.answer = fake_answer,
		.server_fn = server_fn,
		.client_fn = client_fn,
	};

	snprintf(sock_path, sizeof(sock_path), "/tmp/kmem-test-attach-%d.sock", (int)getpid());
	return pair_run(&p);
}

/* ------------------------------------------------------------------ */
/* sharing objects, pages and the zones                                */
/* ------------------------------------------------------------------ */

static int buddyinfo_text(char *buf, size_t len)
{
	FILE *f = fmemopen(buf, len, "w");

	if (!f)
		return -1;
	kmem_show_buddyinfo(f);
	fclose(f);
	return 0;
}

static int zones_digest(u64 *out)
{
	int nid, z, o, n = 0;

	for (nid = 0; nid < num_online_nodes(); nid++) {
		for (z = 0; z < 4; z++) {
			struct kmem_zone_stats st;

			if (kmem_zone_stats(nid, z, &st))
				continue;
			out[n++] = st.free_pages;
			out[n++] = st.pcp_count;
			out[n++] = st.managed;
			for (o = 0; o < 11; o++)
				out[n++] = st.nr_free[o];
		}
	}
	return n;
}

#define DIGEST_MAX	(64 * 4 * 14)

static int share_server(const struct chan *c)
{
	static u64 mine[DIGEST_MAX];
	struct kmem_info info;
	char *p, *q;
	u64 theirs;
	int i, n;

	CHECK(kt_pin(0) == 0);
	CHECK(kmem_get_info(&info) == 0);
	CHECK(!info.attached && info.client_id == 0 && info.base == BASE);
	/* the client's object, read here at the same address */
	p = (char *)(uintptr_t)chan_get(c);
	CHECK(p && (uintptr_t)p - BASE < info.total_pages * PAGE_SIZE);
	CHECK(bytes_are(p, 0xc1, 64));
	kfree(p);
	/* ours, for the client to read and free */
	q = kmalloc(64, GFP_KERNEL);
	CHECK(q);
	memset(q, 0x5e, 64);
	CHECK(chan_put(c, (uintptr_t)q) == 0);
	CHECK(chan_get(c) == 2);	/* the client freed it, on the same CPU */
	p = kmalloc(64, GFP_KERNEL);
	CHECK(p == q);		/* LIFO per-CPU freelist: the client's free is seen */
	kfree(p);
	/* the same zones, seen from both sides while the client waits */
	static u64 theirs_all[DIGEST_MAX];

	CHECK(chan_put(c, 3) == 0);
	for (i = 0; i < DIGEST_MAX; i++) {
		theirs = chan_get(c);
		if (theirs == ~0ULL - 2)
			break;
		theirs_all[i] = theirs;
	}
	n = zones_digest(mine);
	CHECK(n == i);
	for (i = 0; i < n; i++) {
		if (theirs_all[i] != mine[i])
			fprintf(stderr, "zone digest %d: %llu here, %llu there\n", i,
				(unsigned long long)mine[i], (unsigned long long)theirs_all[i]);
		CHECK(theirs_all[i] == mine[i]);
	}
	CHECK(chan_get(c) == ~0ULL - 1);
	CHECK(chan_put(c, 4) == 0);
	return 0;
}

static int share_client(const struct chan *c)
{
	static u64 mine[DIGEST_MAX];
	struct kmem_info info;
	struct page *page;
	char *p, *q, *v;
	int i, n;

	CHECK(kt_pin(0) == 0);
	CHECK(kmem_attach(sock_path) == 0);
	CHECK(kmem_attach(sock_path) == -EALREADY);
	CHECK(kmem_get_info(&info) == 0);
	CHECK(info.attached && info.client_id == CLIENT_ID && info.base == BASE);
	CHECK(kmem_mm.owner == CLIENT_ID && kmem_mm.attach_sock >= 0);
	p = kmalloc(64, GFP_KERNEL);
	CHECK(p && (uintptr_t)p - BASE < info.total_pages * PAGE_SIZE);
	memset(p, 0xc1, 64);
	CHECK(chan_put(c, (uintptr_t)p) == 0);
	q = (char *)(uintptr_t)chan_get(c);
	CHECK(bytes_are(q, 0x5e, 64));
	kfree(q);
	CHECK(chan_put(c, 2) == 0);

	/* pages record who allocated them */
	page = alloc_pages(GFP_KERNEL, 2);
	CHECK(page);
	CHECK(page->owner == CLIENT_ID);
	CHECK((uintptr_t)page_address(page) - BASE < info.total_pages * PAGE_SIZE);
	__free_pages(page, 2);
	/* vmalloc maps HIGHMEM pages from the memfds kmemd sent */
	v = vmalloc(256 << 10);
	CHECK(v);
	memset(v, 0x77, 256 << 10);
	page = vmalloc_to_page(v);	/* the head of a block: tails record no owner */
	CHECK(page && page->owner == CLIENT_ID && (page->flags & PG_highmem));
	CHECK(bytes_are(page_address(page), 0x77, PAGE_SIZE));
	page = vmalloc_to_page(v + (100 << 10));
	CHECK(page && (page->flags & PG_highmem) && bytes_are(page_address(page), 0x77, PAGE_SIZE));
	vfree(v);

	CHECK(chan_get(c) == 3);
	rcu_barrier();	/* frees deferred to this process's RCU thread are done */
	n = zones_digest(mine);
	for (i = 0; i < n; i++)
		CHECK(chan_put(c, mine[i]) == 0);
	CHECK(chan_put(c, ~0ULL - 2) == 0);
	CHECK(chan_put(c, ~0ULL - 1) == 0);
	CHECK(chan_get(c) == 4);
	CHECK(kmem_detach() == 0);
	CHECK(kmem_detach() == -EINVAL);
	CHECK(!base_mapped());
	return 0;
}

static void test_share_objects_pages_zones(void)
{
	KT_ASSERT_EQ(run_pair(share_server, share_client, 1, NULL), 0);
}

/* buddyinfo reads the same in both processes once both are quiet. */
static int buddy_server(const struct chan *c)
{
	static char mine[8192], theirs[8192];
	ssize_t n;

	CHECK(chan_get(c) == 1);
	kmem_drain_all_pages();
	CHECK(buddyinfo_text(mine, sizeof(mine)) == 0);
	CHECK(chan_put(c, 2) == 0);
	n = read(c->rd, theirs, sizeof(theirs) - 1);
	CHECK(n > 0);
	theirs[n] = '\0';
	if (strcmp(mine, theirs))
		fprintf(stderr, "server:\n%s\nclient:\n%s\n", mine, theirs);
	CHECK(!strcmp(mine, theirs));
	CHECK(strstr(mine, "Node 0, zone"));
	return 0;
}

static int buddy_client(const struct chan *c)
{
	static char text[8192];
	void *p;

	CHECK(kmem_attach(sock_path) == 0);
	p = kmalloc(3000, GFP_KERNEL);
	CHECK(p);
	kfree(p);
	CHECK(chan_put(c, 1) == 0);
	CHECK(chan_get(c) == 2);
	CHECK(buddyinfo_text(text, sizeof(text)) == 0);
	CHECK(write(c->wr, text, strlen(text)) == (ssize_t)strlen(text));
	CHECK(kmem_detach() == 0);
	return 0;
}

static void test_buddyinfo_same_view(void)
{
	KT_ASSERT_EQ(run_pair(buddy_server, buddy_client, 1, NULL), 0);
}

/* ------------------------------------------------------------------ */
/* a direct map whose huge pages are not in file order                */
/* ------------------------------------------------------------------ */

#define HPAGE		(2UL << 20)

/* Uninstrumented, and volatile so that no memcpy() call is made of it. */
__attribute__((no_sanitize_address)) noinline
static void copy_words(void *dst, const void *src, size_t n)
{
	volatile u64 *d = dst;
	const volatile u64 *sp = src;
	size_t i;

	for (i = 0; i < n / 8; i++)
		d[i] = sp[i];
}

__attribute__((no_sanitize_address)) noinline
static u64 hash_range(const void *p, size_t n)
{
	const volatile u64 *w = p;
	u64 h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n / 8; i++)
		h = (h ^ w[i]) * 0x100000001b3ULL;
	return h;
}

/*
 * Do what sort_hugepages() does with real huge pages: have node 0's slot 0
 * map file huge page 3 and slot 3 file huge page 0, contents kept, and
 * record it in the shared table.  The client must map the same way.
 */
static void permute_direct_map(void)
{
	static u64 tmp[HPAGE / 8];
	struct kmem_shared *shm = kmem_mm.shm;
	u32 *perm = (u32 *)((char *)shm + shm->hpage_file_off);
	char *a = kmem_mm.mem_base, *b = a + 3 * HPAGE;
	int fd = kmem_mm.node_fds[0][KMEM_FD_SHMEM];
	u32 p0 = perm[0], p3 = perm[3];	/* the identity, unless already sorted */

	if (shm->hpages_per_node < 4 || shm->hpage_shift != 21 || p0 == p3)
		_exit(80);
	if (p0 != 0 || p3 != 3)
		fprintf(stderr, "(the direct map was sorted by physical address already)\n");
	copy_words(tmp, a, HPAGE);
	copy_words(a, b, HPAGE);
	copy_words(b, tmp, HPAGE);
	if (os_map_fixed(a, HPAGE, fd, (u64)p3 * HPAGE) || os_map_fixed(b, HPAGE, fd, (u64)p0 * HPAGE))
		_exit(81);
	perm[0] = p3;
	perm[3] = p0;
}

static int perm_server(const struct chan *c)
{
	struct kmem_shared *shm = kmem_mm.shm;
	size_t direct = shm->node_data[0].direct_pages << PAGE_SHIFT;
	char *p;

	CHECK(chan_get(c) == 1);
	/* the client's view of every byte of node 0's direct map is ours */
	CHECK(chan_get(c) == hash_range(kmem_mm.mem_base, direct));
	CHECK(chan_put(c, 5) == 0);	/* the client may write again */
	p = (char *)(uintptr_t)chan_get(c);
	CHECK(bytes_are(p, 0x3c, 64));
	kfree(p);
	CHECK(chan_put(c, 2) == 0);
	return 0;
}

static int perm_client(const struct chan *c)
{
	struct kmem_shared *shm;
	char *p;

	CHECK(kmem_attach(sock_path) == 0);
	shm = kmem_mm.shm;
	CHECK(((u32 *)((char *)shm + shm->hpage_file_off))[0] != 0 ||
	      ((u32 *)((char *)shm + shm->hpage_file_off))[3] != 3);
	CHECK(chan_put(c, 1) == 0);
	CHECK(chan_put(c, hash_range(kmem_mm.mem_base,
				 shm->node_data[0].direct_pages << PAGE_SHIFT)) == 0);
	CHECK(chan_get(c) == 5);
	p = kmalloc(64, GFP_KERNEL);
	CHECK(p);
	memset(p, 0x3c, 64);
	CHECK(chan_put(c, (uintptr_t)p) == 0);
	CHECK(chan_get(c) == 2);
	CHECK(kmem_detach() == 0);
	return 0;
}

static void test_permuted_direct_map(void)
{
	int ret;

	server_setup = permute_direct_map;
	ret = run_pair(perm_server, perm_client, 1, NULL);
	server_setup = NULL;
	KT_ASSERT_EQ(ret, 0);
}

/* ------------------------------------------------------------------ */
/* detaching gives back this process's vmalloc pages                   */
/* ------------------------------------------------------------------ */

static u64 highmem_free(void)
{
	u64 n = 0;
	int nid;

	for (nid = 0; nid < num_online_nodes(); nid++) {
		struct kmem_zone_stats st;

		if (!kmem_zone_stats(nid, 3, &st))
			n += st.free_pages + st.pcp_count;
	}
	return n;
}

static int detach_vm_server(const struct chan *c)
{
	u64 before = chan_get(c);

	CHECK(chan_get(c) == 1);	/* detached, vmalloc area still allocated */
	if (highmem_free() != before)
		fprintf(stderr, "HighMem free: %llu before, %llu after\n",
			(unsigned long long)before, (unsigned long long)highmem_free());
	CHECK(highmem_free() == before);
	return 0;
}

static int detach_vm_client(const struct chan *c)
{
	char *v;

	u64 before;

	CHECK(kmem_attach(sock_path) == 0);
	before = highmem_free();
	CHECK(chan_put(c, before) == 0);
	v = vmalloc(1 << 20);
	CHECK(v);
	memset(v, 0x11, 1 << 20);
	CHECK(highmem_free() + (1 << 20) / PAGE_SIZE <= before);	/* taken from HighMem */
	CHECK(kmem_detach() == 0);
	CHECK(chan_put(c, 1) == 0);
	return 0;
}

static void test_detach_frees_vmalloc_pages(void)
{
	KT_ASSERT_EQ(run_pair(detach_vm_server, detach_vm_client, 1, NULL), 0);
}

/* ------------------------------------------------------------------ */
/* the address rule                                                    */
/* ------------------------------------------------------------------ */

static int taken_client(const struct chan *c)
{
	void *squat;
	int fds = count_fds();

	(void)c;
	squat = mmap((void *)(BASE + (4UL << 20)), 4096, PROT_READ,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	CHECK(squat == (void *)(BASE + (4UL << 20)));
	kt_capture_start();
	CHECK(kmem_attach(sock_path) == -EEXIST);
	CHECK(kt_captured("kmem: cannot map kmemd's memory at 0x7e9000000000: address in use"));
	kt_capture_stop();
	CHECK(count_fds() == fds);
	CHECK(!kmem_initialized());
	/* the squatter is untouched, nothing else was mapped */
	CHECK(munmap(squat, 4096) == 0);
	CHECK(!base_mapped());
	/* once the address is free, the same process attaches */
	CHECK(kmem_attach(sock_path) == 0);
	kfree(kmalloc(100, GFP_KERNEL));
	CHECK(kmem_detach() == 0);
	CHECK(count_fds() == fds);
	return 0;
}

static void test_base_address_taken(void)
{
	KT_ASSERT_EQ(run_pair(NULL, taken_client, 2, NULL), 0);
}

/* base_address in embedded mode: exactly there, or a clear error. */
static int embedded_taken_client(const struct chan *c)
{
	void *squat;

	(void)c;
	squat = mmap((void *)BASE, 4096, PROT_READ,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	CHECK(squat == (void *)BASE);
	kt_capture_start();
	CHECK(kt_init(OPTS) == -EEXIST);
	CHECK(kt_captured("cannot map the arena at base_address 0x7e9000000000: address in use"));
	kt_capture_stop();
	munmap(squat, 4096);
	CHECK(kt_init(OPTS) == 0);
	CHECK((uintptr_t)kmem_mm.mem_base == BASE);
	kmem_exit();
	return 0;
}

static void test_embedded_base_address(void)
{
	KT_ASSERT_EQ(run_pair(NULL, embedded_taken_client, 0, NULL), 0);
}

/* ------------------------------------------------------------------ */
/* malformed answers                                                   */
/* ------------------------------------------------------------------ */

static int send_with_fds(int conn, const void *msg, size_t len, const int *fds, int nr)
{
	char ctl[CMSG_SPACE(sizeof(int) * 8)];
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (nr) {
		memset(ctl, 0, sizeof(ctl));
		mh.msg_control = ctl;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nr);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nr);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * nr);
	}
	return sendmsg(conn, &mh, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -errno;
}

#define FAKE_SHM	(1UL << 20)
#define FAKE_MEM	(16UL << 20)

/* A segment that passes the WELCOME's checks; @how spoils it. */
static int fake_segment(int how)
{
	int fd = memfd_create("fake-shm", MFD_CLOEXEC);
	struct kmem_shared *shm;

	if (fd < 0 || ftruncate(fd, FAKE_SHM))
		return -1;
	shm = mmap(NULL, FAKE_SHM, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (shm == MAP_FAILED)
		return -1;
	shm->magic = how == 1 ? 0xbadbadbadULL : KMEM_SHARED_MAGIC;
	shm->version = KMEM_SHARED_VERSION;
	shm->segment_size = FAKE_SHM;
	shm->base_address = BASE;
	shm->mem_size = FAKE_MEM;
	shm->total_pages = FAKE_MEM >> PAGE_SHIFT;
	shm->nr_nodes = how == 2 ? 100000 : 1;
	shm->nr_cpu_ids = 1;
	shm->hpage_shift = 21;
	shm->memmap_off = how == 3 ? FAKE_SHM - 64 : 4096;
	shm->hpage_phys_off = 4096;
	munmap(shm, FAKE_SHM);
	return fd;
}

static const char *const fake_expect[] = {
	"refused: uid 4242 may not attach",
	"magic 0x0 version 0",
	"a message of 4 bytes",
	"header says 9999 bytes",
	"the WELCOME names 3 fds, 1 came with it",
	"memory of 0x1000000000000000 bytes",
	"a shared segment of 4096 bytes",
	"the shared segment has magic 0xbadbadbad",
	"the shared segment has 100000 nodes",
	"the memmap or the physical address table is out of the segment",
	"map 0 (fd 1, 0x2000000 bytes at +0x0) is out of range",
	"no answer from kmemd",
	"message type 4 where a WELCOME was due",
	"an oversized message",
};
#define NR_FAKE	(sizeof(fake_expect) / sizeof(fake_expect[0]))

static int fake_answer(int conn, unsigned int i)
{
	static union {
		struct kmemd_welcome w;
		char buf[KMEMD_MSG_MAX + 512];
	} m;
	struct kmemd_welcome *w = &m.w;
	struct kmemd_error e;
	size_t len = sizeof(*w) + sizeof(w->maps[0]);
	int fds[2], nr = 2, ret;

	memset(&m, 0, sizeof(m));
	w->h = (struct kmemd_hdr){ KMEMD_MAGIC, KMEMD_PROTO_VERSION, KMEMD_MSG_WELCOME,
				   (u32)len, 0 };
	w->client_id = 7;
	w->nr_fds = 2;
	w->base = BASE;
	w->mem_size = FAKE_MEM;
	w->shm_size = FAKE_SHM;
	w->nr_maps = 1;
	w->maps[0] = (struct kmemd_map){ .fd_index = 1, .len = FAKE_MEM };
	fds[0] = fake_segment(i == 7 ? 1 : i == 8 ? 2 : i == 9 ? 3 : 0);
	fds[1] = memfd_create("fake-direct", MFD_CLOEXEC);
	if (fds[0] < 0 || fds[1] < 0 || ftruncate(fds[1], FAKE_MEM))
		return -EIO;
	switch (i) {
	case 0:
		memset(&e, 0, sizeof(e));
		e.h = (struct kmemd_hdr){ KMEMD_MAGIC, KMEMD_PROTO_VERSION, KMEMD_MSG_ERROR,
					  sizeof(e), 0 };
		e.err = EACCES;
		/* no NUL: the client must bound it */
		memset(e.msg, 'x', sizeof(e.msg));
		strcpy(e.msg, "uid 4242 may not attach");
		ret = send_with_fds(conn, &e, sizeof(e), NULL, 0);
		goto out;
	case 1:
		w->h.magic = 0;
		w->h.version = 0;
		break;
	case 2:
		len = 4;
		break;
	case 3:
		w->h.len = 9999;
		break;
	case 4:
		w->nr_fds = 3;
		nr = 1;
		break;
	case 5:
		w->mem_size = 1ULL << 60;
		break;
	case 6:
		w->shm_size = 4096;
		break;
	case 10:
		w->maps[0].len = 2 * FAKE_MEM;
		w->mem_size = 2 * FAKE_MEM;
		break;
	case 11:
		ret = 0;	/* hang up */
		goto out;
	case 12:
		w->h.type = KMEMD_MSG_DETACH;
		break;
	case 13:
		len = KMEMD_MSG_MAX + 100;
		w->h.len = (u32)len;
		break;
	}
	ret = send_with_fds(conn, w, len, fds, nr);
out:
	close(fds[0]);
	close(fds[1]);
	return ret;
}

static int fake_client(const struct chan *c)
{
	int fds = count_fds();
	unsigned int i;
	char want[300];

	(void)c;
	for (i = 0; i < NR_FAKE; i++) {
		int ret;

		kt_capture_start();
		ret = kmem_attach(sock_path);
		if (ret >= 0 || !kt_captured(fake_expect[i]))
			fprintf(stderr, "case %u: %d, reports: %s\n", i, ret, kt_captured_text());
		CHECK(ret < 0);
		CHECK(kt_captured(fake_expect[i]));
		snprintf(want, sizeof(want), "attach to %s", sock_path);
		CHECK(i == 1 || i == 2 ? true : kt_captured(want));
		CHECK(i ? ret == -EPROTO || ret == -ECONNRESET : ret == -EACCES);
		kt_capture_stop();
		CHECK(count_fds() == fds);
		CHECK(!base_mapped());
		CHECK(!kmem_initialized());
	}
	return 0;
}

static void test_bad_welcome_refused(void)
{
	KT_ASSERT_EQ(run_pair(NULL, fake_client, NR_FAKE, fake_answer), 0);
}

/* ------------------------------------------------------------------ */
/* attach and detach again and again                                   */
/* ------------------------------------------------------------------ */

#define CYCLES	20

static int one_cycle(void)
{
	struct page *page;
	void *p, *v;

	CHECK(kmem_attach(sock_path) == 0);
	p = kmalloc(200, GFP_KERNEL);
	page = alloc_pages(GFP_KERNEL, 0);
	v = vmalloc(64 << 10);
	CHECK(p && page && v);
	memset(v, 1, 64 << 10);
	kfree(p);
	__free_pages(page, 0);
	vfree(v);
	CHECK(kmem_detach() == 0);
	CHECK(!base_mapped());
	return 0;
}

static int cycles_client(const struct chan *c)
{
	int fds, i, ret;
	long vm;

	(void)c;
	/* in forked children, each attaching once */
	fds = count_fds();
	for (i = 0; i < CYCLES; i++) {
		pid_t pid = fork();
		int status;

		if (!pid) {
			int uffds;

			ret = one_cycle();
			if (!ret && (count_fds_uffd(&uffds) != fds || uffds > 1)) {
				fprintf(stderr, "fds: %d before, %d after (+%d userfaultfd)\n",
					fds, count_fds(), uffds);
				ret = 99;
			}
			_exit(ret);
		}
		CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	/* in this process, again and again: the first cycle sets up what stays */
	CHECK(one_cycle() == 0);
	fds = count_fds();
	vm = vm_size_kb();
	for (i = 1; i < CYCLES; i++)
		CHECK(one_cycle() == 0);
	CHECK(count_fds() == fds);
	if (vm_size_kb() > vm + 1024)
		fprintf(stderr, "VmSize %ld kB -> %ld kB\n", vm, vm_size_kb());
	CHECK(vm_size_kb() <= vm + 1024);
	return 0;
}

static int cycles_server(const struct chan *c)
{
	int fds = count_fds();

	(void)c;
	/* nothing to do but count fds once the client is through (run_pair joins) */
	return fds < 0;
}

static void test_attach_detach_cycles(void)
{
	KT_ASSERT_EQ(run_pair(cycles_server, cycles_client, 2 * CYCLES, NULL), 0);
}

/* The server keeps no fd per finished client. */
static int server_fds_server(const struct chan *c)
{
	CHECK(chan_get(c) == 1);
	CHECK(count_fds() == server_fds_at_ready);
	CHECK(chan_put(c, 2) == 0);
	return 0;
}

static int server_fds_client(const struct chan *c)
{
	int i;

	for (i = 0; i < 5; i++)
		CHECK(one_cycle() == 0);
	usleep(100 * 1000);	/* the accept loop closes the last connection */
	CHECK(chan_put(c, 1) == 0);
	CHECK(chan_get(c) == 2);
	return 0;
}

static void test_server_keeps_no_fds(void)
{
	KT_ASSERT_EQ(run_pair(server_fds_server, server_fds_client, 5, NULL), 0);
}

/* ------------------------------------------------------------------ */
/* options and first use                                               */
/* ------------------------------------------------------------------ */

static void test_parse_base_and_attach(void)
{
	struct kmem_options o;
	char err[160];

	kmem_options_init(&o);
	KT_ASSERT_EQ(o.base_address, 0);
	KT_ASSERT_EQ(o.attach, KMEM_ATTACH_NEVER);
	KT_ASSERT_EQ(kmem_options_parse(&o, "base_address=0x7e9000000000,attach=require", err,
					sizeof(err)), 0);
	KT_ASSERT_EQ(o.base_address, BASE);
	KT_ASSERT_EQ(o.attach, KMEM_ATTACH_REQUIRE);
	KT_ASSERT_EQ(kmem_options_parse(&o, "attach=maybe", err, sizeof(err)), -EINVAL);
	KT_ASSERT_EQ(kmem_options_parse(&o, "base_address=0x900000000000", err, sizeof(err)),
		     -EINVAL);
}

/* First use with KMEM_SOCKET set attaches; KMEM_ATTACH=require refuses to fall back. */
static int first_use_client(const struct chan *c)
{
	struct kmem_info info;
	pid_t pid;
	int status;

	(void)c;
	pid = fork();
	if (!pid) {
		/* nobody there: require fails, nothing embedded is built */
		setenv("KMEM_SOCKET", "/tmp/kmem-test-attach-nobody.sock", 1);
		setenv("KMEM_ATTACH", "require", 1);
		kt_capture_start();
		_exit(kmalloc(8, GFP_KERNEL) == NULL && kt_captured("cannot attach to kmemd") &&
		      !kmem_initialized() ? 0 : 1);
	}
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && !WEXITSTATUS(status));
	pid = fork();
	if (!pid) {
		/* nobody there, auto: embedded, quietly */
		setenv("KMEM_SOCKET", "/tmp/kmem-test-attach-nobody.sock", 1);
		setenv("KMEM_OPTIONS", "direct_mb=16,highmem_mb=8,hugepages=never,quiet=1", 1);
		_exit(kmem_get_info(&info) == 0 && !info.attached ? 0 : 1);
	}
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && !WEXITSTATUS(status));
	setenv("KMEM_SOCKET", sock_path, 1);
	CHECK(kmem_get_info(&info) == 0);
	CHECK(info.attached && info.client_id == CLIENT_ID && info.base == BASE);
	kfree(kmalloc(10, GFP_KERNEL));
	CHECK(kmem_detach() == 0);
	return 0;
}

static void test_first_use_attaches(void)
{
	KT_ASSERT_EQ(run_pair(NULL, first_use_client, 1, NULL), 0);
}

/* A daemon that refuses: auto says why and runs embedded, require fails. */
static int refuse_answer(int conn, unsigned int i)
{
	(void)i;
	return fake_answer(conn, 0);
}

static int refused_client(const struct chan *c)
{
	struct kmem_info info;
	pid_t pid;
	int status;

	(void)c;
	setenv("KMEM_SOCKET", sock_path, 1);
	setenv("KMEM_OPTIONS", "direct_mb=16,highmem_mb=8,hugepages=never,quiet=1", 1);
	pid = fork();
	if (!pid) {
		kt_capture_start();
		_exit(kmem_get_info(&info) == 0 && !info.attached && !info.client_id &&
		      kt_captured("refused: uid 4242 may not attach") &&
		      kt_captured("running embedded") ? 0 : 1);
	}
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && !WEXITSTATUS(status));
	pid = fork();
	if (!pid) {
		setenv("KMEM_ATTACH", "require", 1);
		kt_capture_start();
		_exit(kmalloc(8, GFP_KERNEL) == NULL && !kmem_initialized() &&
		      kt_captured("refused: uid 4242 may not attach") &&
		      !kt_captured("running embedded") ? 0 : 1);
	}
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && !WEXITSTATUS(status));
	return 0;
}

static void test_refusing_daemon_first_use(void)
{
	KT_ASSERT_EQ(run_pair(NULL, refused_client, 2, refuse_answer), 0);
}

static const struct kt_test attach_tests[] = {
	KT_TEST(test_parse_base_and_attach),
	KT_TEST(test_embedded_base_address),
	KT_TEST(test_share_objects_pages_zones),
	KT_TEST(test_buddyinfo_same_view),
	KT_TEST(test_permuted_direct_map),
	KT_TEST(test_detach_frees_vmalloc_pages),
	KT_TEST(test_base_address_taken),
	KT_TEST(test_bad_welcome_refused),
	KT_TEST(test_attach_detach_cycles),
	KT_TEST(test_server_keeps_no_fds),
	KT_TEST(test_first_use_attaches),
	KT_TEST(test_refusing_daemon_first_use),
	KT_END,
};

static const struct kt_suite attach_suite = { "attach", NULL, NULL, attach_tests };
static const struct kt_suite *const suites[] = { &attach_suite, NULL };

int main(int argc, char **argv) { return kt_main(argc, argv, suites); }
