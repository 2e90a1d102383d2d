/* SPDX-License-Identifier: MIT */
/*
 * atomic_ops.h - the C side of bench_atomic: one pair of each atomic-section
 * helper per call (enter + leave), and the references they are compared
 * with.  atomic_ops.c is the only file of it that includes kmem's headers.
 */
#ifndef KMEM_BENCH_ATOMIC_OPS_H
#define KMEM_BENCH_ATOMIC_OPS_H

#ifdef __cplusplus
extern "C" {
#endif

/** bench_atomic_init - kmem_init() small and quiet, then $KMEM_OPTIONS. Return: 0 or -errno. */
int bench_atomic_init(void);

/* References */
void bench_atomic_call(void);			/* an empty out-of-line call */
void bench_atomic_mutex_pair(void);		/* pthread_mutex_lock + unlock, one shared mutex */
void bench_atomic_pthread_spin_pair(void);	/* pthread_spin_lock + unlock, one shared lock */
void bench_atomic_sigmask_pair(void);		/* pthread_sigmask(SIG_BLOCK, all) + SIG_SETMASK */

/* kmem's helpers */
void bench_atomic_preempt_pair(void);		/* preempt_disable + preempt_enable */
void bench_atomic_irqsave_pair(void);		/* local_irq_save + local_irq_restore */
void bench_atomic_spin_pair(void);		/* spin_lock + spin_unlock, one shared lock */
void bench_atomic_spin_irqsave_pair(void);	/* spin_lock_irqsave + spin_unlock_irqrestore */
void bench_atomic_spin_bh_pair(void);		/* spin_lock_bh + spin_unlock_bh */
void bench_atomic_might_sleep(void);		/* might_sleep() outside any section */
/* Interrupts off / on around a run (for nested local_irq_save pairs). */
void bench_atomic_irq_off(void);
void bench_atomic_irq_on(void);

/* kmalloc(64) + kfree(): plain, GFP_ATOMIC in a section, GFP_KERNEL in one (reported once) */
void bench_atomic_kmalloc_kernel(void);
void bench_atomic_kmalloc_atomic_in_section(void);
void bench_atomic_kmalloc_kernel_in_section(void);

#ifdef __cplusplus
}
#endif

#endif /* KMEM_BENCH_ATOMIC_OPS_H */
