/* SPDX-License-Identifier: MIT */
/*
 * The attach protocol between kmemd and libkmem, on a SOCK_SEQPACKET unix
 * socket (one message per packet, so a truncated or oversized message is
 * seen as such).  Shared by daemon/ and libkmem/attach.c; not installed.
 *
 *   client                                  kmemd
 *   connect()             ───────────►      accept(), SO_PEERCRED checked
 *   HELLO {pid, comm}     ───────────►
 *                         ◄───────────      WELCOME {client id, base, maps}
 *                                           + SCM_RIGHTS: [0] shared segment,
 *                                             [1..] the memfds maps[] name
 *                         ◄───────────      or ERROR {errno, message}
 *   (allocates in shared memory; the socket stays open: its closing, or
 *    the client's pidfd, tells kmemd the client is gone)
 *   DETACH                ───────────►      (orderly detach)
 *                         ◄───────────      SHUTDOWN (daemon stopping)
 *
 * Every message starts with struct kmemd_hdr; a message whose magic,
 * version, type or length is wrong gets an ERROR reply and the connection
 * is closed.  The client trusts nothing in a WELCOME either: counts, sizes,
 * offsets and the segment's magic and version are checked against the
 * packet and the files before anything is mapped (libkmem/attach.c).
 * Server side: __kmem_attach_welcome() in libkmem (internal.h).
 */
#ifndef _KMEM_KMEMD_PROTO_H
#define _KMEM_KMEMD_PROTO_H

#include <linux/types.h>

#define KMEMD_MAGIC		0x444d4d4bu	/* "KMMD" */
#define KMEMD_PROTO_VERSION	2
#define KMEMD_MSG_MAX		8192		/* bytes; larger packets are refused */
/* segment + per node: the direct map's hugetlb and shmem ranges, highmem */
#define KMEMD_MAX_FDS		(1 + 3 * 64)
#define KMEMD_MAX_MAPS		(3 * 64)

/* The default attach socket; KMEM_SOCKET overrides it. */
#define KMEMD_DEFAULT_SOCKET	"/run/kmemd/kmemd.sock"
/*
 * A base address for the memory (kmem_options::base_address) that suits
 * every tool: above ASan's shadow, inside TSan's high application range,
 * terabytes below the stack and shared libraries.  kmemd's default.
 */
#define KMEMD_DEFAULT_BASE	0x7e9000000000UL
/* The default control (JSON) socket. */
#define KMEMD_DEFAULT_CTL_SOCKET	"/run/kmemd/kmemd.ctl"

enum kmemd_msg_type {
	KMEMD_MSG_HELLO = 1,		/* client -> daemon */
	KMEMD_MSG_WELCOME = 2,		/* daemon -> client, with the fds */
	KMEMD_MSG_ERROR = 3,		/* daemon -> client, then close */
	KMEMD_MSG_DETACH = 4,		/* client -> daemon */
	KMEMD_MSG_SHUTDOWN = 5,		/* daemon -> client: the daemon is stopping */
};

struct kmemd_hdr {
	u32 magic;
	u16 version;
	u16 type;			/* enum kmemd_msg_type */
	u32 len;			/* whole message, header included */
	u32 _pad;
};

struct kmemd_hello {
	struct kmemd_hdr h;
	u32 pid;
	u32 flags;
	char comm[16];
};

/*
 * One mapping the client makes: @len bytes of fd number @fd_index (an index
 * into the fds passed with the WELCOME; 0 is the shared segment) from
 * @file_off, at base + @mem_off: one per range of a node's direct map (its
 * hugetlb and its shmem range, each the whole of its sparse file, mapped
 * once whatever is online) and one per HIGHMEM pool.  Where kmemd sorted a direct map's huge pages by physical
 * address, the shared segment says which page of the file each huge page
 * slot maps (kmem_shared::hpage_file_off), and the client maps it slot by
 * slot the same way.
 */
struct kmemd_map {
	u32 fd_index;
	u32 flags;			/* KMEMD_MAP_* */
	u64 file_off;
	u64 mem_off;
	u64 len;
};
#define KMEMD_MAP_HUGETLB	(1u << 0)

struct kmemd_welcome {
	struct kmemd_hdr h;
	u32 client_id;			/* > 0; stamped as page->owner etc. */
	u32 nr_fds;
	u64 base;			/* the direct map's address in every process */
	u64 mem_size;			/* bytes reserved at base */
	u64 shm_size;			/* the shared segment (fd 0) */
	u32 nr_maps;
	u32 _pad;
	struct kmemd_map maps[];	/* nr_maps, as many as fit in KMEMD_MSG_MAX */
};

struct kmemd_error {
	struct kmemd_hdr h;
	s32 err;			/* positive errno */
	char msg[240];			/* one line, NUL-terminated */
};

/*
 * What the daemon did when a client died (__kmem_client_gone(), client_gone.c);
 * not a message: the daemon keeps it in its clients table.
 */
struct kmem_client_report {
	u64 pages_returned;		/* alloc_pages() blocks, in pages */
	u64 blocks_returned;
	u64 vmalloc_pages_returned;	/* HIGHMEM pages of its vmalloc areas */
	u64 large_kmalloc_left;		/* its large kmalloc blocks, left allocated */
	u64 large_kmalloc_pages_left;
	u32 caches_destroyed;
	u32 caches_kept;		/* objects still allocated: kept, leaked */
	u32 locks_recovered;		/* found dead (EOWNERDEAD) and repaired */
	u32 vmalloc_charges_returned;	/* pages promised to its vmalloc areas, never touched */
};

/*
 * What one client holds now (__kmem_client_usage()): its blocks by kind,
 * and the objects of the shared kmalloc caches it allocated that no one
 * has freed (kmem_options::object_owners) — for a dead client, the
 * objects it left behind, accounted to it.
 */
struct kmem_client_usage {
	u32 id;				/* in: the client */
	u32 _pad;
	u64 pages;			/* alloc_pages() blocks and large kmallocs, in pages */
	u64 slab_pages;			/* slabs it created (of any cache) */
	u64 vmalloc_pages;		/* HIGHMEM pages of its vmalloc areas */
	u64 objects;			/* shared kmalloc objects it allocated, still allocated */
	u64 object_bytes;		/* their object sizes */
};

#endif /* _KMEM_KMEMD_PROTO_H */
