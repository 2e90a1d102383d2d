// SPDX-License-Identifier: MIT
/*
 * init.c - options, kmem_init()/kmem_exit(), initialisation on first use,
 * and the topology queries of <linux/topology.h>.
 *
 * Lock order: init_lock only; it is never held while allocating.
 * kmem_mm.shm is published (release) only when everything is built, so a
 * thread that sees it non-NULL sees a complete allocator.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <linux/slab.h>

#include "internal.h"
#include "kasan.h"
#include "kmemd_proto.h"
#include "os.h"

struct kmem_mm kmem_mm = { .shm_fd = -1, .locator_fd = -1, .attach_sock = -1 };
ptrdiff_t __kmem_rseq_offset;

__thread unsigned int __kmem_irq_depth __attribute__((tls_model("initial-exec")));
__thread unsigned int __kmem_deferred_nr __attribute__((tls_model("initial-exec")));

#define KMEM_DEFERRED_MAX	64

/* Frees a nested signal handler could not do; see kmem_irq_disable(). */
static __thread struct deferred_free {
	void *ptr;
	void *cache;
	unsigned int order;
} kmem_deferred[KMEM_DEFERRED_MAX] __attribute__((tls_model("initial-exec")));

/*
 * Push and pop with compare-and-swap on the count: a handler may interrupt
 * the thread between any two instructions, and append while we pop.
 */
void __kmem_defer_free(void *ptr, unsigned int order, void *cache)
{
	unsigned int n = __atomic_load_n(&__kmem_deferred_nr, __ATOMIC_RELAXED);

	do {
		if (n >= KMEM_DEFERRED_MAX) {
			__kmem_printk("kmem: %p leaked: more than %d frees deferred inside one "
				      "locked section\n", ptr, KMEM_DEFERRED_MAX);
			return;
		}
		kmem_deferred[n] = (struct deferred_free){ ptr, cache, order };
	} while (!__atomic_compare_exchange_n(&__kmem_deferred_nr, &n, n + 1, false,
					      __ATOMIC_RELEASE, __ATOMIC_RELAXED));
}

void __kmem_run_deferred(void)
{
	unsigned int n = __atomic_load_n(&__kmem_deferred_nr, __ATOMIC_ACQUIRE);

	while (n) {
		struct deferred_free d = kmem_deferred[n - 1];

		if (!__atomic_compare_exchange_n(&__kmem_deferred_nr, &n, n - 1, false,
						 __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE))
			continue;
		if (d.cache)
			__kmem_slab_free_deferred(d.cache, d.ptr);
		else
			__free_pages(d.ptr, d.order);
		n = __atomic_load_n(&__kmem_deferred_nr, __ATOMIC_ACQUIRE);
	}
}

/* glibc fixes __rseq_offset before any constructor runs; copy it (init does too). */
__attribute__((constructor)) static void kmem_constructor(void)
{
	__kmem_rseq_offset = __rseq_offset;
}

/*
 * __kmem_lock_owner_died - this thread got @lock with EOWNERDEAD: the
 * process that held it died inside its critical section.  Mark the mutex
 * consistent (else the next unlock makes it unusable for good), then
 * repair what it guards, from state that does not depend on the dead
 * holder having finished: a zone's free lists from the page flags, a
 * cache's node lists from its slab pages, a per-CPU list cut to what is
 * valid.  Any other lock (slab_mutex, a transfer cache, a CPU's object
 * cache, whose stack is committed by one store) is kept as found.
 * Context: @lock held; whatever process finds it first does the repair.
 */
void __kmem_lock_owner_died(pthread_mutex_t *lock)
{
	const char *const *names = __kmem_zone_names();
	struct kmem_shared *shm = kmem_mm.shm;
	unsigned int nid, z, cpu;

	pthread_mutex_consistent(lock);
	__atomic_fetch_add(&__kmem_locks_recovered, 1, __ATOMIC_RELAXED);
	for (nid = 0; shm && nid < kmem_mm.nr_nodes; nid++) {
		if (lock == &shm->node_data[nid].hotplug_lock) {
			__kmem_hotplug_recover(&shm->node_data[nid]);
			return;
		}
	}
	for (nid = 0; shm && nid < kmem_mm.nr_nodes; nid++) {
		for (z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &shm->node_data[nid].node_zones[z];
			u64 blocks, bad;

			if (!zone_populated(zone))
				continue;
			if (&zone->lock == lock) {
				blocks = __kmem_zone_rebuild(zone, &bad);
				__kmem_printk("kmem: zone %u/%s rebuilt after a client died holding its "
					      "lock: %llu blocks, %llu pages free%s\n", nid, names[z],
					      (unsigned long long)blocks,
					      (unsigned long long)zone->free_pages,
					      bad ? " (bad blocks dropped)" : "");
				return;
			}
			for (cpu = 0; cpu < kmem_mm.nr_cpu_ids; cpu++) {
				struct per_cpu_pages *pcp = zone_pcp(zone, (int)cpu);
				unsigned int dropped;

				if (&pcp->lock != lock)
					continue;
				dropped = __kmem_pcp_check(zone, pcp);
				__kmem_printk("kmem: zone %u/%s CPU %u list checked after a client died "
					      "holding its lock: %u entries dropped\n", nid, names[z],
					      cpu, dropped);
				return;
			}
		}
	}
	if (shm && __kmem_slab_lock_died(lock) >= 0)
		return;
	__kmem_printk("kmem: a process died holding a kmem lock; its state is kept as found\n");
}
u32 __kmem_locks_recovered;
static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;

static int parse_item(struct kmem_options *o, char *item, bool env, char *err, size_t errlen);

/*
 * $KMEM_OPTIONS, item by item: a malformed one is named in one line and
 * skipped, and every other still applies (one typo must not silently drop
 * the rest).  No length limit on the whole: the string is the user's, not
 * an API argument.
 */
static void options_from_env(struct kmem_options *opts, const char *env)
{
	const char *p = env;

	while (*p) {
		size_t len = strcspn(p, ",");
		char item[256], err[320];

		if (len >= sizeof(item)) {
			__kmem_printk("kmem: KMEM_OPTIONS: '%.32s...': longer than %zu bytes; "
				      "ignored\n", p, sizeof(item) - 1);
		} else if (len) {
			memcpy(item, p, len);
			item[len] = '\0';
			if (parse_item(opts, item, true, err, sizeof(err)))
				__kmem_printk("kmem: KMEM_OPTIONS: %s; ignored\n", err);
		}
		p += len;
		if (*p)
			p++;
	}
}

void kmem_options_init(struct kmem_options *opts)
{
	kmem_options_defaults(opts);
	kmem_options_apply_env(opts);
}

void kmem_options_apply_env(struct kmem_options *opts)
{
	const char *env = getenv("KMEM_OPTIONS");

	if (env)
		options_from_env(opts, env);
}

void kmem_options_defaults(struct kmem_options *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->node_direct_bytes = 64UL << 20;
	opts->node_highmem_bytes = 64UL << 20;
	opts->hugepages = KMEM_HUGEPAGES_AUTO;
	opts->hugepage_shift = 21;
	opts->zones = KMEM_ZONES_AUTO;
	opts->zone_dma_bytes = 4UL << 20;
	opts->zone_dma32_bytes = 16UL << 20;
}

/* -EDOM: not a number; -ERANGE: negative or above @max. */
static int parse_u64(const char *v, unsigned long long max, unsigned long long *out)
{
	char *end;

	if (*v == '-')
		return -ERANGE;
	if (!*v)
		return -EDOM;
	errno = 0;
	*out = strtoull(v, &end, 0);
	if (*end)
		return -EDOM;
	if (errno || *out > max)
		return -ERANGE;
	return 0;
}

static int parse_one(struct kmem_options *o, const char *key, const char *v)
{
	unsigned long long n;

	if (!strcmp(key, "fake_numa"))
		return parse_u64(v, MAX_NUMNODES, &n) ?: (o->fake_numa = (unsigned int)n, 0);
	if (!strcmp(key, "direct_mb"))
		return parse_u64(v, 1ULL << 24, &n) ?: (n ? (o->node_direct_bytes = n << 20, 0) : -ERANGE);
	if (!strcmp(key, "max_mb"))
		return parse_u64(v, 1ULL << 24, &n) ?: (o->node_max_bytes = n << 20, 0);
	if (!strcmp(key, "offline_delay_ms"))
		return parse_u64(v, 3600 * 1000, &n) ?: (o->offline_delay_ms = (unsigned int)n, 0);
	if (!strcmp(key, "highmem_mb"))
		return parse_u64(v, 1ULL << 24, &n) ?: (o->node_highmem_bytes = n << 20, 0);
	if (!strcmp(key, "dma_mb"))
		return parse_u64(v, 4096, &n) ?: (o->zone_dma_bytes = n << 20, 0);
	if (!strcmp(key, "dma32_mb"))
		return parse_u64(v, 4096, &n) ?: (o->zone_dma32_bytes = n << 20, 0);
	if (!strcmp(key, "min_free_kbytes"))
		return parse_u64(v, 1ULL << 32, &n) ?: (o->min_free_kbytes = n, 0);
	if (!strcmp(key, "watermark_scale_factor"))
		return parse_u64(v, 3000, &n) ?: (n ? (o->watermark_scale_factor = (unsigned int)n, 0) : -ERANGE);
	if (!strcmp(key, "reclaim_timeout_ms"))
		return parse_u64(v, 3600 * 1000, &n) ?: (o->reclaim_timeout_ms = (unsigned int)n, 0);
	if (!strcmp(key, "kswapd")) {
		if (!strcmp(v, "on") || !strcmp(v, "1"))
			o->no_kswapd = false;
		else if (!strcmp(v, "off") || !strcmp(v, "0"))
			o->no_kswapd = true;
		else
			return -EINVAL;
		return 0;
	}
	if (!strcmp(key, "object_owners")) {
		if (!strcmp(v, "on") || !strcmp(v, "1"))
			o->object_owners = true;
		else if (!strcmp(v, "off") || !strcmp(v, "0"))
			o->object_owners = false;
		else
			return -EINVAL;
		return 0;
	}
	if (!strcmp(key, "percpu_pagelist_high_fraction"))
		return parse_u64(v, 1ULL << 20, &n) ?: (o->percpu_pagelist_high_fraction = (unsigned int)n, 0);
	if (!strcmp(key, "hugepages")) {
		if (!strcmp(v, "auto"))
			o->hugepages = KMEM_HUGEPAGES_AUTO;
		else if (!strcmp(v, "require"))
			o->hugepages = KMEM_HUGEPAGES_REQUIRE;
		else if (!strcmp(v, "never"))
			o->hugepages = KMEM_HUGEPAGES_NEVER;
		else
			return -EINVAL;
		return 0;
	}
	if (!strcmp(key, "hugepage_size")) {
		if (!strcasecmp(v, "2M"))
			o->hugepage_shift = 21;
		else if (!strcasecmp(v, "1G"))
			o->hugepage_shift = 30;
		else
			return -EINVAL;
		return 0;
	}
	if (!strcmp(key, "zones")) {
		if (!strcmp(v, "auto"))
			o->zones = KMEM_ZONES_AUTO;
		else if (!strcmp(v, "phys"))
			o->zones = KMEM_ZONES_PHYS;
		else if (!strcmp(v, "emulate") || !strcmp(v, "carve"))
			o->zones = KMEM_ZONES_EMULATE;
		else
			return -EINVAL;
		return 0;
	}
	if (!strcmp(key, "lowmem_reserve_ratio")) {
		unsigned int r[4], i;
		char field[32];
		const char *p = v;

		for (i = 0; i < 4; i++) {
			size_t len = strcspn(p, ":");

			if (len == 0 || len >= sizeof(field) || (i < 3 && p[len] != ':') ||
			    (i == 3 && p[len]))
				return -EINVAL;
			memcpy(field, p, len);
			field[len] = '\0';
			if (parse_u64(field, UINT32_MAX, &n))
				return -EINVAL;
			r[i] = (unsigned int)n;
			p += len + 1;
		}
		memcpy(o->lowmem_reserve_ratio, r, sizeof(r));
		return 0;
	}
	if (!strcmp(key, "rseq")) {
		if (strcmp(v, "on") && strcmp(v, "off"))
			return -EINVAL;
		o->no_rseq = !strcmp(v, "off");
		return 0;
	}
	if (!strcmp(key, "base_address"))
		return parse_u64(v, (1ULL << 47) - 1, &n) ?: (o->base_address = (unsigned long)n, 0);
	if (!strcmp(key, "attach")) {
		if (!strcmp(v, "never"))
			o->attach = KMEM_ATTACH_NEVER;
		else if (!strcmp(v, "auto"))
			o->attach = KMEM_ATTACH_AUTO;
		else if (!strcmp(v, "require"))
			o->attach = KMEM_ATTACH_REQUIRE;
		else
			return -EINVAL;
		return 0;
	}
	if (!strcmp(key, "memory")) {
		if (!strcmp(v, "shared"))
			o->private_memory = false;
		else if (!strcmp(v, "private"))
			o->private_memory = true;
		else
			return -EINVAL;
		return 0;
	}
	if (!strcmp(key, "quiet")) {
		if (strcmp(v, "0") && strcmp(v, "1"))
			return -EINVAL;
		o->quiet = v[0] == '1';
		return 0;
	}
	return -ENOENT;
}

/*
 * One "key=value" (cut at its '=').  @env: the message is $KMEM_OPTIONS's
 * ("'ITEM': why"), else kmem_options_parse()'s.
 */
static int parse_item(struct kmem_options *o, char *item, bool env, char *err, size_t errlen)
{
	char *eq = strchr(item, '='), *v;
	int ret;

	if (!eq) {
		snprintf(err, errlen, "'%s': expected key=value", item);
		return -EINVAL;
	}
	*eq = '\0';
	v = eq + 1;
	ret = parse_one(o, item, v);
	if (!ret)
		return 0;
	if (!env) {
		if (ret == -ENOENT)
			snprintf(err, errlen, "unknown key '%s'", item);
		else
			snprintf(err, errlen, "bad value '%s' for '%s'", v, item);
		return -EINVAL;
	}
	snprintf(err, errlen, "'%s=%s': %s", item, v,
		 ret == -ENOENT ? "unknown key" : !*v ? "empty value" :
		 ret == -ERANGE ? "out of range" : ret == -EDOM ? "not a number" : "bad value");
	return -EINVAL;
}

/*
 * The API's parser is strict: the first bad item fails the whole string
 * with -EINVAL (the items before it are already in @opts), as a caller
 * that passes a string can act on the error.  $KMEM_OPTIONS, which no
 * caller checks, is parsed item by item instead (options_from_env()).
 */
int kmem_options_parse(struct kmem_options *opts, const char *str, char *err, size_t errlen)
{
	char buf[512], *save = NULL, *item;

	if (!str)
		return 0;
	if (strlen(str) >= sizeof(buf)) {
		snprintf(err, errlen, "options string too long");
		return -EINVAL;
	}
	strcpy(buf, str);
	for (item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save))
		if (parse_item(opts, item, false, err, errlen))
			return -EINVAL;
	return 0;
}

static int validate(const struct kmem_options *o)
{
	if (o->hugepage_shift != 21 && o->hugepage_shift != 30)
		return -EINVAL;
	if (!o->node_direct_bytes || o->fake_numa > MAX_NUMNODES)
		return -EINVAL;
	if (o->zone_dma_bytes + o->zone_dma32_bytes > o->node_direct_bytes &&
	    o->zones == KMEM_ZONES_EMULATE) {
		__kmem_printk("kmem: zones=emulate: dma_mb + dma32_mb (%zu MiB) above direct_mb "
			      "(%zu MiB)\n", (o->zone_dma_bytes + o->zone_dma32_bytes) >> 20,
			      o->node_direct_bytes >> 20);
		return -EINVAL;
	}
	if (o->private_memory && (o->attach == KMEM_ATTACH_REQUIRE ||
				  o->hugepages == KMEM_HUGEPAGES_REQUIRE ||
				  o->zones == KMEM_ZONES_PHYS)) {
		__kmem_printk("kmem: memory=private is embedded memory of 4 KiB pages: not with "
			      "attach, hugepages=require or zones=phys\n");
		return -EINVAL;
	}
	return 0;
}

static int rseq_usable(void)
{
	/*
	 * kmem may be initialised before its constructor ran: by a malloc in
	 * the constructor of a library loaded before it (libnuma's, under the
	 * malloc front end).  glibc's value is fixed by then: take it here.
	 */
	__kmem_rseq_offset = __rseq_offset;
	return KMEM_HAVE_RSEQ_ASM && __rseq_size > 0 && rseq_current_cpu() >= 0;
}

static void choose_pcp_mode(const struct kmem_options *opts)
{
	__kasan_init();
	/* memcheck's hooks are not on the rseq fast paths (kasan.h) */
	kmem_mm.pcp_mode = !opts->no_rseq && rseq_usable() && !kasan_valgrind() ?
			   KMEM_PCP_RSEQ : KMEM_PCP_LOCKED;
	if (kmem_mm.pcp_mode == KMEM_PCP_LOCKED && !opts->no_rseq && !opts->quiet)
		__kmem_printk("kmem: rseq is not registered for this thread; per-CPU page lists "
			      "use per-CPU locks\n");
}

/* Attach to kmemd at @path (NULL: the default); caller holds init_lock. */
static int do_attach(const struct kmem_options *opts, const char *path, bool quiet_absent)
{
	int ret;

	choose_pcp_mode(opts);
	ret = __kmem_attach(path, quiet_absent);
	if (ret)
		return ret;
	/* kswapd runs in kmemd (vmscan.c skips it here: kmem_mm.owner != 0) */
	__atomic_store_n(&kmem_mm.ready, 1, __ATOMIC_RELEASE);
	/* a grace period now waits for this process's readers too */
	ret = __kmem_rcu_shared_start();
	if (ret) {
		__atomic_store_n(&kmem_mm.ready, 0, __ATOMIC_RELEASE);
		__kmem_detach();
	}
	return ret;
}

/* Build everything; caller holds init_lock. */
static int do_init(const struct kmem_options *opts)
{
	static struct kmem_topology topo;
	int ret;

	ret = validate(opts);
	if (ret) {
		__kmem_printk("kmem: invalid options\n");
		return ret;
	}
	ret = __kmem_topology_discover(&topo, opts->fake_numa);
	if (ret) {
		__kmem_printk("kmem: topology discovery failed: %s\n", strerror(-ret));
		return ret;
	}
	kmem_mm.opts = *opts;
	if (opts->private_memory)
		kmem_mm.opts.hugepages = KMEM_HUGEPAGES_NEVER;	/* pool pages are not copied on fork */
	opts = &kmem_mm.opts;
	choose_pcp_mode(opts);
	ret = __kmem_arena_create(opts, &topo);
	if (ret)
		return ret;
	memcpy(kmem_mm.cpu_node, kmem_mm.shm->cpu_to_node, sizeof(kmem_mm.cpu_node));
	for (unsigned int id = 0; id < MAX_NUMNODES * MAX_NR_ZONES; id++)
		kmem_mm.zone_ptr[id] = &kmem_mm.shm->node_data[id / MAX_NR_ZONES]
					       .node_zones[id % MAX_NR_ZONES];
	__kmem_memmap_init(opts);
	ret = __kmem_hotplug_init();
	if (ret) {
		if (ret == -EPERM)
			__kmem_printk("kmem: zones=phys needs hugetlb memory and physical frame "
				      "numbers from /proc/self/pagemap (root)\n");
		else
			__kmem_printk("kmem: onlining the initial memory failed: %s\n",
				      strerror(-ret));
		__kmem_arena_destroy();
		return ret;
	}
	__kmem_zones_init(opts);
	__atomic_store_n(&kmem_mm.ready, 1, __ATOMIC_RELEASE);
	ret = __kmem_slab_init();
	if (ret) {
		__atomic_store_n(&kmem_mm.ready, 0, __ATOMIC_RELEASE);
		__kmem_arena_destroy();
		return ret;
	}
	__kmem_fault_init();
	/*
	 * Without kswapd, reclaim still happens in the allocating threads.
	 * Private memory has no other process to wake it, and a short-lived
	 * program (the malloc front end's) never needs it: it starts with the
	 * first growth or the first direct reclaim (page_alloc.c), not at init,
	 * where a thread would cost each process start a thread's creation
	 * and liburcu's membarrier registration with two threads (ms each).
	 */
	if (!opts->private_memory)
		__kmem_kswapd_start();
	return 0;
}

/*
 * do_init() in task context: when the first allocation comes from an atomic
 * section of the caller's (spin_lock(), local_irq_save()...), the sleeping
 * allocations kmem makes to build itself are not the caller's to answer
 * for.  Safe to clear: init takes no local_irq_save() of its own, and a
 * signal handler cannot run here if the caller had signals blocked.
 */
static int attach_or_init(const struct kmem_options *opts, enum kmem_attach_mode mode)
{
	int ret;

	if (mode == KMEM_ATTACH_NEVER || opts->private_memory)
		return do_init(opts);
	ret = do_attach(opts, NULL, mode == KMEM_ATTACH_AUTO);
	if (!ret || mode == KMEM_ATTACH_REQUIRE)
		return ret;
	if (ret != -ENOENT && ret != -ECONNREFUSED)
		__kmem_printk("kmem: running embedded instead (attach=require would fail here)\n");
	return do_init(opts);
}

/*
 * fork().  vmalloc's process-private area lock is always taken across it.
 * With memory=private the child gets a copy of the whole allocator, so no
 * other thread may be inside any of its critical sections when the memory
 * is copied: every lock is taken first, in the lock order (vmalloc's area
 * lock, liburcu's callback threads paused, the shrinkers, the tunables,
 * the slabs, the page allocator, the report sink), and released in the
 * parent or initialised again in the child.  In shared memory the other
 * processes' locks are not ours to hold, and nothing needs it: parent and
 * child share one allocator, as attached processes do.
 */
static bool fork_locked;	/* this fork took the private memory's locks */

static void kmem_fork_prepare(void)
{
	__kmem_vmap_fork_prepare();
	fork_locked = __atomic_load_n(&kmem_mm.ready, __ATOMIC_ACQUIRE) &&
		      kmem_mm.opts.private_memory;
	if (!fork_locked)
		return;
	__kmem_rcu_fork_prepare();
	__kmem_shrinker_fork_lock();
	__kmem_tunables_fork_lock();
	__kmem_slab_fork_lock();
	__kmem_page_alloc_fork_lock();
	__kmem_report_fork_lock();
}

static void kmem_fork_finish(bool child)
{
	if (fork_locked) {
		__kmem_report_fork_unlock(child);
		__kmem_page_alloc_fork_unlock(child);
		__kmem_slab_fork_unlock(child);
		__kmem_tunables_fork_unlock(child);
		__kmem_shrinker_fork_unlock(child);
		__kmem_rcu_fork_unlock(child);
	}
	if (child)
		__kmem_vmap_fork_child();
	else
		__kmem_vmap_fork_parent();
}

static void kmem_fork_parent(void)
{
	kmem_fork_finish(false);
}

static void kmem_fork_child(void)
{
	kmem_fork_finish(true);
}

/* Once, under init_lock: before kswapd's and attach's (child handlers run in this order). */
static void register_fork_handlers(void)
{
	static bool registered;

	if (!registered)
		pthread_atfork(kmem_fork_prepare, kmem_fork_parent, kmem_fork_child);
	registered = true;
}

static int do_init_task(const struct kmem_options *opts, enum kmem_attach_mode mode)
{
	unsigned long context = __kmem_preempt_count;
	int ret;

	__kmem_preempt_count = 0;
	register_fork_handlers();
	ret = attach_or_init(opts, mode);
	__kmem_preempt_count = context;
	return ret;
}

int kmem_init(const struct kmem_options *opts)
{
	struct kmem_options defaults;
	int ret;

	if (!opts) {
		kmem_options_init(&defaults);
		opts = &defaults;
	}
	pthread_mutex_lock(&init_lock);
	ret = kmem_mm.ready ? -EALREADY : do_init_task(opts, opts->attach);
	pthread_mutex_unlock(&init_lock);
	return ret;
}

int kmem_attach(const char *socket_path)
{
	struct kmem_options opts;
	int ret;

	kmem_options_init(&opts);
	pthread_mutex_lock(&init_lock);
	register_fork_handlers();
	ret = kmem_mm.ready ? -EALREADY : do_attach(&opts, socket_path, false);
	pthread_mutex_unlock(&init_lock);
	return ret;
}

/*
 * First use without kmem_init(): attach when a daemon is announced
 * ($KMEM_SOCKET set, or the default socket exists), as $KMEM_ATTACH says:
 * auto (the default) falls back to embedded, require does not, never
 * does not try.
 */
static enum kmem_attach_mode first_use_mode(void)
{
	const char *env = getenv("KMEM_ATTACH");
	const char *sock = getenv("KMEM_SOCKET");

	if (env && !strcmp(env, "never"))
		return KMEM_ATTACH_NEVER;
	if (env && !strcmp(env, "require"))
		return KMEM_ATTACH_REQUIRE;
	if (env && *env && strcmp(env, "auto"))
		__kmem_printk("kmem: ignoring KMEM_ATTACH=%s (auto, never or require)\n", env);
	if ((sock && *sock) || os_path_exists(KMEMD_DEFAULT_SOCKET))
		return KMEM_ATTACH_AUTO;
	return KMEM_ATTACH_NEVER;
}

int __kmem_init_once(void)
{
	struct kmem_options opts;
	int ret = 0;

	kmem_options_init(&opts);
	pthread_mutex_lock(&init_lock);
	if (!kmem_mm.ready)
		ret = do_init_task(&opts, first_use_mode());
	pthread_mutex_unlock(&init_lock);
	return ret;
}

static void teardown(void)
{
	/* kmemd with a fenced segment: nothing in it is touched again, at exit neither */
	bool fenced = __kmem_segment_fenced();

	__kmem_rcu_shared_stop();
	__kmem_kswapd_stop();
	/* attached: the memory stays, so this process's vmalloc pages go back */
	if (!fenced)
		__kmem_vmalloc_exit(kmem_mm.owner != 0);
	__atomic_store_n(&kmem_mm.ready, 0, __ATOMIC_RELEASE);
	if (!fenced)
		__kmem_slab_exit();
	if (kmem_mm.owner)
		__kmem_detach();
	else
		__kmem_arena_destroy();
}

void kmem_exit(void)
{
	pthread_mutex_lock(&init_lock);
	teardown();
	pthread_mutex_unlock(&init_lock);
}

int kmem_detach(void)
{
	int ret = -EINVAL;

	pthread_mutex_lock(&init_lock);
	if (kmem_mm.ready && kmem_mm.owner) {
		teardown();
		ret = 0;
	}
	pthread_mutex_unlock(&init_lock);
	return ret;
}

int kmem_get_info(struct kmem_info *info)
{
	const struct kmem_shared *shm;

	if (kmem_ensure_init())
		return -ENOMEM;
	/* in kmemd, what it built: the segment's header is any client's to overwrite */
	shm = __kmem_segment_header();
	memset(info, 0, sizeof(*info));
	info->nr_nodes = kmem_mm.nr_nodes;
	info->nr_cpu_ids = kmem_mm.nr_cpu_ids;
	info->cache_line_size = shm->cache_line_size;
	info->fake_numa = shm->flags & KMEM_SHF_FAKE_NUMA;
	info->hugetlb = shm->node_data[0].hugetlb;
	info->hugepage_shift = shm->hpage_shift;
	info->phys_real = shm->flags & KMEM_SHF_PHYS_REAL;
	info->iova_va = !info->phys_real;
	info->zones_emulated = shm->flags & KMEM_SHF_ZONES_EMULATED;
	info->rseq = kmem_mm.pcp_mode == KMEM_PCP_RSEQ;
	info->total_pages = shm->total_pages;
	info->attached = kmem_mm.owner != 0;
	info->client_id = kmem_mm.owner;
	info->base = (uintptr_t)kmem_mm.mem_base;
	return 0;
}

/* <linux/topology.h> */

int raw_smp_processor_id(void)
{
	int cpu = rseq_current_cpu();

	return cpu >= 0 ? cpu : sched_getcpu();
}

int numa_node_id(void)
{
	int cpu;

	if (kmem_ensure_init())
		return 0;
	cpu = rseq_current_cpu();
	if (cpu >= 0 && cpu < (int)kmem_mm.nr_cpu_ids)
		return kmem_mm.shm->cpu_to_node[cpu];
	return __kmem_numa_node_id();
}

int cpu_to_node(int cpu)
{
	return kmem_cpu_to_node(cpu);
}

int kmem_cpu_to_node(int cpu)
{
	if (kmem_ensure_init() || cpu < 0 || cpu >= (int)kmem_mm.nr_cpu_ids)
		return -1;
	return kmem_mm.shm->cpu_to_node[cpu];
}

int num_online_nodes(void)
{
	return kmem_ensure_init() ? 0 : (int)kmem_mm.nr_nodes;
}

int node_distance(int a, int b)
{
	return kmem_node_distance(a, b);
}

int kmem_node_distance(int a, int b)
{
	int n;

	if (kmem_ensure_init())
		return -1;
	n = (int)kmem_mm.nr_nodes;
	if (a < 0 || b < 0 || a >= n || b >= n)
		return -1;
	return kmem_mm.shm->node_distance[a][b];
}

int cache_line_size(void)
{
	return kmem_ensure_init() ? 64 : (int)kmem_mm.shm->cache_line_size;
}
