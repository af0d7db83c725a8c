"""Figures that compare models: levels with their spreads, as bars or as dots on a cut axis (one leaderboard or
several stacked), the differences between models with their intervals, and ways of training as curves over
repeated draws."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure, SubFigure
from matplotlib.ticker import NullLocator

from sslrec_utils.plotting._common import _axes, _finite, _one_d, _plain, metric_name

# the reference levels' line styles and colours, in the order given
REFERENCE_STYLES = (("--", "black"), (":", "grey"), ("-.", "dimgrey"))


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
    ax.set_xlabel(f"test {metric_name(metric)}" + (" (mean ± std over seeds)" if errors is not None else ""))
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
    fig.supxlabel(f"test {metric_name(metric)}{spread} ({cut}does not start at 0)")
    fig.suptitle(title)
    return axes


def leaderboard_panels(
    tables: Mapping[str, pd.DataFrame],
    *,
    metric: str = "ndcg@10",
    fig: Figure | SubFigure | None = None,
    title: str = "Leaderboards",
) -> dict[str, list[Axes]]:
    """Leaderboards stacked, one `model_dots` panel each (its axis cut at a wide gap), each panel as tall as its
    number of models: a dot per model at its mean of `metric` over seeds, a bar of one standard deviation.

    Args:
        tables: panel title -> leaderboard as ``benchmarks/leaderboard.py`` writes it (``leaderboard.csv`` read
            with ``index_col="model"``): one row per model in the order to draw (first at the top), with the
            columns ``<metric>_mean``, ``<metric>_std`` and ``seeds``. A panel's title ends with its number of
            seeds (the most any of its models has).
        metric: the metric's name, as in the columns.
        fig: the figure or subfigure to draw in; a new figure is made if ``None``.
        title: the figure's title.

    Returns:
        Each panel's axes (one, or two when its axis is cut), by panel title.
    """
    if not tables:
        raise ValueError("tables is empty: no leaderboard to draw")
    columns = (f"{metric}_mean", f"{metric}_std", "seeds")
    for name, table in tables.items():
        if missing := [c for c in columns if c not in table.columns]:
            raise ValueError(
                f"leaderboard {name!r} has no column {missing}; its columns are {list(table.columns)}"
            )
    heights = [len(table) + 2 for table in tables.values()]  # one row per model, two for its title and labels
    if fig is None:
        fig = plt.figure(figsize=(9.0, 0.3 * sum(heights) + 1.5), layout="constrained")
    subfigs = fig.subfigures(len(tables), 1, height_ratios=heights, squeeze=False)[:, 0]
    panels = {}
    for sub, (name, table) in zip(subfigs, tables.items(), strict=True):
        mean, std, seeds = (table[c] for c in columns)
        panel_title = f"{name}, {int(seeds.max())} seeds"
        panels[name] = model_dots(table.index, mean, std, metric=metric, fig=sub, title=panel_title)
    fig.suptitle(title)
    return panels


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
    ax.set_xlabel(f"difference in test {metric_name(metric)} ({interval})")
    ax.set_title(title)
    return ax


def curves_over_draws(
    runs: pd.DataFrame,
    x: str,
    columns: Sequence[str],
    *,
    xlabel: str,
    ylabel: str,
    references: Mapping[str, float] | None = None,
    log_x: bool = True,
    ax: Axes | None = None,
    title: str = "Score by setting, over draws",
) -> Axes:
    """Each column's mean over the runs at each value of `x`, as a line; where some value has several runs
    (draws of data or seeds), their range as a band and each run as a dot. Reference levels are horizontal
    lines (dashed black, dotted grey, dash-dot dim grey, in the order given). The `x` axis has a tick at each
    value, in plain numbers; the legend sits beside the axes, off the lines.

    Args:
        runs: one row per run, with the column `x` and each of `columns`, e.g. chapter 6's test NDCG@10 of a
            model trained from scratch and of one fine-tuned, per number of labelled users and draw.
        x: the column of the setting, such as ``"labelled users"``.
        columns: the columns to draw, one line each, in the default colour cycle.
        xlabel: the `x` axis label (say "log scale" when `log_x`).
        ylabel: the value axis label.
        references: name -> level, at most three, e.g. a model that needs no labels.
        log_x: a log `x` axis (the values of `x` must then be positive).
        ax: the axes to draw on; a new figure (9 x 4.2 inches, room for the legend) is made if ``None``.
        title: the figure title.

    Returns:
        The axes.
    """
    missing = [name for name in (x, *columns) if name not in runs.columns]
    if missing:
        raise ValueError(f"runs has no column {missing}; its columns are {list(runs.columns)}")
    if not columns:
        raise ValueError("columns is empty: nothing to draw")
    settings = _finite(runs[x], f"column {x!r}")
    if log_x and (settings <= 0).any():
        raise ValueError(f"column {x!r} must be positive on a log axis; found {settings.min():g}")
    for name in columns:
        _finite(runs[name], f"column {name!r}")
    levels = dict(references or {})
    if len(levels) > len(REFERENCE_STYLES):
        raise ValueError(f"at most {len(REFERENCE_STYLES)} references, got {len(levels)}")
    if levels:
        _finite(list(levels.values()), "references")
    groups = runs.groupby(x)[list(columns)]
    mean, low, high = groups.mean(), groups.min(), groups.max()
    repeated = bool(groups.size().max() > 1)
    ax = _axes(ax, figsize=(9.0, 4.2))
    for name in columns:
        (line,) = ax.plot(mean.index, mean[name], marker="o", label=name)
        if repeated:  # the spread over the runs, and each run
            colour = line.get_color()
            ax.fill_between(mean.index, low[name], high[name], color=colour, alpha=0.15, linewidth=0)
            ax.scatter(runs[x], runs[name], color=colour, alpha=0.4, s=14)
    for (name, level), (style, colour) in zip(levels.items(), REFERENCE_STYLES, strict=False):
        ax.axhline(level, color=colour, linestyle=style, label=name)
    if log_x:
        ax.set_xscale("log")
    ax.set_xticks(mean.index, [_plain(value) for value in mean.index])
    ax.xaxis.set_minor_locator(NullLocator())
    ax.margins(y=0.08)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1))
    return ax
