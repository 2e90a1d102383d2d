/* SPDX-License-Identifier: MIT */
/*
 * Shell jobs for the suites that run real programs on the malloc front end
 * (test_malloc_programs embedded, test_malloc_attached on a real kmemd):
 * a job is a sh -c script run in a work directory with its stdout and
 * stderr captured, in an environment that is the same every time but for
 * what the suite adds, so that a run with the front end and one without
 * can be compared byte for byte.
 */
#ifndef _KMEM_TEST_MALLOC_JOBS_H
#define _KMEM_TEST_MALLOC_JOBS_H

#include <stdbool.h>

#define MJ_OUTPUT_MAX	(1 << 20)
#define MJ_TIMEOUT_S	60	/* a bound for slow machines, never a timing check */

struct mj_output {
	char out[MJ_OUTPUT_MAX];
	char err[MJ_OUTPUT_MAX];
	int status;		/* waitpid()'s; -1 if the job could not start */
};

/* Is @prog in /usr/bin, /bin or /usr/local/bin? */
bool mj_installed(const char *prog);

double mj_now(void);

/* @count numbers, one a line, from a fixed seed, in @dir/numbers.  Return: 0 or -1. */
int mj_make_numbers(const char *dir, unsigned int count);

/*
 * A job's environment, in the child about to exec it: LC_ALL=C and
 * HOME=@dir, no KMEM_OPTIONS, KMEM_MALLOC_VERBOSE, KMEM_MALLOC_STATS or
 * LD_PRELOAD; then @env (NAME=VALUE strings, NULL-terminated, or NULL).
 */
void mj_job_env(const char *dir, const char *const *env);

/*
 * Run @script with sh -c in @dir, in mj_job_env()'s environment.  Killed
 * after MJ_TIMEOUT_S, which is said on stderr.
 */
void mj_run(const char *dir, const char *script, const char *const *env, struct mj_output *o);

/* @what of the run without the front end and of the run @how ("with it", "attached"). */
void mj_show_difference(const char *what, const char *plain, const char *other, const char *how);

#endif /* _KMEM_TEST_MALLOC_JOBS_H */
