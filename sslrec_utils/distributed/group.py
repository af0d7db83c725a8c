"""Joining the process group of a distributed run (`init_distributed`), with timeouts and a Ctrl-C that work
while the ranks wait for each other, and leaving it (`shutdown`); `DistContext` says where this process stands.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
import socket
import threading
import time
from typing import Any

import torch
import torch.distributed as dist

from sslrec_utils.config import ConfigError

COLLECTIVE_TIMEOUT = datetime.timedelta(hours=1)  # how long a rank waits for the others before it fails
# how long the ranks wait for each other to start: nodes started by hand, one after another, have this long
RENDEZVOUS_TIMEOUT = datetime.timedelta(minutes=15)
# how much longer than that a rank waits before it checks what listens at MASTER_PORT (`_join`)
RENDEZVOUS_GRACE = datetime.timedelta(seconds=60)
JOIN_THREAD = "sslrec-join"  # the thread that joins the process group (`joining`)
# how often the wait for that thread looks for a Ctrl-C (`_wait`)
SIGNAL_POLL = datetime.timedelta(seconds=0.1)


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
        DistributedSetupError: when not started by torchrun, this process's LOCAL_RANK has no GPU, or it cannot
            join the group: MASTER_PORT in use, peers that have not started within `RENDEZVOUS_TIMEOUT`, or
            a program at MASTER_PORT that never answers, for processes started by hand (torchrun meets its
            agents before it starts the ranks, and reports those itself); or an earlier join in this process
            still waits (`joining`).
        KeyboardInterrupt: a Ctrl-C while the ranks wait for each other to join (torch's wait alone would
            ignore it; a thread of it may go on waiting, see `joining`).
        ConfigError: `device` is none of auto, cpu and cuda, or is cuda on a machine without CUDA.
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
    if device.startswith("cuda") and not use_cuda:  # the same for every process of this machine: said once
        raise ConfigError("--device cuda was asked for but CUDA is not available")
    if use_cuda:
        if local_rank >= torch.cuda.device_count():
            raise DistributedSetupError(
                f"LOCAL_RANK {local_rank} has no GPU: this machine has {torch.cuda.device_count()}; start at most "
                "that many processes per machine (torchrun --nproc_per_node), or train on the CPU (--device cpu)"
            )
        torch.cuda.set_device(local_rank)
    target = torch.device("cuda", local_rank) if use_cuda else torch.device("cpu")
    if not dist.is_initialized():
        if joining():  # torch would reuse that attempt's store, and count this process as the missing peer
            raise DistributedSetupError(
                "another join of a process group still waits in this process (one interrupted or given up: "
                "torch's wait cannot be cancelled); join from a new process"
            )
        where = (
            f"cannot join the process group of {world_size} ranks at "
            f"{os.environ['MASTER_ADDR']}:{os.environ['MASTER_PORT']}"
        )
        try:
            _join("nccl" if use_cuda else "gloo", where)
        except dist.DistError as err:  # MASTER_PORT in use, MASTER_ADDR unreachable, peers that never came
            # "The server socket has failed to listen... port: 29500, useIpv6: false, code: -98, name:
            # EADDRINUSE, message: address already in use": its first sentence, and the reason at its end
            reason = str(err).split("message: ", 1)[1].split("\n", 1)[0] if "message: " in str(err) else ""
            raise DistributedSetupError(
                f"{where}: {_first_line(err)}" + (f" ({reason})" if reason else "")
            ) from err
    local = _env_int("LOCAL_WORLD_SIZE", 1, world_size) if "LOCAL_WORLD_SIZE" in os.environ else 1
    return DistContext(dist.get_rank(), dist.get_world_size(), local_rank, target, local)


def joining() -> bool:
    """Whether a join of a process group still waits in this process, in torch's C++ code, which cannot be
    cancelled: one that was interrupted or given up (the process must then end without waiting for it), or
    one that another thread has under way."""
    return any(t.name == JOIN_THREAD and t.is_alive() for t in threading.enumerate())


def _join(backend: str, where: str) -> None:
    """Join the default process group through torch's env:// rendezvous, waited for by the calling thread.

    torch's waits (a rank for rank 0's store, rank 0 for every rank to connect, Gloo's init for a connection
    to every peer) resume after a signal, and a program at MASTER_PORT that accepts and never answers is waited
    for without end. So they run in a daemon thread that this one waits for: a Ctrl-C interrupts the wait, and
    it ends `RENDEZVOUS_GRACE` after `RENDEZVOUS_TIMEOUT` when nothing listens at MASTER_PORT, or one
    `RENDEZVOUS_TIMEOUT` later when something listens but does not answer (rank 0 started late, whom torch's
    next try reaches, or another program). torch itself goes on retrying after its timeout (in all for up to
    about 2.5 times it, measured), so its own message would come later.
    A join given up that torch completes later leaves no store nor group behind. NCCL's init connects to nobody
    (its communicators come with the first collective): it stays on this thread, whose CUDA device is set.

    Raises:
        DistributedSetupError: `where` ("cannot join ... at ADDR:PORT"), then why: no answer at MASTER_ADDR:
            MASTER_PORT in time, or ranks that reached rank 0's store but did not connect to each other.
        torch.distributed.DistError: torch's own failures (a port in use, peers that never came).
    """
    outcome: list[Any] = []  # the group's (store, rank, size), or the exception that ended the join
    met = threading.Event()  # this rank has reached rank 0's store
    done = threading.Event()  # not Thread.join: a join that a Ctrl-C interrupts leaves is_alive() False
    given_up = threading.Event()
    lock = threading.Lock()  # orders `outcome` and `given_up`: a group is kept by exactly one of the threads

    def join() -> None:
        try:
            store, rank, size = next(dist.rendezvous("env://", timeout=RENDEZVOUS_TIMEOUT))
            met.set()
            store.set_timeout(COLLECTIVE_TIMEOUT)
            group = (dist.PrefixStore("default_pg", store), rank, size)  # what env:// init does
            if backend == "gloo" and not given_up.is_set():
                _init_group(backend, *group)
            with lock:
                if given_up.is_set():  # the caller has stopped waiting: no group behind it, the store closed
                    if backend == "gloo" and dist.is_initialized():
                        dist.destroy_process_group()
                    return
                outcome.append(group)
        except BaseException as err:  # handed to the waiting thread, which raises it
            outcome.append(err)
        finally:
            done.set()

    worker = threading.Thread(target=join, name=JOIN_THREAD, daemon=True)
    worker.start()
    try:
        _wait_for_join(done, met, where)
    except BaseException:  # a Ctrl-C, or given up
        with lock:
            given_up.set()
            joined = bool(outcome) and not isinstance(outcome[0], BaseException)
        if joined and backend == "gloo":  # Gloo's init ended just before: its group goes too
            dist.destroy_process_group()
        raise
    worker.join()  # done: it has only to return (so that `joining` is False from here on)
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    if backend != "gloo":
        _init_group(backend, *outcome[0])


def _wait_for_join(done: threading.Event, met: threading.Event, where: str) -> None:
    """Wait for `done` as `_join` says, raising DistributedSetupError (`where`, then why) when it gives up."""
    wait = RENDEZVOUS_TIMEOUT + RENDEZVOUS_GRACE
    if _wait(done, wait):  # a Ctrl-C interrupts it (KeyboardInterrupt)
        return
    if met.is_set():  # in Gloo's init (NCCL's does not wait): this rank has reached rank 0's store
        raise DistributedSetupError(
            f"{where}: this rank reached rank 0's store, but the ranks have not all connected to each other in "
            f"{wait.total_seconds():g} s: has one stopped, or not started? Can the machines reach each other's "
            "addresses? (GLOO_SOCKET_IFNAME chooses the network interface)"
        )
    unreachable = _unreachable(os.environ["MASTER_ADDR"], int(os.environ["MASTER_PORT"]))
    if done.is_set():  # the join ended while the probe ran
        return
    if unreachable is not None:
        raise DistributedSetupError(f"{where}: {unreachable} after {wait.total_seconds():g} s")
    wait += RENDEZVOUS_TIMEOUT
    if not _wait(done, RENDEZVOUS_TIMEOUT):
        raise DistributedSetupError(
            f"{where}: what listens there has not answered as rank 0 would in {wait.total_seconds():g} s; "
            "is it another program's port? MASTER_PORT must be the port rank 0 listens at"
        )


def _wait(event: threading.Event, timeout: datetime.timedelta) -> bool:
    """``event.wait(timeout)`` in slices of `SIGNAL_POLL`, so that a Ctrl-C raises KeyboardInterrupt within one.

    The kernel hands a Ctrl-C to any thread of the process that does not block it: torch's, or the joining
    thread's. Python's handler then marks it for the main thread, but a wait already under way in the main
    thread is not woken, and would run to its end (16 minutes) with the Ctrl-C unheeded.

    Returns:
        Whether `event` was set.
    """
    deadline = time.monotonic() + timeout.total_seconds()
    while not event.is_set():
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        event.wait(min(left, SIGNAL_POLL.total_seconds()))  # the main thread handles pending signals after it
    return True


def _init_group(backend: str, store: dist.Store, rank: int, size: int) -> None:
    # the other ranks wait in a broadcast while rank 0 validates, tests and writes the run: NCCL's default
    # of 10 minutes would abort a long validation (a large catalogue, a time-to-target monitor)
    dist.init_process_group(
        backend=backend, store=store, rank=rank, world_size=size, timeout=COLLECTIVE_TIMEOUT
    )


def _unreachable(addr: str, port: int) -> str | None:
    """Why nothing accepts a connection at `addr`:`port` (a phrase), or None when something does."""
    try:
        socket.create_connection((addr, port), timeout=10).close()
    except ConnectionRefusedError:
        return "nothing listens there (has rank 0 started? MASTER_ADDR and MASTER_PORT must be its)"
    except OSError as err:
        return f"no connection ({err.strerror or err})"
    return None


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


def _first_line(err: BaseException) -> str:
    """The first sentence of a torch.distributed error, without the C++ source it may start with."""
    first = str(err).strip().split("\n", 1)[0] or type(err).__name__
    if first.startswith("[") and "] " in first:  # "[/__w/pytorch/.../pair.cc:553] Connection closed..."
        first = first.split("] ", 1)[1]
    return first.split(". ", 1)[0].rstrip(".")
