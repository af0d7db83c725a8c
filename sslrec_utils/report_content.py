"""What the report notebook shows (see `sslrec_utils.reports`): the data summary, the leaderboard, recommendations
with item names, item neighbours, and the conclusion written from the numbers."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sslrec_utils.data import Interactions, dataset_info, tie_order_text
from sslrec_utils.data.files import is_file_dataset
from sslrec_utils.models import reads_sequences
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


def describe(params: ReportParams) -> str:
    """One Markdown paragraph saying what the report runs."""
    seeds = ", ".join(map(str, params.seeds))
    filters = [f"ratings ≥ {params.threshold:g}"] if params.threshold is not None else []
    filters += [f"{params.min_user}-core users"] if params.min_user else []
    filters += [f"{params.min_item}-core items"] if params.min_item else []
    return (
        f"**{html.escape(params.title)}.** Data: `{Path(params.dataset).name}`"  # Markdown renders HTML
        + (f" ({', '.join(filters)})" if filters else "")
        + f"; protocol: `{params.split}`{_ties(params)}; models: {', '.join(f'`{m}`' for m in params.models)}; "
        f"seeds: {seeds}; at most {params.epochs} epochs; metrics at K = {', '.join(map(str, params.ks))}, "
        f"models ranked by {params.metric.upper()} on the test users."
    )


def _ties(params: ReportParams) -> str:
    """How equal timestamps were ordered, where it matters: a protocol or a model that orders by time."""
    if params.split != "loo" and not any(map(reads_sequences, params.models)):
        return ""
    order = tie_order_text(params.ties, params.tie_seed)
    return f" (a user's interactions with equal timestamps ordered {order})"


def conclusion(
    board: pd.DataFrame,
    records: Sequence[Mapping[str, Any]],
    summary: Mapping[str, float],
    params: ReportParams,
    time_ordered: bool = True,
) -> str:
    """A plain-language verdict in Markdown, written from the numbers: who won, by how much over popularity,
    whether the lead exceeds the seed-to-seed spread, and the caveats the data and the runs call for.

    `time_ordered` is False when the timestamps order no user's interactions (`Split.has_time_order`), as a
    time column that holds one time does: a caveat then says that sequence models read tie order, and that
    leave-one-out held out the items last in that order.
    """
    metric, label, n_seeds = params.metric, params.metric.upper(), len(params.seeds)
    best, pop_row = board.iloc[0], board[board["model"] == "pop"]
    users = int(np.mean([r["n_test_users"] for r in records]))

    def score(row: pd.Series) -> str:
        std = row[f"{metric}_std"]
        return f"{row[f'{metric}_mean']:.4f}" + (f" ± {std:.4f}" if np.isfinite(std) else "")

    spread = f"mean ± std over {n_seeds} seeds" if n_seeds > 1 else "one seed"
    who = f"{users:,} test {'user' if users == 1 else 'users'}"
    text = [f"**{best['model']}** ranks first by {label} on {who}: {score(best)} ({spread})."]
    if pop_row.empty:
        text.append("No popularity baseline was run: add `pop` to MODELS to see what personalisation adds.")
    elif best["model"] == "pop":
        text.append(
            "No model beat the popularity baseline: the models may be undertrained (raise EPOCHS) or the data "
            "may carry little personal signal (too few interactions per user)."
        )
    else:
        pop = pop_row.iloc[0][f"{metric}_mean"]
        text.append(
            f"Recommending the most popular items to everyone scores {pop:.4f}, so **{best['model']}** "
            + (
                f"is {best['lift_over_pop']:+.0%} relative to popularity."
                if np.isfinite(best["lift_over_pop"])
                else "gains what popularity cannot: no relative figure divides by a score of 0."
                if best[f"{metric}_mean"] > 0
                else "scores 0 as well: no model put a held-out item in its lists."
            )
        )
        below = board[(board[f"{metric}_mean"] < pop) & (board["model"] != "pop")]["model"].tolist()
        if below:
            text.append(f"{_names(below)} scored below popularity.")
    if len(board) > 1:
        second = board.iloc[1]
        gap = best[f"{metric}_mean"] - second[f"{metric}_mean"]
        lead = f"The lead over the runner-up, **{second['model']}** ({score(second)}), is {gap:.4f}"
        noise = np.nanmax([best[f"{metric}_std"], second[f"{metric}_std"]]) if n_seeds > 1 else np.nan
        relative = gap / second[f"{metric}_mean"] if second[f"{metric}_mean"] > 0 else np.inf
        share = f"{relative:.0%} of its score" if np.isfinite(relative) else "the runner-up scores 0"
        if gap < 5e-5:  # equal to the 4 digits shown: the order of the table is MODELS', not a ranking
            text.append(
                f"The runner-up, **{second['model']}** ({score(second)}), scores the same to four digits: a tie "
                f"on this data, **{best['model']}** listed first only by the last digits or by MODELS' order."
            )
        elif n_seeds == 1 and relative >= 0.1:
            # 14%: the largest std over seeds relative to the mean among the leaderboards of
            # benchmarks/results (AutoRec on the holdout split, 0.1039 +- 0.0142)
            text.append(
                f"{lead} ({share}). With one seed the report cannot measure how much the "
                "choice of seed moves the scores (in the book's MovieLens benchmarks a model's NDCG@10 varied "
                "by up to 14% of its mean between seeds): give SEEDS three or more values to confirm the lead."
            )
        elif n_seeds == 1:
            text.append(
                f"{lead} ({share}). With one seed the report cannot tell so small a lead from "
                "run-to-run variation: give SEEDS three or more values to measure it."
            )
        elif noise > 0 and gap > 2 * noise:
            text.append(
                f"{lead}, {gap / noise:.1f} times the larger seed-to-seed std ({noise:.4f}): a clear lead."
            )
        elif noise > 0 and gap > noise:
            text.append(f"{lead}, between one and two seed-to-seed stds ({noise:.4f}): likely, not settled.")
        elif gap > 0 and not noise > 0:  # e.g. a leave-one-out split and closed-form models: nothing random
            text.append(
                f"{lead} ({share}). Each model scored the same on all {n_seeds} seeds, so "
                "the spread over seeds cannot judge the lead; how much it would move on other users is not "
                "measured here."
            )
        else:
            text.append(f"{lead}, within the seed-to-seed std ({noise:.4f}): call it a tie on this data.")
    caveats = [
        f"The numbers hold for the `{params.split}` protocol on this data; compare them only with numbers "
        "measured the same way."
    ]
    # after a single epoch nothing says whether training would have gone on improving, but its score is low
    capped = sorted({r["model"] for r in records if 1 < r["best_epoch"] == r["epochs"] == params.epochs})
    once = sorted({r["model"] for r in records if r["epochs"] == 1 == params.epochs})
    if once:
        scores = (
            "its score is likely a lower bound" if len(once) == 1 else "their scores are likely lower bounds"
        )
        caveats.append(f"{_names(once)} trained for one epoch only (EPOCHS=1): {scores}; raise EPOCHS.")
    if capped:
        caveats.append(
            f"{_names(capped)} still improved at the last allowed epoch ({params.epochs}): the scores are lower "
            "bounds; raise EPOCHS."
        )
    sequential = [m for m in params.models if reads_sequences(m)]
    if sequential and is_file_dataset(params.dataset) and params.time_col is None:
        caveats.append(
            f"{_names(sequential)} read each user's history in time order, but the file was read without a "
            f"time column (TIME_COL): every timestamp is 0, so the order is the one TIES sets{_ties(params)}, "
            "not the order of events; set TIME_COL, or leave sequence models out."
        )
    elif sequential and not time_ordered:
        caveats.append(
            f"{_names(sequential)} read each user's history in time order, but the time column (TIME_COL) gives "
            f"all of each user's interactions one time, so the order is the one TIES sets{_ties(params)}, not "
            "the order of events; use a column that tells the events apart, or leave sequence models out."
        )
    if params.split == "loo" and not time_ordered:  # a file without TIME_COL is refused the split
        caveats.append(
            "The loo split holds out each user's latest interactions, but the time column (TIME_COL) gives all "
            "of each user's interactions one time: the items validated and tested on are those last in the "
            f"order TIES sets{_ties(params)}, not the latest events; use a column that tells the events apart, "
            "or the holdout split."
        )
    if users < 100:  # a few users: any one of them moves every mean
        caveats.append(
            f"With {who}, even large differences may not survive "
            "another split: each user moves a mean by a large step."
        )
    elif users < 5000:
        caveats.append(
            f"With {users:,} test users, differences of a few thousandths may not survive another split."
        )
    return " ".join(text) + "\n\n**Caveats.**\n\n" + "\n".join(f"- {c}" for c in caveats)


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


def _names(models: Sequence[str]) -> str:
    quoted = [f"**{m}**" for m in models]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


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
