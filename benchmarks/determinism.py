"""Does a run of one seed repeat exactly? Each trainable model is trained twice with the same seed at ``--threads``
threads and once with one thread, and the three runs' weights are compared bit for bit.

PyTorch promises no more than "the same result on the same software, hardware and settings" and lists CPU
operations whose result changes from run to run with several threads. This measures, model by model, whether
training repeats at a fixed thread count (``same_at_threads``) and whether it also matches a one-thread run
(``same_as_one_thread``). Sequence models (those scoring time-ordered sequences) train on the leave-one-out
split, the others on the holdout split; closed-form models (no training steps) are left out. Usage:

    python -m benchmarks.determinism --threads 2 --epochs 1 --out benchmarks/results/determinism

Writes ``OUT/determinism.csv`` (one row per model) and prints it.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

import pandas as pd
import torch

if not __package__:  # run by path, not with -m: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.leaderboard import at_least, data_problem, file_not_folder  # noqa: E402
from sslrec_utils.experiment import DataSpec, load_split, resolve_configs, train_on_split  # noqa: E402
from sslrec_utils.models import MODELS, reads_sequences, trained_by_epochs  # noqa: E402
from sslrec_utils.splits import Split  # noqa: E402
from sslrec_utils.train import intra_op_threads  # noqa: E402


def weights_digest(model: torch.nn.Module) -> str:
    """SHA-1 of every floating-point tensor of the model's state, in name order."""
    digest = hashlib.sha1()
    for _, value in sorted(model.state_dict().items()):
        if value.is_floating_point():
            digest.update(value.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def trained_digest(name: str, split: Split, seed: int, epochs: int, threads: int) -> str:
    """Train `name` for `epochs` epochs (no early stop) with `threads` intra-op threads; its weights' digest."""
    model_cfg, train_cfg = resolve_configs(
        name, (), epochs=epochs, seed=seed, progress=False, patience=epochs + 1, device="cpu"
    )
    with intra_op_threads(threads):
        return weights_digest(train_on_split(split, model_cfg, train_cfg, search=False).model)


def measure(
    models: list[str], dataset: str, seed: int, epochs: int, threads: int, progress: bool = True
) -> pd.DataFrame:
    """One row per model: its split, whether two `threads`-thread runs agree, and whether they match one thread."""
    splits: dict[str, Split] = {}
    rows = []
    for name in models:
        kind = "loo" if reads_sequences(name) else "holdout"
        if kind not in splits:
            splits[kind] = load_split(DataSpec(dataset=dataset, split=kind, seed=seed))[0]
        start = time.perf_counter()
        first, second = (trained_digest(name, splits[kind], seed, epochs, threads) for _ in range(2))
        single = trained_digest(name, splits[kind], seed, epochs, 1)
        rows.append(
            {
                "model": name,
                "split": kind,
                "threads": threads,
                "epochs": epochs,
                "same_at_threads": first == second,
                "same_as_one_thread": first == single,
                "seconds": round(time.perf_counter() - start, 1),
            }
        )
        if progress:
            row = rows[-1]
            print(
                f"{name:<9} {kind:<8} same at {threads} threads: {row['same_at_threads']!s:<5}  "
                f"same as one thread: {row['same_as_one_thread']!s:<5}  ({row['seconds']} s)",
                flush=True,
            )
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", nargs="+", default=None, help="default: every trainable model")
    parser.add_argument("--dataset", default="ml-100k")
    parser.add_argument("--seed", type=at_least(0), default=2021)
    parser.add_argument("--epochs", type=at_least(1), default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    models = args.models or [name for name in MODELS if trained_by_epochs(name)]
    unknown = [name for name in models if name not in MODELS or not trained_by_epochs(name)]
    if unknown:
        parser.error(
            f"not trainable models: {unknown}; trainable: {[n for n in MODELS if trained_by_epochs(n)]}"
        )
    if args.threads < 2:
        parser.error("--threads must be at least 2: one thread is the reference")
    if problem := file_not_folder(args.out):
        parser.error(problem)
    # the splits `measure` makes, checked before the data is read
    for kind in dict.fromkeys("loo" if reads_sequences(name) else "holdout" for name in models):
        if problem := data_problem(args.dataset, split=kind, seed=args.seed):
            parser.error(problem)
    table = measure(models, args.dataset, args.seed, args.epochs, args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "determinism.csv", index=False)
    print(f"wrote {args.out / 'determinism.csv'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
