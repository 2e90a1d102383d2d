// SPDX-License-Identifier: MIT
/*
 * kmemctl top, black box: the real kmemctl (KMEMCTL_PATH) against the real
 * kmemd (KMEMD_PATH), started on a small two-node (fake NUMA) configuration
 * in a temporary directory, as tests/test_kmemd.c does.
 *
 * Interactive runs get a pseudo-terminal of their own (openpty), whose
 * slave side this process keeps open: after kmemctl exits, its termios
 * shows whether kmemctl put the terminal back.  What is checked: the panels
 * and an attached client's kmalloc cache appear, frames keep coming, rates
 * get numbers from the second frame on, a sort key and a resize take
 * effect, q exits 0 with the alternate screen left and the cursor shown;
 * batch mode (-b, or stdout a pipe) prints plain frames with a blank line
 * between them; kmemd killed under a running top gives the terminal back,
 * one "kmemd went away" line and exit 2, while kmemd restarted under it
 * is reconnected to; bad usage and no daemon give one line and exit 2.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <utmp.h>

#include <linux/slab.h>

#include "kmemd_harness.h"
#include "kunit.h"

#ifndef KMEMD_PATH
#error "KMEMD_PATH: the kmemd binary (tests/CMakeLists.txt)"
#endif
#ifndef KMEMCTL_PATH
#error "KMEMCTL_PATH: the kmemctl binary (tests/CMakeLists.txt)"
#endif

#define TERM_ENTER	"\033[?1049h"
#define TERM_LEAVE	"\033[?25h\033[?1049l"
#define FRAME_HEADER	"kmemctl top - "
#define CLIENT_OBJECTS	2000

/* ------------------------------------------------------------- kmemd */

/* (Re)start kmemd on @d's configuration; ready once its control socket answers. */
static bool kmemd_exec(struct kh_daemon *d)
{
	if (!kh_spawn(d, 0, NULL, NULL) && kh_wait(d, kh_ctl_answers, NULL, 20000, 10))
		return true;
	kh_print_log(d);
	return false;
}

/* kmemd on two fake nodes, no huge pages, in a new temporary directory. */
static bool kmemd_start(struct kh_daemon *d)
{
	if (kh_prepare(d, "/tmp/kmemctl-top.XXXXXX", "top-test", "fake_numa = 2\n"))
		return false;
	return kmemd_exec(d);
}

static void kmemd_cleanup(struct kh_daemon *d)
{
	kh_stop(d, SIGTERM);
	kh_remove(d);
}

/*
 * An attached client holding CLIENT_OBJECTS kmalloc(64) objects until it is
 * killed, so that kmalloc-64 leads the slab table (sorted by active size).
 */
static pid_t spawn_client(const struct kh_daemon *d)
{
	int ready[2];
	pid_t pid;
	char c;

	if (pipe(ready))
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		int i;

		close(ready[0]);
		if (kmem_attach(d->sock))
			_exit(1);
		for (i = 0; i < CLIENT_OBJECTS; i++)
			if (!kmalloc(64, GFP_KERNEL))
				_exit(1);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(ready[1]);
	if (pid < 0 || read(ready[0], &c, 1) != 1) {
		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
		pid = -1;
	}
	close(ready[0]);
	return pid;
}

/* ----------------------------------------------------------- the pty */

struct pty_run {
	pid_t pid;
	int master, slave;		/* the slave stays open here: its termios outlives kmemctl */
	struct termios before;
	int status;			/* wait status once exited */
	bool exited;
	char *out;			/* everything kmemctl wrote, NUL-terminated */
	size_t len, cap;
};

/* kmemctl --socket CTL top ARGS... on a @rows x @cols pseudo-terminal. */
static bool top_start(struct pty_run *r, const char *ctl, int rows, int cols,
		      const char *const args[])
{
	struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
	char *argv[16];
	int n = 0;

	memset(r, 0, sizeof(*r));
	if (openpty(&r->master, &r->slave, NULL, NULL, &ws))
		return false;
	tcgetattr(r->slave, &r->before);
	r->cap = 1 << 20;
	r->out = calloc(1, r->cap);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r->out);
	argv[n++] = (char *)"kmemctl";
	argv[n++] = (char *)"--socket";
	argv[n++] = (char *)ctl;
	argv[n++] = (char *)"top";
	while (*args && n < 15)
		argv[n++] = (char *)*args++;
	argv[n] = NULL;
	fflush(NULL);
	r->pid = fork();
	CU_ASSERT_FATAL(r->pid >= 0);
	if (r->pid == 0) {
		close(r->master);
		if (login_tty(dup(r->slave)))
			_exit(126);
		close(r->slave);
		execv(KMEMCTL_PATH, argv);
		_exit(127);
	}
	fcntl(r->master, F_SETFL, O_NONBLOCK);
	return true;
}

/* Read what is there, for at most @ms; keep the newest bytes when full. */
static void pty_pump(struct pty_run *r, int ms)
{
	struct pollfd p = { .fd = r->master, .events = POLLIN };

	while (poll(&p, 1, ms) > 0) {
		ssize_t n;

		if (r->len + 4096 + 1 > r->cap) {	/* drop the oldest half */
			memmove(r->out, r->out + r->cap / 2, r->len - r->cap / 2);
			r->len -= r->cap / 2;
		}
		n = read(r->master, r->out + r->len, 4096);
		if (n <= 0)
			break;
		r->len += (size_t)n;
		r->out[r->len] = '\0';
		ms = 0;
	}
	if (!r->exited && waitpid(r->pid, &r->status, WNOHANG) == r->pid)
		r->exited = true;
}

static unsigned int count(const char *hay, const char *needle)
{
	unsigned int n = 0;

	while ((hay = strstr(hay, needle))) {
		n++;
		hay++;
	}
	return n;
}

/* Wait up to @ms until @needle occurs @times times in the output after @from. */
static bool pty_wait_for(struct pty_run *r, size_t from, const char *needle, unsigned int times,
			 int ms)
{
	for (; ms > 0; ms -= 50) {
		pty_pump(r, 50);
		if (count(r->out + (from < r->len ? from : r->len), needle) >= times)
			return true;
		if (r->exited)
			break;
	}
	return count(r->out + (from < r->len ? from : r->len), needle) >= times;
}

/* Wait up to @ms for kmemctl to exit, then read what it left. Return: exited. */
static bool pty_wait_exit(struct pty_run *r, int ms)
{
	for (; ms > 0 && !r->exited; ms -= 50)
		pty_pump(r, 50);
	if (r->exited)
		pty_pump(r, 200);
	return r->exited;
}

/* Are the slave's line discipline flags as they were before kmemctl ran? */
static bool pty_restored(const struct pty_run *r)
{
	struct termios now;

	if (tcgetattr(r->slave, &now))
		return false;
	return (now.c_lflag & (ICANON | ECHO | ISIG)) ==
		       (r->before.c_lflag & (ICANON | ECHO | ISIG)) &&
	       (now.c_oflag & OPOST) == (r->before.c_oflag & OPOST);
}

static void pty_close(struct pty_run *r)
{
	if (!r->exited && r->pid > 0) {
		kill(r->pid, SIGKILL);
		waitpid(r->pid, NULL, 0);
	}
	close(r->master);
	close(r->slave);
	free(r->out);
}

/*
 * The last whole frame at or after @from: from a cursor-home to the erase
 * at its end, escape sequences removed, lines split at "\r\n".  Return:
 * the number of lines (in @lines, NUL-terminated in @buf), or -1.
 */
static int last_frame(const struct pty_run *r, size_t from, char *buf, size_t len,
		      char **lines, int max)
{
	const char *start = NULL, *p = r->out + from, *end;
	size_t o = 0;
	int n = 0;

	for (; (p = strstr(p, "\033[H")); p++) {
		if (strstr(p, "\033[J"))
			start = p;
	}
	if (!start)
		return -1;
	start += 3;
	end = strstr(start, "\033[J");
	lines[n++] = buf;
	for (p = start; p < end && o + 1 < len; p++) {
		if (*p == '\033') {		/* CSI: ESC [ params final */
			p += 2;
			while (p < end && !(*p >= 0x40 && *p <= 0x7e))
				p++;
			continue;
		}
		if (p[0] == '\r' && p[1] == '\n') {
			buf[o++] = '\0';
			p++;
			if (n < max)
				lines[n++] = buf + o;
			continue;
		}
		buf[o++] = *p;
	}
	buf[o] = '\0';
	return n;
}

/*
 * kmemd, then top on a 40 x 120 terminal.  Return: both run; if not, the
 * failure (or the skip: no pseudo-terminal here) is recorded and kmemd gone.
 */
static bool kmemd_and_top(struct kh_daemon *d, struct pty_run *r, const char *const args[])
{
	if (!kmemd_start(d)) {
		CU_FAIL("kmemd did not start");
		kmemd_cleanup(d);
		return false;
	}
	if (!top_start(r, d->ctl, 40, 120, args)) {
		printf("SKIPPED: no pseudo-terminal (openpty: %s)\n", strerror(errno));
		kmemd_cleanup(d);
		return false;
	}
	return true;
}

/* Did top's output end by leaving the alternate screen, the cursor shown? */
static bool left_alternate_screen(const struct pty_run *r)
{
	return r->len >= strlen(TERM_LEAVE) &&
	       !strcmp(r->out + r->len - strlen(TERM_LEAVE), TERM_LEAVE);
}

/* @key makes top exit 0 within 5 s, the screen and the terminal given back. */
static void assert_key_quits(struct pty_run *r, const char *key)
{
	CU_ASSERT(write(r->master, key, 1) == 1);
	CU_ASSERT_FATAL(pty_wait_exit(r, 5000));
	CU_ASSERT(WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0);
	CU_ASSERT(left_alternate_screen(r));
	CU_ASSERT(pty_restored(r));
}

static void test_top_interactive(void)
{
	static const char *const args[] = { "-d", "0.2", NULL };
	char screen[65536], *lines[256];
	struct pty_run r;
	struct kh_daemon d;
	size_t mark;
	pid_t client;
	int i, n;

	if (!kmemd_start(&d)) {
		CU_FAIL("kmemd did not start");
		kmemd_cleanup(&d);
		return;
	}
	client = spawn_client(&d);
	CU_ASSERT(client > 0);
	if (!top_start(&r, d.ctl, 60, 140, args)) {
		printf("SKIPPED: no pseudo-terminal (openpty: %s)\n", strerror(errno));
		kmemd_cleanup(&d);
		return;
	}
	/* three frames: the panels, then rates from the second on */
	CU_ASSERT(pty_wait_for(&r, 0, FRAME_HEADER, 3, 10000));
	CU_ASSERT(strstr(r.out, TERM_ENTER) != NULL);
	CU_ASSERT(strstr(r.out, "Memory: ") != NULL);
	CU_ASSERT(strstr(r.out, "Clients: 1 attached") != NULL);
	CU_ASSERT(strstr(r.out, "NODE ZONE") != NULL);
	CU_ASSERT(strstr(r.out, "NUMA_HIT/s") != NULL);
	CU_ASSERT(strstr(r.out, "KSWAPD") != NULL);
	CU_ASSERT(strstr(r.out, "OBJ SIZE") != NULL);
	CU_ASSERT(strstr(r.out, "sort: active size") != NULL);
	n = last_frame(&r, 0, screen, sizeof(screen), lines, 256);
	CU_ASSERT_FATAL(n > 0);
	CU_ASSERT(n <= 60);
	for (i = 0; i < n; i++) {
		CU_ASSERT(strlen(lines[i]) <= 140);
		if (!strncmp(lines[i], "Rates/s: allocations ", 21))	/* a number, not "-" */
			CU_ASSERT(lines[i][21] >= '0' && lines[i][21] <= '9');
	}
	/* the client's kmalloc-64 leads the slab table, every object in it active */
	for (i = 0; i < n && !strstr(lines[i], "OBJ SIZE"); i++)
		;
	CU_ASSERT_FATAL(i + 1 < n);
	CU_ASSERT(strstr(lines[i + 1], " kmalloc-64") != NULL);
	CU_ASSERT(atoll(lines[i + 1] + 7) >= CLIENT_OBJECTS);	/* the ACTIVE column */

	/* a sort key redraws at once */
	mark = r.len;
	CU_ASSERT(write(r.master, "n", 1) == 1);
	CU_ASSERT(pty_wait_for(&r, mark, "sort: name", 1, 5000));

	/* a smaller window: frames fit it */
	{
		struct winsize ws = { .ws_row = 20, .ws_col = 60 };

		CU_ASSERT(ioctl(r.master, TIOCSWINSZ, &ws) == 0);
		mark = r.len;
		CU_ASSERT(pty_wait_for(&r, mark, FRAME_HEADER, 2, 5000));
		n = last_frame(&r, mark, screen, sizeof(screen), lines, 256);
		CU_ASSERT(n > 0 && n <= 20);
		for (i = 0; i < n; i++)
			CU_ASSERT(strlen(lines[i]) <= 60);
	}

	assert_key_quits(&r, "q");
	pty_close(&r);
	if (client > 0) {
		kill(client, SIGKILL);
		waitpid(client, NULL, 0);
	}
	kmemd_cleanup(&d);
}

/* Ctrl-C (ISIG stays on: the pty's line discipline sends SIGINT) quits as q does. */
static void test_top_ctrl_c_and_sigterm(void)
{
	static const char *const args[] = { "-d", "0.2", NULL };
	struct pty_run r;
	struct kh_daemon d;

	if (!kmemd_and_top(&d, &r, args))
		return;
	CU_ASSERT(pty_wait_for(&r, 0, FRAME_HEADER, 1, 10000));
	assert_key_quits(&r, "\003");
	pty_close(&r);

	if (!top_start(&r, d.ctl, 40, 120, args)) {
		CU_FAIL("openpty failed the second time");
		kmemd_cleanup(&d);
		return;
	}
	CU_ASSERT(pty_wait_for(&r, 0, FRAME_HEADER, 1, 10000));
	kill(r.pid, SIGTERM);
	CU_ASSERT_FATAL(pty_wait_exit(&r, 5000));
	CU_ASSERT(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 128 + SIGTERM);
	CU_ASSERT(left_alternate_screen(&r));
	CU_ASSERT(pty_restored(&r));
	pty_close(&r);
	kmemd_cleanup(&d);
}

/* kmemd killed under a running top: terminal back, one line, exit 2. */
static void test_top_kmemd_goes_away(void)
{
	static const char *const args[] = { "-d", "0.2", NULL };
	struct pty_run r;
	struct kh_daemon d;
	const char *tail;
	char *end;

	if (!kmemd_and_top(&d, &r, args))
		return;
	CU_ASSERT(pty_wait_for(&r, 0, FRAME_HEADER, 2, 10000));
	kh_stop(&d, SIGKILL);
	CU_ASSERT_FATAL(pty_wait_exit(&r, 15000));
	CU_ASSERT(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 2);
	CU_ASSERT(pty_restored(&r));
	/* after leaving the alternate screen: exactly one line, the reason */
	tail = strstr(r.out, TERM_LEAVE);
	CU_ASSERT_FATAL(tail != NULL);
	tail += strlen(TERM_LEAVE);
	while (*tail == '\r' || *tail == '\n')
		tail++;
	CU_ASSERT(!strncmp(tail, "kmemctl: kmemd went away: ", 26));
	end = strchr(tail, '\n');
	CU_ASSERT(end != NULL);
	if (end) {
		while (*end == '\r' || *end == '\n')
			end++;
		CU_ASSERT(*end == '\0');
	}
	if (!tail[0] || strncmp(tail, "kmemctl: kmemd went away: ", 26))
		fprintf(stderr, "after the frames: \"%s\"\n", tail);
	CU_ASSERT(strstr(tail, "\033") == NULL);
	pty_close(&r);
	kmemd_cleanup(&d);
}

/*
 * kmemd restarted under a running top: its connection breaks, it connects
 * again and goes on.  top is stopped meanwhile, so that the restart lands
 * between two samples whatever the machine's speed.
 */
static void test_top_reconnects(void)
{
	static const char *const args[] = { "-d", "0.2", NULL };
	struct pty_run r;
	struct kh_daemon d;
	size_t mark;

	if (!kmemd_and_top(&d, &r, args))
		return;
	CU_ASSERT(pty_wait_for(&r, 0, FRAME_HEADER, 2, 10000));
	kill(r.pid, SIGSTOP);
	kh_stop(&d, SIGTERM);
	CU_ASSERT_FATAL(kmemd_exec(&d));
	mark = r.len;
	kill(r.pid, SIGCONT);
	CU_ASSERT(pty_wait_for(&r, mark, FRAME_HEADER, 3, 10000));
	CU_ASSERT(!r.exited);
	CU_ASSERT(strstr(r.out + mark, "went away") == NULL);
	CU_ASSERT(write(r.master, "q", 1) == 1);
	CU_ASSERT_FATAL(pty_wait_exit(&r, 5000));
	CU_ASSERT(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	CU_ASSERT(pty_restored(&r));
	pty_close(&r);
	kmemd_cleanup(&d);
}

static void test_top_batch(void)
{
	static char out[1 << 20];
	struct kh_daemon d;
	int status;

	if (!kmemd_start(&d)) {
		CU_FAIL("kmemd did not start");
		kmemd_cleanup(&d);
		return;
	}
	{
		static const char *const args[] = { "top", "-b", "-n", "2", "-d", "0.2", NULL };

		status = kh_kmemctl(&d, args, out, sizeof(out), 30);
		CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		KT_ASSERT_EQ(count(out, FRAME_HEADER), 2);
		KT_ASSERT_EQ(count(out, "\n\n" FRAME_HEADER), 1);	/* a blank line between */
		CU_ASSERT(!strncmp(out, FRAME_HEADER, strlen(FRAME_HEADER)));
		CU_ASSERT(strchr(out, '\033') == NULL);
		CU_ASSERT(strstr(out, "kmalloc-64") != NULL);
		CU_ASSERT(strstr(out, "dma-kmalloc-8k") != NULL);	/* batch: every cache */
		CU_ASSERT(strstr(out, "KSWAPD") != NULL);
	}
	{
		/* stdout a pipe, no -b: batch all the same */
		static const char *const args[] = { "top", "-n", "1", NULL };

		status = kh_kmemctl(&d, args, out, sizeof(out), 30);
		CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		KT_ASSERT_EQ(count(out, FRAME_HEADER), 1);
		CU_ASSERT(strchr(out, '\033') == NULL);
	}
	kmemd_cleanup(&d);
}

/* Run kmemctl @argv: exit status 2 and exactly one "kmemctl: " line. */
static void expect_usage_error(char *const argv[])
{
	char out[4096];
	int status = kt_run(KMEMCTL_PATH, argv, out, sizeof(out), 30);

	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 2);
	CU_ASSERT(!strncmp(out, "kmemctl: ", 9));
	KT_ASSERT_EQ(count(out, "\n"), 1);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 2 || count(out, "\n") != 1)
		fprintf(stderr, "kmemctl %s %s: \"%s\"\n", argv[3], argv[4] ?: "", out);
}

static void test_top_usage(void)
{
	char missing[128], out[8192];
	int status;

	snprintf(missing, sizeof(missing), "/tmp/kmemctl-top-none.%d/kmemd.ctl", (int)getpid());
	{
		char *const argv[] = { "kmemctl", "--socket", missing, "top", "--help", NULL };

		status = kt_run(KMEMCTL_PATH, argv, out, sizeof(out), 30);
		CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		CU_ASSERT(strstr(out, "usage: kmemctl") != NULL);
		CU_ASSERT(strstr(out, "keys:") != NULL);
	}
	{
		char *const argv[] = { "kmemctl", "--socket", missing, "top", "-d", "0", NULL };

		expect_usage_error(argv);
	}
	{
		char *const argv[] = { "kmemctl", "--socket", missing, "top", "-d", "soon", NULL };

		expect_usage_error(argv);
	}
	{
		char *const argv[] = { "kmemctl", "--socket", missing, "top", "-n", "0", NULL };

		expect_usage_error(argv);
	}
	{
		char *const argv[] = { "kmemctl", "--socket", missing, "top", "-s", "x", NULL };

		expect_usage_error(argv);
	}
	{
		char *const argv[] = { "kmemctl", "--socket", missing, "top", "-x", NULL };

		expect_usage_error(argv);
	}
	{
		char *const argv[] = { "kmemctl", "--socket", missing, "top", "extra", NULL };

		expect_usage_error(argv);
	}
	{
		/* no daemon: kmemctl's own line for it */
		char *const argv[] = { "kmemctl", "--socket", missing, "top", "-b", NULL };

		expect_usage_error(argv);
	}
}

static const struct kt_test top_tests[] = {
	KT_TEST(test_top_usage),
	KT_TEST(test_top_batch),
	KT_TEST(test_top_interactive),
	KT_TEST(test_top_ctrl_c_and_sigterm),
	KT_TEST(test_top_kmemd_goes_away),
	KT_TEST(test_top_reconnects),
	KT_END,
};

static const struct kt_suite top_suite = { "kmemctl_top", NULL, NULL, top_tests };

int main(int argc, char **argv)
{
	static const struct kt_suite *const suites[] = { &top_suite, NULL };

	return kt_main(argc, argv, suites);
}
