"""A reader's own interaction log (CSV, TSV or Parquet) in the standard ``user, item, rating, timestamp``
layout: `load_interactions` reads the file (`sslrec_utils.data.files`) and parses its IDs, ratings and times
column by column, naming the first value it cannot read; `dataset_info` counts a log."""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format

from sslrec_utils.config import DataWarning
from sslrec_utils.data.core import COLUMNS, Interactions, canonical_id_text, check_columns, whole_number_text
from sslrec_utils.data.files import PARQUET, _format, _read, no_header_hint, sep_hint

_INT64_MAX = np.iinfo(np.int64).max


def _check_present(values: pd.Series, what: str, source: str, lacks: str = "no") -> None:
    """Raise a `ValueError` counting the rows of `source` with no value in `values`, and naming the first
    (counted from 1, the header aside), before a parser reports the gap as a value it cannot read. `lacks` says
    what those rows hold instead (``"an empty or blank"``)."""
    missing = values.isna().to_numpy()
    if missing.any():
        n, first = int(missing.sum()), int(np.flatnonzero(missing)[0]) + 1
        raise ValueError(
            f"{n} {'row' if n == 1 else 'rows'} of {source} {'has' if n == 1 else 'have'} {lacks} {what} "
            f"(column {values.name!r}; the first is data row {first}): fill them in or drop those rows"
        )


# text that spreadsheets and databases write for a missing value (compared in upper case)
MISSING_WORDS = frozenset({"NULL", "NAN", "NA", "N/A", "#N/A", "NONE", "NIL", "-"})


def _ids(values: pd.Series, what: str, source: str) -> pd.Series:
    """IDs as int64 when every value is an integer that int64 holds, else as strings.

    Integers are written without leading zeros (``"007"`` stays text) and may end in ``.0``, as a float column
    writes them (pandas makes one of an integer column with a gap): ``"1.0"`` and ``"1"`` are one ID, also in
    a column that holds text, where both become ``"1"``. Text is
    stripped of surrounding spaces (``"1 "`` is ``"1"``); an ID of spaces only is missing, and one that holds a
    line break (rows a stray quote joined) is refused. An unsigned or written integer too large for int64
    (more than 18 digits written) stays text rather than wrapping around.
    """
    _check_present(values, f"{what} ID", source)
    if pd.api.types.is_integer_dtype(values.dtype) and values.max() <= _INT64_MAX:
        return values.astype(np.int64)
    if pd.api.types.is_float_dtype(values.dtype):
        if (np.isfinite(values) & (values == np.floor(values)) & (values.abs() <= 2**53)).all():
            return values.astype(np.int64)
    text = values.astype(str).str.strip()
    _check_present(text.mask(text == ""), f"{what} ID", source, lacks="an empty or blank")
    broken = text.str.contains("[\r\n]", regex=True).to_numpy()
    if broken.any():  # an ID cannot be typed or printed on one line; in a text file, most often a stray quote
        first, n = int(np.flatnonzero(broken)[0]), int(broken.sum())
        cause = (
            ""
            if _format(Path(source)) in PARQUET
            else '; in a text file the usual cause is a stray quote (") that starts a field and runs on to the '
            "next quote, joining rows into one value: fix that quote"
        )
        raise ValueError(
            f"{n} {what} {'ID' if n == 1 else 'IDs'} of {source} {'holds' if n == 1 else 'hold'} a line break, "
            f"the first in data row {first + 1} ({text.iloc[first][:60]!r}), which no ID can{cause}; an ID that "
            "truly holds one must be written without it"
        )
    whole = whole_number_text(text)  # "12" for "12" or "12.0"; NaN otherwise
    if whole.notna().all() and whole.str.lstrip("-").str.len().max() <= 18:  # 18 digits always fit in int64
        return whole.astype(np.int64)
    missing = text[text.str.upper().isin(MISSING_WORDS)]
    if len(missing):  # kept as IDs (a user may be called "NA"), but said, since they often mark a gap
        warnings.warn(
            f"{len(missing)} {'row' if len(missing) == 1 else 'rows'} of {source} "
            f"{'has' if len(missing) == 1 else 'have'} the {what} ID "
            f"{missing.iloc[0]!r}"
            + (f" (or {sorted(set(missing) - {missing.iloc[0]})})" if missing.nunique() > 1 else "")
            + f", which often marks a missing value: it is read as the ID of one {what}",
            DataWarning,
            stacklevel=2,
        )
    return canonical_id_text(text, whole)  # a text column too: "7.0" is "7" ("007" stays itself)


def _numbers(values: pd.Series, source: str) -> pd.Series:
    """Parse a numeric column, naming the first bad value (not a number, or infinite), or the first beyond
    float32 (the ratings' type), which would become infinite."""
    parsed = pd.to_numeric(values, errors="coerce")
    bad = ~np.isfinite(parsed.astype(np.float64))  # NaN (not a number) or infinite
    if bad.any():
        raise ValueError(f"column {values.name!r} of {source} must be numeric; found {values[bad].iloc[0]!r}")
    huge = parsed.abs().astype(np.float64) > np.finfo(np.float32).max
    if huge.any():
        raise ValueError(
            f"column {values.name!r} of {source} holds {values[huge].iloc[0]!r}, beyond float32's range "
            f"(+-{np.finfo(np.float32).max:.3g}): rescale it"
        )
    return parsed


def _dates(values: pd.Series, source: str) -> pd.Series:
    """Date-time strings read in one format for the whole column, never value by value.

    ISO 8601 is tried first (any mix of precisions and time zones); a column whose first value is ISO 8601 is
    read so or refused, never in another format that happens to fit (``2024-13-01`` as year, day, month).
    Otherwise the format is guessed from the first value, month first, then day first: ``01/02/2024`` then
    ``13/02/2024`` is read day first throughout. When both readings fit every value, the month-first one is
    kept, with a warning.

    Raises:
        ValueError: naming the first value that the column's format cannot read, and its data row.
    """
    try:
        return pd.to_datetime(values, utc=True, format="ISO8601")
    except (ValueError, TypeError):
        pass
    first = str(values.iloc[0])
    if _reads(values.iloc[:1], "ISO8601") is not None:
        formats = ["ISO8601"]
    else:
        formats = _guess_formats(first)
    readings = {fmt: dates for fmt in formats if (dates := _reads(values, fmt)) is not None}
    if not readings:
        advice = "write the times as ISO 8601 (2024-02-13 10:00:00) or Unix seconds"
        if not formats:
            raise ValueError(
                f"column {values.name!r} of {source} holds neither numbers nor dates: its first value, {first!r}, "
                f"is neither; {advice}"
            )
        # the value that stops the reading that gets furthest (day first, for 01/02/2024 ... 13/02/2024 ... 40/02)
        row, fmt = max((_first_unread(values, fmt), fmt) for fmt in formats)
        if row < 0:  # no single value is to blame (pandas refused the column as a whole)
            raise ValueError(f"column {values.name!r} of {source} holds dates in no one format; {advice}")
        iso = fmt == "ISO8601"
        raise ValueError(
            f"column {values.name!r} of {source} holds {str(values.iloc[row])!r} (data row {row + 1}), which is "
            f"no date in {'ISO 8601' if iso else fmt}, the format its first value, {first!r}, sets for the whole "
            f"column; {'correct that value or drop its row' if iso else 'correct it, or ' + advice}"
        )
    (fmt, dates), *others = readings.items()
    if any(not other.equals(dates) for _, other in others):
        warnings.warn(
            f"the dates of column {values.name!r} of {source} read both month first and day first; read as "
            f"{fmt}: write them as ISO 8601 (2024-02-13) to be sure",
            DataWarning,
            stacklevel=4,
        )
    return dates


# a 12-hour clock's end (``1:00:00 PM``, ``1:00pm``), which pandas' guess does not read
_AM_PM = re.compile(r"^(.*\d)(\s*)([AaPp][Mm])$")


def _guess_formats(first: str) -> list[str]:
    """The formats a column's `first` date may be in, month first, then day first (one where both agree)."""
    twelve = _AM_PM.match(first.strip())
    stem = twelve.group(1) if twelve else first
    with warnings.catch_warnings():  # pandas warns when a guess contradicts `dayfirst`
        warnings.simplefilter("ignore", UserWarning)
        guesses = [guess_datetime_format(stem, dayfirst=dayfirst) for dayfirst in (False, True)]
    if twelve:  # the hour of a 24-hour guess, read on a 12-hour clock with its AM or PM
        guesses = [
            g.replace("%H", "%I") + twelve.group(2) + "%p" if g and "%H" in g else None for g in guesses
        ]
    return list(dict.fromkeys(g for g in guesses if g is not None))


def _first_unread(values: pd.Series, fmt: str) -> int:
    """The position of the first of `values` that is no date in format `fmt`, or -1 when each is one."""
    unread = np.flatnonzero(pd.to_datetime(values, utc=True, format=fmt, errors="coerce").isna())
    return int(unread[0]) if unread.size else -1


def _reads(values: pd.Series, fmt: str) -> pd.Series | None:
    """`values` as UTC dates in format `fmt`, or None where one of them is no date in it."""
    try:
        return pd.to_datetime(values, utc=True, format=fmt)
    except (ValueError, TypeError):
        return None


def _check_int64(values: pd.Series, numbers: pd.Series, source: str) -> None:
    """Raise a `ValueError` naming the first time of `values` (parsed as float `numbers`) that int64 cannot
    hold, rather than let it wrap around to a negative time."""
    bad = (numbers.abs() >= 2.0**63).to_numpy()
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        value = values.iloc[first : first + 1].tolist()[0]  # a Python value, for its repr
        raise ValueError(
            f"column {values.name!r} of {source} holds {value!r} (data row {first + 1}), too large "
            "for a time: times must fit in 64 bits (at most about 9.2e18); check the time column (--time-col)"
        )


def unix_seconds(values: pd.Series, source: str) -> pd.Series:
    """Unix seconds (int64) from numbers or date-time strings (naive ones are taken as UTC).

    Times are whole seconds: a fraction is dropped, with a warning, so events within one second tie and
    `preprocess`'s ``ties`` orders them.

    Args:
        values: the times: numbers (Unix seconds), datetimes, or date-time strings.
        source: where they come from, for messages (a file's name).

    Returns:
        The times as int64 Unix seconds.

    Raises:
        ValueError: on a missing time, or one that cannot be read (named with its data row).
    """
    _check_present(values, "time", source)
    if not pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_datetime64_any_dtype(
        values.dtype
    ):
        numeric = pd.to_numeric(values, errors="coerce")
        if pd.notna(numeric.iloc[0]) and numeric.isna().any():  # numbers, by the first value, but for some
            row = int(np.flatnonzero(numeric.isna())[0])
            raise ValueError(
                f"column {values.name!r} of {source} holds {str(values.iloc[row])!r} (data row {row + 1}) among "
                "numbers: times are either all numbers (Unix seconds) or all dates; check the time column "
                "(--time-col)"
            )
        values = values if numeric.notna().all() else _dates(values, source)
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        if values.dt.tz is None:
            values = values.dt.tz_localize("UTC")
        # in seconds, not pandas' default nanoseconds, which end in 1677: dates of any century are read
        second = pd.Timedelta(seconds=1).as_unit("s")
        offset = values - pd.Timestamp(0, tz="UTC").as_unit("s")
        seconds, fraction = offset // second, offset % second != pd.Timedelta(0)
    else:
        numbers = _numbers(values, source)
        if not pd.api.types.is_signed_integer_dtype(numbers.dtype):  # int64 holds every signed integer read
            _check_int64(values, numbers.astype(np.float64), source)
        # integers are kept exact, whatever the unit (nanoseconds since 1970 need 61 bits)
        if pd.api.types.is_integer_dtype(numbers.dtype):
            return numbers.astype(np.int64)
        seconds, fraction = np.floor(numbers), numbers != np.floor(numbers)
    if fraction.any():
        warnings.warn(
            f"column {values.name!r} of {source} has fractions of a second, which are dropped: events within one "
            "second tie, and the ties option (--ties) orders them",
            DataWarning,
            stacklevel=3,
        )
    return seconds.astype(np.int64)


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
        ValueError: for a folder, a text file that is not UTF-8, an empty `sep`, a missing column (suggesting
            `sep` when the header looks like one column holding separators, or a header line when the first
            line holds only numbers), a missing ID, or a value that cannot be parsed (or a time int64 cannot
            hold).
    """
    path = Path(path).expanduser()
    if user_col == item_col:
        raise ValueError(f"user_col and item_col are both {user_col!r}; they must name different columns")
    wanted = tuple(c for c in (user_col, item_col, rating_col, time_col) if c is not None)
    frame = _read(path, sep, wanted=wanted).reset_index(drop=True)
    if any(c not in frame.columns for c in wanted):
        text = sep is not None or _format(path) not in PARQUET  # a Parquet file's names are never a data row
        no_header = no_header_hint(frame.columns, partly=True) if text else ""
        try:  # a data row read as the header holds values, which are no column names to suggest
            check_columns(frame, wanted, path.name, suggest=not no_header)
        except ValueError as err:
            raise ValueError(f"{err}{sep_hint(frame.columns) or no_header}") from None
    n = len(frame)
    if rating_col:
        _check_present(frame[rating_col], "rating", path.name)
    rating = _numbers(frame[rating_col], path.name) if rating_col else pd.Series(np.ones(n))
    timestamp = unix_seconds(frame[time_col], path.name) if time_col else pd.Series(np.zeros(n, np.int64))
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
