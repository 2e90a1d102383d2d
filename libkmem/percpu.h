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

/*
 * ThreadSanitizer cannot see the hand-off through the rseq assembly (a
 * value pushed by one thread and popped by another on the same CPU), so the
 * sanitizer build tells it: a push releases the stack word, a pop acquires
 * it.  Nothing in other builds.
 */
#if defined(__SANITIZE_THREAD__)
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#define percpu_tsan_release(w)	__tsan_release(w)
#define percpu_tsan_acquire(w)	__tsan_acquire(w)
#else
#define percpu_tsan_release(w)	do { } while (0)
#define percpu_tsan_acquire(w)	do { } while (0)
#endif

enum kmem_pcp_mode {
	KMEM_PCP_RSEQ,
	KMEM_PCP_LOCKED,
};

/* glibc's __rseq_offset, copied at init so the fast path reads no GOT entry. */
extern ptrdiff_t __kmem_rseq_offset;

static __always_inline struct rseq *rseq_area(void)
{
	return (struct rseq *)((char *)__builtin_thread_pointer() + __kmem_rseq_offset);
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
	percpu_tsan_acquire(word);
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

	percpu_tsan_release(word);

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


/*
 * 64-bit slot variants for the slab layer's per-CPU object caches, whose
 * entries are object offsets.  Same contract as the 32-bit ones above.
 */
static __always_inline int percpu_stack_pop64(u64 *word, u64 *slots, int cpu, u64 *out, u64 delta)
{
	struct rseq *rs = rseq_area();
	u64 val;

	/* asm goto with an output: valid on the fall-through path only */
	asm goto(
		__RSEQ_CS(1f, 2f, abort)
		"1:\n\t"
		"cmpl %[cpu], %[cpu_id]\n\t"
		"jnz %l[abort]\n\t"
		"movq %[word], %%rax\n\t"
		"testw %%ax, %%ax\n\t"
		"jz %l[empty]\n\t"
		"movzwl %%ax, %k[val]\n\t"
		"movq -8(%[slots], %[val], 8), %[val]\n\t"
		"addq %[delta], %%rax\n\t"
		"movq %%rax, %[word]\n\t"
		"2:\n\t"
		: [val] "=&r"(val)
		: [cpu_id] "m"(rs->cpu_id), [rseq_cs] "m"(rs->rseq_cs), [cpu] "r"(cpu),
		  [word] "m"(*word), [slots] "r"(slots), [delta] "r"(delta)
		: "memory", "cc", "rax"
		: abort, empty);
	*out = val;
	percpu_tsan_acquire(word);
	return 1;
empty:
	return 0;
abort:
	return -1;
}

static __always_inline int percpu_stack_push64(u64 *word, u64 *slots, int cpu, u32 limit, u64 val)
{
	struct rseq *rs = rseq_area();

	percpu_tsan_release(word);

	asm goto(
		__RSEQ_CS(1f, 2f, abort)
		"1:\n\t"
		"cmpl %[cpu], %[cpu_id]\n\t"
		"jnz %l[abort]\n\t"
		"movq %[word], %%rax\n\t"
		"movzwl %%ax, %%ecx\n\t"
		"cmpl %[limit], %%ecx\n\t"
		"jae %l[full]\n\t"
		"movq %[val], (%[slots], %%rcx, 8)\n\t"
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

/*
 * percpu_stack_push64_bulk - push up to @n values from @src, as many as fit
 * under @limit, in one sequence.  *@pushed is written before the commit
 * (a restart rewrites it).  Return: 1 committed (*@pushed may be 0 when the
 * stack is full); -1 aborted.
 */
static __always_inline int percpu_stack_push64_bulk(u64 *word, u64 *slots, int cpu, u32 limit,
						    const u64 *src, u32 n, u32 *pushed)
{
	struct rseq *rs = rseq_area();

	percpu_tsan_release(word);

	asm goto(
		__RSEQ_CS(1f, 2f, abort)
		"1:\n\t"
		"cmpl %[cpu], %[cpu_id]\n\t"
		"jnz %l[abort]\n\t"
		"movq %[word], %%rax\n\t"
		"movzwl %%ax, %%ecx\n\t"		/* ecx = count */
		"movl %[limit], %%edx\n\t"
		"subl %%ecx, %%edx\n\t"			/* edx = room */
		"cmpl %[n], %%edx\n\t"
		"cmoval %[n], %%edx\n\t"		/* edx = min(room, n) */
		"movl %%edx, (%[pushed])\n\t"
		"testl %%edx, %%edx\n\t"
		"jz 2f\n\t"
		"xorl %%r8d, %%r8d\n\t"
		"5:\n\t"
		"movq (%[src], %%r8, 8), %%r9\n\t"
		"leaq (%%rcx, %%r8), %%r10\n\t"
		"movq %%r9, (%[slots], %%r10, 8)\n\t"
		"incl %%r8d\n\t"
		"cmpl %%edx, %%r8d\n\t"
		"jne 5b\n\t"
		"addq %%rdx, %%rax\n\t"
		"movq %%rax, %[word]\n\t"
		"2:\n\t"
		:
		: [cpu_id] "m"(rs->cpu_id), [rseq_cs] "m"(rs->rseq_cs), [cpu] "r"(cpu),
		  [word] "m"(*word), [slots] "r"(slots), [limit] "r"(limit), [src] "r"(src),
		  [n] "r"(n), [pushed] "r"(pushed)
		: "memory", "cc", "rax", "rcx", "rdx", "r8", "r9", "r10"
		: abort);
	return 1;
abort:
	return -1;
}

/*
 * percpu_stack_pop64_bulk - pop up to @n values into @dst (top first) in
 * one sequence, counting no events.  Return: 1 with *@popped set; -1 aborted.
 */
static __always_inline int percpu_stack_pop64_bulk(u64 *word, u64 *slots, int cpu, u64 *dst,
						   u32 n, u32 *popped)
{
	struct rseq *rs = rseq_area();

	asm goto(
		__RSEQ_CS(1f, 2f, abort)
		"1:\n\t"
		"cmpl %[cpu], %[cpu_id]\n\t"
		"jnz %l[abort]\n\t"
		"movq %[word], %%rax\n\t"
		"movzwl %%ax, %%ecx\n\t"		/* ecx = count */
		"movl %[n], %%edx\n\t"
		"cmpl %%ecx, %%edx\n\t"
		"cmoval %%ecx, %%edx\n\t"		/* edx = min(n, count) */
		"movl %%edx, (%[popped])\n\t"
		"testl %%edx, %%edx\n\t"
		"jz 2f\n\t"
		"xorl %%r8d, %%r8d\n\t"
		"5:\n\t"
		"decl %%ecx\n\t"
		"movq (%[slots], %%rcx, 8), %%r9\n\t"
		"movq %%r9, (%[dst], %%r8, 8)\n\t"
		"incl %%r8d\n\t"
		"cmpl %%edx, %%r8d\n\t"
		"jne 5b\n\t"
		"subq %%rdx, %%rax\n\t"
		"movq %%rax, %[word]\n\t"
		"2:\n\t"
		:
		: [cpu_id] "m"(rs->cpu_id), [rseq_cs] "m"(rs->rseq_cs), [cpu] "r"(cpu),
		  [word] "m"(*word), [slots] "r"(slots), [dst] "r"(dst), [n] "r"(n),
		  [popped] "r"(popped)
		: "memory", "cc", "rax", "rcx", "rdx", "r8", "r9"
		: abort);
	percpu_tsan_acquire(word);
	return 1;
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
static __always_inline int percpu_stack_pop64(u64 *word, u64 *slots, int cpu, u64 *out, u64 delta)
{
	return -1;
}
static __always_inline int percpu_stack_push64(u64 *word, u64 *slots, int cpu, u32 limit, u64 val)
{
	return -1;
}
static __always_inline int percpu_stack_push64_bulk(u64 *word, u64 *slots, int cpu, u32 limit,
						    const u64 *src, u32 n, u32 *pushed)
{
	return -1;
}
static __always_inline int percpu_stack_pop64_bulk(u64 *word, u64 *slots, int cpu, u64 *dst,
						   u32 n, u32 *popped)
{
	return -1;
}
#endif

/*
 * The same operations for KMEM_PCP_LOCKED mode: caller holds the stack's
 * lock.  The word is stored with WRITE_ONCE: the statistics (pcp counts,
 * numastat) read it without the lock.
 */
static inline int percpu_stack_pop_locked(u64 *word, u32 *slots, u32 *out, u64 delta)
{
	u64 w = *word;

	if (!(w & PCP_COUNT_MASK))
		return 0;
	*out = slots[(w & PCP_COUNT_MASK) - 1];
	WRITE_ONCE(*word, w + delta);
	return 1;
}

static inline int percpu_stack_push_locked(u64 *word, u32 *slots, u32 limit, u32 val)
{
	u64 w = *word;

	if ((w & PCP_COUNT_MASK) >= limit)
		return 0;
	slots[w & PCP_COUNT_MASK] = val;
	WRITE_ONCE(*word, w + 1);
	return 1;
}

static inline int percpu_stack_pop64_locked(u64 *word, u64 *slots, u64 *out, u64 delta)
{
	u64 w = *word;

	if (!(w & PCP_COUNT_MASK))
		return 0;
	*out = slots[(w & PCP_COUNT_MASK) - 1];
	WRITE_ONCE(*word, w + delta);
	return 1;
}

static inline int percpu_stack_push64_locked(u64 *word, u64 *slots, u32 limit, u64 val)
{
	u64 w = *word;

	if ((w & PCP_COUNT_MASK) >= limit)
		return 0;
	slots[w & PCP_COUNT_MASK] = val;
	WRITE_ONCE(*word, w + 1);
	return 1;
}

#endif /* _KMEM_PERCPU_H */
