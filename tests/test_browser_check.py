"""scripts/browser_check.py on a hand-made site: one good page and one page per problem it must report.

The tests marked `needs_browser` run where Chromium, node and puppeteer-core (node_modules, from `make setup`)
are present, skipped elsewhere: one browser session for the whole site (about 10 s). The others check the
script's own logic (the report's problems, exit status, options, tools, the request to node) with node faked.
"""

from __future__ import annotations

import base64
import contextlib
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import browser_check  # noqa: E402

needs_browser = pytest.mark.skipif(
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
    before = signal.getsignal(signal.SIGTERM)
    assert browser_check.main([str(tmp_path)]) == 1  # no pages: it stops before starting the browser
    assert "no HTML pages" in capsys.readouterr().err
    assert signal.getsignal(signal.SIGTERM) is before


def _problems(problems: list[str], page: str) -> str:
    return "\n".join(p for p in problems if p.startswith(f"{page}: "))


@needs_browser
def test_the_network_is_cut_off(checked: tuple[int, dict, list[str]]) -> None:
    _, report, _ = checked
    assert report["network_cut"] and all(probe["blocked"] for probe in report["network_cut"])
    required = (
        "--no-sandbox --disable-gpu --disable-background-networking --disable-component-update --no-first-run"
    )
    assert set(required.split()) <= set(report["flags"])
    assert any(flag.startswith("--proxy-server=127.0.0.1") for flag in report["flags"])


@needs_browser
def test_every_page_is_opened(checked: tuple[int, dict, list[str]]) -> None:
    rc, report, _ = checked
    assert rc == 1
    assert sorted(page["page"] for page in report["pages"]) == sorted(PAGES)


@needs_browser
def test_a_good_page_passes(checked: tuple[int, dict, list[str]]) -> None:
    _, report, problems = checked
    assert _problems(problems, "good.html") == ""
    (good,) = (page for page in report["pages"] if page["page"] == "good.html")
    assert good["stats"]["images"] == 1
    assert good["stats"]["math_elements"] == 2 and good["stats"]["mjx_containers"] == 2
    assert good["stats"]["mermaid_svgs"] == 1


@needs_browser
def test_a_redirect_is_followed(checked: tuple[int, dict, list[str]]) -> None:
    _, report, problems = checked
    assert _problems(problems, "redirect.html") == ""
    (redirect,) = (page for page in report["pages"] if page["page"] == "redirect.html")
    assert redirect["stats"]["landed_on"] == "good.html"
    assert redirect["stats"]["mjx_containers"] == 2


@needs_browser
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
    for name in ("index.html", "book/a.html", "_static/x.html", "_sources/y.html", "_images/z.html"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("<html></html>")
    assert browser_check.html_pages(tmp_path) == ["book/a.html", "index.html"]


# ---- the script's own logic, with node faked: these run everywhere ----------------------------------------------

A_HTML = "<!DOCTYPE html><html><body>a</body></html>"


@pytest.fixture
def one_page_site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    site.mkdir()
    (site / "a.html").write_text(A_HTML)
    return site


def _report(mermaid_svgs: int = 1) -> dict:
    """A clean report of one page, as scripts/browser_check.cjs writes it."""
    return {
        "chromium": "HeadlessChrome/140.0.0.0",
        "flags": [],
        "network_cut": [
            {"url": "http://example.com/", "blocked": True, "error": "net::ERR_PROXY_CONNECTION_FAILED"}
        ],
        "pages": [{"page": "a.html", "problems": [], "stats": {"mermaid_svgs": mermaid_svgs}}],
    }


def test_problems_of_reports_an_open_network_and_each_problem_once() -> None:
    report = {
        "network_cut": [
            {"url": "http://example.com/", "blocked": False, "error": "loaded with HTTP 200"},
            {"url": "https://cdn.example/x.js", "blocked": True, "error": "net::ERR_PROXY_CONNECTION_FAILED"},
        ],
        "pages": [{"page": "a.html", "problems": ["HTTP 404 for b.png"] * 2, "stats": {"mermaid_svgs": 1}}],
    }
    assert browser_check.problems_of(report, min_mermaid=1) == [
        "the network is not cut off: http://example.com/ loaded with HTTP 200",
        "a.html: HTTP 404 for b.png",
    ]


def _fake_browser(monkeypatch: pytest.MonkeyPatch, report: dict, missing: tuple[str, ...] = ()) -> None:
    """`main` without node and Chromium: `missing_tools` finds `missing`, the browser answers `report`."""
    monkeypatch.setattr(browser_check, "missing_tools", lambda chromium: list(missing))
    monkeypatch.setattr(browser_check, "run_browser", lambda root, pages, chromium, timeout_s: report)


def test_main_passes_a_clean_report_and_writes_it_where_asked(
    one_page_site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _fake_browser(monkeypatch, _report())
    report_file = tmp_path / "new" / "dir" / "report.json"
    assert browser_check.main([str(one_page_site), "--json", str(report_file)]) == 0
    assert json.loads(report_file.read_text()) == _report()
    assert (
        "1 pages in HeadlessChrome/140.0.0.0 offline (1/1 external probes blocked)" in capsys.readouterr().out
    )


def test_main_expects_a_mermaid_diagram_by_default(
    one_page_site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # chapter 2's pipeline diagram: one that silently disappeared fails the check
    _fake_browser(monkeypatch, _report(mermaid_svgs=0))
    assert browser_check.main([str(one_page_site)]) == 1
    assert "the site shows 0 Mermaid SVG diagrams, expected at least 1" in capsys.readouterr().err
    assert browser_check.main([str(one_page_site), "--min-mermaid", "0"]) == 0


def test_main_fails_when_a_tool_is_missing(
    one_page_site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # `make browser` on a machine without node must fail, not pass having checked nothing
    _fake_browser(monkeypatch, _report(), missing=("node (Debian: apt-get install nodejs)",))
    assert browser_check.main([str(one_page_site)]) == 1
    assert "cannot run, missing: node (Debian: apt-get install nodejs)" in capsys.readouterr().err


def test_missing_tools_names_each_missing_tool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(browser_check, "ROOT", tmp_path)
    monkeypatch.setattr(browser_check.shutil, "which", lambda name: None)
    chromium = tmp_path / "chromium"
    missing = browser_check.missing_tools(str(chromium))
    assert [tool.split()[0] for tool in missing] == ["node", "node_modules/puppeteer-core", str(chromium)]

    monkeypatch.setattr(browser_check.shutil, "which", lambda name: f"/usr/bin/{name}")
    (tmp_path / "node_modules" / "puppeteer-core").mkdir(parents=True)
    (tmp_path / "node_modules" / "puppeteer-core" / "package.json").write_text("{}")
    chromium.write_text("")
    assert browser_check.missing_tools(str(chromium)) == []


@pytest.fixture
def fake_node(monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """`node browser_check.cjs` faked (run_browser's Popen): it records the request it is sent and a.html as the
    local server serves it, then answers `_report()`, or raises `node.error` (a timeout) instead."""
    node = SimpleNamespace(error=None, request=None, served=None, terminated=False)

    class FakePopen:
        returncode = 0

        def __init__(self, args: list[str], **kwargs: object) -> None:
            pass

        def communicate(self, input: str, timeout: float) -> tuple[str, None]:
            node.request = json.loads(input)
            no_proxy = urllib.request.build_opener(urllib.request.ProxyHandler({}))
            with no_proxy.open(node.request["base"] + "a.html") as response:
                node.served = response.read().decode()
            if node.error is not None:
                raise node.error
            return json.dumps(_report()), None

        def terminate(self) -> None:
            node.terminated = True

        def wait(self, timeout: float) -> int:
            return 0

    monkeypatch.setattr(browser_check.subprocess, "Popen", FakePopen)
    return node


def test_run_browser_sends_node_the_pages_the_local_server_and_the_timeout(
    one_page_site: Path, fake_node: SimpleNamespace
) -> None:
    assert (
        browser_check.run_browser(one_page_site, ["a.html"], "/usr/bin/chromium", timeout_s=12) == _report()
    )
    request = dict(fake_node.request)
    assert request.pop("base").startswith("http://127.0.0.1:")
    assert fake_node.served == A_HTML  # the server serves the site's root
    assert request == {
        "pages": ["a.html"],
        "chromium": "/usr/bin/chromium",
        "timeout_ms": 12000,
        "probe_urls": list(browser_check.PROBE_URLS),
    }


def test_run_browser_stops_node_and_says_so_when_it_does_not_finish(
    one_page_site: Path, fake_node: SimpleNamespace
) -> None:
    fake_node.error = subprocess.TimeoutExpired("node", 1)
    with pytest.raises(RuntimeError, match=r"browser_check.cjs did not finish in \d+ s"):
        browser_check.run_browser(one_page_site, ["a.html"], timeout_s=12)
    assert fake_node.terminated  # browser_check.cjs then kills its browser, which runs detached


def test_the_local_server_listens_on_127_0_0_1_only(one_page_site: Path) -> None:
    # the book is served to the browser, not to the network the machine is on
    with browser_check.LocalServer(one_page_site) as server:
        assert server.httpd.server_address[0] == "127.0.0.1"


# reads the request (browser_check.py then waits for its answer), says it started (its pid), waits to be stopped
FAKE_NODE = """#!/bin/sh
cat > "$MARKS/request.json"
trap 'kill $sleeper; touch "$MARKS/terminated"; exit 0' TERM
sleep 60 & sleeper=$!
echo $$ > "$MARKS/pid.tmp" && mv "$MARKS/pid.tmp" "$MARKS/started"
wait
"""


def test_sigterm_stops_node_and_exits_143(one_page_site: Path, tmp_path: Path) -> None:
    """A SIGTERM (`timeout`, an interrupted make) must stop node, which stops its detached Chromium, rather than
    end browser_check.py at once and leave the browser running."""
    root = tmp_path / "repo"  # a copy of the script beside a puppeteer-core, so missing_tools finds all
    (root / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "browser_check.py", root / "scripts")
    (root / "node_modules" / "puppeteer-core").mkdir(parents=True)
    (root / "node_modules" / "puppeteer-core" / "package.json").write_text("{}")
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "node").write_text(FAKE_NODE)
    (tmp_path / "bin" / "node").chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "MARKS": str(tmp_path),
    }
    command = [
        sys.executable,
        str(root / "scripts" / "browser_check.py"),
        str(one_page_site),
        "--chromium",
        "/bin/sh",
    ]
    proc = subprocess.Popen(command, env=env)
    try:
        deadline = time.monotonic() + 30
        while not (tmp_path / "started").exists():
            assert proc.poll() is None and time.monotonic() < deadline, "the fake node did not start"
            time.sleep(0.02)
        start = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 143
        assert (tmp_path / "terminated").exists()
        assert time.monotonic() - start < 5
    finally:
        if proc.poll() is None:
            proc.kill()
        if (tmp_path / "started").exists() and not (tmp_path / "terminated").exists():
            with contextlib.suppress(ProcessLookupError):  # the fake node left running
                os.kill(int((tmp_path / "started").read_text()), signal.SIGTERM)
