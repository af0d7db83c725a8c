import contextlib
import dataclasses
import functools
import json
import os
import re
import shutil
import signal
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from sslrec_utils.config import ConfigError, DataWarning
from sslrec_utils.experiment import (
    DataSpec,
    load_data,
    load_split,
    resolve_configs,
    run_experiment,
    search_grid,
    split_fingerprint,
)
from sslrec_utils.models.ae import AEConfig
from sslrec_utils.models.base import ModelConfig
from sslrec_utils.recommend import TrainedRecommender
from sslrec_utils.splits import make_split
from sslrec_utils.train import TrainConfig, evaluate_model
from tests.helpers import clustered_interactions, needs_recbole, signal_once_saved


@pytest.fixture(scope="module")
def csv_spec(tmp_path_factory) -> DataSpec:
    """The clustered synthetic log written as a CSV with unusual column names and string user IDs."""
    inter = clustered_interactions(n_users=90, n_items=45)
    frame = inter.frame.assign(
        who=[f"u{u:03d}" for u in inter.user_map.to_original(inter.frame["user"])],
        what=inter.item_map.to_original(inter.frame["item"]),
    )
    path = tmp_path_factory.mktemp("data") / "log.csv"
    frame[["who", "what", "rating", "timestamp"]].rename(
        columns={"rating": "stars", "timestamp": "ts"}
    ).to_csv(path, index=False)
    return DataSpec(dataset=str(path), user_col="who", item_col="what", rating_col="stars", time_col="ts")


def test_resolve_configs_routes_keys_and_applies_defaults():
    model_cfg, train_cfg = resolve_configs("ae", ["hidden_dim=16", "lr=0.01"], epochs=7)
    assert model_cfg == AEConfig(hidden_dim=16)
    assert train_cfg.lr == 0.01 and train_cfg.epochs == 7
    assert train_cfg.batch_size == AEConfig.train_defaults["batch_size"]  # the model's default
    _, override = resolve_configs("ae", {"batch_size": 64})
    assert override.batch_size == 64  # the user's setting wins over the model's default


def test_training_settings_a_closed_form_model_ignores_are_said(recwarn):
    """``--set lr=0.5`` for EASE had been accepted without a word; generic code that gives every model its
    epochs (chapter 9's ``train``) still runs, with the warning."""
    with pytest.warns(UserWarning, match=r"^ease is fitted in closed form.*none of \['lr', 'patience'\]"):
        resolve_configs("ease", ["lr=0.5", "patience=3", "reg=100"])
    resolve_configs("ease", ["ks=[5,10]", "metric=ndcg@5", "seed=3"])  # what its fit reads: no warning
    resolve_configs("ae", ["lr=0.5"], epochs=3)  # a trained model, and epochs given as an option
    resolve_configs("pop", {}, epochs=3)
    assert not recwarn.list


def test_sslrec_train_says_a_closed_form_model_reads_no_epochs(csv_spec, tmp_path, capsys):
    """``--epochs 5`` for EASE had passed without a word, while ``--set epochs=5`` warned."""
    from sslrec_utils.cli import main

    data = ["--dataset", csv_spec.dataset, "--user-col", "who", "--item-col", "what", "-q"]
    assert main(["train", "--model", "ease", *data, "--epochs", "5", "--out", str(tmp_path / "a")]) == 0
    assert capsys.readouterr().err.splitlines() == [
        "sslrec: warning: ease is fitted in closed form, not trained by epochs: it reads none of ['epochs'] (of "
        "the training settings it reads only ['metric', 'ks', 'eval_batch_size', 'seed', 'device', 'progress'])"
    ]
    assert main(["train", "--model", "ae", *data, "--epochs", "1", "--out", str(tmp_path / "b")]) == 0
    assert capsys.readouterr().err == ""


def test_validation_less_often_than_the_epochs_is_said(recwarn):
    """``--set eval_every=10`` with 5 epochs had been accepted silently: only the last epoch is validated."""
    with pytest.warns(
        UserWarning, match=r"^eval_every=10 is above epochs=5: .* validated once, after its last"
    ):
        resolve_configs("ae", ["eval_every=10"], epochs=5)
    with pytest.warns(UserWarning, match="eval_every=4 is above epochs=3"):
        resolve_configs("ae", {}, epochs=3, eval_every=4)
    resolve_configs("bert4rec", {}, epochs=1)  # its default eval_every of 2, not the user's: no warning
    resolve_configs("ae", ["eval_every=5"], epochs=5)
    assert not recwarn.list


def test_resolve_configs_errors():
    with pytest.raises(ValueError, match="valid models"):
        resolve_configs("nope")
    with pytest.raises(ConfigError, match=r"unknown setting\(s\) \['hiden'\].*model keys: \['hidden_dim'\]"):
        resolve_configs("ae", ["hiden=3"])
    with pytest.raises(ConfigError, match="expected key=value"):
        resolve_configs("ae", ["lr"])


def test_search_grid_leaves_fixed_keys():
    @dataclasses.dataclass(frozen=True)
    class G(ModelConfig):
        search_space = {"a": (1, 2), "b": (3, 4, 5)}
        a: int = 0
        b: int = 0

    assert len(search_grid(G())) == 6
    assert {(c.a, c.b) for c in search_grid(G(a=9), fixed=["a"])} == {(9, 3), (9, 4), (9, 5)}
    assert search_grid(AEConfig()) == [AEConfig()]


def test_a_runs_data_paths_are_made_absolute(csv_spec, tmp_path, monkeypatch):
    """A run's config must find its data from any folder: a relative file and cache folder become absolute."""
    monkeypatch.chdir(Path(csv_spec.dataset).parent)
    spec = csv_spec.replace(dataset=Path(csv_spec.dataset).name, data_dir="cache").with_absolute_paths()
    assert spec.dataset == csv_spec.dataset and spec.data_dir == str(Path("cache").resolve())
    assert DataSpec(dataset="ml-100k").with_absolute_paths() == DataSpec(dataset="ml-100k")


def test_run_experiment_on_a_csv_writes_a_reloadable_run(csv_spec, tmp_path):
    record = run_experiment(
        csv_spec, "ae", settings=["hidden_dim=8", "lr=0.01"], epochs=15, progress=False, out_dir=tmp_path
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "checkpoint.pt",
        "config.json",
        "history.csv",
        "metrics.json",
    ]
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert saved["ndcg@10"] == pytest.approx(record["ndcg@10"])
    assert 1 <= saved["best_epoch"] <= saved["epochs"] <= 15
    history = pd.read_csv(tmp_path / "history.csv")
    assert len(history) == saved["epochs"] and saved["seconds_per_epoch"] == history["epoch_seconds"].mean()
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["model_config"] == {"hidden_dim": 8} and config["train_config"]["lr"] == 0.01
    # the run reloads from its directory alone, with the same test figures
    rec = TrainedRecommender.load(tmp_path, device="cpu")
    again = evaluate_model(rec.model, rec.split, "test").summary["ndcg@10"]
    assert again == pytest.approx(record["ndcg@10"], abs=1e-6)
    # 90% of each user's items come from their cluster's block: the model has learned that
    top = rec.recommend(["u001"], k=5)
    assert top["item"].between(1, 15).mean() >= 0.8  # u001 is in cluster 0 (items 1..15)


def _ctrl_c_at_validation(monkeypatch, n: int) -> None:
    """Make every `fit` of `run_experiment` receive Ctrl-C during its process's `n`-th validation."""
    import sslrec_utils.experiment as experiment

    real_fit, calls = experiment.runs.fit, [0]

    def monitor(model) -> dict[str, float]:
        calls[0] += 1
        if calls[0] == n:
            raise KeyboardInterrupt
        return {}

    monkeypatch.setattr(experiment.runs, "fit", lambda *a, **kw: real_fit(*a, monitor=monitor, **kw))


def test_ctrl_c_ends_a_run_that_is_still_tested_and_written(csv_spec, tmp_path, monkeypatch):
    _ctrl_c_at_validation(monkeypatch, 3)
    record = run_experiment(csv_spec, "ae", epochs=10, progress=False, out_dir=tmp_path)
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert saved["interrupted"] is True and saved["epochs"] == 2 and saved["best_epoch"] in (1, 2)
    assert saved["ndcg@10"] == pytest.approx(record["ndcg@10"]) and 0 < record["ndcg@10"] < 1
    assert len(pd.read_csv(tmp_path / "history.csv")) == 2
    assert run_experiment(csv_spec, "pop", progress=False)["interrupted"] is False


def test_sslrec_train_cut_short_writes_its_run_and_exits_130(csv_spec, tmp_path, monkeypatch, capsys):
    # the run is whole, but a script chaining commands (`&&`, `set -e`) must learn that it was cut short
    from sslrec_utils.cli import main

    _ctrl_c_at_validation(monkeypatch, 3)
    data = ["--dataset", csv_spec.dataset, "--user-col", "who", "--item-col", "what", "-q"]
    out = tmp_path / "run"
    assert main(["train", "--model", "ae", "--epochs", "10", *data, "--out", str(out)]) == 130
    printed = capsys.readouterr()
    summary = json.loads(printed.out.strip().splitlines()[-1])
    assert summary["interrupted"] is True and summary["epochs"] == 2
    saved = json.loads((out / "metrics.json").read_text())
    assert all(summary[k] == saved[k] for k in ("ndcg@10", "epochs", "best_epoch", "interrupted"))
    assert (
        printed.err.strip().splitlines()[-1]
        == f"sslrec: interrupted; {out} holds the best epoch so far, tested"
    )
    assert (out / "checkpoint.pt").is_file()


def test_sslrec_train_warns_when_a_sequence_model_has_no_time_order(csv_spec, tmp_path, capsys):
    from sslrec_utils.cli import main

    data = ["--dataset", csv_spec.dataset, "--user-col", "who", "--item-col", "what", "--epochs", "1", "-q"]
    assert (
        main(["train", "--model", "sasrec", *data, "--out", str(tmp_path / "a"), "--set", "max_len=8"]) == 0
    )
    assert capsys.readouterr().err.splitlines() == [
        # the default split, holdout, besides (the loo split refuses a file without times)
        "sslrec: warning: sasrec predicts each user's next item from the history before it, but the holdout split "
        "holds out interactions drawn at random, not each user's latest: use --split loo (or time), the protocol "
        "the book measures sequence models on",
        "sslrec: warning: sasrec reads each user's history in time order, but without --time-col every timestamp "
        "is 0, so each history is ordered at random (tie seed 0) (--ties), not by time",
    ]
    # with the time column, or for a model that reads no order, nothing to say
    timed = ["--time-col", "ts", "--split", "loo", "--set", "max_len=8"]
    assert main(["train", "--model", "sasrec", *data, *timed, "--out", str(tmp_path / "b")]) == 0
    assert main(["train", "--model", "ae", *data, "--out", str(tmp_path / "c")]) == 0
    assert capsys.readouterr().err == ""
    # a time column that holds one time (a date exported without its hours) had given no warning
    constant = tmp_path / "one-day.csv"
    pd.read_csv(csv_spec.dataset).assign(ts=1_700_000_000).to_csv(constant, index=False)
    data[1] = str(constant)
    assert main(["train", "--model", "sasrec", *data, *timed, "--out", str(tmp_path / "d")]) == 0
    assert capsys.readouterr().err.splitlines() == [
        "sslrec: warning: sasrec reads each user's history in time order, but the time column ('ts') gives all "
        "of each user's interactions one time, so each history is ordered at random (tie seed 0) (--ties), not "
        "by time"
    ]
    # leave-one-out holds out the latest interactions: for any model, they are then the ties' last
    loo = ["--split", "loo", "--time-col", "ts"]
    assert main(["train", "--model", "ae", *data, *loo, "--out", str(tmp_path / "e")]) == 0
    assert capsys.readouterr().err.splitlines() == [
        "sslrec: warning: the loo split holds out each user's latest interactions, but the time column ('ts') "
        "gives all of each user's interactions one time, so the items ae is validated and tested on are chosen "
        "at random (tie seed 0) (--ties), not by time"
    ]
    data[1] = csv_spec.dataset
    assert main(["train", "--model", "ae", *data, *loo, "--out", str(tmp_path / "f")]) == 0
    assert capsys.readouterr().err == ""
    # a sequence model on a split that holds out random interactions (the default, holdout) had run unsaid
    holdout = ["--time-col", "ts", "--set", "max_len=8"]
    assert main(["train", "--model", "sasrec", *data, *holdout, "--out", str(tmp_path / "g")]) == 0
    assert capsys.readouterr().err.splitlines() == [
        "sslrec: warning: sasrec predicts each user's next item from the history before it, but the holdout split "
        "holds out interactions drawn at random, not each user's latest: use --split loo (or time), the protocol "
        "the book measures sequence models on"
    ]


def test_sigterm_stops_sslrec_train_as_ctrl_c_does(csv_spec, tmp_path, monkeypatch, capsys):
    # `kill`, `timeout` or a batch scheduler send SIGTERM: the best epoch so far is tested and written
    import sslrec_utils.experiment as experiment
    from sslrec_utils.cli import main

    real_fit, calls = experiment.runs.fit, [0]

    def monitor(model) -> dict[str, float]:
        calls[0] += 1
        if calls[0] == 3:
            os.kill(os.getpid(), signal.SIGTERM)
        return {}

    monkeypatch.setattr(experiment.runs, "fit", lambda *a, **kw: real_fit(*a, monitor=monitor, **kw))
    before, before_int = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    data = ["--dataset", csv_spec.dataset, "--user-col", "who", "--item-col", "what", "-q"]
    out = tmp_path / "run"
    assert main(["train", "--model", "ae", "--epochs", "10", *data, "--out", str(out)]) == 130
    assert signal.getsignal(signal.SIGTERM) is before  # restored (no longer ignored) for what runs next
    assert signal.getsignal(signal.SIGINT) is before_int
    saved = json.loads((out / "metrics.json").read_text())
    assert saved["interrupted"] is True and saved["epochs"] == 2
    assert (out / "config.json").is_file() and (out / "checkpoint.pt").is_file()
    assert capsys.readouterr().err.strip().endswith(f"{out} holds the best epoch so far, tested")


def _dropped_ctrl_c(where: str) -> None:
    """Make garbage whose collection runs code that receives a Ctrl-C: in a ``__del__`` or in a weakref
    callback, where Python prints a KeyboardInterrupt as "Exception ignored" and drops it."""
    import weakref

    def receive() -> None:
        os.kill(os.getpid(), signal.SIGINT)  # handled by the next bytecodes, which are this function's
        sum(range(1000))

    class Collected:
        def __del__(self) -> None:
            receive()

    class Plain:
        pass

    if where == "__del__":
        Collected()
    else:
        weakref.finalize(Plain(), receive)  # collected at once


@pytest.mark.parametrize("where", ["__del__", "weakref"])
def test_a_ctrl_c_that_python_drops_comes_again(where):
    # a Ctrl-C handled in a __del__ (tqdm's bars are collected every epoch) had been lost; and with SIGTERM a
    # no-op once the first notice came, a SIGTERM after it did nothing: training went on for ever (seen once
    # in CI)
    import time

    from sslrec_utils.cli.process import _terminate_as_ctrl_c

    before = signal.getsignal(signal.SIGTERM)
    try:
        with pytest.raises(KeyboardInterrupt), _terminate_as_ctrl_c():
            _dropped_ctrl_c(where)
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:  # the notice, sent again, arrives here
                time.sleep(0.01)
    finally:
        signal.signal(signal.SIGTERM, before)  # `main` would restore it


def test_a_dropped_ctrl_c_is_not_sent_again_once_training_is_over():
    # the Ctrl-C is sent again 50 ms later: if training ends first, it would reach whatever follows (a
    # notebook's next cell, the next test, the command's own exit)
    import time

    from sslrec_utils.cli.process import _terminate_as_ctrl_c

    with _terminate_as_ctrl_c():
        _dropped_ctrl_c("__del__")
    try:
        time.sleep(0.3)
    except KeyboardInterrupt:
        pytest.fail("the Ctrl-C was sent again after training had ended")


def test_a_failure_before_a_dropped_ctrl_c_comes_again_is_a_stop():
    # a distributed peer stopped by the same notice fails this rank's collective at once: the notice, dropped
    # in a __del__, had been cancelled as training ended, and the rank reported the peer's failure, not a stop
    import time

    from sslrec_utils.cli.process import _stopping, _terminate_as_ctrl_c

    before = signal.getsignal(signal.SIGTERM)
    try:
        with pytest.raises(KeyboardInterrupt) as stopped, _terminate_as_ctrl_c():
            _dropped_ctrl_c("__del__")
            raise RuntimeError("Connection closed by peer")
        assert isinstance(stopped.value.__cause__, RuntimeError)
        assert signal.getsignal(signal.SIGTERM) is _stopping  # stopped: until `main` has said what was kept
        time.sleep(0.3)  # and not sent again
    finally:
        signal.signal(signal.SIGTERM, before)  # `main` would restore it
    # a failure with no notice on its way is left as it is
    with pytest.raises(RuntimeError, match="by peer"), _terminate_as_ctrl_c():
        raise RuntimeError("Connection closed by peer")


def test_ctrl_c_then_sigterm_from_another_process_stops_and_says_so(tmp_path):
    # `kill -INT $P; kill -TERM $P`. A SIGTERM that came after training had stopped had killed the process
    # before it said what it kept. Setting SIGTERM to SIG_IGN at the first notice made CPython print "Signal 15
    # ignored due to race condition" with a traceback (3 times of 3 in this test's first version), or, when
    # the first notice's KeyboardInterrupt was raised inside a __del__ (and lost), left training running
    import sys

    out = tmp_path / "run"
    # a larger log than csv_spec's, on which the second notice seldom landed in a tqdm bar's __del__
    cmd = [sys.executable, "-m", "sslrec_utils.cli", "train", "--model", "ae", "--out", str(out), "-q"]
    cmd += ["--dataset", "synthetic:1000x200x20000", "--epochs", "100000", "--set", "patience=100000"]
    status, err = signal_once_saved(cmd, tmp_path, [signal.SIGINT, signal.SIGTERM], settle=0.5)
    said = err[-3000:]
    assert status == 130 and "Traceback" not in err, said
    assert err.strip().endswith(f"sslrec: interrupted; {out} holds the best epoch so far, tested"), said
    assert json.loads((out / "metrics.json").read_text())["interrupted"] is True


def test_a_run_that_fails_keeps_the_best_weights_saved_so_far(csv_spec, tmp_path, monkeypatch):
    import sslrec_utils.experiment as experiment

    real_fit, calls = experiment.runs.fit, [0]

    def monitor(model) -> dict[str, float]:  # a crash (out of memory, a NaN...) after two validations
        calls[0] += 1
        if calls[0] == 3:
            raise RuntimeError("the machine went away")
        return {}

    monkeypatch.setattr(experiment.runs, "fit", lambda *a, **kw: real_fit(*a, monitor=monitor, **kw))
    with pytest.raises(RuntimeError, match="went away"):
        run_experiment(csv_spec, "ae", epochs=10, progress=False, out_dir=tmp_path)
    assert (tmp_path / "checkpoint.pt").is_file()  # saved at the best of epochs 1 and 2, as it came


@pytest.mark.parametrize(
    "error",
    [
        RuntimeError(
            "[enforce fail at alloc_cpu.cpp:127] DefaultCPUAllocator: can't allocate memory: you tried"
        ),
        MemoryError(),
        type("OutOfMemoryError", (RuntimeError,), {})("CUDA out of memory. Tried to allocate 20.00 GiB"),
        RuntimeError("CUDA error: CUBLAS_STATUS_ALLOC_FAILED when calling `cublasCreate(handle)`"),
        RuntimeError("CUDA error: out of memory\nCUDA kernel errors might be asynchronously reported"),
    ],
    ids=["cpu", "python", "cuda", "cublas", "cuda-kernel"],
)
def test_running_out_of_memory_is_one_line_and_leaves_nothing(csv_spec, tmp_path, monkeypatch, capsys, error):
    """Sizes far beyond the machine (``--set hidden_dim=1e10``) had ended in the allocator's traceback."""
    import sslrec_utils.experiment as experiment
    from sslrec_utils.cli import data_commands, main

    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(experiment.runs, "fit", fail)
    out = tmp_path / "run"
    args = [
        "train",
        "--model",
        "ae",
        "--dataset",
        csv_spec.dataset,
        "--user-col",
        "who",
        "--item-col",
        "what",
    ]
    assert main([*args, "--out", str(out), "-q"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("sslrec: error: out of memory (")
    assert err.endswith("lower the sizes (hidden_dim, max_len...), batch_size or eval_batch_size")
    assert not out.exists() and list(tmp_path.iterdir()) == []
    # reading a log has no model size to lower
    monkeypatch.setattr(data_commands, "dataset_info", fail)
    assert main(["data", "info", csv_spec.dataset, "--user-col", "who", "--item-col", "what"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("sslrec: error: out of memory (") and err.endswith(
        "than this machine's memory holds"
    )
    # nor has a trained run
    monkeypatch.setattr(TrainedRecommender, "load", fail)
    assert main(["evaluate", "--run", str(tmp_path / "any")]) == 1
    assert capsys.readouterr().err.strip().endswith("more memory than this device has; try another --device")
    monkeypatch.setattr(experiment.runs, "fit", lambda *a, **kw: (_ for _ in ()).throw(RuntimeError("a bug")))
    with pytest.raises(RuntimeError, match="a bug"):  # any other RuntimeError keeps its traceback
        main([*args, "--out", str(out), "-q"])


def test_train_listens_to_sigint_even_when_started_with_it_ignored(csv_spec, tmp_path):
    from sslrec_utils.cli import main

    # nohup ... & from a script starts the process with SIGINT ignored; sslrec train restores Ctrl-C's handler
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        data = ["--dataset", csv_spec.dataset, "--user-col", "who", "--item-col", "what"]
        assert main(["train", "--model", "pop", *data, "--out", str(tmp_path / "run"), "-q"]) == 0
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, before)


def test_the_summary_line_follows_the_cut_offs_and_the_selection_metric(csv_spec, tmp_path, capsys):
    from sslrec_utils.cli import main

    data = ["--dataset", csv_spec.dataset, "--user-col", "who", "--item-col", "what", "-q"]
    settings = ["--set", "ks=[3,5]", "--set", "metric=recall@5"]
    assert main(["train", "--model", "pop", *data, *settings, "--out", str(tmp_path / "run")]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    keys = ["recall@3", "ndcg@3", "recall@5", "ndcg@5", "hit@3", "mrr@3"]
    assert [k for k in summary if "@" in k] == [*keys, "valid_recall@5"]
    assert all(summary[k] == metrics["test"][k] for k in keys)
    assert summary["metric"] == "recall@5" and summary["valid_recall@5"] == metrics["valid"]["recall@5"]
    # sslrec evaluate scores at the run's own cut-offs unless told otherwise
    assert main(["evaluate", "--run", str(tmp_path / "run"), "--json", "-q", "--device", "cpu"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert {k: again[k] for k in keys} == {k: metrics["test"][k] for k in keys} and "ndcg@10" not in again


def test_ctrl_c_during_a_search_keeps_the_points_tried(csv_spec, tmp_path, monkeypatch):
    # dae searches dropout over (0.5, 0.7): Ctrl-C comes at the second point's first validation
    _ctrl_c_at_validation(monkeypatch, 2)
    record = run_experiment(csv_spec, "dae", epochs=1, search=True, progress=False, out_dir=tmp_path)
    assert record["interrupted"] is True and record["epochs"] == 1 and 0 < record["ndcg@10"] < 1
    table = pd.read_csv(tmp_path / "search.csv")  # the point cut short before any validation is listed too
    assert table["dropout"].tolist() == [0.5, 0.7] and table["interrupted"].tolist() == [False, True]
    assert np.isfinite(table["valid_ndcg@10"][0]) and np.isnan(table["valid_ndcg@10"][1])
    assert json.loads((tmp_path / "config.json").read_text())["model_config"]["dropout"] == 0.5


def test_a_search_cut_short_after_a_better_point_says_so(csv_spec, tmp_path, monkeypatch):
    """Ctrl-C at the second point's second validation, after the first point's three epochs: the first point
    stays the best, and the run is still recorded as interrupted (it had said false, as if the search had
    finished, when the point cut short was not the best)."""
    _ctrl_c_at_validation(monkeypatch, 5)
    record = run_experiment(csv_spec, "dae", epochs=3, search=True, progress=False, out_dir=tmp_path)
    table = pd.read_csv(tmp_path / "search.csv")
    assert table["dropout"].tolist() == [0.5, 0.7] and table["interrupted"].tolist() == [False, True]
    assert table["valid_ndcg@10"][0] > table["valid_ndcg@10"][1]  # the case: the point cut short is not kept
    assert record["interrupted"] is True and record["epochs"] == 3
    assert json.loads((tmp_path / "metrics.json").read_text())["interrupted"] is True


def test_a_model_fitted_to_ratings_is_told_of_a_log_without_them(csv_spec):
    """AutoRec on a log read without --rating-col (every rating 1) had trained without a word; ratings that
    vary are left unsaid."""
    no_ratings = dataclasses.replace(csv_spec, rating_col=None)
    run = functools.partial(
        run_experiment, model="autorec", settings=["hidden_dim=8"], epochs=1, progress=False
    )
    with pytest.warns(
        DataWarning,
        match=r"^autorec is fitted to rating values, but every training rating is 1 \(without --rating-col each "
        r"row is a rating of 1\), so the ratings it predicts say nothing of preference",
    ):
        run(no_ratings)
    # the fix offered follows the cause: a threshold that left one value; a rating column that holds one
    with pytest.warns(
        DataWarning, match=r"is 5 \(--threshold 5 keeps no other\), .*: lower the threshold, or use"
    ):
        run(dataclasses.replace(csv_spec, threshold=5.0))
    ones = Path(csv_spec.dataset).with_name("ones.csv")
    pd.read_csv(csv_spec.dataset).assign(stars=1).to_csv(ones, index=False)
    with pytest.warns(
        DataWarning, match=r"every training rating is 1, so .* preference: use a model of implicit"
    ):
        run(dataclasses.replace(csv_spec, dataset=str(ones)))
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        run(csv_spec)
        run_experiment(no_ratings, "ease", progress=False)  # fitted to which items each user has


def test_the_record_says_how_much_data_the_run_used(csv_spec):
    """Users, items and interactions after the filters (--threshold had removed rows without a count)."""
    log = pd.read_csv(csv_spec.dataset)
    whole = run_experiment(csv_spec, "pop", progress=False)
    assert (whole["data_users"], whole["data_items"]) == (log["who"].nunique(), log["what"].nunique())
    assert whole["data_interactions"] == len(log)
    with pytest.warns(
        DataWarning, match=r"^1 of 89 users have too few interactions \(at most 1\) for the holdout"
    ):
        liked = run_experiment(dataclasses.replace(csv_spec, threshold=4), "pop", progress=False)
    assert liked["data_interactions"] == (log["stars"] >= 4).sum() < len(log)


def test_closed_form_models_fit_once(csv_spec):
    record = run_experiment(csv_spec, "pop", progress=False)
    assert record["epochs"] == 0 and record["best_epoch"] == 0
    assert 0 < record["ndcg@10"] < 1


def test_the_record_names_the_split_seed_and_the_training_seed(csv_spec):
    """``--set seed=`` trains with another seed on the same split: the record says both (it said only the
    split's, which read as if training had used it)."""
    same = run_experiment(csv_spec, "ae", epochs=1, progress=False)
    other = run_experiment(csv_spec, "ae", settings=["seed=7"], epochs=1, progress=False)
    assert (same["seed"], same["train_seed"]) == (csv_spec.seed, csv_spec.seed)
    assert (other["seed"], other["train_seed"]) == (csv_spec.seed, 7)
    assert other["valid"] != same["valid"]  # the weights did start elsewhere


def test_a_run_that_fails_in_an_earlier_runs_folder_leaves_none_of_its_files(csv_spec, tmp_path, monkeypatch):
    """run_experiment into the folder of an earlier run (the Python API writes in place; the command stages):
    a failure in the test pass had left the earlier metrics.json and history.csv beside the new config.json and
    checkpoint, a folder that read as a finished run of the new settings."""
    import sslrec_utils.experiment as experiment

    run_experiment(csv_spec, "ease", search=True, progress=False, out_dir=tmp_path)
    assert {"metrics.json", "history.csv", "search.csv"} <= {p.name for p in tmp_path.iterdir()}

    def out_of_memory(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(experiment.runs, "evaluate_model", out_of_memory)
    with pytest.raises(MemoryError):
        run_experiment(csv_spec, "ae", epochs=1, progress=False, out_dir=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.pt", "config.json"]  # the best kept
    assert json.loads((tmp_path / "config.json").read_text())["model"] == "ae"


def test_a_closed_form_search_shows_its_progress_and_an_iterative_model_its_epochs(csv_spec, capsys):
    run_experiment(csv_spec, "ease", progress=True)  # five points of reg, seconds each on a large catalogue
    bar = capsys.readouterr().err
    assert "EASE: 100%" in bar and "5/5" in bar and "best ndcg@10=" in bar
    run_experiment(csv_spec, "ae", epochs=1, progress=True)
    bar = capsys.readouterr().err
    assert "fit/s" not in bar and "1/1" in bar and "epoch" in bar


def test_load_split_is_a_pure_function_of_the_spec(csv_spec):
    a, _ = load_split(csv_spec)
    b, _ = load_split(csv_spec)
    c, _ = load_split(csv_spec.replace(seed=1))
    assert (a.matrix("test") != b.matrix("test")).nnz == 0
    assert (a.matrix("test") != c.matrix("test")).nnz > 0
    assert a.user_map.ids[0] == "u001"


def test_a_file_spec_needs_the_columns_its_options_use(csv_spec, tmp_path, capsys):
    from sslrec_utils.cli import main

    with pytest.raises(ConfigError, match=r"^threshold=4.0 needs a rating column: give rating_col$"):
        csv_spec.replace(rating_col=None, threshold=4.0)
    for split in ("time", "loo"):
        with pytest.raises(
            ConfigError, match=rf"^split='{split}' is by time and needs a time column: give time_col$"
        ):
            csv_spec.replace(time_col=None, split=split)
    assert DataSpec(dataset="ml-100k", threshold=4.0, split="time").threshold == 4.0  # MovieLens has both
    for bad in (float("nan"), float("inf")):  # had passed, then every interaction was filtered out
        with pytest.raises(ConfigError, match=f"^threshold must be a finite number, got {bad}$"):
            csv_spec.replace(threshold=bad)
    # a mistyped name is not a file that lacks a time column: said first, with the closest name
    with pytest.raises(
        ConfigError, match=r"^dataset 'ml100k' is neither a data set \(ml-100k, .*'ml-100k'\?$"
    ):
        DataSpec(dataset="ml100k", split="loo")
    assert main(["train", "--model", "sasrec", "--dataset", "nosuch", "--split", "loo", "--out", "x"]) == 2
    assert capsys.readouterr().err == (
        "sslrec: error: --dataset 'nosuch' is neither a data set (ml-100k, ml-1m, ml-20m, synthetic:UxIxN) nor a "
        "file\n"
    )
    assert DataSpec(dataset="synthetic:9x9x40", threshold=4.0, split="time").split == "time"
    data = ["--dataset", csv_spec.dataset, "--user-col", "who", "--item-col", "what", "--threshold", "4"]
    assert main(["train", "--model", "pop", *data, "--out", str(tmp_path / "run"), "-q"]) == 2
    # the command line names its flags, not DataSpec's fields
    assert (
        capsys.readouterr().err == "sslrec: error: --threshold=4.0 needs a rating column: give --rating-col\n"
    )
    # column options describe a file; k-core thresholds are counts
    with pytest.raises(
        ConfigError, match=r"^user_col='who', sep=';' describe a file, but 'ml-100k' is not one"
    ):
        DataSpec(dataset="ml-100k", user_col="who", sep=";")
    with pytest.raises(ConfigError, match="^min_user must be >= 0, got -5$"):
        DataSpec(min_user=-5)
    with pytest.raises(ConfigError, match="^min_item must be >= 0, got -1$"):
        DataSpec(min_item=-1)
    # seeds: NumPy's own message would not name the option
    with pytest.raises(
        ConfigError, match=r"^unknown split='lo' \(valid: holdout, loo, strong, time\); did you"
    ):
        DataSpec(split="lo")  # before any data is loaded
    with pytest.raises(ConfigError, match="^tie_seed must be >= 0, got -1$"):
        DataSpec(tie_seed=-1)
    with pytest.raises(ConfigError, match="^seed must be >= 0, got -3$"):
        DataSpec(seed=-3)
    for name in ("seed", "tie_seed"):  # torch takes none from 2**64 ('Overflow when unpacking long long')
        with pytest.raises(ConfigError, match=rf"^{name} must be < 2\*\*63, got {2**64}$"):
            DataSpec(**{name: 2**64})
    assert main(["train", "--model", "pop", "--tie-seed", "-1", "--out", str(tmp_path / "t"), "-q"]) == 2
    assert capsys.readouterr().err == "sslrec: error: --tie-seed must be >= 0, got -1\n"


def _warns_of_short_users(split: str, how_many: str) -> contextlib.AbstractContextManager:
    """Expects leave-one-out's warning that `how_many` users are never tested, holdout's of its users with one
    interaction; nothing for another split."""
    if split == "holdout":
        return pytest.warns(
            DataWarning, match=r"\(at most 1\) for the holdout split to test them: it keeps them"
        )
    if split != "loo":
        return contextlib.nullcontext()
    return pytest.warns(
        DataWarning, match=f"^{how_many} users have fewer than 3 interactions: .* never tests them$"
    )


@pytest.mark.parametrize(
    ("split", "text", "needs"),
    [
        (
            "holdout",
            "1,1,0\n",
            "the data has 1 user(s), 1 item(s) and 1 interaction(s): too small to split into train, "
            "validation and test: no valid user has both input and held-out interactions (rows: train 1, "
            "valid 0, test 0); split='holdout' needs a user with at least 3 interactions",
        ),
        (
            "loo",
            "1,1,0\n1,2,1\n2,1,2\n2,3,3\n3,4,4\n",
            "the data has 3 user(s), 4 item(s) and 5 interaction(s): too small",
        ),
        (
            "time",  # three rows on either side of the cuts, but no user on both sides
            "1,1,0\n2,2,1\n3,3,2\n",
            "3 interaction(s): cannot be split by time into train, validation and test: no valid user has "
            "both input and held-out interactions (rows: train 1, valid 1, test 1); split='time' needs a user with interactions on both sides of a cut",
        ),
        (
            "strong",
            "1,1,0\n1,2,1\n2,1,2\n2,2,3\n",
            "1 validation and 1 test users (n_heldout=1) need 2 users with >= 2 interactions (there are 2) and "
            "at least one training user",
        ),
    ],
)
def test_data_too_small_to_split_is_named(tmp_path, split, text, needs):
    (tmp_path / "log.csv").write_text("user,item,t\n" + text)
    spec = DataSpec(dataset=str(tmp_path / "log.csv"), time_col="t", split=split)
    # leave-one-out and holdout also say that they never test users with too few interactions
    with pytest.raises(ValueError) as info, _warns_of_short_users(split, "3 of 3"):
        load_split(spec)
    assert needs in str(info.value)
    # one more user with 3 interactions is enough: every part and every phase has users
    (tmp_path / "log.csv").write_text("user,item,t\n" + text + "9,1,10\n9,2,11\n9,3,12\n")
    with _warns_of_short_users(split, "3 of 4"):
        split_, _ = load_split(spec)
    assert all(len(split_.eval_plan(phase).users) for phase in ("valid", "test"))


def test_train_config_defaults_are_untouched_by_runs():
    assert TrainConfig().batch_size == 256 and np.isclose(TrainConfig().lr, 1e-3)


def test_sslrec_evaluate_rescores_a_run_with_and_without_seen_items(csv_spec, tmp_path, capsys):
    from sslrec_utils.cli import main
    from sslrec_utils.train import make_score_fn

    spec = dataclasses.replace(csv_spec, split="loo")
    tiny = ["hidden_dim=8", "inner_dim=16", "n_layers=1", "n_heads=1", "max_len=10", "lr=0.01"]
    record = run_experiment(spec, "sasrec", settings=tiny, epochs=3, progress=False, out_dir=tmp_path)

    def evaluate(*extra: str) -> dict:
        assert main(["evaluate", "--run", str(tmp_path), "--json", "-q", "--device", "cpu", *extra]) == 0
        return json.loads(capsys.readouterr().out)

    as_trained = evaluate()
    assert as_trained["model"] == "sasrec" and as_trained["n_users"] == 90
    assert as_trained["ndcg@10"] == pytest.approx(record["ndcg@10"], abs=1e-9)  # loo keeps the seen items
    assert evaluate("--exclude-seen", "no")["ndcg@10"] == pytest.approx(record["ndcg@10"], abs=1e-9)
    excluded = evaluate("--exclude-seen", "yes", "--ks", "5")
    assert "ndcg@10" not in excluded and "ndcg@5" in excluded
    # the same figure by hand: the held-out item's rank among the items outside the user's input history
    rec = TrainedRecommender.load(tmp_path, device="cpu")
    score_fn, plan = make_score_fn(rec.model, rec.split, "test", rec.model.device)
    scores = score_fn(plan.users).detach().numpy()
    seen = rec.split.matrix(*plan.input_parts)[plan.users].toarray() > 0
    scores[seen] = -np.inf
    target = plan.heldout[plan.users].indices
    rank = (scores > scores[np.arange(len(target)), target][:, None]).sum(1)
    assert excluded["ndcg@5"] == pytest.approx(
        np.mean(np.where(rank < 5, 1 / np.log2(rank + 2), 0)), abs=1e-6
    )
    # bad input: one line, exit status 2
    assert main(["evaluate", "--run", str(tmp_path), "--ks", "10,x"]) == 2
    assert main(["evaluate", "--run", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert "--ks takes positive integers" in err and "no run folder" in err
    assert main(["evaluate", "--run", str(tmp_path), "--ks", "\u00b2"]) == 2  # a digit to str, not to int
    assert capsys.readouterr().err.startswith("sslrec: error: --ks takes positive integers")
    assert main(["evaluate", "--run", str(tmp_path), "--ks", "10,5,10"]) == 2  # as sslrec report refuses it
    assert capsys.readouterr().err == "sslrec: error: --ks lists ['10'] more than once\n"
    assert (
        main(["evaluate", "--run", str(tmp_path), "--ks", "10,100000"]) == 2
    )  # named as the flag it came by
    assert re.match(
        r"sslrec: error: --ks 10,100000: a cut-off cannot exceed the run's \d+ items\n$",
        capsys.readouterr().err,
    )


def test_sslrec_train_writes_all_or_nothing_and_never_clobbers(csv_spec, tmp_path, capsys):
    from sslrec_utils.cli import main

    data = ["--dataset", csv_spec.dataset, "--user-col", "who", "--item-col", "what", "--time-col", "ts"]
    run = tmp_path / "runs" / "r"

    def train(*extra: str, out=run) -> int:
        return main(["train", "--model", "pop", *data, "--out", str(out), "-q", "--device", "cpu", *extra])

    # a failed run leaves no folder behind, not even the parents it created
    assert train("--set", "metric=foo@10") == 2
    assert "metric must be one of" in capsys.readouterr().err and not (tmp_path / "runs").exists()
    assert train() == 0
    names = sorted(p.name for p in run.iterdir())
    assert names == ["checkpoint.pt", "config.json", "history.csv", "metrics.json"]
    umask = os.umask(0)
    os.umask(umask)
    assert {p.stat().st_mode & 0o777 for p in run.iterdir()} == {0o666 & ~umask}  # shareable, as history.csv
    first = (run / "metrics.json").read_text()
    # an existing run is replaced only with --force, and a failed replacement keeps it
    assert train() == 2
    assert "pass --force" in capsys.readouterr().err
    assert train("--force", "--set", "ks=[0]") == 2 and (run / "metrics.json").read_text() == first
    (run / "search.csv").write_text("stale\n")  # a file an earlier run (with a search) wrote
    assert train("--force", "--seed", "7") == 0
    assert "search.csv" not in {p.name for p in run.iterdir()}
    assert json.loads((run / "metrics.json").read_text())["seed"] == 7
    # a folder holding anything else is never replaced, and a file is not a folder
    (run / "thesis.tex").write_text("months of work\n")
    assert train("--force") == 2
    assert "did not write (thesis.tex)" in capsys.readouterr().err and (run / "thesis.tex").exists()
    assert train(out=run / "thesis.tex") == 2
    assert "is a file" in capsys.readouterr().err
    # an option and a setting naming the same thing
    assert train("--epochs", "3", "--set", "epochs=1", out=tmp_path / "twice") == 2
    assert "given twice" in capsys.readouterr().err and not (tmp_path / "twice").exists()


def test_an_unavailable_device_is_a_clear_error_before_any_work(csv_spec, tmp_path, capsys):
    import torch

    from sslrec_utils.cli import main
    from sslrec_utils.train import resolve_device

    with pytest.raises(ConfigError, match="'gpu' is not a device"):
        resolve_device("gpu")
    assert resolve_device("cpu") == torch.device("cpu")
    absent = f"cuda:{torch.cuda.device_count()}"  # one past the last GPU, on any machine
    with pytest.raises(ConfigError, match=f"'{absent}' is not available here"):
        resolve_device(absent)
    data = ["--dataset", csv_spec.dataset, "--user-col", "who", "--item-col", "what"]
    out = tmp_path / "run"
    assert main(["train", "--model", "pop", *data, "--out", str(out), "-q", "--device", absent]) == 2
    assert "is not available here" in capsys.readouterr().err and not out.exists()


def test_a_run_reloaded_on_changed_data_is_refused(csv_spec, tmp_path):
    path = tmp_path / "log.csv"
    path.write_text(Path(csv_spec.dataset).read_text())
    spec = dataclasses.replace(csv_spec, dataset=str(path))
    run_experiment(spec, "pop", progress=False, out_dir=tmp_path / "run")
    assert (
        TrainedRecommender.load(tmp_path / "run", device="cpu").split.protocol == "holdout"
    )  # unchanged: fine
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:-40]) + "\n")  # the file loses its last 40 interactions
    with pytest.raises(ValueError, match="no longer gives the split .* the data has changed since"):
        TrainedRecommender.load(tmp_path / "run", device="cpu")
    written = (tmp_path / "run" / "config.json").read_text()
    (tmp_path / "run" / "config.json").write_text("{'data': 1")
    with pytest.raises(ValueError, match=r"config.json is not valid JSON"):
        TrainedRecommender.load(tmp_path / "run", device="cpu")
    (tmp_path / "run" / "config.json").write_text(written)
    (tmp_path / "run" / "checkpoint.pt").unlink()
    with pytest.raises(FileNotFoundError, match="checkpoint.pt not found: is .* written by sslrec train"):
        TrainedRecommender.load(tmp_path / "run", device="cpu")


def test_a_run_whose_data_file_moved_says_how_to_reload_it(csv_spec, tmp_path):
    path = tmp_path / "log.csv"
    path.write_text(Path(csv_spec.dataset).read_text())
    run_experiment(
        dataclasses.replace(csv_spec, dataset=str(path)), "pop", progress=False, out_dir=tmp_path / "run"
    )
    path.rename(tmp_path / "moved.csv")
    with pytest.raises(
        FileNotFoundError,
        match=r"run was trained on a file that is gone \(no such file: .*log.csv\); a run reads its data again",
    ):
        TrainedRecommender.load(tmp_path / "run", device="cpu")
    # the route the message gives: the new path in config.json, and the same split
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    config["data"]["dataset"] = str(tmp_path / "moved.csv")
    (tmp_path / "run" / "config.json").write_text(json.dumps(config))
    assert TrainedRecommender.load(tmp_path / "run", device="cpu").split.n_users > 0


@needs_recbole
def test_a_run_whose_data_folder_is_gone_says_how_to_reload_it(tmp_path):
    # the folder and its parent gone: the message had offered --data-dir, which evaluate does not take, and
    # SSLREC_DATA, which the run's own data_dir overrides
    spec = DataSpec(dataset="ml-100k", data_dir=str(tmp_path / "cache" / "sub"))
    (tmp_path / "cache").mkdir()
    run_experiment(spec, "pop", progress=False, out_dir=tmp_path / "run")
    shutil.rmtree(tmp_path / "cache")
    with pytest.raises(
        FileNotFoundError, match=r"run was trained with the data folder .*sub, which is gone \("
    ):
        TrainedRecommender.load(tmp_path / "run", device="cpu")
    # the route the message gives: another folder in config.json, and the same split
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    config["data"]["data_dir"] = str(tmp_path / "elsewhere")
    (tmp_path / "run" / "config.json").write_text(json.dumps(config))
    assert TrainedRecommender.load(tmp_path / "run", device="cpu").split.n_users == 943


def test_a_checkpoint_of_another_run_is_refused_even_of_the_same_shape(tmp_path):
    spec = DataSpec(dataset="synthetic:60x40x900")
    for name, seed in (("a", 1), ("b", 2)):  # the same model, sizes and split; another training seed
        run_experiment(
            spec, "bpr", settings={"seed": seed}, epochs=1, progress=False, out_dir=tmp_path / name
        )
    ids = {json.loads((tmp_path / n / "config.json").read_text())["run_id"] for n in "ab"}
    assert len(ids) == 2  # each run has its own ID
    TrainedRecommender.load(tmp_path / "a", device="cpu")  # its own checkpoint: fine
    shutil.copy(tmp_path / "b" / "checkpoint.pt", tmp_path / "a" / "checkpoint.pt")
    with pytest.raises(ValueError, match="belongs to another run than its config.json"):
        TrainedRecommender.load(tmp_path / "a", device="cpu")
    # a run written before run IDs were recorded has one in neither file, and loads; its weights must still fit
    for name in "ab":
        config = json.loads((tmp_path / name / "config.json").read_text())
        del config["run_id"]
        (tmp_path / name / "config.json").write_text(json.dumps(config))
        saved = torch.load(tmp_path / name / "checkpoint.pt", weights_only=True)
        torch.save({"state_dict": saved["state_dict"]}, tmp_path / name / "checkpoint.pt")
    TrainedRecommender.load(tmp_path / "a", device="cpu")
    config = json.loads((tmp_path / "a" / "config.json").read_text())
    (tmp_path / "a" / "config.json").write_text(json.dumps(config | {"model": "pop", "model_config": {}}))
    with pytest.raises(ValueError, match=r"holds weights of another model than config.json describes \(M"):
        TrainedRecommender.load(tmp_path / "a", device="cpu")


def test_a_checkpoint_of_diverged_weights_is_refused(tmp_path):
    run_experiment(DataSpec(dataset="synthetic:60x40x900"), "bpr", epochs=1, progress=False, out_dir=tmp_path)
    saved = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    name = next(iter(saved["state_dict"]))
    saved["state_dict"][name][0, 0] = float("nan")
    torch.save(saved, tmp_path / "checkpoint.pt")
    with pytest.raises(ValueError, match=f"NaN or infinite \\({name}\\): its training diverged"):
        TrainedRecommender.load(tmp_path, device="cpu")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda c: 5, "holds a JSON int, not the object sslrec train writes"),
        (lambda c: [c], "holds a JSON list"),
        (lambda c: c | {"model": 5}, "'model' should be a string, got 5"),
        (lambda c: c | {"data": "x"}, "'data' should be a JSON object, got 'x'"),
        (lambda c: c | {"train_config": [1]}, "'train_config' should be a JSON object, got \\[1\\]"),
        (lambda c: c | {"run_id": 7}, "'run_id' should be a string, got 7"),
        (lambda c: {k: v for k, v in c.items() if k != "model"}, "it lacks \\['model'\\]"),
        (
            lambda c: c | {"train_config": {"ks": "10"}},
            "'ks' should be a list of positive integers, got '10'",
        ),
        (
            lambda c: c | {"train_config": {"ks": None}},
            "'ks' should be a list of positive integers, got None",
        ),
        (lambda c: c | {"model": "easy"}, "unknown model 'easy'.*did you mean 'ease'.*edited by hand"),
        (lambda c: c | {"model_config": {"reg": "x"}}, "reg expects a number, got 'x' \\(was it edited"),
    ],
)
def test_a_hand_edited_config_is_named_not_a_traceback(tmp_path, capsys, edit, message):
    from sslrec_utils.cli import main

    run_experiment(DataSpec(dataset="synthetic:60x40x900"), "ease", progress=False, out_dir=tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    (tmp_path / "config.json").write_text(json.dumps(edit(config)))
    with pytest.raises(ValueError, match=message):
        TrainedRecommender.load(tmp_path, device="cpu")
    capsys.readouterr()
    assert main(["evaluate", "--run", str(tmp_path), "-q"]) == 2
    assert capsys.readouterr().err.startswith("sslrec: error: ")


def test_a_folder_in_place_of_a_runs_file_is_named(tmp_path):
    run_experiment(DataSpec(dataset="synthetic:60x40x900"), "pop", progress=False, out_dir=tmp_path / "run")
    for name in ("checkpoint.pt", "config.json"):
        (tmp_path / "run" / name).unlink()
        (tmp_path / "run" / name).mkdir()
        with pytest.raises(ValueError, match=f"{name} is not a file: is .* written by sslrec train"):
            TrainedRecommender.load(tmp_path / "run", device="cpu")


def test_a_runs_file_given_for_its_folder_names_the_folder(tmp_path):
    """`--run run/config.json` had said "run/config.json/config.json not found"."""
    run_experiment(DataSpec(dataset="synthetic:60x40x900"), "pop", progress=False, out_dir=tmp_path / "run")
    with pytest.raises(
        ValueError, match=f"config.json is a file: give the run's folder, {tmp_path / 'run'}$"
    ):
        TrainedRecommender.load(tmp_path / "run" / "config.json", device="cpu")
    # a file elsewhere: its folder is no run, so it is not offered as one
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(
        ValueError, match="notes.txt is a file: give a run's folder, one that sslrec train --out"
    ):
        TrainedRecommender.load(tmp_path / "notes.txt", device="cpu")
    # a mistyped folder: it is what is missing (it had been "nosuch/config.json not found")
    with pytest.raises(
        FileNotFoundError, match="^no run folder .*nosuch: give a folder that sslrec train --out"
    ):
        TrainedRecommender.load(tmp_path / "nosuch", device="cpu")


def test_a_synthetic_run_of_a_later_seed_reloads(tmp_path):
    # as the report does: one log loaded once, split and trained once per seed
    spec = DataSpec(dataset="synthetic:60x40x900")
    inter, _ = load_data(spec)
    split = make_split(inter, "holdout", seed=2021)
    run_experiment(spec.replace(seed=2021), "pop", split=split, progress=False, out_dir=tmp_path / "run")
    assert split_fingerprint(TrainedRecommender.load(tmp_path / "run", device="cpu").split) == (
        split_fingerprint(split)
    )


def test_cut_offs_beyond_the_number_of_items_are_named(tmp_path):
    path = tmp_path / "three.csv"
    path.write_text("user,item\n" + "".join(f"{u},{i}\n" for u in (1, 2, 3) for i in "abc"))
    with pytest.raises(
        ConfigError,
        # the settings to give instead, as the record below gives them
        match=r"ks=\[10, 20\] but the data has 3 items: k must lie in \[1, n_items=3\], got 10; give cut-offs of at "
        r"most 3 and a metric at one of them, e.g. --set ks=\[3\] --set metric=ndcg@3$",
    ):
        run_experiment(DataSpec(dataset=str(path)), "pop", progress=False)
    record = run_experiment(
        DataSpec(dataset=str(path)), "pop", settings=["ks=[1]", "metric=ndcg@1"], progress=False
    )
    assert 0 <= record["test"]["ndcg@1"] <= 1


def test_the_split_fingerprint_is_the_same_in_another_process_and_optional(csv_spec, tmp_path):
    import subprocess
    import sys

    from sslrec_utils.experiment import split_fingerprint

    mine = split_fingerprint(load_split(csv_spec)[0])
    code = (
        "import sys; from sslrec_utils.experiment import DataSpec, load_split, split_fingerprint; "
        "print(split_fingerprint(load_split(DataSpec.from_dict(eval(sys.argv[1])))[0]))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "123"}  # str hashes differ between processes: not used
    other = subprocess.run(
        [sys.executable, "-c", code, repr(csv_spec.to_dict())],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert other.stdout.strip() == mine and len(mine) == 16
    assert split_fingerprint(load_split(csv_spec.replace(seed=7))[0]) != mine
    # an item renamed in the file, the rows and the split otherwise the same
    frame = pd.read_csv(csv_spec.dataset)
    renamed = tmp_path / "renamed.csv"
    frame.assign(what=frame["what"].replace(45, 46)).to_csv(renamed, index=False)  # the last ID: order kept
    same, renamed_split = load_split(csv_spec)[0], load_split(csv_spec.replace(dataset=str(renamed)))[0]
    for name, part in same.parts.items():
        assert renamed_split.parts[name][["user", "item"]].equals(part[["user", "item"]])
    assert split_fingerprint(renamed_split) != mine
    # a run written before fingerprints were recorded still loads
    run_experiment(csv_spec, "pop", progress=False, out_dir=tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config.pop("split_fingerprint") == mine
    (tmp_path / "config.json").write_text(json.dumps(config))
    assert (
        TrainedRecommender.load(tmp_path, device="cpu")
        .split.parts["test"]
        .equals(load_split(csv_spec)[0].parts["test"])
    )


def test_a_setting_may_refine_the_seed_and_progress_but_not_repeat_an_option():
    _, cfg = resolve_configs("ae", ["seed=7", "progress=false"], seed=2020, progress=True, epochs=None)
    assert cfg.seed == 7 and cfg.progress is False
    with pytest.raises(ConfigError, match=r"\['epochs'\] given twice"):
        resolve_configs("ae", ["epochs=1"], epochs=3)


def test_the_order_of_ties_is_a_data_option_and_older_runs_reload_with_theirs(tmp_path):
    from sslrec_utils.cli import main

    with pytest.raises(ConfigError, match="unknown ties='time'; valid: random, row, item"):
        DataSpec(ties="time")
    # 40 users: twenty films apart, then three in one second, written highest ID first
    films = [(20 + k, k - 20) for k in range(20)] + [(9, 3), (8, 3), (7, 3)]
    rows = [(u, i, 1.0, t) for u in range(40) for i, t in films]
    path = tmp_path / "log.csv"
    pd.DataFrame(rows, columns=["user", "item", "rating", "timestamp"]).to_csv(path, index=False)
    spec = DataSpec(dataset=str(path), time_col="timestamp", split="loo")
    tests = {ties: load_split(spec.replace(ties=ties))[0].parts["test"]["item"] for ties in ("row", "item")}
    assert set(tests["row"]) == {0} and set(tests["item"]) == {2}  # the indices of films 7 and 9
    data = ["--dataset", str(path), "--time-col", "timestamp", "--split", "loo", "-q"]
    assert main(["train", "--model", "pop", *data, "--ties", "row", "--out", str(tmp_path / "row")]) == 0
    assert json.loads((tmp_path / "row" / "config.json").read_text())["data"]["ties"] == "row"
    # a run written before the option existed had its ties ordered by item ID, and reloads so
    for ties, reloads in (("item", True), ("random", False)):
        out = tmp_path / ties
        run_experiment(spec.replace(ties=ties), "pop", progress=False, out_dir=out)
        config = json.loads((out / "config.json").read_text())
        del config["data"]["ties"]
        (out / "config.json").write_text(json.dumps(config))
        if reloads:
            assert (
                TrainedRecommender.load(out, device="cpu").split.parts["test"]["item"].equals(tests["item"])
            )
        else:
            with pytest.raises(ValueError, match="no longer gives the split .* the data has changed since"):
                TrainedRecommender.load(out, device="cpu")


def test_a_run_on_a_relative_path_works_from_any_folder_with_ids_as_printed(
    csv_spec, tmp_path, monkeypatch, capsys
):
    from sslrec_utils.cli import main

    log = pd.read_csv(csv_spec.dataset, dtype={"who": str, "what": str})
    log["what"] = "0" + log["what"]  # item IDs with a leading zero ("012"): kept as text
    (tmp_path / "data").mkdir()
    log.to_csv(tmp_path / "data" / "shop.csv", index=False)
    monkeypatch.chdir(tmp_path / "data")
    train = ["train", "--model", "ease", "--dataset", "shop.csv", "--user-col", "who", "--item-col", "what"]
    assert main([*train, "--out", str(tmp_path / "run"), "-q", "--device", "cpu"]) == 0
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["data"]["dataset"] == str(tmp_path / "data" / "shop.csv")  # absolute: found from anywhere
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    assert main(["evaluate", "--run", "run", "-q"]) == 0
    capsys.readouterr()
    # an item ID copied from the output ("012", all digits) is read as the text it is
    assert main(["recommend", "--run", "run", "--user", "u001", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)[0]["item"]
    assert first.startswith("0") and main(["recommend", "--run", "run", "--similar", first]) == 0
    assert main(["recommend", "--run", "run", "--similar", f"{first},{first}"]) == 2  # one item, not two
    assert "--similar takes one item ID" in capsys.readouterr().err
    # a history that holds the whole catalogue leaves nothing to recommend: one line, not an empty table
    every = ",".join(sorted(log["what"].unique()))
    assert main(["recommend", "--run", "run", "--history", every]) == 0
    printed = capsys.readouterr()
    assert printed.out == "" and printed.err == (
        "sslrec: no item left to recommend: the history holds every item of the catalogue\n"
    )
    everything_but_two = ",".join(sorted(log["what"].unique())[2:])
    assert main(["recommend", "--run", "run", "--history", everything_but_two, "-k", "5", "--json"]) == 0
    printed = capsys.readouterr()
    n_items = log["what"].nunique()
    assert len(json.loads(printed.out)) == 2
    assert printed.err == (
        f"sslrec: only 2 items left to recommend: the history holds the others of the catalogue's {n_items}\n"
    )
    # EASE relates an item to those whose scores it raises, fewer than the catalogue's others here; an
    # embedding model compares it with every other item
    assert main(["recommend", "--run", "run", "--similar", first, "-k", str(n_items + 5), "--json"]) == 0
    printed = capsys.readouterr()
    n = len(json.loads(printed.out))
    assert n < n_items - 1 and printed.err == f"sslrec: the model relates only {n} items to {first}\n"
    ae = ["train", "--model", "ae", *train[3:], "--epochs", "1", "--out", "ae", "-q", "--device", "cpu"]
    ae[ae.index("shop.csv")] = "data/shop.csv"  # from tmp_path now
    assert main(ae) == 0
    capsys.readouterr()
    assert main(["recommend", "--run", "ae", "--similar", first, "-k", str(n_items + 5), "--json"]) == 0
    printed = capsys.readouterr()
    assert len(json.loads(printed.out)) == n_items - 1
    assert printed.err == f"sslrec: only {n_items - 1} other items in the catalogue\n"
    # a checkpoint cut short (a copy interrupted, a full disk) is named, not a traceback
    checkpoint = tmp_path / "run" / "checkpoint.pt"
    checkpoint.write_bytes(checkpoint.read_bytes()[:100])
    capsys.readouterr()
    assert main(["evaluate", "--run", "run", "-q"]) == 2
    assert "checkpoint.pt cannot be read (" in capsys.readouterr().err


def train_ae(spec: DataSpec) -> list[str]:
    """``sslrec train`` of the article's autoencoder on the CSV of `csv_spec` (its column names)."""
    return ["train", "--model", "ae", "--dataset", spec.dataset, "--user-col", "who", "--item-col", "what"]


@pytest.mark.parametrize(
    ("error", "status", "message"),
    [
        (FloatingPointError("training loss became nan at epoch 2; lower the lr"), 2, "lower the lr"),
        (KeyboardInterrupt(), 130, "sslrec: interrupted"),
    ],
)
def test_a_diverged_or_interrupted_run_ends_with_one_line(
    csv_spec, tmp_path, monkeypatch, capsys, error, status, message
):
    import sslrec_utils.experiment as experiment
    from sslrec_utils.cli import main

    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(experiment, "run_experiment", fail)
    argv = train_ae(csv_spec)
    assert main([*argv, "--out", str(tmp_path / "run"), "-q"]) == status
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and not (tmp_path / "run").exists()


def test_the_checkpoint_a_failed_run_keeps_can_be_evaluated(csv_spec, tmp_path, monkeypatch, capsys):
    # training saved its best epoch, then the run failed (here: at the test evaluation): the kept folder holds
    # a config.json beside the checkpoint, so the commands that read runs take it, as the message says
    import sslrec_utils.experiment as experiment
    from sslrec_utils.cli import main

    def fail(*args, **kwargs):
        raise ValueError("the machine went away")

    monkeypatch.setattr(experiment.runs, "evaluate_model", fail)
    argv = train_ae(csv_spec)
    assert main([*argv, "--epochs", "2", "--out", str(tmp_path / "run"), "-q"]) == 2
    err = capsys.readouterr().err
    kept = Path(re.search(r"the unfinished result is kept in (\S+) \(its best epoch so far", err).group(1))
    assert f"`sslrec evaluate --run {kept}` tests it" in err and not (tmp_path / "run").exists()
    assert sorted(p.name for p in kept.iterdir()) == ["checkpoint.pt", "config.json"]
    monkeypatch.undo()
    assert main(["evaluate", "--run", str(kept), "--json", "-q"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["model"] == "ae" and 0 <= record["ndcg@10"] <= 1


def test_force_never_replaces_a_folder_that_is_not_a_run(csv_spec, tmp_path, capsys):
    # the user's log is named history.csv, as a run's history is: --force must not take the folder for a run
    from sslrec_utils.cli import main

    proj = tmp_path / "proj"
    proj.mkdir()
    data = Path(csv_spec.dataset).read_text()
    (proj / "history.csv").write_text(data)
    argv = ["train", "--model", "pop", "--dataset", str(proj / "history.csv"), "--user-col", "who"]
    argv += ["--item-col", "what", "--out", str(proj), "--force", "-q"]
    assert main(argv) == 2
    assert "nothing marks it as one of its results (no config.json)" in capsys.readouterr().err
    assert (proj / "history.csv").read_text() == data and sorted(p.name for p in proj.iterdir()) == [
        "history.csv"
    ]


def test_a_run_written_through_the_api_reloads_from_any_folder_and_holds_only_its_files(
    csv_spec, tmp_path, monkeypatch
):
    from sslrec_utils.recommend import TrainedRecommender

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "log.csv").write_text(Path(csv_spec.dataset).read_text())
    monkeypatch.chdir(tmp_path / "data")
    spec = dataclasses.replace(csv_spec, dataset="log.csv")  # relative, as a notebook would write it
    run_experiment(spec, "ease", progress=False, out_dir=tmp_path / "run")
    assert (tmp_path / "run" / "search.csv").is_file()
    run_experiment(spec, "pop", progress=False, out_dir=tmp_path / "run")  # the same folder again
    assert not (tmp_path / "run" / "search.csv").exists()  # EASE's search is not pop's
    monkeypatch.chdir(tmp_path)
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["data"]["dataset"] == str(tmp_path / "data" / "log.csv")
    assert len(TrainedRecommender.load(tmp_path / "run", device="cpu").recommend(["u001"], k=3)) == 3


def test_settings_and_search_of_the_wrong_kind_are_refused():
    """``search="false"`` had run the grid (a non-empty string is true); ``settings="lr=0.01"`` was read a
    character at a time ("expected key=value, got 'l'"); a ("lr", 0.01) pair gave an AttributeError."""
    spec = DataSpec(dataset="synthetic:60x40x900")
    for settings, message in [
        ("lr=0.01", "settings are a list of 'key=value' strings or a mapping, got the string 'lr=0.01'"),
        ([("lr", 0.01)], "settings are 'key=value' strings or a mapping, got ('lr', 0.01)"),
    ]:
        with pytest.raises(ConfigError, match=re.escape(message)):
            run_experiment(spec, "pop", settings=settings, progress=False)
    with pytest.raises(ConfigError, match="search must be True, False or None, got 'false'"):
        run_experiment(spec, "pop", search="false", progress=False)


def test_configs_of_the_wrong_kind_or_with_misplaced_keys_are_refused():
    # each had failed later, on an attribute, or had been ignored (a misspelt fixed key left it searched)
    from sslrec_utils.experiment import resolve_configs, train_on_split
    from sslrec_utils.models import build_model
    from sslrec_utils.models.base import TrainData
    from sslrec_utils.train import fit

    split = make_split(clustered_interactions(n_users=30), "holdout", seed=0)
    model_cfg, train_cfg = resolve_configs("multvae", epochs=1, progress=False, device="cpu")
    with pytest.raises(
        ConfigError, match=re.escape("dropout is a setting of the model, not of training: give it")
    ):
        resolve_configs("multvae", dropout=0.3)
    with pytest.raises(
        ConfigError, match=r"fixed names unknown setting\(s\) \['anneal_capp'\]; did you mean"
    ):
        train_on_split(split, model_cfg, train_cfg, search=True, fixed=["anneal_capp"])
    with pytest.raises(ConfigError, match="fixed is a list of setting names, got the string 'anneal_cap'"):
        train_on_split(split, model_cfg, train_cfg, fixed="anneal_cap")
    with pytest.raises(TypeError, match="model_cfg must be a model's config, .* got str 'multvae'"):
        train_on_split(split, "multvae", train_cfg)
    with pytest.raises(TypeError, match="the training config must be a TrainConfig, .* got dict"):
        train_on_split(split, model_cfg, {"epochs": 1})
    with pytest.raises(TypeError, match="the training config must be a TrainConfig, .* got dict"):
        fit(build_model(model_cfg, TrainData.from_split(split), seed=0), split, {"epochs": 1})
    # a fixed training key (run_experiment passes every setting given) is no unknown one
    assert train_on_split(split, model_cfg, train_cfg, search=False, fixed=["epochs", "dropout"]).model


def test_a_user_who_has_seen_every_item_is_named_among_others(tmp_path, capsys):
    # with several users, the one whose history holds the whole catalogue had been left out without a word
    from sslrec_utils.cli import main

    rng = np.random.default_rng(0)
    rows = [("all", f"i{j}") for j in range(20)]
    rows += [(f"u{u}", f"i{j}") for u in range(40) for j in rng.choice(20, size=8, replace=False)]
    pd.DataFrame(rows, columns=["user", "item"]).to_csv(tmp_path / "full.csv", index=False)
    run = str(tmp_path / "run")
    assert (
        main(["train", "--model", "ease", "--dataset", str(tmp_path / "full.csv"), "--out", run, "-q"]) == 0
    )
    capsys.readouterr()
    assert main(["recommend", "--run", run, "--user", "all,u1", "-k", "2"]) == 0
    printed = capsys.readouterr()
    assert "u1" in printed.out and "all" not in printed.out.split("\n", 1)[1]
    assert printed.err == "sslrec: no item left to recommend for user all: the history holds every item\n"
    # a list shorter than -k is said too (it had been shorter without a word), and true when -k is beyond the
    # catalogue (20 items); a user named twice gets one list (it had been printed twice) and one line
    for k in ("20", "100"):
        assert main(["recommend", "--run", run, "--user", "u1,all,u1", "-k", k, "--json"]) == 0
        printed = capsys.readouterr()
        records = json.loads(printed.out)
        n = len(records)
        assert {row["user"] for row in records} == {"u1"} and [row["rank"] for row in records] == [
            *range(1, n + 1)
        ]
        assert 0 < n < 20 and printed.err == (
            "sslrec: no item left to recommend for user all: the history holds every item\n"
            f"sslrec: fewer than {k} items left to recommend for user u1 ({n}): the history holds the others of "
            "the catalogue's 20\n"
        )
    # ItemKNN relates an item to the items it is a neighbour of: fewer than asked, said as such
    knn = str(tmp_path / "knn")
    data = ["--dataset", str(tmp_path / "full.csv"), "-q", "--set", "k=2", "--no-search"]
    assert main(["train", "--model", "itemknn", *data, "--out", knn]) == 0
    capsys.readouterr()
    assert main(["recommend", "--run", knn, "--similar", "i0", "-k", "10", "--json"]) == 0
    printed = capsys.readouterr()
    n = len(json.loads(printed.out))
    assert n < 10 and printed.err == f"sslrec: the model relates only {n} item{'s' * (n != 1)} to i0\n"


def test_a_search_asked_for_with_nothing_to_search_says_so():
    # `--search` had been ignored without a word for a model without a grid, or with every grid key set
    from sslrec_utils.experiment import resolve_configs, train_on_split

    split, _ = load_split(DataSpec(dataset="synthetic:60x50x1200"))
    for model, settings, what in (
        ("pop", {}, "Pop: it has no grid"),
        ("ease", {"reg": 100.0}, "EASE: every key of its grid (reg) is set"),
    ):
        model_cfg, train_cfg = resolve_configs(model, settings)
        with pytest.warns(UserWarning, match=f"^nothing to search for {re.escape(what)}$"):
            train_on_split(split, model_cfg, train_cfg, search=True, fixed=settings)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the default (closed-form models search their grid) says nothing
        train_on_split(split, *resolve_configs("pop"))
