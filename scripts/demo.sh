#!/usr/bin/env bash
# The quick start's main job: install the dependencies, build, reserve huge
# pages, and run the demo workload on two fake NUMA nodes, printing the free
# lists the way /proc/buddyinfo does and the numastat counters.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
cmake -S . -B build >/dev/null
cmake --build build -j"$(nproc)" --target kmem-demo >/dev/null

nodes=2 direct_mb=64
need=$(( nodes * direct_mb / 2 ))
knob=/proc/sys/vm/nr_hugepages
old=""
if [ -w "$knob" ]; then
	old=$(cat "$knob")
	free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
	if [ "$free" -lt "$need" ]; then
		echo $(( old + need - free )) > "$knob"
		trap 'echo "$old" > "$knob"' EXIT
	fi
	echo "huge pages: $(awk '/HugePages_Free/ {print $2}' /proc/meminfo) free of $(cat "$knob") reserved (2 MiB each)"
else
	echo "not root: no huge pages reserved, kmem falls back to shared memory"
fi

./build/kmem-demo "fake_numa=$nodes,direct_mb=$direct_mb,highmem_mb=32"
