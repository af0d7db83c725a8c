"""The GroupLens download path, end to end, against an HTTP server on 127.0.0.1 started by the tests.

The zips are synthetic but have the exact GroupLens layouts; no test touches the internet.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import http.server
import json
import os
import re
import socket
import stat
import threading
import warnings
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sslrec_utils.data import (
    DATASETS,
    CacheWriteError,
    ChecksumError,
    DataUnavailableError,
    UnsafeArchiveError,
    download,
    load_movielens,
    movielens,
    safe_extract,
)

GENRES = [
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama",
    "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
]  # fmt: skip
NO_RECBOLE = ("cache", "download")


def _flags(*names: str) -> str:
    return "|".join("1" if g in names else "0" for g in GENRES)


ML100K = {
    "ml-100k/u.data": "1\t10\t5\t881250949\n1\t20\t3\t881250950\n2\t10\t4\t891717742\n",
    "ml-100k/u.item": "".join(
        [
            "10|Café Society (1995)|01-Jan-1995||http://x|" + _flags("Comedy", "Drama") + "\n",
            "20|Land Before Time III (1995) (V)|01-Jan-1995||http://y|"
            + _flags("Animation", "Children's")
            + "\n",
            "30|unknown|||http://z|" + _flags("unknown") + "\n",
        ]
    ),
    "ml-100k/u.genre": "".join(f"{g}|{i}\n" for i, g in enumerate(GENRES)) + "\n",
    "ml-100k/u.user": "1|24|M|technician|85711\n2|53|F|other|00601\n",
    "ml-100k/README": "synthetic\n",
}


def write_zip(path: Path, members: dict[str, str], encoding: str = "latin-1") -> str:
    """Write `members` (name -> text) to a zip at `path` and return its MD5."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text.encode(encoding))
    return hashlib.md5(path.read_bytes()).hexdigest()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # keep pytest's output clean
        pass


@contextlib.contextmanager
def serving(handler: Callable[..., http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    """An HTTP server on 127.0.0.1 answering with `handler` while the block runs: yields its base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An HTTP server on 127.0.0.1 serving the folder ``tmp_path / "www"``: yields (base URL, folder)."""
    root = tmp_path / "www"
    root.mkdir()
    with serving(functools.partial(_QuietHandler, directory=str(root))) as base:
        yield base, root


def test_download_parses_caches_and_records_checksums(served: tuple[str, Path], tmp_path: Path) -> None:
    base, root = served
    md5 = write_zip(root / "ml-100k.zip", ML100K)
    data_dir = tmp_path / "data"
    url = f"{base}/ml-100k.zip"
    data = load_movielens("ml-100k", data_dir, url=url, md5=md5, progress=False, sources=NO_RECBOLE)

    assert data.source == "download" and data.name == "ml-100k" and data.path == data_dir / "ml-100k"
    expected = pd.DataFrame(
        {
            "user": np.array([1, 1, 2], np.int64),
            "item": np.array([10, 20, 10], np.int64),
            "rating": np.array([5, 3, 4], np.float32),
            "timestamp": np.array([881250949, 881250950, 891717742], np.int64),
        }
    )
    pd.testing.assert_frame_equal(data.ratings, expected)
    assert data.items["item"].tolist() == [10, 20, 30]
    assert data.items["title"].tolist() == ["Café Society", "Land Before Time III (1995) (V)", "unknown"]
    assert data.items["year"].tolist()[:2] == [1995, 1995] and pd.isna(data.items["year"].iloc[2])
    assert str(data.items["year"].dtype) == "Int64"
    assert data.items["genres"].tolist() == ["Comedy|Drama", "Animation|Children's", "unknown"]
    assert data.users.to_dict("list") == {
        "user": [1, 2],
        "age": [24, 53],
        "gender": ["M", "F"],
        "occupation": ["technician", "other"],
        "zip": ["85711", "00601"],
    }

    meta = json.loads((data_dir / "ml-100k" / "source.json").read_text())
    assert meta["source"] == "download" and meta["url"] == url and meta["md5"] == md5
    assert meta["sha256"] == hashlib.sha256((root / "ml-100k.zip").read_bytes()).hexdigest()
    assert meta["created"].endswith("+00:00")
    assert sorted(p.name for p in data_dir.iterdir()) == ["ml-100k"]  # no temporary folders left

    (root / "ml-100k.zip").unlink()  # the second load must not need the server
    again = load_movielens("ml-100k", data_dir, url=url, md5=md5, progress=False, sources=NO_RECBOLE)
    assert again.source == "cache"
    pd.testing.assert_frame_equal(again.ratings, data.ratings)
    pd.testing.assert_frame_equal(again.items, data.items)
    pd.testing.assert_frame_equal(again.users, data.users)


def test_wrong_md5_raises_and_leaves_no_cache(served: tuple[str, Path], tmp_path: Path) -> None:
    base, root = served
    write_zip(root / "ml-100k.zip", ML100K)
    data_dir = tmp_path / "data"
    with pytest.raises(DataUnavailableError, match="MD5 mismatch") as info:
        load_movielens(
            "ml-100k", data_dir, url=f"{base}/ml-100k.zip", md5="0" * 32, progress=False, sources=NO_RECBOLE
        )
    assert "0" * 32 in str(info.value)
    assert "a copy with another checksum needs its MD5" in str(info.value)  # the advice for this failure
    assert not (data_dir / "ml-100k").exists()
    assert not data_dir.exists() or list(data_dir.iterdir()) == []


def test_an_md5_given_is_checked_against_the_cache(served: tuple[str, Path], tmp_path: Path) -> None:
    base, root = served
    md5 = write_zip(root / "ml-100k.zip", ML100K)
    data_dir = tmp_path / "data"
    load_movielens("ml-100k", data_dir, url=f"{base}/ml-100k.zip", md5=md5, progress=False)
    meta_path = data_dir / "ml-100k" / "source.json"
    meta = meta_path.read_text()
    (root / "ml-100k.zip").unlink()  # the cache answers, or nothing does
    # was returned as it was, whatever the MD5 given
    with pytest.raises(
        ChecksumError, match=f"^the cache .*filled from a zip whose MD5 is {md5} .*{'0' * 32} given"
    ):
        load_movielens("ml-100k", data_dir, md5="0" * 32, progress=False)
    assert meta_path.read_text() == meta  # kept as it is
    assert load_movielens("ml-100k", data_dir, md5=md5.upper(), progress=False).source == "cache"

    meta_path.write_text(json.dumps({"source": "recbole"}))  # a cache filled from RecBole's copy
    with pytest.raises(
        ChecksumError, match=f"filled from recbole, with no MD5 recorded \\(see {meta_path}\\)"
    ):
        load_movielens("ml-100k", data_dir, md5=md5, progress=False)


def test_a_cache_from_the_same_url_is_not_taken_for_another_md5(
    served: tuple[str, Path], tmp_path: Path
) -> None:
    base, root = served
    md5 = write_zip(root / "ml-100k.zip", ML100K)
    data_dir, url = tmp_path / "data", f"{base}/ml-100k.zip"
    load_movielens("ml-100k", data_dir, url=url, md5=md5, progress=False)
    assert load_movielens("ml-100k", data_dir, url=url, md5=md5, progress=False).source == "cache"
    with pytest.raises(DataUnavailableError, match=f"not from {url}.*MD5 mismatch"):  # fetched again, refused
        load_movielens("ml-100k", data_dir, url=url, md5="0" * 32, progress=False)


def test_each_data_set_checks_the_md5_grouplens_publishes() -> None:
    # from the .md5 file beside each zip on files.grouplens.org
    assert {name: spec.md5 for name, spec in DATASETS.items()} == {
        "ml-100k": "0e33842e24a9c977be4e0107933c0723",
        "ml-1m": "c4d9eecfca2ab87c1945afe126590906",
        "ml-20m": "cd245b17a1ae2cc31bb14903e1204af3",
    }


def test_published_md5_is_the_default(served: tuple[str, Path], tmp_path: Path) -> None:
    base, root = served
    write_zip(root / "ml-100k.zip", ML100K)  # not the real file, so the GroupLens checksum must reject it
    with pytest.raises(DataUnavailableError, match="expected 0e33842e24a9c977be4e0107933c0723"):
        load_movielens(
            "ml-100k", tmp_path / "d", url=f"{base}/ml-100k.zip", progress=False, sources=NO_RECBOLE
        )


@pytest.mark.parametrize(
    "member", ["ml-100k/../evil", "../evil", "/etc/evil", "C:/evil", "ml-100k\\..\\evil"]
)
def test_unsafe_member_is_refused(served: tuple[str, Path], tmp_path: Path, member: str) -> None:
    base, root = served
    md5 = write_zip(root / "ml-100k.zip", {**ML100K, member: "pwned"})
    data_dir = tmp_path / "data"
    with pytest.raises(DataUnavailableError, match="refusing to extract"):
        load_movielens(
            "ml-100k", data_dir, url=f"{base}/ml-100k.zip", md5=md5, progress=False, sources=NO_RECBOLE
        )
    assert not (data_dir / "ml-100k").exists()
    assert not (tmp_path / "evil").exists() and not (data_dir / "evil").exists()


def test_safe_extract_refuses_before_writing_anything(tmp_path: Path) -> None:
    archive = tmp_path / "a.zip"
    write_zip(archive, {"ok/first.txt": "fine", "ok/../../evil": "pwned"})
    with pytest.raises(UnsafeArchiveError, match=r"'\.\.' in the path"):
        safe_extract(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_safe_extract_refuses_symlinks(tmp_path: Path) -> None:
    archive = tmp_path / "link.zip"
    with zipfile.ZipFile(archive, "w") as z:
        link = zipfile.ZipInfo("ml-100k/u.data")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        z.writestr(link, "/etc/passwd")
    with pytest.raises(UnsafeArchiveError, match="symbolic link"):
        safe_extract(archive, tmp_path / "out")


def test_safe_extract_refuses_a_member_that_leaves_through_a_link_in_the_destination(tmp_path: Path) -> None:
    outside, dest = tmp_path / "outside", tmp_path / "dest"
    outside.mkdir()
    dest.mkdir()
    (dest / "link").symlink_to(outside, target_is_directory=True)
    write_zip(tmp_path / "a.zip", {"link/evil": "pwned"})
    with pytest.raises(UnsafeArchiveError, match="it leaves"):
        safe_extract(tmp_path / "a.zip", dest)
    assert list(outside.iterdir()) == []


def test_safe_extract_extracts_a_good_archive(tmp_path: Path) -> None:
    archive = tmp_path / "good.zip"
    write_zip(archive, {"d/a.txt": "A", "d/sub/b.txt": "B"})
    files = safe_extract(archive, tmp_path / "out")
    assert sorted(p.relative_to(tmp_path / "out").as_posix() for p in files) == ["d/a.txt", "d/sub/b.txt"]
    assert (tmp_path / "out" / "d" / "sub" / "b.txt").read_text() == "B"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_url_gives_instructions(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/ml-100k.zip"
    with pytest.raises(DataUnavailableError) as info:
        load_movielens("ml-100k", tmp_path / "data", url=url, progress=False, sources=NO_RECBOLE)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("could not load ml-100k; tried: cache (no cache in ")
    # the URL was the caller's choice: the advice is about it, not about RecBole's copy (which was skipped),
    # and not about a checksum, which nothing got to check
    assert f"check that {url} can be reached and is the ml-100k zip" in message
    assert "pip install recbole" not in message and "checksum" not in message
    assert "SSLREC_DATA (or --data-dir, data_dir=)" in message and "network" in message
    assert not (tmp_path / "data" / "ml-100k").exists()


def test_http_error_is_reported(served: tuple[str, Path], tmp_path: Path) -> None:
    base, _ = served
    with pytest.raises(DataUnavailableError, match="404"):
        load_movielens("ml-1m", tmp_path, url=f"{base}/missing.zip", progress=False, sources=NO_RECBOLE)


def test_download_function_verifies_and_never_leaves_partial_files(
    served: tuple[str, Path], tmp_path: Path
) -> None:
    base, root = served
    payload = bytes(range(256)) * 1000
    (root / "blob.bin").write_bytes(payload)
    dest = tmp_path / "out" / "blob.bin"
    sha = download(f"{base}/blob.bin", dest, md5=hashlib.md5(payload).hexdigest(), progress=False)
    assert sha == hashlib.sha256(payload).hexdigest() and dest.read_bytes() == payload

    other = tmp_path / "out" / "other.bin"
    with pytest.raises(ChecksumError, match="MD5 mismatch"):
        download(f"{base}/blob.bin", other, md5="f" * 32, progress=False)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["blob.bin"]


def test_download_shows_progress(
    served: tuple[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    base, root = served
    (root / "blob.bin").write_bytes(b"x" * 5000)
    download(f"{base}/blob.bin", tmp_path / "blob.bin", progress=True)
    err = capsys.readouterr().err
    assert "blob.bin" in err and "100%" in err


def test_local_zip_path_works_as_url(tmp_path: Path) -> None:
    md5 = write_zip(tmp_path / "ml-100k.zip", ML100K)
    data = load_movielens(
        "ml-100k", tmp_path / "d", url=str(tmp_path / "ml-100k.zip"), md5=md5, progress=False
    )
    assert data.source in ("recbole", "download")  # RecBole's copy wins when it is installed
    only = load_movielens(
        "ml-100k",
        tmp_path / "e",
        url=str(tmp_path / "ml-100k.zip"),
        md5=md5,
        progress=False,
        sources=NO_RECBOLE,
    )
    assert only.source == "download" and len(only.ratings) == 3


def test_a_url_that_cannot_be_read_is_named(tmp_path: Path, capsys) -> None:
    from sslrec_utils.cli import main

    # urllib's own message, "Invalid IPv6 URL", had said neither which value nor that it was the URL
    argv = ["data", "download", "ml-1m", "--url", "http://[::1", "--data-dir", str(tmp_path), "-q"]
    assert main(argv) == 2
    assert capsys.readouterr().err == "sslrec: error: cannot read 'http://[::1' as a URL: Invalid IPv6 URL\n"


def test_ml1m_layout(tmp_path: Path) -> None:
    members = {
        "ml-1m/ratings.dat": "1::1193::5::978300760\n2::661::3::978302109\n",
        "ml-1m/movies.dat": "1193::One Flew Over the Cuckoo's Nest (1975)::Drama\n661::Amélie (2001)::Comedy|Romance\n",
        "ml-1m/users.dat": "1::F::1::10::48067\n2::M::56::16::70072\n",
    }
    md5 = write_zip(tmp_path / "ml-1m.zip", members)
    data = load_movielens("ml-1m", tmp_path / "d", url=str(tmp_path / "ml-1m.zip"), md5=md5, progress=False)
    assert data.source == "download" and data.title == "MovieLens-1M"  # as the chapters' summaries name it
    assert data.ratings.to_dict("list") == {
        "user": [1, 2],
        "item": [1193, 661],
        "rating": [5.0, 3.0],
        "timestamp": [978300760, 978302109],
    }
    assert data.items["title"].tolist() == ["One Flew Over the Cuckoo's Nest", "Amélie"]
    assert data.items["year"].tolist() == [1975, 2001]
    assert data.items["genres"].tolist() == ["Drama", "Comedy|Romance"]
    assert data.users["occupation"].tolist() == ["K-12 student", "self-employed"]
    assert data.users["age"].tolist() == [1, 56] and data.users["zip"].tolist() == ["48067", "70072"]


def test_ml20m_layout_has_no_users(tmp_path: Path) -> None:
    members = {
        "ml-20m/ratings.csv": "userId,movieId,rating,timestamp\n1,2,3.5,1112486027\n1,29,4.0,1112484676\n",
        "ml-20m/movies.csv": 'movieId,title,genres\n2,Jumanji (1995),Adventure|Children\n29,"City, The (1995) ",'
        "(no genres listed)\n",
    }
    md5 = write_zip(tmp_path / "ml-20m.zip", members, encoding="utf-8")
    data = load_movielens("ml-20m", tmp_path / "d", url=str(tmp_path / "ml-20m.zip"), md5=md5, progress=False)
    assert data.users is None and data.source == "download" and data.title == "MovieLens-20M"
    assert data.ratings[["user", "item"]].values.tolist() == [[1, 2], [1, 29]]  # userId, movieId
    assert data.ratings["rating"].tolist() == [3.5, 4.0] and data.ratings["rating"].dtype == np.float32
    assert data.items["title"].tolist() == ["Jumanji", "City, The"]
    assert not (tmp_path / "d" / "ml-20m" / "users.parquet").exists()
    again = load_movielens("ml-20m", tmp_path / "d", progress=False)
    assert again.source == "cache" and again.users is None
    pd.testing.assert_frame_equal(again.items, data.items)


def test_zip_without_the_expected_files_is_reported(tmp_path: Path) -> None:
    md5 = write_zip(tmp_path / "ml-1m.zip", {"other/readme.txt": "nothing here"})
    with pytest.raises(DataUnavailableError, match="holds no ratings.dat"):
        load_movielens("ml-1m", tmp_path / "d", url=str(tmp_path / "ml-1m.zip"), md5=md5, progress=False)


ML1M = {
    "ml-1m/ratings.dat": "1::1193::5::978300760\n2::661::3::978302109\n",
    "ml-1m/movies.dat": "1193::One Flew Over the Cuckoo's Nest (1975)::Drama\n661::Amélie (2001)::Comedy\n",
    "ml-1m/users.dat": "1::F::1::10::48067\n2::M::56::16::70072\n",
}


def test_a_folder_of_the_users_where_the_cache_goes_is_never_replaced(tmp_path: Path) -> None:
    # an unzipped GroupLens folder (or any folder) named like the cache had been deleted to make room for it
    folder = tmp_path / "d" / "ml-1m"
    folder.mkdir(parents=True)
    (folder / "notes.txt").write_text("my notes")
    md5 = write_zip(tmp_path / "ml-1m.zip", ML1M)
    load = functools.partial(
        load_movielens, "ml-1m", url=str(tmp_path / "ml-1m.zip"), md5=md5, progress=False
    )
    with pytest.warns(UserWarning, match=r"is not a cache of sslrec \(no source.json\) and is left as it is"):
        data = load(tmp_path / "d")
    assert len(data.ratings) == 2 and [p.name for p in folder.iterdir()] == ["notes.txt"]
    # `sslrec data download`, whose point is the cache, fails instead
    with pytest.raises(CacheWriteError, match="is not a cache of sslrec"):
        load(tmp_path / "d", require_cache=True)
    assert (folder / "notes.txt").read_text() == "my notes"
    # a cache of ours whose source.json is damaged (here a JSON list) is replaced, as before
    load(tmp_path / "e")
    (tmp_path / "e" / "ml-1m" / "source.json").write_text("[]")
    assert load(tmp_path / "e").source == "download"
    assert json.loads((tmp_path / "e" / "ml-1m" / "source.json").read_text())["source"] == "download"


def test_a_broken_cache_that_cannot_be_replaced_is_said_to_be_unreadable(tmp_path: Path, monkeypatch) -> None:
    # in a read-only folder, the warning had said only that the cache could not be written, and every later load
    # read the source again without saying why
    md5 = write_zip(tmp_path / "ml-1m.zip", ML1M)
    load = functools.partial(
        load_movielens, "ml-1m", tmp_path / "d", url=str(tmp_path / "ml-1m.zip"), md5=md5
    )
    load(progress=False)
    (tmp_path / "d" / "ml-1m" / "ratings.parquet").write_bytes(b"PAR1 cut short")

    def read_only(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(movielens, "write_cache", read_only)
    with pytest.warns(
        UserWarning, match=r"the cache .*ml-1m could not be read \(.*\) nor replaced \(.*Permission"
    ):
        assert load(progress=False).source == "download"


def test_sslrec_data_download_fails_when_it_cannot_write_the_cache(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    from sslrec_utils.cli import main

    def read_only(*args, **kwargs):  # a folder this user may not write in (tests may run as root)
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(movielens, "write_cache", read_only)
    md5 = write_zip(tmp_path / "ml-1m.zip", ML1M)
    argv = ["data", "download", "ml-1m", "--data-dir", str(tmp_path / "d"), "-q"]
    assert main([*argv, "--url", str(tmp_path / "ml-1m.zip"), "--md5", md5]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(
        f"sslrec: error: could not write the cache {tmp_path / 'd' / 'ml-1m'} ([Errno 13] Permission denied)"
    )


def test_a_bad_zip_is_one_line_naming_its_file(tmp_path: Path) -> None:
    bad_row = {**ML1M, "ml-1m/ratings.dat": "1::1193::5::978300760\n2::661::3::978302109::7\n"}
    md5 = write_zip(tmp_path / "rows.zip", bad_row)
    with pytest.raises(DataUnavailableError) as caught:
        load_movielens("ml-1m", tmp_path / "d", url=str(tmp_path / "rows.zip"), md5=md5, progress=False)
    assert "\n" not in str(caught.value) and "download (ratings.dat: Error tokenizing data" in str(
        caught.value
    )
    # a value that is no number is named with its file and row (pandas' cast had named neither)
    bad_value = {**ML100K, "ml-100k/u.data": "1\t10\t5\t881250949\n1\t20\tthree\t881250950\n"}
    md5 = write_zip(tmp_path / "value.zip", bad_value)
    with pytest.raises(
        DataUnavailableError, match=r"download \(u.data: the rating 'three' of data row 2 is not"
    ):
        load_movielens("ml-100k", tmp_path / "v", url=str(tmp_path / "value.zip"), md5=md5, progress=False)
    # an occupation code outside 0-20 (or -1, which numpy would read from the end) is refused
    for code in ("21", "-1"):
        users = {**ML1M, "ml-1m/users.dat": f"1::F::1::{code}::48067\n"}
        md5 = write_zip(tmp_path / "users.zip", users)
        with pytest.raises(DataUnavailableError, match=f"users.dat: occupation '{code}' is not a code 0-20"):
            load_movielens(
                "ml-1m", tmp_path / f"u{code}", url=str(tmp_path / "users.zip"), md5=md5, progress=False
            )


def test_an_archive_zipfile_cannot_read_is_a_source_error(tmp_path: Path, monkeypatch) -> None:
    from sslrec_utils.data import movielens

    def unsupported(archive: Path, dest: Path) -> list[Path]:  # as an AES-encrypted member raises
        raise NotImplementedError("That compression method is not supported")

    monkeypatch.setattr(movielens, "safe_extract", unsupported)
    md5 = write_zip(tmp_path / "ml-1m.zip", ML1M)
    with pytest.raises(DataUnavailableError, match="That compression method is not supported"):
        load_movielens("ml-1m", tmp_path / "d", url=str(tmp_path / "ml-1m.zip"), md5=md5, progress=False)


def test_an_unknown_home_folder_is_a_one_line_error(tmp_path: Path, capsys) -> None:
    from sslrec_utils.cli import main

    with pytest.raises(ValueError, match=r"cannot expand '~no_such_user_zz/d'"):
        load_movielens("ml-1m", "~no_such_user_zz/d", progress=False)
    assert main(["data", "info", "~no_such_user_zz/x.csv"]) == 2
    assert capsys.readouterr().err.startswith("sslrec: error: cannot expand '~no_such_user_zz/x.csv'")


def test_a_download_gets_the_usual_permissions_and_warns_when_nothing_checked_it(
    served: tuple[str, Path], tmp_path: Path
) -> None:
    base, root = served
    (root / "blob.bin").write_bytes(b"x" * 100)
    umask = os.umask(0o022)
    try:
        download(
            f"{base}/blob.bin", tmp_path / "blob.bin", md5=hashlib.md5(b"x" * 100).hexdigest(), progress=False
        )
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "blob.bin").stat().st_mode) == 0o644  # mkstemp had made it 0600


class _NoLength(_QuietHandler):
    def do_GET(self) -> None:  # a body ended by closing the connection: its length is never known
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"x" * 100)


def test_a_download_nothing_could_check_says_so(tmp_path: Path) -> None:
    with serving(_NoLength) as base:
        with pytest.warns(
            UserWarning, match="sent no Content-Length and no MD5 was given: .* may be incomplete"
        ):
            download(f"{base}/blob.bin", tmp_path / "blob.bin", progress=False)
    assert (tmp_path / "blob.bin").read_bytes() == b"x" * 100


def test_a_download_with_a_length_or_an_md5_says_nothing(served: tuple[str, Path], tmp_path: Path) -> None:
    base, root = served
    (root / "blob.bin").write_bytes(b"y" * 1000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        download(f"{base}/blob.bin", tmp_path / "sized.bin", progress=False)  # a Content-Length, no MD5
        with serving(_NoLength) as unsized:  # no length, an MD5
            download(
                f"{unsized}/b",
                tmp_path / "summed.bin",
                md5=hashlib.md5(b"x" * 100).hexdigest(),
                progress=False,
            )
    assert (tmp_path / "sized.bin").read_bytes() == b"y" * 1000


class _CutShort(_QuietHandler):
    def do_GET(self) -> None:
        """Announce 200 bytes, send 100 and close: urllib returns the 100 without an error."""
        self.send_response(200)
        self.send_header("Content-Length", "200")
        self.end_headers()
        self.wfile.write(b"x" * 100)
        self.close_connection = True


def test_a_download_cut_short_is_refused_and_leaves_nothing(tmp_path: Path) -> None:
    with (
        serving(_CutShort) as base,
        pytest.raises(OSError, match="incomplete download .* got 100 of 200 bytes"),
    ):
        download(f"{base}/blob.bin", tmp_path / "blob.bin", progress=False)
    assert list(tmp_path.iterdir()) == []


def test_an_md5_without_a_url_says_that_recboles_copy_was_skipped(tmp_path: Path) -> None:
    # the error had advised installing RecBole, installed or not, whose copy the MD5 had made it skip
    with pytest.raises(DataUnavailableError) as err:
        load_movielens(
            "ml-100k", tmp_path / "data", md5="0" * 32, progress=False, sources=("cache", "recbole")
        )
    assert "recbole (skipped: it ships no zip whose MD5 could be checked)" in str(err.value)
    assert "pip install recbole" not in str(err.value)
    for bad in ("abc", "0" * 31 + "g"):
        with pytest.raises(ValueError, match=f"^an MD5 is 32 hexadecimal digits, got '{bad}'$"):
            load_movielens("ml-100k", tmp_path / "data", md5=bad, progress=False)
    assert not (tmp_path / "data").exists()


def test_a_damaged_or_incomplete_zip_is_named_in_one_line(tmp_path: Path) -> None:
    """Damaged compressed data had escaped as zlib.error with a traceback; a zip without u.user had named the
    temporary folder it was unpacked in, gone by then."""
    archive = tmp_path / "ml-100k.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, text in ML100K.items():
            z.writestr(name, text.encode("latin-1"))
    data = bytearray(archive.read_bytes())
    start = data.index(b"ml-100k/u.data") + len("ml-100k/u.data")  # the first member's data follows its name
    data[start + 4 : start + 40] = bytes(36)  # its deflate stream, zeroed: the CRC is never reached
    archive.write_bytes(bytes(data))
    md5 = hashlib.md5(bytes(data)).hexdigest()
    with pytest.raises(DataUnavailableError, match=rf"{re.escape(str(archive))}: (Error -3|invalid)") as info:
        load_movielens(
            "ml-100k", tmp_path / "d1", url=str(archive), md5=md5, progress=False, sources=NO_RECBOLE
        )
    assert "\n" not in str(info.value)
    md5 = write_zip(archive, {k: v for k, v in ML100K.items() if not k.endswith("u.user")})
    with pytest.raises(DataUnavailableError, match=r"ml-100k\.zip lacks u\.user, a file of the ml-100k zip"):
        load_movielens(
            "ml-100k", tmp_path / "d2", url=str(archive), md5=md5, progress=False, sources=NO_RECBOLE
        )


@pytest.mark.skipif(
    threading.current_thread() is not threading.main_thread(), reason="signals reach the main thread only"
)
def test_sigterm_during_a_download_stops_it_as_ctrl_c_does(tmp_path: Path, monkeypatch, capsys) -> None:
    """A SIGTERM (kill, timeout) had ended the process without a word, its partial download left in the
    system's temporary folder (up to about 190 MB for ml-20m)."""
    import signal
    import tempfile
    import time

    import sslrec_utils.data.movielens as movielens
    from sslrec_utils.cli import main

    archive = tmp_path / "ml-100k.zip"
    md5 = write_zip(archive, ML100K)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()

    def terminated(url, dest, **kwargs):
        Path(dest).write_bytes(b"half a zip")
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(10)  # the notice interrupts this

    monkeypatch.setattr(movielens, "download", terminated)
    argv = [
        "data",
        "download",
        "ml-100k",
        "--data-dir",
        str(tmp_path / "d"),
        "--url",
        str(archive),
        "--md5",
        md5,
    ]
    assert main([*argv, "-q"]) == 130
    assert capsys.readouterr().err.strip().endswith("sslrec: interrupted")
    assert list((tmp_path / "tmp").iterdir()) == []  # the partial download is gone
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # put back
