"""Train on a split (with a grid search on validation where asked), test, and write the run directory
(`run_experiment`); and the fingerprints that tell whether two runs used the same split."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import sys
import time
import uuid
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from sslrec_utils.config import ConfigError, DataWarning, did_you_mean
from sslrec_utils.data.download import atomic_write
from sslrec_utils.distributed import DistContext, check_same
from sslrec_utils.experiment.data_spec import DataSpec, TimeOrderWarning, load_split, time_order_warning
from sslrec_utils.experiment.settings import resolve_configs, settings_dict
from sslrec_utils.models import (
    ModelConfig,
    Recommender,
    build_model,
    fits_ratings,
    reads_sequences,
    trained_by_epochs,
)
from sslrec_utils.models.base import TrainData
from sslrec_utils.splits import Split
from sslrec_utils.train import (
    CLOSED_FORM_SETTINGS,
    FitResult,
    TrainConfig,
    check_cut_offs,
    check_train_config,
    evaluate_model,
    fit,
    resolve_device,
    save_checkpoint,
)


def summary_keys(ks: Sequence[int]) -> list[str]:
    """The test metrics a run's record repeats at its top level: recall and NDCG at every cut-off, then hit rate
    and MRR at the first (``recall@10, ndcg@10, recall@20, ndcg@20, hit@10, mrr@10`` at the default ks)."""
    return [f"{m}@{k}" for k in ks for m in ("recall", "ndcg")] + [f"hit@{ks[0]}", f"mrr@{ks[0]}"]


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
    if not isinstance(model_cfg, ModelConfig):  # a model's name fails far later, on an attribute
        raise TypeError(
            f"model_cfg must be a model's config, e.g. the first value of resolve_configs(model, ...), got "
            f"{type(model_cfg).__name__} {model_cfg!r}"[:300]
        )
    check_train_config(train_cfg)
    if isinstance(fixed, str):
        raise ConfigError(f"fixed is a list of setting names, got the string {fixed!r}")
    known = [*type(model_cfg).field_names(), *TrainConfig.field_names()]
    if unknown := sorted(set(fixed) - set(known)):  # a misspelt key would be searched over unseen
        raise ConfigError(f"fixed names unknown setting(s) {unknown}{did_you_mean(unknown, known)}")
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
    check_cut_offs(train_cfg, len(split.item_map))
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
            if spec.is_file and not spec.rating_col:
                cause, fix = (
                    " (without --rating-col each row is a rating of 1)",
                    "name the rating column, or ",
                )
            elif spec.threshold is not None:  # the threshold left one value
                cause, fix = f" (--threshold {spec.threshold:g} keeps no other)", "lower the threshold, or "
            else:  # the rating column holds one value
                cause, fix = "", ""
            implicit = "use a model of implicit feedback (ease, multvae...)"
            warnings.warn(
                f"{model} is fitted to rating values, but every training rating is {ratings[0]:g}{cause}, so the "
                f"ratings it predicts say nothing of preference: {fix}{implicit}",
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
