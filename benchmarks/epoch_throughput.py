"""Time one training epoch (and one validation pass) of chosen models on chosen data sets; print throughput.

    python benchmarks/epoch_throughput.py --device cuda \\
        --datasets ml-100k,synthetic:138493x20000x10000000 --models multvae,sgl,sasrec

Graph and autoencoder models use the per-user holdout split, sequence models leave-one-out. Throughput is the
training part's interactions per second of the epoch's training phase (validation timed apart): a rate of the
data, comparable between models on one data set, not a count of the examples each model draws (BERT4Rec's
overlapping windows read an interaction several times). The epoch timed is the first (``--epochs 1``, as
gpu_check.sh runs the large log) or the last of ``--epochs`` (gpu_check.sh's ``--epochs 2`` on ml-100k).
Results are printed as a table and written as CSV with ``--out``, rewritten after each model.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

import pandas as pd
import torch

from sslrec_utils.experiment import DataSpec, load_data, resolve_configs
from sslrec_utils.models import build_model
from sslrec_utils.models.base import Recommender, TrainData
from sslrec_utils.splits import make_split
from sslrec_utils.train import fit, resolve_device

if not __package__:  # run by path, not with -m: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.leaderboard import (  # noqa: E402
    at_least,
    comma_separated,
    data_problem,
    given_twice,
    settings_problem,
)

SEQUENTIAL = {"sasrec", "bert4rec", "cl4srec", "itemnext"}


def print_step_rate(model: Recommender, name: str, device: torch.device, times: int = 20) -> None:
    """Have `model` print, `times` times an epoch, its training steps so far and their time (the device
    synchronised first), so that an epoch cut short by a time limit still leaves its rate. It wraps the model's
    `training_loss`, which the trainer calls once a step."""
    loss, start, steps = model.training_loss, 0.0, 0

    def counted(batch, info):
        nonlocal start, steps
        if steps == 0:  # the clock starts at the first step, after the trainer's set-up
            start = time.perf_counter()
        elif steps % max(1, info.total_steps // times) == 0:
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            seconds = time.perf_counter() - start
            print(f"    {name}: {steps} of {info.total_steps} steps in {seconds:.1f} s", flush=True)
        steps += 1
        return loss(batch, info)

    model.training_loss = counted


def measure(
    model_name: str, split, device: str, epochs: int, settings: list[str], step_rate: bool = False
) -> dict[str, object]:
    """Train `epochs` epochs with validation after each; report the last epoch's times (`step_rate`: see
    `print_step_rate`)."""
    model_cfg, train_cfg = resolve_configs(model_name, settings, epochs=epochs, device=device, progress=False)
    train_cfg = train_cfg.replace(patience=epochs + 1)
    data = TrainData.from_split(split)
    model = build_model(model_cfg, data, seed=train_cfg.seed)
    dev = resolve_device(device)
    if step_rate:
        print_step_rate(model, model_name, dev)
    # the models measured before, kept by reference cycles (the trainer's, the step counter's), are freed first:
    # their weights and gradients had counted in this model's peak memory
    gc.collect()
    if dev.type == "cuda":
        torch.cuda.reset_peak_memory_stats(dev)  # this device's, not CUDA's current one
    result = fit(model, split, train_cfg)
    if result.interrupted:  # Ctrl-C after a validation: its last epoch is not the one asked for
        raise KeyboardInterrupt
    last = result.history.iloc[-1]
    train_s = float(last.get("epoch_train_seconds", last["epoch_seconds"]))
    return {
        "model": model_name,
        "users": split.n_users,
        "items": split.n_items,
        "train_interactions": data.matrix.nnz,
        "device": dev.type,
        "epoch_train_s": train_s,
        "validation_s": float(last["epoch_seconds"]) - train_s,
        "interactions_per_s": data.matrix.nnz / train_s if train_s > 0 else float("nan"),
        "valid_ndcg@10": float(last["ndcg@10"]),
        "peak_gpu_mb": torch.cuda.max_memory_allocated(dev) / 2**20 if dev.type == "cuda" else float("nan"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--datasets", default="ml-100k", help="comma-separated data sets (synthetic:UxIxN allowed)"
    )
    parser.add_argument("--models", default="multvae,sgl,sasrec", help="comma-separated model names")
    parser.add_argument("--device", default="auto")
    parser.add_argument(
        "--epochs", type=at_least(1), default=1, help="epochs to run; the last one is reported"
    )
    parser.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="passed to every model"
    )
    parser.add_argument("--out", type=Path, default=None, help="CSV file to write")
    parser.add_argument(
        "--step-rate",
        action="store_true",
        help="print the training steps done and their time 20 times an epoch (an epoch cut short leaves its rate)",
    )
    args = parser.parse_args(argv)
    datasets, models = comma_separated(args.datasets), comma_separated(args.models)
    for flag, what, names, given in (
        ("--datasets", "data sets", datasets, args.datasets),
        ("--models", "models", models, args.models),
    ):
        if not names:
            parser.error(f"no {what} in {flag} {given!r}")
        if problem := given_twice(flag, names):  # timed twice, as two rows
            parser.error(problem)
    if args.out is not None and args.out.is_dir():  # found after the first model, it would lose its row
        parser.error(f"--out {args.out} is a folder, not a file: give the CSV file to write")
    # what would fail after a data set is loaded and split (minutes on a large log): refused before any
    train = {"epochs": args.epochs, "device": args.device, "progress": False}  # as `measure` gives them
    problems = [
        settings_problem(models, args.set, **train),
        *(data_problem(d, "--datasets") for d in datasets),
    ]
    if problem := next(filter(None, problems), None):
        parser.error(problem)
    rows = []
    for dataset in datasets:
        start = time.perf_counter()
        inter, _ = load_data(DataSpec(dataset=dataset))
        print(
            f"{dataset}: {inter.n_users} users, {inter.n_items} items, {inter.n_interactions} interactions "
            f"(loaded in {time.perf_counter() - start:.1f} s)",
            flush=True,
        )
        splits = {}
        for model in models:
            protocol = "loo" if model in SEQUENTIAL else "holdout"
            if protocol not in splits:
                splits[protocol] = make_split(inter, protocol, seed=2020 if protocol == "holdout" else None)
            try:
                timed = measure(model, splits[protocol], args.device, args.epochs, args.set, args.step_rate)
            except KeyboardInterrupt:  # Ctrl-C, or gpu_check.sh's time limit (SIGINT)
                kept = f"; the rows before it are in {args.out}" if args.out is not None and rows else ""
                print(
                    f"epoch_throughput: {model} on {dataset} interrupted{kept}", file=sys.stderr, flush=True
                )
                return 130
            row = {"dataset": dataset, **timed}
            rows.append(row)
            # after every model, so that a run stopped by a time limit keeps its rows (a rename cannot be cut
            # short half way)
            if args.out is not None:
                args.out.parent.mkdir(parents=True, exist_ok=True)
                partial = args.out.with_name(f".{args.out.name}.part")
                pd.DataFrame(rows).to_csv(partial, index=False)
                partial.replace(args.out)
            print(
                f"  {model:9s} {row['device']}: epoch {row['epoch_train_s']:.2f} s "
                f"({row['interactions_per_s']:,.0f} interactions/s), validation {row['validation_s']:.2f} s, "
                f"peak GPU {row['peak_gpu_mb']:.0f} MB",
                flush=True,
            )
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
