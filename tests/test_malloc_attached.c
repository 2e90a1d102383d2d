// SPDX-License-Identifier: MIT
/*
 * The malloc front end attached to a real kmemd: programs preloaded with
 * libkmem-malloc.so and KMEM_MALLOC_ATTACH=require allocate from the
 * daemon's shared memory.  One kmemd (kmemd_harness.h) serves the suite.
 *
 *  - Debian's programs (sort's and xz's threads, python's and perl's
 *    churn, gcc's and git's fork/exec of their helpers) print what they
 *    print without the front end, say nothing of kmem on stderr, really
 *    attached (kmemd lists a client of theirs), and leave nothing fenced
 *    as corrupted in the segment.
 *  - The heap is visible live: a python holding 20000 buffers shows in
 *    kmemctl clients (text and --json) and slabinfo; SIGKILLed, it goes,
 *    kmemd stays up and its free memory comes back to what it was.
 *  - require with no daemon at $KMEM_SOCKET: glibc serves the program,
 *    silently, and with KMEM_MALLOC_VERBOSE=1 a line says why; auto with
 *    no daemon is the embedded heap, which a fork() child gets a copy of.
 *  - A fork() child shares its parent's heap when attached
 *    (docs/malloc.md, "fork()"): a child that only execs is unaffected;
 *    bash's command substitution, whose child runs a builtin (it is not
 *    fork+exec), is run last, as it may leave the shared caches corrupted
 *    and kmemd then refuses every later attach.
 *
 * Only the measured programs are preloaded: the scripts run under a plain
 * sh and prefix each program with LD_PRELOAD=$KP, since dash's own
 * pipeline children allocate and free between fork() and exec().
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

#include "kmemd_harness.h"
#include "kunit.h"
#include "malloc_jobs.h"

/* Where the .so is not built (sanitizer builds): nothing to run. */
#ifndef KMEM_MALLOC_SO
#define KMEM_MALLOC_SO	""
#endif

#define CTL_TIMEOUT_S	10
/* Bounds for slow machines, never timing checks. */
#define SETTLE_MS	10000
#define READY_MS	20000
/* Python's buffers in the live test. */
#define LIVE_BUFFERS	20000

static char workdir[] = "/tmp/kmem-malloc-attached.XXXXXX";
static struct kh_daemon kd;
static unsigned int jobs_run;

static struct mj_output plain, attached;
static char ctl_out[MJ_OUTPUT_MAX];

/*
 * Run @script with sh -c in the work directory; $KP is the front end when
 * @preload, else empty; @env: more NAME=VALUE settings (NULL-terminated,
 * or NULL), applied last.  Every job, both ways, has a PATH without shims
 * (pyenv's python3 is a bash script, which would fork preloaded), and
 * kmemd's socket with require, which do nothing unless a program is
 * preloaded.
 */
/* PATH, kmemd's socket and require in @env[0..2]. Return: 3. */
static unsigned int attach_env(const char **env)
{
	static char sock[160];

	snprintf(sock, sizeof(sock), "KMEM_SOCKET=%s", kd.sock);
	env[0] = "PATH=/usr/bin:/bin";
	env[1] = sock;
	env[2] = "KMEM_MALLOC_ATTACH=require";
	return 3;
}

static void run_job(const char *script, bool preload, const char *const *env,
		    struct mj_output *o)
{
	const char *all[16] = { NULL };
	unsigned int n = attach_env(all);

	all[n++] = preload ? "KP=" KMEM_MALLOC_SO : "KP=";
	for (; env && *env && n < sizeof(all) / sizeof(all[0]) - 1; env++)
		all[n++] = *env;
	mj_run(workdir, script, all, o);
}

/* The holder's environment: a job's, exec'd by hand. */
static void holder_env(void)
{
	const char *env[4] = { NULL };

	attach_env(env);
	mj_job_env(workdir, env);
}

/* The build's kmemctl with @args, output in ctl_out: its exit status, or -1. */
static int kmemctl(const char *const args[])
{
	int st = kh_kmemctl(&kd, args, ctl_out, sizeof(ctl_out), CTL_TIMEOUT_S);

	return st >= 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* kmemctl --json @view, parsed (json_decref()), or NULL. */
static json_t *kmemctl_json(const char *view)
{
	const char *args[] = { "--json", view, NULL };

	if (kmemctl(args))
		return NULL;
	return json_loads(ctl_out, 0, NULL);
}

static long long jint(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? json_integer_value(v) : -1;
}

static const char *jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key)) ?: "";
}

/* The clients reply's entry for @pid (a borrowed reference into @r), or NULL. */
static json_t *client_of(json_t *r, pid_t pid)
{
	json_t *c;
	size_t i;

	json_array_foreach(json_object_get(r, "clients"), i, c)
		if (jint(c, "pid") == pid)
			return c;
	return NULL;
}

static long long max_client_id(void)
{
	json_t *r = kmemctl_json("clients"), *c;
	long long id = 0;
	size_t i;

	json_array_foreach(json_object_get(r, "clients"), i, c)
		if (jint(c, "id") > id)
			id = jint(c, "id");
	json_decref(r);
	return id;
}

/* Did a client newer than @after_id run @comm? */
static bool client_ran(long long after_id, const char *comm)
{
	json_t *r = kmemctl_json("clients"), *c;
	bool found = false;
	size_t i;

	json_array_foreach(json_object_get(r, "clients"), i, c)
		if (jint(c, "id") > after_id && !strcmp(jstr(c, "comm"), comm))
			found = true;
	json_decref(r);
	return found;
}

/*
 * Wait until no client is attached or connected and every gone one is
 * recovered: a job's last processes may still be closing their sockets
 * when the job's shell returns.
 */
static bool clients_settled(void)
{
	double deadline = mj_now() + SETTLE_MS / 1000.0;

	do {
		json_t *r = kmemctl_json("clients"), *c;
		bool busy = !r;
		size_t i;

		json_array_foreach(json_object_get(r, "clients"), i, c)
			busy |= strcmp(jstr(c, "state"), "gone") ||
				strcmp(jstr(c, "recovery"), "done");
		json_decref(r);
		if (!busy)
			return true;
		usleep(20000);
	} while (mj_now() < deadline);
	return false;
}

/* What kmemd fenced as corrupted so far (info's "fenced"), reasons printed; -1: no answer. */
static long long fenced(void)
{
	json_t *r = kmemctl_json("info"), *info = json_object_get(r, "info"), *why;
	long long n = jint(info, "fenced");
	size_t i;

	json_array_foreach(json_object_get(info, "fence_reasons"), i, why)
		fprintf(stderr, "kmemd fenced: %s\n", json_string_value(why) ?: "?");
	json_decref(r);
	return r ? n : -1;
}

/*
 * Run @script without the front end and attached, and compare; @progs:
 * the programs it needs, space-separated, the first of which must show in
 * kmemd's clients (its comm).
 */
static void compare_job(const char *progs, const char *script)
{
	char list[128], first[32] = "", *prog, *save;
	long long last_id;
	double t0, t1;

	snprintf(list, sizeof(list), "%s", progs);
	for (prog = strtok_r(list, " ", &save); prog; prog = strtok_r(NULL, " ", &save)) {
		if (!mj_installed(prog)) {
			printf("skipped: %s not installed ", prog);
			return;
		}
		if (!first[0])
			snprintf(first, sizeof(first), "%s", prog);
	}
	jobs_run++;
	CU_ASSERT(clients_settled());
	last_id = max_client_id();
	t0 = mj_now();
	run_job(script, false, NULL, &plain);
	t1 = mj_now();
	run_job(script, true, NULL, &attached);
	printf("(%.1f s, %.1f s attached) ", t1 - t0, mj_now() - t1);
	if (!WIFEXITED(plain.status) || WEXITSTATUS(plain.status)) {
		fprintf(stderr, "the job fails without the front end (%#x):\n%s\n", plain.status,
			plain.err);
		CU_FAIL("job fails on glibc's malloc");
		return;
	}
	if (attached.status != plain.status) {
		fprintf(stderr, "status %#x attached, %#x without the front end: %s\n",
			attached.status, plain.status, script);
		CU_FAIL("exit status differs");
	}
	if (strcmp(plain.out, attached.out)) {
		mj_show_difference("stdout", plain.out, attached.out, "attached");
		CU_FAIL("stdout differs");
	}
	if (strcmp(plain.err, attached.err) || strstr(attached.err, "kmem")) {
		mj_show_difference("stderr", plain.err, attached.err, "attached");
		CU_FAIL("stderr differs");
	}
	/* glibc serves a program that could not attach, silently: make sure it did */
	if (!client_ran(last_id, first)) {
		fprintf(stderr, "no client '%s' attached to kmemd; its log:\n", first);
		kh_print_log(&kd);
		CU_FAIL("the program did not attach");
	}
	CU_ASSERT(clients_settled());
	KT_ASSERT_EQ(fenced(), 0);
}

/* 300000 numbers, about 3.6 MB (xz takes the first 2 MB). */
#define NUMBERS	300000

static void test_sort(void)
{
	compare_job("sort md5sum",
		    "LD_PRELOAD=$KP sort --parallel=2 numbers | md5sum && "
		    "LD_PRELOAD=$KP sort --parallel=2 -n -u numbers | tail -3");
}

/* Blocks of 500 kB so that both threads compress. */
static void test_xz(void)
{
	compare_job("xz md5sum",
		    "head -c 2000000 numbers > part && "
		    "LD_PRELOAD=$KP xz -T2 -1 --block-size=500000 -c part > part.xz && "
		    "md5sum < part.xz && LD_PRELOAD=$KP xz -T2 -d -c part.xz | md5sum");
}

static void test_python(void)
{
	compare_job("python3",
		    "LD_PRELOAD=$KP python3 -c '\n"
		    "import gc\n"
		    "total = 0\n"
		    "for r in range(3):\n"
		    "    d = {i: str(i) * (i % 7) for i in range(100000)}\n"
		    "    l = [list(range(i % 50)) for i in range(20000)]\n"
		    "    b = [bytearray(i % 5000) for i in range(2000)]\n"
		    "    total += sum(len(v) for v in d.values()) + sum(map(len, l)) + len(b)\n"
		    "    del d, l, b\n"
		    "    gc.collect()\n"
		    "print(total)\n"
		    "'");
}

/* The driver runs cc1, as, collect2 and ld: each attaches on its own. */
static void test_gcc(void)
{
	compare_job("gcc",
		    "cat > prog.c <<'EOF'\n"
		    "#include <stdio.h>\n"
		    "#include <stdlib.h>\n"
		    "#include <string.h>\n"
		    "static int cmp(const void *a, const void *b)\n"
		    "{ return *(const int *)a - *(const int *)b; }\n"
		    "int main(void)\n"
		    "{\n"
		    "	int n = 100000, *v = malloc(n * sizeof(*v));\n"
		    "	long sum = 0;\n"
		    "	for (int i = 0; i < n; i++) v[i] = (i * 7919) % 100003;\n"
		    "	qsort(v, n, sizeof(*v), cmp);\n"
		    "	for (int i = 0; i < n; i += 1000) sum += v[i];\n"
		    "	char *s = strdup(\"compiled attached\");\n"
		    "	printf(\"%ld %d %s\\n\", sum, v[n - 1], s);\n"
		    "	free(s); free(v);\n"
		    "	return 0;\n"
		    "}\n"
		    "EOF\n"
		    "LD_PRELOAD=$KP gcc -O2 -Wall -o prog prog.c && LD_PRELOAD=$KP ./prog && rm -f prog");
}

/* git's helpers (gc's repack, pack-objects...) are fork+exec, preloaded too. */
static void test_git(void)
{
	compare_job("git",
		    "export GIT_AUTHOR_NAME=kmem GIT_AUTHOR_EMAIL=kmem@example.org "
		    "GIT_COMMITTER_NAME=kmem GIT_COMMITTER_EMAIL=kmem@example.org "
		    "GIT_AUTHOR_DATE='2024-01-01T00:00:00Z' GIT_COMMITTER_DATE='2024-01-01T00:00:00Z' "
		    "GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null && "
		    "g() { LD_PRELOAD=$KP git \"$@\"; } && "
		    "rm -rf repo && mkdir repo && cd repo && g init -q -b main . && "
		    "for i in $(seq 1 30); do echo \"file $i\" > f$i.txt; done && "
		    "head -c 300000 ../numbers > big.txt && "
		    "g add . && g commit -q -m first && "
		    "echo change >> f1.txt && g commit -q -am second && "
		    "g log --format='%H %s' && g gc -q && g fsck --no-progress && "
		    "g show --stat HEAD | tail -2");
}

static void test_perl(void)
{
	compare_job("perl",
		    "LD_PRELOAD=$KP perl -e '\n"
		    "my %h; $h{$_} = \"x\" x ($_ % 100) for 1..100000;\n"
		    "my $s = 0; $s += length($h{$_}) for keys %h;\n"
		    "my @a = sort { $a <=> $b } map { ($_ * 7919) % 100003 } 1..50000;\n"
		    "undef %h;\n"
		    "my $str = join(\",\", @a); my @b = split(/,/, $str);\n"
		    "print \"$s @a[0..5] \", scalar(@b), \"\\n\";\n"
		    "'");
}

/*
 * What attached mode supports of fork(): a child that only execs.
 * timeout's and xargs's children call nothing but exec after fork(), so
 * sharing the parent's heap changes nothing (both the forked child, which
 * attaches as a client of its own, and what it execs show in kmemd).
 */
static void test_fork_then_exec(void)
{
	compare_job("timeout xargs",
		    "LD_PRELOAD=$KP timeout 20 /bin/echo from-timeout && "
		    "seq 1 40 | LD_PRELOAD=$KP xargs -n 7 /bin/echo");
}

/* A python process reading back its "ready" line: its pid, or -1. */
static pid_t start_holder(int *fd)
{
	static const char script[] =
		"import time\n"
		"b = [bytearray(4096) for i in range(20000)]\n"
		"print('ready', flush=True)\n"
		"time.sleep(30)\n";
	int sv[2];
	pid_t pid;

	/* a socket, so that kh_recv() reads it with a deadline */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		char err_path[300];
		int err;

		snprintf(err_path, sizeof(err_path), "%s/.holder-stderr", workdir);
		err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (err < 0)
			_exit(126);
		dup2(sv[1], STDOUT_FILENO);
		dup2(err, STDERR_FILENO);
		holder_env();
		setenv("LD_PRELOAD", KMEM_MALLOC_SO, 1);
		execl("/usr/bin/python3", "python3", "-c", script, (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		return -1;
	}
	*fd = sv[0];
	return pid;
}

static bool read_ready(int fd)
{
	double deadline = mj_now() + READY_MS / 1000.0;
	char buf[256];
	size_t used = 0;

	while (used < sizeof(buf) - 1 && mj_now() < deadline) {
		ssize_t n = kh_recv(fd, buf + used, sizeof(buf) - 1 - used, 200);

		if (n == 0 || (n < 0 && errno != ETIMEDOUT))
			return false;
		if (n > 0)
			used += (size_t)n;
		buf[used] = '\0';
		if (strstr(buf, "ready\n"))
			return true;
	}
	return false;
}

/* kmemd's memory in kB after "shrink" (per-CPU lists drained, empty slabs and sections back). */
static bool meminfo(long long *total, long long *free_kb)
{
	const char *args[] = { "shrink", NULL };
	json_t *r, *m;

	if (kmemctl(args))
		return false;
	r = kmemctl_json("meminfo");
	m = json_object_get(r, "meminfo");
	*total = jint(m, "MemTotal");
	*free_kb = jint(m, "MemFree");
	json_decref(r);
	return *total > 0 && *free_kb >= 0;
}

/* The clients view's row for @pid: its state, and pages + slab pages. */
static bool clients_row(pid_t pid, char *state, size_t len, long long *pages)
{
	const char *args[] = { "clients", NULL };
	char *line, *save;

	if (kmemctl(args))
		return false;
	for (line = strtok_r(ctl_out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		long long id, rpid, uid, p, s;
		char st[32], comm[64];

		/* ID PID UID STATE COMMAND PAGES SLABS ... */
		if (sscanf(line, "%lld %lld %lld %31s %63s %lld %lld", &id, &rpid, &uid, st, comm,
			   &p, &s) == 7 && rpid == pid) {
			snprintf(state, len, "%s", st);
			*pages = p + s;
			return true;
		}
	}
	return false;
}

/* Objects in use in the kmalloc-* caches, from kmemctl slabinfo's text. */
static long long kmalloc_objects(void)
{
	const char *args[] = { "slabinfo", NULL };
	char *line, *save;
	long long sum = 0;

	if (kmemctl(args))
		return -1;
	for (line = strtok_r(ctl_out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[64];
		long long active;

		if (sscanf(line, "%63s %lld", name, &active) == 2 && !strncmp(name, "kmalloc-", 8))
			sum += active;
	}
	return sum;
}

/* Is @pid's client gone and recovered, or pruned from the table? */
static bool client_gone(pid_t pid)
{
	json_t *r = kmemctl_json("clients"), *c = client_of(r, pid);
	bool gone = r && (!c || (!strcmp(jstr(c, "state"), "gone") &&
				 !strcmp(jstr(c, "recovery"), "done")));

	json_decref(r);
	return gone;
}

/*
 * The live heap: python's 20000 buffers are kmemd's memory, its client in
 * the views; SIGKILLed, it goes and its memory comes back.  What a dead
 * client held is given back by its recovery and the orphan policy (no
 * client of its time lives), so free memory, after "shrink", is back to
 * what it was before it started: test_client_death checks that exactly
 * over the zones; here 5% of slack covers kmemd's own caches.
 */
static void test_live_heap(void)
{
	long long total0, free0, total1, free1, total2 = 0, free2 = 0, pages = 0, objs, ok_diff;
	const char *info[] = { "info", NULL };
	char state[32] = "";
	json_t *r, *c;
	double deadline;
	int fd = -1, status;
	pid_t pid;

	if (!mj_installed("python3")) {
		printf("skipped: python3 not installed ");
		return;
	}
	jobs_run++;
	CU_ASSERT_FATAL(clients_settled());
	CU_ASSERT_FATAL(meminfo(&total0, &free0));
	pid = start_holder(&fd);
	CU_ASSERT_FATAL(pid > 0);
	if (!read_ready(fd)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(fd);
		kh_print_log(&kd);
		CU_FAIL_FATAL("python never said ready");
	}

	/* the text view: an attached client with pages or slabs */
	CU_ASSERT(clients_row(pid, state, sizeof(state), &pages));
	CU_ASSERT_STRING_EQUAL(state, "attached");
	CU_ASSERT(pages > 0);
	/* the JSON view: the same, and the buffers as its kmalloc objects */
	r = kmemctl_json("clients");
	c = client_of(r, pid);
	CU_ASSERT(c != NULL);
	CU_ASSERT_STRING_EQUAL(jstr(c, "state"), "attached");
	CU_ASSERT_STRING_EQUAL(jstr(c, "comm"), "python3");
	CU_ASSERT(jint(c, "pages") + jint(c, "slab_pages") > 0);
	CU_ASSERT(jint(c, "kmalloc_objects") >= LIVE_BUFFERS);
	printf("(pid %d: %lld pages + %lld slab pages, %lld objects) ", (int)pid, jint(c, "pages"),
	       jint(c, "slab_pages"), jint(c, "kmalloc_objects"));
	json_decref(r);
	objs = kmalloc_objects();
	CU_ASSERT(objs >= LIVE_BUFFERS);
	/* 4 KiB each at least, in kmemd's memory */
	CU_ASSERT(meminfo(&total1, &free1));
	CU_ASSERT((total1 - free1) - (total0 - free0) >= LIVE_BUFFERS * 4LL);

	kill(pid, SIGKILL);
	CU_ASSERT(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) &&
		  WTERMSIG(status) == SIGKILL);
	close(fd);
	deadline = mj_now() + SETTLE_MS / 1000.0;
	while (!client_gone(pid) && mj_now() < deadline)
		usleep(20000);
	CU_ASSERT(client_gone(pid));
	KT_ASSERT_EQ(kmemctl(info), 0);

	/* orphans are freed once recovery is done: poll until free memory is back */
	ok_diff = free0 / 20;
	deadline = mj_now() + SETTLE_MS / 1000.0;
	do {
		if (meminfo(&total2, &free2) && llabs(free2 - free0) <= ok_diff &&
		    (total2 - free2) <= (total0 - free0) + ok_diff)
			break;
		usleep(50000);
	} while (mj_now() < deadline);
	printf("(MemFree %lld kB before, %lld with python, %lld after its death) ", free0, free1,
	       free2);
	CU_ASSERT(llabs(free2 - free0) <= ok_diff);
	CU_ASSERT((total2 - free2) <= (total0 - free0) + ok_diff);
	KT_ASSERT_EQ(fenced(), 0);
}

/* Occurrences of @needle in @s. */
static int count(const char *s, const char *needle)
{
	int n = 0;

	for (; (s = strstr(s, needle)); s += strlen(needle))
		n++;
	return n;
}

/* Does every line of @err begin with "kmem"?  Return: the number of lines. */
static int kmem_lines(const char *err, bool *all_kmem)
{
	const char *p;
	int n = 0;

	*all_kmem = true;
	for (p = err; *p; n++) {
		const char *nl = strchr(p, '\n');

		*all_kmem &= !strncmp(p, "kmem", 4);
		p = nl ? nl + 1 : p + strlen(p);
	}
	return n;
}

/*
 * require with no daemon at $KMEM_SOCKET: for the front end, kmem cannot
 * start and glibc's malloc serves the process for good (docs/malloc.md,
 * "Start-up"): the program runs as without it, silently; with
 * KMEM_MALLOC_VERBOSE=1 it says why, naming glibc.
 */
static void test_require_without_daemon(void)
{
	static char sock_env[400], why[200];
	const char *env[] = { sock_env, NULL };
	const char *verbose_env[] = { sock_env, "KMEM_MALLOC_VERBOSE=1", NULL };
	static const char script[] =
		"LD_PRELOAD=$KP sort -n numbers | md5sum && "
		"LD_PRELOAD=$KP python3 -c 'print(sum(len(str(i)) for i in range(100000)))'";
	bool all_kmem;
	int lines;

	if (!mj_installed("sort") || !mj_installed("python3")) {
		printf("skipped: sort or python3 not installed ");
		return;
	}
	jobs_run++;
	snprintf(sock_env, sizeof(sock_env), "KMEM_SOCKET=%s/no-kmemd.sock", workdir);
	run_job(script, false, env, &plain);
	run_job(script, true, env, &attached);
	CU_ASSERT(WIFEXITED(plain.status) && !WEXITSTATUS(plain.status));
	KT_ASSERT_EQ(attached.status, plain.status);
	CU_ASSERT_STRING_EQUAL(attached.out, plain.out);
	if (attached.err[0])
		fprintf(stderr, "stderr without KMEM_MALLOC_VERBOSE:\n%s", attached.err);
	CU_ASSERT_STRING_EQUAL(attached.err, "");

	run_job(script, true, verbose_env, &attached);
	KT_ASSERT_EQ(attached.status, plain.status);
	CU_ASSERT_STRING_EQUAL(attached.out, plain.out);
	/* each of the two programs says why (kmem's line, naming the error), then that glibc serves it */
	snprintf(why, sizeof(why), "%s", strerror(ENOENT));
	CU_ASSERT(count(attached.err, why) >= 2);
	snprintf(why, sizeof(why), "kmem-malloc: glibc's malloc serves this process");
	KT_ASSERT_EQ(count(attached.err, why), 2);
	lines = kmem_lines(attached.err, &all_kmem);
	CU_ASSERT(all_kmem);
	printf("(%d lines on stderr for 2 programs) ", lines);
	if (!all_kmem || count(attached.err, why) != 2)
		fprintf(stderr, "stderr with KMEM_MALLOC_VERBOSE=1:\n%s", attached.err);
}

/*
 * auto with no daemon: the program runs embedded, which for the front end
 * is private memory that a fork() child gets a copy of (README: "memory is
 * forced to private unless attached"), so bash's subshells work as on
 * glibc.
 */
static void test_auto_without_daemon(void)
{
	static char sock_env[400];
	const char *env[] = { sock_env, "KMEM_MALLOC_ATTACH=auto", NULL };
	static const char script[] =
		"LD_PRELOAD=$KP bash -c 'x=$(echo hi); echo $x; y=1; (y=2; echo sub $y); echo main $y'";

	if (!mj_installed("bash")) {
		printf("skipped: bash not installed ");
		return;
	}
	jobs_run++;
	snprintf(sock_env, sizeof(sock_env), "KMEM_SOCKET=%s/no-kmemd.sock", workdir);
	run_job(script, false, env, &plain);
	run_job(script, true, env, &attached);
	CU_ASSERT(WIFEXITED(plain.status) && !WEXITSTATUS(plain.status));
	if (attached.status != plain.status || strcmp(attached.out, plain.out) || attached.err[0]) {
		fprintf(stderr, "auto, no daemon: status %#x (%#x without the front end)\n",
			attached.status, plain.status);
		mj_show_difference("stdout", plain.out, attached.out, "attached");
		mj_show_difference("stderr", plain.err, attached.err, "attached");
	}
	KT_ASSERT_EQ(attached.status, plain.status);
	CU_ASSERT_STRING_EQUAL(attached.out, plain.out);
	CU_ASSERT_STRING_EQUAL(attached.err, "");
}

/*
 * Shells attached.  A shell's subshell, and each member of its pipelines
 * until its exec, is a fork() that goes on running in the heap it shares
 * with its parent (docs/malloc.md, "fork()"): what either writes there the
 * other sees, so a shell's own results are not asserted here (dash's
 * pipelines, bash's substitutions go wrong now and then, or crash: run
 * shells embedded).  In the child the front end takes new memory from
 * glibc and never frees what the parent allocated, so what must hold for
 * every program does: kmemd's caches stay whole (nothing fenced), and the
 * next program attaches and runs.
 */
static void test_shells_leave_kmemd_whole(void)
{
	static const char *const shells[] = {
		"LD_PRELOAD=$KP sh -c 'echo a | tr a b; x=$(echo c); echo $x; (y=1; echo $y)'",
		"LD_PRELOAD=$KP bash -c 'x=$(echo hi); echo $x; (y=2); echo $y | cat'",
	};
	unsigned int i;

	for (i = 0; i < 8; i++)
		run_job(shells[i % 2], true, NULL, &attached);
	KT_ASSERT_EQ(fenced(), 0);
	compare_job("sort md5sum", "seq 1 20000 | LD_PRELOAD=$KP sort -r | md5sum");
	KT_ASSERT_EQ(fenced(), 0);
}

static int suite_init(void)
{
	if (!mkdtemp(workdir) || mj_make_numbers(workdir, NUMBERS))
		return -1;
	/*
	 * Room for the programs: the direct map grows to 1 GiB, and vmalloc
	 * has a HighMem pool before it takes Normal pages.
	 */
	if (kh_prepare(&kd, "/tmp/kmemd-malloc-att.XXXXXX", "malloc-att",
		       "max_mb = 1024\nhighmem_mb = 32\n") ||
	    kh_spawn(&kd, 0, NULL, NULL) || !kh_wait(&kd, kh_ctl_answers, NULL, 20000, 20)) {
		kh_print_log(&kd);
		return -1;
	}
	return 0;
}

static int suite_cleanup(void)
{
	char cmd[400];
	int st = kd.pid > 0 ? kh_stop(&kd, SIGTERM) : 0;

	if (getenv("KMEM_TEST_VERBOSE"))
		kh_print_log(&kd);
	kh_remove(&kd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", workdir);
	if (system(cmd))
		return -1;
	return st == -1 ? -1 : 0;
}

static const struct kt_test attached_tests[] = {
	KT_TEST(test_sort),
	KT_TEST(test_xz),
	KT_TEST(test_python),
	KT_TEST(test_gcc),
	KT_TEST(test_git),
	KT_TEST(test_perl),
	KT_TEST(test_fork_then_exec),
	KT_TEST(test_live_heap),
	KT_TEST(test_require_without_daemon),
	KT_TEST(test_auto_without_daemon),
	KT_TEST(test_shells_leave_kmemd_whole),
	KT_END,
};

static const struct kt_suite attached_suite = { "malloc_attached", suite_init, suite_cleanup,
						attached_tests };

int main(int argc, char **argv)
{
	static const struct kt_suite *const suites[] = { &attached_suite, NULL };
	int ret;

	if (!*KMEM_MALLOC_SO) {
		printf("SKIPPED: the malloc front end is not built (sanitizer build)\n");
		return 0;
	}
	ret = kt_main(argc, argv, suites);
	if (!jobs_run)
		printf("SKIPPED: none of the programs is installed\n");
	return ret;
}
