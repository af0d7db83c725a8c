"""Time and memory of a piece of work, for cost-versus-size experiments.

    run = measure(lambda: model.fit(data), device=model.device)
    run.seconds, run.peak_mb        # wall time, and memory allocated on top of what was in use before
    state_mb(model, optimizer)      # MiB held by the tensors of modules, optimisers, tensors or dicts of them
    scaling_exponent(sizes, costs)  # b in cost ~ size**b, fitted on log-log axes
    physical_memory()               # bytes of RAM this machine has, which refusals before large work compare with

Peak memory is the CUDA allocator's peak on a CUDA device (exact) and, on the CPU, the process's resident set
sampled every millisecond while the work runs (Linux only; None elsewhere). The CPU figure counts what the
operating system had to hand over. Before each run, `measure` hands back what the C allocator holds freed
(`release_free_memory`, glibc only), so a second run of the same work is counted as the first; memory still in use
that the work's own allocations reuse is not, so small allocations may read as 0 while large ones (matrices of many
MB) are measured well.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np
import torch

T = TypeVar("T")
MB = 2**20
_STATM = Path("/proc/self/statm")


@dataclass(frozen=True)
class Measurement(Generic[T]):
    """What `measure` returns.

    Attributes:
        value: the work's return value (of the last repetition).
        seconds: wall time of the fastest repetition.
        peak_mb: largest extra memory during any repetition, in MiB (None where it cannot be measured).
    """

    value: T
    seconds: float
    peak_mb: float | None


def rss_bytes() -> int | None:
    """This process's resident set size in bytes now (None where /proc is missing, e.g. macOS, Windows)."""
    try:
        pages = int(_STATM.read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


def physical_memory() -> int | None:
    """This machine's physical memory in bytes, or None where the system does not say (Windows)."""
    try:
        size = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None
    return size if size > 0 else None


class _RssPeak:
    """Samples the resident set in a background thread until stopped; ``peak`` is the largest sample."""

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self.base = rss_bytes() or 0
        self.peak = self.base
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes() or 0)
            self._stop.wait(self.interval_s)

    def __enter__(self) -> _RssPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes() or 0)


def measure(
    fn: Callable[[], T],
    *,
    device: str | torch.device | None = None,
    repeat: int = 1,
    interval_s: float = 1e-3,
) -> Measurement[T]:
    """Run `fn` `repeat` times; keep the fastest wall time and the largest extra memory.

    Args:
        fn: the work, without arguments (wrap it in a lambda).
        device: where the work allocates; a CUDA device is synchronised before and after each run and its
            peak comes from the CUDA allocator, anything else (None: the CPU) from the resident set, each run
            after `release_free_memory` (memory freed earlier in the process would be reused unseen).
        repeat: number of runs, >= 1 (the minimum time is the least disturbed by other processes).
        interval_s: CPU sampling interval in seconds.

    Returns:
        A `Measurement`.
    """
    if repeat < 1:
        raise ValueError(f"repeat must be >= 1, got {repeat}")
    dev = torch.device(device) if device is not None else torch.device("cpu")
    cuda = dev.type == "cuda"
    best, peak, value = float("inf"), None, None
    for _ in range(repeat):
        if cuda:
            torch.cuda.synchronize(dev)
            torch.cuda.reset_peak_memory_stats(dev)
            before = torch.cuda.memory_allocated(dev)
            start = time.perf_counter()
            value = fn()
            torch.cuda.synchronize(dev)
            seconds = time.perf_counter() - start
            extra = (torch.cuda.max_memory_allocated(dev) - before) / MB
        elif rss_bytes() is None:
            start = time.perf_counter()
            value = fn()
            seconds, extra = time.perf_counter() - start, None
        else:
            # freed memory that the C allocator still holds would be reused unseen: a second fit of a model, or
            # a cell run again in a notebook, read as needing nothing (ch06's EASE: 91 MiB, then under 1 MiB)
            release_free_memory()
            with _RssPeak(interval_s) as sampler:
                start = time.perf_counter()
                value = fn()
                seconds = time.perf_counter() - start
            extra = (sampler.peak - sampler.base) / MB
        best = min(best, seconds)
        if extra is not None:
            peak = extra if peak is None else max(peak, extra)
    return Measurement(value, best, peak)


def state_mb(*objects: object) -> float:
    """MiB held by the tensors of `objects`: modules (parameters and buffers), optimisers (their state),
    tensors, and mappings or iterables of these. What counts is the memory held, once: a storage shared by
    several tensors (views, a transpose) once, and a sparse tensor by its indices and values, not its dense size."""
    seen: dict[tuple[str, int], int] = {}  # (device, address) of each storage -> its bytes

    def visit(obj: object) -> None:
        if isinstance(obj, torch.Tensor) and obj.layout != torch.strided:  # sparse: its component tensors
            if obj.layout == torch.sparse_coo:
                visit([obj._indices(), obj._values()])
            elif obj.layout in (torch.sparse_csr, torch.sparse_bsr):
                visit([obj.crow_indices(), obj.col_indices(), obj.values()])
            else:  # CSC, BSC
                visit([obj.ccol_indices(), obj.row_indices(), obj.values()])
        elif isinstance(obj, torch.Tensor):
            storage = obj.untyped_storage()
            seen.setdefault((str(obj.device), storage.data_ptr()), storage.nbytes())
        elif isinstance(obj, torch.nn.Module):
            visit(list(obj.parameters()))
            visit(list(obj.buffers()))
        elif isinstance(obj, torch.optim.Optimizer):
            visit(list(obj.state.values()))
        elif isinstance(obj, Mapping):
            visit(list(obj.values()))
        elif isinstance(obj, Iterable) and not isinstance(obj, str | bytes):
            for item in obj:
                visit(item)

    for obj in objects:
        visit(obj)
    return sum(seen.values()) / MB


def scaling_exponent(sizes: Sequence[float] | np.ndarray, costs: Sequence[float] | np.ndarray) -> float:
    """The exponent b of the power law ``cost ~ a * size**b`` fitted by least squares on log-log axes.

    1 means the cost grows in proportion to the size, 2 with its square, and so on.

    Args:
        sizes: (n,) positive sizes (users, items, interactions), at least two distinct.
        costs: (n,) positive costs (seconds, bytes).
    """
    x = np.asarray(sizes, dtype=np.float64).ravel()
    y = np.asarray(costs, dtype=np.float64).ravel()
    if x.size != y.size or not (
        np.isfinite(x).all() and np.isfinite(y).all() and (x > 0).all() and (y > 0).all()
    ):
        raise ValueError(
            f"need positive, finite sizes and costs of equal length; got {x.tolist()}, {y.tolist()}"
        )
    if np.unique(x).size < 2:
        raise ValueError(f"need at least two distinct sizes, got {x.tolist()}")
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def _glibc() -> Any:
    """The C library through ctypes if it is glibc (it has ``malloc_trim`` and ``mallopt``), else None."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None


def release_free_memory() -> bool:
    """Hand memory that the C allocator holds but no longer uses back to the operating system (glibc's
    ``malloc_trim``), so that a CPU `measure`, which calls it before each run, counts the work's own allocations
    instead of reusing what an earlier run freed. Returns False where this is not possible (not glibc: macOS,
    Windows, musl)."""
    libc = _glibc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True


def reuse_freed_memory() -> bool:
    """Let this process reuse the memory it frees instead of handing it back to the operating system at once.

    By default glibc maps blocks above 128 KiB afresh and unmaps them when freed, so each training step's
    (batch, dim) temporaries fault their pages in again: on the project's 2-core machine about 1000 page faults
    per BPR step, a fifth of its time. Raising ``M_MMAP_THRESHOLD`` to 32 MiB and ``M_TRIM_THRESHOLD`` to 1 GiB
    (``mallopt``) keeps such blocks in the heap for the next step. Process-wide, so the command line calls it
    for the process it runs, not the library for its caller. Returns False where not possible (not glibc).
    """
    libc = _glibc()
    if libc is None:
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3  # glibc's <malloc.h>
    return bool(libc.mallopt(m_mmap_threshold, 32 * 2**20)) and bool(libc.mallopt(m_trim_threshold, 2**30))


__all__ = [
    "Measurement",
    "measure",
    "physical_memory",
    "release_free_memory",
    "reuse_freed_memory",
    "rss_bytes",
    "scaling_exponent",
    "state_mb",
]
