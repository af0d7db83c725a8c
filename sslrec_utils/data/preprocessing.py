"""From a raw log to `Interactions`: duplicate handling, binarisation, k-core filtering, and the order of a user's
interactions with equal timestamps (`preprocess`, with `tie_stats` to measure what the item-ID order of ties
would say)."""

from __future__ import annotations

import warnings
from typing import Literal

import numpy as np
import pandas as pd

from sslrec_utils.config import DataWarning
from sslrec_utils.data.columns import unix_seconds
from sslrec_utils.data.core import COLUMNS, IdMap, Interactions, canonical_ids, check_columns

DuplicatePolicy = Literal["last", "first", "max", "mean", "error"]
TieOrder = Literal["random", "row", "item"]
TIE_ORDERS = ("random", "row", "item")


def tie_order_text(ties: str, tie_seed: int) -> str:
    """How a tie order puts a user's interactions with equal timestamps, in words: ``"at random (tie seed 0)"``,
    ``"by file row"`` or ``"by item ID"``."""
    return {"random": f"at random (tie seed {tie_seed})", "row": "by file row", "item": "by item ID"}[ties]


# what `drop_duplicates` keeps of a repeated (user, item) pair, by policy
KEPT_DUPLICATE = {
    "last": "the latest row",
    "first": "the earliest row",
    "max": "the row with the highest rating",
    "mean": "with the mean rating and the latest time",
}


def drop_duplicates(frame: pd.DataFrame, policy: DuplicatePolicy = "last") -> pd.DataFrame:
    """Keep one row per (user, item).

    Args:
        frame: raw interactions with columns ``user, item, rating, timestamp``.
        policy: ``"last"``/``"first"`` keep the latest/earliest by timestamp, ``"max"`` the highest rating (the
            latest of equal ones), ``"mean"`` averages the ratings (keeping the latest timestamp), ``"error"``
            raises if any exist.
    """
    if policy not in ("last", "first", "max", "mean", "error"):
        raise ValueError(f"unknown duplicate policy {policy!r}; valid: last, first, max, mean, error")
    dup = frame.duplicated(["user", "item"], keep=False)
    if not dup.any():
        return frame.reset_index(drop=True)
    if policy == "error":
        example = frame.loc[dup, ["user", "item"]].head(3).values.tolist()
        raise ValueError(f"{int(dup.sum())} duplicate (user, item) rows, e.g. {example}")
    if policy == "mean":
        out = frame.groupby(["user", "item"], as_index=False, sort=False).agg(
            rating=("rating", "mean"), timestamp=("timestamp", "max")
        )
        return out.astype({"rating": np.float32})
    if policy == "max":
        ordered = frame.sort_values(["rating", "timestamp"], kind="stable")
        return ordered.drop_duplicates(["user", "item"], keep="last").sort_index().reset_index(drop=True)
    ordered = frame.sort_values("timestamp", kind="stable")
    return ordered.drop_duplicates(["user", "item"], keep=policy).sort_index().reset_index(drop=True)


def k_core(frame: pd.DataFrame, min_user: int = 0, min_item: int = 0) -> pd.DataFrame:
    """Iteratively drop users with fewer than `min_user` and items with fewer than `min_item` interactions.

    Repeats until every remaining user and item meets its threshold (removing items can push users under
    theirs and vice versa).
    """
    out = frame
    while True:
        users = out["user"].map(out["user"].value_counts()) >= min_user
        items = out["item"].map(out["item"].value_counts()) >= min_item
        keep = users & items
        if keep.all():
            return out.reset_index(drop=True)
        out = out[keep]


def preprocess(
    ratings: pd.DataFrame,
    *,
    threshold: float | None = None,
    min_user: int = 0,
    min_item: int = 0,
    duplicates: DuplicatePolicy = "last",
    ties: TieOrder = "random",
    tie_seed: int = 0,
) -> Interactions:
    """Turn raw ratings into implicit feedback with contiguous IDs, each user's rows in time order.

    Logs often record seconds, and a user may rate several items in one second (three rows in four on
    ml-100k). `ties` orders them, and the order matters to everything that reads a history in sequence: which
    item the leave-one-out split holds out, and the sequences a sequence model trains on. ``"random"`` (the
    default) orders each tie by a number drawn with `tie_seed` for every row left after filtering, in the
    log's order; ``"row"`` keeps the log's order, right when the log was written as events happened;
    ``"item"`` orders by item ID, the order before the default changed: on MovieLens, where films with higher
    IDs have fewer ratings on the whole, it puts a learnable regularity into the histories (`tie_stats`).

    Args:
        ratings: raw interactions with columns ``user, item, rating, timestamp`` (original IDs); times as
            `load_interactions` reads them: integers as given, Unix seconds with a fraction (dropped, with a
            `DataWarning`), datetimes or date-time strings (taken as seconds).
        threshold: keep only rows with ``rating >= threshold`` (``None`` keeps every interaction as positive,
            the protocol RecBole uses for ml-100k).
        min_user: k-core threshold for users (applied after the rating threshold).
        min_item: k-core threshold for items.
        duplicates: how to handle repeated (user, item) rows, see `drop_duplicates`.
        ties: how to order a user's rows with equal timestamps: ``"random"``, ``"row"`` or ``"item"``.
        tie_seed: seed of the ``"random"`` order.

    Returns:
        `Interactions` sorted by (user, timestamp, tie order), users and items numbered in order of their
        original IDs (text IDs as `canonical_ids` writes them: ``"7.0"`` is ``"7"``).

    Raises:
        ValueError: on missing columns, missing IDs, ratings or timestamps, unreadable timestamps, IDs of mixed
            types, an unknown `ties`, or if nothing is left after filtering.
    """
    if ties not in TIE_ORDERS:
        raise ValueError(f"unknown tie order {ties!r}; valid: {', '.join(TIE_ORDERS)}")
    if isinstance(tie_seed, bool) or not isinstance(tie_seed, int | np.integer) or tie_seed < 0:
        raise ValueError(f"tie_seed must be an integer >= 0, got {tie_seed!r}")
    check_columns(ratings, COLUMNS)
    frame = ratings.loc[:, list(COLUMNS)]
    if frame[["user", "item"]].isna().any().any():
        raise ValueError("ratings contain missing user or item IDs")
    if frame["timestamp"].isna().any():  # int64 would read NaN as the earliest time, and order it first
        raise ValueError("ratings contain missing timestamps: drop those rows or fill them in")
    missing = frame["rating"].isna().to_numpy()
    if missing.any():  # a NaN rating would pass no threshold, and make AutoRec's loss NaN
        raise ValueError(
            f"{int(missing.sum())} of {len(frame)} ratings are missing (the first at index "
            f"{frame.index[np.flatnonzero(missing)[0]]!r}): fill them in or drop those rows"
        )
    if not pd.api.types.is_integer_dtype(frame["timestamp"].dtype):  # dates, or seconds with fractions
        frame["timestamp"] = unix_seconds(frame["timestamp"], "the ratings")
    for column in ("user", "item"):
        if isinstance(frame[column].dtype, pd.CategoricalDtype):  # its categories' values, text or numbers
            frame[column] = frame[column].astype(frame[column].cat.categories.dtype)
        kind = pd.api.types.infer_dtype(frame[column], skipna=True)
        if kind in ("mixed", "mixed-integer"):  # sorting 1 and "a" together fails deep in NumPy
            raise ValueError(
                f"the {column} IDs mix types (e.g. numbers and text): make them all text or all integers"
            )
        if kind == "string":
            frame[column] = canonical_ids(frame[column], f"{column} IDs")
    logged = len(frame)
    frame = drop_duplicates(frame, duplicates)
    # a log of events (plays, clicks) repeats pairs: implicit feedback counts each once
    if len(frame) < logged:
        warnings.warn(
            f"{logged - len(frame)} of {logged} rows repeat a (user, item) pair: each pair is kept once, "
            f"{KEPT_DUPLICATE[duplicates]} (duplicates={duplicates!r})",
            DataWarning,
            stacklevel=2,
        )
    if threshold is not None:
        frame = frame[frame["rating"] >= threshold]
    frame = k_core(frame, min_user, min_item)
    if frame.empty:
        steps = [f"keeping ratings >= {threshold:g}"] if threshold is not None else []
        if min_user or min_item:
            steps.append(
                f"keeping users with >= {min_user} and items with >= {min_item} interactions (k-core)"
            )
        raise ValueError(
            f"no interactions left after {' then '.join(steps) or 'reading'}: relax the filters "
            f"(threshold={threshold}, min_user={min_user}, min_item={min_item})"
        )
    user_ids = np.sort(frame["user"].unique())
    item_ids = np.sort(frame["item"].unique())
    user_map, item_map = IdMap(user_ids), IdMap(item_ids)
    encoded = pd.DataFrame(
        {
            "user": user_map.to_index(frame["user"].to_numpy()),
            "item": item_map.to_index(frame["item"].to_numpy()),
            "rating": frame["rating"].to_numpy(np.float32),
            "timestamp": frame["timestamp"].to_numpy(np.int64),
        }
    )
    if ties == "random":
        tie_key = np.random.default_rng(tie_seed).random(len(encoded))
    else:
        tie_key = encoded["item"].to_numpy() if ties == "item" else np.arange(len(encoded))
    order = np.lexsort((tie_key, encoded["timestamp"].to_numpy(), encoded["user"].to_numpy()))
    return Interactions(encoded.iloc[order].reset_index(drop=True), user_map, item_map)


def tie_stats(ratings: pd.DataFrame) -> dict[str, float]:
    """How much the item-ID order of ties in time would say, in a log ordered as ``preprocess(ties="item")``.

    MovieLens records seconds; ordering each user's rows by (timestamp, item), as `preprocess` did before its
    default became a random order within each second, puts the item with the higher ID always later, a
    regularity a sequence model can learn.

    Args:
        ratings: a log with the columns ``user``, ``item`` and ``timestamp``.

    Returns:
        ``rows_in_ties``: share of rows sharing their second with another row of their user;
        ``tied_pairs``: share of consecutive pairs of a user's history (ordered by time, then item) in one second;
        ``rising_pairs`` and ``rising_untied_pairs``: share of those pairs, and of those in different seconds,
        whose second item has the higher ID; ``id_count_spearman``: rank correlation of an item's ID with its
        number of rows; ``top_of_tie_count`` and ``rest_of_tie_count``: mean number of rows of the highest-ID
        item of a tie (the one the order puts last) and of the other items of ties.
    """
    log = ratings.sort_values(["user", "timestamp", "item"], kind="stable")
    user, time, item = (log[c].to_numpy() for c in ("user", "timestamp", "item"))
    pairs = user[1:] == user[:-1]
    tied = pairs & (time[1:] == time[:-1])
    rising = pairs & (item[1:] > item[:-1])
    per_item = log["item"].value_counts()  # item ID -> its number of rows
    counts = log["item"].map(per_item)
    in_tie = log.duplicated(["user", "timestamp"], keep=False)
    top = log["item"] == log.groupby(["user", "timestamp"])["item"].transform("max")
    return {
        "rows_in_ties": float(in_tie.mean()),
        "tied_pairs": float(tied.sum() / pairs.sum()),
        "rising_pairs": float(rising.sum() / pairs.sum()),
        "rising_untied_pairs": float((rising & ~tied).sum() / (pairs & ~tied).sum()),
        "id_count_spearman": float(
            pd.Series(per_item.index).corr(pd.Series(per_item.values), method="spearman")
        ),
        "top_of_tie_count": float(counts[in_tie & top].mean()),
        "rest_of_tie_count": float(counts[in_tie & ~top].mean()),
    }
