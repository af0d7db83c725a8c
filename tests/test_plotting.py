"""The book's plotting helpers: labelled axes, the right data on them, and clear errors."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.container import ErrorbarContainer
from matplotlib.ticker import MaxNLocator, NullFormatter

from sslrec_utils import plotting


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _labelled(ax) -> bool:
    return bool(ax.get_title() and ax.get_xlabel() and ax.get_ylabel())


def _visible_tick_labels(axis) -> list[str]:
    low, high = axis.get_view_interval()
    formatter = axis.get_major_formatter()
    return [formatter(v) for v in axis.get_majorticklocs() if low <= v <= high]


def test_long_tail_sorts_counts_and_marks_the_head() -> None:
    counts = np.array([1, 50, 0, 10, 5, 100, 2, 3, 4, 25])
    ax = plotting.long_tail(counts, head_fraction=0.2)
    assert _labelled(ax) and ax.get_yscale() == "log"
    assert _visible_tick_labels(ax.yaxis) == ["1", "10", "100"]  # plain numbers, as on every log axis
    line = ax.get_lines()[0]
    np.testing.assert_array_equal(
        line.get_ydata(), [100, 50, 25, 10, 5, 4, 3, 2, 1]
    )  # zero not drawable on log
    np.testing.assert_array_equal(line.get_xdata(), np.arange(1, 10))
    # the head is the top 2 of 10 items: (100 + 50) / 200 interactions
    assert any("75.0%" in t.get_text() for t in ax.texts)
    span = ax.patches[0]  # shaded over ranks 1 and 2, from edge to edge
    assert (span.get_x(), span.get_x() + span.get_width()) == (0.5, 2.5)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "interactions per item",
        "top 20% of items",
    ]
    # a head of 2.5 items is rounded up to 3: (10 + 9 + 8) / 55
    rounded = plotting.long_tail(np.arange(1, 11), head_fraction=0.25)
    assert [t.get_text() for t in rounded.texts] == ["  head holds 49.1% of interactions"]


@pytest.mark.parametrize("width", [3.0, 4.5, 6.0, 6.4])
def test_long_tail_legend_leaves_the_head_sentence_clear(width: float) -> None:
    # the report's half of a 12-inch figure: the legend, in the upper right, had covered "...of interactions"
    counts = np.round(600 / np.arange(1, 1683) ** 0.9)
    fig, ax = plt.subplots(figsize=(width, 4.0), layout="constrained")
    plotting.long_tail(counts, ax=ax)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    legend = ax.get_legend().get_window_extent(renderer)
    (sentence,) = ax.texts
    assert not legend.overlaps(sentence.get_window_extent(renderer))
    assert legend.fully_overlaps(ax.get_window_extent(renderer))  # and inside the axes


def test_long_tail_draws_on_given_axes_and_validates() -> None:
    _, ax = plt.subplots()
    assert plotting.long_tail([3, 2, 1], ax=ax, title="mine") is ax
    assert ax.get_title() == "mine"
    for share in (1.5, 0, 1):  # a head of no item or of every item says nothing
        with pytest.raises(ValueError, match="head_fraction"):
            plotting.long_tail([1, 2], head_fraction=share)
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
    assert [p.get_width() for p in ax.patches] == pytest.approx([0.8] * 4)  # the closest levels do not touch
    assert list(ax.get_xticks()) == [1, 2, 4, 5]  # a tick per level, none between
    assert ax.yaxis.get_major_formatter()(0.5, 0) == "50%"


def test_activity_histogram_counts_everyone_and_marks_the_median() -> None:
    counts = np.array([20, 21, 30, 65, 100, 300, 737])
    ax = plotting.activity_histogram(counts, who="user", bins=5)
    assert _labelled(ax) and ax.get_xscale() == "log"
    # a bar's height is users per interaction count, its width the counts it holds: its area is its users
    assert sum(p.get_height() * p.get_width() for p in ax.patches) == pytest.approx(len(counts))
    assert ax.get_lines()[0].get_xdata()[0] == 65
    assert "user" in ax.get_xlabel() and "user" in ax.get_title().lower()
    left = np.array([p.get_x() for p in ax.patches])
    # edges halfway between integers, about log-spaced: geomspace(20, 738, 6) floored is 20, 41, 84, 174, 358, 738
    np.testing.assert_array_equal(left, [19.5, 40.5, 83.5, 173.5, 357.5])
    with pytest.raises(ValueError, match="at least 1"):
        plotting.activity_histogram([0, 3])
    with pytest.raises(ValueError, match=r"whole numbers; found \[2.5\]"):
        plotting.activity_histogram([1, 2.5])
    items = plotting.activity_histogram(counts, who="item", title="mine")
    assert (items.get_ylabel(), items.get_title()) == (
        "items per interaction count (mean over the bin)",
        "mine",
    )


def test_activity_histogram_bins_hold_whole_counts_and_bars_do_not_follow_their_width() -> None:
    # every count from 1 to 300, 3 users each: log bins from 1 had had edges (1.32, 1.75) with no integer
    # between them, an empty bar, and bars as high as the number of integers they happened to hold
    flat = plotting.activity_histogram(np.repeat(np.arange(1, 301), 3), bins=30)
    heights = np.array([p.get_height() for p in flat.patches])
    np.testing.assert_allclose(heights, 3.0)  # flat, and no bin empty
    edges = np.array(
        [p.get_x() for p in flat.patches] + [flat.patches[-1].get_x() + flat.patches[-1].get_width()]
    )
    np.testing.assert_array_equal(edges % 1, 0.5)  # each bin holds whole counts, from 1 to 300
    assert (edges[0], edges[-1]) == (0.5, 300.5) and (np.diff(edges) >= 1).all()
    # fewer users at each larger count: the bars fall from left to right, without a zig-zag
    counts = np.repeat(np.arange(1, 201), 1000 // np.arange(1, 201))
    falling = np.array([p.get_height() for p in plotting.activity_histogram(counts).patches])
    assert (falling > 0).all() and (np.diff(falling) < 0).all()


@pytest.mark.parametrize(
    ("counts", "labels"),
    [
        ([20, 21, 30, 65, 100, 300, 737], ["20", "50", "100", "200", "500"]),
        # 1, 2, 5 x 10^k had put 17 labels over this range, run together
        ([1, 3, 12_000, 250_000], ["1", "10", "100", "1,000", "10,000", "100,000"]),
        # from 10^6 on, matplotlib's plain formatter had written 0.1, 0.2, ... and an offset of 1e6
        ([1, 2, 5, 3_000_000], ["1", "10", "100", "1,000", "10,000", "100,000", "1,000,000"]),
    ],
)
def test_activity_histogram_labels_a_few_plain_numbers(counts: list[int], labels: list[str]) -> None:
    ax = plotting.activity_histogram(counts, bins=5)
    assert _visible_tick_labels(ax.xaxis) == labels


def test_training_curves_draw_loss_and_metric_and_mark_the_kept_epoch() -> None:
    import pandas as pd

    history = pd.DataFrame(
        {"epoch": [1, 2, 3, 4], "train_loss": [0.5, 0.4, 0.35, 0.33], "ndcg@10": [0.10, 0.20, 0.25, 0.22]}
    )
    closed = pd.DataFrame({"epoch": [0], "ndcg@10": [0.30]})  # no train_loss: a closed form has none
    loss_ax, metric_ax = plotting.training_curves(
        {"ae": history, "ease": closed}, loss=True, best_epochs={"ae": 3}, title="Training ae"
    )
    assert _labelled(loss_ax) and _labelled(metric_ax)
    assert loss_ax.get_ylabel() == "training loss (mean over batches)"
    assert metric_ax.get_ylabel() == "validation NDCG@10"  # as the text writes it
    assert metric_ax.figure.get_suptitle() == "Training ae"
    assert (loss_ax.get_title(), metric_ax.get_title()) == ("Training loss", "Validation NDCG@10")
    for ax in (loss_ax, metric_ax):  # whole epochs on the axis
        locator = ax.xaxis.get_major_locator()
        assert isinstance(locator, MaxNLocator) and locator._integer
    np.testing.assert_allclose(loss_ax.get_lines()[0].get_ydata(), [0.5, 0.4, 0.35, 0.33])
    np.testing.assert_allclose(metric_ax.get_lines()[0].get_ydata(), [0.10, 0.20, 0.25, 0.22])
    # the kept epoch is marked on both panels, and named with its score in the legend
    for ax in (loss_ax, metric_ax):
        assert any(list(line.get_xdata()) == [3, 3] for line in ax.get_lines())
    legend = [t.get_text() for t in metric_ax.get_legend().get_texts()]
    assert legend == ["ae", "ae kept epoch 3: NDCG@10 0.2500", "ease (closed form)"]
    # without best_epochs nothing is marked; given axes are drawn on and returned
    _, axes = plt.subplots(1, 2)
    assert plotting.training_curves({"ae": history}, loss=True, ax=axes) == tuple(axes)
    assert all(line.get_xdata().size == 4 for ax in axes for line in ax.get_lines())
    # another column on the horizontal axis (runs whose epochs differ in length); the kept epoch follows it
    seen = history.assign(examples_seen=history["epoch"] * 1000)
    ax = plotting.training_curves({"ae": seen}, x="examples_seen", best_epochs={"ae": 3})
    np.testing.assert_allclose(ax.get_lines()[0].get_xdata(), [1000, 2000, 3000, 4000])
    assert any(list(line.get_xdata()) == [3000, 3000] for line in ax.get_lines())
    assert ax.get_xlabel() == "examples seen"
    assert not ax.xaxis.get_major_locator()._integer  # counts of examples, not whole epochs
    with pytest.raises(ValueError, match="examples_seen"):
        plotting.training_curves({"ae": history}, x="examples_seen")


def test_training_curves_validate_their_input() -> None:
    import pandas as pd

    history = pd.DataFrame({"epoch": [1, 2], "train_loss": [0.5, 0.4], "ndcg@10": [0.1, 0.2]})
    # one history alone had failed with pandas' "truth value of a DataFrame is ambiguous"
    with pytest.raises(TypeError, match=r"histories maps model names to history tables, .* got DataFrame"):
        plotting.training_curves(history)
    with pytest.raises(ValueError, match="recall@20"):
        plotting.training_curves({"ae": history}, metric="recall@20")
    with pytest.raises(ValueError, match="train_loss"):
        plotting.training_curves({"ae": history.drop(columns="train_loss")}, loss=True)
    with pytest.raises(ValueError, match="needs rows"):
        plotting.training_curves({"ae": history.iloc[:0]})
    with pytest.raises(ValueError, match="best_epoch 7"):
        plotting.training_curves({"ae": history}, best_epochs={"ae": 7})
    with pytest.raises(ValueError, match="train_loss"):  # a history from epoch 0 on is a trained model's
        plotting.training_curves(
            {"ae": pd.DataFrame({"epoch": [0, 1, 2], "ndcg@10": [0.1, 0.2, 0.3]})}, loss=True
        )
    with pytest.raises(ValueError, match="without a history"):
        plotting.training_curves({"ae": history}, best_epochs={"vae": 1})
    # a NaN had been drawn as a gap, and a kept epoch's label read "ndcg@10 nan"
    with pytest.raises(ValueError, match=r"column 'ndcg@10' of 'ae'.s history holds 1 NaN or infinite"):
        plotting.training_curves({"ae": history.assign(**{"ndcg@10": [0.1, float("nan")]})})
    closed = pd.DataFrame(
        {"epoch": [0], "train_loss": [float("nan")], "ndcg@10": [0.3]}
    )  # a closed form's row
    plotting.training_curves({"ae": history, "ease": closed}, loss=True)  # its NaN loss is not drawn


def test_cost_curves_draws_log_log_lines_with_their_exponents() -> None:
    sizes = np.array([100.0, 200.0, 400.0])
    ax = plotting.cost_curves(
        sizes, {"EASE": 1e-6 * sizes**3, "AE": 1e-3 * sizes}, xlabel="items", ylabel="seconds"
    )
    assert _labelled(ax) and ax.get_xscale() == "log" and ax.get_yscale() == "log"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["EASE (slope 3.00)", "AE (slope 1.00)", "slope 1 (linear)"]
    # a flat curve that falls a little had been labelled "slope -0.00"
    flat = plotting.cost_curves(sizes, {"VAE": np.array([1.0, 1.0, 0.999])}, xlabel="users", ylabel="seconds")
    assert flat.get_legend().get_texts()[0].get_text() == "VAE (slope 0.00)"
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), 1e-6 * sizes**3)
    guide = ax.get_lines()[2]
    # slope 1, from half of AE's first cost 0.1 at 100, drawn only where it is within the costs' range
    np.testing.assert_allclose(guide.get_ydata() / guide.get_xdata(), 0.05 / 100)
    low, high = ax.get_ylim()
    assert 0.05 < low <= guide.get_ydata().min() and guide.get_xdata().max() == 400
    assert high > 64 * 2  # room for the legend above EASE's 64
    legend, frame = ax.get_legend().get_window_extent(), ax.get_window_extent()
    top_cost = ax.transData.transform((400, 64))[1]
    assert top_cost < legend.y0 and legend.y1 <= frame.y1  # the legend, inside the axes, is above the data
    assert [t.get_text() for t in ax.get_xticklabels()] == ["100", "200", "400"]
    assert _visible_tick_labels(ax.yaxis)[:3] == ["0.1", "1", "10"]  # plain numbers, no 10^k or 2x10^-1
    for axis in (ax.xaxis, ax.yaxis):  # and none between them
        assert isinstance(axis.get_minor_formatter(), NullFormatter)
    with pytest.raises(ValueError, match="3 sizes"):
        plotting.cost_curves(sizes, {"AE": [1.0, 2.0]}, xlabel="items", ylabel="seconds")
    with pytest.raises(ValueError, match="empty"):
        plotting.cost_curves(sizes, {}, xlabel="items", ylabel="seconds")


def test_cost_curves_take_sizes_per_series_and_keep_given_colours() -> None:
    # chapter 9's memory: only the sizes where a peak was measured, per model; the legend's slope is then
    # fitted on those points alone, as the text's is
    sizes = {"a": [100.0, 200.0, 400.0], "b": [200.0, 400.0]}
    costs = {"a": [1.0, 2.0, 4.0], "b": [9.0, 3.0]}
    ax = plotting.cost_curves(
        sizes, costs, xlabel="n", ylabel="MiB", colors={"b": "C2", "a": "C0", "c": "C1"}
    )
    a, b, guide = ax.get_lines()
    assert list(b.get_xdata()) == [200, 400] and list(b.get_ydata()) == [9, 3]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:2] == ["a (slope 1.00)", "b (slope -1.58)"]
    assert (a.get_color(), b.get_color()) == ("C0", "C2")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["100", "200", "400"]  # every size measured
    assert guide.get_xdata().min() >= 100 and guide.get_xdata().max() <= 400
    with pytest.raises(ValueError, match=r"sizes has no entry for the series \['b'\]"):
        plotting.cost_curves({"a": [1.0, 2.0]}, costs, xlabel="n", ylabel="s")
    with pytest.raises(ValueError, match="series 'b' has 2 costs for 3 sizes"):
        plotting.cost_curves({"a": [1, 2, 4], "b": [1, 2, 4]}, costs, xlabel="n", ylabel="s")


def test_cost_curves_keep_a_narrow_cost_range_readable() -> None:
    # flat memory curves (50 to 63 MiB) over an 8-fold growth: a slope-1 guide would stretch the axis to 200 MiB
    sizes = np.array([10_000.0, 20_000.0, 40_000.0, 80_000.0])
    ax = plotting.cost_curves(
        sizes, {"a": [60.0, 56.0, 63.0, 58.0], "b": [50.0, 52.0, 55.0, 54.0]}, xlabel="n", ylabel="MiB"
    )
    low, high = ax.get_ylim()
    guide = ax.get_lines()[2].get_ydata()
    assert 45 < low < 50 and 66 < high  # the costs' range, and room for the legend above it
    assert low <= guide.min() < guide.max() < 64  # the guide within the costs' range
    labels = _visible_tick_labels(ax.yaxis)
    assert len(labels) >= 3 and all(label.isdigit() for label in labels), labels
    # a 2-fold or 1.5-fold growth: the guide still rises into the costs' range
    for growth in (2.0, 1.5):
        ax = plotting.cost_curves([1.0, growth], {"a": [10.0, 12.0]}, xlabel="n", ylabel="s")
        assert ax.get_lines()[1].get_ydata()[-1] >= 10.0


def test_cost_curves_sort_the_sizes_and_make_only_the_room_the_legend_needs() -> None:
    ax = plotting.cost_curves([40_000, 10_000, 20_000], {"a": [4.0, 1.0, 2.0]}, xlabel="n", ylabel="s")
    line = ax.get_lines()[0]  # sizes out of order had drawn a line going back on itself
    assert list(line.get_xdata()) == [10_000, 20_000, 40_000] and list(line.get_ydata()) == [1, 2, 4]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["10,000", "20,000", "40,000"]
    legend, frame = ax.get_legend().get_window_extent(), ax.get_window_extent()
    top = ax.transData.transform((40_000, 4.0))[1]
    assert 0 < (legend.y0 - top) / frame.height < 0.15  # just above the data, not squashing it
    with pytest.raises(ValueError, match=r"sizes must be 1-D, got an array of shape \(1, 3\)"):
        plotting.cost_curves([[1.0, 2.0, 4.0]], {"a": [1.0, 2.0, 4.0]}, xlabel="n", ylabel="s")
    with pytest.raises(ValueError, match="series 'a' must be 1-D"):
        plotting.cost_curves([1.0, 2.0], {"a": [[1.0, 2.0]]}, xlabel="n", ylabel="s")


def test_training_curves_draw_trained_models_as_lines_and_closed_form_ones_as_levels() -> None:
    import pandas as pd

    histories = {
        "ease": pd.DataFrame({"epoch": [0], "ndcg@10": [0.30]}),
        "multvae": pd.DataFrame({"epoch": [1, 2, 3], "ndcg@10": [0.10, 0.20, 0.25]}),
    }
    ax = plotting.training_curves(histories, metric="ndcg@10")
    assert _labelled(ax) and ax.get_ylabel() == "validation NDCG@10"
    level, curve = ax.get_lines()
    assert list(level.get_ydata()) == [0.30, 0.30] and level.get_linestyle() == "--"
    np.testing.assert_allclose(curve.get_xdata(), [1, 2, 3])
    np.testing.assert_allclose(curve.get_ydata(), [0.10, 0.20, 0.25])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["ease (closed form)", "multvae"]
    with pytest.raises(ValueError, match=r"needs rows and columns \['epoch', 'recall@20'\]"):
        plotting.training_curves(histories, metric="recall@20")
    with pytest.raises(ValueError, match="empty"):
        plotting.training_curves({})


def test_model_comparison_puts_the_first_model_on_top_with_error_bars() -> None:
    ax = plotting.model_comparison(["ease", "pop"], [0.33, 0.14], [0.01, float("nan")], metric="ndcg@10")
    assert (
        _labelled(ax) and ax.get_xlabel() == "test NDCG@10 (mean ± std over seeds)"
    )  # as the text writes it
    for metric, name in (("recall@20", "Recall@20"), ("hit@5", "Hit@5"), ("auc", "auc")):
        assert plotting.model_comparison(["a"], [0.5], metric=metric).get_xlabel() == f"test {name}"
    labels = {t.get_text(): t.get_position()[1] for t in ax.get_yticklabels()}
    assert labels["ease"] > labels["pop"]  # the first model is drawn at the top
    widths = sorted((bar.get_y(), bar.get_width()) for bar in ax.patches)
    assert [w for _, w in widths] == pytest.approx([0.14, 0.33])
    assert [t.get_text() for t in ax.texts] == ["0.3300", "0.1400"]
    (errors,) = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert errors.has_xerr
    single = plotting.model_comparison(["ease"], [0.3], [float("nan")])
    assert "std" not in single.get_xlabel()  # one seed: no error bars
    with pytest.raises(ValueError, match="one mean per model"):
        plotting.model_comparison(["a", "b"], [0.1])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: plotting.long_tail([0, 0, 0]), "all 0"),
        (lambda: plotting.long_tail([5, np.nan, 3]), "item_counts holds 1 NaN or infinite"),
        (lambda: plotting.rating_histogram([1, 2, np.nan, 5]), "ratings holds 1 NaN"),
        (lambda: plotting.activity_histogram([1, np.inf]), "counts holds 1 NaN or infinite"),
        (lambda: plotting.model_comparison(["a", "b"], [0.3, np.nan]), "means holds 1 NaN"),
        (lambda: plotting.cost_curves([5], {"a": [1]}, xlabel="x", ylabel="y"), "two distinct sizes"),
    ],
)
def test_bad_input_is_named_and_leaves_no_empty_figure(call, message: str) -> None:
    before = plt.get_fignums()
    with pytest.raises(ValueError, match=message):
        call()
    assert plt.get_fignums() == before


def test_model_dots_fit_the_data_and_cut_the_axis_at_a_wide_gap() -> None:
    models, means, stds = (
        ["ease", "sgl", "lightgcn", "pop"],
        [0.333, 0.317, 0.315, 0.143],
        [0.002, 0.006, 0.001, 0],
    )
    left, right = plotting.model_dots(models, means, stds, title="holdout")
    assert left.get_xlim()[0] > 0.1 and right.get_xlim()[0] > 0.3  # no axis starts at 0
    assert left.get_xlim()[1] < right.get_xlim()[0]  # the gap between pop and the rest is left out
    assert [t.get_text() for t in right.texts] == ["0.3330", "0.3170", "0.3150"] and left.texts[
        0
    ].get_text() == "0.1430"
    labels = {t.get_text(): t.get_position()[1] for t in left.get_yticklabels()}
    assert labels["ease"] > labels["sgl"] > labels["pop"]  # the first model at the top
    spans = [np.ptp(ax.get_xlim()) for ax in (left, right)]
    ratios = left.get_gridspec().get_width_ratios()
    assert ratios[0] / ratios[1] == pytest.approx(spans[0] / spans[1])  # one scale on both sides of the cut
    assert "cut" in left.figure.get_supxlabel() and "± std" in left.figure.get_supxlabel()
    assert right.texts[0].xy == pytest.approx((0.333 + 0.002, 3))  # ease's value, beside its error bar
    assert not left.spines.right.get_visible() and not right.spines.left.get_visible()
    # the cut is marked where the panels meet: the left one's right edge, the right one's left edge
    assert list(left.get_lines()[-1].get_xdata()) == [1, 1] and list(right.get_lines()[-1].get_xdata()) == [
        0,
        0,
    ]
    # two models: one dot per panel would compare nothing, so the axis is not cut however far apart they are
    (ax,) = plotting.model_dots(["a", "b"], [0.30, 0.31])
    assert "cut" not in ax.figure.get_supxlabel()
    # models close together: one axis, fitted to them
    (ax,) = plotting.model_dots(["a", "b", "c"], [0.30, 0.31, 0.32])
    assert 0.29 < ax.get_xlim()[0] < 0.30 and "cut" not in ax.figure.get_supxlabel()
    assert "std" not in ax.figure.get_supxlabel()
    (ax,) = plotting.model_dots(["a"], [0.3])  # one model (or a tie): an axis of readable width around it
    assert ax.get_xlim()[0] < 0.3 < ax.get_xlim()[1] and np.ptp(ax.get_xlim()) > 0.005
    with pytest.raises(ValueError, match="one std per model"):
        plotting.model_dots(["a", "b"], [0.1, 0.2], [0.1])
    plt.close("all")


def test_leaderboard_panels_stack_one_panel_per_leaderboard() -> None:
    holdout = pd.DataFrame(
        {"ndcg@10_mean": [0.333, 0.317, 0.315, 0.143], "ndcg@10_std": [0.002, 0.006, 0.001, 0.0]},
        index=pd.Index(["ease", "sgl", "lightgcn", "pop"], name="model"),
    ).assign(seeds=[3, 3, 2, 3])
    loo = pd.DataFrame(
        {"ndcg@10_mean": [0.061, 0.057], "ndcg@10_std": [0.001, 0.002], "seeds": [8, 8]},
        index=pd.Index(["sasrec", "bert4rec"], name="model"),
    )
    panels = plotting.leaderboard_panels({"holdout": holdout, "loo": loo}, title="Benchmark")
    assert list(panels) == ["holdout", "loo"] and [len(axes) for axes in panels.values()] == [2, 1]  # one cut
    figure = panels["loo"][0].figure.get_figure(root=True)
    assert figure.get_suptitle() == "Benchmark"
    subfigs = [axes[0].figure for axes in panels.values()]
    assert [sub.get_suptitle() for sub in subfigs] == ["holdout, 3 seeds", "loo, 8 seeds"]
    figure.draw_without_rendering()
    heights = [sub.bbox.height for sub in subfigs]
    assert heights[0] / heights[1] == pytest.approx((4 + 2) / (2 + 2), rel=0.02)  # as tall as its models
    (loo_ax,) = panels["loo"]
    rows = {t.get_text(): t.get_position()[1] for t in loo_ax.get_yticklabels()}
    assert rows["sasrec"] > rows["bert4rec"]  # the first row at the top
    with pytest.raises(
        ValueError, match=r"leaderboard 'loo' has no column \['recall@10_mean', 'recall@10_std'\]"
    ):
        plotting.leaderboard_panels({"loo": loo}, metric="recall@10")
    with pytest.raises(ValueError, match="no leaderboard to draw"):
        plotting.leaderboard_panels({})


def test_model_comparison_keeps_error_bars_and_negative_values_in_view() -> None:
    ax = plotting.model_comparison(["a", "b"], [0.3, 0.2], stds=[0.3, 0.01])
    assert ax.get_xlim()[1] >= 0.6  # the first error bar reaches 0.6
    ax = plotting.model_comparison(["a", "b"], [-0.3, -0.2])
    assert ax.get_xlim()[0] <= -0.3 and ax.get_xlim()[1] >= 0
    plt.close("all")


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: plotting.activity_histogram([1, 2, 3], bins=0),
            ValueError,
            "bins must be a positive integer, got 0",
        ),
        (
            lambda: plotting.activity_histogram([1, 2, 3], bins=2.5),
            TypeError,
            "bins must be a positive integer",
        ),
        (lambda: plotting.activity_histogram([1, 2, 3], bins=True), TypeError, "got True"),
        (
            lambda: plotting.long_tail(np.ones((3, 3))),
            ValueError,
            r"item_counts must be 1-D, .*shape \(3, 3\)",
        ),
        (lambda: plotting.activity_histogram([[1, 2]]), ValueError, "counts must be 1-D"),
        (lambda: plotting.rating_histogram(np.ones((2, 2))), ValueError, "ratings must be 1-D"),
        (
            lambda: plotting.model_comparison(["a"], [0.1], [-0.1]),
            ValueError,
            r"stds must be finite and >= 0",
        ),
        (lambda: plotting.model_dots(["a", "b"], [0.1, 0.2], [0.01, np.inf]), ValueError, r"got \[inf\]"),
        (  # a (models, seeds) table of spreads is not one std per model
            lambda: plotting.model_comparison(["a", "b"], [0.1, 0.2], [[0.01], [0.02]]),
            ValueError,
            r"stds must be 1-D, got an array of shape \(2, 1\)",
        ),
    ],
)
def test_bins_shapes_and_spreads_are_checked_before_a_figure(
    call, error: type[Exception], message: str
) -> None:
    # bins=0 and 2-D counts had been drawn silently; a negative std had failed inside matplotlib
    before = plt.get_fignums()
    with pytest.raises(error, match=message):
        call()
    assert plt.get_fignums() == before
    plotting.model_comparison(["a", "b"], [0.1, 0.2], [np.nan, 0.0])  # NaN still means "no error bar"


def test_differences_colour_each_interval_by_where_it_lies_and_mark_0() -> None:
    labels = ["sgl - lightgcn", "simgcl - lightgcn", "pop - sasrec", "cl4srec - sasrec"]
    ax = plotting.differences(
        labels, [0.01, 0.002, -0.04, 0.001], [0.004, -0.003, -0.05, -0.002], [0.02, 0.007, -0.03, 0.004]
    )
    assert _labelled(ax) and "difference in test NDCG@10 (95% interval)" == ax.get_xlabel()
    rows = {t.get_text(): t.get_position()[1] for t in ax.get_yticklabels()}
    assert [rows[label] for label in labels] == [3, 2, 1, 0]  # the first comparison at the top
    drawn = {}
    for container in ax.containers:  # an ErrorbarContainer: the dots, the caps, the bars
        dots, _, (bars,) = container.lines
        spans = sorted(tuple(np.round(segment[:, 0], 6)) for segment in bars.get_segments())
        drawn[container.get_label()] = (sorted(dots.get_ydata().tolist()), spans)
    assert drawn == {
        "interval above 0": ([3.0], [(0.004, 0.02)]),
        "interval below 0": ([1.0], [(-0.05, -0.03)]),
        "interval holds 0": ([0.0, 2.0], [(-0.003, 0.007), (-0.002, 0.004)]),
    }
    assert [text.get_text() for text in ax.get_legend().get_texts()] == list(drawn)
    assert len({container.lines[0].get_color() for container in ax.containers}) == 3  # a colour per kind
    assert any(list(line.get_xdata()) == [0.0, 0.0] for line in ax.get_lines())  # the line at 0
    only_level = plotting.differences(["a - b"], [0.0], [-0.01], [0.01])
    assert [c.get_label() for c in only_level.containers] == ["interval holds 0"]  # no empty legend entries


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((["a", "b"], [0.1], [0.0], [0.2]), "got 2 labels, 1 differences, 1 lows and 1 highs"),
        ((["a", "b"], [0.1, 0.3], [0.0, 0.0], [0.2, 0.2]), r"not so for \['b'\]"),
        ((["a"], [0.1], [0.2], [0.3]), r"not so for \['a'\]"),
        ((["a"], [np.nan], [0.0], [0.2]), "diffs holds 1 NaN"),
        (([], [], [], []), "diffs is empty"),
    ],
)
def test_differences_refuse_bad_input_before_a_figure(args, message: str) -> None:
    before = plt.get_fignums()
    with pytest.raises(ValueError, match=message):
        plotting.differences(*args)
    assert plt.get_fignums() == before


def test_group_map_draws_the_largest_group_first_in_colours_of_the_given_order() -> None:
    coords = np.arange(20.0).reshape(10, 2)
    small = np.zeros(10, bool)
    small[[0, 1]] = True
    large = np.zeros(10, bool)
    large[[2, 3, 4, 5]] = True
    ax = plotting.group_map(coords, {"small": small, "large": large}, other="rest", axis_labels=("x", "y"))
    assert _labelled(ax)
    rest, first, second = ax.collections  # the rest beneath, then the largest group, the smallest on top
    np.testing.assert_array_equal(rest.get_offsets(), coords[6:])  # only the points in no group
    np.testing.assert_array_equal(first.get_offsets(), coords[large])
    np.testing.assert_array_equal(second.get_offsets(), coords[small])
    # colours by the place in `groups` (small is C0 though drawn last), so a reordering keeps them
    assert matplotlib.colors.same_color(second.get_facecolor()[0][:3], "C0")
    assert matplotlib.colors.same_color(first.get_facecolor()[0][:3], "C1")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["rest", "large (4)", "small (2)"]
    assert ax.get_legend().get_title().get_text() == ""
    titled = plotting.group_map(coords, {"small": small}, legend_title="one genre only")
    assert titled.get_legend().get_title().get_text() == "one genre only"


@pytest.mark.parametrize(
    ("coords", "groups", "message"),
    [
        (np.zeros((4, 3)), {"a": np.ones(4, bool)}, r"an \(n, 2\) array of points, got shape \(4, 3\)"),
        (np.full((4, 2), np.nan), {"a": np.ones(4, bool)}, "coords hold 4 points not finite"),
        (np.zeros((4, 2)), {}, "give 1 to 10 groups"),
        (np.zeros((4, 2)), {str(i): np.ones(4, bool) for i in range(11)}, "give 1 to 10 groups"),
        (np.zeros((4, 2)), {"a": np.ones(3, bool)}, "group 'a' must be a boolean mask of the 4 points"),
        (np.zeros((4, 2)), {"a": np.ones(4)}, "group 'a' must be a boolean mask"),
    ],
)
def test_group_map_refuses_what_it_cannot_draw(coords, groups, message) -> None:
    with pytest.raises(ValueError, match=message):
        plotting.group_map(coords, groups)


def _runs() -> pd.DataFrame:
    """Two draws at 10 and 100 labelled users, one run with all 900."""
    return pd.DataFrame(
        {
            "users": [10, 10, 100, 100, 900],
            "scratch": [0.10, 0.14, 0.20, 0.22, 0.30],
            "tuned": [0.18, 0.20, 0.25, 0.27, 0.31],
        }
    )


def test_curves_over_draws_draw_means_ranges_runs_and_references() -> None:
    from matplotlib.collections import PathCollection, PolyCollection

    runs = _runs()
    ax = plotting.curves_over_draws(
        runs, "users", ["scratch", "tuned"], xlabel="users", ylabel="NDCG@10", references={"no labels": 0.15}
    )
    assert _labelled(ax) and ax.get_xscale() == "log"
    scratch, tuned, level = ax.get_lines()
    np.testing.assert_allclose(scratch.get_xdata(), [10, 100, 900])
    np.testing.assert_allclose(scratch.get_ydata(), [0.12, 0.21, 0.30])  # the means over the draws
    np.testing.assert_allclose(tuned.get_ydata(), [0.19, 0.26, 0.31])
    assert list(level.get_ydata()) == [0.15, 0.15] and level.get_linestyle() == "--"
    assert level.get_color() == "black"
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    dots = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(bands) == 2 and [len(d.get_offsets()) for d in dots] == [5, 5]  # each run a dot
    band = bands[0].get_paths()[0].vertices
    assert band[:, 1].min() == pytest.approx(0.10) and band[:, 1].max() == pytest.approx(0.30)
    assert tuple(bands[1].get_facecolor()[0][:3]) == matplotlib.colors.to_rgb(tuned.get_color())
    assert [t.get_text() for t in ax.get_xticklabels()] == ["10", "100", "900"]
    assert not ax.xaxis.get_minorticklocs().size  # no unlabelled ticks between them
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["scratch", "tuned", "no labels"]
    ax.figure.draw_without_rendering()
    assert legend.get_window_extent().x0 > ax.get_window_extent().x1  # beside the axes, off the lines


def test_curves_over_draws_of_single_runs_draw_lines_only() -> None:
    runs = _runs().drop_duplicates("users")
    ax = plotting.curves_over_draws(runs, "users", ["tuned"], xlabel="u", ylabel="s", log_x=False)
    assert ax.get_xscale() == "linear" and not ax.collections  # no band or dot for a single run
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [0.18, 0.25, 0.31])
    styles = [
        (line.get_linestyle(), line.get_color())
        for line in plotting.curves_over_draws(
            runs, "users", ["tuned"], xlabel="u", ylabel="s", references={"a": 0.1, "b": 0.2, "c": 0.3}
        ).get_lines()[1:]
    ]
    assert styles == [("--", "black"), (":", "grey"), ("-.", "dimgrey")]


def test_curves_over_draws_refuse_bad_runs_before_drawing() -> None:
    runs = _runs()
    draw = {"xlabel": "u", "ylabel": "s"}
    with pytest.raises(ValueError, match=r"runs has no column \['seeds'\]; its columns are \['users'"):
        plotting.curves_over_draws(runs, "seeds", ["tuned"], **draw)
    with pytest.raises(ValueError, match="columns is empty"):
        plotting.curves_over_draws(runs, "users", [], **draw)
    with pytest.raises(ValueError, match="column 'tuned' holds 1 NaN"):
        plotting.curves_over_draws(
            runs.assign(tuned=[0.1, np.nan, 0.2, 0.2, 0.3]), "users", ["tuned"], **draw
        )
    with pytest.raises(ValueError, match="'users' must be positive on a log axis; found 0"):
        plotting.curves_over_draws(runs.assign(users=[0, 0, 1, 1, 2]), "users", ["tuned"], **draw)
    levels = {"a": 0.1, "b": 0.2, "c": 0.3, "d": 0.4}
    with pytest.raises(ValueError, match="at most 3 references, got 4"):
        plotting.curves_over_draws(runs, "users", ["tuned"], references=levels, **draw)
    with pytest.raises(ValueError, match="references holds 1 NaN"):
        plotting.curves_over_draws(runs, "users", ["tuned"], references={"a": float("nan")}, **draw)
    assert not plt.get_fignums()  # refused before a figure was made


def test_metric_name_writes_metrics_as_the_text_does() -> None:
    # for legends and titles drawn in a notebook (ch05's bars had read "recall@10", the report's "RECALL@20")
    assert [plotting.metric_name(m) for m in ("ndcg@10", "recall@20", "mrr", "loss")] == [
        "NDCG@10",
        "Recall@20",
        "MRR",
        "loss",
    ]
