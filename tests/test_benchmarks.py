import argparse
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from benchmarks import bert4rec_targets, book_build_time, determinism, leaderboard, tune
from sslrec_utils.data import movielens, preprocess
from sslrec_utils.models.base import TrainData
from sslrec_utils.recommend import TrainedRecommender
from sslrec_utils.splits import loo_split
from tests.helpers import needs_recbole

ROOT = Path(__file__).resolve().parents[1]


def test_leaderboard_runs_models_over_seeds_and_writes_tables(tmp_path, capsys):
    assert leaderboard.main(["--models", "pop", "--seeds", "2020", "2021", "--out", str(tmp_path)]) == 0
    runs = pd.read_csv(tmp_path / "runs.csv")
    assert list(runs["seed"]) == [2020, 2021] and set(runs["model"]) == {"pop"}
    assert runs["options"].isna().all()  # defaults: nothing beyond them
    # popularity on ml-100k's per-user holdout: well above random (~0.006), well below personalised models
    assert runs["ndcg@10"].between(0.10, 0.20).all()
    assert runs["valid_ndcg@10"].between(0.05, 0.20).all()  # the figure that chose the run, beside the test's
    assert (runs["peak_rss_mb"] > 50).all()
    table = pd.read_csv(tmp_path / "leaderboard.csv", index_col=0)
    assert table.loc["pop", "seeds"] == 2
    assert table.loc["pop", "ndcg@10_mean"] == runs["ndcg@10"].mean()
    md = (tmp_path / "leaderboard.md").read_text()
    assert "| pop |" in md and "±" in md
    assert "Options beyond" not in md  # runs at the defaults list no options
    assert (runs["machine"] == leaderboard.this_machine()).all() and f"Machine: {runs['machine'][0]};" in md
    assert (runs["threads"] >= 1).all() and f"threads per run {runs['threads'][0]}, device" in md
    assert f"device {runs['device'][0]}." in md and runs["device"][0] != "auto"  # the device it resolved to
    assert (tmp_path / "runs" / "pop-2020" / "metrics.json").exists()
    assert (tmp_path / "runs" / "pop-2020.log").exists()  # each run's progress, beside its folder
    # each row records its data settings, so that merging it with runs on other data is refused
    assert [json.loads(d)["split"] for d in runs["data"]] == ["holdout", "holdout"]
    other = runs.assign(
        seed=runs["seed"] + 2, data=runs["data"].str.replace('"min_user": 0', '"min_user": 5')
    )
    other.to_csv(tmp_path / "other.csv", index=False)
    argv = [
        "--from-runs",
        str(tmp_path / "runs.csv"),
        str(tmp_path / "other.csv"),
        "--out",
        str(tmp_path / "m"),
    ]
    with pytest.raises(SystemExit):
        leaderboard.main(argv)
    assert "the runs were made on different data or preprocessing (min_user: 0, 5)" in capsys.readouterr().err
    # a second sweep into the same folder would replace these tables: refused without --force
    with pytest.raises(SystemExit):
        leaderboard.main(["--models", "ease", "--seeds", "2020", "--out", str(tmp_path)])
    assert pd.read_csv(tmp_path / "runs.csv").equals(runs)


@needs_recbole
def test_a_run_writes_its_progress_beside_its_folder_and_a_failure_quotes_it(tmp_path):
    args = argparse.Namespace(
        dataset="ml-100k", split="holdout", ties=None, tie_seed=None, device="cpu", epochs=1, set=[]
    )
    record = leaderboard.run_one("multvae", 2020, args, tmp_path / "runs" / "multvae-2020")
    assert record["epochs"] == 1 and (tmp_path / "runs" / "multvae-2020" / "metrics.json").exists()
    log = (tmp_path / "runs" / "multvae-2020.log").read_text()
    assert "1/1" in log and "ndcg@10=" in log  # the epoch bar, with the loss and the validation figure
    with pytest.raises(RuntimeError, match=r"(?s)bad\.log.*unknown setting.*nosuch"):
        leaderboard.run_one("multvae", 2020, args, tmp_path / "runs" / "bad", ["nosuch=1"])
    assert not (tmp_path / "runs" / "bad").exists()


def test_an_interrupted_run_is_not_a_finished_one(tmp_path, monkeypatch):
    # `sslrec train` stopped by a signal writes its run, records "interrupted" and exits 130: its figures must
    # not enter a mean, and the message says the run is kept (not that it failed)
    record = {"interrupted": True, "epochs": 3, "ndcg@10": 0.3}
    done = argparse.Namespace(returncode=130, stdout=json.dumps(record) + "\n")
    monkeypatch.setattr(leaderboard.subprocess, "run", lambda *a, **k: done)
    args = argparse.Namespace(
        dataset="ml-100k", split="holdout", ties=None, tie_seed=None, device="cpu", epochs=None, set=[]
    )
    with pytest.raises(RuntimeError, match="interrupted at epoch 3"):
        leaderboard.run_one("multvae", 2020, args, tmp_path / "runs" / "multvae-2020")


@pytest.mark.parametrize("script", ["leaderboard", "tune"])
def test_the_order_of_ties_reaches_every_run(script, tmp_path, monkeypatch):
    # the folders measured with ties ordered by item ID (before 2026-12-01) could not be rebuilt: neither script
    # passed --ties on, and `--set ties=item` is refused (a data option, not a setting)
    module = leaderboard if script == "leaderboard" else tune
    commands = []

    def run(cmd, **kwargs):
        commands.append(cmd)
        return argparse.Namespace(returncode=1, stdout="")

    monkeypatch.setattr(leaderboard.subprocess, "run", run)
    argv = ["--split", "loo", "--ties", "item", "--tie-seed", "3", "--seeds", "2020"]
    argv += ["--out", str(tmp_path / "o")]
    argv += ["--models", "pop"] if script == "leaderboard" else ["--model", "itemknn", "--point", "k=10"]
    with contextlib.suppress(RuntimeError, SystemExit):
        module.main(argv)
    assert commands and all(
        c[c.index("--ties") + 1] == "item" and c[c.index("--tie-seed") + 1] == "3" for c in commands
    )
    with pytest.raises(SystemExit):
        module.main(["--split", "loo", "--ties", "itemid"])


def test_leaderboard_merges_runs_without_training(tmp_path, capsys):
    cols = {"ndcg@10": [0.30, 0.32], "recall@10": [0.2, 0.22], "epochs": [10, 12], "best_epoch": [8, 9]}
    cols |= {"seconds_to_best": [4.0, 5.0], "seconds_per_epoch": [0.5, 0.5], "train_seconds": [5.0, 6.0]}
    cols |= {m: [0.1, 0.1] for m in ("ndcg@20", "recall@20", "hit@10", "mrr@10")}
    first = pd.DataFrame({"model": ["lightgcn", "lightgcn"], "seed": [2020, 2021], **cols})
    second = first.assign(seed=[2021, 2022], **{"ndcg@10": [0.34, 0.36]})  # seed 2021 again: the later wins
    paths = [tmp_path / "a.csv", tmp_path / "b.csv"]
    first.to_csv(paths[0], index=False)
    second.to_csv(paths[1], index=False)
    out = tmp_path / "merged"
    assert leaderboard.main(["--from-runs", *map(str, paths), "--split", "holdout", "--out", str(out)]) == 0
    runs = pd.read_csv(out / "runs.csv")
    assert sorted(runs["seed"]) == [2020, 2021, 2022]
    # said, not silent: a run replaced by another, and runs whose data settings cannot be compared
    err = capsys.readouterr().err
    assert "the later of two runs kept for lightgcn seed 2021 (ndcg@10 0.3200 replaced by 0.3400)" in err
    assert "3 of the 3 runs do not record their data settings" in err
    # a run cut short never enters a mean, from a runs.csv as from a run directory
    first.assign(interrupted=[False, True]).to_csv(tmp_path / "cut.csv", index=False)
    with pytest.raises(SystemExit):
        leaderboard.main(["--from-runs", str(tmp_path / "cut.csv"), "--out", str(tmp_path / "cut")])
    assert "runs cut short (interrupted) must not enter a mean: lightgcn seed 2021" in capsys.readouterr().err
    # a later file that re-runs every seed of a model at other options replaces its runs (it had been refused
    # as mixed options, compared before the later runs replaced the earlier)
    first.assign(options="--set lr=0.01").to_csv(tmp_path / "old.csv", index=False)
    first.assign(options="--set lr=0.02").to_csv(tmp_path / "new.csv", index=False)
    argv = [
        "--from-runs",
        str(tmp_path / "old.csv"),
        str(tmp_path / "new.csv"),
        "--out",
        str(tmp_path / "new"),
    ]
    assert leaderboard.main(argv) == 0
    assert set(pd.read_csv(tmp_path / "new" / "runs.csv")["options"]) == {"--set lr=0.02"}
    # but within one file, two runs of one model at different options are refused, not one silently kept
    pd.concat([first.assign(options="--set lr=0.01"), first.assign(options="--set lr=0.02")]).to_csv(
        tmp_path / "both.csv", index=False
    )
    with pytest.raises(SystemExit):
        leaderboard.main(["--from-runs", str(tmp_path / "both.csv"), "--out", str(tmp_path / "both")])
    assert "the runs of ['lightgcn'] have different options" in capsys.readouterr().err
    # unless a later file's run replaces it
    argv = ["--from-runs", str(tmp_path / "cut.csv"), str(paths[1]), "--out", str(tmp_path / "redone")]
    assert leaderboard.main(argv) == 0
    table = pd.read_csv(out / "leaderboard.csv", index_col=0)
    assert table.loc["lightgcn", "seeds"] == 3
    assert abs(table.loc["lightgcn", "ndcg@10_mean"] - (0.30 + 0.34 + 0.36) / 3) < 1e-12
    assert table.loc["lightgcn", "beats_recbole"]  # RecBole's LightGCN: 0.2823
    table = leaderboard.summarise(pd.concat([first.assign(model="dae"), second]))
    assert pd.isna(table.loc["dae", "beats_recbole"])  # no RecBole figure: not False
    assert pd.isna(table.loc["dae", "within_third_of_recbole_time"])
    assert "seeds 2020, 2021, 2022" in (out / "leaderboard.md").read_text()


def test_merged_runs_say_their_split_and_options(tmp_path):
    cols = {m: [0.1, 0.2] for m in (*leaderboard.METRICS, "epochs", "best_epoch", "seconds_to_best")}
    cols |= {"seconds_per_epoch": [1.0, 1.0], "dataset": "ml-100k", "device": "cpu"}
    runs = pd.DataFrame({"model": ["sasrec", "bert4rec"], "seed": [2020, 2020], "split": "loo", **cols})
    runs["options"] = ["--set loss=bce", None]  # a default run: no options
    runs["machine"] = "gpu-box, 64 CPUs"  # where the runs ran, not where they are merged
    runs.to_csv(tmp_path / "runs.csv", index=False)
    out = tmp_path / "merged"
    assert leaderboard.main(["--from-runs", str(tmp_path / "runs.csv"), "--out", str(out)]) == 0
    md = (out / "leaderboard.md").read_text()
    assert md.startswith("# Leaderboard: ml-100k, split loo, seeds 2020\n")
    assert "Machine: gpu-box, 64 CPUs, device cpu." in md
    runs.drop(columns="machine").to_csv(tmp_path / "old.csv", index=False)  # runs.csv from before the column
    assert leaderboard.main(["--from-runs", str(tmp_path / "old.csv"), "--out", str(tmp_path / "old")]) == 0
    assert "Machine: not recorded, device cpu." in (tmp_path / "old" / "leaderboard.md").read_text()
    assert "Options beyond each model's defaults when its runs were made: sasrec: `--set loss=bce`\n" in md
    pd.concat([runs, runs.drop(columns="machine").assign(seed=2021)]).to_csv(
        tmp_path / "some.csv", index=False
    )
    assert leaderboard.main(["--from-runs", str(tmp_path / "some.csv"), "--out", str(tmp_path / "some")]) == 0
    some = (tmp_path / "some" / "leaderboard.md").read_text()
    assert "Machine: gpu-box, 64 CPUs; not recorded for 2 of the 4 runs, device cpu." in some
    runs.assign(split=["loo", "holdout"]).to_csv(tmp_path / "mixed.csv", index=False)
    with pytest.raises(SystemExit):
        leaderboard.main(["--from-runs", str(tmp_path / "mixed.csv"), "--out", str(out)])
    # the same model and seed at the defaults: one would silently replace the other
    runs.assign(model="sasrec", options=[None, "--set loss=bce"]).to_csv(tmp_path / "two.csv", index=False)
    with pytest.raises(SystemExit):
        leaderboard.main(["--from-runs", str(tmp_path / "two.csv"), "--out", str(out)])
    assert "sasrec: `--set loss=bce`" in (out / "leaderboard.md").read_text()  # the first merge, unchanged


def test_epoch_throughput_writes_one_row_per_model(tmp_path, capsys):
    from benchmarks import epoch_throughput

    out = tmp_path / "throughput.csv"
    args = ["--datasets", "synthetic:300x200x5000", "--models", "multvae", "--device", "cpu", "--epochs", "1"]
    assert epoch_throughput.main([*args, "--set", "hidden_dims=[32,8]", "--out", str(out)]) == 0
    table = pd.read_csv(out)
    assert list(table.columns) == [
        "dataset",
        "model",
        "users",
        "items",
        "train_interactions",
        "device",
        "epoch_train_s",
        "validation_s",
        "interactions_per_s",
        "valid_ndcg@10",
        "peak_gpu_mb",
    ]
    assert len(table) == 1
    row = table.iloc[0]
    assert (row["dataset"], row["model"], row["device"]) == ("synthetic:300x200x5000", "multvae", "cpu")
    assert (row["users"], row["items"]) == (300, 200)
    # the holdout split trains on about 80% of the 5000 interactions
    assert 3500 < row["train_interactions"] < 4500
    assert row["epoch_train_s"] > 0 and row["validation_s"] >= 0
    assert row["interactions_per_s"] == pytest.approx(row["train_interactions"] / row["epoch_train_s"])
    assert row["interactions_per_s"] > 0
    assert 0 <= row["valid_ndcg@10"] <= 1
    assert pd.isna(row["peak_gpu_mb"])  # measured on CUDA only
    # an unknown model is refused before any data set is loaded, not after the models before it (a run that
    # stops part way, on the GPU machine by a time limit, keeps its rows: see the next test)
    out.unlink()
    args[3] = "multvae,no-such-model"
    err = _refused(epoch_throughput.main, [*args, "--set", "hidden_dims=[32,8]", "--out", str(out)], capsys)
    assert "unknown model 'no-such-model'" in err and not out.exists()


@needs_recbole
def test_gpu_check_runs_every_step_in_its_cpu_mode(tmp_path):
    # benchmarks/gpu_check.sh gets one try on a lent GPU (15 minutes of device time in all): its CPU mode runs the
    # same steps, small, so that the script itself is known to work before a GPU comes
    big = "synthetic:600x200x12000"
    env = {**os.environ, "DEVICE": "cpu", "BIG": big, "OUT": str(tmp_path), "PYTHON": sys.executable}
    env["OMP_NUM_THREADS"] = "1"
    script = str(ROOT / "benchmarks" / "gpu_check.sh")
    result = subprocess.run(["bash", script], env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "gpu_check: tests passed; ml-100k timings passed; large log passed" in result.stdout
    (suite,) = re.findall(r"<testsuite [^>]*>", (tmp_path / "gpu_tests.xml").read_text())
    assert int(re.search(r'tests="(\d+)"', suite)[1]) > 0  # the GPU-marked tests were found (skipped here)
    for name, dataset in (("ml100k", "ml-100k"), ("large", big)):
        table = pd.read_csv(tmp_path / f"epoch_throughput_{name}.csv")
        assert list(table["model"]) == ["multvae", "sasrec", "sgl"] and set(table["dataset"]) == {dataset}
        assert (table["interactions_per_s"] > 0).all() and table["peak_gpu_mb"].isna().all()
    assert (tmp_path / "epoch_throughput.log").read_text().count("epoch ") >= 6


def test_epoch_throughput_prints_its_step_rate_and_stops_on_ctrl_c(tmp_path, capsys, monkeypatch):
    # gpu_check.sh stops a model its time limit cuts short with SIGINT: the steps printed so far give its rate,
    # and the models before it keep their rows
    from benchmarks import epoch_throughput

    out = tmp_path / "throughput.csv"
    args = ["--datasets", "synthetic:300x200x5000", "--device", "cpu", "--set", "hidden_dims=[32,8]"]
    argv = [*args, "--models", "multvae", "--set", "batch_size=16", "--step-rate", "--out", str(out)]
    assert epoch_throughput.main(argv) == 0
    printed = re.findall(r"multvae: (\d+) of (\d+) steps in [0-9.]+ s", capsys.readouterr().out)
    assert len(printed) >= 10 and {total for _, total in printed} == {"19"}  # 300 users, 80% in batches of 16
    fit = epoch_throughput.fit

    def cut_short(model, *rest, **kwargs):  # the trainer re-raises a Ctrl-C before its first validation
        if type(model).__name__ == "MultDAE":
            raise KeyboardInterrupt
        return fit(model, *rest, **kwargs)

    monkeypatch.setattr(epoch_throughput, "fit", cut_short)
    assert epoch_throughput.main([*args, "--models", "multvae,multdae", "--out", str(out)]) == 130
    assert (
        f"multdae on synthetic:300x200x5000 interrupted; the rows before it are in {out}"
        in capsys.readouterr().err
    )
    assert list(pd.read_csv(out)["model"]) == ["multvae"]


def test_the_models_measured_before_are_freed_before_the_next_peak_is_measured(monkeypatch):
    # the trainer and the step counter leave reference cycles: a model measured before had kept its weights and
    # gradients alive into the next model's peak GPU memory, until the garbage collector happened to run
    import gc
    import weakref

    from benchmarks import epoch_throughput
    from sslrec_utils.experiment import DataSpec, load_split

    split, _ = load_split(DataSpec(dataset="synthetic:300x200x5000"))
    built, alive_when_next_measured = [], []
    fit = epoch_throughput.fit

    def fit_and_look_back(model, *args, **kwargs):
        alive_when_next_measured.extend(ref() is not None for ref in built)
        built.append(weakref.ref(model))
        return fit(model, *args, **kwargs)

    monkeypatch.setattr(epoch_throughput, "fit", fit_and_look_back)
    gc.collect()
    gc.disable()
    try:
        for step_rate in (True, False, True):
            epoch_throughput.measure("multvae", split, "cpu", 1, ["hidden_dims=[32,8]"], step_rate=step_rate)
    finally:
        gc.enable()
    assert len(alive_when_next_measured) == 3 and not any(alive_when_next_measured)


def test_tune_grid_expands_tied_keys_and_bracketed_values():
    from benchmarks import tune

    points = tune.parse_grid(["dropout,attn_dropout=0.1,0.3", "hidden_dims=[600,200],[200]"])
    assert len(points) == 4
    assert points[0] == (("dropout", "0.1"), ("attn_dropout", "0.1"), ("hidden_dims", "[600,200]"))
    assert points[3] == (("dropout", "0.3"), ("attn_dropout", "0.3"), ("hidden_dims", "[200]"))
    assert tune.parse_grid([]) == [()]
    assert tune.parse_point("mask_prob=0.2 lr=1e-3") == (("mask_prob", "0.2"), ("lr", "1e-3"))
    assert tune.parse_point("") == ()
    with pytest.raises(ValueError, match="k1=v1"):
        tune.parse_point("mask_prob 0.2")
    with pytest.raises(ValueError, match="KEYS=V1"):
        tune.parse_grid(["reg"])


def test_tune_ranks_grid_points_by_validation_only(tmp_path):
    from benchmarks import tune

    args = ["--model", "ease", "--grid", "reg=50", "--point", "reg=800", "--seeds", "2020", "--jobs", "2"]
    args += ["--out", str(tmp_path), "--runs-dir", str(tmp_path / "runs")]  # not a folder left in /tmp
    assert tune.main(args) == 0
    runs = pd.read_csv(tmp_path / "tuning_runs.csv")
    assert sorted(runs["reg"]) == [50, 800] and len(runs) == 2
    assert not [c for c in runs.columns if "test" in c]  # test figures are never read
    assert runs["valid_ndcg@10"].between(0.15, 0.40).all()  # EASE on ml-100k's validation part (10%)
    assert (runs["valid_ndcg@10_last10"] == runs["valid_ndcg@10"]).all()  # closed form: one validation
    table = pd.read_csv(tmp_path / "tuning.csv", index_col=0)
    assert table["valid_ndcg@10_mean"].is_monotonic_decreasing
    best = runs.loc[runs["valid_ndcg@10"].idxmax(), "point"]
    assert table.index[0] == best and best in (tmp_path / "tuning.md").read_text()
    assert not list(tmp_path.glob("curves.*"))  # closed form: no curve to draw


def test_tune_names_the_points_ranked_on_fewer_seeds(tmp_path):
    """A point of one seed beside points of three (tables merged from run folders) had been ranked with them
    without a word; tuning.md names every point not run on every seed, and its seeds."""
    from benchmarks import tune

    rows = [
        {"point": p, "seed": seed, "valid_ndcg@10": v, "best_epoch": 5, "seconds_per_epoch": 1.0}
        for p, seeds, v in (("(defaults)", (1, 2, 3), 0.30), ("cl_temp=0.5", (1,), 0.31))
        for seed in seeds
    ]
    args = argparse.Namespace(model="simgcl", dataset="ml-100k", split="holdout", seeds=[1, 2, 3])
    args.__dict__.update(device="cpu", set=[], out=tmp_path)
    assert tune.write_tables(rows, args) == 0
    md = (tmp_path / "tuning.md").read_text()
    assert "**Points not run on every seed (1, 2, 3), whose means are over their own seeds only:** " in md
    assert "cl_temp=0.5 (1)." in md and "(defaults) (" not in md
    assert tune.write_tables([r for r in rows if r["point"] == "(defaults)"], args) == 0
    assert "every seed" not in (tmp_path / "tuning.md").read_text()
    # as many seeds, but other ones: said too
    other = [r | {"seed": 9} if r["point"] == "(defaults)" and r["seed"] == 3 else r for r in rows]
    assert tune.write_tables(other + [r | {"seed": 3} for r in rows if r["point"] != "(defaults)"], args) == 0
    assert "(defaults) (1, 2, 9)" in (tmp_path / "tuning.md").read_text()


def test_tune_names_its_failed_runs_and_exits_non_zero(tmp_path, capsys):
    from benchmarks import tune

    args = ["--model", "pop", "--dataset", "synthetic:60x80x1500", "--split", "loo", "--device", "cpu"]
    # a cut-off above the data's 80 items: a setting only the loaded data refuses (an unknown one is refused
    # before any run starts)
    args += ["--seeds", "1", "--point", "", "--point", "ks=[10,1000]", "--out", str(tmp_path)]
    args += ["--runs-dir", str(tmp_path / "runs")]
    assert tune.main(args) == 1
    assert "Failed runs, left out of the means:** ks=[10,1000] seed 1" in (tmp_path / "tuning.md").read_text()
    assert list(pd.read_csv(tmp_path / "tuning.csv", index_col=0).index) == ["(defaults)"]
    assert "1 run(s) failed" in capsys.readouterr().err


def test_tune_reports_the_level_a_noisy_curve_settled_at(tmp_path):
    from benchmarks import tune

    curve = [0.01 * e for e in range(1, 9)] + [0.05, 0.09, 0.05, 0.05, 0.06, 0.04, 0.05, 0.05, 0.05, 0.05]
    pd.DataFrame({"epoch": range(1, 19), "ndcg@10": curve}).to_csv(tmp_path / "history.csv", index=False)
    metrics = {"valid": {"ndcg@10": 0.09}, "epochs": 18, "best_epoch": 10, "seconds_per_epoch": 1.5}
    (tmp_path / "metrics.json").write_text(json.dumps(metrics))
    row = tune.collect((("lr", "0.01"),), 2020, tmp_path, 30.0)
    assert row["valid_ndcg@10"] == 0.09 and row["lr"] == "0.01" and row["point"] == "lr=0.01"
    assert row["valid_ndcg@10_last10"] == pytest.approx(0.054)  # epochs 9-18: the spike at 10 counts once
    table = tune.summarise(pd.DataFrame([row, {**row, "seed": 2021, "valid_ndcg@10_last10": 0.056}]))
    assert table.loc["lr=0.01", "valid_ndcg@10_last10_mean"] == pytest.approx(0.055)


def test_time_to_target_finds_the_first_epoch_at_the_target():
    from benchmarks import time_to_target as ttt
    from sslrec_utils.experiment import DataSpec, load_split

    split, _ = load_split(DataSpec(dataset="ml-100k", split="holdout", seed=2020))
    easy = ttt.time_to_target("multdae", split, 2020, target=0.05, epochs=4)
    assert easy["target_epoch"] is not None and 1 <= easy["target_epoch"] <= 4
    assert easy["max_test_ndcg@10_seen"] >= 0.05 and 0 < easy["seconds_to_target"] <= easy["train_seconds"]
    never = ttt.time_to_target("multdae", split, 2020, target=0.99, epochs=2)
    assert never["target_epoch"] is None and pd.isna(never["seconds_to_target"]) and never["epochs"] == 2
    closed = ttt.time_to_target("pop", split, 2020, target=0.1033)  # RecBole's Pop figure
    assert closed["target_epoch"] == 0 and closed["max_test_ndcg@10_seen"] >= 0.1033


def test_time_to_target_writes_tables_that_name_the_machine(tmp_path):
    from benchmarks import time_to_target as ttt

    assert ttt.main(["--models", "pop", "--out", str(tmp_path)]) == 0
    table = pd.read_csv(tmp_path / "time_to_target.csv")
    assert table["model"].tolist() == ["pop"] and table["target_epoch"].tolist() == [0]
    assert 0 < table["ratio"][0] < table["ratio_with_startup"][0]  # the start-up adds to the ratio
    md = (tmp_path / "time_to_target.md").read_text()
    assert f"Machine: {leaderboard.this_machine()}, device cpu, load average" in md and "| pop | 2020 |" in md


def test_the_start_up_timed_is_what_a_training_process_pays_outside_its_clock():
    """The first optimizer of a process imports torch._dynamo (about 0.9 s), before `fit` starts its clock: the
    start-up timed had left it out, so the ratios with start-up were low by it."""
    from benchmarks import time_to_target as ttt

    check = "; import sys; print('torch._dynamo' in sys.modules)"
    for code, expected in ((ttt.STARTUP_CODE, "True"), ("import torch, sslrec_utils.cli", "False")):
        done = subprocess.run(
            [sys.executable, "-c", code + check], capture_output=True, text=True, check=True
        )
        assert done.stdout.strip() == expected


def _tiny_book(src: Path) -> None:
    """A book project of three pages with the real _config.yml (and what it needs: book/_ext, mermaid-cli)."""
    (src / "book" / "_ext").mkdir(parents=True)
    (src / "notebooks").mkdir()
    shutil.copy2(ROOT / "_config.yml", src / "_config.yml")
    for name in ("_ext/sslrec_book.py", "puppeteer-config.json", "mermaid-config.json", "references.bib"):
        shutil.copy2(ROOT / "book" / name, src / "book" / name)
    (src / "node_modules").symlink_to(ROOT / "node_modules")
    (src / "book" / "index.md").write_text("# Tiny book\n\nA formula, $x^2$, and {doc}`../notebooks/tiny`.\n")
    (src / "book" / "left_out.md").write_text("# Left out\n\nNot in the subset.\n")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("# Tiny chapter"), nbformat.v4.new_code_cell("print(6 * 7)")]
    nbformat.write(nb, src / "notebooks" / "tiny.ipynb")
    toc = "format: jb-book\nroot: book/index\nchapters:\n- file: notebooks/tiny\n- file: book/left_out\n"
    (src / "_toc.yml").write_text(toc)


def test_book_build_subset_toc_keeps_order_and_rejects_unknown_files():
    toc = {
        "format": "jb-book",
        "root": "book/preface",
        "parts": [{"caption": "A", "chapters": [{"file": "notebooks/ch01"}, {"file": "notebooks/ch02"}]}],
    }
    assert book_build_time.subset_toc(toc, ["notebooks/ch02", "book/preface"]) == {
        "format": "jb-book",
        "root": "book/preface",
        "chapters": [{"file": "notebooks/ch02"}],
    }
    with pytest.raises(SystemExit, match="notebooks/ch09"):
        book_build_time.subset_toc(toc, ["book/preface", "notebooks/ch09"])


@pytest.mark.skipif(
    not (ROOT / "node_modules" / ".bin" / "mmdc").exists() or not Path("/usr/bin/chromium").exists(),
    reason="the book's _config.yml needs mermaid-cli and chromium (make setup)",
)
def test_book_build_time_cold_then_warm_on_a_tiny_book(tmp_path, capsys):
    src = tmp_path / "src"
    _tiny_book(src)
    out = tmp_path / "results"
    argv = ["--source", str(src), "--only", "book/index", "notebooks/tiny", "--out", str(out)]
    assert book_build_time.main([*argv, "--workdir", str(tmp_path / "work"), "--keep"]) == 0
    row = pd.read_csv(out / "book_build_times.csv").iloc[0]
    assert (row["pages"], row["notebooks"], row["subset"]) == (2, 1, "book/index notebooks/tiny")
    assert (row["cold_executed"], row["warm_executed"], row["warm_cached"]) == (1, 0, 1)
    assert row["cold_s"] > 0 and row["warm_s"] > 0 and bool(row["ok"])
    assert row["cold_over_target"] == pytest.approx(row["cold_s"] / 600, abs=1e-3)
    (record_file,) = out.glob("book_build_*_subset.json")
    record = json.loads(record_file.read_text())
    assert record["cold"]["executed"][0]["notebook"] == "tiny.ipynb"
    assert record["offline_check_rc"] == 0
    html = tmp_path / "work" / "book" / "_build" / "html"
    assert "42" in (html / "notebooks" / "tiny.html").read_text()  # executed, not merely copied
    assert not (html / "book" / "left_out.html").exists()
    assert "x the 10-minute target" in capsys.readouterr().out
    # a second cold build needs a fresh folder; the refusal removes nothing, the kept build included
    (tmp_path / "work" / "notes.txt").write_text("mine")
    with pytest.raises(SystemExit, match="not empty"):
        book_build_time.main([*argv, "--workdir", str(tmp_path / "work")])
    assert (html / "notebooks" / "tiny.html").exists() and (tmp_path / "work" / "notes.txt").exists()


def test_recbole_figures_only_beside_the_holdout_split():
    runs = pd.DataFrame({"model": ["pop"], "seed": [2020], "ndcg@10": [0.01], "seconds_to_best": [0.1]})
    assert leaderboard.summarise(runs, "holdout").loc["pop", "recbole_ndcg@10"] == 0.1033
    assert pd.isna(leaderboard.summarise(runs, "loo").loc["pop", "recbole_ndcg@10"])
    assert pd.isna(leaderboard.summarise(runs, "holdout", "ml-1m").loc["pop", "recbole_ndcg@10"])


def test_a_closed_form_model_is_timed_to_the_end_of_its_search_and_missing_seeds_are_named():
    metrics = {m: [0.30, 0.34, 0.2] for m in leaderboard.METRICS[:4]}
    runs = pd.DataFrame({"model": ["ease", "ease", "bpr"], "seed": [2020, 2021, 2020], **metrics})
    runs["epochs"], runs["seconds_per_epoch"] = [0, 0, 40], [0.5, 0.5, 0.4]
    runs["seconds_to_best"], runs["search_seconds"] = [0.5, 0.7, 9.0], [2.5, 2.9, 12.0]
    table = leaderboard.summarise(runs, "holdout")
    # EASE's regularisation is chosen by a validation search: the model is known at its end, after 2.7 s,
    # more than a third of RecBole's 6 s; BPR's model is its best epoch's
    assert table.loc["ease", "seconds_to_model_mean"] == pytest.approx(2.7)
    assert not table.loc["ease", "within_third_of_recbole_time"]
    assert (
        table.loc["bpr", "seconds_to_model_mean"] == 9.0 and table.loc["bpr", "within_third_of_recbole_time"]
    )
    args = argparse.Namespace(dataset="ml-100k", split="holdout", seeds=[2020, 2021], device="cpu")
    md = leaderboard.markdown(table, args, metric="recall@20")
    assert "| 0 | 2.7 |" in md and "chosen on validation RECALL@20" in md
    assert "**Fewer seeds than 2:** bpr (1 of 2); their means are not over the same seeds" in md


def test_leaderboard_reports_the_sample_std_and_no_std_for_one_seed(tmp_path):
    metrics = {m: [0.30, 0.34] for m in leaderboard.METRICS[:4]}
    runs = pd.DataFrame({"model": ["ease", "ease"], "seed": [2020, 2021], **metrics, "epochs": [0, 0]})
    runs["seconds_to_best"] = runs["seconds_per_epoch"] = [0.5, 0.7]
    args = argparse.Namespace(dataset="ml-100k", split="holdout", seeds=[2020, 2021], device="cpu")
    table = leaderboard.summarise(runs, "holdout")
    assert table.loc["ease", "ndcg@10_std"] == pytest.approx(np.std([0.30, 0.34], ddof=1))  # 0.0283, not 0.02
    assert "0.3200 ± 0.0283" in leaderboard.markdown(table, args)
    one = leaderboard.markdown(leaderboard.summarise(runs.iloc[:1], "holdout"), args)
    assert "| ease | 0.3000 | 0.3000 |" in one and "± nan" not in one


def test_rescore_reproduces_saved_runs_and_excludes_seen_items(tmp_path):
    from benchmarks import rescore
    from sslrec_utils.experiment import DataSpec, run_experiment

    spec = DataSpec(dataset="synthetic:60x80x1500", split="loo")
    dirs = []
    for seed in (1, 2):
        dirs.append(tmp_path / f"pop-{seed}")
        run_experiment(spec.replace(seed=seed), "pop", progress=False, out_dir=dirs[-1])
    out = tmp_path / "out"
    assert rescore.main([*map(str, dirs), "--out", str(out)]) == 0
    runs = pd.read_csv(out / "rescored_runs.csv")
    assert list(runs["seed"]) == [1, 2] and set(runs["model"]) == {"pop"}
    assert (runs["ndcg@10_protocol"] - runs["ndcg@10_saved"]).abs().max() < 1e-9
    # popularity keeps recommending what the user has seen: excluding it can only move the held-out item up
    assert (runs["recall@10_seen_excluded"] >= runs["recall@10_protocol"]).all()
    assert (runs["ndcg@10_seen_excluded"] > runs["ndcg@10_protocol"]).any()
    md = (out / "rescored.md").read_text()
    assert "| pop |" in md and "2 saved runs" in md
    # popularity's top 10 is one list for everyone: the share is that of users whose latest item is on it
    rec = TrainedRecommender.load(dirs[0], device="cpu")
    counts = rec.model.counts.numpy()
    tenth = np.sort(counts)[-10]  # items above it are surely in the list, items at it may be (ties)
    plan = rec.split.eval_plan("test")
    seqs = rec.split.sequences(*plan.input_parts)
    latest = counts[seqs.items[seqs.indptr[plan.users + 1] - 1]]
    assert (latest > tenth).mean() <= runs.loc[0, "latest_in_top10"] <= (latest >= tenth).mean()
    assert runs.loc[0, "latest_in_top10"] > 0
    # seed 2 rescored again in place, keeping seed 1's row from the earlier file
    earlier = runs.assign(**{"ndcg@10_seen_excluded": -1.0})  # marks the rows taken from the earlier file
    earlier.to_csv(out / "rescored_runs.csv", index=False)
    argv = [str(dirs[1]), "--out", str(out), "--keep", str(out / "rescored_runs.csv")]
    assert rescore.main(argv) == 0
    merged = pd.read_csv(out / "rescored_runs.csv")
    assert list(merged["seed"]) == [1, 2] and list(merged["ndcg@10_seen_excluded"] == -1.0) == [True, False]
    assert merged.loc[1, "ndcg@10_seen_excluded"] == runs.loc[1, "ndcg@10_seen_excluded"]


def test_tune_tabulates_finished_run_directories(tmp_path, capsys):
    from benchmarks import tune
    from sslrec_utils.experiment import DataSpec, load_split, run_experiment
    from sslrec_utils.models.base import TrainData

    spec = DataSpec(dataset="synthetic:60x80x1500", split="loo")
    tiny = ["hidden_dim=8", "inner_dim=16", "n_layers=1", "n_heads=1", "max_len=10"]
    dirs = []
    for seed, lr in ((1, "0.01"), (2, "0.01"), (1, "0.02")):
        dirs.append(tmp_path / f"run-{seed}-{lr}")
        run_experiment(
            spec.replace(seed=seed), "sasrec", settings=[*tiny, f"lr={lr}"], epochs=2, out_dir=dirs[-1]
        )
    sizes = (("max_len", "10"), ("hidden_dim", "8"), ("n_layers", "1"), ("n_heads", "1"), ("inner_dim", "16"))
    assert tune.point_of(dirs[1]) == ((*sizes, ("epochs", "2"), ("lr", "0.01")), 2)
    out = tmp_path / "table"
    assert tune.main(["--model", "sasrec", "--from-dirs", *map(str, dirs), "--out", str(out)]) == 0
    table = pd.read_csv(out / "tuning.csv", index_col=0)
    assert sorted(table["valid_ndcg@10_count"]) == [1, 2]
    assert table["valid_ndcg@10_last10_mean"].between(0, 1).all()
    # the data set and split are the runs', not the command's defaults (ml-100k, holdout)
    assert "# Tuning sasrec on synthetic:60x80x1500 (loo)" in (out / "tuning.md").read_text()
    assert "Seeds 1, 2" in (out / "tuning.md").read_text()
    # validation curves against the examples seen: SASRec tiles each history of n >= 2 training items with
    # windows of max_len + 1 = 11 items overlapping by one, ceil((n - 1) / 10) of them
    curves = pd.read_csv(out / "curves.csv")
    assert len(curves) == 6 and not [c for c in curves.columns if "test" in c]
    split, _ = load_split(spec.replace(seed=1))
    n = np.diff(TrainData.from_split(split).sequences.indptr)
    windows = int(np.ceil((n[n >= 2] - 1) / 10).sum())
    first = curves[curves["seed"] == 1].iloc[:2]
    assert list(first["examples_seen"]) == [windows, 2 * windows]

    assert (out / "curves.png").stat().st_size > 10_000
    # a run whose config predates a setting cannot have its epochs re-made: left out, and said so
    old = tmp_path / "old"
    shutil.copytree(dirs[0], old)
    config = json.loads((old / "config.json").read_text())
    del config["model_config"]["windows"]
    (old / "config.json").write_text(json.dumps(config))
    assert tune.curves([old, dirs[1]])["seed"].tolist() == [2, 2]
    assert "predates ['windows']" in capsys.readouterr().err
    # a directory that is not a finished run: one clear error, nothing written
    with pytest.raises(SystemExit):
        tune.main(["--model", "sasrec", "--from-dirs", str(tmp_path), "--out", str(tmp_path / "none")])
    assert not (tmp_path / "none").exists()
    with pytest.raises(SystemExit):  # runs of another model
        tune.main(["--model", "bert4rec", "--from-dirs", str(dirs[0]), "--out", str(tmp_path / "none")])
    assert not (tmp_path / "none").exists()
    capsys.readouterr()
    # the same point and seed twice (here one run, given twice and copied) would count as two seeds
    shutil.copytree(dirs[0], tmp_path / "copy")
    with pytest.raises(SystemExit):
        tune.main(
            ["--model", "sasrec", "--from-dirs", str(dirs[0]), str(tmp_path / "copy"), "--out", str(out)]
        )
    assert (
        f"with seed 1: give one per point and seed ({dirs[0]}, {tmp_path / 'copy'})"
        in capsys.readouterr().err
    )
    # a metrics.json without the config.json beside it is not a run of sslrec train
    (tmp_path / "copy" / "config.json").unlink()
    with pytest.raises(SystemExit):
        tune.main(
            ["--model", "sasrec", "--from-dirs", str(tmp_path / "copy"), "--out", str(tmp_path / "none")]
        )
    assert f"(no config.json): {tmp_path / 'copy'}" in capsys.readouterr().err
    assert not (tmp_path / "none").exists()


def test_leaderboard_reads_finished_run_directories(tmp_path, capsys):
    from sslrec_utils.experiment import DataSpec, run_experiment

    spec = DataSpec(dataset="synthetic:60x80x1500", split="loo")
    dirs = []
    for seed, lr in ((1, "0.01"), (2, "0.01"), (1, "0.02")):
        dirs.append(tmp_path / f"run-{seed}-{lr}")
        run_experiment(spec.replace(seed=seed), "pop", out_dir=dirs[-1])
        if lr == "0.02":  # a run whose config differs from the defaults
            config = json.loads((dirs[-1] / "config.json").read_text())
            config["train_config"]["lr"] = 0.02
            (dirs[-1] / "config.json").write_text(json.dumps(config))
    out = tmp_path / "board"
    argv = ["--from-dirs", *map(str, dirs[:2]), "--machine", "a test machine", "--out", str(out)]
    assert leaderboard.main(argv) == 0
    runs = pd.read_csv(out / "runs.csv")
    for (_, row), run_dir in zip(runs.iterrows(), dirs[:2], strict=True):
        metrics = json.loads((run_dir / "metrics.json").read_text())
        assert row["ndcg@10"] == metrics["ndcg@10"] and row["valid_ndcg@10"] == metrics["valid"]["ndcg@10"]
        assert row["seed"] == metrics["seed"] and np.isnan(row["process_seconds"])
    assert runs["options"].isna().all() and (runs["machine"] == "a test machine").all()
    assert "a test machine" in (out / "leaderboard.md").read_text()
    # added after a runs.csv, a directory replaces that file's run of the same model and seed
    argv = ["--from-runs", str(out / "runs.csv"), "--from-dirs", str(dirs[0]), "--out", str(tmp_path / "b2")]
    assert leaderboard.main(argv) == 0
    merged = pd.read_csv(tmp_path / "b2" / "runs.csv")
    assert sorted(merged["seed"]) == [1, 2] and merged["machine"].isna().sum() == 1
    # a run at other settings names them, and does not merge with runs at the defaults
    assert leaderboard.row_of(dirs[2])["options"] == "--set lr=0.02"
    with pytest.raises(SystemExit):
        leaderboard.main(["--from-dirs", *map(str, dirs), "--out", str(tmp_path / "b3")])
    assert "have different options" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        leaderboard.main(["--from-dirs", str(tmp_path), "--out", str(tmp_path / "b4")])
    assert "not finished runs of sslrec train (no metrics.json)" in capsys.readouterr().err
    bare = tmp_path / "metrics-only"  # metrics.json without its config.json: one line, not a traceback
    bare.mkdir()
    shutil.copy(dirs[0] / "metrics.json", bare)
    with pytest.raises(SystemExit):
        leaderboard.main(["--from-dirs", str(bare), "--out", str(tmp_path / "b9")])
    assert f"not run directories of sslrec train (no config.json): {bare}" in capsys.readouterr().err
    # a run at other settings replaces the earlier run of its model and seed before options are compared
    assert leaderboard.main(["--from-dirs", str(dirs[0]), str(dirs[2]), "--out", str(tmp_path / "b7")]) == 0
    assert pd.read_csv(tmp_path / "b7" / "runs.csv")["options"].tolist() == ["--set lr=0.02"]
    # a run cut short (Ctrl-C, SIGTERM) is not the model's figure: it never enters a mean
    cut = tmp_path / "run-cut"
    shutil.copytree(dirs[1], cut)
    metrics = json.loads((cut / "metrics.json").read_text())
    (cut / "metrics.json").write_text(json.dumps({**metrics, "interrupted": True}))
    with pytest.raises(SystemExit):
        leaderboard.main(["--from-dirs", str(dirs[0]), str(cut), "--out", str(tmp_path / "b8")])
    assert f"interrupted runs (cut short before early stopping or their last epoch): {cut}" in (
        capsys.readouterr().err
    )
    assert not (tmp_path / "b8" / "runs.csv").exists()
    # a run on other data (here another k-core) does not average with them
    other = tmp_path / "run-2-kcore"
    run_experiment(spec.replace(seed=2, min_user=20), "pop", out_dir=other)
    with pytest.raises(SystemExit):
        leaderboard.main(["--from-dirs", str(dirs[0]), str(other), "--out", str(tmp_path / "b6")])
    assert "different data or preprocessing (min_user: 0, 20)" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        leaderboard.main(
            ["--machine", "x", "--from-runs", str(out / "runs.csv"), "--out", str(tmp_path / "b5")]
        )
    assert "give it with --from-dirs" in capsys.readouterr().err


def test_paired_over_seeds_uses_students_t_over_the_seeds_differences():
    from benchmarks import paired

    diffs = [0.01, 0.02, 0.03, 0.02]  # four seeds' test differences of one model
    rows = [
        {"model": "sgl", "reference": "lightgcn", "seed": seed, "quantity": "test", "difference": d}
        for seed, d in zip((1, 2, 3, 4), diffs, strict=True)
    ]
    rows.append(
        {"model": "sgl", "reference": "lightgcn", "seed": "mean", "quantity": "test", "difference": 9.0}
    )
    rows += [  # two seeds only: no interval over seeds
        {"model": "bpr", "reference": "lightgcn", "seed": seed, "quantity": "test", "difference": 0.1}
        for seed in (1, 2)
    ]
    table = paired.over_seeds(pd.DataFrame(rows))
    assert table["model"].tolist() == ["sgl"]  # the mean row is not a seed; two seeds are too few
    row = table.iloc[0]
    half = 3.182446 * np.std(diffs, ddof=1) / 2  # t(0.975, 3 degrees of freedom) * std / sqrt(4)
    assert row["difference"] == pytest.approx(0.02)
    assert row["low"] == pytest.approx(0.02 - half, rel=1e-5) and row["high"] == pytest.approx(
        0.02 + half, rel=1e-5
    )
    assert row["seeds"] == 4 and row["positive_seeds"] == 4 and row["verdict"] == "above"
    wide = paired.over_seeds(pd.DataFrame(rows[:4]).assign(difference=[0.02, -0.01, 0.03, -0.02]))
    assert wide.iloc[0]["verdict"] == "level" and wide.iloc[0]["positive_seeds"] == 2
    zero = paired.over_seeds(pd.DataFrame(rows[:4]).assign(difference=[0.0, 0.01, 0.02, 0.03]))
    assert zero.iloc[0]["positive_seeds"] == 3  # a seed's zero difference is not positive
    assert paired.verdict(0.0, 0.0) == "level"  # an interval that is 0 throughout: neither above nor below


def test_paired_from_tables_pools_the_seeds_of_earlier_tables(tmp_path, capsys):
    from benchmarks import paired

    def table(seeds: dict[int, float]) -> pd.DataFrame:
        rows = [
            {"model": "sgl", "reference": "lightgcn", "seed": str(seed), "quantity": "test", "difference": d}
            for seed, d in seeds.items()
        ]  # the mean row pools its own seeds' users only: dropped
        rows.append(
            {"model": "sgl", "reference": "lightgcn", "seed": "mean", "quantity": "test", "difference": 9.0}
        )
        return pd.DataFrame(rows)

    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    table({1: 0.01, 2: 0.02}).to_csv(first, index=False)  # two seeds each: too few alone
    table({3: 0.03, 4: 0.02}).to_csv(second, index=False)
    out = tmp_path / "out"
    assert paired.main(["--from-tables", str(first), str(second), "--out", str(out)]) == 0
    pooled = pd.read_csv(out / "paired_seeds.csv")
    expected = paired.over_seeds(table({1: 0.01, 2: 0.02, 3: 0.03, 4: 0.02}))
    pd.testing.assert_frame_equal(pooled, expected, check_dtype=False)
    assert pooled.iloc[0]["seeds"] == 4 and pooled.iloc[0]["difference"] == pytest.approx(0.02)
    md = (out / "paired_seeds.md").read_text()
    assert "Seeds 1, 2, 3, 4, pooled" in md and "| sgl | lightgcn | test | +0.0200 |" in md
    assert "above" in md and "rows above" not in md  # no tables over users to refer to
    assert not (out / "paired.md").exists()
    # a seed given twice, two seeds in all, or run directories beside the tables are refused
    for argv, message in [
        (
            [str(first), str(first), str(second)],
            "2 rows appear twice, the first sgl against lightgcn, seed 1",
        ),
        ([str(first)], "no comparison has three seeds or more"),
        ([str(tmp_path / "none.csv")], "no such file"),
    ]:
        with pytest.raises(SystemExit):
            paired.main(["--from-tables", *argv, "--out", str(tmp_path / "bad")])
        assert message in capsys.readouterr().err
    with pytest.raises(SystemExit):
        paired.main([str(tmp_path), "--from-tables", str(first), "--out", str(tmp_path / "bad")])
    assert "--from-tables takes no run directories" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        paired.main([str(tmp_path), "--out", str(tmp_path / "bad")])
    assert "give run directories and --reference, or --from-tables" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()
    # tables that say their runs' data are compared: other data (another order of ties) is refused, not pooled
    ties = {"dataset": "ml-100k", "split": "loo", "ties": "random"}
    table({1: 0.01, 2: 0.02}).assign(data=json.dumps(ties)).to_csv(first, index=False)
    table({3: 0.03, 4: 0.02}).assign(data=json.dumps(ties | {"ties": "item"})).to_csv(second, index=False)
    with pytest.raises(SystemExit):
        paired.main(["--from-tables", str(first), str(second), "--out", str(tmp_path / "mixed")])
    err = capsys.readouterr().err
    assert 'the tables\' runs were made on different data or preprocessing (ties: "item", "random")' in err
    table({3: 0.03, 4: 0.02}).to_csv(second, index=False)  # a table older than the column: said, not checked
    assert paired.main(["--from-tables", str(first), str(second), "--out", str(tmp_path / "older")]) == 0
    assert "paired: 2 of the 4 rows do not record their runs' data settings" in capsys.readouterr().err


def test_paired_compares_models_user_by_user(tmp_path, capsys, monkeypatch):
    from benchmarks import paired
    from sslrec_utils.experiment import DataSpec, run_experiment

    spec = DataSpec(dataset="synthetic:60x80x1500", split="loo")
    dirs = {}
    for model in ("pop", "itemnext"):
        for seed in (1, 2):
            dirs[model, seed] = tmp_path / f"{model}-{seed}"
            run_experiment(spec.replace(seed=seed), model, progress=False, out_dir=dirs[model, seed])
    out = tmp_path / "out"
    assert paired.main([*map(str, dirs.values()), "--reference", "pop", "--out", str(out)]) == 0
    table = pd.read_csv(out / "paired_runs.csv", dtype={"seed": str})
    assert {json.loads(d)["split"] for d in table["data"]} == {"loo"}  # for --from-tables to compare
    assert set(table["model"]) == {"itemnext"} and sorted(set(table["seed"])) == ["1", "2", "mean"]
    assert len(table) == 6  # seeds 1, 2 and their mean, for the test figure and the fall from validation
    assert (table["low"] <= table["difference"]).all() and (table["difference"] <= table["high"]).all()
    # the per-seed test difference is that of the runs' own test figures (both rank the same users)
    for seed in (1, 2):
        saved = {m: json.loads((dirs[m, seed] / "metrics.json").read_text()) for m in ("pop", "itemnext")}
        row = table[(table["seed"] == str(seed)) & (table["quantity"] == "test")].iloc[0]
        assert row["difference"] == pytest.approx(
            saved["itemnext"]["ndcg@10"] - saved["pop"]["ndcg@10"], abs=1e-9
        )
        assert row["level"] == pytest.approx(saved["itemnext"]["ndcg@10"], abs=1e-9)
        assert row["n_users"] == saved["itemnext"]["n_test_users"]
    md = (out / "paired.md").read_text()
    assert "| itemnext | mean |" in md and "Seeds 1, 2" in md and "## Test NDCG@10 against pop (" in md
    assert "## From seed to seed" not in md and not (out / "paired_seeds.csv").exists()  # two seeds: too few
    # two references: each is compared with the other, with the sign reversed
    assert paired.main([*map(str, dirs.values()), "--reference", "pop,itemnext", "--out", str(out)]) == 0
    both = pd.read_csv(out / "paired_runs.csv", dtype={"seed": str})
    both = both.set_index(["reference", "seed", "quantity"]).sort_index()
    assert len(both) == 12 and set(both["model"]) == {"pop", "itemnext"}
    assert np.allclose(both.loc["pop", "difference"], -both.loc["itemnext", "difference"])
    assert "## Test NDCG@10 against itemnext (" in (out / "paired.md").read_text()
    # runs of one seed on different data are refused
    other = tmp_path / "pop-1-other"
    run_experiment(
        DataSpec(dataset="synthetic:60x80x1400", split="loo", seed=1), "pop", progress=False, out_dir=other
    )
    with pytest.raises(SystemExit):
        paired.main(
            [str(other), str(dirs["itemnext", 1]), "--reference", "pop", "--out", str(tmp_path / "bad")]
        )
    assert "different data or preprocessing (dataset: " in capsys.readouterr().err
    # nor are runs of the same data on other seeds: the mean over seeds pairs user i of every seed
    with pytest.raises(SystemExit):
        paired.main(
            [
                str(other),
                str(dirs["itemnext", 2]),
                str(dirs["pop", 2]),
                "--reference",
                "pop",
                "--out",
                str(out),
            ]
        )
    assert "different data or preprocessing" in capsys.readouterr().err
    # every seed needs a reference run, and one run per model and seed
    with pytest.raises(SystemExit):
        paired.main(
            [
                str(dirs["itemnext", 1]),
                str(dirs["itemnext", 2]),
                str(dirs["pop", 1]),
                "--reference",
                "pop",
                "--out",
                str(tmp_path / "bad"),
            ]
        )
    assert "no run of the reference 'pop' for seed(s) [2]" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        paired.main(
            [str(dirs["pop", 1]), str(dirs["pop", 1]), "--reference", "pop", "--out", str(tmp_path / "bad")]
        )
    assert "two runs of pop with seed 1" in capsys.readouterr().err
    # runs of one seed and one data setting whose splits differ all the same (another version's splitting, say)
    per_user = paired.per_user

    def other_split(run_dir, device):
        model, seed, fingerprint, frame = per_user(run_dir, device)
        return model, seed, fingerprint + ("x" if model == "pop" and seed == 1 else ""), frame

    with monkeypatch.context() as patch:
        patch.setattr(paired, "per_user", other_split)
        with pytest.raises(SystemExit):
            paired.main([*map(str, dirs.values()), "--reference", "pop", "--out", str(tmp_path / "bad")])
    assert "the runs of seed 1 were trained on different splits" in capsys.readouterr().err
    # a run cut short is refused, as by the leaderboard
    cut = tmp_path / "itemnext-1-cut"
    shutil.copytree(dirs["itemnext", 1], cut)
    metrics = json.loads((cut / "metrics.json").read_text())
    (cut / "metrics.json").write_text(json.dumps({**metrics, "interrupted": True}))
    with pytest.raises(SystemExit):
        paired.main([str(cut), str(dirs["pop", 1]), "--reference", "pop", "--out", str(tmp_path / "bad")])
    assert f"interrupted runs (cut short before early stopping or their last epoch): {cut}" in (
        capsys.readouterr().err
    )
    assert not (tmp_path / "bad").exists()


def test_paired_interval_is_the_normal_interval_over_users():
    from benchmarks import paired

    assert paired.interval(np.full(5, 0.25)) == (0.25, 0.25, 0.25)
    diffs = np.array([0.0, 1.0, 0.0, 1.0])  # mean 0.5, sample std 1/sqrt(3)
    mean, low, high = paired.interval(diffs)
    half = 1.96 / np.sqrt(3) / 2
    assert mean == 0.5 and low == pytest.approx(0.5 - half) and high == pytest.approx(0.5 + half)


def test_random_ties_breaks_only_ties_and_keeps_the_order_of_seconds():
    from benchmarks import random_ties

    rng = np.random.default_rng(0)
    ratings = pd.DataFrame(
        {"user": rng.integers(0, 5, 400), "item": np.arange(400), "timestamp": rng.integers(0, 20, 400)}
    )
    out = random_ties.break_ties(ratings, seed=1)
    assert out["item"].tolist() == ratings["item"].tolist()  # same rows, same order
    assert (out["timestamp"] // 1000 == ratings["timestamp"]).all()  # still in their second
    assert not out.duplicated(["user", "timestamp"]).any()  # every tie broken
    assert out.equals(random_ties.break_ties(ratings, seed=1))
    # the order within a tie is drawn: across seeds, items of one second come in different orders
    orders = {
        tuple(random_ties.break_ties(ratings, seed=s).sort_values(["user", "timestamp"])["item"])
        for s in (1, 2)
    }
    assert len(orders) == 2
    with pytest.raises(ValueError, match="1000 rows in one second"):
        random_ties.break_ties(pd.DataFrame({"user": [0] * 1000, "timestamp": [5] * 1000}), seed=0)


@pytest.mark.skipif(
    movielens.recbole_ml100k_dir() is None, reason="needs recbole==1.2.1 installed as the data carrier"
)
def test_random_ties_writes_a_copy_the_loo_split_reads(tmp_path, capsys):
    from benchmarks import random_ties
    from sslrec_utils.experiment import DataSpec, load_split

    out = tmp_path / "ties.parquet"
    assert random_ties.main(["--data-dir", str(tmp_path / "data"), "--out", str(out)]) == 0
    assert "100000 rows, 75.8% of them share their second" in capsys.readouterr().out
    spec = DataSpec(dataset=str(out), rating_col="rating", time_col="timestamp", split="loo")
    split, _ = load_split(spec)
    ml100k = DataSpec(dataset="ml-100k", split="loo", data_dir=str(tmp_path / "data"))
    by_item, _ = load_split(ml100k.replace(ties="item"))
    assert (split.n_users, split.n_items) == (by_item.n_users, by_item.n_items)
    # only the order within a second changed: some users' test film changed, and none moved to another second
    test, item_test = split.parts["test"].set_index("user"), by_item.parts["test"].set_index("user")
    assert (test["timestamp"] // 1000 == item_test["timestamp"]).all()
    assert 0 < (test["item"] != item_test["item"]).sum() < split.n_users
    # the copy of seed 0 is the default split, row for row: preprocess draws the same number for each row
    default, _ = load_split(ml100k)
    for name, part in default.parts.items():
        assert part[["user", "item"]].equals(split.parts[name][["user", "item"]]), name
    with pytest.raises(SystemExit):
        random_ties.main(["--data-dir", str(tmp_path / "data"), "--out", str(tmp_path / "ties.txt")])


def test_rescore_retests_runs_on_another_copy_of_their_log(tmp_path, capsys):
    from benchmarks import random_ties, rescore
    from sslrec_utils.experiment import DataSpec, run_experiment

    rng = np.random.default_rng(0)
    n = 3000  # 60 users, 80 items, timestamps in 200 seconds: many ties
    log = pd.DataFrame(
        {
            "user": rng.integers(1, 61, n),
            "item": rng.integers(1, 81, n),
            "rating": 4.0,
            "timestamp": rng.integers(0, 200, n),
        }
    ).drop_duplicates(["user", "item"])
    log.to_csv(tmp_path / "log.csv", index=False)
    random_ties.break_ties(log, seed=0).to_csv(tmp_path / "ties.csv", index=False)
    spec = DataSpec(dataset=str(tmp_path / "log.csv"), rating_col="rating", time_col="timestamp", split="loo")
    run_experiment(spec, "itemnext", progress=False, out_dir=tmp_path / "run")
    out = tmp_path / "out"
    assert (
        rescore.main([str(tmp_path / "run"), "--out", str(out), "--retest-on", str(tmp_path / "ties.csv")])
        == 0
    )
    runs = pd.read_csv(out / "rescored_runs.csv")
    assert runs["ndcg@10_retest"].between(0, 1).all() and runs["recall@10_retest"].between(0, 1).all()
    assert (runs["ndcg@10_protocol"] - runs["ndcg@10_saved"]).abs().max() < 1e-9
    assert "NDCG@10 (other log)" in (out / "rescored.md").read_text()
    # the same log read again reproduces the run's own figure
    assert (
        rescore.main([str(tmp_path / "run"), "--out", str(out), "--retest-on", str(tmp_path / "log.csv")])
        == 0
    )
    again = pd.read_csv(out / "rescored_runs.csv")
    assert again.loc[0, "ndcg@10_retest"] == pytest.approx(again.loc[0, "ndcg@10_protocol"], abs=1e-12)
    # a log with other users is refused: the model's indices would point at other users
    log[log["user"] != 1].to_csv(tmp_path / "fewer.csv", index=False)
    with pytest.raises(SystemExit):
        rescore.main([str(tmp_path / "run"), "--out", str(out), "--retest-on", str(tmp_path / "fewer.csv")])
    assert "does not have the run's users" in capsys.readouterr().err


def test_bert4rec_targets_counts_each_kind_of_window():
    rng = np.random.default_rng(0)
    rows = [
        (u, int(i), 1.0, t) for u in range(60) for t, i in enumerate(rng.integers(0, 25, rng.integers(6, 30)))
    ]
    log = pd.DataFrame(rows, columns=["user", "item", "rating", "timestamp"]).drop_duplicates(
        ["user", "item"]
    )
    data = TrainData.from_split(loo_split(preprocess(log)))
    tiny = {"max_len": 8, "hidden_dim": 16, "n_layers": 1, "n_heads": 2, "inner_dim": 32}

    def count(**options):
        return bert4rec_targets.count_targets(data, seed=1, mask_seed=2, options={**tiny, **options})

    last = count(last_prob=1.0)  # every window masks its latest item only: one target each
    assert last["windows"] > 50 and last["windows"] == last["last_windows"] == last["targets"]
    assert last["last_targets"] == last["windows"]
    cloze = count(last_prob=0.0, mask_prob=0.5)  # cloze windows only: several targets each, rarely one
    assert cloze["windows"] == last["windows"]  # the same windows, masked otherwise
    assert cloze["last_targets"] == cloze["last_windows"] < 0.2 * cloze["windows"]
    assert cloze["targets"] > 2 * cloze["windows"]
    default = count()  # last_prob 0.8: about 80% of the windows, each with one target; the others more
    assert 0.7 < default["last_windows"] / default["windows"] < 0.95
    assert default["last_targets"] == default["last_windows"] < default["windows"] < default["targets"]


def test_determinism_compares_runs_per_model_and_refuses_closed_form_models(tmp_path, capsys):
    # a graph model (holdout split) and a sequence model (leave-one-out), one epoch each on a small log
    out = tmp_path / "det"
    argv = ["--models", "sgl", "sasrec", "--dataset", "synthetic:200x80x4000", "--out", str(out)]
    assert determinism.main(argv) == 0
    table = pd.read_csv(out / "determinism.csv")
    assert list(table["model"]) == ["sgl", "sasrec"] and list(table["split"]) == ["holdout", "loo"]
    # both repeat at a fixed thread count; the graph model also matches one thread, SASRec need not (a second
    # thread changes its first-epoch loss on ml-100k in the fifth digit: benchmarks/results/README.md)
    assert table["same_at_threads"].all() and table.set_index("model").loc["sgl", "same_as_one_thread"]
    with pytest.raises(SystemExit):
        determinism.main(["--models", "ease", "--out", str(out)])
    assert "not trainable models: ['ease']" in capsys.readouterr().err


def _refused(main, argv: list[str], capsys) -> str:
    """The one-line parser error `main` exits 2 with on `argv`."""
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    return capsys.readouterr().err


def test_rescore_refuses_runs_it_must_not_average_and_files_it_cannot_keep(tmp_path, capsys):
    from benchmarks import rescore
    from sslrec_utils.experiment import DataSpec, run_experiment

    spec = DataSpec(dataset="synthetic:60x50x1200", split="loo", seed=1)
    run, other = tmp_path / "pop-1", tmp_path / "pop-2-kcore"
    run_experiment(spec, "pop", progress=False, out_dir=run)
    run_experiment(spec.replace(seed=2, min_user=5), "pop", progress=False, out_dir=other)
    out = str(tmp_path / "out")
    # the same run twice would be two seeds of ± 0.0000; runs of other data must not share a mean
    assert "two runs of pop with seed 1" in _refused(rescore.main, [str(run), str(run), "--out", out], capsys)
    err = _refused(rescore.main, [str(run), str(other), "--out", out], capsys)
    assert "different data or preprocessing (min_user: " in err
    err = _refused(rescore.main, [str(run), str(tmp_path / "nowhere"), "--out", out], capsys)
    assert f"no such folder: {tmp_path / 'nowhere'}" in err  # missing, not unfinished
    # --keep takes an earlier rescored_runs.csv, not any CSV; missing files are named, not a traceback
    err = _refused(rescore.main, [str(run), "--out", out, "--keep", str(run / "history.csv")], capsys)
    assert "is not a rescored_runs.csv: it lacks model, seed, run" in err
    for flag in ("--keep", "--retest-on"):
        err = _refused(rescore.main, [str(run), "--out", out, flag, str(tmp_path / "none.csv")], capsys)
        assert f"no such file: {flag} {tmp_path / 'none.csv'}" in err
    assert rescore.main([str(run), "--out", out]) == 0  # kept rows of other data are refused too
    err = _refused(rescore.main, [str(other), "--out", out, "--keep", f"{out}/rescored_runs.csv"], capsys)
    assert "different data or preprocessing" in err
    assert "is a file, not a folder" in _refused(
        rescore.main, [str(run), "--out", str(run / "history.csv")], capsys
    )
    assert pd.read_csv(f"{out}/rescored_runs.csv")["seed"].tolist() == [1]  # the good run, unchanged


def test_repeated_models_seeds_and_grid_values_are_refused_before_training(tmp_path, capsys):
    from benchmarks import tune

    out = ["--out", str(tmp_path / "out")]
    err = _refused(leaderboard.main, ["--models", "bpr", "--seeds", "1", "1", *out], capsys)
    assert "--seeds repeats 1: give each once" in err
    assert "--models repeats bpr" in _refused(leaderboard.main, ["--models", "bpr, bpr", *out], capsys)
    ease = ["--model", "ease", *out]
    assert "--seeds repeats 1" in _refused(tune.main, [*ease, "--seeds", "1", "1"], capsys)
    assert "--grid reg=1,1 repeats 1" in _refused(tune.main, [*ease, "--grid", "reg=1,1"], capsys)
    err = _refused(tune.main, [*ease, "--grid", "reg=1", "--grid", "reg=2"], capsys)
    assert "--grid sets reg more than once" in err
    err = _refused(tune.main, [*ease, "--grid", "reg=1,2", "--point", "reg=2"], capsys)
    assert "the point reg=2 is given twice" in err
    assert "sets reg more than once" in _refused(tune.main, [*ease, "--point", "reg=1 reg=2"], capsys)
    assert "expected KEYS=V1" in _refused(tune.main, [*ease, "--grid", "reg"], capsys)
    assert not (tmp_path / "out").exists()  # nothing trained, nothing written


def test_empty_model_lists_zero_jobs_lone_references_and_file_outs_are_refused(tmp_path, capsys):
    from benchmarks import paired, rescore, tune
    from benchmarks import time_to_target as ttt
    from sslrec_utils.experiment import DataSpec, run_experiment

    out = ["--out", str(tmp_path / "out")]
    for models in ("", ","):
        assert "no models" in _refused(leaderboard.main, ["--models", models, *out], capsys)
    assert "no models" in _refused(ttt.main, ["--models", "", *out], capsys)
    assert "--jobs must be at least 1" in _refused(
        tune.main, ["--model", "ease", "--jobs", "0", *out], capsys
    )
    run = tmp_path / "pop-1"
    spec = DataSpec(dataset="synthetic:60x50x1200", split="loo", seed=1)
    run_experiment(spec, "pop", progress=False, out_dir=run)
    err = _refused(paired.main, [str(run), "--reference", "pop", *out], capsys)
    assert "nothing to compare: every run is of pop" in err
    file = ["--out", str(run / "history.csv")]
    for main, argv in (
        (leaderboard.main, ["--models", "pop"]),
        (tune.main, ["--model", "pop"]),
        (rescore.main, [str(run)]),
        (paired.main, [str(run), "--reference", "pop"]),
        (ttt.main, ["--models", "pop"]),
        (determinism.main, []),
    ):
        assert "is a file, not a folder" in _refused(main, [*argv, *file], capsys)
    assert not (tmp_path / "out").exists()


def _error(err: str) -> str:
    """The message of a parser error's last line, ``PROG: error: MESSAGE``, checked to follow the usage only."""
    *usage, last = err.strip().splitlines()
    assert usage[0].startswith("usage:") and all(line.startswith(" ") for line in usage[1:]), err
    return last.split(": error: ", 1)[1]


# what each script starts its long work with: refused input must not reach it
_WORK = {
    "leaderboard": ["run_one"],
    "tune": ["run_point"],
    "epoch_throughput": ["load_data"],
    "determinism": ["load_split"],
    "bert4rec_targets": ["load_split"],
    "time_to_target": ["startup_seconds", "load_split"],
    "book_build_time": ["stage", "build"],
}
_SMALL = ["--datasets", "synthetic:60x40x900", "--models", "multvae"]


@pytest.mark.parametrize(
    ("script", "argv", "message"),
    [
        (
            "leaderboard",
            ["--models", "pop,nosuch", "--seeds", "2020"],
            "unknown model 'nosuch'; valid models:",
        ),
        (
            "leaderboard",
            ["--models", "pop", "--set", "nosuch=1"],
            "unknown setting(s) ['nosuch'] for model 'pop'",
        ),
        ("leaderboard", ["--models", "pop", "--epochs", "0"], "argument --epochs: must be at least 1, got 0"),
        ("leaderboard", ["--models", "pop", "--seeds", "-1"], "argument --seeds: must be at least 0, got -1"),
        (
            "leaderboard",
            ["--models", "pop", "--device", "nosuch"],
            "--device: device 'nosuch' is not a device",
        ),
        (
            "leaderboard",
            ["--models", "pop", "--dataset", "nosuch"],
            "--dataset 'nosuch' is neither a data set",
        ),
        ("leaderboard", ["--models", "pop", "--split", "nosuch"], "unknown split='nosuch'"),
        ("leaderboard", ["--models", "pop", "--tie-seed", "-1"], "tie_seed must be >= 0, got -1"),
        ("tune", ["--model", "ease", "--tie-seed", "-1"], "tie_seed must be >= 0, got -1"),
        ("tune", ["--model", "nosuch"], "unknown model 'nosuch'; valid models:"),
        (
            "tune",
            ["--model", "ease", "--point", "nosuch=1"],
            "the point nosuch=1: unknown setting(s) ['nosuch']",
        ),
        ("tune", ["--model", "ease", "--grid", "reg=1,abc"], "the point reg=abc: reg expects a number"),
        ("tune", ["--model", "ease", "--epochs", "-1"], "argument --epochs: must be at least 1, got -1"),
        ("tune", ["--model", "ease", "--dataset", "nosuch"], "--dataset 'nosuch' is neither a data set"),
        ("epoch_throughput", [*_SMALL[:2], "--models", "nosuch"], "unknown model 'nosuch'; valid models:"),
        (
            "epoch_throughput",
            [*_SMALL[2:], "--datasets", "nosuch"],
            "--datasets 'nosuch' is neither a data set",
        ),
        ("epoch_throughput", [*_SMALL, "--epochs", "0"], "argument --epochs: must be at least 1, got 0"),
        ("epoch_throughput", [*_SMALL, "--epochs", "-1"], "argument --epochs: must be at least 1, got -1"),
        ("epoch_throughput", [*_SMALL, "--device", "nosuch"], "--device: device 'nosuch' is not a device"),
        (
            "epoch_throughput",
            [*_SMALL, "--set", "nosuch=1"],
            "unknown setting(s) ['nosuch'] for model 'multvae'",
        ),
        ("epoch_throughput", [*_SMALL[:2], "--models", ","], "no models in --models ','"),
        ("epoch_throughput", [*_SMALL[:2], "--models", "pop,pop"], "--models repeats pop: give each once"),
        ("epoch_throughput", [*_SMALL, "--out", "{tmp}"], "--out {tmp} is a folder, not a file"),
        ("determinism", ["--epochs", "0"], "argument --epochs: must be at least 1, got 0"),
        ("determinism", ["--epochs", "-3"], "argument --epochs: must be at least 1, got -3"),
        ("determinism", ["--dataset", "nosuch"], "--dataset 'nosuch' is neither a data set"),
        ("bert4rec_targets", ["--dataset", "nosuch"], "--dataset 'nosuch' is neither a data set"),
        ("bert4rec_targets", ["--seed", "-1"], "argument --seed: must be at least 0, got -1"),
        ("bert4rec_targets", ["--mask-seed", "-1"], "argument --mask-seed: must be at least 0, got -1"),
        ("time_to_target", ["--device", "nosuch"], "--device: device 'nosuch' is not a device"),
        ("time_to_target", ["--seeds", "-1"], "argument --seeds: must be at least 0, got -1"),
        ("time_to_target", ["--seeds", "2020", "2020"], "--seeds repeats 2020: give each once"),
        (
            "book_build_time",
            ["--target-min", "0"],
            "--target-min must be a positive number of minutes, got 0",
        ),
        (
            "book_build_time",
            ["--target-min", "-1"],
            "--target-min must be a positive number of minutes, got -1",
        ),
    ],
)
def test_bad_input_is_refused_in_one_line_before_any_work(
    script, argv, message, tmp_path, capsys, monkeypatch
):
    # the project's rule: a clear error before any long work starts, with nothing lost; these had ended in a
    # traceback, often after data was loaded or models trained
    import importlib

    module = importlib.import_module(f"benchmarks.{script}")
    for name in _WORK[script]:
        monkeypatch.setattr(
            module, name, lambda *a, **k: pytest.fail("work started before the input was checked")
        )
    out = [] if script == "bert4rec_targets" or "--out" in argv else ["--out", str(tmp_path / "out")]
    argv = [a.format(tmp=tmp_path) for a in [*argv, *out]]
    assert _error(_refused(module.main, argv, capsys)).startswith(message.format(tmp=tmp_path))
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".*.part"))  # nothing written


@pytest.mark.parametrize(
    ("script", "argv", "message"),
    [
        ("leaderboard", ["--from-runs", "{tmp}/none.csv"], "no such file: --from-runs {tmp}/none.csv"),
        (
            "leaderboard",
            ["--from-runs", "{tmp}/leaderboard.csv"],
            "--from-runs {tmp}/leaderboard.csv is not a runs.csv: it lacks seed, ndcg@10, recall@10,",
        ),
        (
            "paired",
            ["--from-tables", "{tmp}/leaderboard.csv"],
            "--from-tables {tmp}/leaderboard.csv is not a paired_runs.csv: it lacks reference, seed, quantity, "
            "difference",
        ),
        ("leaderboard", ["--from-dirs", "{tmp}/nowhere"], "no such folder: {tmp}/nowhere"),
        ("tune", ["--model", "pop", "--from-dirs", "{tmp}/nowhere"], "no such folder: {tmp}/nowhere"),
        (
            "paired",
            ["{tmp}/nowhere", "{tmp}/elsewhere", "--reference", "pop"],
            "no such folder: {tmp}/nowhere, {tmp}/elsewhere",
        ),
        ("rescore", ["{tmp}/nowhere"], "no such folder: {tmp}/nowhere"),
    ],
)
def test_merges_name_a_missing_path_and_the_columns_a_table_lacks(script, argv, message, tmp_path, capsys):
    # a missing path had been called an unfinished run, a missing file a traceback after OUT was made, and a
    # leaderboard.csv given for a runs.csv or paired_runs.csv a KeyError
    import importlib

    board = pd.DataFrame({"model": ["pop"], "ndcg@10_mean": [0.1], "ndcg@10_std": [0.01], "seeds": [3]})
    board.to_csv(tmp_path / "leaderboard.csv", index=False)
    main = importlib.import_module(f"benchmarks.{script}").main
    argv = [a.format(tmp=tmp_path) for a in [*argv, "--out", "{tmp}/out"]]
    assert _error(_refused(main, argv, capsys)).startswith(message.format(tmp=tmp_path))
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "script",
    sorted(
        p.name for p in (ROOT / "benchmarks").glob("*.py") if 'if __name__ == "__main__":' in p.read_text()
    ),
)
def test_every_benchmark_script_runs_by_path_as_well_as_with_dash_m(script, tmp_path):
    # `python benchmarks/x.py` from anywhere: the scripts that share code with leaderboard.py import it by itself
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage:")


def test_book_build_time_refuses_a_file_as_out_before_staging(tmp_path, monkeypatch, capsys):
    made = []
    monkeypatch.setattr(
        book_build_time.tempfile, "mkdtemp", lambda **k: made.append(k) or str(tmp_path / "w")
    )
    (tmp_path / "results").write_text("mine")
    with pytest.raises(SystemExit) as exit_:
        book_build_time.main(["--only", "book/preface", "--out", str(tmp_path / "results")])
    assert exit_.value.code == 2 and made == []
    assert "is a file, not a folder" in capsys.readouterr().err
    assert (tmp_path / "results").read_text() == "mine"


def test_synthetic_memory_measures_each_shape_in_a_fresh_process(tmp_path, capsys):
    from benchmarks import synthetic_memory
    from sslrec_utils.data.synthetic import synthetic_bytes

    assert synthetic_memory.main(["--shapes", "300x200x6000", "--out", str(tmp_path)]) == 0
    row = pd.read_csv(tmp_path / "synthetic_memory.csv").iloc[0]
    assert (row["shape"], row["rows"]) == ("300x200x6000", 6000)
    assert (
        0 < row["peak_mb"] < 256 and row["seconds"] > 0
    )  # a small shape: below the size the estimate must hold
    assert row["bytes_per_interaction"] == pytest.approx(row["peak_mb"] * 2**20 / 6000, rel=1e-3)
    assert row["estimate_mb"] == pytest.approx(synthetic_bytes(300, 200, 6000) / 2**20, rel=1e-3)
    with pytest.raises(SystemExit):
        synthetic_memory.main(["--shapes", "10x10", "--out", str(tmp_path)])
    assert "--shapes: expected 'synthetic:USERSxITEMSxINTERACTIONS'" in capsys.readouterr().err


def test_attention_memory_measures_each_point_in_a_fresh_process(tmp_path, capsys, monkeypatch):
    from benchmarks import attention_memory

    points = ((True, True, 2, 1, 0.2), (False, False, 1, 1, 0.0))  # a training step, then a scoring pass
    monkeypatch.setattr(attention_memory, "POINTS", points)
    assert attention_memory.main(["--windows", "4", "--max-len", "64", "--out", str(tmp_path)]) == 0
    table = pd.read_csv(tmp_path / "attention_memory.csv")
    assert table["pass"].tolist() == ["train", "score"]
    assert table["attention"].tolist() == ["causal", "bidirectional"]
    assert (
        (table["peak_mb"] < 256) & (table["seconds"] > 0)
    ).all()  # small: below where the estimate must hold
    square_mb = 4 * 64**2 / 2**20
    assert table["bytes_per_window_position2"].tolist() == pytest.approx(
        (table["peak_mb"] / square_mb).tolist(), rel=1e-3
    )
    assert table["estimate_mb"].tolist() == pytest.approx([square_mb * (9 + 2 * 20), square_mb * 9], rel=1e-3)
    with pytest.raises(SystemExit):
        attention_memory.main(["--max-len", "1", "--out", str(tmp_path)])
    assert "need --windows >= 1 and --max-len >= 2, got 32 and 1" in capsys.readouterr().err


def test_a_measuring_process_that_dies_ends_the_benchmark_with_its_rows_kept(tmp_path, capsys, monkeypatch):
    # a worker killed (for memory, which these benchmarks exist to stay clear of) had left multiprocessing's pool
    # starting another and the benchmark waiting for ever, with nothing written
    from benchmarks import estimates, synthetic_memory

    with pytest.raises(estimates.ProcessDied, match="most likely killed for memory"):
        estimates.in_fresh_process(os._exit, 9)  # the process ends without a result
    measure = synthetic_memory.in_fresh_process

    def second_dies(fn, shape):
        if shape[0] == 301:
            raise estimates.ProcessDied("died")
        return measure(fn, shape)

    monkeypatch.setattr(synthetic_memory, "in_fresh_process", second_dies)
    argv = ["--shapes", "300x200x6000", "301x200x6000", "302x200x6000", "--out", str(tmp_path)]
    assert synthetic_memory.main(argv) == 1
    table = pd.read_csv(tmp_path / "synthetic_memory.csv")
    assert table["shape"].tolist() == ["300x200x6000"]
    assert "synthetic_memory: shape 301x200x6000: died" in capsys.readouterr().err
    # the processor's name, as runs.csv records it (it had been platform's "x86_64" on Linux)
    assert table["machine"].tolist() == [leaderboard.this_machine()]


# ---- what a mutation audit found untested (stop 46) -----------------------------------------------------------


def _per_user_frames() -> dict[tuple[str, int], pd.DataFrame]:
    """Per-user validation and test scores of a model and a reference over two seeds; seed 1's reference was
    not evaluated on user 2."""

    def frame(valid: list[float], test: list[float], users: list[int]) -> pd.DataFrame:
        return pd.DataFrame({"valid": valid, "test": test}, index=pd.Index(users, name="user"))

    return {
        ("m", 1): frame([0.5, 0.4, 0.9], [0.3, 0.2, 0.9], [0, 1, 2]),
        ("ref", 1): frame([0.2, 0.2], [0.1, 0.3], [0, 1]),
        ("m", 2): frame([0.6, 0.6], [0.5, 0.1], [0, 1]),
        ("ref", 2): frame([0.3, 0.2], [0.2, 0.2], [0, 1]),
    }


def test_paired_compares_the_users_both_models_were_evaluated_on():
    from benchmarks import paired

    table = paired.compare(_per_user_frames(), "ref").set_index(["seed", "quantity"])
    assert table.loc[(1, "test"), "n_users"] == 2  # user 2 left out
    assert table.loc[(1, "test"), "difference"] == pytest.approx((0.2 - 0.1) / 2)
    # drop = valid - test: the model's [0.2, 0.2] against the reference's [0.1, -0.1]
    assert table.loc[(1, "drop"), "difference"] == pytest.approx(0.2)
    assert table.loc[(2, "drop"), "difference"] == pytest.approx(0.25)
    # the pooled row: each user's differences averaged over the seeds, then over the users
    per_user = np.mean([[0.2, -0.1], [0.3, -0.1]], axis=0)
    assert table.loc[("mean", "test"), "difference"] == pytest.approx(per_user.mean())
    assert table.loc[("mean", "test"), "level"] == pytest.approx(np.mean([0.25, 0.3]))  # the seeds' mean
    levels = paired.levels(_per_user_frames(), "ref")
    assert levels["drop"] == pytest.approx(np.mean([np.mean([0.1, -0.1]), np.mean([0.1, 0.0])]))


def test_paired_from_tables_orders_seeds_as_numbers(tmp_path):
    from benchmarks import paired

    rows = [
        {"model": "a", "reference": "b", "seed": str(seed), "quantity": "test", "difference": 0.01 * seed}
        for seed in (2, 3, 10)
    ]
    pd.DataFrame(rows).to_csv(tmp_path / "t.csv", index=False)
    assert paired.main(["--from-tables", str(tmp_path / "t.csv"), "--out", str(tmp_path / "o")]) == 0
    assert "Seeds 2, 3, 10, pooled" in (tmp_path / "o" / "paired_seeds.md").read_text()  # not 10, 2, 3


def _leaderboard_runs(**columns) -> pd.DataFrame:
    base = {
        "model": ["ease", "ease"],
        "seed": [1, 2],
        "ndcg@10": [0.3, 0.34],
        "epochs": [0, 0],
        "seconds_to_best": [0.5, 0.7],
        "search_seconds": [2.5, 2.9],
    }
    return pd.DataFrame(base | columns)


def test_leaderboard_summary_counts_tested_seeds_orders_by_score_and_keeps_times():
    t = leaderboard.summarise(_leaderboard_runs(**{"ndcg@10": [0.3, float("nan")]}))
    assert t.loc["ease", "seeds"] == 1  # a run without a test figure is not a seed of the mean
    # a closed-form model without a search: its time to the model is its time to the best epoch
    t = leaderboard.summarise(_leaderboard_runs(search_seconds=[float("nan"), float("nan")]))
    assert t.loc["ease", "seconds_to_model_mean"] == pytest.approx(0.6)
    runs = pd.concat(
        [_leaderboard_runs(), _leaderboard_runs(model=["pop", "pop"], **{"ndcg@10": [0.1033] * 2})]
    )
    t = leaderboard.summarise(runs)
    assert list(t.index) == ["ease", "pop"]  # best first
    assert bool(t.loc["pop", "beats_recbole"])  # equal to RecBole's figure reaches it


def test_leaderboard_helpers_on_repeats_and_data_settings():
    assert leaderboard.repeated([1, 1, 1, 2]) == [1]  # named once
    assert leaderboard.data_mismatch([{"a": 1}, {"a": 1, "b": 2}]) is None  # only keys both runs have
    settings = leaderboard.data_settings({"data": {"dataset": "x", "seed": 1, "data_dir": "/a"}})
    assert settings == {"dataset": "x"}  # the seed and where the cache lies do not make another data set


def test_tune_curves_average_only_the_epochs_every_seed_validated(tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    from benchmarks import tune

    table = pd.DataFrame(
        {
            "point": "p",
            "seed": [1, 1, 1, 2, 2],
            "epoch": [1, 2, 3, 1, 2],
            "examples_seen": [10, 20, 30, 10, 20],
            "valid_ndcg@10": [0.1, 0.2, 0.3, 0.1, 0.2],
        }
    )
    monkeypatch.setattr(tune, "curves", lambda dirs, labels=None: table)
    drawn = {}

    def training_curves(histories, **kwargs):
        drawn.update(histories)
        return plt.figure().add_subplot()

    monkeypatch.setattr(tune, "training_curves", training_curves)
    tune.write_curves([], argparse.Namespace(out=tmp_path, model="m", dataset="d", split="s"))
    plt.close("all")
    (history,) = drawn.values()
    assert list(history["epoch"]) == [1, 2]  # epoch 3, of seed 1 alone, is left out
    with pytest.raises(ValueError):
        tune.parse_point("=5")  # a setting without a name


def test_rescore_markdown_gives_the_largest_gap_and_the_sample_std():
    from benchmarks import rescore

    runs = pd.DataFrame(
        {
            "model": ["pop", "pop"],
            "seed": [1, 2],
            "latest_in_top10": [0.1, 0.1],
            **{f"{m}_{t}": [0.30, 0.34] for t in rescore.TREATMENTS for m in rescore.METRICS},
            "ndcg@10_saved": [0.31, 0.34],
        }
    )
    text = rescore.markdown(runs)
    assert "saved: 1.0e-02." in text  # |0.30 - 0.31|, not the signed -0.01
    assert "0.3200 ± 0.0283" in text  # ddof 1 over the seeds


def test_time_to_target_takes_the_first_epoch_at_the_target(monkeypatch):
    from benchmarks import time_to_target
    from sslrec_utils.experiment import DataSpec, load_split

    split, _ = load_split(DataSpec(dataset="synthetic:60x80x1500", split="holdout", seed=1))
    history = pd.DataFrame(
        {
            "epoch": [1, 2, 3, 4],
            "test_ndcg@10": [0.04, 0.07, 0.05, 0.06],
            "elapsed_seconds": [1.0, 2.0, 3.0, 4.0],
        }
    )
    monkeypatch.setattr(
        time_to_target, "fit", lambda *a, **k: argparse.Namespace(history=history, train_seconds=4.0)
    )
    got = time_to_target.time_to_target("multdae", split, 1, target=0.05)
    assert (got["target_epoch"], got["seconds_to_target"], got["max_test_ndcg@10_seen"]) == (2, 2.0, 0.07)


def test_time_to_target_ratio_counts_set_up_and_the_start_up_of_imports(tmp_path, monkeypatch):
    from benchmarks import time_to_target

    monkeypatch.setattr(
        time_to_target,
        "startup_seconds",
        lambda code: 100.0 if code == time_to_target.IMPORTS_CODE else 200.0,
    )
    assert time_to_target.main(["--models", "pop", "--out", str(tmp_path)]) == 0
    row = pd.read_csv(tmp_path / "time_to_target.csv").iloc[0]
    assert row["startup_seconds"] == 100.0
    assert row["ratio"] == pytest.approx(
        (row["seconds_to_target"] + row["setup_seconds"]) / row["recbole_seconds"]
    )


def test_epoch_throughput_times_validation_apart_and_never_stops_early(monkeypatch):
    from benchmarks import epoch_throughput
    from sslrec_utils.experiment import DataSpec, load_split

    split, _ = load_split(DataSpec(dataset="synthetic:300x200x5000", split="holdout", seed=1))
    real, configs = epoch_throughput.fit, []

    def fit(model, split, config, **kwargs):
        configs.append(config)
        return real(model, split, config, **kwargs)

    monkeypatch.setattr(epoch_throughput, "fit", fit)
    row = epoch_throughput.measure("multvae", split, "cpu", 2, ["hidden_dims=[32,8]"])
    assert row["validation_s"] > 0
    assert configs[0].patience > configs[0].epochs


def test_determinism_compares_with_a_one_thread_run(tmp_path, monkeypatch, capsys):
    calls = []

    def trained_digest(name, spec, seed, epochs, threads):
        calls.append(threads)
        return str(threads)

    monkeypatch.setattr(determinism, "trained_digest", trained_digest)
    table = determinism.measure(["sgl"], "synthetic:60x80x1500", 1, 1, 3, progress=False)
    assert calls == [3, 3, 1] and not table.iloc[0]["same_as_one_thread"]
    with pytest.raises(SystemExit):
        determinism.main(["--threads", "1", "--out", str(tmp_path)])
    assert "--threads must be at least 2" in capsys.readouterr().err


def test_random_ties_offsets_count_per_user_and_second():
    from benchmarks import random_ties

    ratings = pd.DataFrame({"user": [0] * 600 + [1] * 600, "timestamp": [5] * 1200})
    out = random_ties.break_ties(ratings, seed=0)
    assert sorted(out["timestamp"][:600] % 1000) == list(range(1, 601))


def test_estimates_ratio_and_exit_status(tmp_path):
    from benchmarks import estimates

    assert estimates.estimate_over_peak(300, 100) == 3
    assert estimates.write_table([{"peak_mb": 300, "estimate_over_peak": 2.0}], tmp_path, "t.csv", str) == 0
    assert estimates.write_table([{"peak_mb": 300, "estimate_over_peak": 0.5}], tmp_path, "t.csv", str) == 1


def test_book_build_time_fails_when_the_warm_build_executes_nothing_from_the_cache(tmp_path, monkeypatch):
    def stage(source, dest, only=None):
        (dest / "nb.ipynb").parent.mkdir(parents=True, exist_ok=True)
        (dest / "nb.ipynb").write_text("{}")
        return {"format": "jb-book", "root": "nb"}

    monkeypatch.setattr(book_build_time, "stage", stage)
    monkeypatch.setattr(book_build_time, "toc_files", lambda toc: ["nb"])
    results = iter(
        [
            {"seconds": 1.0, "rc": 0, "executed": [{"notebook": "nb.ipynb", "seconds": 1.0}], "cached": 0},
            {
                "seconds": 1.0,
                "rc": 0,
                "executed": [],
                "cached": 0,
            },  # nothing run, nothing read from the cache
        ]
    )
    monkeypatch.setattr(book_build_time, "build", lambda *a, **k: next(results))
    argv = ["--no-check", "--workdir", str(tmp_path / "w"), "--out", str(tmp_path / "o")]
    assert book_build_time.main(argv) == 1


def test_rescore_keeps_a_holdout_run_protocol_and_retests_on_its_split_seed(tmp_path):
    from benchmarks import rescore
    from sslrec_utils.experiment import DataSpec, run_experiment

    spec = DataSpec(dataset="synthetic:60x80x1500", split="holdout", seed=7)
    run_experiment(spec, "pop", progress=False, out_dir=tmp_path / "run")
    row = rescore.rescore(tmp_path / "run")
    assert row["ndcg@10_protocol"] == pytest.approx(row["ndcg@10_saved"], abs=1e-9)  # seen items excluded
    rec = TrainedRecommender.load(tmp_path / "run", device="cpu")
    frame = pd.concat(rec.split.parts.values())  # the run's own log, written back with its IDs
    frame = frame.assign(
        user=rec.split.user_map.ids[frame["user"]], item=rec.split.item_map.ids[frame["item"]]
    )
    frame[["user", "item", "rating", "timestamp"]].to_csv(tmp_path / "log.csv", index=False)
    assert rescore.retest_split(rec, tmp_path / "log.csv").seed == 7


def test_bert4rec_targets_count_a_window_last_only_when_its_target_is_last(monkeypatch):
    import torch

    from sslrec_utils.experiment import DataSpec, load_split

    split, _ = load_split(DataSpec(dataset="synthetic:60x50x1200", split="loo", seed=1))
    real = bert4rec_targets.build_model

    def build_model(*args, **kwargs):
        model = real(*args, **kwargs)

        def mask(seqs, generator):  # one target per window, at its first column
            target = torch.full_like(seqs, -100)
            target[:, 0] = seqs[:, 0]
            return seqs.clone(), target

        model.mask = mask
        return model

    monkeypatch.setattr(bert4rec_targets, "build_model", build_model)
    sizes = {"max_len": 8, "hidden_dim": 16, "n_layers": 1, "n_heads": 2, "inner_dim": 32}
    counts = bert4rec_targets.count_targets(TrainData.from_split(split), 1, 2, sizes)
    assert counts["last_windows"] == 0 and counts["targets"] == counts["windows"]
