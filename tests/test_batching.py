import dataclasses

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch

from sslrec_utils import batching
from sslrec_utils.batching import RowTable, make_batcher, sample_negatives
from sslrec_utils.data.core import to_csr
from sslrec_utils.models.base import TrainData
from tests.helpers import clustered_interactions

CPU = torch.device("cpu")


def _data() -> TrainData:
    return TrainData.from_matrix(clustered_interactions(n_users=30, n_items=24, per_user=8).to_csr())


def test_negatives_are_never_positives():
    rng = np.random.default_rng(0)
    dense = np.random.default_rng(1).random((50, 12)) < 0.7
    dense[:, 0] = False  # every user keeps at least one negative
    matrix = sp.csr_matrix(dense.astype(np.float32))
    users = rng.integers(0, 50, size=2000)
    neg = sample_negatives(matrix, users, rng, n_neg=3)
    assert neg.shape == (2000, 3)
    assert not dense[users[:, None], neg].any()


@pytest.mark.parametrize("dense_limit", [None, 0])  # the table and the binary search
def test_negatives_are_the_draws_of_redrawing_every_rejected_cell_in_row_major_order(
    monkeypatch, dense_limit
):
    # the sampler re-checks only the redrawn cells; a seed must still draw what redrawing all rejected cells of
    # the (B, n_neg) array in row-major order, round after round, draws
    dense = np.random.default_rng(1).random((40, 10)) < 0.6
    dense[:, 3] = False
    users = np.random.default_rng(2).integers(0, 40, size=500)
    if dense_limit is not None:
        monkeypatch.setattr(batching, "DENSE_LIMIT", dense_limit)
    got = sample_negatives(sp.csr_matrix(dense.astype(np.float32)), users, np.random.default_rng(5), n_neg=3)
    rng = np.random.default_rng(5)
    want = rng.integers(0, 10, size=(500, 3))
    while (bad := dense[users[:, None], want]).any():
        want[bad] = rng.integers(0, 10, size=int(bad.sum()))
    np.testing.assert_array_equal(got, want)


def test_negatives_are_never_positives_for_int32_users_of_a_large_matrix():
    # user * n_items overflows int32 here (above DENSE_LIMIT, so the binary-search path)
    n_users, n_items = 60_000, 40_000
    indptr = np.zeros(n_users + 1, dtype=np.int64)
    indptr[-1] = n_items // 2
    matrix = sp.csr_matrix(
        (np.ones(n_items // 2, np.float32), np.arange(0, n_items, 2), indptr), shape=(n_users, n_items)
    )
    users = np.full(1000, n_users - 1, dtype=np.int32)  # the last user holds every even item
    neg = sample_negatives(matrix, users, np.random.default_rng(0))
    assert (neg % 2 == 1).all()


def test_user_with_every_item_is_an_error():
    matrix = sp.csr_matrix(np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match="user 1 interacted with every item"):
        sample_negatives(matrix, np.array([1]), np.random.default_rng(0))


def test_user_rows_covers_each_active_user_once_per_epoch():
    data = _data()
    batcher, n_batches = make_batcher("user_rows", data, 7, CPU)
    batches = list(batcher(np.random.default_rng(0)))
    assert len(batches) == n_batches == -(-30 // 7)
    users = torch.cat([b["users"] for b in batches]).numpy()
    assert sorted(users) == list(range(30))
    rows = torch.cat([b["rows"] for b in batches]).numpy()
    np.testing.assert_array_equal(rows, data.matrix[users].toarray())


def test_user_rows_leave_out_users_without_training_rows():
    matrix = _data().matrix.tolil()
    matrix[[3, 17]] = 0  # two users with no training interaction (their rows are all held out)
    data = TrainData.from_matrix(matrix.tocsr())
    batcher, n_batches = make_batcher("user_rows", data, 7, CPU)
    batches = list(batcher(np.random.default_rng(0)))
    users = torch.cat([b["users"] for b in batches]).numpy()
    assert len(batches) == n_batches == -(-28 // 7) and sorted(users) == sorted(set(range(30)) - {3, 17})


def test_bpr_triples_visit_every_interaction_once():
    data = _data()
    batcher, n_batches = make_batcher("bpr_triples", data, 50, CPU)
    batches = list(batcher(np.random.default_rng(0)))
    assert len(batches) == n_batches
    users = torch.cat([b["users"] for b in batches]).numpy()
    pos = torch.cat([b["pos"] for b in batches]).numpy()
    neg = torch.cat([b["neg"] for b in batches]).numpy()
    assert len(users) == data.matrix.nnz
    assert sorted(zip(users, pos, strict=True)) == sorted(zip(*data.matrix.nonzero(), strict=True))
    assert not data.matrix.toarray()[users, neg].any()


def test_item_rows_carry_ratings_and_mask():
    data = _data()
    batcher, _ = make_batcher("item_rows", data, 5, CPU)
    for batch in batcher(np.random.default_rng(0)):
        items = batch["items"].numpy()
        np.testing.assert_array_equal(batch["rows"].numpy(), data.ratings.T.tocsr()[items].toarray())
        assert torch.equal(batch["mask"], (batch["rows"] != 0).float())


def test_item_rows_mask_a_rating_of_zero_as_observed():
    # on a scale such as -2..2, a stored 0 is a rating: it had been masked out of AutoRec's loss as unobserved
    frame = pd.DataFrame({"user": [0, 0, 1, 2], "item": [0, 1, 0, 1], "rating": [0.0, 2.0, -1.0, 0.0]})
    data = dataclasses.replace(
        TrainData.from_matrix(to_csr(frame, 3, 2)), ratings=to_csr(frame, 3, 2, "rating")
    )
    batcher, _ = make_batcher("item_rows", data, 2, CPU)
    (batch,) = list(batcher(np.random.default_rng(0)))
    order = batch["items"].numpy()
    np.testing.assert_array_equal(batch["mask"].numpy(), np.array([[1, 1, 0], [1, 0, 1]])[order])
    np.testing.assert_array_equal(batch["rows"].numpy(), np.array([[0, -1, 0], [2, 0, 0]])[order])


def _epoch(batcher, seed: int) -> list[dict[str, np.ndarray]]:
    return [
        {key: value.numpy() for key, value in batch.items()} for batch in batcher(np.random.default_rng(seed))
    ]


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("user_rows", {}),
        ("item_rows", {}),
        ("bpr_triples", {}),
        ("next_item", {"max_len": 3}),
        ("cloze", {"max_len": 3}),
        ("cloze", {"max_len": 3, "stride": 1}),
    ],
)
def test_each_epoch_is_shuffled_by_its_generator(name, options):
    """The order of an epoch is the generator's draw: the same seed repeats it, another seed changes it, and the
    epoch holds the same examples either way (the coverage tests above sort them, so they would pass unshuffled)."""
    batcher, _ = make_batcher(name, _data(), 7, CPU, **options)
    first, again, other = _epoch(batcher, 0), _epoch(batcher, 0), _epoch(batcher, 1)
    key = next(iter(first[0]))  # users, items or seqs: what an example is
    order = [np.concatenate([b[key] for b in epoch]) for epoch in (first, again, other)]
    np.testing.assert_array_equal(order[0], order[1])
    assert not np.array_equal(order[0], order[2])
    np.testing.assert_array_equal(np.sort(order[0], axis=0), np.sort(order[2], axis=0))


def test_user_rows_order_is_the_permutation_drawn():
    batcher, _ = make_batcher("user_rows", _data(), 7, CPU)
    users = np.concatenate([b["users"] for b in _epoch(batcher, 0)])
    np.testing.assert_array_equal(users, np.random.default_rng(0).permutation(30))


def test_item_rows_leave_out_items_without_training_ratings():
    matrix = _data().matrix.tolil()
    matrix[:, [5, 11]] = 0  # two items nobody rated in training: an empty row would be reconstructed
    data = TrainData.from_matrix(matrix.tocsr())
    batcher, n_batches = make_batcher("item_rows", data, 5, CPU)
    items = np.concatenate([b["items"] for b in _epoch(batcher, 0)])
    assert n_batches == -(-22 // 5) and sorted(items) == sorted(set(range(24)) - {5, 11})


def test_row_table_dense_and_sliced_agree(monkeypatch):
    matrix = sp.random(40, 30, density=0.2, format="csr", random_state=3, dtype=np.float32)
    rows = np.array([3, 0, 39, 3])
    dense = RowTable(matrix, CPU)
    monkeypatch.setattr(batching, "DENSE_LIMIT", 0)
    sliced = RowTable(matrix, CPU)
    assert dense.dense is not None and sliced.dense is None
    torch.testing.assert_close(dense(rows), sliced(rows))
    torch.testing.assert_close(dense(rows), torch.from_numpy(matrix[rows].toarray()))
    # empty rows, a batch of none, and entries stored twice (summed, as toarray sums them)
    matrix[5] = 0
    matrix.eliminate_zeros()
    twice = sp.csr_matrix((np.ones(3, np.float32), np.array([2, 2, 7]), np.array([0, 2, 3])), shape=(2, 30))
    for m, r in ((matrix, np.array([5, 5, 1])), (matrix, np.array([], int)), (twice, np.array([0, 1]))):
        for on_device in (False, True):  # True: the GPU's way, here on the CPU
            table = RowTable(m, CPU, gather_on_device=on_device)
            assert (table.csr is not None) is on_device
            torch.testing.assert_close(table(r), torch.from_numpy(m[r].toarray()))


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_row_table_scatters_a_large_matrix_on_cuda(monkeypatch):
    matrix = sp.random(200, 50, density=0.1, format="csr", random_state=4, dtype=np.float32)
    monkeypatch.setattr(batching, "DENSE_LIMIT", 0)
    table = RowTable(matrix, "cuda")
    rows = np.array([7, 0, 199, 7])
    assert table.csr is not None and table.csr[0].is_cuda
    torch.testing.assert_close(table(rows).cpu(), torch.from_numpy(matrix[rows].toarray()))
