"""Figures the book and the README quote from committed benchmark results, checked against those results.

Every number in the text must come from an executed cell (the chapters' glue, checked by test_notebooks.py) or a
benchmark run committed under ``benchmarks/results/``; these tests read the latter's files and fail when the text
and the files disagree (a new run that moves a figure must update the text that quotes it).
"""

from __future__ import annotations

import csv
import json
import math
import re
from pathlib import Path
from statistics import mean

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
NUMBER_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine"}


def _one_line(text: str) -> str:
    """`text` with every run of white space one space: a quote may span lines."""
    return " ".join(text.split())


def _markdown(notebook: Path) -> str:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return " ".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown")


def _csv(path: str) -> list[dict[str, str]]:
    """The rows of a committed CSV under benchmarks/results/."""
    with open(RESULTS / path, encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _leaderboard(folder: str) -> dict[str, dict[str, float]]:
    """Model -> its committed leaderboard row (means and standard deviations over seeds) under `folder`."""
    return {
        row["model"]: {k: float(v or "nan") for k, v in row.items() if k.endswith(("_mean", "_std"))}
        for row in _csv(f"{folder}/leaderboard.csv")
    }


def _ndcg(folder: str) -> dict[str, float]:
    """Model -> mean test NDCG@10 over seeds, from a committed leaderboard."""
    return {model: row["ndcg@10_mean"] for model, row in _leaderboard(folder).items()}


def _row(path: str, **match: str) -> dict[str, str]:
    """The one row of a committed CSV under benchmarks/results/ whose columns hold `match`."""
    rows = [row for row in _csv(path) if all(row[k] == v for k, v in match.items())]
    assert len(rows) == 1, f"{path}: {len(rows)} rows match {match}"
    return rows[0]


# the book quotes each chapter's execution time at its defaults from the timed builds (benchmarks/book_build_time.py)
TIMED_BUILDS = re.compile(r"from (\d+) to (\d+) s in the (\w+) timed builds of the book")
TIMING_QUOTES = {"book/appendix_a_reports.md": "report"}  # prose pages quoting a notebook's time: its stem


def test_quoted_chapter_times_are_those_of_the_timed_builds() -> None:
    # "from 80 to 141 s in the three timed builds": the lowest and highest cold execution time over the committed
    # build records, and their number; a new timed build that moves either must update the text
    seconds: dict[str, list[float]] = {}
    for record in sorted((RESULTS / "book_build").glob("book_build_*.json")):
        for run in json.loads(record.read_text(encoding="utf-8"))["cold"]["executed"]:
            seconds.setdefault(Path(run["notebook"]).stem, []).append(run["seconds"])
    # page -> (the notebook whose time it quotes, its text)
    texts = {
        f"notebooks/{path.name}": (path.stem, _markdown(path))
        for path in sorted((ROOT / "notebooks").glob("*.ipynb"))
    }
    texts |= {page: (stem, (ROOT / page).read_text(encoding="utf-8")) for page, stem in TIMING_QUOTES.items()}
    texts = {page: (stem, _one_line(text)) for page, (stem, text) in texts.items()}
    quotes = [(page, stem, *q) for page, (stem, text) in texts.items() for q in TIMED_BUILDS.findall(text)]
    assert len(quotes) >= 6, "the chapters' and the appendix's timing quotes were not found"
    unchecked = [
        page
        for page, (_, text) in texts.items()
        if text.count("timed build") > len(TIMED_BUILDS.findall(text))
    ]
    assert not unchecked, f"timed builds quoted in other words, which this test cannot check: {unchecked}"
    wrong = {}
    for page, stem, low, high, count in quotes:
        times = seconds.get(stem, [])
        want = (round(min(times)), round(max(times)), NUMBER_WORDS.get(len(times))) if times else None
        if (int(low), int(high), count) != want:
            wrong[page] = ((int(low), int(high), count), want)
    assert not wrong, f"quoted (from, to, builds) against the timed builds' records: {wrong}"


def _figure(folder: str, model: str, spread: bool = True) -> str:
    """A leaderboard's mean test NDCG@10 of `model` as the text writes it, with its spread over seeds ("± s")."""
    row = _leaderboard(folder)[model]
    return f"{row['ndcg@10_mean']:.4f}" + (f" ± {row['ndcg@10_std']:.4f}" if spread else "")


def test_readme_quotes_the_committed_leaderboards() -> None:
    # each figure in the words of its own sentence, so that two figures swapped between sentences fail too
    holdout, graph, loo = "ml-100k-holdout", "ml-100k-holdout-graph", "ml-100k-loo"
    eight, ids = "ml-100k-loo-8-seeds", "ml-100k-loo-id-ties"
    recbole = {
        row["model"]: float(row["recbole_ndcg@10"]) for row in _csv("time_to_target/time_to_target.csv")
    }
    h = {m: _figure(holdout, m) for m in ("ease", "dae", "bpr", "multvae", "ae", "pop")}
    g = {m: _figure(graph, m) for m in ("xsimgcl", "simgcl", "sgl", "lightgcn")}
    quotes = [
        f"test NDCG@10 over seeds 2020-2022: EASE {h['ease']} (the best;",
        f"XSimGCL {g['xsimgcl']}, SimGCL {g['simgcl']}, SGL {g['sgl']}, DAE {h['dae']}, LightGCN {g['lightgcn']}, "
        f"BPR {h['bpr']}, Mult-VAE {h['multvae']}, the source article's autoencoder {h['ae']}, popularity "
        f"{h['pop']};",
        f"EASE gives {_figure('ml-100k-holdout-plain', 'ease')} against RecBole's {recbole['ease']:.4f} and ItemKNN "
        f"{_figure('ml-100k-holdout-plain', 'itemknn')} against {recbole['itemknn']:.4f};",
        f"CL4SRec scores {_figure(loo, 'cl4srec')}, SASRec {_figure(loo, 'sasrec')}, BERT4Rec "
        f"{_figure(loo, 'bert4rec')}, item-to-item {_figure(loo, 'itemnext', False)} and popularity "
        f"{_figure(loo, 'pop', False)} (`benchmarks/results/ml-100k-loo/`;",
        "the current code gives {} and {} on the same seeds".format(
            *(_figure(f"{eight}/baselines-2020-2022", m, False) for m in ("itemnext", "pop"))
        ),
        f"the former 0.01 gave {_figure('ml-100k-loo-cl4srec-cl001', 'cl4srec')})",
        f"over eight seeds CL4SRec scores {_figure(eight, 'cl4srec')} and SASRec {_figure(eight, 'sasrec')},",
        f"BERT4Rec scores {_figure(eight, 'bert4rec')} over the eight seeds",
        f"SASRec scored {_figure(ids, 'sasrec')} (at most 50 epochs), CL4SRec {_figure(ids, 'cl4srec')}, BERT4Rec "
        f"{_figure(ids, 'bert4rec')}, item-to-item {_figure(ids, 'itemnext', False)} and popularity "
        f"{_figure(ids, 'pop', False)} (`benchmarks/results/ml-100k-loo-id-ties/`)",
        f"`benchmarks/results/ml-100k-loo-sasrec-bce/`), {_figure('ml-100k-loo-sasrec-bce', 'sasrec')},",
        f"is higher ({_figure('ml-100k-loo-bert4rec-dropout01-random-ties', 'bert4rec')},",
    ]
    text = _one_line((ROOT / "README.md").read_text(encoding="utf-8"))
    missing = [quote for quote in quotes if quote not in text]
    # BERT4Rec with dropout 0.1 against without, on validation: the figures its default was chosen by
    dropout = _leaderboard("ml-100k-loo-bert4rec-dropout01-random-ties")["bert4rec"]
    default = _leaderboard("ml-100k-loo")["bert4rec"]
    quote = "({:.4f} ± {:.4f} against {:.4f} ± {:.4f})".format(
        *(row[k] for row in (dropout, default) for k in ("valid_ndcg@10_mean", "valid_ndcg@10_std"))
    )
    missing += [] if quote in text else [quote]
    # the same runs scored again with the items each user has seen left out of the ranking (benchmarks/rescore.py)
    rescored: dict[str, list[float]] = {}
    for run in _csv("ml-100k-loo-seen-excluded/rescored_runs.csv"):
        rescored.setdefault(run["model"], []).append(float(run["ndcg@10_seen_excluded"]))
    names = {
        "cl4srec": "CL4SRec",
        "sasrec": "SASRec",
        "bert4rec": "BERT4Rec",
        "itemnext": "item-to-item",
        "pop": "popularity",
    }
    quote = "every model gains: " + ", ".join(f"{names[m]} {mean(rescored[m]):.4f}" for m in names)
    missing += [] if quote in text else [quote]
    assert not missing, f"the README does not quote these committed leaderboard figures: {missing}"


def test_chapter_10_quotes_the_committed_sequence_benchmarks() -> None:
    # BERT4Rec against SASRec: every figure chapter 10 quotes, from the results folder it names
    loo, ids, eight = _ndcg("ml-100k-loo"), _ndcg("ml-100k-loo-id-ties"), _ndcg("ml-100k-loo-8-seeds")
    seeds = _row(
        "ml-100k-loo-8-seeds/paired_seeds.csv", model="bert4rec", reference="sasrec", quantity="test"
    )
    users = _row(
        "ml-100k-loo/paired_runs.csv", model="bert4rec", reference="sasrec", seed="mean", quantity="test"
    )

    def seeds_below(folder: str) -> tuple[int, int]:
        """(seeds where BERT4Rec's test NDCG@10 is below SASRec's, seeds) in a folder's runs.csv."""
        by_seed: dict[str, dict[str, float]] = {}
        for run in _csv(f"{folder}/runs.csv"):
            by_seed.setdefault(run["seed"], {})[run["model"]] = float(run["ndcg@10"])
        return sum(run["bert4rec"] < run["sasrec"] for run in by_seed.values()), len(by_seed)

    (below_3, n_3), (below_8, n_8) = seeds_below("ml-100k-loo"), seeds_below("ml-100k-loo-8-seeds")
    assert n_8 == int(seeds["seeds"]), "the eight seeds' runs and their paired comparison differ"
    quotes = [
        f"test NDCG@10 {loo['bert4rec']:.4f} against {loo['sasrec']:.4f}, means over the {NUMBER_WORDS[n_3]} "
        "leaderboard seeds, below on "
        + ("each" if below_3 == n_3 else NUMBER_WORDS.get(below_3, str(below_3))),
        f"over {NUMBER_WORDS[n_8]} seeds {eight['bert4rec']:.4f} against {eight['sasrec']:.4f}, "
        f"below on {NUMBER_WORDS.get(below_8, str(below_8))}",
        f"a difference of {float(seeds['difference']):+.4f} with a 95% interval of {float(seeds['low']):+.4f} to "
        f"{float(seeds['high']):+.4f} from seed to seed",
        f"the {users['n_users']} test users",
        f"interval of {float(users['low']):+.4f} to {float(users['high']):+.4f} for the mean difference user by user",
        f"BERT4Rec scored {_ndcg('ml-100k-loo-bert4rec-dropout01-random-ties')['bert4rec']:.4f} on test",
        f"SASRec scored {ids['sasrec']:.4f} and BERT4Rec {ids['bert4rec']:.4f}",
        f"({_ndcg('ml-100k-loo-sasrec-bce')['sasrec']:.4f} against {ids['bert4rec']:.4f},",
    ]
    text = _one_line((ROOT / "book" / "ch10_trends.md").read_text(encoding="utf-8"))
    missing = [quote for quote in quotes if quote not in text]
    assert not missing, f"chapter 10 does not quote the committed figures as: {missing}"


# the README's paired comparisons, "difference [95% interval]": (file under benchmarks/results/, model, reference);
# paired_runs.csv holds them user by user (over the seeds' mean), paired_seeds.csv from seed to seed
README_PAIRS = [
    ("ml-100k-holdout-graph/paired_runs.csv", "xsimgcl", "lightgcn"),
    ("ml-100k-holdout-graph-8-seeds/paired_seeds.csv", "xsimgcl", "lightgcn"),
    ("ml-100k-loo/paired_runs.csv", "bert4rec", "sasrec"),
    ("ml-100k-loo/paired_runs.csv", "sasrec", "itemnext"),
    ("ml-100k-loo/paired_runs.csv", "cl4srec", "sasrec"),
    ("ml-100k-loo/paired_seeds.csv", "bert4rec", "sasrec"),
    ("ml-100k-loo/paired_seeds.csv", "sasrec", "itemnext"),
    ("ml-100k-loo-8-seeds/paired_seeds.csv", "cl4srec", "sasrec"),
    ("ml-100k-loo-8-seeds/paired_seeds.csv", "cl4srec", "itemnext"),
    ("ml-100k-loo-8-seeds/paired_seeds.csv", "sasrec", "itemnext"),
    ("ml-100k-loo-8-seeds/paired_seeds.csv", "bert4rec", "sasrec"),
    ("ml-100k-loo-8-seeds/paired_seeds.csv", "bert4rec", "itemnext"),
]


def test_readme_quotes_the_committed_paired_comparisons() -> None:
    # "+0.0045 [+0.0005, +0.0085]": a test NDCG@10 difference and its 95% interval, as benchmarks/paired.py wrote them
    text = _one_line((ROOT / "README.md").read_text(encoding="utf-8"))
    missing = []
    for path, model, reference in README_PAIRS:
        mean = {"seed": "mean"} if path.endswith("paired_runs.csv") else {}
        row = _row(path, model=model, reference=reference, quantity="test", **mean)
        difference, low, high = (float(row[k]) for k in ("difference", "low", "high"))
        quote = f"{difference:+.4f} [{low:+.4f}, {high:+.4f}]"
        if quote not in text:
            missing.append(f"{quote} ({path}: {model} - {reference})")
    # and what the README says of two of them in words
    eight = _row(
        "ml-100k-loo-8-seeds/paired_seeds.csv", model="bert4rec", reference="sasrec", quantity="test"
    )
    loo = _ndcg("ml-100k-loo")
    graph = _ndcg("ml-100k-holdout-graph-8-seeds")
    ahead = [m for m in ("sgl", "simgcl", "xsimgcl") if graph[m] > graph["lightgcn"]]
    for quote in (
        f"higher on {eight['positive_seeds']} of {eight['seeds']})",
        f"CL4SRec is {loo['cl4srec'] - loo['sasrec']:.4f} above SASRec by the means",
        f"{'all three' if len(ahead) == 3 else NUMBER_WORDS.get(len(ahead), len(ahead))} lead LightGCN on average",
    ):
        missing += [] if quote in text else [quote]
    assert not missing, f"the README does not quote these committed comparisons: {missing}"


def test_readme_quotes_the_committed_times_to_recbole_s_figures() -> None:
    # the time each model needs to reach RecBole's NDCG@10, as a share of RecBole's wall time (time_to_target/),
    # and the graph models' time to their best epoch (ml-100k-holdout-graph/runs.csv)
    fast, graph = _csv("time_to_target/time_to_target.csv"), _csv("time_to_target/graph/time_to_target.csv")

    def most(rows: list[dict[str, str]], model: str | None = None, key: str = "ratio") -> float:
        return max(float(r[key]) for r in rows if model in (None, r["model"]))

    slowest = max(fast, key=lambda r: float(r["ratio"]))["model"]
    startup = sorted(float(r["startup_seconds"]) for r in fast)
    runs = _csv("ml-100k-holdout-graph/runs.csv")
    to_best = {m: [float(r["seconds_to_best"]) for r in runs if r["model"] == m] for m in ("lightgcn", "sgl")}
    recbole = {
        m: float(next(r for r in graph if r["model"] == m)["recbole_seconds"]) for m in ("lightgcn", "sgl")
    }
    quotes = [
        f"The {NUMBER_WORDS[len({r['model'] for r in fast})]} autoencoders and baselines timed in",
        f"reach it in at most {most(fast):.2f} of RecBole's wall time ({slowest.upper()}'s validation search the "
        f"slowest, not counting the {startup[0]:.1f}-{startup[-1]:.1f} s a Python process needs to start)",
        f"LightGCN and SGL in at most {most(graph, 'lightgcn'):.2f} and {most(graph, 'sgl'):.2f} of it; their best "
        f"epochs come after {mean(to_best['lightgcn']):.1f} s and {mean(to_best['sgl']):.1f} s on average, "
        f"against {recbole['lightgcn']:.0f} s and {recbole['sgl']:.0f} s for RecBole's whole runs",
    ]
    assert all(len(seconds) == 3 for seconds in to_best.values()), "the graph sweep ran three seeds"
    text = _one_line((ROOT / "README.md").read_text(encoding="utf-8"))
    missing = [quote for quote in quotes if quote not in text]
    assert not missing, f"the README does not quote the committed timings as: {missing}"


def test_chapters_quote_the_package_defaults_they_train_with() -> None:
    # prose that states a default: a retuned default must change the sentence too
    from sslrec_utils.experiment import resolve_configs

    ae_model, ae_training = resolve_configs("ae")
    graph = {name: resolve_configs(name)[0] for name in ("lightgcn", "sgl", "simgcl", "xsimgcl")}
    sizes = {(cfg.embedding_dim, cfg.n_layers) for cfg in graph.values()}
    assert len(sizes) == 1, f"the graph models' defaults differ, which chapter 7 says they share: {sizes}"
    ((dim, layers),) = sizes
    exponent = round(math.log10(ae_training.lr))
    assert math.isclose(ae_training.lr, 10.0**exponent), (
        f"the step size {ae_training.lr} is no power of 10: reword"
    )
    quotes = {
        "ch03_autoencoder_recipe": [
            f"batches of {ae_training.batch_size} users, $\\eta = 10^{{{exponent}}}$"
        ],
        "ch07_contrastive_masked": [
            f"at the package's defaults ({dim}-dimensional embeddings, {NUMBER_WORDS[layers]} layers,",
            f"The package's SGL defaults to $\\lambda = {graph['sgl'].ssl_reg:g}$",
        ],
    }
    missing = [
        (name, quote)
        for name, wanted in quotes.items()
        for quote in wanted
        if quote not in _one_line(_markdown(ROOT / "notebooks" / f"{name}.ipynb"))
    ]
    assert not missing, f"chapters that do not state the package's defaults as: {missing}"
    # chapter 3 names Adam's step size four times, each a power of ten: all must be the package's
    powers = re.findall(r"10\^\{(-?\d+)\}", _markdown(ROOT / "notebooks" / "ch03_autoencoder_recipe.ipynb"))
    assert len(powers) == 4 and set(powers) == {str(exponent)}, (
        f"chapter 3 quotes the step sizes 10^{powers}, the package's is 10^{exponent}"
    )


def test_results_readme_quotes_the_targets_and_book_builds_as_committed() -> None:
    # benchmarks/results/README.md: each model against RecBole's figure (the issues' quality targets), and the
    # timed builds of the book (the main job's 10-minute target)
    text = _one_line((RESULTS / "README.md").read_text(encoding="utf-8"))
    holdout, graph = _leaderboard("ml-100k-holdout"), _leaderboard("ml-100k-holdout-graph")
    recbole = {
        row["model"]: float(row["recbole_ndcg@10"])
        for path in ("time_to_target/time_to_target.csv", "time_to_target/graph/time_to_target.csv")
        for row in _csv(path)
    }
    names = {"ease": "EASE", "bpr": "BPR", "multvae": "Mult-VAE", "multdae": "Mult-DAE", "itemknn": "ItemKNN"}
    names |= {"cdae": "CDAE", "pop": "Pop"}
    quotes = [
        "EASE {:.4f} (RecBole {:.4f}), ".format(holdout["ease"]["ndcg@10_mean"], recbole["ease"])
        + ", ".join(
            f"{names[m]} {holdout[m]['ndcg@10_mean']:.4f} ({recbole[m]:.4f})" for m in list(names)[1:]
        ),
        " and ".join(
            f"{name} {graph[m]['ndcg@10_mean']:.4f} ± {graph[m]['ndcg@10_std']:.4f} (RecBole {recbole[m]:.4f})"
            for m, name in (("lightgcn", "LightGCN"), ("sgl", "SGL"))
        ),
    ]
    builds = _csv("book_build/book_build_times.csv")  # the first is quoted as "half the 10-minute target"
    quotes += [f"{float(b['cold_s']):.1f} s ({float(b['cold_over_target']):.2f} of it)" for b in builds[1:]]
    quotes.append(f"took {float(builds[0]['cold_s']):.1f} s, half the 10-minute target")
    warm = [f"{float(b['warm_s']):.1f} s" for b in builds]
    quotes.append(f"execution cache took {', '.join(warm[:-1])} and {warm[-1]}")
    missing = [quote for quote in quotes if quote not in text]
    assert not missing, f"benchmarks/results/README.md does not quote the committed figures as: {missing}"


# "+0.0045 [+0.0005, +0.0085]": a difference and its 95% interval, as benchmarks/paired.py writes them
INTERVAL = re.compile(r"([+-]?\d+\.\d+) \[([+-]?\d+\.\d+), ([+-]?\d+\.\d+)\]")
FORMER_INTERVALS = {  # quoted on purpose from rows that later runs replaced (in the repository's history)
    "+0.0014 [-0.0023, +0.0052]": "XSimGCL against LightGCN before its noise length was screened",
}


def test_every_quoted_interval_is_a_committed_comparison() -> None:
    # three figures at once rarely match by chance: each triple the READMEs quote must be a row of some committed
    # paired_runs.csv or paired_seeds.csv, at the precision the text gives
    rows = [
        (float(row["difference"]), float(row["low"]), float(row["high"]))
        for path in sorted(RESULTS.rglob("paired_*.csv"))
        for row in _csv(str(path.relative_to(RESULTS)))
    ]

    def committed(quoted: tuple[str, str, str]) -> bool:
        places = [len(x.split(".")[1]) for x in quoted]
        return any(
            all(
                abs(got - float(x)) <= 0.5 * 10.0**-k + 1e-12
                for got, x, k in zip(row, quoted, places, strict=True)
            )
            for row in rows
        )

    unknown = {}
    for page in ("README.md", "benchmarks/results/README.md"):
        text = _one_line((ROOT / page).read_text(encoding="utf-8"))
        quoted = INTERVAL.findall(text)
        assert quoted, f"{page} quotes no interval: has their format changed?"
        unknown[page] = [f"{d} [{lo}, {hi}]" for d, lo, hi in quoted if not committed((d, lo, hi))]
        unknown[page] = [q for q in unknown[page] if q not in FORMER_INTERVALS]
    assert not any(unknown.values()), f"intervals quoted that no committed comparison holds: {unknown}"


def test_results_readme_quotes_each_sequence_run_of_the_leaderboard() -> None:
    # the issue's sequence targets rest on these runs: each model's mean, spread, the three seeds' figures, best
    # epochs and the epochs at which early stopping ended them, from the leaderboard's runs.csv
    text = _one_line((RESULTS / "README.md").read_text(encoding="utf-8"))
    runs = sorted(_csv("ml-100k-loo/runs.csv"), key=lambda run: run["seed"])
    missing = []
    for model, name in (("sasrec", "SASRec"), ("cl4srec", "CL4SRec"), ("bert4rec", "BERT4Rec")):
        mine = [run for run in runs if run["model"] == model]
        assert len(mine) == 3, f"{model}: {len(mine)} runs in ml-100k-loo/runs.csv"
        scores = ", ".join(f"{float(run['ndcg@10']):.4f}" for run in mine)
        best, ended = (
            "{}, {} and {}".format(*(run[key] for run in mine)) for key in ("best_epoch", "epochs")
        )
        quote = (
            f"{name} {_figure('ml-100k-loo', model)} ({scores}; best epochs {best}, stopped early at {ended}"
        )
        missing += [] if quote in text else [quote]
    # over eight seeds, and on the five seeds the eight-seed folder added
    eight = "ml-100k-loo-8-seeds"
    new = [run for run in _csv(f"{eight}/runs.csv") if run["seed"] not in ("2020", "2021", "2022")]
    models = ("sasrec", "cl4srec", "bert4rec")
    alone = [mean(float(run["ndcg@10"]) for run in new if run["model"] == m) for m in models]
    quote = (
        "SASRec {}, CL4SRec {}, BERT4Rec {} (on the five new seeds alone {:.4f}, {:.4f} and {:.4f})".format(
            *(_figure(eight, m) for m in models), *alone
        )
    )
    assert {run["seed"] for run in new} == {"2023", "2024", "2025", "2026", "2027"}
    missing += [] if quote in text else [quote]
    assert not missing, f"benchmarks/results/README.md does not quote the runs as: {missing}"
