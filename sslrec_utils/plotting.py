"""Figures the book draws more than once: the popularity long tail, rating and activity distributions,
training curves, model comparisons and differences between models.

Each function takes data and an optional matplotlib `Axes`, draws one figure with a title and labelled axes,
and returns the `Axes` (`model_dots`, whose axis may be cut in two, takes a figure or subfigure and returns its
axes). Nothing here changes matplotlib's global style.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.figure import Figure, SubFigure
from matplotlib.ticker import (
    FuncFormatter,
    LogLocator,
    MaxNLocator,
    NullFormatter,
    PercentFormatter,
)


def _axes(ax: Axes | None, figsize: tuple[float, float] = (6.4, 4.0)) -> Axes:
    if ax is not None:
        return ax
    _, new = plt.subplots(figsize=figsize, layout="constrained")
    return new


def _one_d(values: Sequence[float] | np.ndarray, name: str) -> np.ndarray:
    """`values` as a float array, refused when not 1-D: a table is not flattened into one row of values."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got an array of shape {array.shape}")
    return array


def _finite(values: Sequence[float] | np.ndarray, name: str) -> np.ndarray:
    """`values` as a 1-D float array, refused (before a figure is made) when not 1-D (a table is not
    flattened), empty or not finite."""
    array = _one_d(values, name)
    if array.size == 0:
        raise ValueError(f"{name} is empty")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} holds {int((~np.isfinite(array)).sum())} NaN or infinite values")
    return array


def _plain_log_ticks(axis: Axis) -> None:
    """Label a log `axis` with plain numbers (0.02, 50, 2,000) instead of matplotlib's 2x10^-2 or 6x10^1.

    Major ticks go at the first of these sets of multiples of 10^k to put at least three in view: 1; 1, 2, 5;
    1, 2, 3, 5; 1, 1.5, 2, 3, 5, 7 (about evenly spaced on the log scale); every integer. A range too narrow
    for all of them gets evenly spaced round numbers (50, 55, 60). Minor ticks stay unlabelled. Call it once
    the axis limits are final.
    """
    low, high = sorted(axis.get_view_interval())
    decades = 10.0 ** np.arange(np.floor(np.log10(low)), np.ceil(np.log10(high)) + 1)
    candidates = ((1.0,), (1.0, 2.0, 5.0), (1.0, 2.0, 3.0, 5.0), (1.0, 1.5, 2.0, 3.0, 5.0, 7.0))
    for subs in (*candidates, tuple(np.arange(1.0, 10.0))):
        ticks = np.outer(decades, subs)
        if ((ticks >= low) & (ticks <= high)).sum() >= 3:
            axis.set_major_locator(LogLocator(subs=subs))
            break
    else:
        axis.set_major_locator(MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10]))
    axis.set_major_formatter(FuncFormatter(lambda value, _: _plain(value)))
    axis.set_minor_formatter(NullFormatter())


def _plain(value: float) -> str:
    """A tick label: 0.02, 50, 2,000, 1,000,000 (``:g`` alone writes 1e+06)."""
    return f"{value:,.0f}" if value >= 1 and value == round(value) else f"{value:g}"


def _counts(values: Sequence[float] | np.ndarray, name: str) -> np.ndarray:
    counts = _finite(values, name)
    if (counts < 0).any():
        raise ValueError(f"{name} must be non-negative; found {counts.min()}")
    return counts


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
    ax.set_xlabel("item rank by popularity (1 = most interactions)")
    ax.set_ylabel("interactions per item (log scale)")
    ax.set_title(title)
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
    """How many users (or items) have how many interactions, with log-spaced bins and the median marked.

    Args:
        counts: (n,) number of interactions of each user (or item); each at least 1.
        who: ``"user"`` or ``"item"``, used in the labels.
        bins: number of log-spaced bins, a positive integer.
        ax: the axes to draw on; a new figure is made if ``None``.
        title: the figure title (default: "Interactions per <who>").

    Returns:
        The axes.
    """
    values = _counts(counts, "counts")
    if values.min() < 1:
        raise ValueError("counts must be at least 1 for a log-scaled histogram; drop zeros first")
    if isinstance(bins, bool) or not isinstance(bins, int | np.integer):
        raise TypeError(f"bins must be a positive integer, got {bins!r}")
    if bins < 1:
        raise ValueError(f"bins must be a positive integer, got {bins!r}")
    ax = _axes(ax)
    edges = np.geomspace(values.min(), values.max() + 1, bins + 1)
    ax.hist(values, bins=edges, color="tab:blue", edgecolor="white")
    median = float(np.median(values))
    ax.axvline(median, color="tab:red", linestyle="--", label=f"median: {median:g} interactions")
    ax.set_xscale("log")
    # plain numbers, as few as keep three in view: a fixed 1, 2, 5 x 10^k had crowded a wide range (17 labels
    # over 1 to 250,000) and, from 10^6 on, fell back to 0.1, 0.2, ... times an offset
    _plain_log_ticks(ax.xaxis)
    ax.set_xlabel(f"interactions per {who} (log scale)")
    ax.set_ylabel(f"number of {who}s")
    ax.set_title(title or f"Interactions per {who}")
    ax.legend(loc="upper right")
    return ax


def training_curves(
    histories: Mapping[str, pd.DataFrame],
    *,
    metric: str = "ndcg@10",
    loss: bool = False,
    best_epochs: Mapping[str, int] | None = None,
    ax: Axes | Sequence[Axes] | None = None,
    title: str = "Validation score per epoch",
    x: str = "epoch",
) -> Axes | tuple[Axes, Axes]:
    """Validation `metric` per epoch, one line per model; optionally the training loss beside it.

    A model fitted in closed form (EASE, ItemKNN, popularity) has a single history row at epoch 0; it is drawn
    as a dashed horizontal line, so the trained models can be compared with it at every epoch.

    Args:
        histories: model name -> history table (a DataFrame with an ``epoch`` column and a `metric` column,
            e.g. a run's ``history.csv`` or `FitResult.history`); with `loss`, trained models also need
            ``train_loss``.
        metric: the validation column to draw.
        loss: also draw each trained model's training loss, in a panel to the left of the metric's.
        best_epochs: model name -> the epoch the run kept (e.g. `FitResult.best_epoch`), marked by a dotted
            vertical line (on both panels) and a star labelled with its score; a closed-form model's (epoch 0)
            is not marked: its dashed line is its one score.
        ax: the axes to draw on, two of them (loss, metric) with `loss`; a new figure is made if ``None``.
        title: the figure title (the metric panel's title, or the whole figure's with `loss`).
        x: the history column on the horizontal axis, e.g. ``"examples_seen"`` to compare runs whose epochs
            differ in length (the ``epoch`` column still names the best epochs).

    Returns:
        The metric's axes, or ``(loss_axes, metric_axes)`` with `loss`.
    """
    if not histories:
        raise ValueError("histories is empty")
    best_epochs = dict(best_epochs or {})
    for name, history in histories.items():
        trained = "epoch" in history.columns and (history["epoch"] > 0).any()
        needed = list(dict.fromkeys(["epoch", x, metric] + (["train_loss"] if loss and trained else [])))
        if any(c not in history.columns for c in needed) or history.empty:
            raise ValueError(
                f"history of {name!r} needs rows and columns {needed}; found {list(history.columns)}"
            )
        for column in needed:  # a NaN had left a gap in the line and "nan" in the legend
            _finite(history[column].to_numpy(dtype=np.float64), f"column {column!r} of {name!r}'s history")
        if name in best_epochs and best_epochs[name] not in set(history["epoch"]):
            raise ValueError(f"best_epoch {best_epochs[name]} of {name!r} is not among its history's epochs")
    unknown = best_epochs.keys() - histories.keys()
    if unknown:
        raise ValueError(f"best_epochs names models without a history: {sorted(unknown)}")
    if loss:
        if ax is None:
            fig, ax = plt.subplots(1, 2, figsize=(10.0, 3.8), layout="constrained")
            fig.suptitle(title)
            title = f"Validation {metric}"
        loss_ax, metric_ax = ax
    else:
        loss_ax, metric_ax = None, _axes(ax)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (name, history) in enumerate(histories.items()):
        color = colors[i % len(colors)]
        epochs = np.asarray(history["epoch"], dtype=np.float64)
        xs = np.asarray(history[x], dtype=np.float64)
        values = np.asarray(history[metric], dtype=np.float64)
        trained = epochs > 0
        if not trained.any():
            metric_ax.axhline(
                values[-1], color=color, linestyle="--", linewidth=1.2, label=f"{name} (closed form)"
            )
            continue
        marker = "o" if trained.sum() <= 30 else None
        metric_ax.plot(xs[trained], values[trained], color=color, marker=marker, markersize=3, label=name)
        if loss_ax is not None:
            train_loss = np.asarray(history["train_loss"], dtype=np.float64)[trained]
            loss_ax.plot(xs[trained], train_loss, color=color, marker=marker, markersize=3, label=name)
        if name in best_epochs:
            best = best_epochs[name]
            best_x, best_value = float(xs[epochs == best][0]), float(values[epochs == best][0])
            for panel in (loss_ax, metric_ax):
                if panel is not None:
                    panel.axvline(best_x, color=color, linestyle=":", linewidth=1.2)
            label = f"{name} kept epoch {best}: {metric} {best_value:.4f}"
            metric_ax.plot([best_x], [best_value], "*", color=color, markersize=12, label=label)
    for panel in (loss_ax, metric_ax):
        if panel is not None:
            if x == "epoch":
                panel.xaxis.set_major_locator(MaxNLocator(integer=True))
            panel.set_xlabel(x.replace("_", " "))
    metric_ax.set_ylabel(f"validation {metric}")
    metric_ax.set_title(title)
    metric_ax.legend(loc="best")  # a fixed corner can hide a curve's end
    if loss_ax is None:
        return metric_ax
    loss_ax.set_ylabel("training loss (mean over batches)")
    loss_ax.set_title("Training loss")
    return loss_ax, metric_ax


def _model_values(
    models: Sequence[str], means: Sequence[float] | np.ndarray, stds: Sequence[float] | np.ndarray | None
) -> tuple[list[str], np.ndarray, np.ndarray | None]:
    """Checked names, (n,) means and (n,) stds (NaN as 0; ``None`` when there are none) of a model comparison;
    a std must be NaN (none) or finite and >= 0, as matplotlib's error bars need."""
    names = [str(m) for m in models]
    values = np.asarray(means, dtype=np.float64)
    if not names or len(names) != values.size:
        raise ValueError(f"need one mean per model; got {len(names)} models and {values.size} means")
    values = _finite(values, "means")
    if stds is None:
        return names, values, None
    spread = _one_d(stds, "stds")
    if spread.size != values.size:
        raise ValueError(f"need one std per model; got {spread.size} for {values.size} models")
    bad = spread[np.isinf(spread) | (spread < 0)]  # NaN: no error bar
    if bad.size:
        raise ValueError(f"stds must be finite and >= 0 (NaN for none), got {bad[:5].tolist()}")
    return names, values, np.nan_to_num(spread, nan=0.0) if np.isfinite(spread).any() else None


def model_comparison(
    models: Sequence[str],
    means: Sequence[float] | np.ndarray,
    stds: Sequence[float] | np.ndarray | None = None,
    *,
    metric: str = "ndcg@10",
    ax: Axes | None = None,
    title: str = "Test score by model",
) -> Axes:
    """One horizontal bar per model, in the order given (first at the top), with its value written next to it.

    Args:
        models: (n,) model names, e.g. a leaderboard's best first.
        means: (n,) the metric of each model (mean over seeds).
        stds: (n,) standard deviation over seeds (finite, >= 0), drawn as error bars; ``None`` or NaN entries
            draw none.
        metric: the metric's name, for the axis label.
        ax: the axes to draw on; a new figure is made if ``None``.
        title: the figure title.

    Returns:
        The axes.
    """
    names, values, errors = _model_values(models, means, stds)
    ax = _axes(ax, figsize=(6.4, 0.5 * len(names) + 1.5))
    rows = np.arange(len(names))[::-1]  # the first model at the top
    bars = ax.barh(rows, values, xerr=errors, color="tab:blue", capsize=4 if errors is not None else 0)
    ax.bar_label(bars, labels=[f"{v:.4f}" for v in values], padding=4)
    ax.set_yticks(rows, names)
    spread = errors if errors is not None else 0.0  # the axis holds every bar and its error bar, from 0
    ax.set_xlim(min((values - spread).min(), 0.0) * 1.25, max((values + spread).max(), 1e-9) * 1.25)
    ax.set_xlabel(f"test {metric}" + (" (mean ± std over seeds)" if errors is not None else ""))
    ax.set_ylabel("model")
    ax.set_title(title)
    return ax


def model_dots(
    models: Sequence[str],
    means: Sequence[float] | np.ndarray,
    stds: Sequence[float] | np.ndarray | None = None,
    *,
    metric: str = "ndcg@10",
    fig: Figure | SubFigure | None = None,
    title: str = "Test score by model",
) -> list[Axes]:
    """One dot per model with its error bar, in the order given (first at the top), its value written beside it,
    on an axis fitted to the data rather than starting at 0, so that close models can be told apart.

    When the largest gap between two models' values is more than half of the range they span, and there are
    at least three models (so that a side of the cut holds two, which the cut lets one tell apart), the axis is
    cut there: two panels at the same scale, the gap left out, the cut marked on both sides.

    Args:
        models: (n,) model names, e.g. a leaderboard's best first.
        means: (n,) the metric of each model (mean over seeds).
        stds: (n,) standard deviation over seeds (finite, >= 0), drawn as error bars; ``None`` or NaN entries
            draw none.
        metric: the metric's name, for the axis label.
        fig: the figure or subfigure to draw in; a new figure is made if ``None``.
        title: the (sub)figure's title.

    Returns:
        The axes, left to right: one, or two when the axis is cut.
    """
    names, values, errors = _model_values(models, means, stds)
    errors = np.zeros_like(values) if errors is None else errors
    if fig is None:
        fig = plt.figure(figsize=(8.0, 0.35 * len(names) + 1.8), layout="constrained")
    ranked = np.sort(values)
    gaps = np.diff(ranked)
    low, high = (values - errors).min(), (values + errors).max()
    parts = [np.ones(len(values), dtype=bool)]
    if gaps.size >= 2 and gaps.max() > 0.5 * (high - low):  # two models: one dot per panel would compare none
        upper = values >= ranked[np.argmax(gaps) + 1]
        parts = [~upper, upper]
    widest = max(np.ptp(np.r_[values - errors, values + errors][np.r_[part, part]]) for part in parts)
    # a tenth of the widest panel's data on the left, four on the right for the values; models that tie (or
    # a single one) get a tenth of 5% of their size instead of a sliver
    pad = 0.1 * max(widest, 0.05 * np.abs(values).max(), 1e-9)
    axes = list(fig.subplots(1, len(parts), sharey=True, squeeze=False)[0])
    rows = np.arange(len(names))[::-1]  # the first model at the top
    for ax, part in zip(axes, parts, strict=True):
        ax.errorbar(values[part], rows[part], xerr=errors[part], fmt="o", capsize=3, color="tab:blue")
        for row, value, error in zip(rows[part], values[part], errors[part], strict=True):
            ax.annotate(
                f"{value:.4f}", (value + error, row), xytext=(5, 0), textcoords="offset points", va="center"
            )
        ax.set_xlim((values - errors)[part].min() - pad, (values + errors)[part].max() + 4 * pad)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(rows, names)
    if len(axes) == 2:  # the same scale on both sides of the cut, which is marked on both spines
        axes[0].get_gridspec().set_width_ratios([np.ptp(ax.get_xlim()) for ax in axes])
        axes[0].spines.right.set_visible(False)
        axes[1].spines.left.set_visible(False)
        axes[1].tick_params(left=False)
        mark = dict(marker=[(-0.5, -1), (0.5, 1)], markersize=10, color="k", linestyle="none", clip_on=False)
        for ax, x in zip(axes, (1, 0), strict=True):
            ax.plot([x, x], [0, 1], transform=ax.transAxes, **mark)
    spread = ", mean ± std over seeds" if errors.any() else ""
    cut = "the axis is cut and " if len(axes) == 2 else ""
    fig.supxlabel(f"test {metric}{spread} ({cut}does not start at 0)")
    fig.suptitle(title)
    return axes


def differences(
    labels: Sequence[str],
    diffs: Sequence[float] | np.ndarray,
    lows: Sequence[float] | np.ndarray,
    highs: Sequence[float] | np.ndarray,
    *,
    metric: str = "ndcg@10",
    interval: str = "95% interval",
    ax: Axes | None = None,
    title: str = "Difference from the reference model",
) -> Axes:
    """One dot per comparison at its difference, its interval as a bar, in the order given (first at the top),
    and a line at 0. The colour says where the interval lies: above 0, below 0, or across it (no difference
    that the data can tell from none).

    Args:
        labels: (n,) what each row compares, e.g. ``"sgl - lightgcn"``.
        diffs: (n,) the differences of the metric.
        lows: (n,) the low end of each interval (at most its difference).
        highs: (n,) the high end of each interval (at least its difference).
        metric: the metric's name, for the axis label.
        interval: what the bars are, for the axis label.
        ax: the axes to draw on; a new figure is made if ``None``.
        title: the figure title.

    Returns:
        The axes.
    """
    names = [str(label) for label in labels]
    mid, low, high = _finite(diffs, "diffs"), _finite(lows, "lows"), _finite(highs, "highs")
    if not len(names) == mid.size == low.size == high.size:
        raise ValueError(
            f"need one difference, low and high per label; got {len(names)} labels, {mid.size} differences, "
            f"{low.size} lows and {high.size} highs"
        )
    if outside := [n for n, lo, m, hi in zip(names, low, mid, high, strict=True) if not lo <= m <= hi]:
        raise ValueError(
            f"an interval must hold its difference (low <= difference <= high); not so for {outside}"
        )
    ax = _axes(ax, figsize=(6.4, 0.4 * len(names) + 1.6))
    rows = np.arange(len(names))[::-1]  # the first comparison at the top
    kinds = {"interval above 0": (low > 0, "tab:blue"), "interval below 0": (high < 0, "tab:orange")}
    kinds["interval holds 0"] = ((low <= 0) & (high >= 0), "tab:gray")
    for kind, (where, colour) in kinds.items():
        if where.any():
            bars = np.vstack([mid - low, high - mid])[:, where]
            ax.errorbar(mid[where], rows[where], xerr=bars, fmt="o", capsize=3, color=colour, label=kind)
    ax.axvline(0.0, color="black", linewidth=0.8)
    ax.set_yticks(rows, names)
    ax.set_ylabel("comparison")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="best")
    ax.set_xlabel(f"difference in test {metric} ({interval})")
    ax.set_title(title)
    return ax


def cost_curves(
    sizes: Sequence[float] | np.ndarray,
    costs: Mapping[str, Sequence[float] | np.ndarray],
    *,
    xlabel: str,
    ylabel: str,
    ax: Axes | None = None,
    title: str = "Cost as the data grows",
) -> Axes:
    """Cost against size on log-log axes, one line per series, each labelled with its fitted exponent.

    On log-log axes a power law ``cost ~ size**b`` is a straight line of slope b; the legend gives b as fitted
    by `sslrec_utils.profiling.scaling_exponent`, and a dotted grey line of slope 1 is drawn for reference,
    only within the range of the costs (it never stretches the cost axis). The legend sits above the data, in
    room made for it at the top of the cost axis. Tick labels are plain numbers.

    Args:
        sizes: (n,) positive sizes, at least two distinct, shared by every series (e.g. numbers of items), in
            any order (the points are joined in order of size).
        costs: series name -> (n,) positive costs (seconds, MiB) at those sizes.
        xlabel: the size axis label, with its unit.
        ylabel: the cost axis label, with its unit.
        ax: the axes to draw on; a new figure is made if ``None``.
        title: the figure title.

    Returns:
        The axes.
    """
    from sslrec_utils.profiling import scaling_exponent

    x = _one_d(sizes, "sizes")
    if not costs:
        raise ValueError("costs is empty")
    series = {name: _one_d(values, f"series {name!r}") for name, values in costs.items()}
    for name, y in series.items():
        if y.size != x.size:
            raise ValueError(f"series {name!r} has {y.size} costs for {x.size} sizes")
    order = np.argsort(x, kind="stable")  # sizes given out of order had drawn a line zig-zagging back
    x, series = x[order], {name: y[order] for name, y in series.items()}
    slopes = {name: scaling_exponent(x, y) for name, y in series.items()}  # its errors come before a figure
    ax = _axes(ax)
    for name, y in series.items():
        ax.plot(x, y, marker="o", label=f"{name} (slope {round(slopes[name], 2) + 0.0:.2f})")  # not "-0.00"
    ax.set_xscale("log")
    ax.set_yscale("log")
    low, high = ax.get_ylim()  # the data's range, with margins: the guide below is drawn only within it
    # a slope-1 guide starting below the lowest series' first cost, by a factor of 2 (of sqrt(growth) when the
    # sizes grow less than 4-fold, so that it always rises into the data's range)
    growth = x.max() / x.min()
    start = min(float(y[np.argmin(x)]) for y in series.values()) / min(2.0, np.sqrt(growth))
    # the sizes at which the guide, start * x / x.min(), is within the data's range
    ends = x.min() * np.clip([low / start, high / start], 1.0, growth)
    ax.plot(ends, start * ends / x.min(), linestyle=":", color="grey", label="slope 1 (linear)")
    ax.set_xticks(x, [_plain(v) for v in x])  # the measured sizes, in plain numbers
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    legend = ax.legend(loc="upper left")
    # room for the legend above the data, so that it covers no line: lay the figure out to learn where the
    # legend's bottom falls, then raise the top of the (log) axis until the data's range ends below it
    ax.figure.canvas.figure.draw_without_rendering()  # the root figure, also for an axes in a subfigure
    box, frame = legend.get_window_extent(), ax.get_window_extent()
    free = (box.y0 - frame.y0) / frame.height - 0.02  # the share of the axis' height below the legend
    ax.set_ylim(low, low * (high / low) ** (1 / max(free, 0.4)))
    _plain_log_ticks(ax.yaxis)
    return ax
