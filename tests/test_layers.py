"""The package's layers: the order its docstring states is the order its imports keep, and the docs agree."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import sslrec_utils

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "sslrec_utils"


def chain(text: str) -> list[list[str]]:
    """The layers of the first ``a -> b, c -> d`` chain in `text` (it may wrap), lowest first."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("config ->"))
    block = [lines[start]]
    for line in lines[start + 1 :]:
        if not line.strip().startswith("->"):
            break
        block.append(line)
    return [re.findall(r"[a-z_]+", layer) for layer in " ".join(block).split("->")]


def apart(text: str) -> set[str]:
    """The modules the sentence "... stand apart" names."""
    sentence = next(line for line in text.splitlines() if "stand apart" in line)
    return set(re.findall(r"`([a-z_]+)`", sentence.split("stand apart")[0]))


LAYERS = chain(sslrec_utils.__doc__ or "")
APART = apart(sslrec_utils.__doc__ or "")
LEVEL = {name: i for i, layer in enumerate(LAYERS) for name in layer}


def imported_modules(path: Path) -> set[str]:
    """The top-level `sslrec_utils` modules that `path` imports anywhere (functions included)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0, (
                f"{path.name}:{node.lineno}: a relative import, which this check cannot place"
            )
            parts = (node.module or "").split(".")
            if parts[0] != "sslrec_utils":
                continue
            names |= {parts[1]} if len(parts) > 1 else {alias.name for alias in node.names}
        elif isinstance(node, ast.Import):
            names |= {a.name.split(".")[1] for a in node.names if a.name.startswith("sslrec_utils.")}
    return names


def own_module(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def test_the_docstring_places_every_module_once():
    modules = {own_module(p) for p in PACKAGE.rglob("*.py")} - {"__init__"}
    listed = [name for layer in LAYERS for name in layer]
    assert len(listed) == len(set(listed)) and not set(listed) & APART
    assert modules == set(listed) | APART


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_a_higher_layer(path: Path):
    me = own_module(path)
    if me == "__init__":
        return
    for other in imported_modules(path) - {me}:
        if me in APART:
            assert other in APART, f"{me} stands apart but imports {other}"
        else:
            assert other in APART or LEVEL[other] <= LEVEL[me], f"{me} (layer {LEVEL[me]}) imports {other}"


def test_the_checker_sees_imports_in_functions(tmp_path: Path):
    module = tmp_path / "m.py"
    module.write_text(
        "import os\nfrom sslrec_utils import data\n\ndef f():\n    from sslrec_utils.train import fit\n"
    )
    assert imported_modules(module) == {"data", "train"}


@pytest.mark.parametrize("doc", ["CONTRIBUTING.md", "book/appendix_b_api.md"])
def test_the_docs_show_the_same_layers(doc: str):
    text = (ROOT / doc).read_text()
    assert chain(text) == LAYERS and apart(text) == APART
