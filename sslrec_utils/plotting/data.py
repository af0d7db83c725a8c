"""Figures of a data set: the popularity long tail and the distributions of ratings and of activity."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import PercentFormatter

from sslrec_utils.plotting._common import _axes, _counts, _finite, _plain_log_ticks


def long_tail(
    item_counts: Sequence[float] | np.ndarray,
    *,
    head_fraction: float = 0.2,
    ax: Axes | None = None,
    title: str = "Item popularity: the long tail",
) -> Axes:
    """Interactions per item, items sorted from most to least popular, on a log scale.

    The most popular `head_fraction` of the items (the "head") is shaded, so the reader sees how much of the
    log they hold compared with the long tail.

    Args:
        item_counts: (n_items,) number of interactions of each item (any order; zeros allowed).
        head_fraction: share of the items, in (0, 1), counted as the head.
        ax: the axes to draw on; a new figure is made if ``None``.
        title: the figure title.

    Returns:
        The axes.
    """
    counts = np.sort(_counts(item_counts, "item_counts"))[::-1]
    if not 0 < head_fraction < 1:
        raise ValueError(f"head_fraction must lie in (0, 1), got {head_fraction}")
    if not counts.any():
        raise ValueError("item_counts are all 0: no interaction to draw")
    ax = _axes(ax)
    rank = np.arange(1, counts.size + 1)
    positive = counts > 0  # log scale: items never interacted with cannot be drawn
    ax.plot(rank[positive], counts[positive], color="tab:blue", linewidth=1.5, label="interactions per item")
    n_head = max(1, int(np.ceil(head_fraction * counts.size)))
    share = counts[:n_head].sum() / max(counts.sum(), 1.0)
    ax.axvspan(0.5, n_head + 0.5, color="tab:orange", alpha=0.2, label=f"top {head_fraction:.0%} of items")
    ax.axvline(n_head + 0.5, color="tab:orange", linewidth=1)
    ax.text(
        n_head + 0.5,
        counts[positive].max(),
        f"  head holds {share:.1%} of interactions",
        va="top",
        ha="left",
        color="tab:orange",
    )
    ax.set_yscale("log")
    ax.set_xlim(0.5, counts.size + 0.5)
    _plain_log_ticks(ax.yaxis)
    ax.set_xlabel("item rank by popularity (1 = most interactions)")
    ax.set_ylabel("interactions per item (log scale)")
    ax.set_title(title)
    # lower left: the curve is high there, and the sentence on the head runs along the top (in the upper right,
    # the legend had covered its end in a narrow axes); over the light band it hides nothing
    ax.legend(loc="lower left")
    return ax


def rating_histogram(
    ratings: Sequence[float] | np.ndarray,
    *,
    ax: Axes | None = None,
    title: str = "Distribution of ratings",
) -> Axes:
    """Share of interactions with each rating value (a bar per distinct value).

    Args:
        ratings: (n_interactions,) rating of each interaction.
        ax: the axes to draw on; a new figure is made if ``None``.
        title: the figure title.

    Returns:
        The axes.
    """
    values = _finite(ratings, "ratings")
    ax = _axes(ax)
    levels, counts = np.unique(values, return_counts=True)
    width = 0.8 * (np.diff(levels).min() if levels.size > 1 else 1.0)
    ax.bar(levels, counts / values.size, width=width, color="tab:blue")
    ax.set_xticks(levels)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("rating (stars)")
    ax.set_ylabel("share of interactions")
    ax.set_title(title)
    return ax


def activity_histogram(
    counts: Sequence[float] | np.ndarray,
    *,
    who: str = "user",
    bins: int = 30,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """How many users (or items) have each number of interactions, in log-spaced bins, with the median marked.

    The bins hold whole numbers of interactions: their edges lie halfway between integers, spaced about
    evenly on the log axis (a bin narrower than one integer is merged into the next, so none is empty because
    no integer falls in it). A bar's height is the number of users in its bin divided by the number of
    interaction counts (integers) the bin holds: the mean number of users per interaction count. A bin twice
    as wide as its neighbour then does not look twice as full, and a count that every user shares equally
    draws flat bars.

    Args:
        counts: (n,) number of interactions of each user (or item); whole numbers, each at least 1.
        who: ``"user"`` or ``"item"``, used in the labels.
        bins: at most this many log-spaced bins (fewer when the range holds fewer integers), a positive
            integer.
        ax: the axes to draw on; a new figure is made if ``None``.
        title: the figure title (default: "Interactions per <who>").

    Returns:
        The axes.
    """
    values = _counts(counts, "counts")
    if values.min() < 1:
        raise ValueError("counts must be at least 1 for a log-scaled histogram; drop zeros first")
    if (values != np.round(values)).any():
        raise ValueError(
            f"counts must be whole numbers; found {values[values != np.round(values)][:3].tolist()}"
        )
    if isinstance(bins, bool) or not isinstance(bins, int | np.integer):
        raise TypeError(f"bins must be a positive integer, got {bins!r}")
    if bins < 1:
        raise ValueError(f"bins must be a positive integer, got {bins!r}")
    ax = _axes(ax)
    low, high = int(values.min()), int(values.max())
    # the first integer of each bin, and one past the last (forced: geomspace may round its ends)
    starts = np.unique(np.floor(np.geomspace(low, high + 1, bins + 1)).astype(np.int64))
    starts = np.unique(np.r_[low, starts[(starts > low) & (starts < high + 1)], high + 1])
    n_users, _ = np.histogram(values, bins=starts)  # [start, next start): the whole counts of each bin
    widths = np.diff(starts)  # the number of integers in each bin
    ax.bar(
        starts[:-1] - 0.5, n_users / widths, width=widths, align="edge", color="tab:blue", edgecolor="white"
    )
    median = float(np.median(values))
    ax.axvline(median, color="tab:red", linestyle="--", label=f"median: {median:g} interactions")
    ax.set_xscale("log")
    # plain numbers, as few as keep three in view: a fixed 1, 2, 5 x 10^k had crowded a wide range (17 labels
    # over 1 to 250,000) and, from 10^6 on, fell back to 0.1, 0.2, ... times an offset
    _plain_log_ticks(ax.xaxis)
    ax.set_xlabel(f"interactions per {who} (log scale)")
    ax.set_ylabel(f"{who}s per interaction count (mean over the bin)")
    ax.set_title(title or f"Interactions per {who}")
    ax.legend(loc="upper right")
    return ax
