"""SASRec (Kang & McAuley 2018): a causal transformer over a user's item history predicts the next item.

Every position t of a window predicts item t + 1 from items <= t; the loss is the cross-entropy over all items
(a full softmax, RecBole's ``loss_type: CE``) with logits ``h_t @ E.T`` against the shared item table ``E``.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from torch import Tensor

from sslrec_utils import losses
from sslrec_utils.models.base import Batch, Recommender, StepInfo, TrainData
from sslrec_utils.models.transformer import TransformerConfig, TransformerEncoder


@dataclasses.dataclass(frozen=True)
class SASRecConfig(TransformerConfig):
    name: ClassVar[str] = "sasrec"

    def build(self, data: TrainData) -> SASRec:
        return SASRec(data.n_items, windows=self.windows, **self.encoder_sizes())


class SASRec(Recommender):
    """Causal transformer next-item model.

    Args:
        n_items: number of real items; ``n_items`` is the padding index, extra tokens follow it.
        windows: training windows, ``"all"`` or ``"last"`` (see `sslrec_utils.batching.next_item`).
        n_special: extra token rows after the padding row (CL4SRec's [mask]).
        **sizes: `TransformerEncoder` sizes (``max_len``, ``hidden_dim``, ...).
    """

    batcher = "next_item"
    score_inputs = ("seqs",)

    def __init__(self, n_items: int, windows: str = "all", n_special: int = 0, **sizes: Any) -> None:
        super().__init__()
        self.n_items, self.windows = n_items, windows
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

    def training_loss(self, batch: Batch, info: StepInfo) -> Tensor:
        return self.next_item_loss(batch["seqs"], batch["targets"])[0]

    def score(self, inputs: Batch) -> Tensor:
        return self.logits(self(inputs["seqs"])[:, -1])  # the latest position predicts the next item

    def item_embeddings(self) -> Tensor:
        return self.encoder.item_emb.weight[: self.n_items]
