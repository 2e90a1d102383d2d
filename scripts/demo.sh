#!/usr/bin/env bash
# The quick start's main job: install the dependencies, build, reserve huge
# pages, start kmemd on conf/kmemd.conf (two fake NUMA nodes), run two
# processes that share kmalloc'd objects by raw pointer through it, show
# the daemon's state with kmemctl, run an unmodified program (perl) on its
# memory through the malloc front end, and stop the daemon cleanly.
#
# The daemon's sockets go to a private directory, so a kmemd already
# running as a system service is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
cmake -S . -B build >/dev/null
cmake --build build -j"$(nproc)" --target kmemd kmemctl kmem-share-demo kmem-malloc >/dev/null

nodes=2 direct_mb=64 highmem_mb=32
run=$(mktemp -d /tmp/kmemd-demo.XXXXXX)
sock=$run/kmemd.sock ctl=$run/kmemd.ctl
daemon_pid=""
need=$(( nodes * direct_mb / 2 ))
knob=/proc/sys/vm/nr_hugepages
old=""

cleanup() {
	if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
		kill -TERM "$daemon_pid"
		wait "$daemon_pid" || true
	fi
	[ -n "$old" ] && echo "$old" > "$knob"
	rm -rf "$run"
}
trap cleanup EXIT

if [ -w "$knob" ]; then
	old=$(cat "$knob")
	free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
	[ "$free" -lt "$need" ] && echo $(( old + need - free )) > "$knob"
	echo "huge pages: $(awk '/HugePages_Free/ {print $2}' /proc/meminfo) free of $(cat "$knob") reserved (2 MiB each)"
else
	echo "not root: no huge pages reserved, kmemd falls back to shared memory"
fi

echo "== kmemd on conf/kmemd.conf ($nodes fake NUMA nodes, sockets in $run)"
./build/daemon/kmemd --config conf/kmemd.conf --foreground \
	--set socket="$sock" --set ctl_socket="$ctl" \
	--set fake_numa=$nodes --set direct_mb=$direct_mb --set highmem_mb=$highmem_mb &
daemon_pid=$!
for _ in $(seq 100); do
	[ -S "$ctl" ] && ./build/kmemctl --socket "$ctl" info >/dev/null 2>&1 && break
	sleep 0.1
done

echo "== two processes sharing kmalloc'd objects through kmemd"
KMEM_SOCKET=$sock ./build/kmem-share-demo "$sock"

for view in buddyinfo slabinfo numastat clients; do
	echo "== kmemctl $view"
	./build/kmemctl --socket "$ctl" "$view"
done

echo "== an unmodified program on kmemd's memory: perl through kmem-run --attach"
./build/malloc/kmem-run --attach="$sock" perl -e \
	'my @a = map { "x" x 100 } 1 .. 100000; sleep 3; print scalar(@a), " strings held\n"' &
perl_pid=$!
for _ in $(seq 50); do
	./build/kmemctl --socket "$ctl" clients 2>/dev/null | grep -q perl && break
	sleep 0.1
done
echo "== kmemctl clients (perl's heap, live)"
./build/kmemctl --socket "$ctl" clients
wait "$perl_pid"

echo "== stopping kmemd"
kill -TERM "$daemon_pid"
wait "$daemon_pid"
daemon_pid=""
