"""Time and memory measurements: exact tensor bytes, the fastest of several runs, and large allocations seen."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sslrec_utils.profiling import MB, measure, rss_bytes, scaling_exponent, state_mb


def test_state_mb_counts_parameters_buffers_and_optimizer_state_once() -> None:
    model = torch.nn.Sequential(torch.nn.Linear(10, 5), torch.nn.BatchNorm1d(5))
    params = (10 * 5 + 5 + 5 + 5) * 4  # weights, bias, BatchNorm weight and bias (float32)
    buffers = (5 + 5) * 4 + 8  # running mean and variance, num_batches_tracked (int64)
    assert state_mb(model) == pytest.approx((params + buffers) / MB)
    weight = model[0].weight
    assert state_mb(weight, [weight], {"w": weight}) == pytest.approx(50 * 4 / MB)  # one tensor, counted once

    optimizer = torch.optim.Adam(model.parameters())
    assert state_mb(optimizer) == 0.0  # Adam allocates its moments at the first step
    model(torch.randn(4, 10)).sum().backward()
    optimizer.step()
    moments = 2 * params  # exp_avg and exp_avg_sq, one of each per parameter
    steps = sum(s["step"].numel() * s["step"].element_size() for s in optimizer.state.values())
    assert state_mb(optimizer) == pytest.approx((moments + steps) / MB)
    assert state_mb(model, optimizer) == pytest.approx((params + buffers + moments + steps) / MB)


@pytest.mark.filterwarnings("ignore:Sparse CSR tensor support is in beta state")
def test_state_mb_counts_memory_held_not_dense_sizes_or_views() -> None:
    w = torch.zeros(1000, 256)
    assert state_mb([w, w[:500], w.T]) == pytest.approx(w.numel() * 4 / MB)  # one storage, three tensors
    n = 20_000
    indices = torch.arange(n).repeat(2, 1)  # (2, n) int64, one storage of exactly 2 n entries
    eye = torch.sparse_coo_tensor(indices, torch.ones(n), (n, n), is_coalesced=True, check_invariants=True)
    assert state_mb(eye) == pytest.approx((2 * n * 8 + n * 4) / MB)  # int64 indices and float32 values
    csr = torch.sparse_csr_tensor(
        torch.arange(n + 1), torch.arange(n), torch.ones(n), (n, n), check_invariants=True
    )
    assert state_mb(csr) == pytest.approx(((n + 1) * 8 + n * 8 + n * 4) / MB)  # row pointers, columns, values


def test_measure_returns_the_value_and_the_fastest_run(monkeypatch: pytest.MonkeyPatch) -> None:
    # a clock the work advances: real sleeps had made the assertion a wall-clock limit on a shared machine
    from sslrec_utils import profiling

    clock = [0.0]
    monkeypatch.setattr(profiling.time, "perf_counter", lambda: clock[0])
    delays = iter([0.05, 0.01, 0.03])

    def work() -> str:
        clock[0] += next(delays)
        return "done"

    run = measure(work, repeat=3)
    assert run.value == "done"
    assert run.seconds == pytest.approx(0.01)


@pytest.mark.skipif(rss_bytes() is None, reason="resident set size needs /proc (Linux)")
def test_measure_sees_a_large_cpu_allocation() -> None:
    # the C allocator may still hold memory that earlier tests of this process freed (glibc raises its trim
    # threshold as it goes; `sslrec train` run in-process keeps freed memory on purpose): measure hands it back
    # first, or the allocation below could land in pages already resident, depending on test order
    run = measure(lambda: torch.ones(2**24))  # 64 MiB, still held when the work returns
    assert run.value.shape == (2**24,)
    assert 48 <= run.peak_mb <= 200


def test_measure_validates_repeat() -> None:
    with pytest.raises(ValueError, match="repeat must be >= 1"):
        measure(lambda: None, repeat=0)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_measure_reads_the_cuda_allocator_peak() -> None:
    def work() -> float:
        x = torch.ones(2**24, device="cuda")  # 64 MiB, freed before the work returns
        return float(x.sum())

    run = measure(work, device="cuda")
    assert run.value == 2**24
    assert 64 <= run.peak_mb < 80


def test_a_mebibyte_is_two_to_the_twentieth_bytes() -> None:
    assert state_mb(torch.zeros(2**18)) == 1.0  # 2**18 float32 values


def test_measure_keeps_the_largest_peak_of_its_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    from sslrec_utils import profiling

    held = [0]  # the first run takes 64 MiB and keeps them; the second, nothing more
    taken = iter([64 * MB, 0])
    monkeypatch.setattr(profiling, "rss_bytes", lambda: 100 * MB + held[0])
    monkeypatch.setattr(profiling, "release_free_memory", lambda: True)

    def run() -> None:
        held[0] += next(taken)

    assert measure(run, repeat=2).peak_mb == pytest.approx(64)


def test_measure_resets_the_cuda_peak_before_each_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """A small job measured after a large one reads its own peak (a fake allocator: no GPU needed)."""
    state = {"allocated": 0, "peak": 0}
    cuda = torch.cuda
    monkeypatch.setattr(cuda, "synchronize", lambda device=None: None)
    monkeypatch.setattr(
        cuda, "reset_peak_memory_stats", lambda device=None: state.update(peak=state["allocated"])
    )
    monkeypatch.setattr(cuda, "memory_allocated", lambda device=None: state["allocated"])
    monkeypatch.setattr(cuda, "max_memory_allocated", lambda device=None: state["peak"])

    def job(mib: int):
        return lambda: state.update(peak=max(state["peak"], state["allocated"] + mib * MB))  # take, then free

    assert measure(job(100), device="cuda").peak_mb == pytest.approx(100)
    assert measure(job(10), device="cuda").peak_mb == pytest.approx(10)


def test_scaling_exponent_recovers_a_power_law() -> None:
    sizes = np.array([100, 200, 400, 800])
    assert scaling_exponent(sizes, 3.0 * sizes**2.5) == pytest.approx(2.5)
    assert scaling_exponent(sizes, 0.1 * sizes) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="two distinct sizes"):
        scaling_exponent([100, 100], [1.0, 2.0])
    with pytest.raises(ValueError, match="positive"):
        scaling_exponent([100, 200], [1.0, 0.0])


REPEAT_PROBE = """
import sys
import numpy as np
from sslrec_utils.profiling import measure, reuse_freed_memory

if not reuse_freed_memory():  # freed blocks kept for reuse, as in `sslrec train`: a second run would reuse them
    print("unsupported")
    sys.exit(0)

def work():
    blocks = [np.ones(2**14, dtype=np.uint8) for _ in range(4096)]  # 64 MiB in small blocks (heap, not mmap)
    return len(blocks)

print(measure(work).peak_mb, measure(work).peak_mb, measure(work, repeat=2).peak_mb)
"""


@pytest.mark.skipif(rss_bytes() is None, reason="needs /proc (Linux)")
def test_measure_counts_a_repeated_allocation() -> None:
    # the second run had reused the blocks the first freed, unseen: a notebook cell run twice measured ch06's EASE
    # fit at 91 MiB, then under 1 MiB. Its own process: the setting is process-wide, and the heap left by earlier
    # tests would decide the outcome
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", REPEAT_PROBE], capture_output=True, text=True, check=True)
    if out.stdout.strip() == "unsupported":
        pytest.skip("not glibc")
    assert all(float(peak) >= 32 for peak in out.stdout.split()), out.stdout


REUSE_PROBE = """
import resource, sys
import numpy as np
from sslrec_utils.profiling import reuse_freed_memory

if not reuse_freed_memory():
    print("unsupported")
    sys.exit(0)

def round_trip():
    blocks = [np.ones(2**19, dtype=np.float32) for _ in range(8)]  # 8 blocks of 2 MiB, touched, then freed
    return sum(float(b[-1]) for b in blocks)

round_trip()  # warm-up: the first round faults its pages in
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(10):
    round_trip()
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 10)
"""


@pytest.mark.skipif(rss_bytes() is None, reason="needs /proc (Linux)")
def test_reuse_freed_memory_keeps_freed_blocks_for_the_next_step() -> None:
    import subprocess
    import sys

    # its own process: the setting is process-wide
    out = subprocess.run([sys.executable, "-c", REUSE_PROBE], capture_output=True, text=True, check=True)
    if out.stdout.strip() == "unsupported":
        pytest.skip("not glibc")
    pages_per_round = 8 * 2 * 2**20 / 4096  # 4096 pages of 4 KiB touched per round
    assert float(out.stdout.strip()) < 0.05 * pages_per_round  # reused, not faulted in again
