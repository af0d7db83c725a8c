"""Count how BERT4Rec's training targets divide between its two kinds of window over one epoch.

A last-only window (a fraction ``last_prob`` of them) masks only its latest item: one target. A cloze window
masks each item with probability ``mask_prob``: many. The loss averages over targets by default, so this count
says how much of it the next-item windows carry (quoted in `sslrec_utils.models.bert4rec`). Usage:

    python -m benchmarks.bert4rec_targets --seed 2020 > benchmarks/results/bert4rec_targets/ml-100k-loo.txt
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from sslrec_utils.batching import make_batcher
from sslrec_utils.experiment import DataSpec, load_split
from sslrec_utils.models import build_model
from sslrec_utils.models.base import TrainData

if not __package__:  # run by path, not with -m: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.leaderboard import at_least, data_problem  # noqa: E402


def count_targets(
    data: TrainData, seed: int, mask_seed: int, options: Mapping[str, Any] | None = None
) -> dict[str, int]:
    """Windows and targets of one epoch of BERT4Rec's training batches, split by kind of window.

    Args:
        data: the training data of a leave-one-out split.
        seed: the model's seed.
        mask_seed: seed of the batch order and the masks.
        options: BERT4Rec settings beyond its defaults.

    Returns:
        ``windows``, ``last_windows`` (one target, at the last position, nothing else masked), ``targets`` and
        ``last_targets`` (the targets in those windows).
    """
    model = build_model("bert4rec", data, options or {}, seed=seed)
    batcher, _ = make_batcher(model.batcher, data, 64, torch.device("cpu"), **model.batcher_options())
    generator = torch.Generator().manual_seed(mask_seed)
    counts = dict.fromkeys(("windows", "last_windows", "targets", "last_targets"), 0)
    for batch in batcher(np.random.default_rng(mask_seed)):
        inputs, target = model.mask(batch["seqs"], generator)
        counted = (target != -100).sum(1)
        # one target, at the last column, no [MASK] before it: a last-only window (or a cloze window that drew
        # only its last item, which counts the same in the loss)
        last = (counted == 1) & (target[:, -1] != -100) & ((inputs[:, :-1] == model.mask_token).sum(1) == 0)
        counts["windows"] += len(target)
        counts["last_windows"] += int(last.sum())
        counts["targets"] += int(counted.sum())
        counts["last_targets"] += int(counted[last].sum())
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="ml-100k")
    parser.add_argument("--seed", type=at_least(0), default=2020, help="split and model seed")
    parser.add_argument(
        "--mask-seed", type=at_least(0), default=0, help="seed of the batch order and the masks"
    )
    args = parser.parse_args(argv)
    if problem := data_problem(args.dataset, split="loo", seed=args.seed):  # before the log is read
        parser.error(problem)
    split, _ = load_split(DataSpec(dataset=args.dataset, split="loo", seed=args.seed))
    c = count_targets(TrainData.from_split(split), args.seed, args.mask_seed)
    print(f"{args.dataset} loo, seed {args.seed}, mask seed {args.mask_seed}, BERT4Rec defaults, one epoch")
    share = c["last_windows"] / c["windows"]
    print(
        f"windows {c['windows']}, of them with one target at the last position {c['last_windows']} ({share:.3f})"
    )
    share = c["last_targets"] / c["targets"]
    print(f"targets {c['targets']}, of them in those windows {c['last_targets']} ({share:.3f})")


if __name__ == "__main__":
    main()
