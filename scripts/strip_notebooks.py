"""Strip outputs from chapter notebooks before committing them.

    python scripts/strip_notebooks.py [NOTEBOOK ...]    # default: notebooks/*.ipynb

Removes every output and execution count, except in cells tagged ``nbval-check-output``, whose committed output
is what ``pytest --nbval-lax`` compares a fresh run with. Also drops per-cell execution timing metadata and the
notebook's widget state. Files that are already clean are left untouched.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

KEEP_TAG = "nbval-check-output"
CELL_METADATA_DROPPED = ("execution", "collapsed", "scrolled", "papermill", "ExecuteTime")
NOTEBOOK_METADATA_DROPPED = ("widgets", "papermill")


def strip(nb: dict) -> dict:
    for key in NOTEBOOK_METADATA_DROPPED:
        nb["metadata"].pop(key, None)
    for cell in nb["cells"]:
        for key in CELL_METADATA_DROPPED:
            cell.get("metadata", {}).pop(key, None)
        if cell["cell_type"] != "code" or KEEP_TAG in cell.get("metadata", {}).get("tags", []):
            continue
        cell["outputs"] = []
        cell["execution_count"] = None
    return nb


def main(paths: list[str]) -> int:
    if any(p in ("-h", "--help") for p in paths):
        print(__doc__)
        return 0
    root = Path(__file__).resolve().parents[1]
    files = [Path(p) for p in paths] or sorted((root / "notebooks").glob("*.ipynb"))
    for path in files:
        text = path.read_text(encoding="utf-8")
        clean = json.dumps(strip(json.loads(text)), indent=1, ensure_ascii=False) + "\n"
        if clean != text:
            path.write_text(clean, encoding="utf-8")
            print(f"stripped {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
