#!/usr/bin/env bash
# Run one phase of `make test` and record its wall time: scripts/timed.sh NAME COMMAND [ARGS...]
# Prints "==> NAME" before and "<== NAME: N s" after, and appends "NAME N s ok|FAILED" to _build/timings.txt.
set -uo pipefail
name=$1
shift
mkdir -p _build
echo "==> ${name}: $*"
start=$(date +%s.%N)
"$@"
rc=$?
secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
status=ok
[ "$rc" -eq 0 ] || status="FAILED (exit $rc)"
printf '%-10s %8s s  %s\n' "$name" "$secs" "$status" | tee -a _build/timings.txt
exit "$rc"
