// SPDX-License-Identifier: MIT
/*
 * peers.c - mimalloc's mi_malloc/mi_free, loaded at run time; see peers.h.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

#include "peers.h"

void *(*bench_mi_malloc)(size_t size);
void (*bench_mi_free)(void *p);

static int (*mi_version_fn)(void);

int bench_mi_load(char *why, size_t len)
{
	static const char *const names[] = { "libmimalloc.so.2", "libmimalloc.so" };
	void *h = NULL;
	unsigned int i;

	if (bench_mi_malloc && bench_mi_free)
		return 0;
	for (i = 0; i < sizeof(names) / sizeof(names[0]) && !h; i++)
		h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(why, len, "dlopen libmimalloc: %s", dlerror());
		return -1;
	}
	*(void **)&bench_mi_malloc = dlsym(h, "mi_malloc");
	*(void **)&bench_mi_free = dlsym(h, "mi_free");
	*(void **)&mi_version_fn = dlsym(h, "mi_version");
	if (!bench_mi_malloc || !bench_mi_free) {
		snprintf(why, len, "libmimalloc has no mi_malloc/mi_free");
		bench_mi_malloc = NULL;
		bench_mi_free = NULL;
		return -1;
	}
	return 0;
}

const char *bench_mi_version(void)
{
	static char buf[32];
	int v;

	if (!mi_version_fn)
		return "?";
	v = mi_version_fn();
	snprintf(buf, sizeof(buf), "%d.%d.%d", v / 100, v / 10 % 10, v % 10);
	return buf;
}
