"""Data-parallel training with PyTorch DistributedDataParallel, launched by ``torchrun``.

    torchrun --nproc_per_node=4 -m sslrec_utils.cli train --model multvae --out runs/ddp --distributed

Every rank builds the same split and the same batches (same seeds) and trains on its share: rank r takes
batches r, r + W, r + 2W, ... so one synchronised step sees W consecutive batches, the same users a single
process would see with a batch W times larger. Gradients are averaged by DDP; rank 0 alone validates, decides
early stopping for everyone, evaluates the test part and writes the run. Backend: NCCL on CUDA, Gloo on CPU.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
from collections.abc import Iterator
from typing import Any, TypeVar

import torch
import torch.distributed as dist
from torch import Tensor, nn

from sslrec_utils.config import ConfigError
from sslrec_utils.models.base import Batch, Recommender, StepInfo

COLLECTIVE_TIMEOUT = datetime.timedelta(hours=1)  # how long a rank waits for the others before it fails

T = TypeVar("T")


class DistributedSetupError(ValueError):
    """A distributed run was asked for in a way that cannot start (no torchrun environment, no GPU...)."""


@dataclasses.dataclass(frozen=True)
class DistContext:
    """Where this process stands in a distributed run."""

    rank: int
    world_size: int
    local_rank: int
    device: torch.device
    # processes on this machine (torchrun's LOCAL_WORLD_SIZE), which share its memory
    local_world_size: int = 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def init_distributed(device: str = "auto") -> DistContext:
    """Join the process group ``torchrun`` describes in the environment (RANK, WORLD_SIZE, LOCAL_RANK,
    MASTER_ADDR, MASTER_PORT).

    Args:
        device: ``"auto"`` uses ``cuda:LOCAL_RANK`` when CUDA is available, else the CPU; ``"cpu"`` forces Gloo
            on CPU; ``"cuda"`` requires GPUs.

    Raises:
        DistributedSetupError: when not started by torchrun, or CUDA was asked for and is missing.
        ConfigError: `device` is none of auto, cpu and cuda.
    """
    missing = [
        v for v in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT") if v not in os.environ
    ]
    if missing:
        raise DistributedSetupError(
            f"--distributed needs the environment torchrun sets ({', '.join(missing)} missing); launch with "
            "`torchrun --nproc_per_node=N -m sslrec_utils.cli train ... --distributed`"
        )
    world_size = _env_int("WORLD_SIZE", 1, None)
    _env_int("RANK", 0, world_size - 1)  # a rank outside the group would wait for its peers for ever
    _env_int("MASTER_PORT", 1, 65535)
    if device not in ("auto", "cpu", "cuda"):  # the same on every rank: an error in the options
        raise ConfigError(
            f"--device {device!r} with --distributed: use auto, cpu or cuda (each process takes the GPU of its "
            "LOCAL_RANK)"
        )
    local_rank = _env_int("LOCAL_RANK", 0, world_size - 1)
    use_cuda = device != "cpu" and torch.cuda.is_available()
    if device.startswith("cuda") and not use_cuda:
        raise DistributedSetupError("--device cuda was asked for but CUDA is not available")
    if use_cuda:
        if local_rank >= torch.cuda.device_count():
            raise DistributedSetupError(
                f"LOCAL_RANK {local_rank} has no GPU: this machine has {torch.cuda.device_count()}; start at most "
                "that many processes per machine (torchrun --nproc_per_node), or train on the CPU (--device cpu)"
            )
        torch.cuda.set_device(local_rank)
    target = torch.device("cuda", local_rank) if use_cuda else torch.device("cpu")
    if not dist.is_initialized():
        # the other ranks wait in a broadcast while rank 0 validates, tests and writes the run: NCCL's default
        # of 10 minutes would abort a long validation (a large catalogue, a time-to-target monitor)
        dist.init_process_group(backend="nccl" if use_cuda else "gloo", timeout=COLLECTIVE_TIMEOUT)
    local = _env_int("LOCAL_WORLD_SIZE", 1, world_size) if "LOCAL_WORLD_SIZE" in os.environ else 1
    return DistContext(dist.get_rank(), dist.get_world_size(), local_rank, target, local)


def _env_int(name: str, low: int, high: int | None) -> int:
    """The integer environment variable `name`, checked to lie in ``[low, high]`` (no upper bound for None).

    Raises:
        DistributedSetupError: naming the variable, its value and the range.
    """
    text = os.environ[name]
    bound = f"an integer >= {low}" if high is None else f"an integer in {low}..{high}"
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < low or (high is not None and value > high):
        raise DistributedSetupError(
            f"{name}={text!r} in the environment must be {bound}; torchrun sets it: launch with "
            "`torchrun --nproc_per_node=N -m sslrec_utils.cli train ... --distributed`"
        )
    return value


def shutdown() -> None:
    """Leave the process group (call once, at the end of the run, on every rank)."""
    if dist.is_initialized():
        dist.destroy_process_group()


def batches_per_rank(n_batches: int, ctx: DistContext | None) -> int:
    """Synchronised steps per epoch: every rank must take the same number, so a remainder is dropped."""
    if ctx is None:
        return n_batches
    if n_batches < ctx.world_size:
        raise ValueError(
            f"{n_batches} batches per epoch cannot feed {ctx.world_size} ranks; lower batch_size or the rank count"
        )
    return n_batches // ctx.world_size


def shard(batches: Iterator[T], ctx: DistContext | None, per_rank: int) -> Iterator[T]:
    """This rank's batches: numbers rank, rank + W, ... of the shared sequence, `per_rank` of them."""
    if ctx is None:
        yield from batches
        return
    taken = 0
    for i, batch in enumerate(batches):
        if taken == per_rank:
            return
        if i % ctx.world_size == ctx.rank:
            taken += 1
            yield batch


def broadcast(obj: T, ctx: DistContext | None) -> T:
    """Rank 0's `obj` on every rank (any picklable object)."""
    if ctx is None:
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def mean_over_ranks(value: Tensor, ctx: DistContext | None) -> Tensor:
    """The mean of a scalar tensor over ranks (for logging the training loss)."""
    if ctx is None:
        return value
    value = value.detach().clone()
    dist.all_reduce(value)
    return value / ctx.world_size


class LossModule(nn.Module):
    """Wraps a model so that DDP sees ``training_loss`` as ``forward`` (DDP synchronises gradients only for
    computations that pass through the wrapped module's forward)."""

    def __init__(self, model: Recommender) -> None:
        super().__init__()
        self.model = model

    def forward(self, batch: Batch, info: StepInfo) -> Tensor:
        return self.model.training_loss(batch, info)


def wrap(model: Recommender, ctx: DistContext | None) -> nn.Module:
    """A module whose ``forward(batch, info)`` returns the loss: DDP-wrapped in a distributed run."""
    module = LossModule(model)
    if ctx is None:
        return module
    # DDP broadcasts rank 0's buffers to the others and cannot broadcast a sparse one (a graph model's
    # adjacency, AutoRec's ratings); nor need it: every rank builds them from the same split
    sparse = [f"model.{name}" for name, buffer in model.named_buffers() if buffer.layout != torch.strided]
    nn.parallel.DistributedDataParallel._set_params_and_buffers_to_ignore_for_model(module, sparse)
    ids: Any = [ctx.device.index] if ctx.device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(module, device_ids=ids)
