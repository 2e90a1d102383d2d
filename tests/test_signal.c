// SPDX-License-Identifier: MIT
/*
 * kmem calls from signal handlers, which the API documents as safe:
 * __free_pages() "Context: any, including signal handlers", and GFP_ATOMIC
 * "is safe to call from a signal handler, the userspace counterpart of
 * interrupt context".
 *
 * Worker threads allocate and free while a signaller interrupts them; the
 * handler frees pages the interrupted thread set aside, or allocates with
 * GFP_ATOMIC and frees.  Each scenario runs in a child process (kmem is
 * initialised there, never in this one), so that a deadlock is detected
 * and reported instead of hanging the suite: once the signals stop, the
 * workers must finish within a deadline.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/gfp.h>
#include <linux/mm.h>

#include "kunit.h"

#define WORKERS		4
#define STASH		32
#define SIGNAL_SECONDS	1.5
#define JOIN_SECONDS	2
#define CHILD_SECONDS	30

enum handler_kind { HANDLER_FREE, HANDLER_ATOMIC_ALLOC };

static enum handler_kind handler_kind;
static int stop;	/* atomic */

/* Blocks set aside for the handler; only this thread and its handler touch them. */
static __thread struct page *stash[STASH];
static __thread unsigned int stash_order[STASH];
static __thread volatile sig_atomic_t nstash;
static __thread unsigned int handler_calls;

static void handler(int sig)
{
	int saved = errno;

	(void)sig;
	handler_calls++;
	if (handler_kind == HANDLER_FREE) {
		if (nstash > 0) {
			int n = nstash - 1;

			__free_pages(stash[n], stash_order[n]);
			nstash = n;
		}
	} else {
		unsigned int order = handler_calls % 6;
		struct page *p = alloc_pages(GFP_ATOMIC | __GFP_NOWARN, order);

		if (p) {
			*(volatile char *)page_address(p) = 1;
			__free_pages(p, order);
		}
	}
	errno = saved;
}

static void *worker(void *arg)
{
	uint64_t rng = kt_seed() ^ (uintptr_t)arg;
	struct page *live[64] = { 0 };
	unsigned int order[64], i;
	sigset_t all;

	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		uint64_t r = kt_rand(&rng);

		if (handler_kind == HANDLER_FREE && nstash < STASH) {
			unsigned int o = (unsigned int)(r >> 20) & 3;
			struct page *p = alloc_pages(GFP_KERNEL, o);

			if (p) {
				sigset_t block, old;

				/*
				 * nstash + 1 is a read-modify-write: a handler
				 * popping in between would be undone, and its
				 * freed block pushed back.  Keep it out of this
				 * bookkeeping (not out of kmem).
				 */
				sigfillset(&block);
				pthread_sigmask(SIG_BLOCK, &block, &old);
				stash[nstash] = p;
				stash_order[nstash] = o;
				nstash = nstash + 1;
				pthread_sigmask(SIG_SETMASK, &old, NULL);
			}
		}
		i = (unsigned int)(r % 64);
		if (live[i]) {
			__free_pages(live[i], order[i]);
			live[i] = NULL;
		} else {
			order[i] = (unsigned int)(r >> 8) % 6;
			live[i] = alloc_pages(GFP_KERNEL, order[i]);
		}
	}
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (i = 0; i < 64; i++)
		if (live[i])
			__free_pages(live[i], order[i]);
	while (nstash > 0) {
		nstash = nstash - 1;
		__free_pages(stash[nstash], stash_order[nstash]);
	}
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Exit status: 0 fine, 3 deadlock, 4 free lists not restored, 5 setup failed. */
static int child_main(const char *opts)
{
	struct sigaction sa;
	struct kt_snapshot *start, *end;
	pthread_t t[WORKERS];
	unsigned long sent = 0;
	double t0;
	int i;

	if (kt_init(opts))
		return 5;
	kmem_drain_all_pages();
	start = kt_snapshot();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	for (i = 0; i < WORKERS; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)(i + 1)))
			return 5;
	t0 = now_s();
	while (now_s() - t0 < SIGNAL_SECONDS) {
		pthread_kill(t[sent % WORKERS], SIGUSR1);
		sent++;
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < WORKERS; i++) {
		struct timespec deadline;

		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_sec += JOIN_SECONDS;
		if (pthread_timedjoin_np(t[i], NULL, &deadline)) {
			printf("  deadlock: worker %d still blocked %d s after the signals stopped "
			       "(%lu signals sent)\n", i, JOIN_SECONDS, sent);
			fflush(stdout);
			return 3;
		}
	}
	kmem_drain_all_pages();
	end = kt_snapshot();
	if (!kt_snapshot_equal(start, end, true))
		return 4;
	kmem_exit();
	return 0;
}

static int run_in_child(const char *opts, enum handler_kind kind)
{
	double t0 = now_s();
	pid_t pid;
	int status;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		handler_kind = kind;
		_exit(child_main(opts));
	}
	while (now_s() - t0 < CHILD_SECONDS) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		usleep(20000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	printf("  child did not finish in %d s\n", CHILD_SECONDS);
	return 3;
}

#define RSEQ_OPTS	"fake_numa=2,direct_mb=32,highmem_mb=8,hugepages=never"
#define LOCKED_OPTS	RSEQ_OPTS ",rseq=off"

static void test_free_in_handler_rseq(void)
{
	KT_ASSERT_EQ(run_in_child(RSEQ_OPTS, HANDLER_FREE), 0);
}

static void test_atomic_alloc_in_handler_rseq(void)
{
	KT_ASSERT_EQ(run_in_child(RSEQ_OPTS, HANDLER_ATOMIC_ALLOC), 0);
}

static void test_free_in_handler_locked(void)
{
	KT_ASSERT_EQ(run_in_child(LOCKED_OPTS, HANDLER_FREE), 0);
}

static void test_atomic_alloc_in_handler_locked(void)
{
	KT_ASSERT_EQ(run_in_child(LOCKED_OPTS, HANDLER_ATOMIC_ALLOC), 0);
}

static const struct kt_test tests[] = {
	KT_TEST(test_free_in_handler_rseq),
	KT_TEST(test_atomic_alloc_in_handler_rseq),
	KT_TEST(test_free_in_handler_locked),
	KT_TEST(test_atomic_alloc_in_handler_locked),
	KT_END,
};

static const struct kt_suite suite = { "signal_handlers", NULL, NULL, tests };
static const struct kt_suite *const suites[] = { &suite, NULL };

int main(int argc, char **argv) { return kt_main(argc, argv, suites); }
