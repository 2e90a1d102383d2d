#!/bin/sh
# SPDX-License-Identifier: MIT
#
# callgrind.sh - instructions per alloc_pages()/__free_pages() pair.
#
#   bench/callgrind.sh [BUILD_DIR [PAIRS [ORDER]]]
#	(defaults: <repo>/build, 100000 pairs, order 0)
#
# Runs bench_pair_count under callgrind, collecting only inside
# bench_pair_loop(), which does exactly PAIRS pairs after a warm-up that is
# not collected, and prints Ir / PAIRS.  Callgrind counts instructions, not
# time, so the numbers repeat from run to run.
#
# Two counts:
#  1. locked: Valgrind does not support rseq, so glibc's rseq registration
#     fails under it and kmem runs its per-CPU lists with per-CPU mutexes
#     (KMEM_PCP_LOCKED), as it would natively with glibc.pthread.rseq=0.
#  2. rseq, emulated: bench_pair_count --fake-rseq makes kmem believe rseq is
#     registered (it sets __rseq_size and the thread's rseq cpu_id to 0), so
#     kmem takes its rseq code path; the critical sections then simply run
#     through, as they do natively when not preempted.  This is the
#     instruction count of the native fast path, measured without a kernel
#     rseq registration; it says nothing about aborts.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${1:-$here/../build}
pairs=${2:-100000}
order=${3:-0}
prog=$build/bench/bench_pair_count

command -v valgrind >/dev/null || { echo "callgrind.sh: valgrind is not installed" >&2; exit 1; }
[ -x "$prog" ] || { echo "callgrind.sh: $prog not built" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# count LABEL [--fake-rseq]
count() {
	label=$1
	shift
	out=$tmp/callgrind.$label
	valgrind --tool=callgrind --toggle-collect=bench_pair_loop --callgrind-out-file="$out" \
		"$prog" "$@" "$pairs" "$order" >"$tmp/prog.out" 2>"$tmp/valgrind.err" || {
		cat "$tmp/prog.out" "$tmp/valgrind.err" >&2
		exit 1
	}
	ir=$(awk '/^(summary|totals):/ { print $2; exit }' "$out")
	[ -n "$ir" ] || { echo "callgrind.sh: no Ir total in $out" >&2; exit 1; }
	echo "== $label: $(sed -n 's/^mode: //p' "$tmp/prog.out")"
	awk -v ir="$ir" -v n="$pairs" -v o="$order" 'BEGIN {
		printf "   Ir in bench_pair_loop: %d for %d order-%d pairs\n", ir, n, o
		printf "   Ir per pair: %.1f (includes ~5 of loop and call overhead)\n", ir / n
	}'
	# Where they go: self Ir per pair by file:function (inlined code is
	# attributed to the header it comes from).
	if command -v callgrind_annotate >/dev/null; then
		# The table of functions is the one after the sixth dashed line.
		callgrind_annotate "$out" 2>/dev/null | awk -v n="$pairs" -v root="$root/" '
			/^-+$/ { if (++dash >= 7) exit; next }
			dash == 6 && /^ *[0-9,]+ / {
				v = $1; gsub(",", "", v)
				sub(/^ *[0-9,]+ +(\([^)]*\) +)?/, "")
				sub(/ \[.*\]$/, "")
				if (index($0, root) == 1) $0 = substr($0, length(root) + 1)
				if (v / n >= 0.5) printf "   %8.1f  %s\n", v / n, $0
			}'
	fi
}

echo "bench_pair_count under callgrind (self Ir per pair by function below each total)"
count locked
echo "   NOTE: valgrind cannot run rseq (glibc's registration fails), so this is kmem's"
echo "         per-CPU-lock fallback (KMEM_PCP_LOCKED), not the rseq fast path."
count rseq-emulated --fake-rseq
echo "   NOTE: rseq registration faked under valgrind (see the header of this script):"
echo "         the instructions of the uninterrupted rseq fast path, single thread."
