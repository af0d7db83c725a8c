"""One experiment from names to numbers: load and split a data set, train a model chosen by validation,
evaluate it on test, and write the run directory that `sslrec_utils.recommend` loads again.

    spec = DataSpec(dataset="ml-100k", split="holdout", seed=2020)
    result = run_experiment(spec, "multvae", out_dir="runs/multvae")

A run directory holds ``config.json`` (data spec, model and training configs), ``checkpoint.pt``,
``history.csv`` and ``metrics.json``. Splits are pure functions of (data, seed), so a run can be reloaded from
its config alone.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import sys
import time
import uuid
import warnings
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from sslrec_utils.config import (
    Config,
    ConfigError,
    DataWarning,
    check_count,
    check_seed_value,
    did_you_mean,
    parse_value,
)
from sslrec_utils.data import (
    TIE_ORDERS,
    Interactions,
    load_interactions,
    load_movielens,
    preprocess,
    tie_order_text,
)
from sslrec_utils.data.download import atomic_write, expand_user
from sslrec_utils.data.files import FILE_FIELDS, is_file_dataset, unknown_source
from sslrec_utils.data.movielens import DATASETS
from sslrec_utils.data.synthetic import parse_synthetic, synthetic_interactions
from sslrec_utils.distributed import DistContext, check_same
from sslrec_utils.metrics import check_k
from sslrec_utils.models import (
    ModelConfig,
    Recommender,
    build_model,
    config_class,
    fits_ratings,
    model_config,
    reads_sequences,
    trained_by_epochs,
)
from sslrec_utils.models.base import TrainData
from sslrec_utils.splits import SPLITTERS, Split, make_split
from sslrec_utils.train import (
    CLOSED_FORM_SETTINGS,
    FitResult,
    TrainConfig,
    evaluate_model,
    fit,
    resolve_device,
    save_checkpoint,
)


def summary_keys(ks: Sequence[int]) -> list[str]:
    """The test metrics a run's record repeats at its top level: recall and NDCG at every cut-off, then hit rate
    and MRR at the first (``recall@10, ndcg@10, recall@20, ndcg@20, hit@10, mrr@10`` at the default ks)."""
    return [f"{m}@{k}" for k in ks for m in ("recall", "ndcg")] + [f"hit@{ks[0]}", f"mrr@{ks[0]}"]


@dataclasses.dataclass(frozen=True)
class DataSpec(Config):
    """What data to load, how to preprocess it and how to split it; `load_split` turns it into a `Split`.

    For a file, ``threshold`` needs ``rating_col``, and the splits by time (``"time"``, and ``"loo"``, which
    holds out each user's latest interactions) need ``time_col``: without it every timestamp is 0 and there is
    no "latest". A ``synthetic:UxIxN`` data set is one fixed log per shape; ``seed`` varies its split only.

    Raises:
        ConfigError: a negative seed, or what `check_data_fields` refuses (``threshold`` without
            ``rating_col``, or a split by time without ``time_col``, for a file; column names or a separator for
            a MovieLens or synthetic data set; a negative k-core threshold; an unknown split or order of ties).
    """

    dataset: str = (
        "ml-100k"  # MovieLens name (ml-100k, ml-1m, ml-20m), CSV/TSV/Parquet path, or synthetic:UxIxN
    )
    user_col: str = "user"  # column names, for a file
    item_col: str = "item"  # column names, for a file
    rating_col: str | None = None  # rating column, for a file (None: every row is one interaction)
    time_col: str | None = None  # time column, for a file (None: no time order)
    sep: str | None = None  # field separator, for a file (default: from the extension)
    threshold: float | None = None  # keep interactions with rating >= threshold (None: all are positives)
    min_user: int = 0  # k-core: drop users with fewer interactions (repeated with min_item until stable)
    min_item: int = 0  # k-core: drop items with fewer interactions
    ties: str = "random"  # order of a user's rows with equal timestamps: random | row (the log's) | item (ID)
    tie_seed: int = 0  # seeds the random order of ties
    split: str = "holdout"  # holdout | loo | strong | time
    seed: int = 2020  # seeds the split (and, by default, training)
    data_dir: str | None = None  # MovieLens cache (default: $SSLREC_DATA or data/)

    def __post_init__(self) -> None:
        check_seed_value(self.seed)
        check_data_fields(self)

    @property
    def is_builtin(self) -> bool:
        return self.dataset in DATASETS

    @property
    def is_file(self) -> bool:
        """Whether `dataset` names a file (see `is_file_dataset`)."""
        return is_file_dataset(self.dataset)

    def with_absolute_paths(self) -> DataSpec:
        """The spec with an existing data file and `data_dir` made absolute, so that a run's config finds them
        from any folder (a MovieLens name or a synthetic shape stays as it is)."""
        path = expand_user(self.dataset)
        return dataclasses.replace(
            self,
            dataset=str(path.resolve()) if self.is_file and path.is_file() else self.dataset,
            data_dir=None if self.data_dir is None else str(expand_user(self.data_dir).resolve()),
        )


def check_data_fields(
    fields: Any, label: Callable[[str], str] = str, given: Collection[str] | None = None
) -> None:
    """Check the data fields of a `DataSpec`, or of anything that has them under the same names (a report's
    parameters), each named in a message by ``label(name)`` (the report's ``str.upper``: ``SPLIT``).

    Args:
        fields: the fields, as attributes.
        label: how a message names a field.
        given: the fields that were given, where the caller knows (a command line's options): a column option
            for a data set that is no file is refused even at its default. None: those that differ from it.

    Raises:
        ConfigError: a k-core threshold or tie seed that is negative or from 2**63; a rating threshold that is
            not finite; an unknown order of ties or split; column names or a separator for a MovieLens or
            synthetic data set; for a file, one column for users and items, a threshold without a rating
            column, or a split by time without a time column.
    """
    if not str(fields.dataset).strip():  # what else names no data is found when it is loaded
        raise ConfigError(unknown_source(str(fields.dataset), label("dataset")))
    for name in ("min_user", "min_item"):
        check_count(getattr(fields, name), label(name), low=0)
    check_seed_value(fields.tie_seed, label("tie_seed"))
    if fields.threshold is not None and not np.isfinite(fields.threshold):  # nan and inf keep nothing
        raise ConfigError(f"{label('threshold')} must be a finite number, got {fields.threshold}")
    if fields.ties not in TIE_ORDERS:
        raise ConfigError(f"unknown {label('ties')}={fields.ties!r}; valid: {', '.join(TIE_ORDERS)}")
    if fields.split not in SPLITTERS:  # before the data is loaded, not after
        raise ConfigError(
            f"unknown {label('split')}={fields.split!r} (valid: {', '.join(SPLITTERS)})"
            f"{did_you_mean(fields.split, SPLITTERS)}"
        )
    if not is_file_dataset(fields.dataset):
        defaults = DataSpec.__dataclass_fields__
        options = [
            f"{label(name)}={getattr(fields, name)!r}"
            for name in FILE_FIELDS
            if (name in given if given is not None else getattr(fields, name) != defaults[name].default)
        ]
        if options:
            verb = "describes" if len(options) == 1 else "describe"
            raise ConfigError(f"{', '.join(options)} {verb} a file, but {fields.dataset!r} is not one")
        return
    problem = None
    if fields.user_col == fields.item_col:
        problem = (
            f"{label('user_col')} and {label('item_col')} are both {fields.user_col!r}; they must name different "
            "columns"
        )
    elif fields.threshold is not None and fields.rating_col is None:
        problem = f"{label('threshold')}={fields.threshold} needs a rating column: give {label('rating_col')}"
    elif fields.split in ("time", "loo") and fields.time_col is None:
        problem = (
            f"{label('split')}={fields.split!r} is by time and needs a time column: give {label('time_col')}"
        )
    if problem is not None:  # about a file's columns: first say when there is no file (a mistyped name)
        raise ConfigError(unknown_source(fields.dataset, label("dataset")) or problem)


def load_data(spec: DataSpec, progress: bool = False) -> tuple[Interactions, pd.DataFrame | None]:
    """The preprocessed interactions of `spec` and, for MovieLens, its item table (titles, genres).

    Raises:
        FileNotFoundError: a file data set that does not exist.
        DataUnavailableError: a MovieLens data set that no source (cache, RecBole, download) provides.
        ValueError: the data cannot be read, or nothing is left after filtering.
    """
    shape = parse_synthetic(spec.dataset)
    if shape is not None:
        # one log per shape, whatever spec.seed: the seed varies the split, not the data set, so that a run
        # trained with any seed reloads the log it was trained on
        ratings, items = synthetic_interactions(*shape, seed=0), None
    elif spec.is_builtin:
        movielens = load_movielens(spec.dataset, spec.data_dir, progress=progress)
        ratings, items = movielens.ratings, movielens.items
    else:
        ratings = load_interactions(
            spec.dataset,
            user_col=spec.user_col,
            item_col=spec.item_col,
            rating_col=spec.rating_col,
            time_col=spec.time_col,
            sep=spec.sep,
        )
        items = None
    inter = preprocess(
        ratings,
        threshold=spec.threshold,
        min_user=spec.min_user,
        min_item=spec.min_item,
        ties=spec.ties,  # type: ignore[arg-type]  # checked by DataSpec
        tie_seed=spec.tie_seed,
    )
    return inter, items


def load_split(spec: DataSpec, progress: bool = False) -> tuple[Split, pd.DataFrame | None]:
    """The split `spec` describes, and the item table if there is one.

    Raises:
        FileNotFoundError, DataUnavailableError, ValueError: as `load_data`; ValueError also when the data is too
            small for the split (`sslrec_utils.splits.make_split`).
    """
    inter, items = load_data(spec, progress)
    return make_split(inter, spec.split, seed=spec.seed), items


class TimeOrderWarning(DataWarning):
    """A sequence model reads histories that the timestamps do not order, or leave-one-out holds out items they
    do not choose (`time_order_warning`)."""


def time_order_warning(model: str, spec: DataSpec) -> str:
    """What to say when model `model` reads data `spec` whose users each have one timestamp
    (`Split.has_time_order`): a sequence model's histories are then in `spec`'s tie order, not in time order,
    and so are the items a leave-one-out split holds out as each user's latest."""
    if spec.time_col is None and spec.is_file:
        cause = "without --time-col every timestamp is 0"
    else:
        column = f" ({spec.time_col!r})" if spec.time_col is not None else ""
        cause = f"the time column{column} gives all of each user's interactions one time"
    order = tie_order_text(spec.ties, spec.tie_seed)
    if not reads_sequences(model):
        return (
            f"the loo split holds out each user's latest interactions, but {cause}, so the items {model} is "
            f"validated and tested on are chosen {order} (--ties), not by time"
        )
    return (
        f"{model} reads each user's history in time order, but {cause}, so each history is ordered {order} "
        "(--ties), not by time"
    )


def resolve_configs(
    model: str, settings: Mapping[str, Any] | Iterable[str] = (), **train_changes: Any
) -> tuple[ModelConfig, TrainConfig]:
    """Split ``key=value`` settings between the model's config and the training config.

    Each key goes to the model config if it names one of its fields, otherwise to `TrainConfig`; the model's
    ``train_defaults`` apply first, then `train_changes` (e.g. ``epochs=5``), then `settings`.

    Raises:
        ValueError: unknown model, listing the valid ones.
        ConfigError: a key that neither config has, listing both sets of valid keys; or a key given both in
            `train_changes` (not None) and in `settings` (but ``seed`` and ``progress``, which a setting may
            change).
    """
    model_cls = config_class(model)
    settings = settings_dict(settings)
    model_keys, train_keys = set(model_cls.field_names()), set(TrainConfig.field_names())
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
        (``"model"`` or ``"training"``), ``key``, ``default`` and ``meaning``.

    Raises:
        ValueError: for an unknown model, listing the valid names.
    """
    model_cfg, train_cfg = resolve_configs(model)
    read = TrainConfig.field_names() if trained_by_epochs(model) else CLOSED_FORM_SETTINGS
    rows = [
        {"group": group, "key": key, "default": getattr(cfg, key), "meaning": meaning}
        for group, cfg in (("model", model_cfg), ("training", train_cfg))
        for key, meaning in cfg.field_docs().items()
        # a model key shadows a training one
        if group == "model" or (key in read and key not in model_cfg.field_names())
    ]
    return pd.DataFrame(rows, columns=["group", "key", "default", "meaning"])


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


@dataclasses.dataclass
class Trained:
    """A model trained on a split, with what chose it.

    Attributes:
        model: the trained model, holding its best weights, in eval mode.
        model_config: its settings (with a search, the grid point validation chose).
        train_config: the training settings it was fitted with.
        fit: `fit`'s result for that model: its history, best epoch and times.
        search: one row per grid point tried (its settings, validation metric and whether Ctrl-C cut it short);
            None without a search.
        search_seconds: wall time of the whole search: every point's model, its fit (monitors included) and the
            winner's checkpoint; without a search, that one fit and its set-up, so at least
            ``fit.train_seconds``.
    """

    model: Recommender
    model_config: ModelConfig
    train_config: TrainConfig
    fit: FitResult
    search: pd.DataFrame | None
    search_seconds: float


def search_grid(cfg: ModelConfig, fixed: Iterable[str] = ()) -> list[ModelConfig]:
    """Every config of the model's ``search_space`` grid, leaving the `fixed` keys as they are in `cfg`."""
    space = {k: v for k, v in type(cfg).search_space.items() if k not in set(fixed)}
    if not space:
        return [cfg]
    return [
        cfg.replace(**dict(zip(space, values, strict=True))) for values in itertools.product(*space.values())
    ]


def train_on_split(
    split: Split,
    model_cfg: ModelConfig,
    train_cfg: TrainConfig,
    *,
    search: bool | None = None,
    fixed: Iterable[str] = (),
    out_dir: str | Path | None = None,
    dist: DistContext | None = None,
    run_id: str | None = None,
) -> Trained:
    """Train (or fit) a model on ``split``'s training part, choosing hyperparameters by validation.

    Args:
        split: the data split.
        model_cfg: the model's config; the centre of the search when searching.
        train_cfg: training settings.
        search: try every point of the model's ``search_space`` and keep the best by validation
            ``train_cfg.metric``; None searches for closed-form models only (they fit in seconds). True
            with nothing to search (no grid, or every key of it in `fixed`) warns.
        fixed: keys the user set explicitly, left out of the search.
        out_dir: where the winning model's checkpoint is written (without a search, at every new best
            epoch, so that a run that fails later keeps it).
        dist: this process's place in a ``torchrun`` launch (see `sslrec_utils.distributed`), or None.
        run_id: stored in the checkpoint, to match it with its run's ``config.json`` (see `run_experiment`).
    """
    if search is not None and not isinstance(search, bool):  # "false" would be true
        raise ConfigError(f"search must be True, False or None, got {search!r}")
    data = TrainData.from_split(split)
    probe = build_model(model_cfg, data, seed=train_cfg.seed)
    space = type(model_cfg).search_space
    if search and not set(space) - set(fixed):  # asked for, and nothing to search: said, not silently skipped
        what = f"every key of its grid ({', '.join(space)}) is set" if space else "it has no grid"
        warnings.warn(f"nothing to search for {type(probe).__name__}: {what}", stacklevel=2)
    if search is None:
        search = probe.closed_form
    grid = search_grid(model_cfg, fixed) if search else [model_cfg]
    if dist is not None:  # before any other collective: ranks told other things would train apart
        check_same(same_on_every_rank(split, model_cfg, train_cfg, grid), dist)
    main = dist is None or dist.is_main
    # a closed-form fit has no epochs to show progress by: this bar counts its fits (a search's points), each
    # of which can take minutes on a large catalogue; an iterative model's `fit` shows its own bar per point
    fits = tqdm(
        total=len(grid),
        desc=type(probe).__name__,
        unit="fit",
        disable=not (probe.closed_form and train_cfg.progress and main),
    )
    start, rows, best = time.perf_counter(), [], None
    for i, cfg in enumerate(grid, 1):
        model = probe if cfg is model_cfg and len(grid) == 1 else build_model(cfg, data, seed=train_cfg.seed)
        label = f"{type(model).__name__} {i}/{len(grid)}" if len(grid) > 1 else None  # where the search is
        point = {k: getattr(cfg, k) for k in type(cfg).search_space}
        try:
            # without a search, each new best epoch's weights are saved as they come: a crash keeps them
            keep = out_dir if len(grid) == 1 and main else None
            result = fit(model, split, train_cfg, out_dir=keep, dist=dist, label=label, run_id=run_id)
        except KeyboardInterrupt:  # before this point's first validation: keep the points already tried
            if best is None or dist is not None:
                raise
            rows.append({**point, f"valid_{train_cfg.metric}": float("nan"), "interrupted": True})
            best = (*best[:2], dataclasses.replace(best[2], interrupted=True))
            break
        score = result.best_valid[train_cfg.metric]
        rows.append({**point, f"valid_{train_cfg.metric}": score, "interrupted": result.interrupted})
        if best is None or score > best[2].best_valid[train_cfg.metric]:
            best = (model, cfg, result)
        fits.set_postfix({f"best {train_cfg.metric}": f"{best[2].best_valid[train_cfg.metric]:.4f}"})
        fits.update()
        if result.interrupted:  # Ctrl-C also ends the search: keep the best point tried, said cut short
            best = (*best[:2], dataclasses.replace(best[2], interrupted=True))
            break
    fits.close()
    assert best is not None
    model, cfg, result = best
    if out_dir is not None and main:
        save_checkpoint(Path(out_dir) / "checkpoint.pt", model, run_id=run_id)
    table = pd.DataFrame(rows) if len(grid) > 1 else None
    return Trained(model, cfg, train_cfg, result, table, time.perf_counter() - start)


def same_on_every_rank(
    split: Split, model_cfg: ModelConfig, train_cfg: TrainConfig, grid: list[ModelConfig]
) -> dict[str, Any]:
    """What the ranks of a distributed run must agree on (see `check_same`), by the names a user sets them by.

    A setting first, then the data: other seeds give other splits too, and the seed is the cause to name. Where
    each process shows progress and which device string chose its device may differ, and so may the training
    settings a closed-form model does not read. The ratings are compared beside the split's fingerprint, which
    leaves them out (AutoRec trains on them; a file read with ``--rating-col`` on one node only differs there).
    """
    read = CLOSED_FORM_SETTINGS if not trained_by_epochs(model_cfg.name) else TrainConfig.field_names()
    settings = {k: v for k, v in train_cfg.to_dict().items() if k in read and k not in ("device", "progress")}
    sizes = model_cfg.to_dict()
    return {
        "model": model_cfg.name,
        **settings,
        **sizes,
        # with the model config, the keys searched give the grid (too long for a message)
        "searched settings (a key given with --set is not searched)": sorted(
            {k for cfg in grid for k, v in cfg.to_dict().items() if v != sizes[k]}
        ),
        "data (the split's fingerprint: its users, items and rows)": split_fingerprint(split),
        "ratings (a hash of their values)": parts_digest(split, {"rating": "<f8"}),
    }


# what `run_experiment` writes in a run directory, and the keys of its config.json that mark a folder as a run
RUN_FILES = ("config.json", "metrics.json", "history.csv", "checkpoint.pt", "search.csv")
RUN_SIGNATURE = ("config.json", ("data", "model", "model_config", "train_config"))


def run_experiment(
    spec: DataSpec,
    model: str,
    *,
    settings: Mapping[str, Any] | Iterable[str] = (),
    epochs: int | None = None,
    device: str | None = None,
    search: bool | None = None,
    progress: bool = True,
    out_dir: str | Path | None = None,
    split: Split | None = None,
    dist: DistContext | None = None,
) -> dict[str, Any] | None:
    """Load, split, train with validation selection, test, and (with `out_dir`) write the run directory.

    Args:
        spec: data set and split.
        model: registered model name.
        settings: ``key=value`` strings or a mapping, for the model config or the training config.
        epochs: maximum epochs (overrides the model's default).
        device: ``"auto"``, ``"cpu"``, ``"cuda"``...
        search: see `train_on_split`.
        progress: progress bars.
        out_dir: run directory to write (created): the files of an earlier run there (`RUN_FILES`) are removed
            when training starts, and a run that fails leaves only what it wrote (see `train_on_split`).
        split: a split already made from `spec` (skips loading; used by benchmarks over many models).
        dist: this process's place in a ``torchrun`` launch; only rank 0 tests, writes and returns the record.

    Returns:
        The metrics record also written to ``metrics.json``: model, seed (the split's), train_seed, test
        metrics (``recall@10``..., `summary_keys`), the selection ``metric``, ``valid`` metrics, ``epochs``
        run, ``best_epoch``, ``train_seconds``, ``seconds_to_best``...; None on ranks other than 0.
    """
    settings = settings_dict(settings)
    model_cfg, train_cfg = resolve_configs(
        model, settings, epochs=epochs, device=device, seed=spec.seed, progress=progress
    )
    # an unusable device fails here, before the data is loaded
    device = dist.device if dist is not None else resolve_device(train_cfg.device)
    device_type = device.type
    if split is None:
        split, _ = load_split(spec, progress=progress)
    for k in train_cfg.ks:  # evaluation's own check, made before training rather than after it
        try:
            check_k(k, len(split.item_map))
        except ValueError as err:
            raise ConfigError(
                f"ks={list(train_cfg.ks)} but the data has {len(split.item_map)} items: {err}"
            ) from err
    if reads_sequences(model) and split.protocol in ("holdout", "strong") and (dist is None or dist.is_main):
        warnings.warn(
            f"{model} predicts each user's next item from the history before it, but the {split.protocol} split "
            "holds out interactions drawn at random, not each user's latest: use --split loo (or time), the "
            "protocol the book measures sequence models on",
            UserWarning,
            stacklevel=2,
        )
    ordered = reads_sequences(model) or split.protocol == "loo"
    if ordered and (dist is None or dist.is_main) and not split.has_time_order():
        warnings.warn(time_order_warning(model, spec), TimeOrderWarning, stacklevel=2)
    if fits_ratings(model) and (dist is None or dist.is_main):
        ratings = split.matrix("train", values="rating").data
        if len(ratings) and ratings.min() == ratings.max():
            cause = (
                " (without --rating-col each row is a rating of 1)"
                if spec.is_file and not spec.rating_col
                else ""
            )
            warnings.warn(
                f"{model} is fitted to rating values, but every training rating is {ratings[0]:g}{cause}, so the "
                "ratings it predicts say nothing of preference: name the rating column, or use a model of "
                "implicit feedback (ease, multvae...)",
                DataWarning,
                stacklevel=2,
            )
    out = Path(out_dir) if out_dir is not None and (dist is None or dist.is_main) else None
    # marks this run's checkpoint, so that one copied from another run (of the same model, shape and data) is
    # refused when the run is loaded: an identifier, not a draw that any result depends on
    run_id = uuid.uuid4().hex if out is not None else None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        for name in RUN_FILES:  # an earlier run's files would read as this one's if this one failed
            (out / name).unlink(missing_ok=True)
        config = {
            "run_id": run_id,
            "data": spec.with_absolute_paths().to_dict(),  # a run reloads from any folder
            "split_fingerprint": split_fingerprint(split),
            "model": model,
            "model_config": model_cfg.to_dict(),
            "train_config": train_cfg.to_dict(),
            "world_size": dist.world_size if dist is not None else 1,  # processes; batch_size is each one's
        }
        # written first too, so that the best checkpoint a failed run keeps (without a search, see
        # `train_on_split`) can be scored and used by `sslrec evaluate` and `recommend`; written again at the
        # end with the model config a search chose
        write_json(out / "config.json", config)
    if device_type == "cuda":  # of the training device: without it, CUDA's current one (cuda:0 for cuda:1)
        torch.cuda.reset_peak_memory_stats(device)
    trained = train_on_split(
        split, model_cfg, train_cfg, search=search, fixed=settings, out_dir=out, dist=dist, run_id=run_id
    )
    if dist is not None and not dist.is_main:
        return None
    test = evaluate_model(trained.model, split, "test", ks=train_cfg.ks, batch_size=train_cfg.eval_batch_size)
    history = trained.fit.history
    record = {
        "model": model,
        "dataset": spec.dataset,
        "split": spec.split,
        "seed": spec.seed,  # the split's
        # the data trained and tested on, after --threshold, the k-core and duplicates (as `sslrec data info`
        # counts a file before them); n_test_users below are the users the test scored
        "data_users": split.n_users,
        "data_items": split.n_items,
        "data_interactions": sum(len(part) for part in split.parts.values()),
        "train_seed": train_cfg.seed,  # the same unless a setting changed it (``--set seed=...``)
        **{k: test.summary[k] for k in summary_keys(train_cfg.ks) if k in test.summary},
        "metric": train_cfg.metric,  # the validation metric that chose the epoch
        "epochs": int(history["epoch"].max()),
        "best_epoch": trained.fit.best_epoch,
        "train_seconds": trained.fit.train_seconds,
        "seconds_to_best": trained.fit.seconds_to_best,
        "search_seconds": trained.search_seconds,
        "seconds_per_epoch": float(history["epoch_seconds"].mean()),
        "test": test.summary,
        "valid": trained.fit.best_valid,
        "n_test_users": test.n_users,
        "peak_rss_mb": peak_rss_mb(),
        "peak_gpu_mb": torch.cuda.max_memory_allocated(device) / 2**20 if device_type == "cuda" else None,
        "device": device_type,
        "world_size": dist.world_size if dist is not None else 1,
        "threads": torch.get_num_threads(),  # CPU threads change the rounding, so a long run's figures too
        "interrupted": trained.fit.interrupted,
    }
    if out is not None:
        write_json(out / "config.json", config | {"model_config": trained.model_config.to_dict()})
        history.to_csv(out / "history.csv", index=False)
        if trained.search is not None:
            trained.search.to_csv(out / "search.csv", index=False)
        write_json(out / "metrics.json", record)
    return record


def split_fingerprint(split: Split) -> str:
    """A short hash of a split: its users' and items' original IDs and each part's (user, item) pairs.

    ``config.json`` records it, so that a run reloaded on data that has changed since (rows added, removed or
    renamed) is refused rather than scored on a different split. It hashes each part in its row order (each
    user's rows in time order, ties as `preprocess` ordered them), so the same rows read from a file in another
    row order are refused too, even where the split holds the same pairs: on the safe side, since a random order
    of ties is drawn in the file's row order and can give other sequences.
    """
    digest = hashlib.sha256()
    # the IDs as text: the same bytes in every version of every library
    for ids in (split.user_map.ids, split.item_map.ids):
        digest.update("\n".join(map(str, ids.tolist())).encode() + b"\n\n")
    return parts_digest(split, {"user": "<i8", "item": "<i8"}, digest)


def parts_digest(split: Split, columns: Mapping[str, str], digest: Any = None) -> str:
    """16 hex digits of a SHA-256 over each part's name and `columns` (name -> little-endian dtype, the same
    bytes on every machine), in row order, after what `digest` (a ``hashlib.sha256()``) already holds."""
    digest = hashlib.sha256() if digest is None else digest
    for name, part in sorted(split.parts.items()):
        digest.update(name.encode())
        for column, dtype in columns.items():
            digest.update(memoryview(np.ascontiguousarray(part[column].to_numpy(), dtype=dtype)))
    return digest.hexdigest()[:16]


def peak_rss_mb() -> float | None:
    """This process's peak resident memory in MB so far (None where the OS does not report it)."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, kilobytes on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def write_json(path: str | Path, obj: Any) -> None:
    """Write JSON atomically (temporary file, then rename)."""
    with atomic_write(Path(path)) as fh:
        json.dump(obj, fh, indent=2, default=_jsonable)
        fh.write("\n")


def _jsonable(obj: Any) -> Any:
    if hasattr(obj, "item"):
        return obj.item()
    if isinstance(obj, tuple | set):
        return list(obj)
    raise TypeError(f"cannot write {type(obj).__name__} to JSON")
