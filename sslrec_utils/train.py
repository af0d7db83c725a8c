"""The one training loop: mini-batch updates, validation by full ranking, early stopping, checkpoints.

``fit(model, split, TrainConfig(...))`` trains a `Recommender` on ``split``'s training part, evaluates
NDCG@10 (by default) on the validation part after every epoch, keeps the best weights, stops after `patience`
evaluations without improvement and returns a `FitResult`, whose ``.history`` is a DataFrame with one row per
evaluated epoch. Closed-form models are fitted once. Ctrl-C stops a long run early without losing it: the best
epoch so far is kept, tested and written as usual.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import math
import random
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import torch
from torch import Tensor
from tqdm import tqdm

from sslrec_utils.batching import RowTable, make_batcher
from sslrec_utils.config import Config, ConfigError, check_count, check_seed_value, check_unique, did_you_mean
from sslrec_utils.data.download import atomic_write
from sslrec_utils.distributed import DistContext, batches_per_rank, broadcast, mean_over_ranks, shard, wrap
from sslrec_utils.metrics import METRICS, EvalResult, NaNScoresError, check_k, evaluate
from sslrec_utils.models.base import Recommender, StepInfo, TrainData
from sslrec_utils.profiling import physical_memory
from sslrec_utils.splits import Split, pad_sequences


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"`` picks CUDA, then Apple MPS, then CPU; anything else names a device that must exist here.

    Raises:
        ConfigError: `device` is not a CPU, CUDA or MPS device, or this machine (or this build of PyTorch)
            has no such device.
    """
    if str(device) != "auto":
        try:
            chosen = torch.device(device)
        except (RuntimeError, TypeError):
            chosen = None
        if chosen is None or chosen.type not in ("cpu", "cuda", "mps"):
            raise ConfigError(f"device {str(device)!r} is not a device; use auto, cpu, cuda, cuda:N or mps")
        mps = getattr(torch.backends, "mps", None)
        n_cuda = torch.cuda.device_count() if chosen.type == "cuda" and torch.cuda.is_available() else 0
        if (chosen.type == "cuda" and (chosen.index or 0) >= n_cuda) or (
            chosen.type == "mps" and not (mps is not None and mps.is_available())
        ):
            found = f"{n_cuda} CUDA device(s)" if chosen.type == "cuda" else "no MPS device"
            raise ConfigError(
                f"device {str(device)!r} is not available here (PyTorch sees {found}); use auto or cpu"
            )
        return chosen
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


@contextlib.contextmanager
def intra_op_threads(n: int) -> Iterator[None]:
    """Run the block with torch's intra-op thread count set to `n`, and restore the count it had after it."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def set_seed(seed: int) -> None:
    """Seed Python's, NumPy's and PyTorch's (CPU and CUDA) generators, for weight init and dropout."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


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
                "a strong-generalisation split; use --split holdout, or a model that folds in a history"
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


def native_bf16(device: torch.device) -> bool:
    """Whether `device` is a CUDA GPU that computes in bfloat16 (Ampere or later), where the trainer's mixed
    precision pays. Older GPUs (V100, T4) only emulate it, which would make training slower, not faster."""
    if device.type != "cuda":
        return False
    with torch.cuda.device(device):
        return torch.cuda.is_bf16_supported(including_emulation=False)


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


def check_memory(model: Recommender, cfg: TrainConfig, device: torch.device, local_ranks: int = 1) -> None:
    """Raise a `ConfigError` if one batch of `model` (`Recommender.batch_bytes`) needs more memory than this machine
    has. On the CPU the kernel's out-of-memory killer would end the process without a message and leave its
    output folder half written; CUDA fails the allocation with an error the command line explains instead, so
    only CPU training is checked. `local_ranks` processes of a distributed run on this machine each take a
    training step at once (validation runs on rank 0 alone)."""
    if model.closed_form:  # no batches; and it reads only the settings CLOSED_FORM_SETTINGS lists
        return
    memory = physical_memory() if device.type == "cpu" else None
    if memory is None:
        return
    train = local_ranks * model.batch_bytes(cfg.batch_size, training=True)
    score = model.batch_bytes(cfg.eval_batch_size, training=False)
    if max(train, score) <= memory:
        return
    if train >= score:
        setting, what = "batch_size", f"one training step of batch_size={cfg.batch_size}"
        what += f" in each of the {local_ranks} processes on this machine" if local_ranks > 1 else ""
    else:
        setting, what = "eval_batch_size", f"one validation batch of eval_batch_size={cfg.eval_batch_size}"
    raise ConfigError(
        f"{type(model).__name__} needs about {max(train, score) / 2**30:,.1f} GiB of memory for {what}, more "
        f"than this machine's {memory / 2**30:,.1f} GiB: lower max_len (attention grows with its square) or "
        f"{setting}"
    )


def fit(
    model: Recommender,
    split: Split,
    cfg: TrainConfig,
    out_dir: str | Path | None = None,
    dist: DistContext | None = None,
    monitor: Callable[[Recommender], dict[str, float]] | None = None,
    label: str | None = None,
    run_id: str | None = None,
) -> FitResult:
    """Train `model` on ``split``'s training part, selecting the epoch by validation ``cfg.metric``.

    Args:
        model: a freshly built `Recommender`.
        split: the data split; training uses its ``train`` part, selection its ``valid`` part.
        cfg: training hyperparameters.
        out_dir: if given, the best weights are written to ``out_dir/checkpoint.pt`` whenever they improve.
        dist: in a ``torchrun`` launch, this process's `DistContext`: batches are sharded over ranks, gradients
            averaged, and rank 0 alone validates, writes and decides when to stop (see `sslrec_utils.distributed`).
        monitor: called with the model after each validation (rank 0 only); what it returns joins that epoch's
            history row, and the time it takes is left out of every time `fit` reports. It only watches: it
            never influences training or selection (benchmarks use it to time when test quality is reached).
        label: the progress bar's name (default: the model's class; a search adds "2/6").
        run_id: stored in each checkpoint written, to match it with its run's ``config.json``.

    Returns:
        A `FitResult`; `model` holds the best weights (on the training device), in eval mode. On ranks other
        than 0 the history is empty and the weights are the last ones. Ctrl-C (KeyboardInterrupt) after the
        first validation ends training there and returns the best epoch so far, with ``interrupted`` set; before
        it, or in a distributed run, it propagates.
    """
    model.check_fits(split.n_users, split.n_items)
    device = dist.device if dist is not None else resolve_device(cfg.device)
    check_memory(model, cfg, device, dist.local_world_size if dist is not None else 1)
    set_seed(cfg.seed + (dist.rank if dist is not None else 0))  # dropout and noise differ between ranks
    main = dist is None or dist.is_main
    model.to(device)
    data = TrainData.from_split(split)
    # built before the clock starts: the first optimizer of a process imports torch._dynamo (seconds, once)
    optimizer = None
    if not model.closed_form:
        optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    start = time.perf_counter()
    evaluator = _Validator(model, split, cfg, device) if main else None
    if model.closed_form:
        model.fit(data)
        valid = broadcast(evaluator() if evaluator is not None else {}, dist)  # every rank gets rank 0's
        row = {"epoch": 0, "train_loss": float("nan"), **valid, "epoch_seconds": time.perf_counter() - start}
        elapsed = time.perf_counter() - start
        if out_dir is not None and main:
            save_checkpoint(Path(out_dir) / "checkpoint.pt", model, run_id=run_id)
        model.eval()
        return FitResult(pd.DataFrame([row] if main else []), 0, valid, elapsed, elapsed)

    batcher, n_batches = make_batcher(model.batcher, data, cfg.batch_size, device, **model.batcher_options())
    if not n_batches:  # else the lr schedule divides by 0 steps, before any message could say why
        raise ValueError(
            f"{type(model).__name__} has nothing to train on: its {model.batcher!r} batcher finds no example in "
            "this split's training part (a user with an interaction; for a sequence model, with at least 2)"
        )
    steps = batches_per_rank(n_batches, dist)  # per epoch: this rank's share of the batches all ranks draw
    # step_loss(batch, info) == model.training_loss(batch, info), DDP-synchronised in a distributed run
    step_loss = wrap(model, dist)
    assert optimizer is not None
    total_steps = cfg.epochs * steps
    # the schedule is planned over the whole budget: early stopping ends it before the lr reaches 0
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: lr_factor(cfg.lr_schedule, s / total_steps)
    )
    # the same on every rank: all ranks draw the same batches, then each takes its share
    rng = np.random.default_rng(cfg.seed)
    generator = torch.Generator(device=device).manual_seed(cfg.seed + (dist.rank if dist is not None else 0))
    use_amp = cfg.amp and native_bf16(device)
    history: list[dict[str, float]] = []
    best_score, best_epoch, best_state, best_valid, seconds_to_best = -np.inf, 0, None, {}, 0.0
    step, bad_evals = 0, 0
    bar = tqdm(
        range(1, cfg.epochs + 1),
        desc=label or type(model).__name__,
        disable=not (cfg.progress and main),
        unit="epoch",
    )
    interrupted = False
    try:
        for epoch in bar:
            model.train()
            epoch_start, total_loss = time.perf_counter(), torch.zeros((), device=device)
            for batch in shard(batcher(rng), dist, n_batches):
                info = StepInfo(step, epoch, total_steps, generator)
                with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
                    loss = step_loss(batch, info)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                if cfg.grad_clip is not None:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
                optimizer.step()
                scheduler.step()
                total_loss += loss.detach()
                step += 1
            train_loss = mean_over_ranks(total_loss, dist).item() / steps
            train_seconds = time.perf_counter() - epoch_start
            if not np.isfinite(train_loss):
                raise FloatingPointError(
                    f"training loss became {train_loss} at epoch {epoch}: lower the lr, or a setting that scales "
                    "the loss (a weight, a temperature)"
                )
            if epoch % cfg.eval_every and epoch != cfg.epochs:
                continue
            if evaluator is None:  # ranks other than 0 wait for rank 0's decision
                if broadcast(None, dist):
                    break
                continue
            try:
                valid = evaluator()
            except NaNScoresError as err:  # weights diverged while the epoch's mean loss stayed finite
                raise FloatingPointError(
                    f"the model's scores became NaN or infinite at epoch {epoch} ({err}; training loss "
                    f"{train_loss:.4g}): "
                    "lower the lr, or a setting that scales the loss (a weight, a temperature)"
                ) from None
            watched: dict[str, float] = {}
            if monitor is not None:
                paused = time.perf_counter()
                watched = monitor(model)
                paused = time.perf_counter() - paused
                start, epoch_start = start + paused, epoch_start + paused  # the clock skips the monitor
            history.append(
                {
                    "epoch": epoch,
                    "train_loss": train_loss,
                    "lr": optimizer.param_groups[0]["lr"],
                    **valid,
                    **watched,
                    "epoch_seconds": time.perf_counter() - epoch_start,
                    "epoch_train_seconds": train_seconds,
                    "elapsed_seconds": time.perf_counter() - start,
                }
            )
            bar.set_postfix(loss=f"{train_loss:.4f}", **{cfg.metric: f"{valid[cfg.metric]:.4f}"})
            if valid[cfg.metric] > best_score:
                # the weights first: a Ctrl-C while copying them keeps the previous best whole, never this
                # epoch's number and metrics with the previous epoch's weights
                state = copy.deepcopy(model.state_dict())
                best_score, best_epoch, best_valid, best_state = valid[cfg.metric], epoch, valid, state
                bad_evals = 0
                seconds_to_best = time.perf_counter() - start
                if out_dir is not None:
                    save_checkpoint(Path(out_dir) / "checkpoint.pt", model, run_id=run_id)  # rank 0 only
            else:
                bad_evals += 1
            if broadcast(bad_evals >= cfg.patience, dist):
                break
    except KeyboardInterrupt:
        # Ctrl-C keeps what was learnt: stop here and return the best epoch so far. A distributed run cannot
        # agree on that across ranks, and with no validation yet there is nothing to keep, so both re-raise.
        if dist is not None or best_state is None:
            raise
        interrupted = True
        tqdm.write(
            f"interrupted at epoch {epoch}: keeping the best epoch so far, {best_epoch} "
            f"({cfg.metric} {best_score:.4f} on validation)",
            file=sys.stderr,
        )
    bar.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()  # scored next, most likely: no dropout or sampling left on (validation had set train mode)
    best_epoch, best_valid = broadcast((best_epoch, best_valid), dist)
    return FitResult(
        pd.DataFrame(history),
        best_epoch,
        best_valid,
        time.perf_counter() - start,
        seconds_to_best,
        interrupted,
    )


class _Validator:
    """Validation scoring with inputs prepared once for the whole run."""

    def __init__(self, model: Recommender, split: Split, cfg: TrainConfig, device: torch.device) -> None:
        self.model, self.cfg = model, cfg
        self.score_fn, self.plan = make_score_fn(model, split, "valid", device)
        # checked here, before training, rather than by the first validation, after a whole epoch (or fit)
        for k in cfg.ks:
            try:
                check_k(k, split.n_items)
            except ValueError as err:
                raise ConfigError(
                    f"ks={list(cfg.ks)} but the data has {split.n_items} items: {err}"
                ) from None
        if not len(self.plan.users):
            raise ValueError(
                "no validation user has both input and held-out interactions in this split, so no epoch can be "
                "selected: split the data with make_split, which checks this, or into more users"
            )

    @torch.no_grad()
    def __call__(self) -> dict[str, float]:
        self.model.eval()
        result = evaluate(
            self.score_fn,
            self.plan.users,
            self.plan.heldout,
            self.plan.exclude,
            ks=self.cfg.ks,
            batch_size=self.cfg.eval_batch_size,
        )
        self.model.train()
        return {k: float(v) for k, v in result.summary.items()}


def save_checkpoint(path: str | Path, model: Recommender, **extra: Any) -> None:
    """Write ``{"state_dict": ..., **extra}`` atomically: to a temporary file, then renamed over `path`.

    `extra` must hold only plain data (numbers, strings, lists, dicts, tensors) so that the file loads with
    ``torch.load(weights_only=True)``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    with atomic_write(path, "wb") as fh:
        torch.save({"state_dict": state, **extra}, fh)


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load a checkpoint written by `save_checkpoint`, safely (``weights_only=True``: no pickled code)."""
    return torch.load(Path(path), map_location=map_location, weights_only=True)
