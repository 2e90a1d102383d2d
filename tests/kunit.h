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

#endif
