// SPDX-License-Identifier: MIT
/*
 * dpdk_ops.c - DPDK's rte_mempool_get/rte_mempool_put with a per-lcore
 * cache, timed by bench_slab beside kmem_cache_alloc/kmem_cache_free.
 *
 * Built with BENCH_HAVE_DPDK (and DPDK's pkg-config cflags) when CMake
 * finds libdpdk; without it bench_dpdk_init() only says so.
 *
 * The EAL runs without hugetlb (--no-huge: anonymous memory, which implies
 * legacy memory mode, which --in-memory refuses), without shared files
 * (--no-shconf, hence no multi-process channel), PCI or telemetry, with
 * one lcore: 0, the calling (main) thread, allowed on every CPU the process
 * may use (so the benchmark threads it later starts are not pinned).  Any other thread that gets or puts first
 * registers itself (rte_thread_register), which gives it an lcore id and so
 * the mempool's cache for that lcore; without one every get and put would
 * go to the pool's ring.  Because rte_eal_init() may abort the process
 * rather than fail, a child process tries it first.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "slab_ops.h"

#ifdef BENCH_HAVE_DPDK

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mempool.h>
#include <rte_version.h>

#include "alloc_loops.h"

/* 2^14 - 1 elements (the ring's best size), cache 256 per lcore. */
#define DPDK_POOL_ELEMS	16383
#define DPDK_CACHE	256

static struct rte_mempool *pool64, *pool256;

static inline struct rte_mempool *pool_of(unsigned int size)
{
	if (__builtin_expect(size == 64, 1))
		return pool64;
	if (size == 256)
		return pool256;
	fprintf(stderr, "bench_slab: no DPDK pool of %u-byte elements\n", size);
	abort();
}

static inline void *dpdk_get(struct rte_mempool *mp)
{
	void *obj;

	return rte_mempool_get(mp, &obj) ? NULL : obj;
}

#define DP_CTX(size)		struct rte_mempool *const mp_ = pool_of(size)
#define DP_ALLOC(size)		dpdk_get(mp_)
#define DP_FREE(p, size)	rte_mempool_put(mp_, (p))
BENCH_LOOPS_FIXED(dp, DP_CTX, DP_ALLOC, DP_FREE)
BENCH_DISPATCH_FIXED(dp)

static __thread bool dp_registered;

static void dp_thread_enter(void)
{
	if (rte_lcore_id() != LCORE_ID_ANY)
		return;
	if (rte_thread_register()) {
		fprintf(stderr, "bench_slab: rte_thread_register: %s\n", rte_strerror(rte_errno));
		abort();
	}
	dp_registered = true;
}

static void dp_thread_exit(void)
{
	if (dp_registered) {
		rte_thread_unregister();
		dp_registered = false;
	}
}

const struct bench_alloc_ops bench_dpdk_ops = {
	.name = "dpdk",
	.pairs = dp_pairs,
	.batch = dp_batch,
	.hold = dp_hold,
	.release = dp_release,
	.produce = dp_produce,
	.consume = dp_consume,
	.thread_enter = dp_thread_enter,
	.thread_exit = dp_thread_exit,
};

/* "0@(0,1,...)": lcore 0 on every CPU of @set. */
static void lcores_arg(const cpu_set_t *set, char *buf, size_t len)
{
	size_t off = (size_t)snprintf(buf, len, "0@(");
	int cpu;

	for (cpu = 0; cpu < CPU_SETSIZE && off + 8 < len; cpu++)
		if (CPU_ISSET(cpu, set))
			off += (size_t)snprintf(buf + off, len - off, "%d,", cpu);
	if (buf[off - 1] == ',')
		off--;
	snprintf(buf + off, len - off, ")");
}

/* Return: rte_eal_init()'s, the number of arguments it parsed, or -1. */
static int eal_init(const cpu_set_t *cpus)
{
	const char *level = getenv("BENCH_DPDK_LOG_LEVEL");
	char lcores[512], log[64];
	char *argv[] = {
		"bench_slab", "--no-huge", "--no-pci", "--no-shconf", "--no-telemetry",
		"-m", "128", log, "--file-prefix=bench_slab", "--lcores", lcores, NULL,
	};
	int ret;

	lcores_arg(cpus, lcores, sizeof(lcores));
	/* EAL's errors only (4: RTE_LOG_ERR) unless $BENCH_DPDK_LOG_LEVEL says otherwise */
	snprintf(log, sizeof(log), "--log-level=%s", level && *level ? level : "4");
	ret = rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv);
	/*
	 * Without shared files, telemetry or a multi-process channel nothing
	 * goes in the runtime directory (/var/run/dpdk/bench_slab): leave none.
	 */
	if (ret >= 0)
		rmdir(rte_eal_get_runtime_dir());
	return ret;
}

int bench_dpdk_init(char *why, size_t len)
{
	cpu_set_t cpus;
	pid_t pid;
	int status;

	if (sched_getaffinity(0, sizeof(cpus), &cpus)) {
		snprintf(why, len, "sched_getaffinity failed");
		return -1;
	}
	/* A trial run in a child: rte_eal_init() may rte_panic() instead of failing. */
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		snprintf(why, len, "fork failed");
		return -1;
	}
	if (pid == 0) {
		alarm(60);
		_exit(eal_init(&cpus) >= 0 ? 0 : 1);
	}
	if (waitpid(pid, &status, 0) != pid) {
		snprintf(why, len, "waitpid failed");
		return -1;
	}
	if (WIFSIGNALED(status)) {
		snprintf(why, len, "rte_eal_init killed a trial process (signal %d: %s)",
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
		return -1;
	}
	if (WEXITSTATUS(status)) {
		snprintf(why, len, "rte_eal_init failed in a trial process (its messages above)");
		return -1;
	}
	if (eal_init(&cpus) < 0) {
		snprintf(why, len, "rte_eal_init: %s", rte_strerror(rte_errno));
		return -1;
	}
	/* Belt and braces: the main thread keeps every CPU it had. */
	sched_setaffinity(0, sizeof(cpus), &cpus);

	pool64 = rte_mempool_create("bench64", DPDK_POOL_ELEMS, 64, DPDK_CACHE, 0, NULL, NULL,
				    NULL, NULL, SOCKET_ID_ANY, 0);
	pool256 = rte_mempool_create("bench256", DPDK_POOL_ELEMS, 256, DPDK_CACHE, 0, NULL, NULL,
				     NULL, NULL, SOCKET_ID_ANY, 0);
	if (!pool64 || !pool256) {
		snprintf(why, len, "rte_mempool_create: %s", rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

void bench_dpdk_describe(char *buf, size_t len)
{
	if (!pool64) {
		snprintf(buf, len, "not initialised");
		return;
	}
	snprintf(buf, len, "%s; rte_mempool %u elements of 64 / 256 B, per-lcore cache %u, "
		 "ops %s; EAL --no-huge --no-shconf --no-pci, main lcore %u",
		 rte_version(), DPDK_POOL_ELEMS, DPDK_CACHE,
		 rte_mempool_get_ops(pool64->ops_index)->name, rte_get_main_lcore());
}

#else /* !BENCH_HAVE_DPDK */

const struct bench_alloc_ops bench_dpdk_ops = {
	.name = "dpdk",
};

#ifndef BENCH_DPDK_STUB_REASON
#define BENCH_DPDK_STUB_REASON "not built with DPDK (pkg-config found no libdpdk at configure time)"
#endif

int bench_dpdk_init(char *why, size_t len)
{
	snprintf(why, len, "%s", BENCH_DPDK_STUB_REASON);
	return -1;
}

void bench_dpdk_describe(char *buf, size_t len)
{
	snprintf(buf, len, "not built");
}

#endif /* BENCH_HAVE_DPDK */
