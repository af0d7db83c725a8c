"""What the figures share: a new `Axes` when none is given, input checks that refuse bad data before a
figure is made, and log axes labelled in plain numbers."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter


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


# how the book writes each metric of `sslrec_utils.metrics.METRICS` in text and figures
_METRIC_NAMES = {
    "recall": "Recall",
    "ndcg": "NDCG",
    "hit": "Hit",
    "mrr": "MRR",
    "precision": "Precision",
    "map": "MAP",
}


def metric_name(metric: str) -> str:
    """A metric as the text writes it: ``ndcg@10`` -> ``NDCG@10``, ``recall@20`` -> ``Recall@20``; a name the
    package does not compute stays as given (a table's columns: ``frame.rename(columns=metric_name)``)."""
    name, at, k = metric.partition("@")
    return f"{_METRIC_NAMES.get(name, name)}{at}{k}"


def _counts(values: Sequence[float] | np.ndarray, name: str) -> np.ndarray:
    counts = _finite(values, name)
    if (counts < 0).any():
        raise ValueError(f"{name} must be non-negative; found {counts.min()}")
    return counts
