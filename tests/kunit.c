// SPDX-License-Identifier: MIT
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <CUnit/Basic.h>
#include <linux/gfp.h>
#include <linux/mm.h>

#include "kunit.h"

#if defined(__SANITIZE_ADDRESS__)
#define KT_ASAN 1
#else
#define KT_ASAN 0
#endif
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#else
#define VALGRIND_DISABLE_ADDR_ERROR_REPORTING_IN_RANGE(p, n)	((void)(p), (void)(n))
#define VALGRIND_ENABLE_ADDR_ERROR_REPORTING_IN_RANGE(p, n)	((void)(p), (void)(n))
#endif

static pthread_mutex_t cap_lock = PTHREAD_MUTEX_INITIALIZER;
static char *cap_buf;
static size_t cap_len, cap_size;
static unsigned int cap_count;

static void capture_sink(const char *msg, void *arg)
{
	size_t n = strlen(msg);

	(void)arg;
	pthread_mutex_lock(&cap_lock);
	if (cap_len + n + 1 > cap_size) {
		cap_size = (cap_len + n + 1) * 2;
		cap_buf = realloc(cap_buf, cap_size);
	}
	memcpy(cap_buf + cap_len, msg, n + 1);
	cap_len += n;
	cap_count++;
	pthread_mutex_unlock(&cap_lock);
}

void kt_capture_start(void)
{
	pthread_mutex_lock(&cap_lock);
	cap_len = 0;
	cap_count = 0;
	if (cap_buf)
		cap_buf[0] = '\0';
	pthread_mutex_unlock(&cap_lock);
	kmem_set_report_sink(capture_sink, NULL);
}

void kt_capture_stop(void)
{
	kmem_set_report_sink(NULL, NULL);
}

bool kt_captured(const char *needle)
{
	bool found;

	pthread_mutex_lock(&cap_lock);
	found = cap_buf && strstr(cap_buf, needle);
	pthread_mutex_unlock(&cap_lock);
	return found;
}

unsigned int kt_captured_count(void)
{
	return cap_count;
}

const char *kt_captured_text(void)
{
	return cap_buf ? cap_buf : "";
}

noinline __attribute__((no_sanitize_address)) unsigned char kt_peek(const void *p)
{
	unsigned char v;

	VALGRIND_DISABLE_ADDR_ERROR_REPORTING_IN_RANGE(p, 1);
	v = *(const volatile unsigned char *)p;
	VALGRIND_ENABLE_ADDR_ERROR_REPORTING_IN_RANGE(p, 1);
	return v;
}

noinline __attribute__((no_sanitize_address)) void kt_poke(void *p, unsigned char v)
{
	VALGRIND_DISABLE_ADDR_ERROR_REPORTING_IN_RANGE(p, 1);
	*(volatile unsigned char *)p = v;
	VALGRIND_ENABLE_ADDR_ERROR_REPORTING_IN_RANGE(p, 1);
}

bool kt_bytes_are(const void *p, size_t n, unsigned char v)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (kt_peek(c + i) != v)
			return false;
	return true;
}

bool kt_asan(void)
{
	return KT_ASAN;
}

int kt_run(const char *path, char *const argv[], char *out, size_t len, int timeout_s)
{
	time_t deadline = time(NULL) + timeout_s;
	int fds[2], status = 0;
	size_t used = 0;
	pid_t pid;

	out[0] = '\0';
	if (pipe(fds))
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		close(fds[1]);
		execv(path, argv);
		_exit(127);
	}
	close(fds[1]);
	for (;;) {
		struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
		char drop[4096];
		ssize_t n;
		int left = (int)(deadline - time(NULL));

		if (left <= 0 || poll(&pfd, 1, left * 1000) <= 0) {
			fprintf(stderr, "kt_run: %s: timed out after %d s\n", path, timeout_s);
			kill(pid, SIGKILL);
			break;
		}
		if (used < len - 1)
			n = read(fds[0], out + used, len - 1 - used);
		else
			n = read(fds[0], drop, sizeof(drop));
		if (n <= 0)
			break;
		if (used < len - 1)
			used += (size_t)n;
	}
	out[used] = '\0';
	close(fds[0]);
	waitpid(pid, &status, 0);
	return status;
}

int kt_init(const char *options)
{
	struct kmem_options opts;
	char err[160];

	kmem_options_init(&opts);
	opts.quiet = true;
	/*
	 * Suites that exhaust zones on purpose fail fast, and no kswapd drains
	 * per-CPU lists behind the back of a suite that counts them; the
	 * reclaim suite asks for both ("kswapd=on,reclaim_timeout_ms=...").
	 */
	opts.reclaim_timeout_ms = 100;
	opts.no_kswapd = true;
	if (options && kmem_options_parse(&opts, options, err, sizeof(err))) {
		fprintf(stderr, "kt_init: %s\n", err);
		return -1;
	}
	/*
	 * A suite that counts pages or exhausts zones needs memory of a fixed
	 * size: no growth unless it asks for it (max_mb=, test_memory_hotplug).
	 */
	if (!options || !strstr(options, "max_mb="))
		opts.node_max_bytes = opts.node_direct_bytes;
	return kmem_init(&opts);
}

static uint64_t seed;

uint64_t kt_seed(void)
{
	uint64_t s = __atomic_load_n(&seed, __ATOMIC_RELAXED);

	if (!s) {	/* kt_main() sets it before any test thread exists */
		const char *env = getenv("KMEM_TEST_SEED");

		s = env ? strtoull(env, NULL, 0) : 0x6b6d656d2d746573ULL;
		__atomic_store_n(&seed, s, __ATOMIC_RELAXED);
	}
	return s ? s : 1;
}

uint64_t kt_rand(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

bool kt_assert_eq(unsigned long long actual, unsigned long long expected, const char *a,
		  const char *e, unsigned int line, const char *file, bool fatal)
{
	char msg[512];
	bool ok = actual == expected;

	if (!ok)
		snprintf(msg, sizeof(msg), "%s == %s: %llu (%#llx) != %llu (%#llx)", a, e, actual,
			 actual, expected, expected);
	CU_assertImplementation(ok, line, ok ? "KT_ASSERT_EQ" : msg, file, "", fatal);
	return ok;
}

struct kt_snapshot *kt_snapshot(void)
{
	struct kt_snapshot *s = calloc(1, sizeof(*s));
	int nid, z;

	s->nr_nodes = num_online_nodes();
	for (nid = 0; nid < s->nr_nodes && nid < KT_MAX_NODES; nid++)
		for (z = 0; z < KT_NR_ZONES; z++)
			kmem_zone_stats(nid, z, &s->zone[nid][z]);
	return s;
}

static bool snapshot_cmp(const struct kt_snapshot *a, const struct kt_snapshot *b, bool pcp,
			 FILE *out)
{
	bool same = true;
	int nid, z, o;

	if (a->nr_nodes != b->nr_nodes) {
		fprintf(out, "  %d nodes -> %d nodes\n", a->nr_nodes, b->nr_nodes);
		return false;
	}
	for (nid = 0; nid < a->nr_nodes && nid < KT_MAX_NODES; nid++) {
		for (z = 0; z < KT_NR_ZONES; z++) {
			const struct kmem_zone_stats *x = &a->zone[nid][z], *y = &b->zone[nid][z];

			if (x->free_pages != y->free_pages) {
				fprintf(out, "  node %d zone %s: free_pages %llu -> %llu\n", nid,
					x->name, (unsigned long long)x->free_pages,
					(unsigned long long)y->free_pages);
				same = false;
			}
			for (o = 0; o < 11; o++) {
				if (x->nr_free[o] != y->nr_free[o]) {
					fprintf(out, "  node %d zone %s: nr_free[%d] %llu -> %llu\n",
						nid, x->name, o, (unsigned long long)x->nr_free[o],
						(unsigned long long)y->nr_free[o]);
					same = false;
				}
			}
			if (pcp && x->pcp_count != y->pcp_count) {
				fprintf(out, "  node %d zone %s: pcp_count %llu -> %llu\n", nid,
					x->name, (unsigned long long)x->pcp_count,
					(unsigned long long)y->pcp_count);
				same = false;
			}
		}
	}
	return same;
}

bool kt_snapshot_equal(const struct kt_snapshot *a, const struct kt_snapshot *b, bool pcp)
{
	return snapshot_cmp(a, b, pcp, stderr);
}

char *kt_buddyinfo(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return strdup("");
	kmem_show_buddyinfo(f);
	fclose(f);
	return buf;
}

uint64_t kt_pcp_pages(void)
{
	struct kmem_zone_stats st;
	uint64_t sum = 0;
	int nid, z;

	for (nid = 0; nid < num_online_nodes(); nid++)
		for (z = 0; z < KT_NR_ZONES; z++)
			if (!kmem_zone_stats(nid, z, &st))
				sum += st.pcp_count;
	return sum;
}

void kt_blocks_add(struct kt_blocks *b, struct page *page, unsigned int order)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 256;
		b->page = realloc(b->page, b->cap * sizeof(*b->page));
		b->order = realloc(b->order, b->cap * sizeof(*b->order));
	}
	b->page[b->n] = page;
	b->order[b->n] = (unsigned char)order;
	b->n++;
}

void kt_blocks_free(struct kt_blocks *b, uint64_t *rng)
{
	size_t i;

	if (rng) {
		for (i = b->n; i > 1; i--) {
			size_t j = kt_rand(rng) % i;
			struct page *p = b->page[i - 1];
			unsigned char o = b->order[i - 1];

			b->page[i - 1] = b->page[j];
			b->order[i - 1] = b->order[j];
			b->page[j] = p;
			b->order[j] = o;
		}
	}
	for (i = 0; i < b->n; i++)
		__free_pages(b->page[i], b->order[i]);
	b->n = 0;
}

void kt_blocks_release(struct kt_blocks *b)
{
	kt_blocks_free(b, NULL);
	free(b->page);
	free(b->order);
	memset(b, 0, sizeof(*b));
}

static const gfp_t kt_zone_gfp[KT_NR_ZONES] = { GFP_DMA, GFP_DMA32, 0, __GFP_HIGHMEM };
#define KT_EXHAUST_GFP	((GFP_KERNEL & ~__GFP_RECLAIM) | __GFP_THISNODE | __GFP_MEMALLOC | __GFP_NOWARN)

uint64_t kt_exhaust_zone(int nid, int zone, struct kt_blocks *b)
{
	struct kt_blocks lower = { 0 };
	struct kmem_zone_stats st;
	uint64_t taken = 0, left;
	int order, z, rounds = 0;

	/*
	 * Even with __GFP_MEMALLOC the first pass honours the low watermark and
	 * falls back to a lower zone of the node before it dips into the
	 * reserve, so the lower zones are held too (lowest first) while @zone
	 * is emptied, and given back at the end.
	 */
	do {
		left = 0;
		for (z = 0; z <= zone; z++) {
			for (order = MAX_PAGE_ORDER; order >= 0; order--) {
				struct page *p;

				while ((p = alloc_pages_node(nid, KT_EXHAUST_GFP | kt_zone_gfp[z],
							     (unsigned int)order))) {
					if ((int)page_zonenum(p) != z || page_to_nid(p) != nid) {
						__free_pages(p, (unsigned int)order);
						break;
					}
					kt_blocks_add(z == zone ? b : &lower, p, (unsigned int)order);
					if (z == zone)
						taken += 1ULL << order;
				}
			}
		}
		/* Pages parked on per-CPU lists count as not free: bring them back. */
		kmem_drain_all_pages();
		for (z = 0; z <= zone; z++)
			if (!kmem_zone_stats(nid, z, &st))
				left += st.free_pages;
	} while (left && ++rounds < 100);
	kt_blocks_release(&lower);
	return taken;
}

void kt_check_split_merge(void)
{
	struct kmem_info info;
	struct kt_snapshot *start, *now;
	char *bi_start, *bi_now;
	unsigned char *seen;
	uint64_t rng = kt_seed();
	unsigned int order, reported = 0;
	FILE *devnull;
	int nid, z;

	CU_ASSERT_EQUAL_FATAL(kmem_get_info(&info), 0);
	devnull = fopen("/dev/null", "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(devnull);
	seen = malloc(info.total_pages);
	kmem_drain_all_pages();
	start = kt_snapshot();
	bi_start = kt_buddyinfo();
	CU_ASSERT(strlen(bi_start) > 0);

	for (order = 0; order <= MAX_PAGE_ORDER; order++) {
		struct kt_blocks b = { 0 };
		unsigned long bad_align = 0, bad_node = 0, bad_zone = 0, dup = 0, bad_canary = 0;
		size_t i;

		memset(seen, 0, info.total_pages);
		for (nid = 0; nid < (int)info.nr_nodes; nid++) {
			uint64_t got[KT_NR_ZONES] = { 0 };

			/* Lowest zone first: fallback only goes down, so each must hit its zone. */
			for (z = 0; z < KT_NR_ZONES; z++) {
				struct page *p;

				while ((p = alloc_pages_node(nid, KT_EXHAUST_GFP | kt_zone_gfp[z],
							     order))) {
					unsigned long pfn = page_to_pfn(p), k;

					bad_align += pfn & ((1UL << order) - 1) ? 1 : 0;
					bad_node += page_to_nid(p) != nid;
					bad_zone += (int)page_zonenum(p) != z;
					for (k = 0; k < (1UL << order); k++) {
						if (pfn + k >= info.total_pages || seen[pfn + k]++)
							dup++;
					}
					*(unsigned long *)page_address(p) = pfn;
					if ((int)page_zonenum(p) < KT_NR_ZONES)
						got[page_zonenum(p)] += 1ULL << order;
					kt_blocks_add(&b, p, order);
				}
			}
			for (z = 0; z < KT_NR_ZONES; z++) {
				struct kmem_zone_stats st;

				kmem_zone_stats(nid, z, &st);
				if (!st.present) {
					KT_ASSERT_EQ(got[z], 0);
					continue;
				}
				KT_ASSERT_EQ(st.pcp_count, 0);
				/* the kmalloc caches' own pages were taken at init */
				KT_ASSERT_EQ(got[z] + st.free_pages, start->zone[nid][z].free_pages);
				/* pages the allocator itself holds may leave smaller fragments */
				for (unsigned int o = order; o <= MAX_PAGE_ORDER; o++)
					KT_ASSERT_EQ(st.nr_free[o], 0);
			}
		}
		KT_ASSERT_EQ(bad_align, 0);
		KT_ASSERT_EQ(bad_node, 0);
		KT_ASSERT_EQ(bad_zone, 0);
		KT_ASSERT_EQ(dup, 0);
		for (i = 0; i < b.n; i++)
			bad_canary += *(unsigned long *)page_address(b.page[i]) != page_to_pfn(b.page[i]);
		KT_ASSERT_EQ(bad_canary, 0);

		kt_blocks_free(&b, &rng);
		kt_blocks_release(&b);
		kmem_drain_all_pages();
		now = kt_snapshot();
		if (!snapshot_cmp(start, now, true, reported ? devnull : stderr)) {
			if (!reported++)
				fprintf(stderr, "  (after taking and freeing every order-%u block; "
					"later orders not shown)\n", order);
			CU_FAIL("free lists differ from the start after freeing everything");
		}
		bi_now = kt_buddyinfo();
		if (strcmp(bi_now, bi_start) && reported == 1)
			fprintf(stderr, "buddyinfo before:\n%sbuddyinfo after:\n%s", bi_start, bi_now);
		CU_ASSERT_STRING_EQUAL(bi_now, bi_start);
		free(bi_now);
		free(now);
	}
	free(bi_start);
	free(start);
	free(seen);
	fclose(devnull);
}

static cpu_set_t kt_affinity;
static bool kt_affinity_saved;

static void kt_save_affinity(void)
{
	if (!kt_affinity_saved && !sched_getaffinity(0, sizeof(kt_affinity), &kt_affinity))
		kt_affinity_saved = true;
}

int kt_pin(int cpu)
{
	cpu_set_t one;

	kt_save_affinity();
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	return sched_setaffinity(0, sizeof(one), &one) ? -errno : 0;
}

void kt_unpin(void)
{
	if (kt_affinity_saved)
		sched_setaffinity(0, sizeof(kt_affinity), &kt_affinity);
}

int kt_cpus(int *cpus, int max)
{
	int cpu, n = 0;

	kt_save_affinity();
	for (cpu = 0; cpu < CPU_SETSIZE && n < max; cpu++)
		if (CPU_ISSET(cpu, &kt_affinity))
			cpus[n++] = cpu;
	return n;
}

int kt_main(int argc, char **argv, const struct kt_suite *const *suites)
{
	unsigned int failures;

	(void)argc;
	(void)argv;
	kt_save_affinity();
	kt_seed();
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	for (; *suites; suites++) {
		const struct kt_suite *s = *suites;
		CU_pSuite suite = CU_add_suite(s->name, s->init, s->cleanup);
		const struct kt_test *t;

		if (!suite)
			return 1;
		for (t = s->tests; t->name; t++)
			CU_add_test(suite, t->name, t->fn);
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures() + CU_get_number_of_suites_failed();
	if (failures)
		printf("\nfailures: %u (seed 0x%llx; rerun with KMEM_TEST_SEED)\n", failures,
		       (unsigned long long)kt_seed());
	CU_cleanup_registry();
	return failures ? 1 : 0;
}

bool kt_which(const char *prog, char *path, size_t len)
{
	const char *env = getenv("PATH");
	char dirs[4096], *dir, *save = NULL;

	if (!env || strlen(env) >= sizeof(dirs))
		env = "/usr/local/bin:/usr/bin:/bin";
	strcpy(dirs, env);
	for (dir = strtok_r(dirs, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		snprintf(path, len, "%s/%s", dir, prog);
		if (!access(path, X_OK))
			return true;
	}
	return false;
}

bool kt_valgrind_reported(const char *out, const char *kind, const char *fn)
{
	const char *at = out;

	while ((at = strstr(at, kind))) {
		const char *end = strstr(at, " Address ");

		at += strlen(kind);
		if (!end)
			end = at + strlen(at);
		/* "==pid==    at 0x10A1B2: fn (file.c:12)" */
		if (memmem(at, (size_t)(end - at), fn, strlen(fn)))
			return true;
	}
	return false;
}
