"""Score saved runs again on test with the seen items both kept and excluded.

The leave-one-out protocol ranks every item, the user's own history included, as RecBole does for sequence
models; a deployed recommender would not show a film the user has just watched. This script reloads each run
directory written by ``sslrec train`` (the same split, model and best weights), computes test NDCG@10 and
Recall@10 under the run's protocol and again with the input items excluded (``exclude_seen=True``), and checks
that the first reproduces the figure the run saved; it also counts how often the user's latest input item (the
film just watched) is among the top 10 when seen items are kept. Nothing is trained and nothing is chosen. Usage:

    python -m benchmarks.rescore RUN_DIR [RUN_DIR ...] --out benchmarks/results/ml-100k-loo-seen-excluded

Writes ``OUT/rescored_runs.csv`` (one row per run) and ``OUT/rescored.md`` (mean ± std over seeds per model).
``--keep EARLIER_CSV`` adds the rows of an earlier ``rescored_runs.csv`` whose model and seed were not scored
now: a leaderboard's row replaced by new runs is rescored without the run directories of the others.
``--retest-on FILE`` also scores each run, as trained, on the split of the same protocol made from another copy
of its log with the same users and items (a file with the columns ``user``, ``item``, ``rating`` and
``timestamp``, such as ``benchmarks/random_ties.py`` writes): columns ``*_retest``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import torch

if not __package__:  # run by path, not with -m: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.leaderboard import (  # noqa: E402
    data_mismatch,
    data_settings,
    file_not_folder,
    plus_minus,
    read_table,
    run_config,
    runs_problem,
)
from sslrec_utils.experiment import DataSpec, load_split  # noqa: E402
from sslrec_utils.metrics import rank_top  # noqa: E402
from sslrec_utils.recommend import TrainedRecommender  # noqa: E402
from sslrec_utils.splits import Split  # noqa: E402
from sslrec_utils.train import evaluate_model, make_score_fn  # noqa: E402

METRICS = ("ndcg@10", "recall@10")
TREATMENTS = {"protocol": None, "seen_excluded": True}
LABELS = {"ndcg@10": "NDCG@10", "recall@10": "Recall@10"}
KEPT = (
    "model",
    "seed",
    "run",
    *(f"{m}_{t}" for t in TREATMENTS for m in METRICS),
    "ndcg@10_saved",
    "latest_in_top10",
)
"""The columns ``--keep`` needs in an earlier ``rescored_runs.csv``."""


def rescore(run_dir: Path, device: str = "cpu", retest_on: Path | None = None) -> dict[str, object]:
    """Test metrics of one saved run under each treatment of seen items, with the figure it saved.

    Args:
        run_dir: a run directory written by ``sslrec train``.
        device: where to score.
        retest_on: another copy of the run's log (see the module docstring); None scores the run's own only.

    Raises:
        FileNotFoundError: `run_dir` lacks ``config.json``, ``checkpoint.pt`` or ``metrics.json``.
        ValueError: `retest_on` does not have the run's users and items.
    """
    rec = TrainedRecommender.load(run_dir, device=device)
    saved = json.loads((run_dir / "metrics.json").read_text())
    row: dict[str, object] = {"model": saved["model"], "seed": saved["seed"], "run": str(run_dir)}
    for label, exclude in TREATMENTS.items():
        summary = evaluate_model(rec.model, rec.split, "test", exclude_seen=exclude).summary
        row |= {f"{metric}_{label}": summary[metric] for metric in METRICS}
    row["ndcg@10_saved"] = saved["ndcg@10"]
    row["latest_in_top10"] = latest_item_share(rec)
    if retest_on is not None:
        other = retest_split(rec, retest_on)
        summary = evaluate_model(rec.model, other, "test").summary
        row |= {f"{metric}_retest": summary[metric] for metric in METRICS}
    return row


def retest_split(rec: TrainedRecommender, path: Path) -> Split:
    """The split of `rec`'s protocol and seed made from the log in `path`, checked to have `rec`'s users and items.

    Raises:
        ValueError: the users or items differ (the model's indices would point at other ones).
    """
    seed = {} if rec.split.seed is None else {"seed": rec.split.seed}  # None: a deterministic protocol
    spec = DataSpec(
        dataset=str(path), rating_col="rating", time_col="timestamp", split=rec.split.protocol, **seed
    )
    split, _ = load_split(spec)
    for name in ("user", "item"):
        if not np.array_equal(getattr(rec.split, f"{name}_map").ids, getattr(split, f"{name}_map").ids):
            raise ValueError(f"{path} does not have the run's {name}s: it is not a copy of its log")
    return split


@torch.no_grad()
def latest_item_share(rec: TrainedRecommender, k: int = 10, batch_size: int = 1024) -> float:
    """Share of the test users whose latest input item is among their top `k` under the run's protocol."""
    rec.model.eval()
    score_fn, plan = make_score_fn(rec.model, rec.split, "test", rec.model.device)
    seqs = rec.split.sequences(*plan.input_parts)
    latest = seqs.items[seqs.indptr[plan.users + 1] - 1]  # every evaluated user has an input
    hits = []
    for start in range(0, len(plan.users), batch_size):
        top = rank_top(score_fn(plan.users[start : start + batch_size]), k)[1].cpu().numpy()  # ties by index
        hits.append((top == latest[start : start + batch_size, None]).any(axis=1))
    return float(np.concatenate(hits).mean())


def markdown(runs: pd.DataFrame) -> str:
    """Mean ± std over seeds per model, best protocol figure first, and the reproduction check."""
    columns = [*(f"{m}_{t}" for t in TREATMENTS for m in METRICS), "latest_in_top10"]
    retest = [f"{m}_retest" for m in METRICS if f"{m}_retest" in runs]  # present with --retest-on
    columns += retest
    grouped = runs.groupby("model", sort=False)
    mean, std = grouped[columns].mean(), grouped[columns].std()  # sample std (ddof=1)
    mean = mean.sort_values("ndcg@10_protocol", ascending=False)
    gap = (runs["ndcg@10_protocol"] - runs["ndcg@10_saved"]).abs().max()
    lines = [
        "# Test metrics with the seen items kept (protocol) and excluded",
        "",
        f"{len(runs)} saved runs scored again; seeds {', '.join(map(str, sorted(runs['seed'].unique())))}; "
        "mean ± sample std over seeds. Largest difference between a protocol figure and the one its run saved: "
        f"{gap:.1e}.",
        "",
        "| model | NDCG@10 (protocol) | Recall@10 (protocol) | NDCG@10 (seen excluded) "
        "| Recall@10 (seen excluded) | latest item in top 10 (protocol) |"
        + "".join(f" {LABELS[c.removesuffix('_retest')]} (other log) |" for c in retest)
        + " runs |",
        "|" + "---|" * (len(columns) + 2),
    ]
    for model in mean.index:
        cells = [plus_minus(mean.at[model, c], std.at[model, c]) for c in columns]
        lines.append(f"| {model} | {' | '.join(cells)} | {grouped.size()[model]} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("runs", type=Path, nargs="+", help="run directories written by sslrec train")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--keep",
        type=Path,
        metavar="EARLIER_CSV",
        help="keep this file's rows for the (model, seed) not scored now",
    )
    parser.add_argument(
        "--retest-on",
        type=Path,
        metavar="FILE",
        help="also score each run on the same protocol's split of this copy of its log",
    )
    args = parser.parse_args(argv)
    if problem := file_not_folder(args.out) or runs_problem(args.runs):
        parser.error(problem)
    if missing := [
        f"{flag} {path}"
        for flag, path in (("--keep", args.keep), ("--retest-on", args.retest_on))
        if path is not None and not path.is_file()
    ]:
        parser.error(f"no such file: {', '.join(missing)}")
    earlier = None
    if args.keep:  # read first: it may be the file written below
        try:
            earlier = read_table(args.keep, "--keep", "rescored_runs.csv", KEPT)
        except ValueError as err:  # not a CSV file, or not a rescored_runs.csv: the columns it lacks named
            parser.error(str(err))
        kept = [Path(r) for r in earlier["run"] if (Path(r) / "config.json").is_file()]  # folders still there
        if mismatch := data_mismatch([data_settings(run_config(d)) for d in [*kept, *args.runs]]):
            parser.error(f"--keep {args.keep}: {mismatch}")
    rows = []
    for run_dir in args.runs:
        try:
            rows.append(rescore(run_dir, args.device, args.retest_on))
        except ValueError as err:
            parser.error(str(err))
        print(f"{run_dir}: " + "  ".join(f"{k} {v:.4f}" for k, v in rows[-1].items() if isinstance(v, float)))
    runs = pd.DataFrame(rows)
    if earlier is not None:  # as leaderboard --from-runs: a (model, seed) scored now replaces its earlier row
        runs = pd.concat([earlier, runs], ignore_index=True)
        runs = runs.drop_duplicates(subset=["model", "seed"], keep="last").reset_index(drop=True)
    args.out.mkdir(parents=True, exist_ok=True)
    runs.to_csv(args.out / "rescored_runs.csv", index=False)
    (args.out / "rescored.md").write_text(markdown(runs))
    print(markdown(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
