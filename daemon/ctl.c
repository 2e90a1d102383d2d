// SPDX-License-Identifier: MIT
/*
 * ctl.c - kmemd's control protocol: one JSON request in, one JSON reply out
 * (docs/ctl-protocol.md, docs/ctl-schema/replies.json).
 *
 *	kmemd_ctl_handle(request, len)
 *	  parse_request()	size, JSON, object, "cmd", arguments checked
 *	  cmd->fn(req, reply)	reads kmem's counters through the public API,
 *				adds the result fields (and "text": the kmem_show_*
 *				view, byte for byte, for the /proc-style views)
 *	  finish()		"version" (and "cmd") added, dumped compactly on
 *				one line
 *
 * Every failure, from a malformed request to a library error, becomes
 * {"version": 1, "error": {"code": "E...", "message": "..."}}; nothing here
 * aborts.  Numbers are JSON integers (values above INT64_MAX, which no
 * counter reaches, are clamped).
 *
 * This file knows nothing of sockets or clients: kmemd.c reads a request
 * line, calls kmemd_ctl_handle() and writes the reply with a newline; what
 * only the daemon knows comes through kmemd_ctl_set_ops().
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmem/fault.h>
#include <kmem/kmem.h>
#include <linux/slab.h>

#include "ctl.h"
#include "escape.h"
#include "kmemd_proto.h"

/*
 * libkmem's segment checks (libkmem/segment.c, declared in its internal.h,
 * which this file does not include): the views return -EUCLEAN when the
 * shared segment a client can write is corrupted, and this says what they
 * found.  kmemd links kmem_static, so these are there.
 */
const char *__kmem_segment_error(void);
void __kmem_segment_error_clear(void);
/* Verify before acting on the segment; what failed is fenced (segment.c). */
int __kmem_segment_gate(const char *what);
bool __kmem_segment_fenced(void);
unsigned int __kmem_segment_fences(const char **why, unsigned int max);
/* The objects a client allocated from the shared kmalloc caches (client_gone.c). */
int __kmem_client_objects(uint32_t client_id,
			  void (*fn)(void *object, const char *cache, unsigned int object_size,
				     void *arg), void *arg, struct kmem_client_usage *usage);

#define NR_ZONES	4	/* DMA, DMA32, Normal, HighMem */
#define NR_ORDERS	11
#define KB_PER_PAGE	4	/* kmem's pages are 4 KiB */

/* A failed command: an errno name and a message for people. */
struct ctl_err {
	const char *code;
	char message[256];
};

static int ctl_fail(struct ctl_err *err, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int ctl_fail(struct ctl_err *err, const char *code, const char *fmt, ...)
{
	va_list ap;

	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return -1;
}

/* The errno name for a negative return of libkmem. */
static const char *errno_code(int ret)
{
	switch (-ret) {
	case EINVAL:	return "EINVAL";
	case ENOENT:	return "ENOENT";
	case ENOMEM:	return "ENOMEM";
	case ERANGE:	return "ERANGE";
	case EUCLEAN:	return "EUCLEAN";
	default:	return "EIO";
	}
}

static int ctl_fail_errno(struct ctl_err *err, int ret, const char *what)
{
	if (ret == -EUCLEAN && *__kmem_segment_error())
		return ctl_fail(err, "EUCLEAN", "%s", __kmem_segment_error());
	return ctl_fail(err, errno_code(ret), "%s: %s", what, strerror(-ret));
}

static json_t *jint(uint64_t v)
{
	return json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v);
}

/* Set @key of @obj to @v (a new reference); false when out of memory. */
static bool put(json_t *obj, const char *key, json_t *v)
{
	return v && !json_object_set_new(obj, key, v);
}

static bool put_u64(json_t *obj, const char *key, uint64_t v)
{
	return put(obj, key, jint(v));
}

static json_t *u64_array(const uint64_t *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < n; i++) {
		if (json_array_append_new(a, jint(v[i]))) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static int oom(struct ctl_err *err)
{
	return ctl_fail(err, "ENOMEM", "out of memory building the reply");
}

/*
 * A JSON string of @n bytes of @s, escaped (libkmem/escape.h, @flags):
 * names and callers come from the shared segment, which any client can
 * write, and json_string() refuses what is not UTF-8.  NULL: out of memory.
 */
static json_t *json_escaped(const char *s, size_t n, unsigned int flags)
{
	size_t len = KMEM_ESC_SIZE(n);
	char *buf = malloc(len);
	json_t *j;

	if (!buf)
		return NULL;
	kmem_escape(buf, len, s, n, flags);
	j = json_string(buf);
	free(buf);
	return j;
}

#define json_name(s)	json_escaped((s), strlen(s), 0)
#define json_text(s, n)	json_escaped((s), (n), KMEM_ESC_KEEP_LINES | KMEM_ESC_KEEP_BACKSLASH)

/*
 * "text": what @show prints, captured with open_memstream() so that it is
 * exactly the kmem_show_*() output (escaped: names in it come from clients).
 */
static int put_text(json_t *reply, int (*show)(FILE *), struct ctl_err *err)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	int ret;

	if (!f)
		return oom(err);
	ret = show(f);
	if (fclose(f) || !buf) {
		free(buf);
		return oom(err);
	}
	if (ret) {
		free(buf);
		return ctl_fail_errno(err, ret, "kmem_show");
	}
	ret = put(reply, "text", json_text(buf, size)) ? 0 : oom(err);
	free(buf);
	return ret;
}

/* ------------------------------------------------------------------ */
/* views                                                               */
/* ------------------------------------------------------------------ */

static int nr_nodes(struct ctl_err *err)
{
	struct kmem_info info;
	int ret = kmem_get_info(&info);

	if (ret)
		return ctl_fail_errno(err, ret, "kmem_get_info");
	return (int)info.nr_nodes;
}

/* What kmemd found corrupted in the segment and fenced off, in its words. */
static bool put_fences(json_t *o)
{
	const char *why[4];
	unsigned int n = __kmem_segment_fences(why, 4), i;
	json_t *arr = json_array();

	if (!put(o, "segment_fenced", json_boolean(__kmem_segment_fenced())) ||
	    !put_u64(o, "fenced", n) || !put(o, "fence_reasons", arr))
		return false;
	for (i = 0; i < n && i < 4; i++)
		if (json_array_append_new(arr, json_name(why[i])))
			return false;
	return true;
}

static int cmd_info(json_t *req, json_t *reply, struct ctl_err *err)
{
	struct kmem_info info;
	json_t *o = json_object();
	int ret = kmem_get_info(&info);

	if (ret) {
		json_decref(o);
		return ctl_fail_errno(err, ret, "kmem_get_info");
	}
	if (!put(reply, "info", o) ||
	    !put_u64(o, "nr_nodes", info.nr_nodes) ||
	    !put_u64(o, "nr_cpu_ids", info.nr_cpu_ids) ||
	    !put_u64(o, "cache_line_size", info.cache_line_size) ||
	    !put(o, "fake_numa", json_boolean(info.fake_numa)) ||
	    !put(o, "hugetlb", json_boolean(info.hugetlb)) ||
	    !put(o, "backing", json_string(info.hugetlb ? "hugetlb" : "shmem+thp")) ||
	    !put_u64(o, "hugepage_shift", info.hugepage_shift) ||
	    !put_u64(o, "hugepage_size", 1ULL << info.hugepage_shift) ||
	    !put(o, "phys_real", json_boolean(info.phys_real)) ||
	    !put(o, "iova_mode", json_string(info.iova_va ? "va" : "pa")) ||
	    !put(o, "zones_emulated", json_boolean(info.zones_emulated)) ||
	    !put(o, "rseq", json_boolean(info.rseq)) ||
	    !put(o, "pcp_mode", json_string(info.rseq ? "rseq" : "locked")) ||
	    !put_u64(o, "page_size", KB_PER_PAGE * 1024) ||
	    !put_u64(o, "total_pages", info.total_pages) || !put_fences(o))
		return oom(err);
	return 0;
}

/*
 * Walk every zone of every node: @fn gets its statistics.  @present_only
 * skips the zones with no pages, as buddyinfo does.
 */
static int for_each_zone(json_t *arr, bool present_only, struct ctl_err *err,
			 json_t *(*fn)(const struct kmem_zone_stats *st))
{
	struct kmem_zone_stats st;
	int n = nr_nodes(err), nid, z, ret;

	if (n < 0)
		return -1;
	for (nid = 0; nid < n; nid++) {
		for (z = 0; z < NR_ZONES; z++) {
			ret = kmem_zone_stats(nid, z, &st);
			if (ret)
				return ctl_fail_errno(err, ret, "kmem_zone_stats");
			if (present_only && !st.present)
				continue;
			if (json_array_append_new(arr, fn(&st)))
				return oom(err);
		}
	}
	return 0;
}

/* A new object with "node" and "zone", or NULL. */
static json_t *zone_obj(const struct kmem_zone_stats *st)
{
	json_t *o = json_object();

	if (o && put_u64(o, "node", (uint64_t)st->node) && put(o, "zone", json_string(st->name)))
		return o;
	json_decref(o);
	return NULL;
}

static json_t *buddy_zone(const struct kmem_zone_stats *st)
{
	json_t *o = zone_obj(st);

	if (o && put(o, "free", u64_array(st->nr_free, NR_ORDERS)))
		return o;
	json_decref(o);
	return NULL;
}

static int cmd_buddyinfo(json_t *req, json_t *reply, struct ctl_err *err)
{
	json_t *arr = json_array();

	if (!put(reply, "buddyinfo", arr))
		return oom(err);
	if (for_each_zone(arr, true, err, buddy_zone))
		return -1;
	return put_text(reply, kmem_show_buddyinfo, err);
}

static json_t *zoneinfo_zone(const struct kmem_zone_stats *st)
{
	json_t *o = zone_obj(st);

	if (o && put_u64(o, "free", st->free_pages) && put_u64(o, "min", st->min) &&
	    put_u64(o, "low", st->low) && put_u64(o, "high", st->high) &&
	    put_u64(o, "promo", st->promo) && put_u64(o, "spanned", st->spanned) &&
	    put_u64(o, "present", st->present) && put_u64(o, "managed", st->managed) &&
	    put_u64(o, "start_pfn", st->start_pfn) &&
	    put(o, "protection", u64_array(st->protection, NR_ZONES)) &&
	    put(o, "nr_free", u64_array(st->nr_free, NR_ORDERS)) &&
	    put_u64(o, "pcp_count", st->pcp_count) && put_u64(o, "pcp_high", st->pcp_high) &&
	    put_u64(o, "pcp_batch", st->pcp_batch) && put_u64(o, "alloc_fail", st->alloc_fail))
		return o;
	json_decref(o);
	return NULL;
}

static int cmd_zoneinfo(json_t *req, json_t *reply, struct ctl_err *err)
{
	json_t *arr = json_array();

	if (!put(reply, "zoneinfo", arr))
		return oom(err);
	if (for_each_zone(arr, false, err, zoneinfo_zone))
		return -1;
	return put_text(reply, kmem_show_zoneinfo, err);
}

/*
 * /proc/pagetypeinfo.  kmem keeps no migrate types and never moves a page that
 * it handed out, so every free block is, in the kernel's terms, Unmovable: the
 * text counts them all there, prints the other types' rows as 0 (parsers
 * written for the kernel keep working), and counts every page block of a zone
 * as Unmovable.  A page block is a huge page, as the kernel's pageblock_order,
 * capped at the largest buddy order.
 */
static const char *const migrate_types[] = { "Unmovable", "Movable", "Reclaimable",
					     "HighAtomic", "Isolate" };
#define NR_MIGRATE_TYPES	(sizeof(migrate_types) / sizeof(migrate_types[0]))

static void pagetypeinfo_node(FILE *f, const struct kmem_zone_stats *zones, int nr,
			      unsigned int block_order)
{
	size_t t;
	int z, o;

	fprintf(f, "Page block order: %u\nPages per block:  %lu\n\n", block_order,
		1UL << block_order);
	fprintf(f, "%-43s ", "Free pages count per migrate type at order");
	for (o = 0; o < NR_ORDERS; o++)
		fprintf(f, "%6d ", o);
	fputc('\n', f);
	for (z = 0; z < nr; z++) {
		for (t = 0; t < NR_MIGRATE_TYPES; t++) {
			fprintf(f, "Node %4d, zone %8s, type %12s ", zones[z].node, zones[z].name,
				migrate_types[t]);
			for (o = 0; o < NR_ORDERS; o++)
				fprintf(f, "%6" PRIu64 " ", t ? 0 : zones[z].nr_free[o]);
			fputc('\n', f);
		}
	}
	fprintf(f, "\n%-23s", "Number of blocks type ");
	for (t = 0; t < NR_MIGRATE_TYPES; t++)
		fprintf(f, "%12s ", migrate_types[t]);
	fputc('\n', f);
	for (z = 0; z < nr; z++) {
		uint64_t blocks = (zones[z].spanned + (1UL << block_order) - 1) >> block_order;

		fprintf(f, "Node %d, zone %8s ", zones[z].node, zones[z].name);
		for (t = 0; t < NR_MIGRATE_TYPES; t++)
			fprintf(f, "%12" PRIu64 " ", t ? 0 : blocks);
		fputc('\n', f);
	}
}

static int cmd_pagetypeinfo(json_t *req, json_t *reply, struct ctl_err *err)
{
	struct kmem_zone_stats zones[NR_ZONES];
	struct kmem_info info;
	json_t *o = json_object(), *arr = json_array();
	unsigned int block_order, nid;
	char *buf = NULL;
	size_t size = 0;
	int z, nr, ret;
	FILE *f;

	if (!put(reply, "pagetypeinfo", o) || !put(o, "zones", arr)) {
		json_decref(arr);
		return oom(err);
	}
	ret = kmem_get_info(&info);
	if (ret)
		return ctl_fail_errno(err, ret, "kmem_get_info");
	block_order = info.hugepage_shift - 12;
	if (info.hugepage_shift < 12 || block_order > NR_ORDERS - 1)
		block_order = NR_ORDERS - 1;
	if (!put_u64(o, "page_block_order", block_order) ||
	    !put_u64(o, "pages_per_block", 1ULL << block_order) ||
	    !put(o, "migrate_type", json_string(migrate_types[0])))
		return oom(err);
	f = open_memstream(&buf, &size);
	if (!f)
		return oom(err);
	for (nid = 0; nid < info.nr_nodes; nid++) {
		for (nr = 0, z = 0; z < NR_ZONES; z++) {
			ret = kmem_zone_stats((int)nid, z, &zones[nr]);
			if (ret)
				break;
			if (zones[nr].present)
				nr++;
		}
		if (ret)
			break;
		for (z = 0; z < nr; z++) {
			json_t *zo = zone_obj(&zones[z]);
			uint64_t blocks = (zones[z].spanned + (1ULL << block_order) - 1) >>
					  block_order;

			if (json_array_append_new(arr, zo) ||
			    !put(zo, "free", u64_array(zones[z].nr_free, NR_ORDERS)) ||
			    !put_u64(zo, "blocks", blocks)) {
				ret = -ENOMEM;
				break;
			}
		}
		if (nr)		/* a node without memory prints nothing, as the kernel's */
			pagetypeinfo_node(f, zones, nr, block_order);
	}
	if (fclose(f) || !buf || ret == -ENOMEM) {
		free(buf);
		return oom(err);
	}
	if (ret) {
		free(buf);
		return ctl_fail_errno(err, ret, "kmem_zone_stats");
	}
	ret = put(reply, "text", json_stringn(buf, size)) ? 0 : oom(err);
	free(buf);
	return ret;
}

static json_t *wmark_zone(const struct kmem_zone_stats *st)
{
	json_t *o = zone_obj(st);

	if (o && put_u64(o, "min", st->min) && put_u64(o, "low", st->low) &&
	    put_u64(o, "high", st->high) && put_u64(o, "promo", st->promo) &&
	    put_u64(o, "managed", st->managed) && put_u64(o, "free", st->free_pages) &&
	    put(o, "protection", u64_array(st->protection, NR_ZONES)))
		return o;
	json_decref(o);
	return NULL;
}

static int cmd_watermarks(json_t *req, json_t *reply, struct ctl_err *err)
{
	json_t *arr = json_array();

	if (!put(reply, "watermarks", arr))
		return oom(err);
	return for_each_zone(arr, true, err, wmark_zone);
}

static json_t *cache_obj(const struct kmem_cache_stats *st)
{
	json_t *o = json_object();

	if (o && put(o, "name", json_name(st->name)) &&
	    put_u64(o, "active_objs", st->active_objs) && put_u64(o, "num_objs", st->num_objs) &&
	    put_u64(o, "objsize", st->objsize) && put_u64(o, "object_size", st->object_size) &&
	    put_u64(o, "objperslab", st->objperslab) &&
	    put_u64(o, "pagesperslab", st->pagesperslab) &&
	    put_u64(o, "active_slabs", st->active_slabs) &&
	    put_u64(o, "num_slabs", st->num_slabs) && put_u64(o, "flags", st->flags) &&
	    put(o, "reclaimable", json_boolean(st->flags & SLAB_RECLAIM_ACCOUNT)) &&
	    put(o, "leaked", json_boolean(st->leaked)) &&
	    put_u64(o, "debug_reports", st->debug_reports) &&
	    put_u64(o, "ctor_calls", st->ctor_calls))
		return o;
	json_decref(o);
	return NULL;
}

static int cmd_slabinfo(json_t *req, json_t *reply, struct ctl_err *err)
{
	struct kmem_cache_stats st;
	unsigned int iter = 0;
	json_t *arr = json_array();
	int ret;

	if (!put(reply, "slabinfo", arr))
		return oom(err);
	while (!(ret = kmem_cache_stats_next(&iter, &st)))
		if (json_array_append_new(arr, cache_obj(&st)))
			return oom(err);
	if (ret != -ENOENT)
		return ctl_fail_errno(err, ret, "kmem_cache_stats_next");
	return put_text(reply, kmem_show_slabinfo, err);
}

/*
 * One /proc/vmallocinfo line as an object:
 * "0x<start>-0x<end> <size> <caller> pages=<n> vmalloc N<nid>=<n>...".
 * Return: NULL for a line of another shape or out of memory.
 */
static json_t *vmalloc_area(char *line)
{
	unsigned long long start, end, size, pages;
	json_t *o, *nodes;
	char *tok, *save = NULL;
	int field = 0;

	if (sscanf(line, "0x%llx-0x%llx %llu", &start, &end, &size) != 3)
		return NULL;
	o = json_object();
	nodes = json_array();
	if (!o || !put(o, "nodes", nodes) || !put_u64(o, "start", start) ||
	    !put_u64(o, "end", end) || !put_u64(o, "size", size))
		goto fail;
	for (tok = strtok_r(line, " ", &save); tok; tok = strtok_r(NULL, " ", &save), field++) {
		unsigned int nid, n;

		if (field < 2)
			continue;	/* the range and the size */
		if (sscanf(tok, "pages=%llu", &pages) == 1) {
			if (!put_u64(o, "pages", pages))
				goto fail;
		} else if (sscanf(tok, "charged=%llu", &pages) == 1) {
			if (!put_u64(o, "charged", pages))
				goto fail;
		} else if (sscanf(tok, "N%u=%u", &nid, &n) == 2) {
			json_t *e = json_object();

			if (json_array_append_new(nodes, e) || !put_u64(e, "node", nid) ||
			    !put_u64(e, "pages", n))
				goto fail;
		} else if (!json_object_get(o, "caller")) {
			if (!put(o, "caller", json_name(tok)))
				goto fail;
		} else if (!put(o, "kind", json_name(tok))) {
			goto fail;
		}
	}
	if (json_object_get(o, "caller") && json_object_get(o, "pages") &&
	    json_object_get(o, "kind"))
		return o;
fail:
	json_decref(o);
	return NULL;
}

static int cmd_vmallocinfo(json_t *req, json_t *reply, struct ctl_err *err)
{
	struct kmem_vmalloc_stats vs;
	json_t *o = json_object(), *areas = json_array(), *text;
	char *copy, *line, *save = NULL;
	int ret = kmem_vmalloc_stats(&vs);

	if (!put(reply, "vmallocinfo", o) || !put(o, "areas", areas)) {
		json_decref(areas);
		return oom(err);
	}
	if (ret)
		return ctl_fail_errno(err, ret, "kmem_vmalloc_stats");
	if (!put_u64(o, "total_bytes", vs.total_bytes) ||
	    !put_u64(o, "used_bytes", vs.used_bytes) || !put_u64(o, "pages", vs.pages) ||
	    !put_u64(o, "nr_areas", vs.nr_areas) ||
	    !put(o, "userfaultfd", json_boolean(vs.userfaultfd)) ||
	    !put_u64(o, "fault_around_bytes", vs.fault_around_bytes) ||
	    !put_u64(o, "faults", vs.faults) || !put_u64(o, "mmaps", vs.mmaps) ||
	    !put_u64(o, "pages_mapped", vs.pages_mapped) ||
	    !put_u64(o, "charged", vs.charged) || !put_u64(o, "charged_all", vs.charged_all) ||
	    !put_u64(o, "charge_fail", vs.charge_fail))
		return oom(err);
	if (put_text(reply, kmem_show_vmallocinfo, err))
		return -1;
	/* The areas, from the very text the reply carries. */
	text = json_object_get(reply, "text");
	copy = strdup(json_string_value(text));
	if (!copy)
		return oom(err);
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_t *a = vmalloc_area(line);

		if (a && json_array_append_new(areas, a)) {
			free(copy);
			return oom(err);
		}
	}
	free(copy);
	return 0;
}

/*
 * /proc/meminfo from kmem's own counters; each field's source is in
 * docs/ctl-protocol.md.  The kernel's si_mem_available() estimate:
 * free pages above the reserves, plus the reclaimable slab that reclaim
 * could give back without dipping below the low watermarks.
 */
struct meminfo {
	uint64_t total, free, available;	/* pages */
	uint64_t slab, sreclaimable;		/* pages */
	uint64_t vmalloc_total, vmalloc_used;	/* bytes */
	uint64_t vmalloc_charged, vmalloc_touched;	/* pages: promised untouched, touched */
	uint64_t huge_total, huge_size;		/* huge pages, bytes */
};

static int read_meminfo(struct meminfo *mi, struct ctl_err *err)
{
	struct kmem_zone_stats st;
	struct kmem_cache_stats cs;
	struct kmem_vmalloc_stats vs;
	struct kmem_info info;
	uint64_t reserve = 0, wmark_low = 0, direct = 0, reclaimable;
	unsigned int iter = 0, nid, z, i;
	int ret;

	memset(mi, 0, sizeof(*mi));
	ret = kmem_get_info(&info);
	if (ret)
		return ctl_fail_errno(err, ret, "kmem_get_info");
	for (nid = 0; nid < info.nr_nodes; nid++) {
		for (z = 0; z < NR_ZONES; z++) {
			uint64_t max = 0, r;

			ret = kmem_zone_stats((int)nid, (int)z, &st);
			if (ret)
				return ctl_fail_errno(err, ret, "kmem_zone_stats");
			mi->total += st.managed;
			mi->free += st.free_pages;
			wmark_low += st.low;
			if (strcmp(st.name, "HighMem"))
				direct += st.present;
			/* The kernel's calculate_totalreserve_pages(). */
			for (i = 0; i < NR_ZONES; i++)
				if (st.protection[i] > max)
					max = st.protection[i];
			r = max + st.high;
			reserve += r > st.managed ? st.managed : r;
		}
	}
	while (!(ret = kmem_cache_stats_next(&iter, &cs))) {
		uint64_t pages = cs.num_slabs * cs.pagesperslab;

		mi->slab += pages;
		if (cs.flags & SLAB_RECLAIM_ACCOUNT)
			mi->sreclaimable += pages;
	}
	if (ret != -ENOENT)
		return ctl_fail_errno(err, ret, "kmem_cache_stats_next");
	ret = kmem_vmalloc_stats(&vs);
	if (ret)
		return ctl_fail_errno(err, ret, "kmem_vmalloc_stats");
	mi->vmalloc_total = vs.total_bytes;
	mi->vmalloc_used = vs.used_bytes;
	mi->vmalloc_charged = vs.charged_all;
	mi->vmalloc_touched = vs.pages;

	/* pages promised to vmalloc areas are free but no one else's to take */
	reserve += mi->vmalloc_charged;
	mi->available = mi->free > reserve ? mi->free - reserve : 0;
	reclaimable = mi->sreclaimable;
	reclaimable -= reclaimable / 2 < wmark_low ? reclaimable / 2 : wmark_low;
	mi->available += reclaimable;

	mi->huge_size = 1ULL << info.hugepage_shift;
	if (info.hugetlb)
		mi->huge_total = direct * KB_PER_PAGE * 1024 / mi->huge_size;
	return 0;
}

/* The kernel's meminfo_proc_show() and hugetlb_report_meminfo() layouts. */
static void meminfo_text(FILE *f, const struct meminfo *mi)
{
#define KB(label, pages) \
	fprintf(f, "%-16s%8" PRIu64 " kB\n", label, (uint64_t)(pages) * KB_PER_PAGE)
	KB("MemTotal:", mi->total);
	KB("MemFree:", mi->free);
	KB("MemAvailable:", mi->available);
	KB("Slab:", mi->slab);
	KB("SReclaimable:", mi->sreclaimable);
	KB("SUnreclaim:", mi->slab - mi->sreclaimable);
	KB("VmallocTotal:", mi->vmalloc_total / 4096);
	KB("VmallocUsed:", mi->vmalloc_used / 4096);
	KB("VmallocChunk:", 0);
	KB("VmallocCharged:", mi->vmalloc_charged);
	KB("VmallocTouched:", mi->vmalloc_touched);
#undef KB
	fprintf(f, "HugePages_Total:   %5" PRIu64 "\n"
		   "HugePages_Free:    %5" PRIu64 "\n"
		   "HugePages_Rsvd:    %5" PRIu64 "\n"
		   "HugePages_Surp:    %5" PRIu64 "\n"
		   "Hugepagesize:   %8" PRIu64 " kB\n"
		   "Hugetlb:        %8" PRIu64 " kB\n",
		mi->huge_total, (uint64_t)0, (uint64_t)0, (uint64_t)0, mi->huge_size >> 10,
		mi->huge_total * (mi->huge_size >> 10));
}

static int cmd_meminfo(json_t *req, json_t *reply, struct ctl_err *err)
{
	struct meminfo mi;
	json_t *o = json_object();
	char *buf = NULL;
	size_t size = 0;
	FILE *f;

	if (!put(reply, "meminfo", o))
		return oom(err);
	if (read_meminfo(&mi, err))
		return -1;
	if (!put_u64(o, "MemTotal", mi.total * KB_PER_PAGE) ||
	    !put_u64(o, "MemFree", mi.free * KB_PER_PAGE) ||
	    !put_u64(o, "MemAvailable", mi.available * KB_PER_PAGE) ||
	    !put_u64(o, "Slab", mi.slab * KB_PER_PAGE) ||
	    !put_u64(o, "SReclaimable", mi.sreclaimable * KB_PER_PAGE) ||
	    !put_u64(o, "SUnreclaim", (mi.slab - mi.sreclaimable) * KB_PER_PAGE) ||
	    !put_u64(o, "VmallocTotal", mi.vmalloc_total >> 10) ||
	    !put_u64(o, "VmallocUsed", mi.vmalloc_used >> 10) ||
	    !put_u64(o, "VmallocChunk", 0) ||
	    !put_u64(o, "VmallocCharged", mi.vmalloc_charged * KB_PER_PAGE) ||
	    !put_u64(o, "VmallocTouched", mi.vmalloc_touched * KB_PER_PAGE) ||
	    !put_u64(o, "HugePages_Total", mi.huge_total) ||
	    !put_u64(o, "HugePages_Free", 0) || !put_u64(o, "HugePages_Rsvd", 0) ||
	    !put_u64(o, "HugePages_Surp", 0) ||
	    !put_u64(o, "Hugepagesize", mi.huge_size >> 10) ||
	    !put_u64(o, "Hugetlb", mi.huge_total * (mi.huge_size >> 10)))
		return oom(err);
	f = open_memstream(&buf, &size);
	if (!f)
		return oom(err);
	meminfo_text(f, &mi);
	if (fclose(f) || !put(reply, "text", json_stringn(buf, size))) {
		free(buf);
		return oom(err);
	}
	free(buf);
	return 0;
}

static int cmd_numastat(json_t *req, json_t *reply, struct ctl_err *err)
{
	struct kmem_numa_stats st;
	json_t *arr = json_array();
	int n = nr_nodes(err), nid, ret;

	if (!put(reply, "numastat", arr))
		return oom(err);
	if (n < 0)
		return -1;
	for (nid = 0; nid < n; nid++) {
		json_t *o = json_object();

		ret = kmem_numa_stats(nid, &st);
		if (ret) {
			json_decref(o);
			return ctl_fail_errno(err, ret, "kmem_numa_stats");
		}
		if (json_array_append_new(arr, o) || !put_u64(o, "node", (uint64_t)nid) ||
		    !put_u64(o, "numa_hit", st.numa_hit) || !put_u64(o, "numa_miss", st.numa_miss) ||
		    !put_u64(o, "numa_foreign", st.numa_foreign) ||
		    !put_u64(o, "interleave_hit", st.interleave_hit) ||
		    !put_u64(o, "local_node", st.local_node) ||
		    !put_u64(o, "other_node", st.other_node))
			return oom(err);
	}
	return put_text(reply, kmem_show_numastat, err);
}

/* /proc/vmstat's reclaim counters: per node, and summed in "text". */
static int cmd_vmstat(json_t *req, json_t *reply, struct ctl_err *err)
{
	static const char *const names[] = { "kswapd_wake", "pageoutrun",
					     "kswapd_high_wmark_hit", "pgsteal_kswapd",
					     "pgsteal_direct", "allocstall", "memory_online",
					     "memory_offline" };
	uint64_t sum[8] = { 0 };
	struct kmem_reclaim_stats st;
	struct kmem_hotplug_stats hs;
	json_t *arr = json_array();
	char *buf = NULL;
	size_t size = 0, i;
	int n = nr_nodes(err), nid, ret;
	FILE *f;

	if (!put(reply, "vmstat", arr))
		return oom(err);
	if (n < 0)
		return -1;
	for (nid = 0; nid < n; nid++) {
		json_t *o = json_object();
		uint64_t v[8];

		ret = kmem_get_reclaim_stats(nid, &st) ?: kmem_get_hotplug_stats(nid, &hs);
		if (ret) {
			json_decref(o);
			return ctl_fail_errno(err, ret, "kmem_get_reclaim_stats");
		}
		v[0] = st.kswapd_wake;
		v[1] = st.pageoutrun;
		v[2] = st.kswapd_high_wmark_hit;
		v[3] = st.pgsteal_kswapd;
		v[4] = st.pgsteal_direct;
		v[5] = st.allocstall;
		v[6] = hs.memory_online;
		v[7] = hs.memory_offline;
		if (json_array_append_new(arr, o) || !put_u64(o, "node", (uint64_t)nid) ||
		    !put(o, "kswapd_running", json_boolean(st.kswapd_running)) ||
		    !put(o, "kswapd_present", json_boolean(st.kswapd_present)))
			return oom(err);
		for (i = 0; i < 8; i++) {
			sum[i] += v[i];
			if (!put_u64(o, names[i], v[i]))
				return oom(err);
		}
	}
	f = open_memstream(&buf, &size);
	if (!f)
		return oom(err);
	for (i = 0; i < 8; i++)
		fprintf(f, "%s %" PRIu64 "\n", names[i], sum[i]);
	if (fclose(f) || !put(reply, "text", json_stringn(buf, size))) {
		free(buf);
		return oom(err);
	}
	free(buf);
	return 0;
}

/* util-linux's lsmem: every section of every node's direct map. */
static int cmd_lsmem(json_t *req, json_t *reply, struct ctl_err *err)
{
	struct kmem_memory_block *b;
	json_t *arr = json_array();
	long n, i;

	if (!put(reply, "memory", arr))
		return oom(err);
	n = kmem_memory_blocks(NULL, 0, true);
	if (n < 0)
		return ctl_fail_errno(err, (int)n, "kmem_memory_blocks");
	b = calloc((size_t)n + 1, sizeof(*b));
	if (!b)
		return oom(err);
	n = kmem_memory_blocks(b, (size_t)n, true);
	for (i = 0; i < n; i++) {
		json_t *o = json_object();

		if (json_array_append_new(arr, o) || !put_u64(o, "block", (uint64_t)i) ||
		    !put_u64(o, "start", b[i].start) || !put_u64(o, "size", b[i].size) ||
		    !put_u64(o, "node", (uint64_t)b[i].node) ||
		    !put(o, "state", json_string(b[i].online ? "online" : "offline")) ||
		    !put(o, "removable", json_boolean(b[i].removable)) ||
		    !put(o, "zone", b[i].zone ? json_string(b[i].zone) : json_null()) ||
		    !put(o, "backing", json_string(b[i].hugetlb ? "hugetlb" : "shmem"))) {
			free(b);
			return oom(err);
		}
	}
	free(b);
	return put_text(reply, kmem_show_lsmem, err);
}

/*
 * util-linux's chmem: "enable" MiB more online on "node" (default 0), or,
 * without it, every wholly free section offline down to the floors.
 */
static int cmd_chmem(json_t *req, json_t *reply, struct ctl_err *err)
{
	json_t *enable = json_object_get(req, "enable"), *node = json_object_get(req, "node");
	long ret;

	ret = __kmem_segment_gate("chmem");
	if (ret)
		return ctl_fail_errno(err, (int)ret, "chmem");
	if (enable) {
		json_int_t mb = json_integer_value(enable), nid = node ? json_integer_value(node) : 0;

		if (mb <= 0 || mb > (1LL << 24) || nid < 0 || nid >= MAX_NUMNODES)
			return ctl_fail(err, "EINVAL", "enable: MiB in 1..%lld, node: a node",
					1LL << 24);
		ret = kmem_memory_online((int)nid, (size_t)mb << 20);
		if (ret < 0)
			return ctl_fail_errno(err, (int)ret, "kmem_memory_online");
		return put_u64(reply, "sections_onlined", (uint64_t)ret) ? 0 : oom(err);
	}
	ret = kmem_memory_shrink();
	if (ret < 0)
		return ctl_fail_errno(err, (int)ret, "kmem_memory_shrink");
	return put_u64(reply, "sections_offlined", (uint64_t)ret) ? 0 : oom(err);
}

static const struct kmemd_ctl_ops *ctl_ops;

void kmemd_ctl_set_ops(const struct kmemd_ctl_ops *ops)
{
	__atomic_store_n(&ctl_ops, ops, __ATOMIC_RELEASE);
}

static int cmd_clients(json_t *req, json_t *reply, struct ctl_err *err)
{
	const struct kmemd_ctl_ops *ops = __atomic_load_n(&ctl_ops, __ATOMIC_ACQUIRE);
	json_t *arr = ops && ops->clients ? ops->clients() : json_array();

	char *buf = NULL;
	size_t size = 0, i;
	json_t *c;
	FILE *f;

	if (!json_is_array(arr)) {
		json_decref(arr);
		return ctl_fail(err, "EIO", "the clients provider gave no list");
	}
	/* the text view: one line per client, as ps would print them */
	f = open_memstream(&buf, &size);
	if (f) {
		fprintf(f, "%5s %8s %6s %-10s %-16s %8s %6s %9s %8s %9s %5s %s\n", "ID", "PID",
			"UID", "STATE", "COMMAND", "PAGES", "SLABS", "VMALLOC", "OBJECTS", "RETURNED",
			"LOCKS", "GONE");
		json_array_foreach(arr, i, c) {
			const char *comm = json_string_value(json_object_get(c, "comm"));
			const char *state = json_string_value(json_object_get(c, "state"));
			const char *gone = json_string_value(json_object_get(c, "gone_reason"));
			/* a dead client's pages and vmalloc pages given back, locks recovered */
			long long ret = json_integer_value(json_object_get(c, "pages_returned")) +
					json_integer_value(json_object_get(c, "vmalloc_pages_returned"));

			/*
			 * What it holds now: pages, slab pages, vmalloc bytes, kmalloc
			 * objects (for a dead client, the ones it left: orphaned)
			 */
			fprintf(f, "%5lld %8lld %6lld %-10s %-16s %8lld %6lld %9lld %8lld %9lld %5lld %s\n",
				json_integer_value(json_object_get(c, "id")),
				json_integer_value(json_object_get(c, "pid")),
				json_integer_value(json_object_get(c, "uid")), state ? state : "?",
				comm ? comm : "?", json_integer_value(json_object_get(c, "pages")),
				json_integer_value(json_object_get(c, "slab_pages")),
				json_integer_value(json_object_get(c, "vmalloc_bytes")),
				json_integer_value(json_object_get(c, "kmalloc_objects")), ret,
				json_integer_value(json_object_get(c, "locks_recovered")),
				gone ? gone : "");
		}
		fclose(f);
	}
	if (!put(reply, "clients", arr))
		return oom(err);
	if (buf && !put(reply, "text", json_text(buf, strlen(buf)))) {
		free(buf);
		return oom(err);
	}
	free(buf);
	return 0;
}

/* ------------------------------------------------------------------ */
/* actions                                                             */
/* ------------------------------------------------------------------ */

static const char *const tunable_names[] = { "min_free_kbytes", "watermark_scale_factor",
					     "percpu_pagelist_high_fraction",
					     "reclaim_timeout_ms" };
#define NR_TUNABLES	(sizeof(tunable_names) / sizeof(tunable_names[0]))

static int cmd_tunables_get(json_t *req, json_t *reply, struct ctl_err *err)
{
	json_t *o = json_object();
	unsigned long v;
	size_t i;
	int ret;

	if (!put(reply, "tunables", o))
		return oom(err);
	for (i = 0; i < NR_TUNABLES; i++) {
		ret = kmem_get_tunable(tunable_names[i], &v);
		if (ret)
			return ctl_fail_errno(err, ret, tunable_names[i]);
		if (!put_u64(o, tunable_names[i], v))
			return oom(err);
	}
	return 0;
}

static int cmd_tunables_set(json_t *req, json_t *reply, struct ctl_err *err)
{
	const char *key = json_string_value(json_object_get(req, "key"));
	json_int_t value = json_integer_value(json_object_get(req, "value"));
	int ret;

	if (value < 0)
		return ctl_fail(err, "EINVAL", "%s: negative value", key);
	ret = __kmem_segment_gate("tunables.set");
	if (ret)
		return ctl_fail_errno(err, ret, "tunables.set");
	ret = kmem_set_tunable(key, (unsigned long)value);
	if (ret == -EINVAL)
		return ctl_fail(err, "EINVAL", "%s: unknown tunable or value %" JSON_INTEGER_FORMAT
				" out of range", key, value);
	if (ret)
		return ctl_fail_errno(err, ret, key);
	return cmd_tunables_get(req, reply, err);
}

static int cmd_shrink(json_t *req, json_t *reply, struct ctl_err *err)
{
	const char *name = json_string_value(json_object_get(req, "cache"));
	unsigned long drained = 0;
	long pages = __kmem_segment_gate("shrink"), offlined;

	if (pages)
		return ctl_fail_errno(err, (int)pages, "shrink");
	if (!name)
		drained = kmem_drain_all_pages();
	pages = kmem_cache_shrink_name(name);
	if (pages == -ENOENT)
		return ctl_fail(err, "ENOENT", "no cache called \"%s\"", name);
	if (pages < 0)
		return ctl_fail_errno(err, (int)pages, "kmem_cache_shrink");
	if (!name)
		drained += kmem_drain_all_pages();	/* the slab pages freed to the lists */
	/* everything: and the sections that are now wholly free go offline */
	offlined = name ? 0 : kmem_memory_shrink();
	if (!put_u64(reply, "pages", (uint64_t)pages) ||
	    (!name && !put_u64(reply, "drained", drained)) ||
	    (!name && !put_u64(reply, "sections_offlined", offlined > 0 ? (uint64_t)offlined : 0)))
		return oom(err);
	return 0;
}

struct orphans_list {
	json_t *arr;
	FILE *text;
	size_t limit;
	bool oom;
};

static void orphan_add(void *object, const char *cache, unsigned int object_size, void *arg)
{
	struct orphans_list *l = arg;
	json_t *o;

	if (json_array_size(l->arr) >= l->limit || l->oom)
		return;
	o = json_pack("{s:s, s:o, s:I}", "address", "", "cache", json_name(cache), "size",
		      (json_int_t)object_size);
	if (!o || json_array_append_new(l->arr, o)) {
		l->oom = true;
		return;
	}
	json_object_set_new(o, "address", json_sprintf("%#" PRIxPTR, (uintptr_t)object));
	if (l->text)
		fprintf(l->text, "%#" PRIxPTR " %6u %s\n", (uintptr_t)object, object_size, cache);
}

/*
 * The objects a client (a dead one, usually) allocated from the shared
 * kmalloc caches and no one has freed: accounted to it, and listed here,
 * up to @limit of them (default 1000); "objects"/"bytes" count them all.
 */
static int cmd_orphans(json_t *req, json_t *reply, struct ctl_err *err)
{
	json_int_t id = json_integer_value(json_object_get(req, "client"));
	json_t *lim = json_object_get(req, "limit");
	struct orphans_list l = { .limit = 1000 };
	struct kmem_client_usage usage;
	char *buf = NULL;
	size_t size = 0;
	int ret;

	if (id <= 0 || id > UINT32_MAX)
		return ctl_fail(err, "EINVAL", "client must be a client id (kmemctl clients)");
	if (lim) {
		if (json_integer_value(lim) < 0)
			return ctl_fail(err, "EINVAL", "limit must not be negative");
		l.limit = (size_t)json_integer_value(lim);
	}
	l.arr = json_array();
	if (!put(reply, "orphans", l.arr))
		return oom(err);
	l.text = open_memstream(&buf, &size);
	if (l.text)
		fprintf(l.text, "%-18s %6s %s\n", "ADDRESS", "SIZE", "CACHE");
	ret = __kmem_client_objects((uint32_t)id, orphan_add, &l, &usage);
	if (l.text)
		fclose(l.text);
	if (ret) {
		free(buf);
		return ctl_fail_errno(err, ret, "orphans");
	}
	if (l.oom || !put_u64(reply, "client", (uint64_t)id) ||
	    !put_u64(reply, "objects", usage.objects) ||
	    !put_u64(reply, "bytes", usage.object_bytes) ||
	    !put(reply, "truncated", json_boolean(usage.objects > json_array_size(l.arr))) ||
	    (buf && !put(reply, "text", json_text(buf, strlen(buf))))) {
		free(buf);
		return oom(err);
	}
	free(buf);
	return 0;
}

/*
 * The operator frees what a gone client left in the shared kmalloc caches
 * (and its large kmalloc blocks and kept caches) at once, without waiting
 * for the orphan policy: a live client that still uses one of those
 * objects then uses freed memory.  Only a gone, recovered client.
 */
static int cmd_orphans_free(json_t *req, json_t *reply, struct ctl_err *err)
{
	const struct kmemd_ctl_ops *ops = __atomic_load_n(&ctl_ops, __ATOMIC_ACQUIRE);
	json_int_t id = json_integer_value(json_object_get(req, "client"));
	struct kmem_client_usage freed;
	int ret;

	if (id <= 0 || id > UINT32_MAX)
		return ctl_fail(err, "EINVAL", "client must be a client id (kmemctl clients)");
	if (!ops || !ops->free_orphans)
		return ctl_fail(err, "ENOSYS", "no client table here");
	ret = ops->free_orphans((unsigned int)id, &freed);
	if (ret == -ENOENT)
		return ctl_fail(err, "ENOENT", "no client %" JSON_INTEGER_FORMAT " in the table "
				"(kmemctl clients)", id);
	if (ret == -EBUSY)
		return ctl_fail(err, "EBUSY", "client %" JSON_INTEGER_FORMAT " is not gone and "
				"recovered: only a dead client's objects can be freed", id);
	if (ret)
		return ctl_fail_errno(err, ret, "orphans.free");
	if (!put_u64(reply, "client", (uint64_t)id) || !put_u64(reply, "objects", freed.objects) ||
	    !put_u64(reply, "bytes", freed.object_bytes) || !put_u64(reply, "pages", freed.pages))
		return oom(err);
	return 0;
}

static int cmd_drop_pcp(json_t *req, json_t *reply, struct ctl_err *err)
{
	int ret = __kmem_segment_gate("drop-pcp");

	if (ret)
		return ctl_fail_errno(err, ret, "drop-pcp");
	return put_u64(reply, "pages", kmem_drain_all_pages()) ? 0 : oom(err);
}

/* Every attribute of each injector, as <kmem/fault.h> names them. */
static const char *const fault_common[] = {
	"probability", "interval", "times", "space", "verbose",
	"verbose_ratelimit_interval_ms", "verbose_ratelimit_burst", "task-filter",
	"ignore-gfp-wait", NULL
};
static const char *const fault_failslab[] = { "cache-filter", NULL };
static const char *const fault_page_alloc[] = { "ignore-gfp-highmem", "min-order", NULL };

static const struct {
	const char *name;
	enum kmem_fault_which which;
	const char *const *extra;
} injectors[] = {
	{ "failslab", KMEM_FAILSLAB, fault_failslab },
	{ "fail_page_alloc", KMEM_FAIL_PAGE_ALLOC, fault_page_alloc },
};
#define NR_INJECTORS	(sizeof(injectors) / sizeof(injectors[0]))

/* One attribute's value: "Y"/"N" as booleans, the rest as integers. */
static int put_fault_attr(json_t *o, enum kmem_fault_which which, const char *attr,
			  struct ctl_err *err)
{
	char buf[64], *end;
	long long v;
	int ret = kmem_fault_get(which, attr, buf, sizeof(buf));

	if (ret)
		return ctl_fail_errno(err, ret, attr);
	if (!strcmp(buf, "Y") || !strcmp(buf, "N"))
		return put(o, attr, json_boolean(buf[0] == 'Y')) ? 0 : oom(err);
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno || end == buf || *end)
		return put(o, attr, json_string(buf)) ? 0 : oom(err);
	return put(o, attr, json_integer(v)) ? 0 : oom(err);
}

static int cmd_fault_get(json_t *req, json_t *reply, struct ctl_err *err)
{
	struct kmem_fault_stats fs;
	json_t *fault = json_object(), *stats = json_object();
	const char *const *a;
	size_t i;
	int ret;

	if (!put(reply, "fault", fault) || !put(fault, "stats", stats))
		return oom(err);
	for (i = 0; i < NR_INJECTORS; i++) {
		json_t *o = json_object();

		if (!put(fault, injectors[i].name, o))
			return oom(err);
		for (a = fault_common; *a; a++)
			if (put_fault_attr(o, injectors[i].which, *a, err))
				return -1;
		for (a = injectors[i].extra; *a; a++)
			if (put_fault_attr(o, injectors[i].which, *a, err))
				return -1;
	}
	ret = kmem_fault_get_stats(&fs);
	if (ret)
		return ctl_fail_errno(err, ret, "kmem_fault_get_stats");
	if (!put_u64(stats, "failslab", fs.failslab) ||
	    !put_u64(stats, "fail_page_alloc", fs.fail_page_alloc) ||
	    !put_u64(stats, "total", fs.total))
		return oom(err);
	return 0;
}

static int cmd_fault_set(json_t *req, json_t *reply, struct ctl_err *err)
{
	const char *name = json_string_value(json_object_get(req, "which"));
	const char *attr = json_string_value(json_object_get(req, "attr"));
	json_t *value = json_object_get(req, "value");
	char buf[64];
	size_t i;
	int ret;

	for (i = 0; i < NR_INJECTORS; i++)
		if (!strcmp(injectors[i].name, name))
			break;
	if (i == NR_INJECTORS)
		return ctl_fail(err, "EINVAL", "no injector \"%s\" (failslab, fail_page_alloc)",
				name);
	if (json_is_boolean(value))
		snprintf(buf, sizeof(buf), "%s", json_is_true(value) ? "Y" : "N");
	else if (json_is_integer(value))
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(value));
	else if (json_string_length(value) < sizeof(buf) && !strchr(json_string_value(value), '\n'))
		snprintf(buf, sizeof(buf), "%s", json_string_value(value));
	else
		return ctl_fail(err, "EINVAL", "%s: value too long", attr);
	ret = kmem_fault_set(injectors[i].which, attr, buf);
	if (ret == -EINVAL)
		return ctl_fail(err, "EINVAL", "%s/%s: unknown attribute or bad value \"%s\"",
				name, attr, buf);
	if (ret)
		return ctl_fail_errno(err, ret, attr);
	return cmd_fault_get(req, reply, err);
}

static int cmd_list(json_t *req, json_t *reply, struct ctl_err *err);

/* ------------------------------------------------------------------ */
/* the command table                                                   */
/* ------------------------------------------------------------------ */

/* Argument types: a bit set of JSON types a value may have. */
#define T_STR	(1u << JSON_STRING)
#define T_INT	(1u << JSON_INTEGER)
#define T_BOOL	((1u << JSON_TRUE) | (1u << JSON_FALSE))

struct ctl_arg {
	const char *name;
	unsigned int types;
	bool required;
};

struct ctl_cmd {
	const char *name;
	const char *help;
	int (*fn)(json_t *req, json_t *reply, struct ctl_err *err);
	struct ctl_arg args[4];	/* ended by a NULL name */
};

static const struct ctl_cmd commands[] = {
	{ "list", "the commands, with one line of help each", cmd_list, { { NULL } } },
	{ "info", "how the allocator was built: nodes, CPUs, pages, backing", cmd_info,
	  { { NULL } } },
	{ "buddyinfo", "free blocks per order of each zone (/proc/buddyinfo)", cmd_buddyinfo,
	  { { NULL } } },
	{ "zoneinfo", "every zone's counters and watermarks (/proc/zoneinfo)", cmd_zoneinfo,
	  { { NULL } } },
	{ "pagetypeinfo", "free blocks and page blocks, all Unmovable (/proc/pagetypeinfo)",
	  cmd_pagetypeinfo, { { NULL } } },
	{ "slabinfo", "every cache's objects and slabs (/proc/slabinfo 2.1)", cmd_slabinfo,
	  { { NULL } } },
	{ "vmallocinfo", "vmalloc areas and counters (/proc/vmallocinfo)", cmd_vmallocinfo,
	  { { NULL } } },
	{ "meminfo", "memory totals from kmem's counters (/proc/meminfo)", cmd_meminfo,
	  { { NULL } } },
	{ "numastat", "NUMA hits and misses per node (numastat)", cmd_numastat, { { NULL } } },
	{ "vmstat", "reclaim counters per node (/proc/vmstat)", cmd_vmstat, { { NULL } } },
	{ "watermarks", "min/low/high watermarks and protection of each zone", cmd_watermarks,
	  { { NULL } } },
	{ "clients", "the processes attached to kmemd", cmd_clients, { { NULL } } },
	{ "tunables.get", "min_free_kbytes, watermark_scale_factor, ... (/proc/sys/vm)",
	  cmd_tunables_get, { { NULL } } },
	{ "tunables.set", "set one tunable: key, value; watermarks follow at once",
	  cmd_tunables_set, { { "key", T_STR, true }, { "value", T_INT, true }, { NULL } } },
	{ "shrink", "shrink one cache (cache: name), or drain and shrink everything",
	  cmd_shrink, { { "cache", T_STR, false }, { NULL } } },
	{ "lsmem", "the sections of every node's direct map, online or not (lsmem)", cmd_lsmem,
	  { { NULL } } },
	{ "chmem", "online enable MiB more on node, or offline every wholly free section (chmem)",
	  cmd_chmem, { { "enable", T_INT, false }, { "node", T_INT, false }, { NULL } } },
	{ "orphans", "objects a client left in the shared kmalloc caches: client, limit",
	  cmd_orphans, { { "client", T_INT, true }, { "limit", T_INT, false }, { NULL } } },
	{ "orphans.free", "free what a gone client left in the shared kmalloc caches: client",
	  cmd_orphans_free, { { "client", T_INT, true }, { NULL } } },
	{ "drop-pcp", "return every CPU's per-CPU pages to the buddy lists", cmd_drop_pcp,
	  { { NULL } } },
	{ "fault.get", "failslab and fail_page_alloc attributes and failure counts",
	  cmd_fault_get, { { NULL } } },
	{ "fault.set", "set one injector attribute: which, attr, value", cmd_fault_set,
	  { { "which", T_STR, true }, { "attr", T_STR, true },
	    { "value", T_STR | T_INT | T_BOOL, true }, { NULL } } },
};
#define NR_COMMANDS	(sizeof(commands) / sizeof(commands[0]))

static int cmd_list(json_t *req, json_t *reply, struct ctl_err *err)
{
	json_t *arr = json_array();
	size_t i;

	if (!put(reply, "commands", arr))
		return oom(err);
	for (i = 0; i < NR_COMMANDS; i++) {
		json_t *o = json_object();

		if (json_array_append_new(arr, o) || !put(o, "name", json_string(commands[i].name)) ||
		    !put(o, "help", json_string(commands[i].help)))
			return oom(err);
	}
	return 0;
}

/* Does @req carry exactly the arguments @cmd takes, each of a type it accepts? */
static int check_args(const struct ctl_cmd *cmd, json_t *req, struct ctl_err *err)
{
	const struct ctl_arg *a;
	const char *key;
	json_t *v;

	json_object_foreach(req, key, v) {
		if (!strcmp(key, "cmd"))
			continue;
		for (a = cmd->args; a->name; a++)
			if (!strcmp(a->name, key))
				break;
		if (!a->name)
			return ctl_fail(err, "EINVAL", "%s: unknown argument \"%.64s\"", cmd->name,
					key);
		if (!(a->types & (1u << json_typeof(v))))
			return ctl_fail(err, "EINVAL", "%s: argument \"%s\" has the wrong type",
					cmd->name, key);
	}
	for (a = cmd->args; a->name; a++)
		if (a->required && !json_object_get(req, a->name))
			return ctl_fail(err, "EINVAL", "%s: missing argument \"%s\"", cmd->name,
					a->name);
	return 0;
}

static const struct ctl_cmd *parse_request(const char *request, size_t len, json_t **reqp,
					   struct ctl_err *err)
{
	json_error_t jerr;
	json_t *req, *cmd;
	size_t i;

	*reqp = NULL;
	if (!request) {
		ctl_fail(err, "EINVAL", "no request");
		return NULL;
	}
	/* The line's end, if the caller passed it, is not part of the request. */
	if (len && request[len - 1] == '\n')
		len--;
	if (len && request[len - 1] == '\r')
		len--;
	if (len > KMEMD_CTL_MAX_REQUEST) {
		ctl_fail(err, "EMSGSIZE", "request of %zu bytes; at most %d", len,
			 KMEMD_CTL_MAX_REQUEST);
		return NULL;
	}
	if (memchr(request, '\0', len)) {
		ctl_fail(err, "EBADMSG", "a NUL byte in the request");
		return NULL;
	}
	req = json_loadb(request, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!req) {
		ctl_fail(err, "EBADMSG", "not JSON: %s (line %d, column %d)", jerr.text, jerr.line,
			 jerr.column);
		return NULL;
	}
	*reqp = req;
	if (!json_is_object(req)) {
		ctl_fail(err, "EBADMSG", "the request is not a JSON object");
		return NULL;
	}
	cmd = json_object_get(req, "cmd");
	if (!cmd) {
		ctl_fail(err, "EINVAL", "no \"cmd\"");
		return NULL;
	}
	if (!json_is_string(cmd)) {
		ctl_fail(err, "EINVAL", "\"cmd\" is not a string");
		return NULL;
	}
	for (i = 0; i < NR_COMMANDS; i++)
		if (!strcmp(commands[i].name, json_string_value(cmd)))
			break;
	if (i == NR_COMMANDS) {
		ctl_fail(err, "ENOSYS", "unknown command \"%.64s\" (\"list\" lists them)",
			 json_string_value(cmd));
		return NULL;
	}
	if (check_args(&commands[i], req, err))
		return NULL;
	return &commands[i];
}

/* The last resort: nothing could be allocated for a proper reply. */
static char *static_error(void)
{
	return strdup("{\"version\":1,\"error\":{\"code\":\"ENOMEM\",\"message\":\"out of memory\"}}");
}

static json_t *error_reply(const struct ctl_err *err)
{
	json_t *reply = json_object(), *e = json_object();

	if (!put(reply, "error", e) || !put(e, "code", json_string(err->code)) ||
	    !put(e, "message", json_string(err->message))) {
		json_decref(reply);
		return NULL;
	}
	return reply;
}

char *kmemd_ctl_handle(const char *request, size_t len)
{
	struct ctl_err err = { .code = NULL };
	const struct ctl_cmd *cmd;
	json_t *req, *reply = NULL;
	char *out;

	cmd = parse_request(request, len, &req, &err);
	if (cmd) {
		reply = json_object();
		if (!reply || !put(reply, "cmd", json_string(cmd->name)))
			oom(&err);
		else {
			__kmem_segment_error_clear();
			cmd->fn(req, reply, &err);
		}
	}
	if (err.code) {
		json_decref(reply);
		reply = error_reply(&err);
		if (reply && cmd)
			put(reply, "cmd", json_string(cmd->name));
	}
	json_decref(req);
	if (!reply || !put(reply, "version", json_integer(KMEMD_CTL_VERSION))) {
		json_decref(reply);
		return static_error();
	}
	out = json_dumps(reply, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(reply);
	if (out && strlen(out) > KMEMD_CTL_MAX_REPLY) {
		/* kmemd holds a reply until the peer reads it: the bound is on its memory */
		ctl_fail(&err, "EMSGSIZE", "a reply of %zu bytes; at most %d (orphans: a smaller "
			 "limit)", strlen(out), KMEMD_CTL_MAX_REPLY);
		free(out);
		reply = error_reply(&err);
		if (!reply || (cmd && !put(reply, "cmd", json_string(cmd->name))) ||
		    !put(reply, "version", json_integer(KMEMD_CTL_VERSION))) {
			json_decref(reply);
			return static_error();
		}
		out = json_dumps(reply, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(reply);
	}
	return out ?: static_error();
}
