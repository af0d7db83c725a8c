"""Mult-VAE (Liang et al. 2018): Mult-DAE's multinomial likelihood with a Gaussian latent code.

The encoder maps the L2-normalised, dropout-corrupted item vector to the mean and log-variance of q(z | x); a
sample ``z = mu + sigma * eps`` (training only; the mean when scoring) is decoded to logits over items. The loss
is the negative ELBO with the KL term weighted by beta, annealed linearly from 0 to `anneal_cap` by update step:

    L = -sum_i x_i log softmax(f(z))_i + beta(step) * KL(q(z | x) || N(0, I)) + lam * ||W||^2
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import ClassVar, NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor

from sslrec_utils import losses
from sslrec_utils.config import check_nonnegative, check_rates
from sslrec_utils.models.base import Batch, ModelConfig, Recommender, StepInfo, TrainData
from sslrec_utils.models.multdae import check_widths, linear_weights, mlp


@dataclasses.dataclass(frozen=True)
class MultVAEConfig(ModelConfig):
    """The paper's architecture and dropout. The KL schedule and training settings are chosen on validation
    NDCG@10 (ml-100k holdout). (anneal_cap, total_anneal_steps) in {(0.2, 0), (0.3, 0), (0.5, 0), (0.5, 100)},
    mean over seeds 2020-2022: 0.2457, 0.2467, 0.2487, 0.2506 (benchmarks/results/tuning/multvae-anneal).
    Around that point, on seed 2020 only (tuning/multvae-seed2020): (batch_size, lr) in {(500, 1e-3),
    (500, 3e-3), (500, 1e-2), (250, 3e-3), (128, 3e-3)} and lam in {0, 1e-3, 0.01, 0.05}, none above these
    settings' 0.2506. 200000 updates to the cap never leave beta ~ 0 here (2 updates per epoch; 0.2394 on seed
    2020), nor would the paper's schedule, which reaches its cap 0.2 after 40000.

    ``total_anneal_steps`` counts the updates until beta reaches ``anneal_cap``. The authors' code counts them
    until beta would reach 1, ``beta = min(cap, step / total)``: their (0.2, 200000) is (0.2, 40000) here."""

    name: ClassVar[str] = "multvae"
    train_defaults: ClassVar[dict] = {"epochs": 200, "batch_size": 500, "lr": 3e-3, "patience": 20}
    search_space: ClassVar[dict] = {"anneal_cap": (0.2, 0.5), "total_anneal_steps": (0, 100)}
    hidden_dims: tuple[int, ...] = (600, 200)  # encoder widths, the last the latent size (paper)
    dropout: float = 0.5  # input dropout probability, as in the paper
    anneal_cap: float = 0.5  # largest KL weight beta (paper: 0.2; chosen on validation)
    total_anneal_steps: int = 100  # updates over which beta grows from 0 to anneal_cap (paper: 40000)
    lam: float = 0.0  # weight of lam * ||W||^2 on the weight matrices (the authors' Mult-VAE uses 0)

    def __post_init__(self) -> None:
        check_rates(self, "dropout")
        check_nonnegative(self, "anneal_cap", "total_anneal_steps", "lam")

    def build(self, data: TrainData) -> MultVAE:
        return MultVAE(
            data.n_items, self.hidden_dims, self.dropout, self.anneal_cap, self.total_anneal_steps, self.lam
        )


class VAEOutput(NamedTuple):
    logits: Tensor  # (B, n_items) decoded scores
    mu: Tensor  # (B, latent) posterior means
    logvar: Tensor  # (B, latent) posterior log-variances


class MultVAE(Recommender):
    """Variational autoencoder with a multinomial likelihood. The constructor's defaults are the paper's;
    `MultVAEConfig` holds those chosen on validation.

    Args:
        n_items: input and output width.
        hidden_dims: encoder widths, the last one the latent size; the decoder mirrors them.
        dropout: input dropout probability (training only).
        anneal_cap: largest KL weight.
        total_anneal_steps: updates over which the KL weight grows linearly to `anneal_cap` (not to 1, as
            the authors' ``total_anneal_steps``).
        lam: weight of the squared L2 norm of the weight matrices added to the loss.
    """

    batcher = "user_rows"
    score_inputs = ("rows",)

    def __init__(
        self,
        n_items: int,
        hidden_dims: Sequence[int] = (600, 200),
        dropout: float = 0.5,
        anneal_cap: float = 0.2,
        total_anneal_steps: int = 40_000,  # the paper's min(0.2, step / 200000) reaches its cap after 40000
        lam: float = 0.0,
    ) -> None:
        super().__init__()
        check_widths(hidden_dims)
        dims = [n_items, *hidden_dims]
        self.dropout, self.anneal_cap, self.total_anneal_steps, self.lam = (
            dropout,
            anneal_cap,
            total_anneal_steps,
            lam,
        )
        self.encoder = mlp([*dims[:-1], 2 * dims[-1]])  # outputs [mu, logvar]
        self.decoder = mlp(dims[::-1])

    def forward(self, x: Tensor, generator: torch.Generator | None = None) -> VAEOutput:
        """(B, n_items) interactions -> logits and the posterior; samples z only in training mode.

        Args:
            x: (B, n_items) interactions.
            generator: draws the reparameterisation noise (None: PyTorch's global generator).
        """
        h = F.dropout(F.normalize(x, dim=-1), self.dropout, self.training)
        mu, logvar = self.encoder(h).chunk(2, dim=-1)  # (B, latent) each
        z = mu
        if self.training:
            # float32 noise: mu is bfloat16 under autocast, whose 8-bit mantissa would coarsen the draw
            eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=torch.float32)
            z = mu + eps * torch.exp(0.5 * logvar)
        return VAEOutput(self.decoder(z), mu, logvar)

    def kl_weight(self, step: int) -> float:
        """beta after `step` updates: linear from 0 to `anneal_cap` over `total_anneal_steps`, then capped."""
        return losses.linear_anneal(step, self.total_anneal_steps, self.anneal_cap)

    def training_loss(self, batch: Batch, info: StepInfo) -> Tensor:
        x = batch["rows"]
        out = self(x, info.generator)
        loss = losses.multinomial_nll(out.logits, x)
        loss = loss + self.kl_weight(info.step) * losses.gaussian_kl(out.mu, out.logvar)
        if self.lam:
            loss = loss + self.lam * losses.sq_norm(*linear_weights(self.encoder, self.decoder))
        return loss

    def score(self, inputs: Batch) -> Tensor:
        return self(inputs["rows"]).logits

    def item_embeddings(self) -> Tensor:
        return self.decoder[-1].weight  # (n_items, hidden_dims[0]): each item's output weights
