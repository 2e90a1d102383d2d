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

/* Wait until no client is attached or waiting for its recovery. */
static bool all_recovered(struct kh_daemon *d)
{
	int i;

	for (i = 0; i < 1000; i++) {
		json_t *r = clients(d);
		size_t n = json_array_size(json_object_get(r, "clients"));
		bool done = r && count_state(r, "state", "gone") == n &&
			    count_state(r, "recovery", "done") == n;

		json_decref(r);
		if (done)
			return true;
		usleep(5000);
	}
	return false;
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

/*
 * Clients using pages (HighMem included), vmalloc and caches of their own
 * but not kmalloc, killed KMEM_TEST_KILLS times: every zone's free pages
 * come back exactly, no page is lost or held by a gone client.
 */
static void test_killed_pages_and_caches(void)
{
	unsigned int kills = env_count("KMEM_TEST_KILLS", 200), i, seed = kt_seed();
	long long lost = -1, owned = -1;
	struct zones z0, z;
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
	CU_ASSERT_FATAL(all_recovered(&d));
	CU_ASSERT_FATAL(zones_free(&d, &z));
	CU_ASSERT(zones_equal(&z0, &z));
	CU_ASSERT(take_census(&d, &lost, &owned));
	KT_ASSERT_EQ(lost, 0);
	KT_ASSERT_EQ(owned, 0);
	printf("\n  %u kills: %u zones, %lld lost, %lld held by gone clients\n", i, z.nr, lost,
	       owned);
	kh_stop(&d, SIGTERM);
	if (getenv("KMEM_TEST_VERBOSE"))
		kh_print_log(&d);
	kh_remove(&d);
}

static const struct kt_test tests[] = {
	KT_TEST(test_killed_pages_and_caches),
	KT_END,
};

static const struct kt_suite suite = { "client_death", NULL, NULL, tests };

int main(int argc, char **argv)
{
	const struct kt_suite *suites[] = { &suite, NULL };

	return kt_main(argc, argv, suites);
}
