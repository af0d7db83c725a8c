"""Figures the book draws: the popularity long tail, rating and activity distributions, training curves, model
comparisons, leaderboards and differences between models, curves over repeated draws, and maps of learned
representations.

Each function takes data and an optional matplotlib `Axes`, draws one figure with a title and labelled axes,
and returns the `Axes` (`model_dots`, whose axis may be cut in two, and `leaderboard_panels`, which stacks
them, take a figure or subfigure and return their axes). Nothing here changes matplotlib's global style.
`metric_name` writes a metric as the text does (``ndcg@10`` -> NDCG@10), for titles and legends drawn by hand.
"""

from sslrec_utils.plotting._common import metric_name
from sslrec_utils.plotting.comparisons import (
    curves_over_draws,
    differences,
    leaderboard_panels,
    model_comparison,
    model_dots,
)
from sslrec_utils.plotting.data import activity_histogram, long_tail, rating_histogram
from sslrec_utils.plotting.maps import group_map
from sslrec_utils.plotting.training import cost_curves, training_curves

__all__ = [
    "long_tail",
    "rating_histogram",
    "activity_histogram",
    "training_curves",
    "model_comparison",
    "model_dots",
    "leaderboard_panels",
    "differences",
    "curves_over_draws",
    "cost_curves",
    "group_map",
    "metric_name",
]
