import contextlib
import copy
import random
import types
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from sslrec_utils import train as train_module
from sslrec_utils.config import ConfigError
from sslrec_utils.data import preprocess
from sslrec_utils.models import build_model
from sslrec_utils.models.base import Recommender, TrainData
from sslrec_utils.splits import holdout_split, loo_split
from sslrec_utils.train import (
    CLOSED_FORM_SETTINGS,
    TrainConfig,
    evaluate_model,
    fit,
    load_checkpoint,
    lr_factor,
    resolve_device,
    save_checkpoint,
    set_seed,
)
from tests.helpers import clustered_interactions

QUIET = TrainConfig(progress=False, device="cpu")


@pytest.mark.parametrize(
    ("cuda", "mps", "expected"),
    [(True, True, "cuda"), (True, False, "cuda"), (False, True, "mps"), (False, False, "cpu")],
)
def test_auto_picks_cuda_then_mps_then_cpu(monkeypatch, cuda, mps, expected):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)
    assert resolve_device("auto") == torch.device(expected)
    assert resolve_device("cpu") == torch.device("cpu")


def test_a_device_this_machine_lacks_is_refused(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert resolve_device("cuda:0") == torch.device("cuda", 0)
    with pytest.raises(
        ConfigError, match=r"device 'cuda:1' is not available here \(PyTorch sees 1 CUDA device"
    ):
        resolve_device("cuda:1")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    with pytest.raises(ConfigError, match="no MPS device"):
        resolve_device("mps")
    with pytest.raises(ConfigError, match="'tpu' is not a device"):
        resolve_device("tpu")


def test_build_model_seed_fixes_the_init_and_leaves_the_global_generator():
    data = TrainData.from_split(holdout_split(clustered_interactions(n_users=30), seed=1))
    state = torch.random.get_rng_state()
    reseeded = []  # torch.manual_seed would also reseed every GPU's generator, which fork_rng does not restore
    real = torch.cuda.manual_seed_all
    torch.cuda.manual_seed_all = reseeded.append
    try:
        a, b = build_model("ae", data, seed=3), build_model("ae", data, seed=3)
    finally:
        torch.cuda.manual_seed_all = real
    assert torch.equal(torch.random.get_rng_state(), state) and reseeded == []
    assert torch.equal(a.encoder.weight, b.encoder.weight)
    assert not torch.equal(a.encoder.weight, build_model("ae", data, seed=4).encoder.weight)


def test_fit_gives_the_global_generators_back_as_it_found_them():
    # fit seeds them for dropout and noise: a reader's draws after each fit had repeated, whatever their seed
    split = holdout_split(clustered_interactions(n_users=30), seed=1)

    def draws() -> tuple[float, float, float]:
        return random.random(), float(np.random.rand()), torch.rand(1).item()

    for seed in (5, 6):
        random.seed(seed), np.random.seed(seed), torch.manual_seed(seed)
        expected = draws()
        random.seed(seed), np.random.seed(seed), torch.manual_seed(seed)
        fit(build_model("multdae", TrainData.from_split(split), seed=0), split, QUIET.replace(epochs=1))
        assert draws() == expected


def test_set_seed_makes_weights_reproducible():
    set_seed(3)
    a = nn.Linear(4, 4).weight.detach().clone()
    set_seed(3)
    assert torch.equal(a, nn.Linear(4, 4).weight)


def test_autoencoder_learns_clusters_and_beats_popularity(split):
    data = TrainData.from_split(split)
    ae = build_model("ae", data, {"hidden_dim": 8})
    result = fit(ae, split, QUIET.replace(epochs=40, batch_size=16, lr=1e-2, patience=40))
    history = result.history
    assert history["train_loss"].iloc[-1] < 0.8 * history["train_loss"].iloc[0]
    pop = build_model("pop", data)
    fit(pop, split, QUIET)
    ae_test = evaluate_model(ae, split, "test").summary["ndcg@10"]
    pop_test = evaluate_model(pop, split, "test").summary["ndcg@10"]
    # 90% of each user's items lie in their cluster's 20 items: a model that learns that beats popularity
    assert ae_test > pop_test + 0.1, (ae_test, pop_test)
    assert result.best_valid["ndcg@10"] == history["ndcg@10"].max()
    assert result.best_epoch == int(history.loc[history["ndcg@10"].idxmax(), "epoch"])


def test_same_seed_same_history(split):
    data = TrainData.from_split(split)
    cfg = QUIET.replace(epochs=3, batch_size=16)
    h1 = fit(build_model("ae", data, seed=5), split, cfg).history
    h2 = fit(build_model("ae", data, seed=5), split, cfg).history
    np.testing.assert_array_equal(h1[["train_loss", "ndcg@10"]], h2[["train_loss", "ndcg@10"]])


@pytest.mark.parametrize("name", ["multvae", "pop"])
def test_fit_returns_the_model_ready_to_score(split, name):
    """In eval mode: Mult-VAE left in train mode (as validation had left it) drops input entries and samples
    its code, so scoring it after `fit` gave other scores at each call."""
    model = build_model(name, TrainData.from_split(split), seed=5)
    fit(model, split, QUIET.replace(epochs=2, batch_size=16))
    assert not any(m.training for m in model.modules())
    rows = torch.from_numpy(split.matrix("train")[:4].toarray())
    inputs = {k: v for k, v in {"users": torch.arange(4), "rows": rows}.items() if k in model.score_inputs}
    with torch.no_grad():
        torch.testing.assert_close(model.score(inputs), model.score(inputs), rtol=0, atol=0)


def test_lr_schedules_decay_over_the_whole_budget(split):
    assert [lr_factor("linear", p) for p in (0, 0.25, 1, 1.5)] == [1, 0.75, 0, 0]
    assert lr_factor("cosine", 0) == 1 and lr_factor("cosine", 0.5) == pytest.approx(0.5)
    assert lr_factor("cosine", 1) == pytest.approx(0) and lr_factor("constant", 0.9) == 1
    with pytest.raises(ConfigError, match="lr_schedule"):
        QUIET.replace(lr_schedule="step")
    data = TrainData.from_split(split)
    cfg = QUIET.replace(epochs=4, batch_size=16, lr=1e-2, lr_schedule="linear")
    lrs = fit(build_model("ae", data, seed=5), split, cfg).history["lr"]
    # recorded after each epoch's last step: 3/4, 2/4, 1/4 and none of the lr left
    np.testing.assert_allclose(lrs, [7.5e-3, 5e-3, 2.5e-3, 0.0], atol=1e-12)
    constant = fit(build_model("ae", data, seed=5), split, cfg.replace(lr_schedule="constant")).history
    assert (constant["lr"] == 1e-2).all()


def test_monitor_watches_without_changing_training_or_the_clock(split, monkeypatch):
    import sslrec_utils.train as train_module

    data = TrainData.from_split(split)
    cfg = QUIET.replace(epochs=3, batch_size=16)
    plain = fit(build_model("ae", data, seed=5), split, cfg)
    offset = [0.0]  # a clock the monitor moves 1000 s forward each time it runs
    real = train_module.loop.time.perf_counter
    monkeypatch.setattr(train_module.loop.time, "perf_counter", lambda: real() + offset[0])

    def monitor(model: Recommender) -> dict[str, float]:
        offset[0] += 1000.0
        return {"test_ndcg@10": evaluate_model(model, split, "test").summary["ndcg@10"]}

    watched = fit(build_model("ae", data, seed=5), split, cfg, monitor=monitor)
    cols = ["train_loss", "ndcg@10"]
    np.testing.assert_array_equal(plain.history[cols], watched.history[cols])
    assert watched.history["test_ndcg@10"].between(0, 1).all() and len(watched.history) == 3
    # the monitor's 3000 "seconds" are left out of every reported time
    assert watched.history["elapsed_seconds"].max() < 1000 and watched.train_seconds < 1000
    assert watched.seconds_to_best < 1000 and watched.history["epoch_seconds"].max() < 1000


def test_ctrl_c_keeps_the_best_epoch_so_far(split, tmp_path):
    data = TrainData.from_split(split)
    cfg = QUIET.replace(epochs=6, batch_size=16)
    calls = [0]

    def monitor(model: Recommender) -> dict[str, float]:  # Ctrl-C pressed during epoch 3's validation
        calls[0] += 1
        if calls[0] == 3:
            raise KeyboardInterrupt
        return {}

    cut = build_model("ae", data, seed=5)
    result = fit(cut, split, cfg, out_dir=tmp_path, monitor=monitor)
    assert result.interrupted and list(result.history["epoch"]) == [1, 2]
    # what is kept is exactly the best of a run that had stopped after epoch 2
    plain = build_model("ae", data, seed=5)
    two = fit(plain, split, cfg.replace(epochs=2))
    assert not two.interrupted and result.best_epoch == two.best_epoch
    for name, value in plain.state_dict().items():
        torch.testing.assert_close(cut.state_dict()[name], value)
        torch.testing.assert_close(load_checkpoint(tmp_path / "checkpoint.pt")["state_dict"][name], value)


def test_ctrl_c_before_the_first_validation_propagates(split):
    class Interrupted(Constant):
        def training_loss(self, batch, info):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fit(Interrupted(split.n_items), split, QUIET.replace(epochs=3))


class Constant(Recommender):
    """A model whose validation score cannot change: early stopping must end the run."""

    score_inputs: ClassVar[tuple[str, ...]] = ("rows",)

    def __init__(self, n_items: int) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.zeros(n_items))

    def training_loss(self, batch, info):
        return (self.w - 1).pow(2).sum()

    def score(self, inputs):
        return torch.arange(self.w.shape[0], dtype=torch.float32).expand(inputs["rows"].shape[0], -1)


class ConstantLoss(Constant):
    """A loss of exactly 3 on every batch, whatever its size."""

    def training_loss(self, batch, info):
        return self.w.sum() * 0 + 3.0


def test_train_loss_is_the_mean_of_the_batch_losses(split):
    # several batches per epoch (batch_size 16): a sum over batches, or a mean over rows, would not give 3
    history = fit(ConstantLoss(split.n_items), split, QUIET.replace(epochs=2, batch_size=16)).history
    assert history["train_loss"].tolist() == [3.0, 3.0]


class Descending(Constant):
    def score(self, inputs):
        return -super().score(inputs)


class Recorder(Constant):
    """Records, at each update, the step it is told, a draw from the generator it is given and the gradient
    norm the previous update left (after clipping); scores items one way in eval mode, the other in training."""

    def __init__(self, n_items: int, scale: float = 0.0) -> None:
        super().__init__(n_items)
        nn.init.ones_(self.w)
        self.scale = scale
        self.steps: list[int] = []
        self.draws: list[float] = []
        self.grad_norms: list[float] = []

    def training_loss(self, batch, info):
        self.steps.append(info.step)
        self.draws.append(torch.rand(1, generator=info.generator).item())
        if self.w.grad is not None:
            self.grad_norms.append(self.w.grad.norm().item())
        return self.scale * (self.w.pow(2).sum() + self.w.sum())

    def score(self, inputs):
        ascending = super().score(inputs)
        return -ascending if self.training else ascending


def test_fit_counts_steps_clips_gradients_and_decays_weights(split):
    cfg = QUIET.replace(epochs=2, batch_size=16)
    steep = Recorder(split.n_items, scale=1000.0)
    fit(steep, split, cfg.replace(grad_clip=1.0))
    assert steep.steps == list(range(len(steep.steps))) and len(steep.steps) > 2  # schedules read the step
    assert len(steep.grad_norms) > 1 and max(steep.grad_norms) <= 1.0 + 1e-4
    decayed = Recorder(split.n_items)  # a loss of 0: only the weight decay moves the weights
    fit(decayed, split, cfg.replace(weight_decay=0.5, lr=0.1))
    assert (decayed.w < 0.9).all()


def test_fit_seeds_the_generator_it_hands_to_the_model(split):
    draws = []
    for seed in (1, 1, 2):
        model = Recorder(split.n_items)
        torch.manual_seed(0)  # the global generator, the same each time, is not the one the model draws from
        fit(model, split, QUIET.replace(epochs=1, batch_size=16, seed=seed))
        draws.append(model.draws)
    assert draws[0] == draws[1] != draws[2]


def test_validation_and_evaluation_score_in_eval_mode(split):
    model = Recorder(split.n_items)
    result = fit(model, split, QUIET.replace(epochs=1, batch_size=16))
    model.eval()
    expected = evaluate_model(model, split, "valid").summary["ndcg@10"]
    model.train()
    assert evaluate_model(model, split, "valid").summary["ndcg@10"] == expected
    assert result.history["ndcg@10"].iloc[0] == pytest.approx(expected)
    # the ranking of training mode scores otherwise: the checks above can fail
    assert evaluate_model(Descending(split.n_items), split, "valid").summary["ndcg@10"] != pytest.approx(
        expected
    )


def test_early_stopping_after_patience(split):
    result = fit(Constant(split.n_items), split, QUIET.replace(epochs=50, patience=3))
    assert list(result.history["epoch"]) == [1, 2, 3, 4]
    assert result.best_epoch == 1


def test_eval_every_and_last_epoch(split):
    result = fit(Constant(split.n_items), split, QUIET.replace(epochs=5, eval_every=2, patience=10))
    assert list(result.history["epoch"]) == [2, 4, 5]


def test_the_progress_bar_takes_a_label(split, capsys):
    fit(Constant(split.n_items), split, QUIET.replace(epochs=1, progress=True), label="Constant 2/6")
    assert "Constant 2/6" in capsys.readouterr().err


def test_closed_form_model_is_fitted_once(split):
    result = fit(build_model("pop", TrainData.from_split(split)), split, QUIET)
    assert list(result.history["epoch"]) == [0] and result.best_epoch == 0
    assert 0 < result.best_valid["ndcg@10"] < 1


def test_checkpoint_round_trip_reproduces_scores(split, tmp_path):
    data = TrainData.from_split(split)
    ae = build_model("ae", data)
    fit(ae, split, QUIET.replace(epochs=2), out_dir=tmp_path)
    state = load_checkpoint(tmp_path / "checkpoint.pt")
    restored = build_model("ae", data)
    restored.load_state_dict(state["state_dict"])
    rows = {"rows": torch.from_numpy(split.matrix("train")[:5].toarray())}
    torch.testing.assert_close(restored.score(rows), ae.score(rows))


def test_checkpoint_write_is_atomic(tmp_path, monkeypatch):
    model = nn.Linear(2, 2)
    path = tmp_path / "ck.pt"
    save_checkpoint(path, model, note="first")
    before = path.read_bytes()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, model, note="second")
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["ck.pt"]
    assert load_checkpoint(path)["note"] == "first"


def test_nan_loss_is_reported(split):
    class Diverging(Constant):
        def training_loss(self, batch, info):
            return self.w.sum() * float("nan")

    with pytest.raises(FloatingPointError, match="epoch 1"):
        fit(Diverging(split.n_items), split, QUIET.replace(epochs=2))

    class NaNScores(Constant):  # a finite loss, diverged weights: Mult-VAE at lr=1e30
        def score(self, batch):
            return super().score(batch) * float("nan")

    with pytest.raises(
        FloatingPointError,
        match=r"^the model's scores became NaN or infinite at epoch 1 \(\d+ of a batch of \d+ users have NaN",
    ):
        fit(NaNScores(split.n_items), split, QUIET.replace(epochs=2))

    class InfiniteScores(Constant):  # weights overflowed (BPR at lr=1e30): they had ranked as excluded items
        def score(self, batch):
            scores = super().score(batch).clone()
            scores[0, :2] = torch.tensor([float("inf"), -float("inf")])
            return scores

    with pytest.raises(
        FloatingPointError,
        match=r"NaN or infinite at epoch 1 \(1 of a batch of \d+ users have NaN or infinite scores: the model's",
    ):
        fit(InfiniteScores(split.n_items), split, QUIET.replace(epochs=2))


def test_evaluation_leaves_the_model_in_its_mode_even_when_it_is_refused(split):
    model = build_model("ae", TrainData.from_split(split), seed=0)
    model.train()
    with pytest.raises(ValueError, match="k must"):
        evaluate_model(model, split, "test", ks=(split.n_items + 1,))
    assert model.training
    evaluate_model(model, split, "test")
    assert model.training


def test_a_model_built_for_other_data_is_refused_by_name_not_by_a_matrix_product(split):
    from sslrec_utils.recommend import TrainedRecommender

    other = holdout_split(clustered_interactions(n_users=30, n_items=36, per_user=8), seed=7)
    model = build_model("multdae", TrainData.from_split(other), {"hidden_dims": (8,)}, seed=0)
    assert model.data_shape == (30, 36)
    message = (
        rf"MultDAE was built for 30 users and 36 items, but this split has {split.n_users} users and "
        rf"{split.n_items} items: build it from this split's data"
    )
    with pytest.raises(ValueError, match=message):
        fit(model, split, QUIET.replace(epochs=1))
    with pytest.raises(ValueError, match=message):
        evaluate_model(model, split, "test")
    with pytest.raises(ValueError, match=message):
        TrainedRecommender(model, split)
    assert evaluate_model(model, other, "test").n_users > 0  # its own split is scored


class ReadSettings(TrainConfig):
    """A `TrainConfig` that records which of its fields are read (after construction checked them all)."""

    def __getattribute__(self, name: str):
        if name in TrainConfig.__dataclass_fields__ and "read" in object.__getattribute__(self, "__dict__"):
            object.__getattribute__(self, "read").add(name)
        return object.__getattribute__(self, name)


@pytest.mark.parametrize("model", ["pop", "ease", "itemknn"])
def test_a_closed_form_fit_reads_only_the_settings_it_lists(model):
    # `sslrec models NAME` shows a closed-form model only these training settings: the others would do nothing
    from sslrec_utils.experiment import model_settings, resolve_configs, train_on_split

    split = holdout_split(clustered_interactions(n_users=40), seed=1)
    model_cfg, train_cfg = resolve_configs(model, progress=False, device="cpu")
    recording = ReadSettings(**train_cfg.to_dict())
    object.__setattr__(recording, "read", set())
    nothing_to_search = pytest.warns(UserWarning, match="^nothing to search for Pop: it has no grid$")
    with nothing_to_search if model == "pop" else contextlib.nullcontext():
        train_on_split(split, model_cfg, recording, search=True)
    assert recording.read and recording.read <= set(CLOSED_FORM_SETTINGS)
    shown = model_settings(model).query("group == 'training'")["key"]
    assert list(shown) == [k for k in TrainConfig.field_names() if k in CLOSED_FORM_SETTINGS]


def test_training_refuses_epochs_beyond_64_bits() -> None:
    # sslrec train --epochs 1e20, or a report's EPOCHS; tqdm's progress bar overflowed on it
    with pytest.raises(ConfigError, match=r"^epochs must be < 2\*\*63, got 100000000000000000000$"):
        TrainConfig(epochs=10**20)
    with pytest.raises(ConfigError, match=r"^batch_size must be < 2\*\*63"):
        TrainConfig().replace(batch_size=2**63)
    assert TrainConfig(epochs=2**63 - 1).epochs == 2**63 - 1


def test_a_split_with_nothing_to_train_on_is_named():
    # every user keeps one training item under leave-one-out: no next-item window. The lr schedule had divided
    # by the 0 planned steps (ZeroDivisionError inside torch's LambdaLR)
    frame = pd.DataFrame(
        [(u, (3 * u + t) % 7 + 1, 4.0, t) for u in range(1, 9) for t in range(3)],
        columns=["user", "item", "rating", "timestamp"],
    )
    tiny = loo_split(preprocess(frame))
    model = build_model("sasrec", TrainData.from_split(tiny), {"max_len": 4, "hidden_dim": 8})
    cfg = QUIET.replace(epochs=2, ks=(3,), metric="ndcg@3")
    with pytest.raises(
        ValueError, match=r"^SASRec has nothing to train on: its 'next_item' batcher finds no"
    ):
        fit(model, tiny, cfg)


def test_ctrl_c_while_a_new_best_is_copied_keeps_the_previous_best_whole(split, monkeypatch):
    data = TrainData.from_split(split)
    cfg = QUIET.replace(epochs=4, batch_size=16, lr=1e-2)
    copies = [0]

    def deepcopy(state):  # Ctrl-C pressed while epoch 3's new best weights are copied
        copies[0] += 1
        if copies[0] == 3:
            raise KeyboardInterrupt
        return copy.deepcopy(state)

    model = build_model("ae", data, seed=5)
    monkeypatch.setattr(train_module.loop, "copy", types.SimpleNamespace(deepcopy=deepcopy))
    result = fit(model, split, cfg)
    assert result.interrupted and list(result.history["epoch"]) == [1, 2, 3]
    assert result.history["ndcg@10"].is_monotonic_increasing  # each epoch was a new best
    # epoch 2's number, metrics and weights together (epoch 3's number and metrics had come with epoch 2's weights)
    assert result.best_epoch == 2
    valid = evaluate_model(model, split, "valid", ks=cfg.ks).summary
    assert result.best_valid["ndcg@10"] == pytest.approx(valid["ndcg@10"])


def test_fit_checks_the_cut_offs_and_validation_users_before_training(split):
    class Untrainable(Constant):
        def training_loss(self, batch, info):
            raise AssertionError("trained before the evaluation settings were checked")

    cfg = QUIET.replace(epochs=2, ks=(10, 100), metric="ndcg@10")  # 60 items
    with pytest.raises(ConfigError, match=r"^ks=\[10, 100\] but the data has 60 items: k must lie in"):
        fit(Untrainable(split.n_items), split, cfg)
    frame = pd.DataFrame(  # 2 interactions a user: holdout leaves none for validation
        [(u, (3 * u + t) % 7 + 1, 4.0, t) for u in range(1, 9) for t in range(2)],
        columns=["user", "item", "rating", "timestamp"],
    )
    no_valid = holdout_split(preprocess(frame), seed=1)
    assert not len(no_valid.eval_plan("valid").users)
    with pytest.raises(ValueError, match=r"^no validation user has both input and held-out interactions"):
        fit(Untrainable(no_valid.n_items), no_valid, QUIET.replace(ks=(1,), metric="ndcg@1"))


def test_mixed_precision_only_where_the_gpu_computes_in_bfloat16(monkeypatch):
    """A V100 or T4 emulates bfloat16 (is_bf16_supported() is True there by default): autocast would slow it."""
    import contextlib

    from sslrec_utils.train import native_bf16

    assert not native_bf16(torch.device("cpu"))
    asked = []
    monkeypatch.setattr(torch.cuda, "device", lambda device: contextlib.nullcontext())
    for native in (False, True):
        monkeypatch.setattr(
            torch.cuda,
            "is_bf16_supported",
            lambda including_emulation=True, n=native: asked.append(including_emulation) or n,
        )
        assert native_bf16(torch.device("cuda", 0)) is native
    assert asked == [False, False]
