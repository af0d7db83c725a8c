"""Result folders written all or nothing: a run directory of ``sslrec train``, a report of ``sslrec report``.

The work is written into a hidden temporary folder beside the target, which becomes the target only when the
work has succeeded; a failure leaves nothing behind and an existing folder untouched. Replacing an existing
folder needs ``force``, and even then only a folder that holds nothing but what the command itself writes:
a mistyped ``--out`` must never delete a user's files.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Collection, Iterator
from pathlib import Path


def check_out(out: Path, force: bool, owned: Collection[str]) -> None:
    """Refuse an output folder whose replacement could lose anything.

    Args:
        out: the folder to create or replace.
        force: whether an existing, non-empty folder may be replaced.
        owned: the names the command writes inside `out`; a folder holding anything else is never replaced.

    Raises:
        ValueError: `out` is a file; or a non-empty folder without `force`; or holds foreign files.
    """
    if out.exists() and not out.is_dir():
        raise ValueError(f"{out} is a file; --out takes a folder")
    if not out.is_dir() or not any(out.iterdir()):
        return
    if not force:
        raise ValueError(
            f"{out} exists and is not empty; choose another --out, or pass --force to replace it"
        )
    foreign = sorted(p.name for p in out.iterdir() if p.name not in owned)
    if foreign:
        shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
        raise ValueError(
            f"{out} holds files this command did not write ({shown}); not replacing it, even with --force"
        )


@contextlib.contextmanager
def staged(out: Path) -> Iterator[Path]:
    """Yield an empty temporary folder beside `out`; on success it replaces `out`, on failure it is removed.

    Call `check_out` first. Folders and files inside get the permissions the umask gives (temporary files are
    otherwise private), and parents of `out` that this call created are removed again after a failure.
    """
    out = out.expanduser().absolute()
    missing = [p for p in reversed(out.parents) if not p.exists()]
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        yield tmp
        _share(tmp)
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
            out.rename(old / out.name)
            try:
                tmp.rename(out)
            except BaseException:
                (old / out.name).rename(out)  # put the old folder back
                old.rmdir()
                raise
            shutil.rmtree(old)
        else:
            tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        for folder in reversed(missing):  # deepest first
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        raise


def _share(folder: Path) -> None:
    """Give `folder` and everything in it the permissions the process's umask gives new files."""
    umask = os.umask(0)
    os.umask(umask)
    folder.chmod(0o777 & ~umask)
    for path in folder.rglob("*"):
        path.chmod((0o777 if path.is_dir() else 0o666) & ~umask)
