// SPDX-License-Identifier: MIT
/* Shell jobs for the malloc front end's program suites (malloc_jobs.h). */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kunit.h"
#include "malloc_jobs.h"

bool mj_installed(const char *prog)
{
	static const char *const dirs[] = { "/usr/bin", "/bin", "/usr/local/bin" };
	char path[256];
	unsigned int i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dirs[i], prog);
		if (!access(path, X_OK))
			return true;
	}
	return false;
}

double mj_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int mj_make_numbers(const char *dir, unsigned int count)
{
	char path[300];
	uint64_t rng = 12345;
	unsigned int i;
	FILE *f;

	snprintf(path, sizeof(path), "%s/numbers", dir);
	f = fopen(path, "w");
	if (!f)
		return -1;
	for (i = 0; i < count; i++)
		fprintf(f, "%llu\n", (unsigned long long)(kt_rand(&rng) % 1000000000000ULL));
	return fclose(f);
}

static void read_file(const char *path, char *buf)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, MJ_OUTPUT_MAX - 1);

	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
}

void mj_job_env(const char *dir, const char *const *env)
{
	setenv("LC_ALL", "C", 1);
	setenv("HOME", dir, 1);
	unsetenv("KMEM_OPTIONS");
	unsetenv("KMEM_MALLOC_VERBOSE");
	unsetenv("KMEM_MALLOC_STATS");
	unsetenv("LD_PRELOAD");
	for (; env && *env; env++)
		putenv((char *)*env);
}

void mj_run(const char *dir, const char *script, const char *const *env, struct mj_output *o)
{
	char out_path[300], err_path[300];
	time_t deadline = time(NULL) + MJ_TIMEOUT_S;
	pid_t pid, done = 0;

	snprintf(out_path, sizeof(out_path), "%s/.stdout", dir);
	snprintf(err_path, sizeof(err_path), "%s/.stderr", dir);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (out < 0 || err < 0 || chdir(dir))
			_exit(126);
		dup2(out, STDOUT_FILENO);
		dup2(err, STDERR_FILENO);
		mj_job_env(dir, env);
		execl("/bin/sh", "sh", "-c", script, (char *)NULL);
		_exit(127);
	}
	o->status = -1;
	if (pid < 0)
		return;
	while (time(NULL) < deadline) {
		done = waitpid(pid, &o->status, WNOHANG);
		if (done)
			break;
		usleep(20000);
	}
	if (!done) {
		fprintf(stderr, "job timed out after %d s: %s\n", MJ_TIMEOUT_S, script);
		kill(pid, SIGKILL);
		waitpid(pid, &o->status, 0);
	}
	read_file(out_path, o->out);
	read_file(err_path, o->err);
}

void mj_show_difference(const char *what, const char *plain, const char *other, const char *how)
{
	fprintf(stderr, "--- %s without the front end:\n%.2000s\n--- %s:\n%.2000s\n", what, plain,
		how, other);
}
