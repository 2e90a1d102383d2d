// SPDX-License-Identifier: MIT
/*
 * reserve_hugepages = yes: before kmem_init(), raise the kernel's huge page
 * pool so that the direct maps fit, and give back exactly what was added
 * when the daemon exits.
 *
 * With one real NUMA node (fake nodes all live on it), the pool is the
 * system-wide /sys/kernel/mm/hugepages/hugepages-<size>kB/nr_hugepages
 * (/proc/sys/vm/nr_hugepages for the default size).  With several real
 * nodes, each node's /sys/devices/system/node/nodeN/hugepages/... is raised
 * by that node's share.  Only what is missing (free_hugepages short of the
 * need) is added; the old nr_hugepages is written back at exit.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kmemd.h"

#define MAX_REAL_NODES	64

static struct {
	char path[160];
	unsigned long old;
	bool raised;
} pools[MAX_REAL_NODES + 1];
static unsigned int nr_pools;

static int read_ulong(const char *path, unsigned long *v)
{
	FILE *f = fopen(path, "re");
	int ret = 0;

	if (!f)
		return -errno;
	if (fscanf(f, "%lu", v) != 1)
		ret = -EIO;
	fclose(f);
	return ret;
}

static int write_ulong(const char *path, unsigned long v)
{
	FILE *f = fopen(path, "we");
	int ret = 0;

	if (!f)
		return -errno;
	if (fprintf(f, "%lu\n", v) < 0)
		ret = -EIO;
	if (fclose(f) && !ret)
		ret = -errno;
	return ret;
}

static unsigned int real_nodes(void)
{
	char path[64];
	unsigned int n = 0;

	while (n < MAX_REAL_NODES) {
		snprintf(path, sizeof(path), "/sys/devices/system/node/node%u", n);
		if (access(path, F_OK))
			break;
		n++;
	}
	return n ?: 1;
}

/* Make @dir's pool (a hugepages-<size>kB directory) hold @need free pages. */
static int raise_pool(const char *dir, unsigned long need)
{
	char path[160], fpath[160];
	unsigned long nr, free_pages, now;
	int ret;

	snprintf(path, sizeof(path), "%s/nr_hugepages", dir);
	snprintf(fpath, sizeof(fpath), "%s/free_hugepages", dir);
	ret = read_ulong(path, &nr) ?: read_ulong(fpath, &free_pages);
	if (ret) {
		pr_err("reserve_hugepages: %s: %s", dir, strerror(-ret));
		return ret;
	}
	if (free_pages >= need) {
		pr_info("reserve_hugepages: %s: %lu free, %lu needed", dir, free_pages, need);
		return 0;
	}
	ret = write_ulong(path, nr + need - free_pages);
	if (ret) {
		pr_err("reserve_hugepages: cannot write %s: %s", path, strerror(-ret));
		return ret;
	}
	snprintf(pools[nr_pools].path, sizeof(pools[nr_pools].path), "%s", path);
	pools[nr_pools].old = nr;
	pools[nr_pools].raised = true;
	nr_pools++;
	if (read_ulong(path, &now) || now < nr + need - free_pages) {
		pr_warn("reserve_hugepages: %s: asked for %lu pages, got %lu", path,
			nr + need - free_pages, now);
		return -ENOMEM;
	}
	pr_info("reserve_hugepages: %s: %lu -> %lu", path, nr, now);
	return 0;
}

int kmemd_hugepages_reserve(unsigned int nr_nodes, size_t bytes_per_node, unsigned int shift)
{
	unsigned long per_node = (bytes_per_node + (1UL << shift) - 1) >> shift;
	unsigned long kb = (1UL << shift) >> 10;
	unsigned int real = real_nodes(), nid;
	char dir[160];
	int ret = 0;

	if (!nr_nodes)
		nr_nodes = real;
	if (real == 1 || nr_nodes != real) {
		snprintf(dir, sizeof(dir), "/sys/kernel/mm/hugepages/hugepages-%lukB", kb);
		return raise_pool(dir, per_node * nr_nodes);
	}
	for (nid = 0; nid < real && !ret; nid++) {
		snprintf(dir, sizeof(dir),
			 "/sys/devices/system/node/node%u/hugepages/hugepages-%lukB", nid, kb);
		ret = raise_pool(dir, per_node);
	}
	return ret;
}

void kmemd_hugepages_restore(void)
{
	int ret;

	while (nr_pools) {
		nr_pools--;
		if (!pools[nr_pools].raised)
			continue;
		ret = write_ulong(pools[nr_pools].path, pools[nr_pools].old);
		if (ret)
			pr_warn("cannot restore %s to %lu: %s", pools[nr_pools].path,
				pools[nr_pools].old, strerror(-ret));
		else
			pr_info("restored %s to %lu", pools[nr_pools].path, pools[nr_pools].old);
	}
}
