"""Data-parallel training with PyTorch DistributedDataParallel, launched by ``torchrun``.

    torchrun --nproc_per_node=4 -m sslrec_utils.cli train --model multvae --set batch_size=125 --out ddp --distributed

Every rank needs at least one batch per epoch (`batches_per_rank`): MovieLens-100K's users make too few batches
of Mult-VAE's default 500 for four ranks, hence the smaller batch above.

Every rank builds the same split and the same batches (same seeds) and trains on its share: rank r takes
batches r, r + W, r + 2W, ... so one synchronised step sees W consecutive batches, the same users a single
process would see with a batch W times larger. When the batches of an epoch are not a multiple of W, the last
step is filled with the epoch's first batches again, as PyTorch's ``DistributedSampler`` pads its samples: no
batch is left out. Gradients are averaged by DDP; rank 0 alone validates, decides early stopping for everyone,
evaluates the test part and writes the run. Backend: NCCL on CUDA, Gloo on CPU.

Every rank checks that all were given the same data and options before training (`check_same`): torchrun
starts one command line per node, and two nodes with different files or options would otherwise train
together and write one run that records rank 0's alone.

`group` joins and leaves the process group, `collectives` holds what the ranks do together while training. Every
name is imported from here.
"""

from sslrec_utils.distributed.collectives import (
    PEER_GONE,
    LossModule,
    batches_per_rank,
    broadcast,
    check_same,
    mean_over_ranks,
    peer_failure,
    shard,
    wrap,
)
from sslrec_utils.distributed.group import (
    COLLECTIVE_TIMEOUT,
    JOIN_THREAD,
    RENDEZVOUS_GRACE,
    RENDEZVOUS_TIMEOUT,
    SIGNAL_POLL,
    DistContext,
    DistributedSetupError,
    init_distributed,
    joining,
    shutdown,
)

__all__ = [
    "COLLECTIVE_TIMEOUT",
    "RENDEZVOUS_TIMEOUT",
    "RENDEZVOUS_GRACE",
    "JOIN_THREAD",
    "SIGNAL_POLL",
    "DistributedSetupError",
    "DistContext",
    "init_distributed",
    "joining",
    "shutdown",
    "batches_per_rank",
    "shard",
    "check_same",
    "PEER_GONE",
    "peer_failure",
    "broadcast",
    "mean_over_ranks",
    "LossModule",
    "wrap",
]
