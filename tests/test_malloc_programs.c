// SPDX-License-Identifier: MIT
/*
 * Debian's own programs on the malloc front end: each job runs under
 * LD_PRELOAD=libkmem-malloc.so and again without it, and the two must
 * print the same (stdout, and stderr, which must say nothing of kmem).
 * The jobs are what breaks a malloc: sort's and xz's threads, python's
 * and perl's churn of small objects, gcc's many processes, git's mmap and
 * fork/exec, and bash, whose subshells are fork()s that must each get a
 * copy of the heap rather than share it.
 *
 * A program that is not installed skips its job ("skipped: ..."); only if
 * every one is missing does the suite say SKIPPED (ctest's skip marker
 * would otherwise hide the other jobs' results).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kunit.h"
#include "malloc_jobs.h"

/* Where the .so is not built (sanitizer builds): nothing to run. */
#ifndef KMEM_MALLOC_SO
#define KMEM_MALLOC_SO	""
#define KMEM_RUN	"false"
#endif

static char workdir[] = "/tmp/kmem-malloc-programs.XXXXXX";
static unsigned int jobs_run;
static struct mj_output plain, preloaded;

/* @script with sh -c, the whole job (the shell too) on the front end when @preload. */
static void run_job(const char *script, bool preload, struct mj_output *o)
{
	static const char *const with_it[] = { "LD_PRELOAD=" KMEM_MALLOC_SO, NULL };

	mj_run(workdir, script, preload ? with_it : NULL, o);
}

/*
 * Run @script both ways (after @setup, run without the front end) and
 * compare; @progs: the programs it needs, space-separated.
 */
static void compare_job(const char *progs, const char *setup, const char *script)
{
	char list[128], *prog, *save;
	double t0, t1;

	snprintf(list, sizeof(list), "%s", progs);
	for (prog = strtok_r(list, " ", &save); prog; prog = strtok_r(NULL, " ", &save)) {
		if (!mj_installed(prog)) {
			printf("skipped: %s not installed ", prog);
			return;
		}
	}
	jobs_run++;
	if (setup) {
		run_job(setup, false, &plain);
		if (!WIFEXITED(plain.status) || WEXITSTATUS(plain.status)) {
			fprintf(stderr, "setup failed (%#x): %s\n%s", plain.status, setup, plain.err);
			CU_FAIL("setup");
			return;
		}
	}
	t0 = mj_now();
	run_job(script, false, &plain);
	t1 = mj_now();
	run_job(script, true, &preloaded);
	printf("(%.1f s, %.1f s on kmem) ", t1 - t0, mj_now() - t1);
	if (!WIFEXITED(plain.status) || WEXITSTATUS(plain.status)) {
		fprintf(stderr, "the job fails without the front end (%#x):\n%s\n", plain.status,
			plain.err);
		CU_FAIL("job fails on glibc's malloc");
		return;
	}
	if (preloaded.status != plain.status) {
		fprintf(stderr, "status %#x, without the front end %#x\n", preloaded.status,
			plain.status);
		CU_FAIL("exit status differs");
	}
	if (strcmp(plain.out, preloaded.out)) {
		mj_show_difference("stdout", plain.out, preloaded.out, "with it");
		CU_FAIL("stdout differs");
	}
	if (strcmp(plain.err, preloaded.err) || strstr(preloaded.err, "kmem")) {
		mj_show_difference("stderr", plain.err, preloaded.err, "with it");
		CU_FAIL("stderr differs");
	}
	CU_PASS("the same output");
}

/* 2 million numbers, about 24 MB (xz takes the first 6 MB). */
#define NUMBERS	2000000

static void test_sort(void)
{
	compare_job("sort md5sum", NULL,
		    "sort --parallel=2 -S 64M numbers | md5sum && "
		    "sort --parallel=2 -n -u numbers | tail -3");
}

static void test_xz(void)
{
	compare_job("xz md5sum", NULL,
		    "head -c 6000000 numbers > part && "
		    "xz -T2 -1 -c part > part.xz && md5sum < part.xz && "
		    "xz -T2 -d -c part.xz | md5sum");
}

static void test_python(void)
{
	compare_job("python3", NULL,
		    "python3 -c '\n"
		    "import gc\n"
		    "total = 0\n"
		    "for r in range(4):\n"
		    "    d = {i: str(i) * (i % 7) for i in range(300000)}\n"
		    "    l = [list(range(i % 50)) for i in range(50000)]\n"
		    "    b = [bytearray(i % 5000) for i in range(2000)]\n"
		    "    total += sum(len(v) for v in d.values()) + sum(map(len, l)) + len(b)\n"
		    "    del d, l, b\n"
		    "    gc.collect()\n"
		    "s = \"\".join(chr(65 + i % 26) for i in range(1 << 20))\n"
		    "print(total, len(s), s[-5:], sorted(set(s))[:3])\n"
		    "'");
}

static void test_gcc(void)
{
	compare_job("gcc", NULL,
		    "cat > prog.c <<'EOF'\n"
		    "#include <stdio.h>\n"
		    "#include <stdlib.h>\n"
		    "#include <string.h>\n"
		    "static int cmp(const void *a, const void *b)\n"
		    "{ return *(const int *)a - *(const int *)b; }\n"
		    "int main(void)\n"
		    "{\n"
		    "	int n = 100000, *v = malloc(n * sizeof(*v));\n"
		    "	long sum = 0;\n"
		    "	for (int i = 0; i < n; i++) v[i] = (i * 7919) % 100003;\n"
		    "	qsort(v, n, sizeof(*v), cmp);\n"
		    "	for (int i = 0; i < n; i += 1000) sum += v[i];\n"
		    "	char *s = strdup(\"compiled under kmem\");\n"
		    "	printf(\"%ld %d %s\\n\", sum, v[n - 1], s);\n"
		    "	free(s); free(v);\n"
		    "	return 0;\n"
		    "}\n"
		    "EOF\n"
		    "gcc -O2 -Wall -o prog prog.c && ./prog && rm -f prog");
}

/* new/delete in every form, std::bad_alloc, the new_handler, containers. */
static void test_cxx(void)
{
	compare_job("g++", NULL,
		    "cat > prog.cc <<'EOF'\n"
		    "#include <cstdio>\n"
		    "#include <map>\n"
		    "#include <memory>\n"
		    "#include <new>\n"
		    "#include <string>\n"
		    "#include <vector>\n"
		    "struct alignas(256) Wide { char c[300]; };\n"
		    "static int handler_calls;\n"
		    "char *volatile sink;\n"
		    "static void handler() { if (++handler_calls == 3) std::set_new_handler(nullptr); }\n"
		    "int main()\n"
		    "{\n"
		    "	std::map<std::string, std::vector<int>> m;\n"
		    "	for (int i = 0; i < 100000; i++) m[std::to_string(i % 5000)].push_back(i);\n"
		    "	auto w = std::make_unique<Wide[]>(10);\n"
		    "	Wide *one = new Wide;\n"
		    "	bool ok = (reinterpret_cast<unsigned long>(one) % 256) == 0 &&\n"
		    "		  (reinterpret_cast<unsigned long>(w.get()) % 256) == 0;\n"
		    "	delete one;\n"
		    "	volatile std::size_t huge = ~std::size_t(0) / 2;\n"
		    "	char *p = new (std::nothrow) char[huge];\n"
		    "	bool caught = false;\n"
		    "	std::set_new_handler(handler);\n"
		    "	try { sink = new char[huge]; } catch (const std::bad_alloc &) { caught = true; }\n"
		    "	std::printf(\"%zu %zu aligned=%d nothrow=%p caught=%d handler=%d\\n\", m.size(),\n"
		    "		    m[\"42\"].size(), ok, (void *)p, caught, handler_calls);\n"
		    "	return 0;\n"
		    "}\n"
		    "EOF\n"
		    "g++ -O2 -std=c++17 -o prog prog.cc && ./prog && rm -f prog");
}

static void test_git(void)
{
	compare_job("git", NULL,
		    "export GIT_AUTHOR_NAME=kmem GIT_AUTHOR_EMAIL=kmem@example.org "
		    "GIT_COMMITTER_NAME=kmem GIT_COMMITTER_EMAIL=kmem@example.org "
		    "GIT_AUTHOR_DATE='2024-01-01T00:00:00Z' GIT_COMMITTER_DATE='2024-01-01T00:00:00Z' "
		    "GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null && "
		    "rm -rf repo && mkdir repo && cd repo && git init -q -b main . && "
		    "for i in $(seq 1 50); do echo \"file $i\" > f$i.txt; done && "
		    "head -c 300000 ../numbers > big.txt && "
		    "git add . && git commit -q -m first && "
		    "echo change >> f1.txt && git commit -q -am second && "
		    "git log --format='%H %s' && git count-objects -v | grep -v size && "
		    "git gc -q && git fsck --no-progress && git show --stat HEAD | tail -2");
}

static void test_perl(void)
{
	compare_job("perl", NULL,
		    "perl -e '\n"
		    "my %h; $h{$_} = \"x\" x ($_ % 100) for 1..200000;\n"
		    "my $s = 0; $s += length($h{$_}) for keys %h;\n"
		    "my @a = sort { $a <=> $b } map { ($_ * 7919) % 100003 } 1..100000;\n"
		    "undef %h;\n"
		    "my $str = join(\",\", @a); my @b = split(/,/, $str);\n"
		    "print \"$s @a[0..5] \", scalar(@b), \"\\n\";\n"
		    "'");
}

/* Subshells are fork()s: a change in one must never show in the parent. */
static void test_bash(void)
{
	compare_job("bash", NULL,
		    "cat > script.sh <<'EOF'\n"
		    "x=1; (x=2; echo \"sub $x\"); echo \"main $x\"\n"
		    "y=$(for i in $(seq 1 200); do echo $i; done | wc -l); echo \"y=$y\"\n"
		    "a=(); for i in $(seq 1 500); do a+=(\"$(printf 'item%04d' $i)\"); done\n"
		    "echo \"${#a[@]} ${a[499]}\"\n"
		    "f() { local v=$1; echo $((v * 2)); }\n"
		    "s=0; for i in $(seq 1 100); do s=$((s + $(f $i))); done; echo \"s=$s\"\n"
		    "z=5; echo 6 | { read z; echo \"pipe z=$z\"; }; echo \"z=$z\"\n"
		    "declare -A m; for i in $(seq 1 300); do m[k$i]=$((i * i)); done\n"
		    "( unset 'm[k1]'; m[k2]=0; big=$(printf '%*s' 100000 x)\n"
		    "  echo \"sub ${#m[@]} ${m[k2]} ${#big}\" )\n"
		    "echo \"main ${#m[@]} ${m[k2]} ${m[k1]}\"\n"
		    "for i in 1 2 3; do (a[$i]=changed; unset m; echo \"$i ${a[$i]}\") & done; wait\n"
		    "echo \"${a[1]} ${a[2]} ${#m[@]}\"\n"
		    "EOF\n"
		    "bash script.sh | sort");
}

/*
 * A setting the front end does not know: one line naming it, the default,
 * and the program runs as ever.  (run_job() clears KMEM_MALLOC_*; the script
 * sets them itself, for the preloaded command only.)
 */
static void test_bad_setting(void)
{
	run_job("KMEM_MALLOC_STATS=yes KMEM_MALLOC_ATTACH=maybe sh -c 'echo ok'", true, &preloaded);
	KT_ASSERT_EQ(WIFEXITED(preloaded.status) ? WEXITSTATUS(preloaded.status) : -1, 0);
	CU_ASSERT_STRING_EQUAL(preloaded.out, "ok\n");
	CU_ASSERT(strstr(preloaded.err, "KMEM_MALLOC_STATS='yes': expected 0 or 1; 0\n") != NULL);
	CU_ASSERT(strstr(preloaded.err, "KMEM_MALLOC_ATTACH='maybe'") != NULL);
	/* no statistics: the default held */
	CU_ASSERT(strstr(preloaded.err, "slabinfo") == NULL);
	CU_ASSERT(strstr(preloaded.err, "kmalloc-") == NULL);
}

/* kmem-run: the command runs on the front end; bad usage is one line and status 2. */
static void test_kmem_run(void)
{
	run_job(KMEM_RUN " -- sh -c 'echo $LD_PRELOAD'", false, &plain);
	KT_ASSERT_EQ(plain.status, 0);
	CU_ASSERT_STRING_EQUAL(plain.out, KMEM_MALLOC_SO "\n");
	run_job(KMEM_RUN " --bogus true", false, &plain);
	KT_ASSERT_EQ(WIFEXITED(plain.status) ? WEXITSTATUS(plain.status) : -1, 2);
	CU_ASSERT(strstr(plain.err, "kmem-run: unknown option '--bogus'") != NULL);
	run_job(KMEM_RUN, false, &plain);
	KT_ASSERT_EQ(WIFEXITED(plain.status) ? WEXITSTATUS(plain.status) : -1, 2);
	CU_ASSERT(strstr(plain.err, "kmem-run: no command") != NULL);
	run_job(KMEM_RUN " --library /nonexistent.so true", false, &plain);
	KT_ASSERT_EQ(WIFEXITED(plain.status) ? WEXITSTATUS(plain.status) : -1, 2);
	CU_ASSERT(strstr(plain.err, "no such library") != NULL);
}

static int suite_init(void)
{
	if (!mkdtemp(workdir))
		return -1;
	return mj_make_numbers(workdir, NUMBERS);
}

static int suite_cleanup(void)
{
	char cmd[400];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", workdir);
	return system(cmd) == 0 ? 0 : -1;
}

static const struct kt_test program_tests[] = {
	KT_TEST(test_sort),
	KT_TEST(test_xz),
	KT_TEST(test_python),
	KT_TEST(test_gcc),
	KT_TEST(test_cxx),
	KT_TEST(test_git),
	KT_TEST(test_perl),
	KT_TEST(test_bash),
	KT_TEST(test_bad_setting),
	KT_TEST(test_kmem_run),
	KT_END,
};

static const struct kt_suite program_suite = { "malloc_programs", suite_init, suite_cleanup,
					       program_tests };

int main(int argc, char **argv)
{
	static const struct kt_suite *const suites[] = { &program_suite, NULL };
	int ret;

	if (!*KMEM_MALLOC_SO) {
		printf("SKIPPED: the malloc front end is not built (sanitizer build)\n");
		return 0;
	}
	ret = kt_main(argc, argv, suites);
	if (!jobs_run)
		printf("SKIPPED: none of the programs is installed\n");
	return ret;
}
