import numpy as np
import pandas as pd
import pytest

from sslrec_utils.data import preprocess, sorted_unique
from sslrec_utils.data.synthetic import parse_synthetic, synthetic_interactions
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
    assert frame["rating"].between(1, 5).all()
    # power-law popularity: the top 10% of items hold far more than 10% of the interactions
    counts = frame["item"].value_counts().to_numpy()
    assert counts[: len(counts) // 10].sum() > 0.3 * len(frame)
    inter = preprocess(frame)
    assert inter.n_users == 500 and inter.n_interactions == 20_000


def test_synthetic_is_a_pure_function_of_the_seed():
    a = synthetic_interactions(50, 40, 1000, seed=3)
    assert a.equals(synthetic_interactions(50, 40, 1000, seed=3))
    assert not a.equals(synthetic_interactions(50, 40, 1000, seed=4))


def test_synthetic_names_and_errors():
    assert parse_synthetic("synthetic:138493x26744x20000263") == (138493, 26744, 20000263)
    assert parse_synthetic("ml-100k") is None
    with pytest.raises(ValueError, match="USERSxITEMSxINTERACTIONS"):
        parse_synthetic("synthetic:10x20")
    with pytest.raises(ValueError, match=r"n_users \* min_per_user <= n_interactions"):
        synthetic_interactions(100, 50, 100)
    inter, items = load_data(DataSpec(dataset="synthetic:60x40x900"))
    assert items is None and inter.n_users == 60 and inter.n_interactions == 900
    # the seed varies the split, not the log: runs trained with other seeds reload the same data
    other, _ = load_data(DataSpec(dataset="synthetic:60x40x900", seed=7))
    pd.testing.assert_frame_equal(other.frame, inter.frame)
