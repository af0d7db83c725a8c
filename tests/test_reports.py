"""``sslrec report`` and `sslrec_utils.reports`: parameter checks, the tables and the conclusion, and whole reports
(executed notebook, offline HTML, metrics.json) on MovieLens-100K and on a CSV with unusual columns.

The whole-report tests execute ``notebooks/report.ipynb`` with tiny parameters and are marked ``slow`` (each
well under a minute on two cores); ``pytest -m "not slow"`` leaves them out.
"""

from __future__ import annotations

import ast
import json
import math
import os
import re
import stat
import sys
import tempfile
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sslrec_utils import experiment, reports
from sslrec_utils.cli import main
from sslrec_utils.config import ConfigError
from sslrec_utils.data import movielens
from sslrec_utils.experiment import RUN_SIGNATURE
from sslrec_utils.recommend import TrainedRecommender
from tests.helpers import clustered_interactions

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import check_offline  # noqa: E402  (scripts/ is not a package)

needs_ml100k = pytest.mark.skipif(
    movielens.recbole_ml100k_dir() is None and not (movielens.default_data_dir() / "ml-100k").is_dir(),
    reason="needs MovieLens-100K offline (the data cache or recbole==1.2.1 as the data carrier)",
)
SHOP_COLUMNS = ["--sep", ";", "--user-col", "customer", "--item-col", "product"]
SHOP_COLUMNS += ["--rating-col", "stars", "--time-col", "when"]


@pytest.fixture(scope="module")
def shop_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small shop log: ``customer;product;stars;when``, string IDs, dates as text; customers in 3 clusters."""
    frame = clustered_interactions(n_users=150, n_items=60, per_user=15, seed=1).frame
    when = pd.Timestamp("2024-01-01") + pd.to_timedelta(frame["timestamp"], unit="s")
    shop = pd.DataFrame(
        {
            "customer": [f"C{u:04d}" for u in frame["user"]],
            "product": [f"P-{i:03d}" for i in frame["item"]],
            "stars": frame["rating"],
            "when": when.dt.strftime("%Y-%m-%d %H:%M:%S"),
        }
    )
    path = tmp_path_factory.mktemp("shop") / "shop.csv"
    shop.to_csv(path, sep=";", index=False)
    return path


def run(argv: list[str], capsys: pytest.CaptureFixture) -> tuple[int, str, str]:
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def leftovers(folder: Path) -> list[str]:
    """Temporary report folders left next to the reports."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def assert_offline_html(path: Path) -> str:
    """The page loads nothing from the internet (the book's own checker), embeds its figures, shows no error."""
    html = path.read_text(encoding="utf-8")
    scan = check_offline.PageScan()
    scan.feed(html)
    assert [u for u in scan.loads if check_offline.is_remote(u)] == []
    assert [u for s in scan.inline_styles for u in check_offline.CSS_REMOTE.findall(s)] == []
    assert scan.errors == [] and not scan.raw_mermaid
    assert not scan.has_math, "the report has no math, so it must not need MathJax"
    assert reports.remote_resources(html) == []
    assert "cdnjs" not in html and "unpkg" not in html and "jsdelivr" not in html
    assert html.count('src="data:image/png;base64,') == 3  # long tail and activity, leaderboard, curves
    return html


# ---- parameters (fast) -------------------------------------------------------------------------------------


def test_dataclass_defaults_are_the_notebook_defaults() -> None:
    nb = json.loads(reports.NOTEBOOK.read_text(encoding="utf-8"))
    (cell,) = [c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", [])]
    tree = ast.parse("".join(cell["source"]))
    values = {node.targets[0].id: ast.literal_eval(node.value) for node in tree.body}
    assert values == reports.ReportParams().to_notebook()
    assert tuple(values) == reports.PARAMETER_NAMES


def test_strings_are_parsed_for_each_parameter_type() -> None:
    params = reports.ReportParams.from_parameters(
        {"models": "pop, ease", "KS": "[5, 10]", "Seeds": "1,2,3", "EPOCHS": "3", "THRESHOLD": "4"}
        | {"RATING_COL": "stars", "TIME_COL": "None", "DATASET": "2020.csv", "TITLE": "My shop", "SEP": ";"}
    )
    assert params.models == ("pop", "ease") and params.ks == (5, 10) and params.seeds == (1, 2, 3)
    assert (params.epochs, params.threshold, params.rating_col, params.time_col) == (3, 4.0, "stars", None)
    assert (params.dataset, params.title, params.sep) == ("2020.csv", "My shop", ";")
    assert params.metric == "ndcg@5"
    assert reports.ReportParams.from_parameters({"KS": "20"}).ks == (20,)
    # values that are already typed (from the notebook's globals) pass as they are
    assert reports.ReportParams.from_parameters({"MODELS": ["ease"], "EPOCHS": 2}).models == ("ease",)
    # a number where Papermill's -p typed one (`-p SEEDS 2021`): one seed, one cut-off, a title, a threshold
    params = reports.ReportParams.from_parameters({"SEEDS": 2021, "KS": 10, "TITLE": 2024, "THRESHOLD": 4})
    assert (params.seeds, params.ks, params.title, params.threshold) == ((2021,), (10,), "2024", 4.0)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"MODELS": "pop,foo"}, "unknown model(s) ['foo'] in MODELS; valid models: ['ae', 'autorec'"),
        ({"MODELS": ""}, "MODELS is empty"),
        ({"MODELS": "ease,ease"}, "MODELS lists ['ease'] more than once"),
        ({"FOO": "1"}, "unknown report parameter 'FOO'; valid: DATASET, USER_COL, ITEM_COL"),
        ({"MODLES": "pop"}, "unknown report parameter 'MODLES'; valid: DATASET"),
        ({"MODLES": "pop"}, "; did you mean 'MODELS'?"),
        ({"MODELS": "pop,sasrc"}, "unknown model(s) ['sasrc'] in MODELS; valid models: ['ae'"),
        ({"MODELS": "pop,sasrc"}, "]; did you mean 'sasrec'?"),
        ({"EPOCHS": "0"}, "EPOCHS must be >= 1, got 0"),
        ({"EPOCHS": "many"}, "EPOCHS expects an integer, got 'many'"),
        ({"EPOCHS": "2.5"}, "EPOCHS expects an integer, got '2.5'"),
        ({"KS": "10,0"}, "KS must be >= 1"),
        ({"SEEDS": "1,1"}, "SEEDS lists ['1'] more than once"),
        ({"SPLIT": "random"}, "unknown SPLIT='random' (valid: holdout, loo, strong, time)"),
        ({"SPLIT": "lo"}, "; did you mean 'loo'?"),
        ({"THRESHOLD": "high"}, "THRESHOLD expects a number or None, got 'high'"),
        ({"MIN_USER": "-1"}, "MIN_USER must be >= 0"),
        ({"MIN_ITEM": "-2"}, "MIN_ITEM must be >= 0, got -2"),
        ({"TIES": "time"}, "unknown TIES='time'; valid: random, row, item"),
        ({"TIE_SEED": "-1"}, "TIE_SEED must be >= 0, got -1"),
        ({"DEVICE": "gpu"}, "DEVICE: device 'gpu' is not a device"),
        ({"SEARCH": "maybe"}, "SEARCH expects true or false or None, got 'maybe'"),
        ({"DATASET": "shop.csv", "USER_COL": "id", "ITEM_COL": "id"}, "USER_COL and ITEM_COL are both 'id'"),
        (  # named before the data is read, by the notebook's names (`sslrec report --help` shows --time-col TIME_COL)
            {"DATASET": "shop.csv", "SPLIT": "loo"},
            "SPLIT='loo' is by time and needs a time column: give TIME_COL",
        ),
        (  # a mistyped file name is said first: a split by time would not be the only thing wrong
            {"DATASET": "shp.csv", "SPLIT": "loo"},
            "DATASET 'shp.csv' is neither a data set (ml-100k, ml-1m, ml-20m, synthetic:UxIxN) nor a file; did "
            "you mean 'shop.csv'?",
        ),
        (  # the data's checks are DataSpec's, so a report refuses what its runs would refuse
            {"DATASET": "shop.csv", "THRESHOLD": "4"},
            "THRESHOLD=4.0 needs a rating column: give RATING_COL",
        ),
        (
            {"USER_COL": "who", "SEP": ";"},
            "USER_COL='who', SEP=';' describe a file, but 'ml-100k' is not one",
        ),
    ],
)
def test_bad_parameters_are_named(
    values: dict[str, str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "shop.csv").write_text("id,what\n1,2\n")
    with pytest.raises(ConfigError) as err:
        reports.ReportParams.from_parameters(values)
    assert message in str(err.value)


def test_the_order_of_ties_reaches_the_data_and_the_description() -> None:
    params = reports.ReportParams.from_parameters({"TIES": "row", "TIE_SEED": "3", "SPLIT": "loo"})
    spec = params.data_spec(seed=7)
    assert (spec.ties, spec.tie_seed, spec.split, spec.seed) == ("row", 3, "loo", 7)
    assert "with equal timestamps ordered by file row" in reports.describe(params)
    default = reports.ReportParams(split="time", models=("pop", "sasrec"))
    assert (default.data_spec().ties, default.data_spec().tie_seed) == ("random", 0)
    assert "ordered at random (tie seed 0)" in reports.describe(default)
    # the holdout, strong and time splits do not depend on the order of ties, nor do models without sequences
    for split in ("holdout", "strong", "time"):
        assert "equal timestamps" not in reports.describe(reports.ReportParams(split=split, ties="item"))


@pytest.fixture
def recorded_report(monkeypatch: pytest.MonkeyPatch) -> list[tuple[reports.ReportParams, dict]]:
    """`sslrec report` with `run_report` replaced by a recorder of its parameters and options, which then fails."""
    seen: list[tuple[reports.ReportParams, dict]] = []

    def fake_run_report(params: reports.ReportParams, out: str, **options: object) -> None:
        seen.append((params, options))
        raise reports.ReportExecutionError("stopped by the test")

    monkeypatch.setattr(reports, "check_data", lambda params: None)
    monkeypatch.setattr(reports, "run_report", fake_run_report)
    return seen


def test_the_tie_flags_of_report_become_its_parameters(
    recorded_report: list, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    argv = ["report", "--data", "ml-100k", "--split", "loo", "--ties", "item", "--tie-seed", "5"]
    status, _, err = run([*argv, "--out", str(tmp_path / "r"), "-q"], capsys)
    assert status == 1 and "stopped by the test" in err
    params, _ = recorded_report[0]
    assert (params.ties, params.tie_seed) == ("item", 5)
    status, _, err = run([*argv[:5], "--ties", "time", "--out", str(tmp_path / "r"), "-q"], capsys)
    assert status == 2 and "argument --ties: invalid choice: 'time'" in err


def test_the_file_flags_and_options_of_report_reach_it(recorded_report: list, tmp_path: Path, capsys) -> None:
    log = tmp_path / "log.csv"
    log.write_text("user,item,stars\n1,1,5\n1,2,3\n2,1,4\n")
    argv = ["report", "--data", str(log), "--rating-col", "stars", "--threshold", "3.5", "--min-item", "2"]
    options = ["--force", "--keep-runs", "--hide-code", "--timeout", "7"]
    assert run([*argv, *options, "--out", str(tmp_path / "r"), "-q"], capsys)[0] == 1
    params, given = recorded_report[0]
    assert (params.threshold, params.min_item, params.min_user) == (3.5, 2, 0)
    assert given["force"] is given["keep_runs"] is given["hide_code"] is True and given["timeout_s"] == 7


def test_a_report_timeout_of_zero_is_a_usage_error(recorded_report: list, tmp_path: Path, capsys) -> None:
    status, _, err = run(
        ["report", "--data", "ml-100k", "--out", str(tmp_path / "r"), "-q", "--timeout", "0"], capsys
    )
    assert status == 2 and "--timeout takes a positive number of seconds" in err and recorded_report == []


@pytest.mark.parametrize("stop", [TimeoutError("a cell ran too long"), KeyboardInterrupt()])
def test_a_report_that_fails_after_training_leaves_no_runs_behind(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, stop: BaseException
) -> None:
    # the notebook makes its runs' temporary folder in TEMP_DIR, which run_report sets to ".", the staging folder the notebook runs in:
    # a cell that fails (or Ctrl-C) after the models were trained takes the runs with it
    import papermill

    made = []

    def fake_execute(notebook: str, executed: str, parameters: dict, cwd: str, **_: object) -> None:
        runs = Path(tempfile.mkdtemp(prefix="sslrec-report-", dir=Path(cwd) / parameters["TEMP_DIR"]))
        (runs / "pop-seed2020").mkdir()
        (runs / "pop-seed2020" / "checkpoint.pt").write_bytes(b"weights")
        made.append(runs)
        raise stop

    monkeypatch.setattr(reports, "check_data", lambda params: None)
    monkeypatch.setattr(papermill, "execute_notebook", fake_execute)
    params = reports.ReportParams.from_parameters({"MODELS": "pop"})
    with pytest.raises((reports.ReportExecutionError, KeyboardInterrupt)):
        reports.run_report(params, tmp_path / "report", progress=False)
    assert made and made[0].parent.parent == tmp_path  # made beside the report, in its staging folder
    assert not made[0].exists() and leftovers(tmp_path) == [] and not (tmp_path / "report").exists()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"EPOCHS": "1e20"}, "EPOCHS must be < 2**63, got 100000000000000000000"),
        ({"EPOCHS": str(2**63)}, f"EPOCHS must be < 2**63, got {2**63}"),
        ({"N_EXAMPLE_USERS": str(2**63)}, "N_EXAMPLE_USERS must be < 2**63"),
        ({"MIN_USER": str(2**63)}, "MIN_USER must be < 2**63"),
        ({"MIN_ITEM": "1e19"}, "MIN_ITEM must be < 2**63"),
        ({"SEEDS": f"1,{2**64}"}, f"SEEDS must be < 2**63, got {2**64}"),
        ({"SEEDS": "-1"}, "SEEDS must be >= 0, got -1"),
        ({"TIE_SEED": str(2**64)}, f"TIE_SEED must be < 2**63, got {2**64}"),
    ],
)
def test_counts_and_seeds_beyond_64_bits_are_refused_up_front(values: dict[str, str], message: str) -> None:
    # torch, NumPy and tqdm hold them in 64-bit integers: refused here, not by a cell of the notebook
    with pytest.raises(ConfigError) as err:
        reports.ReportParams.from_parameters({"DATASET": "synthetic:50x40x800", **values})
    assert str(err.value).startswith(message)
    assert reports.ReportParams.from_parameters({"EPOCHS": str(2**63 - 1)}).epochs == 2**63 - 1


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"SEARCH": "maybe"}, "SEARCH expects true or false or None, got 'maybe'"),
        ({"SEARCH": "1"}, "SEARCH expects true or false or None, got '1'"),
        ({"SEARCH": 1}, "SEARCH expects true or false or None, got '1'"),  # Papermill's -p SEARCH 1
        ({"SEARCH": [True]}, "SEARCH expects true or false or None, got [True]"),
        ({"THRESHOLD": "abc"}, "THRESHOLD expects a number or None, got 'abc'"),
        ({"THRESHOLD": "true"}, "THRESHOLD expects a number or None, got 'true'"),
        ({"THRESHOLD": "[4]"}, "THRESHOLD expects a number or None, got '[4]'"),
        ({"THRESHOLD": True}, "THRESHOLD expects a number or None, got True"),
        ({"EPOCHS": "x"}, "EPOCHS expects an integer, got 'x'"),
        ({"EPOCHS": "None"}, "EPOCHS expects an integer, got 'None'"),
        ({"EPOCHS": None}, "EPOCHS expects an integer, got None"),
        ({"TITLE": ["a"]}, "TITLE expects a string, got ['a']"),
        ({"RATING_COL": ["a"]}, "RATING_COL expects a string or None, got ['a']"),
    ],
)
def test_type_errors_read_the_same_for_every_parameter(values: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        reports.ReportParams.from_parameters(values)
    assert str(err.value) == message


# ---- RUNS_DIR, TEMP_DIR and --keep-runs (fast: Papermill replaced) ------------------------------------------


def fake_papermill(monkeypatch: pytest.MonkeyPatch, seen: list[dict]) -> None:
    """Papermill replaced by a notebook that writes each run folder's config.json and glues its parameters into
    metrics.json as the report notebook does; `seen` gets the parameters."""
    import nbformat
    import papermill

    def fake_execute(notebook: str, executed: str, parameters: dict, cwd: str, **_: object) -> None:
        seen.append({**parameters, "cwd": cwd})
        if parameters["RUNS_DIR"] is not None:
            for model in parameters["MODELS"]:
                run = Path(cwd, parameters["RUNS_DIR"]) / f"{model}-seed{parameters['SEEDS'][0]}"
                run.mkdir(parents=True, exist_ok=True)
                (run / "config.json").write_text(json.dumps(dict.fromkeys(RUN_SIGNATURE[1], 1)))
        metrics = {"title": "t", "parameters": parameters, "best_model": "pop"}
        glued = nbformat.v4.new_output(
            "display_data",
            data={"application/papermill.record/text/plain": repr(json.dumps(metrics))},
            metadata={
                "scrapbook": {"name": reports.METRICS_GLUE, "mime_prefix": "application/papermill.record/"}
            },
        )
        cells = [
            nbformat.v4.new_markdown_cell("# Report"),
            nbformat.v4.new_code_cell("glue()", outputs=[glued]),
        ]
        nbformat.write(nbformat.v4.new_notebook(cells=cells), executed)

    monkeypatch.setattr(reports, "check_data", lambda params: None)
    monkeypatch.setattr(papermill, "execute_notebook", fake_execute)


def test_a_runs_dir_holding_the_reports_runs_needs_force(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seen: list[dict] = []
    fake_papermill(monkeypatch, seen)
    runs = tmp_path / "runs"
    params = reports.ReportParams.from_parameters({"MODELS": "pop,ease", "RUNS_DIR": str(runs)})
    reports.run_report(params, tmp_path / "first", progress=False)
    earlier = dict.fromkeys(RUN_SIGNATURE[1], 1) | {"old": 1}
    (runs / "ease-seed2020" / "config.json").write_text(json.dumps(earlier))
    with pytest.raises(ValueError) as err:
        reports.run_report(params, tmp_path / "second", progress=False)
    assert str(err.value) == (
        f"RUNS_DIR '{runs}' already holds pop-seed2020, ease-seed2020; choose another RUNS_DIR, or pass --force "
        "to replace those runs"
    )
    assert len(seen) == 1 and not (tmp_path / "second").exists()
    assert "old" in json.loads((runs / "ease-seed2020" / "config.json").read_text())
    reports.run_report(params, tmp_path / "second", progress=False, force=True)  # earlier runs: replaced
    assert len(seen) == 2 and "old" not in json.loads((runs / "ease-seed2020" / "config.json").read_text())
    # a user's own folder of a run's name is never replaced; nor is a run folder made inside the report
    (runs / "pop-seed2021").mkdir()
    (runs / "pop-seed2021" / "notes.txt").write_text("mine")
    params = params.replace(seeds=(2021,))
    with pytest.raises(
        ValueError, match=r"holds pop-seed2021, which the report would write but which are not"
    ):
        reports.run_report(params, tmp_path / "third", progress=False, force=True)
    # a folder that holds only what systems add to any folder is free, with or without --force
    (runs / "ease-seed2021").mkdir()
    (runs / "ease-seed2021" / ".DS_Store").write_text("")
    reports.check_folders(params.replace(models=("ease",)))
    params = params.replace(runs_dir=str(tmp_path / "third" / "runs"))
    with pytest.raises(
        ValueError, match=r"lies in the report folder, which is replaced as a whole; use --keep"
    ):
        reports.run_report(params, tmp_path / "third", progress=False)
    assert len(seen) == 2 and not (tmp_path / "third").exists()


def test_keep_runs_and_a_runs_dir_are_refused_together(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seen: list[dict] = []
    fake_papermill(monkeypatch, seen)
    params = reports.ReportParams.from_parameters({"MODELS": "pop", "RUNS_DIR": str(tmp_path / "runs")})
    with pytest.raises(ValueError, match=r"^give --keep-runs \(runs kept in the report folder\) or RUNS_DIR"):
        reports.run_report(params, tmp_path / "report", keep_runs=True, progress=False)
    assert seen == [] and sorted(p.name for p in tmp_path.iterdir()) == []


def test_temp_dir_is_checked_before_anything_runs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seen: list[dict] = []
    fake_papermill(monkeypatch, seen)
    (tmp_path / "a-file").write_text("")
    for temp_dir, what in (("missing", "does not exist"), ("a-file", "is a file")):
        params = reports.ReportParams.from_parameters({"MODELS": "pop", "TEMP_DIR": str(tmp_path / temp_dir)})
        with pytest.raises(ValueError) as err:
            reports.run_report(params, tmp_path / "report", progress=False)
        assert str(err.value) == (
            f"TEMP_DIR '{tmp_path / temp_dir}' {what}; give an existing folder, or None for the system's"
        )
    runs_dir = str(tmp_path / "a-file" / "runs")
    with pytest.raises(
        ValueError, match=r"^RUNS_DIR '.*/a-file/runs' cannot be a folder: .*/a-file is a file$"
    ):
        reports.check_folders(reports.ReportParams.from_parameters({"RUNS_DIR": runs_dir}))
    assert seen == [] and not (tmp_path / "report").exists()


def test_metrics_record_the_temp_dir_given_not_the_staging_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seen: list[dict] = []
    fake_papermill(monkeypatch, seen)
    files = reports.run_report(reports.ReportParams(models=("pop",)), tmp_path / "report", progress=False)
    # the runs' temporary folder goes with the staging folder, the one the notebook runs in; its path, gone
    # once the report is written, is not among the parameters the report shows
    assert seen[0]["TEMP_DIR"] == "."
    staging = Path(seen[0]["cwd"])
    assert staging.parent == tmp_path and staging.name.startswith(".report.") and not staging.exists()
    assert json.loads(files.metrics.read_text())["parameters"]["TEMP_DIR"] is None
    (tmp_path / "temp").mkdir()
    params = reports.ReportParams(models=("pop",), temp_dir=str(tmp_path / "temp"))
    files = reports.run_report(params, tmp_path / "report2", progress=False)
    assert seen[1]["TEMP_DIR"] == str(tmp_path / "temp")
    assert json.loads(files.metrics.read_text())["parameters"]["TEMP_DIR"] == str(tmp_path / "temp")


# ---- tables and conclusion (fast) ----------------------------------------------------------------------


def record(model: str, seed: int, ndcg: float, best_epoch: int = 0, epochs: int = 0) -> dict:
    test = {"ndcg@10": ndcg, "recall@10": 2 * ndcg, "ndcg@20": ndcg + 0.01, "recall@20": 2 * ndcg + 0.1}
    return {
        "model": model,
        "seed": seed,
        "test": test,
        "best_epoch": best_epoch,
        "epochs": epochs,
        "search_seconds": 1.0,
        "n_test_users": 900,
    }


def test_leaderboard_means_stds_lift_and_order() -> None:
    records = [
        record("pop", 1, 0.10),
        record("ease", 1, 0.30),
        record("pop", 2, 0.12),
        record("ease", 2, 0.34),
    ]
    board = reports.leaderboard(records, [10, 20])
    assert board["model"].tolist() == ["ease", "pop"] and board["rank"].tolist() == [1, 2]
    ease = board.iloc[0]
    assert ease["ndcg@10_mean"] == pytest.approx(0.32) and ease["seeds"] == 2
    assert ease["ndcg@10_std"] == pytest.approx(np.std([0.30, 0.34], ddof=1))
    assert ease["recall@20_mean"] == pytest.approx(0.74)
    assert ease["lift_over_pop"] == pytest.approx(0.32 / 0.11 - 1)
    shown = reports.format_leaderboard(board)
    assert shown.loc[1, "ndcg@10"] == "0.3200 ± 0.0283" and shown.loc[1, "vs pop"] == "+191%"
    single = reports.leaderboard([record("ease", 1, 0.3)], [10])
    assert math.isnan(single["ndcg@10_std"].iloc[0]) and math.isnan(single["lift_over_pop"].iloc[0])
    assert reports.format_leaderboard(single).loc[1, "ndcg@10"] == "0.3000"
    # the best epoch is a mean over seeds: whole ones shown as integers, not 2.0
    epochs = reports.leaderboard(
        [record("ae", 1, 0.3, best_epoch=2), record("ae", 2, 0.3, best_epoch=3)], [10]
    )
    assert reports.format_leaderboard(single).loc[1, "best epoch"] == "0"
    assert reports.format_leaderboard(epochs).loc[1, "best epoch"] == "2.5"


def test_conclusion_is_written_from_the_numbers() -> None:
    params = reports.ReportParams(models=("pop", "ease", "multvae"), seeds=(1, 2), epochs=5)
    records = [record("pop", s, 0.10 + 0.01 * s) for s in (1, 2)]
    records += [record("ease", s, 0.30 + 0.01 * s) for s in (1, 2)]
    records += [record("multvae", s, 0.20, best_epoch=5, epochs=5) for s in (1, 2)]
    text = reports.conclusion(reports.leaderboard(records, [10]), records, {}, params)
    assert text.startswith("**ease** ranks first by NDCG@10 on 900 test users: 0.3150 ± 0.0071")
    assert "so **ease** is +174% relative to popularity" in text
    assert (
        "runner-up, **multvae** (0.2000 ± 0.0000), is 0.1150, 16.3 times the larger seed-to-seed std" in text
    )
    assert "**multvae** still improved at the last allowed epoch (5)" in text
    assert "With 900 test users" in text
    # a tie, and no popularity baseline
    tied = [record("ease", s, 0.30 + 0.02 * s) for s in (1, 2)] + [record("bpr", s, 0.325) for s in (1, 2)]
    params = reports.ReportParams(models=("ease", "bpr"), seeds=(1, 2))
    text = reports.conclusion(reports.leaderboard(tied, [10]), tied, {}, params)
    assert "within the seed-to-seed std" in text and "No popularity baseline was run" in text
    # seeds that change nothing (a deterministic split, closed-form models): no spread to judge a lead by
    same = [record("ease", s, 0.22) for s in (1, 2)] + [record("pop", s, 0.19) for s in (1, 2)]
    params = reports.ReportParams(models=("ease", "pop"), seeds=(1, 2))
    text = reports.conclusion(reports.leaderboard(same, [10]), same, {}, params)
    assert "is 0.0300 (16% of its score). Each model scored the same on all 2 seeds" in text
    assert "tie" not in text
    # popularity wins; one seed
    params = reports.ReportParams(models=("pop", "ease"), seeds=(1,))
    lost = [record("pop", 1, 0.2), record("ease", 1, 0.1)]
    text = reports.conclusion(reports.leaderboard(lost, [10]), lost, {}, params)
    assert "No model beat the popularity baseline: the data may carry little" in text  # ease has no epochs
    assert "is 0.1000 (100% of its score)" in text
    assert "With one seed the report cannot measure how much the choice of seed moves the scores" in text
    lost += [record("multdae", 1, 0.15, epochs=10), record("sasrec", 1, 0.05, epochs=10)]
    text = reports.conclusion(reports.leaderboard(lost, [10]), lost, {}, params)
    assert "baseline: **multdae** and **sasrec** may be undertrained (raise EPOCHS) or the data may" in text
    alone = [record("pop", 1, 0.2)]  # no model to beat it: nothing is said to have lost
    text = reports.conclusion(reports.leaderboard(alone, [10]), alone, {}, params)
    assert "Popularity alone was run: add personalised models" in text and "beat" not in text
    close = [record("ease", 1, 0.300), record("multdae", 1, 0.295)]
    text = reports.conclusion(reports.leaderboard(close, [10]), close, {}, params)
    assert "is 0.0050 (2% of its score). With one seed the report cannot tell so small a lead" in text
    # a sequence model on a file read without a time column: its order is the ties' order, and the report says so
    runs = [record("sasrec", 1, 0.2), record("pop", 1, 0.1)]
    unordered = reports.ReportParams(dataset="shop.csv", models=("sasrec", "pop"), seeds=(1,))
    text = reports.conclusion(reports.leaderboard(runs, [10]), runs, {}, unordered)
    assert "**sasrec** read each user's history in time order, but the file was read without a time" in text
    assert "ordered at random (tie seed 0)" in text
    for fine in (unordered.replace(time_col="when"), unordered.replace(dataset="ml-100k")):
        assert "without a time column" not in reports.conclusion(
            reports.leaderboard(runs, [10]), runs, {}, fine
        )
    # a time column that holds one time per user (a date without its hours) had given no caveat
    one_day = unordered.replace(time_col="when")
    text = reports.conclusion(reports.leaderboard(runs, [10]), runs, {}, one_day, time_ordered=False)
    assert (
        "**sasrec** read each user's history in time order, but the time column (TIME_COL) gives all" in text
    )
    assert "order is the one TIES sets (a user's interactions with equal timestamps ordered at random" in text
    no_sequences = [record("ease", 1, 0.2), record("pop", 1, 0.1)]
    params = one_day.replace(models=("ease", "pop"))
    text = reports.conclusion(
        reports.leaderboard(no_sequences, [10]), no_sequences, {}, params, time_ordered=False
    )
    assert "TIME_COL" not in text
    # leave-one-out chooses its held-out items by the ties' order too, whatever the models
    loo = params.replace(split="loo")
    text = reports.conclusion(
        reports.leaderboard(no_sequences, [10]), no_sequences, {}, loo, time_ordered=False
    )
    assert (
        "The loo split holds out each user's latest interactions, but the time column (TIME_COL) gives"
        in text
    )
    assert (
        "last in the order TIES sets (a user's interactions with equal timestamps ordered at random" in text
    )
    text = reports.conclusion(reports.leaderboard(no_sequences, [10]), no_sequences, {}, loo)
    assert "The loo split" not in text


def test_conclusion_of_degenerate_data_says_nothing_false() -> None:
    """Popularity scoring 0 had given '+nan%' and 'inf%'; equal scores a 'lead' of 0.0000; one test user the
    caveat about 'a few thousandths' of 1 test users; one epoch 'still improved'; a title its HTML."""
    params = reports.ReportParams(models=("ease", "pop"), seeds=(1,), epochs=1)
    few = [record("ease", 1, 0.03, best_epoch=1, epochs=1), record("pop", 1, 0.0)]
    for r in few:
        r["n_test_users"] = 1
    text = reports.conclusion(reports.leaderboard(few, [10]), few, {}, params)
    assert "nan%" not in text and "inf%" not in text
    assert "**ease** gains what popularity cannot: no relative figure divides by a score of 0" in text
    assert "is 0.0300 (the runner-up scores 0)" in text
    assert "on 1 test user:" in text and "With 1 test user, even large differences may not survive" in text
    assert "still improved" not in text  # one epoch says nothing about the next, but the score is low
    assert "**ease** trained for one epoch only (EPOCHS=1): its score is likely a lower bound; raise" in text
    tied = [record("ease", 1, 0.3), record("itemknn", 1, 0.3), record("pop", 1, 0.1)]
    text = reports.conclusion(
        reports.leaderboard(tied, [10]), tied, {}, params.replace(models=("ease", "itemknn"))
    )
    assert "**itemknn** (0.3000), scores the same to four digits: a tie on this data, **ease** listed" in text
    nothing = [record("ease", 1, 0.0), record("pop", 1, 0.0)]
    text = reports.conclusion(reports.leaderboard(nothing, [10]), nothing, {}, params)
    assert "so **ease** scores 0 as well: no model put a held-out item in its lists" in text
    titled = reports.describe(params.replace(title="Shop Q1 & <test>"))
    assert "**Shop Q1 &amp; &lt;test&gt;.**" in titled


def test_temp_dir_is_checked_on_its_own(tmp_path) -> None:
    # the notebook run by Papermill had loaded the data, then failed in its runs cell with a FileNotFoundError
    with pytest.raises(ValueError, match="TEMP_DIR '/no/such/folder' does not exist"):
        reports.check_temp_dir(reports.ReportParams(temp_dir="/no/such/folder"))
    reports.check_temp_dir(reports.ReportParams(temp_dir=str(tmp_path)))
    reports.check_temp_dir(reports.ReportParams())


def test_metrics_are_json_safe_and_read_back_from_a_glue() -> None:
    params = reports.ReportParams(models=("ease",))
    board = reports.leaderboard([record("ease", 1, 0.3)], [10])
    metrics = reports.report_metrics(params, {"n_users": np.int64(3)}, board, [record("ease", 1, 0.3)], "ok")
    text = json.dumps(metrics, allow_nan=False)  # NaN stds became null
    assert metrics["leaderboard"][0]["ndcg@10_std"] is None and metrics["data"]["n_users"] == 3
    output = {
        "output_type": "display_data",
        "metadata": {"scrapbook": {"name": "report_metrics", "mime_prefix": "application/papermill.record/"}},
        "data": {"application/papermill.record/text/plain": repr(text)},
    }
    nb = {"cells": [{"cell_type": "code", "outputs": [output]}]}
    assert reports.glued_json(nb) == json.loads(text)
    with pytest.raises(KeyError, match="recorded no 'other'"):
        reports.glued_json(nb, "other")
    lines = repr(text)  # a notebook may store a text as a list of lines (nbformat's multiline form)
    output["data"]["application/papermill.record/text/plain"] = [lines[:10], lines[10:]]
    assert reports.glued_json(nb) == json.loads(text)


def test_remote_resources_finds_what_a_browser_would_fetch() -> None:
    html = (
        '<style>@import url("https://x.example/b.css");</style>'
        '<script src="https://cdn.example/require.js"></script><a href="https://doi.org/x">paper</a>'
        "<link rel=stylesheet href=//fonts.example/a.css><img src='data:image/png;base64,AAAA'>"
        '<script type="module">await import("https://cdn.example/mermaid.mjs")</script>'
    )
    assert reports.remote_resources(html) == [  # in the order of the page
        "https://x.example/b.css",
        "https://cdn.example/require.js",
        "//fonts.example/a.css",
        "https://cdn.example/mermaid.mjs",
    ]


@pytest.mark.parametrize(
    "html",
    [
        '<SCRIPT SRC="https://cdn.example/a.js"></SCRIPT>',
        '<script type="module" src="https://cdn.example/a.js"></script>',  # not the first attribute
        '<img alt="a > b" src="https://cdn.example/a.js">',  # after a value holding ">"
        '<iframe src="//cdn.example/a.js"></iframe>',
        "<video src=https://cdn.example/a.js></video>",
        '<video poster="https://cdn.example/a.js"></video>',
        '<img srcset="local.png 1x, https://cdn.example/a.js 2x">',
        '<object data="https://cdn.example/a.js"></object>',
        '<input type="image" src="https://cdn.example/a.js">',
        '<svg><image href="https://cdn.example/a.js"/></svg>',
        '<style>@import "https://cdn.example/a.js";</style>',
        "<div style=\"background: URL('https://cdn.example/a.js')\"></div>",  # CSS is not case-sensitive
    ],
)
def test_remote_resources_sees_every_way_a_page_loads_a_url(html: str) -> None:
    assert reports.remote_resources(html) == [re.search(r"(?:https:)?//cdn\.example/a\.js", html).group(0)]


def test_remote_resources_leaves_links_and_local_paths_alone() -> None:
    html = (
        '<a href="https://doi.org/x">paper</a><area href="https://x.example/map">'
        '<img data-src="https://cdn.example/lazy.png" src="images//plot.png">'  # data-src is not src
    )
    assert reports.remote_resources(html) == []


def _glue_output() -> dict:
    """What scrapbook's ``glue`` leaves in a cell's outputs: a record the HTML export must leave out."""
    from nbformat.v4 import new_output

    return new_output(
        "display_data",
        data={"application/papermill.record/text/plain": "0.5"},
        metadata={"scrapbook": {"name": "x", "mime_prefix": "application/papermill.record/"}},
    )


def test_export_html_is_standalone(tmp_path: Path) -> None:
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    figure = new_output("display_data", data={"image/png": png, "text/plain": "<Figure>"})
    cells = [
        new_markdown_cell("# Template title\n\nText."),
        new_code_cell("plot_it()", outputs=[figure, _glue_output()]),
    ]
    source = tmp_path / "report.ipynb"
    nbformat.write(new_notebook(cells=cells), source)
    reports.export_html(source, tmp_path / "report.html", title="Shop <report>", hide_code=True)
    html = (tmp_path / "report.html").read_text()
    assert "<title>Shop &lt;report&gt;</title>" in html and "Template title" not in html
    assert ">Shop &lt;report&gt;<" in html.split("</title>", 1)[1]  # the heading too: the tag had vanished
    assert f'src="data:image/png;base64,{png}"' in html and "plot_it" not in html  # code hidden
    assert "papermill.record" not in html and reports.remote_resources(html) == []


def test_export_html_drops_a_glue_only_output_and_retitles_only_a_top_heading(tmp_path: Path) -> None:
    import warnings

    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    cells = [
        new_markdown_cell("## Setup"),
        new_markdown_cell("# Template"),
        new_code_cell("glue()", outputs=[_glue_output()]),
    ]
    source = tmp_path / "report.ipynb"
    nbformat.write(new_notebook(cells=cells), source)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nbconvert warns of a glue it cannot show
        reports.export_html(source, tmp_path / "report.html", title="Mine")
    html = (tmp_path / "report.html").read_text()
    assert "Setup" in html and "Template" not in html and ">Mine<" in html  # "## Setup" is not the title
    # the glue's cell is left without an output area
    assert re.search(r'class="[^"]*jp-CodeCell[^"]*jp-mod-noOutputs"', html)


def test_export_html_refuses_a_page_that_would_load_from_the_internet(tmp_path: Path) -> None:
    import nbformat
    from nbformat.v4 import new_markdown_cell, new_notebook

    source = tmp_path / "report.ipynb"
    nbformat.write(new_notebook(cells=[new_markdown_cell('<img src="https://x.example/a.png">')]), source)
    with pytest.raises(RuntimeError, match="would load https://x.example/a.png from the internet"):
        reports.export_html(source, tmp_path / "report.html")
    assert not (tmp_path / "report.html").exists()
    # widget state in a notebook's metadata: nbconvert's template would load the widget manager from a CDN, by
    # a URL its script builds (which remote_resources cannot see); the offline template leaves that block out
    widgets = {
        "application/vnd.jupyter.widget-state+json": {"state": {}, "version_major": 2, "version_minor": 0}
    }
    nb = new_notebook(cells=[new_markdown_cell("# T")])
    nb.metadata["widgets"] = widgets
    nbformat.write(nb, source)
    reports.export_html(source, tmp_path / "report.html")
    html = (tmp_path / "report.html").read_text()
    assert "html-manager" not in html and "jsdelivr" not in html and "unpkg" not in html


# ---- the command line: rejected before anything runs (fast) ------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--models", "pop,nosuch"], "unknown model(s) ['nosuch'] in --models; valid models: ['ae'"),
        (["--param", "LEARNING_RATE=0.1"], "unknown report parameter 'LEARNING_RATE'; valid: DATASET"),
        (["--epochs", "0"], "--epochs must be >= 1, got 0"),
        (["--param", "EPOCHS=0"], "EPOCHS must be >= 1, got 0"),
        (
            ["--user-col", "client"],
            "column 'client' (--user-col) missing from shop.csv; found: ['customer', 'produ",
        ),
        (["--time-col", "date"], "column 'date' (--time-col) missing from shop.csv; found: ['customer'"),
        (["--time-col", "When"], "missing from shop.csv; found: ['customer'"),
        (["--time-col", "When"], "]; did you mean 'when'?"),
        (["--data", "ml-10k"], "ml-10k' is neither a data set (ml-100k"),
        (["--data", "ml-10k"], "nor a file; did you mean 'ml-100k'?"),
        (["--data", "ML-100k"], "--data 'ML-100k' is neither a data set"),  # as typed, not made absolute
        (["--sep", ","], "found: ['customer;product;stars;when']; the file looks semicolon-separated"),
        (["--ks", "100"], "--ks=[100] asks for more items than the data has (60)"),
        (["--param", "KS=100"], "KS=[100] asks for more items than the data has (60)"),
        (["--threshold", "4"], "--threshold=4.0 needs a rating column: give --rating-col"),
        (["--param", "THRESHOLD=4"], "THRESHOLD=4.0 needs a rating column: give --rating-col"),
        (["--user-col", "KS"], "column 'KS' (--user-col) missing"),  # a quoted value is left as it is
        (["--rating-col", "customer"], "column 'customer' of shop.csv must be numeric; found 'C0000'"),
        (["--split", "strong", "--models", "bpr"], "['bpr'] score users by a learned ID"),
        (["--epochs", "2", "--param", "epochs=3"], "EPOCHS is given twice (by a flag and by --param)"),
        (["--param", "SEEDS=1", "--param", "seeds=2"], "SEEDS is given twice (by --param twice)"),
    ],
)
def test_bad_parameters_are_rejected_and_nothing_is_written(
    shop_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture, extra: list[str], message: str
) -> None:
    argv = [
        "report",
        "--data",
        str(shop_csv),
        "--sep",
        ";",
        "--user-col",
        "customer",
        "--item-col",
        "product",
    ]
    if "--user-col" in extra:
        argv = argv[:5] + argv[7:]
    out = tmp_path / "reports" / "shop"
    status, stdout, err = run([*argv, "--out", str(out), "-q", *extra], capsys)
    assert status == 2 and stdout == ""
    assert err.startswith("sslrec: error: ") and message in err and err.count("\n") == 1
    assert not (tmp_path / "reports").exists()


def test_a_strong_split_refuses_learned_user_ids_only(shop_csv: Path) -> None:
    # CDAE has a per-user vector but scores a new history without one: it can rank the strong split's users
    params = {"DATASET": str(shop_csv), "SEP": ";", "USER_COL": "customer", "ITEM_COL": "product"}
    params |= {"SPLIT": "strong", "MODELS": "cdae,multvae"}
    assert reports.check_data(reports.ReportParams.from_parameters(params))["n_users"] == 150
    with pytest.raises(ValueError, match=r"\['bpr'\] score users by a learned ID"):
        reports.check_data(reports.ReportParams.from_parameters({**params, "MODELS": "cdae,bpr"}))


def test_an_existing_report_is_kept_without_force(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "old"
    out.mkdir()
    (out / "metrics.json").write_text("{}")
    status, _, err = run(["report", "--data", "ml-100k", "--out", str(out), "-q"], capsys)
    assert status == 2 and "is not empty; choose another --out, or pass --force to replace it" in err
    assert [p.name for p in out.iterdir()] == ["metrics.json"]
    # --force replaces a report, never a folder that holds anything else
    (out / "thesis.tex").write_text("months of work")
    status, _, err = run(["report", "--data", "ml-100k", "--out", str(out), "-q", "--force"], capsys)
    assert status == 2 and "holds files this command did not write (thesis.tex)" in err
    assert sorted(p.name for p in out.iterdir()) == ["metrics.json", "thesis.tex"]


# ---- whole reports (slow: the notebook executes) ---------------------------------------------------------


@pytest.mark.slow
@needs_ml100k
def test_report_on_movielens(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "reports" / "ml"
    argv = ["report", "--data", "ml-100k", "--models", "pop,ease", "--seeds", "2020", "--no-search"]
    status, stdout, err = run([*argv, "--examples", "1", "--device", "cpu", "--out", str(out), "-q"], capsys)
    assert status == 0, err
    assert f"report written to {out}" in stdout
    assert sorted(p.name for p in out.iterdir()) == ["metrics.json", "report.html", "report.ipynb"]
    assert leftovers(out.parent) == []

    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["data"]["n_users"] == 943 and metrics["data"]["n_interactions"] == 100_000
    assert metrics["metric"] == "ndcg@10" and metrics["parameters"]["MODELS"] == ["pop", "ease"]
    assert metrics["parameters"]["SEARCH"] is False and metrics["parameters"]["DEVICE"] == "cpu"
    board = {row["model"]: row for row in metrics["leaderboard"]}
    assert set(board) == {"pop", "ease"} and metrics["best_model"] == "ease"
    assert 0.25 < board["ease"]["ndcg@10_mean"] < 0.40 and 0.10 < board["pop"]["ndcg@10_mean"] < 0.17
    assert 0.15 < board["ease"]["recall@20_mean"] <= 1 and board["ease"]["ndcg@10_std"] is None
    assert board["ease"]["lift_over_pop"] > 0.5
    assert [r["model"] for r in metrics["runs"]] == ["pop", "ease"] and metrics["runs"][0]["seed"] == 2020
    assert metrics["conclusion"].startswith("**ease** ranks first by NDCG@10")

    html = assert_offline_html(out / "report.html")
    assert "<title>Recommendation report</title>" in html and "The leaderboard" in html
    assert "ndcg@10</th>" in html and "Star Wars (1977)" in html  # leaderboard table, titled items
    # the parameters shown are the reader's: the runs' temporary folder was ".", not a staging path gone since
    executed = json.loads((out / "report.ipynb").read_text())
    (injected,) = [c for c in executed["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert 'TEMP_DIR = "."\n' in injected["source"] and ".report." not in html


@pytest.mark.slow
def test_report_on_a_csv_with_unusual_columns(shop_csv: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "shop"
    argv = ["report", "--data", str(shop_csv), *SHOP_COLUMNS, "--models", "pop,ease,multdae", "--ks", "5,10"]
    argv += ["--param", "EPOCHS=2", "--param", "TITLE=Shop report", "--keep-runs", "--device", "cpu"]
    status, _, err = run([*argv, "--out", str(out), "-q"], capsys)
    assert status == 0, err
    metrics = json.loads((out / "metrics.json").read_text())
    assert (metrics["data"]["n_users"], metrics["data"]["n_items"]) == (150, 60)
    assert metrics["metric"] == "ndcg@5" and metrics["parameters"]["USER_COL"] == "customer"
    board = {row["model"]: row for row in metrics["leaderboard"]}
    assert set(board) == {"pop", "ease", "multdae"}
    for row in board.values():
        assert 0 <= row["ndcg@5_mean"] <= row["ndcg@10_mean"] + 0.05 <= 1.05
        assert 0 <= row["recall@5_mean"] <= row["recall@10_mean"] <= 1
    # customers buy 90% from their cluster's products: any model that personalises beats popularity by far
    assert board["ease"]["ndcg@5_mean"] > 2 * board["pop"]["ndcg@5_mean"]
    assert next(r for r in metrics["runs"] if r["model"] == "multdae")["epochs"] == 2

    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o777 & ~umask  # shareable, not mkdtemp's private 0o700
    assert stat.S_IMODE((out / "metrics.json").stat().st_mode) == 0o666 & ~umask
    html = assert_offline_html(out / "report.html")
    assert "<title>Shop report</title>" in html and "User C0" in html and "P-0" in html
    # --keep-runs: each run is a directory sslrec recommend can load (string IDs round-trip)
    assert sorted(p.name for p in (out / "runs").iterdir()) == [
        "ease-seed2020",
        "multdae-seed2020",
        "pop-seed2020",
    ]
    top = TrainedRecommender.load(out / "runs" / "ease-seed2020", device="cpu").recommend(["C0003"], k=3)
    assert top["item"].str.startswith("P-").all()


@pytest.mark.slow
def test_ids_that_look_like_markup_are_shown_as_they_are(shop_csv: Path, tmp_path: Path, capsys) -> None:
    # the sentences above each example user and the item neighbours had rendered an ID as HTML or Markdown
    shop = pd.read_csv(shop_csv, sep=";")
    shop["customer"] = "<b>" + shop["customer"] + "</b>_x_"
    # a web address, over pandas' 50 characters of a table cell: shown whole, and no link
    shop["product"] = "https://shop.example/catalogue/" + shop["product"] + "<img src=x onerror=alert(1)>"
    shop.to_csv(tmp_path / "markup.csv", sep=";", index=False)
    argv = ["report", "--data", str(tmp_path / "markup.csv"), *SHOP_COLUMNS, "--models", "ease"]
    status, _, err = run(
        [*argv, "--examples", "2", "--device", "cpu", "--out", str(tmp_path / "r"), "-q"], capsys
    )
    assert status == 0, err
    page = assert_offline_html(tmp_path / "r" / "report.html")
    assert page.count("<strong>User &lt;b&gt;C0") == 2 and "<b>C0" not in page
    assert not re.search(r"<img[^>]*onerror", page)  # written as text only, in the sentence and the tables
    assert "Items closest to <strong>https://shop.example/catalogue/P-" in page and "<a href" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;</strong>" in page and "/catalogue/P..." not in page
    assert re.search(
        r"<td>https://shop.example/catalogue/P-\d{3}&lt;img src=x onerror=alert\(1\)&gt;</td>", page
    )


@pytest.mark.slow
def test_a_failing_run_names_the_cell_and_leaves_the_old_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "report"
    out.mkdir()
    (out / "metrics.json").write_text('{"title": "old", "parameters": {}, "best_model": "pop", "old": true}')
    # bypass the checks on this side, so that the notebook (another process) meets the bad split itself
    monkeypatch.setattr(reports.ReportParams, "__post_init__", lambda self: None)
    monkeypatch.setattr(reports, "check_data", lambda params: None)
    monkeypatch.setattr(experiment, "check_data_fields", lambda *args, **kwargs: None)  # the CLI's own call
    argv = ["report", "--data", "ml-100k", "--models", "pop", "--split", "no-such-protocol", "--force"]
    status, stdout, err = run([*argv, "--out", str(out), "-q"], capsys)
    assert status == 1 and stdout == ""
    # the cell that checks the parameters: its place in the template, and its execution count after Papermill's
    # cell of injected parameters
    cells = json.loads(reports.NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    (index,) = [
        i for i, c in enumerate(cells) if "".join(c["source"]).startswith("params = reports.ReportParams")
    ]
    count = sum(c["cell_type"] == "code" for c in cells[: index + 1]) + 1
    assert err.startswith(
        f"sslrec: error: the report notebook failed in cell {index} (execution count {count}): ConfigError: "
        "unknown SPLIT='no-such-protocol' (valid: holdout, loo, strong, time)"
    )
    assert "  the cell begins:\n    params = reports.ReportParams.from_parameters(" in err
    assert err.endswith("sslrec: no report was written\n")
    assert [p.name for p in out.iterdir()] == ["metrics.json"]  # the old report is untouched
    assert json.loads((out / "metrics.json").read_text())["old"] is True
    assert leftovers(tmp_path) == []


def test_a_warning_prints_as_its_kind_and_message() -> None:
    """With --hide-code the page had shown the package's file, line and source under each warning."""
    import warnings

    from sslrec_utils.config import DataWarning

    text = reports.plain_warning(
        DataWarning("3 of 40 users ..."), DataWarning, "/x/experiment.py", 204, "src"
    )
    assert text == "DataWarning: 3 of 40 users ...\n"
    before = warnings.formatwarning
    try:
        warnings.formatwarning = reports.plain_warning
        assert warnings.formatwarning("m", UserWarning, "f.py", 1) == "UserWarning: m\n"
    finally:
        warnings.formatwarning = before


def test_a_missing_report_notebook_says_a_checkout_is_needed(tmp_path, monkeypatch) -> None:
    """Installed from a wheel, the package lacks the repository's notebooks/report.ipynb."""
    params = reports.ReportParams.from_parameters({"MODELS": "pop"})
    with pytest.raises(FileNotFoundError, match=r"report notebook .*elsewhere\.ipynb not found$"):
        reports.run_report(params, tmp_path / "a", progress=False, notebook=tmp_path / "elsewhere.ipynb")
    monkeypatch.setattr(reports, "NOTEBOOK", tmp_path / "site" / "notebooks" / "report.ipynb")
    with pytest.raises(FileNotFoundError, match=r"installed from a checkout .*\(pip install -e \.\)"):
        reports.run_report(params, tmp_path / "b", progress=False, notebook=reports.NOTEBOOK)
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_a_warning_raised_once_per_seed_is_shown_once() -> None:
    """The report showed a split's warning once per seed: each catch_warnings block resets Python's "once"."""
    import warnings

    shown = []
    show = reports.once_each(lambda message, category, *rest, **kw: shown.append((str(message), category)))
    before = warnings.showwarning
    try:
        warnings.showwarning = show
        for _ in range(3):
            with warnings.catch_warnings():  # as the report's loop has around each run
                warnings.simplefilter("ignore", DeprecationWarning)
                warnings.warn("20 of 200 users have too few interactions", UserWarning, stacklevel=1)
            warnings.warn("another text", UserWarning, stacklevel=1)
    finally:
        warnings.showwarning = before
    assert shown == [
        ("20 of 200 users have too few interactions", UserWarning),
        ("another text", UserWarning),
    ]
    # the report's first cell run again wraps the wrapper: its record starts afresh (the warning had never again
    # been shown in that kernel), and the text still comes once
    again = reports.once_each(show)
    for _ in range(2):
        again("another text", UserWarning, "report.ipynb", 1)
    assert shown[2:] == [("another text", UserWarning)]
    again("another text", DeprecationWarning, "report.ipynb", 1)  # the same text, another kind: shown
    assert shown[3:] == [("another text", DeprecationWarning)]


def test_report_help_names_the_notebooks_defaults(capsys) -> None:
    from sslrec_utils.cli import main

    assert main(["report", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps the lines
    defaults = reports.ReportParams()
    assert f"(default {','.join(defaults.models)})" in text and f"(default {defaults.epochs})" in text
    assert (
        f"(default {','.join(map(str, defaults.seeds))})" in text
        and f"(default {defaults.n_example_users})" in text
    )


def test_a_users_history_is_called_latest_first_only_where_the_data_has_times(tmp_path) -> None:
    """Without a time column the report's panel had headed a history in tie order "latest first"."""
    from sslrec_utils.experiment import DataSpec, run_experiment

    rng = np.random.default_rng(0)
    log = pd.DataFrame({"user": np.repeat(np.arange(30), 8), "item": rng.integers(0, 40, 240)})
    log = log.drop_duplicates().assign(ts=lambda f: np.arange(len(f)))
    log.to_csv(tmp_path / "log.csv", index=False)
    headings = []
    for name, time_col in (("timed", "ts"), ("untimed", None)):
        spec = DataSpec(dataset=str(tmp_path / "log.csv"), time_col=time_col)
        run_experiment(spec, "pop", progress=False, out_dir=tmp_path / name)
        panel = reports.user_panel(TrainedRecommender.load(tmp_path / name, device="cpu"), 3, k=5)
        headings.append(panel.columns[0])
        assert list(panel.columns[1:]) == ["recommended"]
    assert headings == ["history (latest first)", "history (no time order)"]


SYNTHETIC = "synthetic:60x50x1200"


# ---- ReportParams ------------------------------------------------------------------------------------------


def test_no_example_users_is_a_valid_report() -> None:
    assert reports.ReportParams.from_parameters({"N_EXAMPLE_USERS": "0"}).n_example_users == 0


def test_data_spec_defaults_to_the_first_seed() -> None:
    assert reports.ReportParams(seeds=(7, 8, 9)).data_spec().seed == 7


def test_data_dir_is_made_absolute(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    params = reports.ReportParams(data_dir="cache").with_absolute_paths()
    assert params.data_dir == str(tmp_path / "cache")


def test_an_empty_optional_value_is_none() -> None:
    params = reports.ReportParams.from_parameters({"TIME_COL": "", "SEP": " ", "THRESHOLD": ""})
    assert (params.time_col, params.sep, params.threshold) == (None, None, None)


# ---- run_report, with the notebook's execution faked -------------------------------------------------------


def test_ks_as_large_as_the_catalogue_is_accepted() -> None:
    from sslrec_utils.experiment import load_data

    params = reports.ReportParams(dataset=SYNTHETIC, models=("pop",))
    n_items = load_data(params.data_spec())[0].n_items
    reports.check_data(reports.ReportParams(dataset=SYNTHETIC, models=("pop",), ks=(5, n_items)))


def test_keep_runs_puts_the_runs_in_out_runs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seen: list[dict] = []
    fake_papermill(monkeypatch, seen)
    params = reports.ReportParams(dataset=SYNTHETIC, models=("pop",))
    reports.run_report(params, tmp_path / "report", keep_runs=True, progress=False)
    assert seen[0]["RUNS_DIR"] == "runs"  # read where the notebook runs, in the report's folder: OUT/runs
    assert (tmp_path / "report" / "runs" / "pop-seed2020" / "config.json").is_file()


def test_report_files_title_code_and_force(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_papermill(monkeypatch, [])
    params = reports.ReportParams(dataset=SYNTHETIC, models=("pop",), title="Shop & co")
    files = reports.run_report(params, tmp_path / "report", progress=False)
    assert (files.html.name, files.notebook.name, files.metrics.name) == (
        "report.html",
        "report.ipynb",
        "metrics.json",
    )
    html = files.html.read_text()
    assert html.lstrip().lower().startswith("<!doctype html") and "<title>Shop &amp; co</title>" in html
    assert ">glue<" in html  # the code cell's input, highlighted, is shown unless hidden
    json.loads(files.notebook.read_text())  # a notebook, not HTML
    hidden = reports.run_report(
        params.replace(title="Second"), tmp_path / "report", force=True, hide_code=True
    )
    assert "<title>Second</title>" in hidden.html.read_text() and ">glue<" not in hidden.html.read_text()


def test_the_failing_cell_is_numbered_as_in_the_source_notebook(tmp_path: Path) -> None:
    executed = tmp_path / "executed.ipynb"
    cells = [
        {"metadata": {"tags": ["parameters"]}},
        {"metadata": {"tags": ["injected-parameters"]}},
        {"metadata": {}},
        {"metadata": {}},
    ]
    executed.write_text(json.dumps({"cells": cells}))
    err = types.SimpleNamespace(
        cell_index=3, exec_count=3, ename="ValueError", evalue="boom", source="x = 1\n"
    )
    assert reports._failure(err, executed).startswith(
        "the report notebook failed in cell 2 (execution count 3)"
    )
    # without a cell tagged "parameters", Papermill injects its cell first; only the injected one is left out
    executed.write_text(json.dumps({"cells": [cells[1], {"metadata": {}}, {"metadata": {}}]}))
    assert reports._failure(types.SimpleNamespace(**{**vars(err), "cell_index": 2}), executed).startswith(
        "the report notebook failed in cell 1 "
    )
    # the injected cell itself failing (a bad parameter value): cell 0, not -1
    assert reports._failure(types.SimpleNamespace(**{**vars(err), "cell_index": 0}), executed).startswith(
        "the report notebook failed in cell 0 "
    )
    # an executed notebook that cannot be read: the index as Papermill gave it
    executed.write_text("{not json")
    assert reports._failure(err, executed).startswith("the report notebook failed in cell 3 ")
    # the cell's first five lines
    long = types.SimpleNamespace(**{**vars(err), "source": "\n".join(f"line{i}" for i in range(1, 8))})
    text = reports._failure(long, executed)
    assert "    line5" in text and "line6" not in text
