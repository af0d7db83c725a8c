"""Sequence models (SASRec, BERT4Rec, CL4SRec, ItemNext), their batchers and augmentations."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch

from sslrec_utils import losses
from sslrec_utils.batching import make_batcher, sequence_windows
from sslrec_utils.config import ConfigError
from sslrec_utils.data import preprocess
from sslrec_utils.models import MODELS, build_model, model_config
from sslrec_utils.models.base import StepInfo, TrainData
from sslrec_utils.models.bert4rec import BERT4Rec
from sslrec_utils.models.cl4srec import augment, crop, mask, reorder
from sslrec_utils.models.itemnext import transition_counts
from sslrec_utils.models.sasrec import SASRec, other_items
from sslrec_utils.models.transformer import Block, attention_mask
from sslrec_utils.splits import Sequences, loo_split
from sslrec_utils.train import TrainConfig, evaluate_model, fit, intra_op_threads, load_checkpoint

CPU = torch.device("cpu")
TINY = {"max_len": 8, "hidden_dim": 16, "n_layers": 1, "n_heads": 2, "inner_dim": 32}
SEQ_MODELS = ("sasrec", "bert4rec", "cl4srec")


def cyclic_interactions(n_users: int = 90, cycle: int = 20, n_cycles: int = 3, seed: int = 0):
    """Each user walks 8 to 15 steps around one of `n_cycles` item cycles from a random start: the next item
    is a function of the last one, which popularity cannot see."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n_users):
        c, start, n = u % n_cycles, rng.integers(cycle), rng.integers(8, 16)
        rows += [(u, c * cycle + (start + t) % cycle, 1.0, 100 * u + t) for t in range(n)]
    return preprocess(pd.DataFrame(rows, columns=["user", "item", "rating", "timestamp"]))


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """These models are tiny: on a busy 2-core machine a second intra-op thread costs 10x in waiting."""
    with intra_op_threads(1):
        yield


@pytest.fixture(scope="module")
def split():
    return loo_split(cyclic_interactions())


def random_sequences(seed: int = 0, n_users: int = 40, n_items: int = 30) -> Sequences:
    rng = np.random.default_rng(seed)
    lens = rng.integers(0, 25, n_users)
    lens[:3] = [0, 1, 2]
    indptr = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
    return Sequences(indptr, rng.integers(0, n_items, indptr[-1]).astype(np.int64))


def windows_loop(seqs: Sequences, length: int, pad: int, stride: int | None) -> list[list[int]]:
    """Slow reference of `sequence_windows`."""
    out = []
    for u in range(len(seqs.indptr) - 1):
        items = list(seqs.items[seqs.indptr[u] : seqs.indptr[u + 1]])
        end = len(items)
        while end >= 2 and len(items) >= 2:
            win = items[max(0, end - length) : end]
            out.append([pad] * (length - len(win)) + win)
            if stride is None:
                break
            end -= stride
    return out


@pytest.mark.parametrize("stride", [None, 4, 7])
def test_sequence_windows_match_a_loop(stride):
    seqs = random_sequences()
    got = sequence_windows(seqs, 8, pad=99, stride=stride)
    np.testing.assert_array_equal(got, np.array(windows_loop(seqs, 8, 99, stride)))


@pytest.mark.parametrize("windows", ["all", "last"])
def test_next_item_batches_are_shifted_windows(windows):
    seqs = random_sequences(1)
    data = TrainData(40, 30, None, None, seqs)
    batcher, n_batches = make_batcher("next_item", data, 16, CPU, max_len=7, windows=windows)
    batches = list(batcher(np.random.default_rng(0)))
    assert len(batches) == n_batches
    x = torch.cat([b["seqs"] for b in batches]).numpy()
    y = torch.cat([b["targets"] for b in batches]).numpy()
    assert x.shape == y.shape and x.shape[1] == 7
    ref = np.array(windows_loop(seqs, 8, 30, 7 if windows == "all" else None))
    order = np.lexsort(np.concatenate([x, y], 1).T[::-1])
    ref_x, ref_y = ref[:, :-1], np.where((ref[:, 1:] == 30) | (ref[:, :-1] == 30), -100, ref[:, 1:])
    ref_order = np.lexsort(np.concatenate([ref_x, ref_y], 1).T[::-1])
    np.testing.assert_array_equal(x[order], ref_x[ref_order])
    np.testing.assert_array_equal(y[order], ref_y[ref_order])
    assert ((y == -100) == (x == 30)).all()  # a target wherever there is an input item, and only there
    lens = seqs.lengths()
    if windows == "all":  # every item but each user's first is a target exactly once per epoch
        expected = np.concatenate([seqs.items[seqs.indptr[u] + 1 : seqs.indptr[u + 1]] for u in range(40)])
        np.testing.assert_array_equal(np.sort(y[y != -100]), np.sort(expected))
    else:
        assert len(x) == (lens >= 2).sum()


@pytest.mark.parametrize("stride", [None, 1, 4])
def test_cloze_batches_cover_each_window(stride):
    seqs = random_sequences(2)
    data = TrainData(40, 30, None, None, seqs)
    batcher, n = make_batcher("cloze", data, 8, CPU, max_len=6, stride=stride)
    rows = torch.cat([b["seqs"] for b in batcher(np.random.default_rng(0))]).numpy()
    ref = np.array(windows_loop(seqs, 6, 30, stride or 6))
    assert rows.shape == ref.shape
    np.testing.assert_array_equal(np.unique(rows, axis=0), np.unique(ref, axis=0))
    assert (np.diff((rows != 30).astype(int), axis=1) >= 0).all()  # right-aligned: no padding after an item


def test_cloze_stride_must_be_positive(data):
    with pytest.raises(ConfigError, match="stride"):
        build_model("bert4rec", data, {"stride": 0})
    with pytest.raises(ValueError, match="stride"):
        make_batcher("cloze", data, 8, CPU, max_len=6, stride=0)


@pytest.mark.parametrize("pre_ln", [True, False])
def test_a_block_is_attention_then_feed_forward_each_with_its_residual_and_layer_norm(pre_ln):
    """Pre-LN (GPT-2, nanoGPT) normalises each sublayer's input; post-LN (the original transformer, SASRec)
    normalises each residual sum."""
    block = Block(8, 2, 16, 0.0, 0.0, pre_ln).eval()
    x, mask = torch.randn(2, 4, 8), attention_mask(torch.ones(2, 4, dtype=torch.bool), causal=True)
    if pre_ln:
        h = x + block.attend(block.ln1(x), mask)
        want = h + block.mlp(block.ln2(h))
    else:
        h = block.ln1(x + block.attend(x, mask))
        want = block.ln2(h + block.mlp(h))
    torch.testing.assert_close(block(x, mask), want)


def test_attention_mask():
    valid = torch.tensor([[False, True, True]])
    causal = attention_mask(valid, causal=True)[0, 0]
    assert causal.tolist() == [[True, False, False], [False, True, False], [False, True, True]]
    assert attention_mask(valid, causal=False)[0, 0, 2].tolist() == [False, True, True]


def test_sasrec_is_causal_and_ignores_padding(data):
    model = build_model("sasrec", data, TINY).eval()
    seqs = torch.randint(0, data.n_items, (4, 8))
    seqs[:, :2] = data.n_items
    out = model(seqs)
    changed = seqs.clone()
    changed[:, 5:] = (changed[:, 5:] + 1) % data.n_items
    torch.testing.assert_close(model(changed)[:, :5], out[:, :5])
    assert not torch.allclose(model(changed)[:, 5:], out[:, 5:])
    # more left padding (shorter window) leaves the outputs at real items unchanged
    torch.testing.assert_close(model(seqs[:, 1:])[:, 1:], out[:, 2:])


def test_bert4rec_is_bidirectional_and_scores_after_the_latest_item(data):
    model = build_model("bert4rec", data, TINY).eval()
    seqs = torch.randint(0, data.n_items, (4, 8))
    changed = seqs.clone()
    changed[:, 5:] = (changed[:, 5:] + 1) % data.n_items
    # later items change the states of earlier positions (SASRec's causal mask would not let them)
    assert not torch.allclose(model.encoder(changed)[:, :5], model.encoder(seqs)[:, :5])
    # the score is the [MASK] appended after the latest item, the oldest item dropped to make room
    appended = torch.cat([seqs[:, 1:], torch.full_like(seqs[:, :1], model.mask_token)], dim=1)
    torch.testing.assert_close(model.score({"seqs": seqs}), model.logits(model.encoder(appended)[:, -1]))
    latest = seqs.clone()
    latest[:, -1] = (latest[:, -1] + 1) % data.n_items
    assert not torch.allclose(model.score({"seqs": latest}), model.score({"seqs": seqs}))


def test_bert4rec_masks_at_the_rate_and_only_items(data):
    model = build_model("bert4rec", data, {**TINY, "mask_prob": 0.3, "last_prob": 0.0})
    seqs = torch.randint(0, data.n_items, (2000, 8))
    seqs[:1000, :3] = data.n_items
    gen = torch.Generator().manual_seed(0)
    inputs, targets = model.mask(seqs, gen)
    masked = inputs == model.mask_token
    assert abs(masked[seqs != data.n_items].float().mean().item() - 0.3) < 0.01
    assert not masked[seqs == data.n_items].any()
    assert torch.equal(targets[masked], seqs[masked]) and (targets[~masked] == -100).all()
    assert torch.equal(inputs[~masked], seqs[~masked])
    model.last_prob = 1.0
    seqs = torch.where(
        torch.arange(8) >= torch.randint(0, 7, (500, 1)), 1000 + torch.randperm(500 * 8).view(500, 8), 999
    )
    model.n_items = 999  # distinct items: each target's place in its window is known
    inputs, targets = model.mask(seqs, gen)
    assert (inputs[:, -1] == model.mask_token).all() and (targets[:, :-1] == -100).all()
    cuts = []
    for row, inp, target in zip(seqs, inputs, targets[:, -1], strict=True):
        q = int(torch.nonzero(row == target))  # the window was cut after item q; its history precedes it
        cuts.append(7 - q)
        history = inp[:-1][inp[:-1] != 999]
        assert torch.equal(history, row[q - len(history) : q]) and len(history) == (row[:q] != 999).sum()
        assert len(history) >= 1  # a cut leaves at least one item before the target
    assert 0 in cuts and max(cuts) >= 5  # targets anywhere in the window, the latest item included


def test_bert4rec_batch_without_a_mask_trains_nothing_and_stays_finite(data):
    # Two-item windows masked item by item (last_prob 0) with mask_prob 0.4 draw no mask 36% of the time.
    model = build_model("bert4rec", data, {**TINY, "last_prob": 0.0})
    seqs = torch.full((1, 8), data.n_items)
    seqs[0, -2:] = torch.tensor([3, 4])
    unmasked = 0
    for s in range(30):
        gen = torch.Generator().manual_seed(s)
        unmasked += int((model.mask(seqs, torch.Generator().manual_seed(s))[1] == -100).all())
        loss = model.training_loss({"seqs": seqs}, StepInfo(0, 1, 1, gen))
        assert torch.isfinite(loss)
    assert unmasked > 0  # the case did occur


def test_bert4rec_loss_by_window_averages_each_windows_targets_first(data):
    model = build_model(
        "bert4rec", data, {**TINY, "dropout": 0.0, "attn_dropout": 0.0, "loss_mean": "window"}
    )
    seqs = torch.randint(0, data.n_items, (32, 8))
    got = model.training_loss({"seqs": seqs}, StepInfo(0, 1, 1, torch.Generator().manual_seed(6)))
    inputs, targets = model.mask(seqs, torch.Generator().manual_seed(6))
    logits = model(inputs)
    means = [
        torch.nn.functional.cross_entropy(logits[w][targets[w] != -100], targets[w][targets[w] != -100])
        for w in range(32)
        if (targets[w] != -100).any()
    ]
    torch.testing.assert_close(got, torch.stack(means).mean())
    model.loss_mean = "position"  # the authors' mean over all masked positions
    got = model.training_loss({"seqs": seqs}, StepInfo(0, 1, 1, torch.Generator().manual_seed(6)))
    keep = targets != -100
    torch.testing.assert_close(got, torch.nn.functional.cross_entropy(logits[keep], targets[keep]))
    with pytest.raises(ConfigError, match="loss_mean"):
        model_config("bert4rec", {"loss_mean": "windows"})
    # windows without a target (a two-item window masked item by item may draw none) take no group number
    model.loss_mean, model.last_prob = "window", 0.0
    short = torch.full((16, 8), data.n_items)
    short[:, -2:] = torch.randint(0, data.n_items, (16, 2))
    for s in range(20):
        loss = model.training_loss({"seqs": short}, StepInfo(0, 1, 1, torch.Generator().manual_seed(s)))
        assert torch.isfinite(loss)


def right_aligned(seqs: torch.Tensor, pad: int) -> bool:
    return bool((torch.diff((seqs != pad).int(), dim=1) >= 0).all())


def test_crop_keeps_a_contiguous_run():
    pad, gen = 50, torch.Generator().manual_seed(0)
    lengths = torch.randint(1, 11, (300,))
    seqs = torch.where(torch.arange(10) >= 10 - lengths[:, None], torch.arange(10).expand(300, -1), pad)
    out = crop(seqs, lengths, 0.6, pad, gen)
    assert right_aligned(out, pad)
    kept = (out != pad).sum(1)
    assert torch.equal(kept, (6 * lengths // 10).clamp(min=1))
    for row, k, orig in zip(out, kept, seqs, strict=True):
        run = row[-k:]
        assert (torch.diff(run) == 1).all() and run[0] >= 10 - (orig != pad).sum()  # consecutive originals


def test_mask_and_reorder_keep_sequences_valid():
    pad, token, gen = 50, 51, torch.Generator().manual_seed(1)
    lengths = torch.randint(1, 11, (300,))
    seqs = torch.where(torch.arange(10) >= 10 - lengths[:, None], torch.randint(0, 50, (300, 10)), pad)
    masked = mask(seqs, lengths, 0.3, pad, token, gen)
    assert torch.equal((masked == token).sum(1), 3 * lengths // 10)
    keep = masked != token
    assert torch.equal(masked[keep], seqs[keep]) and torch.equal(masked == pad, seqs == pad)
    shuffled = reorder(seqs, lengths, 0.6, gen)
    assert torch.equal(shuffled.sort(1).values, seqs.sort(1).values)  # a permutation of each row
    for row, orig, n in zip(shuffled, seqs, lengths, strict=True):
        moved = torch.nonzero(row != orig).ravel()
        if len(moved):  # the moved columns lie within one run of floor(0.6 n) items
            assert moved.max() - moved.min() < int(0.6 * n) and moved.min() >= 10 - n
    views = augment(seqs, (0.6, 0.3, 0.6), pad, token, gen)
    assert right_aligned(views, pad) and views.shape == seqs.shape


@pytest.mark.parametrize(("rate", "n"), [(0.53, 100), (0.59, 100), (0.84, 75), (0.29, 100), (0.6, 50)])
def test_augmentations_take_the_exact_floor_of_rate_times_n(rate, n):
    # floor(rate * n) as the paper has it: the float32 product gave one item fewer for the first three rates,
    # a float64 product for the fourth (0.29 * 100 = 28.999999999999996)
    exact = (round(rate * 100) * n) // 100
    seqs, lengths, gen = torch.arange(n)[None, :], torch.tensor([n]), torch.Generator().manual_seed(0)
    assert int((crop(seqs, lengths, rate, -1, gen) != -1).sum()) == exact
    assert int((mask(seqs, lengths, rate, -1, -2, gen) == -2).sum()) == exact
    gen = torch.Generator().manual_seed(0)
    moved = [torch.nonzero(reorder(seqs, lengths, rate, gen)[0] != seqs[0]).ravel() for _ in range(50)]
    assert max(int(m.max() - m.min()) + 1 for m in moved if len(m)) == exact  # the widest run moved


def test_crop_and_reorder_runs_start_anywhere_the_run_fits():
    """A run of 6 of 10 items starts at any of items 0..4: the one ending at the latest item included."""
    seqs, lengths = torch.arange(10).expand(400, -1), torch.full((400,), 10)
    gen = torch.Generator().manual_seed(0)
    assert set(crop(seqs, lengths, 0.6, 99, gen)[:, 4].tolist()) == {0, 1, 2, 3, 4}  # the run's first item
    moved = [torch.nonzero(row != seqs[0]).ravel() for row in reorder(seqs, lengths, 0.6, gen)]
    moved = [columns for columns in moved if len(columns)]
    assert {0, 4} <= {int(m.min()) for m in moved} and max(int(m.max()) for m in moved) == 9


def test_augment_picks_each_operator_for_a_third_of_the_rows():
    seqs = torch.arange(10).expand(600, -1)
    views = augment(seqs, (0.6, 0.3, 0.6), 99, 98, torch.Generator().manual_seed(0))
    cropped, masked = (views == 99).any(1), (views == 98).any(1)
    reordered = ~cropped & ~masked & (views != seqs).any(1)
    for chosen in (cropped, masked, reordered):
        assert 0.25 < chosen.float().mean() < 0.42


def test_reorder_keeps_a_key_rounded_to_the_runs_end_inside_the_run(monkeypatch):
    # run of 24 items from column 24: a key drawn just below 1 rounds in float32 to 48.0, column 48's own key
    import sslrec_utils.models.cl4srec as cl4srec

    u = torch.linspace(0.0, 0.9, 64)
    u[47] = torch.nextafter(torch.tensor(1.0), torch.tensor(0.0))
    draws = iter([torch.tensor([24.5 / 41]), u[None, :]])
    monkeypatch.setattr(cl4srec, "_draw", lambda shape, generator, device: next(draws))
    seqs = torch.arange(100, 164)[None, :]
    shuffled = reorder(seqs, torch.tensor([64]), 0.375, torch.Generator())
    assert torch.equal(shuffled[0, 48:], seqs[0, 48:]) and torch.equal(shuffled[0, :24], seqs[0, :24])
    assert sorted(shuffled[0, 24:48].tolist()) == list(range(124, 148))


@pytest.mark.parametrize("name", SEQ_MODELS)
def test_shapes_steps_and_round_trip(name, data, split, tmp_path):
    model = build_model(name, data, TINY)
    assert model.score_inputs == ("seqs",) and model.max_len == 8
    assert model.item_embeddings().shape == (data.n_items, 16)
    torch.manual_seed(0)
    batcher, _ = make_batcher(model.batcher, data, 32, CPU, **model.batcher_options())
    batch = next(iter(batcher(np.random.default_rng(0))))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    gen = torch.Generator().manual_seed(0)
    model.eval()  # no dropout, a fixed generator: the loss of the same batch before and after 10 steps
    first = model.training_loss(batch, StepInfo(0, 1, 10, gen.manual_seed(0)))
    for step in range(10):
        loss = model.training_loss(batch, StepInfo(step, 1, 10, gen.manual_seed(0)))
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert model.training_loss(batch, StepInfo(10, 1, 10, gen.manual_seed(0))) < 0.8 * first
    scores = model.score({"seqs": batch["seqs"]})
    assert scores.shape == (len(batch["seqs"]), data.n_items) and torch.isfinite(scores).all()
    fit(model, split, TrainConfig(epochs=1, device="cpu", progress=False), out_dir=tmp_path)
    restored = build_model(name, data, TINY)
    restored.load_state_dict(load_checkpoint(tmp_path / "checkpoint.pt")["state_dict"])
    restored.eval()
    torch.testing.assert_close(
        restored.score({"seqs": batch["seqs"]}), model.eval().score({"seqs": batch["seqs"]})
    )


@pytest.mark.parametrize("name", SEQ_MODELS)
def test_learns_the_cycles_beyond_popularity(name, data, split):
    model = build_model(name, data, {**TINY, "dropout": 0.0, "attn_dropout": 0.0})
    epochs = 60 if name == "bert4rec" else 20  # the cloze task predicts the next item only indirectly
    cfg = TrainConfig(epochs=epochs, batch_size=16, lr=1e-2, patience=epochs, device="cpu", progress=False)
    fit(model, split, cfg)
    pop = build_model("pop", data)
    fit(pop, split, TrainConfig(device="cpu", progress=False))
    got = evaluate_model(model, split, "test").summary["ndcg@10"]
    assert got > evaluate_model(pop, split, "test").summary["ndcg@10"] + 0.3, got
    assert got > 0.5


def test_sampled_negatives_are_uniform_over_the_other_items():
    targets = torch.tensor([0, 3, 4] * 20_000)
    neg = other_items(targets, 5, torch.Generator().manual_seed(0))
    assert (neg != targets).all() and neg.min() >= 0 and neg.max() <= 4
    for t in (0, 3, 4):  # each of the four other items about a quarter of the time
        counts = torch.bincount(neg[targets == t], minlength=5).float() / 20_000
        assert counts[t] == 0 and torch.allclose(counts[counts > 0], torch.full((4,), 0.25), atol=0.015)


def test_sasrec_with_the_papers_sampled_loss_learns_the_cycles(data, split):
    model = build_model("sasrec", data, {**TINY, "dropout": 0.0, "attn_dropout": 0.0, "loss": "bce"})
    batcher, _ = make_batcher(model.batcher, data, 16, CPU, **model.batcher_options())
    batch = next(iter(batcher(np.random.default_rng(0))))
    got = model.training_loss(batch, StepInfo(0, 1, 1, torch.Generator().manual_seed(3)))
    hidden, keep = model(batch["seqs"]), batch["targets"] != -100
    pos = batch["targets"][keep]
    neg = other_items(pos, data.n_items, torch.Generator().manual_seed(3))
    emb = model.item_embeddings()
    scores = [(hidden[keep] * emb[items]).sum(-1) for items in (pos, neg)]
    torch.testing.assert_close(got, losses.sampled_bce(*scores))  # the paper's loss, not the full softmax
    with pytest.raises(ValueError, match="needs 2 items, got 1"):
        SASRec(1, loss="bce")
    with pytest.raises(ValueError, match="loss must be 'ce' or 'bce'"):
        SASRec(5, loss="BCE")
    fit(
        model,
        split,
        TrainConfig(epochs=20, batch_size=16, lr=1e-2, patience=20, device="cpu", progress=False),
    )
    assert evaluate_model(model, split, "test").summary["ndcg@10"] > 0.5


@pytest.mark.parametrize("cl_loss", ["infonce", "nt_xent"])
def test_cl4srec_adds_its_contrastive_loss_on_two_augmented_views(data, cl_loss):
    sizes = {**TINY, "dropout": 0.0, "attn_dropout": 0.0, "cl_weight": 0.5, "temperature": 0.8}
    model = build_model("cl4srec", data, {**sizes, "cl_loss": cl_loss})
    batcher, _ = make_batcher(model.batcher, data, 16, CPU, **model.batcher_options())
    batch = next(iter(batcher(np.random.default_rng(0))))
    got = model.training_loss(batch, StepInfo(0, 1, 1, torch.Generator().manual_seed(4)))
    g, pad = torch.Generator().manual_seed(4), data.n_items
    views = [augment(batch["seqs"], model.rates, pad, pad + 1, g) for _ in range(2)]
    a, b = (model(v)[:, -1] for v in views)
    if cl_loss == "nt_xent":  # the paper's: dot products, both views of the other windows as negatives
        cl = losses.nt_xent(a, b, 0.8)
    else:
        cl = 0.5 * (losses.info_nce(a, b, 0.8) + losses.info_nce(b, a, 0.8))
    next_item = model.next_item_loss(batch["seqs"], batch["targets"])[0]
    torch.testing.assert_close(got, next_item + 0.5 * cl)
    with pytest.raises(ConfigError, match="cl_loss"):
        model_config("cl4srec", {"cl_loss": "ntxent"})
    # its raw dot products divided by 1e-30 had been accepted, and the loss exploded
    with pytest.raises(ConfigError, match=r"^temperature must be >= 0.001, got 1e-30"):
        model_config("cl4srec", {"temperature": 1e-30})
    with pytest.raises(ConfigError, match=r"^cl_weight must be >= 0"):
        model_config("cl4srec", {"cl_weight": -0.1})


def test_itemnext_by_hand():
    # user 0: 0 -> 1 -> 2, user 1: 0 -> 1 -> 3, user 2: 2 -> 0
    seqs = Sequences(np.array([0, 3, 6, 8]), np.array([0, 1, 2, 0, 1, 3, 2, 0]))
    assert transition_counts(seqs.indptr, seqs.items, 4).toarray().tolist() == [
        [0, 2, 0, 0],
        [0, 0, 1, 1],
        [1, 0, 0, 0],
        [0, 0, 0, 0],
    ]
    matrix = sp.csr_matrix(
        (np.ones(8, np.float32), (np.repeat([0, 1, 2], [3, 3, 2]), seqs.items)), shape=(3, 4)
    )
    model = build_model("itemnext", TrainData(3, 4, matrix, matrix, seqs), {"smoothing": 2.0})
    model.fit(TrainData(3, 4, matrix, matrix, seqs))
    scores = model.score({"seqs": torch.tensor([[1], [3], [4]])})  # latest item 1, 3, none (padding)
    pop = np.array([3, 2, 2, 1]) / 8
    np.testing.assert_allclose(scores[0], (np.array([0, 0, 1, 1]) + 2 * pop) / (2 + 2), rtol=1e-6)
    np.testing.assert_allclose(scores[1], pop, rtol=1e-6)  # never followed by anything: popularity
    np.testing.assert_allclose(scores[2], pop, rtol=1e-6)
    # without smoothing: the bare chain, and still popularity where it has no row (it had scored all items 0)
    model = build_model("itemnext", TrainData(3, 4, matrix, matrix, seqs), {"smoothing": 0.0})
    model.fit(TrainData(3, 4, matrix, matrix, seqs))
    scores = model.score({"seqs": torch.tensor([[1], [3], [4]])})
    np.testing.assert_allclose(scores[0], [0, 0, 0.5, 0.5], rtol=1e-6)
    np.testing.assert_allclose(scores[1], pop, rtol=1e-6)
    np.testing.assert_allclose(scores[2], pop, rtol=1e-6)


def test_itemnext_reads_the_latest_item_of_a_longer_window():
    seqs = Sequences(np.array([0, 3, 6]), np.array([0, 1, 2, 0, 1, 2]))  # two users: 0 -> 1 -> 2
    matrix = sp.csr_matrix((np.ones(6, np.float32), (np.repeat([0, 1], 3), seqs.items)), shape=(2, 3))
    data = TrainData(2, 3, matrix, matrix, seqs)
    model = build_model("itemnext", data, {"smoothing": 0.0})
    model.fit(data)
    np.testing.assert_allclose(model.score({"seqs": torch.tensor([[0, 1]])})[0].numpy(), [0.0, 0.0, 1.0])


def test_itemnext_beats_pop_and_round_trips(data, split, tmp_path):
    model = build_model("itemnext", data)
    fit(model, split, TrainConfig(device="cpu", progress=False), out_dir=tmp_path)
    restored = build_model("itemnext", data)
    restored.load_state_dict(load_checkpoint(tmp_path / "checkpoint.pt")["state_dict"])
    seqs = {"seqs": torch.arange(data.n_items + 1)[:, None]}
    torch.testing.assert_close(restored.score(seqs), model.score(seqs))
    assert evaluate_model(model, split, "test").summary["ndcg@10"] > 0.9  # cycles are first-order chains


def test_registry_and_config_errors():
    assert {"sasrec", "bert4rec", "cl4srec", "itemnext"} <= set(MODELS)
    for name in (*SEQ_MODELS, "itemnext"):
        with pytest.raises(ConfigError, match="unknown key"):
            model_config(name, {"hidden": 3})
    with pytest.raises(ConfigError, match="must divide"):
        model_config("sasrec", {"hidden_dim": 10, "n_heads": 3})
    with pytest.raises(ConfigError, match="windows"):
        model_config("sasrec", {"windows": "some"})
    with pytest.raises(ConfigError, match="crop_rate"):
        model_config("cl4srec", {"crop_rate": 0.0})


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("name", SEQ_MODELS)
def test_bf16_autocast_step_on_cuda(name, data):
    device = torch.device("cuda")
    model = build_model(name, data, TINY).to(device)
    batcher, _ = make_batcher(model.batcher, data, 32, device, **model.batcher_options())
    batch = next(iter(batcher(np.random.default_rng(0))))
    gen = torch.Generator(device=device).manual_seed(0)
    with torch.autocast("cuda", dtype=torch.bfloat16):
        loss = model.training_loss(batch, StepInfo(0, 1, 1, gen))
    loss.backward()
    assert torch.isfinite(loss) and all(
        torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None
    )
    with torch.no_grad():
        assert model.score({"seqs": batch["seqs"]}).shape == (32, data.n_items)


@pytest.mark.parametrize("name", ["sasrec", "bert4rec", "cl4srec"])
def test_a_max_len_far_beyond_every_history_is_said(split, name, recwarn):
    """max_len far above the longest history pads every window to it (attention grows with its square), and
    had been accepted without a word."""
    data = TrainData.from_split(split)
    longest = int(data.sequences.lengths().max())
    sizes = {**TINY, "max_len": 2 * (longest + 1) + 1}
    with pytest.warns(
        UserWarning,
        # the value to give: a history of one item had been told to lower it below the smallest, 2
        match=rf"^max_len={sizes['max_len']} is more than twice the longest training history \({longest} items\)"
        rf".* lower it towards {longest + 1} \(--set max_len={longest + 1}\)$",
    ):
        build_model(name, data, sizes, seed=0)
    build_model(name, data, {**TINY, "max_len": 2 * (longest + 1)}, seed=0)  # at most twice: no warning
    assert not recwarn.list


def test_itemnext_fits_training_data_without_a_transition():
    # no interaction at all (it had failed with an IndexError), and users without items before and after others
    empty = TrainData.from_matrix(sp.csr_matrix((2, 3), dtype=np.float32))
    model = build_model("itemnext", empty)
    model.fit(empty)
    assert model.score({"seqs": torch.tensor([[0], [3]])}).abs().sum() == 0
    seqs = Sequences(np.array([0, 0, 2, 2]), np.array([1, 2]))
    assert transition_counts(seqs.indptr, seqs.items, 3).toarray().tolist() == [
        [0, 0, 0],
        [0, 0, 1],
        [0, 0, 0],
    ]


def test_a_batch_estimate_grows_with_the_square_of_max_len_and_counts_what_each_model_keeps(split):
    """`batch_bytes` is what `train.check_memory` refuses a CPU run by (benchmarks/attention_memory.py measures
    it): windows x max_len² per pass, more per layer and head in training, three passes for CL4SRec's views."""
    data = TrainData.from_split(split)
    short, long = ({**TINY, "max_len": n} for n in (8, 16))
    sasrec = build_model("sasrec", data, short, seed=0)
    assert build_model("sasrec", data, long, seed=0).batch_bytes(10, True) == 4 * sasrec.batch_bytes(10, True)
    assert sasrec.batch_bytes(20, True) == 2 * sasrec.batch_bytes(10, True) > 0
    deeper = build_model("sasrec", data, {**short, "n_layers": 3}, seed=0)
    # each layer keeps its attention weights; scoring frees them layer by layer
    assert deeper.batch_bytes(10, True) > sasrec.batch_bytes(10, True)
    assert deeper.batch_bytes(10, False) == sasrec.batch_bytes(10, False) > 0
    assert sasrec.batch_bytes(10, False) < sasrec.batch_bytes(10, True)  # scoring keeps no attention weights
    cl4srec = build_model("cl4srec", data, short, seed=0)
    assert cl4srec.batch_bytes(10, True) == 3 * sasrec.batch_bytes(10, True)  # the window and its two views
    assert cl4srec.batch_bytes(10, False) == sasrec.batch_bytes(10, False)  # scoring has no views
    no_cl = build_model("cl4srec", data, {**short, "cl_weight": 0.0}, seed=0)
    assert no_cl.batch_bytes(10, True) == sasrec.batch_bytes(10, True)
    no_dropout = build_model("sasrec", data, {**short, "attn_dropout": 0.0}, seed=0)
    assert no_dropout.batch_bytes(10, True) < sasrec.batch_bytes(10, True)  # no dropped copy of the weights
    bert4rec = build_model("bert4rec", data, short, seed=0)
    assert bert4rec.batch_bytes(10, True) == no_dropout.batch_bytes(10, True)
    itemnext = build_model("itemnext", data)  # no term beyond the data's size
    assert itemnext.batch_bytes(10**6, True) == itemnext.batch_bytes(10**6, False) == 0


def test_fit_refuses_a_batch_beyond_this_machines_memory_before_training(split, tmp_path, monkeypatch):
    """A max_len far beyond the histories had been warned of, then the kernel's out-of-memory killer ended the
    process without a message and left its output folder half written."""
    from sslrec_utils import train

    model = build_model("sasrec", TrainData.from_split(split), TINY, seed=0)
    cfg = TrainConfig(epochs=1, batch_size=32, eval_batch_size=64, device="cpu", progress=False)
    need = model.batch_bytes(cfg.batch_size, True)
    assert need > model.batch_bytes(cfg.eval_batch_size, False)  # the training step binds at these sizes
    monkeypatch.setattr(train.loop, "physical_memory", lambda: need - 1)
    with pytest.raises(
        ConfigError,
        match=r"^SASRec needs about 0\.0 GiB of memory for one training step of batch_size=32, more than this "
        r"machine's 0\.0 GiB: lower max_len \(attention grows with its square\) or batch_size$",
    ):
        fit(model, split, cfg, out_dir=tmp_path)
    assert not list(tmp_path.iterdir())  # refused before anything was written
    wide = cfg.replace(batch_size=1, eval_batch_size=4096)
    with pytest.raises(
        ConfigError, match="for one validation batch of eval_batch_size=4096, .* or eval_batch_size$"
    ):
        fit(model, split, wide)
    monkeypatch.setattr(train.loop, "physical_memory", lambda: need)  # exactly enough: trains
    assert fit(model, split, cfg).best_epoch == 1
    with pytest.raises(
        ConfigError, match="batch_size=32 in each of the 2 processes on this machine, more than"
    ):
        train.check_memory(model, cfg, CPU, local_ranks=2)  # torchrun's ranks on one machine share its memory
    # a system that does not say: not checked
    monkeypatch.setattr(train.loop, "physical_memory", lambda: None)
    assert fit(model, split, cfg).best_epoch == 1
    monkeypatch.setattr(train.loop, "physical_memory", lambda: 1)
    train.check_memory(model, cfg, torch.device("cuda"))  # CUDA fails an allocation with an error instead


def test_sequence_models_built_directly_refuse_a_max_len_their_configs_refuse() -> None:
    # SASRec(40, max_len=0) had built, and failed only when scoring ("sequences of length 1 exceed max_len=0")
    for model in (SASRec, BERT4Rec):
        with pytest.raises(ValueError, match=r"max_len must be >= 2, got 1"):
            model(40, max_len=1)
