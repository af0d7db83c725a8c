"""Small tools for the applications of chapter 8: nearest neighbours in an embedding space, look-alike audience
expansion, taste overlap between users, and a transparent text representation of items for cold start.

    idx, sim = cosine_neighbours(user_emb, [0, 5], k=10)   # (2, 10) nearest users of users 0 and 5
    ranked, score = lookalike(user_emb, seed_users)         # every other user, most similar to the seed first
    jaccard(matrix, [0, 0], [1, 2])                         # overlap of the item sets of users 0/1 and 0/2
    features, vocab = tfidf(["toy story animation", ...])   # (n_docs, n_terms) L2-normalised TF-IDF rows
    profile_scores(history, features, new_features)         # (n_users, n_new) cosine of user profile and new item
    roc_auc(scores, positives)                              # chance that a positive outranks a negative
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from torch import Tensor

# a word: letters and digits, joined by inner hyphens and apostrophes (sci-fi, children's, film-noir, don't)
_TOKEN = re.compile(r"[^\W_]+(?:['\u2019-][^\W_]+)*", re.UNICODE)


def _row_indices(values: Sequence[int] | np.ndarray, n: int, what: str) -> np.ndarray:
    """`values` as a (p,) int64 array, after refusing a non-integer (a float is not truncated) with a
    TypeError, and with a ValueError anything but one dimension or an index outside ``[0, n)`` (a negative
    one does not count from the end)."""
    rows = np.asarray(values)
    if rows.ndim != 1:
        raise ValueError(f"{what} must be a 1-D sequence of row indices, got shape {rows.shape}")
    if rows.size == 0:
        return np.zeros(0, dtype=np.int64)
    if rows.dtype == bool or not np.issubdtype(rows.dtype, np.integer):
        raise TypeError(f"{what} must be integer row indices, got {rows.dtype} values {rows.tolist()[:5]}")
    if rows.min() < 0 or rows.max() >= n:
        raise ValueError(f"{what} must be row indices in [0, {n - 1}], got {rows.tolist()[:5]}")
    return rows.astype(np.int64)


def _unit_rows(
    emb: Tensor | np.ndarray, queries: Sequence[int] | np.ndarray, what: str
) -> tuple[Tensor, np.ndarray]:
    """`emb` as float32 on the CPU with L2-normalised rows, after checking that it is finite, and `queries`
    (the queries or seeds) as checked row indices (`_row_indices`) of rows with a direction (non-zero)."""
    x = torch.as_tensor(emb).detach().float().cpu()  # GPU-trained embeddings too
    if x.ndim != 2:  # one vector per row: a single embedding had failed with "Dimension out of range"
        raise ValueError(
            f"the embeddings must be a 2-D (n, d) array, one row each, got shape {tuple(x.shape)}"
        )
    if not torch.isfinite(x).all():
        raise ValueError("the embeddings hold NaN or infinite values (a diverged training?)")
    rows = _row_indices(queries, x.shape[0], what)
    zero = rows[(x[torch.as_tensor(rows)].norm(dim=1) == 0).numpy()] if rows.size else rows
    if zero.size:
        raise ValueError(f"{what} {zero.tolist()[:5]} have all-zero embeddings: no direction to compare")
    return F.normalize(x, dim=1), rows


def cosine_neighbours(
    emb: Tensor | np.ndarray, queries: Sequence[int] | np.ndarray, k: int, *, exclude_self: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """The `k` rows of `emb` most cosine-similar to each query row.

    Args:
        emb: (n, d) embeddings (users or items).
        queries: (q,) integer row indices to find neighbours for, in ``[0, n)``.
        k: neighbours per query, 1 <= k < n.
        exclude_self: leave the query row out of its own neighbours.

    Returns:
        ``(indices, similarities)``, each (q, k), most similar first.

    Raises:
        TypeError: `queries` are not integers, or `k` is not an int.
        ValueError: `emb` is not 2-D; a query outside ``[0, n)`` or not 1-D; `k` outside ``[1, n - 1]``; NaN
            or infinite embeddings; a query whose embedding is all zeros (no direction to compare).
    """
    x, rows = _unit_rows(emb, queries, "queries")
    q = torch.as_tensor(rows)
    if isinstance(k, bool) or not isinstance(k, int | np.integer):
        raise TypeError(f"k must be an int, got {k!r}")
    if not 1 <= k < x.shape[0]:
        raise ValueError(f"k must lie in [1, {x.shape[0] - 1}] for {x.shape[0]} rows, got {k}")
    sims = x[q] @ x.T  # (q, n)
    if exclude_self:
        sims[torch.arange(len(q)), q] = -torch.inf
    top = sims.topk(k, dim=1)
    return top.indices.numpy(), top.values.numpy()


def lookalike(emb: Tensor | np.ndarray, seeds: Sequence[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Look-alike expansion: every non-seed row ranked by cosine similarity to the seed audience's centroid.

    The centroid is the mean of the seeds' L2-normalised embeddings, so every seed counts equally.

    Args:
        emb: (n, d) user embeddings.
        seeds: (s,) integer row indices of the seed audience, in ``[0, n)``, at least one.

    Returns:
        ``(candidates, scores)``: (n - s,) indices of the other rows (s distinct seeds), best first, and their
        cosine scores.

    Raises:
        TypeError: `seeds` are not integers.
        ValueError: no seed; a seed outside ``[0, n)`` or not 1-D; NaN or infinite embeddings; a seed whose
            embedding is all zeros.
    """
    if np.size(seeds) == 0:
        raise ValueError("the seed audience is empty")
    x, seeds = _unit_rows(emb, seeds, "seeds")
    seeds = np.unique(seeds)
    centroid = F.normalize(x[torch.as_tensor(seeds)].mean(dim=0), dim=0)
    scores = (x @ centroid).numpy()
    others = np.setdiff1d(np.arange(x.shape[0]), seeds)
    order = others[np.argsort(-scores[others], kind="stable")]
    return order, scores[order]


def jaccard(
    matrix: sp.csr_matrix, a: Sequence[int] | np.ndarray, b: Sequence[int] | np.ndarray
) -> np.ndarray:
    """Jaccard overlap ``|A & B| / |A | B|`` of the item sets of row pairs ``(a[i], b[i])`` (0 if both empty).

    Args:
        matrix: (n_users, n_items) interactions; any non-zero counts as present.
        a: (p,) integer row indices, in ``[0, n_users)``.
        b: (p,) integer row indices, in ``[0, n_users)``.

    Returns:
        (p,) float64 overlaps.

    Raises:
        TypeError: `a` or `b` are not integers.
        ValueError: an index outside ``[0, n_users)``; `a` and `b` not 1-D or of different lengths.
    """
    x = (sp.csr_matrix(matrix) != 0).astype(np.float64).tocsr()
    a, b = _row_indices(a, x.shape[0], "a"), _row_indices(b, x.shape[0], "b")
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same length, got {a.shape} and {b.shape}")
    both = np.asarray(x[a].multiply(x[b]).sum(axis=1)).ravel()
    sizes = np.diff(x.indptr)
    union = sizes[a] + sizes[b] - both
    return np.divide(both, union, out=np.zeros_like(both), where=union > 0)


def tokenize(text: str | None) -> list[str]:
    """Lower-case word tokens of `text`: runs of letters and digits, kept whole across an inner hyphen or
    apostrophe (``"Sci-Fi"`` is one term, as genre names are), split at any other punctuation or space.

    A missing text (``None``, NaN or ``pd.NA``, the gaps of a pandas column) has no tokens.

    Raises:
        TypeError: if `text` is neither a str nor missing.
    """
    if isinstance(text, str):
        return _TOKEN.findall(text.lower())
    if text is None or (pd.api.types.is_scalar(text) and pd.isna(text)):
        return []
    raise TypeError(f"text must be a str or missing (None, NaN), got {type(text).__name__} {text!r:.50}")


def tfidf(docs: Sequence[str], *, min_df: int = 1) -> tuple[sp.csr_matrix, list[str]]:
    """TF-IDF vectors of short documents, rows L2-normalised.

    Term frequency is the raw count; ``idf(t) = log((1 + n) / (1 + df(t))) + 1`` (smoothed, as scikit-learn's
    default), so a term in every document still counts a little.

    Args:
        docs: (n,) texts, tokenised by `tokenize`: a list, array or pandas column, not a single str. A missing
            text (``None``, NaN), as a column with gaps holds, is an empty document: an all-zero row.
        min_df: drop terms found in fewer documents.

    Returns:
        ``(features, vocabulary)``: (n, n_terms) float64 CSR and the terms in column order (sorted).

    Raises:
        TypeError: if `docs` is a single str (it would be read as one document per character) or holds
            something other than texts and missing values.
    """
    if isinstance(docs, str | bytes):
        raise TypeError(
            f"docs must be a list of documents, got a single {type(docs).__name__}: wrap it in a list"
        )
    tokens = [tokenize(d) for d in docs]
    df: dict[str, int] = {}
    for toks in tokens:
        for t in set(toks):
            df[t] = df.get(t, 0) + 1
    vocab = sorted(t for t, c in df.items() if c >= min_df)
    column = {t: j for j, t in enumerate(vocab)}
    rows, cols = [], []
    for i, toks in enumerate(tokens):
        kept = [column[t] for t in toks if t in column]
        rows += [i] * len(kept)
        cols += kept
    counts = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(docs), len(vocab)))
    counts.sum_duplicates()
    idf = np.log((1 + len(docs)) / (1 + np.array([df[t] for t in vocab], dtype=np.float64))) + 1
    weighted = counts @ sp.diags(idf)
    norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
    return sp.csr_matrix(sp.diags(1 / np.maximum(norms, 1e-12)) @ weighted), vocab


def profile_scores(
    history: sp.csr_matrix, features: sp.csr_matrix, new_features: sp.csr_matrix
) -> np.ndarray:
    """Content-based scores of new items: cosine between each user's profile and each new item's features.

    A user's profile is the sum of the feature rows of the items in their history.

    Args:
        history: (n_users, n_items) interactions (binary or weighted).
        features: (n_items, n_terms) item features, scipy sparse (e.g. `tfidf`; dense embeddings as
            ``sp.csr_matrix(embeddings)``).
        new_features: (n_new, n_terms) features of items the history has never seen, scipy sparse.

    Returns:
        (n_users, n_new) float64 cosine similarities (0 for users with an empty profile).

    Raises:
        TypeError: if `features` or `new_features` is not a scipy sparse matrix.
        ValueError: if the shapes do not fit: a feature row per item of `history`, and as many terms in both.
    """
    for name, m in (("features", features), ("new_features", new_features)):
        if not sp.issparse(m):  # a dense array had failed deep inside, on .multiply
            raise TypeError(
                f"{name} must be a scipy sparse matrix, got {type(m).__name__}: pass dense embeddings as "
                "sp.csr_matrix(embeddings)"
            )
    if history.shape[1] != features.shape[0] or features.shape[1] != new_features.shape[1]:
        raise ValueError(  # scipy's "dimension mismatch" names neither
            f"history {history.shape}, features {features.shape} and new_features {new_features.shape} do not "
            "fit: features needs a row per item of history, and new_features as many terms (columns)"
        )
    profiles = sp.csr_matrix(history, dtype=np.float64) @ features  # (n_users, n_terms)
    norms = np.sqrt(np.asarray(profiles.multiply(profiles).sum(axis=1)).ravel())
    new_norms = np.sqrt(np.asarray(new_features.multiply(new_features).sum(axis=1)).ravel())
    dots = (profiles @ new_features.T).toarray()
    return dots / np.maximum(norms, 1e-12)[:, None] / np.maximum(new_norms, 1e-12)[None, :]


def roc_auc(scores: Sequence[float] | np.ndarray, positives: Sequence[bool] | np.ndarray) -> float:
    """Area under the ROC curve: the chance that a random positive scores above a random negative (ties 1/2).

    Args:
        scores: (n,) scores.
        positives: (n,) labels, booleans or 0/1 (ints or floats), with at least one positive and one negative.

    Raises:
        ValueError: if a label is not 0/1 or a bool, the lengths differ, a class is missing or a score is NaN.
    """
    s = np.asarray(scores, dtype=np.float64).ravel()
    labels = np.asarray(positives).ravel()
    if labels.dtype != bool:  # any truthy label had counted as positive: 0.2, -1
        bad = labels[~np.isin(labels, (0, 1))] if np.issubdtype(labels.dtype, np.number) else labels
        if bad.size:
            raise ValueError(
                f"positives must be booleans or 0/1 labels, got {labels.dtype} values such as "
                f"{pd.unique(bad)[:5].tolist()}"
            )
    y = labels.astype(bool)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if s.shape != y.shape or n_pos == 0 or n_neg == 0:
        raise ValueError(
            f"need equal lengths and both classes; got {s.size} scores, {n_pos} positives and "
            f"{n_neg} negatives"
        )
    if np.isnan(s).any():  # np.unique would rank NaN above every score
        raise ValueError("the scores hold NaN values")
    _, inverse, counts = np.unique(s, return_inverse=True, return_counts=True)
    ranks = (np.cumsum(counts) - (counts - 1) / 2)[inverse]  # average 1-based ranks, ties shared
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


__all__ = ["cosine_neighbours", "jaccard", "lookalike", "profile_scores", "roc_auc", "tfidf", "tokenize"]
