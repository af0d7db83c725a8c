"""A small transformer encoder over item sequences, shared by SASRec, BERT4Rec and CL4SRec (nanoGPT-like).

Sequences are right-aligned: column ``L - 1`` holds the latest item and padding (index ``pad``) fills the left.
Position embeddings count from the right, so the latest item always has the same position whatever the length.

The blocks are BERT's and RecBole's (GELU feed-forward layers ``inner_dim`` wide, 4 x d by default), with the
LayerNorm before each sub-layer by default (``pre_ln``, the form of SASRec's paper). SASRec's own code differs
in small ways this encoder does not follow: ReLU feed-forward layers d wide, item embeddings scaled by sqrt(d),
and (in the TensorFlow original) a LayerNorm on the queries alone.
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any, ClassVar, Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from sslrec_utils.config import ConfigError, DataWarning, check_rates
from sslrec_utils.models.base import ModelConfig, TrainData


@dataclasses.dataclass(frozen=True)
class TransformerConfig(ModelConfig):
    """Sizes shared by the transformer sequence models (tiny for CPU, larger on a GPU)."""

    # chosen on ml-100k (loo, ties in time ordered by item ID as before 2026-12-01) validation NDCG@10, seed
    # 2020: batch in windows of max_len items
    train_defaults: ClassVar[dict[str, Any]] = {"epochs": 200, "batch_size": 64, "lr": 2e-3, "patience": 15}
    max_len: int = 50  # history length the model reads (positions; attention memory grows with its square)
    hidden_dim: int = 64  # width d of embeddings and blocks
    n_layers: int = 2  # transformer blocks
    n_heads: int = 2  # attention heads; must divide hidden_dim
    inner_dim: int = 256  # width of each block's feed-forward layer
    dropout: float = 0.2  # dropout on the embeddings and on each residual branch
    attn_dropout: float = 0.2  # dropout on attention weights
    pre_ln: bool = True  # LayerNorm before each sub-layer (nanoGPT) or after the residual (BERT, RecBole)
    windows: Literal["all", "last"] = "all"  # train on every item ("all") or only each user's latest window

    def __post_init__(self) -> None:
        if self.n_heads < 1 or self.n_layers < 0:
            raise ConfigError(f"need n_heads >= 1 and n_layers >= 0, got {self.n_heads}, {self.n_layers}")
        if self.hidden_dim % self.n_heads:
            raise ConfigError(f"n_heads={self.n_heads} must divide hidden_dim={self.hidden_dim}")
        if self.max_len < 2:
            raise ConfigError(f"max_len must be >= 2, got {self.max_len}")
        check_rates(self, "dropout", "attn_dropout")

    def check_max_len(self, data: TrainData) -> None:
        """Warn when `max_len` is more than twice the longest training history and one item: every window is
        padded to `max_len` positions, and attention's time and memory grow with its square. (A test input,
        the history with the validation item, or a held-out user's history in the strong split, may be a
        little longer than any training history.)"""
        longest = int(data.sequences.lengths().max(initial=0))
        if self.max_len > 2 * (longest + 1):
            warnings.warn(
                f"max_len={self.max_len} is more than twice the longest training history ({longest} "
                f"{'item' if longest == 1 else 'items'}): every window is padded to {self.max_len} positions, and "
                f"attention's time and memory grow with its square; lower it towards {max(2, longest + 1)} "
                f"(--set max_len={max(2, longest + 1)})",
                DataWarning,
                stacklevel=3,
            )

    def encoder_sizes(self) -> dict[str, Any]:
        """Keyword arguments of `TransformerEncoder`: the fields above but `windows`."""
        fields = dataclasses.fields(TransformerConfig)
        return {f.name: getattr(self, f.name) for f in fields if f.name != "windows"}


# Bytes of CPU memory per window x position² (torch 2.13 on CPU, benchmarks/results/attention_memory/): measured
# 6.5-8.4 for a pass without gradients, whatever the heads and layers (the masks), and in training 13 to 15 more per
# layer and head with attention dropout (its weights, kept for the backward pass), 2.6 without. Set above what was
# measured (the estimate over the peak is 1.075-1.48 there), since `train.check_memory` refuses a run by them: too
# low, the kernel's out-of-memory killer would end the process without a message instead.
ATTENTION_BYTES = {"mask": 9, "train_per_head": 20, "train_no_dropout": 4}


def attention_mask(valid: Tensor, causal: bool) -> Tensor:
    """Which keys each query may attend to.

    Args:
        valid: (B, L) bool, False at padding.
        causal: whether position t may only see positions <= t.

    Returns:
        (B, 1, L, L) bool, True where attention is allowed. The diagonal is always allowed, so that a padding
        query (whose output is never used) still has one key and the softmax stays finite.
    """
    L = valid.shape[1]
    allowed = valid[:, None, None, :].expand(-1, 1, L, -1)
    eye = torch.eye(L, dtype=torch.bool, device=valid.device)
    if causal:
        allowed = allowed & torch.ones(L, L, dtype=torch.bool, device=valid.device).tril()
    return allowed | eye


class Block(nn.Module):
    """Multi-head self-attention and a GELU feed-forward layer, each with a residual connection."""

    def __init__(
        self, dim: int, n_heads: int, inner_dim: int, dropout: float, attn_dropout: float, pre_ln: bool
    ):
        super().__init__()
        self.n_heads, self.attn_dropout, self.pre_ln = n_heads, attn_dropout, pre_ln
        self.ln1, self.ln2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.mlp = nn.Sequential(nn.Linear(dim, inner_dim), nn.GELU(), nn.Linear(inner_dim, dim))
        self.drop = nn.Dropout(dropout)

    def attend(self, x: Tensor, mask: Tensor) -> Tensor:
        B, L, C = x.shape
        q, k, v = (
            t.view(B, L, self.n_heads, C // self.n_heads).transpose(1, 2) for t in self.qkv(x).split(C, -1)
        )
        p = self.attn_dropout if self.training else 0.0
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=p)  # (B, H, L, C/H)
        return self.drop(self.proj(y.transpose(1, 2).reshape(B, L, C)))

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        """(B, L, d) -> (B, L, d); `mask` (B, 1, L, L) bool from `attention_mask`."""
        if self.pre_ln:
            x = x + self.attend(self.ln1(x), mask)
            return x + self.drop(self.mlp(self.ln2(x)))
        x = self.ln1(x + self.attend(x, mask))
        return self.ln2(x + self.drop(self.mlp(x)))


class TransformerEncoder(nn.Module):
    """Item + learned position embeddings, then `n_layers` blocks: (B, L) item ids -> (B, L, d) states.

    Args:
        n_tokens: rows of the item table (real items, then padding, then any special tokens).
        pad: padding index (its embedding stays zero).
        causal: SASRec-style left-to-right attention, else bidirectional (BERT4Rec).
        max_len, hidden_dim, n_layers, n_heads, inner_dim, dropout, attn_dropout, pre_ln: see `TransformerConfig`.
    """

    def __init__(
        self,
        n_tokens: int,
        pad: int,
        causal: bool,
        max_len: int = 50,
        hidden_dim: int = 64,
        n_layers: int = 2,
        n_heads: int = 2,
        inner_dim: int = 256,
        dropout: float = 0.2,
        attn_dropout: float = 0.2,
        pre_ln: bool = True,
    ) -> None:
        super().__init__()
        if max_len < 2:  # as `TransformerConfig` requires
            raise ValueError(f"max_len must be >= 2, got {max_len}")
        self.pad, self.causal, self.max_len, self.pre_ln = pad, causal, max_len, pre_ln
        self.item_emb = nn.Embedding(n_tokens, hidden_dim, padding_idx=pad)
        self.pos_emb = nn.Embedding(max_len, hidden_dim)
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(
            Block(hidden_dim, n_heads, inner_dim, dropout, attn_dropout, pre_ln) for _ in range(n_layers)
        )
        self.ln = nn.LayerNorm(hidden_dim)  # final LayerNorm (pre-LN) or input LayerNorm (post-LN)
        self.apply(_init_weights)

    def batch_bytes(self, windows: int, training: bool) -> int:
        """About the most CPU memory a training step (`training`), or a forward pass without gradients, over
        `windows` windows takes in attention: ``ATTENTION_BYTES`` times windows x max_len².

        Each window is padded to ``max_len`` positions, so a batch's attention holds (B, L, L) masks and (in
        training) each layer's (B, heads, L, L) weights. The terms that grow with L but not L² (embeddings,
        feed-forward layers) are left out: they matter only where this estimate is far below memory.
        """
        per_position = ATTENTION_BYTES["mask"]
        if training:
            per_position += sum(
                b.n_heads * ATTENTION_BYTES["train_per_head" if b.attn_dropout else "train_no_dropout"]
                for b in self.blocks
            )
        return windows * self.max_len**2 * per_position

    def forward(self, seqs: Tensor) -> Tensor:
        """(B, L) item ids, L <= max_len, right-aligned -> (B, L, d) hidden states."""
        L = seqs.shape[1]
        if L > self.max_len:
            raise ValueError(f"sequences of length {L} exceed max_len={self.max_len}")
        x = self.item_emb(seqs) + self.pos_emb.weight[self.max_len - L :]  # (B, L, d)
        x = self.drop(x) if self.pre_ln else self.drop(self.ln(x))
        mask = attention_mask(seqs != self.pad, self.causal)
        for block in self.blocks:
            x = block(x, mask)
        return self.ln(x) if self.pre_ln else x


def _init_weights(module: nn.Module) -> None:
    """Normal(0, 0.02) weights and zero biases, as in BERT and nanoGPT; the padding row stays zero."""
    if isinstance(module, nn.Linear | nn.Embedding):
        nn.init.normal_(module.weight, std=0.02)
    if isinstance(module, nn.Linear) and module.bias is not None:
        nn.init.zeros_(module.bias)
    if isinstance(module, nn.Embedding) and module.padding_idx is not None:
        with torch.no_grad():
            module.weight[module.padding_idx].zero_()
