"""Shared test setup: a Hypothesis profile for CI, a seeded torch generator per test, no download from GroupLens,
and for the model tests a small clustered log split 80/10/10 with its training data.

A test module that needs another split (the sequence models' leave-one-out) overrides ``split``; ``data`` follows.
"""

import pytest
import torch
from hypothesis import settings

from sslrec_utils.data import movielens
from sslrec_utils.models.base import TrainData
from sslrec_utils.splits import Split, holdout_split
from tests.helpers import clustered_interactions

# `make unit` (and so CI) runs with --hypothesis-profile=ci: the same examples every run, so a red CI is
# reproducible. A plain `pytest` keeps Hypothesis's random exploration, which is how new counterexamples are found.
settings.register_profile("ci", derandomize=True)


@pytest.fixture(autouse=True)
def _seed_torch() -> None:
    """Seed torch's global generator before each test, so a test that draws from it sees the same numbers whatever
    ran before it on its xdist worker."""
    torch.manual_seed(0)


@pytest.fixture(autouse=True)
def _no_grouplens(monkeypatch: pytest.MonkeyPatch) -> None:
    """A test never downloads from GroupLens: a MovieLens load that finds neither a cache nor RecBole's copy fails
    at once on a closed local port (a test run in a subprocess, such as `sslrec train`, is marked `needs_recbole`)."""
    monkeypatch.setattr(movielens, "GROUPLENS_URL", "http://127.0.0.1:9/{name}.zip")


@pytest.fixture(scope="module")
def split() -> Split:
    return holdout_split(clustered_interactions(), seed=7)


@pytest.fixture(scope="module")
def data(split: Split) -> TrainData:
    return TrainData.from_split(split)
