#!/usr/bin/env bash
# GPU check (at most 8 minutes on one NVIDIA GPU, a step killed at its limit included): the test suite's
# GPU-marked tests, then an epoch of Mult-VAE, SGL and SASRec on MovieLens-100K and on a synthetic data set with
# ML-20M's shape (138k users, 20k items, 10M interactions), printing throughput and peak GPU memory.
#
#   bash benchmarks/gpu_check.sh            # uses .venv/bin/python (else python3), or PYTHON=/path/to/python
#
# It reads MovieLens-100K from the data cache (data/ml-100k, or $SSLREC_DATA) and downloads nothing: on a machine
# without internet, bring that folder along (the device tool: carry=["data/ml-100k"]).
# The environment needs a CUDA build of torch (README: "On a CUDA machine"); the CPU build of the lock cannot
# see the GPU. Everything it prints also goes to files under OUT (default benchmarks/results/gpu): the tests'
# log and JUnit XML, the timings' log and CSVs, so that a cut-off console keeps nothing from being lost.
# DEVICE=cpu BIG=synthetic:2000x500x50000 runs the same steps on the CPU, small, to try the script itself (as the
# unit tests do: test_gpu_check_runs_every_step_in_its_cpu_mode).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${PYTHON:-}" ]; then  # the project's environment, else the machine's
  if [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
DEVICE=${DEVICE:-cuda}
BIG=${BIG:-synthetic:138000x20000x10000000}
# the repository on the path, so that a python without the editable install (a bare GPU image) finds sslrec_utils
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONUNBUFFERED=1
OUT=${OUT:-benchmarks/results/gpu}
mkdir -p "$OUT"
# `timeout` sends SIGINT (Python's Ctrl-C: pytest prints its summary, the trainer ends its epoch cleanly), then
# SIGKILL 15 s later; a step cut short is said, and exits 3 rather than timeout's 124. The large log's step gets
# what is left of 465 s, so that the whole script ends inside 8 minutes (480 s) with its summary printed, leaving
# a device session of 15 minutes the time to start a machine and run it again.
limit() { timeout -s INT -k 15 "$@"; }
deadline=$((SECONDS + 465))

if [ "$DEVICE" = cuda ]; then
  limit 60 nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || {
    echo "gpu_check: nvidia-smi failed: no NVIDIA GPU here" >&2
    exit 1
  }
fi
# what the steps below import, checked first: a missing package stops the run here, in one line
DEVICE=$DEVICE limit 60 "$PYTHON" - <<'EOF'
import importlib.util, os, sys
print(f"Python {sys.version.split()[0]}")
if sys.version_info < (3, 11):
    sys.exit("gpu_check: sslrec_utils needs Python 3.11 or later")
missing = [m for m in ("torch", "numpy", "pandas", "scipy", "pyarrow", "tqdm") if importlib.util.find_spec(m) is None]
if missing:
    sys.exit(f"gpu_check: missing packages: {', '.join(missing)}")
import torch
print(f"torch {torch.__version__}, CUDA {torch.version.cuda}, available: {torch.cuda.is_available()}")
if os.environ["DEVICE"] == "cuda":
    if not torch.cuda.is_available():
        sys.exit("gpu_check: this torch cannot use the GPU; install a CUDA build (see README)")
    native = torch.cuda.is_bf16_supported(including_emulation=False)  # as the trainer's mixed precision asks
    print("device:", torch.cuda.get_device_name(0), "computes in bfloat16:", native)
from sslrec_utils.data.movielens import data_folder, recbole_ml100k_dir
cache = data_folder() / "ml-100k" / "ratings.parquet"
if not cache.is_file() and recbole_ml100k_dir() is None:  # RecBole's wheel carries a copy
    sys.exit(f"gpu_check: no MovieLens-100K cache at {cache.parent}: bring data/ml-100k along (no download here)")
EOF

echo "== GPU-marked tests"
# only the files that hold GPU tests: the others may import tools (nbformat, ...) a GPU image lacks
mapfile -t gpu_tests < <(grep -l "pytest.mark.gpu" tests/test_*.py)
# a failure here is reported at the end, but does not cancel the timings below. A test past its 90 s fails
# alone (timeout_method=signal: the project's "thread" method would end pytest, its summary and XML unwritten)
tests_rc=0
if "$PYTHON" -c "import pytest, hypothesis" 2>/dev/null; then
  limit 140 "$PYTHON" -m pytest -m gpu -q -rA -p no:cacheprovider -o timeout=90 -o timeout_method=signal \
    --junitxml "$OUT/gpu_tests.xml" \
    "${gpu_tests[@]}" 2>&1 | tee "$OUT/gpu_tests.log" || tests_rc=$?
else
  echo "gpu_check: pytest or hypothesis missing: GPU-marked tests not run" | tee "$OUT/gpu_tests.log" >&2
  tests_rc=5
fi

echo "== one epoch each, ml-100k and an ML-20M-shaped synthetic log ($BIG)"
# SGL last: each of its steps propagates over the whole graph (three views), so its epoch grows with the square of
# the log (on a log a tenth of this one a CPU epoch took 152 s, SASRec's 35 s). The CSVs are rewritten after each
# model, so a time limit keeps the models before; on the large log each model prints its steps and their time 20
# times an epoch (--step-rate), so one cut short still leaves its rate. On ml-100k, two epochs and the second
# reported, as in the CPU baseline (results/epoch_throughput/ml-100k-cpu.csv): the first pays one-time costs.
bench_rc=0
limit 70 "$PYTHON" -m benchmarks.epoch_throughput --device "$DEVICE" --models multvae,sasrec,sgl --epochs 2 \
  --datasets ml-100k --out "$OUT/epoch_throughput_ml100k.csv" 2>&1 | tee "$OUT/epoch_throughput.log" || bench_rc=$?
large_rc=0
left=$((deadline - SECONDS))
if [ "$left" -lt 30 ]; then left=30; fi  # (timeout 0 would mean no limit)
limit "$left" "$PYTHON" -m benchmarks.epoch_throughput --device "$DEVICE" --models multvae,sasrec,sgl --step-rate \
  --datasets "$BIG" --out "$OUT/epoch_throughput_large.csv" 2>&1 | tee -a "$OUT/epoch_throughput.log" || large_rc=$?

status() {  # a step's exit status in words
  case $1 in 0) echo "passed" ;; 124 | 130 | 137) echo "cut short by its time limit (exit $1)" ;; *) echo "failed (exit $1)" ;; esac
}
echo "gpu_check: tests $(status "$tests_rc"); ml-100k timings $(status "$bench_rc"); large log $(status "$large_rc")"
echo "gpu_check: results in $OUT"
ls -l "$OUT"
if [ "$tests_rc" -ne 0 ] || [ "$bench_rc" -ne 0 ] || [ "$large_rc" -ne 0 ]; then
  exit 3
fi
