// SPDX-License-Identifier: MIT
/*
 * kmemctl - ask a running kmemd for its state over the control protocol
 * (docs/ctl-protocol.md) and print it the way the kernel prints it.
 *
 *   kmemctl [--socket PATH] [--json] COMMAND [key=value ...]
 *
 * COMMAND is any control command ("kmemctl list" shows them): the views
 * (buddyinfo, zoneinfo, slabinfo, vmallocinfo, meminfo, numastat, vmstat,
 * clients, ...) print their kernel-format text; --json prints the reply's
 * structured form.  key=value pairs become arguments ("kmemctl shrink
 * cache=foo"); a value that parses as an integer is sent as one.
 *
 * Exit status: 0, 1 when kmemd answered with an error, 2 on bad usage or
 * when kmemd cannot be reached.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "kmemctl.h"

#define DEFAULT_CTL_SOCKET	"/run/kmemd/kmemd.ctl"
#define CTL_VERSION		1

static void usage(FILE *f)
{
	fprintf(f, "usage: kmemctl [--socket PATH] [--json] COMMAND [key=value ...]\n"
		   "  COMMAND: a control command; 'kmemctl list' shows them\n"
		   "  --socket PATH  kmemd's control socket (default $KMEMD_CTL_SOCKET, else %s)\n"
		   "  --json         print the reply as JSON\n", DEFAULT_CTL_SOCKET);
}

static int connect_ctl(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "kmemctl: socket path too long: %s\n", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "kmemctl: cannot reach kmemd at %s: %s%s\n", path, strerror(errno),
			errno == ENOENT || errno == ECONNREFUSED ? " (is kmemd running?)" : "");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Read one newline-terminated reply. Return: malloc()ed text or NULL. */
static char *read_reply(int fd)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	ssize_t n;

	while (buf) {
		if (len + 1 == cap) {
			char *bigger = realloc(buf, cap * 2);

			if (!bigger)
				break;
			buf = bigger;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (memchr(buf + len - (size_t)n, '\n', (size_t)n)) {
			buf[len] = '\0';
			return buf;
		}
	}
	free(buf);
	return NULL;
}

static json_t *arg_value(const char *v)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(v, &end, 0);
	if (*v && !*end && !errno)
		return json_integer(n);
	return json_string(v);
}

json_t *kmemctl_request(const char *sock_path, json_t *req, int *status)
{
	json_t *reply, *err, *version;
	json_error_t jerr;
	char *line, *replytext;
	int fd;

	*status = KMEMCTL_EXIT_USAGE;
	fd = connect_ctl(sock_path);
	if (fd < 0)
		return NULL;
	line = json_dumps(req, JSON_COMPACT);
	if (!line || dprintf(fd, "%s\n", line) < 0) {
		fprintf(stderr, "kmemctl: cannot send the request: %s\n", strerror(errno));
		free(line);
		close(fd);
		return NULL;
	}
	free(line);
	replytext = read_reply(fd);
	close(fd);
	if (!replytext) {
		fprintf(stderr, "kmemctl: kmemd closed the connection without a reply\n");
		return NULL;
	}
	reply = json_loads(replytext, 0, &jerr);
	if (!json_is_object(reply)) {
		fprintf(stderr, "kmemctl: kmemd's reply is not a JSON object: %s\n", jerr.text);
		json_decref(reply);
		free(replytext);
		return NULL;
	}
	free(replytext);
	version = json_object_get(reply, "version");
	if (!json_is_integer(version) || json_integer_value(version) != CTL_VERSION) {
		if (json_is_integer(version))
			fprintf(stderr, "kmemctl: protocol version mismatch: kmemd speaks %lld, "
				"kmemctl %d\n", (long long)json_integer_value(version), CTL_VERSION);
		else
			fprintf(stderr, "kmemctl: protocol version mismatch: kmemd sent no version, "
				"kmemctl speaks %d\n", CTL_VERSION);
		json_decref(reply);
		return NULL;
	}
	err = json_object_get(reply, "error");
	if (err) {
		json_t *msg = json_object_get(err, "message");

		fprintf(stderr, "kmemctl: %s\n", json_is_string(msg) ? json_string_value(msg) :
								       "kmemd refused the request");
		json_decref(reply);
		*status = KMEMCTL_EXIT_REFUSED;
		return NULL;
	}
	*status = KMEMCTL_EXIT_OK;
	return reply;
}

int main(int argc, char **argv)
{
	const char *path = getenv("KMEMD_CTL_SOCKET");
	json_t *req, *reply, *text;
	bool as_json = false;
	int i = 1, status;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--json")) {
			as_json = true;
		} else if (!strcmp(argv[i], "--socket") && i + 1 < argc) {
			path = argv[++i];
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	if (!path)
		path = DEFAULT_CTL_SOCKET;
	if (!strcmp(argv[i], "top"))
		return kmemctl_top(path, argc - i, argv + i);
	req = json_pack("{s:s}", "cmd", argv[i]);
	for (i++; i < argc; i++) {
		char *eq = strchr(argv[i], '=');

		if (!eq || eq == argv[i]) {
			fprintf(stderr, "kmemctl: argument '%s' is not key=value\n", argv[i]);
			return 2;
		}
		*eq = '\0';
		json_object_set_new(req, argv[i], arg_value(eq + 1));
	}
	reply = kmemctl_request(path, req, &status);
	json_decref(req);
	if (!reply)
		return status;
	if (!as_json && json_is_string(text = json_object_get(reply, "text"))) {
		fputs(json_string_value(text), stdout);
	} else {
		json_dumpf(reply, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		putchar('\n');
	}
	json_decref(reply);
	return 0;
}
