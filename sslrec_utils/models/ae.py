"""The source article's autoencoder, done so that it runs: a user's item vector in, a 32-unit ReLU code, a
sigmoid reconstruction, mean squared error, Adam with batches of 32 users."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import torch
from torch import Tensor, nn

from sslrec_utils import losses
from sslrec_utils.models.base import Batch, ModelConfig, Recommender, StepInfo, TrainData


@dataclasses.dataclass(frozen=True)
class AEConfig(ModelConfig):
    """Hyperparameters of `AE`; ``sslrec models ae`` says what each means."""

    name: ClassVar[str] = "ae"
    train_defaults: ClassVar[dict[str, object]] = {
        "batch_size": 32,
        "lr": 1e-3,
    }  # the article: Adam, batch 32
    hidden_dim: int = 32  # width of the code z = f_E(x), as in the article

    def build(self, data: TrainData) -> AE:
        return AE(data.n_items, self.hidden_dim)


class AE(Recommender):
    """x -> z = ReLU(W_E x + b_E) -> logits = W_G z + b_G; the reconstruction is sigmoid(logits).

    Args:
        n_items: input and output width.
        hidden_dim: width of the code.
    """

    batcher = "user_rows"
    score_inputs = ("rows",)

    def __init__(self, n_items: int, hidden_dim: int = 32) -> None:
        super().__init__()
        self.encoder = nn.Linear(n_items, hidden_dim)
        self.decoder = nn.Linear(hidden_dim, n_items)

    def encode(self, x: Tensor) -> Tensor:
        """(B, n_items) -> (B, hidden_dim) code."""
        return torch.relu(self.encoder(x))

    def forward(self, x: Tensor) -> Tensor:
        """(B, n_items) item vectors -> (B, n_items) logits of the reconstruction."""
        return self.decoder(self.encode(x))

    def training_loss(self, batch: Batch, info: StepInfo) -> Tensor:
        x = batch["rows"]
        # in float32: under bf16 autocast, sigmoid (on no autocast list) would round outputs near 1 to 0.004
        return losses.mse(torch.sigmoid(self(x).float()), x)

    def score(self, inputs: Batch) -> Tensor:
        return self(inputs["rows"])

    def item_embeddings(self) -> Tensor:
        return self.encoder.weight.T  # (n_items, hidden_dim): the encoder's view of each item
