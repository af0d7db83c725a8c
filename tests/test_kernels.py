"""Kernels over Unix sockets (sslrec_utils/kernels.py): started side by side, by nbval through the plugin
tests/ipc_kernels.py, and by `sslrec report`."""

from __future__ import annotations

import asyncio
import glob
import json
import tempfile
from pathlib import Path

import nbformat
import pytest
from jupyter_client.manager import AsyncKernelManager

from sslrec_utils import kernels, reports
from sslrec_utils.kernels import IPCKernelManager
from tests import ipc_kernels


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


def test_tcp_where_unix_sockets_do_not_work(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert kernels.ipc_available() and kernels.kernel_manager_class() is IPCKernelManager  # CI's Linux
    prefix = kernels.socket_prefix()
    assert Path(prefix).parent == Path(tempfile.gettempdir())
    assert Path(prefix).name.startswith("sslrec-kernel-")
    # a temporary folder too long for a socket file's path, as a deep TMPDIR makes it
    long_dir = tmp_path / ("d" * (kernels.SOCKET_PATH_LIMIT - len(str(tmp_path))))
    monkeypatch.setattr(tempfile, "tempdir", str(long_dir))
    assert not kernels.ipc_available() and kernels.kernel_manager_class() is AsyncKernelManager
    monkeypatch.setattr(tempfile, "tempdir", None)
    assert kernels.ipc_available()
    monkeypatch.setattr(kernels.os, "name", "nt")  # Windows: ZeroMQ has no IPC transport there
    assert kernels.kernel_manager_class() is AsyncKernelManager


def _probe_notebook(path: Path, seen: Path, fail: bool) -> Path:
    """A report notebook that writes its kernel's connection details to `seen`, then records them for
    metrics.json or (`fail`) raises."""
    record = (
        "raise RuntimeError('probe')"
        if fail
        else f"glue({reports.METRICS_GLUE!r}, json.dumps({{'parameters': {{}}, **info}}), display=False)"
    )
    cells = [
        nbformat.v4.new_markdown_cell("# Probe"),
        nbformat.v4.new_code_cell(
            "import json, pathlib\nfrom ipykernel import get_connection_info\nfrom myst_nb import glue\n"
            f"info = json.loads(get_connection_info())\npathlib.Path({str(seen)!r}).write_text(json.dumps(info))"
        ),
        nbformat.v4.new_code_cell(record),
    ]
    kernelspec = {"name": "python3", "language": "python", "display_name": "Python 3"}
    nbformat.write(nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": kernelspec}), path)
    return path


@pytest.mark.timeout(180)
@pytest.mark.parametrize("fail", [False, True], ids=["report", "failing-report"])
def test_a_report_kernel_talks_over_unix_sockets(
    fail: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = tmp_path / "connection.json"
    notebook = _probe_notebook(tmp_path / "probe.ipynb", seen, fail)
    monkeypatch.setattr(reports, "check_data", lambda params: None)
    params = reports.ReportParams.from_parameters({"MODELS": "pop"})
    if fail:
        with pytest.raises(reports.ReportExecutionError, match="probe"):
            reports.run_report(params, tmp_path / "out", progress=False, notebook=notebook)
    else:
        files = reports.run_report(params, tmp_path / "out", progress=False, notebook=notebook)
        assert json.loads(files.metrics.read_text())["transport"] == "ipc"
    info = json.loads(seen.read_text())
    assert info["transport"] == "ipc"
    assert Path(info["ip"]).parent == Path(tempfile.gettempdir())
    assert Path(info["ip"]).name.startswith("sslrec-kernel-")
    assert not glob.glob(f"{info['ip']}-*"), "socket files left after the report"
