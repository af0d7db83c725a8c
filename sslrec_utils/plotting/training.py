"""Figures of training: the curves of a run's epochs and the cost of training against the data's size."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator, NullFormatter

from sslrec_utils.plotting._common import _axes, _finite, _one_d, _plain, _plain_log_ticks, metric_name


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
    if isinstance(histories, pd.DataFrame) or not isinstance(
        histories, Mapping
    ):  # "truth value ... ambiguous"
        raise TypeError(
            f"histories maps model names to history tables, e.g. {{'multvae': fit.history}}, got "
            f"{type(histories).__name__}"
        )
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
            title = f"Validation {metric_name(metric)}"
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
            label = f"{name} kept epoch {best}: {metric_name(metric)} {best_value:.4f}"
            metric_ax.plot([best_x], [best_value], "*", color=color, markersize=12, label=label)
    for panel in (loss_ax, metric_ax):
        if panel is not None:
            if x == "epoch":
                panel.xaxis.set_major_locator(MaxNLocator(integer=True))
            panel.set_xlabel(x.replace("_", " "))
    metric_ax.set_ylabel(f"validation {metric_name(metric)}")
    metric_ax.set_title(title)
    metric_ax.legend(loc="best")  # a fixed corner can hide a curve's end
    if loss_ax is None:
        return metric_ax
    loss_ax.set_ylabel("training loss (mean over batches)")
    loss_ax.set_title("Training loss")
    return loss_ax, metric_ax


def cost_curves(
    sizes: Sequence[float] | np.ndarray | Mapping[str, Sequence[float] | np.ndarray],
    costs: Mapping[str, Sequence[float] | np.ndarray],
    *,
    xlabel: str,
    ylabel: str,
    colors: Mapping[str, str] | None = None,
    ax: Axes | None = None,
    title: str = "Cost as the data grows",
) -> Axes:
    """Cost against size on log-log axes, one line per series, each labelled with its fitted exponent.

    On log-log axes a power law ``cost ~ size**b`` is a straight line of slope b; the legend gives b as fitted
    by `sslrec_utils.profiling.scaling_exponent`, and a dotted grey line of slope 1 is drawn for reference,
    only within the range of the costs (it never stretches the cost axis). The legend sits above the data, in
    room made for it at the top of the cost axis. Tick labels are plain numbers: one at each size measured.

    Args:
        sizes: (n,) positive sizes, at least two distinct, shared by every series (e.g. numbers of items), in
            any order (the points are joined in order of size); or series name -> its own sizes, for series
            measured at different sizes (e.g. only where a measurement could be made).
        costs: series name -> positive costs (seconds, MiB), one per size of the series.
        xlabel: the size axis label, with its unit.
        ylabel: the cost axis label, with its unit.
        colors: series name -> colour (it may name other series too, e.g. a chapter's mapping of every model),
            so that a series keeps its colour across figures and when a figure leaves a series out; a series it
            does not name gets the next colour of the cycle.
        ax: the axes to draw on; a new figure is made if ``None``.
        title: the figure title.

    Returns:
        The axes.
    """
    from sslrec_utils.profiling import scaling_exponent

    if not costs:
        raise ValueError("costs is empty")
    if isinstance(sizes, Mapping):
        if missing := [name for name in costs if name not in sizes]:
            raise ValueError(f"sizes has no entry for the series {missing}; it has {list(sizes)}")
        xs = {name: _one_d(sizes[name], f"sizes of {name!r}") for name in costs}
    else:
        shared = _one_d(sizes, "sizes")
        xs = dict.fromkeys(costs, shared)
    series = {}
    for name, values in costs.items():
        x, y = xs[name], _one_d(values, f"series {name!r}")
        if y.size != x.size:
            raise ValueError(f"series {name!r} has {y.size} costs for {x.size} sizes")
        order = np.argsort(x, kind="stable")  # sizes given out of order had drawn a line zig-zagging back
        series[name] = (x[order], y[order])
    # the exponents' errors (too few sizes, a cost <= 0) come before a figure is made
    slopes = {name: scaling_exponent(x, y) for name, (x, y) in series.items()}
    ax = _axes(ax)
    for name, (x, y) in series.items():
        label = f"{name} (slope {round(slopes[name], 2) + 0.0:.2f})"  # not "-0.00"
        ax.plot(x, y, marker="o", color=(colors or {}).get(name), label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    low, high = ax.get_ylim()  # the data's range, with margins: the guide below is drawn only within it
    # a slope-1 guide starting below the lowest series' first cost, by a factor of 2 (of sqrt(growth) when the
    # sizes grow less than 4-fold, so that it always rises into the data's range)
    every = np.unique(np.concatenate([x for x, _ in series.values()]))  # every size measured
    smallest, growth = every.min(), every.max() / every.min()
    # (a series measured from a larger size starts the guide at its cost there, moved back along slope 1)
    start = min(float(y[0]) * smallest / x[0] for x, y in series.values()) / min(2.0, np.sqrt(growth))
    # the sizes at which the guide, start * x / smallest, is within the data's range
    ends = smallest * np.clip([low / start, high / start], 1.0, growth)
    ax.plot(ends, start * ends / smallest, linestyle=":", color="grey", label="slope 1 (linear)")
    ax.set_xticks(every, [_plain(v) for v in every])  # the measured sizes, in plain numbers
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
