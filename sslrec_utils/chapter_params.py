"""Checks of a chapter's parameters before anything runs, in the same words in every chapter.

Papermill's ``-p NAME VALUE`` passes a value as text: ``-p NOISE_RATES "[0.0, 0.5]"`` gives the string
``"[0.0, 0.5]"``, which a chapter would read character by character. A list must come as YAML,
``-y 'NOISE_RATES: [0.0, 0.5]'``. And a chapter's text quotes some models by name, so a list of models may grow
but must keep those.

    sgd_lrs = as_list("SGD_LRS", SGD_LRS, of="numbers")
    keeps("MODELS", MODELS, ["pop", "ae", "multvae", "ease"])
    needs_titles("DATASET", DATASET, items)  # after load_split(DataSpec(dataset=DATASET))
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# what each kind of item must be, by the word a message uses for it
KINDS: dict[str, tuple[type, ...]] = {"numbers": (int, float), "names": (str,)}


def _yaml_example(name: str, value: object) -> str:
    """``-y 'NAME: [...]'`` with the items of `value`, a list written as text by ``-p`` or one value (quotes
    dropped; Python's None, True and False written as YAML writes them)."""
    items = str(value).strip().strip("[]()").strip().replace("'", "")
    for python, yaml in (("None", "null"), ("True", "true"), ("False", "false")):
        items = re.sub(rf"\b{python}\b", yaml, items)
    return f"-y '{name}: [{items}]'"


def _reads_as_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def as_list(name: str, value: object, of: str = "values") -> list:
    """`value` as a list, or a `ValueError` that says how to pass one.

    Args:
        name: the parameter, for the message (``"SGD_LRS"``).
        value: its value as the chapter received it.
        of: what the items are: ``"numbers"`` (int or float, not bool) and ``"names"`` (str) are checked, any
            other word (``"item IDs"``) only names them in the message.

    Returns:
        A new list of the items of `value` (a list or a tuple).

    Raises:
        ValueError: `value` is not a list or tuple (most often a list passed with ``-p``, which gives text; the
            message shows the ``-y`` form to use), is empty, or holds an item that is not of the kind `of`
            names (saying so where YAML read a number such as ``1e-3`` as text).
    """
    if not isinstance(value, list | tuple):
        raise ValueError(
            f"{name} = {value!r} is not a list of {of}: pass lists to Papermill as YAML, "
            f"{_yaml_example(name, value)}, not with -p"
        )
    if not value:
        raise ValueError(f"{name} is empty: it needs at least one of its {of}")
    kinds = KINDS.get(of)
    if kinds is not None:
        wrong = [item for item in value if isinstance(item, bool) or not isinstance(item, kinds)]
        if wrong:
            hint = ""
            if of == "numbers" and any(isinstance(item, str) and _reads_as_number(item) for item in wrong):
                hint = "; YAML reads a number such as 1e-3 as text: write 0.001"
            raise ValueError(
                f"{name} = {value!r} is not a list of {of}: it holds {wrong[0]!r} ({type(wrong[0]).__name__}){hint}"
            )
    return list(value)


def keeps(name: str, value: Sequence[object], quoted: Sequence[object]) -> None:
    """Raise a `ValueError` unless `value` holds every item of `quoted`, which the chapter's text quotes.

    Args:
        name: the parameter, for the message (``"MODELS"``).
        value: its value, a list (check it with `as_list` first).
        quoted: the items the text needs, in the order the message lists the missing ones.

    Raises:
        ValueError: naming the missing items: items may be added, not removed.
    """
    missing = [item for item in quoted if item not in value]
    if missing:
        raise ValueError(
            f"{name} = {list(value)!r} lacks {missing}, which the text quotes: add items, do not remove these"
        )


def needs_titles(name: str, dataset: str, items: object) -> None:
    """Raise a `ValueError` when `dataset` came without an item table (`items` None: a synthetic log or a
    file), for a chapter whose text shows films by title.

    Args:
        name: the parameter, for the message (``"DATASET"``).
        dataset: its value.
        items: the item table that loading it gave (`load_split`'s second value).
    """
    if items is None:
        raise ValueError(
            f"{name} = {dataset!r} has no item titles, which this chapter shows: choose a MovieLens data set "
            "(ml-100k, ml-1m, ml-20m)"
        )
