"""Item-based k-nearest neighbours (ItemKNN) with cosine similarity and shrinkage, as RecBole's ItemKNN.

The similarity of items i and j is ``s_ij = (x_i . x_j) / (||x_i|| ||x_j|| + shrink + 1e-6)`` over their
columns of the training matrix; ``shrink`` pulls similarities resting on few co-occurrences towards 0 and the
1e-6 keeps items never seen in training at 0. For every item j only its ``k`` most similar other items i are
kept; a user's score for j is ``sum_i x_ui s_ij`` over those neighbours, i.e. ``x_u S`` with a sparse ``S``.

One extension (0 gives RecBole's ItemKNN): ``user_weight`` gamma counts a co-occurrence in user u's history
with weight ``n_u^-gamma`` in the dot products and norms (as EASE's), so that heavy users, whose histories
pair almost everything with everything, say less about which items go together.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

from sslrec_utils.config import ConfigError
from sslrec_utils.models.base import Batch, ModelConfig, Recommender, TrainData
from sslrec_utils.models.ease import weight_users

BLOCK_CELLS = 2**22  # similarity cells computed at once (32 MB in float64)
DENSE_LIMIT = 2**26  # score through a dense S (256 MB float32) up to this many cells, else a sparse product


@dataclasses.dataclass(frozen=True)
class ItemKNNConfig(ModelConfig):
    """Hyperparameters of `ItemKNN`; ``sslrec models itemknn`` says what each means."""

    # k and shrink default to RecBole's; user_weight was chosen on mean validation NDCG@10 over seeds 2020-2022
    # (ml-100k holdout) from {0, 0.25, 0.5, 0.75, 1} x k {100, 200, 300} x shrink {0, 10} (at k=100, shrink=0:
    # 0.229 for 0, 0.245 for 1; benchmarks/results/tuning/itemknn-user-weight). The runner picks k and shrink
    # per split from `search_space`.
    name: ClassVar[str] = "itemknn"
    search_space: ClassVar[dict[str, tuple[int | float, ...]]] = {"k": (100, 200, 300), "shrink": (0.0, 10.0)}
    k: int = 100  # neighbours kept per item (capped at n_items - 1)
    shrink: float = 0.0  # added to the cosine's denominator: damps similarities of rarely co-consumed items
    user_weight: float = 1.0  # gamma: a co-occurrence in user u's history counts n_u^-gamma (0: RecBole's)

    def __post_init__(self) -> None:
        if self.k < 1 or self.shrink < 0 or self.user_weight < 0:
            raise ConfigError(
                f"need k >= 1, shrink >= 0, user_weight >= 0; got {self.k}, {self.shrink}, {self.user_weight}"
            )

    def build(self, data: TrainData) -> ItemKNN:
        return ItemKNN(data.n_items, self.k, self.shrink, self.user_weight)


def topk_cosine(
    matrix: sp.csr_matrix, k: int, shrink: float = 0.0, user_weight: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Each item's `k` most cosine-similar other items, computed a block of items at a time.

    Args:
        matrix: (n_users, n_items) CSR interactions.
        k: neighbours per item, at most ``n_items - 1``.
        shrink: shrinkage added to the denominator.
        user_weight: gamma of the per-user weights ``n_u^-gamma`` of co-occurrences.

    Returns:
        ``(neighbours, sims)``, both (n_items, k): row j holds item j's neighbours (int64, ascending index)
        and their similarities (float32). Items with fewer than k co-occurring items get neighbours of similarity 0;
        with a single item, its only "neighbour" is itself, at similarity 0.
    """
    x = weight_users(matrix, user_weight).tocsc()
    n_items = x.shape[1]
    norms = np.sqrt(np.asarray(x.power(2).sum(axis=0)).ravel())
    xt = x.T.tocsr()
    neighbours = np.empty((n_items, k), dtype=np.int64)
    sims = np.empty((n_items, k), dtype=np.float32)
    block = max(1, BLOCK_CELLS // n_items)
    for start in range(0, n_items, block):
        stop = min(start + block, n_items)
        sim = (xt @ x[:, start:stop]).toarray()  # (n_items, b): co-occurrences with the block's items
        sim /= norms[:, None] * norms[None, start:stop] + shrink + 1e-6
        sim[np.arange(start, stop), np.arange(stop - start)] = -np.inf  # an item is not its own neighbour
        top = np.sort(np.argpartition(-sim, k - 1, axis=0)[:k], axis=0)  # (k, b)
        neighbours[start:stop] = top.T
        sims[start:stop] = np.take_along_axis(sim, top, axis=0).T
    sims[np.isneginf(sims)] = 0.0  # an item's own -inf, kept only when k reaches past the others (one item)
    return neighbours, sims


class ItemKNN(Recommender):
    """Scores ``x_u S`` with the pruned cosine similarities ``S`` stored as fixed-size neighbour lists.

    Args:
        n_items: number of items.
        k: neighbours kept per item (capped at ``n_items - 1``).
        shrink: shrinkage of the cosine.
        user_weight: gamma of the per-user weights of co-occurrences.
    """

    batcher = "none"
    score_inputs = ("rows",)

    def __init__(self, n_items: int, k: int = 100, shrink: float = 0.0, user_weight: float = 1.0) -> None:
        super().__init__()
        self.n_items, self.k, self.shrink = n_items, max(1, min(k, n_items - 1)), shrink
        self.user_weight = user_weight
        # Row j: the items whose presence raises j's score, and by how much. Together they are S^T in CSR form.
        self.register_buffer("neighbours", torch.zeros(n_items, self.k, dtype=torch.int64))
        self.register_buffer("sims", torch.zeros(n_items, self.k))

    def fit(self, data: TrainData) -> None:
        neighbours, sims = topk_cosine(data.matrix, self.k, self.shrink, self.user_weight)
        # all 0 with shrink, but not without it (where items share no user, all 0 is the answer)
        if (
            self.shrink > 0
            and not sims.any()
            and topk_cosine(data.matrix, self.k, 0.0, self.user_weight)[1].any()
        ):
            raise ConfigError(
                f"every similarity of ItemKNN is 0, so every item scores alike: shrink={self.shrink} drowns "
                "them; lower shrink"
            )
        self.neighbours.copy_(torch.from_numpy(neighbours))
        self.sims.copy_(torch.from_numpy(sims))

    def forward(self, x: Tensor) -> Tensor:
        """(B, n_items) interaction rows -> (B, n_items) scores ``x S``."""
        if self.n_items**2 <= DENSE_LIMIT:  # a dense product beats torch's sparse kernels by far when it fits
            return x @ self.item_similarity()
        rows = torch.arange(self.n_items, device=x.device).repeat_interleave(self.k)
        s_t = torch.sparse_coo_tensor(
            torch.stack([rows, self.neighbours.reshape(-1)]),
            self.sims.reshape(-1),
            (self.n_items,) * 2,
            check_invariants=False,
        )
        return torch.sparse.mm(s_t.coalesce(), x.T).T  # (S^T x^T)^T

    def score(self, inputs: Batch) -> Tensor:
        return self(inputs["rows"])

    def item_similarity(self) -> Tensor:
        """``S`` (n_items, n_items) dense: entry (i, j) is ``s_ij`` if i is among j's k neighbours, else 0; how
        much having item i raises item j's score."""
        s = self.sims.new_zeros(self.n_items, self.n_items)
        targets = torch.arange(self.n_items, device=self.sims.device).repeat_interleave(self.k)
        s[self.neighbours.reshape(-1), targets] = self.sims.reshape(-1)
        return s
