"""Tests of `sslrec_utils.applications` (neighbours, look-alike, overlap, text features) and
`sslrec_utils.robustness` (noise and sparsity in the training part)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch

from sslrec_utils.applications import cosine_neighbours, jaccard, lookalike, profile_scores, roc_auc, tfidf
from sslrec_utils.data import preprocess
from sslrec_utils.models import build_model
from sslrec_utils.models.base import TrainData
from sslrec_utils.robustness import evaluate_perturbed, with_dropped, with_noise
from sslrec_utils.splits import Split, holdout_split, loo_split
from sslrec_utils.train import evaluate_model
from tests.helpers import clustered_interactions

# ---- neighbours and look-alike ----------------------------------------------------------------------------


def test_cosine_neighbours_exact() -> None:
    emb = torch.tensor([[1.0, 0.0], [2.0, 0.1], [0.0, 1.0], [-1.0, -0.1]])
    idx, sim = cosine_neighbours(emb, [0, 2], k=2)
    assert idx.tolist() == [[1, 2], [1, 0]]
    assert sim[0, 0] == pytest.approx(2 / np.hypot(2, 0.1), rel=1e-6)
    assert sim[0, 1] == pytest.approx(0.0, abs=1e-7)
    with_self, _ = cosine_neighbours(emb, [0], k=1, exclude_self=False)
    assert with_self.tolist() == [[0]]
    with pytest.raises(ValueError, match="k must lie"):
        cosine_neighbours(emb, [0], k=4)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_neighbours_and_lookalike_take_gpu_embeddings() -> None:
    emb = torch.randn(20, 4, generator=torch.Generator().manual_seed(0))
    for fn, args in ((cosine_neighbours, ([0, 3], 5)), (lookalike, ([1, 2],))):
        for on_cpu, on_gpu in zip(fn(emb, *args), fn(emb.cuda(), *args), strict=True):
            np.testing.assert_allclose(on_gpu, on_cpu, rtol=1e-5, atol=1e-6)


def test_cosine_neighbours_agree_with_brute_force() -> None:
    rng = np.random.default_rng(0)
    emb = rng.normal(size=(50, 8))
    idx, sim = cosine_neighbours(emb, np.arange(50), k=5)
    unit = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    full = unit @ unit.T
    np.fill_diagonal(full, -np.inf)
    assert (idx == np.argsort(-full, axis=1)[:, :5]).all()
    assert np.allclose(sim, np.sort(full, axis=1)[:, ::-1][:, :5], atol=1e-5)


def test_lookalike_ranks_the_seed_clusters_members_first() -> None:
    rng = np.random.default_rng(1)
    centres = np.array([[5.0, 0, 0], [0, 5.0, 0]])
    emb = np.concatenate([centres[0] + rng.normal(size=(20, 3)), centres[1] + rng.normal(size=(20, 3))])
    ranked, scores = lookalike(emb, [0, 1, 2, 2])
    assert len(ranked) == 37 and not {0, 1, 2} & set(ranked.tolist())
    assert set(ranked[:17].tolist()) == set(range(3, 20))  # the rest of the seed's cluster comes first
    assert (np.diff(scores) <= 1e-7).all()
    with pytest.raises(ValueError, match="empty"):
        lookalike(emb, [])


def test_jaccard_exact() -> None:
    m = sp.csr_matrix(np.array([[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 0, 0], [3, 2, 0, 0]]))
    assert jaccard(m, [0, 0, 2, 0], [1, 3, 2, 2]).tolist() == [1 / 3, 1.0, 0.0, 0.0]
    with pytest.raises(ValueError, match="same length"):
        jaccard(m, [0], [1, 2])


# ---- text features and cold start ---------------------------------------------------------------------------


def test_tokens_keep_inner_hyphens_and_apostrophes() -> None:
    from sslrec_utils.applications import tokenize

    assert tokenize("Children's Sci-Fi, Film-Noir (1995)") == ["children's", "sci-fi", "film-noir", "1995"]
    assert tokenize("Don’t -- rock-'n'-roll_x 'quoted' a-") == [
        "don’t",
        "rock",
        "n",
        "roll",
        "x",
        "quoted",
        "a",
    ]


def test_tfidf_weights_and_norms() -> None:
    features, vocab = tfidf(["Star Wars", "star trek", "Trek: the Wrath!"])
    assert vocab == ["star", "the", "trek", "wars", "wrath"]
    idf = {
        t: np.log(4 / (1 + df)) + 1
        for t, df in {"star": 2, "the": 1, "trek": 2, "wars": 1, "wrath": 1}.items()
    }
    row0 = np.array([idf["star"], 0, 0, idf["wars"], 0])
    assert np.allclose(features.toarray()[0], row0 / np.linalg.norm(row0))
    assert np.allclose(np.linalg.norm(features.toarray(), axis=1), 1.0)
    _, kept = tfidf(["a b", "a c"], min_df=2)
    assert kept == ["a"]


def test_profile_scores_are_cosines_of_summed_profiles() -> None:
    features = sp.csr_matrix(np.array([[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0]]))
    history = sp.csr_matrix(np.array([[1, 1, 0], [0, 0, 1], [0, 0, 0]]))
    new = sp.csr_matrix(np.array([[1.0, 1.0, 0], [0, 0, 2.0]]))
    scores = profile_scores(history, features, new)
    assert np.allclose(scores, [[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    # dense embeddings (a sentence model's) go in as sparse matrices; as arrays they are refused by name
    with pytest.raises(TypeError, match=r"features must be a scipy sparse matrix, got ndarray: pass dense"):
        profile_scores(history, features.toarray(), new)


def test_roc_auc_exact_and_against_pair_counting() -> None:
    assert roc_auc([0.9, 0.8, 0.1], [True, False, False]) == 1.0
    assert roc_auc([0.5, 0.5], [True, False]) == 0.5
    rng = np.random.default_rng(2)
    s, y = rng.integers(0, 5, 200).astype(float), rng.random(200) < 0.3
    pos, neg = s[y], s[~y]
    brute = ((pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()) / (
        len(pos) * len(neg)
    )
    assert roc_auc(s, y) == pytest.approx(brute)
    with pytest.raises(ValueError, match="both classes"):
        roc_auc([1.0, 2.0], [True, True])


# ---- robustness: noise and sparsity in the training part ------------------------------------------------------


@pytest.fixture(scope="module")
def base_split():
    return holdout_split(clustered_interactions(), seed=0)


def test_with_noise_adds_new_pairs_only_to_train(base_split) -> None:
    noisy = with_noise(base_split, rate=0.5, seed=3)
    train, fake_n = base_split.parts["train"], len(noisy.parts["train"]) - len(base_split.parts["train"])
    assert fake_n == round(0.5 * len(train))  # as promised: collisions are drawn again, not dropped
    assert len(with_noise(base_split, 1.0, seed=3).parts["train"]) == 2 * len(train)
    for part in ("valid", "test"):
        assert noisy.parts[part] is base_split.parts[part]
    fake = noisy.matrix("train") - base_split.matrix("train")
    assert fake.min() >= 0 and fake.max() == 1  # never a training pair, nor one fake pair twice
    assert fake.multiply(base_split.matrix("train")).nnz == 0
    # the draw knows nothing of the held-out parts: at a high rate some fake rows fall on them, as noise would
    heldout = base_split.matrix("valid", "test")
    assert with_noise(base_split, 1.0, seed=3).matrix("train").multiply(heldout).nnz > 0
    assert noisy.parts["train"].index.is_unique
    assert noisy.parts["train"].dtypes.to_dict() == train.dtypes.to_dict()
    assert with_noise(base_split, 0.0, seed=3) is base_split
    assert with_noise(base_split, 0.5, seed=3).parts["train"].equals(noisy.parts["train"])  # seeded


def test_with_dropped_keeps_a_row_per_user(base_split) -> None:
    train = base_split.parts["train"]
    sparse = with_dropped(base_split, share=0.6, seed=4)
    kept = sparse.parts["train"]
    assert len(kept) == len(train) - round(0.6 * len(train))
    assert set(kept.index) <= set(train.index)
    assert kept["user"].nunique() == train["user"].nunique()
    assert sparse.parts["test"] is base_split.parts["test"]
    with pytest.raises(ValueError, match="share"):
        with_dropped(base_split, share=1.0, seed=0)


def test_with_dropped_drops_light_and_heavy_users_rows_alike() -> None:
    """Each droppable row has the same chance: the draw that chose the protected rows had also ordered the
    others, so a user of 2 rows lost their droppable row with chance 0.14 and a user of 20 each with 0.34."""
    rows = [(u, i, 1.0, i) for u in range(20) for i in range(2 if u < 10 else 20)]
    inter = preprocess(pd.DataFrame(rows, columns=["user", "item", "rating", "timestamp"]))
    empty = inter.frame.iloc[:0]
    split = Split(
        {"train": inter.frame, "valid": empty, "test": empty}, inter.user_map, inter.item_map, "holdout", 0
    )
    light = inter.frame["user"].to_numpy() < 10
    kept = np.zeros(len(inter.frame))
    for seed in range(300):
        kept[with_dropped(split, share=0.3, seed=seed).parts["train"].index] += 1
    dropped = 1 - kept / 300  # per row; each user's protected row is one of theirs at random
    light_rate = dropped[light].sum() / 10  # per droppable row: each light user has one
    heavy_rate = dropped[~light].sum() / (10 * 19)  # each heavy user has 19
    assert abs(light_rate - heavy_rate) < 0.05 and abs(heavy_rate - round(0.3 * 220) / 200) < 0.05
    # one seed's shares are nested: what 0.3 keeps, 0.1 keeps too
    kept = {share: set(with_dropped(split, share=share, seed=5).parts["train"].index) for share in (0.1, 0.3)}
    assert kept[0.3] < kept[0.1]


def test_evaluate_perturbed_matches_evaluate_model_on_a_clean_split(base_split) -> None:
    data = TrainData.from_split(base_split)
    model = build_model("pop", data)
    model.fit(data)
    same = evaluate_perturbed(model, base_split, base_split).summary
    assert same == pytest.approx(evaluate_model(model, base_split, "test").summary)
    sparse = with_dropped(base_split, share=0.5, seed=0)
    data = TrainData.from_split(sparse)
    model = build_model("pop", data)
    model.fit(data)
    fair = evaluate_perturbed(model, sparse, base_split)
    assert fair.n_users == base_split.eval_plan("test").users.size
    # popularity recounted on half the data ranks the dropped films high: excluded here, counted as misses there
    assert fair.summary["ndcg@10"] >= evaluate_model(model, sparse, "test").summary["ndcg@10"]
    # popularity ignores its input: with the clean split's exclusions it scores as on the clean split
    assert fair.summary == pytest.approx(evaluate_model(model, base_split, "test").summary)


def test_evaluate_perturbed_restores_the_training_mode_when_it_raises(base_split) -> None:
    data = TrainData.from_split(base_split)
    model = build_model("multdae", data, {"hidden_dims": [8, 4]}, seed=0).train()
    with pytest.raises(ValueError, match="k must lie in"):  # a cut-off beyond the catalogue
        evaluate_perturbed(model, base_split, base_split, ks=(data.n_items + 1,))
    assert model.training  # had been left in eval mode, so that dropout was off in later training
    evaluate_perturbed(model, base_split, base_split)
    assert model.training
    evaluate_perturbed(model.eval(), base_split, base_split)
    assert not model.training  # and an eval-mode model stays so


def test_neighbours_and_lookalike_refuse_what_has_no_answer() -> None:
    emb = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [5.0, 0.0], [0.0, 0.0]])
    # a negative seed had selected row 3 for the centroid but left it among the candidates
    with pytest.raises(ValueError, match=r"seeds must be row indices in \[0, 4\], got \[-1\]"):
        lookalike(emb, [-1])
    with pytest.raises(ValueError, match=r"queries must be row indices in \[0, 4\], got \[5\]"):
        cosine_neighbours(emb, [5], k=2)
    # a zero embedding has no direction: it had added nothing to the centroid, or got arbitrary neighbours
    with pytest.raises(ValueError, match=r"seeds \[4\] have all-zero embeddings"):
        lookalike(emb, [0, 4])
    with pytest.raises(ValueError, match=r"queries \[4\] have all-zero embeddings"):
        cosine_neighbours(emb, [4], k=2)
    # NaN (a diverged training) had been ranked first by one function and last by the other
    broken = np.vstack([emb[:4], [[np.nan, np.nan]]])
    for call in (lambda: lookalike(broken, [0]), lambda: cosine_neighbours(broken, [0], k=2)):
        with pytest.raises(ValueError, match="NaN or infinite"):
            call()
    with pytest.raises(ValueError, match="NaN"):
        roc_auc([np.nan, 0.1, 0.2], [True, False, False])
    assert roc_auc([-np.inf, 0.1, 0.2], [False, True, True]) == 1.0  # -inf is a score like any other


def test_with_dropped_refuses_a_share_it_cannot_drop_and_both_refuse_no_seed(base_split) -> None:
    n = len(base_split.parts["train"])
    users = base_split.parts["train"]["user"].nunique()
    most = (n - users) / n  # one row per user is kept
    assert len(with_dropped(base_split, share=most - 0.01, seed=0).parts["train"]) >= users
    with pytest.raises(ValueError, match=rf"keeping 1 per user leaves {n - users} droppable: at most share"):
        with_dropped(base_split, share=min(0.99, most + 0.05), seed=0)
    for perturb in (
        lambda: with_dropped(base_split, 0.5, seed=None),
        lambda: with_noise(base_split, 0.2, seed=None),
    ):
        with pytest.raises(ValueError, match="needs an integer seed"):
            perturb()


# ---- argument checks found by fuzzing ----------------------------------------------------------------------


def test_tfidf_reads_missing_texts_as_empty_documents_and_refuses_a_bare_string() -> None:
    import pandas as pd

    full, vocab = tfidf(["Toy Story", "Heat"])
    for gaps in (["Toy Story", None, "Heat"], pd.Series(["Toy Story", np.nan, "Heat"])):
        features, with_gaps = tfidf(gaps)  # a pandas column with gaps had raised AttributeError in tokenize
        assert with_gaps == vocab and features.shape == (3, len(vocab))
        assert features[1].nnz == 0  # the missing text: an all-zero row
        assert np.allclose(np.linalg.norm(features.toarray()[[0, 2]], axis=1), 1.0)
    assert tfidf(pd.Series(["Heat", None], dtype="string"))[0][1].nnz == 0  # pd.NA
    with pytest.raises(TypeError, match="docs must be a list of documents, got a single str"):
        tfidf("toy story")  # had been read as one document per character
    with pytest.raises(TypeError, match="text must be a str or missing"):
        tfidf(["Heat", 5])


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda m, e: jaccard(m, [-1], [0]), ValueError, r"a must be row indices in \[0, 3\], got \[-1\]"),
        (lambda m, e: jaccard(m, [0], [4]), ValueError, r"b must be row indices in \[0, 3\], got \[4\]"),
        (lambda m, e: jaccard(m, [0.7], [0]), TypeError, r"a must be integer row indices, got float64"),
        (lambda m, e: jaccard(m, [[0]], [[1]]), ValueError, r"a must be a 1-D sequence"),
        (lambda m, e: cosine_neighbours(e, [0.7, 2.9], 2), TypeError, "queries must be integer row indices"),
        (lambda m, e: cosine_neighbours(e, [True], 2), TypeError, "queries must be integer row indices"),
        (lambda m, e: lookalike(e, [0.7]), TypeError, "seeds must be integer row indices"),
        # each had failed with torch's or scipy's words
        (lambda m, e: cosine_neighbours(e, [0], 2.0), TypeError, "k must be an int, got 2.0"),
        (
            lambda m, e: lookalike(e[0], [0]),
            ValueError,
            r"must be a 2-D \(n, d\) array, one row each, got shape",
        ),
        (
            lambda m, e: profile_scores(m, sp.csr_matrix(e), sp.csr_matrix(e.T)),
            ValueError,
            "do not fit: features",
        ),
    ],
)
def test_row_indices_must_be_integers_in_range(call, error: type[Exception], message: str) -> None:
    m = sp.csr_matrix(np.array([[1, 1, 0], [0, 1, 1], [0, 0, 0], [1, 0, 1]]))
    emb = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [5.0, 0.0]])
    with pytest.raises(error, match=message):  # a -1 had used the last row, a float had been truncated
        call(m, emb)
    assert jaccard(m, np.array([0, 3], dtype=np.int32), [1, 0]).tolist() == [1 / 3, 1 / 3]
    assert jaccard(m, [], []).size == 0


def test_roc_auc_requires_boolean_or_binary_labels() -> None:
    assert roc_auc([0.1, 0.9, 0.5], [0.0, 1.0, 0.0]) == 1.0  # 0/1 floats, as a genre matrix .astype(float)
    assert roc_auc([0.1, 0.9, 0.5], np.array([0, 1, 0])) == 1.0
    # any truthy label had counted as positive: 0.2 and 0.9 were two positives, and the AUC 0.5
    with pytest.raises(
        ValueError, match=r"positives must be booleans or 0/1 labels, got float64 .*\[0.2, 0.9\]"
    ):
        roc_auc([0.1, 0.9, 0.5], [0.2, 0.9, 0.0])
    with pytest.raises(ValueError, match=r"0/1 labels, got int64 values such as \[-1\]"):
        roc_auc([0.1, 0.9, 0.5], [-1, 1, -1])  # had said "3 positives"
    with pytest.raises(ValueError, match="0/1 labels"):
        roc_auc([0.1, 0.9], ["yes", "no"])
    with pytest.raises(ValueError, match="3 scores, 2 positives and 0 negatives"):
        roc_auc([0.1, 0.9, 0.5], [True, True])


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda s: with_noise(s, float("nan"), seed=0),
            ValueError,
            "rate must be a finite number >= 0, got nan",
        ),
        (
            lambda s: with_noise(s, float("inf"), seed=0),
            ValueError,
            "rate must be a finite number >= 0, got inf",
        ),
        (lambda s: with_noise(s, -0.1, seed=0), ValueError, r"rate must be a finite number >= 0, got -0.1"),
        (lambda s: with_noise(s, "0.2", seed=0), TypeError, "rate must be a finite number >= 0, got '0.2'"),
        (lambda s: with_noise(s, True, seed=0), TypeError, "rate must be a finite number >= 0, got True"),
        (lambda s: with_dropped(s, float("nan"), seed=0), ValueError, r"share must be a number in \[0, 1\)"),
        (
            lambda s: with_dropped(s, "0.5", seed=0),
            TypeError,
            r"share must be a number in \[0, 1\), got '0.5'",
        ),
        (
            lambda s: with_dropped(s, 0.3, seed=0, min_per_user=-5),
            ValueError,
            "min_per_user must be a non-negative integer, got -5",
        ),
        (
            lambda s: with_dropped(s, 0.3, seed=0, min_per_user=1.5),
            TypeError,
            "min_per_user must be a non-negative integer, got 1.5",
        ),
        (lambda s: with_dropped(s, 0.3, seed=1.5), ValueError, "seed must be a non-negative int"),
    ],
)
def test_perturbations_refuse_bad_rates_shares_and_counts(base_split, call, error, message: str) -> None:
    with pytest.raises(error, match=message):
        call(base_split)


def test_evaluate_perturbed_refuses_a_clean_split_that_is_not_the_source(base_split) -> None:
    sparse = with_dropped(base_split, share=0.5, seed=0)
    data = TrainData.from_split(sparse)
    model = build_model("pop", data)
    model.fit(data)
    evaluate_perturbed(model, sparse, base_split)  # its own source: accepted
    # another seed's held-out rows, part of them in the model's training data: had been scored silently
    with pytest.raises(ValueError, match=r"the item columns of their 'valid' parts differ .*another seed"):
        evaluate_perturbed(model, sparse, holdout_split(clustered_interactions(), seed=1))
    # another shape: had failed inside scipy with "inconsistent shapes"
    with pytest.raises(ValueError, match=r"their user_map IDs differ \(120 and 90 IDs\)"):
        evaluate_perturbed(model, sparse, holdout_split(clustered_interactions(n_users=90), seed=0))
    with pytest.raises(ValueError, match="their item_map IDs differ"):
        evaluate_perturbed(model, sparse, holdout_split(clustered_interactions(n_items=63), seed=0))
    with pytest.raises(ValueError, match="protocols 'holdout' and 'loo' differ"):
        evaluate_perturbed(model, sparse, loo_split(clustered_interactions()))


def test_noise_goes_to_users_by_their_training_activity_only() -> None:
    """Users whose rows are all held out (here 20-29) get no fake rows: the draw is proportional to training
    activity, as documented."""
    inter = clustered_interactions(n_users=30, n_items=60)
    frame, empty = inter.frame, inter.frame.iloc[:0]
    held_out = frame["user"] >= 20
    split = Split(
        {"train": frame[~held_out], "valid": empty, "test": frame[held_out]},
        inter.user_map,
        inter.item_map,
        "holdout",
        0,
    )
    fake = with_noise(split, rate=0.5, seed=1).parts["train"].iloc[int((~held_out).sum()) :]
    assert len(fake) > 0 and (fake["user"] < 20).all()


def test_noise_draws_users_in_proportion_to_their_training_rows() -> None:
    # users with 2, 4, ..., 12 training rows (five users at each level): a level's share of the fake rows is its
    # share of the training rows, within 4 standard deviations of the draw (a uniform draw would give every level
    # a sixth: the lightest 35 rows where 10 are expected, 7 deviations off)
    inter = clustered_interactions(n_users=30, n_items=60)
    frame = inter.frame
    level = 2 * (frame["user"] % 6 + 1)
    train = frame[frame.groupby("user").cumcount() < level]
    empty = frame.iloc[:0]
    split = Split(
        {"train": train, "valid": empty, "test": empty}, inter.user_map, inter.item_map, "holdout", 0
    )
    fake = with_noise(split, rate=1.0, seed=3).parts["train"].iloc[len(train) :]
    got = fake.groupby(2 * (fake["user"] % 6 + 1)).size().reindex(range(2, 13, 2), fill_value=0)
    want = len(fake) * train.groupby(level).size() / len(train)
    assert len(fake) == len(train) == 210
    assert (abs(got - want) < 4 * np.sqrt(want)).all(), (got.tolist(), want.tolist())


def test_fake_rows_come_after_each_users_training_rows_with_the_median_rating(base_split) -> None:
    train = base_split.parts["train"]
    fake = with_noise(base_split, rate=0.3, seed=2).parts["train"].iloc[len(train) :]
    last = train.groupby("user")["timestamp"].max().reindex(fake["user"]).to_numpy()
    assert (fake["timestamp"].to_numpy() > last).all()  # a sequence model sees them last, not tied
    assert (fake["rating"] == np.median(train["rating"])).all()


def test_with_dropped_refuses_a_share_of_one_even_with_nothing_protected(base_split) -> None:
    with pytest.raises(ValueError, match=r"share must be a number in \[0, 1\)"):
        with_dropped(base_split, share=1.0, seed=0, min_per_user=0)


def test_lookalike_weighs_every_seed_equally_and_each_once() -> None:
    """The centroid is the mean of the seeds' unit vectors: a long embedding does not pull it, nor a seed named
    twice."""
    emb = np.array([[10.0, 0.0], [0.0, 1.0], [1.0, 1.0], [1.0, 0.05]])
    ranked, scores = lookalike(emb, [0, 1])
    assert ranked.tolist() == [2, 3] and scores[0] == pytest.approx(1.0)  # [1, 1] bisects the two seeds
    again = lookalike(emb, [0, 0, 1])
    assert again[0].tolist() == ranked.tolist() and np.allclose(again[1], scores)


def test_tfidf_counts_documents_for_idf_and_occurrences_for_tf() -> None:
    features, vocab = tfidf(["a a b", "b"])  # df(a) = 1, df(b) = 2; tf(a) = 2 in the first document
    row = np.array([2 * (np.log(3 / 2) + 1), np.log(3 / 3) + 1])  # smooth idf: ln((1 + n) / (1 + df)) + 1
    assert vocab == ["a", "b"] and np.allclose(features.toarray()[0], row / np.linalg.norm(row))
