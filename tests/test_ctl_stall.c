// SPDX-License-Identifier: MIT
/*
 * kmemd's control socket against peers that do not play along, black box:
 * the build's kmemd and kmemctl, one daemon for the suite (tests/kmemd_harness.h).
 *
 * What it checks: 50 peers that send requests and never read their replies
 * hold up neither kmemctl nor an attach, and are dropped once their reply
 * waited KMEMD_CTL_SEND_TIMEOUT_MS; a peer that reads slowly gets every
 * reply whole and in order, a reply larger than the socket can hold
 * included; a request begun and never finished is dropped with ETIMEDOUT,
 * one without a newline past KMEMD_CTL_MAX_REQUEST with EMSGSIZE, and
 * neither delays anyone else; a peer that half-closes after its requests
 * still gets every reply.  The bounds are generous: they catch a loop that
 * stalls (seconds per peer), not a slow machine.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <kmem/kmem.h>
#include <linux/slab.h>

#include "ctl.h"
#include "kmemd_harness.h"
#include "kunit.h"

#define NR_PEERS	50
#define ANSWER_MS	3000	/* kmemctl, an attach: normally milliseconds */

static struct kh_daemon d;

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static int suite_init(void)
{
	signal(SIGPIPE, SIG_IGN);
	if (kh_prepare(&d, "/tmp/kmemd-ctl-stall.XXXXXX", "ctl-stall", NULL) ||
	    kh_spawn(&d, 0, NULL, NULL) || !kh_wait(&d, kh_ctl_answers, NULL, 20000, 10)) {
		fprintf(stderr, "kmemd did not start; see %s\n", d.log);
		return -1;
	}
	return 0;
}

static int suite_cleanup(void)
{
	kh_stop(&d, SIGTERM);
	kh_remove(&d);
	return 0;
}

/* How many times @needle is in kmemd's log. */
static unsigned int log_count(const char *needle)
{
	const char *p = kh_log(&d);
	unsigned int n = 0;

	while ((p = strstr(p, needle))) {
		n++;
		p += strlen(needle);
	}
	return n;
}

/* Everything until EOF, up to @ms in all.  Return: true at EOF or ECONNRESET. */
static bool drain_to_eof(int fd, int ms)
{
	long long end = now_ms() + ms;
	char buf[65536];

	while (now_ms() < end) {
		ssize_t n = kh_recv(fd, buf, sizeof(buf), (int)(end - now_ms()) + 1);

		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return true;
		if (n < 0 && errno != EINTR)
			return false;
	}
	return false;
}

/* A child attaches to the daemon and exits 0; how long it took, or -1. */
static long long attach_ms(void)
{
	long long t0 = now_ms();
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		alarm(30);
		_exit(kmem_attach(d.sock) ? 90 : 0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return -1;
	return now_ms() - t0;
}

/* ------------------------------------------------------------------ */
/* peers that never read                                               */
/* ------------------------------------------------------------------ */

static void test_never_reading_peers(void)
{
	static const char req[] = "{\"cmd\":\"slabinfo\"}\n{\"cmd\":\"meminfo\"}\n";
	const char *const info[] = { "info", NULL };
	unsigned int i, j, dropped = 0, before = log_count(" dropped: ");
	int peers[NR_PEERS], status;
	long long t0, took, end;
	char out[4096], *reply;

	for (i = 0; i < NR_PEERS; i++) {
		peers[i] = kh_connect(d.ctl, SOCK_STREAM);
		CU_ASSERT_FATAL(peers[i] >= 0);
		fcntl(peers[i], F_SETFL, O_NONBLOCK);
		/* as many requests as the socket takes, a few hundred replies' worth */
		for (j = 0; j < 200; j++)
			if (send(peers[i], req, sizeof(req) - 1, MSG_NOSIGNAL) < 0)
				break;
	}

	t0 = now_ms();
	status = kh_kmemctl(&d, info, out, sizeof(out), 120);
	took = now_ms() - t0;
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CU_ASSERT(strstr(out, "nodes") != NULL);
	CU_ASSERT(took < ANSWER_MS);
	if (took >= ANSWER_MS || !strstr(out, "nodes"))
		fprintf(stderr, "kmemctl info beside %d never-reading peers: %lld ms, said: %s\n",
			NR_PEERS, took, out);
	took = attach_ms();
	CU_ASSERT(took >= 0 && took < ANSWER_MS);
	if (took < 0 || took >= ANSWER_MS)
		fprintf(stderr, "attach beside %d never-reading peers: %lld ms\n", NR_PEERS, took);

	/* reading now would let them go on: wait for the daemon to give up on them first */
	end = now_ms() + KMEMD_CTL_SEND_TIMEOUT_MS + 10000;
	while (log_count(" dropped: ") - before < NR_PEERS && now_ms() < end)
		sleep_ms(50);
	KT_ASSERT_EQ(log_count(" dropped: ") - before, NR_PEERS);
	CU_ASSERT(log_count("reply not read within") >= NR_PEERS);
	for (i = 0; i < NR_PEERS; i++) {
		dropped += drain_to_eof(peers[i], 2000);
		close(peers[i]);
	}
	KT_ASSERT_EQ(dropped, NR_PEERS);

	CU_ASSERT(kill(d.pid, 0) == 0);
	reply = kh_ctl_request(&d, "{\"cmd\":\"info\"}\n");
	CU_ASSERT(reply && strstr(reply, "\"total_pages\"") != NULL);
	free(reply);
	if (CU_get_number_of_failures())
		kh_print_log(&d);
}

/* ------------------------------------------------------------------ */
/* a peer that reads slowly                                            */
/* ------------------------------------------------------------------ */

/*
 * Send @req, then read @nr_lines reply lines @chunk bytes at a time with a
 * pause between reads.  Return: what came (malloc()ed, NUL-terminated), or
 * NULL if the connection ended or stalled first.
 */
static char *read_slowly(const char *req, unsigned int nr_lines, size_t chunk, long pause_ms)
{
	size_t used = 0, cap = 1 << 20;
	unsigned int lines = 0;
	char *buf = malloc(cap);
	int fd = kh_connect(d.ctl, SOCK_STREAM);

	if (!buf || fd < 0 || send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req))
		goto fail;
	while (lines < nr_lines) {
		ssize_t n;

		if (used + chunk + 1 > cap) {
			char *bigger = realloc(buf, cap * 2);

			if (!bigger)
				goto fail;
			buf = bigger;
			cap *= 2;
		}
		n = kh_recv(fd, buf + used, chunk, 5000);
		if (n <= 0)
			goto fail;
		for (ssize_t k = 0; k < n; k++)
			lines += buf[used + (size_t)k] == '\n';
		used += (size_t)n;
		sleep_ms(pause_ms);
	}
	buf[used] = '\0';
	close(fd);
	return buf;
fail:
	fprintf(stderr, "slow reader: the connection ended after %u of %u lines\n", lines,
		nr_lines);
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

/* Is @line a slabinfo reply that lists at least @nr_names caches named @prefix...? */
static bool slabinfo_whole(const char *line, size_t len, unsigned int nr_names,
			   const char *prefix)
{
	json_t *reply = json_loadb(line, len, 0, NULL), *arr, *c;
	unsigned int found = 0;
	bool whole;
	size_t i;

	arr = json_object_get(reply, "slabinfo");
	json_array_foreach(arr, i, c) {
		const char *name = json_string_value(json_object_get(c, "name"));

		found += name && prefix && !strncmp(name, prefix, strlen(prefix));
	}
	whole = json_is_array(arr) && found >= nr_names;
	json_decref(reply);
	return whole;
}

/* A client that creates caches with long names, so that slabinfo is large. */
#define NR_CACHES	800
#define CACHE_PREFIX	"ctl-stall-a-cache-with-a-rather-long-name-"

static pid_t spawn_cache_maker(int *done_fd)
{
	int ready[2], done[2];
	pid_t pid;
	char c;

	if (pipe(ready) || pipe(done))
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		char name[96];
		unsigned int i;

		close(ready[0]);
		close(done[1]);
		alarm(60);
		if (kmem_attach(d.sock))
			_exit(90);
		for (i = 0; i < NR_CACHES; i++) {
			snprintf(name, sizeof(name), CACHE_PREFIX "%04u", i);
			if (!kmem_cache_create(name, 64, 0, 0, NULL))
				_exit(91);
		}
		if (write(ready[1], "r", 1) != 1 || read(done[0], &c, 1) < 0)
			_exit(92);
		_exit(0);
	}
	close(ready[1]);
	close(done[0]);
	if (pid < 0 || read(ready[0], &c, 1) != 1) {
		close(ready[0]);
		close(done[1]);
		return -1;
	}
	close(ready[0]);
	*done_fd = done[1];
	return pid;
}

static void test_slow_reader(void)
{
	char req[100 * 20 + 1] = "", *got, *p, *fast;
	unsigned int i, whole = 0;
	int done = -1, status;
	size_t first = 0;
	pid_t maker;

	/* a hundred replies at once, more than the socket holds: sent as it is read */
	for (i = 0; i < 100; i++)
		strcat(req, "{\"cmd\":\"slabinfo\"}\n");
	got = read_slowly(req, 100, 4096, 1);
	CU_ASSERT_FATAL(got != NULL);
	for (p = got, i = 0; i < 100; i++) {
		char *nl = strchr(p, '\n');

		if (!nl)
			break;
		if (!i)
			first = (size_t)(nl - p);
		whole += (size_t)(nl - p) == first && !memcmp(p, got, first) &&
			 slabinfo_whole(p, (size_t)(nl - p), 0, NULL);
		p = nl + 1;
	}
	KT_ASSERT_EQ(whole, 100);
	free(got);

	/* one reply larger than the socket's buffer, read 4 KiB at a time */
	maker = spawn_cache_maker(&done);
	CU_ASSERT_FATAL(maker > 0);
	fast = kh_ctl_request(&d, "{\"cmd\":\"slabinfo\"}\n");
	got = read_slowly("{\"cmd\":\"slabinfo\"}\n", 1, 4096, 2);
	CU_ASSERT(fast && strlen(fast) > 256 * 1024);
	CU_ASSERT(got && fast && !strcmp(got, fast));
	/* the slow read equals the fast one above; this says it was the big one */
	CU_ASSERT(got && slabinfo_whole(got, strlen(got), NR_CACHES * 9 / 10, CACHE_PREFIX));
	if (got && fast)
		fprintf(stderr, "slabinfo: %zu bytes read slowly, %zu read at once\n", strlen(got),
			strlen(fast));
	free(got);
	free(fast);
	close(done);
	CU_ASSERT(waitpid(maker, &status, 0) == maker && WIFEXITED(status) &&
		  WEXITSTATUS(status) == 0);
}

/* ------------------------------------------------------------------ */
/* requests that never end                                             */
/* ------------------------------------------------------------------ */

static void test_unfinished_request(void)
{
	int fd = kh_connect(d.ctl, SOCK_STREAM), big = kh_connect(d.ctl, SOCK_STREAM);
	char buf[KMEMD_CTL_MAX_REQUEST + 1024], *reply;
	long long t0 = now_ms(), took;
	ssize_t n;

	CU_ASSERT_FATAL(fd >= 0 && big >= 0);
	CU_ASSERT(send(fd, "{\"cmd\":\"in", 10, MSG_NOSIGNAL) == 10);

	/* no newline and more than a request may be: refused at once */
	memset(buf, ' ', sizeof(buf));
	CU_ASSERT(send(big, buf, sizeof(buf), MSG_NOSIGNAL) == (ssize_t)sizeof(buf));
	n = kh_recv(big, buf, sizeof(buf) - 1, 5000);
	buf[n > 0 ? n : 0] = '\0';
	CU_ASSERT(strstr(buf, "\"EMSGSIZE\"") != NULL);
	CU_ASSERT(drain_to_eof(big, 2000));
	close(big);

	/* the unfinished one holds up no one */
	reply = kh_ctl_request(&d, "{\"cmd\":\"info\"}\n");
	CU_ASSERT(reply && strstr(reply, "\"total_pages\"") != NULL);
	free(reply);
	CU_ASSERT(now_ms() - t0 < ANSWER_MS);

	n = kh_recv(fd, buf, sizeof(buf) - 1, KMEMD_CTL_REQUEST_TIMEOUT_MS + 10000);
	took = now_ms() - t0;
	buf[n > 0 ? n : 0] = '\0';
	CU_ASSERT(strstr(buf, "\"ETIMEDOUT\"") != NULL);
	/* not before its time: a client writing its line in pieces is not cut off */
	CU_ASSERT(took >= KMEMD_CTL_REQUEST_TIMEOUT_MS / 2);
	if (!strstr(buf, "\"ETIMEDOUT\"") || took < KMEMD_CTL_REQUEST_TIMEOUT_MS / 2)
		fprintf(stderr, "unfinished request: after %lld ms got \"%s\"\n", took, buf);
	CU_ASSERT(drain_to_eof(fd, 2000));
	close(fd);
	CU_ASSERT(log_count("a request not finished within") >= 1);
}

/* The line written in two pieces, the second one at once, is answered. */
static void test_request_in_pieces(void)
{
	int fd = kh_connect(d.ctl, SOCK_STREAM);
	char buf[4096];
	ssize_t n;

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT(send(fd, "{\"cmd\":", 7, MSG_NOSIGNAL) == 7);
	sleep_ms(100);
	CU_ASSERT(send(fd, "\"info\"}\n", 8, MSG_NOSIGNAL) == 8);
	n = kh_recv(fd, buf, sizeof(buf) - 1, 5000);
	buf[n > 0 ? n : 0] = '\0';
	CU_ASSERT(strstr(buf, "\"total_pages\"") != NULL);
	close(fd);
}

/* ------------------------------------------------------------------ */
/* a peer that half-closes                                             */
/* ------------------------------------------------------------------ */

static void test_half_close(void)
{
	static const char req[] = "{\"cmd\":\"info\"}\n{\"cmd\":\"meminfo\"}\n{\"cmd\":\"list\"}\n";
	int fd = kh_connect(d.ctl, SOCK_STREAM);
	size_t used = 0;
	char buf[65536];
	ssize_t n;

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT(send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) == (ssize_t)sizeof(req) - 1);
	shutdown(fd, SHUT_WR);
	while ((n = kh_recv(fd, buf + used, sizeof(buf) - 1 - used, 5000)) > 0)
		used += (size_t)n;
	buf[used] = '\0';
	KT_ASSERT_EQ(n, 0);	/* EOF once all is answered */
	CU_ASSERT(strstr(buf, "\"cmd\":\"info\"") != NULL);
	CU_ASSERT(strstr(buf, "\"cmd\":\"meminfo\"") != NULL);
	CU_ASSERT(strstr(buf, "\"cmd\":\"list\"") != NULL);
	CU_ASSERT(used && buf[used - 1] == '\n');
	close(fd);
}

static const struct kt_test stall_tests[] = {
	KT_TEST(test_never_reading_peers),
	KT_TEST(test_slow_reader),
	KT_TEST(test_unfinished_request),
	KT_TEST(test_request_in_pieces),
	KT_TEST(test_half_close),
	KT_END,
};

static const struct kt_suite stall_suite = { "ctl_stall", suite_init, suite_cleanup,
					     stall_tests };

int main(int argc, char **argv)
{
	static const struct kt_suite *const suites[] = { &stall_suite, NULL };

	return kt_main(argc, argv, suites);
}
