"""Sphinx glue of the SSL-Rec Book: find the project's mermaid-cli and its configuration files, and list the
settings of each config class in appendix B.

`_config.yml` names them relative to the project root (``node_modules/.bin/mmdc``,
``book/puppeteer-config.json``, ``book/mermaid-config.json``). sphinxcontrib-mermaid runs the command from
the current directory, so a build started elsewhere, or one of the staged copy under ``_build/ci-src`` that CI builds, would not find them. This
extension resolves both against the source folder and its parents and fails early, with the command that fixes
it, when mermaid-cli or chromium is missing.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import ExtensionError

# mermaid-cli options whose value is a file
PATH_FLAGS = ("-p", "--puppeteerConfigFile", "-c", "--configFile", "-C", "--cssFile")
SETUP_HINT = "run `make setup` (installs mermaid-cli from package-lock.json and Debian's chromium)"


def _find_upwards(start: Path, relative: str) -> Path | None:
    for folder in (start, *start.parents):
        candidate = folder / relative
        if candidate.exists():
            return candidate.resolve()
    return None


def _resolve(app: Sphinx, config: Config) -> None:
    if config.mermaid_output_format == "raw":
        return  # rendered in the browser: nothing to run at build time
    srcdir = Path(app.srcdir)
    cmd = config.mermaid_cmd
    if isinstance(cmd, str) and not Path(cmd).is_absolute() and shutil.which(cmd) is None:
        found = _find_upwards(srcdir, cmd)
        if found is None:
            raise ExtensionError(f"mermaid-cli not found: no {cmd} above {srcdir}; {SETUP_HINT}")
        config.mermaid_cmd = str(found)

    params = list(config.mermaid_params)
    for i, value in enumerate(params[:-1]):
        if value in PATH_FLAGS and not Path(params[i + 1]).is_absolute():
            found = _find_upwards(srcdir, params[i + 1])
            if found is None:
                raise ExtensionError(f"mermaid_params: {value} {params[i + 1]} not found above {srcdir}")
            params[i + 1] = str(found)
        if value in ("-p", "--puppeteerConfigFile"):
            browser = json.loads(Path(params[i + 1]).read_text()).get("executablePath")
            if browser and not Path(browser).exists():
                raise ExtensionError(
                    f"{params[i + 1]} names the browser {browser}, which is missing; {SETUP_HINT}"
                )
    config.mermaid_params = params


def _drop_duplicate_scripts(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """List each script once. Built with Jupyter Book 1 (Sphinx 7.4), every page listed the inline scripts of
    sphinx-togglebutton and sphinx-thebe twice (Sphinx compares a script's filename, and inline ones are
    recorded with ``None`` or ``""``); the second ``const THEBE_JS_URL = ...`` raised "Identifier
    'THEBE_JS_URL' has already been declared" in the browser on every page (scripts/browser_check.py fails
    on JavaScript errors)."""
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    seen, unique = set(), []
    for js in scripts:
        attributes = getattr(js, "attributes", {})
        key = (
            getattr(js, "filename", js) or "",
            getattr(js, "priority", None),
            tuple(sorted(attributes.items())),
        )
        if key not in seen:
            seen.add(key)
            unique.append(js)
    scripts[:] = unique


def _plain(text: str) -> str:
    """`text` as rST shows it as written: ``|W|``, ``*`` and backquotes escaped, not markup."""
    return re.sub(r"[\\`*|_]", lambda m: "\\" + m.group(), text)


def _config_settings(
    app: Sphinx, what: str, name: str, obj: object, options: object, lines: list[str]
) -> None:
    """Add its settings to the docstring of a config class (`sslrec_utils.config.Config`): each field's meaning,
    the comment beside the field (`Config.field_docs`), so that appendix B shows them beside the defaults of the
    signature, as ``sslrec models NAME`` does. The docstring a dataclass makes up when a class has
    none (its signature, which autodoc shows anyway) is dropped."""
    from sslrec_utils.config import Config as Settings  # imported by autodoc anyway; here only when used

    is_settings = isinstance(obj, type) and issubclass(obj, Settings) and dataclasses.is_dataclass(obj)
    if what != "class" or not is_settings:
        return
    if obj.__doc__ and obj.__doc__.startswith(f"{obj.__name__}("):
        lines.clear()
    # as :param: fields, which autodoc_typehints = "description" completes with each field's type
    fields = [f":param {key}: {_plain(meaning)}" for key, meaning in obj.field_docs().items()]
    if fields:
        lines += ["", *fields, ""]


def setup(app: Sphinx) -> dict[str, object]:
    app.connect("config-inited", _resolve, priority=900)
    app.connect("autodoc-process-docstring", _config_settings, priority=600)  # after napoleon's conversion
    app.connect("html-page-context", _drop_duplicate_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
