"""Grid search of one model's hyperparameters on the validation part only; several runs at once.

Each grid point and seed runs as its own ``sslrec train`` process (one thread each), ``--jobs`` of them at a
time (on a GPU they share the device), each writing its progress bar to ``RUNS_DIR/NNN-SEED.log``. A run keeps
the epoch with the best validation NDCG@10; the grid point with the best mean of that over seeds wins. Test
metrics are never read: choose on validation, then measure the winner with ``benchmarks/leaderboard.py``. Usage:

    python -m benchmarks.tune --model bert4rec --split loo --seeds 2020 2021 --jobs 4 \\
        --grid mask_prob=0.2,0.4,0.6 --grid dropout,attn_dropout=0.1,0.3 --out benchmarks/results/tune-bert4rec

``--grid KEYS=V1,V2`` adds a grid axis; ``KEYS`` may name several settings joined by commas, which then take the
same value (tied dropouts). ``--point "K1=V1 K2=V2"`` adds one explicit point beside the grid's (one-at-a-time
designs around the defaults); an empty string stands for the defaults. Writes ``OUT/tuning_runs.csv`` after
every run (one row per run) and, at the end, ``OUT/tuning.csv`` (one row per grid point, best first) and
``OUT/tuning.md``. Beside the best epoch's figure, each run reports the level its validation curve settled at
(the mean of its last 10 validations): on a noisy curve the best epoch is partly luck. ``OUT/curves.csv`` and
``OUT/curves.png`` hold every run's validation curve against the training examples it had seen (epochs times
the examples of one epoch: windows, users or interactions), which compares points whose epochs differ in
length; closed-form models have no curve and get neither file. ``--from-dirs RUN_DIR ...`` tabulates finished
run directories (of this script or of ``sslrec train``) without training.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import os
import sys
import tempfile
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

if not __package__:  # run by path, not with -m: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.leaderboard import (  # noqa: E402
    Point,
    add_tie_options,
    at_least,
    data_mismatch,
    data_problem,
    data_settings,
    file_not_folder,
    given_twice,
    not_run_dirs,
    point_of,
    repeated,
    run_config,
    run_one,
    settings_problem,
    tie_fields,
)
from sslrec_utils.batching import make_batcher  # noqa: E402
from sslrec_utils.experiment import DataSpec, load_split  # noqa: E402
from sslrec_utils.models import build_model, model_config  # noqa: E402
from sslrec_utils.models.base import TrainData  # noqa: E402
from sslrec_utils.plotting import training_curves  # noqa: E402

LATE = 10  # validations averaged for the level a run's curve settled at


def parse_grid(axes: list[str]) -> list[Point]:
    """Every point of the product of ``KEYS=V1,V2`` axes, as ``((key, value), ...)``.

    Raises:
        ValueError: an axis without ``=`` or without values, a value repeated in an axis, or a key in two
            axes (the later would override the earlier under one point's name).
    """
    expanded: list[list[Point]] = []
    for axis in axes:
        keys, sep, values = axis.partition("=")
        if not sep or not keys.strip() or not values.strip():
            raise ValueError(f"expected KEYS=V1,V2,..., got {axis!r}")
        names = [k.strip() for k in keys.split(",")]
        given = [v.strip() for v in _split_values(values)]
        if twice := repeated(given):
            raise ValueError(f"--grid {axis} repeats {', '.join(twice)}: give each value once")
        expanded.append([tuple((k, v) for k in names) for v in given])
    if twice := repeated(k for axis in expanded for k, _ in axis[0]):
        raise ValueError(f"--grid sets {', '.join(twice)} more than once: give each key in one axis")
    return [tuple(pair for part in combo for pair in part) for combo in itertools.product(*expanded)]


def parse_point(text: str) -> Point:
    """One explicit grid point from ``"k1=v1 k2=v2"``.

    Raises:
        ValueError: a part without ``=``, or a key given twice.
    """
    pairs = [part.partition("=") for part in text.split()]
    bad = [k for k, sep, _ in pairs if not sep or not k]
    if bad:
        raise ValueError(f"expected 'k1=v1 k2=v2', got {text!r}")
    if twice := repeated(k for k, _, _ in pairs):
        raise ValueError(f"--point {text!r} sets {', '.join(twice)} more than once")
    return tuple((k, v) for k, _, v in pairs)


def _split_values(values: str) -> list[str]:
    """Split on commas outside brackets, so that ``[600,200],[200]`` gives two list values."""
    parts, depth, current = [], 0, ""
    for ch in values:
        depth += ch == "["
        depth -= ch == "]"
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    return [p for p in [*parts, current] if p.strip()]


def label(point: Point) -> str:
    """``k1=v1 k2=v2``: a grid point's name in tables."""
    return " ".join(f"{k}={v}" for k, v in point) or "(defaults)"


def run_point(point: Point, seed: int, args: argparse.Namespace, run_dir: Path) -> dict[str, object]:
    """Train one grid point with one seed; return its validation figures, epochs and times (`collect`)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    record = run_one(args.model, seed, args, run_dir, [f"{k}={v}" for k, v in point], env)
    return collect(point, seed, run_dir, record["process_seconds"])


def collect(point: Point, seed: int, run_dir: Path, process_seconds: float) -> dict[str, object]:
    """One run's row: the validation metrics of its best epoch, and ``valid_ndcg@10_last10``, the mean
    validation NDCG@10 of its last `LATE` validations (a closed-form model's one validation). The best
    epoch's figure is the highest of a noisy curve; the late mean shows the level the curve settled at,
    which is what a point really changes."""
    metrics = json.loads((run_dir / "metrics.json").read_text())
    history = pd.read_csv(run_dir / "history.csv")
    curve = history["ndcg@10"].dropna() if "ndcg@10" in history.columns else pd.Series(dtype=float)
    return {
        "point": label(point),
        **dict(point),
        "seed": seed,
        **{f"valid_{k}": v for k, v in metrics["valid"].items()},
        f"valid_ndcg@10_last{LATE}": float(curve.tail(LATE).mean()) if len(curve) else float("nan"),
        "epochs": metrics["epochs"],
        "best_epoch": metrics["best_epoch"],
        "seconds_per_epoch": metrics["seconds_per_epoch"],
        "process_seconds": process_seconds,
    }


def examples_per_epoch(run_dir: Path) -> int:
    """The training examples (windows, users or interactions) one epoch of a run draws, counted by re-making
    its batcher from its ``config.json`` on its split and drawing one epoch; 0 for a closed-form model."""
    config = run_config(run_dir)
    split, _ = load_split(DataSpec.from_dict(config["data"]), progress=False)
    data = TrainData.from_split(split)
    model = build_model(model_config(config["model"], config["model_config"]), data)
    if model.closed_form:
        return 0
    batch_size = config["train_config"]["batch_size"]
    batcher, _ = make_batcher(model.batcher, data, batch_size, torch.device("cpu"), **model.batcher_options())
    return sum(len(next(iter(batch.values()))) for batch in batcher(np.random.default_rng(0)))


def curves(run_dirs: list[Path], labels: dict[Path, str] | None = None) -> pd.DataFrame:
    """Every run's validation curve: one row per validation, with the run's point (its label in `labels`, else
    what its config changed), seed, epoch, ``examples_seen`` (epoch times `examples_per_epoch`) and validation
    NDCG@10."""
    frames, per_epoch = [], {}
    for run_dir in run_dirs:
        point, seed = point_of(run_dir)
        config = run_config(run_dir)
        fields = {f.name for f in dataclasses.fields(model_config(config["model"]))}
        missing = sorted(fields - config["model_config"].keys())
        if missing:  # its epochs cannot be re-made: those settings' defaults may have changed since
            print(f"{run_dir}: left out of the curves, its config predates {missing}", file=sys.stderr)
            continue
        key = json.dumps([config["data"], config["model"], config["model_config"]])
        if key not in per_epoch:  # shared by runs differing in training settings only (batch size included)
            per_epoch[key] = examples_per_epoch(run_dir)
        history = pd.read_csv(run_dir / "history.csv")
        frames.append(
            pd.DataFrame(
                {
                    "point": (labels or {}).get(run_dir, label(point)),
                    "seed": seed,
                    "epoch": history["epoch"],
                    "examples_seen": history["epoch"] * per_epoch[key],
                    "valid_ndcg@10": history["ndcg@10"],
                }
            )
        )
    columns = ["point", "seed", "epoch", "examples_seen", "valid_ndcg@10"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def write_curves(
    run_dirs: list[Path], args: argparse.Namespace, labels: dict[Path, str] | None = None
) -> None:
    """OUT/curves.csv (every run's curve) and OUT/curves.png: per point, validation NDCG@10 averaged over its
    seeds at each epoch all of them validated, against the examples seen (millions). Nothing for closed-form
    models, which have no curve."""
    table = curves(run_dirs, labels)
    if not table.empty and (table["epoch"] == 0).all():
        return
    table.to_csv(args.out / "curves.csv", index=False)
    if table.empty:
        return
    histories = {}
    for point, runs in table.groupby("point", sort=False):
        n_seeds = runs["seed"].nunique()
        mean = runs.groupby("epoch").agg(
            examples_seen=("examples_seen", "first"), ndcg=("valid_ndcg@10", "mean"), n=("seed", "nunique")
        )
        mean = mean[mean["n"] == n_seeds].reset_index()
        mean["million examples seen"] = mean["examples_seen"] / 1e6
        name = f"{point}, mean of {n_seeds} seeds" if n_seeds > 1 else f"{point}, seed {runs['seed'].iloc[0]}"
        histories[name] = mean.rename(columns={"ndcg": "ndcg@10"})
    ax = training_curves(
        histories,
        x="million examples seen",
        title=f"Validation curves of {args.model} on {args.dataset} ({args.split})",
    )
    ax.figure.set_size_inches(8.0, 4.8)
    ax.figure.savefig(args.out / "curves.png", dpi=120, bbox_inches="tight")
    plt.close(ax.figure)


def summarise(runs: pd.DataFrame, metric: str = "valid_ndcg@10") -> pd.DataFrame:
    """Mean and std of the validation metric per grid point over seeds, best first."""
    grouped = runs.groupby("point", sort=False)
    table = grouped[metric].agg(["mean", "std", "count"]).rename(columns=lambda c: f"{metric}_{c}")
    late = f"valid_ndcg@10_last{LATE}"
    if late in runs.columns:
        table[f"{late}_mean"] = grouped[late].mean()
    table["best_epoch_mean"] = grouped["best_epoch"].mean()
    table["seconds_per_epoch_mean"] = grouped["seconds_per_epoch"].mean()
    return table.sort_values(f"{metric}_mean", ascending=False)


def markdown_table(table: pd.DataFrame) -> str:
    """`summarise`'s table as tuning.md shows it, below its header."""
    return table.to_markdown(floatfmt=".4f")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", required=True)
    parser.add_argument("--grid", action="append", default=[], metavar="KEYS=V1,V2", help="a grid axis")
    parser.add_argument(
        "--point",
        action="append",
        default=[],
        metavar="'K1=V1 K2=V2'",
        help="an explicit point (beside the grid)",
    )
    parser.add_argument("--seeds", type=at_least(0), nargs="+", default=[2020, 2021])
    parser.add_argument("--dataset", default="ml-100k")
    parser.add_argument("--split", default="holdout")
    add_tie_options(parser)
    parser.add_argument("--epochs", type=at_least(1), default=None, help="cap epochs; default: the model's")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="fixed for every run")
    parser.add_argument("--jobs", type=int, default=1, help="runs at once (one thread each)")
    parser.add_argument("--runs-dir", type=Path, default=None, help="run directories (default: a temp dir)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument(
        "--from-dirs",
        type=Path,
        nargs="+",
        default=None,
        metavar="RUN_DIR",
        help="train nothing: tabulate these run directories (each point is what its config changed)",
    )
    args = parser.parse_args(argv)
    if any("=" not in s for s in args.set):
        parser.error(f"--set takes KEY=VALUE, got {args.set}")
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {args.jobs}")
    if problem := file_not_folder(args.out):
        parser.error(problem)
    if problem := given_twice("--seeds", args.seeds):  # trained twice, then counted as two seeds
        parser.error(problem)
    if args.from_dirs:
        if problem := not_run_dirs(args.from_dirs):
            parser.error(problem)
        configs = [run_config(d) for d in args.from_dirs]
        others = [str(d) for d, c in zip(args.from_dirs, configs, strict=True) if c["model"] != args.model]
        if others:
            parser.error(f"runs of another model than {args.model}: {', '.join(others)}")
        # a point's mean over seeds must not mix data sets, preprocessings or splits
        if mismatch := data_mismatch([data_settings(c) for c in configs]):
            parser.error(mismatch)
        # the runs say what they were, not this command's defaults
        args.dataset, args.split = configs[0]["data"]["dataset"], configs[0]["data"]["split"]
        keys = [point_of(d) for d in args.from_dirs]
        if twice := repeated(keys):  # the same run given twice would count as two seeds of its point
            point, seed = twice[0]
            dirs = [str(d) for d, k in zip(args.from_dirs, keys, strict=True) if k == twice[0]]
            parser.error(
                f"two runs of {label(point)} with seed {seed}: give one per point and seed ({', '.join(dirs)})"
            )
        rows = [collect(*key, d, float("nan")) for key, d in zip(keys, args.from_dirs, strict=True)]
        args.seeds = sorted({int(r["seed"]) for r in rows})
        args.out.mkdir(parents=True, exist_ok=True)
        pd.DataFrame(rows).to_csv(args.out / "tuning_runs.csv", index=False)
        write_curves(args.from_dirs, args)
        return write_tables(rows, args)
    try:
        points = (parse_grid(args.grid) if args.grid else []) + [parse_point(p) for p in args.point]
    except ValueError as err:
        parser.error(str(err))
    if twice := repeated(points):  # a --point that is also a grid point, or given twice
        parser.error(f"the point {label(twice[0])} is given twice: give each once")
    points = points or [()]  # neither: the model's defaults alone
    # what would fail every run, or every run of a point: refused before the first
    train = {"epochs": args.epochs, "device": args.device}
    if problem := data_problem(args.dataset, split=args.split, **tie_fields(args)):
        parser.error(problem)
    # the fixed settings alone first, so that a point is named for its own problem only
    for point in dict.fromkeys([(), *points]):
        if problem := settings_problem([args.model], [*args.set, *(f"{k}={v}" for k, v in point)], **train):
            parser.error(f"the point {label(point)}: {problem}" if point else problem)
    args.out.mkdir(parents=True, exist_ok=True)
    runs_dir = args.runs_dir or Path(tempfile.mkdtemp(prefix=f"tune-{args.model}-"))
    jobs = [(p, s) for p in points for s in args.seeds]
    print(
        f"{args.model}: {len(points)} grid points x {len(args.seeds)} seeds, {args.jobs} at a time; "
        f"runs in {runs_dir}, each one's progress in NNN-SEED.log there",
        flush=True,
    )
    rows, failed, lock = [], [], threading.Lock()
    with ThreadPoolExecutor(args.jobs) as pool:
        futures = {
            pool.submit(run_point, p, s, args, runs_dir / f"{i:03d}-{s}"): (p, s)
            for i, (p, s) in enumerate(jobs)
        }
        for future in as_completed(futures):
            point, seed = futures[future]
            try:
                row = future.result()
            except RuntimeError as err:  # one failed point must not lose the others
                print(f"FAILED {label(point)} seed {seed}: {err}", file=sys.stderr, flush=True)
                failed.append((label(point), seed))
                continue
            with lock:
                rows.append(row)
                pd.DataFrame(rows).to_csv(args.out / "tuning_runs.csv", index=False)
            print(
                f"[{len(rows)}/{len(jobs)}] {row['point']} seed {seed}: valid ndcg@10 "
                f"{row['valid_ndcg@10']:.4f} (best epoch {row['best_epoch']}/{row['epochs']}, "
                f"{row['process_seconds']:.0f} s)",
                flush=True,
            )
    labels = {runs_dir / f"{i:03d}-{s}": label(p) for i, (p, s) in enumerate(jobs)}
    finished = [d for d in labels if (d / "metrics.json").exists()]
    if finished:
        write_curves(finished, args, labels)
    return write_tables(rows, args, failed)


def write_tables(
    rows: list[dict[str, object]], args: argparse.Namespace, failed: Sequence[tuple[str, int]] = ()
) -> int:
    """OUT/tuning.csv and OUT/tuning.md from the runs' rows; 1 if there is none or a run `failed` (point,
    seed), whose point is then ranked on fewer seeds than the others (tuning.md names them)."""
    if not rows:
        print("no run finished", file=sys.stderr)
        return 1
    frame = pd.DataFrame(rows)
    table = summarise(frame)
    table.to_csv(args.out / "tuning.csv")
    seeds = frame.groupby("point", sort=False)["seed"].agg(lambda s: tuple(sorted(set(s))))
    every = sorted(set(frame["seed"]))
    fewer = [f"{point} ({', '.join(map(str, s))})" for point, s in seeds.items() if list(s) != every]
    fixed = " ".join(args.set) or "none"
    header = (
        f"# Tuning {args.model} on {args.dataset} ({args.split}), validation only\n\n"
        f"Seeds {', '.join(map(str, args.seeds))}; device {args.device}; fixed settings: {fixed}.\n\n"
    )
    if failed:
        runs = ", ".join(f"{point} seed {seed}" for point, seed in failed)
        header += f"**Failed runs, left out of the means:** {runs} (their logs are in the runs folder).\n\n"
    if fewer:  # a mean over other seeds: compare such a point with the others on its own seeds
        header += (
            f"**Points not run on every seed ({', '.join(map(str, every))}), whose means are over their own "
            f"seeds only:** {'; '.join(fewer)}.\n\n"
        )
    (args.out / "tuning.md").write_text(header + markdown_table(table) + "\n")
    print(table.to_string(float_format=lambda x: f"{x:.4f}"))
    if failed:
        print(f"{len(failed)} run(s) failed; tuning.md names them", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
