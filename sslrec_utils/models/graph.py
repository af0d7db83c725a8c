"""Graph utilities shared by LightGCN, SGL, SimGCL and XSimGCL: the normalised user-item adjacency, LightGCN
propagation, and the two augmentations (edge dropout, embedding noise). Vectorised and device-aware.

Nodes are users ``0..n_users-1`` followed by items ``n_users..n_users+n_items-1``. The adjacency is the
symmetric ``A_hat = D^-1/2 A D^-1/2`` of ``A = [[0, R], [R^T, 0]]``, kept as a sparse CSR tensor: on CPU,
CSR times dense is several times faster than COO, and since ``A_hat`` is symmetric its backward is one more
product with ``A_hat`` (`SymmetricSpMM`), avoiding the slow transpose PyTorch's CSR backward does.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from torch import Tensor

from sslrec_utils import losses

INT32_ENTRIES = 2**31  # stored entries from which a graph keeps int64 indices


def normalized_adjacency(matrix: sp.spmatrix | sp.sparray) -> Tensor:
    """``D^-1/2 A D^-1/2`` of the bipartite graph of a user-item matrix.

    Args:
        matrix: (n_users, n_items) interactions; any non-zero is an edge of weight 1.

    Returns:
        (n, n) float32 sparse CSR tensor on the CPU, ``n = n_users + n_items``, entry ``(u, n_users + i)`` and
        its mirror equal to ``1 / sqrt(d_u d_i)`` for every interaction, degrees counted in `matrix`.
    """
    r = sp.csr_matrix(matrix, dtype=np.float32, copy=True)  # without copy, a float32 CSR input is rewritten
    r.eliminate_zeros()
    r.data[:] = 1.0
    adj = sp.bmat([[None, r], [r.T, None]], format="csr", dtype=np.float32)
    adj.sort_indices()
    rows = torch.from_numpy(np.repeat(np.arange(adj.shape[0]), np.diff(adj.indptr)))
    cols = torch.from_numpy(adj.indices.astype(np.int64))
    return _normalized_csr(rows, cols, adj.shape[0])


def _normalized_csr(rows: Tensor, cols: Tensor, n: int) -> Tensor:
    """Symmetric-normalised CSR tensor from edge entries sorted by (row, col), both directions present."""
    counts = torch.bincount(rows, minlength=n)
    crow = torch.zeros(n + 1, dtype=torch.int64, device=rows.device)
    crow[1:] = torch.cumsum(counts, 0)
    values = _inv_sqrt(counts.float())
    values = values[rows] * values[cols]
    # int32 indices: the CPU kernel otherwise converts them to int32 on every product (~20% of its time); int64
    # from 2**31 stored entries on (about a billion interactions), which int32 would wrap
    if len(cols) < INT32_ENTRIES:
        crow, cols = crow.int(), cols.int()
    return _csr(crow, cols, values, (n, n))


def _csr(crow: Tensor, cols: Tensor, values: Tensor, size: tuple[int, ...] | torch.Size) -> Tensor:
    with warnings.catch_warnings():  # PyTorch's "CSR support is in beta" notice, once per process
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
        return torch.sparse_csr_tensor(crow, cols, values, size, check_invariants=False)


def _inv_sqrt(degrees: Tensor) -> Tensor:
    return torch.where(degrees > 0, degrees.clamp_min(1e-12).rsqrt(), 0.0)


def csr_rows(adj: Tensor) -> Tensor:
    """(nnz,) int64 row index of every stored entry of a sparse CSR tensor."""
    crow = adj.crow_indices().long()
    return torch.repeat_interleave(torch.arange(adj.shape[0], device=crow.device), torch.diff(crow))


def edge_ids(adj: Tensor) -> Tensor:
    """(nnz,) int64 id of the undirected edge of each stored entry of a symmetric CSR tensor: an entry and its
    mirror share the id (the smaller of their two positions), so one draw per id drops both directions."""
    rows, cols = csr_rows(adj), adj.col_indices().long()
    n = adj.shape[0]
    # entries are sorted by (row, col); the mirror of entry e has key (col_e, row_e): its rank among those keys
    mirror = torch.empty_like(rows)
    mirror[torch.argsort(cols * n + rows)] = torch.arange(len(rows), device=rows.device)
    return torch.minimum(mirror, torch.arange(len(rows), device=rows.device))


def drop_edges(adj: Tensor, ids: Tensor, p: float, generator: torch.Generator | None = None) -> Tensor:
    """SGL's edge dropout: remove each user-item edge (both directions) with probability `p`, renormalise.

    Each edge is dropped on its own coin, as the paper's masking vector reads, so the number kept varies from view
    to view around ``(1 - p)`` of them; the authors' code (SGL-Torch) and RecBole keep exactly
    ``int((1 - p) * n_edges)``, drawn without replacement. The difference is slight: on ml-100k's holdout split
    (80,808 training edges) at SGL's default p = 0.05, 200 views kept 76,760 edges on average with a standard
    deviation of 63 (0.08 %). Dropped edges stay in the sparsity pattern with value 0: no compaction, and the
    product costs the same.

    Args:
        adj: (n, n) symmetric normalised adjacency, sparse CSR, as from `normalized_adjacency`.
        ids: (nnz,) undirected edge ids of its entries, from `edge_ids`.
        p: drop probability in [0, 1).
        generator: torch generator on `adj`'s device, for reproducible views.

    Returns:
        (n, n) sparse CSR ``D'^-1/2 A' D'^-1/2`` of the kept edges ``A'`` with their degrees ``D'``.
    """
    if not 0.0 <= p < 1.0:
        raise ValueError(f"edge drop probability must be in [0, 1), got {p}")
    keep = (torch.rand(len(ids), generator=generator, device=ids.device)[ids] >= p).float()
    rows, cols = csr_rows(adj), adj.col_indices()
    inv = _inv_sqrt(torch.zeros(adj.shape[0], device=keep.device).index_add_(0, rows, keep))
    values = keep * inv[rows] * inv[cols]
    return _csr(adj.crow_indices(), cols, values, adj.shape)


def rows(table: Tensor, index: Tensor) -> Tensor:
    """``table[index]`` whose gradient is the same on every run: (n, d), (B,) -> (B, d).

    The backward of ``table[index]`` on a CPU tensor accumulates the rows' gradients with atomic adds across
    threads (PyTorch lists it among its nondeterministic operations), so with more than one thread two runs of
    one seed drift apart in the last bits, and now and then in a near-tied ranking. `F.embedding`'s backward
    gives the same sums for any thread count on CPU (tests/test_models_graph.py checks 1, 2 and 4).
    """
    return F.embedding(index, table)


class SymmetricSpMM(torch.autograd.Function):
    """``adj @ x`` for a symmetric sparse `adj`, whose gradient in `x` is ``adj @ grad`` (no transpose)."""

    @staticmethod
    def forward(ctx, adj: Tensor, x: Tensor) -> Tensor:  # type: ignore[override]
        """``adj @ x``, keeping `adj` for the backward pass."""
        ctx.save_for_backward(adj)
        return adj @ x

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[None, Tensor]:  # type: ignore[override]
        """No gradient for `adj`; ``adj @ grad`` for `x` (`adj` is symmetric)."""
        (adj,) = ctx.saved_tensors
        return None, adj @ grad


def sign_noise(x: Tensor, eps: float, generator: torch.Generator | None = None) -> Tensor:
    """SimGCL's perturbation ``eps * sign(x) * normalize(U(0, 1))``: a random vector of length `eps` per row,
    in the same orthant as the row, so it nudges each embedding without flipping it.

    Args:
        x: (n, d) embeddings.
        eps: length of each row's noise.
        generator: draws the noise; None uses torch's global generator.

    Returns:
        (n, d) noise to add to `x`.
    """
    u = torch.rand(x.shape, generator=generator, device=x.device, dtype=x.dtype)
    return eps * torch.sign(x) * F.normalize(u, dim=-1)


def propagate(
    adj: Tensor, ego: Tensor, n_layers: int, eps: float = 0.0, generator: torch.Generator | None = None
) -> list[Tensor]:
    """LightGCN layers ``E(k+1) = A_hat E(k)``, optionally with SimGCL noise added after every layer.

    Args:
        adj: (n, n) symmetric normalised adjacency (sparse CSR).
        ego: (n, d) layer-0 embeddings (users then items).
        n_layers: number K of propagation layers.
        eps: noise length per layer (0: none).
        generator: for the noise.

    Returns:
        ``[E(0), E(1), ..., E(K)]``, each (n, d) float32; fp32 even under autocast (sparse kernels need it).
    """
    layers = [ego]
    with torch.autocast(ego.device.type, enabled=False):
        x = ego.float()
        for _ in range(n_layers):
            x = SymmetricSpMM.apply(adj, x)
            if eps > 0:
                x = x + sign_noise(x, eps, generator)
            layers.append(x)
    return layers


def layer_mean(layers: list[Tensor], first: int = 0) -> Tensor:
    """(n, d) mean of ``layers[first:]``: LightGCN averages layers 0..K (``first=0``); SimGCL's authors
    1..K (``first=1``, this package's ``skip_ego=True``)."""
    total = layers[first]
    for x in layers[first + 1 :]:
        total = total + x
    return total / (len(layers) - first)


def batch_contrast(
    view1: tuple[Tensor, Tensor],
    view2: tuple[Tensor, Tensor],
    batch: Mapping[str, Tensor],
    temperature: float,
    negatives: str = "batch",
) -> Tensor:
    """The contrastive term of SGL, SimGCL and XSimGCL: InfoNCE between two views of the batch's users plus
    InfoNCE between two views of its positive items.

    Args:
        view1, view2: (n_users, d) user and (n_items, d) item embeddings of each view.
        batch: a `bpr_triples` batch (``users``, ``pos`` (B,)).
        temperature: InfoNCE's tau.
        negatives: ``"batch"``: the batch's distinct users (items) are one another's negatives, as SimGCL's and
            XSimGCL's authors (SELFRec) compute it; ``"all"``: each batch row is an anchor (a user or item
            repeated in the batch counts each time) against every user (item) of the second view, as the SGL
            paper's InfoNCE and its authors' code (SGL-Torch, and RecBole) choose them (both sum BPR and InfoNCE
            over the batch, so their weight compares with this mean over mean).

    Returns:
        Scalar ``info_nce(users) + info_nce(items)``.
    """
    if negatives not in ("batch", "all"):
        raise ValueError(f"negatives must be 'batch' or 'all', got {negatives!r}")
    total = torch.zeros((), device=view1[0].device)
    for v1, v2, nodes in ((view1[0], view2[0], batch["users"]), (view1[1], view2[1], batch["pos"])):
        if negatives == "all":  # each distinct anchor once, weighted by its count: the same loss, cheaper
            nodes, counts = torch.unique(nodes, return_counts=True)
            total = total + losses.info_nce(rows(v1, nodes), v2, temperature, targets=nodes, weights=counts)
        else:
            nodes = torch.unique(nodes)
            total = total + losses.info_nce(rows(v1, nodes), rows(v2, nodes), temperature)
    return total
