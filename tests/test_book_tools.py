"""The book's build helpers: the offline check of the HTML and the notebook stripper."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import build_book  # noqa: E402
import check_offline  # noqa: E402
import strip_notebooks  # noqa: E402

GOOD_HEAD = (
    '<script src="../_static/mathjax/tex-chtml.js"></script><link rel="stylesheet" href="../_static/a.css">'
)


def _site(tmp_path: Path, body: str, head: str = GOOD_HEAD) -> Path:
    (tmp_path / "_static" / "mathjax").mkdir(parents=True)
    (tmp_path / "_static" / "mathjax" / "tex-chtml.js").write_text("")
    (tmp_path / "_static" / "a.css").write_text("body { color: black }")
    (tmp_path / "_images").mkdir()
    (tmp_path / "_images" / "mermaid-1.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (tmp_path / "ch").mkdir()
    (tmp_path / "ch" / "page.html").write_text(f"<html><head>{head}</head><body>{body}</body></html>")
    return tmp_path


def _problems(site: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    rc = check_offline.main(["check_offline", str(site)])
    return rc, capsys.readouterr().err


def test_offline_site_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = (
        '<span class="math">\\(x\\)</span><object data="../_images/mermaid-1.svg" type="image/svg+xml"></object>'
        '<a href="https://doi.org/10.1145/2827872">a link is fine</a>'
    )
    assert _problems(_site(tmp_path, body), capsys) == (0, "")


@pytest.mark.parametrize(
    ("head", "body", "message"),
    [
        (
            GOOD_HEAD + '<script src="https://cdn.jsdelivr.net/npm/mermaid.js"></script>',
            "",
            "from the internet",
        ),
        (GOOD_HEAD + '<link rel="stylesheet" href="//fonts.googleapis.com/css">', "", "from the internet"),
        (
            '<script src="https://cdn.example.org/tex-chtml.js"></script>',
            '<div class="math">x</div>',
            "local",
        ),
        (GOOD_HEAD, '<pre class="mermaid">flowchart LR</pre>', "not rendered"),
        (GOOD_HEAD, '<img src="../_images/missing.png">', "missing"),
        (
            GOOD_HEAD,
            '<div class="cell_output docutils container"><div class="output error">x</div></div>',
            "error",
        ),
        (GOOD_HEAD, "<style>@import url('https://fonts.example.org/a.css');</style>", "inline CSS"),
        (GOOD_HEAD, '<svg><image href="https://cdn.example.org/a.png"/></svg>', "from the internet"),
        (GOOD_HEAD, '<svg><use xlink:href="//cdn.example.org/s.svg#i"/></svg>', "from the internet"),
        (GOOD_HEAD + '<base href="https://mirror.example.org/book/">', "", "from the internet"),
        (GOOD_HEAD + '<link rel="manifest" href="https://example.org/m.json">', "", "from the internet"),
    ],
)
def test_offline_check_finds_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], head: str, body: str, message: str
) -> None:
    rc, err = _problems(_site(tmp_path, body, head), capsys)
    assert rc == 1
    assert message in err


# a 1x1 PNG; its base64 text holds no comma, but the data: URI does (after "base64")
PNG_DATA_URI = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg=="


def test_local_svg_references_and_base_pass(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = '<svg><use href="#dot"/><image href="../_images/mermaid-1.svg"/></svg>'
    assert _problems(_site(tmp_path, body, GOOD_HEAD + '<base href="./">'), capsys) == (0, "")


def test_data_uris_with_commas_pass(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # only srcset is a comma-separated list; a data: URI in src/data is one URL (it used to be split at its
    # commas, and the piece after the comma reported as a missing file)
    body = (
        f'<img src="{PNG_DATA_URI}" alt="dot">'
        '<object data="data:image/svg+xml,%3Csvg xmlns=%22http://www.w3.org/2000/svg%22 width=%221,5%22/%3E" '
        'type="image/svg+xml"></object>'
        f'<img src="../_images/mermaid-1.svg" srcset="{PNG_DATA_URI} 1x, ../_images/mermaid-1.svg 2x">'
    )
    assert _problems(_site(tmp_path, body), capsys) == (0, "")


def test_remote_srcset_entry_is_flagged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = (
        '<picture><source srcset="../_images/mermaid-1.svg"><img src="../_images/mermaid-1.svg" '
        'srcset="../_images/mermaid-1.svg 1x,https://cdn.example.org/fig@2x.png 2x, ../_images/gone.png 3x">'
        "</picture>"
    )
    rc, err = _problems(_site(tmp_path, body), capsys)
    assert rc == 1
    assert "loads https://cdn.example.org/fig@2x.png from the internet" in err
    assert "references ../_images/gone.png, which is missing" in err
    assert "mermaid-1.svg" not in err


@pytest.mark.parametrize(
    ("srcset", "urls"),
    [
        ("a.png", ["a.png"]),
        ("a.png 1x, b.png 2x", ["a.png", "b.png"]),
        ("a.png 480w,b.png 800w", ["a.png", "b.png"]),
        (f"{PNG_DATA_URI} 1x, //cdn.example.org/b.png 2x", [PNG_DATA_URI, "//cdn.example.org/b.png"]),
        (" a.png, b.png,", ["a.png", "b.png"]),
    ],
)
def test_srcset_urls(srcset: str, urls: list[str]) -> None:
    assert check_offline.srcset_urls(srcset) == urls


def test_strip_keeps_only_checked_outputs(tmp_path: Path) -> None:
    out = {"output_type": "stream", "name": "stdout", "text": "x\n"}
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "metadata": {"execution": {}},
                "outputs": [out],
                "execution_count": 3,
                "source": "",
            },
            {
                "cell_type": "code",
                "metadata": {"tags": ["nbval-check-output"]},
                "outputs": [out],
                "execution_count": 4,
                "source": "",
            },
            {"cell_type": "markdown", "metadata": {}, "source": "text"},
        ],
        "metadata": {"widgets": {}, "kernelspec": {"name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path = tmp_path / "n.ipynb"
    path.write_text(json.dumps(nb))
    strip_notebooks.main([str(path)])
    clean = json.loads(path.read_text())
    assert clean["cells"][0]["outputs"] == [] and clean["cells"][0]["execution_count"] is None
    assert clean["cells"][0]["metadata"] == {}
    assert clean["cells"][1]["outputs"] == [out] and clean["cells"][1]["execution_count"] == 4
    assert "widgets" not in clean["metadata"]


def test_the_execution_cache_is_emptied_when_the_package_or_the_pins_change(tmp_path: Path) -> None:
    # jupyter-cache keys a notebook by its code cells only: a package change must not serve old outputs
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "lock.txt").write_text("torch==2.13.0\n")
    (tmp_path / "pyproject.toml").write_text("[project]\n")
    (tmp_path / "sslrec_utils").mkdir()
    (tmp_path / "sslrec_utils" / "metrics.py").write_text("K = 10\n")
    cache = tmp_path / "_build" / ".jupyter_cache"
    cache.mkdir(parents=True)
    build_book.clear_stale_cache(tmp_path)  # a cache of unknown inputs: emptied
    assert not cache.exists()
    cache.mkdir()
    build_book.clear_stale_cache(tmp_path)  # nothing changed: kept
    assert cache.exists()
    (tmp_path / "sslrec_utils" / "metrics.py").write_text("K = 20\n")
    build_book.clear_stale_cache(tmp_path)
    assert not cache.exists()
    cache.mkdir()
    (tmp_path / "requirements" / "lock.txt").write_text("torch==2.13.1\n")
    build_book.clear_stale_cache(tmp_path)
    assert not cache.exists()


def test_a_refused_staging_leaves_no_earlier_book_behind(tmp_path: Path) -> None:
    # the browser check must not pass on the HTML of an earlier build when this one could not be staged
    dest = tmp_path / "ci-src"
    (dest / "_build" / "html").mkdir(parents=True)
    (dest / "_build" / "html" / "index.html").write_text("<html></html>")
    with pytest.raises(SystemExit, match="cannot stage the executed book"):
        build_book.stage(tmp_path / "no-executed-copies", dest)
    assert not dest.exists()


def test_math_delimiters_in_code_are_not_math(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # a page with no MathJax: `\(` in a code sample (a regex, a LaTeX how-to) is not typeset by MathJax
    code = (
        "<pre><code>re.compile(r'\\(\\d+\\)')</code></pre><p>Write <code>$$x$$</code> for display math.</p>"
    )
    assert _problems(_site(tmp_path, code, head=""), capsys) == (0, "")
    rc, err = _problems(_site(tmp_path / "b", "<p>so \\(x\\) is math</p>", head=""), capsys)
    assert rc == 1 and "has math but does not load the local" in err


def test_an_executed_chapter_is_staged_where_the_toc_lists_it(tmp_path: Path, monkeypatch) -> None:
    # a chapter outside notebooks/ (book/extra.ipynb) must be rendered from its executed copy, not its source
    root, executed = tmp_path / "root", tmp_path / "executed"
    (root / "book").mkdir(parents=True)
    (root / "notebooks").mkdir()
    executed.mkdir()
    (root / "_config.yml").write_text("title: t\n")
    (root / "_toc.yml").write_text("format: jb-book\nroot: book/intro\nchapters:\n- file: book/extra\n")
    (root / "book" / "intro.md").write_text("# Intro\n")
    source = {"cells": [{"cell_type": "code", "source": "1", "metadata": {}, "outputs": []}], "metadata": {}}
    (root / "book" / "extra.ipynb").write_text(json.dumps(source))
    ran = {**source, "cells": [{**source["cells"][0], "outputs": [{"output_type": "stream", "text": "1"}]}]}
    (executed / "extra.ipynb").write_text(json.dumps(ran))
    monkeypatch.setattr(build_book, "ROOT", root)
    build_book.stage(executed, tmp_path / "ci-src")
    staged = json.loads((tmp_path / "ci-src" / "book" / "extra.ipynb").read_text())
    assert staged["cells"][0]["outputs"] == ran["cells"][0]["outputs"]
    assert not (tmp_path / "ci-src" / "notebooks" / "extra.ipynb").exists()


def test_appendix_b_lists_each_config_field_with_its_meaning() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "book" / "_ext"))
    import sslrec_book

    from sslrec_utils.config import Config
    from sslrec_utils.models.multvae import MultVAEConfig

    lines = ["Mult-VAE's settings."]
    sslrec_book._config_settings(None, "class", "MultVAEConfig", MultVAEConfig, None, lines)
    assert lines[0] == "Mult-VAE's settings."  # a docstring of its own is kept
    assert ":param dropout: input dropout probability, as in the paper" in lines
    # the comment's text as written, not rST markup (|W| would be a substitution, * emphasis)
    assert (
        r":param lam: weight of lam \* \|\|W\|\|^2 on the weight matrices (the authors' Mult-VAE uses 0)"
        in lines
    )

    @dataclasses.dataclass(frozen=True)
    class Undocumented(Config):
        width: int = 8  # units of the layer

    generated = [Undocumented.__doc__]  # the docstring the dataclass made up, the signature again, goes
    assert generated[0].startswith("Undocumented(")
    sslrec_book._config_settings(None, "class", "Undocumented", Undocumented, None, generated)
    assert [line for line in generated if line] == [":param width: units of the layer"]
    untouched = ["A function's docstring."]
    sslrec_book._config_settings(None, "function", "f", len, None, untouched)
    assert untouched == ["A function's docstring."]
