"""A trained model scored by full ranking on a split's validation or test part (`evaluate_model`), in
batches of users (`make_score_fn`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import torch
from torch import Tensor

from sslrec_utils.batching import RowTable
from sslrec_utils.metrics import EvalResult, NaNScoresError, evaluate
from sslrec_utils.models.base import Recommender
from sslrec_utils.splits import Split, pad_sequences


def make_score_fn(
    model: Recommender,
    split: Split,
    phase: Literal["valid", "test"],
    device: torch.device,
    exclude_seen: bool | None = None,
) -> tuple[Callable[[np.ndarray], Tensor], Any]:
    """A function scoring users of `phase` from the inputs the split's evaluation plan prescribes.

    Returns:
        ``(score_fn, plan)``: ``score_fn(users (B,) int64) -> (B, n_items)`` and the `EvalPlan`. `score_fn`
        raises `NaNScoresError` when a score is NaN or infinite: the model's weights diverged.
    """
    model.check_fits(split.n_users, split.n_items)
    plan = split.eval_plan(phase, exclude_seen)
    need = model.score_inputs
    if "users" in need and split.protocol == "strong":
        if not model.can_fold_in():
            raise ValueError(
                f"{type(model).__name__} scores users by their learned ID, so it cannot rank the held-out users of "
                "a strong-generalisation split; use the holdout split (--split holdout), or a model that folds in "
                "a history"
            )
        # the held-out users were never trained: they are scored from their history alone (CDAE: no user vector)
        need = tuple(key for key in need if key != "users")
    rows = RowTable(split.matrix(*plan.input_parts), device) if "rows" in need else None
    seqs = split.sequences(*plan.input_parts) if "seqs" in need else None

    def score_fn(users: np.ndarray) -> Tensor:
        inputs: dict[str, Tensor] = {}
        if "users" in need:
            inputs["users"] = torch.as_tensor(users, device=device)
        if rows is not None:
            inputs["rows"] = rows(users)
        if seqs is not None:
            padded = pad_sequences(seqs, users, model.max_len, pad=split.n_items)
            inputs["seqs"] = torch.as_tensor(padded, device=device)
        scores = model.score(inputs).float()
        # overflowed weights give +-inf, which would rank as excluded items
        bad = ~torch.isfinite(scores).all(dim=1)
        if bad.any():
            raise NaNScoresError(
                f"{int(bad.sum())} of a batch of {len(users)} users have NaN or infinite scores: the model's "
                "weights diverged"
            )
        return scores

    return score_fn, plan


@torch.no_grad()
def evaluate_model(
    model: Recommender,
    split: Split,
    phase: Literal["valid", "test"] = "test",
    *,
    ks: tuple[int, ...] = (10, 20),
    batch_size: int = 1024,
    exclude_seen: bool | None = None,
    progress: bool = False,
) -> EvalResult:
    """Full-ranking metrics of `model` on the validation or test part of `split`.

    Each user is scored from the input the split's protocol prescribes (`Split.eval_plan`): the training items on
    a holdout split, the history before the held-out item on leave-one-out, a held-out user's history on a strong
    one. The model's train or eval mode is restored afterwards.

    Args:
        model: a `Recommender` fitted on ``split`` (its sizes must match the split's users and items).
        split: the data split.
        phase: ``"valid"`` or ``"test"``.
        ks: cut-offs of the metrics; all are computed from one top-``max(ks)``.
        batch_size: users scored at once.
        exclude_seen: ``None`` follows the protocol's table (`sslrec_utils.splits`); ``True`` leaves the
            protocol's seen items out of the ranking (for ``loo``: the input items); ``False`` leaves nothing out.
        progress: show a tqdm bar over batches.

    Returns:
        `EvalResult`: the means over users, ``coverage@k`` and each user's values.

    Raises:
        ValueError: a `phase` other than ``"valid"`` or ``"test"``; a k outside ``[1, n_items]``; a model built
            for another split's users and items; a model that scores users by their learned ID on a strong
            split, whose test users it never saw.
        TypeError: an `exclude_seen` other than True, False or None; a k that is not an int.
        NaNScoresError: a score is NaN or infinite (the model's weights diverged).
    """
    was_training = model.training
    model.eval()
    try:
        score_fn, plan = make_score_fn(model, split, phase, model.device, exclude_seen)
        return evaluate(
            score_fn, plan.users, plan.heldout, plan.exclude, ks=ks, batch_size=batch_size, progress=progress
        )
    finally:  # a refused k or phase leaves the model as it was
        model.train(was_training)
