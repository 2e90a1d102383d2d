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
 * mapping of it is all the zone views need.  An allocator of private memory
 * (memory=private, the malloc front end's) has no such memfd: a one-page
 * "kmem-private" memfd says where its segment is, and the parts the views
 * read are copied from /proc/PID/mem, under the same permission:
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

/* The fd number of @pid's memfd @name, -1 if none, -2 if its fds cannot be read. */
static int find_memfd(long pid, const char *name)
{
	size_t len = strlen(name);
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
		if (!strncmp(link, name, len) && (link[len] == ' ' || !link[len]))
			fd = atoi(e->d_name);
	}
	closedir(dir);
	return fd;
}

/*
 * memory=private: the segment is anonymous memory that the "kmem-private"
 * memfd locates (libkmem/types.h).  Its header, zones, per-CPU lists and
 * section table are copied from /proc/PID/mem (the same permission as the
 * fds) into a private mapping at the same offsets; the memmap, which no
 * view used here reads, stays a hole.  A snapshot, as a read of a shared
 * segment is.
 */
static void *read_private_segment(long pid, int locator_nfd, size_t *size)
{
	struct kmem_private_locator loc;
	struct kmem_shared head;
	char path[64];
	void *copy;
	u64 parts[2][2];
	int fd, memfd, i;

	snprintf(path, sizeof(path), "/proc/%ld/fd/%d", pid, locator_nfd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	i = pread(fd, &loc, sizeof(loc), 0) == (ssize_t)sizeof(loc);
	close(fd);
	if (!i || loc.magic != KMEM_PRIVATE_MAGIC || loc.segment_size < sizeof(head) ||
	    loc.segment_size > (1ULL << 40))
		return NULL;
	snprintf(path, sizeof(path), "/proc/%ld/mem", pid);
	memfd = open(path, O_RDONLY | O_CLOEXEC);
	if (memfd < 0)
		return NULL;
	if (pread(memfd, &head, sizeof(head), (off_t)loc.segment) != (ssize_t)sizeof(head) ||
	    head.memmap_off > head.hpage_phys_off || head.hpage_phys_off > loc.segment_size) {
		close(memfd);
		return NULL;
	}
	copy = mmap(NULL, loc.segment_size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (copy == MAP_FAILED) {
		close(memfd);
		return NULL;
	}
	parts[0][0] = 0;
	parts[0][1] = head.memmap_off;
	parts[1][0] = head.hpage_phys_off;
	parts[1][1] = loc.segment_size;
	for (i = 0; i < 2; i++) {
		u64 off = parts[i][0];

		while (off < parts[i][1]) {
			ssize_t n = pread(memfd, (char *)copy + off, parts[i][1] - off,
					  (off_t)(loc.segment + off));

			if (n <= 0) {
				close(memfd);
				munmap(copy, loc.segment_size);
				return NULL;
			}
			off += (u64)n;
		}
	}
	close(memfd);
	mprotect(copy, loc.segment_size, PROT_READ);
	*size = loc.segment_size;
	return copy;
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
	nfd = find_memfd(pid, "/memfd:kmem-shared");
	if (nfd == -2)
		return fail("--embedded %ld: permission denied reading its fds (/proc/%ld/fd): "
			    "root or the process's owner may", pid, pid);
	if (nfd < 0) {
		size_t size = 0;

		nfd = find_memfd(pid, "/memfd:kmem-private");
		if (nfd < 0)
			return fail("--embedded %ld: no kmem allocator in that process (no "
				    "memfd:kmem-shared or kmem-private among its fds)", pid);
		shm = read_private_segment(pid, nfd, &size);
		if (!shm)
			return fail("--embedded %ld: cannot read its private segment through "
				    "/proc/%ld/mem", pid, pid);
		st.st_size = (off_t)size;
		goto check;
	}
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
check:
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
