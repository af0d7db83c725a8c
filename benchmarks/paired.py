"""Compare saved runs user by user: is a difference between two models larger than the test users' noise?

A leaderboard's ± is the spread over seeds; it says nothing about how much a figure would move on other
users. This script reloads run directories written by ``sslrec train`` (nothing is trained, nothing chosen),
scores each user's held-out item on validation and on test, and compares every model with one or more
reference models of the same seed on the same users:

- ``test``: the paired difference of test NDCG@10, model minus reference;
- ``drop``: the paired difference of the fall from validation to test (validation NDCG@10 minus test
  NDCG@10, per user), model minus reference. The validation figure is the one the best epoch was chosen on,
  so it is optimistic; a model whose figure falls further than the reference's has a noisier validation
  curve, or ranks the test item worse than the validation item for another reason.

Each difference comes with a 95% interval over users, ``mean ± 1.96 * std / sqrt(n)``: per seed, and for the
mean over seeds (each user's differences averaged over the seeds first). Those intervals measure the
sampling error of the users, not the spread between seeds, which the per-seed rows show. With three seeds or
more, a second table asks whether the difference holds from seed to seed (each seed trains anew and, on a
random split such as ``holdout``, draws its own split): Student's t interval over the seeds' differences, ``mean ± t(0.975, k-1) * std / sqrt(k)`` for k
seeds, and on how many seeds the model is higher. Usage:

    python -m benchmarks.paired RUN_DIR [RUN_DIR ...] --reference sasrec,itemnext --out DIR
    python -m benchmarks.paired --from-tables A/paired_runs.csv B/paired_runs.csv --out DIR

Writes ``OUT/paired_runs.csv`` (one row per model, seed and quantity), ``OUT/paired_seeds.csv`` (one row per
model and quantity, with three seeds or more) and ``OUT/paired.md``. ``--from-tables`` loads nothing: it pools
the per-seed rows of earlier ``paired_runs.csv`` files (other seeds of the same data and split, for instance
runs whose folders are gone) and writes the comparison from seed to seed alone, ``OUT/paired_seeds.csv`` and
``OUT/paired_seeds.md``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

if not __package__:  # run by path, not with -m: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.leaderboard import (  # noqa: E402
    data_json,
    file_not_folder,
    read_table,
    recorded_data,
    run_config,
    runs_problem,
)
from sslrec_utils.experiment import split_fingerprint  # noqa: E402
from sslrec_utils.recommend import TrainedRecommender  # noqa: E402
from sslrec_utils.train import evaluate_model  # noqa: E402

METRIC = "ndcg@10"
Z95 = 1.96
TABLE_COLUMNS = ("model", "reference", "seed", "quantity", "difference")
"""The columns ``--from-tables`` needs in a ``paired_runs.csv``."""


def per_user(run_dir: Path, device: str = "cpu") -> tuple[str, int, str, pd.DataFrame]:
    """``(model, seed, split fingerprint, frame)`` of one saved run; the frame has one row per user evaluated
    in both phases (index ``user``) and the columns ``valid`` and ``test`` (NDCG@10).

    Raises:
        FileNotFoundError: `run_dir` lacks ``config.json`` or ``checkpoint.pt``.
    """
    rec = TrainedRecommender.load(run_dir, device=device)
    config = run_config(run_dir)  # names the model and seed
    phases = {
        phase: evaluate_model(rec.model, rec.split, phase).per_user[METRIC] for phase in ("valid", "test")
    }
    frame = pd.DataFrame(phases).dropna()
    return config["model"], config["data"]["seed"], split_fingerprint(rec.split), frame


def interval(diffs: np.ndarray) -> tuple[float, float, float]:
    """``(mean, low, high)``: the mean of (n,) paired differences with its 95% normal interval."""
    mean = float(diffs.mean())
    half = Z95 * float(diffs.std(ddof=1)) / np.sqrt(len(diffs)) if len(diffs) > 1 else float("nan")
    return mean, mean - half, mean + half


def compare(frames: dict[tuple[str, int], pd.DataFrame], reference: str) -> pd.DataFrame:
    """One row per (model, seed or ``"mean"``, quantity): the paired difference to `reference` of that seed.

    Args:
        frames: ``(model, seed) -> per-user frame`` from `per_user`.
        reference: the model every other one is compared with; it needs a run for each seed.
    """
    seeds = sorted({seed for _, seed in frames})
    missing = [seed for seed in seeds if (reference, seed) not in frames]
    if missing:
        raise ValueError(f"no run of the reference {reference!r} for seed(s) {missing}")
    rows = []
    for model in dict.fromkeys(m for m, _ in frames):
        if model == reference:
            continue
        diffs: dict[str, list[pd.Series]] = {"test": [], "drop": []}
        means: dict[str, list[float]] = {"test": [], "drop": []}  # the model's own level per seed
        for seed in seeds:
            if (model, seed) not in frames:
                continue
            mine, ref = frames[model, seed], frames[reference, seed]
            users = mine.index.intersection(ref.index)
            mine, ref = mine.loc[users], ref.loc[users]
            pairs = {
                "test": (mine["test"], ref["test"]),
                "drop": (mine["valid"] - mine["test"], ref["valid"] - ref["test"]),
            }
            for quantity, (own, other) in pairs.items():
                diffs[quantity].append(own - other)
                means[quantity].append(float(own.mean()))
                rows.append(
                    _row(model, reference, seed, quantity, means[quantity][-1], (own - other).to_numpy())
                )
        for quantity, series in diffs.items():
            if len(series) > 1:  # each user's differences averaged over the seeds that scored them
                pooled = pd.concat(series, axis=1).mean(axis=1).to_numpy()
                rows.append(_row(model, reference, "mean", quantity, float(np.mean(means[quantity])), pooled))
    return pd.DataFrame(rows)


def verdict(low: float, high: float) -> str:
    """``"above"``, ``"below"`` or ``"level"``: where a 95% interval of a difference lies against 0."""
    return "above" if low > 0 else "below" if high < 0 else "level"


def _row(model: str, reference: str, seed: int | str, quantity: str, level: float, diffs: np.ndarray) -> dict:
    mean, low, high = interval(diffs)
    return {
        "model": model,
        "reference": reference,
        "seed": seed,
        "quantity": quantity,
        "level": float(level),
        "difference": mean,
        "low": low,
        "high": high,
        "verdict": verdict(low, high),
        "n_users": len(diffs),
    }


def over_seeds(table: pd.DataFrame) -> pd.DataFrame:
    """One row per (model, reference, quantity) of `compare`'s table with three seeds or more: the mean of the
    seeds' differences with Student's t 95% interval over the seeds, and the seeds on which it is positive.

    The users' intervals treat a seed's training (and split) as fixed; this one treats them as a sample, so it
    answers whether the difference would hold for another training run, and on a random split (``holdout``)
    for another split; the leave-one-out split is the same for every seed."""
    rows = []
    per_seed = table[table["seed"].astype(str) != "mean"]
    for (model, reference, quantity), part in per_seed.groupby(
        ["model", "reference", "quantity"], sort=False
    ):
        diffs = part["difference"].to_numpy(dtype=float)
        k = len(diffs)
        if k < 3:
            continue
        mean = float(diffs.mean())
        half = float(stats.t.ppf(0.975, k - 1)) * float(diffs.std(ddof=1)) / np.sqrt(k)
        low, high = mean - half, mean + half
        rows.append(
            {
                "model": model,
                "reference": reference,
                "quantity": quantity,
                "seeds": k,
                "difference": mean,
                "low": low,
                "high": high,
                "positive_seeds": int((diffs > 0).sum()),
                "verdict": verdict(low, high),
            }
        )
    return pd.DataFrame(rows)


def pool_tables(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """The per-seed rows of several `compare` tables (``paired_runs.csv``) in one table, for `over_seeds`.

    Their ``mean`` rows are dropped: they pool the users of their own seeds only.

    Raises:
        ValueError: two tables hold a row of the same model, reference, seed and quantity.
    """
    rows = pd.concat([t[t["seed"].astype(str) != "mean"] for t in tables], ignore_index=True)
    key = ["model", "reference", "seed", "quantity"]
    twice = rows[rows.duplicated(key, keep=False)]
    if len(twice):
        first = twice.iloc[0]
        raise ValueError(
            f"{len(twice) // 2} rows appear twice, the first {first['model']} against {first['reference']}, "
            f"seed {first['seed']}: give each seed's comparison once"
        )
    return rows


def levels(frames: dict[tuple[str, int], pd.DataFrame], model: str) -> dict[str, float]:
    """`model`'s test NDCG@10 and its fall from validation, each averaged over users and then over seeds."""
    mine = [frame for (m, _), frame in frames.items() if m == model]
    return {
        "test": float(np.mean([f["test"].mean() for f in mine])),
        "drop": float(np.mean([(f["valid"] - f["test"]).mean() for f in mine])),
    }


def markdown(
    table: pd.DataFrame, frames: dict[tuple[str, int], pd.DataFrame], seeds_table: pd.DataFrame | None = None
) -> str:
    """The comparisons as Markdown: per reference and quantity one table, each model's mean over seeds first,
    then `over_seeds`'s table (`seeds_table`, computed here when not given) if it has rows."""
    seeds = sorted({s for s in table["seed"] if s != "mean"})
    lines = [
        "# Paired comparisons, user by user",
        "",
        f"Seeds {', '.join(map(str, seeds))}. Difference = model minus reference on the same users; 95% interval "
        "over users (mean ± 1.96 std / sqrt(n)); `mean` averages each user's differences over the seeds first. "
        "The intervals measure the users' sampling error, not the spread between seeds.",
    ]
    name = METRIC.upper()
    for reference in dict.fromkeys(table["reference"]):
        level = levels(frames, reference)
        titles = {
            "test": f"Test {name} against {reference} ({level['test']:.4f} averaged over seeds)",
            "drop": f"Fall from validation to test {name} against {reference}'s ({level['drop']:.4f})",
        }
        for quantity, title in titles.items():
            lines += [
                "",
                f"## {title}",
                "",
                "| model | seed | level | difference | 95% interval | verdict | users |",
            ]
            lines.append("|---|---|---|---|---|---|---|")
            part = table[(table["quantity"] == quantity) & (table["reference"] == reference)]
            for model in dict.fromkeys(part["model"]):
                mine = part[part["model"] == model]
                for _, r in pd.concat(
                    [mine[mine["seed"] == "mean"], mine[mine["seed"] != "mean"]]
                ).iterrows():
                    lines.append(users_row(r))
    seeds_table = over_seeds(table) if seeds_table is None else seeds_table
    if len(seeds_table):
        lines += ["", *seeds_markdown(seeds_table)]
    return "\n".join(lines) + "\n"


def users_row(row: pd.Series) -> str:
    """One row of `compare`'s table (``paired_runs.csv``) as a line of `markdown`'s tables."""
    return (
        f"| {row['model']} | {row['seed']} | {row['level']:.4f} | {row['difference']:+.4f} "
        f"| [{row['low']:+.4f}, {row['high']:+.4f}] | {row['verdict']} | {row['n_users']} |"
    )


def seeds_markdown(seeds_table: pd.DataFrame, after_users: bool = True) -> list[str]:
    """`over_seeds`'s table as the lines of a Markdown section, ``## From seed to seed``; `after_users`: it
    follows `markdown`'s tables over users, to which its text refers."""
    users = (
        ("(as in the `mean` rows above)", "where the users' intervals above do not")
        if after_users
        else ("(of test NDCG@10, or of the fall from validation)", "where intervals over users do not")
    )
    lines = [
        "## From seed to seed",
        "",
        "Each seed trains anew and, on a random split (holdout), draws its own split; the leave-one-out split "
        f"is the same for every seed. Difference: the mean of the seeds' differences {users[0]}; 95% interval: "
        f"Student's t over the seeds, which counts the spread between seeds as noise, {users[1]}; positive on: "
        "the seeds whose difference is above 0 (for the test figure, where the model is higher).",
        "",
        "| model | reference | quantity | difference | 95% interval over seeds | positive on | verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    for _, r in seeds_table.iterrows():
        lines.append(
            f"| {r['model']} | {r['reference']} | {r['quantity']} | {r['difference']:+.4f} "
            f"| [{r['low']:+.4f}, {r['high']:+.4f}] | {r['positive_seeds']} of {r['seeds']} | {r['verdict']} |"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("runs", type=Path, nargs="*", help="run directories written by sslrec train")
    parser.add_argument("--reference", help="the model(s) the others are compared with, comma-separated")
    parser.add_argument(
        "--from-tables",
        type=Path,
        nargs="+",
        metavar="PAIRED_RUNS_CSV",
        help="load no run: pool these paired_runs.csv files' seeds and compare from seed to seed",
    )
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)
    if args.from_tables:
        if args.runs or args.reference:
            parser.error("--from-tables takes no run directories and no --reference (the tables have theirs)")
        return from_tables(parser, args.from_tables, args.out)
    if not args.runs or not args.reference:
        parser.error("give run directories and --reference, or --from-tables")
    if problem := file_not_folder(args.out):
        parser.error(problem)
    references = [r.strip() for r in args.reference.split(",") if r.strip()]
    # a run cut short is not the model's figure; the mean over seeds pairs user i of every seed: one data set
    # and protocol only, one run per model and seed
    if problem := runs_problem(args.runs):
        parser.error(problem)
    if len(models := {run_config(d)["model"] for d in args.runs}) < 2:
        parser.error(f"nothing to compare: every run is of {models.pop()}; give runs of another model too")
    frames, fingerprints = {}, {}
    for run_dir in args.runs:
        model, seed, fingerprint, frame = per_user(run_dir, args.device)
        frames[model, seed], fingerprints[model, seed] = frame, fingerprint
        print(
            f"{run_dir}: {model} seed {seed}, valid {frame['valid'].mean():.4f}, test {frame['test'].mean():.4f}"
        )
    for seed in {seed for _, seed in fingerprints}:  # each seed's runs must rank the same users' items
        if len({f for (_, s), f in fingerprints.items() if s == seed}) > 1:
            parser.error(
                f"the runs of seed {seed} were trained on different splits: compare one data set and split"
            )
    try:
        table = pd.concat([compare(frames, reference) for reference in references], ignore_index=True)
    except ValueError as err:
        parser.error(str(err))
    # the runs' data set, preprocessing and protocol (one for all: runs_problem), for --from-tables to compare
    table["data"] = data_json(args.runs[0])
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "paired_runs.csv", index=False)
    if len(seeds_table := over_seeds(table)):
        seeds_table.to_csv(args.out / "paired_seeds.csv", index=False)
    text = markdown(table, frames, seeds_table)
    (args.out / "paired.md").write_text(text)
    print(text)
    return 0


def from_tables(parser: argparse.ArgumentParser, paths: list[Path], out: Path) -> int:
    """`main` with ``--from-tables``: `over_seeds` of the pooled tables, written to `out`."""
    if problem := file_not_folder(out):
        parser.error(problem)
    if missing := [str(p) for p in paths if not p.is_file()]:
        parser.error(f"no such file: {', '.join(missing)}")
    try:
        tables = [
            read_table(p, "--from-tables", "paired_runs.csv", TABLE_COLUMNS, dtype={"seed": str})
            for p in paths
        ]
        table = pool_tables(tables)
    except ValueError as err:
        parser.error(str(err))
    mismatch, unrecorded = recorded_data(table)
    if mismatch:
        parser.error(f"the tables' {mismatch.removeprefix('the ')}")
    if unrecorded:  # said, not passed as checked
        print(
            f"paired: {unrecorded} of the {len(table)} rows do not record their runs' data settings (tables "
            "written before the column): their data, preprocessing and split are not compared",
            file=sys.stderr,
        )
    seeds_table = over_seeds(table)
    if not len(seeds_table):
        parser.error("no comparison has three seeds or more in these tables")
    out.mkdir(parents=True, exist_ok=True)
    seeds_table.to_csv(out / "paired_seeds.csv", index=False)
    seeds = sorted(set(table["seed"]), key=int)
    text = "\n".join(
        [
            "# Paired comparisons from seed to seed",
            "",
            f"Seeds {', '.join(seeds)}, pooled from the per-seed rows of {', '.join(f'`{p}`' for p in paths)}.",
            "",
            *seeds_markdown(seeds_table, after_users=False),
        ]
    )
    (out / "paired_seeds.md").write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
