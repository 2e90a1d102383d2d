// SPDX-License-Identifier: MIT
/*
 * kmemctl - ask a running kmemd for its state over the control protocol
 * (docs/ctl-protocol.md) and print it the way the kernel prints it; the manual
 * is docs/kmemctl.8.
 *
 *   kmemctl [--socket PATH] [--json] COMMAND [ARGS...] [--json] [--help]
 *
 *	main()			global options, then the command's table entry
 *	  parse_command_opts()	--json, --help, --socket and the command's own options
 *	  cmd->run()		one or more kmemctl_request()s, printed as text or JSON
 *
 * The /proc-style views print the "text" kmemd sends, byte for byte, so the
 * layouts are the daemon's (daemon/ctl.c, libkmem/vmstat.c); what kmemd sends
 * no text for (slabtop, watermarks, info, actions) is laid out here.  --json
 * prints kmemd's reply as it came (its schema: docs/ctl-schema/replies.json).
 *
 * --embedded PID answers the zone views from a process's own segment instead
 * (kmemctl_embedded.c); kmemctl_top.c is the live view.
 *
 * Every error is one "kmemctl: ..." line on stderr.  Exit status: 0; 1 when
 * kmemd refused the request (an unknown cache, a value out of range); 2 on bad
 * usage or when kmemd cannot be reached, lets us in, or speaks our version.
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "escape.h"
#include "kmemctl.h"

#define DEFAULT_CTL_SOCKET	"/run/kmemd/kmemd.ctl"
#define CTL_VERSION		1
#define PAGE_SIZE_BYTES		4096

struct kmemctl {
	const char *sock;
	bool json;
	const char *embedded;	/* --embedded PID */
	char sort_key;		/* slabtop -s */
	long rows;		/* slabtop -n; -1: every cache */
	bool free_orphans;	/* orphans --free */
	long long chmem_enable;	/* chmem -e MIB (0: none) */
	bool chmem_disable;	/* chmem -d */
};

struct command {
	const char *name;
	const char *args;	/* usage after the name */
	const char *summary;	/* one line */
	const char *details;	/* more help, or NULL */
	int (*run)(struct kmemctl *k, const struct command *cmd, int argc, char **argv);
	const char *ctl;	/* the control command a view sends */
	unsigned int min_args, max_args;
	bool slabtop_opts;	/* takes -s KEY, -n N, -o */
	bool orphans_opts;	/* takes --free */
	bool chmem_opts;	/* takes -e MIB, -d */
};

/* --embedded: requests go to kmemctl_embedded.c instead of a socket */
static bool embedded;

static int fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * One error line; return @status for the caller to exit with.  It often
 * quotes the daemon: escaped, so that it stays one line of plain text.
 */
static int fail(int status, const char *fmt, ...)
{
	char msg[1024], esc[KMEM_ESC_SIZE(sizeof(msg))];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kmem_escape(esc, sizeof(esc), msg, sizeof(msg), KMEM_ESC_KEEP_BACKSLASH);
	fprintf(stderr, "kmemctl: %s\n", esc);
	return status;
}

/* ------------------------------------------------------------------ */
/* talking to kmemd                                                    */
/* ------------------------------------------------------------------ */

/* Who may connect, from the socket file itself, for the permission error. */
static void permission_denied(const char *path)
{
	struct stat st;
	struct group *gr;

	if (stat(path, &st)) {
		fail(2, "permission denied on %s: cannot even stat it (%s); only root and the "
		     "users kmemd's configuration allows may connect", path, strerror(errno));
		return;
	}
	gr = getgrgid(st.st_gid);
	fail(2, "permission denied on %s (mode %04o, group %s): connecting takes root or write "
	     "permission on it, then kmemd admits root, its own user and its allowed_users / "
	     "allowed_groups (kmemd.conf)", path, (unsigned int)(st.st_mode & 07777),
	     gr ? gr->gr_name : "?");
}

static int connect_ctl(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fail(2, "socket path too long: %s", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && !connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		return fd;
	if (errno == EACCES || errno == EPERM)
		permission_denied(path);
	else
		fail(2, "cannot reach kmemd at %s: %s%s", path, strerror(errno),
		     errno == ENOENT || errno == ECONNREFUSED ? " (is kmemd running?)" : "");
	if (fd >= 0)
		close(fd);
	return -1;
}

/*
 * @line and a newline, all of it; MSG_NOSIGNAL, since kmemd closes at once on a
 * peer it refuses.  Return: 0 or -errno.
 */
static int send_line(int fd, const char *line)
{
	size_t len = strlen(line), done = 0;
	char nl = '\n';

	while (done < len) {
		ssize_t n = send(fd, line + done, len - done, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		done += (size_t)n;
	}
	while (send(fd, &nl, 1, MSG_NOSIGNAL) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
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

/* @req to kmemd at @sock_path, its reply line back (malloc()ed), or NULL after one error line. */
static char *exchange(const char *sock_path, json_t *req)
{
	char *line, *replytext;
	int fd, sent;

	fd = connect_ctl(sock_path);
	if (fd < 0)
		return NULL;
	line = json_dumps(req, JSON_COMPACT);
	sent = line ? send_line(fd, line) : -ENOMEM;
	free(line);
	/* kmemd may have refused us (and closed) before reading: its line is still there */
	replytext = read_reply(fd);
	close(fd);
	if (!replytext && sent)
		fail(2, "cannot send the request to %s: %s", sock_path, strerror(-sent));
	else if (!replytext)
		fail(2, "kmemd at %s closed the connection without a reply", sock_path);
	return replytext;
}

json_t *kmemctl_request(const char *sock_path, json_t *req, int *status)
{
	json_t *reply, *err, *version;
	json_error_t jerr;
	char *replytext;

	*status = KMEMCTL_EXIT_USAGE;
	replytext = embedded ? kmemctl_embedded_exchange(req) : exchange(sock_path, req);
	if (!replytext)
		return NULL;
	reply = json_loads(replytext, 0, &jerr);
	free(replytext);
	if (!json_is_object(reply)) {
		json_decref(reply);
		fail(2, "kmemd's reply is not a JSON object: %s", jerr.text);
		return NULL;
	}
	err = json_object_get(reply, "error");
	/* kmemd refuses a peer it does not admit before it reads anything: EACCES */
	if (json_is_object(err) &&
	    !strcmp(json_string_value(json_object_get(err, "code")) ?: "", "EACCES")) {
		fail(2, "kmemd at %s refused uid %u: %s (it admits root, its own user and its "
		     "allowed_users / allowed_groups, kmemd.conf)", sock_path,
		     (unsigned int)getuid(),
		     json_string_value(json_object_get(err, "message")) ?: "permission denied");
		json_decref(reply);
		return NULL;
	}
	version = json_object_get(reply, "version");
	if (!json_is_integer(version) || json_integer_value(version) != CTL_VERSION) {
		if (json_is_integer(version))
			fail(2, "protocol version mismatch: kmemd speaks version %"
			     JSON_INTEGER_FORMAT ", kmemctl speaks version %d",
			     json_integer_value(version), CTL_VERSION);
		else
			fail(2, "protocol version mismatch: kmemd sent no version, kmemctl speaks "
			     "version %d", CTL_VERSION);
		json_decref(reply);
		return NULL;
	}
	if (err) {
		json_t *msg = json_object_get(err, "message");

		fail(1, "%s", json_is_string(msg) ? json_string_value(msg) :
						    "kmemd refused the request");
		json_decref(reply);
		*status = KMEMCTL_EXIT_REFUSED;
		return NULL;
	}
	*status = KMEMCTL_EXIT_OK;
	return reply;
}

/* A request of @cmd with no arguments. */
static json_t *request_simple(struct kmemctl *k, const char *cmd, int *status)
{
	json_t *req = json_pack("{s:s}", "cmd", cmd), *reply;

	reply = kmemctl_request(k->sock, req, status);
	json_decref(req);
	return reply;
}

static void print_json(json_t *v)
{
	json_dumpf(v, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	putchar('\n');
}

static long long jint_of(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static const char *jstr_of(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "?";
}

/* A command-line value: an integer when it reads as one, else a string. */
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

/* ------------------------------------------------------------------ */
/* views                                                               */
/* ------------------------------------------------------------------ */

/*
 * Text a daemon sent, for the operator's terminal: lines and tabs kept,
 * every other control byte (an escape sequence) or non-ASCII byte shown
 * as \xNN, whatever the daemon (or a client it quotes) put there.
 */
static void put_text(const char *s, size_t n)
{
	char buf[KMEM_ESC_SIZE(256)];
	size_t done;

	while (n) {
		/* a NUL inside the string is shown too, not taken as its end */
		if (!*s) {
			fputs("\\x00", stdout);
			s++;
			n--;
			continue;
		}
		done = kmem_escape(buf, sizeof(buf), s, n < 256 ? n : 256,
				   KMEM_ESC_KEEP_LINES | KMEM_ESC_KEEP_BACKSLASH);
		fputs(buf, stdout);
		s += done;
		n -= done;
	}
}

/* The views kmemd sends kernel-layout text for: print it as it came. */
static int run_text_view(struct kmemctl *k, const struct command *cmd, int argc, char **argv)
{
	json_t *reply, *text;
	int status;

	reply = request_simple(k, cmd->ctl, &status);
	if (!reply)
		return status;
	text = json_object_get(reply, "text");
	if (k->json || !json_is_string(text))
		print_json(reply);
	else
		put_text(json_string_value(text), json_string_length(text));
	json_decref(reply);
	return 0;
}

static int run_watermarks(struct kmemctl *k, const struct command *cmd, int argc, char **argv)
{
	json_t *reply, *z, *p;
	size_t i, j;
	int status;

	reply = request_simple(k, "watermarks", &status);
	if (!reply)
		return status;
	if (k->json) {
		print_json(reply);
		json_decref(reply);
		return 0;
	}
	printf("%4s %-8s %8s %8s %8s %8s %8s %8s %s\n", "NODE", "ZONE", "MIN", "LOW", "HIGH",
	       "PROMO", "MANAGED", "FREE", "PROTECTION");
	json_array_foreach(json_object_get(reply, "watermarks"), i, z) {
		printf("%4lld %-8s %8lld %8lld %8lld %8lld %8lld %8lld (", jint_of(z, "node"),
		       jstr_of(z, "zone"), jint_of(z, "min"), jint_of(z, "low"), jint_of(z, "high"),
		       jint_of(z, "promo"), jint_of(z, "managed"), jint_of(z, "free"));
		json_array_foreach(json_object_get(z, "protection"), j, p)
			printf("%s%lld", j ? ", " : "", (long long)json_integer_value(p));
		printf(")\n");
	}
	json_decref(reply);
	return 0;
}

static int run_info(struct kmemctl *k, const struct command *cmd, int argc, char **argv)
{
	json_t *reply, *v;
	const char *key;
	int status;

	reply = request_simple(k, "info", &status);
	if (!reply)
		return status;
	if (k->json) {
		print_json(reply);
		json_decref(reply);
		return 0;
	}
	json_object_foreach(json_object_get(reply, "info"), key, v) {
		if (json_is_string(v))
			printf("%-16s %s\n", key, json_string_value(v));
		else if (json_is_boolean(v))
			printf("%-16s %s\n", key, json_is_true(v) ? "yes" : "no");
		else
			printf("%-16s %" JSON_INTEGER_FORMAT "\n", key, json_integer_value(v));
	}
	json_decref(reply);
	return 0;
}

static int run_list(struct kmemctl *k, const struct command *cmd, int argc, char **argv)
{
	json_t *reply, *c;
	size_t i;
	int status;

	reply = request_simple(k, "list", &status);
	if (!reply)
		return status;
	if (k->json)
		print_json(reply);
	else
		json_array_foreach(json_object_get(reply, "commands"), i, c)
			printf("%-14s %s\n", jstr_of(c, "name"), jstr_of(c, "help"));
	json_decref(reply);
	return 0;
}

/* ------------------------------------------------------------------ */
/* slabtop                                                             */
/* ------------------------------------------------------------------ */

struct slab_row {
	const char *name;
	unsigned long long objs, active, objsize, objperslab, pagesperslab, slabs, active_slabs;
	unsigned long long cache_size;	/* bytes */
	unsigned int use;		/* percent */
	json_t *json;
};

static char slabtop_key;

/* The key's value, larger first; -1, 0 or 1 as qsort wants. */
static int cmp_desc(unsigned long long a, unsigned long long b)
{
	return a > b ? -1 : a < b;
}

static int slab_row_cmp(const void *pa, const void *pb)
{
	const struct slab_row *a = pa, *b = pb;
	int c = 0;

	switch (slabtop_key) {
	case 'a': c = cmp_desc(a->active, b->active); break;
	case 'b': c = cmp_desc(a->objperslab, b->objperslab); break;
	case 'c': c = cmp_desc(a->cache_size, b->cache_size); break;
	case 'l': c = cmp_desc(a->slabs, b->slabs); break;
	case 'v': c = cmp_desc(a->active_slabs, b->active_slabs); break;
	case 'o': c = cmp_desc(a->objs, b->objs); break;
	case 'p': c = cmp_desc(a->pagesperslab, b->pagesperslab); break;
	case 's': c = cmp_desc(a->objsize, b->objsize); break;
	case 'u': c = cmp_desc(a->use, b->use); break;
	}
	/* -s n sorts by name; the other keys break ties by name, the same order every run */
	return c ? c : strcmp(a->name, b->name);
}

static double percent(unsigned long long part, unsigned long long whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

struct slab_totals {
	unsigned long long objs, active, slabs, active_slabs, caches, active_caches;
	unsigned long long size, active_size;	/* bytes */
	unsigned long long min, max;		/* object size */
	double avg;
};

static void slab_totals(const struct slab_row *rows, size_t n, struct slab_totals *t)
{
	size_t i;

	memset(t, 0, sizeof(*t));
	t->caches = n;
	for (i = 0; i < n; i++) {
		t->objs += rows[i].objs;
		t->active += rows[i].active;
		t->slabs += rows[i].slabs;
		t->active_slabs += rows[i].active_slabs;
		t->active_caches += rows[i].active > 0;
		t->size += rows[i].objs * rows[i].objsize;
		t->active_size += rows[i].active * rows[i].objsize;
		if (!i || rows[i].objsize < t->min)
			t->min = rows[i].objsize;
		if (rows[i].objsize > t->max)
			t->max = rows[i].objsize;
	}
	t->avg = t->objs ? (double)t->size / (double)t->objs : 0.0;
}

static json_t *slab_totals_json(const struct slab_totals *t, char sort_key)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:I, s:s#}",
			 "active_objs", (json_int_t)t->active, "num_objs", (json_int_t)t->objs,
			 "active_slabs", (json_int_t)t->active_slabs,
			 "num_slabs", (json_int_t)t->slabs,
			 "active_caches", (json_int_t)t->active_caches,
			 "num_caches", (json_int_t)t->caches,
			 "active_size", (json_int_t)t->active_size,
			 "total_size", (json_int_t)t->size, "min_objsize", (json_int_t)t->min,
			 "avg_objsize", t->avg, "max_objsize", (json_int_t)t->max,
			 "sort", &sort_key, (size_t)1);
}

/* What slabtop prints: its summary, then the first @shown rows. */
static void slabtop_text(FILE *f, const struct slab_row *rows, size_t shown,
			 const struct slab_totals *t)
{
	size_t i;

	fprintf(f, " Active / Total Objects (%% used)    : %llu / %llu (%.1f%%)\n", t->active,
		t->objs, percent(t->active, t->objs));
	fprintf(f, " Active / Total Slabs (%% used)      : %llu / %llu (%.1f%%)\n",
		t->active_slabs, t->slabs, percent(t->active_slabs, t->slabs));
	fprintf(f, " Active / Total Caches (%% used)     : %llu / %llu (%.1f%%)\n",
		t->active_caches, t->caches, percent(t->active_caches, t->caches));
	fprintf(f, " Active / Total Size (%% used)       : %.2fK / %.2fK (%.1f%%)\n",
		(double)t->active_size / 1024, (double)t->size / 1024,
		percent(t->active_size, t->size));
	fprintf(f, " Minimum / Average / Maximum Object : %.2fK / %.2fK / %.2fK\n\n",
		(double)t->min / 1024, t->avg / 1024, (double)t->max / 1024);
	fprintf(f, "  OBJS ACTIVE  USE OBJ SIZE  SLABS OBJ/SLAB CACHE SIZE NAME\n");
	for (i = 0; i < shown; i++)
		fprintf(f, "%6llu %6llu %3u%% %7.2fK %6llu %8llu %9lluK %-23s\n", rows[i].objs,
			rows[i].active, rows[i].use, (double)rows[i].objsize / 1024, rows[i].slabs,
			rows[i].objperslab, rows[i].cache_size / 1024, rows[i].name);
}

static int run_slabtop(struct kmemctl *k, const struct command *cmd, int argc, char **argv)
{
	json_t *reply, *caches, *c, *sorted;
	struct slab_totals totals;
	struct slab_row *rows;
	size_t i, n, shown;
	int status;

	reply = request_simple(k, "slabinfo", &status);
	if (!reply)
		return status;
	caches = json_object_get(reply, "slabinfo");
	n = json_array_size(caches);
	rows = calloc(n ? n : 1, sizeof(*rows));
	if (!rows) {
		json_decref(reply);
		return fail(2, "out of memory");
	}
	json_array_foreach(caches, i, c) {
		struct slab_row *r = &rows[i];

		r->json = c;
		r->name = jstr_of(c, "name");
		r->objs = (unsigned long long)jint_of(c, "num_objs");
		r->active = (unsigned long long)jint_of(c, "active_objs");
		r->objsize = (unsigned long long)jint_of(c, "objsize");
		r->objperslab = (unsigned long long)jint_of(c, "objperslab");
		r->pagesperslab = (unsigned long long)jint_of(c, "pagesperslab");
		r->slabs = (unsigned long long)jint_of(c, "num_slabs");
		r->active_slabs = (unsigned long long)jint_of(c, "active_slabs");
		r->cache_size = r->slabs * r->pagesperslab * PAGE_SIZE_BYTES;
		r->use = r->objs ? (unsigned int)(100 * r->active / r->objs) : 0;
	}
	slabtop_key = k->sort_key;
	qsort(rows, n, sizeof(*rows), slab_row_cmp);
	shown = k->rows >= 0 && (size_t)k->rows < n ? (size_t)k->rows : n;
	slab_totals(rows, n, &totals);
	if (!k->json) {
		slabtop_text(stdout, rows, shown, &totals);
	} else {
		/*
		 * The slabinfo reply, its caches in this order, its text what slabtop
		 * prints, and the summary's numbers as "slabtop".
		 */
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);

		if (f) {
			slabtop_text(f, rows, shown, &totals);
			fclose(f);
		}
		sorted = json_array();
		for (i = 0; i < shown; i++)
			json_array_append(sorted, rows[i].json);
		json_object_set_new(reply, "slabtop", slab_totals_json(&totals, k->sort_key));
		json_object_set_new(reply, "text", json_stringn(text ? text : "", len));
		free(text);
		/* last: rows[] pointed into the array this replaces */
		json_object_set_new(reply, "slabinfo", sorted);
		print_json(reply);
	}
	free(rows);
	json_decref(reply);
	return 0;
}

/* ------------------------------------------------------------------ */
/* actions                                                             */
/* ------------------------------------------------------------------ */

static int run_shrink(struct kmemctl *k, const struct command *cmd, int argc, char **argv)
{
	json_t *req = json_pack("{s:s}", "cmd", "shrink"), *reply;
	int status;

	if (argc > 1)
		json_object_set_new(req, "cache", json_string(argv[1]));
	reply = kmemctl_request(k->sock, req, &status);
	json_decref(req);
	if (!reply)
		return status;
	if (k->json)
		print_json(reply);
	else if (argc > 1)
		printf("%s: %lld slab pages given back\n", argv[1], jint_of(reply, "pages"));
	else
		printf("every cache shrunk: %lld slab pages given back, %lld per-CPU pages "
		       "drained\n", jint_of(reply, "pages"), jint_of(reply, "drained"));
	json_decref(reply);
	return 0;
}

/* The objects client CLIENT left in the shared kmalloc caches (or holds now). */
static int run_orphans(struct kmemctl *k, const struct command *cmd, int argc, char **argv)
{
	json_t *req, *reply, *text;
	char *end;
	long long id, limit = 1000;
	int status;

	errno = 0;
	id = strtoll(argv[1], &end, 10);
	if (*end || errno || id <= 0 || id > UINT32_MAX) {
		fail(2, "orphans: CLIENT must be a client id, as \"kmemctl clients\" shows: %s",
		     argv[1]);
		return KMEMCTL_EXIT_USAGE;
	}
	if (argc > 2) {
		limit = strtoll(argv[2], &end, 10);
		if (*end || limit < 0) {
			fail(2, "orphans: LIMIT must be a number >= 0: %s", argv[2]);
			return KMEMCTL_EXIT_USAGE;
		}
	}
	if (k->free_orphans && argc > 2) {
		fail(2, "orphans: --free takes no LIMIT");
		return KMEMCTL_EXIT_USAGE;
	}
	if (k->free_orphans)
		req = json_pack("{s:s, s:I}", "cmd", "orphans.free", "client", (json_int_t)id);
	else
		req = json_pack("{s:s, s:I, s:I}", "cmd", "orphans", "client", (json_int_t)id,
				"limit", (json_int_t)limit);
	reply = kmemctl_request(k->sock, req, &status);
	json_decref(req);
	if (!reply)
		return status;
	if (k->free_orphans) {
		if (k->json)
			print_json(reply);
		else
			printf("client %lld: freed %lld objects (%lld bytes) and %lld large kmalloc "
			       "pages\n", id, jint_of(reply, "objects"), jint_of(reply, "bytes"),
			       jint_of(reply, "pages"));
		json_decref(reply);
		return 0;
	}
	text = json_object_get(reply, "text");
	if (k->json) {
		print_json(reply);
	} else {
		printf("client %lld: %lld objects, %lld bytes in the shared kmalloc caches%s\n", id,
		       jint_of(reply, "objects"), jint_of(reply, "bytes"),
		       json_is_true(json_object_get(reply, "truncated")) ? " (list cut at LIMIT)" :
									 "");
		if (json_is_string(text))
			put_text(json_string_value(text), json_string_length(text));
	}
	json_decref(reply);
	return 0;
}

static int run_drop_pcp(struct kmemctl *k, const struct command *cmd, int argc, char **argv)
{
	json_t *reply;
	int status;

	reply = request_simple(k, "drop-pcp", &status);
	if (!reply)
		return status;
	if (k->json)
		print_json(reply);
	else
		printf("%lld pages moved from the per-CPU lists to the buddy lists\n",
		       jint_of(reply, "pages"));
	json_decref(reply);
	return 0;
}

/* util-linux's chmem: -e MIB [NODE] brings memory online, -d gives back what is free. */
static int run_chmem(struct kmemctl *k, const struct command *cmd, int argc, char **argv)
{
	json_t *req, *reply;
	long long node = 0;
	char *end;
	int status;

	if (!k->chmem_enable == !k->chmem_disable)
		return fail(2, "chmem: -e MIB [NODE] or -d (kmemctl chmem --help)");
	if (argc > 1) {
		node = strtoll(argv[1], &end, 10);
		if (!*argv[1] || *end || node < 0 || k->chmem_disable)
			return fail(2, "chmem: '%s' is not a node for -e", argv[1]);
	}
	if (k->chmem_enable)
		req = json_pack("{s:s,s:I,s:I}", "cmd", "chmem", "enable",
				(json_int_t)k->chmem_enable, "node", (json_int_t)node);
	else
		req = json_pack("{s:s}", "cmd", "chmem");
	reply = kmemctl_request(k->sock, req, &status);
	json_decref(req);
	if (!reply)
		return status;
	if (k->json)
		print_json(reply);
	else if (k->chmem_enable)
		printf("node %lld: %lld sections brought online\n", node,
		       jint_of(reply, "sections_onlined"));
	else
		printf("%lld wholly free sections taken offline\n", jint_of(reply, "sections_offlined"));
	json_decref(reply);
	return 0;
}

/* kmem's tunables are the kernel's vm.* sysctls (and one of its own): take both spellings. */
static const char *tunable_name(const char *key)
{
	return strncmp(key, "vm.", 3) ? key : key + 3;
}

static void print_tunables(json_t *tunables)
{
	const char *key;
	json_t *v;

	json_object_foreach(tunables, key, v)
		printf("%s = %" JSON_INTEGER_FORMAT "\n", key, json_integer_value(v));
}

/* The tunable names a reply knows, for an error line. */
static void tunable_names(json_t *tunables, char *buf, size_t len)
{
	const char *key;
	size_t used = 0;
	json_t *v;

	buf[0] = '\0';
	json_object_foreach(tunables, key, v) {
		int n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", key);

		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
}

static int run_get(struct kmemctl *k, const struct command *cmd, int argc, char **argv)
{
	json_t *reply, *tunables, *v;
	char names[256];
	int status;

	reply = request_simple(k, "tunables.get", &status);
	if (!reply)
		return status;
	tunables = json_object_get(reply, "tunables");
	if (argc > 1 && !(v = json_object_get(tunables, tunable_name(argv[1])))) {
		tunable_names(tunables, names, sizeof(names));
		json_decref(reply);
		return fail(1, "no tunable called \"%s\" (%s)", argv[1], names);
	}
	if (k->json)
		print_json(reply);
	else if (argc > 1)
		printf("%" JSON_INTEGER_FORMAT "\n", json_integer_value(v));
	else
		print_tunables(tunables);
	json_decref(reply);
	return 0;
}

static int run_set(struct kmemctl *k, const struct command *cmd, int argc, char **argv)
{
	const char *key = tunable_name(argv[1]);
	json_t *req, *reply;
	long long value;
	char *end;
	int status;

	errno = 0;
	value = strtoll(argv[2], &end, 0);
	if (!*argv[2] || *end || errno)
		return fail(2, "set: %s: the value must be an integer, not \"%s\"", argv[1],
			    argv[2]);
	req = json_pack("{s:s, s:s, s:I}", "cmd", "tunables.set", "key", key, "value",
			(json_int_t)value);
	reply = kmemctl_request(k->sock, req, &status);
	json_decref(req);
	if (!reply)
		return status;
	if (k->json)
		print_json(reply);
	else
		printf("%s = %lld\n", key, jint_of(json_object_get(reply, "tunables"), key));
	json_decref(reply);
	return 0;
}

/*
 * The injectors' attributes, in the order debugfs lists them; kmemd's fault.set
 * takes every one (daemon/ctl.c), and these are what "fault-inject --help" names.
 */
static const char *const fault_attrs[] = {
	"probability", "interval", "times", "space", "verbose", "verbose_ratelimit_interval_ms",
	"verbose_ratelimit_burst", "task-filter", "ignore-gfp-wait", "cache-filter",
	"ignore-gfp-highmem", "min-order", NULL
};
static const char *const injector_names[] = { "failslab", "fail_page_alloc", NULL };

static void print_attr(const char *name, json_t *v)
{
	if (json_is_boolean(v))
		printf("  %-30s %s\n", name, json_is_true(v) ? "Y" : "N");
	else if (json_is_integer(v))
		printf("  %-30s %" JSON_INTEGER_FORMAT "\n", name, json_integer_value(v));
	else
		printf("  %-30s %s\n", name, json_is_string(v) ? json_string_value(v) : "?");
}

/* Both injectors (or only @which) from a fault.get or fault.set reply. */
static void print_fault(json_t *reply, const char *which)
{
	json_t *fault = json_object_get(reply, "fault"), *stats, *inj, *v;
	const char *const *name, *const *a, *key;
	bool known;

	for (name = injector_names; *name; name++) {
		if (which && strcmp(which, *name))
			continue;
		inj = json_object_get(fault, *name);
		printf("%s\n", *name);
		for (a = fault_attrs; *a; a++)
			if ((v = json_object_get(inj, *a)))
				print_attr(*a, v);
		/* attributes newer than this kmemctl, so that none is hidden */
		json_object_foreach(inj, key, v) {
			for (known = false, a = fault_attrs; *a && !known; a++)
				known = !strcmp(*a, key);
			if (!known)
				print_attr(key, v);
		}
	}
	stats = json_object_get(fault, "stats");
	printf("failures: failslab %lld, fail_page_alloc %lld, total %lld\n",
	       jint_of(stats, "failslab"), jint_of(stats, "fail_page_alloc"),
	       jint_of(stats, "total"));
}

/* ATTR=VALUE's value: Y/N and their spellings as booleans, integers as integers. */
static json_t *fault_value(const char *v)
{
	static const char *const yes[] = { "Y", "y", "yes", "true", "on", NULL };
	static const char *const no[] = { "N", "n", "no", "false", "off", NULL };
	const char *const *w;

	for (w = yes; *w; w++)
		if (!strcmp(v, *w))
			return json_true();
	for (w = no; *w; w++)
		if (!strcmp(v, *w))
			return json_false();
	return arg_value(v);
}

static int run_fault_inject(struct kmemctl *k, const struct command *cmd, int argc, char **argv)
{
	const char *const *name;
	json_t *reply = NULL;
	int i, status;

	if (argc == 1) {
		reply = request_simple(k, "fault.get", &status);
		if (!reply)
			return status;
		if (k->json)
			print_json(reply);
		else
			print_fault(reply, NULL);
		json_decref(reply);
		return 0;
	}
	for (name = injector_names; *name; name++)
		if (!strcmp(*name, argv[1]))
			break;
	if (!*name)
		return fail(2, "fault-inject: no injector \"%s\" (failslab, fail_page_alloc)",
			    argv[1]);
	/* every pair checked before the first is sent, so that bad usage changes nothing */
	for (i = 2; i < argc; i++) {
		char *eq = strchr(argv[i], '=');

		if (!eq || eq == argv[i])
			return fail(2, "fault-inject: \"%s\" is not ATTR=VALUE", argv[i]);
	}
	if (argc == 2)
		reply = request_simple(k, "fault.get", &status);
	for (i = 2; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		json_t *req;

		*eq = '\0';
		req = json_pack("{s:s, s:s, s:s, s:o}", "cmd", "fault.set", "which", argv[1],
				"attr", argv[i], "value", fault_value(eq + 1));
		json_decref(reply);
		reply = kmemctl_request(k->sock, req, &status);
		json_decref(req);
		if (!reply)
			return status;
	}
	if (!reply)
		return status;
	if (k->json)
		print_json(reply);
	else
		print_fault(reply, argv[1]);
	json_decref(reply);
	return 0;
}

/* The generic passthrough scripts have used: any control command, key=value arguments. */
static int run_raw(struct kmemctl *k, const struct command *cmd, int argc, char **argv)
{
	json_t *req = json_pack("{s:s}", "cmd", argv[1]), *reply, *text;
	int i, status;

	for (i = 2; i < argc; i++) {
		char *eq = strchr(argv[i], '=');

		if (!eq || eq == argv[i]) {
			json_decref(req);
			return fail(2, "raw: argument \"%s\" is not key=value", argv[i]);
		}
		*eq = '\0';
		json_object_set_new(req, argv[i], arg_value(eq + 1));
	}
	reply = kmemctl_request(k->sock, req, &status);
	json_decref(req);
	if (!reply)
		return status;
	text = json_object_get(reply, "text");
	if (!k->json && json_is_string(text))
		put_text(json_string_value(text), json_string_length(text));
	else
		print_json(reply);
	json_decref(reply);
	return 0;
}

static int run_top(struct kmemctl *k, const struct command *cmd, int argc, char **argv)
{
	return kmemctl_top(k->sock, argc, argv);
}

/* ------------------------------------------------------------------ */
/* the command line                                                    */
/* ------------------------------------------------------------------ */

#define VIEW(n, s) \
	{ .name = n, .summary = s, .run = run_text_view, .ctl = n }

static const struct command commands[] = {
	VIEW("buddyinfo", "free blocks per order of each zone, as /proc/buddyinfo"),
	{ .name = "pagetypeinfo", .run = run_text_view, .ctl = "pagetypeinfo",
	  .summary = "free blocks per order and migrate type, as /proc/pagetypeinfo",
	  .details = "kmem keeps no migrate types and never moves a page it handed out: every\n"
		     "free block and every page block is counted as Unmovable, the other types\n"
		     "are printed as 0.\n" },
	{ .name = "zoneinfo", .run = run_text_view, .ctl = "zoneinfo",
	  .summary = "every zone's counters, watermarks and per-CPU lists, as /proc/zoneinfo",
	  .details = "Per node and zone: pages free, min, low, high, promo, spanned, present,\n"
		     "managed, protection, and each CPU's page list: count, high, batch.\n" },
	VIEW("slabinfo", "every cache, kmalloc caches included, as /proc/slabinfo 2.1"),
	{ .name = "slabtop", .args = "[-s KEY] [-n N]", .run = run_slabtop,
	  .slabtop_opts = true,
	  .summary = "the slab caches once, as slabtop prints them, sorted",
	  .details = "  -s, --sort KEY  a: active objects, b: objects per slab, c: cache size,\n"
		     "                  l: slabs, v: active slabs, n: name, o: objects (default),\n"
		     "                  p: pages per slab, s: object size, u: use\n"
		     "  -n, --lines N   print the first N caches only\n"
		     "  -o, --once      accepted for slabtop's sake: kmemctl slabtop always\n"
		     "                  runs once (kmemctl top is the live view)\n" },
	VIEW("vmallocinfo", "vmalloc areas, as /proc/vmallocinfo"),
	VIEW("meminfo", "the /proc/meminfo fields that apply to kmem's memory"),
	VIEW("numastat", "NUMA hits and misses per node, as numastat prints them"),
	VIEW("vmstat", "reclaim and memory hotplug counters, as /proc/vmstat"),
	{ .name = "lsmem", .run = run_text_view, .ctl = "lsmem",
	  .summary = "the direct maps' sections (memory blocks), as util-linux's lsmem --all",
	  .details = "Adjacent sections alike in state, removability, node, zone and backing\n"
		     "(hugetlb or shared memory) are one range.  REMOVABLE: online, above the\n"
		     "node's floor and wholly free now.\n" },
	{ .name = "chmem", .args = "-e MIB [NODE] | -d", .run = run_chmem, .max_args = 1,
	  .chmem_opts = true,
	  .summary = "bring memory online, or take every wholly free section offline",
	  .details = "  -e MIB [NODE]  online MIB more on NODE (default 0), within its max_mb\n"
		     "  -d             offline every section that is wholly free, down to each\n"
		     "                 node's floor (direct_mb)\n" },
	VIEW("clients", "the processes attached to kmemd"),
	{ .name = "watermarks", .run = run_watermarks,
	  .summary = "min/low/high/promo watermarks, managed and free pages, protection" },
	{ .name = "info", .run = run_info,
	  .summary = "how the allocator was built: nodes, CPUs, pages, backing" },
	{ .name = "list", .run = run_list,
	  .summary = "kmemd's control commands (what \"kmemctl raw\" can send)" },
	{ .name = "top", .args = "[OPTIONS]", .run = run_top,
	  .summary = "a live full-screen view; q quits (kmemctl top --help)" },
	{ .name = "shrink", .args = "[CACHE]", .run = run_shrink, .max_args = 1,
	  .summary = "shrink CACHE, or drain the per-CPU lists and shrink every cache" },
	{ .name = "orphans", .args = "[--free] CLIENT [LIMIT]", .run = run_orphans, .min_args = 1,
	  .max_args = 2, .orphans_opts = true,
	  .summary = "the kmalloc objects a dead client left allocated, accounted to it",
	  .details = "CLIENT: a client id (kmemctl clients).  Lists address, size and cache of\n"
		     "each object CLIENT allocated from the shared kmalloc caches that no process\n"
		     "has freed, LIMIT of them at most (default 1000), and counts them all.\n"
		     "For a live client, its objects now.\n"
		     "  --free  free them now (a gone client only), with its large kmalloc\n"
		     "          blocks and the caches it created, without waiting for every\n"
		     "          client of its time to go: a live client that still uses one\n"
		     "          of them then uses freed memory\n" },
	{ .name = "drop-pcp", .run = run_drop_pcp,
	  .summary = "return every CPU's per-CPU pages to the buddy lists" },
	{ .name = "fault-inject", .args = "[failslab|fail_page_alloc [ATTR=VALUE ...]]",
	  .run = run_fault_inject, .max_args = 64,
	  .summary = "show both fault injectors, or set attributes of one",
	  .details = "  ATTR (both):          probability, interval, times (-1: no limit), space,\n"
		     "                        verbose, verbose_ratelimit_interval_ms,\n"
		     "                        verbose_ratelimit_burst, task-filter (Y/N),\n"
		     "                        ignore-gfp-wait (Y/N)\n"
		     "  ATTR (failslab):      cache-filter (Y/N)\n"
		     "  ATTR (fail_page_alloc):\n"
		     "                        ignore-gfp-highmem (Y/N), min-order\n"
		     "  VALUE: an integer, or Y/N (yes/no, true/false, on/off). The pairs are\n"
		     "  applied in order; the first one kmemd refuses stops the rest.\n" },
	{ .name = "get", .args = "[KEY]", .run = run_get, .max_args = 1,
	  .summary = "print the tunables (KEY = VALUE), or KEY's value alone",
	  .details = "  KEY: min_free_kbytes, watermark_scale_factor,\n"
		     "       percpu_pagelist_high_fraction, reclaim_timeout_ms\n"
		     "       (a \"vm.\" prefix is accepted)\n" },
	{ .name = "set", .args = "KEY VALUE", .run = run_set, .min_args = 2, .max_args = 2,
	  .summary = "set a tunable; watermarks and per-CPU limits follow at once",
	  .details = "  KEY: as for get; VALUE: a non-negative integer in the tunable's range\n" },
	{ .name = "raw", .args = "COMMAND [key=value ...]", .run = run_raw, .min_args = 1,
	  .max_args = 64,
	  .summary = "send any control command (\"kmemctl list\") with key=value arguments",
	  .details = "A value that reads as an integer is sent as one.  Prints the reply's text\n"
		     "when it has one, else the reply.\n" },
};
#define NR_COMMANDS	(sizeof(commands) / sizeof(commands[0]))

static const char global_usage[] =
	"usage: kmemctl [--socket PATH] [--json] [--embedded PID] COMMAND [ARGS...]\n";

static void usage_all(void)
{
	size_t i;

	fputs(global_usage, stdout);
	printf("\nkmemd's state in the kernel's own layouts; \"kmemctl COMMAND --help\" for one "
	       "command.\n\ncommands:\n");
	for (i = 0; i < NR_COMMANDS; i++)
		printf("  %-13s %s\n", commands[i].name, commands[i].summary);
	printf("\noptions (before or after COMMAND):\n"
	       "  --socket PATH   kmemd's control socket (default: $KMEMD_CTL_SOCKET, else %s)\n"
	       "  --json          print kmemd's reply as JSON (docs/ctl-schema/replies.json)\n"
	       "  --embedded PID  read the zone views of process PID's own allocator, read-only\n"
	       "  -h, --help      this help\n"
	       "\nexit status: 0 ok, 1 kmemd refused the request, 2 bad usage or kmemd not "
	       "reachable\n", DEFAULT_CTL_SOCKET);
}

static void usage_command(const struct command *cmd)
{
	printf("usage: kmemctl [--socket PATH] [--json] %s%s%s\n\n%s\n", cmd->name,
	       cmd->args ? " " : "", cmd->args ? cmd->args : "", cmd->summary);
	if (cmd->details)
		printf("\n%s", cmd->details);
	printf("\nSee kmemctl(8).\n");
}

static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < NR_COMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

/*
 * An option's value: "--opt VALUE", "--opt=VALUE" or "-oVALUE".  Return: the value
 * (and *i moved past it), or NULL when @arg is not @opt.
 */
static const char *opt_value(int argc, char **argv, int *i, const char *shrt, const char *lng,
			     bool *missing)
{
	const char *arg = argv[*i];
	size_t n = strlen(lng);

	*missing = false;
	if ((shrt && !strcmp(arg, shrt)) || !strcmp(arg, lng)) {
		if (*i + 1 >= argc) {
			*missing = true;
			return NULL;
		}
		return argv[++*i];
	}
	if (!strncmp(arg, lng, n) && arg[n] == '=')
		return arg + n + 1;
	if (shrt && !strncmp(arg, shrt, 2) && arg[2])
		return arg + 2;
	return NULL;
}

/* --socket and --json anywhere; --embedded before the command. 1: consumed, -1: error. */
static int global_opt(struct kmemctl *k, int argc, char **argv, int *i)
{
	const char *v;
	bool missing;

	if (!strcmp(argv[*i], "--json")) {
		k->json = true;
		return 1;
	}
	v = opt_value(argc, argv, i, NULL, "--socket", &missing);
	if (v || missing) {
		if (missing || !*v)
			return fail(-1, "--socket needs a PATH");
		k->sock = v;
		return 1;
	}
	v = opt_value(argc, argv, i, NULL, "--embedded", &missing);
	if (v || missing) {
		if (missing || !*v)
			return fail(-1, "--embedded needs a PID");
		k->embedded = v;
		return 1;
	}
	return 0;
}

static bool is_negative_number(const char *s)
{
	return s[0] == '-' && s[1] >= '0' && s[1] <= '9';
}

/*
 * The command's options, wherever they are among its arguments; what is left in
 * argv[1..*argc) are its operands.  Return: -1 to go on, else the exit status.
 */
static int parse_command_opts(struct kmemctl *k, const struct command *cmd, int *argc,
			      char **argv)
{
	int i, out = 1, ret, operands;
	const char *v;
	bool missing, operands_only = false;

	for (i = 1; i < *argc; i++) {
		char *arg = argv[i];

		if (operands_only || arg[0] != '-' || !arg[1] || is_negative_number(arg)) {
			argv[out++] = arg;
			continue;
		}
		if (!strcmp(arg, "--")) {
			operands_only = true;
			continue;
		}
		if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			usage_command(cmd);
			return 0;
		}
		ret = global_opt(k, *argc, argv, &i);
		if (ret < 0)
			return 2;
		if (ret)
			continue;
		if (cmd->slabtop_opts) {
			if ((v = opt_value(*argc, argv, &i, "-s", "--sort", &missing)) || missing) {
				if (missing || strlen(v) != 1 || !strchr("abclvnopsu", v[0]))
					return fail(2, "slabtop: --sort takes one of "
						    "a b c l v n o p s u (kmemctl slabtop --help)");
				k->sort_key = v[0];
				continue;
			}
			v = opt_value(*argc, argv, &i, "-n", "--lines", &missing);
			if (v || missing) {
				char *end;

				errno = 0;
				k->rows = missing ? -1 : strtol(v, &end, 10);
				if (missing || !*v || *end || errno || k->rows < 0)
					return fail(2, "slabtop: --lines takes a number of caches");
				continue;
			}
			if (!strcmp(arg, "-o") || !strcmp(arg, "--once"))
				continue;
		}
		if (cmd->orphans_opts && !strcmp(arg, "--free")) {
			k->free_orphans = true;
			continue;
		}
		if (cmd->chmem_opts) {
			if ((v = opt_value(*argc, argv, &i, "-e", "--enable", &missing)) || missing) {
				char *end;

				errno = 0;
				k->chmem_enable = missing ? 0 : strtoll(v, &end, 10);
				if (missing || !*v || *end || errno || k->chmem_enable <= 0)
					return fail(2, "chmem: --enable takes a size in MiB");
				continue;
			}
			if (!strcmp(arg, "-d") || !strcmp(arg, "--disable")) {
				k->chmem_disable = true;
				continue;
			}
		}
		return fail(2, "%s: unknown option \"%s\" (kmemctl %s --help)", cmd->name, arg,
			    cmd->name);
	}
	*argc = out;
	operands = out - 1;
	if ((unsigned int)operands < cmd->min_args || (unsigned int)operands > cmd->max_args)
		return fail(2, "%s: %s (usage: kmemctl %s%s%s)", cmd->name,
			    (unsigned int)operands < cmd->min_args ? "too few arguments" :
								      "too many arguments",
			    cmd->name, cmd->args ? " " : "", cmd->args ? cmd->args : "");
	return -1;
}

int main(int argc, char **argv)
{
	struct kmemctl k = { .sock = getenv("KMEMD_CTL_SOCKET"), .sort_key = 'o', .rows = -1 };
	const struct command *cmd;
	int i, ret;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage_all();
			return 0;
		}
		ret = global_opt(&k, argc, argv, &i);
		if (ret < 0)
			return 2;
		if (!ret)
			return fail(2, "unknown option \"%s\" (kmemctl --help)", argv[i]);
	}
	if (i >= argc)
		return fail(2, "no command given (kmemctl --help lists them)");
	if (!k.sock || !*k.sock)
		k.sock = DEFAULT_CTL_SOCKET;
	cmd = find_command(argv[i]);
	if (!cmd)
		return fail(2, "unknown command \"%s\" (kmemctl --help lists them; kmemctl raw "
			    "sends any control command)", argv[i]);
	argc -= i;
	argv += i;
	/* top has options of its own: it parses its whole command line */
	if (cmd->run == run_top) {
		if (k.embedded)
			return fail(2, "--embedded: top reads kmemd only");
		return cmd->run(&k, cmd, argc, argv);
	}
	ret = parse_command_opts(&k, cmd, &argc, argv);
	if (ret >= 0)
		return ret;
	if (k.embedded) {
		ret = kmemctl_embedded_open(k.embedded);
		if (ret)
			return ret;
		embedded = true;
	}
	return cmd->run(&k, cmd, argc, argv);
}
