/* SPDX-License-Identifier: MIT */
/*
 * cpu_relax(), as the kernel's <asm/processor.h> has it: the hint a
 * busy-wait loop gives the CPU (PAUSE on x86, YIELD on arm64), which saves
 * power and lets the sibling hyperthread run.  It is no scheduler yield.
 */
#ifndef _LINUX_PROCESSOR_H
#define _LINUX_PROCESSOR_H

#if defined(__x86_64__) || defined(__i386__)
#define cpu_relax()	__asm__ __volatile__("pause" : : : "memory")
#elif defined(__aarch64__)
#define cpu_relax()	__asm__ __volatile__("yield" : : : "memory")
#else
#define cpu_relax()	__asm__ __volatile__("" : : : "memory")
#endif

#endif /* _LINUX_PROCESSOR_H */
