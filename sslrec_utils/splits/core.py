"""A split and what it evaluates: `Split` (named parts, ID maps, cached CSR matrices, per-user sequences and
`Split.eval_plan`), the `PLANS` table of each protocol's phases, and `pad_sequences` for sequence models."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from sslrec_utils.data.core import IdMap, to_csr

# protocol -> phase -> (input parts, parts excluded by default or None, held-out part)
PLANS: dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...] | None, str]]] = {
    "holdout": {"valid": (("train",), ("train",), "valid"), "test": (("train",), ("train", "valid"), "test")},
    "loo": {"valid": (("train",), None, "valid"), "test": (("train", "valid"), None, "test")},
    "strong": {
        "valid": (("valid_in",), ("valid_in",), "valid_out"),
        "test": (("test_in",), ("test_in",), "test_out"),
    },
    "time": {"valid": (("train",), ("train",), "valid"), "test": (("train",), ("train", "valid"), "test")},
}
PART_NAMES = {
    "holdout": ("train", "valid", "test"),
    "loo": ("train", "valid", "test"),
    "strong": ("train", "valid_in", "valid_out", "test_in", "test_out"),
    "time": ("train", "valid", "test"),
}


@dataclass(frozen=True)
class Sequences:
    """Ragged, time-ordered item lists, one per user (CSR-like layout).

    Attributes:
        indptr: (n_users + 1,) int64; user ``u``'s items are ``items[indptr[u]:indptr[u + 1]]``.
        items: (nnz,) int64 item indices, each user's oldest first.
    """

    indptr: np.ndarray
    items: np.ndarray

    def lengths(self) -> np.ndarray:
        """(n_users,) int64 number of items per user."""
        return np.diff(self.indptr)


@dataclass(frozen=True)
class EvalPlan:
    """What to evaluate in one phase of a split.

    Attributes:
        users: (n_eval,) int64 sorted users with >= 1 held-out item and >= 1 input interaction.
        input_parts: the parts forming the model's input (history) for these users.
        exclude: (n_users, n_items) float32 CSR of items to rank at ``-inf``, or ``None``.
        heldout: (n_users, n_items) float32 CSR binary relevance; rows of users not in `users` are empty.
    """

    users: np.ndarray
    input_parts: tuple[str, ...]
    exclude: sp.csr_matrix | None
    heldout: sp.csr_matrix


@dataclass(frozen=True, eq=False)
class Split:
    """A split of an interaction log into named parts.

    Attributes:
        parts: part name -> DataFrame of rows of ``Interactions.frame`` (columns ``user, item, rating,
            timestamp``, index = row number in that frame).
        user_map: IDs of all users of the input (so every part's matrix has the same shape).
        item_map: IDs of all items of the input.
        protocol: ``"holdout"``, ``"loo"``, ``"strong"`` or ``"time"``.
        seed: the seed used; ``None`` for the deterministic protocols (``loo``, ``time``).
    """

    parts: Mapping[str, pd.DataFrame]
    user_map: IdMap
    item_map: IdMap
    protocol: str
    seed: int | None
    _cache: dict[tuple[str, ...], sp.csr_matrix] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.protocol not in PLANS:
            raise ValueError(f"unknown protocol {self.protocol!r}; valid: {sorted(PLANS)}")
        if set(self.parts) != set(PART_NAMES[self.protocol]):
            raise ValueError(f"parts must be {PART_NAMES[self.protocol]}, got {list(self.parts)}")
        object.__setattr__(self, "parts", MappingProxyType(dict(self.parts)))

    @property
    def n_users(self) -> int:
        return len(self.user_map)

    @property
    def n_items(self) -> int:
        return len(self.item_map)

    @property
    def train(self) -> sp.csr_matrix:
        """(n_users, n_items) binary training matrix (for ``strong``: the training users' full histories)."""
        return self.matrix("train")

    def _union(self, parts: tuple[str, ...]) -> pd.DataFrame:
        if not parts:
            raise ValueError(f"name at least one part; valid: {list(self.parts)}")
        unknown = [p for p in parts if p not in self.parts]
        if unknown:
            raise ValueError(f"unknown part(s) {unknown}; valid: {list(self.parts)}")
        return pd.concat([self.parts[p] for p in dict.fromkeys(parts)])

    def matrix(self, *parts: str, values: Literal["binary", "rating"] = "binary") -> sp.csr_matrix:
        """The union of `parts` as a (n_users, n_items) float32 CSR matrix.

        Binary matrices are cached and shared between calls: treat them as read-only.
        """
        if values not in ("binary", "rating"):
            raise ValueError(f"values must be 'binary' or 'rating', got {values!r}")
        key = tuple(sorted(set(parts)))
        if values == "binary" and key in self._cache:
            return self._cache[key]
        mat = to_csr(self._union(parts), self.n_users, self.n_items, values)
        if values == "binary":
            mat.data[:] = 1.0  # an (user, item) repeated across parts still counts once
            self._cache[key] = mat
        return mat

    def sequences(self, *parts: str) -> Sequences:
        """The union of `parts` as per-user item sequences ordered by (timestamp, original row order)."""
        frame = self._union(parts)
        users = frame["user"].to_numpy(np.int64)
        order = np.lexsort((frame.index.to_numpy(), frame["timestamp"].to_numpy(), users))
        indptr = np.zeros(self.n_users + 1, np.int64)
        np.cumsum(np.bincount(users, minlength=self.n_users), out=indptr[1:])
        return Sequences(indptr, frame["item"].to_numpy(np.int64)[order])

    def has_time_order(self) -> bool:
        """Whether the timestamps order anything: some user has interactions at two different times (over every
        part). False when each user's interactions share one time, as with no time column (every time 0) or a
        constant one: a history is then in its tie order only (`sslrec_utils.data.preprocess`'s ``ties``).
        Computed once (a group-by over the whole log; a report asks it for every user it shows)."""
        return self._time_ordered

    @functools.cached_property
    def _time_ordered(self) -> bool:
        frame = self._union(tuple(self.parts))
        times = frame.groupby("user", sort=False)["timestamp"]
        return bool((times.max() > times.min()).any())

    def eval_plan(self, phase: Literal["valid", "test"], exclude_seen: bool | None = None) -> EvalPlan:
        """The users, input, exclusions and held-out items of `phase`.

        Args:
            phase: ``"valid"`` or ``"test"``.
            exclude_seen: ``None`` follows the protocol's table (module docstring); ``True`` excludes the
                protocol's seen items (for ``loo``: the input items); ``False`` excludes nothing.

        Raises:
            ValueError: if `phase` is neither ``"valid"`` nor ``"test"``.
            TypeError: if `exclude_seen` is not True, False or None (0 and 1 would read as None).
        """
        if phase not in ("valid", "test"):
            raise ValueError(f"phase must be 'valid' or 'test', got {phase!r}")
        if exclude_seen is not None:
            if not isinstance(exclude_seen, bool | np.bool_):
                raise TypeError(f"exclude_seen must be True, False or None, got {exclude_seen!r}")
            exclude_seen = bool(exclude_seen)
        input_parts, exclude_parts, heldout_part = PLANS[self.protocol][phase]
        if exclude_seen is True and exclude_parts is None:
            exclude_parts = input_parts
        elif exclude_seen is False:
            exclude_parts = None
        heldout = self.matrix(heldout_part)
        has_input = self.matrix(*input_parts).getnnz(axis=1) > 0
        keep = (heldout.getnnz(axis=1) > 0) & has_input
        heldout = (sp.diags(keep.astype(np.float32)) @ heldout).tocsr()  # empty the rows of skipped users
        heldout.eliminate_zeros()
        exclude = None if exclude_parts is None else self.matrix(*exclude_parts)
        return EvalPlan(np.flatnonzero(keep).astype(np.int64), input_parts, exclude, heldout)


def pad_sequences(seqs: Sequences, users: np.ndarray, max_len: int, pad: int) -> np.ndarray:
    """Each user's most recent `max_len` items, right-aligned and left-padded.

    Args:
        seqs: per-user sequences, oldest first.
        users: (B,) int user indices.
        max_len: number of columns, >= 1.
        pad: padding index (``n_items`` by convention).

    Returns:
        (B, max_len) int64; row ``b``'s last column holds user ``users[b]``'s latest item.

    Raises:
        TypeError: if `users` are not integers (floats would be truncated) or `max_len` or `pad` not an int.
        ValueError: if `max_len` < 1.
        IndexError: if a user lies outside the sequences' users.
    """
    for name, value in (("max_len", max_len), ("pad", pad)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise TypeError(f"{name} must be an int, got {value!r}")
    if max_len < 1:
        raise ValueError(f"max_len must be >= 1, got {max_len}")
    users = np.asarray(users)
    if users.size and (users.dtype == bool or not np.issubdtype(users.dtype, np.integer)):
        raise TypeError(f"users must be integer indices, got {users.dtype}")
    users = users.astype(np.int64).reshape(-1)
    n_users = len(seqs.indptr) - 1
    if len(users) and (users.min() < 0 or users.max() >= n_users):
        raise IndexError(f"users must lie in [0, {n_users}), got range [{users.min()}, {users.max()}]")
    ends = seqs.indptr[users + 1]
    keep = np.minimum(ends - seqs.indptr[users], max_len)  # (B,)
    rows = np.repeat(np.arange(len(users)), keep)
    within = np.arange(keep.sum()) - np.repeat(np.cumsum(keep) - keep, keep)
    out = np.full((len(users), max_len), pad, np.int64)
    out[rows, max_len - keep[rows] + within] = seqs.items[ends[rows] - keep[rows] + within]
    return out
