"""``sslrec report``: check the parameters, execute the report notebook, write its folder."""

from __future__ import annotations

import argparse
import re
import sys

from sslrec_utils.cli.options import _add_data_options, _add_file_options, _add_search_options, _flag

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


# a quoted value in a message (a path, a column's name): left as it is
_QUOTED = re.compile(r"""('[^']*'|"[^"]*")""")


def _named_by_flags(message: str, by_param: set[str]) -> str:
    """`message` with each parameter that has a flag named by it (``KS=[0]`` -> ``--ks=[0]``, ``give
    RATING_COL`` -> ``give --rating-col``), as `train` names its options, but for the parameters given by
    ``--param`` (`by_param`), and never inside a quoted value."""
    flags = {
        name: _flag(dest)
        for dest, name in {"data": "DATASET", **_REPORT_FLAGS}.items()
        if name not in by_param
    }
    if not flags:
        return message
    names = re.compile(r"(?<![\w-])(" + "|".join(flags) + r")(?!\w)")
    parts = _QUOTED.split(message)  # odd parts are quoted
    return "".join(p if i % 2 else names.sub(lambda m: flags[m.group()], p) for i, p in enumerate(parts))


def _report(args: argparse.Namespace) -> int:
    """Check every parameter, execute the report notebook, write OUT (notebook, HTML, metrics.json)."""
    from sslrec_utils import reports
    from sslrec_utils.experiment import check_data_fields

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
    # an unknown --param name, named as given and the valid names listed (before the flags' naming below)
    reports.ReportParams.check_names([n for n in values if n not in flagged])
    if args.timeout is not None and args.timeout < 1:
        raise ValueError(f"--timeout takes a positive number of seconds, got {args.timeout}")
    try:
        params = reports.ReportParams.from_parameters(values)
        # a column flag for a data set that is no file, refused as train refuses it, even at its default
        check_data_fields(params, str.upper, given={name.lower() for name in values})
        if not args.quiet:
            print(f"sslrec report: checking {args.data} and the parameters", file=sys.stderr)
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
    except (ValueError, KeyError, FileNotFoundError) as err:  # a parameter refused, named as it was given
        message = err.args[0] if len(err.args) == 1 else None  # not an OSError's (errno, strerror)
        if not isinstance(message, str):
            raise
        raise type(err)(_named_by_flags(message, set(values) - flagged)) from err
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
        "--data",
        "--dataset",
        required=True,
        metavar="NAME_OR_PATH",
        help="MovieLens name, synthetic:UxIxN, or CSV/TSV/Parquet path",
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
