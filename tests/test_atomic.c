// SPDX-License-Identifier: MIT
/*
 * Atomic context (libkmem/sched.c and the inline helpers of
 * <linux/preempt.h>, <linux/irqflags.h>, <linux/spinlock.h>,
 * <linux/might_sleep.h>): the kernel's "sleeping function called from
 * invalid context" report, word for word, inside each kind of section;
 * once per call site; sleeping allocations made there still succeed,
 * without reclaim; nothing is reported outside sections or for GFP_ATOMIC
 * and GFP_NOWAIT inside; vmalloc() reports, kvmalloc() with non-blocking
 * flags stays on kmalloc(); local_irq_save() really blocks signals and
 * nests; spinlocks exclude under four threads; spin_trylock(); guards.
 *
 * The report's Call Trace names the caller: the functions that allocate in
 * the report tests are global, and this program is linked with
 * ENABLE_EXPORTS (-rdynamic) so that dladdr() can name them.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/bottom_half.h>
#include <linux/hardirq.h>
#include <linux/irqflags.h>
#include <linux/might_sleep.h>
#include <linux/mm.h>
#include <linux/preempt.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/vmalloc.h>

#include "internal.h"
#include "kunit.h"

#define REPORT_HEAD	"BUG: sleeping function called from invalid context at "

static DEFINE_SPINLOCK(lock_a);
static DEFINE_SPINLOCK(lock_b);

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static int suite_init(void)
{
	if (kt_init("fake_numa=1,direct_mb=32,highmem_mb=8,hugepages=never"))
		return -1;
	return 0;
}

static int suite_exit(void)
{
	kt_capture_stop();
	kmem_exit();
	return 0;
}

static const char *comm(void)
{
	static char name[17];

	if (prctl(PR_GET_NAME, name) != 0)
		strcpy(name, "?");
	return name;
}

/*
 * One report was captured, made at a call site in @where ("libkmem/slub.c:"
 * or "file.c:123\n"), with these values, and its trace names @symbol.
 */
#define check_report(where, atomic, irqs, pc, rcu, symbol)			\
	__check_report(__LINE__, where, atomic, irqs, pc, rcu, symbol)
static void __check_report(int line, const char *where, int atomic, int irqs, unsigned int pc,
			   unsigned int rcu, const char *symbol)
{
	const char *text = kt_captured_text();
	char want[512], head[256];
	bool ok;

	CU_assertImplementation(kt_captured_count() == 1, line, "exactly one report", __FILE__,
				"", CU_FALSE);
	snprintf(head, sizeof(head), REPORT_HEAD "%s", where);
	ok = strncmp(text, head, strlen(head)) == 0;
	if (!ok)
		fprintf(stderr, "\n  want a report at %s, got:\n%s", where, text);
	CU_assertImplementation(ok, line, "report's first line", __FILE__, "", CU_FALSE);
	snprintf(want, sizeof(want),
		 "\nin_atomic(): %d, irqs_disabled(): %d, non_block: 0, pid: %d, name: %s\n"
		 "preempt_count: %x, expected: 0\n"
		 "RCU nest depth: %u, expected: 0\n"
		 "CPU: ", atomic, irqs, (int)gettid(), comm(), pc, rcu);
	ok = strstr(text, want) != NULL;
	if (!ok)
		fprintf(stderr, "\n  want:%s\n  got:\n%s", want, text);
	CU_assertImplementation(ok, line, "report's state lines", __FILE__, "", CU_FALSE);
	snprintf(want, sizeof(want), " PID: %d Comm: %s\nCall Trace:\n <TASK>\n", (int)gettid(),
		 comm());
	CU_assertImplementation(strstr(text, want) != NULL, line, "CPU/PID/Comm and Call Trace",
				__FILE__, "", CU_FALSE);
	CU_assertImplementation(strstr(text, " </TASK>\n") != NULL, line, "end of trace",
				__FILE__, "", CU_FALSE);
	if (symbol) {
		snprintf(want, sizeof(want), " %s+0x", symbol);
		ok = strstr(text, want) != NULL;
		if (!ok)
			fprintf(stderr, "\n  want %s in the trace:\n%s", symbol, text);
		CU_assertImplementation(ok, line, "the trace names the caller", __FILE__, "",
					CU_FALSE);
	}
}

/* ------------------------------------------------------------------ */
/* Counting                                                            */
/* ------------------------------------------------------------------ */

static void test_sizes_and_init(void)
{
	spinlock_t l;

	BUILD_BUG_ON(sizeof(spinlock_t) != 4);
	BUILD_BUG_ON(sizeof(raw_spinlock_t) != 4);
	CU_ASSERT_FALSE(spin_is_locked(&lock_a));
	spin_lock_init(&l);
	CU_ASSERT_FALSE(spin_is_locked(&l));
	spin_lock(&l);
	CU_ASSERT_TRUE(spin_is_locked(&l));
	spin_unlock(&l);
	CU_ASSERT_FALSE(spin_is_locked(&l));
}

static void test_context_counts(void)
{
	KT_ASSERT_EQ(preempt_count(), 0);
	CU_ASSERT_FALSE(in_atomic());
	CU_ASSERT_TRUE(in_task());
	CU_ASSERT_TRUE(preemptible());
	CU_ASSERT_FALSE(irqs_disabled());

	preempt_disable();
	preempt_disable();
	KT_ASSERT_EQ(preempt_count(), 2);
	CU_ASSERT_TRUE(in_atomic());
	CU_ASSERT_TRUE(in_task());
	CU_ASSERT_FALSE(preemptible());
	preempt_enable();
	preempt_enable();
	KT_ASSERT_EQ(preempt_count(), 0);

	local_bh_disable();
	KT_ASSERT_EQ(preempt_count(), SOFTIRQ_DISABLE_OFFSET);
	CU_ASSERT_TRUE(in_softirq());
	CU_ASSERT_FALSE(in_serving_softirq());
	CU_ASSERT_TRUE(in_task());
	CU_ASSERT_TRUE(in_atomic());
	local_bh_enable();

	irq_enter();
	CU_ASSERT_FALSE(in_task());
	CU_ASSERT_TRUE(in_hardirq());
	CU_ASSERT_TRUE(in_interrupt());
	irq_exit();

	spin_lock_bh(&lock_a);
	KT_ASSERT_EQ(preempt_count(), SOFTIRQ_LOCK_OFFSET);
	spin_unlock_bh(&lock_a);
	KT_ASSERT_EQ(preempt_count(), 0);
	CU_ASSERT_TRUE(in_task());
	CU_ASSERT_TRUE(preemptible());
	KT_ASSERT_EQ(__kmem_preempt_count, 0);
}

static void test_preempt_underflow(void)
{
	kt_capture_start();
	preempt_enable();	/* unbalanced: reported and refused */
	KT_ASSERT_EQ(__kmem_preempt_count, 0);
	CU_ASSERT_TRUE(kt_captured("preempt_count underflow"));
	local_bh_disable();
	preempt_enable();	/* would borrow from the softirq field */
	KT_ASSERT_EQ(preempt_count(), SOFTIRQ_DISABLE_OFFSET);
	local_bh_enable();
	KT_ASSERT_EQ(__kmem_preempt_count, 0);
	KT_ASSERT_EQ(kt_captured_count(), 2);
	kt_capture_stop();
}

/* ------------------------------------------------------------------ */
/* The report, in each kind of section                                 */
/* ------------------------------------------------------------------ */

void atomic_report_preempt(void);
void atomic_report_preempt(void)
{
	void *p;

	kt_capture_start();
	preempt_disable();
	p = kmalloc(64, GFP_KERNEL);
	preempt_enable();
	CU_ASSERT_PTR_NOT_NULL(p);
	check_report("libkmem/slub.c:", 1, 0, 1, 0, "atomic_report_preempt");
	kfree(p);
	kt_capture_stop();
}

void atomic_report_irqsave(void);
void atomic_report_irqsave(void)
{
	unsigned long flags;
	void *p;

	kt_capture_start();
	local_irq_save(flags);
	p = kmalloc(128, GFP_KERNEL);
	local_irq_restore(flags);
	CU_ASSERT_PTR_NOT_NULL(p);
	/* the kernel's in_atomic() does not see interrupts off, nor does ours */
	check_report("libkmem/slub.c:", 0, 1, 0, 0, "atomic_report_irqsave");
	kfree(p);
	kt_capture_stop();
}

void atomic_report_spin_lock(void);
void atomic_report_spin_lock(void)
{
	struct page *page;

	kt_capture_start();
	spin_lock(&lock_a);
	page = alloc_pages(GFP_KERNEL, 2);
	spin_unlock(&lock_a);
	CU_ASSERT_PTR_NOT_NULL(page);
	check_report("libkmem/page_alloc.c:", 1, 0, 1, 0, "atomic_report_spin_lock");
	if (page)
		__free_pages(page, 2);
	kt_capture_stop();
}

void atomic_report_spin_lock_irqsave(void);
void atomic_report_spin_lock_irqsave(void)
{
	unsigned long flags;
	void *p;

	kt_capture_start();
	spin_lock_irqsave(&lock_a, flags);
	p = kzalloc(32 << 10, GFP_KERNEL);	/* large: the page allocator's check */
	spin_unlock_irqrestore(&lock_a, flags);
	CU_ASSERT_PTR_NOT_NULL(p);
	check_report("libkmem/page_alloc.c:", 1, 1, 1, 0, "atomic_report_spin_lock_irqsave");
	kfree(p);
	kt_capture_stop();
}

void atomic_report_nested(void);
void atomic_report_nested(void)
{
	unsigned long flags;
	void *p, *q;

	kt_capture_start();
	local_irq_save(flags);
	spin_lock(&lock_a);
	spin_lock_bh(&lock_b);
	preempt_disable();
	p = kmalloc(200, GFP_KERNEL);
	preempt_enable();
	spin_unlock_bh(&lock_b);
	spin_unlock(&lock_a);
	local_irq_restore(flags);
	CU_ASSERT_PTR_NOT_NULL(p);
	check_report("libkmem/slub.c:", 1, 1, 0x203, 0, "atomic_report_nested");
	KT_ASSERT_EQ(__kmem_preempt_count, 0);

	kt_capture_start();
	irq_enter();
	q = kmalloc(200, GFP_KERNEL);
	irq_exit();
	CU_ASSERT_PTR_NOT_NULL(q);
	check_report("libkmem/slub.c:", 1, 0, 0x10000, 0, "atomic_report_nested");
	kfree(p);
	kfree(q);
	kt_capture_stop();
}

void atomic_report_rcu(void);
void atomic_report_rcu(void)
{
	void *p;

	kt_capture_start();
	rcu_read_lock();
	rcu_read_lock();
	p = kmalloc(96, GFP_KERNEL);
	rcu_read_unlock();
	rcu_read_unlock();
	CU_ASSERT_PTR_NOT_NULL(p);
	check_report("libkmem/slub.c:", 0, 0, 0, 2, "atomic_report_rcu");
	KT_ASSERT_EQ(__kmem_preempt_count, 0);
	kfree(p);
	kt_capture_stop();
}

void atomic_report_might_sleep(void);
void atomic_report_might_sleep(void)
{
	volatile int three = 3;
	char where[256];
	int line;
	int i;

	kt_capture_start();
	might_sleep();				/* outside: nothing */
	spin_lock(&lock_a);
	might_sleep_if(false);			/* condition false: nothing */
	KT_ASSERT_EQ(kt_captured_count(), 0);
	for (i = 0; i < three; i++) {
		line = __LINE__ + 1;
		might_sleep();
	}
	spin_unlock(&lock_a);
	snprintf(where, sizeof(where), "%s:%d\n", __FILE__, line);
	check_report(where, 1, 0, 1, 0, "atomic_report_might_sleep");

	kt_capture_start();
	line = __LINE__ + 1;
	cant_sleep();				/* not atomic: reported */
	snprintf(where, sizeof(where), "BUG: assuming atomic context at %s:%d\n"
		 "in_atomic(): 0, irqs_disabled(): 0, pid: %d, name: %s\n", __FILE__, line,
		 (int)gettid(), comm());
	CU_ASSERT_TRUE(kt_captured(where));
	scoped_guard(preempt)
		cant_sleep();			/* atomic: fine */
	scoped_guard(irqsave)
		cant_sleep();
	rcu_read_lock();
	might_sleep();				/* RCU read side: reported */
	rcu_read_unlock();
	KT_ASSERT_EQ(kt_captured_count(), 2);
	CU_ASSERT_TRUE(kt_captured("RCU nest depth: 1, expected: 0\n"));
	kt_capture_stop();
}

/* ------------------------------------------------------------------ */
/* Once per call site; silence where nothing is wrong                  */
/* ------------------------------------------------------------------ */

static noinline void *alloc_site(void)
{
	void *p = kmalloc(64, GFP_KERNEL);

	barrier();	/* a call, not a tail call: the site is this function */
	return p;
}

static void test_once_per_site(void)
{
	volatile int three = 3;		/* a loop the compiler cannot unroll into three sites */
	void *p[4];
	int i;

	kt_capture_start();
	spin_lock(&lock_a);
	for (i = 0; i < three; i++)
		p[i] = kmalloc(64, GFP_KERNEL);		/* one site, three calls */
	spin_unlock(&lock_a);
	KT_ASSERT_EQ(kt_captured_count(), 1);
	for (i = 0; i < 3; i++)
		kfree(p[i]);

	spin_lock(&lock_a);
	p[0] = kmalloc(64, GFP_KERNEL);			/* two more sites */
	p[1] = kmalloc(64, GFP_KERNEL);
	spin_unlock(&lock_a);
	KT_ASSERT_EQ(kt_captured_count(), 3);
	kfree(p[0]);
	kfree(p[1]);

	/* one site reached in two sections, from two places: one report */
	preempt_disable();
	p[0] = alloc_site();
	preempt_enable();
	KT_ASSERT_EQ(kt_captured_count(), 4);
	scoped_guard(spinlock_irqsave, &lock_a)
		p[1] = alloc_site();
	KT_ASSERT_EQ(kt_captured_count(), 4);
	CU_ASSERT_TRUE(p[0] && p[1]);
	kfree(p[0]);
	kfree(p[1]);
	kt_capture_stop();
}

static void test_no_report(void)
{
	struct kmem_cache *cache = kmem_cache_create("atomic_test", 48, 0, 0, NULL);
	struct page *page;
	void *p, *q, *o;

	CU_ASSERT_PTR_NOT_NULL_FATAL(cache);
	kt_capture_start();
	/* outside any section */
	p = kmalloc(64, GFP_KERNEL);
	page = alloc_pages(GFP_KERNEL, 1);
	o = kmem_cache_alloc(cache, GFP_KERNEL);
	q = vmalloc(1 << 20);
	CU_ASSERT_TRUE(p && page && o && q);
	kfree(p);
	__free_pages(page, 1);
	kmem_cache_free(cache, o);
	vfree(q);
	/* inside, with flags that do not sleep */
	spin_lock(&lock_a);
	p = kmalloc(64, GFP_ATOMIC);
	q = kmalloc(64 << 10, GFP_NOWAIT);
	page = alloc_pages(GFP_ATOMIC, 3);
	o = kmem_cache_alloc(cache, GFP_NOWAIT);
	spin_unlock(&lock_a);
	CU_ASSERT_TRUE(p && page && o && q);
	kfree(p);
	kfree(q);
	__free_pages(page, 3);
	kmem_cache_free(cache, o);
	/* frees never report */
	p = kmalloc(64, GFP_KERNEL);
	scoped_guard(spinlock_irqsave, &lock_a)
		kfree(p);
	KT_ASSERT_EQ(kt_captured_count(), 0);
	if (kt_captured_count())
		fprintf(stderr, "\n%s", kt_captured_text());
	kt_capture_stop();
	kmem_cache_destroy(cache);
}

/* ------------------------------------------------------------------ */
/* The allocation proceeds, and does not sleep                         */
/* ------------------------------------------------------------------ */

static void test_alloc_proceeds(void)
{
	struct kmem_cache *cache = kmem_cache_create("atomic_proceeds", 100, 0, 0, NULL);
	unsigned long addr, flags;
	struct page *page;
	void *p, *o;

	CU_ASSERT_PTR_NOT_NULL_FATAL(cache);
	kt_capture_start();
	/* the hook itself: outside, the flags are untouched; inside, reclaim goes */
	KT_ASSERT_EQ(might_alloc(GFP_KERNEL, (void *)test_alloc_proceeds), GFP_KERNEL);
	spin_lock_irqsave(&lock_a, flags);
	KT_ASSERT_EQ(might_alloc(GFP_KERNEL | __GFP_ZERO, (void *)test_alloc_proceeds),
		     (GFP_KERNEL | __GFP_ZERO) & ~__GFP_DIRECT_RECLAIM);
	KT_ASSERT_EQ(might_alloc(GFP_ATOMIC, (void *)test_alloc_proceeds), GFP_ATOMIC);
	p = kzalloc(500, GFP_KERNEL);
	o = kmem_cache_alloc(cache, GFP_KERNEL);
	page = alloc_pages_node(0, GFP_KERNEL | __GFP_THISNODE, 4);
	addr = __get_free_page(GFP_KERNEL);
	spin_unlock_irqrestore(&lock_a, flags);
	CU_ASSERT_TRUE(p && o && page && addr);
	CU_ASSERT_TRUE(p && ((char *)p)[0] == 0 && ((char *)p)[499] == 0);
	KT_ASSERT_EQ(kt_captured_count(), 5);
	kfree(p);
	kmem_cache_free(cache, o);
	if (page)
		__free_pages(page, 4);
	free_page(addr);
	kt_capture_stop();
	kmem_cache_destroy(cache);
}

void atomic_report_vmalloc(void);
void atomic_report_vmalloc(void)
{
	char *v;

	kt_capture_start();
	spin_lock(&lock_a);
	v = vmalloc(1 << 20);
	spin_unlock(&lock_a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	v[0] = 1;
	v[(1 << 20) - 1] = 2;
	check_report("libkmem/vmalloc.c:", 1, 0, 1, 0, "atomic_report_vmalloc");
	vfree(v);
	kt_capture_stop();
}

static void test_kvmalloc_flags(void)
{
	void *p;

	kt_capture_start();
	/* not GFP_KERNEL-compatible: kmalloc() only, as in the kernel */
	p = kvmalloc(8 << 20, GFP_NOWAIT);		/* beyond kmalloc: NULL, no vmalloc */
	CU_ASSERT_PTR_NULL(p);
	kvfree(p);
	p = kvmalloc(8 << 20, GFP_ATOMIC | __GFP_NOWARN);
	CU_ASSERT_PTR_NULL(p);
	p = kvmalloc(2 << 20, GFP_ATOMIC);		/* kmalloc's page path */
	CU_ASSERT_PTR_NOT_NULL(p);
	CU_ASSERT_FALSE(is_vmalloc_addr(p));
	kvfree(p);
	p = kvzalloc(64 << 10, GFP_NOWAIT);
	CU_ASSERT_PTR_NOT_NULL(p);
	CU_ASSERT_FALSE(is_vmalloc_addr(p));
	kvfree(p);
	/* GFP_KERNEL: vmalloc() beyond kmalloc */
	p = kvmalloc(8 << 20, GFP_KERNEL);
	CU_ASSERT_TRUE(p && is_vmalloc_addr(p));
	kvfree(p);
	KT_ASSERT_EQ(kt_captured_count(), 0);
	if (kt_captured_count())
		fprintf(stderr, "\n%s", kt_captured_text());
	kt_capture_stop();
}

/* ------------------------------------------------------------------ */
/* local_irq_save() blocks signals                                      */
/* ------------------------------------------------------------------ */

static volatile sig_atomic_t usr1_runs;
static volatile sig_atomic_t usr1_irqs_off;	/* irqs_disabled() seen by the handler */

static void usr1_handler(int sig)
{
	(void)sig;
	usr1_runs++;
	if (irqs_disabled())
		usr1_irqs_off = 1;
}

static struct sigaction old_usr1;

static void install_usr1(void (*fn)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, &old_usr1);
	usr1_runs = 0;
	usr1_irqs_off = 0;
}

static void uninstall_usr1(void)
{
	sigaction(SIGUSR1, &old_usr1, NULL);
}

/* Wait (a little) for a pending signal to be delivered: TSan defers them. */
static void settle(volatile sig_atomic_t *runs, int want)
{
	int i;

	for (i = 0; i < 1000 && *runs < want; i++)
		usleep(1000);
}

static bool blocked(int sig)
{
	sigset_t cur;

	pthread_sigmask(SIG_SETMASK, NULL, &cur);
	return sigismember(&cur, sig);
}

static void test_irq_save_blocks_signal(void)
{
	unsigned long flags;

	install_usr1(usr1_handler);
	local_irq_save(flags);
	CU_ASSERT_FALSE(irqs_disabled_flags(flags));
	CU_ASSERT_TRUE(irqs_disabled());
	CU_ASSERT_TRUE(blocked(SIGUSR1));
	CU_ASSERT_TRUE(blocked(SIGTERM));
	CU_ASSERT_TRUE(blocked(SIGALRM));
	CU_ASSERT_FALSE(blocked(SIGSEGV));	/* faults are exceptions, not interrupts */
	CU_ASSERT_FALSE(blocked(SIGBUS));
	raise(SIGUSR1);
	usleep(20 * 1000);
	KT_ASSERT_EQ(usr1_runs, 0);		/* pending, not run */
	local_irq_restore(flags);
	settle(&usr1_runs, 1);
	KT_ASSERT_EQ(usr1_runs, 1);		/* ran once interrupts were back on */
	KT_ASSERT_EQ(usr1_irqs_off, 0);
	CU_ASSERT_FALSE(irqs_disabled());
	CU_ASSERT_FALSE(blocked(SIGUSR1));
	uninstall_usr1();
}

static void test_irq_save_nesting(void)
{
	unsigned long outer, inner, f;
	sigset_t usr2, before, after;

	install_usr1(usr1_handler);
	/* the caller's own mask (SIGUSR2 blocked) comes back intact */
	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &usr2, &before);
	local_irq_save(outer);
	local_irq_save(inner);
	CU_ASSERT_TRUE(irqs_disabled_flags(inner));
	raise(SIGUSR1);
	local_irq_restore(inner);		/* still off: the outer section goes on */
	usleep(20 * 1000);
	CU_ASSERT_TRUE(irqs_disabled());
	KT_ASSERT_EQ(usr1_runs, 0);
	local_irq_restore(outer);
	settle(&usr1_runs, 1);
	KT_ASSERT_EQ(usr1_runs, 1);
	CU_ASSERT_TRUE(blocked(SIGUSR2));
	CU_ASSERT_FALSE(blocked(SIGUSR1));

	/* local_irq_disable() does not nest; local_irq_enable() turns them on */
	local_irq_disable();
	local_irq_disable();
	CU_ASSERT_TRUE(irqs_disabled());
	local_irq_enable();
	CU_ASSERT_FALSE(irqs_disabled());
	CU_ASSERT_FALSE(blocked(SIGUSR1));

	/* restoring "off" flags while on turns interrupts off, as popf would */
	local_irq_disable();
	local_save_flags(f);
	local_irq_enable();
	local_irq_restore(f);
	CU_ASSERT_TRUE(irqs_disabled());
	CU_ASSERT_TRUE(blocked(SIGUSR1));
	local_irq_enable();

	/* guards */
	scoped_guard(irqsave) {
		CU_ASSERT_TRUE(irqs_disabled());
		scoped_guard(irqsave)
			CU_ASSERT_TRUE(irqs_disabled());
		CU_ASSERT_TRUE(irqs_disabled());
	}
	CU_ASSERT_FALSE(irqs_disabled());
	{
		guard(irq)();
		CU_ASSERT_TRUE(blocked(SIGUSR1));
	}
	CU_ASSERT_FALSE(blocked(SIGUSR1));
	pthread_sigmask(SIG_SETMASK, NULL, &after);
	CU_ASSERT_TRUE(sigismember(&after, SIGUSR2));
	CU_ASSERT_FALSE(sigismember(&after, SIGUSR1));
	pthread_sigmask(SIG_SETMASK, &before, NULL);
	KT_ASSERT_EQ(__kmem_preempt_count, 0);
	uninstall_usr1();
}

/*
 * The reason for spin_lock_irqsave(): a handler that takes the lock its
 * thread holds would spin for ever.  The handler only tries the lock, so a
 * broken section fails the test instead of hanging it.
 */
static volatile sig_atomic_t handler_got_lock, handler_missed_lock;

static void locking_handler(int sig)
{
	(void)sig;
	usr1_runs++;
	if (spin_trylock(&lock_b)) {
		handler_got_lock++;
		spin_unlock(&lock_b);
	} else {
		handler_missed_lock++;
	}
}

static void test_irqsave_excludes_handler(void)
{
	unsigned long flags;

	install_usr1(locking_handler);
	handler_got_lock = handler_missed_lock = 0;
	spin_lock_irqsave(&lock_b, flags);
	raise(SIGUSR1);
	usleep(10 * 1000);
	spin_unlock_irqrestore(&lock_b, flags);
	settle(&usr1_runs, 1);
	KT_ASSERT_EQ(handler_got_lock, 1);
	KT_ASSERT_EQ(handler_missed_lock, 0);

	/* with plain spin_lock() the handler does run inside (and misses the lock) */
	spin_lock(&lock_b);
	raise(SIGUSR1);
	settle(&usr1_runs, 2);
	spin_unlock(&lock_b);
	KT_ASSERT_EQ(handler_missed_lock, 1);
	uninstall_usr1();
}

/* ------------------------------------------------------------------ */
/* Spinlocks                                                           */
/* ------------------------------------------------------------------ */

#define THREADS		4
#define ROUNDS		100000

static DEFINE_SPINLOCK(counter_lock);
static unsigned long counter;		/* plain: only the lock protects it */
static int bad_context;			/* atomic */

static void *counter_thread(void *arg)
{
	long id = (long)arg;
	unsigned long flags;
	int i;

	for (i = 0; i < ROUNDS; i++) {
		switch ((i + id) % 4) {
		case 0:
			spin_lock(&counter_lock);
			counter++;
			if (preempt_count() != 1)
				__atomic_store_n(&bad_context, 1, __ATOMIC_RELAXED);
			spin_unlock(&counter_lock);
			break;
		case 1:
			if ((i & 1023) == 1) {	/* a system call pair: not every time */
				spin_lock_irqsave(&counter_lock, flags);
				counter++;
				spin_unlock_irqrestore(&counter_lock, flags);
			} else {
				spin_lock_bh(&counter_lock);
				counter++;
				spin_unlock_bh(&counter_lock);
			}
			break;
		case 2: {
			guard(spinlock)(&counter_lock);
			counter++;
			break;
		}
		default:
			while (!spin_trylock(&counter_lock))
				cpu_relax();
			counter++;
			spin_unlock(&counter_lock);
			break;
		}
	}
	if (__kmem_preempt_count != 0)
		__atomic_store_n(&bad_context, 1, __ATOMIC_RELAXED);
	return NULL;
}

static void test_spinlock_threads(void)
{
	pthread_t t[THREADS];
	long i;

	counter = 0;
	for (i = 0; i < THREADS; i++)
		CU_ASSERT_EQUAL_FATAL(pthread_create(&t[i], NULL, counter_thread, (void *)i), 0);
	for (i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	KT_ASSERT_EQ(counter, (unsigned long)THREADS * ROUNDS);
	KT_ASSERT_EQ(__atomic_load_n(&bad_context, __ATOMIC_RELAXED), 0);
	CU_ASSERT_FALSE(spin_is_locked(&counter_lock));
}

static void *try_other_thread(void *arg)
{
	return (void *)(long)spin_trylock((spinlock_t *)arg);
}

static void test_spin_trylock(void)
{
	unsigned long flags;
	pthread_t t;
	void *ret;

	CU_ASSERT_TRUE(spin_trylock(&lock_a));
	KT_ASSERT_EQ(preempt_count(), 1);
	CU_ASSERT_TRUE(spin_is_locked(&lock_a));
	assert_spin_locked(&lock_a);
	CU_ASSERT_FALSE(spin_trylock(&lock_a));		/* held: fails, count unchanged */
	KT_ASSERT_EQ(preempt_count(), 1);
	pthread_create(&t, NULL, try_other_thread, &lock_a);
	pthread_join(t, &ret);
	CU_ASSERT_PTR_NULL(ret);

	CU_ASSERT_FALSE(spin_trylock_irqsave(&lock_a, flags));	/* fails: irqs as before */
	CU_ASSERT_FALSE(irqs_disabled());
	CU_ASSERT_FALSE(spin_trylock_bh(&lock_a));
	KT_ASSERT_EQ(preempt_count(), 1);
	spin_unlock(&lock_a);
	KT_ASSERT_EQ(preempt_count(), 0);

	CU_ASSERT_TRUE(spin_trylock_irqsave(&lock_a, flags));
	CU_ASSERT_TRUE(irqs_disabled());
	KT_ASSERT_EQ(preempt_count(), 1);
	spin_unlock_irqrestore(&lock_a, flags);
	CU_ASSERT_FALSE(irqs_disabled());
	CU_ASSERT_TRUE(spin_trylock_bh(&lock_a));
	KT_ASSERT_EQ(preempt_count(), SOFTIRQ_LOCK_OFFSET);
	spin_unlock_bh(&lock_a);
	pthread_create(&t, NULL, try_other_thread, &lock_a);
	pthread_join(t, &ret);
	CU_ASSERT_PTR_NOT_NULL(ret);		/* it took it (and exited holding it) */
	spin_lock_init(&lock_a);
	KT_ASSERT_EQ(__kmem_preempt_count, 0);
}

static void test_assert_spin_locked(void)
{
	int status;
	pid_t pid;

	spin_lock(&lock_a);
	assert_spin_locked(&lock_a);		/* held: nothing happens */
	spin_unlock(&lock_a);

	fflush(NULL);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		if (devnull >= 0)
			dup2(devnull, STDERR_FILENO);	/* the BUG report */
		kt_capture_stop();
		assert_spin_locked(&lock_a);		/* free: BUG() */
		_exit(0);
	}
	CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
}

static void test_guards(void)
{
	{
		guard(spinlock)(&lock_a);
		CU_ASSERT_TRUE(spin_is_locked(&lock_a));
		KT_ASSERT_EQ(preempt_count(), 1);
		CU_ASSERT_FALSE(irqs_disabled());
	}
	CU_ASSERT_FALSE(spin_is_locked(&lock_a));
	KT_ASSERT_EQ(preempt_count(), 0);
	{
		guard(spinlock_irqsave)(&lock_a);
		CU_ASSERT_TRUE(spin_is_locked(&lock_a));
		CU_ASSERT_TRUE(irqs_disabled());
		KT_ASSERT_EQ(preempt_count(), 1);
		{
			guard(spinlock_irqsave)(&lock_b);	/* nested: flags say "off" */
			CU_ASSERT_TRUE(irqs_disabled());
			KT_ASSERT_EQ(preempt_count(), 2);
		}
		CU_ASSERT_TRUE(irqs_disabled());
	}
	CU_ASSERT_FALSE(irqs_disabled());
	CU_ASSERT_FALSE(spin_is_locked(&lock_a));
	{
		guard(spinlock_irq)(&lock_a);
		CU_ASSERT_TRUE(irqs_disabled());
	}
	CU_ASSERT_FALSE(irqs_disabled());
	{
		guard(spinlock_bh)(&lock_a);
		KT_ASSERT_EQ(preempt_count(), SOFTIRQ_LOCK_OFFSET);
	}
	{
		guard(preempt)();
		KT_ASSERT_EQ(preempt_count(), 1);
		CU_ASSERT_FALSE(spin_is_locked(&lock_a));
	}
	{
		guard(irqsave)();
		CU_ASSERT_TRUE(irqs_disabled());
		KT_ASSERT_EQ(preempt_count(), 0);
	}
	CU_ASSERT_FALSE(irqs_disabled());

	/* conditional guards: the body runs only when the lock was taken */
	{
		int ran = 0;

		scoped_guard(spinlock_try, &lock_a)
			ran = 1;
		KT_ASSERT_EQ(ran, 1);
		spin_lock(&lock_a);
		ran = 0;
		scoped_guard(spinlock_try, &lock_a)
			ran = 1;
		KT_ASSERT_EQ(ran, 0);
		scoped_guard(spinlock_irqsave_try, &lock_a)
			ran = 1;
		KT_ASSERT_EQ(ran, 0);
		CU_ASSERT_FALSE(irqs_disabled());
		KT_ASSERT_EQ(preempt_count(), 1);
		spin_unlock(&lock_a);
		scoped_guard(spinlock_irqsave_try, &lock_a) {
			CU_ASSERT_TRUE(irqs_disabled());
			ran = 1;
		}
		KT_ASSERT_EQ(ran, 1);
	}
	CU_ASSERT_FALSE(spin_is_locked(&lock_a));
	KT_ASSERT_EQ(__kmem_preempt_count, 0);
}

/*
 * kmem builds itself on first use: when that use is inside the caller's
 * atomic section, kmem's own allocations while it builds are not reported.
 */
static void test_lazy_init_in_section(void)
{
	void *p;

	kmem_exit();
	setenv("KMEM_OPTIONS", "fake_numa=1,direct_mb=32,highmem_mb=8,hugepages=never,quiet=1", 1);
	kt_capture_start();
	spin_lock(&lock_a);
	p = kmalloc(64, GFP_ATOMIC);
	spin_unlock(&lock_a);
	CU_ASSERT_PTR_NOT_NULL(p);
	KT_ASSERT_EQ(kt_captured_count(), 0);
	if (kt_captured_count())
		fprintf(stderr, "\n%s", kt_captured_text());
	kfree(p);
	kt_capture_stop();
}

static const struct kt_test tests[] = {
	KT_TEST(test_sizes_and_init),
	KT_TEST(test_context_counts),
	KT_TEST(test_preempt_underflow),
	KT_TEST(atomic_report_preempt),
	KT_TEST(atomic_report_irqsave),
	KT_TEST(atomic_report_spin_lock),
	KT_TEST(atomic_report_spin_lock_irqsave),
	KT_TEST(atomic_report_nested),
	KT_TEST(atomic_report_rcu),
	KT_TEST(atomic_report_might_sleep),
	KT_TEST(atomic_report_vmalloc),
	KT_TEST(test_once_per_site),
	KT_TEST(test_no_report),
	KT_TEST(test_alloc_proceeds),
	KT_TEST(test_kvmalloc_flags),
	KT_TEST(test_irq_save_blocks_signal),
	KT_TEST(test_irq_save_nesting),
	KT_TEST(test_irqsave_excludes_handler),
	KT_TEST(test_spinlock_threads),
	KT_TEST(test_spin_trylock),
	KT_TEST(test_assert_spin_locked),
	KT_TEST(test_guards),
	KT_TEST(test_lazy_init_in_section),
	KT_END,
};

static const struct kt_suite suite = { "atomic", suite_init, suite_exit, tests };
static const struct kt_suite *const suites[] = { &suite, NULL };

int main(int argc, char **argv) { return kt_main(argc, argv, suites); }
