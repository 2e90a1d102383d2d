/* SPDX-License-Identifier: MIT */
/*
 * The primitive layer: every system call kmem makes goes through here, so
 * that the rest of the library reads as allocator logic and tests can see
 * one narrow surface.
 *
 * Contract: pointer arguments are non-NULL; addresses and lengths passed to
 * mapping calls are page-aligned (huge-page-aligned for hugetlb memory).
 * Functions returning int return 0 or -errno and never print; the caller
 * decides what a failure means.
 */
#ifndef _KMEM_OS_H
#define _KMEM_OS_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <sys/types.h>

/*
 * kmem's own bookkeeping (vmalloc's area records, reclaim's scratch arrays,
 * the views' tables) comes from glibc's allocator, never from whatever
 * malloc the process runs on: under the malloc front end that is kmem
 * itself, and a record taken from vmalloc while vmalloc holds its locks
 * would deadlock.  The sanitizers' builds use their own malloc (they
 * intercept it, and see __libc_* memory as untracked).
 */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#include <stdlib.h>
#define os_malloc(n)		malloc(n)
#define os_calloc(n, size)	calloc(n, size)
#define os_reallocarray(p, n, size) reallocarray(p, n, size)
#define os_free(p)		free(p)
#else
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void __libc_free(void *p);
#define os_malloc(n)		__libc_malloc(n)
#define os_calloc(n, size)	__libc_calloc(n, size)
#define os_free(p)		__libc_free(p)
static inline void *os_reallocarray(void *p, size_t n, size_t size)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	return __libc_realloc(p, bytes);
}
#endif

/* Anonymous shared memory as a file, so other processes can map it later. */
int os_memfd_create(const char *name, bool hugetlb, unsigned int hpage_shift);
int os_ftruncate(int fd, size_t size);
void os_close(int fd);

/* Reserve @size bytes of address space aligned to @align (PROT_NONE). */
int os_reserve(size_t size, size_t align, void **addr);
/* Reserve exactly [@addr, +@size) (MAP_FIXED_NOREPLACE); -EEXIST if any of it is taken. */
int os_reserve_at(void *addr, size_t size);
/*
 * Map @fd at exactly @addr, replacing the reservation there; no swap or
 * huge page reservation is taken (MAP_NORESERVE): the file may be sparse.
 */
int os_map_fixed(void *addr, size_t size, int fd, uint64_t off);
/* Allocate the file's pages in [@off, +@len); -ENOSPC: the (huge page) pool has none. */
int os_fallocate(int fd, uint64_t off, uint64_t len);
/* Free them again (FALLOC_FL_PUNCH_HOLE): every process's mapping of them goes. */
int os_punch_hole(int fd, uint64_t off, uint64_t len);
/* The same through a shared mapping of the file (MADV_REMOVE). */
int os_discard_shared(void *addr, size_t size);
/* The same, with the page tables filled at once (no fault per page later). */
int os_map_fixed_populate(void *addr, size_t size, int fd, uint64_t off);
/* Map @fd anywhere, read-write. */
int os_map(size_t size, int fd, void **addr);
/* Anonymous MAP_PRIVATE memory (copied, not shared, by fork()), named @name in /proc/PID/maps. */
int os_map_private(size_t size, const char *name, void **addr);
void os_name_anon(void *addr, size_t size, const char *name);
/* Private memory back to the kernel: it reads as zeros again. */
int os_discard_private(void *addr, size_t size);
/* Map @fd anywhere, read-only (to check it before trusting it). */
int os_map_ro(size_t size, int fd, void **addr);
/* The size of the file behind @fd. */
int os_fd_size(int fd, uint64_t *size);
/* Do @fd1 and @fd2 name the same file? */
bool os_same_file(int fd1, int fd2);
int os_unmap(void *addr, size_t size);

/* Bind [@addr, @addr + @size) to NUMA node @node (MPOL_BIND); -ENOSYS without NUMA. */
int os_bind_node(void *addr, size_t size, int node);
/* Fault the range in for writing; -ENOMEM when (huge) pages ran out. */
int os_populate(void *addr, size_t size);
/* Ask for transparent huge pages on a shmem range. */
int os_advise_hugepage(void *addr, size_t size);

/* Physical address of a mapped, present page; 0 with -errno when unreadable. */
int os_virt_to_phys(const void *addr, uint64_t *phys);

/* Free huge pages of size 1 << @hpage_shift the kernel has in its pool. */
long os_free_hugepages(unsigned int hpage_shift);

/*
 * userfaultfd: open one with the API handshake done (UFFD_USER_MODE_ONLY
 * when unprivileged); register [@addr, +@len) for missing-page faults; wake
 * the threads faulting in a range; read pending fault addresses.
 */
int os_uffd_open(void);
int os_uffd_register(int uffd, void *addr, size_t len);
int os_uffd_wake(int uffd, void *addr, size_t len);
/* Up to @max fault addresses and faulting thread ids; 0 when none is pending. */
int os_uffd_read_faults(int uffd, uint64_t *addrs, uint32_t *tids, int max);
/* Send @sig to thread @tid of this process. */
int os_kill_thread(uint32_t tid, int sig);
/*
 * Has process @pid (of this process's pid namespace) exited?  True when it
 * is gone or a zombie; false while it runs or when that cannot be told.
 */
bool os_process_exited(uint32_t pid);
/* This process's pid namespace, as the inode of /proc/self/ns/pid; 0 if unknown. */
uint64_t os_pid_namespace(void);
/*
 * local_irq_save(): block, for the calling thread, every signal that is not
 * a synchronous fault (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS
 * stay open), giving the old mask in @old; os_set_sigmask() puts it back.
 */
int os_block_async_signals(sigset_t *old);
int os_set_sigmask(const sigset_t *set);
/* Give up the CPU (sched_yield()). */
void os_yield(void);
/* The calling thread's id, and the CPU it runs on (-1 if unknown). */
int os_gettid(void);
int os_getcpu(void);
/* Replace [@addr, +@len) with fresh anonymous memory, read-write or none. */
int os_map_anon_fixed(void *addr, size_t len, bool rw);

/*
 * Process-shared futex on a word of shared memory: sleep while *@word ==
 * @val, at most @timeout_ms (< 0: no limit); wake up to @nr sleepers.
 * os_futex_wait returns 0 when woken, -ETIMEDOUT, -EAGAIN (word changed)
 * or -EINTR.
 */
int os_futex_wait(uint32_t *word, uint32_t val, int timeout_ms);
void os_futex_wake(uint32_t *word, int nr);

/*
 * SOCK_SEQPACKET unix sockets (kmemd's attach protocol): connect to @path
 * (Return: the fd or -errno; receives on it time out after
 * OS_RECV_TIMEOUT_S); send one packet with up to OS_MAX_FDS fds
 * (SCM_RIGHTS); receive one packet with its fds (at most *@nr_fds kept,
 * the rest closed; close-on-exec).  os_recv_fds returns the packet's length
 * (0 at end of stream) or -errno (-EMSGSIZE: truncated, fds still given).
 */
#define OS_MAX_FDS	253	/* SCM_MAX_FD */
#define OS_RECV_TIMEOUT_S	10	/* a receive waits at most this long (-EAGAIN) */
int os_seqpacket_connect(const char *path);
int os_send_fds(int sock, const void *buf, size_t len, const int *fds, unsigned int nr_fds);
int os_send(int sock, const void *buf, size_t len);
ssize_t os_recv_fds(int sock, void *buf, size_t len, int *fds, unsigned int *nr_fds);

/* Does @path name something (a socket, a file)? */
bool os_path_exists(const char *path);

/* CLOCK_MONOTONIC in milliseconds, for time-outs. */
uint64_t os_now_ms(void);

/* Short command name of this process, for reports. */
const char *os_comm(void);

#endif /* _KMEM_OS_H */
