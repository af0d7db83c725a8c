"""The ``sslrec`` command line.

Each command is added by one ``_add_<command>_parser(subparsers)`` function, which sets its handler with
``set_defaults(func=...)``; a handler takes the parsed arguments and returns the exit status. Errors a user can
cause (an unknown data set, a missing column, no data source) print one line to stderr and exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sslrec_utils.data import DATASETS, DataUnavailableError, dataset_info, load_interactions, load_movielens

USAGE_ERROR = 2
# Exceptions that mean "the user asked for something that cannot be done", reported without a traceback.
USER_ERRORS: tuple[type[Exception], ...] = (DataUnavailableError, ValueError, FileNotFoundError, KeyError)


def _data_info(args: argparse.Namespace) -> int:
    """Print users, items, interactions and density of a MovieLens name or an interaction file."""
    path = Path(args.data).expanduser()
    if args.data in DATASETS and not path.exists():
        ratings = load_movielens(args.data, args.data_dir, progress=not args.quiet).ratings
    elif path.is_file():
        ratings = load_interactions(
            path,
            user_col=args.user_col,
            item_col=args.item_col,
            rating_col=args.rating_col,
            time_col=args.time_col,
            sep=args.sep,
        )
    else:
        raise ValueError(f"{args.data!r} is neither a data set ({', '.join(DATASETS)}) nor a file")
    info = dataset_info(ratings)
    if args.json:
        print(json.dumps(info))
    else:
        print(f"users         {info['users']}")
        print(f"items         {info['items']}")
        print(f"interactions  {info['interactions']}")
        print(f"density       {info['density']:.2%}")
    return 0


def _data_download(args: argparse.Namespace) -> int:
    """Fetch a MovieLens data set into the cache (from RecBole's copy or GroupLens) and say where it is."""
    data = load_movielens(args.name, args.data_dir, url=args.url, md5=args.md5, progress=not args.quiet)
    print(f"{data.name}: {len(data.ratings)} ratings in {data.path} (source: {data.source})")
    return 0


def _add_data_parser(subparsers: argparse._SubParsersAction) -> None:
    """``sslrec data info|download``."""
    data = subparsers.add_parser("data", help="inspect and fetch data sets")
    commands = data.add_subparsers(dest="data_command", required=True, metavar="{info,download}")

    info = commands.add_parser("info", help="print users, items, interactions and density")
    info.add_argument(
        "data", metavar="NAME_OR_PATH", help=f"one of {', '.join(DATASETS)}, or a CSV/TSV/Parquet file"
    )
    info.add_argument("--user-col", default="user", help="user ID column of a file (default: user)")
    info.add_argument("--item-col", default="item", help="item ID column of a file (default: item)")
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


def _add_data_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        default=None,
        help="data folder (default: $SSLREC_DATA, else data/ of the checkout or ~/.cache/sslrec)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")


def build_parser() -> argparse.ArgumentParser:
    """The ``sslrec`` parser with every command."""
    parser = argparse.ArgumentParser(prog="sslrec", description="Tools of the SSL-Rec Book.")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_data_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``sslrec`` with `argv` (default ``sys.argv[1:]``) and return the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, or a usage error argparse has already reported
        return exit_.code if isinstance(exit_.code, int) else USAGE_ERROR
    try:
        return args.func(args)
    except USER_ERRORS as err:
        message = err.args[0] if isinstance(err, KeyError) and err.args else err
        print(f"sslrec: error: {message}", file=sys.stderr)
        return USAGE_ERROR


if __name__ == "__main__":
    sys.exit(main())
