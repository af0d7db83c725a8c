import numpy as np
import pandas as pd
import pytest

from sslrec_utils.data import preprocess, sorted_unique, synthetic
from sslrec_utils.data.synthetic import check_shape, parse_synthetic, synthetic_bytes, synthetic_interactions
from sslrec_utils.experiment import DataSpec, load_data


def test_sorted_unique_equals_numpy_unique():
    rng = np.random.default_rng(0)
    for values in (
        rng.integers(0, 50, 300),
        rng.integers(0, 2**40, 1000),
        np.array([], np.int64),
        np.array([7]),
    ):
        np.testing.assert_array_equal(sorted_unique(values), np.unique(values))


def test_synthetic_log_has_the_requested_shape():
    frame = synthetic_interactions(500, 300, 20_000, seed=1)
    assert len(frame) == 20_000
    assert frame["user"].nunique() == 500 and frame["item"].max() <= 300
    assert not frame.duplicated(["user", "item"]).any()
    assert frame.groupby("user").size().min() >= 5
    assert list(frame.columns) == ["user", "item", "rating", "timestamp"]
    assert sorted(frame["rating"].unique()) == [1, 2, 3, 4, 5]
    assert frame["user"].min() == 1 and frame["item"].min() == 1  # 1-based, as MovieLens
    # power-law popularity: the top 10% of items hold far more than 10% of the interactions
    counts = frame["item"].value_counts().to_numpy()
    assert counts[: len(counts) // 10].sum() > 0.3 * len(frame)
    inter = preprocess(frame)
    assert inter.n_users == 500 and inter.n_interactions == 20_000


def test_synthetic_is_a_pure_function_of_the_seed():
    a = synthetic_interactions(50, 40, 1000, seed=3)
    assert a.equals(synthetic_interactions(50, 40, 1000, seed=3))
    assert not a.equals(synthetic_interactions(50, 40, 1000, seed=4))
    assert not a.equals(synthetic_interactions(50, 40, 1000, seed=5))


def test_no_user_holds_more_than_half_the_items():
    frame = synthetic_interactions(50, 40, 900, seed=0)  # 18 a user on average: some would exceed 20 uncapped
    assert frame.groupby("user").size().max() == 20
    check_shape(10, 20, 100)
    with pytest.raises(ValueError, match="synthetic:10x20x101 cannot be built"):
        check_shape(10, 20, 101)


def test_popularity_follows_the_exponent_and_not_the_item_ids():
    """The most popular items get random IDs (in ID order, ties broken by ID would favour them); ``zipf=0`` is
    uniform popularity."""
    steep, flat = (synthetic_interactions(400, 200, 12_000, seed=1, zipf=z) for z in (1.0, 0.0))
    counts = steep["item"].value_counts().reindex(range(1, 201), fill_value=0).to_numpy()
    assert (
        abs(np.corrcoef(np.arange(200), counts)[0, 1]) < 0.3
    )  # 0.01 here, -0.73 with items numbered by rank
    top_tenth = {
        name: np.sort(log["item"].value_counts().to_numpy())[::-1][:20].sum() / len(log)
        for name, log in (("steep", steep), ("flat", flat))
    }
    assert top_tenth["steep"] > 0.3 and top_tenth["flat"] < 0.15  # 0.37 and 0.12 here


def test_synthetic_names_and_errors():
    assert parse_synthetic("synthetic:138493x26744x20000263") == (138493, 26744, 20000263)
    assert parse_synthetic("ml-100k") is None
    with pytest.raises(ValueError, match="USERSxITEMSxINTERACTIONS"):
        parse_synthetic("synthetic:10x20")
    # a whole number may be written as a float, as the message says; a fraction may not
    assert parse_synthetic("synthetic:1e2x50x2e3") == (100, 50, 2000)
    with pytest.raises(ValueError, match=r"\(whole numbers, such as 1000 or 2e7\).*got 'synthetic:1.5x3x4'"):
        parse_synthetic("synthetic:1.5x3x4")
    with pytest.raises(ValueError, match=r"n_users \* min_per_user <= n_interactions"):
        synthetic_interactions(100, 50, 100)
    inter, items = load_data(DataSpec(dataset="synthetic:60x40x900"))
    assert items is None and inter.n_users == 60 and inter.n_interactions == 900
    # the seed varies the split, not the log: runs trained with other seeds reload the same data
    other, _ = load_data(DataSpec(dataset="synthetic:60x40x900", seed=7))
    pd.testing.assert_frame_equal(other.frame, inter.frame)


def test_a_shape_the_machine_cannot_hold_is_refused_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # was killed by the kernel's OOM killer in `sslrec data info`: about 900 TiB of arrays
    with pytest.raises(ValueError, match=r"^synthetic:100000000x100000000x10000000000000 needs about .* GiB"):
        synthetic_interactions(100_000_000, 100_000_000, 10**13)
    monkeypatch.setattr(synthetic, "physical_memory", lambda: 2**30)  # a 1 GiB machine
    with pytest.raises(
        ValueError,
        match=r"^synthetic:100000x1000x20000000 .* 1.0 GiB: .* at most about 1.11e\+07 interactions fit",
    ):
        check_shape(100_000, 1000, 20_000_000)
    with pytest.raises(ValueError, match=r"holds at most about 1.12e\+07 interactions, and 2.03e\+06 users"):
        check_shape(10_000_000, 1000, 50_000_000)  # the users alone do not fit
    check_shape(100_000, 1000, 11_000_000)  # what it said fits
    monkeypatch.setattr(synthetic, "physical_memory", lambda: None)  # a system that does not say: not checked
    check_shape(100_000_000, 100_000_000, 10**13)


def test_ml20m_shape_stays_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    assert synthetic_bytes(138_493, 26_744, 20_000_263) < 2 * 2**30  # measured peak: 1.3 GiB
    monkeypatch.setattr(synthetic, "physical_memory", lambda: 4 * 2**30)
    check_shape(*parse_synthetic("synthetic:138493x26744x20000263"))


def test_shapes_int64_cannot_number_and_counts_that_are_not_whole_are_refused() -> None:
    with pytest.raises(
        ValueError, match=r"^synthetic:100x2000000000000000000000x1000 cannot be built: users \*"
    ):
        synthetic_interactions(100, 2 * 10**21, 1000)
    for name in ("synthetic:1e400x10x100", "synthetic:1.5x10x100", "synthetic:nanx10x100"):
        with pytest.raises(ValueError, match="whole numbers"):
            parse_synthetic(name)
    assert parse_synthetic("synthetic:1e3x2e2x5e4") == (1000, 200, 50_000)
    n_users, _, _ = parse_synthetic("synthetic:100000000000000000000001x3x4")
    assert n_users == 10**23 + 1  # exact, not rounded through a float
