"""What a training run is given and what it returns: `TrainConfig` (with its learning-rate schedules) and
`FitResult`."""

from __future__ import annotations

import dataclasses
import math

import pandas as pd

from sslrec_utils.config import Config, ConfigError, check_count, check_seed_value, check_unique, did_you_mean
from sslrec_utils.metrics import METRICS, check_k

LR_SCHEDULES = ("constant", "linear", "cosine")
# the `TrainConfig` fields that fitting a closed-form model (Pop, EASE, ...) and choosing its grid point read:
# it has no optimiser, batches or epochs
CLOSED_FORM_SETTINGS = ("metric", "ks", "eval_batch_size", "seed", "device", "progress")


def lr_factor(schedule: str, progress: float) -> float:
    """The multiplier of the learning rate after a fraction `progress` (0 to 1) of all planned steps.

    ``"linear"`` falls from 1 to 0 in a straight line (BERT's and BERT4Rec's schedule, without warm-up),
    ``"cosine"`` along half a cosine wave; ``"constant"`` stays 1.
    """
    if schedule == "constant":
        return 1.0
    progress = min(max(progress, 0.0), 1.0)
    if schedule == "linear":
        return 1.0 - progress
    if schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * progress))
    raise ValueError(f"unknown lr_schedule {schedule!r}; choose from {LR_SCHEDULES}")


@dataclasses.dataclass(frozen=True)
class TrainConfig(Config):
    """How `fit` trains and selects an epoch; a model's ``train_defaults`` change some of these (``sslrec models
    NAME`` lists the values each model trains with, and what each setting means)."""

    epochs: int = 100  # maximum number of passes over the training data
    batch_size: int = 256  # users (autoencoders), interactions (BPR) or sequences per update
    lr: float = 1e-3  # Adam learning rate
    weight_decay: float = 0.0  # Adam's L2 penalty
    lr_schedule: str = "constant"  # "constant", or "linear" / "cosine": decay to 0 over `epochs` (per step)
    patience: int = 10  # evaluations without improvement before stopping
    eval_every: int = 1  # evaluate on validation every this many epochs
    metric: str = "ndcg@10"  # validation metric that selects the best epoch
    ks: tuple[int, ...] = (10, 20)  # cut-offs reported
    eval_batch_size: int = 1024  # users scored at once
    grad_clip: float | None = None  # max gradient norm (None: no clipping)
    amp: bool = True  # bfloat16 autocast on a GPU that computes in it (Ampere or later); ignored elsewhere
    seed: int = 2020  # seeds weights, dropout, shuffling and sampling
    device: str = "auto"  # "auto", "cpu", "cuda", "cuda:1", "mps"
    progress: bool = True  # show a tqdm bar

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "patience", "eval_every", "eval_batch_size"):
            check_count(getattr(self, name), name)
        if not 0 < self.lr < math.inf:
            raise ConfigError(f"lr must be > 0 and finite, got {self.lr}")
        if not 0 <= self.weight_decay < math.inf:
            raise ConfigError(f"weight_decay must be >= 0 and finite, got {self.weight_decay}")
        # a clip <= 0 would reverse or stop every gradient
        if self.grad_clip is not None and not 0 < self.grad_clip < math.inf:
            raise ConfigError(
                f"grad_clip must be > 0 (a maximum gradient norm) or None, got {self.grad_clip}"
            )
        check_seed_value(self.seed)
        if self.lr_schedule not in LR_SCHEDULES:
            raise ConfigError(f"lr_schedule must be one of {LR_SCHEDULES}, got {self.lr_schedule!r}")
        if not self.ks or any(not isinstance(k, int) or k < 1 for k in self.ks):
            raise ConfigError(f"ks must be positive integers, e.g. [10, 20]; got {list(self.ks)}")
        check_unique("ks", self.ks)
        name, _, k = self.metric.partition("@")
        if k.isdigit() and str(int(k)) != k:  # "ndcg@010": spelt as the evaluation's keys are, "ndcg@10"
            k = str(int(k))
            object.__setattr__(self, "metric", f"{name}@{k}")  # frozen: set once, before anyone reads it
        if name in (*METRICS, "coverage") and k.isdigit() and int(k) not in self.ks:  # e.g. ks=[1,3] alone
            raise ConfigError(
                f"the selection metric {self.metric!r} is at a cut-off that ks={list(self.ks)} leaves out: "
                f"add {k} to ks, or set the metric too (e.g. metric={name}@{self.ks[0]})"
            )
        if name not in (*METRICS, "coverage") or not k.isdigit():
            raise ConfigError(
                f"metric must be one of {[*METRICS, 'coverage']} at a cut-off in ks={list(self.ks)}, "
                f"e.g. 'ndcg@{self.ks[0]}'; got {self.metric!r}{did_you_mean(name, [*METRICS, 'coverage'])}"
            )


@dataclasses.dataclass(frozen=True)
class FitResult:
    """What `fit` returns. The model passed in holds the best weights afterwards.

    Attributes:
        history: one row per evaluated epoch: ``epoch``, ``train_loss`` (the mean of that epoch's batch losses,
            each the model's own mean over its batch, so a short last batch counts as much as a full one), ``lr``
            (after the epoch's last step: the rate the next epoch starts at), the validation metrics
            (``ndcg@10``, ...), ``epoch_seconds``, ``epoch_train_seconds`` and ``elapsed_seconds``. A closed-form
            model's single row has epoch 0, ``train_loss`` NaN, the metrics and ``epoch_seconds``, and no ``lr``,
            ``epoch_train_seconds`` or ``elapsed_seconds``.
        best_epoch: the epoch whose weights the model holds; 0 for closed-form models.
        best_valid: validation metrics at the best epoch.
        train_seconds: wall time of the whole run, evaluation included.
        seconds_to_best: wall time until the best epoch finished.
        interrupted: stopped by Ctrl-C (KeyboardInterrupt) before early stopping or the last epoch.
    """

    history: pd.DataFrame
    best_epoch: int
    best_valid: dict[str, float]
    train_seconds: float
    seconds_to_best: float
    interrupted: bool = False


def check_train_config(cfg: object) -> None:
    """Raise a `TypeError` unless `cfg` is a `TrainConfig` (a dict of settings fails far later, on an
    attribute)."""
    if not isinstance(cfg, TrainConfig):
        raise TypeError(
            f"the training config must be a TrainConfig, e.g. TrainConfig(epochs=5) or the second value of "
            f"resolve_configs(model, ...), got {type(cfg).__name__}"
        )


def check_cut_offs(cfg: TrainConfig, n_items: int) -> None:
    """Raise a `ConfigError` unless every cut-off of ``cfg.ks`` lies in ``[1, n_items]`` (evaluation's own check,
    made before training rather than after it), naming the settings to give instead."""
    for k in cfg.ks:
        try:
            check_k(k, n_items)
        except ValueError as err:
            small = min(5, n_items)
            raise ConfigError(
                f"ks={list(cfg.ks)} but the data has {n_items} items: {err}; give cut-offs of at most {n_items} and "
                f"a metric at one of them, e.g. --set ks=[{small}] --set metric={cfg.metric.split('@')[0]}@{small}"
            ) from None
