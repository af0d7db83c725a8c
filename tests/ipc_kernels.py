"""A pytest plugin: nbval's kernels over Unix sockets, each at a socket prefix of its own.

In CI two pytest workers start chapter kernels side by side (Papermill, then nbval), beside the sockets of the
distributed tests; a TCP kernel whose port another process took first fails to start (papermill issue #511, see
`sslrec_utils.kernels`). The Papermill runs of `tests/test_notebooks.py` take `IPCKernelManager` from the package;
nbval builds its own blocking `KernelManager`, which this plugin (``-p tests.ipc_kernels``, as the Makefile's nbval
target loads it) replaces. POSIX only, as CI is.
"""

from __future__ import annotations

from sslrec_utils.kernels import BlockingIPCKernelManager


def pytest_configure(config: object) -> None:
    """As a pytest plugin: nbval's kernels over IPC (nbval reads the name `KernelManager` when it starts one)."""
    import nbval.kernel

    nbval.kernel.KernelManager = BlockingIPCKernelManager
