import dataclasses
import inspect
import json
import re
import typing
from typing import Literal

import pytest
import torch

from sslrec_utils.cli import main
from sslrec_utils.config import Config, ConfigError, did_you_mean, parse_value
from sslrec_utils.experiment import DataSpec, model_settings
from sslrec_utils.models import (
    MODELS,
    build_model,
    config_class,
    model_class,
    model_config,
    reads_sequences,
    summary,
    trained_by_epochs,
)
from sslrec_utils.models.base import TrainData
from sslrec_utils.models.transformer import TransformerEncoder
from sslrec_utils.report_params import ReportParams
from sslrec_utils.splits import loo_split
from sslrec_utils.train import TrainConfig
from tests.helpers import clustered_interactions


@dataclasses.dataclass(frozen=True)
class Toy(Config):
    lr: float = 0.1  # a step (ToyChild gives its own meaning)
    dims: tuple[int, ...] = (600, 200)
    mode: Literal["a", "b"] = "a"
    clip: float | None = None
    flag: bool = False


def test_unknown_key_names_it_and_lists_valid_ones():
    with pytest.raises(ConfigError) as err:
        Toy.from_dict({"lrr": 0.2})
    assert "'lrr'" in str(err.value) and "['lr', 'dims', 'mode', 'clip', 'flag']" in str(err.value)
    assert str(err.value).endswith("; did you mean 'lr'?")


@pytest.mark.parametrize("config", [Toy, TrainConfig, DataSpec, ReportParams, *map(config_class, MODELS)])
def test_a_config_built_directly_refuses_an_unknown_keyword_as_from_dict_does(config):
    # the dataclass's __init__ had raised a bare TypeError ("unexpected keyword argument"), naming no valid key
    with pytest.raises(ConfigError) as err:
        config(lrr=0.2)
    assert str(err.value).startswith(f"unknown key(s) ['lrr'] for {config.__name__}; valid keys: ")
    known = {name: getattr(config(), name) for name in config.field_names()}  # every field, by keyword
    assert config(**known) == config()
    # what inspect and the API reference show: the fields, not Config.__new__'s (*args, **kwargs)
    assert list(inspect.signature(config).parameters) == config.field_names()


def test_a_misspelt_name_gets_the_closest_valid_one():
    assert did_you_mean("Hiden_Dim", ["hidden_dim", "n_heads"]) == "; did you mean 'hidden_dim'?"
    pairs = did_you_mean(["lrr", "xyz", "kss"], ["lr", "ks", "epochs"])
    assert pairs == "; did you mean 'lr' for 'lrr', 'ks' for 'kss'?"
    assert did_you_mean("zzz", ["lr", "ks"]) == "" and did_you_mean([], ["lr"]) == ""
    with pytest.raises(
        ValueError, match=r"unknown model 'sasrc'; valid models: \[.*\]; did you mean 'sasrec'\?$"
    ):
        model_config("sasrc")


def test_overrides_are_parsed_and_coerced():
    cfg = Toy().with_overrides(["lr=1", "dims=[64, 32]", "mode=b", "clip=null", "flag=true"])
    assert cfg == Toy(lr=1.0, dims=(64, 32), mode="b", clip=None, flag=True)
    assert isinstance(cfg.lr, float) and isinstance(cfg.dims, tuple)


@pytest.mark.parametrize(
    "assignment", ["mode=c", "lr=fast", "dims=3", "flag=1", "noequals", "=3"], ids=lambda s: s
)
def test_bad_values_are_rejected(assignment):
    with pytest.raises(ConfigError):
        Toy().with_overrides([assignment])


def test_with_overrides_refuses_a_single_string():
    # "lr=1" had been read a character at a time: "expected key=value, got 'l'"
    with pytest.raises(
        ConfigError, match="assignments are a list of 'key=value' strings, got the string 'lr=1'"
    ):
        Toy().with_overrides("lr=1")


def test_sizes_must_be_positive():
    from sslrec_utils.models import model_config

    @dataclasses.dataclass(frozen=True)
    class Sized(Config):  # from_dict's own check, in any config (the model configs check their sizes again)
        hidden_dims: tuple[int, ...] = (8,)

    with pytest.raises(ConfigError, match=r"hidden_dims must be positive integers .*, got \(8, 0\)"):
        Sized.from_dict({"hidden_dims": [8, 0]})
    with pytest.raises(
        ConfigError, match=r"hidden_dims must be positive integers \(sizes of layers\), got \(0,\)"
    ):
        model_config("multvae", {"hidden_dims": [0]})
    for key, value in (("hidden_dims", []), ("dim", -1), ("hidden_dim", 0), ("embedding_dim", 0)):
        with pytest.raises(ConfigError, match=f"{key} must be (a )?positive"):
            model_config(
                {"hidden_dims": "multvae", "dim": "bpr", "hidden_dim": "dae"}.get(key, "lightgcn"),
                {key: value},
            )
    assert model_config("multvae", {"hidden_dims": [64]}).hidden_dims == (64,)
    # one size is not called "sizes of layers"
    with pytest.raises(ConfigError, match=r"^dim must be a positive integer \(a size\), got -5$"):
        model_config("bpr", {"dim": -5})


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-Infinity"])
@pytest.mark.parametrize(
    ("model", "key"),
    [("ease", "reg"), ("itemknn", "shrink"), ("simgcl", "eps"), ("itemnext", "smoothing"), ("bpr", "lr")],
)
def test_numbers_that_are_not_finite_are_refused_by_name(model, key, raw):
    """NaN passes every `x < 0` check and infinity every `x <= 0` one; neither is a setting (a NaN noise
    length had trained SimGCL without noise, an infinite penalty made every EASE score 0)."""
    from sslrec_utils.experiment import resolve_configs

    with pytest.raises(ConfigError, match=rf"^{key} must be a finite number, got -?(nan|inf)$"):
        resolve_configs(model, [f"{key}={raw}"])


@pytest.mark.parametrize(
    ("model", "setting", "message"),
    [
        ("autorec", "lam=-1", "lam must be >= 0, got -1.0"),
        ("dae", "lam=-1", "lam must be >= 0, got -1.0"),
        ("cdae", "lam=-5", "lam must be >= 0, got -5.0"),
        ("multdae", "lam=-1", "lam must be >= 0, got -1.0"),
        ("multvae", "anneal_cap=-1", "anneal_cap must be >= 0, got -1.0"),
        ("multvae", "total_anneal_steps=-5", "total_anneal_steps must be >= 0, got -5"),
        ("sasrec", "n_heads=0", "need n_heads >= 1 and n_layers >= 0, got 0, 2"),
        ("cl4srec", "n_heads=-2", "need n_heads >= 1 and n_layers >= 0, got -2, 2"),
        ("bert4rec", "n_layers=-3", "need n_heads >= 1 and n_layers >= 0, got 2, -3"),
    ],
)
def test_negative_weights_and_transformer_sizes_are_refused(model, setting, message):
    key, _, value = setting.partition("=")
    with pytest.raises(ConfigError, match=f"^{message}$"):
        model_config(model, {key: json.loads(value)})


def test_round_trip_through_dict_and_frozen():
    cfg = Toy(dims=(8,), clip=1.5)
    assert Toy.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.lr = 3.0  # type: ignore[misc]


def test_parse_value():
    assert parse_value("3") == 3 and parse_value("0.5") == 0.5 and parse_value("[1,2]") == [1, 2]
    assert parse_value("relu") == "relu" and parse_value("True") is True and parse_value("None") is None
    assert parse_value("False") is False


@pytest.mark.parametrize(
    ("raw", "value"),
    [(".001", 0.001), ("5.", 5.0), ("-.5", -0.5), ("+2", 2), ("+1e-3", 0.001), ("+1E3", 1000.0)],
)
def test_parse_value_reads_numbers_python_writes_but_json_refuses(raw, value):
    assert parse_value(raw) == value and type(parse_value(raw)) is type(value)
    assert Toy().with_overrides([f"lr={raw}"]).lr == value


@pytest.mark.parametrize("raw", ["007", "1.5.2", ".", "+", "nan", "inf", "-"])
def test_parse_value_keeps_other_text(raw):
    assert parse_value(raw) == raw


def test_with_overrides_docstring_example_runs():
    # the example had used lr and hidden_dims, which no config has together
    example = Config.with_overrides.__doc__.split("Example: ``")[1].split("``")[0]
    assert example.startswith("MultVAEConfig()")
    cfg = eval(example, {"MultVAEConfig": MODELS["multvae"]})
    assert cfg.dropout == 0.3 and cfg.hidden_dims == (600, 200)


def test_train_config_validates():
    with pytest.raises(ConfigError, match="lr must be > 0"):
        TrainConfig(lr=0)
    with pytest.raises(ConfigError, match="lr must be > 0 and finite"):  # built directly, not from a dict
        TrainConfig(lr=float("inf"))
    with pytest.raises(ConfigError, match="epochs"):
        TrainConfig().replace(epochs=0)
    # values that train silently wrong (a negative clip reverses every gradient) or fail far from their cause
    for bad, message in [
        ({"grad_clip": -1.0}, "grad_clip must be > 0"),
        ({"grad_clip": 0.0}, "grad_clip must be > 0"),
        ({"lr": float("inf")}, "lr must be a finite number"),
        ({"weight_decay": -1.0}, "weight_decay must be >= 0"),
        ({"seed": -1}, "seed must be >= 0"),
        ({"seed": 2**63}, r"seed must be < 2\*\*63"),
    ]:
        with pytest.raises(ConfigError, match=message):
            TrainConfig().replace(**bad)
    assert TrainConfig(grad_clip=1.0).grad_clip == 1.0 and TrainConfig(grad_clip=None).grad_clip is None
    assert TrainConfig().with_overrides(["epochs=3", "ks=[5,10]"]).ks == (5, 10)
    # cut-offs without the selection metric's: the message says what to add or set
    with pytest.raises(
        ConfigError, match=r"'ndcg@10' .* ks=\[1, 3\] leaves out: add 10 to ks, .*metric=ndcg@1"
    ):
        TrainConfig().with_overrides(["ks=[1,3]"])
    assert TrainConfig().with_overrides(["ks=[1,3]", "metric=recall@3"]).metric == "recall@3"
    with pytest.raises(ConfigError, match=r"got 'ndgc@10'; did you mean 'ndcg'\?"):
        TrainConfig(metric="ndgc@10")
    # a cut-off written with a leading zero names the evaluation's key, which has none (it had passed, then
    # failed after a first epoch with a bare KeyError)
    assert TrainConfig(metric="ndcg@010").metric == "ndcg@10"
    assert TrainConfig().with_overrides(["metric=recall@020"]).metric == "recall@20"


def test_model_registry_errors_list_valid_names():
    with pytest.raises(ValueError, match=r"unknown model 'nope'; valid models: \["):
        model_config("nope")
    with pytest.raises(ConfigError, match="valid keys"):
        model_config("ae", {"hidden": 3})
    assert set(MODELS) >= {"pop", "ae"}
    assert model_config("ae", {"hidden_dim": 8}).hidden_dim == 8


# MultVAE's constructor keeps the paper's annealing on purpose (its docstring says so); its config holds the
# schedule chosen on validation
PAPER_DEFAULTS = {"multvae": {"anneal_cap", "total_anneal_steps"}}


def constructor_defaults(model: type) -> dict[str, object]:
    """Each argument's default where the class hierarchy first defines it, as Python resolves it; with the
    encoder's for a model that passes ``**sizes`` on to `TransformerEncoder`."""
    classes = list(model.__mro__)
    if any(p.kind is p.VAR_KEYWORD for p in inspect.signature(model.__init__).parameters.values()):
        classes.append(TransformerEncoder)
    first: dict[str, object] = {}
    for cls in classes:
        if "__init__" in cls.__dict__:
            for arg, p in inspect.signature(cls.__init__).parameters.items():
                if p.default is not inspect.Parameter.empty:
                    first.setdefault(arg, p.default)
    return first


def shared_defaults(name: str) -> dict[str, object]:
    """Constructor defaults of the arguments the model's config also holds (beside the paper's, above)."""
    config = MODELS[name]()
    return {
        arg: value
        for arg, value in constructor_defaults(model_class(name)).items()
        if hasattr(config, arg) and arg not in PAPER_DEFAULTS.get(name, ())
    }


@pytest.mark.parametrize("name", [name for name in sorted(MODELS) if shared_defaults(name)])
def test_model_constructor_defaults_are_its_configs(name):
    # runs build through the config, but a model made by hand (a notebook, a reader) must get the same defaults:
    # XSimGCL had taken SimGCL's temperature and noise from the constructor it inherits, BERT4Rec the encoder's
    # dropout 0.2 where its config chose none
    config, shared = MODELS[name](), shared_defaults(name)
    assert shared == {arg: getattr(config, arg) for arg in shared}
    if name in PAPER_DEFAULTS:  # the exception is still needed, or it goes
        defaults = constructor_defaults(model_class(name))
        assert all(defaults[arg] != getattr(config, arg) for arg in PAPER_DEFAULTS[name])


@pytest.mark.filterwarnings("ignore:max_len=50 is more than twice:UserWarning")  # a tiny log: short histories
def test_trained_by_epochs_answers_as_a_built_model_does(data):
    # asked of the class, without building: chapter 3 checks its MODEL parameter with it before loading data
    for name in MODELS:
        assert trained_by_epochs(name) == (not build_model(name, data, seed=0).closed_form), name
    assert {name for name in MODELS if not trained_by_epochs(name)} == {"pop", "itemnext", "ease", "itemknn"}
    assert {name for name in MODELS if reads_sequences(name)} == {"sasrec", "bert4rec", "cl4srec", "itemnext"}


@dataclasses.dataclass(frozen=True)
class ToyChild(Toy):
    lr: float = 0.5  # a larger step here
    dims: tuple[int, ...] = (
        8,
        4,
    )  # widths, the comment after a default written over lines
    extra: int = 1


def test_field_docs_read_each_fields_comment_and_a_subclass_replaces_it():
    @dataclasses.dataclass(frozen=True)
    class Documented(Config):
        # a comment above a field is not its meaning (the configs keep their tuning notes there)
        lr: float = 0.1  # step size
        clip: float | None = None  # max norm (None: none)
        plain: int = 0

    assert Documented.field_docs() == {"lr": "step size", "clip": "max norm (None: none)", "plain": ""}
    assert ToyChild.field_docs() == {
        "lr": "a larger step here",
        "dims": "widths, the comment after a default written over lines",
        "mode": "",
        "clip": "",
        "flag": "",
        "extra": "",
    }


@pytest.mark.parametrize(
    "config", [*MODELS.values(), TrainConfig, DataSpec, ReportParams], ids=lambda c: c.__name__
)
def test_every_setting_says_what_it_means(config):
    # `sslrec models NAME` prints these: a field without its comment would show a blank meaning
    docs = config.field_docs()
    assert list(docs) == config.field_names()
    assert [name for name, meaning in docs.items() if len(meaning) < 5] == []
    # a meaning is read beside the field, away from the source: no "see above"
    assert [name for name, meaning in docs.items() if "above" in meaning] == []


def test_model_settings_hold_the_defaults_a_run_trains_with():
    table = model_settings("bert4rec")
    rows = table.set_index("key")
    assert list(table.columns) == ["group", "key", "default", "meaning", "choices"]
    assert rows.loc["dropout", "group"] == "model"  # the model's own field, not the training one
    assert rows.loc["dropout", "default"] == 0.0 and "dropout" in rows.loc["dropout", "meaning"]
    assert rows.loc["patience", "default"] == MODELS["bert4rec"].train_defaults["patience"] == 40
    assert rows.loc["lr", "default"] == TrainConfig().replace(**MODELS["bert4rec"].train_defaults).lr
    assert rows.loc["ks", "default"] == (10, 20)
    n_model = len(MODELS["bert4rec"].field_names())
    assert list(table["group"]) == ["model"] * n_model + ["training"] * (len(table) - n_model)
    assert set(table["key"]) == set(MODELS["bert4rec"].field_names()) | set(TrainConfig.field_names())
    with pytest.raises(ValueError, match="did you mean 'sasrec'"):
        model_settings("sasrx")


def test_model_summaries_are_one_sentence():
    assert summary("sasrec").startswith("SASRec (Kang & McAuley 2018): ")
    assert summary("autorec").startswith(
        'I-AutoRec (Sedhain et al. 2015, "AutoRec: Autoencoders'
    )  # not cut at "al."
    for name in MODELS:
        assert summary(name).endswith(".") and "\n" not in summary(name), name


def test_sslrec_models_lists_models_and_settings(capsys):
    assert main(["models"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines[: len(MODELS)]] == sorted(MODELS)
    # a line per model: summaries (up to about 250 characters) are shortened
    assert all(len(line) <= 110 for line in lines[: len(MODELS)])
    assert any(line.endswith(" ...") for line in lines[: len(MODELS)])
    assert main(["models", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert listing == {name: summary(name) for name in MODELS} and list(listing) == sorted(MODELS)
    assert main(["models", "sgl"]) == 0
    out = capsys.readouterr().out
    settings = [line for line in out.splitlines() if re.match(r"  \S+ = ", line)]
    # each setting's value, then at least two spaces before its meaning
    assert settings and all(re.match(r"  \S+ = \S.*? {2,}\S", line) for line in settings)
    assert "\n  drop_rate = 0.05 " in out and "\n  lr = 0.005 " in out  # SGL's own rate; LightGCN's lr
    assert '\n  ssl_negatives = "all" ' in out and "\n  grad_clip = null " in out  # as --set reads them
    assert "ssl_reg in [0.001, 0.003, 0.01]" in out and "closed form" not in out
    assert main(["models", "pop"]) == 0
    out = capsys.readouterr().out
    assert (
        "model settings (--set KEY=VALUE):\n  none\n" in out and "pop reads only these:\n  metric = " in out
    )
    assert main(["models", "multvae", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    grid = {key: list(values) for key, values in MODELS["multvae"].search_space.items()}
    assert record["model"] == "multvae" and record["grid"] == grid and grid  # its annealing grid
    assert record["summary"] == summary("multvae")
    assert {"group": "model", "key": "hidden_dims", "default": [600, 200]}.items() <= record["settings"][
        0
    ].items()
    assert main(["models", "sasrx"]) == 2
    assert capsys.readouterr().err.strip().endswith("did you mean 'sasrec'?")


def test_sslrec_models_lists_the_values_of_a_setting_that_has_a_fixed_set(capsys):
    """`loss`, `windows`, `activation`... had been found only by typing a wrong value."""
    from sslrec_utils.models.dae import DAEConfig
    from sslrec_utils.models.sasrec import SASRecConfig

    assert SASRecConfig.field_choices() == {"windows": ("all", "last"), "loss": ("ce", "bce")}
    assert DAEConfig.field_choices()["activation"] == ("sigmoid", "tanh", "relu", "identity")
    assert main(["models", "sasrec"]) == 0
    out = " ".join(capsys.readouterr().out.split())  # the lines unwrapped
    assert (
        'loss = "ce" full softmax over all items, or the paper\'s one sampled negative; one of "ce", "bce"'
        in out
    )
    assert "lr = 0.002 Adam learning rate " in out  # no list where there is none
    assert main(["models", "sasrec", "--json"]) == 0
    rows = {row["key"]: row["choices"] for row in json.loads(capsys.readouterr().out)["settings"]}
    assert rows["loss"] == ["ce", "bce"] and rows["lr"] is None


@pytest.mark.parametrize("columns", [60, 80, 110])
def test_sslrec_models_wraps_to_the_terminal(capsys, monkeypatch, columns):
    """It had wrapped at 110 columns whatever the terminal, so a notebook cell or an 80-column terminal
    scrolled or broke its lines; now at most 110, down to 60."""
    monkeypatch.setenv("COLUMNS", str(columns))
    for args in (["models"], ["models", "sasrec"], ["models", "ease"], ["models", "pop"]):
        assert main(args) == 0
        lines = capsys.readouterr().out.splitlines()
        assert max(map(len, lines)) <= columns, args
        if args[-1] in ("models", "sasrec"):  # long summaries and meanings: the width is used, not only kept
            assert max(map(len, lines)) > columns - 15, args
    monkeypatch.setenv("COLUMNS", "300")
    assert main(["models", "sasrec"]) == 0
    assert max(map(len, capsys.readouterr().out.splitlines())) == 110


def test_sslrec_models_writes_a_grid_as_set_reads_it(capsys, monkeypatch):
    # every grid holds numbers today; a None or a bool must read as --set takes it (null, true), not Python's
    monkeypatch.setattr(MODELS["ease"], "search_space", {"reg": (None, True)})
    assert main(["models", "ease"]) == 0
    assert "\n  reg in [null, true]\n" in capsys.readouterr().out


def test_a_config_built_directly_checks_its_types_as_from_dict_does():
    """``DataSpec(min_user="3")`` had failed later with a TypeError, ``DataSpec(dataset=Path(...))`` with an
    AttributeError, and ``seed=True`` or ``min_user=2.5`` had been taken."""
    import pathlib

    import numpy as np

    from sslrec_utils.models.sasrec import SASRecConfig
    from sslrec_utils.train import TrainConfig

    assert DataSpec(dataset=pathlib.Path("shop.csv")).dataset == "shop.csv"  # a path: its text
    for fields, message in [
        ({"min_user": "3"}, "min_user expects an integer, got '3'"),
        ({"min_user": 2.5}, "min_user expects an integer, got 2.5"),
        ({"seed": True}, "seed expects an integer, got True"),
        # one of several types: said in words, not as Python's annotation ("does not match float | None")
        (
            {"dataset": "x.csv", "rating_col": "r", "threshold": "4"},
            "threshold expects a number or null, got '4'",
        ),
    ]:
        with pytest.raises(ConfigError, match=re.escape(message)):
            DataSpec(**fields)
    # NumPy's numbers, as a sweep over an array gives them, are Python's
    cfg = TrainConfig(batch_size=np.int64(64), lr=np.float64(0.01), amp=np.bool_(False))
    assert (type(cfg.batch_size), type(cfg.lr), type(cfg.amp)) == (int, float, bool)
    with pytest.raises(ConfigError, match="n_layers expects an integer, got '2'"):
        SASRecConfig(n_layers="2")  # a subclass of a subclass: its checks run too
    with pytest.raises(ConfigError, match=re.escape("ks lists ['10'] more than once")):
        TrainConfig(ks=(10, 10))  # as sslrec report and evaluate refuse them: each cut-off computed twice
    with pytest.raises(ConfigError, match=re.escape("grad_clip expects a number or null, got 'abc'")):
        TrainConfig.from_dict({"grad_clip": "abc"})
    # a list as the other options take it (--ks 10,20) is shown how --set reads one
    with pytest.raises(ConfigError, match=re.escape("ks expects a list in JSON, e.g. [10, 20], got '10,20'")):
        TrainConfig.from_dict({"ks": "10,20"})
    with pytest.raises(ConfigError, match="n_heads=3 must divide hidden_dim=64"):
        SASRecConfig(n_heads=3, hidden_dim=64)


def test_settings_that_make_a_model_learn_nothing_are_refused():
    """XSimGCL's positive pair was one tensor twice; BERT4Rec's windows left items out of every window."""
    with pytest.raises(ConfigError, match="skip_ego with n_layers=1 contrasts layer 1 with itself"):
        model_config("xsimgcl", {"n_layers": 1, "cl_layer": 1, "skip_ego": True})
    model_config("xsimgcl", {"n_layers": 2, "skip_ego": True})  # layer 1 against the mean of 1 and 2: fine
    with pytest.raises(ConfigError, match=r"stride must lie in 1..max_len=10 or be None, got 11"):
        model_config("bert4rec", {"max_len": 10, "stride": 11})
    with pytest.raises(ConfigError, match=r"got 5 \(its default\): with max_len 4, set stride too$"):
        model_config("bert4rec", {"max_len": 4})  # a setting the user never gave is named as such


def built_state(model: torch.nn.Module) -> dict[str, object]:
    """What a config can set in a built model: each module's plain attributes and each parameter's shape."""
    state: dict[str, object] = {}
    for prefix, module in model.named_modules():
        for key, value in vars(module).items():
            if not key.startswith("_") and key != "training" and isinstance(value, (int, float, str, tuple)):
                state[f"{prefix}.{key}"] = value
        state.update(
            {f"{prefix}.{p}.shape": tuple(w.shape) for p, w in module.named_parameters(recurse=False)}
        )
    return state


def other_values(default: object, annotation: object) -> list[object]:
    """Values to try in place of a field's default, the first that the config accepts taken."""
    choices = [a for a in typing.get_args(annotation) if isinstance(a, str)]
    choices += [a for t in typing.get_args(annotation) for a in typing.get_args(t) if isinstance(a, str)]
    if isinstance(default, bool):
        return [not default]
    if isinstance(default, str) or choices:
        return [c for c in choices if c != default]
    if default is None:
        return [2, 3]
    if isinstance(default, (list, tuple)):
        return [type(default)([*default[:-1], default[-1] + 1])]
    if isinstance(default, int):
        return [default + 1, default - 1, 1, 2, 4]
    return [default * 0.5, default * 1.5, 0.1, 0.3] if default else [0.1, 0.3, 1.0]


@pytest.mark.filterwarnings("ignore:max_len=")  # the sizes tried exceed these short histories
@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_config_field_reaches_the_model_it_builds(name):
    """``--set dim=64`` must change the model built: BPR's `reg`, ItemKNN's `user_weight`, DAE's and Mult-DAE's
    `lam` could each be left out of their config's `build` with every test passing."""
    data = TrainData.from_split(loo_split(clustered_interactions()))
    cls, hints = config_class(name), typing.get_type_hints(config_class(name))
    default = built_state(build_model(name, data, seed=0))
    ignored = []
    for field in dataclasses.fields(cls):
        for value in other_values(getattr(cls(), field.name), hints[field.name]):
            try:
                changed = built_state(build_model(name, data, {field.name: value}, seed=0))
            except (ConfigError, ValueError):
                continue  # not a valid value here: try the next
            if changed != default:
                break
        else:
            ignored.append(field.name)
    assert not ignored, f"{name}: no value tried for {ignored} changed the model built"
