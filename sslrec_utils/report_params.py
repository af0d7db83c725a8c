"""The parameters of a report (`ReportParams`: one checked dataclass, parsed from notebook names or command-line
strings) and the check of a data file that reads only its header. See `sslrec_utils.reports`."""

from __future__ import annotations

import dataclasses
import os
import re
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from sslrec_utils.config import (
    Config,
    ConfigError,
    check_count,
    check_seed_value,
    check_unique,
    did_you_mean,
    parse_value,
)
from sslrec_utils.data.download import expand_user
from sslrec_utils.data.files import is_file_dataset, read_header, sep_hint, unknown_source
from sslrec_utils.experiment import RUN_SIGNATURE, DataSpec, check_data_fields
from sslrec_utils.models import MODELS
from sslrec_utils.outdir import IGNORED, holds_json


@dataclasses.dataclass(frozen=True)
class ReportParams(Config):
    """The parameters of the report notebook; the notebook names them in upper case (``DATASET``...)."""

    dataset: str = "ml-100k"  # MovieLens name, synthetic:UxIxN, or a CSV/TSV/Parquet path
    user_col: str = "user"  # column names, for a file
    item_col: str = "item"  # column names, for a file
    rating_col: str | None = None  # rating column (None: every row is one interaction)
    time_col: str | None = None  # time column (None: no time order)
    sep: str | None = None  # field separator (None: from the file extension)
    threshold: float | None = None  # keep ratings >= threshold (None: keep all)
    min_user: int = 0  # k-core: drop users with fewer interactions
    min_item: int = 0  # k-core: drop items with fewer interactions
    split: str = "holdout"  # evaluation protocol: holdout | loo | strong | time
    ties: str = "random"  # order of a user's equal timestamps: random | row (the file's) | item (ID)
    tie_seed: int = 0  # seeds the random order of ties
    models: tuple[str, ...] = ("pop", "ease", "multvae")  # models to compare
    ks: tuple[int, ...] = (10, 20)  # metric cut-offs; the first selects epochs and ranks the models
    seeds: tuple[int, ...] = (2020,)  # one split and one run per model and seed
    epochs: int = 10  # maximum epochs of trainable models
    search: bool | None = None  # hyperparameter grid: None for closed-form models only, True all, False none
    device: str = "auto"  # auto | cpu | cuda | cuda:N | mps
    n_example_users: int = 3  # users whose recommendations are shown
    title: str = "Recommendation report"  # the report's heading
    data_dir: str | None = None  # MovieLens cache (None: $SSLREC_DATA or data/)
    runs_dir: str | None = None  # where run directories are written (None: a temporary folder)
    temp_dir: str | None = (
        None  # where that temporary folder goes (None: the system's; run_report: ".", where it runs)
    )

    def __post_init__(self) -> None:
        if not self.models:
            raise ConfigError(f"MODELS is empty; choose from {sorted(MODELS)}")
        unknown = [m for m in self.models if m not in MODELS]
        if unknown:
            raise ConfigError(
                f"unknown model(s) {unknown} in MODELS; valid models: {sorted(MODELS)}"
                f"{did_you_mean(unknown, MODELS)}"
            )
        check_unique("MODELS", self.models)
        check_data_fields(self, str.upper)
        for name in ("ks", "seeds"):
            values = getattr(self, name)
            if not values:
                raise ConfigError(f"{name.upper()} is empty; give at least one value")
            check_unique(name.upper(), values)
        if min(self.ks) < 1:
            raise ConfigError(f"KS must be >= 1, got {list(self.ks)}")
        for seed in self.seeds:
            check_seed_value(seed, "SEEDS")
        for name, low in (("epochs", 1), ("n_example_users", 0)):
            check_count(getattr(self, name), name.upper(), low)
        if not self.title.strip():
            raise ConfigError("TITLE is empty")
        _check_device(self.device)

    @classmethod
    def from_parameters(cls, values: Mapping[str, Any]) -> ReportParams:
        """Parameters from notebook names (``MODELS``; any case). Strings are parsed for the field's type:
        ``"pop,ease"`` or ``'["pop","ease"]'`` for a list, ``"10"`` for a number, ``"None"`` for nothing; a
        number is read as its text, so ``SEEDS=2021`` is one seed and ``TITLE=2024`` a title.

        Raises:
            ConfigError: an unknown name (listing the valid ones) or a bad value.
        """
        cls.check_names(values)
        hints = typing.get_type_hints(cls)
        changes = {}
        for name, value in values.items():
            key = name.lower()
            if isinstance(value, int | float) and not isinstance(value, bool):
                value = str(value)  # Papermill's -p gives SEEDS=2021 as an int: read it as the text "2021"
            if isinstance(value, str):
                value = _parse(value, hints[key], name.upper())
            elif typing.get_origin(hints[key]) is not tuple:  # a list's items are checked by from_dict
                value = _checked(value, hints[key], name.upper(), value)
            changes[key] = value
        try:
            return cls.from_dict(changes)
        except ConfigError as err:  # field names as the notebook spells them
            upper = re.sub(
                r"^\w+", lambda m: m.group().upper() if m.group() in hints else m.group(), str(err)
            )
            raise ConfigError(upper) from None

    @classmethod
    def check_names(cls, names: Iterable[str]) -> None:
        """Refuse a name that is no parameter of the report (any case), listing the valid ones.

        Raises:
            ConfigError: naming the first unknown name, and the closest valid one.
        """
        for name in names:
            if name.upper() not in PARAMETER_NAMES:
                raise ConfigError(
                    f"unknown report parameter {name!r}; valid: {', '.join(PARAMETER_NAMES)}"
                    f"{did_you_mean(name, PARAMETER_NAMES)}"
                )

    @property
    def is_file(self) -> bool:
        """Whether DATASET names a file (not a MovieLens name or a synthetic:UxIxN shape)."""
        return is_file_dataset(self.dataset)

    @property
    def metric(self) -> str:
        """The metric that selects each model's epoch and ranks the leaderboard."""
        return f"ndcg@{self.ks[0]}"

    def data_spec(self, seed: int | None = None) -> DataSpec:
        """The `DataSpec` of this report for one seed (default: the first)."""
        names = ("dataset", "user_col", "item_col", "rating_col", "time_col", "sep", "threshold")
        return DataSpec(
            **{
                n: getattr(self, n)
                for n in (*names, "min_user", "min_item", "split", "ties", "tie_seed", "data_dir")
            },
            seed=self.seeds[0] if seed is None else seed,
        )

    def to_notebook(self) -> dict[str, Any]:
        """Papermill parameters: upper-case names, lists for tuples."""
        return {k.upper(): list(v) if isinstance(v, tuple) else v for k, v in self.to_dict().items()}

    def with_absolute_paths(self) -> ReportParams:
        """Paths made absolute, since the notebook runs in the report folder, not in the caller's directory."""
        # a DATASET that names no file stays as given, for the error that says so
        named = is_file_dataset(self.dataset) and expand_user(self.dataset).exists()
        paths = ["data_dir", "runs_dir", "temp_dir"] + (["dataset"] if named else [])
        return self.replace(
            **{k: str(expand_user(getattr(self, k)).resolve()) for k in paths if getattr(self, k) is not None}
        )


PARAMETER_NAMES = tuple(f.name.upper() for f in dataclasses.fields(ReportParams))


def _check_device(device: str) -> None:
    from sslrec_utils.train import resolve_device

    try:
        resolve_device(device)
    except ConfigError as err:
        raise ConfigError(f"DEVICE: {err}") from None


def _parse(raw: str, hint: Any, name: str) -> Any:
    """A command-line string as a value of type `hint` (`name` is the parameter, for the error)."""
    text = raw.strip()
    optional = type(None) in typing.get_args(hint)
    if optional and text in ("None", "none", "null", ""):
        return None
    if typing.get_origin(hint) is tuple:
        value = parse_value(text)
        if isinstance(value, list):
            return value
        return [parse_value(part.strip()) for part in text.split(",") if part.strip()]
    if hint is str or (optional and str in typing.get_args(hint)):
        return raw
    return _checked(parse_value(text), hint, name, raw)


def _checked(value: Any, hint: Any, name: str, given: object) -> Any:
    """`value` if it is of the scalar type `hint` (an integral float counts as an integer), else a `ConfigError`
    that names the parameter `name` and what was `given`, in the same words for every type."""
    types = {t for t in (hint, *typing.get_args(hint)) if isinstance(t, type)}
    if isinstance(value, bool):
        fits = bool in types
    elif isinstance(value, int):
        fits = bool(types & {int, float})
    elif isinstance(value, float):
        fits = float in types or (int in types and value.is_integer())
    else:
        fits = type(value) in types
    if not fits:
        kind = "true or false" if bool in types else "an integer" if int in types else "a number"
        kind = "a string" if str in types else kind
        or_none = " or None" if type(None) in types else ""
        raise ConfigError(f"{name} expects {kind}{or_none}, got {given!r}")
    return value


# ---- checks before anything runs ---------------------------------------------------------------------------


def check_source(params: ReportParams) -> None:
    """Check that the data source exists and, for a file, that its header holds every column named.

    Raises:
        FileNotFoundError: neither a built-in data set nor a file.
        ValueError: a column missing from the file (listing the columns found).
    """
    if problem := unknown_source(params.dataset, "DATASET"):
        raise FileNotFoundError(problem)
    if not is_file_dataset(params.dataset):
        return
    path = expand_user(params.dataset)
    names = ("user_col", "item_col", "rating_col", "time_col")
    columns = read_header(path, params.sep, [c for n in names if (c := getattr(params, n)) is not None])
    for name in names:
        column = getattr(params, name)
        if column is not None and column not in columns:
            raise ValueError(
                f"column {column!r} ({name.upper()}) missing from {path.name}; found: {columns}"
                f"{did_you_mean(column, columns)}{sep_hint(columns)}"
            )


def check_folders(params: ReportParams, force: bool = False) -> None:
    """Check TEMP_DIR and RUNS_DIR before anything runs.

    TEMP_DIR must be an existing, writable folder; RUNS_DIR a folder that can be written or made. The run folders
    the report writes in RUNS_DIR (``<model>-seed<seed>``) may replace earlier ones only with `force`, and even
    then only runs (their ``config.json`` marks them), never a user's files of the same names.

    Raises:
        ValueError: naming the parameter and what is wrong with it.
    """
    check_temp_dir(params)
    if params.runs_dir is not None:
        _check_runs_dir(params, force)


def check_temp_dir(params: ReportParams) -> None:
    """Check TEMP_DIR, if given, before anything runs: an existing, writable folder (the notebook run on its own
    checks this part of `check_folders`; it writes over earlier runs in RUNS_DIR by design).

    Raises:
        ValueError: naming TEMP_DIR and what is wrong with it.
    """
    if params.temp_dir is None:
        return
    temp = expand_user(params.temp_dir)
    if not temp.is_dir():
        what = "is a file" if temp.exists() else "does not exist"
        raise ValueError(
            f"TEMP_DIR {params.temp_dir!r} {what}; give an existing folder, or None for the system's"
        )
    if not os.access(temp, os.W_OK | os.X_OK):
        raise ValueError(f"TEMP_DIR {params.temp_dir!r} is not writable; give a folder of your own")


def _check_runs_dir(params: ReportParams, force: bool) -> None:
    """The RUNS_DIR part of `check_folders`."""
    runs = expand_user(str(params.runs_dir)).resolve()
    nearest = next(p for p in (runs, *runs.parents) if p.exists())
    if not nearest.is_dir():
        raise ValueError(f"RUNS_DIR {params.runs_dir!r} cannot be a folder: {nearest} is a file")
    if not os.access(nearest, os.W_OK | os.X_OK):
        raise ValueError(
            f"RUNS_DIR {params.runs_dir!r} is not writable ({nearest}); give a folder of your own"
        )
    names = [f"{model}-seed{seed}" for seed in params.seeds for model in params.models]
    taken = [n for n in names if (runs / n).exists() and not _empty_folder(runs / n)]
    if taken and not force:
        raise ValueError(
            f"RUNS_DIR {params.runs_dir!r} already holds {', '.join(taken)}; choose another RUNS_DIR, or pass "
            "--force to replace those runs"
        )
    foreign = [n for n in taken if not holds_json(runs / n / RUN_SIGNATURE[0], RUN_SIGNATURE[1])]
    if foreign:
        raise ValueError(
            f"RUNS_DIR {params.runs_dir!r} holds {', '.join(foreign)}, which the report would write but which "
            "are not runs; not replacing them, even with --force"
        )


def _empty_folder(path: Path) -> bool:
    """Whether `path` is a folder holding nothing but what systems add to any folder (`outdir.IGNORED`)."""
    return path.is_dir() and all(child.name in IGNORED for child in path.iterdir())
