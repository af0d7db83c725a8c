"""Result folders written all or nothing: a run directory of ``sslrec train``, a report of ``sslrec report``.

The work is written into a hidden temporary folder beside the target, which becomes the target only when the
work has succeeded; a failed work leaves nothing behind (unless it got far enough to keep something worth
keeping, such as a trained checkpoint) and an existing folder untouched. Replacing an existing folder needs
``force``, and even then only a folder that holds nothing but what the command itself writes: a mistyped
``--out`` must never delete a user's files. The check runs before the work and again just before the swap.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Collection, Iterator
from pathlib import Path

from sslrec_utils.data.download import expand_user

# files that editors and systems add to any folder; they do not make a result folder someone else's
IGNORED = (".DS_Store", "Thumbs.db", "desktop.ini", ".ipynb_checkpoints")


def check_out(
    out: Path, force: bool, owned: Collection[str], signature: tuple[str, Collection[str]] | None = None
) -> None:
    """Refuse an output folder whose replacement could lose anything.

    Args:
        out: the folder to create or replace.
        force: whether an existing, non-empty folder may be replaced.
        owned: the names the command writes inside `out`; a folder holding anything else is never replaced
            (besides `IGNORED` names and the hidden ``.NAME.*.tmp`` files of an interrupted atomic write).
        signature: ``(file, keys)``: a folder is replaced only if `file` in it is a JSON object holding `keys`,
            the mark of a result the command wrote (a user's own ``history.csv`` has a run file's name).

    Raises:
        ValueError: `out` is a file, the current folder or one above it; or a non-empty folder without
            `force`; or a folder holding foreign files, or lacking the command's `signature`.
    """
    if out.exists() and not out.is_dir():
        raise ValueError(f"{out} is a file; --out takes a folder")
    here = Path.cwd().resolve()
    if out.resolve() in (here, *here.parents):
        raise ValueError(f"--out {out} is the current folder or one above it; give a folder of its own")
    if not out.is_dir() or all(p.name in IGNORED for p in out.iterdir()):  # empty but for a .DS_Store...
        return
    if not force:
        raise ValueError(
            f"{out} exists and is not empty; choose another --out, or pass --force to replace it"
        )
    foreign = sorted(p.name for p in out.iterdir() if not _owned(p.name, owned))
    if foreign:
        shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
        raise ValueError(
            f"{out} holds files this command did not write ({shown}); not replacing it, even with --force"
        )
    problem = None if signature is None else json_problem(out / signature[0], signature[1])
    if problem is not None:
        raise ValueError(
            f"{out} holds files named like this command's, but nothing marks it as one of its results "
            f"({problem}); not replacing it, even with --force: delete it yourself if it is one"
        )


def json_problem(path: Path, keys: Collection[str]) -> str | None:
    """Why `path` is not a JSON object holding every one of `keys` (e.g. "config.json is not JSON: cut
    short?"), or None when it is one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return f"no {path.name}"
    except OSError as err:
        return f"{path.name} cannot be read: {err.strerror or err}"
    except ValueError:  # not UTF-8, or not JSON
        return f"{path.name} is not JSON: cut short?"
    missing = [key for key in keys if key not in data] if isinstance(data, dict) else list(keys)
    return f"{path.name} lacks {', '.join(missing)}" if missing else None


def holds_json(path: Path, keys: Collection[str]) -> bool:
    """Whether `path` is a JSON object holding every one of `keys`."""
    return json_problem(path, keys) is None


def _owned(name: str, owned: Collection[str]) -> bool:
    if name in owned or name in IGNORED:
        return True
    return name.startswith(".") and name.endswith(".tmp") and any(name.startswith(f".{o}.") for o in owned)


@contextlib.contextmanager
def staged(
    out: Path,
    force: bool,
    owned: Collection[str],
    keep_on_failure: Collection[str] = (),
    signature: tuple[str, Collection[str]] | None = None,
    kept_hint: str = "",
) -> Iterator[Path]:
    """Yield an empty temporary folder beside `out`; once the work succeeds it replaces `out`.

    Call `check_out` first (it is called again just before the swap, in case `out` changed meanwhile). On a
    failure of the work the temporary folder is removed, with the parents of `out` this call created, unless
    it holds one of `keep_on_failure` (e.g. a checkpoint saved by hours of training): then it stays and its
    path is printed, followed by `kept_hint` (``{tmp}`` in it stands for that path). If the swap itself fails
    (`out` changed, or cannot be renamed: a mount point...), the finished work stays in the temporary folder,
    which the error names. Folders and files inside get the
    permissions the umask gives (temporary files are otherwise private).

    Raises:
        ValueError: `out` lies inside a file, `out`'s parent cannot hold the temporary folder, or the swap
            failed.
    """
    out = expand_user(out).resolve()
    missing = [p for p in reversed(out.parents) if not p.exists()]
    existing = next(p for p in out.parents if p.exists())  # the root at least
    if not existing.is_dir():  # mkdir would say "File exists", of a folder it was asked to make
        raise ValueError(f"{existing} is a file, not a folder: --out {out} cannot lie inside it")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    except OSError as err:
        raise ValueError(
            f"cannot write beside {out} ({err.strerror}): --out needs a writable parent folder"
        ) from None
    try:
        yield tmp
    except BaseException:
        if any((tmp / name).exists() for name in keep_on_failure):
            print(f"the unfinished result is kept in {tmp}{kept_hint.format(tmp=tmp)}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
            for folder in reversed(missing):  # deepest first
                if folder.is_dir() and not any(folder.iterdir()):
                    folder.rmdir()
        raise
    _share(tmp)
    try:
        check_out(out, force, owned, signature)
        _swap(tmp, out)
    except (OSError, ValueError) as err:
        raise ValueError(f"the result is complete in {tmp} but could not become {out}: {err}") from None


def _swap(tmp: Path, out: Path) -> None:
    """Rename `tmp` to `out`, replacing `out` if it exists (put back if the rename fails)."""
    if not out.exists():
        tmp.rename(out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
    try:
        out.rename(old / out.name)
    except OSError:
        old.rmdir()
        raise
    try:
        tmp.rename(out)
    except OSError:
        (old / out.name).rename(out)  # put the old folder back
        old.rmdir()
        raise
    shutil.rmtree(old)


def _share(folder: Path) -> None:
    """Give `folder` and everything in it the permissions the process's umask gives new files."""
    umask = os.umask(0)
    os.umask(umask)
    folder.chmod(0o777 & ~umask)
    for path in folder.rglob("*"):
        path.chmod((0o777 if path.is_dir() else 0o666) & ~umask)
