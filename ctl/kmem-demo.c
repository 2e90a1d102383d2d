// SPDX-License-Identifier: MIT
/*
 * kmem-demo - a small workload for the quick start: allocate pages of
 * several orders on every node, show /proc/buddyinfo-style free lists and
 * numastat while they are held, free them, and show the lists again.
 *
 * Usage: kmem-demo [OPTIONS]   (OPTIONS as in KMEM_OPTIONS, e.g. fake_numa=2)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmem/kmem.h>
#include <linux/gfp.h>
#include <linux/mm.h>

#define PER_ORDER 8

int main(int argc, char **argv)
{
	static struct page *held[64][4][PER_ORDER];
	struct kmem_options opts;
	struct kmem_info info;
	char err[160];
	int nid, order, i, ret;

	kmem_options_init(&opts);
	if (argc > 1 && kmem_options_parse(&opts, argv[1], err, sizeof(err))) {
		fprintf(stderr, "kmem-demo: %s\n", err);
		return 2;
	}
	ret = kmem_init(&opts);
	if (ret) {
		fprintf(stderr, "kmem-demo: kmem_init failed (%d)\n", ret);
		return 1;
	}
	kmem_get_info(&info);
	printf("kmem: %u node(s)%s, %u CPU ids, %llu MiB managed, direct map on %s, "
	       "page_to_phys() %s, per-CPU lists on %s\n",
	       info.nr_nodes, info.fake_numa ? " (fake NUMA)" : "", info.nr_cpu_ids,
	       (unsigned long long)(info.total_pages >> 8),
	       info.hugetlb ? "hugetlb pages" : "shmem (no huge pages reserved)",
	       info.phys_real ? "real physical" : "IOVA as VA", info.rseq ? "rseq" : "per-CPU locks");

	printf("\n== buddyinfo at start ==\n");
	kmem_show_buddyinfo(stdout);

	for (nid = 0; nid < (int)info.nr_nodes && nid < 64; nid++)
		for (order = 0; order < 4; order++)
			for (i = 0; i < PER_ORDER; i++) {
				held[nid][order][i] = alloc_pages_node(nid, GFP_KERNEL | __GFP_THISNODE,
								       (unsigned int)order * 3);
				if (held[nid][order][i])
					memset(page_address(held[nid][order][i]), 0xa5, PAGE_SIZE);
			}

	printf("\n== buddyinfo holding %d blocks of orders 0, 3, 6, 9 on every node ==\n",
	       PER_ORDER);
	kmem_show_buddyinfo(stdout);
	printf("\n== numastat ==\n");
	kmem_show_numastat(stdout);

	for (nid = 0; nid < (int)info.nr_nodes && nid < 64; nid++)
		for (order = 0; order < 4; order++)
			for (i = 0; i < PER_ORDER; i++)
				if (held[nid][order][i])
					__free_pages(held[nid][order][i], (unsigned int)order * 3);
	kmem_drain_all_pages();
	printf("\n== buddyinfo after freeing everything and draining the per-CPU lists ==\n");
	kmem_show_buddyinfo(stdout);
	return 0;
}
