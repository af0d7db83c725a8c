"""A reader's own interaction log (CSV, TSV or Parquet) in the standard ``user, item, rating, timestamp`` layout."""

from __future__ import annotations

import itertools
import lzma
import os
import re
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format

from sslrec_utils.config import DataWarning, closest
from sslrec_utils.data.core import COLUMNS, Interactions, canonical_id_text, check_columns, whole_number_text
from sslrec_utils.data.download import expand_user
from sslrec_utils.data.movielens import DATASETS
from sslrec_utils.data.synthetic import parse_synthetic

SEPARATORS = {".csv": ",", ".tsv": "\t", ".tab": "\t"}
# separators by name, so that a shell user can type them (``--sep tab``; ``\t`` as typed, a backslash and a t)
SEPARATOR_NAMES = {"tab": "\t", "\\t": "\t", "space": " ", "comma": ",", "semicolon": ";", "pipe": "|"}
PARQUET = (".parquet", ".pq")
# the options that say how to read a file (DataSpec's fields, the command line's --user-col ...): a MovieLens or
# synthetic data set takes none
FILE_FIELDS = ("user_col", "item_col", "rating_col", "time_col", "sep")
COMPRESSION = (".gz", ".bz2", ".xz", ".zst", ".zip")
_INT64_MAX = np.iinfo(np.int64).max


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


def sep_hint(columns: pd.Index | list[str]) -> str:
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


T = TypeVar("T")  # what a reader returns: a frame, or a Parquet schema


def read_header(
    path: str | os.PathLike[str], sep: str | None = None, wanted: Collection[str] = ()
) -> list[str]:
    """The column names of a CSV/TSV/Parquet file, reading only its header line (or Parquet schema), refused
    as `load_interactions` refuses the file that it reads columns `wanted` of (empty, not UTF-8, Parquet
    named as text, a wanted name repeated...)."""
    return [str(c) for c in _read(Path(path), sep, header_only=True, wanted=wanted).columns]


def _read(
    path: Path, sep: str | None, header_only: bool = False, wanted: Collection[str] = ()
) -> pd.DataFrame:
    """Read `path` with every text column kept as strings, so IDs like ``"007"`` survive.

    Args:
        path: the file.
        sep: its separator, or None to go by the extension; a first line ``sep=;`` (as Excel writes) sets it.
        header_only: read the column names only (no rows).
        wanted: the columns the caller reads: a text header may repeat other names (pandas numbers the
            repeats apart, ``note, note.1``), not these.

    Raises:
        FileNotFoundError: no such file.
        ValueError: a folder, the format is unknown, a text file is not UTF-8 (or is Parquet), the header
            repeats a wanted name (a Parquet file any name, which pandas cannot read), `sep` differs from the
            one an Excel ``sep=;`` first line declares, or the file holds no rows.
    """
    if path.is_dir():
        raise ValueError(f"{path} is a folder, not a file: give an interaction file (.csv, .tsv or .parquet)")
    if path.exists() and not path.is_file():
        raise ValueError(f"{path} is not a regular file (a device or a pipe): give an interaction file")
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}{near_file(str(path))}")
    sep = parse_sep(sep)
    ext = _format(path)
    if sep is None and ext in PARQUET:
        import pyarrow.parquet as pq  # the schema first: pandas cannot read a file that repeats a name

        with path.open("rb") as file:
            if file.read(4) != b"PAR1":  # pyarrow's "magic bytes not found in footer" names no file
                raise ValueError(
                    f"{path.name} is not a Parquet file (it does not start with PAR1): name a text file .csv or "
                    ".tsv, or give its separator (--sep, sep=...)"
                )
        # pandas' unnamed saved index is left out, as `_with_index_as_columns` leaves it out
        names = [n for n in _readable(pq.read_schema, path).names if not n.startswith("__index_level_")]
        _check_distinct(names, path.name)
        frame = (
            pd.DataFrame(columns=names)
            if header_only
            else _with_index_as_columns(_readable(pd.read_parquet, path))
        )
    elif sep is None and ext not in SEPARATORS:
        raise ValueError(
            f"cannot tell the format of {path.name} from its extension; use .csv, .tsv or .parquet, "
            "or give the separator (sep=... or --sep)"
        )
    else:
        options: dict[str, object] = {"dtype": str, "keep_default_na": False, "na_values": [""]}
        if header_only:
            options["nrows"] = 0
        try:
            names, sep, skip = _text_header(path, sep)
            if not no_header_hint(names):  # a data row (1, 1, 4) as a header: `load_interactions` says so
                _check_distinct(names, path.name, wanted)
            frame = _readable(pd.read_csv, path, skiprows=skip, **_sep_options(sep), **options)
        except pd.errors.EmptyDataError:
            raise ValueError(f"{path.name} is empty: not even a header line") from None
        except (
            pd.errors.ParserError
        ) as err:  # "Error tokenizing data. C error: Expected 2 fields in line 3..."
            raise ValueError(f"cannot read {path.name}: {_parser_problem(err)}") from None
        except UnicodeDecodeError as err:
            raise ValueError(_not_text(path, err)) from None
        if not isinstance(frame.index, pd.RangeIndex):  # rows longer than the header: see the function
            frame = _without_trailing_fields(frame, path.name)
    if frame.empty and not header_only:
        raise ValueError(f"{path.name} has no rows, only the columns {list(map(str, frame.columns))}")
    return frame


def _parser_problem(err: pd.errors.ParserError) -> str:
    """What pandas' parser found wrong, said for a reader: ``line 3 has 3 fields, the header 2`` (pandas:
    "Error tokenizing data. C error: Expected 2 fields in line 3, saw 3")."""
    text = str(err).strip().removeprefix("Error tokenizing data. ").removeprefix("C error: ")
    fields = re.fullmatch(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
    if fields is None:
        return text
    expected, line, saw = fields.groups()
    return (
        f"line {line} has {saw} fields, the header {expected}: quote the fields that hold the separator, or "
        "mend that line"
    )


def _sep_options(sep: str) -> dict[str, str]:
    """`pd.read_csv`'s options for the separator `sep`: pandas reads one of several characters as a regex,
    with the python engine."""
    return {"sep": re.escape(sep), "engine": "python"} if len(sep) > 1 else {"sep": sep}


def _first_row(path: Path, sep: str, skip: int = 0) -> list[str]:
    """The fields of the first line of text file `path` after `skip` lines, as written: pandas' header would
    rename a repeated name (``user, user`` becomes ``user, user.1``) and an empty one (``Unnamed: 2``)."""
    row = _readable(
        pd.read_csv,
        path,
        header=None,
        nrows=1,
        skiprows=skip,
        dtype=str,
        keep_default_na=False,
        **_sep_options(sep),
    )
    return row.iloc[0].tolist()


def _text_header(path: Path, sep: str | None) -> tuple[list[str], str, int]:
    """The header of text file `path` as written, the separator to read the file with, and the lines before
    the header: 1 for the ``sep=;`` line that Excel writes first to declare the separator, else 0.

    Args:
        path: the file.
        sep: the separator given, or None to go by the extension (or by the ``sep=`` line).

    Raises:
        ValueError: if `sep` differs from the separator the file declares.
    """
    used = SEPARATORS[_format(path)] if sep is None else sep
    fields = _first_row(path, used)
    declared = re.fullmatch("sep=(.)", used.join(fields))  # "sep=;" read with ";" is the fields "sep=", ""
    if declared is None:
        return fields, used, 0
    if sep is not None and sep != declared[1]:
        raise ValueError(
            f"{path.name} declares the separator {declared[1]!r} on its first line ({declared[0]!r}, as Excel "
            f"writes), but the separator {sep!r} was given: leave out the separator (--sep, sep=...) or give "
            f"{declared[1]!r}"
        )
    return _first_row(path, declared[1], skip=1), declared[1], 1


def _check_distinct(names: list[str], source: str, wanted: Collection[str] | None = None) -> None:
    """Raise a `ValueError` naming the names of `wanted` (None: any name) that the header of `source` repeats:
    pandas would read the first as the column and the others under new names (``user, user.1``). Empty names
    (R's row names, a separator ending the header line) are let be: pandas numbers them apart (``Unnamed: 0``,
    ``Unnamed: 3``)."""
    counts = Counter(name for name in names if name and (wanted is None or name in wanted))
    repeated = [f"{name!r} {'twice' if n == 2 else f'{n} times'}" for name, n in counts.items() if n > 1]
    if repeated:
        raise ValueError(
            f"the header of {source} names {' and '.join(repeated)}: give each column a distinct name"
        )


def _readable(read: Callable[..., T], path: Path, **options: Any) -> T:
    """``read(path, **options)``, with a file that cannot be decompressed (a ``.gz`` that is not gzip, a cut
    ``.bz2``, a ``.zst`` without its package) refused in one line instead of the codec's traceback."""
    try:
        return read(path, **options)
    except (EOFError, ImportError, OSError, zipfile.BadZipFile, lzma.LZMAError) as err:
        if isinstance(err, FileNotFoundError):
            raise
        raise ValueError(f"cannot read {path.name}: {err}") from None


def _with_index_as_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """A Parquet file's frame with the index pandas saved in it (``to_parquet`` keeps a filtered frame's row
    labels, and a ``set_index`` column) back among the columns if it has a name, dropped if not: its columns
    are never shifted, unlike a text file's (`_without_trailing_fields`)."""
    names = [name for name in frame.index.names if name is not None]  # a named index may be a RangeIndex
    return (frame.reset_index(level=names) if names else frame).reset_index(drop=True)


def _not_text(path: Path, err: UnicodeDecodeError) -> str:
    """The message for a text file that is not UTF-8: a Parquet file (its first bytes are ``PAR1``) read as
    text, or text in another encoding (Latin-1, Windows-1252...)."""
    with path.open("rb") as file:
        parquet = file.read(4) == b"PAR1"
    if parquet and _format(path) in PARQUET:
        return f"{path.name} is a Parquet file, not text: read it without a separator (--sep, sep=...)"
    if parquet:
        return f"{path.name} is a Parquet file, not text: name it .parquet (e.g. {path.stem}.parquet)"
    byte = err.object[err.start : err.start + 1].hex()
    return (
        f"{path.name} is not UTF-8 text (it holds the byte 0x{byte}; it may be Latin-1, Windows-1252 or UTF-16): "
        "re-save it as UTF-8"
    )


def no_header_hint(columns: pd.Index | list[str], partly: bool = False) -> str:
    """A hint for a header line that holds only numbers, as the first row of a file without one does (e.g.
    MovieLens' ``u.data``: ``196\\t242\\t3\\t881250949``); with `partly`, also for one that holds some numbers
    (``u000,item 26,2,1700529202``: text IDs, then a rating and a time), which a header rarely does."""
    names = pd.Series([str(c) for c in columns])
    numbers = pd.to_numeric(names, errors="coerce").notna()
    if names.empty or not numbers.any() or not (partly or numbers.all()):
        return ""
    add = (
        "add one naming the columns (e.g. user, item, rating, timestamp, separated as the data is) and pass "
        "those names (--user-col, --item-col...)"
    )
    if numbers.all():
        return f"; its first line holds only numbers, so the file seems to have no header line: {add}"
    return (
        f"; its first line holds numbers ({names[numbers].tolist()}), as a data row does: if the file has no "
        f"header line, {add}"
    )


def _without_trailing_fields(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """The frame of a file whose rows have more fields than its header, which pandas reads by taking the rows'
    first fields as the index (every column then holds its neighbour's values). A separator at the end of
    each line is the usual cause: its empty fields are dropped, with a warning, since row names in front of
    each row and an empty last column (R's ``write.table``) look the same; any value there is refused."""
    header = list(frame.columns)
    flat = frame.reset_index()
    extra = flat.shape[1] - len(header)
    if flat.iloc[:, len(header) :].notna().to_numpy().any():
        raise ValueError(
            f"rows of {source} have {extra} more field(s) than its header {header}: check the separator "
            "(--sep) and the header line"
        )
    warnings.warn(
        f"rows of {source} have {extra} more field(s) than its header, empty in every row: read as a separator "
        "at the end of each line and dropped; if the rows start with row names instead (R's write.table), "
        "re-save the file without them",
        DataWarning,
        stacklevel=2,
    )
    flat = flat.iloc[:, : len(header)]
    flat.columns = header
    return flat


def near_file(name: str) -> str:
    """The end of a "no such file" message: the built-in data set, or the file in the same folder, whose name
    is most like `name`'s (``"; did you mean 'ml-100k'?"``), or ``""``. Files are compared by their names
    without the extension, which every ``.csv`` shares and which had made unrelated names look alike."""
    path = Path(name).expanduser()
    try:
        siblings = [p.name for p in itertools.islice(path.parent.iterdir(), 10_000) if p.is_file()]
    except OSError:  # no such folder, or not allowed to list it
        siblings = []
    by_stem: dict[str, str] = {}
    for sibling in sorted(siblings, key=lambda s: Path(s).suffix != path.suffix):  # the same extension first
        by_stem.setdefault(Path(sibling).stem, sibling)
    match = closest(path.stem, [*DATASETS, *by_stem])
    if match is None:
        return ""
    if match not in by_stem:
        return f"; did you mean {match!r}?"
    return f"; did you mean {os.path.join(os.path.dirname(name), by_stem[match])!r}?"


def is_file_dataset(name: str) -> bool:
    """Whether a data set name is a file path: not a MovieLens name nor a ``synthetic:UxIxN`` shape."""
    return name not in DATASETS and parse_synthetic(name) is None


def unknown_source(dataset: str, name: str = "") -> str | None:
    """Why `dataset` names no data: neither a built-in or synthetic data set nor an existing file or folder
    (whose loading says it is not a file), with the closest name; None when it does. `name` starts the
    message (``"DATASET"``). An empty or blank name names none (it would read as the folder ".")."""
    if not dataset.strip():
        return (
            f"{name or 'the data set'} is empty: give a MovieLens name ({', '.join(DATASETS)}), a CSV/TSV/Parquet "
            "file or synthetic:UxIxN"
        )
    if not is_file_dataset(dataset) or expand_user(dataset).exists():
        return None
    return (
        f"{name + ' ' if name else ''}{dataset!r} is neither a data set ({', '.join(DATASETS)}, "
        f"synthetic:UxIxN) nor a file{near_file(dataset)}"
    )


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

    ISO 8601 is tried first (any mix of precisions and time zones). Otherwise the format is guessed from the
    first value, month first, then day first: ``01/02/2024`` then ``13/02/2024`` is read day first throughout.
    When both readings fit every value, the month-first one is kept, with a warning.
    """
    try:
        return pd.to_datetime(values, utc=True, format="ISO8601")
    except (ValueError, TypeError):
        pass
    first, readings = str(values.iloc[0]), {}
    for dayfirst in (False, True):
        with warnings.catch_warnings():  # pandas warns when a guess contradicts `dayfirst`
            warnings.simplefilter("ignore", UserWarning)
            fmt = guess_datetime_format(first, dayfirst=dayfirst)
        if fmt is None or fmt in readings:
            continue
        try:
            readings[fmt] = pd.to_datetime(values, utc=True, format=fmt)
        except (ValueError, TypeError):
            continue
    if not readings:
        raise ValueError(
            f"column {values.name!r} of {source} holds neither numbers nor dates in one format (the first value, "
            f"{first!r}, sets it): write the times as ISO 8601 (2024-02-13 10:00:00) or Unix seconds"
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


def _timestamps(values: pd.Series, source: str) -> pd.Series:
    """Unix seconds (int64) from numbers or date-time strings (naive ones are taken as UTC).

    Times are whole seconds: a fraction is dropped, with a warning, so events within one second tie and
    `preprocess`'s ``ties`` orders them.
    """
    _check_present(values, "time", source)
    if not pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_datetime64_any_dtype(
        values.dtype
    ):
        numeric = pd.to_numeric(values, errors="coerce")
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
    try:
        check_columns(frame, wanted, path.name)
    except ValueError as err:
        text = sep is not None or _format(path) not in PARQUET  # a Parquet file's names are never a data row
        hint = sep_hint(frame.columns) or (no_header_hint(frame.columns, partly=True) if text else "")
        raise ValueError(f"{err}{hint}") from None
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
