"""A model's configs from its name and ``--set KEY=VALUE`` settings (`resolve_configs`), and what those
settings are (`model_settings`)."""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from sslrec_utils.config import ConfigError, did_you_mean, parse_value
from sslrec_utils.models import ModelConfig, config_class, model_config, trained_by_epochs
from sslrec_utils.train import CLOSED_FORM_SETTINGS, TrainConfig


def resolve_configs(
    model: str, settings: Mapping[str, Any] | Iterable[str] = (), **train_changes: Any
) -> tuple[ModelConfig, TrainConfig]:
    """Split ``key=value`` settings between the model's config and the training config.

    Each key goes to the model config if it names one of its fields, otherwise to `TrainConfig`; the model's
    ``train_defaults`` apply first, then `train_changes` (e.g. ``epochs=5``), then `settings`.

    Raises:
        ValueError: unknown model, listing the valid ones.
        ConfigError: a model setting given as a keyword (it belongs in `settings`); a key that neither config
            has, listing both sets of valid keys; or a key given both in `train_changes` (not None) and in
            `settings` (but ``seed`` and ``progress``, which a setting may change).
    """
    model_cls = config_class(model)
    settings = settings_dict(settings)
    model_keys, train_keys = set(model_cls.field_names()), set(TrainConfig.field_names())
    if misplaced := sorted(set(train_changes) & model_keys - train_keys):
        example = {k: train_changes[k] for k in misplaced}
        raise ConfigError(
            f"{', '.join(misplaced)} {'is a setting' if len(misplaced) == 1 else 'are settings'} of the model, "
            f"not of training: give {'it' if len(misplaced) == 1 else 'them'} in settings, "
            f"resolve_configs({model!r}, {example!r})"
        )
    unknown = sorted(set(settings) - model_keys - train_keys)
    if unknown:
        raise ConfigError(
            f"unknown setting(s) {unknown} for model {model!r}; model keys: {sorted(model_keys)}; "
            f"training keys: {sorted(train_keys)}{did_you_mean(unknown, sorted(model_keys | train_keys))}"
        )
    # seed and progress come from the data spec and the caller's defaults: a setting may refine them
    twice = sorted(
        k
        for k, v in train_changes.items()
        if v is not None and k in settings and k not in ("seed", "progress")
    )
    if twice:
        raise ConfigError(f"{twice} given twice (by an option and as a setting); give each once")
    unread = sorted(k for k in settings if k in train_keys - model_keys - set(CLOSED_FORM_SETTINGS))
    if unread and not trained_by_epochs(model):
        warnings.warn(closed_form_warning(model, unread), stacklevel=2)
    model_cfg = model_config(model, {k: v for k, v in settings.items() if k in model_keys})
    train_values = {**model_cls.train_defaults, **{k: v for k, v in train_changes.items() if v is not None}}
    train_values.update({k: v for k, v in settings.items() if k in train_keys and k not in model_keys})
    train_cfg = TrainConfig.from_dict(train_values)
    given_every = "eval_every" in settings or train_changes.get("eval_every") is not None
    if given_every and trained_by_epochs(model) and train_cfg.eval_every > train_cfg.epochs:
        warnings.warn(
            f"eval_every={train_cfg.eval_every} is above epochs={train_cfg.epochs}: the model is validated once, "
            "after its last epoch, so training never stops early",
            stacklevel=2,
        )
    return model_cfg, train_cfg


def model_settings(model: str) -> pd.DataFrame:
    """What ``--set KEY=VALUE`` (or `resolve_configs`'s settings) accepts for `model`, with the defaults it
    trains with and what each setting means (`Config.field_docs`).

    Returns:
        one row per setting, the model's first, then the training ones with the model's ``train_defaults``
        applied (for a closed-form model, only those its fit reads: `CLOSED_FORM_SETTINGS`); columns ``group``
        (``"model"`` or ``"training"``), ``key``, ``default``, ``meaning`` and ``choices`` (the values a setting
        with a fixed set of them takes, else None).

    Raises:
        ValueError: for an unknown model, listing the valid names.
    """
    model_cfg, train_cfg = resolve_configs(model)
    read = TrainConfig.field_names() if trained_by_epochs(model) else CLOSED_FORM_SETTINGS
    rows = [
        {
            "group": group,
            "key": key,
            "default": getattr(cfg, key),
            "meaning": meaning,
            "choices": list(cfg.field_choices()[key]) if key in cfg.field_choices() else None,
        }
        for group, cfg in (("model", model_cfg), ("training", train_cfg))
        for key, meaning in cfg.field_docs().items()
        # a model key shadows a training one
        if group == "model" or (key in read and key not in model_cfg.field_names())
    ]
    return pd.DataFrame(rows, columns=["group", "key", "default", "meaning", "choices"])


def closed_form_warning(model: str, unread: Iterable[str]) -> str:
    """What to say of training settings a closed-form `model` does not read: ``--set`` keys (`resolve_configs`)
    or ``sslrec train --epochs``."""
    return (
        f"{model} is fitted in closed form, not trained by epochs: it reads none of {sorted(unread)} (of the "
        f"training settings it reads only {list(CLOSED_FORM_SETTINGS)})"
    )


def settings_dict(settings: Mapping[str, Any] | Iterable[str]) -> Mapping[str, Any]:
    """Settings as a mapping: a mapping as it is, ``key=value`` strings parsed.

    Raises:
        ConfigError: a single string (it would be read a character at a time), an item that is not a string, or
            a key given twice (the last value would win unseen).
    """
    if isinstance(settings, Mapping):
        return settings
    if isinstance(settings, str):
        raise ConfigError(
            f"settings are a list of 'key=value' strings or a mapping, got the string {settings!r}"
        )
    pairs = [_split_assignment(s) for s in settings]
    keys = [key for key, _ in pairs]
    if twice := list(dict.fromkeys(key for key in keys if keys.count(key) > 1)):
        raise ConfigError(f"{', '.join(twice)} given twice (--set {twice[0]}=...); give each setting once")
    return dict(pairs)


def _split_assignment(item: str) -> tuple[str, Any]:
    if not isinstance(item, str):  # e.g. a ("lr", 0.01) pair
        raise ConfigError(f"settings are 'key=value' strings or a mapping, got {item!r}")
    key, sep, raw = item.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"expected key=value, got {item!r}")
    return key.strip(), parse_value(raw.strip())
