/* SPDX-License-Identifier: MIT */
#ifndef _LINUX_TOPOLOGY_H
#define _LINUX_TOPOLOGY_H

#include <kmem/kmem.h>
#include <linux/numa.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * numa_node_id - the node of the CPU the caller runs on (a fake node under
 * fake NUMA).  Context: any; the answer can be stale as soon as it returns.
 */
KMEM_API int numa_node_id(void);
/** cpu_to_node - the node of CPU @cpu. */
KMEM_API int cpu_to_node(int cpu);
/** raw_smp_processor_id - the CPU the caller runs on (from rseq when registered). */
KMEM_API int raw_smp_processor_id(void);
#define smp_processor_id()	raw_smp_processor_id()
/** num_online_nodes - how many nodes kmem runs (nr_node_ids). */
KMEM_API int num_online_nodes(void);
#define nr_node_ids		num_online_nodes()
/** node_distance - SLIT-style distance from node @a to node @b (10 = local). */
KMEM_API int node_distance(int a, int b);
/** cache_line_size - the L1 data cache line size hwloc reported. */
KMEM_API int cache_line_size(void);

#ifdef __cplusplus
}
#endif

#endif /* _LINUX_TOPOLOGY_H */
