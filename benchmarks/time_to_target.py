"""Seconds until each model first reaches RecBole's test NDCG@10, against RecBole's wall time (issue 3's target).

    python -m benchmarks.time_to_target                                  # issue 3's models, seed 2020
    python -m benchmarks.time_to_target --models bpr,multvae --seeds 2020 2021 2022

Each trainable model trains as ``sslrec train`` would (its defaults, validation selecting the epoch) while a
monitor computes its test NDCG@10 after every epoch; the monitor only watches, and its time is left out. The
time to target is the training-and-validation time until the end of the first epoch whose test NDCG@10 is at
least RecBole 1.2.1's figure on the same protocol; ``setup_seconds`` (loading and splitting the data, building
the batches' inputs) is reported beside it, since RecBole's wall time includes its own. Closed-form models
(Pop, ItemKNN, EASE) count the whole fit, their hyperparameter search on validation included. The target is
``ratio <= 1/3``. Writes ``OUT/time_to_target.csv`` and ``OUT/time_to_target.md``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

if not __package__:  # run by path, not with -m: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.leaderboard import (  # noqa: E402
    RECBOLE,
    at_least,
    comma_separated,
    file_not_folder,
    given_twice,
    settings_problem,
    this_machine,
)
from sslrec_utils.experiment import DataSpec, load_split, resolve_configs, train_on_split  # noqa: E402
from sslrec_utils.models import build_model, trained_by_epochs  # noqa: E402
from sslrec_utils.models.base import Recommender, TrainData  # noqa: E402
from sslrec_utils.profiling import measure, reuse_freed_memory  # noqa: E402
from sslrec_utils.splits import Split  # noqa: E402
from sslrec_utils.train import evaluate_model, fit  # noqa: E402

DEFAULT_MODELS = ("pop", "itemknn", "ease", "bpr", "multdae", "multvae", "cdae")


def time_to_target(
    model_name: str, split: Split, seed: int, target: float, device: str = "cpu", epochs: int | None = None
) -> dict[str, object]:
    """Train `model_name` with its defaults (at most `epochs`, if given); report when its test NDCG@10 first
    reached `target`: the epoch (None if never) and the seconds until then (NaN if never)."""
    model_cfg, train_cfg = resolve_configs(
        model_name, seed=seed, device=device, progress=False, epochs=epochs
    )
    probe = build_model(model_cfg, TrainData.from_split(split), seed=seed)
    if probe.closed_form:
        trained = train_on_split(split, model_cfg, train_cfg)
        ndcg = evaluate_model(trained.model, split, "test").summary["ndcg@10"]
        reached = trained.search_seconds if ndcg >= target else float("nan")
        return {
            "epochs": 0,
            "target_epoch": 0 if ndcg >= target else None,
            "seconds_to_target": reached,
            "max_test_ndcg@10_seen": ndcg,
            "train_seconds": trained.search_seconds,
        }

    def test_ndcg(model: Recommender) -> dict[str, float]:
        return {"test_ndcg@10": evaluate_model(model, split, "test").summary["ndcg@10"]}

    result = fit(probe, split, train_cfg.replace(eval_every=1), monitor=test_ndcg)
    history = result.history
    hit = history[history["test_ndcg@10"] >= target]
    first = hit.iloc[0] if len(hit) else None
    return {
        "epochs": int(history["epoch"].iloc[-1]),
        "target_epoch": int(first["epoch"]) if first is not None else None,
        "seconds_to_target": float(first["elapsed_seconds"]) if first is not None else float("nan"),
        "max_test_ndcg@10_seen": float(history["test_ndcg@10"].max()),
        "train_seconds": result.train_seconds,
    }


# what a fresh `sslrec train` process runs before its setup and outside `fit`'s clock: the imports, and for a
# model trained by steps its first optimizer, which imports torch._dynamo (about 0.9 s on a 2-core machine;
# `fit` builds it before its clock starts, and a closed-form model builds none)
IMPORTS_CODE = "import torch, sslrec_utils.experiment, sslrec_utils.cli"
STARTUP_CODE = IMPORTS_CODE + "; torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))])"


def startup_seconds(code: str = STARTUP_CODE, repeats: int = 3) -> float:
    """Seconds a fresh Python process takes to run `code` (the fastest of `repeats`): the start-up an
    ``sslrec train`` process pays outside its setup and `fit`'s clock, which RecBole's wall time also
    contains (`STARTUP_CODE` for a model trained by steps, `IMPORTS_CODE` for a closed-form one)."""
    return measure(lambda: subprocess.run([sys.executable, "-c", code], check=True), repeat=repeats).seconds


def markdown(table: pd.DataFrame) -> str:
    trained = table["epochs"] > 0
    startups = "; ".join(
        f"{what}: {table.loc[rows, 'startup_seconds'].iloc[0]:.2f} s"
        for what, rows in (
            ("and builds its first optimizer, for models trained by steps", trained),
            ("for closed-form models, which build none", ~trained),
        )
        if rows.any()
    )
    lines = [
        "# Time to RecBole's NDCG@10 (ml-100k, per-user random 80/10/10, full ranking)",
        "",
        f"Machine: {table.attrs.get('machine', 'not recorded')}, device {table.attrs.get('device', 'cpu')}, "
        "load average at start "
        f"{table.attrs.get('load', float('nan')):.2f}. Seconds of training and validation until the end of the "
        "first epoch whose test NDCG@10 reaches RecBole 1.2.1's figure (closed-form models: the whole fit and "
        "its search); setup (loading, splitting) apart. Ratio: (s to target + setup) / RecBole's wall time; with "
        "start-up: the same plus the start of a Python process that imports torch and the package "
        f"({startups}). Target: ratio at most 1/3. The highest test NDCG@10 seen over the epochs is the "
        "monitor's, not a result (results choose the epoch on validation).",
        "",
        "| model | seed | RecBole NDCG@10 | reached at epoch | s to target | setup s | RecBole s | ratio "
        "| ratio with start-up | highest test NDCG@10 seen | epochs run |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for _, r in table.iterrows():
        epoch = "never" if pd.isna(r["target_epoch"]) else f"{int(r['target_epoch'])}"
        lines.append(
            f"| {r['model']} | {r['seed']} | {r['recbole_ndcg@10']:.4f} | {epoch} | {r['seconds_to_target']:.2f} "
            f"| {r['setup_seconds']:.2f} | {r['recbole_seconds']:.0f} | {r['ratio']:.3f} "
            f"| {r['ratio_with_startup']:.3f} | {r['max_test_ndcg@10_seen']:.4f} | {r['epochs']} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", default=",".join(DEFAULT_MODELS), help="comma-separated model names")
    parser.add_argument("--seeds", type=at_least(0), nargs="+", default=[2020])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/time_to_target"))
    args = parser.parse_args(argv)
    if problem := file_not_folder(args.out):
        parser.error(problem)
    models = comma_separated(args.models)
    if not models:
        parser.error(f"no models in --models {args.models!r}")
    unknown = [m for m in models if m not in RECBOLE]
    if unknown:
        parser.error(f"no RecBole figure for {unknown}; models with one: {sorted(RECBOLE)}")
    # before the start-up is measured (seconds); a model or seed given twice would be timed twice, as two rows
    for flag, values in (("--models", models), ("--seeds", args.seeds)):
        if problem := given_twice(flag, values):
            parser.error(problem)
    # a device this machine lacks, as `time_to_target` would find it after the start-up was measured
    if problem := settings_problem(models, device=args.device):
        parser.error(problem)
    reuse_freed_memory()  # as `sslrec train` does for its process
    load = os.getloadavg()[0]
    # trained by steps or not -> its start-up, measured for the kinds among the models only (each a few s)
    kinds = {trained_by_epochs(m) for m in models}
    startup = {kind: startup_seconds(STARTUP_CODE if kind else IMPORTS_CODE) for kind in kinds}
    rows = []
    for seed in args.seeds:
        start = time.perf_counter()
        split, _ = load_split(DataSpec(dataset="ml-100k", split="holdout", seed=seed))
        setup = time.perf_counter() - start
        for model in models:
            target, _, recbole_seconds = RECBOLE[model]
            row = {"model": model, "seed": seed, "recbole_ndcg@10": target, "setup_seconds": setup}
            row.update(time_to_target(model, split, seed, target, args.device))
            row["recbole_seconds"] = recbole_seconds
            row["ratio"] = (row["seconds_to_target"] + setup) / recbole_seconds
            row["startup_seconds"] = startup[trained_by_epochs(model)]
            row["ratio_with_startup"] = (
                row["seconds_to_target"] + setup + row["startup_seconds"]
            ) / recbole_seconds
            rows.append(row)
            print(
                f"{model:8s} seed {seed}: target {target:.4f} reached at epoch {row['target_epoch']} after "
                f"{row['seconds_to_target']:.2f} s (+{setup:.2f} s setup; RecBole {recbole_seconds:.0f} s, "
                f"ratio {row['ratio']:.3f})",
                flush=True,
            )
    table = pd.DataFrame(rows)
    table.attrs.update(load=load, machine=this_machine(), device=args.device)
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "time_to_target.csv", index=False)
    (args.out / "time_to_target.md").write_text(markdown(table))
    print(markdown(table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
