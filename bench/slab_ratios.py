#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Run bench_slab (and its jemalloc/tcmalloc builds) and compare kmem's object
allocators with the others.

    bench/slab_ratios.py [--build DIR] [--cpu] [--no-variants] [--json DIR]
                         [BENCHMARK ARGS...]
    bench/slab_ratios.py --from DIR [--cpu]     (the runs --json DIR saved)

bench_slab runs kmem (kmem_cache_*, kmalloc), glibc malloc, mimalloc
(mi_malloc/mi_free) and DPDK (rte_mempool_get/put) in one process.  jemalloc
and tcmalloc replace malloc in the whole program, so they have their own
builds, bench_slab_jemalloc and bench_slab_tcmalloc; each of those runs the
kmem families too, and each jemalloc/tcmalloc ratio is taken against the kmem
numbers of that same run.

For every scenario the table gives ns per operation (allocate + free; xfer:
per object handed from the producer thread to the consumer) for each
allocator, kmem's column from the bench_slab run, and

    kmem/best   max over peers P of time(kmem) / time(P), both from P's run:
                kmem against the peer it compares worst with ("best"),
                < 1 means kmem is faster than every peer
    kmem/mi     time(kmem) / time(mimalloc), same run

Times are the median over --benchmark_repetitions of the per_op counter:
wall time per operation per thread.  --cpu uses CPU time per operation
instead: steadier on a loaded machine (time the thread was preempted does
not count), but it counts the spinning of an xfer thread that waits for the
other, and not time asleep.

Arguments this script does not know (--benchmark_repetitions=5,
--benchmark_min_time=0.5, --benchmark_filter=...) go to the binaries.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

VARIANTS = ("jemalloc", "tcmalloc")
UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
# Peer columns, in order; "glibc" is bench_slab's malloc.
PEERS = ("glibc", "mimalloc", "dpdk") + VARIANTS
# Row order of the scenarios.
SCENARIOS = ("pair", "pair_resident", "batch", "xfer", "mixed_pair", "mixed_resident", "mixed_batch", "xfer_mixed")


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


def parse_name(run_name):
    """'pair/kmem_cache/size:64/real_time/threads:2' -> ('pair', 'kmem_cache', 'size:64', 2)."""
    parts = run_name.split("/")
    if len(parts) < 3:
        return None
    params, threads = [], 1
    for p in parts[2:]:
        if p.startswith("threads:"):
            threads = int(p.split(":")[1])
        elif ":" in p:
            params.append(p)
    return parts[0], parts[1], "/".join(params), threads


def collect(data, cpu):
    """{(scenario, allocator, params, threads): median ns/op}, repetitions."""
    samples = {}
    for b in data.get("benchmarks", []):
        if b.get("run_type", "iteration") != "iteration" or "per_op" not in b:
            continue
        key = parse_name(b.get("run_name", b["name"]))
        if not key:
            continue
        if cpu:
            ns = b["cpu_time"] * UNIT_NS[b.get("time_unit", "ns")] / b.get("ops", 1.0)
        else:
            ns = b["per_op"] * 1e9
        samples.setdefault(key, []).append(ns)
    reps = max((len(v) for v in samples.values()), default=0)
    return {k: statistics.median(v) for k, v in samples.items()}, reps


def fmt_ns(v):
    if v is None:
        return "-"
    return "%.1f" % v if v < 1000 else "%.0f" % v


def fmt_ratio(r):
    return "-" if r is None else "%.2f" % r


def table(headings, rows):
    widths = [max(len(str(x)) for x in col) for col in zip(headings, *rows)]
    line = lambda cells: "  ".join(str(c).rjust(w) for c, w in zip(cells, widths))
    return "\n".join([line(headings), line(["-" * w for w in widths])] + [line(r) for r in rows])


class Results:
    """Times per run: main (bench_slab) and one per malloc variant."""

    def __init__(self):
        self.runs = {}  # run label -> times

    def add(self, label, times):
        self.runs[label] = times

    def peer_time(self, peer, scen, params, th):
        """(peer's time, kmem-side run label) for a peer column."""
        if peer in VARIANTS:
            return self.runs.get(peer, {}).get((scen, "malloc", params, th)), peer
        alloc = "malloc" if peer == "glibc" else peer
        return self.runs.get("main", {}).get((scen, alloc, params, th)), "main"

    def kmem_time(self, run, kmem, scen, params, th):
        return self.runs.get(run, {}).get((scen, kmem, params, th))

    def rows_for(self, kmem):
        """Every (scenario, params, threads) that kmem allocator @kmem ran in the main run."""
        keys = {(s, p, t) for (s, a, p, t) in self.runs.get("main", {}) if a == kmem}
        order = {s: i for i, s in enumerate(SCENARIOS)}

        def sort_key(k):
            s, p, t = k
            size = int(p.split("size:")[1].split("/")[0]) if "size:" in p else 0
            return (order.get(s, 99), size, p, t)

        return sorted(keys, key=sort_key)

    def ratios(self, kmem, scen, params, th):
        """{peer: time(kmem in peer's run) / time(peer)}."""
        out = {}
        for peer in PEERS:
            pt, run = self.peer_time(peer, scen, params, th)
            kt = self.kmem_time(run, kmem, scen, params, th)
            if pt and kt:
                out[peer] = kt / pt
        return out


def print_table(res, kmem, title):
    peers = [p for p in PEERS if any(res.peer_time(p, s, pa, t)[0] is not None
                                     for s, pa, t in res.rows_for(kmem))]
    rows = []
    for scen, params, th in res.rows_for(kmem):
        kt = res.kmem_time("main", kmem, scen, params, th)
        r = res.ratios(kmem, scen, params, th)
        best = max(r, key=r.get) if r else None
        short = params.replace("size:", "").replace("batch:", "b").replace("resident:", "r")
        cells = [scen, short or "-", th, fmt_ns(kt)]
        cells += [fmt_ns(res.peer_time(p, scen, params, th)[0]) for p in peers]
        cells += [best or "-", fmt_ratio(r.get(best)), fmt_ratio(r.get("mimalloc"))]
        rows.append(cells)
    if not rows:
        return
    print(title)
    print(table(["scenario", "size", "thr", kmem] + list(peers) + ["best", "kmem/best", "kmem/mi"],
                rows))
    print()


def verdict(ok):
    return "MET" if ok else "NOT MET"


def print_targets(res, ctx):
    print("targets (1 thread; ratios from the same run as their peer):")
    for scen, params in (("pair", "size:64"), ("pair", "size:256"),
                         ("pair_resident", "size:64/resident:4096")):
        r = res.ratios("kmem_cache", scen, params, 1)
        if r:
            best = max(r, key=r.get)
            print("  kmem_cache %-13s %-22s no slower than the fastest peer (aim 0.70x): "
                  "%.2fx of %s  %s%s" % (scen, params, r[best], best, verdict(r[best] <= 1.0),
                                         ", aim met" if r[best] <= 0.7 else ""))
    for scen in ("mixed_pair", "mixed_resident", "mixed_batch"):
        params = "batch:1000" if scen == "mixed_batch" else "resident:4096" \
            if scen == "mixed_resident" else ""
        r = res.ratios("kmalloc", scen, params, 1)
        if "mimalloc" in r:
            print("  kmalloc %-15s at most 1.2x mimalloc: %.2fx  %s"
                  % (scen, r["mimalloc"], verdict(r["mimalloc"] <= 1.2)))
    pct = ctx.get("overhead_64_pct")
    if pct is not None:
        print("  slab memory overhead, 64 B objects, under 3%%: %.2f%%  %s"
              % (float(pct), verdict(float(pct) < 3.0)))
        print("    (%s)" % ctx.get("overhead_64", ""))
    if ctx.get("overhead_256"):
        print("  256 B objects: %s" % ctx.get("overhead_256"))
    print("    overhead = (num_slabs * pagesperslab * 4096 + 64 B of struct page per page)"
          " / (objects * size) - 1")


def main():
    ap = argparse.ArgumentParser(description=__doc__, allow_abbrev=False,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=default_build_dir(),
                    help="directory holding bench_slab (default: %(default)s)")
    ap.add_argument("--cpu", action="store_true",
                    help="CPU time per operation instead of wall time (see above)")
    ap.add_argument("--no-variants", action="store_true",
                    help="run bench_slab only, not the jemalloc/tcmalloc builds")
    ap.add_argument("--json", metavar="DIR", help="save each run's JSON output in DIR")
    ap.add_argument("--from", dest="from_dir", metavar="DIR",
                    help="run nothing: read the JSON files --json saved in DIR")
    args, extra = ap.parse_known_args()

    res = Results()
    outputs = {}
    if args.from_dir:
        for name in ["bench_slab"] + ["bench_slab_" + v for v in VARIANTS]:
            path = os.path.join(args.from_dir, name + ".json")
            if os.path.exists(path):
                with open(path) as f:
                    outputs[name] = json.load(f)
        if "bench_slab" not in outputs:
            sys.exit("no bench_slab.json in %s" % args.from_dir)
    else:
        main_bin = os.path.join(args.build, "bench_slab")
        if not os.access(main_bin, os.X_OK):
            sys.exit("%s not found: build first (cmake ... && make bench_slab)" % main_bin)
        outputs["bench_slab"] = run_binary(main_bin, extra)
        for v in VARIANTS if not args.no_variants else ():
            path = os.path.join(args.build, "bench_slab_" + v)
            if not os.access(path, os.X_OK):
                print("%s: not built, skipped" % v, file=sys.stderr)
                continue
            # kmem and this build's malloc only (not its mimalloc rows).
            outputs["bench_slab_" + v] = run_binary(path, extra, "/(kmem_cache|kmalloc|malloc)/")
    data = outputs["bench_slab"]
    times, reps = collect(data, args.cpu)
    if not times:
        sys.exit("no benchmark results (check --benchmark_filter)")
    res.add("main", times)
    for v in VARIANTS:
        if "bench_slab_" + v in outputs:
            res.add(v, collect(outputs["bench_slab_" + v], args.cpu)[0])
    if args.json and not args.from_dir:
        os.makedirs(args.json, exist_ok=True)
        for name, d in outputs.items():
            with open(os.path.join(args.json, name + ".json"), "w") as f:
                json.dump(d, f, indent=1)

    ctx = data.get("context", {})
    print("host: %s, %s CPUs @ %s MHz; %s" % (ctx.get("host_name", "?"), ctx.get("num_cpus", "?"),
                                             ctx.get("mhz_per_cpu", "?"), ctx.get("date", "?")))
    print("load average at start: %s" % (ctx.get("load_avg", "?")))
    print("kmem: %s" % ctx.get("kmem", "?"))
    print("malloc: %s; mimalloc: %s" % (ctx.get("malloc", "?"), ctx.get("mimalloc", "?")))
    print("dpdk: %s" % ctx.get("dpdk", "?"))
    print("mixed sizes: %s" % ctx.get("mixed_sizes", "?"))
    print("variants: %s" % (", ".join(l for l in res.runs if l != "main") or "none"))
    print("repetitions: %d (median taken); times: %s" % (
        reps, "CPU time per op (--cpu)" if args.cpu else "wall time per op per thread (per_op)"))
    print()
    print_table(res, "kmem_cache",
                "kmem_cache_alloc+free vs peers, ns per op (size: object bytes, b1000: "
                "batch of 1000, r4096: 4096 objects held)")
    print_table(res, "kmalloc",
                "kmalloc+kfree vs peers, ns per op (mixed: log-uniform 8..8192 B)")
    print_targets(res, ctx)
    if ctx.get("library_build_type") == "debug":
        print("note: libbenchmark reports a debug build (Debian's package); "
              "this affects the harness, not the timed C loops (100-1000 ops per iteration)")


if __name__ == "__main__":
    main()
