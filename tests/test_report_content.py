"""`sslrec_utils.report_content` and `report_verdict`: the report's figures and sentences, from small records built
by hand (the report notebook itself runs in `test_notebooks.py`, which checks that it runs, not what each sentence
says)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sslrec_utils import report_content as rc
from sslrec_utils import report_verdict as rv
from sslrec_utils.data import Interactions, preprocess
from sslrec_utils.experiment import DataSpec, run_experiment
from sslrec_utils.recommend import TrainedRecommender
from sslrec_utils.report_params import ReportParams
from tests.helpers import clustered_interactions


def log(pairs: list[tuple[object, object]]) -> Interactions:
    frame = pd.DataFrame(pairs, columns=["user", "item"]).assign(rating=1.0, timestamp=range(len(pairs)))
    return preprocess(frame)


def record(model: str, seed: int, ndcg: float, n_test_users: int = 900, epochs: int = 0) -> dict[str, object]:
    """A run's record as `run_experiment` returns it, with only what the report reads."""
    test = {"ndcg@10": ndcg, "recall@10": 2 * ndcg}
    return {
        "model": model,
        "seed": seed,
        "test": test,
        "best_epoch": epochs,
        "epochs": epochs,
        "search_seconds": 1.26,
        "n_test_users": n_test_users,
    }


def conclusion(records: list[dict[str, object]], **params: object) -> str:
    """The conclusion of `records`; of the report's parameters it reads the seeds and the epochs, not the
    models (the records name them)."""
    seeds = tuple(sorted({int(r["seed"]) for r in records}))  # type: ignore[call-overload]
    settings = ReportParams(models=("ease",), seeds=seeds, **params)  # type: ignore[arg-type]
    return rv.conclusion(rc.leaderboard(records, [10]), records, {}, settings)


def test_data_summary_by_hand():
    # item counts 5, 2, 1, 1, 1; user counts 4, 2, 2, 1, 1
    pairs = [(0, 0), (0, 1), (0, 2), (0, 3), (1, 0), (1, 1), (2, 0), (2, 4), (3, 0), (4, 0)]
    summary = rc.data_summary(log(pairs))
    assert summary["head_share"] == pytest.approx(0.5)  # the top ceil(0.2 * 5) = 1 item holds 5 of 10
    assert summary["rare_item_share"] == pytest.approx(4 / 5)  # fewer than 5 interactions: item 0 has 5
    assert (summary["user_median"], summary["user_mean"], summary["item_median"]) == (2.0, 2.0, 1.0)


def test_most_popular_item_and_example_users():
    inter = log([(0, "x"), (1, "y"), (2, "y"), (3, "y"), (3, "z")])
    assert rc.most_popular_item(inter) == "y"
    users = rc.example_users(inter, n=inter.n_users, seed=0)  # every user, each once
    assert sorted(users) == sorted(inter.user_map.to_original(np.arange(inter.n_users)))


def test_a_lead_of_1_7_stds_is_likely_not_clear():
    # gap 0.048; the larger std over seeds 0.0283: 1.7 of them
    records = [
        record("ease", 1, 0.30),
        record("ease", 2, 0.34),
        record("bpr", 1, 0.272),
        record("bpr", 2, 0.272),
    ]
    text = conclusion(records)
    assert "between one and two seed-to-seed stds (0.0283): likely, not settled" in text
    assert "clear lead" not in text


def test_a_lead_of_15_percent_on_one_seed_is_worth_confirming():
    text = conclusion([record("ease", 1, 0.23), record("multdae", 1, 0.20)])
    assert "is 0.0300 (15% of its score). With one seed the report cannot measure" in text


def test_only_the_models_below_popularity_are_said_to_be():
    text = conclusion([record("ease", 1, 0.3), record("pop", 1, 0.2), record("bpr", 1, 0.1)])
    assert "**bpr** scored below popularity." in text and "**ease** scored below" not in text


def test_three_models_capped_by_the_epochs_are_all_named():
    records = [record(m, 1, v, epochs=3) for m, v in (("a", 0.3), ("b", 0.2), ("c", 0.1))]
    text = conclusion(records, epochs=3)
    assert "**a**, **b** and **c** still improved at the last allowed epoch (3)" in text


def test_the_conclusion_counts_the_mean_number_of_test_users():
    text = conclusion([record("ease", 1, 0.3, n_test_users=900), record("ease", 2, 0.3, n_test_users=1100)])
    assert "on 1,000 test users" in text


def test_leaderboard_seconds_keep_one_decimal():
    assert rc.format_leaderboard(rc.leaderboard([record("ease", 1, 0.3)], [10])).loc[1, "seconds"] == 1.3


def test_report_metrics_are_strict_json():
    """An infinite figure (a lift over a popularity of 0) is written as null, which JSON has; Infinity it has not."""
    board = rc.leaderboard([record("ease", 1, 0.3)], [10])
    params = ReportParams(models=("ease",), seeds=(1,))
    metrics = rc.report_metrics(
        params, {"x": float("inf"), "y": -np.inf}, board, [record("ease", 1, 0.3)], "ok"
    )
    assert metrics["data"] == {"x": None, "y": None}
    json.dumps(metrics, allow_nan=False)


def test_user_panel_lists_the_latest_history_first(tmp_path):
    inter = clustered_interactions(n_users=60, n_items=30)
    frame = inter.frame.assign(
        user=inter.user_map.to_original(inter.frame["user"]),
        item=inter.item_map.to_original(inter.frame["item"]),
    )
    path = tmp_path / "log.csv"
    frame[["user", "item", "rating", "timestamp"]].to_csv(path, index=False)
    run_experiment(
        DataSpec(dataset=str(path), time_col="timestamp"), "pop", progress=False, out_dir=tmp_path / "pop"
    )
    rec = TrainedRecommender.load(tmp_path / "pop", device="cpu")
    user = int(frame["user"].iloc[0])
    latest = frame[frame["user"] == user].sort_values("timestamp", ascending=False)["item"].head(10)
    panel = rc.user_panel(rec, user, k=5)
    assert panel.columns[0] == "history (latest first)"
    assert panel.iloc[:, 0].tolist() == [str(item) for item in latest]


def test_against_base_screens_each_difference_by_twice_the_larger_spread():
    # binary fractions, so that a difference equal to the noise is equal in floating point too
    means = pd.Series({"base": 0.5, "up": 0.75, "near": 0.5625, "down": 0.25, "edge": 0.625, "low": 0.4375})
    spreads = pd.Series(
        {"base": 1 / 32, "up": 1 / 16, "near": 1 / 64, "down": 1 / 16, "edge": 1 / 16, "low": 0}
    )
    others = ["up", "near", "missing", "down", "edge", "low"]
    table = rc.against_base(means, spreads, "base", others)
    # in the order of others, "missing" left out
    assert table["model"].tolist() == ["up", "near", "down", "edge", "low"]
    # up: +1/4 > 2/16; near: +1/16, not beyond 2/32 (the base's spread, the larger); down: -1/4 < -2/16;
    # edge: +1/8, not beyond 2/16; low: -1/16, not beyond -2/32
    assert table["verdict"].tolist() == ["better", "level", "worse", "level", "level"]
    assert table["noise"].tolist() == [1 / 8, 1 / 16, 1 / 8, 1 / 8, 1 / 16]
    assert table["difference"].tolist() == [1 / 4, 1 / 16, -1 / 4, 1 / 8, -1 / 16]
    assert set(table["base"]) == {"base"} and table["base_level"].tolist() == [0.5] * 5
    assert table["level"].tolist() == [0.75, 0.5625, 0.25, 0.625, 0.4375]
    assert rc.against_base(means, spreads, "base", ["up"], times=4)["verdict"].tolist() == ["level"]


def test_against_base_leaves_a_missing_spread_unmeasured_and_a_missing_base_out():
    means = pd.Series({"base": 0.30, "a": 0.40, "b": 0.40})
    for spreads in (
        pd.Series({"base": 0.001, "a": np.nan, "b": 0.001}),  # max(nan, 0.001) is nan, max(0.001, nan) 0.001
        pd.Series({"base": np.nan, "a": 0.001, "b": 0.001}),
    ):
        table = rc.against_base(means, spreads, "base", ["a", "b"]).set_index("model")
        assert table.loc["a", "verdict"] == "unmeasured" and np.isnan(table.loc["a", "noise"])
        assert table.loc["b", "verdict"] == ("better" if spreads["base"] == 0.001 else "unmeasured")
    assert rc.against_base(means.drop("base"), spreads, "base", ["a", "b"]).empty


def test_against_base_refuses_a_model_twice_or_without_a_spread():
    means = pd.Series([0.3, 0.4, 0.2], index=["base", "a", "a"])
    with pytest.raises(ValueError, match=r"means holds \['a'\] more than once"):
        rc.against_base(means, pd.Series({"base": 0.01, "a": 0.01}), "base", ["a"])
    rc.against_base(means, pd.Series({"base": 0.01, "a": 0.01}), "base", [])  # "a" not compared: no matter
    with pytest.raises(ValueError, match=r"spreads has no value for \['base'\]"):
        rc.against_base(pd.Series({"base": 0.3, "a": 0.4}), pd.Series({"a": 0.01}), "base", ["a"])


@pytest.mark.parametrize(
    "value",
    [
        "P-069<img src=x onerror=alert(1)>",
        "C007<script>alert(2)</script>",
        "C093 **bold** _it_",
        "*star* _under_ `tick` [link](x) ~~gone~~",
        "a\\b # not a heading",
        "Tom & Jerry &lt; (1940)",
        "1. not a list",
        "https://shop.example/p/item_0",  # not a link (nbconvert links a bare address)
        "www.example.com",
        "me@example.com",
        42,
    ],
)
def test_an_id_in_a_sentence_is_rendered_as_itself(value):
    # rendered as nbconvert renders a Markdown output of the report: the text reads back as the ID, no tag but <p>
    from html.parser import HTMLParser

    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    class Reader(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.tags: list[str] = []
            self.text = ""

        def handle_starttag(self, tag: str, attrs: list) -> None:
            self.tags.append(tag)

        def handle_data(self, data: str) -> None:
            self.text += data

    reader = Reader()
    reader.feed(markdown2html_mistune(f"User {rv.markdown_literal(value)}, ease:"))
    assert reader.tags == ["p"] and reader.text.strip() == f"User {value}, ease:"
