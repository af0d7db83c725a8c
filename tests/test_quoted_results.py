"""Figures benchmarks/results/README.md quotes from the committed results, checked against those results.

Its table and each bullet's figures (leaderboards, runs seed by seed, paired comparisons, validation searches and
curves, timings and memory) are rebuilt from the files under ``benchmarks/results/`` that it names; a test fails
when the text and the files disagree, naming the quotes it did not find.
"""

from __future__ import annotations

import math
import re
from statistics import mean

from sslrec_utils.report_verdict import BENCHMARK_SEED_SPREAD
from tests.quoted import (
    COUNT_WORDS,
    LATE,
    MODEL_NAMES,
    NUMBER_WORDS,
    ORDINALS,
    RESULTS,
    TIME_TO_TARGET,
    TIME_TO_TARGET_GRAPH,
    assert_quoted,
    by_point,
    by_seed,
    column_values,
    csv_rows,
    curve_level,
    epoch_seconds,
    figure,
    in_text_order,
    interval,
    joined,
    leaderboard,
    listed,
    mean_spread,
    ndcg,
    one_row,
    page,
    seed_count,
    seed_rows,
    settings,
    tabulated_level,
    target_times,
    tuned,
    validation_curves,
    value_range,
    windows_per_epoch,
    xsimgcl_seed_2022_then,
)


def test_results_readme_quotes_the_targets_and_book_builds_as_committed() -> None:
    # benchmarks/results/README.md: each model against RecBole's figure (the issues' quality targets), and the
    # timed builds of the book (the main job's 10-minute target)
    text = page("benchmarks/results/README.md")
    holdout, graph = leaderboard("ml-100k-holdout"), leaderboard("ml-100k-holdout-graph")
    recbole = {
        row["model"]: float(row["recbole_ndcg@10"])
        for path in ("time_to_target/time_to_target.csv", "time_to_target/graph/time_to_target.csv")
        for row in csv_rows(path)
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
    builds = csv_rows("book_build/book_build_times.csv")  # the first is quoted as "half the 10-minute target"
    quotes += [f"{float(b['cold_s']):.1f} s ({float(b['cold_over_target']):.2f} of it)" for b in builds[1:]]
    quotes.append(f"took {float(builds[0]['cold_s']):.1f} s, half the 10-minute target")
    warm = [f"{float(b['warm_s']):.1f} s" for b in builds]
    quotes.append(f"execution cache took {', '.join(warm[:-1])} and {warm[-1]}")
    missing = [quote for quote in quotes if quote not in text]
    assert not missing, f"benchmarks/results/README.md does not quote the committed figures as: {missing}"


def test_results_readme_quotes_each_sequence_run_of_the_leaderboard() -> None:
    # the issue's sequence targets rest on these runs: each model's mean, spread, the three seeds' figures, best
    # epochs and the epochs at which early stopping ended them, from the leaderboard's runs.csv
    text = page("benchmarks/results/README.md")
    runs = sorted(csv_rows("ml-100k-loo/runs.csv"), key=lambda run: run["seed"])
    missing = []
    for model, name in (("sasrec", "SASRec"), ("cl4srec", "CL4SRec"), ("bert4rec", "BERT4Rec")):
        mine = [run for run in runs if run["model"] == model]
        assert len(mine) == 3, f"{model}: {len(mine)} runs in ml-100k-loo/runs.csv"
        scores = ", ".join(f"{float(run['ndcg@10']):.4f}" for run in mine)
        best, ended = (
            "{}, {} and {}".format(*(run[key] for run in mine)) for key in ("best_epoch", "epochs")
        )
        quote = (
            f"{name} {figure('ml-100k-loo', model)} ({scores}; best epochs {best}, stopped early at {ended}"
        )
        missing += [] if quote in text else [quote]
    # over eight seeds, and on the five seeds the eight-seed folder added
    eight = "ml-100k-loo-8-seeds"
    new = [run for run in csv_rows(f"{eight}/runs.csv") if run["seed"] not in ("2020", "2021", "2022")]
    models = ("sasrec", "cl4srec", "bert4rec")
    alone = [mean(float(run["ndcg@10"]) for run in new if run["model"] == m) for m in models]
    quote = (
        "SASRec {}, CL4SRec {}, BERT4Rec {} (on the five new seeds alone {:.4f}, {:.4f} and {:.4f})".format(
            *(figure(eight, m) for m in models), *alone
        )
    )
    assert {run["seed"] for run in new} == {"2023", "2024", "2025", "2026", "2027"}
    missing += [] if quote in text else [quote]
    # CL4SRec's lead over three seeds, and the seeds on which BERT4Rec is above SASRec over eight
    three = leaderboard("ml-100k-loo")
    lead = three["cl4srec"]["ndcg@10_mean"] - three["sasrec"]["ndcg@10_mean"]
    gaps = sorted(s["bert4rec"] - s["sasrec"] for s in by_seed(f"{eight}/runs.csv", "ndcg@10").values())
    above = [gap for gap in gaps if gap > 0]
    assert len(gaps) == 8 and lead > 0
    missing += [
        quote
        for quote in (
            f"CL4SRec's lead of {lead:.4f} over three seeds is gone",
            "higher on {} of 8 (by {})".format(len(above), " and ".join(f"{gap:.4f}" for gap in above)),
        )
        if quote not in text
    ]
    assert not missing, f"benchmarks/results/README.md does not quote the runs as: {missing}"


def test_results_readme_quotes_its_table_s_measurements_as_committed() -> None:
    # the table rows of benchmarks/results/README.md that quote figures: which models repeat a run exactly
    # (determinism/), the peaks of a synthetic log and of attention against the estimates that refuse a run
    # (synthetic_memory/, attention_memory/), and the synthetic log's shape in epoch_throughput/
    from sslrec_utils.data.synthetic import BYTES_PER_INTERACTION
    from sslrec_utils.experiment import resolve_configs

    text = page("benchmarks/results/README.md")
    runs = csv_rows("determinism/determinism.csv")
    ((threads, epochs),) = {(int(run["threads"]), int(run["epochs"])) for run in runs}
    assert all(run["same_at_threads"] == "True" for run in runs), (
        "a model that does not repeat at two threads"
    )
    apart = [
        MODEL_NAMES[m] for m in in_text_order(r["model"] for r in runs if r["same_as_one_thread"] != "True")
    ]
    quotes = [
        f"trained twice for {COUNT_WORDS[epochs]} epoch on ml-100k with {COUNT_WORDS[threads]} threads and once",
        f"every model repeats at {COUNT_WORDS[threads]} threads; all but {joined(apart)} also match one thread",
    ]
    # synthetic_memory.csv: MovieLens-100K's shape, ML-1M's, and gpu_check.sh's ML-20M-sized log
    small, ml1m, large = sorted(
        csv_rows("synthetic_memory/synthetic_memory.csv"), key=lambda row: int(row["rows"])
    )
    users, items, rows = (int(n) for n in large["shape"].split("x"))
    per = [float(row["bytes_per_interaction"]) for row in (large, ml1m)]
    assert max(per) < BYTES_PER_INTERACTION, "a large shape's peak above the estimate"
    assert float(small["peak_mb"]) > float(small["estimate_mb"]), (
        "the text says the small shape's peak is above"
    )
    quotes.append(
        f"{per[0]:.0f} bytes per interaction at the shape `gpu_check.sh` gives its ML-20M-sized log ({users:,} users, "
        f"{items:,} items, {rows // 10**6}M interactions: {float(large['peak_mb']):.0f} MiB), {per[1]:.0f} at ML-1M's, "
        f"both below the estimate's {BYTES_PER_INTERACTION} (ratios {float(large['estimate_over_peak']):.2f} and "
        f"{float(ml1m['estimate_over_peak']):.2f}); MovieLens-100K's shape peaks at {float(small['peak_mb']):.0f} MiB, "
        f"mostly fixed buffers, above its estimate of {float(small['estimate_mb']):.0f} MiB"
    )
    # epoch_throughput's synthetic log: a tenth of gpu_check.sh's in each dimension
    tenth = one_row("epoch_throughput/synthetic-tenth-ml20m-cpu.csv", model="sgl")
    shape = [int(n) for n in tenth["dataset"].removeprefix("synthetic:").split("x")]
    assert [10 * n for n in shape] == [users, items, rows], (
        "not a tenth of gpu_check.sh's log in each dimension"
    )
    quotes.append(
        f"in each dimension ({shape[0]:,} users, {shape[1]:,} items, {shape[2] // 10**6}M interactions)"
    )
    # attention_memory.csv: scoring's passes, and a training step at SASRec's and at BERT4Rec's defaults
    attention = "attention_memory/attention_memory.csv"
    points = csv_rows(attention)
    ((windows, positions),) = {(int(p["windows"]), int(p["max_len"])) for p in points}
    scoring = [float(p["bytes_per_window_position2"]) for p in points if p["pass"] == "score"]
    over = [float(p["estimate_over_peak"]) for p in points]
    sasrec, bert4rec = (resolve_configs(model)[0] for model in ("sasrec", "bert4rec"))
    assert bert4rec.attn_dropout == bert4rec.dropout == 0, "the text says BERT4Rec has no dropout"
    steps = [
        one_row(
            attention,
            **{"pass": "train", "attention": attention_kind},
            heads=str(cfg.n_heads),
            layers=str(cfg.n_layers),
            attn_dropout=f"{cfg.attn_dropout:g}",
        )
        for cfg, attention_kind in ((sasrec, "causal"), (bert4rec, "bidirectional"))
    ]
    quotes.append(
        f"{windows} windows of {positions:,} positions, one thread; a pass without gradients peaks at "
        f"{value_range(scoring, 1, ' to ')} bytes per window x position² whatever the heads and layers, a training "
        f"step at {float(steps[0]['bytes_per_window_position2']):.1f} with SASRec's defaults ({sasrec.n_layers} layers, "
        f"{sasrec.n_heads} heads, attention dropout {sasrec.attn_dropout:g}) and "
        f"{float(steps[1]['bytes_per_window_position2']):.1f} with BERT4Rec's (no dropout); the estimate is "
        f"{min(over):.4g} to {max(over):.4g} times the peak at every point"
    )
    assert_quoted(
        text, quotes, "benchmarks/results/README.md's table does not quote the committed figures as"
    )


def test_results_readme_quotes_the_autoencoders_and_baselines_as_committed() -> None:
    # the bullet "Autoencoders and baselines (holdout)": the best model against the stretch target, and EASE and
    # ItemKNN without the package's extensions (ml-100k-holdout-plain/) against RecBole's seed-2020 figures
    text = page("benchmarks/results/README.md")
    board = leaderboard("ml-100k-holdout") | leaderboard("ml-100k-holdout-graph")
    best = max(board, key=lambda model: board[model]["ndcg@10_mean"])
    stretch = re.search(r"stretch target of (\d\.\d+) is not reached", text)
    assert stretch and board[best]["ndcg@10_mean"] < float(stretch[1]), (
        "the stretch target is reached: reword"
    )
    plain = "ml-100k-holdout-plain"
    ease = leaderboard(plain)["ease"]["ndcg@10_mean"]
    recbole = float(one_row(f"{plain}/leaderboard.csv", model="ease")["recbole_ndcg@10"])
    seed_2020 = float(one_row(f"{plain}/runs.csv", model="ease", seed="2020")["ndcg@10"])
    quotes = [
        f"The specification's stretch target of {stretch[1]} is not reached: the best model, {MODEL_NAMES[best]}, has "
        f"{figure('ml-100k-holdout', best)}.",
        f"EASE gives {figure(plain, 'ease')}, {abs(recbole - ease):.4f} {'below' if ease < recbole else 'above'} "
        f"RecBole's seed-2020 figure ({seed_2020:.4f} on seed 2020 itself), and ItemKNN {figure(plain, 'itemknn')}, "
        "level with it",
    ]
    assert_quoted(text, quotes, "benchmarks/results/README.md does not quote the committed figures as")


def test_results_readme_quotes_the_times_to_recbole_s_quality_as_committed() -> None:
    # the bullet "Time to RecBole's quality": each model's share of RecBole's wall time over the seeds
    # (time_to_target/), without and with a Python process's start-up, and the leaderboard's times
    # (ml-100k-holdout/) it compares them with
    text = page("benchmarks/results/README.md")
    fast = csv_rows(TIME_TO_TARGET)
    closed = in_text_order(row["model"] for row in fast if row["epochs"] == "0")
    stepped = in_text_order(row["model"] for row in fast if row["epochs"] != "0")

    def share(models: list[str], key: str = "ratio") -> str:
        return value_range(target_times(TIME_TO_TARGET, key, models), 2)

    assert max(target_times(TIME_TO_TARGET, "ratio")) <= 1 / 3, (
        "the text says every model is within the target third"
    )
    bpr = ["bpr"]
    board = {
        model: one_row("ml-100k-holdout/leaderboard.csv", model=model) for model in ("bpr", "ease", "itemknn")
    }
    ease, itemknn = board["ease"], board["itemknn"]
    within = {"True": "true", "False": "false"}[ease["within_third_of_recbole_time"]]
    quotes = [
        f"counting our data setup: BPR {share(bpr)} (reached at epochs "
        f"{value_range(target_times(TIME_TO_TARGET, 'target_epoch', bpr), 0)}, "
        f"{value_range(target_times(TIME_TO_TARGET, 'seconds_to_target', bpr), 1)} s against "
        f"{target_times(TIME_TO_TARGET, 'recbole_seconds', bpr)[0]:.0f} s), Mult-VAE {share(['multvae'])}, Mult-DAE "
        f"{share(['multdae'])}, CDAE {share(['cdae'])}; the closed-form models "
        f"{joined([MODEL_NAMES[m] for m in closed])} {share(closed)}, their fits and validation searches included.",
        f"{value_range(target_times(TIME_TO_TARGET, 'startup_seconds', closed), 1)} s to import torch and the "
        "package, and for a model trained by steps "
        f"{value_range(target_times(TIME_TO_TARGET, 'startup_seconds', stepped), 1)} s, its first optimizer",
        f"BPR ({share(bpr, 'ratio_with_startup')}) and CDAE ({share(['cdae'], 'ratio_with_startup')}) inside the "
        "third, and the closed-form models, whose work takes about a second, are dominated by that start-up "
        f"({share(closed, 'ratio_with_startup')}).",
        f"had put BPR at {float(board['bpr']['seconds_to_best_mean']):.1f} s.",
        f"which gave EASE {float(ease['seconds_to_best_mean']):.1f} s and ItemKNN "
        f"{float(itemknn['seconds_to_best_mean']):.1f} s, the final fit alone.",
        f"with the search that chose them EASE took {float(ease['seconds_to_model_mean']):.1f} s and ItemKNN "
        f"{float(itemknn['seconds_to_model_mean']):.1f} s (means over seeds), so its column "
        f"`within_third_of_recbole_time` is {within} for EASE (RecBole's {float(ease['recbole_seconds']):.0f} s)",
    ]
    assert_quoted(text, quotes, "benchmarks/results/README.md does not quote the committed times as")


def test_results_readme_quotes_the_graph_models_as_committed() -> None:
    # the bullet "Graph models": the time to RecBole's figure (time_to_target/graph/), the leads over LightGCN,
    # best epochs, seconds per epoch and to the best epoch of the sweep (ml-100k-holdout-graph/), the best epochs of
    # the screenings that chose the contrastive settings and their one-thread runs (tuning/), and SGL's epoch
    # against RecBole's (epoch_throughput/)
    text = page("benchmarks/results/README.md")

    def reached(model: str) -> list[str]:
        """Epochs, seconds, share of RecBole's time and with start-up, and RecBole's seconds, over the seeds."""
        keys = (("target_epoch", 0), ("seconds_to_target", 1), ("ratio", 2), ("ratio_with_startup", 2))
        spans = [value_range(target_times(TIME_TO_TARGET_GRAPH, key, [model]), k, " to ") for key, k in keys]
        return [*spans, f"{target_times(TIME_TO_TARGET_GRAPH, 'recbole_seconds', [model])[0]:.0f}"]

    lightgcn, sgl = reached("lightgcn"), reached("sgl")
    board = leaderboard("ml-100k-holdout-graph")
    lead = {
        m: board[m]["ndcg@10_mean"] - board["lightgcn"]["ndcg@10_mean"] for m in ("xsimgcl", "simgcl", "sgl")
    }
    smaller = all(abs(lead[m]) < board[m]["ndcg@10_std"] for m in lead)
    best, per_epoch, to_best = (
        {m: row[key] for m, row in board.items()}
        for key in ("best_epoch_mean", "seconds_per_epoch_mean", "seconds_to_best_mean")
    )
    quotes = [
        f"LightGCN at epochs {lightgcn[0]}, after {lightgcn[1]} s, {lightgcn[2]} of RecBole's {lightgcn[4]} s "
        f"({lightgcn[3]} counting a Python process's start-up); SGL at epochs {sgl[0]}, after {sgl[1]} s, {sgl[2]} of "
        f"its {sgl[4]} s.",
        f"Against our own LightGCN, XSimGCL is {lead['xsimgcl']:.4f} higher, SimGCL {lead['simgcl']:.4f} and SGL "
        f"{lead['sgl']:.4f}: each {'less' if smaller else 'not all less'} than its own standard deviation over seeds;",
        f"the best epoch comes at {best['sgl']:.0f} (SGL), {best['simgcl']:.0f} (SimGCL) and {best['xsimgcl']:.0f} "
        f"(XSimGCL) on average against {best['lightgcn']:.0f} (LightGCN).",
        "took {:.2f} s for LightGCN, {:.2f} s for XSimGCL, {:.2f} s for SGL and {:.2f} s for SimGCL, and the best epoch "
        "came after {:.1f} s (LightGCN), {:.1f} s (XSimGCL), {:.1f} s (SGL) and {:.1f} s (SimGCL) on average, against "
        "{} s for RecBole's whole LightGCN run and {} s for its SGL run.".format(
            *(s[m] for s in (per_epoch, to_best) for m in ("lightgcn", "xsimgcl", "sgl", "simgcl")),
            lightgcn[4],
            sgl[4],
        ),
        # the section on the time columns (587.5 s: LightGCN's former row, in the repository's history)
        f"took 587.5 s to the best epoch where the sweep's took {to_best['lightgcn']:.1f} s)",
    ]
    # the former defaults' best epochs, from the screenings that replaced them (their test figures are the former
    # leaderboard rows', in the repository's history)
    screened = {
        (folder, point): epoch
        for folder in ("simgcl-eps-weight", "xsimgcl-cl-weight-005")
        for point, epoch in by_point(folder, "best_epoch_mean").items()
    }
    quotes += [
        f"with its best epoch at {screened['simgcl-eps-weight', '(defaults)']:.0f}. XSimGCL's weight became",
        f"best epoch {screened['xsimgcl-cl-weight-005', 'cl_weight=0.01']:.0f}), and then its noise length",
        f"best epoch {screened['xsimgcl-cl-weight-005', '(defaults)']:.0f}). SGL's figures",
    ]
    # XSimGCL's one-thread screening run of seed 2022 at weight 0.005, which the two-thread leaderboard run of then
    # (in the repository's history) reproduced to the best epoch but not to every digit of its validation figure
    screening_2022 = one_row("tuning/xsimgcl-cl-weight-005/tuning_runs.csv", point="(defaults)", seed="2022")
    then = xsimgcl_seed_2022_then()
    quotes += [
        f"on seed 2022 reached the same best epoch, {screening_2022['best_epoch']}, with a validation figure "
        f"{float(then) - float(screening_2022['valid_ndcg@10']):.5f} higher ({then} against "
        f"{float(screening_2022['valid_ndcg@10']):.5f}; its `runs.csv` of then, in the repository's history, "
        "against `tuning/xsimgcl-cl-weight-005/`)",
    ]
    # SGL's one-thread run of seed 2021 at drop rate 0.1, which the two-thread leaderboard run did not reproduce
    one_thread = one_row("tuning/sgl-drop-rate/tuning_runs.csv", point="(defaults)", seed="2021")
    epoch = re.search(r"\(epoch (\d+): \d\.\d+ with one thread", text)
    assert epoch, "SGL's one-thread validation figure is no longer quoted as it was"
    curve = one_row("tuning/sgl-drop-rate/curves.csv", point="(defaults)", seed="2021", epoch=epoch[1])
    quotes += [
        f"(epoch {epoch[1]}: {float(curve['valid_ndcg@10']):.5f} with one thread",
        f"instead of {one_thread['best_epoch']} (test",
        f"stopped at best epoch {one_thread['best_epoch']} with test NDCG@10",
        f"and validation {float(one_thread['valid_ndcg@10']):.5f}: the one-thread run's figures to every digit",
    ]
    # SimGCL's one-thread screening runs at its weight 0.005 against the sweep's, on the seeds where they differ
    screening = {
        row["seed"]: f"{float(row['valid_ndcg@10']):.6f}"
        for row in csv_rows("tuning/simgcl-eps-weight/tuning_runs.csv")
        if row["point"] == "cl_weight=0.005"
    }
    sweep = {
        row["seed"]: f"{float(row['valid_ndcg@10']):.6f}"
        for row in csv_rows("ml-100k-holdout-graph/runs.csv")
        if row["model"] == "simgcl"
    }
    seeds = sorted(seed for seed in sweep if sweep[seed] != screening[seed])
    assert len(seeds) == 2, f"SimGCL's screening and sweep differ on seeds {seeds}, where the text names two"
    quotes.append(
        "({} and {} on seeds {} and {}, against the sweep's {} and {})".format(
            *(screening[s] for s in seeds), *seeds, *(sweep[s] for s in seeds)
        )
    )
    # SGL's epoch (epoch_throughput/) against RecBole's, which the README's note on RecBole's figures gives
    recbole = re.search(r"per epoch, (\d+\.\d+) s for SGL", text)
    assert recbole, "RecBole's SGL epoch is no longer quoted as it was"
    all_negatives, batch_negatives, other_day = (
        epoch_seconds(name, "sgl")
        for name in ("ml-100k-cpu-sgl-all-negatives", "ml-100k-cpu-sgl-batch-negatives", "ml-100k-cpu")
    )
    quotes += [
        f"an SGL epoch takes {all_negatives:.2f} s (`epoch_throughput/ml-100k-cpu-sgl-all-negatives.csv`), against "
        f"RecBole's {recbole[1]} s, which computes the same loss: {float(recbole[1]) / all_negatives:.1f} times faster",
        f"With the batch's negatives it took {batch_negatives:.2f} s, measured beside it "
        "(`epoch_throughput/ml-100k-cpu-sgl-batch-negatives.csv`: the paper's negatives cost "
        f"{all_negatives / batch_negatives:.2f} times as much;",
        f"and {other_day:.2f} s on another day (`epoch_throughput/ml-100k-cpu.csv`)",
    ]
    assert_quoted(text, quotes, "benchmarks/results/README.md does not quote the committed graph figures as")


def test_results_readme_quotes_the_graph_models_seeds_as_committed() -> None:
    # the paired comparisons' bullet on the graph models: XSimGCL's difference from LightGCN seed by seed
    # (ml-100k-holdout-graph/paired_runs.csv), and the leads and LightGCN's spread over eight seeds
    # (ml-100k-holdout-graph-8-seeds/)
    text = page("benchmarks/results/README.md")
    per_seed = seed_rows("ml-100k-holdout-graph", "xsimgcl", "lightgcn")
    above = [
        f"{row['seed']}: {float(row['difference']):+.4f}" for row in per_seed if row["verdict"] == "above"
    ]
    level = [
        f"{row['seed']}: {float(row['difference']):+.4f}" for row in per_seed if row["verdict"] != "above"
    ]
    three, eight = leaderboard("ml-100k-holdout-graph"), leaderboard("ml-100k-holdout-graph-8-seeds")
    lead = {
        m: [board[m]["ndcg@10_mean"] - board["lightgcn"]["ndcg@10_mean"] for board in (three, eight)]
        for m in ("xsimgcl", "simgcl", "sgl")
    }
    assert all(later > first for first, later in lead.values()), (
        "the text says each lead grows over eight seeds"
    )
    seeds = one_row(
        "ml-100k-holdout-graph-8-seeds/paired_seeds.csv",
        model="xsimgcl",
        reference="lightgcn",
        quantity="test",
    )
    n_three, n_eight = (
        int(one_row(f"{f}/leaderboard.csv", model="lightgcn")["seeds"])
        for f in ("ml-100k-holdout-graph", "ml-100k-holdout-graph-8-seeds")
    )
    assert n_eight == int(seeds["seeds"]), "the eight seeds' leaderboard and their comparison differ"
    lightgcn = (
        three["lightgcn"]["ndcg@10_std"],
        eight["lightgcn"]["ndcg@10_std"],
        eight["lightgcn"]["ndcg@10_mean"],
    )
    users = {  # user by user, mean over the three seeds
        m: interval(
            one_row(
                "ml-100k-holdout-graph/paired_runs.csv",
                model=m,
                reference="lightgcn",
                quantity="test",
                seed="mean",
            )
        )
        for m in ("sgl", "simgcl", "xsimgcl")
    }
    over_seeds = {
        m: one_row(
            "ml-100k-holdout-graph-8-seeds/paired_seeds.csv", model=m, reference="lightgcn", quantity="test"
        )
        for m in ("sgl", "simgcl")
    }
    quotes = [
        f"Graph models against LightGCN (`ml-100k-holdout-graph/paired.md`): SGL {users['sgl']}, SimGCL "
        f"{users['simgcl']}, XSimGCL {users['xsimgcl']}.",
        f"only XSimGCL's lead over LightGCN holds, {interval(seeds)}, higher on",
        "SGL's [{}] and SimGCL's [{}] do not.".format(
            *(f"{float(row['low']):+.4f}, {float(row['high']):+.4f}" for row in over_seeds.values())
        ),
        f"on {COUNT_WORDS[len(above)]} seed of {COUNT_WORDS[len(per_seed)]} ({'; '.join(above)}; {', '.join(level)}):",
        f"lead larger over {COUNT_WORDS[n_eight]} seeds (XSimGCL {lead['xsimgcl'][1]:+.4f}, SimGCL "
        f"{lead['simgcl'][1]:+.4f}, SGL {lead['sgl'][1]:+.4f})",
        f"higher on {COUNT_WORDS[int(seeds['positive_seeds'])]} seeds of {COUNT_WORDS[n_eight]};",
        f"LightGCN's spread of {lightgcn[0]:.4f} over the first {COUNT_WORDS[n_three]} seeds was luck: "
        f"{lightgcn[1]:.4f} over {COUNT_WORDS[n_eight]}, its mean {lightgcn[2]:.4f}.",
    ]
    assert_quoted(text, quotes, "benchmarks/results/README.md does not quote the committed comparisons as")


def test_results_readme_quotes_the_random_ties_sequence_runs() -> None:
    # the bullet on ml-100k-loo/ (random order of ties): the baselines and the gaps between the means, the falls
    # from the item-ID order's figures, BERT4Rec's validation figures, the runs scored with the seen items left out
    # and the share of users whose latest film is in the top 10 (rescored_runs.csv), BERT4Rec at dropout 0.1 on
    # test, and the time per epoch of the leaderboard
    from sslrec_utils.experiment import resolve_configs

    text = page("benchmarks/results/README.md")
    loo, ids, cl001 = "ml-100k-loo", "ml-100k-loo-id-ties", "ml-100k-loo-cl4srec-cl001"
    d01 = "ml-100k-loo-bert4rec-dropout01-random-ties"
    board, n = leaderboard(loo), ndcg(loo)
    test = by_seed(f"{loo}/runs.csv", "ndcg@10")
    below = [seed for seed, run in test.items() if run["bert4rec"] < run["sasrec"]]
    cl_below = [seed for seed, run in test.items() if run["cl4srec"] < run["sasrec"]]
    users = one_row(
        f"{loo}/paired_runs.csv", model="bert4rec", reference="sasrec", seed="mean", quantity="test"
    )
    lead = {m: f"{n[m] - n['itemnext']:.4f}" for m in ("cl4srec", "sasrec", "bert4rec")}
    # against the item-ID order of ties: CL4SRec's runs at the former weight (cl001) against that order's, also 0.01
    now, then = n | {"cl4srec": ndcg(cl001)["cl4srec"]}, ndcg(ids)
    fall = {m: f"{1 - now[m] / then[m]:.0%}" for m in now}
    id_best = [int(v) for v in column_values(f"{ids}/runs.csv", "best_epoch", model="bert4rec")]
    id_budget = int(max(column_values(f"{ids}/runs.csv", "epochs", model="bert4rec")))
    drop = one_row(
        f"{loo}/paired_runs.csv", model="bert4rec", reference="sasrec", seed="mean", quantity="drop"
    )
    id_drop = one_row(
        "ml-100k-loo-rerun/paired_runs.csv",
        model="bert4rec",
        reference="sasrec",
        seed="mean",
        quantity="drop",
    )
    seen = "ml-100k-loo-seen-excluded/rescored_runs.csv"
    excluded = {m: column_values(seen, "ndcg@10_seen_excluded", model=m) for m in now}
    former = column_values(f"{cl001}/rescored_runs.csv", "ndcg@10_seen_excluded", model="cl4srec")
    latest = {m: f"{mean(column_values(seen, 'latest_in_top10', model=m)):.0%}" for m in now}
    dropout = leaderboard(d01)["bert4rec"]
    best = [int(v) for v in column_values(f"{d01}/runs.csv", "best_epoch")]
    level = one_row(
        f"{d01}/paired_runs.csv", model="bert4rec", reference="sasrec", seed="mean", quantity="test"
    )
    default_best = [int(v) for v in column_values(f"{loo}/runs.csv", "best_epoch", model="bert4rec")]
    per_epoch = {m: f"{row['seconds_per_epoch_mean']:.1f}" for m, row in board.items()}
    weight = resolve_configs("cl4srec")[0].cl_weight
    quotes = [
        f"item-to-item {n['itemnext']:.4f}, Pop {n['pop']:.4f}. Against the targets: BERT4Rec is **not** at least "
        f"SASRec: it is below it on {seed_count(len(below), len(test))}, by {n['sasrec'] - n['bert4rec']:.4f} on "
        "average",
        f"at the edge of the {users['n_users']} test users' noise",
        f"CL4SRec is {n['cl4srec'] - n['sasrec']:.4f} above SASRec by the means",
        f"CL4SRec is below SASRec on seed {joined(cl_below)},",
        f"at the small weight chosen on validation ({weight:g}), neither helps nor hurts measurably; at the former "
        f"0.01, chosen with the item-ID order, CL4SRec scored {figure(cl001, 'cl4srec')} (",
        f"CL4SRec by {lead['cl4srec']} and SASRec by {lead['sasrec']} (a fifth) over item-to-item, BERT4Rec by "
        f"{lead['bert4rec']};",
        f"test NDCG@10 falls by {fall['sasrec']} for SASRec (from {then['sasrec']:.4f} at a 50-epoch cap), "
        f"{fall['cl4srec']} for CL4SRec at its former weight 0.01 (from {then['cl4srec']:.4f}), {fall['bert4rec']} "
        f"for BERT4Rec (from {then['bert4rec']:.4f}) and {fall['itemnext']} for item-to-item (from "
        f"{then['itemnext']:.4f}), and rises by {now['pop'] / then['pop'] - 1:.0%} for popularity (from "
        f"{then['pop']:.4f})",
        f"({min(id_best)} to {max(id_best)} of {id_budget} there). Its validation figure, "
        f"{figure(loo, 'bert4rec', metric='valid_ndcg@10')}, is level with SASRec's "
        f"{figure(loo, 'sasrec', metric='valid_ndcg@10')}, and its fall from validation to test is "
        f"{float(drop['difference']):.4f} larger than SASRec's ([{float(drop['low']):+.4f}, "
        f"{float(drop['high']):+.4f}], within the users' noise, where the ID order had made it "
        f"{float(id_drop['difference']):+.4f} beyond it)",
        f"SASRec {mean_spread(excluded['sasrec'])}, CL4SRec {mean_spread(excluded['cl4srec'])} "
        f"({mean_spread(former)} at the former weight), BERT4Rec {mean_spread(excluded['bert4rec'])}, item-to-item "
        f"{mean(excluded['itemnext']):.4f}, Pop {mean(excluded['pop']):.4f}; the film just watched is in the top 10 of {latest['sasrec']} of the users "
        f"with SASRec, {latest['cl4srec']} with CL4SRec, {latest['bert4rec']} with BERT4Rec.",
        f"are higher: {figure(d01, 'bert4rec')} ({listed(column_values(f'{d01}/runs.csv', 'ndcg@10'))}; best epochs "
        f"{joined(best)} of {int(max(column_values(f'{d01}/runs.csv', 'epochs')))}), level with SASRec user by user "
        f"({interval(level)}), where the "
        f"default's {n['bert4rec']:.4f} is {n['sasrec'] - n['bert4rec']:.4f} below it.",
        f"test ({dropout['valid_ndcg@10_mean'] - dropout['ndcg@10_mean']:.4f} against "
        f"{board['bert4rec']['valid_ndcg@10_mean'] - n['bert4rec']:.4f} for the default, whose validation curves "
        f"peak early, at epochs {min(default_best)} to {max(default_best)})",
        f"a SASRec epoch took {per_epoch['sasrec']} s, a CL4SRec epoch "
        f"{leaderboard(cl001)['cl4srec']['seconds_per_epoch_mean']:.1f} s (at the former weight; the runs at "
        f"{weight:g} shared the two cores with two or three other runs, {per_epoch['cl4srec']} s) and a BERT4Rec "
        f"epoch {per_epoch['bert4rec']} s",
    ]
    assert_quoted(text, quotes, "benchmarks/results/README.md does not quote the committed figures as")


def test_results_readme_quotes_the_random_ties_searches() -> None:
    # the same bullet's validation searches on the random order of ties (tuning/*-random-ties/ and two screenings
    # on seed 2020): each point's validation NDCG@10, mean ± std over seeds, and on how many seeds it was higher
    from sslrec_utils.experiment import resolve_configs

    text = page("benchmarks/results/README.md")
    weight, dropout0 = resolve_configs("cl4srec")[0].cl_weight, resolve_configs("bert4rec")[0].dropout
    bert = by_seed("tuning/bert4rec-random-ties/tuning_runs.csv", "valid_ndcg@10", key="point")
    tried, default = "dropout=0.1 attn_dropout=0.1", "(defaults)"
    won = [seed for seed, run in bert.items() if run[tried] > run[default]]
    sasrec = by_seed("tuning/sasrec-random-ties/tuning_runs.csv", "valid_ndcg@10", key="point")
    dropout = "dropout=0.5 attn_dropout=0.5"
    higher = [seed for seed, run in sasrec.items() if dropout in run and run[dropout] > run[default]]
    (lr_seed,) = [seed for seed, run in sasrec.items() if "lr=0.001" in run]
    nt_xent = [row for row in csv_rows("tuning/cl4srec-nt-xent/tuning.csv") if "nt_xent" in row["point"]]
    best = max(nt_xent, key=lambda row: float(row["valid_ndcg@10_mean"]))
    screened = {folder: by_point(folder) for folder in ("cl4srec-nt-xent", "bert4rec-loss-mean")}
    (screening_seed,) = {row["seed"] for f in screened for row in csv_rows(f"tuning/{f}/tuning_runs.csv")}
    quotes = [
        f"contrastive weight {weight:g}, chosen on this split's validation part",
        f"it won on seed {joined(won)} ({bert[won[0]][tried]:.4f} against {bert[won[0]][default]:.4f} in validation "
        f"NDCG@10) but not over {NUMBER_WORDS[len(bert)]} seeds ({tuned('bert4rec-random-ties', tried)} against "
        f"{tuned('bert4rec-random-ties', default)}, higher on {seed_count(len(won), len(bert))}), so the default stays "
        f"dropout {dropout0:g}.",
        f"({tuned('cl4srec-random-ties', default)} in validation NDCG@10 at {weight:g} against "
        f"{tuned('cl4srec-random-ties', 'cl_weight=0.01')} at 0.01; SASRec's "
        f"{figure('ml-100k-loo', 'sasrec', metric='valid_ndcg@10')})",
        f"RecBole's dropout of 0.5 lost over {NUMBER_WORDS[len(sasrec)]} seeds "
        f"({tuned('sasrec-random-ties', dropout)} against {tuned('sasrec-random-ties', default)}, higher on "
        f"{seed_count(len(higher), len(sasrec))}; still "
        f"{tuned('sasrec-patience40', f'{dropout} patience=40')} with a patience of 40 validations",
        f"its learning rate of 1e-3 on seed {lr_seed} ({sasrec[lr_seed]['lr=0.001']:.4f} against "
        f"{sasrec[lr_seed][default]:.4f})",
        f"were screened on seed {screening_seed}'s validation part",
        f"({float(best['valid_ndcg@10_mean']):.4f} at its best weight tried, {settings(best['point'])['cl_weight']}, "
        f"against the default's {screened['cl4srec-nt-xent'][default]:.4f}; `tuning/cl4srec-nt-xent/`)",
        f"({screened['bert4rec-loss-mean']['loss_mean=window']:.4f} against "
        f"{screened['bert4rec-loss-mean'][default]:.4f} at the former tiling;",
    ]
    assert_quoted(text, quotes, "benchmarks/results/README.md does not quote the committed searches as")


def test_results_readme_quotes_the_item_id_order_sequence_runs() -> None:
    # the bullet on ml-100k-loo-id-ties/ (the former item-ID order of ties): its leaderboard and how SASRec's runs
    # ended, CL4SRec's search (tuning/cl4srec/), BERT4Rec's four stages of defaults and the searches between them,
    # the levels validation curves settle at (tuning/*-levels/), and SASRec trained with BCE
    # (ml-100k-loo-sasrec-bce*/)
    from scipy import stats

    from sslrec_utils.experiment import resolve_configs

    text = page("benchmarks/results/README.md")
    ids, d01 = "ml-100k-loo-id-ties", "ml-100k-loo-bert4rec-dropout01"
    bce, p15 = "ml-100k-loo-sasrec-bce", "ml-100k-loo-sasrec-bce-patience15"
    n = ndcg(ids)
    patience = resolve_configs("sasrec")[1].patience
    bert, bert_training = resolve_configs("bert4rec")
    # SASRec's first sweep: how many epochs after its best each run ended, against its cap and its patience
    sasrec = [run for run in csv_rows(f"{ids}/runs.csv") if run["model"] == "sasrec"]
    (cap,) = {int(run["options"].removeprefix("--epochs ")) for run in sasrec}
    after = [int(run["epochs"]) - int(run["best_epoch"]) for run in sasrec]
    early = [gap for gap in after if gap == patience]
    (late,) = [
        gap for run, gap in zip(sasrec, after, strict=True) if gap < patience and int(run["epochs"]) == cap
    ]
    # CL4SRec's search: the weight chosen, and what the paper's weight cost at the same temperature
    search = by_point("cl4srec")
    chosen = max(search, key=lambda point: search[point])
    paper = f"cl_weight=0.1 temperature={settings(chosen)['temperature']}"
    # BERT4Rec: windows per epoch at stride 5 and at the former tiling, epoch times at stride 1 and 5
    windows = windows_per_epoch("tuning/bert4rec-dropout0-200/curves.csv") / windows_per_epoch(
        "tuning/bert4rec-loss-mean/curves.csv", point="(defaults)"
    )
    stride = {
        row["point"]: float(row["seconds_per_epoch_mean"])
        for row in csv_rows("tuning/bert4rec-stride/tuning.csv")
    }
    longer = COUNT_WORDS[round(stride["stride=1 epochs=30"] / stride["(defaults)"])]
    # the default (dropout 0.1 then) after as many epochs as the runs it is compared with: its best by then
    schedule, no_dropout = "epochs=120 lr_schedule=linear", "dropout=0.0 attn_dropout=0.0 epochs=120"
    (as_many,) = {
        int(v) for v in column_values("tuning/bert4rec-lr-schedule/tuning_runs.csv", "epochs", point=schedule)
    }
    by_then = {
        folder: {
            seed: max(v for epoch, v in curve if epoch <= as_many)
            for seed, curve in validation_curves(f"tuning/{folder}/curves.csv", point="(defaults)").items()
        }
        for folder in ("bert4rec-lr-schedule", "bert4rec-dropout0")
    }
    short = by_seed("tuning/bert4rec-dropout0/tuning_runs.csv", "valid_ndcg@10", key="point")
    gaining = [seed for seed, run in short.items() if run[no_dropout] > by_then["bert4rec-dropout0"][seed]]
    full = by_seed("tuning/bert4rec-dropout0-200/tuning_runs.csv", "valid_ndcg@10", key="point")
    won = [
        seed for seed, run in full.items() if run["dropout=0.0 attn_dropout=0.0"] > short[seed]["(defaults)"]
    ]
    budget = int(max(column_values("tuning/bert4rec-dropout0-200/tuning_runs.csv", "epochs")))
    # the levels the validation curves settle at: BERT4Rec's settings on seed 2020, the top one its stride 5
    levels = by_point("bert4rec-levels", "valid_ndcg@10_last10_mean")
    top = max(levels, key=lambda point: levels[point])
    assert settings(top)["stride"] == str(bert.stride), (
        f"the highest level is not the overlapping windows': {top}"
    )
    rest = [level for point, level in levels.items() if point != top]

    # SASRec with BCE against BERT4Rec at dropout 0.1 and at its current defaults, seed by seed
    test = {f: column_values(f"{f}/runs.csv", "ndcg@10") for f in (bce, d01)} | {
        ids: column_values(f"{ids}/runs.csv", "ndcg@10", model="bert4rec")
    }
    valid = {f: column_values(f"{f}/runs.csv", "valid_ndcg@10") for f in (bce, d01)}
    valid[ids] = column_values(f"{ids}/runs.csv", "valid_ndcg@10", model="bert4rec")
    below = {f: sum(a < b for a, b in zip(test[bce], test[f], strict=True)) for f in (d01, ids)}
    lower = sum(v < min(a, b) for v, a, b in zip(valid[bce], valid[d01], valid[ids], strict=True))
    welch = {f: stats.ttest_ind(test[bce], test[f], equal_var=False).pvalue for f in (d01, ids)}
    quotes = [
        f"CL4SRec {figure(ids, 'cl4srec')}, SASRec {figure(ids, 'sasrec')}, item-to-item "
        f"{figure(ids, 'itemnext', False)}, BERT4Rec {figure(ids, 'bert4rec')}, Pop {figure(ids, 'pop', False)}.",
        f"SASRec's runs (first sweep, {cap}-epoch cap) ended {min(after)} to {max(after)} epochs after their best: "
        f"{COUNT_WORDS[len(early)]} stopped early, and the third reached the cap {late} epochs after its best, "
        f"{COUNT_WORDS[patience - late]} short of its patience.",
        f"CL4SRec is level with SASRec ({n['cl4srec'] - n['sasrec']:+.4f}, a tenth of a standard deviation), but only "
        f"because the search chose a contrastive weight of {settings(chosen)['cl_weight']}, small enough",
        f"the paper's 0.1 cost {search[chosen] - search[paper]:.3f} in validation NDCG@10",
        f"it is just below the item-to-item baseline ({n['itemnext']:.4f}).",
        f"Its defaults went through four stages, each chosen on validation: "
        f"{figure('ml-100k-loo-former-defaults', 'bert4rec', False)} at the first ones "
        f"(`ml-100k-loo-former-defaults/`, at most 50 epochs), {figure('ml-100k-loo-bert4rec-tiled', 'bert4rec')} "
        f"with `last_prob` {bert.last_prob:g} and the {bert_training.epochs}-epoch budget "
        f"(`ml-100k-loo-bert4rec-tiled/`), {figure(d01, 'bert4rec')} with overlapping training windows (`stride` "
        f"{bert.stride}: a window ends every {bert.stride} items, {windows:.1f} times as many windows per epoch",
        f"and a patience of {bert_training.patience} validations (`ml-100k-loo-bert4rec-dropout01/`)",
        f"One window per prefix (`stride` 1, {longer} times longer epochs)",
        f"nor did a learning rate falling linearly to 0 over {as_many} epochs",
        f"(validation {tuned('bert4rec-lr-schedule', schedule)}, against "
        f"{mean(by_then['bert4rec-lr-schedule'].values()):.4f} for the constant rate after as many epochs;",
        f"training without dropout ({tuned('bert4rec-dropout0', no_dropout)} against "
        f"{mean_spread(list(by_then['bert4rec-dropout0'].values()))} over {as_many} epochs, "
        f"{seed_count(len(gaining), len(short))} gaining;",
        f"Over the full {budget} epochs dropout 0 won on validation on {seed_count(len(won), len(full))} "
        f"({tuned('bert4rec-dropout0-200', 'dropout=0.0 attn_dropout=0.0')} against "
        f"{tuned('bert4rec-dropout0', '(defaults)')})",
        f"default: {figure(ids, 'bert4rec')} on test ({listed(test[ids])}), level with dropout 0.1's "
        f"{figure(d01, 'bert4rec')}",
        f"(mean of the last {LATE} validations), every other BERT4Rec setting tried lies between {min(rest):.4f} "
        f"and {max(rest):.4f} (seed 2020), the "
        f"overlapping windows reach {tabulated_level('bert4rec-stride', '(defaults)')} (mean over seeds 2020-2022; "
        f"{levels[top]:.4f} on seed 2020; {tabulated_level('bert4rec-dropout0-200', 'dropout=0.0 attn_dropout=0.0')} "
        f"without dropout), against {tabulated_level('sasrec-levels', 'epochs=50')} for SASRec and "
        f"{tabulated_level('cl4srec-levels', '(defaults)')} for CL4SRec",
        f"a patience of {bert_training.patience} validations as BERT4Rec's",
        f"SASRec scores {figure(bce, 'sasrec')} on test, below BERT4Rec at dropout 0.1 ({figure(d01, 'bert4rec')}) "
        f"on {seed_count(below[d01], len(test[bce]))} ({listed(test[bce])} against {listed(test[d01])}; a Welch test "
        f"gives p ≈ {welch[d01]:.2f}) and below its current defaults ({figure(ids, 'bert4rec')}) on "
        f"{seed_count(below[ids], len(test[bce]))} (against {listed(test[ids])}; p ≈ {welch[ids]:.2f}), and "
        f"{figure(bce, 'sasrec', metric='valid_ndcg@10')} on validation against "
        f"{figure(d01, 'bert4rec', metric='valid_ndcg@10')} and {figure(ids, 'bert4rec', metric='valid_ndcg@10')}, "
        f"lower on {seed_count(lower, len(valid[bce]))}. At SASRec's own patience of {patience} it had scored "
        f"{figure(p15, 'sasrec')} (validation {figure(p15, 'sasrec', metric='valid_ndcg@10')};",
    ]
    assert_quoted(text, quotes, "benchmarks/results/README.md does not quote the committed figures as")


def test_results_readme_quotes_the_item_id_order_rescored_runs_and_epoch_times() -> None:
    # the same bullet: the share of users whose latest film is in the top 10 and the runs scored with the seen items
    # left out (rescore.py), and the time of one epoch (epoch_throughput/) against RecBole's, which the README
    # quotes from the project's specification (per epoch, "230-250 s for SASRec and for BERT4Rec"), not measured
    text = page("benchmarks/results/README.md")
    seen, d01 = (
        "ml-100k-loo-id-ties-seen-excluded/rescored_runs.csv",
        "ml-100k-loo-bert4rec-dropout01/rescored_runs.csv",
    )
    models = ("cl4srec", "sasrec", "bert4rec", "itemnext", "pop")
    latest = {m: f"{mean(column_values(seen, 'latest_in_top10', model=m)):.0%}" for m in models}
    never = "never" if not any(column_values(seen, "latest_in_top10", model="itemnext")) else "sometimes"
    excluded = {m: column_values(seen, "ndcg@10_seen_excluded", model=m) for m in models}
    throughput = {
        row["model"]: float(row["epoch_train_s"]) for row in csv_rows("epoch_throughput/ml-100k-cpu.csv")
    }
    stride5 = one_row("epoch_throughput/ml-100k-cpu-bert4rec-stride5.csv", model="bert4rec")
    bert = float(stride5["epoch_train_s"])
    recbole = re.search(r"per epoch, [\d.]+ s for SGL and (\d+)-(\d+) s for SASRec and for BERT4Rec", text)
    assert recbole, "RecBole's time per epoch is no longer stated where the README names its source"
    low, high = (int(seconds) for seconds in recbole.groups())
    windows = windows_per_epoch("tuning/bert4rec-dropout0-200/curves.csv")  # stride 5, as in stride5's epoch
    prefixes = int(stride5["train_interactions"]) - int(stride5["users"])  # RecBole: one sample per prefix
    quotes = [
        f"the film just watched is in the top 10 for {latest['sasrec']} of the users with SASRec, "
        f"{latest['cl4srec']} with CL4SRec and {latest['bert4rec']} with BERT4Rec "
        f"({mean(column_values(d01, 'latest_in_top10')):.0%} at dropout 0.1), and {never} with item-to-item",
        f"every model gains, and BERT4Rec moves above item-to-item: CL4SRec {mean_spread(excluded['cl4srec'])}, SASRec "
        f"{mean_spread(excluded['sasrec'])}, BERT4Rec {mean_spread(excluded['bert4rec'])} "
        f"({mean_spread(column_values(d01, 'ndcg@10_seen_excluded'))} at dropout 0.1), item-to-item "
        f"{mean(excluded['itemnext']):.4f}, Pop {mean(excluded['pop']):.4f}.",
        f"SASRec takes {throughput['sasrec']:.1f} s against RecBole's {low}-{high} s (over "
        f"{int(low / throughput['sasrec']) // 10 * 10} times faster",
        f"BERT4Rec's epoch takes {bert:.1f} s with its overlapping windows (measured later, machine quiet, at dropout "
        f"0.1), {low / bert:.1f} to {high / bert:.1f} times faster than RecBole's, whose epoch holds one sample per "
        f"prefix (about {round(prefixes / windows)} times our {windows:,} windows); with the former non-overlapping "
        f"windows it took {throughput['bert4rec']:.1f} s.",
    ]
    assert_quoted(text, quotes, "benchmarks/results/README.md does not quote the committed figures as")


def test_results_readme_quotes_the_ties_in_time() -> None:
    # the bullet on ml-100k-loo-random-ties/: what random_ties.py printed of the ties (tie_stats.txt), the runs on
    # the copy of the log with random ties against the item-ID order's, and the item-ID order's runs scored on that
    # copy's test (rescored_runs.csv, "retest")
    folder, ids = "ml-100k-loo-random-ties", "ml-100k-loo-id-ties"
    text = page("benchmarks/results/README.md")
    printed = (RESULTS / folder / "tie_stats.txt").read_text(encoding="utf-8")
    ties = {key: float(value) for key, value in re.findall(r"^\s+(\w+): (\S+)$", printed, re.MULTILINE)}
    runs = sorted(csv_rows(f"{folder}/runs.csv"), key=lambda run: (run["seed"], int(run["tie_seed"] or -1)))

    def of(model: str) -> list[dict[str, str]]:
        return [run for run in runs if run["model"] == model and run["tie_seed"]]

    (unchanged,) = [
        float(run["ndcg@10"]) for run in runs if run["model"] == "itemnext" and not run["tie_seed"]
    ]
    exactly = (
        "exactly"
        if set(column_values(f"{ids}/runs.csv", "ndcg@10", model="itemnext")) == {unchanged}
        else "nearly"
    )
    item, pop = ([float(run["ndcg@10"]) for run in of(m)] for m in ("itemnext", "pop"))
    tie_seeds = sorted(int(run["tie_seed"]) for run in of("itemnext"))
    sasrec, cl4srec = of("sasrec"), of("cl4srec")
    sas, cl = ([float(run["ndcg@10"]) for run in r] for r in (sasrec, cl4srec))
    (cap,) = {int(run["options"].removeprefix("--epochs ")) for run in sasrec}
    stop, cl_stop = (min(range(len(r)), key=lambda i, r=r: int(r[i]["epochs"])) for r in (sasrec, cl4srec))
    assert int(sasrec[stop]["epochs"]) < cap, "no SASRec run stopped before its cap"
    rescored = f"{folder}/rescored_runs.csv"
    retest = {
        m: column_values(rescored, "ndcg@10_retest", model=m)
        for m in ("sasrec", "cl4srec", "bert4rec", "itemnext", "pop")
    }
    protocol = {m: mean(column_values(rescored, "ndcg@10_protocol", model=m)) for m in retest}
    loss = {m: f"{1 - mean(retest[m]) / protocol[m]:.0%}" for m in retest}
    assert loss["cl4srec"] == loss["sasrec"], f"the text gives SASRec and CL4SRec one loss: {loss}"
    quotes = [
        f"and {ties['rows_in_ties']:.1%} of MovieLens-100K's ratings share their second with another rating of the "
        f"same user (`tie_stats.txt`, printed by `random_ties.py`): {ties['tied_pairs']:.0%} of the consecutive "
        "pairs of the histories fall in one second,",
        f"{ties['rising_pairs']:.0%} of the pairs go to a higher ID, against {ties['rising_untied_pairs']:.0%} of "
        "those between different seconds.",
        f"(Spearman correlation {ties['id_count_spearman']:.2f}), and the highest-numbered film of a tie has "
        f"{ties['top_of_tie_count']:.0f} ratings on average against {ties['rest_of_tie_count']:.0f} for the other "
        "films of ties.",
        f"the log reproduces item-to-item's {unchanged:.4f} {exactly}.",
        # the folders' table
        f"the unchanged log read as a file, which reproduces item-to-item's {unchanged:.4f} (with `--ties item`,",
        f"test NDCG@10 falls for item-to-item to {mean_spread(item)} (tie seeds {tie_seeds[0]}-{tie_seeds[-1]}; "
        f"{min(item):.4f} to {max(item):.4f}) and for SASRec to {mean_spread(sas)} (tie seed "
        f"{joined(sorted({run['tie_seed'] for run in sasrec}))}, seeds {sasrec[0]['seed']}-{sasrec[-1]['seed']}, at "
        f"most {cap} epochs; {listed(sas)}, the {ORDINALS[stop]} stopped early at epoch {sasrec[stop]['epochs']}), "
        f"against {ndcg(ids)['itemnext']:.4f} and {figure('ml-100k-loo-rerun', 'sasrec')} (`ml-100k-loo-rerun/`), "
        f"while popularity rises to {mean_spread(pop)} ({min(pop):.4f} to {max(pop):.4f}) from {ndcg(ids)['pop']:.4f}.",
        # what the item-index order takes from SASRec: the share of the rerun's mean its random-ties runs lose
        f"The item-index order thus gives SASRec {1 - mean(sas) / ndcg('ml-100k-loo-rerun')['sasrec']:.0%} of its "
        f"figure and {'halves' if round(ndcg(ids)['pop'] / mean(pop), 1) == 0.5 else 'changes'} popularity's.",
        f"scores {mean_spread(cl)} ({listed(cl)}; the {ORDINALS[cl_stop]} stopped early at epoch "
        f"{cl4srec[cl_stop]['epochs']}, its best at {cl4srec[cl_stop]['best_epoch']}), level with SASRec's "
        f"{mean(sas):.4f} there",
        f"lose {loss['sasrec']} (SASRec, {mean_spread(retest['sasrec'])}; CL4SRec, {mean_spread(retest['cl4srec'])}), "
        f"{loss['bert4rec']} (BERT4Rec, {mean_spread(retest['bert4rec'])}) and {loss['itemnext']} (item-to-item, "
        f"{mean(retest['itemnext']):.4f}), and popularity gains {mean(retest['pop']) / protocol['pop'] - 1:.0%} "
        f"({mean(retest['pop']):.4f})",
    ]
    assert_quoted(text, quotes, "benchmarks/results/README.md does not quote the committed figures as")


def test_results_readme_quotes_the_reruns_and_their_comparisons() -> None:
    # the bullet on paired comparisons: the item-ID order's SASRec and CL4SRec trained again (ml-100k-loo-rerun/)
    # against the first sweep's runs, their first epochs by code, thread count and machine (first_epochs*.csv),
    # where their validation curves part from the first sweep's (tuning/sasrec-lr-schedule/), and in its list the
    # verdicts seed by seed (paired_runs.csv) and the falls from validation to test against the level each curve
    # settles at (curves.csv)
    text = page("benchmarks/results/README.md")
    ids, rerun, bce = "ml-100k-loo-id-ties", "ml-100k-loo-rerun", "ml-100k-loo-sasrec-bce"
    models = ("sasrec", "cl4srec", "itemnext", "pop")
    again, first = (
        {m: column_values(f"{f}/runs.csv", "ndcg@10", model=m) for m in models} for f in (rerun, ids)
    )
    same = "the same" if all(again[m] == first[m] for m in ("itemnext", "pop")) else "otherwise"
    # the first epochs: (code, threads, seed, epoch) -> (training loss, validation NDCG@10)
    epochs = {
        (row["code"], row["threads"], row["seed"], int(row["epoch"])): (
            float(row["train_loss"]),
            float(row["valid_ndcg@10"]),
        )
        for row in csv_rows(f"{rerun}/first_epochs.csv")
    }
    (today,) = {code for code, threads, _, _ in epochs if threads == "2"}  # the code run on two threads too
    (old,) = {code for code, _, _, _ in epochs} - {today}
    identical = all(epochs[(today, "1", s, e)] == v for (c, _, s, e), v in epochs.items() if c == old)
    one, two = epochs[(today, "1", "2020", 1)], epochs[(today, "2", "2020", 1)]
    twice = [v == epochs[(c, "1", s, e)] for (c, t, s, e), v in epochs.items() if t == "2" and s == "2022"]
    # the first sweep's validation curves against the reruns', and the first epochs of a later session's machine
    committed = {
        seed: dict(curve)
        for seed, curve in validation_curves(
            "tuning/sasrec-lr-schedule/curves.csv", point="epochs=50"
        ).items()
    }
    rerun_curves = {
        seed: dict(curve) for seed, curve in validation_curves(f"{rerun}/curves.csv", model="sasrec").items()
    }
    part = [min(e for e, v in committed[s].items() if rerun_curves[s].get(e) != v) for s in committed]
    other = csv_rows(f"{rerun}/first_epochs_other_machine.csv")
    assert all(float(row["valid_ndcg@10"]) == committed[row["seed"]][int(row["epoch"])] for row in other), (
        "the later machine's first epochs do not reproduce the first sweep's validation figures"
    )
    shared = [(row, (today, "1", row["seed"], int(row["epoch"]))) for row in other]
    assert all(float(row["train_loss"]) == epochs[key][0] for row, key in shared if key in epochs), (
        "the later machine's training losses differ from the rerun's machine's"
    )
    other_epochs = sorted({int(row["epoch"]) for row in other})
    ((alike_epoch, alike_seed),) = [
        (key[3], key[2])
        for row, key in shared
        if key in epochs and float(row["valid_ndcg@10"]) != epochs[key][1]
    ]  # trained alike (the loss, asserted above), scored differently
    ids_n, again_n = ndcg(ids), ndcg(rerun)

    def verdicts(folder: str, model: str, reference: str) -> dict[str, list[str]]:
        """Verdict -> the seeds (taken alone) with that verdict in `folder`/paired_runs.csv."""
        table: dict[str, list[str]] = {}
        for row in seed_rows(folder, model, reference):
            table.setdefault(row["verdict"], []).append(row["seed"])
        return table

    bert, cl = (
        verdicts(rerun, "bert4rec", "sasrec"),
        verdicts(rerun, "cl4srec", "itemnext"),
    )
    bce_level = verdicts(bce, "sasrec", "bert4rec")
    users = one_row(
        f"{rerun}/paired_runs.csv", model="cl4srec", reference="itemnext", seed="mean", quantity="test"
    )
    board = leaderboard(rerun)
    best = {m: board[m]["valid_ndcg@10_mean"] for m in ("bert4rec", "sasrec")}
    level = {
        "bert4rec": curve_level("tuning/bert4rec-dropout0-200/curves.csv"),
        "sasrec": curve_level(f"{rerun}/curves.csv", model="sasrec"),
        "cl4srec": curve_level(f"{rerun}/curves.csv", model="cl4srec"),
        "bce": curve_level(f"{bce}/curves.csv"),
    }
    quotes = [
        f"the mean difference over the {users['n_users']} test users with a 95% normal interval",
        f"the reruns do not reproduce the committed figures: SASRec {figure(rerun, 'sasrec')} "
        f"({listed(again['sasrec'])} against {listed(first['sasrec'])}), CL4SRec {figure(rerun, 'cl4srec')} "
        f"({listed(again['cl4srec'])} against {listed(first['cl4srec'])}); item-to-item and Pop, closed-form, came "
        f"out {same}.",
        f"the code of the first sweep ({old}) and today's give {'bit-identical' if identical else 'different'} first "
        f"epochs (`first_epochs.csv`; seed 2020: the same loss and validation NDCG@10, "
        f"{epochs[(old, '1', '2020', 1)][1]:.4f})",
        f"A second thread changes SASRec's first-epoch loss in the fifth digit on seed 2020 ({two[0]:.5f} against "
        f"{one[0]:.5f}; on seed 2022 its first {COUNT_WORDS[len(twice)] if all(twice) else 'no'} epochs were "
        "identical)",
        f"part from the reruns' (`curves.csv`) at epochs {joined(part)} (seeds {min(committed)}-{max(committed)})",
        f"At epoch 1 of seed 2020 the committed run had {committed['2020'][1]:.4f}, which neither one thread nor two "
        f"reproduced on the rerun's machine ({one[1]:.4f} both)",
        f"reproduced on the rerun's machine ({two[1]:.4f} both)",
        f"reproduces the first sweep's validation figures to every digit at epochs {other_epochs[0]} to "
        f"{other_epochs[-1]} of seeds {joined(sorted({row['seed'] for row in other}))}",
        f"at epoch {alike_epoch} of seed {alike_seed} the two machines trained alike and scored the validation users "
        "differently",
        f"({ids_n['cl4srec'] - ids_n['sasrec']:.4f} apart in the leaderboard, "
        f"{again_n['sasrec'] - again_n['cl4srec']:.4f} the other way in the rerun)",
        f"(below on seeds {joined(bert['below'])} taken alone, level on {joined(bert['level'])})",
        f"is not beyond the noise of {users['n_users']} users (above on seed {joined(cl['above'])} alone)",
        f"level on {seed_count(len(bce_level.get('level', [])), sum(map(len, bce_level.values())))}. BERT4Rec's lead",
        f"BERT4Rec's test figure falls {best['bert4rec'] - again_n['bert4rec']:.4f} below its best validation figure, "
        f"SASRec's {best['sasrec'] - again_n['sasrec']:.4f}:",
        f"BERT4Rec's best validation figure is {best['bert4rec'] - level['bert4rec']:.4f} above the level its curve "
        f"settles at (mean of the last {LATE} validations, {level['bert4rec']:.4f}), SASRec's "
        f"{best['sasrec'] - level['sasrec']:.4f} above its level ({level['sasrec']:.4f}).",
        f"BERT4Rec's test figure is {level['bert4rec'] - again_n['bert4rec']:.4f} below its settled validation level, "
        f"where SASRec's is {again_n['sasrec'] - level['sasrec']:.4f} above its own, CL4SRec's "
        f"{level['cl4srec'] - again_n['cl4srec']:.4f} below and SASRec-BCE's "
        f"{level['bce'] - ndcg(bce)['sasrec']:.4f} below",
    ]
    assert_quoted(text, quotes, "benchmarks/results/README.md does not quote the committed figures as")


def test_results_readme_quotes_the_share_of_users_whose_last_two_films_tie() -> None:
    # the users whose validation and test films share a second, as chapter 7 counts them in the leave-one-out split
    # of MovieLens-100K (the split is the same for every seed)
    from sslrec_utils.experiment import DataSpec, load_split

    split, _ = load_split(DataSpec(dataset="ml-100k", split="loo"))
    valid, test = (split.parts[part].set_index("user")["timestamp"] for part in ("valid", "test"))
    share = f"{(test == valid.reindex(test.index)).mean():.0%}"
    quotes = [
        f"and so do the validation and test films of {share} of the users (chapter 7 counts them in its split)",
        f"for {share} of the users the validation and test films share a second",
    ]
    assert_quoted(
        page("benchmarks/results/README.md"), quotes, "the results README does not quote the split as"
    )


def test_the_report_quotes_the_benchmarks_largest_seed_spread() -> None:
    # report_verdict's sentence for a one-seed report: the largest standard deviation of test NDCG@10 over seeds,
    # relative to its mean, among the committed leaderboards
    shares = [
        row["ndcg@10_std"] / row["ndcg@10_mean"]
        for path in RESULTS.glob("**/leaderboard.csv")
        for row in leaderboard(path.parent.relative_to(RESULTS).as_posix()).values()
        if row.get("ndcg@10_mean", 0) > 0 and math.isfinite(row.get("ndcg@10_std", math.nan))
    ]
    assert len(shares) > 50 and round(max(shares), 2) == BENCHMARK_SEED_SPREAD, max(shares)
