"""Figures of learned representations: points on a 2-D map (item embeddings projected by PCA, say), coloured by
group."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.axes import Axes

from sslrec_utils.plotting._common import _axes


def group_map(
    coords: np.ndarray,
    groups: Mapping[str, np.ndarray],
    *,
    other: str = "others",
    legend_title: str | None = None,
    axis_labels: tuple[str, str] = ("dimension 1", "dimension 2"),
    ax: Axes | None = None,
    title: str = "A map of the items",
) -> Axes:
    """Points on a plane, those of each group in a colour of its own and the rest in light grey beneath.

    The largest group is drawn first so that the smaller ones stay visible on top; a group's colour is that of
    its place in `groups` (``C0``, ``C1``, ...), so it does not depend on the drawing order. The legend, outside
    the axes on the right so that it hides no point, names each group with its size. A point in several groups
    is drawn in each.

    Args:
        coords: (n, 2) the points' coordinates, e.g. the first two principal components of item embeddings.
        groups: name -> (n,) boolean mask of the points in the group, at most 10 groups (matplotlib's
            colour cycle).
        other: the legend's name for the points in no group.
        legend_title: what the groups hold, above them in the legend (e.g. that each holds only the films of
            one genre among several); none if ``None``.
        axis_labels: the x and y axis labels.
        ax: the axes to draw on; a new figure is made if ``None``.
        title: the figure title.

    Returns:
        The axes.
    """
    points = np.asarray(coords, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 2 or not len(points):
        raise ValueError(f"coords must be an (n, 2) array of points, got shape {points.shape}")
    if not np.isfinite(points).all():
        raise ValueError(f"coords hold {int((~np.isfinite(points)).any(axis=1).sum())} points not finite")
    if not 1 <= len(groups) <= 10:
        raise ValueError(f"give 1 to 10 groups (matplotlib's 10 colours), got {len(groups)}")
    masks = {name: np.asarray(mask) for name, mask in groups.items()}
    for name, mask in masks.items():
        if mask.dtype != bool or mask.shape != (len(points),):
            raise ValueError(
                f"group {name!r} must be a boolean mask of the {len(points)} points, got {mask.dtype} of "
                f"shape {mask.shape}"
            )
    ax = _axes(ax, figsize=(8.2, 5.2))
    rest = ~np.logical_or.reduce(list(masks.values()))
    ax.scatter(points[rest, 0], points[rest, 1], s=6, color="lightgrey", label=other)
    colour = {name: f"C{i}" for i, name in enumerate(masks)}
    for name, mask in sorted(
        masks.items(), key=lambda group: -group[1].sum()
    ):  # stable: ties keep their order
        ax.scatter(
            points[mask, 0],
            points[mask, 1],
            s=16,
            color=colour[name],
            alpha=0.7,
            edgecolors="none",
            label=f"{name} ({mask.sum()})",
        )
    ax.set(xlabel=axis_labels[0], ylabel=axis_labels[1], title=title)
    ax.legend(
        loc="upper left",
        bbox_to_anchor=(1.01, 1),
        fontsize="small",
        title=legend_title,
        title_fontsize="small",
        markerscale=1.5,
    )
    return ax
