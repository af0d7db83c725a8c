"""Downloading a file with a progress bar and a checksum, and unpacking a zip archive safely.

Only the standard library (`urllib`, `zipfile`, `hashlib`) and `tqdm` are used, so the package needs no HTTP client.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import stat
import urllib.parse
import urllib.request
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import IO, Any

from tqdm import tqdm

CHUNK_BYTES = 1 << 16


class ChecksumError(ValueError):
    """The downloaded file does not have the expected checksum."""


class UnsafeArchiveError(ValueError):
    """An archive member would be written outside the destination, or is a link."""


def expand_user(path: str | os.PathLike[str]) -> Path:
    """``Path(path).expanduser()``, with an unknown ``~user`` (or no home folder) as a `ValueError` naming
    `path`, instead of pathlib's RuntimeError."""
    try:
        return Path(path).expanduser()
    except RuntimeError as err:
        raise ValueError(f"cannot expand {os.fspath(path)!r}: {err}") from None


def as_url(url_or_path: str | os.PathLike[str]) -> str:
    """Return `url_or_path` as a URL: an ``http(s)``, ``ftp`` or ``file`` URL is kept, a local path becomes a
    ``file://`` URL.

    Raises:
        FileNotFoundError: if `url_or_path` is neither such a URL nor an existing file.
        ValueError: if `url_or_path` cannot be read as a URL (``http://[::1``), named.
    """
    text = os.fspath(url_or_path)
    try:
        scheme = urllib.parse.urlparse(text).scheme
    except ValueError as err:  # urllib's message ("Invalid IPv6 URL") does not say which value
        raise ValueError(f"cannot read {text!r} as a URL: {err}") from None
    if scheme in ("http", "https", "ftp", "file"):
        return text
    path = expand_user(text)
    if not path.exists():
        raise FileNotFoundError(f"no such file: {text}")
    return path.resolve().as_uri()


@contextlib.contextmanager
def atomic_write(path: Path, mode: str = "w") -> Iterator[IO[Any]]:
    """Open a hidden ``.NAME.*.tmp`` file beside `path` for writing, renamed over `path` when the block ends
    without error and removed when it fails: readers see the old file or the new one, never half of one.

    The file gets the permissions the umask gives new files (``mkstemp`` would make it private to its owner).
    """
    tmp = path.parent / f".{path.name}.{secrets.token_hex(8)}.tmp"
    # O_BINARY: Windows would otherwise write each newline byte as two, as mkstemp's flags avoid
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, mode) as fh:
            yield fh
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def download(
    url: str,
    dest: str | os.PathLike[str],
    *,
    md5: str | None = None,
    progress: bool = True,
    timeout: float = 30.0,
) -> str:
    """Download `url` to `dest`, verifying its MD5, and return its SHA-256.

    The bytes go to a temporary file next to `dest`, which is renamed to `dest` only once the download is
    complete and verified, so `dest` never holds a partial or corrupt file. Completeness is known from the
    server's Content-Length or from `md5`: with neither, a connection closed early cannot be told from the end
    of the file, and a warning says that nothing was checked.

    Args:
        url: an ``http(s)://`` or ``file://`` URL (a local path is accepted too).
        dest: where to write the file; its folder is created if needed.
        md5: the expected MD5 hex digest, or ``None`` to skip the check.
        progress: show a tqdm progress bar on stderr.
        timeout: seconds to wait for the server before giving up.

    Returns:
        The SHA-256 hex digest of the downloaded file.

    Raises:
        ChecksumError: if the MD5 differs from `md5`.
        FileNotFoundError: if `url` is a local path that does not exist.
        OSError: on network errors (`urllib.error.URLError`) and incomplete downloads.
    """
    url, dest = as_url(url), Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    md5_hash, sha256_hash = hashlib.md5(usedforsecurity=False), hashlib.sha256()
    # renamed to `dest` only if every check below passes; removed on any error, Ctrl-C included
    with atomic_write(dest, "wb") as out:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            total = int(response.headers.get("Content-Length") or 0) or None
            received = 0
            with tqdm(
                total=total,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                desc=dest.name,
                disable=not progress,
            ) as bar:
                while chunk := response.read(CHUNK_BYTES):
                    out.write(chunk)
                    md5_hash.update(chunk)
                    sha256_hash.update(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
        if total is not None and received != total:
            raise OSError(f"incomplete download of {url}: got {received} of {total} bytes")
        if total is None and md5 is None:
            warnings.warn(
                f"{url} sent no Content-Length and no MD5 was given: {dest} may be incomplete", stacklevel=2
            )
        if md5 is not None and md5_hash.hexdigest() != md5.lower():
            raise ChecksumError(
                f"MD5 mismatch for {url}: got {md5_hash.hexdigest()}, expected {md5.lower()} "
                "(corrupt download or a changed file)"
            )
    return sha256_hash.hexdigest()


def _check_member(info: zipfile.ZipInfo) -> None:
    """Raise `UnsafeArchiveError` if `info` is an absolute path, climbs out with ``..``, or is a symlink."""
    name = info.filename
    posix, windows = PurePosixPath(name), PureWindowsPath(name)
    if posix.is_absolute() or windows.is_absolute() or windows.drive or name.startswith(("/", "\\")):
        raise UnsafeArchiveError(f"refusing to extract {name!r}: absolute path")
    if ".." in posix.parts or ".." in windows.parts:
        raise UnsafeArchiveError(f"refusing to extract {name!r}: '..' in the path")
    if stat.S_ISLNK(info.external_attr >> 16):
        raise UnsafeArchiveError(f"refusing to extract {name!r}: symbolic link")


def safe_extract(zip_path: str | os.PathLike[str], dest: str | os.PathLike[str]) -> list[Path]:
    """Extract a zip archive into `dest`, refusing absolute paths, ``..`` members and symlinks.

    Every member is checked before anything is written, so a refused archive leaves `dest` untouched.

    Args:
        zip_path: the archive.
        dest: the folder to extract into (created if needed).

    Returns:
        The paths of the extracted files.

    Raises:
        UnsafeArchiveError: naming the first offending member.
        zipfile.BadZipFile: if `zip_path` is not a zip archive.
    """
    dest = Path(dest)
    root = dest.resolve()
    with zipfile.ZipFile(zip_path) as archive:
        members = archive.infolist()
        for info in members:
            _check_member(info)
            if not (root / info.filename).resolve().is_relative_to(root):
                raise UnsafeArchiveError(f"refusing to extract {info.filename!r}: it leaves {dest}")
        dest.mkdir(parents=True, exist_ok=True)
        return [Path(archive.extract(info, dest)) for info in members if not info.is_dir()]
