/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the CUnit suites: capturing kmem's reports, seeded
 * randomness, and the main() every suite uses.
 */
#ifndef _KMEM_TEST_KUNIT_H
#define _KMEM_TEST_KUNIT_H

#include <stdbool.h>
#include <stdint.h>
#include <CUnit/CUnit.h>
#include <kmem/kmem.h>

struct kt_suite {
	const char *name;
	int (*init)(void);
	int (*cleanup)(void);
	const struct kt_test {
		const char *name;
		void (*fn)(void);
	} *tests;
};
#define KT_TEST(fn)	{ #fn, fn }
#define KT_END		{ NULL, NULL }

/* Run @suites (NULL-terminated); the exit status is the number of failures. */
int kt_main(int argc, char **argv, const struct kt_suite *const *suites);

/* Start capturing kmem reports (replaces any earlier capture). */
void kt_capture_start(void);
/* Stop; reports go to stderr again. */
void kt_capture_stop(void);
/* Did a captured report contain @needle? */
bool kt_captured(const char *needle);
/* Number of captured reports. */
unsigned int kt_captured_count(void);
/* All captured text. */
const char *kt_captured_text(void);

/* kmem_init() with "key=value,..." options on top of the defaults. */
int kt_init(const char *options);

/* xorshift64*: fixed seed, overridable with KMEM_TEST_SEED, printed on failure. */
uint64_t kt_seed(void);
uint64_t kt_rand(uint64_t *state);

/*
 * Integer equality that names both values in the failure message (CUnit's
 * own CU_ASSERT_EQUAL only prints the expressions).
 */
#define KT_ASSERT_EQ(actual, expected)						\
	kt_assert_eq((unsigned long long)(actual), (unsigned long long)(expected),	\
		     #actual, #expected, __LINE__, __FILE__, false)
#define KT_ASSERT_EQ_FATAL(actual, expected)					\
	kt_assert_eq((unsigned long long)(actual), (unsigned long long)(expected),	\
		     #actual, #expected, __LINE__, __FILE__, true)
bool kt_assert_eq(unsigned long long actual, unsigned long long expected, const char *a,
		  const char *e, unsigned int line, const char *file, bool fatal);

/* Every zone's kmem_zone_stats(), for before/after comparisons. */
#define KT_MAX_NODES	64
#define KT_NR_ZONES	4
struct kt_snapshot {
	int nr_nodes;
	struct kmem_zone_stats zone[KT_MAX_NODES][KT_NR_ZONES];
};
/* Allocated (free with free()) because the struct is large. */
struct kt_snapshot *kt_snapshot(void);
/*
 * Do @a and @b agree on every zone's free_pages and nr_free[] (and
 * pcp_count if @pcp)?  Differences are printed to stderr.
 */
bool kt_snapshot_equal(const struct kt_snapshot *a, const struct kt_snapshot *b, bool pcp);
/* kmem_show_buddyinfo() as a string (free()). */
char *kt_buddyinfo(void);
/* Sum of pcp_count over every zone. */
uint64_t kt_pcp_pages(void);

/* A growable list of allocated blocks. */
struct page;
struct kt_blocks {
	struct page **page;
	unsigned char *order;
	size_t n, cap;
};
void kt_blocks_add(struct kt_blocks *b, struct page *page, unsigned int order);
/* Free every block (in a random order from @rng if not NULL) and empty the list. */
void kt_blocks_free(struct kt_blocks *b, uint64_t *rng);
void kt_blocks_release(struct kt_blocks *b);

/*
 * Take every free page of zone @zone (enum zone_type) of node @nid into @b,
 * ignoring watermarks (__GFP_MEMALLOC | __GFP_THISNODE), largest blocks
 * first.  The node's lower zones are held meanwhile (so nothing falls back
 * to them) and given back before returning; the per-CPU lists are drained
 * until nothing is left.  Return: pages taken.
 */
uint64_t kt_exhaust_zone(int nid, int zone, struct kt_blocks *b);

/*
 * Exhaustive split/merge: for every order, take every page of every zone
 * of every node (lowest zone first, so each block must come from exactly
 * the zone asked for), check alignment, node, zone and uniqueness, free
 * everything in a random order, drain, and check that free lists and
 * buddyinfo are exactly as before.  CUnit assertions inside.
 */
void kt_check_split_merge(void);

/*
 * Reads and writes of kmem memory that AddressSanitizer and Valgrind's
 * memcheck know to be free or out of bounds, made on purpose: a corruption
 * planted for kmem's own debugging to find, or a look at freed memory's
 * poison.  kmem tells both tools about its allocations (libkmem/kasan.h), so
 * plain accesses would be reported; these are not (the kernel's slub_kunit
 * brackets such accesses with kasan_disable_current()).
 */
unsigned char kt_peek(const void *p);
void kt_poke(void *p, unsigned char v);
/* Is [@p, @p + @n) all @v? */
bool kt_bytes_are(const void *p, size_t n, unsigned char v);
/* Running under AddressSanitizer (so kmem memory is poisoned when free)? */
bool kt_asan(void);

/*
 * Run @path with @argv in a child, its stdout and stderr into @out (@len
 * bytes, NUL-terminated; the rest is dropped), killed after @timeout_s.
 * Return: its wait status, or -1 if it could not be started.
 */
int kt_run(const char *path, char *const argv[], char *out, size_t len, int timeout_s);
/* @prog's path in $PATH (or the usual bin directories) into @path: false if none. */
bool kt_which(const char *prog, char *path, size_t len);
/*
 * In valgrind's output @out, a "@kind" report (its lines up to the
 * " Address " line, or the end) whose stack names @fn.
 */
bool kt_valgrind_reported(const char *out, const char *kind, const char *fn);

/* Pin the calling thread to @cpu; Return: 0 or -errno.  kt_unpin() undoes it. */
int kt_pin(int cpu);
void kt_unpin(void);
/* CPUs this thread may run on (at kt_main() start), as a list; returns the count. */
int kt_cpus(int *cpus, int max);

#endif
