#!/usr/bin/env bash
# Installs exactly the Debian 12 packages kmem needs to build, test and
# benchmark.  Idempotent: when everything is already there it prints nothing
# and touches nothing (no apt-get update either).
set -euo pipefail

PACKAGES=(
	build-essential cmake pkg-config
	libnuma-dev liburcu-dev libhwloc-dev libjansson-dev libsystemd-dev
	libcunit1-dev libbenchmark-dev
	# comparison allocators for bench/
	libjemalloc-dev libgoogle-perftools-dev libmimalloc-dev
	# DPDK's rte_mempool, the bench/ slab comparison (optional there)
	libdpdk-dev
	# tools the tests and the quick start call
	valgrind procps util-linux
	# groff checks kmemctl(8) in test_kmemctl_cli
	groff-base
	# the real JSON Schema validator for kmemctl's --json replies (tests/ctl_schema_check.py)
	python3-jsonschema
	# systemd-analyze (the units' ctest) and systemd-socket-activate
	systemd
	# the real programs the malloc front end is tested and measured on
	# (tests/test_malloc_programs.c, bench/malloc_ratios.py)
	git xz-utils g++ perl redis-server redis-tools
)

missing=()
for p in "${PACKAGES[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}; run as root (or with sudo)" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# The package lists of a fresh machine may be empty or stale.
if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
