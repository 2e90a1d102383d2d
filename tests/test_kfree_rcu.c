// SPDX-License-Identifier: MIT
/*
 * kfree_rcu(), kvfree_rcu() and kfree_rcu_mightsleep() (libkmem/rcupdate.c
 * over slub.c and vmalloc.c), and __free(kfree): a reader inside
 * rcu_read_lock() keeps seeing an object intact after kfree_rcu() until it
 * unlocks; rcu_barrier() waits for the frees; NULL is a no-op; a stray
 * rcu_head is reported, not freed; kfree_rcu() works from an RCU callback
 * (on liburcu's own thread); kvfree_rcu() takes vmalloc()ed memory.
 *
 * Freed objects are recognised by SLUB's poison (0x6b): the suite asks for
 * poisoned kmalloc caches with KMEM_SLUB_DEBUG=P (unless already set) and
 * checks first that a plain kfree() poisons; if it does not, the "was
 * freed" checks are skipped and the rest still runs.  A freed vmalloc()ed
 * area is recognised by vmalloc_to_page() no longer finding it.
 *
 * liburcu's <urcu.h> is included BEFORE <linux/rcupdate.h> here
 * (test_rcupdate.c has the other order): both must compile warning-free.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <urcu.h>
#include <linux/err.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "kunit.h"

#define READ_ACQ(x)		__atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define WRITE_REL(x, v)		__atomic_store_n(&(x), (v), __ATOMIC_RELEASE)

#define POISON_FREE	0x6b
#define PATTERN		0x5a

/* 256 bytes: kmalloc-256, apart from the 32-byte records of kfree_rcu(ptr). */
struct obj {
	unsigned char head[96];
	struct rcu_head rcu;
	unsigned char tail[256 - 96 - sizeof(struct rcu_head)];
};

static bool poisons;	/* does kfree() poison here? */

static struct obj *obj_new(void)
{
	struct obj *o = kmalloc(sizeof(*o), GFP_KERNEL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	memset(o, PATTERN, sizeof(*o));
	return o;
}

/* Reads freed objects too, which ASan and memcheck are told are free. */
static bool all_bytes(const unsigned char *p, size_t n, unsigned char v)
{
	return kt_bytes_are(p, n, v);
}

/* head and tail (all but the rcu_head and the last byte) hold @v */
static bool obj_is(const struct obj *o, unsigned char v)
{
	return all_bytes(o->head, sizeof(o->head), v) &&
	       all_bytes(o->tail, sizeof(o->tail) - 1, v);
}

/* After kfree_rcu() and rcu_barrier(): @o must be free.  Reads freed memory. */
static void assert_freed(const void *o)
{
	if (is_vmalloc_addr(o)) {
		CU_ASSERT_PTR_NULL(vmalloc_to_page(o));
	} else if (poisons) {
		CU_ASSERT_TRUE(obj_is(o, POISON_FREE));
	}
}

/* A struct obj at the start of a vmalloc()ed area. */
static struct obj *vobj_new(unsigned long size)
{
	struct obj *o = vmalloc(size);

	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	memset(o, PATTERN, sizeof(*o));
	/*
	 * The page is there; asking takes the area's lock, which also shows
	 * ThreadSanitizer that the userfaultfd thread mapped it before we
	 * publish it (TSan cannot see the fault itself).
	 */
	CU_ASSERT_PTR_NOT_NULL(vmalloc_to_page(o));
	return o;
}

static int suite_init(void)
{
	struct obj *o;

	setenv("KMEM_SLUB_DEBUG", "P", 0);
	if (kt_init("fake_numa=1,direct_mb=32,highmem_mb=4,hugepages=never"))
		return -1;
	o = kmalloc(sizeof(*o), GFP_KERNEL);
	if (!o)
		return -1;
	memset(o, PATTERN, sizeof(*o));
	kfree(o);
	poisons = obj_is(o, POISON_FREE);
	if (!poisons)
		printf("\n  (kfree() does not poison here: freed-ness is not checked)\n");
	kt_capture_start();
	return 0;
}

static int suite_exit(void)
{
	rcu_barrier();		/* no callback may outlive the allocator */
	kt_capture_stop();
	kmem_exit();
	return 0;
}

static void test_kfree_rcu_forms(void)
{
	struct obj *a = obj_new(), *b = obj_new(), *c = obj_new(), *d = obj_new();
	struct obj *e = obj_new(), *f = obj_new();
	unsigned int reports = kt_captured_count();

	kfree_rcu(a, rcu);
	kfree_rcu(b);
	kvfree_rcu(c, rcu);
	kvfree_rcu(d);
	kfree_rcu_mightsleep(e);
	kvfree_rcu_mightsleep(f);
	rcu_barrier();
	assert_freed(a);
	assert_freed(b);
	assert_freed(c);
	assert_freed(d);
	assert_freed(e);
	assert_freed(f);
	KT_ASSERT_EQ(kt_captured_count(), reports);
}

static void test_kfree_rcu_null(void)
{
	struct obj *null_obj = NULL;
	void *null_ptr = NULL;
	unsigned int reports = kt_captured_count();

	kfree_rcu(null_obj, rcu);
	kfree_rcu(null_ptr);
	kvfree_rcu(null_obj, rcu);
	kvfree_rcu(null_ptr);
	kfree_rcu_mightsleep(null_ptr);
	__kmem_kvfree_call_rcu(NULL, NULL);
	rcu_barrier();
	KT_ASSERT_EQ(kt_captured_count(), reports);
}

/*
 * The property: a reader that found the object before kfree_rcu() still
 * sees it intact, however long it stays inside rcu_read_lock(); once it
 * unlocks and rcu_barrier() returns, the object is free.
 */
static struct obj __rcu *shared;

struct reader {
	int have, queued, intact, intact_late;
};

static void *reader_thread(void *arg)
{
	struct reader *r = arg;
	struct obj *o;

	rcu_read_lock();
	o = rcu_dereference(shared);
	WRITE_REL(r->have, 1);
	while (!READ_ACQ(r->queued))
		usleep(100);
	r->intact = o && obj_is(o, PATTERN);
	usleep(100000);		/* plenty of time for a wrong free to happen */
	r->intact_late = o && obj_is(o, PATTERN);
	rcu_read_unlock();
	return NULL;
}

static void reader_keeps_object(int form)
{
	struct reader r = { 0 };
	struct obj *o = form < 4 ? obj_new() : vobj_new(sizeof(*o));
	pthread_t t;

	rcu_assign_pointer(shared, o);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, reader_thread, &r), 0);
	while (!READ_ACQ(r.have))
		usleep(100);
	rcu_assign_pointer(shared, NULL);
	switch (form) {
	case 0: kfree_rcu(o, rcu); break;
	case 1: kfree_rcu(o); break;
	case 2: case 4: kvfree_rcu(o, rcu); break;
	default: kvfree_rcu(o); break;
	}
	WRITE_REL(r.queued, 1);
	CU_ASSERT_EQUAL(pthread_join(t, NULL), 0);
	CU_ASSERT_TRUE(r.intact);
	CU_ASSERT_TRUE(r.intact_late);
	rcu_barrier();
	assert_freed(o);
}

static void test_reader_keeps_object(void)
{
	int form;

	for (form = 0; form < 6; form++)	/* 4, 5: vmalloc()ed */
		reader_keeps_object(form);
}

/*
 * vmalloc()ed objects, also larger than a page, and one whose rcu_head
 * lies beyond the first page (the kernel forbids that at compile time;
 * here it is queued by pointer).
 */
static void test_kvfree_rcu_vmalloc(void)
{
	unsigned int reports = kt_captured_count();
	struct obj *a = vobj_new(sizeof(struct obj));
	struct obj *b = vobj_new(3 * PAGE_SIZE);
	struct obj *c = vobj_new(2 * PAGE_SIZE);
	char *d = vmalloc(3 * PAGE_SIZE);

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	memset(d, PATTERN, 3 * PAGE_SIZE);
	kvfree_rcu(a, rcu);
	kvfree_rcu(b, rcu);
	kvfree_rcu(c);
	__kmem_kvfree_call_rcu((struct rcu_head *)(d + 2 * PAGE_SIZE + 64), d);
	rcu_barrier();
	assert_freed(a);
	assert_freed(b);
	assert_freed(c);
	assert_freed(d);
	KT_ASSERT_EQ(kt_captured_count(), reports);
}

/* kfree_rcu() from a callback: liburcu's call_rcu thread, registered by liburcu. */
struct holder {
	struct rcu_head rcu;
	struct obj *a, *b;
};

static void holder_cb(struct rcu_head *head)
{
	struct holder *h = (struct holder *)head;

	kfree_rcu(h->a, rcu);
	kfree_rcu(h->b);
	kfree_rcu(h, rcu);
}

static void test_kfree_rcu_from_callback(void)
{
	struct holder *h = kmalloc(sizeof(*h), GFP_KERNEL);
	struct obj *a = obj_new(), *b = obj_new();

	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	h->a = a;
	h->b = b;
	call_rcu(&h->rcu, holder_cb);
	rcu_barrier();		/* holder_cb has run ... */
	rcu_barrier();		/* ... and so have the frees it queued */
	assert_freed(a);
	assert_freed(b);
}

#define THREADS		4
#define PER_THREAD	500

static void *storm_thread(void *arg)
{
	int i;

	for (i = 0; i < PER_THREAD; i++) {
		struct obj *o = kmalloc(sizeof(*o), GFP_KERNEL);

		if (!o)
			continue;
		if (i & 1)
			kfree_rcu(o, rcu);
		else
			kfree_rcu(o);
		if (i % 100 == 0)
			synchronize_rcu();
	}
	return NULL;
}

/* Threads that never registered queue frees; rcu_barrier() waits for all. */
static void test_kfree_rcu_threads(void)
{
	unsigned int reports = kt_captured_count();
	pthread_t t[THREADS];
	int i;

	for (i = 0; i < THREADS; i++)
		CU_ASSERT_EQUAL_FATAL(pthread_create(&t[i], NULL, storm_thread, NULL), 0);
	for (i = 0; i < THREADS; i++)
		CU_ASSERT_EQUAL(pthread_join(t[i], NULL), 0);
	rcu_barrier();
	KT_ASSERT_EQ(kt_captured_count(), reports);
}

/* An rcu_head that is not inside the object: reported, nothing freed. */
static void test_bad_rcu_head(void)
{
	struct obj *outside = malloc(sizeof(*outside));
	struct obj *a = obj_new(), *b = obj_new();

	kt_capture_start();
	memset(outside, PATTERN, sizeof(*outside));
	kfree_rcu(outside, rcu);		/* not kmem memory */
	CU_ASSERT_TRUE(kt_captured("kvfree_call_rcu"));
	__kmem_kvfree_call_rcu(&a->rcu, b);	/* a's head, b's pointer */
	KT_ASSERT_EQ(kt_captured_count(), 2);
	rcu_barrier();
	CU_ASSERT_TRUE(obj_is(outside, PATTERN));
	CU_ASSERT_TRUE(obj_is(a, PATTERN));
	CU_ASSERT_TRUE(obj_is(b, PATTERN));
	free(outside);
	kfree(a);
	kfree(b);
}

/* __free(kfree), as <linux/slab.h> defines it. */
static struct obj *make_obj(int fail, struct obj **seen)
{
	struct obj *o __free(kfree) = kmalloc(sizeof(*o), GFP_KERNEL);

	if (!o)
		return NULL;
	memset(o, PATTERN, sizeof(*o));
	*seen = o;
	if (fail)
		return NULL;		/* o is kfree()d */
	return_ptr(o);
}

static void test_free_kfree(void)
{
	struct obj *seen = NULL, *o;

	CU_ASSERT_PTR_NULL(make_obj(1, &seen));
	CU_ASSERT_PTR_NOT_NULL_FATAL(seen);
	assert_freed(seen);

	o = make_obj(0, &seen);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_PTR_EQUAL(o, seen);
	CU_ASSERT_TRUE(obj_is(o, PATTERN));
	{
		void *p __free(kfree) = ERR_PTR(-ENOMEM);	/* not freed */
		void *q __free(kfree) = NULL;

		(void)p;
		(void)q;
	}
	kfree_rcu(o, rcu);
	rcu_barrier();
	assert_freed(o);
}

static const struct kt_test tests[] = {
	KT_TEST(test_kfree_rcu_forms),
	KT_TEST(test_kfree_rcu_null),
	KT_TEST(test_reader_keeps_object),
	KT_TEST(test_kvfree_rcu_vmalloc),
	KT_TEST(test_kfree_rcu_from_callback),
	KT_TEST(test_kfree_rcu_threads),
	KT_TEST(test_bad_rcu_head),
	KT_TEST(test_free_kfree),
	KT_END,
};

static const struct kt_suite suite = { "kfree_rcu", suite_init, suite_exit, tests };
static const struct kt_suite *const suites[] = { &suite, NULL };

int main(int argc, char **argv)
{
	return kt_main(argc, argv, suites);
}
