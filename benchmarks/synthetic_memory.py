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
import sys
from pathlib import Path

if not __package__:  # run by path, not with -m: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.estimates import (  # noqa: E402
    ProcessDied,
    estimate_over_peak,
    in_fresh_process,
    parse_out,
    write_table,
)
from benchmarks.leaderboard import this_machine  # noqa: E402
from sslrec_utils.data.synthetic import check_shape, parse_synthetic, synthetic_bytes  # noqa: E402

# MovieLens-100K's and -1M's shapes, and the ML-20M-sized log gpu_check.sh generates (users and items as issue 4 gives)
SHAPES = ("943x1682x100000", "6040x3706x1000000", "138000x20000x10000000")


def measure_shape(shape: tuple[int, int, int]) -> dict[str, float]:
    """Generate one log of `shape` (users, items, interactions) in this process; its time and peak memory."""
    from sslrec_utils.data.synthetic import synthetic_interactions
    from sslrec_utils.profiling import measure

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
    args = parse_out(parser, argv, "synthetic_memory")
    shapes = []
    for text in args.shapes:
        try:
            shape = parse_synthetic(f"synthetic:{text}")
            assert shape is not None  # the prefix is there
            check_shape(*shape)
        except ValueError as err:
            parser.error(f"--shapes: {err}")
        shapes.append(shape)
    rows, died = [], 0
    for shape in shapes:
        try:
            got = in_fresh_process(measure_shape, shape)
        except ProcessDied as err:
            print(f"synthetic_memory: shape {'x'.join(map(str, shape))}: {err}", file=sys.stderr)
            died = 1
            break
        estimate_mb = synthetic_bytes(*shape) / 2**20
        rows.append(
            {
                "shape": "x".join(map(str, shape)),
                **got,
                "bytes_per_interaction": got["peak_mb"] * 2**20 / shape[2],
                "estimate_mb": estimate_mb,
                "estimate_over_peak": estimate_over_peak(estimate_mb, got["peak_mb"]),
                "machine": this_machine(),
            }
        )
        print(f"{rows[-1]['shape']}: peak {got['peak_mb']:.1f} MiB in {got['seconds']:.2f} s", flush=True)
    return max(write_table(rows, args.out, "synthetic_memory.csv", lambda r: r["shape"]), died)


if __name__ == "__main__":
    raise SystemExit(main())
