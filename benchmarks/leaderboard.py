"""Train every model on the same split over several seeds and write a leaderboard (CSV and Markdown).

Each (model, seed) runs as its own ``sslrec train`` process, so the peak memory it reports (its maximum
resident set size, and peak CUDA memory on a GPU) and its wall time are its own. Usage:

    python benchmarks/leaderboard.py                       # issue 3's models, seeds 2020-2022, ml-100k holdout
    python benchmarks/leaderboard.py --models ease,multvae --seeds 2020 --out benchmarks/results/quick

Writes ``OUT/runs.csv`` (one row per run, with the ``options`` it had beyond the model's defaults and the
``machine`` it ran on), ``OUT/leaderboard.csv`` and ``OUT/leaderboard.md`` (mean ± std per model), and keeps each
run directory under ``OUT/runs/``, beside its progress log (``OUT/runs/MODEL-SEED.log``: ``tail`` it to follow
a long run). ``--from-runs`` merges runs.csv files, from other machines too, without training.
``--from-dirs`` adds finished run directories (of ``sslrec train`` or ``benchmarks/tune.py``) the same way.
A sweep refuses an OUT that holds the tables of earlier runs (the committed ones, by default) unless ``--force``
is given. Runs of different data or preprocessing, or with fewer seeds, are refused or named, never averaged
silently.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

# RecBole 1.2.1 on ml-100k, per-user random 80/10/10, full ranking, seed 2020, its default hyperparameters,
# measured on a 2-core machine like ours (figures from the project's issues 3 and 4; not measured here).
RECBOLE = {
    "pop": (0.1033, 0.0810, 4.0),
    "itemknn": (0.2834, 0.2470, 8.0),
    "bpr": (0.2931, 0.2502, 37.0),
    "ease": (0.3295, 0.2805, 6.0),
    "multdae": (0.2857, 0.2432, 75.0),
    "multvae": (0.2942, 0.2558, 63.0),
    "cdae": (0.1429, 0.1045, 11.0),
    "lightgcn": (0.2823, float("nan"), 187.0),
    "sgl": (0.2637, float("nan"), 348.0),
}
ISSUE3_MODELS = ("pop", "itemknn", "ease", "bpr", "ae", "dae", "cdae", "multdae", "multvae", "autorec")
METRICS = ("ndcg@10", "recall@10", "ndcg@20", "recall@20", "hit@10", "mrr@10")
Point = tuple[tuple[str, str], ...]  # ((key, value), ...) as given on the command line
RUN_ONLY = ("seed", "device", "progress")  # config keys that say how a run ran, not what was tried
# the columns of runs.csv that --from-runs needs to tabulate its runs (a leaderboard.csv has none of the first two)
RUNS_COLUMNS = ("model", "seed", *METRICS[:4], "epochs", "seconds_to_best", "seconds_per_epoch")


def this_machine() -> str:
    """The machine a run ran on, as recorded in runs.csv's ``machine`` column: ``"AMD EPYC, 2 CPUs"``.

    The processor's model name where the system tells it (Linux), else its architecture (``"x86_64"``): two
    processors can round the same computation differently, and a transformer's run amplifies that.
    """
    return f"{processor_name()}, {os.cpu_count()} CPUs"


def processor_name() -> str:
    """The CPU's model name from ``/proc/cpuinfo``, else `platform`'s processor or architecture."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and value.strip():
                return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def run_one(
    model: str,
    seed: int,
    args: argparse.Namespace,
    run_dir: Path,
    settings: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
) -> dict[str, object]:
    """One ``sslrec train`` process (``args``: dataset, split, ties, tie_seed, device, epochs, set; then
    `settings`, in `env`):
    its JSON summary plus the process's wall time.

    The process's progress bar and messages go to `log_path` (``RUN_DIR.log``, beside the run directory, which
    appears only when the run ends), so that a long run can be followed while it trains.

    Raises:
        RuntimeError: the process failed (the message ends with the end of its log), or it was interrupted
            (its record says so: a run cut short must not enter a mean).
    """
    cmd = [sys.executable, "-m", "sslrec_utils.cli", "train", "--model", model, "--dataset", args.dataset]
    cmd += [
        "--split",
        args.split,
        "--seed",
        str(seed),
        "--out",
        str(run_dir),
        "--force",
        "--device",
        args.device,
    ]
    if args.epochs is not None:
        cmd += ["--epochs", str(args.epochs)]
    if args.ties is not None:
        cmd += ["--ties", args.ties]
    if args.tie_seed is not None:
        cmd += ["--tie-seed", str(args.tie_seed)]
    for setting in (*args.set, *settings):
        cmd += ["--set", setting]
    log = log_path(run_dir)
    log.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with log.open("w") as stderr:
        proc = subprocess.run(
            cmd, stdout=subprocess.PIPE, stderr=stderr, text=True, env=None if env is None else dict(env)
        )
    wall = time.perf_counter() - start
    record = json.loads(proc.stdout.strip().splitlines()[-1]) if proc.stdout.strip() else {}
    if record.get(
        "interrupted"
    ):  # stopped by a signal before its budget ended (status 130): not a finished run
        raise RuntimeError(
            f"{' '.join(cmd)} was interrupted at epoch {record.get('epochs')}; its run is kept"
        )
    if proc.returncode != 0:
        end = log.read_text(errors="replace")[-2000:].replace("\r", "\n")  # a progress bar redraws with \r
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}); the end of {log}:\n{end}")
    record["process_seconds"] = wall
    return record


def log_path(run_dir: Path) -> Path:
    """Where `run_one` writes a run's progress: ``RUN_DIR.log``, beside the run directory."""
    return run_dir.with_name(run_dir.name + ".log")


def point_of(run_dir: Path) -> tuple[Point, int]:
    """The settings in which a run directory's config differs from its model's defaults, and its seed."""
    from sslrec_utils.experiment import resolve_configs  # imports torch: only where a run is read

    config = run_config(run_dir)
    model_cfg, train_cfg = resolve_configs(config["model"])  # the defaults of the code as it is now
    defaults = {**dataclasses.asdict(model_cfg), **dataclasses.asdict(train_cfg)}
    given = {**config["model_config"], **config["train_config"]}
    point = tuple(
        (k, v if isinstance(v, str) else json.dumps(v))
        for k, v in given.items()
        if k not in RUN_ONLY and json.dumps(v) != json.dumps(defaults.get(k))
    )
    return point, int(config["train_config"]["seed"])


def not_finished(run_dirs: Sequence[Path]) -> str | None:
    """Why these run directories must not enter a mean (no ``metrics.json``, or a run cut short by Ctrl-C or
    SIGTERM, as its ``"interrupted"`` says), or None when every one finished its budget. A path that does not
    exist (a mistyped one) is said to be missing, not unfinished."""
    if absent := [str(d) for d in run_dirs if not d.exists()]:
        return f"no such folder: {', '.join(absent)}"
    missing = [str(d) for d in run_dirs if not (d / "metrics.json").is_file()]
    if missing:
        return f"not finished runs of sslrec train (no metrics.json): {', '.join(missing)}"
    cut = [str(d) for d in run_dirs if json.loads((d / "metrics.json").read_text()).get("interrupted")]
    if cut:
        return (
            f"interrupted runs (cut short before early stopping or their last epoch): {', '.join(cut)}; "
            "train them again, or leave them out"
        )
    return None


def not_run_dirs(run_dirs: Sequence[Path]) -> str | None:
    """Why these directories cannot be read as finished runs: not finished (`not_finished`) or not written by
    ``sslrec train`` (no ``config.json``); None when every one can."""
    if problem := not_finished(run_dirs):
        return problem
    if missing := [str(d) for d in run_dirs if not (d / "config.json").is_file()]:
        return f"not run directories of sslrec train (no config.json): {', '.join(missing)}"
    return None


def runs_problem(run_dirs: Sequence[Path]) -> str | None:
    """Why these run directories must not be compared or averaged over seeds: not readable (`not_run_dirs`),
    made on different data (`data_mismatch`), or two of one model and seed (the same run given twice counts as
    two seeds); None when they may."""
    if problem := not_run_dirs(run_dirs):
        return problem
    configs = [run_config(d) for d in run_dirs]
    if mismatch := data_mismatch([data_settings(c) for c in configs]):
        return mismatch
    keys = [(c["model"], c["data"].get("seed")) for c in configs]
    if twice := repeated(keys):
        model, seed = twice[0]
        dirs = [str(d) for d, k in zip(run_dirs, keys, strict=True) if k == twice[0]]
        return f"two runs of {model} with seed {seed}: give one per model and seed ({', '.join(dirs)})"
    return None


def repeated(values: Iterable[Hashable]) -> list[Any]:
    """The values that occur more than once in `values`, each once, in the order of their first repeat."""
    seen: set[Hashable] = set()
    twice: list[Any] = []
    for value in values:
        if value in seen and value not in twice:
            twice.append(value)
        seen.add(value)
    return twice


def file_not_folder(out: Path) -> str | None:
    """Why `out` cannot be a results folder (a file is there), or None."""
    return f"--out {out} is a file, not a folder: give a folder" if out.is_file() else None


# What the benchmark scripts check of their options before they load data or start a run, so that a mistyped
# name or number ends in one line (``parser.error``), not in a traceback after minutes of work.


def at_least(low: int) -> Callable[[str], int]:
    """An argparse ``type``: a whole number from `low` (1 for ``--epochs``, 0 for a seed) to below 2**63 (what
    torch and NumPy hold); another is refused as the options are read, in one line that names the option."""

    def whole_number(text: str) -> int:
        value = int(text)  # not a whole number: argparse's "invalid int value"
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, got {value}")
        if value >= 2**63:
            raise argparse.ArgumentTypeError(f"must be below 2**63, got {value}")
        return value

    whole_number.__name__ = "int"  # as argparse names the type in its message
    return whole_number


def comma_separated(text: str) -> list[str]:
    """The names in a comma-separated option (``--models``), stripped, empty ones left out."""
    return [name.strip() for name in text.split(",") if name.strip()]


def given_twice(flag: str, values: Iterable[Hashable]) -> str | None:
    """Why the `values` of option `flag` must not be run: some are given more than once (a model or seed would
    be trained twice, then counted as two), named; None when each is given once."""
    if twice := repeated(values):
        return f"{flag} repeats {', '.join(map(str, twice))}: give each once"
    return None


def settings_problem(models: Iterable[str], settings: Sequence[str] = (), **train_changes: Any) -> str | None:
    """Why `models` cannot train with the ``--set`` `settings` and `train_changes` (``epochs=``, ``device=``...),
    as the package says it: an unknown model (with the valid names), setting or value, as `resolve_configs`
    refuses it, or a device this machine lacks (`resolve_device`); None when every model can. Nothing is
    loaded or trained (its warnings, of settings a closed-form model does not read, are the run's to give)."""
    from sslrec_utils.experiment import resolve_configs  # imports torch: only where runs are checked
    from sslrec_utils.train import resolve_device

    for model in models:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                _, train_cfg = resolve_configs(model, settings, **train_changes)
        except ValueError as err:  # ConfigError is one
            return str(err)
        try:
            resolve_device(train_cfg.device)
        except ValueError as err:
            return f"--device: {err}"
    return None


def data_problem(dataset: str, flag: str = "--dataset", **fields: Any) -> str | None:
    """Why `dataset`, given to `flag`, with these `DataSpec` fields (``split=``, ``seed=``...) names no data that
    can be loaded and split, checked without reading it: neither a data set nor a file (the package's
    `unknown_source`, with the closest name), or what `DataSpec` refuses; None when it names some."""
    from sslrec_utils.data.files import unknown_source  # imports torch: only where data is checked
    from sslrec_utils.experiment import DataSpec

    if problem := unknown_source(dataset, flag):
        return problem
    try:
        DataSpec(dataset=dataset, **fields)
    except ValueError as err:  # ConfigError is one
        return str(err)
    return None


def read_table(path: Path, flag: str, kind: str, columns: Sequence[str], **options: Any) -> pd.DataFrame:
    """The CSV file `path` given to `flag`, checked to be a `kind` (``"runs.csv"``): to have `columns`.

    Raises:
        ValueError: no such file; not a CSV file; or a file that lacks some of `columns`, which the message
            names with the file.
    """
    if not path.is_file():
        raise ValueError(f"no such file: {flag} {path}")
    try:
        table = pd.read_csv(path, **options)
    except ValueError as err:  # pandas' parser errors and a file that is not text are ValueErrors
        raise ValueError(f"{flag} {path} is not a CSV file: {err}") from err
    if lacking := [c for c in columns if c not in table]:
        raise ValueError(f"{flag} {path} is not a {kind}: it lacks {', '.join(lacking)}")
    return table


def run_config(run_dir: Path) -> dict[str, Any]:
    """The ``config.json`` that ``sslrec train`` wrote in `run_dir`."""
    return json.loads((run_dir / "config.json").read_text())


def data_settings(config: Mapping[str, Any]) -> dict[str, Any]:
    """A run's data set, preprocessing and split protocol: its config's ``data`` without the seed (which
    varies the split, not the protocol) and the cache folder."""
    return {k: v for k, v in config["data"].items() if k not in ("seed", "data_dir")}


def data_mismatch(settings: Sequence[Mapping[str, Any]]) -> str | None:
    """Why runs of these `data_settings` must not be averaged over seeds (``"... (split: holdout, loo)"``), or
    None when they agree. Keys that some runs lack (configs older than the key) are not compared."""
    common = set.intersection(*(set(s) for s in settings)) if settings else set()
    conflicts = []
    for key in sorted(common):
        values = sorted({json.dumps(s[key]) for s in settings})
        if len(values) > 1:
            conflicts.append(f"{key}: {', '.join(values)}")
    if not conflicts:
        return None
    return f"the runs were made on different data or preprocessing ({'; '.join(conflicts)})"


def data_json(run_dir: Path) -> str:
    """A run's `data_settings` as the JSON text runs.csv and paired_runs.csv record, to compare when merged."""
    return json.dumps(data_settings(run_config(run_dir)), sort_keys=True)


def recorded_data(rows: pd.DataFrame) -> tuple[str | None, int]:
    """Of merged rows' recorded ``data`` column (`data_json`): why they must not be merged (`data_mismatch`), or
    None; and how many rows record none (written before the column), whose data cannot be compared."""
    if "data" not in rows:
        return None, len(rows)
    return data_mismatch([json.loads(d) for d in rows["data"].dropna().unique()]), int(
        rows["data"].isna().sum()
    )


def mixed_options(runs: pd.DataFrame) -> str | None:
    """Why `runs` must not be averaged into one leaderboard: runs of one model with different ``options``,
    named; None if each model's runs share theirs (or none are recorded)."""
    if "options" not in runs:
        return None
    mixed = runs.groupby("model")["options"].agg(lambda o: o.astype(object).fillna("").nunique())
    if not (mixed > 1).any():
        return None
    return (
        f"the runs of {sorted(mixed.index[mixed > 1])} have different options: merge runs with the same "
        "options (see their options column)"
    )


def interrupted_runs(runs: pd.DataFrame) -> str | None:
    """Why merged runs.csv rows must not be averaged: runs cut short (their record says ``interrupted``),
    named; None if there are none."""
    if "interrupted" not in runs:
        return None
    cut = runs[runs["interrupted"].astype(str).str.lower() == "true"]
    if not len(cut):
        return None
    named = ", ".join(f"{m} seed {s}" for m, s in zip(cut["model"], cut["seed"], strict=True))
    return f"runs cut short (interrupted) must not enter a mean: {named}"


def replaced_runs(runs: pd.DataFrame) -> list[str]:
    """The (model, seed) pairs listed more than once with different figures, each as ``"sgl seed 2021 (ndcg@10
    0.3100 replaced by 0.3200)"``: two runs, of which a merge keeps the last, not one run listed twice."""
    metrics = [m for m in METRICS if m in runs]
    twice = runs[runs.duplicated(subset=["model", "seed"], keep=False)]
    said = []
    for (model, seed), group in twice.groupby(["model", "seed"], sort=False):
        if metrics and len(group[metrics].drop_duplicates()) > 1:
            values = group[metrics[0]].tolist()
            said.append(f"{model} seed {seed} ({metrics[0]} {values[0]:.4f} replaced by {values[-1]:.4f})")
    return said


def row_of(run_dir: Path, machine: str | None = None) -> dict[str, object]:
    """A runs.csv row from a finished run directory (of ``sslrec train`` or ``benchmarks/tune.py``): the
    summary ``sslrec train`` prints, read back from its ``metrics.json``; ``options``, the settings in which it
    differs from the model's current defaults, as ``--set`` flags (for a run that searched its grid, that
    includes the values the search chose); the `machine` it ran on if known. The process's wall time is not
    kept in the folder (NaN)."""
    metrics = json.loads((run_dir / "metrics.json").read_text())
    row = {k: v for k, v in metrics.items() if k not in ("test", "valid")}
    row["valid_ndcg@10"] = metrics["valid"].get("ndcg@10")  # as sslrec train's summary has it
    options = " ".join(f"--set {k}={v}" for k, v in point_of(run_dir)[0])
    return row | {
        "process_seconds": float("nan"),
        "options": options,
        "machine": machine,
        "data": data_json(run_dir),
    }


def summarise(runs: pd.DataFrame, split: str = "holdout", dataset: str = "ml-100k") -> pd.DataFrame:
    """Mean and sample standard deviation (ddof=1, as everywhere in the book) over seeds per model, with
    RecBole's figures beside them (ml-100k's holdout split only: they were measured on it).

    ``seconds_to_model`` is the time until the model that is tested was known: the best epoch's, or for a
    closed-form model (0 epochs), whose hyperparameters a validation search chooses, the whole search."""
    runs = runs.copy()
    runs["seconds_to_model"] = runs["seconds_to_best"]
    if "search_seconds" in runs and "epochs" in runs:
        closed = (runs["epochs"] == 0) & runs["search_seconds"].notna()
        runs.loc[closed, "seconds_to_model"] = runs.loc[closed, "search_seconds"]
    numeric = [*METRICS, "epochs", "best_epoch", "seconds_to_best", "seconds_to_model", "train_seconds"]
    numeric += ["seconds_per_epoch", "process_seconds", "peak_rss_mb", "valid_ndcg@10"]
    numeric = [c for c in numeric if c in runs.columns]
    grouped = runs.groupby("model", sort=False)[numeric]
    table = grouped.mean().add_suffix("_mean").join(grouped.std().add_suffix("_std"))
    table["seeds"] = runs.groupby("model", sort=False)["ndcg@10"].count()  # seeds with a test figure
    recbole = RECBOLE if (split, dataset) == ("holdout", "ml-100k") else {}
    table["recbole_ndcg@10"] = [recbole.get(m, (float("nan"),) * 3)[0] for m in table.index]
    table["recbole_seconds"] = [recbole.get(m, (float("nan"),) * 3)[2] for m in table.index]
    # empty (NA), not False, for a model RecBole has no figure for (DAE, AutoRec...)
    unknown = table["recbole_ndcg@10"].isna()
    beats = table["ndcg@10_mean"] >= table["recbole_ndcg@10"]
    table["beats_recbole"] = beats.astype("boolean").mask(unknown)
    within = table["seconds_to_model_mean"] <= table["recbole_seconds"] / 3
    table["within_third_of_recbole_time"] = within.astype("boolean").mask(unknown)
    return table.sort_values("ndcg@10_mean", ascending=False)


def plus_minus(mean: float, std: float, digits: int = 4) -> str:
    """``"0.0733 ± 0.0014"``; the mean alone when there is no std (a single seed)."""
    return f"{mean:.{digits}f}" if pd.isna(std) else f"{mean:.{digits}f} ± {std:.{digits}f}"


def markdown(
    table: pd.DataFrame,
    args: argparse.Namespace,
    options: Mapping[str, str] | None = None,
    machine: str | None = None,
    metric: str = "ndcg@10",
) -> str:
    """The leaderboard as a Markdown table: metrics as mean ± std over seeds.

    Args:
        table: `summarise`'s table, one row per model.
        args: the command's arguments (data set, split, seeds, device).
        options: model -> the options its runs had beyond the model's defaults, listed above the table.
        machine: the machine(s) the runs ran on; None for runs that did not record it.
        metric: the validation metric the runs chose their epoch by (``"recall@20"``...), or several,
            comma-separated.
    """

    def pm(row: pd.Series, key: str, digits: int) -> str:
        return plus_minus(row[f"{key}_mean"], row[f"{key}_std"], digits)

    lines = [
        f"# Leaderboard: {args.dataset}, split {args.split}, seeds {', '.join(map(str, args.seeds))}",
        "",
        f"Machine: {machine or 'not recorded'}, device {args.device}. "
        f"Test metrics of the epoch (or hyperparameters) chosen on validation {metric.upper()}; "
        "mean ± sample std over seeds. s to best: until the best epoch, or for a closed-form model (0 epochs) "
        "the whole validation search that chose it. "
        "RecBole columns: RecBole 1.2.1's figures for the same protocol (seed 2020), quoted, not measured here.",
        "",
        "| model | NDCG@10 | Recall@10 | NDCG@20 | Recall@20 | epochs | s to best | s/epoch | peak RSS MB "
        "| RecBole NDCG@10 | RecBole s |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    if options:
        lines[3:3] = [
            "",
            "Options beyond each model's defaults when its runs were made: "
            + "; ".join(f"{m}: `{o}`" for m, o in options.items()),
        ]
    short = {m: int(n) for m, n in table["seeds"].items() if n < len(args.seeds)}
    if short:  # their means cover fewer seeds (on a random split, fewer splits) than the others'
        lines[3:3] = [
            "",
            f"**Fewer seeds than {len(args.seeds)}:** "
            + ", ".join(f"{m} ({n} of {len(args.seeds)})" for m, n in short.items())
            + "; their means are not over the same seeds as the others' (on a random split such as holdout, "
            "not over the same splits either).",
        ]
    for model, row in table.iterrows():
        lines.append(
            f"| {model} | {pm(row, 'ndcg@10', 4)} | {pm(row, 'recall@10', 4)} | {pm(row, 'ndcg@20', 4)} "
            f"| {pm(row, 'recall@20', 4)} | {row['epochs_mean']:.0f} | {row['seconds_to_model_mean']:.1f} "
            f"| {row['seconds_per_epoch_mean']:.2f} | {row.get('peak_rss_mb_mean', float('nan')):.0f} "
            f"| {row['recbole_ndcg@10']:.4f} | {row['recbole_seconds']:.0f} |"
        )
    return "\n".join(lines) + "\n"


def add_tie_options(parser: argparse.ArgumentParser) -> None:
    """``--ties`` and ``--tie-seed``, passed to every run as ``sslrec train`` takes them (the folders measured
    with ties ordered by item ID, before 2026-12-01, are rebuilt with ``--ties item``)."""
    from sslrec_utils.data.preprocessing import TIE_ORDERS

    parser.add_argument(
        "--ties",
        default=None,
        choices=TIE_ORDERS,
        help="order of a user's interactions in one timestamp (default: sslrec train's, random)",
    )
    parser.add_argument("--tie-seed", type=int, default=None, help="seed of that random order (default 0)")


def tie_fields(args: argparse.Namespace) -> dict[str, Any]:
    """The `DataSpec` fields that `add_tie_options` gave (``ties``, ``tie_seed``), for `data_problem`."""
    return {k: v for k, v in (("ties", args.ties), ("tie_seed", args.tie_seed)) if v is not None}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", default=",".join(ISSUE3_MODELS), help="comma-separated model names")
    parser.add_argument("--seeds", type=at_least(0), nargs="+", default=[2020, 2021, 2022])
    parser.add_argument("--dataset", default="ml-100k")
    parser.add_argument("--split", default="holdout")
    add_tie_options(parser)
    parser.add_argument(
        "--epochs", type=at_least(1), default=None, help="cap epochs (quick runs); default: each model's"
    )
    parser.add_argument("--device", default="auto")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="passed to every run")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/ml-100k-holdout"))
    parser.add_argument(
        "--from-runs",
        type=Path,
        nargs="+",
        default=None,
        metavar="RUNS_CSV",
        help="train nothing: merge these runs.csv files (of one data set and split) into OUT's tables (a later "
        "file's run of a model and seed replaces an earlier one's, said)",
    )
    parser.add_argument(
        "--from-dirs",
        type=Path,
        nargs="+",
        default=None,
        metavar="RUN_DIR",
        help="train nothing: add finished run directories (after any --from-runs; a later run of the same "
        "model and seed replaces an earlier one)",
    )
    parser.add_argument(
        "--machine", default=None, help="with --from-dirs: the machine the directories' runs ran on, if known"
    )
    parser.add_argument(
        "--force", action="store_true", help="train even if OUT holds the tables of earlier runs (replaced)"
    )
    args = parser.parse_args(argv)
    if args.machine is not None and not args.from_dirs:
        parser.error("--machine describes the runs of --from-dirs; give it with --from-dirs")
    if problem := file_not_folder(args.out):
        parser.error(problem)
    models = comma_separated(args.models)
    if not models and not (args.from_runs or args.from_dirs):
        parser.error(f"no models in --models {args.models!r}")
    for flag, values in (("--models", models), ("--seeds", args.seeds)):
        if problem := given_twice(flag, values):  # trained twice, then counted as two seeds
            parser.error(problem)
    if args.from_runs or args.from_dirs:
        if problem := not_run_dirs(args.from_dirs or []):
            parser.error(problem)
        try:
            tables = [read_table(p, "--from-runs", "runs.csv", RUNS_COLUMNS) for p in args.from_runs or []]
        except ValueError as err:
            parser.error(str(err))
        dirs = pd.DataFrame([row_of(d, args.machine) for d in args.from_dirs or []])
        if len(dirs):  # a directory replaces the earlier runs of its model and seed, whatever their options
            dirs = dirs.drop_duplicates(subset=["model", "seed"], keep="last")
            added = set(zip(dirs["model"], dirs["seed"].astype(int), strict=True))
            tables = [
                t[[(m, int(s)) not in added for m, s in zip(t["model"], t["seed"], strict=True)]]
                for t in tables
            ]
        # one options string per model (other options, another leaderboard): in each file, where two runs of
        # one model and seed would otherwise replace each other silently, and in the runs kept, where a later
        # file's runs have replaced an earlier one's
        for table in tables:
            if mixed := mixed_options(table):
                parser.error(mixed)
        runs = pd.concat([t for t in [*tables, dirs] if len(t)], ignore_index=True)
        if replaced := replaced_runs(runs):  # a run made again: the later file's wins, said
            print(f"leaderboard: the later of two runs kept for {'; '.join(replaced)}", file=sys.stderr)
        runs = runs.drop_duplicates(subset=["model", "seed"], keep="last")  # the same run listed twice
        # what is averaged: the runs kept
        if mixed := mixed_options(runs):
            parser.error(mixed)
        if problem := interrupted_runs(runs):
            parser.error(problem)
        mismatch, unrecorded = recorded_data(runs)
        if mismatch:
            parser.error(mismatch)
        if unrecorded:  # said, not passed as checked: their dataset and split columns are all there is
            print(
                f"leaderboard: {unrecorded} of the {len(runs)} runs do not record their data settings (runs.csv "
                "written before its data column): their preprocessing and tie order are not compared",
                file=sys.stderr,
            )
        args.seeds = sorted(runs["seed"].unique().tolist())
        for key in ("dataset", "split"):  # the runs say what they were, not this command's defaults
            values = sorted(runs[key].dropna().astype(str).unique()) if key in runs else []
            if len(values) > 1:
                parser.error(f"the runs mix {key}s {values}: merge one {key} at a time")
            if values:
                setattr(args, key, values[0])
        args.out.mkdir(parents=True, exist_ok=True)  # after every check: a refused merge leaves no folder
        write_tables(runs, args)
        return 0
    # what would fail every run, or one after the models before it trained: refused before the first
    if problem := settings_problem(models, args.set, epochs=args.epochs, device=args.device) or data_problem(
        args.dataset, split=args.split, **tie_fields(args)
    ):
        parser.error(problem)
    if (args.out / "runs.csv").exists() and not args.force:
        parser.error(
            f"{args.out} holds the tables of earlier runs ({args.out / 'runs.csv'}), which this sweep would "
            "replace: give another --out, merge with --from-runs, or add --force"
        )
    args.out.mkdir(parents=True, exist_ok=True)
    cap = [f"--epochs {args.epochs}"] if args.epochs is not None else []
    options = " ".join(cap + [f"--set {setting}" for setting in args.set])  # recorded with each run
    rows = []
    for model in models:
        for seed in args.seeds:
            run_dir = args.out / "runs" / f"{model}-{seed}"
            print(f"{model:10s} seed {seed}: training (progress: tail {log_path(run_dir)})", flush=True)
            record = run_one(model, seed, args, run_dir)
            rows.append({**record, "options": options, "machine": this_machine(), "data": data_json(run_dir)})
            print(
                f"{model:10s} seed {seed}: ndcg@10 {record['ndcg@10']:.4f}  recall@10 {record['recall@10']:.4f}  "
                f"best epoch {record['best_epoch']}/{record['epochs']}  {record['seconds_to_best']:.1f} s to best  "
                f"peak {record.get('peak_rss_mb', float('nan')):.0f} MB",
                flush=True,
            )
            pd.DataFrame(rows).to_csv(args.out / "runs.csv", index=False)  # a long sweep keeps what it did
    write_tables(pd.DataFrame(rows), args)
    return 0


def write_tables(runs: pd.DataFrame, args: argparse.Namespace) -> None:
    """OUT/runs.csv, OUT/leaderboard.csv and OUT/leaderboard.md from one row per (model, seed) run."""
    runs.to_csv(args.out / "runs.csv", index=False)
    table = summarise(runs, args.split, args.dataset)
    for model, n in table["seeds"].items():
        if n < len(args.seeds):
            print(f"leaderboard: {model} has {n} of {len(args.seeds)} seeds", file=sys.stderr)
    table.to_csv(args.out / "leaderboard.csv")
    # model -> its runs' options beyond the defaults, one string per model (a sweep gives all its runs the
    # same; --from-runs refuses a mix); runs.csv files older than the column have none
    options = {}
    if "options" in runs:
        given = runs[runs["options"].astype(object).fillna("") != ""]
        options = dict(zip(given["model"], given["options"], strict=True))
    # the machine(s) the runs ran on, not the one merging them; runs.csv files older than the column have none
    machines = sorted(runs["machine"].dropna().unique()) if "machine" in runs else []
    unknown = int(runs["machine"].isna().sum()) if machines else 0
    if unknown:  # a merge of newer and older runs
        machines.append(f"not recorded for {unknown} of the {len(runs)} runs")
    if machines and "threads" in runs and runs["threads"].notna().any():  # the runs' own torch threads
        machines.append(
            f"threads per run {', '.join(str(int(t)) for t in sorted(runs['threads'].dropna().unique()))}"
        )
    # the devices the runs ran on ("auto" resolved), not the one this command was given
    devices = sorted(runs["device"].dropna().astype(str).unique()) if "device" in runs else []
    if devices:
        args = argparse.Namespace(**{**vars(args), "device": ", ".join(devices)})
    metrics = sorted(runs["metric"].dropna().unique()) if "metric" in runs else []  # older runs: NDCG@10
    text = markdown(table, args, options, "; ".join(machines) or None, ", ".join(metrics) or "ndcg@10")
    (args.out / "leaderboard.md").write_text(text)
    print(text)


if __name__ == "__main__":
    sys.exit(main())
