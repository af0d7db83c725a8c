"""Jupyter kernels that talk over Unix-domain sockets, for the test runs that start several kernels at once.

A TCP kernel's ports are chosen by its manager, which binds port 0, reads the number the system gave and closes the
socket; the kernel, a new process, binds those ports about a second later. In between, any other process may be
given one of them: in CI two pytest workers start chapter kernels side by side (Papermill, then nbval), beside the
sockets of the distributed tests, and a kernel that finds its port taken fails to start (papermill issue #511,
jupyter_client's port cache guards one process only). Over IPC a kernel's five sockets are files named after a
path prefix of its own, drawn at random here, which no other kernel uses; jupyter_client's default prefix,
"kernel-ipc" in the working folder, is the same for every kernel started there and would reintroduce the race.

`IPCKernelManager` is what `tests/test_notebooks.py` hands to Papermill (`kernel_manager_class`). Loaded as a
pytest plugin (`-p tests.ipc_kernels`, as the Makefile's nbval target does), this module also makes nbval, which
builds its own blocking `KernelManager`, start its kernels over IPC. POSIX only, as CI is.
"""

from __future__ import annotations

import os
import secrets
import tempfile

from jupyter_client.manager import AsyncKernelManager, KernelManager
from traitlets import HasTraits, default

__all__ = ["IPCKernelManager", "BlockingIPCKernelManager", "socket_prefix"]


def socket_prefix() -> str:
    """A path prefix of its own for one kernel's socket files (``<prefix>-1`` to ``-5``), short enough for the
    108-byte limit of a Unix socket's path in the usual temporary folder."""
    return os.path.join(tempfile.gettempdir(), f"sslrec-kernel-{secrets.token_hex(8)}")


class _OwnUnixSockets(HasTraits):
    """A kernel manager's defaults: the IPC transport, at a socket prefix of the kernel's own."""

    @default("transport")
    def _default_transport(self) -> str:
        return "ipc"

    @default("ip")
    def _default_ip(self) -> str:
        return socket_prefix()


class IPCKernelManager(_OwnUnixSockets, AsyncKernelManager):
    """Papermill's (nbclient's) asynchronous kernel manager, over IPC at a prefix of the kernel's own."""


class BlockingIPCKernelManager(_OwnUnixSockets, KernelManager):
    """nbval's blocking kernel manager, over IPC at a prefix of the kernel's own."""


def pytest_configure(config: object) -> None:
    """As a pytest plugin: nbval's kernels over IPC (nbval reads the name `KernelManager` when it starts one)."""
    import nbval.kernel

    nbval.kernel.KernelManager = BlockingIPCKernelManager
