"""Popularity baseline: every user gets the items with the most training interactions."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np
import torch
from torch import Tensor

from sslrec_utils.models.base import Batch, ModelConfig, Recommender, TrainData


@dataclasses.dataclass(frozen=True)
class PopConfig(ModelConfig):
    """`Pop` has no hyperparameters; ``sslrec models pop`` lists the training settings it reads."""

    name: ClassVar[str] = "pop"

    def build(self, data: TrainData) -> Pop:
        return Pop(data.n_items)


class Pop(Recommender):
    """Scores each item by its number of training interactions, the same for every user.

    Args:
        n_items: number of items.
    """

    batcher = "none"
    score_inputs = ("rows",)

    def __init__(self, n_items: int) -> None:
        super().__init__()
        self.register_buffer("counts", torch.zeros(n_items))

    def fit(self, data: TrainData) -> None:
        counts = np.asarray(data.matrix.sum(axis=0)).ravel()
        self.counts.copy_(torch.from_numpy(counts))

    def forward(self, batch_size: int) -> Tensor:
        """(batch_size, n_items) item counts."""
        return self.counts.expand(batch_size, -1)

    def score(self, inputs: Batch) -> Tensor:
        return self(inputs["rows"].shape[0])
