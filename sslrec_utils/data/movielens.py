"""MovieLens from the fastest source that works: the local cache, RecBole's copy, or the official GroupLens zip.

MovieLens is licensed by GroupLens (Harper and Konstan 2015, doi:10.1145/2827872) and is not redistributed by
this project: `load_movielens` finds or downloads it and keeps a Parquet cache under the data folder.
"""

from __future__ import annotations

import http.client
import importlib.util
import json
import lzma
import os
import re
import secrets
import shutil
import tempfile
import warnings
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from sslrec_utils.config import did_you_mean
from sslrec_utils.data.core import COLUMNS
from sslrec_utils.data.download import ChecksumError, as_url, download, expand_user, safe_extract
from sslrec_utils.data.grouplens import Frames, parse_ml1m, parse_ml20m, parse_ml100k, parse_recbole_ml100k

SOURCES = ("cache", "recbole", "download")
GROUPLENS_URL = "https://files.grouplens.org/datasets/movielens/{name}.zip"
CACHE_FILES = ("ratings.parquet", "items.parquet", "users.parquet")
# Errors that mean "this source did not work, try the next one" (network, files, checksums, parsing).
SOURCE_ERRORS = (OSError, ValueError, KeyError, zipfile.BadZipFile, http.client.HTTPException)


@dataclass(frozen=True)
class DatasetSpec:
    """How to get one MovieLens variant from GroupLens: the published MD5 of its zip and its parser."""

    md5: str
    parse: Callable[[Path], Frames]
    first_file: str  # a file of the unpacked zip, used to find its folder


DATASETS: dict[str, DatasetSpec] = {
    "ml-100k": DatasetSpec("0e33842e24a9c977be4e0107933c0723", parse_ml100k, "u.data"),
    "ml-1m": DatasetSpec("c4d9eecfca2ab87c1945afe126590906", parse_ml1m, "ratings.dat"),
    "ml-20m": DatasetSpec("cd245b17a1ae2cc31bb14903e1204af3", parse_ml20m, "ratings.csv"),
}


class DataUnavailableError(RuntimeError):
    """No source (cache, RecBole, download) could provide the requested data set."""


class CacheWriteError(DataUnavailableError):
    """The data loaded, but its cache could not be written where asked (a read-only folder, a user's folder)."""


@dataclass(frozen=True, eq=False)
class MovieLens:
    """A MovieLens data set with original IDs.

    Attributes:
        name: ``"ml-100k"``, ``"ml-1m"`` or ``"ml-20m"``.
        ratings: ``user:int64, item:int64, rating:float32, timestamp:int64``, one row per rating.
        items: ``item:int64, title:str, year:Int64, genres:str`` (genres joined by ``|``).
        users: ``user:int64, age:int64, gender:str, occupation:str, zip:str``, or ``None`` (ml-20m).
        source: where the data came from this time: ``"cache"``, ``"recbole"`` or ``"download"``.
        path: the cache folder that holds the data now.
    """

    name: str
    ratings: pd.DataFrame
    items: pd.DataFrame
    users: pd.DataFrame | None
    source: str
    path: Path

    @property
    def title(self) -> str:
        """The data set's name in text: ``"MovieLens-100K"`` for ``"ml-100k"`` (`movielens_title`)."""
        return movielens_title(self.name)


def movielens_title(name: str) -> str:
    """A MovieLens data set's name in text, without loading it: ``"MovieLens-100K"`` for ``"ml-100k"``.

    Raises:
        ValueError: if `name` is none of the MovieLens data sets.
    """
    if name not in DATASETS:
        raise ValueError(f"{name!r} is no MovieLens data set; valid: {', '.join(DATASETS)}")
    return f"MovieLens-{name.removeprefix('ml-').upper()}"


def default_data_dir() -> Path:
    """The data folder: ``$SSLREC_DATA``, else ``<repo>/data`` in a checkout, else ``~/.cache/sslrec``."""
    if env := os.environ.get("SSLREC_DATA"):
        return expand_user(env)
    repo = Path(__file__).resolve().parents[2]
    if (repo / "pyproject.toml").is_file():
        return repo / "data"
    return Path.home() / ".cache" / "sslrec"


def data_folder(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """The data folder to use: `data_dir`, else `default_data_dir()`.

    A folder that was named (`data_dir` or ``$SSLREC_DATA``) may be missing, to be created by the first load,
    but not its parent too: a mistyped path is refused rather than created. The built-in defaults are created
    with their parents.

    Raises:
        ValueError: if `data_dir` is empty (an unset variable in ``--data-dir "$DIR"`` would have meant the
            current folder); an empty ``$SSLREC_DATA`` means the default, as if unset; or if the folder, or
            the parent of a missing one, is a file.
        FileNotFoundError: if a named folder and its parent are both missing.
    """
    if isinstance(data_dir, str) and not data_dir.strip():
        raise ValueError(
            "the data folder is empty (data_dir='', --data-dir ''): name a folder, or leave it out"
        )
    named = data_dir if data_dir is not None else (os.environ.get("SSLREC_DATA") or None)
    folder = expand_user(named) if named is not None else default_data_dir()
    for path in (folder, folder.parent):  # the folder, else the parent it would be created in
        if path.exists():
            if not path.is_dir():
                raise ValueError(
                    f"the data folder {folder} is not a folder: {path} is a file; name a folder "
                    "(data_dir=, --data-dir or SSLREC_DATA)"
                )
            break
    if named is not None and not folder.is_dir() and not folder.parent.is_dir():
        raise FileNotFoundError(
            f"the data folder {folder} is missing and so is its parent {folder.parent}; create it "
            "(mkdir -p) or fix the path (data_dir=, --data-dir or SSLREC_DATA)"
        )
    return folder


def recbole_ml100k_dir() -> Path | None:
    """RecBole's ``dataset_example/ml-100k`` folder, found without importing RecBole (``None`` if absent)."""
    spec = importlib.util.find_spec("recbole")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(spec.submodule_search_locations[0]) / "dataset_example" / "ml-100k"
    return folder if (folder / "ml-100k.inter").is_file() else None


def read_cache(folder: Path) -> tuple[Frames, dict[str, object]]:
    """Read a cache folder written by `write_cache`.

    Raises:
        FileNotFoundError: if the folder is not a complete cache.
        ValueError: if its ratings table does not have the standard columns.
    """
    meta_path = folder / "source.json"
    if not meta_path.is_file():
        raise FileNotFoundError(f"no cache in {folder}")
    meta = json.loads(meta_path.read_text())
    if not isinstance(meta, dict):
        raise ValueError(f"{meta_path} does not hold a JSON object")
    ratings = pd.read_parquet(folder / "ratings.parquet")
    if tuple(ratings.columns) != COLUMNS:
        raise ValueError(
            f"{folder / 'ratings.parquet'} has columns {list(ratings.columns)}, expected {COLUMNS}"
        )
    items = pd.read_parquet(folder / "items.parquet")
    users = pd.read_parquet(folder / "users.parquet") if (folder / "users.parquet").is_file() else None
    return Frames(ratings, items, users), meta


def write_cache(folder: Path, frames: Frames, meta: dict[str, object], *, replace: bool = False) -> None:
    """Write `frames` and ``source.json`` to `folder` atomically: into a temporary folder, then one rename.

    A failure leaves no half-written cache. If another process wrote `folder` in the meantime, its copy is kept,
    unless `replace` (used when the existing cache is unreadable).
    """
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.parent / f".{folder.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    tmp.mkdir()  # not mkdtemp: the cache should get the usual permissions, not 0700
    try:
        for table, file in zip(frames, CACHE_FILES, strict=True):
            if table is not None:
                table.to_parquet(tmp / file, index=False)
        (tmp / "source.json").write_text(json.dumps(meta, indent=2) + "\n")
        if replace and folder.exists():
            stale = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".old", dir=folder.parent))
            os.replace(folder, stale / folder.name)
            shutil.rmtree(stale, ignore_errors=True)
        try:
            os.rename(tmp, folder)
        except OSError:
            if not (folder / "source.json").is_file():  # not a concurrent writer that won the race
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _from_recbole(name: str) -> tuple[Frames, dict[str, object]]:
    if name != "ml-100k":
        raise FileNotFoundError(f"RecBole ships only ml-100k, not {name}")
    folder = recbole_ml100k_dir()
    if folder is None:
        raise FileNotFoundError("RecBole is not installed")
    return parse_recbole_ml100k(folder), {"path": str(folder)}


def _from_download(name: str, url: str, md5: str, progress: bool) -> tuple[Frames, dict[str, object]]:
    with tempfile.TemporaryDirectory(prefix=f"sslrec-{name}-") as tmp:
        archive = Path(tmp) / f"{name}.zip"
        sha256 = download(url, archive, md5=md5, progress=progress)
        try:
            files = safe_extract(archive, Path(tmp) / "unpacked")
        # what zipfile raises for an unsupported method, an encrypted member or a cut archive, and what its
        # decompressors raise for damaged data (zlib's and lzma's own errors; bzip2's is an OSError)
        except (NotImplementedError, RuntimeError, EOFError, zlib.error, lzma.LZMAError) as err:
            raise zipfile.BadZipFile(f"{url}: {err}") from None
        first = next((f for f in files if f.name == DATASETS[name].first_file), None)
        if first is None:
            raise FileNotFoundError(f"{url} holds no {DATASETS[name].first_file}; is it the {name} zip?")
        try:
            frames = DATASETS[name].parse(first.parent)
        except FileNotFoundError as err:  # it named the temporary folder, gone by the time it is read
            raise FileNotFoundError(f"{url} lacks {err.filename or err}, a file of the {name} zip") from None
        return frames, {"url": url, "md5": md5, "sha256": sha256}


def _check_cache_md5(folder: Path, md5: str) -> None:
    """Raise `ChecksumError` if `folder` holds a cache filled from a zip whose MD5 is not `md5`, or from
    RecBole's copy, which records none; a missing or unreadable cache is the sources' to fill or replace."""
    meta_path = folder / "source.json"
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, ValueError):
        return
    if not isinstance(meta, dict):
        return
    recorded = str(meta.get("md5") or "").lower()
    if recorded == md5:
        return
    held = f"a zip whose MD5 is {recorded}" if recorded else f"{meta.get('source')}, with no MD5 recorded"
    raise ChecksumError(
        f"the cache {folder} was filled from {held} (see {meta_path}), not from a zip with the MD5 {md5} given: "
        f"to replace it, delete {folder} and download again, or choose another data folder (data_dir=, "
        "--data-dir or SSLREC_DATA)"
    )


def _unavailable(
    name: str,
    folder: Path,
    url: str,
    tried: list[str],
    explicit: bool,
    checked: bool = False,
    mismatch: bool = False,
) -> DataUnavailableError:
    """The error naming what was tried and what to do; with an `explicit` URL, advice about that one (about its
    MD5 only after a checksum `mismatch`); with an MD5 to check (`checked`), no advice to install RecBole, whose
    copy it skips."""
    if explicit and mismatch:  # the user already chose the source: say what can be wrong with it
        fixes = [
            f"check that {url} is the {name} zip of GroupLens; a copy with another checksum needs its MD5 "
            f"(md5=... or `sslrec data download {name} --url ... --md5 ...`)"
        ]
    elif explicit:
        fixes = [f"check that {url} can be reached and is the {name} zip of GroupLens"]
    else:
        fixes = [
            f"download {url} yourself and pass its path (url=... or `sslrec data download {name} --url PATH`)"
        ]
    fixes.append(
        f"set SSLREC_DATA (or --data-dir, data_dir=) to a folder holding a {name}/ cache (now {folder.parent})"
    )
    if not url.startswith("file:"):
        fixes.append("check the network connection or proxy (HTTPS_PROXY)")
    if name == "ml-100k" and not explicit and not checked:
        fixes.insert(
            0, "run `pip install recbole==1.2.1 --no-deps` (it ships ml-100k; only its data files are used)"
        )
    return DataUnavailableError(
        f"could not load {name}; tried: {'; '.join(tried)}. To fix: {', or '.join(fixes)}."
    )


def load_movielens(
    name: str = "ml-100k",
    data_dir: str | os.PathLike[str] | None = None,
    *,
    url: str | None = None,
    md5: str | None = None,
    progress: bool = True,
    sources: Sequence[str] = SOURCES,
    require_cache: bool = False,
) -> MovieLens:
    """Load a MovieLens data set, trying the cache, RecBole's copy (ml-100k only), then the GroupLens zip.

    Whatever the source, the data ends up in the cache ``data_dir/<name>/`` (Parquet files and ``source.json``),
    so the next load takes a fraction of a second. An explicit `url` is honoured: RecBole's copy is skipped, and
    the cache is used only if it was filled from `url` with the same MD5; otherwise the zip is fetched from
    `url`, checked and replaces the cache.

    Args:
        name: ``"ml-100k"``, ``"ml-1m"`` or ``"ml-20m"``.
        data_dir: the data folder; default `default_data_dir()`.
        url: where to download the zip from (a URL or a local path); default the GroupLens address.
        md5: the expected MD5 of the zip; default the checksum GroupLens publishes. Given without `url`, it
            skips RecBole's copy and is checked against the MD5 the cache records, if there is a cache.
        progress: show a download progress bar.
        sources: the sources to try, in order, a subset of ``("cache", "recbole", "download")``.
        require_cache: raise `CacheWriteError` when the cache cannot be written (``sslrec data download``,
            whose point it is), instead of warning and returning the data.

    Returns:
        The `MovieLens` tables, with ``source`` saying where they came from.

    Raises:
        ValueError: for an unknown `name` or source, or an `md5` that is not 32 hexadecimal digits.
        FileNotFoundError: if `url` is a local path that does not exist, or `data_dir` (``$SSLREC_DATA``)
            is missing and so is its parent.
        ChecksumError: if `md5` is given without `url` and the cache records another MD5 (or none); the cache
            is left as it is.
        DataUnavailableError: if no source works; its message lists what was tried and what to do.
        CacheWriteError: with `require_cache`, if the cache could not be written.
    """
    if name not in DATASETS:
        raise ValueError(
            f"unknown data set {name!r}; valid: {', '.join(DATASETS)}{did_you_mean(name, DATASETS)}"
        )
    if unknown := [s for s in sources if s not in SOURCES]:
        raise ValueError(f"unknown source(s) {unknown}; valid: {', '.join(SOURCES)}")
    if md5 is not None and not (isinstance(md5, str) and re.fullmatch("[0-9a-fA-F]{32}", md5)):
        raise ValueError(f"an MD5 is 32 hexadecimal digits, got {md5!r}")
    folder = data_folder(data_dir) / name
    explicit, checked = url is not None, md5 is not None
    tried: list[str] = []
    if (explicit or checked) and "recbole" in sources:  # its copy came neither from `url` nor from a zip
        sources = [s for s in sources if s != "recbole"]
        if not explicit:  # said, or the advice to install RecBole would read as if it had been tried
            tried.append("recbole (skipped: it ships no zip whose MD5 could be checked)")
    if md5 is not None and not explicit and "cache" in sources:
        _check_cache_md5(folder, md5.lower())
    url = as_url(url) if url is not None else GROUPLENS_URL.format(name=name)
    md5 = (md5 or DATASETS[name].md5).lower()
    broken_cache = mismatch = False
    cache_error = ""
    for source in sources:
        try:
            if source == "cache":
                frames, meta = read_cache(folder)
                if explicit and (meta.get("url"), meta.get("md5")) != (url, md5):
                    raise ValueError(f"filled from {meta.get('url') or meta.get('source')}, not from {url}")
                return MovieLens(name, *frames, source="cache", path=folder)
            frames, meta = (
                _from_recbole(name) if source == "recbole" else _from_download(name, url, md5, progress)
            )
        except SOURCE_ERRORS as err:
            said = " ".join(str(err).split())  # one line, whatever the error printed
            tried.append(f"{source} ({said})")
            cache_error = said if source == "cache" else cache_error
            mismatch |= isinstance(err, ChecksumError)
            # only a cache this package wrote is replaced; a folder of the user's (an unpacked zip) is kept
            broken_cache |= source == "cache" and (folder / "source.json").is_file()
            continue
        meta = {
            "name": name,
            "source": source,
            **meta,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        try:
            write_cache(folder, frames, meta, replace=broken_cache)
        except OSError as err:
            foreign = folder.exists() and not (folder / "source.json").is_file()
            if foreign:
                reason = (
                    f"{folder} is not a cache of sslrec (no source.json) and is left as it is: move it away, or "
                    "choose another data folder"
                )
            elif broken_cache:  # every later load reads the source again: say why
                reason = (
                    f"the cache {folder} could not be read ({cache_error}) nor replaced ({err}): delete it, or "
                    "choose a writable data folder"
                )
            else:
                reason = f"could not write the cache {folder} ({err}): choose a writable data folder"
            if require_cache:
                raise CacheWriteError(f"{reason} (data_dir=, --data-dir or SSLREC_DATA)") from None
            warnings.warn(f"{reason}; the next load will be slow", stacklevel=2)
        return MovieLens(name, *frames, source=source, path=folder)
    raise _unavailable(name, folder, url, tried, explicit, checked, mismatch)
