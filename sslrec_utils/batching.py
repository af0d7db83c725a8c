"""Training batch builders and dense row access, vectorised (no Python loop over users or items).

A batcher is made once per training run, ``make_batcher(name, data, batch_size, device)``, and then called once
per epoch with a NumPy generator: ``for batch in batcher(rng): ...``. Models name theirs in
``Recommender.batcher``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

from sslrec_utils.models.base import Batch, TrainData

DENSE_LIMIT = 2**26  # cells: matrices up to 64M cells (256 MB float32) are kept dense on the device


class RowTable:
    """Dense rows of a sparse matrix on a device: cached whole when small, sliced per batch when large.

    Args:
        matrix: (n_rows, n_cols) CSR matrix.
        device: where the rows are returned.
    """

    def __init__(self, matrix: sp.csr_matrix, device: torch.device | str) -> None:
        self.matrix = matrix.tocsr().astype(np.float32)
        self.device = torch.device(device)
        n_cells = matrix.shape[0] * matrix.shape[1]
        self.dense = (
            torch.from_numpy(self.matrix.toarray()).to(self.device) if n_cells <= DENSE_LIMIT else None
        )

    def __call__(self, rows: np.ndarray) -> Tensor:
        """(B,) row indices -> (B, n_cols) float32 tensor on the device."""
        if self.dense is not None:
            return self.dense[torch.as_tensor(rows, device=self.device)]
        return torch.from_numpy(self.matrix[rows].toarray()).to(self.device, non_blocking=True)


Batcher = Callable[[np.random.Generator], Iterator[Batch]]


def _chunks(order: np.ndarray, batch_size: int) -> Iterator[np.ndarray]:
    for start in range(0, len(order), batch_size):
        yield order[start : start + batch_size]


def user_rows(data: TrainData, batch_size: int, device: torch.device) -> tuple[Batcher, int]:
    """Batches of users with their training rows: ``users`` (B,), ``rows`` (B, n_items) 0/1."""
    table = RowTable(data.matrix, device)
    active = np.flatnonzero(np.diff(data.matrix.indptr) > 0)

    def batches(rng: np.random.Generator) -> Iterator[Batch]:
        for users in _chunks(rng.permutation(active), batch_size):
            yield {"users": torch.as_tensor(users, device=device), "rows": table(users)}

    return batches, -(-len(active) // batch_size)


def item_rows(data: TrainData, batch_size: int, device: torch.device) -> tuple[Batcher, int]:
    """Batches of items with their observed ratings (I-AutoRec): ``items`` (B,), ``rows`` (B, n_users)
    ratings, ``mask`` (B, n_users) 1 where observed."""
    ratings = data.ratings.T.tocsr()
    table, observed = RowTable(ratings, device), RowTable((ratings != 0).astype(np.float32), device)
    active = np.flatnonzero(np.diff(ratings.indptr) > 0)

    def batches(rng: np.random.Generator) -> Iterator[Batch]:
        for items in _chunks(rng.permutation(active), batch_size):
            yield {
                "items": torch.as_tensor(items, device=device),
                "rows": table(items),
                "mask": observed(items),
            }

    return batches, -(-len(active) // batch_size)


def sample_negatives(
    matrix: sp.csr_matrix, users: np.ndarray, rng: np.random.Generator, n_neg: int = 1
) -> np.ndarray:
    """Uniformly sample items each user has not interacted with.

    Args:
        matrix: (n_users, n_items) CSR with sorted indices marking positives.
        users: (B,) user indices.
        rng: NumPy generator.
        n_neg: negatives per user.

    Returns:
        (B, n_neg) int64 item indices, none of them a positive of its user (rejection sampling, vectorised).
    """
    n_items = matrix.shape[1]
    full = np.diff(matrix.indptr)[users] >= n_items
    if full.any():
        raise ValueError(f"user {int(users[full][0])} interacted with every item: no negative to sample")
    pos_keys = np.repeat(np.arange(matrix.shape[0], dtype=np.int64), np.diff(matrix.indptr)) * n_items
    pos_keys += matrix.indices
    neg = rng.integers(0, n_items, size=(len(users), n_neg))
    bad = np.isin(users[:, None] * n_items + neg, pos_keys)
    while bad.any():
        neg[bad] = rng.integers(0, n_items, size=int(bad.sum()))
        bad = np.isin(users[:, None] * n_items + neg, pos_keys)
    return neg


def bpr_triples(data: TrainData, batch_size: int, device: torch.device) -> tuple[Batcher, int]:
    """One epoch = every training interaction once, in random order, each with a sampled negative:
    ``users``, ``pos``, ``neg`` (B,) int64."""
    coo = data.matrix.tocoo()
    users_all, items_all = coo.row.astype(np.int64), coo.col.astype(np.int64)

    def batches(rng: np.random.Generator) -> Iterator[Batch]:
        order = rng.permutation(len(users_all))
        neg_all = sample_negatives(data.matrix, users_all[order], rng)[:, 0]
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            yield {
                "users": torch.as_tensor(users_all[idx], device=device),
                "pos": torch.as_tensor(items_all[idx], device=device),
                "neg": torch.as_tensor(neg_all[start : start + batch_size], device=device),
            }

    return batches, -(-len(users_all) // batch_size)


BATCHERS: dict[str, Callable[[TrainData, int, torch.device], tuple[Batcher, int]]] = {
    "user_rows": user_rows,
    "item_rows": item_rows,
    "bpr_triples": bpr_triples,
}


def make_batcher(name: str, data: TrainData, batch_size: int, device: torch.device) -> tuple[Batcher, int]:
    """The batcher called `name`, prepared for `data`, and the number of batches per epoch."""
    if name not in BATCHERS:
        raise ValueError(f"unknown batcher {name!r}; valid: {sorted(BATCHERS)}")
    return BATCHERS[name](data, batch_size, device)
