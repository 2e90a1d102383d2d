#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Run bench_atomic and print each helper's cost against pthread_mutex.

    bench/atomic_ratios.py [--build DIR] [--json FILE] [BENCHMARK ARGS...]

Each row is one pair (enter + leave) of a kmem atomic-section helper or a
reference, all in one process, one after the other; times are the median
over --benchmark_repetitions (5 unless given): CPU time for the
single-threaded rows (steadier than wall time on a shared machine; the
pairs do not sleep), wall time for the contended rows.  Printed: ns per pair and
the ratio to the uncontended pthread_mutex lock + unlock pair of the same
run (contended rows: to the contended mutex row).

Arguments this script does not know go to bench_atomic.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def default_build_dir():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(os.path.dirname(here), "build", "bench")


def collect(data):
    """{name: median ns per pair}, name without the "atomic/" prefix and thread suffix."""
    samples = {}
    for b in data.get("benchmarks", []):
        if b.get("run_type", "iteration") != "iteration":
            continue
        name = b.get("run_name", b["name"])
        name = name.split("/threads:")[0].split("/real_time")[0]
        name = name[len("atomic/"):] if name.startswith("atomic/") else name
        # one thread: CPU time (steady on a loaded machine); threads: wall time
        t = b["real_time"] if "/threads:" in b["name"] else b["cpu_time"]
        t *= UNIT_NS.get(b.get("time_unit", "ns"), 1.0)
        samples.setdefault(name, []).append(t)
    return {k: statistics.median(v) for k, v in samples.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=default_build_dir())
    ap.add_argument("--json", help="read this bench_atomic JSON output instead of running it")
    args, rest = ap.parse_known_args()
    if args.json:
        with open(args.json) as f:
            data = json.load(f)
    else:
        cmd = [os.path.join(args.build, "bench_atomic"), "--benchmark_format=json"]
        if not any(a.startswith("--benchmark_repetitions") for a in rest):
            cmd.append("--benchmark_repetitions=5")
        out = subprocess.run(cmd + rest, check=True, stdout=subprocess.PIPE).stdout
        data = json.loads(out)
    med = collect(data)
    ref = med.get("mutex_pair")
    cref = med.get("contended/mutex_pair")
    print(f"{'pair':34} {'ns':>9} {'x mutex':>9}")
    for name, ns in med.items():
        base = cref if name.startswith("contended/") else ref
        ratio = f"{ns / base:9.2f}" if base else f"{'-':>9}"
        print(f"{name:34} {ns:9.1f} {ratio}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
