/* SPDX-License-Identifier: MIT */
/*
 * The attach protocol between two processes, without kmemd (test_attach.c,
 * test_rcu_shared.c): a forked "server" plays kmemd's part (builds the
 * allocator at a fixed base, listens, welcomes each client with
 * __kmem_attach_welcome()), and a "client" it forks before it builds
 * anything attaches to it.  The two step through a scenario over a pair of
 * pipes, each side a function that returns 0 or where it failed:
 *
 *	test process	pair_run() waits for the server, returns its status
 *	  server	[server_init], listen, accept thread, [server_ready],
 *			"go" to the client, [server_fn], reap the client
 *	    client	wait for "go", [kmem_attach], client_fn
 *
 * Every process and socket pair_run() makes is gone when it returns.
 */
#ifndef _KMEM_TEST_ATTACH_PAIR_H
#define _KMEM_TEST_ATTACH_PAIR_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include <linux/types.h>

/* One side's ends of the pipes between server and client. */
struct chan {
	int rd, wr;
	pid_t peer;	/* the other side's pid */
};

/* Send @v to the other side.  Return: 0, or -1 if it could not be written. */
int chan_put(const struct chan *c, u64 v);
/* The next value from the other side; ~0 once it has gone (or on a short read). */
u64 chan_get(const struct chan *c);

/* A failed check in a side function: say where, and return the line number. */
#define CHECK(cond)								\
	do {									\
		if (!(cond)) {							\
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,	\
				__LINE__, #cond);				\
			return __LINE__ & 0x7f ?: 1;				\
		}								\
	} while (0)

typedef int (*side_fn)(const struct chan *c);

struct pair {
	const char *sock;		/* the server's socket: replaced, then unlinked */
	unsigned int alarm_s;		/* the server's bound on the whole run */
	unsigned int client_alarm_s;	/* the client's own bound; 0: none */
	/* In the server once the client is forked: build the allocator.  0, or an exit status >= 100. */
	int (*server_init)(void);	/* NULL: no allocator in the server at all */
	void (*server_ready)(void);	/* listening, the accept thread up, before the "go" */
	unsigned int nr_conns;		/* connections served, then the accept thread ends */
	u32 first_id;			/* connection i is welcomed as client first_id + i */
	/* Instead of the welcome: answer connection i yourself (0, or -errno); then closed. */
	int (*answer)(int conn, unsigned int i);
	void (*client_left)(u32 id);	/* after a welcomed client's connection ended */
	bool client_attaches;		/* kmem_attach(sock) before client_fn */
	bool client_killed;		/* the scenario SIGKILLs the client: expected, not exit 0 */
	side_fn server_fn;		/* NULL: the server only serves */
	side_fn client_fn;
};

/*
 * Run @p's scenario.  Return: 0 when both sides succeeded; else the
 * server's exit status: server_fn's or client_fn's failure (the first
 * one), server_init's (100 and up), or the harness's own: 90 no pipes,
 * 91 the client got no "go", 92 its kmem_attach() failed, 93 no socket or
 * accept thread, 94 the client did not end as expected, 95 the accept
 * thread failed; 128 + the signal that killed the server; -1 if it could
 * not be forked or reaped.
 */
int pair_run(const struct pair *p);

#endif
