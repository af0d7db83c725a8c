"""What the ``sslrec`` process does with signals and how it exits: SIGTERM as Ctrl-C while training, the exit
statuses, the failed allocations reported as out of memory, and torchrun's ranks. It imports nothing heavy, so
that `sslrec_utils.cli` can set SIGINT back before it imports torch."""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import sys
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any


def _restore_ctrl_c() -> None:
    """Let SIGINT stop training as Ctrl-C does (keeping the best epoch so far) in a process that inherited it
    ignored: a non-interactive shell starts background jobs (``nohup sslrec train ... &``, and the runs of
    ``benchmarks/tune.py`` started so) with SIGINT ignored, so ``kill -INT`` would do nothing."""
    on_main_thread = threading.current_thread() is threading.main_thread()  # only it may set handlers
    if on_main_thread and signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _stopping(signum: int, frame: FrameType | None) -> None:
    """SIGTERM's handler once training has stopped, until the command has said what it kept: it does nothing.
    (Not ``SIG_IGN``, with which CPython reports a SIGTERM caught just before, "Signal 15 ignored due to race
    condition", with a traceback.)"""


@contextlib.contextmanager
def _terminate_as_ctrl_c() -> Iterator[None]:
    """While training (or downloading data), treat SIGTERM (``kill``, ``timeout``, a batch scheduler's notice)
    as Ctrl-C, instead of dying with the best weights in a staging folder (or a partial download in the
    system's temporary folder) and no word. Under torchrun too, which passes a Ctrl-C on to
    its ranks and stops the surviving ranks with SIGTERM when one fails: a distributed run is aborted (not
    tested), and rank 0 keeps the checkpoint it saved and says where.

    A notice raises KeyboardInterrupt wherever the main thread is. Where Python drops it (raised in a
    ``__del__``, such as tqdm's bars collected every epoch, or a weakref callback: "Exception ignored"), it is
    sent again 50 ms later; if the block fails before it comes (a distributed peer stopped by the same notice
    leaves a collective failing), the failure is the stop's: KeyboardInterrupt, from it. Once one has reached
    the training, a further SIGTERM does nothing: it had cut short the test of the best epoch. After a stop,
    SIGTERM stays a no-op when this context exits, until `main` has said what was kept and restores it (it had
    killed the process before its message). A second Ctrl-C still stops at once.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    # `pending`: a notice Python dropped whose copy, sent again, has not come yet
    stopping, pending, last, resends = False, False, signal.SIGINT, []
    before_hook = sys.unraisablehook

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping, pending, last
        if stopping and signum == signal.SIGTERM:
            return
        stopping, pending, last = True, False, signum
        raise KeyboardInterrupt

    def dropped(unraisable: Any) -> None:  # sys.unraisablehook: what Python could not raise
        nonlocal stopping, pending
        if not issubclass(unraisable.exc_type, KeyboardInterrupt):
            before_hook(unraisable)
            return
        stopping, pending = False, True  # not stopping after all: the notice comes again
        again = threading.Timer(0.05, os.kill, (os.getpid(), last))
        again.daemon = True
        resends.append(again)
        again.start()

    before_int = signal.signal(signal.SIGINT, stop)
    before_term = signal.signal(signal.SIGTERM, stop)
    sys.unraisablehook = dropped
    try:
        yield
    except Exception as err:
        if not pending:
            raise
        stopping = True
        raise KeyboardInterrupt from err
    finally:
        sys.unraisablehook = before_hook
        for again in resends:  # the training is over: a notice still on its way would reach what follows
            again.cancel()
        # None: a handler not set from Python, which cannot be put back; the default is the nearest
        signal.signal(signal.SIGINT, signal.SIG_DFL if before_int is None else before_int)
        signal.signal(
            signal.SIGTERM, _stopping if stopping else signal.SIG_DFL if before_term is None else before_term
        )


USAGE_ERROR = 2
BROKEN_PIPE = 141  # 128 + SIGPIPE, the status a shell reports for a command whose reader went away


INTERRUPTED = 130  # 128 + SIGINT
# errors of the file system rather than of the program: one line, without a traceback
FILE_SYSTEM_ERRORS = tuple(
    getattr(errno, name)  # EDQUOT is not defined everywhere
    for name in ("ENOSPC", "EDQUOT", "EIO", "EROFS", "ENAMETOOLONG", "EACCES", "EPERM")
    if hasattr(errno, name)
)
OUT_OF_MEMORY = 1
PEER_FAILED = 1  # a distributed rank whose peer stopped: the peer's own status says why


# what a failed allocation says where it comes as a plain RuntimeError: torch's CPU allocator, and CUDA's
# libraries (cuBLAS, cuSPARSE) or kernels, which fail outside the caching allocator's OutOfMemoryError
ALLOCATION_FAILURES = (
    "can't allocate memory",
    "CUBLAS_STATUS_ALLOC_FAILED",
    "CUSPARSE_STATUS_ALLOC_FAILED",
    "CUDA error: out of memory",
)


def out_of_memory(err: BaseException) -> bool:
    """Whether `err` is a failed allocation: Python's, torch's CPU allocator's or CUDA's (a ``RuntimeError`` of
    its own class, or a library's `ALLOCATION_FAILURES`), which sizes far beyond the machine (``--set
    hidden_dim=1e10``) end in."""
    return (
        isinstance(err, MemoryError)
        or type(err).__name__ == "OutOfMemoryError"
        or (isinstance(err, RuntimeError) and any(text in str(err) for text in ALLOCATION_FAILURES))
    )


def _launch_rank(name: str) -> int:
    """torchrun's RANK or LOCAL_RANK as a number ("00" is 0), 0 where unset or not a number (which
    `init_distributed` refuses with a message of its own)."""
    try:
        return int(os.environ.get(name, "0"))
    except ValueError:
        return 0
