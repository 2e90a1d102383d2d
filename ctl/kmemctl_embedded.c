// SPDX-License-Identifier: MIT
/*
 * kmemctl_embedded.c - kmemctl --embedded PID: the zone views of a process's
 * own allocator, read from its shared segment, read-only.
 *
 * An embedded allocator keeps struct kmem_shared in a memfd named
 * "kmem-shared" (libkmem/arena.c); the nodes, their zones, the free-area
 * counts, the watermarks and the per-CPU list words all live there, addressed
 * by offsets from the segment itself.  /proc/PID/fd/N opens that memfd for
 * whoever may ptrace-read the process (root, or its owner), and a PROT_READ
 * mapping of it is all the zone views need:
 *
 *	kmemctl_embedded_open()	  find the memfd, map it read-only, check the
 *				  header, point this process's kmem_mm at it
 *	kmemctl_embedded_exchange() one request answered by kmemd's own handler
 *				  (daemon/ctl.c), so text and JSON are kmemd's
 *
 * The views libkmem runs for kmemd are the ones used here, and they already
 * treat the segment as untrusted (libkmem/segment.c): every count and offset is
 * bounds-checked against the size mapped, so a process that scribbled on its
 * segment gets a "shared segment corrupted" line, not a crash of kmemctl.
 *
 * What is not read: the slab caches (slabinfo, slabtop, meminfo) live in the
 * direct map and their views take the slab list locks, which are in that
 * memory; vmalloc's areas are the process's own bookkeeping; the reclaim
 * counters say whether kswapd runs from process-local state; clients are
 * kmemd's.  Nothing here writes to the process: no lock is taken, and the
 * mapping could not be written if something tried.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"		/* libkmem: kmem_mm, struct kmem_shared */
#include "ctl.h"		/* daemon: kmemd_ctl_handle() */
#include "kmemctl.h"

/* The commands answered from the segment alone. */
static const char *const segment_views[] = { "buddyinfo", "zoneinfo", "pagetypeinfo",
					     "numastat", "watermarks", NULL };

static long embedded_pid;

/*
 * kmem's reports (a corrupted segment found by a view) come back in the reply's
 * error as well, which kmemctl prints as its one line: not twice.
 */
static void quiet_sink(const char *msg, void *arg)
{
	(void)msg;
	(void)arg;
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int fail(const char *fmt, ...)
{
	va_list ap;

	fputs("kmemctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return KMEMCTL_EXIT_USAGE;
}

/* The fd number of @pid's "kmem-shared" memfd, -1 if none, -2 if its fds cannot be read. */
static int find_segment_fd(long pid)
{
	static const char name[] = "/memfd:kmem-shared";
	char path[320], link[256];
	struct dirent *e;
	int fd = -1;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%ld/fd", pid);
	dir = opendir(path);
	if (!dir)
		return errno == EACCES || errno == EPERM ? -2 : -1;
	while (fd < 0 && (e = readdir(dir))) {
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/%ld/fd/%s", pid, e->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = '\0';
		/* "/memfd:kmem-shared (deleted)": the name, then nothing or a space */
		if (!strncmp(link, name, sizeof(name) - 1) &&
		    (link[sizeof(name) - 1] == ' ' || !link[sizeof(name) - 1]))
			fd = atoi(e->d_name);
	}
	closedir(dir);
	return fd;
}

int kmemctl_embedded_open(const char *pid_arg)
{
	struct kmem_shared *shm;
	struct stat st;
	char path[64], *end;
	long pid;
	int nfd, fd;

	errno = 0;
	pid = strtol(pid_arg, &end, 10);
	if (!*pid_arg || *end || errno || pid <= 0 || pid > INT_MAX)
		return fail("--embedded: \"%s\" is not a process id", pid_arg);
	snprintf(path, sizeof(path), "/proc/%ld", pid);
	if (access(path, F_OK))
		return fail("--embedded %ld: no such process", pid);
	nfd = find_segment_fd(pid);
	if (nfd == -2)
		return fail("--embedded %ld: permission denied reading its fds (/proc/%ld/fd): "
			    "root or the process's owner may", pid, pid);
	if (nfd < 0)
		return fail("--embedded %ld: no kmem allocator in that process (no "
			    "memfd:kmem-shared among its fds)", pid);
	snprintf(path, sizeof(path), "/proc/%ld/fd/%d", pid, nfd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail("--embedded %ld: cannot open its segment %s: %s", pid, path,
			    strerror(errno));
	if (fstat(fd, &st) || (size_t)st.st_size < sizeof(*shm)) {
		close(fd);
		return fail("--embedded %ld: its segment %s is smaller than a kmem segment", pid,
			    path);
	}
	shm = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (shm == MAP_FAILED)
		return fail("--embedded %ld: cannot map its segment: %s", pid, strerror(errno));
	if (shm->magic != KMEM_SHARED_MAGIC || shm->version != KMEM_SHARED_VERSION ||
	    shm->segment_size != (u64)st.st_size) {
		munmap(shm, (size_t)st.st_size);
		return fail("--embedded %ld: its segment is of another kmem (layout version %u, "
			    "this kmemctl reads version %u)", pid, shm->version,
			    KMEM_SHARED_VERSION);
	}
	if (!shm->nr_nodes || shm->nr_nodes > MAX_NUMNODES || !shm->nr_cpu_ids ||
	    shm->nr_cpu_ids > KMEM_MAX_CPUS) {
		munmap(shm, (size_t)st.st_size);
		return fail("--embedded %ld: its segment says %u nodes, %u CPUs", pid,
			    shm->nr_nodes, shm->nr_cpu_ids);
	}
	/*
	 * What the views take from kmem_mm: the segment and its size (the bound of
	 * every offset they follow), the pfn space's size (the bound of every pfn
	 * they check) and the counts they index by, read once here.  mem_base
	 * stays NULL: no view used here reads the memory.
	 */
	kmem_mm.nr_nodes = shm->nr_nodes;
	kmem_mm.nr_cpu_ids = shm->nr_cpu_ids;
	kmem_mm.shm = shm;
	kmem_mm.shm_size = (size_t)st.st_size;
	kmem_mm.total_pages = shm->total_pages;
	kmem_mm.shm_fd = -1;
	kmem_mm.attach_sock = -1;
	kmem_set_report_sink(quiet_sink, NULL);
	__atomic_store_n(&kmem_mm.ready, 1, __ATOMIC_RELEASE);
	embedded_pid = pid;
	return 0;
}

char *kmemctl_embedded_exchange(json_t *req)
{
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	const char *const *v;
	char *line, *reply;

	for (v = segment_views; cmd && *v; v++)
		if (!strcmp(*v, cmd))
			break;
	if (!cmd || !*v) {
		fail("--embedded %ld: %s cannot be done from outside the process; what can: "
		     "buddyinfo, zoneinfo, pagetypeinfo, numastat, watermarks, read-only from its "
		     "segment (the rest needs its memory mapped read-write and its locks taken)",
		     embedded_pid, cmd ? cmd : "that");
		return NULL;
	}
	line = json_dumps(req, JSON_COMPACT);
	if (!line) {
		fail("out of memory");
		return NULL;
	}
	reply = kmemd_ctl_handle(line, strlen(line));
	free(line);
	if (!reply)
		fail("out of memory");
	return reply;
}
