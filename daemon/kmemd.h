/* SPDX-License-Identifier: MIT */
/*
 * kmemd's own declarations, shared by the daemon/ sources (never installed).
 *
 *	config.c	kmemd.conf and the command line -> struct kmemd_config
 *	hugepages.c	raising the huge page pool at start, giving it back at every end
 *	client.c	the attach socket: authentication, HELLO, the client table
 *	kmemd.c		main(), the epoll loop, signals, systemd, the control socket
 */
#ifndef _KMEMD_KMEMD_H
#define _KMEMD_KMEMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>
#include <kmem/kmem.h>

#include "escape.h"
#include "kmemd_proto.h"

/* ---------------------------------------------------------------- log */

/* syslog's levels, which journald reads from a "<N>" prefix. */
enum kmemd_log_level {
	KMEMD_LOG_ERR = 3,
	KMEMD_LOG_WARNING = 4,
	KMEMD_LOG_NOTICE = 5,
	KMEMD_LOG_INFO = 6,
	KMEMD_LOG_DEBUG = 7,
};

extern int kmemd_log_level;
void kmemd_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define pr_err(...)	kmemd_log(KMEMD_LOG_ERR, __VA_ARGS__)
#define pr_warn(...)	kmemd_log(KMEMD_LOG_WARNING, __VA_ARGS__)
#define pr_notice(...)	kmemd_log(KMEMD_LOG_NOTICE, __VA_ARGS__)
#define pr_info(...)	kmemd_log(KMEMD_LOG_INFO, __VA_ARGS__)
#define pr_debug(...)	kmemd_log(KMEMD_LOG_DEBUG, __VA_ARGS__)

/* ------------------------------------------------------------- config.c */

/*
 * Every key of kmemd.conf.  The table in config.c gives each its name,
 * default, check and whether SIGHUP can change it without a restart.
 */
enum kmemd_key {
	KEY_NAME,
	KEY_SOCKET,
	KEY_CTL_SOCKET,
	KEY_SOCKET_MODE,
	KEY_SOCKET_GROUP,
	KEY_ALLOWED_USERS,
	KEY_ALLOWED_GROUPS,
	KEY_MAX_CLIENTS,
	KEY_FAKE_NUMA,
	KEY_DIRECT_MB,
	KEY_MAX_MB,
	KEY_OFFLINE_DELAY_MS,
	KEY_HIGHMEM_MB,
	KEY_HUGEPAGES,
	KEY_HUGEPAGE_SIZE,
	KEY_ZONES,
	KEY_DMA_MB,
	KEY_DMA32_MB,
	KEY_RESERVE_HUGEPAGES,
	KEY_BASE_ADDRESS,
	KEY_MIN_FREE_KBYTES,
	KEY_WATERMARK_SCALE_FACTOR,
	KEY_KSWAPD,
	KEY_OBJECT_OWNERS,
	KEY_RECLAIM_TIMEOUT_MS,
	KEY_LOG_LEVEL,
	KEY_WATCHDOG,
	KEY_FAILSLAB,
	KEY_FAIL_PAGE_ALLOC,
	KEY_ORPHAN_CAP_MB,
	NR_KEYS
};

#define KMEMD_MAX_IDS	64
#define KMEMD_LINE_SET	(~0u)		/* a key's value came from --set */

struct kmemd_config {
	char *val[NR_KEYS];		/* every key's text (defaults filled in) */
	unsigned int line[NR_KEYS];	/* its line in the file; 0: default; KMEMD_LINE_SET */
	/* parsed */
	unsigned int socket_mode;
	gid_t socket_gid;		/* (gid_t)-1: the daemon's */
	uid_t users[KMEMD_MAX_IDS];
	unsigned int nr_users;
	gid_t groups[KMEMD_MAX_IDS];
	unsigned int nr_groups;
	unsigned int max_clients;
	bool reserve_hugepages;
	unsigned long base_address;
	int log_level;
	bool watchdog;
	unsigned long orphan_cap;	/* orphan_cap_mb: MiB, or a percentage with ... */
	bool orphan_cap_pct;		/* ... "N%" of the direct map */
};

/* Flags given on the command line: --set key=value, in order. */
struct kmemd_cmdline {
	const char *config;		/* --config, or the built-in default */
	bool config_given;		/* a missing file is an error only then */
	const char **sets;
	unsigned int nr_sets;
	bool foreground;
};

const char *kmemd_key_name(enum kmemd_key key);
bool kmemd_key_live(enum kmemd_key key);

/*
 * kmemd_config_load - defaults, then @cl->config, then every --set.
 * On error @err holds "FILE:LINE: key: message" (or "--set: key: message").
 * Return: 0 or -EINVAL.
 */
int kmemd_config_load(struct kmemd_config *cfg, const struct kmemd_cmdline *cl, char *err,
		      size_t errlen);
void kmemd_config_free(struct kmemd_config *cfg);
/* The allocator's part of @cfg as kmem_options.  Return: 0 or -EINVAL (@err). */
int config_to_options(const struct kmemd_config *cfg, struct kmem_options *opts, char *err,
		      size_t errlen);
/* Apply failslab= / fail_page_alloc= (kernel boot syntax) with kmem_fault_set(). */
int kmemd_config_apply_faults(const struct kmemd_config *cfg);

/* ---------------------------------------------------------- hugepages.c */

/*
 * At start, before anything else touches the pool: if @rundir holds the
 * record of a kmemd that died without giving its huge pages back
 * (SIGKILL, the OOM killer), give them back now and log it.
 * Return: 0, or -EBUSY when that kmemd still runs (logged).
 */
int kmemd_hugepages_recover(const char *rundir);
/*
 * Raise the huge page pool so that @bytes_per_node of direct map fits on each
 * of @nr_nodes nodes (pages of 1 << @shift bytes), if the host keeps enough
 * memory beside it; record what was added in @rundir/hugepages.saved first.
 * A kernel that gives fewer pages than asked gets the pool put back.
 * Return: 0 or -errno (logged); the pool is as it was on error.
 */
int kmemd_hugepages_reserve(const char *rundir, unsigned int nr_nodes, size_t bytes_per_node,
			    unsigned int shift);
/* Give back what kmemd_hugepages_reserve() added, and remove the record. */
void kmemd_hugepages_restore(void);
/* The same from a fatal signal's handler: async-signal-safe, says nothing else. */
void kmemd_hugepages_restore_fatal(void);

/* mkdir -p, mode 0755 (kmemd.c).  Return: 0 or -errno. */
int kmemd_mkdir_p(const char *dir);

/* ------------------------------------------------------------- client.c */

/* A tag for epoll: which kind of fd an event is for, and its object. */
enum kmemd_tag_kind {
	TAG_ATTACH_LISTEN,
	TAG_CTL_LISTEN,
	TAG_SIGNAL,
	TAG_TIMER,
	TAG_CLIENT,
	TAG_CLIENT_PIDFD,
	TAG_CTL_CONN,
};

struct kmemd_tag {
	enum kmemd_tag_kind kind;
	void *obj;
};

enum kmemd_client_state {
	CLIENT_CONNECTED,		/* accepted, no HELLO yet */
	CLIENT_ATTACHED,		/* WELCOME sent */
	CLIENT_GONE,			/* socket closed or process exited */
};

struct kmemd_client {
	struct kmemd_client *next;
	int fd, pidfd;
	unsigned int id;		/* client id given in the WELCOME; 0 before */
	pid_t pid;
	uid_t uid;
	gid_t gid;
	/* its HELLO's comm, escaped: safe in a log line, a text view, JSON */
	char comm[KMEM_ESC_SIZE(sizeof(((struct kmemd_hello *)0)->comm))];
	enum kmemd_client_state state;
	uint64_t connected_at;		/* CLOCK_REALTIME seconds */
	uint64_t pending_since;		/* CLOCK_MONOTONIC ms: the HELLO deadline counts from here */
	char gone_reason[64];
	struct kmemd_tag sock_tag, pidfd_tag;
	/*
	 * GONE and attached: its memory goes back once its process has
	 * exited (RECOVER_WAIT_EXIT: the socket closed first) and no live
	 * process holds a lock it needs (RECOVER_RETRY).
	 */
	enum { RECOVER_NONE, RECOVER_WAIT_EXIT, RECOVER_RETRY, RECOVER_DONE } recover;
	unsigned int recover_tries;
	struct kmem_client_report report;
	/*
	 * The orphan policy (docs/attach.md, "When a client dies"): @end_seq
	 * is the next client id when its process was known to have exited,
	 * so the clients that overlapped its life are those with a smaller
	 * id; once none of them is alive its orphans are freed (@orphans_freed,
	 * and what was freed, by whichever rule, in the counts).
	 */
	unsigned int end_seq;
	bool orphans_freed;
	uint64_t orphan_objects_freed, orphan_bytes_freed, orphan_pages_freed;
};

/* The loop's epoll set: client.c adds and removes its fds through these. */
int kmemd_watch(int fd, struct kmemd_tag *tag);
void kmemd_unwatch(int fd);

/* Close a socket so that the peer still reads what was sent last. */
void kmemd_close_quietly(int fd);
/* Is a peer with these credentials allowed by allowed_users / allowed_groups? */
bool kmemd_peer_allowed(const struct kmemd_config *cfg, int fd, uid_t uid, gid_t gid);
/* A connection on the attach socket: authenticate, limit, register. */
void kmemd_client_accept(int listen_fd, const struct kmemd_config *cfg);
/* Readable client socket (@pidfd_event: its pidfd fired instead). */
void kmemd_client_event(struct kmemd_client *c, bool pidfd_event);
/* Free the clients forgotten while handling a batch of events; after the batch. */
void kmemd_clients_reap(void);
/* Tell every client the daemon stops (SHUTDOWN), and close them all. */
void kmemd_clients_shutdown(void);
/* Live clients (connected or attached) and attached ones. */
unsigned int kmemd_clients_live(void);
unsigned int kmemd_clients_attached(void);
/* Retry the recovery of dead clients that found a lock busy. */
void kmemd_clients_recover_pending(void);
/* Refuse connections that sent no HELLO in time (fair admission). */
void kmemd_clients_expire_hello(void);
/* The table as JSON, for the control protocol's "clients". */
json_t *kmemd_clients_json(void);
/* orphan_cap_mb in bytes (0: no cap); at start and on reload. */
void kmemd_clients_set_orphan_cap(uint64_t bytes);
/*
 * The operator's "orphans.free": free gone client @id's orphaned objects now.
 * Return: 0 (*@freed filled), -ENOENT (no such client), -EBUSY (not gone
 * and recovered yet), or a libkmem -errno.
 */
int kmemd_clients_free_orphans(unsigned int id, struct kmem_client_usage *freed);

/*
 * The allocator's internals kmemd calls (libkmem/internal.h, hidden from
 * the shared library; kmemd links the static one):
 *
 * __kmem_attach_welcome - the server side of the attach handshake
 * (libkmem/attach.c): sends the WELCOME and the memfds on @sock.
 * Return: 0 or -errno.
 */
extern int __kmem_attach_welcome(int sock, unsigned int client_id);

/*
 * __kmem_client_gone - give back what dead client @client_id owned and
 * recover the locks it died holding (libkmem/client_gone.c).
 * Return: 0, or -EBUSY: a live client holds a lock; call again later.
 */
extern int __kmem_client_gone(uint32_t client_id, struct kmem_client_report *r);
/* __kmem_client_usage - what each client of @u[0..nr) holds now (libkmem/client_gone.c). */
extern int __kmem_client_usage(struct kmem_client_usage *u, unsigned int nr);
/*
 * __kmem_client_free_orphans - kfree() what dead client @client_id left in
 * the shared kmalloc caches, and its large kmalloc blocks.  Return: 0 or -errno.
 */
extern int __kmem_client_free_orphans(uint32_t client_id, struct kmem_client_usage *freed);
/*
 * __kmem_sweep_limbo - take back blocks dead clients had in their hands at
 * a per-CPU list; only with no client alive.  Return: pages, or -errno.
 */
extern long __kmem_sweep_limbo(unsigned int settle_ms);
/* __kmem_slab_server_stamp - kmemd's own objects stamped as the server's (at start). */
extern void __kmem_slab_server_stamp(void);
/*
 * __kmem_segment_distrust - from now on every client can write the segment:
 * keep a private copy of its header as built; what the daemon is about to
 * touch is verified first and fenced if corrupted (libkmem/segment.c).
 */
extern int __kmem_segment_distrust(void);
/* __kmem_segment_gate - verify before acting; -EUCLEAN if the segment is fenced. */
extern int __kmem_segment_gate(const char *what);
/*
 * __kmem_sweep_objects - free kmalloc objects allocated and owned by no one
 * (a dead client's, caught between a slab and its stamp); only with no
 * client alive.  Return: objects freed, or -errno.
 */
extern long __kmem_sweep_objects(unsigned int settle_ms);
/* __kmem_client_has_caches - are caches dead client @client_id created still there? */
extern bool __kmem_client_has_caches(uint32_t client_id);
/*
 * __kmem_slab_reap_caches - destroy dead client @client_id's caches that
 * hold no object any more (@force: all).  Return: the caches still kept.
 */
extern unsigned int __kmem_slab_reap_caches(uint32_t client_id, bool force, uint32_t *destroyed);

/*
 * __kmem_rcu_client_gone - libkmem/rcu_shared.c: grace periods stop
 * waiting for client @id's acknowledgements (it died or detached).
 */
extern void __kmem_rcu_client_gone(unsigned int id);

#endif /* _KMEMD_KMEMD_H */
