"""LightGCN (He et al. 2020): user and item embeddings smoothed over the user-item graph by K parameter-free
propagation layers, final embedding = mean of layers 0..K, trained with BPR. The base of SGL, SimGCL, XSimGCL.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from sslrec_utils import losses
from sslrec_utils.config import ConfigError
from sslrec_utils.models.base import Batch, ModelConfig, Recommender, StepInfo, TrainData
from sslrec_utils.models.graph import layer_mean, normalized_adjacency, propagate, rows


class LightGCN(Recommender):
    """Embeddings ``E(0)`` (users then items), ``E(k+1) = A_hat E(k)``, ``E = mean_k E(k)``, score ``e_u . e_i``.

    Args:
        n_users, n_items: numbers of users and items.
        adj: (n_users + n_items,)*2 sparse normalised adjacency (`graph.normalized_adjacency`); kept as a
            non-persistent buffer, so checkpoints hold only the embeddings and `build` recreates it.
        embedding_dim: the width d of the embeddings.
        n_layers: the number K of propagation layers.
        reg: L2 weight on the batch's layer-0 embeddings.
    """

    batcher = "bpr_triples"
    score_inputs = ("users",)

    def __init__(
        self,
        n_users: int,
        n_items: int,
        adj: Tensor,
        embedding_dim: int = 64,
        n_layers: int = 3,
        reg: float = 1e-3,
    ) -> None:
        super().__init__()
        n = n_users + n_items
        if tuple(adj.shape) != (n, n):
            raise ValueError(f"adj has shape {tuple(adj.shape)}, expected ({n}, {n}) for users then items")
        self.n_users, self.n_items, self.n_layers, self.reg = n_users, n_items, n_layers, reg
        self.first_layer = 0  # final embeddings average layers first_layer..K
        # one table, users then items, so layer 0 needs no concatenation; each part initialised as the authors'
        # TensorFlow code, RecBole, SELFRec and SGL-Torch initialise their separate user and item tables (Xavier;
        # LightGCN-PyTorch draws from a normal distribution of std 0.1)
        self.embedding = nn.Parameter(torch.empty(n, embedding_dim))
        nn.init.xavier_uniform_(self.embedding.data[:n_users])
        nn.init.xavier_uniform_(self.embedding.data[n_users:])
        self.register_buffer("adj", adj, persistent=False)
        self._cache: tuple[tuple[Any, ...], Tensor, tuple[Tensor, Tensor]] | None = None

    def split(self, nodes: Tensor) -> tuple[Tensor, Tensor]:
        """(n_users + n_items, d) -> (n_users, d) users, (n_items, d) items."""
        users, items = torch.split(nodes, [self.n_users, self.n_items])
        return users, items

    def forward(
        self, adj: Tensor | None = None, eps: float = 0.0, generator: torch.Generator | None = None
    ) -> tuple[Tensor, Tensor]:
        """Final (n_users, d) user and (n_items, d) item embeddings over `adj` (default: the training graph),
        with noise of length `eps` after every layer (SimGCL views)."""
        layers = propagate(self.adj if adj is None else adj, self.embedding, self.n_layers, eps, generator)
        return self.split(layer_mean(layers, self.first_layer))

    def embeddings(self) -> tuple[Tensor, Tensor]:
        """Clean final embeddings; in eval mode without autograd they are computed once and reused until a
        parameter changes (optimizer step, `load_state_dict`, `to`) or `train()` is called. A write through
        ``p.data`` bypasses the version counter: call `train()` (or ``eval()``) after one."""
        if self.training or torch.is_grad_enabled():
            return self()
        # `_version` counts in-place writes to a tensor: any update of the embeddings changes the key
        key = (id(self.adj), *((p.device, p.data_ptr(), p._version) for p in self.parameters()))
        if self._cache is None or self._cache[0] != key:
            self._cache = (key, self.adj, self())  # holding adj keeps its id unique while cached
        return self._cache[2]

    def train(self, mode: bool = True) -> LightGCN:
        """Set training or evaluation mode (`nn.Module.train`), dropping the cached propagation: the weights may
        change in between."""
        self._cache = None
        return super().train(mode)

    def rec_loss(self, batch: Batch, users: Tensor, items: Tensor) -> Tensor:
        """BPR on final embeddings (n_users, d), (n_items, d) plus ``reg`` times L2 of the batch's ego rows."""
        u, pos, neg = batch["users"], batch["pos"], batch["neg"]
        eu = rows(users, u)
        bpr = losses.bpr((eu * rows(items, pos)).sum(-1), (eu * rows(items, neg)).sum(-1))
        ego = self.embedding
        return bpr + self.reg * losses.l2(
            rows(ego, u), rows(ego, self.n_users + pos), rows(ego, self.n_users + neg)
        )

    def training_loss(self, batch: Batch, info: StepInfo) -> Tensor:
        return self.rec_loss(batch, *self())

    def score(self, inputs: Batch) -> Tensor:
        users, items = self.embeddings()
        return users[inputs["users"]] @ items.T  # (B, n_items)

    def item_embeddings(self) -> Tensor:
        return self.embeddings()[1]


@dataclasses.dataclass(frozen=True)
class LightGCNConfig(ModelConfig):
    """Hyperparameters of `LightGCN`; ``sslrec models lightgcn`` says what each means."""

    name: ClassVar[str] = "lightgcn"
    # Chosen on ml-100k holdout validation NDCG@10 (seed 2020, at the paper's reg 1e-4;
    # benchmarks/results/tuning/lightgcn-lr-layers and lightgcn-reg): Adam lr 5e-3 (0.247) beat 2e-3 (0.234,
    # slower) and 1e-2 (0.245); batches of 2048 interactions, an epoch visiting each training interaction once,
    # as RecBole and SELFRec do (the authors of LightGCN and of SGL (SGL-Torch) draw a user first, then one of
    # their items, which gives light users a larger share of the steps);
    # early stopping after 15 epochs without improvement (the best epoch came at 40-150). Shared by SGL, SimGCL
    # and XSimGCL, which were searched with it.
    train_defaults: ClassVar[Mapping[str, Any]] = {
        "batch_size": 2048,
        "lr": 5e-3,
        "epochs": 300,
        "patience": 15,
    }
    search_space: ClassVar[Mapping[str, tuple[Any, ...]]] = {"reg": (1e-4, 3e-4, 1e-3, 3e-3)}
    embedding_dim: int = 64  # width d of the user and item embeddings, as in the paper
    # K propagation layers: the paper's 3 (at reg 1e-3, 2 gave 0.256 in tuning/lightgcn-lr-layers, 3 gave 0.261 in
    # tuning/lightgcn-reg)
    n_layers: int = 3  # K: propagation layers
    # L2 weight on the batch's layer-0 embeddings: the paper's 1e-4 gave validation NDCG@10 0.247, 1e-3 0.261
    # (3e-4 0.249, 3e-3 0.239, 1e-2 0.210; tuning/lightgcn-reg): this small, dense data set wants 10x the paper's
    reg: float = 1e-3  # L2 weight on the batch's layer-0 embeddings

    model: ClassVar[type[LightGCN]] = LightGCN  # subclasses name their model; all take the same graph

    def __post_init__(self) -> None:
        # n_layers=0 is matrix factorisation trained with BPR: allowed, and a useful ablation
        if self.n_layers < 0 or self.reg < 0:
            raise ConfigError(
                f"need n_layers >= 0 and reg >= 0, got n_layers={self.n_layers}, reg={self.reg}"
            )

    def build(self, data: TrainData) -> LightGCN:
        return self.model(data.n_users, data.n_items, normalized_adjacency(data.matrix), **self.to_dict())
