"""Frozen dataclass configurations that reject unknown keys and parse ``key=value`` strings.

Every model config and the training config derive from `Config`; a checkpoint stores ``config.to_dict()`` and
``Config.from_dict`` rebuilds it, failing loudly on a misspelled key instead of silently using a default.
"""

from __future__ import annotations

import ast
import collections
import contextlib
import dataclasses
import difflib
import functools
import inspect
import io
import json
import math
import numbers
import os
import re
import textwrap
import tokenize
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Self


class ConfigError(ValueError):
    """A configuration key or value that cannot be used."""


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice most like `word` (case aside; `difflib`'s ratio of at least 0.6), or None."""
    by_lower = {str(c).lower(): str(c) for c in choices}
    match = difflib.get_close_matches(str(word).lower(), list(by_lower), n=1, cutoff=0.6)
    return by_lower[match[0]] if match else None


def did_you_mean(words: str | Iterable[str], choices: Iterable[str]) -> str:
    """The end of an error message naming the choices closest to a misspelt word or words.

    ``"; did you mean 'hidden_dim'?"`` for one word, ``"; did you mean 'lr' for 'lrr', 'ks' for 'k'?"`` for
    several, or ``""`` when nothing is close.
    """
    words, choices = ([words] if isinstance(words, str) else list(words)), list(choices)
    pairs = [(w, c) for w in words if (c := closest(w, choices)) is not None and c != w]
    if not pairs:
        return ""
    if len(words) == 1:
        return f"; did you mean {pairs[0][1]!r}?"
    return "; did you mean " + ", ".join(f"{c!r} for {w!r}" for w, c in pairs) + "?"


def check_rates(config: object, *names: str) -> None:
    """Raise a `ConfigError` unless each named field of `config` lies in [0, 1) (a dropout or drop rate)."""
    for name in names:
        if not 0 <= getattr(config, name) < 1:
            raise ConfigError(f"{name} must lie in [0, 1), got {getattr(config, name)}")


def check_seed_value(value: int, name: str = "seed") -> None:
    """Raise a `ConfigError` unless `value` is a seed that Python, NumPy and torch all take: in [0, 2**63)
    (NumPy takes no negative seed, torch none from 2**64)."""
    check_count(value, name, low=0)


def check_unique(name: str, values: Sequence[object]) -> None:
    """Raise a `ConfigError` naming the values that `values` (a setting `name`: cut-offs, seeds, models) lists
    more than once: a cut-off or a seed given twice would be computed, or trained, twice."""
    repeated = sorted(str(v) for v, n in collections.Counter(values).items() if n > 1)
    if repeated:
        raise ConfigError(f"{name} lists {repeated} more than once")


def check_count(value: int, name: str, low: int = 1) -> None:
    """Raise a `ConfigError` unless `value` lies in [low, 2**63): a count or seed that torch, NumPy and tqdm
    hold in 64-bit integers."""
    if value < low:
        raise ConfigError(f"{name} must be >= {low}, got {value}")
    if value >= 2**63:
        raise ConfigError(f"{name} must be < 2**63, got {value}")


class DataWarning(UserWarning):
    """A warning about what the data calls for with the settings it is read with (repeated rows merged, users too
    short to test, a max_len far beyond every history...): the same on every load of the same data, so loading
    a trained run, whose training said it, may leave it out."""


# below this, 1/temperature scales the similarities (cosines in [-1, 1], or CL4SRec's dot products) and the
# loss's gradients by more than 1000: training diverges (cl4srec at 1e-30 did) or overflows in float16
MIN_TEMPERATURE = 1e-3


def check_temperature(config: object, *names: str) -> None:
    """Raise a `ConfigError` unless each named field of `config` is a softmax temperature >= `MIN_TEMPERATURE`."""
    for name in names:
        value = getattr(config, name)
        if not value >= MIN_TEMPERATURE:
            raise ConfigError(
                f"{name} must be >= {MIN_TEMPERATURE}, got {value}: the similarities are divided by it, so a "
                "smaller one scales the loss and its gradients beyond what training can follow (the models' "
                "defaults lie between 0.1 and 1)"
            )


def check_nonnegative(config: object, *names: str) -> None:
    """Raise a `ConfigError` unless each named field of `config` is >= 0 (a penalty's weight, a count)."""
    for name in names:
        if not getattr(config, name) >= 0:
            raise ConfigError(f"{name} must be >= 0, got {getattr(config, name)}")


class _InitSignature:
    """A config class's ``__signature__``: its dataclass ``__init__``'s, less ``self``. `inspect.signature` and
    Sphinx (appendix B) would otherwise show ``Config.__new__``'s ``(*args, **kwargs)`` for every config."""

    def __get__(self, instance: object, owner: type) -> inspect.Signature:
        init = inspect.signature(owner.__init__)
        return init.replace(parameters=list(init.parameters.values())[1:], return_annotation=init.empty)


@dataclasses.dataclass(frozen=True)
class Config:
    """Base class: subclass with ``@dataclass(frozen=True)`` and typed fields with defaults."""

    __signature__ = _InitSignature()

    def __new__(cls, /, *args: Any, **kwargs: Any) -> Self:
        """Refuse an unknown keyword as `from_dict` refuses an unknown key (the dataclass's own ``__init__``
        would raise a bare TypeError, "unexpected keyword argument", naming neither the valid keys nor the
        closest).

        Raises:
            ConfigError: naming the unknown keywords and listing the valid ones.
        """
        cls._check_keys(kwargs)
        return super().__new__(cls)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Make each config check its fields' types however it is built: ``DataSpec(min_user="3")`` as
        ``from_dict`` does. A subclass's own ``__post_init__`` runs after the check, on coerced values."""
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("__post_init__")
        if own is None:  # the base class's, which checks
            return

        def post_init(self: Config) -> None:
            self._coerce_fields()
            own(self)

        cls.__post_init__ = post_init  # type: ignore[method-assign]

    def __post_init__(self) -> None:
        self._coerce_fields()

    def _coerce_fields(self) -> None:
        """Convert each field to its annotated type where that is unambiguous (``Path`` to ``str``, NumPy numbers
        to Python's, a list to a tuple), else raise a `ConfigError` naming it."""
        hints = _type_hints(type(self))
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            coerced = _coerce(value, hints[field.name], field.name)
            if coerced is not value:
                object.__setattr__(self, field.name, coerced)  # frozen: set once, while being built

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def field_docs(cls) -> dict[str, str]:
        """What each field means: the comment that ends its line where a class defines it (the style's "each
        field with a short comment"), so that the meaning is written once, beside the field.

        A subclass that sets a new default with a comment of its own (BERT4Rec's ``dropout``) replaces the base
        class's comment. ``sslrec models NAME`` prints these beside the defaults.

        Returns:
            field name -> meaning, in field order; ``""`` for a field without a comment (or without source code).
        """
        docs: dict[str, str] = {}
        for klass in reversed(cls.__mro__):  # the bases first: a subclass's comment replaces theirs
            if issubclass(klass, Config):
                docs |= _field_comments(klass)
        return {name: docs.get(name, "") for name in cls.field_names()}

    @classmethod
    def field_choices(cls) -> dict[str, tuple[Any, ...]]:
        """The values a field annotated with ``Literal[...]`` (or ``Literal[...] | None``) takes, for the fields
        that have one: ``{"loss": ("ce", "bce")}``. ``sslrec models NAME`` lists them beside the meanings."""
        choices = {}
        for name, hint in _type_hints(cls).items():
            literal = [a for a in (hint, *typing.get_args(hint)) if typing.get_origin(a) is typing.Literal]
            if name in cls.field_names() and literal:
                choices[name] = typing.get_args(literal[0])
        return choices

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> Self:
        """Build a config from a mapping, rejecting unknown keys.

        Raises:
            ConfigError: naming the unknown keys and listing the valid ones; a number that is not finite
                (NaN or infinite: no setting means anything there); or a size (a field named ``dim`` or ending
                in ``_dim`` or ``_dims``) that is not a positive integer.
        """
        cls._check_keys(values)
        hints = typing.get_type_hints(cls)
        coerced = {k: _coerce(v, hints[k], k) for k, v in values.items()}
        for key, value in coerced.items():
            check_finite_and_sized(key, value)
        return cls(**coerced)

    @classmethod
    def _check_keys(cls, values: Iterable[str]) -> None:
        """Raise a `ConfigError` naming the keys of `values` that are no field, the valid keys and the closest."""
        unknown = sorted(set(values) - set(cls.field_names()))
        if unknown:
            raise ConfigError(
                f"unknown key(s) {unknown} for {cls.__name__}; valid keys: {cls.field_names()}"
                f"{did_you_mean(unknown, cls.field_names())}"
            )

    def to_dict(self) -> dict[str, Any]:
        """A plain dict of the fields (tuples kept), safe for JSON and ``torch.save``."""
        return dataclasses.asdict(self)

    def replace(self, **changes: Any) -> Self:
        """A copy with some fields changed (unknown keys rejected, values coerced)."""
        return type(self).from_dict({**self.to_dict(), **changes})

    def with_overrides(self, assignments: Iterable[str]) -> Self:
        """A copy with ``key=value`` strings applied; values are parsed as JSON when possible.

        Example: ``MultVAEConfig().with_overrides(["dropout=0.3", "hidden_dims=[600,200]"])``.

        Raises:
            ConfigError: a single string (it would be read a character at a time), an item that is not
                ``key=value``, or an unknown key.
        """
        if isinstance(assignments, str):
            raise ConfigError(
                f"assignments are a list of 'key=value' strings, got the string {assignments!r}"
            )
        changes: dict[str, Any] = {}
        for item in assignments:
            key, sep, raw = item.partition("=")
            if not sep or not key.strip():
                raise ConfigError(f"expected key=value, got {item!r}")
            changes[key.strip()] = parse_value(raw.strip())
        return self.replace(**changes)


def check_finite_and_sized(key: str, value: Any) -> None:
    """Raise a `ConfigError` for a setting that is a number, or a tuple of them, that is not finite (no setting
    means anything at NaN or infinity), or for a size (a key ``dim`` or ending in ``_dim`` or ``_dims``) that is
    not a positive integer."""
    values = value if isinstance(value, tuple) else (value,)
    if any(isinstance(v, float) and not math.isfinite(v) for v in values):
        raise ConfigError(f"{key} must be a finite number, got {value!r}")
    is_size = key == "dim" or key.endswith(("_dim", "_dims"))
    if is_size and (
        not values or any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in values)
    ):
        what = (
            "positive integers (sizes of layers)" if key.endswith("_dims") else "a positive integer (a size)"
        )
        raise ConfigError(f"{key} must be {what}, got {value!r}")


@functools.cache
def _type_hints(cls: type) -> dict[str, Any]:
    """`typing.get_type_hints` of a config class, read once per class (the annotations are text until then)."""
    return typing.get_type_hints(cls)


# numbers Python reads but JSON refuses: .5, 5., -.5, +2, +1e-3 (a leading zero, as in 007, stays text)
PYTHON_NUMBER = re.compile(r"[+-]?(\d+\.\d*|\.\d+)([eE][+-]?\d+)?|\+(0|[1-9]\d*)([eE][+-]?\d+)?")


def _field_comments(klass: type) -> dict[str, str]:
    """The comment at the end of each annotated line of `klass`'s own body (``name: T = v  # meaning``)."""
    try:
        source = textwrap.dedent(inspect.getsource(klass))
    except (OSError, TypeError):  # no source file (a class defined in a REPL)
        return {}
    comments = {
        token.start[0]: token.string.lstrip("#").strip()
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.COMMENT
    }
    body = next(node for node in ast.parse(source).body if isinstance(node, ast.ClassDef)).body
    docs = {}
    for node in body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            on_its_lines = [
                comments.get(n, "") for n in range(node.lineno, (node.end_lineno or node.lineno) + 1)
            ]
            if any(on_its_lines):  # a long default wraps, and its comment with it
                docs[node.target.id] = " ".join(c for c in on_its_lines if c)
    return docs


def parse_value(raw: str) -> Any:
    """Parse a command-line value: JSON if it parses (numbers, lists, true/false/null), a number as Python
    writes it (``.001``, ``5.``, ``+2``), else the string (``007`` stays text)."""
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        if PYTHON_NUMBER.fullmatch(raw):
            return float(raw) if any(c in raw for c in ".eE") else int(raw)
        return {"True": True, "False": False, "None": None}.get(raw, raw)


def _expected(hint: Any) -> str:
    """What a value of type `hint` is, as `_coerce`'s messages say it: ``"a number or null"``."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_expected(arg) for arg in args)
    if origin is typing.Literal:
        return f"one of {list(args)}"
    if origin is tuple:
        return "a list in JSON, e.g. [10, 20]"
    words = {bool: "true/false", int: "an integer", float: "a number", str: "a string", type(None): "null"}
    return words.get(hint, getattr(hint, "__name__", str(hint)))


def _coerce(value: Any, hint: Any, key: str) -> Any:
    """Convert `value` to the annotated type where that is unambiguous, else raise ConfigError."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        for arg in (a for a in args if a is not type(None)):
            with contextlib.suppress(ConfigError):
                return _coerce(value, arg, key)
        raise ConfigError(f"{key} expects {_expected(hint)}, got {value!r}")
    if origin is typing.Literal:
        if value not in args:
            raise ConfigError(f"{key}={value!r} is not one of {list(args)}")
        return value
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{key} expects {_expected(hint)}, got {value!r}")
        item_type = args[0] if args else Any
        return tuple(_coerce(v, item_type, key) for v in value)
    boolean = isinstance(value, bool) or (
        type(value).__module__ == "numpy" and "bool" in type(value).__name__
    )
    if hint is bool:
        if boolean:
            return bool(value)
        raise ConfigError(f"{key} expects true/false, got {value!r}")
    if hint is int:
        if isinstance(value, numbers.Integral) and not boolean:
            return value if type(value) is int else int(value)
        if isinstance(value, numbers.Real) and not boolean and float(value).is_integer():
            return int(value)
        raise ConfigError(f"{key} expects an integer, got {value!r}")
    if hint is float:
        if isinstance(value, numbers.Real) and not boolean:
            return value if type(value) is float else float(value)
        raise ConfigError(f"{key} expects a number, got {value!r}")
    if hint is str:
        if isinstance(value, str):
            return value
        if isinstance(value, os.PathLike):  # a path given as a Path object
            return os.fspath(value)
        raise ConfigError(f"{key} expects a string, got {value!r}")
    return value
