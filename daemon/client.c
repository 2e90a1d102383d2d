// SPDX-License-Identifier: MIT
/*
 * The attach socket's side of kmemd: who may connect, the per-message
 * checks of libkmem/kmemd_proto.h, and the table of clients.
 *
 * A client goes CONNECTED (accepted: peer credentials checked, pidfd
 * opened) -> ATTACHED (a valid HELLO, answered by the WELCOME that
 * __kmem_attach_welcome() sends with the memfds) -> GONE (its socket
 * closed, or its pidfd said the process exited).  Any malformed message
 * gets an ERROR naming what was wrong, and the connection is closed.
 *
 * A client that never attached is forgotten when it goes.  An attached one
 * stays in the table, GONE, because the memory it owned is still accounted
 * to it: client_gone() is where that memory will be given back.
 *
 * Single-threaded: everything here runs on the daemon's event loop.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "kmemd.h"
#include "kmemd_proto.h"

static struct kmemd_client *clients;
/*
 * Forgotten clients wait here until the loop has handled every event of
 * its batch (kmemd_clients_reap()): the socket's EOF and the pidfd often
 * fire together, and the second event still points at the client.
 */
static struct kmemd_client *forgotten;
static unsigned int next_client_id = 1;
/* orphan_cap_mb in bytes (0: none); a client exited or was recovered since the last prune */
static uint64_t orphan_cap;
static bool prune_needed;
static uint64_t last_prune_ms;
/* gone clients still own something: prune once a second for what others free */
static bool holders_left;
/* a client died since the last sweep of blocks in no one's hands */
static bool sweep_needed;

/* Close any fds a client sent along (clients send none). */
static void drop_fds(struct msghdr *mh)
{
	struct cmsghdr *cm;

	for (cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
			int *fds = (int *)CMSG_DATA(cm);
			size_t i, n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			for (i = 0; i < n; i++)
				close(fds[i]);
		}
	}
}

static void client_unlink(struct kmemd_client *c)
{
	struct kmemd_client **pp;

	for (pp = &clients; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			return;
		}
	}
}

static void send_error(int fd, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void send_error(int fd, int err, const char *fmt, ...)
{
	struct kmemd_error e;
	va_list ap;

	memset(&e, 0, sizeof(e));
	e.h.magic = KMEMD_MAGIC;
	e.h.version = KMEMD_PROTO_VERSION;
	e.h.type = KMEMD_MSG_ERROR;
	e.h.len = sizeof(e);
	e.err = err;
	va_start(ap, fmt);
	vsnprintf(e.msg, sizeof(e.msg), fmt, ap);
	va_end(ap);
	if (send(fd, &e, sizeof(e), MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)sizeof(e))
		pr_debug("could not send ERROR (%s) on fd %d: %m", e.msg, fd);
}

/*
 * Close @fd so that the peer still reads what was sent last (an ERROR, a
 * SHUTDOWN): a unix socket closed with packets left unread makes the
 * peer's next recv() fail with ECONNRESET before it sees the queued ones.
 * So stop the peer sending (SHUT_RD), discard what it sent, then close.
 */
void kmemd_close_quietly(int fd)
{
	char buf[512], cbuf[CMSG_SPACE(sizeof(int) * 16)];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	int i;

	shutdown(fd, SHUT_RD);
	for (i = 0; i < 1024; i++) {
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		if (recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) <= 0)
			break;
		drop_fds(&mh);
	}
	close(fd);
}

/* Has the process behind @c exited?  (Its pidfd is readable then.) */
static bool client_exited(const struct kmemd_client *c)
{
	struct pollfd p = { .fd = c->pidfd, .events = POLLIN };

	return c->pidfd < 0 || (poll(&p, 1, 0) == 1 && (p.revents & (POLLIN | POLLHUP)));
}

/*
 * Does the live process behind @c no longer map kmem's memory?  A client
 * that exec()s loses its mappings and, close-on-exec, its socket; the new
 * program may run for long, and waiting for its exit would hold its pages
 * and its max_clients slot.  Checked in /proc/PID/maps between two looks at
 * the pidfd, so the pid is still the client's; when the maps cannot be read
 * (another user's process without CAP_SYS_PTRACE), it still maps them.
 */
static bool client_unmapped(const struct kmemd_client *c)
{
	struct kmem_info info;
	unsigned long start, end;
	char path[64], line[512];
	bool mapped = false;
	FILE *f;

	if (kmem_get_info(&info) || !info.base)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)c->pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!mapped && fgets(line, sizeof(line), f))
		mapped = sscanf(line, "%lx-%lx", &start, &end) == 2 && start <= info.base &&
			 info.base < end;
	if (ferror(f))
		mapped = true;
	fclose(f);
	return !mapped && !client_exited(c);
}

/*
 * client_recover - give back what a gone client owned (docs/attach.md,
 * "When a client dies").  Only once its process has exited: a client that
 * closed its socket may still be running on the memory it mapped, and
 * freeing its pages under it would hand them out twice.  A DETACH is the
 * client saying it unmapped everything.  Context: the event loop.
 */
static void client_recover(struct kmemd_client *c)
{
	struct kmem_client_report *r = &c->report;
	struct kmem_client_usage usage = { 0 };
	int ret;

	if (c->recover == RECOVER_WAIT_EXIT) {
		if (!client_exited(c) && !client_unmapped(c))
			return;		/* its pidfd fires when it does */
		c->recover = RECOVER_RETRY;
	}
	if (c->recover != RECOVER_RETRY)
		return;
	if (!c->end_seq) {
		/* the clients that overlapped its life are those attached before now */
		c->end_seq = next_client_id;
		prune_needed = true;
	}
	if (c->pidfd >= 0) {
		kmemd_unwatch(c->pidfd);
		close(c->pidfd);
		c->pidfd = -1;
	}
	c->recover_tries++;
	ret = __kmem_client_gone(c->id, r);
	if (ret == -EBUSY) {
		if (c->recover_tries == 1 || !(c->recover_tries % 100))
			pr_notice("client %u: a live client holds a kmem lock; its memory goes back "
				  "later (try %u)", c->id, c->recover_tries);
		return;
	}
	c->recover = RECOVER_DONE;
	prune_needed = sweep_needed = true;
	if (ret) {
		pr_warn("client %u: recovery failed: %s", c->id, strerror(-ret));
		return;
	}
	pr_info("client %u recovered: %llu pages returned (%llu blocks), %llu vmalloc pages, "
		"caches %u destroyed %u kept, %u locks recovered, %llu large kmalloc blocks "
		"(%llu pages) left", c->id, (unsigned long long)r->pages_returned,
		(unsigned long long)r->blocks_returned,
		(unsigned long long)r->vmalloc_pages_returned, r->caches_destroyed,
		r->caches_kept, r->locks_recovered, (unsigned long long)r->large_kmalloc_left,
		(unsigned long long)r->large_kmalloc_pages_left);
	usage.id = c->id;
	if (!__kmem_client_usage(&usage, 1) && usage.objects)
		pr_info("client %u left %llu objects (%llu bytes) allocated in the shared kmalloc "
			"caches, accounted to it: kmemctl orphans %u lists them", c->id,
			(unsigned long long)usage.objects, (unsigned long long)usage.object_bytes,
			c->id);
}

/* ------------------------------------------------------------------ */
/* what dead clients left: the orphan policy and the table's pruning   */
/* ------------------------------------------------------------------ */

/* Gone clients that own nothing, kept in the table as a short history. */
#define KEEP_GONE	16

/* Is any client alive, or gone with its memory not yet given back? */
static bool clients_alive(void)
{
	const struct kmemd_client *c;

	for (c = clients; c; c = c->next)
		if (c->state == CLIENT_ATTACHED ||
		    (c->state == CLIENT_GONE && c->recover != RECOVER_DONE))
			return true;
	return false;
}

/* Is a process that could hold pointers @g handed out still alive? */
static bool overlap_alive(const struct kmemd_client *g)
{
	const struct kmemd_client *c;

	for (c = clients; c; c = c->next) {
		if (c == g || !c->id || c->id >= g->end_seq)
			continue;	/* attached after @g had exited */
		/* attached, or its socket closed but its process still runs */
		if (c->state == CLIENT_ATTACHED ||
		    (c->state == CLIENT_GONE && c->recover == RECOVER_WAIT_EXIT))
			return true;
	}
	return false;
}

/*
 * Free what gone client @c left: its objects in the shared kmalloc caches,
 * its large kmalloc blocks, and the caches it created that were kept.
 * @why: the rule that allowed it, for the log.  Return: 0 or -errno.
 */
static int free_orphans(struct kmemd_client *c, const char *why)
{
	struct kmem_client_usage f;
	uint32_t caches = 0;
	int ret;

	ret = __kmem_client_free_orphans(c->id, &f);
	if (ret) {
		pr_warn("client %u: its orphaned objects could not be freed: %s", c->id,
			strerror(-ret));
		return ret;
	}
	__kmem_slab_reap_caches(c->id, true, &caches);
	c->orphans_freed = true;
	c->orphan_objects_freed += f.objects;
	c->orphan_bytes_freed += f.object_bytes;
	c->orphan_pages_freed += f.pages;
	c->report.caches_destroyed += caches;
	c->report.caches_kept -= caches < c->report.caches_kept ? caches : c->report.caches_kept;
	if (f.objects || f.pages || caches)
		pr_info("client %u: %s: freed %llu orphaned objects (%llu bytes), %llu large kmalloc "
			"pages and %u kept caches", c->id, why, (unsigned long long)f.objects,
			(unsigned long long)f.object_bytes, (unsigned long long)f.pages, caches);
	return 0;
}

void kmemd_clients_set_orphan_cap(uint64_t bytes)
{
	orphan_cap = bytes;
	prune_needed = true;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * clients_prune - the orphan policy (docs/attach.md, "When a client dies"),
 * then the table's pruning:
 *
 * 1. a gone client's orphans are freed once no client whose life overlapped
 *    its own is alive: no one left can hold a pointer it handed out;
 * 2. while the orphans of gone clients take more than orphan_cap_mb, the
 *    oldest gone client's are freed, with a warning: a live client may
 *    still use them (the operator's choice, made in kmemd.conf);
 * 3. a gone client whose recovery is done and that owns nothing any more
 *    (no object, no block, no cache; the RCU state forgot it when it went)
 *    leaves the table, but for the KEEP_GONE newest such, kept so that
 *    `kmemctl clients` shows what the last deaths gave back.
 *
 * Run after a client's exit or recovery, and once a second for what other
 * processes free meanwhile (a kept cache emptied, objects freed).
 */
static void clients_prune(void)
{
	struct kmemd_client *c, **pp;
	struct kmem_client_usage *u;
	unsigned int nr = 0, i, empty = 0;
	uint64_t now = now_ms(), total = 0;
	uint32_t caches;

	/* once a second only while gone clients hold something others may free */
	if (!prune_needed && (!holders_left || now - last_prune_ms < 1000))
		return;
	prune_needed = false;
	last_prune_ms = now;
	for (c = clients; c; c = c->next)
		if (c->state == CLIENT_GONE && c->recover == RECOVER_DONE && c->id &&
		    !c->orphans_freed && !overlap_alive(c))
			free_orphans(c, "no client that overlapped its life is alive");
	if (sweep_needed && !clients_alive()) {
		long objects = __kmem_sweep_objects(10), pages = __kmem_sweep_limbo(10);

		sweep_needed = pages == -EBUSY;
		if (objects > 0)
			pr_info("%ld kmalloc objects that dead clients had in their hands (taken "
				"from a slab, no owner yet) freed", objects);
		if (pages > 0)
			pr_info("%ld pages that dead clients had in their hands at a per-CPU list "
				"taken back", pages);
	}
	holders_left = false;
	for (c = clients; c; c = c->next)
		nr += c->state == CLIENT_GONE && c->recover == RECOVER_DONE && c->id;
	if (!nr)
		return;
	u = calloc(nr, sizeof(*u));
	if (!u)
		return;
	i = 0;
	for (c = clients; c; c = c->next)
		if (c->state == CLIENT_GONE && c->recover == RECOVER_DONE && c->id)
			u[i++].id = c->id;
	if (__kmem_client_usage(u, nr)) {
		free(u);	/* a corrupted segment: keep everyone */
		holders_left = true;
		return;
	}
	for (i = 0; i < nr; i++)
		total += u[i].object_bytes + (u[i].pages << 12);
	/* oldest first: the table is newest first, so look for the smallest id */
	while (orphan_cap && total > orphan_cap) {
		struct kmemd_client *oldest = NULL;
		unsigned int at = 0;

		for (i = 0; i < nr; i++) {
			if (!(u[i].object_bytes + u[i].pages))
				continue;
			for (c = clients; c && c->id != u[i].id; c = c->next)
				;
			if (c && (!oldest || c->id < oldest->id)) {
				oldest = c;
				at = i;
			}
		}
		if (!oldest)
			break;
		pr_warn("client %u: its orphans (%llu objects, %llu bytes; %llu pages) are freed: "
			"gone clients' orphans take %llu bytes, above orphan_cap_mb (%llu MiB); a "
			"live client that still uses one of them now uses freed memory", oldest->id,
			(unsigned long long)u[at].objects, (unsigned long long)u[at].object_bytes,
			(unsigned long long)u[at].pages, (unsigned long long)total,
			(unsigned long long)(orphan_cap >> 20));
		total -= u[at].object_bytes + (u[at].pages << 12);
		free_orphans(oldest, "orphan_cap_mb exceeded");
		u[at].objects = u[at].object_bytes = u[at].pages = 0;
	}
	/* u[] is in table order, newest first: the first KEEP_GONE empty ones stay */
	for (i = 0; i < nr; i++) {
		for (pp = &clients; *pp && (*pp)->id != u[i].id; pp = &(*pp)->next)
			;
		c = *pp;
		if (!c)
			continue;
		/* a kept cache that the other processes emptied goes now */
		caches = 0;
		if (__kmem_client_has_caches(c->id) && !__kmem_slab_reap_caches(c->id, false, &caches))
			c->report.caches_kept = 0;
		c->report.caches_destroyed += caches;
		if (u[i].objects || u[i].pages || u[i].vmalloc_pages ||
		    __kmem_client_has_caches(c->id)) {
			holders_left = true;
			continue;
		}
		if (++empty <= KEEP_GONE)
			continue;
		pr_debug("client %u: owns nothing any more; forgotten", c->id);
		*pp = c->next;
		c->next = forgotten;
		forgotten = c;
	}
	free(u);
}

int kmemd_clients_free_orphans(unsigned int id, struct kmem_client_usage *freed)
{
	struct kmemd_client *c;
	uint64_t objects, bytes, pages;
	int ret;

	for (c = clients; c && c->id != id; c = c->next)
		;
	memset(freed, 0, sizeof(*freed));
	freed->id = id;
	if (!c || !id)
		return -ENOENT;
	if (c->state != CLIENT_GONE || c->recover != RECOVER_DONE)
		return -EBUSY;
	objects = c->orphan_objects_freed;
	bytes = c->orphan_bytes_freed;
	pages = c->orphan_pages_freed;
	pr_notice("client %u: the operator frees its orphans", c->id);
	ret = free_orphans(c, "freed by the operator (orphans.free)");
	freed->objects = c->orphan_objects_freed - objects;
	freed->object_bytes = c->orphan_bytes_freed - bytes;
	freed->pages = c->orphan_pages_freed - pages;
	prune_needed = true;
	return ret;
}

void kmemd_clients_recover_pending(void)
{
	struct kmemd_client *c;

	for (c = clients; c; c = c->next)
		if (c->state == CLIENT_GONE && c->recover == RECOVER_RETRY)
			client_recover(c);
	clients_prune();
}

/*
 * Admission.  A connection that has not said HELLO yet is pending: it holds
 * no max_clients slot (only an attached client does), and waits in a queue
 * of its own, bounded in all (PENDING_MAX) and per uid (PENDING_PER_UID),
 * for at most HELLO_TIMEOUT_MS; libkmem sends HELLO right after connect(),
 * so a legitimate client is pending for a few milliseconds.  A full queue
 * makes room by dropping the oldest pending connection of the uid that has
 * the most: a peer that opens (and renews) idle connections evicts its own,
 * never a client that is attached nor, for long, one of another uid.
 */
#define HELLO_TIMEOUT_MS	1500
#define PENDING_MAX		256
#define PENDING_PER_UID		(PENDING_MAX / 2)

/* The configuration the accepted connections were admitted under (max_clients). */
static const struct kmemd_config *admit_cfg;

static void client_gone(struct kmemd_client *c, const char *why);

/* Pending connections: of @uid (@uid_count), and in all (return). */
static unsigned int pending_count(uid_t uid, unsigned int *uid_count)
{
	struct kmemd_client *c;
	unsigned int n = 0;

	*uid_count = 0;
	for (c = clients; c; c = c->next) {
		if (c->state != CLIENT_CONNECTED)
			continue;
		n++;
		*uid_count += c->uid == uid;
	}
	return n;
}

/* The oldest pending connection of @uid, or NULL. */
static struct kmemd_client *pending_oldest(uid_t uid)
{
	struct kmemd_client *c, *old = NULL;

	for (c = clients; c; c = c->next)
		if (c->state == CLIENT_CONNECTED && c->uid == uid &&
		    (!old || c->pending_since <= old->pending_since))
			old = c;
	return old;
}

/* The uid with the most pending connections (the queue is not empty). */
static uid_t pending_top_uid(void)
{
	struct kmemd_client *c;
	unsigned int best = 0, n;
	uid_t top = 0;

	for (c = clients; c; c = c->next) {
		if (c->state != CLIENT_CONNECTED)
			continue;
		pending_count(c->uid, &n);
		if (n > best) {
			best = n;
			top = c->uid;
		}
	}
	return top;
}

/*
 * Refuse a pending connection, as refuse() does but logged at debug level
 * only: a peer that keeps renewing idle connections must not flood the log.
 */
static void pending_drop(struct kmemd_client *c, int err, const char *msg)
{
	pr_debug("pid %d uid %u: %s", (int)c->pid, c->uid, msg);
	send_error(c->fd, err, "%s", msg);
	client_gone(c, msg);
}

/*
 * Make room in the pending queue for a connection of @uid: drop the oldest
 * pending one of @uid if it has its share already, else, if the queue is
 * full, of the uid with the most.
 */
static void pending_make_room(uid_t uid)
{
	struct kmemd_client *victim = NULL;
	unsigned int mine, all = pending_count(uid, &mine);

	if (mine >= PENDING_PER_UID)
		victim = pending_oldest(uid);
	else if (all >= PENDING_MAX)
		victim = pending_oldest(pending_top_uid());
	if (victim)
		pending_drop(victim, EAGAIN, "dropped: too many connections waiting for HELLO");
}

/*
 * kmemd_clients_expire_hello - refuse the connections that stayed silent,
 * so that one process cannot starve the others by connecting and saying
 * nothing.  Runs after every batch of events and at each timer tick.
 */
void kmemd_clients_expire_hello(void)
{
	uint64_t now = now_ms();
	struct kmemd_client *c, *next;

	for (c = clients; c; c = next) {
		next = c->next;
		if (c->state == CLIENT_CONNECTED && now - c->pending_since >= HELLO_TIMEOUT_MS)
			pending_drop(c, ETIMEDOUT, "no HELLO within 1.5 s");
	}
}

/*
 * client_gone - the client's socket closed or its process exited.
 * Context: the event loop.
 *
 * An attached client stays in the table, GONE, and its memory goes back
 * (client_recover()); one that never attached owned nothing.
 */
static void client_gone(struct kmemd_client *c, const char *why)
{
	bool detached = !strcmp(why, "detached");

	if (c->state == CLIENT_GONE)
		return;
	if (c->state == CLIENT_ATTACHED)
		pr_info("client %u (pid %d, %s) gone: %s", c->id, (int)c->pid, c->comm, why);
	else
		pr_debug("connection from pid %d closed: %s", (int)c->pid, why);
	snprintf(c->gone_reason, sizeof(c->gone_reason), "%s", why);
	/* its readers are gone: grace periods stop waiting for it */
	if (c->state == CLIENT_ATTACHED && c->id)
		__kmem_rcu_client_gone(c->id);
	if (c->fd >= 0) {
		kmemd_unwatch(c->fd);
		kmemd_close_quietly(c->fd);
		c->fd = -1;
	}
	if (c->state != CLIENT_ATTACHED) {
		if (c->pidfd >= 0) {
			kmemd_unwatch(c->pidfd);
			close(c->pidfd);
			c->pidfd = -1;
		}
		client_unlink(c);
		c->state = CLIENT_GONE;
		c->next = forgotten;
		forgotten = c;
		return;
	}
	c->state = CLIENT_GONE;
	/* the pidfd stays watched until the process has exited */
	c->recover = detached ? RECOVER_RETRY : RECOVER_WAIT_EXIT;
	client_recover(c);
}

bool kmemd_peer_allowed(const struct kmemd_config *cfg, int fd, uid_t uid, gid_t gid)
{
	gid_t groups[256];
	socklen_t len = sizeof(groups);
	unsigned int i, j, n = 0;

	if (uid == 0 || uid == getuid())
		return true;
	for (i = 0; i < cfg->nr_users; i++)
		if (cfg->users[i] == uid)
			return true;
	if (!cfg->nr_groups)
		return false;
	if (fd >= 0 && !getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len))
		n = len / sizeof(gid_t);
	for (i = 0; i < cfg->nr_groups; i++) {
		if (cfg->groups[i] == gid)
			return true;
		for (j = 0; j < n; j++)
			if (cfg->groups[i] == groups[j])
				return true;
	}
	return false;
}

unsigned int kmemd_clients_live(void)
{
	struct kmemd_client *c;
	unsigned int n = 0;

	for (c = clients; c; c = c->next)
		n += c->state != CLIENT_GONE;
	return n;
}

unsigned int kmemd_clients_attached(void)
{
	struct kmemd_client *c;
	unsigned int n = 0;

	for (c = clients; c; c = c->next)
		n += c->state == CLIENT_ATTACHED;
	return n;
}

void kmemd_client_accept(int listen_fd, const struct kmemd_config *cfg)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct kmemd_client *c;
	int fd;

	fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR)
			pr_warn("accept on the attach socket: %m");
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len)) {
		pr_warn("SO_PEERCRED: %m");
		close(fd);
		return;
	}
	if (!kmemd_peer_allowed(cfg, fd, cred.uid, cred.gid)) {
		pr_notice("refused pid %d: uid %u gid %u not in allowed_users/allowed_groups",
			  (int)cred.pid, cred.uid, cred.gid);
		send_error(fd, EACCES, "permission denied: uid %u is not allowed by %s",
			   cred.uid, cfg->val[KEY_NAME]);
		kmemd_close_quietly(fd);
		return;
	}
	admit_cfg = cfg;
	pending_make_room(cred.uid);
	c = calloc(1, sizeof(*c));
	if (!c) {
		send_error(fd, ENOMEM, "out of memory");
		close(fd);
		return;
	}
	c->fd = fd;
	c->pid = cred.pid;
	c->uid = cred.uid;
	c->gid = cred.gid;
	c->state = CLIENT_CONNECTED;
	c->connected_at = (uint64_t)time(NULL);
	c->pending_since = now_ms();
	c->sock_tag = (struct kmemd_tag){ TAG_CLIENT, c };
	c->pidfd_tag = (struct kmemd_tag){ TAG_CLIENT_PIDFD, c };
	c->pidfd = (int)syscall(SYS_pidfd_open, cred.pid, 0);
	if (c->pidfd < 0)
		pr_debug("pidfd_open(%d): %m; watching the socket only", (int)cred.pid);
	c->next = clients;
	clients = c;
	if (kmemd_watch(fd, &c->sock_tag) ||
	    (c->pidfd >= 0 && kmemd_watch(c->pidfd, &c->pidfd_tag))) {
		pr_warn("epoll: %m");
		client_gone(c, "epoll failed");
		return;
	}
	pr_debug("connection from pid %d uid %u", (int)cred.pid, cred.uid);
}

static const char *const type_names[] = {
	[KMEMD_MSG_HELLO] = "HELLO", [KMEMD_MSG_WELCOME] = "WELCOME",
	[KMEMD_MSG_ERROR] = "ERROR", [KMEMD_MSG_DETACH] = "DETACH",
	[KMEMD_MSG_SHUTDOWN] = "SHUTDOWN",
};

/* Refuse: tell the client why, log it, close. */
static void refuse(struct kmemd_client *c, int err, const char *msg)
{
	pr_notice("pid %d (%s): %s", (int)c->pid, c->comm[0] ? c->comm : "?", msg);
	send_error(c->fd, err, "%s", msg);
	client_gone(c, msg);
}

static void handle_hello(struct kmemd_client *c, const struct kmemd_hello *m)
{
	char msg[128];
	int ret;

	if (c->state == CLIENT_ATTACHED) {
		refuse(c, EPROTO, "HELLO twice");
		return;
	}
	/* only attached clients take a max_clients slot */
	if (admit_cfg && kmemd_clients_attached() >= admit_cfg->max_clients) {
		snprintf(msg, sizeof(msg), "too many clients (max_clients=%u)",
			 admit_cfg->max_clients);
		refuse(c, EUSERS, msg);
		return;
	}
	/* the client chose these bytes: kept escaped, never raw */
	kmem_escape(c->comm, sizeof(c->comm), m->comm, sizeof(m->comm), KMEM_ESC_SPACE);
	if (m->pid != (u32)c->pid)
		pr_debug("pid %d says it is pid %u (another pid namespace?)", (int)c->pid, m->pid);
	c->id = next_client_id++;
	ret = __kmem_attach_welcome(c->fd, c->id);
	if (ret == -EUCLEAN) {
		snprintf(msg, sizeof(msg), "attach refused: kmemd found the shared segment "
			 "corrupted and fenced it (kmemctl info; restart kmemd)");
		c->id = 0;
		refuse(c, EUCLEAN, msg);
		return;
	}
	if (ret < 0) {
		snprintf(msg, sizeof(msg), "attach failed: %s", strerror(-ret));
		c->id = 0;
		refuse(c, -ret, msg);
		return;
	}
	c->state = CLIENT_ATTACHED;
	pr_info("client %u attached: pid %d uid %u comm %s", c->id, (int)c->pid, c->uid, c->comm);
}

void kmemd_client_event(struct kmemd_client *c, bool pidfd_event)
{
	union {
		struct kmemd_hdr h;
		struct kmemd_hello hello;
		char buf[KMEMD_MSG_MAX + 1];
	} m;
	char cbuf[CMSG_SPACE(sizeof(int) * 16)];
	struct iovec iov = { &m, sizeof(m) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	char msg[128];
	ssize_t n;

	if (c->state == CLIENT_GONE) {
		/* its process exited after its socket closed, or an event of the batch */
		if (pidfd_event && c->recover == RECOVER_WAIT_EXIT)
			client_recover(c);
		return;
	}
	if (pidfd_event) {
		client_gone(c, "process exited");
		return;
	}
	n = recvmsg(c->fd, &mh, MSG_TRUNC | MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		client_gone(c, "socket error");
		return;
	}
	drop_fds(&mh);
	if (n == 0) {
		client_gone(c, "socket closed");
		return;
	}
	if (n > KMEMD_MSG_MAX || (mh.msg_flags & MSG_TRUNC)) {
		snprintf(msg, sizeof(msg), "oversized message (%zd bytes, at most %d)", n,
			 KMEMD_MSG_MAX);
		refuse(c, EMSGSIZE, msg);
		return;
	}
	if ((size_t)n < sizeof(m.h)) {
		snprintf(msg, sizeof(msg), "truncated message (%zd bytes)", n);
		refuse(c, EBADMSG, msg);
		return;
	}
	if (m.h.magic != KMEMD_MAGIC) {
		snprintf(msg, sizeof(msg), "bad magic 0x%08x", m.h.magic);
		refuse(c, EPROTO, msg);
		return;
	}
	if (m.h.version != KMEMD_PROTO_VERSION) {
		snprintf(msg, sizeof(msg), "unsupported protocol version %u (kmemd speaks %d)",
			 m.h.version, KMEMD_PROTO_VERSION);
		refuse(c, EPROTONOSUPPORT, msg);
		return;
	}
	if (m.h.len != (size_t)n) {
		snprintf(msg, sizeof(msg), "length mismatch: header says %u, packet has %zd",
			 m.h.len, n);
		refuse(c, EBADMSG, msg);
		return;
	}
	switch (m.h.type) {
	case KMEMD_MSG_HELLO:
		if (n != sizeof(m.hello)) {
			snprintf(msg, sizeof(msg), "HELLO of %zd bytes (expected %zu)", n,
				 sizeof(m.hello));
			refuse(c, EBADMSG, msg);
			return;
		}
		handle_hello(c, &m.hello);
		return;
	case KMEMD_MSG_DETACH:
		if (n != sizeof(m.h)) {
			refuse(c, EBADMSG, "DETACH with a payload");
			return;
		}
		client_gone(c, "detached");
		return;
	case KMEMD_MSG_WELCOME:
	case KMEMD_MSG_ERROR:
	case KMEMD_MSG_SHUTDOWN:
		snprintf(msg, sizeof(msg), "%s is not sent by clients", type_names[m.h.type]);
		refuse(c, EPROTO, msg);
		return;
	default:
		snprintf(msg, sizeof(msg), "unknown message type %u", m.h.type);
		refuse(c, EBADMSG, msg);
		return;
	}
}

void kmemd_clients_reap(void)
{
	struct kmemd_client *c;

	while (forgotten) {
		c = forgotten;
		forgotten = c->next;
		free(c);
	}
}

void kmemd_clients_shutdown(void)
{
	struct kmemd_hdr h = {
		.magic = KMEMD_MAGIC, .version = KMEMD_PROTO_VERSION,
		.type = KMEMD_MSG_SHUTDOWN, .len = sizeof(h),
	};
	struct kmemd_client *c, *next;

	for (c = clients; c; c = next) {
		next = c->next;
		if (c->fd >= 0 && send(c->fd, &h, sizeof(h), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			pr_debug("SHUTDOWN to pid %d: %m", (int)c->pid);
		if (c->state != CLIENT_GONE)
			client_gone(c, "daemon stopping");
	}
	while (clients) {
		c = clients;
		clients = c->next;
		if (c->pidfd >= 0) {
			kmemd_unwatch(c->pidfd);
			close(c->pidfd);
		}
		free(c);
	}
	kmemd_clients_reap();
}

json_t *kmemd_clients_json(void)
{
	static const char *const state[] = {
		[CLIENT_CONNECTED] = "connected", [CLIENT_ATTACHED] = "attached",
		[CLIENT_GONE] = "gone",
	};
	json_t *arr = json_array();
	struct kmem_client_usage *usage, *u;
	struct kmemd_client *c;
	unsigned int nr = 0, i = 0;

	for (c = clients; c; c = c->next)
		nr++;
	usage = calloc(nr ?: 1, sizeof(*usage));
	for (c = clients; c && usage; c = c->next)
		usage[i++].id = c->id;
	if (usage && __kmem_client_usage(usage, nr)) {
		free(usage);
		usage = NULL;	/* a corrupted segment: the table without the figures */
	}
	for (c = clients, u = usage; c && arr; c = c->next, u = u ? u + 1 : NULL) {
		json_t *o = json_pack("{s:I, s:i, s:I, s:I, s:s, s:s, s:I}", "id",
				      (json_int_t)c->id, "pid", (int)c->pid, "uid",
				      (json_int_t)c->uid, "gid", (json_int_t)c->gid, "comm",
				      c->comm, "state", state[c->state], "connected_at",
				      (json_int_t)c->connected_at);

		if (o && u) {
			json_object_set_new(o, "pages", json_integer((json_int_t)u->pages));
			json_object_set_new(o, "slab_pages", json_integer((json_int_t)u->slab_pages));
			json_object_set_new(o, "vmalloc_bytes",
					    json_integer((json_int_t)(u->vmalloc_pages << 12)));
			json_object_set_new(o, "kmalloc_objects", json_integer((json_int_t)u->objects));
			json_object_set_new(o, "kmalloc_bytes",
					    json_integer((json_int_t)u->object_bytes));
		}
		if (o && u && c->state == CLIENT_GONE) {
			/* what it left in the shared kmalloc caches, accounted to it */
			json_object_set_new(o, "orphaned_objects", json_integer((json_int_t)u->objects));
			json_object_set_new(o, "orphaned_bytes",
					    json_integer((json_int_t)u->object_bytes));
		}
		if (o && c->state == CLIENT_GONE) {
			const struct kmem_client_report *r = &c->report;
			static const char *const recover[] = {
				"none", "waiting for exit", "retrying", "done",
			};

			json_object_set_new(o, "gone_reason", json_string(c->gone_reason));
			json_object_set_new(o, "recovery", json_string(recover[c->recover]));
			json_object_set_new(o, "pages_returned",
					    json_integer((json_int_t)r->pages_returned));
			json_object_set_new(o, "vmalloc_pages_returned",
					    json_integer((json_int_t)r->vmalloc_pages_returned));
			json_object_set_new(o, "caches_destroyed",
					    json_integer((json_int_t)r->caches_destroyed));
			json_object_set_new(o, "caches_kept", json_integer((json_int_t)r->caches_kept));
			json_object_set_new(o, "locks_recovered",
					    json_integer((json_int_t)r->locks_recovered));
			json_object_set_new(o, "large_kmalloc_left",
					    json_integer((json_int_t)r->large_kmalloc_left));
			/* what kmemd freed of its leftovers (the orphan policy, or the operator) */
			json_object_set_new(o, "orphans_freed", json_boolean(c->orphans_freed));
			json_object_set_new(o, "orphans_freed_objects",
					    json_integer((json_int_t)c->orphan_objects_freed));
			json_object_set_new(o, "orphans_freed_bytes",
					    json_integer((json_int_t)c->orphan_bytes_freed));
			json_object_set_new(o, "orphans_freed_pages",
					    json_integer((json_int_t)c->orphan_pages_freed));
		}
		if (o)
			json_array_append_new(arr, o);
	}
	free(usage);
	return arr;
}
