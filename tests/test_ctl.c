// SPDX-License-Identifier: MIT
/*
 * kmemd's control protocol (daemon/ctl.c): every command's reply checked
 * against docs/ctl-schema/replies.json, the JSON checked against the
 * allocator's own counters after a known workload, "text" against the
 * kmem_show_*() views, the actions (tunables, shrink, drop-pcp, fault
 * injection), and a corpus of malformed requests plus random mutations,
 * each of which must get an error reply.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <kmem/fault.h>
#include <kmem/kmem.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "ctl.h"
#include "kunit.h"

/* emulated DMA zones: the zone views are checked with every zone present */
#define OPTS	"fake_numa=2,direct_mb=16,highmem_mb=8,hugepages=never,zones=emulate,dma_mb=4,dma32_mb=12"

static json_t *schema_defs;

static int suite_init(void)
{
	json_error_t jerr;
	json_t *schema = json_load_file(KMEM_CTL_SCHEMA, 0, &jerr);

	if (!schema) {
		fprintf(stderr, "%s: %s\n", KMEM_CTL_SCHEMA, jerr.text);
		return -1;
	}
	schema_defs = json_incref(json_object_get(schema, "$defs"));
	json_decref(schema);
	if (!json_is_object(schema_defs))
		return -1;
	return kt_init(OPTS);
}

/* The same, with per-CPU locks instead of rseq (kmemd on a kernel without it). */
static int suite_init_locked(void)
{
	return suite_init() ?: (kmem_exit(), kt_init(OPTS ",rseq=off"));
}

static int suite_exit(void)
{
	kmemd_ctl_set_ops(NULL);
	json_decref(schema_defs);
	schema_defs = NULL;
	kmem_exit();
	return 0;
}

/* ------------------------------------------------------------------ */
/* a tiny JSON Schema checker: type, required, properties, items        */
/* ------------------------------------------------------------------ */

static bool type_is(const char *type, json_t *v)
{
	if (!strcmp(type, "object"))
		return json_is_object(v);
	if (!strcmp(type, "array"))
		return json_is_array(v);
	if (!strcmp(type, "string"))
		return json_is_string(v);
	if (!strcmp(type, "integer"))
		return json_is_integer(v);
	if (!strcmp(type, "number"))
		return json_is_number(v);
	if (!strcmp(type, "boolean"))
		return json_is_boolean(v);
	if (!strcmp(type, "null"))
		return json_is_null(v);
	return false;
}

static bool schema_check(json_t *schema, json_t *v, const char *path)
{
	json_t *type = json_object_get(schema, "type"), *req, *props, *items, *sub;
	const char *key;
	char sub_path[256];
	size_t i;
	bool ok = true;

	if (json_is_string(type) && !type_is(json_string_value(type), v)) {
		fprintf(stderr, "schema: %s is not of type %s\n", path, json_string_value(type));
		return false;
	}
	if (json_is_array(type)) {
		bool any = false;

		json_array_foreach(type, i, sub)
			any |= type_is(json_string_value(sub), v);
		if (!any) {
			fprintf(stderr, "schema: %s has none of the types allowed\n", path);
			return false;
		}
	}
	req = json_object_get(schema, "required");
	json_array_foreach(req, i, sub) {
		if (!json_object_get(v, json_string_value(sub))) {
			fprintf(stderr, "schema: %s lacks \"%s\"\n", path, json_string_value(sub));
			ok = false;
		}
	}
	props = json_object_get(schema, "properties");
	if (json_is_object(v)) {
		json_object_foreach(props, key, sub) {
			json_t *m = json_object_get(v, key);

			snprintf(sub_path, sizeof(sub_path), "%s.%s", path, key);
			if (m && !schema_check(sub, m, sub_path))
				ok = false;
		}
	}
	items = json_object_get(schema, "items");
	if (items && json_is_array(v)) {
		json_array_foreach(v, i, sub) {
			snprintf(sub_path, sizeof(sub_path), "%s[%zu]", path, i);
			if (!schema_check(items, sub, sub_path))
				ok = false;
		}
	}
	return ok;
}

/* Check a reply against $defs[cmd], or $defs.error when it has "error". */
static bool reply_valid(json_t *reply, const char *cmd)
{
	const char *name = json_object_get(reply, "error") ? "error" : cmd;
	json_t *schema = json_object_get(schema_defs, name);

	if (!schema) {
		fprintf(stderr, "schema: no $defs.%s\n", name);
		return false;
	}
	return schema_check(schema, reply, name);
}

/* ------------------------------------------------------------------ */
/* requests                                                            */
/* ------------------------------------------------------------------ */

/*
 * Send @len bytes; the reply must be one line of JSON: an object with
 * "version": 1.  Return: the parsed reply (json_decref() it).
 */
static json_t *ctl_raw(const char *req, size_t len)
{
	char *out = kmemd_ctl_handle(req, len);
	json_error_t jerr;
	json_t *reply;

	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_PTR_NULL(strchr(out, '\n'));
	reply = json_loads(out, 0, &jerr);
	if (!reply)
		fprintf(stderr, "reply is not JSON: %s: %s\n", jerr.text, out);
	free(out);
	CU_ASSERT_FATAL(json_is_object(reply));
	KT_ASSERT_EQ(json_integer_value(json_object_get(reply, "version")), KMEMD_CTL_VERSION);
	CU_ASSERT(json_is_integer(json_object_get(reply, "version")));
	return reply;
}

/* A request made with printf's @fmt, whose reply must validate. */
static json_t *ctl(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static json_t *ctl(const char *fmt, ...)
{
	char req[1024];
	json_t *reply, *r;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(req, sizeof(req), fmt, ap);
	va_end(ap);
	reply = ctl_raw(req, strlen(req));
	r = json_loads(req, 0, NULL);
	if (!reply_valid(reply, json_string_value(json_object_get(r, "cmd"))))
		CU_FAIL("reply does not match its schema");
	json_decref(r);
	return reply;
}

/* The reply's error code, or NULL if it succeeded. */
static const char *err_code(json_t *reply)
{
	return json_string_value(json_object_get(json_object_get(reply, "error"), "code"));
}

static json_t *ctl_ok(const char *cmd)
{
	json_t *reply = ctl("{\"cmd\": \"%s\"}", cmd);

	if (err_code(reply))
		fprintf(stderr, "%s: %s\n", cmd, json_dumps(reply, 0));
	CU_ASSERT_PTR_NULL(err_code(reply));
	return reply;
}

static void expect_error(json_t *reply, const char *code)
{
	const char *got = err_code(reply);

	if (!got || strcmp(got, code))
		fprintf(stderr, "expected %s, got %s\n", code, got ?: "success");
	CU_ASSERT_PTR_NOT_NULL(got);
	if (got)
		CU_ASSERT_STRING_EQUAL(got, code);
	CU_ASSERT(json_is_string(json_object_get(json_object_get(reply, "error"), "message")));
	json_decref(reply);
}

static uint64_t geti(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	CU_ASSERT(json_is_integer(v));
	return (uint64_t)json_integer_value(v);
}

/* What kmem_show_*() prints, as a string (free()). */
static char *show(int (*fn)(FILE *))
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(fn(f), 0);
	fclose(f);
	return buf;
}

/* The element of array @key of @reply whose "node" and "zone" match. */
static json_t *find_zone(json_t *reply, const char *key, int nid, const char *zone)
{
	json_t *e;
	size_t i;

	json_array_foreach(json_object_get(reply, key), i, e)
		if ((int)json_integer_value(json_object_get(e, "node")) == nid &&
		    !strcmp(json_string_value(json_object_get(e, "zone")), zone))
			return e;
	return NULL;
}

static json_t *find_cache(json_t *reply, const char *name)
{
	json_t *e;
	size_t i;

	json_array_foreach(json_object_get(reply, "slabinfo"), i, e)
		if (!strcmp(json_string_value(json_object_get(e, "name")), name))
			return e;
	return NULL;
}

/* ------------------------------------------------------------------ */
/* the tests                                                           */
/* ------------------------------------------------------------------ */

/* "list" names every command; each answers, and its reply has a schema. */
static void test_list_and_schemas(void)
{
	json_t *list = ctl_ok("list"), *e;
	unsigned int n = 0;
	size_t i;

	json_array_foreach(json_object_get(list, "commands"), i, e) {
		const char *name = json_string_value(json_object_get(e, "name"));
		json_t *reply;

		CU_ASSERT_PTR_NOT_NULL_FATAL(name);
		CU_ASSERT(strlen(json_string_value(json_object_get(e, "help"))) > 0);
		CU_ASSERT_PTR_NOT_NULL(json_object_get(schema_defs, name));
		n++;
		if (!strcmp(name, "tunables.set") || !strcmp(name, "fault.set") ||
		    !strcmp(name, "orphans") || !strcmp(name, "orphans.free"))
			continue;	/* need arguments: tested below */
		reply = ctl_ok(name);
		CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(reply, "cmd")), name);
		json_decref(reply);
	}
	KT_ASSERT_EQ(n, 22);
	KT_ASSERT_EQ(json_object_size(schema_defs), n + 1);	/* and "error" */
	json_decref(list);
}

/*
 * "orphans" needs a client id; an id no process has (this one is embedded,
 * its own allocations are owner 0) holds nothing.  The objects of a real
 * dead client are counted in test_kmemd.
 */
static void test_orphans_arguments(void)
{
	json_t *reply;

	expect_error(ctl("{\"cmd\": \"orphans\"}"), "EINVAL");
	expect_error(ctl("{\"cmd\": \"orphans\", \"client\": 0}"), "EINVAL");
	expect_error(ctl("{\"cmd\": \"orphans\", \"client\": -3}"), "EINVAL");
	expect_error(ctl("{\"cmd\": \"orphans\", \"client\": 4294967296}"), "EINVAL");
	expect_error(ctl("{\"cmd\": \"orphans\", \"client\": 7, \"limit\": -1}"), "EINVAL");
	expect_error(ctl("{\"cmd\": \"orphans\", \"client\": \"7\"}"), "EINVAL");
	reply = ctl("{\"cmd\": \"orphans\", \"client\": 4000000000}");
	CU_ASSERT_PTR_NULL(err_code(reply));
	KT_ASSERT_EQ(geti(reply, "objects"), 0);
	KT_ASSERT_EQ(geti(reply, "bytes"), 0);
	KT_ASSERT_EQ(json_array_size(json_object_get(reply, "orphans")), 0);
	CU_ASSERT(json_is_false(json_object_get(reply, "truncated")));
	json_decref(reply);
	/* freeing them needs kmemd's client table (test_client_death) */
	expect_error(ctl("{\"cmd\": \"orphans.free\"}"), "EINVAL");
	expect_error(ctl("{\"cmd\": \"orphans.free\", \"client\": 0}"), "EINVAL");
	expect_error(ctl("{\"cmd\": \"orphans.free\", \"client\": 7, \"limit\": 1}"), "EINVAL");
	expect_error(ctl("{\"cmd\": \"orphans.free\", \"client\": 7}"), "ENOSYS");
}

static void test_info(void)
{
	json_t *reply = ctl_ok("info"), *o = json_object_get(reply, "info");
	struct kmem_info info;

	CU_ASSERT_EQUAL_FATAL(kmem_get_info(&info), 0);
	KT_ASSERT_EQ(geti(o, "nr_nodes"), 2);
	KT_ASSERT_EQ(geti(o, "nr_cpu_ids"), info.nr_cpu_ids);
	KT_ASSERT_EQ(geti(o, "total_pages"), info.total_pages);
	CU_ASSERT(json_is_false(json_object_get(o, "hugetlb")));
	CU_ASSERT(json_is_true(json_object_get(o, "fake_numa")));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(o, "backing")), "shmem+thp");
	json_decref(reply);
}

/* Each "text" is exactly what the kmem_show_*() function prints. */
static void test_text_is_show_output(void)
{
	static const struct {
		const char *cmd;
		int (*fn)(FILE *);
	} views[] = {
		{ "buddyinfo", kmem_show_buddyinfo }, { "zoneinfo", kmem_show_zoneinfo },
		{ "slabinfo", kmem_show_slabinfo }, { "numastat", kmem_show_numastat },
		{ "vmallocinfo", kmem_show_vmallocinfo },
	};
	void *v = vmalloc(5 * 4096);
	size_t i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	kmem_drain_all_pages();
	for (i = 0; i < sizeof(views) / sizeof(views[0]); i++) {
		char *want = show(views[i].fn);
		json_t *reply = ctl_ok(views[i].cmd);
		const char *text = json_string_value(json_object_get(reply, "text"));

		CU_ASSERT_PTR_NOT_NULL_FATAL(text);
		if (strcmp(text, want))
			fprintf(stderr, "%s: text differs:\n%s\n---\n%s\n", views[i].cmd, text, want);
		CU_ASSERT_STRING_EQUAL(text, want);
		free(want);
		json_decref(reply);
	}
	vfree(v);
}

/* vmallocinfo's areas: one per line of the text, sizes and pages as allocated. */
static void test_vmallocinfo_areas(void)
{
	void *v = vmalloc(3 * 4096);
	json_t *reply, *a, *found = NULL;
	size_t i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	reply = ctl_ok("vmallocinfo");
	json_array_foreach(json_object_get(json_object_get(reply, "vmallocinfo"), "areas"), i, a)
		if (geti(a, "start") == (uint64_t)(uintptr_t)v)
			found = a;
	CU_ASSERT_PTR_NOT_NULL_FATAL(found);
	KT_ASSERT_EQ(geti(found, "size"), 4 * 4096);	/* the guard page included */
	KT_ASSERT_EQ(geti(found, "end") - geti(found, "start"), 4 * 4096);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(found, "kind")), "vmalloc");
	json_decref(reply);
	vfree(v);
}

/* 1000 objects from a named cache show in slabinfo; shrink gives its slabs back. */
static void test_slabinfo_workload(void)
{
	struct kmem_cache *s = kmem_cache_create("ctl_test_cache", 200, 0, 0, NULL);
	struct kmem_cache_stats st;
	void *obj[1000];
	json_t *reply, *row;
	unsigned int i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	for (i = 0; i < 1000; i++) {
		obj[i] = kmem_cache_alloc(s, GFP_KERNEL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(obj[i]);
	}
	reply = ctl_ok("slabinfo");
	row = find_cache(reply, "ctl_test_cache");
	CU_ASSERT_PTR_NOT_NULL_FATAL(row);
	CU_ASSERT(geti(row, "active_objs") >= 1000);
	CU_ASSERT(geti(row, "num_objs") >= geti(row, "active_objs"));
	KT_ASSERT_EQ(geti(row, "object_size"), 200);
	CU_ASSERT_EQUAL(kmem_cache_get_stats(s, &st), 0);
	KT_ASSERT_EQ(geti(row, "num_slabs"), st.num_slabs);
	KT_ASSERT_EQ(geti(row, "objperslab"), st.objperslab);
	json_decref(reply);

	/* meminfo's Slab counts this cache's slabs. */
	reply = ctl_ok("meminfo");
	CU_ASSERT(geti(json_object_get(reply, "meminfo"), "Slab") >=
		  st.num_slabs * st.pagesperslab * 4);
	json_decref(reply);

	for (i = 0; i < 1000; i++)
		kmem_cache_free(s, obj[i]);
	reply = ctl("{\"cmd\": \"shrink\", \"cache\": \"ctl_test_cache\"}");
	CU_ASSERT_PTR_NULL(err_code(reply));
	CU_ASSERT(geti(reply, "pages") > 0);
	CU_ASSERT_PTR_NULL(json_object_get(reply, "drained"));
	json_decref(reply);
	CU_ASSERT_EQUAL(kmem_cache_get_stats(s, &st), 0);
	KT_ASSERT_EQ(st.active_objs, 0);
	KT_ASSERT_EQ(st.num_slabs, 0);
	kmem_cache_destroy(s);
}

/*
 * A cache name is whatever a client gave: bytes that are not UTF-8 and
 * escape sequences come back escaped, and the views still answer.
 */
static void test_hostile_cache_name(void)
{
	struct kmem_cache *s = kmem_cache_create("ctl\xff\xfe\x1b[2J\nx", 64, 0, 0, NULL);
	json_t *reply, *text;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	reply = ctl_ok("slabinfo");
	CU_ASSERT_PTR_NOT_NULL(find_cache(reply, "ctl\\xff\\xfe\\x1b[2J\\x0ax"));
	text = json_object_get(reply, "text");
	CU_ASSERT_FATAL(json_is_string(text));
	CU_ASSERT_PTR_NULL(strchr(json_string_value(text), 0x1b));
	CU_ASSERT_PTR_NOT_NULL(strstr(json_string_value(text), "ctl\\xff\\xfe\\x1b[2J"));
	json_decref(reply);
	kmem_cache_destroy(s);
}

/* A SLAB_RECLAIM_ACCOUNT cache counts in SReclaimable, the others in SUnreclaim. */
static void test_meminfo_reclaimable(void)
{
	struct kmem_cache *s = kmem_cache_create("ctl_reclaimable", 512, 0,
						 SLAB_RECLAIM_ACCOUNT, NULL);
	struct kmem_cache_stats st;
	json_t *r0, *r1, *m0, *m1, *row;
	void *obj[100];
	unsigned int i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	r0 = ctl_ok("meminfo");
	for (i = 0; i < 100; i++) {
		obj[i] = kmem_cache_alloc(s, GFP_KERNEL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(obj[i]);
	}
	r1 = ctl_ok("meminfo");
	CU_ASSERT_EQUAL(kmem_cache_get_stats(s, &st), 0);
	m0 = json_object_get(r0, "meminfo");
	m1 = json_object_get(r1, "meminfo");
	KT_ASSERT_EQ(geti(m1, "SReclaimable") - geti(m0, "SReclaimable"),
		     st.num_slabs * st.pagesperslab * 4);
	KT_ASSERT_EQ(geti(m1, "SUnreclaim"), geti(m0, "SUnreclaim"));
	json_decref(r0);
	json_decref(r1);

	r1 = ctl_ok("slabinfo");
	row = find_cache(r1, "ctl_reclaimable");
	CU_ASSERT_PTR_NOT_NULL_FATAL(row);
	CU_ASSERT(json_is_true(json_object_get(row, "reclaimable")));
	CU_ASSERT(json_is_false(json_object_get(find_cache(r1, "kmalloc-64"), "reclaimable")));
	json_decref(r1);
	for (i = 0; i < 100; i++)
		kmem_cache_free(s, obj[i]);
	kmem_cache_destroy(s);
}

/* Free pages of node @nid by the JSON: buddy blocks plus per-CPU lists. */
static uint64_t node_free_pages(json_t *zoneinfo, int nid)
{
	uint64_t pages = 0;
	json_t *z;
	size_t i, o;

	json_array_foreach(json_object_get(zoneinfo, "zoneinfo"), i, z) {
		if ((int)geti(z, "node") != nid)
			continue;
		for (o = 0; o < 11; o++)
			pages += (uint64_t)json_integer_value(
					 json_array_get(json_object_get(z, "nr_free"), o)) << o;
		pages += geti(z, "pcp_count");
	}
	return pages;
}

/* buddyinfo's JSON is kmem_zone_stats()'s nr_free[], zone by zone. */
static void check_buddyinfo_counters(json_t *reply)
{
	struct kmem_zone_stats st;
	int nid, z, o;

	for (nid = 0; nid < 2; nid++) {
		for (z = 0; z < 4; z++) {
			json_t *e, *free;

			CU_ASSERT_EQUAL_FATAL(kmem_zone_stats(nid, z, &st), 0);
			e = find_zone(reply, "buddyinfo", nid, st.name);
			if (!st.present) {
				CU_ASSERT_PTR_NULL(e);
				continue;
			}
			CU_ASSERT_PTR_NOT_NULL_FATAL(e);
			free = json_object_get(e, "free");
			KT_ASSERT_EQ(json_array_size(free), 11);
			for (o = 0; o < 11; o++)
				KT_ASSERT_EQ(json_integer_value(json_array_get(free, (size_t)o)),
					     st.nr_free[o]);
		}
	}
}

/* 8 order-3 blocks on node 1: zoneinfo, buddyinfo and numastat move exactly. */
static void test_node1_workload(void)
{
	json_t *b0, *b1, *z0, *z1, *n0, *n1, *r;
	struct page *page[8];
	unsigned int i;

	r = ctl_ok("drop-pcp");
	json_decref(r);
	b0 = ctl_ok("buddyinfo");
	check_buddyinfo_counters(b0);
	z0 = ctl_ok("zoneinfo");
	n0 = ctl_ok("numastat");
	for (i = 0; i < 8; i++) {
		page[i] = alloc_pages_node(1, GFP_KERNEL | __GFP_THISNODE, 3);
		CU_ASSERT_PTR_NOT_NULL_FATAL(page[i]);
		KT_ASSERT_EQ(page_to_nid(page[i]), 1);
	}
	b1 = ctl_ok("buddyinfo");
	check_buddyinfo_counters(b1);
	z1 = ctl_ok("zoneinfo");
	n1 = ctl_ok("numastat");

	KT_ASSERT_EQ(node_free_pages(z0, 1) - node_free_pages(z1, 1), 64);
	KT_ASSERT_EQ(node_free_pages(z0, 0), node_free_pages(z1, 0));
	KT_ASSERT_EQ(geti(json_array_get(json_object_get(n1, "numastat"), 1), "numa_hit") -
		     geti(json_array_get(json_object_get(n0, "numastat"), 1), "numa_hit"), 8);
	KT_ASSERT_EQ(geti(json_array_get(json_object_get(n1, "numastat"), 0), "numa_hit"),
		     geti(json_array_get(json_object_get(n0, "numastat"), 0), "numa_hit"));
	KT_ASSERT_EQ(geti(json_array_get(json_object_get(n1, "numastat"), 1), "numa_miss"),
		     geti(json_array_get(json_object_get(n0, "numastat"), 1), "numa_miss"));
	json_decref(b1);
	json_decref(z1);
	json_decref(n1);

	/* Freed and drained, the blocks merge back: buddyinfo is as before. */
	for (i = 0; i < 8; i++)
		__free_pages(page[i], 3);
	r = ctl_ok("drop-pcp");
	json_decref(r);
	b1 = ctl_ok("buddyinfo");
	CU_ASSERT(json_equal(json_object_get(b0, "buddyinfo"), json_object_get(b1, "buddyinfo")));
	json_decref(b1);
	json_decref(b0);
	json_decref(z0);
	json_decref(n0);
}

/* meminfo agrees with the zones, and its text has the kernel's layout. */
static void test_meminfo(void)
{
	json_t *reply = ctl_ok("meminfo"), *m = json_object_get(reply, "meminfo");
	struct kmem_vmalloc_stats vs;
	struct kmem_zone_stats st;
	uint64_t managed = 0, free = 0;
	const char *text;
	char line[64];
	int nid, z;

	for (nid = 0; nid < 2; nid++) {
		for (z = 0; z < 4; z++) {
			CU_ASSERT_EQUAL_FATAL(kmem_zone_stats(nid, z, &st), 0);
			managed += st.managed;
			free += st.free_pages;
		}
	}
	CU_ASSERT_EQUAL_FATAL(kmem_vmalloc_stats(&vs), 0);
	KT_ASSERT_EQ(geti(m, "MemTotal"), managed * 4);
	KT_ASSERT_EQ(geti(m, "MemFree"), free * 4);
	CU_ASSERT(geti(m, "MemAvailable") <= geti(m, "MemFree") + geti(m, "SReclaimable"));
	KT_ASSERT_EQ(geti(m, "Slab"), geti(m, "SReclaimable") + geti(m, "SUnreclaim"));
	KT_ASSERT_EQ(geti(m, "VmallocTotal"), vs.total_bytes >> 10);
	KT_ASSERT_EQ(geti(m, "HugePages_Total"), 0);	/* hugepages=never */
	KT_ASSERT_EQ(geti(m, "Hugepagesize"), 2048);
	text = json_string_value(json_object_get(reply, "text"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	snprintf(line, sizeof(line), "MemTotal:       %8llu kB\n",
		 (unsigned long long)(managed * 4));
	CU_ASSERT_NSTRING_EQUAL(text, line, strlen(line));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\nHugePages_Total:       0\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\nHugepagesize:       2048 kB\n"));
	json_decref(reply);
}

static void test_vmstat(void)
{
	json_t *reply = ctl_ok("vmstat"), *e;
	struct kmem_reclaim_stats st;
	size_t i;

	KT_ASSERT_EQ(json_array_size(json_object_get(reply, "vmstat")), 2);
	json_array_foreach(json_object_get(reply, "vmstat"), i, e) {
		CU_ASSERT_EQUAL(kmem_get_reclaim_stats((int)i, &st), 0);
		KT_ASSERT_EQ(geti(e, "node"), i);
		KT_ASSERT_EQ(geti(e, "allocstall"), st.allocstall);
		KT_ASSERT_EQ(geti(e, "pgsteal_direct"), st.pgsteal_direct);
		CU_ASSERT(json_is_false(json_object_get(e, "kswapd_present")));	/* kt_init */
	}
	CU_ASSERT_PTR_NOT_NULL(strstr(json_string_value(json_object_get(reply, "text")),
				      "allocstall "));
	json_decref(reply);
}

/* tunables.set round-trips through tunables.get and moves the watermarks. */
static void test_tunables(void)
{
	json_t *reply, *w0, *w1, *t;
	uint64_t mfk, wsf;

	reply = ctl_ok("tunables.get");
	t = json_object_get(reply, "tunables");
	mfk = geti(t, "min_free_kbytes");
	wsf = geti(t, "watermark_scale_factor");
	KT_ASSERT_EQ(geti(t, "reclaim_timeout_ms"), 100);	/* kt_init */
	json_decref(reply);

	w0 = ctl_ok("watermarks");
	reply = ctl("{\"cmd\": \"tunables.set\", \"key\": \"min_free_kbytes\", \"value\": %llu}",
		    (unsigned long long)mfk * 4);
	CU_ASSERT_PTR_NULL(err_code(reply));
	KT_ASSERT_EQ(geti(json_object_get(reply, "tunables"), "min_free_kbytes"), mfk * 4);
	json_decref(reply);
	reply = ctl_ok("tunables.get");
	KT_ASSERT_EQ(geti(json_object_get(reply, "tunables"), "min_free_kbytes"), mfk * 4);
	json_decref(reply);
	w1 = ctl_ok("watermarks");
	/* Node 0 has DMA, DMA32 and HighMem here; node 1 Normal and HighMem. */
	CU_ASSERT(geti(find_zone(w1, "watermarks", 0, "DMA32"), "min") >
		  geti(find_zone(w0, "watermarks", 0, "DMA32"), "min"));
	CU_ASSERT(geti(find_zone(w1, "watermarks", 1, "Normal"), "low") >
		  geti(find_zone(w0, "watermarks", 1, "Normal"), "low"));
	json_decref(w1);

	/* watermark_scale_factor widens the gap between min and low. */
	reply = ctl("{\"cmd\": \"tunables.set\", \"key\": \"watermark_scale_factor\", "
		    "\"value\": 1000}");
	CU_ASSERT_PTR_NULL(err_code(reply));
	json_decref(reply);
	w1 = ctl_ok("watermarks");
	t = find_zone(w1, "watermarks", 1, "Normal");
	KT_ASSERT_EQ(geti(t, "low") - geti(t, "min"), geti(t, "managed") * 1000 / 10000);
	json_decref(w1);

	/* A live setter that is not a watermark. */
	reply = ctl("{\"cmd\": \"tunables.set\", \"key\": \"reclaim_timeout_ms\", \"value\": 250}");
	KT_ASSERT_EQ(geti(json_object_get(reply, "tunables"), "reclaim_timeout_ms"), 250);
	json_decref(reply);

	expect_error(ctl("{\"cmd\": \"tunables.set\", \"key\": \"watermark_scale_factor\", "
			 "\"value\": 0}"), "EINVAL");
	expect_error(ctl("{\"cmd\": \"tunables.set\", \"key\": \"percpu_pagelist_high_fraction\", "
			 "\"value\": 3}"), "EINVAL");
	expect_error(ctl("{\"cmd\": \"tunables.set\", \"key\": \"nope\", \"value\": 1}"), "EINVAL");
	expect_error(ctl("{\"cmd\": \"tunables.set\", \"key\": \"min_free_kbytes\", \"value\": -1}"),
		     "EINVAL");
	expect_error(ctl("{\"cmd\": \"tunables.set\", \"key\": \"min_free_kbytes\", \"value\": \"9\"}"),
		     "EINVAL");
	expect_error(ctl("{\"cmd\": \"tunables.set\", \"key\": \"min_free_kbytes\"}"), "EINVAL");

	/* Back as they were: the watermarks too. */
	CU_ASSERT_EQUAL(kmem_set_tunable("min_free_kbytes", mfk), 0);
	CU_ASSERT_EQUAL(kmem_set_tunable("watermark_scale_factor", wsf), 0);
	CU_ASSERT_EQUAL(kmem_set_tunable("reclaim_timeout_ms", 100), 0);
	w1 = ctl_ok("watermarks");
	CU_ASSERT(json_equal(json_object_get(w0, "watermarks"), json_object_get(w1, "watermarks")));
	json_decref(w1);
	json_decref(w0);
}

static void test_shrink_and_drop_pcp(void)
{
	json_t *reply;
	struct page *p;

	expect_error(ctl("{\"cmd\": \"shrink\", \"cache\": \"no_such_cache\"}"), "ENOENT");
	expect_error(ctl("{\"cmd\": \"shrink\", \"cache\": 7}"), "EINVAL");
	reply = ctl("{\"cmd\": \"shrink\", \"cache\": \"kmalloc-64\"}");
	CU_ASSERT_PTR_NULL(err_code(reply));
	json_decref(reply);

	/* A page on this CPU's list: drop-pcp returns it, shrink all too. */
	p = alloc_pages(GFP_KERNEL, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	__free_pages(p, 0);
	CU_ASSERT(kt_pcp_pages() > 0);
	reply = ctl_ok("drop-pcp");
	CU_ASSERT(geti(reply, "pages") > 0);
	KT_ASSERT_EQ(kt_pcp_pages(), 0);
	json_decref(reply);

	p = alloc_pages(GFP_KERNEL, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	__free_pages(p, 0);
	reply = ctl_ok("shrink");
	CU_ASSERT(geti(reply, "drained") > 0);
	KT_ASSERT_EQ(kt_pcp_pages(), 0);
	json_decref(reply);
}

/* fault.set arms failslab; the next allocation fails; fault.get counts it. */
static void test_fault(void)
{
	json_t *reply, *f;
	uint64_t before;
	void *p;

	reply = ctl_ok("fault.get");
	f = json_object_get(reply, "fault");
	before = geti(json_object_get(f, "stats"), "failslab");
	KT_ASSERT_EQ(geti(json_object_get(f, "failslab"), "probability"), 0);
	json_decref(reply);

	static const char *const arm[][2] = {
		{ "verbose", "0" }, { "ignore-gfp-wait", "false" }, { "times", "1" },
		{ "interval", "\"1\"" }, { "probability", "100" },
	};
	for (size_t i = 0; i < sizeof(arm) / sizeof(arm[0]); i++) {
		reply = ctl("{\"cmd\": \"fault.set\", \"which\": \"failslab\", \"attr\": \"%s\", "
			    "\"value\": %s}", arm[i][0], arm[i][1]);
		CU_ASSERT_PTR_NULL(err_code(reply));
		json_decref(reply);
	}
	reply = ctl_ok("fault.get");
	f = json_object_get(json_object_get(reply, "fault"), "failslab");
	KT_ASSERT_EQ(geti(f, "probability"), 100);
	KT_ASSERT_EQ(geti(f, "times"), 1);
	CU_ASSERT(json_is_false(json_object_get(f, "ignore-gfp-wait")));
	json_decref(reply);

	p = kmalloc(64, GFP_KERNEL);
	CU_ASSERT_PTR_NULL(p);		/* failed, as configured */
	kfree(p);
	p = kmalloc(64, GFP_KERNEL);	/* times was 1 */
	CU_ASSERT_PTR_NOT_NULL(p);
	kfree(p);

	reply = ctl_ok("fault.get");
	f = json_object_get(reply, "fault");
	KT_ASSERT_EQ(geti(json_object_get(f, "stats"), "failslab"), before + 1);
	KT_ASSERT_EQ(geti(json_object_get(f, "failslab"), "times"), 0);
	json_decref(reply);

	expect_error(ctl("{\"cmd\": \"fault.set\", \"which\": \"nope\", \"attr\": \"times\", "
			 "\"value\": 1}"), "EINVAL");
	expect_error(ctl("{\"cmd\": \"fault.set\", \"which\": \"failslab\", \"attr\": \"min-order\", "
			 "\"value\": 1}"), "EINVAL");
	expect_error(ctl("{\"cmd\": \"fault.set\", \"which\": \"failslab\", \"attr\": \"probability\", "
			 "\"value\": 101}"), "EINVAL");
	expect_error(ctl("{\"cmd\": \"fault.set\", \"which\": \"failslab\", \"attr\": \"probability\", "
			 "\"value\": [1]}"), "EINVAL");
	expect_error(ctl("{\"cmd\": \"fault.set\", \"which\": \"failslab\", \"attr\": \"probability\"}"),
		     "EINVAL");

	CU_ASSERT_EQUAL(kmem_fault_set(KMEM_FAILSLAB, "probability", "0"), 0);
	CU_ASSERT_EQUAL(kmem_fault_set(KMEM_FAILSLAB, "ignore-gfp-wait", "Y"), 0);
	CU_ASSERT_EQUAL(kmem_fault_set(KMEM_FAILSLAB, "verbose", "2"), 0);
}

/* Two elements as kmemd's client table gives them (the schema requires its fields). */
static json_t *two_clients(void)
{
	return json_pack("[{s:i, s:i, s:i, s:i, s:s, s:s, s:i},"
			 " {s:i, s:i, s:i, s:i, s:s, s:s, s:i}]",
			 "id", 1, "pid", 100, "uid", 0, "gid", 0, "comm", "a", "state", "attached",
			 "connected_at", 1, "id", 2, "pid", 200, "uid", 0, "gid", 0, "comm", "b",
			 "state", "connected", "connected_at", 2);
}

static json_t *bad_clients(void)
{
	return json_string("not a list");
}

static void test_clients(void)
{
	static const struct kmemd_ctl_ops ops = { .clients = two_clients };
	static const struct kmemd_ctl_ops bad = { .clients = bad_clients };
	json_t *reply;

	kmemd_ctl_set_ops(NULL);
	reply = ctl_ok("clients");
	KT_ASSERT_EQ(json_array_size(json_object_get(reply, "clients")), 0);
	json_decref(reply);

	kmemd_ctl_set_ops(&ops);
	reply = ctl_ok("clients");
	KT_ASSERT_EQ(json_array_size(json_object_get(reply, "clients")), 2);
	KT_ASSERT_EQ(geti(json_array_get(json_object_get(reply, "clients"), 1), "pid"), 200);
	json_decref(reply);

	kmemd_ctl_set_ops(&bad);
	expect_error(ctl("{\"cmd\": \"clients\"}"), "EIO");
	kmemd_ctl_set_ops(NULL);
}

/* Every malformed request gets an error object with "version". */
static void test_fuzz_corpus(void)
{
	static const struct {
		const char *req;
		size_t len;		/* 0: strlen */
		const char *code;
	} corpus[] = {
		{ "", 0, "EBADMSG" },
		{ "{", 0, "EBADMSG" },
		{ "}", 0, "EBADMSG" },
		{ "[]", 0, "EBADMSG" },
		{ "null", 0, "EBADMSG" },
		{ "\"list\"", 0, "EBADMSG" },
		{ "42", 0, "EBADMSG" },
		{ "{}", 0, "EINVAL" },
		{ "{\"cmd\":5}", 0, "EINVAL" },
		{ "{\"cmd\":null}", 0, "EINVAL" },
		{ "{\"cmd\":[\"list\"]}", 0, "EINVAL" },
		{ "{\"cmd\":\"nope\"}", 0, "ENOSYS" },
		{ "{\"cmd\":\"\"}", 0, "ENOSYS" },
		{ "{\"cmd\":\"LIST\"}", 0, "ENOSYS" },
		{ "{\"cmd\":\"shrink\",\"cache\":7}", 0, "EINVAL" },
		{ "{\"cmd\":\"shrink\",\"cache\":null}", 0, "EINVAL" },
		{ "{\"cmd\":\"list\",\"extra\":1}", 0, "EINVAL" },
		{ "{\"cmd\":\"list\",\"cmd\":\"info\"}", 0, "EBADMSG" },	/* duplicate key */
		{ "{\"cmd\":\"list\"} {\"cmd\":\"info\"}", 0, "EBADMSG" },
		{ "{\"cmd\":\"list\"}junk", 0, "EBADMSG" },
		{ "{\"cmd\":\"li\\u0000st\"}", 0, "EBADMSG" },
		{ "{\"cmd\":\"list\"}\0", 15, "EBADMSG" },			/* embedded NUL */
		{ "{\"cmd\":\"li\0st\"}", 15, "EBADMSG" },
		{ "{\"cmd\":\"\xff\xfe\"}", 0, "EBADMSG" },			/* invalid UTF-8 */
		{ "{\"cmd\":\"\xc3\x28\"}", 0, "EBADMSG" },
		{ "{\"cmd\":\"\xed\xa0\x80\"}", 0, "EBADMSG" },		/* a surrogate */
		{ "{\"cmd\":\"\\ud800\"}", 0, "EBADMSG" },
		{ "{'cmd':'list'}", 0, "EBADMSG" },
		{ "{\"cmd\":\"list\",}", 0, "EBADMSG" },
		{ "{\"cmd\":1e999}", 0, "EBADMSG" },
		{ "{\"cmd\":\"tunables.set\",\"key\":\"min_free_kbytes\",\"value\":1.5}", 0, "EINVAL" },
		{ "{\"cmd\":\"tunables.set\",\"key\":\"min_free_kbytes\","
		  "\"value\":99999999999999999999999}", 0, "EBADMSG" },
		{ "{\"cmd\":\"fault.set\",\"which\":\"failslab\",\"attr\":\"times\",\"value\":{}}", 0,
		  "EINVAL" },
	};
	char *big;
	size_t i, n;

	for (i = 0; i < sizeof(corpus) / sizeof(corpus[0]); i++) {
		json_t *reply = ctl_raw(corpus[i].req, corpus[i].len ?: strlen(corpus[i].req));

		CU_ASSERT(reply_valid(reply, "error"));
		if (!err_code(reply) || strcmp(err_code(reply), corpus[i].code))
			fprintf(stderr, "corpus[%zu] %s: got %s\n", i, corpus[i].req,
				err_code(reply) ?: "success");
		expect_error(reply, corpus[i].code);
	}
	expect_error(ctl_raw(NULL, 0), "EINVAL");

	/* 10 KiB of junk; then a valid request just under the limit, and just over. */
	big = malloc(10240);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	for (i = 0; i < 10240; i++)
		big[i] = (char)('!' + i % 90);
	expect_error(ctl_raw(big, 10240), "EMSGSIZE");
	n = (size_t)snprintf(big, 10240, "{\"cmd\":\"list\"}");
	memset(big + n, ' ', KMEMD_CTL_MAX_REQUEST - n);
	{
		json_t *reply = ctl_raw(big, KMEMD_CTL_MAX_REQUEST);

		CU_ASSERT_PTR_NULL(err_code(reply));
		json_decref(reply);
	}
	expect_error(ctl_raw(big, KMEMD_CTL_MAX_REQUEST + 1), "EMSGSIZE");
	/* The line's end does not count, if the caller passes it. */
	big[KMEMD_CTL_MAX_REQUEST] = '\r';
	big[KMEMD_CTL_MAX_REQUEST + 1] = '\n';
	{
		json_t *reply = ctl_raw(big, KMEMD_CTL_MAX_REQUEST + 2);

		CU_ASSERT_PTR_NULL(err_code(reply));
		json_decref(reply);
	}
	expect_error(ctl_raw("\n", 1), "EBADMSG");

	/* Deep nesting, under the size limit. */
	for (i = 0; i < 2000; i++) {
		big[i] = '[';
		big[4000 - 1 - i] = ']';
	}
	expect_error(ctl_raw(big, 4000), "EBADMSG");
	n = (size_t)snprintf(big, 10240, "{\"cmd\":\"shrink\",\"cache\":");
	for (i = 0; i < 1500; i++)
		big[n + i] = '[';
	for (i = 0; i < 1500; i++)
		big[n + 1500 + i] = ']';
	big[n + 3000] = '}';
	expect_error(ctl_raw(big, n + 3001), "EINVAL");
	free(big);
}

/*
 * Random mutations of read-only requests: whatever the bytes, the reply is
 * one JSON object with "version", and an error or a valid reply.
 */
static void test_fuzz_mutations(void)
{
	static const char *const seeds[] = {
		"{\"cmd\":\"buddyinfo\"}", "{\"cmd\":\"numastat\"}", "{\"cmd\":\"tunables.get\"}",
		"{\"cmd\":\"shrink\",\"cache\":\"no_such_cache\"}", "{\"cmd\":\"list\"}",
		"{\"cmd\":\"fault.get\"}", "{\"cmd\":\"watermarks\"}",
	};
	uint64_t rng = kt_seed();
	char buf[128];
	unsigned int round;

	for (round = 0; round < 3000; round++) {
		const char *seed = seeds[kt_rand(&rng) % (sizeof(seeds) / sizeof(seeds[0]))];
		size_t len = strlen(seed), k, nmut = 1 + kt_rand(&rng) % 4;
		json_t *reply, *req;
		const char *cmd;

		memcpy(buf, seed, len);
		for (k = 0; k < nmut; k++) {
			size_t at = kt_rand(&rng) % len;

			switch (kt_rand(&rng) % 3) {
			case 0:		/* flip a byte */
				buf[at] = (char)kt_rand(&rng);
				break;
			case 1:		/* truncate */
				len = at ?: 1;
				break;
			default:	/* duplicate a byte */
				if (len + 1 < sizeof(buf)) {
					memmove(buf + at + 1, buf + at, len - at);
					len++;
				}
			}
		}
		reply = ctl_raw(buf, len);
		req = json_loadb(buf, len, 0, NULL);
		cmd = json_string_value(json_object_get(req, "cmd"));
		if (!reply_valid(reply, cmd ?: "error"))
			fprintf(stderr, "mutation %u: %.*s\n", round, (int)len, buf);
		json_decref(req);
		json_decref(reply);
	}
}

/*
 * kmemd may answer several clients at once: requests from two threads, one
 * of them changing things (shrink, drop-pcp, a tunable), beside a thread
 * that allocates and frees.
 */
static bool stop_churn;

static void *churn(void *arg)
{
	void *p[64];
	unsigned int i;

	(void)arg;
	while (!__atomic_load_n(&stop_churn, __ATOMIC_RELAXED)) {
		for (i = 0; i < 64; i++)
			p[i] = kmalloc(32 + i * 8, GFP_KERNEL);
		for (i = 0; i < 64; i++)
			kfree(p[i]);
	}
	return NULL;
}

static void *asker(void *arg)
{
	static const char *const reqs[] = {
		"{\"cmd\":\"buddyinfo\"}", "{\"cmd\":\"zoneinfo\"}", "{\"cmd\":\"slabinfo\"}",
		"{\"cmd\":\"meminfo\"}", "{\"cmd\":\"numastat\"}", "{\"cmd\":\"vmallocinfo\"}",
		"{\"cmd\":\"watermarks\"}", "{\"cmd\":\"fault.get\"}", "{\"cmd\":\"shrink\"}",
		"{\"cmd\":\"drop-pcp\"}",
		"{\"cmd\":\"tunables.set\",\"key\":\"watermark_scale_factor\",\"value\":10}",
	};
	unsigned long bad = 0, i;
	size_t n = sizeof(reqs) / sizeof(reqs[0]) - (arg ? 0 : 3);

	for (i = 0; i < 300; i++) {
		const char *req = reqs[i % n];
		char *out = kmemd_ctl_handle(req, strlen(req));
		json_t *reply = out ? json_loads(out, 0, NULL) : NULL;

		if (!reply || json_integer_value(json_object_get(reply, "version")) != 1 ||
		    json_object_get(reply, "error"))
			bad++;
		json_decref(reply);
		free(out);
	}
	return (void *)bad;
}

static void test_concurrent(void)
{
	pthread_t t[3];
	void *bad[2];
	unsigned long wsf;

	CU_ASSERT_EQUAL_FATAL(kmem_get_tunable("watermark_scale_factor", &wsf), 0);
	__atomic_store_n(&stop_churn, false, __ATOMIC_RELAXED);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&t[0], NULL, churn, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&t[1], NULL, asker, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&t[2], NULL, asker, (void *)1), 0);
	pthread_join(t[1], &bad[0]);
	pthread_join(t[2], &bad[1]);
	__atomic_store_n(&stop_churn, true, __ATOMIC_RELAXED);
	pthread_join(t[0], NULL);
	KT_ASSERT_EQ((unsigned long)bad[0], 0);
	KT_ASSERT_EQ((unsigned long)bad[1], 0);
	CU_ASSERT_EQUAL(kmem_set_tunable("watermark_scale_factor", wsf), 0);
}

/* kmem_set_tunable()/kmem_get_tunable() and kmem_cache_shrink_name() directly. */
static void test_libkmem_setters(void)
{
	unsigned long v;

	CU_ASSERT_EQUAL(kmem_get_tunable("reclaim_timeout_ms", &v), 0);
	KT_ASSERT_EQ(v, 100);
	CU_ASSERT_EQUAL(kmem_set_tunable("reclaim_timeout_ms", 3600 * 1000 + 1), -EINVAL);
	CU_ASSERT_EQUAL(kmem_set_tunable("percpu_pagelist_high_fraction", 8), 0);
	CU_ASSERT_EQUAL(kmem_get_tunable("percpu_pagelist_high_fraction", &v), 0);
	KT_ASSERT_EQ(v, 8);
	CU_ASSERT_EQUAL(kmem_set_tunable("percpu_pagelist_high_fraction", 0), 0);
	CU_ASSERT_EQUAL(kmem_set_tunable(NULL, 1), -EINVAL);
	CU_ASSERT_EQUAL(kmem_get_tunable("nope", &v), -EINVAL);
	CU_ASSERT_EQUAL(kmem_cache_shrink_name("no_such_cache"), -ENOENT);
	CU_ASSERT(kmem_cache_shrink_name(NULL) >= 0);
	CU_ASSERT(kmem_cache_shrink_name("kmalloc-64") >= 0);
}

static const struct kt_test tests[] = {
	KT_TEST(test_list_and_schemas),
	KT_TEST(test_info),
	KT_TEST(test_orphans_arguments),
	KT_TEST(test_text_is_show_output),
	KT_TEST(test_vmallocinfo_areas),
	KT_TEST(test_slabinfo_workload),
	KT_TEST(test_hostile_cache_name),
	KT_TEST(test_node1_workload),
	KT_TEST(test_meminfo),
	KT_TEST(test_meminfo_reclaimable),
	KT_TEST(test_vmstat),
	KT_TEST(test_tunables),
	KT_TEST(test_shrink_and_drop_pcp),
	KT_TEST(test_fault),
	KT_TEST(test_clients),
	KT_TEST(test_fuzz_corpus),
	KT_TEST(test_fuzz_mutations),
	KT_TEST(test_concurrent),
	KT_TEST(test_libkmem_setters),
	KT_END,
};

static const struct kt_suite suite = { "ctl", suite_init, suite_exit, tests };
static const struct kt_suite locked = { "ctl rseq=off", suite_init_locked, suite_exit, tests };
static const struct kt_suite *const suites[] = { &suite, &locked, NULL };

int main(int argc, char **argv)
{
	return kt_main(argc, argv, suites);
}
