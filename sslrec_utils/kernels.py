"""Jupyter kernel managers over Unix-domain sockets, each kernel at a socket prefix of its own.

A TCP kernel's ports are chosen by its manager, which binds port 0, reads the number the system gave and closes the
socket; the kernel, a new process, binds those ports about a second later. In between, any other process may be
given one of them, and the kernel fails to start (papermill issue #511; jupyter_client's port cache guards one
process only). It happens where kernels start side by side with other sockets: reports run in parallel, the book's
test runs. Over IPC a kernel's five sockets are files named after a path prefix, drawn at random here, which no
other kernel uses; jupyter_client's default prefix, "kernel-ipc" in the working folder, is the same for every
kernel started there and would bring the race back.

`kernel_manager_class` is what `reports.run_report` gives Papermill: `IPCKernelManager` where Unix sockets work,
jupyter_client's `AsyncKernelManager` (Papermill's default, over TCP) elsewhere. `BlockingIPCKernelManager` is
the same for blocking clients, such as nbval's (the book's tests load it through the pytest plugin
tests/ipc_kernels.py).
"""

from __future__ import annotations

import os
import secrets
import tempfile

from jupyter_client.manager import AsyncKernelManager, KernelManager
from traitlets import HasTraits, default

__all__ = [
    "BlockingIPCKernelManager",
    "IPCKernelManager",
    "SOCKET_PATH_LIMIT",
    "ipc_available",
    "kernel_manager_class",
    "socket_prefix",
]

# the size of a Unix socket address's path field (sun_path), its closing NUL included: 108 bytes on Linux, 104 on
# macOS, whose paths of at most 103 bytes fit both
SOCKET_PATH_LIMIT = 104


def socket_prefix() -> str:
    """A path prefix of its own for one kernel's socket files (``<prefix>-1`` to ``-5``), in the temporary folder."""
    return os.path.join(tempfile.gettempdir(), f"sslrec-kernel-{secrets.token_hex(8)}")


def ipc_available() -> bool:
    """Whether kernels can talk over Unix sockets here: a POSIX system (Windows has no IPC transport in ZeroMQ)
    whose temporary folder is short enough for the socket files' paths."""
    return os.name == "posix" and len(os.fsencode(f"{socket_prefix()}-5")) < SOCKET_PATH_LIMIT


class _OwnUnixSockets(HasTraits):
    """A kernel manager's defaults: the IPC transport, at a socket prefix of the kernel's own. A `HasTraits`
    mixin, so that its `default` handlers are registered (a plain mixin's are not)."""

    @default("transport")
    def _default_transport(self) -> str:
        return "ipc"

    @default("ip")
    def _default_ip(self) -> str:
        return socket_prefix()


class IPCKernelManager(_OwnUnixSockets, AsyncKernelManager):
    """Papermill's (nbclient's) asynchronous kernel manager, over IPC at a prefix of the kernel's own."""


class BlockingIPCKernelManager(_OwnUnixSockets, KernelManager):
    """The blocking kernel manager (nbval's, a hand-driven kernel's), over IPC at a prefix of the kernel's own."""


def kernel_manager_class() -> type[AsyncKernelManager]:
    """The kernel manager class to give Papermill (``kernel_manager_class``): `IPCKernelManager` where
    `ipc_available`, else Papermill's default, `AsyncKernelManager` (TCP on 127.0.0.1)."""
    return IPCKernelManager if ipc_available() else AsyncKernelManager
