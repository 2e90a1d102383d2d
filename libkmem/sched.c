// SPDX-License-Identifier: MIT
/*
 * sched.c - atomic sections and might_sleep(): the out-of-line halves of
 * <linux/preempt.h>, <linux/irqflags.h>, <linux/spinlock.h> and
 * <linux/might_sleep.h>, and the allocators' might_alloc() check.
 *
 * State: one thread-local word, __kmem_preempt_count, holding the kernel's
 * preempt_count fields (preemption, softirq, hardirq, NMI), a bit for
 * "interrupts (signals) off" and kmem's rcu_read_lock() nesting; layout in
 * <linux/preempt.h>.  The word is zero exactly when the thread may sleep,
 * so every check on a fast path is one thread-local load.  The inline
 * helpers in the headers change it; this file holds what they call:
 *
 *   local_irq_save()/local_irq_disable() with signals on
 *     __kmem_local_irq_disable()   block signals, save the old mask in
 *                                  irq_saved_mask, set KMEM_IRQS_OFF
 *   local_irq_restore()/local_irq_enable() back to on
 *     __kmem_local_irq_enable()    clear KMEM_IRQS_OFF, then set the
 *                                  saved mask (pending signals run)
 *   spin_lock() on a held lock
 *     __kmem_spin_lock_slow()      read-spin with cpu_relax(), then yield
 *   might_sleep() in atomic context                  (public macro)
 *     __kmem_might_sleep()   --+
 *   might_alloc() in atomic context, GFP_KERNEL-like   (internal.h)
 *     __kmem_might_alloc_atomic()   also drops __GFP_DIRECT_RECLAIM
 *   vmalloc() in atomic context                        (internal.h)
 *     __kmem_might_sleep_caller() --+-> first_report_at(site)
 *                                        -> __might_resched()  the report
 *
 * The mask is saved in a thread-local variable while KMEM_IRQS_OFF is set,
 * and written and read only with every asynchronous signal blocked, so no
 * handler of this thread can see it half-written or overwrite it.
 *
 * Reported call sites: a lock-free open-addressed table of return
 * addresses, filled with compare-and-swap and never emptied.  When it is
 * full, reports fall back to the kernel's global limit of one a second.
 *
 * Lock order: no lock of its own; reports go through debug.c's report_lock.
 */
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <link.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <linux/spinlock.h>

#include "internal.h"
#include "os.h"

/* Spins (cpu_relax() between reads) before a waiter starts to yield. */
#define SPIN_BEFORE_YIELD	256
/* Call sites remembered as reported; a power of two. */
#define REPORTED_SITES		1024
/* Frames a report's Call Trace shows at most. */
#define TRACE_FRAMES		16

__thread unsigned long __kmem_preempt_count __attribute__((tls_model("initial-exec")));

/* The thread's signal mask before its outermost local_irq_save(). */
static __thread sigset_t irq_saved_mask;

static uintptr_t reported_sites[REPORTED_SITES];
static u64 sites_full_last_ns;
static unsigned int sites_full_burst;

/* ------------------------------------------------------------------ */
/* Interrupts (signals)                                                */
/* ------------------------------------------------------------------ */

void __kmem_local_irq_disable(void)
{
	KMEM_DEBUG_ON(__kmem_preempt_count & KMEM_IRQS_OFF);
	/* From here no handler runs on this thread, so the stash is ours. */
	os_block_async_signals(&irq_saved_mask);
	__kmem_preempt_count |= KMEM_IRQS_OFF;
	barrier();
}

void __kmem_local_irq_enable(void)
{
	KMEM_DEBUG_ON(!(__kmem_preempt_count & KMEM_IRQS_OFF));
	barrier();
	/* Still blocked: a handler runs only once the mask is set, and sees "on". */
	__kmem_preempt_count &= ~KMEM_IRQS_OFF;
	barrier();
	os_set_sigmask(&irq_saved_mask);
}

/* ------------------------------------------------------------------ */
/* Spinlocks                                                           */
/* ------------------------------------------------------------------ */

/*
 * Test-and-test-and-set: wait reading the word (shared cache line, no
 * stores), try the exchange only when it reads free.  A holder can be
 * preempted here, unlike in the kernel, so after a bounded spin the waiter
 * yields the CPU on every further round instead of burning its slice.
 */
void __kmem_spin_lock_slow(arch_spinlock_t *lock)
{
	unsigned int spins = 0;

	do {
		while (__atomic_load_n(&lock->locked, __ATOMIC_RELAXED)) {
			if (spins < SPIN_BEFORE_YIELD) {
				spins++;
				cpu_relax();
			} else {
				os_yield();
			}
		}
	} while (__atomic_exchange_n(&lock->locked, 1, __ATOMIC_ACQUIRE));
}

/* ------------------------------------------------------------------ */
/* Reports                                                             */
/* ------------------------------------------------------------------ */

static size_t __printf(4, 5) append(char *buf, size_t len, size_t used, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (used >= len)
		return used;
	va_start(ap, fmt);
	n = vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
	if (n < 0)
		return used;
	return used + (size_t)n < len ? used + (size_t)n : len - 1;
}

/* One Call Trace line, as the kernel's %pS: symbol+offset/size [object]. */
static size_t append_frame(char *buf, size_t len, size_t used, const void *addr)
{
	const ElfW(Sym) *sym = NULL;
	const char *obj;
	Dl_info info;

	if (!dladdr1(addr, &info, (void **)&sym, RTLD_DL_SYMENT) || !info.dli_fname)
		return append(buf, len, used, " ? %p\n", addr);
	obj = strrchr(info.dli_fname, '/');
	obj = obj ? obj + 1 : info.dli_fname;
	if (info.dli_sname && info.dli_saddr)
		return append(buf, len, used, " %s+0x%lx/0x%lx [%s]\n", info.dli_sname,
			      (unsigned long)((const char *)addr - (const char *)info.dli_saddr),
			      sym ? (unsigned long)sym->st_size : 0UL, obj);
	return append(buf, len, used, " ? %s+0x%lx\n", obj,
		      (unsigned long)((const char *)addr - (const char *)info.dli_fbase));
}

/*
 * The kernel's dump_stack(): who and where, then the frames above this
 * report.  backtrace() is skipped in a handler nested in one of kmem's own
 * sections (its first call loads libgcc); @caller is printed instead.
 */
static noinline size_t append_dump_stack(char *buf, size_t len, size_t used, const void *caller)
{
	void *frames[TRACE_FRAMES + 2];
	int i, n = 0;

	used = append(buf, len, used, "CPU: %d PID: %d Comm: %s\nCall Trace:\n <TASK>\n",
		      os_getcpu(), os_gettid(), os_comm());
	if (!kmem_in_locked_section())
		n = backtrace(frames, TRACE_FRAMES + 2);
	if (n <= 2)
		used = append_frame(buf, len, used, caller);
	/* frames[0] is this function, frames[1] the report's */
	for (i = 2; i < n; i++)
		used = append_frame(buf, len, used, frames[i]);
	return append(buf, len, used, " </TASK>\n");
}

/* Is this the first report for @site?  Lock-free; see the top comment. */
static bool first_report_at(const void *site)
{
	uintptr_t key = (uintptr_t)site ? (uintptr_t)site : 1, cur;
	unsigned int h = (unsigned int)(((u64)key * 0x9E3779B97F4A7C15ULL) >> 40), i;

	for (i = 0; i < REPORTED_SITES; i++) {
		uintptr_t *slot = &reported_sites[(h + i) & (REPORTED_SITES - 1)];

		cur = __atomic_load_n(slot, __ATOMIC_RELAXED);
		if (!cur && __atomic_compare_exchange_n(slot, &cur, key, false, __ATOMIC_RELAXED,
							__ATOMIC_RELAXED))
			return true;
		if (cur == key)
			return false;
	}
	return __kmem_ratelimit(&sites_full_last_ns, &sites_full_burst, 1000, 1);
}

/* The kernel's __might_resched() report, for the word as it is now. */
static noinline __cold void __might_resched(const char *file, int line, const void *caller)
{
	unsigned long count = __kmem_preempt_count;
	unsigned int pc = (unsigned int)(count & KMEM_PREEMPT_COUNT_MASK);
	int saved_errno = errno;
	char buf[1900];
	size_t n;

	n = append(buf, sizeof(buf), 0,
		   "BUG: sleeping function called from invalid context at %s:%d\n"
		   "in_atomic(): %d, irqs_disabled(): %d, non_block: 0, pid: %d, name: %s\n"
		   "preempt_count: %x, expected: 0\n"
		   "RCU nest depth: %u, expected: 0\n",
		   file, line, pc != 0, !!(count & KMEM_IRQS_OFF), os_gettid(), os_comm(), pc,
		   (unsigned int)(count >> KMEM_RCU_SHIFT));
	append_dump_stack(buf, sizeof(buf), n, caller);
	__kmem_printk("%s", buf);
	errno = saved_errno;
}

void __kmem_might_sleep(const char *file, int line)
{
	const void *site = __builtin_return_address(0);

	if (__kmem_preempt_count && first_report_at(site))
		__might_resched(file, line, site);
}

void __kmem_might_sleep_caller(const char *file, int line, const void *caller)
{
	if (__kmem_preempt_count && first_report_at(caller))
		__might_resched(file, line, caller);
}

/*
 * might_alloc() found a request that may sleep (__GFP_DIRECT_RECLAIM) in
 * atomic context: report it once for the allocator's @caller, as the
 * kernel's might_alloc() -> might_sleep_if() would at @file:@line, and let
 * it go on as a request that must not sleep -- no direct reclaim, no
 * waiting, no reserves beyond what ALLOC_NON_BLOCK grants.
 */
gfp_t __kmem_might_alloc_atomic(gfp_t gfp, const void *caller, const char *file, int line)
{
	if (first_report_at(caller))
		__might_resched(file, line, caller);
	return gfp & ~__GFP_DIRECT_RECLAIM;
}

void __kmem_cant_sleep(const char *file, int line)
{
	const void *site = __builtin_return_address(0);
	unsigned long count = __kmem_preempt_count;
	int saved_errno = errno;
	char buf[1900];
	size_t n;

	if (count & (KMEM_PREEMPT_COUNT_MASK | KMEM_IRQS_OFF) || !first_report_at(site))
		return;
	n = append(buf, sizeof(buf), 0,
		   "BUG: assuming atomic context at %s:%d\n"
		   "in_atomic(): %d, irqs_disabled(): %d, pid: %d, name: %s\n",
		   file, line, 0, 0, os_gettid(), os_comm());
	append_dump_stack(buf, sizeof(buf), n, site);
	__kmem_printk("%s", buf);
	errno = saved_errno;
}

void __kmem_preempt_count_underflow(unsigned long val)
{
	const void *site = __builtin_return_address(0);
	int saved_errno = errno;
	char buf[1900];
	size_t n;

	if (!first_report_at(site))
		return;
	n = append(buf, sizeof(buf), 0,
		   "DEBUG_LOCKS_WARN_ON(val > preempt_count())\n"
		   "WARNING: preempt_count underflow: preempt_count_sub(%#lx) with "
		   "preempt_count: %x, pid: %d, name: %s\n",
		   val, (unsigned int)(__kmem_preempt_count & KMEM_PREEMPT_COUNT_MASK),
		   os_gettid(), os_comm());
	append_dump_stack(buf, sizeof(buf), n, site);
	__kmem_printk("%s", buf);
	errno = saved_errno;
}

void __kmem_spin_bug(const void *lock, const char *what, const char *file, int line)
{
	char buf[1900];
	size_t n;

	n = append(buf, sizeof(buf), 0, "kernel BUG at %s:%d! (%s: lock %p) in process %s\n",
		   file, line, what, lock, os_comm());
	append_dump_stack(buf, sizeof(buf), n, __builtin_return_address(0));
	__kmem_printk("%s", buf);
	abort();
}
