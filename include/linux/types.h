/* SPDX-License-Identifier: MIT */
/*
 * The kernel's fixed-width types.  <linux/types.h> is also a uapi name that
 * system headers such as <linux/userfaultfd.h> include for __u64 and friends,
 * so this file chains to the system copy first and only adds the in-kernel
 * names on top; it therefore uses a guard of its own.
 */
#ifndef _KMEM_LINUX_TYPES_H
#define _KMEM_LINUX_TYPES_H

#include_next <linux/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/compiler.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

/** gfp_t - allocation flags, see <linux/gfp_types.h> */
typedef unsigned int __bitwise gfp_t;
/** phys_addr_t - a physical address; see page_to_phys() for what "physical" means in kmem */
typedef u64 phys_addr_t;
typedef u64 dma_addr_t;
typedef unsigned long pgoff_t;

#endif /* _KMEM_LINUX_TYPES_H */
