"""The book's plotting helpers: labelled axes, the right data on them, and clear errors."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from sslrec_utils import plotting


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _labelled(ax) -> bool:
    return bool(ax.get_title() and ax.get_xlabel() and ax.get_ylabel())


def test_long_tail_sorts_counts_and_marks_the_head() -> None:
    counts = np.array([1, 50, 0, 10, 5, 100, 2, 3, 4, 25])
    ax = plotting.long_tail(counts, head_fraction=0.2)
    assert _labelled(ax) and ax.get_yscale() == "log"
    line = ax.get_lines()[0]
    np.testing.assert_array_equal(
        line.get_ydata(), [100, 50, 25, 10, 5, 4, 3, 2, 1]
    )  # zero not drawable on log
    np.testing.assert_array_equal(line.get_xdata(), np.arange(1, 10))
    # the head is the top 2 of 10 items: (100 + 50) / 200 interactions
    assert any("75.0%" in t.get_text() for t in ax.texts)


def test_long_tail_draws_on_given_axes_and_validates() -> None:
    _, ax = plt.subplots()
    assert plotting.long_tail([3, 2, 1], ax=ax, title="mine") is ax
    assert ax.get_title() == "mine"
    with pytest.raises(ValueError, match="head_fraction"):
        plotting.long_tail([1, 2], head_fraction=1.5)
    with pytest.raises(ValueError, match="non-negative"):
        plotting.long_tail([1, -2])
    with pytest.raises(ValueError, match="empty"):
        plotting.long_tail([])


def test_rating_histogram_shows_shares_per_value() -> None:
    ax = plotting.rating_histogram([1, 2, 2, 5, 5, 5, 5, 4])
    assert _labelled(ax)
    heights = [p.get_height() for p in ax.patches]
    centres = [p.get_x() + p.get_width() / 2 for p in ax.patches]
    np.testing.assert_allclose(centres, [1, 2, 4, 5])
    np.testing.assert_allclose(heights, [1 / 8, 2 / 8, 1 / 8, 4 / 8])


def test_activity_histogram_counts_everyone_and_marks_the_median() -> None:
    counts = np.array([20, 21, 30, 65, 100, 300, 737])
    ax = plotting.activity_histogram(counts, who="user", bins=5)
    assert _labelled(ax) and ax.get_xscale() == "log"
    assert sum(p.get_height() for p in ax.patches) == len(counts)
    assert ax.get_lines()[0].get_xdata()[0] == 65
    assert "user" in ax.get_xlabel() and "user" in ax.get_title().lower()
    with pytest.raises(ValueError, match="at least 1"):
        plotting.activity_histogram([0, 3])
