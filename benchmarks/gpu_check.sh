#!/usr/bin/env bash
# GPU check (under 8 minutes on one NVIDIA GPU): the test suite's GPU-marked tests, then one epoch of Mult-VAE,
# SGL and SASRec on MovieLens-100K and on a synthetic data set with ML-20M's shape (138k users, 20k items,
# 10M interactions), printing throughput and peak GPU memory.
#
#   bash benchmarks/gpu_check.sh            # uses .venv/bin/python, or PYTHON=/path/to/python
#
# The environment needs a CUDA build of torch (README: "On a CUDA machine"); the CPU build of the lock cannot
# see the GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
# the repository on the path, so that a python without the editable install (a bare GPU image) finds sslrec_utils
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
OUT=${OUT:-benchmarks/results/gpu}
mkdir -p "$OUT"

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || {
  echo "gpu_check: nvidia-smi failed: no NVIDIA GPU here" >&2
  exit 1
}
"$PYTHON" - <<'EOF'
import sys, torch
print(f"torch {torch.__version__}, CUDA {torch.version.cuda}, available: {torch.cuda.is_available()}")
if not torch.cuda.is_available():
    sys.exit("gpu_check: this torch cannot use the GPU; install a CUDA build (see README)")
print("device:", torch.cuda.get_device_name(0))
EOF

echo "== GPU-marked tests"
# only the files that hold GPU tests: the others may import tools (nbformat, ...) a GPU image lacks
mapfile -t gpu_tests < <(grep -l "pytest.mark.gpu" tests/test_*.py)
# a failure here is reported at the end, but does not cancel the timings below
tests_rc=0
timeout 150 "$PYTHON" -m pytest -m gpu -q -p no:cacheprovider "${gpu_tests[@]}" || tests_rc=$?

echo "== one epoch each, ml-100k and an ML-20M-shaped synthetic log"
# SGL last: each of its steps propagates over the whole graph (three views), so its epoch grows with the square
# of the log (on a log a tenth of this one a CPU epoch took 152 s, SASRec's 35 s); if the time limit stops it,
# the CSV, rewritten after each model, keeps the others
bench_rc=0
timeout 300 "$PYTHON" -m benchmarks.epoch_throughput --device cuda --models multvae,sasrec,sgl \
  --datasets ml-100k,synthetic:138000x20000x10000000 --out "$OUT/epoch_throughput.csv" || bench_rc=$?
echo "gpu_check: done (timings exit $bench_rc); results in $OUT/epoch_throughput.csv"
if [ "$tests_rc" -ne 0 ]; then
  echo "gpu_check: the GPU-marked tests failed (exit $tests_rc)" >&2
  exit "$tests_rc"
fi
exit "$bench_rc"
