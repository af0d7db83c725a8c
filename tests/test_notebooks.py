"""The chapter notebooks: their committed form, and each one executed by Papermill with its glued figures checked.

`CHAPTERS` lists every notebook under ``notebooks/`` with the small parameters CI runs it with and the range each
glued value must fall in. The executed copies land in ``_build/executed/`` (``$SSLREC_EXECUTED_DIR``), where
``scripts/build_book.py --from-executed`` renders them into the CI build of the book.

    pytest tests/test_notebooks.py -m notebooks -n 2 --dist load   # execute the chapters (CI: `make test`)
    pytest tests/ -m "not notebooks"                                # only the fast checks of the sources
"""

from __future__ import annotations

import ast
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
EXECUTED = Path(os.environ.get("SSLREC_EXECUTED_DIR", ROOT / "_build" / "executed"))
GLUE_ROLE = re.compile(r"\{glue(?::(?:text|any|md|figure|math))?\}`([^`]+)`|```\{glue(?::\w+)?\}\s+(\S+)")
CHECKED_OUTPUT_TAG = "nbval-check-output"  # the only cells committed with their outputs


@dataclass(frozen=True)
class Chapter:
    """How CI runs one chapter.

    Attributes:
        parameters: values injected by Papermill (names from the chapter's ``parameters`` cell).
        expected: glue key -> ``(low, high)`` inclusive range for numbers, or the exact value for anything else.
        timeout_s: seconds one cell may run.
        env: environment variables for the kernel (e.g. ``OMP_NUM_THREADS``).
    """

    parameters: dict[str, object]
    expected: dict[str, object]
    timeout_s: int = 900
    env: dict[str, str] = field(default_factory=dict)


CHAPTERS: dict[str, Chapter] = {
    "ch02_core_concepts": Chapter(
        parameters={"DATASET": "ml-100k", "HEAD_FRACTION": 0.2, "POSITIVE_THRESHOLD": 4.0, "N_TOP_ITEMS": 5},
        expected={
            "n_users": (943, 943),
            "n_items": (1682, 1682),
            "n_interactions": (100_000, 100_000),
            "density": (0.0630, 0.0631),
            "sparsity": (0.9369, 0.9370),
            "dense_mb": (6.0, 6.1),  # 943 x 1682 float32
            "csr_mb": (0.5, 1.0),
            "mean_rating": (3.52, 3.54),
            "positive_threshold": (4.0, 4.0),
            "positive_share": (0.55, 0.56),
            "liked_interactions": (55_000, 56_000),
            "liked_users": (900, 943),
            "liked_items": (1_300, 1_682),
            "head_fraction": (0.2, 0.2),
            "n_head_items": (337, 337),
            "head_share": (0.60, 0.70),  # the long tail: a fifth of the films hold about two thirds
            "rare_below": (10, 10),
            "rare_item_share": (0.25, 0.40),
            "item_median": (20, 35),
            "top_title": "Star Wars",
            "top_count": (583, 583),
            "user_min": (20, 20),  # GroupLens kept users with at least 20 ratings
            "user_median": (60, 70),
            "user_max": (737, 737),
            "user_mean": (106.0, 106.1),
        },
    ),
    "report": Chapter(
        # appendix A's report, tiny: EASE at its default regularisation, Mult-VAE for two epochs
        parameters={
            "MODELS": ["pop", "ease", "multvae"],
            "EPOCHS": 2,
            "SEARCH": False,
            "SEEDS": [2020],
            "N_EXAMPLE_USERS": 1,
        },
        expected={
            "n_users": (943, 943),
            "n_items": (1682, 1682),
            "n_interactions": (100_000, 100_000),
            "density": (0.0630, 0.0631),
            "head_share": (0.60, 0.70),
            "best_model": "ease",  # EASE beats popularity and an under-trained Mult-VAE on NDCG@10
            "best_score": (0.30, 0.37),
            "best_lift_over_pop": (1.0, 1.8),
        },
    ),
}


def _read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _tags(cell: dict) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def glued_values(nb: dict) -> dict[str, object]:
    """The values a notebook recorded with ``myst_nb.glue``, parsed from their ``text/plain`` form.

    myst-nb writes each glue as a display_data output whose metadata ``scrapbook`` names the key; with
    ``display=False`` the MIME types carry the prefix ``application/papermill.record/``.
    """
    values: dict[str, object] = {}
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            meta = output.get("metadata", {}).get("scrapbook")
            if not meta:
                continue
            prefix = meta.get("mime_prefix", "")
            data = {k[len(prefix) :]: v for k, v in output.get("data", {}).items()}
            text = data.get("text/plain")
            if text is None:  # a figure or other rich output: record that it exists
                values[meta["name"]] = data
                continue
            text = "".join(text) if isinstance(text, list) else text
            try:
                values[meta["name"]] = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                values[meta["name"]] = text
    return values


def glue_references(nb: dict) -> set[str]:
    """The glue keys a notebook's Markdown cells quote (without format specs or ``doc::`` prefixes)."""
    keys = set()
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            for role, directive in GLUE_ROLE.findall("".join(cell["source"])):
                key = (role or directive).split("::")[-1]
                keys.add(key.split(":")[0])
    return keys


def parameter_names(nb: dict) -> list[str]:
    cells = [c for c in nb["cells"] if "parameters" in _tags(c)]
    assert len(cells) == 1, f"expected one cell tagged 'parameters', found {len(cells)}"
    tree = ast.parse("".join(cells[0]["source"]))
    return [t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets]


def notebook_paths() -> list[Path]:
    return sorted(NOTEBOOKS.glob("*.ipynb"))


# ---- the committed sources (fast) ----------------------------------------------------------------------------


def test_every_notebook_has_an_entry_in_chapters() -> None:
    found = {p.stem for p in notebook_paths()}
    assert found, "no notebooks found"
    assert found - CHAPTERS.keys() == set(), (
        "add these notebooks to CHAPTERS with parameters and expected values"
    )
    assert CHAPTERS.keys() - found == set(), "CHAPTERS names notebooks that do not exist"


@pytest.mark.parametrize("path", notebook_paths(), ids=lambda p: p.stem)
def test_notebook_is_committed_clean(path: Path) -> None:
    nb = _read(path)
    assert nb["metadata"]["kernelspec"]["name"] == "python3", "kernelspec must be python3 (Papermill, nbval)"
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        if CHECKED_OUTPUT_TAG in _tags(cell):
            assert cell["outputs"] and cell["execution_count"], (
                f"cell {i} is tagged {CHECKED_OUTPUT_TAG}: commit its expected output (nbval compares it)"
            )
        else:
            assert not cell["outputs"] and cell["execution_count"] is None, (
                f"cell {i} has outputs: run `python scripts/strip_notebooks.py {path.relative_to(ROOT)}`"
            )


@pytest.mark.parametrize("path", notebook_paths(), ids=lambda p: p.stem)
def test_parameters_cell(path: Path) -> None:
    names = parameter_names(_read(path))
    assert names, "the parameters cell assigns nothing"
    assert all(n.isupper() for n in names), f"parameter names must be UPPER_CASE: {names}"
    unknown = CHAPTERS[path.stem].parameters.keys() - set(names)
    assert not unknown, f"CHAPTERS passes {sorted(unknown)}, which the parameters cell does not define"


# ---- executed by Papermill (minutes) ---------------------------------------------------------------------------


@pytest.mark.notebooks
@pytest.mark.parametrize("name", sorted(CHAPTERS))
def test_chapter_executes_and_records_expected_values(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import papermill

    chapter = CHAPTERS[name]
    for key, value in chapter.env.items():
        monkeypatch.setenv(key, value)
    EXECUTED.mkdir(parents=True, exist_ok=True)
    output = EXECUTED / f"{name}.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOKS / f"{name}.ipynb"),
        str(output),
        parameters=chapter.parameters,
        kernel_name="python3",
        cwd=str(NOTEBOOKS),
        progress_bar=False,
        execution_timeout=chapter.timeout_s,
    )
    nb = _read(output)
    values = glued_values(nb)

    unquoted = glue_references(nb) - values.keys()
    assert not unquoted, f"the text quotes glue keys that no cell recorded: {sorted(unquoted)}"
    missing = chapter.expected.keys() - values.keys()
    assert not missing, f"expected glue keys not recorded: {sorted(missing)}"
    wrong = {}
    for key, want in chapter.expected.items():
        got = values[key]
        if isinstance(want, tuple):
            ok = isinstance(got, int | float) and want[0] <= got <= want[1]
        else:
            ok = got == want
        if not ok:
            wrong[key] = (got, want)
    assert not wrong, f"glued values outside their expected ranges (got, expected): {wrong}"
