/* SPDX-License-Identifier: MIT */
#ifndef _LINUX_NUMA_H
#define _LINUX_NUMA_H

/* "No preference": allocate on the node of the CPU the caller runs on. */
#define NUMA_NO_NODE	(-1)

#endif /* _LINUX_NUMA_H */
