"""Figures the book and the README quote from committed benchmark results, checked against those results.

Every number in the text must come from an executed cell (the chapters' glue, checked by test_notebooks.py) or a
benchmark run committed under ``benchmarks/results/``; these tests read the latter's files and fail when the text
and the files disagree (a new run that moves a figure must update the text that quotes it).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from statistics import mean

from tests.quoted import (
    MODEL_NAMES,
    NUMBER_WORDS,
    RESULTS,
    ROOT,
    SEEDS,
    TIME_TO_TARGET,
    TIME_TO_TARGET_GRAPH,
    by_point,
    by_seed,
    csv_rows,
    figure,
    interval,
    leaderboard,
    ndcg,
    notebook_markdown,
    one_line,
    one_row,
    page,
    target_times,
    validation_curves,
    value_range,
)

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
        f"notebooks/{path.name}": (path.stem, notebook_markdown(path))
        for path in sorted((ROOT / "notebooks").glob("*.ipynb"))
    }
    texts |= {where: (stem, page(where)) for where, stem in TIMING_QUOTES.items()}
    texts = {where: (stem, one_line(text)) for where, (stem, text) in texts.items()}
    quotes = [(where, stem, *q) for where, (stem, text) in texts.items() for q in TIMED_BUILDS.findall(text)]
    assert len(quotes) >= 6, "the chapters' and the appendix's timing quotes were not found"
    unchecked = [
        where
        for where, (_, text) in texts.items()
        if text.count("timed build") > len(TIMED_BUILDS.findall(text))
    ]
    assert not unchecked, f"timed builds quoted in other words, which this test cannot check: {unchecked}"
    wrong = {}
    for where, stem, low, high, count in quotes:
        times = seconds.get(stem, [])
        want = (round(min(times)), round(max(times)), NUMBER_WORDS.get(len(times))) if times else None
        if (int(low), int(high), count) != want:
            wrong[where] = ((int(low), int(high), count), want)
    assert not wrong, f"quoted (from, to, builds) against the timed builds' records: {wrong}"


def test_readme_quotes_the_committed_leaderboards() -> None:
    # each figure in the words of its own sentence, so that two figures swapped between sentences fail too
    holdout, graph, loo = "ml-100k-holdout", "ml-100k-holdout-graph", "ml-100k-loo"
    eight, ids = "ml-100k-loo-8-seeds", "ml-100k-loo-id-ties"
    recbole = {
        row["model"]: float(row["recbole_ndcg@10"]) for row in csv_rows("time_to_target/time_to_target.csv")
    }
    h = {m: figure(holdout, m) for m in ("ease", "dae", "bpr", "multvae", "ae", "pop")}
    g = {m: figure(graph, m) for m in ("xsimgcl", "simgcl", "sgl", "lightgcn")}
    quotes = [
        f"test NDCG@10 over seeds 2020-2022: EASE {h['ease']} (the best,",
        f"XSimGCL {g['xsimgcl']}, SimGCL {g['simgcl']}, SGL {g['sgl']}, DAE {h['dae']}, LightGCN {g['lightgcn']}, "
        f"BPR {h['bpr']}, Mult-VAE {h['multvae']}, the source article's autoencoder {h['ae']}, popularity "
        f"{h['pop']};",
        f"EASE gives {figure('ml-100k-holdout-plain', 'ease')} against RecBole's {recbole['ease']:.4f} and ItemKNN "
        f"{figure('ml-100k-holdout-plain', 'itemknn')} against {recbole['itemknn']:.4f};",
        f"CL4SRec scores {figure(loo, 'cl4srec')}, SASRec {figure(loo, 'sasrec')}, BERT4Rec "
        f"{figure(loo, 'bert4rec')}, item-to-item {figure(loo, 'itemnext', False)} and popularity "
        f"{figure(loo, 'pop', False)} (`benchmarks/results/ml-100k-loo/`;",
        "the current code gives {} and {} on the same seeds".format(
            *(figure(f"{eight}/baselines-2020-2022", m, False) for m in ("itemnext", "pop"))
        ),
        f"the former 0.01 gave {figure('ml-100k-loo-cl4srec-cl001', 'cl4srec')})",
        f"over eight seeds CL4SRec scores {figure(eight, 'cl4srec')} and SASRec {figure(eight, 'sasrec')},",
        f"BERT4Rec scores {figure(eight, 'bert4rec')} over the eight seeds",
        f"SASRec scored {figure(ids, 'sasrec')} (at most 50 epochs), CL4SRec {figure(ids, 'cl4srec')}, BERT4Rec "
        f"{figure(ids, 'bert4rec')}, item-to-item {figure(ids, 'itemnext', False)} and popularity "
        f"{figure(ids, 'pop', False)} (`benchmarks/results/ml-100k-loo-id-ties/`)",
        f"`benchmarks/results/ml-100k-loo-sasrec-bce/`), {figure('ml-100k-loo-sasrec-bce', 'sasrec')},",
        f"is higher ({figure('ml-100k-loo-bert4rec-dropout01-random-ties', 'bert4rec')},",
    ]
    text = page("README.md")
    missing = [quote for quote in quotes if quote not in text]
    # BERT4Rec with dropout 0.1 against without, on validation: the figures its default was chosen by
    dropout = leaderboard("ml-100k-loo-bert4rec-dropout01-random-ties")["bert4rec"]
    default = leaderboard("ml-100k-loo")["bert4rec"]
    quote = "({:.4f} ± {:.4f} against {:.4f} ± {:.4f})".format(
        *(row[k] for row in (dropout, default) for k in ("valid_ndcg@10_mean", "valid_ndcg@10_std"))
    )
    missing += [] if quote in text else [quote]
    # the same runs scored again with the items each user has seen left out of the ranking (benchmarks/rescore.py)
    rescored: dict[str, list[float]] = {}
    for run in csv_rows("ml-100k-loo-seen-excluded/rescored_runs.csv"):
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
    loo, ids, eight = ndcg("ml-100k-loo"), ndcg("ml-100k-loo-id-ties"), ndcg("ml-100k-loo-8-seeds")
    seeds = one_row(
        "ml-100k-loo-8-seeds/paired_seeds.csv", model="bert4rec", reference="sasrec", quantity="test"
    )
    users = one_row(
        "ml-100k-loo/paired_runs.csv", model="bert4rec", reference="sasrec", seed="mean", quantity="test"
    )

    def seeds_below(folder: str) -> tuple[int, int]:
        """(seeds where BERT4Rec's test NDCG@10 is below SASRec's, seeds) in a folder's runs.csv."""
        runs = by_seed(f"{folder}/runs.csv", "ndcg@10")
        return sum(run["bert4rec"] < run["sasrec"] for run in runs.values()), len(runs)

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
        f"BERT4Rec scored {ndcg('ml-100k-loo-bert4rec-dropout01-random-ties')['bert4rec']:.4f} on test",
        f"SASRec scored {ids['sasrec']:.4f} and BERT4Rec {ids['bert4rec']:.4f}",
        f"({ndcg('ml-100k-loo-sasrec-bce')['sasrec']:.4f} against {ids['bert4rec']:.4f},",
    ]
    text = page("book/ch10_trends.md")
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
    text = page("README.md")
    missing = []
    for path, model, reference in README_PAIRS:
        mean = {"seed": "mean"} if path.endswith("paired_runs.csv") else {}
        quote = interval(one_row(path, model=model, reference=reference, quantity="test", **mean))
        if quote not in text:
            missing.append(f"{quote} ({path}: {model} - {reference})")
    # and what the README says of two of them in words
    eight = one_row(
        "ml-100k-loo-8-seeds/paired_seeds.csv", model="bert4rec", reference="sasrec", quantity="test"
    )
    loo = ndcg("ml-100k-loo")
    graph = ndcg("ml-100k-holdout-graph-8-seeds")
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
    fast = csv_rows(TIME_TO_TARGET)
    slowest = max(fast, key=lambda r: float(r["ratio"]))["model"]
    runs = csv_rows("ml-100k-holdout-graph/runs.csv")
    to_best = {m: [float(r["seconds_to_best"]) for r in runs if r["model"] == m] for m in ("lightgcn", "sgl")}
    recbole = {m: target_times(TIME_TO_TARGET_GRAPH, "recbole_seconds", [m])[0] for m in ("lightgcn", "sgl")}
    most = {m: max(target_times(TIME_TO_TARGET_GRAPH, "ratio", [m])) for m in ("lightgcn", "sgl")}
    quotes = [
        f"The {NUMBER_WORDS[len({r['model'] for r in fast})]} autoencoders and baselines timed in",
        f"reach it in at most {max(target_times(TIME_TO_TARGET, 'ratio')):.2f} of RecBole's wall time "
        f"({slowest.upper()}'s validation search the slowest, not counting the "
        f"{value_range(target_times(TIME_TO_TARGET, 'startup_seconds'), 1)} s a Python process needs to start)",
        f"LightGCN and SGL in at most {most['lightgcn']:.2f} and {most['sgl']:.2f} of it; their best "
        f"epochs come after {mean(to_best['lightgcn']):.1f} s and {mean(to_best['sgl']):.1f} s on average, "
        f"against {recbole['lightgcn']:.0f} s and {recbole['sgl']:.0f} s for RecBole's whole runs",
    ]
    assert all(len(seconds) == 3 for seconds in to_best.values()), "the graph sweep ran three seeds"
    text = page("README.md")
    missing = [quote for quote in quotes if quote not in text]
    assert not missing, f"the README does not quote the committed timings as: {missing}"


def test_chapter_7_s_solutions_quote_the_committed_searches() -> None:
    # exercise 1: SGL's lead over LightGCN in validation NDCG@10 along seed 2020's curves of the searches; exercise 2:
    # SGL's contrastive weights, level up to 0.01 and collapsing at 0.1 (below half the others' figure)
    text = one_line(notebook_markdown(ROOT / "notebooks" / "ch07_contrastive_masked.ipynb"))
    sgl = dict(validation_curves("tuning/sgl-drop-rate/curves.csv", point="drop_rate=0.05")[SEEDS[0]])
    lightgcn = dict(validation_curves("tuning/lightgcn-reg/curves.csv", point="reg=1e-3")[SEEDS[0]])
    lead = {epoch: sgl[epoch] - lightgcn[epoch] for epoch in (1, 10, 60)}
    weights = by_point("sgl-ssl-reg")
    level, collapsed = [weights[f"ssl_reg={w}"] for w in ("1e-3", "3e-3", "1e-2")], weights["ssl_reg=1e-1"]
    assert max(level) - min(level) < 0.005 and collapsed < min(level) / 2, (
        f"sgl-ssl-reg no longer reads so: {weights}"
    )
    quote = "NDCG@10 falls from {:.3f} after one epoch to {:.3f} after 10 and {:.3f} after 60".format(
        *lead.values()
    )
    assert quote in text, f"chapter 7 does not quote the committed curves as: {quote}"


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
        if quote not in one_line(notebook_markdown(ROOT / "notebooks" / f"{name}.ipynb"))
    ]
    assert not missing, f"chapters that do not state the package's defaults as: {missing}"
    # chapter 3 names Adam's step size four times, each a power of ten ("$\eta = 10^{-3}$", and a first Adam step
    # moving a weight "by about $10^{-3}$"): all must be the package's
    powers = re.findall(
        r"(?:\\eta = |by about \$)10\^\{(-?\d+)\}",
        one_line(notebook_markdown(ROOT / "notebooks" / "ch03_autoencoder_recipe.ipynb")),
    )
    assert len(powers) == 4 and set(powers) == {str(exponent)}, (
        f"chapter 3 quotes the step sizes 10^{powers}, the package's is 10^{exponent}"
    )


# "+0.0045 [+0.0005, +0.0085]": a difference and its 95% interval, as benchmarks/paired.py writes them
INTERVAL = re.compile(r"([+-]?\d+\.\d+) \[([+-]?\d+\.\d+), ([+-]?\d+\.\d+)\]")
FORMER_INTERVALS = {  # quoted on purpose from rows that later runs replaced (in the repository's history)
    "+0.0014 [-0.0023, +0.0052]": "XSimGCL against LightGCN before its noise length was screened",
}


# the models as the READMEs name them in a comparison
PAIR_NAMES = {model: (name,) for model, name in MODEL_NAMES.items()} | {
    "pop": ("Pop", "popularity"),
    "itemnext": ("item-to-item",),
}


def _named_before(text: str, end: int) -> dict[str, int]:
    """Model -> where its name last stands in the sentence (or list item) that ends at `end`, -1 where it is not;
    the sentence before is read too where this one names fewer than two models ("It is level with item-to-item")."""
    names = {
        model: re.compile(r"\b(" + "|".join(map(re.escape, n)) + r")(?![\w-])")
        for model, n in PAIR_NAMES.items()
    }
    start = end
    for _ in range(2):
        start = max(text.rfind(". ", 0, start), text.rfind(" - ", 0, start), 0)
        named = {
            model: max((m.start() for m in name.finditer(text, start, end)), default=-1)
            for model, name in names.items()
        }
        if sum(where >= 0 for where in named.values()) >= 2:
            break
    return named


def test_every_quoted_interval_is_a_committed_comparison_of_the_models_named() -> None:
    # three figures at once rarely match by chance: each triple the READMEs quote must be a row of some committed
    # paired_runs.csv or paired_seeds.csv, at the precision the text gives, comparing two models its sentence names
    # (`_named_before`), the nearer name before the interval one of the two (an interval moved to a sentence on other
    # models fails)
    rows = [
        (row["model"], row["reference"], float(row["difference"]), float(row["low"]), float(row["high"]))
        for path in sorted(RESULTS.rglob("paired_*.csv"))
        for row in csv_rows(str(path.relative_to(RESULTS)))
    ]

    def pairs(quoted: tuple[str, str, str]) -> set[tuple[str, str]]:
        places = [len(x.split(".")[1]) for x in quoted]
        return {
            (model, reference)
            for model, reference, *row in rows
            if all(
                abs(got - float(x)) <= 0.5 * 10.0**-k + 1e-12
                for got, x, k in zip(row, quoted, places, strict=True)
            )
        }

    unknown, misplaced = {}, {}
    for path in ("README.md", "benchmarks/results/README.md"):
        text = page(path)
        quoted = list(INTERVAL.finditer(text))
        assert quoted, f"{path} quotes no interval: has their format changed?"
        unknown[path], misplaced[path] = [], []
        for found in quoted:
            if found[0] in FORMER_INTERVALS:
                continue
            committed = pairs(found.groups())
            named = _named_before(text, found.start())
            nearest = max(named, key=named.__getitem__)
            if not committed:
                unknown[path].append(found[0])
            elif not any(named[m] >= 0 and named[r] >= 0 and nearest in (m, r) for m, r in committed):
                misplaced[path].append(f"{found[0]} (of {sorted(committed)}, in a sentence on {nearest})")
    assert not any(unknown.values()), f"intervals quoted that no committed comparison holds: {unknown}"
    assert not any(misplaced.values()), (
        f"intervals quoted beside other models than their own: {misplaced} (name both models of the comparison in "
        "the interval's sentence, the nearer one before the interval)"
    )
