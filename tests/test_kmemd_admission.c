// SPDX-License-Identifier: MIT
/*
 * Hostile peers at kmemd's attach socket, against the real daemon
 * (kmemd_harness.h): a HELLO whose comm carries escape sequences, a newline
 * and bytes that are not UTF-8 (what the log, the clients JSON and kmemctl's
 * text make of it), and a process that holds and renews hundreds of
 * connections that never say HELLO while legitimate clients attach.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "kmemd_harness.h"
#include "kmemd_proto.h"
#include "kunit.h"

static bool start(struct kh_daemon *d, const char *extra)
{
	if (kh_prepare(d, "/tmp/kmemd-admission-XXXXXX", "admission", extra) ||
	    kh_spawn(d, KH_FOREGROUND, NULL, NULL) ||
	    !kh_wait(d, kh_ctl_answers, NULL, 20000, 20)) {
		kh_print_log(d);
		return false;
	}
	return true;
}

static struct kmemd_hello hello(const char *comm, size_t len)
{
	struct kmemd_hello h = {
		.h = { .magic = KMEMD_MAGIC, .version = KMEMD_PROTO_VERSION,
		       .type = KMEMD_MSG_HELLO, .len = sizeof(h) },
		.pid = (u32)getpid(),
	};

	memcpy(h.comm, comm, len < sizeof(h.comm) ? len : sizeof(h.comm));
	return h;
}

/* Send @h on @fd; return the reply's type, or -1 when none came within 5 s. */
static int hello_reply(int fd, const struct kmemd_hello *h, int *err)
{
	union {
		struct kmemd_hdr h;
		struct kmemd_error e;
		char buf[KMEMD_MSG_MAX];
	} m;
	ssize_t n;

	if (send(fd, h, sizeof(*h), MSG_NOSIGNAL) != (ssize_t)sizeof(*h))
		return -1;
	n = kh_recv(fd, &m, sizeof(m), 5000);
	if (n < (ssize_t)sizeof(m.h))
		return -1;
	if (err)
		*err = m.h.type == KMEMD_MSG_ERROR ? m.e.err : 0;
	return m.h.type;
}

/* Does @s hold a byte a terminal would act on, or one that is not ASCII? */
static bool has_control(const char *s, bool lines_ok)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (lines_ok && (c == '\n' || c == '\t'))
			continue;
		if (c < 0x20 || c >= 0x7f)
			return true;
	}
	return false;
}

/* Wait up to 2 s for @needle in the log. */
static bool log_wait(struct kh_daemon *d, const char *needle)
{
	int i;

	for (i = 0; i < 100; i++) {
		if (strstr(kh_log(d), needle))
			return true;
		usleep(20000);
	}
	return false;
}

/*
 * A comm of 16 bytes without a NUL: ESC [2J (clear the screen), a newline
 * that would start a forged log line, a backslash, bytes that are not UTF-8.
 */
static void test_hostile_comm(void)
{
	static const char comm[16] = "\x1b[2J\nkmemd: x\\\xff\xfe";
	static const char esc[] = "\\x1b[2J\\x0akmemd:\\x20x\\\\\\xff\\xfe";
	struct kmemd_hello h = hello(comm, sizeof(comm));
	const char *args[] = { "clients", NULL };
	struct kh_daemon d;
	json_t *reply, *c;
	json_error_t jerr;
	char out[8192], *r;
	const char *log, *line;
	size_t i;
	int fd;

	if (!start(&d, "log_level = info\n")) {
		CU_FAIL("kmemd did not start");
		kh_remove(&d);
		return;
	}
	fd = kh_connect(d.sock, SOCK_SEQPACKET);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT(hello_reply(fd, &h, NULL) == KMEMD_MSG_WELCOME);

	/* the log: one line, the comm escaped, none of the bytes raw */
	CU_ASSERT(log_wait(&d, esc));
	log = kh_log(&d);
	CU_ASSERT(has_control(log, true) == false);
	line = strstr(log, esc);
	CU_ASSERT(line && strstr(log, "attached: pid") < line);
	for (line = log; line; line = strchr(line + 1, '\n'))
		CU_ASSERT(strncmp(line + (*line == '\n'), "kmemd: x", 8) != 0);

	/* the clients JSON: valid, the comm in its escaped form */
	r = kh_ctl_request(&d, "{\"cmd\":\"clients\"}\n");
	CU_ASSERT_FATAL(r != NULL);
	reply = json_loads(r, 0, &jerr);
	CU_ASSERT_FATAL(reply != NULL);
	c = NULL;
	json_array_foreach(json_object_get(reply, "clients"), i, c)
		if (json_string_value(json_object_get(c, "comm")))
			break;
	CU_ASSERT(c && !strcmp(json_string_value(json_object_get(c, "comm")) ?: "", esc));
	json_decref(reply);
	free(r);

	/* kmemctl clients: the operator's terminal sees no control byte */
	CU_ASSERT(kh_kmemctl(&d, args, out, sizeof(out), 10) == 0);
	CU_ASSERT(strstr(out, esc) != NULL);
	CU_ASSERT(has_control(out, true) == false);
	if (has_control(out, true) || !strstr(out, esc))
		fprintf(stderr, "kmemctl clients:\n%s\n", out);

	close(fd);
	kh_stop(&d, SIGTERM);
	kh_remove(&d);
}

#define IDLE_CONNS	300
#define LEGIT		12
#define MAX_CLIENTS	8

/* Hold IDLE_CONNS connections that never say HELLO, renewing one every 2 ms. */
static void __attribute__((noreturn)) idler(const char *sock)
{
	int fds[IDLE_CONNS], i = 0, n;

	for (n = 0; n < IDLE_CONNS; n++)
		fds[n] = kh_connect(sock, SOCK_SEQPACKET);
	for (;;) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = kh_connect(sock, SOCK_SEQPACKET);
		i = (i + 1) % IDLE_CONNS;
		usleep(2000);
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static unsigned int count_state(struct kh_daemon *d, const char *state)
{
	char needle[32], *r = kh_ctl_request(d, "{\"cmd\":\"clients\"}\n");
	unsigned int n = 0;
	const char *p;

	snprintf(needle, sizeof(needle), "\"state\":\"%s\"", state);
	for (p = r; p && (p = strstr(p, needle)); p++)
		n++;
	free(r);
	return n;
}

/*
 * 300 idle connections, renewed all the time: every legitimate HELLO is
 * answered (WELCOME within 5 s, normally milliseconds), and max_clients
 * still bounds the attached ones.
 */
static void test_idle_renewing_connections(void)
{
	struct kmemd_hello h = hello("legit", 5);
	int fds[LEGIT], i, type, err, welcomed = 0, refused = 0, status;
	double t, worst = 0;
	struct kh_daemon d;
	unsigned int pending = 0;
	pid_t pid;

	if (!start(&d, "max_clients = 8\n")) {
		CU_FAIL("kmemd did not start");
		kh_remove(&d);
		return;
	}
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (!pid)
		idler(d.sock);
	/* let the idler fill the queue of pending connections */
	for (i = 0; i < 100 && pending < 100; i++) {
		usleep(20000);
		pending = count_state(&d, "connected");
	}
	CU_ASSERT(pending >= 100);

	for (i = 0; i < LEGIT; i++) {
		t = now_s();
		fds[i] = kh_connect(d.sock, SOCK_SEQPACKET);
		CU_ASSERT_FATAL(fds[i] >= 0);
		type = hello_reply(fds[i], &h, &err);
		t = now_s() - t;
		if (t > worst)
			worst = t;
		if (type == KMEMD_MSG_WELCOME)
			welcomed++;
		else if (type == KMEMD_MSG_ERROR && err == EUSERS)
			refused++;
		else
			fprintf(stderr, "attach %d: reply %d (err %d) after %.3f s\n", i, type,
				err, t);
	}
	printf("\n  %u connections pending (renewed every 2 ms); %d attaches: %d welcomed, "
	       "%d refused by max_clients=%d, slowest answer %.1f ms\n", pending, LEGIT,
	       welcomed, refused, MAX_CLIENTS, worst * 1000);
	CU_ASSERT(welcomed == MAX_CLIENTS);
	CU_ASSERT(refused == LEGIT - MAX_CLIENTS);
	CU_ASSERT(worst < 5.0);
	CU_ASSERT(count_state(&d, "attached") == MAX_CLIENTS);

	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	for (i = 0; i < LEGIT; i++)
		close(fds[i]);
	CU_ASSERT(kh_stop(&d, SIGTERM) == 0);
	kh_remove(&d);
}

static const struct kt_test admission_tests[] = {
	KT_TEST(test_hostile_comm),
	KT_TEST(test_idle_renewing_connections),
	KT_END,
};

static const struct kt_suite admission_suite = { "kmemd_admission", NULL, NULL, admission_tests };

int main(int argc, char **argv)
{
	static const struct kt_suite *const suites[] = { &admission_suite, NULL };

	return kt_main(argc, argv, suites);
}
