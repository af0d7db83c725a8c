"""The book's build helpers: the offline check of the HTML and the notebook stripper."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

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
        # text after a <style> is not CSS; a file name with a space is written percent-encoded
        "<style>p {}</style><p>CSS writes url(https://example.org/a.png) for an image</p>"
        '<img src="../_images/a%20b.png">'
    )
    site = _site(tmp_path, body)
    (site / "_images" / "a b.png").write_bytes(b"")
    assert _problems(site, capsys) == (0, "")


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
        (GOOD_HEAD + '<link rel="icon" href="https://example.org/favicon.ico">', "", "from the internet"),
        (GOOD_HEAD + '<link rel="Stylesheet" href="https://example.org/a.css">', "", "from the internet"),
        (GOOD_HEAD, '<iframe src="https://www.youtube.com/embed/x"></iframe>', "from the internet"),
        (GOOD_HEAD, '<object data="https://cdn.example.org/d.svg"></object>', "from the internet"),
        (GOOD_HEAD, '<object data="../_images/gone.svg"></object>', "missing"),
        (GOOD_HEAD, '<img src="ftp://example.org/a.png">', "from the internet"),
        (GOOD_HEAD, '<div style="background: url(https://example.org/bg.png)">x</div>', "inline CSS loads"),
        (GOOD_HEAD, '<style>@import "https://fonts.example.org/a.css";</style>', "inline CSS loads"),
        (GOOD_HEAD, '<div class="output traceback">x</div>', "a cell shows a traceback"),
        (GOOD_HEAD, '<object data="../_images/mermaid-1.png"></object>', "mermaid-1.png is not an SVG"),
        # math in every form MathJax typesets, on a page that does not load MathJax
        ("", "<math><mi>x</mi></math>", "has math but does not load the local"),
        ("", '<div class="math-wrapper">x</div>', "has math but does not load the local"),
        ("", "<p>$$x$$</p>", "has math but does not load the local"),
        ("", "<p>\\[x\\]</p>", "has math but does not load the local"),
        # a stray end tag does not hide the math after it
        ("", "</pre><p>so \\(x\\) is math</p>", "has math but does not load the local"),
        # a script whose name holds "mathjax" is not the local MathJax
        ('<script src="../_static/mathjax_config.js"></script>', '<span class="math">x</span>', "the local"),
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
        ("a.png 1x (a, https://x.org/b.png), c.png 2x", ["a.png", "c.png"]),  # a comma in brackets
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
                "metadata": {
                    "execution": {},
                    "papermill": {},
                    "ExecuteTime": {},
                    "collapsed": True,
                    "scrolled": True,
                },
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
            {"cell_type": "raw", "metadata": {}, "source": "raw"},
        ],
        "metadata": {"widgets": {}, "papermill": {}, "kernelspec": {"name": "python3"}},
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
    assert clean["cells"][3] == {"cell_type": "raw", "metadata": {}, "source": "raw"}  # no outputs added
    assert clean["metadata"] == {"kernelspec": {"name": "python3"}}


def test_strip_leaves_committed_notebooks_byte_identical(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a clean file is not rewritten: same bytes (indent 1, UTF-8 kept, final newline) and same mtime
    path = tmp_path / "ch01.ipynb"
    shutil.copy(ROOT / "notebooks" / "ch01_why_self_supervision.ipynb", path)
    os.utime(path, ns=(0, 0))
    before = path.read_bytes()
    assert strip_notebooks.main([str(path)]) == 0
    assert capsys.readouterr().out == ""
    assert path.read_bytes() == before and path.stat().st_mtime_ns == 0


def test_strip_defaults_to_notebooks_and_help_touches_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # the default folder is found from the script's own path: a fake checkout in tmp_path
    monkeypatch.setattr(strip_notebooks, "__file__", str(tmp_path / "scripts" / "strip_notebooks.py"))
    (tmp_path / "notebooks").mkdir()
    path = tmp_path / "notebooks" / "a.ipynb"
    cell = {"cell_type": "code", "metadata": {}, "outputs": [{"output_type": "stream"}], "execution_count": 1}
    path.write_text(json.dumps({"cells": [{**cell, "source": ""}], "metadata": {}}))
    before = path.read_text()
    assert strip_notebooks.main(["--help"]) == 0
    assert "Strip outputs" in capsys.readouterr().out and path.read_text() == before
    assert strip_notebooks.main([]) == 0
    assert capsys.readouterr().out == f"stripped {path}\n"
    assert json.loads(path.read_text())["cells"][0]["outputs"] == []


def test_the_execution_cache_is_emptied_when_the_package_or_the_pins_change(tmp_path: Path) -> None:
    # jupyter-cache keys a notebook by its code cells only: a package change must not serve old outputs
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "lock.txt").write_text("torch==2.13.0\n")
    (tmp_path / "pyproject.toml").write_text("[project]\n")
    (tmp_path / "sslrec_utils" / "models").mkdir(parents=True)
    (tmp_path / "sslrec_utils" / "metrics.py").write_text("K = 10\n")
    (tmp_path / "sslrec_utils" / "models" / "ease.py").write_text("LAM = 1\n")
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
    for changed, text in [
        ("pyproject.toml", "[project]\nname = 'x'\n"),
        ("sslrec_utils/models/ease.py", "LAM = 2\n"),
    ]:
        cache.mkdir()
        (tmp_path / changed).write_text(text)
        build_book.clear_stale_cache(tmp_path)
        assert not cache.exists(), changed
    shutil.rmtree(tmp_path / "_build")  # a checkout that never built: the stamp is written all the same
    build_book.clear_stale_cache(tmp_path)
    assert (tmp_path / "_build" / ".jupyter_cache.inputs").is_file()


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
        "<pre>\\(x\\)</pre><script>const open = '\\(';</script>"
    )
    assert _problems(_site(tmp_path, code, head=""), capsys) == (0, "")
    rc, err = _problems(_site(tmp_path / "b", "<p>so \\(x\\) is math</p>", head=""), capsys)
    assert rc == 1 and "has math but does not load the local" in err


def test_offline_check_of_the_whole_site(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # an empty build is no offline book; with no argument, the check reads _build/html
    (tmp_path / "_build" / "html").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    assert check_offline.main(["check_offline"]) == 1
    assert (
        f"no HTML pages under {tmp_path / '_build' / 'html'}; build the book first" in capsys.readouterr().err
    )
    site = _site(tmp_path / "site", "<p>no math</p>")
    (site / "_static" / "mathjax" / "tex-chtml.js").unlink()  # needed by every page the book adds math to
    (site / "_static" / "styles").mkdir()
    (site / "_static" / "styles" / "t.css").write_text("a { background: url(https://x.org/i.png) }")
    (site / "_images" / "fig.svg").write_text(
        "<svg><style>@import url(https://fonts.example.org/a.css);</style></svg>"
    )
    rc, err = _problems(site, capsys)
    assert rc == 1
    assert "_static/mathjax/tex-chtml.js is missing: is sphinx-mathjax-offline enabled" in err
    assert "_static/styles/t.css: loads https://x.org/i.png" in err
    assert "_images/fig.svg: loads https://fonts.example.org/a.css" in err


SOURCE = {"cells": [{"cell_type": "code", "source": "1", "metadata": {}, "outputs": []}], "metadata": {}}
RAN = {**SOURCE, "cells": [{**SOURCE["cells"][0], "outputs": [{"output_type": "stream", "text": "1"}]}]}


def _book(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *chapters: str) -> tuple[Path, Path]:
    """A book root (now build_book.ROOT) listing `chapters`, each a notebook SOURCE executed into RAN."""
    root, executed = tmp_path / "root", tmp_path / "executed"
    (root / "book").mkdir(parents=True)
    (root / "notebooks").mkdir()
    executed.mkdir()
    (root / "_config.yml").write_text("title: t\n")
    toc = "format: jb-book\nroot: book/intro\nchapters:\n" + "".join(f"- file: {c}\n" for c in chapters)
    (root / "_toc.yml").write_text(toc)
    (root / "book" / "intro.md").write_text("# Intro\n")
    for chapter in chapters:
        notebook = root / f"{chapter.removesuffix('.ipynb')}.ipynb"
        notebook.write_text(json.dumps(SOURCE))
        (executed / notebook.name).write_text(json.dumps(RAN))
    monkeypatch.setattr(build_book, "ROOT", root)
    return root, executed


# an entry with its extension (Jupyter Book accepts it) was once looked up as extra.ipynb.ipynb: the chapter
# was silently rendered from its source, with execution off (a page without outputs)
@pytest.mark.parametrize("entry", ["book/extra", "book/extra.ipynb"])
def test_an_executed_chapter_is_staged_where_the_toc_lists_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entry: str
) -> None:
    # a chapter outside notebooks/ (book/extra.ipynb) must be rendered from its executed copy, not its source
    _, executed = _book(tmp_path, monkeypatch, entry)
    build_book.stage(executed, tmp_path / "ci-src")
    staged = json.loads((tmp_path / "ci-src" / "book" / "extra.ipynb").read_text())
    assert staged["cells"][0]["outputs"] == RAN["cells"][0]["outputs"]
    assert not (tmp_path / "ci-src" / "notebooks" / "extra.ipynb").exists()


def test_stage_accepts_papermill_parameters_and_refuses_a_stale_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, executed = _book(tmp_path, monkeypatch, "notebooks/ch01")
    injected = {"cell_type": "code", "metadata": {"tags": ["injected-parameters"]}, "source": "N = 2"}
    (executed / "ch01.ipynb").write_text(json.dumps({**RAN, "cells": [injected, *RAN["cells"]]}))
    build_book.stage(executed, tmp_path / "ci-src")  # the cell Papermill added is no difference
    edited = {**RAN, "cells": [{**RAN["cells"][0], "source": "2"}]}
    (executed / "ch01.ipynb").write_text(json.dumps(edited))
    with pytest.raises(SystemExit, match="ch01.ipynb is stale"):
        build_book.stage(executed, tmp_path / "ci-src")


def test_one_missing_executed_chapter_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, executed = _book(tmp_path, monkeypatch, "notebooks/ch01")
    (executed / "ch01.ipynb").unlink()
    with pytest.raises(SystemExit, match="notebooks/ch01.ipynb: no executed copy"):
        build_book.stage(executed, tmp_path / "ci-src")
    assert not (tmp_path / "ci-src").exists()


def test_two_chapters_of_one_file_name_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the executed copies are named by file name only: both chapters would be rendered from one of them
    _, executed = _book(tmp_path, monkeypatch, "notebooks/extra", "book/extra")
    with pytest.raises(SystemExit, match="notebooks/extra.ipynb and book/extra.ipynb share a file name"):
        build_book.stage(executed, tmp_path / "ci-src")


def test_staging_switches_execution_off_and_links_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, executed = _book(tmp_path, monkeypatch, "notebooks/ch01")
    (root / "_config.yml").write_text("title: t\nexecute:\n  execute_notebooks: cache\n")
    for name in ("sslrec_utils", "data", "_build", "node_modules", ".venv"):
        (root / name).mkdir()
    (root / "notebooks" / ".ipynb_checkpoints").mkdir()
    dest = tmp_path / "ci-src"
    build_book.stage(executed, dest)
    config = yaml.safe_load((dest / "_config.yml").read_text())
    assert config["title"] == "t" and config["execute"]["execute_notebooks"] == "off"
    assert (dest / "_toc.yml").read_bytes() == (root / "_toc.yml").read_bytes()
    # relative paths (the package, the data) resolve as in the real book
    for name in ("sslrec_utils", "data"):
        assert (dest / name).is_symlink() and (dest / name).resolve() == (root / name).resolve()
    for name in ("_build", "node_modules", ".venv", "notebooks/.ipynb_checkpoints"):
        assert not (dest / name).exists()


@pytest.mark.parametrize(("returns", "rc", "commands"), [([0, 0], 0, 2), ([2], 2, 1), ([0, 1], 1, 2)])
def test_build_runs_jupyter_book_with_warnings_as_errors_then_the_offline_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, returns: list[int], rc: int, commands: int
) -> None:
    # a failed build stops before the offline check; a failed check fails the build
    calls = []

    def call(cmd: list[str], cwd: Path) -> int:
        calls.append(cmd)
        return returns[len(calls) - 1]

    monkeypatch.setattr(build_book.subprocess, "call", call)
    assert build_book.build(tmp_path) == rc
    jupyter_book = str(Path(sys.executable).with_name("jupyter-book"))
    check = [sys.executable, str(ROOT / "scripts" / "check_offline.py"), str(tmp_path / "_build" / "html")]
    # -W: a warning fails the build; --all: also the warnings of pages that did not change
    assert calls == [[jupyter_book, "build", str(tmp_path), "-W", "--keep-going", "--all"], check][:commands]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["--from-executed"],
            [("stage", "_build/executed", "_build/ci-src"), ("build", "_build/ci-src")],
        ),
        ([], [("clear_stale_cache", "."), ("build", ".")]),
    ],
)
def test_main_stages_from_executed_or_clears_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str], expected: list[tuple[str, ...]]
) -> None:
    root, calls = tmp_path.resolve(), []

    def recorder(name: str) -> Callable[..., int]:
        def record(*paths: Path) -> int:
            calls.append((name, *paths))
            return 3

        return record

    for name in ("stage", "build", "clear_stale_cache"):
        monkeypatch.setattr(build_book, name, recorder(name))
    monkeypatch.setattr(build_book, "ROOT", root)
    monkeypatch.setattr(sys, "argv", ["build_book.py", *argv])
    assert build_book.main() == 3  # build's exit status
    assert calls == [(name, *(root / p for p in paths)) for name, *paths in expected]


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
