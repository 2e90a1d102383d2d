// SPDX-License-Identifier: MIT
/*
 * debug.c - reports in the kernel's words: "BUG: Bad page state", warnings,
 * and the sink they go to (stderr, or a function the program installs).
 *
 * Reports are assembled in a buffer and handed to the sink whole, so lines
 * from two threads never interleave.  report_lock serialises sinks; it is
 * never taken with any allocator lock held by the caller's own code path
 * except zone locks, and sinks must not allocate from kmem.  A report of
 * many lines (an allocation failure with its zones and stack) is built
 * with struct kmem_report, which hands it over in as few pieces as its
 * buffer allows, each ending at a line end.
 */
#include <dlfcn.h>
#include <execinfo.h>
#include <linux/topology.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "os.h"

static void (*report_sink)(const char *msg, void *arg);
static void *report_arg;
static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long nr_reports;

/* fork() of private memory: reports are made under any lock, so this one is last. */
void __kmem_report_fork_lock(void)
{
	pthread_mutex_lock(&report_lock);
}

void __kmem_report_fork_unlock(bool child)
{
	kmem_fork_unlock_private(&report_lock, child);
}

void kmem_set_report_sink(void (*fn)(const char *msg, void *arg), void *arg)
{
	pthread_mutex_lock(&report_lock);
	report_sink = fn;
	report_arg = arg;
	pthread_mutex_unlock(&report_lock);
}

unsigned long kmem_report_count(void)
{
	return __atomic_load_n(&nr_reports, __ATOMIC_RELAXED);
}

static void report_emit(const char *buf)
{
	__atomic_fetch_add(&nr_reports, 1, __ATOMIC_RELAXED);
	if (kmem_in_locked_section()) {
		/* a nested signal handler: the report lock may be ours already */
		ssize_t ignored = write(STDERR_FILENO, buf, strlen(buf));

		(void)ignored;
		return;
	}
	kmem_irq_disable();
	pthread_mutex_lock(&report_lock);
	if (report_sink)
		report_sink(buf, report_arg);
	else
		fputs(buf, stderr);
	pthread_mutex_unlock(&report_lock);
	kmem_irq_enable();
}

void __kmem_vprintk(const char *fmt, va_list ap)
{
	char buf[2048];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	report_emit(buf);
}

void __kmem_printk(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	__kmem_vprintk(fmt, ap);
	va_end(ap);
}

void __kmem_bug(const char *file, int line, const char *cond)
{
	__kmem_printk("kernel BUG at %s:%d! (%s) in process %s\n", file, line, cond, os_comm());
	abort();
}

/* Flag names as the kernel's %pGp prints them. */
const char *__kmem_page_flags_str(u32 flags, char *buf, size_t len)
{
	static const struct {
		u32 flag;
		const char *name;
	} names[] = {
		{ PG_buddy, "buddy" },	 { PG_reserved, "reserved" }, { PG_slab, "slab" },
		{ PG_head, "head" },	 { PG_hwpoison, "hwpoison" }, { PG_highmem, "highmem" },
		{ PG_large_kmalloc, "large_kmalloc" }, { PG_client_block, "client_block" },
	};
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(flags & names[i].flag))
			continue;
		used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s%s",
					 used ? "|" : "", names[i].name);
	}
	return buf;
}

/*
 * The kernel's bad_page() + dump_page().  @page may be NULL when the
 * pointer was not a struct page at all.
 */
void __kmem_bad_page(const struct page *page, const char *reason, const void *caller)
{
	static u64 last_ns;
	static unsigned int burst;
	char flags[128];

	if (!__kmem_ratelimit(&last_ns, &burst, 1000, 60))
		return;
	if (!page) {
		__kmem_printk("BUG: Bad page state in process %s  (not a kmem page)\n"
			      "page dumped because: %s\ncaller: %p\n", os_comm(), reason, caller);
		return;
	}
	__kmem_printk("BUG: Bad page state in process %s  pfn:%05llx\n"
		      "page:%p refcount:%d mapcount:0 mapping:0000000000000000 index:0x0 "
		      "pfn:0x%llx\n"
		      "flags: 0x%x(%s) node:%d zone:%s order:%u owner:%u\n"
		      "page dumped because: %s\n"
		      "caller: %p\n",
		      os_comm(), (unsigned long long)(page - kmem_mm.memmap), (const void *)page,
		      __atomic_load_n(&page->_refcount, __ATOMIC_RELAXED),
		      (unsigned long long)(page - kmem_mm.memmap), READ_ONCE(page->flags),
		      __kmem_page_flags_str(READ_ONCE(page->flags), flags, sizeof(flags)),
		      page->zone_id / MAX_NR_ZONES, __kmem_zone_names()[page->zone_id % MAX_NR_ZONES],
		      READ_ONCE(page->order), page->owner, reason, caller);
}

void __kmem_bad_address(const void *addr, const char *what, const void *caller)
{
	static u64 last_ns;
	static unsigned int burst;

	if (!__kmem_ratelimit(&last_ns, &burst, 1000, 60))
		return;
	__kmem_printk("BUG: Bad page state in process %s  (%s)\naddress: %p\ncaller: %p\n",
		      os_comm(), what, addr, caller);
}

static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + (u64)ts.tv_nsec;
}

/*
 * The kernel's ___ratelimit(): at most @max_burst messages per @interval_ms.
 * Racy by design, like printk_ratelimit(): a lost update only lets one
 * message more or less through.
 */
bool __kmem_ratelimit(u64 *last_ns, unsigned int *burst, unsigned int interval_ms,
		      unsigned int max_burst)
{
	u64 now = now_ns(), last = __atomic_load_n(last_ns, __ATOMIC_RELAXED);

	if (!last || now - last > (u64)interval_ms * 1000000ULL) {
		__atomic_store_n(last_ns, now, __ATOMIC_RELAXED);
		__atomic_store_n(burst, 0, __ATOMIC_RELAXED);
	}
	return __atomic_fetch_add(burst, 1, __ATOMIC_RELAXED) < max_burst;
}

/* ------------------------------------------------------------------ */
/* multi-line reports                                                  */
/* ------------------------------------------------------------------ */

/* Hand what @r holds to the sink as one report, and empty it. */
void __kmem_report_flush(struct kmem_report *r)
{
	if (r->len)
		report_emit(r->buf);
	r->len = 0;
	r->buf[0] = '\0';
}

/*
 * Append to @r.  A piece that does not fit behind what is there flushes
 * that first, so a report larger than the buffer goes out in several
 * reports, split between two appends (callers append whole lines or
 * parts of one); a piece larger than the whole buffer is cut short.
 */
void __kmem_report_add(struct kmem_report *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(r->buf + r->len, r->size - r->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		r->buf[r->len] = '\0';
		return;
	}
	if ((size_t)n < r->size - r->len) {
		r->len += (size_t)n;
		return;
	}
	r->buf[r->len] = '\0';
	__kmem_report_flush(r);
	va_start(ap, fmt);
	n = vsnprintf(r->buf, r->size, fmt, ap);
	va_end(ap);
	r->len = n < 0 ? 0 : (size_t)n < r->size ? (size_t)n : r->size - 1;
}

#define STACK_DEPTH	32

/*
 * The kernel's dump_stack(): "CPU: n PID: p Comm: c", then the call trace
 * from the caller of this function outwards.  Frames are named with
 * dladdr(), which does not allocate (backtrace_symbols() does), so this is
 * as safe in a signal handler as backtrace() is once primed; exported
 * functions get their names, static ones show as file+offset.
 */
void __kmem_report_stack(struct kmem_report *r)
{
	void *frames[STACK_DEPTH];
	int n, i;

	__kmem_report_add(r, "CPU: %d PID: %d Comm: %s\n", raw_smp_processor_id(), (int)gettid(),
			  os_comm());
	n = backtrace(frames, STACK_DEPTH);
	__kmem_report_add(r, "Call Trace:\n <TASK>\n");
	for (i = 1; i < n; i++) {	/* frame 0 is this function */
		Dl_info info;
		const char *file;

		if (!dladdr(frames[i], &info) || !info.dli_fname) {
			__kmem_report_add(r, " ? %p\n", frames[i]);
			continue;
		}
		if (info.dli_sname) {
			__kmem_report_add(r, " %s+%#lx\n", info.dli_sname,
					  (unsigned long)((char *)frames[i] - (char *)info.dli_saddr));
			continue;
		}
		file = strrchr(info.dli_fname, '/');
		file = file ? file + 1 : info.dli_fname;
		__kmem_report_add(r, " %s+%#lx\n", *file ? file : "?",
				  (unsigned long)((char *)frames[i] - (char *)info.dli_fbase));
	}
	__kmem_report_add(r, " </TASK>\n");
}

/* glibc's first backtrace() loads libgcc_s (malloc, dlopen): do it at init. */
void __kmem_report_stack_prime(void)
{
	void *frame;

	backtrace(&frame, 1);
}

/*
 * GFP flag names in the order of the kernel's __def_gfpflag_names
 * (include/trace/events/mmflags.h): combinations first, most bits first,
 * so that a mask is named by the largest combination it contains, then
 * every single bit kmem defines.  Bits the kernel compiles out on x86-64
 * (__GFP_SKIP_ZERO, __GFP_SKIP_KASAN, __GFP_NOLOCKDEP) are 0 here and so
 * are absent: a 0 mask would match every value.
 */
#define GFP_NAME(flag)	{ (__force unsigned int)(flag), #flag }
static const struct {
	unsigned int mask;
	const char *name;
} gfp_names[] = {
	GFP_NAME(GFP_TRANSHUGE),
	GFP_NAME(GFP_TRANSHUGE_LIGHT),
	GFP_NAME(GFP_HIGHUSER_MOVABLE),
	GFP_NAME(GFP_HIGHUSER),
	GFP_NAME(GFP_USER),
	GFP_NAME(GFP_KERNEL_ACCOUNT),
	GFP_NAME(GFP_KERNEL),
	GFP_NAME(GFP_NOFS),
	GFP_NAME(GFP_ATOMIC),
	GFP_NAME(GFP_NOIO),
	GFP_NAME(GFP_NOWAIT),
	GFP_NAME(GFP_DMA),
	GFP_NAME(GFP_DMA32),
	GFP_NAME(__GFP_RECLAIM),
	GFP_NAME(__GFP_DMA),
	GFP_NAME(__GFP_HIGHMEM),
	GFP_NAME(__GFP_DMA32),
	GFP_NAME(__GFP_MOVABLE),
	GFP_NAME(__GFP_RECLAIMABLE),
	GFP_NAME(__GFP_HIGH),
	GFP_NAME(__GFP_IO),
	GFP_NAME(__GFP_FS),
	GFP_NAME(__GFP_ZERO),
	GFP_NAME(__GFP_DIRECT_RECLAIM),
	GFP_NAME(__GFP_KSWAPD_RECLAIM),
	GFP_NAME(__GFP_WRITE),
	GFP_NAME(__GFP_NOWARN),
	GFP_NAME(__GFP_RETRY_MAYFAIL),
	GFP_NAME(__GFP_NOFAIL),
	GFP_NAME(__GFP_NORETRY),
	GFP_NAME(__GFP_MEMALLOC),
	GFP_NAME(__GFP_COMP),
	GFP_NAME(__GFP_NOMEMALLOC),
	GFP_NAME(__GFP_HARDWALL),
	GFP_NAME(__GFP_THISNODE),
	GFP_NAME(__GFP_ACCOUNT),
	GFP_NAME(__GFP_ZEROTAGS),
};

/*
 * __kmem_format_gfp - @gfp as the kernel's %pGg prints it (format_flags()
 * in lib/vsprintf.c): names joined by '|', each taking the bits it names
 * out of what is left, then whatever no name covers as 0x...; an empty
 * string for 0.  Return: @buf, cut short if @len is too small.
 */
const char *__kmem_format_gfp(gfp_t gfp, char *buf, size_t len)
{
	unsigned int flags = (__force unsigned int)gfp;
	size_t i, used = 0;

	if (!len)
		return buf;
	buf[0] = '\0';
	for (i = 0; flags && i < sizeof(gfp_names) / sizeof(gfp_names[0]); i++) {
		unsigned int mask = gfp_names[i].mask;

		if (!mask || (flags & mask) != mask)
			continue;
		flags &= ~mask;
		used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s%s",
					 gfp_names[i].name, flags ? "|" : "");
	}
	if (flags)
		snprintf(buf + used, used < len ? len - used : 0, "%#x", flags);
	return buf;
}
