// SPDX-License-Identifier: MIT
/*
 * kmemd's configuration: "key = value" lines with # comments
 * (conf/kmemd.conf documents every key), then the command line's
 * --set key=value on top.
 *
 * Every key has an entry in keys[]: its default, a check that parses the
 * text, and whether a SIGHUP can change it in a running daemon ("live").
 * The allocator's keys are checked by kmem_options_parse() itself, so the
 * daemon accepts exactly what the library does.  A bad key or value is
 * reported as "FILE:LINE: key: message"; main() exits with status 2.
 *
 * config_to_options() is the only place that turns the configuration into
 * struct kmem_options.
 */
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kmem/fault.h>

#include "kmemd.h"

#define ALIGN_UP(x, a)	(((x) + (a) - 1) / (a) * (a))

typedef int (*check_fn)(struct kmemd_config *cfg, const char *v, char *msg, size_t len);

struct key_desc {
	const char *name;
	const char *def;
	check_fn check;
	bool live;		/* SIGHUP applies it */
	const char *alloc;	/* the kmem_options_parse() key, if an allocator key */
};

static int check_path(struct kmemd_config *cfg, const char *v, char *msg, size_t len)
{
	if (v[0] != '/') {
		snprintf(msg, len, "must be an absolute path");
		return -EINVAL;
	}
	if (strlen(v) >= 108) {	/* sizeof(sockaddr_un.sun_path) */
		snprintf(msg, len, "longer than 107 bytes");
		return -EINVAL;
	}
	return 0;
}

static int check_name(struct kmemd_config *cfg, const char *v, char *msg, size_t len)
{
	const char *p;

	if (!*v || strlen(v) > 32) {
		snprintf(msg, len, "must be 1 to 32 characters");
		return -EINVAL;
	}
	for (p = v; *p; p++) {
		if (!isalnum((unsigned char)*p) && !strchr("-_.", *p)) {
			snprintf(msg, len, "only letters, digits, '-', '_' and '.'");
			return -EINVAL;
		}
	}
	return 0;
}

static int parse_ulong(const char *v, int base, unsigned long max, unsigned long *out)
{
	char *end;

	if (!*v || *v == '-')
		return -EINVAL;
	errno = 0;
	*out = strtoul(v, &end, base);
	if (errno || *end || *out > max)
		return -EINVAL;
	return 0;
}

static int parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "yes") || !strcmp(v, "on") || !strcmp(v, "true") || !strcmp(v, "1"))
		*out = true;
	else if (!strcmp(v, "no") || !strcmp(v, "off") || !strcmp(v, "false") || !strcmp(v, "0"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

static int check_mode(struct kmemd_config *cfg, const char *v, char *msg, size_t len)
{
	unsigned long n;

	if (parse_ulong(v, 8, 0777, &n)) {
		snprintf(msg, len, "expected an octal mode such as 0660");
		return -EINVAL;
	}
	cfg->socket_mode = (unsigned int)n;
	return 0;
}

static int lookup_group(const char *name, gid_t *gid)
{
	unsigned long n;
	struct group *gr;

	if (!parse_ulong(name, 10, UINT_MAX - 1, &n)) {
		*gid = (gid_t)n;
		return 0;
	}
	gr = getgrnam(name);
	if (!gr)
		return -ENOENT;
	*gid = gr->gr_gid;
	return 0;
}

static int lookup_user(const char *name, uid_t *uid)
{
	unsigned long n;
	struct passwd *pw;

	if (!parse_ulong(name, 10, UINT_MAX - 1, &n)) {
		*uid = (uid_t)n;
		return 0;
	}
	pw = getpwnam(name);
	if (!pw)
		return -ENOENT;
	*uid = pw->pw_uid;
	return 0;
}

static int check_socket_group(struct kmemd_config *cfg, const char *v, char *msg, size_t len)
{
	cfg->socket_gid = (gid_t)-1;
	if (!*v)
		return 0;
	if (lookup_group(v, &cfg->socket_gid)) {
		snprintf(msg, len, "no group '%s'", v);
		return -EINVAL;
	}
	return 0;
}

/*
 * A comma list of names or ids (blanks around an entry, or between entries
 * instead of a comma, are fine); names are looked up when the file is
 * read.  An empty entry (",,", a leading or trailing comma) is refused: it
 * is a name lost in an edit, and the list would silently allow fewer.
 */
static int check_ids(const char *v, bool users, unsigned int *nr, unsigned int *ids, char *msg,
		     size_t len)
{
	const char *what = users ? "user" : "group";
	const char *p = v;
	bool want_entry = false;	/* after a comma: an entry must follow */

	*nr = 0;
	for (;;) {
		char tok[256];
		size_t n;
		unsigned int id;
		int ret;

		p += strspn(p, " \t");
		if (!*p || *p == ',') {
			if (want_entry || *p == ',') {
				snprintf(msg, len, "empty entry %u in the list", *nr + 1);
				return -EINVAL;
			}
			return 0;
		}
		n = strcspn(p, ", \t");
		if (n >= sizeof(tok)) {
			snprintf(msg, len, "%s name longer than %zu bytes", what, sizeof(tok) - 1);
			return -EINVAL;
		}
		memcpy(tok, p, n);
		tok[n] = '\0';
		p += n;
		p += strspn(p, " \t");
		want_entry = *p == ',';
		if (want_entry)
			p++;
		if (*nr == KMEMD_MAX_IDS) {
			snprintf(msg, len, "more than %d entries", KMEMD_MAX_IDS);
			return -EINVAL;
		}
		if (users)
			ret = lookup_user(tok, (uid_t *)&id);
		else
			ret = lookup_group(tok, (gid_t *)&id);
		if (ret) {
			snprintf(msg, len, "no %s '%s'", what, tok);
			return -EINVAL;
		}
		ids[(*nr)++] = id;
	}
}

static int check_users(struct kmemd_config *cfg, const char *v, char *msg, size_t len)
{
	return check_ids(v, true, &cfg->nr_users, (unsigned int *)cfg->users, msg, len);
}

static int check_groups(struct kmemd_config *cfg, const char *v, char *msg, size_t len)
{
	return check_ids(v, false, &cfg->nr_groups, (unsigned int *)cfg->groups, msg, len);
}

static int check_max_clients(struct kmemd_config *cfg, const char *v, char *msg, size_t len)
{
	unsigned long n;

	if (parse_ulong(v, 10, 65536, &n) || !n) {
		snprintf(msg, len, "expected a number from 1 to 65536");
		return -EINVAL;
	}
	cfg->max_clients = (unsigned int)n;
	return 0;
}

static int check_orphan_cap(struct kmemd_config *cfg, const char *v, char *msg, size_t len)
{
	size_t n = strlen(v);
	char num[32];

	cfg->orphan_cap_pct = n && v[n - 1] == '%';
	snprintf(num, sizeof(num), "%.*s", (int)(n - cfg->orphan_cap_pct), v);
	if (n >= sizeof(num) ||
	    parse_ulong(num, 10, cfg->orphan_cap_pct ? 100 : 1UL << 40, &cfg->orphan_cap)) {
		snprintf(msg, len, "expected MiB (0: no cap) or a percentage of the direct map");
		return -EINVAL;
	}
	return 0;
}

static int check_reserve(struct kmemd_config *cfg, const char *v, char *msg, size_t len)
{
	if (parse_bool(v, &cfg->reserve_hugepages)) {
		snprintf(msg, len, "expected yes or no");
		return -EINVAL;
	}
	return 0;
}

static int check_watchdog(struct kmemd_config *cfg, const char *v, char *msg, size_t len)
{
	if (parse_bool(v, &cfg->watchdog)) {
		snprintf(msg, len, "expected yes or no");
		return -EINVAL;
	}
	return 0;
}

/*
 * The direct map's address in every process: 1 GiB aligned (it holds 1 GiB
 * pages too) and in the lower half of the 47-bit user address space's
 * top, away from where ASan and TSan keep their shadow memory.
 */
static int check_base(struct kmemd_config *cfg, const char *v, char *msg, size_t len)
{
	unsigned long n;

	if (parse_ulong(v, 16, 0x7fffffffffffUL, &n) || !n || (n & ((1UL << 30) - 1))) {
		snprintf(msg, len, "expected a 1 GiB aligned hex address below 0x800000000000");
		return -EINVAL;
	}
	cfg->base_address = n;
	return 0;
}

static const char *const level_names[] = {
	[KMEMD_LOG_ERR] = "err", [KMEMD_LOG_WARNING] = "warning", [KMEMD_LOG_NOTICE] = "notice",
	[KMEMD_LOG_INFO] = "info", [KMEMD_LOG_DEBUG] = "debug",
};

static int check_log_level(struct kmemd_config *cfg, const char *v, char *msg, size_t len)
{
	int i;

	for (i = KMEMD_LOG_ERR; i <= KMEMD_LOG_DEBUG; i++) {
		if (!strcmp(v, level_names[i])) {
			cfg->log_level = i;
			return 0;
		}
	}
	snprintf(msg, len, "expected err, warning, notice, info or debug");
	return -EINVAL;
}

/* "<interval>,<probability>,<space>,<times>", as the kernel's failslab= */
static int parse_fault(const char *v, long f[4])
{
	const char *p = v;
	char *end;
	int i;

	for (i = 0; i < 4; i++) {
		errno = 0;
		f[i] = strtol(p, &end, 10);
		if (errno || end == p || (i < 3 && *end != ',') || (i == 3 && *end))
			return -EINVAL;
		p = end + 1;
	}
	if (f[0] < 0 || f[1] < 0 || f[1] > 100 || f[2] < 0 || f[3] < -1)
		return -EINVAL;
	return 0;
}

static int check_fault(struct kmemd_config *cfg, const char *v, char *msg, size_t len)
{
	long f[4];

	if (*v && parse_fault(v, f)) {
		snprintf(msg, len, "expected <interval>,<probability>,<space>,<times>");
		return -EINVAL;
	}
	return 0;
}

/* An allocator key: kmem_options_parse() is the judge. */
static int check_alloc(struct kmemd_config *cfg, const char *key, const char *v, char *msg,
		       size_t len)
{
	struct kmem_options o;
	char buf[256];

	memset(&o, 0, sizeof(o));
	if (!*v)
		return 0;	/* the library's default */
	snprintf(buf, sizeof(buf), "%s=%s", key, v);
	if (kmem_options_parse(&o, buf, msg, len)) {
		snprintf(msg, len, "bad value '%s'", v);
		return -EINVAL;
	}
	return 0;
}

static const struct key_desc keys[NR_KEYS] = {
	[KEY_NAME] = { "name", "kmemd", check_name, false, NULL },
	[KEY_SOCKET] = { "socket", "/run/kmemd/kmemd.sock", check_path, false, NULL },
	[KEY_CTL_SOCKET] = { "ctl_socket", "/run/kmemd/kmemd.ctl", check_path, false, NULL },
	[KEY_SOCKET_MODE] = { "socket_mode", "0660", check_mode, false, NULL },
	[KEY_SOCKET_GROUP] = { "socket_group", "", check_socket_group, false, NULL },
	[KEY_ALLOWED_USERS] = { "allowed_users", "", check_users, true, NULL },
	[KEY_ALLOWED_GROUPS] = { "allowed_groups", "", check_groups, true, NULL },
	[KEY_MAX_CLIENTS] = { "max_clients", "64", check_max_clients, true, NULL },
	[KEY_FAKE_NUMA] = { "fake_numa", "0", NULL, false, "fake_numa" },
	[KEY_DIRECT_MB] = { "direct_mb", "", NULL, false, "direct_mb" },
	[KEY_MAX_MB] = { "max_mb", "", NULL, false, "max_mb" },
	[KEY_OFFLINE_DELAY_MS] = { "offline_delay_ms", "", NULL, false, "offline_delay_ms" },
	[KEY_HIGHMEM_MB] = { "highmem_mb", "", NULL, false, "highmem_mb" },
	[KEY_HUGEPAGES] = { "hugepages", "auto", NULL, false, "hugepages" },
	[KEY_HUGEPAGE_SIZE] = { "hugepage_size", "2M", NULL, false, "hugepage_size" },
	[KEY_ZONES] = { "zones", "auto", NULL, false, "zones" },
	[KEY_DMA_MB] = { "dma_mb", "4", NULL, false, "dma_mb" },
	[KEY_DMA32_MB] = { "dma32_mb", "16", NULL, false, "dma32_mb" },
	[KEY_RESERVE_HUGEPAGES] = { "reserve_hugepages", "no", check_reserve, false, NULL },
	[KEY_BASE_ADDRESS] = { "base_address", "0x7e9000000000", check_base, false, NULL },
	[KEY_MIN_FREE_KBYTES] = { "min_free_kbytes", "", NULL, false, "min_free_kbytes" },
	[KEY_WATERMARK_SCALE_FACTOR] = { "watermark_scale_factor", "", NULL, false,
					 "watermark_scale_factor" },
	[KEY_KSWAPD] = { "kswapd", "on", NULL, false, "kswapd" },
	[KEY_OBJECT_OWNERS] = { "object_owners", "on", NULL, false, "object_owners" },
	[KEY_RECLAIM_TIMEOUT_MS] = { "reclaim_timeout_ms", "", NULL, false, "reclaim_timeout_ms" },
	[KEY_LOG_LEVEL] = { "log_level", "info", check_log_level, true, NULL },
	[KEY_WATCHDOG] = { "watchdog", "yes", check_watchdog, false, NULL },
	[KEY_FAILSLAB] = { "failslab", "", check_fault, true, NULL },
	[KEY_FAIL_PAGE_ALLOC] = { "fail_page_alloc", "", check_fault, true, NULL },
	[KEY_ORPHAN_CAP_MB] = { "orphan_cap_mb", "25%", check_orphan_cap, true, NULL },
};

const char *kmemd_key_name(enum kmemd_key key)
{
	return keys[key].name;
}

bool kmemd_key_live(enum kmemd_key key)
{
	return keys[key].live;
}

static int find_key(const char *name)
{
	int i;

	if (!strcmp(name, "nodes"))	/* the kernel's numa=fake=N, by another name */
		return KEY_FAKE_NUMA;
	for (i = 0; i < NR_KEYS; i++)
		if (!strcmp(name, keys[i].name))
			return i;
	return -1;
}

/*
 * @line: where @v comes from (a line of the file, KMEMD_LINE_SET for a
 * --set, 0 for the default), for the checks that look at several keys.
 */
static int set_key(struct kmemd_config *cfg, int key, const char *v, unsigned int line, char *msg,
		   size_t len)
{
	char *copy;
	int ret;

	/*
	 * A key whose default is empty takes an empty value to mean that
	 * default; every other key needs one ("hugepage_size =" is a value
	 * lost in an edit, not a choice).
	 */
	if (!*v && keys[key].def[0]) {
		snprintf(msg, len, "needs a value (the default is '%s')", keys[key].def);
		return -EINVAL;
	}
	if (keys[key].alloc)
		ret = check_alloc(cfg, keys[key].alloc, v, msg, len);
	else
		ret = keys[key].check(cfg, v, msg, len);
	if (ret)
		return ret;
	copy = strdup(v);
	if (!copy) {
		snprintf(msg, len, "out of memory");
		return -ENOMEM;
	}
	free(cfg->val[key]);
	cfg->val[key] = copy;
	cfg->line[key] = line;
	return 0;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/*
 * One "key = value" (or "key=value" from --set): split it, find the key,
 * check the value.  Return: 0, or -EINVAL with "key: message" in @err.
 */
static int parse_line(struct kmemd_config *cfg, char *line, unsigned int lineno, char *err,
		      size_t errlen)
{
	char msg[200], *eq, *key, *v;
	int k;

	eq = strchr(line, '=');
	if (!eq) {
		snprintf(err, errlen, "%s: expected key = value", trim(line));
		return -EINVAL;
	}
	*eq = '\0';
	key = trim(line);
	v = trim(eq + 1);
	/* a value may be quoted, to keep spaces or a '#' */
	if (v[0] == '"' && strlen(v) >= 2 && v[strlen(v) - 1] == '"') {
		v[strlen(v) - 1] = '\0';
		v++;
	}
	k = find_key(key);
	if (k < 0) {
		snprintf(err, errlen, "%s: unknown key", key);
		return -EINVAL;
	}
	if (set_key(cfg, k, v, lineno, msg, sizeof(msg))) {
		snprintf(err, errlen, "%s: %s", key, msg);
		return -EINVAL;
	}
	return 0;
}

static int load_file(struct kmemd_config *cfg, const struct kmemd_cmdline *cl, char *err,
		     size_t errlen)
{
	char line[2048], msg[300];
	unsigned int lineno = 0;
	FILE *f;

	f = fopen(cl->config, "re");
	if (!f) {
		if (errno == ENOENT && !cl->config_given)
			return 0;	/* no file: the defaults */
		snprintf(err, errlen, "%s: %s", cl->config, strerror(errno));
		return -EINVAL;
	}
	while (fgets(line, sizeof(line), f)) {
		char *p, *hash;

		lineno++;
		/* '#' starts a comment, except inside a quoted value */
		hash = strchr(line, '#');
		if (hash && !memchr(line, '"', (size_t)(hash - line)))
			*hash = '\0';
		p = trim(line);
		if (!*p)
			continue;
		if (parse_line(cfg, p, lineno, msg, sizeof(msg))) {
			snprintf(err, errlen, "%s:%u: %s", cl->config, lineno, msg);
			fclose(f);
			return -EINVAL;
		}
	}
	fclose(f);
	return 0;
}

/* "Node N MemTotal: X kB" or /proc/meminfo's "MemTotal: X kB": X, or 0. */
static unsigned long long meminfo_total_kb(const char *path)
{
	char line[256], *p;
	unsigned long long kb = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		p = strstr(line, "MemTotal:");
		if (p) {
			kb = strtoull(p + 9, NULL, 10);
			break;
		}
	}
	fclose(f);
	return kb;
}

/*
 * What one of @nodes kmem nodes can hold, in KiB (0: unknown), described in
 * @what.  Fake nodes share the machine's memory; real nodes each have their
 * own (/sys/devices/system/node/nodeN/meminfo), and the smallest with
 * memory is the bound (a node without memory holds nothing of kmem's).
 */
static unsigned long long node_kb(unsigned int fake_numa, char *what, size_t len)
{
	unsigned long long total = meminfo_total_kb("/proc/meminfo"), kb, min = 0;
	unsigned int nid, real = 0, min_nid = 0;
	char path[96];

	for (nid = 0; nid < 1024; nid++) {
		snprintf(path, sizeof(path), "/sys/devices/system/node/node%u/meminfo", nid);
		if (access(path, F_OK))
			break;
		real++;
		kb = meminfo_total_kb(path);
		if (kb && (!min || kb < min)) {
			min = kb;
			min_nid = nid;
		}
	}
	if (fake_numa || real <= 1 || !min) {
		unsigned int n = fake_numa ?: 1;

		snprintf(what, len, "%llu MiB: MemTotal %llu MiB over %u node%s", total / n >> 10,
			 total >> 10, n, n == 1 ? "" : "s");
		return total / n;
	}
	snprintf(what, len, "%llu MiB: node %u's MemTotal", min >> 10, min_nid);
	return min;
}

/*
 * The direct maps and HIGHMEM pools are memory kmemd takes at start and
 * keeps: more than the machine has would end with the OOM killer (or,
 * with reserve_hugepages, a huge page pool that starves the host).
 * Refused naming the key to change: the last one set (the later line, a
 * --set after the file) of direct_mb and highmem_mb that alone are more
 * than a node has, or else of direct_mb, highmem_mb, fake_numa and
 * hugepage_size (the direct map is rounded up to it).
 */
static int last_set(const struct kmemd_config *cfg, const int *k, unsigned int n)
{
	int best = -1;
	unsigned int i;

	for (i = 0; i < n; i++)
		if (cfg->line[k[i]] && (best < 0 || cfg->line[k[i]] > cfg->line[best]))
			best = k[i];
	return best;
}

static int check_machine(const struct kmemd_config *cfg, const struct kmemd_cmdline *cl,
			 char *err, size_t errlen)
{
	static const int shape[] = { KEY_DIRECT_MB, KEY_HIGHMEM_MB, KEY_FAKE_NUMA,
				     KEY_HUGEPAGE_SIZE };
	unsigned long long limit, direct, highmem;
	struct kmem_options o;
	char what[96], msg[300];
	int alone[2], k;
	unsigned int n = 0;

	if (config_to_options(cfg, &o, msg, sizeof(msg)))
		return 0;	/* reported as the bad value it is, by main() */
	if (o.zones == KMEM_ZONES_EMULATE &&
	    o.zone_dma_bytes + o.zone_dma32_bytes > o.node_direct_bytes) {
		static const int dma[] = { KEY_DMA_MB, KEY_DMA32_MB, KEY_ZONES, KEY_DIRECT_MB };

		k = last_set(cfg, dma, sizeof(dma) / sizeof(dma[0]));
		snprintf(msg, sizeof(msg), "emulated DMA and DMA32 zones (%zu + %zu MiB) do not fit "
			 "in node 0's direct map (%zu MiB)", o.zone_dma_bytes >> 20,
			 o.zone_dma32_bytes >> 20, o.node_direct_bytes >> 20);
		if (k < 0)
			snprintf(err, errlen, "dma_mb, dma32_mb ($KMEM_OPTIONS): %s", msg);
		else if (cfg->line[k] == KMEMD_LINE_SET)
			snprintf(err, errlen, "--set: %s: %s", keys[k].name, msg);
		else
			snprintf(err, errlen, "%s:%u: %s: %s", cl->config, cfg->line[k], keys[k].name,
				 msg);
		return -EINVAL;
	}
	limit = node_kb(o.fake_numa, what, sizeof(what));
	direct = ALIGN_UP(o.node_direct_bytes, 1ULL << o.hugepage_shift) >> 10;
	highmem = ALIGN_UP(o.node_highmem_bytes, 2ULL << 20) >> 10;
	if (limit && o.node_max_bytes >> 10 > limit) {
		k = KEY_MAX_MB;
		snprintf(msg, sizeof(msg), "%llu MiB of memory per node at most: more than a node "
			 "has (%s)", (unsigned long long)(o.node_max_bytes >> 20), what);
		if (!cfg->line[k])
			snprintf(err, errlen, "max_mb ($KMEM_OPTIONS): %s", msg);
		else if (cfg->line[k] == KMEMD_LINE_SET)
			snprintf(err, errlen, "--set: %s: %s", keys[k].name, msg);
		else
			snprintf(err, errlen, "%s:%u: %s: %s", cl->config, cfg->line[k], keys[k].name,
				 msg);
		return -EINVAL;
	}
	if (!limit || direct + highmem <= limit)
		return 0;
	if (direct > limit)
		alone[n++] = KEY_DIRECT_MB;
	if (highmem > limit)
		alone[n++] = KEY_HIGHMEM_MB;
	k = last_set(cfg, alone, n);
	if (k < 0)
		k = last_set(cfg, shape, sizeof(shape) / sizeof(shape[0]));
	snprintf(msg, sizeof(msg),
		 "%llu MiB of direct map and %llu MiB of HIGHMEM per node: more than a node has "
		 "(%s)", direct >> 10, highmem >> 10, what);
	if (k < 0)	/* nothing of it in the file: the defaults with $KMEM_OPTIONS */
		snprintf(err, errlen, "direct_mb, highmem_mb ($KMEM_OPTIONS): %s", msg);
	else if (cfg->line[k] == KMEMD_LINE_SET)
		snprintf(err, errlen, "--set: %s: %s", keys[k].name, msg);
	else
		snprintf(err, errlen, "%s:%u: %s: %s", cl->config, cfg->line[k], keys[k].name, msg);
	return -EINVAL;
}

int kmemd_config_load(struct kmemd_config *cfg, const struct kmemd_cmdline *cl, char *err,
		      size_t errlen)
{
	char msg[300], buf[1200];
	unsigned int i;
	int k;

	memset(cfg, 0, sizeof(*cfg));
	for (k = 0; k < NR_KEYS; k++) {
		if (set_key(cfg, k, keys[k].def, 0, msg, sizeof(msg))) {
			snprintf(err, errlen, "default %s: %s", keys[k].name, msg);
			goto fail;
		}
	}
	if (load_file(cfg, cl, err, errlen))
		goto fail;
	for (i = 0; i < cl->nr_sets; i++) {
		snprintf(buf, sizeof(buf), "%s", cl->sets[i]);
		if (!strchr(buf, '=')) {
			snprintf(err, errlen, "--set: %s: expected key=value", buf);
			goto fail;
		}
		if (parse_line(cfg, buf, KMEMD_LINE_SET, msg, sizeof(msg))) {
			snprintf(err, errlen, "--set: %s", msg);
			goto fail;
		}
	}
	if (check_machine(cfg, cl, err, errlen))
		goto fail;
	return 0;
fail:
	kmemd_config_free(cfg);
	return -EINVAL;
}

void kmemd_config_free(struct kmemd_config *cfg)
{
	int k;

	for (k = 0; k < NR_KEYS; k++) {
		free(cfg->val[k]);
		cfg->val[k] = NULL;
	}
}

/*
 * Starts from kmem_options_init() (so $KMEM_OPTIONS still sets what the
 * configuration leaves at the library's default), then every allocator key
 * that has a value, then the base address every client will map at.  The
 * daemon builds its own memory: it never attaches to another daemon.
 */
int config_to_options(const struct kmemd_config *cfg, struct kmem_options *opts, char *err,
		      size_t errlen)
{
	char buf[256];
	int k;

	kmem_options_init(opts);
	for (k = 0; k < NR_KEYS; k++) {
		if (!keys[k].alloc || !cfg->val[k][0])
			continue;
		snprintf(buf, sizeof(buf), "%s=%s", keys[k].alloc, cfg->val[k]);
		if (kmem_options_parse(opts, buf, err, errlen))
			return -EINVAL;
	}
	opts->base_address = cfg->base_address;
	opts->attach = KMEM_ATTACH_NEVER;
	return 0;
}

static int apply_fault(enum kmem_fault_which which, const char *v)
{
	static const char *const attr[4] = { "interval", "probability", "space", "times" };
	char num[32];
	long f[4];
	int i, ret;

	if (!*v) {
		/* unset: the injector is off, as at boot */
		return kmem_fault_set(which, "probability", "0");
	}
	if (parse_fault(v, f))
		return -EINVAL;
	for (i = 0; i < 4; i++) {
		snprintf(num, sizeof(num), "%ld", f[i]);
		ret = kmem_fault_set(which, attr[i], num);
		if (ret)
			return ret;
	}
	return 0;
}

int kmemd_config_apply_faults(const struct kmemd_config *cfg)
{
	int ret;

	ret = apply_fault(KMEM_FAILSLAB, cfg->val[KEY_FAILSLAB]);
	if (ret) {
		pr_err("failslab: %s", strerror(-ret));
		return ret;
	}
	ret = apply_fault(KMEM_FAIL_PAGE_ALLOC, cfg->val[KEY_FAIL_PAGE_ALLOC]);
	if (ret)
		pr_err("fail_page_alloc: %s", strerror(-ret));
	return ret;
}
