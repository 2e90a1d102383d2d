// SPDX-License-Identifier: MIT
/*
 * kmemd - the daemon that owns kmem's memory and shares it with the
 * processes that attach to it (docs/kmemd.md).
 *
 * main() reads the configuration (config.c), raises the huge page pool if
 * asked (hugepages.c), builds the allocator with kmem_init() (which starts
 * kswapd here, in the daemon), then listens on two unix sockets, its own or
 * those systemd passes (socket activation):
 *
 *	attach socket	SOCK_SEQPACKET, libkmem/kmemd_proto.h (client.c)
 *	control socket	SOCK_STREAM, one JSON request per line, one reply per
 *			line, answered by kmemd_ctl_handle() (daemon/ctl.h);
 *			replies sent without blocking (struct ctl_conn)
 *
 * One thread runs one epoll loop over: both listeners, every client's
 * socket and pidfd, every control connection, a signalfd (SIGTERM, SIGINT:
 * stop; SIGHUP: reload; SIGCHLD: reap) and a timerfd that pings systemd's
 * watchdog and refreshes STATUS=.  Nothing here takes a lock: only kmem's
 * own threads (kswapd) run beside the loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "ctl.h"
#include "kmemd.h"
#include "kmemd_proto.h"

#ifndef KMEMD_VERSION
#define KMEMD_VERSION "0"
#endif
#ifndef KMEMD_DEFAULT_CONFIG
#define KMEMD_DEFAULT_CONFIG "/etc/kmemd/kmemd.conf"
#endif

#define STATUS_INTERVAL_USEC	(10ULL * 1000 * 1000)

int kmemd_log_level = KMEMD_LOG_INFO;
static bool log_journal;		/* stderr goes to the journal: "<N>" prefixes */

static struct kmemd_config cfg;
static struct kmemd_cmdline cmdline;
static int epfd = -1;
static bool stopping;
static uint64_t watchdog_usec;

/* A listening socket: made here (unlinked at exit) or passed by systemd. */
struct listener {
	int fd;
	bool ours;
	const char *path;
	struct kmemd_tag tag;
};
static struct listener attach_l = { .fd = -1 }, ctl_l = { .fd = -1 };

/*
 * A control connection.  Nothing on it may block the loop: requests are
 * read into @buf and answered one at a time, and a reply the socket cannot
 * take at once waits in @out, sent as the peer reads (EPOLLOUT).  While a
 * reply is unsent, nothing more is read from the peer (its requests wait in
 * its own socket), so kmemd holds at most one reply per connection; one not
 * taken within KMEMD_CTL_SEND_TIMEOUT_MS, or a request left unfinished for
 * KMEMD_CTL_REQUEST_TIMEOUT_MS, drops the connection (docs/ctl-protocol.md).
 */
struct ctl_conn {
	struct ctl_conn *prev, *next;	/* ctl_conns */
	int fd;
	pid_t pid;
	uid_t uid;
	uint32_t events;		/* what epoll watches now */
	bool eof;			/* the peer sent all it will send */
	char *out;			/* the reply being sent, or NULL */
	size_t out_len, out_sent;
	uint64_t out_deadline;		/* CLOCK_MONOTONIC ms; 0: no reply waits */
	uint64_t req_deadline;		/* the same, for a request begun; 0: none */
	size_t used;			/* bytes in @buf */
	struct kmemd_tag tag;
	char buf[KMEMD_CTL_MAX_REQUEST + 1];
};
static struct ctl_conn *ctl_conns;

void kmemd_log(int level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (level > kmemd_log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (log_journal)
		fprintf(stderr, "<%d>%s\n", level, line);
	else
		fprintf(stderr, "kmemd: %s\n", line);
}

int kmemd_watch(int fd, struct kmemd_tag *tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = tag };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

void kmemd_unwatch(int fd)
{
	epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
}

/* ------------------------------------------------------------ systemd */

static uint64_t free_bytes(void)
{
	struct kmem_zone_stats st;
	struct kmem_info info;
	uint64_t pages = 0;
	unsigned int nid;
	int zone;

	if (kmem_get_info(&info))
		return 0;
	for (nid = 0; nid < info.nr_nodes; nid++)
		for (zone = 0; zone < 4; zone++)
			if (!kmem_zone_stats((int)nid, zone, &st))
				pages += st.free_pages + st.pcp_count;
	return pages * (uint64_t)sysconf(_SC_PAGESIZE);
}

static void notify_status(const char *extra)
{
	sd_notifyf(0, "%sSTATUS=%u clients (%u attached), %llu MiB free", extra ?: "",
		   kmemd_clients_live(), kmemd_clients_attached(),
		   (unsigned long long)(free_bytes() >> 20));
}

static uint64_t now_usec(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* ------------------------------------------------------------- sockets */

/* A socket systemd passed (LISTEN_FDS) for @path, or -1. */
static int passed_socket(const char *path, int type)
{
	int n = sd_listen_fds(0), fd;

	for (fd = SD_LISTEN_FDS_START; fd < SD_LISTEN_FDS_START + n; fd++)
		if (sd_is_socket_unix(fd, type, 1, path, 0) > 0)
			return fd;
	return -1;
}

int kmemd_mkdir_p(const char *dir)
{
	char buf[108], *p;

	snprintf(buf, sizeof(buf), "%s", dir);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

static int make_socket(struct listener *l, const char *path, int type)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[108];
	int fd, probe;

	l->path = path;
	l->fd = passed_socket(path, type);
	if (l->fd >= 0) {
		pr_info("listening on %s (from systemd)", path);
		fcntl(l->fd, F_SETFL, fcntl(l->fd, F_GETFL) | O_NONBLOCK);
		return 0;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	if (kmemd_mkdir_p(dirname(dir))) {
		pr_err("cannot create the runtime directory for %s: %m", path);
		return -1;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	/* A socket file nobody answers on is left over from a crash. */
	probe = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	if (probe >= 0 && !connect(probe, (struct sockaddr *)&sa, sizeof(sa))) {
		pr_err("%s: another kmemd is listening there", path);
		close(probe);
		return -1;
	}
	if (probe >= 0)
		close(probe);
	unlink(path);
	fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 128)) {
		pr_err("%s: %m", path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	l->fd = fd;
	l->ours = true;
	if (chmod(path, cfg.socket_mode))
		pr_warn("chmod %s: %m", path);
	if (cfg.socket_gid != (gid_t)-1 && chown(path, (uid_t)-1, cfg.socket_gid))
		pr_warn("chown %s: %m", path);
	pr_info("listening on %s", path);
	return 0;
}

static void close_listener(struct listener *l)
{
	if (l->fd < 0)
		return;
	close(l->fd);
	l->fd = -1;
	if (l->ours)
		unlink(l->path);
}

/* ------------------------------------------------------ control socket */

static json_t *ctl_clients(void)
{
	return kmemd_clients_json();
}

static const struct kmemd_ctl_ops ctl_ops = {
	.clients = ctl_clients,
	.free_orphans = kmemd_clients_free_orphans,
};

static uint64_t now_ms(void)
{
	return now_usec(CLOCK_MONOTONIC) / 1000;
}

/* Best effort, for the last words to a peer being dropped: never waits. */
static void ctl_send_last(int fd, const char *s)
{
	if (send(fd, s, strlen(s), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		pr_debug("control connection: last reply not sent: %m");
}

static void ctl_close(struct ctl_conn *cc, const char *why)
{
	if (why)
		pr_notice("control connection from pid %d (uid %u) dropped: %s", (int)cc->pid,
			  cc->uid, why);
	if (cc->prev)
		cc->prev->next = cc->next;
	else
		ctl_conns = cc->next;
	if (cc->next)
		cc->next->prev = cc->prev;
	kmemd_unwatch(cc->fd);
	kmemd_close_quietly(cc->fd);
	free(cc->out);
	free(cc);
}

/* Send what the socket takes of the unsent reply.  Return: 0, or -1 if the peer is gone. */
static int ctl_flush(struct ctl_conn *cc)
{
	while (cc->out_sent < cc->out_len) {
		ssize_t n = send(cc->fd, cc->out + cc->out_sent, cc->out_len - cc->out_sent,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			return -1;
		cc->out_sent += (size_t)n;
	}
	free(cc->out);
	cc->out = NULL;
	cc->out_len = cc->out_sent = 0;
	return 0;
}

static bool ctl_has_request(const struct ctl_conn *cc)
{
	return cc->used && memchr(cc->buf, '\n', cc->used);
}

/* Served at the next turn of the loop: a whole request waits and no reply does. */
static bool ctl_ready(const struct ctl_conn *cc)
{
	return !cc->out && ctl_has_request(cc);
}

/*
 * After anything changed on @cc: watch for room to send (a reply waits),
 * for requests (none waits whole), or for nothing (one waits, or the peer
 * sent its last); start or stop the deadlines; close a connection that has
 * nothing left to do.  Return: false if @cc was closed.
 */
static bool ctl_update(struct ctl_conn *cc)
{
	bool whole = ctl_has_request(cc);
	struct epoll_event ev = { .data.ptr = &cc->tag };

	if (!cc->out && !whole && cc->eof) {
		ctl_close(cc, NULL);
		return false;
	}
	if (!cc->out)
		cc->out_deadline = 0;
	else if (!cc->out_deadline)
		cc->out_deadline = now_ms() + KMEMD_CTL_SEND_TIMEOUT_MS;
	/* a request can only be finished while kmemd reads */
	if (cc->out || whole || !cc->used)
		cc->req_deadline = 0;
	else if (!cc->req_deadline)
		cc->req_deadline = now_ms() + KMEMD_CTL_REQUEST_TIMEOUT_MS;
	ev.events = cc->out ? EPOLLOUT : whole || cc->eof ? 0 : EPOLLIN;
	if (ev.events != cc->events) {
		if (epoll_ctl(epfd, EPOLL_CTL_MOD, cc->fd, &ev)) {
			ctl_close(cc, "epoll failed");
			return false;
		}
		cc->events = ev.events;
	}
	return true;
}

/* Answer the first whole request in @cc's buffer, if no reply is still unsent. */
static bool ctl_serve(struct ctl_conn *cc)
{
	size_t len;
	char *nl, *reply;

	if (!ctl_ready(cc))
		return ctl_update(cc);
	nl = memchr(cc->buf, '\n', cc->used);
	len = (size_t)(nl - cc->buf);
	reply = kmemd_ctl_handle(cc->buf, len);
	memmove(cc->buf, nl + 1, cc->used - len - 1);
	cc->used -= len + 1;
	if (!reply) {
		ctl_close(cc, "out of memory for a reply");
		return false;
	}
	cc->out_len = strlen(reply);
	cc->out = realloc(reply, cc->out_len + 1);
	if (!cc->out) {
		free(reply);
		ctl_close(cc, "out of memory for a reply");
		return false;
	}
	cc->out[cc->out_len++] = '\n';
	cc->out_sent = 0;
	if (ctl_flush(cc)) {
		ctl_close(cc, NULL);
		return false;
	}
	return ctl_update(cc);
}

static void ctl_accept(void)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct ctl_conn *cc;
	int fd;

	fd = accept4(ctl_l.fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) ||
	    !kmemd_peer_allowed(&cfg, fd, cred.uid, cred.gid)) {
		pr_notice("control connection from uid %u refused", cred.uid);
		/* a new socket's buffer is empty: this fits */
		ctl_send_last(fd, "{\"version\":1,\"error\":{\"code\":\"EACCES\","
			      "\"message\":\"permission denied: not an allowed user or group\"}}\n");
		kmemd_close_quietly(fd);
		return;
	}
	cc = calloc(1, sizeof(*cc));
	if (!cc) {
		close(fd);
		return;
	}
	cc->fd = fd;
	cc->pid = cred.pid;
	cc->uid = cred.uid;
	cc->events = EPOLLIN;
	cc->tag = (struct kmemd_tag){ TAG_CTL_CONN, cc };
	if (kmemd_watch(fd, &cc->tag)) {
		close(fd);
		free(cc);
		return;
	}
	cc->next = ctl_conns;
	if (ctl_conns)
		ctl_conns->prev = cc;
	ctl_conns = cc;
}

static void ctl_event(struct ctl_conn *cc, uint32_t events)
{
	ssize_t n;

	if (cc->out) {
		if (ctl_flush(cc)) {
			ctl_close(cc, NULL);
			return;
		}
		if (cc->out) {
			ctl_update(cc);
			return;
		}
	}
	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !cc->eof && !ctl_has_request(cc)) {
		n = recv(cc->fd, cc->buf + cc->used, sizeof(cc->buf) - 1 - cc->used, 0);
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			ctl_close(cc, NULL);
			return;
		}
		if (n == 0)
			cc->eof = true;
		if (n > 0)
			cc->used += (size_t)n;
	}
	if (!ctl_has_request(cc) && cc->used == sizeof(cc->buf) - 1) {
		ctl_send_last(cc->fd, "{\"version\":1,\"error\":{\"code\":\"EMSGSIZE\","
			      "\"message\":\"request too long\"}}\n");
		ctl_close(cc, NULL);
		return;
	}
	ctl_serve(cc);
}

/*
 * After each batch of events: one more request from every connection that
 * has one waiting (so that a peer sending many at once takes its turn with
 * the others), and the peers past their deadline dropped.
 */
static void ctl_tick(void)
{
	struct ctl_conn *cc, *next;
	uint64_t now = now_ms();

	for (cc = ctl_conns; cc; cc = next) {
		next = cc->next;
		if (cc->out_deadline && now >= cc->out_deadline) {
			pr_notice("control connection from pid %d (uid %u) dropped: %zu bytes of a "
				  "reply not read within %d ms", (int)cc->pid, cc->uid,
				  cc->out_len - cc->out_sent, KMEMD_CTL_SEND_TIMEOUT_MS);
			ctl_close(cc, NULL);
		} else if (cc->req_deadline && now >= cc->req_deadline) {
			pr_notice("control connection from pid %d (uid %u) dropped: a request not "
				  "finished within %d ms", (int)cc->pid, cc->uid,
				  KMEMD_CTL_REQUEST_TIMEOUT_MS);
			ctl_send_last(cc->fd, "{\"version\":1,\"error\":{\"code\":\"ETIMEDOUT\","
				      "\"message\":\"request not finished in time\"}}\n");
			ctl_close(cc, NULL);
		} else if (ctl_ready(cc)) {
			ctl_serve(cc);
		}
	}
}

/* How long the loop may sleep for the control connections: -1, no limit. */
static int ctl_timeout_ms(void)
{
	uint64_t now = now_ms(), first = UINT64_MAX;
	struct ctl_conn *cc;

	for (cc = ctl_conns; cc; cc = cc->next) {
		if (ctl_ready(cc))
			return 0;
		if (cc->out_deadline && cc->out_deadline < first)
			first = cc->out_deadline;
		if (cc->req_deadline && cc->req_deadline < first)
			first = cc->req_deadline;
	}
	if (first == UINT64_MAX)
		return -1;
	return first <= now ? 0 : (int)(first - now);
}

/* -------------------------------------------------------------- reload */

/* orphan_cap_mb: MiB, or a share of the direct map (every zone below HighMem). */
static void apply_orphan_cap(void)
{
	struct kmem_zone_stats st;
	struct kmem_info info;
	uint64_t direct = 0;
	int nid, z;

	if (!cfg.orphan_cap_pct) {
		kmemd_clients_set_orphan_cap((uint64_t)cfg.orphan_cap << 20);
		return;
	}
	if (kmem_get_info(&info))
		return;
	for (nid = 0; nid < (int)info.nr_nodes; nid++)
		for (z = 0; z < 3; z++)
			if (!kmem_zone_stats(nid, z, &st))
				direct += st.managed;
	kmemd_clients_set_orphan_cap((direct << 12) / 100 * cfg.orphan_cap);
}

/*
 * The watermark and reclaim tunables change live through
 * kmem_set_tunable(); back to the default (an empty value) needs a restart.
 * Return: true if @k was changed to @v.
 */
static bool apply_tunable(int k, const char *v)
{
	unsigned long n;
	char *end;
	int ret;

	if ((k != KEY_MIN_FREE_KBYTES && k != KEY_WATERMARK_SCALE_FACTOR &&
	     k != KEY_RECLAIM_TIMEOUT_MS) || !*v)
		return false;
	n = strtoul(v, &end, 0);
	/* the watermarks follow, computed from the zones: verified first */
	ret = __kmem_segment_gate("reload") ?: kmem_set_tunable(kmemd_key_name(k), n);
	if (ret) {
		pr_err("reload: %s: kmem_set_tunable: %s", kmemd_key_name(k), strerror(-ret));
		return false;
	}
	return true;
}

/*
 * SIGHUP: read the file again (with the same --set on top), apply what can
 * change in a running daemon, and log every other changed key as needing a
 * restart.  A file that does not parse changes nothing.
 */
static void reload(void)
{
	char err[400], restart[512] = "";
	struct kmemd_config n;
	unsigned int applied = 0, later = 0;
	int k;

	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
		   (unsigned long long)now_usec(CLOCK_MONOTONIC));
	pr_info("reload: reading %s", cmdline.config);
	if (kmemd_config_load(&n, &cmdline, err, sizeof(err))) {
		pr_err("reload: %s; configuration unchanged", err);
		notify_status("READY=1\n");
		return;
	}
	for (k = 0; k < NR_KEYS; k++) {
		char *tmp;

		if (!strcmp(cfg.val[k], n.val[k]))
			continue;
		if (!kmemd_key_live(k) && !apply_tunable(k, n.val[k])) {
			pr_warn("reload: %s: '%s' -> '%s' needs a restart; keeping '%s'",
				kmemd_key_name(k), cfg.val[k], n.val[k], cfg.val[k]);
			snprintf(restart + strlen(restart), sizeof(restart) - strlen(restart),
				 "%s%s", later ? ", " : "", kmemd_key_name(k));
			later++;
			continue;
		}
		pr_info("reload: %s: '%s' -> '%s'", kmemd_key_name(k), cfg.val[k], n.val[k]);
		tmp = cfg.val[k];
		cfg.val[k] = n.val[k];
		n.val[k] = tmp;
		applied++;
		switch (k) {
		case KEY_ALLOWED_USERS:
			memcpy(cfg.users, n.users, sizeof(cfg.users));
			cfg.nr_users = n.nr_users;
			break;
		case KEY_ALLOWED_GROUPS:
			memcpy(cfg.groups, n.groups, sizeof(cfg.groups));
			cfg.nr_groups = n.nr_groups;
			break;
		case KEY_MAX_CLIENTS:
			cfg.max_clients = n.max_clients;
			break;
		case KEY_LOG_LEVEL:
			cfg.log_level = n.log_level;
			kmemd_log_level = n.log_level;
			break;
		case KEY_FAILSLAB:
		case KEY_FAIL_PAGE_ALLOC:
			kmemd_config_apply_faults(&cfg);
			break;
		case KEY_ORPHAN_CAP_MB:
			cfg.orphan_cap = n.orphan_cap;
			cfg.orphan_cap_pct = n.orphan_cap_pct;
			apply_orphan_cap();
			break;
		default:
			break;
		}
	}
	kmemd_config_free(&n);
	if (later)
		pr_warn("reload: %u change(s) applied; needs a restart: %s", applied, restart);
	else
		pr_info("reload: %u change(s) applied", applied);
	notify_status("READY=1\n");
}

/* ---------------------------------------------------------------- main */

/*
 * A crash must not leave the host's huge page pool raised: give it back
 * (async-signal-safe), then die of the signal as we would have.
 */
static void fatal_signal(int sig)
{
	kmemd_hugepages_restore_fatal();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void catch_fatal_signals(void)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL, SIGSYS, SIGTRAP,
				    SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGXCPU, SIGXFSZ };
	struct sigaction sa = { .sa_handler = fatal_signal, .sa_flags = SA_NODEFER };
	unsigned int i;

	sigfillset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: kmemd [OPTIONS]\n"
		"Share kmem's memory with the processes that attach to it.\n\n"
		"  -c, --config FILE     configuration file (default %s)\n"
		"  -s, --set KEY=VALUE   override a key of the file (repeatable)\n"
		"  -f, --foreground      log plainly to stderr, even under systemd\n"
		"  -h, --help            this text\n"
		"  -V, --version         the version\n\n"
		"Keys: see the comments in kmemd.conf and docs/kmemd.md.\n"
		"Signals: SIGHUP reloads the file, SIGTERM and SIGINT stop.\n",
		KMEMD_DEFAULT_CONFIG);
}

static int parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "set", required_argument, NULL, 's' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	cmdline.config = KMEMD_DEFAULT_CONFIG;
	cmdline.sets = calloc((size_t)argc, sizeof(char *));
	if (!cmdline.sets)
		return 1;
	while ((opt = getopt_long(argc, argv, "c:s:fhV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			cmdline.config = optarg;
			cmdline.config_given = true;
			break;
		case 's':
			cmdline.sets[cmdline.nr_sets++] = optarg;
			break;
		case 'f':
			cmdline.foreground = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("kmemd %s\n", KMEMD_VERSION);
			exit(0);
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "kmemd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	return 0;
}

/* The signals the loop reads from its signalfd: blocked from the start. */
static void loop_signals(sigset_t *mask)
{
	sigemptyset(mask);
	sigaddset(mask, SIGTERM);
	sigaddset(mask, SIGINT);
	sigaddset(mask, SIGHUP);
	sigaddset(mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, mask, NULL);
}

static int setup_loop(int *sfd, int *tfd)
{
	static struct kmemd_tag sig_tag = { TAG_SIGNAL, NULL }, timer_tag = { TAG_TIMER, NULL };
	uint64_t interval = STATUS_INTERVAL_USEC;
	struct itimerspec its;
	sigset_t mask;

	epfd = epoll_create1(EPOLL_CLOEXEC);
	loop_signals(&mask);
	signal(SIGPIPE, SIG_IGN);
	*sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	*tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (epfd < 0 || *sfd < 0 || *tfd < 0)
		return -1;
	if (cfg.watchdog && sd_watchdog_enabled(0, &watchdog_usec) > 0 && watchdog_usec) {
		interval = watchdog_usec / 2;
		pr_info("watchdog: pinging every %llu ms", (unsigned long long)interval / 1000);
	} else {
		watchdog_usec = 0;
	}
	its.it_interval.tv_sec = (time_t)(interval / 1000000);
	its.it_interval.tv_nsec = (long)(interval % 1000000) * 1000;
	its.it_value = its.it_interval;
	if (timerfd_settime(*tfd, 0, &its, NULL))
		return -1;
	attach_l.tag = (struct kmemd_tag){ TAG_ATTACH_LISTEN, NULL };
	ctl_l.tag = (struct kmemd_tag){ TAG_CTL_LISTEN, NULL };
	if (kmemd_watch(*sfd, &sig_tag) || kmemd_watch(*tfd, &timer_tag) ||
	    kmemd_watch(attach_l.fd, &attach_l.tag) || kmemd_watch(ctl_l.fd, &ctl_l.tag))
		return -1;
	return 0;
}

static void handle_signal(int sfd)
{
	struct signalfd_siginfo si;

	while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			pr_info("%s: stopping", strsignal((int)si.ssi_signo));
			stopping = true;
			break;
		case SIGHUP:
			reload();
			break;
		case SIGCHLD:
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
			break;
		}
	}
}

static void run_loop(int sfd, int tfd)
{
	struct epoll_event ev[32];
	unsigned int live = 0;
	int i, n;

	while (!stopping) {
		n = epoll_wait(epfd, ev, 32, ctl_timeout_ms());
		if (n < 0) {
			if (errno == EINTR)
				continue;
			pr_err("epoll_wait: %m");
			return;
		}
		for (i = 0; i < n && !stopping; i++) {
			struct kmemd_tag *tag = ev[i].data.ptr;
			uint64_t ticks;

			switch (tag->kind) {
			case TAG_ATTACH_LISTEN:
				kmemd_client_accept(attach_l.fd, &cfg);
				break;
			case TAG_CTL_LISTEN:
				ctl_accept();
				break;
			case TAG_SIGNAL:
				handle_signal(sfd);
				break;
			case TAG_TIMER:
				if (read(tfd, &ticks, sizeof(ticks)) < 0)
					break;
				notify_status(watchdog_usec ? "WATCHDOG=1\n" : NULL);
				break;
			case TAG_CLIENT:
				kmemd_client_event(tag->obj, false);
				break;
			case TAG_CLIENT_PIDFD:
				kmemd_client_event(tag->obj, true);
				break;
			case TAG_CTL_CONN:
				ctl_event(tag->obj, ev[i].events);
				break;
			}
			if (kmemd_clients_live() != live) {
				live = kmemd_clients_live();
				notify_status(NULL);
			}
		}
		ctl_tick();
		kmemd_clients_reap();
		kmemd_clients_recover_pending();
		kmemd_clients_expire_hello();
	}
}

int main(int argc, char **argv)
{
	struct kmem_options opts;
	char err[400], rundir[108];
	sigset_t mask;
	int ret, sfd = -1, tfd = -1, status = 1;
	bool reserved = false;

	ret = parse_args(argc, argv);
	if (ret)
		return ret;
	log_journal = getenv("JOURNAL_STREAM") && !cmdline.foreground;
	if (kmemd_config_load(&cfg, &cmdline, err, sizeof(err))) {
		fprintf(stderr, "kmemd: %s\n", err);
		return 2;
	}
	kmemd_log_level = cfg.log_level;
	if (config_to_options(&cfg, &opts, err, sizeof(err))) {
		fprintf(stderr, "kmemd: %s\n", err);
		return 2;
	}
	pr_info("kmemd %s '%s' starting (config %s)", KMEMD_VERSION, cfg.val[KEY_NAME],
		cmdline.config);

	/*
	 * A SIGTERM while the pool is raised and kmem_init() runs (seconds
	 * with 1 GiB pages) waits for the loop, which stops in order.
	 */
	loop_signals(&mask);
	/* a kmemd that died on this runtime directory may have left the pool raised */
	snprintf(err, sizeof(err), "%s", cfg.val[KEY_SOCKET]);
	snprintf(rundir, sizeof(rundir), "%s", dirname(err));
	if (kmemd_hugepages_recover(rundir))
		goto out;
	if (cfg.reserve_hugepages && opts.hugepages != KMEM_HUGEPAGES_NEVER) {
		catch_fatal_signals();
		ret = kmemd_hugepages_reserve(rundir, opts.fake_numa, opts.node_direct_bytes,
					      opts.hugepage_shift);
		reserved = true;
		if (ret && opts.hugepages == KMEM_HUGEPAGES_REQUIRE)
			goto out;
	}
	ret = kmem_init(&opts);
	if (ret) {
		pr_err("kmem_init: %s", strerror(-ret));
		goto out;
	}
	/* from here on the segment is every client's to write: checked before use */
	ret = __kmem_segment_distrust();
	if (ret) {
		pr_err("segment copy: %s", strerror(-ret));
		goto out_exit;
	}
	if (kmemd_config_apply_faults(&cfg))
		goto out_exit;
	apply_orphan_cap();
	/* from here on, an object stamped with no owner is one a dead client dropped */
	__kmem_slab_server_stamp();
	kmemd_ctl_set_ops(&ctl_ops);
	if (make_socket(&attach_l, cfg.val[KEY_SOCKET], SOCK_SEQPACKET) ||
	    make_socket(&ctl_l, cfg.val[KEY_CTL_SOCKET], SOCK_STREAM))
		goto out_close;
	if (setup_loop(&sfd, &tfd)) {
		pr_err("event loop: %m");
		goto out_close;
	}
	notify_status("READY=1\n");
	pr_info("ready");

	run_loop(sfd, tfd);

	sd_notify(0, "STOPPING=1");
	status = stopping ? 0 : 1;
	kmemd_clients_shutdown();
out_close:
	close_listener(&attach_l);
	close_listener(&ctl_l);
out_exit:
	kmem_exit();
out:
	if (reserved)
		kmemd_hugepages_restore();
	kmemd_config_free(&cfg);
	free(cmdline.sets);
	pr_info("exit %d", status);
	return status;
}
