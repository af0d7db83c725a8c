"""The training loop, `fit`, with its memory check before the first batch, the validation that picks the
best epoch, and the checkpoints it writes and reads."""

from __future__ import annotations

import copy
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from sslrec_utils.batching import make_batcher
from sslrec_utils.config import ConfigError
from sslrec_utils.data.download import atomic_write
from sslrec_utils.distributed import DistContext, batches_per_rank, broadcast, mean_over_ranks, shard, wrap
from sslrec_utils.metrics import NaNScoresError, evaluate
from sslrec_utils.models.base import Recommender, StepInfo, TrainData
from sslrec_utils.profiling import physical_memory
from sslrec_utils.splits import Split
from sslrec_utils.train.device import keeps_global_rng, native_bf16, resolve_device, set_seed
from sslrec_utils.train.evaluation import make_score_fn
from sslrec_utils.train.settings import FitResult, TrainConfig, check_cut_offs, check_train_config, lr_factor


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


@keeps_global_rng
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

    Training seeds Python's, NumPy's and PyTorch's global generators with ``cfg.seed`` (dropout draws from
    them), and gives them back in the caller's states when it ends. The models' other draws (views, noise,
    masks, negatives) come from ``StepInfo.generator``, seeded with ``cfg.seed`` plus the process's rank.

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
    check_train_config(cfg)
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
        check_cut_offs(cfg, split.n_items)
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
