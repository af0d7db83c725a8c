"""Ranking each user's items once (`rank_top`, `topk_hits`) and every per-user ``metric@k`` from that ranking
(`metrics_from_hits`, and one function per metric)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple, TypeVar

import numpy as np
import scipy.sparse as sp
import torch

METRICS = ("recall", "ndcg", "hit", "mrr", "precision", "map")

_T = TypeVar("_T")


class NaNScoresError(ValueError):
    """Scores with NaN, which rank nowhere, or (from a model, `train.make_score_fn`) infinite: a model whose
    weights diverged (`fit` says at which epoch)."""


class TopKHits(NamedTuple):
    """The shared core of all metrics for one batch of users.

    Attributes:
        items: (n_users, k) int64 tensor, the top-k item indices, best first.
        hits: (n_users, k) bool tensor, whether the item at each rank is relevant (and not excluded).
        n_relevant: (n_users,) int64 tensor, the number of relevant items of each user.
        allowed: (n_users, k) bool tensor, false where an excluded (-inf) item fills the tail of a list
            because fewer than k items were allowed: such an item is not a recommendation.
    """

    items: torch.Tensor
    hits: torch.Tensor
    n_relevant: torch.Tensor
    allowed: torch.Tensor


def _as_binary_csr(matrix: sp.spmatrix | sp.sparray) -> sp.csr_matrix:
    if not sp.issparse(matrix):
        raise TypeError(f"expected a scipy sparse matrix, got {type(matrix).__name__}")
    csr = sp.csr_matrix(matrix)
    if not csr.has_canonical_format or (csr.data == 0).any():
        csr = csr.copy()  # never modify the caller's matrix
        csr.sum_duplicates()
        csr.eliminate_zeros()
    return csr


def check_k(k: int, n_items: int) -> None:
    """Reject a cut-off that is not an int in ``[1, n_items]`` (TypeError, ValueError)."""
    if isinstance(k, bool) or not isinstance(k, int | np.integer):
        raise TypeError(f"k must be an int, got {k!r}")
    if not 1 <= k <= n_items:
        raise ValueError(f"k must lie in [1, n_items={n_items}], got {k}")


def _as_tuple(value: _T | Iterable[_T]) -> tuple[_T, ...]:
    """`ks` or metric names as a tuple without duplicates; a single one (a str, an int) becomes a 1-tuple, so
    that ``"ndcg"`` is not read as the names ``'n', 'd', 'c', 'g'``."""
    if isinstance(value, str) or not isinstance(value, Iterable):
        return (value,)
    return tuple(dict.fromkeys(value))


def _check_names(names: Sequence[str]) -> None:
    unknown = [n for n in names if n not in METRICS]
    if unknown:
        raise ValueError(f"unknown metric(s) {unknown}; valid: {list(METRICS)}")


def _row_coords(csr: sp.csr_matrix, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """(row, column) index tensors of the stored entries of `csr`, on `device`."""
    rows = np.repeat(np.arange(csr.shape[0]), np.diff(csr.indptr))
    return torch.from_numpy(rows).to(device), torch.from_numpy(csr.indices.astype(np.int64)).to(device)


def rank_top(scores: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The `k` best items of each row, best first, equal scores in item order (lowest index first).

    ``torch.topk`` alone picks among equal scores in an order that depends on `k` and the device. Here each
    float32 score becomes an int64 key that sorts as the score, with the item index (reversed) in its low 32
    bits, so no two keys are equal and every prefix of the ranking at `k` is the ranking at a smaller k. No
    int64 key holds a float64 score and an index: float64 scores are ranked by a stable sort, unrounded.

    Args:
        scores: (B, n_items) float tensor, no NaN; float64 is ranked as it is, other types as float32.
        k: how many items, ``1 <= k <= n_items``.

    Returns:
        ``(values, items)``: (B, k) scores and (B, k) int64 item indices.

    Raises:
        TypeError: if `scores` is not a 2-D tensor or `k` not an int.
        ValueError: if `k` lies outside ``[1, n_items]``.
    """
    if not isinstance(scores, torch.Tensor) or scores.ndim != 2:
        got = f"shape {tuple(scores.shape)}" if isinstance(scores, torch.Tensor) else type(scores).__name__
        raise TypeError(f"rank_top: scores must be a 2-D (B, n_items) tensor, got {got}")
    check_k(k, scores.shape[1])
    if scores.dtype == torch.float64:  # a stable sort keeps equal scores (-0.0 and +0.0 too) in item order
        values, items = torch.sort(scores, dim=1, descending=True, stable=True)
        return values[:, :k], items[:, :k]
    scores = scores.float() + 0.0  # -0.0 + 0.0 is +0.0: the two zeros must tie
    bits = scores.view(torch.int32)
    ordered = torch.where(bits < 0, bits ^ 0x7FFFFFFF, bits).long()  # sorts as the floats do
    index = torch.arange(scores.shape[1], device=scores.device)
    _, items = torch.topk(ordered * 2**32 + (2**32 - 1 - index), k, dim=1)
    return scores.gather(1, items), items


def topk_hits(scores: torch.Tensor, heldout: sp.spmatrix | sp.sparray, k: int) -> TopKHits:
    """Rank once and mark which of the top-k items are relevant.

    Args:
        scores: (n_users, n_items) float tensor on any device; excluded items already ``-inf``.
        heldout: (n_users, n_items) scipy sparse matrix; any stored non-zero marks a relevant item.
        k: the cut-off, ``1 <= k <= n_items``.

    Returns:
        `TopKHits` with tensors on the device of `scores`.

    Raises:
        TypeError: if `scores` is not a 2-D floating-point tensor (e.g. 1-D or integer), `heldout` is not a
            scipy sparse matrix (e.g. a dense array), or `k` is not an int.
        ValueError: on a shape mismatch, NaN scores, `k` outside ``[1, n_items]``, or users with no relevant
            item.
    """
    if not isinstance(scores, torch.Tensor) or scores.ndim != 2 or not scores.is_floating_point():
        got = (
            f"shape {tuple(scores.shape)} {scores.dtype}"
            if isinstance(scores, torch.Tensor)
            else type(scores).__name__
        )
        raise TypeError(f"scores must be a 2-D float tensor, got {got}")
    csr = _as_binary_csr(heldout)
    if csr.shape != tuple(scores.shape):
        raise ValueError(f"heldout has shape {csr.shape} but scores have shape {tuple(scores.shape)}")
    check_k(k, scores.shape[1])
    n_relevant = np.diff(csr.indptr)
    if (n_relevant == 0).any():
        raise ValueError(
            f"{int((n_relevant == 0).sum())} users have no held-out item (rows "
            f"{np.flatnonzero(n_relevant == 0)[:5].tolist()}...); drop them before evaluating"
        )
    if torch.isnan(scores).any():
        raise NaNScoresError(f"scores contain NaN in {int(torch.isnan(scores).any(dim=1).sum())} rows")
    top_scores, items = rank_top(scores, k)  # (B, k)
    relevant = torch.zeros(scores.shape, dtype=torch.bool, device=scores.device)  # (B, n_items)
    relevant[_row_coords(csr, scores.device)] = True
    # When fewer than k items are allowed, excluded (-inf) items fill the tail; they are not recommendations.
    allowed = top_scores > float("-inf")
    hits = relevant.gather(1, items) & allowed
    return TopKHits(items, hits, torch.from_numpy(n_relevant.astype(np.int64)).to(scores.device), allowed)


def metrics_from_hits(
    hits: torch.Tensor,
    n_relevant: torch.Tensor,
    ks: int | Sequence[int],
    names: str | Sequence[str] = METRICS,
) -> dict[str, torch.Tensor]:
    """Every requested ``metric@k`` from one hit matrix.

    Args:
        hits: (n_users, K) bool tensor, ``hits[u, i]`` true when the item at rank ``i + 1`` is relevant;
            ``K >= max(ks)``.
        n_relevant: (n_users,) int tensor, the number of relevant items of each user, each >= 1 (not
            checked: reading the values would wait for the GPU).
        ks: a cut-off or cut-offs, each in ``[1, K]``.
        names: a metric name or names from `METRICS`.

    Returns:
        ``{"recall@10": (n_users,) float32 tensor, ...}``, ordered by name, then k.

    Raises:
        TypeError: if `hits` or `n_relevant` is not a tensor, or a cut-off is not an int.
        ValueError: if `hits` is not 2-D, `n_relevant` is not (n_users,), `ks` is empty or a cut-off lies
            outside ``[1, K]``, or a name is unknown.
    """
    ks, names = _as_tuple(ks), _as_tuple(names)
    _check_names(names)
    if not isinstance(hits, torch.Tensor) or not isinstance(n_relevant, torch.Tensor):
        raise TypeError(
            f"hits and n_relevant must be tensors, got {type(hits).__name__} and {type(n_relevant).__name__}"
        )
    if hits.ndim != 2:
        raise ValueError(f"hits must be a 2-D (n_users, K) tensor, got shape {tuple(hits.shape)}")
    if tuple(n_relevant.shape) != hits.shape[:1]:
        raise ValueError(
            f"n_relevant must have shape (n_users,) = ({hits.shape[0]},) as hits {tuple(hits.shape)}, got "
            f"{tuple(n_relevant.shape)}"
        )
    if not ks:
        raise ValueError("ks is empty")
    for k in ks:
        check_k(k, hits.shape[1])
    h = hits[:, : max(ks)].float()  # (B, K)
    ranks = torch.arange(1, h.shape[1] + 1, device=h.device, dtype=h.dtype)  # (K,)
    n_rel = n_relevant.to(h.device, h.dtype)  # (B,)
    n_hits = h.cumsum(1)  # (B, K): hits within the top i
    discount = 1.0 / torch.log2(ranks + 1)  # (K,)
    dcg = (h * discount).cumsum(1)  # (B, K)
    ideal = discount.cumsum(0)  # (K,): IDCG of a user with at least i relevant items
    average_precision = (h * n_hits / ranks).cumsum(1)  # (B, K), not yet normalised
    first_rank = torch.where(h.any(1), h.argmax(1).to(h.dtype) + 1, torch.inf)  # (B,)

    def depth(k: int) -> torch.Tensor:  # min(k, n_rel): the most hits a top-k list can hold
        return n_rel.clamp(max=k)

    formulas: dict[str, Callable[[int], torch.Tensor]] = {  # each maps k to a (B,) tensor
        "recall": lambda k: n_hits[:, k - 1] / n_rel,
        "precision": lambda k: n_hits[:, k - 1] / k,
        "hit": lambda k: (n_hits[:, k - 1] > 0).to(h.dtype),
        "mrr": lambda k: torch.where(first_rank <= k, 1.0 / first_rank, 0.0),
        "ndcg": lambda k: dcg[:, k - 1] / ideal[depth(k).long() - 1],
        "map": lambda k: average_precision[:, k - 1] / depth(k),
    }
    return {f"{name}@{k}": formulas[name](k) for name in names for k in ks}


def _metric(name: str, scores: torch.Tensor, heldout: sp.spmatrix | sp.sparray, k: int) -> torch.Tensor:
    top = topk_hits(scores, heldout, k)
    return metrics_from_hits(top.hits, top.n_relevant, (k,), (name,))[f"{name}@{k}"]


def recall_at_k(scores: torch.Tensor, heldout: sp.spmatrix | sp.sparray, k: int) -> torch.Tensor:
    """Recall@k = hits in the top k / number of relevant items.

    Args:
        scores: (n_users, n_items) float tensor, excluded items already ``-inf``.
        heldout: (n_users, n_items) scipy CSR of binary relevance, at least one relevant item per user.
        k: the cut-off, in ``[1, n_items]``.

    Returns:
        (n_users,) float32 tensor on the device of `scores`.

    Raises:
        TypeError: if `scores` is not a 2-D float tensor, `heldout` not scipy sparse, or `k` not an int.
        ValueError: on a shape mismatch, NaN scores, `k` outside ``[1, n_items]``, or a user with no relevant
            item.
    """
    return _metric("recall", scores, heldout, k)


def precision_at_k(scores: torch.Tensor, heldout: sp.spmatrix | sp.sparray, k: int) -> torch.Tensor:
    """Precision@k = hits in the top k / k.

    Args and Returns as `recall_at_k`.

    Raises:
        TypeError, ValueError: on bad arguments, as `recall_at_k`.
    """
    return _metric("precision", scores, heldout, k)


def hit_at_k(scores: torch.Tensor, heldout: sp.spmatrix | sp.sparray, k: int) -> torch.Tensor:
    """Hit@k = 1 if any relevant item is in the top k, else 0.

    Args and Returns as `recall_at_k`.

    Raises:
        TypeError, ValueError: on bad arguments, as `recall_at_k`.
    """
    return _metric("hit", scores, heldout, k)


def mrr_at_k(scores: torch.Tensor, heldout: sp.spmatrix | sp.sparray, k: int) -> torch.Tensor:
    """MRR@k = 1 / rank of the first relevant item in the top k (0 if none).

    Args and Returns as `recall_at_k`.

    Raises:
        TypeError, ValueError: on bad arguments, as `recall_at_k`.
    """
    return _metric("mrr", scores, heldout, k)


def ndcg_at_k(scores: torch.Tensor, heldout: sp.spmatrix | sp.sparray, k: int) -> torch.Tensor:
    """NDCG@k with binary gains and ``1 / log2(rank + 1)`` discounts; IDCG over min(k, n_relevant) ranks.

    Args and Returns as `recall_at_k`.

    Raises:
        TypeError, ValueError: on bad arguments, as `recall_at_k`.
    """
    return _metric("ndcg", scores, heldout, k)


def map_at_k(scores: torch.Tensor, heldout: sp.spmatrix | sp.sparray, k: int) -> torch.Tensor:
    """MAP@k = sum over ranks i <= k of Precision@i * rel_i, divided by min(k, n_relevant).

    Args and Returns as `recall_at_k`.

    Raises:
        TypeError, ValueError: on bad arguments, as `recall_at_k`.
    """
    return _metric("map", scores, heldout, k)
