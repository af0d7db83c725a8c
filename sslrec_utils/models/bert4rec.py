"""BERT4Rec (Sun et al. 2019): a bidirectional transformer trained to recover masked items (the cloze task).

Training replaces each item of a window by a [MASK] token with probability `mask_prob` and predicts the
originals from both sides. At scoring time the input is the latest ``max_len - 1`` items followed by [MASK],
and the model's guess for that mask ranks the items. Because the cloze task rarely looks like that final
position, a fraction `last_prob` of training windows mask only their latest item instead: the common
fine-tuning trick (RecBole's ``ft_ratio``, 0.5 there, per batch; here per window), which matters for next-item
evaluation. Such a window is first cut at a random item (the items after it dropped), so that over the epochs
every training item, not only the last of each fixed window, serves as a next-item target.

The loss is the mean over a batch's masked positions, as in the authors' code. A last-only window holds one of
them and a cloze window about ``mask_prob`` of its items, so on ml-100k's leave-one-out split at the defaults
the last-only windows, 80% of the windows, hold 20% of an epoch's targets (15,826 of 78,566:
benchmarks/results/bert4rec_targets); RecBole's fine-tuning batches are next-item only, whole.
``loss_mean="window"`` averages each window's targets first, which gives the last-only windows their share of
the windows. Each item is masked independently, as in RecBole (the authors' code masks a fixed count per
sequence), so a short window may draw no mask and add nothing.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, Literal

import torch
from torch import Tensor, nn

from sslrec_utils import losses
from sslrec_utils.config import ConfigError
from sslrec_utils.models.base import Batch, Recommender, StepInfo, TrainData
from sslrec_utils.models.transformer import TransformerConfig, TransformerEncoder


@dataclasses.dataclass(frozen=True)
class BERT4RecConfig(TransformerConfig):
    """Hyperparameters of `BERT4Rec`; ``sslrec models bert4rec`` says what each means."""

    name: ClassVar[str] = "bert4rec"
    # chosen on ml-100k (loo, ties in time ordered by item ID as before 2026-12-01) validation NDCG@10, seed 2020
    # (RecBole: mask 0.2, dropout 0.2); the search (benchmarks/results/tuning/bert4rec): last_prob 0.5 -> 0.8 raised
    # it from 0.0590 to 0.0635; with last_prob 0.8, mask_prob 0.2 / 0.6 gave 0.0595 / 0.0634, dropout 0.2 0.0614, lr
    # 1e-3 0.0627; a 600-epoch budget, batches of 256 or 1024 windows, twice the width and four layers left the
    # level the validation curve settles at unchanged; overlapping windows (stride 5: 8.2 times the windows per
    # epoch) with a patience of 40 validations raised it from at most 0.0602 to 0.0673, and the best validation
    # figure over seeds 2020-2022 from 0.0627 to 0.0769 (benchmarks/results/tuning/bert4rec-levels,
    # ml-100k-loo-bert4rec-dropout01, ml-100k-loo-bert4rec-tiled); `--set stride=None --set patience=15` restores
    # the former tiling, 6.5 times less time per epoch (benchmarks/results/epoch_throughput/). Stride 1 (one window
    # per prefix, 4.9 times the windows) was level with stride 5 at the same number of windows seen, over seeds
    # 2020-2022 (benchmarks/results/tuning/bert4rec-stride), and so was a learning rate decaying linearly to 0 over
    # 120 epochs (tuning/bert4rec-lr-schedule). Without dropout, the best validation figure over seeds 2020-2022
    # rose from 0.0769 to 0.0801, higher on every seed, which met the rule set before those runs
    # (tuning/bert4rec-dropout0-200); `--set dropout=0.1 --set attn_dropout=0.1` restores the former defaults
    # (ml-100k-loo-bert4rec-dropout01). With ties in time in a random order, dropout 0.1 lost on validation over
    # three seeds, 0.0750 against 0.0756, higher on one (tuning/bert4rec-random-ties), so dropout stays 0
    train_defaults: ClassVar[dict[str, Any]] = {
        **TransformerConfig.train_defaults,
        "eval_every": 2,  # the cloze task learns next-item ranking slowly: validate every other epoch
        "patience": 40,  # its validation figure can stall for 60 epochs before rising again
    }
    mask_prob: float = 0.4  # probability that an item of a training window is masked
    last_prob: float = 0.8  # fraction of training windows that mask only their latest item
    stride: int | None = 5  # windows="all": a window ends every `stride` items (None: max_len, no overlap)
    dropout: float = 0.0  # dropout on the embeddings and each residual branch: none, on validation
    attn_dropout: float = 0.0  # dropout on attention weights: none (SASRec and CL4SRec keep 0.2)
    # the loss's mean: over masked positions (the authors') or over windows, each window's positions averaged
    # first, so that a last-only window weighs as much as a cloze window (module docstring); screened at the
    # former tiling, seed 2020: 0.0581 per window against 0.0630 per position (tuning/bert4rec-loss-mean)
    loss_mean: Literal["position", "window"] = "position"  # mean over masked positions, or over windows

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0 < self.mask_prob < 1 or not 0 <= self.last_prob <= 1:
            raise ConfigError(
                f"need 0 < mask_prob < 1 and 0 <= last_prob <= 1, got {self.mask_prob}, {self.last_prob}"
            )
        if (
            self.stride is not None and not 1 <= self.stride <= self.max_len
        ):  # beyond, items fall between windows
            default = self.stride == type(self).__dataclass_fields__["stride"].default
            raise ConfigError(
                f"stride must lie in 1..max_len={self.max_len} or be None, got {self.stride}"
                + (f" (its default): with max_len {self.max_len}, set stride too" if default else "")
            )

    def build(self, data: TrainData) -> BERT4Rec:
        self.check_max_len(data)
        sizes = self.encoder_sizes()
        return BERT4Rec(
            data.n_items,
            self.mask_prob,
            self.last_prob,
            self.windows,
            self.stride,
            loss_mean=self.loss_mean,
            **sizes,
        )


class BERT4Rec(Recommender):
    """Bidirectional transformer with a masked-item head.

    Args:
        n_items: number of real items; ``n_items`` pads, ``n_items + 1`` is [MASK].
        mask_prob: cloze masking probability.
        last_prob: fraction of windows with only the latest item masked.
        windows: training windows, ``"all"`` or ``"last"`` (see `sslrec_utils.batching.cloze`).
        stride: items between the ends of consecutive windows with ``windows="all"`` (None: ``max_len``).
        loss_mean: ``"position"`` (mean over masked positions) or ``"window"`` (mean of the windows' means).
        dropout: dropout of the encoder's residual branches and embeddings (none: `BERT4RecConfig`'s choice on
            validation; the encoder's own default is 0.2, SASRec's).
        attn_dropout: dropout of the attention weights (none, likewise).
        **sizes: other `TransformerEncoder` sizes (``max_len`` counts the [MASK] slot at scoring time).
    """

    batcher = "cloze"
    score_inputs = ("seqs",)

    def __init__(
        self,
        n_items: int,
        mask_prob: float = 0.4,
        last_prob: float = 0.8,
        windows: str = "all",
        stride: int | None = 5,
        loss_mean: str = "position",
        dropout: float = 0.0,
        attn_dropout: float = 0.0,
        **sizes: Any,
    ) -> None:
        super().__init__()
        if loss_mean not in ("position", "window"):
            raise ValueError(f"loss_mean must be 'position' or 'window', got {loss_mean!r}")
        self.loss_mean = loss_mean
        self.n_items, self.mask_token = n_items, n_items + 1
        self.mask_prob, self.last_prob, self.windows, self.stride = mask_prob, last_prob, windows, stride
        self.encoder = TransformerEncoder(
            n_items + 2, pad=n_items, causal=False, dropout=dropout, attn_dropout=attn_dropout, **sizes
        )
        self.max_len = self.encoder.max_len
        d = self.encoder.item_emb.embedding_dim
        # BERT's prediction head: a transform, then scores tied to the item table plus a bias per item
        self.head = nn.Sequential(nn.Linear(d, d), nn.GELU(), nn.LayerNorm(d))
        self.bias = nn.Parameter(torch.zeros(n_items))

    def batcher_options(self) -> dict[str, Any]:
        return {"max_len": self.max_len, "windows": self.windows, "stride": self.stride}

    def forward(self, seqs: Tensor) -> Tensor:
        """(B, L) item ids (with [MASK]s) -> (B, L, n_items) logits of the item at each position."""
        return self.logits(self.encoder(seqs))

    def logits(self, hidden: Tensor) -> Tensor:
        """(..., d) hidden states -> (..., n_items) scores of the real items."""
        return self.head(hidden) @ self.item_embeddings().T + self.bias

    def mask(self, seqs: Tensor, generator: torch.Generator) -> tuple[Tensor, Tensor]:
        """Draw the cloze masks of a batch on its device.

        Args:
            seqs: (B, L) right-aligned windows.
            generator: random source on the same device.

        Returns:
            ``(inputs, targets)``, both (B, L): inputs with masked items replaced by [MASK] (last-only windows
            cut first); targets holding the masked items and -100 elsewhere.
        """
        (B, L), dev = seqs.shape, seqs.device
        last_only = torch.rand(B, 1, generator=generator, device=dev) < self.last_prob
        # a last-only window drops its latest `cut` items, 0 <= cut <= n - 2 (at least one item stays as context)
        n = (seqs != self.n_items).sum(1, keepdim=True)
        cut = (torch.rand(B, 1, generator=generator, device=dev) * (n - 1).clamp(min=1)).long() * last_only
        src = torch.arange(L, device=dev) - cut  # shift right by `cut`, padding on the left
        seqs = torch.where(src >= 0, seqs.gather(1, src.clamp(min=0)), self.n_items)
        is_last = torch.arange(L, device=dev) == L - 1
        u = torch.rand(B, L, generator=generator, device=dev)
        masked = (seqs != self.n_items) & torch.where(last_only, is_last, u < self.mask_prob)
        return seqs.masked_fill(masked, self.mask_token), torch.where(masked, seqs, -100)

    def training_loss(self, batch: Batch, info: StepInfo) -> Tensor:
        inputs, targets = self.mask(batch["seqs"], info.generator)
        keep = targets != -100
        logits = self.logits(self.encoder(inputs)[keep])
        window = None
        if self.loss_mean == "window":  # (N,) window of each target, among the windows that have one
            window = (keep.any(1).cumsum(0) - 1)[keep.nonzero()[:, 0]]
        return losses.item_ce(logits, targets[keep], groups=window)

    def score(self, inputs: Batch) -> Tensor:
        seqs = inputs["seqs"]  # (B, max_len): drop the oldest, append [MASK] after the latest
        masked = torch.cat([seqs[:, 1:], torch.full_like(seqs[:, :1], self.mask_token)], dim=1)
        return self.logits(self.encoder(masked)[:, -1])

    def item_embeddings(self) -> Tensor:
        return self.encoder.item_emb.weight[: self.n_items]

    def batch_bytes(self, batch_size: int, training: bool) -> int:
        return self.encoder.batch_bytes(batch_size, training)
