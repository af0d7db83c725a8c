"""The ``sslrec`` command line: `main` (and `run`, the console script) parse the command and report its errors.

Each command lives in a module of this package (`data_commands`, `train_commands`, `recommend_command`,
`report_command`) and is added by one ``_add_<command>_parser(subparsers)`` function, which sets its handler with
``set_defaults(func=...)``; a handler takes the parsed arguments and returns the exit status. `options` holds the
options several commands share, `process` the handling of signals and the exit statuses. Errors a user can cause
(an unknown data set, a missing column, no data source) print one line to stderr and exit with status 2.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import os
import signal
import sys
import threading
import traceback
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from sslrec_utils.cli.process import (
    BROKEN_PIPE,
    FILE_SYSTEM_ERRORS,
    INTERRUPTED,
    OUT_OF_MEMORY,
    PEER_FAILED,
    USAGE_ERROR,
    _launch_rank,
    _restore_ctrl_c,
    out_of_memory,
)

# before the imports below, which take a second or more: a SIGINT sent in that window would be lost
_restore_ctrl_c()

try:  # a Ctrl-C while they run (torch, pandas: a second or more) is said in one line, as later ones are
    from sslrec_utils.cli.data_commands import _add_data_parser, _add_models_parser
    from sslrec_utils.cli.recommend_command import _add_recommend_parser
    from sslrec_utils.cli.report_command import _add_report_parser
    from sslrec_utils.cli.train_commands import _add_evaluate_parser, _add_train_parser
    from sslrec_utils.data import DataUnavailableError
except KeyboardInterrupt:
    print("sslrec: interrupted", file=sys.stderr)
    raise SystemExit(INTERRUPTED) from None

# Exceptions that mean "the user asked for something that cannot be done", reported without a traceback.
USER_ERRORS: tuple[type[Exception], ...] = (
    DataUnavailableError,
    ValueError,
    FileNotFoundError,
    KeyError,
    FloatingPointError,  # a training loss that diverged: its message names the epoch and the remedy
)


def version_line() -> str:
    """What a bug report needs: this package's version, torch's (its build says CPU or CUDA) and Python's, e.g.
    ``sslrec 0.1.0 (torch 2.13.0+cpu without CUDA, Python 3.11.7)``."""
    import platform

    import torch

    import sslrec_utils

    cuda = f"for CUDA {torch.version.cuda}" if torch.version.cuda else "without CUDA"
    return f"sslrec {sslrec_utils.__version__} (torch {torch.__version__} {cuda}, Python {platform.python_version()})"


def build_parser() -> argparse.ArgumentParser:
    """The ``sslrec`` parser with every command."""
    parser = argparse.ArgumentParser(prog="sslrec", description="Tools of the SSL-Rec Book.")
    parser.add_argument("--version", action="version", version=version_line())
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_data_parser(subparsers)
    _add_models_parser(subparsers)
    _add_train_parser(subparsers)
    _add_evaluate_parser(subparsers)
    _add_recommend_parser(subparsers)
    _add_report_parser(subparsers)
    return parser


def _error_reporter(args: argparse.Namespace, err: BaseException) -> str | None:
    """Who reports a user error of a ``--distributed`` run: ``None`` for silence, else a tag for the message.

    Every rank of a run gets the same command and the same data, so an error in the options or the data comes up
    on every rank: the first process of each machine (LOCAL_RANK 0) reports it, naming its rank when that is not
    0 (a machine without the data file reports for itself), and the others stay silent (torchrun lists every
    failed rank and its exit status). A setup error of one process (no GPU for its LOCAL_RANK) is that
    process's own, so each reports it. A single process is not tagged. Processes that torchrun started without
    ``--distributed`` are told so the same way, once per machine.
    """
    launched = getattr(args, "distributed", False) or _launch_rank("WORLD_SIZE") > 1
    if not launched or "RANK" not in os.environ:
        return ""
    from sslrec_utils.distributed import DistributedSetupError

    rank = _launch_rank("RANK")
    if _launch_rank("LOCAL_RANK") != 0 and not isinstance(err, DistributedSetupError):
        return None
    return "" if rank == 0 else f" (rank {rank})"


def _peer_failure(args: argparse.Namespace, err: BaseException) -> str | None:
    """What a ``--distributed`` rank's failed collective says when another rank's failure caused it, else None."""
    if not getattr(args, "distributed", False) or "RANK" not in os.environ:
        return None
    from sslrec_utils.distributed import peer_failure

    return peer_failure(err)


def _quiet_rank(argv: Sequence[str] | None = None) -> bool:
    """Whether this process is a ``--distributed`` rank other than the first of its machine (LOCAL_RANK 0),
    which leaves the messages every rank would print alike to that one: `argv` (default ``sys.argv``) asks
    before the options are parsed."""
    # argparse takes an unambiguous prefix too: --distrib
    distributed = any(
        len(a) > 3 and "--distributed".startswith(a) for a in (sys.argv if argv is None else argv)
    )
    return distributed and _launch_rank("LOCAL_RANK") != 0


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: object = None,  # showwarning's signature; both forms go to stderr
    line: str | None = None,
    *,
    quiet: bool = False,
) -> None:
    """`warnings.showwarning` for a command: a warning about the user's data or options raised in this package
    is one line, ``sslrec: warning: ...``, like its errors; any other (a library's deprecation notice) keeps
    Python's format with its source line."""
    package = Path(__file__).resolve().parents[1]  # sslrec_utils/, of which this is cli/
    if issubclass(category, UserWarning) and Path(filename).resolve().is_relative_to(package):
        if not quiet:  # `_quiet_rank`: every rank reads the same data, so one warning per machine
            print(f"sslrec: warning: {message}", file=sys.stderr)
    else:
        sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


def main(argv: list[str] | None = None) -> int:
    """Run ``sslrec`` with `argv` (default ``sys.argv[1:]``) and return the exit status."""
    on_main_thread = threading.current_thread() is threading.main_thread()
    sigterm = signal.getsignal(signal.SIGTERM) if on_main_thread else None
    try:
        return _main(argv)
    finally:
        # a stopped training leaves SIGTERM a no-op until its message is out (None: not set from Python)
        if on_main_thread and sigterm is not None:
            signal.signal(signal.SIGTERM, sigterm)


def _main(argv: list[str] | None) -> int:
    """`main`'s work; `main` then restores SIGTERM's handler, which a stopped training leaves a no-op."""
    # started with 2>&- (fd 2 closed): diagnostics are dropped as by 2>/dev/null, never sent to stdout
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 (the process's stderr until it exits)
    # started with >&-: the output would be lost, and the exit status would say all went well
    if sys.stdout is None:
        print("sslrec: error: standard output is closed: redirect it to a file or /dev/null", file=sys.stderr)
        return 1
    try:
        parser = build_parser()  # imports the models, and torch with them: a second or more
    except KeyboardInterrupt:
        print("sslrec: interrupted", file=sys.stderr)
        return INTERRUPTED
    # a usage error or --help of a distributed run (every rank has the same command line): once per machine
    quiet = _quiet_rank(argv)
    try:
        with contextlib.ExitStack() as quietly:
            if quiet:  # --help (stdout) or a usage error (stderr)
                quietly.enter_context(contextlib.redirect_stdout(io.StringIO()))
                quietly.enter_context(contextlib.redirect_stderr(io.StringIO()))
            args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, or a usage error argparse has already reported
        try:
            sys.stdout.flush()  # --help or --version on a full disk must not end in success
        except OSError as err:
            return _output_failed(err)
        return exit_.code if isinstance(exit_.code, int) else USAGE_ERROR
    try:
        with warnings.catch_warnings():  # restores Python's showwarning when the command ends
            warnings.showwarning = functools.partial(_show_warning, quiet=quiet)
            status = args.func(args)
            sys.stdout.flush()  # output still buffered fails here, said, not at exit (status 120)
            return status
    except USER_ERRORS as err:
        message = err.args[0] if isinstance(err, KeyError) and err.args else err
        where = _error_reporter(args, err)
        if where is not None:
            print(f"sslrec: error{where}: {message}", file=sys.stderr)
        return USAGE_ERROR
    except (MemoryError, RuntimeError) as err:
        lost = _peer_failure(args, err)
        if lost is not None:  # each rank that sees it says so: the failed one has said why, on its node
            rank = _launch_rank("RANK")
            print(
                f"sslrec: error (rank {rank}): a collective failed ({lost}): another rank has most likely "
                "stopped, and its own message says why",
                file=sys.stderr,
            )
            return PEER_FAILED
        if not out_of_memory(err):
            raise
        where = _error_reporter(args, err)
        if where is not None:
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            advice = {  # reading a log, or a trained run: no size to lower
                "data": "the data is larger than this machine's memory holds",
                "evaluate": "the run needs more memory than this device has; try another --device",
                "recommend": "the run needs more memory than this device has; try another --device",
            }.get(args.command, "lower the sizes (hidden_dim, max_len...), batch_size or eval_batch_size")
            print(f"sslrec: error{where}: out of memory ({first}): {advice}", file=sys.stderr)
        return OUT_OF_MEMORY
    except KeyboardInterrupt:  # Ctrl-C where nothing could be kept (before a first validation, a report...)
        where = _error_reporter(args, KeyboardInterrupt())  # a distributed run: once per machine
        if where is not None:
            print(f"sslrec: interrupted{where}", file=sys.stderr)
        return INTERRUPTED
    except OSError as err:
        return _output_failed(err)


def _output_failed(err: OSError) -> int:
    """The exit status when output could not be written, said as it should be; other OS errors propagate."""
    if isinstance(err, BrokenPipeError):
        # the reader of stdout stopped early (`sslrec ... | head`): end quietly, as SIGPIPE would
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing more to flush at exit
        return BROKEN_PIPE
    if err.errno not in FILE_SYSTEM_ERRORS:
        raise err
    # a full disk, or stdout on one (`> /dev/full`): what a run wrote before is where it was written
    where = f": {err.filename}" if err.filename else " (writing the output)"
    print(f"sslrec: error: {err.strerror}{where}", file=sys.stderr)
    with contextlib.suppress(OSError):  # stdout may be what failed: nothing more to flush at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 1


def run() -> NoReturn:
    """The ``sslrec`` command (its console script, and ``python -m sslrec_utils.cli``): `main`, then exit.

    A distributed run whose join was interrupted or given up leaves torch waiting in a thread that cannot be
    stopped (`distributed.joining`); were that wait to end while the interpreter shuts down, the C++ runtime
    would abort the process ("terminate called without an active exception", status 134). The process then
    ends at once, with `main`'s status, once its output is flushed; so it does when something escapes `main`
    (a second Ctrl-C while the first is reported), with the status and traceback Python would give.
    """
    try:
        status = main()
    except BaseException as err:
        if not _join_waits():
            raise
        if isinstance(err, SystemExit):
            status = err.code if isinstance(err.code, int) else 1
        elif isinstance(err, KeyboardInterrupt):
            status = INTERRUPTED
        else:
            traceback.print_exc()
            status = 1
    if _join_waits():
        if threading.current_thread() is threading.main_thread():  # a further Ctrl-C would escape the flush
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):  # a closed pipe or a closed file
                stream.flush()
        os._exit(status)
    sys.exit(status)


def _join_waits() -> bool:
    """Whether a distributed run's join still waits in this process (`distributed.joining`)."""
    distributed = sys.modules.get("sslrec_utils.distributed")  # imported by --distributed runs alone
    return distributed is not None and distributed.joining()
