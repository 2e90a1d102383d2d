// SPDX-License-Identifier: MIT
/*
 * kmemd's reserve_hugepages = yes, for real: the host's 2 MiB pool is raised
 * by exactly what the direct maps need (a few pages), recorded in
 * RUNDIR/hugepages.saved, and given back on SIGTERM (during the start too),
 * on a fatal signal, and
 * after a SIGKILL at the next start; a reservation that would starve the
 * host is refused, and a record of a kmemd still running is left alone.
 *
 * Needs root and a writable pool; otherwise it prints "SKIPPED:".  The
 * pool is put back to what it was at the start whatever happens (after
 * each test, at exit, on a fatal signal of the test's own).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kmemd_harness.h"
#include "kunit.h"

#define POOL	"/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
#define FREE	"/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages"

/* 2 fake nodes of 4 MiB direct map: 4 pages of 2 MiB */
#define CONF	"fake_numa = 2\ndirect_mb = 4\nhighmem_mb = 2\nhugepages = require\n" \
		"reserve_hugepages = yes\n"
#define NEED	4

static int pool_fd = -1;
static char pool_old[32];
static size_t pool_old_len;
static long pool_before;

/* Async-signal-safe: the value was formatted beforehand. */
static void pool_put_back(void)
{
	if (pool_fd >= 0 && pwrite(pool_fd, pool_old, pool_old_len, 0) < 0) {
		static const char msg[] = "test_kmemd_hugepages: could not put back " POOL "\n";

		if (write(2, msg, sizeof(msg) - 1) < 0)
			return;
	}
}

static void pool_put_back_on_signal(int sig)
{
	pool_put_back();
	signal(sig, SIG_DFL);
	raise(sig);
}

static long read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static long pool(void)
{
	return read_long(POOL);
}

/* What kmemd must add: what the free pages fall short of. */
static long expected_added(void)
{
	long free_pages = read_long(FREE);

	return free_pages >= NEED ? 0 : NEED - free_pages;
}

static void saved_path(const struct kh_daemon *d, char *path, size_t len)
{
	snprintf(path, len, "%s/run/hugepages.saved", d->dir);
}

static bool saved_exists(const struct kh_daemon *d)
{
	char path[128];

	saved_path(d, path, sizeof(path));
	return access(path, F_OK) == 0;
}

static bool start(struct kh_daemon *d)
{
	if (kh_spawn(d, KH_FOREGROUND, NULL, NULL))
		return false;
	if (kh_wait(d, kh_ctl_answers, NULL, 20000, 20))
		return true;
	fprintf(stderr, "kmemd did not get ready\n");
	kh_print_log(d);
	return false;
}

/* Whatever a test left: the daemon killed, the directory gone, the pool as it was. */
static void finish(struct kh_daemon *d)
{
	kh_remove(d);
	if (pool() != pool_before) {
		fprintf(stderr, "  the pool was left at %ld (was %ld); put back\n", pool(),
			pool_before);
		pool_put_back();
	}
}

static void test_sigterm_gives_back(void)
{
	struct kh_daemon d;
	char path[128], text[512];
	long added = expected_added();
	FILE *f;
	int status;

	CU_ASSERT_FATAL(!kh_prepare(&d, "/tmp/kmemd-hp.XXXXXX", "hp", CONF));
	if (!start(&d)) {
		CU_FAIL("kmemd did not start");
		finish(&d);
		return;
	}
	KT_ASSERT_EQ(pool(), pool_before + added);
	saved_path(&d, path, sizeof(path));
	f = fopen(path, "r");
	CU_ASSERT_PTR_NOT_NULL(f);
	if (f) {
		char line[128];

		text[fread(text, 1, sizeof(text) - 1, f)] = '\0';
		fclose(f);
		snprintf(line, sizeof(line), "pid %d ", (int)d.pid);
		CU_ASSERT(strstr(text, line) != NULL);
		snprintf(line, sizeof(line), POOL " %ld %ld\n", pool_before, added);
		if (added)
			CU_ASSERT(strstr(text, line) != NULL);
	}
	status = kh_stop(&d, SIGTERM);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	KT_ASSERT_EQ(pool(), pool_before);
	CU_ASSERT(!saved_exists(&d));
	if (added)
		CU_ASSERT(strstr(kh_log(&d), "restored " POOL) != NULL);
	finish(&d);
}

/* A SIGTERM as soon as the pool is raised (kmem_init() still to come) stops kmemd in order. */
static void test_sigterm_during_start(void)
{
	struct kh_daemon d;
	long added = expected_added();
	int status, waited;

	CU_ASSERT_FATAL(!kh_prepare(&d, "/tmp/kmemd-hp.XXXXXX", "hp", CONF));
	CU_ASSERT_FATAL(!kh_spawn(&d, KH_FOREGROUND, NULL, NULL));
	for (waited = 0; !saved_exists(&d) && waited < 10000; waited++)
		usleep(1000);
	CU_ASSERT(saved_exists(&d));
	status = kh_stop(&d, SIGTERM);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		kh_print_log(&d);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	KT_ASSERT_EQ(pool(), pool_before);
	CU_ASSERT(!saved_exists(&d));
	if (added)
		CU_ASSERT(strstr(kh_log(&d), "restored " POOL) != NULL);
	finish(&d);
}

/* SIGKILL leaves the pool raised; the next start gives it back first, and says so. */
static void test_sigkill_next_start_gives_back(void)
{
	struct kh_daemon d;
	long added = expected_added();
	int status;

	CU_ASSERT_FATAL(!kh_prepare(&d, "/tmp/kmemd-hp.XXXXXX", "hp", CONF));
	if (!start(&d)) {
		CU_FAIL("kmemd did not start");
		finish(&d);
		return;
	}
	kh_stop(&d, SIGKILL);
	KT_ASSERT_EQ(pool(), pool_before + added);
	CU_ASSERT(saved_exists(&d));

	/* the next start, reserving again: given back, then raised once, not twice */
	if (!start(&d)) {
		CU_FAIL("kmemd did not start again");
		finish(&d);
		return;
	}
	if (added) {
		CU_ASSERT(strstr(kh_log(&d), "died without giving back its pool; restored") != NULL);
		if (!strstr(kh_log(&d), "died without giving back its pool; restored"))
			kh_print_log(&d);
	}
	KT_ASSERT_EQ(pool(), pool_before + added);
	kh_stop(&d, SIGKILL);

	/* and a start that reserves nothing gives it back too */
	CU_ASSERT_FATAL(!kh_write_conf(&d, CONF "reserve_hugepages = no\nhugepages = auto\n"));
	if (!start(&d)) {
		CU_FAIL("kmemd did not start a third time");
		finish(&d);
		return;
	}
	KT_ASSERT_EQ(pool(), pool_before);
	CU_ASSERT(!saved_exists(&d));
	if (added)
		CU_ASSERT(strstr(kh_log(&d), "died without giving back its pool; restored") != NULL);
	status = kh_stop(&d, SIGTERM);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	KT_ASSERT_EQ(pool(), pool_before);
	finish(&d);
}

/* A crash gives the pool back from the signal handler, and still dies of its signal. */
static void test_fatal_signal_gives_back(void)
{
	static const int sigs[] = { SIGSEGV, SIGABRT, SIGBUS, SIGFPE };
	unsigned int i;

	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct kh_daemon d;
		long added = expected_added();
		int status;

		CU_ASSERT_FATAL(!kh_prepare(&d, "/tmp/kmemd-hp.XXXXXX", "hp", CONF));
		if (!start(&d)) {
			CU_FAIL("kmemd did not start");
			finish(&d);
			return;
		}
		KT_ASSERT_EQ(pool(), pool_before + added);
		status = kh_stop(&d, sigs[i]);
		if (!WIFSIGNALED(status) || WTERMSIG(status) != sigs[i])
			fprintf(stderr, "  %s: status 0x%x\n", strsignal(sigs[i]), status);
		CU_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == sigs[i]);
		KT_ASSERT_EQ(pool(), pool_before);
		CU_ASSERT(!saved_exists(&d));
		if (added)
			CU_ASSERT(strstr(kh_log(&d), "fatal signal: huge page pool given back") != NULL);
		finish(&d);
	}
}

static unsigned long long memtotal_mb(void)
{
	unsigned long long kb = 0;
	char line[256];
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %llu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb >> 10;
}

/* A direct map that fits the node but not beside the host: refused, the pool untouched. */
static void test_reservation_too_big_refused(void)
{
	char extra[256];
	struct kh_daemon d;
	int status;

	snprintf(extra, sizeof(extra), "fake_numa = 1\ndirect_mb = %llu\nhighmem_mb = 2\n"
		 "hugepages = require\nreserve_hugepages = yes\n", memtotal_mb() / 16 * 15);
	CU_ASSERT_FATAL(!kh_prepare(&d, "/tmp/kmemd-hp.XXXXXX", "hp", extra));
	CU_ASSERT_FATAL(!kh_spawn(&d, KH_FOREGROUND, NULL, NULL));
	status = kh_stop(&d, 0);	/* it exits by itself */
	if (!(WIFEXITED(status) && WEXITSTATUS(status) == 1))
		kh_print_log(&d);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	CU_ASSERT(strstr(kh_log(&d), "the host keeps; not reserving") != NULL);
	KT_ASSERT_EQ(pool(), pool_before);
	CU_ASSERT(!saved_exists(&d));
	finish(&d);
}

/*
 * The record of a kmemd that still runs is not a dead one's: a second
 * kmemd on the same runtime directory stops (status 1) and leaves it; a
 * record naming a dead process and paths that are no pool is ignored.
 */
static void test_saved_file_checked(void)
{
	struct kh_daemon d, e;
	char path[128];
	long added = expected_added();
	pid_t child;
	FILE *f;
	int status;

	CU_ASSERT_FATAL(!kh_prepare(&d, "/tmp/kmemd-hp.XXXXXX", "hp", CONF));
	if (!start(&d)) {
		CU_FAIL("kmemd did not start");
		finish(&d);
		return;
	}
	e = d;
	e.pid = -1;
	CU_ASSERT_FATAL(!kh_spawn(&e, KH_FOREGROUND, NULL, NULL));
	status = kh_stop(&e, 0);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	CU_ASSERT(strstr(kh_log(&e), "still runs with this runtime directory") != NULL);
	KT_ASSERT_EQ(pool(), pool_before + added);
	CU_ASSERT(saved_exists(&d));
	status = kh_stop(&d, SIGTERM);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	KT_ASSERT_EQ(pool(), pool_before);

	/* a dead pid's record that names something other than a pool */
	child = fork();
	if (child == 0)
		_exit(0);
	waitpid(child, NULL, 0);
	saved_path(&d, path, sizeof(path));
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fprintf(f, "pid %d 1\n/proc/sys/vm/overcommit_memory 0 2\n"
		   "/sys/kernel/mm/hugepages/hugepages-2048kB/../x/nr_hugepages 0 1\n", (int)child);
	fclose(f);
	CU_ASSERT_FATAL(!kh_write_conf(&d, "reserve_hugepages = no\n"));
	if (!start(&d)) {
		CU_FAIL("kmemd did not start on a bad record");
		finish(&d);
		return;
	}
	CU_ASSERT(strstr(kh_log(&d), "ignoring '/proc/sys/vm/overcommit_memory 0 2'") != NULL);
	CU_ASSERT(strstr(kh_log(&d), "ignoring '/sys/kernel/mm/hugepages/") != NULL);
	CU_ASSERT(!saved_exists(&d));
	KT_ASSERT_EQ(pool(), pool_before);
	kh_stop(&d, SIGTERM);
	finish(&d);
}

static const struct kt_test tests[] = {
	KT_TEST(test_sigterm_gives_back),
	KT_TEST(test_sigterm_during_start),
	KT_TEST(test_sigkill_next_start_gives_back),
	KT_TEST(test_fatal_signal_gives_back),
	KT_TEST(test_reservation_too_big_refused),
	KT_TEST(test_saved_file_checked),
	KT_END,
};

static const struct kt_suite suite = { "kmemd_hugepages", NULL, NULL, tests };
static const struct kt_suite *const suites[] = { &suite, NULL };

int main(int argc, char **argv)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGSEGV, SIGBUS, SIGABRT, SIGFPE };
	unsigned int i;
	int ret;

	if (geteuid() != 0) {
		printf("SKIPPED: needs root to resize the huge page pool\n");
		return 0;
	}
	pool_fd = open(POOL, O_RDWR | O_CLOEXEC);
	if (pool_fd < 0) {
		printf("SKIPPED: cannot open %s for writing: %s\n", POOL, strerror(errno));
		return 0;
	}
	pool_before = pool();
	if (pool_before < 0) {
		printf("SKIPPED: cannot read %s\n", POOL);
		return 0;
	}
	pool_old_len = (size_t)snprintf(pool_old, sizeof(pool_old), "%ld\n", pool_before);
	atexit(pool_put_back);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], pool_put_back_on_signal);
	ret = kt_main(argc, argv, suites);
	if (pool() != pool_before) {
		fprintf(stderr, "test_kmemd_hugepages: the pool is at %ld, was %ld\n", pool(),
			pool_before);
		ret = 1;
	}
	return ret;
}
