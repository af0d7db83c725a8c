"""What the memory benchmarks share: each point measured in a fresh process, and the table that checks an estimate.

`synthetic_memory` and `attention_memory` measure the peak memory of work that a check of the package refuses by
an estimate (`synthetic.check_shape`, `train.check_memory`). The estimate must stay above the measured peak
(``estimate_over_peak`` > 1) where the peak is large: a too-small one would let the kernel's out-of-memory killer
end a process the check let through. A small peak is mostly fixed buffers, which no refusal turns on.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import pandas as pd

from benchmarks.leaderboard import file_not_folder

RESULTS = Path(__file__).resolve().parent / "results"
LARGE_MB = 256  # a peak from which the estimate must hold (smaller ones are mostly fixed buffers)


def parse_out(parser: argparse.ArgumentParser, argv: list[str] | None, name: str) -> argparse.Namespace:
    """Parse `argv` with an ``--out`` folder added (default ``benchmarks/results/<name>``), refusing a file there."""
    parser.add_argument("--out", type=Path, default=RESULTS / name, help="results folder")
    args = parser.parse_args(argv)
    if problem := file_not_folder(args.out):
        parser.error(problem)
    return args


class ProcessDied(RuntimeError):
    """The process measuring a point ended without a result (most likely killed for memory)."""


def in_fresh_process(fn: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """``fn(*args)`` in a new interpreter (spawned): no memory freed by earlier work is there to reuse.

    Raises:
        ProcessDied: if that process ends without a result (a `multiprocessing.Pool` had started another worker
            and waited for ever).
    """
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        try:
            return pool.submit(fn, *args).result()
        except BrokenProcessPool:
            raise ProcessDied(
                "the measuring process died without a result, most likely killed for memory (the kernel's "
                "out-of-memory killer: see `dmesg`); the rows before it are kept"
            ) from None


def estimate_over_peak(estimate_mb: float, peak_mb: float) -> float:
    """How many times the measured peak the estimate is (inf where nothing was measured)."""
    return estimate_mb / peak_mb if peak_mb else float("inf")


def write_table(
    rows: list[dict[str, Any]], out: Path, name: str, label: Callable[[dict[str, Any]], str]
) -> int:
    """Print `rows`, write them to ``out/name``, and return the exit status: 1 if the estimate is below the peak
    of a point that needed `LARGE_MB` or more, else 0 (a point below at a smaller size is only said)."""
    table = pd.DataFrame(rows)
    print(table.to_string(index=False, float_format="%.4g"))
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / name, index=False, float_format="%.4g")
    print(f"written to {out / name}", flush=True)  # before the warning on stderr
    below = [r for r in rows if r["estimate_over_peak"] <= 1]
    if below:
        print(f"the estimate is below the measured peak for {', '.join(map(label, below))}", file=sys.stderr)
    return 1 if any(r["peak_mb"] >= LARGE_MB for r in below) else 0
