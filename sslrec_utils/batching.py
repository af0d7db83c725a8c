"""Training batch builders and dense row access, vectorised (no Python loop over users or items).

A batcher is made once per training run, ``batcher, n_batches = make_batcher(name, data, batch_size, device)``,
and then called once per epoch with a NumPy generator: ``for batch in batcher(rng): ...``. Models name theirs in
``Recommender.batcher``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

from sslrec_utils.models.base import Batch, TrainData
from sslrec_utils.splits import Sequences

DENSE_LIMIT = 2**26  # cells: matrices up to 64M cells (256 MB float32) are kept dense on the device


class RowTable:
    """Dense rows of a sparse matrix on a device: cached whole when small. When large, on a GPU its CSR arrays
    are kept there and each batch's rows are scattered into a dense block there (slicing on the host, then
    copying, had left the GPU waiting on the CPU at every batch of a large log); on the CPU, SciPy slices them
    (its zeroed blocks cost less than torch's: 8 ms against 22 ms for 500 rows of 20,000 columns).

    Args:
        matrix: (n_rows, n_cols) CSR matrix.
        device: where the rows are returned.
        gather_on_device: scatter the rows on `device` (default: unless it is the CPU).
    """

    def __init__(
        self, matrix: sp.csr_matrix, device: torch.device | str, gather_on_device: bool | None = None
    ) -> None:
        self.matrix = matrix.tocsr().astype(np.float32)
        self.device = torch.device(device)
        n_cells = matrix.shape[0] * matrix.shape[1]
        self.dense = (
            torch.from_numpy(self.matrix.toarray()).to(self.device) if n_cells <= DENSE_LIMIT else None
        )
        if gather_on_device is None:
            gather_on_device = self.device.type != "cpu"
        self.csr: tuple[Tensor, Tensor, Tensor] | None = None  # indptr, indices, values on the device
        if self.dense is None and gather_on_device:
            arrays = (
                self.matrix.indptr.astype(np.int64),
                self.matrix.indices.astype(np.int64),
                self.matrix.data,
            )
            self.csr = tuple(torch.as_tensor(a, device=self.device) for a in arrays)

    def __call__(self, rows: np.ndarray) -> Tensor:
        """(B,) row indices -> (B, n_cols) float32 tensor on the device."""
        if self.dense is not None:
            return self.dense[torch.as_tensor(rows, device=self.device)]
        if self.csr is None:
            return torch.from_numpy(self.matrix[rows].toarray()).to(self.device, non_blocking=True)
        indptr, indices, values = self.csr
        rows = torch.as_tensor(rows, dtype=torch.int64, device=self.device)
        starts = indptr[rows]
        counts = indptr[rows + 1] - starts
        # the stored entries of each row, in order: its start plus 0, 1, ... count - 1
        first = torch.cumsum(counts, 0) - counts  # where each row's entries begin among the gathered ones
        at = torch.arange(int(counts.sum()), device=self.device)
        entry = at + torch.repeat_interleave(starts - first, counts)
        block = torch.zeros(len(rows), self.matrix.shape[1], device=self.device)
        where = (torch.repeat_interleave(torch.arange(len(rows), device=self.device), counts), indices[entry])
        return block.index_put_(where, values[entry], accumulate=True)  # summed as toarray() sums


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
    ratings, ``mask`` (B, n_users) 1 where observed: where the matrix stores a rating, a rating of 0 too (on a
    scale such as -2..2 or 0..10)."""
    ratings = data.ratings.T.tocsr()
    stored = ratings.copy()
    stored.data[:] = 1.0
    table, observed = RowTable(ratings, device), RowTable(stored, device)
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
    users = np.asarray(users, dtype=np.int64)  # keys user * n_items + item overflow int32 on large matrices
    full = np.diff(matrix.indptr)[users] >= n_items
    if full.any():
        raise ValueError(f"user {int(users[full][0])} interacted with every item: no negative to sample")
    # (user, item) keys of positives in ascending order (CSR rows ascending, sorted indices within a row), so
    # membership is a binary search: np.isin on millions of keys is ~50x slower
    if not matrix.has_sorted_indices:
        matrix = matrix.sorted_indices()
    pos_keys = np.repeat(np.arange(matrix.shape[0], dtype=np.int64), np.diff(matrix.indptr)) * n_items
    pos_keys += matrix.indices

    table = None
    if matrix.shape[0] * n_items <= DENSE_LIMIT:  # a flat boolean table of all cells: ~15x faster lookups
        table = np.zeros(matrix.shape[0] * n_items, dtype=bool)
        table[pos_keys] = True

    def is_positive(keys: np.ndarray) -> np.ndarray:
        if table is not None:
            return table[keys]
        if not len(pos_keys):
            return np.zeros(keys.shape, bool)
        # queries in ascending order walk the sorted keys once, far faster than in an epoch's random order
        order = np.argsort(keys, kind="stable")
        at = np.minimum(np.searchsorted(pos_keys, keys[order]), len(pos_keys) - 1)
        found = np.empty(keys.shape, bool)
        found[order] = pos_keys[at] == keys[order]
        return found

    neg = rng.integers(0, n_items, size=(len(users), n_neg))
    flat, owner = neg.reshape(-1), np.repeat(users, n_neg)  # flat is a view of neg, in row-major order
    # only the redrawn cells are checked again, in the row-major order a boolean mask of all cells would take
    # them, so a seed draws the same negatives as checking every cell each round
    todo = np.flatnonzero(is_positive(owner * n_items + flat))
    while todo.size:
        flat[todo] = rng.integers(0, n_items, size=todo.size)
        todo = todo[is_positive(owner[todo] * n_items + flat[todo])]
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


def sequence_windows(
    seqs: Sequences, length: int, pad: int, stride: int | None = None, min_len: int = 2
) -> np.ndarray:
    """Windows of up to `length` consecutive items of each user, right-aligned and left-padded.

    Args:
        seqs: per-user sequences, oldest first.
        length: columns of each window.
        pad: padding index (``n_items``).
        stride: None for one window per user (their latest `length` items); else windows end at the user's
            last item, `stride` items earlier, `2 * stride` earlier, ... while at least `min_len` items remain.
        min_len: users (and windows) with fewer items are left out.

    Returns:
        (n_windows, length) int64, windows grouped by user (latest window first); built by fancy indexing,
        without a Python loop over users.
    """
    if stride is not None and stride < 1:
        raise ValueError(f"stride must be >= 1, got {stride}")
    lens = seqs.lengths()
    users = np.flatnonzero(lens >= min_len)
    n_win = np.ones(len(users), np.int64) if stride is None else (lens[users] - min_len) // stride + 1
    owner = np.repeat(users, n_win)
    k = np.arange(n_win.sum()) - np.repeat(np.cumsum(n_win) - n_win, n_win)  # 0 = latest window
    ends = seqs.indptr[owner + 1] - k * (stride or 0)  # exclusive offsets into seqs.items
    starts = np.maximum(seqs.indptr[owner], ends - length)
    idx = ends[:, None] - length + np.arange(length)  # (n_windows, length)
    return np.where(idx >= starts[:, None], seqs.items[np.maximum(idx, 0)], pad)


def _window_batches(
    windows: np.ndarray, batch_size: int, device: torch.device, to_batch: Callable[[Tensor], Batch]
) -> tuple[Batcher, int]:
    def batches(rng: np.random.Generator) -> Iterator[Batch]:
        for idx in _chunks(rng.permutation(len(windows)), batch_size):
            yield to_batch(torch.as_tensor(windows[idx], device=device))

    return batches, -(-len(windows) // batch_size)


def next_item(
    data: TrainData,
    batch_size: int,
    device: torch.device,
    *,
    max_len: int = 50,
    windows: Literal["all", "last"] = "all",
) -> tuple[Batcher, int]:
    """Next-item batches for causal models (SASRec): ``seqs`` (B, max_len) and ``targets`` (B, max_len), the
    same window shifted by one, ``-100`` where the input or the target is padding.

    The loss is taken at every position of a window at once (as in the SASRec paper and nanoGPT), instead of
    one example per prefix as RecBole does: the same targets for a fraction of the work. ``windows="all"`` tiles
    each user's whole training history with windows of ``max_len + 1`` items overlapping by one, so one epoch
    predicts every training item but each user's first exactly once (as RecBole's epoch over all prefixes);
    items far from a window's end see a shorter history than ``max_len``. ``"last"``: each user's latest
    window only. Users with fewer than 2 items are skipped.
    """
    stride = max_len if windows == "all" else None
    wins = sequence_windows(data.sequences, max_len + 1, data.n_items, stride)
    padded = wins == data.n_items
    targets = np.where(padded[:, 1:] | padded[:, :-1], -100, wins[:, 1:])  # no target without an input item
    table = np.concatenate([wins[:, :-1], targets], axis=1)

    def to_batch(rows: Tensor) -> Batch:
        return {"seqs": rows[:, :max_len], "targets": rows[:, max_len:]}

    return _window_batches(table, batch_size, device, to_batch)


def cloze(
    data: TrainData,
    batch_size: int,
    device: torch.device,
    *,
    max_len: int = 50,
    windows: Literal["all", "last"] = "all",
    stride: int | None = None,
) -> tuple[Batcher, int]:
    """Windows of ``max_len`` items for masked-item models (BERT4Rec): ``seqs`` (B, max_len), right-aligned;
    the model draws the masks itself (on its device, from the trainer's generator). ``windows="all"`` ends a
    window every `stride` items back from each user's latest (``None``: every ``max_len``, tiling the history
    without overlap; smaller strides overlap, up to one window per item with 1, as RecBole's prefixes),
    ``"last"`` keeps each user's latest window; users with fewer than 2 items are skipped, and so is a window of
    one item (tiling a history of ``k * max_len + 1`` items leaves its oldest item out)."""
    if windows == "last":
        stride = None
    elif stride is None:
        stride = max_len
    wins = sequence_windows(data.sequences, max_len, data.n_items, stride)
    return _window_batches(wins, batch_size, device, lambda rows: {"seqs": rows})


BATCHERS: dict[str, Callable[..., tuple[Batcher, int]]] = {  # (data, batch_size, device, **options)
    "user_rows": user_rows,
    "item_rows": item_rows,
    "bpr_triples": bpr_triples,
    "next_item": next_item,
    "cloze": cloze,
}


def make_batcher(
    name: str, data: TrainData, batch_size: int, device: torch.device, **options: Any
) -> tuple[Batcher, int]:
    """The batcher called `name`, prepared for `data`, and the number of batches per epoch.

    Args:
        name: a key of `BATCHERS` (a model's ``batcher``): ``"user_rows"``, ``"item_rows"``, ``"bpr_triples"``,
            ``"next_item"`` or ``"cloze"``.
        data: the training data.
        batch_size: users, items, triples or sequences per batch.
        device: where the batches' tensors are put.
        **options: the model's ``batcher_options()`` (e.g. ``max_len`` of a sequence model).

    Returns:
        ``(batcher, n_batches)``: ``batcher(rng)`` yields one epoch's batches in an order `rng` draws.

    Raises:
        ValueError: an unknown `name`, listing the valid ones.
    """
    if name not in BATCHERS:
        raise ValueError(f"unknown batcher {name!r}; valid: {sorted(BATCHERS)}")
    return BATCHERS[name](data, batch_size, device, **options)
