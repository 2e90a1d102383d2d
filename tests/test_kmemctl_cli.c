// SPDX-License-Identifier: MIT
/*
 * kmemctl's command line, black box: the real build/kmemctl (KMEMCTL_PATH)
 * against the real build/daemon/kmemd (KMEMD_PATH), started once for the suite
 * on a temporary configuration with small memory and no huge pages.
 *
 * What it checks: every command's --help exits 0 with a usage line; each error
 * (no daemon, permission denied twice over, a version mismatch, an unknown
 * cache, tunable, command or option, bad usage, --embedded's refusals) is
 * exactly one "kmemctl: " line on stderr and the documented exit status;
 * slabtop's rows come in the order of each sort key; set/get round-trip;
 * fault-inject sets and shows; the raw passthrough and the global-option forms
 * scripts use; --embedded reads a forked embedded allocator (two fake nodes)
 * exactly as it reads itself, and a corrupted one is one error line; the man
 * page is warning-free roff naming every command.  What the views print is
 * checked against the allocator's counters elsewhere (and --json against the
 * schemas): here only that they answer.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>
#include <kmem/kmem.h>
#include <linux/gfp.h>
#include <linux/slab.h>

#include "kmemd_harness.h"
#include "kunit.h"
#include "internal.h"

#ifndef KMEMD_PATH
#error "KMEMD_PATH, KMEMCTL_PATH, KMEMCTL_MAN: tests/CMakeLists.txt"
#endif

/* Every command kmemctl has, but top (its own suite drives it in a terminal). */
static const char *const commands[] = {
	"buddyinfo", "pagetypeinfo", "zoneinfo", "slabinfo", "slabtop", "vmallocinfo",
	"meminfo", "numastat", "vmstat", "lsmem", "clients", "watermarks", "info", "list", "shrink",
	"chmem", "orphans", "drop-pcp", "fault-inject", "get", "set", "raw", NULL
};

/* The views: no arguments, they only read. */
static const char *const views[] = {
	"buddyinfo", "pagetypeinfo", "zoneinfo", "slabinfo", "slabtop", "vmallocinfo",
	"meminfo", "numastat", "vmstat", "lsmem", "clients", "watermarks", "info", "list", NULL
};

static struct kh_daemon d = { .pid = -1 };	/* the suite's, started once */

/* ------------------------------------------------------------------ */
/* running kmemctl                                                     */
/* ------------------------------------------------------------------ */

struct run {
	int status;		/* the exit status, or 128 + signal */
	char out[65536];
	char err[4096];
	size_t out_len, err_len;
};

static struct run r;	/* the last run's; large, so not on the stack */

/*
 * kmemctl with the arguments given (NULL-terminated), as @uid when it is not
 * -1; fills r.  Return: its exit status.
 */
static int kmemctl_as(uid_t uid, const char *first, ...)
{
	const char *argv[64] = { "kmemctl" };
	int out[2], err[2], n = 1, status;
	struct pollfd p[2];
	va_list ap;
	pid_t pid;

	va_start(ap, first);
	for (argv[n] = first; argv[n] && n < 62; argv[++n] = va_arg(ap, const char *))
		;
	va_end(ap);
	argv[n] = NULL;
	memset(&r, 0, sizeof(r));
	CU_ASSERT_FATAL(!pipe2(out, O_CLOEXEC) && !pipe2(err, O_CLOEXEC));
	fflush(NULL);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		dup2(out[1], STDOUT_FILENO);
		dup2(err[1], STDERR_FILENO);
		unsetenv("KMEMD_CTL_SOCKET");
		if (uid != (uid_t)-1 && (setgroups(0, NULL), setgid(uid) || setuid(uid)))
			_exit(120);
		execv(KMEMCTL_PATH, (char **)argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	p[0] = (struct pollfd){ .fd = out[0], .events = POLLIN };
	p[1] = (struct pollfd){ .fd = err[0], .events = POLLIN };
	while (p[0].fd >= 0 || p[1].fd >= 0) {
		int i;

		if (poll(p, 2, 20000) <= 0)
			break;
		for (i = 0; i < 2; i++) {
			char *buf = i ? r.err : r.out;
			size_t *len = i ? &r.err_len : &r.out_len, cap = i ? sizeof(r.err) :
									     sizeof(r.out);
			char sink[4096];
			ssize_t got;

			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (*len + 1 < cap)
				got = read(p[i].fd, buf + *len, cap - 1 - *len);
			else
				got = read(p[i].fd, sink, sizeof(sink));	/* keep it going */
			if (got <= 0) {
				close(p[i].fd);
				p[i].fd = -1;
			} else if (*len + 1 < cap) {
				*len += (size_t)got;
			}
		}
	}
	if (p[0].fd >= 0)
		close(p[0].fd);
	if (p[1].fd >= 0)
		close(p[1].fd);
	waitpid(pid, &status, 0);
	r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return r.status;
}

#define kmemctl(...)	kmemctl_as((uid_t)-1, __VA_ARGS__)
/* kmemctl against the suite's kmemd */
#define ctl(...)	kmemctl("--socket", d.ctl, __VA_ARGS__)

/* The last run failed as kmemctl(8) says errors do: one "kmemctl: " line, @status. */
static void assert_one_error_line(int status, const char *needle)
{
	char *nl = strchr(r.err, '\n');
	bool one_line = nl && nl[1] == '\0';

	KT_ASSERT_EQ(r.status, status);
	CU_ASSERT(!strncmp(r.err, "kmemctl: ", 9));
	CU_ASSERT(one_line);
	CU_ASSERT(strstr(r.err, needle) != NULL);
	if (r.status != status || strncmp(r.err, "kmemctl: ", 9) || !one_line ||
	    !strstr(r.err, needle))
		fprintf(stderr, "wanted status %d and \"%s\"; got %d, stderr:\n%s", status, needle,
			r.status, r.err);
}

/* ------------------------------------------------------------------ */
/* the daemon                                                          */
/* ------------------------------------------------------------------ */

static int suite_init(void)
{
	if (kh_prepare(&d, "/tmp/kmemctl-test.XXXXXX", "kmemctl-test", NULL) ||
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

/* ------------------------------------------------------------------ */
/* help                                                                */
/* ------------------------------------------------------------------ */

static void test_help(void)
{
	const char *const *c;
	char usage[64];

	KT_ASSERT_EQ(kmemctl("--help", NULL), 0);
	CU_ASSERT(!strncmp(r.out, "usage: kmemctl ", 15));
	/* every command the help lists has its --help checked here (top: its own suite) */
	{
		char *line, *save = NULL, *copy = strdup(strstr(r.out, "commands:\n") ?: "");
		bool in_list = false;

		for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			char name[32];
			bool known = false;

			if (!strcmp(line, "commands:")) {
				in_list = true;
				continue;
			}
			if (!in_list || strncmp(line, "  ", 2) || line[2] == ' ')
				break;
			sscanf(line, "%31s", name);
			for (c = commands; *c && !known; c++)
				known = !strcmp(*c, name);
			if (!known && strcmp(name, "top"))
				fprintf(stderr, "kmemctl --help lists \"%s\", untested\n", name);
			CU_ASSERT(known || !strcmp(name, "top"));
		}
		free(copy);
	}
	for (c = commands; *c; c++) {
		snprintf(usage, sizeof(usage), "usage: kmemctl [--socket PATH] [--json] %s", *c);
		KT_ASSERT_EQ(kmemctl(*c, "--help", NULL), 0);
		CU_ASSERT(!strncmp(r.out, usage, strlen(usage)));
		KT_ASSERT_EQ(r.err_len, 0);
		/* -h, and after global options, and among arguments */
		KT_ASSERT_EQ(kmemctl("--json", *c, "-h", NULL), 0);
		CU_ASSERT(!strncmp(r.out, usage, strlen(usage)));
		KT_ASSERT_EQ(ctl(*c, "x", "--help", NULL), 0);
		CU_ASSERT(!strncmp(r.out, usage, strlen(usage)));
	}
}

/* ------------------------------------------------------------------ */
/* errors                                                              */
/* ------------------------------------------------------------------ */

static void test_no_daemon(void)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	snprintf(path, sizeof(path), "%s/nothing-here.ctl", d.dir);
	kmemctl("--socket", path, "buddyinfo", NULL);
	assert_one_error_line(2, "is kmemd running?");
	CU_ASSERT(strstr(r.err, path) != NULL);
	KT_ASSERT_EQ(r.out_len, 0);

	/* a socket file nobody listens on: connection refused */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memcpy(sa.sun_path, path, sizeof(sa.sun_path));
	CU_ASSERT_FATAL(fd >= 0 && !bind(fd, (struct sockaddr *)&sa, sizeof(sa)));
	ctl("info", NULL);	/* the suite's kmemd, for contrast */
	KT_ASSERT_EQ(r.status, 0);
	kmemctl("--socket", path, "slabinfo", NULL);
	assert_one_error_line(2, "is kmemd running?");
	close(fd);
	unlink(path);

	/* $KMEMD_CTL_SOCKET is read when --socket is not given */
	setenv("KMEMD_CTL_SOCKET", d.ctl, 1);
	fflush(NULL);
	CU_ASSERT(system(KMEMCTL_PATH " info >/dev/null") == 0);
	unsetenv("KMEMD_CTL_SOCKET");
}

static void test_permission_denied(void)
{
	if (getuid() != 0) {
		printf("SKIPPED: test_permission_denied needs root (setuid to 65534)\n");
		return;
	}
	/* the socket lets everyone in (0666); kmemd admits root and its own user only */
	kmemctl_as(65534, "--socket", d.ctl, "buddyinfo", NULL);
	assert_one_error_line(2, "permission denied");
	CU_ASSERT(strstr(r.err, d.ctl) != NULL);
	CU_ASSERT(strstr(r.err, "allowed_users") != NULL);
	KT_ASSERT_EQ(r.out_len, 0);

	/* the socket's mode keeps the user out before kmemd sees it */
	CU_ASSERT_FATAL(!chmod(d.ctl, 0600));
	kmemctl_as(65534, "--socket", d.ctl, "slabinfo", NULL);
	assert_one_error_line(2, "permission denied on ");
	CU_ASSERT(strstr(r.err, d.ctl) != NULL);
	CU_ASSERT(strstr(r.err, "mode 0600") != NULL);
	CU_ASSERT(!chmod(d.ctl, 0666));
	KT_ASSERT_EQ(ctl("info", NULL), 0);	/* root still may */
}

/* A server of another protocol version: answers one request with version 99. */
static void *other_version_server(void *arg)
{
	int lfd = *(int *)arg, fd = accept(lfd, NULL, NULL);
	static const char reply[] = "{\"version\":99,\"cmd\":\"buddyinfo\",\"text\":\"x\\n\"}\n";
	char buf[512];

	if (fd >= 0) {
		if (read(fd, buf, sizeof(buf)) > 0 && write(fd, reply, sizeof(reply) - 1) < 0)
			perror("other_version_server");
		close(fd);
	}
	return NULL;
}

static void test_version_mismatch(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	pthread_t t;
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/v99.ctl", d.dir);
	CU_ASSERT_FATAL(lfd >= 0 && !bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) &&
			!listen(lfd, 1));
	CU_ASSERT_FATAL(!pthread_create(&t, NULL, other_version_server, &lfd));
	kmemctl("--socket", sa.sun_path, "buddyinfo", NULL);
	pthread_join(t, NULL);
	close(lfd);
	unlink(sa.sun_path);
	assert_one_error_line(2, "protocol version mismatch");
	CU_ASSERT(strstr(r.err, "99") != NULL);		/* both versions named */
	CU_ASSERT(strstr(r.err, "version 1") != NULL);
	KT_ASSERT_EQ(r.out_len, 0);			/* nothing of the reply printed */
}

static void test_refusals(void)
{
	ctl("shrink", "nosuch", NULL);
	assert_one_error_line(1, "no cache called \"nosuch\"");
	ctl("--json", "shrink", "nosuch", NULL);
	assert_one_error_line(1, "no cache called");
	ctl("get", "nosuch", NULL);
	assert_one_error_line(1, "no tunable called \"nosuch\"");
	ctl("set", "watermark_scale_factor", "0", NULL);	/* 1..3000 */
	assert_one_error_line(1, "watermark_scale_factor");
	ctl("fault-inject", "failslab", "nosuch=1", NULL);
	assert_one_error_line(1, "nosuch");
	ctl("raw", "shrink", "cache=nosuch", NULL);
	assert_one_error_line(1, "no cache called");
	ctl("orphans", "x", NULL);
	assert_one_error_line(2, "CLIENT must be a client id");
	ctl("orphans", "7", "-1", NULL);
	assert_one_error_line(2, "LIMIT");
	/* an id no client ever had holds nothing (test_kmemd counts a dead client's) */
	KT_ASSERT_EQ(ctl("orphans", "4000000000", NULL), 0);
	CU_ASSERT(strstr(r.out, "client 4000000000: 0 objects, 0 bytes") != NULL);
}

static void test_bad_usage(void)
{
	static const char *const bad[][5] = {
		{ "nosuch" },
		{ "--bogus", "buddyinfo" },
		{ "buddyinfo", "--bogus" },
		{ "buddyinfo", "extra" },
		{ "shrink", "a", "b" },
		{ "set", "min_free_kbytes" },
		{ "set", "min_free_kbytes", "lots" },
		{ "slabtop", "-s", "z" },
		{ "slabtop", "-n", "x" },
		{ "slabtop", "-s" },
		{ "fault-inject", "nosuch" },
		{ "fault-inject", "failslab", "probability" },
		{ "raw" },
		{ "raw", "list", "novalue" },
		{ "--socket" },
	};
	size_t i;

	kmemctl(NULL);
	assert_one_error_line(2, "no command");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		kmemctl("--socket", d.ctl, bad[i][0], bad[i][1], bad[i][2], bad[i][3], NULL);
		assert_one_error_line(2, "");
		KT_ASSERT_EQ(r.out_len, 0);
	}
	/* bad usage changes nothing: the valid pair before the bad one is not sent */
	ctl("fault-inject", "failslab", "probability=42", "junk", NULL);
	KT_ASSERT_EQ(r.status, 2);
	ctl("--json", "fault-inject", NULL);
	CU_ASSERT(strstr(r.out, "\"probability\": 42") == NULL);
}

/*
 * A child with an embedded allocator (two fake nodes, 8 order-3 blocks taken on
 * node 1) writes its own buddyinfo and numastat to @fd, then waits for @go to close.
 * @corrupt: then it scribbles on its shared segment.  @private: memory=private.
 */
static void embedded_child(int fd, int go, bool corrupt, bool private)
{
	char buf[8192], c;
	FILE *f;
	int i;

	if (kt_init(private ? "fake_numa=2,direct_mb=16,highmem_mb=4,memory=private" :
			      "fake_numa=2,direct_mb=16,highmem_mb=4,hugepages=never"))
		_exit(10);
	for (i = 0; i < 8; i++)
		if (!alloc_pages_node(1, GFP_KERNEL, 3))
			_exit(11);
	f = fmemopen(buf, sizeof(buf), "w");
	if (!f || kmem_show_buddyinfo(f) || fputs("--\n", f) < 0 || kmem_show_numastat(f))
		_exit(12);
	fclose(f);
	if (corrupt)	/* more free pages than the zone spans */
		kmem_mm.shm->node_data[0].node_zones[1].free_pages = 1ULL << 40;
	if (write(fd, buf, strlen(buf)) < 0)
		_exit(13);
	close(fd);
	while (read(go, &c, 1) > 0)
		;
	_exit(0);
}

/*
 * Fork embedded_child(): text[0] reads what it writes, closing go[1] lets it
 * exit (the caller closes both, and reaps it).  Return: its pid.
 */
static pid_t embedded_child_start(bool corrupt, bool private, int text[2], int go[2])
{
	pid_t child;

	CU_ASSERT_FATAL(!pipe2(text, O_CLOEXEC) && !pipe2(go, O_CLOEXEC));
	fflush(NULL);
	child = fork();
	CU_ASSERT_FATAL(child >= 0);
	if (child == 0) {
		close(text[0]);
		close(go[1]);
		embedded_child(text[1], go[0], corrupt, private);
	}
	close(text[1]);
	close(go[0]);
	return child;
}

/*
 * Start an embedded child (@private: memory=private) and check that what it
 * reads of itself is what kmemctl reads of it from outside: buddyinfo and
 * numastat, byte for byte, and zoneinfo as JSON.  @pid gets its pid as text;
 * closing go[1] lets it exit (the caller reaps it).  Return: its pid.
 */
static pid_t embedded_views_match(bool private, char pid[16], int go[2])
{
	static char own[8192], theirs[sizeof(r.out)];
	int text[2];
	ssize_t n, len = 0;
	pid_t child;

	child = embedded_child_start(false, private, text, go);
	while (len < (ssize_t)sizeof(own) - 1 &&
	       (n = read(text[0], own + len, sizeof(own) - 1 - (size_t)len)) > 0)
		len += n;
	own[len] = '\0';
	close(text[0]);
	CU_ASSERT_FATAL(len > 0);
	snprintf(pid, 16, "%d", (int)child);

	KT_ASSERT_EQ(kmemctl("--embedded", pid, "buddyinfo", NULL), 0);
	memcpy(theirs, r.out, sizeof(theirs));
	KT_ASSERT_EQ(kmemctl("--embedded", pid, "numastat", NULL), 0);
	strncat(theirs, "--\n", sizeof(theirs) - strlen(theirs) - 1);
	strncat(theirs, r.out, sizeof(theirs) - strlen(theirs) - 1);
	CU_ASSERT_STRING_EQUAL(theirs, own);
	CU_ASSERT(strstr(own, "node1") != NULL);
	KT_ASSERT_EQ(kmemctl("--json", "--embedded", pid, "zoneinfo", NULL), 0);
	CU_ASSERT(strstr(r.out, "\"zoneinfo\"") != NULL);
	return child;
}

static void test_embedded(void)
{
	static char own[8192];
	int text[2], go[2];
	char pid[16];
	pid_t child;

	kmemctl("--embedded", "nope", "slabinfo", NULL);
	assert_one_error_line(2, "not a process id");
	kmemctl("--embedded", "999999999", "buddyinfo", NULL);
	assert_one_error_line(2, "no such process");
	snprintf(pid, sizeof(pid), "%d", (int)getpid());	/* no kmem yet in this one */
	kmemctl("--embedded", pid, "buddyinfo", NULL);
	assert_one_error_line(2, "no kmem allocator in that process");
	/* --help still works, and exits 0 */
	KT_ASSERT_EQ(kmemctl("--embedded", pid, "slabinfo", "--help", NULL), 0);

	child = embedded_views_match(false, pid, go);
	KT_ASSERT_EQ(kmemctl("--embedded", pid, "watermarks", NULL), 0);
	KT_ASSERT_EQ(kmemctl("--embedded", pid, "pagetypeinfo", NULL), 0);

	/* the rest needs the memory or the locks, or changes the allocator: refused */
	kmemctl("--embedded", pid, "slabinfo", NULL);
	assert_one_error_line(2, "cannot be done from outside the process");
	kmemctl("--embedded", pid, "shrink", NULL);
	assert_one_error_line(2, "cannot be done from outside the process");
	kmemctl("--embedded", pid, "top", NULL);
	assert_one_error_line(2, "--embedded");
	if (getuid() == 0) {
		kmemctl_as(65534, "--embedded", pid, "buddyinfo", NULL);
		assert_one_error_line(2, "permission denied");
	}
	close(go[1]);
	waitpid(child, NULL, 0);

	/* a process that scribbled on its segment: one line naming it, kmemctl still up */
	child = embedded_child_start(true, false, text, go);
	CU_ASSERT(read(text[0], own, sizeof(own)) > 0);
	close(text[0]);
	snprintf(pid, sizeof(pid), "%d", (int)child);
	kmemctl("--embedded", pid, "zoneinfo", NULL);
	assert_one_error_line(1, "shared segment corrupted");
	KT_ASSERT_EQ(r.out_len, 0);
	close(go[1]);
	waitpid(child, NULL, 0);
}

/* memory=private: no memfd holds the segment; kmemctl reads it through /proc/PID/mem. */
static void test_embedded_private(void)
{
	int go[2];
	char pid[16];
	pid_t child = embedded_views_match(true, pid, go);

	if (getuid() == 0) {
		kmemctl_as(65534, "--embedded", pid, "buddyinfo", NULL);
		assert_one_error_line(2, "permission denied");
	}
	close(go[1]);
	waitpid(child, NULL, 0);
}

/* ------------------------------------------------------------------ */
/* commands                                                            */
/* ------------------------------------------------------------------ */

/* Every view answers, with the options before or after it; the output is its own. */
static void test_views_answer(void)
{
	const char *const *v;
	json_error_t jerr;
	json_t *j;

	for (v = views; *v; v++) {
		KT_ASSERT_EQ(ctl(*v, NULL), 0);
		/* no vmalloc area, no line, as /proc/vmallocinfo */
		CU_ASSERT(r.out_len > 0 || !strcmp(*v, "vmallocinfo"));
		KT_ASSERT_EQ(r.err_len, 0);
		KT_ASSERT_EQ(kmemctl("--socket", d.ctl, "--json", *v, NULL), 0);
		j = json_loads(r.out, 0, &jerr);
		CU_ASSERT(json_is_object(j) && json_object_get(j, "version"));
		json_decref(j);
		KT_ASSERT_EQ(kmemctl(*v, "--json", "--socket", d.ctl, NULL), 0);
		j = json_loads(r.out, 0, &jerr);
		CU_ASSERT(json_is_object(j));
		json_decref(j);
	}
	KT_ASSERT_EQ(kmemctl("--socket=" "/nonexistent", "--socket", d.ctl, "info", NULL), 0);
}

/* pagetypeinfo's Unmovable rows are buddyinfo's rows: kmem has no other migrate type. */
static void test_pagetypeinfo_is_buddyinfo(void)
{
	static char buddy[sizeof(r.out)];
	char *line, *save = NULL;
	unsigned int rows = 0;

	KT_ASSERT_EQ(ctl("buddyinfo", NULL), 0);
	memcpy(buddy, r.out, sizeof(buddy));
	KT_ASSERT_EQ(ctl("pagetypeinfo", NULL), 0);
	CU_ASSERT(!strncmp(r.out, "Page block order: ", 18));
	CU_ASSERT(strstr(r.out, "\nPages per block:  ") != NULL);
	CU_ASSERT(strstr(r.out, "\nNumber of blocks type     Unmovable      Movable  Reclaimable"
				"   HighAtomic      Isolate \n") != NULL);
	for (line = strtok_r(buddy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		int node;
		char zone[16], want[256];
		const char *counts = strchr(line, ',') ? strchr(line, ',') + 15 : NULL;

		CU_ASSERT_FATAL(counts && sscanf(line, "Node %d, zone %15s", &node, zone) == 2);
		snprintf(want, sizeof(want), "Node %4d, zone %8s, type    Unmovable%s\n", node,
			 zone, counts);
		CU_ASSERT(strstr(r.out, want) != NULL);
		if (!strstr(r.out, want))
			fprintf(stderr, "pagetypeinfo lacks: %s", want);
		rows++;
	}
	CU_ASSERT(rows > 0);
}

/* The caches and the table rows of the last "slabtop" run, and the summary's labels. */
static void parse_slabtop_rows(char names[][32], size_t *n, size_t max)
{
	static const char *const summary[] = {
		" Active / Total Objects (% used)    : ", " Active / Total Slabs (% used)      : ",
		" Active / Total Caches (% used)     : ", " Active / Total Size (% used)       : ",
		" Minimum / Average / Maximum Object : "
	};
	char *header = strstr(r.out, "\n\n  OBJS ACTIVE  USE OBJ SIZE  SLABS OBJ/SLAB CACHE SIZE "
				     "NAME\n");
	char *line, *save = NULL;
	size_t i;

	for (i = 0; i < 5; i++)
		CU_ASSERT(strstr(r.out, summary[i]) != NULL);
	*n = 0;
	CU_ASSERT_FATAL(header != NULL);
	for (line = strtok_r(strchr(header + 2, '\n') + 1, "\n", &save); line && *n < max;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned long long objs, active, slabs, perslab, size;
		unsigned int use;
		double objsize;

		CU_ASSERT(sscanf(line, "%llu %llu %u%% %lfK %llu %llu %lluK %31s", &objs, &active,
				 &use, &objsize, &slabs, &perslab, &size, names[*n]) == 8);
		(*n)++;
	}
}

static unsigned long long key_of(json_t *c, char key)
{
#define F(name)	((unsigned long long)json_integer_value(json_object_get(c, name)))
	unsigned long long objs = F("num_objs");

	switch (key) {
	case 'a': return F("active_objs");
	case 'b': return F("objperslab");
	case 'c': return F("num_slabs") * F("pagesperslab");
	case 'l': return F("num_slabs");
	case 'v': return F("active_slabs");
	case 'o': return objs;
	case 'p': return F("pagesperslab");
	case 's': return F("objsize");
	case 'u': return objs ? 100 * F("active_objs") / objs : 0;
	}
#undef F
	return 0;
}

static void test_slabtop_sort(void)
{
	static const char keys[] = "abclvnopsu";
	static char names[256][32];
	void *objs[600] = { NULL };
	bool attached;
	size_t i, n;
	const char *k;

	/* some objects of several sizes, so that the keys disagree */
	attached = kmem_attach(d.sock) == 0;
	if (attached)
		for (i = 0; i < 600; i++)
			objs[i] = kmalloc(i < 400 ? 64 : i < 560 ? 1024 : 4000, GFP_KERNEL);
	else
		printf("(kmem_attach failed: slabtop sorted over empty caches only)\n");

	for (k = keys; *k; k++) {
		char key[2] = { *k, '\0' };
		json_error_t jerr;
		json_t *reply, *caches, *prev = NULL, *c;
		size_t j;

		KT_ASSERT_EQ(ctl("slabtop", "--json", "-s", key, NULL), 0);
		reply = json_loads(r.out, 0, &jerr);
		caches = json_object_get(reply, "slabinfo");
		CU_ASSERT_FATAL(json_array_size(caches) > 3);
		/* still a slabinfo reply: its text is the table, the summary's numbers beside */
		CU_ASSERT(!strncmp(json_string_value(json_object_get(reply, "text")) ?: "",
				   " Active / Total Objects", 23));
		CU_ASSERT(json_is_object(json_object_get(reply, "slabtop")));
		json_array_foreach(caches, j, c) {
			const char *name = json_string_value(json_object_get(c, "name"));

			if (prev) {
				const char *pname =
					json_string_value(json_object_get(prev, "name"));
				bool ordered;

				if (*k == 'n')
					ordered = strcmp(pname, name) < 0;
				else
					ordered = key_of(prev, *k) > key_of(c, *k) ||
						  (key_of(prev, *k) == key_of(c, *k) &&
						   strcmp(pname, name) < 0);
				CU_ASSERT(ordered);
				if (!ordered)
					fprintf(stderr, "slabtop -s %c: %s before %s\n", *k, pname,
						name);
			}
			prev = c;
		}
		/* the text table lists the caches in the same order */
		KT_ASSERT_EQ(ctl("slabtop", "--sort", key, NULL), 0);
		parse_slabtop_rows(names, &n, 256);
		KT_ASSERT_EQ(n, json_array_size(caches));
		json_array_foreach(caches, j, c)
			if (j < n)
				CU_ASSERT_STRING_EQUAL(names[j], json_string_value(
							       json_object_get(c, "name")));
		json_decref(reply);
	}
	if (attached) {
		/* the busiest cache by objects is ours, and -n cuts the table */
		KT_ASSERT_EQ(ctl("slabtop", "-n", "2", NULL), 0);
		parse_slabtop_rows(names, &n, 256);
		KT_ASSERT_EQ(n, 2);
		CU_ASSERT_STRING_EQUAL(names[0], "kmalloc-64");
		KT_ASSERT_EQ(ctl("slabtop", "-s", "s", "-n", "1", NULL), 0);
		parse_slabtop_rows(names, &n, 256);
		KT_ASSERT_EQ(n, 1);
		CU_ASSERT(strstr(names[0], "kmalloc-") != NULL);
		for (i = 0; i < 600; i++)
			kfree(objs[i]);
		CU_ASSERT_EQUAL(kmem_detach(), 0);
	}
}

static void test_set_get(void)
{
	unsigned long before, after;
	char value[32];

	KT_ASSERT_EQ(ctl("get", "min_free_kbytes", NULL), 0);
	CU_ASSERT_FATAL(sscanf(r.out, "%lu", &before) == 1);
	snprintf(value, sizeof(value), "%lu", before + 256);
	KT_ASSERT_EQ(ctl("set", "min_free_kbytes", value, NULL), 0);
	CU_ASSERT(strstr(r.out, "min_free_kbytes = ") == r.out);
	KT_ASSERT_EQ(ctl("get", "vm.min_free_kbytes", NULL), 0);
	CU_ASSERT(sscanf(r.out, "%lu", &after) == 1);
	KT_ASSERT_EQ(after, before + 256);
	KT_ASSERT_EQ(ctl("get", NULL), 0);
	{
		char line[64];

		snprintf(line, sizeof(line), "min_free_kbytes = %lu\n", before + 256);
		CU_ASSERT(strstr(r.out, line) != NULL);
		CU_ASSERT(strstr(r.out, "watermark_scale_factor = ") != NULL);
	}
	KT_ASSERT_EQ(ctl("--json", "get", NULL), 0);
	{
		json_error_t jerr;
		json_t *j = json_loads(r.out, 0, &jerr);

		KT_ASSERT_EQ(json_integer_value(json_object_get(json_object_get(j, "tunables"),
								"min_free_kbytes")), before + 256);
		json_decref(j);
	}
	snprintf(value, sizeof(value), "%lu", before);
	KT_ASSERT_EQ(ctl("set", "min_free_kbytes", value, NULL), 0);
	KT_ASSERT_EQ(ctl("get", "min_free_kbytes", NULL), 0);
	CU_ASSERT(sscanf(r.out, "%lu", &after) == 1);
	KT_ASSERT_EQ(after, before);
}

/* @attr's value in @injector's block of "kmemctl fault-inject", or NULL. */
static const char *fault_shown(const char *injector, const char *attr)
{
	static char value[64];
	char *block, *line, want[64];

	snprintf(want, sizeof(want), "%s\n", injector);
	block = strstr(r.out, want);
	if (!block || (block != r.out && block[-1] != '\n'))
		return NULL;
	snprintf(want, sizeof(want), "\n  %s ", attr);
	line = strstr(block, want);
	/* the next injector's block starts with a line not indented */
	for (char *p = strchr(block, '\n'); p && line; p = strchr(p + 1, '\n'))
		if (p[1] != ' ') {
			if (line > p)
				return NULL;
			break;
		}
	if (!line || sscanf(line + strlen(want), " %63s", value) != 1)
		return NULL;
	return value;
}

static void test_fault_inject(void)
{
	json_error_t jerr;
	json_t *j, *fs;

	KT_ASSERT_EQ(ctl("fault-inject", "failslab", "probability=7", "interval=3", "times=-1",
			 "task-filter=N", "cache-filter=yes", NULL), 0);
	CU_ASSERT(r.out_len > 0 && !strncmp(r.out, "failslab\n", 9));
	KT_ASSERT_EQ(ctl("fault-inject", "fail_page_alloc", "min-order=2",
			 "ignore-gfp-highmem=N", "space=4096", NULL), 0);

	KT_ASSERT_EQ(ctl("fault-inject", NULL), 0);
	CU_ASSERT_STRING_EQUAL(fault_shown("failslab", "probability") ?: "-", "7");
	CU_ASSERT_STRING_EQUAL(fault_shown("failslab", "interval") ?: "-", "3");
	CU_ASSERT_STRING_EQUAL(fault_shown("failslab", "times") ?: "-", "-1");
	CU_ASSERT_STRING_EQUAL(fault_shown("failslab", "cache-filter") ?: "-", "Y");
	CU_ASSERT_STRING_EQUAL(fault_shown("fail_page_alloc", "min-order") ?: "-", "2");
	CU_ASSERT_STRING_EQUAL(fault_shown("fail_page_alloc", "ignore-gfp-highmem") ?: "-", "N");
	CU_ASSERT_STRING_EQUAL(fault_shown("fail_page_alloc", "space") ?: "-", "4096");
	CU_ASSERT_STRING_EQUAL(fault_shown("fail_page_alloc", "probability") ?: "-", "0");
	CU_ASSERT(strstr(r.out, "\nfailures: failslab ") != NULL);

	KT_ASSERT_EQ(ctl("--json", "fault-inject", NULL), 0);
	j = json_loads(r.out, 0, &jerr);
	fs = json_object_get(json_object_get(j, "fault"), "failslab");
	KT_ASSERT_EQ(json_integer_value(json_object_get(fs, "probability")), 7);
	CU_ASSERT(json_is_true(json_object_get(fs, "cache-filter")));
	json_decref(j);

	/* back to the defaults, so that nothing else in kmemd fails */
	KT_ASSERT_EQ(ctl("fault-inject", "failslab", "probability=0", "interval=1", "times=1",
			 "cache-filter=N", NULL), 0);
	KT_ASSERT_EQ(ctl("fault-inject", "fail_page_alloc", "min-order=1",
			 "ignore-gfp-highmem=Y", "space=0", NULL), 0);
	CU_ASSERT_STRING_EQUAL(fault_shown("fail_page_alloc", "min-order") ?: "-", "1");
}

static void test_actions_and_raw(void)
{
	static char text[sizeof(r.out)];

	KT_ASSERT_EQ(ctl("shrink", NULL), 0);
	CU_ASSERT(strstr(r.out, "slab pages given back") != NULL);
	KT_ASSERT_EQ(ctl("shrink", "kmalloc-64", NULL), 0);
	CU_ASSERT(!strncmp(r.out, "kmalloc-64: ", 12));
	KT_ASSERT_EQ(ctl("drop-pcp", NULL), 0);
	CU_ASSERT(strstr(r.out, "pages moved from the per-CPU lists") != NULL);

	/* raw: what scripts sent as "kmemctl COMMAND key=value" */
	KT_ASSERT_EQ(ctl("raw", "tunables.get", NULL), 0);
	CU_ASSERT(strstr(r.out, "\"tunables\"") != NULL);
	KT_ASSERT_EQ(ctl("buddyinfo", NULL), 0);
	memcpy(text, r.out, sizeof(text));
	KT_ASSERT_EQ(ctl("raw", "buddyinfo", NULL), 0);
	CU_ASSERT_STRING_EQUAL(r.out, text);
	KT_ASSERT_EQ(ctl("raw", "tunables.set", "key=reclaim_timeout_ms", "value=10000", NULL), 0);
}

static void test_man_page(void)
{
	const char *const *c;
	char cmd[512], page[65536];
	size_t len;
	FILE *f;

	f = fopen(KMEMCTL_MAN, "r");
	CU_ASSERT_FATAL(f != NULL);
	len = fread(page, 1, sizeof(page) - 1, f);
	page[len] = '\0';
	fclose(f);
	for (c = commands; *c; c++) {
		char want[64], *p, *q;

		/* the page escapes '-' as "\-" */
		for (p = (char *)*c, q = want + snprintf(want, sizeof(want), "\n.B "); *p; p++) {
			if (*p == '-')
				*q++ = '\\';
			*q++ = *p;
		}
		*q = '\0';
		CU_ASSERT(strstr(page, want) != NULL);
		if (!strstr(page, want))
			fprintf(stderr, "kmemctl.8 has no \"%s\"\n", want + 1);
	}
	for (c = (const char *const[]){ "NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "OPTIONS",
					"EXIT STATUS", "ENVIRONMENT", "FILES", "EXAMPLES",
					"SEE ALSO", NULL }; *c; c++) {
		snprintf(cmd, sizeof(cmd), "\n.SH %s\n", *c);
		CU_ASSERT(strstr(page, cmd) != NULL);
	}
	if (system("command -v groff >/dev/null 2>&1")) {
		printf("SKIPPED: test_man_page's roff check needs groff (groff-base)\n");
		return;
	}
	/* groff warns on stderr; a warning-free page prints nothing */
	snprintf(cmd, sizeof(cmd), "groff -man -Tutf8 -ww -z %s 2>&1", KMEMCTL_MAN);
	f = popen(cmd, "r");
	CU_ASSERT_FATAL(f != NULL);
	len = fread(page, 1, sizeof(page) - 1, f);
	page[len] = '\0';
	KT_ASSERT_EQ(pclose(f), 0);
	KT_ASSERT_EQ(len, 0);
	if (len)
		fprintf(stderr, "groff says:\n%s", page);
}

static const struct kt_test kmemctl_tests[] = {
	KT_TEST(test_help),
	KT_TEST(test_no_daemon),
	KT_TEST(test_permission_denied),
	KT_TEST(test_version_mismatch),
	KT_TEST(test_refusals),
	KT_TEST(test_bad_usage),
	KT_TEST(test_embedded),
	KT_TEST(test_embedded_private),
	KT_TEST(test_views_answer),
	KT_TEST(test_pagetypeinfo_is_buddyinfo),
	KT_TEST(test_slabtop_sort),
	KT_TEST(test_set_get),
	KT_TEST(test_fault_inject),
	KT_TEST(test_actions_and_raw),
	KT_TEST(test_man_page),
	KT_END,
};

static const struct kt_suite kmemctl_suite = { "kmemctl_cli", suite_init, suite_cleanup,
					       kmemctl_tests };

int main(int argc, char **argv)
{
	static const struct kt_suite *const suites[] = { &kmemctl_suite, NULL };

	return kt_main(argc, argv, suites);
}
