/* SPDX-License-Identifier: MIT */
/*
 * kmemd's control protocol: JSON requests and replies on the control
 * socket, in the spirit of DPDK's telemetry socket (docs/ctl-protocol.md).
 * ctl.c turns one request into one reply and knows nothing of sockets;
 * kmemd.c does the I/O.
 */
#ifndef _KMEMD_CTL_H
#define _KMEMD_CTL_H

#include <stddef.h>
#include <jansson.h>

#define KMEMD_CTL_VERSION	1
#define KMEMD_CTL_MAX_REQUEST	4096	/* bytes; longer requests are refused */
/* bytes; a longer reply is replaced by an EMSGSIZE error (orphans: ask for fewer) */
#define KMEMD_CTL_MAX_REPLY	(8 << 20)
/* A peer that has not read a whole reply this long after it was ready is dropped. */
#define KMEMD_CTL_SEND_TIMEOUT_MS	3000
/* ... and so is one that began a request and did not finish it within this. */
#define KMEMD_CTL_REQUEST_TIMEOUT_MS	3000

/*
 * kmemd_ctl_handle - answer one request (@len bytes, a JSON object such as
 * {"cmd": "buddyinfo"}).  Never fails: a malformed request gets an error
 * reply.  Return: a malloc()ed, NUL-terminated JSON object with a
 * "version" field; the caller frees it.
 */
char *kmemd_ctl_handle(const char *request, size_t len);

/*
 * What only the daemon knows, supplied by kmemd.c: the attached clients
 * (a JSON array, new reference) and a reload of its configuration.
 * Unset, "clients" answers an empty list.
 */
struct kmem_client_usage;
struct kmemd_ctl_ops {
	json_t *(*clients)(void);
	/* free gone client @id's orphaned objects: 0, -ENOENT, -EBUSY or -errno */
	int (*free_orphans)(unsigned int id, struct kmem_client_usage *freed);
};
void kmemd_ctl_set_ops(const struct kmemd_ctl_ops *ops);

#endif /* _KMEMD_CTL_H */
