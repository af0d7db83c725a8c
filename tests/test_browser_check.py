"""scripts/browser_check.py on a hand-made site: one good page and one page per problem it must report.

Runs in the unit phase where Chromium, node and puppeteer-core (node_modules, from `make setup`) are present;
skipped elsewhere. One browser session for the whole site (about 10 s).
"""

from __future__ import annotations

import base64
import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import browser_check  # noqa: E402

pytestmark = pytest.mark.skipif(
    bool(browser_check.missing_tools(browser_check.CHROMIUM)),
    reason="needs " + "; ".join(browser_check.missing_tools(browser_check.CHROMIUM)),
)

# a 2x1 PNG
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAYAAAD0In+KAAAAEUlEQVR42mP8z8Dwn4GBgQEAFQQCAdJzD0IAAAAASUVORK5CYII="
)
SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40"><g><rect width="50" height="30"/>'
    '<text x="5" y="20">A</text><path d="M50 15 L70 15"/><rect x="70" width="50" height="30"/>'
    '<text x="75" y="20">B</text></g></svg>'
)
# what Sphinx writes for MathJax 3 (sphinx-mathjax-offline serves it from _static)
MATHJAX = (
    '<script>window.MathJax = {"options": {"processHtmlClass": "tex2jax_process|mathjax_process|math|output_area"}}'
    '</script><script defer src="_static/mathjax/tex-chtml.js"></script>'
)


def _page(body: str, head: str = MATHJAX) -> str:
    return f"<!DOCTYPE html><html><head><meta charset='utf-8'>{head}</head><body>{body}</body></html>"


PAGES = {
    "good.html": _page(
        '<p>Energy <span class="math notranslate nohighlight">\\(E = mc^2\\)</span>.</p>'
        '<div class="math notranslate nohighlight">\\[\\sum_i x_i\\]</div>'
        '<img src="_images/plot.png" alt="plot">'
        '<object data="_images/mermaid-abc.svg" type="image/svg+xml"></object>'
        "<pre><code>cost = $$ and \\(not math\\) inside code</code></pre>"
        '<a href="https://doi.org/10.1145/2827872">links are not loaded</a>'
    ),
    # as Sphinx's index.html: checked where it lands
    "redirect.html": _page("", head='<meta http-equiv="Refresh" content="0; url=good.html">'),
    "broken_img.html": _page('<img src="_images/missing.png" alt="gone">'),
    "cell_error.html": _page(
        '<div class="cell_output docutils container">'
        '<div class="output traceback highlight-ipythontb notranslate"><pre>ZeroDivisionError: division by zero'
        "</pre></div></div>"
        '<div class="cell_output docutils container"><div class="output stderr highlight-myst-ansi notranslate">'
        "<pre>UserWarning: careful</pre></div></div>"
    ),
    "raw_math.html": _page(
        '<p>Left as text: $$a^2 + b^2$$</p><span class="math notranslate nohighlight">\\(y\\)</span>', head=""
    ),
    "remote.html": _page('<img src="http://example.com/figure.png" alt="remote">'),
    "raw_mermaid.html": _page('<pre class="mermaid">flowchart LR; A-->B</pre>'),
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("site")
    (root / "_static").mkdir()
    spec = importlib.util.find_spec("sphinx-mathjax-offline")
    assert spec is not None and spec.submodule_search_locations
    (root / "_static" / "mathjax").symlink_to(Path(spec.submodule_search_locations[0]) / "static" / "mathjax")
    (root / "_images").mkdir()
    (root / "_images" / "plot.png").write_bytes(PNG)
    (root / "_images" / "mermaid-abc.svg").write_text(SVG)
    for name, html in PAGES.items():
        (root / name).write_text(html)
    return root


@pytest.fixture(scope="module")
def checked(site: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict, list[str]]:
    report_file = tmp_path_factory.mktemp("report") / "report.json"
    rc = browser_check.main([str(site), "--timeout", "30", "--json", str(report_file)])
    report = json.loads(report_file.read_text())
    return rc, report, browser_check.problems_of(report, min_mermaid=1)


def test_main_leaves_the_process_sigterm_handler_alone(tmp_path: Path, capsys) -> None:
    """`main` had set SIGTERM to exit 143 for the rest of the process, so a later test in the same pytest worker
    that expects the default handler (test_download's SIGTERM test) failed."""
    import signal

    before = signal.getsignal(signal.SIGTERM)
    assert browser_check.main([str(tmp_path)]) == 1  # no pages: it stops before starting the browser
    assert "no HTML pages" in capsys.readouterr().err
    assert signal.getsignal(signal.SIGTERM) is before


def _problems(problems: list[str], page: str) -> str:
    return "\n".join(p for p in problems if p.startswith(f"{page}: "))


def test_the_network_is_cut_off(checked: tuple[int, dict, list[str]]) -> None:
    _, report, _ = checked
    assert report["network_cut"] and all(probe["blocked"] for probe in report["network_cut"])
    required = (
        "--no-sandbox --disable-gpu --disable-background-networking --disable-component-update --no-first-run"
    )
    assert set(required.split()) <= set(report["flags"])
    assert any(flag.startswith("--proxy-server=127.0.0.1") for flag in report["flags"])


def test_every_page_is_opened(checked: tuple[int, dict, list[str]]) -> None:
    rc, report, _ = checked
    assert rc == 1
    assert sorted(page["page"] for page in report["pages"]) == sorted(PAGES)


def test_a_good_page_passes(checked: tuple[int, dict, list[str]]) -> None:
    _, report, problems = checked
    assert _problems(problems, "good.html") == ""
    (good,) = (page for page in report["pages"] if page["page"] == "good.html")
    assert good["stats"]["images"] == 1
    assert good["stats"]["math_elements"] == 2 and good["stats"]["mjx_containers"] == 2
    assert good["stats"]["mermaid_svgs"] == 1


def test_a_redirect_is_followed(checked: tuple[int, dict, list[str]]) -> None:
    _, report, problems = checked
    assert _problems(problems, "redirect.html") == ""
    (redirect,) = (page for page in report["pages"] if page["page"] == "redirect.html")
    assert redirect["stats"]["landed_on"] == "good.html"
    assert redirect["stats"]["mjx_containers"] == 2


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        ("broken_img.html", ["image did not load: _images/missing.png", "HTTP 404 for _images/missing.png"]),
        ("cell_error.html", ["a cell shows a traceback: ZeroDivisionError", "a cell shows stderr output"]),
        ("raw_math.html", ["math not typeset: \\(y\\)", "raw math text (not typeset): Left as text: $$a^2"]),
        (
            "remote.html",
            ["blocked a request to the internet: http://example.com/figure.png", "image did not load"],
        ),
        ("raw_mermaid.html", ["Mermaid diagram left as text: flowchart LR"]),
    ],
)
def test_each_problem_is_reported_with_its_page(
    checked: tuple[int, dict, list[str]], page: str, expected: list[str]
) -> None:
    _, _, problems = checked
    found = _problems(problems, page)
    for message in expected:
        assert message in found, found


def test_a_site_without_mermaid_svg_fails_when_one_is_expected() -> None:
    report = {"network_cut": [], "pages": [{"page": "a.html", "problems": [], "stats": {"mermaid_svgs": 0}}]}
    assert browser_check.problems_of(report, min_mermaid=1) == [
        "the site shows 0 Mermaid SVG diagrams, expected at least 1"
    ]
    assert browser_check.problems_of(report, min_mermaid=0) == []


def test_pages_skip_static_files(tmp_path: Path) -> None:
    for name in ("index.html", "book/a.html", "_static/x.html", "_sources/y.html"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("<html></html>")
    assert browser_check.html_pages(tmp_path) == ["book/a.html", "index.html"]
