// SPDX-License-Identifier: MIT
/*
 * hotplug.c - bench_hotplug: what memory that grows and gives back costs.
 *
 *   init     kmem_init() time and RSS with a 64 MiB, 1 GiB and 16 GiB
 *            maximum per node (64 MiB online at start in each): both should
 *            be flat, since only address space is reserved for the maximum
 *   grow     an alloc_pages(order 0) loop that holds 1 GiB, each page
 *            written once, starting from 64 MiB online (the node grows 240
 *            sections on the way) against the same loop on 1 GiB onlined
 *            at start; the ratio and the cost per section grown, and the
 *            ratio with kmem_init() counted (the pre-onlined run commits
 *            its memory there)
 *   giveback RSS after the grow loop's pages are freed and
 *            kmem_memory_shrink() has run, against RSS before the loop
 *
 * Each measurement is a fresh process (kmem is initialised once per
 * process), run --repeat times (default 5); the median is printed with the
 * spread (min..max).  Times are only compared within the run, as ratios.
 * Embedded, one node, shared memory (hugepages=never), so that the figures
 * do not depend on the huge page pool of the machine.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <kmem/kmem.h>
#include <linux/gfp.h>
#include <linux/mm.h>

#define MAX_REPEAT	32
#define HOLD_BYTES	(1UL << 30)

struct sample {
	double ns;		/* the timed part */
	double rss_kb;		/* RSS added by it */
	double extra;		/* per measurement: see each */
	double init_ns;		/* grow: kmem_init() before the loop */
};

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double rss_kb(void)
{
	long pages = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	return (double)resident * (double)(sysconf(_SC_PAGESIZE) / 1024);
}

static int init_with(size_t direct_mb, size_t max_mb)
{
	struct kmem_options opts;
	char spec[128], err[160];

	kmem_options_init(&opts);
	snprintf(spec, sizeof(spec), "fake_numa=1,hugepages=never,kswapd=off,direct_mb=%zu,"
		 "max_mb=%zu", direct_mb, max_mb);
	if (kmem_options_parse(&opts, spec, err, sizeof(err))) {
		fprintf(stderr, "bench_hotplug: %s\n", err);
		return -1;
	}
	opts.quiet = true;
	return kmem_init(&opts);
}

static int measure_init(size_t max_mb, struct sample *s)
{
	double r0 = rss_kb(), t0 = now_ns();

	if (init_with(64, max_mb))
		return -1;
	s->ns = now_ns() - t0;
	s->rss_kb = rss_kb() - r0;
	return 0;
}

/* Hold HOLD_BYTES in order-0 pages, one byte written in each; then free and shrink. */
static int measure_grow(size_t direct_mb, struct sample *s)
{
	size_t n = HOLD_BYTES / PAGE_SIZE, i;
	struct page **held = malloc(n * sizeof(*held));
	struct kmem_hotplug_stats st0, st1;
	double r0, t0;

	if (!held)
		return -1;
	t0 = now_ns();
	if (init_with(direct_mb, 1024 + 64))
		return -1;
	s->init_ns = now_ns() - t0;
	kmem_get_hotplug_stats(0, &st0);
	r0 = rss_kb();
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		held[i] = alloc_pages(GFP_KERNEL, 0);
		if (!held[i]) {
			fprintf(stderr, "bench_hotplug: alloc_pages failed at %zu of %zu\n", i, n);
			return -1;
		}
		*(volatile char *)page_address(held[i]) = 1;
	}
	s->ns = now_ns() - t0;
	kmem_get_hotplug_stats(0, &st1);
	s->extra = (double)(st1.memory_online - st0.memory_online);
	for (i = 0; i < n; i++)
		__free_pages(held[i], 0);
	kmem_memory_shrink();
	s->rss_kb = rss_kb() - r0;	/* what the free phase left */
	free(held);
	return 0;
}

typedef int (*measure_fn)(size_t arg, struct sample *s);

/* Run @fn(@arg) in a fresh process; its sample comes back through a pipe. */
static int in_child(measure_fn fn, size_t arg, struct sample *s)
{
	int fd[2], status;
	pid_t pid;
	ssize_t n;

	if (pipe(fd))
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct sample mine = { 0 };

		close(fd[0]);
		if (fn(arg, &mine))
			_exit(1);
		if (write(fd[1], &mine, sizeof(mine)) != (ssize_t)sizeof(mine))
			_exit(2);
		_exit(0);
	}
	close(fd[1]);
	n = read(fd[0], s, sizeof(*s));
	close(fd[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) ||
	    n != (ssize_t)sizeof(*s))
		return -1;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct stat3 {
	double med, min, max;
};

static struct stat3 stats(double *v, int n)
{
	struct stat3 r;

	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	r.med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	r.min = v[0];
	r.max = v[n - 1];
	return r;
}

struct series {
	double ns[MAX_REPEAT], rss[MAX_REPEAT], extra[MAX_REPEAT], total[MAX_REPEAT];
	int n;
};

static int run_series(measure_fn fn, size_t arg, int repeat, struct series *out)
{
	int i;

	out->n = 0;
	for (i = 0; i < repeat; i++) {
		struct sample s = { 0 };

		if (in_child(fn, arg, &s)) {
			fprintf(stderr, "bench_hotplug: a measurement failed\n");
			return -1;
		}
		out->ns[i] = s.ns;
		out->rss[i] = s.rss_kb;
		out->extra[i] = s.extra;
		out->total[i] = s.init_ns + s.ns;
		out->n++;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const size_t max_mb[] = { 64, 1024, 16384 };
	struct series init[3], grown, pre;
	struct stat3 t, r, base_t;
	int repeat = 5, i;

	for (i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "--repeat=", 9))
			repeat = atoi(argv[i] + 9);
		else {
			fprintf(stderr, "usage: %s [--repeat=N]   (N: 1..%d, default 5)\n", argv[0],
				MAX_REPEAT);
			return 2;
		}
	}
	if (repeat < 1 || repeat > MAX_REPEAT) {
		fprintf(stderr, "bench_hotplug: --repeat must be 1..%d\n", MAX_REPEAT);
		return 2;
	}

	printf("bench_hotplug: %d runs each, median (min..max); one node, shared memory\n\n",
	       repeat);
	printf("init: kmem_init() with 64 MiB online\n");
	printf("  %-10s %24s %10s %20s\n", "max", "time ms", "ratio", "RSS added MiB");
	for (i = 0; i < 3; i++)
		if (run_series(measure_init, max_mb[i], repeat, &init[i]))
			return 1;
	base_t = stats(init[0].ns, init[0].n);
	for (i = 0; i < 3; i++) {
		t = stats(init[i].ns, init[i].n);
		r = stats(init[i].rss, init[i].n);
		printf("  %-6zu MiB %8.1f (%6.1f..%6.1f) %10.2f %6.1f (%5.1f..%5.1f)\n", max_mb[i],
		       t.med / 1e6, t.min / 1e6, t.max / 1e6, t.med / base_t.med, r.med / 1024,
		       r.min / 1024, r.max / 1024);
	}

	if (run_series(measure_grow, 64, repeat, &grown) ||
	    run_series(measure_grow, 1024 + 64, repeat, &pre))
		return 1;
	printf("\ngrow: alloc_pages(order 0) until 1 GiB is held, one byte written per page\n");
	t = stats(pre.ns, pre.n);
	base_t = t;
	printf("  %-26s %8.1f ms (%6.1f..%6.1f)\n", "1088 MiB online at start", t.med / 1e6,
	       t.min / 1e6, t.max / 1e6);
	t = stats(grown.ns, grown.n);
	r = stats(grown.extra, grown.n);
	printf("  %-26s %8.1f ms (%6.1f..%6.1f), %.0f sections onlined\n",
	       "64 MiB online, growing", t.med / 1e6, t.min / 1e6, t.max / 1e6, r.med);
	printf("  ratio growing / pre-onlined: %.3f (target: under 1.10)\n", t.med / base_t.med);
	if (r.med > 0)
		printf("  growth cost per section: %.1f us\n", (t.med - base_t.med) / r.med / 1e3);
	/*
	 * Onlining commits the section's memory (fallocate), which the
	 * pre-onlined run did in kmem_init(): with init counted, both do the
	 * same work.
	 */
	t = stats(grown.total, grown.n);
	base_t = stats(pre.total, pre.n);
	printf("  with kmem_init() counted: %.1f ms against %.1f ms, ratio %.3f\n", t.med / 1e6,
	       base_t.med / 1e6, t.med / base_t.med);

	r = stats(grown.rss, grown.n);
	printf("\ngiveback: RSS after the pages are freed and kmem_memory_shrink(), "
	       "against before the loop\n");
	printf("  %+.1f MiB (%+.1f..%+.1f) of the 1024 MiB held\n", r.med / 1024, r.min / 1024,
	       r.max / 1024);
	return 0;
}
