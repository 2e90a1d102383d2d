// SPDX-License-Identifier: MIT
/*
 * A server and a client over the attach protocol, no kmemd: see
 * attach_pair.h for who forks whom and what each step may do.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <kmem/kmem.h>

#include "attach_pair.h"
#include "internal.h"
#include "kmemd_proto.h"

int chan_put(const struct chan *c, u64 v)
{
	return write(c->wr, &v, sizeof(v)) == sizeof(v) ? 0 : -1;
}

u64 chan_get(const struct chan *c)
{
	u64 v = ~0ULL;

	if (read(c->rd, &v, sizeof(v)) != sizeof(v))
		return ~0ULL;
	return v;
}

static int listen_on(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	if (s < 0)
		return -1;
	strcpy(sun.sun_path, path);
	unlink(path);
	if (bind(s, (struct sockaddr *)&sun, sizeof(sun)) || listen(s, 8)) {
		close(s);
		return -1;
	}
	return s;
}

struct server {
	const struct pair *p;
	int lsock;
};

/* The accept thread: read each HELLO, welcome (or answer), wait for the client to go. */
static void *serve(void *arg)
{
	struct server *srv = arg;
	const struct pair *p = srv->p;
	unsigned int i;

	for (i = 0; i < p->nr_conns; i++) {
		char buf[KMEMD_MSG_MAX];
		struct kmemd_hello *hello = (struct kmemd_hello *)buf;
		int conn = accept4(srv->lsock, NULL, NULL, SOCK_CLOEXEC);
		ssize_t n;
		int ret;

		if (conn < 0)
			return (void *)1L;
		n = recv(conn, buf, sizeof(buf), 0);
		if (n != sizeof(*hello) || hello->h.magic != KMEMD_MAGIC ||
		    hello->h.type != KMEMD_MSG_HELLO || hello->pid == 0) {
			close(conn);
			return (void *)2L;
		}
		if (p->answer)
			ret = p->answer(conn, i);
		else
			ret = __kmem_attach_welcome(conn, p->first_id + i);
		if (ret) {
			fprintf(stderr, "welcome %u: %s\n", i, strerror(-ret));
			close(conn);
			return (void *)3L;
		}
		if (!p->answer) {
			while (recv(conn, buf, sizeof(buf), 0) > 0)
				;	/* DETACH, then the close */
			if (p->client_left)
				p->client_left(p->first_id + i);
		}
		close(conn);
	}
	return NULL;
}

static int client(const struct pair *p, const struct chan *cc)
{
	int ret;

	if (chan_get(cc) != 1)	/* the server is ready */
		return 91;
	if (p->client_attaches && kmem_attach(p->sock))
		return 92;
	ret = p->client_fn(cc);
	fflush(NULL);
	return ret;
}

static bool client_ended_as_expected(const struct pair *p, int status)
{
	if (p->client_killed)
		return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
	return WIFEXITED(status) && !WEXITSTATUS(status);
}

static int server(const struct pair *p)
{
	struct server srv = { .p = p };
	int s2c[2], c2s[2], ret = 0, cstatus;
	struct chan sc;
	pthread_t thread;
	void *tret;
	pid_t pid;

	alarm(p->alarm_s);
	if (pipe2(s2c, O_CLOEXEC) || pipe2(c2s, O_CLOEXEC))
		return 90;
	pid = fork();
	if (!pid) {
		struct chan cc = { .rd = s2c[0], .wr = c2s[1], .peer = getppid() };

		if (p->client_alarm_s)
			alarm(p->client_alarm_s);
		close(s2c[1]);
		close(c2s[0]);
		_exit(client(p, &cc));
	}
	sc = (struct chan){ .rd = c2s[0], .wr = s2c[1], .peer = pid };
	close(s2c[0]);
	close(c2s[1]);
	if (p->server_init && (ret = p->server_init())) {
		kill(pid, SIGKILL);
		return ret;
	}
	srv.lsock = listen_on(p->sock);
	if (srv.lsock < 0 || pthread_create(&thread, NULL, serve, &srv)) {
		kill(pid, SIGKILL);
		return 93;
	}
	if (p->server_ready)
		p->server_ready();
	chan_put(&sc, 1);
	if (p->server_fn)
		ret = p->server_fn(&sc);
	close(sc.rd);	/* a client still waiting for us sees the end */
	close(sc.wr);
	cstatus = -1;
	if (waitpid(pid, &cstatus, 0) == pid)
		shutdown(srv.lsock, SHUT_RDWR);	/* the accept loop ends, if not done */
	if (!client_ended_as_expected(p, cstatus)) {
		fprintf(stderr, "client: %s %d\n", WIFEXITED(cstatus) ? "exit" : "signal",
			WIFEXITED(cstatus) ? WEXITSTATUS(cstatus) : WTERMSIG(cstatus));
		ret = ret ?: 94;
	}
	pthread_join(thread, &tret);
	if (tret)
		ret = ret ?: 95;
	close(srv.lsock);
	unlink(p->sock);
	fflush(NULL);
	return ret;
}

int pair_run(const struct pair *p)
{
	pid_t pid;
	int status;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid)
		_exit(server(p));
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (!WIFEXITED(status)) {
		fprintf(stderr, "server: signal %d\n", WTERMSIG(status));
		return 128 + WTERMSIG(status);
	}
	return WEXITSTATUS(status);
}
