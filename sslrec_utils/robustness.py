"""Perturbed training data, for measuring how a model degrades: random fake interactions (noise) and randomly
dropped interactions (sparsity). Only the training part changes; validation and test stay clean, so every
perturbed model is scored on the same held-out interactions.

    noisy = with_noise(split, rate=0.2, seed=0)    # 20% more training rows, (user, item) pairs drawn at random
    sparse = with_dropped(split, share=0.5, seed=0)  # half of the training rows removed
    evaluate_perturbed(model, sparse, split)         # scored on the clean held-out interactions
"""

from __future__ import annotations

from numbers import Real
from typing import Literal

import numpy as np
import pandas as pd

from sslrec_utils.metrics import EvalResult, evaluate
from sslrec_utils.models.base import Recommender
from sslrec_utils.splits import Split, check_seed
from sslrec_utils.train import make_score_fn


def _train_part(split: Split) -> str:
    if "train" not in split.parts:
        raise ValueError(f"the split has no 'train' part; parts: {list(split.parts)}")
    return "train"


def _check_number(value: object, name: str, upper: float = np.inf) -> float:
    """`value` as a float, after refusing a bool, a str or another non-number (TypeError) and NaN, infinity
    or a number outside ``[0, upper)`` (ValueError)."""
    allowed = "a finite number >= 0" if upper == np.inf else f"a number in [0, {upper:g})"
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be {allowed}, got {value!r}")
    if not (np.isfinite(value) and 0 <= value < upper):
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    return float(value)


def _check_count(value: object, name: str) -> int:
    """`value` as an int, after refusing a bool, a float or a str (TypeError) and a negative number
    (ValueError)."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be a non-negative integer, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return int(value)


def _check_same_heldout(perturbed: Split, clean: Split) -> None:
    """Refuse a `clean` split that is not the one `perturbed` was made from: another protocol, other user or
    item IDs, or other held-out parts (compared on their user and item columns; a perturbation changes only
    the training part). A split drawn with another seed would otherwise be scored silently against a model
    trained on part of its held-out rows."""
    if perturbed.protocol != clean.protocol:
        raise ValueError(
            f"clean must be the split perturbed was made from: protocols {perturbed.protocol!r} and "
            f"{clean.protocol!r} differ"
        )
    for what, mine, theirs in (
        ("user_map IDs", perturbed.user_map.ids, clean.user_map.ids),
        ("item_map IDs", perturbed.item_map.ids, clean.item_map.ids),
    ):
        if not np.array_equal(mine, theirs):
            raise ValueError(
                f"clean must be the split perturbed was made from: their {what} differ "
                f"({len(mine)} and {len(theirs)} IDs)"
            )
    train = _train_part(perturbed)
    for part in (p for p in perturbed.parts if p != train):
        for column in ("user", "item"):
            mine, theirs = perturbed.parts[part][column].to_numpy(), clean.parts[part][column].to_numpy()
            if not np.array_equal(mine, theirs):
                raise ValueError(
                    f"clean must be the split perturbed was made from: the {column} columns of their "
                    f"{part!r} parts differ ({len(mine)} and {len(theirs)} rows; another seed?)"
                )


def with_noise(split: Split, rate: float, seed: int) -> Split:
    """`split` with ``round(rate * n_train)`` fake training interactions added.

    Each fake row pairs a user drawn in proportion to their training activity (active users click more, including
    by accident) with an item drawn uniformly among the items that user has not in training; fake rows get the
    median rating and the timestamp just after the user's latest training row, so they come last in the training
    sequences (on a leave-one-out split, the validation item, which the test's input also holds, may sort before
    or after them).

    The draw ignores the held-out parts, as a real log's noise would: a fake row may fall on a user's validation
    or test item, which the ranking then excludes as seen, a miss. Drawing only among the items a user has in no
    part would do the opposite: every fake item excluded from the ranking would be a certain non-hit, and the
    held-out items would move up the ranking of even an unchanged model.

    Args:
        split: a split with a ``train`` part.
        rate: fake rows per real training row, a finite number >= 0.
        seed: seeds the draws.

    Raises:
        TypeError: if `rate` is not a number (a str, a bool).
        ValueError: if `rate` is negative, NaN or infinite, or asks for more fake rows than there is room for.
    """
    rate = _check_number(rate, "rate")
    seed = check_seed(seed, "with_noise", required=True)
    part = _train_part(split)
    train = split.parts[part]
    n_fake = int(round(rate * len(train)))
    if n_fake == 0:
        return split
    rng = np.random.default_rng(seed)
    counts = np.bincount(train["user"].to_numpy(np.int64), minlength=split.n_users).astype(np.float64)
    users = rng.choice(split.n_users, size=n_fake, p=counts / counts.sum())
    known = split.matrix(part)  # fake rows never repeat a training row, and ignore the held-out ones
    room = split.n_items - np.diff(known.indptr)  # items each user has not in training
    if (room[users] == 0).any() or n_fake > room[counts > 0].sum():
        raise ValueError(
            f"rate {rate} asks for {n_fake} fake rows, more than the users' untrained items allow"
        )
    items = rng.integers(0, split.n_items, size=n_fake)

    def collides(users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """A training pair, or a fake pair already drawn earlier in the arrays."""
        keys = users.astype(np.int64) * split.n_items + items
        _, first = np.unique(keys, return_index=True)
        repeated = np.ones(len(keys), dtype=bool)
        repeated[first] = False
        return (np.asarray(known[users, items]).ravel() > 0) | repeated

    taken = collides(users, items)
    for _ in range(1000):  # redraw collisions; users hold at most a small share of the catalogue
        if not taken.any():
            break
        items[taken] = rng.integers(0, split.n_items, size=int(taken.sum()))
        taken = collides(users, items)
    if taken.any():
        raise ValueError(f"could not draw {n_fake} distinct fake rows: lower the rate (now {rate})")
    pairs = np.sort(users.astype(np.int64) * split.n_items + items)
    last = train.groupby("user")["timestamp"].max()
    fake = pd.DataFrame(
        {
            "user": pairs // split.n_items,
            "item": pairs % split.n_items,
            "rating": np.float32(train["rating"].median()),
            "timestamp": last.reindex(pairs // split.n_items).fillna(0).to_numpy(np.int64) + 1,
        }
    ).astype(train.dtypes.to_dict())
    start = max(int(p.index.max()) for p in split.parts.values() if len(p)) + 1
    fake.index = pd.RangeIndex(start, start + len(fake))
    return Split(
        {**split.parts, part: pd.concat([train, fake])},
        split.user_map,
        split.item_map,
        split.protocol,
        split.seed,
    )


def with_dropped(split: Split, share: float, seed: int, *, min_per_user: int = 1) -> Split:
    """`split` with a random `share` of the training interactions removed.

    Args:
        split: a split with a ``train`` part.
        share: fraction of training rows to drop, in [0, 1).
        seed: seeds the draw.
        min_per_user: every user keeps at least this many training rows (if they had them), so every test user
            still has a history to be scored from; a non-negative integer.

    Raises:
        TypeError: if `share` is not a number or `min_per_user` not an integer.
        ValueError: if `share` is outside [0, 1), `min_per_user` negative, or `share` asks for more rows than
            `min_per_user` leaves droppable.
    """
    share = _check_number(share, "share", upper=1.0)
    min_per_user = _check_count(min_per_user, "min_per_user")
    seed = check_seed(seed, "with_dropped", required=True)
    part = _train_part(split)
    train = split.parts[part]
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(train))
    shuffled = train.iloc[order]
    rank = shuffled.groupby("user").cumcount().to_numpy()  # a random rank of each row within its user
    keep = rank < min_per_user  # the protected rows
    n_drop, droppable = int(round(share * len(train))), np.flatnonzero(~keep)
    if n_drop > len(droppable):  # two shares must never give the same data under two labels
        raise ValueError(
            f"share {share} asks to drop {n_drop} of {len(train)} training rows, but keeping {min_per_user} per "
            f"user leaves {len(droppable)} droppable: at most share {len(droppable) / len(train):.3f}"
        )
    # an order of its own: the one that chose each user's protected rows put a light user's other rows late,
    # so taking its first n_drop droppable rows had dropped a heavy user's rows more often (0.34 against 0.14 of
    # them at share 0.3, users of 20 and 2 rows); a prefix of one order, so one seed's larger share drops a
    # superset of what its smaller share drops
    keep[droppable] = True
    keep[rng.permutation(droppable)[:n_drop]] = False
    kept = shuffled[keep].sort_index()
    return Split({**split.parts, part: kept}, split.user_map, split.item_map, split.protocol, split.seed)


def evaluate_perturbed(
    model: Recommender,
    perturbed: Split,
    clean: Split,
    phase: Literal["valid", "test"] = "test",
    *,
    ks: tuple[int, ...] = (10, 20),
    batch_size: int = 1024,
) -> EvalResult:
    """Full-ranking metrics of a model trained on `perturbed`, on `clean`'s held-out interactions.

    The model scores users from the perturbed input (what it would see when serving); the ranking excludes what
    either split excludes, so an interaction dropped from training is not counted as a miss when the model ranks
    it high (the user did have it), and, under a protocol that excludes seen items (not ``loo``), a fake one is
    not recommended back.

    Args:
        model: a trained model.
        perturbed: the split it was trained on (`with_noise`, `with_dropped`).
        clean: the unperturbed split, with the same held-out parts.
        phase: ``"valid"`` or ``"test"``.
        ks: cut-offs.
        batch_size: users scored at once.

    Raises:
        ValueError: if `clean` is not the split `perturbed` was made from (another protocol, other user or
            item IDs, or other held-out rows, as a split drawn with another seed has), or for a bad phase or
            cut-off.
    """
    _check_same_heldout(perturbed, clean)
    was_training = model.training
    model.eval()
    try:
        score_fn, plan = make_score_fn(model, perturbed, phase, model.device)
        clean_plan = clean.eval_plan(phase)
        exclude = None
        for part in (plan.exclude, clean_plan.exclude):
            if part is not None:
                exclude = part.copy() if exclude is None else exclude + part
        if exclude is not None:
            exclude.data[:] = 1.0
        users = np.intersect1d(plan.users, clean_plan.users)
        return evaluate(score_fn, users, clean_plan.heldout, exclude, ks=ks, batch_size=batch_size)
    finally:  # a refused k or phase leaves the model as it was
        model.train(was_training)


__all__ = ["evaluate_perturbed", "with_dropped", "with_noise"]
