"""Open every page of the built book in headless Chromium, offline, and check what a reader sees.

    python scripts/browser_check.py [HTML_DIR]     # default: _build/ci-src/_build/html (what `make book-ci` builds)

Serves HTML_DIR on 127.0.0.1 (Python's http.server on a free port, in a thread) and opens each HTML page (all
but those under ``_static``, ``_sources`` and ``_images``) in Debian's Chromium through puppeteer-core (it comes
with mermaid-cli in node_modules; see ``scripts/browser_check.cjs``), one browser for all pages. The network is
cut off except 127.0.0.1: Chromium resolves no host name and sends everything else to a proxy that does not
exist; the script first checks that external URLs indeed fail to load, then aborts any request a page makes to
another host.

Fails (exit 1, one line per page and problem) when a page
- shows an error output: a cell's traceback (``div.output.traceback``), its stderr (``div.output.stderr``), an
  ``output error`` block or a docutils system message;
- has an image that does not load (not ``complete`` with ``naturalWidth > 0`` once loading settled), or an
  ``<object>`` whose document does not load, or a request answered 4xx/5xx or aborted;
- has math that MathJax 3 did not typeset (a ``.math`` element without an ``mjx-container``, TeX delimiters left
  as text, a MathJax error);
- has a Mermaid diagram that is not a rendered, non-empty SVG;
- raises a JavaScript error or asks for anything on the internet.
It also fails when the whole site holds fewer than ``--min-mermaid`` Mermaid SVGs (default 1: chapter 2's
pipeline diagram), so a diagram that silently disappeared is caught too.
"""

from __future__ import annotations

import argparse
import functools
import json
import shutil
import signal
import subprocess
import sys
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NODE_SCRIPT = ROOT / "scripts" / "browser_check.cjs"
DEFAULT_HTML = ROOT / "_build" / "ci-src" / "_build" / "html"
CHROMIUM = "/usr/bin/chromium"
# loaded first, with interception off: each must fail, or the network is not cut off
PROBE_URLS = ("http://example.com/", "https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js")


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        # the browser drops connections it no longer needs (a page closed mid-download): not a problem
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class LocalServer:
    """http.server for `root` on 127.0.0.1 and a free port, in a daemon thread."""

    def __init__(self, root: Path) -> None:
        handler = functools.partial(QuietHandler, directory=str(root))
        self.httpd = QuietServer(("127.0.0.1", 0), handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> LocalServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def html_pages(root: Path) -> list[str]:
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*.html")
        if not {"_static", "_sources", "_images"} & set(p.relative_to(root).parts)
    )


def missing_tools(chromium: str) -> list[str]:
    """What the check needs and this machine lacks (empty when it can run)."""
    missing = []
    if shutil.which("node") is None:
        missing.append("node (Debian: apt-get install nodejs)")
    if not (ROOT / "node_modules" / "puppeteer-core" / "package.json").is_file():
        missing.append("node_modules/puppeteer-core (make setup: npm ci installs it with mermaid-cli)")
    if not Path(chromium).is_file():
        missing.append(f"{chromium} (make setup installs Debian's chromium)")
    return missing


def run_browser(
    root: Path, pages: list[str], chromium: str = CHROMIUM, timeout_s: float = 30.0, probe_urls=PROBE_URLS
) -> dict:
    """Serve `root`, open `pages` in one headless Chromium; the raw report of scripts/browser_check.cjs."""
    with LocalServer(root) as server:
        request = {
            "base": server.base,
            "pages": pages,
            "chromium": chromium,
            "timeout_ms": int(timeout_s * 1000),
            "probe_urls": list(probe_urls),
        }
        proc = subprocess.Popen(
            ["node", str(NODE_SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,  # the report; its stderr (errors, BROWSER_CHECK_DEBUG=1 progress) passes through
            text=True,
        )
        limit = 120 + 3 * timeout_s * (len(pages) + len(probe_urls))
        try:
            stdout, _ = proc.communicate(json.dumps(request), timeout=limit)
        except BaseException as exc:  # our timeout, Ctrl-C, SIGTERM (see main)
            proc.terminate()  # browser_check.cjs then kills its browser, which runs detached
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
            if isinstance(exc, subprocess.TimeoutExpired):
                raise RuntimeError(f"browser_check.cjs did not finish in {limit:.0f} s") from None
            raise
    if proc.returncode != 0:
        raise RuntimeError(f"browser_check.cjs failed (exit {proc.returncode}); its error is printed above")
    return json.loads(stdout)


def problems_of(report: dict, min_mermaid: int = 0) -> list[str]:
    """One line per problem: 'PAGE: what', or a line about the whole site."""
    lines = [
        f"the network is not cut off: {probe['url']} {probe['error']}"
        for probe in report["network_cut"]
        if not probe["blocked"]
    ]
    for page in report["pages"]:
        lines += [f"{page['page']}: {problem}" for problem in dict.fromkeys(page["problems"])]
    svgs = sum(page["stats"].get("mermaid_svgs", 0) for page in report["pages"])
    if report["pages"] and svgs < min_mermaid:
        lines.append(f"the site shows {svgs} Mermaid SVG diagrams, expected at least {min_mermaid}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "html", nargs="?", type=Path, default=DEFAULT_HTML, help="built HTML (default: %(default)s)"
    )
    parser.add_argument("--chromium", default=CHROMIUM)
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per page (default: %(default)s)")
    parser.add_argument(
        "--min-mermaid", type=int, default=1, help="Mermaid SVGs the site must show (default: %(default)s)"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the full report here")
    args = parser.parse_args(argv)

    root = args.html.resolve()
    pages = html_pages(root) if root.is_dir() else []
    if not pages:
        print(
            f"browser_check: no HTML pages under {root}; build the book first (make book-ci)", file=sys.stderr
        )
        return 1
    missing = missing_tools(args.chromium)
    if missing:
        print("browser_check: cannot run, missing: " + "; ".join(missing), file=sys.stderr)
        return 1
    start = time.perf_counter()
    report = run_browser(root, pages, args.chromium, args.timeout)
    problems = problems_of(report, args.min_mermaid)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1))
    for problem in problems:
        print(f"browser_check: {problem}", file=sys.stderr)
    stats = [page["stats"] for page in report["pages"]]
    print(
        f"browser_check: {len(report['pages'])} pages in {report['chromium']} offline "
        f"({sum(p['blocked'] for p in report['network_cut'])}/{len(report['network_cut'])} external probes blocked), "
        f"{sum(s.get('images', 0) for s in stats)} images, {sum(s.get('mjx_containers', 0) for s in stats)} "
        f"typeset formulas, {sum(s.get('mermaid_svgs', 0) for s in stats)} Mermaid SVGs, "
        f"{time.perf_counter() - start:.1f} s, problems: {len(problems)}"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    # a SIGTERM (make interrupted, `timeout`) unwinds like Ctrl-C, so the browser is stopped too; set here, not in
    # `main`, which the tests call in their own process
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(main())
