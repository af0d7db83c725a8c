"""Item-to-item next-item baseline: what followed the user's latest item in other users' histories.

``C[i, j]`` counts the times item j came right after item i in the training sequences. A user whose latest item
is i gets the smoothed transition probabilities ``(C[i, j] + a * p_j) / (sum_j C[i, j] + a)``, with ``p`` the
items' training popularity (shares summing to 1) and ``a = smoothing``: a Dirichlet prior, so that popularity
ranks the items never seen after i, and decides alone for an item never seen followed by anything (with
``a = 0`` too, as the limit a -> 0 of that case).
A first-order Markov chain fitted in closed form, from a sparse matrix.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

from sslrec_utils.config import ConfigError
from sslrec_utils.models.base import Batch, ModelConfig, Recommender, TrainData


@dataclasses.dataclass(frozen=True)
class ItemNextConfig(ModelConfig):
    """Hyperparameters of `ItemNext`; ``sslrec models itemnext`` says what each means."""

    name: ClassVar[str] = "itemnext"
    search_space: ClassVar[dict[str, tuple[Any, ...]]] = {"smoothing": (0.1, 1.0, 10.0, 100.0)}
    smoothing: float = 1.0  # a: weight of the popularity prior, in pseudo-transitions

    def __post_init__(self) -> None:
        if (
            not 0 <= self.smoothing <= 1e30
        ):  # float32 scores overflow beyond; long before, it is popularity alone
            raise ConfigError(f"smoothing must lie in [0, 1e30], got {self.smoothing}")

    def build(self, data: TrainData) -> ItemNext:
        return ItemNext(data.n_items, self.smoothing)


def transition_counts(indptr: np.ndarray, items: np.ndarray, n_items: int) -> sp.csr_matrix:
    """(n_items, n_items) CSR: entry (i, j) counts consecutive pairs i -> j within the sequences."""
    same_user = np.ones(len(items), bool)
    ends = indptr[1:-1]  # no pair from one user's last item to the next user's first
    same_user[ends[ends > 0] - 1] = False  # (an end at 0, after users without items, ends no item)
    src, dst = items[:-1][same_user[:-1]], items[1:][same_user[:-1]]
    return sp.csr_matrix((np.ones(len(src), np.float32), (src, dst)), shape=(n_items, n_items))


class ItemNext(Recommender):
    """First-order transition scores from the latest item of the input sequence.

    Args:
        n_items: number of items (also the padding index).
        smoothing: popularity prior weight `a`.
    """

    batcher = "none"
    score_inputs = ("seqs",)
    max_len = 1  # only the latest item is read

    def __init__(self, n_items: int, smoothing: float = 1.0) -> None:
        super().__init__()
        self.n_items, self.smoothing = n_items, smoothing
        # the sparse matrix as CSR arrays; their sizes are known after `fit` (see _load_from_state_dict)
        self.register_buffer("indptr", torch.zeros(n_items + 1, dtype=torch.int64))
        self.register_buffer("indices", torch.zeros(0, dtype=torch.int64))
        self.register_buffer("counts", torch.zeros(0))
        self.register_buffer("popularity", torch.zeros(n_items))

    def fit(self, data: TrainData) -> None:
        C = transition_counts(data.sequences.indptr, data.sequences.items, self.n_items)
        pop = np.asarray(data.matrix.sum(axis=0)).ravel()
        dev = self.device
        self.indptr = torch.from_numpy(C.indptr.astype(np.int64)).to(dev)
        self.indices = torch.from_numpy(C.indices.astype(np.int64)).to(dev)
        self.counts = torch.from_numpy(C.data.astype(np.float32)).to(dev)
        self.popularity = torch.from_numpy((pop / max(pop.sum(), 1)).astype(np.float32)).to(dev)

    def _load_from_state_dict(
        self, state_dict: dict[str, Any], prefix: str, *args: Any, **kwargs: Any
    ) -> None:
        for name in ("indices", "counts"):
            if prefix + name in state_dict:  # resize to the fitted number of transitions before copying
                setattr(self, name, torch.empty_like(state_dict[prefix + name], device=self.device))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def forward(self, last: Tensor) -> Tensor:
        """(B,) latest items (``n_items`` for none) -> (B, n_items) smoothed transition probabilities."""
        B = last.shape[0]
        has = last < self.n_items
        row = torch.where(has, last, 0)
        start, n = self.indptr[row], torch.where(has, self.indptr[row + 1] - self.indptr[row], 0)
        who = torch.repeat_interleave(torch.arange(B, device=last.device), n)  # gather the B sparse rows
        pos = torch.arange(int(n.sum()), device=last.device) - torch.repeat_interleave(n.cumsum(0) - n, n)
        nz = torch.repeat_interleave(start, n) + pos
        out = self.smoothing * self.popularity.expand(B, -1).clone()
        out[who, self.indices[nz]] += self.counts[nz]
        total = torch.zeros(B, device=last.device).index_add_(0, who, self.counts[nz]) + self.smoothing
        probs = out / total.clamp_min(1e-12)[:, None]
        if self.smoothing > 0:
            return probs
        # total is 0 only when smoothing = 0 and i was never followed: popularity, the limit of the smoothed row
        return torch.where((total > 0)[:, None], probs, self.popularity)

    def score(self, inputs: Batch) -> Tensor:
        return self(inputs["seqs"][:, -1])
