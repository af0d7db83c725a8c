"""Peak memory of generating a synthetic log, per interaction, against the estimate that `check_shape` refuses by.

    python -m benchmarks.synthetic_memory                          # three shapes, gpu_check.sh's ML-20M-sized log included
    python -m benchmarks.synthetic_memory --shapes 943x1682x100000 --out /tmp/synthetic-memory

`sslrec_utils.data.synthetic.synthetic_bytes` refuses a ``synthetic:UxIxN`` shape that cannot fit in this machine's
memory, at ``BYTES_PER_INTERACTION`` per interaction plus ``BYTES_PER_USER`` and ``BYTES_PER_ITEM``. This script
measures what `synthetic_interactions` takes: each shape in a fresh process (no memory freed by an earlier shape to
reuse), peak resident set above the process's own before the call (`sslrec_utils.profiling.measure`), divided by
the interactions. The estimate must stay above the measured peak of large shapes (``estimate_over_peak`` > 1): it
decides when a shape is refused, and a too-small one would let the kernel's out-of-memory killer end the process
instead. A small shape's peak is mostly a fixed few MiB (NumPy's and pandas' buffers), which no refusal turns on;
the exit status is non-zero only when the estimate is below the peak of a shape that needed 256 MiB or more.

Writes ``synthetic_memory.csv`` under ``--out`` (one row per shape) and prints it.
"""

from __future__ import annotations

import argparse
import multiprocessing
import platform
import sys
from pathlib import Path

import pandas as pd

if not __package__:  # run by path, not with -m: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.leaderboard import file_not_folder  # noqa: E402
from sslrec_utils.data.synthetic import check_shape, parse_synthetic, synthetic_bytes  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# MovieLens-100K's and -1M's shapes, and the ML-20M-sized log gpu_check.sh generates (users and items as issue 4 gives)
SHAPES = ("943x1682x100000", "6040x3706x1000000", "138000x20000x10000000")
LARGE_MB = 256  # a peak from which the estimate must hold (smaller ones are mostly fixed buffers)


def measure_shape(shape: tuple[int, int, int]) -> dict[str, float]:
    """Generate one log of `shape` (users, items, interactions) in this process; its time and peak memory."""
    from sslrec_utils.data.synthetic import synthetic_interactions
    from sslrec_utils.profiling import measure, release_free_memory

    release_free_memory()  # the memory this process holds already is not counted as the log's
    done = measure(lambda: len(synthetic_interactions(*shape, seed=0)))
    if done.peak_mb is None:
        raise SystemExit("synthetic_memory: this platform has no /proc to read the resident set from")
    return {"rows": done.value, "seconds": done.seconds, "peak_mb": done.peak_mb}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--shapes", nargs="+", default=list(SHAPES), metavar="UxIxN", help="users x items x rows"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=ROOT / "benchmarks" / "results" / "synthetic_memory",
        help="results folder",
    )
    args = parser.parse_args(argv)
    if problem := file_not_folder(args.out):
        parser.error(problem)
    shapes = []
    for text in args.shapes:
        try:
            shape = parse_synthetic(f"synthetic:{text}")
            assert shape is not None  # the prefix is there
            check_shape(*shape)
        except ValueError as err:
            parser.error(f"--shapes: {err}")
        shapes.append(shape)
    rows = []
    context = multiprocessing.get_context("spawn")  # a fresh interpreter per shape: nothing freed to reuse
    for shape in shapes:
        with context.Pool(1) as pool:
            got = pool.apply(measure_shape, (shape,))
        estimate_mb = synthetic_bytes(*shape) / 2**20
        rows.append(
            {
                "shape": "x".join(map(str, shape)),
                **got,
                "bytes_per_interaction": got["peak_mb"] * 2**20 / shape[2],
                "estimate_mb": estimate_mb,
                "estimate_over_peak": estimate_mb / got["peak_mb"],
                "machine": platform.processor() or platform.machine(),
            }
        )
        print(f"{rows[-1]['shape']}: peak {got['peak_mb']:.1f} MiB in {got['seconds']:.2f} s", flush=True)
    table = pd.DataFrame(rows)
    print(table.to_string(index=False, float_format="%.4g"))
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "synthetic_memory.csv", index=False, float_format="%.4g")
    print(f"written to {args.out / 'synthetic_memory.csv'}")
    below = [r for r in rows if r["estimate_over_peak"] <= 1]
    if below:
        print(
            f"the estimate is below the measured peak for {', '.join(r['shape'] for r in below)}",
            file=sys.stderr,
        )
    return 1 if any(r["peak_mb"] >= LARGE_MB for r in below) else 0


if __name__ == "__main__":
    raise SystemExit(main())
