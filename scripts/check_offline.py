"""Check that a built book needs no internet to be viewed.

Usage: python scripts/check_offline.py [_build/html]

Fails (exit 1, one line per problem) when a page
- loads a script, stylesheet, font, image, frame or media file from another host (links a reader clicks on are
  fine: DOIs, documentation), including through an inline SVG's ``href``, a manifest or a remote ``<base>``.
  Inline scripts are not parsed (Sphinx pages hold URLs there that load only on demand, such as Thebe's):
  ``scripts/browser_check.py`` catches whatever a page requests as it loads, with the network cut off;
- uses math but does not load the local MathJax copy (``_static/mathjax/tex-chtml.js``, from
  sphinx-mathjax-offline), or that file is missing;
- holds a Mermaid diagram that was not rendered to SVG at build time (a raw ``<pre class="mermaid">`` would need
  mermaid.js from a CDN), or references an image file that does not exist;
- shows a cell error (an ``output error`` block or a traceback).
Also checks the CSS files in ``_static`` and the SVGs in ``_images`` for ``@import``/``url()`` of remote files.
"""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

# (tag, attribute) pairs that make the browser fetch something as the page loads
LOADING_ATTRS = {
    ("script", "src"),
    ("img", "src"),
    ("img", "srcset"),
    ("source", "srcset"),
    ("iframe", "src"),
    ("embed", "src"),
    ("object", "data"),
    ("source", "src"),
    ("audio", "src"),
    ("video", "src"),
    ("video", "poster"),
    ("input", "src"),
    ("track", "src"),
    ("image", "href"),  # SVG drawn inline in the page: <image>, <use> and <feImage> fetch their href
    ("image", "xlink:href"),
    ("use", "href"),
    ("use", "xlink:href"),
    ("feimage", "href"),
    ("feimage", "xlink:href"),
    ("html", "manifest"),
}
LINK_RELS_THAT_LOAD = {
    "stylesheet",
    "preload",
    "modulepreload",
    "icon",
    "shortcut",
    "apple-touch-icon",
    "prefetch",
    "manifest",
}
CSS_REMOTE = re.compile(r"""(?:@import\s+(?:url\()?|url\()\s*['"]?\s*((?:https?:)?//[^'")\s]+)""", re.I)
MATHJAX_LOCAL = "_static/mathjax/tex-chtml.js"
# elements whose text MathJax 3 does not typeset (its skipHtmlTags): `\(` there is not math
MATHJAX_SKIPS = frozenset(
    {"script", "noscript", "style", "textarea", "pre", "code", "annotation", "annotation-xml"}
)


def is_remote(url: str) -> bool:
    url = url.strip()
    return url.startswith("//") or urlsplit(url).scheme in {"http", "https", "ftp"}


def srcset_urls(value: str) -> list[str]:
    """The URLs of a ``srcset`` attribute: comma-separated candidates, each a URL and optional descriptors.

    Follows the HTML parsing rules: a URL is a run of non-whitespace characters (so a ``data:`` URI keeps its
    commas), trailing commas end a candidate without descriptors, and descriptors run to the next comma.
    """
    urls, i, n = [], 0, len(value)
    while i < n:
        while i < n and (value[i].isspace() or value[i] == ","):
            i += 1
        start = i
        while i < n and not value[i].isspace():
            i += 1
        url = value[start:i]
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            depth = 0
            while i < n and not (value[i] == "," and depth == 0):
                depth += {"(": 1, ")": -1}.get(value[i], 0)
                i += 1
        if url:
            urls.append(url)
    return urls


class PageScan(HTMLParser):
    """Collects what one HTML page loads and what it shows."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.loads: list[str] = []  # every URL fetched on load
        self.has_math = False
        self.raw_mermaid = False
        self.mermaid_svgs: list[str] = []
        self.errors: list[str] = []
        self.inline_styles: list[str] = []
        self._in_style = False
        self._no_math = 0  # open elements whose text MathJax leaves alone (code, pre...)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        classes = set(a.get("class", "").split())
        for attr, value in a.items():
            if (tag, attr) in LOADING_ATTRS and value.strip():
                # only srcset lists several URLs; any other value is one URL, commas and all (data: URIs)
                self.loads.extend(srcset_urls(value) if attr == "srcset" else [value.strip()])
        if tag == "base" and is_remote(a.get("href", "")):  # every relative URL of the page would go there
            self.loads.append(a["href"])
        if tag == "link" and a.get("href"):
            rels = set(a.get("rel", "").lower().split())
            if rels & LINK_RELS_THAT_LOAD:
                self.loads.append(a["href"])
        if "style" in a and "url(" in a["style"]:
            self.inline_styles.append(a["style"])
        if tag == "style":
            self._in_style = True
        if tag in MATHJAX_SKIPS:
            self._no_math += 1
        if classes & {"math", "math-wrapper"} or tag == "math":
            self.has_math = True
        if tag == "pre" and "mermaid" in classes:
            self.raw_mermaid = True
        if tag in ("img", "object") and "mermaid" in (a.get("src", "") + a.get("data", "")):
            self.mermaid_svgs.append(a.get("src") or a.get("data", ""))
        if tag == "div" and {"output", "error"} <= classes:
            self.errors.append("a cell shows an error output")
        if tag == "div" and "output" in classes and "traceback" in classes:
            self.errors.append("a cell shows a traceback")

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False
        if tag in MATHJAX_SKIPS:
            self._no_math = max(0, self._no_math - 1)

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.inline_styles.append(data)
        if self._no_math:  # `\(` in a code sample is not math, and MathJax does not typeset it
            return
        if "\\(" in data or "\\[" in data or "$$" in data:
            self.has_math = True


def check_page(page: Path, root: Path) -> list[str]:
    scan = PageScan()
    scan.feed(page.read_text(encoding="utf-8", errors="replace"))
    rel = page.relative_to(root)
    problems = [f"{rel}: {msg}" for msg in scan.errors]
    for url in scan.loads:
        if url.startswith("data:"):
            continue
        if is_remote(url):
            problems.append(f"{rel}: loads {url} from the internet")
            continue
        target = (page.parent / unquote(urlsplit(url).path)).resolve()
        if urlsplit(url).path and not target.exists():
            problems.append(f"{rel}: references {url}, which is missing from the build")
    for style in scan.inline_styles:
        problems += [f"{rel}: inline CSS loads {u}" for u in CSS_REMOTE.findall(style)]
    mathjax = [u for u in scan.loads if "mathjax" in u.lower()]
    if scan.has_math and not any(MATHJAX_LOCAL in u and not is_remote(u) for u in mathjax):
        problems.append(
            f"{rel}: has math but does not load the local {MATHJAX_LOCAL} (got {mathjax or 'none'})"
        )
    if scan.raw_mermaid:
        problems.append(
            f"{rel}: a Mermaid diagram was not rendered at build time (mermaid_output_format: svg)"
        )
    problems += [
        f"{rel}: Mermaid output {u} is not an SVG" for u in scan.mermaid_svgs if not u.endswith(".svg")
    ]
    return problems


def main(argv: list[str]) -> int:
    root = Path(argv[1] if len(argv) > 1 else "_build/html").resolve()
    pages = sorted(p for p in root.rglob("*.html") if "_static" not in p.relative_to(root).parts)
    if not pages:
        print(f"check_offline: no HTML pages under {root}; build the book first", file=sys.stderr)
        return 1
    problems: list[str] = []
    if not (root / MATHJAX_LOCAL).is_file():
        problems.append(f"{MATHJAX_LOCAL} is missing: is sphinx-mathjax-offline enabled in _config.yml?")
    for page in pages:
        problems += check_page(page, root)
    for css in sorted((root / "_static").rglob("*.css")):
        text = css.read_text(encoding="utf-8", errors="replace")
        problems += [f"{css.relative_to(root)}: loads {u}" for u in CSS_REMOTE.findall(text)]
    svgs = sorted((root / "_images").glob("mermaid-*.svg"))
    for svg in sorted((root / "_images").glob("*.svg")):
        text = svg.read_text(encoding="utf-8", errors="replace")
        problems += [f"{svg.relative_to(root)}: loads {u}" for u in CSS_REMOTE.findall(text)]
    for problem in problems:
        print(f"check_offline: {problem}", file=sys.stderr)
    print(
        f"check_offline: {len(pages)} pages, {len(svgs)} Mermaid SVGs, local MathJax: "
        f"{(root / MATHJAX_LOCAL).is_file()}, problems: {len(problems)}"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
