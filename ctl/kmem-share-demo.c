// SPDX-License-Identifier: MIT
/*
 * kmem-share-demo - two processes sharing kmalloc'd objects through kmemd.
 *
 * The producer attaches to the daemon, kmallocs a few messages, and starts
 * the consumer - a separate program image (exec), which attaches on its own
 * - handing it nothing but the raw pointer values through a pipe.  The
 * consumer reads each message at that address, in its own address space,
 * and answers in the same object; the producer reads the answers and
 * kfree()s the objects.  That works only because kmemd maps its memory at
 * the same address in every attached process.
 *
 * Usage: kmem-share-demo [SOCKET]	(default: $KMEM_SOCKET, else kmemd's)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <kmem/kmem.h>
#include <linux/slab.h>

#define NR_MESSAGES	8

static int attach(const char *socket_path, const char *who)
{
	int ret = kmem_attach(socket_path);

	if (ret) {
		fprintf(stderr, "kmem-share-demo: %s: cannot attach to kmemd: %s\n", who,
			strerror(-ret));
		return -1;
	}
	return 0;
}

static int consumer(const char *socket_path, int in)
{
	uintptr_t ptrs[NR_MESSAGES];
	int i;

	if (attach(socket_path, "consumer"))
		return 1;
	if (read(in, ptrs, sizeof(ptrs)) != (ssize_t)sizeof(ptrs)) {
		fprintf(stderr, "kmem-share-demo: consumer: short read from the producer\n");
		return 1;
	}
	for (i = 0; i < NR_MESSAGES; i++) {
		char *msg = (char *)ptrs[i];

		printf("  consumer (pid %d) reads %#" PRIxPTR ": \"%s\"\n", (int)getpid(),
		       ptrs[i], msg);
		snprintf(msg, 64, "answer %d from pid %d", i, (int)getpid());
	}
	kmem_detach();
	return 0;
}

static int producer(const char *self, const char *socket_path)
{
	uintptr_t ptrs[NR_MESSAGES];
	struct kmem_info info;
	char fdarg[16];
	int pipefd[2], status, i;
	pid_t pid;

	if (attach(socket_path, "producer"))
		return 1;
	if (!kmem_get_info(&info))
		printf("  producer (pid %d) attached to kmemd as client %u\n", (int)getpid(),
		       info.client_id);
	for (i = 0; i < NR_MESSAGES; i++) {
		char *msg = kmalloc(64, GFP_KERNEL);

		if (!msg) {
			fprintf(stderr, "kmem-share-demo: kmalloc failed\n");
			return 1;
		}
		snprintf(msg, 64, "message %d from pid %d", i, (int)getpid());
		ptrs[i] = (uintptr_t)msg;
		printf("  producer (pid %d) wrote %#" PRIxPTR ": \"%s\"\n", (int)getpid(),
		       ptrs[i], msg);
	}

	if (pipe(pipefd))
		return 1;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		close(pipefd[1]);
		snprintf(fdarg, sizeof(fdarg), "%d", pipefd[0]);
		execl(self, self, "--consumer", fdarg, socket_path ? socket_path : "",
		      (char *)NULL);
		_exit(127);
	}
	close(pipefd[0]);
	if (write(pipefd[1], ptrs, sizeof(ptrs)) != (ssize_t)sizeof(ptrs))
		return 1;
	close(pipefd[1]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "kmem-share-demo: the consumer failed\n");
		return 1;
	}
	for (i = 0; i < NR_MESSAGES; i++) {
		printf("  producer (pid %d) reads %#" PRIxPTR ": \"%s\"\n", (int)getpid(),
		       ptrs[i], (char *)ptrs[i]);
		kfree((void *)ptrs[i]);
	}
	kmem_detach();
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "--consumer"))
		return consumer(argc > 3 && argv[3][0] ? argv[3] : NULL, atoi(argv[2]));
	return producer(argv[0], argc > 1 ? argv[1] : NULL);
}
