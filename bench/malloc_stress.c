// SPDX-License-Identifier: MIT
/*
 * malloc_stress - the classic multithreaded allocator stress patterns, in
 * our own code, over plain malloc()/free(): whichever allocator is
 * preloaded (LD_PRELOAD) or linked is the one measured.  bench/
 * malloc_ratios.py runs it under each allocator in one run.
 *
 *   larson    a server: each thread owns slots of objects (16..1024 B) and
 *             replaces a random one at a time; after each round a thread's
 *             slots pass to a new thread, which frees what the old one
 *             allocated (Larson and Krishnan's benchmark).
 *   xmalloc   producers allocate (16..512 B) and hand every object through a
 *             queue to a consumer thread, which frees it: all frees remote.
 *   scratch   cache-scratch: each thread frees an object the main thread
 *             allocated, then allocates and writes small objects in a loop;
 *             an allocator that hands out memory close to another thread's
 *             falsely shares cache lines.
 *   rptest    a mix of sizes (16 B..64 KiB, smaller ones far more common) and
 *             lifetimes (most die young, some live long), per thread, with
 *             some objects freed by another thread (rpmalloc's benchmark).
 *
 * Usage: malloc_stress WORKLOAD [THREADS [SCALE]]
 * Prints one line: "WORKLOAD threads=T ops=N seconds=S": the driver takes
 * wall time and peak RSS itself.
 *
 * malloc_stress exec PRELOAD COMMAND [ARG...]: run COMMAND with LD_PRELOAD
 * set to PRELOAD ("" for none) and print its peak RSS on stderr
 * ("maxrss_kib=N").  A child's peak RSS counts the memory of the process
 * it was forked from until its exec: from this small one, not from the
 * driver's Python.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static unsigned int nr_threads = 2;
static unsigned long scale = 1;

static inline uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *xmalloc_or_die(size_t n)
{
	void *p = malloc(n);

	if (!p) {
		fprintf(stderr, "malloc_stress: out of memory (%zu bytes)\n", n);
		exit(2);
	}
	return p;
}

/* ------------------------------------------------------------------ */
/* larson                                                              */

#define LARSON_SLOTS	1000
#define LARSON_ROUNDS	20

struct larson_slots {
	void *obj[LARSON_SLOTS];
	uint64_t seed;
};

static void *larson_thread(void *arg)
{
	struct larson_slots *sl = arg;
	unsigned long i, n = 10000 * scale;

	for (i = 0; i < n; i++) {
		unsigned int k = (unsigned int)(rnd(&sl->seed) % LARSON_SLOTS);
		size_t size = 16 + rnd(&sl->seed) % 1009;

		free(sl->obj[k]);
		sl->obj[k] = xmalloc_or_die(size);
		memset(sl->obj[k], (int)i, size < 64 ? size : 64);
	}
	return NULL;
}

static unsigned long run_larson(void)
{
	struct larson_slots *sl = calloc(nr_threads, sizeof(*sl));
	pthread_t *t = calloc(nr_threads, sizeof(*t));
	unsigned int i, r, k;

	for (i = 0; i < nr_threads; i++) {
		sl[i].seed = 0x9e3779b97f4a7c15ULL * (i + 1);
		for (k = 0; k < LARSON_SLOTS; k++)
			sl[i].obj[k] = xmalloc_or_die(16 + rnd(&sl[i].seed) % 1009);
	}
	/* each round, fresh threads: the slots outlive the thread that filled them */
	for (r = 0; r < LARSON_ROUNDS; r++) {
		for (i = 0; i < nr_threads; i++)
			pthread_create(&t[i], NULL, larson_thread, &sl[(i + r) % nr_threads]);
		for (i = 0; i < nr_threads; i++)
			pthread_join(t[i], NULL);
	}
	for (i = 0; i < nr_threads; i++)
		for (k = 0; k < LARSON_SLOTS; k++)
			free(sl[i].obj[k]);
	free(sl);
	free(t);
	return (unsigned long)LARSON_ROUNDS * nr_threads * 10000 * scale;
}

/* ------------------------------------------------------------------ */
/* xmalloc                                                             */

#define RING	4096

struct ring {
	void *slot[RING];
	unsigned long head, tail;	/* head: next to write (producer) */
	pthread_mutex_t lock;
	pthread_cond_t more, room;
	unsigned int producers_left;
};

static struct ring ring = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.more = PTHREAD_COND_INITIALIZER,
	.room = PTHREAD_COND_INITIALIZER,
};

#define XMALLOC_BATCH	64

static void *xmalloc_producer(void *arg)
{
	uint64_t seed = (uintptr_t)arg * 0x2545f4914f6cdd1dULL + 1;
	unsigned long n = 200000 * scale, i;
	void *batch[XMALLOC_BATCH];
	unsigned int k;

	for (i = 0; i < n; i += XMALLOC_BATCH) {
		for (k = 0; k < XMALLOC_BATCH; k++) {
			size_t size = 16 + rnd(&seed) % 497;

			batch[k] = xmalloc_or_die(size);
			*(volatile char *)batch[k] = 1;
		}
		pthread_mutex_lock(&ring.lock);
		while (ring.head - ring.tail + XMALLOC_BATCH > RING)
			pthread_cond_wait(&ring.room, &ring.lock);
		for (k = 0; k < XMALLOC_BATCH; k++)
			ring.slot[ring.head++ % RING] = batch[k];
		pthread_cond_signal(&ring.more);
		pthread_mutex_unlock(&ring.lock);
	}
	pthread_mutex_lock(&ring.lock);
	ring.producers_left--;
	pthread_cond_broadcast(&ring.more);
	pthread_mutex_unlock(&ring.lock);
	return NULL;
}

static void *xmalloc_consumer(void *arg)
{
	void *batch[XMALLOC_BATCH];
	unsigned int k, nr;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&ring.lock);
		while (ring.head == ring.tail && ring.producers_left)
			pthread_cond_wait(&ring.more, &ring.lock);
		if (ring.head == ring.tail) {
			pthread_mutex_unlock(&ring.lock);
			return NULL;
		}
		for (nr = 0; nr < XMALLOC_BATCH && ring.tail != ring.head; nr++)
			batch[nr] = ring.slot[ring.tail++ % RING];
		pthread_cond_signal(&ring.room);
		pthread_mutex_unlock(&ring.lock);
		for (k = 0; k < nr; k++)
			free(batch[k]);
	}
}

static unsigned long run_xmalloc(void)
{
	unsigned int producers = nr_threads > 1 ? nr_threads - 1 : 1, i;
	pthread_t *t = calloc(producers + 1, sizeof(*t));

	ring.producers_left = producers;
	pthread_create(&t[producers], NULL, xmalloc_consumer, NULL);
	for (i = 0; i < producers; i++)
		pthread_create(&t[i], NULL, xmalloc_producer, (void *)(uintptr_t)(i + 1));
	for (i = 0; i <= producers; i++)
		pthread_join(t[i], NULL);
	free(t);
	return (unsigned long)producers * 200000 * scale;
}

/* ------------------------------------------------------------------ */
/* cache-scratch                                                       */

struct scratch_arg {
	char *given;
	unsigned long iterations;
};

static void *scratch_thread(void *arg)
{
	struct scratch_arg *a = arg;
	unsigned long i;
	int k;

	free(a->given);
	for (i = 0; i < a->iterations; i++) {
		char *p = xmalloc_or_die(8);

		/* many writes per object: false sharing shows here */
		for (k = 0; k < 200; k++)
			((volatile char *)p)[k % 8] = (char)k;
		free(p);
	}
	return NULL;
}

static unsigned long run_scratch(void)
{
	struct scratch_arg *a = calloc(nr_threads, sizeof(*a));
	pthread_t *t = calloc(nr_threads, sizeof(*t));
	unsigned int i;

	/* neighbours, from one thread: an allocator may put them on one line */
	for (i = 0; i < nr_threads; i++) {
		a[i].given = xmalloc_or_die(8);
		a[i].iterations = 100000 * scale;
	}
	for (i = 0; i < nr_threads; i++)
		pthread_create(&t[i], NULL, scratch_thread, &a[i]);
	for (i = 0; i < nr_threads; i++)
		pthread_join(t[i], NULL);
	free(a);
	free(t);
	return (unsigned long)nr_threads * 100000 * scale;
}

/* ------------------------------------------------------------------ */
/* rptest                                                              */

#define RP_LIVE		4096
#define RP_HANDOFF	256

static struct {
	void *obj[RP_HANDOFF];
	unsigned int nr;
	pthread_mutex_t lock;
} handoff = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* 16 B .. 64 KiB, each power of two 2x less likely than the one below */
static size_t rp_size(uint64_t *seed)
{
	uint64_t r = rnd(seed);
	unsigned int shift = 4 + (unsigned int)__builtin_ctzll(r | (1ULL << 12));

	return ((size_t)1 << shift) + (size_t)((r >> 20) % ((size_t)1 << shift));
}

static void *rptest_thread(void *arg)
{
	uint64_t seed = (uintptr_t)arg * 0xbf58476d1ce4e5b9ULL + 7;
	void **live = calloc(RP_LIVE, sizeof(void *));
	unsigned long i, n = 100000 * scale;
	unsigned int k;

	for (i = 0; i < n; i++) {
		uint64_t r = rnd(&seed);
		/* most die young: the low slots turn over fast, the rest slowly */
		unsigned int slot = r % 8 ? (unsigned int)(r >> 8) % 64 :
					    (unsigned int)(r >> 8) % RP_LIVE;
		void *p = live[slot];

		if (p && r % 16 == 3) {
			/* some go to another thread to free */
			pthread_mutex_lock(&handoff.lock);
			if (handoff.nr < RP_HANDOFF) {
				handoff.obj[handoff.nr++] = p;
				p = NULL;
			}
			pthread_mutex_unlock(&handoff.lock);
		}
		free(p);
		live[slot] = xmalloc_or_die(rp_size(&seed));
		*(volatile char *)live[slot] = 1;
		if (r % 64 == 5) {
			void *mine[RP_HANDOFF];
			unsigned int nr;

			pthread_mutex_lock(&handoff.lock);
			nr = handoff.nr;
			memcpy(mine, handoff.obj, nr * sizeof(void *));
			handoff.nr = 0;
			pthread_mutex_unlock(&handoff.lock);
			for (k = 0; k < nr; k++)
				free(mine[k]);
		}
	}
	for (k = 0; k < RP_LIVE; k++)
		free(live[k]);
	free(live);
	return NULL;
}

static unsigned long run_rptest(void)
{
	pthread_t *t = calloc(nr_threads, sizeof(*t));
	unsigned int i;

	for (i = 0; i < nr_threads; i++)
		pthread_create(&t[i], NULL, rptest_thread, (void *)(uintptr_t)(i + 1));
	for (i = 0; i < nr_threads; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < handoff.nr; i++)
		free(handoff.obj[i]);
	free(t);
	return (unsigned long)nr_threads * 100000 * scale;
}

static const struct {
	const char *name;
	unsigned long (*run)(void);
} workloads[] = {
	{ "larson", run_larson },
	{ "xmalloc", run_xmalloc },
	{ "scratch", run_scratch },
	{ "rptest", run_rptest },
};

static int exec_measured(char **argv)
{
	struct rusage ru;
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return 2;
	if (pid == 0) {
		if (*argv[0])
			setenv("LD_PRELOAD", argv[0], 1);
		else
			unsetenv("LD_PRELOAD");
		execvp(argv[1], argv + 1);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) != pid)
		return 2;
	fprintf(stderr, "maxrss_kib=%ld\n", ru.ru_maxrss);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv)
{
	unsigned int i;

	if (argc > 3 && !strcmp(argv[1], "exec"))
		return exec_measured(argv + 2);
	if (argc < 2) {
		fprintf(stderr, "usage: malloc_stress larson|xmalloc|scratch|rptest [THREADS [SCALE]]\n");
		return 2;
	}
	if (argc > 2)
		nr_threads = (unsigned int)strtoul(argv[2], NULL, 0) ?: 1;
	if (argc > 3)
		scale = strtoul(argv[3], NULL, 0) ?: 1;
	for (i = 0; i < sizeof(workloads) / sizeof(workloads[0]); i++) {
		if (strcmp(argv[1], workloads[i].name))
			continue;
		double t0 = now();
		unsigned long ops = workloads[i].run();

		printf("%s threads=%u ops=%lu seconds=%.6f\n", argv[1], nr_threads, ops,
		       now() - t0);
		return 0;
	}
	fprintf(stderr, "malloc_stress: no workload '%s'\n", argv[1]);
	return 2;
}
