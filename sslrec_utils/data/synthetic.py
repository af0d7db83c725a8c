"""Synthetic interaction logs of a chosen shape, for scaling experiments without downloading data.

Item popularity follows a Zipf-like power law and user activity a log-normal, roughly like MovieLens;
``synthetic_interactions(138_493, 26_744, 20_000_263)`` has ML-20M's shape. The data carries no preference
structure beyond popularity: use it to measure time and memory, not quality.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sslrec_utils.data.core import sorted_unique


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
    """
    if (
        n_users < 1
        or n_items < 2 * min_per_user
        or not n_users * min_per_user <= n_interactions <= n_users * (n_items // 2)
    ):
        raise ValueError(
            "need n_items >= 2 * min_per_user and n_users * min_per_user <= n_interactions <= n_users * n_items / 2; "
            f"got {n_users} users, {n_items} items, {n_interactions} interactions (min_per_user={min_per_user})"
        )
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


def parse_synthetic(name: str) -> tuple[int, int, int] | None:
    """``"synthetic:138493x26744x20000263"`` -> (users, items, interactions); None for other names."""
    if not name.startswith("synthetic:"):
        return None
    try:
        n_users, n_items, n_inter = (int(float(x)) for x in name.removeprefix("synthetic:").split("x"))
    except ValueError:
        raise ValueError(
            f"expected 'synthetic:USERSxITEMSxINTERACTIONS', e.g. 'synthetic:1000x500x20000', got {name!r}"
        ) from None
    return n_users, n_items, n_inter
