"""The parameters of a report (`ReportParams`: one checked dataclass, parsed from notebook names or command-line
strings) and the check of a data file that reads only its header. See `sslrec_utils.reports`."""

from __future__ import annotations

import dataclasses
import math
import re
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from sslrec_utils.config import Config, ConfigError, did_you_mean, parse_value
from sslrec_utils.data import DATASETS
from sslrec_utils.data.download import expand_user
from sslrec_utils.data.files import near_file, read_header, sep_hint
from sslrec_utils.experiment import DataSpec, check_data_fields, is_file_dataset
from sslrec_utils.models import MODELS


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
    temp_dir: str | None = None  # where that temporary folder goes (None: the system's; run_report: its own)

    def __post_init__(self) -> None:
        if not self.models:
            raise ConfigError(f"MODELS is empty; choose from {sorted(MODELS)}")
        unknown = [m for m in self.models if m not in MODELS]
        if unknown:
            raise ConfigError(
                f"unknown model(s) {unknown} in MODELS; valid models: {sorted(MODELS)}"
                f"{did_you_mean(unknown, MODELS)}"
            )
        _check_unique("MODELS", self.models)
        check_data_fields(self, str.upper)
        for name in ("ks", "seeds"):
            values = getattr(self, name)
            if not values:
                raise ConfigError(f"{name.upper()} is empty; give at least one value")
            _check_unique(name.upper(), values)
        if min(self.ks) < 1:
            raise ConfigError(f"KS must be >= 1, got {list(self.ks)}")
        if min(self.seeds) < 0:
            raise ConfigError(f"SEEDS must be >= 0, got {list(self.seeds)}")
        for name, low in (("epochs", 1), ("n_example_users", 0)):
            if getattr(self, name) < low:
                raise ConfigError(f"{name.upper()} must be >= {low}, got {getattr(self, name)}")
        if self.threshold is not None and not math.isfinite(self.threshold):
            raise ConfigError(f"THRESHOLD must be a finite number or None, got {self.threshold}")
        if self.user_col == self.item_col:
            raise ConfigError(f"USER_COL and ITEM_COL are both {self.user_col!r}; they must differ")
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
        hints = typing.get_type_hints(cls)
        changes = {}
        for name, value in values.items():
            key = name.lower()
            if key not in hints:
                raise ConfigError(
                    f"unknown report parameter {name!r}; valid: {', '.join(PARAMETER_NAMES)}"
                    f"{did_you_mean(name, PARAMETER_NAMES)}"
                )
            if isinstance(value, int | float) and not isinstance(value, bool):
                value = str(value)  # Papermill's -p gives SEEDS=2021 as an int: read it as the text "2021"
            changes[key] = _parse(value, hints[key], name.upper()) if isinstance(value, str) else value
        try:
            return cls.from_dict(changes)
        except ConfigError as err:  # field names as the notebook spells them
            upper = re.sub(
                r"^\w+", lambda m: m.group().upper() if m.group() in hints else m.group(), str(err)
            )
            raise ConfigError(upper) from None

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
        paths = ["data_dir", "runs_dir", "temp_dir"] + (["dataset"] if is_file_dataset(self.dataset) else [])
        return self.replace(
            **{k: str(expand_user(getattr(self, k)).resolve()) for k in paths if getattr(self, k) is not None}
        )


PARAMETER_NAMES = tuple(f.name.upper() for f in dataclasses.fields(ReportParams))


def _check_unique(name: str, values: Sequence[object]) -> None:
    repeated = sorted({str(v) for v in values if list(values).count(v) > 1})
    if repeated:
        raise ConfigError(f"{name} lists {repeated} more than once")


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
    value = parse_value(text)
    if isinstance(value, str):
        types = (hint, *typing.get_args(hint))
        kind = "true or false" if bool in types else "an integer" if int in types else "a number"
        raise ConfigError(f"{name} expects {kind}" + (" or None" if optional else "") + f", got {raw!r}")
    return value


# ---- checks before anything runs ---------------------------------------------------------------------------


def check_source(params: ReportParams) -> None:
    """Check that the data source exists and, for a file, that its header holds every column named.

    Raises:
        FileNotFoundError: neither a built-in data set nor a file.
        ValueError: a column missing from the file (listing the columns found).
    """
    if not is_file_dataset(params.dataset):
        return
    path = expand_user(params.dataset)
    if not path.is_file():
        raise FileNotFoundError(
            f"DATASET {params.dataset!r} is neither a data set ({', '.join(DATASETS)}, synthetic:UxIxN) "
            f"nor an existing file{near_file(params.dataset)}"
        )
    names = ("user_col", "item_col", "rating_col", "time_col")
    columns = read_header(path, params.sep, [c for n in names if (c := getattr(params, n)) is not None])
    for name in names:
        column = getattr(params, name)
        if column is not None and column not in columns:
            raise ValueError(
                f"column {column!r} ({name.upper()}) missing from {path.name}; found: {columns}"
                f"{did_you_mean(column, columns)}{sep_hint(columns)}"
            )
