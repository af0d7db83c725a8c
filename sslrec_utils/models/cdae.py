"""CDAE (Wu et al. 2016, "Collaborative Denoising Auto-Encoders for Top-N Recommender Systems"): the denoising
autoencoder of `dae` with a learned vector per user added to the code,

    h = act(W_E dropout(x_u) + V_u + b_E),   logits = W_G h + b_G,

trained with binary cross-entropy over all items, as RecBole's CDAE (the paper samples negative items; it also
maps by identity or sigmoid, ``activation="identity"`` or ``"sigmoid"``, where `dae`'s activation is tanh by
default, and penalises the biases too, where `lam` penalises W_E, W_G and V). A user unseen in training has no
vector V_u: `score` then uses V_u = 0 (the mean of the prior the paper's L2 penalty puts on V), so fold-in relies
on the history alone and is an approximation of what the model would do with a trained user vector.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from torch import Tensor, nn

from sslrec_utils import losses
from sslrec_utils.models.base import Batch, StepInfo, TrainData
from sslrec_utils.models.dae import DAE, Activation, DAEConfig


@dataclasses.dataclass(frozen=True)
class CDAEConfig(DAEConfig):
    """`DAEConfig`'s fields; ``hidden_dim`` is also the width of the user vectors, and ``lam`` penalises them too.

    Training settings chosen on validation NDCG@10, mean over seeds 2020-2022 (ml-100k holdout), from
    (batch_size, lr) in {(500, 3e-3), (500, 1e-2), (128, 3e-3)} and dropout in {0.5, 0.7}: 0.2591 for these,
    as much with dropout 0.7 (benchmarks/results/tuning/cdae-grid)."""

    name: ClassVar[str] = "cdae"

    def build(self, data: TrainData) -> CDAE:
        return CDAE(data.n_users, data.n_items, self.hidden_dim, self.dropout, self.activation, self.lam)


class CDAE(DAE):
    """`DAE` plus a user embedding added to the code's pre-activation.

    Args:
        n_users: number of training users (rows of the user embedding).
        n_items: input and output width.
        hidden_dim: width of the code and of the user vectors.
        dropout: input dropout probability (training only).
        activation: nonlinearity of the code: ``"sigmoid"``, ``"tanh"``, ``"relu"`` or ``"identity"``.
        lam: weight of the squared L2 norm of the weight matrices and user vectors added to the loss.
    """

    score_inputs = ("users", "rows")

    def __init__(
        self,
        n_users: int,
        n_items: int,
        hidden_dim: int = 200,
        dropout: float = 0.5,
        activation: Activation = "tanh",
        lam: float = 0.0,
    ) -> None:
        super().__init__(n_items, hidden_dim, dropout, activation, lam)
        self.user_embedding = nn.Embedding(n_users, hidden_dim)
        nn.init.xavier_uniform_(self.user_embedding.weight)

    def forward(self, x: Tensor, users: Tensor | None = None) -> Tensor:  # type: ignore[override]
        """(B, n_items) interactions of users (B,) -> (B, n_items) logits; ``users=None``: zero user vectors."""
        return super().forward(x, None if users is None else self.user_embedding(users))

    def penalty(self) -> Tensor:
        """lam * ||W||^2 over the weight matrices and the user vectors."""
        return super().penalty() + self.lam * losses.sq_norm(self.user_embedding.weight)

    def training_loss(self, batch: Batch, info: StepInfo) -> Tensor:
        x = batch["rows"]
        return losses.bce(self(x, batch["users"]), x) + self.penalty()

    def score(self, inputs: Batch) -> Tensor:
        """(B, n_items) logits from ``rows`` and, if given, ``users`` (missing: a history without a user id)."""
        return self(inputs["rows"], inputs.get("users"))

    @classmethod
    def can_fold_in(cls) -> bool:
        return True  # a history without a user id is scored with a zero user vector (module docstring)
