"""What every model shares: the training data it sees, the step information the trainer passes, and the
`Recommender` interface the trainer, the metrics and `recommend` call.

A model file holds one frozen `ModelConfig` subclass (hyperparameters, with ``build``) and one `Recommender`
subclass whose constructor takes plain sizes. ``forward`` returns logits; ``training_loss`` assembles the
objective from the pure functions in `sslrec_utils.losses`; ``score`` returns (B, n_items) ranking scores.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar, NamedTuple

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor, nn

from sslrec_utils.config import Config, check_finite_and_sized
from sslrec_utils.splits import Sequences, Split

Batch = Mapping[str, Tensor]
"""A training batch. Keys by batcher: ``users`` (B,), ``rows`` (B, n_items) float (``item_rows``, I-AutoRec's:
``items`` (B,), ``rows`` (B, n_users) ratings and ``mask`` (B, n_users) 1 where observed), ``pos``/``neg`` (B,),
``seqs`` (B, L) int64 padded with ``n_items``, ``targets`` (B, ...) int64."""


@dataclasses.dataclass(frozen=True)
class TrainData:
    """The training part of a split, in the forms models consume.

    Attributes:
        n_users: number of users (rows of every matrix).
        n_items: number of items.
        matrix: (n_users, n_items) binary float32 CSR of training interactions.
        ratings: (n_users, n_items) float32 CSR of the raw ratings of the same interactions.
        sequences: the training interactions per user in time order.
    """

    n_users: int
    n_items: int
    matrix: sp.csr_matrix
    ratings: sp.csr_matrix
    sequences: Sequences

    @classmethod
    def from_split(cls, split: Split, parts: tuple[str, ...] = ("train",)) -> TrainData:
        return cls(
            n_users=split.n_users,
            n_items=split.n_items,
            matrix=split.matrix(*parts),
            ratings=split.matrix(*parts, values="rating"),
            sequences=split.sequences(*parts),
        )

    @classmethod
    def from_matrix(cls, matrix: sp.csr_matrix) -> TrainData:
        """Training data from a bare (n_users, n_items) matrix (no time order: sequences follow item index).

        A stored zero (``m.data[m.data < 4] = 0`` leaves them) is no interaction; repeated entries are one
        (their ratings summed, as scipy adds them).
        """
        ratings = sp.csr_matrix(matrix, dtype=np.float32, copy=True)
        ratings.sum_duplicates()  # also sorts each row's items
        ratings.eliminate_zeros()
        binary = ratings.copy()
        binary.data[:] = 1.0
        return cls(
            n_users=matrix.shape[0],
            n_items=matrix.shape[1],
            matrix=binary,
            ratings=ratings,
            sequences=Sequences(binary.indptr.astype(np.int64), binary.indices.astype(np.int64)),
        )


class StepInfo(NamedTuple):
    """What the trainer tells a model about the current update (schedules are functions of it)."""

    step: int  # updates done before this one
    epoch: int  # 1-based
    total_steps: int  # planned updates over the whole run
    generator: torch.Generator  # for augmentations drawn inside training_loss (on the model's device)


class ModelConfig(Config):
    """Base of model hyperparameter configs. Subclasses set ``name`` and implement ``build``.

    Attributes:
        name: the registry name (``sslrec train --model NAME``).
        train_defaults: `TrainConfig` values this model trains best with (e.g. ``{"batch_size": 500}``);
            the user's settings override them.
        search_space: hyperparameter -> candidate values, tried one grid point at a time and chosen by the
            validation metric when the runner is asked to search (by default for closed-form models).
    """

    name: ClassVar[str] = ""
    train_defaults: ClassVar[Mapping[str, Any]] = {}
    search_space: ClassVar[Mapping[str, tuple[Any, ...]]] = {}

    def build(self, data: TrainData) -> Recommender:
        raise NotImplementedError

    def _coerce_fields(self) -> None:
        """`Config`'s coercion, then the checks `Config.from_dict` makes, so that a config built directly
        (``AEConfig(hidden_dim=0)``, which would train a model of biases alone) is refused as one read from
        overrides is: a number that is not finite, or a size that is not a positive integer."""
        super()._coerce_fields()
        for field in dataclasses.fields(self):
            check_finite_and_sized(field.name, getattr(self, field.name))


class Recommender(nn.Module):
    """Interface of every model.

    Class attributes tell the trainer what to feed.

    Attributes:
        batcher: name of the training batch builder in `sslrec_utils.batching` (``"none"``: closed form).
        score_inputs: keys ``score`` needs: ``"users"`` (B,), ``"rows"`` (B, n_items) input interactions,
            ``"seqs"`` (B, L) padded input sequences.
        data_shape: (n_users, n_items) of the data `build_model` built the model for; None for a model
            constructed directly (then `check_fits` checks nothing).
        fits_ratings: fitted to the rating values (AutoRec), not to which items each user has.
    """

    batcher: ClassVar[str] = "user_rows"
    score_inputs: ClassVar[tuple[str, ...]] = ("rows",)
    fits_ratings: ClassVar[bool] = False
    data_shape: tuple[int, int] | None = None

    def check_fits(self, n_users: int, n_items: int) -> None:
        """Raise a `ValueError` if the model was built for data of another size than (n_users, n_items): a model
        of one split used on another would otherwise fail deep in a matrix product, or score the wrong items."""
        if self.data_shape is not None and self.data_shape != (n_users, n_items):
            raise ValueError(
                f"{type(self).__name__} was built for {self.data_shape[0]} users and {self.data_shape[1]} items, "
                f"but this split has {n_users} users and {n_items} items: build it from this split's data "
                "(build_model(config, TrainData.from_split(split)))"
            )

    def batch_bytes(self, batch_size: int, training: bool) -> int:
        """About the most CPU memory one training step (`training`) or one scoring pass over `batch_size` rows
        takes where it can outgrow the machine whatever the data's size (0: no such term).
        `sslrec_utils.train.check_memory` refuses a run by it before training."""
        return 0

    @property
    def closed_form(self) -> bool:
        return self.batcher == "none"

    def batcher_options(self) -> dict[str, Any]:
        """Keyword arguments for this model's batcher beyond (data, batch_size, device), e.g. ``max_len``."""
        return {}

    @property
    def device(self) -> torch.device:
        for t in (*self.parameters(), *self.buffers()):
            return t.device
        return torch.device("cpu")

    def training_loss(self, batch: Batch, info: StepInfo) -> Tensor:
        """Scalar loss for one batch (trainable models)."""
        raise NotImplementedError(f"{type(self).__name__} is fitted in closed form, not trained by steps")

    def fit(self, data: TrainData) -> None:
        """Fit in closed form (closed-form models)."""
        raise NotImplementedError(f"{type(self).__name__} is trained by gradient steps; use train.fit")

    def score(self, inputs: Batch) -> Tensor:
        """(B, n_items) ranking scores for a batch of users; higher is better."""
        raise NotImplementedError

    def item_embeddings(self) -> Tensor | None:
        """(n_items, d) item representations used for item-item similarity, or None if the model has none."""
        return None

    def item_similarity(self) -> Tensor | None:
        """(n_items, n_items) item-item weights where the model has them (EASE, ItemKNN), else None."""
        return None

    @classmethod
    def can_fold_in(cls) -> bool:
        """Whether `score` works from a history alone, for a user the model never saw (no learned user ID)."""
        return "users" not in cls.score_inputs
