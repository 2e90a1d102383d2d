// SPDX-License-Identifier: MIT
/*
 * A client that corrupts the shared segment, then dies: the real kmemd
 * (KMEMD_PATH, fake NUMA with 2 nodes, no huge pages, small memory) must
 * survive its recovery, go on answering on its control socket and say what
 * it found (libkmem/segment.c).
 *
 * Each case runs a fresh kmemd, attaches a real client (a forked child
 * that kmem_attach()es, so the writer is the real mapping) which allocates
 * a little of everything (pages, a cache and its objects, kmalloc, vmalloc)
 * and then overwrites either the whole segment with a pattern (zeros, ones,
 * random bytes, random 64-bit words, the head only) or one field of one
 * shared structure with 0, all ones or a random value, and exits or is
 * killed.  Then the daemon has to: recover the client; answer every view,
 * shrink, drop-pcp and tunables.set (answers or EUCLEAN error objects);
 * survive a reload (SIGHUP) and another client's attach; still answer
 * info; and exit on SIGTERM, not by a signal.  For the whole-segment
 * patterns its log must also name what it found.
 *
 * By default (CI) the whole-segment patterns run once and every field once
 * with a value chosen by the seed (KMEM_TEST_SEED); KMEM_FUZZ_LONG=1 runs
 * every value for every field, the kmalloc cache as well as the client's,
 * and 8 seeds of each whole-segment pattern (docs/kmemd.md).  KMEM_FUZZ_ONLY=TEXT
 * runs only the cases whose description contains TEXT, KMEM_FUZZ_HOLD=S keeps
 * a failed case's daemon S seconds for a debugger.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <kmem/kmem.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "kmemd_harness.h"
#include "kunit.h"
#include "internal.h"
#include "slab.h"

enum where {
	W_WHOLE,	/* the whole segment, pattern in the case */
	W_HDR, W_TUN, W_FAULT, W_NODE, W_ZONE, W_FREE_AREA, W_PCP,
	W_CACHE, W_KCACHE, W_CNODE, W_CCPU, W_SLAB_PAGE, W_PAGE,
	W_RCU, W_RCU_SLOT, W_RCU_DEFERRED, W_VM, W_VM_REC, W_CHARGES, W_CHARGE_SLOT, W_SECTION,
};

static const char *const where_names[] = {
	"segment", "kmem_shared", "kmem_tunables", "fault_attr", "pglist_data", "zone",
	"free_area", "per_cpu_pages", "kmem_cache", "kmem_cache(kmalloc)", "kmem_cache_node",
	"kmem_cache_cpu", "page(slab)", "page", "kmem_rcu_shared", "kmem_rcu_slot",
	"kmem_rcu_deferred", "kmem_vm_records", "kmem_vm_record", "kmem_vm_charges",
	"kmem_vm_charge_slot", "mem_section",
};

struct field {
	enum where where;
	const char *name;
	size_t off, size;
};

#define F(w, type, f)	{ w, #f, offsetof(struct type, f), sizeof(((struct type *)0)->f) }
#define PAGE_FIELDS(w)								\
	F(w, page, flags), F(w, page, zone_id), F(w, page, order), F(w, page, _refcount), \
	F(w, page, owner), F(w, page, lru), F(w, page, compound_head), F(w, page, slab)
#define CACHE_FIELDS(w)								\
	F(w, kmem_cache, flags), F(w, kmem_cache, size), F(w, kmem_cache, object_size),	\
	F(w, kmem_cache, offset), F(w, kmem_cache, red_left_pad),			\
	F(w, kmem_cache, reciprocal_size), F(w, kmem_cache, cpu_stride),		\
	F(w, kmem_cache, objects), F(w, kmem_cache, cpu_off), F(w, kmem_cache, node_off), \
	F(w, kmem_cache, owners_off), F(w, kmem_cache, owner_shift),			\
	F(w, kmem_cache, slab_mask), F(w, kmem_cache, inuse), F(w, kmem_cache, align),	\
	F(w, kmem_cache, order), F(w, kmem_cache, min_partial), F(w, kmem_cache, id),	\
	F(w, kmem_cache, state), F(w, kmem_cache, owner), F(w, kmem_cache, meta_order),	\
	F(w, kmem_cache, ctor_set), F(w, kmem_cache, ctor_calls),			\
	F(w, kmem_cache, debug_reports), F(w, kmem_cache, name)

static const struct field fields[] = {
	F(W_HDR, kmem_shared, magic), F(W_HDR, kmem_shared, version),
	F(W_HDR, kmem_shared, flags), F(W_HDR, kmem_shared, segment_size),
	F(W_HDR, kmem_shared, total_pages), F(W_HDR, kmem_shared, memmap_off),
	F(W_HDR, kmem_shared, hpage_phys_off), F(W_HDR, kmem_shared, base_address),
	F(W_HDR, kmem_shared, mem_size), F(W_HDR, kmem_shared, hpage_file_off),
	F(W_HDR, kmem_shared, hpages_per_node), F(W_HDR, kmem_shared, nr_nodes),
	F(W_HDR, kmem_shared, nr_cpu_ids), F(W_HDR, kmem_shared, hpage_shift),
	F(W_HDR, kmem_shared, cache_line_size), F(W_HDR, kmem_shared, fault_armed),
	F(W_HDR, kmem_shared, free_seq), F(W_HDR, kmem_shared, nr_free_waiters),
	F(W_HDR, kmem_shared, cpu_to_node), F(W_HDR, kmem_shared, node_distance),
	F(W_HDR, kmem_shared, slab_mutex), F(W_HDR, kmem_shared, caches),
	F(W_HDR, kmem_shared, kmalloc_caches),

	F(W_TUN, kmem_tunables, min_free_kbytes), F(W_TUN, kmem_tunables, watermark_scale_factor),
	F(W_TUN, kmem_tunables, lowmem_reserve_ratio),
	F(W_TUN, kmem_tunables, percpu_pagelist_high_fraction),
	F(W_TUN, kmem_tunables, reclaim_timeout_ms), F(W_TUN, kmem_tunables, kswapd),

	F(W_FAULT, fault_attr, probability), F(W_FAULT, fault_attr, interval),
	F(W_FAULT, fault_attr, verbose), F(W_FAULT, fault_attr, times),
	F(W_FAULT, fault_attr, space), F(W_FAULT, fault_attr, ratelimit_interval_ms),
	F(W_FAULT, fault_attr, ratelimit_burst), F(W_FAULT, fault_attr, ratelimit_begin_ns),
	F(W_FAULT, fault_attr, ratelimit_printed), F(W_FAULT, fault_attr, task_filter),
	F(W_FAULT, fault_attr, min_order), F(W_FAULT, fault_attr, count),

	F(W_NODE, pglist_data, node_id), F(W_NODE, pglist_data, real_node),
	F(W_NODE, pglist_data, nr_cpus), F(W_NODE, pglist_data, hugetlb),
	F(W_NODE, pglist_data, direct_start_pfn), F(W_NODE, pglist_data, direct_pages),
	F(W_NODE, pglist_data, highmem_start_pfn), F(W_NODE, pglist_data, highmem_pages),
	F(W_NODE, pglist_data, zonelist_fallback), F(W_NODE, pglist_data, zonelist_nofallback),
	F(W_NODE, pglist_data, zonelist_fallback_start),
	F(W_NODE, pglist_data, zonelist_nofallback_start),
	F(W_NODE, pglist_data, kswapd_wait), F(W_NODE, pglist_data, kswapd_order),
	F(W_NODE, pglist_data, kswapd_highest_zoneidx), F(W_NODE, pglist_data, kswapd_running),
	F(W_NODE, pglist_data, kswapd_failures), F(W_NODE, pglist_data, kswapd_wake),
	F(W_NODE, pglist_data, pgsteal_kswapd), F(W_NODE, pglist_data, allocstall),
	F(W_NODE, pglist_data, huge_pages), F(W_NODE, pglist_data, max_pages),
	F(W_NODE, pglist_data, min_pages), F(W_NODE, pglist_data, boot_start_pfn),
	F(W_NODE, pglist_data, online_pages), F(W_NODE, pglist_data, hotplug_lock),
	F(W_NODE, pglist_data, hotplug_section), F(W_NODE, pglist_data, huge_refused),

	F(W_ZONE, zone, lock), F(W_ZONE, zone, free_area), F(W_ZONE, zone, free_pages),
	F(W_ZONE, zone, inflight_pfn1), F(W_ZONE, zone, inflight_order),
	F(W_ZONE, zone, _watermark), F(W_ZONE, zone, watermark_boost),
	F(W_ZONE, zone, lowmem_reserve), F(W_ZONE, zone, zone_start_pfn),
	F(W_ZONE, zone, spanned_pages), F(W_ZONE, zone, present_pages),
	F(W_ZONE, zone, managed_pages), F(W_ZONE, zone, node), F(W_ZONE, zone, idx),
	F(W_ZONE, zone, pcp_high), F(W_ZONE, zone, pcp_batch), F(W_ZONE, zone, pcp_off),
	F(W_ZONE, zone, numa_hit), F(W_ZONE, zone, pgalloc), F(W_ZONE, zone, alloc_fail),
	F(W_ZONE, zone, vm_charged),

	F(W_FREE_AREA, free_area, head), F(W_FREE_AREA, free_area, nr_free),

	F(W_PCP, per_cpu_pages, word), F(W_PCP, per_cpu_pages, high),
	F(W_PCP, per_cpu_pages, batch), F(W_PCP, per_cpu_pages, lock),
	F(W_PCP, per_cpu_pages, slots),

	CACHE_FIELDS(W_CACHE),
	CACHE_FIELDS(W_KCACHE),

	F(W_CNODE, kmem_cache_node, list_lock), F(W_CNODE, kmem_cache_node, partial),
	F(W_CNODE, kmem_cache_node, full), F(W_CNODE, kmem_cache_node, nr_partial),
	F(W_CNODE, kmem_cache_node, nr_slabs), F(W_CNODE, kmem_cache_node, total_objects),
	F(W_CNODE, kmem_cache_node, xfer_lock), F(W_CNODE, kmem_cache_node, xfer_count),
	F(W_CNODE, kmem_cache_node, xfer_capacity), F(W_CNODE, kmem_cache_node, xfer_off),

	F(W_CCPU, kmem_cache_cpu, word), F(W_CCPU, kmem_cache_cpu, capacity),
	F(W_CCPU, kmem_cache_cpu, batch), F(W_CCPU, kmem_cache_cpu, lock),
	F(W_CCPU, kmem_cache_cpu, frees),
	{ W_CCPU, "objs[0]", offsetof(struct kmem_cache_cpu, objs), sizeof(u64) },

	PAGE_FIELDS(W_SLAB_PAGE),
	PAGE_FIELDS(W_PAGE),

	F(W_RCU, kmem_rcu_shared, lock), F(W_RCU, kmem_rcu_shared, gen),
	F(W_RCU, kmem_rcu_shared, completed), F(W_RCU, kmem_rcu_shared, gen_seq),
	F(W_RCU, kmem_rcu_shared, done_seq), F(W_RCU, kmem_rcu_shared, nr_deferred),
	F(W_RCU_SLOT, kmem_rcu_slot, id), F(W_RCU_SLOT, kmem_rcu_slot, pid),
	F(W_RCU_SLOT, kmem_rcu_slot, alive), F(W_RCU_SLOT, kmem_rcu_slot, releasing),
	F(W_RCU_SLOT, kmem_rcu_slot, ack), F(W_RCU_SLOT, kmem_rcu_slot, pidns),
	F(W_RCU_DEFERRED, kmem_rcu_deferred, gen), F(W_RCU_DEFERRED, kmem_rcu_deferred, where),
	F(W_RCU_DEFERRED, kmem_rcu_deferred, kind), F(W_RCU_DEFERRED, kmem_rcu_deferred, order),

	F(W_VM, kmem_vm_records, unpublished),
	F(W_VM_REC, kmem_vm_record, state), F(W_VM_REC, kmem_vm_record, owner),
	F(W_VM_REC, kmem_vm_record, pid), F(W_VM_REC, kmem_vm_record, nr_pages),
	F(W_VM_REC, kmem_vm_record, addr), F(W_VM_REC, kmem_vm_record, size),
	F(W_VM_REC, kmem_vm_record, nr_populated), F(W_VM_REC, kmem_vm_record, caller),
	F(W_VM_REC, kmem_vm_record, node_pages),
	F(W_CHARGES, kmem_vm_charges, lock), F(W_CHARGES, kmem_vm_charges, charge_fail),
	F(W_CHARGE_SLOT, kmem_vm_charge_slot, used), F(W_CHARGE_SLOT, kmem_vm_charge_slot, owner),
	F(W_CHARGE_SLOT, kmem_vm_charge_slot, total), F(W_CHARGE_SLOT, kmem_vm_charge_slot, pages),
	F(W_SECTION, mem_section, state), F(W_SECTION, mem_section, hugetlb),
	F(W_SECTION, mem_section, free_since_ms),
	F(W_HDR, kmem_shared, section_off), F(W_HDR, kmem_shared, nr_sections),
	F(W_HDR, kmem_shared, section_shift), F(W_HDR, kmem_shared, carve),
	F(W_HDR, kmem_shared, carve_start_pfn), F(W_HDR, kmem_shared, carve_dma_pages),
};
#define NR_FIELDS	(sizeof(fields) / sizeof(fields[0]))

enum pattern { P_ZERO, P_ONES, P_RANDOM, P_WORDS, P_HEAD, NR_PATTERNS };
static const char *const pattern_names[] = { "zeros", "ones", "random bytes",
					     "random words", "random head" };

struct fcase {
	const struct field *f;	/* NULL: the whole segment */
	enum pattern pat;	/* P_ZERO, P_ONES or P_RANDOM for a field */
	u64 seed;
	bool kill;		/* SIGKILLed, else _exit() */
};

static bool long_mode(void)
{
	const char *e = getenv("KMEM_FUZZ_LONG");

	return e && *e && strcmp(e, "0");
}

static void fill(void *p, size_t len, enum pattern pat, u64 *rng)
{
	size_t i;

	switch (pat) {
	case P_ZERO:
		memset(p, 0, len);
		break;
	case P_ONES:
		memset(p, 0xff, len);
		break;
	case P_WORDS:
		for (i = 0; i + 8 <= len; i += 8) {
			u64 v = kt_rand(rng);

			memcpy((char *)p + i, &v, 8);
		}
		break;
	default:
		for (i = 0; i < len; i++)
			((unsigned char *)p)[i] = (unsigned char)kt_rand(rng);
		break;
	}
}

/* ------------------------------------------------------------------ */
/* the client                                                           */
/* ------------------------------------------------------------------ */

/* What the client made, so that a field of each structure can be found. */
struct made {
	struct page *block;
	struct kmem_cache *cache;
	void *objs[16];
	void *kmalloced[8];
	void *area;
	void *promised;		/* never touched: its pages stay charged */
};

static void make_things(struct made *m)
{
	unsigned int i;

	m->block = alloc_pages(GFP_KERNEL, 2);
	m->cache = kmem_cache_create("fuzz", 96, 0, 0, NULL);
	for (i = 0; m->cache && i < 16; i++)
		m->objs[i] = kmem_cache_alloc(m->cache, GFP_KERNEL);
	for (i = 0; i < 8; i++)
		m->kmalloced[i] = kmalloc(64, GFP_KERNEL);
	kfree(m->kmalloced[7]);
	m->kmalloced[7] = NULL;
	m->area = vmalloc(3 * PAGE_SIZE);
	if (m->area)
		memset(m->area, 1, 3 * PAGE_SIZE);
	m->promised = vmalloc(4 * PAGE_SIZE);
}

/* The shared kmalloc cache the client's kmalloc(64)s came from. */
static struct kmem_cache *kmalloc64(const struct made *m)
{
	struct page *slab = m->kmalloced[0] ? kmem_head_page(m->kmalloced[0]) : NULL;

	return slab && (slab->flags & PG_slab) ? cache_at(slab->slab[0]) : NULL;
}

/* The structure @w of what @m made, or NULL. */
static void *find(enum where w, const struct made *m, u64 seed)
{
	struct kmem_shared *shm = kmem_mm.shm;
	struct zone *zone = m->block ? page_zone(m->block) : NULL;
	int cpu = sched_getcpu() < 0 ? 0 : sched_getcpu();
	struct kmem_cache *s = w == W_KCACHE ? kmalloc64(m) : m->cache;
	unsigned int i, o;

	switch (w) {
	case W_HDR:
		return shm;
	case W_TUN:
		return &shm->tun;
	case W_FAULT:
		return &shm->fault.attr[seed & 1];
	case W_NODE:
		return &shm->node_data[seed % shm->nr_nodes];
	case W_ZONE:
		return zone;
	case W_FREE_AREA:
		for (o = 0; zone && o < NR_PAGE_ORDERS; o++)
			if (zone->free_area[o].head != PFN_NIL)
				return &zone->free_area[o];
		return NULL;
	case W_PCP:
		return zone ? zone_pcp(zone, cpu) : NULL;
	case W_CACHE:
	case W_KCACHE:
		return s;
	case W_CNODE:
		return s ? cache_node(s, __kmem_numa_node_id()) : NULL;
	case W_CCPU:
		return s ? cache_cpu(s, cpu) : NULL;
	case W_SLAB_PAGE:
		return m->objs[0] ? kmem_head_page(m->objs[0]) : NULL;
	case W_PAGE:
		return m->block;
	case W_RCU:
		return &shm->rcu;
	case W_RCU_SLOT:
		for (i = 0; i < KMEM_RCU_MAX_PROCS; i++)
			if (shm->rcu.slot[i].alive && shm->rcu.slot[i].id == kmem_mm.owner)
				return &shm->rcu.slot[i];
		return NULL;
	case W_RCU_DEFERRED:
		return &shm->rcu.deferred[0];
	case W_VM:
		return &shm->vm;
	case W_CHARGES:
		return &shm->vm_charges;
	case W_CHARGE_SLOT:
		for (i = 0; i < KMEM_VM_CHARGE_SLOTS; i++)
			if (shm->vm_charges.slot[i].used)
				return &shm->vm_charges.slot[i];
		return NULL;
	case W_SECTION:
		return m->block ? __pfn_to_section(page_to_pfn(m->block)) : NULL;
	case W_VM_REC:
		for (i = 0; i < KMEM_VM_RECORDS; i++)
			if (shm->vm.rec[i].state == KMEM_VM_LIVE &&
			    shm->vm.rec[i].owner == kmem_mm.owner)
				return &shm->vm.rec[i];
		return NULL;
	default:
		return NULL;
	}
}

/* The client: attach, make things, corrupt, die.  Never returns. */
static void client(const struct kh_daemon *d, const struct fcase *c)
{
	u64 rng = c->seed;
	struct made m = { 0 };

	alarm(10);
	if (kmem_attach(d->sock))
		_exit(90);
	make_things(&m);
	if (!c->f) {
		size_t len = c->pat == P_HEAD ? 4096 : kmem_mm.shm_size;

		fill(kmem_mm.shm, len, c->pat, &rng);
	} else {
		char *base = find(c->f->where, &m, c->seed);

		if (!base)
			_exit(91);
		fill(base + c->f->off, c->f->size, c->pat, &rng);
	}
	if (c->kill)
		kill(getpid(), SIGKILL);
	_exit(0);
}

/* A second client after the corruption: attach, allocate, leave.  Its fate is its own. */
static void late_client(const struct kh_daemon *d)
{
	alarm(5);
	if (kmem_attach(d->sock))
		_exit(90);
	kfree(kmalloc(100, GFP_KERNEL));
	_exit(0);
}

/* ------------------------------------------------------------------ */
/* the daemon                                                           */
/* ------------------------------------------------------------------ */

static bool log_has(const struct kh_daemon *d, const char *s)
{
	return strstr(kh_log(d), s) != NULL;
}

/* Did the daemon finish with client @id (recovered, failed or fenced)? */
static bool recovered(struct kh_daemon *d, void *arg)
{
	char a[64], b[64];

	snprintf(a, sizeof(a), "client %u recovered", (unsigned int)(uintptr_t)arg);
	snprintf(b, sizeof(b), "client %u: recovery", (unsigned int)(uintptr_t)arg);
	return log_has(d, a) || log_has(d, b);
}

static bool reloaded(struct kh_daemon *d, void *arg)
{
	(void)arg;
	return log_has(d, "reload: min_free_kbytes");
}

static pid_t fork_run(void (*fn)(const struct kh_daemon *, const struct fcase *),
		      const struct kh_daemon *d, const struct fcase *c)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0)
		fn(d, c);
	return pid;
}

static void late(const struct kh_daemon *d, const struct fcase *c)
{
	(void)c;
	late_client(d);
}

static int reap(pid_t pid)
{
	int status;

	if (pid <= 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

/* Does the daemon still answer @req with a reply object (a result or an error)? */
static bool answers(const struct kh_daemon *d, const char *req)
{
	char *r = kh_ctl_request(d, req);
	bool ok = r && strstr(r, "\"version\"");

	if (!ok)
		fprintf(stderr, "  no answer to %s: '%s'\n", req, r ? r : "(null)");
	free(r);
	return ok;
}

static const char *const requests[] = {
	"{\"cmd\": \"info\"}\n", "{\"cmd\": \"buddyinfo\"}\n", "{\"cmd\": \"zoneinfo\"}\n",
	"{\"cmd\": \"pagetypeinfo\"}\n", "{\"cmd\": \"slabinfo\"}\n", "{\"cmd\": \"vmallocinfo\"}\n",
	"{\"cmd\": \"meminfo\"}\n", "{\"cmd\": \"numastat\"}\n", "{\"cmd\": \"vmstat\"}\n",
	"{\"cmd\": \"watermarks\"}\n", "{\"cmd\": \"clients\"}\n", "{\"cmd\": \"tunables.get\"}\n",
	"{\"cmd\": \"orphans\", \"client\": 1}\n", "{\"cmd\": \"fault.get\"}\n",
	"{\"cmd\": \"shrink\"}\n", "{\"cmd\": \"drop-pcp\"}\n",
	"{\"cmd\": \"tunables.set\", \"key\": \"watermark_scale_factor\", \"value\": 20}\n",
};

static void describe(const struct fcase *c, char *buf, size_t len)
{
	if (c->f)
		snprintf(buf, len, "%s.%s = %s (seed %#llx, %s)", where_names[c->f->where],
			 c->f->name, pattern_names[c->pat], (unsigned long long)c->seed,
			 c->kill ? "killed" : "exits");
	else
		snprintf(buf, len, "whole segment: %s (seed %#llx, %s)", pattern_names[c->pat],
			 (unsigned long long)c->seed, c->kill ? "killed" : "exits");
}

static unsigned int cases_run, cases_failed, cases_skipped, cases_reported;

/* One case on a fresh kmemd.  Return: true if the daemon held. */
static bool run_case(const struct fcase *c)
{
	struct kh_daemon d;
	char what[160], conf[64];
	bool ok = true, reported;
	int status;
	size_t i;

	describe(c, what, sizeof(what));
	if (getenv("KMEM_FUZZ_ONLY") && !strstr(what, getenv("KMEM_FUZZ_ONLY")))
		return true;
	if (kh_prepare(&d, "/tmp/kmem-fuzz-XXXXXX", "fuzz", "fake_numa = 2\nhighmem_mb = 4\n") ||
	    kh_spawn(&d, 0, NULL, NULL) || !kh_wait(&d, kh_ctl_answers, NULL, 10000, 5)) {
		fprintf(stderr, "%s: kmemd did not start\n", what);
		kh_print_log(&d);
		kh_remove(&d);
		return false;
	}
	status = reap(fork_run(client, &d, c));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 91) {
		cases_skipped++;	/* the structure was not there to corrupt */
		kh_remove(&d);
		return true;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 90) {
		fprintf(stderr, "%s: the client could not attach\n", what);
		ok = false;
	}
	/* client 1 is the first attach; a bound, never a timing check */
	kh_wait(&d, recovered, (void *)(uintptr_t)1, 5000, 5);
	for (i = 0; ok && i < sizeof(requests) / sizeof(requests[0]); i++)
		ok = answers(&d, requests[i]);
	if (ok) {
		snprintf(conf, sizeof(conf), "fake_numa = 2\nhighmem_mb = 4\nmin_free_kbytes = 300\n");
		kh_write_conf(&d, conf);
		kill(d.pid, SIGHUP);
		kh_wait(&d, reloaded, NULL, 3000, 5);
		reap(fork_run(late, &d, c));
		ok = answers(&d, "{\"cmd\": \"info\"}\n") && answers(&d, "{\"cmd\": \"zoneinfo\"}\n");
	}
	if (d.pid <= 0) {
		/* reaped by a wait of the harness: dead, whatever of */
		fprintf(stderr, "%s: kmemd died\n", what);
		ok = false;
	} else if (waitpid(d.pid, &status, WNOHANG) == d.pid) {
		fprintf(stderr, "%s: kmemd died: %s %d\n", what,
			WIFSIGNALED(status) ? "signal" : "exit",
			WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
		d.pid = -1;
		ok = false;
	}
	reported = log_has(&d, "shared segment corrupted");
	cases_reported += reported;
	if (ok && !c->f && !reported) {
		fprintf(stderr, "%s: kmemd said nothing of what it found\n", what);
		ok = false;
	}
	if (ok) {
		status = kh_stop(&d, SIGTERM);
		if (status == -1 || WIFSIGNALED(status)) {
			fprintf(stderr, "%s: kmemd did not exit cleanly on SIGTERM (%#x)\n", what,
				status);
			ok = false;
		}
	}
	if (getenv("KMEM_TEST_VERBOSE") || !ok) {
		fprintf(stderr, "%s: %s\n", what, ok ? "held" : "FAILED");
		if (!ok)
			kh_print_log(&d);
	}
	if (!ok && getenv("KMEM_FUZZ_HOLD"))	/* time to look at the daemon */
		sleep((unsigned int)atoi(getenv("KMEM_FUZZ_HOLD")));
	kh_remove(&d);
	cases_run++;
	cases_failed += !ok;
	return ok;
}

static void test_whole_segment(void)
{
	unsigned int rounds = long_mode() ? 8 : 1, r, p;
	u64 rng = kt_seed();

	for (r = 0; r < rounds; r++)
		for (p = 0; p < NR_PATTERNS; p++) {
			struct fcase c = { NULL, p, kt_rand(&rng) | 1, (r + p) & 1 };

			CU_ASSERT(run_case(&c));
		}
}

static void test_each_field(void)
{
	u64 rng = kt_seed() ^ 0x6669656c64ULL;
	bool all = long_mode();
	size_t i;

	for (i = 0; i < NR_FIELDS; i++) {
		unsigned int p;

		if (fields[i].where == W_KCACHE && !all)
			continue;
		for (p = P_ZERO; p <= P_RANDOM; p++) {
			u64 pick = kt_rand(&rng);
			struct fcase c = { &fields[i], all ? p : (enum pattern)(pick % 3),
					   kt_rand(&rng) | 1, (pick >> 8) & 1 };

			CU_ASSERT(run_case(&c));
			if (!all)
				break;
		}
	}
	printf("\n  segment fuzz: %u cases, %u held the daemon's promise, %u failed, "
	       "%u skipped, %u with a corruption report\n", cases_run, cases_run - cases_failed,
	       cases_failed, cases_skipped, cases_reported);
}

static int suite_init(void)
{
	/* the children attach; this process never builds an allocator */
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static const struct kt_test tests[] = {
	KT_TEST(test_whole_segment),
	KT_TEST(test_each_field),
	KT_END,
};

static const struct kt_suite suite = { "segment fuzz", suite_init, NULL, tests };
static const struct kt_suite *const suites[] = { &suite, NULL };

int main(int argc, char **argv)
{
	return kt_main(argc, argv, suites);
}
