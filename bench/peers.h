/* SPDX-License-Identifier: MIT */
/*
 * peers.h - other allocators called through their own prefixed API in the
 * same process as kmem and glibc malloc.
 *
 * Debian's libmimalloc exports malloc/free as well as mi_malloc/mi_free, so
 * linking it would replace glibc's malloc in the whole program.  Loaded
 * with dlopen(RTLD_LOCAL) instead, its definitions stay out of the global
 * scope: malloc keeps meaning whatever the program was linked with, and
 * mi_malloc/mi_free are called through the pointers below (one indirect
 * call each, as a PLT call is).
 */
#ifndef KMEM_BENCH_PEERS_H
#define KMEM_BENCH_PEERS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

extern void *(*bench_mi_malloc)(size_t size);
extern void (*bench_mi_free)(void *p);

/**
 * bench_mi_load - dlopen libmimalloc (RTLD_LOCAL) and find mi_malloc,
 * mi_free.  Idempotent.  Return: 0, or -1 with @why set.
 */
int bench_mi_load(char *why, size_t len);
/** bench_mi_version - "2.0.9"-style mimalloc version, or "?". */
const char *bench_mi_version(void);

#ifdef __cplusplus
}
#endif

#endif /* KMEM_BENCH_PEERS_H */
