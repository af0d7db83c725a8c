"""Loss terms as pure functions of tensors, and the schedules the trainer passes to them.

Models return logits; the objective of each model is assembled from these terms in its ``training_loss``.
Every function returns a scalar tensor averaged over the batch unless said otherwise.
"""

from __future__ import annotations

from numbers import Real

import torch
import torch.nn.functional as F
from torch import Tensor


def _check_tensors(loss: str, **tensors: object) -> None:
    """Raise a TypeError naming an argument that is not a tensor (None skipped): NumPy arrays had failed on an
    attribute, e.g. ``'numpy.ndarray' object has no attribute 'dim'``."""
    for name, t in tensors.items():
        if t is not None and not isinstance(t, Tensor):
            raise TypeError(
                f"{loss}: {name} must be a torch.Tensor, got {type(t).__name__} (torch.as_tensor converts one)"
            )


def _check_same_shape(loss: str, **tensors: Tensor | None) -> None:
    """Raise ValueError unless the given tensors (None skipped) share one shape: broadcasting would silently
    compute another loss, e.g. (B, 1) against (B,) compares every row with every other."""
    _check_tensors(loss, **tensors)
    shapes = {name: tuple(t.shape) for name, t in tensors.items() if t is not None}
    if len(set(shapes.values())) > 1:
        got = ", ".join(f"{name} {shape}" for name, shape in shapes.items())
        raise ValueError(f"{loss}: {', '.join(shapes)} must have one shape, got {got}")


def _check_temperature(loss: str, temperature: float) -> None:
    """Raise ValueError unless `temperature` is > 0: 0 gives NaN, a negative one an inverted loss; TypeError
    unless it is a number or a tensor (a tensor's value is not read: that would wait for the GPU)."""
    if isinstance(temperature, bool) or not isinstance(temperature, Real | Tensor):
        raise TypeError(f"{loss}: temperature must be a number > 0, got {temperature!r}")
    if isinstance(temperature, Real) and not temperature > 0:  # `not >` also rejects NaN
        raise ValueError(f"{loss}: temperature must be > 0, got {temperature}")


def mse(pred: Tensor, target: Tensor, mask: Tensor | None = None) -> Tensor:
    """Mean squared error, optionally over observed entries only.

    Args:
        pred: (B, n) predictions.
        target: (B, n) targets, the shape of `pred`.
        mask: (B, n) non-negative weights, e.g. 0/1 for AutoRec's observed entries; when given, the weighted
            mean ``sum(mask * (pred - target)**2) / sum(mask)`` (the denominator at least 1).

    Returns:
        Scalar: ``mean((pred - target)**2)`` over all entries, or the weighted mean above.

    Raises:
        ValueError: if `target` or `mask` does not have the shape of `pred` (no broadcasting).
    """
    _check_same_shape("mse", pred=pred, target=target, mask=mask)
    sq = (pred - target) ** 2
    if mask is None:
        return sq.mean()
    return (sq * mask).sum() / mask.sum().clamp_min(1.0)


def multinomial_nll(logits: Tensor, x: Tensor) -> Tensor:
    """Multinomial negative log-likelihood of Mult-DAE/Mult-VAE (Liang et al. 2018, eq. 2).

    Args:
        logits: (B, n_items) unnormalised scores.
        x: (B, n_items) click counts (0/1), the shape of `logits`.

    Returns:
        Scalar: ``-mean_u sum_i x_ui log softmax(logits_u)_i``.

    Raises:
        ValueError: if `x` does not have the shape of `logits` (no broadcasting).
    """
    _check_same_shape("multinomial_nll", logits=logits, x=x)
    # an unclicked item scored -inf adds 0, not 0 * -inf = NaN
    log_lik = torch.where(x != 0, F.log_softmax(logits, dim=-1) * x, 0.0)
    return -log_lik.sum(dim=-1).mean()


def gaussian_kl(mu: Tensor, logvar: Tensor) -> Tensor:
    """KL divergence from N(mu, diag(exp(logvar))) to N(0, I), summed over dimensions, mean over the batch.

    Args:
        mu: (B, d) posterior means.
        logvar: (B, d) posterior log-variances.

    Returns:
        Scalar: ``mean_u 0.5 * sum_j (exp(logvar) + mu^2 - 1 - logvar)``.

    Raises:
        ValueError: if `logvar` does not have the shape of `mu` (no broadcasting).
    """
    _check_same_shape("gaussian_kl", mu=mu, logvar=logvar)
    return 0.5 * (logvar.exp() + mu.pow(2) - 1.0 - logvar).sum(dim=-1).mean()


def linear_anneal(step: int, total_steps: int, cap: float) -> float:
    """KL weight beta growing linearly from 0 to `cap` over `total_steps` updates, then held at `cap`."""
    if total_steps <= 0:
        return cap
    return min(cap, cap * step / total_steps)


def bce(logits: Tensor, target: Tensor, weight: Tensor | None = None) -> Tensor:
    """Binary cross-entropy of a reconstruction (DAE, CDAE), summed over items, mean over rows.

    Args:
        logits: (B, n_items) unnormalised scores; the reconstruction is ``sigmoid(logits)``.
        target: (B, n_items) 0/1 interactions, of any dtype.
        weight: (B, n_items) non-negative weight per entry (e.g. 0 for unobserved items not sampled as
            negatives); None weighs every entry 1.

    Returns:
        Scalar: ``-mean_u sum_i w_ui [x_ui log s_ui + (1 - x_ui) log(1 - s_ui)]`` with ``s = sigmoid(logits)``.

    Raises:
        TypeError: if an argument is not a tensor.
        ValueError: if `target` or `weight` does not have the shape of `logits` (no broadcasting).
    """
    _check_same_shape("bce", logits=logits, target=target, weight=weight)
    # 0/1 targets of any type (an integer one had failed: "result type Float can't be cast to ... Long")
    if not target.is_floating_point():
        target = target.to(logits.dtype)
    per_entry = F.binary_cross_entropy_with_logits(logits, target, weight=weight, reduction="none")
    return per_entry.sum(dim=-1).mean()


def sq_norm(*tensors: Tensor) -> Tensor:
    """Sum of the squared entries of all `tensors`: the weight penalty ``||W||^2`` (Mult-VAE, AutoRec)."""
    return sum(t.pow(2).sum() for t in tensors)


def bpr(pos_scores: Tensor, neg_scores: Tensor) -> Tensor:
    """Bayesian personalised ranking loss (Rendle et al. 2009).

    Args:
        pos_scores: (B,) scores of observed items.
        neg_scores: (B,) or (B, n_neg) scores of sampled unobserved items.

    Returns:
        Scalar: ``-mean log sigmoid(pos - neg)``.

    Raises:
        ValueError: if `pos_scores` is not (B,) or `neg_scores` neither (B,) nor (B, n_neg).
    """
    _check_tensors("bpr", pos_scores=pos_scores, neg_scores=neg_scores)
    if pos_scores.dim() != 1 or neg_scores.dim() not in (1, 2) or neg_scores.shape[0] != pos_scores.shape[0]:
        raise ValueError(
            f"bpr: need pos_scores (B,) and neg_scores (B,) or (B, n_neg), got {tuple(pos_scores.shape)} and "
            f"{tuple(neg_scores.shape)}"
        )
    if neg_scores.dim() == 2:
        pos_scores = pos_scores.unsqueeze(-1)
    return -F.logsigmoid(pos_scores - neg_scores).mean()


def sampled_bce(pos_scores: Tensor, neg_scores: Tensor) -> Tensor:
    """Binary cross-entropy of observed items against sampled ones (SASRec's original loss).

    Args:
        pos_scores: (N,) scores of observed items (labels 1).
        neg_scores: (N,) scores of sampled items (labels 0).

    Returns:
        Scalar: ``-mean [log sigmoid(pos) + log(1 - sigmoid(neg))]``.

    Raises:
        ValueError: if `neg_scores` does not have the shape of `pos_scores` (no broadcasting).
    """
    _check_same_shape("sampled_bce", pos_scores=pos_scores, neg_scores=neg_scores)
    return -(F.logsigmoid(pos_scores) + F.logsigmoid(-neg_scores)).mean()


def l2(*tensors: Tensor) -> Tensor:
    """Half the squared L2 norm of the given tensors, divided by the batch size of the first (BPR-style reg)."""
    batch = tensors[0].shape[0]
    return sum(t.pow(2).sum() for t in tensors) / (2.0 * batch)


def _loss_dtype(a: Tensor, b: Tensor) -> torch.dtype:
    """The dtype a contrastive loss computes in: float32 at least (float64 inputs stay float64).

    Under bf16 autocast (CUDA), similarities divided by a small temperature shift the loss and its gradient
    measurably, so a run on a GPU would optimise another objective than on the CPU.
    """
    return torch.promote_types(torch.promote_types(a.dtype, b.dtype), torch.float32)


def info_nce(
    a: Tensor,
    b: Tensor,
    temperature: float,
    targets: Tensor | None = None,
    weights: Tensor | None = None,
) -> Tensor:
    """InfoNCE between two views: row i of `a` and row i of `b` are positives, other rows of `b` negatives.

    Args:
        a: (B, d) first view (normalised inside).
        b: (B, d) second view, or (N, d) with `targets`.
        temperature: softmax temperature tau > 0.
        targets: (B,) the row of `b` that is each row of `a`'s positive (default: row i); every other row of
            `b` is a negative (SGL's form: a batch's nodes against all nodes of the other view).
        weights: (B,) each row's weight in the mean (default: 1 each); a row with weight k counts as k
            copies of it, so distinct anchors with their counts give the loss of the repeated ones.

    Returns:
        Scalar: ``sum_i w_i (-log exp(s_i,t_i / tau) / sum_j exp(s_ij / tau)) / sum_i w_i`` with cosine
        similarities s.

    Raises:
        TypeError: if `temperature` is neither a number nor a tensor.
        ValueError: if `temperature` is a number <= 0, `a` and `b` are not 2-D of one width, `b` has
            another number of rows than `a` without `targets`, or `targets` or `weights` is not (B,).
    """
    _check_temperature("info_nce", temperature)
    _check_tensors("info_nce", a=a, b=b, targets=targets, weights=weights)
    if a.dim() != 2 or b.dim() != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(
            f"info_nce: a and b must be 2-D with one width, got {tuple(a.shape)} and {tuple(b.shape)}"
        )
    if targets is None and b.shape[0] != a.shape[0]:
        raise ValueError(
            f"info_nce: without targets, b must have a's {a.shape[0]} rows, got {tuple(b.shape)}"
        )
    for name, t in (("targets", targets), ("weights", weights)):
        if t is not None and tuple(t.shape) != (a.shape[0],):
            raise ValueError(f"info_nce: {name} must have shape ({a.shape[0]},), got {tuple(t.shape)}")
    dtype = _loss_dtype(a, b)
    with torch.autocast(a.device.type, enabled=False):
        a = F.normalize(a.to(dtype), dim=-1)
        b = F.normalize(b.to(dtype), dim=-1)
        logits = a @ b.T / temperature
        if targets is None:
            targets = torch.arange(a.shape[0], device=a.device)
        if weights is None:
            return F.cross_entropy(logits, targets)
        weights = weights.to(dtype)
        return (F.cross_entropy(logits, targets, reduction="none") * weights).sum() / weights.sum()


def nt_xent(a: Tensor, b: Tensor, temperature: float, cosine: bool = False) -> Tensor:
    """SimCLR's NT-Xent over the 2B views: each view's positive is its pair, its negatives the 2(B - 1) views
    of the other rows, both views of each (CL4SRec's contrastive loss, with dot products).

    Args:
        a: (B, d) first view.
        b: (B, d) second view.
        temperature: softmax temperature tau > 0.
        cosine: compare normalised rows (cosine similarity); False compares raw rows by dot product, as
            CL4SRec's ``sim(u, v) = u^T v``.

    Returns:
        Scalar: the mean over the 2B views z_k of ``-log exp(s(z_k, z_k') / tau) / sum_{m != k} exp(s(z_k, z_m)
        / tau)``, with z_k' the other view of z_k's row.

    Raises:
        TypeError: if `temperature` is neither a number nor a tensor.
        ValueError: if `temperature` is a number <= 0, or `a` and `b` are not 2-D of one shape.
    """
    _check_temperature("nt_xent", temperature)
    _check_tensors("nt_xent", a=a, b=b)
    if a.dim() != 2 or a.shape != b.shape:
        raise ValueError(
            f"nt_xent: a and b must be 2-D (B, d) of one shape, got {tuple(a.shape)} and {tuple(b.shape)}"
        )
    n = a.shape[0]
    with torch.autocast(a.device.type, enabled=False):
        z = torch.cat([a, b]).to(_loss_dtype(a, b))
        if cosine:
            z = F.normalize(z, dim=-1)
        self_pair = torch.eye(2 * n, dtype=torch.bool, device=z.device)
        logits = (z @ z.T / temperature).masked_fill(self_pair, float("-inf"))  # a view is not its negative
        pair = torch.arange(2 * n, device=z.device).roll(n)  # view k of a pairs with view k of b
        return F.cross_entropy(logits, pair)


def item_ce(
    logits: Tensor, targets: Tensor, ignore_index: int = -100, groups: Tensor | None = None
) -> Tensor:
    """Cross-entropy over all items for next-item or masked-item prediction.

    Args:
        logits: (N, n_items) scores for N predicted positions.
        targets: (N,) target item indices; positions equal to `ignore_index` do not count.
        ignore_index: the target value of positions left out (padding, unmasked positions).
        groups: (N,) optional group (e.g. window) of each position, numbered from 0 and below N: the mean is
            then taken within each group, and over the groups with a counted position, so that every group
            weighs the same.

    Returns:
        Scalar mean over counted positions (or groups); 0 when none counts (a BERT4Rec batch of short windows
        can draw no mask), still attached to `logits`' graph so that a backward pass works on every rank.

    Raises:
        ValueError: if `groups` does not have the shape of `targets` (group ids are not read: that would wait
            for the GPU).
    """
    _check_tensors("item_ce", logits=logits, targets=targets, groups=groups)
    if groups is not None and groups.shape != targets.shape:
        raise ValueError(
            f"item_ce: groups must have the shape of targets {tuple(targets.shape)}, got {tuple(groups.shape)}"
        )
    if groups is not None:  # ids below N: N positions fall into at most N groups, so the sizes fit in N slots
        counted = targets != ignore_index
        per = F.cross_entropy(logits, targets, ignore_index=ignore_index, reduction="none")  # 0 where ignored
        # counted positions per group
        size = torch.zeros_like(per).index_add_(0, groups, counted.to(per.dtype))
        weight = counted / size[groups].clamp(min=1)  # each group's counted positions sum to 1
        return (per * weight).sum() / (size > 0).sum().clamp(min=1)
    # sum / count, not reduction="mean": the mean of no position is NaN. Bit-identical to the mean otherwise,
    # and the count stays on the device (no host synchronisation).
    total = F.cross_entropy(logits, targets, ignore_index=ignore_index, reduction="sum")
    return total / (targets != ignore_index).sum().clamp(min=1)
