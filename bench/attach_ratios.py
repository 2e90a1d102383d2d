#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Embedded vs attached: the same benchmarks, both ways, in one run.

    bench/attach_ratios.py [--build DIR] [--rounds N] [--min-time S]
                           [--latency-rounds N] [--callgrind] [--keep]
                           [--object-owners on|off]

Starts build/daemon/kmemd on a temporary configuration (sockets, config and
log in a temporary directory; direct_mb=256 and highmem_mb=16 as
bench_kmem_init() gives embedded runs; hugepages=auto, so huge pages when the
system has them, in both modes alike only if the embedded run gets them too:
the header line of each mode says), then:

 1. runs, --rounds times, each benchmark binary embedded and then attached
    (KMEM_BENCH_ATTACH=<socket> makes bench_kmem_init() call kmem_attach()),
    alternating so that drift in the machine's speed hits both modes alike:
        bench_page_alloc  BM_kmem_pair/order:0          (alloc_pages + __free_pages)
        bench_slab        pair/kmem_cache/size:64       (kmem_cache_alloc + free)
        bench_slab        mixed_pair/kmalloc            (kmalloc of mixed sizes + kfree)
    and prints, per benchmark, the median ns of each mode and the ratio
    attached/embedded of those medians (target: <= 1.05; no allocation path
    goes to the daemon, so the only difference is where the memory is);
 2. runs bench_attach_latency: kmem_attach() + kmem_detach() against the
    daemon, interleaved with an embedded kmem_init() + kmem_exit() of the same
    sizes and a bare connect() + close() of the socket, and prints the
    ratios (and the medians, as secondary information);
 3. with --callgrind (valgrind installed): the instruction counts of the page
    pair (bench_pair_count) and of the kmem_cache 64 B / kmalloc mixed pairs
    (bench_slab_pair_count) under callgrind with --fake-rseq, embedded and
    attached (the client under valgrind, the daemon outside it).  Counts are
    deterministic, so this ratio does not suffer from noise;
 4. stops the daemon (SIGTERM) and removes the temporary directory.

Only ratios measured in this one run mean anything on a shared machine.
"""
import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# (label, binary, filter, key in the JSON, counter)
BENCHES = (
    ("page order-0 pair", "bench_page_alloc", "^BM_kmem_pair/order:0/real_time/threads:1$", "per_pair"),
    ("kmem_cache 64 B pair", "bench_slab", "^pair/kmem_cache/size:64/real_time/threads:1$", "per_op"),
    ("kmalloc mixed pair", "bench_slab", "^mixed_pair/kmalloc/real_time/threads:1$", "per_op"),
)


def start_daemon(build, tmp, object_owners):
    kmemd = os.path.join(build, "daemon", "kmemd")
    if not os.access(kmemd, os.X_OK):
        sys.exit("%s not built" % kmemd)
    sock = os.path.join(tmp, "kmemd.sock")
    ctl = os.path.join(tmp, "kmemd.ctl")
    conf = os.path.join(tmp, "kmemd.conf")
    with open(conf, "w") as f:
        f.write("# bench/attach_ratios.py\nname = bench\nsocket = %s\nctl_socket = %s\n"
                "socket_mode = 0666\ndirect_mb = 256\nhighmem_mb = 16\nhugepages = auto\n"
                "kswapd = on\nwatchdog = no\nlog_level = info\nobject_owners = %s\n"
                % (sock, ctl, object_owners))
    log = open(os.path.join(tmp, "kmemd.log"), "w")
    env = dict(os.environ)
    env.pop("NOTIFY_SOCKET", None)
    proc = subprocess.Popen([kmemd, "--config", conf, "--foreground"], stdout=log,
                            stderr=subprocess.STDOUT, env=env)
    for _ in range(200):
        if os.path.exists(sock) and os.path.exists(ctl):
            return proc, sock
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    sys.exit("kmemd did not start; its log:\n" + open(os.path.join(tmp, "kmemd.log")).read())


def stop_daemon(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


def run_bench(path, flt, counter, min_time, attach):
    env = dict(os.environ)
    env.pop("KMEM_BENCH_ATTACH", None)
    if attach:
        env["KMEM_BENCH_ATTACH"] = attach
    cmd = [path, "--benchmark_format=json", "--benchmark_filter=" + flt,
           "--benchmark_min_time=%g" % min_time]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, check=False)
    if proc.returncode != 0:
        sys.exit("%s (%s) exited with %d:\n%s" % (path, "attached" if attach else "embedded",
                                                proc.returncode, proc.stderr.decode()))
    data = json.loads(proc.stdout)
    vals = [b[counter] * 1e9 for b in data.get("benchmarks", [])
            if b.get("run_type", "iteration") == "iteration" and counter in b]
    if not vals:
        sys.exit("%s: no result for %s" % (path, flt))
    return statistics.median(vals), data.get("context", {}).get("kmem", "?")


def callgrind(build, attach, prog, args, toggle):
    out = tempfile.mktemp(prefix="cg.")
    env = dict(os.environ)
    env.pop("KMEM_BENCH_ATTACH", None)
    if attach:
        env["KMEM_BENCH_ATTACH"] = attach
    cmd = ["valgrind", "--tool=callgrind", "--toggle-collect=" + toggle,
           "--callgrind-out-file=" + out, os.path.join(build, "bench", prog)] + args
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, check=False)
    if proc.returncode != 0:
        print("   %s failed (%s):\n%s" % (prog, "attached" if attach else "embedded",
                                         proc.stderr.decode()[-2000:]))
        return None
    try:
        with open(out) as f:
            for line in f:
                if line.startswith(("summary:", "totals:")):
                    return int(line.split()[1])
    finally:
        if os.path.exists(out):
            os.unlink(out)
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, allow_abbrev=False,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"), help="build directory")
    ap.add_argument("--rounds", type=int, default=5, help="embedded/attached pairs of runs")
    ap.add_argument("--min-time", type=float, default=0.3, help="seconds per benchmark run")
    ap.add_argument("--latency-rounds", type=int, default=200)
    ap.add_argument("--pairs", type=int, default=100000, help="pairs counted under callgrind")
    ap.add_argument("--callgrind", action="store_true", help="also count instructions")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    ap.add_argument("--object-owners", choices=("on", "off"), default="on",
                    help="kmemd's object_owners: its kmalloc caches record each object's "
                         "client (on, the default) or keep the kernel's layout (off)")
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="kmem-attach-bench.")
    os.chmod(tmp, 0o755)
    proc, sock = start_daemon(args.build, tmp, args.object_owners)
    status = 0
    try:
        bench = os.path.join(args.build, "bench")
        samples = {b[0]: {"emb": [], "att": []} for b in BENCHES}
        desc = {}
        for r in range(args.rounds):
            for label, binary, flt, counter in BENCHES:
                # Alternate which mode goes first, so neither always runs warm.
                order = (None, sock) if r % 2 == 0 else (sock, None)
                for mode in order:
                    v, d = run_bench(os.path.join(bench, binary), flt, counter, args.min_time, mode)
                    key = "att" if mode else "emb"
                    samples[label][key].append(v)
                    desc[key] = d
            print("round %d/%d done" % (r + 1, args.rounds), file=sys.stderr, flush=True)
        print("embedded: %s" % desc.get("emb"))
        print("attached: %s" % desc.get("att"))
        print("rounds: %d, alternating embedded/attached; median of each mode; kmemd object_owners = %s\n" % (args.rounds, args.object_owners))
        print("%-22s %12s %12s %8s %8s  %12s" % ("benchmark", "embedded ns", "attached ns",
                                                "medians", "paired", "range"))
        for label, _, _, _ in BENCHES:
            e = statistics.median(samples[label]["emb"])
            a = statistics.median(samples[label]["att"])
            # Also the median of the per-round ratios: each round's two runs are adjacent.
            rr = sorted(x / y for x, y in zip(samples[label]["att"], samples[label]["emb"]))
            pr = statistics.median(rr)
            print("%-22s %12.1f %12.1f %8.3f %8.3f  %5.3f..%5.3f%s"
                  % (label, e, a, a / e, pr, rr[0], rr[-1], "" if pr <= 1.05 else "  > 1.05"))
        print("(medians: att/emb of the two modes' medians; paired: median of the per-round\n"
              " ratios, each round's two runs adjacent in time, the estimate the 5% target is\n"
              " checked on; range: the lowest and highest per-round ratio)\n")

        lat = os.path.join(bench, "bench_attach_latency")
        out = subprocess.run([lat, sock, str(args.latency_rounds)], stdout=subprocess.PIPE,
                             check=False)
        print("attach latency (bench_attach_latency, %d rounds):" % args.latency_rounds)
        print(out.stdout.decode())
        if out.returncode:
            status = 1

        if args.callgrind:
            if not shutil.which("valgrind"):
                print("callgrind: valgrind not installed, skipped")
            else:
                n = str(args.pairs)
                rows = (("page order-0 pair", "bench_pair_count", ["--fake-rseq", n, "0"],
                         "bench_pair_loop"),
                        ("kmem_cache 64 B pair", "bench_slab_pair_count",
                         ["--fake-rseq", "kmem_cache64", n], "bench_slab_count_loop"),
                        ("kmalloc mixed pair", "bench_slab_pair_count",
                         ["--fake-rseq", "kmalloc-mixed", n], "bench_slab_count_loop"))
                print("callgrind, --fake-rseq, Ir per pair (client under valgrind, daemon native)")
                print("%-22s %10s %10s %8s" % ("pair", "embedded", "attached", "att/emb"))
                for label, prog, pargs, toggle in rows:
                    e = callgrind(args.build, None, prog, pargs, toggle)
                    a = callgrind(args.build, sock, prog, pargs, toggle)
                    if e and a:
                        print("%-22s %10.1f %10.1f %8.3f" % (label, e / args.pairs, a / args.pairs,
                                                           a / e))
    finally:
        rc = stop_daemon(proc)
        if rc:
            print("kmemd exited with %d; log in %s" % (rc, tmp))
            args.keep = True
            status = 1
        if args.keep:
            print("kept %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(status)


if __name__ == "__main__":
    main()
