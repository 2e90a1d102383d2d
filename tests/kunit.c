// SPDX-License-Identifier: MIT
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/Basic.h>

#include "kunit.h"

static pthread_mutex_t cap_lock = PTHREAD_MUTEX_INITIALIZER;
static char *cap_buf;
static size_t cap_len, cap_size;
static unsigned int cap_count;

static void capture_sink(const char *msg, void *arg)
{
	size_t n = strlen(msg);

	(void)arg;
	pthread_mutex_lock(&cap_lock);
	if (cap_len + n + 1 > cap_size) {
		cap_size = (cap_len + n + 1) * 2;
		cap_buf = realloc(cap_buf, cap_size);
	}
	memcpy(cap_buf + cap_len, msg, n + 1);
	cap_len += n;
	cap_count++;
	pthread_mutex_unlock(&cap_lock);
}

void kt_capture_start(void)
{
	pthread_mutex_lock(&cap_lock);
	cap_len = 0;
	cap_count = 0;
	if (cap_buf)
		cap_buf[0] = '\0';
	pthread_mutex_unlock(&cap_lock);
	kmem_set_report_sink(capture_sink, NULL);
}

void kt_capture_stop(void)
{
	kmem_set_report_sink(NULL, NULL);
}

bool kt_captured(const char *needle)
{
	bool found;

	pthread_mutex_lock(&cap_lock);
	found = cap_buf && strstr(cap_buf, needle);
	pthread_mutex_unlock(&cap_lock);
	return found;
}

unsigned int kt_captured_count(void)
{
	return cap_count;
}

const char *kt_captured_text(void)
{
	return cap_buf ? cap_buf : "";
}

int kt_init(const char *options)
{
	struct kmem_options opts;
	char err[160];

	kmem_options_init(&opts);
	opts.quiet = true;
	if (options && kmem_options_parse(&opts, options, err, sizeof(err))) {
		fprintf(stderr, "kt_init: %s\n", err);
		return -1;
	}
	return kmem_init(&opts);
}

static uint64_t seed;

uint64_t kt_seed(void)
{
	const char *env = getenv("KMEM_TEST_SEED");

	if (!seed)
		seed = env ? strtoull(env, NULL, 0) : 0x6b6d656d2d746573ULL;
	return seed ? seed : 1;
}

uint64_t kt_rand(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

int kt_main(int argc, char **argv, const struct kt_suite *const *suites)
{
	unsigned int failures;

	(void)argc;
	(void)argv;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	for (; *suites; suites++) {
		const struct kt_suite *s = *suites;
		CU_pSuite suite = CU_add_suite(s->name, s->init, s->cleanup);
		const struct kt_test *t;

		if (!suite)
			return 1;
		for (t = s->tests; t->name; t++)
			CU_add_test(suite, t->name, t->fn);
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures() + CU_get_number_of_suites_failed();
	if (failures)
		printf("\nfailures: %u (seed 0x%llx; rerun with KMEM_TEST_SEED)\n", failures,
		       (unsigned long long)kt_seed());
	CU_cleanup_registry();
	return failures ? 1 : 0;
}
