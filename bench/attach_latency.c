// SPDX-License-Identifier: MIT
/*
 * attach_latency.c - how long kmem_attach() + kmem_detach() take.
 *
 *   bench_attach_latency SOCKET [ROUNDS]	(default 200 rounds)
 *
 * Each round times, one after the other so that drift hits all three alike:
 *
 *   attach   kmem_attach(SOCKET) + kmem_detach(): HELLO/WELCOME with the fds,
 *            the segment checks, the fixed mappings, and their undoing
 *   embed    kmem_init() + kmem_exit() with the benchmarks' sizes (direct
 *            map 256 MiB, HIGHMEM 16 MiB, no kswapd): building the memory
 *            instead of attaching to it
 *   connect  socket() + connect(SOCKET) + close(): the floor, a unix socket
 *            round with no protocol (the daemon accepts and sees it close)
 *
 * and prints the median of each, attach/embed and attach/connect taken
 * from the medians of this one run.  KMEM_OPTIONS applies to "embed" as in
 * the benchmarks (bench_kmem_init()).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <kmem/kmem.h>

#include "bench.h"

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int connect_close(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	int ret = 0;

	if (fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		ret = -errno;
	close(fd);
	return ret;
}

int main(int argc, char **argv)
{
	unsigned int rounds = 200, i;
	double *t_att, *t_emb, *t_con, t0, m_att, m_emb, m_con;
	const char *sock;
	int ret;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: %s SOCKET [ROUNDS]\n", argv[0]);
		return 2;
	}
	sock = argv[1];
	if (argc == 3)
		rounds = (unsigned int)strtoul(argv[2], NULL, 0);
	if (!rounds)
		return 2;
	/* bench_kmem_init() must build embedded here, whatever the environment says. */
	unsetenv("KMEM_BENCH_ATTACH");
	t_att = calloc(rounds, sizeof(double));
	t_emb = calloc(rounds, sizeof(double));
	t_con = calloc(rounds, sizeof(double));
	if (!t_att || !t_emb || !t_con)
		return 1;

	for (i = 0; i < rounds; i++) {
		t0 = now_ns();
		ret = kmem_attach(sock);
		if (!ret)
			ret = kmem_detach();
		t_att[i] = now_ns() - t0;
		if (ret) {
			fprintf(stderr, "attach_latency: kmem_attach/detach: %s\n", strerror(-ret));
			return 1;
		}

		t0 = now_ns();
		ret = bench_kmem_init();
		if (!ret)
			kmem_exit();
		t_emb[i] = now_ns() - t0;
		if (ret)
			return 1;

		t0 = now_ns();
		ret = connect_close(sock);
		t_con[i] = now_ns() - t0;
		if (ret) {
			fprintf(stderr, "attach_latency: connect: %s\n", strerror(-ret));
			return 1;
		}
	}
	m_att = median(t_att, rounds);
	m_emb = median(t_emb, rounds);
	m_con = median(t_con, rounds);
	printf("rounds: %u (interleaved: attach, embed, connect)\n", rounds);
	printf("median attach+detach:   %10.1f us\n", m_att / 1e3);
	printf("median kmem_init+exit:  %10.1f us (embedded, 256 MiB direct + 16 MiB HIGHMEM)\n",
	       m_emb / 1e3);
	printf("median connect+close:   %10.1f us\n", m_con / 1e3);
	printf("ratio attach/embed:     %10.5f (embedded init+exit takes %.0fx as long)\n",
	       m_att / m_emb, m_emb / m_att);
	printf("ratio attach/connect:   %10.1f\n", m_att / m_con);
	free(t_att);
	free(t_emb);
	free(t_con);
	return 0;
}
