"""`sslrec_utils.data.preprocessing`: duplicate policies, rating threshold, k-core filtering and ID maps."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sslrec_utils.config import DataWarning
from sslrec_utils.data import IdMap, Interactions, drop_duplicates, k_core, preprocess


def frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["user", "item", "rating", "timestamp"]).astype(
        {"rating": np.float32, "timestamp": np.int64}
    )


# One (user, item) pair seen three times, plus an unrelated row.
DUPLICATED = frame([(1, 1, 1.0, 10), (1, 1, 5.0, 5), (2, 1, 2.0, 7), (1, 1, 3.0, 20)])


@pytest.mark.parametrize(
    ("policy", "kept"),
    [("last", (3.0, 20)), ("first", (5.0, 5)), ("max", (5.0, 5)), ("mean", (3.0, 20))],
)
def test_duplicate_policies(policy: str, kept: tuple[float, int]) -> None:
    out = drop_duplicates(DUPLICATED, policy)
    assert len(out) == 2
    pair = out[(out["user"] == 1) & (out["item"] == 1)]
    assert (float(pair["rating"].iloc[0]), int(pair["timestamp"].iloc[0])) == kept
    assert out.loc[out["user"] == 2, ["rating", "timestamp"]].values.tolist() == [[2.0, 7]]


def test_max_keeps_the_latest_of_equal_top_ratings() -> None:
    """The time kept decides the pair's place in the splits and sequences: the later of two fives, not the
    later row of the file."""
    out = drop_duplicates(frame([(1, 1, 5.0, 20), (1, 1, 5.0, 10), (1, 1, 4.0, 30)]), "max")
    assert out[["rating", "timestamp"]].values.tolist() == [[5.0, 20]]


def test_duplicate_policy_error_and_unknown_policy() -> None:
    with pytest.raises(ValueError, match=r"3 duplicate \(user, item\) rows, e.g. \[\[1, 1\]"):
        drop_duplicates(DUPLICATED, "error")
    with pytest.raises(ValueError, match="unknown duplicate policy 'newest'"):
        drop_duplicates(DUPLICATED.iloc[:1], "newest")  # rejected even when there are no duplicates


@pytest.mark.parametrize(
    ("policy", "kept"), [("last", "the latest row"), ("mean", "with the mean rating and the latest time")]
)
def test_preprocess_says_how_many_repeated_rows_it_merges(policy: str, kept: str, recwarn) -> None:
    """`sslrec train` had merged repeated (user, item) rows without a word (`sslrec data info` counts them)."""
    with pytest.warns(
        UserWarning, match=rf"^2 of 4 rows repeat a \(user, item\) pair: each pair is kept once, {kept}"
    ):
        data = preprocess(DUPLICATED, duplicates=policy)
    assert data.n_interactions == 2
    preprocess(DUPLICATED.iloc[1:3])  # no repeat, no warning
    assert not recwarn.list


def test_mean_rounds_into_float32() -> None:
    out = drop_duplicates(frame([(1, 1, 1.0, 1), (1, 1, 2.0, 2)]), "mean")
    assert out["rating"].dtype == np.float32 and out["rating"].tolist() == [1.5]


def test_threshold_binarises() -> None:
    ratings = frame([(1, 1, 5.0, 1), (1, 2, 3.0, 2), (2, 1, 4.0, 3), (2, 3, 1.0, 4)])
    data = preprocess(ratings, threshold=4)
    assert data.frame[["user", "item"]].values.tolist() == [[0, 0], [1, 0]]
    assert data.user_map.ids.tolist() == [1, 2] and data.item_map.ids.tolist() == [1]
    assert preprocess(ratings).n_interactions == 4  # no threshold: every interaction is a positive


def test_k_core_counts_only_the_interactions_above_the_threshold() -> None:
    """User 1 has two ratings but one positive: at min_user=2 the k-core, run after the threshold, drops them."""
    data = preprocess(
        frame([(1, 1, 5.0, 0), (1, 2, 1.0, 1), (2, 1, 5.0, 2), (2, 2, 5.0, 3)]), threshold=4, min_user=2
    )
    assert data.user_map.ids.tolist() == [2] and data.item_map.ids.tolist() == [1, 2]


def test_k_core_cascades() -> None:
    # Item 3 has one user; dropping it leaves user 2 with one item, which must go too at min_user=2.
    ratings = frame([(1, 1, 1, 0), (1, 2, 1, 0), (2, 1, 1, 0), (2, 3, 1, 0), (3, 1, 1, 0), (3, 2, 1, 0)])
    out = k_core(ratings, min_user=2, min_item=2)
    assert sorted(map(tuple, out[["user", "item"]].values.tolist())) == [(1, 1), (1, 2), (3, 1), (3, 2)]


def test_nothing_left_is_an_error() -> None:
    with pytest.raises(
        ValueError,
        match=r"^no interactions left after keeping users with >= 5 and items with >= 0 interactions \(k-core\): "
        r"relax the filters \(threshold=None, min_user=5, min_item=0\)$",
    ):
        preprocess(frame([(1, 1, 1.0, 0)]), min_user=5)
    with pytest.raises(
        ValueError, match=r"^no interactions left after keeping ratings >= 4: relax the filters"
    ):
        preprocess(frame([(1, 1, 1.0, 0)]), threshold=4.0)


def test_missing_columns_and_ids() -> None:
    with pytest.raises(
        ValueError, match=r"columns 'rating', 'timestamp' missing from ratings; found: \['user'"
    ):
        preprocess(pd.DataFrame({"user": [1], "item": [2]}))
    with pytest.raises(ValueError, match="missing user or item IDs"):
        preprocess(frame([(1, None, 1.0, 0)]))
    # a missing time would become int64's minimum and sort first: the user's oldest event
    with pytest.raises(ValueError, match="missing timestamps"):
        preprocess(pd.DataFrame({"user": [1, 1], "item": [1, 2], "rating": 1.0, "timestamp": [0, np.nan]}))
    # 1 and "a" cannot be sorted together: named, not NumPy's TypeError
    with pytest.raises(ValueError, match="the user IDs mix types"):
        preprocess(frame([(1, 1, 1.0, 0), ("a", 2, 1.0, 1)]))
    assert preprocess(frame([("1", 1, 1.0, 0), ("a", 2, 1.0, 1)])).user_map.ids.tolist() == ["1", "a"]
    # a NaN rating passes no threshold and makes AutoRec's loss NaN (which then blamed the step size)
    with pytest.raises(
        ValueError, match=r"^1 of 3 ratings are missing \(the first at index 2\): fill them in"
    ):
        preprocess(frame([(1, 1, 1.0, 0), (1, 2, 2.0, 1), (2, 1, np.nan, 2)]))


@pytest.mark.parametrize("tie_seed", [-1, 1.5, True, "0"])
def test_a_tie_seed_that_is_no_seed_is_named(tie_seed: object) -> None:
    # -1 had failed in NumPy: "expected non-negative integer"
    with pytest.raises(ValueError, match=f"tie_seed must be an integer >= 0, got {tie_seed!r}"):
        preprocess(TIED, tie_seed=tie_seed)


def test_times_are_read_as_load_interactions_reads_them() -> None:
    # seconds with a fraction had been cut by int64 silently; dates became microseconds; strings failed in int()
    raw = pd.DataFrame(
        {"user": 1, "item": [10, 20, 30, 40], "rating": 1.0, "timestamp": [100.0, 101.1, 101.5, 101.9]}
    )
    with pytest.warns(DataWarning, match="has fractions of a second, which are dropped"):
        assert preprocess(raw, ties="row").frame["timestamp"].tolist() == [100, 101, 101, 101]
    dates = ["2020-01-01", "2020-01-02 00:00:01", "2020-01-03", "2020-01-04"]
    seconds = [1577836800, 1577923201, 1578009600, 1578096000]
    assert preprocess(raw.assign(timestamp=dates)).frame["timestamp"].tolist() == seconds
    assert (
        preprocess(raw.assign(timestamp=pd.to_datetime(dates, format="ISO8601"))).frame["timestamp"].tolist()
        == seconds
    )
    with pytest.raises(ValueError, match="'soon'"):
        preprocess(raw.assign(timestamp=[*dates[:3], "soon"]))


def test_interactions_and_their_matrix_refuse_what_they_cannot_hold() -> None:
    # original IDs where indices belong had failed later, in a split ("out is the wrong size")
    raw = frame([(1, 10, 4.0, 0), (2, 20, 4.0, 1), (3, 30, 4.0, 2)])
    with pytest.raises(ValueError, match=r"the item column must hold indices in \[0, 3\) of its IdMap"):
        Interactions(raw.assign(user=[0, 1, 2]), IdMap(np.array([1, 2, 3])), IdMap(np.array([10, 20, 30])))
    with pytest.raises(ValueError, match="column 'timestamp' missing from the interactions' frame"):
        Interactions(raw.drop(columns="timestamp"), IdMap(np.array([1, 2, 3])), IdMap(np.array([10, 20, 30])))
    data = preprocess(raw)
    with pytest.raises(ValueError, match="values must be 'binary' or 'rating', got 'Binary'"):
        data.to_csr("Binary")  # had given the ratings


pairs = st.lists(st.tuples(st.integers(0, 8), st.integers(0, 8)), max_size=60)


@settings(max_examples=150, deadline=None)
@given(pairs=pairs, min_user=st.integers(0, 4), min_item=st.integers(0, 4))
def test_k_core_meets_thresholds_and_is_idempotent(
    pairs: list[tuple[int, int]], min_user: int, min_item: int
) -> None:
    ratings = frame([(u, i, 1.0, t) for t, (u, i) in enumerate(pairs)])
    out = k_core(ratings, min_user, min_item)
    assert (out["user"].value_counts() >= min_user).all()
    assert (out["item"].value_counts() >= min_item).all()
    assert set(out["timestamp"]) <= set(ratings["timestamp"])  # a subset of the input rows
    pd.testing.assert_frame_equal(k_core(out, min_user, min_item), out)


@pytest.mark.filterwarnings(r"ignore:\d+ of \d+ rows repeat a \(user, item\) pair")
@settings(max_examples=100, deadline=None)
@given(pairs=pairs.filter(bool), as_str=st.booleans())
def test_ids_are_contiguous_and_round_trip(pairs: list[tuple[int, int]], as_str: bool) -> None:
    ratings = frame([(f"u{u}" if as_str else u * 7, i * 3, 1.0, t) for t, (u, i) in enumerate(pairs)])
    data = preprocess(ratings)
    expected = ratings.drop_duplicates(["user", "item"], keep="last")
    assert data.n_interactions == len(expected)
    assert sorted(data.frame["user"].unique()) == list(range(data.n_users))
    assert sorted(data.frame["item"].unique()) == list(range(data.n_items))
    back = set(
        zip(
            data.user_map.to_original(data.frame["user"]).tolist(),
            data.item_map.to_original(data.frame["item"]).tolist(),
            strict=True,
        )
    )
    assert back == set(zip(expected["user"], expected["item"], strict=True))
    np.testing.assert_array_equal(data.user_map.to_index(data.user_map.ids), np.arange(data.n_users))
    csr = data.to_csr()
    assert csr.shape == (data.n_users, data.n_items) and csr.nnz == data.n_interactions and csr.max() == 1.0


def test_id_map_errors_and_order() -> None:
    ids = IdMap(np.array(["b", "a", "c"], dtype=object))
    assert ids.to_index(["c", "b"]).tolist() == [2, 0] and ids.to_index("a").tolist() == [1]
    assert ids.to_original([1, 2]).tolist() == ["a", "c"]
    with pytest.raises(KeyError, match=r"unknown IDs \['z'\]"):
        ids.to_index(["a", "z"])
    with pytest.raises(IndexError, match=r"indices must lie in \[0, 3\)"):
        ids.to_original([3])
    with pytest.raises(ValueError, match="must be unique"):
        IdMap(np.array([1, 1]))


def test_preprocess_orders_by_user_then_time() -> None:
    ratings = frame([(20, 5, 4.0, 3), (10, 6, 2.0, 9), (10, 5, 1.0, 1)])
    data = preprocess(ratings)
    assert data.frame.values.tolist() == [[0, 0, 1.0, 1], [0, 1, 2.0, 9], [1, 0, 4.0, 3]]
    assert data.frame.dtypes.astype(str).tolist() == ["int64", "int64", "float32", "int64"]
    assert data.density == pytest.approx(3 / 4)
    assert data.to_csr("rating").toarray().tolist() == [[1.0, 2.0], [4.0, 0.0]]


# user 1 rates items 30, 10 and 20 in one second, then 5; user 2 rates 7 and 3 in one second
TIED = frame([(1, 30, 1.0, 100), (1, 10, 1.0, 100), (2, 7, 1.0, 50), (1, 20, 1.0, 100), (1, 5, 1.0, 200)])
TIED = pd.concat([TIED, frame([(2, 3, 1.0, 50)])], ignore_index=True)


def order(data, user: int) -> list[int]:
    """Original IDs of a user's items in the order of ``data.frame``."""
    rows = data.frame[data.frame["user"] == user]
    return data.item_map.to_original(rows["item"]).tolist()


def test_ties_in_time_are_ordered_as_asked() -> None:
    assert order(preprocess(TIED, ties="item"), 0) == [10, 20, 30, 5]
    assert order(preprocess(TIED, ties="row"), 0) == [30, 10, 20, 5]
    assert order(preprocess(TIED, ties="row"), 1) == [7, 3]
    draws = {tuple(order(preprocess(TIED, tie_seed=seed), 0)) for seed in range(30)}
    assert all(sorted(d[:3]) == [10, 20, 30] and d[3] == 5 for d in draws)  # only within the second
    assert len(draws) == 6  # every order of the three tied items comes up
    assert order(preprocess(TIED, tie_seed=4), 0) == order(preprocess(TIED, tie_seed=4), 0)  # seeded
    assert order(preprocess(TIED), 0) == order(preprocess(TIED, ties="random", tie_seed=0), 0)  # the default
    with pytest.raises(ValueError, match="unknown tie order 'time'; valid: random, row, item"):
        preprocess(TIED, ties="time")  # type: ignore[arg-type]
    # the random draws follow the rows as given (the README says so): with one seed, the same rows in another
    # order give other orders of the tie, and one order of rows always gives the same
    tied_rows = [0, 1, 3]  # user 1's three items rated in second 100
    by_row_order = {
        tuple(order(preprocess(TIED.iloc[[*p, 2, 4, 5]], tie_seed=0), 0))
        for p in itertools.permutations(tied_rows)
    }
    assert len(by_row_order) > 1
    assert all(sorted(d[:3]) == [10, 20, 30] for d in by_row_order)
    shuffled = TIED.iloc[[3, 5, 0, 2, 1, 4]]
    assert order(preprocess(shuffled, tie_seed=0), 0) == order(preprocess(shuffled.copy(), tie_seed=0), 0)


@pytest.mark.filterwarnings(r"ignore:\d+ of \d+ rows repeat a \(user, item\) pair")
@settings(max_examples=50, deadline=None)
@given(pairs=pairs.filter(bool), seed=st.integers(0, 2**32 - 1))
def test_every_tie_order_keeps_the_rows_and_the_time_order(pairs: list[tuple[int, int]], seed: int) -> None:
    ratings = frame([(u, i, 1.0, (u * i) % 3) for u, i in pairs])  # many ties
    reference = preprocess(ratings, ties="item").frame
    for ties in ("random", "row"):
        out = preprocess(ratings, ties=ties, tie_seed=seed).frame
        pd.testing.assert_frame_equal(
            out.sort_values(["user", "timestamp", "item"]).reset_index(drop=True), reference
        )
        key = out["user"].to_numpy() * 10 + out["timestamp"].to_numpy()  # timestamps lie in [0, 3)
        assert (np.diff(key) >= 0).all()


def test_text_ids_are_read_as_a_files_are() -> None:
    """A frame's text IDs that write a whole number otherwise ("2.0", " 2") had failed with a KeyError: they are
    one ID, "2", as when a file is read, and a typed "2" finds it."""
    raw = pd.DataFrame(
        {"user": ["a", "a", "b"], "item": ["2.0", "x", " 2"], "rating": 1.0, "timestamp": [1, 2, 3]}
    )
    inter = preprocess(raw)
    assert inter.item_map.ids.tolist() == ["2", "x"] and len(inter.frame) == 3
    assert inter.item_map.to_index(["2", "2.0"]).tolist() == [0, 0]
    assert raw["item"].tolist() == ["2.0", "x", " 2"]  # the caller's frame is left as it was
    # a categorical column reads as its values; a blank ID is refused, as a file's is
    assert preprocess(raw.astype({"item": "category"})).item_map.ids.tolist() == ["2", "x"]
    assert preprocess(raw.assign(item=pd.Categorical([2, 3, 2]))).item_map.ids.tolist() == [2, 3]
    with pytest.raises(ValueError, match="1 of the item IDs are empty or blank"):
        preprocess(raw.assign(item=["2", "  ", "x"]))
