"""Model zoo: one model per file, each a frozen `ModelConfig` (hyperparameters, ``build``) and a `Recommender`.

``build_model("multvae", data, {"dropout": 0.3})`` builds any registered model from its name and overrides;
``MODELS`` lists them.
"""

from __future__ import annotations

import re
import sys
import typing
from collections.abc import Mapping
from typing import Any

import torch

from sslrec_utils.config import did_you_mean
from sslrec_utils.models import (
    ae,
    autorec,
    bert4rec,
    bpr,
    cdae,
    cl4srec,
    dae,
    ease,
    itemknn,
    itemnext,
    lightgcn,
    multdae,
    multvae,
    pop,
    sasrec,
    sgl,
    simgcl,
    xsimgcl,
)
from sslrec_utils.models.base import ModelConfig, Recommender, StepInfo, TrainData

#: The config class of every model of the book, by its name (``sslrec train --model NAME``).
MODELS: dict[str, type[ModelConfig]] = {cfg.name: cfg for cfg in (pop.PopConfig, ae.AEConfig)}
MODELS |= {cfg.name: cfg for cfg in (dae.DAEConfig, cdae.CDAEConfig, multdae.MultDAEConfig)}
MODELS |= {cfg.name: cfg for cfg in (multvae.MultVAEConfig, autorec.AutoRecConfig)}
MODELS |= {cfg.name: cfg for cfg in (sasrec.SASRecConfig, bert4rec.BERT4RecConfig, cl4srec.CL4SRecConfig)}
MODELS |= {itemnext.ItemNextConfig.name: itemnext.ItemNextConfig}
MODELS |= {cfg.name: cfg for cfg in (lightgcn.LightGCNConfig, sgl.SGLConfig)}
MODELS |= {cfg.name: cfg for cfg in (simgcl.SimGCLConfig, xsimgcl.XSimGCLConfig)}
MODELS |= {cfg.name: cfg for cfg in (ease.EASEConfig, itemknn.ItemKNNConfig, bpr.BPRConfig)}


def config_class(name: str) -> type[ModelConfig]:
    """The config class registered as model `name`.

    Raises:
        ValueError: for an unknown model, listing the valid names (and the closest one).
    """
    if name not in MODELS:
        raise ValueError(
            f"unknown model {name!r}; valid models: {sorted(MODELS)}{did_you_mean(name, MODELS)}"
        )
    return MODELS[name]


def summary(name: str) -> str:
    """The first sentence of model `name`'s module docstring (what it is, and the paper), for listings.

    Raises:
        ValueError: for an unknown model, listing the valid names.
    """
    doc = sys.modules[config_class(name).__module__].__doc__ or ""
    paragraph = " ".join(doc.split("\n\n")[0].split())
    sentence = re.split(r"(?<! al)(?<=\.)\s+(?=[A-Z])", paragraph)[0].rstrip(",:;")  # not after "et al."
    return sentence if sentence.endswith(".") else f"{sentence}."  # a sentence cut before a formula


def model_config(name: str, overrides: Mapping[str, Any] | None = None) -> ModelConfig:
    """The config of model `name` with `overrides` applied.

    Raises:
        ValueError: for an unknown model, listing the valid names.
        ConfigError: for an unknown key or a bad value, listing the valid keys.
    """
    return config_class(name).from_dict(dict(overrides or {}))


def reads_sequences(name: str) -> bool:
    """Whether model `name` scores from each user's history in time order (SASRec, BERT4Rec, CL4SRec and the
    item-to-item baseline), so that the order of a user's interactions, and a time column, matter to it."""
    return "seqs" in getattr(model_class(name), "score_inputs", ())


def fits_ratings(name: str) -> bool:
    """Whether model `name` is fitted to the rating values (AutoRec), so that a log without ratings, where each
    is 1, leaves it nothing to learn about preferences."""
    return bool(getattr(model_class(name), "fits_ratings", False))


def model_class(model: str) -> type[Recommender] | None:
    """The class of the registered model `model` (its config's ``model``, else the return type of its
    ``build``), or None if that does not resolve.

    Raises:
        ValueError: for an unknown model, listing the valid names (and the closest one).
    """
    config = config_class(model)
    if isinstance(getattr(config, "model", None), type):  # the graph models share LightGCN's build
        return config.model
    try:
        return typing.get_type_hints(config.build).get("return")
    except Exception:  # an annotation that does not resolve: let training report it
        return None


def trained_by_epochs(model: str) -> bool:
    """Whether the registered model `model` trains by gradient steps over epochs (not fitted in closed form),
    asked of its class without building one."""
    cls = model_class(model)
    # the property reads only class attributes, so it can be asked of the class
    return cls is not None and not Recommender.closed_form.fget(cls)


def build_model(
    config: ModelConfig | str,
    data: TrainData,
    overrides: Mapping[str, Any] | None = None,
    *,
    seed: int | None = None,
) -> Recommender:
    """Build a model from its config (or name plus overrides) for the sizes of `data`.

    Args:
        config: a model config, or a registered name.
        data: the training data (sizes, and the graph or statistics some models derive from it).
        overrides: config changes, applied to the named model's defaults or to the given config (as
            ``config.replace(**overrides)``).
        seed: seeds the weight initialisation (PyTorch's global generator is left as it was); None draws from
            the global generator.
    """
    if isinstance(config, str):
        cfg = model_config(config, overrides)
    else:
        cfg = config.replace(**overrides) if overrides else config
    if seed is None:
        model = cfg.build(data)
    else:
        with torch.random.fork_rng(devices=[]):  # weights are initialised on the CPU
            torch.default_generator.manual_seed(seed)  # not torch.manual_seed, which also reseeds every GPU's
            model = cfg.build(data)
    model.data_shape = (data.n_users, data.n_items)  # so that training and scoring check the split they get
    return model


__all__ = [
    "MODELS",
    "ModelConfig",
    "Recommender",
    "StepInfo",
    "TrainData",
    "build_model",
    "config_class",
    "fits_ratings",
    "model_class",
    "model_config",
    "reads_sequences",
    "summary",
    "trained_by_epochs",
]
