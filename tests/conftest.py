"""Fixtures shared by the model tests: a small clustered log split 80/10/10 and its training data.

A test module that needs another split (the sequence models' leave-one-out) overrides ``split``; ``data`` follows.
"""

import pytest

from sslrec_utils.models.base import TrainData
from sslrec_utils.splits import Split, holdout_split
from tests.helpers import clustered_interactions


@pytest.fixture(scope="module")
def split() -> Split:
    return holdout_split(clustered_interactions(), seed=7)


@pytest.fixture(scope="module")
def data(split: Split) -> TrainData:
    return TrainData.from_split(split)
