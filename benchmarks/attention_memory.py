"""Peak CPU memory of the transformer encoder's attention, per window x position², against `batch_bytes`' estimate.

    python -m benchmarks.attention_memory                  # the default points below, about a minute
    python -m benchmarks.attention_memory --windows 8 --max-len 256 --out /tmp/attention-memory

SASRec, BERT4Rec and CL4SRec pad every window to ``max_len`` positions, so a batch's attention needs memory that
grows with max_len². `sslrec_utils.train.check_memory` refuses a CPU run whose batch would need more than the
machine's physical memory by `TransformerEncoder.batch_bytes`, whose bytes per window x position²
(``ATTENTION_BYTES``: the masks, and in training each layer's and head's attention weights) come from this script.
It runs one training step (forward and backward of the encoder) or one forward pass without gradients at each
point, each in a fresh process (no memory freed by an earlier point to reuse), and reads the peak resident set
above the process's own before the call (`sslrec_utils.profiling.measure`). The estimate must stay above the
measured peak (``estimate_over_peak`` > 1) where the peak is large: a too-small one would let the kernel's
out-of-memory killer end a run the check let through. The exit status is non-zero only when the estimate is below
the peak of a point that needed 256 MiB or more.

Writes ``attention_memory.csv`` under ``--out`` (one row per point) and prints it.
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

# (training step?, causal?, heads, layers, attention dropout): SASRec's defaults, BERT4Rec's (bidirectional, no
# dropout), then heads and layers varied one at a time, and the two forward passes of scoring
POINTS = (
    (True, True, 2, 2, 0.2),
    (True, False, 2, 2, 0.0),
    (True, True, 1, 2, 0.2),
    (True, True, 4, 2, 0.2),
    (True, True, 2, 1, 0.2),
    (True, True, 2, 4, 0.2),
    (False, True, 2, 2, 0.2),
    (False, False, 4, 4, 0.0),
)


def measure_point(windows: int, max_len: int, point: tuple[bool, bool, int, int, float]) -> dict[str, float]:
    """One training step or forward pass of an encoder at `point` over (windows, max_len) items, in this process."""
    import torch

    from sslrec_utils.models.transformer import TransformerEncoder
    from sslrec_utils.profiling import measure

    train, causal, heads, layers, attn_dropout = point
    torch.set_num_threads(1)
    n_items = 1000
    encoder = TransformerEncoder(
        n_items + 1, pad=n_items, causal=causal, max_len=max_len, hidden_dim=16 * heads, n_layers=layers,
        n_heads=heads, attn_dropout=attn_dropout,
    )  # fmt: skip
    seqs = torch.randint(0, n_items, (windows, max_len), generator=torch.Generator().manual_seed(0))
    encoder.train(train)

    def step() -> None:
        with torch.set_grad_enabled(train):
            out = encoder(seqs)
            if train:
                out.square().mean().backward()

    done = measure(step)
    if done.peak_mb is None:
        raise SystemExit("attention_memory: this platform has no /proc to read the resident set from")
    estimate = encoder.batch_bytes(windows, training=train)
    return {"seconds": done.seconds, "peak_mb": done.peak_mb, "estimate_mb": estimate / 2**20}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--windows", type=int, default=32, help="windows per batch (default 32)")
    parser.add_argument("--max-len", type=int, default=1024, help="positions per window (default 1024)")
    args = parse_out(parser, argv, "attention_memory")
    if args.windows < 1 or args.max_len < 2:
        parser.error(f"need --windows >= 1 and --max-len >= 2, got {args.windows} and {args.max_len}")
    rows, died = [], 0
    for point in POINTS:
        try:
            got = in_fresh_process(measure_point, args.windows, args.max_len, point)
        except ProcessDied as err:
            print(f"attention_memory: point {point}: {err}", file=sys.stderr)
            died = 1
            break
        train, causal, heads, layers, attn_dropout = point
        square = args.windows * args.max_len**2
        rows.append(
            {
                "pass": "train" if train else "score",
                "attention": "causal" if causal else "bidirectional",
                "heads": heads,
                "layers": layers,
                "attn_dropout": attn_dropout,
                "windows": args.windows,
                "max_len": args.max_len,
                **got,
                "bytes_per_window_position2": got["peak_mb"] * 2**20 / square,
                "estimate_over_peak": estimate_over_peak(got["estimate_mb"], got["peak_mb"]),
                "machine": this_machine(),
            }
        )
        print(
            f"{rows[-1]['pass']} {point}: peak {got['peak_mb']:.1f} MiB in {got['seconds']:.2f} s", flush=True
        )
    status = write_table(
        rows,
        args.out,
        "attention_memory.csv",
        lambda r: f"{r['pass']} {r['attention']} heads={r['heads']} layers={r['layers']}",
    )
    return max(status, died)


if __name__ == "__main__":
    raise SystemExit(main())
