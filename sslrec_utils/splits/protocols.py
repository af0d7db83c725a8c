"""The four protocols (`holdout_split`, `loo_split`, `strong_split`, `time_split`), RecBole's part sizes
(`ratio_sizes`), and `make_split`, which splits by name and checks that each phase has a user to evaluate."""

from __future__ import annotations

import inspect
import math
import warnings
from collections.abc import Callable, Sequence
from numbers import Real

import numpy as np
import pandas as pd

from sslrec_utils.config import DataWarning
from sslrec_utils.data.core import Interactions
from sslrec_utils.splits.core import PART_NAMES, Split


def check_seed(seed: object, name: str, required: bool) -> int | None:
    """`seed` as an int, after refusing a bool, a float or a negative number; None is allowed unless `required`
    (a draw that must be reproducible). `name` is the function, for the message."""
    if seed is None:
        if required:
            raise ValueError(f"{name} needs an integer seed (>= 0) so that its draw is reproducible")
        return None
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"{name}: seed must be a non-negative int or None, got {seed!r}")
    return int(seed)


def _check_ratios(ratios: tuple[float, ...], name: str) -> None:
    is_triple = isinstance(ratios, Sequence | np.ndarray) and not isinstance(ratios, str) and len(ratios) == 3
    if not is_triple or not all(isinstance(r, Real) for r in ratios):
        raise ValueError(f"{name}: ratios must be (train, valid, test), got {ratios!r}")
    if any(not (r > 0) for r in ratios) or not math.isclose(sum(ratios), 1.0, abs_tol=1e-6):
        raise ValueError(f"{name}: ratios must be positive and sum to 1, got {ratios!r} (sum {sum(ratios)})")


def ratio_sizes(n: np.ndarray, ratios: tuple[float, ...]) -> np.ndarray:
    """Part sizes by RecBole 1.2.1's rule (``Dataset._calcu_split_ids``), vectorised over groups.

    Every part but the first gets ``floor(ratio * n)``; the first gets the rest. Then, last part first, a
    part whose ``ratio * n`` lies strictly in (0, 1) takes one row from the first part while that has more
    than one. With (0.8, 0.1, 0.1): n=20 -> 16/2/2, n=5 -> 3/1/1, n=2 -> 1/0/1, n=1 -> 1/0/0.

    Args:
        n: (n_groups,) int group sizes.
        ratios: (k,) part ratios, normalised as RecBole does.

    Returns:
        (n_groups, k) int64 sizes, each row summing to its ``n``.
    """
    n = np.asarray(n, np.int64)
    total = sum(ratios)  # Python's sum and division, as RecBole, so the floats match bit for bit
    norm = [r / total for r in ratios]
    cnt = np.stack([(r * n).astype(np.int64) for r in norm], axis=1)
    cnt[:, 0] = n - cnt[:, 1:].sum(axis=1)
    for j in range(len(norm) - 1, 0, -1):
        share = norm[j] * n
        # RecBole breaks out of its loop once cnt[0] <= 1; cnt[0] never grows, so a mask is equivalent
        bump = (cnt[:, 0] > 1) & (share > 0) & (share < 1)
        cnt[:, j] += bump
        cnt[:, 0] -= bump
    return cnt


def _rank_in_user(users: np.ndarray, key: np.ndarray, n_users: int) -> np.ndarray:
    """(n_rows,) int64 rank of each row among its user's rows, ordered by `key` (ties by row order)."""
    order = np.lexsort((np.arange(len(users)), key, users))
    starts = np.zeros(n_users + 1, np.int64)
    np.cumsum(np.bincount(users, minlength=n_users), out=starts[1:])
    rank = np.empty(len(users), np.int64)
    rank[order] = np.arange(len(users)) - starts[users[order]]
    return rank


def _random_keys(inter: Interactions, rng: np.random.Generator) -> np.ndarray:
    """(n_rows,) uniform numbers, drawn in (user, timestamp, item) order whatever the order of ``inter.frame``,
    so that a random split does not depend on how the log orders ties in time (`preprocess`'s ``ties``)."""
    frame = inter.frame
    canonical = np.lexsort(
        (frame["item"].to_numpy(), frame["timestamp"].to_numpy(), frame["user"].to_numpy())
    )
    keys = np.empty(len(frame))
    keys[canonical] = rng.random(len(frame))
    return keys


def _make(inter: Interactions, label: np.ndarray, protocol: str, seed: int | None) -> Split:
    """A split whose part ``PART_NAMES[protocol][k]`` holds the rows with ``label == k``."""
    frame = inter.frame
    if not frame.index.equals(pd.RangeIndex(len(frame))):
        # `Split.sequences` orders ties in time by the index, the splits by row position: make them one
        frame = frame.reset_index(drop=True)
    parts = {name: frame[label == k] for k, name in enumerate(PART_NAMES[protocol])}
    return Split(parts, inter.user_map, inter.item_map, protocol, seed)


def holdout_split(
    inter: Interactions, ratios: tuple[float, float, float] = (0.8, 0.1, 0.1), seed: int = 2020
) -> Split:
    """Per-user random holdout, RecBole's ``RS`` with ``group_by: user`` and ``order: RO``.

    Each user's interactions are shuffled with `seed` and cut into train/valid/test with RecBole's sizes
    (`ratio_sizes`), so a user with ``n`` interactions gets the same part sizes as in RecBole (the rows
    drawn differ: RecBole shuffles with torch).

    Args:
        inter: the interaction log.
        ratios: (train, valid, test) fractions, positive, summing to 1.
        seed: seed of the shuffle.

    Raises:
        ValueError: `ratios` not three positive fractions summing to 1; a `seed` that is None, negative or not
            an int.

    Warns:
        DataWarning: users too short for a test interaction (with the default ratios, one interaction): kept in
            training, never tested.
    """
    _check_ratios(ratios, "holdout_split")
    seed = check_seed(seed, "holdout_split", required=True)
    users = inter.frame["user"].to_numpy(np.int64)
    rank = _rank_in_user(users, _random_keys(inter, np.random.default_rng(seed)), inter.n_users)
    per_user = np.bincount(users, minlength=inter.n_users)
    sizes = ratio_sizes(per_user, ratios)
    untested = (per_user > 0) & (sizes[:, 2] == 0)
    if untested.any():  # as loo_split says of its short users (with the default ratios: one interaction)
        warnings.warn(
            f"{int(untested.sum())} of {int((per_user > 0).sum())} users have too few interactions (at most "
            f"{int(per_user[untested].max())}) for the holdout split to test them: it keeps them in training "
            "and never tests them",
            DataWarning,
            stacklevel=2,
        )
    cuts = np.cumsum(sizes, axis=1)[users]  # (n_rows, 3)
    label = (rank[:, None] >= cuts[:, :2]).sum(axis=1)
    return _make(inter, label, "holdout", seed)


def loo_split(inter: Interactions, seed: int | None = None) -> Split:
    """Leave-one-out by time: each user's latest interaction is test, the second latest valid.

    Users with fewer than 3 interactions keep everything in train (and are not evaluated). Equal timestamps
    are ordered by row order of ``inter.frame``, which `preprocess` sorts by (user, timestamp, its ``ties``
    order: by default random within each second).

    Args:
        inter: the interaction log.
        seed: unused (the split is deterministic); accepted so that every protocol has the same signature.
    """
    check_seed(seed, "loo_split", required=False)
    users = inter.frame["user"].to_numpy(np.int64)
    per_user = np.bincount(users, minlength=inter.n_users)
    n = per_user[users]
    # position from the end in (timestamp, row) order: 0 is the latest, 1 the second latest
    from_end = n - 1 - _rank_in_user(users, inter.frame["timestamp"].to_numpy(np.int64), inter.n_users)
    label = np.where((n >= 3) & (from_end <= 1), 2 - from_end, 0)
    short = int(((per_user > 0) & (per_user < 3)).sum())
    if short:
        warnings.warn(
            f"{short} of {int((per_user > 0).sum())} users have fewer than 3 interactions: the leave-one-out "
            "split keeps them in training and never tests them",
            DataWarning,
            stacklevel=2,
        )
    return _make(inter, label, "loo", None)


def strong_split(
    inter: Interactions, n_heldout: int | float = 0.1, fold_in: float = 0.8, seed: int = 2020
) -> Split:
    """Strong generalisation (Liang et al. 2018, Mult-VAE): held-out users never seen in training.

    `n_heldout` validation users and `n_heldout` other test users are drawn at random among users with at
    least 2 interactions; every other user's full history is ``train``. Each held-out user's history is split
    at random into a fold-in part (``*_in``, the model's input) and an evaluation part (``*_out``) of
    ``floor((1 - fold_in) * n)`` interactions as in Mult-VAE, clipped so that both parts are non-empty.
    Unlike Mult-VAE's preprocessing, which drops the held-out users' interactions with items that no training
    user has, these stay (a handful on MovieLens): no model learns anything about such an item, so each is a
    likely miss for every model alike, and figures are slightly lower than with the paper's filter.

    Args:
        inter: the interaction log.
        n_heldout: users per held-out set, an int >= 1 or a fraction of all users in (0, 0.5).
        fold_in: fraction of a held-out user's history in the fold-in part, in (0, 1).
        seed: seed for drawing users and fold-in rows.

    Raises:
        ValueError: `fold_in` outside (0, 1); `n_heldout` neither an int >= 1 nor a fraction in (0, 0.5); too
            few users with 2 interactions for two held-out sets, or none left for training; a `seed` that is
            None, negative or not an int.
    """
    seed = check_seed(seed, "strong_split", required=True)
    if not isinstance(fold_in, Real) or not 0 < fold_in < 1:
        raise ValueError(f"strong_split: fold_in must lie in (0, 1), got {fold_in!r}")
    if isinstance(n_heldout, np.integer | np.floating):  # a numpy number, as check_seed takes a numpy int
        n_heldout = n_heldout.item()
    if isinstance(n_heldout, float) and n_heldout >= 1 and n_heldout.is_integer():  # 5.0: five users
        n_heldout = int(n_heldout)
    if isinstance(n_heldout, bool) or not isinstance(n_heldout, int | float) or n_heldout <= 0:
        raise ValueError(
            f"strong_split: n_heldout must be a number of users >= 1 or a fraction of them in (0, 0.5), "
            f"got {n_heldout!r}"
        )
    if isinstance(n_heldout, float):
        if not 0 < n_heldout < 0.5:
            raise ValueError(f"strong_split: a fractional n_heldout must lie in (0, 0.5), got {n_heldout!r}")
        n_heldout = max(1, round(n_heldout * inter.n_users))
    users = inter.frame["user"].to_numpy(np.int64)
    counts = np.bincount(users, minlength=inter.n_users)
    eligible = np.flatnonzero(counts >= 2)
    if n_heldout < 1 or 2 * n_heldout > len(eligible) or 2 * n_heldout >= inter.n_users:
        raise ValueError(
            f"strong_split: {n_heldout} validation and {n_heldout} test users (n_heldout={n_heldout}) need "
            f"{2 * n_heldout} users with >= 2 interactions (there are {len(eligible)}) and at least one training user "
            f"(of {inter.n_users})"
        )
    rng = np.random.default_rng(seed)
    drawn = rng.permutation(eligible)
    role = np.zeros(inter.n_users, np.int64)  # 0 train, 1 valid, 2 test
    role[drawn[:n_heldout]], role[drawn[n_heldout : 2 * n_heldout]] = 1, 2
    rank = _rank_in_user(users, _random_keys(inter, rng), inter.n_users)
    n_out = np.clip(np.floor((1 - fold_in) * counts + 1e-9).astype(np.int64), 1, np.maximum(counts - 1, 1))
    is_out = rank >= (counts - n_out)[users]
    label = np.where(role[users] == 0, 0, 2 * role[users] - 1 + is_out)
    return _make(inter, label, "strong", seed)


def time_split(
    inter: Interactions, ratios: tuple[float, float, float] = (0.8, 0.1, 0.1), seed: int | None = None
) -> Split:
    """Global time split: the oldest interactions train, the next valid, the latest test.

    All interactions are sorted by timestamp and the cut positions follow `ratio_sizes` on the total count.
    Equal timestamps stay in one part: a tie group that straddles a cut moves entirely to the later part,
    so ``max(train timestamps) < min(valid timestamps)`` and likewise for valid and test.

    Args:
        inter: the interaction log.
        ratios: (train, valid, test) fractions, positive, summing to 1.
        seed: unused (the split is deterministic); accepted so that every protocol has the same signature.

    Raises:
        ValueError: if the log is empty, or ties in the timestamps leave a part empty.
    """
    _check_ratios(ratios, "time_split")
    check_seed(seed, "time_split", required=False)
    times = inter.frame["timestamp"].to_numpy(np.int64)
    if not len(times):
        raise ValueError("time_split: the log has no interactions")
    ordered = np.sort(times, kind="stable")
    cuts = np.cumsum(ratio_sizes(np.array([len(times)]), ratios)[0])[:2]
    bounds = ordered[np.minimum(cuts, len(times) - 1)]
    label = np.searchsorted(bounds, times, side="right")
    sizes = np.bincount(label, minlength=3)
    if (sizes == 0).any():
        raise ValueError(
            f"time_split: equal timestamps leave a part empty (train/valid/test sizes {sizes.tolist()}); "
            "use finer timestamps, other ratios (time_split's argument; the command line splits 0.8/0.1/0.1) "
            "or another split (holdout)"
        )
    return _make(inter, label, "time", None)


# what a protocol's default options need of the data so that both phases have a user to evaluate (strong_split
# draws its held-out users among those it can evaluate, and says itself when there are too few)
MINIMUM = {
    "holdout": "a user with at least 3 interactions (one each for train, valid and test)",
    "loo": "a user with at least 3 interactions (one each for train, valid and test)",
    "time": "a user with interactions on both sides of a cut",
}


def check_evaluable(split: Split) -> None:
    """Raise a `ValueError` unless each phase of `split` has a user with input and held-out interactions.

    Raises:
        ValueError: naming the data's size, the phase without a user, each part's rows and what the protocol
            needs.
    """
    for phase in ("valid", "test"):
        if not len(split.eval_plan(phase).users):  # its matrices are cached for the evaluation to come
            rows = ", ".join(f"{name} {len(frame)}" for name, frame in split.parts.items())
            total = sum(len(frame) for frame in split.parts.values())
            # a split by time fails on large logs too (each user active in one period only): not "too small"
            what = "cannot be split by time" if split.protocol == "time" else "too small to split"
            raise ValueError(
                f"the data has {split.n_users} user(s), {split.n_items} item(s) and {total} interaction(s): "
                f"{what} into train, validation and test: no {phase} user has both input and "
                f"held-out interactions (rows: {rows}); split={split.protocol!r} needs "
                f"{MINIMUM.get(split.protocol, 'more users')}"
            )


SPLITTERS: dict[str, Callable[..., Split]] = {
    "holdout": holdout_split,
    "loo": loo_split,
    "strong": strong_split,
    "time": time_split,
}


def make_split(inter: Interactions, protocol: str, seed: int | None = 2020, **kwargs: object) -> Split:
    """Split `inter` with the named protocol, checking that each phase has a user to evaluate.

    Args:
        inter: the interaction log.
        protocol: ``"holdout"``, ``"loo"``, ``"strong"`` or ``"time"``.
        seed: passed on (ignored by the deterministic ``loo`` and ``time``).
        **kwargs: the protocol's own options (e.g. ``ratios``, ``n_heldout``, ``fold_in``).

    Raises:
        ValueError: naming the valid protocols, or the unknown option and the valid ones; or the data is too
            small for the protocol (`check_evaluable`).
    """
    if protocol not in SPLITTERS:
        raise ValueError(f"unknown split protocol {protocol!r}; valid: {sorted(SPLITTERS)}")
    fn = SPLITTERS[protocol]
    valid = [p for p in inspect.signature(fn).parameters if p not in ("inter", "seed")]
    unknown = sorted(set(kwargs) - set(valid))
    if unknown:
        raise ValueError(f"unknown option(s) {unknown} for the {protocol!r} split; valid: {valid}")
    split = fn(inter, seed=seed, **kwargs)
    check_evaluable(split)
    return split
