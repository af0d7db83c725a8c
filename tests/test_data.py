"""Loading MovieLens from RecBole's copy and from the cache, and reading a user's own interaction files."""

from __future__ import annotations

import gzip
import json
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
)
from sslrec_utils.data.grouplens import Frames

needs_recbole = pytest.mark.skipif(
    movielens.recbole_ml100k_dir() is None, reason="needs recbole==1.2.1 installed as the data carrier"
)
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
    assert "https://files.grouplens.org/datasets/movielens/ml-100k.zip" in message
    with pytest.raises(DataUnavailableError, match="RecBole ships only ml-100k") as info:
        load_movielens("ml-1m", tmp_path, sources=("recbole",))
    assert "pip install recbole" not in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_unknown_name_and_source() -> None:
    with pytest.raises(ValueError, match="unknown data set 'ml-10k'; valid: ml-100k, ml-1m, ml-20m"):
        load_movielens("ml-10k")
    with pytest.raises(ValueError, match=r"unknown source\(s\) \['web'\]"):
        load_movielens("ml-100k", sources=("web",))


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
        ("user,item\n1,\n", {}, "1 rows of log.csv have no item ID"),
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


def test_missing_file_and_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=str(tmp_path / "nope.csv")):
        load_interactions(tmp_path / "nope.csv")
    (tmp_path / "log.xlsx").write_text("")
    with pytest.raises(ValueError, match="cannot tell the format of log.xlsx"):
        load_interactions(tmp_path / "log.xlsx")


def test_loaded_file_goes_through_preprocess(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("user,item\nb,x\na,y\nb,y\n")
    data = preprocess(load_interactions(path))
    assert data.user_map.ids.tolist() == ["a", "b"] and data.frame["user"].tolist() == [0, 1, 1]


# --- dataset_info ------------------------------------------------------------------------------------------


def test_dataset_info_counts(tmp_path: Path) -> None:
    frame = pd.DataFrame({"user": [1, 1, 2], "item": [5, 6, 5]})
    assert dataset_info(frame) == {"users": 2, "items": 2, "interactions": 3, "density": 0.75}
    full = pd.DataFrame({"user": [1, 1, 2, 3], "item": [5, 6, 5, 7], "rating": 1.0, "timestamp": 0})
    assert dataset_info(preprocess(full, min_user=2)) == {
        "users": 1,
        "items": 2,
        "interactions": 2,
        "density": 1.0,
    }
    assert dataset_info(frame.iloc[:0])["density"] == 0.0
    with pytest.raises(ValueError, match="column 'item' missing from the data"):
        dataset_info(frame[["user"]])


@needs_recbole
def test_dataset_info_ml100k(tmp_path: Path) -> None:
    info = dataset_info(load_movielens("ml-100k", tmp_path, progress=False).ratings)
    assert info["users"] == 943 and info["items"] == 1682 and info["interactions"] == 100_000
    assert f"{info['density']:.2%}" == "6.30%"
