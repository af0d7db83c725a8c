#!/usr/bin/env bash
# Usage: install_torch.sh PYTHON LOCK
# Installs the lock's torch pin as a CPU build before the rest of the lock. Without this step, pip would take
# PyPI's default Linux wheel of that version, a CUDA build with several GB of nvidia-* packages. A local wheel
# (pip's --find-links, as on the book's CI machines) is used when there is one, otherwise PyTorch's CPU index
# (TORCH_INDEX overrides it). A torch of the pinned version already installed is kept, whatever its build (the
# README's "Installing on a CUDA machine" puts a CUDA build there on purpose).
set -euo pipefail
python=$1
lock=$2
index=${TORCH_INDEX:-https://download.pytorch.org/whl/cpu}
pin=$(grep -E '^torch==' "$lock") ||
  { echo "setup: no torch==VERSION line in $lock; the lock must pin torch" >&2; exit 1; }
have=$("$python" -c 'import importlib.metadata as m; print(m.version("torch"))' 2>/dev/null || true)
if [ "${have%%+*}" = "${pin#torch==}" ]; then
  exit 0
fi
pip=("$python" -m pip --disable-pip-version-check install --no-deps)
if "${pip[@]}" -q --no-index "$pin" 2>/dev/null; then
  echo "setup: $pin from a local wheel"
else
  echo "setup: $pin, CPU build, from $index"
  "${pip[@]}" "$pin" --index-url "$index"
fi
