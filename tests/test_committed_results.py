"""The summary tables committed under ``benchmarks/results/`` are what the benchmark scripts derive from the
committed per-run rows beside them.

The texts quote the summaries (tests/test_quoted_*.py check those quotes against them); these tests check the
summaries themselves: each leaderboard.csv and leaderboard.md against ``leaderboard.py --from-runs`` of its
runs.csv, each search's tuning.csv and tuning.md against ``tune.summarise`` of its tuning_runs.csv, each
paired_seeds.csv against ``paired.over_seeds`` of the paired_runs.csv it was computed from, the rows of each
paired.md against its paired_runs.csv, each rescored.md and time_to_target.md against its CSV, and the book
builds' table against their records. A hand-edited or stale table fails.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmarks import leaderboard, rescore, time_to_target
from benchmarks.book_build_time import table_row
from benchmarks.paired import over_seeds, pool_tables, seeds_markdown, users_row
from benchmarks.tune import markdown_table, summarise
from tests.quoted import RESULTS, csv_rows

# paired_seeds.csv tables pooled from the paired_runs.csv of other folders (``paired --from-tables``)
POOLED = {"ml-100k-loo-8-seeds": ["ml-100k-loo", "ml-100k-loo-8-seeds/new-seeds"]}


def _folders(table: str, beside: str) -> list[str]:
    """The folders under benchmarks/results/ holding a committed `table` with a committed `beside` next to it."""
    return sorted(
        str(path.parent.relative_to(RESULTS))
        for path in RESULTS.rglob(table)
        if (path.parent / beside).exists()
    )


def _table_rows(markdown: str) -> list[str]:
    """The lines of a Markdown table in `markdown` (a header above it may name what the CSV does not hold)."""
    return [line for line in markdown.splitlines() if line.startswith("|")]


def _assert_same(committed: pd.DataFrame, derived: pd.DataFrame, where: str) -> None:
    """Every column of `committed` equals `derived`'s, row for row (floats to 1e-12, relative), as text otherwise."""
    assert list(committed.index) == list(derived.index), f"{where}: rows {list(committed.index)}"
    different = []
    for column in committed.columns:
        ours, theirs = committed[column], derived[column]
        if pd.api.types.is_numeric_dtype(ours) and pd.api.types.is_numeric_dtype(theirs):
            same = np.isclose(
                ours.to_numpy(float), theirs.to_numpy(float), rtol=1e-12, atol=0, equal_nan=True
            )
        else:
            same = (ours.astype(str) == theirs.astype(str)).to_numpy()
        different += [f"{column} of {row}" for row in committed.index[~same]]
    assert not different, f"{where}: committed figures the script does not derive: {different}"


@pytest.mark.parametrize("folder", _folders("leaderboard.csv", "runs.csv"))
def test_a_committed_leaderboard_is_the_one_its_runs_give(folder: str, tmp_path: Path) -> None:
    assert leaderboard.main(["--from-runs", str(RESULTS / folder / "runs.csv"), "--out", str(tmp_path)]) == 0
    committed = pd.read_csv(RESULTS / folder / "leaderboard.csv", index_col="model", keep_default_na=False)
    derived = pd.read_csv(tmp_path / "leaderboard.csv", index_col="model", keep_default_na=False)
    assert list(committed.columns) == list(derived.columns), (
        f"{folder}/leaderboard.csv: columns {list(committed)}"
    )
    _assert_same(committed, derived, f"{folder}/leaderboard.csv")
    written = (RESULTS / folder / "leaderboard.md").read_text(encoding="utf-8")
    again = (
        f"python -m benchmarks.leaderboard --from-runs {RESULTS / folder}/runs.csv --out {RESULTS / folder}"
    )
    assert written == (tmp_path / "leaderboard.md").read_text(encoding="utf-8"), (
        f"{folder}/leaderboard.md is not what its runs.csv gives: after a change of leaderboard.py, `{again}`"
    )


@pytest.mark.parametrize("folder", _folders("tuning.csv", "tuning_runs.csv"))
def test_a_committed_search_table_is_the_one_its_runs_give(folder: str) -> None:
    committed = pd.read_csv(RESULTS / folder / "tuning.csv", index_col="point")
    derived = summarise(pd.read_csv(RESULTS / folder / "tuning_runs.csv"))
    assert list(committed.columns) == list(derived.columns), f"{folder}/tuning.csv: columns {list(committed)}"
    _assert_same(committed, derived, f"{folder}/tuning.csv")
    written = (RESULTS / folder / "tuning.md").read_text(encoding="utf-8")  # as tune.write_tables writes it
    assert _table_rows(written) == _table_rows(markdown_table(derived)), f"{folder}/tuning.md"


@pytest.mark.parametrize("folder", _folders("paired_seeds.csv", "paired_runs.csv") + sorted(POOLED))
def test_a_committed_comparison_over_seeds_is_the_one_its_users_give(folder: str) -> None:
    sources = POOLED.get(folder, [folder])
    runs = pool_tables([pd.read_csv(RESULTS / source / "paired_runs.csv") for source in sources])
    committed = pd.read_csv(RESULTS / folder / "paired_seeds.csv")
    derived = over_seeds(runs)
    assert list(committed.columns) == list(derived.columns), (
        f"{folder}/paired_seeds.csv: columns {list(committed)}"
    )
    _assert_same(committed, derived, f"{folder}/paired_seeds.csv")


# each kind of summary table -> the per-run rows beside it that the tests here derive it from
SOURCES = {
    "leaderboard.csv": "runs.csv",
    "leaderboard.md": "runs.csv",
    "tuning.csv": "tuning_runs.csv",
    "tuning.md": "tuning_runs.csv",
    "paired_seeds.csv": "paired_runs.csv",
    "paired.md": "paired_runs.csv",
    "rescored.md": "rescored_runs.csv",
    "time_to_target.md": "time_to_target.csv",
}


def test_every_committed_summary_table_is_checked() -> None:
    # the tests above are parametrised over the tables that have their rows beside them: a table without (but the
    # pooled ones, POOLED) would be left out silently
    unchecked = {
        str(path.relative_to(RESULTS))
        for table, source in SOURCES.items()
        for path in RESULTS.rglob(table)
        if not (path.parent / source).exists()
    }
    unchecked -= {f"{folder}/paired_seeds.csv" for folder in POOLED}
    assert not unchecked, (
        f"summary tables without the rows they are derived from beside them: {sorted(unchecked)}"
    )


@pytest.mark.parametrize("folder", _folders("rescored.md", "rescored_runs.csv"))
def test_a_committed_rescoring_table_is_the_one_its_runs_give(folder: str) -> None:
    derived = rescore.markdown(pd.read_csv(RESULTS / folder / "rescored_runs.csv"))
    assert (RESULTS / folder / "rescored.md").read_text(encoding="utf-8") == derived, f"{folder}/rescored.md"


@pytest.mark.parametrize("folder", _folders("time_to_target.md", "time_to_target.csv"))
def test_a_committed_time_to_target_table_is_the_one_its_runs_give(folder: str) -> None:
    # the machine, device and load the header names are not in the CSV: they are read back from the header
    written = (RESULTS / folder / "time_to_target.md").read_text(encoding="utf-8")
    found = re.search(r"^Machine: (.+), device (\S+), load average at start (\S+)\. ", written, re.MULTILINE)
    assert found, f"{folder}/time_to_target.md: no header naming the machine"
    table = pd.read_csv(RESULTS / folder / "time_to_target.csv")
    table.attrs |= {"machine": found[1], "device": found[2], "load": float(found[3])}
    assert written == time_to_target.markdown(table), f"{folder}/time_to_target.md"


@pytest.mark.parametrize("folder", _folders("paired.md", "paired_runs.csv"))
def test_a_committed_comparison_table_is_the_one_its_rows_give(folder: str) -> None:
    # paired.md's rows user by user, as paired.markdown writes paired_runs.csv's rows (its headings quote
    # levels computed from the run folders, not committed), and its table from seed to seed where it has one (the
    # tables written before that table existed have not)
    runs = pd.read_csv(RESULTS / folder / "paired_runs.csv", dtype={"seed": str})
    written = (RESULTS / folder / "paired.md").read_text(encoding="utf-8")
    derived = [users_row(row) for _, row in runs.iterrows()]
    if "## From seed to seed" in written:
        derived += _table_rows("\n".join(seeds_markdown(over_seeds(runs))))
    heads = ("| model |", "|---")
    assert sorted(row for row in _table_rows(written) if not row.startswith(heads)) == sorted(
        row for row in derived if not row.startswith(heads)
    ), f"{folder}/paired.md"


def test_the_book_build_table_sums_up_the_committed_build_records() -> None:
    # book_build_times.csv, which the text quotes, holds one row per committed JSON record, as book_build_time.py
    # wrote it from that record
    records = [
        json.loads(path.read_text(encoding="utf-8")) for path in sorted(RESULTS.glob("book_build/*.json"))
    ]
    rows = csv_rows("book_build/book_build_times.csv")
    derived = [{key: str(value) for key, value in table_row(record).items()} for record in records]
    assert rows == derived, "book_build_times.csv does not sum up the JSON records beside it"
