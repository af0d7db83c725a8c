"""Build the book with warnings as errors, then check that the HTML works offline.

    python scripts/build_book.py                    # execute every chapter (jupyter-cache) and build _build/html
    python scripts/build_book.py --from-executed    # CI: render the notebooks Papermill already executed

``--from-executed DIR`` (default ``_build/executed``, written by ``tests/test_notebooks.py``) stages a copy of the
book sources under ``_build/ci-src/``: ``_config.yml`` with ``execute_notebooks: "off"``, ``_toc.yml``, ``book/``,
``notebooks/`` with each chapter replaced by its executed copy (wherever the toc lists it), and links to the other top-level folders (the
package, data) so relative paths resolve as in the real book. The build then renders the recorded outputs
without executing anything again, so CI executes each chapter at most twice (Papermill, nbval). Papermill's
cell of injected parameters (CI's small sizes) stays visible on purpose: the figures on such a page come from
those values, not the defaults. A chapter without an executed copy, or whose executed copy's cells differ from
its source's (that cell aside), is an error, and so are two chapters of one file name (the executed copies are
named by file name only). Without ``--from-executed``, the execution cache is emptied first when the package or
the pinned environment changed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
STAGED = ("_config.yml", "_toc.yml", "book", "notebooks")
NOT_LINKED = {"_build", "node_modules", *STAGED}


def toc_files(toc: dict) -> list[str]:
    """Every ``file:`` entry of a jb-book ``_toc.yml``, root first."""
    found = [toc["root"]]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "file" in node:
                found.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk({k: v for k, v in toc.items() if k != "root"})
    return found


def _cells(path: Path) -> list[tuple[str, str]]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [
        (c["cell_type"], "".join(c["source"]))
        for c in nb["cells"]
        if "injected-parameters" not in c.get("metadata", {}).get("tags", [])
    ]


def stage(executed: Path, dest: Path) -> None:
    """Copy the book sources to `dest`, with the executed notebooks and execution switched off."""
    # first: a refused staging must not leave an earlier book for the browser check to pass on
    if dest.exists():
        shutil.rmtree(dest)
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    # an entry may name its file with the extension or without it: Jupyter Book accepts both
    listed = [ROOT / (f if f.endswith(".ipynb") else f"{f}.ipynb") for f in toc_files(toc)]
    chapters = [path for path in listed if path.is_file()]
    # the executed copies are named by file name only: two chapters of one name would share one copy
    by_name: dict[str, list[str]] = {}
    for path in dict.fromkeys(chapters):
        by_name.setdefault(path.name, []).append(str(path.relative_to(ROOT)))
    problems = [
        f"{' and '.join(paths)} share a file name, so one executed copy in {executed}: rename one"
        for paths in by_name.values()
        if len(paths) > 1
    ]
    for source in chapters:
        ran = executed / source.name
        if not ran.is_file():
            problems.append(
                f"{source.relative_to(ROOT)}: no executed copy {ran} (run tests/test_notebooks.py)"
            )
        elif _cells(ran) != _cells(source):
            problems.append(f"{ran} is stale: its cells differ from {source.relative_to(ROOT)}; run it again")
    if problems:
        raise SystemExit("build_book: " + "\n  ".join(["cannot stage the executed book:", *problems]))

    dest.mkdir(parents=True)
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config.setdefault("execute", {})["execute_notebooks"] = "off"
    (dest / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    shutil.copy2(ROOT / "_toc.yml", dest / "_toc.yml")
    shutil.copytree(ROOT / "book", dest / "book")
    shutil.copytree(
        ROOT / "notebooks", dest / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints")
    )
    for source in chapters:
        shutil.copy2(executed / source.name, dest / source.relative_to(ROOT))  # where the toc points
    for entry in ROOT.iterdir():
        if entry.name.startswith(".") or entry.name in NOT_LINKED:
            continue
        os.symlink(os.path.relpath(entry, dest), dest / entry.name)


def clear_stale_cache(root: Path) -> None:
    """Empty the execution cache when what the notebooks run has changed since it was filled.

    jupyter-cache keys a notebook by its code cells only: after a change to the package or the pinned environment
    it would serve the old outputs. The hash of those inputs is kept beside the cache.
    """
    inputs = [
        root / "requirements" / "lock.txt",
        root / "pyproject.toml",
        *sorted((root / "sslrec_utils").rglob("*.py")),
    ]
    digest = hashlib.sha256()
    for path in inputs:
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    cache, stamp = root / "_build" / ".jupyter_cache", root / "_build" / ".jupyter_cache.inputs"
    if cache.exists() and (not stamp.is_file() or stamp.read_text() != digest.hexdigest()):
        print(
            "build_book: the package or the environment changed: every chapter is executed again", flush=True
        )
        shutil.rmtree(cache)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(digest.hexdigest())


def build(source: Path) -> int:
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    # --all: Sphinx reads every page again, so a warning of an unchanged page fails this build too (an
    # incremental build would not repeat it); executed notebooks still come from the execution cache
    cmd = [str(jupyter_book), "build", str(source), "-W", "--keep-going", "--all"]
    print("build_book:", " ".join(cmd), flush=True)
    rc = subprocess.call(cmd, cwd=ROOT)
    if rc != 0:
        print(f"build_book: jupyter-book failed (exit {rc}); the warnings above say why", file=sys.stderr)
        return rc
    check = [sys.executable, str(ROOT / "scripts" / "check_offline.py"), str(source / "_build" / "html")]
    return subprocess.call(check, cwd=ROOT)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--from-executed",
        nargs="?",
        const="_build/executed",
        metavar="DIR",
        help="render the notebooks executed into DIR (default _build/executed) instead of executing them",
    )
    parser.add_argument(
        "--stage-dir",
        default="_build/ci-src",
        help="where --from-executed stages the sources (default: %(default)s)",
    )
    args = parser.parse_args()
    if args.from_executed is None:
        clear_stale_cache(ROOT)
        return build(ROOT)
    dest = (ROOT / args.stage_dir).resolve()
    stage((ROOT / args.from_executed).resolve(), dest)
    return build(dest)


if __name__ == "__main__":
    sys.exit(main())
