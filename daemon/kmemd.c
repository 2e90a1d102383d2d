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
 *			line, answered by kmemd_ctl_handle() (daemon/ctl.h)
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

/* A control connection, reading newline-delimited requests. */
struct ctl_conn {
	int fd;
	size_t used;
	struct kmemd_tag tag;
	char buf[KMEMD_CTL_MAX_REQUEST + 1];
};

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

static int mkdir_p(const char *dir)
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
	if (mkdir_p(dirname(dir))) {
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

static void ctl_close(struct ctl_conn *cc)
{
	kmemd_unwatch(cc->fd);
	kmemd_close_quietly(cc->fd);
	free(cc);
}

/* Blocking enough to deliver one reply; a peer that reads nothing is dropped. */
static int ctl_send(int fd, const char *s, size_t len)
{
	unsigned int waits = 0;

	while (len) {
		ssize_t n = send(fd, s, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EAGAIN) {
			struct timespec ts = { 0, 1000000 };

			if (++waits > 1000)	/* a second without room: drop the peer */
				return -1;
			nanosleep(&ts, NULL);
			continue;
		}
		if (n <= 0)
			return -1;
		s += n;
		len -= (size_t)n;
	}
	return 0;
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
		static const char denied[] =
			"{\"version\":1,\"error\":{\"code\":\"EACCES\","
			"\"message\":\"permission denied: not an allowed user or group\"}}\n";

		pr_notice("control connection from uid %u refused", cred.uid);
		ctl_send(fd, denied, sizeof(denied) - 1);
		kmemd_close_quietly(fd);
		return;
	}
	cc = malloc(sizeof(*cc));
	if (!cc) {
		close(fd);
		return;
	}
	cc->fd = fd;
	cc->used = 0;
	cc->tag = (struct kmemd_tag){ TAG_CTL_CONN, cc };
	if (kmemd_watch(fd, &cc->tag)) {
		close(fd);
		free(cc);
	}
}

static void ctl_event(struct ctl_conn *cc)
{
	char *nl, *reply;
	ssize_t n;

	n = recv(cc->fd, cc->buf + cc->used, sizeof(cc->buf) - 1 - cc->used, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		ctl_close(cc);
		return;
	}
	cc->used += (size_t)n;
	while ((nl = memchr(cc->buf, '\n', cc->used))) {
		size_t len = (size_t)(nl - cc->buf);
		int ret;

		reply = kmemd_ctl_handle(cc->buf, len);
		ret = reply ? ctl_send(cc->fd, reply, strlen(reply)) : -1;
		ret = ret ?: ctl_send(cc->fd, "\n", 1);
		free(reply);
		memmove(cc->buf, nl + 1, cc->used - len - 1);
		cc->used -= len + 1;
		if (ret) {
			ctl_close(cc);
			return;
		}
	}
	if (cc->used == sizeof(cc->buf) - 1) {
		static const char too_long[] =
			"{\"version\":1,\"error\":{\"code\":\"EMSGSIZE\","
			"\"message\":\"request too long\"}}\n";

		ctl_send(cc->fd, too_long, sizeof(too_long) - 1);
		ctl_close(cc);
	}
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
	ret = kmem_set_tunable(kmemd_key_name(k), n);
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

static int setup_loop(int *sfd, int *tfd)
{
	static struct kmemd_tag sig_tag = { TAG_SIGNAL, NULL }, timer_tag = { TAG_TIMER, NULL };
	uint64_t interval = STATUS_INTERVAL_USEC;
	struct itimerspec its;
	sigset_t mask;

	epfd = epoll_create1(EPOLL_CLOEXEC);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
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
		n = epoll_wait(epfd, ev, 32, -1);
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
				ctl_event(tag->obj);
				break;
			}
			if (kmemd_clients_live() != live) {
				live = kmemd_clients_live();
				notify_status(NULL);
			}
		}
		kmemd_clients_reap();
		kmemd_clients_recover_pending();
		kmemd_clients_expire_hello();
	}
}

int main(int argc, char **argv)
{
	struct kmem_options opts;
	char err[400];
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

	if (cfg.reserve_hugepages && opts.hugepages != KMEM_HUGEPAGES_NEVER) {
		ret = kmemd_hugepages_reserve(opts.fake_numa, opts.node_direct_bytes,
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
