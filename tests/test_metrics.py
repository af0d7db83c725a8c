"""Tests of `sslrec_utils.metrics`: hand-computed cases, a slow per-user reference, RecBole's formulas, properties."""

from __future__ import annotations

from math import log2

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from sslrec_utils import metrics as M
from sslrec_utils.metrics import (
    METRICS,
    evaluate,
    format_metrics,
    hit_at_k,
    item_coverage_at_k,
    map_at_k,
    metrics_from_hits,
    mrr_at_k,
    ndcg_at_k,
    precision_at_k,
    rank_top,
    recall_at_k,
    topk_hits,
)

FUNCTIONS = {
    "recall": recall_at_k,
    "ndcg": ndcg_at_k,
    "hit": hit_at_k,
    "mrr": mrr_at_k,
    "precision": precision_at_k,
    "map": map_at_k,
}

# ---------------------------------------------------------------------------------------------------------------
# Hand-computed fixture: 3 users, 6 items.
#   user 0 ranks items 0,1,2,3,4,5 and likes {0, 2}       -> hits at ranks 1 and 3       (n_rel = 2)
#   user 1 ranks items 5,4,3,2,1,0 and likes {3, 2, 0}    -> hits at ranks 3, 4 and 6    (n_rel = 3)
#   user 2 ranks items 0,1,2,3,4,5 and likes {0, 1, 2, 4} -> hits at ranks 1, 2, 3 and 5 (n_rel = 4 > k = 2, 3)
# Discounts 1/log2(rank + 1): rank 1 -> 1, rank 2 -> 1/log2(3) = 0.6309, rank 3 -> 1/log2(4) = 0.5,
# rank 4 -> 1/log2(5) = 0.4307.
# ---------------------------------------------------------------------------------------------------------------
HAND_SCORES = torch.tensor(
    [
        [0.9, 0.8, 0.7, 0.6, 0.5, 0.4],
        [0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
        [0.9, 0.8, 0.7, 0.6, 0.5, 0.4],
    ]
)
HAND_HELDOUT = sp.csr_matrix(
    np.array(
        [
            [1, 0, 1, 0, 0, 0],
            [1, 0, 1, 1, 0, 0],
            [1, 1, 1, 0, 1, 0],
        ]
    )
)
D1, D2, D3, D4 = 1.0, 1 / log2(3), 1 / log2(4), 1 / log2(5)
HAND_EXPECTED = {
    # k = 2: user 0 hits rank 1; user 1 no hit; user 2 hits ranks 1, 2.
    ("recall", 2): [1 / 2, 0.0, 2 / 4],  # hits / n_rel
    ("precision", 2): [1 / 2, 0.0, 2 / 2],  # hits / k
    ("hit", 2): [1.0, 0.0, 1.0],
    ("mrr", 2): [1.0, 0.0, 1.0],
    # user 0: DCG = D1, IDCG over min(2, 2) = 2 ranks; user 2: DCG = IDCG = D1 + D2 although recall is 1/2.
    ("ndcg", 2): [D1 / (D1 + D2), 0.0, 1.0],
    # user 0: P@1 * 1 / min(2, 2); user 2: (P@1 + P@2) / min(2, 4) = (1 + 1) / 2.
    ("map", 2): [1 / 2, 0.0, 1.0],
    # k = 3: user 0 hits ranks 1, 3; user 1 hits rank 3 (first hit at rank 3); user 2 hits ranks 1, 2, 3.
    ("recall", 3): [2 / 2, 1 / 3, 3 / 4],
    ("precision", 3): [2 / 3, 1 / 3, 3 / 3],
    ("hit", 3): [1.0, 1.0, 1.0],
    ("mrr", 3): [1.0, 1 / 3, 1.0],
    # user 0: (D1 + D3) / (D1 + D2) = 1.5 / 1.6309; user 1: D3 / (D1 + D2 + D3) with min(3, 3) = 3.
    ("ndcg", 3): [(D1 + D3) / (D1 + D2), D3 / (D1 + D2 + D3), 1.0],
    # user 0: (P@1 + P@3) / min(3, 2) = (1 + 2/3) / 2 = 5/6; user 1: P@3 / 3 = (1/3) / 3 = 1/9.
    ("map", 3): [5 / 6, 1 / 9, 1.0],
    # k = 4: user 1 hits ranks 3, 4; user 2 still hits ranks 1, 2, 3 (rank 4 is item 3).
    ("recall", 4): [2 / 2, 2 / 3, 3 / 4],
    ("precision", 4): [2 / 4, 2 / 4, 3 / 4],
    ("hit", 4): [1.0, 1.0, 1.0],
    ("mrr", 4): [1.0, 1 / 3, 1.0],
    ("ndcg", 4): [(D1 + D3) / (D1 + D2), (D3 + D4) / (D1 + D2 + D3), (D1 + D2 + D3) / (D1 + D2 + D3 + D4)],
    # user 1: (P@3 + P@4) / min(4, 3) = (1/3 + 2/4) / 3 = 5/18; user 2: (1 + 1 + 1) / min(4, 4) = 3/4.
    ("map", 4): [5 / 6, 5 / 18, 3 / 4],
}


@pytest.mark.parametrize(("name", "k"), sorted(HAND_EXPECTED))
def test_hand_computed(name: str, k: int) -> None:
    got = FUNCTIONS[name](HAND_SCORES, HAND_HELDOUT, k)
    assert got.shape == (3,) and got.dtype == torch.float32
    torch.testing.assert_close(got, torch.tensor(HAND_EXPECTED[(name, k)]))


def test_per_user_rows_are_labelled_by_the_users_given_in_their_order() -> None:
    scores, heldout = torch.tensor([[1.0, 0.0], [0.0, 1.0]]), sp.csr_matrix(np.array([[1, 0], [1, 0]]))
    result = evaluate(
        lambda u: scores[torch.from_numpy(u)], np.array([1, 0]), heldout, ks=(1,), metrics="hit"
    )
    assert result.per_user["hit@1"].to_dict() == {1: 0.0, 0: 1.0}


def test_hand_computed_through_evaluate() -> None:
    result = evaluate(lambda u: HAND_SCORES[torch.from_numpy(u)], np.arange(3), HAND_HELDOUT, ks=(2, 3, 4))
    for (name, k), expected in HAND_EXPECTED.items():
        np.testing.assert_allclose(result.per_user[f"{name}@{k}"].to_numpy(), expected, rtol=1e-6)
        assert result.summary[f"{name}@{k}"] == pytest.approx(np.mean(expected), rel=1e-6)
    # top-2 lists: {0, 1}, {5, 4}, {0, 1} -> 4 of 6 items; top-3 adds items 2 and 3 -> 6 of 6.
    assert result.summary["coverage@2"] == pytest.approx(4 / 6)
    assert result.summary["coverage@3"] == pytest.approx(1.0)
    assert result.n_users == 3 and list(result.per_user.index) == [0, 1, 2]


def test_excluded_items_never_count() -> None:
    # Item 0 is relevant but excluded: even with k = n_items it sits in the top-k tail at -inf, not as a hit.
    scores = torch.tensor([[-torch.inf, 0.5, 0.2]])
    heldout = sp.csr_matrix(np.array([[1, 0, 0]]))
    for fn in FUNCTIONS.values():
        assert fn(scores, heldout, 3).item() == 0.0
    # Through evaluate: item 0 scores highest but `exclude` removes it; the relevant item 2 then ranks second.
    result = evaluate(
        lambda u: torch.tensor([[0.9, 0.5, 0.2]]),
        np.array([0]),
        sp.csr_matrix(np.array([[0, 0, 1]])),
        sp.csr_matrix(np.array([[1, 0, 0]])),
        ks=(1, 2),
    )
    assert result.summary["hit@1"] == 0.0 and result.summary["mrr@2"] == pytest.approx(1 / 2)


def test_relevance_is_any_stored_nonzero() -> None:
    # Ratings as values count as relevant; an explicitly stored zero does not.
    heldout = sp.csr_matrix((np.array([5.0, 0.0]), np.array([0, 1]), np.array([0, 2])), shape=(1, 3))
    scores = torch.tensor([[0.1, 0.9, 0.5]])
    assert recall_at_k(scores, heldout, 3).item() == 1.0  # n_rel = 1, not 2
    assert mrr_at_k(scores, heldout, 3).item() == pytest.approx(1 / 3)


# ---------------------------------------------------------------------------------------------------------------
# Random data and a slow, obviously correct per-user reference.
# ---------------------------------------------------------------------------------------------------------------
def random_problem(
    seed: int, n_users: int = 60, n_items: int = 30, max_excluded: int = 25
) -> tuple[torch.Tensor, sp.csr_matrix, sp.csr_matrix]:
    """Random scores (no ties), relevant sets (1..n_items/3 items) and exclusions (may overlap the relevant)."""
    rng = np.random.default_rng(seed)
    heldout = np.zeros((n_users, n_items), dtype=np.float32)
    exclude = np.zeros((n_users, n_items), dtype=np.float32)
    for u in range(n_users):
        heldout[u, rng.choice(n_items, rng.integers(1, n_items // 3 + 1), replace=False)] = 1
        exclude[u, rng.choice(n_items, rng.integers(0, max_excluded + 1), replace=False)] = 1
    scores = torch.from_numpy(rng.permuted(np.tile(np.arange(n_items), (n_users, 1)), axis=1)).float()
    return scores, sp.csr_matrix(heldout), sp.csr_matrix(exclude)


def masked(scores: torch.Tensor, exclude: sp.csr_matrix) -> torch.Tensor:
    return scores.masked_fill(torch.from_numpy(exclude.toarray() > 0), -torch.inf)


def reference(scores: torch.Tensor, heldout: sp.csr_matrix, k: int) -> dict[str, torch.Tensor]:
    """One user at a time, straight from the definitions; -inf items are not ranked at all."""
    out: dict[str, list[float]] = {name: [] for name in METRICS}
    for u in range(scores.shape[0]):
        row = scores[u].tolist()
        relevant = set(heldout[u].indices.tolist())
        ranking = sorted((i for i in range(len(row)) if row[i] != -np.inf), key=lambda i: -row[i])[:k]
        hit_ranks = [r for r, item in enumerate(ranking, start=1) if item in relevant]
        n_rel, depth = len(relevant), min(k, len(relevant))
        out["recall"].append(len(hit_ranks) / n_rel)
        out["precision"].append(len(hit_ranks) / k)
        out["hit"].append(float(bool(hit_ranks)))
        out["mrr"].append(1 / hit_ranks[0] if hit_ranks else 0.0)
        dcg = sum(1 / log2(r + 1) for r in hit_ranks)
        out["ndcg"].append(dcg / sum(1 / log2(r + 1) for r in range(1, depth + 1)))
        precision_at = [sum(1 for h in hit_ranks if h <= r) / r for r in hit_ranks]
        out["map"].append(sum(precision_at) / depth)
    return {name: torch.tensor(values) for name, values in out.items()}


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("k", [1, 3, 5, 10, 30])
def test_agrees_with_slow_reference(seed: int, k: int) -> None:
    scores, heldout, exclude = random_problem(seed)
    scores = masked(scores, exclude)
    expected = reference(scores, heldout, k)
    for name, fn in FUNCTIONS.items():
        torch.testing.assert_close(fn(scores, heldout, k), expected[name], msg=f"{name}@{k}")


def recbole_formulas(pos_index: np.ndarray, pos_len: np.ndarray) -> dict[str, np.ndarray]:
    """RecBole 1.2.1's `metric_info` of Recall, Precision, Hit, MRR, NDCG and MAP, re-typed in numpy 2.

    pos_index: (n, K) bool, pos_len: (n,) int. Each result is (n, K): column j holds metric@(j + 1).
    """
    n_cols = pos_index.shape[1]
    ranks = np.arange(1, n_cols + 1)
    out = {
        "recall": np.cumsum(pos_index, axis=1) / pos_len.reshape(-1, 1),
        "precision": pos_index.cumsum(axis=1) / ranks,
        "hit": (np.cumsum(pos_index, axis=1) > 0).astype(int),
    }
    mrr = np.zeros_like(pos_index, dtype=float)
    for row, idx in enumerate(pos_index.argmax(axis=1)):
        mrr[row, idx:] = 1 / (idx + 1) if pos_index[row, idx] > 0 else 0
    out["mrr"] = mrr
    idcg_len = np.where(pos_len > n_cols, n_cols, pos_len)
    idcg = np.cumsum(1.0 / np.log2(np.tile(ranks, (len(pos_len), 1)) + 1), axis=1)
    for row, idx in enumerate(idcg_len):
        idcg[row, idx:] = idcg[row, idx - 1]
    out["ndcg"] = np.cumsum(np.where(pos_index, 1.0 / np.log2(ranks + 1), 0), axis=1) / idcg
    pre = pos_index.cumsum(axis=1) / ranks
    sum_pre = np.cumsum(pre * pos_index.astype(float), axis=1)
    mapk = np.zeros_like(pos_index, dtype=float)
    for row, lens in enumerate(idcg_len):
        ranges = np.arange(1, n_cols + 1)
        ranges[lens:] = ranges[lens - 1]
        mapk[row] = sum_pre[row] / ranges
    out["map"] = mapk
    return out


@pytest.mark.parametrize("seed", [0, 1])
def test_agrees_with_recbole_formulas(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, k_max = 200, 20
    pos_index = rng.random((n, k_max)) < rng.uniform(0.02, 0.6, size=(n, 1))
    pos_len = pos_index.sum(1) + rng.integers(0, 25, size=n)  # relevant items outside the top-K too
    pos_len = np.maximum(pos_len, 1)
    expected = recbole_formulas(pos_index, pos_len)
    ks = (1, 5, 10, 20)
    got = metrics_from_hits(torch.from_numpy(pos_index), torch.from_numpy(pos_len), ks)
    for name in METRICS:
        for k in ks:
            torch.testing.assert_close(
                got[f"{name}@{k}"], torch.from_numpy(expected[name][:, k - 1]).float(), msg=f"{name}@{k}"
            )


# ---------------------------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------------------------
def test_perfect_ranking() -> None:
    _, heldout, _ = random_problem(3)
    rng = np.random.default_rng(3)
    scores = torch.from_numpy(heldout.toarray() + 0.5 * rng.random(heldout.shape)).float()  # relevant first
    n_rel = torch.from_numpy(np.diff(heldout.indptr)).float()
    for k in (1, 5, 10):
        for name in ("ndcg", "hit", "mrr", "map"):
            torch.testing.assert_close(FUNCTIONS[name](scores, heldout, k), torch.ones(len(n_rel)))
        fits = n_rel <= k
        torch.testing.assert_close(recall_at_k(scores, heldout, k)[fits], torch.ones(int(fits.sum())))
        torch.testing.assert_close(precision_at_k(scores, heldout, k), n_rel.clamp(max=k) / k)


def run_eval(seed: int, batch_size: int, n_users: int = 40, ks: tuple[int, ...] = (1, 4, 10)) -> M.EvalResult:
    scores, heldout, exclude = random_problem(seed, n_users=n_users)
    users = np.random.default_rng(seed).permutation(n_users)[: n_users - 3]  # a shuffled subset
    return evaluate(
        lambda u: scores[torch.from_numpy(u)], users, heldout, exclude, ks=ks, batch_size=batch_size
    )


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31), n_users=st.integers(4, 50), batch_size=st.integers(1, 60))
def test_bounds_and_batch_size_invariance(seed: int, n_users: int, batch_size: int) -> None:
    result = run_eval(seed, batch_size, n_users=n_users)
    whole = run_eval(seed, n_users, n_users=n_users)
    assert ((result.per_user >= 0) & (result.per_user <= 1)).all().all()
    assert all(0 <= v <= 1 for v in result.summary.values())
    assert result.summary == whole.summary
    assert result.per_user.equals(whole.per_user)


@pytest.mark.parametrize("batch_size", [1, 7, 1024])
def test_batch_sizes_identical(batch_size: int) -> None:
    reference_result = run_eval(5, 37)
    result = run_eval(5, batch_size)
    assert result.summary == reference_result.summary
    assert result.per_user.equals(reference_result.per_user)


def test_evaluate_equals_per_metric_functions() -> None:
    scores, heldout, exclude = random_problem(7)
    users = np.array([5, 0, 17, 42, 3, 59, 30])
    calls: list[np.ndarray] = []

    def score_fn(u: np.ndarray) -> torch.Tensor:
        calls.append(u)
        return scores[torch.from_numpy(u)]

    result = evaluate(score_fn, users, heldout, exclude, ks=(3, 10), batch_size=3, progress=True)
    assert [len(c) for c in calls] == [3, 3, 1] and all(c.dtype == np.int64 for c in calls)
    assert list(result.per_user.columns) == [f"{n}@{k}" for n in METRICS for k in (3, 10)]
    assert list(result.summary) == list(result.per_user.columns) + ["coverage@3", "coverage@10"]
    sub_scores = masked(scores, exclude)[torch.from_numpy(users)]
    for name, fn in FUNCTIONS.items():
        for k in (3, 10):
            expected = fn(sub_scores, heldout[users], k).double().numpy()
            np.testing.assert_array_equal(result.per_user[f"{name}@{k}"].to_numpy(), expected)
            assert result.summary[f"{name}@{k}"] == pytest.approx(expected.mean())
    top = topk_hits(sub_scores, heldout[users], 10)
    assert not top.allowed.all()  # some users have fewer than 10 items left: their -inf tail is not covered
    assert result.summary["coverage@10"] == pytest.approx(item_coverage_at_k(top.items, 30, top.allowed))
    assert result.summary["coverage@3"] == pytest.approx(
        item_coverage_at_k(top.items[:, :3], 30, top.allowed[:, :3])
    )


def test_evaluate_leaves_score_views_untouched() -> None:
    # A popularity baseline returns an expanded view of one buffer; evaluate must not write -inf into it.
    popularity = torch.tensor([3.0, 2.0, 1.0, 0.0])
    heldout = sp.csr_matrix(np.array([[0, 0, 1, 0], [0, 0, 0, 1]]))
    exclude = sp.csr_matrix(np.array([[1, 0, 0, 0], [0, 1, 0, 0]]))
    result = evaluate(lambda u: popularity.expand(len(u), -1), np.arange(2), heldout, exclude, ks=(2,))
    torch.testing.assert_close(popularity, torch.tensor([3.0, 2.0, 1.0, 0.0]))
    # user 0 ranks 1, 2 -> hit at rank 2; user 1 ranks 0, 2 -> no hit in the top 2.
    np.testing.assert_allclose(result.per_user["mrr@2"].to_numpy(), [1 / 2, 0.0])


def test_item_coverage_hand_case() -> None:
    # Items 0, 1, 2 are recommended to someone; items 3 and 4 to no one -> 3 / 5.
    assert item_coverage_at_k(torch.tensor([[0, 1], [1, 2], [2, 0]]), 5) == pytest.approx(0.6)


def test_coverage_ignores_excluded_items_that_fill_a_list() -> None:
    # One user of 4 items has seen all but item 3: the top 2 holds item 3 and an excluded item at -inf, which is
    # not a recommendation, so the coverage is 1 / 4, not 2 / 4.
    result = evaluate(
        lambda u: torch.tensor([[0.9, 0.5, 0.2, 0.1]]),
        np.array([0]),
        sp.csr_matrix(np.array([[0, 0, 0, 1]])),
        sp.csr_matrix(np.array([[1, 1, 1, 0]])),
        ks=(2,),
    )
    assert result.summary["coverage@2"] == pytest.approx(0.25)
    assert result.summary["hit@2"] == 1.0


def test_format_metrics() -> None:
    assert format_metrics({"recall@10": 0.123456, "ndcg@10": 0.5}) == "recall@10=0.1235  ndcg@10=0.5000"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("seed", range(20))
def test_ties_go_to_the_lower_item_index_whatever_the_cut_off(seed: int, dtype: type) -> None:
    # few distinct values (ties everywhere), both zeros, -inf (excluded items), a large and a small magnitude
    rng = np.random.default_rng(seed)
    values = np.array([0.0, -0.0, 1.0, -1.0, 2.5, -np.inf, 1e30, -1e-30], dtype=dtype)
    scores = torch.from_numpy(rng.choice(values, size=(7, 40)))
    n_items = scores.shape[1]
    for k in (1, 5, 17, 40):
        got_values, got_items = rank_top(scores, k)
        for row in range(7):
            # reference: sort by score descending, then item index ascending (numpy's lexsort, last key first)
            expected = np.lexsort((np.arange(n_items), -scores[row].numpy().astype(np.float64)))[:k]
            assert got_items[row].tolist() == expected.tolist()
            assert torch.equal(got_values[row], scores[row, got_items[row]] + 0.0)
    # a metric at k no longer depends on the largest cut-off asked for (torch.topk's order of ties did)
    heldout = sp.csr_matrix((scores.numpy() == 0).astype(np.float32))
    heldout[np.flatnonzero(heldout.getnnz(axis=1) == 0), 0] = 1.0
    users = np.arange(7)
    alone = evaluate(lambda u: scores[torch.from_numpy(u)], users, heldout, ks=(5,)).summary
    with_more = evaluate(lambda u: scores[torch.from_numpy(u)], users, heldout, ks=(5, 30)).summary
    assert all(alone[key] == with_more[key] for key in alone)
    assert recall_at_k(scores, heldout, 5).mean().item() == pytest.approx(alone["recall@5"])


def test_a_numpy_integer_batch_size_is_an_int() -> None:
    # np.int64(2) had been refused as "not a positive int", where k=np.int64(...) was taken
    scores = torch.tensor([[0.1, 0.9, 0.5], [0.3, 0.2, 0.8], [0.7, 0.1, 0.2]])
    heldout = sp.csr_matrix(np.eye(3, dtype=np.float32))
    users = np.arange(3)
    got = evaluate(lambda u: scores[torch.from_numpy(u)], users, heldout, ks=(2,), batch_size=np.int64(2))
    assert got.summary == evaluate(lambda u: scores[torch.from_numpy(u)], users, heldout, ks=(2,)).summary


def test_float64_scores_are_ranked_unrounded() -> None:
    # torch.from_numpy gives float64: 1 + 1e-9 is 1 in float32, which would tie it with item 0 and rank item 0 first
    scores = torch.tensor([[1.0, 1.0 + 1e-9, 0.0], [2.0, 2.0, 2.0 - 1e-12]], dtype=torch.float64)
    values, items = rank_top(scores, 3)
    assert items.tolist() == [[1, 0, 2], [0, 1, 2]] and values.dtype == torch.float64
    assert recall_at_k(scores, sp.csr_matrix([[0, 1, 0], [0, 0, 1]]), 1).tolist() == [1.0, 0.0]


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_ties_rank_the_same_on_cuda() -> None:
    scores = torch.from_numpy(np.random.default_rng(0).integers(0, 3, size=(64, 500)).astype(np.float32))
    for k in (1, 10, 500):
        cpu, gpu = rank_top(scores, k), rank_top(scores.cuda(), k)
        assert torch.equal(gpu[1].cpu(), cpu[1]) and torch.equal(gpu[0].cpu(), cpu[0])


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_matches_cpu() -> None:
    scores, heldout, exclude = random_problem(11, n_users=100)
    users = np.arange(100)
    cpu = evaluate(lambda u: scores[torch.from_numpy(u)], users, heldout, exclude, batch_size=32, ks=(5, 10))
    gpu = evaluate(
        lambda u: scores[torch.from_numpy(u)].cuda(), users, heldout, exclude, batch_size=32, ks=(5, 10)
    )
    on_device = evaluate(
        lambda u: scores[torch.from_numpy(u)],
        users,
        heldout,
        exclude,
        batch_size=32,
        ks=(5, 10),
        device="cuda",
    )
    for other in (gpu, on_device):
        assert other.summary == pytest.approx(cpu.summary, rel=1e-6)


# ---------------------------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------------------------
def test_bad_inputs_raise_clear_errors() -> None:
    scores, heldout, exclude = random_problem(0, n_users=5, n_items=8, max_excluded=2)
    fn = lambda u: scores[torch.from_numpy(u)]  # noqa: E731
    users = np.arange(5)
    with pytest.raises(ValueError, match=r"k must lie in \[1, n_items=8\], got 0"):
        recall_at_k(scores, heldout, 0)
    with pytest.raises(ValueError, match="got 9"):
        evaluate(fn, users, heldout, ks=(5, 9))
    with pytest.raises(ValueError, match=r"unknown metric\(s\) \['auc'\]; valid: \['recall', 'ndcg'"):
        evaluate(fn, users, heldout, metrics=("recall", "auc"), ks=(3,))
    with pytest.raises(ValueError, match=r"users must lie in \[0, 5\), got range \[0, 5\]"):
        evaluate(fn, np.arange(6), heldout, ks=(3,))
    with pytest.raises(ValueError, match="duplicates"):
        evaluate(fn, np.array([0, 1, 1]), heldout, ks=(3,))
    with pytest.raises(ValueError, match="1-D int"):
        evaluate(fn, np.array([0.0, 1.0]), heldout, ks=(3,))
    with pytest.raises(ValueError, match="heldout has shape .5, 8. but scores have shape .5, 7."):
        ndcg_at_k(scores[:, :7], heldout, 3)
    with pytest.raises(ValueError, match="exclude has shape"):
        evaluate(fn, users, heldout, exclude[:4], ks=(3,))
    with pytest.raises(ValueError, match=r"score_fn must return a \(5, 8\) tensor, got \(5, 7\)"):
        evaluate(lambda u: scores[torch.from_numpy(u), :7], users, heldout, ks=(3,))
    with pytest.raises(ValueError, match="batch_size"):
        evaluate(fn, users, heldout, batch_size=0, ks=(3,))
    nan_scores = scores.clone()
    nan_scores[2, 3] = torch.nan
    with pytest.raises(ValueError, match="NaN in 1 rows"):
        hit_at_k(nan_scores, heldout, 3)

    empty = heldout.tolil()
    empty[1, :] = 0
    empty[3, :] = 0
    empty = empty.tocsr()
    with pytest.raises(ValueError, match=r"2 users have no held-out item \(rows \[1, 3\]"):
        map_at_k(scores, empty, 3)
    with pytest.raises(ValueError, match=r"2 users have no held-out item \(e.g. \[1, 3\]\)"):
        evaluate(fn, users, empty, ks=(3,))
    assert evaluate(fn, np.array([0, 2, 4]), empty, ks=(3,)).n_users == 3  # dropping them works


def test_a_single_metric_name_or_cut_off_is_one_not_a_sequence() -> None:
    fn = lambda u: HAND_SCORES[torch.from_numpy(u)]  # noqa: E731
    users = np.arange(3)
    single = evaluate(fn, users, HAND_HELDOUT, metrics="ndcg", ks=3)  # not the names 'n', 'd', 'c', 'g'
    assert list(single.per_user.columns) == ["ndcg@3"]
    assert single.summary == evaluate(fn, users, HAND_HELDOUT, metrics=("ndcg",), ks=(3,)).summary
    assert single.summary["ndcg@3"] == pytest.approx(np.mean(HAND_EXPECTED[("ndcg", 3)]))
    top = topk_hits(HAND_SCORES, HAND_HELDOUT, 4)
    for k in (2, np.int64(2)):
        got = metrics_from_hits(top.hits, top.n_relevant, ks=k, names="recall")
        assert list(got) == ["recall@2"]
        torch.testing.assert_close(got["recall@2"], torch.tensor(HAND_EXPECTED[("recall", 2)]))
    assert list(metrics_from_hits(top.hits, top.n_relevant, ks=1)) == [f"{n}@1" for n in METRICS]


def test_metrics_from_hits_rejects_shapes_that_do_not_match() -> None:
    top = topk_hits(HAND_SCORES, HAND_HELDOUT, 4)  # hits (3, 4), n_relevant (3,)
    with pytest.raises(
        ValueError, match=r"n_relevant must have shape \(n_users,\) = \(3,\) as hits \(3, 4\), got \(2,\)"
    ):
        metrics_from_hits(top.hits, top.n_relevant[:2], ks=(2,))
    with pytest.raises(ValueError, match=r"got \(3, 1\)"):  # would broadcast to (3, 3) values
        metrics_from_hits(top.hits, top.n_relevant[:, None], ks=(2,))
    with pytest.raises(ValueError, match=r"hits must be a 2-D \(n_users, K\) tensor, got shape \(4,\)"):
        metrics_from_hits(top.hits[0], top.n_relevant[:1], ks=(2,))


def test_item_coverage_rejects_items_outside_the_catalogue() -> None:
    with pytest.raises(ValueError, match=r"topk_items must lie in \[0, n_items=5\), got range \[0, 5\]"):
        item_coverage_at_k(torch.tensor([[0, 1], [2, 5]]), 5)
    with pytest.raises(ValueError, match=r"got range \[-1, 2\]"):
        item_coverage_at_k(torch.tensor([[0, -1], [2, 1]]), 5)
    with pytest.raises(ValueError, match=r"allowed has shape \(2,\) but topk_items has shape \(2, 2\)"):
        item_coverage_at_k(torch.tensor([[0, 1], [2, 4]]), 5, torch.ones(2, dtype=torch.bool))
    assert item_coverage_at_k(torch.tensor([[0, 1], [2, 4]]), 5) == pytest.approx(
        0.8
    )  # the last item is valid


def test_topk_hits_raises_the_documented_type_errors() -> None:
    with pytest.raises(TypeError, match="k must be an int, got 2.0"):
        topk_hits(HAND_SCORES, HAND_HELDOUT, 2.0)
    with pytest.raises(TypeError, match="scores must be a 2-D float tensor"):
        topk_hits(HAND_SCORES[0], HAND_HELDOUT[0], 2)
    with pytest.raises(TypeError, match="scores must be a 2-D float tensor"):
        topk_hits(HAND_SCORES.long(), HAND_HELDOUT, 2)
    with pytest.raises(TypeError, match="expected a scipy sparse matrix, got ndarray"):
        topk_hits(HAND_SCORES, HAND_HELDOUT.toarray(), 2)
    assert "TypeError:" in topk_hits.__doc__ and "ValueError:" in topk_hits.__doc__


def test_per_metric_docstrings_document_shapes_and_errors() -> None:
    # the book (appendix B) points readers to help(recall_at_k) for the shapes; the others refer to it
    assert "scores: (n_users, n_items) float tensor" in recall_at_k.__doc__
    for function in FUNCTIONS.values():
        assert "Raises:" in function.__doc__ and "ValueError" in function.__doc__, function.__name__


def test_rank_top_checks_its_cut_off_and_shape() -> None:
    # k=0 had returned an empty ranking, k > n_items and 1-D scores failed deep inside torch
    with pytest.raises(ValueError, match=r"k must lie in \[1, n_items=6\], got 0"):
        rank_top(HAND_SCORES, 0)
    with pytest.raises(ValueError, match=r"k must lie in \[1, n_items=6\], got 7"):
        rank_top(HAND_SCORES, 7)
    with pytest.raises(TypeError, match="k must be an int, got True"):
        rank_top(HAND_SCORES, True)
    with pytest.raises(
        TypeError, match=r"rank_top: scores must be a 2-D \(B, n_items\) tensor, got shape \(6,\)"
    ):
        rank_top(HAND_SCORES[0], 2)
    assert rank_top(HAND_SCORES, 6)[1].shape == (3, 6)


def test_type_errors_name_the_dtype() -> None:
    with pytest.raises(TypeError, match=r"scores must be a 2-D float tensor, got shape \(3, 6\) torch.int64"):
        topk_hits(HAND_SCORES.long(), HAND_HELDOUT, 2)
    top = topk_hits(HAND_SCORES, HAND_HELDOUT, 2)
    with pytest.raises(TypeError, match="hits and n_relevant must be tensors, got ndarray and Tensor"):
        metrics_from_hits(top.hits.numpy(), top.n_relevant, 2)


def test_item_coverage_checks_the_catalogue_size_and_the_index_type() -> None:
    items = torch.tensor([[0, 1], [2, 0]])
    with pytest.raises(ValueError, match=r"n_items must be >= 1, got 0"):  # had returned NaN
        item_coverage_at_k(items[:0], 0)
    with pytest.raises(TypeError, match=r"n_items must be an int, got 5.0"):
        item_coverage_at_k(items, 5.0)
    with pytest.raises(TypeError, match=r"n_items must be an int, got True"):
        item_coverage_at_k(items, True)
    with pytest.raises(TypeError, match=r"topk_items must be an integer tensor, got torch.float32"):
        item_coverage_at_k(items.float(), 5)
    with pytest.raises(TypeError, match=r"topk_items must be an integer tensor, got ndarray"):
        item_coverage_at_k(items.numpy(), 5)
    assert item_coverage_at_k(items.int(), np.int64(5)) == pytest.approx(0.6)
