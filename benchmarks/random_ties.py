"""Write a copy of an interaction log whose ties in time are broken at random.

MovieLens records seconds, and a user often rates several films in one second. The splits by time first ordered
such ties by item index, so within a second the film with the higher ID always came later; `preprocess` now
orders them at random by default (``ties="random"``). This script writes that order into a file: timestamps
become milliseconds, and the ties of a second get the offsets 1, 2, ... in an order drawn with `--seed`, the
order ``preprocess(ties="random", tie_seed=seed)`` gives the unfiltered log (a test checks it). The order
between different seconds is unchanged. It served to measure how much the models' figures owed to the
item-index order, and serves tools that read a file, such as ``benchmarks/rescore.py --retest-on``. The script
also prints `sslrec_utils.data.tie_stats` of the original log. Usage:

    python -m benchmarks.random_ties --dataset ml-100k --out /tmp/ml-100k-random-ties.parquet --seed 0
    sslrec train --model sasrec --split loo --dataset /tmp/ml-100k-random-ties.parquet \\
        --rating-col rating --time-col timestamp --out runs/sasrec-random-ties

The copy holds licensed data: write it outside the repository (or under the ignored ``data/``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from sslrec_utils.data import DATASETS, load_movielens, tie_stats


def break_ties(ratings: pd.DataFrame, seed: int) -> pd.DataFrame:
    """`ratings` with ``timestamp`` in milliseconds and each (user, second)'s rows in a random order.

    Args:
        ratings: a log with the columns ``user`` and ``timestamp`` (integer seconds).
        seed: seed of the order drawn within each tie.

    Raises:
        ValueError: a user has 1,000 or more rows in one second (their offsets would reach the next second).
    """
    key = np.random.default_rng(seed).random(len(ratings))
    groups = [ratings["user"].to_numpy(), ratings["timestamp"].to_numpy()]
    offset = pd.Series(key, index=ratings.index).groupby(groups).rank(method="first").astype(np.int64)
    if len(offset) and offset.max() >= 1000:
        raise ValueError(f"a user has {offset.max()} rows in one second; at most 999 fit in its milliseconds")
    return ratings.assign(timestamp=ratings["timestamp"].astype(np.int64) * 1000 + offset)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dataset", default="ml-100k", choices=DATASETS, help="a MovieLens name")
    parser.add_argument("--data-dir", type=Path, default=None, help="data folder (default: sslrec's)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True, help="the .parquet or .csv file to write")
    args = parser.parse_args(argv)
    if args.out.suffix not in (".parquet", ".csv"):
        parser.error(f"--out must end in .parquet or .csv, got {args.out.name}")
    ratings = load_movielens(args.dataset, args.data_dir).ratings
    copy = break_ties(ratings[["user", "item", "rating", "timestamp"]], args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.out.suffix == ".parquet":
        copy.to_parquet(args.out, index=False)
    else:
        copy.to_csv(args.out, index=False)
    stats = tie_stats(ratings)
    print(
        f"{args.out}: {len(copy)} rows, {stats['rows_in_ties']:.1%} of them share their second with another of "
        "their user's. In the log as the splits order it:"
    )
    for key, value in stats.items():
        print(f"  {key}: {value:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
