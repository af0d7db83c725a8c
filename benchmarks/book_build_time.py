"""Wall time of a cold full book build, then of a warm rebuild (every chapter from the execution cache).

    python benchmarks/book_build_time.py                       # the whole book (executes every chapter: minutes)
    python benchmarks/book_build_time.py --only book/preface book/bibliography     # a subset of _toc.yml

Copies the book sources (``_config.yml``, ``_toc.yml``, ``book/``, ``notebooks/``) into a fresh temporary folder,
with links to the other top-level folders (the package, ``data/``, ``node_modules/``) so that paths resolve as in
the real book, and builds there the way ``make book`` does (``scripts/build_book.py``: ``jupyter-book build -W
--keep-going``, then ``scripts/check_offline.py``):

1. cold: no jupyter-cache and no Sphinx environment, so every chapter is executed at its default parameters;
2. warm: the same command with ``--all`` (Sphinx reads every page again, as after ``make clean-book`` or a change
   of ``_config.yml``), which must take every notebook from the execution cache: none executed.

Shared on purpose, as on a reader's machine after ``make setup``: the data cache under ``data/`` (no MovieLens
download is timed), the installed packages, Python's bytecode and matplotlib's font cache.

Appends one row to ``benchmarks/results/book_build/book_build_times.csv`` and writes the full record (per-notebook
execution times included) as JSON beside it; prints the cold time against the target (``--target-min``, 10 minutes
on the 2-core reference machine). Exit status: non-zero when a build fails or the warm build executed a notebook.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "scripts"), str(ROOT)]  # run by path: its helpers are beside it, not installed

from build_book import toc_files  # noqa: E402

from benchmarks.leaderboard import file_not_folder  # noqa: E402

STAGED = ("_config.yml", "_toc.yml", "book", "notebooks")
NOT_LINKED = {"_build", *STAGED}
RESULTS = ROOT / "benchmarks" / "results" / "book_build"
# myst-nb's log lines: "<path>: Executed notebook in 12.34 seconds [mystnb]", "Using cached notebook: ID=3"
EXECUTED = re.compile(r"(?P<doc>[^\s:]+\.ipynb)?:?\s*Executed notebook in (?P<s>[0-9.]+) seconds")
CACHED = re.compile(r"Using cached notebook: ID=\d+")
CSV_FIELDS = [
    "timestamp",
    "host",
    "cores",
    "subset",
    "pages",
    "notebooks",
    "cold_s",
    "warm_s",
    "cold_executed",
    "warm_executed",
    "warm_cached",
    "target_s",
    "cold_over_target",
    "ok",
]


def table_row(record: dict) -> dict[str, object]:
    """The row of ``book_build_times.csv`` that sums up a build's record (the JSON written beside it)."""
    cold, warm = record["cold"], record["warm"]
    return {
        "timestamp": record["timestamp"],
        "host": record["host"],
        "cores": record["cores"],
        "subset": " ".join(record["subset"]),
        "pages": len(record["pages"]),
        "notebooks": len(record["notebooks"]),
        "cold_s": cold["seconds"],
        "warm_s": warm["seconds"],
        "cold_executed": len(cold["executed"]),
        "warm_executed": len(warm["executed"]),
        "warm_cached": warm["cached"],
        "target_s": record["target_s"],
        "cold_over_target": round(cold["seconds"] / record["target_s"], 3),
        "ok": record["ok"],
    }


def subset_toc(toc: dict, only: list[str]) -> dict:
    """A jb-book ``_toc.yml`` with only the files in `only` (in the book's order), the first one as root."""
    known = toc_files(toc)
    unknown = [f for f in only if f not in known]
    if unknown:
        raise SystemExit(f"book_build_time: not in _toc.yml: {', '.join(unknown)}")
    keep = [f for f in known if f in only]
    return {"format": "jb-book", "root": keep[0], "chapters": [{"file": f} for f in keep[1:]]}


def stage(source: Path, dest: Path, only: list[str] | None = None) -> dict:
    """Copy the book sources of `source` to `dest` (empty or missing); link the rest. Returns the staged toc."""
    dest.mkdir(parents=True, exist_ok=True)
    if any(dest.iterdir()):
        raise SystemExit(f"book_build_time: {dest} is not empty; a cold build needs a fresh folder")
    toc = yaml.safe_load((source / "_toc.yml").read_text())
    if only:
        toc = subset_toc(toc, only)
        (dest / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False))
    else:
        shutil.copy2(source / "_toc.yml", dest / "_toc.yml")
    config = yaml.safe_load((source / "_config.yml").read_text())
    # the cache lives in the staged build folder whatever _config.yml says: cold means empty
    config.setdefault("execute", {})["cache"] = str(dest / "_build" / ".jupyter_cache")
    (dest / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    ignore = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", ".jupyter_cache")
    for folder in ("book", "notebooks"):
        if (source / folder).is_dir():
            shutil.copytree(source / folder, dest / folder, ignore=ignore, symlinks=True)
    for entry in source.iterdir():
        if entry.name.startswith(".") or entry.name in NOT_LINKED:
            continue
        os.symlink(entry.resolve(), dest / entry.name)
    return toc


def build(dest: Path, label: str, log: Path, extra: tuple[str, ...] = ()) -> dict[str, object]:
    """One timed `jupyter-book build -W --keep-going` of `dest` (output echoed and kept in `log`)."""
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jupyter_book), "build", str(dest), "-W", "--keep-going", *extra]
    env = {**os.environ, "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    print(f"book_build_time: {label} build: {' '.join(cmd)}", flush=True)
    start = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            out.write(line)
            if "Executed notebook" in line or "Using cached notebook" in line or "WARNING:" in line:
                print(f"  {line.rstrip()}", flush=True)
        rc = proc.wait()
    seconds = time.perf_counter() - start
    text = log.read_text()
    executed = [
        {"notebook": m["doc"] and Path(m["doc"]).name, "seconds": float(m["s"])}
        for m in EXECUTED.finditer(text)
    ]
    result = {
        "seconds": round(seconds, 2),
        "rc": rc,
        "executed": executed,
        "cached": len(CACHED.findall(text)),
    }
    print(
        f"book_build_time: {label} build {seconds:.1f} s (exit {rc}), {len(executed)} notebooks executed, "
        f"{result['cached']} from the cache",
        flush=True,
    )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--only", nargs="+", metavar="FILE", help="build only these _toc.yml entries (the first is the root)"
    )
    parser.add_argument("--source", type=Path, default=ROOT, help="book project to copy (default: this one)")
    parser.add_argument("--workdir", type=Path, default=None, help="where to stage (default: a new temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the staged copy and its build")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder (default: %(default)s)")
    parser.add_argument("--target-min", type=float, default=10.0, help="cold build target in minutes")
    parser.add_argument("--no-check", action="store_true", help="skip scripts/check_offline.py afterwards")
    args = parser.parse_args(argv)
    if problem := file_not_folder(args.out):  # before a temporary folder is made, so none is left behind
        parser.error(problem)
    if not 0 < args.target_min < float("inf"):  # the cold time is divided by it, after both builds (nan too)
        parser.error(f"--target-min must be a positive number of minutes, got {args.target_min:g}")

    source = args.source.resolve()
    own_workdir = args.workdir is None  # only a folder this script made is removed whole
    workdir = Path(tempfile.mkdtemp(prefix="book-build-")) if own_workdir else args.workdir.resolve()
    dest = workdir / "book"
    if dest.is_dir() and any(dest.iterdir()):  # refused before anything is staged, so nothing is removed
        raise SystemExit(f"book_build_time: {dest} is not empty; a cold build needs a fresh folder")
    stamp = dt.datetime.now().astimezone()
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        toc = stage(source, dest, args.only)
        pages = toc_files(toc)
        notebooks = [f for f in pages if (dest / f"{f}.ipynb").is_file()]
        print(
            f"book_build_time: staged {len(pages)} pages ({len(notebooks)} notebooks) of {source} in {dest}",
            flush=True,
        )
        cold = build(dest, "cold", workdir / "cold.log")
        warm = build(dest, "warm", workdir / "warm.log", ("--all",))
        check_rc = None
        if not args.no_check and cold["rc"] == 0:
            check = [
                sys.executable,
                str(ROOT / "scripts" / "check_offline.py"),
                str(dest / "_build" / "html"),
            ]
            check_rc = subprocess.call(check, cwd=ROOT)
    finally:
        if not args.keep and own_workdir:
            shutil.rmtree(workdir, ignore_errors=True)
        elif not args.keep:  # a folder the user named: remove what was staged in it, nothing else
            shutil.rmtree(dest, ignore_errors=True)
            for log in ("cold.log", "warm.log"):
                (workdir / log).unlink(missing_ok=True)

    target_s = args.target_min * 60
    cache_hit = not warm["executed"] and warm["cached"] == len(notebooks)
    ok = cold["rc"] == 0 and warm["rc"] == 0 and cache_hit and check_rc in (None, 0)
    record = {
        "timestamp": stamp.isoformat(timespec="seconds"),
        "host": platform.node(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "source": str(source),
        "subset": args.only or [],
        "pages": pages,
        "notebooks": notebooks,
        "cold": cold,
        "warm": warm,
        "offline_check_rc": check_rc,
        "target_s": target_s,
        "ok": ok,
    }
    name = f"book_build_{stamp:%Y%m%dT%H%M%S}{'_subset' if args.only else ''}.json"
    (args.out / name).write_text(json.dumps(record, indent=1))
    row = table_row(record)
    table = args.out / "book_build_times.csv"
    new = not table.exists()
    with table.open("a", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_FIELDS)
        if new:
            writer.writeheader()
        writer.writerow(row)

    scope = "subset " + " ".join(args.only) if args.only else "full book"
    print(
        f"book_build_time: {scope}: cold {cold['seconds']:.1f} s = {row['cold_over_target']:.2f} x the "
        f"{args.target_min:g}-minute target ({'within' if cold['seconds'] <= target_s else 'OVER'}), "
        f"warm {warm['seconds']:.1f} s ({cold['seconds'] / max(warm['seconds'], 1e-9):.1f}x faster); "
        f"recorded in {table} and {args.out / name}"
    )
    if not cache_hit:
        print(
            f"book_build_time: the warm build executed {len(warm['executed'])} and took {warm['cached']} of "
            f"{len(notebooks)} notebooks from the cache: the execution cache did not hit",
            file=sys.stderr,
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
