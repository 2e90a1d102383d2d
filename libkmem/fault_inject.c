// SPDX-License-Identifier: MIT
/*
 * fault_inject.c - failslab and fail_page_alloc, the kernel's fault
 * injection (lib/fault-inject.c, mm/failslab.c, mm/fail_page_alloc.c):
 * allocations that fail on purpose, so that callers' error paths run.
 *
 *   slab_alloc()                    slub.c, before any lock is taken
 *     should_failslab()             internal.h: one load of fault_armed
 *       __should_failslab()         __GFP_NOFAIL, ignore-gfp-wait, cache-filter
 *         should_fail_ex()          the common decision, below
 *   alloc_pages_zones()             page_alloc.c, before the zonelist walk
 *     should_fail_alloc_page()      internal.h: one load of fault_armed
 *       __should_fail_alloc_page()  min-order, __GFP_NOFAIL, ignore-gfp-highmem,
 *                                   ignore-gfp-wait
 *         should_fail_ex()
 *           fail_dump()             "FAULT_INJECTION: forcing a failure."
 *
 * should_fail_ex() checks, in the kernel's order: the thread's fail-nth
 * countdown (which fails on reaching zero whatever else is set), then
 * probability 0 (never), task-filter (only threads marked make-it-fail),
 * times 0 (none left), space (let @size through while space exceeds it,
 * consuming it), interval (only every interval-th call goes on), and the
 * random draw against probability.  A failure is dumped unless the caller
 * passed __GFP_NOWARN, then consumes one of times unless times is -1.
 *
 * State.  The knobs and counters of both injectors live in the shared
 * segment (struct fault_attr in kmem_shared::fault), so that a setting made
 * by any process applies to all that share the memory; they are changed
 * and read without a lock (see struct fault_attr).  kmem_shared::fault_armed
 * is the one word the allocation fast paths test.  The make-it-fail mark,
 * the fail-nth countdown and the random generator are per thread.
 *
 * Context: a signal handler that interrupted one of kmem's locked sections
 * is the kernel's interrupt context, where in_task() is false: fail-nth
 * does not count there, task-filter never matches, and the dump has no
 * stack (backtrace() is not safe there).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <kmem/fault.h>

#include "internal.h"
#include "slab.h"

_Static_assert(KMEM_FAILSLAB == 0 && KMEM_FAIL_PAGE_ALLOC == 1 && KMEM_FAULT_NR == 2,
	       "kmem_shared::fault.attr[] is indexed by enum kmem_fault_which");

static const char *const fault_names[KMEM_FAULT_NR] = { "failslab", "fail_page_alloc" };

/* Bumped by each __kmem_fault_init(): a new segment, whose fault_armed counts nobody yet. */
static u64 fault_generation;

/* make-it-fail: this thread is a target of injectors with task-filter set */
static __thread bool make_it_fail __attribute__((tls_model("initial-exec")));
/* fail-nth: calls to go; the last one fails (0: none pending) */
static __thread unsigned int fail_nth __attribute__((tls_model("initial-exec")));
/* the segment (generation) and process fail_nth was armed in: counted in its fault_armed */
static __thread u64 fail_nth_gen __attribute__((tls_model("initial-exec")));
static __thread pid_t fail_nth_pid __attribute__((tls_model("initial-exec")));
/* xorshift64 state, seeded on the thread's first draw */
static __thread u64 rnd_state __attribute__((tls_model("initial-exec")));

static struct fault_attr *fault_attr(unsigned int which)
{
	return &kmem_mm.shm->fault.attr[which];
}

/* ------------------------------------------------------------------ */
/* randomness                                                          */
/* ------------------------------------------------------------------ */

static u64 splitmix64(u64 x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static noinline u64 rnd_seed(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	/* thread id and stack address keep threads started together apart */
	return splitmix64((u64)ts.tv_nsec ^ (u64)ts.tv_sec << 32 ^ (u64)gettid() << 16 ^
			  (u64)(uintptr_t)&ts) | 1;
}

/*
 * The kernel's get_random_u32_below(100): one xorshift64* step of this
 * thread's generator, scaled by multiplication (Lemire), no lock, no
 * system call after the first.
 */
static u32 random_below_100(void)
{
	u64 x = rnd_state;

	if (unlikely(!x))
		x = rnd_seed();
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rnd_state = x;
	return (u32)((((x * 0x2545f4914f6cdd1dULL) >> 32) * 100) >> 32);
}

/* ------------------------------------------------------------------ */
/* fail-nth                                                            */
/* ------------------------------------------------------------------ */

static pthread_key_t fail_nth_key;
static pthread_once_t fail_nth_once = PTHREAD_ONCE_INIT;
static bool fail_nth_key_ready;

/* Is this thread's fail_nth counted in the fault_armed it would update? */
static bool fail_nth_ours(void)
{
	return kmem_mm.shm && fail_nth_gen == __atomic_load_n(&fault_generation, __ATOMIC_RELAXED) &&
	       fail_nth_pid == getpid();
}

/* Drop the pending fail-nth, and its count in fault_armed if it is there. */
static void fail_nth_disarm(void)
{
	if (fail_nth && fail_nth_ours())
		__atomic_fetch_sub(&kmem_mm.shm->fault_armed, FAULT_ARMED_NTH_ONE, __ATOMIC_RELAXED);
	fail_nth = 0;
	fail_nth_gen = 0;
	if (__atomic_load_n(&fail_nth_key_ready, __ATOMIC_ACQUIRE))
		pthread_setspecific(fail_nth_key, NULL);
}

/* A thread that exits with a fail-nth pending must not keep the fast paths armed. */
static void fail_nth_exit(void *arg)
{
	(void)arg;
	fail_nth_disarm();
}

static void fail_nth_key_create(void)
{
	if (!pthread_key_create(&fail_nth_key, fail_nth_exit))
		__atomic_store_n(&fail_nth_key_ready, true, __ATOMIC_RELEASE);
}

int kmem_fault_fail_nth(unsigned int nth)
{
	if (kmem_ensure_init())
		return -ENOMEM;
	fail_nth_disarm();
	if (!nth)
		return 0;
	pthread_once(&fail_nth_once, fail_nth_key_create);
	if (__atomic_load_n(&fail_nth_key_ready, __ATOMIC_ACQUIRE))
		pthread_setspecific(fail_nth_key, (void *)1);
	fail_nth_gen = __atomic_load_n(&fault_generation, __ATOMIC_RELAXED);
	fail_nth_pid = getpid();
	fail_nth = nth;
	__atomic_fetch_add(&kmem_mm.shm->fault_armed, FAULT_ARMED_NTH_ONE, __ATOMIC_RELAXED);
	return 0;
}

unsigned int kmem_fault_get_fail_nth(void)
{
	return fail_nth && fail_nth_ours() ? fail_nth : 0;
}

void kmem_fault_make_it_fail(bool on)
{
	make_it_fail = on;
}

/* ------------------------------------------------------------------ */
/* the decision                                                        */
/* ------------------------------------------------------------------ */

/*
 * The kernel's __ratelimit() on the attribute's verbose_ratelimit: an
 * interval of 0 never limits (RATELIMIT_STATE_INIT_DISABLED, the default).
 */
static bool fail_dump_ratelimit(struct fault_attr *attr)
{
	unsigned int interval = READ_ONCE(attr->ratelimit_interval_ms);

	if (!interval)
		return true;
	return __kmem_ratelimit(&attr->ratelimit_begin_ns, &attr->ratelimit_printed, interval,
				READ_ONCE(attr->ratelimit_burst));
}

static noinline void fail_dump(unsigned int which, struct fault_attr *attr, bool in_task)
{
	unsigned long verbose = READ_ONCE(attr->verbose);
	char buf[2048];
	struct kmem_report r = KMEM_REPORT_INIT(buf);

	if (!verbose || !fail_dump_ratelimit(attr))
		return;
	__kmem_report_add(&r, "FAULT_INJECTION: forcing a failure.\n"
			  "name %s, interval %llu, probability %llu, space %d, times %d\n",
			  fault_names[which], (unsigned long long)READ_ONCE(attr->interval),
			  (unsigned long long)READ_ONCE(attr->probability),
			  __atomic_load_n(&attr->space, __ATOMIC_RELAXED),
			  __atomic_load_n(&attr->times, __ATOMIC_RELAXED));
	if (verbose > 1 && in_task)
		__kmem_report_stack(&r);
	__kmem_report_flush(&r);
}

/* atomic_add_unless(&attr->times, -1, 0) */
static void times_dec_not_zero(struct fault_attr *attr)
{
	s32 t = __atomic_load_n(&attr->times, __ATOMIC_RELAXED);

	while (t != 0 && !__atomic_compare_exchange_n(&attr->times, &t, t - 1, true,
						      __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

/*
 * should_fail_ex - lib/fault-inject.c's decision, check for check.
 * @size: what the allocation asks for (object size, or pages), spent from
 *	space
 * @nowarn: __GFP_NOWARN: fail silently (the caller may be printing)
 */
static bool should_fail_ex(unsigned int which, s64 size, bool nowarn)
{
	struct fault_attr *attr = fault_attr(which);
	bool in_task = !kmem_in_locked_section();
	u64 probability, interval;
	s32 space;

	if (in_task && fail_nth) {
		if (!fail_nth_ours()) {
			/* armed before a fork() or in a segment since torn down */
			fail_nth_disarm();
		} else if (fail_nth == 1) {
			fail_nth_disarm();
			goto fail;
		} else {
			fail_nth--;
			return false;
		}
	}

	probability = READ_ONCE(attr->probability);
	if (probability == 0)
		return false;
	if (READ_ONCE(attr->task_filter) && !(in_task && make_it_fail))
		return false;
	if (__atomic_load_n(&attr->times, __ATOMIC_RELAXED) == 0)
		return false;
	space = __atomic_load_n(&attr->space, __ATOMIC_RELAXED);
	if (space > size) {
		__atomic_fetch_sub(&attr->space, (s32)size, __ATOMIC_RELAXED);
		return false;
	}
	interval = READ_ONCE(attr->interval);
	if (interval > 1 && __atomic_add_fetch(&attr->count, 1, __ATOMIC_RELAXED) % interval)
		return false;
	if (probability <= random_below_100())
		return false;
fail:
	if (!nowarn)
		fail_dump(which, attr, in_task);
	if (__atomic_load_n(&attr->times, __ATOMIC_RELAXED) != -1)
		times_dec_not_zero(attr);
	__atomic_fetch_add(&attr->failures, 1, __ATOMIC_RELAXED);
	return true;
}

/* mm/failslab.c: kmem has no bootstrap cache to spare (caches live in pages). */
bool __should_failslab(struct kmem_cache *s, gfp_t gfp)
{
	struct fault_attr *attr = fault_attr(KMEM_FAILSLAB);

	if (gfp & __GFP_NOFAIL)
		return false;
	if (READ_ONCE(attr->ignore_gfp_reclaim) && (gfp & __GFP_DIRECT_RECLAIM))
		return false;
	if (READ_ONCE(attr->cache_filter) && !(READ_ONCE(s->flags) & SLAB_FAILSLAB))
		return false;
	return should_fail_ex(KMEM_FAILSLAB, s->object_size, gfp & __GFP_NOWARN);
}

/* mm/fail_page_alloc.c: space is spent in pages, 1 << order per call. */
bool __should_fail_alloc_page(gfp_t gfp, unsigned int order)
{
	struct fault_attr *attr = fault_attr(KMEM_FAIL_PAGE_ALLOC);

	if (order < READ_ONCE(attr->min_order))
		return false;
	if (gfp & __GFP_NOFAIL)
		return false;
	if (READ_ONCE(attr->ignore_gfp_highmem) && (gfp & __GFP_HIGHMEM))
		return false;
	if (READ_ONCE(attr->ignore_gfp_reclaim) && (gfp & __GFP_DIRECT_RECLAIM))
		return false;
	return should_fail_ex(KMEM_FAIL_PAGE_ALLOC, 1LL << order, gfp & __GFP_NOWARN);
}

/* ------------------------------------------------------------------ */
/* attributes                                                          */
/* ------------------------------------------------------------------ */

enum attr_kind { ATTR_U64, ATTR_S32, ATTR_U32, ATTR_BOOL };

#define IN_FAILSLAB		(1u << KMEM_FAILSLAB)
#define IN_FAIL_PAGE_ALLOC	(1u << KMEM_FAIL_PAGE_ALLOC)
#define IN_BOTH			(IN_FAILSLAB | IN_FAIL_PAGE_ALLOC)

/* The debugfs files of /sys/kernel/debug/{failslab,fail_page_alloc}/. */
static const struct fault_attr_desc {
	const char *name;
	size_t off;
	enum attr_kind kind;
	long long min;
	unsigned long long max;
	unsigned int in;		/* IN_*: the injectors that have it */
} attr_descs[] = {
	{ "probability", offsetof(struct fault_attr, probability), ATTR_U64, 0, 100, IN_BOTH },
	{ "interval", offsetof(struct fault_attr, interval), ATTR_U64, 0, UINT64_MAX, IN_BOTH },
	{ "times", offsetof(struct fault_attr, times), ATTR_S32, -1, INT32_MAX, IN_BOTH },
	{ "space", offsetof(struct fault_attr, space), ATTR_S32, 0, INT32_MAX, IN_BOTH },
	{ "verbose", offsetof(struct fault_attr, verbose), ATTR_U64, 0, 2, IN_BOTH },
	{ "verbose_ratelimit_interval_ms", offsetof(struct fault_attr, ratelimit_interval_ms),
	  ATTR_U32, 0, UINT32_MAX, IN_BOTH },
	{ "verbose_ratelimit_burst", offsetof(struct fault_attr, ratelimit_burst), ATTR_U32, 0,
	  UINT32_MAX, IN_BOTH },
	{ "task-filter", offsetof(struct fault_attr, task_filter), ATTR_BOOL, 0, 1, IN_BOTH },
	{ "ignore-gfp-wait", offsetof(struct fault_attr, ignore_gfp_reclaim), ATTR_BOOL, 0, 1,
	  IN_BOTH },
	{ "cache-filter", offsetof(struct fault_attr, cache_filter), ATTR_BOOL, 0, 1, IN_FAILSLAB },
	{ "ignore-gfp-highmem", offsetof(struct fault_attr, ignore_gfp_highmem), ATTR_BOOL, 0, 1,
	  IN_FAIL_PAGE_ALLOC },
	{ "min-order", offsetof(struct fault_attr, min_order), ATTR_U32, 0, UINT32_MAX,
	  IN_FAIL_PAGE_ALLOC },
};

static const struct fault_attr_desc *attr_lookup(unsigned int which, const char *name)
{
	size_t i;

	if (which >= KMEM_FAULT_NR || !name)
		return NULL;
	for (i = 0; i < sizeof(attr_descs) / sizeof(attr_descs[0]); i++)
		if (!strcmp(attr_descs[i].name, name) && (attr_descs[i].in & (1u << which)))
			return &attr_descs[i];
	return NULL;
}

/* kstrtobool()'s words, whole: Y y 1 N n 0 on off, and one trailing newline. */
static int parse_bool(const char *v, long long *out)
{
	size_t len = strlen(v);
	char w[4];

	if (len && v[len - 1] == '\n')
		len--;
	if (!len || len >= sizeof(w))
		return -EINVAL;
	memcpy(w, v, len);
	w[len] = '\0';
	if (!strcmp(w, "Y") || !strcmp(w, "y") || !strcmp(w, "1") || !strcasecmp(w, "on"))
		*out = 1;
	else if (!strcmp(w, "N") || !strcmp(w, "n") || !strcmp(w, "0") || !strcasecmp(w, "off"))
		*out = 0;
	else
		return -EINVAL;
	return 0;
}

/* A whole number (kstrtoll base 0: decimal, 0x hex, 0 octal) in [@d->min, @d->max]. */
static int parse_number(const char *v, const struct fault_attr_desc *d, unsigned long long *out)
{
	char *end;
	bool neg = v[0] == '-';

	if (!*v || ((v[0] == ' ' || v[0] == '\t' || v[0] == '+')))
		return -EINVAL;
	errno = 0;
	if (neg) {
		long long n = strtoll(v, &end, 0);

		if (errno || end == v || (*end && strcmp(end, "\n")) || n < d->min)
			return -EINVAL;
		*out = (unsigned long long)n;
		return 0;
	}
	*out = strtoull(v, &end, 0);
	if (errno || end == v || (*end && strcmp(end, "\n")) || *out > d->max)
		return -EINVAL;
	return 0;
}

/* Parse @value for @d and store it in @attr (shared or a private copy). */
static int attr_store(struct fault_attr *attr, const struct fault_attr_desc *d, const char *value)
{
	void *field = (char *)attr + d->off;
	unsigned long long n;
	long long b;

	if (!value)
		return -EINVAL;
	switch (d->kind) {
	case ATTR_BOOL:
		if (parse_bool(value, &b))
			return -EINVAL;
		__atomic_store_n((u8 *)field, (u8)b, __ATOMIC_SEQ_CST);
		return 0;
	case ATTR_S32:
		if (parse_number(value, d, &n))
			return -EINVAL;
		__atomic_store_n((s32 *)field, (s32)(long long)n, __ATOMIC_SEQ_CST);
		return 0;
	case ATTR_U32:
		if (parse_number(value, d, &n))
			return -EINVAL;
		__atomic_store_n((u32 *)field, (u32)n, __ATOMIC_SEQ_CST);
		return 0;
	case ATTR_U64:
		if (parse_number(value, d, &n))
			return -EINVAL;
		__atomic_store_n((u64 *)field, (u64)n, __ATOMIC_SEQ_CST);
		return 0;
	}
	return -EINVAL;
}

/*
 * fault_armed's bit for @which follows its probability.  Setters may race
 * (two processes writing probability): each re-reads the probability after
 * its update and redoes it if the value moved, so that the update made
 * after the last store to probability, whoever makes it, is the one that
 * stays.
 */
static void update_armed(unsigned int which)
{
	u32 bit = which == KMEM_FAILSLAB ? FAULT_ARMED_FAILSLAB : FAULT_ARMED_PAGE_ALLOC;
	u64 *probability = &fault_attr(which)->probability;
	u64 seen = __atomic_load_n(probability, __ATOMIC_SEQ_CST), now;

	for (;; seen = now) {
		if (seen)
			__atomic_fetch_or(&kmem_mm.shm->fault_armed, bit, __ATOMIC_SEQ_CST);
		else
			__atomic_fetch_and(&kmem_mm.shm->fault_armed, ~bit, __ATOMIC_SEQ_CST);
		now = __atomic_load_n(probability, __ATOMIC_SEQ_CST);
		if (!now == !seen)
			break;
	}
}

int kmem_fault_set(enum kmem_fault_which which, const char *attr, const char *value)
{
	const struct fault_attr_desc *d;
	int ret;

	if (kmem_ensure_init())
		return -ENOMEM;
	d = attr_lookup((unsigned int)which, attr);
	if (!d)
		return -EINVAL;
	ret = attr_store(fault_attr((unsigned int)which), d, value);
	if (!ret)
		update_armed((unsigned int)which);
	return ret;
}

int kmem_fault_get(enum kmem_fault_which which, const char *attr, char *buf, size_t len)
{
	const struct fault_attr_desc *d;
	const void *field;
	int n = 0;

	if (kmem_ensure_init())
		return -ENOMEM;
	d = attr_lookup((unsigned int)which, attr);
	if (!d || !buf)
		return -EINVAL;
	field = (const char *)fault_attr((unsigned int)which) + d->off;
	switch (d->kind) {
	case ATTR_BOOL:
		n = snprintf(buf, len, "%s", READ_ONCE(*(const u8 *)field) ? "Y" : "N");
		break;
	case ATTR_S32:
		n = snprintf(buf, len, "%d", __atomic_load_n((const s32 *)field, __ATOMIC_RELAXED));
		break;
	case ATTR_U32:
		n = snprintf(buf, len, "%u", READ_ONCE(*(const u32 *)field));
		break;
	case ATTR_U64:
		n = snprintf(buf, len, "%llu", (unsigned long long)READ_ONCE(*(const u64 *)field));
		break;
	}
	return n < 0 || (size_t)n >= len ? -ERANGE : 0;
}

int kmem_fault_get_stats(struct kmem_fault_stats *st)
{
	if (kmem_ensure_init())
		return -ENOMEM;
	st->failslab = __atomic_load_n(&fault_attr(KMEM_FAILSLAB)->failures, __ATOMIC_RELAXED);
	st->fail_page_alloc = __atomic_load_n(&fault_attr(KMEM_FAIL_PAGE_ALLOC)->failures,
					      __ATOMIC_RELAXED);
	st->total = st->failslab + st->fail_page_alloc;
	return 0;
}

void kmem_cache_set_failslab(struct kmem_cache *s, bool on)
{
	if (!s)
		return;
	if (on)
		__atomic_fetch_or(&s->flags, (u32)SLAB_FAILSLAB, __ATOMIC_RELAXED);
	else
		__atomic_fetch_and(&s->flags, ~(u32)SLAB_FAILSLAB, __ATOMIC_RELAXED);
}

/* ------------------------------------------------------------------ */
/* defaults and the environment                                        */
/* ------------------------------------------------------------------ */

/* FAULT_ATTR_INITIALIZER and the injector's own defaults. */
static void attr_defaults(unsigned int which, struct fault_attr *attr)
{
	memset(attr, 0, sizeof(*attr));
	attr->interval = 1;
	attr->times = 1;
	attr->verbose = 2;
	attr->ratelimit_burst = 10;	/* DEFAULT_RATELIMIT_BURST; interval 0: not limited */
	attr->ignore_gfp_reclaim = 1;
	if (which == KMEM_FAIL_PAGE_ALLOC) {
		attr->ignore_gfp_highmem = 1;
		attr->min_order = 1;
	}
}

static const char *const env_names[KMEM_FAULT_NR] = { "KMEM_FAILSLAB", "KMEM_FAIL_PAGE_ALLOC" };

/*
 * "<interval>,<probability>,<space>,<times>[,attr=value...]", the kernel's
 * failslab= and fail_page_alloc= boot parameters with debugfs settings
 * after them, into @attr.  Return: 0, or -EINVAL with @err saying why.
 */
static int parse_env(unsigned int which, const char *str, struct fault_attr *attr, char *err,
		     size_t errlen)
{
	static const char *const positional[] = { "interval", "probability", "space", "times" };
	char buf[512], *save = NULL, *item;
	unsigned int i = 0;

	if (strlen(str) >= sizeof(buf)) {
		snprintf(err, errlen, "too long");
		return -EINVAL;
	}
	strcpy(buf, str);
	for (item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save), i++) {
		const struct fault_attr_desc *d;
		const char *key, *value;
		char *eq = strchr(item, '=');

		if (i < 4) {
			if (eq) {
				snprintf(err, errlen, "expected <interval>,<probability>,<space>,"
					 "<times> before '%s'", item);
				return -EINVAL;
			}
			key = positional[i];
			value = item;
		} else {
			if (!eq) {
				snprintf(err, errlen, "'%s': expected attribute=value", item);
				return -EINVAL;
			}
			*eq = '\0';
			key = item;
			value = eq + 1;
		}
		d = attr_lookup(which, key);
		if (!d) {
			snprintf(err, errlen, "unknown attribute '%s'", key);
			return -EINVAL;
		}
		if (attr_store(attr, d, value)) {
			snprintf(err, errlen, "bad value '%s' for '%s'", value, key);
			return -EINVAL;
		}
	}
	if (i < 4) {
		snprintf(err, errlen, "expected <interval>,<probability>,<space>,<times>");
		return -EINVAL;
	}
	return 0;
}

/*
 * Called at the end of kmem_init(), once the shared segment and the slab
 * layer exist, so that an injector armed from the environment cannot fail
 * kmem's own start-up (the kernel spares its bootstrap cache for the same
 * reason); does nothing if the start-up failed and there is no segment.
 * Until then fault_armed is 0 and the injectors are never consulted.  A
 * bad variable is said in one line and ignored whole (KMEM_OPTIONS skips
 * only its bad item).
 */
void __kmem_fault_init(void)
{
	unsigned int which;
	char err[160];

	if (!kmem_mm.shm)
		return;

	for (which = 0; which < KMEM_FAULT_NR; which++) {
		const char *env = getenv(env_names[which]);
		struct fault_attr attr;

		attr_defaults(which, &attr);
		if (env && parse_env(which, env, &attr, err, sizeof(err))) {
			__kmem_printk("kmem: ignoring %s: %s\n", env_names[which], err);
			attr_defaults(which, &attr);
		}
		*fault_attr(which) = attr;
		update_armed(which);
	}
	__atomic_fetch_add(&fault_generation, 1, __ATOMIC_RELAXED);
	__kmem_report_stack_prime();
}
