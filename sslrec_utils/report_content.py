"""What the report notebook shows (see `sslrec_utils.reports`): the data summary, the leaderboard, recommendations
with item names, item neighbours and what ``metrics.json`` holds; and chapter 7's screen of a model against its
base (`against_base`). The report's sentences are in `sslrec_utils.report_verdict`."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sslrec_utils.data import Interactions, dataset_info
from sslrec_utils.report_params import ReportParams

LEADERBOARD_METRICS = ("ndcg", "recall")  # reported at every K, mean and std over seeds


def data_summary(inter: Interactions, head_fraction: float = 0.2) -> dict[str, float]:
    """Counts, sparsity, activity per user and popularity concentration of a preprocessed log."""
    info = dataset_info(inter)
    users = np.bincount(inter.frame["user"], minlength=inter.n_users)
    items = np.bincount(inter.frame["item"], minlength=inter.n_items)
    n_head = max(1, math.ceil(head_fraction * items.size))
    return {
        "n_users": info["users"],
        "n_items": info["items"],
        "n_interactions": info["interactions"],
        "density": info["density"],
        "sparsity": 1 - info["density"],
        "user_median": float(np.median(users)),
        "user_mean": float(users.mean()),
        "item_median": float(np.median(items)),
        "head_fraction": head_fraction,
        "head_share": float(np.sort(items)[::-1][:n_head].sum() / max(items.sum(), 1)),
        "rare_item_share": float((items < 5).mean()),
    }


def summary_table(summary: Mapping[str, float]) -> pd.DataFrame:
    """`data_summary` as a two-column table for people."""
    rows = [
        ("users", f"{summary['n_users']:,}"),
        ("items", f"{summary['n_items']:,}"),
        ("interactions", f"{summary['n_interactions']:,}"),
        ("density (observed share of user-item pairs)", f"{summary['density']:.3%}"),
        ("interactions per user: median / mean", f"{summary['user_median']:g} / {summary['user_mean']:.1f}"),
        ("interactions per item: median", f"{summary['item_median']:g}"),
        (
            f"share of interactions on the top {summary['head_fraction']:.0%} of items",
            f"{summary['head_share']:.1%}",
        ),
        ("items with fewer than 5 interactions", f"{summary['rare_item_share']:.1%}"),
    ]
    return pd.DataFrame(rows, columns=["quantity", "value"]).set_index("quantity")


def leaderboard(records: Sequence[Mapping[str, Any]], ks: Sequence[int]) -> pd.DataFrame:
    """Mean and standard deviation over seeds of each model's test metrics, best first.

    Args:
        records: what `run_experiment` returned, one per model and seed.
        ks: the cut-offs; the first one's NDCG ranks the models.

    Returns:
        One row per model: ``rank, model, seeds``, ``<metric>_mean`` and ``<metric>_std`` (NaN for one seed)
        for NDCG and Recall at each K, ``lift_over_pop`` (relative to popularity, NaN without it),
        ``best_epoch`` and ``seconds`` (means; training plus any hyperparameter search).
    """
    keys = [f"{m}@{k}" for k in ks for m in LEADERBOARD_METRICS]
    frame = pd.DataFrame(
        [
            {
                "model": r["model"],
                **{k: r["test"][k] for k in keys},
                "best_epoch": r["best_epoch"],
                "seconds": r["search_seconds"],
            }
            for r in records
        ]
    )
    grouped = frame.groupby("model", sort=False)
    stats = grouped[keys].agg(["mean", "std"])
    board = pd.DataFrame({f"{key}_{stat}": stats[(key, stat)] for key in keys for stat in ("mean", "std")})
    board.insert(0, "seeds", grouped.size())
    primary = f"ndcg@{ks[0]}_mean"
    pop = board[primary].get("pop", np.nan)
    board["lift_over_pop"] = board[primary] / pop - 1 if pop and np.isfinite(pop) else np.nan
    board[["best_epoch", "seconds"]] = grouped[["best_epoch", "seconds"]].mean()
    board = board.sort_values(primary, ascending=False, kind="stable").reset_index()
    board.insert(0, "rank", np.arange(1, len(board) + 1))
    return board


def format_leaderboard(board: pd.DataFrame) -> pd.DataFrame:
    """The leaderboard for people: ``mean ± std`` strings, the lift over popularity as a percentage."""
    shown = board[["rank", "model", "seeds"]].copy()
    for key in [c.removesuffix("_mean") for c in board.columns if c.endswith("_mean")]:
        mean, std = board[f"{key}_mean"], board[f"{key}_std"]
        shown[key] = [
            f"{m:.4f}" + (f" ± {s:.4f}" if np.isfinite(s) else "") for m, s in zip(mean, std, strict=True)
        ]
    if board["lift_over_pop"].notna().any():
        shown["vs pop"] = [f"{v:+.0%}" if np.isfinite(v) else "" for v in board["lift_over_pop"]]
    # a mean over seeds: whole epochs as integers, others with one decimal
    shown["best epoch"] = [
        f"{e:.1f}".removesuffix(".0") if np.isfinite(e) else "" for e in board["best_epoch"]
    ]
    shown["seconds"] = board["seconds"].round(1)
    return shown.set_index("rank")


def item_labels(ids: Sequence[object], items: pd.DataFrame | None) -> list[str]:
    """Titles (with the year where known) for item IDs, or the IDs themselves without an item table.

    Args:
        ids: original item IDs.
        items: item table indexed by original ID with a ``title`` column (``TrainedRecommender.items``), or None.
    """
    if items is None or "title" not in items.columns:
        return [str(i) for i in ids]
    labels = []
    for i in ids:
        if i not in items.index:
            labels.append(str(i))
            continue
        row = items.loc[i]
        year = row.get("year")
        labels.append(
            f"{row['title']} ({int(year)})" if year is not None and pd.notna(year) else str(row["title"])
        )
    return labels


def example_users(inter: Interactions, n: int, seed: int) -> list[object]:
    """`n` users drawn at random (reproducibly), in original IDs."""
    rng = np.random.default_rng(seed)
    picked = np.sort(rng.choice(inter.n_users, size=min(n, inter.n_users), replace=False))
    return list(inter.user_map.to_original(picked))


def user_panel(rec: Any, user: object, k: int = 10, n_history: int = 10) -> pd.DataFrame:
    """A user's latest history next to their top-`k` recommendations, as item labels.

    Args:
        rec: a `TrainedRecommender`.
        user: an original user ID.
        k: recommendations shown.
        n_history: latest history items shown.

    Returns:
        One row per line of the panel: ``history (latest first)`` and ``recommended`` item labels, the shorter
        column padded with empty strings. Data without times (`Split.has_time_order`) has no latest: its
        history column is ``history (no time order)``, in the order of ties (`preprocess`'s ``ties``).
    """
    idx = int(rec.split.user_map.to_index([user])[0])
    seq = rec.sequences.items[rec.sequences.indptr[idx] : rec.sequences.indptr[idx + 1]]
    history = item_labels(rec.split.item_map.to_original(seq[::-1][:n_history]), rec.items)
    top = item_labels(rec.recommend([user], k=k)["item"], rec.items)
    rows = max(len(history), len(top))
    heading = "history (latest first)" if rec.split.has_time_order() else "history (no time order)"
    return pd.DataFrame(
        {
            heading: history + [""] * (rows - len(history)),
            "recommended": top + [""] * (rows - len(top)),
        },
        index=pd.RangeIndex(1, rows + 1, name="#"),
    )


def most_popular_item(inter: Interactions) -> object:
    """The original ID of the item with the most interactions."""
    counts = np.bincount(inter.frame["item"], minlength=inter.n_items)
    return inter.item_map.to_original(np.array([counts.argmax()]))[0]


def neighbours(rec: Any, item: object, k: int = 10) -> pd.DataFrame:
    """The `k` items most similar to `item` under a `TrainedRecommender`, with labels."""
    table = rec.similar_items(item, k=k)
    return pd.DataFrame(
        {
            "item": item_labels(table["item"], rec.items),
            "similarity": table["similarity"].round(4).to_numpy(),
        },
        index=pd.RangeIndex(1, len(table) + 1, name="rank"),
    )


def against_base(
    means: pd.Series, spreads: pd.Series, base: str, others: Sequence[str], times: float = 2.0
) -> pd.DataFrame:
    """Each model of `others` against `base`: the difference of their levels, screened against `times` the
    larger of the two models' spreads (standard errors over test users, or standard deviations over seeds).

    A rough screen, not a test of the difference itself (``benchmarks/paired.py`` compares two models user by
    user): "better" or "worse" when the difference is beyond the noise, "level" when it is not, "unmeasured"
    when a spread is missing (a std over one seed) or not finite.

    Args:
        means: a level per model (NDCG@10, say), indexed by model name.
        spreads: the spread of each level, indexed by model name.
        base: the model the others are compared with.
        others: the models to compare, in the order of the rows; those missing from `means` are left out.
        times: how many spreads a difference must exceed.

    Returns:
        One row per model of `others` found in `means` (no rows when `base` is not), with columns ``model``,
        ``level``, ``base``, ``base_level``, ``difference`` (level - base_level), ``noise`` (`times` the larger
        spread) and ``verdict``.

    Raises:
        ValueError: a compared model (or `base`) more than once in `means`, or without a spread.
    """
    compared = [m for m in others if m in means.index and base in means.index]
    if repeated := sorted({m for m in [base, *compared] if (means.index == m).sum() > 1}):
        raise ValueError(f"means holds {repeated} more than once: one level per model")
    if unspread := [m for m in dict.fromkeys([base, *compared]) if compared and m not in spreads.index]:
        raise ValueError(f"spreads has no value for {unspread}")
    rows = []
    for model in compared:
        difference = float(means[model] - means[base])
        pair = (float(spreads[model]), float(spreads[base]))
        noise = times * max(pair) if all(math.isfinite(s) for s in pair) else math.nan  # max(0.1, nan) is 0.1
        verdict = (
            "unmeasured"
            if math.isnan(noise)
            else "better"
            if difference > noise
            else "worse"
            if difference < -noise
            else "level"
        )
        rows.append((model, float(means[model]), base, float(means[base]), difference, noise, verdict))
    columns = ["model", "level", "base", "base_level", "difference", "noise", "verdict"]
    return pd.DataFrame(rows, columns=columns)


def report_metrics(
    params: ReportParams,
    summary: Mapping[str, float],
    board: pd.DataFrame,
    records: Sequence[Mapping[str, Any]],
    verdict: str,
) -> dict[str, Any]:
    """What ``metrics.json`` holds: parameters, data summary, leaderboard, every run, and the conclusion."""
    return _finite(
        {
            "title": params.title,
            "parameters": params.to_notebook(),
            "metric": params.metric,
            "data": dict(summary),
            "best_model": str(board["model"].iloc[0]),
            "leaderboard": board.to_dict(orient="records"),
            "runs": [dict(r) for r in records],
            "conclusion": verdict,
        }
    )


def _finite(obj: Any) -> Any:
    """A JSON-safe copy: NaN and infinities become None, NumPy scalars plain numbers, tuples lists."""
    if isinstance(obj, Mapping):
        return {str(k): _finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj
