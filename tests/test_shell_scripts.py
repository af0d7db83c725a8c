"""scripts/timed.sh (one phase of `make test`), scripts/install_torch.sh and scripts/check_free_space.sh (`make
setup`), run with bash.

install_torch.sh is given a fake python that logs its pip calls: nothing is ever installed.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_timed_sh_records_each_phase_and_passes_its_exit_status_on(tmp_path: Path) -> None:
    def timed(*command: str) -> int:
        return subprocess.run(["bash", str(ROOT / "scripts" / "timed.sh"), *command], cwd=tmp_path).returncode

    assert timed("one", "true") == 0
    # `make test` runs every phase and fails at the end if one failed: it needs the phase's own status
    assert timed("two", "bash", "-c", "exit 3") == 3
    one, two = (tmp_path / "_build" / "timings.txt").read_text().splitlines()  # appended, not overwritten
    assert one.split()[0] == "one" and one.endswith(" s  ok")
    assert two.split()[0] == "two" and two.endswith(" s  FAILED (exit 3)")


# `-c ...` (the version query) prints $FAKE_TORCH, or fails like a python without torch; `-m pip ...` logs its
# arguments and fails a --no-index install when FAKE_LOCAL_FAILS is set (no local wheel)
FAKE_PYTHON = """#!/usr/bin/env bash
if [ "$1" = -c ]; then
  if [ -n "${FAKE_TORCH:-}" ]; then echo "$FAKE_TORCH"; exit 0; fi
  exit 1
fi
echo "$*" >> "$(dirname "$0")/pip.log"
if [ -n "${FAKE_LOCAL_FAILS:-}" ] && [[ "$*" == *--no-index* ]]; then exit 1; fi
"""
PIP = "-m pip --disable-pip-version-check install --no-deps"


def _install_torch(tmp_path: Path, lock: str, **fake: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    """Run install_torch.sh with the fake python; its result and the pip calls it made."""
    python = tmp_path / "python"
    python.write_text(FAKE_PYTHON)
    python.chmod(0o755)
    (tmp_path / "lock.txt").write_text(lock)
    env = {k: v for k, v in os.environ.items() if k not in ("TORCH_INDEX", "FAKE_TORCH", "FAKE_LOCAL_FAILS")}
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "install_torch.sh"), str(python), str(tmp_path / "lock.txt")],
        env={**env, **fake},
        capture_output=True,
        text=True,
    )
    log = tmp_path / "pip.log"
    return result, log.read_text().splitlines() if log.exists() else []


@pytest.mark.parametrize(
    ("fake", "pip_calls"),
    [
        # the pinned version, whatever its build (a CUDA build is put there on purpose): kept
        ({"FAKE_TORCH": "2.13.0+cpu"}, []),
        ({"FAKE_TORCH": "2.13.0+cu121"}, []),
        # no torch yet: a local wheel, and never PyPI, whose default Linux wheel is a multi-GB CUDA build
        ({}, [f"{PIP} -q --no-index torch==2.13.0"]),
        # another version and no local wheel: PyTorch's CPU index
        (
            {"FAKE_TORCH": "2.12.0", "FAKE_LOCAL_FAILS": "1"},
            [
                f"{PIP} -q --no-index torch==2.13.0",
                f"{PIP} torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu",
            ],
        ),
    ],
)
def test_install_torch_installs_the_pinned_cpu_build_only_when_needed(
    tmp_path: Path, fake: dict[str, str], pip_calls: list[str]
) -> None:
    result, calls = _install_torch(tmp_path, "numpy==2.2.6\ntorch==2.13.0\n", **fake)
    assert result.returncode == 0, result.stderr
    assert calls == pip_calls


def test_install_torch_says_so_when_the_lock_pins_no_torch(tmp_path: Path) -> None:
    # it had stopped `make setup` with exit 1 and no word (set -e on the grep that found nothing)
    result, calls = _install_torch(tmp_path, "numpy==2.2.6\n")
    assert result.returncode != 0
    assert f"no torch==VERSION line in {tmp_path / 'lock.txt'}" in result.stderr
    assert calls == []


def test_check_free_space_names_the_folder_short_of_space(tmp_path: Path) -> None:
    # CI's set-up once stopped half-way with pip's "[Errno 28] No space left on device" (a full disk)
    def check(min_mb: int, *dirs: Path) -> subprocess.CompletedProcess:
        script = str(ROOT / "scripts" / "check_free_space.sh")
        return subprocess.run(["bash", script, str(min_mb), *map(str, dirs)], capture_output=True, text=True)

    assert check(0, tmp_path, ROOT).returncode == 0
    more_than_any_disk = 10**12  # MB: an exabyte
    result = check(more_than_any_disk, ROOT, tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith(f"setup: {ROOT} has ") and " MB free; " in result.stderr
    assert "make setup MIN_FREE_MB=0" in result.stderr
    # the README's "about 2.5 GB of free disk space" is the set-up's default threshold
    default_mb = int(re.search(r"^MIN_FREE_MB \?= (\d+)$", (ROOT / "Makefile").read_text(), re.M)[1])
    assert f"about {default_mb / 1000:g} GB of free disk space" in " ".join(
        (ROOT / "README.md").read_text().split()
    )
