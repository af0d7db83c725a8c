"""``sslrec train`` and ``sslrec evaluate``: train a run (one process or ``--distributed``), score it again."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import warnings

from sslrec_utils.cli.options import (
    _FILE_OPTIONS,
    _add_data_options,
    _add_file_options,
    _add_search_options,
    _data_options,
)
from sslrec_utils.cli.process import INTERRUPTED, _launch_rank, _restore_ctrl_c, _terminate_as_ctrl_c
from sslrec_utils.data.download import expand_user


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
        "--dataset",
        "--data",
        default="ml-100k",
        help="MovieLens name, synthetic:UxIxN, or CSV/TSV/Parquet path (default ml-100k)",
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


def _evaluate(args: argparse.Namespace) -> int:
    """Score a trained run again on its own split: validation or test, seen items excluded as its protocol
    does or as asked; print one JSON object or a table."""
    from sslrec_utils.experiment import read_run_config
    from sslrec_utils.recommend import TrainedRecommender
    from sslrec_utils.train import evaluate_model

    ks = _cutoffs(args.ks) if args.ks is not None else None  # a bad --ks fails before the run is loaded
    rec = TrainedRecommender.load(args.run, device=args.device, with_seen=False)
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
