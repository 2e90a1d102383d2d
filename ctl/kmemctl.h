/* SPDX-License-Identifier: MIT */
/*
 * kmemctl.h - what kmemctl's subcommand files share.
 *
 * kmemctl.c owns the command line and the plain views; kmemctl_top.c owns the live
 * full-screen view.  Both talk to kmemd through kmemctl_request(), so the connection,
 * the protocol version check and the error lines read the same everywhere.
 */
#ifndef KMEMCTL_H
#define KMEMCTL_H

#include <jansson.h>

/* Exit statuses, documented in kmemctl(8). */
#define KMEMCTL_EXIT_OK		0
#define KMEMCTL_EXIT_REFUSED	1	/* kmemd answered with an error */
#define KMEMCTL_EXIT_USAGE	2	/* bad usage, or kmemd cannot be reached */

/*
 * Connect to kmemd at @sock_path, send @req (one JSON object; a reference is NOT
 * taken), read one reply and check its protocol version.  Returns the reply (the
 * caller json_decref()s it) with *@status = 0, or NULL with *@status set to an exit
 * status above after one "kmemctl: ..." line on stderr: 2 when kmemd cannot be reached,
 * refuses the connection, or speaks another version; 1 when it answered with an error.
 */
json_t *kmemctl_request(const char *sock_path, json_t *req, int *status);

/*
 * kmemctl top: the live view.  @argv[0] is "top"; the return value is kmemctl's exit
 * status.  Implemented in kmemctl_top.c.
 */
int kmemctl_top(const char *sock_path, int argc, char **argv);

/*
 * --embedded PID (kmemctl_embedded.c): map @pid_arg's kmem segment read-only and
 * answer the zone views from it.  _open() returns 0, or an exit status after one
 * error line; _exchange() answers @req as kmemd would (a malloc()ed reply line), or
 * prints why it cannot and returns NULL.
 */
int kmemctl_embedded_open(const char *pid_arg);
char *kmemctl_embedded_exchange(json_t *req);

#endif /* KMEMCTL_H */
