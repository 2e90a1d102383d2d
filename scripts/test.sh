#!/usr/bin/env bash
# Installs the dependencies, builds kmem and runs every test suite.
# Run as root on Debian 12 (huge-page tests skip themselves otherwise).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
werror=OFF
[ "${CI:-}" = true ] && werror=ON
cmake -S . -B build -DKMEM_WERROR="$werror" >/dev/null
cmake --build build -j"$(nproc)"
cd build
ctest --output-on-failure
