// SPDX-License-Identifier: MIT
/*
 * Dead clients leak nothing: the real kmemd (KMEMD_PATH) with two fake
 * NUMA nodes and no huge pages, and attached clients killed (SIGKILL) at
 * random points of their load, many times.
 *
 * What it checks: once every client is gone, and the per-CPU lists are
 * drained and empty slabs shrunk (the control socket's "shrink", as the
 * daemon's own reclaim does), every zone's free pages equal what they were
 * before the first client attached, exactly; no page is left neither free
 * nor allocated, none allocated to a client that is gone; the table of
 * gone clients keeps only those that still hold something; and the
 * objects dead clients left in the shared kmalloc caches are freed by the
 * overlap policy, the orphan cap, or "orphans.free" (docs/attach.md, "When
 * a client dies").
 *
 * KMEM_TEST_KILLS sets the number of kills of each kill test (200 by
 * default); KMEM_LONG_TESTS=1 runs the mixed-load test 1000 times.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <kmem/kmem.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "internal.h"
#include "kmemd_harness.h"
#include "kunit.h"
#include "slab.h"

#ifndef KMEMD_PATH
#error "KMEMD_PATH: the kmemd binary (tests/CMakeLists.txt)"
#endif

#define MAX_ZONES	(KT_MAX_NODES * KT_NR_ZONES)

static bool daemon_start(struct kh_daemon *d, const char *extra)
{
	char conf[512];

	snprintf(conf, sizeof(conf), "fake_numa = 2\n%s", extra ? extra : "");
	if (kh_prepare(d, "/tmp/kmemd-death.XXXXXX", "death", conf) || kh_spawn(d, 0, NULL, NULL) ||
	    !kh_wait(d, kh_ctl_answers, NULL, 20000, 20)) {
		kh_print_log(d);
		return false;
	}
	return true;
}

static json_t *ctl(struct kh_daemon *d, const char *req)
{
	char *r = kh_ctl_request(d, req);
	json_t *j = r ? json_loads(r, 0, NULL) : NULL;

	free(r);
	return j;
}

/* One zone's free pages, by its place in the zoneinfo reply. */
struct zones {
	unsigned int nr;
	long long free[MAX_ZONES];
	char name[MAX_ZONES][24];
};

/*
 * Every zone's free pages once the per-CPU lists are drained and the
 * empty slabs given back ("shrink" does both).  Return: false if the
 * daemon did not answer.
 */
static bool zones_free(struct kh_daemon *d, struct zones *z)
{
	json_t *r, *o;
	size_t i;

	json_decref(ctl(d, "{\"cmd\":\"shrink\"}\n"));
	r = ctl(d, "{\"cmd\":\"zoneinfo\"}\n");
	memset(z, 0, sizeof(*z));
	json_array_foreach(json_object_get(r, "zoneinfo"), i, o) {
		if (i >= MAX_ZONES)
			break;
		z->free[i] = json_integer_value(json_object_get(o, "free")) +
			     json_integer_value(json_object_get(o, "pcp_count"));
		snprintf(z->name[i], sizeof(z->name[i]), "%lld/%s",
			 json_integer_value(json_object_get(o, "node")),
			 json_string_value(json_object_get(o, "zone")) ?: "?");
		z->nr++;
	}
	json_decref(r);
	return z->nr > 0;
}

/* Do the zones agree?  Each difference printed. */
static bool zones_equal(const struct zones *a, const struct zones *b)
{
	bool same = a->nr == b->nr;
	unsigned int i;

	for (i = 0; i < a->nr && i < b->nr; i++) {
		if (a->free[i] == b->free[i])
			continue;
		printf("\n  zone %s: %lld free, %lld at the start (%+lld)", a->name[i], b->free[i],
		       a->free[i], b->free[i] - a->free[i]);
		same = false;
	}
	return same;
}

/* A child that attaches to @d, runs @fn and _exits with its result. */
static pid_t spawn_client(struct kh_daemon *d, int (*fn)(void *), void *arg)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		if (kmem_attach(d->sock))
			_exit(90);
		_exit(fn(arg));
	}
	return pid;
}

static int wait_exit(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The clients reply's entries (a new reference to the array's reply). */
static json_t *clients(struct kh_daemon *d)
{
	return ctl(d, "{\"cmd\":\"clients\"}\n");
}

/* Gone clients whose recovery is not done yet, in @r. */
static unsigned int count_state(json_t *r, const char *key, const char *val)
{
	unsigned int n = 0;
	size_t i;
	json_t *c;

	json_array_foreach(json_object_get(r, "clients"), i, c) {
		const char *s = json_string_value(json_object_get(c, key));

		n += s && !strcmp(s, val);
	}
	return n;
}

/* Wait until @live clients are attached and every other one is recovered. */
static bool all_recovered_but(struct kh_daemon *d, unsigned int live)
{
	int i;

	for (i = 0; i < 1000; i++) {
		json_t *r = clients(d);
		size_t n = json_array_size(json_object_get(r, "clients"));
		bool done = r && count_state(r, "state", "attached") == live &&
			    count_state(r, "state", "gone") == n - live &&
			    count_state(r, "recovery", "done") == n - live;

		json_decref(r);
		if (done)
			return true;
		usleep(5000);
	}
	return false;
}

static bool all_recovered(struct kh_daemon *d)
{
	return all_recovered_but(d, 0);
}

/*
 * A census of the memory, from an attached process (white box): writes
 * "LOST OWNED_BY_GONE" to the fd in @arg: pages neither free, nor
 * allocated, nor reserved; and allocated blocks whose owner is neither 0
 * (the daemon's) nor this process (the census itself), each printed.
 */
static int census(void *arg)
{
	u64 pfn, total = kmem_mm.total_pages, lost = 0, owned = 0;
	int fd = (int)(uintptr_t)arg;
	char buf[64];

	for (pfn = 0; pfn < total;) {
		struct page *page = __pfn_to_page(pfn);
		u64 size = 1;

		if (page->flags & PG_buddy) {
			size = 1ULL << page->order;
		} else if (page->_refcount > 0) {
			size = 1ULL << page->order;
			if (page->owner && page->owner != kmem_mm.owner) {
				printf("\n  held: pfn %llu order %u flags %#x owner %u refcount %d",
				       (unsigned long long)pfn, page->order, page->flags, page->owner,
				       page->_refcount);
				if (page->flags & PG_slab) {
					struct kmem_cache *s = cache_at(slab_cache_off(page));

					printf(" (slab of %.*s, state %u, %u in use, list %llu)",
					       KMEM_CACHE_NAME_LEN, s->name, s->state,
					       (unsigned int)SLAB_INUSE(*slab_word(page)),
					       (unsigned long long)page->slab[2]);
				}
				owned += size;
			}
		} else if (!(page->flags & PG_reserved)) {
			printf("\n  lost: pfn %llu order %u flags %#x owner %u",
			       (unsigned long long)pfn, page->order, page->flags, page->owner);
			lost++;
		}
		pfn += size;
	}
	fflush(stdout);
	snprintf(buf, sizeof(buf), "%llu %llu", (unsigned long long)lost,
		 (unsigned long long)owned);
	return write(fd, buf, strlen(buf) + 1) > 0 ? 0 : 1;
}

static bool take_census(struct kh_daemon *d, long long *lost, long long *owned)
{
	char buf[64] = "";
	int pfd[2];
	pid_t pid;

	json_decref(ctl(d, "{\"cmd\":\"drop-pcp\"}\n"));
	if (pipe(pfd))
		return false;
	pid = spawn_client(d, census, (void *)(uintptr_t)pfd[1]);
	close(pfd[1]);
	if (read(pfd[0], buf, sizeof(buf) - 1) <= 0)
		buf[0] = '\0';
	close(pfd[0]);
	if (wait_exit(pid) != 0)
		return false;
	return sscanf(buf, "%lld %lld", lost, owned) == 2;
}

/* ------------------------------------------------------------------ */
/* the loads                                                           */
/* ------------------------------------------------------------------ */

#define LOAD_KMALLOC	(1u << 0)

struct load {
	unsigned int seed;
	unsigned int flags;
	int fd;			/* "a" once attached */
};

/*
 * Pages of orders 0-3 from every zone type of both nodes (GFP_KERNEL,
 * GFP_HIGHUSER, __GFP_HIGHMEM), a vmalloc area touched here and there,
 * objects of a cache of its own (created, and now and then destroyed and
 * created again), and with LOAD_KMALLOC kmalloc objects of every size and
 * large kmalloc blocks, some kept for a while; killed at a random point.
 */
static int load(void *arg)
{
	static const gfp_t gfps[] = { GFP_KERNEL, GFP_HIGHUSER, GFP_KERNEL | __GFP_HIGHMEM };
	struct load *l = arg;
	unsigned int seed = l->seed, n = 0;
	struct kmem_cache *own = kmem_cache_create("death_own", 24 + seed % 500, 0, 0, NULL);
	void *kept[16] = { NULL };

	if (!own || write(l->fd, "a", 1) != 1)
		return 1;
	for (;; n++) {
		unsigned int order = rand_r(&seed) % 4;
		struct page *page = alloc_pages_node((int)(n & 1), gfps[n % 3], order);
		void *obj = kmem_cache_alloc(own, GFP_KERNEL);
		unsigned int vpages = 1 + rand_r(&seed) % 16;
		char *v = vmalloc(vpages * PAGE_SIZE);

		if (v) {
			v[0] = 1;
			v[PAGE_SIZE * (rand_r(&seed) % vpages)] = 2;
		}
		if (l->flags & LOAD_KMALLOC) {
			unsigned int k = rand_r(&seed) % 16;
			size_t size = rand_r(&seed) % 4 ? 8 + (size_t)(rand_r(&seed) % 4096) :
				      PAGE_SIZE * (2 + (size_t)(rand_r(&seed) % 6));

			kfree(kept[k]);
			kept[k] = kmalloc(size, GFP_KERNEL);
		}
		kmem_cache_free(own, obj);
		if (page)
			__free_pages(page, order);
		vfree(v);
		if (!(rand_r(&seed) % 64)) {
			kmem_cache_destroy(own);
			own = kmem_cache_create("death_own", 24 + rand_r(&seed) % 500, 0, 0, NULL);
			if (!own)
				return 2;
		}
	}
	return 0;
}

/* Kill one load client at a random delay after it attached; false if it never attached. */
static bool kill_one(struct kh_daemon *d, unsigned int *seed, unsigned int flags,
		     unsigned int max_delay_us)
{
	struct load l = { .seed = (unsigned int)rand_r(seed), .flags = flags };
	int pfd[2];
	char ch;
	pid_t pid;

	if (pipe(pfd))
		return false;
	l.fd = pfd[1];
	pid = spawn_client(d, load, &l);
	close(pfd[1]);
	if (pid < 0 || read(pfd[0], &ch, 1) != 1) {
		close(pfd[0]);
		if (pid > 0)
			wait_exit(pid);
		return false;
	}
	close(pfd[0]);
	usleep((unsigned int)rand_r(seed) % (max_delay_us + 1));
	kill(pid, SIGKILL);
	ch = (char)wait_exit(pid);
	if (ch != (char)(128 + SIGKILL))
		printf("\n  load client exited %d", ch);
	return ch == (char)(128 + SIGKILL);
}

static unsigned int env_count(const char *name, unsigned int dflt)
{
	const char *v = getenv(name);

	return v && atoi(v) > 0 ? (unsigned int)atoi(v) : dflt;
}

/* Entries of the clients table, and how many of them are gone. */
static unsigned int table_size(struct kh_daemon *d, unsigned int *gone)
{
	json_t *r = clients(d);
	unsigned int n = (unsigned int)json_array_size(json_object_get(r, "clients"));

	if (gone)
		*gone = count_state(r, "state", "gone");
	json_decref(r);
	return n;
}

/* The gone clients the table keeps once they own nothing (daemon/client.c). */
#define KEEP_GONE	16

static int hold(void *arg)
{
	if (write((int)(uintptr_t)arg, "h", 1) != 1)
		return 1;
	pause();
	return 2;
}

/* An attached client that waits to be killed.  Return: its pid, attached. */
static pid_t spawn_holder(struct kh_daemon *d)
{
	int pfd[2];
	char ch = 0;
	pid_t pid;

	if (pipe(pfd))
		return -1;
	pid = spawn_client(d, hold, (void *)(uintptr_t)pfd[1]);
	close(pfd[1]);
	if (pid < 0 || read(pfd[0], &ch, 1) != 1 || ch != 'h') {
		if (pid > 0) {
			kill(pid, SIGKILL);
			wait_exit(pid);
		}
		pid = -1;
	}
	close(pfd[0]);
	return pid;
}

static void kill_wait(pid_t pid)
{
	kill(pid, SIGKILL);
	KT_ASSERT_EQ(wait_exit(pid), 128 + SIGKILL);
}

/* Pages promised to vmalloc areas, every process's (the vmallocinfo reply's charged_all). */
static long long charged_all(struct kh_daemon *d)
{
	json_t *r = ctl(d, "{\"cmd\":\"vmallocinfo\"}\n");
	json_t *v = json_object_get(json_object_get(r, "vmallocinfo"), "charged_all");
	long long n = json_is_integer(v) ? json_integer_value(v) : -1;

	json_decref(r);
	return n;
}

/* Memory as it was: every zone's free pages, no page lost or held by the gone. */
static void check_baseline(struct kh_daemon *d, const struct zones *z0, const char *what)
{
	long long lost = -1, owned = -1;
	struct zones z;

	CU_ASSERT_FATAL(all_recovered(d));
	CU_ASSERT_FATAL(zones_free(d, &z));
	CU_ASSERT(zones_equal(z0, &z));
	/* and nothing is still promised to the vmalloc areas of the dead */
	KT_ASSERT_EQ(charged_all(d), 0);
	CU_ASSERT(take_census(d, &lost, &owned));
	KT_ASSERT_EQ(lost, 0);
	KT_ASSERT_EQ(owned, 0);
	printf("\n  %s: %u zones as at the start, %lld pages lost, %lld held by gone clients", what,
	       z.nr, lost, owned);
}

/*
 * Clients using pages (HighMem included), vmalloc and caches of their own
 * but not kmalloc, killed KMEM_TEST_KILLS times (200): every zone's free
 * pages come back exactly, no page is lost or held by a gone client, and
 * the table keeps no more gone clients than its short history.
 */
static void test_killed_pages_and_caches(void)
{
	unsigned int kills = env_count("KMEM_TEST_KILLS", 200), i, seed = (unsigned int)kt_seed();
	unsigned int size, gone;
	struct zones z0;
	struct kh_daemon d;

	if (!daemon_start(&d, NULL)) {
		CU_FAIL("kmemd did not start");
		kh_remove(&d);
		return;
	}
	CU_ASSERT_FATAL(zones_free(&d, &z0));
	for (i = 0; i < kills; i++)
		if (!kill_one(&d, &seed, 0, 10000))
			break;
	KT_ASSERT_EQ(i, kills);
	check_baseline(&d, &z0, "pages and caches");
	size = table_size(&d, &gone);
	printf("\n  %u kills: the table holds %u clients (%u gone)\n", i, size, gone);
	CU_ASSERT(size <= KEEP_GONE);
	if (getenv("KMEM_TEST_VERBOSE"))
		kh_print_log(&d);
	kh_stop(&d, SIGTERM);
	kh_remove(&d);
}

/* Kills while the first client lives: what they leave must fit the direct map. */
#define HOLDER_KILLS	40

/*
 * The mixed load, kmalloc included, killed 300 times (1000 with
 * KMEM_LONG_TESTS=1, or KMEM_TEST_KILLS): a client that lives through the
 * first HOLDER_KILLS keeps what the dead of its time left in the shared kmalloc
 * caches (they are in the table, holding it), and once it goes they are
 * freed; when the last client is gone every zone's free pages are the
 * baseline's, exactly.
 */
static void test_killed_mixed_load(void)
{
	unsigned int kills = env_count("KMEM_TEST_KILLS", getenv("KMEM_LONG_TESTS") &&
				       atoi(getenv("KMEM_LONG_TESTS")) ? 1000 : 300);
	unsigned int i, seed = (unsigned int)kt_seed() ^ 0x5eed, size, gone, holding = 0;
	struct timespec t0, t1;
	struct zones z0;
	struct kh_daemon d;
	pid_t holder;

	/* no cap: the overlap rule alone frees what they left */
	if (!daemon_start(&d, "orphan_cap_mb = 0\n")) {
		CU_FAIL("kmemd did not start");
		kh_remove(&d);
		return;
	}
	CU_ASSERT_FATAL(zones_free(&d, &z0));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	holder = spawn_holder(&d);
	CU_ASSERT_FATAL(holder > 0);
	for (i = 0; i < kills; i++) {
		if (i == (kills / 2 < HOLDER_KILLS ? kills / 2 : HOLDER_KILLS)) {
			json_t *r = clients(&d);

			/* the dead of the holder's time keep their orphans, listed */
			holding = (unsigned int)json_array_size(json_object_get(r, "clients"));
			json_decref(r);
			kill_wait(holder);
		}
		if (!kill_one(&d, &seed, LOAD_KMALLOC, 10000))
			break;
	}
	KT_ASSERT_EQ(i, kills);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	check_baseline(&d, &z0, "mixed load");
	size = table_size(&d, &gone);
	printf("\n  %u kills in %.1f s: %u clients in the table while a client of their time "
	       "lived, %u at the end (%u gone)\n", i,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9, holding,
	       size, gone);
	CU_ASSERT(holding > KEEP_GONE);
	CU_ASSERT(size <= KEEP_GONE);
	CU_ASSERT(strstr(kh_log(&d), "no client that overlapped its life is alive") != NULL);
	if (getenv("KMEM_TEST_VERBOSE"))
		kh_print_log(&d);
	kh_stop(&d, SIGTERM);
	kh_remove(&d);
}

/* ------------------------------------------------------------------ */
/* what a dead client left, and who may still hold it                  */
/* ------------------------------------------------------------------ */

#define NR_LEFT		200

struct leave {
	int fd;			/* the objects' addresses go here */
	unsigned int size;	/* kmalloc size */
	bool own_cache;		/* from a cache of its own instead */
	void *objs[NR_LEFT];
};

/* Allocate NR_LEFT objects, send their addresses, and wait to be killed. */
static int leave_objects(void *arg)
{
	struct leave *l = arg;
	struct kmem_cache *s = NULL;
	int i;

	if (l->own_cache) {
		s = kmem_cache_create("death_left", l->size, 0, 0, NULL);
		if (!s)
			return 1;
	}
	for (i = 0; i < NR_LEFT; i++) {
		l->objs[i] = s ? kmem_cache_alloc(s, GFP_KERNEL) : kmalloc(l->size, GFP_KERNEL);
		if (!l->objs[i])
			return 2;
		memset(l->objs[i], i, l->size);
	}
	if (write(l->fd, l->objs, sizeof(l->objs)) != (ssize_t)sizeof(l->objs))
		return 3;
	pause();
	return 4;
}

/* A client that leaves NR_LEFT objects, killed once they are sent: its id, or 0. */
static long long die_leaving(struct kh_daemon *d, struct leave *l)
{
	int pfd[2];
	long long id = 0;
	json_t *r, *c;
	size_t i;
	pid_t pid;

	if (pipe(pfd))
		return 0;
	l->fd = pfd[1];
	pid = spawn_client(d, leave_objects, l);
	close(pfd[1]);
	if (read(pfd[0], l->objs, sizeof(l->objs)) != (ssize_t)sizeof(l->objs))
		memset(l->objs, 0, sizeof(l->objs));
	close(pfd[0]);
	kill_wait(pid);
	CU_ASSERT(all_recovered_but(d, 1));
	r = clients(d);
	json_array_foreach(json_object_get(r, "clients"), i, c)
		if (json_integer_value(json_object_get(c, "pid")) == pid)
			id = json_integer_value(json_object_get(c, "id"));
	json_decref(r);
	return id;
}

static long long orphans_of(struct kh_daemon *d, long long id)
{
	char req[96];
	json_t *r;
	long long n;

	snprintf(req, sizeof(req), "{\"cmd\":\"orphans\",\"client\":%lld,\"limit\":0}\n", id);
	r = ctl(d, req);
	n = json_is_integer(json_object_get(r, "objects")) ?
	    json_integer_value(json_object_get(r, "objects")) : -1;
	json_decref(r);
	return n;
}

/* Does slabinfo list a cache called @name? */
static bool has_cache(struct kh_daemon *d, const char *name)
{
	json_t *r = ctl(d, "{\"cmd\":\"slabinfo\"}\n"), *c;
	bool found = false;
	size_t i;

	json_array_foreach(json_object_get(r, "slabinfo"), i, c)
		found |= !strcmp(json_string_value(json_object_get(c, "name")) ?: "", name);
	json_decref(r);
	return found;
}

/* Free @l's objects from another client (kfree: whatever cache they are of). */
static int free_left(void *arg)
{
	struct leave *l = arg;
	int i;

	for (i = 0; i < NR_LEFT; i++) {
		if (*(unsigned char *)l->objs[i] != (unsigned char)i)
			return 1;
		kfree(l->objs[i]);
	}
	return 0;
}

/*
 * Overlap: B dies while A (attached before B's death) lives, and C
 * attaches after: B's objects stay while A lives, and go when A does,
 * though C still lives (C never saw B's pointers).
 */
static void test_orphans_freed_when_overlap_gone(void)
{
	struct leave *l = calloc(1, sizeof(*l));
	struct zones z0;
	struct kh_daemon d;
	long long id;
	pid_t a, c;

	CU_ASSERT_FATAL(l != NULL);
	if (!daemon_start(&d, NULL)) {
		CU_FAIL("kmemd did not start");
		kh_remove(&d);
		free(l);
		return;
	}
	CU_ASSERT_FATAL(zones_free(&d, &z0));
	a = spawn_holder(&d);
	CU_ASSERT_FATAL(a > 0);
	l->size = 96;
	id = die_leaving(&d, l);
	CU_ASSERT_FATAL(id > 0);
	c = spawn_holder(&d);
	CU_ASSERT_FATAL(c > 0);
	usleep(1200000);	/* a prune of the table has run meanwhile */
	CU_ASSERT(orphans_of(&d, id) >= NR_LEFT);
	kill_wait(a);
	CU_ASSERT(all_recovered_but(&d, 1));
	usleep(100000);
	KT_ASSERT_EQ(orphans_of(&d, id), 0);
	kill_wait(c);
	check_baseline(&d, &z0, "overlap");
	printf("\n");
	kh_stop(&d, SIGTERM);
	kh_remove(&d);
	free(l);
}

/*
 * A cache of the dead client's own, kept because objects were allocated in
 * it, goes once another process has freed them (while a client of its time
 * still lives), slabs and all.
 */
static void test_kept_cache_emptied(void)
{
	struct leave *l = calloc(1, sizeof(*l));
	struct zones z0;
	struct kh_daemon d;
	long long id;
	pid_t a, f;
	int i;

	CU_ASSERT_FATAL(l != NULL);
	if (!daemon_start(&d, NULL)) {
		CU_FAIL("kmemd did not start");
		kh_remove(&d);
		free(l);
		return;
	}
	CU_ASSERT_FATAL(zones_free(&d, &z0));
	a = spawn_holder(&d);
	CU_ASSERT_FATAL(a > 0);
	l->size = 300;
	l->own_cache = true;
	id = die_leaving(&d, l);
	CU_ASSERT_FATAL(id > 0);
	usleep(1200000);	/* a prune of the table has run meanwhile */
	CU_ASSERT(has_cache(&d, "death_left"));	/* kept: objects are allocated */
	f = spawn_client(&d, free_left, l);
	KT_ASSERT_EQ(wait_exit(f), 0);
	for (i = 0; i < 300 && has_cache(&d, "death_left"); i++)
		usleep(10000);	/* the next prune, within a second or so */
	CU_ASSERT(i < 300);
	CU_ASSERT(strstr(kh_log(&d), "Objects remaining in death_left") != NULL);
	kill_wait(a);
	check_baseline(&d, &z0, "kept cache");
	printf("\n");
	kh_stop(&d, SIGTERM);
	kh_remove(&d);
	free(l);
}

/* orphan_cap_mb: above it, the oldest gone client's orphans go, with a warning. */
static void test_orphan_cap(void)
{
	struct leave *l = calloc(1, sizeof(*l));
	struct kh_daemon d;
	long long old, young;
	pid_t a;

	CU_ASSERT_FATAL(l != NULL);
	if (!daemon_start(&d, "orphan_cap_mb = 1\n")) {
		CU_FAIL("kmemd did not start");
		kh_remove(&d);
		free(l);
		return;
	}
	a = spawn_holder(&d);	/* so the overlap rule frees nothing */
	CU_ASSERT_FATAL(a > 0);
	l->size = 2048;		/* 200 x 2 KiB: 400 KiB a client */
	old = die_leaving(&d, l);
	young = die_leaving(&d, l);
	usleep(200000);
	CU_ASSERT(orphans_of(&d, old) >= NR_LEFT);
	CU_ASSERT(orphans_of(&d, young) >= NR_LEFT);
	CU_ASSERT(strstr(kh_log(&d), "above orphan_cap_mb") == NULL);
	/* the third passes 1 MiB: the oldest's go */
	CU_ASSERT(die_leaving(&d, l) > 0);
	usleep(200000);
	KT_ASSERT_EQ(orphans_of(&d, old), 0);
	CU_ASSERT(orphans_of(&d, young) >= NR_LEFT);
	CU_ASSERT(strstr(kh_log(&d), "above orphan_cap_mb") != NULL);
	kill_wait(a);
	printf("\n");
	kh_stop(&d, SIGTERM);
	kh_remove(&d);
	free(l);
}

/* kmemctl orphans --free CLIENT: the operator frees a gone client's orphans. */
static void test_orphans_free_command(void)
{
	struct leave *l = calloc(1, sizeof(*l));
	char out[4096], idbuf[32], req[96];
	const char *args[6];
	struct kh_daemon d;
	long long id, live_id = 0;
	json_t *r, *c;
	size_t i;
	pid_t a;
	int st;

	CU_ASSERT_FATAL(l != NULL);
	if (!daemon_start(&d, NULL)) {
		CU_FAIL("kmemd did not start");
		kh_remove(&d);
		free(l);
		return;
	}
	a = spawn_holder(&d);
	CU_ASSERT_FATAL(a > 0);
	l->size = 64;
	id = die_leaving(&d, l);
	CU_ASSERT_FATAL(id > 0);
	CU_ASSERT(orphans_of(&d, id) >= NR_LEFT);
	snprintf(idbuf, sizeof(idbuf), "%lld", id);
	args[0] = "orphans";
	args[1] = "--free";
	args[2] = idbuf;
	args[3] = NULL;
	st = kh_kmemctl(&d, args, out, sizeof(out), 10);
	CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CU_ASSERT(strstr(out, "freed") != NULL);
	KT_ASSERT_EQ(orphans_of(&d, id), 0);
	CU_ASSERT(strstr(kh_log(&d), "freed by the operator") != NULL);
	/* a live client's objects are not the operator's to free */
	r = clients(&d);
	json_array_foreach(json_object_get(r, "clients"), i, c)
		if (json_integer_value(json_object_get(c, "pid")) == a)
			live_id = json_integer_value(json_object_get(c, "id"));
	json_decref(r);
	snprintf(req, sizeof(req), "{\"cmd\":\"orphans.free\",\"client\":%lld}\n", live_id);
	r = ctl(&d, req);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_object_get(r, "error"),
								 "code")) ?: "", "EBUSY");
	json_decref(r);
	r = ctl(&d, "{\"cmd\":\"orphans.free\",\"client\":99999}\n");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_object_get(r, "error"),
								 "code")) ?: "", "ENOENT");
	json_decref(r);
	kill_wait(a);
	printf("\n");
	kh_stop(&d, SIGTERM);
	kh_remove(&d);
	free(l);
}

/* kmemd on a file holding @line must exit 2 naming FILE:1: orphan_cap_mb. */
static void bad_cap(const char *line)
{
	char dir[] = "/tmp/kmemd-death.XXXXXX", path[64], out[4096], expect[96];
	char *argv[] = { "kmemd", "--config", path, NULL };
	FILE *f;
	int status;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/kmemd.conf", dir);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fprintf(f, "%s\n", line);
	fclose(f);
	status = kt_run(KMEMD_PATH, argv, out, sizeof(out), 30);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 2);
	snprintf(expect, sizeof(expect), "%s:1: orphan_cap_mb:", path);
	if (!strstr(out, expect)) {
		fprintf(stderr, "expected \"%s\" in:\n%s\n", expect, out);
		CU_FAIL("orphan_cap_mb error message");
	}
	unlink(path);
	rmdir(dir);
}

/* orphan_cap_mb: MiB or N% of the direct map; a bad one refused; live on SIGHUP. */
static void test_orphan_cap_config(void)
{
	struct kh_daemon d;
	int i;

	bad_cap("orphan_cap_mb = lots");
	bad_cap("orphan_cap_mb = 101%");
	bad_cap("orphan_cap_mb = -1");
	bad_cap("orphan_cap_mb = %");
	bad_cap("orphan_cap_mb =");
	if (!daemon_start(&d, "orphan_cap_mb = 10%\n")) {
		CU_FAIL("kmemd did not start");
		kh_remove(&d);
		return;
	}
	CU_ASSERT_FATAL(!kh_write_conf(&d, "fake_numa = 2\norphan_cap_mb = 3\n"));
	kill(d.pid, SIGHUP);
	for (i = 0; i < 200 && !strstr(kh_log(&d), "orphan_cap_mb: '10%' -> '3'"); i++)
		usleep(10000);
	CU_ASSERT(strstr(kh_log(&d), "orphan_cap_mb: '10%' -> '3'") != NULL);
	CU_ASSERT(strstr(kh_log(&d), "needs a restart") == NULL);
	kh_stop(&d, SIGTERM);
	kh_remove(&d);
}

#define CHARGE_PAGES	3000	/* 12 MiB: more than one node's HighMem has beside the rest */

/* vmalloc CHARGE_PAGES pages, touch 100 of them, say "v", wait to be killed. */
static int charge_and_hold(void *arg)
{
	char *v = vmalloc(CHARGE_PAGES * PAGE_SIZE);
	unsigned int i;

	if (!v)
		return 3;
	for (i = 0; i < 100; i++)
		v[i * PAGE_SIZE] = 1;
	if (write((int)(uintptr_t)arg, "v", 1) != 1)
		return 1;
	pause();
	return 2;
}

/*
 * A client's vmalloc charges live in shared memory: kmemd sees them (its
 * vmallocinfo: the area's charged=, charged_all) and, when the client is
 * SIGKILLed, gives every one back (vmalloc_charges_returned), so the zones
 * are as they were, promises included.
 */
static void test_killed_vmalloc_charges(void)
{
	struct kh_daemon d;
	struct zones z0;
	json_t *r, *c, *area, *areas;
	long long touched = -1, returned = -1;
	size_t i;
	int pfd[2];
	char ch = 0;
	pid_t pid;

	if (!daemon_start(&d, "highmem_mb = 8\n")) {
		CU_FAIL("kmemd did not start");
		kh_remove(&d);
		return;
	}
	CU_ASSERT_FATAL(zones_free(&d, &z0));
	KT_ASSERT_EQ(charged_all(&d), 0);
	CU_ASSERT_FATAL(!pipe(pfd));
	pid = spawn_client(&d, charge_and_hold, (void *)(uintptr_t)pfd[1]);
	close(pfd[1]);
	CU_ASSERT(pid > 0 && read(pfd[0], &ch, 1) == 1 && ch == 'v');
	close(pfd[0]);
	r = ctl(&d, "{\"cmd\":\"vmallocinfo\"}\n");
	areas = json_object_get(json_object_get(r, "vmallocinfo"), "areas");
	json_array_foreach(areas, i, area)
		if (json_integer_value(json_object_get(area, "size")) ==
		    (CHARGE_PAGES + 1) * PAGE_SIZE)
			touched = json_integer_value(json_object_get(area, "pages"));
	json_array_foreach(areas, i, area)
		if (json_integer_value(json_object_get(area, "size")) ==
		    (CHARGE_PAGES + 1) * PAGE_SIZE)
			KT_ASSERT_EQ(json_integer_value(json_object_get(area, "charged")),
				     CHARGE_PAGES - touched);
	json_decref(r);
	CU_ASSERT(touched >= 100 && touched < CHARGE_PAGES);
	KT_ASSERT_EQ(charged_all(&d), CHARGE_PAGES - touched);

	kill_wait(pid);
	CU_ASSERT_FATAL(all_recovered(&d));
	r = clients(&d);
	json_array_foreach(json_object_get(r, "clients"), i, c)
		if (json_integer_value(json_object_get(c, "pid")) == pid)
			returned = json_integer_value(json_object_get(c, "vmalloc_charges_returned"));
	json_decref(r);
	KT_ASSERT_EQ(returned, CHARGE_PAGES - touched);
	check_baseline(&d, &z0, "vmalloc charges");
	printf("\n  %lld pages touched, %lld promised and given back\n", touched, returned);
	kh_stop(&d, SIGTERM);
	kh_remove(&d);
}

static const struct kt_test tests[] = {
	KT_TEST(test_killed_vmalloc_charges),
	KT_TEST(test_killed_pages_and_caches),
	KT_TEST(test_killed_mixed_load),
	KT_TEST(test_orphans_freed_when_overlap_gone),
	KT_TEST(test_kept_cache_emptied),
	KT_TEST(test_orphan_cap),
	KT_TEST(test_orphans_free_command),
	KT_TEST(test_orphan_cap_config),
	KT_END,
};

static const struct kt_suite suite = { "client_death", NULL, NULL, tests };

int main(int argc, char **argv)
{
	const struct kt_suite *suites[] = { &suite, NULL };

	return kt_main(argc, argv, suites);
}
