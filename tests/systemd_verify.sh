#!/bin/sh
# systemd-analyze verify on kmemd.service and kmemd.socket, as generated in
# the build tree (build/systemd/verify): the same units, with ExecStart=
# naming the build's kmemd, because verify insists that the binary exists
# and the installed /usr/local/sbin/kmemd may not.  Any message at all
# (an unknown key, a value it cannot parse) is a failure: verify itself
# exits 0 on most of them.
set -u
dir=$1
if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "SKIPPED: systemd-analyze not installed (apt-get install systemd)"
	exit 0
fi
out=$(cd "$dir" && systemd-analyze verify ./kmemd.service ./kmemd.socket 2>&1)
rc=$?
if [ $rc -ne 0 ] || [ -n "$out" ]; then
	echo "systemd-analyze verify failed (status $rc):"
	echo "$out"
	exit 1
fi
echo "systemd-analyze verify: kmemd.service and kmemd.socket are clean"
