"""Read a run directory that `run_experiment` wrote back, checked: its ``config.json`` (`read_run_config`) and
its checkpoint's weights (`read_weights`), each refused with what is wrong and what to do (a file edited by hand,
cut short, copied from another run, or from a training that diverged).
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

from torch import Tensor

from sslrec_utils.train import load_checkpoint

# the keys of a run's config.json that loading reads, and their JSON types
RUN_CONFIG_KEYS: dict[str, type] = {"data": dict, "model": str, "model_config": dict, "train_config": dict}


def read_run_config(run_dir: Path) -> dict[str, Any]:
    """The ``config.json`` of a run directory written by ``sslrec train``, its shape checked.

    Raises:
        FileNotFoundError: no such file.
        ValueError: a folder in its place, text that is not JSON, or keys missing or of the wrong type (a file
            edited by hand), named with what they should be.
    """
    path = run_dir / "config.json"
    check_run_file(path, run_dir)
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"{path} is not valid JSON ({err}); was it edited by hand?") from None
    if not isinstance(config, dict):
        raise ValueError(
            f"{path} holds a JSON {type(config).__name__}, not the object sslrec train writes; was it edited by "
            "hand?"
        )
    missing = [key for key in RUN_CONFIG_KEYS if key not in config]
    wrong = [
        f"{key!r} should be a {_JSON_NAMES[kind]}, got {config[key]!r}"
        for key, kind in RUN_CONFIG_KEYS.items()
        if key in config and not isinstance(config[key], kind)
    ]
    wrong += [
        f"{key!r} should be a string, got {config[key]!r}"
        for key in ("split_fingerprint", "run_id")
        if config.get(key) is not None and not isinstance(config[key], str)
    ]
    if missing or wrong:
        problems = ([f"it lacks {missing}"] if missing else []) + wrong
        raise ValueError(f"{path} is not a run's config: {'; '.join(problems)}; was it edited by hand?")
    ks = config["train_config"].get("ks", (10, 20))
    if not isinstance(ks, list | tuple) or not ks or not all(_positive_int(k) for k in ks):
        raise ValueError(
            f"{path}: train_config's 'ks' should be a list of positive integers, got {ks!r}; was it edited by "
            "hand?"
        )
    return config


_JSON_NAMES = {dict: "JSON object", str: "string"}


def _positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def check_run_file(path: Path, run_dir: Path) -> None:
    """Check that `path`, a file of the run directory `run_dir`, is there and is a file.

    Raises:
        FileNotFoundError: no such file.
        ValueError: `run_dir` is a file (the folder holding it is suggested when it holds a run's config.json),
            or `path` is a folder.
    """
    if run_dir.is_file():
        if (run_dir.parent / "config.json").is_file():  # a file of the run named instead of its folder
            raise ValueError(f"{run_dir} is a file: give the run's folder, {run_dir.parent}")
        raise ValueError(f"{run_dir} is a file: give a run's folder, one that sslrec train --out wrote")
    if not run_dir.exists():  # a mistyped --run: the folder, not a file in it, is what is missing
        raise FileNotFoundError(f"no run folder {run_dir}: give a folder that sslrec train --out wrote")
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: is {run_dir} a directory written by sslrec train?")
    if not path.is_file():
        raise ValueError(f"{path} is not a file: is {run_dir} a directory written by sslrec train?")


def read_weights(checkpoint: Path, run_id: str | None) -> dict[str, Tensor]:
    """The weights in `checkpoint`, checked to be this run's (`run_id`, that of its config.json) and finite.

    Raises:
        PermissionError: a file this user may not read.
        ValueError: a file torch cannot read (cut short, or not a checkpoint), another run's checkpoint, or
            weights that are not all finite (training diverged).
    """
    try:
        saved = load_checkpoint(checkpoint)
    except PermissionError:  # not the file's fault: said as such (the command line's one line)
        raise
    except (RuntimeError, EOFError, OSError, pickle.UnpicklingError) as err:
        raise ValueError(
            f"{checkpoint} cannot be read ({_first_sentence(err)}): it was cut short, or is not a checkpoint "
            "sslrec train wrote; copy it again or train again"
        ) from None
    state = saved.get("state_dict") if isinstance(saved, dict) else None
    if not isinstance(state, dict):
        raise ValueError(f"{checkpoint} holds no weights: it is not a checkpoint sslrec train wrote")
    # runs written before the ID was recorded have it in neither file
    if saved.get("run_id") != run_id:
        raise ValueError(
            f"{checkpoint} belongs to another run than its config.json (their run IDs differ): copy the whole "
            "run directory, or train again"
        )
    diverged = [
        name for name, value in state.items() if value.is_floating_point() and not value.isfinite().all()
    ]
    if diverged:
        raise ValueError(
            f"{checkpoint} holds weights that are NaN or infinite ({', '.join(diverged[:3])}): its training "
            "diverged; train again with a lower lr"
        )
    return state


def _first_sentence(err: BaseException) -> str:
    """The first sentence of `err`'s message (torch's go on with advice that does not apply here)."""
    text = str(err).strip()
    return text.splitlines()[0].split(". ")[0].rstrip(".") if text else type(err).__name__
