// SPDX-License-Identifier: MIT
/*
 * kmemctl top - a live, full-screen view of a running kmemd, refreshed
 * every few seconds like top(1) and slabtop(1) (docs/kmemctl-top.md).
 *
 *	kmemctl_top()
 *	  kmemctl_request("info")	the one-shot path: no daemon, permission
 *					denied or a version mismatch end here with
 *					kmemctl's usual line and status
 *	  conn_open()			one control connection for the whole run
 *	  loop:
 *	    sample()			meminfo, zoneinfo, numastat, vmstat,
 *					slabinfo, clients over that connection
 *					(reconnects once if it broke; if that fails
 *					too, kmemd went away: exit 2)
 *	    render()			the frame from this sample and the one
 *					before: every rate is a per-second delta
 *					that we compute, kmemd keeps no rates
 *	    wait_input()		keys, signals and resizes until the next
 *					refresh is due
 *
 * The terminal: plain ANSI sequences (alternate screen, cursor hidden,
 * cursor home + erase to end of line) and termios without ICANON/ECHO, so
 * any terminal will do.  ISIG stays on: Ctrl-C, Ctrl-\ and Ctrl-Z arrive as
 * signals, which are blocked and read from a signalfd together with
 * SIGTERM, SIGHUP, SIGWINCH and SIGCONT, so the loop handles them one at a
 * time and nothing runs in a handler.  term_restore() puts the terminal
 * back; every way out calls it: q, a quitting signal, Ctrl-Z (until
 * SIGCONT), kmemd going away, any error return, exit() (atexit) and the
 * fatal signals (a handler, where it only calls write() and tcsetattr(),
 * both async-signal-safe).
 *
 * Batch mode (-b, or stdout not a terminal): no terminal control at all;
 * whole frames, every slab cache, separated by a blank line.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "kmemctl.h"

#define CTL_VERSION		1
#define REPLY_TIMEOUT_MS	5000	/* a reply slower than this: kmemd is stuck */
#define MIN_DELAY		0.01	/* seconds; below it the loop would only spin */
#define LINE_MAX_BYTES		1024
#define ROOMY_ROWS		40	/* fewer rows: no blank lines, no node totals */

/* Alternate screen, cursor hidden, screen cleared; and back. */
#define TERM_ENTER	"\033[?1049h\033[?25l\033[2J"
#define TERM_LEAVE	"\033[0m\033[?25h\033[?1049l"

enum view { V_MEMINFO, V_ZONEINFO, V_NUMASTAT, V_VMSTAT, V_SLABINFO, V_CLIENTS, NR_VIEWS };

/* The command that asks for each view; its result field has the same name. */
static const char *const view_cmd[NR_VIEWS] = {
	[V_MEMINFO] = "meminfo",   [V_ZONEINFO] = "zoneinfo", [V_NUMASTAT] = "numastat",
	[V_VMSTAT] = "vmstat",	   [V_SLABINFO] = "slabinfo", [V_CLIENTS] = "clients",
};

/* One refresh: every view's whole reply, and when it was asked for. */
struct sample {
	double t;			/* CLOCK_MONOTONIC, seconds */
	json_t *reply[NR_VIEWS];	/* NULL: no sample yet */
};

/* slabtop's sort keys, and two of our own ('z' active size, 'r' objs/s). */
enum sort_key {
	SORT_ASIZE, SORT_OBJS, SORT_ACTIVE, SORT_OBJSIZE, SORT_CSIZE, SORT_NAME, SORT_USE,
	SORT_SLABS, SORT_RATE, NR_SORTS
};

static const struct {
	char key;
	const char *what;
} sorts[NR_SORTS] = {
	[SORT_ASIZE] = { 'z', "active size" },	[SORT_OBJS] = { 'o', "objects" },
	[SORT_ACTIVE] = { 'a', "active objects" }, [SORT_OBJSIZE] = { 's', "object size" },
	[SORT_CSIZE] = { 'c', "cache size" },	[SORT_NAME] = { 'n', "name" },
	[SORT_USE] = { 'u', "use" },		[SORT_SLABS] = { 'l', "slabs" },
	[SORT_RATE] = { 'r', "objs/s" },
};

struct top {
	const char *sock_path;
	double delay;			/* seconds between refreshes */
	long iterations;		/* 0: until q */
	bool batch;
	bool keys;			/* stdin is a terminal we read keys from */
	enum sort_key sort;
	long page_size;
	int nr_nodes;

	int fd;				/* the control connection, -1 when closed */
	char *rbuf;			/* reply bytes read so far */
	size_t rlen, rcap;

	int sigfd;			/* -1 in batch mode */
	unsigned short rows, cols;
	struct sample prev, cur;
};

/* A frame being built: lines clipped to the terminal in interactive mode. */
struct frame {
	char *buf;
	size_t len, cap;
	bool oom;
	bool tty;
	int lines, max_lines;		/* max_lines 0: no limit (batch) */
	int cols;			/* 0: no limit */
	bool roomy;			/* blank lines between panels, node totals */
};

/* ------------------------------------------------------------ terminal */

/* What term_restore() needs, global because the fatal-signal handler needs it too. */
static struct {
	volatile sig_atomic_t active;	/* TERM_ENTER written, TERM_LEAVE not yet */
	bool raw;			/* stdin's termios changed */
	struct termios saved;
} term;

static int write_all(int fd, const char *s, size_t len)
{
	while (len) {
		ssize_t n = write(fd, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Async-signal-safe: called from the fatal-signal handler as well. */
static void term_restore(void)
{
	if (!term.active)
		return;
	term.active = 0;
	write_all(STDOUT_FILENO, TERM_LEAVE, sizeof(TERM_LEAVE) - 1);
	if (term.raw)
		tcsetattr(STDIN_FILENO, TCSADRAIN, &term.saved);
}

static void fatal_signal(int sig)
{
	term_restore();
	raise(sig);	/* SA_RESETHAND: the default action now */
}

static int term_setup(struct top *t)
{
	static bool handlers;
	struct termios raw;

	if (!handlers) {
		static const int fatal[] = { SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL };
		struct sigaction sa = { .sa_handler = fatal_signal, .sa_flags = SA_RESETHAND };
		size_t i;

		for (i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
			sigaction(fatal[i], &sa, NULL);
		atexit(term_restore);
		handlers = true;
	}
	term.raw = false;
	if (t->keys) {
		raw = term.saved;
		/* ISIG stays: Ctrl-C and Ctrl-Z come as signals (see the top comment) */
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		raw.c_oflag &= ~(tcflag_t)OPOST;	/* frames end lines with \r\n themselves */
		raw.c_cc[VMIN] = 1;
		raw.c_cc[VTIME] = 0;
		if (tcsetattr(STDIN_FILENO, TCSADRAIN, &raw)) {
			fprintf(stderr, "kmemctl: cannot set the terminal's mode: %s\n",
				strerror(errno));
			return -1;
		}
		term.raw = true;
	}
	term.active = 1;
	if (write_all(STDOUT_FILENO, TERM_ENTER, sizeof(TERM_ENTER) - 1)) {
		term_restore();
		fprintf(stderr, "kmemctl: cannot write to the terminal: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static void term_size(struct top *t)
{
	struct winsize ws;

	if (!ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_row && ws.ws_col) {
		/* at least a line of frame and the key line, however small the window */
		t->rows = ws.ws_row < 2 ? 2 : ws.ws_row;
		t->cols = ws.ws_col;
	} else {
		t->rows = 24;
		t->cols = 80;
	}
}

/* --------------------------------------------------- control connection */

static void conn_close(struct top *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	t->rlen = 0;
}

static int conn_open(struct top *t, char *why, size_t len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (strlen(t->sock_path) >= sizeof(sa.sun_path)) {
		snprintf(why, len, "socket path too long: %s", t->sock_path);
		return -1;
	}
	strcpy(sa.sun_path, t->sock_path);
	t->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (t->fd < 0 || connect(t->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		snprintf(why, len, "cannot connect to %s: %s", t->sock_path, strerror(errno));
		conn_close(t);
		return -1;
	}
	return 0;
}

/* Read until a newline.  Return: the line (in t->rbuf, NUL-terminated) or NULL. */
static char *conn_read_line(struct top *t, char *why, size_t len)
{
	for (;;) {
		struct pollfd p = { .fd = t->fd, .events = POLLIN };
		char *nl = t->rlen ? memchr(t->rbuf, '\n', t->rlen) : NULL;
		ssize_t n;

		if (nl) {
			*nl = '\0';
			return t->rbuf;
		}
		if (t->rlen + 1 >= t->rcap) {
			size_t cap = t->rcap ? t->rcap * 2 : 65536;
			char *bigger = realloc(t->rbuf, cap);

			if (!bigger) {
				snprintf(why, len, "out of memory for a reply");
				return NULL;
			}
			t->rbuf = bigger;
			t->rcap = cap;
		}
		n = poll(&p, 1, REPLY_TIMEOUT_MS);
		if (n == 0) {
			snprintf(why, len, "no reply within %d s", REPLY_TIMEOUT_MS / 1000);
			return NULL;
		}
		if (n > 0)
			n = read(t->fd, t->rbuf + t->rlen, t->rcap - t->rlen - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n)
				snprintf(why, len, "reading from it failed: %s", strerror(errno));
			else
				snprintf(why, len, "it closed the connection");
			return NULL;
		}
		t->rlen += (size_t)n;
	}
}

enum call_result { CALL_OK, CALL_BROKEN, CALL_MISMATCH };

/*
 * One request and its reply over the open connection.  An error reply is
 * CALL_OK: the view shows kmemd's message and the other views go on.
 */
static enum call_result conn_call(struct top *t, const char *cmd, json_t **reply, char *why,
				  size_t len)
{
	char line[64];
	json_error_t jerr;
	json_t *version;
	char *text;
	int n;

	n = snprintf(line, sizeof(line), "{\"cmd\":\"%s\"}\n", cmd);
	if (t->fd < 0 || send(t->fd, line, (size_t)n, MSG_NOSIGNAL) != n) {
		snprintf(why, len, "sending to it failed: %s",
			 t->fd < 0 ? "not connected" : strerror(errno));
		return CALL_BROKEN;
	}
	text = conn_read_line(t, why, len);
	if (!text)
		return CALL_BROKEN;
	*reply = json_loads(text, 0, &jerr);
	/* the rest of the buffer is whatever followed the newline: nothing, normally */
	n = (int)(strlen(text) + 1);
	memmove(t->rbuf, t->rbuf + n, t->rlen - (size_t)n);
	t->rlen -= (size_t)n;
	if (!json_is_object(*reply)) {
		json_decref(*reply);
		snprintf(why, len, "its reply to %s is not a JSON object: %s", cmd, jerr.text);
		return CALL_BROKEN;
	}
	version = json_object_get(*reply, "version");
	if (!json_is_integer(version) || json_integer_value(version) != CTL_VERSION) {
		json_decref(*reply);
		snprintf(why, len, "protocol version mismatch: kmemd speaks %lld, kmemctl %d",
			 json_is_integer(version) ? (long long)json_integer_value(version) : -1LL,
			 CTL_VERSION);
		return CALL_MISMATCH;
	}
	return CALL_OK;
}

/* ------------------------------------------------------------- sampling */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sample_release(struct sample *s)
{
	int v;

	for (v = 0; v < NR_VIEWS; v++) {
		json_decref(s->reply[v]);
		s->reply[v] = NULL;
	}
}

/*
 * Every view into t->cur (the last sample moves to t->prev).  A broken
 * connection is reopened once and the request repeated; kmemd restarted
 * by systemd meanwhile is fine (its counters start again, and the rates
 * show "-" where a counter went back).  Return: 0, or the exit status after
 * printing why (the terminal restored first).
 */
static int sample(struct top *t)
{
	char why[256], again[256];
	int v;

	sample_release(&t->prev);
	t->prev = t->cur;
	memset(&t->cur, 0, sizeof(t->cur));
	t->cur.t = now_s();
	for (v = 0; v < NR_VIEWS; v++) {
		enum call_result r = conn_call(t, view_cmd[v], &t->cur.reply[v], why, sizeof(why));
		const char *last = why;

		if (r == CALL_BROKEN) {
			conn_close(t);
			last = again;
			if (conn_open(t, again, sizeof(again)) == 0)
				r = conn_call(t, view_cmd[v], &t->cur.reply[v], again,
					      sizeof(again));
			if (r == CALL_BROKEN) {
				term_restore();
				fprintf(stderr, "kmemctl: kmemd went away: %s; then %s\n", why, again);
				return 2;
			}
		}
		if (r == CALL_MISMATCH) {
			term_restore();
			fprintf(stderr, "kmemctl: %s\n", last);
			return 2;
		}
	}
	return 0;
}

/* The view's result, or NULL when kmemd answered an error (see view_error()). */
static json_t *view_data(const struct sample *s, enum view v)
{
	if (!s->reply[v] || json_object_get(s->reply[v], "error"))
		return NULL;
	return json_object_get(s->reply[v], view_cmd[v]);
}

static const char *view_error(const struct sample *s, enum view v)
{
	json_t *err = s->reply[v] ? json_object_get(s->reply[v], "error") : NULL;
	json_t *msg = json_object_get(err, "message");

	if (json_is_string(msg))
		return json_string_value(msg);
	if (json_is_string(err))
		return json_string_value(err);
	return err ? "error" : "no reply";
}

static long long jint(json_t *obj, const char *key)
{
	return json_integer_value(json_object_get(obj, key));
}

/* The element of @arr whose "node" (and "zone" if not NULL) match. */
static json_t *find_node(json_t *arr, long long node, const char *zone)
{
	size_t i;
	json_t *e;

	json_array_foreach(arr, i, e) {
		if (jint(e, "node") != node)
			continue;
		if (!zone || !strcmp(json_string_value(json_object_get(e, "zone")) ?: "", zone))
			return e;
	}
	return NULL;
}

/* The @nth (from 0) cache called @name in @arr: names may repeat. */
static json_t *find_cache(json_t *arr, const char *name, int nth)
{
	size_t i;
	json_t *e;

	json_array_foreach(arr, i, e) {
		const char *n = json_string_value(json_object_get(e, "name"));

		if (n && !strcmp(n, name) && nth-- == 0)
			return e;
	}
	return NULL;
}

static double elapsed(const struct top *t)
{
	return t->prev.reply[0] ? t->cur.t - t->prev.t : 0;
}

/*
 * Per second, of a counter that only grows: NAN without an earlier value
 * or when it went back (kmemd restarted between the samples).
 */
static double counter_rate(const struct top *t, long long before, long long now, bool have)
{
	double dt = elapsed(t);

	if (!have || dt <= 0 || now < before)
		return NAN;
	return (double)(now - before) / dt;
}

/* Per second, of a level that moves both ways (free pages, active objects). */
static double level_rate(const struct top *t, long long before, long long now, bool have)
{
	double dt = elapsed(t);

	if (!have || dt <= 0)
		return NAN;
	return (double)(now - before) / dt;
}

/* A field of the matching per-node element in the previous sample. */
static bool prev_node_field(const struct top *t, enum view v, json_t *cur, const char *key,
			    long long *val)
{
	json_t *e = find_node(view_data(&t->prev, v), jint(cur, "node"), NULL);

	if (!e || !json_is_integer(json_object_get(e, key)))
		return false;
	*val = jint(e, key);
	return true;
}

static double node_rate(const struct top *t, enum view v, json_t *cur, const char *key)
{
	long long before = 0;
	bool have = prev_node_field(t, v, cur, key, &before);

	return counter_rate(t, before, jint(cur, key), have);
}

/* Σ @key over a per-node array, and whether @s had the view at all. */
static bool sum_field(const struct sample *s, enum view v, const char *key, long long *sum)
{
	json_t *arr = view_data(s, v), *e;
	size_t i;

	*sum = 0;
	json_array_foreach(arr, i, e)
		*sum += jint(e, key);
	return json_is_array(arr);
}

static double total_rate(const struct top *t, enum view v, const char *key, bool level)
{
	long long before, now;
	bool have = sum_field(&t->prev, v, key, &before) && sum_field(&t->cur, v, key, &now);

	return level ? level_rate(t, before, now, have) : counter_rate(t, before, now, have);
}

/* -------------------------------------------------------------- frames */

static void frame_put(struct frame *f, const char *s, size_t len)
{
	if (f->oom)
		return;
	if (f->len + len + 1 > f->cap) {
		size_t cap = (f->cap ? f->cap : 16384) * 2;
		char *bigger;

		while (cap < f->len + len + 1)
			cap *= 2;
		bigger = realloc(f->buf, cap);
		if (!bigger) {
			f->oom = true;
			return;
		}
		f->buf = bigger;
		f->cap = cap;
	}
	memcpy(f->buf + f->len, s, len);
	f->len += len;
	f->buf[f->len] = '\0';
}

static void frame_puts(struct frame *f, const char *s)
{
	frame_put(f, s, strlen(s));
}

static bool frame_full(const struct frame *f)
{
	return f->max_lines && f->lines >= f->max_lines;
}

/*
 * Cache names come from clients and error messages from kmemd: a control
 * character in them must not reach the terminal.  On a terminal, non-ASCII
 * goes too, so that a byte is a column and clipping stays exact.
 */
static void sanitize(char *s, size_t len, bool tty)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f || (tty && c >= 0x80))
			s[i] = '?';
	}
}

/* One line, clipped to the terminal's width; @reverse: a header bar. */
static void __attribute__((format(printf, 3, 4)))
emit(struct frame *f, bool reverse, const char *fmt, ...)
{
	char line[LINE_MAX_BYTES];
	va_list ap;
	int n;

	if (frame_full(f))
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	sanitize(line, (size_t)n, f->tty);
	if (!f->tty) {
		frame_put(f, line, (size_t)n);
		frame_puts(f, "\n");
		f->lines++;
		return;
	}
	if (f->cols && n > f->cols)
		n = f->cols;
	if (f->lines)
		frame_puts(f, "\r\n");
	if (reverse) {
		frame_puts(f, "\033[7m");
		frame_put(f, line, (size_t)n);
		for (; n < f->cols; n++)	/* the bar spans the screen */
			frame_puts(f, " ");
		frame_puts(f, "\033[0m");
	} else {
		frame_put(f, line, (size_t)n);
	}
	frame_puts(f, "\033[K");
	f->lines++;
}

/* "-" for an unknown rate. */
static const char *fmt_rate(char *buf, size_t len, double r, bool sign)
{
	if (isnan(r))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, sign ? "%+.1f" : "%.1f", r);
	return buf;
}

static void render_summary(struct top *t, struct frame *f)
{
	json_t *mi = view_data(&t->cur, V_MEMINFO), *cl = view_data(&t->cur, V_CLIENTS), *e;
	char r[6][32], when[16];
	long long slab_before, slab_now;
	bool have_slab;
	time_t wall = time(NULL);
	struct tm tm;
	size_t i;

	localtime_r(&wall, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	emit(f, false, "kmemctl top - %s  kmemd %s  %d node%s  every %gs  sort: %s", when,
	     t->sock_path, t->nr_nodes, t->nr_nodes == 1 ? "" : "s", t->delay,
	     sorts[t->sort].what);
	if (mi) {
		long long total = jint(mi, "MemTotal"), free = jint(mi, "MemFree");

		emit(f, false,
		     "Memory: %lld kB total, %lld kB free (%.1f%%), %lld kB available; "
		     "slab %lld kB (%lld reclaimable); vmalloc %lld kB",
		     total, free, total ? 100.0 * (double)free / (double)total : 0.0,
		     jint(mi, "MemAvailable"), jint(mi, "Slab"), jint(mi, "SReclaimable"),
		     jint(mi, "VmallocUsed"));
	} else {
		emit(f, false, "Memory: meminfo: %s", view_error(&t->cur, V_MEMINFO));
	}
	if (cl) {
		int attached = 0, connected = 0, gone = 0, other = 0;

		json_array_foreach(cl, i, e) {
			const char *st = json_string_value(json_object_get(e, "state")) ?: "";

			if (!strcmp(st, "attached"))
				attached++;
			else if (!strcmp(st, "connected"))
				connected++;
			else if (!strcmp(st, "gone"))
				gone++;
			else
				other++;
		}
		emit(f, false, "Clients: %d attached, %d connected, %d gone%s", attached,
		     connected, gone, other ? " (and others)" : "");
	} else {
		emit(f, false, "Clients: %s", view_error(&t->cur, V_CLIENTS));
	}

	/* pages allocated: every allocation counts once as a hit or a miss */
	{
		double hit = total_rate(t, V_NUMASTAT, "numa_hit", false);
		double miss = total_rate(t, V_NUMASTAT, "numa_miss", false);

		fmt_rate(r[0], sizeof(r[0]), hit + miss, false);
	}
	fmt_rate(r[1], sizeof(r[1]), total_rate(t, V_ZONEINFO, "free", true), true);
	have_slab = sum_field(&t->prev, V_SLABINFO, "active_objs", &slab_before) &&
		    sum_field(&t->cur, V_SLABINFO, "active_objs", &slab_now);
	fmt_rate(r[2], sizeof(r[2]), level_rate(t, slab_before, slab_now, have_slab), true);
	fmt_rate(r[3], sizeof(r[3]), total_rate(t, V_VMSTAT, "kswapd_wake", false), false);
	fmt_rate(r[4], sizeof(r[4]),
		 total_rate(t, V_VMSTAT, "pgsteal_kswapd", false) +
			 total_rate(t, V_VMSTAT, "pgsteal_direct", false),
		 false);
	fmt_rate(r[5], sizeof(r[5]), total_rate(t, V_VMSTAT, "allocstall", false), false);
	emit(f, false,
	     "Rates/s: allocations %s, free pages %s, slab objects %s, kswapd wakes %s, "
	     "pages reclaimed %s, allocstalls %s",
	     r[0], r[1], r[2], r[3], r[4], r[5]);
}

/* [####......]: @part of @whole, @width cells inside the brackets. */
static const char *bar(char *buf, size_t len, long long part, long long whole, int width)
{
	int fill, i;

	if (width < 1 || (size_t)width + 3 > len)
		width = (int)len - 3;
	fill = whole > 0 ? (int)((double)part * width / (double)whole + 0.5) : 0;
	if (fill > width)
		fill = width;
	buf[0] = '[';
	for (i = 0; i < width; i++)
		buf[1 + i] = i < fill ? '#' : '.';
	buf[1 + width] = ']';
	buf[2 + width] = '\0';
	return buf;
}

#define ZONE_ROW	"%4lld %-7s %9lld %9lld %5.1f%% %6lld %6lld %6lld %6lld "

static void render_zones(struct top *t, struct frame *f)
{
	json_t *zi = view_data(&t->cur, V_ZONEINFO), *e;
	int prefix = snprintf(NULL, 0, ZONE_ROW, 0LL, "", 0LL, 0LL, 0.0, 0LL, 0LL, 0LL, 0LL);
	int width = f->tty ? f->cols - prefix - 2 : 40;	/* 2: the brackets */
	long long node = -1, node_free = 0, node_managed = 0;
	int node_zones = 0;
	char b[128];
	size_t i;

	if (width > 60)
		width = 60;
	emit(f, true, "NODE ZONE         FREE   MANAGED  FREE%%    PCP    MIN    LOW   HIGH "
		      "FREE/MANAGED");
	if (!zi) {
		emit(f, false, "zoneinfo: %s", view_error(&t->cur, V_ZONEINFO));
		return;
	}
	/* zones come node by node; a node with several zones gets a total row */
	for (i = 0; i <= json_array_size(zi); i++) {
		e = json_array_get(zi, i);
		if (node >= 0 && (!e || jint(e, "node") != node)) {
			if (node_zones > 1 && f->roomy)
				emit(f, false, "%4lld %-7s %9lld %9lld %5.1f%% %27s %s", node, "total",
				     node_free, node_managed,
				     100.0 * (double)node_free / (double)node_managed, "",
				     width >= 4 ? bar(b, sizeof(b), node_free, node_managed, width)
						: "");
			node_free = node_managed = 0;
			node_zones = 0;
		}
		if (!e)
			break;
		node = jint(e, "node");
		if (jint(e, "managed") <= 0)	/* an empty zone: nothing to show */
			continue;
		node_zones++;
		node_free += jint(e, "free");
		node_managed += jint(e, "managed");
		emit(f, false, ZONE_ROW "%s", node,
		     json_string_value(json_object_get(e, "zone")) ?: "?", jint(e, "free"),
		     jint(e, "managed"), 100.0 * (double)jint(e, "free") / (double)jint(e, "managed"),
		     jint(e, "pcp_count"), jint(e, "min"), jint(e, "low"), jint(e, "high"),
		     width >= 4 ? bar(b, sizeof(b), jint(e, "free"), jint(e, "managed"), width) : "");
	}
}

static void render_numa(struct top *t, struct frame *f)
{
	static const char *const keys[] = { "numa_hit",	  "numa_miss",	"numa_foreign",
					    "interleave_hit", "local_node", "other_node" };
	json_t *ns = view_data(&t->cur, V_NUMASTAT), *e;
	char r[6][32], allocs[32];
	size_t i, k;

	emit(f, true, "NODE  ALLOCS/s  NUMA_HIT/s  NUMA_MISS/s  FOREIGN/s  INTERLEAVE/s"
		      "  LOCAL/s  OTHER/s    NUMA_HIT");
	if (!ns) {
		emit(f, false, "numastat: %s", view_error(&t->cur, V_NUMASTAT));
		return;
	}
	json_array_foreach(ns, i, e) {
		double rate[6];

		for (k = 0; k < 6; k++) {
			rate[k] = node_rate(t, V_NUMASTAT, e, keys[k]);
			fmt_rate(r[k], sizeof(r[k]), rate[k], false);
		}
		fmt_rate(allocs, sizeof(allocs), rate[0] + rate[1], false);
		emit(f, false, "%4lld %9s %11s %12s %10s %13s %8s %8s %11lld", jint(e, "node"),
		     allocs, r[0], r[1], r[2], r[3], r[4], r[5], jint(e, "numa_hit"));
	}
}

static void render_kswapd(struct top *t, struct frame *f)
{
	static const char *const keys[] = { "kswapd_wake",    "pageoutrun",	"pgsteal_kswapd",
					    "pgsteal_direct", "allocstall",	"kswapd_high_wmark_hit" };
	json_t *vs = view_data(&t->cur, V_VMSTAT), *e;
	char r[6][32];
	size_t i, k;

	emit(f, true, "NODE KSWAPD     WAKE/s PAGEOUTRUN/s STEAL_KSWAPD/s STEAL_DIRECT/s "
		      "ALLOCSTALL/s HIGH_WMARK/s   WAKES");
	if (!vs) {
		emit(f, false, "vmstat: %s", view_error(&t->cur, V_VMSTAT));
		return;
	}
	json_array_foreach(vs, i, e) {
		const char *state = !json_is_true(json_object_get(e, "kswapd_present")) ? "absent"
				    : json_is_true(json_object_get(e, "kswapd_running")) ? "running"
											 : "sleeping";

		for (k = 0; k < 6; k++)
			fmt_rate(r[k], sizeof(r[k]), node_rate(t, V_VMSTAT, e, keys[k]), false);
		emit(f, false, "%4lld %-8s %8s %12s %14s %14s %12s %12s %7lld", jint(e, "node"),
		     state, r[0], r[1], r[2], r[3], r[4], r[5], jint(e, "kswapd_wake"));
	}
}

struct slab_row {
	const char *name;
	long long objs, active, objsize, slabs, objperslab, cache_kb, active_kb;
	double rate;			/* Δ active objects per second; NAN: unknown */
};

/* What the slab table is sorted by, largest first (names aside). */
static double sort_value(const struct slab_row *r, enum sort_key key)
{
	switch (key) {
	case SORT_ASIZE:
		return (double)r->active_kb;
	case SORT_OBJS:
		return (double)r->objs;
	case SORT_ACTIVE:
		return (double)r->active;
	case SORT_OBJSIZE:
		return (double)r->objsize;
	case SORT_CSIZE:
		return (double)r->cache_kb;
	case SORT_USE:
		return r->objs ? (double)r->active / (double)r->objs : 0;
	case SORT_SLABS:
		return (double)r->slabs;
	case SORT_RATE:		/* the busiest first, growing or shrinking */
		return isnan(r->rate) ? 0 : r->rate < 0 ? -r->rate : r->rate;
	case SORT_NAME:
	case NR_SORTS:
		break;
	}
	return 0;
}

static int slab_cmp(const void *a, const void *b, void *arg)
{
	const struct slab_row *x = a, *y = b;
	enum sort_key key = *(enum sort_key *)arg;
	double vx = sort_value(x, key), vy = sort_value(y, key);

	if (vx != vy)
		return vx < vy ? 1 : -1;
	return strcmp(x->name, y->name);
}

static void render_slabs(struct top *t, struct frame *f)
{
	json_t *si = view_data(&t->cur, V_SLABINFO), *prev = view_data(&t->prev, V_SLABINFO), *e;
	long long objs = 0, active = 0, cache_kb = 0, active_kb = 0;
	struct slab_row *rows;
	size_t i, n;

	if (!si) {
		emit(f, true, "SLAB");
		emit(f, false, "slabinfo: %s", view_error(&t->cur, V_SLABINFO));
		return;
	}
	n = json_array_size(si);
	rows = calloc(n ? n : 1, sizeof(*rows));
	if (!rows) {
		f->oom = true;
		return;
	}
	json_array_foreach(si, i, e) {
		struct slab_row *r = &rows[i];
		json_t *before;
		size_t j;
		int nth = 0;

		r->name = json_string_value(json_object_get(e, "name")) ?: "?";
		r->objs = jint(e, "num_objs");
		r->active = jint(e, "active_objs");
		r->objsize = jint(e, "objsize");
		r->slabs = jint(e, "num_slabs");
		r->objperslab = jint(e, "objperslab");
		r->cache_kb = r->slabs * jint(e, "pagesperslab") * t->page_size / 1024;
		r->active_kb = r->active * r->objsize / 1024;
		for (j = 0; j < i; j++)
			nth += !strcmp(rows[j].name, r->name);
		before = prev ? find_cache(prev, r->name, nth) : NULL;
		r->rate = level_rate(t, jint(before, "active_objs"), r->active, before != NULL);
		objs += r->objs;
		active += r->active;
		cache_kb += r->cache_kb;
		active_kb += r->active_kb;
	}
	qsort_r(rows, n, sizeof(*rows), slab_cmp, &t->sort);

	emit(f, false, "Slab: %lld / %lld objects active (%.1f%%), %zu caches, %lld kB active / "
		       "%lld kB total",
	     active, objs, objs ? 100.0 * (double)active / (double)objs : 0.0, n, active_kb,
	     cache_kb);
	emit(f, true, "  OBJS ACTIVE  USE OBJ SIZE  SLABS OBJ/SLAB CACHE SIZE ACTIVE SIZE  "
		      "OBJS/s NAME");
	for (i = 0; i < n && !frame_full(f); i++) {
		const struct slab_row *r = &rows[i];
		char rate[32];

		emit(f, false, "%6lld %6lld %3lld%% %7.2fK %6lld %8lld %10lldK %10lldK %7s %s",
		     r->objs, r->active, r->objs ? r->active * 100 / r->objs : 0,
		     (double)r->objsize / 1024.0, r->slabs, r->objperslab, r->cache_kb,
		     r->active_kb, fmt_rate(rate, sizeof(rate), r->rate, true), r->name);
	}
	free(rows);
}

static void separator(struct frame *f)
{
	if (f->roomy)
		emit(f, false, "%s", "");
}

/* The whole frame into @f; in interactive mode the last line is the key help. */
static void render(struct top *t, struct frame *f)
{
	f->len = 0;
	f->lines = 0;
	f->oom = false;
	f->tty = !t->batch;
	f->cols = f->tty ? t->cols : 0;
	f->max_lines = f->tty ? t->rows - 1 : 0;
	/* a short terminal keeps its lines for the slab caches */
	f->roomy = !f->tty || t->rows >= ROOMY_ROWS;
	if (f->tty)
		frame_puts(f, "\033[H");
	render_summary(t, f);
	separator(f);
	render_zones(t, f);
	separator(f);
	render_numa(t, f);
	separator(f);
	render_kswapd(t, f);
	separator(f);
	render_slabs(t, f);
	if (!f->tty)
		return;
	while (!frame_full(f))
		emit(f, false, "%s", "");
	f->max_lines++;
	emit(f, true, "q quit  z o a s c n u l r sort (now: %s)  space refresh",
	     sorts[t->sort].what);
	frame_puts(f, "\033[J");
}

/* ---------------------------------------------------------------- input */

enum action { ACT_REFRESH, ACT_REDRAW, ACT_QUIT };

static int sort_by_key(int c)
{
	int k;

	for (k = 0; k < NR_SORTS; k++)
		if (sorts[k].key == c)
			return k;
	return -1;
}

/*
 * Keys and signals until @deadline (CLOCK_MONOTONIC seconds).  Return what
 * the caller does next; *@status is the exit status for ACT_QUIT.
 */
static enum action wait_input(struct top *t, double deadline, int *status)
{
	for (;;) {
		struct pollfd p[2];
		double left = deadline - now_s();
		int nfds = 0, ms;

		if (left <= 0)
			return ACT_REFRESH;
		ms = (int)(left * 1000) + 1;
		if (t->sigfd >= 0)
			p[nfds++] = (struct pollfd){ .fd = t->sigfd, .events = POLLIN };
		if (t->keys)
			p[nfds++] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
		if (poll(p, (nfds_t)nfds, ms) <= 0)
			continue;
		if (t->sigfd >= 0 && (p[0].revents & POLLIN)) {
			struct signalfd_siginfo si;

			if (read(t->sigfd, &si, sizeof(si)) != sizeof(si))
				continue;
			switch (si.ssi_signo) {
			case SIGWINCH:
				term_size(t);
				return ACT_REDRAW;
			case SIGTSTP:
				/* give the terminal back while stopped */
				term_restore();
				raise(SIGSTOP);
				if (term_setup(t)) {
					*status = 2;
					return ACT_QUIT;
				}
				term_size(t);
				return ACT_REDRAW;
			case SIGCONT:
				return ACT_REDRAW;
			case SIGINT:
				*status = 0;
				return ACT_QUIT;
			default:	/* SIGTERM, SIGHUP, SIGQUIT */
				*status = 128 + (int)si.ssi_signo;
				return ACT_QUIT;
			}
		}
		if (t->keys && (p[nfds - 1].revents & (POLLIN | POLLHUP | POLLERR))) {
			unsigned char keys[64];
			enum action act = ACT_REDRAW;
			ssize_t n = read(STDIN_FILENO, keys, sizeof(keys)), i;

			if (n <= 0) {	/* the terminal hung up */
				t->keys = false;
				continue;
			}
			for (i = 0; i < n; i++) {
				int s = sort_by_key(keys[i]);

				if (keys[i] == 'q' || keys[i] == 'Q') {
					*status = 0;
					return ACT_QUIT;
				}
				if (keys[i] == ' ')
					act = ACT_REFRESH;
				else if (s >= 0)
					t->sort = (enum sort_key)s;
			}
			return act;
		}
	}
}

/* ---------------------------------------------------------------- main */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kmemctl [--socket PATH] top [-d SECONDS] [-n ITERATIONS] [-b] [-s KEY]\n"
		"  A live view of kmemd: memory per node and zone, allocation rates,\n"
		"  kswapd activity and the slab caches, refreshed like top(1).\n"
		"  -d SECONDS     time between refreshes (default 2; fractions allowed)\n"
		"  -n ITERATIONS  stop after this many refreshes\n"
		"  -b             batch mode: plain frames, a blank line between them, no\n"
		"                 terminal control (the default when stdout is not a terminal)\n"
		"  -s KEY         sort the slab caches by KEY (one of the keys below)\n"
		"keys:\n"
		"  q              quit (so do Ctrl-C and SIGTERM)\n"
		"  space          refresh now\n"
		"  z              sort by active size (objects in use x object size), the default\n"
		"  o              sort by objects\n"
		"  a              sort by active objects\n"
		"  s              sort by object size\n"
		"  c              sort by cache size (slabs x pages per slab)\n"
		"  n              sort by name\n"
		"  u              sort by use (active / objects)\n"
		"  l              sort by slabs\n"
		"  r              sort by active objects gained or lost per second\n"
		"Exit status: 0; 2 on bad usage or when kmemd cannot be reached or goes away.\n");
}

static int parse_args(struct top *t, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	optind = 0;	/* glibc: start over, kmemctl's main may have used getopt */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+d:n:bs:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			errno = 0;
			t->delay = strtod(optarg, &end);
			if (errno || end == optarg || *end || !isfinite(t->delay) ||
			    t->delay < MIN_DELAY) {
				fprintf(stderr, "kmemctl: top: -d wants seconds >= %g, not '%s'\n",
					MIN_DELAY, optarg);
				return 2;
			}
			break;
		case 'n':
			errno = 0;
			t->iterations = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || t->iterations < 1) {
				fprintf(stderr, "kmemctl: top: -n wants a count >= 1, not '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'b':
			t->batch = true;
			break;
		case 's':
			if (strlen(optarg) != 1 || sort_by_key(optarg[0]) < 0) {
				fprintf(stderr, "kmemctl: top: -s wants one of zoasculr, not '%s'\n",
					optarg);
				return 2;
			}
			t->sort = (enum sort_key)sort_by_key(optarg[0]);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			if (optopt && strchr("dns", optopt))
				fprintf(stderr, "kmemctl: top: -%c wants a value\n", optopt);
			else if (optopt)
				fprintf(stderr, "kmemctl: top: unknown option '-%c' (see kmemctl "
						"top --help)\n", optopt);
			else
				fprintf(stderr, "kmemctl: top: unknown option '%s' (see kmemctl "
						"top --help)\n", argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "kmemctl: top: unexpected argument '%s' (see kmemctl top --help)\n",
			argv[optind]);
		return 2;
	}
	return -1;
}

/* The first request, through kmemctl's own path: its errors, its statuses. */
static int probe(struct top *t)
{
	json_t *req = json_pack("{s:s}", "cmd", "info"), *reply, *info;
	int status = 2;

	if (!req) {
		fprintf(stderr, "kmemctl: out of memory\n");
		return 2;
	}
	reply = kmemctl_request(t->sock_path, req, &status);
	json_decref(req);
	if (!reply)
		return status;
	info = json_object_get(reply, "info");
	t->page_size = jint(info, "page_size") > 0 ? (long)jint(info, "page_size") : 4096;
	t->nr_nodes = (int)jint(info, "nr_nodes");
	json_decref(reply);
	return 0;
}

static int signals_setup(struct top *t)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGWINCH);
	sigaddset(&set, SIGTSTP);
	sigaddset(&set, SIGCONT);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -1;
	t->sigfd = signalfd(-1, &set, SFD_CLOEXEC);
	return t->sigfd < 0 ? -1 : 0;
}

static int run(struct top *t)
{
	struct frame f = { 0 };
	int status = 0;
	long n;

	for (n = 1;; n++) {
		enum action act;

		status = sample(t);
		if (status)
			break;
		for (act = ACT_REDRAW; act == ACT_REDRAW;) {
			render(t, &f);
			if (f.oom) {
				term_restore();
				fprintf(stderr, "kmemctl: out of memory\n");
				status = 2;
				goto out;
			}
			if ((t->batch && n > 1 && write_all(STDOUT_FILENO, "\n", 1)) ||
			    write_all(STDOUT_FILENO, f.buf, f.len)) {
				term_restore();
				fprintf(stderr, "kmemctl: cannot write: %s\n", strerror(errno));
				status = 2;
				goto out;
			}
			if (t->iterations && n >= t->iterations)
				goto out;
			act = wait_input(t, t->cur.t + t->delay, &status);
			if (t->batch)	/* a redraw would repeat the frame */
				act = act == ACT_QUIT ? ACT_QUIT : ACT_REFRESH;
		}
		if (act == ACT_QUIT)
			break;
	}
out:
	free(f.buf);
	return status;
}

int kmemctl_top(const char *sock_path, int argc, char **argv)
{
	struct top t = {
		.sock_path = sock_path, .delay = 2, .sort = SORT_ASIZE, .fd = -1, .sigfd = -1,
	};
	char why[256];
	int status;

	status = parse_args(&t, argc, argv);
	if (status >= 0)
		return status;
	if (!isatty(STDOUT_FILENO))
		t.batch = true;
	status = probe(&t);
	if (status)
		return status;
	if (conn_open(&t, why, sizeof(why))) {
		fprintf(stderr, "kmemctl: %s\n", why);
		return 2;
	}
	if (!t.batch) {
		t.keys = isatty(STDIN_FILENO) && !tcgetattr(STDIN_FILENO, &term.saved);
		if (signals_setup(&t)) {
			fprintf(stderr, "kmemctl: cannot set up signals: %s\n", strerror(errno));
			conn_close(&t);
			return 2;
		}
		term_size(&t);
		if (term_setup(&t)) {
			conn_close(&t);
			return 2;
		}
	}
	status = run(&t);
	term_restore();
	conn_close(&t);
	sample_release(&t.prev);
	sample_release(&t.cur);
	free(t.rbuf);
	if (t.sigfd >= 0)
		close(t.sigfd);
	return status;
}
