#!/bin/sh
# SPDX-License-Identifier: MIT
#
# slab_callgrind.sh - instructions per allocate+free pair: kmem's
# kmem_cache_alloc/free and kmalloc/kfree against glibc malloc, mimalloc
# (mi_malloc/mi_free), and jemalloc and tcmalloc (preloaded in place of
# malloc, when installed).
#
#   bench/slab_callgrind.sh [-v] [BUILD_DIR [PAIRS]]
#	(defaults: <repo>/build, 100000 pairs; -v: where the instructions go,
#	self Ir per pair by function, for the runs with objects held)
#
# Runs bench_slab_pair_count under callgrind, collecting only inside
# bench_slab_count_loop(), which does exactly PAIRS pairs (each writing the
# object's first byte) after a warm-up that is not collected, and prints
# Ir / PAIRS.  Callgrind counts instructions, not time, so the numbers
# repeat from run to run.  Modes: 64-byte objects (kmem_cache 64: a cache
# of 64 B objects; kmalloc 64; malloc 64; mimalloc 64) and the mixed sizes
# of bench_slab (log-uniform 8..8192 B, the same sequence for everyone).
#
# Two columns:
#  empty:      nothing else allocated, so every free of a pair empties the
#              page or slab its object came from;
#  4096 held:  4096 objects of the same sizes held throughout
#              (--resident 4096), as in bench_slab's *_resident scenarios.
#
# kmem is counted twice:
#  locked: Valgrind does not support rseq, so glibc's rseq registration
#     fails under it and kmem runs its per-CPU caches under per-CPU mutexes
#     (KMEM_PCP_LOCKED), as it would natively with glibc.pthread.rseq=0.
#  rseq-emul: --fake-rseq makes kmem believe rseq is registered (as
#     bench_pair_count --fake-rseq does for the page allocator), so kmem
#     takes its rseq fast path, whose critical sections simply run through
#     as they do natively when not preempted.  This is the native fast
#     path's instruction count; it says nothing about aborts.
set -eu

verbose=0
preload=
if [ "${1:-}" = "-v" ]; then
	verbose=1
	shift
fi
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${1:-$here/../build}
pairs=${2:-100000}
prog=$build/bench/bench_slab_pair_count

command -v valgrind >/dev/null || { echo "slab_callgrind.sh: valgrind is not installed" >&2; exit 1; }
[ -x "$prog" ] || { echo "slab_callgrind.sh: $prog not built" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# ir OUTFILE MODE [ARGS...]: Ir per pair of one run (breakdown in OUTFILE.txt with -v)
ir() {
	out=$1
	mode=$2
	shift 2
	env ${preload:+LD_PRELOAD="$preload"} \
	valgrind --tool=callgrind --toggle-collect=bench_slab_count_loop \
		--callgrind-out-file="$out" "$prog" "$@" "$mode" "$pairs" \
		>"$out.prog" 2>"$out.err" || {
		cat "$out.prog" "$out.err" >&2
		exit 1
	}
	total=$(awk '/^(summary|totals):/ { print $2; exit }' "$out")
	[ -n "$total" ] || { echo "slab_callgrind.sh: no Ir total in $out" >&2; exit 1; }
	awk -v ir="$total" -v n="$pairs" 'BEGIN { printf "%.1f", ir / n }'
}

# breakdown OUTFILE: self Ir per pair by file:function (inlined code is
# attributed to the header it comes from)
breakdown() {
	command -v callgrind_annotate >/dev/null || return 0
	# The table of functions is the one after the sixth dashed line.
	callgrind_annotate "$1" 2>/dev/null | awk -v n="$pairs" -v root="$root/" '
		/^-+$/ { if (++dash >= 7) exit; next }
		dash == 6 && /^ *[0-9,]+ / {
			v = $1; gsub(",", "", v)
			sub(/^ *[0-9,]+ +(\([^)]*\) +)?/, "")
			sub(/ \[.*\]$/, "")
			if (index($0, root) == 1) $0 = substr($0, length(root) + 1)
			if (v / n >= 0.5) printf "      %8.1f  %s\n", v / n, $0
		}'
}

n=0
# row LABEL MODE [--fake-rseq]
row() {
	label=$1
	mode=$2
	shift 2
	n=$((n + 1))
	a=$(ir "$tmp/cg.$n.a" "$mode" "$@")
	b=$(ir "$tmp/cg.$n.b" "$mode" "$@" --resident 4096)
	printf "%-28s %10s %10s\n" "$label" "$a" "$b"
	if [ "$verbose" = 1 ]; then
		breakdown "$tmp/cg.$n.b"
	fi
}

echo "bench_slab_pair_count under callgrind: $pairs pairs each, Ir per pair"
echo "(each includes ~10-15 Ir of loop and the one-byte write, the same for all)"
printf "%-28s %10s %10s\n" "allocator / sizes" "empty" "4096 held"
row "kmem_cache 64 B, rseq-emul" kmem_cache64 --fake-rseq
row "kmem_cache 64 B, locked" kmem_cache64
row "kmalloc 64 B, rseq-emul" kmalloc64 --fake-rseq
row "kmalloc 64 B, locked" kmalloc64
row "kmalloc mixed, rseq-emul" kmalloc-mixed --fake-rseq
row "kmalloc mixed, locked" kmalloc-mixed
row "glibc malloc 64 B" malloc64
row "glibc malloc mixed" malloc-mixed
row "mimalloc 64 B" mimalloc64
row "mimalloc mixed" mimalloc-mixed
# jemalloc and tcmalloc replace malloc (LD_PRELOAD), when installed.
for lib in jemalloc:libjemalloc.so.2 tcmalloc:libtcmalloc_minimal.so.4; do
	path=$(ldconfig -p 2>/dev/null | awk -v l="${lib#*:}" '$1 == l { print $NF; exit }')
	[ -n "$path" ] || continue
	preload=$path
	row "${lib%%:*} 64 B" malloc64
	row "${lib%%:*} mixed" malloc-mixed
	preload=
done
echo
echo "rseq-emul:  rseq registration faked under Valgrind (--fake-rseq): the instructions of"
echo "            kmem's uninterrupted rseq fast path, single thread (the native mode)."
echo "locked:     Valgrind cannot run rseq (glibc's registration fails), so kmem runs its"
echo "            per-CPU-lock fallback (KMEM_PCP_LOCKED), not the rseq fast path."
echo "empty:      nothing else live: each free empties its page (mimalloc then takes its"
echo "            page-retire path); 4096 held: 4096 objects of the same sizes live throughout."
