"""Figures the READMEs of the two eight-seed folders quote from the committed results, checked against those results.

benchmarks/results/ml-100k-loo-8-seeds/README.md (the sequence models: its plan, its result and two addenda) and
benchmarks/results/ml-100k-holdout-graph-8-seeds/README.md (the graph models) are rebuilt from the files of their
folders (runs.csv, leaderboard.csv, paired_runs.csv: user by user; paired_seeds.csv: Student's t over the seeds'
differences) and of the three-seed folders they extend, and each quote is looked for in the section of the README
that reports it, with the words around its figures: a figure changed or moved to another phrase fails.
"""

from __future__ import annotations

import math
from statistics import mean

import pandas as pd

from benchmarks.paired import over_seeds, pool_tables
from sslrec_utils.experiment import resolve_configs
from tests.quoted import (
    COUNT_WORDS,
    MODEL_NAMES,
    NUMBER_WORDS,
    RESULTS,
    SEEDS,
    assert_quoted,
    column_values,
    csv_rows,
    figure,
    interval,
    joined,
    leaderboard,
    listed,
    one_row,
    positive_on,
    quoted_once,
    section,
    seed_count,
    seed_rows,
    value_range,
)

LOO, LOO_8 = "ml-100k-loo", "ml-100k-loo-8-seeds"
LOO_README = f"benchmarks/results/{LOO_8}/README.md"
NEW = f"{LOO_8}/new-seeds"  # the comparison user by user over the five new seeds
GRAPH, GRAPH_8 = "ml-100k-holdout-graph", "ml-100k-holdout-graph-8-seeds"
FRACTIONS = {2: "half", 3: "a third", 4: "a quarter"}  # a share, as the text words it
# how the text words a comparison's verdict: "level with SASRec's", "larger than item-to-item's"
FIRST_ADDENDUM = ("2023", "2024")  # BERT4Rec's seeds that the first addendum ran (the second ran the others)
COMPARED = {"above": "larger than", "below": "smaller than", "level": "level with"}


def _seeds(folder: str, model: str, reference: str, quantity: str = "test") -> dict[str, str]:
    """A comparison from seed to seed: `model` against `reference` in `folder`/paired_seeds.csv."""
    return one_row(f"{folder}/paired_seeds.csv", model=model, reference=reference, quantity=quantity)


def _users(
    folder: str, model: str, reference: str, seed: str = "mean", quantity: str = "test"
) -> dict[str, str]:
    """A comparison user by user, of one seed or pooled over the seeds (``mean``), in `folder`/paired_runs.csv."""
    return one_row(
        f"{folder}/paired_runs.csv", model=model, reference=reference, seed=seed, quantity=quantity
    )


def _split(runs: str, model: str, key: str = "ndcg@10") -> tuple[list[float], list[float]]:
    """`key` of `model`'s runs in a merged runs.csv, seed by seed: the three-seed sweep's, then the new seeds'."""
    rows = sorted((row for row in csv_rows(runs) if row["model"] == model), key=lambda row: row["seed"])
    values = [float(row[key]) for row in rows]
    old = [v for row, v in zip(rows, values, strict=True) if row["seed"] in SEEDS]
    return old, values[len(old) :]


def _machine(runs: list[dict[str, str]]) -> tuple[str, str]:
    """The one machine of some runs (runs.csv's rows) as the text names it: its processor and its cores in words."""
    ((processor, cpus),) = {tuple(row["machine"].rsplit(", ", 1)) for row in runs}
    return processor, NUMBER_WORDS[int(cpus.removesuffix(" CPUs"))]


def _keyed(rows: list[dict[str, str]]) -> dict[tuple[str, str, str], dict[str, str]]:
    """The rows of comparisons from seed to seed (paired_seeds.csv's) by model, reference and quantity."""
    return {(row["model"], row["reference"], row["quantity"]): row for row in rows}


def _all_or(count: int, seeds: int) -> str:
    """On how many seeds a difference is positive, as the text counts training runs: "all eight", "seven of eight"."""
    return (
        f"all {NUMBER_WORDS[seeds]}" if count == seeds else f"{NUMBER_WORDS[count]} of {NUMBER_WORDS[seeds]}"
    )


def _minutes(seconds: list[float]) -> list[int]:
    """Training times in whole minutes."""
    return [round(s / 60) for s in seconds]


def test_eight_seed_sequence_plan_quotes_the_three_seed_leaderboard() -> None:
    # the plan of ml-100k-loo-8-seeds/: what ../ml-100k-loo/ had found over seeds 2020-2022 (CL4SRec's lead over
    # SASRec against the spread over seeds and by both intervals; the leads over item-to-item) and BERT4Rec's time
    text = section(LOO_README)
    lead, users = _seeds(LOO, "cl4srec", "sasrec"), _users(LOO, "cl4srec", "sasrec")
    board = leaderboard(LOO)
    within = all(abs(float(lead["difference"])) < board[m]["ndcg@10_std"] for m in ("sasrec", "cl4srec"))
    (both,) = {lead["verdict"], users["verdict"]}
    over_item = [(_seeds(LOO, m, "itemnext"), _users(LOO, m, "itemnext")) for m in ("sasrec", "cl4srec")]
    excludes = all(s["verdict"] != "level" and u["verdict"] == "level" for s, u in over_item)
    bert4rec = [
        float(row["train_seconds"]) for row in csv_rows(f"{LOO}/runs.csv") if row["model"] == "bert4rec"
    ]
    (threads,) = {int(row["threads"]) for row in csv_rows(f"{LOO}/runs.csv")}
    quotes = [
        f"CL4SRec's lead over SASRec ({float(lead['difference']):+.4f} in test NDCG@10) is "
        f"{'within' if within else 'beyond'} one standard deviation over those seeds and {both} by either interval",
        "SASRec's and CL4SRec's leads over item-to-item "
        + ("exclude 0 from seed to seed but not user by user" if excludes else "do not"),
        f"one of its runs takes about {round(mean(bert4rec) / 60, -1):.0f} minutes on {COUNT_WORDS[threads]} thread,",
    ]
    assert_quoted(text, quotes, f"{LOO_README}'s plan does not quote ../{LOO}/ as")


def test_eight_seed_sequence_result_quotes_the_leaderboard_and_comparisons() -> None:
    # the section "Result": the runs' conditions (machines, threads, seconds per epoch), the merged leaderboard's
    # means over eight seeds, over the first three and seed by seed over the five new ones, and the comparisons from
    # seed to seed (over eight seeds, over three in ../ml-100k-loo/, over the five new ones) and user by user
    text = section(LOO_README, "Result")
    runs = f"{LOO_8}/runs.csv"
    new_runs = [row for row in csv_rows(runs) if row["seed"] not in SEEDS and row["model"] != "bert4rec"]
    (threads,) = {int(row["threads"]) for row in new_runs}
    here, there = _machine(new_runs), _machine(csv_rows(f"{LOO}/runs.csv"))  # this machine, the three seeds'
    per_epoch = {m: _split(runs, m, "seconds_per_epoch") for m in ("sasrec", "cl4srec")}
    scores = {m: _split(runs, m) for m in ("sasrec", "cl4srec", "bert4rec")}
    old, new = (NUMBER_WORDS[len(part)] for part in scores["sasrec"])
    eight = NUMBER_WORDS[len(SEEDS) + len(scores["sasrec"][1])]

    def mean_new(model: str) -> str:
        """The mean of `model`'s runs over the seeds after 2022 and the leaderboard's, as the first bullets list it."""
        return f"{listed(scores[model][1], last=' and ')} (mean {mean(scores[model][1]):.4f})"

    quotes = [
        f"the {len(new_runs)} new runs ran on",
        f"on an {here[0]} with {here[1]} cores,",
        f"{COUNT_WORDS[threads]} thread each, two at once",
        f'The three-seed runs ran on another processor (reported as "{there[0]}", {there[1]} cores)',
        "the new runs took {} s per SASRec epoch and {} s per CL4SRec epoch, the three-seed runs {} s and {} s.".format(
            *(value_range(per_epoch[m][i], 1) for i in (1, 0) for m in ("sasrec", "cl4srec"))
        ),
        f"SASRec {figure(LOO_8, 'sasrec')} over {eight} seeds; {figure(LOO, 'sasrec')} over the first "
        f"{old}, and on the {new} new ones {mean_new('sasrec')}.",
        f"CL4SRec {figure(LOO_8, 'cl4srec')}; {figure(LOO, 'cl4srec')} over the first {old}, and on the new "
        f"ones {mean_new('cl4srec')}.",
        f"BERT4Rec {figure(LOO_8, 'bert4rec')} over {eight} seeds since addendum 2 "
        f"({figure(LOO, 'bert4rec')} over the first {old}; its {new} new seeds below), item-to-item "
        f"{figure(LOO_8, 'itemnext', spread=False)}, Pop {figure(LOO_8, 'pop', spread=False)}.",
    ]
    # CL4SRec against SASRec: over eight seeds, over the first three, over the five new ones, and user by user
    lead = {folder: _seeds(folder, "cl4srec", "sasrec") for folder in (LOO_8, LOO, NEW)}
    below = [row for row in seed_rows(NEW, "cl4srec", "sasrec") if row["verdict"] != "level"]
    assert len(below) == 1, (
        "the text names one new seed on which CL4SRec and SASRec differ beyond the users' noise"
    )
    users, alone = _users(NEW, "cl4srec", "sasrec"), below[0]
    holds = "holds" if float(lead[LOO_8]["difference"]) > 0 else "does not hold"
    new_five = float(lead[NEW]["difference"])
    quotes += [
        f"CL4SRec against SASRec: {interval(lead[LOO_8])}, {positive_on(lead[LOO_8])}, {lead[LOO_8]['verdict']}. Its "
        f"lead over the first {old} seeds ({interval(lead[LOO])}, {positive_on(lead[LOO])}) {holds} over {eight}: on "
        f"the {new} new seeds it is {abs(new_five):.4f} {'below' if new_five < 0 else 'above'} "
        f"({interval(lead[NEW])}, {positive_on(lead[NEW])}; user by user, `new-seeds/paired.md`, {interval(users)}; "
        f"on seed {alone['seed']} alone {interval(alone)}, {alone['verdict']} beyond the users' noise). The two are "
        f"{lead[LOO_8]['verdict']}:",
    ]
    # the leads over item-to-item, Pop's place
    over = {m: _seeds(LOO_8, m, "itemnext") for m in ("sasrec", "cl4srec")}
    (both,) = {row["verdict"] for row in over.values()}
    (before,) = {_seeds(LOO, m, "itemnext")["verdict"] for m in over}
    users_over = {m: _users(NEW, m, "itemnext") for m in over}
    (users_verdict,) = {row["verdict"] for row in users_over.values()}
    (n_users,) = {row["n_users"] for row in csv_rows(f"{NEW}/paired_runs.csv")}
    pop = {_seeds(LOO_8, "pop", r, q)["verdict"] for r in ("sasrec", "itemnext") for q in ("test", "drop")}
    (pop_verdict,) = pop
    quotes += [
        f"SASRec against item-to-item: {interval(over['sasrec'])}, {positive_on(over['sasrec'])}; CL4SRec: "
        f"{interval(over['cl4srec'])}, {positive_on(over['cl4srec'])}.",
        f"Both are {both} item-to-item from seed to seed, {'as' if before == both else 'unlike'} over three seeds.",
        f"User by user on the new seeds both are {users_verdict} ({interval(users_over['sasrec'])} and "
        f"{interval(users_over['cl4srec'])}): a gain that the training runs repeat ("
        + " for SASRec, ".join(_all_or(int(r["positive_seeds"]), int(r["seeds"])) for r in over.values())
        + f" for CL4SRec), but small beside the sampling error of {n_users} test users.",
        f"Pop is {pop_verdict} SASRec and item-to-item from seed to seed, in test NDCG@10 and in its fall from "
        "validation.",
    ]
    assert_quoted(text, quotes, f"{LOO_README}'s result does not quote its folder's files as")


def _with_current_baselines() -> pd.DataFrame:
    """The comparisons seed by seed of ../ml-100k-loo/paired_runs.csv and new-seeds/paired_runs.csv, had Pop's and
    item-to-item's runs of seeds 2020-2022 been those of baselines-2020-2022/ (their test figure and fall moved)."""
    merged, current = (
        {(row["model"], row["seed"]): row for row in csv_rows(f"{folder}/runs.csv")}
        for folder in (LOO_8, f"{LOO_8}/baselines-2020-2022")
    )

    def moved(model: str, seed: str, quantity: str) -> float:
        """How far `model`'s test figure or fall from validation moves on `seed` with the current baseline run."""
        if (model, seed) not in current:
            return 0.0
        now, then = (
            float(r["ndcg@10"]) if quantity == "test" else float(r["valid_ndcg@10"]) - float(r["ndcg@10"])
            for r in (current[model, seed], merged[model, seed])
        )
        return now - then

    three, five = (pd.read_csv(RESULTS / f / "paired_runs.csv", dtype={"seed": str}) for f in (LOO, NEW))
    three = three[three["seed"] != "mean"].copy()
    three["difference"] += [
        moved(m, s, q) - moved(r, s, q)
        for m, r, s, q in zip(
            three["model"], three["reference"], three["seed"], three["quantity"], strict=True
        )
    ]
    return pool_tables([three, five])


def test_eight_seed_sequence_result_quotes_its_two_checks() -> None:
    # the section "Result", its two checks: the baselines' runs of seeds 2020-2022 at the current code
    # (baselines-2020-2022/) and what taking them would change in the comparisons from seed to seed; SASRec's first
    # epochs on this machine (first_epochs.csv) against the Intel machine's (../ml-100k-loo-rerun/)
    text = section(LOO_README, "Result")
    runs, baselines = f"{LOO_8}/runs.csv", f"{LOO_8}/baselines-2020-2022/runs.csv"
    figures: dict[str, dict[str, float]] = {}
    for m in ("pop", "itemnext"):
        (then, later), now = _split(runs, m), column_values(baselines, "ndcg@10", model=m)
        assert len(set(then)) == len(set(later)) == 1, f"{m}: the text gives one figure for its runs"
        figures[m] = {"then": then[0], "later": later[0], "now": now[0], "same": set(now) == set(later)}
    shift = {m: f["now"] - f["then"] for m, f in figures.items()}
    assert all(shift.values()), "the text says both baselines move"
    std = quoted_once(*(f"{leaderboard(LOO_8)[m]['ndcg@10_std']:.4f}" for m in figures))
    # the comparisons had the current runs been taken, against the committed ones
    seed_rows = _with_current_baselines()
    old_rows = seed_rows[seed_rows["seed"].isin(SEEDS)]
    now = {
        n: _keyed(over_seeds(rows).astype(str).to_dict("records"))
        for n, rows in ((3, old_rows), (8, seed_rows))
    }
    then = {n: _keyed(csv_rows(f"{folder}/paired_seeds.csv")) for n, folder in ((3, LOO), (8, LOO_8))}
    changed = sum(row["verdict"] != then[8][key]["verdict"] for key, row in now[8].items())
    seeds = seed_rows["seed"].nunique()
    share = len(SEEDS) / seeds  # the three seeds whose baseline runs change, of eight
    for model in ("sasrec", "cl4srec"):  # the pooled difference moves by 3/8 of item-to-item's change
        key = (model, "itemnext", "test")
        moved = float(now[8][key]["difference"]) - float(then[8][key]["difference"])
        assert abs(moved + share * shift["itemnext"]) < 1e-12, f"{model}'s difference moves by {moved}"
    bert = {n: now[n][("bert4rec", "itemnext", "test")] for n in now}
    before = {n: then[n][("bert4rec", "itemnext", "test")] for n in then}
    per_seed = seed_rows[(seed_rows["model"] == "bert4rec") & (seed_rows["reference"] == "itemnext")]
    ((lost_seed, lost),) = [
        (s, d)
        for s, d, q in zip(per_seed["seed"], per_seed["difference"], per_seed["quantity"], strict=True)
        if q == "test" and d <= 0
    ]

    def still(n: int) -> str:
        """The verdict of BERT4Rec against item-to-item over `n` seeds with the current runs, against the committed."""
        return f"{'still' if bert[n]['verdict'] == before[n]['verdict'] else 'now'} {bert[n]['verdict']}"

    quotes = [
        f"what seeds 2023-2027 gave, {'on every seed' if all(f['same'] for f in figures.values()) else 'not always'} "
        f"(`baselines-2020-2022/`: Pop {figures['pop']['now']:.6f}, item-to-item {figures['itemnext']['now']:.6f}; "
        f"the merged rows of 2020-2022: {figures['pop']['then']:.6f} and {figures['itemnext']['then']:.6f}). Their "
        f"± {std} in `leaderboard.md` is this change.",
        f"would move SASRec's and CL4SRec's pooled test differences from item-to-item by {len(SEEDS)}/{seeds} of "
        f"{shift['itemnext']:.5f}, about {share * shift['itemnext']:.5f}, Pop's from item-to-item by {len(SEEDS)}/{seeds} of "
        f"{abs(shift['pop'] - shift['itemnext']):.5f} (both baselines move), and change {COUNT_WORDS[changed]} "
        f"verdict; BERT4Rec's {float(before[3]['difference']):+.4f} over item-to-item over three seeds would become "
        f"{float(bert[3]['difference']):+.4f}, positive on {positive_on(bert[3])}, {still(3)}, and its "
        f"{float(before[8]['difference']):+.4f} over eight seeds (addendum 2) {interval(bert[8])}, positive on "
        f"{positive_on(bert[8])} (on seed {lost_seed} it would be {-lost:.5f} below), {still(8)}.",
    ]
    # SASRec's first three epochs on this machine and on the Intel machine, seed by seed
    paths = (f"{LOO_8}/first_epochs.csv", "ml-100k-loo-rerun/first_epochs_other_machine.csv")
    here, there = (csv_rows(path) for path in paths)
    alike = {
        seed: [(a["train_loss"], a["valid_ndcg@10"]) for a in here if a["seed"] == seed]
        == [(b["train_loss"], b["valid_ndcg@10"]) for b in there if b["seed"] == seed]
        for seed in sorted({row["seed"] for row in here})
    }
    (same_seed,) = {s for s, a in alike.items() if a}
    (other_seed,) = {s for s, a in alike.items() if not a}
    first = [one_row(path, seed=other_seed, epoch="1") for path in paths]
    ((code_here, ties),), ((code_there, _),) = (
        {tuple(row["code"].split(" ", 1)) for row in rows} for rows in (here, there)
    )
    (threads,) = {row["threads"] for row in here + there}
    (intel,) = {row["machine"].split("(")[0] for row in there}
    quotes += [
        f"this machine repeats SASRec's first {NUMBER_WORDS[len(here) // len(alike)]} epochs on seed {same_seed} to "
        f"every digit against the {intel} machine's (`first_epochs.csv` against "
        f"`../ml-100k-loo-rerun/first_epochs_other_machine.csv`, "
        f"{'item-ID order of ties' if ties == '(--ties item)' else ties}, {COUNT_WORDS[int(threads)]} thread), but not "
        f"on seed {other_seed}: its first training loss is {float(first[0]['train_loss']):.6f} here against "
        f"{float(first[1]['train_loss']):.6f} there, and the validation NDCG@10 at epoch 1 "
        f"{float(first[0]['valid_ndcg@10']):.4f} against {float(first[1]['valid_ndcg@10']):.4f}. Seed {same_seed} shows "
        f"that the code ({code_there} then, {code_here} now) did not change SASRec's first epochs;",
    ]
    assert_quoted(text, quotes, f"{LOO_README}'s checks do not quote their files as")


def test_eight_seed_sequence_addenda_quote_bert4rec_s_new_seeds() -> None:
    # the two addenda: seeds 2023 and 2024 (the first, which merged nothing), then seeds 2025-2027 and the five new
    # seeds merged: their seconds per epoch, minutes of training, best and last epochs against the cap, test figures,
    # and BERT4Rec's comparisons with SASRec and item-to-item from seed to seed and user by user
    runs = f"{LOO_8}/runs.csv"
    first, second = section(LOO_README, "Addendum:"), section(LOO_README, "Addendum 2:")
    per_epoch = {m: _split(runs, m, "seconds_per_epoch") for m in ("sasrec", "cl4srec", "bert4rec")}
    # how many times longer an epoch took on the Intel machine, for SASRec and CL4SRec alike
    (times,) = {round(mean(per_epoch[m][0]) / mean(per_epoch[m][1])) for m in ("sasrec", "cl4srec")}
    cap = resolve_configs("bert4rec")[1].epochs
    new = sorted(
        row["seed"] for row in csv_rows(runs) if row["model"] == "bert4rec" and row["seed"] not in SEEDS
    )
    early = [seed for seed in new if seed in FIRST_ADDENDUM]
    late = [seed for seed in new if seed not in FIRST_ADDENDUM]  # the second addendum's

    def of(key: str, part: list[str]) -> list[float]:
        """`key` of BERT4Rec's runs of the seeds in `part`."""
        return [float(one_row(runs, model="bert4rec", seed=seed)[key]) for seed in part]

    def whole(key: str, part: list[str]) -> str:
        """`key` of BERT4Rec's runs of the seeds in `part`, whole numbers as the text lists them: "88 and 114"."""
        return joined(f"{value:.0f}" for value in of(key, part))

    assert max(of("epochs", new)) < cap, "the text says every new BERT4Rec run stopped early"
    done = min(late[:2], key=lambda seed: of("train_seconds", [seed]))  # the first of two runs at once to end
    quotes = [
        f"On this machine the new SASRec and CL4SRec runs took about {FRACTIONS[times]} of the three-seed runs' time per "
        "epoch",
        f"({value_range(of('seconds_per_epoch', early), 1)} s per epoch; {joined(_minutes(of('train_seconds', early)))} "
        f"minutes of training; best epochs {whole('best_epoch', early)}, stopped early at "
        f"{whole('epochs', early)} of {cap}). Their test NDCG@10, {listed(of('ndcg@10', early), last=' and ')}, "
        f"are kept in `bert4rec-2023-2024/` and not compared with anything here: "
        f"{seed_count(len(early), len(new))}.",
    ]
    assert_quoted(first, quotes, f"{LOO_README}'s first addendum does not quote its runs as")
    # the second addendum: its runs, the merged means and the comparisons from seed to seed and user by user
    board = leaderboard(LOO_8)["bert4rec"]["seconds_per_epoch_mean"]
    assert math.isclose(board, mean(per_epoch["bert4rec"][0] + per_epoch["bert4rec"][1])), (
        "the leaderboard's seconds per epoch are not the mean over the eight runs"
    )
    sasrec = _seeds(LOO_8, "bert4rec", "sasrec")
    per_seed = [
        (row["seed"], float(row["difference"]))
        for folder in (LOO, NEW)
        for row in seed_rows(folder, "bert4rec", "sasrec")
    ]
    higher = [(seed, difference) for seed, difference in per_seed if difference > 0]
    three, five, users = (
        _seeds(LOO, "bert4rec", "sasrec"),
        _seeds(NEW, "bert4rec", "sasrec"),
        _users(NEW, "bert4rec", "sasrec"),
    )
    met = "is not met" if float(sasrec["difference"]) < 0 else "is met"
    either = "either" if float(three["difference"]) < 0 else "this time"
    item = {f: _seeds(f, "bert4rec", "itemnext") for f in (LOO_8, LOO)}
    item_users = _users(NEW, "bert4rec", "itemnext")
    like = {_users(NEW, m, "itemnext")["verdict"] for m in ("sasrec", "cl4srec")} == {item_users["verdict"]}
    falls = {r: _seeds(LOO_8, "bert4rec", r, "drop") for r in ("sasrec", "itemnext")}
    quotes = [
        f"seed {late[-1]} from 07:12 (when seed {done} stopped early)",
        f"The three runs took {value_range(of('seconds_per_epoch', late), 1)} s per epoch (seeds {joined(early)}: "
        f"{value_range(of('seconds_per_epoch', early), 1)} s; the leaderboard's `s/epoch` for BERT4Rec, {board:.2f}, "
        f"averages these with the three Intel runs' {value_range(per_epoch['bert4rec'][0], 1)} s), best epochs "
        f"{whole('best_epoch', late)}, stopped early at {whole('epochs', late)} of {cap} "
        f"({value_range(_minutes(of('train_seconds', new)), 0)} minutes of training for each of the five).",
        f"BERT4Rec's test NDCG@10 on seeds {new[0]}-{new[-1]}: {listed(of('ndcg@10', new), last=' and ')} (mean "
        f"{mean(of('ndcg@10', new)):.4f}); over the eight seeds {figure(LOO_8, 'bert4rec')} against SASRec's "
        f"{figure(LOO_8, 'sasrec')} (`leaderboard.md`).",
        f"Against SASRec from seed to seed (`paired_seeds.md`): {interval(sasrec)}, higher on {positive_on(sasrec)} "
        f"seeds ({joined(seed for seed, _ in higher)}, by {listed((d for _, d in higher), last=' and ')}), "
        f"{sasrec['verdict']}. Over the first three seeds it was {interval(three)}; on the five new ones it is "
        f"{float(five['difference']):+.4f} (user by user, `new-seeds/paired.md`: {interval(users)}, {users['verdict']}). "
        f'The target "BERT4Rec at least SASRec" {met} over eight seeds {either}.',
        f"Against item-to-item from seed to seed: {interval(item[LOO_8])}, higher on {positive_on(item[LOO_8])}, "
        f"{item[LOO_8]['verdict']} (over three seeds it was {item[LOO]['verdict']}, {interval(item[LOO])}); user by "
        f"user on the new seeds {interval(item_users)}, {item_users['verdict']}, "
        f"{'like' if like else 'unlike'} SASRec's and CL4SRec's leads.",
        f"BERT4Rec's fall from validation to test is {COMPARED[falls['sasrec']['verdict']]} SASRec's from seed to seed "
        f"({interval(falls['sasrec'])}, {positive_on(falls['sasrec'])}) and {COMPARED[falls['itemnext']['verdict']]} "
        f"item-to-item's ({interval(falls['itemnext'])}, {positive_on(falls['itemnext'])}).",
    ]
    assert_quoted(second, quotes, f"{LOO_README}'s second addendum does not quote its runs as")


def test_eight_seed_graph_readme_quotes_its_runs() -> None:
    # ml-100k-holdout-graph-8-seeds/README.md: in its plan, the three-seed sweep's gains over LightGCN against the
    # spread over seeds and user by user (../ml-100k-holdout-graph/); in its result, the runs' count, the table (the
    # means over three and eight seeds, the comparisons from seed to seed and user by user) and what it shows
    readme = f"benchmarks/results/{GRAPH_8}/README.md"
    contrastive = ("xsimgcl", "simgcl", "sgl")
    three, eight = leaderboard(GRAPH), leaderboard(GRAPH_8)
    gains = {
        n: {m: board[m]["ndcg@10_mean"] - board["lightgcn"]["ndcg@10_mean"] for m in contrastive}
        for n, board in ((3, three), (8, eight))
    }
    # each gain against the spread over seeds of its model's figure
    within = all(abs(gains[3][m]) < three[m]["ndcg@10_std"] for m in contrastive)
    excluding = [MODEL_NAMES[m] for m in contrastive if _users(GRAPH, m, "lightgcn")["verdict"] != "level"]
    plan = [
        f"the contrastive models' gains over LightGCN ({min(gains[3].values()):+.4f} to {max(gains[3].values()):+.4f} "
        f"in test NDCG@10) are {'within' if within else 'beyond'} one standard deviation over those seeds; user by user "
        f"only {joined(excluding)}'s interval excludes 0, just.",
    ]
    assert_quoted(section(readme), plan, f"{readme}'s plan does not quote ../{GRAPH}/ as")
    # the result: its runs, then the table, one row per model
    runs = csv_rows(f"{GRAPH_8}/runs.csv")
    n = len({row["seed"] for row in runs})
    (per_model,) = {sum(row["model"] == m and row["seed"] in SEEDS for row in runs) for m in eight}
    seeds_of = {m: _seeds(GRAPH_8, m, "lightgcn") for m in contrastive}
    users = {m: _users(GRAPH_8, m, "lightgcn") for m in contrastive}
    ((machine, threads),) = {
        (row["machine"].replace(" CPUs", " cores"), int(row["threads"]))
        for row in runs
        if row["seed"] not in SEEDS
    }
    quotes = [
        f"{machine}, {NUMBER_WORDS[threads]} threads, one run at a time, machine quiet)",
        f"`runs.csv` holds the {NUMBER_WORDS[per_model]} runs per model of `../{GRAPH}/` and the "
        f"{NUMBER_WORDS[n - len(SEEDS)]} new ones; `leaderboard.md` and `paired.md` cover all "
        f"{NUMBER_WORDS[n]} seeds",
        f"over the {len(runs)} run folders",
        f"| model | test NDCG@10, {len(SEEDS)} seeds | {n} seeds | against LightGCN, seed to seed (t, {n} seeds) | "
        f"higher on | user by user ({n} seeds) |",
        *(
            f"| {MODEL_NAMES[m]} | {figure(GRAPH, m)} | {figure(GRAPH_8, m)} | {interval(seeds_of[m])} | "
            f"{positive_on(seeds_of[m])} | {interval(users[m])} |"
            for m in contrastive
        ),
        f"| LightGCN | {figure(GRAPH, 'lightgcn')} | {figure(GRAPH_8, 'lightgcn')} | | | |",
    ]
    # what it shows: LightGCN's spread and mean, the gains and their verdicts, the seeds where SGL is behind
    lightgcn = column_values(f"{GRAPH_8}/runs.csv", "ndcg@10", model="lightgcn")
    move = {m: eight[m]["ndcg@10_mean"] - three[m]["ndcg@10_mean"] for m in eight}
    less = all(abs(move[m]) < abs(move["lightgcn"]) for m in contrastive)
    above = [m for m in contrastive if seeds_of[m]["verdict"] == "above"]
    level = joined(f"{MODEL_NAMES[m]}'s" for m in reversed(contrastive) if seeds_of[m]["verdict"] == "level")
    behind = [row["seed"] for row in seed_rows(GRAPH_8, "sgl", "lightgcn") if float(row["difference"]) < 0]
    (lead,) = above
    share = [100 * gains[8][m] / eight["lightgcn"]["ndcg@10_mean"] for m in contrastive]
    best = [eight[m]["best_epoch_mean"] for m in contrastive]
    assert all(gains[8][m] > 0 for m in contrastive), (
        "the text says every contrastive model is above LightGCN"
    )
    assert all(gains[8][m] > gains[3][m] for m in contrastive), "the text says by more than over three seeds"
    assert {users[m]["verdict"] for m in contrastive} == {"above"}, (
        "the text says all three intervals exclude 0"
    )
    assert max(best) < eight["lightgcn"]["best_epoch_mean"], (
        "the text says the contrastive models train for less"
    )
    quotes += [
        f"LightGCN's small spread over the first three seeds ({three['lightgcn']['ndcg@10_std']:.4f}) was luck: over "
        f"eight it is {eight['lightgcn']['ndcg@10_std']:.4f}, like the others', and its mean "
        f"{'falls' if move['lightgcn'] < 0 else 'rises'} to {eight['lightgcn']['ndcg@10_mean']:.4f} "
        f"({value_range(lightgcn, 4, ' to ')} by seed). The contrastive models' means move {'less' if less else 'more'}.",
        "by more than over three seeds ("
        + ", ".join(f"{MODEL_NAMES[m]} {gains[8][m]:+.4f}" for m in contrastive)
        + f"). User by user, averaging each user's differences over the {NUMBER_WORDS[n]} seeds, all three "
        "intervals now exclude 0.",
        f"(Student's t over the {NUMBER_WORDS[n]} seeds' differences), only {MODEL_NAMES[lead]}'s lead "
        f"excludes 0, just, and it is higher on {seed_count(int(seeds_of[lead]['positive_seeds']), n)}. "
        f"{level} gains are within the spread between seeds: on some "
        f"splits LightGCN is ahead (seeds {joined(behind)} for SGL).",
        f"about {value_range(list(gains[8].values()), 3, ' to ')} in test NDCG@10 ({value_range(share, 0, ' to ')}%), "
        f"beyond the variation between splits only for {MODEL_NAMES[lead]}, and only just.",
        f"(best epochs {value_range(best, 1, ' to ')} on average against LightGCN's "
        f"{eight['lightgcn']['best_epoch_mean']:.1f}).",
    ]
    assert_quoted(
        section(readme, "Result"), quotes, f"{readme}'s result does not quote its folder's files as"
    )
