// SPDX-License-Identifier: MIT
/*
 * Options: kmem_options_init() defaults and $KMEM_OPTIONS, every documented
 * key of kmem_options_parse() and the values it must refuse, and what
 * kmem_init() does with them (twice, invalid, zones=phys without hugetlb,
 * tunables that reach the zones, no leaks across init/exit cycles).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/gfp.h>
#include <linux/mm.h>

#include "internal.h"
#include "kunit.h"

#define SMALL	"fake_numa=1,direct_mb=2,highmem_mb=2,hugepages=never"

static int suite_init(void)
{
	unsetenv("KMEM_OPTIONS");
	return 0;
}

static int suite_exit(void)
{
	kt_capture_stop();
	unsetenv("KMEM_OPTIONS");
	kmem_exit();
	return 0;
}

static struct kmem_options defaults(void)
{
	struct kmem_options o;

	unsetenv("KMEM_OPTIONS");
	kmem_options_init(&o);
	return o;
}

static int parse(struct kmem_options *o, const char *s, char *err, size_t len)
{
	*o = defaults();
	err[0] = '\0';
	return kmem_options_parse(o, s, err, len);
}

static void test_defaults(void)
{
	struct kmem_options o = defaults();
	unsigned int z;

	KT_ASSERT_EQ(o.fake_numa, 0);
	KT_ASSERT_EQ(o.node_direct_bytes, 64UL << 20);
	KT_ASSERT_EQ(o.node_highmem_bytes, 64UL << 20);
	KT_ASSERT_EQ(o.hugepages, KMEM_HUGEPAGES_AUTO);
	KT_ASSERT_EQ(o.hugepage_shift, 21);
	KT_ASSERT_EQ(o.zones, KMEM_ZONES_AUTO);
	KT_ASSERT_EQ(o.zone_dma_bytes, 4UL << 20);
	KT_ASSERT_EQ(o.zone_dma32_bytes, 16UL << 20);
	KT_ASSERT_EQ(o.min_free_kbytes, 0);
	KT_ASSERT_EQ(o.watermark_scale_factor, 0);
	for (z = 0; z < 4; z++)
		KT_ASSERT_EQ(o.lowmem_reserve_ratio[z], 0);
	KT_ASSERT_EQ(o.percpu_pagelist_high_fraction, 0);
	CU_ASSERT(!o.no_rseq);
	CU_ASSERT(!o.quiet);
}

/* Every documented key, with every documented value. */
static void test_parse_every_key(void)
{
	struct kmem_options o;
	char err[160];

#define OK(s) KT_ASSERT_EQ(parse(&o, s, err, sizeof(err)), 0)
	OK("fake_numa=0");		KT_ASSERT_EQ(o.fake_numa, 0);
	OK("fake_numa=4");		KT_ASSERT_EQ(o.fake_numa, 4);
	OK("fake_numa=64");		KT_ASSERT_EQ(o.fake_numa, 64);
	OK("direct_mb=1");		KT_ASSERT_EQ(o.node_direct_bytes, 1UL << 20);
	OK("direct_mb=128");		KT_ASSERT_EQ(o.node_direct_bytes, 128UL << 20);
	OK("highmem_mb=0");		KT_ASSERT_EQ(o.node_highmem_bytes, 0);
	OK("highmem_mb=6");		KT_ASSERT_EQ(o.node_highmem_bytes, 6UL << 20);
	OK("hugepages=auto");		KT_ASSERT_EQ(o.hugepages, KMEM_HUGEPAGES_AUTO);
	OK("hugepages=require");	KT_ASSERT_EQ(o.hugepages, KMEM_HUGEPAGES_REQUIRE);
	OK("hugepages=never");		KT_ASSERT_EQ(o.hugepages, KMEM_HUGEPAGES_NEVER);
	OK("hugepage_size=2M");		KT_ASSERT_EQ(o.hugepage_shift, 21);
	OK("hugepage_size=1G");		KT_ASSERT_EQ(o.hugepage_shift, 30);
	OK("zones=auto");		KT_ASSERT_EQ(o.zones, KMEM_ZONES_AUTO);
	OK("zones=phys");		KT_ASSERT_EQ(o.zones, KMEM_ZONES_PHYS);
	OK("zones=carve");		KT_ASSERT_EQ(o.zones, KMEM_ZONES_CARVE);
	OK("zones=emulate");		KT_ASSERT_EQ(o.zones, KMEM_ZONES_EMULATE);
	OK("base_address=0");		KT_ASSERT_EQ(o.base_address, 0);
	OK("base_address=0x7e9000000000"); KT_ASSERT_EQ(o.base_address, 0x7e9000000000UL);
	OK("attach=auto");		KT_ASSERT_EQ(o.attach, KMEM_ATTACH_AUTO);
	OK("attach=require");		KT_ASSERT_EQ(o.attach, KMEM_ATTACH_REQUIRE);
	OK("attach=never");		KT_ASSERT_EQ(o.attach, KMEM_ATTACH_NEVER);
	OK("dma_mb=0");			KT_ASSERT_EQ(o.zone_dma_bytes, 0);
	OK("dma_mb=8");			KT_ASSERT_EQ(o.zone_dma_bytes, 8UL << 20);
	OK("dma32_mb=32");		KT_ASSERT_EQ(o.zone_dma32_bytes, 32UL << 20);
	OK("min_free_kbytes=2048");	KT_ASSERT_EQ(o.min_free_kbytes, 2048);
	OK("watermark_scale_factor=1");	KT_ASSERT_EQ(o.watermark_scale_factor, 1);
	OK("watermark_scale_factor=3000"); KT_ASSERT_EQ(o.watermark_scale_factor, 3000);
	OK("lowmem_reserve_ratio=1:2:3:4");
	KT_ASSERT_EQ(o.lowmem_reserve_ratio[0], 1);
	KT_ASSERT_EQ(o.lowmem_reserve_ratio[1], 2);
	KT_ASSERT_EQ(o.lowmem_reserve_ratio[2], 3);
	KT_ASSERT_EQ(o.lowmem_reserve_ratio[3], 4);
	OK("percpu_pagelist_high_fraction=8"); KT_ASSERT_EQ(o.percpu_pagelist_high_fraction, 8);
	OK("rseq=off");			CU_ASSERT(o.no_rseq);
	OK("rseq=on");			CU_ASSERT(!o.no_rseq);
	OK("quiet=1");			CU_ASSERT(o.quiet);
	OK("quiet=0");			CU_ASSERT(!o.quiet);
	OK("memory=private");		CU_ASSERT(o.private_memory);
	OK("memory=shared");		CU_ASSERT(!o.private_memory);

	/* several at once; a later key wins; empty items are skipped */
	OK("fake_numa=2,direct_mb=8,fake_numa=3,,zones=carve,");
	KT_ASSERT_EQ(o.fake_numa, 3);
	KT_ASSERT_EQ(o.node_direct_bytes, 8UL << 20);
	KT_ASSERT_EQ(o.zones, KMEM_ZONES_CARVE);
	OK("");
	KT_ASSERT_EQ(o.fake_numa, 0);
	KT_ASSERT_EQ(kmem_options_parse(&o, NULL, err, sizeof(err)), 0);
#undef OK
}

/* Every rejection is -EINVAL with a message that names the key. */
static void test_parse_rejects(void)
{
	static const struct {
		const char *str, *key;
	} bad[] = {
		{ "bogus=1", "bogus" },
		{ "fake_numa", "fake_numa" },			/* no value at all */
		{ "FAKE_NUMA=2", "FAKE_NUMA" },			/* keys are case-sensitive */
		{ "fake_numa=", "fake_numa" },
		{ "fake_numa=-1", "fake_numa" },
		{ "fake_numa=abc", "fake_numa" },
		{ "fake_numa=2x", "fake_numa" },
		{ "fake_numa=2 ", "fake_numa" },
		{ "fake_numa=65", "fake_numa" },
		{ "direct_mb=0", "direct_mb" },
		{ "direct_mb=-16", "direct_mb" },
		{ "direct_mb=16MB", "direct_mb" },
		{ "direct_mb=99999999999999999999999", "direct_mb" },
		{ "highmem_mb=1.5", "highmem_mb" },
		{ "highmem_mb=-1", "highmem_mb" },
		{ "dma_mb=4097", "dma_mb" },
		{ "dma32_mb=x", "dma32_mb" },
		{ "min_free_kbytes=-5", "min_free_kbytes" },
		{ "min_free_kbytes=5k", "min_free_kbytes" },
		{ "watermark_scale_factor=0", "watermark_scale_factor" },
		{ "watermark_scale_factor=3001", "watermark_scale_factor" },
		{ "percpu_pagelist_high_fraction=-8", "percpu_pagelist_high_fraction" },
		{ "hugepages=maybe", "hugepages" },
		{ "hugepages=", "hugepages" },
		{ "hugepages=AUTO", "hugepages" },
		{ "hugepage_size=4M", "hugepage_size" },
		{ "hugepage_size=2", "hugepage_size" },
		{ "zones=dma", "zones" },
		{ "lowmem_reserve_ratio=1:2:3", "lowmem_reserve_ratio" },
		{ "lowmem_reserve_ratio=1:2:3:4:5", "lowmem_reserve_ratio" },
		{ "lowmem_reserve_ratio=1:2:3:4x", "lowmem_reserve_ratio" },
		{ "lowmem_reserve_ratio=a:b:c:d", "lowmem_reserve_ratio" },
		{ "lowmem_reserve_ratio=", "lowmem_reserve_ratio" },
		{ "rseq=yes", "rseq" },
		{ "rseq=", "rseq" },
		{ "quiet=2", "quiet" },
		{ "quiet=true", "quiet" },
		{ "memory=copy", "memory" },
		{ "fake_numa=2,bogus_key=1", "bogus_key" },	/* after a good key */
		{ "direct_mb=8,zones=nope,fake_numa=2", "zones" },
	};
	struct kmem_options o;
	char err[160];
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int ret = parse(&o, bad[i].str, err, sizeof(err));

		if (ret != -EINVAL || !strstr(err, bad[i].key))
			fprintf(stderr, "  \"%s\": ret %d, err \"%s\"\n", bad[i].str, ret, err);
		KT_ASSERT_EQ(ret, -EINVAL);
		CU_ASSERT(strstr(err, bad[i].key) != NULL);
	}

	/* A string that does not fit is refused as a whole. */
	{
		char big[700];

		memset(big, 0, sizeof(big));
		for (i = 0; strlen(big) + 12 < sizeof(big); i++)
			strcat(big, "fake_numa=1,");
		KT_ASSERT_EQ(parse(&o, big, err, sizeof(err)), -EINVAL);
		CU_ASSERT(strlen(err) > 0);
	}

	/* A short error buffer is NUL-terminated and not overrun. */
	{
		char small[16];

		memset(small, 'X', sizeof(small));
		o = defaults();
		KT_ASSERT_EQ(kmem_options_parse(&o, "a_rather_long_unknown_key=1", small, 8), -EINVAL);
		KT_ASSERT_EQ(small[7], '\0');
		KT_ASSERT_EQ(small[8], 'X');
	}
}

/* A negative ratio is as wrong as a negative size. */
static void test_parse_rejects_negative_ratio(void)
{
	struct kmem_options o;
	char err[160];
	int ret;

	ret = parse(&o, "lowmem_reserve_ratio=-1:256:32:0", err, sizeof(err));
	if (ret == 0)
		fprintf(stderr, "  lowmem_reserve_ratio=-1:256:32:0 accepted: ratio[0] = %u\n",
			o.lowmem_reserve_ratio[0]);
	KT_ASSERT_EQ(ret, -EINVAL);
	CU_ASSERT(strstr(err, "lowmem_reserve_ratio") != NULL);
	ret = parse(&o, "lowmem_reserve_ratio=256:256:32:-4", err, sizeof(err));
	KT_ASSERT_EQ(ret, -EINVAL);
}

static void test_env_options(void)
{
	struct kmem_options o;

	setenv("KMEM_OPTIONS", "fake_numa=3,highmem_mb=2,rseq=off", 1);
	kmem_options_init(&o);
	KT_ASSERT_EQ(o.fake_numa, 3);
	KT_ASSERT_EQ(o.node_highmem_bytes, 2UL << 20);
	CU_ASSERT(o.no_rseq);
	KT_ASSERT_EQ(o.node_direct_bytes, 64UL << 20);	/* the rest are defaults */
	unsetenv("KMEM_OPTIONS");
}

/*
 * kmem_options_init() with $KMEM_OPTIONS = @env; what it wrote on stderr
 * (fd 2, redirected to a file for the call) in @out.
 */
static void env_init(const char *env, struct kmem_options *o, char *out, size_t len)
{
	FILE *tmp = tmpfile();
	int saved = dup(STDERR_FILENO);
	size_t n = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(tmp);
	CU_ASSERT_FATAL(saved >= 0);
	kt_capture_stop();	/* the library's own stderr, not a test sink */
	fflush(stderr);
	dup2(fileno(tmp), STDERR_FILENO);
	setenv("KMEM_OPTIONS", env, 1);
	kmem_options_init(o);
	unsetenv("KMEM_OPTIONS");
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, len - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
}

static unsigned int count_lines(const char *s)
{
	unsigned int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/*
 * A bad item of $KMEM_OPTIONS is named in one line on stderr and skipped;
 * the items around it still apply.
 */
static void test_env_options_bad_item_skipped(void)
{
	static const struct {
		const char *item, *why;
	} bad[] = {
		{ "bogus=1", "unknown key" },
		{ "FAKE_NUMA=2", "unknown key" },
		{ " fake_numa=2", "unknown key" },
		{ "=5", "unknown key" },
		{ "fake_numa", "expected key=value" },
		{ "fake_numa=", "empty value" },
		{ "hugepages=", "empty value" },
		{ "highmem_mb=abc", "not a number" },
		{ "highmem_mb=2x", "not a number" },
		{ "highmem_mb=2 ", "not a number" },
		{ "highmem_mb=1.5", "not a number" },
		{ "direct_mb==8", "not a number" },
		{ "highmem_mb=-1", "out of range" },
		{ "highmem_mb=16777217", "out of range" },
		{ "highmem_mb=99999999999999999999999", "out of range" },
		{ "fake_numa=65", "out of range" },
		{ "watermark_scale_factor=0", "out of range" },
		{ "hugepages=maybe", "bad value" },
		{ "hugepage_size=4M", "bad value" },
		{ "zones=dma", "bad value" },
		{ "lowmem_reserve_ratio=1:2:3", "bad value" },
		{ "rseq=yes", "bad value" },
		{ "quiet=2", "bad value" },
		{ "kswapd=maybe", "bad value" },
	};
	char env[256], out[2048], line[256];
	struct kmem_options o;
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(env, sizeof(env), "fake_numa=3,%s,direct_mb=8,rseq=off,quiet=1", bad[i].item);
		env_init(env, &o, out, sizeof(out));
		snprintf(line, sizeof(line), "kmem: KMEM_OPTIONS: '%s': %s; ignored\n", bad[i].item,
			 bad[i].why);
		if (strcmp(out, line) || o.fake_numa != 3 || o.node_direct_bytes != 8UL << 20 ||
		    !o.no_rseq)
			fprintf(stderr, "  \"%s\": fake_numa=%u direct=%zu MiB rseq=%s; stderr:\n%s",
				env, o.fake_numa, o.node_direct_bytes >> 20,
				o.no_rseq ? "off" : "on", out);
		/* exactly that line, nothing else; quiet=1 does not hide it */
		CU_ASSERT_STRING_EQUAL(out, line);
		KT_ASSERT_EQ(o.fake_numa, 3);
		KT_ASSERT_EQ(o.node_direct_bytes, 8UL << 20);
		CU_ASSERT(o.no_rseq);
		CU_ASSERT(o.quiet);
		/* what the bad item names keeps its default */
		KT_ASSERT_EQ(o.node_highmem_bytes, 64UL << 20);
		KT_ASSERT_EQ(o.hugepages, KMEM_HUGEPAGES_AUTO);
		KT_ASSERT_EQ(o.hugepage_shift, 21);
		KT_ASSERT_EQ(o.zones, KMEM_ZONES_AUTO);
		KT_ASSERT_EQ(o.watermark_scale_factor, 0);
	}

	/* several bad items: one line each, in order; a bad value keeps the earlier good one */
	env_init("fake_numa=2,direct_mb=lots,zones=carve,fake_numa=x,nope,highmem_mb=4", &o, out,
		 sizeof(out));
	KT_ASSERT_EQ(count_lines(out), 3);
	CU_ASSERT(strstr(out, "'direct_mb=lots': not a number") != NULL);
	CU_ASSERT(strstr(out, "'fake_numa=x': not a number") != NULL);
	CU_ASSERT(strstr(out, "'nope': expected key=value") != NULL);
	CU_ASSERT(strstr(out, "'direct_mb") < strstr(out, "'fake_numa=x"));
	KT_ASSERT_EQ(o.fake_numa, 2);
	KT_ASSERT_EQ(o.node_direct_bytes, 64UL << 20);
	KT_ASSERT_EQ(o.zones, KMEM_ZONES_CARVE);
	KT_ASSERT_EQ(o.node_highmem_bytes, 4UL << 20);

	/* empty items (doubled, leading, trailing commas) are nothing, as for the API */
	env_init(",fake_numa=3,,,direct_mb=8,", &o, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "");
	KT_ASSERT_EQ(o.fake_numa, 3);
	KT_ASSERT_EQ(o.node_direct_bytes, 8UL << 20);

	/* nothing but bad items: the defaults, each named */
	env_init("a,b=,c=1", &o, out, sizeof(out));
	KT_ASSERT_EQ(count_lines(out), 3);
	KT_ASSERT_EQ(o.fake_numa, 0);

	/* no length limit on the whole; an item too long is named by its start */
	{
		char big[1600], item[300];

		big[0] = '\0';
		for (i = 0; i < 100; i++)
			strcat(big, "fake_numa=1,");
		memset(item, 'x', sizeof(item) - 1);
		item[sizeof(item) - 1] = '\0';
		strcat(big, item);
		strcat(big, ",fake_numa=5");
		env_init(big, &o, out, sizeof(out));
		KT_ASSERT_EQ(o.fake_numa, 5);
		KT_ASSERT_EQ(count_lines(out), 1);
		CU_ASSERT(strstr(out, "kmem: KMEM_OPTIONS: 'xxxxxxxx") != NULL);
		CU_ASSERT(strstr(out, "longer than 255 bytes; ignored") != NULL);
	}

	/* the API stays strict: the same string is refused whole */
	{
		char err[160];

		o = defaults();
		KT_ASSERT_EQ(kmem_options_parse(&o, "fake_numa=3,direct_mb=abc,rseq=off", err,
						sizeof(err)), -EINVAL);
		CU_ASSERT(strstr(err, "direct_mb") != NULL);
	}
}

/* ------------------------------------------------------------------ */
/* kmem_init                                                           */
/* ------------------------------------------------------------------ */

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Mappings of kmem's memfds ("/memfd:kmem-..."). */
static int count_kmem_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n += strstr(line, "memfd:kmem-") != NULL;
	fclose(f);
	return n;
}

static void test_init_twice(void)
{
	struct kmem_options o = defaults();

	KT_ASSERT_EQ_FATAL(kt_init(SMALL), 0);
	KT_ASSERT_EQ(kt_init(SMALL), -EALREADY);
	KT_ASSERT_EQ(kt_init("fake_numa=2,direct_mb=4,hugepages=never"), -EALREADY);
	KT_ASSERT_EQ(kmem_init(NULL), -EALREADY);
	KT_ASSERT_EQ(kmem_init(&o), -EALREADY);
	KT_ASSERT_EQ(num_online_nodes(), 1);	/* the first one stands */
	kmem_exit();
	KT_ASSERT_EQ(kt_init("fake_numa=2,direct_mb=2,highmem_mb=2,hugepages=never"), 0);
	KT_ASSERT_EQ(num_online_nodes(), 2);
	kmem_exit();
	kmem_exit();	/* harmless when not initialised */
}

static void expect_init_fails(struct kmem_options *o, int err, const char *msg,
			      unsigned int line)
{
	int fds = count_fds(), maps = count_kmem_maps(), ret;
	char what[128];

	o->quiet = true;
	kt_capture_start();
	ret = kmem_init(o);
	if (ret != err)
		fprintf(stderr, "  line %u: kmem_init() = %d, expected %d\n", line, ret, err);
	snprintf(what, sizeof(what), "kmem_init() == %d (line %u)", err, line);
	CU_assertImplementation(ret == err, line, what, __FILE__, "", CU_FALSE);
	if (ret == 0)
		kmem_exit();
	if (msg) {
		snprintf(what, sizeof(what), "message \"%s\" (line %u)", msg, line);
		CU_assertImplementation(kt_captured(msg), line, what, __FILE__, "", CU_FALSE);
	}
	kt_capture_stop();
	/* nothing left behind, and a good init works afterwards */
	CU_assertImplementation(count_fds() == fds, line, "fd leak", __FILE__, "", CU_FALSE);
	CU_assertImplementation(count_kmem_maps() == maps, line, "mapping leak", __FILE__, "",
				CU_FALSE);
	CU_assertImplementation(kt_init(SMALL) == 0, line, "init after a failed init", __FILE__,
				"", CU_FALSE);
	kmem_exit();
}
#define EXPECT_INIT_FAILS(o, err, msg) expect_init_fails(o, err, msg, __LINE__)

static void test_init_invalid(void)
{
	struct kmem_options o;
	char err[160];

	o = defaults();
	o.hugepage_shift = 22;
	EXPECT_INIT_FAILS(&o, -EINVAL, "invalid options");
	o = defaults();
	o.fake_numa = MAX_NUMNODES + 1;
	EXPECT_INIT_FAILS(&o, -EINVAL, NULL);
	o = defaults();
	o.node_direct_bytes = 0;
	EXPECT_INIT_FAILS(&o, -EINVAL, NULL);
	/* carve: DMA + DMA32 must fit in node 0's direct map */
	KT_ASSERT_EQ(parse(&o, "zones=carve,direct_mb=8,dma_mb=4,dma32_mb=8,hugepages=never",
			   err, sizeof(err)), 0);
	EXPECT_INIT_FAILS(&o, -EINVAL, NULL);
	/* private memory is embedded memory of 4 KiB pages */
	o = defaults();
	KT_ASSERT_EQ(parse(&o, "memory=private,attach=require", err, sizeof(err)), 0);
	EXPECT_INIT_FAILS(&o, -EINVAL, "memory=private is embedded memory");
	o = defaults();
	KT_ASSERT_EQ(parse(&o, "memory=private,hugepages=require", err, sizeof(err)), 0);
	EXPECT_INIT_FAILS(&o, -EINVAL, "memory=private is embedded memory");
}

/* zones=phys needs hugetlb and real frame numbers: refused with hugepages=never. */
static void test_zones_phys_without_hugetlb(void)
{
	struct kmem_options o;
	char err[160];

	KT_ASSERT_EQ(parse(&o, "zones=phys,hugepages=never,fake_numa=1,direct_mb=2,highmem_mb=2",
			   err, sizeof(err)), 0);
	EXPECT_INIT_FAILS(&o, -EPERM, "zones=phys");
	KT_ASSERT_EQ(parse(&o, "zones=phys,hugepages=never,fake_numa=2,direct_mb=4,highmem_mb=2",
			   err, sizeof(err)), 0);
	EXPECT_INIT_FAILS(&o, -EPERM, "zones=phys");
}

static long free_hugepages(const char *size)
{
	char path[128];
	long n = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/hugepages-%s/free_hugepages", size);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%ld", &n) != 1)
		n = 0;
	fclose(f);
	return n;
}

/* hugepages=require with an empty pool fails cleanly (checked where the 1G pool is empty). */
static void test_hugepages_require_unavailable(void)
{
	struct kmem_options o;
	char err[160];

	if (free_hugepages("1048576kB") > 0) {
		printf("\n  note: 1 GiB huge pages are free here; hugepages=require not exercised\n");
		return;
	}
	KT_ASSERT_EQ(parse(&o, "hugepages=require,hugepage_size=1G,fake_numa=1,direct_mb=2,"
			   "highmem_mb=2", err, sizeof(err)), 0);
	EXPECT_INIT_FAILS(&o, -ENOMEM, "hugepages=require");
}

/* init/use/exit cycles leave no fd and no mapping behind. */
static void test_no_leaks_across_cycles(void)
{
	int fds = count_fds(), maps = count_kmem_maps(), i;

	CU_ASSERT_FATAL(fds > 0 && maps == 0);
	for (i = 0; i < 3; i++) {
		struct page *p;

		KT_ASSERT_EQ_FATAL(kt_init(i & 1 ? "fake_numa=3,direct_mb=2,highmem_mb=2,hugepages=never"
					   : "fake_numa=1,direct_mb=4,highmem_mb=2,hugepages=never,rseq=off"), 0);
		CU_ASSERT(count_kmem_maps() > 0);
		p = alloc_pages(GFP_KERNEL, 3);
		CU_ASSERT_PTR_NOT_NULL(p);
		if (p)
			__free_pages(p, 3);
		kmem_exit();
		KT_ASSERT_EQ(count_fds(), fds);
		KT_ASSERT_EQ(count_kmem_maps(), 0);
	}
}

/* Without kmem_init(), the first use initialises from $KMEM_OPTIONS. */
static void test_lazy_init_from_env(void)
{
	struct kmem_info info;
	struct page *p;

	setenv("KMEM_OPTIONS", "fake_numa=3,direct_mb=4,max_mb=4,highmem_mb=2,hugepages=never,quiet=1",
	       1);
	p = alloc_pages(GFP_KERNEL, 0);
	unsetenv("KMEM_OPTIONS");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	KT_ASSERT_EQ(num_online_nodes(), 3);
	CU_ASSERT_EQUAL_FATAL(kmem_get_info(&info), 0);
	KT_ASSERT_EQ(info.total_pages, 3 * (4 + 2) * 256);
	__free_pages(p, 0);
	KT_ASSERT_EQ(kt_init(SMALL), -EALREADY);
	kmem_exit();
}

/* The shape options reach the arena. */
static void test_shape_options(void)
{
	struct kmem_info info;
	struct kmem_zone_stats st;

	/* sizes round up: direct to the section size (4 MiB), HighMem to 2 MiB */
	KT_ASSERT_EQ_FATAL(kt_init("fake_numa=3,direct_mb=5,highmem_mb=3,hugepages=never,rseq=off,"
				   "zones=carve,dma_mb=2,dma32_mb=2"), 0);
	CU_ASSERT_EQUAL_FATAL(kmem_get_info(&info), 0);
	KT_ASSERT_EQ(info.nr_nodes, 3);
	CU_ASSERT(info.fake_numa);
	CU_ASSERT(!info.hugetlb);
	CU_ASSERT(!info.phys_real);
	CU_ASSERT(!info.rseq);
	KT_ASSERT_EQ(info.hugepage_shift, 21);
	KT_ASSERT_EQ(info.total_pages, 3 * (8 + 4) * 256);
	kmem_zone_stats(0, ZONE_DMA, &st);
	KT_ASSERT_EQ(st.present, 2 * 256);
	kmem_zone_stats(0, ZONE_DMA32, &st);
	KT_ASSERT_EQ(st.present, 2 * 256);
	kmem_zone_stats(0, ZONE_NORMAL, &st);
	KT_ASSERT_EQ(st.present, 4 * 256);
	kmem_zone_stats(2, ZONE_NORMAL, &st);
	KT_ASSERT_EQ(st.present, 8 * 256);
	kmem_zone_stats(2, ZONE_HIGHMEM, &st);
	KT_ASSERT_EQ(st.present, 4 * 256);
	kmem_exit();
}

/* highmem_mb=0 is accepted by the parser: it must give nodes without HighMem. */
static void test_no_highmem(void)
{
	struct kmem_zone_stats st;
	struct page *p;
	int fds = count_fds(), ret;

	kt_capture_start();
	ret = kt_init("fake_numa=2,direct_mb=4,highmem_mb=0,hugepages=never");
	kt_capture_stop();
	if (ret)
		fprintf(stderr, "  highmem_mb=0: kmem_init() = %d: %s", ret, kt_captured_text());
	if (ret)
		KT_ASSERT_EQ(count_fds(), fds);	/* a failed init leaks nothing */
	KT_ASSERT_EQ_FATAL(ret, 0);
	kmem_zone_stats(1, ZONE_HIGHMEM, &st);
	KT_ASSERT_EQ(st.present, 0);
	p = alloc_pages_node(1, GFP_HIGHUSER, 0);	/* falls back to lowmem */
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	KT_ASSERT_EQ(page_zonenum(p), ZONE_NORMAL);
	__free_pages(p, 0);
	kmem_exit();
}

static uint64_t isqrt(uint64_t v)
{
	uint64_t r = 0;

	while ((r + 1) * (r + 1) <= v)
		r++;
	return r;
}

static void check_watermarks(uint64_t min_free_kbytes, unsigned int wsf)
{
	struct kmem_zone_stats st[2][MAX_NR_ZONES];
	uint64_t lowmem = 0, min_sum = 0, pages_min = min_free_kbytes >> 2;
	int nid, z;

	for (nid = 0; nid < 2; nid++)
		for (z = 0; z < MAX_NR_ZONES; z++) {
			kmem_zone_stats(nid, z, &st[nid][z]);
			if (z != ZONE_HIGHMEM)
				lowmem += st[nid][z].managed;
		}
	for (nid = 0; nid < 2; nid++) {
		for (z = 0; z < MAX_NR_ZONES; z++) {
			const struct kmem_zone_stats *s = &st[nid][z];
			uint64_t share = pages_min * s->managed / lowmem, gap;

			if (!s->present)
				continue;
			if (z == ZONE_HIGHMEM) {
				uint64_t m = s->managed / 1024;

				KT_ASSERT_EQ(s->min, m < 32 ? 32 : m > 128 ? 128 : m);
			} else {
				KT_ASSERT_EQ(s->min, share);
				min_sum += s->min;
			}
			gap = share / 4 > s->managed * wsf / 10000 ? share / 4 :
								       s->managed * wsf / 10000;
			KT_ASSERT_EQ(s->low, s->min + gap);
			KT_ASSERT_EQ(s->high, s->min + 2 * gap);
			KT_ASSERT_EQ(s->promo, s->min + 3 * gap);
		}
	}
	CU_ASSERT(min_sum <= pages_min && min_sum + 2 * MAX_NR_ZONES >= pages_min);
}

/* The watermark tunables reach the zones, by the kernel's formulas. */
static void test_tunables(void)
{
	struct kmem_zone_stats st[MAX_NR_ZONES];
	uint64_t lowmem_kb;
	int z, j;

	KT_ASSERT_EQ_FATAL(kt_init("fake_numa=2,direct_mb=16,highmem_mb=4,hugepages=never,"
				   "zones=carve,dma_mb=2,dma32_mb=4,min_free_kbytes=2048,"
				   "watermark_scale_factor=1000,lowmem_reserve_ratio=2:4:8:0,"
				   "percpu_pagelist_high_fraction=8"), 0);
	check_watermarks(2048, 1000);

	/* lowmem_reserve[j] of zone i: managed pages of zones i+1..j over ratio[i] */
	for (z = 0; z < MAX_NR_ZONES; z++)
		kmem_zone_stats(0, z, &st[z]);
	for (z = 0; z < MAX_NR_ZONES; z++) {
		static const unsigned int ratio[MAX_NR_ZONES] = { 2, 4, 8, 0 };
		uint64_t sum = 0;

		for (j = 0; j <= z; j++)
			KT_ASSERT_EQ(st[z].protection[j], 0);
		for (j = z + 1; j < MAX_NR_ZONES; j++) {
			sum += st[j].managed;
			KT_ASSERT_EQ(st[z].protection[j], ratio[z] ? sum / ratio[z] : 0);
		}
	}
	/* percpu_pagelist_high_fraction: high = managed / fraction / CPUs of the node */
	{
		struct kmem_zone_stats s;
		uint64_t cpus = NODE_DATA(1)->nr_cpus, high;
		struct kmem_info info;

		kmem_get_info(&info);
		if (!cpus)
			cpus = info.nr_cpu_ids;
		kmem_zone_stats(1, ZONE_NORMAL, &s);
		high = s.managed / 8 / cpus;
		if (high < 4ULL * s.pcp_batch)
			high = 4ULL * s.pcp_batch;
		KT_ASSERT_EQ(s.pcp_high, high);
	}
	kmem_exit();

	/* defaults: min_free_kbytes = sqrt(lowmem_kbytes * 16), clamped */
	KT_ASSERT_EQ_FATAL(kt_init("fake_numa=2,direct_mb=16,highmem_mb=4,hugepages=never,"
				   "zones=carve,dma_mb=2,dma32_mb=4"), 0);
	lowmem_kb = 2 * 16 * 1024;
	{
		uint64_t v = isqrt(lowmem_kb * 16);

		check_watermarks(v < 128 ? 128 : v > 262144 ? 262144 : v, 10);
	}
	for (z = 0; z < MAX_NR_ZONES; z++)
		kmem_zone_stats(0, z, &st[z]);
	KT_ASSERT_EQ(st[ZONE_DMA].protection[ZONE_NORMAL],
		     (st[ZONE_DMA32].managed + st[ZONE_NORMAL].managed) / 256);
	KT_ASSERT_EQ(st[ZONE_NORMAL].protection[ZONE_HIGHMEM], st[ZONE_HIGHMEM].managed / 32);
	kmem_exit();
}

/* quiet=0 says what fell back; quiet=1 does not. */
static void test_quiet(void)
{
	struct kmem_options o;
	char err[160];

	KT_ASSERT_EQ(parse(&o, SMALL ",quiet=0", err, sizeof(err)), 0);
	kt_capture_start();
	KT_ASSERT_EQ_FATAL(kmem_init(&o), 0);
	CU_ASSERT(kt_captured("no huge pages reserved"));
	kmem_exit();
	KT_ASSERT_EQ(parse(&o, SMALL ",quiet=1", err, sizeof(err)), 0);
	kt_capture_start();
	KT_ASSERT_EQ_FATAL(kmem_init(&o), 0);
	KT_ASSERT_EQ(kt_captured_count(), 0);
	kmem_exit();
	kt_capture_stop();
}

static const struct kt_test parse_tests[] = {
	KT_TEST(test_defaults),
	KT_TEST(test_parse_every_key),
	KT_TEST(test_parse_rejects),
	KT_TEST(test_parse_rejects_negative_ratio),
	KT_TEST(test_env_options),
	KT_TEST(test_env_options_bad_item_skipped),
	KT_END,
};

static const struct kt_test init_tests[] = {
	KT_TEST(test_init_twice),
	KT_TEST(test_init_invalid),
	KT_TEST(test_zones_phys_without_hugetlb),
	KT_TEST(test_hugepages_require_unavailable),
	KT_TEST(test_no_leaks_across_cycles),
	KT_TEST(test_lazy_init_from_env),
	KT_TEST(test_shape_options),
	KT_TEST(test_no_highmem),
	KT_TEST(test_tunables),
	KT_TEST(test_quiet),
	KT_END,
};

static const struct kt_suite parse_suite = { "options_parse", suite_init, suite_exit, parse_tests };
static const struct kt_suite init_suite = { "kmem_init", suite_init, suite_exit, init_tests };
static const struct kt_suite *const suites[] = { &parse_suite, &init_suite, NULL };

int main(int argc, char **argv) { return kt_main(argc, argv, suites); }
