"""Loading MovieLens from RecBole's copy and from the cache, and reading a user's own interaction files."""

from __future__ import annotations

import gzip
import json
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sslrec_utils.data import (
    COLUMNS,
    DataUnavailableError,
    dataset_info,
    default_data_dir,
    load_interactions,
    load_movielens,
    movielens,
    preprocess,
    tie_stats,
)
from sslrec_utils.data.files import read_header
from sslrec_utils.data.grouplens import Frames
from tests.helpers import needs_recbole

RATING_DTYPES = {"user": "int64", "item": "int64", "rating": "float32", "timestamp": "int64"}


@needs_recbole
def test_ml100k_from_recbole_then_from_cache(tmp_path: Path) -> None:
    data = load_movielens("ml-100k", tmp_path, progress=False)
    assert data.source == "recbole"
    r = data.ratings
    assert list(r.columns) == list(COLUMNS) and r.dtypes.astype(str).to_dict() == RATING_DTYPES
    assert (len(r), r["user"].nunique(), r["item"].nunique()) == (100_000, 943, 1682)
    assert sorted(r["rating"].unique().tolist()) == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert r.iloc[0].tolist() == [196, 242, 3.0, 881250949]  # the first line of u.data
    assert not r.duplicated(["user", "item"]).any()

    items = data.items.set_index("item")
    assert len(items) == 1682 and items.index.is_unique
    assert items.loc[1].tolist() == ["Toy Story", 1995, "Animation|Children's|Comedy"]
    assert items.loc[543, "title"] == "Misérables, Les"
    assert items.loc[267, "title"] == "unknown" and pd.isna(items.loc[267, "year"])
    assert items.loc[1412].tolist() == [
        "Land Before Time III: The Time of the Great Giving",
        1995,
        "Animation|Children's",
    ]
    assert data.users.shape == (943, 5)
    assert data.users.iloc[0].tolist() == [1, 24, "M", "technician", "85711"]

    meta = json.loads((tmp_path / "ml-100k" / "source.json").read_text())
    assert meta["source"] == "recbole" and meta["name"] == "ml-100k"
    assert meta["path"] == str(movielens.recbole_ml100k_dir())

    cached = load_movielens("ml-100k", tmp_path)
    assert cached.source == "cache"
    for before, after in [
        (data.ratings, cached.ratings),
        (data.items, cached.items),
        (data.users, cached.users),
    ]:
        pd.testing.assert_frame_equal(after, before)


@needs_recbole
def test_unreadable_cache_is_replaced(tmp_path: Path) -> None:
    folder = tmp_path / "ml-100k"
    folder.mkdir()
    (folder / "source.json").write_text("{}")
    (folder / "ratings.parquet").write_bytes(b"not parquet")
    data = load_movielens("ml-100k", tmp_path, progress=False)
    assert data.source == "recbole" and len(data.ratings) == 100_000
    assert load_movielens("ml-100k", tmp_path).source == "cache"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ml-100k"]


def test_cache_is_read_without_recbole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ratings = pd.DataFrame({"user": [7], "item": [9], "rating": [4.0], "timestamp": [5]}).astype(
        RATING_DTYPES
    )
    items = pd.DataFrame(
        {"item": [9], "title": ["X"], "year": pd.array([None], "Int64"), "genres": ["Drama"]}
    )
    movielens.write_cache(tmp_path / "ml-1m", Frames(ratings, items, None), {"source": "download"})
    monkeypatch.setattr(movielens, "recbole_ml100k_dir", lambda: None)
    data = load_movielens("ml-1m", tmp_path, sources=("cache",))
    assert data.source == "cache" and data.users is None
    pd.testing.assert_frame_equal(data.ratings, ratings)
    pd.testing.assert_frame_equal(data.items, items)


def test_missing_local_url_is_named(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from sslrec_utils.cli import main

    with pytest.raises(FileNotFoundError, match="^no such file: /nonexistent/file.zip$"):
        load_movielens("ml-1m", tmp_path, url="/nonexistent/file.zip", progress=False)
    argv = ["data", "download", "ml-100k", "--data-dir", str(tmp_path), "--url", "/nonexistent/file.zip"]
    assert main([*argv, "--md5", "0" * 32, "-q"]) == 2
    assert capsys.readouterr().err == "sslrec: error: no such file: /nonexistent/file.zip\n"
    assert list(tmp_path.iterdir()) == []


def test_explicit_url_is_honoured_over_another_source(tmp_path: Path) -> None:
    from tests.test_download import ML100K, write_zip

    zip_path = tmp_path / "ml-100k.zip"
    md5 = write_zip(zip_path, ML100K)  # 3 ratings
    ratings = pd.DataFrame({"user": [7], "item": [9], "rating": [4.0], "timestamp": [5]}).astype(
        RATING_DTYPES
    )
    items = pd.DataFrame({"item": [9], "title": ["X"]})
    data_dir = tmp_path / "data"
    movielens.write_cache(data_dir / "ml-100k", Frames(ratings, items, None), {"source": "recbole"})
    with pytest.raises(
        DataUnavailableError, match=r"cache \(filled from recbole, not from file://.*MD5 mismatch"
    ):
        load_movielens("ml-100k", data_dir, url=str(zip_path), md5="0" * 32, progress=False)
    assert (
        len(load_movielens("ml-100k", data_dir, sources=("cache",)).ratings) == 1
    )  # a bad url changes nothing

    data = load_movielens("ml-100k", data_dir, url=str(zip_path), md5=md5, progress=False)
    assert data.source == "download" and len(data.ratings) == 3  # neither the old cache nor RecBole's copy
    again = load_movielens("ml-100k", data_dir, url=str(zip_path), md5=md5.upper(), progress=False)
    assert again.source == "cache" and len(again.ratings) == 3  # the cache now comes from this url
    assert load_movielens("ml-100k", data_dir, progress=False).source == "cache"


def test_failed_cache_write_leaves_nothing(tmp_path: Path) -> None:
    ratings = pd.DataFrame({"user": [1], "item": [2], "rating": [1.0], "timestamp": [0]})
    unwritable = pd.DataFrame({"item": [1, 2], "title": [object(), "x"]})  # pyarrow cannot store object()
    with pytest.raises(ValueError, match="Conversion failed for column title"):
        movielens.write_cache(tmp_path / "ml-100k", Frames(ratings, unwritable, None), {})
    assert list(tmp_path.iterdir()) == []


def test_no_source_lists_what_was_tried(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(movielens, "recbole_ml100k_dir", lambda: None)
    with pytest.raises(DataUnavailableError) as info:
        load_movielens("ml-100k", tmp_path, sources=("cache", "recbole"))
    message = str(info.value)
    assert "cache (no cache in" in message and "recbole (RecBole is not installed)" in message
    assert "pip install recbole==1.2.1 --no-deps" in message
    assert movielens.GROUPLENS_URL.format(name="ml-100k") in message  # (a closed local port in the tests)
    with pytest.raises(DataUnavailableError, match="RecBole ships only ml-100k") as info:
        load_movielens("ml-1m", tmp_path, sources=("recbole",))
    assert "pip install recbole" not in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_unknown_name_and_source() -> None:
    with pytest.raises(ValueError, match="unknown data set 'ml-10k'; valid: ml-100k, ml-1m, ml-20m"):
        load_movielens("ml-10k")
    with pytest.raises(
        ValueError, match="^unknown data set 'ML-100k'; valid: .*; did you mean 'ml-100k'\\?$"
    ):
        load_movielens("ML-100k")
    with pytest.raises(ValueError, match=r"unknown source\(s\) \['web'\]"):
        load_movielens("ml-100k", sources=("web",))


def test_a_data_folder_is_created_only_where_its_parent_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_download import ML100K, write_zip

    md5 = write_zip(tmp_path / "ml-100k.zip", ML100K)
    typo = tmp_path / "no" / "such" / "data"
    message = f"^the data folder {typo} is missing and so is its parent {typo.parent}; create it"
    with pytest.raises(FileNotFoundError, match=message):  # was created, with its parents
        load_movielens("ml-100k", typo, url=str(tmp_path / "ml-100k.zip"), md5=md5, progress=False)
    monkeypatch.setenv("SSLREC_DATA", str(typo))
    with pytest.raises(FileNotFoundError, match=message):
        load_movielens("ml-100k", progress=False)
    assert not (tmp_path / "no").exists()
    data = load_movielens(
        "ml-100k", tmp_path / "new", url=str(tmp_path / "ml-100k.zip"), md5=md5, progress=False
    )
    assert data.path == tmp_path / "new" / "ml-100k" and (data.path / "source.json").is_file()
    monkeypatch.delenv("SSLREC_DATA")
    assert movielens.data_folder() == default_data_dir()  # the built-in default is created with its parents
    # an empty folder, as --data-dir "$DIR" gives with DIR unset, had meant the current folder
    with pytest.raises(ValueError, match=r"^the data folder is empty \(data_dir='', --data-dir ''\)"):
        movielens.data_folder(" ")
    monkeypatch.setenv("SSLREC_DATA", "")  # an empty variable is an unset one
    assert movielens.data_folder() == default_data_dir()
    # a file where the folder (or a missing folder's parent) belongs had failed in the first write, with
    # "[Errno 17] File exists" or "[Errno 20] Not a directory"
    (tmp_path / "afile").write_text("x")
    for named in (tmp_path / "afile", tmp_path / "afile" / "sub"):
        with pytest.raises(ValueError, match=rf"^the data folder {named} is not a folder: .*afile is a file"):
            movielens.data_folder(named)


def test_default_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SSLREC_DATA", str(tmp_path / "elsewhere"))
    assert default_data_dir() == tmp_path / "elsewhere"
    monkeypatch.delenv("SSLREC_DATA")
    repo = Path(movielens.__file__).resolve().parents[2]
    expected = repo / "data" if (repo / "pyproject.toml").is_file() else Path.home() / ".cache" / "sslrec"
    assert default_data_dir() == expected


# --- load_interactions -------------------------------------------------------------------------------------


def test_csv_with_unusual_column_names(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("who,what,stars,when\nu1,007,4.5,100\nu2,42,3,200\n")
    frame = load_interactions(path, user_col="who", item_col="what", rating_col="stars", time_col="when")
    assert list(frame.columns) == list(COLUMNS)
    assert frame["user"].tolist() == ["u1", "u2"] and frame["item"].tolist() == ["007", "42"]  # "007" kept
    assert frame["rating"].dtype == np.float32 and frame["rating"].tolist() == [4.5, 3.0]
    assert frame["timestamp"].dtype == np.int64 and frame["timestamp"].tolist() == [100, 200]


def test_tsv_integer_ids_and_defaults(tmp_path: Path) -> None:
    path = tmp_path / "log.tsv"
    path.write_text("user\titem\textra\n3\t10\tx\n-1\t20\ty\n")
    frame = load_interactions(path)
    assert frame.dtypes.astype(str).to_dict() == RATING_DTYPES
    assert frame.values.tolist() == [[3, 10, 1.0, 0], [-1, 20, 1.0, 0]]


def test_parquet_with_datetimes(tmp_path: Path) -> None:
    path = tmp_path / "log.parquet"
    when = pd.to_datetime(["2020-01-01 00:00:00", "2020-01-01 00:00:01"])
    pd.DataFrame({"u": [1, 2], "i": ["a", "b"], "t": when}).to_parquet(path)
    frame = load_interactions(path, user_col="u", item_col="i", time_col="t")
    assert frame["user"].dtype == np.int64 and frame["item"].tolist() == ["a", "b"]
    assert frame["timestamp"].tolist() == [1577836800, 1577836801]


def test_datetime_strings_become_unix_seconds(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text(
        "user,item,time\n1,1,2020-01-01T00:00:00Z\n1,2,2020-01-01 01:00:00+01:00\n2,1,2020-01-02\n"
    )
    frame = load_interactions(path, time_col="time")
    assert frame["timestamp"].tolist() == [1577836800, 1577836800, 1577923200]


def test_sep_overrides_the_extension(tmp_path: Path) -> None:
    (tmp_path / "log.txt").write_text("user;item;rating\n1;2;5\n")
    assert load_interactions(tmp_path / "log.txt", rating_col="rating", sep=";").values.tolist() == [
        [1, 2, 5.0, 0]
    ]
    (tmp_path / "ratings.dat").write_text("1::1193::5::978300760\n")
    (tmp_path / "head.dat").write_text("u::i::r::t\n" + (tmp_path / "ratings.dat").read_text())
    frame = load_interactions(
        tmp_path / "head.dat", user_col="u", item_col="i", rating_col="r", time_col="t", sep="::"
    )
    assert frame.values.tolist() == [[1, 1193, 5.0, 978300760]]


@pytest.mark.parametrize("sep", ["\t", "\\t", "tab", "TAB"])
def test_tab_separator_by_name(tmp_path: Path, sep: str) -> None:
    (tmp_path / "log.txt").write_text("user\titem\n1\t2\n")
    assert load_interactions(tmp_path / "log.txt", sep=sep)[["user", "item"]].values.tolist() == [[1, 2]]


def test_empty_separator_is_named(tmp_path: Path) -> None:
    (tmp_path / "log.csv").write_text("user,item\n1,2\n")
    with pytest.raises(
        ValueError, match="^the separator is empty: pass a field separator such as --sep , or"
    ):
        load_interactions(tmp_path / "log.csv", sep="")


@pytest.mark.parametrize("word", ["whitespace", "spaces", "TABS"])
def test_a_word_that_names_no_separator_is_refused(tmp_path: Path, word: str) -> None:
    # it had been taken as a separator of its own, and the columns reported missing
    (tmp_path / "log.csv").write_text("user item\n1 2\n")
    with pytest.raises(
        ValueError, match=f"^unknown separator name '{word}'; names: tab, space, comma, semicolon,"
    ):
        load_interactions(tmp_path / "log.csv", sep=word)
    assert load_interactions(tmp_path / "log.csv", sep="SPACE")["item"].tolist() == [2]  # a name, in any case


@pytest.mark.parametrize(
    ("name", "text", "sep", "hint"),
    [
        ("log.csv", "user\titem\trating\n1\t2\t3\n", None, "tab-separated: pass --sep tab (sep='\\t')"),
        ("log.tsv", "user,item\n1,2\n", None, "comma-separated: pass --sep comma (sep=',')"),
        ("log.csv", "user;item\n1;2\n", ",", "semicolon-separated: pass --sep semicolon (sep=';')"),
        ("log.csv", "user item rating\nu1 a 5\n", None, "space-separated: pass --sep space (sep=' ')"),
    ],
)
def test_missing_columns_suggest_the_separator(
    tmp_path: Path, name: str, text: str, sep: str | None, hint: str
) -> None:
    (tmp_path / name).write_text(text)
    with pytest.raises(ValueError) as info:
        load_interactions(tmp_path / name, sep=sep)
    message = str(info.value)
    assert message.startswith(f"columns 'user', 'item' missing from {name}; found: [")
    assert message.endswith(f"; the file looks {hint}")


def test_compressed_csv(tmp_path: Path) -> None:
    path = tmp_path / "log.csv.gz"
    path.write_bytes(gzip.compress(b"user,item\n1,2\n3,4\n"))
    assert load_interactions(path)[["user", "item"]].values.tolist() == [[1, 2], [3, 4]]


def test_missing_column_names_the_file_and_the_columns(tmp_path: Path) -> None:
    path = tmp_path / "ratings.csv"
    path.write_text("u,i,r\n1,2,3\n")
    expected = "column 'item_id' missing from ratings.csv; found: ['u', 'i', 'r']"
    with pytest.raises(ValueError, match=f"^{expected}$".replace("[", r"\[").replace("]", r"\]")):
        load_interactions(path, user_col="u", item_col="item_id")


@pytest.mark.parametrize(
    ("text", "kwargs", "message"),
    [
        (
            "user,item,rating\n1,2,good\n",
            {"rating_col": "rating"},
            "column 'rating' of log.csv must be numeric",
        ),
        ("user,item\n1,\n", {}, "1 row of log.csv has no item ID"),
        (
            "user,item\na,x\nb,   \n",
            {},
            r"^1 row of log.csv has an empty or blank item ID \(column 'item'; .* row 2\)",
        ),
        # a stray quote runs on to the next one: rows joined into one ID, and user b lost, had passed unsaid
        (
            'user,item\na,"Weird Al\na,x\nb,y\nc,"Quoted" thing\nc,w\n',
            {},
            r"^1 item ID of log.csv holds a line break, the first in data row 1 \('Weird Al\\na,x\\nb,y.*; in a "
            r"text file the usual cause is a stray quote",
        ),
        # a gap is named as one, not as a value that cannot be read (numbers and dates alike)
        (
            "user,item,t\n1,2,100\n1,3,\n2,3,\n",
            {"time_col": "t"},
            r"^2 rows of log.csv have no time \(column 't'; the first is data row 2\): fill them in",
        ),
        (
            "user,item,t\n1,2,2020-01-01\n1,3,\n",
            {"time_col": "t"},
            r"^1 row of log.csv has no time \(column 't'; the first is data row 2\)",
        ),
        (
            "user,item,r\n1,2,\n1,3,4\n",
            {"rating_col": "r"},
            r"^1 row of log.csv has no rating \(column 'r'; the first is data row 1\)",
        ),
        (
            "user,item,when\n1,2,3\n",
            {"time_col": "When"},
            r"^column 'When' missing from log.csv; found: \['user', 'item', 'when'\]; did you mean 'when'\?$",
        ),
        (
            "user,item,t\n1,2,yesterday\n",
            {"time_col": "t"},
            "column 't' of log.csv holds neither numbers nor dates",
        ),
        ("user,item\n1,2\n", {"item_col": "user"}, "user_col and item_col are both 'user'"),
    ],
)
def test_bad_values_are_reported(tmp_path: Path, text: str, kwargs: dict[str, str], message: str) -> None:
    (tmp_path / "log.csv").write_text(text)
    with pytest.raises(ValueError, match=message):
        load_interactions(tmp_path / "log.csv", **kwargs)


def test_a_separator_at_the_end_of_each_row_shifts_nothing(tmp_path: Path) -> None:
    # pandas takes a row's extra first field as the index: every column had held its neighbour's values
    (tmp_path / "log.csv").write_text("user,item,rating\nu1,i1,5,\nu1,i2,4,\nu2,i1,3,\n")
    with pytest.warns(
        UserWarning, match=r"1 more field\(s\) than its header, empty in every row: .*write.table"
    ):
        frame = load_interactions(tmp_path / "log.csv", rating_col="rating")  # R's row names look the same
    assert frame[["user", "item"]].values.tolist() == [["u1", "i1"], ["u1", "i2"], ["u2", "i1"]]
    assert frame["rating"].tolist() == [5.0, 4.0, 3.0]
    (tmp_path / "wide.csv").write_text("user,item\n1,2,3\n4,5\n")  # a value beyond the header: refused
    with pytest.raises(ValueError, match=r"rows of wide.csv have 1 more field\(s\) than its header"):
        load_interactions(tmp_path / "wide.csv")


def test_read_header_reads_only_the_header_and_refuses_as_the_loader(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("customer;product\nC1;P1\n")
    assert read_header(path, ";") == ["customer", "product"]
    tsv = tmp_path / "log.tsv"
    tsv.write_text("a\tb\tc\n1\t2\t3\n")
    assert read_header(tsv) == ["a", "b", "c"]
    parquet = tmp_path / "log.parquet"
    pd.DataFrame({"u": [1], "i": [2]}).to_parquet(parquet)
    assert read_header(parquet) == ["u", "i"]
    with pytest.raises(FileNotFoundError, match="no such file: .*log.txt; did you mean .*log.csv'\\?$"):
        read_header(tmp_path / "log.txt")
    (tmp_path / "log.txt").write_text("a,b\n")
    with pytest.raises(ValueError, match="cannot tell the format of log.txt"):
        read_header(tmp_path / "log.txt")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(ValueError, match="^empty.csv is empty: not even a header line$"):
        read_header(tmp_path / "empty.csv")
    (tmp_path / "wide.csv").write_text("a\tb\n".encode("utf-16").decode("latin-1"), encoding="latin-1")
    with pytest.raises(ValueError, match=r"^wide.csv is not UTF-8 text \(it holds the byte 0xff"):
        read_header(tmp_path / "wide.csv")
    pd.DataFrame({"u": [1]}).to_parquet(tmp_path / "pq.csv")
    with pytest.raises(ValueError, match=r"^pq.csv is a Parquet file, not text: name it .parquet"):
        read_header(tmp_path / "pq.csv")


@pytest.mark.parametrize(
    ("text", "repeated"),
    [
        ("user,item,user\n1,2,3\n", "'user' twice"),
        ('"user","item","rating","rating"\n1,2,3,4\n', "'rating' twice"),
        ("item,user,item,rating,item,rating\n1,2,3,4,5,6\n", "'item' 3 times and 'rating' twice"),
    ],
)
def test_a_header_that_repeats_a_name_is_refused(tmp_path: Path, text: str, repeated: str) -> None:
    # pandas had read the second "user" as a column "user.1", silently
    (tmp_path / "log.csv").write_text(text)
    message = f"^the header of log.csv names {repeated}: give each column a distinct name$"
    with pytest.raises(ValueError, match=message):
        load_interactions(tmp_path / "log.csv", rating_col="rating")
    with pytest.raises(ValueError, match=message):
        read_header(tmp_path / "log.csv", wanted=["user", "item", "rating"])
    assert read_header(tmp_path / "log.csv")  # reading no column, it names the columns


def test_a_repeated_name_the_load_does_not_read_is_let_be(tmp_path: Path) -> None:
    # exports repeat columns (an id twice after a join): refusing the file for a column it never reads had
    # broken loads that worked, and taken a headerless first row with a repeated value for a header
    (tmp_path / "log.csv").write_text("user,item,note,note\n1,2,a,b\n")
    assert load_interactions(tmp_path / "log.csv")[["user", "item"]].values.tolist() == [[1, 2]]
    assert read_header(tmp_path / "log.csv", wanted=["user", "item"]) == ["user", "item", "note", "note.1"]
    (tmp_path / "headless.csv").write_text("5,10,5,2020-01-01\n6,11,4,2020-01-02\n")
    with pytest.raises(
        ValueError, match=r"^columns 'user', 'item' missing from headless.csv; found: \['5', '10', '5.1'"
    ):
        load_interactions(tmp_path / "headless.csv")


def test_names_pandas_would_give_a_repeated_one_are_not_taken_for_repeats(tmp_path: Path) -> None:
    (tmp_path / "log.csv").write_text("x,x.1,user,item\n1,2,3,4\n")
    assert read_header(tmp_path / "log.csv") == ["x", "x.1", "user", "item"]
    assert load_interactions(tmp_path / "log.csv")[["user", "item"]].values.tolist() == [[3, 4]]
    (tmp_path / "empty.csv").write_text(",,user,item\n1,2,3,4\n")  # two empty names: pandas numbers them
    assert read_header(tmp_path / "empty.csv") == ["Unnamed: 0", "Unnamed: 1", "user", "item"]


def test_a_parquet_file_that_repeats_a_name_is_refused(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = [pa.array([1]), pa.array([2]), pa.array([3])]
    pq.write_table(pa.Table.from_arrays(columns, names=["user", "item", "user"]), tmp_path / "log.parquet")
    message = "^the header of log.parquet names 'user' twice: give each column a distinct name$"
    with pytest.raises(ValueError, match=message):  # pandas' own error had been pyarrow's "Multiple matches"
        load_interactions(tmp_path / "log.parquet")
    with pytest.raises(ValueError, match=message):
        read_header(tmp_path / "log.parquet")


@pytest.mark.parametrize(
    ("name", "text", "sep"),
    [
        ("log.csv", "sep=;\r\nuser;item;rating\r\nu1;i1;4.5\r\nu2;i2;3\r\n", None),
        ("log.tsv", "sep=,\nuser,item,rating\nu1,i1,4.5\nu2,i2,3\n", None),  # the line outranks the extension
        ("log.csv", "\ufeffsep=|\nuser|item|rating\nu1|i1|4.5\nu2|i2|3\n", "|"),  # a BOM; the same sep given
        ("log.csv", "sep=\t\nuser\titem\trating\nu1\ti1\t4.5\nu2\ti2\t3\n", "tab"),
    ],
)
def test_an_excel_sep_line_sets_the_separator(tmp_path: Path, name: str, text: str, sep: str | None) -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")
    assert read_header(tmp_path / name, sep) == ["user", "item", "rating"]
    frame = load_interactions(tmp_path / name, rating_col="rating", sep=sep)
    assert frame[["user", "item"]].values.tolist() == [["u1", "i1"], ["u2", "i2"]]
    assert frame["rating"].tolist() == [4.5, 3.0]


def test_an_excel_sep_line_in_a_compressed_file(tmp_path: Path) -> None:
    path = tmp_path / "log.csv.gz"
    path.write_bytes(gzip.compress("\ufeffsep=;\nuser;item\n1;2\n3;4\n".encode()))
    assert read_header(path) == ["user", "item"]
    assert load_interactions(path)[["user", "item"]].values.tolist() == [[1, 2], [3, 4]]


def test_a_separator_other_than_the_excel_sep_line_is_refused(tmp_path: Path) -> None:
    (tmp_path / "log.csv").write_text("sep=;\nuser;item\n1;2\n")
    message = (
        r"^log.csv declares the separator ';' on its first line \('sep=;', as Excel writes\), but the separator "
        r"',' was given: leave out the separator \(--sep, sep=...\) or give ';'$"
    )
    with pytest.raises(ValueError, match=message):
        load_interactions(tmp_path / "log.csv", sep="comma")
    with pytest.raises(ValueError, match=message):
        read_header(tmp_path / "log.csv", ",")
    (tmp_path / "bad.csv").write_text("sep=;\nuser;item;user\n1;2;3\n")  # the real header is checked
    with pytest.raises(ValueError, match="^the header of bad.csv names 'user' twice"):
        read_header(tmp_path / "bad.csv", wanted=["user", "item"])


def test_a_parquet_files_saved_index_is_a_column_if_named_and_dropped_if_not(tmp_path: Path) -> None:
    """pandas saves a filtered frame's row labels and a set_index column in the file; they had been read as a
    text file's extra fields, shifting every column by one (the user column held the one before it)."""
    log = pd.DataFrame({"shop": [0, 1, 1], "user": [5, 6, 7], "item": [8, 9, 8], "note": [None] * 3})
    log[log.user > 5].to_parquet(tmp_path / "filtered.parquet")  # row labels 1, 2 kept, unnamed
    log.set_index("user").to_parquet(tmp_path / "indexed.parquet")
    log.set_index(["shop", "user"]).to_parquet(tmp_path / "two.parquet")
    assert load_interactions(tmp_path / "filtered.parquet")[["user", "item"]].values.tolist() == [
        [6, 9],
        [7, 8],
    ]
    for name in ("indexed.parquet", "two.parquet"):
        frame = load_interactions(tmp_path / name)
        assert frame[["user", "item"]].values.tolist() == [[5, 8], [6, 9], [7, 8]]


def test_ids_that_read_as_missing_values_are_kept_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "log.csv").write_text("user,item\nNULL,1\nNULL,2\nNA,1\nann,2\n")
    with pytest.warns(
        UserWarning, match=r"^3 rows of log.csv have the user ID 'NULL' \(or \['NA'\]\), which"
    ):
        frame = load_interactions(tmp_path / "log.csv")
    assert frame["user"].tolist() == ["NULL", "NULL", "NA", "ann"]  # kept: a user may be called "NA"
    (tmp_path / "log.csv").write_text("user,item\nNA,1\nann,2\n")
    with pytest.warns(UserWarning, match=r"^1 row of log.csv has the user ID 'NA', which"):
        load_interactions(tmp_path / "log.csv")


def test_an_id_holding_a_line_break_is_refused_without_blaming_quotes_where_there_are_none(tmp_path) -> None:
    # a Parquet file has no quoting: the message leaves the stray quote out; an empty ID is not "spaces"
    pd.DataFrame({"user": ["a", "b"], "item": ["x", "y\nz"]}).to_parquet(tmp_path / "log.parquet")
    with pytest.raises(ValueError, match=r"^1 item ID of log.parquet holds a line break") as err:
        load_interactions(tmp_path / "log.parquet")
    assert "quote" not in str(err.value)
    pd.DataFrame({"user": ["a", "b"], "item": ["x", ""]}).to_parquet(tmp_path / "log.parquet")
    with pytest.raises(ValueError, match=r"^1 row of log.parquet has an empty or blank item ID"):
        load_interactions(tmp_path / "log.parquet")


def test_dates_of_any_century_are_read(tmp_path: Path) -> None:
    """pandas' nanoseconds end in 1677 and 2262: a date before had failed with 'Out of bounds nanosecond'."""
    from datetime import UTC, datetime

    (tmp_path / "log.csv").write_text("user,item,t\n1,2,1500-01-01T00:00:00\n1,3,2300-06-01T12:00:00\n")
    pd.DataFrame({"user": [1], "item": [2], "t": pd.to_datetime(["1500-01-01"]).as_unit("s")}).to_parquet(
        tmp_path / "log.parquet"
    )
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    expected = [
        int((datetime(*d, tzinfo=UTC) - epoch).total_seconds()) for d in ((1500, 1, 1), (2300, 6, 1, 12))
    ]
    assert load_interactions(tmp_path / "log.csv", time_col="t")["timestamp"].tolist() == expected
    assert load_interactions(tmp_path / "log.parquet", time_col="t")["timestamp"].tolist() == expected[:1]


def test_a_file_that_cannot_be_decompressed_is_one_error(tmp_path: Path) -> None:
    (tmp_path / "log.csv.gz").write_text("user,item\n1,2\n")  # plain text named .gz
    with pytest.raises(ValueError, match=r"^cannot read log.csv.gz: Not a gzipped file"):
        load_interactions(tmp_path / "log.csv.gz")
    (tmp_path / "log.csv.zip").write_text("user,item\n1,2\n")
    with pytest.raises(ValueError, match=r"^cannot read log.csv.zip: File is not a zip file"):
        load_interactions(tmp_path / "log.csv.zip")


def test_ratings_beyond_float32_are_refused(tmp_path: Path) -> None:
    """They had become infinite, and training then failed with 'lower the lr'."""
    (tmp_path / "log.csv").write_text("user,item,rating\n1,2,5\n1,3,5e300\n")
    with pytest.raises(ValueError, match=r"column 'rating' of log.csv holds '5e300', beyond float32's range"):
        load_interactions(tmp_path / "log.csv", rating_col="rating")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.0\n2.0\n1\n", [1, 2, 1]),  # a float column's whole numbers are the integers
        (" 1\n1 \n", [1, 1]),  # surrounding spaces are not part of an ID
        ("007\n7\n", ["007", "7"]),  # leading zeros: text, two IDs
        ("99999999999999999999\n1\n", ["99999999999999999999", "1"]),  # beyond int64: text, not an overflow
        ("1.5\n2\n", ["1.5", "2"]),
        ("7\n7.0\n007\n8\n", ["7", "7", "007", "8"]),  # a text column: 7 and 7.0 are still one ID
        ("1e3\n-0.00\n0\n", ["1e3", "0", "0"]),
    ],
)
def test_ids_are_integers_only_when_every_one_is_a_whole_number_int64_holds(
    tmp_path: Path, text: str, expected: list[object]
) -> None:
    rows = text.strip("\n").split("\n")
    (tmp_path / "log.csv").write_text("user,item\n" + "".join(f"{u},i{n}\n" for n, u in enumerate(rows)))
    assert load_interactions(tmp_path / "log.csv")["user"].tolist() == expected


def test_parquet_ids_neither_wrap_nor_keep_a_float_form(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"user": np.array([2**63 + 5, 1], dtype=np.uint64), "item": np.array([3.0, 4.0]), "t": [0, 1]}
    )
    frame.to_parquet(tmp_path / "log.parquet")
    loaded = load_interactions(tmp_path / "log.parquet")
    assert loaded["user"].tolist() == [str(2**63 + 5), "1"] and loaded["item"].tolist() == [3, 4]
    # a float too large for int64 (whole, but past 2**53, where floats skip integers) is kept as its text
    pd.DataFrame({"user": [1.0, 2.0], "item": [1e19, 2.0]}).to_parquet(tmp_path / "big.parquet")
    assert load_interactions(tmp_path / "big.parquet")["item"].tolist() == ["1e+19", "2"]


@pytest.mark.parametrize(
    ("times", "expected", "warning"),
    [
        # one format for the whole column: the second date settles that the first is 1 February, not 2 January
        (["01/02/2024", "13/02/2024"], [1706745600, 1707782400], None),
        (["01/02/2024", "03/02/2024"], [1704153600, 1709337600], "read both month first and day first"),
        (["2024-01-01T10:00:00+02:00", "2024-01-01 09:00:00Z"], [1704096000, 1704099600], None),
        # a 12-hour clock, as US spreadsheets write it (pandas' guess alone reads no AM or PM)
        (["1/3/2024 1:00:00 PM", "12/30/2024 12:05:00 am"], [1704286800, 1735517100], None),
        (["1700000000.7", "1700000000.2"], [1700000000, 1700000000], "fractions of a second"),
        (
            ["2024-01-01T00:00:00.5Z", "2024-01-01T00:00:01Z"],
            [1704067200, 1704067201],
            "fractions of a second",
        ),
        (["1700000000123456789", "1700000000123456788"], [1700000000123456789, 1700000000123456788], None),
    ],
)
def test_times_are_read_in_one_format_and_whole_seconds(
    tmp_path: Path, times: list[str], expected: list[int], warning: str | None
) -> None:
    (tmp_path / "log.csv").write_text("user,item,t\n" + "".join(f"1,{n},{t}\n" for n, t in enumerate(times)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert load_interactions(tmp_path / "log.csv", time_col="t")["timestamp"].tolist() == expected
    messages = [str(w.message) for w in caught]
    assert any(warning in m for m in messages) if warning else messages == []


def test_times_in_no_single_format_and_infinite_values_are_refused(tmp_path: Path) -> None:
    (tmp_path / "log.csv").write_text("user,item,t,r\n1,1,01/02/2024,inf\n1,2,2024-13-45,1\n")
    with pytest.raises(
        ValueError,
        match=r"holds '2024-13-45' \(data row 2\), which is no date in %m/%d/%Y, the format its first value, "
        r"'01/02/2024', sets for the whole column; correct it, or write the times as ISO 8601",
    ):
        load_interactions(tmp_path / "log.csv", time_col="t")
    with pytest.raises(ValueError, match="column 'r' of log.csv must be numeric; found 'inf'"):
        load_interactions(tmp_path / "log.csv", rating_col="r")


@pytest.mark.parametrize(
    ("times", "message"),
    [
        # ISO 8601 by its first value: read so or refused (year, day, month fitted and had reordered the events)
        (
            ["2024-01-05 10:00:00", "2024-02-01 10:00:00", "2024-13-01 10:00:00"],
            r"'2024-13-01 10:00:00' \(data row 3\), which is no date in ISO 8601, the format its first value, "
            r"'2024-01-05 10:00:00', sets for the whole column; correct that value or drop its row$",
        ),
        (
            ["2023-11-26T07:22:14", "not a date"],
            r"holds 'not a date' \(data row 2\), which is no date in ISO",
        ),
        # the reading that gets furthest names its value: day first stops at row 3, month first at row 2
        (
            ["01/02/2024", "13/02/2024", "13/13/2024"],
            r"'13/13/2024' \(data row 3\), which is no date in %d/%m/%Y",
        ),
        # Unix seconds but for one value (it had blamed the first value, a valid time)
        (
            ["1700000000", "1700003600", "unknown"],
            r"holds 'unknown' \(data row 3\) among numbers: times are either all numbers \(Unix seconds\) or all "
            r"dates",
        ),
        (["hello", "13/02/2024"], r"neither numbers nor dates: its first value, 'hello', is neither; write"),
    ],
)
def test_a_time_that_the_column_format_cannot_read_is_named(
    tmp_path: Path, times: list[str], message: str
) -> None:
    (tmp_path / "log.csv").write_text("user,item,t\n" + "".join(f"1,{n},{t}\n" for n, t in enumerate(times)))
    with pytest.raises(ValueError, match=message):
        load_interactions(tmp_path / "log.csv", time_col="t")


def test_missing_file_and_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=str(tmp_path / "nope.csv") + "$"):
        load_interactions(tmp_path / "nope.csv")
    # a misspelt name: the file beside it, or the built-in data set, most like it
    (tmp_path / "ratings.csv").write_text("user,item\n1,2\n")
    with pytest.raises(FileNotFoundError, match=f"did you mean '{tmp_path / 'ratings.csv'}'\\?$"):
        load_interactions(tmp_path / "ratigns.csv")
    with pytest.raises(FileNotFoundError, match="no such file: ml-100; did you mean 'ml-100k'\\?$"):
        load_interactions("ml-100")
    with pytest.raises(FileNotFoundError, match=f"did you mean '{tmp_path / 'ratings.csv'}'\\?$"):
        load_interactions(tmp_path / "ratings.cvs")  # a misspelt extension
    (tmp_path / "ids_nan_text.csv").write_text("user,item\n1,2\n")  # alike only by their '.csv'
    with pytest.raises(FileNotFoundError, match=f"no such file: {tmp_path / 'nonexist.csv'}$"):
        load_interactions(tmp_path / "nonexist.csv")
    (tmp_path / "log.xlsx").write_text("")
    with pytest.raises(ValueError, match="cannot tell the format of log.xlsx"):
        load_interactions(tmp_path / "log.xlsx")


def test_a_folder_is_not_a_file(tmp_path: Path) -> None:
    (tmp_path / "runs").mkdir()
    with pytest.raises(
        ValueError, match=f"^{tmp_path / 'runs'} is a folder, not a file: give an interaction file"
    ):
        load_interactions(tmp_path / "runs")
    with pytest.raises(ValueError, match="is a folder, not a file"):  # the report's check of columns too
        read_header(tmp_path / "runs")


def test_a_file_that_is_not_utf8_text_is_named(tmp_path: Path) -> None:
    (tmp_path / "latin.csv").write_bytes("user,item\ncafé,1\n".encode("latin-1"))
    for sep in (None, "::"):  # the C reader, and the python one (a separator of several characters)
        with pytest.raises(
            ValueError,
            match=r"^latin.csv is not UTF-8 text \(it holds the byte 0xe9;.*\): re-save it as UTF-8$",
        ):
            load_interactions(tmp_path / "latin.csv", sep=sep)
    pd.DataFrame({"user": [1], "item": [2]}).to_parquet(tmp_path / "log.parquet")
    with pytest.raises(
        ValueError, match=r"^log.parquet is a Parquet file, not text: read it without a separator"
    ):
        load_interactions(tmp_path / "log.parquet", sep=",")
    (tmp_path / "log.csv").write_bytes((tmp_path / "log.parquet").read_bytes())
    with pytest.raises(
        ValueError, match=r"^log.csv is a Parquet file, not text: name it .parquet \(e.g. log.parquet\)$"
    ):
        load_interactions(tmp_path / "log.csv")


def test_a_file_without_a_header_line_is_named(tmp_path: Path) -> None:
    # MovieLens' u.data: no header, so pandas takes the first row as one (and renames a repeated value, 1.1)
    (tmp_path / "u.data").write_text("1\t1\t4\t1700000000\n1\t55\t3\t1700000001\n")
    with pytest.raises(
        ValueError,
        match=r"^column '0' missing from u.data; found: .*; its first line holds only numbers, so the file seems "
        r"to have no header line: add one naming the columns",
    ):
        load_interactions(tmp_path / "u.data", user_col="0", item_col="1", sep="tab")
    # text IDs, then a rating and a time: the numbers among the names say it (the hint had been about 'item 26')
    (tmp_path / "log.csv").write_text("u000,item 26,2,1700529202\nu000,item 3,4,1700529203\n")
    with pytest.raises(
        ValueError,
        match=r"its first line holds numbers \(\['2', '1700529202'\]\), as a data row does: if the file has no "
        r"header line, add one",
    ):
        load_interactions(tmp_path / "log.csv")
    # nor are its values offered as column names (it had said "did you mean 'u000' for 'user'")
    (tmp_path / "log.csv").write_text("user 0,item_24,3,1000\nuser 0,item_26,2,1001\n")
    with pytest.raises(ValueError) as refused:
        load_interactions(tmp_path / "log.csv")
    assert "did you mean" not in str(refused.value) and "if the file has no header line" in str(refused.value)
    # a header of names is not taken for data; nor are a Parquet file's column names, whatever they are
    (tmp_path / "log.csv").write_text("user,item\n1,2\n")
    with pytest.raises(
        ValueError, match=r"column 'u' missing from log.csv; found: \['user', 'item'\]"
    ) as err:
        load_interactions(tmp_path / "log.csv", user_col="u")
    assert "header" not in str(err.value)
    pd.DataFrame({"1": [1], "2": [2]}).to_parquet(tmp_path / "log.parquet")
    with pytest.raises(ValueError, match="columns 'user', 'item' missing from log.parquet") as err:
        load_interactions(tmp_path / "log.parquet")
    assert "header" not in str(err.value)


@pytest.mark.parametrize("value", ["1e20", "-1e20", "18446744073709551615", "100000000000000000000"])
def test_a_time_too_large_for_int64_is_refused_not_wrapped(tmp_path: Path, value: str) -> None:
    (tmp_path / "log.csv").write_text(f"user,item,t\n1,1,5\n1,2,{value}\n")
    with pytest.raises(
        ValueError, match=rf"^column 't' of log.csv holds '{value}' \(data row 2\), too large for a time"
    ):
        load_interactions(tmp_path / "log.csv", time_col="t")
    # int64's own extremes are kept exactly
    (tmp_path / "ok.csv").write_text("user,item,t\n1,1,9223372036854775807\n1,2,-9223372036854775808\n")
    assert load_interactions(tmp_path / "ok.csv", time_col="t")["timestamp"].tolist() == [2**63 - 1, -(2**63)]
    pd.DataFrame({"user": [1], "item": [2], "t": [1e20]}).to_parquet(tmp_path / "log.parquet")
    with pytest.raises(ValueError, match=r"column 't' of log.parquet holds 1e\+20 \(data row 1\)"):
        load_interactions(tmp_path / "log.parquet", time_col="t")


def test_loaded_file_goes_through_preprocess(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("user,item\nb,x\na,y\nb,y\n")
    data = preprocess(load_interactions(path))
    assert data.user_map.ids.tolist() == ["a", "b"] and data.frame["user"].tolist() == [0, 1, 1]


# --- dataset_info ------------------------------------------------------------------------------------------


def test_dataset_info_counts(tmp_path: Path) -> None:
    frame = pd.DataFrame({"user": [1, 1, 2], "item": [5, 6, 5]})
    assert dataset_info(frame) == {
        "users": 2,
        "items": 2,
        "interactions": 3,
        "density": 0.75,
        "duplicate_rows": 0,
    }
    # a pair repeated counts once, as training keeps it: the density never exceeds 1; rows that differ only
    # in their time or rating repeat the pair all the same
    repeated = pd.DataFrame(
        {"user": [1, 1, 1, 2, 2], "item": [10, 10, 10, 10, 11], "timestamp": [1, 2, 3, 4, 5], "rating": 4.0}
    )
    assert dataset_info(repeated) | {"density": 0} == {
        "users": 2,
        "items": 2,
        "interactions": 3,
        "density": 0,
        "duplicate_rows": 2,
    }
    full = pd.DataFrame({"user": [1, 1, 2, 3], "item": [5, 6, 5, 7], "rating": 1.0, "timestamp": 0})
    assert dataset_info(preprocess(full, min_user=2)) == {
        "users": 1,
        "items": 2,
        "interactions": 2,
        "density": 1.0,
        "duplicate_rows": 0,
    }
    assert dataset_info(frame.iloc[:0])["density"] == 0.0
    with pytest.raises(ValueError, match="column 'item' missing from the data"):
        dataset_info(frame[["user"]])


@needs_recbole
def test_dataset_info_ml100k(tmp_path: Path) -> None:
    info = dataset_info(load_movielens("ml-100k", tmp_path, progress=False).ratings)
    assert info["users"] == 943 and info["items"] == 1682 and info["interactions"] == 100_000
    assert f"{info['density']:.2%}" == "6.30%"


def test_an_empty_file_is_named(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(ValueError, match="empty.csv is empty: not even a header line"):
        load_interactions(tmp_path / "empty.csv")
    (tmp_path / "header.csv").write_text("user,item\n")
    with pytest.raises(ValueError, match=r"header.csv has no rows, only the columns \['user', 'item'\]"):
        load_interactions(tmp_path / "header.csv")
    pd.DataFrame({"user": [], "item": []}).to_parquet(tmp_path / "none.parquet")
    with pytest.raises(ValueError, match=r"none.parquet has no rows, only the columns \['user', 'item'\]"):
        load_interactions(tmp_path / "none.parquet")


def test_tie_stats_measures_the_item_order_of_ties():
    # user 1: items 5 and 3 in second 10 (ordered 3, 5), then item 1 in second 20; users 2 and 3: one item each
    log = pd.DataFrame({"user": [1, 1, 1, 2, 3], "item": [5, 3, 1, 9, 3], "timestamp": [10, 10, 20, 30, 40]})
    stats = tie_stats(log)
    assert stats["rows_in_ties"] == 0.4  # user 1's items 3 and 5
    assert stats["tied_pairs"] == 0.5  # of user 1's pairs (3, 5) and (5, 1)
    assert stats["rising_pairs"] == 0.5 and stats["rising_untied_pairs"] == 0.0
    assert stats["top_of_tie_count"] == 1.0 and stats["rest_of_tie_count"] == 2.0  # item 5 once, item 3 twice
    assert -1.0 <= stats["id_count_spearman"] <= 1.0


def test_ids_typed_as_text_are_read_as_the_file_was(tmp_path: Path) -> None:
    """A file's "3.0" and 3 are one integer ID, "03" none: typed IDs follow the same rule, and an error names
    only the unknown ones."""
    (tmp_path / "log.csv").write_text("user,item\n3.0,54\n4.0,7\n3.0,7\n")
    data = preprocess(load_interactions(tmp_path / "log.csv"))
    assert data.user_map.ids.dtype == np.int64 and data.item_map.ids.tolist() == [7, 54]
    assert data.user_map.to_index(["3.0", " 4 ", "3", 4.0, np.int64(3)]).tolist() == [0, 1, 0, 1, 0]
    assert data.item_map.to_index(np.array(["54", "7.00"])).tolist() == [1, 0]
    with pytest.raises(
        KeyError, match=r"unknown item IDs \['054', '7.5', 'x', 8\] \(the map holds 2 item IDs"
    ):
        data.item_map.to_index(["54", "054", "7.5", "x", 8], kind="item IDs")
    with pytest.raises(KeyError, match=r"unknown IDs \[1, 2, 5, 6, 7\] and 2 more"):
        data.user_map.to_index(list(range(1, 10)))
    with pytest.raises(KeyError, match=r"unknown IDs \['99999999999999999999'\]"):  # past int64: no wrap
        data.user_map.to_index(["99999999999999999999"])


def test_unreadable_files_are_named_with_what_is_wrong(tmp_path: Path) -> None:
    # pandas' and pyarrow's own messages named no file ("Error tokenizing data. C error: ...", "Parquet magic
    # bytes not found in footer"), and a device or a pipe was reported as missing
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("user,item\n1,2\n3,4,5\n")
    with pytest.raises(
        ValueError, match=r"^cannot read ragged.csv: line 3 has 3 fields, the header 2: quote"
    ):
        load_interactions(ragged)
    text = tmp_path / "shop.parquet"
    text.write_text("user,item\n1,2\n")
    with pytest.raises(
        ValueError, match=r"^shop.parquet is not a Parquet file \(it does not start with PAR1\)"
    ):
        load_interactions(text)
    with pytest.raises(ValueError, match="^/dev/null is not a regular file"):
        read_header("/dev/null")
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "pipe.csv")
        with pytest.raises(ValueError, match="pipe.csv is not a regular file"):
            load_interactions(tmp_path / "pipe.csv")


def test_a_movielens_title_needs_no_loading() -> None:
    # chapters 7 and 9 name their data set in the text: loading ml-20m again for its name would take minutes
    from sslrec_utils.data.movielens import movielens_title

    assert [movielens_title(n) for n in movielens.DATASETS] == [
        "MovieLens-100K",
        "MovieLens-1M",
        "MovieLens-20M",
    ]
    with pytest.raises(
        ValueError, match="'synthetic:10x10x50' is no MovieLens data set; valid: ml-100k, ml-1m"
    ):
        movielens_title("synthetic:10x10x50")
