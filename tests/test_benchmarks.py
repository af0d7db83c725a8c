import pandas as pd

from benchmarks import leaderboard


def test_leaderboard_runs_models_over_seeds_and_writes_tables(tmp_path):
    assert leaderboard.main(["--models", "pop", "--seeds", "2020", "2021", "--out", str(tmp_path)]) == 0
    runs = pd.read_csv(tmp_path / "runs.csv")
    assert list(runs["seed"]) == [2020, 2021] and set(runs["model"]) == {"pop"}
    # popularity on ml-100k's per-user holdout: well above random (~0.006), well below personalised models
    assert runs["ndcg@10"].between(0.10, 0.20).all()
    assert (runs["peak_rss_mb"] > 50).all()
    table = pd.read_csv(tmp_path / "leaderboard.csv", index_col=0)
    assert table.loc["pop", "seeds"] == 2
    assert table.loc["pop", "ndcg@10_mean"] == runs["ndcg@10"].mean()
    md = (tmp_path / "leaderboard.md").read_text()
    assert "| pop |" in md and "±" in md
    assert (tmp_path / "runs" / "pop-2020" / "metrics.json").exists()


def test_leaderboard_merges_runs_without_training(tmp_path):
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
    table = pd.read_csv(out / "leaderboard.csv", index_col=0)
    assert table.loc["lightgcn", "seeds"] == 3
    assert abs(table.loc["lightgcn", "ndcg@10_mean"] - (0.30 + 0.34 + 0.36) / 3) < 1e-12
    assert table.loc["lightgcn", "beats_recbole"]  # RecBole's LightGCN: 0.2823
    assert "seeds 2020, 2021, 2022" in (out / "leaderboard.md").read_text()
