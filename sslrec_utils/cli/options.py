"""Options that several ``sslrec`` commands share: the data folder, a user's file and its preprocessing, the
grid search; and the check of the data options, each named by its flag."""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Iterable
from typing import Any

from sslrec_utils.data import TIE_ORDERS
from sslrec_utils.data.files import FILE_FIELDS


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
