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
