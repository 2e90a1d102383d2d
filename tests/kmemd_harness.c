// SPDX-License-Identifier: MIT
/*
 * A real kmemd in a temporary directory, for the black-box suites: see
 * kmemd_harness.h for the life of one and who cleans up what.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kmemd_harness.h"
#include "kunit.h"

#if !defined(KMEMD_PATH) || !defined(KMEMCTL_PATH)
#error "KMEMD_PATH, KMEMCTL_PATH: the binaries under test (tests/CMakeLists.txt)"
#endif

#define KH_LOG_MAX	65536
#define KH_REPLY_MAX	(1u << 20)

int kh_write_conf(struct kh_daemon *d, const char *extra)
{
	FILE *f = fopen(d->conf, "w");

	if (!f)
		return -errno;
	fprintf(f, "# test configuration\nname = %s\nsocket = %s\nctl_socket = %s\n"
		   "socket_mode = 0666\ndirect_mb = 16\nmax_mb = 16\nhighmem_mb = 8\nhugepages = never\n"
		   "reserve_hugepages = no\n%s",
		d->name, d->sock, d->ctl, extra ?: "");
	return fclose(f) ? -errno : 0;
}

int kh_prepare(struct kh_daemon *d, const char *tmpl, const char *name, const char *extra)
{
	memset(d, 0, sizeof(*d));
	d->pid = -1;
	snprintf(d->name, sizeof(d->name), "%s", name);
	snprintf(d->dir, sizeof(d->dir), "%s", tmpl);
	if (!mkdtemp(d->dir)) {
		d->dir[0] = '\0';	/* nothing for kh_remove() to delete */
		return -errno;
	}
	chmod(d->dir, 0755);	/* unprivileged children must reach the sockets */
	snprintf(d->conf, sizeof(d->conf), "%s/kmemd.conf", d->dir);
	snprintf(d->log, sizeof(d->log), "%s/kmemd.log", d->dir);
	snprintf(d->sock, sizeof(d->sock), "%s/run/kmemd.sock", d->dir);
	snprintf(d->ctl, sizeof(d->ctl), "%s/run/kmemd.ctl", d->dir);
	return kh_write_conf(d, extra);
}

int kh_spawn(struct kh_daemon *d, unsigned int flags,
	     void (*child_setup)(const struct kh_daemon *d, void *arg), void *arg)
{
	fflush(NULL);
	d->pid = fork();
	if (d->pid < 0) {
		int err = errno;

		d->pid = -1;
		return -err;
	}
	if (d->pid == 0) {
		int fd = open(d->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		/* what the test itself runs under is not kmemd's to see */
		unsetenv("NOTIFY_SOCKET");
		unsetenv("LISTEN_FDS");
		unsetenv("KMEM_OPTIONS");
		unsetenv("JOURNAL_STREAM");
		if (child_setup)
			child_setup(d, arg);
		if (flags & KH_FOREGROUND)
			execl(KMEMD_PATH, "kmemd", "--foreground", "--config", d->conf,
			      (char *)NULL);
		else
			execl(KMEMD_PATH, "kmemd", "--config", d->conf, (char *)NULL);
		_exit(127);
	}
	return 0;
}

bool kh_wait(struct kh_daemon *d, bool (*ready)(struct kh_daemon *d, void *arg), void *arg,
	     int ms, int step_ms)
{
	int waited;

	for (waited = 0; ; waited += step_ms) {
		if (ready(d, arg))
			return true;
		if (d->pid <= 0)
			return false;
		if (waitpid(d->pid, NULL, WNOHANG) == d->pid) {
			d->pid = -1;
			return false;
		}
		if (waited >= ms)
			return false;
		usleep((useconds_t)step_ms * 1000);
	}
}

int kh_connect(const char *path, int type)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

bool kh_ctl_answers(struct kh_daemon *d, void *arg)
{
	int fd = kh_connect(d->ctl, SOCK_STREAM);

	(void)arg;
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

int kh_stop(struct kh_daemon *d, int sig)
{
	int status, i;

	if (d->pid <= 0)
		return -1;
	kill(d->pid, sig);
	for (i = 0; i < 1000; i++) {
		if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
			d->pid = -1;
			return status;
		}
		usleep(10000);
	}
	kill(d->pid, SIGKILL);
	waitpid(d->pid, &status, 0);
	d->pid = -1;
	fprintf(stderr, "kmemd did not stop on signal %d\n", sig);
	kh_print_log(d);
	return -1;
}

static void rm_rf(const char *dir)
{
	struct dirent *e;
	char path[512];
	DIR *dp = opendir(dir);

	if (!dp)
		return;
	while ((e = readdir(dp))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (e->d_type == DT_DIR)
			rm_rf(path);
		else
			unlink(path);
	}
	closedir(dp);
	rmdir(dir);
}

void kh_remove(struct kh_daemon *d)
{
	if (d->pid > 0)
		kh_stop(d, SIGKILL);
	if (d->dir[0])
		rm_rf(d->dir);
}

const char *kh_log(const struct kh_daemon *d)
{
	static char buf[KH_LOG_MAX];
	int fd = open(d->log, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
	return buf;
}

void kh_print_log(const struct kh_daemon *d)
{
	fprintf(stderr, "kmemd's log:\n%s\n", kh_log(d));
}

ssize_t kh_recv(int fd, void *buf, size_t len, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, ms) <= 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	return recv(fd, buf, len, 0);
}

char *kh_ctl_request(const struct kh_daemon *d, const char *req)
{
	char *reply = calloc(1, KH_REPLY_MAX);
	int fd = kh_connect(d->ctl, SOCK_STREAM);
	size_t used = 0;

	if (!reply || fd < 0) {
		if (fd >= 0)
			close(fd);
		return reply;
	}
	/* a refusal may come, and the socket close, before the request goes */
	send(fd, req, strlen(req), MSG_NOSIGNAL);
	while (used < KH_REPLY_MAX - 1 && !memchr(reply, '\n', used)) {
		ssize_t n = kh_recv(fd, reply + used, KH_REPLY_MAX - 1 - used, 5000);

		if (n <= 0)
			break;
		used += (size_t)n;
	}
	reply[used] = '\0';
	close(fd);
	return reply;
}

int kh_kmemctl(const struct kh_daemon *d, const char *const args[], char *out, size_t len,
	       int timeout_s)
{
	const char *argv[32] = { "kmemctl", "--socket", d->ctl };
	size_t n = 3;

	while (*args && n < sizeof(argv) / sizeof(argv[0]) - 1)
		argv[n++] = *args++;
	argv[n] = NULL;
	return kt_run(KMEMCTL_PATH, (char *const *)argv, out, len, timeout_s);
}
