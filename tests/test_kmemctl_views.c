// SPDX-License-Identifier: MIT
/*
 * kmemctl's views against the allocator, black box: the real
 * kmemd (KMEMD_PATH) on two fake NUMA nodes in a temporary directory, an
 * attached client process that runs a known workload and then holds what
 * it allocated, and the real kmemctl (KMEMCTL_PATH), whose text is parsed
 * back and checked against the allocator's own counters:
 *
 *	slabinfo	1000 objects of a named cache: its row, as the client's own
 *			kmem_cache_get_stats() and the JSON reply give it; every
 *			kmalloc cache has a row; the kernel's two header lines
 *	buddyinfo	8 order-3 blocks on node 1: its free pages drop by exactly
 *			64 and come back when they are freed
 *	numastat	the same 8 blocks: numa_hit of node 1 rises by exactly 8,
 *			node 0's does not move
 *	zoneinfo	every field against the JSON reply and the watermarks view;
 *			a pageset per CPU
 *	meminfo		its relations to buddyinfo, slabinfo, zoneinfo, vmallocinfo
 *	vmallocinfo	a 5-page vmalloc from a named call site
 *	clients		the client's pid, uid and command; gone after SIGKILL; what
 *			a dead client left in the shared kmalloc caches
 *
 * Every line is also rebuilt with the kernel's printf format and must come
 * out byte for byte (the kernel's /proc layouts; the parsers are shown to
 * refuse other layouts), and every --json reply is validated against
 * docs/ctl-schema/replies.json by the real jsonschema validator
 * (tests/ctl_schema_check.py), which must also refuse replies with a
 * required field removed or retyped.
 *
 * What cannot be checked here (no python3-jsonschema; a reply field not yet
 * there) is collected and printed as "SKIPPED:" at the end, and only when
 * nothing failed: ctest reads that line before the exit status.
 *
 * Exactness: the daemon allocates nothing by itself once it is idle, and the
 * client does nothing between two commands, so numbers read around one
 * workload step are exact.  Where two views are read one after the other
 * and something might still move (kswapd, a recovery), the first view is
 * read again after the second: only a pair whose bracketing reads agree is
 * compared, exactly (read_stable()).
 */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>
#include <kmem/kmem.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "kmemd_harness.h"
#include "kunit.h"

#if !defined(KMEMD_PATH) || !defined(KMEMCTL_PATH)
#error "KMEMD_PATH, KMEMCTL_PATH: the binaries under test (tests/CMakeLists.txt)"
#endif
#if !defined(KMEM_CTL_SCHEMA) || !defined(KMEM_CTL_SCHEMA_CHECK)
#error "KMEM_CTL_SCHEMA, KMEM_CTL_SCHEMA_CHECK: the schema and its checker"
#endif

#define PYTHON3		"/usr/bin/python3"
#define OUT_LEN		(1u << 20)
#define NR_ORDERS	11
#define MAX_NODES	8
#define VIEWS_CACHE	"kt_views_cache"
#define VIEWS_OBJSIZE	192
#define VIEWS_OBJS	1000
#define NODE1_BLOCKS	8
#define NODE1_ORDER	3
#define VMALLOC_PAGES	5
#define CLIENT_COMM	"kt-views-client"
#define NO_JSONSCHEMA	"python3-jsonschema is missing: the --json replies were not validated"

/* Checks that could not run here; printed as "SKIPPED:" if nothing failed. */
static char skip_reasons[1024];

static void skip(const char *why)
{
	if (strstr(skip_reasons, why))
		return;
	if (skip_reasons[0])
		strncat(skip_reasons, "; ", sizeof(skip_reasons) - strlen(skip_reasons) - 1);
	strncat(skip_reasons, why, sizeof(skip_reasons) - strlen(skip_reasons) - 1);
}

/* ------------------------------------------------------------------ */
/* the daemon and kmemctl                                              */
/* ------------------------------------------------------------------ */

struct daemon {
	struct kh_daemon k;
	char scratch[96];	/* a reply for the schema checker, in k.dir */
};

/* kmemctl [--json] VIEW: the exit status (-1: killed); stdout and stderr in @out. */
static int kmemctl(struct daemon *d, bool json, const char *view, char *out, size_t len)
{
	const char *args[4] = { NULL };
	int status, i = 0;

	if (json)
		args[i++] = "--json";
	if (strchr(view, '.'))
		args[i++] = "raw";	/* tunables.get, fault.get: no subcommand of their own */
	args[i] = view;
	status = kh_kmemctl(&d->k, args, out, len, 60);
	return status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void daemon_stop(struct daemon *d)
{
	if (d->k.pid > 0 && kh_stop(&d->k, SIGTERM) == -1)
		CU_FAIL("kmemd did not stop on SIGTERM");
	kh_remove(&d->k);
}

/* A kh_wait() test: kmemctl --json info gets an answer (@out: OUT_LEN bytes). */
static bool daemon_answers(struct kh_daemon *k, void *out)
{
	static const char *const args[] = { "--json", "info", NULL };
	int status = kh_kmemctl(k, args, out, OUT_LEN, 60);

	return status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/*
 * kmemd on two fake nodes (16 MiB direct map and 8 MiB HIGHMEM each), its
 * sockets in a fresh directory; ready once kmemctl gets an answer.
 */
static bool daemon_start(struct daemon *d)
{
	char *out = malloc(OUT_LEN);
	bool ready;

	memset(d, 0, sizeof(*d));
	if (!out || kh_prepare(&d->k, "/tmp/kmemctl-views.XXXXXX", "views",
			       "fake_numa = 2\nwatchdog = no\n")) {
		free(out);
		return false;
	}
	snprintf(d->scratch, sizeof(d->scratch), "%s/reply.json", d->k.dir);
	/* up to 30 s for the sockets: a bound on a slow machine, not a timing check */
	ready = !kh_spawn(&d->k, KH_FOREGROUND, NULL, NULL) &&
		kh_wait(&d->k, daemon_answers, out, 30000, 100);
	free(out);
	if (!ready) {
		fprintf(stderr, "kmemd did not answer\n");
		kh_print_log(&d->k);
	}
	return ready;
}

/*
 * Validate @reply (one --json output) against $defs[@cmd] with the real
 * validator.  Return: 0 valid, 1 not, 77 when python3-jsonschema is missing,
 * anything else when the check itself failed (tests/ctl_schema_check.py).
 */
static int schema_validate(struct daemon *d, const char *cmd, const char *reply, char *out,
			   size_t len)
{
	char *argv[] = { "python3", KMEM_CTL_SCHEMA_CHECK, KMEM_CTL_SCHEMA, (char *)cmd,
			 d->scratch, NULL };
	FILE *f = fopen(d->scratch, "w");
	int status;
	bool written = f && fputs(reply, f) != EOF;

	if (!f || fclose(f) || !written)
		return 2;
	if (access(PYTHON3, X_OK))
		return 77;
	status = kt_run(PYTHON3, argv, out, len, 60);
	return status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Every --json output goes through here: it must satisfy its schema. */
static void assert_schema(struct daemon *d, const char *cmd, const char *reply)
{
	char out[8192];
	int ret = schema_validate(d, cmd, reply, out, sizeof(out));

	if (ret == 77) {
		skip(NO_JSONSCHEMA);
		return;
	}
	if (ret)
		fprintf(stderr, "\n%s: reply against its schema (exit %d):\n%s\n", cmd, ret, out);
	KT_ASSERT_EQ(ret, 0);
}

/* kmemctl VIEW: its text (free()), NULL when it failed (the failure asserted). */
static char *view_text(struct daemon *d, const char *view)
{
	char *out = malloc(OUT_LEN);
	int ret;

	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	ret = kmemctl(d, false, view, out, OUT_LEN);
	if (ret) {
		fprintf(stderr, "kmemctl %s: exit %d: %s\n", view, ret, out);
		KT_ASSERT_EQ(ret, 0);
		free(out);
		return NULL;
	}
	return out;
}

/* kmemctl --json VIEW, validated against its schema: the reply, NULL on failure. */
static json_t *view_json(struct daemon *d, const char *view)
{
	char *out = malloc(OUT_LEN);
	json_error_t jerr;
	json_t *reply = NULL;
	int ret;

	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	ret = kmemctl(d, true, view, out, OUT_LEN);
	if (ret) {
		fprintf(stderr, "kmemctl --json %s: exit %d: %s\n", view, ret, out);
		KT_ASSERT_EQ(ret, 0);
	} else {
		reply = json_loads(out, 0, &jerr);
		if (!json_is_object(reply))
			fprintf(stderr, "kmemctl --json %s: not a JSON object: %s\n", view,
				jerr.text);
		CU_ASSERT(json_is_object(reply));
		assert_schema(d, view, out);
	}
	free(out);
	return reply;
}

static long long jint(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? json_integer_value(v) : -1;
}

/* The array @key of @reply, NULL (and a failure) if it is not one. */
static json_t *jarray(json_t *reply, const char *key)
{
	json_t *a = json_object_get(reply, key);

	CU_ASSERT(json_is_array(a));
	return json_is_array(a) ? a : NULL;
}

/* Return every CPU's per-CPU pages to the buddy lists (kmemctl drop-pcp). */
static void drop_pcp(struct daemon *d)
{
	json_decref(view_json(d, "drop-pcp"));
}

/* Set while a test feeds the parsers layouts they must refuse: no report then. */
static bool layout_quiet;

/* A line that should have come out as @want but came out as @got. */
static bool same_line(const char *view, const char *got, const char *want)
{
	if (!strcmp(got, want))
		return true;
	if (!layout_quiet)
		fprintf(stderr, "\n%s: layout differs from the kernel's:\n  got:      \"%s\"\n"
			"  expected: \"%s\"\n", view, got, want);
	return false;
}

/* The next line of *@p (NUL-terminated in place), NULL at the end. */
static char *next_line(char **p)
{
	char *line = *p, *nl;

	if (!line || !*line)
		return NULL;
	nl = strchr(line, '\n');
	if (nl) {
		*nl = '\0';
		*p = nl + 1;
	} else {
		*p = line + strlen(line);
	}
	return line;
}

/* Put back the line next_line() just returned. */
static void unread_line(char **p, char *line)
{
	size_t len = strlen(line);

	if (*p == line + len + 1)
		line[len] = '\n';
	*p = line;
}

/* ------------------------------------------------------------------ */
/* the client                                                          */
/* ------------------------------------------------------------------ */

struct client {
	pid_t pid;
	int to, from;	/* command pipe, reply pipe */
};

/* The call site vmallocinfo must name (exported: the test links with -rdynamic). */
noinline void *views_vmalloc_site(void);
noinline void *views_vmalloc_site(void)
{
	char *v = vmalloc(VMALLOC_PAGES * PAGE_SIZE);

	if (v)
		memset(v, 0x5a, VMALLOC_PAGES * PAGE_SIZE);	/* every page populated */
	return v;
}

/* In the client: run one command, write one reply line. */
static void client_do(const char *cmd, int out)
{
	static struct page *blocks[NODE1_BLOCKS];
	static void *objs[VIEWS_OBJS];
	struct kmem_cache_stats st;
	struct kmem_cache *s;
	unsigned int i;

	if (!strcmp(cmd, "cache")) {
		s = kmem_cache_create(VIEWS_CACHE, VIEWS_OBJSIZE, 0, 0, NULL);
		for (i = 0; s && i < VIEWS_OBJS; i++)
			if (!(objs[i] = kmem_cache_alloc(s, GFP_KERNEL)))
				break;
		if (!s || i < VIEWS_OBJS || kmem_cache_get_stats(s, &st)) {
			dprintf(out, "fail cache: %u objects\n", i);
			return;
		}
		dprintf(out, "ok %llu %llu %u %u %u %llu %llu\n",
			(unsigned long long)st.active_objs, (unsigned long long)st.num_objs,
			st.objsize, st.objperslab, st.pagesperslab,
			(unsigned long long)st.active_slabs, (unsigned long long)st.num_slabs);
	} else if (!strcmp(cmd, "pages")) {
		for (i = 0; i < NODE1_BLOCKS; i++) {
			blocks[i] = alloc_pages_node(1, GFP_KERNEL | __GFP_THISNODE, NODE1_ORDER);
			if (!blocks[i] || page_to_nid(blocks[i]) != 1) {
				dprintf(out, "fail block %u: %s\n", i,
					blocks[i] ? "not on node 1" : "NULL");
				return;
			}
		}
		dprintf(out, "ok\n");
	} else if (!strcmp(cmd, "free-pages")) {
		for (i = 0; i < NODE1_BLOCKS; i++)
			__free_pages(blocks[i], NODE1_ORDER);
		dprintf(out, "ok\n");
	} else if (!strcmp(cmd, "vmalloc")) {
		void *v = views_vmalloc_site();
		char *buf = NULL, *p, *line;
		size_t size = 0;
		FILE *f = open_memstream(&buf, &size);
		char start[32];

		/* and the line this process's own kmem_show_vmallocinfo() prints for it */
		if (!v || !f || kmem_show_vmallocinfo(f) || fclose(f)) {
			dprintf(out, "fail vmalloc\n");
			return;
		}
		snprintf(start, sizeof(start), "0x%016lx-", (unsigned long)v);
		for (p = buf; (line = next_line(&p)); )
			if (!strncmp(line, start, strlen(start)))
				break;
		dprintf(out, "ok %s\n", line ? line : "(not in its own vmallocinfo)");
		free(buf);
	} else if (!strcmp(cmd, "kmalloc")) {
		for (i = 0; i < 100; i++)
			if (!kmalloc(64, GFP_KERNEL))
				break;
		dprintf(out, i == 100 ? "ok\n" : "fail kmalloc %u\n", i);
	} else {
		dprintf(out, "fail unknown command %s\n", cmd);
	}
}

/* One line from @fd into @buf (without the newline); false at EOF or after 60 s. */
static bool read_line(int fd, char *buf, size_t len)
{
	size_t used = 0;

	while (used < len - 1) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 60000) <= 0 || read(fd, buf + used, 1) != 1)
			break;
		if (buf[used] == '\n') {
			buf[used] = '\0';
			return true;
		}
		used++;
	}
	buf[used] = '\0';
	return false;
}

/* A process attached to @d, named CLIENT_COMM, that runs the commands it is sent. */
static bool client_start(struct daemon *d, struct client *c)
{
	int cmd[2], reply[2];
	char line[256];

	if (pipe(cmd) || pipe(reply))
		return false;
	fflush(NULL);
	c->pid = fork();
	if (c->pid == 0) {
		close(cmd[1]);
		close(reply[0]);
		prctl(PR_SET_NAME, CLIENT_COMM);
		if (kmem_attach(d->k.sock)) {
			dprintf(reply[1], "fail attach\n");
			_exit(90);
		}
		dprintf(reply[1], "ready\n");
		while (read_line(cmd[0], line, sizeof(line)))
			client_do(line, reply[1]);
		kmem_detach();
		_exit(0);
	}
	close(cmd[0]);
	close(reply[1]);
	c->to = cmd[1];
	c->from = reply[0];
	if (c->pid < 0 || !read_line(c->from, line, sizeof(line)) || strcmp(line, "ready")) {
		fprintf(stderr, "client did not attach: %s\n", line);
		kh_print_log(&d->k);
		return false;
	}
	return true;
}

/* Send @cmd; its reply in @out.  Return: whether it says "ok". */
static bool client_cmd(struct client *c, const char *cmd, char *out, size_t len)
{
	if (dprintf(c->to, "%s\n", cmd) < 0 || !read_line(c->from, out, len)) {
		fprintf(stderr, "client: no reply to %s\n", cmd);
		return false;
	}
	if (strncmp(out, "ok", 2))
		fprintf(stderr, "client: %s: %s\n", cmd, out);
	return !strncmp(out, "ok", 2);
}

/* Kill the client (SIGKILL) and reap it. */
static void client_kill(struct client *c)
{
	if (c->pid <= 0)
		return;
	kill(c->pid, SIGKILL);
	waitpid(c->pid, NULL, 0);
	close(c->to);
	close(c->from);
	c->pid = -1;
}

/* Both up, or a failure recorded and everything given back. */
static bool setup(struct daemon *d, struct client *c)
{
	if (!daemon_start(d)) {
		CU_FAIL("kmemd did not start");
		daemon_stop(d);
		return false;
	}
	if (c && !client_start(d, c)) {
		CU_FAIL("the client did not attach");
		client_kill(c);
		daemon_stop(d);
		return false;
	}
	return true;
}

static void teardown(struct daemon *d, struct client *c)
{
	if (c)
		client_kill(c);
	daemon_stop(d);
}

/* ------------------------------------------------------------------ */
/* parsers: each rebuilds every line with the kernel's format          */
/* ------------------------------------------------------------------ */

struct slab_row {
	char name[64];
	unsigned long long active_objs, num_objs, active_slabs, num_slabs, sharedavail;
	unsigned int objsize, objperslab, limit, batchcount, sharedfactor;
	int pagesperslab;
};

/* /proc/slabinfo 2.1 into @rows; Return: the number of rows, -1 if a line is off. */
static int parse_slabinfo(const char *text, struct slab_row *rows, int max)
{
	static const char *const header[] = {
		"slabinfo - version: 2.1",
		"# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab>"
		" : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs>"
		" <num_slabs> <sharedavail>",
	};
	char *copy = strdup(text), *p = copy, *line, want[512];
	int n = 0, i;
	bool ok = true;

	for (i = 0; i < 2; i++) {
		line = next_line(&p);
		ok &= same_line("slabinfo", line ? line : "(none)", header[i]);
	}
	while (ok && (line = next_line(&p)) && n < max) {
		struct slab_row *r = &rows[n];

		if (sscanf(line, "%63s %llu %llu %u %u %d : tunables %u %u %u"
				 " : slabdata %llu %llu %llu", r->name, &r->active_objs,
			   &r->num_objs, &r->objsize, &r->objperslab, &r->pagesperslab, &r->limit,
			   &r->batchcount, &r->sharedfactor,
			   &r->active_slabs, &r->num_slabs, &r->sharedavail) != 12) {
			ok = same_line("slabinfo", line, "(a cache's row)");
			break;
		}
		/* mm/slab_common.c: cache_show() */
		snprintf(want, sizeof(want), "%-17s %6llu %6llu %6u %4u %4d : tunables %4u %4u %4u"
			 " : slabdata %6llu %6llu %6llu", r->name, r->active_objs, r->num_objs,
			 r->objsize, r->objperslab, r->pagesperslab, r->limit, r->batchcount,
			 r->sharedfactor, r->active_slabs, r->num_slabs, r->sharedavail);
		ok &= same_line("slabinfo", line, want);
		n++;
	}
	free(copy);
	return ok ? n : -1;
}

static const struct slab_row *find_row(const struct slab_row *rows, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(rows[i].name, name))
			return &rows[i];
	return NULL;
}

/*
 * /proc/buddyinfo: per node, the free pages (Σ count[o] << o over its
 * zones) into @free[]; Return: the number of lines, -1 if a line is off.
 */
static int parse_buddyinfo(const char *text, unsigned long long *free_pages, int max_nodes)
{
	char *copy = strdup(text), *p = copy, *line, zone[32], want[512];
	int n = 0, nid, len, o, used;
	bool ok = true;

	memset(free_pages, 0, sizeof(*free_pages) * (size_t)max_nodes);
	while (ok && (line = next_line(&p))) {
		unsigned long long count[NR_ORDERS];
		const char *q;

		if (sscanf(line, "Node %d, zone %31s%n", &nid, zone, &used) != 2 || nid < 0 ||
		    nid >= max_nodes) {
			ok = same_line("buddyinfo", line, "Node N, zone NAME ...");
			break;
		}
		q = line + used;
		/* mm/vmstat.c: frag_show_print() */
		len = snprintf(want, sizeof(want), "Node %d, zone %8s ", nid, zone);
		for (o = 0; o < NR_ORDERS; o++) {
			char *end;

			count[o] = strtoull(q, &end, 10);
			q = end;
			free_pages[nid] += count[o] << o;
			len += snprintf(want + len, sizeof(want) - (size_t)len, "%6llu ", count[o]);
		}
		ok &= same_line("buddyinfo", line, want);
		n++;
	}
	free(copy);
	return ok ? n : -1;
}

#define NUMA_ROWS	6
static const char *const numa_rows[NUMA_ROWS] = { "numa_hit", "numa_miss", "numa_foreign",
						  "interleave_hit", "local_node", "other_node" };

/* numastat's table into @v[row][node]; Return: the number of nodes, -1 if off. */
static int parse_numastat(const char *text, unsigned long long v[NUMA_ROWS][MAX_NODES])
{
	char *copy = strdup(text), *p = copy, *line, want[512], name[16];
	int nodes = 0, r, nid, len;
	bool ok = true;

	line = next_line(&p);
	if (!line) {
		free(copy);
		return -1;
	}
	/* the numastat tool: a 16-column label, then one 16-column field per node */
	for (nodes = 0; nodes < MAX_NODES; nodes++) {
		snprintf(name, sizeof(name), "node%d", nodes);
		if (!strstr(line, name))
			break;
	}
	len = snprintf(want, sizeof(want), "%-16s", "");
	for (nid = 0; nid < nodes; nid++) {
		snprintf(name, sizeof(name), "node%d", nid);
		len += snprintf(want + len, sizeof(want) - (size_t)len, "%16s", name);
	}
	ok &= same_line("numastat", line, want);
	for (r = 0; ok && r < NUMA_ROWS; r++) {
		const char *q;

		line = next_line(&p);
		if (!line || strncmp(line, numa_rows[r], strlen(numa_rows[r]))) {
			ok = same_line("numastat", line ? line : "(none)", numa_rows[r]);
			break;
		}
		q = line + strlen(numa_rows[r]);
		len = snprintf(want, sizeof(want), "%-16s", numa_rows[r]);
		for (nid = 0; nid < nodes; nid++) {
			char *end;

			v[r][nid] = strtoull(q, &end, 10);
			q = end;
			len += snprintf(want + len, sizeof(want) - (size_t)len, "%16llu",
					v[r][nid]);
		}
		ok &= same_line("numastat", line, want);
	}
	ok &= next_line(&p) == NULL;
	free(copy);
	return ok ? nodes : -1;
}

struct zone_text {
	int node;
	char zone[16];
	unsigned long long free, min, low, high, spanned, present, managed, start_pfn;
	unsigned long long protection[4], nr_free_pages;
	int cpus;			/* pagesets printed */
	unsigned long long pcp_count;	/* Σ count over them */
	unsigned long long pcp_high, pcp_batch;	/* the last CPU's (all must agree) */
	bool pcp_uniform;		/* every CPU printed the same high and batch */
};

/* One "        key      value" line of zoneinfo; false if it is not @key. */
static bool zone_field(char **p, const char *key, unsigned long long *v)
{
	char *line = next_line(p), want[128];

	if (!line || sscanf(line, strcmp(key, "pages free") ? "%*s %llu" : "%*s %*s %llu", v) != 1)
		return same_line("zoneinfo", line ? line : "(none)", key);
	/* mm/vmstat.c: zoneinfo_show_print() */
	if (!strcmp(key, "pages free"))
		snprintf(want, sizeof(want), "  pages free     %llu", *v);
	else
		snprintf(want, sizeof(want), "        %-8s %llu", key, *v);
	return same_line("zoneinfo", line, want);
}

/*
 * /proc/zoneinfo into @zones: every node and zone with its watermarks, and
 * for a populated zone nr_free_pages, one pageset per CPU (count, high,
 * batch, then the CPU's "vm stats threshold" as the kernel prints it) and
 * node_unreclaimable / start_pfn.  A threshold line printed once after all
 * the CPUs instead is parsed over, and *@threshold_per_cpu says which.
 * Return: the zones, -1 if a line is off.
 */
static int parse_zoneinfo(const char *text, struct zone_text *zones, int max, int nr_cpus,
			  bool *threshold_per_cpu)
{
	char *copy = strdup(text), *p = copy, *line, want[256];
	unsigned long long v, ignored;
	int n = 0, cpu, used;
	bool ok = true;

	while (ok && n < max && (line = next_line(&p))) {
		struct zone_text *z = &zones[n];

		memset(z, 0, sizeof(*z));
		if (sscanf(line, "Node %d, zone %15s%n", &z->node, z->zone, &used) != 2) {
			ok = same_line("zoneinfo", line, "Node N, zone NAME");
			break;
		}
		snprintf(want, sizeof(want), "Node %d, zone %8s", z->node, z->zone);
		ok &= same_line("zoneinfo", line, want);
		ok = ok && zone_field(&p, "pages free", &z->free) &&
		     zone_field(&p, "boost", &ignored) && zone_field(&p, "min", &z->min) &&
		     zone_field(&p, "low", &z->low) && zone_field(&p, "high", &z->high) &&
		     zone_field(&p, "promo", &ignored) && zone_field(&p, "spanned", &z->spanned) &&
		     zone_field(&p, "present", &z->present) &&
		     zone_field(&p, "managed", &z->managed) && zone_field(&p, "cma", &ignored);
		if (!ok)
			break;
		line = next_line(&p);
		if (!line || sscanf(line, "        protection: (%llu, %llu, %llu, %llu)",
				    &z->protection[0], &z->protection[1], &z->protection[2],
				    &z->protection[3]) != 4) {
			ok = same_line("zoneinfo", line ? line : "(none)",
				       "        protection: (a, b, c, d)");
			break;
		}
		snprintf(want, sizeof(want), "        protection: (%llu, %llu, %llu, %llu)",
			 z->protection[0], z->protection[1], z->protection[2], z->protection[3]);
		ok &= same_line("zoneinfo", line, want);
		n++;
		/* the kernel stops here for a zone with no pages */
		if (!ok || !z->present)
			continue;
		line = next_line(&p);
		if (!line || sscanf(line, "      nr_free_pages %llu", &z->nr_free_pages) != 1) {
			ok = same_line("zoneinfo", line ? line : "(none)", "      nr_free_pages N");
			break;
		}
		line = next_line(&p);
		ok &= same_line("zoneinfo", line ? line : "(none)", "  pagesets");
		z->pcp_uniform = true;
		for (cpu = 0; ok && cpu < nr_cpus; cpu++) {
			unsigned long long count, high, batch;

			line = next_line(&p);
			snprintf(want, sizeof(want), "    cpu: %d", cpu);
			ok &= same_line("zoneinfo", line ? line : "(none)", want);
			if (!ok)
				break;
			line = next_line(&p);
			ok = line && sscanf(line, "              count:    %llu", &count) == 1;
			line = ok ? next_line(&p) : NULL;
			ok = line && sscanf(line, "              high:     %llu", &high) == 1;
			line = ok ? next_line(&p) : NULL;
			ok = line && sscanf(line, "              batch:    %llu", &batch) == 1;
			if (!ok) {
				same_line("zoneinfo", line ? line : "(none)",
					  "count:/high:/batch:");
				break;
			}
			z->pcp_count += count;
			if (cpu && (high != z->pcp_high || batch != z->pcp_batch))
				z->pcp_uniform = false;
			z->pcp_high = high;
			z->pcp_batch = batch;
			/* the kernel prints each CPU's stat threshold right after its pageset */
			line = next_line(&p);
			if (line && sscanf(line, "  vm stats threshold: %llu", &v) == 1)
				continue;
			if (*threshold_per_cpu) {
				snprintf(want, sizeof(want), "  vm stats threshold: N (after cpu "
					 "%d's batch, before the next cpu or node_unreclaimable)",
					 cpu);
				same_line("zoneinfo", line ? line : "(none)", want);
			}
			*threshold_per_cpu = false;
			if (line)
				unread_line(&p, line);
		}
		z->cpus = cpu;
		if (!ok)
			break;
		line = next_line(&p);
		if (line && sscanf(line, "  vm stats threshold: %llu", &v) == 1)
			line = next_line(&p);	/* once for all the CPUs (not the kernel's) */
		ok = line && sscanf(line, "  node_unreclaimable:  %llu", &v) == 1;
		line = ok ? next_line(&p) : NULL;
		ok = line && sscanf(line, "  start_pfn:           %llu", &z->start_pfn) == 1;
		if (!ok)
			same_line("zoneinfo", line ? line : "(none)",
				  "  node_unreclaimable / start_pfn");
	}
	free(copy);
	return ok ? n : -1;
}

/* /proc/meminfo's @key ("MemFree"), in its unit; -1 if absent. */
static long long meminfo_value(const char *text, const char *key)
{
	char needle[64];
	const char *p;

	snprintf(needle, sizeof(needle), "%s:", key);
	for (p = text; (p = strstr(p, needle)); p++)
		if (p == text || p[-1] == '\n')
			return strtoll(p + strlen(needle), NULL, 10);
	return -1;
}

/* Every meminfo line as the kernel prints it; Return: the number of lines, -1 if off. */
static int check_meminfo_layout(const char *text)
{
	char *copy = strdup(text), *p = copy, *line, want[128], key[32];
	unsigned long long v;
	int n = 0;
	bool ok = true;

	while ((line = next_line(&p))) {
		if (sscanf(line, "%31[^:]: %llu", key, &v) != 2) {
			ok = same_line("meminfo", line, "Key: value");
			continue;
		}
		strcat(key, ":");
		/* hugetlb_report_meminfo(): the HugePages_ counts carry no unit */
		if (!strcmp(key, "HugePages_Total:") || !strcmp(key, "HugePages_Free:") ||
		    !strcmp(key, "HugePages_Rsvd:") || !strcmp(key, "HugePages_Surp:"))
			snprintf(want, sizeof(want), "%-19s%5llu", key, v);
		else	/* show_val_kb(), and "Hugepagesize:   %8lu kB" */
			snprintf(want, sizeof(want), "%-16s%8llu kB", key, v);
		ok &= same_line("meminfo", line, want);
		n++;
	}
	free(copy);
	return ok ? n : -1;
}

/*
 * Read @a, then @b, then @a again, until both reads of @a are the same
 * (nothing moved in between), at most 20 times.  Return: whether it
 * settled; *@ta (the first read of @a) and *@tb hold the texts (free()).
 */
static bool read_stable(struct daemon *d, const char *a, const char *b, char **ta, char **tb)
{
	char *again;
	int i;

	*ta = *tb = NULL;
	for (i = 0; i < 20; i++) {
		free(*ta);
		free(*tb);
		*ta = view_text(d, a);
		*tb = view_text(d, b);
		again = view_text(d, a);
		if (!*ta || !*tb || !again) {
			free(again);
			return false;
		}
		if (!strcmp(*ta, again)) {
			free(again);
			return true;
		}
		free(again);
		usleep(50000);
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* the tests                                                           */
/* ------------------------------------------------------------------ */

/*
 * 1000 objects of a named cache in the client: its slabinfo row says what
 * the client's own kmem_cache_get_stats() says, column by column (the
 * client holds them, idle), and what the JSON reply says; the kmalloc
 * caches all have rows whose geometry matches the JSON reply.
 */
static void test_slabinfo(void)
{
	static const char *const kmalloc_names[] = {
		"kmalloc-8", "kmalloc-16", "kmalloc-32", "kmalloc-64", "kmalloc-96",
		"kmalloc-128", "kmalloc-192", "kmalloc-256", "kmalloc-512", "kmalloc-1k",
		"kmalloc-2k", "kmalloc-4k", "kmalloc-8k",
	};
	unsigned long long own_active, own_num, own_aslabs, own_nslabs;
	unsigned int own_objsize, own_perslab, own_pages;
	struct slab_row rows[256];
	const struct slab_row *r;
	struct daemon d;
	struct client c;
	char reply[256], *text;
	json_t *json, *arr, *e;
	size_t i;
	int n;

	if (!setup(&d, &c))
		return;
	CU_ASSERT_FATAL(client_cmd(&c, "cache", reply, sizeof(reply)));
	CU_ASSERT_FATAL(sscanf(reply, "ok %llu %llu %u %u %u %llu %llu", &own_active, &own_num,
			       &own_objsize, &own_perslab, &own_pages, &own_aslabs,
			       &own_nslabs) == 7);
	text = view_text(&d, "slabinfo");
	json = view_json(&d, "slabinfo");
	n = text ? parse_slabinfo(text, rows, 256) : -1;
	CU_ASSERT(n > 0);
	r = n > 0 ? find_row(rows, n, VIEWS_CACHE) : NULL;
	CU_ASSERT_PTR_NOT_NULL(r);
	if (r) {
		CU_ASSERT(r->active_objs >= VIEWS_OBJS);
		CU_ASSERT(r->active_objs <= r->num_objs);
		/* SLUB: every slab of a cache has the same order, so these are exact */
		KT_ASSERT_EQ(r->num_objs, r->num_slabs * r->objperslab);
		CU_ASSERT(r->active_slabs <= r->num_slabs);
		CU_ASSERT(r->objsize >= VIEWS_OBJSIZE);
		CU_ASSERT(r->pagesperslab > 0 &&
			  (unsigned long long)r->objperslab * r->objsize <=
				  (unsigned long long)r->pagesperslab * PAGE_SIZE);
		/* the allocator's own counters, read by the client that holds the objects */
		KT_ASSERT_EQ(r->active_objs, own_active);
		KT_ASSERT_EQ(r->num_objs, own_num);
		KT_ASSERT_EQ(r->objsize, own_objsize);
		KT_ASSERT_EQ(r->objperslab, own_perslab);
		KT_ASSERT_EQ(r->pagesperslab, own_pages);
		KT_ASSERT_EQ(r->active_slabs, own_aslabs);
		KT_ASSERT_EQ(r->num_slabs, own_nslabs);
		/* no tunables or shared arrays in SLUB: printed as 0, as the kernel does */
		KT_ASSERT_EQ(r->limit + r->batchcount + r->sharedfactor + r->sharedavail, 0);
	}
	for (i = 0; n > 0 && i < sizeof(kmalloc_names) / sizeof(kmalloc_names[0]); i++) {
		if (!find_row(rows, n, kmalloc_names[i]))
			fprintf(stderr, "slabinfo: no row for %s\n", kmalloc_names[i]);
		CU_ASSERT_PTR_NOT_NULL(find_row(rows, n, kmalloc_names[i]));
	}
	arr = json ? jarray(json, "slabinfo") : NULL;
	if (arr && n > 0) {
		/* the same caches: nothing creates or destroys one between the two reads */
		KT_ASSERT_EQ(json_array_size(arr), n);
		json_array_foreach(arr, i, e) {
			const char *name = json_string_value(json_object_get(e, "name"));

			r = name ? find_row(rows, n, name) : NULL;
			if (!r) {
				fprintf(stderr, "slabinfo: %s is in the JSON reply, not in the "
						"text\n", name);
				CU_FAIL("a cache of the JSON reply has no row");
				continue;
			}
			KT_ASSERT_EQ(jint(e, "objsize"), r->objsize);
			KT_ASSERT_EQ(jint(e, "objperslab"), r->objperslab);
			KT_ASSERT_EQ(jint(e, "pagesperslab"), r->pagesperslab);
			if (strcmp(name, VIEWS_CACHE))
				continue;
			/* the client is idle: its cache's counts cannot move */
			KT_ASSERT_EQ(jint(e, "active_objs"), r->active_objs);
			KT_ASSERT_EQ(jint(e, "num_objs"), r->num_objs);
			KT_ASSERT_EQ(jint(e, "active_slabs"), r->active_slabs);
			KT_ASSERT_EQ(jint(e, "num_slabs"), r->num_slabs);
			KT_ASSERT_EQ(jint(e, "object_size"), VIEWS_OBJSIZE);
		}
	}
	free(text);
	json_decref(json);
	teardown(&d, &c);
}

/* Free pages per node (buddyinfo) and the numastat table, the per-CPU lists drained first. */
static bool node_snapshot(struct daemon *d, unsigned long long *free_pages,
			  unsigned long long numa[NUMA_ROWS][MAX_NODES])
{
	char *buddy, *numastat;
	bool ok;

	drop_pcp(d);
	buddy = view_text(d, "buddyinfo");
	numastat = view_text(d, "numastat");
	ok = buddy && numastat && parse_buddyinfo(buddy, free_pages, MAX_NODES) > 0 &&
	     parse_numastat(numastat, numa) == 2;
	free(buddy);
	free(numastat);
	return ok;
}

/*
 * kmemctl VIEW prints the "text" of kmemctl --json VIEW, and that text says
 * what the reply's numbers say: per node, the free pages of buddyinfo's
 * "free" arrays, or numastat's six counters.  Compared from a JSON read
 * bracketed by two identical text reads (nothing moved in between).
 */
static void check_text_is_json(struct daemon *d, const char *view)
{
	unsigned long long tfree[MAX_NODES], jfree[MAX_NODES] = { 0 };
	unsigned long long tnuma[NUMA_ROWS][MAX_NODES];
	char *text = NULL, *again = NULL;
	json_t *json = NULL, *e;
	const char *jtext;
	size_t i, o;
	int tries, r, nid;

	for (tries = 0; tries < 20; tries++) {
		free(text);
		free(again);
		json_decref(json);
		text = view_text(d, view);
		json = view_json(d, view);
		again = view_text(d, view);
		if (!text || !json || !again || !strcmp(text, again))
			break;
	}
	jtext = json_string_value(json_object_get(json, "text"));
	CU_ASSERT_FATAL(text && again && jtext);
	CU_ASSERT(!strcmp(text, again));
	CU_ASSERT(!strcmp(text, jtext));
	if (!strcmp(view, "buddyinfo")) {
		CU_ASSERT(parse_buddyinfo(text, tfree, MAX_NODES) > 0);
		json_array_foreach(json_object_get(json, "buddyinfo"), i, e) {
			json_t *counts = json_object_get(e, "free");

			nid = (int)jint(e, "node");
			for (o = 0; o < NR_ORDERS && nid >= 0 && nid < MAX_NODES; o++)
				jfree[nid] += (unsigned long long)
					json_integer_value(json_array_get(counts, o)) << o;
		}
		for (nid = 0; nid < MAX_NODES; nid++)
			KT_ASSERT_EQ(tfree[nid], jfree[nid]);
	} else {
		KT_ASSERT_EQ(parse_numastat(text, tnuma), 2);
		KT_ASSERT_EQ(json_array_size(json_object_get(json, "numastat")), 2);
		json_array_foreach(json_object_get(json, "numastat"), i, e) {
			nid = (int)jint(e, "node");
			KT_ASSERT_EQ(nid, i);
			for (r = 0; r < NUMA_ROWS && i < 2; r++)
				KT_ASSERT_EQ(jint(e, numa_rows[r]), tnuma[r][i]);
		}
	}
	free(text);
	free(again);
	json_decref(json);
}

/*
 * 8 order-3 blocks on node 1 (__GFP_THISNODE): buddyinfo's free pages of
 * node 1 drop by exactly 64, node 0's not at all, and numa_hit of node 1
 * rises by exactly 8, node 0's not at all.  Exact because the snapshots
 * are taken around just the 8 allocations (the client is told when to make
 * them and says when it is done), the per-CPU lists are drained before
 * each snapshot (a refill takes a batch of blocks off the buddy lists, the
 * drain puts back what the 8 did not use), and the daemon allocates
 * nothing while it answers kmemctl.  Freeing them gives every page back.
 */
static void test_buddyinfo_numastat(void)
{
	unsigned long long free0[MAX_NODES], free1[MAX_NODES], free2[MAX_NODES];
	unsigned long long numa0[NUMA_ROWS][MAX_NODES], numa1[NUMA_ROWS][MAX_NODES];
	struct daemon d;
	struct client c;
	char reply[256];

	if (!setup(&d, &c))
		return;
	CU_ASSERT_FATAL(node_snapshot(&d, free0, numa0));
	CU_ASSERT_FATAL(client_cmd(&c, "pages", reply, sizeof(reply)));
	CU_ASSERT_FATAL(node_snapshot(&d, free1, numa1));
	KT_ASSERT_EQ(free0[1] - free1[1], NODE1_BLOCKS << NODE1_ORDER);
	KT_ASSERT_EQ(free0[0] - free1[0], 0);
	KT_ASSERT_EQ(numa1[0][1] - numa0[0][1], NODE1_BLOCKS);	/* numa_hit, node 1 */
	KT_ASSERT_EQ(numa1[0][0] - numa0[0][0], 0);		/* numa_hit, node 0 */
	/* preferred and allowed node 1 only: no miss, no foreign, no interleave anywhere */
	KT_ASSERT_EQ(numa1[1][1] - numa0[1][1], 0);
	KT_ASSERT_EQ(numa1[2][0] - numa0[2][0], 0);
	KT_ASSERT_EQ(numa1[3][1] - numa0[3][1], 0);
	/* each hit is local or other, by the node of the CPU it ran on */
	KT_ASSERT_EQ((numa1[4][1] - numa0[4][1]) + (numa1[5][1] - numa0[5][1]), NODE1_BLOCKS);

	/* while the client holds them: the text is what the JSON reply's numbers say */
	check_text_is_json(&d, "buddyinfo");
	check_text_is_json(&d, "numastat");

	CU_ASSERT_FATAL(client_cmd(&c, "free-pages", reply, sizeof(reply)));
	CU_ASSERT_FATAL(node_snapshot(&d, free2, numa1));
	KT_ASSERT_EQ(free2[1], free0[1]);
	KT_ASSERT_EQ(free2[0], free0[0]);
	teardown(&d, &c);
}

/*
 * zoneinfo's text, field by field, against the JSON reply and the
 * watermarks view: the watermarks, sizes and protection never move; the
 * free and per-CPU counts are compared only from reads that bracket the
 * JSON one with identical texts (read_stable()).
 */
static void test_zoneinfo(void)
{
	struct zone_text zones[MAX_NODES * 4];
	json_t *info, *json = NULL, *wm, *zarr, *warr, *e;
	char *text = NULL, *again = NULL;
	int n = -1, cpus, i, tries;
	bool threshold_per_cpu = true;
	struct daemon d;
	size_t j, k;

	if (!setup(&d, NULL))
		return;
	info = view_json(&d, "info");
	cpus = (int)jint(json_object_get(info, "info"), "nr_cpu_ids");
	CU_ASSERT_FATAL(cpus > 0);
	for (tries = 0; tries < 20; tries++) {
		free(text);
		free(again);
		json_decref(json);
		text = view_text(&d, "zoneinfo");
		json = view_json(&d, "zoneinfo");
		again = view_text(&d, "zoneinfo");
		if (!text || !again || !json || !strcmp(text, again))
			break;
	}
	CU_ASSERT_FATAL(text && again && json);
	CU_ASSERT(!strcmp(text, again));
	/* the JSON reply's own text is the same view */
	CU_ASSERT(!strcmp(json_string_value(json_object_get(json, "text")) ?: "", text));
	n = parse_zoneinfo(text, zones, MAX_NODES * 4, cpus, &threshold_per_cpu);
	CU_ASSERT(n > 0);
	/* mm/vmstat.c prints "  vm stats threshold: N" after each CPU's pageset */
	CU_ASSERT(threshold_per_cpu);
	zarr = jarray(json, "zoneinfo");
	wm = view_json(&d, "watermarks");
	warr = wm ? jarray(wm, "watermarks") : NULL;
	if (n > 0 && zarr) {
		/* every zone of both nodes, empty ones included, in the same order */
		KT_ASSERT_EQ(json_array_size(zarr), n);
		KT_ASSERT_EQ(n, 2 * 4);
		json_array_foreach(zarr, j, e) {
			struct zone_text *z = &zones[j < (size_t)n ? j : 0];
			json_t *prot = json_object_get(e, "protection");

			if (j >= (size_t)n)
				break;
			KT_ASSERT_EQ(jint(e, "node"), z->node);
			CU_ASSERT(!strcmp(json_string_value(json_object_get(e, "zone")) ?: "",
					  z->zone));
			KT_ASSERT_EQ(jint(e, "free"), z->free);
			KT_ASSERT_EQ(jint(e, "min"), z->min);
			KT_ASSERT_EQ(jint(e, "low"), z->low);
			KT_ASSERT_EQ(jint(e, "high"), z->high);
			KT_ASSERT_EQ(jint(e, "spanned"), z->spanned);
			KT_ASSERT_EQ(jint(e, "present"), z->present);
			KT_ASSERT_EQ(jint(e, "managed"), z->managed);
			for (k = 0; k < 4; k++)
				KT_ASSERT_EQ(json_integer_value(json_array_get(prot, k)),
					     z->protection[k]);
			/* the kernel's watermark order */
			CU_ASSERT(z->min <= z->low && z->low <= z->high);
			CU_ASSERT(z->managed <= z->present && z->present <= z->spanned);
			if (!z->present)
				continue;
			KT_ASSERT_EQ(z->nr_free_pages, z->free);
			KT_ASSERT_EQ(z->cpus, cpus);
			CU_ASSERT(z->pcp_uniform);
			KT_ASSERT_EQ(jint(e, "pcp_count"), z->pcp_count);
			KT_ASSERT_EQ(jint(e, "pcp_high"), z->pcp_high);
			KT_ASSERT_EQ(jint(e, "pcp_batch"), z->pcp_batch);
			KT_ASSERT_EQ(jint(e, "start_pfn"), z->start_pfn);
		}
	}
	if (n > 0 && warr) {
		/* watermarks lists the zones that have pages, in the same order */
		i = 0;
		for (k = 0; k < (size_t)n; k++)
			i += zones[k].present != 0;
		KT_ASSERT_EQ(json_array_size(warr), i);
		k = 0;
		json_array_foreach(warr, j, e) {
			json_t *prot = json_object_get(e, "protection");
			size_t o;

			while (k < (size_t)n && !zones[k].present)
				k++;
			if (k == (size_t)n)
				break;
			KT_ASSERT_EQ(jint(e, "node"), zones[k].node);
			CU_ASSERT(!strcmp(json_string_value(json_object_get(e, "zone")) ?: "",
					  zones[k].zone));
			KT_ASSERT_EQ(jint(e, "min"), zones[k].min);
			KT_ASSERT_EQ(jint(e, "low"), zones[k].low);
			KT_ASSERT_EQ(jint(e, "high"), zones[k].high);
			KT_ASSERT_EQ(jint(e, "managed"), zones[k].managed);
			for (o = 0; o < 4; o++)
				KT_ASSERT_EQ(json_integer_value(json_array_get(prot, o)),
					     zones[k].protection[o]);
			k++;
		}
	}
	free(text);
	free(again);
	json_decref(json);
	json_decref(wm);
	json_decref(info);
	teardown(&d, NULL);
}

/*
 * meminfo's lines in the kernel's layout, and its relations, exact where
 * docs/ctl-protocol.md makes them exact:
 *	MemFree = Σ buddyinfo count[o] << o (buddy pages only, as NR_FREE_PAGES;
 *		  the per-CPU lists are drained first so MemFree is all the free
 *		  memory but for what a CPU takes between the drain and the read)
 *	MemTotal = Σ managed (zoneinfo)
 *	Slab = SReclaimable + SUnreclaim = Σ num_slabs × pagesperslab (slabinfo)
 *	VmallocTotal, VmallocUsed = vmallocinfo's total_bytes, used_bytes, in kB
 *	Hugepagesize = info's hugepage_size; no hugetlb here, so no huge pages
 */
static void test_meminfo(void)
{
	static const char *const keys[] = {
		"MemTotal", "MemFree", "MemAvailable", "Slab", "SReclaimable", "SUnreclaim",
		"VmallocTotal", "VmallocUsed", "VmallocChunk", "VmallocCharged", "VmallocTouched",
		"HugePages_Total", "HugePages_Free",
		"HugePages_Rsvd", "HugePages_Surp", "Hugepagesize", "Hugetlb",
	};
	unsigned long long free_pages[MAX_NODES], buddy = 0, slab = 0, managed = 0;
	struct zone_text zones[MAX_NODES * 4];
	bool threshold_per_cpu = true;	/* checked in test_zoneinfo */
	struct slab_row rows[256];
	struct daemon d;
	struct client c;
	char *mem = NULL, *other = NULL, reply[256];
	json_t *vm, *info, *zi, *e;
	size_t i;
	int n, nid, cpus;

	if (!setup(&d, &c))
		return;
	info = view_json(&d, "info");
	cpus = (int)jint(json_object_get(info, "info"), "nr_cpu_ids");
	/* something in the slab caches, so that Slab is not trivially 0 */
	CU_ASSERT(client_cmd(&c, "cache", reply, sizeof(reply)));
	drop_pcp(&d);
	CU_ASSERT_FATAL(read_stable(&d, "meminfo", "buddyinfo", &mem, &other));
	KT_ASSERT_EQ(check_meminfo_layout(mem), sizeof(keys) / sizeof(keys[0]));
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (meminfo_value(mem, keys[i]) < 0)
			fprintf(stderr, "meminfo: no %s\n", keys[i]);
		CU_ASSERT(meminfo_value(mem, keys[i]) >= 0);
	}
	KT_ASSERT_EQ(parse_buddyinfo(other, free_pages, MAX_NODES) > 0, 1);
	for (nid = 0; nid < MAX_NODES; nid++)
		buddy += free_pages[nid];
	KT_ASSERT_EQ(meminfo_value(mem, "MemFree"), buddy * 4);
	KT_ASSERT_EQ(meminfo_value(mem, "Slab"),
		     meminfo_value(mem, "SReclaimable") + meminfo_value(mem, "SUnreclaim"));
	CU_ASSERT(meminfo_value(mem, "MemAvailable") <= meminfo_value(mem, "MemTotal"));
	free(mem);
	free(other);

	CU_ASSERT_FATAL(read_stable(&d, "meminfo", "slabinfo", &mem, &other));
	n = parse_slabinfo(other, rows, 256);
	CU_ASSERT(n > 0);
	for (i = 0; n > 0 && i < (size_t)n; i++)
		slab += rows[i].num_slabs * (unsigned long long)rows[i].pagesperslab;
	CU_ASSERT(slab > 0);
	KT_ASSERT_EQ(meminfo_value(mem, "Slab"), slab * 4);
	free(mem);
	free(other);

	/*
	 * MemAvailable: si_mem_available() over the zones zoneinfo prints (the
	 * reserve of a zone is min(managed, max(protection) + high)); MemTotal
	 * and MemFree are their managed and free pages.
	 */
	CU_ASSERT_FATAL(read_stable(&d, "meminfo", "zoneinfo", &mem, &other));
	layout_quiet = true;	/* test_zoneinfo reports it */
	n = parse_zoneinfo(other, zones, MAX_NODES * 4, cpus, &threshold_per_cpu);
	layout_quiet = false;
	CU_ASSERT(n > 0);
	{
		unsigned long long zfree = 0, zmanaged = 0, reserve = 0, low = 0, avail, recl;
		unsigned long long srecl = (unsigned long long)meminfo_value(mem, "SReclaimable") /
					   4;
		int z, k;

		for (z = 0; z < n; z++) {
			unsigned long long max = 0;

			zfree += zones[z].free;
			zmanaged += zones[z].managed;
			low += zones[z].low;
			for (k = 0; k < 4; k++)
				max = zones[z].protection[k] > max ? zones[z].protection[k] : max;
			max += zones[z].high;
			reserve += max < zones[z].managed ? max : zones[z].managed;
		}
		avail = zfree > reserve ? zfree - reserve : 0;
		recl = srecl - (srecl / 2 < low ? srecl / 2 : low);
		avail += recl;
		KT_ASSERT_EQ(meminfo_value(mem, "MemTotal"), zmanaged * 4);
		KT_ASSERT_EQ(meminfo_value(mem, "MemFree"), zfree * 4);
		KT_ASSERT_EQ(meminfo_value(mem, "MemAvailable"), avail * 4);
	}

	zi = view_json(&d, "zoneinfo");
	json_array_foreach(json_object_get(zi, "zoneinfo"), i, e)
		managed += (unsigned long long)jint(e, "managed");
	KT_ASSERT_EQ(meminfo_value(mem, "MemTotal"), managed * 4);
	KT_ASSERT_EQ(meminfo_value(mem, "Hugepagesize") * 1024,
		     jint(json_object_get(info, "info"), "hugepage_size"));
	KT_ASSERT_EQ(meminfo_value(mem, "HugePages_Total"), 0);	/* hugepages = never */
	KT_ASSERT_EQ(meminfo_value(mem, "Hugetlb"), 0);
	vm = view_json(&d, "vmallocinfo");
	KT_ASSERT_EQ(meminfo_value(mem, "VmallocTotal"),
		     jint(json_object_get(vm, "vmallocinfo"), "total_bytes") >> 10);
	KT_ASSERT_EQ(meminfo_value(mem, "VmallocUsed"),
		     jint(json_object_get(vm, "vmallocinfo"), "used_bytes") >> 10);
	free(mem);
	free(other);
	json_decref(zi);
	json_decref(info);
	json_decref(vm);
	teardown(&d, &c);
}

/*
 * One vmallocinfo line, checked: the kernel's layout, @size bytes (guard
 * page included), a caller naming views_vmalloc_site, pages=@pages,
 * "vmalloc", and N<node>= counts summing to @pages.
 */
static void check_vmalloc_line(const char *where, const char *line, unsigned long long size,
			       unsigned int pages)
{
	unsigned long long start, end, sz;
	unsigned int np, sum = 0, nid, cnt;
	char caller[128], kind[32], want[512], *copy, *tok, *save = NULL;
	int len, field = 0;

	if (sscanf(line, "0x%llx-0x%llx %llu %127s pages=%u %31s", &start, &end, &sz, caller, &np,
		   kind) != 6) {
		fprintf(stderr, "%s: not a vmallocinfo line: \"%s\"\n", where, line);
		CU_FAIL("not a vmallocinfo line");
		return;
	}
	KT_ASSERT_EQ(sz, size);
	KT_ASSERT_EQ(end - start, size);
	KT_ASSERT_EQ(np, pages);
	CU_ASSERT(!strcmp(kind, "vmalloc"));
	if (strncmp(caller, "views_vmalloc_site+0x", 21))
		fprintf(stderr, "%s: caller \"%s\", expected views_vmalloc_site+0x...\n", where,
			caller);
	CU_ASSERT(!strncmp(caller, "views_vmalloc_site+0x", 21));
	/* mm/vmalloc.c: vmalloc_info_show() ("0x%pK-0x%pK %7ld", 16 hex digits) */
	len = snprintf(want, sizeof(want), "0x%016llx-0x%016llx %7llu %s pages=%u %s", start, end,
		       sz, caller, np, kind);
	copy = strdup(line);
	for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save), field++) {
		if (field < 5 || sscanf(tok, "N%u=%u", &nid, &cnt) != 2)
			continue;
		sum += cnt;
		len += snprintf(want + len, sizeof(want) - (size_t)len, " N%u=%u", nid, cnt);
	}
	free(copy);
	KT_ASSERT_EQ(sum, pages);
	CU_ASSERT(same_line(where, line, want));
}

/*
 * A 5-page vmalloc from a named call site in the client, every page
 * touched: its line (in the client's own view, and in kmemctl's: kmemd
 * lists the areas its clients publish in the shared segment) is 6 pages
 * long with the guard page, pages=5, vmalloc, N0+N1 = 5.
 */
static void test_vmallocinfo(void)
{
	unsigned long long size = (VMALLOC_PAGES + 1) * PAGE_SIZE;
	char reply[512], start[32], *text, *p, *line, *found = NULL;
	json_t *json, *area, *e;
	struct daemon d;
	struct client c;
	size_t i;

	if (!setup(&d, &c))
		return;
	CU_ASSERT_FATAL(client_cmd(&c, "vmalloc", reply, sizeof(reply)));
	/* what the allocator prints in the process that owns the area */
	check_vmalloc_line("the client's own vmallocinfo", reply + 3, size, VMALLOC_PAGES);
	snprintf(start, sizeof(start), "%.19s", reply + 3);	/* "0x<16 digits>-" */
	text = view_text(&d, "vmallocinfo");
	json = view_json(&d, "vmallocinfo");
	for (p = text; text && (line = next_line(&p)); )
		if (!strncmp(line, start, strlen(start)))
			found = line;
	if (!found)
		fprintf(stderr, "\nkmemctl vmallocinfo has no line for the client's area %s "
				":\n%s\n", start, text ? text : "");
	CU_ASSERT_PTR_NOT_NULL(found);
	if (found)
		check_vmalloc_line("kmemctl vmallocinfo", found, size, VMALLOC_PAGES);
	/* and the reply's areas[] has it, as the line says */
	area = NULL;
	json_array_foreach(json_object_get(json_object_get(json, "vmallocinfo"), "areas"), i, e)
		if (jint(e, "start") == (long long)strtoull(start, NULL, 16))
			area = e;
	CU_ASSERT_PTR_NOT_NULL(area);
	if (area) {
		long long sum = 0;

		KT_ASSERT_EQ(jint(area, "size"), size);
		KT_ASSERT_EQ(jint(area, "end") - jint(area, "start"), size);
		KT_ASSERT_EQ(jint(area, "pages"), VMALLOC_PAGES);
		CU_ASSERT(!strcmp(json_string_value(json_object_get(area, "kind")) ?: "",
				  "vmalloc"));
		json_array_foreach(json_object_get(area, "nodes"), i, e)
			sum += jint(e, "pages");
		KT_ASSERT_EQ(sum, VMALLOC_PAGES);
	}
	free(text);
	json_decref(json);

	/* the client dies: its area went with its address space, and from the view */
	client_kill(&c);
	for (i = 0; i < 300; i++) {
		text = view_text(&d, "vmallocinfo");
		found = text ? strstr(text, start) : NULL;
		free(text);
		if (!found)
			break;
		usleep(100000);
	}
	CU_ASSERT_PTR_NULL(found);
	teardown(&d, &c);
}

struct client_row {
	long long id, pid, uid, pages, slabs, vmalloc, objects, returned, locks;
	char state[16], comm[32], gone[64];
};

/* The clients view's row for @pid; false if there is none. */
static bool find_client(const char *text, pid_t pid, struct client_row *row)
{
	static const char header[] = "   ID      PID    UID STATE      COMMAND             PAGES  SLABS "
				     "  VMALLOC  OBJECTS  RETURNED LOCKS GONE";
	char *copy = strdup(text), *p = copy, *line;
	bool found = false;
	int used;

	line = next_line(&p);
	CU_ASSERT(same_line("clients", line ? line : "(none)", header));
	while (!found && (line = next_line(&p))) {
		memset(row, 0, sizeof(*row));
		if (sscanf(line, "%lld %lld %lld %15s %31s %lld %lld %lld %lld %lld %lld %n",
			   &row->id, &row->pid, &row->uid, row->state, row->comm, &row->pages,
			   &row->slabs, &row->vmalloc, &row->objects, &row->returned, &row->locks,
			   &used) != 11) {
			CU_ASSERT(same_line("clients", line, "(a client's row)"));
			break;
		}
		snprintf(row->gone, sizeof(row->gone), "%s", line + used);
		found = row->pid == pid;
	}
	free(copy);
	return found;
}

/* The JSON element of the clients reply for @pid, or NULL. */
static json_t *client_json(json_t *reply, pid_t pid)
{
	json_t *e;
	size_t i;

	json_array_foreach(json_object_get(reply, "clients"), i, e)
		if (jint(e, "pid") == pid)
			return e;
	return NULL;
}

/*
 * The client is listed with its pid, uid and command while it lives, and
 * as gone once SIGKILL took it; the 100 kmalloc(64) objects it never
 * freed are freed by kmemd once it is recovered, since no other client
 * lived beside it (orphans_freed_objects counts them, orphaned_objects is
 * back to 0).
 */
static void test_clients(void)
{
	struct client_row row;
	struct daemon d;
	struct client c;
	char reply[256], comm[32] = "", path[64], *text;
	json_t *json, *e;
	pid_t pid;
	FILE *f;
	int i;

	if (!setup(&d, &c))
		return;
	pid = c.pid;
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "r");
	if (f) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
	}
	KT_ASSERT_EQ(strcmp(comm, CLIENT_COMM), 0);
	CU_ASSERT(client_cmd(&c, "kmalloc", reply, sizeof(reply)));
	text = view_text(&d, "clients");
	CU_ASSERT_FATAL(text != NULL);
	CU_ASSERT(find_client(text, pid, &row));
	KT_ASSERT_EQ(row.pid, pid);
	KT_ASSERT_EQ(row.uid, getuid());
	CU_ASSERT(!strcmp(row.comm, CLIENT_COMM));
	CU_ASSERT(!strcmp(row.state, "attached"));
	CU_ASSERT(!strcmp(row.gone, ""));
	free(text);
	json = view_json(&d, "clients");
	e = client_json(json, pid);
	CU_ASSERT_PTR_NOT_NULL(e);
	KT_ASSERT_EQ(jint(e, "id"), row.id);
	KT_ASSERT_EQ(jint(e, "uid"), getuid());
	/* the 100 kmalloc(64) it holds are its own, counted in both forms */
	CU_ASSERT(row.objects >= 100);
	KT_ASSERT_EQ(jint(e, "kmalloc_objects"), row.objects);
	KT_ASSERT_EQ(jint(e, "pages"), row.pages);
	KT_ASSERT_EQ(jint(e, "slab_pages"), row.slabs);
	KT_ASSERT_EQ(jint(e, "vmalloc_bytes"), row.vmalloc);
	KT_ASSERT_EQ(jint(e, "gid"), getgid());
	json_decref(json);

	client_kill(&c);
	/* recovery runs in the daemon after the pidfd says so: wait for it (at most 30 s) */
	json = NULL;
	for (i = 0; i < 300; i++) {
		json_decref(json);
		json = view_json(&d, "clients");
		e = client_json(json, pid);
		if (!e || !strcmp(json_string_value(json_object_get(e, "recovery")) ?: "", "done"))
			break;
		usleep(100000);
	}
	CU_ASSERT_PTR_NOT_NULL(e);
	CU_ASSERT(!strcmp(json_string_value(json_object_get(e, "state")) ?: "", "gone"));
	CU_ASSERT(!strcmp(json_string_value(json_object_get(e, "recovery")) ?: "", "done"));
	/* no client whose life overlapped its own is alive: kmemd freed them */
	if (json_object_get(e, "orphaned_objects")) {
		KT_ASSERT_EQ(jint(e, "orphaned_objects"), 0);
		KT_ASSERT_EQ(jint(e, "orphaned_bytes"), 0);
		CU_ASSERT(jint(e, "orphans_freed_objects") >= 100);
		CU_ASSERT(jint(e, "orphans_freed_bytes") >= 100 * 64);
	} else {
		skip("clients: no orphaned_objects field yet (dead clients' kmalloc objects)");
	}
	text = view_text(&d, "clients");
	CU_ASSERT_FATAL(text != NULL);
	CU_ASSERT(find_client(text, pid, &row));
	CU_ASSERT(!strcmp(row.state, "gone"));
	CU_ASSERT(!strcmp(row.comm, CLIENT_COMM));
	KT_ASSERT_EQ(row.objects, jint(e, "orphaned_objects"));
	KT_ASSERT_EQ(strcmp(row.gone, json_string_value(json_object_get(e, "gone_reason")) ?: "?"),
		     0);
	CU_ASSERT(row.gone[0] != '\0');
	free(text);
	json_decref(json);
	teardown(&d, NULL);
}

/*
 * Every view's --json reply through the real validator (view_json() does
 * that for each), and proof that the validator runs and the schema has
 * teeth: the same replies with a required field removed, or of the wrong
 * type, are refused.
 */
static void test_json_schemas(void)
{
	static const char *const views[] = {
		"buddyinfo", "zoneinfo", "slabinfo", "vmallocinfo", "meminfo", "numastat",
		"vmstat", "clients", "watermarks", "info", "list", "tunables.get", "fault.get",
		"drop-pcp", "pagetypeinfo",
	};
	static const struct {
		const char *cmd, *pointer[3];	/* the object, then the key to break */
		bool retype;			/* change its type instead of removing it */
	} broken[] = {
		{ "slabinfo", { "slabinfo", "0", "objsize" }, false },
		{ "slabinfo", { "slabinfo", "0", "active_objs" }, true },
		{ "buddyinfo", { "buddyinfo", "0", "free" }, false },
		{ "zoneinfo", { "zoneinfo", "0", "protection" }, true },
		{ "meminfo", { "meminfo", "MemFree", NULL }, false },
		{ "numastat", { "numastat", "1", "numa_hit" }, false },
		{ "clients", { "clients", "0", "pid" }, false },
		{ "clients", { "clients", "0", "state" }, true },
		{ "watermarks", { "watermarks", "0", "min" }, true },
		{ "vmallocinfo", { "vmallocinfo", "used_bytes", NULL }, false },
		{ "buddyinfo", { "text", NULL, NULL }, false },
		{ "buddyinfo", { "cmd", NULL, NULL }, true },
		{ "info", { "info", "nr_nodes", NULL }, true },
	};
	char out[8192], *dump;
	struct daemon d;
	struct client c;
	json_t *reply;
	size_t i, k;
	int ret;

	if (!setup(&d, &c))
		return;
	CU_ASSERT(client_cmd(&c, "cache", out, sizeof(out)));	/* a client to list */
	for (i = 0; i < sizeof(views) / sizeof(views[0]); i++)
		json_decref(view_json(&d, views[i]));
	for (i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
		json_t *parent, *child;
		const char *key;

		reply = view_json(&d, broken[i].cmd);
		if (!reply)
			continue;
		/* the original passes: what fails below fails for the change alone */
		dump = json_dumps(reply, JSON_COMPACT);
		ret = schema_validate(&d, broken[i].cmd, dump, out, sizeof(out));
		free(dump);
		if (ret == 77) {
			skip(NO_JSONSCHEMA);
			json_decref(reply);
			break;
		}
		KT_ASSERT_EQ(ret, 0);
		parent = reply;
		for (k = 0; k < 2 && broken[i].pointer[k + 1]; k++) {
			const char *step = broken[i].pointer[k];

			parent = json_is_array(parent) ?
					 json_array_get(parent, strtoul(step, NULL, 10)) :
					 json_object_get(parent, step);
		}
		key = broken[i].pointer[k];
		child = json_object_get(parent, key);
		if (!child) {
			fprintf(stderr, "schema test: %s has no %s to break\n", broken[i].cmd, key);
			CU_FAIL("nothing to break");
			json_decref(reply);
			continue;
		}
		if (broken[i].retype)
			json_object_set_new(parent, key, json_is_string(child) ? json_integer(1) :
									 json_string("1"));
		else
			json_object_del(parent, key);
		dump = json_dumps(reply, JSON_COMPACT);
		ret = schema_validate(&d, broken[i].cmd, dump, out, sizeof(out));
		free(dump);
		if (ret != 1)
			fprintf(stderr, "schema test: %s with %s %s validated (exit %d): %s\n",
				broken[i].cmd, key, broken[i].retype ? "retyped" : "removed", ret,
				out);
		KT_ASSERT_EQ(ret, 1);
		json_decref(reply);
	}
	teardown(&d, &c);
}

/*
 * The parsers have teeth: a line a column off, a header reworded, a field
 * missing or a number that does not parse is refused, so a view that
 * drifts from the kernel's layout cannot pass the tests above.
 */
static void test_parsers_refuse_other_layouts(void)
{
	static const char good_buddy[] =
		"Node 1, zone   Normal      0      0      1      1      1      1      1      0"
		"      1      1      3 \n";
	static const char *const bad_buddy[] = {
		/* one column narrower ("%5lu ") */
		"Node 1, zone   Normal     0     0     1     1     1     1     1     0     1     1"
		"     3 \n",
		/* no trailing space */
		"Node 1, zone   Normal      0      0      1      1      1      1      1      0"
		"      1      1      3\n",
		"Node 1, zone Normal      0      0      1      1      1      1      1      0      1"
		"      1      3 \n",
	};
	static const char slab_head[] =
		"slabinfo - version: 2.1\n"
		"# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab>"
		" : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs>"
		" <num_slabs> <sharedavail>\n";
	static const char slab_row[] =
		"kmalloc-64          4608   4608     64   64    1 : tunables    0    0    0"
		" : slabdata     72     72      0\n";
	static const char numa_good[] =
		"                           node0           node1\n"
		"numa_hit                 1578107          120311\n"
		"numa_miss                      0              12\n"
		"numa_foreign                  12               0\n"
		"interleave_hit             10244           10239\n"
		"local_node               1571020          110037\n"
		"other_node                  7087           10286\n";
	unsigned long long free_pages[MAX_NODES], v[NUMA_ROWS][MAX_NODES];
	struct slab_row rows[4];
	char buf[2048], *p;
	size_t i;

	/* the kernel's /proc layouts pass ... */
	KT_ASSERT_EQ(parse_buddyinfo(good_buddy, free_pages, MAX_NODES), 1);
	KT_ASSERT_EQ(free_pages[1], 4 + 8 + 16 + 32 + 64 + 256 + 512 + 3 * 1024);
	snprintf(buf, sizeof(buf), "%s%s", slab_head, slab_row);
	KT_ASSERT_EQ(parse_slabinfo(buf, rows, 4), 1);
	KT_ASSERT_EQ(rows[0].num_slabs, 72);
	KT_ASSERT_EQ(parse_numastat(numa_good, v), 2);
	KT_ASSERT_EQ(v[0][1], 120311);
	KT_ASSERT_EQ(check_meminfo_layout("MemTotal:       16281980 kB\n"
					  "HugePages_Total:       0\n"
					  "Hugepagesize:       2048 kB\n"), 3);
	/* ... and what differs from them does not */
	layout_quiet = true;
	for (i = 0; i < sizeof(bad_buddy) / sizeof(bad_buddy[0]); i++)
		KT_ASSERT_EQ(parse_buddyinfo(bad_buddy[i], free_pages, MAX_NODES), -1);
	snprintf(buf, sizeof(buf), "slabinfo - version: 2.0\n%s", strchr(slab_head, '\n') + 1);
	KT_ASSERT_EQ(parse_slabinfo(buf, rows, 4), -1);
	snprintf(buf, sizeof(buf), "%skmalloc-64          4608   4608     64   64    1 : tunables"
		 "    0    0    0 : slabdata     72     72\n", slab_head);
	KT_ASSERT_EQ(parse_slabinfo(buf, rows, 4), -1);
	snprintf(buf, sizeof(buf), "%skmalloc-64         4608   4608     64   64    1 : tunables"
		 "    0    0    0 : slabdata     72     72      0\n", slab_head);
	KT_ASSERT_EQ(parse_slabinfo(buf, rows, 4), -1);
	snprintf(buf, sizeof(buf), "%s", numa_good);
	p = strstr(buf, "numa_foreign");
	memcpy(p, "numa_foreigm", 12);
	KT_ASSERT_EQ(parse_numastat(buf, v), -1);
	KT_ASSERT_EQ(parse_numastat("node0 node1\n", v), -1);
	KT_ASSERT_EQ(check_meminfo_layout("MemTotal:      16281980 kB\n"), -1);
	KT_ASSERT_EQ(check_meminfo_layout("MemTotal:       16281980\n"), -1);
	KT_ASSERT_EQ(check_meminfo_layout("HugePages_Total:      0\n"), -1);
	layout_quiet = false;
}

static const struct kt_test views_tests[] = {
	KT_TEST(test_parsers_refuse_other_layouts),
	KT_TEST(test_slabinfo),
	KT_TEST(test_buddyinfo_numastat),
	KT_TEST(test_zoneinfo),
	KT_TEST(test_meminfo),
	KT_TEST(test_vmallocinfo),
	KT_TEST(test_clients),
	KT_TEST(test_json_schemas),
	KT_END,
};

static const struct kt_suite views_suite = { "kmemctl_views", NULL, NULL, views_tests };

int main(int argc, char **argv)
{
	static const struct kt_suite *const suites[] = { &views_suite, NULL };
	int ret = kt_main(argc, argv, suites);

	/* a skip must not hide a failure: ctest reads "SKIPPED:" before the exit status */
	if (!ret && skip_reasons[0])
		printf("SKIPPED: %s\n", skip_reasons);
	return ret;
}
