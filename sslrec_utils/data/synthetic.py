"""Synthetic interaction logs of a chosen shape, for scaling experiments without downloading data.

Item popularity follows a Zipf-like power law and user activity a log-normal, roughly like MovieLens;
``synthetic_interactions(138_493, 26_744, 20_000_263)`` has ML-20M's shape. The data carries no preference
structure beyond popularity: use it to measure time and memory, not quality.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sslrec_utils.data.core import sorted_unique
from sslrec_utils.profiling import physical_memory

# Peak memory of `synthetic_interactions` per interaction, user and item, in bytes: mostly int64 arrays of one draw
# per missing interaction (users, items, keys, their concatenation and sort) and the frame; users and items each
# hold a few float64 and int64 arrays. benchmarks/synthetic_memory.py measures the peak per interaction against
# this estimate (benchmarks/results/synthetic_memory/); rounded up: the estimate only refuses shapes that cannot fit.
BYTES_PER_INTERACTION = 96
BYTES_PER_USER = 48
BYTES_PER_ITEM = 48
_INT64_MAX = np.iinfo(np.int64).max


def synthetic_bytes(n_users: int, n_items: int, n_interactions: int) -> int:
    """About the most memory `synthetic_interactions` needs for a shape, in bytes (ML-20M's: 1.8 GiB)."""
    return BYTES_PER_INTERACTION * n_interactions + BYTES_PER_USER * n_users + BYTES_PER_ITEM * n_items


def check_shape(n_users: int, n_items: int, n_interactions: int, *, min_per_user: int = 5) -> None:
    """Raise a `ValueError` naming the shape if `synthetic_interactions` cannot build it.

    Raises:
        ValueError: for counts that contradict each other (fewer than `min_per_user` interactions or more than
            half the items per user), more (user, item) pairs than int64 numbers, or a log that needs more
            memory (`synthetic_bytes`) than the machine has (`physical_memory`): the kernel would kill the
            process rather than fail an allocation.
    """
    shape = f"synthetic:{n_users}x{n_items}x{n_interactions}"
    if (
        n_users < 1
        or n_items < 2 * min_per_user
        or not n_users * min_per_user <= n_interactions <= n_users * (n_items // 2)
    ):
        raise ValueError(
            f"{shape} cannot be built: need n_items >= 2 * min_per_user and n_users * min_per_user <= "
            f"n_interactions <= n_users * n_items / 2 (min_per_user={min_per_user})"
        )
    if n_users * n_items > _INT64_MAX:
        raise ValueError(
            f"{shape} cannot be built: users * items ({n_users * n_items:.3g}) must be at most {_INT64_MAX:.3g}, "
            "since the pairs are numbered in int64"
        )
    need, memory = synthetic_bytes(n_users, n_items, n_interactions), physical_memory()
    if memory is not None and need > memory:
        most = (memory - BYTES_PER_USER * n_users - BYTES_PER_ITEM * n_items) // BYTES_PER_INTERACTION
        fix = (
            f"with these users and items at most about {most:.3g} interactions fit"
            if most >= n_users * min_per_user
            else f"it holds at most about {memory // BYTES_PER_INTERACTION:.3g} interactions, and "
            f"{memory // (min_per_user * BYTES_PER_INTERACTION + BYTES_PER_USER):.3g} users at {min_per_user} each"
        )
        raise ValueError(
            f"{shape} needs about {need / 2**30:,.1f} GiB of memory to generate, more than this machine's "
            f"{memory / 2**30:,.1f} GiB: {fix}"
        )


def synthetic_interactions(
    n_users: int,
    n_items: int,
    n_interactions: int,
    *,
    seed: int = 0,
    zipf: float = 1.0,
    min_per_user: int = 5,
) -> pd.DataFrame:
    """A random interaction log with power-law item popularity.

    Args:
        n_users: number of users (each with at least `min_per_user` interactions).
        n_items: number of items.
        n_interactions: number of rows; no user gets more than half of the items.
        seed: seed of the NumPy generator.
        zipf: popularity exponent: item of rank r is drawn with probability proportional to r**-zipf.
        min_per_user: smallest history length.

    Returns:
        DataFrame with columns ``user`` (1-based int64), ``item`` (1-based int64), ``rating`` (float32, 1..5) and
        ``timestamp`` (int64, a random order), one row per distinct (user, item).

    Raises:
        ValueError: for a shape that cannot be built (see `check_shape`), named as ``synthetic:UxIxN``.
    """
    check_shape(n_users, n_items, n_interactions, min_per_user=min_per_user)
    rng = np.random.default_rng(seed)
    activity = rng.lognormal(mean=0.0, sigma=1.0, size=n_users)
    extra = n_interactions - n_users * min_per_user
    target = min_per_user + rng.multinomial(extra, activity / activity.sum())
    cap = n_items // 2  # no user sees more than half the catalogue; their excess goes to the others
    while (target > cap).any():
        excess = int((target - cap).clip(min=0).sum())
        target = np.minimum(target, cap)
        room = cap - target
        target += rng.multinomial(excess, room / room.sum())
    weights = np.arange(1, n_items + 1, dtype=np.float64) ** -zipf
    weights /= weights.sum()
    relabel = rng.permutation(n_items)  # popular items get random IDs, not 0, 1, 2...
    keys = np.empty(0, np.int64)  # user * n_items + item, unique
    rounds = 0
    while (deficit := target - np.bincount(keys // n_items, minlength=n_users)).any():
        # repeated draws are dropped and each user's deficit drawn again; after 10 rounds the rare items a heavy
        # user still lacks are drawn uniformly (rejection always succeeds: nobody holds more than half the items)
        users = np.repeat(np.arange(n_users, dtype=np.int64), deficit)
        items = relabel[rng.choice(n_items, size=len(users), p=weights if rounds < 10 else None)]
        keys = sorted_unique(np.concatenate([keys, users * n_items + items]))
        rounds += 1
    return pd.DataFrame(
        {
            "user": keys // n_items + 1,
            "item": keys % n_items + 1,
            "rating": rng.integers(1, 6, size=len(keys)).astype(np.float32),
            "timestamp": rng.permutation(len(keys)).astype(np.int64),
        }
    )


def _count(text: str) -> int:
    """A whole number written as digits or as a float (``"2e7"``); `ValueError` for anything else (``"1.5"``,
    ``"inf"``)."""
    try:
        return int(text)
    except ValueError:
        value = float(text)
    if not value.is_integer():
        raise ValueError(f"not a whole number: {text!r}")
    return int(value)


def parse_synthetic(name: str) -> tuple[int, int, int] | None:
    """``"synthetic:138493x26744x20000263"`` -> (users, items, interactions); None for other names.

    Whether the shape can be built is `check_shape`'s to say.

    Raises:
        ValueError: for a name of another form, or counts that are not whole numbers.
    """
    if not name.startswith("synthetic:"):
        return None
    try:
        n_users, n_items, n_inter = (_count(x) for x in name.removeprefix("synthetic:").split("x"))
    except ValueError:
        raise ValueError(
            "expected 'synthetic:USERSxITEMSxINTERACTIONS' (whole numbers, such as 1000 or 2e7), e.g. "
            f"'synthetic:1000x500x20000', got {name!r}"
        ) from None
    return n_users, n_items, n_inter
