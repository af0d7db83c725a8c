"""SASRec (Kang & McAuley 2018): a causal transformer over a user's item history predicts the next item.

Every position t of a window predicts item t + 1 from items <= t; the loss is the cross-entropy over all items
(a full softmax, RecBole's ``loss_type: CE``) with logits ``h_t @ E.T`` against the shared item table ``E``.
``loss="bce"`` trains as the paper did instead: the binary cross-entropy of the next item against one item drawn
at random per position (`losses.sampled_bce`); the paper draws among the items the user never had, this draws
among all items but the next one. The book keeps it to measure what the full softmax is worth
(Klenitskiy & Vasilev 2023).
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, Literal

import torch
from torch import Tensor

from sslrec_utils import losses
from sslrec_utils.models.base import Batch, Recommender, StepInfo, TrainData
from sslrec_utils.models.transformer import TransformerConfig, TransformerEncoder


def other_items(targets: Tensor, n_items: int, generator: torch.Generator) -> Tensor:
    """One item per target, drawn uniformly among the `n_items` - 1 items other than it.

    Args:
        targets: (N,) int64 item ids in ``[0, n_items)``.
        n_items: number of items, at least 2.
        generator: on the device of `targets`.

    Returns:
        (N,) int64 item ids, none equal to its target.
    """
    draw = torch.randint(0, n_items - 1, targets.shape, generator=generator, device=targets.device)
    return draw + (draw >= targets).long()  # skipping the target keeps the draw uniform over the rest


@dataclasses.dataclass(frozen=True)
class SASRecConfig(TransformerConfig):
    """Hyperparameters of `SASRec`; ``sslrec models sasrec`` says what each means."""

    name: ClassVar[str] = "sasrec"
    # TransformerConfig's defaults were chosen with ties in time ordered by item ID; with ties in a random order
    # RecBole's dropout 0.5 lost on validation NDCG@10 over seeds 2020-2022 (0.0720 against 0.0765, higher on one
    # seed; 0.0747 with a patience of 40, tuning/sasrec-patience40) and lr 1e-3 on seed 2020 (0.0626 against
    # 0.0726) (benchmarks/results/tuning/sasrec-random-ties)
    loss: Literal["ce", "bce"] = "ce"  # full softmax over all items, or the paper's one sampled negative

    def build(self, data: TrainData) -> SASRec:
        self.check_max_len(data)
        return SASRec(data.n_items, windows=self.windows, loss=self.loss, **self.encoder_sizes())


class SASRec(Recommender):
    """Causal transformer next-item model.

    Args:
        n_items: number of real items; ``n_items`` is the padding index, extra tokens follow it.
        windows: training windows, ``"all"`` or ``"last"`` (see `sslrec_utils.batching.next_item`).
        loss: ``"ce"`` (cross-entropy over all items) or ``"bce"`` (one sampled negative per position).
        n_special: extra token rows after the padding row (CL4SRec's [mask]).
        **sizes: `TransformerEncoder` sizes (``max_len``, ``hidden_dim``, ...).
    """

    batcher = "next_item"
    score_inputs = ("seqs",)

    def __init__(
        self,
        n_items: int,
        windows: str = "all",
        loss: Literal["ce", "bce"] = "ce",
        n_special: int = 0,
        **sizes: Any,
    ) -> None:
        if loss not in ("ce", "bce"):
            raise ValueError(f"loss must be 'ce' or 'bce', got {loss!r}")
        if loss == "bce" and n_items < 2:
            raise ValueError(
                f"loss='bce' draws an item other than the next one: it needs 2 items, got {n_items}"
            )
        super().__init__()
        self.n_items, self.windows, self.loss = n_items, windows, loss
        self.encoder = TransformerEncoder(n_items + 1 + n_special, pad=n_items, causal=True, **sizes)
        self.max_len = self.encoder.max_len

    def batcher_options(self) -> dict[str, Any]:
        return {"max_len": self.max_len, "windows": self.windows}

    def forward(self, seqs: Tensor) -> Tensor:
        """(B, L) right-aligned item ids -> (B, L, d) hidden states; state t has seen items <= t only."""
        return self.encoder(seqs)

    def logits(self, hidden: Tensor) -> Tensor:
        """(..., d) hidden states -> (..., n_items) scores of the real items."""
        return hidden @ self.item_embeddings().T

    def next_item_loss(self, seqs: Tensor, targets: Tensor) -> tuple[Tensor, Tensor]:
        """Cross-entropy of the next item at every non-padding position, and the (B, L, d) hidden states."""
        hidden = self(seqs)
        keep = targets != -100  # only these positions need the (N, n_items) logits
        return losses.item_ce(self.logits(hidden[keep]), targets[keep]), hidden

    def sampled_loss(self, seqs: Tensor, targets: Tensor, generator: torch.Generator) -> Tensor:
        """Binary cross-entropy of the next item against one other item drawn uniformly, at every position."""
        hidden = self(seqs)
        keep = targets != -100
        h, pos = hidden[keep], targets[keep]  # (N, d), (N,)
        neg = other_items(pos, self.n_items, generator)
        emb = self.item_embeddings()
        return losses.sampled_bce((h * emb[pos]).sum(-1), (h * emb[neg]).sum(-1))

    def training_loss(self, batch: Batch, info: StepInfo) -> Tensor:
        if self.loss == "bce":
            return self.sampled_loss(batch["seqs"], batch["targets"], info.generator)
        return self.next_item_loss(batch["seqs"], batch["targets"])[0]

    def score(self, inputs: Batch) -> Tensor:
        return self.logits(self(inputs["seqs"])[:, -1])  # the latest position predicts the next item

    def item_embeddings(self) -> Tensor:
        return self.encoder.item_emb.weight[: self.n_items]

    def batch_bytes(self, batch_size: int, training: bool) -> int:
        return self.encoder.batch_bytes(batch_size, training)
