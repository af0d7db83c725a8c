"""A reader's own interaction log (CSV, TSV or Parquet) in the standard ``user, item, rating, timestamp`` layout."""

from __future__ import annotations

import itertools
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from sslrec_utils.config import closest
from sslrec_utils.data.core import COLUMNS, Interactions, check_columns
from sslrec_utils.data.movielens import DATASETS

SEPARATORS = {".csv": ",", ".tsv": "\t", ".tab": "\t"}
# separators by name, so that a shell user can type them (``--sep tab``; ``\t`` as typed, a backslash and a t)
SEPARATOR_NAMES = {"tab": "\t", "\\t": "\t", "space": " ", "comma": ",", "semicolon": ";", "pipe": "|"}
PARQUET = (".parquet", ".pq")
COMPRESSION = (".gz", ".bz2", ".xz", ".zst", ".zip")
_CANONICAL_INT = re.compile(r"^-?(0|[1-9]\d*)$")


def _format(path: Path) -> str:
    """The lower-case extension of `path`, ignoring a compression suffix (``ratings.csv.gz`` -> ``.csv``)."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in COMPRESSION:
        suffixes.pop()
    return suffixes[-1] if suffixes else ""


def parse_sep(sep: str | None) -> str | None:
    """The field separator `sep` stands for: a name of `SEPARATOR_NAMES` (``"tab"``, ``"\\t"``...) or itself.

    Raises:
        ValueError: if `sep` is empty.
    """
    if sep is None:
        return None
    if not sep:
        raise ValueError(
            "the separator is empty: pass a field separator such as --sep , or --sep tab (sep=...)"
        )
    return SEPARATOR_NAMES.get(sep.lower(), sep)


def _sep_hint(columns: pd.Index) -> str:
    """A hint for a header read as one column whose name holds a separator, e.g. ``user\\titem``."""
    if len(columns) != 1:
        return ""
    name = str(columns[0])
    counts = {sep: name.count(sep) for sep in ("\t", ";", ",", "|")}
    sep = max(counts, key=counts.__getitem__)
    if not counts[sep]:
        return ""
    word = next(k for k, v in SEPARATOR_NAMES.items() if v == sep)
    return f"; the file looks {word}-separated: pass --sep {word} (sep={sep!r})"


def _read(path: Path, sep: str | None) -> pd.DataFrame:
    """Read `path` with every text column kept as strings, so IDs like ``"007"`` survive.

    Raises:
        ValueError: the format is unknown, or the file holds no rows.
    """
    sep = parse_sep(sep)
    ext = _format(path)
    if sep is None and ext in PARQUET:
        frame = pd.read_parquet(path)
    elif sep is None and ext not in SEPARATORS:
        raise ValueError(
            f"cannot tell the format of {path.name} from its extension; use .csv, .tsv or .parquet, "
            "or give the separator (sep=... or --sep)"
        )
    else:
        sep = SEPARATORS[ext] if sep is None else sep
        options: dict[str, object] = {"dtype": str, "keep_default_na": False, "na_values": [""]}
        if len(sep) > 1:  # pandas reads a multi-character separator as a regex, with the python engine
            sep, options["engine"] = re.escape(sep), "python"
        try:
            frame = pd.read_csv(path, sep=sep, **options)
        except pd.errors.EmptyDataError:
            raise ValueError(f"{path.name} is empty: not even a header line") from None
    if frame.empty:
        raise ValueError(f"{path.name} has no rows, only the columns {list(map(str, frame.columns))}")
    return frame


def near_file(name: str) -> str:
    """The end of a "no such file" message: the built-in data set, or the file in the same folder, whose name
    is most like `name`'s (``"; did you mean 'ml-100k'?"``), or ``""``."""
    path = Path(name).expanduser()
    try:
        siblings = [p.name for p in itertools.islice(path.parent.iterdir(), 10_000) if p.is_file()]
    except OSError:  # no such folder, or not allowed to list it
        siblings = []
    match = closest(path.name, [*DATASETS, *siblings])
    if match is None:
        return ""
    return f"; did you mean {match if match in DATASETS else os.path.join(os.path.dirname(name), match)!r}?"


def _check_present(values: pd.Series, what: str, source: str) -> None:
    """Raise a `ValueError` counting the rows of `source` with no value in `values`, and naming the first
    (counted from 1, the header aside), before a parser reports the gap as a value it cannot read."""
    missing = values.isna().to_numpy()
    if missing.any():
        first = int(np.flatnonzero(missing)[0]) + 1
        raise ValueError(
            f"{int(missing.sum())} rows of {source} have no {what} (column {values.name!r}; the first is data "
            f"row {first}): fill them in or drop those rows"
        )


def _ids(values: pd.Series, what: str, source: str) -> pd.Series:
    """IDs as int64 when every value is an integer (written without leading zeros), else as strings."""
    _check_present(values, f"{what} ID", source)
    if pd.api.types.is_integer_dtype(values.dtype):
        return values.astype(np.int64)
    text = values.astype(str)
    if text.str.fullmatch(_CANONICAL_INT).all():
        return text.astype(np.int64)
    return text


def _numbers(values: pd.Series, source: str) -> pd.Series:
    """Parse a numeric column, naming the first bad value."""
    parsed = pd.to_numeric(values, errors="coerce")
    bad = parsed.isna()
    if bad.any():
        raise ValueError(f"column {values.name!r} of {source} must be numeric; found {values[bad].iloc[0]!r}")
    return parsed


def _timestamps(values: pd.Series, source: str) -> pd.Series:
    """Unix seconds (int64) from numbers or date-time strings (naive ones are taken as UTC)."""
    _check_present(values, "time", source)
    if pd.api.types.is_numeric_dtype(values.dtype):
        return _numbers(values, source).astype(np.int64)
    if not pd.api.types.is_datetime64_any_dtype(values.dtype):
        numeric = pd.to_numeric(values, errors="coerce")
        if numeric.notna().all():
            return numeric.astype(np.int64)
        try:
            values = pd.to_datetime(values, utc=True, format="mixed")
        except (ValueError, TypeError) as err:
            raise ValueError(
                f"column {values.name!r} of {source} holds neither numbers nor dates: {err}"
            ) from err
    if values.dt.tz is None:
        values = values.dt.tz_localize("UTC")
    return ((values - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)).astype(np.int64)


def load_interactions(
    path: str | os.PathLike[str],
    *,
    user_col: str = "user",
    item_col: str = "item",
    rating_col: str | None = None,
    time_col: str | None = None,
    sep: str | None = None,
) -> pd.DataFrame:
    """Read an interaction log into the standard columns ``user, item, rating, timestamp``.

    Args:
        path: a ``.csv``, ``.tsv`` or ``.parquet`` file (text files may be compressed, e.g. ``.csv.gz``).
        user_col: the column holding user IDs.
        item_col: the column holding item IDs.
        rating_col: the column holding ratings; ``None`` gives every row rating 1.0 (implicit feedback).
        time_col: the column holding times, as Unix seconds or date-time strings; ``None`` gives 0.
        sep: the field separator; overrides the extension (``"\\t"``, ``";"``, ``"::"``, ...). The names
            ``"tab"`` (or ``"\\\\t"``, as typed in a shell), ``"space"``, ``"comma"``, ``"semicolon"`` and
            ``"pipe"`` stand for their character.

    Returns:
        DataFrame ``user, item`` (int64 if all IDs are integers, else str), ``rating`` (float32),
        ``timestamp`` (int64 Unix seconds), in file order.

    Raises:
        FileNotFoundError: if `path` does not exist.
        ValueError: for an empty `sep`, a missing column (suggesting `sep` when the header looks like one
            column holding separators), a missing ID, or a value that cannot be parsed.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}{near_file(str(path))}")
    if user_col == item_col:
        raise ValueError(f"user_col and item_col are both {user_col!r}; they must name different columns")
    frame = _read(path, sep).reset_index(drop=True)
    wanted = tuple(c for c in (user_col, item_col, rating_col, time_col) if c is not None)
    try:
        check_columns(frame, wanted, path.name)
    except ValueError as err:
        raise ValueError(f"{err}{_sep_hint(frame.columns)}") from None
    n = len(frame)
    if rating_col:
        _check_present(frame[rating_col], "rating", path.name)
    rating = _numbers(frame[rating_col], path.name) if rating_col else pd.Series(np.ones(n))
    timestamp = _timestamps(frame[time_col], path.name) if time_col else pd.Series(np.zeros(n, np.int64))
    return pd.DataFrame(
        {
            "user": _ids(frame[user_col], "user", path.name),
            "item": _ids(frame[item_col], "item", path.name),
            "rating": rating.astype(np.float32),
            "timestamp": timestamp.astype(np.int64),
        },
        columns=list(COLUMNS),
    )


def dataset_info(data: pd.DataFrame | Interactions) -> dict[str, float | int]:
    """Counts and density of an interaction log.

    Args:
        data: a frame with ``user`` and ``item`` columns (e.g. `MovieLens.ratings`), or `Interactions`.

    Returns:
        ``{"users", "items", "interactions", "density", "duplicate_rows"}``: interactions are the distinct
        (user, item) pairs, which training keeps (`preprocess` merges repeated rows), density = interactions /
        (users * items), and duplicate_rows the rows beyond one per pair.
    """
    frame = data.frame if isinstance(data, Interactions) else data
    check_columns(frame, ("user", "item"), "the data")
    users, items = int(frame["user"].nunique()), int(frame["item"].nunique())
    pairs = len(frame[["user", "item"]].drop_duplicates())
    return {
        "users": users,
        "items": items,
        "interactions": pairs,
        "density": pairs / (users * items) if pairs else 0.0,
        "duplicate_rows": len(frame) - pairs,
    }
