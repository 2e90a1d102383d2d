// SPDX-License-Identifier: MIT
/*
 * kmem_stats_print(): a program prints its own allocator's views, as text
 * in the /proc layouts or as one JSON object, to a callback; each flag
 * selects its view, and the numbers are the ones the views report.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <kmem/kmem.h>
#include <linux/gfp.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "kunit.h"

struct sink {
	char *text;
	unsigned int calls;
};

static void collect(void *arg, const char *text)
{
	struct sink *s = arg;
	size_t old = s->text ? strlen(s->text) : 0;
	char *t = realloc(s->text, old + strlen(text) + 1);

	if (!t)
		return;
	memcpy(t + old, text, strlen(text) + 1);
	s->text = t;
	s->calls++;
}

static int suite_init(void)
{
	return kt_init(NULL);
}

static int suite_exit(void)
{
	kmem_exit();
	return 0;
}

static void test_text_views(void)
{
	struct sink s = { 0 };
	void *p = kmalloc(64, GFP_KERNEL), *v = vmalloc(1 << 20);

	CU_ASSERT_FATAL(p && v);
	KT_ASSERT_EQ(kmem_stats_print(collect, &s, 0), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s.text);
	CU_ASSERT(s.calls >= 1);
	CU_ASSERT(strstr(s.text, "# buddyinfo\nNode 0, zone") != NULL);
	CU_ASSERT(strstr(s.text, "# zoneinfo\n") != NULL);
	CU_ASSERT(strstr(s.text, "# slabinfo\nslabinfo - version: 2.1") != NULL);
	CU_ASSERT(strstr(s.text, "kmalloc-64") != NULL);
	CU_ASSERT(strstr(s.text, "# vmallocinfo\n") != NULL);
	CU_ASSERT(strstr(s.text, "# lsmem\n") != NULL);
	free(s.text);

	/* one flag, one view */
	s.text = NULL;
	KT_ASSERT_EQ(kmem_stats_print(collect, &s, KMEM_STATS_SLABINFO), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s.text);
	CU_ASSERT(strncmp(s.text, "# slabinfo\n", 11) == 0);
	CU_ASSERT(strstr(s.text, "# buddyinfo") == NULL);
	CU_ASSERT(strstr(s.text, "# lsmem") == NULL);
	free(s.text);
	kfree(p);
	vfree(v);
}

static void test_json(void)
{
	struct sink s = { 0 };
	struct kmem_vmalloc_stats vs;
	json_error_t err;
	json_t *o, *caches, *c, *zone;
	void *v = vmalloc(2 << 20);
	size_t i;
	bool found = false;

	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	KT_ASSERT_EQ(kmem_stats_print(collect, &s, KMEM_STATS_JSON), 0);
	o = json_loads(s.text, 0, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT(json_is_array(json_object_get(o, "buddyinfo")));
	CU_ASSERT(json_is_array(json_object_get(o, "zoneinfo")));
	CU_ASSERT(json_is_object(json_object_get(o, "memory")));
	caches = json_object_get(o, "slabinfo");
	CU_ASSERT_FATAL(json_is_array(caches));
	json_array_foreach(caches, i, c)
		found |= !strcmp(json_string_value(json_object_get(c, "name")), "kmalloc-64") &&
			 json_integer_value(json_object_get(c, "objsize")) >= 64;
	CU_ASSERT(found);
	/* the numbers are the views' own */
	CU_ASSERT_FATAL(kmem_vmalloc_stats(&vs) == 0);
	KT_ASSERT_EQ(json_integer_value(json_object_get(json_object_get(o, "vmalloc"),
							 "nr_areas")), vs.nr_areas);
	zone = json_array_get(json_object_get(o, "buddyinfo"), 0);
	CU_ASSERT(json_array_size(json_object_get(zone, "free")) == 11);
	json_decref(o);
	free(s.text);

	/* one view in JSON: only its member */
	s.text = NULL;
	KT_ASSERT_EQ(kmem_stats_print(collect, &s, KMEM_STATS_JSON | KMEM_STATS_VMALLOC), 0);
	o = json_loads(s.text, 0, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	KT_ASSERT_EQ(json_object_size(o), 1);
	CU_ASSERT(json_is_object(json_object_get(o, "vmalloc")));
	json_decref(o);
	free(s.text);
	vfree(v);
}

static const struct kt_test tests[] = {
	KT_TEST(test_text_views),
	KT_TEST(test_json),
	KT_END,
};

static const struct kt_suite suite = { "stats_print", suite_init, suite_exit, tests };
static const struct kt_suite *const suites[] = { &suite, NULL };
int main(int argc, char **argv) { return kt_main(argc, argv, suites); }
