"""Readers of the benchmark results committed under ``benchmarks/results/``, and the figures built from them as the
book and the READMEs write them, shared by the tests of quoted figures (test_quoted_*.py).
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Collection, Iterable
from pathlib import Path
from statistics import mean, stdev

from benchmarks.tune import LATE  # validations averaged for the level a curve settles at

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
NUMBER_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine"}
COUNT_WORDS = {0: "no", 1: "one"} | NUMBER_WORDS  # counts as the text writes them
ORDINALS = ("first", "second", "third")
SEEDS = ("2020", "2021", "2022")  # the seeds of the leaderboards and of the searches over three seeds
Curve = list[tuple[int, float]]  # (epoch, validation NDCG@10), one per validation, in epoch order
# the models as benchmarks/results/README.md names them
MODEL_NAMES = {
    "pop": "Pop",
    "itemknn": "ItemKNN",
    "ease": "EASE",
    "bpr": "BPR",
    "cdae": "CDAE",
    "dae": "DAE",
    "autorec": "AutoRec",
    "multdae": "Mult-DAE",
    "multvae": "Mult-VAE",
    "sasrec": "SASRec",
    "bert4rec": "BERT4Rec",
    "cl4srec": "CL4SRec",
    "lightgcn": "LightGCN",
    "sgl": "SGL",
    "simgcl": "SimGCL",
    "xsimgcl": "XSimGCL",
}


def in_text_order(models: Iterable[str]) -> list[str]:
    """`models` in MODEL_NAMES's order, the order the texts list them in, whatever order a CSV's rows hold."""
    chosen = set(models)
    assert chosen <= MODEL_NAMES.keys(), (
        f"models the texts do not name: {sorted(chosen - MODEL_NAMES.keys())}"
    )
    return [model for model in MODEL_NAMES if model in chosen]


# seconds until test NDCG@10 first reaches RecBole's figure, per model and seed (benchmarks/time_to_target.py)
TIME_TO_TARGET = "time_to_target/time_to_target.csv"
TIME_TO_TARGET_GRAPH = "time_to_target/graph/time_to_target.csv"


# --- the text ------------------------------------------------------------------------------------------------------


def assert_quoted(text: str, quotes: Iterable[str], message: str) -> None:
    """Fail with `message` and the quotes `text` does not hold, if there are any."""
    missing = [quote for quote in quotes if quote not in text]
    assert not missing, f"{message}: {missing}"


def one_line(text: str) -> str:
    """`text` with every run of white space one space: a quote may span lines."""
    return " ".join(text.split())


def page(path: str) -> str:
    """A page of the repository (``README.md``, ``book/ch10_trends.md``...) on one line, as `one_line` gives it."""
    return one_line((ROOT / path).read_text(encoding="utf-8"))


def section(path: str, heading: str | None = None) -> str:
    """A page's text under the one ``## `` heading opening with `heading` (None: before the first), on one line."""
    parts = re.split(r"^## ", (ROOT / path).read_text(encoding="utf-8"), flags=re.MULTILINE)
    if heading is None:
        return one_line(parts[0])
    found = [part for part in parts[1:] if part.startswith(heading)]
    assert len(found) == 1, f"{path}: {len(found)} sections open with {heading!r}"
    return one_line(found[0])


def xsimgcl_seed_2022_then() -> str:
    """The validation NDCG@10 of XSimGCL's two-thread leaderboard run of seed 2022 at its weight 0.005, in the
    repository's history only, as benchmarks/results/README.md quotes it (to five places)."""
    found = re.search(
        r"with a validation figure \d\.\d+ higher \((\d\.\d+) against", page("benchmarks/results/README.md")
    )
    assert found, "XSimGCL's seed-2022 leaderboard figure of then is no longer quoted as it was"
    return found[1]


def notebook_markdown(notebook: Path) -> str:
    """The markdown cells of a notebook, joined."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return " ".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown")


def joined(items: Iterable[object], last: str = " and ") -> str:
    """Items as the text lists them: "140, 132 and 166" (or "a, b, c" with `last` ", ")."""
    words = [str(item) for item in items]
    return last.join([", ".join(words[:-1]), words[-1]]) if len(words) > 1 else "".join(words)


def listed(values: Iterable[float], places: int = 4, last: str = ", ") -> str:
    """Figures as the text lists them, "a, b, c" (or "a, b and c" with `last` " and "), to `places` decimals."""
    return joined((f"{v:.{places}f}" for v in values), last)


def epoch_ranges(spans: list[tuple[int, int]]) -> str:
    """Ranges of epochs as the text lists them: "1-10, 11-20 and 21-37"."""
    return joined(f"{a}-{b}" for a, b in spans)


def value_range(values: list[float], places: int, dash: str = "-") -> str:
    """The lowest and highest of `values` as the text gives a range ("0.10-0.14"), one figure where both round alike."""
    low, high = (f"{x:.{places}f}" for x in (min(values), max(values)))
    return low if low == high else f"{low}{dash}{high}"


def plus_minus(value: float, std: float) -> str:
    """A mean and a standard deviation as the text writes them: "0.0734 ± 0.0039"."""
    return f"{value:.4f} ± {std:.4f}"


def mean_spread(values: list[float]) -> str:
    """The mean of figures over seeds and their sample standard deviation: "0.1037 ± 0.0030"."""
    return plus_minus(mean(values), stdev(values))


def seed_count(count: int, seeds: int, of: bool = True) -> str:
    """On how many of `seeds` seeds a comparison holds: "every seed", "one seed of three" ("one seed" without `of`)."""
    if count == seeds:
        return "every seed"
    words = f"{COUNT_WORDS.get(count, count)} seed{'' if count == 1 else 's'}"
    return f"{words} of {COUNT_WORDS[seeds]}" if of else words


def in_millions(examples: float) -> str:
    """A number of training examples in millions, as the text writes it."""
    return f"{examples / 1e6:.1f}"


def quoted_once(*figures: str) -> str:
    """The figure several results share, as the text quotes it once (all of them if they differ)."""
    return " or ".join(dict.fromkeys(figures))


# --- committed files -----------------------------------------------------------------------------------------------


def csv_rows(path: str) -> list[dict[str, str]]:
    """The rows of a committed CSV under benchmarks/results/."""
    with open(RESULTS / path, encoding="utf-8") as f:
        return list(csv.DictReader(f))


def one_row(path: str, **match: str) -> dict[str, str]:
    """The one row of a committed CSV under benchmarks/results/ whose columns hold `match`."""
    rows = [row for row in csv_rows(path) if all(row[k] == v for k, v in match.items())]
    assert len(rows) == 1, f"{path}: {len(rows)} rows match {match}"
    return rows[0]


def column_values(path: str, column: str, **match: str) -> list[float]:
    """`column` of the rows of a committed CSV whose columns hold `match`, seed by seed where it has seeds."""
    rows = [row for row in csv_rows(path) if all(row[k] == v for k, v in match.items())]
    assert rows, f"{path}: no row matches {match}"
    return [float(row[column]) for row in sorted(rows, key=lambda row: row.get("seed", ""))]


def by_seed(path: str, column: str, key: str = "model") -> dict[str, dict[str, float]]:
    """Seed -> {each row's `key` (its model, or a search's point): its `column`}, from a committed CSV."""
    table: dict[str, dict[str, float]] = {}
    for row in csv_rows(path):
        table.setdefault(row["seed"], {})[row[key]] = float(row[column])
    return dict(sorted(table.items()))


def target_times(path: str, key: str, models: Collection[str] | None = None) -> list[float]:
    """Column `key` of a committed time_to_target.csv over the seeds of `models` (every model by default)."""
    return [float(row[key]) for row in csv_rows(path) if models is None or row["model"] in models]


def interval(row: dict[str, str]) -> str:
    """A paired comparison's row (paired_runs.csv, paired_seeds.csv) as the text quotes it: "+0.0045 [+0.0005, +0.0085]"."""
    difference, low, high = (float(row[k]) for k in ("difference", "low", "high"))
    return f"{difference:+.4f} [{low:+.4f}, {high:+.4f}]"


def seed_rows(folder: str, model: str, reference: str, quantity: str = "test") -> list[dict[str, str]]:
    """`model` against `reference` in `folder`/paired_runs.csv, one row per seed (its pooled ``mean`` row left out)."""
    return [
        row
        for row in csv_rows(f"{folder}/paired_runs.csv")
        if (row["model"], row["reference"], row["quantity"]) == (model, reference, quantity)
        and row["seed"] != "mean"
    ]


def positive_on(row: dict[str, str]) -> str:
    """On how many seeds a comparison from seed to seed (paired_seeds.csv) is positive: "6 of 8"."""
    return f"{row['positive_seeds']} of {row['seeds']}"


def epoch_seconds(name: str, model: str) -> float:
    """`model`'s seconds per training epoch in epoch_throughput/`name`.csv (benchmarks/epoch_throughput.py)."""
    return float(one_row(f"epoch_throughput/{name}.csv", model=model)["epoch_train_s"])


# --- leaderboards --------------------------------------------------------------------------------------------------


def leaderboard(folder: str) -> dict[str, dict[str, float]]:
    """Model -> its committed leaderboard row (means and standard deviations over seeds) under `folder`."""
    return {
        row["model"]: {k: float(v or "nan") for k, v in row.items() if k.endswith(("_mean", "_std"))}
        for row in csv_rows(f"{folder}/leaderboard.csv")
    }


def ndcg(folder: str) -> dict[str, float]:
    """Model -> mean test NDCG@10 over seeds, from a committed leaderboard."""
    return {model: row["ndcg@10_mean"] for model, row in leaderboard(folder).items()}


def figure(folder: str, model: str, spread: bool = True, metric: str = "ndcg@10") -> str:
    """A leaderboard's mean test NDCG@10 (or `metric`) of `model` as the text writes it, with its spread ("± s")."""
    row = leaderboard(folder)[model]
    return f"{row[f'{metric}_mean']:.4f}" + (f" ± {row[f'{metric}_std']:.4f}" if spread else "")


def leaderboard_runs(folder: str, model: str, key: str = "valid_ndcg@10") -> list[float]:
    """`key` of `model`'s runs in a leaderboard folder's runs.csv, seed by seed (2020-2022)."""
    return [float(one_row(f"{folder}/runs.csv", model=model, seed=seed)[key]) for seed in SEEDS]


# --- validation searches (tuning/FOLDER/) --------------------------------------------------------------------------


def settings(point: str) -> dict[str, str]:
    """A search's point as its settings: "cl_weight=0.01 temperature=1.0" -> {"cl_weight": "0.01", ...}."""
    return dict(setting.split("=", 1) for setting in point.split())


def search_runs(folder: str, point: str, key: str = "valid_ndcg@10") -> list[float]:
    """`key` of `point`'s runs in tuning/`folder`/tuning_runs.csv, seed by seed (2020-2022)."""
    return [float(one_row(f"tuning/{folder}/tuning_runs.csv", point=point, seed=seed)[key]) for seed in SEEDS]


def on_seed_2020(folder: str, point: str, key: str = "valid_ndcg@10") -> float:
    """`key` of `point`'s run of seed 2020 in tuning/`folder`/tuning_runs.csv."""
    return float(one_row(f"tuning/{folder}/tuning_runs.csv", point=point, seed=SEEDS[0])[key])


def tabulated(folder: str, point: str, key: str = "valid_ndcg@10_mean") -> float:
    """`key` of `point`'s row in tuning/`folder`/tuning.csv (a mean over its seeds)."""
    return float(one_row(f"tuning/{folder}/tuning.csv", point=point)[key])


def by_point(folder: str, key: str = "valid_ndcg@10_mean") -> dict[str, float]:
    """Point -> `key` in tuning/`folder`/tuning.csv (for a one-seed search, its run's figure)."""
    return {row["point"]: float(row[key]) for row in csv_rows(f"tuning/{folder}/tuning.csv")}


def tuned(folder: str, point: str) -> str:
    """A search's validation NDCG@10 at `point` (tuning/FOLDER/tuning.csv), mean ± std over its seeds."""
    return plus_minus(tabulated(folder, point), tabulated(folder, point, "valid_ndcg@10_std"))


def tabulated_level(folder: str, point: str) -> str:
    """The level `point`'s curves settled at (the mean of their last 10 validations), mean over seeds."""
    return f"{tabulated(folder, point, 'valid_ndcg@10_last10_mean'):.4f}"


def wins(values: list[float], reference: list[float]) -> int:
    """On how many seeds `values` beat `reference`."""
    return sum(v > r for v, r in zip(values, reference, strict=True))


def higher_on(values: list[float], reference: list[float]) -> str:
    """On how many seeds `values` beat `reference`, in the text's words: "every seed", "two seeds", "one seed"."""
    return seed_count(wins(values, reference), len(values), of=False)


# --- validation curves (curves.csv) --------------------------------------------------------------------------------


def validation_curves(path: str, **match: str) -> dict[str, Curve]:
    """Seed -> its run's validation curve, (epoch, validation NDCG@10) in epoch order, from a committed curves.csv."""
    curves: dict[str, Curve] = {}
    for row in csv_rows(path):
        if all(row[k] == v for k, v in match.items()):
            curves.setdefault(row["seed"], []).append((int(row["epoch"]), float(row["valid_ndcg@10"])))
    assert curves, f"{path}: no curve matches {match}"
    return {seed: sorted(curve) for seed, curve in sorted(curves.items())}


def windows_per_epoch(path: str, **match: str) -> int:
    """The training windows one epoch draws in the runs of a committed curves.csv (``examples_seen`` / epoch)."""
    rows = [row for row in csv_rows(path) if all(row[k] == v for k, v in match.items())]
    per_epoch = {int(row["examples_seen"]) / int(row["epoch"]) for row in rows}
    assert len(per_epoch) == 1, f"{path}: {len(per_epoch)} different window counts per epoch"
    return int(per_epoch.pop())


def curve_level(path: str, until: float = math.inf, **match: str) -> float:
    """The level curves settle at: each run's mean of its last `LATE` validations up to `until`, mean over seeds."""
    curves = validation_curves(path, **match).values()
    return mean(mean([v for e, v in curve if e <= until][-LATE:]) for curve in curves)


def best_until(folder: str, point: str, epoch: float = math.inf, examples: float = math.inf) -> list[float]:
    """Seed by seed, the best validation NDCG@10 of `point`'s curves up to an epoch or a number of examples seen."""
    path = f"tuning/{folder}/curves.csv"
    if examples < math.inf:  # examples seen = epochs x windows per epoch
        epoch = min(epoch, examples / windows_per_epoch(path, point=point))
    return [max(v for e, v in curve if e <= epoch) for curve in validation_curves(path, point=point).values()]


def mean_curve(folder: str, point: str) -> dict[int, float]:
    """`point`'s validation curves averaged over seeds, at the epochs every seed validated."""
    by_epoch = [
        dict(curve) for curve in validation_curves(f"tuning/{folder}/curves.csv", point=point).values()
    ]
    common = set.intersection(*(set(curve) for curve in by_epoch))
    return {e: mean(curve[e] for curve in by_epoch) for e in sorted(common)}
