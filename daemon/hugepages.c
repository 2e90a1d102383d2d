// SPDX-License-Identifier: MIT
/*
 * reserve_hugepages = yes: before kmem_init(), raise the kernel's huge page
 * pool so that the direct maps fit, and give back exactly what was added
 * whenever the daemon ends.
 *
 * With one real NUMA node (fake nodes all live on it), the pool is the
 * system-wide /sys/kernel/mm/hugepages/hugepages-<size>kB/nr_hugepages
 * (/proc/sys/vm/nr_hugepages for the default size).  With several real
 * nodes, each node's /sys/devices/system/node/nodeN/hugepages/... is raised
 * by that node's share.  Only what is missing (free_hugepages short of the
 * need) is added, and only if the host keeps enough memory beside it.
 *
 * The pool is host state that outlives the daemon, so what was added is
 * written to RUNDIR/hugepages.saved (by rename, before the pool grows) and
 * given back at every end: a normal exit, SIGTERM, a fatal signal (an
 * async-signal-safe path, kmemd_hugepages_restore_fatal()), and, after a
 * SIGKILL or an OOM kill, at the next start (kmemd_hugepages_recover()).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kmemd.h"

#define MAX_REAL_NODES	64
#define SAVED_NAME	"hugepages.saved"

/*
 * The host keeps at least this much of MemAvailable after the reservation:
 * an eighth of its memory, 256 MiB at least.  Below that, the pool would
 * starve the host (and kmemd with it, by the OOM killer).
 */
#define KEEP_MIN_KB	(256UL << 10)
#define KEEP_FRACTION	8

static struct pool {
	char path[160];		/* .../nr_hugepages */
	unsigned long old;	/* before kmemd raised it */
	unsigned long added;
} pools[MAX_REAL_NODES + 1];
static unsigned int nr_pools;
static char saved_path[160];
static volatile sig_atomic_t pools_live;	/* pools[] raised and not yet given back */

static int read_ulong(const char *path, unsigned long *v)
{
	FILE *f = fopen(path, "re");
	int ret = 0;

	if (!f)
		return -errno;
	if (fscanf(f, "%lu", v) != 1)
		ret = -EIO;
	fclose(f);
	return ret;
}

static int write_ulong(const char *path, unsigned long v)
{
	FILE *f = fopen(path, "we");
	int ret = 0;

	if (!f)
		return -errno;
	if (fprintf(f, "%lu\n", v) < 0)
		ret = -EIO;
	if (fclose(f) && !ret)
		ret = -errno;
	return ret;
}

static unsigned long meminfo_kb(const char *key)
{
	char line[256];
	size_t klen = strlen(key);
	unsigned long kb = 0;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			kb = strtoul(line + klen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return kb;
}

static unsigned int real_nodes(void)
{
	char path[64];
	unsigned int n = 0;

	while (n < MAX_REAL_NODES) {
		snprintf(path, sizeof(path), "/sys/devices/system/node/node%u", n);
		if (access(path, F_OK))
			break;
		n++;
	}
	return n ?: 1;
}

/* /proc/PID/stat's starttime: with the pid, names one process for good. */
static unsigned long long start_time(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long t = 0;
	ssize_t n;
	int fd, i;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');	/* comm may hold spaces and ')' */
	/* the space before field i, up to field 22 (field 3 follows the ')') */
	for (i = 3; p && i <= 22; i++)
		p = strchr(p + 1, ' ');
	if (p)
		t = strtoull(p + 1, NULL, 10);
	return t;
}

/* Only a pool's nr_hugepages may be written from what the saved file says. */
static bool pool_path_ok(const char *path)
{
	size_t len = strlen(path);
	static const char tail[] = "/nr_hugepages";

	return (!strncmp(path, "/sys/kernel/mm/hugepages/hugepages-", 35) ||
		!strncmp(path, "/sys/devices/system/node/node", 29)) &&
	       !strstr(path, "..") && len > sizeof(tail) &&
	       !strcmp(path + len - (sizeof(tail) - 1), tail);
}

/*
 * What to write to give back @added pages over @old when the pool holds
 * @cur: @old, or more if someone else raised it further meanwhile (theirs
 * stays).  Return: false if there is nothing to give back.
 */
static bool give_back_target(unsigned long cur, unsigned long old, unsigned long added,
			     unsigned long *target)
{
	if (cur <= old)
		return false;
	*target = cur - old > added ? cur - added : old;
	return true;
}

/* RUNDIR/hugepages.saved, whole or not at all (rename). */
static int write_saved(void)
{
	char tmp[176];
	unsigned int i;
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", saved_path);
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	fprintf(f, "# huge pages kmemd added; given back at exit, or at the next start\n");
	fprintf(f, "pid %d %llu\n", (int)getpid(), start_time(getpid()));
	for (i = 0; i < nr_pools; i++)
		fprintf(f, "%s %lu %lu\n", pools[i].path, pools[i].old, pools[i].added);
	if (fflush(f) || fsync(fileno(f)) || fclose(f)) {
		int err = -errno;

		unlink(tmp);
		return err ?: -EIO;
	}
	if (rename(tmp, saved_path)) {
		int err = -errno;

		unlink(tmp);
		return err;
	}
	return 0;
}

int kmemd_hugepages_recover(const char *rundir)
{
	char path[160], line[256];
	unsigned long long t;
	unsigned int n = 0;
	bool failed = false;
	int pid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/" SAVED_NAME, rundir);
	f = fopen(path, "re");
	if (!f) {
		if (errno != ENOENT)
			pr_warn("%s: %m", path);
		return 0;
	}
	while (fgets(line, sizeof(line), f)) {
		char pool[160];
		unsigned long old, added, cur, target;
		int ret;

		if (line[0] == '#')
			continue;
		if (!pid) {
			if (sscanf(line, "pid %d %llu", &pid, &t) != 2 || pid <= 0) {
				pr_warn("%s: not a kmemd pool record; removed", path);
				break;
			}
			if (pid != getpid() && t && start_time(pid) == t) {
				pr_err("%s: kmemd pid %d still runs with this runtime directory",
				       path, pid);
				fclose(f);
				return -EBUSY;
			}
			continue;
		}
		if (sscanf(line, "%159s %lu %lu", pool, &old, &added) != 3 || !pool_path_ok(pool)) {
			pr_warn("%s: ignoring '%.*s'", path, (int)strcspn(line, "\n"), line);
			continue;
		}
		ret = read_ulong(pool, &cur);
		if (ret) {
			pr_warn("%s: cannot read %s: %s", path, pool, strerror(-ret));
			continue;
		}
		n++;
		if (!give_back_target(cur, old, added, &target)) {
			pr_notice("huge pages: kmemd pid %d died; %s is %lu, not above its %lu "
				  "before: nothing to give back", pid, pool, cur, old);
			continue;
		}
		ret = write_ulong(pool, target);
		failed |= ret != 0;
		if (ret)
			pr_err("huge pages: kmemd pid %d died without giving back its pool; "
			       "cannot restore %s to %lu: %s", pid, pool, target, strerror(-ret));
		else
			pr_notice("huge pages: kmemd pid %d died without giving back its pool; "
				  "restored %s: %lu -> %lu (it had added %lu)", pid, pool, cur, target,
				  added);
	}
	fclose(f);
	if (!n && pid)
		pr_notice("%s: kmemd pid %d left no pool to give back", path, pid);
	if (!failed)	/* else the next start tries again */
		unlink(path);
	return 0;
}

/* Put every raised pool back; the caller logs. */
static void undo_pools(void)
{
	unsigned int i;

	for (i = 0; i < nr_pools; i++)
		write_ulong(pools[i].path, pools[i].old);
	pools_live = 0;
	nr_pools = 0;
	unlink(saved_path);
}

int kmemd_hugepages_reserve(const char *rundir, unsigned int nr_nodes, size_t bytes_per_node,
			    unsigned int shift)
{
	unsigned long per_node = (bytes_per_node + (1UL << shift) - 1) >> shift;
	unsigned long kb = (1UL << shift) >> 10, add_kb = 0, avail, keep;
	unsigned int real = real_nodes(), nid, n = 1, i;
	unsigned long need[MAX_REAL_NODES];
	char dir[MAX_REAL_NODES][120];
	int ret;

	ret = kmemd_mkdir_p(rundir);
	if (ret) {
		pr_err("reserve_hugepages: cannot create %s: %s", rundir, strerror(-ret));
		return ret;
	}
	snprintf(saved_path, sizeof(saved_path), "%s/" SAVED_NAME, rundir);
	if (!nr_nodes)
		nr_nodes = real;
	if (real == 1 || nr_nodes != real) {
		snprintf(dir[0], sizeof(dir[0]), "/sys/kernel/mm/hugepages/hugepages-%lukB", kb);
		need[0] = per_node * nr_nodes;
	} else {
		n = real;
		for (nid = 0; nid < real; nid++) {
			snprintf(dir[nid], sizeof(dir[nid]),
				 "/sys/devices/system/node/node%u/hugepages/hugepages-%lukB", nid, kb);
			need[nid] = per_node;
		}
	}

	/* what is missing from each pool, and whether the host can spare it */
	nr_pools = 0;
	for (i = 0; i < n; i++) {
		char fpath[160];
		unsigned long nr, free_pages;
		struct pool *p = &pools[nr_pools];

		snprintf(p->path, sizeof(p->path), "%.120s/nr_hugepages", dir[i]);
		snprintf(fpath, sizeof(fpath), "%.120s/free_hugepages", dir[i]);
		ret = read_ulong(p->path, &nr) ?: read_ulong(fpath, &free_pages);
		if (ret) {
			pr_err("reserve_hugepages: %s: %s", dir[i], strerror(-ret));
			nr_pools = 0;
			return ret;
		}
		if (free_pages >= need[i]) {
			pr_info("reserve_hugepages: %s: %lu free, %lu needed", dir[i], free_pages,
				need[i]);
			continue;
		}
		p->old = nr;
		p->added = need[i] - free_pages;
		add_kb += p->added * kb;
		nr_pools++;
	}
	if (!nr_pools)
		return 0;
	avail = meminfo_kb("MemAvailable");
	keep = meminfo_kb("MemTotal") / KEEP_FRACTION;
	if (keep < KEEP_MIN_KB)
		keep = KEEP_MIN_KB;
	if (add_kb + keep > avail) {
		pr_err("reserve_hugepages: %lu MiB of huge pages would leave %ld MiB of the %lu MiB "
		       "available, less than the %lu MiB the host keeps; not reserving",
		       add_kb >> 10, ((long)avail - (long)add_kb) / 1024, avail >> 10, keep >> 10);
		nr_pools = 0;
		return -ENOMEM;
	}

	/* recorded before the pool grows: a kill at any point leaves it known */
	ret = write_saved();
	if (ret) {
		pr_err("reserve_hugepages: cannot write %s: %s; not reserving", saved_path,
		       strerror(-ret));
		nr_pools = 0;
		return ret;
	}
	pools_live = 1;
	for (i = 0; i < nr_pools; i++) {
		unsigned long want = pools[i].old + pools[i].added, now = 0;

		ret = write_ulong(pools[i].path, want);
		if (!ret && (read_ulong(pools[i].path, &now) || now < want))
			ret = -ENOMEM;
		if (ret) {
			pr_err("reserve_hugepages: %s: asked for %lu pages, the kernel gave %lu; "
			       "pools put back", pools[i].path, want, now);
			undo_pools();
			return ret;
		}
		pr_info("reserve_hugepages: %s: %lu -> %lu (%lu added; %s)", pools[i].path,
			pools[i].old, now, pools[i].added, saved_path);
	}
	return 0;
}

void kmemd_hugepages_restore(void)
{
	unsigned long cur, target;
	bool failed = false;
	unsigned int i;
	int ret;

	if (!pools_live)
		return;
	pools_live = 0;		/* a crash from here on: the next start gives back */
	for (i = 0; i < nr_pools; i++) {
		ret = read_ulong(pools[i].path, &cur);
		if (!ret && !give_back_target(cur, pools[i].old, pools[i].added, &target))
			continue;
		ret = ret ?: write_ulong(pools[i].path, target);
		failed |= ret != 0;
		if (ret)
			pr_warn("cannot restore %s to %lu: %s; the next start tries again",
				pools[i].path, pools[i].old, strerror(-ret));
		else
			pr_info("restored %s: %lu -> %lu", pools[i].path, cur, target);
	}
	nr_pools = 0;
	if (!failed)
		unlink(saved_path);
}

/* Async-signal-safe: digits only, no stdio. */
static size_t fmt_ulong(char *buf, unsigned long v)
{
	char tmp[24];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	return n;
}

static bool read_ulong_fatal(const char *path, unsigned long *v)
{
	char buf[32];
	ssize_t n, i;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n <= 0 || buf[0] < '0' || buf[0] > '9')
		return false;
	*v = 0;
	for (i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; i++)
		*v = *v * 10 + (unsigned long)(buf[i] - '0');
	return true;
}

void kmemd_hugepages_restore_fatal(void)
{
	static const char done[] = "kmemd: fatal signal: huge page pool given back\n";
	unsigned long cur, target;
	bool failed = false;
	unsigned int i;

	if (!pools_live)
		return;
	pools_live = 0;
	for (i = 0; i < nr_pools; i++) {
		char buf[24];
		size_t len;
		int fd;

		if (!read_ulong_fatal(pools[i].path, &cur) ||
		    !give_back_target(cur, pools[i].old, pools[i].added, &target))
			continue;
		len = fmt_ulong(buf, target);
		buf[len++] = '\n';
		fd = open(pools[i].path, O_WRONLY | O_CLOEXEC);
		failed |= fd < 0 || write(fd, buf, len) != (ssize_t)len;
		if (fd >= 0)
			close(fd);
	}
	if (failed)	/* the saved file stays: the next start gives back */
		return;
	unlink(saved_path);
	if (write(STDERR_FILENO, done, sizeof(done) - 1) < 0)
		return;
}
