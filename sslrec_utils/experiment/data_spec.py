"""What data a run reads and how it is split: `DataSpec`, its checks, and `load_data` / `load_split`, which
turn it into interactions and a split; and the warning of a split whose time order ties leave to chance."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection
from typing import Any

import numpy as np
import pandas as pd

from sslrec_utils.config import Config, ConfigError, DataWarning, check_count, check_seed_value, did_you_mean
from sslrec_utils.data import (
    TIE_ORDERS,
    Interactions,
    load_interactions,
    load_movielens,
    preprocess,
    tie_order_text,
)
from sslrec_utils.data.download import expand_user
from sslrec_utils.data.files import FILE_FIELDS, is_file_dataset, unknown_source
from sslrec_utils.data.movielens import DATASETS
from sslrec_utils.data.synthetic import parse_synthetic, synthetic_interactions
from sslrec_utils.models import reads_sequences
from sslrec_utils.splits import SPLITTERS, Split, make_split


@dataclasses.dataclass(frozen=True)
class DataSpec(Config):
    """What data to load, how to preprocess it and how to split it; `load_split` turns it into a `Split`.

    For a file, ``threshold`` needs ``rating_col``, and the splits by time (``"time"``, and ``"loo"``, which
    holds out each user's latest interactions) need ``time_col``: without it every timestamp is 0 and there is
    no "latest". A ``synthetic:UxIxN`` data set is one fixed log per shape; ``seed`` varies its split only.

    Raises:
        ConfigError: a negative seed, or what `check_data_fields` refuses (``threshold`` without
            ``rating_col``, or a split by time without ``time_col``, for a file; column names or a separator for
            a MovieLens or synthetic data set; a negative k-core threshold; an unknown split or order of ties).
    """

    dataset: str = (
        "ml-100k"  # MovieLens name (ml-100k, ml-1m, ml-20m), CSV/TSV/Parquet path, or synthetic:UxIxN
    )
    user_col: str = "user"  # column names, for a file
    item_col: str = "item"  # column names, for a file
    rating_col: str | None = None  # rating column, for a file (None: every row is one interaction)
    time_col: str | None = None  # time column, for a file (None: no time order)
    sep: str | None = None  # field separator, for a file (default: from the extension)
    threshold: float | None = None  # keep interactions with rating >= threshold (None: all are positives)
    min_user: int = 0  # k-core: drop users with fewer interactions (repeated with min_item until stable)
    min_item: int = 0  # k-core: drop items with fewer interactions
    ties: str = "random"  # order of a user's rows with equal timestamps: random | row (the log's) | item (ID)
    tie_seed: int = 0  # seeds the random order of ties
    split: str = "holdout"  # holdout | loo | strong | time
    seed: int = 2020  # seeds the split (and, by default, training)
    data_dir: str | None = None  # MovieLens cache (default: $SSLREC_DATA or data/)

    def __post_init__(self) -> None:
        check_seed_value(self.seed)
        check_data_fields(self)

    @property
    def is_builtin(self) -> bool:
        return self.dataset in DATASETS

    @property
    def is_file(self) -> bool:
        """Whether `dataset` names a file (see `is_file_dataset`)."""
        return is_file_dataset(self.dataset)

    def with_absolute_paths(self) -> DataSpec:
        """The spec with an existing data file and `data_dir` made absolute, so that a run's config finds them
        from any folder (a MovieLens name or a synthetic shape stays as it is)."""
        path = expand_user(self.dataset)
        return dataclasses.replace(
            self,
            dataset=str(path.resolve()) if self.is_file and path.is_file() else self.dataset,
            data_dir=None if self.data_dir is None else str(expand_user(self.data_dir).resolve()),
        )


def check_data_fields(
    fields: Any, label: Callable[[str], str] = str, given: Collection[str] | None = None
) -> None:
    """Check the data fields of a `DataSpec`, or of anything that has them under the same names (a report's
    parameters), each named in a message by ``label(name)`` (the report's ``str.upper``: ``SPLIT``).

    Args:
        fields: the fields, as attributes.
        label: how a message names a field.
        given: the fields that were given, where the caller knows (a command line's options): a column option
            for a data set that is no file is refused even at its default. None: those that differ from it.

    Raises:
        ConfigError: a k-core threshold or tie seed that is negative or from 2**63; a rating threshold that is
            not finite; an unknown order of ties or split; column names or a separator for a MovieLens or
            synthetic data set; for a file, one column for users and items, a threshold without a rating
            column, or a split by time without a time column.
    """
    if not str(fields.dataset).strip():  # what else names no data is found when it is loaded
        raise ConfigError(unknown_source(str(fields.dataset), label("dataset")))
    for name in ("min_user", "min_item"):
        check_count(getattr(fields, name), label(name), low=0)
    check_seed_value(fields.tie_seed, label("tie_seed"))
    if fields.threshold is not None and not np.isfinite(fields.threshold):  # nan and inf keep nothing
        raise ConfigError(f"{label('threshold')} must be a finite number, got {fields.threshold}")
    if fields.ties not in TIE_ORDERS:
        raise ConfigError(f"unknown {label('ties')}={fields.ties!r}; valid: {', '.join(TIE_ORDERS)}")
    if fields.split not in SPLITTERS:  # before the data is loaded, not after
        raise ConfigError(
            f"unknown {label('split')}={fields.split!r} (valid: {', '.join(SPLITTERS)})"
            f"{did_you_mean(fields.split, SPLITTERS)}"
        )
    if not is_file_dataset(fields.dataset):
        defaults = DataSpec.__dataclass_fields__
        options = [
            f"{label(name)}={getattr(fields, name)!r}"
            for name in FILE_FIELDS
            if (name in given if given is not None else getattr(fields, name) != defaults[name].default)
        ]
        if options:
            verb = "describes" if len(options) == 1 else "describe"
            raise ConfigError(f"{', '.join(options)} {verb} a file, but {fields.dataset!r} is not one")
        return
    problem = None
    if fields.user_col == fields.item_col:
        problem = (
            f"{label('user_col')} and {label('item_col')} are both {fields.user_col!r}; they must name different "
            "columns"
        )
    elif fields.threshold is not None and fields.rating_col is None:
        problem = f"{label('threshold')}={fields.threshold} needs a rating column: give {label('rating_col')}"
    elif fields.split in ("time", "loo") and fields.time_col is None:
        problem = (
            f"{label('split')}={fields.split!r} is by time and needs a time column: give {label('time_col')}"
        )
    if problem is not None:  # about a file's columns: first say when there is no file (a mistyped name)
        raise ConfigError(unknown_source(fields.dataset, label("dataset")) or problem)


def read_ratings(spec: DataSpec, progress: bool = False) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The log of `spec` as read, before `preprocess` (columns ``user, item, rating, timestamp``), and, for
    MovieLens, its item table (titles, genres).

    Raises:
        FileNotFoundError: a file data set that does not exist.
        DataUnavailableError: a MovieLens data set that no source (cache, RecBole, download) provides.
        ValueError: the data cannot be read.
    """
    shape = parse_synthetic(spec.dataset)
    if shape is not None:
        # one log per shape, whatever spec.seed: the seed varies the split, not the data set, so that a run
        # trained with any seed reloads the log it was trained on
        ratings, items = synthetic_interactions(*shape, seed=0), None
    elif spec.is_builtin:
        movielens = load_movielens(spec.dataset, spec.data_dir, progress=progress)
        ratings, items = movielens.ratings, movielens.items
    else:
        ratings = load_interactions(
            spec.dataset,
            user_col=spec.user_col,
            item_col=spec.item_col,
            rating_col=spec.rating_col,
            time_col=spec.time_col,
            sep=spec.sep,
        )
        items = None
    return ratings, items


def load_data(spec: DataSpec, progress: bool = False) -> tuple[Interactions, pd.DataFrame | None]:
    """The preprocessed interactions of `spec` and, for MovieLens, its item table (titles, genres).

    Raises:
        FileNotFoundError: a file data set that does not exist.
        DataUnavailableError: a MovieLens data set that no source (cache, RecBole, download) provides.
        ValueError: the data cannot be read, or nothing is left after filtering.
    """
    ratings, items = read_ratings(spec, progress)
    inter = preprocess(
        ratings,
        threshold=spec.threshold,
        min_user=spec.min_user,
        min_item=spec.min_item,
        ties=spec.ties,  # type: ignore[arg-type]  # checked by DataSpec
        tie_seed=spec.tie_seed,
    )
    return inter, items


def load_split(spec: DataSpec, progress: bool = False) -> tuple[Split, pd.DataFrame | None]:
    """The split `spec` describes, and the item table if there is one.

    Raises:
        FileNotFoundError, DataUnavailableError, ValueError: as `load_data`; ValueError also when the data is too
            small for the split (`sslrec_utils.splits.make_split`).
    """
    inter, items = load_data(spec, progress)
    return make_split(inter, spec.split, seed=spec.seed), items


class TimeOrderWarning(DataWarning):
    """A sequence model reads histories that the timestamps do not order, or leave-one-out holds out items they
    do not choose (`time_order_warning`)."""


def time_order_warning(model: str, spec: DataSpec) -> str:
    """What to say when model `model` reads data `spec` whose users each have one timestamp
    (`Split.has_time_order`): a sequence model's histories are then in `spec`'s tie order, not in time order,
    and so are the items a leave-one-out split holds out as each user's latest."""
    if spec.time_col is None and spec.is_file:
        cause = "without --time-col every timestamp is 0"
    else:
        column = f" ({spec.time_col!r})" if spec.time_col is not None else ""
        cause = f"the time column{column} gives all of each user's interactions one time"
    order = tie_order_text(spec.ties, spec.tie_seed)
    if not reads_sequences(model):
        return (
            f"the loo split holds out each user's latest interactions, but {cause}, so the items {model} is "
            f"validated and tested on are chosen {order} (--ties), not by time"
        )
    return (
        f"{model} reads each user's history in time order, but {cause}, so each history is ordered {order} "
        "(--ties), not by time"
    )
