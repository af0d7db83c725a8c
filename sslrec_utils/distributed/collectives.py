"""What the ranks of a distributed run do together while training: share the batches (`batches_per_rank`,
`shard`), check that they were given the same data and options (`check_same`), pass a value from rank 0
(`broadcast`), average a loss (`mean_over_ranks`), wrap a model in DDP (`wrap`), and name a failure that a
peer's end caused (`peer_failure`).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from typing import Any, TypeVar

import torch
import torch.distributed as dist
from torch import Tensor, nn

from sslrec_utils.config import ConfigError
from sslrec_utils.distributed.group import DistContext, _first_line
from sslrec_utils.models.base import Batch, Recommender, StepInfo

T = TypeVar("T")


def batches_per_rank(n_batches: int, ctx: DistContext | None) -> int:
    """Synchronised steps per epoch: every rank takes the same number, ``ceil(n_batches / W)`` (see `shard`)."""
    if ctx is None:
        return n_batches
    if n_batches < ctx.world_size:
        raise ValueError(
            f"{n_batches} batches per epoch cannot feed {ctx.world_size} ranks: lower the batch size "
            "(--set batch_size=...) or the number of processes (torchrun's --nproc_per_node)"
        )
    return -(-n_batches // ctx.world_size)


def shard(batches: Iterator[T], ctx: DistContext | None, n_batches: int) -> Iterator[T]:
    """This rank's share of the `n_batches` batches every rank draws: numbers rank, rank + W, ..., wrapping round.

    When n is not a multiple of W, the positions n, n + 1, ... of the last step take batches 0, 1, ... again
    (at most one per rank, kept from the start of the epoch: one batch more in memory), as PyTorch's
    ``DistributedSampler`` pads: every batch is trained on, a few twice, rather than some never. Each rank
    yields ``batches_per_rank`` batches.
    """
    if ctx is None:
        yield from batches
        return
    again = (ctx.rank - n_batches) % ctx.world_size  # the batch that position n + again, this rank's, repeats
    wraps = -n_batches % ctx.world_size > again  # whether the last step has that position at all
    kept, drawn = None, 0
    for i, batch in enumerate(itertools.islice(batches, n_batches)):  # every rank stops at the same batch
        drawn += 1
        if wraps and i == again:
            kept = batch
        if i % ctx.world_size == ctx.rank:
            yield batch
    if drawn < n_batches:  # the ranks would then take different step counts, and wait on each other
        raise RuntimeError(f"the batcher drew {drawn} batches where it had announced {n_batches}")
    if wraps:
        yield kept


def check_same(what: Mapping[str, Any], ctx: DistContext | None) -> None:
    """Refuse a run whose ranks were given different data or options, naming the first that differs.

    torchrun runs the command given on each node, and nothing else makes the nodes agree: with another
    ``--seed`` or ``--set`` or another data file, the ranks trained together and the run recorded rank 0's
    options alone, or rank 0 aborted in a collective that the others never called (their step counts differ).
    Every rank calls this with the same keys; all of them raise, so the run stops before training.

    Args:
        what: what must agree, by the name the message gives it (a setting's key, "data"...); picklable values.
        ctx: this process's place in the run; None (a single process) checks nothing.

    Raises:
        ConfigError: a key whose value differs between ranks, with each value and the ranks that hold it.
    """
    if ctx is None:
        return
    every: list[Any] = [None] * ctx.world_size
    dist.all_gather_object(every, dict(what))
    for key in what:
        holders: dict[str, list[int]] = {}
        for rank, values in enumerate(every):
            holders.setdefault(repr(values.get(key)), []).append(rank)
        if len(holders) > 1:  # the first four values (64 ranks may hold 64), with the ranks that hold each
            differ = "; ".join(f"{value} on {_ranks(ranks)}" for value, ranks in list(holders.items())[:4])
            differ += f"; and {len(holders) - 4} other values" if len(holders) > 4 else ""
            raise ConfigError(
                f"the ranks of this distributed run were given different {key}: {differ}. Every rank must be "
                "given the same data and options: check each node's command line and data file"
            )


def _ranks(ranks: list[int]) -> str:
    """``rank 3`` or ``ranks 0, 1, 2`` (the first eight, then how many more)."""
    if len(ranks) == 1:
        return f"rank {ranks[0]}"
    shown = ", ".join(map(str, ranks[:8]))
    return f"ranks {shown}" + (f" and {len(ranks) - 8} more" if len(ranks) > 8 else "")


# what a collective says when its peer went away (gloo's socket errors, NCCL's abort when a peer failed)
PEER_GONE = ("closed by peer", "reset by peer", "remote worker", "communicator was aborted")


def peer_failure(err: BaseException) -> str | None:
    """What a failed collective says, when `err` is one that another rank's failure caused, else None.

    A rank that stops (an error of its own, a killed process, a node that loses the network) leaves its peers'
    next collective to fail: Gloo raises a plain ``RuntimeError`` naming its source file ("[.../pair.cc:553]
    Connection closed by peer [10.0.0.2]:6039. This is typically caused by a remote worker crashing..."), NCCL
    a ``DistBackendError`` ("NCCL communicator was aborted..."), the store a ``DistNetworkError`` or
    ``DistStoreError``. The first sentence is kept, without the source. A rank's own failure in a collective
    (NCCL out of memory) is not one.
    """
    text = str(err)
    if isinstance(err, dist.DistNetworkError | dist.DistStoreError) or (
        isinstance(err, RuntimeError) and any(gone in text for gone in PEER_GONE)
    ):
        return _first_line(err)
    return None


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
    # adjacency, AutoRec's ratings); nor need it: every rank builds them from the same split, and no model changes
    # one in training. So no buffer is broadcast before each step either (broadcast_buffers=False): SGL's edge
    # index, one int64 per stored entry of the graph, had gone from rank 0 to the others at every step (by its
    # size, 8 bytes times about 16 million entries, 128 MB, on a log of ML-20M's shape)
    sparse = [f"model.{name}" for name, buffer in model.named_buffers() if buffer.layout != torch.strided]
    nn.parallel.DistributedDataParallel._set_params_and_buffers_to_ignore_for_model(module, sparse)
    ids: Any = [ctx.device.index] if ctx.device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(module, device_ids=ids, broadcast_buffers=False)
