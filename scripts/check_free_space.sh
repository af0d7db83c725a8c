#!/usr/bin/env bash
# usage: check_free_space.sh MIN_MB DIR...  (make setup, before pip installs the lock into the virtual environment)
# Fails with a clear message when a DIR's file system has less than MIN_MB megabytes free, rather than let pip
# stop half-way with "[Errno 28] No space left on device". pip unpacks in $TMPDIR, so make setup passes it too.
set -euo pipefail
min_mb=$1
shift
for dir in "$@"; do
  free_mb=$(df -Pk "$dir" | awk 'NR == 2 {print int($4 / 1024)}')
  if [ "$free_mb" -lt "$min_mb" ]; then
    echo "setup: $dir has $free_mb MB free; installing the packages needs about $min_mb MB there" \
      "(.venv takes 1.8 GB): free some space, or run make setup MIN_FREE_MB=0 to try anyway" >&2
    exit 1
  fi
done
