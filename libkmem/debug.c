// SPDX-License-Identifier: MIT
/*
 * debug.c - reports in the kernel's words: "BUG: Bad page state", warnings,
 * and the sink they go to (stderr, or a function the program installs).
 *
 * Reports are assembled in a buffer and handed to the sink whole, so lines
 * from two threads never interleave.  report_lock serialises sinks; it is
 * never taken with any allocator lock held by the caller's own code path
 * except zone locks, and sinks must not allocate from kmem.
 */
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

void __kmem_vprintk(const char *fmt, va_list ap)
{
	char buf[2048];

	vsnprintf(buf, sizeof(buf), fmt, ap);
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
