#!/usr/bin/env python3
"""Every malloc peer in one run, through LD_PRELOAD: wall time and peak RSS.

The stress patterns of bench/malloc_stress.c (larson, xmalloc, scratch,
rptest), real Debian programs (sort, xz, python3, gcc, git, perl, bash) and
a real server (redis-server under redis-benchmark on loopback: requests per
second, and the server's peak RSS)
run under glibc (nothing preloaded), jemalloc, tcmalloc, mimalloc and kmem
(libkmem-malloc.so), interleaved so that the machine's noise falls on all
alike, --repeat times; the table gives each one's median and its ratio to
the best in the same run (time), and to mimalloc (peak RSS).

  bench/malloc_ratios.py [--build build] [--repeat 3] [--only larson,sort]
                         [--threads 2] [--json out.json]

Only ratios mean anything on a shared machine; no figure here is a target
checked by a test.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

LIBDIR = "/usr/lib/x86_64-linux-gnu"
PEERS = [
    ("glibc", None),
    ("jemalloc", LIBDIR + "/libjemalloc.so.2"),
    ("tcmalloc", LIBDIR + "/libtcmalloc_minimal.so.4"),
    ("mimalloc", LIBDIR + "/libmimalloc.so.2"),
]

PYTHON_SCRIPT = r"""
d = {}
for r in range(6):
    d = {i: str(i) * (i % 7 + 1) for i in range(300000)}
    l = [list(range(i % 50)) for i in range(100000)]
    s = sorted(d.values(), key=len)
    del l, s
print(len(d))
"""

PERL_SCRIPT = r"""
my %h;
for my $r (1..4) {
    %h = ();
    $h{$_} = "x" x ($_ % 40) for 1..200000;
    my @k = sort { length($h{$a}) <=> length($h{$b}) } keys %h;
}
print scalar(keys %h), "\n";
"""

BASH_SCRIPT = r"""
x=0
for i in $(seq 1 300); do
    y=$( (x=$i; echo $((x * 2))) )
    a[$i]="$y-$i"
    ( unset a; a[1]=z ) ; x=$((x + y))
done
echo "$x ${#a[@]} ${a[7]}"
"""


def stress_cases(exe, threads):
    return {name: [exe, name, str(threads), "20"] for name in ("larson", "xmalloc", "scratch", "rptest")}


def program_cases(work):
    """Commands over inputs made once in @work; each output goes to /dev/null or work."""
    numbers = os.path.join(work, "numbers.txt")
    if not os.path.exists(numbers):
        import random
        rng = random.Random(1)
        with open(numbers, "w") as f:
            for _ in range(20):
                f.write("".join("%d\n" % rng.randrange(10 ** 9) for _ in range(100_000)))
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "malloc_stress.c")
    cases = {
        "sort": ["sort", "-n", "--parallel=2", "-S", "64M", "-o", os.path.join(work, "sorted"), numbers],
        "xz": ["sh", "-c", "head -c 6000000 %s | xz -T2 -3 | xz -d -T2 > /dev/null" % numbers],
        "python3": [sys.executable, "-c", PYTHON_SCRIPT],
        "gcc": ["gcc", "-O2", "-c", src, "-o", os.path.join(work, "stress.o")],
        "git": ["sh", "-c", "rm -rf %s/repo && git init -q %s/repo && cd %s/repo && "
                "cp %s . && for i in $(seq 1 20); do echo $i >> f; git add -A; "
                "git -c user.name=b -c user.email=b@b commit -qm $i; done && git log --oneline | wc -l"
                % (work, work, work, numbers)],
        "perl": ["perl", "-e", PERL_SCRIPT],
        "bash": ["bash", "-c", BASH_SCRIPT],
    }
    return {k: v for k, v in cases.items() if shutil.which(v[0]) or os.path.exists(v[0])}


def run_once(runner, cmd, preload):
    """Wall time and peak RSS (KiB) of @cmd under @preload, through malloc_stress exec."""
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    t0 = time.monotonic()
    p = subprocess.run([runner, "exec", preload or ""] + cmd, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.monotonic() - t0
    err = p.stderr.decode(errors="replace")
    rss = [int(l.split("=")[1]) for l in err.splitlines() if l.startswith("maxrss_kib=")]
    if p.returncode != 0 or not rss:
        raise RuntimeError("%s under %s: exit %d: %s" % (cmd[0], preload or "glibc", p.returncode, err.strip()[-300:]))
    return wall, rss[-1]


def redis_once(runner, preload, port):
    """Requests per second of redis-benchmark against a redis-server on @preload, and its peak RSS."""
    server = subprocess.Popen([runner, "exec", preload or "", "redis-server", "--port", str(port),
                               "--save", "", "--appendonly", "no", "--daemonize", "no"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True,
                             text=True).stdout.strip() != "PONG":
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("redis-server under %s did not start" % (preload or "glibc"))
            time.sleep(0.05)
        out = subprocess.run(["redis-benchmark", "-p", str(port), "-q", "--csv", "-n", "200000",
                              "-P", "16", "-d", "256", "-r", "100000", "-t", "set,get,lpush,lpop"],
                             capture_output=True, text=True, check=True).stdout
        rps = [float(line.split(",")[1].strip('"')) for line in out.splitlines()[1:] if line.count(",") >= 1]
        subprocess.run(["redis-cli", "-p", str(port), "shutdown", "nosave"], capture_output=True)
        _, err = server.communicate(timeout=10)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    rss = [int(l.split("=")[1]) for l in err.decode(errors="replace").splitlines()
           if l.startswith("maxrss_kib=")]
    return statistics.mean(rps), rss[-1] if rss else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--only", default="")
    ap.add_argument("--json", default="")
    args = ap.parse_args()

    kmem = os.path.join(args.build, "malloc", "libkmem-malloc.so")
    stress = os.path.join(args.build, "bench", "malloc_stress")
    for path in (kmem, stress):
        if not os.path.exists(path):
            sys.exit("malloc_ratios: %s is missing (build first: cmake --build %s)" % (path, args.build))
    peers = [(n, p) for n, p in PEERS if p is None or os.path.exists(p)] + [("kmem", os.path.abspath(kmem))]
    work = tempfile.mkdtemp(prefix="kmem-malloc-bench-")
    try:
        cases = stress_cases(os.path.abspath(stress), args.threads)
        cases.update(program_cases(work))
        if args.only:
            want = args.only.split(",")
            cases = {k: v for k, v in cases.items() if k in want}
        results = {}
        for name, cmd in cases.items():
            times = {p: [] for p, _ in peers}
            rss = {p: [] for p, _ in peers}
            for _ in range(args.repeat):
                for peer, preload in peers:
                    wall, maxrss = run_once(os.path.abspath(stress), cmd, preload)
                    times[peer].append(wall)
                    rss[peer].append(maxrss)
            med = {p: statistics.median(v) for p, v in times.items()}
            mrss = {p: statistics.median(v) for p, v in rss.items()}
            best = min(med.values())
            results[name] = {
                p: {"seconds": med[p], "ratio": med[p] / best,
                    "spread": (max(times[p]) - min(times[p])) / med[p] if med[p] else 0.0,
                    "peak_rss_kib": mrss[p],
                    "rss_vs_mimalloc": mrss[p] / mrss["mimalloc"] if mrss.get("mimalloc") else None}
                for p in med}
            line = "%-8s" % name + "".join(
                "  %s %.3fs %.2fx %dM" % (p, med[p], med[p] / best, mrss[p] // 1024) for p, _ in peers)
            print(line, flush=True)
        if shutil.which("redis-server") and shutil.which("redis-benchmark") and \
                (not args.only or "redis" in args.only.split(",")):
            rps = {p: [] for p, _ in peers}
            rss = {p: [] for p, _ in peers}
            for _ in range(args.repeat):
                for peer, preload in peers:
                    r, m = redis_once(os.path.abspath(stress), preload, 16379)
                    rps[peer].append(r)
                    rss[peer].append(m)
            med = {p: statistics.median(v) for p, v in rps.items()}
            mrss = {p: statistics.median(v) for p, v in rss.items()}
            best = max(med.values())
            # a rate: the ratio is the best's over this one's, so that 1.00x is the fastest here too
            results["redis"] = {p: {"requests_per_s": med[p], "ratio": best / med[p],
                                    "peak_rss_kib": mrss[p],
                                    "rss_vs_mimalloc": mrss[p] / mrss["mimalloc"] if mrss.get("mimalloc") else None}
                                for p in med}
            print("%-8s" % "redis" + "".join("  %s %.0f/s %.2fx %dM" % (p, med[p], best / med[p], mrss[p] // 1024)
                                             for p, _ in peers), flush=True)
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"repeat": args.repeat, "threads": args.threads, "results": results}, f, indent=1)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
