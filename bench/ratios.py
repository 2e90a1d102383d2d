#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Run bench_page_alloc and print how much faster kmem is than mmap and malloc.

    bench/ratios.py [--build DIR] [--mallocs] [--cpu] [--json FILE] [BENCHMARK ARGS...]

Every ratio is time(other) / time(kmem), taken from the same run of one
binary, so a ratio above 1 means kmem is faster.  Times are each family's
per_pair counter: wall time one thread spends on one allocate + free (for the
batches of 64 and 512 blocks, per block), the median over
--benchmark_repetitions.  --cpu uses CPU time per pair instead: steadier
on a loaded machine (preemption does not count), but blind to time spent
asleep, on mmap_lock or on kmem's zone lock, so the 2-thread numbers read
better than they are.

Arguments this script does not know (--benchmark_repetitions=5,
--benchmark_min_time=0.5, ...) go to the benchmark binary.  --mallocs also
runs bench_page_alloc_{jemalloc,tcmalloc,mimalloc} (those that were built),
each with only the kmem+touch and malloc families, and prints their malloc
ratios against the kmem numbers of that same run.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys

OTHER_MALLOCS = ("jemalloc", "tcmalloc", "mimalloc")
NAME_RE = re.compile(r"^(BM_\w+)/order:(\d+)/(?:blocks:(\d+)/)?")

# Column heading -> benchmark family.
FAMILIES = {
    "kmem": "BM_kmem_pair",
    "kmem+t": "BM_kmem_pair_touch",
    "mmap": "BM_mmap_pair",
    "mmap+t": "BM_mmap_pair_touch",
    "malloc+t": "BM_malloc_pair_touch",
    "kmem batch": "BM_kmem_batch_touch",
    "malloc batch": "BM_malloc_batch_touch",
}
# (heading, numerator, denominator): time(numerator) / time(kmem side).
RATIOS = (
    ("mmap/kmem", "mmap", "kmem"),
    ("mmap+t/kmem+t", "mmap+t", "kmem+t"),
    ("malloc+t/kmem", "malloc+t", "kmem"),
    ("malloc+t/kmem+t", "malloc+t", "kmem+t"),
)


def default_build_dir():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(os.path.dirname(here), "build", "bench")


def run_binary(path, extra, bench_filter=None):
    cmd = [path, "--benchmark_format=json"]
    if bench_filter:
        cmd.append("--benchmark_filter=" + bench_filter)
    cmd += extra
    print("running: " + " ".join(cmd), file=sys.stderr, flush=True)
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, check=False)
    if proc.returncode != 0:
        sys.exit("%s exited with status %d" % (path, proc.returncode))
    return json.loads(proc.stdout)


UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def collect(data, cpu=False):
    """{(family, order, blocks, threads): median per-pair ns}, repetitions.

    blocks is 1 for the pair families."""
    samples = {}
    for b in data.get("benchmarks", []):
        if b.get("run_type", "iteration") != "iteration":
            continue  # aggregates: we take our own median
        m = NAME_RE.match(b.get("run_name", b["name"]))
        if not m or "per_pair" not in b:
            continue
        key = (m.group(1), int(m.group(2)), int(m.group(3) or 1), int(b.get("threads", 1)))
        if cpu:
            # cpu_time: all threads' CPU time over all threads' iterations.
            ns = b["cpu_time"] * UNIT_NS[b.get("time_unit", "ns")] / key[2]
        else:
            ns = b["per_pair"] * 1e9
        samples.setdefault(key, []).append(ns)
    times = {k: statistics.median(v) for k, v in samples.items()}
    reps = max((len(v) for v in samples.values()), default=0)
    return times, reps


def keys(times):
    orders = sorted({k[1] for k in times if k[2] == 1})
    blocks = sorted({k[2] for k in times if k[2] > 1})
    threads = sorted({k[3] for k in times})
    return orders, blocks, threads


def fmt_ns(v):
    if v is None:
        return "-"
    return "%.1f" % v if v < 1000 else "%.0f" % v


def fmt_ratio(num, den):
    if num is None or den is None or den == 0:
        return "-"
    r = num / den
    return "%.2f" % r if r < 100 else "%.0f" % r


def table(headings, rows):
    widths = [max(len(str(x)) for x in col) for col in zip(headings, *rows)]
    line = lambda cells: "  ".join(str(c).rjust(w) for c, w in zip(cells, widths))
    out = [line(headings), line(["-" * w for w in widths])]
    out += [line(r) for r in rows]
    return "\n".join(out)


def t(times, col, order, threads, blocks=1):
    return times.get((FAMILIES[col], order, blocks, threads))


def print_main(data, times, reps, cpu):
    ctx = data.get("context", {})
    print("host: %s, %s CPUs @ %s MHz; %s" % (ctx.get("host_name", "?"), ctx.get("num_cpus", "?"),
                                             ctx.get("mhz_per_cpu", "?"), ctx.get("date", "?")))
    print("kmem: %s" % ctx.get("kmem", "?"))
    print("malloc: %s" % ctx.get("malloc", "?"))
    print("repetitions: %d (median taken); times: %s" % (reps, "CPU time (--cpu)" if cpu else
                                                          "wall time (per_pair counter)"))
    print()
    orders, blocks, threads = keys(times)
    pair_cols = ["kmem", "kmem+t", "mmap", "mmap+t", "malloc+t"]
    rows = []
    for o in orders:
        for th in threads:
            if all(t(times, c, o, th) is None for c in pair_cols):
                continue
            rows.append([o, th, 4096 << o] + [fmt_ns(t(times, c, o, th)) for c in pair_cols])
    if rows:
        print("ns per allocate+free pair, per thread (+t: one byte written per 4 KiB page)")
        print(table(["order", "threads", "bytes"] + pair_cols, rows))
        print()
    rows = []
    for o in orders:
        for th in threads:
            cells = [fmt_ratio(t(times, n, o, th), t(times, d, o, th)) for _, n, d in RATIOS]
            if any(c != "-" for c in cells):
                rows.append([o, th] + cells)
    if rows:
        print("ratios time(other)/time(kmem), same run; >1 means kmem is faster")
        print(table(["order", "threads"] + [h for h, _, _ in RATIOS], rows))
        print()
    rows = []
    for n in blocks:
        for th in threads:
            k, m = t(times, "kmem batch", 0, th, n), t(times, "malloc batch", 0, th, n)
            if k is not None or m is not None:
                rows.append([n, th, fmt_ns(k), fmt_ns(m), fmt_ratio(m, k)])
    if rows:
        print("batch: B order-0 / 4 KiB allocations (each written), then B frees; ns per block")
        print(table(["B", "threads", "kmem", "malloc", "malloc/kmem"], rows))
        print()
    k0, kt0 = t(times, "kmem", 0, 1), t(times, "kmem+t", 0, 1)
    mm0, ml0 = t(times, "mmap", 0, 1), t(times, "malloc+t", 0, 1)
    if None not in (k0, kt0, mm0, ml0):
        r_mmap, r_malloc, r_malloc_t = mm0 / k0, ml0 / k0, ml0 / kt0
        print("targets (order 0, 1 thread):")
        print("  kmem pair >= 20x faster than mmap+munmap: %.0fx  %s"
              % (r_mmap, "MET" if r_mmap >= 20 else "NOT MET"))
        print("  kmem pair faster than glibc malloc+free of 4 KiB: %.2fx (kmem untouched), "
              "%.2fx (both touched)  %s"
              % (r_malloc, r_malloc_t, "MET" if min(r_malloc, r_malloc_t) > 1 else
                 "MET untouched only" if r_malloc > 1 else "NOT MET"))
        if ctx.get("malloc", "glibc") != "glibc":
            print("  (note: this binary's malloc is %s, not glibc)" % ctx.get("malloc"))
    if ctx.get("library_build_type") == "debug":
        print("note: libbenchmark reports a debug build (Debian's package); "
              "this affects the harness, not the timed C code")


def print_other(name, data, times):
    ctx = data.get("context", {})
    orders, blocks, threads = keys(times)
    rows = []
    for o in orders:
        for th in threads:
            k, m = t(times, "kmem+t", o, th), t(times, "malloc+t", o, th)
            if k is not None and m is not None:
                rows.append(["pair", o, th, fmt_ns(k), fmt_ns(m), fmt_ratio(m, k)])
    for n in blocks:
        for th in threads:
            k, m = t(times, "kmem batch", 0, th, n), t(times, "malloc batch", 0, th, n)
            if k is not None and m is not None:
                rows.append(["batch%d" % n, 0, th, fmt_ns(k), fmt_ns(m), fmt_ratio(m, k)])
    print("malloc = %s (%s): ns per pair (both touched), ratio >1 means kmem is faster"
          % (name, ctx.get("malloc", "?")))
    print(table(["kind", "order", "threads", "kmem+t", "malloc+t", "malloc/kmem+t"], rows))
    print()


def main():
    ap = argparse.ArgumentParser(description=__doc__, allow_abbrev=False,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=default_build_dir(),
                    help="directory holding bench_page_alloc (default: %(default)s)")
    ap.add_argument("--mallocs", action="store_true",
                    help="also run the jemalloc/tcmalloc/mimalloc builds that exist")
    ap.add_argument("--cpu", action="store_true",
                    help="ratios of CPU time instead of wall time (see above)")
    ap.add_argument("--json", metavar="FILE", help="save the main run's JSON output here")
    args, extra = ap.parse_known_args()

    main_bin = os.path.join(args.build, "bench_page_alloc")
    if not os.access(main_bin, os.X_OK):
        sys.exit("%s not found: build first (cmake ... && make bench_page_alloc)" % main_bin)
    data = run_binary(main_bin, extra)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(data, f, indent=1)
    times, reps = collect(data, args.cpu)
    if not times:
        sys.exit("no benchmark results (check --benchmark_filter)")
    print_main(data, times, reps, args.cpu)

    if args.mallocs:
        print()
        for name in OTHER_MALLOCS:
            path = os.path.join(args.build, "bench_page_alloc_" + name)
            if not os.access(path, os.X_OK):
                print("%s: not built, skipped\n" % name)
                continue
            d = run_binary(path, extra, "BM_kmem_pair_touch|BM_kmem_batch|BM_malloc")
            print_other(name, d, collect(d, args.cpu)[0])


if __name__ == "__main__":
    main()
