/* SPDX-License-Identifier: MIT */
/*
 * A real kmemd for the black-box suites (test_kmemd, test_kmemctl_cli,
 * test_kmemctl_top, test_kmemctl_views): the build's kmemd (KMEMD_PATH) on a
 * configuration of its own in a fresh temporary directory, with its sockets,
 * its log and its config file in there, small memory and no huge pages; and
 * the ways a suite talks to it (the control socket, the build's kmemctl).
 *
 * Life of one daemon:
 *
 *	kh_prepare()	directory, paths, config (nothing runs yet)
 *	kh_spawn()	fork + exec kmemd; returns at once
 *	kh_wait()	until the suite's own test of readiness holds
 *	kh_stop()	a signal, then reap it (SIGKILL if it hangs)
 *	kh_remove()	kill what still runs, remove the directory
 *
 * kh_remove() is the one cleanup: it is safe after any of the steps failed,
 * and after a kh_stop().  Nothing here asserts: the suites decide what a
 * failure means to them, so their assertions stay theirs.
 */
#ifndef _KMEM_TEST_KMEMD_HARNESS_H
#define _KMEM_TEST_KMEMD_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct kh_daemon {
	pid_t pid;			/* -1 while none runs */
	char name[32];			/* "name = " in the config */
	char dir[64];			/* mkdtemp()'d; kh_remove() deletes it */
	char conf[96], log[96];		/* DIR/kmemd.conf, DIR/kmemd.log */
	char sock[96], ctl[96];		/* DIR/run/kmemd.sock (clients), DIR/run/kmemd.ctl */
};

/* kh_spawn() flags */
#define KH_FOREGROUND	(1u << 0)	/* kmemd --foreground */

/*
 * Make @d's directory from @tmpl (a path ending in XXXXXX, readable by all:
 * unprivileged children must reach the sockets), set its paths and write
 * its config (kh_write_conf()).  @d is reset first.
 * Return: 0, or -errno; kh_remove() cleans up either way.
 */
int kh_prepare(struct kh_daemon *d, const char *tmpl, const char *name, const char *extra);

/*
 * (Re)write @d's config: a comment line, then name, socket, ctl_socket,
 * socket_mode = 0666, direct_mb = 16, max_mb = 16, highmem_mb = 8, hugepages = never,
 * reserve_hugepages = no, each on its line in that order (a suite may name
 * line numbers: @extra starts at line 11), then @extra (NULL: nothing)
 * verbatim.  Return: 0 or -errno.
 */
int kh_write_conf(struct kh_daemon *d, const char *extra);

/*
 * Start kmemd --config CONF in a child whose stdout and stderr go to the
 * log (truncated) and whose environment has no NOTIFY_SOCKET, LISTEN_FDS,
 * KMEM_OPTIONS or JOURNAL_STREAM of the test's; then @child_setup(@d, @arg),
 * when not NULL, runs in the child just before the exec (to set any of them
 * again; it may _exit()).  @flags: KH_*.  Does not wait for anything.
 * Return: 0 (@d->pid set) or -errno (fork failed).
 */
int kh_spawn(struct kh_daemon *d, unsigned int flags,
	     void (*child_setup)(const struct kh_daemon *d, void *arg), void *arg);

/*
 * Poll @ready(@d, @arg) every @step_ms for up to @ms.  Return: true once it
 * holds; false when time runs out or kmemd exits first (then reaped, and
 * @d->pid is -1).  A bound for slow machines, never a timing check.
 */
bool kh_wait(struct kh_daemon *d, bool (*ready)(struct kh_daemon *d, void *arg), void *arg,
	     int ms, int step_ms);

/* A kh_wait() test: does the control socket accept a connection? (@arg unused) */
bool kh_ctl_answers(struct kh_daemon *d, void *arg);

/*
 * Send @sig, then reap kmemd, waiting up to 10 s; if it has not exited by
 * then, SIGKILL it, reap it and print its log.  @d->pid is -1 afterwards.
 * Return: its wait status; -1 if it hung, or if none was running.
 */
int kh_stop(struct kh_daemon *d, int sig);

/* SIGKILL a kmemd still running, and delete @d's directory with all in it. */
void kh_remove(struct kh_daemon *d);

/* kmemd's log so far (its first 64 KiB), in a static buffer the next call overwrites. */
const char *kh_log(const struct kh_daemon *d);
/* "kmemd's log:" and the log, on stderr: what a failure report shows. */
void kh_print_log(const struct kh_daemon *d);

/* A connected AF_UNIX socket of @type (close-on-exec) to @path, or -1. */
int kh_connect(const char *path, int type);

/*
 * One recv() on @fd if something arrives within @ms.  Return: its length,
 * 0 at EOF, -1 with errno set (ETIMEDOUT when nothing came).
 */
ssize_t kh_recv(int fd, void *buf, size_t len, int ms);

/*
 * Send @req (one JSON line) on a new control connection and read the reply
 * up to its newline (1 MiB at most, 5 s per read).  Return: the reply,
 * NUL-terminated, malloc()'d for the caller to free(); "" when kmemd could
 * not be reached or said nothing; NULL only when out of memory.
 */
char *kh_ctl_request(const struct kh_daemon *d, const char *req);

/*
 * Run kmemctl --socket CTL @args... (NULL-terminated) with stdout and stderr
 * together in @out (@len bytes, NUL-terminated), killed after @timeout_s.
 * Return: its wait status, or -1 if it could not be started.
 */
int kh_kmemctl(const struct kh_daemon *d, const char *const args[], char *out, size_t len,
	       int timeout_s);

#endif
