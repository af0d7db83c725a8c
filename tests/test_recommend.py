import copy
import json
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from sslrec_utils.models import build_model
from sslrec_utils.models.base import Recommender, TrainData
from sslrec_utils.recommend import TrainedRecommender
from sslrec_utils.splits import holdout_split, loo_split
from sslrec_utils.train import TrainConfig, fit
from tests.helpers import clustered_interactions


@pytest.fixture(scope="module")
def trained():
    inter = clustered_interactions(n_users=90, n_items=45)
    split = holdout_split(inter, seed=3)
    model = build_model("ae", TrainData.from_split(split), {"hidden_dim": 8}, seed=0)  # fixed: order-proof
    fit(model, split, TrainConfig(epochs=30, batch_size=16, lr=1e-2, progress=False, device="cpu"))
    items = pd.DataFrame({"item": inter.item_map.ids, "title": [f"Film {i}" for i in inter.item_map.ids]})
    return TrainedRecommender(model, split, items)


def test_recommend_never_returns_a_seen_item_and_has_titles(trained):
    users = list(trained.split.user_map.ids[:20])
    table = trained.recommend(users, k=7)
    assert list(table.columns) == ["user", "rank", "item", "score", "title"]
    assert (
        len(table) == 20 * 7 and (table.groupby("user")["rank"].apply(list) == [list(range(1, 8))] * 20).all()
    )
    seen = trained.history.toarray() > 0
    u_idx = trained.split.user_map.to_index(table["user"].to_numpy(np.int64))
    i_idx = trained.split.item_map.to_index(table["item"].to_numpy(np.int64))
    assert not seen[u_idx, i_idx].any()
    assert (table["title"] == "Film " + table["item"].astype(str)).all()
    assert table.groupby("user")["score"].apply(lambda s: s.is_monotonic_decreasing).all()


def test_fold_in_excludes_the_history_and_follows_its_cluster(trained):
    history = [31, 33, 35, 37, 39, 41]  # items of cluster 2 (31..45)
    table = trained.recommend_for_history(history, k=5)
    assert not set(table["item"]) & set(history)
    assert table["item"].between(31, 45).mean() >= 0.8


def test_similar_items_from_embeddings(trained):
    table = trained.similar_items(2, k=4)
    assert list(table.columns) == ["rank", "item", "similarity", "title"]
    assert 2 not in set(table["item"]) and table["similarity"].is_monotonic_decreasing
    assert table["item"].between(1, 15).mean() >= 0.75  # neighbours from the same cluster


def test_unknown_ids_and_bad_k(trained):
    with pytest.raises(KeyError, match=r"unknown user IDs \[10000\]"):
        trained.recommend([10_000])
    with pytest.raises(KeyError, match=r"unknown item IDs \[99999\]"):
        trained.recommend_for_history([1, 99_999])
    for k in (0, True, 2.5):  # True had been read as k=1 (metrics.check_k refuses it)
        with pytest.raises(ValueError, match="k must be a positive integer"):
            trained.recommend([1], k=k)
        with pytest.raises(ValueError, match="k must be a positive integer"):
            trained.similar_items(1, k=k)
    with pytest.raises(ValueError, match="empty"):
        trained.recommend_for_history([])


class ById(Recommender):
    score_inputs: ClassVar[tuple[str, ...]] = ("users",)

    def __init__(self, n_users: int, n_items: int) -> None:
        super().__init__()
        self.emb = nn.Parameter(torch.randn(n_users, n_items))

    def score(self, inputs):
        return self.emb[inputs["users"]]


def test_models_without_fold_in_or_item_representation_say_so(trained):
    split = trained.split
    by_id = TrainedRecommender(ById(split.n_users, split.n_items), split)
    assert len(by_id.recommend([1], k=3)) == 3
    with pytest.raises(ValueError, match="cannot fold in"):
        by_id.recommend_for_history([1, 2])
    pop = build_model("pop", TrainData.from_split(split))
    fit(pop, split, TrainConfig(progress=False, device="cpu"))
    with pytest.raises(ValueError, match="no item representation"):
        TrainedRecommender(pop, split).similar_items(1)


def test_k_larger_than_unseen_items_returns_what_is_left():
    inter = clustered_interactions(n_users=12, n_items=15, n_clusters=1, per_user=10)
    split = loo_split(inter)
    pop = build_model("pop", TrainData.from_split(split))
    fit(pop, split, TrainConfig(progress=False, device="cpu", ks=(5,), metric="ndcg@5"))
    table = TrainedRecommender(pop, split).recommend([1], k=15)
    assert len(table) == 5  # 15 items, 10 seen


def test_ids_of_the_wrong_type_are_unknown_ids():
    from sslrec_utils.data.core import IdMap

    ids = IdMap(np.array([196, 186, 22]))
    assert ids.to_index(["186", 22]).tolist() == [1, 2]  # strings of integers are the same IDs
    with pytest.raises(KeyError, match=r"unknown IDs \['abc'\] \(the map holds 3 IDs, integers\)"):
        ids.to_index(["abc"])
    # a fraction or a bool is no integer ID (a cast had read 196.9 as 196 and True as 1); 196.0 is 196
    with pytest.raises(KeyError, match=r"unknown IDs \[196.9, True\] \(the map holds 3 IDs, integers\)"):
        ids.to_index([196.9, True, 22])
    assert ids.to_index([196.0, np.int64(22)]).tolist() == [0, 2]


def test_a_text_map_reads_typed_ids_as_a_file_is_read():
    from sslrec_utils.data.core import IdMap

    ids = IdMap(np.array(["007", "7", "SKU1"], dtype=object))  # a file's "7.0" was loaded as "7"
    assert ids.to_index(["7.0", 7, " 7 ", "007", "SKU1"]).tolist() == [1, 1, 1, 0, 2]
    with pytest.raises(KeyError, match=r"unknown IDs \['7.5'\]"):
        ids.to_index(["7.5"])


def test_an_item_repeated_in_a_history_counts_once(trained):
    """The model was trained on 0/1 rows: ``--history 3,3,40`` is the history 3, 40, not a row holding a 2."""
    pd.testing.assert_frame_equal(
        trained.recommend_for_history([3, 3, 40], k=5), trained.recommend_for_history([3, 40], k=5)
    )


def test_ids_typed_as_text_name_integer_ids_as_in_a_file(trained):
    """``--history 3.0,54`` and ``--user 1.0`` name the integer IDs 3, 54 and 1 (as "3.0" in a file does);
    ``01`` names none (a file keeps it as text); the error lists only the unknown IDs, as user or item IDs."""
    by_number = trained.recommend_for_history([3, 40], k=5)
    pd.testing.assert_frame_equal(trained.recommend_for_history(["3.0", "40"], k=5), by_number)
    pd.testing.assert_frame_equal(trained.recommend(["1.0"], k=3), trained.recommend([1], k=3))
    with pytest.raises(KeyError, match=r"unknown item IDs \['007', '1.5', '99999'\] \(the map holds 45 item"):
        trained.recommend_for_history(["3.0", "007", "1.5", "12", "99999"])
    # the integer a padded or signed ID writes is suggested where the map holds it, never taken for it
    with pytest.raises(KeyError) as err:
        trained.recommend(["1", "01"])
    assert err.value.args[0] == (
        "unknown user IDs ['01'] (the map holds 90 user IDs, integers); did you mean 1 for '01'?"
    )
    with pytest.raises(KeyError) as err:  # int() reads at most 4300 digits, leading zeros included
        trained.recommend(["0" * 5000 + "4", "+2", "003", "-01", "1e0"])
    assert err.value.args[0].endswith(f"; did you mean 4 for '{'0' * 5000}4', 2 for '+2', 3 for '003'?")
    with pytest.raises(KeyError, match=r"unknown item IDs \['2.5'\]"):
        trained.similar_items("2.5")


def test_the_user_column_holds_the_id_of_the_map_not_the_text_given(trained):
    table = trained.recommend(["1", " 2.0 "], k=2)
    assert table["user"].tolist() == [1, 1, 2, 2] and table["user"].dtype == np.int64
    assert json.loads(table.to_json(orient="records"))[0]["user"] == 1  # a number, as the items are


def test_load_expands_the_home_folder(trained, tmp_path, monkeypatch):
    from sslrec_utils.cli import main

    rows = [(u, i, 10 * u + t) for u in range(1, 13) for t, i in enumerate(range(1 + u % 3, 31, 2))]
    pd.DataFrame(rows, columns=["user", "item", "timestamp"]).to_csv(tmp_path / "log.csv", index=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    train = ["train", "--model", "pop", "--dataset", str(tmp_path / "log.csv"), "--out", "~/runs/pop"]
    assert main([*train, "-q", "--device", "cpu"]) == 0
    assert (tmp_path / "runs" / "pop" / "checkpoint.pt").exists()
    rec = TrainedRecommender.load("~/runs/pop", device="cpu")
    assert rec.recommend([1], k=2)["user"].tolist() == [1, 1]
    with pytest.raises(FileNotFoundError, match=str(tmp_path / "runs" / "none")):
        TrainedRecommender.load("~/runs/none", device="cpu")


def test_items_rated_below_the_threshold_are_seen_and_not_recommended(tmp_path, capsys):
    """A run trained on ratings of 4 or more had recommended back a film the user rated 1 star (`sslrec recommend`
    says that items a user interacted with are left out)."""
    from sslrec_utils.cli import main

    liked_by_all = [
        ("A", 5),
        ("B", 5),
        ("C", 5),
        ("D", 4),
    ]  # A and B: the most popular films u1 has not liked
    rows = [(f"u{u}", item, stars) for u in range(2, 7) for item, stars in liked_by_all]
    rows += [("u1", "A", 1), ("u1", "C", 5), ("u1", "D", 5), ("u1", "E", 5), ("u1", "F", 4)]
    pd.DataFrame(rows, columns=["user", "item", "stars"]).to_csv(tmp_path / "log.csv", index=False)
    data = [
        "--dataset",
        str(tmp_path / "log.csv"),
        "--rating-col",
        "stars",
        "--set",
        "ks=[1,2]",
        "--set",
        "metric=ndcg@2",
    ]
    run = str(tmp_path / "pop")
    assert (
        main(["train", "--model", "pop", *data, "--threshold", "4", "--out", run, "-q", "--device", "cpu"])
        == 0
    )
    rec = TrainedRecommender.load(run, device="cpu")
    assert rec.split.item_map.ids.tolist() == ["A", "B", "C", "D", "E", "F"]  # A is known: others liked it
    assert rec.seen is not None and rec.seen[rec.split.user_map.to_index(["u1"])[0]].indices.tolist() == [
        0,
        2,
        3,
        4,
        5,
    ]
    # B is the only film u1 has not rated (without `seen`: B, then A)
    assert rec.recommend(["u1"], k=2)["item"].tolist() == ["B"]
    capsys.readouterr()  # the training's summary line
    assert main(["recommend", "--run", run, "--user", "u1", "-k", "2", "--json"]) == 0
    out, err = capsys.readouterr()
    assert [row["item"] for row in json.loads(out)] == ["B"]
    assert "fewer than 2 items left to recommend for user u1 (1)" in err  # A counts as seen here too
    # an ID the run does not know may be one its data options left out
    assert main(["recommend", "--run", run, "--user", "u9"]) == 2
    err = capsys.readouterr().err
    assert "unknown user IDs ['u9']" in err
    assert (
        "; the run was trained with --threshold 4, which leaves out some of the data's users and items" in err
    )
    assert main(["recommend", "--run", run, "--similar", "Z"]) == 2  # an item too, as --history says
    err = capsys.readouterr().err
    assert "unknown item IDs ['Z']" in err and "; the run was trained with --threshold 4, which leaves" in err
    assert (
        TrainedRecommender.load(run, device="cpu", with_seen=False).seen is None
    )  # as sslrec evaluate loads it
    # without a threshold every rating is in the history already
    assert (
        main(["train", "--model", "pop", *data, "--out", str(tmp_path / "all"), "-q", "--device", "cpu"]) == 0
    )
    assert TrainedRecommender.load(tmp_path / "all", device="cpu").seen is None


def test_a_user_named_twice_is_recommended_to_once(trained):
    """`--user 1,1` had printed user 1's list twice; "7" and 7 name one user too."""
    first, second = trained.split.user_map.ids[:2]
    table = trained.recommend([second, first, str(second), second], k=3)
    assert table["user"].tolist() == [second] * 3 + [first] * 3  # in the order first given
    assert table.equals(trained.recommend([second, first], k=3))


def test_seen_must_have_the_splits_shape(trained):
    with pytest.raises(ValueError, match="seen has shape"):
        TrainedRecommender(trained.model, trained.split, seen=trained.history[:, :3])


class Constant(Recommender):
    """Every item scores the same: the ranking is all ties."""

    score_inputs: ClassVar[tuple[str, ...]] = ("rows",)

    def score(self, inputs):
        return torch.zeros_like(inputs["rows"])


def test_equal_scores_are_recommended_in_item_order(trained):
    # as the metrics rank them (metrics.rank_top), not in torch.topk's order, which depends on k and the device
    rec = TrainedRecommender(Constant(), trained.split)
    user = trained.split.user_map.ids[0]
    unseen = np.flatnonzero(rec.history[0].toarray()[0] == 0)
    expected = trained.split.item_map.to_original(unseen[:12])
    assert rec.recommend([user], k=12)["item"].tolist() == expected.tolist()
    assert rec.recommend_for_history([1], k=3)["item"].tolist() == [2, 3, 4]


@pytest.mark.parametrize("value", [float("nan"), 1e30])
def test_a_model_that_scores_nan_is_named_not_left_with_nothing_to_recommend(trained, value):
    """A diverged model's NaN scores ranked nowhere: "no item left to recommend", and NaN similarities;
    overflowed weights (1e30) give infinite scores, which rank in no meaningful order (their similarities are
    cosines, finite)."""
    model = copy.deepcopy(trained.model)
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(value)
    rec = TrainedRecommender(model, trained.split)
    user = trained.split.user_map.ids[0]
    for ask in (
        lambda: rec.recommend([user]),
        lambda: rec.recommend_for_history([1]),
        *([lambda: rec.similar_items(1)] if np.isnan(value) else []),
    ):
        with pytest.raises(ValueError, match="AE scores items as NaN or infinite: its weights diverged"):
            ask()


@pytest.fixture(scope="module")
def next_item():
    from tests.test_models_sequential import cyclic_interactions

    split = loo_split(cyclic_interactions())
    model = build_model("itemnext", TrainData.from_split(split))
    fit(model, split, TrainConfig(progress=False, device="cpu"))
    return TrainedRecommender(model, split)


def test_a_sequence_model_recommends_each_user_from_their_own_history(next_item):
    split = next_item.split
    users = list(split.user_map.ids[:6])
    together = next_item.recommend(users, k=5)
    for user in users:
        alone = next_item.recommend([user], k=5)
        assert together[together["user"] == user]["item"].tolist() == alone["item"].tolist()
    # first, the successor (around its cycle of 20 items) of the user's latest item of the whole history
    frame = pd.concat(split.parts.values()).sort_values("timestamp")
    latest = frame.groupby("user")["item"].last()
    last = split.item_map.to_original(latest.loc[split.user_map.to_index(users)].to_numpy()).astype(int)
    successor = 20 * (last // 20) + (last % 20 + 1) % 20
    assert together[together["rank"] == 1]["item"].tolist() == successor.tolist()


def test_fold_in_reads_a_history_oldest_first(next_item):
    # items 3 then 7 of the first cycle: the latest is 7, whose successor is 8
    assert next_item.recommend_for_history([3, 7], k=1)["item"].tolist() == [8]
    assert next_item.recommend_for_history([7, 3], k=1)["item"].tolist() == [4]


def test_a_sequence_history_keeps_each_items_latest_place(next_item):
    # as preprocessing keeps a user's latest interaction with an item: 3,7,3,3 is the history 7,3 of a known user
    # (SASRec reads the whole sequence, so its scores had differed; untrained weights read it as well)
    torch.manual_seed(0)
    sizes = {"hidden_dim": 8, "n_heads": 1, "max_len": 16}
    model = build_model("sasrec", TrainData.from_split(next_item.split), sizes)
    rec = TrainedRecommender(model.eval(), next_item.split)
    repeated, once = rec.recommend_for_history([3, 7, 3, 3], k=5), rec.recommend_for_history([7, 3], k=5)
    pd.testing.assert_frame_equal(repeated, once)
    assert not rec.recommend_for_history([3, 7], k=5).equals(once)  # the order still counts


def test_similar_items_by_embedding_are_cosines(trained):
    table = trained.similar_items(2, k=5)
    emb = trained.model.item_embeddings().detach().double()
    i = int(trained.split.item_map.to_index([2])[0])
    others = trained.split.item_map.to_index(table["item"].to_numpy())
    cosines = torch.nn.functional.cosine_similarity(emb[others], emb[i][None], dim=1)
    np.testing.assert_allclose(table["similarity"].to_numpy(), cosines.numpy(), rtol=1e-5)


FILMS = ["Lion King, The", "Heat", "Alien", 'Say "Hi", Said Fred'] + [f"Film {i}" for i in range(4, 24)]


@pytest.fixture(scope="module")
def film_run(tmp_path_factory):
    """A run of ``sslrec train`` (EASE) on a log whose item IDs are film titles, some with a comma."""
    from sslrec_utils.cli import main

    inter = clustered_interactions(n_users=30, n_items=24, n_clusters=2, per_user=6)
    log = inter.frame.assign(
        user=inter.user_map.to_original(inter.frame["user"]),
        item=[FILMS[i] for i in inter.frame["item"]],
    )
    folder = tmp_path_factory.mktemp("films")
    log.to_csv(folder / "films.csv", index=False)  # the commas are quoted in the file
    train = ["train", "--model", "ease", "--dataset", str(folder / "films.csv"), "--out", str(folder / "run")]
    assert main([*train, "-q", "--device", "cpu"]) == 0
    return str(folder / "run")


def recommend_cli(run: str, *options: str) -> int:
    """``sslrec recommend --run RUN --json OPTIONS...``: its exit status."""
    from sslrec_utils.cli import main

    return main(["recommend", "--run", run, "--json", *options])


def test_a_quoted_id_keeps_its_comma(film_run, capsys):
    from sslrec_utils.cli.recommend_command import _id_list

    assert _id_list('"Lion King, The",Heat', "--history") == ["Lion King, The", "Heat"]
    assert _id_list(' Heat, "Lion King, The",', "--history") == ["Heat", "Lion King, The"]  # as unquoted
    assert _id_list('"Say ""Hi"", Said Fred"', "--similar") == ['Say "Hi", Said Fred']  # "" is one quote
    rec = TrainedRecommender.load(film_run, device="cpu")
    capsys.readouterr()
    assert recommend_cli(film_run, "-k", "3", "--history", '"Lion King, The",Heat') == 0
    expected = rec.recommend_for_history(["Lion King, The", "Heat"], k=3)
    assert json.loads(capsys.readouterr().out) == json.loads(expected.to_json(orient="records"))
    assert not {"Lion King, The", "Heat"} & set(expected["item"])
    assert recommend_cli(film_run, "-k", "2", "--similar", '"Lion King, The"') == 0
    expected = rec.similar_items("Lion King, The", k=2)
    assert json.loads(capsys.readouterr().out) == json.loads(expected.to_json(orient="records"))


def test_unquoted_ids_are_read_as_before(trained, film_run, capsys):
    from sslrec_utils.cli.recommend_command import _id_list

    # spaces after a closing quote are dropped as around any ID (strict CSV had refused them)
    assert _id_list(' "Lion King, The" , Heat ,"Alien" ', "--history") == ["Lion King, The", "Heat", "Alien"]

    # split on commas, spaces around an ID and empty IDs dropped, every ID text (the map reads its own type)
    assert _id_list(" 50, ,007,,SKU1 ", "--history") == ["50", "007", "SKU1"]
    assert _id_list('O"Brien,x"', "--user") == ['O"Brien', 'x"']  # a quote inside an ID is kept
    assert _id_list('"3",40', "--history") == _id_list("3, 40", "--history") == ["3", "40"]
    by_number = trained.recommend_for_history([3, 40], k=5)
    pd.testing.assert_frame_equal(
        trained.recommend_for_history(_id_list("3.0,40,", "--history"), k=5), by_number
    )
    with pytest.raises(ValueError, match=r"no IDs in ' , '"):
        _id_list(" , ", "--history")
    capsys.readouterr()
    assert recommend_cli(film_run, "-k", "3", "--history", "Heat, Alien") == 0
    unquoted = capsys.readouterr().out
    assert recommend_cli(film_run, "-k", "3", "--history", '"Heat","Alien"') == 0
    assert capsys.readouterr().out == unquoted


def test_an_id_cut_at_its_comma_is_named_with_the_quoting_to_use(film_run, capsys):
    capsys.readouterr()
    assert recommend_cli(film_run, "--history", "Lion King, The,Heat") == 2
    assert capsys.readouterr().err == (
        "sslrec: error: unknown item IDs ['Lion King', 'The'] (the map holds 24 item IDs, text); "
        "'Lion King, The' is one ID: quote it, as in --history '\"Lion King, The\",Heat'\n"
    )
    assert recommend_cli(film_run, "--similar", "Lion King, The") == 2
    assert capsys.readouterr().err == (
        "sslrec: error: --similar takes one item ID, got 'Lion King, The'; "
        "'Lion King, The' is one ID: quote it, as in --similar '\"Lion King, The\"'\n"
    )
    # no comma ID matches: the error as before, without a hint
    assert recommend_cli(film_run, "--history", "Heat,Jaws") == 2
    assert capsys.readouterr().err == (
        "sslrec: error: unknown item IDs ['Jaws'] (the map holds 24 item IDs, text)\n"
    )


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ('"Lion King, The,Heat', "unexpected end of data"),  # a quote not closed
        ('"Lion King"s,Heat', "',' expected after '\"'"),  # text after a closing quote
        ('"Weird" Al,Heat', "',' expected after '\"'"),  # a quote that starts an ID, not doubled
    ],
)
def test_malformed_quoting_is_one_line_and_a_usage_error(film_run, capsys, value, why):
    capsys.readouterr()
    assert recommend_cli(film_run, "--history", value) == 2
    err = capsys.readouterr().err
    assert err == (
        f"sslrec: error: malformed quoting in --history {value!r} ({why}): give the IDs as one CSV record, an "
        "ID that holds a comma in double quotes, e.g. --history '\"Lion King, The\",Heat', and a quote that "
        'starts an ID doubled inside quotes (\'"""Weird"" Al",Heat\')\n'
    )
    assert recommend_cli(film_run, "--history", "Heat\nAlien") == 2
    assert capsys.readouterr().err == (
        "sslrec: error: --history takes its IDs on one line, separated by commas; got 'Heat\\nAlien'\n"
    )


def test_a_runs_data_warnings_are_said_once_when_it_trains(tmp_path, capsys):
    """Loading a run for `recommend` had said the data's warnings again (repeated rows merged) on every call."""
    from sslrec_utils.cli import main

    inter = clustered_interactions(n_users=30, n_items=24, n_clusters=2, per_user=6)
    log = inter.frame.assign(user=inter.user_map.to_original(inter.frame["user"]))
    pd.concat([log, log.iloc[:3]]).to_csv(tmp_path / "log.csv", index=False)  # three rows logged twice
    run = str(tmp_path / "run")
    assert main(["train", "--model", "ease", "--dataset", str(tmp_path / "log.csv"), "--out", run, "-q"]) == 0
    said = "sslrec: warning: 3 of 183 rows repeat a (user, item) pair: each pair is kept once, the latest row"
    assert capsys.readouterr().err.startswith(said)
    assert recommend_cli(run, "--user", str(log["user"].iloc[0])) == 0
    assert capsys.readouterr().err == ""


def test_loading_a_run_leaves_out_only_the_datas_warnings(film_run, monkeypatch):
    """What the data calls for was said when the run trained; what the machine says at load (a cache that
    cannot be written, a download) is new and must still be heard."""
    import warnings

    from sslrec_utils import recommend
    from sslrec_utils.config import DataWarning

    real = recommend.load_split

    def load_split(spec):
        warnings.warn("repeated rows merged", DataWarning, stacklevel=2)
        warnings.warn("could not write the cache", UserWarning, stacklevel=2)
        return real(spec)

    monkeypatch.setattr(recommend, "load_split", load_split)
    with pytest.warns(UserWarning) as said:
        TrainedRecommender.load(film_run, device="cpu")
    assert [str(w.message) for w in said] == ["could not write the cache"]


def test_the_quoting_hint_joins_every_cut_id_and_only_where_a_piece_is_unknown():
    """The hint had joined the first comma-ID found in the map only, so its command could fail again."""
    from sslrec_utils.cli.recommend_command import _comma_id_hint

    ids = ["Matrix, The", "Lion King, The", "Lion King", "The", "Heat"]
    both = _comma_id_hint("--history", ["Matrix", "The", "Heat", "Lion King", "Jaws"], ids)
    assert (
        both == "; 'Matrix, The' is one ID: quote it, as in --history '\"Matrix, The\",Heat,Lion King,Jaws'"
    )
    assert _comma_id_hint("--history", ["Matrix", "The", "Alien", "Lion", "King, The"], ids) == (
        "; 'Matrix, The' is one ID: quote it, as in --history '\"Matrix, The\",Alien,Lion,\"King, The\"'"
    )
    two = ["Matrix", "The", "Lion King", "The"]  # Lion King and The are IDs: only Matrix must be joined
    assert _comma_id_hint("--history", two, ids).startswith("; 'Matrix, The' is one ID")
    ids.append("Alien, The")
    assert _comma_id_hint("--history", ["Matrix", "The", "Alien", "The"], ids) == (
        "; 'Matrix, The', 'Alien, The' are one ID each: quote them, as in --history "
        '\'"Matrix, The","Alien, The"\''
    )
    assert _comma_id_hint("--similar", ["Lion King", "The"], ids, every_run=True).startswith(
        "; 'Lion King, The'"
    )
    assert _comma_id_hint("--history", ["Heat", "Jaws"], ids) == ""


def test_a_strong_splits_held_out_user_is_scored_from_their_history_alone():
    """CDAE's held-out users of a strong split have a user vector that never trained: recommend had scored them
    with it (random), where evaluation scores them from their history alone; a training user keeps theirs."""
    from sslrec_utils.splits import strong_split

    split = strong_split(clustered_interactions(n_users=60, n_items=30), n_heldout=6, seed=1)
    model = build_model("cdae", TrainData.from_split(split), {"hidden_dim": 8}, seed=0)
    fit(model, split, TrainConfig(epochs=2, batch_size=16, progress=False, device="cpu"))
    rec = TrainedRecommender(model, split)
    held_out = split.user_map.ids[int(split.parts["test_in"]["user"].iloc[0])]
    trained_user = split.user_map.ids[int(split.parts["train"]["user"].iloc[0])]
    table = rec.recommend([held_out, trained_user], k=5)
    for user, alone in ((held_out, True), (trained_user, False)):
        history = list(
            split.item_map.to_original(
                np.flatnonzero(rec.history[split.user_map.to_index([user])].toarray()[0])
            )
        )
        folded = rec.recommend_for_history(history, k=5)
        mine = table[table["user"] == user]
        assert (
            mine["item"].tolist() == folded["item"].tolist() and np.allclose(mine["score"], folded["score"])
        ) is alone


def test_a_user_whose_learned_id_never_trained_is_refused():
    """BPR: a strong split's held-out user (or a time split's newcomer) has a vector that never trained, and
    recommend had ranked items for them by it without a word (evaluation refuses them); a training user is still
    served, and fold-in models score such users from their history (the test above). Not fitted: evaluation
    refuses this split for BPR, and the check reads only which users trained."""
    from sslrec_utils.splits import strong_split

    split = strong_split(clustered_interactions(n_users=60, n_items=30), n_heldout=6, seed=1)
    rec = TrainedRecommender(build_model("bpr", TrainData.from_split(split), {"dim": 8}, seed=0), split)
    held_out = sorted({split.user_map.ids[int(u)] for u in split.parts["test_in"]["user"]})
    trained_user = split.user_map.ids[int(split.parts["train"]["user"].iloc[0])]
    assert len(rec.recommend([trained_user], k=3)) == 3
    with pytest.raises(
        ValueError, match=rf"^user {held_out[0]} has no interaction in the training part: BPR"
    ):
        rec.recommend([trained_user, held_out[0]], k=3)
    with pytest.raises(ValueError, match=r"^users .* have no interaction .*a model that folds in a history"):
        rec.recommend(held_out, k=3)


def test_item_knn_lists_only_items_it_relates():
    """With k=3 neighbours per item, some item is among few other items' neighbours: its row had been padded with
    weights of 0, the lowest item IDs, listed as 'most similar'."""
    inter = clustered_interactions(n_users=60, n_items=30)
    split = holdout_split(inter, seed=0)
    model = build_model("itemknn", TrainData.from_split(split), {"k": 3}, seed=0)
    fit(model, split, TrainConfig(progress=False, device="cpu"))
    rec = TrainedRecommender(model, split)
    sims = model.item_similarity()
    related = (sims != 0).sum(dim=1)  # per row: the items whose scores it raises
    few = int(
        torch.nonzero((related > 0) & (related < 10))[0]
    )  # the case: fewer related items than asked for
    table = rec.similar_items(split.item_map.ids[few], k=10)
    assert len(table) == int(related[few]) - int(sims[few, few] != 0) and (table["similarity"] != 0).all()
    if (related == 0).any():  # an item among no other item's neighbours relates none
        assert rec.similar_items(split.item_map.ids[int(torch.argmin(related))], k=10).empty
    ease = build_model("ease", TrainData.from_split(split), seed=0)
    fit(ease, split, TrainConfig(progress=False, device="cpu"))
    assert len(TrainedRecommender(ease, split).similar_items(split.item_map.ids[few], k=10)) == 10


def test_an_item_table_that_lists_an_item_twice_is_refused(trained):
    """Each recommended film's row had come out once per listing, ranks repeated (1, 1, 2, 2...)."""
    items = pd.DataFrame({"item": [*trained.split.item_map.ids, trained.split.item_map.ids[0]], "title": "t"})
    with pytest.raises(ValueError, match=r"lists item IDs more than once: \[1\]; give one row per item"):
        TrainedRecommender(trained.model, trained.split, items)


def test_an_item_table_is_read_as_the_datas_ids_are() -> None:
    """Text IDs written "12.0" are "12" in the data (as a file's are read): the caller's item table, with the
    same "12.0", had lost every title in the join."""
    from sslrec_utils.data import preprocess

    rows = [(f"u{u}", f"{i}.0", 1.0, i) for u in range(30) for i in range(u % 3, 20, 3)]
    split = holdout_split(
        preprocess(pd.DataFrame(rows, columns=["user", "item", "rating", "timestamp"])), seed=0
    )
    model = build_model("pop", TrainData.from_split(split))
    fit(model, split, TrainConfig(progress=False, device="cpu"))
    items = pd.DataFrame({"item": [f"{i}.0" for i in range(20)], "title": [f"Film {i}" for i in range(20)]})
    table = TrainedRecommender(model, split, items).recommend(["u1"], k=3)
    assert table["title"].notna().all() and (table["title"] == "Film " + table["item"]).all()


def test_an_item_table_without_the_datas_ids_and_lists_of_items_where_one_is_taken_are_refused(trained):
    # each had failed inside pandas or NumPy, or (a table of text IDs) in the join of the first list
    ids = trained.split.item_map.ids
    with pytest.raises(ValueError, match="column 'item' missing from the item table; found: \\['film'"):
        TrainedRecommender(trained.model, trained.split, pd.DataFrame({"film": ids, "title": "t"}))
    text = pd.DataFrame({"item": ids.astype(str), "title": "t"})
    with pytest.raises(
        ValueError, match="none of the item table's IDs is an item of the data .*'1', the data's 1"
    ):
        TrainedRecommender(trained.model, trained.split, text)
    with pytest.raises(TypeError, match=r"similar_items takes one item ID, got \[2, 3\]: call it once"):
        trained.similar_items([2, 3])
    # a single ID is a history of one item, as recommend takes a single user
    assert trained.recommend_for_history(31, k=5).equals(trained.recommend_for_history([31], k=5))


def test_an_item_without_training_interactions_has_no_similar_items_and_is_none():
    # its vector never trained: SASRec and SGL had listed confident neighbours of it, and it among the
    # neighbours of trained items
    from sslrec_utils.data import IdMap, Interactions

    inter = clustered_interactions(n_users=60, n_items=30)
    frame = inter.frame.copy()
    last = frame.loc[frame["user"] == 0, "timestamp"].max()
    frame.loc[len(frame)] = {
        "user": 0,
        "item": 30,
        "rating": 1.0,
        "timestamp": last + 1,
    }  # user 0's last item
    ids = IdMap(np.append(inter.item_map.ids, 999))
    split = loo_split(Interactions(frame.astype(inter.frame.dtypes), inter.user_map, ids))
    assert split.matrix("train")[:, 30].nnz == 0 and split.matrix("test")[:, 30].nnz == 1
    model = build_model("ae", TrainData.from_split(split), {"hidden_dim": 8}, seed=0)
    fit(model, split, TrainConfig(epochs=2, progress=False, device="cpu"))
    rec = TrainedRecommender(model, split)
    with pytest.raises(ValueError, match="item 999 has no interaction in the training part"):
        rec.similar_items(999)
    neighbours = rec.similar_items(int(inter.item_map.ids[0]), k=30)
    assert len(neighbours) == 29 and 999 not in set(neighbours["item"])


def test_the_models_named_for_similar_items_are_those_with_an_item_representation(trained):
    from sslrec_utils.models import MODELS
    from sslrec_utils.recommend import SIMILAR_ITEMS_MODELS

    data = TrainData.from_split(trained.split)
    models = {name: build_model(name, data, seed=0) for name in MODELS}
    has = {n for n, m in models.items() if m.item_similarity() is not None or m.item_embeddings() is not None}
    assert set(SIMILAR_ITEMS_MODELS) == has
