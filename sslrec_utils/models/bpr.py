"""BPR-MF (Rendle et al. 2009, "BPR: Bayesian Personalized Ranking from Implicit Feedback"): matrix
factorisation trained to rank each observed item above a sampled unobserved one.

A user's score for item i is ``p_u . q_i``. Each training triple (u, i, j) pairs an observed item i with an
item j the user has not interacted with (the ``bpr_triples`` batcher samples j uniformly, never a positive); the
loss is ``-log sigmoid(p_u.q_i - p_u.q_j)`` plus ``reg/2 (||p_u||^2 + ||q_i||^2 + ||q_j||^2)`` on the
embeddings in the batch (`losses.l2`, the per-example regulariser of the paper), not Adam's weight decay, which
would shrink every row at every step whether or not it was in the batch.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from torch import Tensor, nn

from sslrec_utils import losses
from sslrec_utils.config import ConfigError
from sslrec_utils.models.base import Batch, ModelConfig, Recommender, StepInfo, TrainData


@dataclasses.dataclass(frozen=True)
class BPRConfig(ModelConfig):
    """Hyperparameters of `BPR`; ``sslrec models bpr`` says what each means."""

    # Chosen on validation NDCG@10 over seeds 2020-2022 (ml-100k holdout, mean over seeds) from dim {64, 128, 256}
    # x reg {0, 1e-3, 3e-3, 1e-2, 2e-2, 3e-2} x lr {1e-3, 2e-3, 3e-3, 5e-3, 1e-2} x batch {1024, 2048, 4096}
    # (not a full grid): dim 128 / reg 1e-2 / lr 2e-3 / batch 4096 reached 0.250; dim 256 tied (0.251) at twice
    # the cost; dim 64 gave 0.245; lr >= 3e-3 peaked earlier but lower; reg 0 (RecBole's) overfits (0.236, seed
    # 2020). Those four points were run again for benchmarks/results/tuning/bpr-dim and bpr-reg0.
    name: ClassVar[str] = "bpr"
    train_defaults: ClassVar[dict[str, Any]] = {"lr": 2e-3, "batch_size": 4096, "epochs": 300, "patience": 10}
    search_space: ClassVar[dict[str, tuple[Any, ...]]] = {"dim": (64, 128), "reg": (3e-3, 1e-2, 2e-2)}
    dim: int = 128  # embedding size of users and items
    reg: float = 1e-2  # weight of the L2 penalty on the batch's embeddings (per example, as in the paper)

    def __post_init__(self) -> None:
        if self.dim < 1 or self.reg < 0:
            raise ConfigError(f"need dim >= 1 and reg >= 0, got dim={self.dim}, reg={self.reg}")

    def build(self, data: TrainData) -> BPR:
        return BPR(data.n_users, data.n_items, self.dim, self.reg)


class BPR(Recommender):
    """User and item embeddings scored by their dot product.

    Args:
        n_users: number of users.
        n_items: number of items.
        dim: embedding size.
        reg: weight of the L2 penalty on the embeddings of each batch.
    """

    batcher = "bpr_triples"
    score_inputs = ("users",)

    def __init__(self, n_users: int, n_items: int, dim: int = 128, reg: float = 1e-2) -> None:
        super().__init__()
        self.reg = reg
        self.user_emb = nn.Embedding(n_users, dim)
        self.item_emb = nn.Embedding(n_items, dim)
        nn.init.xavier_normal_(self.user_emb.weight)  # as RecBole; larger starts converged no faster
        nn.init.xavier_normal_(self.item_emb.weight)

    def forward(self, users: Tensor, items: Tensor) -> Tensor:
        """(B,) users and (B,) items -> (B,) scores ``p_u . q_i``."""
        return (self.user_emb(users) * self.item_emb(items)).sum(dim=-1)

    def training_loss(self, batch: Batch, info: StepInfo) -> Tensor:
        p_u = self.user_emb(batch["users"])  # (B, dim)
        q_i, q_j = self.item_emb(batch["pos"]), self.item_emb(batch["neg"])  # (B, dim) each
        loss = losses.bpr((p_u * q_i).sum(-1), (p_u * q_j).sum(-1))
        return loss + self.reg * losses.l2(p_u, q_i, q_j) if self.reg else loss

    def score(self, inputs: Batch) -> Tensor:
        return self.user_emb(inputs["users"]) @ self.item_emb.weight.T  # (B, n_items)

    def item_embeddings(self) -> Tensor:
        return self.item_emb.weight
