"""Full-ranking evaluation of many users in batches (`evaluate`), item coverage, and the one-line summary."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from tqdm import tqdm

from sslrec_utils.data.core import sorted_unique
from sslrec_utils.metrics.ranking import (
    METRICS,
    _as_binary_csr,
    _as_tuple,
    _check_names,
    _row_coords,
    check_k,
    metrics_from_hits,
    topk_hits,
)


@dataclass(frozen=True)
class EvalResult:
    """What `evaluate` returns.

    Attributes:
        summary: ``{"recall@10": mean over users, ..., "coverage@10": fraction of items recommended, ...}``.
        per_user: one row per evaluated user (index ``user``), one column per ``metric@k``.
        n_users: the number of evaluated users.
    """

    summary: dict[str, float]
    per_user: pd.DataFrame
    n_users: int


def _covered(topk_items: torch.Tensor, n_items: int, allowed: torch.Tensor | None = None) -> torch.Tensor:
    """(n_items,) bool tensor: which items appear in at least one row of `topk_items` (n_users, k), counting
    only the ranks where `allowed` (n_users, k) is true when it is given."""
    if allowed is None:
        allowed = torch.ones_like(topk_items, dtype=torch.bool)
    # a count per item, not a boolean mask of the list: no host synchronisation on a GPU
    counts = torch.zeros(n_items, dtype=torch.int32, device=topk_items.device)
    counts.index_add_(0, topk_items.reshape(-1), allowed.reshape(-1).int())
    return counts > 0


def item_coverage_at_k(topk_items: torch.Tensor, n_items: int, allowed: torch.Tensor | None = None) -> float:
    """Fraction of all `n_items` items that appear in at least one user's top-k list.

    Args:
        topk_items: (n_users, k) int tensor of recommended item indices, each in ``[0, n_items)``.
        n_items: the size of the catalogue.
        allowed: optional (n_users, k) bool tensor (`TopKHits.allowed`): only these ranks count.

    Returns:
        The fraction, in ``[0, 1]``.

    Raises:
        TypeError: if `topk_items` is not an integer tensor or `n_items` not an int.
        ValueError: if `n_items` < 1, `allowed` does not have the shape of `topk_items`, or
            an index lies outside ``[0, n_items)``.
    """
    if isinstance(n_items, bool) or not isinstance(n_items, int | np.integer):
        raise TypeError(f"n_items must be an int, got {n_items!r}")
    if n_items < 1:
        raise ValueError(f"n_items must be >= 1, got {n_items}")
    if not isinstance(topk_items, torch.Tensor):
        raise TypeError(f"topk_items must be an integer tensor, got {type(topk_items).__name__}")
    if topk_items.is_floating_point() or topk_items.is_complex() or topk_items.dtype == torch.bool:
        raise TypeError(f"topk_items must be an integer tensor, got {topk_items.dtype}")
    if allowed is not None and allowed.shape != topk_items.shape:
        raise ValueError(
            f"allowed has shape {tuple(allowed.shape)} but topk_items has shape {tuple(topk_items.shape)}"
        )
    # This function reads its result back anyway, so one more read to check the range costs little; out of
    # range, index_add_ fails with a bare IndexError on the CPU and a device-side assert on a GPU.
    if topk_items.numel() and bool(((topk_items < 0) | (topk_items >= n_items)).any()):
        low, high = int(topk_items.min()), int(topk_items.max())
        raise ValueError(f"topk_items must lie in [0, n_items={n_items}), got range [{low}, {high}]")
    return float(_covered(topk_items.long(), int(n_items), allowed).float().mean())


def evaluate(
    score_fn: Callable[[np.ndarray], torch.Tensor],
    users: np.ndarray,
    heldout: sp.spmatrix | sp.sparray,
    exclude: sp.spmatrix | sp.sparray | None = None,
    *,
    ks: int | Sequence[int] = (10, 20),
    metrics: str | Sequence[str] = METRICS,
    batch_size: int = 1024,
    device: str | torch.device | None = None,
    progress: bool = False,
) -> EvalResult:
    """Full-ranking evaluation of `users`, scored in batches of `batch_size`.

    Args:
        score_fn: maps ``(B,) int64`` user indices to a ``(B, n_items)`` float tensor on any device.
        users: (n_eval,) distinct row indices into `heldout` and `exclude`.
        heldout: (n_users_total, n_items) scipy CSR of relevant items; every evaluated user needs one.
        exclude: (n_users_total, n_items) scipy CSR of items removed from the ranking (set to ``-inf``),
            e.g. the training items; None keeps all items.
        ks: a cut-off or cut-offs; all are computed from one top-``max(ks)``.
        metrics: a name or names from `METRICS`.
        batch_size: users per call of `score_fn`; at most one batch of scores (plus its masked copy) is held.
        device: where to rank; None ranks on the device `score_fn` returns.
        progress: show a tqdm bar over batches.

    Returns:
        `EvalResult` with means, ``coverage@k`` for every k, and per-user values.
    """
    heldout = _as_binary_csr(heldout)
    n_total, n_items = heldout.shape
    if exclude is not None:
        exclude = _as_binary_csr(exclude)
        if exclude.shape != heldout.shape:
            raise ValueError(f"exclude has shape {exclude.shape} but heldout has shape {heldout.shape}")
    ks, metrics = _as_tuple(ks), _as_tuple(metrics)
    if not ks:
        raise ValueError("ks is empty")
    for k in ks:
        check_k(k, n_items)
    _check_names(metrics)
    if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    users = np.asarray(users)
    if users.ndim != 1 or len(users) == 0 or not np.issubdtype(users.dtype, np.integer):
        raise ValueError(f"users must be a non-empty 1-D int array, got shape {users.shape} {users.dtype}")
    if users.min() < 0 or users.max() >= n_total:
        raise ValueError(f"users must lie in [0, {n_total}), got range [{users.min()}, {users.max()}]")
    n_distinct = len(sorted_unique(users))
    if n_distinct != len(users):
        raise ValueError(f"users contains {len(users) - n_distinct} duplicates")
    users = users.astype(np.int64)
    empty = users[np.diff(heldout.indptr)[users] == 0]
    if len(empty):
        raise ValueError(
            f"{len(empty)} users have no held-out item (e.g. {empty[:5].tolist()}); drop them from `users`"
        )

    k_max = max(ks)
    columns: dict[str, list[torch.Tensor]] = {f"{n}@{k}": [] for n in metrics for k in ks}
    seen: dict[int, torch.Tensor] = {}
    starts = range(0, len(users), batch_size)
    with torch.inference_mode():
        for start in tqdm(starts, desc="evaluate", unit="batch", disable=not progress):
            batch = users[start : start + batch_size]  # (B,)
            scores = score_fn(batch)
            if not isinstance(scores, torch.Tensor) or tuple(scores.shape) != (len(batch), n_items):
                got = tuple(scores.shape) if isinstance(scores, torch.Tensor) else type(scores).__name__
                raise ValueError(f"score_fn must return a ({len(batch)}, {n_items}) tensor, got {got}")
            if device is not None:
                scores = scores.to(device)
            if exclude is not None:
                # Out of place: score_fn may return a view of a model's buffer (popularity.expand(B, -1)).
                idx = _row_coords(exclude[batch], scores.device)
                scores = scores.index_put(idx, scores.new_full((), -torch.inf))
            top = topk_hits(scores, heldout[batch], k_max)
            for key, value in metrics_from_hits(top.hits, top.n_relevant, ks, metrics).items():
                columns[key].append(value.cpu())
            for k in ks:
                covered = _covered(top.items[:, :k], n_items, top.allowed[:, :k]).cpu()
                seen[k] = covered if k not in seen else seen[k] | covered

    per_user = pd.DataFrame(
        {key: torch.cat(parts).double().numpy() for key, parts in columns.items()},
        index=pd.Index(users, name="user"),
    )
    summary = {key: float(per_user[key].mean()) for key in per_user.columns}
    summary.update({f"coverage@{k}": float(seen[k].double().mean()) for k in ks})
    return EvalResult(summary=summary, per_user=per_user, n_users=len(users))


def format_metrics(summary: dict[str, float], digits: int = 4) -> str:
    """One line for logs and notebooks: ``"recall@10=0.1234  ndcg@10=0.0567"``."""
    return "  ".join(f"{key}={value:.{digits}f}" for key, value in summary.items())
