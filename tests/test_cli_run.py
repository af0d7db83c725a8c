"""The `sslrec` commands on a small trained run: `train`'s defaults, `evaluate`'s phase and cut-offs,
`recommend`'s list length (`report`'s flags: test_reports.py)."""

import json
from pathlib import Path

import pytest

from sslrec_utils.cli import build_parser, main
from sslrec_utils.recommend import TrainedRecommender

SYNTH = "synthetic:60x50x1200"


# ---- sslrec train / evaluate / recommend on one small run ---------------------------------------------------


@pytest.fixture(scope="module")
def pop_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = tmp_path_factory.mktemp("pop") / "run"
    argv = ["train", "--model", "pop", "--dataset", SYNTH, "-q", "--device", "cpu"]
    assert main([*argv, "--out", str(run)]) == 0
    return run


def _evaluate(run: Path, capsys, *extra: str) -> dict:
    capsys.readouterr()
    assert main(["evaluate", "--run", str(run), "--json", "-q", "--device", "cpu", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def test_train_default_seed_is_2020(pop_run: Path) -> None:
    assert json.loads((pop_run / "config.json").read_text())["data"]["seed"] == 2020


@pytest.mark.parametrize("command", ["train", "report"])
@pytest.mark.parametrize("flag", ["--dataset", "--data"])
def test_train_and_report_take_the_data_set_by_either_name(command: str, flag: str) -> None:
    # report's --data and train's --dataset: each takes the other's name (--data is no prefix of --data-dir)
    args = build_parser().parse_args(
        [command, flag, SYNTH, "--out", "o", *(["--model", "pop"] * (command == "train"))]
    )
    assert (args.dataset if command == "train" else args.data) == SYNTH


def test_evaluate_scores_the_phase_asked_test_by_default(pop_run: Path, capsys) -> None:
    metrics = json.loads((pop_run / "metrics.json").read_text())
    # the two phases score differently here, so that the checks below can tell one from the other
    assert metrics["valid"]["ndcg@10"] != pytest.approx(metrics["test"]["ndcg@10"])
    default = _evaluate(pop_run, capsys)
    assert default["phase"] == "test" and default["ndcg@10"] == pytest.approx(metrics["test"]["ndcg@10"])
    valid = _evaluate(pop_run, capsys, "--phase", "valid")
    assert valid["phase"] == "valid" and valid["ndcg@10"] == pytest.approx(metrics["valid"]["ndcg@10"])


def test_evaluate_cut_offs_zero_refused_catalogue_size_accepted(pop_run: Path, capsys) -> None:
    capsys.readouterr()
    assert main(["evaluate", "--run", str(pop_run), "--ks", "0"]) == 2
    assert capsys.readouterr().err.startswith("sslrec: error: --ks takes positive integers")
    n_items = TrainedRecommender.load(pop_run, device="cpu").split.n_items
    assert f"recall@{n_items}" in _evaluate(pop_run, capsys, "--ks", f"5,{n_items}")


def test_recommend_gives_k_items_ten_by_default(pop_run: Path, capsys) -> None:
    user = TrainedRecommender.load(pop_run, device="cpu").split.user_map.ids[0]
    capsys.readouterr()
    assert main(["recommend", "--run", str(pop_run), "--user", str(user), "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 10
    assert main(["recommend", "--run", str(pop_run), "--user", str(user), "--json", "-k", "3"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 3


def test_a_list_of_exactly_k_items_is_not_called_short(pop_run: Path, capsys) -> None:
    rec = TrainedRecommender.load(pop_run, device="cpu")
    user = rec.split.user_map.ids[0]
    idx = rec.split.user_map.to_index([user], kind="user IDs")
    unseen = int(rec.split.n_items - rec.history[idx].getnnz(axis=1)[0])
    capsys.readouterr()
    assert main(["recommend", "--run", str(pop_run), "--user", str(user), "--json", "-k", str(unseen)]) == 0
    printed = capsys.readouterr()
    assert len(json.loads(printed.out)) == unseen and printed.err == ""
    argv = ["recommend", "--run", str(pop_run), "--user", str(user), "--json"]
    assert main([*argv, "-k", str(unseen + 1)]) == 0
    short = f"fewer than {unseen + 1} items left to recommend for user {user} ({unseen})"
    assert short in capsys.readouterr().err
