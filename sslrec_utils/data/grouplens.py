"""Parsers for the MovieLens files: the GroupLens zips (ml-100k, ml-1m, ml-20m) and RecBole's copy of ml-100k.

Each parser reads one unpacked folder and returns `Frames` in the standard layout:

- ``ratings``: ``user:int64, item:int64, rating:float32, timestamp:int64`` (original IDs, file order);
- ``items``: ``item:int64, title:str`` (without the trailing ``" (1995)"``), ``year:Int64`` (nullable),
  ``genres:str`` (``|``-joined);
- ``users``: ``user:int64, age:int64, gender:str, occupation:str, zip:str``, or ``None`` (ml-20m).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

RATING_DTYPES = {"user": np.int64, "item": np.int64, "rating": np.float32, "timestamp": np.int64}
USER_COLUMNS = ["user", "age", "gender", "occupation", "zip"]
# From the ml-1m README: users.dat stores occupations as these codes.
ML1M_OCCUPATIONS = [
    "other", "academic/educator", "artist", "clerical/admin", "college/grad student", "customer service",
    "doctor/health care", "executive/managerial", "farmer", "homemaker", "K-12 student", "lawyer", "programmer",
    "retired", "sales/marketing", "scientist", "self-employed", "technician/engineer", "tradesman/craftsman",
    "unemployed", "writer",
]  # fmt: skip
_TITLE_YEAR = r"^(?P<title>.*?)\s*\((?P<year>\d{4})\)\s*$"


class Frames(NamedTuple):
    """The three tables of a MovieLens data set."""

    ratings: pd.DataFrame
    items: pd.DataFrame
    users: pd.DataFrame | None


def _require(path: Path) -> None:
    """Raise `FileNotFoundError` ("u.user not found in FOLDER", its ``filename`` the file's name, for a caller
    whose folder was temporary, a download's) if `path` is not a file."""
    if not path.is_file():
        missing = FileNotFoundError(f"{path.name} not found in {path.parent}")
        missing.filename = path.name
        raise missing


def _read_table(
    path: Path, sep: str, names: list[str] | None = None, encoding: str = "utf-8"
) -> pd.DataFrame:
    """Read a delimited file as strings; a multi-character `sep` (``::``) is replaced so the fast C parser works."""
    _require(path)
    try:
        text = path.read_bytes().decode(encoding)
        if len(sep) > 1:
            text, sep = text.replace(sep, "\x1f"), "\x1f"
        return pd.read_csv(
            io.StringIO(text),
            sep=sep,
            header=None if names else 0,
            names=names,
            dtype=str,
            keep_default_na=False,
            quoting=csv.QUOTE_NONE,
        )
    # a bad byte or row: one line naming the file (pandas' message ends in a newline)
    except ValueError as err:
        raise ValueError(f"{path.name}: {' '.join(str(err).split())}") from None


def _ratings(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """Cast ``user, item, rating, timestamp`` columns to their standard dtypes; a value that is no number is
    named with its file (`source`) and data row."""
    out = frame[list(RATING_DTYPES)]
    try:
        if out["timestamp"].dtype != np.int64:  # RecBole stores timestamps as "float"
            out = out.assign(timestamp=pd.to_numeric(out["timestamp"]).astype(np.int64))
        return out.astype(RATING_DTYPES).reset_index(drop=True)
    except ValueError as err:  # pandas names the value and the column, not the file or the row
        for column in RATING_DTYPES:
            bad = pd.to_numeric(out[column], errors="coerce").isna().to_numpy()
            if bad.any():
                row = int(np.flatnonzero(bad)[0])
                raise ValueError(
                    f"{source}: the {column} {out[column].iloc[row]!r} of data row {row + 1} is not a number"
                ) from None
        raise ValueError(f"{source}: {' '.join(str(err).split())}") from None


def split_title_year(titles: pd.Series, fallback_year: pd.Series | None = None) -> pd.DataFrame:
    """Split ``"Toy Story (1995)"`` into title ``"Toy Story"`` and year 1995 (nullable ``Int64``)."""
    parts = titles.str.strip().str.extract(_TITLE_YEAR)
    title = parts["title"].fillna(titles.str.strip()).astype(str)
    year = pd.to_numeric(parts["year"]).astype("Int64")
    if fallback_year is not None:
        year = year.fillna(pd.to_numeric(fallback_year, errors="coerce").astype("Int64"))
    return pd.DataFrame({"title": title, "year": year})


def _items(item: pd.Series, titles: pd.DataFrame, genres: pd.Series) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "item": item.astype(np.int64).to_numpy(),
            "title": titles["title"].to_numpy(),
            "year": titles["year"].array,
            "genres": genres.astype(str).to_numpy(),
        }
    ).astype({"title": str, "genres": str})


def _users(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[USER_COLUMNS].astype({"user": np.int64, "age": np.int64})
    return out.astype({c: str for c in ("gender", "occupation", "zip")}).reset_index(drop=True)


def parse_ml100k(folder: Path) -> Frames:
    """Parse the GroupLens ml-100k folder: ``u.data``, ``u.item`` (19 genre flags named by ``u.genre``), ``u.user``."""
    ratings = _read_table(folder / "u.data", "\t", ["user", "item", "rating", "timestamp"])
    genre_table = _read_table(folder / "u.genre", "|", ["genre", "index"], "latin-1")
    genre_table = genre_table[genre_table["genre"].str.strip() != ""]
    genre_names = genre_table.sort_values("index", key=lambda s: s.astype(int))["genre"].tolist()
    head = ["item", "title", "release", "video_release", "imdb"]
    raw = _read_table(folder / "u.item", "|", head + genre_names, "latin-1")
    flags = raw[genre_names].astype(int).to_numpy(bool)
    genres = pd.Series(["|".join(np.asarray(genre_names)[row]) for row in flags])
    titles = split_title_year(raw["title"], raw["release"].str[-4:])
    users = _read_table(folder / "u.user", "|", USER_COLUMNS, "latin-1")
    return Frames(_ratings(ratings, "u.data"), _items(raw["item"], titles, genres), _users(users))


def parse_ml1m(folder: Path) -> Frames:
    """Parse the GroupLens ml-1m folder: ``ratings.dat``, ``movies.dat``, ``users.dat`` (``::``, latin-1)."""
    ratings = _read_table(folder / "ratings.dat", "::", ["user", "item", "rating", "timestamp"], "latin-1")
    movies = _read_table(folder / "movies.dat", "::", ["item", "title", "genres"], "latin-1")
    users = _read_table(folder / "users.dat", "::", ["user", "gender", "age", "occupation", "zip"], "latin-1")
    codes = pd.to_numeric(users["occupation"], errors="coerce")
    bad = ~codes.between(0, len(ML1M_OCCUPATIONS) - 1) | (codes % 1 != 0)
    if bad.any():  # an index out of range, or -1, which numpy would read from the end of the list
        first, last = users["occupation"][bad].iloc[0], len(ML1M_OCCUPATIONS) - 1
        raise ValueError(f"users.dat: occupation {first!r} is not a code 0-{last}")
    users["occupation"] = np.asarray(ML1M_OCCUPATIONS)[codes.astype(int).to_numpy()]
    return Frames(
        _ratings(ratings, "ratings.dat"),
        _items(movies["item"], split_title_year(movies["title"]), movies["genres"]),
        _users(users),
    )


def parse_ml20m(folder: Path) -> Frames:
    """Parse the GroupLens ml-20m folder: ``ratings.csv``, ``movies.csv`` (no user table)."""
    path = folder / "ratings.csv"
    _require(path)
    ratings = pd.read_csv(path, engine="pyarrow").rename(columns={"userId": "user", "movieId": "item"})
    movies = pd.read_csv(folder / "movies.csv", dtype=str, keep_default_na=False)
    titles = split_title_year(movies["title"])
    return Frames(_ratings(ratings, "ratings.csv"), _items(movies["movieId"], titles, movies["genres"]), None)


def _strip_types(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop RecBole's type suffixes from the header: ``user_id:token`` -> ``user_id``."""
    return frame.rename(columns=lambda c: c.split(":")[0])


def parse_recbole_ml100k(folder: Path) -> Frames:
    """Parse RecBole's atomic files ``ml-100k.inter``, ``.item`` and ``.user`` (tab-separated, typed headers)."""
    inter = _strip_types(_read_table(folder / "ml-100k.inter", "\t"))
    ratings = inter.rename(columns={"user_id": "user", "item_id": "item"})
    raw = _strip_types(_read_table(folder / "ml-100k.item", "\t"))
    raw = raw.replace({"movie_title": {"unkonwn": "unknown"}})  # RecBole's typo for item 267
    titles = split_title_year(raw["movie_title"])
    # RecBole took the year of "... (1995) (V)" from the last parentheses ("V"): prefer a valid release_year.
    year = pd.to_numeric(raw["release_year"], errors="coerce").astype("Int64")
    titles["year"] = year.fillna(titles["year"])
    genres = raw["class"].str.split().str.join("|")
    users = _strip_types(_read_table(folder / "ml-100k.user", "\t")).rename(
        columns={"user_id": "user", "zip_code": "zip"}
    )
    return Frames(_ratings(ratings, "ml-100k.inter"), _items(raw["item_id"], titles, genres), _users(users))
