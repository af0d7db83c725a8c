import numpy as np
import pytest
import scipy.sparse as sp
import torch

from sslrec_utils import losses
from sslrec_utils.batching import make_batcher
from sslrec_utils.config import ConfigError
from sslrec_utils.models import MODELS, build_model, model_config
from sslrec_utils.models.base import StepInfo, TrainData
from sslrec_utils.models.graph import (
    SymmetricSpMM,
    batch_contrast,
    drop_edges,
    edge_ids,
    layer_mean,
    normalized_adjacency,
    propagate,
    rows,
    sign_noise,
)
from sslrec_utils.splits import holdout_split
from sslrec_utils.train import (
    TrainConfig,
    evaluate_model,
    fit,
    intra_op_threads,
    load_checkpoint,
    save_checkpoint,
    set_seed,
)
from tests.helpers import clustered_interactions

GRAPH_MODELS = ("lightgcn", "sgl", "simgcl", "xsimgcl")
SMALL = {"embedding_dim": 16, "n_layers": 2}


def dense_normalized(r: np.ndarray) -> np.ndarray:
    """D^-1/2 A D^-1/2 of [[0, R], [R^T, 0]], isolated nodes left at 0, by hand."""
    n_users, n_items = r.shape
    a = np.zeros((n_users + n_items,) * 2)
    a[:n_users, n_users:], a[n_users:, :n_users] = r, r.T
    d = a.sum(1)
    inv = np.divide(1.0, np.sqrt(d), out=np.zeros_like(d), where=d > 0)
    return inv[:, None] * a * inv[None, :]


def random_matrix(n_users: int, n_items: int, density: float, seed: int) -> sp.csr_matrix:
    r = sp.random(n_users, n_items, density=density, random_state=seed, format="csr", dtype=np.float32)
    r.data[:] = 1.0
    return r


def test_normalized_adjacency_is_the_hand_computed_matrix():
    r = np.array(
        [[1, 1, 0], [0, 1, 0], [0, 0, 0], [1, 1, 1]], dtype=np.float32
    )  # user 2 and no item isolated
    adj = normalized_adjacency(sp.csr_matrix(r))
    assert adj.layout == torch.sparse_csr and adj.shape == (7, 7)
    dense = adj.to_dense().double().numpy()
    np.testing.assert_allclose(dense, dense_normalized(r), atol=1e-7)
    np.testing.assert_allclose(dense, dense.T)
    # entry (user 0, item 1): d_u = 2, d_i = 3
    assert dense[0, 4 + 1] == pytest.approx(1 / np.sqrt(2 * 3))
    assert adj._nnz() == 2 * int(r.sum())  # no zero entries stored
    # ratings are edges of weight 1, and the caller's matrix (float32 CSR: scipy would not copy it) is left alone
    ratings = sp.csr_matrix(r * np.array([5, 3, 4], dtype=np.float32))
    before = ratings.copy()
    np.testing.assert_allclose(normalized_adjacency(ratings).to_dense().double().numpy(), dense)
    assert (ratings != before).nnz == 0


def test_a_graph_of_2_31_entries_or_more_keeps_int64_indices(monkeypatch):
    # int32 indices are faster on the CPU, but would wrap from 2**31 stored entries (here the threshold lowered)
    import sslrec_utils.models.graph as graph

    r = sp.csr_matrix(np.array([[1, 1, 0], [0, 1, 0], [1, 1, 1]], dtype=np.float32))
    narrow = normalized_adjacency(r)
    assert narrow.col_indices().dtype == torch.int32
    monkeypatch.setattr(graph, "INT32_ENTRIES", 12)  # the graph stores 2 * 6
    wide = normalized_adjacency(r)
    assert wide.col_indices().dtype == wide.crow_indices().dtype == torch.int64
    np.testing.assert_array_equal(wide.to_dense().numpy(), narrow.to_dense().numpy())


def test_propagation_equals_matrix_powers():
    r = random_matrix(9, 7, 0.35, seed=1)
    adj = normalized_adjacency(r)
    a = torch.from_numpy(dense_normalized(r.toarray())).float()
    ego = torch.randn(16, 5)
    layers = propagate(adj, ego, 3)
    assert len(layers) == 4
    powers = [torch.linalg.matrix_power(a, k) @ ego for k in range(4)]
    for got, want in zip(layers, powers, strict=True):
        torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(layer_mean(layers), sum(powers) / 4, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(layer_mean(layers, first=1), sum(powers[1:]) / 3, atol=1e-5, rtol=1e-5)


def test_symmetric_product_has_the_dense_gradient():
    r = random_matrix(12, 8, 0.3, seed=2)
    adj = normalized_adjacency(r)
    dense = adj.to_dense()
    x = torch.randn(20, 4, requires_grad=True)
    w = torch.randn(20, 4)
    (got,) = torch.autograd.grad((SymmetricSpMM.apply(adj, x) * w).sum(), x)
    (want,) = torch.autograd.grad((dense @ x * w).sum(), x)
    torch.testing.assert_close(got, want)


def test_edge_dropout_keeps_a_fraction_symmetric_renormalised_reproducible():
    r = random_matrix(200, 120, 0.1, seed=3)
    adj = normalized_adjacency(r)
    ids = edge_ids(adj)
    dropped = drop_edges(adj, ids, 0.3, torch.Generator().manual_seed(0)).to_dense().double().numpy()
    np.testing.assert_allclose(dropped, dropped.T)
    kept = dropped[:200, 200:] > 0
    assert not (kept & (r.toarray() == 0)).any()  # only existing edges
    assert kept.sum() / r.nnz == pytest.approx(0.7, abs=0.03)  # ~2400 edges: 0.03 is > 3 std
    np.testing.assert_allclose(dropped, dense_normalized(kept.astype(float)), atol=1e-6)
    again = drop_edges(adj, ids, 0.3, torch.Generator().manual_seed(0)).to_dense().double().numpy()
    other = drop_edges(adj, ids, 0.3, torch.Generator().manual_seed(1)).to_dense().double().numpy()
    np.testing.assert_array_equal(dropped, again)
    assert not np.array_equal(dropped, other)
    np.testing.assert_allclose(drop_edges(adj, ids, 0.0).to_dense(), adj.to_dense())
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        drop_edges(adj, ids, 1.0)


def test_sign_noise_has_length_eps_and_the_sign_of_the_embedding():
    x = torch.randn(50, 8)
    noise = sign_noise(x, 0.1, torch.Generator().manual_seed(0))
    torch.testing.assert_close(noise.norm(dim=1), torch.full((50,), 0.1))
    assert ((noise * x) >= 0).all()


def test_noise_is_added_after_every_layer_and_propagated_with_it():
    """SimGCL's views: layer k + 1 propagates layer k's noisy embeddings, the noise drawn from the generator given
    (the trainer's, so each rank and each run draws its own), not PyTorch's global one."""
    adj = normalized_adjacency(sp.csr_matrix(np.array([[1, 1, 0], [0, 1, 1]], dtype=np.float32)))
    ego = torch.randn(5, 3)
    torch.manual_seed(
        1
    )  # the global generator in another state for each of the two draws: it must not matter
    got = propagate(adj, ego, 2, 0.1, torch.Generator().manual_seed(0))
    gen, dense, want = torch.Generator().manual_seed(0), adj.to_dense(), [ego]
    torch.manual_seed(2)
    for _ in range(2):
        x = dense @ want[-1]
        want.append(x + sign_noise(x, 0.1, gen))
    for layer, expected in zip(got, want, strict=True):
        torch.testing.assert_close(layer, expected)


def test_contrast_is_positive_and_lower_when_views_agree():
    gen = torch.Generator().manual_seed(0)
    users, items = torch.randn(30, 8, generator=gen), torch.randn(20, 8, generator=gen)
    batch = {"users": torch.tensor([0, 1, 2, 2, 5, 9]), "pos": torch.tensor([3, 3, 4, 7, 8, 19])}
    same = batch_contrast((users, items), (users, items), batch, 0.2)
    # a small perturbation can lower InfoNCE (it may push the negatives apart), so the noise is not tiny: at 0.5
    # the order held on 499 of 500 seeds; every draw comes from `gen`, so the result does not depend on test order
    noisy = (users + 0.5 * torch.randn(30, 8, generator=gen), items + 0.5 * torch.randn(20, 8, generator=gen))
    close = batch_contrast((users, items), noisy, batch, 0.2)
    unrelated = batch_contrast(
        (users, items), (torch.randn(30, 8, generator=gen), torch.randn(20, 8, generator=gen)), batch, 0.2
    )
    assert 0 < same < close < unrelated


@pytest.mark.parametrize("negatives", ["batch", "all"])
def test_contrast_matches_a_loop_over_its_anchors_and_negatives(negatives):
    # "batch": the batch's distinct nodes against one another (SELFRec's SimGCL); "all": every batch row
    # against every node of the other view (the SGL paper's InfoNCE, SGL-Torch's code)
    gen = torch.Generator().manual_seed(1)
    v1 = (torch.randn(12, 4, generator=gen), torch.randn(9, 4, generator=gen))
    v2 = (torch.randn(12, 4, generator=gen), torch.randn(9, 4, generator=gen))
    batch = {"users": torch.tensor([0, 3, 3, 7, 11]), "pos": torch.tensor([2, 2, 5, 8, 0])}
    total = 0.0
    for a, b, nodes in ((v1[0], v2[0], batch["users"]), (v1[1], v2[1], batch["pos"])):
        anchors = nodes.tolist() if negatives == "all" else sorted(set(nodes.tolist()))
        candidates = range(len(b)) if negatives == "all" else anchors
        part = 0.0
        for i in anchors:
            sims = torch.stack([torch.cosine_similarity(a[i], b[j], dim=0) for j in candidates]) / 0.3
            part += -(torch.cosine_similarity(a[i], b[i], dim=0) / 0.3 - torch.logsumexp(sims, 0))
        total += part / len(anchors)
    torch.testing.assert_close(batch_contrast(v1, v2, batch, 0.3, negatives), total)
    with pytest.raises(ValueError, match="negatives must be 'batch' or 'all'"):
        batch_contrast(v1, v2, batch, 0.3, "al")


def test_sgl_takes_the_papers_negatives_on_request(data):
    model = build_model("sgl", data, {**SMALL, "ssl_negatives": "all"})
    batch = next(
        iter(make_batcher("bpr_triples", data, 64, torch.device("cpu"))[0](np.random.default_rng(0)))
    )
    got = model.training_loss(batch, StepInfo(0, 1, 1, torch.Generator().manual_seed(2)))
    v1, v2 = (model(g) for g in model.view_graphs(StepInfo(0, 1, 1, torch.Generator().manual_seed(2))))
    ssl = batch_contrast(v1, v2, batch, model.ssl_temp, "all")
    torch.testing.assert_close(got, model.rec_loss(batch, *model()) + model.ssl_reg * ssl)
    with pytest.raises(ConfigError, match="ssl_negatives"):
        model_config("sgl", {"ssl_negatives": "al"})


def test_registered_and_configs_reject_unknown_keys():
    for name in GRAPH_MODELS:
        assert name in MODELS
        with pytest.raises(ConfigError, match="n_layer"):
            model_config(name, {"n_layer": 2})
    with pytest.raises(ConfigError, match="cl_layer"):
        model_config("xsimgcl", {"n_layers": 2, "cl_layer": 3})


@pytest.mark.parametrize(
    ("name", "bad"),
    [
        ("lightgcn", {"n_layers": -1}),
        ("lightgcn", {"reg": -1.0}),
        ("sgl", {"ssl_temp": 0.0}),  # InfoNCE divides by it: a NaN loss blamed on the lr
        ("sgl", {"drop_rate": 1.0}),
        ("sgl", {"ssl_reg": -1e-3}),
        ("simgcl", {"eps": -0.1}),
        ("simgcl", {"cl_temp": 0.0}),
        ("simgcl", {"n_layers": 0, "skip_ego": True}),  # no layer to average: an IndexError before
        ("xsimgcl", {"reg": -1.0}),  # the parents' checks apply to every subclass
        # tiny temperatures had been accepted: cl_temp=1e-30 divides the similarities by 1e-30
        ("sgl", {"ssl_temp": 1e-30}),
        ("simgcl", {"cl_temp": 1e-4}),
        ("xsimgcl", {"cl_temp": float("nan")}),
        # without propagation both views are the embeddings themselves (SGL's dropped edges and SimGCL's
        # per-layer noise act through layers): a contrast of a view with itself had trained without a word
        ("sgl", {"n_layers": 0}),
        ("simgcl", {"n_layers": 0}),
        # nor do views differ without a dropped edge or any noise (they had been accepted, n_layers=0 refused)
        ("sgl", {"drop_rate": 0.0}),
        ("simgcl", {"eps": 0.0}),
        ("xsimgcl", {"eps": 0.0}),
    ],
)
def test_configs_reject_values_that_cannot_train(name, bad):
    with pytest.raises(ConfigError, match=r"need|must be >=|must be a finite|must lie|needs n_layers >= 1"):
        model_config(name, bad)


def test_the_smallest_temperature_and_one_layer_are_accepted():
    model_config("sgl", {"ssl_temp": 1e-3, "n_layers": 1})
    model_config("simgcl", {"cl_temp": 1e-3, "n_layers": 1})
    with pytest.raises(ConfigError, match=r"^sgl's views differ only through propagation"):
        model_config("sgl", {"n_layers": 0})
    with pytest.raises(ConfigError, match=r"^xsimgcl's views differ by the noise"):
        model_config("xsimgcl", {"n_layers": 0, "cl_layer": 0})


def test_zero_layers_is_matrix_factorisation(data):
    model = build_model("lightgcn", data, {"n_layers": 0}, seed=0)
    users, items = model()
    torch.testing.assert_close(torch.cat([users, items]), model.embedding.detach())


def test_lightgcn_penalises_the_batchs_own_user_and_item_rows(data):
    model = build_model("lightgcn", data, {"reg": 1.0}, seed=0)
    u, pos, neg = torch.tensor([0, 1, 2]), torch.tensor([3, 4, 5]), torch.tensor([6, 7, 8])
    users, items = model()
    ego = model.embedding.detach()
    eu = users[u]
    bpr = losses.bpr((eu * items[pos]).sum(-1), (eu * items[neg]).sum(-1))
    items_ego = ego[data.n_users :]  # the item rows follow the user rows
    penalty = (ego[u].pow(2).sum() + items_ego[pos].pow(2).sum() + items_ego[neg].pow(2).sum()) / (2 * 3)
    got = model.rec_loss({"users": u, "pos": pos, "neg": neg}, users, items)
    torch.testing.assert_close(got, bpr + penalty)


def losses_at(model, batch, seed=0):
    """(training loss with augmentations drawn from a fixed seed, BPR part alone): comparable across calls."""
    info = StepInfo(0, 1, 1, torch.Generator().manual_seed(seed))
    with torch.no_grad():
        return model.training_loss(batch, info).item(), model.rec_loss(batch, *model()).item()


@pytest.mark.parametrize("name", GRAPH_MODELS)
def test_shapes_and_a_few_steps_lower_the_loss(name, data):
    set_seed(0)
    model = build_model(name, data, SMALL)
    users = torch.tensor([0, 5, 7])
    model.eval()
    assert model.score({"users": users}).shape == (3, data.n_items)
    assert model.item_embeddings().shape == (data.n_items, 16)
    model.train()
    batcher, _ = make_batcher("bpr_triples", data, 256, torch.device("cpu"))
    batches = list(batcher(np.random.default_rng(0)))
    before = losses_at(model, batches[0])
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    gen = torch.Generator().manual_seed(1)
    for step in range(30):
        loss = model.training_loss(batches[step % len(batches)], StepInfo(step, 1 + step // 5, 30, gen))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    after = losses_at(model, batches[0])
    # the contrastive term falls fast to a plateau, the ranking term keeps falling
    assert after[0] < before[0] and after[1] < 0.9 * before[1], (before, after)


@pytest.mark.parametrize("name", GRAPH_MODELS)
def test_checkpoint_holds_embeddings_only_and_round_trips(name, data, tmp_path):
    set_seed(0)
    model = build_model(name, data, SMALL)
    assert list(model.state_dict()) == ["embedding"]  # the graph is rebuilt from the data, never saved
    save_checkpoint(tmp_path / "ck.pt", model)
    set_seed(1)
    restored = build_model(name, data, SMALL)
    restored.load_state_dict(load_checkpoint(tmp_path / "ck.pt")["state_dict"])
    users = {"users": torch.arange(data.n_users)}
    with torch.no_grad():
        torch.testing.assert_close(restored.eval().score(users), model.eval().score(users), rtol=0, atol=0)


def test_eval_cache_matches_fresh_propagation_and_is_invalidated(data):
    set_seed(0)
    model = build_model("lightgcn", data, SMALL).eval()
    users = {"users": torch.arange(data.n_users)}

    def fresh():
        with torch.no_grad():
            u, i = model()
            return u @ i.T

    with torch.no_grad():
        first = model.score(users)
        cached = model._cache
        torch.testing.assert_close(first, fresh(), rtol=0, atol=0)
        torch.testing.assert_close(model.score(users), first, rtol=0, atol=0)
        assert model._cache is cached  # propagated once, reused
    # a training step, then back to eval: new scores, equal to a fresh propagation
    model.train()
    batch = next(make_batcher("bpr_triples", data, 256, torch.device("cpu"))[0](np.random.default_rng(0)))
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    model.training_loss(batch, StepInfo(0, 1, 1, torch.Generator())).backward()
    optimizer.step()
    model.eval()
    with torch.no_grad():
        after = model.score(users)
    assert not torch.equal(after, first)
    torch.testing.assert_close(after, fresh(), rtol=0, atol=0)
    # weights replaced while staying in eval mode (no train() call): the cache must notice
    with torch.no_grad():
        model.embedding.mul_(2.0)
        torch.testing.assert_close(model.score(users), fresh(), rtol=0, atol=0)
        torch.testing.assert_close(model.score(users), 4 * after, rtol=1e-5, atol=1e-6)
    # with autograd on, nothing is cached (the result carries a graph)
    assert model.score(users).requires_grad


def test_a_write_through_data_is_seen_after_train(data):
    """The docstring's way out of a write that the version counter misses: ``train()`` drops the cache."""
    model = build_model("lightgcn", data, SMALL, seed=0).eval()
    users = {"users": torch.arange(5)}
    with torch.no_grad():
        first = model.score(users)
        model.embedding.data.mul_(2.0)
        model.train().eval()
        torch.testing.assert_close(model.score(users), 4 * first, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["simgcl", "xsimgcl"])
def test_skip_ego_averages_layers_1_to_k(name, data):
    model = build_model(name, data, {**SMALL, "skip_ego": True}, seed=0)
    layers = propagate(model.adj, model.embedding, 2)
    torch.testing.assert_close(torch.cat(model()), (layers[1] + layers[2]) / 2)


def bpr_batch(data):
    return next(make_batcher("bpr_triples", data, 64, torch.device("cpu"))[0](np.random.default_rng(0)))


def test_simgcl_loss_is_bpr_on_the_clean_pass_plus_infonce_of_two_noisy_views(data):
    model = build_model("simgcl", data, {**SMALL, "cl_weight": 0.5}, seed=0)
    batch = bpr_batch(data)
    got = model.training_loss(batch, StepInfo(0, 1, 1, torch.Generator().manual_seed(3)))
    gen = torch.Generator().manual_seed(3)
    views = [model(eps=model.eps, generator=gen) for _ in range(2)]  # two draws: two different views
    want = model.rec_loss(batch, *model()) + 0.5 * batch_contrast(*views, batch, model.cl_temp)
    torch.testing.assert_close(got, want)


@pytest.mark.parametrize("skip_ego", [False, True])
def test_xsimgcl_loss_by_hand(data, skip_ego):
    """One noisy propagation: BPR on the mean of its layers, InfoNCE between that mean and layer `cl_layer`."""
    settings = {"embedding_dim": 8, "n_layers": 3, "cl_layer": 2, "cl_weight": 0.5, "skip_ego": skip_ego}
    model = build_model("xsimgcl", data, settings, seed=0)
    batch = bpr_batch(data)
    got = model.training_loss(batch, StepInfo(0, 1, 1, torch.Generator().manual_seed(3)))
    layers = propagate(model.adj, model.embedding, 3, model.eps, torch.Generator().manual_seed(3))
    kept = layers[1:] if skip_ego else layers
    final = model.split(sum(kept) / len(kept))
    contrast = batch_contrast(final, model.split(layers[2]), batch, model.cl_temp)
    torch.testing.assert_close(got, model.rec_loss(batch, *final) + 0.5 * contrast)


def test_sgl_views_keep_about_one_minus_drop_rate_of_the_edges():
    data = TrainData.from_matrix(random_matrix(200, 60, 0.3, seed=3))  # about 3,600 edges
    model = build_model("sgl", data, {"embedding_dim": 4, "n_layers": 1, "drop_rate": 0.1})
    view, _ = model.view_graphs(StepInfo(0, 1, 1, torch.Generator().manual_seed(0)))
    assert abs((view.values() != 0).float().mean().item() - 0.9) < 0.03  # the share's sd: 0.005


def test_sgl_draws_its_views_once_per_epoch(data):
    model = build_model("sgl", data, SMALL)
    gen = torch.Generator().manual_seed(0)
    first = model.view_graphs(StepInfo(0, 1, 10, gen))
    assert model.view_graphs(StepInfo(1, 1, 10, gen))[0] is first[0]
    assert not torch.equal(first[0].values(), first[1].values())  # two different views
    nxt = model.view_graphs(StepInfo(2, 2, 10, gen))
    assert not torch.equal(nxt[0].values(), first[0].values())


@pytest.mark.parametrize("name", ("lightgcn", "xsimgcl"))
def test_learns_the_clusters(name, split, data):
    set_seed(0)
    model = build_model(name, data, SMALL)
    cfg = TrainConfig(epochs=20, batch_size=256, lr=0.01, patience=20, progress=False, device="cpu")
    fit(model, split, cfg)
    pop = build_model("pop", data)
    fit(pop, split, cfg)
    got, base = (evaluate_model(m, split, "test").summary["ndcg@10"] for m in (model, pop))
    assert got > base + 0.1, (got, base)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("name", GRAPH_MODELS)
def test_one_step_on_cuda_matches_cpu(name, data):
    """With augmentations switched off the CUDA loss equals the CPU loss; with them on, a step runs."""
    # switched off on the built models: their configs refuse drop_rate=0 and eps=0 (one view, not two), and had
    # failed this test before CUDA was reached
    off = {"drop_rate": 0.0} if name == "sgl" else {"eps": 0.0} if name != "lightgcn" else {}
    set_seed(0)
    cpu = build_model(name, data, SMALL)
    gpu = build_model(name, data, SMALL).cuda()
    for model in (cpu, gpu):
        for key, value in off.items():
            setattr(model, key, value)
    gpu.load_state_dict(cpu.state_dict())
    batch = next(make_batcher("bpr_triples", data, 256, torch.device("cpu"))[0](np.random.default_rng(0)))
    want = cpu.training_loss(batch, StepInfo(0, 1, 1, torch.Generator().manual_seed(0)))
    cuda_batch = {k: v.cuda() for k, v in batch.items()}
    got = gpu.training_loss(cuda_batch, StepInfo(0, 1, 1, torch.Generator("cuda").manual_seed(0)))
    torch.testing.assert_close(got.cpu(), want, rtol=1e-4, atol=1e-5)
    noisy = build_model(name, data, SMALL).cuda()
    loss = noisy.training_loss(cuda_batch, StepInfo(0, 1, 1, torch.Generator("cuda").manual_seed(0)))
    loss.backward()
    assert torch.isfinite(loss) and noisy.embedding.grad.abs().sum() > 0
    with torch.no_grad():
        assert noisy.eval().score({"users": torch.arange(4, device="cuda")}).shape == (4, data.n_items)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_fit_on_cuda_with_autocast(split, data):
    """The trainer's bfloat16 autocast must leave the sparse propagation in float32 and still learn."""
    set_seed(0)
    model = build_model("sgl", data, SMALL)
    cfg = TrainConfig(epochs=3, batch_size=256, lr=0.01, progress=False, device="cuda", amp=True)
    result = fit(model, split, cfg)
    assert np.isfinite(result.history["train_loss"]).all()
    assert model.device.type == "cuda" and model.adj.device.type == "cuda"
    pop = build_model("pop", data)
    fit(pop, split, cfg)
    # learnt, as test_learns_the_clusters asks: on the CPU these 3 epochs give 0.39-0.44 from seeds 0-2 (an
    # untrained SGL 0.10-0.14, popularity 0.08)
    got, base = (evaluate_model(m, split, "test").summary["ndcg@10"] for m in (model, pop))
    assert got > base + 0.1, (got, base)


def with_threads(n: int, fn):
    with intra_op_threads(n):
        return fn()


def test_rows_gradient_is_the_same_for_any_thread_count():
    # table[index]'s backward on CPU adds rows with atomics across threads: its result varies run to run
    g = torch.Generator().manual_seed(0)
    table = torch.randn(3000, 32, generator=g, requires_grad=True)
    index = torch.randint(0, 1000, (20_000,), generator=g)  # many repeats per row
    upstream = torch.randn(20_000, 32, generator=g)

    def grad() -> torch.Tensor:
        table.grad = None
        (rows(table, index) * upstream).sum().backward()
        return table.grad.clone()

    assert torch.equal(rows(table, index), table[index])
    grads = [with_threads(n, grad) for n in (1, 2, 4, 4, 2)]
    assert all(torch.equal(grads[0], other) for other in grads[1:])


@pytest.mark.parametrize("name", ["sgl", "simgcl"])
def test_graph_training_is_the_same_for_any_thread_count(name):
    # one seed, one result: with two threads LightGCN-based models used to drift in the last bits of their
    # weights from run to run, enough to reorder near-tied scores and move early stopping now and then; batches
    # large enough for PyTorch to spread the rows' gradients over threads
    big = holdout_split(clustered_interactions(n_users=1000, n_items=500, per_user=40), seed=7)
    data = TrainData.from_split(big)

    def train() -> dict[str, torch.Tensor]:
        set_seed(0)
        model = build_model(name, data, {"embedding_dim": 32, "n_layers": 2})
        fit(model, big, TrainConfig(epochs=1, batch_size=4096, progress=False, seed=0))
        return model.state_dict()

    runs = [with_threads(n, train) for n in (1, 2, 2)]
    assert all(torch.equal(runs[0][k], other[k]) for other in runs[1:] for k in runs[0])
