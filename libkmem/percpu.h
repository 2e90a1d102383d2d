/* SPDX-License-Identifier: MIT */
/*
 * Per-CPU stacks of u32 values over restartable sequences.
 *
 * A per-CPU stack is a u64 word (count in the low 16 bits, an event counter
 * above, see PCP_COUNT_MASK) and an array of slots.  Only the CPU a stack
 * belongs to touches it, inside an rseq critical section that commits with
 * one store to the word: preemption, migration or a signal before that
 * store makes the kernel restart us at the abort handler, and after it the
 * operation is complete.  So no lock and no atomic read-modify-write, in any
 * number of threads and processes sharing the memory, since a CPU runs one
 * thread at a time.  (tcmalloc's per-CPU caches do the same.)
 *
 * The cpu the caller read from the rseq area is checked again inside the
 * section, so a stack of CPU n is only ever written while running on n.
 *
 * Modes, fixed at kmem_init():
 *   KMEM_PCP_RSEQ    glibc registered rseq: the sequences below.  A thread
 *                    whose rseq area is not registered gets no per-CPU
 *                    stack and takes the zone-locked path.
 *   KMEM_PCP_LOCKED  rseq unavailable (Valgrind, glibc.pthread.rseq=0): each
 *                    per-CPU stack is guarded by a mutex, and sched_getcpu()
 *                    picks which.  Never mixed with the rseq mode.
 */
#ifndef _KMEM_PERCPU_H
#define _KMEM_PERCPU_H

#include <sys/rseq.h>
#include <linux/compiler.h>
#include <linux/types.h>

#include "types.h"

enum kmem_pcp_mode {
	KMEM_PCP_RSEQ,
	KMEM_PCP_LOCKED,
};

static __always_inline struct rseq *rseq_area(void)
{
	return (struct rseq *)((char *)__builtin_thread_pointer() + __rseq_offset);
}

/* The CPU we run on, or a negative value when this thread has no rseq. */
static __always_inline int rseq_current_cpu(void)
{
	return (int)READ_ONCE(rseq_area()->cpu_id);
}

#if defined(__x86_64__)

/*
 * The rseq_cs descriptor and the abort handler, which the kernel requires to
 * be preceded by the signature glibc registered (RSEQ_SIG).  ud1 with the
 * signature as its displacement keeps the bytes a valid instruction, as
 * librseq and the kernel selftests do.
 */
#define __RSEQ_CS(start, post, abort_label)					\
	".pushsection __rseq_cs, \"aw\"\n\t"					\
	".balign 32\n\t"							\
	"3:\n\t"								\
	".long 0x0, 0x0\n\t"							\
	".quad " #start ", (" #post " - " #start "), 4f\n\t"			\
	".popsection\n\t"							\
	".pushsection __rseq_failure, \"ax\"\n\t"				\
	".byte 0x0f, 0xb9, 0x3d\n\t"						\
	".long " __stringify(RSEQ_SIG) "\n\t"					\
	"4:\n\t"								\
	"jmp %l[" #abort_label "]\n\t"						\
	".popsection\n\t"							\
	"leaq 3b(%%rip), %%rax\n\t"						\
	"movq %%rax, %[rseq_cs]\n\t"

/* What a pop adds to the word: one entry fewer, and one event or none. */
#define PCP_POP_COUNTED		(PCP_ALLOC_ONE - 1)
#define PCP_POP_UNCOUNTED	((u64)-1)

/*
 * percpu_stack_pop - take the top value off CPU @cpu's stack.
 * @delta: PCP_POP_COUNTED for an allocation (counts an event in the same
 *	store), PCP_POP_UNCOUNTED for a flush or drain
 * Return: 1 and *@out set; 0 when the stack is empty; -1 when the sequence
 * was aborted (preempted, migrated, or @cpu is not the current CPU).
 */
static __always_inline int percpu_stack_pop(u64 *word, u32 *slots, int cpu, u32 *out, u64 delta)
{
	struct rseq *rs = rseq_area();

	asm goto(
		__RSEQ_CS(1f, 2f, abort)
		"1:\n\t"
		"cmpl %[cpu], %[cpu_id]\n\t"
		"jnz %l[abort]\n\t"
		"movq %[word], %%rax\n\t"
		"testw %%ax, %%ax\n\t"
		"jz %l[empty]\n\t"
		"movzwl %%ax, %%ecx\n\t"
		"movl -4(%[slots], %%rcx, 4), %%ecx\n\t"
		"movl %%ecx, (%[out])\n\t"
		/* count >= 1, so count - 1 never borrows from the event counter */
		"addq %[delta], %%rax\n\t"
		"movq %%rax, %[word]\n\t"
		"2:\n\t"
		:
		: [cpu_id] "m"(rs->cpu_id), [rseq_cs] "m"(rs->rseq_cs), [cpu] "r"(cpu),
		  [word] "m"(*word), [slots] "r"(slots), [out] "r"(out), [delta] "r"(delta)
		: "memory", "cc", "rax", "rcx"
		: abort, empty);
	return 1;
empty:
	return 0;
abort:
	return -1;
}

/*
 * percpu_stack_push - push @val onto CPU @cpu's stack if it holds fewer than
 * @limit values.  The slot is written before the commit; an abort leaves it
 * outside the stack, so the write is harmless.
 * Return: 1 pushed; 0 full; -1 aborted.
 */
static __always_inline int percpu_stack_push(u64 *word, u32 *slots, int cpu, u32 limit, u32 val)
{
	struct rseq *rs = rseq_area();

	asm goto(
		__RSEQ_CS(1f, 2f, abort)
		"1:\n\t"
		"cmpl %[cpu], %[cpu_id]\n\t"
		"jnz %l[abort]\n\t"
		"movq %[word], %%rax\n\t"
		"movzwl %%ax, %%ecx\n\t"
		"cmpl %[limit], %%ecx\n\t"
		"jae %l[full]\n\t"
		"movl %[val], (%[slots], %%rcx, 4)\n\t"
		"addq $1, %%rax\n\t"
		"movq %%rax, %[word]\n\t"
		"2:\n\t"
		:
		: [cpu_id] "m"(rs->cpu_id), [rseq_cs] "m"(rs->rseq_cs), [cpu] "r"(cpu),
		  [word] "m"(*word), [slots] "r"(slots), [limit] "r"(limit), [val] "r"(val)
		: "memory", "cc", "rax", "rcx"
		: abort, full);
	return 1;
full:
	return 0;
abort:
	return -1;
}

#define KMEM_HAVE_RSEQ_ASM 1
#else
#define KMEM_HAVE_RSEQ_ASM 0
static __always_inline int percpu_stack_pop(u64 *word, u32 *slots, int cpu, u32 *out, u64 delta)
{
	return -1;
}
static __always_inline int percpu_stack_push(u64 *word, u32 *slots, int cpu, u32 limit, u32 val)
{
	return -1;
}
#endif

/* The same operations for KMEM_PCP_LOCKED mode: caller holds the stack's lock. */
static inline int percpu_stack_pop_locked(u64 *word, u32 *slots, u32 *out, u64 delta)
{
	u64 w = *word;

	if (!(w & PCP_COUNT_MASK))
		return 0;
	*out = slots[(w & PCP_COUNT_MASK) - 1];
	*word = w + delta;
	return 1;
}

static inline int percpu_stack_push_locked(u64 *word, u32 *slots, u32 limit, u32 val)
{
	u64 w = *word;

	if ((w & PCP_COUNT_MASK) >= limit)
		return 0;
	slots[w & PCP_COUNT_MASK] = val;
	*word = w + 1;
	return 1;
}

#endif /* _KMEM_PERCPU_H */
