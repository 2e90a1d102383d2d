// SPDX-License-Identifier: MIT
/*
 * kmemd, black box: the real build/daemon/kmemd (KMEMD_PATH) started on a
 * temporary configuration in a temporary runtime directory, with small
 * memory and no huge pages, and its own NOTIFY_SOCKET (a datagram socket
 * made here) standing in for systemd.
 *
 * What it checks: READY=1 / STATUS= / RELOADING=1 / STOPPING=1 /
 * WATCHDOG=1 arrive; bad configurations exit 2 naming FILE:LINE: key;
 * every malformed message (the corpus below) gets an ERROR and the
 * connection is closed, and the daemon serves the next connection; a uid
 * not allowed is refused; max_clients holds; SIGHUP applies live keys and
 * names those needing a restart; SIGTERM sends SHUTDOWN to every client,
 * exits 0 and removes the socket files.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <kmem/kmem.h>

#include "kmemd_harness.h"
#include "kunit.h"
#include "kmemd_proto.h"
#include <linux/vmalloc.h>

#include "internal.h"
#include "slab.h"

#ifndef KMEMD_PATH
#error "KMEMD_PATH: the kmemd binary (tests/CMakeLists.txt)"
#endif

struct kmemd {
	struct kh_daemon k;
	int notify_fd;
	char notify[96];	/* NOTIFY_SOCKET, in k.dir */
	/*
	 * Every sd_notify datagram received, concatenated, by a thread that
	 * reads them as systemd would: a full queue would block the daemon.
	 */
	pthread_t reader;
	bool reader_running, reader_stop;
	pthread_mutex_t lock;
	char notes[16384];
	size_t notes_len;
};

static void write_conf(struct kmemd *d, const char *extra)
{
	CU_ASSERT_FATAL(!kh_write_conf(&d->k, extra));
}

static void *notify_reader(void *arg)
{
	struct kmemd *d = arg;
	char buf[1024];

	while (!__atomic_load_n(&d->reader_stop, __ATOMIC_RELAXED)) {
		struct pollfd p = { .fd = d->notify_fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 50) <= 0)
			continue;
		n = recv(d->notify_fd, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			continue;
		pthread_mutex_lock(&d->lock);
		if (d->notes_len + (size_t)n + 2 > sizeof(d->notes)) {	/* keep the tail */
			memmove(d->notes, d->notes + 8192, d->notes_len - 8192 + 1);
			d->notes_len -= 8192;
		}
		memcpy(d->notes + d->notes_len, buf, (size_t)n);
		d->notes_len += (size_t)n;
		d->notes[d->notes_len++] = '\n';
		d->notes[d->notes_len] = '\0';
		pthread_mutex_unlock(&d->lock);
	}
	return NULL;
}

static unsigned int count(const char *hay, const char *needle);

/* Occurrences of @needle in what the daemon told "systemd" so far. */
static unsigned int notes_count(struct kmemd *d, const char *needle)
{
	unsigned int n;

	pthread_mutex_lock(&d->lock);
	n = count(d->notes, needle);
	pthread_mutex_unlock(&d->lock);
	return n;
}

/* Wait up to @ms until @needle has arrived @times times. */
static bool notify_wait_n(struct kmemd *d, const char *needle, unsigned int times, int ms)
{
	for (; ms > 0; ms -= 10) {
		if (notes_count(d, needle) >= times)
			return true;
		usleep(10000);
	}
	return notes_count(d, needle) >= times;
}

static bool notify_wait(struct kmemd *d, const char *needle, int ms)
{
	return notify_wait_n(d, needle, 1, ms);
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

static bool log_wait(struct kmemd *d, const char *needle, int ms)
{
	for (; ms > 0; ms -= 20) {
		if (strstr(kh_log(&d->k), needle))
			return true;
		usleep(20000);
	}
	return false;
}

/* Temporary directory, config and notify socket, without starting anything. */
static void kmemd_prepare(struct kmemd *d, const char *extra)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(d, 0, sizeof(*d));
	CU_ASSERT_FATAL(!kh_prepare(&d->k, "/tmp/kmemd-test.XXXXXX", "test", extra));
	snprintf(d->notify, sizeof(d->notify), "%s/notify", d->k.dir);
	d->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	CU_ASSERT_FATAL(d->notify_fd >= 0);
	strcpy(sa.sun_path, d->notify);
	CU_ASSERT_FATAL(!bind(d->notify_fd, (struct sockaddr *)&sa, sizeof(sa)));
	pthread_mutex_init(&d->lock, NULL);
	d->reader_running = !pthread_create(&d->reader, NULL, notify_reader, d);
	CU_ASSERT_FATAL(d->reader_running);
}

#define START_WATCHDOG	(1 << 0)	/* WATCHDOG_USEC=200000 */
#define START_ACTIVATE	(1 << 1)	/* sockets passed as systemd does (LISTEN_FDS) */

static int listen_on(const char *path, int type)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, type, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 16))
		return -1;
	return fd;
}

/* What kmemd's child sets before the exec, as systemd would (kh_spawn()). */
struct systemd_env {
	const char *notify;
	unsigned int flags;	/* START_* */
	int lfd[2];		/* the sockets to pass, with START_ACTIVATE */
};

static void systemd_env(const struct kh_daemon *k, void *arg)
{
	const struct systemd_env *env = arg;
	char pid[16];

	(void)k;
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("NOTIFY_SOCKET", env->notify, 1);
	if (env->flags & START_WATCHDOG) {
		setenv("WATCHDOG_USEC", "200000", 1);
		setenv("WATCHDOG_PID", pid, 1);
	}
	if (env->flags & START_ACTIVATE) {
		/* fds 3 and 4, as systemd passes them */
		int a = fcntl(env->lfd[0], F_DUPFD_CLOEXEC, 10);
		int b = fcntl(env->lfd[1], F_DUPFD_CLOEXEC, 10);

		if (a < 0 || b < 0 || dup2(a, 3) != 3 || dup2(b, 4) != 4)
			_exit(126);
		setenv("LISTEN_FDS", "2", 1);
		setenv("LISTEN_PID", pid, 1);
	}
}

static bool kmemd_start_env(struct kmemd *d, const char *extra, unsigned int flags)
{
	struct systemd_env env = { .flags = flags, .lfd = { -1, -1 } };
	char run[128];

	kmemd_prepare(d, extra);
	env.notify = d->notify;
	if (flags & START_ACTIVATE) {
		snprintf(run, sizeof(run), "%s/run", d->k.dir);
		mkdir(run, 0755);
		env.lfd[0] = listen_on(d->k.sock, SOCK_SEQPACKET);
		env.lfd[1] = listen_on(d->k.ctl, SOCK_STREAM);
		CU_ASSERT_FATAL(env.lfd[0] >= 0 && env.lfd[1] >= 0);
	}
	CU_ASSERT_FATAL(!kh_spawn(&d->k, 0, systemd_env, &env));
	if (env.lfd[0] >= 0)
		close(env.lfd[0]);
	if (env.lfd[1] >= 0)
		close(env.lfd[1]);
	if (!notify_wait(d, "READY=1", 20000)) {
		fprintf(stderr, "kmemd did not get ready; its log:\n%s\n", kh_log(&d->k));
		return false;
	}
	return true;
}

static bool kmemd_start(struct kmemd *d, const char *extra)
{
	return kmemd_start_env(d, extra, 0);
}

static void kmemd_cleanup(struct kmemd *d)
{
	if (getenv("KMEM_TEST_PRINT_LOG"))
		kh_print_log(&d->k);
	kh_stop(&d->k, SIGKILL);
	if (d->reader_running) {
		__atomic_store_n(&d->reader_stop, true, __ATOMIC_RELAXED);
		pthread_join(d->reader, NULL);
	}
	if (d->notify_fd > 0)
		close(d->notify_fd);
	kh_remove(&d->k);
}

/* Expect an ERROR (@err, 0: any) then the connection's end. */
static bool expect_error(int fd, int err, char *msg, size_t len)
{
	union {
		struct kmemd_error e;
		char buf[KMEMD_MSG_MAX];
	} m;
	ssize_t n = kh_recv(fd, &m, sizeof(m), 5000);

	if (n != (ssize_t)sizeof(m.e) || m.e.h.magic != KMEMD_MAGIC ||
	    m.e.h.type != KMEMD_MSG_ERROR) {
		fprintf(stderr, "expected an ERROR, got %zd bytes (type %u)\n", n,
			n >= 8 ? m.e.h.type : 0);
		return false;
	}
	m.e.msg[sizeof(m.e.msg) - 1] = '\0';
	if (msg)
		snprintf(msg, len, "%s", m.e.msg);
	if (err && m.e.err != err) {
		fprintf(stderr, "ERROR %d (%s), expected %d\n", m.e.err, m.e.msg, err);
		return false;
	}
	/* closed: EOF, or ECONNRESET where the daemon left a packet unread */
	n = kh_recv(fd, &m, sizeof(m), 5000);
	if (n != 0 && !(n < 0 && errno == ECONNRESET)) {
		fprintf(stderr, "connection not closed after the ERROR (%zd)\n", n);
		return false;
	}
	return true;
}

static struct kmemd_hdr hdr(u16 type, u32 len)
{
	return (struct kmemd_hdr){ .magic = KMEMD_MAGIC, .version = KMEMD_PROTO_VERSION,
				   .type = type, .len = len };
}

static struct kmemd_hello hello(void)
{
	struct kmemd_hello h = { .h = hdr(KMEMD_MSG_HELLO, sizeof(h)), .pid = (u32)getpid() };

	strcpy(h.comm, "test_kmemd");
	return h;
}

/* A reply to a valid HELLO: WELCOME once attach.c is built, ENOSYS until then. */
static int hello_reply(int fd, struct kmemd_hello *h)
{
	union {
		struct kmemd_hdr h;
		struct kmemd_error e;
		char buf[KMEMD_MSG_MAX];
	} m;
	ssize_t n;

	if (send(fd, h, sizeof(*h), 0) != (ssize_t)sizeof(*h))
		return -1;
	n = kh_recv(fd, &m, sizeof(m), 5000);
	if (n < (ssize_t)sizeof(m.h))
		return -1;
	if (m.h.type == KMEMD_MSG_WELCOME)
		return 0;
	if (m.h.type == KMEMD_MSG_ERROR)
		return m.e.err;
	return -1;
}

static void test_notify_and_stop(void)
{
	struct kmemd d;
	int status;

	if (!kmemd_start(&d, NULL)) {
		CU_FAIL("kmemd did not start");
		kmemd_cleanup(&d);
		return;
	}
	CU_ASSERT(notify_wait(&d, "STATUS=", 2000));
	CU_ASSERT(access(d.k.sock, F_OK) == 0);
	CU_ASSERT(access(d.k.ctl, F_OK) == 0);
	status = kh_stop(&d.k, SIGTERM);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CU_ASSERT(notify_wait(&d, "STOPPING=1", 2000));
	CU_ASSERT(access(d.k.sock, F_OK) && errno == ENOENT);
	CU_ASSERT(access(d.k.ctl, F_OK) && errno == ENOENT);
	kmemd_cleanup(&d);
}

static void test_watchdog(void)
{
	struct kmemd d;

	if (!kmemd_start_env(&d, NULL, START_WATCHDOG)) {
		CU_FAIL("kmemd did not start");
		kmemd_cleanup(&d);
		return;
	}
	CU_ASSERT(notify_wait(&d, "WATCHDOG=1", 3000));
	CU_ASSERT(log_wait(&d, "watchdog: pinging every 100 ms", 1000));
	kh_stop(&d.k, SIGTERM);
	kmemd_cleanup(&d);
}

/* /proc/meminfo's MemTotal in MiB (what kmemd checks sizes against). */
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

/* kmemd on @conf_text (and @set, a --set) must exit 2 printing @expect. */
/* ... @expect follows "FILE:" unless a --set is what is wrong. */
static void bad_config(const char *conf_text, const char *set, const char *expect_tail)
{
	char dir[] = "/tmp/kmemd-test.XXXXXX", path[64], out[4096], expect[160];
	char *argv[] = { "kmemd", "--config", path, set ? "--set" : NULL, (char *)set, NULL };
	FILE *f;
	int status;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/kmemd.conf", dir);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(conf_text, f);
	fclose(f);
	status = kt_run(KMEMD_PATH, argv, out, sizeof(out), 30);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 2);
	if (set)
		snprintf(expect, sizeof(expect), "%s", expect_tail);
	else
		snprintf(expect, sizeof(expect), "%s:%s", path, expect_tail);
	if (!strstr(out, expect)) {
		fprintf(stderr, "expected \"%s\" in:\n%s\n", expect, out);
		CU_FAIL("config error message");
	}
	unlink(path);
	rmdir(dir);
}

static void test_config_errors(void)
{
	char out[4096];
	char *help[] = { "kmemd", "--help", NULL };
	char *bogus[] = { "kmemd", "--bogus", NULL };
	int status;

	bad_config("name = x\nno_such_key = 1\n", NULL, "2: no_such_key: unknown key");
	bad_config("# c\n\nmax_clients = many\n", NULL, "3: max_clients:");
	bad_config("hugepages = sometimes\n", NULL, "1: hugepages:");
	bad_config("zones = carved\n", NULL, "1: zones:");
	bad_config("dma32_mb = lots\n", NULL, "1: dma32_mb:");
	/* emulated zones must fit in the direct map: the last key set is named */
	bad_config("zones = emulate\ndirect_mb = 16\ndma32_mb = 14\n", NULL,
		   "3: dma32_mb: emulated DMA and DMA32 zones (4 + 14 MiB) do not fit in node 0's "
		   "direct map (16 MiB)");
	bad_config("base_address = 0x1234\n", NULL, "1: base_address:");
	bad_config("reserve_hugepages = maybe\n", NULL, "1: reserve_hugepages:");
	bad_config("socket = relative.sock\n", NULL, "1: socket:");
	bad_config("log_level = loud\n", NULL, "1: log_level:");
	bad_config("failslab = 1,2\n", NULL, "1: failslab:");
	bad_config("just words\n", NULL, "1: just words: expected key = value");
	bad_config("", "direct_mb=lots", "--set: direct_mb:");
	bad_config("", "nope=1", "--set: nope: unknown key");

	/* every key with a non-empty default needs a value; "" is no value either */
	{
		static const char *const need[] = {
			"name", "socket", "ctl_socket", "socket_mode", "max_clients", "fake_numa",
			"nodes", "hugepages", "hugepage_size", "reserve_hugepages", "base_address",
			"kswapd", "object_owners", "log_level", "watchdog",
		};
		char conf[128], tail[96];
		unsigned int i;

		for (i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
			snprintf(conf, sizeof(conf), "# empty\n%s =\n", need[i]);
			snprintf(tail, sizeof(tail), "2: %s: needs a value", need[i]);
			bad_config(conf, NULL, tail);
			snprintf(conf, sizeof(conf), "%s = \"\"\n", need[i]);
			snprintf(tail, sizeof(tail), "1: %s: needs a value", need[i]);
			bad_config(conf, NULL, tail);
		}
		bad_config("", "hugepage_size=", "--set: hugepage_size: needs a value");
	}
	/* an empty entry in a list is a name lost in an edit */
	bad_config("allowed_users = ,,,,\n", NULL, "1: allowed_users: empty entry 1");
	bad_config("allowed_users = root,,0\n", NULL, "1: allowed_users: empty entry 2");
	bad_config("allowed_users = root, 0 ,\n", NULL, "1: allowed_users: empty entry 3");
	bad_config("allowed_groups = ,root\n", NULL, "1: allowed_groups: empty entry 1");
	bad_config("allowed_groups = root , , root\n", NULL, "1: allowed_groups: empty entry 2");
	/* sizes beyond what a node of this machine has (16 TiB per node) */
	bad_config("direct_mb = 16777216\n", NULL, "1: direct_mb: 16777216 MiB of direct map");
	bad_config("fake_numa = 1\nhighmem_mb = 16777216\n", NULL, "2: highmem_mb:");
	bad_config("direct_mb = 4\n", "highmem_mb=16777216", "--set: highmem_mb:");
	/* both too big alone: the one set last is named */
	bad_config("direct_mb = 8388608\nhighmem_mb = 8388608\n", NULL, "2: highmem_mb:");
	bad_config("highmem_mb = 8388608\n# c\ndirect_mb = 8388608\n", NULL, "3: direct_mb:");
	bad_config("direct_mb = 4194304\nfake_numa = 64\n", NULL, "1: direct_mb:");
	/* each fits, not both: the last of the three set is named */
	{
		unsigned long long per = memtotal_mb() / 64 * 3 / 4;
		char conf[160];

		snprintf(conf, sizeof(conf), "direct_mb = %llu\nfake_numa = 64\nhighmem_mb = %llu\n",
			 per, per);
		bad_config(conf, NULL, "3: highmem_mb:");
		snprintf(conf, sizeof(conf), "direct_mb = %llu\nhighmem_mb = %llu\nfake_numa = 64\n",
			 per, per);
		bad_config(conf, NULL, "3: fake_numa:");
		snprintf(conf, sizeof(conf), "direct_mb = %llu\nhighmem_mb = %llu\n", per, per);
		bad_config(conf, "fake_numa=64", "--set: fake_numa:");
	}
	/* the rounding to 1 GiB pages counts; the default direct_mb is not the one to blame */
	if (memtotal_mb() / 64 < 1024 + 64)
		bad_config("hugepage_size = 1G\nfake_numa = 64\n", NULL, "2: fake_numa: 1024 MiB");
	bad_config("hugepage_size = 1G\nfake_numa = 64\ndirect_mb = 262144\n", NULL,
		   "3: direct_mb: 262144 MiB");

	status = kt_run(KMEMD_PATH, help, out, sizeof(out), 30);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0 && strstr(out, "--config"));
	status = kt_run(KMEMD_PATH, bogus, out, sizeof(out), 30);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 2);
}

/*
 * The malformed-message corpus: each entry is one or two packets, and the
 * errno its ERROR must carry (0: the HELLO-twice case, decided at run time).
 */
struct bad_msg {
	const char *name;
	char pkt[KMEMD_MSG_MAX + 64];
	size_t len;
	bool twice;	/* send the packet twice */
	int err;
};

static void build_corpus(struct bad_msg *c, unsigned int *nr)
{
	struct kmemd_hello h = hello();
	struct kmemd_hdr x;
	unsigned int n = 0;

#define ADD(nm, ptr, ln, tw, e)					\
	do {							\
		c[n].name = nm;					\
		memset(c[n].pkt, 0, sizeof(c[n].pkt));		\
		memcpy(c[n].pkt, ptr, ln);			\
		c[n].len = ln;					\
		c[n].twice = tw;				\
		c[n].err = e;					\
		n++;						\
	} while (0)

	h.h.magic = 0xdeadbeef;
	ADD("bad magic", &h, sizeof(h), false, EPROTO);
	h = hello();
	h.h.version = 99;
	ADD("bad version", &h, sizeof(h), false, EPROTONOSUPPORT);
	x = hdr(77, sizeof(x));
	ADD("unknown type", &x, sizeof(x), false, EBADMSG);
	x = hdr(KMEMD_MSG_DETACH, 4);
	ADD("short len", &x, sizeof(x), false, EBADMSG);
	h = hello();
	h.h.len = sizeof(h) + 8;
	ADD("len mismatch", &h, sizeof(h), false, EBADMSG);
	h = hello();
	ADD("HELLO too short", &h, sizeof(h) - 4, false, EBADMSG);
	/* fix the header of the short HELLO so only its size is wrong */
	((struct kmemd_hdr *)c[n - 1].pkt)->len = sizeof(h) - 4;
	ADD("truncated 2-byte packet", &h, 2, false, EBADMSG);
	x = hdr(KMEMD_MSG_HELLO, KMEMD_MSG_MAX + 32);
	ADD("oversized packet", &x, sizeof(x), false, EMSGSIZE);
	c[n - 1].len = KMEMD_MSG_MAX + 32;
	x = hdr(KMEMD_MSG_WELCOME, sizeof(x));
	ADD("WELCOME sent by a client", &x, sizeof(x), false, EPROTO);
	x = hdr(KMEMD_MSG_SHUTDOWN, sizeof(x));
	ADD("SHUTDOWN sent by a client", &x, sizeof(x), false, EPROTO);
	h = hello();
	ADD("HELLO twice", &h, sizeof(h), true, 0);
#undef ADD
	*nr = n;
}

static void test_malformed_messages(void)
{
	static struct bad_msg corpus[16];
	struct kmemd_hello h = hello();
	unsigned int nr, i;
	struct kmemd d;
	bool attach_built;
	char msg[240];
	int fd, ret;

	build_corpus(corpus, &nr);
	if (!kmemd_start(&d, NULL)) {
		CU_FAIL("kmemd did not start");
		kmemd_cleanup(&d);
		return;
	}
	/* Without libkmem/attach.c, a valid HELLO is refused with ENOSYS. */
	fd = kh_connect(d.k.sock, SOCK_SEQPACKET);
	CU_ASSERT_FATAL(fd >= 0);
	ret = hello_reply(fd, &h);
	CU_ASSERT(ret == 0 || ret == ENOSYS);
	attach_built = ret == 0;
	close(fd);

	for (i = 0; i < nr; i++) {
		struct bad_msg *b = &corpus[i];
		int err = b->err ?: (attach_built ? EPROTO : ENOSYS);

		fd = kh_connect(d.k.sock, SOCK_SEQPACKET);
		CU_ASSERT_FATAL(fd >= 0);
		CU_ASSERT(send(fd, b->pkt, b->len, 0) == (ssize_t)b->len);
		if (b->twice) {
			if (attach_built) {
				ret = hello_reply(fd, (struct kmemd_hello *)b->pkt);
				CU_ASSERT(ret == -1 || ret == 0);
			}
			send(fd, b->pkt, b->len, MSG_NOSIGNAL);
		}
		if (!expect_error(fd, err, msg, sizeof(msg))) {
			fprintf(stderr, "corpus entry '%s' failed\n", b->name);
			CU_FAIL("malformed message not refused as expected");
		}
		close(fd);
		/* the daemon still answers a fresh connection */
		fd = kh_connect(d.k.sock, SOCK_SEQPACKET);
		CU_ASSERT_FATAL(fd >= 0);
		h = hello();
		ret = hello_reply(fd, &h);
		CU_ASSERT(ret == (attach_built ? 0 : ENOSYS));
		close(fd);
	}
	CU_ASSERT(log_wait(&d, "bad magic 0xdeadbeef", 1000));
	CU_ASSERT(log_wait(&d, "attach not built", 1000) || attach_built);
	ret = kh_stop(&d.k, SIGTERM);
	CU_ASSERT(WIFEXITED(ret) && WEXITSTATUS(ret) == 0);
	kmemd_cleanup(&d);
}

/* A control request: the reply line (its first 8 KiB), or "": in a static buffer. */
static char *ctl_request(struct kmemd *d, const char *req)
{
	static char reply[8192];
	char *r = kh_ctl_request(&d->k, req);

	snprintf(reply, sizeof(reply), "%s", r ?: "");
	free(r);
	return reply;
}

static void test_disallowed_uid(void)
{
	struct kmemd d;
	pid_t pid;
	int status;

	if (getuid() != 0) {
		printf("SKIPPED: test_disallowed_uid needs root (setuid to 65534)\n");
		return;
	}
	if (!kmemd_start(&d, "allowed_users = 0\n")) {
		CU_FAIL("kmemd did not start");
		kmemd_cleanup(&d);
		return;
	}
	fflush(NULL);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		char msg[240];
		int fd;

		if (setgid(65534) || setuid(65534))
			_exit(10);
		fd = kh_connect(d.k.sock, SOCK_SEQPACKET);
		if (fd < 0)
			_exit(11);
		if (!expect_error(fd, EACCES, msg, sizeof(msg)) || !strstr(msg, "permission denied"))
			_exit(12);
		close(fd);
		if (!strstr(ctl_request(&d, "{\"cmd\":\"clients\"}\n"), "permission denied"))
			_exit(13);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	KT_ASSERT_EQ(WIFEXITED(status) ? WEXITSTATUS(status) : 100, 0);
	CU_ASSERT(log_wait(&d, "uid 65534 gid 65534 not in allowed_users/allowed_groups", 2000));
	/* root still may */
	CU_ASSERT(strstr(ctl_request(&d, "{\"cmd\":\"clients\"}\n"), "\"clients\"") != NULL);
	kh_stop(&d.k, SIGTERM);
	kmemd_cleanup(&d);
}

/* Count "pid":<ours> entries in the control protocol's clients list. */
static unsigned int clients_listed(struct kmemd *d, const char *state)
{
	char needle[32];

	snprintf(needle, sizeof(needle), "\"state\":\"%s\"", state);
	return count(ctl_request(d, "{\"cmd\":\"clients\"}\n"), needle);
}

static bool clients_wait(struct kmemd *d, const char *state, unsigned int n)
{
	int i;

	for (i = 0; i < 250; i++) {
		if (clients_listed(d, state) == n)
			return true;
		usleep(20000);
	}
	return false;
}

/*
 * max_clients bounds the attached clients; a connection that has not said
 * HELLO yet takes no slot, the HELLO over the bound is refused.
 */
static void test_max_clients(void)
{
	struct kmemd_hello h = hello();
	struct kmemd d;
	char msg[240];
	int fd[4];

	if (!kmemd_start(&d, "max_clients = 2\n")) {
		CU_FAIL("kmemd did not start");
		kmemd_cleanup(&d);
		return;
	}
	fd[0] = kh_connect(d.k.sock, SOCK_SEQPACKET);
	fd[1] = kh_connect(d.k.sock, SOCK_SEQPACKET);
	fd[2] = kh_connect(d.k.sock, SOCK_SEQPACKET);
	CU_ASSERT_FATAL(fd[0] >= 0 && fd[1] >= 0 && fd[2] >= 0);
	/* three pending connections, max_clients = 2: all are let in */
	CU_ASSERT(clients_wait(&d, "connected", 3));
	CU_ASSERT(hello_reply(fd[0], &h) == 0);
	CU_ASSERT(hello_reply(fd[1], &h) == 0);
	CU_ASSERT(clients_wait(&d, "attached", 2));
	CU_ASSERT(send(fd[2], &h, sizeof(h), 0) == (ssize_t)sizeof(h));
	CU_ASSERT(expect_error(fd[2], EUSERS, msg, sizeof(msg)));
	CU_ASSERT(strstr(msg, "too many clients") != NULL);
	close(fd[2]);
	/* one leaves: there is room again */
	close(fd[0]);
	CU_ASSERT(clients_wait(&d, "attached", 1));
	fd[3] = kh_connect(d.k.sock, SOCK_SEQPACKET);
	CU_ASSERT_FATAL(fd[3] >= 0);
	CU_ASSERT(hello_reply(fd[3], &h) == 0);
	CU_ASSERT(clients_wait(&d, "attached", 2));
	close(fd[3]);
	close(fd[1]);
	kh_stop(&d.k, SIGTERM);
	kmemd_cleanup(&d);
}

/*
 * A connection that never says HELLO is refused after the HELLO time-out
 * (1.5 s), so silent connections cannot fill the queue of pending ones.
 */
static void test_hello_timeout(void)
{
	struct kmemd d;
	char msg[240];
	int fd, fd2;

	if (!kmemd_start(&d, "max_clients = 1\n")) {
		CU_FAIL("kmemd did not start");
		kmemd_cleanup(&d);
		return;
	}
	fd = kh_connect(d.k.sock, SOCK_SEQPACKET);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT(clients_wait(&d, "connected", 1));
	sleep(2);
	/* any event makes the daemon look; the timer would within 10 s */
	fd2 = kh_connect(d.k.sock, SOCK_SEQPACKET);
	CU_ASSERT_FATAL(fd2 >= 0);
	CU_ASSERT(expect_error(fd, ETIMEDOUT, msg, sizeof(msg)));
	CU_ASSERT(strstr(msg, "no HELLO") != NULL);
	close(fd);
	close(fd2);
	kh_stop(&d.k, SIGTERM);
	kmemd_cleanup(&d);
}

static void test_sighup_reload(void)
{
	struct kmemd d;
	int status;

	if (!kmemd_start(&d, "max_clients = 4\ndirect_mb = 16\nlog_level = info\n")) {
		CU_FAIL("kmemd did not start");
		kmemd_cleanup(&d);
		return;
	}
	write_conf(&d, "max_clients = 8\ndirect_mb = 32\nwatermark_scale_factor = 50\n"
		       "failslab = 1,0,0,-1\nlog_level = debug\n");
	kill(d.k.pid, SIGHUP);
	CU_ASSERT(notify_wait(&d, "RELOADING=1", 5000));
	CU_ASSERT(notify_wait(&d, "MONOTONIC_USEC=", 1000));
	/* READY=1 again after the reload */
	CU_ASSERT(notify_wait(&d, "RELOADING=1\nMONOTONIC_USEC", 100));
	CU_ASSERT(notify_wait_n(&d, "READY=1", 2, 2000));
	CU_ASSERT(log_wait(&d, "reload: max_clients: '4' -> '8'", 2000));
	CU_ASSERT(log_wait(&d, "reload: direct_mb: '16' -> '32' needs a restart", 2000));
	/* live where libkmem has kmem_set_tunable(), else for the next start */
	CU_ASSERT(log_wait(&d, "reload: watermark_scale_factor: '' -> '50'", 2000));
	CU_ASSERT(log_wait(&d, "change(s) applied; needs a restart: direct_mb", 2000));
	CU_ASSERT(log_wait(&d, "reload: failslab: '' -> '1,0,0,-1'", 2000));
	CU_ASSERT(log_wait(&d, "reload: log_level: 'info' -> 'debug'", 2000));

	CU_ASSERT(!strstr(kh_log(&d.k), "failslab: Invalid"));

	/* a file that does not parse changes nothing */
	write_conf(&d, "max_clients = none\n");
	kill(d.k.pid, SIGHUP);
	CU_ASSERT(log_wait(&d, ":11: max_clients: expected a number", 2000));
	CU_ASSERT(log_wait(&d, "configuration unchanged", 2000));
	/* and the daemon runs on */
	CU_ASSERT(strstr(ctl_request(&d, "{\"cmd\":\"clients\"}\n"), "\"clients\"") != NULL);
	status = kh_stop(&d.k, SIGTERM);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	kmemd_cleanup(&d);
}

static void test_sigterm_with_clients(void)
{
	struct kmemd_hdr m;
	struct kmemd d;
	int fd[3], i, status;

	if (!kmemd_start(&d, NULL)) {
		CU_FAIL("kmemd did not start");
		kmemd_cleanup(&d);
		return;
	}
	for (i = 0; i < 3; i++) {
		fd[i] = kh_connect(d.k.sock, SOCK_SEQPACKET);
		CU_ASSERT_FATAL(fd[i] >= 0);
	}
	CU_ASSERT(clients_wait(&d, "connected", 3));
	status = kh_stop(&d.k, SIGTERM);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	for (i = 0; i < 3; i++) {
		memset(&m, 0, sizeof(m));
		CU_ASSERT(kh_recv(fd[i], &m, sizeof(m), 2000) == (ssize_t)sizeof(m));
		CU_ASSERT(m.magic == KMEMD_MAGIC && m.type == KMEMD_MSG_SHUTDOWN &&
			  m.len == sizeof(m));
		CU_ASSERT(kh_recv(fd[i], &m, sizeof(m), 2000) == 0);
		close(fd[i]);
	}
	CU_ASSERT(notify_wait(&d, "STOPPING=1", 2000));
	CU_ASSERT(access(d.k.sock, F_OK) && errno == ENOENT);
	kmemd_cleanup(&d);
}

static void test_second_instance_refused(void)
{
	struct kmemd d;
	char out[4096];
	char *argv[] = { "kmemd", "--config", d.k.conf, NULL };
	int status;

	if (!kmemd_start(&d, NULL)) {
		CU_FAIL("kmemd did not start");
		kmemd_cleanup(&d);
		return;
	}
	status = kt_run(KMEMD_PATH, argv, out, sizeof(out), 30);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	CU_ASSERT(strstr(out, "another kmemd is listening there") != NULL);
	/* the first one still serves */
	CU_ASSERT(strstr(ctl_request(&d, "{\"cmd\":\"clients\"}\n"), "\"clients\"") != NULL);
	kh_stop(&d.k, SIGTERM);
	kmemd_cleanup(&d);
}

/*
 * A client process exits while its socket lives on in a child: the pidfd,
 * not the socket, tells kmemd it is gone.
 */
static void test_client_death_by_pidfd(void)
{
	struct kmemd d;
	pid_t pid;
	int status;

	if (!kmemd_start(&d, "log_level = debug\n")) {
		CU_FAIL("kmemd did not start");
		kmemd_cleanup(&d);
		return;
	}
	fflush(NULL);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		int fd = kh_connect(d.k.sock, SOCK_SEQPACKET);

		if (fd < 0)
			_exit(1);
		/* let kmemd accept it before the socket changes hands */
		usleep(200000);
		if (fork() == 0) {
			close(STDOUT_FILENO);	/* ctest waits for its pipe to close */
			close(STDERR_FILENO);
			sleep(3);	/* holds the socket open past its parent's end */
			_exit(0);
		}
		_exit(0);
	}
	waitpid(pid, &status, 0);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CU_ASSERT(log_wait(&d, "closed: process exited", 2000));
	CU_ASSERT(clients_wait(&d, "connected", 0));
	kh_stop(&d.k, SIGTERM);
	kmemd_cleanup(&d);
}

/*
 * The control socket's framing (kmemd.c): one reply line per request line,
 * two requests in one write, a request with no end refused; and the
 * client table kmemd gives the "clients" command.
 */
static void test_ctl_socket(void)
{
	char big[8192];	/* longer than KMEMD_CTL_MAX_REQUEST */
	char reply[1024] = "", pid[32];
	size_t used = 0;
	struct kmemd d;
	int fd, cfd;

	if (!kmemd_start(&d, NULL)) {
		CU_FAIL("kmemd did not start");
		kmemd_cleanup(&d);
		return;
	}
	fd = kh_connect(d.k.sock, SOCK_SEQPACKET);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT(clients_wait(&d, "connected", 1));
	snprintf(pid, sizeof(pid), "\"pid\":%d", (int)getpid());
	CU_ASSERT(strstr(ctl_request(&d, "{\"cmd\":\"clients\"}\n"), pid) != NULL);

	cfd = kh_connect(d.k.ctl, SOCK_STREAM);
	CU_ASSERT_FATAL(cfd >= 0);
	CU_ASSERT(send(cfd, "{\"cmd\":\"clients\"}\n{\"cmd\":\"clients\"}\n", 36, 0) == 36);
	while (count(reply, "\n") < 2) {
		ssize_t n = kh_recv(cfd, reply + used, sizeof(reply) - 1 - used, 5000);

		if (n <= 0)
			break;
		used += (size_t)n;
		reply[used] = '\0';
	}
	KT_ASSERT_EQ(count(reply, "\n"), 2);
	KT_ASSERT_EQ(count(reply, pid), 2);
	close(cfd);

	memset(big, ' ', sizeof(big));
	big[sizeof(big) - 1] = '\0';
	CU_ASSERT(strstr(ctl_request(&d, big), "request too long") != NULL);
	close(fd);
	kh_stop(&d.k, SIGTERM);
	kmemd_cleanup(&d);
}

/* kmemctl @cmd against @d: its wait status, its output (stdout and stderr) in @out. */
static int kmemctl(struct kmemd *d, const char *cmd, char *out, size_t len)
{
	const char *const args[] = { cmd, NULL };
	int status = kh_kmemctl(&d->k, args, out, len, 30);

	CU_ASSERT_FATAL(status != -1);
	return status;
}

/*
 * An attached client (this process, white box) corrupts a caches[] slot of
 * the shared segment: kmemd's slabinfo answers with an error naming it, it
 * still answers "info", and after the client puts the slot back and leaves,
 * slabinfo works again and kmemd stops cleanly.
 */
static void test_corrupted_segment(void)
{
	char out[8192];
	struct kmemd d;
	unsigned int id;
	u64 saved;
	int ret;

	if (!kmemd_start(&d, NULL)) {
		CU_FAIL("kmemd did not start");
		kmemd_cleanup(&d);
		return;
	}
	ret = kmem_attach(d.k.sock);
	CU_ASSERT_EQUAL_FATAL(ret, 0);
	for (id = 1; id < KMEM_MAX_CACHES && !kmem_mm.shm->caches[id]; id++)
		;
	CU_ASSERT_FATAL(id < KMEM_MAX_CACHES);
	saved = kmem_mm.shm->caches[id];
	kmem_mm.shm->caches[id] = 0x10ULL << 40;

	CU_ASSERT(strstr(ctl_request(&d, "{\"cmd\":\"slabinfo\"}\n"), "\"EUCLEAN\"") != NULL);
	CU_ASSERT(strstr(ctl_request(&d, "{\"cmd\":\"slabinfo\"}\n"),
			 "outside the direct map; refusing slabinfo") != NULL);
	CU_ASSERT(strstr(ctl_request(&d, "{\"cmd\":\"meminfo\"}\n"), "\"EUCLEAN\"") != NULL);
	ret = kmemctl(&d, "slabinfo", out, sizeof(out));
	CU_ASSERT(WIFEXITED(ret) && WEXITSTATUS(ret) == 1);
	if (!strstr(out, "shared segment corrupted"))
		fprintf(stderr, "kmemctl slabinfo said: %s\n", out);
	CU_ASSERT(strstr(out, "shared segment corrupted") != NULL);
	CU_ASSERT(strstr(ctl_request(&d, "{\"cmd\":\"info\"}\n"), "\"total_pages\"") != NULL);
	CU_ASSERT(strstr(ctl_request(&d, "{\"cmd\":\"buddyinfo\"}\n"), "\"error\"") == NULL);
	CU_ASSERT(log_wait(&d, "shared segment corrupted: caches[", 2000));

	kmem_mm.shm->caches[id] = saved;
	CU_ASSERT_EQUAL(kmem_detach(), 0);
	CU_ASSERT(strstr(ctl_request(&d, "{\"cmd\":\"slabinfo\"}\n"), "\"error\"") == NULL);
	ret = kmemctl(&d, "slabinfo", out, sizeof(out));
	CU_ASSERT(WIFEXITED(ret) && WEXITSTATUS(ret) == 0);
	ret = kh_stop(&d.k, SIGTERM);
	CU_ASSERT(WIFEXITED(ret) && WEXITSTATUS(ret) == 0);
	kmemd_cleanup(&d);
}

/* Socket activation: kmemd takes the sockets it is given and leaves their files. */
static void test_socket_activation(void)
{
	struct kmemd_hello h = hello();
	struct kmemd d;
	int fd, ret;

	if (!kmemd_start_env(&d, NULL, START_ACTIVATE)) {
		CU_FAIL("kmemd did not start");
		kmemd_cleanup(&d);
		return;
	}
	CU_ASSERT(log_wait(&d, "kmemd.sock (from systemd)", 1000));
	CU_ASSERT(log_wait(&d, "kmemd.ctl (from systemd)", 1000));
	fd = kh_connect(d.k.sock, SOCK_SEQPACKET);
	CU_ASSERT_FATAL(fd >= 0);
	ret = hello_reply(fd, &h);
	CU_ASSERT(ret == 0 || ret == ENOSYS);
	close(fd);
	CU_ASSERT(strstr(ctl_request(&d, "{\"cmd\":\"clients\"}\n"), "\"clients\"") != NULL);
	ret = kh_stop(&d.k, SIGTERM);
	CU_ASSERT(WIFEXITED(ret) && WEXITSTATUS(ret) == 0);
	/* the socket files are systemd's: still there */
	CU_ASSERT(access(d.k.sock, F_OK) == 0);
	CU_ASSERT(access(d.k.ctl, F_OK) == 0);
	kmemd_cleanup(&d);
}


/* ------------------------------------------------------------------ */
/* a client's death (docs/attach.md, "When a client dies")             */
/* ------------------------------------------------------------------ */

/* Sum of every @key (a number) in @json. */
static long long sum_key(const char *json, const char *key)
{
	char needle[64];
	long long sum = 0;
	size_t len;

	snprintf(needle, sizeof(needle), "\"%s\":", key);
	len = strlen(needle);
	while ((json = strstr(json, needle))) {
		json += len;
		sum += strtoll(json, NULL, 10);
	}
	return sum;
}

/*
 * Free pages in the daemon's memory, every per-CPU list and every cache's
 * empty slabs given back first: what a dead client's leftovers are
 * measured against.  -1 if the daemon did not answer.
 */
static long long free_pages_now(struct kmemd *d)
{
	char *r;
	long long n;

	free(kh_ctl_request(&d->k, "{\"cmd\":\"shrink\"}\n"));
	free(kh_ctl_request(&d->k, "{\"cmd\":\"drop-pcp\"}\n"));
	r = kh_ctl_request(&d->k, "{\"cmd\":\"zoneinfo\"}\n");
	n = r && strstr(r, "\"zoneinfo\"") ? sum_key(r, "free") + sum_key(r, "pcp_count") : -1;
	free(r);
	return n;
}

/* Wait until @n dead clients have been recovered; the clients reply in *@out. */
static bool recovered_wait(struct kmemd *d, unsigned int n, char **out)
{
	char *r = NULL;
	int i;

	for (i = 0; i < 500; i++) {
		free(r);
		r = kh_ctl_request(&d->k, "{\"cmd\":\"clients\"}\n");
		if (r && count(r, "\"recovery\":\"done\"") >= n)
			break;
		usleep(5000);
	}
	if (out)
		*out = r;
	else
		free(r);
	return i < 500;
}

/* Wait until the client of process @pid has been recovered; the clients reply in *@out. */
static bool recovered_pid_wait(struct kmemd *d, pid_t pid, char **out)
{
	char needle[48], *r = NULL;
	int i;

	snprintf(needle, sizeof(needle), "\"pid\":%d,", (int)pid);
	for (i = 0; i < 500; i++) {
		const char *p, *end;

		free(r);
		r = kh_ctl_request(&d->k, "{\"cmd\":\"clients\"}\n");
		p = r ? strstr(r, needle) : NULL;
		end = p ? strchr(p, '}') : NULL;
		while (p && p > r && *p != '{')	/* the entry's start: its keys are sorted */
			p--;
		p = p ? strstr(p, "\"recovery\":\"done\"") : NULL;
		if (p && end && p < end)
			break;
		usleep(5000);
	}
	if (out)
		*out = r;
	else
		free(r);
	return i < 500;
}

/* Field @key of process @pid's entry in the clients reply @clients; 0 if none. */
static long long pid_field(const char *clients, pid_t pid, const char *key)
{
	char needle[64];
	const char *p, *end, *f;

	snprintf(needle, sizeof(needle), "\"pid\":%d,", (int)pid);
	p = strstr(clients, needle);
	if (!p)
		return 0;
	end = strchr(p, '}');
	while (p > clients && *p != '{')	/* the entry's start: its keys are sorted */
		p--;
	snprintf(needle, sizeof(needle), "\"%s\":", key);
	f = strstr(p, needle);
	return f && end && f < end ? strtoll(f + strlen(needle), NULL, 10) : 0;
}

/* Every field @key of the clients reply's last recovered client. */
static long long last_field(const char *clients, const char *key)
{
	char needle[64];
	const char *p, *last = NULL;

	snprintf(needle, sizeof(needle), "\"%s\":", key);
	for (p = clients; (p = strstr(p, needle)); p++)
		last = p;
	return last ? strtoll(last + strlen(needle), NULL, 10) : -1;
}

/* A child that attaches to @d, runs @fn and _exits with its result. */
static pid_t spawn_client(struct kmemd *d, int (*fn)(void *), void *arg)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		if (kmem_attach(d->k.sock))
			_exit(90);
		_exit(fn(arg));
	}
	return pid;
}

static int wait_exit(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/*
 * A census of the memory, from an attached process (white box): writes
 * "SLAB_PAGES OBJECTS LOST BAD" to the fd in @arg — pages in slabs, objects
 * allocated in them, pages neither free (buddy lists; the per-CPU lists are
 * drained first), nor allocated, nor reserved: lost; and the zones or list
 * entries where the free lists, the PG_buddy flags and free_pages disagree
 * (a block listed twice, or listed and allocated).
 */
static int census(void *arg)
{
	u64 pfn, total = kmem_mm.total_pages, lost = 0, slab = 0, objs = 0, bad = 0;
	int fd = (int)(uintptr_t)arg;
	char buf[96];

	for (pfn = 0; pfn < total; ) {
		struct page *page = __pfn_to_page(pfn);
		u64 size = 1;

		if (page->flags & PG_buddy) {
			size = 1ULL << page->order;
		} else if (page->_refcount > 0) {
			size = 1ULL << page->order;
			if (page->flags & PG_slab) {
				slab += size;
				objs += SLAB_INUSE(*slab_word(page));
			}
		} else if (!(page->flags & PG_reserved)) {
			if (getenv("KMEM_TEST_VERBOSE"))
				printf("  lost: pfn %llu order %u flags %#x owner %u\n",
				       (unsigned long long)pfn, page->order, page->flags, page->owner);
			lost++;
		}
		pfn += size;
	}
	{
		unsigned int nid, z, o;

		for (nid = 0; nid < kmem_mm.shm->nr_nodes; nid++) {
			for (z = 0; z < MAX_NR_ZONES; z++) {
				struct zone *zone = &NODE_DATA((int)nid)->node_zones[z];
				u64 listed = 0, flagged = 0, p;

				if (!zone_populated(zone))
					continue;
				for (o = 0; o < NR_PAGE_ORDERS; o++) {
					u32 q;
					u64 guard = 0;

					for (q = zone->free_area[o].head; q != PFN_NIL && guard++ < total;
					     q = __pfn_to_page(q)->buddy.next) {
						listed += 1ULL << o;
						if (!(__pfn_to_page(q)->flags & PG_buddy) ||
						    __pfn_to_page(q)->order != o ||
						    __pfn_to_page(q)->_refcount) {
							printf("  listed but not buddy: pfn %u order %u\n", q, o);
							bad++;
						}
					}
				}
				for (p = zone->zone_start_pfn; p < zone->zone_start_pfn + zone->spanned_pages; p++)
					if (__pfn_to_page(p)->flags & PG_buddy)
						flagged += 1ULL << __pfn_to_page(p)->order;
				bad += listed != zone->free_pages || flagged != listed;
				if (listed != zone->free_pages || flagged != listed)
					printf("  zone %u/%u: free_pages %llu listed %llu flagged %llu\n",
					       nid, z, (unsigned long long)zone->free_pages,
					       (unsigned long long)listed, (unsigned long long)flagged);
			}
		}
		fflush(stdout);
	}
	snprintf(buf, sizeof(buf), "%llu %llu %llu %llu", (unsigned long long)slab,
		 (unsigned long long)objs, (unsigned long long)lost, (unsigned long long)bad);
	return write(fd, buf, strlen(buf) + 1) > 0 ? 0 : 1;
}

struct census {
	long long slab_pages, objects, lost;
	long long bad;		/* zones whose lists, flags and free_pages disagree */
};

static bool take_census(struct kmemd *d, struct census *c)
{
	char buf[96] = "";
	int pfd[2];
	pid_t pid;

	free(kh_ctl_request(&d->k, "{\"cmd\":\"drop-pcp\"}\n"));
	if (pipe(pfd))
		return false;
	pid = spawn_client(d, census, (void *)(uintptr_t)pfd[1]);
	close(pfd[1]);
	if (read(pfd[0], buf, sizeof(buf) - 1) <= 0)
		buf[0] = '\0';
	close(pfd[0]);
	if (wait_exit(pid) != 0)
		return false;
	return sscanf(buf, "%lld %lld %lld %lld", &c->slab_pages, &c->objects, &c->lost,
		      &c->bad) == 4;
}

/* The tight loop the kill test interrupts at random: it frees what it takes. */
static int churn(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg;
	int fd = (int)((uintptr_t)arg >> 32);

	/* attached: tell the parent the clock starts */
	if (write(fd, "a", 1) != 1)
		return 1;
	/*
	 * One kill in four lands in a loop of buddy allocations above the
	 * per-CPU orders, which hold the zone lock much of the time: a kill
	 * there leaves the lock for the daemon to recover.
	 */
	while (seed % 4 == 0) {
		unsigned int order = 4 + rand_r(&seed) % 3;
		struct page *page = alloc_pages(GFP_KERNEL, order);

		if (page)
			__free_pages(page, order);
		seed &= ~3u;
	}
	for (;;) {
		unsigned int order = rand_r(&seed) % 4;
		struct page *page = alloc_pages(GFP_KERNEL, order);
		void *p = kmalloc(16 + rand_r(&seed) % 2000, GFP_KERNEL);
		char *v;

		/* only objects in flight stay: free it at once */
		kfree(p);
		v = vmalloc(8 * PAGE_SIZE);
		if (v) {
			v[0] = 1;
			v[5 * PAGE_SIZE] = 1;
		}
		if (page)
			__free_pages(page, order);
		vfree(v);
	}
	return 0;
}

/*
 * Kill a client at random points of an alloc/free loop (pages of orders
 * 0-3, kmalloc, a touched vmalloc area; one kill in four in a loop of
 * orders 4-6, under the zone lock), KMEM_TEST_KILLS times (200): after
 * each, once the daemon has recovered it, the free pages are back to the
 * baseline but for slabs holding kmalloc objects no one can free (taken
 * from a slab and not yet stamped with an owner at the kill), and no page
 * is lost (neither free nor allocated).  Each client dies alone, so what
 * it left in the shared kmalloc caches is freed at once (no client whose
 * life overlapped its own is alive), and a block it had in its hands at a
 * per-CPU list is taken back.
 */
static void test_client_killed_at_random(void)
{
	const char *env = getenv("KMEM_TEST_KILLS");
	unsigned int kills = env ? (unsigned int)atoi(env) : 200, i, seed = (unsigned int)getpid();
	long long base, now = 0, short_max = 0, slab_max = 0, lost_max = 0, returned = 0, vreturned = 0;
	struct census c0, c;
	struct timespec t0, t1;
	struct kmemd d;

	if (!kmemd_start(&d, NULL)) {
		CU_FAIL("kmemd did not start");
		kmemd_cleanup(&d);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	base = free_pages_now(&d);
	CU_ASSERT_FATAL(base > 0);
	CU_ASSERT_FATAL(take_census(&d, &c0));
	KT_ASSERT_EQ(c0.lost, 0);
	KT_ASSERT_EQ(c0.bad, 0);
	c = c0;
	for (i = 0; i < kills; i++) {
		int pfd[2], status;
		char ch, *clients = NULL;
		pid_t pid;

		CU_ASSERT_FATAL(!pipe(pfd));
		pid = spawn_client(&d, churn,
				   (void *)((uintptr_t)rand_r(&seed) | (uintptr_t)pfd[1] << 32));
		CU_ASSERT_FATAL(pid > 0);
		close(pfd[1]);
		if (read(pfd[0], &ch, 1) != 1) {
			close(pfd[0]);
			CU_FAIL("the client did not attach");
			waitpid(pid, &status, 0);
			break;
		}
		close(pfd[0]);
		usleep(rand_r(&seed) % 20001);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		if (!recovered_pid_wait(&d, pid, &clients)) {
			CU_FAIL("the daemon did not recover a killed client");
			fprintf(stderr, "%s\n", kh_log(&d.k));
			free(clients);
			break;
		}
		returned += pid_field(clients, pid, "pages_returned");
		vreturned += pid_field(clients, pid, "vmalloc_pages_returned");
		free(clients);
		now = free_pages_now(&d);
		CU_ASSERT_FATAL(now >= 0);	/* the daemon still answers */
		CU_ASSERT_FATAL(take_census(&d, &c));
		if (getenv("KMEM_TEST_VERBOSE"))
			printf("kill %u: %lld pages short, slabs %+lld pages %+lld objects, %lld lost\n",
			       i, base - now, c.slab_pages - c0.slab_pages, c.objects - c0.objects,
			       c.lost);
		short_max = base - now > short_max ? base - now : short_max;
		slab_max = c.slab_pages - c0.slab_pages > slab_max ? c.slab_pages - c0.slab_pages :
								     slab_max;
		lost_max = c.lost > lost_max ? c.lost : lost_max;
		/* what is not free is in slabs holding objects, or lost */
		KT_ASSERT_EQ(base - now, c.slab_pages - c0.slab_pages + c.lost);
		KT_ASSERT_EQ(c.bad, 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("\n  client deaths: %u kills in %.1f s, %lld pages and %lld vmalloc pages returned; "
	       "left allocated at most %lld pages (at the end %lld, in slabs holding %lld kmalloc "
	       "objects in flight at the kills), lost at most %lld pages; %u locks rebuilt\n",
	       i, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	       returned, vreturned, short_max, base - now, c.objects - c0.objects, lost_max,
	       count(kh_log(&d.k), "rebuilt after a client died"));
	KT_ASSERT_EQ(i, kills);
	/*
	 * The loop frees each object right after taking it, so few kills land
	 * with one in flight, and those share slabs: a few slabs at most.  No
	 * page is lost: a block popped from a per-CPU list, or being pushed,
	 * at the kill is taken back once no client is alive.
	 */
	CU_ASSERT(slab_max <= 48);
	KT_ASSERT_EQ(lost_max, 0);
	kh_stop(&d.k, SIGTERM);
	kmemd_cleanup(&d);
}

/* The zone the lock tests use: where a plain GFP_KERNEL page comes from. */
static struct zone *kernel_zone(void)
{
	struct page *page = alloc_pages(GFP_KERNEL, 0);
	struct zone *zone;

	if (!page)
		return NULL;
	zone = page_zone(page);
	__free_pages(page, 0);
	return zone;
}

/* Take that zone's lock, scribble on its lists, die holding it. */
static int die_holding_zone_lock(void *arg)
{
	struct zone *zone = kernel_zone();

	(void)arg;
	if (!zone)
		return 1;
	pthread_mutex_lock(&zone->lock);
	/* what a death mid-update could leave: a list head out of range, wrong counts */
	zone->free_area[2].head = 0xfffffff0u;
	zone->free_area[5].nr_free += 7;
	zone->free_pages += 12345;
	raise(SIGKILL);
	return 2;
}

/* After the recovery: that zone serves every order again. */
static int alloc_from_zone(void *arg)
{
	struct zone *zone = kernel_zone();
	unsigned int o, i;

	(void)arg;
	if (!zone)
		return 1;
	for (o = 0; o <= 5; o++) {
		for (i = 0; i < 8; i++) {
			struct page *page = alloc_pages(GFP_KERNEL, o);

			if (!page)
				return 10 + (int)o;
			if (page_zone(page) != zone)
				return 20 + (int)o;
			__free_pages(page, o);
		}
	}
	return 0;
}

static void test_client_killed_holding_zone_lock(void)
{
	long long base;
	struct kmemd d;
	pid_t pid;

	if (!kmemd_start(&d, NULL)) {
		CU_FAIL("kmemd did not start");
		kmemd_cleanup(&d);
		return;
	}
	base = free_pages_now(&d);
	pid = spawn_client(&d, die_holding_zone_lock, NULL);
	KT_ASSERT_EQ(wait_exit(pid), 128 + SIGKILL);
	CU_ASSERT(recovered_wait(&d, 1, NULL));
	CU_ASSERT(log_wait(&d, "rebuilt after a client died holding its lock", 2000));
	CU_ASSERT(log_wait(&d, "1 locks recovered", 2000));
	KT_ASSERT_EQ(free_pages_now(&d), base);
	pid = spawn_client(&d, alloc_from_zone, NULL);
	KT_ASSERT_EQ(wait_exit(pid), 0);
	KT_ASSERT_EQ(free_pages_now(&d), base);
	kh_stop(&d.k, SIGTERM);
	kmemd_cleanup(&d);
}

/* Take CPU 0's per-CPU list lock of that zone, claim a full list, die. */
static int die_holding_pcp_lock(void *arg)
{
	struct zone *zone = kernel_zone();
	struct per_cpu_pages *pcp;

	(void)arg;
	if (!zone)
		return 1;
	pcp = zone_pcp(zone, 0);
	pthread_mutex_lock(&pcp->lock);
	/* a count past the slots; the slots hold stale pfns */
	pcp->word[0] = (pcp->word[0] & ~PCP_COUNT_MASK) | PCP_COUNT_MASK;
	pcp->word[1] = (pcp->word[1] & ~PCP_COUNT_MASK) | 7;
	raise(SIGKILL);
	return 2;
}

/*
 * KMEM_PCP_LOCKED mode's per-CPU list lock: the daemon finds it dead, cuts
 * the list to its valid entries, and the free count is what it was.
 */
static void test_client_killed_holding_pcp_lock(void)
{
	long long base;
	struct kmemd d;
	pid_t pid;

	if (!kmemd_start(&d, NULL)) {
		CU_FAIL("kmemd did not start");
		kmemd_cleanup(&d);
		return;
	}
	base = free_pages_now(&d);
	pid = spawn_client(&d, die_holding_pcp_lock, NULL);
	KT_ASSERT_EQ(wait_exit(pid), 128 + SIGKILL);
	CU_ASSERT(recovered_wait(&d, 1, NULL));
	CU_ASSERT(log_wait(&d, "CPU 0 list checked after a client died holding its lock", 2000));
	KT_ASSERT_EQ(free_pages_now(&d), base);
	pid = spawn_client(&d, alloc_from_zone, NULL);
	KT_ASSERT_EQ(wait_exit(pid), 0);
	KT_ASSERT_EQ(free_pages_now(&d), base);
	kh_stop(&d.k, SIGTERM);
	kmemd_cleanup(&d);
}

/* Hold the zone lock, alive, until the parent writes to the pipe. */
static int hold_zone_lock(void *arg)
{
	int *pfd = arg;
	struct zone *zone = kernel_zone();
	char c;

	if (!zone)
		return 1;
	pthread_mutex_lock(&zone->lock);
	if (write(pfd[1], "l", 1) != 1 || read(pfd[0], &c, 1) != 1)
		return 2;
	pthread_mutex_unlock(&zone->lock);
	return 0;
}

static int die_owning_pages(void *arg)
{
	(void)arg;
	if (!alloc_pages(GFP_HIGHUSER, 2))
		return 1;
	raise(SIGKILL);
	return 2;
}

/*
 * A client dies while another, alive, holds a zone lock: the recovery
 * waits for it (the daemon answering meanwhile) and completes once the
 * lock is free.
 */
static void test_client_dies_while_lock_held(void)
{
	int to_holder[2], from_holder[2], args[2];
	char c, *r;
	struct kmemd d;
	pid_t holder, pid;

	if (!kmemd_start(&d, NULL)) {
		CU_FAIL("kmemd did not start");
		kmemd_cleanup(&d);
		return;
	}
	CU_ASSERT_FATAL(!pipe(to_holder) && !pipe(from_holder));
	args[0] = to_holder[0];
	args[1] = from_holder[1];
	holder = spawn_client(&d, hold_zone_lock, args);
	CU_ASSERT_FATAL(read(from_holder[0], &c, 1) == 1);
	pid = spawn_client(&d, die_owning_pages, NULL);
	KT_ASSERT_EQ(wait_exit(pid), 128 + SIGKILL);
	CU_ASSERT(log_wait(&d, "a live client holds a kmem lock", 3000));
	r = kh_ctl_request(&d.k, "{\"cmd\":\"clients\"}\n");
	CU_ASSERT(r && strstr(r, "\"recovery\":\"retrying\""));
	free(r);
	CU_ASSERT(write(to_holder[1], "u", 1) == 1);
	KT_ASSERT_EQ(wait_exit(holder), 0);
	CU_ASSERT(recovered_wait(&d, 2, &r));
	CU_ASSERT(r && sum_key(r, "vmalloc_pages_returned") == 4);
	free(r);
	close(to_holder[0]);
	close(to_holder[1]);
	close(from_holder[0]);
	close(from_holder[1]);
	kh_stop(&d.k, SIGTERM);
	kmemd_cleanup(&d);
}

/* Take kmalloc-64's node 0 list_lock, break its partial list, die holding it. */
static int die_holding_list_lock(void *arg)
{
	struct kmem_cache *s;
	struct kmem_cache_node *n;
	void *p[200];
	int i;

	(void)arg;
	for (i = 0; i < 200; i++)	/* partial slabs to lose */
		p[i] = kmalloc(64, GFP_KERNEL);
	for (i = 0; i < 200; i += 2)
		kfree(p[i]);
	s = cache_at(slab_cache_off(kmem_head_page(p[1])));
	n = cache_node(s, 0);
	pthread_mutex_lock(&n->list_lock);
	n->partial = 0xfffffff0u;
	raise(SIGKILL);
	return 2;
}

static int kmalloc_works(void *arg)
{
	void *p[2000];
	int i;

	(void)arg;
	for (i = 0; i < 2000; i++)
		if (!(p[i] = kmalloc(64, GFP_KERNEL)))
			return 10;
	for (i = 0; i < 2000; i++)
		kfree(p[i]);
	return 0;
}

static void test_client_killed_holding_list_lock(void)
{
	struct kmemd d;
	pid_t pid;

	if (!kmemd_start(&d, NULL)) {
		CU_FAIL("kmemd did not start");
		kmemd_cleanup(&d);
		return;
	}
	pid = spawn_client(&d, die_holding_list_lock, NULL);
	KT_ASSERT_EQ(wait_exit(pid), 128 + SIGKILL);
	CU_ASSERT(recovered_wait(&d, 1, NULL));
	CU_ASSERT(log_wait(&d, "node 0 lists rebuilt after a client died", 2000));
	pid = spawn_client(&d, kmalloc_works, NULL);
	KT_ASSERT_EQ(wait_exit(pid), 0);
	CU_ASSERT(free_pages_now(&d) > 0);
	kh_stop(&d.k, SIGTERM);
	kmemd_cleanup(&d);
}

static int hold(void *arg)
{
	if (write((int)(uintptr_t)arg, "h", 1) != 1)
		return 1;
	pause();
	return 2;
}

/*
 * An attached client that does nothing until killed: alive, it may hold
 * pointers a client dying meanwhile handed out, so that client's leftovers
 * stay (docs/attach.md, "When a client dies").  Return: its pid, attached.
 */
static pid_t spawn_holder(struct kmemd *d)
{
	int pfd[2];
	char ch = 0;
	pid_t pid;

	CU_ASSERT_FATAL(!pipe(pfd));
	pid = spawn_client(d, hold, (void *)(uintptr_t)pfd[1]);
	close(pfd[1]);
	CU_ASSERT_FATAL(pid > 0 && read(pfd[0], &ch, 1) == 1 && ch == 'h');
	close(pfd[0]);
	return pid;
}

/* Kill the holder; once it is recovered the leftovers it kept go too. */
static void kill_holder(struct kmemd *d, pid_t holder, unsigned int recovered)
{
	kill(holder, SIGKILL);
	KT_ASSERT_EQ(wait_exit(holder), 128 + SIGKILL);
	CU_ASSERT(recovered_wait(d, recovered, NULL));
}

/* Create two caches (one emptied, one not), pages and vmalloc, and die. */
static int die_with_caches(void *arg)
{
	struct kmem_cache *empty = kmem_cache_create("dying_empty", 200, 0, 0, NULL);
	struct kmem_cache *used = kmem_cache_create("dying_used", 300, 0, 0, NULL);
	void *p[100];
	char *v;
	int i;

	(void)arg;
	if (!empty || !used)
		return 1;
	for (i = 0; i < 100; i++)
		p[i] = kmem_cache_alloc(empty, GFP_KERNEL);
	for (i = 0; i < 100; i++)
		kmem_cache_free(empty, p[i]);
	for (i = 0; i < 50; i++)
		if (!kmem_cache_alloc(used, GFP_KERNEL))
			return 2;
	if (!alloc_pages(GFP_KERNEL, 3) || !alloc_pages(GFP_KERNEL, 0))
		return 3;
	v = vmalloc(16 * PAGE_SIZE);
	if (!v)
		return 4;
	memset(v, 1, 16 * PAGE_SIZE);
	raise(SIGKILL);
	return 5;
}

static void test_client_killed_with_caches(void)
{
	long long base;
	char *clients = NULL;
	struct kmemd d;
	pid_t pid, holder;

	if (!kmemd_start(&d, NULL)) {
		CU_FAIL("kmemd did not start");
		kmemd_cleanup(&d);
		return;
	}
	base = free_pages_now(&d);
	holder = spawn_holder(&d);
	pid = spawn_client(&d, die_with_caches, NULL);
	KT_ASSERT_EQ(wait_exit(pid), 128 + SIGKILL);
	CU_ASSERT_FATAL(recovered_wait(&d, 1, &clients));
	KT_ASSERT_EQ(last_field(clients, "caches_destroyed"), 1);
	KT_ASSERT_EQ(last_field(clients, "caches_kept"), 1);
	KT_ASSERT_EQ(last_field(clients, "pages_returned"), 9);
	KT_ASSERT_EQ(last_field(clients, "vmalloc_pages_returned"), 16);
	free(clients);
	CU_ASSERT(log_wait(&d, "Objects remaining in dying_used", 2000));
	/* what stays: the kept cache's slabs and its struct, nothing else */
	{
		long long left = base - free_pages_now(&d);

		printf("\n  dead client's kept cache holds %lld pages while a client of its time "
		       "lives\n", left);
		CU_ASSERT(left > 0 && left <= 32);
	}
	/* the last process that could hold its objects goes: the cache goes too */
	kill_holder(&d, holder, 2);
	CU_ASSERT(log_wait(&d, "and 1 kept caches", 2000));
	KT_ASSERT_EQ(base - free_pages_now(&d), 0);
	kh_stop(&d.k, SIGTERM);
	kmemd_cleanup(&d);
}

/* ------------------------------------------------------------------ */
/* objects a dead client left in the shared kmalloc caches              */
/* ------------------------------------------------------------------ */

#define ORPHANS_64	100
#define ORPHANS_192	20
#define ORPHANS		(ORPHANS_64 + ORPHANS_192)
#define ORPHANS_FREED	40

struct orphan_pipes {
	int go[2];		/* test -> client: allocate now */
	int addr[2];		/* client -> test: "ready", then the addresses */
	void *objs[ORPHANS];
};

/* Attached: say ready, wait, kmalloc ORPHANS objects, send them, wait to be killed. */
static int leave_orphans(void *arg)
{
	struct orphan_pipes *op = arg;
	char c;
	int i;

	if (write(op->addr[1], "r", 1) != 1 || read(op->go[0], &c, 1) != 1)
		return 1;
	for (i = 0; i < ORPHANS; i++) {
		op->objs[i] = kmalloc(i < ORPHANS_64 ? 64 : 192, GFP_KERNEL);
		if (!op->objs[i])
			return 2;
		memset(op->objs[i], i, i < ORPHANS_64 ? 64 : 192);
	}
	if (write(op->addr[1], op->objs, sizeof(op->objs)) != (ssize_t)sizeof(op->objs))
		return 3;
	pause();
	return 4;
}

/* Another process frees some of the dead client's objects: they were shared. */
static int free_orphans(void *arg)
{
	struct orphan_pipes *op = arg;
	int i;

	for (i = 0; i < ORPHANS_FREED; i++) {
		if (*(unsigned char *)op->objs[i] != (unsigned char)i)
			return 1;
		kfree(op->objs[i]);
	}
	return 0;
}

/* The clients reply's entry of process @pid (a new reference), or NULL. */
static json_t *client_entry(struct kmemd *d, pid_t pid)
{
	char *r = kh_ctl_request(&d->k, "{\"cmd\":\"clients\"}\n");
	json_t *reply = r ? json_loads(r, 0, NULL) : NULL, *c, *found = NULL;
	size_t i;

	free(r);
	json_array_foreach(json_object_get(reply, "clients"), i, c)
		if (json_integer_value(json_object_get(c, "pid")) == pid)
			found = json_incref(c);
	json_decref(reply);
	return found;
}

static long long field(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	CU_ASSERT(json_is_integer(v));
	return json_is_integer(v) ? json_integer_value(v) : -1;
}

static void test_dead_client_objects_accounted(void)
{
	struct orphan_pipes *op = calloc(1, sizeof(*op));
	long long objs0, bytes0, id;
	json_t *c, *list, *o;
	char req[128], *r, ch;
	struct kmemd d;
	size_t i, listed = 0;
	pid_t pid, holder;

	CU_ASSERT_FATAL(op && !pipe(op->go) && !pipe(op->addr));
	if (!kmemd_start(&d, NULL)) {
		CU_FAIL("kmemd did not start");
		kmemd_cleanup(&d);
		return;
	}
	/* alive across the client's death: the orphans stay while it lives */
	holder = spawn_holder(&d);
	pid = spawn_client(&d, leave_orphans, op);
	CU_ASSERT_FATAL(read(op->addr[0], &ch, 1) == 1);
	/* what the client holds before the workload (the attach's own) */
	c = client_entry(&d, pid);
	CU_ASSERT_FATAL(c != NULL);
	id = field(c, "id");
	objs0 = field(c, "kmalloc_objects");
	bytes0 = field(c, "kmalloc_bytes");
	CU_ASSERT_PTR_NULL(json_object_get(c, "orphaned_objects"));	/* alive */
	json_decref(c);

	CU_ASSERT_FATAL(write(op->go[1], "g", 1) == 1);
	CU_ASSERT_FATAL(read(op->addr[0], op->objs, sizeof(op->objs)) ==
			(ssize_t)sizeof(op->objs));
	c = client_entry(&d, pid);
	KT_ASSERT_EQ(field(c, "kmalloc_objects"), objs0 + ORPHANS);
	KT_ASSERT_EQ(field(c, "kmalloc_bytes"), bytes0 + ORPHANS_64 * 64 + ORPHANS_192 * 192);
	json_decref(c);

	kill(pid, SIGKILL);
	KT_ASSERT_EQ(wait_exit(pid), 128 + SIGKILL);
	CU_ASSERT_FATAL(recovered_wait(&d, 1, NULL));
	c = client_entry(&d, pid);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(c, "state")), "gone");
	KT_ASSERT_EQ(field(c, "orphaned_objects"), objs0 + ORPHANS);
	KT_ASSERT_EQ(field(c, "orphaned_bytes"), bytes0 + ORPHANS_64 * 64 + ORPHANS_192 * 192);
	json_decref(c);
	CU_ASSERT(log_wait(&d, "objects", 2000));

	/* listed: every address the client sent, in its cache */
	snprintf(req, sizeof(req), "{\"cmd\":\"orphans\",\"client\":%lld,\"limit\":100000}\n", id);
	r = kh_ctl_request(&d.k, req);
	list = r ? json_loads(r, 0, NULL) : NULL;
	free(r);
	KT_ASSERT_EQ(field(list, "objects"), objs0 + ORPHANS);
	CU_ASSERT(json_is_false(json_object_get(list, "truncated")));
	json_array_foreach(json_object_get(list, "orphans"), i, o) {
		unsigned long long a = strtoull(json_string_value(json_object_get(o, "address")) ?: "0",
						NULL, 16);
		int k;

		for (k = 0; k < ORPHANS; k++) {
			if ((uintptr_t)op->objs[k] != a)
				continue;
			listed++;
			CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(o, "cache")),
					       k < ORPHANS_64 ? "kmalloc-64" : "kmalloc-192");
			KT_ASSERT_EQ(field(o, "size"), k < ORPHANS_64 ? 64 : 192);
		}
	}
	KT_ASSERT_EQ(listed, ORPHANS);
	json_decref(list);

	/* another process frees some: they are no longer the dead client's */
	pid = spawn_client(&d, free_orphans, op);
	KT_ASSERT_EQ(wait_exit(pid), 0);
	c = client_entry(&d, pid);
	json_decref(c);
	snprintf(req, sizeof(req), "{\"cmd\":\"orphans\",\"client\":%lld,\"limit\":3}\n", id);
	r = kh_ctl_request(&d.k, req);
	list = r ? json_loads(r, 0, NULL) : NULL;
	free(r);
	KT_ASSERT_EQ(field(list, "objects"), objs0 + ORPHANS - ORPHANS_FREED);
	KT_ASSERT_EQ(json_array_size(json_object_get(list, "orphans")), 3);
	CU_ASSERT(json_is_true(json_object_get(list, "truncated")));
	json_decref(list);

	/* no one who could hold them is left: kmemd frees them */
	kill_holder(&d, holder, 2);
	CU_ASSERT(log_wait(&d, "no client that overlapped its life is alive", 2000));
	r = kh_ctl_request(&d.k, req);
	list = r ? json_loads(r, 0, NULL) : NULL;
	free(r);
	KT_ASSERT_EQ(field(list, "objects"), 0);
	json_decref(list);

	kh_stop(&d.k, SIGTERM);
	kmemd_cleanup(&d);
	for (i = 0; i < 2; i++) {
		close(op->go[i]);
		close(op->addr[i]);
	}
	free(op);
}

/* ------------------------------------------------------------------ */
/* fork() in an attached process                                        */
/* ------------------------------------------------------------------ */

struct fork_pipes {
	int to_test[2];
	int go[2];
};

/*
 * The child of an attached process is a client of its own: its pages carry
 * its id, so its parent's death takes none of them.  Reports
 * "PARENT_ID CHILD_ID", waits for the parent to be killed and recovered,
 * then checks its pages are still its own and usable.
 */
static int forking_client(void *arg)
{
	struct fork_pipes *fp = arg;
	struct kmem_info info;
	u32 parent_id;
	pid_t child;

	if (kmem_get_info(&info))
		return 1;
	parent_id = info.client_id;
	fflush(NULL);
	child = fork();
	if (child < 0)
		return 2;
	if (child == 0) {
		struct page *pages;
		char msg[64], c;
		char *p;

		if (kmem_get_info(&info) || !info.client_id || info.client_id == parent_id)
			_exit(3);
		pages = alloc_pages(GFP_KERNEL, 2);
		p = kmalloc(100, GFP_KERNEL);
		if (!pages || !p)
			_exit(4);
		memset(page_address(pages), 0x5c, 4 * PAGE_SIZE);
		snprintf(msg, sizeof(msg), "%u %u\n", parent_id, info.client_id);
		if (write(fp->to_test[1], msg, strlen(msg)) != (ssize_t)strlen(msg))
			_exit(5);
		if (read(fp->go[0], &c, 1) != 1)	/* the parent is dead and recovered */
			_exit(6);
		if (pages->owner != info.client_id || page_count(pages) != 1 ||
		    ((unsigned char *)page_address(pages))[4 * PAGE_SIZE - 1] != 0x5c)
			_exit(7);
		__free_pages(pages, 2);
		kfree(p);
		_exit(write(fp->to_test[1], "ok", 2) == 2 ? 0 : 9);
	}
	pause();	/* killed by the test */
	return 8;
}

static void test_fork_child_attaches_itself(void)
{
	struct fork_pipes fp;
	unsigned int parent_id = 0, child_id = 0;
	char buf[64] = "", *clients = NULL;
	long long base;
	struct kmemd d;
	pid_t pid;
	ssize_t n;

	CU_ASSERT_FATAL(!pipe(fp.to_test) && !pipe(fp.go));
	if (!kmemd_start(&d, NULL)) {
		CU_FAIL("kmemd did not start");
		kmemd_cleanup(&d);
		return;
	}
	base = free_pages_now(&d);
	pid = spawn_client(&d, forking_client, &fp);
	n = read(fp.to_test[0], buf, sizeof(buf) - 1);
	CU_ASSERT_FATAL(n > 0);
	CU_ASSERT_EQUAL(sscanf(buf, "%u %u", &parent_id, &child_id), 2);
	CU_ASSERT(parent_id && child_id && parent_id != child_id);
	CU_ASSERT(clients_wait(&d, "attached", 2));

	/* the parent dies: its recovery must leave the child's pages alone */
	kill(pid, SIGKILL);
	KT_ASSERT_EQ(wait_exit(pid), 128 + SIGKILL);
	CU_ASSERT(recovered_wait(&d, 1, &clients));
	free(clients);
	CU_ASSERT_FATAL(write(fp.go[1], "g", 1) == 1);
	/* the child (reparented: not ours to wait for) says "ok" once it checked */
	memset(buf, 0, sizeof(buf));
	CU_ASSERT(read(fp.to_test[0], buf, 2) == 2 && !strcmp(buf, "ok"));
	CU_ASSERT(recovered_wait(&d, 2, NULL));
	KT_ASSERT_EQ(free_pages_now(&d), base);
	kh_stop(&d.k, SIGTERM);
	kmemd_cleanup(&d);
	close(fp.to_test[0]);
	close(fp.to_test[1]);
	close(fp.go[0]);
	close(fp.go[1]);
}

/* Attached, holding pages, then exec(): the new program maps nothing of kmem. */
static int exec_after_attach(void *arg)
{
	(void)arg;
	if (!alloc_pages(GFP_KERNEL, 2))
		return 1;
	execl("/bin/sleep", "sleep", "30", (char *)NULL);
	return 2;
}

/*
 * A client that exec()s is recovered at once, as if it had died, although
 * its process lives on: its pages, its max_clients slot and its RCU slot
 * are not held for as long as the new program runs.
 */
static void test_client_exec_recovered(void)
{
	char *clients = NULL;
	long long base;
	struct kmemd d;
	pid_t pid;

	if (!kmemd_start(&d, NULL)) {
		CU_FAIL("kmemd did not start");
		kmemd_cleanup(&d);
		return;
	}
	base = free_pages_now(&d);
	pid = spawn_client(&d, exec_after_attach, NULL);
	CU_ASSERT(recovered_wait(&d, 1, &clients));
	CU_ASSERT_EQUAL(kill(pid, 0), 0);	/* still running: sleep 30 */
	KT_ASSERT_EQ(last_field(clients, "pages_returned"), 4);
	free(clients);
	KT_ASSERT_EQ(free_pages_now(&d), base);
	kill(pid, SIGKILL);
	KT_ASSERT_EQ(wait_exit(pid), 128 + SIGKILL);
	kh_stop(&d.k, SIGTERM);
	kmemd_cleanup(&d);
}

static const struct kt_test kmemd_tests[] = {
	KT_TEST(test_notify_and_stop),
	KT_TEST(test_watchdog),
	KT_TEST(test_config_errors),
	KT_TEST(test_malformed_messages),
	KT_TEST(test_disallowed_uid),
	KT_TEST(test_max_clients),
	KT_TEST(test_hello_timeout),
	KT_TEST(test_sighup_reload),
	KT_TEST(test_sigterm_with_clients),
	KT_TEST(test_second_instance_refused),
	KT_TEST(test_socket_activation),
	KT_TEST(test_ctl_socket),
	KT_TEST(test_client_death_by_pidfd),
	KT_TEST(test_corrupted_segment),
	KT_TEST(test_client_killed_with_caches),
	KT_TEST(test_dead_client_objects_accounted),
	KT_TEST(test_fork_child_attaches_itself),
	KT_TEST(test_client_exec_recovered),
	KT_TEST(test_client_killed_holding_zone_lock),
	KT_TEST(test_client_killed_holding_list_lock),
	KT_TEST(test_client_killed_holding_pcp_lock),
	KT_TEST(test_client_dies_while_lock_held),
	KT_TEST(test_client_killed_at_random),
	KT_END,
};

static const struct kt_suite kmemd_suite = { "kmemd", NULL, NULL, kmemd_tests };

int main(int argc, char **argv)
{
	static const struct kt_suite *const suites[] = { &kmemd_suite, NULL };

	return kt_main(argc, argv, suites);
}
