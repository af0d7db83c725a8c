"""Denoising autoencoder: the article's `ae` with two changes that matter for implicit feedback. The input is
corrupted by dropout (so the model must predict items it was not shown), and each output is a Bernoulli
probability fitted by binary cross-entropy instead of squared error."""

from __future__ import annotations

import dataclasses
from typing import ClassVar, Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from sslrec_utils import losses
from sslrec_utils.config import check_nonnegative, check_rates
from sslrec_utils.models.base import Batch, ModelConfig, Recommender, StepInfo, TrainData


def identity(x: Tensor) -> Tensor:
    """The code without a nonlinearity (one of CDAE's two mappings)."""
    return x


ACTIVATIONS = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu, "identity": identity}
Activation = Literal["sigmoid", "tanh", "relu", "identity"]


@dataclasses.dataclass(frozen=True)
class DAEConfig(ModelConfig):
    """Training settings chosen on validation NDCG@10, mean over seeds 2020-2022 (ml-100k holdout), from
    (batch_size, lr) in {(500, 3e-3), (500, 1e-2), (128, 3e-3)} and dropout in {0.5, 0.7}: 0.2613 for these,
    0.2599 with dropout 0.7, the next (benchmarks/results/tuning/dae-grid)."""

    name: ClassVar[str] = "dae"
    train_defaults: ClassVar[dict] = {"epochs": 300, "batch_size": 500, "lr": 3e-3, "patience": 20}
    search_space: ClassVar[dict] = {"dropout": (0.5, 0.7)}
    hidden_dim: int = 200  # width of the code (CDAE: and of its user vectors)
    dropout: float = 0.5  # probability of dropping each input entry (the corruption)
    activation: Activation = "tanh"  # of the code
    lam: float = 0.0  # weight of lam * ||W||^2, W the two weight matrices (CDAE: and the user vectors)

    def __post_init__(self) -> None:
        check_rates(self, "dropout")
        check_nonnegative(self, "lam")

    def build(self, data: TrainData) -> DAE:
        return DAE(data.n_items, self.hidden_dim, self.dropout, self.activation, self.lam)


class DAE(Recommender):
    """x -> h = act(W_E dropout(x) + b_E [+ offset]) -> logits = W_G h + b_G; loss BCE(sigmoid(logits), x).

    Dropout rescales the kept entries by 1 / (1 - dropout), so the input has the same expectation at scoring,
    when nothing is dropped.

    Args:
        n_items: input and output width.
        hidden_dim: width of the code.
        dropout: input dropout probability (training only).
        activation: nonlinearity of the code: ``"sigmoid"``, ``"tanh"``, ``"relu"`` or ``"identity"``.
        lam: weight of the squared L2 norm of the two weight matrices added to the loss.
    """

    batcher = "user_rows"
    score_inputs = ("rows",)

    def __init__(
        self,
        n_items: int,
        hidden_dim: int = 200,
        dropout: float = 0.5,
        activation: Activation = "tanh",
        lam: float = 0.0,
    ) -> None:
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; valid: {sorted(ACTIVATIONS)}")
        self.dropout, self.activation, self.lam = dropout, activation, lam
        self.encoder = nn.Linear(n_items, hidden_dim)
        self.decoder = nn.Linear(hidden_dim, n_items)
        for layer in (self.encoder, self.decoder):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)

    def forward(self, x: Tensor, offset: Tensor | None = None) -> Tensor:
        """(B, n_items) interactions -> (B, n_items) logits.

        Args:
            x: (B, n_items) 0/1 interactions.
            offset: (B, hidden_dim) added to the code's pre-activation (CDAE's user vector), or None.
        """
        pre = self.encoder(F.dropout(x, self.dropout, self.training))  # (B, hidden_dim)
        if offset is not None:
            pre = pre + offset
        return self.decoder(ACTIVATIONS[self.activation](pre))

    def penalty(self) -> Tensor:
        """lam * ||W||^2 over the weight matrices."""
        return self.lam * losses.sq_norm(self.encoder.weight, self.decoder.weight)

    def training_loss(self, batch: Batch, info: StepInfo) -> Tensor:
        x = batch["rows"]
        return losses.bce(self(x), x) + self.penalty()

    def score(self, inputs: Batch) -> Tensor:
        return self(inputs["rows"])

    def item_embeddings(self) -> Tensor:
        return self.decoder.weight  # (n_items, hidden_dim): each item's output weights
