"""The IPC kernels the chapter runs start side by side (tests/ipc_kernels.py)."""

from __future__ import annotations

import asyncio
import glob
import json
from pathlib import Path

import pytest

from tests import ipc_kernels
from tests.ipc_kernels import IPCKernelManager


async def _run_two_kernels() -> list[tuple[str, dict, str, list[str]]]:
    """Two kernels started at once: each one's socket prefix, connection file, an answer, and its socket files
    left after shutdown."""
    managers = [IPCKernelManager(kernel_name="python3") for _ in range(2)]
    await asyncio.gather(*(km.start_kernel() for km in managers))
    found = []
    try:
        for km in managers:
            info = json.loads(Path(km.connection_file).read_text())
            client = km.client()
            client.start_channels()
            try:
                await client.wait_for_ready(timeout=60)
                reply = await client.execute_interactive("6 * 7", timeout=60)
                assert reply["content"]["status"] == "ok"
            finally:
                client.stop_channels()
            found.append((km.ip, info, km.has_kernel))
    finally:
        await asyncio.gather(*(km.shutdown_kernel(now=True) for km in managers))
    return [(ip, info, alive, glob.glob(f"{ip}-*")) for (ip, info, alive) in found]


@pytest.mark.timeout(180)
def test_kernels_started_together_have_sockets_of_their_own() -> None:
    (ip_a, info_a, alive_a, left_a), (ip_b, info_b, alive_b, left_b) = asyncio.run(_run_two_kernels())
    assert info_a["transport"] == info_b["transport"] == "ipc"
    assert info_a["ip"] == ip_a and info_b["ip"] == ip_b
    assert ip_a != ip_b, "two kernels share a socket prefix: their socket files would collide"
    assert Path(ip_a).is_absolute() and len(f"{ip_a}-5".encode()) < 108  # a Unix socket path's limit
    assert alive_a and alive_b
    assert left_a == left_b == [], "socket files left after shutdown"


@pytest.mark.timeout(120)
def test_the_plugin_starts_nbvals_kernels_over_ipc(monkeypatch: pytest.MonkeyPatch) -> None:
    import nbval.kernel

    monkeypatch.setattr(nbval.kernel, "KernelManager", nbval.kernel.KernelManager)  # restored afterwards
    ipc_kernels.pytest_configure(None)
    km, kc = nbval.kernel.start_new_kernel(kernel_name="python3")
    try:
        assert (
            km.transport == "ipc" and json.loads(Path(km.connection_file).read_text())["transport"] == "ipc"
        )
        assert glob.glob(f"{km.ip}-*"), "the kernel's socket files"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    assert not glob.glob(f"{km.ip}-*")
