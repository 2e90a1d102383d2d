#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Run bench_vmalloc and compare kmem's vmalloc with mmap, malloc and mimalloc.

    bench/vmalloc_ratios.py [--build DIR] [--json FILE] [--kmem_defaults] [BENCHMARK ARGS...]

--kmem_defaults runs kmem on its default options (a 64 MiB vmalloc is then
charged partly to Normal) instead of direct_mb=64,highmem_mb=256.

Each benchmark is one whole cycle on a 64 MiB buffer: allocate, write one
byte in every 4 KiB page (upwards: seq, or in a fixed shuffled order:
random; none: no writes), free.  All allocators run in the same process, one
after the other, so their ratios come from one run.  Times are wall time
(the median over --benchmark_repetitions); the benchmark thread's own CPU
time would miss the work of kmem's fault-handling thread, so the CPU
column is the whole process's.

Printed per allocator and touch order: ms per cycle, ns per page (wall),
cpu ns/page (process CPU time, every thread's: steadier on a loaded machine
but blind to waiting for wakeups), faults per cycle (userfaultfd faults for vmalloc/vzalloc, kernel minor faults for the
others) and us per fault; then the ratios

    vmalloc seq / mmap seq        the target: at most 2x
    vzalloc seq / mmap seq        the same with zeroed pages, as mmap's are
    vmalloc random / mmap random

Arguments this script does not know go to bench_vmalloc.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

ALLOCS = ("vmalloc", "vzalloc", "mmap", "malloc", "mimalloc")
TOUCHES = ("none", "seq", "random")
UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def default_build_dir():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(os.path.dirname(here), "build", "bench")


def collect(data):
    """{(alloc, touch): {field: median}} with fields ms, per_page, faults, per_fault."""
    samples = {}
    for b in data.get("benchmarks", []):
        if b.get("run_type", "iteration") != "iteration":
            continue
        parts = b.get("run_name", b["name"]).split("/")
        if len(parts) < 3 or parts[0] != "vm":
            continue
        alloc, touch = parts[1], parts[2]
        vm = alloc in ("vmalloc", "vzalloc")
        s = samples.setdefault((alloc, touch), {})
        s.setdefault("ms", []).append(b["real_time"] * UNIT_NS[b.get("time_unit", "ns")] / 1e6)
        s.setdefault("per_page", []).append(b.get("per_page", 0) * 1e9)
        s.setdefault("cpu_page", []).append(b.get("cpu_per_page", 0) * 1e9)
        s.setdefault("faults", []).append(b.get("uffd_faults" if vm else "minflt", 0))
        if "per_fault" in b:
            s.setdefault("per_fault", []).append(b["per_fault"] * 1e6)
    reps = max((len(v["ms"]) for v in samples.values()), default=0)
    return {k: {f: statistics.median(v) for f, v in s.items()} for k, s in samples.items()}, reps


def table(headings, rows):
    widths = [max(len(str(x)) for x in col) for col in zip(headings, *rows)]
    line = lambda cells: "  ".join(str(c).rjust(w) for c, w in zip(cells, widths))
    return "\n".join([line(headings), line(["-" * w for w in widths])] + [line(r) for r in rows])


def fmt(v, spec):
    return "-" if v is None else spec % v


def main():
    ap = argparse.ArgumentParser(description=__doc__, allow_abbrev=False,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=default_build_dir(),
                    help="directory holding bench_vmalloc (default: %(default)s)")
    ap.add_argument("--json", metavar="FILE", help="save the run's JSON output here")
    args, extra = ap.parse_known_args()

    path = os.path.join(args.build, "bench_vmalloc")
    if not os.access(path, os.X_OK):
        sys.exit("%s not found: build first (cmake ... && make bench_vmalloc)" % path)
    cmd = [path, "--benchmark_format=json"] + extra
    print("running: " + " ".join(cmd), file=sys.stderr, flush=True)
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, check=False)
    if proc.returncode != 0:
        sys.exit("%s exited with status %d" % (path, proc.returncode))
    data = json.loads(proc.stdout)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(data, f, indent=1)
    res, reps = collect(data)
    if not res:
        sys.exit("no benchmark results (check --benchmark_filter)")

    ctx = data.get("context", {})
    print("host: %s, %s CPUs @ %s MHz; %s; load average %s" % (
        ctx.get("host_name", "?"), ctx.get("num_cpus", "?"), ctx.get("mhz_per_cpu", "?"),
        ctx.get("date", "?"), ctx.get("load_avg", "?")))
    print("vmalloc: %s" % ctx.get("vmalloc", "?"))
    print("mimalloc: %s" % ctx.get("mimalloc", "?"))
    print("repetitions: %d (median taken); wall time" % reps)
    print()
    rows = []
    for a in ALLOCS:
        for t in TOUCHES:
            r = res.get((a, t))
            if not r:
                continue
            rows.append([a, t, fmt(r["ms"], "%.3f"), fmt(r["per_page"], "%.1f"),
                         fmt(r["cpu_page"], "%.1f"),
                         fmt(r["faults"], "%.0f"),
                         fmt(r.get("per_fault") if r["faults"] >= 1 else None, "%.2f")])
    print("64 MiB cycle: allocate, write 1 byte per 4 KiB page, free "
          "(faults: userfaultfd for vmalloc/vzalloc, minor faults otherwise)")
    print(table(["alloc", "touch", "ms/cycle", "ns/page", "cpu ns/page", "faults", "us/fault"],
                rows))
    print()

    def ms(a, t):
        return res.get((a, t), {}).get("ms")

    def cpu(a, t):
        return res.get((a, t), {}).get("cpu_page")

    print("ratios (same run; wall time, and process CPU time in brackets):")
    for num, den, target in ((("vmalloc", "seq"), ("mmap", "seq"), 2.0),
                             (("vzalloc", "seq"), ("mmap", "seq"), None),
                             (("vmalloc", "random"), ("mmap", "random"), None),
                             (("vzalloc", "random"), ("mmap", "random"), None),
                             (("vmalloc", "seq"), ("malloc", "seq"), None),
                             (("vmalloc", "seq"), ("mimalloc", "seq"), None)):
        n, d = ms(*num), ms(*den)
        if n is None or d is None:
            continue
        line = "  %s %s / %s %s: %.2fx" % (num[0], num[1], den[0], den[1], n / d)
        cn, cd = cpu(*num), cpu(*den)
        if cn and cd:
            line += " (cpu %.2fx)" % (cn / cd)
        if target:
            line += "  (target <= %.0fx: %s)" % (target, "MET" if n / d <= target else "NOT MET")
        print(line)
    for a in ("vmalloc", "vzalloc"):
        r, s = res.get((a, "random")), res.get((a, "seq"))
        if r and s:
            print("  %s random touch: %.1f ns per page (%.0f faults of %.1f us), "
                  "%.2fx its sequential per-page cost" % (
                      a, r["per_page"], r["faults"], r.get("per_fault", 0),
                      r["per_page"] / s["per_page"]))
    if ctx.get("library_build_type") == "debug":
        print("note: libbenchmark reports a debug build (Debian's package); "
              "it does not matter at milliseconds per iteration")


if __name__ == "__main__":
    main()
