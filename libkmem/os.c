// SPDX-License-Identifier: MIT
/*
 * os.c - the system calls behind libkmem/os.h.
 *
 * No locks; every function is safe to call from any thread.  Nothing here
 * prints: errors go back to the caller as -errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <numaif.h>
#include <numa.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <linux/userfaultfd.h>
#include <linux/futex.h>
#include <time.h>

#include "os.h"

#ifndef MFD_HUGE_SHIFT
#define MFD_HUGE_SHIFT 26
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

int os_memfd_create(const char *name, bool hugetlb, unsigned int hpage_shift)
{
	unsigned int flags = MFD_CLOEXEC;
	int fd;

	if (hugetlb)
		flags |= MFD_HUGETLB | (hpage_shift << MFD_HUGE_SHIFT);
	fd = memfd_create(name, flags);
	return fd < 0 ? -errno : fd;
}

int os_ftruncate(int fd, size_t size)
{
	return ftruncate(fd, (off_t)size) ? -errno : 0;
}

void os_close(int fd)
{
	if (fd >= 0)
		close(fd);
}

int os_reserve(size_t size, size_t align, void **addr)
{
	size_t span = size + align;
	char *p, *aligned;

	p = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	aligned = (char *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
	if (aligned > p)
		munmap(p, (size_t)(aligned - p));
	if (aligned + size < p + span)
		munmap(aligned + size, (size_t)(p + span - (aligned + size)));
	*addr = aligned;
	return 0;
}

int os_reserve_at(void *addr, size_t size)
{
	char *p = mmap(addr, size, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);

	if (p == MAP_FAILED)
		return -errno;
	if (p != addr) {	/* a kernel before 4.17 took the flag as a hint */
		munmap(p, size);
		return -EEXIST;
	}
	return 0;
}

int os_map_fixed(void *addr, size_t size, int fd, uint64_t off)
{
	/* no reservation: a hugetlb file is sparse, its pages come with fallocate */
	void *p = mmap(addr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED | MAP_NORESERVE,
		       fd, (off_t)off);

	return p == MAP_FAILED ? -errno : 0;
}

int os_fallocate(int fd, uint64_t off, uint64_t len)
{
	int ret;

	do
		ret = fallocate(fd, 0, (off_t)off, (off_t)len);
	while (ret && errno == EINTR);
	return ret ? -errno : 0;
}

int os_punch_hole(int fd, uint64_t off, uint64_t len)
{
	int ret;

	do
		ret = fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off,
				(off_t)len);
	while (ret && errno == EINTR);
	return ret ? -errno : 0;
}

int os_discard_shared(void *addr, size_t size)
{
	return madvise(addr, size, MADV_REMOVE) ? -errno : 0;
}

int os_map_fixed_populate(void *addr, size_t size, int fd, uint64_t off)
{
	void *p = mmap(addr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED | MAP_POPULATE,
		       fd, (off_t)off);

	return p == MAP_FAILED ? -errno : 0;
}

int os_map(size_t size, int fd, void **addr)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		return -errno;
	*addr = p;
	return 0;
}

int os_map_private(size_t size, const char *name, void **addr)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return -errno;
	os_name_anon(p, size, name);
	*addr = p;
	return 0;
}

void os_name_anon(void *addr, size_t size, const char *name)
{
	/* only a label in /proc/PID/maps: a kernel without CONFIG_ANON_VMA_NAME refuses it */
	prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)addr, size, (unsigned long)name);
}

int os_discard_private(void *addr, size_t size)
{
	return madvise(addr, size, MADV_DONTNEED) ? -errno : 0;
}

int os_map_ro(size_t size, int fd, void **addr)
{
	void *p = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		return -errno;
	*addr = p;
	return 0;
}

int os_fd_size(int fd, uint64_t *size)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	*size = (uint64_t)st.st_size;
	return 0;
}

bool os_same_file(int fd1, int fd2)
{
	struct stat a, b;

	return !fstat(fd1, &a) && !fstat(fd2, &b) && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int os_unmap(void *addr, size_t size)
{
	return munmap(addr, size) ? -errno : 0;
}

int os_bind_node(void *addr, size_t size, int node)
{
	unsigned long mask[16] = { 0 };

	if (node < 0 || node >= (int)(sizeof(mask) * 8))
		return -EINVAL;
	if (numa_available() < 0)
		return -ENOSYS;
	mask[node / (8 * sizeof(long))] = 1UL << (node % (8 * sizeof(long)));
	if (mbind(addr, size, MPOL_BIND, mask, sizeof(mask) * 8, 0))
		return -errno;
	return 0;
}

int os_populate(void *addr, size_t size)
{
	if (madvise(addr, size, MADV_POPULATE_WRITE) == 0)
		return 0;
	/* EINVAL: a kernel before 5.14; anything else is a real failure. */
	if (errno != EINVAL)
		return -errno;
	return -EOPNOTSUPP;
}

int os_advise_hugepage(void *addr, size_t size)
{
	return madvise(addr, size, MADV_HUGEPAGE) ? -errno : 0;
}

int os_virt_to_phys(const void *addr, uint64_t *phys)
{
	long psize = sysconf(_SC_PAGESIZE);
	uint64_t entry;
	ssize_t n;
	int fd;

	*phys = 0;
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = pread(fd, &entry, sizeof(entry), (off_t)((uintptr_t)addr / (uintptr_t)psize * sizeof(entry)));
	close(fd);
	if (n != sizeof(entry))
		return n < 0 ? -errno : -EIO;
	/* bit 63: present; bits 0-54: frame number, which reads as 0 without CAP_SYS_ADMIN */
	if (!(entry >> 63) || !(entry & ((1ULL << 55) - 1)))
		return -EPERM;
	*phys = (entry & ((1ULL << 55) - 1)) * (uint64_t)psize + ((uintptr_t)addr % (uintptr_t)psize);
	return 0;
}

long os_free_hugepages(unsigned int hpage_shift)
{
	char path[128], buf[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/hugepages-%lukB/free_hugepages",
		 (1UL << hpage_shift) >> 10);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif

int os_uffd_open(void)
{
	struct uffdio_api api = { .api = UFFD_API, .features = UFFD_FEATURE_THREAD_ID };
	int fd;

	fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 && (errno == EPERM || errno == EACCES))
		fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, UFFDIO_API, &api)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int os_uffd_register(int uffd, void *addr, size_t len)
{
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)addr, .len = len },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};

	return ioctl(uffd, UFFDIO_REGISTER, &reg) ? -errno : 0;
}

int os_uffd_wake(int uffd, void *addr, size_t len)
{
	struct uffdio_range range = { .start = (uintptr_t)addr, .len = len };

	return ioctl(uffd, UFFDIO_WAKE, &range) ? -errno : 0;
}

int os_uffd_read_faults(int uffd, uint64_t *addrs, uint32_t *tids, int max)
{
	struct uffd_msg msgs[16];
	ssize_t n;
	int i, nr = 0;

	if (max > 16)
		max = 16;
	n = read(uffd, msgs, sizeof(msgs[0]) * (size_t)max);
	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	for (i = 0; i < (int)(n / (ssize_t)sizeof(msgs[0])); i++)
		if (msgs[i].event == UFFD_EVENT_PAGEFAULT) {
			tids[nr] = msgs[i].arg.pagefault.feat.ptid;
			addrs[nr++] = msgs[i].arg.pagefault.address;
		}
	return nr;
}

int os_map_anon_fixed(void *addr, size_t len, bool rw)
{
	void *p = mmap(addr, len, rw ? PROT_READ | PROT_WRITE : PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? -errno : 0;
}

int os_kill_thread(uint32_t tid, int sig)
{
	return syscall(SYS_tgkill, getpid(), (pid_t)tid, sig) ? -errno : 0;
}

static sigset_t async_signals;
static pthread_once_t async_signals_once = PTHREAD_ONCE_INIT;

static void async_signals_init(void)
{
	static const int faults[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS };
	size_t i;

	sigfillset(&async_signals);
	for (i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
		sigdelset(&async_signals, faults[i]);
}

bool os_process_exited(uint32_t pid)
{
	char path[32], buf[256], *p;
	ssize_t n;
	int fd;

	if (!pid || (kill((pid_t)pid, 0) && errno == ESRCH))
		return true;
	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	/* "pid (comm) S ...": the state follows the last ')' */
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
}

uint64_t os_pid_namespace(void)
{
	struct stat st;

	return stat("/proc/self/ns/pid", &st) ? 0 : (uint64_t)st.st_ino;
}

int os_block_async_signals(sigset_t *old)
{
	pthread_once(&async_signals_once, async_signals_init);
	return -pthread_sigmask(SIG_BLOCK, &async_signals, old);
}

int os_set_sigmask(const sigset_t *set)
{
	return -pthread_sigmask(SIG_SETMASK, set, NULL);
}

void os_yield(void)
{
	sched_yield();
}

int os_gettid(void)
{
	return (int)gettid();
}

int os_getcpu(void)
{
	return sched_getcpu();
}

const char *os_comm(void)
{
	static __thread char comm[17];

	if (!comm[0] && prctl(PR_GET_NAME, comm) != 0)
		strcpy(comm, "?");
	return comm;
}

int os_futex_wait(uint32_t *word, uint32_t val, int timeout_ms)
{
	struct timespec ts, *tsp = NULL;

	if (timeout_ms >= 0) {
		ts.tv_sec = timeout_ms / 1000;
		ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
		tsp = &ts;
	}
	/* not FUTEX_PRIVATE_FLAG: the word may be shared with other processes */
	if (syscall(SYS_futex, word, FUTEX_WAIT, val, tsp, NULL, 0) == 0)
		return 0;
	return -errno;
}

void os_futex_wake(uint32_t *word, int nr)
{
	syscall(SYS_futex, word, FUTEX_WAKE, nr, NULL, NULL, 0);
}

int os_seqpacket_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* a daemon that accepts and never answers must not hang us */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &(struct timeval){ .tv_sec = OS_RECV_TIMEOUT_S },
		   sizeof(struct timeval));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int os_send_fds(int sock, const void *buf, size_t len, const int *fds, unsigned int nr_fds)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * OS_MAX_FDS)];
	} ctl;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (nr_fds > OS_MAX_FDS)
		return -EINVAL;
	if (nr_fds) {
		struct cmsghdr *cm;

		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nr_fds);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nr_fds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * nr_fds);
	}
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EMSGSIZE;
}

ssize_t os_recv_fds(int sock, void *buf, size_t len, int *fds, unsigned int *nr_fds)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * OS_MAX_FDS)];
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *cm;
	unsigned int max = *nr_fds;
	ssize_t n;

	*nr_fds = 0;
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	/* take every fd that came, even from a bad message, so that none leaks */
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		unsigned int i, nr;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		nr = (unsigned int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (i = 0; i < nr; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (*nr_fds < max)
				fds[(*nr_fds)++] = fd;
			else
				close(fd);
		}
	}
	if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		return -EMSGSIZE;
	return n;
}

int os_send(int sock, const void *buf, size_t len)
{
	return os_send_fds(sock, buf, len, NULL, 0);
}

bool os_path_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

uint64_t os_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
