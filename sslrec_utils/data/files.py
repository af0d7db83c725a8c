"""Reading a reader's own interaction file (CSV, TSV or Parquet, text files possibly compressed): its format,
separator and header, and the hints when they look wrong. `sslrec_utils.data.columns` turns what is read into the
standard ``user, item, rating, timestamp`` layout (`load_interactions`)."""

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

import pandas as pd

from sslrec_utils.config import DataWarning, closest, did_you_mean
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


def _format(path: Path) -> str:
    """The lower-case extension of `path`, ignoring a compression suffix (``ratings.csv.gz`` -> ``.csv``)."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in COMPRESSION:
        suffixes.pop()
    return suffixes[-1] if suffixes else ""


def parse_sep(sep: str | None) -> str | None:
    """The field separator `sep` stands for: a name of `SEPARATOR_NAMES` (``"tab"``, ``"\\t"``...) or itself.

    Raises:
        ValueError: if `sep` is empty, or a word of two letters or more that is no name (``"whitespace"``): no
            file separates its fields by a word, so it is a name mistyped.
    """
    if sep is None:
        return None
    if not sep:
        raise ValueError(
            "the separator is empty: pass a field separator such as --sep , or --sep tab (sep=...)"
        )
    if sep.lower() not in SEPARATOR_NAMES and len(sep) > 1 and sep.isalpha():
        names = [name for name in SEPARATOR_NAMES if name.isalpha()]
        raise ValueError(
            f"unknown separator name {sep!r}; names: {', '.join(names)} (or give the character itself, e.g. "
            f"--sep ';'){did_you_mean(sep.lower(), names)}"
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
        if " " not in name.strip():
            return ""
        sep = " "  # the last guess: a name may hold a space (``user id``), but rarely a whole header
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
