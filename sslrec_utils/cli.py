"""The ``sslrec`` command line.

Each command is added by one ``_add_<command>_parser(subparsers)`` function, which sets its handler with
``set_defaults(func=...)``; a handler takes the parsed arguments and returns the exit status. Errors a user can
cause (an unknown data set, a missing column, no data source) print one line to stderr and exit with status 2.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import dataclasses
import errno
import functools
import io
import json
import os
import re
import shlex
import signal
import sys
import threading
import traceback
import warnings
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn


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


# before the imports below, which take a second or more: a SIGINT sent in that window would be lost
_restore_ctrl_c()

try:  # a Ctrl-C while they run (torch, pandas: a second or more) is said in one line, as later ones are
    from sslrec_utils.data import (
        DATASETS,
        TIE_ORDERS,
        DataUnavailableError,
        dataset_info,
        load_interactions,
        load_movielens,
    )
    from sslrec_utils.data.download import expand_user
    from sslrec_utils.data.files import FILE_FIELDS, unknown_source
    from sslrec_utils.data.synthetic import parse_synthetic, synthetic_interactions
except KeyboardInterrupt:
    print("sslrec: interrupted", file=sys.stderr)
    raise SystemExit(130) from None  # INTERRUPTED, below

USAGE_ERROR = 2
BROKEN_PIPE = 141  # 128 + SIGPIPE, the status a shell reports for a command whose reader went away
# Exceptions that mean "the user asked for something that cannot be done", reported without a traceback.
USER_ERRORS: tuple[type[Exception], ...] = (
    DataUnavailableError,
    ValueError,
    FileNotFoundError,
    KeyError,
    FloatingPointError,  # a training loss that diverged: its message names the epoch and the remedy
)
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


def _data_info(args: argparse.Namespace) -> int:
    """Print users, items, interactions and density of a MovieLens name or an interaction file."""
    if problem := unknown_source(args.data):  # neither a data set nor a file (nor a name at all)
        raise ValueError(problem)
    path, shape = expand_user(args.data), parse_synthetic(args.data)
    # a folder named as a data set (an unpacked zip) is not the log
    if (args.data in DATASETS and not path.is_file()) or shape is not None:
        _data_options(args, args.data, FILE_FIELDS)  # refused as train refuses them: not silently ignored
        if shape is not None:  # the log `sslrec train --dataset` reads for that name
            ratings = synthetic_interactions(*shape, seed=0)
        else:
            with _terminate_as_ctrl_c():  # it may download: a SIGTERM then removes the partial file
                ratings = load_movielens(args.data, args.data_dir, progress=not args.quiet).ratings
    else:  # a folder too: load_interactions says it is not a file
        ratings = load_interactions(
            path,
            user_col=args.user_col or "user",
            item_col=args.item_col or "item",
            rating_col=args.rating_col,
            time_col=args.time_col,
            sep=args.sep,
        )
    info = dataset_info(ratings)
    if args.json:
        print(json.dumps(info))
    else:
        print(f"users         {info['users']}")
        print(f"items         {info['items']}")
        print(f"interactions  {info['interactions']}")
        print(f"density       {info['density']:.2%}")
        if info["duplicate_rows"]:
            print(
                f"duplicates    {info['duplicate_rows']} rows repeat a (user, item) pair; training keeps one "
                "interaction per pair (the latest)"
            )
    return 0


def _data_download(args: argparse.Namespace) -> int:
    """Fetch a MovieLens data set into the cache (from RecBole's copy or GroupLens) and say where it is."""
    with _terminate_as_ctrl_c():  # a SIGTERM mid-download removes the partial file, as Ctrl-C does
        data = load_movielens(
            args.name, args.data_dir, url=args.url, md5=args.md5, progress=not args.quiet, require_cache=True
        )
    print(f"{data.name}: {len(data.ratings)} ratings in {data.path} (source: {data.source})")
    return 0


def _add_data_parser(subparsers: argparse._SubParsersAction) -> None:
    """``sslrec data info|download``."""
    data = subparsers.add_parser(
        "data",
        help="inspect and fetch data sets",
        description="info prints the size of a MovieLens data set or an interaction file; download fetches a "
        "MovieLens data set into the cache (RecBole's copy or GroupLens, MD5-checked).",
    )
    commands = data.add_subparsers(dest="data_command", required=True, metavar="{info,download}")

    info = commands.add_parser("info", help="print users, items, interactions and density")
    info.add_argument(
        "data",
        metavar="NAME_OR_PATH",
        help=f"one of {', '.join(DATASETS)}, synthetic:UxIxN (a generated log), or a CSV/TSV/Parquet file",
    )
    info.add_argument("--user-col", default=None, help="user ID column of a file (default: user)")
    info.add_argument("--item-col", default=None, help="item ID column of a file (default: item)")
    info.add_argument("--rating-col", default=None, help="rating column of a file (default: none)")
    info.add_argument("--time-col", default=None, help="time column of a file (default: none)")
    info.add_argument("--sep", default=None, help="field separator of a file (default: from the extension)")
    info.add_argument("--json", action="store_true", help="print one JSON object")
    _add_data_options(info)
    info.set_defaults(func=_data_info)

    download = commands.add_parser("download", help="fetch a MovieLens data set into the cache")
    download.add_argument("name", choices=list(DATASETS), metavar="NAME", help=", ".join(DATASETS))
    download.add_argument("--url", default=None, help="zip URL or local path (default: GroupLens)")
    download.add_argument("--md5", default=None, help="expected MD5 of the zip (default: the published one)")
    _add_data_options(download)
    download.set_defaults(func=_data_download)


def _models(args: argparse.Namespace) -> int:
    """List the models, or one model's settings (what ``--set`` accepts) with their defaults and meanings."""
    import textwrap

    from sslrec_utils.experiment import model_settings
    from sslrec_utils.models import MODELS, config_class, summary, trained_by_epochs

    if args.name is None:
        if args.json:
            print(json.dumps({name: summary(name) for name in sorted(MODELS)}))
            return 0
        for name in sorted(MODELS):
            print(f"{name:<9} {textwrap.shorten(summary(name), 100, placeholder=' ...')}")
        print("\n`sslrec models NAME` lists a model's settings (--set KEY=VALUE) with its defaults.")
        return 0
    table = model_settings(args.name)  # an unknown name: ValueError, with the closest one
    grid = {key: list(values) for key, values in config_class(args.name).search_space.items()}
    if args.json:
        records = table.to_dict("records")
        print(
            json.dumps({"model": args.name, "summary": summary(args.name), "settings": records, "grid": grid})
        )
        return 0
    print(textwrap.fill(f"{args.name}: {summary(args.name)}", 110))
    # each default as --set reads it: JSON ([600, 200], null, true, "all")
    lefts = [f"  {k} = {json.dumps(v)}" for k, v in zip(table["key"], table["default"], strict=True)]
    width = max(map(len, lefts)) + 2
    headings = {
        "model": "model settings (--set KEY=VALUE)",
        "training": "training settings (--set KEY=VALUE) and the defaults this model trains with"
        if trained_by_epochs(args.name)
        else f"training settings (--set KEY=VALUE); fitted in closed form, {args.name} reads only these",
    }
    for group, heading in headings.items():
        print(f"\n{heading}:")
        if not (table["group"] == group).any():
            print("  none")
        for left, meaning, of_group in zip(lefts, table["meaning"], table["group"] == group, strict=True):
            if of_group:
                print(
                    textwrap.fill(
                        meaning, 110, initial_indent=left.ljust(width), subsequent_indent=" " * width
                    )
                )
    if grid:
        print("\nsearched on validation with --search (by default for closed-form models):")
        for key, values in grid.items():
            print(f"  {key} in {json.dumps(values)}")
    return 0


def _add_models_parser(subparsers: argparse._SubParsersAction) -> None:
    """``sslrec models [NAME]``."""
    from sslrec_utils.models import MODELS

    models = subparsers.add_parser(
        "models",
        help="list the models, or one model's settings",
        description="Without NAME, one line per model: what it is and its paper. With NAME, every setting that "
        "train accepts as --set KEY=VALUE, its default (as --set reads it) and what it means, and the "
        "grid that --search tries.",
    )
    models.add_argument("name", nargs="?", metavar="NAME", help=f"one of: {', '.join(sorted(MODELS))}")
    models.add_argument("--json", action="store_true", help="print one JSON object")
    models.set_defaults(func=_models)


def _add_data_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        default=None,
        help="data folder (default: $SSLREC_DATA, else data/ of the checkout or ~/.cache/sslrec)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")


# options describing a user's file and its preprocessing, shared by train and report; None = not given (the
# defaults of `experiment.DataSpec` apply)
_FILE_OPTIONS = (*FILE_FIELDS, "threshold", "min_user", "min_item")


def _data_options(args: argparse.Namespace, dataset: str, keys: Iterable[str]) -> dict[str, Any]:
    """The data options of a command line, checked as `DataSpec` checks them, each named by its flag
    (``--min-user must be >= 0``), not by DataSpec's field.

    Args:
        args: the parsed command line; an option not given is None.
        dataset: the data set they are for (train's ``--dataset``, data info's argument).
        keys: the options to read from `args`.

    Returns:
        The options of `keys` that were given, by name (the others keep DataSpec's defaults).

    Raises:
        ConfigError: what `experiment.check_data_fields` refuses; a column option for a data set that is no file
            even at its default (``--user-col user``).
    """
    from sslrec_utils.experiment import DataSpec, check_data_fields

    given = {key: getattr(args, key) for key in keys if getattr(args, key) is not None}
    fields = {field.name: field.default for field in dataclasses.fields(DataSpec)}
    check_data_fields(argparse.Namespace(**{**fields, **given, "dataset": dataset}), _flag, given)
    return given


def _flag(name: str) -> str:
    """The command line's flag of a setting: ``min_user`` -> ``--min-user``."""
    return f"--{name.replace('_', '-')}"


def _add_file_options(parser: argparse.ArgumentParser) -> None:
    for col, default in (("user", "user"), ("item", "item"), ("rating", "none"), ("time", "none")):
        parser.add_argument(f"--{col}-col", default=None, help=f"{col} column of a file (default {default})")
    parser.add_argument("--sep", default=None, help="field separator of a file (default: from the extension)")
    parser.add_argument("--threshold", type=float, default=None, help="keep ratings >= this (default: all)")
    parser.add_argument("--min-user", type=int, default=None, help="k-core threshold for users (default 0)")
    parser.add_argument("--min-item", type=int, default=None, help="k-core threshold for items (default 0)")
    parser.add_argument("--split", default=None, help="holdout | loo | strong | time (default holdout)")
    parser.add_argument(
        "--ties",
        default=None,
        choices=TIE_ORDERS,
        help="order of a user's interactions in one timestamp: random (default), row (the file's) or item (ID)",
    )
    parser.add_argument(
        "--tie-seed",
        type=int,
        default=None,
        help="seed of the random order of ties, drawn in the file's row order (default 0)",
    )


def _add_search_options(parser: argparse.ArgumentParser) -> None:
    search = parser.add_mutually_exclusive_group()
    search.add_argument(
        "--search", dest="search", action="store_true", default=None, help="search the model's grid"
    )
    search.add_argument(
        "--no-search",
        dest="search",
        action="store_false",
        help="never search the grid (default: search closed-form models only)",
    )


def _train(args: argparse.Namespace) -> int:
    """Train one model with validation selection, test it, write the run directory, print a JSON summary."""
    from sslrec_utils.config import ConfigError
    from sslrec_utils.experiment import (
        RUN_FILES,
        RUN_SIGNATURE,
        DataSpec,
        closed_form_warning,
        run_experiment,
    )
    from sslrec_utils.models import MODELS, trained_by_epochs
    from sslrec_utils.outdir import check_out, staged
    from sslrec_utils.profiling import reuse_freed_memory

    reuse_freed_memory()  # a training process: reuse freed pages between steps (see its docstring)
    _restore_ctrl_c()
    # under torchrun without --distributed, each process would train the whole run and race for OUT
    world = os.environ.get("WORLD_SIZE", "1").strip()
    if not args.distributed and world not in ("", "0", "1"):
        raise ConfigError(
            f"WORLD_SIZE={world} in the environment (torchrun's) but no --distributed: every process would train "
            "the whole run into the same --out; add --distributed, or unset WORLD_SIZE for a single process"
        )
    given = _data_options(args, args.dataset, (*_FILE_OPTIONS, "split", "ties", "tie_seed"))
    spec = DataSpec(
        dataset=args.dataset, seed=args.seed, data_dir=args.data_dir, **given
    ).with_absolute_paths()
    # as `resolve_configs` says of ``--set epochs=...`` (an unknown model is named below)
    if args.epochs is not None and args.model in MODELS and not trained_by_epochs(args.model):
        warnings.warn(closed_form_warning(args.model, ["epochs"]), stacklevel=1)
    out = expand_user(args.out).resolve()  # a symlink: the folder it points to
    # only rank 0 writes OUT, so only it checks: across nodes without a shared file system, another node's
    # folder of that name is not the run's (torchrun stops the other ranks when rank 0 fails). The rank comes
    # from torchrun's RANK, as dist.is_main below, because the check runs before the process group is joined
    if not args.distributed or _launch_rank("RANK") == 0:
        check_out(out, args.force, RUN_FILES, RUN_SIGNATURE)
    dist = None
    if args.distributed:
        from sslrec_utils.distributed import init_distributed, shutdown

        dist = init_distributed(args.device or "auto")
    # rank 0 (or the only process) writes the run into a temporary folder that becomes OUT once it succeeds
    # (an interrupted run that saved a checkpoint keeps it there, and says where)
    folder = (
        staged(
            out,
            args.force,
            RUN_FILES,
            keep_on_failure=("checkpoint.pt",),
            signature=RUN_SIGNATURE,
            kept_hint=" (its best epoch so far: `sslrec evaluate --run {tmp}` tests it, `recommend` uses it)",
        )
        if dist is None or dist.is_main
        else contextlib.nullcontext(None)
    )
    try:
        with _terminate_as_ctrl_c(), folder as out_dir:
            record = run_experiment(
                spec,
                args.model,
                settings=args.set,
                epochs=args.epochs,
                device=args.device,
                search=args.search,
                progress=not args.quiet,
                out_dir=out_dir,
                dist=dist,
            )
    finally:
        if dist is not None:
            shutdown()
    if record is not None:  # rank 0 (or a single process) reports
        summary = {k: v for k, v in record.items() if k not in ("test", "valid")}
        metric = record["metric"]  # the chosen epoch's validation figure (ndcg@10 by default)
        summary[f"valid_{metric}"] = record["valid"].get(metric)
        print(json.dumps(summary))
        if record["interrupted"]:  # written in full, but cut short: a script (`&&`, `set -e`) must not go on
            print(f"sslrec: interrupted; {out} holds the best epoch so far, tested", file=sys.stderr)
            return INTERRUPTED
    return 0


def _add_train_parser(subparsers: argparse._SubParsersAction) -> None:
    """``sslrec train --model NAME ...``."""
    from sslrec_utils.models import MODELS

    train = subparsers.add_parser(
        "train",
        help="train a model, choose its epoch or hyperparameters on validation, evaluate on test",
        description="Writes OUT/metrics.json, history.csv, checkpoint.pt and config.json, and search.csv "
        "when a grid search ran (closed-form models, --search) (OUT appears when the run ends; a failed run "
        "leaves nothing there, but a best checkpoint it saved stays in a hidden folder beside OUT, which a "
        "message names); the last line on stdout is one JSON object with the test metrics; Ctrl-C (or "
        "SIGTERM, outside torchrun) keeps the best epoch so far, tested, and ends with status 130.",
    )
    train.add_argument("--model", required=True, help=f"one of: {', '.join(sorted(MODELS))}")
    train.add_argument(
        "--dataset", default="ml-100k", help="MovieLens name, synthetic:UxIxN, or CSV/TSV/Parquet path"
    )
    train.add_argument("--seed", type=int, default=2020, help="seeds the split and training (default 2020)")
    train.add_argument("--out", required=True, help="run directory to create (must be new or empty)")
    train.add_argument("--force", action="store_true", help="replace the run already in OUT")
    train.add_argument("--epochs", type=int, default=None, help="maximum epochs (default: the model's)")
    train.add_argument("--device", default=None, help="auto | cpu | cuda | cuda:N | mps (default auto)")
    train.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a model or training setting, e.g. --set lr=0.001 --set hidden_dims=[600,200] (repeatable; "
        "`sslrec models NAME` lists them)",
    )
    _add_search_options(train)
    train.add_argument(
        "--distributed",
        action="store_true",
        help="data-parallel training across the processes torchrun starts (gloo on CPU, nccl on GPU)",
    )
    _add_file_options(train)
    _add_data_options(train)
    train.set_defaults(func=_train)


def _recommend(args: argparse.Namespace) -> int:
    """Print recommendations of a trained run: for users, for a new history, or similar items."""
    from sslrec_utils.recommend import TrainedRecommender

    chosen = sum(x is not None for x in (args.user, args.history, args.similar))
    if chosen != 1:
        raise ValueError("give exactly one of --user, --history or --similar")
    # the IDs are read before the run is loaded: malformed quoting fails at once
    if args.user is not None:
        users = _id_list(args.user, "--user")
    else:
        items = (
            _id_list(args.history, "--history")
            if args.history is not None
            else _id_list(args.similar, "--similar")
        )
    rec = TrainedRecommender.load(args.run, device=args.device)
    n_items = rec.split.n_items
    left: dict[object, int] = {}  # each asked-for user's unseen items: a list shorter than -k when fewer
    if args.user is not None:
        with _quoting_hint("--user", users, rec.split.user_map.ids):
            table = rec.recommend(users, k=args.k)
        idx = rec.split.user_map.to_index(users, kind="user IDs")
        unseen = n_items - rec.history[idx].getnnz(axis=1)
        left = dict(zip(rec.split.user_map.to_original(idx).tolist(), unseen.tolist(), strict=True))
    elif args.history is not None:
        with _quoting_hint("--history", items, rec.split.item_map.ids):
            table = rec.recommend_for_history(items, k=args.k)
    else:
        (item, *others) = items
        if others:
            hint = _comma_id_hint("--similar", items, rec.split.item_map.ids, every_run=True)
            raise ValueError(f"--similar takes one item ID, got {args.similar!r}{hint}")
        table = rec.similar_items(item, k=args.k)
    if args.json:
        print(table.to_json(orient="records"))
    elif not table.empty:
        print(table.to_string(index=False, float_format=lambda x: f"{x:.4f}"))
    full = [str(user) for user, n in left.items() if n == 0]
    short = [f"{user} ({n})" for user, n in left.items() if 0 < n < args.k]
    rest = f"the history holds the others of the catalogue's {n_items}"
    for named, what, holds in (
        (full, "no item", "the history holds every item"),
        (short, f"fewer than {args.k} items", rest),
    ):
        if named:  # among other users, whose lists are printed, or alone
            who = ", ".join(named[:10]) + (", ..." if len(named) > 10 else "")
            print(f"sslrec: {what} left to recommend for user {who}: {holds}", file=sys.stderr)
    noun = "item" if len(table) == 1 else "items"
    if args.history is not None and len(table) < args.k:
        print(
            "sslrec: no item left to recommend: the history holds every item of the catalogue"
            if table.empty
            else f"sslrec: only {len(table)} {noun} left to recommend: {rest}",
            file=sys.stderr,
        )
    if args.similar is not None and len(table) < min(args.k, n_items - 1):  # weights <= 0 relate no item
        print(f"sslrec: the model relates only {len(table)} {noun} to {item}", file=sys.stderr)
    elif args.similar is not None and len(table) < args.k:
        print(f"sslrec: only {len(table)} other {noun} in the catalogue", file=sys.stderr)
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    """Score a trained run again on its own split: validation or test, seen items excluded as its protocol
    does or as asked; print one JSON object or a table."""
    from sslrec_utils.recommend import TrainedRecommender, read_run_config
    from sslrec_utils.train import evaluate_model

    ks = _cutoffs(args.ks) if args.ks is not None else None  # a bad --ks fails before the run is loaded
    rec = TrainedRecommender.load(args.run, device=args.device)
    config = read_run_config(expand_user(args.run))
    if ks is None:  # the run's own cut-offs
        ks = tuple(config["train_config"].get("ks", (10, 20)))
    elif max(ks) > rec.split.n_items:
        raise ValueError(f"--ks {args.ks}: a cut-off cannot exceed the run's {rec.split.n_items} items")
    exclude = {"protocol": None, "yes": True, "no": False}[args.exclude_seen]
    result = evaluate_model(
        rec.model, rec.split, args.phase, ks=ks, exclude_seen=exclude, progress=not args.quiet
    )
    record = {
        "run": str(args.run),
        "model": config["model"],
        "phase": args.phase,
        "exclude_seen": args.exclude_seen,
    }
    record |= {"n_users": result.n_users, **result.summary}
    if args.json:
        print(json.dumps(record))
    else:
        width = max(map(len, record))
        for key, value in record.items():
            print(f"{key:<{width}}  {value:.4f}" if isinstance(value, float) else f"{key:<{width}}  {value}")
    return 0


def _cutoffs(text: str) -> tuple[int, ...]:
    """``"10,20"`` -> ``(10, 20)``.

    Raises:
        ValueError: an entry that is not a positive integer, or one given twice (as ``sslrec report --ks``).
    """
    parts = [p.strip() for p in text.split(",")]
    if not all(p.isascii() and p.isdigit() and int(p) > 0 for p in parts):  # not '²'
        raise ValueError(f"--ks takes positive integers separated by commas, e.g. 10,20; got {text!r}")
    from sslrec_utils.config import check_unique

    ks = tuple(int(p) for p in parts)
    check_unique("--ks", ks)
    return ks


def _add_evaluate_parser(subparsers: argparse._SubParsersAction) -> None:
    """``sslrec evaluate --run DIR [--phase test] [--exclude-seen yes]``."""
    ev = subparsers.add_parser(
        "evaluate",
        help="score a trained run again: validation or test, with or without the seen items",
        description="Rebuilds the run's split and model from its directory and computes full-ranking metrics. "
        "--exclude-seen protocol (default) does what sslrec train did: every split but loo leaves out the items "
        "seen before the part scored (holdout and time at test: train and validation; strong: the folded-in "
        "items), loo keeps them, as RecBole does for sequence models. yes leaves the seen items out on loo too "
        "(the input items), no ranks every item.",
    )
    ev.add_argument("--run", required=True, help="run directory written by sslrec train")
    ev.add_argument("--phase", choices=("test", "valid"), default="test", help="which part (default test)")
    ev.add_argument(
        "--exclude-seen",
        choices=("protocol", "yes", "no"),
        default="protocol",
        help="protocol (default): as sslrec train did; yes: leave the seen items out, loo too; no: rank every item",
    )
    ev.add_argument("--ks", default=None, help="metric cut-offs, e.g. 5,10 (default: the run's own)")
    ev.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N | mps (default auto)")
    ev.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    ev.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    ev.set_defaults(func=_evaluate)


def _id_list(text: str, option: str) -> list[str]:
    """The IDs of one CSV record: ``"50,007,SKU1"`` -> ``["50", "007", "SKU1"]``, and a quoted ID keeps its
    comma: ``'"Lion King, The",Heat'`` -> ``["Lion King, The", "Heat"]``.

    The IDs stay text, which the run's ID map reads as its own type (so ``007`` stays ``"007"`` for IDs kept
    as text, and ``50`` becomes 50 for integer IDs). Spaces around an ID are dropped, and so are empty IDs.

    Args:
        text: the option's value.
        option: the option, for the error message (e.g. ``"--history"``).

    Returns:
        The IDs, in the order given.

    Raises:
        ValueError: malformed quoting (an unterminated quote, text after a closing one), a line break outside
            quotes, or no ID at all.
    """
    # spaces after a closing quote are dropped as around any ID (strict CSV refuses them)
    record = re.sub(r'"[ \t]+(?=,|$)', '"', text)
    reader = csv.reader(io.StringIO(record, newline=""), skipinitialspace=True, strict=True)
    try:
        records = list(reader)
    except csv.Error as err:
        raise ValueError(
            f"malformed quoting in {option} {text!r} ({err}): give the IDs as one CSV record, an ID that "
            f"holds a comma in double quotes, e.g. {option} '\"Lion King, The\",Heat', and a quote that "
            'starts an ID doubled inside quotes (\'"""Weird"" Al",Heat\')'
        ) from None
    if len(records) > 1:
        raise ValueError(f"{option} takes its IDs on one line, separated by commas; got {text!r}")
    parts = [p.strip() for p in (records[0] if records else []) if p.strip()]
    if not parts:
        raise ValueError(f"no IDs in {text!r}")
    return parts


def _comma_id_hint(option: str, parts: list[str], ids: Iterable[object], every_run: bool = False) -> str:
    """A hint to quote the IDs of `ids` that hold a comma and that the comma cut into consecutive `parts`
    (``Lion King, The`` typed unquoted gives ``"Lion King"`` and ``"The"``), or ``""`` when none does.

    Args:
        option: the option the IDs were given to (e.g. ``"--history"``).
        parts: the IDs as `_id_list` read them.
        ids: the original IDs of the run's map.
        every_run: join every run of pieces that makes an ID; False joins only runs holding an unknown piece
            (``Lion King`` and ``The`` may be IDs too).

    Returns:
        ``; 'Lion King, The' is one ID: quote it, as in --history '"Lion King, The",Heat'``, or ``""``.
    """
    ids = list(ids)
    known = set(map(str, ids))
    cut = {o: [p.strip() for p in o.split(",") if p.strip()] for o in ids if isinstance(o, str) and "," in o}
    fixed, joined = list(parts), []
    for original, pieces in sorted(cut.items(), key=lambda pair: -len(pair[1])):  # the longest first
        if len(pieces) < 2:
            continue
        start = 0
        while start + len(pieces) <= len(fixed):
            run = fixed[start : start + len(pieces)]
            if run == pieces and (every_run or not known.issuperset(run)):
                fixed[start : start + len(pieces)] = [original]
                joined.append(original)
            start += 1
    if not joined:
        return ""
    record = io.StringIO()
    csv.writer(record, lineterminator="").writerow(fixed)  # quotes the fields that need it
    names = ", ".join(map(repr, dict.fromkeys(joined)))
    each = "is one ID: quote it" if len(set(joined)) == 1 else "are one ID each: quote them"
    return f"; {names} {each}, as in {option} {shlex.quote(record.getvalue())}"


@contextlib.contextmanager
def _quoting_hint(option: str, parts: list[str], ids: Iterable[object]) -> Iterator[None]:
    """Add `_comma_id_hint` to an unknown-ID error (a ``KeyError``) raised inside the block.

    Args:
        option: the option the IDs were given to (e.g. ``"--history"``).
        parts: the IDs as `_id_list` read them.
        ids: the original IDs of the run's map.
    """
    try:
        yield
    except KeyError as err:
        hint = _comma_id_hint(option, parts, ids)
        if not hint or not err.args:
            raise
        raise KeyError(f"{err.args[0]}{hint}") from None


def _add_recommend_parser(subparsers: argparse._SubParsersAction) -> None:
    """``sslrec recommend --run DIR (--user U | --history I,J | --similar I)``."""
    rec = subparsers.add_parser(
        "recommend",
        help="top-N items from a trained run, with titles",
        description="Loads a run written by sslrec train and prints the top items for known users (--user), "
        "for a new history folded in without retraining (--history), or the items most similar to one item "
        "(--similar). Items a user has already interacted with are left out.",
    )
    rec.add_argument("--run", required=True, help="run directory written by sslrec train")
    rec.add_argument(
        "--user",
        default=None,
        help="original user ID(s), comma-separated (quote an ID with a comma, as for --history)",
    )
    rec.add_argument(
        "--history",
        default=None,
        help="item IDs of a new user's history, oldest first (fold-in), comma-separated as one CSV record: "
        "quote an ID that holds a comma, e.g. --history '\"Lion King, The\",Heat'",
    )
    rec.add_argument(
        "--similar",
        default=None,
        help="an item ID: list its most similar items (quote it if it holds a comma)",
    )
    rec.add_argument("-k", type=int, default=10, help="how many items (default 10)")
    rec.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N | mps (default auto)")
    rec.add_argument("--json", action="store_true", help="print JSON records instead of a table")
    rec.set_defaults(func=_recommend)


# report parameters that have their own flag: flag destination -> notebook parameter
_REPORT_FLAGS = {
    "models": "MODELS",
    "user_col": "USER_COL",
    "item_col": "ITEM_COL",
    "rating_col": "RATING_COL",
    "time_col": "TIME_COL",
    "sep": "SEP",
    "threshold": "THRESHOLD",
    "min_user": "MIN_USER",
    "min_item": "MIN_ITEM",
    "split": "SPLIT",
    "ties": "TIES",
    "tie_seed": "TIE_SEED",
    "ks": "KS",
    "seeds": "SEEDS",
    "epochs": "EPOCHS",
    "search": "SEARCH",
    "device": "DEVICE",
    "examples": "N_EXAMPLE_USERS",
    "title": "TITLE",
    "data_dir": "DATA_DIR",
}


def _report(args: argparse.Namespace) -> int:
    """Check every parameter, execute the report notebook, write OUT (notebook, HTML, metrics.json)."""
    from sslrec_utils import reports

    values: dict[str, str] = {"DATASET": args.data}
    values |= {
        name: getattr(args, dest) for dest, name in _REPORT_FLAGS.items() if getattr(args, dest) is not None
    }
    flagged = set(values)
    for item in args.param:
        key, sep, raw = item.partition("=")
        name = key.strip().upper()
        if not sep or not name:
            raise ValueError(f"expected --param NAME=VALUE, got {item!r}")
        if name in values:
            by = "by a flag and by --param" if name in flagged else "by --param twice"
            raise ValueError(f"{name} is given twice ({by}); give it once")
        values[name] = raw
    if args.timeout is not None and args.timeout < 1:
        raise ValueError(f"--timeout takes a positive number of seconds, got {args.timeout}")
    params = reports.ReportParams.from_parameters(values)
    if not args.quiet:
        print(f"sslrec report: checking {args.data} and the parameters", file=sys.stderr)
    try:
        files = reports.run_report(
            params,
            args.out,
            force=args.force,
            keep_runs=args.keep_runs,
            hide_code=args.hide_code,
            progress=not args.quiet,
            timeout_s=args.timeout,
        )
    except reports.ReportExecutionError as err:
        print(f"sslrec: error: {err}\nsslrec: no report was written", file=sys.stderr)
        return 1
    print(f"report written to {files.directory}")
    for path in (files.html, files.notebook, files.metrics):
        print(f"  {path.name:<14} {path}")
    return 0


def _add_report_parser(subparsers: argparse._SubParsersAction) -> None:
    """``sslrec report --data NAME_OR_PATH --out DIR [--models a,b] [--param NAME=VALUE ...]``."""
    from sslrec_utils.report_params import ReportParams

    report = subparsers.add_parser(
        "report",
        help="compare models on a data set and write a report (executed notebook, HTML, metrics.json)",
        description="Checks every parameter first (nothing is written if one is wrong), executes "
        "notebooks/report.ipynb with Papermill and writes OUT/report.ipynb, OUT/report.html (opens without "
        "internet) and OUT/metrics.json. A failed run leaves nothing behind and names the failing cell.",
    )
    report.add_argument(
        "--data", required=True, metavar="NAME_OR_PATH", help="MovieLens name or CSV/TSV/Parquet"
    )
    report.add_argument("--out", required=True, help="report folder to create, e.g. reports/shop")
    defaults = ReportParams()  # the notebook's own defaults, named in the help
    report.add_argument(
        "--models", default=None, help=f"comma-separated (default {','.join(defaults.models)})"
    )
    report.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="any parameter of the report notebook, e.g. --param SEEDS=1,2,3 (repeatable)",
    )
    _add_file_options(report)
    report.add_argument(
        "--ks",
        default=None,
        help=f"metric cut-offs; the first ranks the models (default {','.join(map(str, defaults.ks))})",
    )
    report.add_argument(
        "--seeds",
        default=None,
        help=f"comma-separated seeds, one split and run per seed (default {','.join(map(str, defaults.seeds))})",
    )
    report.add_argument(
        "--epochs", default=None, help=f"maximum epochs of trainable models (default {defaults.epochs})"
    )
    report.add_argument("--device", default=None, help="auto | cpu | cuda | cuda:N | mps (default auto)")
    _add_search_options(report)
    report.add_argument(
        "--examples",
        default=None,
        help=f"how many users' recommendations to show (default {defaults.n_example_users})",
    )
    report.add_argument("--title", default=None, help=f"the report's title (default {defaults.title!r})")
    report.add_argument(
        "--force",
        action="store_true",
        help="replace OUT, and earlier runs of the same names in RUNS_DIR, if they exist",
    )
    report.add_argument("--keep-runs", action="store_true", help="keep each run (checkpoint) in OUT/runs/")
    report.add_argument("--hide-code", action="store_true", help="leave the code out of the HTML file")
    report.add_argument(
        "--timeout", type=int, default=None, help="seconds one cell may run (default: no limit)"
    )
    _add_data_options(report)
    report.set_defaults(func=_report)


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
    process's own, so each reports it. A single process is not tagged.
    """
    if not getattr(args, "distributed", False) or "RANK" not in os.environ:
        return ""
    from sslrec_utils.distributed import DistributedSetupError

    rank = _launch_rank("RANK")
    if _launch_rank("LOCAL_RANK") != 0 and not isinstance(err, DistributedSetupError):
        return None
    return "" if rank == 0 else f" (rank {rank})"


def _launch_rank(name: str) -> int:
    """torchrun's RANK or LOCAL_RANK as a number ("00" is 0), 0 where unset or not a number (which
    `init_distributed` refuses with a message of its own)."""
    try:
        return int(os.environ.get(name, "0"))
    except ValueError:
        return 0


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
    if issubclass(category, UserWarning) and Path(filename).resolve().is_relative_to(
        Path(__file__).resolve().parent
    ):
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
        return exit_.code if isinstance(exit_.code, int) else USAGE_ERROR
    try:
        with warnings.catch_warnings():  # restores Python's showwarning when the command ends
            warnings.showwarning = functools.partial(_show_warning, quiet=quiet)
            return args.func(args)
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
    except BrokenPipeError:
        # the reader of stdout stopped early (`sslrec ... | head`): end quietly, as SIGPIPE would
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing more to flush at exit
        return BROKEN_PIPE
    except OSError as err:
        if err.errno not in FILE_SYSTEM_ERRORS:
            raise
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


if __name__ == "__main__":
    run()
