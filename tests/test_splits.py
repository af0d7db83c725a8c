"""Tests for `sslrec_utils.splits`: hand cases, RecBole's size rule, and properties over random logs."""

from __future__ import annotations

import ast
import importlib.util
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sslrec_utils.config import DataWarning
from sslrec_utils.data import COLUMNS, Interactions, preprocess
from sslrec_utils.splits import (
    PART_NAMES,
    SPLITTERS,
    Sequences,
    Split,
    holdout_split,
    loo_split,
    make_split,
    pad_sequences,
    ratio_sizes,
    strong_split,
    time_split,
)

# Small random logs often cannot be split (too few users for strong, ties at a time cut): those are filtered out
# on purpose, sometimes more than Hypothesis's health check allows (test_strong_properties threw away about 52
# logs for 40 kept and failed it now and then); every kept log still goes through every assertion.
# many of the generated logs have users too short for leave-one-out or holdout, which they say
# (test_loo_by_hand and test_holdout_properties check it) and they repeat (user, item) pairs, which
# preprocessing merges and says (test_preprocess checks it)
pytestmark = [
    pytest.mark.filterwarnings("ignore:.*fewer than 3 interactions:UserWarning"),
    pytest.mark.filterwarnings("ignore:.*too few interactions .* for the holdout split:UserWarning"),
    pytest.mark.filterwarnings(r"ignore:\d+ of \d+ rows repeat a \(user, item\) pair:UserWarning"),
]
RANDOM = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
LOGS = st.lists(
    st.tuples(st.integers(0, 6), st.integers(0, 12), st.integers(1, 5), st.integers(0, 15)),
    min_size=1,
    max_size=60,
)
SEEDS = st.integers(0, 2**32)
# the table of CONTRIBUTING.md: protocol -> phase -> (input parts, excluded parts, held-out part)
TABLE = {
    "holdout": {"valid": (("train",), ("train",), "valid"), "test": (("train",), ("train", "valid"), "test")},
    "loo": {"valid": (("train",), None, "valid"), "test": (("train", "valid"), None, "test")},
    "strong": {
        "valid": (("valid_in",), ("valid_in",), "valid_out"),
        "test": (("test_in",), ("test_in",), "test_out"),
    },
    "time": {"valid": (("train",), ("train",), "valid"), "test": (("train",), ("train", "valid"), "test")},
}


def make_inter(
    rows: list[tuple[int, int, float, int]], ties: str = "random", tie_seed: int = 0
) -> Interactions:
    return preprocess(pd.DataFrame(rows, columns=list(COLUMNS)), ties=ties, tie_seed=tie_seed)


def rows_of(matrix) -> list[list[int]]:
    """Per-row sorted column indices of a CSR matrix."""
    return [
        sorted(matrix.indices[matrix.indptr[u] : matrix.indptr[u + 1]].tolist())
        for u in range(matrix.shape[0])
    ]


def assert_partition(split: Split, inter: Interactions) -> None:
    """Parts are disjoint and cover the input exactly, as row indices and as (user, item) pairs."""
    index = np.concatenate([part.index.to_numpy() for part in split.parts.values()])
    assert len(index) == inter.n_interactions
    np.testing.assert_array_equal(np.sort(index), np.arange(inter.n_interactions))
    pairs = [set(zip(p["user"], p["item"], strict=True)) for p in split.parts.values()]
    assert sum(len(p) for p in pairs) == len(set().union(*pairs)) == inter.n_interactions
    for part in split.parts.values():
        pd.testing.assert_frame_equal(part, inter.frame.loc[part.index])
    shapes = {split.matrix(name).shape for name in split.parts}
    assert shapes == {(inter.n_users, inter.n_items)}


def assert_same(a: Split, b: Split) -> None:
    assert list(a.parts) == list(b.parts)
    for name in a.parts:
        pd.testing.assert_frame_equal(a.parts[name], b.parts[name])


# --- RecBole's size rule --------------------------------------------------------------------------------------


def test_ratio_sizes_by_hand() -> None:
    # RecBole 1.2.1 _calcu_split_ids, ratios (0.8, 0.1, 0.1): cnt = [floor(r * n)], cnt[0] = n - cnt[1] - cnt[2];
    # then for the test part, then the valid part: if cnt[0] > 1 and 0 < r * n < 1, move one row there.
    # n=20: floor(2.0)=2, 2 -> cnt[0]=16; 2.0 is not in (0, 1)                    -> 16/2/2
    # n=5:  floor(0.5)=0, 0 -> cnt[0]=5; test 0.5 in (0,1) -> 4/0/1; valid too    -> 3/1/1
    # n=3:  [3,0,0] -> test: 2/0/1 -> valid: cnt[0]=2 > 1                          -> 1/1/1
    # n=2:  [2,0,0] -> test: 1/0/1 -> valid: cnt[0]=1, stop                         -> 1/0/1
    # n=1:  [1,0,0] -> cnt[0]=1, stop at once                                       -> 1/0/0
    # n=15: floor(1.5)=1 each, 1.5 is not in (0, 1)                                 -> 13/1/1
    sizes = ratio_sizes(np.array([20, 5, 3, 2, 1, 15]), (0.8, 0.1, 0.1))
    assert sizes.tolist() == [[16, 2, 2], [3, 1, 1], [1, 1, 1], [1, 0, 1], [1, 0, 0], [13, 1, 1]]


def recbole_calcu_split_ids():
    """RecBole's own `_calcu_split_ids`, compiled from its source (importing RecBole needs missing deps)."""
    spec = importlib.util.find_spec("recbole")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("recbole is not installed")
    source = Path(spec.submodule_search_locations[0], "data", "dataset", "dataset.py").read_text()
    tree = ast.parse(source)
    fn = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "_calcu_split_ids")
    namespace: dict = {"np": np}
    exec(compile(ast.Module(body=[fn], type_ignores=[]), "dataset.py", "exec"), namespace)
    return namespace["_calcu_split_ids"]


@pytest.mark.parametrize("ratios", [(0.8, 0.1, 0.1), (0.7, 0.2, 0.1), (0.6, 0.2, 0.2), (0.9, 0.05, 0.05)])
def test_ratio_sizes_match_recbole_source(ratios: tuple[float, float, float]) -> None:
    calcu = recbole_calcu_split_ids()
    norm = [r / sum(ratios) for r in ratios]  # as RecBole's split_by_ratio does before calling it
    n = np.arange(0, 400)
    expected = [np.diff([0, *calcu(None, tot=int(t), ratios=norm), int(t)]).tolist() for t in n]
    assert ratio_sizes(n, ratios).tolist() == expected


# --- holdout ----------------------------------------------------------------------------------------------------


@RANDOM
@given(LOGS, SEEDS)
def test_holdout_properties(rows, seed: int) -> None:
    inter = make_inter(rows)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        split = holdout_split(inter, seed=seed)
    assert_partition(split, inter)
    counts = np.bincount(inter.frame["user"], minlength=inter.n_users)
    sizes = np.stack(
        [np.bincount(split.parts[p]["user"], minlength=inter.n_users) for p in ("train", "valid", "test")], 1
    )
    np.testing.assert_array_equal(sizes, ratio_sizes(counts, (0.8, 0.1, 0.1)))
    # users the split cannot test (one interaction) are said, as leave-one-out says its short ones
    untested = int(((counts > 0) & (sizes[:, 2] == 0)).sum())
    said = [str(w.message) for w in caught if issubclass(w.category, DataWarning)]
    assert said == (
        [
            f"{untested} of {inter.n_users} users have too few interactions (at most 1) for the holdout "
            "split to test them: it keeps them in training and never tests them"
        ]
        if untested
        else []
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        assert_same(split, holdout_split(inter, seed=seed))


def test_holdout_seed_changes_split() -> None:
    rng = np.random.default_rng(0)
    inter = make_inter([(u, i, 1.0, int(rng.integers(100))) for u in range(10) for i in range(20)])
    splits = [holdout_split(inter, seed=s) for s in range(4)]
    tests = {tuple(s.parts["test"].index) for s in splits}
    assert len(tests) == 4


# --- leave-one-out ----------------------------------------------------------------------------------------------

# user 10: items 100..103 at t=1..4; user 20: 100 at 5, then 102 and 104 tied at 6; user 30: two items only
LOO_ROWS = [
    (10, 100, 5.0, 1),
    (10, 101, 4.0, 2),
    (10, 102, 3.0, 3),
    (10, 103, 2.0, 4),
    (20, 104, 1.0, 6),
    (20, 102, 1.0, 6),
    (20, 100, 1.0, 5),
    (30, 101, 1.0, 7),
    (30, 103, 1.0, 8),
]


def test_loo_by_hand() -> None:
    # the tie at t=6 is broken by row order of Interactions.frame: in the log's order 102 is the latest
    with pytest.warns(
        UserWarning, match=r"^1 of 3 users have fewer than 3 interactions: .* never tests them$"
    ):
        by_row = loo_split(make_inter(LOO_ROWS, ties="row"))  # the third user: said, not silently left out
    assert rows_of(by_row.matrix("valid")) == [[2], [4], []] and rows_of(by_row.matrix("test")) == [
        [3],
        [2],
        [],
    ]
    # by item ID (the order before ties were random by default), 104 is
    split = loo_split(make_inter(LOO_ROWS, ties="item"))
    assert rows_of(split.matrix("train")) == [[0, 1], [0], [1, 3]]
    assert rows_of(split.matrix("valid")) == [[2], [2], []]
    assert rows_of(split.matrix("test")) == [[3], [4], []]
    seqs = split.sequences("train", "valid", "test")
    assert seqs.lengths().tolist() == [4, 3, 2]
    assert seqs.items.tolist() == [0, 1, 2, 3, 0, 2, 4, 1, 3]
    # order comes from (timestamp, row), not from the order the parts are named in
    np.testing.assert_array_equal(split.sequences("test", "valid", "train").items, seqs.items)

    valid = split.eval_plan("valid")
    assert valid.users.tolist() == [0, 1] and valid.input_parts == ("train",) and valid.exclude is None
    assert rows_of(valid.heldout) == [[2], [2], []]
    test = split.eval_plan("test")
    assert test.users.tolist() == [0, 1] and test.input_parts == ("train", "valid") and test.exclude is None
    assert rows_of(test.heldout) == [[3], [4], []]
    assert rows_of(split.eval_plan("test", exclude_seen=True).exclude) == [[0, 1, 2], [0, 2], [1, 3]]


def test_sequences_follow_time_before_row_order() -> None:
    # rows in reverse time order (a frame built by hand): the sequence still runs oldest first
    inter = preprocess(
        pd.DataFrame({"user": 1, "item": [10, 11, 12, 13], "rating": 1.0, "timestamp": [1, 2, 3, 4]})
    )
    backwards = Interactions(inter.frame.iloc[::-1].reset_index(drop=True), inter.user_map, inter.item_map)
    assert loo_split(backwards).sequences("train", "valid", "test").items.tolist() == [0, 1, 2, 3]


def test_sequences_follow_row_order_whatever_the_frame_index() -> None:
    # Four films in one second, ties kept in row order; the frame reversed keeps its old index (3, 2, 1, 0).
    # The split takes the last rows as validation and test: the test input must end with the validation film.
    inter = preprocess(
        pd.DataFrame({"user": 1, "item": [10, 11, 12, 13], "rating": 1.0, "timestamp": 5}), ties="row"
    )
    split = loo_split(Interactions(inter.frame.iloc[::-1], inter.user_map, inter.item_map))
    assert split.parts["valid"]["item"].tolist() == [1] and split.parts["test"]["item"].tolist() == [0]
    assert split.sequences("train", "valid").items.tolist() == [3, 2, 1]


def test_has_time_order_asks_whether_any_user_has_two_times() -> None:
    one_second = pd.DataFrame({"user": [1, 1, 1, 2, 2, 2], "item": [10, 11, 12, 10, 11, 13], "rating": 1.0})
    same = preprocess(one_second.assign(timestamp=5))  # a constant column, or no column (every time 0)
    assert not loo_split(same).has_time_order()
    # one user with two times is enough, whichever parts (train, valid, test) they fall in
    assert loo_split(preprocess(one_second.assign(timestamp=[5, 5, 5, 5, 5, 6]))).has_time_order()
    per_user = preprocess(one_second.assign(timestamp=[1, 1, 1, 2, 2, 2]))  # each user one (other) time
    assert not loo_split(per_user).has_time_order()


@RANDOM
@given(LOGS)
def test_loo_properties(rows) -> None:
    inter = make_inter(rows)
    split = loo_split(inter)
    assert_partition(split, inter)
    assert_same(split, loo_split(inter, seed=7))
    frame = inter.frame  # sorted by (user, timestamp, a random order of ties): each user's rows, latest last
    for user, group in frame.groupby("user"):
        if len(group) < 3:
            assert set(group.index) <= set(split.parts["train"].index)
            continue
        assert split.parts["test"].index[split.parts["test"]["user"] == user].tolist() == [group.index[-1]]
        assert split.parts["valid"].index[split.parts["valid"]["user"] == user].tolist() == [group.index[-2]]


@RANDOM
@given(LOGS, SEEDS, st.sampled_from(["holdout", "strong"]))
def test_random_splits_do_not_depend_on_the_order_of_ties(rows, seed: int, protocol: str) -> None:
    def parts(ties: str) -> dict[str, list[tuple[int, int]]]:
        try:
            split = make_split(make_inter(rows, ties=ties, tie_seed=seed % 7), protocol, seed=seed)
        except ValueError:  # too small for the protocol, whatever the order
            return {}
        return {name: sorted(zip(p["user"], p["item"], strict=True)) for name, p in split.parts.items()}

    assert parts("random") == parts("item") == parts("row")


# --- strong generalisation --------------------------------------------------------------------------------------


@RANDOM
@given(LOGS, SEEDS, st.sampled_from([0.5, 0.8, 0.9]))
def test_strong_properties(rows, seed: int, fold_in: float) -> None:
    inter = make_inter(rows)
    counts = np.bincount(inter.frame["user"], minlength=inter.n_users)
    assume((counts >= 2).sum() >= 2 and inter.n_users >= 3)
    split = strong_split(inter, n_heldout=1, fold_in=fold_in, seed=seed)
    assert_partition(split, inter)
    assert_same(split, strong_split(inter, n_heldout=1, fold_in=fold_in, seed=seed))
    users = {name: set(part["user"]) for name, part in split.parts.items()}
    assert users["valid_in"] == users["valid_out"] and users["test_in"] == users["test_out"]
    assert len(users["valid_in"]) == len(users["test_in"]) == 1
    assert not users["train"] & users["valid_in"] and not users["train"] & users["test_in"]
    assert not users["valid_in"] & users["test_in"]
    assert users["train"] | users["valid_in"] | users["test_in"] == set(range(inter.n_users))
    for phase in ("valid", "test"):
        (user,) = users[f"{phase}_in"]
        n_out = len(split.parts[f"{phase}_out"])
        assert n_out == min(max(int(np.floor((1 - fold_in) * counts[user] + 1e-9)), 1), counts[user] - 1)
        assert len(split.parts[f"{phase}_in"]) + n_out == counts[user]


def test_strong_sizes_and_errors() -> None:
    inter = make_inter([(u, i, 1.0, i) for u in range(40) for i in range(10)])
    split = strong_split(inter, seed=3)  # 10% of 40 users each, 2 of 10 items held out as in Mult-VAE
    assert split.parts["valid_out"]["user"].nunique() == split.parts["test_out"]["user"].nunique() == 4
    assert len(split.parts["valid_out"]) == len(split.parts["test_out"]) == 8
    train_users = np.unique(split.parts["train"]["user"])
    assert len(train_users) == 32 and (split.train[train_users].getnnz(axis=1) == 10).all()
    with pytest.raises(ValueError, match="n_heldout"):
        strong_split(inter, n_heldout=20)
    for bad in (0, -3, 0.0, True):  # said to be too small a number, not "needs 2 * 0 users"
        with pytest.raises(ValueError, match=r"n_heldout must be a number of users >= 1 or a fraction"):
            strong_split(inter, n_heldout=bad)
    # a whole float is a number of users (5.0 from a config file), not a fraction out of range
    assert strong_split(inter, n_heldout=5.0).parts["test_out"]["user"].nunique() == 5
    with pytest.raises(ValueError, match="fold_in"):
        strong_split(inter, fold_in=1.0)
    with pytest.raises(ValueError, match="seed"):
        strong_split(inter, seed=None)


# --- global time split ------------------------------------------------------------------------------------------

# ratios (0.6, 0.2, 0.2) of 10 rows cut after 6 and 8; the tie at t=7 straddles the first cut and goes to valid
TIME_ROWS = [
    (1, 1, 1.0, 1),
    (1, 2, 1.0, 2),
    (2, 1, 1.0, 3),
    (2, 3, 1.0, 4),
    (1, 3, 1.0, 5),
    (2, 2, 1.0, 7),
    (3, 1, 1.0, 7),
    (1, 4, 1.0, 8),
    (1, 5, 1.0, 9),
    (3, 2, 1.0, 10),
]


def test_time_by_hand() -> None:
    split = time_split(make_inter(TIME_ROWS), ratios=(0.6, 0.2, 0.2))
    assert [len(p) for p in split.parts.values()] == [5, 3, 2]
    valid = split.eval_plan("valid")
    # user 3 (index 2) first appears after the cut: held-out items but no input, so not evaluated
    assert valid.users.tolist() == [0, 1] and valid.input_parts == ("train",)
    assert rows_of(valid.heldout) == [[3], [1], []]
    assert rows_of(valid.exclude) == [[0, 1, 2], [0, 2], []]
    test = split.eval_plan("test")
    assert test.users.tolist() == [0] and test.input_parts == ("train",)
    assert rows_of(test.heldout) == [[4], [], []]
    assert rows_of(test.exclude) == [[0, 1, 2, 3], [0, 1, 2], [0]]
    assert split.eval_plan("test", exclude_seen=False).exclude is None
    # what to change, including what the command line can (it has no ratios to set)
    with pytest.raises(
        ValueError, match=r"leave a part empty .* the command line splits 0.8/0.1/0.1\) or another"
    ):
        time_split(make_inter([(u, i, 1.0, 5) for u in range(3) for i in range(4)]))


@RANDOM
@given(LOGS)
def test_time_properties(rows) -> None:
    inter = make_inter(rows)
    try:
        split = time_split(inter)
    except ValueError:
        assume(False)
    assert_partition(split, inter)
    times = [split.parts[p]["timestamp"] for p in ("train", "valid", "test")]
    assert times[0].max() < times[1].min() and times[1].max() < times[2].min()
    for phase in ("valid", "test"):
        plan = split.eval_plan(phase)
        assert (split.train[plan.users].getnnz(axis=1) > 0).all()


# --- eval plans, matrices, sequences ----------------------------------------------------------------------------


@RANDOM
@given(LOGS, SEEDS, st.sampled_from(["holdout", "loo", "strong", "time"]))
def test_eval_plans_follow_the_table(rows, seed: int, protocol: str) -> None:
    inter = make_inter(rows)
    try:  # the splitter itself: make_split refuses splits with a phase without users, which these cover too
        split = SPLITTERS[protocol](inter, seed=seed, **({"n_heldout": 1} if protocol == "strong" else {}))
    except ValueError:
        assume(False)
    for phase in ("valid", "test"):
        input_parts, exclude_parts, heldout_part = TABLE[protocol][phase]
        plan = split.eval_plan(phase)
        assert plan.input_parts == input_parts
        full = split.matrix(heldout_part)
        has_input = split.matrix(*input_parts).getnnz(axis=1) > 0
        expected_users = np.flatnonzero((full.getnnz(axis=1) > 0) & has_input)
        np.testing.assert_array_equal(plan.users, expected_users)
        assert plan.users.dtype == np.int64
        assert (
            plan.heldout != full.multiply(np.isin(np.arange(inter.n_users), expected_users)[:, None])
        ).nnz == 0
        if exclude_parts is None:
            assert plan.exclude is None
        else:
            assert (plan.exclude != split.matrix(*exclude_parts)).nnz == 0
            assert plan.exclude.multiply(plan.heldout).nnz == 0  # nothing held out is excluded
        seen = split.eval_plan(phase, exclude_seen=True).exclude
        assert (
            seen is not None
            and seen.multiply(split.matrix(*input_parts)).nnz == split.matrix(*input_parts).nnz
        )


def test_holdout_plan_by_hand() -> None:
    inter = make_inter(LOO_ROWS, ties="item")  # rows picked by position below
    frame = inter.frame
    parts = {"train": frame.iloc[[0, 1, 4, 7]], "valid": frame.iloc[[2, 5, 8]], "test": frame.iloc[[3, 6]]}
    split = Split(parts, inter.user_map, inter.item_map, "holdout", 0)
    valid = split.eval_plan("valid")
    assert valid.users.tolist() == [0, 1, 2] and rows_of(valid.exclude) == [[0, 1], [0], [1]]
    test = split.eval_plan("test")
    assert test.users.tolist() == [0, 1] and test.input_parts == ("train",)
    assert rows_of(test.exclude) == [[0, 1, 2], [0, 2], [1, 3]] and rows_of(test.heldout) == [[3], [4], []]


def test_matrix_sequences_and_cache() -> None:
    split = loo_split(make_inter(LOO_ROWS, ties="item"))
    assert split.matrix("train", "valid") is split.matrix("valid", "train")
    assert split.matrix("train").dtype == np.float32
    assert split.matrix("train", values="rating").toarray()[0, :2].tolist() == [5.0, 4.0]
    assert split.sequences("valid", "test").items.tolist() == [2, 3, 2, 4]
    with pytest.raises(ValueError, match="unknown part"):
        split.matrix("valid_in")
    with pytest.raises(ValueError, match="phase"):
        split.eval_plan("train")


# --- make_split and validation ----------------------------------------------------------------------------------


@RANDOM
@given(LOGS, SEEDS, st.sampled_from(["holdout", "loo", "strong", "time"]))
def test_make_split_refuses_exactly_the_splits_with_a_phase_without_users(rows, seed, protocol) -> None:
    inter = make_inter(rows)
    options = {"n_heldout": 1} if protocol == "strong" else {}
    try:
        split = SPLITTERS[protocol](inter, seed=seed, **options)
    except ValueError:
        assume(False)
    empty = [phase for phase in ("valid", "test") if not len(split.eval_plan(phase).users)]
    if empty:
        with pytest.raises(ValueError, match=f"no {empty[0]} user has both input and held-out interactions"):
            make_split(inter, protocol, seed=seed, **options)
    else:
        assert_same(make_split(inter, protocol, seed=seed, **options), split)


def test_a_test_phase_without_users_is_named() -> None:
    # user 1 fills train and valid; the one test interaction is user 2's first and only
    inter = make_inter([(1, i, 1.0, i) for i in range(1, 9)] + [(2, 1, 1.0, 9)])
    assert len(time_split(inter).eval_plan("valid").users) == 1
    with pytest.raises(
        ValueError, match=r"no test user has both input .* \(rows: train 7, valid 1, test 1\)"
    ):
        make_split(inter, "time")


def test_make_split_dispatch_and_errors() -> None:
    inter = make_inter(LOO_ROWS)
    assert_same(make_split(inter, "holdout", seed=5), holdout_split(inter, seed=5))
    assert make_split(inter, "loo").seed is None
    # in time order user 30's items come last: no valid or test user has input (training interactions) ...
    assert not len(time_split(inter).eval_plan("valid").users)
    with pytest.raises(ValueError, match=r"no valid user has both input and held-out interactions"):
        make_split(inter, "time")
    inter = make_inter([*LOO_ROWS, (30, 100, 1.0, 2)])  # ... until one of its items is early
    assert make_split(inter, "time", ratios=(0.5, 0.25, 0.25)).protocol == "time"
    for protocol, names in PART_NAMES.items():
        split = make_split(inter, protocol, **({"n_heldout": 1} if protocol == "strong" else {}))
        assert split.protocol == protocol and tuple(split.parts) == names
    with pytest.raises(ValueError, match="valid: \\['holdout', 'loo', 'strong', 'time'\\]"):
        make_split(inter, "random")
    with pytest.raises(ValueError, match="unknown option.*'ratio'.*valid: \\['ratios'\\]"):
        make_split(inter, "holdout", ratio=(0.8, 0.1, 0.1))
    for bad in [(0.8, 0.2), (0.9, 0.1, 0.1), (1.0, 0.0, 0.0), (0.8, -0.1, 0.3)]:
        with pytest.raises(ValueError, match="ratios"):
            holdout_split(inter, ratios=bad)
    for seed in [-1, 1.5, True, None]:
        with pytest.raises(ValueError, match="seed"):
            holdout_split(inter, seed=seed)


# --- padded sequences -------------------------------------------------------------------------------------------


def test_pad_sequences_by_hand() -> None:
    seqs = Sequences(np.array([0, 3, 3, 8]), np.array([1, 2, 3, 4, 5, 6, 7, 8]))
    out = pad_sequences(seqs, np.array([0, 1, 2, 0]), max_len=4, pad=9)
    assert out.dtype == np.int64
    assert out.tolist() == [[9, 1, 2, 3], [9, 9, 9, 9], [5, 6, 7, 8], [9, 1, 2, 3]]
    assert pad_sequences(seqs, np.array([2]), max_len=1, pad=9).tolist() == [[8]]
    with pytest.raises(IndexError):
        pad_sequences(seqs, np.array([3]), max_len=2, pad=9)


@RANDOM
@given(LOGS, st.integers(1, 6))
def test_pad_sequences_matches_loop(rows, max_len: int) -> None:
    inter = make_inter(rows)
    seqs = loo_split(inter).sequences("train", "valid", "test")
    users = np.arange(inter.n_users)[::-1]
    expected = []
    for u in users:
        items = seqs.items[seqs.indptr[u] : seqs.indptr[u + 1]][-max_len:].tolist()
        expected.append([inter.n_items] * (max_len - len(items)) + items)
    assert pad_sequences(seqs, users, max_len, inter.n_items).tolist() == expected


def test_pad_sequences_rejects_what_it_would_truncate() -> None:
    seqs = Sequences(np.array([0, 3, 3, 8]), np.array([1, 2, 3, 4, 5, 6, 7, 8]))
    # float users had been truncated to rows 0 and 1, bool users read as 1 and 0, a float pad written as 2
    with pytest.raises(TypeError, match=r"users must be integer indices, got float64"):
        pad_sequences(seqs, np.array([0.7, 2.2]), max_len=2, pad=9)
    with pytest.raises(TypeError, match=r"users must be integer indices, got bool"):
        pad_sequences(seqs, np.array([True, False]), max_len=2, pad=9)
    with pytest.raises(TypeError, match=r"pad must be an int, got 2.5"):
        pad_sequences(seqs, np.array([0]), max_len=2, pad=2.5)
    for max_len in (2.5, True, None):
        with pytest.raises(TypeError, match=rf"max_len must be an int, got {max_len!r}"):
            pad_sequences(seqs, np.array([0]), max_len=max_len, pad=9)
    # still accepted: numpy ints, lists, an empty list
    assert pad_sequences(seqs, [2], max_len=np.int64(1), pad=np.int64(9)).tolist() == [[8]]
    assert pad_sequences(seqs, [], max_len=2, pad=9).shape == (0, 2)


def test_eval_plan_refuses_an_exclude_seen_that_is_not_a_bool() -> None:
    # 0 had meant "the protocol's default" (excluding train), not False; 1 for loo had excluded nothing
    inter = make_inter([(u, i, 1, t) for u in range(4) for t, i in enumerate(range(u, u + 5))], ties="row")
    split = loo_split(inter)
    for value in (0, 1, "yes"):
        with pytest.raises(TypeError, match=rf"exclude_seen must be True, False or None, got {value!r}"):
            split.eval_plan("test", exclude_seen=value)
    assert split.eval_plan("test", exclude_seen=np.bool_(True)).exclude is not None
    assert split.eval_plan("test", exclude_seen=None).exclude is None


def test_split_options_of_the_wrong_type_are_named() -> None:
    inter = make_inter([(u, i, 1, t) for u in range(6) for t, i in enumerate(range(u, u + 5))], ties="row")
    for ratios in (None, "abc", ("a", "b", "c")):
        with pytest.raises(ValueError, match=r"holdout_split: ratios must be \(train, valid, test\)"):
            holdout_split(inter, ratios)
    with pytest.raises(ValueError, match=r"strong_split: fold_in must lie in \(0, 1\), got '0.5'"):
        strong_split(inter, n_heldout=1, fold_in="0.5")
    # a numpy int is a number of users, as a numpy seed is a seed
    split = strong_split(inter, n_heldout=np.int64(1), seed=np.int64(3))
    assert split.parts["valid_in"]["user"].nunique() == 1
    assert_same(split, strong_split(inter, n_heldout=1, seed=3))
    assert_same(strong_split(inter, n_heldout=np.float32(0.2), seed=3), split)  # 0.2 of 6 users: 1


def test_time_split_of_an_empty_log_is_a_clear_error() -> None:
    empty = make_inter([(0, 0, 1, 0)])
    empty = Interactions(empty.frame.iloc[:0], empty.user_map, empty.item_map)
    with pytest.raises(ValueError, match="time_split: the log has no interactions"):  # had been an IndexError
        time_split(empty)


# --- real data --------------------------------------------------------------------------------------------------


def test_holdout_on_ml100k() -> None:
    spec = importlib.util.find_spec("recbole")
    path = spec and Path(spec.submodule_search_locations[0], "dataset_example", "ml-100k", "ml-100k.inter")
    if not path or not path.exists():
        pytest.skip("RecBole's ml-100k carrier file is absent")
    ratings = pd.read_csv(path, sep="\t")
    ratings.columns = list(COLUMNS)
    inter = preprocess(ratings)
    split = holdout_split(inter)
    sizes = {name: len(part) for name, part in split.parts.items()}
    print(f"ml-100k holdout sizes: {sizes}")
    assert inter.n_users == 943 and sum(sizes.values()) == 100_000
    assert sizes == {"train": 80_808, "valid": 9_596, "test": 9_596}
    for phase in ("valid", "test"):
        assert len(split.eval_plan(phase).users) == 943
