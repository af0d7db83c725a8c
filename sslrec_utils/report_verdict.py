"""The report's sentences (see `sslrec_utils.reports`): what it runs (`describe`) and the verdict written from its
numbers (`conclusion`): who won, by how much over popularity, whether the lead exceeds the seed-to-seed spread, and
the caveats the data and the runs call for; and the data's own words in a sentence (`markdown_literal`)."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sslrec_utils.data import tie_order_text
from sslrec_utils.data.files import is_file_dataset
from sslrec_utils.models import reads_sequences, trained_by_epochs
from sslrec_utils.report_params import ReportParams

# The largest standard deviation of test NDCG@10 over seeds relative to its mean among the leaderboards of
# benchmarks/results (AutoRec on the holdout split, 0.1039 +- 0.0142; tests/test_quoted_results.py checks it)
BENCHMARK_SEED_SPREAD = 0.14


# ASCII punctuation that Markdown may read as syntax, or as part of an address it links (https://, www., a@b):
# each is shown as itself after a backslash
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!|~:/@])")


def markdown_literal(value: object) -> str:
    """`value` as text to put in a Markdown sentence and show as it is: an ID such as ``cust_1 *VIP*`` or
    ``<b>Toy</b>`` is neither emphasis nor HTML in the rendered report (the tables escape theirs themselves)."""
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", html.escape(str(value), quote=False))


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
    elif len(board) == 1:
        text.append("Popularity alone was run: add personalised models to MODELS to see what they add to it.")
    elif best["model"] == "pop":
        trained = [m for m in board["model"] if trained_by_epochs(m)]
        causes = [f"{_names(trained)} may be undertrained (raise EPOCHS)"] if trained else []
        causes += ["the data may carry little personal signal (too few interactions per user)"]
        text.append(f"No model beat the popularity baseline: {' or '.join(causes)}.")
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
            text.append(
                f"{lead} ({share}). With one seed the report cannot measure how much the "
                "choice of seed moves the scores (in the book's MovieLens benchmarks the standard deviation of a "
                f"model's NDCG@10 over seeds reached {BENCHMARK_SEED_SPREAD:.0%} of its mean): give SEEDS three "
                "or more values to confirm the lead."
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


def _names(models: Sequence[str]) -> str:
    quoted = [f"**{m}**" for m in models]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]
