"""Where and how reproducibly a run computes: the device (`resolve_device`), torch's threads, the seeds,
and whether the device computes in bfloat16 natively."""

from __future__ import annotations

import contextlib
import functools
import random
from collections.abc import Callable, Iterator
from typing import ParamSpec, TypeVar

import numpy as np
import torch

from sslrec_utils.config import ConfigError

P = ParamSpec("P")
R = TypeVar("R")


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


def native_bf16(device: torch.device) -> bool:
    """Whether `device` is a CUDA GPU that computes in bfloat16 (Ampere or later), where the trainer's mixed
    precision pays. Older GPUs (V100, T4) only emulate it, which would make training slower, not faster."""
    if device.type != "cuda":
        return False
    with torch.cuda.device(device):
        return torch.cuda.is_bf16_supported(including_emulation=False)


def keeps_global_rng(fn: Callable[P, R]) -> Callable[P, R]:
    """`fn`, wrapped so that the global generators it seeds or draws from (Python's, NumPy's, PyTorch's CPU
    generator, and CUDA's where CUDA was in use before the call) are back in the caller's states after it
    returns or raises: a reader's own unseeded draws go on as if `fn` had not run."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        python, numpy = random.getstate(), np.random.get_state()
        cuda = list(range(torch.cuda.device_count())) if torch.cuda.is_initialized() else []
        try:
            with torch.random.fork_rng(devices=cuda):
                return fn(*args, **kwargs)
        finally:
            random.setstate(python)
            np.random.set_state(numpy)

    return wrapper
