"""Parameterised reports on any interaction log: check every parameter, execute ``notebooks/report.ipynb`` with
Papermill, and write the executed notebook, a standalone HTML file that needs no internet, and ``metrics.json``.

    values = {"DATASET": "shop.csv", "SEP": ";", "USER_COL": "customer", "ITEM_COL": "product", "MODELS": "pop,ease"}
    params = ReportParams.from_parameters(values)
    run_report(params, "reports/shop")     # or: sslrec report --data shop.csv --sep ";" --user-col customer ...

`run_report` checks the parameters against the data (columns, K, split) before anything runs, executes the
notebook into a temporary folder, collects ``metrics.json`` from its glued values, exports the HTML without
remote scripts, and moves the folder into place only when everything succeeded. The notebook uses the same
module for its tables (`data_summary`, `leaderboard`, `user_panel`, `neighbours`, defined in
`sslrec_utils.report_content`, as is chapter 7's `against_base`) and its text (`describe`, `conclusion`, in
`sslrec_utils.report_verdict`); `ReportParams` and the header check live in `sslrec_utils.report_params`. All are
importable from here.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import os
import re
from collections.abc import Callable, Mapping
from html import escape as escape_html
from pathlib import Path
from typing import Any

from sslrec_utils.data.download import expand_user
from sslrec_utils.experiment import load_data, write_json
from sslrec_utils.models import model_class
from sslrec_utils.outdir import check_out, staged
from sslrec_utils.report_content import (
    LEADERBOARD_METRICS,
    against_base,
    data_summary,
    example_users,
    format_leaderboard,
    item_labels,
    leaderboard,
    most_popular_item,
    neighbours,
    report_metrics,
    summary_table,
    user_panel,
)
from sslrec_utils.report_params import (
    PARAMETER_NAMES,
    ReportParams,
    check_folders,
    check_source,
    check_temp_dir,
)
from sslrec_utils.report_verdict import conclusion, describe, markdown_literal
from sslrec_utils.splits import make_split

__all__ = [
    "LEADERBOARD_METRICS",
    "METRICS_GLUE",
    "NOTEBOOK",
    "PARAMETER_NAMES",
    "ReportExecutionError",
    "ReportFiles",
    "ReportParams",
    "against_base",
    "check_data",
    "check_folders",
    "check_source",
    "check_temp_dir",
    "conclusion",
    "data_summary",
    "describe",
    "example_users",
    "export_html",
    "format_leaderboard",
    "glued_json",
    "item_labels",
    "leaderboard",
    "markdown_literal",
    "most_popular_item",
    "neighbours",
    "once_each",
    "plain_warning",
    "remote_resources",
    "report_metrics",
    "run_report",
    "summary_table",
    "user_panel",
]

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "report.ipynb"
# what a report folder holds; `--force` replaces only a folder with nothing else in it
REPORT_FILES = ("report.ipynb", "report.html", "metrics.json", "runs")
REPORT_SIGNATURE = ("metrics.json", ("title", "parameters", "best_model"))  # marks a folder as a report
METRICS_GLUE = "report_metrics"  # the glue key under which the notebook records what becomes metrics.json
# nbconvert's lab template loads require.js, MathJax, Mermaid and the widget manager from CDNs; the report
# needs none of them (its figures are embedded PNGs, its text has no math), so those blocks are emptied.
OFFLINE_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""
# a start tag with its attributes (a quoted value may hold ">"), an attribute, a URL to another host in a value
_TAG = re.compile(r"""<([a-z][\w:-]*)((?:"[^"]*"|'[^']*'|[^"'>])*)>""", re.IGNORECASE)
_ATTRIBUTE = re.compile(r"""([^\s"'=<>/]+)\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+)""")
_URL = re.compile(r"""(?:^|[\s,])((?:https?:)?//[^\s,]+)""", re.IGNORECASE)
# attributes whose URL the browser loads with the page, on any element; `href` too, but not on a link one clicks
_LOADED = {"src", "srcset", "poster", "data", "background"}
_CSS_OR_JS = re.compile(
    r"""(?:@import\s+(?:url\()?|url\()\s*["']?\s*((?:https?:)?//[^"')\s]+)"""
    r"""|\bimport\(\s*["']((?:https?:)?//[^"']+)""",
    re.IGNORECASE,
)


class ReportExecutionError(RuntimeError):
    """A cell of the report notebook raised; the message names the cell, its first lines and the error."""


@dataclasses.dataclass(frozen=True)
class ReportFiles:
    """Where a finished report lies."""

    directory: Path
    notebook: Path  # the executed notebook
    html: Path  # standalone HTML, images embedded, no remote resources
    metrics: Path  # metrics.json


def check_data(params: ReportParams) -> dict[str, float]:
    """Load and preprocess the data, make the first seed's split, and check what depends on the data.

    Returns:
        `data_summary` of the preprocessed data.

    Raises:
        ValueError: values that cannot be parsed, no data left after filtering, a K larger than the number of
            items, a split the data cannot make, or a model that cannot rank that split's users.
    """
    check_source(params)
    inter, _ = load_data(params.data_spec())
    if inter.n_interactions == 0:
        raise ValueError("no interactions left after THRESHOLD, MIN_USER and MIN_ITEM; relax them")
    if max(params.ks) > inter.n_items:
        raise ValueError(f"KS={list(params.ks)} asks for more items than the data has ({inter.n_items})")
    make_split(inter, params.split, seed=params.seeds[0])
    if params.split == "strong":
        by_id = [m for m in params.models if (cls := model_class(m)) is not None and not cls.can_fold_in()]
        if by_id:
            raise ValueError(
                f"{by_id} score users by a learned ID and cannot rank the new users of the 'strong' split; "
                "use another SPLIT or drop them from MODELS"
            )
    return data_summary(inter)


def glued_json(nb: Mapping[str, Any], key: str = METRICS_GLUE) -> Any:
    """The JSON string a notebook recorded with ``glue(key, json.dumps(...), display=False)``, decoded.

    Raises:
        KeyError: if no cell recorded `key`.
    """
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            meta = output.get("metadata", {}).get("scrapbook", {})
            if meta.get("name") != key:
                continue
            text = output["data"][meta.get("mime_prefix", "") + "text/plain"]
            return json.loads(ast.literal_eval("".join(text) if isinstance(text, list) else text))
    raise KeyError(f"the executed notebook recorded no {key!r}")


def plain_warning(
    message: Warning | str, category: type[Warning], filename: str, lineno: int, line: str | None = None
) -> str:
    """A warning as the report prints it, for ``warnings.formatwarning``: its kind and its message on one line,
    not the package's file, line and source (which a reader of the report, its code hidden, has no use for)."""
    return f"{category.__name__}: {message}\n"


def once_each(show: Callable[..., None]) -> Callable[..., None]:
    """`show` (a ``warnings.showwarning``) that shows a warning's text once however often it is raised.

    Python's own "once" does not hold across a loop: every ``warnings.catch_warnings`` block resets the record of
    warnings shown, so a split made per seed said the same thing once per seed.

    A `show` that is itself a ``once_each`` is unwrapped, so that its record starts afresh: the report's first cell
    run again in a kernel (or run all again) had wrapped the wrapper, and never showed a warning it had shown.
    """
    show = getattr(show, "once_each_of", show)
    shown: set[tuple[str, type[Warning]]] = set()

    def show_once(message: Warning | str, category: type[Warning], *args: Any, **kwargs: Any) -> None:
        key = (str(message), category)
        if key not in shown:
            shown.add(key)
            show(message, category, *args, **kwargs)

    show_once.once_each_of = show  # type: ignore[attr-defined]
    return show_once


def remote_resources(html: str) -> list[str]:
    """URLs that a browser would fetch from another host while loading `html`, in the order they appear: in an
    element's ``src``, ``srcset``, ``poster``, ``data`` or ``background``, in ``href`` except on a link one clicks
    (``<a>``, ``<area>``), and in CSS (``url()``, ``@import``) or a script's ``import()``. A URL a script builds
    at run time is not seen (the offline template empties nbconvert's blocks that do so)."""
    found = []  # (position, URL)
    for tag in _TAG.finditer(html):
        element = tag.group(1).lower()
        for attribute in _ATTRIBUTE.finditer(tag.group(2)):
            name = attribute.group(1).lower()
            if name in _LOADED or (name in ("href", "xlink:href") and element not in ("a", "area")):
                value = attribute.group(2).strip("\"'").strip()
                found += [(tag.start(), url) for url in _URL.findall(value)]
    found += [(match.start(), next(g for g in match.groups() if g)) for match in _CSS_OR_JS.finditer(html)]
    return [url for _, url in sorted(found)]


def export_html(notebook: Path, html: Path, *, title: str | None = None, hide_code: bool = False) -> None:
    """Write `notebook` as one HTML file: nbconvert's lab look, images as data URIs, no CDN scripts.

    The glued values (invisible records for ``metrics.json`` and the tests) are left out, and `title`, if given,
    becomes the page title and replaces the first heading.

    Raises:
        RuntimeError: if the page would still load something from the internet.
    """
    import nbformat
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="lab",
        extra_loaders=[DictLoader({"sslrec_offline.html.j2": OFFLINE_TEMPLATE})],
        template_file="sslrec_offline.html.j2",
        embed_images=True,
        exclude_input=hide_code,
    )
    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if "scrapbook" not in o.get("metadata", {})]
    if title is not None:
        nb.metadata["title"] = title
        heading = next((c for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("# ")), None)
        if heading is not None:
            heading.source = "\n".join([f"# {escape_html(title)}", *heading.source.splitlines()[1:]])
    body, _ = exporter.from_notebook_node(nb)
    remote = remote_resources(body)
    if remote:
        raise RuntimeError(f"the HTML report would load {remote[0]} from the internet; nbconvert changed?")
    html.write_text(body, encoding="utf-8")


def _failure(err: Any, executed: Path) -> str:
    """Which cell failed (index in the source notebook, without Papermill's injected cell), its head, the error."""
    index = err.cell_index
    try:
        cells = json.loads(executed.read_text(encoding="utf-8"))["cells"]
        injected = [i for i, c in enumerate(cells) if "injected-parameters" in c["metadata"].get("tags", [])]
        index -= sum(1 for i in injected if i < err.cell_index)
    except (OSError, ValueError, KeyError):
        pass
    head = err.source.strip().splitlines()[:5]
    lines = [
        f"the report notebook failed in cell {index} (execution count {err.exec_count}): "
        f"{err.ename}: {err.evalue}",
        "  the cell begins:",
        *[f"    {line}" for line in head],
    ]
    return "\n".join(lines)


def run_report(
    params: ReportParams,
    out: str | os.PathLike[str],
    *,
    force: bool = False,
    keep_runs: bool = False,
    hide_code: bool = False,
    progress: bool = True,
    notebook: str | os.PathLike[str] = NOTEBOOK,
    timeout_s: int | None = None,
) -> ReportFiles:
    """Check everything, execute the report notebook, and write ``out/`` (all or nothing).

    Args:
        params: the report's parameters.
        out: the report folder to create: ``report.ipynb`` (executed), ``report.html``, ``metrics.json`` and,
            with `keep_runs`, ``runs/<model>-seed<seed>/`` (loadable by ``sslrec recommend --run``).
        force: replace `out` if it exists (only once the new report has succeeded), and earlier runs of the
            same names in RUNS_DIR.
        keep_runs: keep each model's run directory (checkpoint, history, config) in ``out/runs``; RUNS_DIR
            keeps them elsewhere, so give one or the other.
        hide_code: leave the code cells' input out of the HTML file.
        progress: Papermill's progress bar on stderr.
        notebook: the report notebook to execute.
        timeout_s: seconds one cell may run (None: no limit).

    Raises:
        ValueError, FileNotFoundError: a bad parameter, a missing column, `out` (or a run in RUNS_DIR)
            exists without `force`, `keep_runs` with RUNS_DIR...; nothing is written.
        ReportExecutionError: a cell failed; nothing is left behind.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from sslrec_utils.kernels import kernel_manager_class

    if keep_runs and params.runs_dir is not None:
        raise ValueError(
            "give --keep-runs (runs kept in the report folder) or RUNS_DIR (runs kept there), not both"
        )
    out = expand_user(out).resolve()
    check_out(out, force, REPORT_FILES, REPORT_SIGNATURE)
    notebook = Path(notebook)
    if not notebook.is_file():
        where = f"report notebook {notebook} not found"
        if notebook == NOTEBOOK:  # the repository's, which a wheel of the package does not carry
            where += (
                ": sslrec report runs the book's notebooks/report.ipynb, so it needs the package installed from "
                "a checkout of the book's repository (pip install -e .)"
            )
        raise FileNotFoundError(where)
    params = params.with_absolute_paths()
    if params.runs_dir is not None and out in (runs := Path(params.runs_dir), *runs.parents):
        raise ValueError(
            f"RUNS_DIR {params.runs_dir!r} lies in the report folder, which is replaced as a whole; "
            "use --keep-runs to keep the runs there"
        )
    check_folders(params, force)
    check_data(params)
    temp_dir = params.temp_dir  # what metrics.json records: the user's, not the staging folder, gone by then
    with staged(out, force, REPORT_FILES, signature=REPORT_SIGNATURE) as tmp:
        if keep_runs:  # relative to the folder the notebook runs in, which becomes `out`
            params = params.replace(runs_dir="runs")
        elif params.runs_dir is None and temp_dir is None:  # the runs' temporary folder goes if a cell fails
            params = params.replace(temp_dir=".")  # the folder it runs in, as above: no staging path is shown
        files = ReportFiles(out, out / "report.ipynb", out / "report.html", out / "metrics.json")
        executed = tmp / files.notebook.name
        try:
            papermill.execute_notebook(
                str(notebook),
                str(executed),
                parameters=params.to_notebook(),
                kernel_name="python3",
                cwd=str(tmp),
                progress_bar=progress,
                execution_timeout=timeout_s,
                # over Unix sockets where it can: no port that another process's kernel or server takes first
                kernel_manager_class=kernel_manager_class(),
                # the kernel's own log is noise in a report run (the traceback it logs when a cell past the
                # timeout is cut off; over TCP, its note on unencrypted local TCP); a cell's errors are in its
                # outputs
                extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
            )
        except PapermillExecutionError as err:
            raise ReportExecutionError(_failure(err, executed)) from err
        except TimeoutError as err:  # nbclient's CellTimeoutError: papermill lets it through
            head = "\n".join(f"    {line}" for line in str(err).strip().splitlines()[:8])
            raise ReportExecutionError(
                f"a cell ran longer than the timeout ({timeout_s} s):\n{head}"
            ) from err
        metrics = glued_json(json.loads(executed.read_text(encoding="utf-8")))
        metrics["parameters"]["TEMP_DIR"] = temp_dir
        write_json(tmp / files.metrics.name, metrics)
        export_html(executed, tmp / files.html.name, title=params.title, hide_code=hide_code)
    return files
